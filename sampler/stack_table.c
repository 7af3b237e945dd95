// SPDX-License-Identifier: Apache-2.0
#include "sampler/stack_table.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/xalloc.h"

/*
 * Each key is serialized into bytes and interned: the string table does the
 * hashing and stores every distinct key once.
 * Layout: pid, tid, comm length (u32), frames (u32 dso, u64 addr packed as
 * 12 bytes each), comm bytes.
 */
struct stack_table {
	struct strtab *keys;
	uint64_t *counts;
	size_t cap;
	struct strbuf key;
	struct sampler_frame *frames; /* decoded frames of the last get */
	size_t cap_frames;
};

struct key_head {
	int32_t pid, tid;
	uint32_t comm_len, nr_frames;
};

struct stack_table *stack_table__new(void)
{
	struct stack_table *t = xcalloc(1, sizeof(*t));

	t->keys = strtab__new();
	t->key = (struct strbuf)STRBUF_INIT;
	return t;
}

void stack_table__free(struct stack_table *t)
{
	if (!t)
		return;
	strtab__free(t->keys);
	strbuf_release(&t->key);
	free(t->counts);
	free(t->frames);
	free(t);
}

size_t stack_table__add(struct stack_table *t, const char *comm, pid_t pid, pid_t tid,
			const struct sampler_frame *frames, size_t nr_frames, uint64_t count)
{
	struct key_head head = {.pid = pid, .tid = tid};
	size_t i, comm_len = strlen(comm);
	uint32_t id;

	head.comm_len = (uint32_t)comm_len;
	head.nr_frames = (uint32_t)nr_frames;
	strbuf_reset(&t->key);
	strbuf_add(&t->key, &head, sizeof(head));
	for (i = 0; i < nr_frames; i++) {
		strbuf_add(&t->key, &frames[i].dso, 4);
		strbuf_add(&t->key, &frames[i].addr, 8);
	}
	strbuf_add(&t->key, comm, comm_len);
	id = strtab__intern(t->keys, t->key.buf, t->key.len);
	if (id >= t->cap) {
		size_t old = t->cap;

		t->cap = fs_grow_capacity(t->cap, (size_t)id + 1);
		t->counts = xreallocarray(t->counts, t->cap, sizeof(*t->counts));
		memset(t->counts + old, 0, (t->cap - old) * sizeof(*t->counts));
	}
	t->counts[id] += count;
	return id;
}

void stack_table__sub(struct stack_table *t, size_t id, uint64_t count)
{
	if (id < strtab__count(t->keys))
		t->counts[id] = t->counts[id] > count ? t->counts[id] - count : 0;
}

size_t stack_table__size(const struct stack_table *t)
{
	return strtab__count(t->keys);
}

void stack_table__get(struct stack_table *t, size_t i, struct stack_entry *e)
{
	const char *key = strtab__str(t->keys, (uint32_t)i, NULL);
	struct key_head head;
	size_t f;

	memcpy(&head, key, sizeof(head));
	key += sizeof(head);
	if (head.nr_frames > t->cap_frames) {
		t->cap_frames = head.nr_frames;
		t->frames = xreallocarray(t->frames, t->cap_frames, sizeof(*t->frames));
	}
	for (f = 0; f < head.nr_frames; f++, key += 12) {
		memcpy(&t->frames[f].dso, key, 4);
		memcpy(&t->frames[f].addr, key + 4, 8);
	}
	e->pid = head.pid;
	e->tid = head.tid;
	e->comm = key; /* strtab strings are NUL-terminated */
	e->nr_frames = head.nr_frames;
	e->frames = t->frames;
	e->count = t->counts[i];
}
