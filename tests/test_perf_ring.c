// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for sampler/perf_ring on a real perf event: a task-clock
 * sampling event on this thread writing into a one-page ring, read many times
 * over so records wrap around the end of the data area.  Skips (with the
 * reason) where perf_event_open is not allowed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sampler/perf_ring.h"

struct read_state {
	size_t samples, others, bad;
	uint64_t last_time;
	bool out_of_order;
};

/* sample_type IP | TID | TIME | PERIOD: ip, {pid, tid}, time, period */
static void check_record(const struct perf_event_header *h, void *ctx)
{
	struct read_state *st = ctx;
	uint32_t ids[2];
	uint64_t t;

	if (h->type != PERF_RECORD_SAMPLE) {
		st->others++;
		return;
	}
	if (h->size != sizeof(*h) + 32) {
		st->bad++;
		return;
	}
	memcpy(ids, (const char *)(h + 1) + 8, 8);
	memcpy(&t, (const char *)(h + 1) + 16, 8);
	if (ids[0] != (uint32_t)getpid())
		st->bad++;
	if (t < st->last_time)
		st->out_of_order = true;
	st->last_time = t;
	st->samples++;
}

static int open_self_sampler(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.sample_period = 20000; /* every 20 us of CPU time */
	attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	attr.disabled = 1;
	return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static void spin_ms(int ms)
{
	struct timespec a, b;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void test_read_wrapping_records(void **state)
{
	struct read_state st = {0};
	struct perf_ring *rb;
	int fd = open_self_sampler(), round;

	if (fd < 0) {
		printf("SKIP: perf_event_open: %s (needs kernel.perf_event_paranoid <= 2 or "
		       "root)\n",
		       strerror(errno));
		skip();
	}
	/* one data page of 40-byte records: some records straddle its end */
	rb = perf_ring__new(fd, 1);
	assert_non_null(rb);
	assert_int_equal(perf_ring__data_size(rb), (size_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(ioctl(fd, PERF_EVENT_IOC_ENABLE, 0), 0);
	for (round = 0; round < 200; round++) {
		spin_ms(1); /* ~50 samples: the ring never fills between reads */
		perf_ring__read(rb, check_record, &st);
	}
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	perf_ring__read(rb, check_record, &st);
	assert_int_equal(perf_ring__pending(rb), 0);
	/* 200 ms of CPU at one sample per 20 us, minus what the kernel rate-limits */
	assert_true(st.samples > 1000);
	assert_int_equal(st.bad, 0);
	assert_false(st.out_of_order);
	assert_int_equal(perf_ring__corrupt(rb), 0);
	perf_ring__free(rb);
	close(fd);
}

static void test_bad_sizes(void **state)
{
	int fd = open_self_sampler();

	if (fd < 0) {
		printf("SKIP: perf_event_open: %s\n", strerror(errno));
		skip();
	}
	/* the data area must be a power of two of pages */
	assert_null(perf_ring__new(fd, 3));
	assert_int_equal(errno, EINVAL);
	assert_null(perf_ring__new(fd, 0));
	perf_ring__free(NULL);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_wrapping_records),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
