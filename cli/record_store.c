// SPDX-License-Identifier: Apache-2.0
#include "cli/record_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/record_frames.h"
#include "common/xalloc.h"
#include "symbolize/symbolizer.h"

static const char *const event_names[] = {
	[RECORD_EVENT_CPU] = "cpu",
	[RECORD_EVENT_OFFCPU] = "offcpu",
	[RECORD_EVENT_MALLOC] = "malloc",
};

/* A weight noted since the last commit. */
struct pending {
	uint32_t table, event;
	size_t entry;
	uint64_t bucket, weight;
};

struct record_store {
	struct profile_store *store;
	char *path;
	struct symbolizer *sym;
	struct record_frames *rf;
	int64_t *stack_ids[RECORD_STORE_TABLES]; /* entry -> stacks.id */
	size_t nr_done[RECORD_STORE_TABLES];	 /* entries inserted */
	struct pending *pending;
	size_t nr_pending, cap_pending;
	int64_t *frame_ids;
	size_t cap_frame_ids;
	size_t max_frames; /* --max-stack, as shown: 0, all */
};

struct record_store *record_store__open(const char *path, const struct store_meta *meta,
					const struct record_output_options *o)
{
	struct record_store *rs;
	struct symbolizer_options so;
	struct profile_store *store = profile_store__create(path, meta);

	if (!store) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		return NULL;
	}
	rs = xcalloc(1, sizeof(*rs));
	rs->store = store;
	rs->path = xstrdup(path);
	rs->max_frames = o->max_frames;
	symbolizer_options__init(&so);
	so.demangle = !o->no_demangle;
	so.inline_frames = !o->no_inline;
	so.lines = o->lines;
	so.memory_limit = o->symbol_memory;
	rs->sym = symbolizer__new(&so);
	return rs;
}

void record_store__free(struct record_store *rs)
{
	unsigned t;

	if (!rs)
		return;
	profile_store__free(rs->store);
	record_frames__free(rs->rf);
	symbolizer__free(rs->sym);
	for (t = 0; t < RECORD_STORE_TABLES; t++)
		free(rs->stack_ids[t]);
	free(rs->pending);
	free(rs->frame_ids);
	free(rs->path);
	free(rs);
}

void record_store__weigh(struct record_store *rs, unsigned table, size_t entry, uint64_t time_ns,
			 enum record_store_event event, uint64_t weight)
{
	struct pending *p;

	if (!weight)
		return;
	if (rs->nr_pending) {
		/* consecutive samples of one stack in one bucket: most of a busy loop's */
		p = &rs->pending[rs->nr_pending - 1];
		if (p->table == table && p->entry == entry && p->event == event &&
		    p->bucket == profile_store__bucket(rs->store, time_ns)) {
			p->weight += weight;
			return;
		}
	}
	if (rs->nr_pending == rs->cap_pending) {
		rs->cap_pending = rs->cap_pending ? 2 * rs->cap_pending : 4096;
		rs->pending = xreallocarray(rs->pending, rs->cap_pending, sizeof(*rs->pending));
	}
	rs->pending[rs->nr_pending++] = (struct pending){
		.table = table,
		.event = event,
		.entry = entry,
		.bucket = profile_store__bucket(rs->store, time_ns),
		.weight = weight,
	};
}

static int fail(struct record_store *rs, int err)
{
	cli_error("cannot write '%s': %s", rs->path, strerror(-err));
	return EXIT_FAILURE_RUNTIME;
}

/*
 * Insert entry @i of @t; its id in rs->stack_ids[@table][@i].  Even without
 * a count yet (malloc(0)): later samples of the entry add to it.
 */
static int insert_stack(struct record_store *rs, unsigned table, struct stack_table *t, size_t i)
{
	struct profile_frame frames[RECORD_FRAMES_MAX_PER_ADDR];
	struct stack_entry e;
	size_t n = 0, j, k, got, skip;
	int64_t id;

	stack_table__get(t, i, &e);
	rs->stack_ids[table][i] = 0;
	for (j = e.nr_frames; j > 0; j--) {
		got = record_frames__get(rs->rf, e.pid, &e.frames[j - 1], frames);
		if (n + got > rs->cap_frame_ids) {
			rs->cap_frame_ids = 2 * (n + got);
			rs->frame_ids = xreallocarray(rs->frame_ids, rs->cap_frame_ids,
						      sizeof(*rs->frame_ids));
		}
		for (k = 0; k < got; k++) {
			id = profile_store__frame(rs->store, &frames[k]);
			if (id < 0)
				return (int)id;
			rs->frame_ids[n++] = id;
		}
	}
	/* outermost first: the innermost max_frames are the last ones */
	skip = rs->max_frames && n > rs->max_frames ? n - rs->max_frames : 0;
	id = profile_store__stack(rs->store, e.pid, e.tid, e.comm, rs->frame_ids + skip, n - skip);
	if (id < 0)
		return (int)id;
	rs->stack_ids[table][i] = id;
	return 0;
}

/* The entries first seen since the last commit. */
static int insert_new_stacks(struct record_store *rs, struct stack_table *const *tables,
			     const struct process_table *pt)
{
	unsigned t;
	size_t i, n;
	int err;

	if (!rs->rf)
		rs->rf = record_frames__new(rs->sym, pt);
	for (t = 0; t < RECORD_STORE_TABLES; t++) {
		if (!tables[t])
			continue;
		n = stack_table__size(tables[t]);
		if (n == rs->nr_done[t])
			continue;
		record_frames__add(rs->rf, tables[t], rs->nr_done[t], n, false);
		rs->stack_ids[t] = xreallocarray(rs->stack_ids[t], n, sizeof(*rs->stack_ids[t]));
		for (i = rs->nr_done[t]; i < n; i++) {
			err = insert_stack(rs, t, tables[t], i);
			if (err)
				return err;
		}
		rs->nr_done[t] = n;
	}
	return 0;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->table != y->table)
		return (x->table > y->table) - (x->table < y->table);
	if (x->entry != y->entry)
		return (x->entry > y->entry) - (x->entry < y->entry);
	if (x->bucket != y->bucket)
		return (x->bucket > y->bucket) - (x->bucket < y->bucket);
	return (x->event > y->event) - (x->event < y->event);
}

static int add_pending(struct record_store *rs)
{
	size_t i;
	int err = 0;

	if (!rs->nr_pending)
		return 0;
	qsort(rs->pending, rs->nr_pending, sizeof(*rs->pending), cmp_pending);
	for (i = 0; !err && i < rs->nr_pending; i++) {
		struct pending *p = &rs->pending[i];
		uint64_t w = p->weight;
		int64_t id;

		while (i + 1 < rs->nr_pending && !cmp_pending(p, &rs->pending[i + 1]))
			w += rs->pending[++i].weight;
		id = p->entry < rs->nr_done[p->table] ? rs->stack_ids[p->table][p->entry] : 0;
		if (id > 0)
			err = profile_store__add_weight(rs->store, id, p->bucket,
							event_names[p->event], w);
	}
	rs->nr_pending = 0;
	return err;
}

int record_store__commit(struct record_store *rs, struct stack_table *const *tables,
			 const struct process_table *pt)
{
	int err;

	err = insert_new_stacks(rs, tables, pt);
	err = err ?: add_pending(rs);
	err = err ?: profile_store__commit(rs->store);
	return err ? fail(rs, err) : EXIT_OK;
}

int record_store__finish(struct record_store *rs, struct stack_table *const *tables,
			 const struct process_table *pt, const struct store_end *end,
			 bool final_counts, enum record_store_event event)
{
	unsigned t;
	size_t i;
	int err;

	err = insert_new_stacks(rs, tables, pt);
	if (!err && final_counts) {
		rs->nr_pending = 0;
		for (t = 0; !err && t < RECORD_STORE_TABLES; t++) {
			for (i = 0; !err && tables[t] && i < rs->nr_done[t]; i++) {
				struct stack_entry e;

				stack_table__get(tables[t], i, &e);
				if (e.count && rs->stack_ids[t][i] > 0)
					err = profile_store__add_weight(
						rs->store, rs->stack_ids[t][i], 0,
						event_names[event], e.count);
			}
		}
	}
	err = err ?: add_pending(rs);
	err = err ?: profile_store__finish(rs->store, end);
	return err ? fail(rs, err) : EXIT_OK;
}
