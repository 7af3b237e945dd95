// SPDX-License-Identifier: Apache-2.0
#include "cli/record_frames.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/xalloc.h"

/* A (file, offset) and where its frames are in the pool. */
struct file_frame {
	uint32_t dso;
	uint64_t addr;
	uint32_t first, n; /* pool[first .. first + n), outermost first */
};

struct record_frames {
	struct symbolizer *sym;
	const struct process_table *pt;
	struct file_frame *v; /* sorted by (dso, addr) */
	size_t n, cap;
	struct profile_frame *pool;
	size_t nr_pool, cap_pool;
	struct strtab *strings; /* every name, file and module of the pool */
};

static int cmp_file_frame(const void *a, const void *b)
{
	const struct file_frame *x = a, *y = b;

	if (x->dso != y->dso)
		return (x->dso > y->dso) - (x->dso < y->dso);
	return (x->addr > y->addr) - (x->addr < y->addr);
}

struct record_frames *record_frames__new(struct symbolizer *sym, const struct process_table *pt)
{
	struct record_frames *rf = xcalloc(1, sizeof(*rf));

	rf->sym = sym;
	rf->pt = pt;
	rf->strings = strtab__new();
	return rf;
}

void record_frames__free(struct record_frames *rf)
{
	if (!rf)
		return;
	free(rf->v);
	free(rf->pool);
	strtab__free(rf->strings);
	free(rf);
}

static const char *intern(struct record_frames *rf, const char *s)
{
	if (!s)
		return NULL;
	return strtab__str(rf->strings, strtab__intern(rf->strings, s, strlen(s)), NULL);
}

static void pool_add(struct record_frames *rf, const struct profile_frame *f)
{
	if (rf->nr_pool == rf->cap_pool) {
		rf->cap_pool = rf->cap_pool ? 2 * rf->cap_pool : 1024;
		rf->pool = xreallocarray(rf->pool, rf->cap_pool, sizeof(*rf->pool));
	}
	rf->pool[rf->nr_pool++] = *f;
}

/* The frames of file offset @ff->addr of its file into the pool, outermost first. */
static void symbolize(struct record_frames *rf, struct file_frame *ff)
{
	struct sym_frame frames[RECORD_FRAMES_MAX_PER_ADDR];
	const struct dso *dso = process_table__dso(rf->pt, ff->dso);
	const char *module;
	size_t n, i;

	ff->first = (uint32_t)rf->nr_pool;
	if (!dso) {
		pool_add(rf, &(struct profile_frame){.name = "[unknown]",
						     .address = ff->addr,
						     .kind = PROFILE_FRAME_UNKNOWN});
		ff->n = 1;
		return;
	}
	module = intern(rf, dso->path);
	n = symbolizer__user_frames(rf->sym,
				    &(struct sym_file_key){.path = dso->path,
							   .dev = dso->dev,
							   .ino = dso->ino,
							   .pid = dso->pid,
							   .map_start = dso->map_start,
							   .map_end = dso->map_end},
				    ff->addr, frames, RECORD_FRAMES_MAX_PER_ADDR);
	if (!n || !frames[n - 1].name) {
		/* no symbol: say which file, as perf script's "([libfoo.so])" */
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "[%s]", dso->name);
		pool_add(rf, &(struct profile_frame){.name = intern(rf, sb.buf),
						     .module = module,
						     .address = ff->addr,
						     .kind = PROFILE_FRAME_UNKNOWN});
		strbuf_release(&sb);
		ff->n = 1;
		return;
	}
	/* outermost first; inlined functions are frames of their own */
	for (i = n; i-- > 0;)
		pool_add(rf,
			 &(struct profile_frame){
				 .name = intern(rf, frames[i].name ? frames[i].name : "[unknown]"),
				 .module = module,
				 .file = intern(rf, frames[i].file),
				 .line = frames[i].file ? frames[i].line : 0,
				 .address = ff->addr,
				 .kind = frames[i].inlined ? PROFILE_FRAME_INLINE
							   : PROFILE_FRAME_USER,
			 });
	ff->n = (uint32_t)n;
}

static const struct file_frame *find(const struct record_frames *rf, uint32_t dso, uint64_t addr)
{
	struct file_frame key = {.dso = dso, .addr = addr};

	return rf->n ? bsearch(&key, rf->v, rf->n, sizeof(*rf->v), cmp_file_frame) : NULL;
}

/*
 * JITs that write jitdump files map them: hand every such file to the
 * symbolizer, again at each call (a recording's store symbolizes as it
 * goes, and the file grows while the JIT compiles).
 */
static void add_jit_mappings(struct record_frames *rf)
{
	const struct dso *dso;
	uint32_t id;

	for (id = DSO_FIRST_FILE; (dso = process_table__dso(rf->pt, id)); id++)
		symbolizer__add_jit_mapping(rf->sym, dso->pid, dso->path, dso->ino);
}

/*
 * rf->v[0, @known) and rf->v[@known, rf->n) are each sorted and share no
 * frame: merge them from the end, the new (and fewer) ones set aside.
 */
static void merge_fresh(struct record_frames *rf, size_t known)
{
	size_t nr = rf->n - known, i = known, j = nr, k = rf->n;
	struct file_frame *fresh = xreallocarray(NULL, nr, sizeof(*fresh));

	memcpy(fresh, rf->v + known, nr * sizeof(*fresh));
	while (j > 0) {
		if (i > 0 && cmp_file_frame(&rf->v[i - 1], &fresh[j - 1]) > 0)
			rf->v[--k] = rf->v[--i];
		else
			rf->v[--k] = fresh[--j];
	}
	free(fresh);
}

void record_frames__add(struct record_frames *rf, struct stack_table *stacks, size_t from,
			size_t to, bool skip_empty)
{
	struct file_frame *fresh = NULL;
	size_t nr = 0, cap = 0, i, j, out = 0, known = rf->n;

	add_jit_mappings(rf);
	for (i = from; i < to; i++) {
		struct stack_entry e;

		stack_table__get(stacks, i, &e);
		for (j = 0; (e.count || !skip_empty) && j < e.nr_frames; j++) {
			if (e.frames[j].dso < DSO_FIRST_FILE ||
			    find(rf, e.frames[j].dso, e.frames[j].addr))
				continue;
			if (nr == cap) {
				cap = cap ? 2 * cap : 1024;
				fresh = xreallocarray(fresh, cap, sizeof(*fresh));
			}
			fresh[nr++] = (struct file_frame){.dso = e.frames[j].dso,
							  .addr = e.frames[j].addr};
		}
	}
	if (!nr)
		return;
	qsort(fresh, nr, sizeof(*fresh), cmp_file_frame);
	if (rf->n + nr > rf->cap) {
		rf->cap = rf->n + nr;
		rf->v = xreallocarray(rf->v, rf->cap, sizeof(*rf->v));
	}
	for (i = 0; i < nr; i++) {
		if (out && !cmp_file_frame(&rf->v[rf->n - 1], &fresh[i]))
			continue;
		rf->v[rf->n] = fresh[i];
		symbolize(rf, &rf->v[rf->n]);
		rf->n++;
		out++;
	}
	free(fresh);
	if (known && out)
		merge_fresh(rf, known);
}

size_t record_frames__get(struct record_frames *rf, pid_t pid, const struct sampler_frame *f,
			  struct profile_frame *out)
{
	const struct file_frame *ff;
	const char *name;

	if (f->dso == DSO_KERNEL) {
		name = symbolizer__kernel(rf->sym, f->addr);
		out[0] = (struct profile_frame){.name = name ? intern(rf, name)
							     : "[kernel.kallsyms]",
						.module = "[kernel.kallsyms]",
						.address = f->addr,
						.kind = PROFILE_FRAME_KERNEL};
		return 1;
	}
	if (f->dso == DSO_ANON) {
		/* JIT code: named from the process's perf map */
		name = symbolizer__jit(rf->sym, pid, f->addr);
		out[0] = (struct profile_frame){.name = name ? intern(rf, name) : "[unknown]",
						.module = "[anon]",
						.address = f->addr,
						.kind = name ? PROFILE_FRAME_JIT
							     : PROFILE_FRAME_UNKNOWN};
		return 1;
	}
	ff = f->dso >= DSO_FIRST_FILE ? find(rf, f->dso, f->addr) : NULL;
	if (!ff) {
		out[0] = (struct profile_frame){
			.name = "[unknown]", .address = f->addr, .kind = PROFILE_FRAME_UNKNOWN};
		return 1;
	}
	memcpy(out, rf->pool + ff->first, ff->n * sizeof(*out));
	return ff->n;
}
