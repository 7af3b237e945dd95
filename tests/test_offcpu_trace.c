// SPDX-License-Identifier: Apache-2.0
/*
 * The off-CPU BPF trace (bpf/offcpu_trace.h) on this process: a thread that
 * sleeps known times is seen with its blocked time, its kernel stack and its
 * user registers and stack copy (tp_btf and the raw_tp fallback alike), or
 * summed in the kernel by frame-pointer stacks; the state and length filters
 * apply.  Needs root and a kernel with BTF; skips with the reason otherwise.
 */
#define _GNU_SOURCE /* pthread_tryjoin_np, pthread_setname_np */
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf/offcpu_trace.h"

#define SLEEPS	 10
#define SLEEP_MS 20

struct seen {
	pid_t tid;
	uint64_t events, blocked_ns, with_kernel, with_regs, stack_in_thread;
	uint64_t count;
	char comm[16];
	const char *attach; /* "tp_btf" or "raw_tp" */
};

static void on_event(const struct offcpu_event *ev, void *ctx)
{
	struct seen *s = ctx;

	if (ev->tid != s->tid)
		return;
	s->events++;
	s->count += ev->count;
	s->blocked_ns += ev->blocked_ns;
	memcpy(s->comm, ev->comm, sizeof(s->comm));
	if (ev->nr_kernel_ips && ev->kernel_ips[0] >= 0xffff800000000000ULL)
		s->with_kernel++;
	if (ev->has_user_regs && ev->user_regs[PERF_REG_X86_IP] && ev->user_regs[PERF_REG_X86_SP])
		s->with_regs++;
	if (ev->stack_size >= 64)
		s->stack_in_thread++;
}

static int go; /* set once the trace is attached */

static void *sleeper(void *arg)
{
	struct timespec ts = {0, SLEEP_MS * 1000000L};
	pid_t *tid = arg;
	int i;

	pthread_setname_np(pthread_self(), "offcpu-sleeper");
	__atomic_store_n(tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
		sched_yield();
	for (i = 0; i < SLEEPS; i++)
		nanosleep(&ts, NULL);
	return NULL;
}

/* Whether BPF can run here; if not, says why (the caller then skips). */
static bool able(void)
{
	const char *why = NULL;

	if (geteuid() != 0)
		why = "needs root (BPF)";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why = "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
	if (why)
		print_message("skipped: %s\n", why);
	return !why;
}

/* Trace this process while a thread sleeps SLEEPS x SLEEP_MS; what it saw of that thread. */
static void trace_sleeper(struct offcpu_options *o, struct seen *s)
{
	static pid_t self;
	struct offcpu_trace *t;
	pthread_t th;
	pid_t tid = 0;
	char err[512];

	memset(s, 0, sizeof(*s));
	go = 0;
	/* the options keep a pointer to it: not a local */
	self = getpid();
	o->pids = &self;
	o->nr_pids = 1;
	o->on_event = on_event;
	o->ctx = s;
	t = offcpu_trace__new(o, err, sizeof(err));
	if (!t)
		fail_msg("offcpu_trace__new: %s", err);
	assert_int_equal(pthread_create(&th, NULL, sleeper, &tid), 0);
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		sched_yield();
	s->tid = tid;
	assert_int_equal(offcpu_trace__attach(t, err, sizeof(err)), 0);
	__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
	while (pthread_tryjoin_np(th, NULL))
		offcpu_trace__poll(t, 10);
	offcpu_trace__finish(t);
	{
		struct offcpu_stats st;

		offcpu_trace__stats(t, &st);
		s->attach = st.attach;
		assert_true(st.blocks + st.still_blocked >= s->count);
		assert_int_equal(st.dropped_blocks, 0);
		assert_int_equal(st.kernel_stack_collisions, 0);
		assert_int_equal(st.kernel_stacks_missing, 0);
	}
	offcpu_trace__free(t);
}

static void check_sleeps(const struct seen *s)
{
	uint64_t want = (uint64_t)SLEEPS * SLEEP_MS * 1000000ULL;

	/* every sleep, each at least its length, with scheduling latency on top */
	if (s->count < SLEEPS || s->count > SLEEPS + 3)
		fail_msg("%llu blocks, %d sleeps", (unsigned long long)s->count, SLEEPS);
	if (s->blocked_ns < want || s->blocked_ns > want * 13 / 10)
		fail_msg("blocked %llu ns, slept %llu ns", (unsigned long long)s->blocked_ns,
			 (unsigned long long)want);
	assert_string_equal(s->comm, "offcpu-sleeper");
}

/*
 * @raw_tp: attach raw_tp (kernel stacks at switch-out); else tp_btf, with
 * kernel stacks at switch-in unless @sched_frames.
 */
static void test_copy_mode(void **state, bool raw_tp, bool sched_frames)
{
	struct offcpu_options o = {0};
	struct seen s;

	(void)state;
	if (!able()) {
		skip();
		return;
	}
	o.stack_mode = OFFCPU_STACKS_COPY;
	o.force_raw_tp = raw_tp;
	o.sched_frames = sched_frames;
	/* sleeps only: on a busy machine the thread may also be preempted */
	o.state = OFFCPU_STATE_INTERRUPTIBLE;
	trace_sleeper(&o, &s);
	check_sleeps(&s);
	assert_string_equal(s.attach, raw_tp ? "raw_tp" : "tp_btf");
	/* one event per block, each with its stacks */
	assert_int_equal(s.events, s.count);
	assert_int_equal(s.with_kernel, s.events);
	assert_int_equal(s.with_regs, s.events);
	assert_int_equal(s.stack_in_thread, s.events);
}

static void test_copy_tp_btf(void **state)
{
	test_copy_mode(state, false, false);
}

static void test_copy_sched_frames(void **state)
{
	test_copy_mode(state, false, true);
}

static void test_copy_raw_tp(void **state)
{
	test_copy_mode(state, true, false);
}

static void test_fp_mode(void **state)
{
	struct offcpu_options o = {0};
	struct seen s;

	(void)state;
	if (!able()) {
		skip();
		return;
	}
	o.stack_mode = OFFCPU_STACKS_FP;
	o.state = OFFCPU_STATE_INTERRUPTIBLE;
	trace_sleeper(&o, &s);
	check_sleeps(&s);
	/* summed in the kernel: the same stack for every sleep, so few events */
	assert_true(s.events < s.count);
	assert_int_equal(s.with_kernel, s.events);
}

static void test_filters(void **state)
{
	struct offcpu_options o = {0};
	struct seen s;

	(void)state;
	if (!able()) {
		skip();
		return;
	}
	/* sleeps are interruptible */
	o.state = OFFCPU_STATE_UNINTERRUPTIBLE;
	trace_sleeper(&o, &s);
	assert_int_equal(s.count, 0);
	o.state = OFFCPU_STATE_INTERRUPTIBLE;
	trace_sleeper(&o, &s);
	check_sleeps(&s);
	/* and 20 ms long (a preemption, a few ms at most, may pass --max-block 10 ms) */
	o.state = OFFCPU_STATE_ALL;
	o.max_block_ns = 10 * 1000000ULL;
	trace_sleeper(&o, &s);
	assert_true(s.blocked_ns < 10 * 1000000ULL * 3);
	assert_true(s.count < SLEEPS);
	o.max_block_ns = 0;
	o.min_block_ns = 15 * 1000000ULL;
	o.state = OFFCPU_STATE_INTERRUPTIBLE;
	trace_sleeper(&o, &s);
	check_sleeps(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_tp_btf), cmocka_unit_test(test_copy_sched_frames),
		cmocka_unit_test(test_copy_raw_tp), cmocka_unit_test(test_fp_mode),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
