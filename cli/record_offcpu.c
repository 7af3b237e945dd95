// SPDX-License-Identifier: Apache-2.0
#include "cli/record_offcpu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/number.h"
#include "common/xalloc.h"

struct record_offcpu {
	struct offcpu_trace *trace;
	struct sampler *sampler; /* where events go; NULL before attach */
	enum offcpu_stack_mode mode;
	bool finished;
};

static void on_event(const struct offcpu_event *ev, void *ctx)
{
	struct record_offcpu *r = ctx;
	struct sampler_external_sample x = {
		/* the switch-in: the mappings the stack refers to were all there then */
		.time = ev->end_ns,
		.pid = ev->pid,
		.tid = ev->tid,
		.weight = ev->blocked_ns,
		.kind = RECORD_KIND_OFFCPU,
		.comm = ev->comm[0] ? ev->comm : NULL,
		.kernel_ips = ev->kernel_ips,
		.nr_kernel_ips = ev->nr_kernel_ips,
		.user_ips = ev->user_ips,
		.nr_user_ips = ev->nr_user_ips,
		.has_user_regs = ev->has_user_regs,
		.user_regs = ev->user_regs,
		.stack = ev->stack,
		.stack_size = ev->stack_size,
	};

	if (r->sampler && ev->blocked_ns)
		sampler__add_external(r->sampler, &x);
}

struct record_offcpu *record_offcpu__open(const struct offcpu_options *opts,
					  struct sampler_options *so)
{
	struct record_offcpu *r = xcalloc(1, sizeof(*r));
	struct offcpu_options o = *opts;
	char err[512] = "";

	o.on_event = on_event;
	o.ctx = r;
	r->trace = offcpu_trace__new(&o, err, sizeof(err));
	if (!r->trace) {
		cli_error("cannot trace off-CPU time: %s", err[0] ? err : strerror(errno));
		free(r);
		return NULL;
	}
	r->mode = opts->stack_mode;
	so->external_fd = offcpu_trace__fd(r->trace);
	/*
	 * Stacks aggregated in the kernel come out only at the end: the
	 * mappings of processes that exited by then must still be known.
	 */
	so->keep_exited = opts->stack_mode == OFFCPU_STACKS_FP;
	return r;
}

void record_offcpu__free(struct record_offcpu *r)
{
	if (!r)
		return;
	offcpu_trace__free(r->trace);
	free(r);
}

int record_offcpu__attach(struct record_offcpu *r, struct sampler *s)
{
	pid_t child = sampler__child(s);
	char err[512] = "";
	int ret;

	r->sampler = s;
	if (child > 0) {
		ret = offcpu_trace__add_pid(r->trace, child);
		if (ret) {
			cli_error("cannot trace off-CPU time of the command: %s", strerror(-ret));
			return -1;
		}
	}
	ret = offcpu_trace__attach(r->trace, err, sizeof(err));
	if (ret) {
		cli_error("cannot trace off-CPU time: %s", err[0] ? err : strerror(-ret));
		return -1;
	}
	return 0;
}

void record_offcpu__drain(struct record_offcpu *r, bool final)
{
	if (r->finished)
		return;
	if (final) {
		offcpu_trace__finish(r->trace);
		r->finished = true;
	} else {
		offcpu_trace__poll(r->trace, 0);
	}
}

void record_offcpu__stats(const struct record_offcpu *r, struct offcpu_stats *stats)
{
	offcpu_trace__stats(r->trace, stats);
}

void record_offcpu__report(const struct record_offcpu *r)
{
	struct offcpu_stats st;
	char a[FS_COUNT_BUFSIZE], b[FS_COUNT_BUFSIZE];

	offcpu_trace__stats(r->trace, &st);
	if (st.dropped_blocks) {
		fs_format_count_grouped((double)st.dropped_blocks, a, sizeof(a));
		fprintf(stderr,
			"%s: %s off-CPU blocks (%.3f s) were dropped: the kernel's %s was full%s\n",
			cli_program, a, (double)st.dropped_ns / 1e9,
			r->mode == OFFCPU_STACKS_FP ? "aggregation map" : "ring buffer",
			r->mode == OFFCPU_STACKS_FP ? "" : " (try a smaller --call-graph SIZE)");
	}
	if (st.kernel_stack_collisions || st.user_stack_collisions) {
		fs_format_count_grouped((double)st.kernel_stack_collisions, a, sizeof(a));
		fs_format_count_grouped((double)st.user_stack_collisions, b, sizeof(b));
		fprintf(stderr,
			"%s: stack map collisions: %s kernel and %s user stacks lost (their time "
			"is kept, without those frames)\n",
			cli_program, a, b);
	}
	if (st.kernel_stacks_missing || st.user_stacks_missing) {
		fs_format_count_grouped((double)st.kernel_stacks_missing, a, sizeof(a));
		fs_format_count_grouped((double)st.user_stacks_missing, b, sizeof(b));
		fprintf(stderr, "%s: stacks not captured: %s kernel, %s user\n", cli_program, a, b);
	}
	if (st.still_blocked) {
		fs_format_count_grouped((double)st.still_blocked, a, sizeof(a));
		fprintf(stderr,
			"%s: %s threads were still off-CPU at the end: counted up to then\n",
			cli_program, a);
	}
	if (st.untracked_switches) {
		fs_format_count_grouped((double)st.untracked_switches, a, sizeof(a));
		fprintf(stderr,
			"%s: %s switch-outs could not be tracked (kernel memory for per-thread "
			"state)\n",
			cli_program, a);
	}
}
