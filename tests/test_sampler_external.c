// SPDX-License-Identifier: Apache-2.0
/*
 * External samples (sampler__add_external()): stacks captured outside perf,
 * here this thread's own registers and stack (tests/stack_capture.h), go
 * through the sampler's tracking-only mode (SAMPLER_EVENT_NONE), unwinder and
 * time order like perf samples, with their weight and kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sampler/sampler.h"
#include "symbolize/symbolizer.h"
#include "tests/stack_capture.h"

#define STACK_COPY 16384
#define MAX_SEEN   8

static volatile uint64_t sink;

FIXTURE static void external_leaf(struct capture *c)
{
	c->size = capture_stack(c->regs, c->stack, c->want, c->top);
	sink += c->size;
}

FIXTURE static void external_caller(struct capture *c)
{
	external_leaf(c);
	sink++;
}

struct seen {
	uint32_t kind;
	uint64_t time, period;
	pid_t pid, tid;
	char comm[16];
	size_t nr_frames;
	struct sampler_frame frames[64];
};

struct ctx {
	struct sampler *s;
	struct capture c;
	const uint64_t *kernel_ips;
	size_t nr_kernel_ips;
	uint64_t times[2];
	size_t nr_to_add;
	unsigned external_calls, final_calls;
	struct seen seen[MAX_SEEN];
	size_t nr_seen;
};

static void on_sample(const struct sampler_sample *s, void *arg)
{
	struct ctx *c = arg;
	struct seen *v;

	if (c->nr_seen == MAX_SEEN)
		return;
	v = &c->seen[c->nr_seen++];
	v->kind = s->kind;
	v->time = s->time;
	v->period = s->period;
	v->pid = s->pid;
	v->tid = s->tid;
	snprintf(v->comm, sizeof(v->comm), "%s", s->comm ? s->comm : "");
	v->nr_frames = s->nr_frames < 64 ? s->nr_frames : 64;
	memcpy(v->frames, s->frames, v->nr_frames * sizeof(*v->frames));
}

/* Hands over the prepared samples the first time, as a BPF source would. */
static void on_external(bool final, void *arg)
{
	struct ctx *c = arg;
	size_t i;

	c->external_calls++;
	c->final_calls += final;
	for (i = 0; i < c->nr_to_add; i++) {
		struct sampler_external_sample x = {
			.time = c->times[i],
			.pid = getpid(),
			.tid = (pid_t)syscall(SYS_gettid),
			.weight = 1000 * (i + 1),
			.kind = 7,
			.comm = i ? NULL : "blocked",
			.kernel_ips = c->kernel_ips,
			.nr_kernel_ips = c->nr_kernel_ips,
			.has_user_regs = true,
			.user_regs = c->c.regs,
			.stack = c->c.stack,
			.stack_size = c->c.size,
		};
		sampler__add_external(c->s, &x);
	}
	c->nr_to_add = 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *frame_name(struct sampler *s, struct symbolizer *sym,
			      const struct sampler_frame *fr)
{
	const struct dso *d;
	struct sym_file_key key;

	if (fr->dso < DSO_FIRST_FILE)
		return NULL;
	d = process_table__dso(sampler__processes(s), fr->dso);
	key = (struct sym_file_key){.path = d->path, .dev = d->dev, .ino = d->ino, .pid = d->pid};
	return symbolizer__user(sym, &key, fr->addr);
}

static void test_external_samples(void **state)
{
	static const uint64_t kernel_ips[] = {0xffffffff81000100, 0xffffffff81000200};
	pid_t self = getpid();
	struct sampler_options o = {0};
	struct symbolizer *sym;
	struct ctx *c = calloc(1, sizeof(*c));
	int local = 0;
	size_t i;

	(void)state;
	assert_non_null(c);
	c->c.stack = malloc(STACK_COPY);
	assert_non_null(c->c.stack);
	c->c.want = STACK_COPY;
	c->c.top = stack_top(&local);
	assert_true(c->c.top != 0);
	external_caller(&c->c);
	assert_true(c->c.size > 0);
	c->kernel_ips = kernel_ips;
	c->nr_kernel_ips = 2;
	/* out of order: the later one first */
	c->times[0] = monotonic_ns();
	c->times[1] = c->times[0] - 1000;
	c->nr_to_add = 2;

	o.pids = &self;
	o.nr_pids = 1;
	o.event = SAMPLER_EVENT_NONE;
	o.call_graph = SAMPLER_CALL_GRAPH_DWARF;
	o.on_sample = on_sample;
	o.on_external = on_external;
	o.ctx = c;
	c->s = sampler__new(&o);
	if (!c->s) {
		print_message("skipped: perf_event_open refused a tracking event on this "
			      "process (%s)\n",
			      strerror(errno));
		free(c->c.stack);
		free(c);
		skip();
		return;
	}
	assert_int_equal(sampler__start(c->s), 0);
	sampler__poll(c->s, 0);
	sampler__poll(c->s, 0);
	sampler__stop(c->s);
	assert_true(c->external_calls >= 3);
	assert_int_equal(c->final_calls, 1);

	/* both, in time order, with their weight, kind and comm */
	assert_int_equal(c->nr_seen, 2);
	assert_int_equal(c->seen[0].time, c->times[1]);
	assert_int_equal(c->seen[0].period, 2000);
	assert_int_equal(c->seen[1].time, c->times[0]);
	assert_int_equal(c->seen[1].period, 1000);
	assert_string_equal(c->seen[1].comm, "blocked");
	assert_true(c->seen[0].comm[0] != '\0');
	sym = symbolizer__new(NULL);
	for (i = 0; i < 2; i++) {
		const struct seen *v = &c->seen[i];

		assert_int_equal(v->kind, 7);
		assert_int_equal(v->pid, self);
		/* kernel frames, leaf first (return addresses after the first moved back) */
		assert_true(v->nr_frames >= 5);
		assert_int_equal(v->frames[0].dso, DSO_KERNEL);
		assert_int_equal(v->frames[0].addr, 0xffffffff81000100);
		assert_int_equal(v->frames[1].addr, 0xffffffff810001ff);
		/* then the user stack, unwound from the copy */
		assert_string_equal(frame_name(c->s, sym, &v->frames[2]), "external_leaf");
		assert_string_equal(frame_name(c->s, sym, &v->frames[3]), "external_caller");
		assert_string_equal(frame_name(c->s, sym, &v->frames[4]), "test_external_samples");
	}
	symbolizer__free(sym);
	sampler__free(c->s);
	free(c->c.stack);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_external_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
