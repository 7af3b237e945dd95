// SPDX-License-Identifier: Apache-2.0
/*
 * Loader of bpf/malloc.bpf.c: tunables and sizes before load, uprobes by
 * function name on the allocator library, and ring buffer records into
 * malloc_trace_event.
 */
#include "bpf/malloc_trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf_loader.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "bpf/malloc.skel.h" /* generated in $(BUILD)/gen */

#define DEFAULT_STACK_COPY 16384
#define DEFAULT_RING_BYTES (16U << 20)

struct malloc_trace {
	struct malloc_options opts;
	struct malloc_bpf *skel;
	struct ring_buffer *ring;
	struct bpf_link **links;
	size_t nr_links, cap_links, nr_probes;
	pid_t *pids; /* attached to these processes only */
	size_t nr_pids;
	uint64_t events;
	bool finished;
};

static int handle_record(void *ctx, void *data, size_t size)
{
	struct malloc_trace *t = ctx;
	const struct malloc_event *e = data;
	struct malloc_trace_event ev = {0};

	if (size < sizeof(*e) || e->stack_size > size - sizeof(*e) ||
	    (e->kind != (uint32_t)MALLOC_EVENT_ALLOC && e->kind != (uint32_t)MALLOC_EVENT_FREE))
		return 0;
	ev.kind = (enum malloc_event_kind)e->kind;
	ev.pid = (pid_t)e->pid;
	ev.tid = (pid_t)e->tid;
	ev.time_ns = e->time_ns;
	ev.ptr = e->ptr;
	ev.size = e->size;
	ev.weight = e->weight ? e->weight : 1;
	if (e->kind == (uint32_t)MALLOC_EVENT_ALLOC && e->regs[USER_REG_SP]) {
		ev.has_user_regs = true;
		user_regs__to_perf((const uint64_t *)e->regs, ev.user_regs);
		ev.stack = e->stack;
		ev.stack_size = e->stack_size;
	}
	t->events++;
	t->opts.on_event(&ev, t->opts.ctx);
	return 0;
}

struct malloc_trace *malloc_trace__new(const struct malloc_options *opts, char *err, size_t err_len)
{
	struct malloc_trace *t = xcalloc(1, sizeof(*t));
	uint32_t copy = opts->stack_copy ? opts->stack_copy : DEFAULT_STACK_COPY, ring;
	size_t i;
	int ret;

	err[0] = '\0';
	t->opts = *opts;
	ret = bpf_loader__check(err, err_len);
	if (ret)
		goto fail;
	copy = copy > MALLOC_MAX_STACK_COPY ? MALLOC_MAX_STACK_COPY : (copy + 7) & ~7u;
	t->skel = malloc_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, err_len, "cannot open the BPF program: %s", strerror(-ret));
		goto fail;
	}
	t->skel->rodata->stack_copy = copy;
	t->skel->rodata->sample_every = opts->sample_every > 1 ? opts->sample_every : 1;
	t->skel->rodata->live = opts->live;
	/* the event, the copy, and a page for the verifier's bound on the last page read */
	bpf_map__set_value_size(t->skel->maps.scratch,
				(uint32_t)(sizeof(struct malloc_event) + copy + 4096));
	ring = opts->ring_bytes ? (uint32_t)opts->ring_bytes : DEFAULT_RING_BYTES;
	bpf_map__set_max_entries(t->skel->maps.events, ring);
	/* the reader is woken once an eighth of the ring waits, else polls it */
	t->skel->rodata->wakeup_bytes = ring / 8;
	ret = bpf_loader__load(t->skel->skeleton, opts->verifier_log_path, err, err_len);
	if (ret)
		goto fail;
	for (i = 0; i < opts->nr_pids && !ret; i++)
		ret = malloc_trace__add_pid(t, opts->pids[i]);
	if (ret) {
		snprintf(err, err_len, "cannot set the targets: %s", strerror(-ret));
		goto fail;
	}
	t->ring = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_record, t, NULL);
	if (!t->ring) {
		ret = -errno;
		snprintf(err, err_len, "cannot read the BPF ring buffer: %s", strerror(-ret));
		goto fail;
	}
	return t;
fail:
	malloc_trace__free(t);
	errno = -ret;
	return NULL;
}

static void detach(struct malloc_trace *t)
{
	size_t i;

	for (i = 0; i < t->nr_links; i++)
		bpf_link__destroy(t->links[i]);
	t->nr_links = 0;
}

void malloc_trace__free(struct malloc_trace *t)
{
	if (!t)
		return;
	detach(t);
	ring_buffer__free(t->ring);
	malloc_bpf__destroy(t->skel);
	free(t->links);
	free(t->pids);
	free(t);
}

int malloc_trace__add_pid(struct malloc_trace *t, pid_t pid)
{
	t->pids = xreallocarray(t->pids, t->nr_pids + 1, sizeof(*t->pids));
	t->pids[t->nr_pids++] = pid;
	return bpf_loader__add_target(t->skel->maps.targets, pid);
}

/*
 * A uprobe (or uretprobe) on @func of the library, in each target process;
 * 0, or -errno (-ENOENT: no such function).  Per process rather than in
 * every process mapping the file: the kernel then sets the breakpoints in
 * the targets' memory only, and the rest of the machine (this process
 * included) keeps calling malloc at full speed.
 */
static int probe(struct malloc_trace *t, struct bpf_program *prog, const char *func, bool ret)
{
	struct bpf_uprobe_opts o = {.sz = sizeof(o), .func_name = func, .retprobe = ret};
	struct bpf_link *link;
	size_t i;

	for (i = 0; i < t->nr_pids; i++) {
		link = bpf_program__attach_uprobe_opts(prog, t->pids[i], t->opts.library, 0, &o);
		if (!link)
			return -errno;
		if (t->nr_links == t->cap_links) {
			t->cap_links = t->cap_links ? 2 * t->cap_links : 32;
			t->links = xreallocarray(t->links, t->cap_links, sizeof(*t->links));
		}
		t->links[t->nr_links++] = link;
	}
	return 0;
}

int malloc_trace__attach(struct malloc_trace *t, char *err, size_t err_len)
{
	struct malloc_bpf *s = t->skel;
	const struct {
		const char *name;
		struct bpf_program *enter, *leave;
	} funcs[] = {
		{"malloc", s->progs.malloc_enter, s->progs.alloc_return},
		{"calloc", s->progs.calloc_enter, s->progs.alloc_return},
		{"realloc", s->progs.realloc_enter, s->progs.alloc_return},
		{"reallocarray", s->progs.reallocarray_enter, s->progs.alloc_return},
		{"posix_memalign", s->progs.posix_memalign_enter, s->progs.posix_memalign_return},
		{"aligned_alloc", s->progs.memalign_enter, s->progs.alloc_return},
		{"memalign", s->progs.memalign_enter, s->progs.alloc_return},
		{"valloc", s->progs.malloc_enter, s->progs.alloc_return},
		{"pvalloc", s->progs.malloc_enter, s->progs.alloc_return},
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		ret = probe(t, funcs[i].enter, funcs[i].name, false);
		if (!ret)
			ret = probe(t, funcs[i].leave, funcs[i].name, true);
		if (ret == -ENOENT && i > 0) {
			fs_debug("malloc: %s has no %s: not probed", t->opts.library,
				 funcs[i].name);
			continue;
		}
		if (ret)
			goto fail;
		t->nr_probes++;
	}
	if (t->opts.live) {
		ret = probe(t, s->progs.free_enter, "free", false);
		if (ret)
			goto fail;
		t->nr_probes++;
	}
	return 0;
fail:
	if (ret == -ENOENT)
		snprintf(err, err_len,
			 "%s has no %s to probe: not the allocator (statically linked, or another "
			 "allocator? give --malloc-lib PATH)",
			 t->opts.library,
			 i < sizeof(funcs) / sizeof(funcs[0]) ? funcs[i].name : "free");
	else
		snprintf(err, err_len, "cannot attach uprobes to %s: %s", t->opts.library,
			 strerror(-ret));
	detach(t);
	return ret;
}

int malloc_trace__poll(struct malloc_trace *t, int timeout_ms)
{
	if (timeout_ms) {
		int n = ring_buffer__poll(t->ring, timeout_ms);

		if (n < 0 && n != -EINTR)
			return n;
	}
	return ring_buffer__consume(t->ring);
}

int malloc_trace__fd(const struct malloc_trace *t)
{
	return ring_buffer__epoll_fd(t->ring);
}

void malloc_trace__finish(struct malloc_trace *t)
{
	if (t->finished)
		return;
	t->finished = true;
	detach(t);
	ring_buffer__consume(t->ring);
}

void malloc_trace__stats(const struct malloc_trace *t, struct malloc_stats *stats)
{
	int fd = bpf_map__fd(t->skel->maps.counters);
	uint64_t sums[MALLOC_NR_COUNTERS];

	memset(stats, 0, sizeof(*stats));
	stats->events = t->events;
	stats->nr_probes = t->nr_probes;
	bpf_loader__sum_counters(fd, MALLOC_NR_COUNTERS, sums);
	stats->allocs = sums[MALLOC_CNT_ALLOCS];
	stats->failed = sums[MALLOC_CNT_FAILED];
	stats->dropped = sums[MALLOC_CNT_DROPPED];
	stats->dropped_bytes = sums[MALLOC_CNT_DROPPED_BYTES];
	stats->copies_short = sums[MALLOC_CNT_COPY_SHORT];
	stats->nested = sums[MALLOC_CNT_NESTED];
}
