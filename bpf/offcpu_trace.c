// SPDX-License-Identifier: Apache-2.0
/*
 * Loader of bpf/offcpu.bpf.c: feature checks with one-line reasons, the
 * tp_btf or raw_tp variant, tunables and map sizes before load, and the
 * conversion of ring buffer records and kernel sums into offcpu_event.
 */
#include "bpf/offcpu_trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf_loader.h"
#include "bpf/offcpu.h"
#include "common/log.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "bpf/offcpu.skel.h" /* generated in $(BUILD)/gen */

#define DEFAULT_STACK_COPY 16384
#define DEFAULT_RING_BYTES (16U << 20)
#define DEFAULT_MAX_STACKS 16384
#define DEFAULT_MAX_KEYS   65536

struct kernel_stack {
	size_t nr;
	uint64_t ips[OFFCPU_MAX_KERNEL_IPS];
};

struct offcpu_trace {
	struct offcpu_options opts;
	struct u64_map kernel_stacks; /* stack id -> struct kernel_stack (copy mode) */
	struct offcpu_bpf *skel;
	struct ring_buffer *ring;
	bool raw_tp, attached, finished;
	bool kstack_at_switch_in; /* kernel stacks in the kstacks map, not the stack map */
	uint64_t events, still_blocked;
	uint32_t stack_copy;
};

/* What off-CPU tracing needs beyond bpf_loader__check(): 0, or -errno with the reason. */
static int check_kernel(const struct offcpu_options *o, char *err, size_t len)
{
	int ret = bpf_loader__check(err, len);

	if (ret)
		return ret;
	if (o->stack_mode == OFFCPU_STACKS_COPY &&
	    !bpf_loader__have_helper(BPF_FUNC_task_pt_regs)) {
		snprintf(err, len, "the kernel is too old: no bpf_task_pt_regs() (Linux 5.15)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- life cycle ---- */

static void configure(struct offcpu_trace *t)
{
	const struct offcpu_options *o = &t->opts;
	struct offcpu_bpf *s = t->skel;
	bool copy = o->stack_mode == OFFCPU_STACKS_COPY;
	uint32_t max_stacks = o->max_stacks ? o->max_stacks : DEFAULT_MAX_STACKS;
	size_t block = sizeof(struct offcpu_block) + (copy ? t->stack_copy + 4096 : 0);
	uint32_t ring = o->ring_bytes ? (uint32_t)o->ring_bytes : DEFAULT_RING_BYTES;

	s->rodata->copy_mode = copy;
	s->rodata->kernel_stacks = !o->no_kernel_stacks;
	s->rodata->system_wide = o->system_wide;
	s->rodata->by_tid = o->nr_tids > 0;
	s->rodata->state_filter = o->state == OFFCPU_STATE_INTERRUPTIBLE     ? 1
				  : o->state == OFFCPU_STATE_UNINTERRUPTIBLE ? 2
									     : 0;
	s->rodata->min_block_ns = o->min_block_ns;
	s->rodata->max_block_ns = o->max_block_ns;
	s->rodata->stack_copy = copy ? t->stack_copy : 0;
	/* the reader is woken once an eighth of the ring waits, else polls it */
	s->rodata->wakeup_bytes = ring / 8;
	s->rodata->kstack_at_switch_in = t->kstack_at_switch_in;
	/* a block holds the copy, plus a page for the verifier's bounds */
	bpf_map__set_value_size(s->maps.blocks, (uint32_t)block);
	bpf_map__set_value_size(s->maps.zero_block, (uint32_t)block);
	bpf_map__set_max_entries(s->maps.events, copy ? ring : 4096);
	/* the stack map keeps fp mode's user stacks, and kernel stacks under raw_tp */
	bpf_map__set_max_entries(s->maps.stacks, !copy || !t->kstack_at_switch_in ? max_stacks : 1);
	bpf_map__set_max_entries(s->maps.kstacks, t->kstack_at_switch_in ? max_stacks : 1);
	bpf_map__set_max_entries(s->maps.totals, copy	       ? 1
						 : o->max_keys ? o->max_keys
							       : DEFAULT_MAX_KEYS);
	if (o->nr_pids + o->nr_tids > 4096)
		bpf_map__set_max_entries(s->maps.targets, (uint32_t)(o->nr_pids + o->nr_tids));
	/* one variant of each program */
	bpf_program__set_autoload(s->progs.sched_switch_btf, !t->raw_tp);
	bpf_program__set_autoload(s->progs.sched_process_fork_btf, !t->raw_tp);
	bpf_program__set_autoload(s->progs.sched_process_exit_btf, !t->raw_tp);
	bpf_program__set_autoload(s->progs.sched_switch_raw, t->raw_tp);
	bpf_program__set_autoload(s->progs.sched_process_fork_raw, t->raw_tp);
	bpf_program__set_autoload(s->progs.sched_process_exit_raw, t->raw_tp);
	/* run once at the end (kernel_stacks_of_blocked()), not attached with the others */
	bpf_program__set_autoload(s->progs.kstacks_of_blocked, t->kstack_at_switch_in);
	bpf_program__set_autoattach(s->progs.kstacks_of_blocked, false);
}

static int handle_record(void *ctx, void *data, size_t size);

struct offcpu_trace *offcpu_trace__new(const struct offcpu_options *opts, char *err, size_t err_len)
{
	static const char *const tracepoints[] = {"sched_switch", "sched_process_fork",
						  "sched_process_exit", NULL};
	struct offcpu_trace *t = xcalloc(1, sizeof(*t));
	size_t i;
	int ret = 0;

	err[0] = '\0';
	t->opts = *opts;
	t->stack_copy = opts->stack_copy ? opts->stack_copy : DEFAULT_STACK_COPY;
	t->stack_copy = (t->stack_copy + 7) & ~7u;
	if (t->stack_copy > OFFCPU_MAX_STACK_COPY)
		t->stack_copy = OFFCPU_MAX_STACK_COPY;
	ret = check_kernel(opts, err, err_len);
	if (ret)
		goto fail;
	t->raw_tp = opts->force_raw_tp || !bpf_loader__have_tp_btf(tracepoints);
	/* bpf_get_task_stack() (Linux 5.9) takes tp_btf's BTF pointer to the next task */
	t->kstack_at_switch_in = !t->raw_tp && !opts->no_kernel_stacks && !opts->sched_frames &&
				 bpf_loader__have_helper(BPF_FUNC_get_task_stack);
	t->skel = offcpu_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, err_len, "cannot open the BPF program: %s", strerror(-ret));
		goto fail;
	}
	configure(t);
	ret = bpf_loader__load(t->skel->skeleton, opts->verifier_log_path, err, err_len);
	if (ret)
		goto fail;
	for (i = 0; i < opts->nr_pids && !ret; i++)
		ret = offcpu_trace__add_pid(t, opts->pids[i]);
	for (i = 0; i < opts->nr_tids && !ret; i++)
		ret = offcpu_trace__add_pid(t, opts->tids[i]);
	if (ret) {
		snprintf(err, err_len, "cannot set the targets: %s", strerror(-ret));
		goto fail;
	}
	if (opts->stack_mode == OFFCPU_STACKS_COPY) {
		t->ring =
			ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_record, t, NULL);
		if (!t->ring) {
			ret = -errno;
			snprintf(err, err_len, "cannot read the BPF ring buffer: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	return t;
fail:
	offcpu_trace__free(t);
	errno = -ret;
	return NULL;
}

void offcpu_trace__free(struct offcpu_trace *t)
{
	size_t i;

	if (!t)
		return;
	ring_buffer__free(t->ring);
	offcpu_bpf__destroy(t->skel);
	for (i = 0; t->kernel_stacks.slots && i <= t->kernel_stacks.mask; i++)
		free(t->kernel_stacks.slots[i].value);
	u64_map__release(&t->kernel_stacks);
	free(t);
}

int offcpu_trace__add_pid(struct offcpu_trace *t, pid_t pid)
{
	return bpf_loader__add_target(t->skel->maps.targets, pid);
}

int offcpu_trace__attach(struct offcpu_trace *t, char *err, size_t err_len)
{
	int ret = offcpu_bpf__attach(t->skel);

	if (ret) {
		snprintf(err, err_len, "cannot attach to sched_switch (%s): %s",
			 t->raw_tp ? "raw_tp" : "tp_btf", strerror(-ret));
		return ret;
	}
	t->attached = true;
	return 0;
}

/* ---- records ---- */

static void deliver(struct offcpu_trace *t, struct offcpu_event *ev)
{
	t->events++;
	t->opts.on_event(ev, t->opts.ctx);
}

/* The ips of stack @id (leaf first, up to the first 0); 0 when there is none. */
static size_t read_stack(int fd, int32_t id, uint64_t *ips)
{
	size_t n;

	if (id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	for (n = 0; n < OFFCPU_MAX_KERNEL_IPS && ips[n]; n++)
		;
	return n;
}

/*
 * The ips of kernel stack @id, from the kstacks map (taken at switch-in) or
 * the stack map; 0 when there is none.
 */
static size_t read_kernel_stack(const struct offcpu_trace *t, int32_t id, uint64_t *ips)
{
	struct offcpu_kstack k;

	if (!t->kstack_at_switch_in)
		return read_stack(bpf_map__fd(t->skel->maps.stacks), id, ips);
	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.kstacks), &id, &k))
		return 0;
	if (k.nr > OFFCPU_MAX_KERNEL_IPS)
		k.nr = OFFCPU_MAX_KERNEL_IPS;
	memcpy(ips, k.ips, k.nr * sizeof(*ips));
	return k.nr;
}

/*
 * The kernel stack with id @id, read once and kept: an id always means the
 * same stack (a stack map bucket, or a kstacks hash, keeps the first stack
 * stored under it; another one gets -EEXIST).
 */
static const uint64_t *kernel_stack(struct offcpu_trace *t, int32_t id, size_t *nr)
{
	struct kernel_stack *k;

	*nr = 0;
	if (id < 0)
		return NULL;
	k = u64_map__get(&t->kernel_stacks, (uint32_t)id);
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->nr = read_kernel_stack(t, id, k->ips);
		u64_map__set(&t->kernel_stacks, (uint32_t)id, k);
	}
	*nr = k->nr;
	return k->ips;
}

/* A copy-mode block from the ring buffer; anything malformed is skipped. */
static int handle_record(void *ctx, void *data, size_t size)
{
	struct offcpu_trace *t = ctx;
	const struct offcpu_block *b = data;
	struct offcpu_event ev = {0};

	if (size < sizeof(*b) || b->stack_size > size - sizeof(*b) || b->end_ns < b->start_ns)
		return 0;
	ev.pid = (pid_t)b->pid;
	ev.tid = (pid_t)b->tid;
	memcpy(ev.comm, b->comm, sizeof(ev.comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	ev.start_ns = b->start_ns;
	ev.end_ns = b->end_ns;
	ev.blocked_ns = b->end_ns - b->start_ns;
	ev.count = 1;
	ev.kernel_ips = kernel_stack(t, b->kstack_id, &ev.nr_kernel_ips);
	ev.has_user_regs = b->has_user_regs;
	if (b->has_user_regs) {
		user_regs__to_perf((const uint64_t *)b->regs, ev.user_regs);
		ev.stack = b->stack;
		ev.stack_size = b->stack_size;
	}
	deliver(t, &ev);
	return 0;
}

int offcpu_trace__poll(struct offcpu_trace *t, int timeout_ms)
{
	int n;

	if (!t->ring)
		return 0;
	/*
	 * Records are written without waking the reader (until an eighth of
	 * the ring waits), so epoll alone would not see them: wait, then read
	 * whatever is there.
	 */
	if (timeout_ms) {
		n = ring_buffer__poll(t->ring, timeout_ms);
		if (n < 0 && n != -EINTR)
			return n;
	}
	return ring_buffer__consume(t->ring);
}

int offcpu_trace__fd(const struct offcpu_trace *t)
{
	return t->ring ? ring_buffer__epoll_fd(t->ring) : -1;
}

/* fp mode: one event per key of the kernel's sums */
static void deliver_totals(struct offcpu_trace *t)
{
	int totals = bpf_map__fd(t->skel->maps.totals), stacks = bpf_map__fd(t->skel->maps.stacks);
	uint64_t kips[OFFCPU_MAX_KERNEL_IPS], uips[OFFCPU_MAX_KERNEL_IPS];
	struct offcpu_key key, next;
	struct offcpu_value v;
	bool first = true;

	while (!bpf_map_get_next_key(totals, first ? NULL : &key, &next)) {
		struct offcpu_event ev = {0};

		first = false;
		key = next;
		if (bpf_map_lookup_elem(totals, &key, &v))
			continue;
		ev.pid = (pid_t)key.pid;
		ev.tid = (pid_t)key.tid;
		memcpy(ev.comm, v.comm, sizeof(ev.comm));
		ev.comm[sizeof(ev.comm) - 1] = '\0';
		ev.blocked_ns = v.ns;
		ev.count = v.count;
		ev.nr_kernel_ips = read_kernel_stack(t, key.kstack_id, kips);
		ev.kernel_ips = kips;
		ev.nr_user_ips = read_stack(stacks, key.ustack_id, uips);
		ev.user_ips = uips;
		deliver(t, &ev);
	}
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Threads still off-CPU now (their slot has a start): their block so far,
 * up to @now, as if they were switched in at the end.  A thread that waits
 * for the whole recording (an idle worker) is most of an off-CPU profile.
 */
static void deliver_still_blocked(struct offcpu_trace *t, uint64_t now)
{
	int fd = bpf_map__fd(t->skel->maps.blocks), stacks = bpf_map__fd(t->skel->maps.stacks);
	size_t size = bpf_map__value_size(t->skel->maps.blocks);
	struct offcpu_block *b = xmalloc(size);
	uint32_t key, next;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		uint64_t delta;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, b) || !b->start_ns || b->start_ns > now)
			continue;
		delta = now - b->start_ns;
		if (delta < t->opts.min_block_ns ||
		    (t->opts.max_block_ns && delta > t->opts.max_block_ns))
			continue;
		t->still_blocked++;
		b->end_ns = now;
		if (t->opts.stack_mode == OFFCPU_STACKS_COPY) {
			if (b->stack_size <= size - sizeof(*b))
				handle_record(t, b, sizeof(*b) + b->stack_size);
		} else {
			uint64_t kips[OFFCPU_MAX_KERNEL_IPS], uips[OFFCPU_MAX_KERNEL_IPS];
			struct offcpu_event ev = {0};

			ev.pid = (pid_t)b->pid;
			ev.tid = (pid_t)b->tid;
			/* the comm is not kept per block in fp mode: the process table's */
			ev.start_ns = b->start_ns;
			ev.end_ns = now;
			ev.blocked_ns = delta;
			ev.count = 1;
			ev.nr_kernel_ips = read_kernel_stack(t, b->kstack_id, kips);
			ev.kernel_ips = kips;
			ev.nr_user_ips = read_stack(stacks, b->ustack_id, uips);
			ev.user_ips = uips;
			deliver(t, &ev);
		}
	}
	free(b);
}

/*
 * The threads still off-CPU have no kernel stack yet (it is taken at
 * switch-in): the task iterator gives them the one they are blocked in.
 * Run while sched_switch is still traced, so that a thread woken meanwhile
 * is finished by its switch-in instead.
 */
static void kernel_stacks_of_blocked(struct offcpu_trace *t)
{
	struct bpf_link *link;
	char buf[64];
	int fd;

	if (!t->kstack_at_switch_in || !t->attached)
		return;
	link = bpf_program__attach_iter(t->skel->progs.kstacks_of_blocked, NULL);
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		fs_warn("cannot iterate over tasks (%s): threads still blocked at the end "
			"have no kernel stack",
			strerror(errno));
	} else {
		ssize_t r;

		/* the program prints nothing: reading to the end runs it on every task */
		while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
			;
		close(fd);
	}
	bpf_link__destroy(link);
}

void offcpu_trace__finish(struct offcpu_trace *t)
{
	uint64_t now;

	if (t->finished)
		return;
	t->finished = true;
	kernel_stacks_of_blocked(t);
	offcpu_bpf__detach(t->skel);
	now = monotonic_ns();
	t->attached = false;
	if (t->ring)
		ring_buffer__consume(t->ring);
	if (t->opts.stack_mode == OFFCPU_STACKS_FP)
		deliver_totals(t);
	deliver_still_blocked(t, now);
}

void offcpu_trace__stats(const struct offcpu_trace *t, struct offcpu_stats *stats)
{
	int fd = bpf_map__fd(t->skel->maps.counters);
	uint64_t sums[OFFCPU_NR_COUNTERS];

	memset(stats, 0, sizeof(*stats));
	stats->events = t->events;
	stats->still_blocked = t->still_blocked;
	stats->attach = t->raw_tp ? "raw_tp" : "tp_btf";
	bpf_loader__sum_counters(fd, OFFCPU_NR_COUNTERS, sums);
	stats->blocks = sums[OFFCPU_CNT_BLOCKS];
	stats->kernel_stack_collisions = sums[OFFCPU_CNT_KSTACK_COLLISION];
	stats->user_stack_collisions = sums[OFFCPU_CNT_USTACK_COLLISION];
	stats->kernel_stacks_missing = sums[OFFCPU_CNT_KSTACK_MISSING];
	stats->user_stacks_missing = sums[OFFCPU_CNT_USTACK_MISSING];
	stats->stack_copies_short = sums[OFFCPU_CNT_COPY_SHORT];
	stats->dropped_blocks = sums[OFFCPU_CNT_DROPPED];
	stats->dropped_ns = sums[OFFCPU_CNT_DROPPED_NS];
	stats->untracked_switches = sums[OFFCPU_CNT_UNTRACKED];
}
