// SPDX-License-Identifier: Apache-2.0
#include "cli/record_malloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/number.h"
#include "common/u64_map.h"
#include "common/xalloc.h"

#define DEFAULT_MAX_LIVE 10000000

/* A block still allocated (live mode): which stack entry it was counted in, and how much. */
struct live_block {
	size_t entry;
	uint64_t bytes;
	uint32_t next_free; /* in the free list: the next free slot + 1 */
};

struct record_malloc {
	struct record_malloc_options opts;
	struct malloc_trace *trace;
	struct sampler *sampler;
	char *library;
	bool finished;
	uint64_t allocs, bytes, frees_matched, live_overflow;
	/* live mode: address -> slot + 1 in blocks */
	struct u64_map live;
	struct live_block *blocks;
	size_t nr_blocks, cap_blocks;
	uint32_t free_slots; /* head of the free list + 1; 0: empty */
};

/* The file of the libc mapped by @pid (0: this process), as this process can open it. */
static char *find_libc(pid_t pid)
{
	char path[64], line[4096];
	char *found = NULL;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/'), *base;
		size_t len;

		if (!file)
			continue;
		len = strcspn(file, "\n");
		file[len] = '\0';
		base = strrchr(file, '/') + 1;
		/* libc.so.6, libc-2.31.so, musl's libc.so */
		if (strncmp(base, "libc.so", 7) && strncmp(base, "libc-", 5))
			continue;
		if (pid) {
			/* through its root: a container's libc is not ours */
			size_t n = strlen(file) + 32;

			found = xmalloc(n);
			snprintf(found, n, "/proc/%d/root%s", pid, file);
		} else {
			found = xstrdup(file);
		}
	}
	fclose(f);
	return found;
}

static void on_event(const struct malloc_trace_event *ev, void *ctx)
{
	struct record_malloc *r = ctx;
	bool count = r->opts.mode == RECORD_MALLOC_COUNT;
	struct sampler_external_sample x = {
		.time = ev->time_ns,
		.pid = ev->pid,
		.tid = ev->tid,
		.data = ev->ptr,
	};

	if (!r->sampler)
		return;
	if (ev->kind == MALLOC_EVENT_FREE) {
		x.kind = RECORD_KIND_FREE;
	} else {
		x.kind = RECORD_KIND_ALLOC;
		x.weight = count ? ev->weight : ev->size * ev->weight;
		x.has_user_regs = ev->has_user_regs;
		x.user_regs = ev->user_regs;
		x.stack = ev->stack;
		x.stack_size = ev->stack_size;
	}
	sampler__add_external(r->sampler, &x);
}

struct record_malloc *record_malloc__open(const struct record_malloc_options *opts,
					  struct sampler_options *so)
{
	struct record_malloc *r = xcalloc(1, sizeof(*r));
	struct malloc_options mo = {0};
	char err[512] = "";

	r->opts = *opts;
	if (opts->library)
		r->library = xstrdup(opts->library);
	else
		r->library = find_libc(opts->nr_pids ? opts->pids[0] : 0);
	if (!r->library) {
		if (opts->nr_pids)
			cli_error("process %d maps no libc (statically linked, or it has its own "
				  "allocator): give --malloc-lib PATH",
				  opts->pids[0]);
		else
			cli_error("cannot find the C library to probe: give --malloc-lib PATH");
		goto fail;
	}
	mo.pids = opts->pids;
	mo.nr_pids = opts->nr_pids;
	mo.library = r->library;
	mo.live = opts->mode == RECORD_MALLOC_LIVE;
	mo.sample_every = opts->sample_every;
	mo.stack_copy = opts->stack_copy;
	mo.on_event = on_event;
	mo.ctx = r;
	r->trace = malloc_trace__new(&mo, err, sizeof(err));
	if (!r->trace) {
		cli_error("cannot trace allocations: %s", err[0] ? err : strerror(errno));
		goto fail;
	}
	so->external_fd = malloc_trace__fd(r->trace);
	return r;
fail:
	record_malloc__free(r);
	return NULL;
}

void record_malloc__free(struct record_malloc *r)
{
	if (!r)
		return;
	malloc_trace__free(r->trace);
	u64_map__release(&r->live);
	free(r->blocks);
	free(r->library);
	free(r);
}

int record_malloc__attach(struct record_malloc *r, struct sampler *s)
{
	pid_t child = sampler__child(s);
	char err[512] = "";
	int ret;

	r->sampler = s;
	if (child > 0) {
		ret = malloc_trace__add_pid(r->trace, child);
		if (ret) {
			cli_error("cannot trace allocations of the command: %s", strerror(-ret));
			return -1;
		}
	}
	/* before the command runs its first instruction: it waits to exec */
	ret = malloc_trace__attach(r->trace, err, sizeof(err));
	if (ret) {
		cli_error("%s", err[0] ? err : strerror(-ret));
		return -1;
	}
	return 0;
}

void record_malloc__drain(struct record_malloc *r, bool final)
{
	if (r->finished)
		return;
	if (final) {
		malloc_trace__finish(r->trace);
		r->finished = true;
	} else {
		malloc_trace__poll(r->trace, 0);
	}
}

static void track(struct record_malloc *r, struct stack_table *stacks, uint64_t ptr, size_t entry,
		  uint64_t bytes)
{
	void *v = u64_map__get(&r->live, ptr);
	uint32_t slot;

	if (v) {
		/* the block there was freed without our seeing it (a free not probed) */
		struct live_block *old = &r->blocks[(uintptr_t)v - 1];

		stack_table__sub(stacks, old->entry, old->bytes);
		old->entry = entry;
		old->bytes = bytes;
		return;
	}
	if (r->live.count >= (r->opts.max_live ? r->opts.max_live : DEFAULT_MAX_LIVE)) {
		r->live_overflow++;
		return;
	}
	if (r->free_slots) {
		slot = r->free_slots - 1;
		r->free_slots = r->blocks[slot].next_free;
	} else {
		if (r->nr_blocks == r->cap_blocks) {
			r->cap_blocks = r->cap_blocks ? 2 * r->cap_blocks : 1024;
			r->blocks = xreallocarray(r->blocks, r->cap_blocks, sizeof(*r->blocks));
		}
		slot = (uint32_t)r->nr_blocks++;
	}
	r->blocks[slot] = (struct live_block){entry, bytes, 0};
	u64_map__set(&r->live, ptr, (void *)(uintptr_t)(slot + 1));
}

size_t record_malloc__account(struct record_malloc *r, struct stack_table *stacks,
			      const struct sampler_sample *s, const char *comm, pid_t pid,
			      pid_t tid)
{
	size_t entry;

	if (s->kind == RECORD_KIND_FREE) {
		void *v = u64_map__remove(&r->live, s->data);
		uint32_t slot;

		if (!v)
			return SIZE_MAX; /* allocated before attaching, or not sampled */
		slot = (uint32_t)((uintptr_t)v - 1);
		stack_table__sub(stacks, r->blocks[slot].entry, r->blocks[slot].bytes);
		r->blocks[slot].next_free = r->free_slots;
		r->free_slots = slot + 1;
		r->frees_matched++;
		return SIZE_MAX;
	}
	r->allocs++;
	r->bytes += s->period;
	entry = stack_table__add(stacks, comm, pid, tid, s->frames, s->nr_frames, s->period);
	if (r->opts.mode == RECORD_MALLOC_LIVE)
		track(r, stacks, s->data, entry, s->period);
	return entry;
}

static const char *const mode_names[] = {
	[RECORD_MALLOC_BYTES] = "bytes allocated",
	[RECORD_MALLOC_COUNT] = "allocation calls",
	[RECORD_MALLOC_LIVE] = "bytes still allocated at the end",
};

const char *record_malloc__subtitle(const struct record_malloc *r, char *buf, size_t size)
{
	char n[FS_COUNT_BUFSIZE];
	int w;

	fs_format_count_grouped((double)r->allocs, n, sizeof(n));
	w = snprintf(buf, size, "%s; %s allocations%s", mode_names[r->opts.mode], n,
		     r->opts.sample_every > 1 ? " recorded" : "");
	if (w > 0 && (size_t)w < size && r->opts.sample_every > 1)
		snprintf(buf + w, size - (size_t)w, ", one in %llu, weights scaled",
			 (unsigned long long)r->opts.sample_every);
	return buf;
}

void record_malloc__report(const struct record_malloc *r)
{
	struct malloc_stats st;
	char a[FS_COUNT_BUFSIZE], b[FS_COUNT_BUFSIZE];

	malloc_trace__stats(r->trace, &st);
	fs_format_count_grouped((double)st.allocs, a, sizeof(a));
	fs_format_count_grouped((double)r->allocs, b, sizeof(b));
	fprintf(stderr, "%s: %s allocations in %s (%zu functions probed), %s recorded\n",
		cli_program, a, r->library, st.nr_probes, b);
	if (!st.allocs)
		fprintf(stderr,
			"%s: no allocation seen: is the target statically linked, or using "
			"another allocator? (--malloc-lib PATH)\n",
			cli_program);
	if (st.dropped) {
		fs_format_count_grouped((double)st.dropped, a, sizeof(a));
		fprintf(stderr,
			"%s: %s events (%llu bytes allocated) were dropped: the ring buffer was "
			"full (try --malloc-sample N)\n",
			cli_program, a, (unsigned long long)st.dropped_bytes);
	}
	if (r->live_overflow) {
		fs_format_count_grouped((double)r->live_overflow, a, sizeof(a));
		fprintf(stderr,
			"%s: %s blocks were not tracked (over --malloc-max-live): live bytes are "
			"overstated by their frees\n",
			cli_program, a);
	}
}
