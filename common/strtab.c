// SPDX-License-Identifier: Apache-2.0
#include "common/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/xalloc.h"

#define CHUNK_SIZE (1u << 20)

struct entry {
	const char *str;
	size_t len;
	uint32_t hash32;
};

struct strtab {
	struct entry *entries; /* by id */
	size_t count, cap;
	uint32_t *slots; /* open addressing: id + 1, 0 = empty */
	size_t mask;
	char **chunks;
	size_t nchunks;
	char *chunk_pos;
	size_t chunk_left;
};

struct strtab *strtab__new(void)
{
	struct strtab *t = xcalloc(1, sizeof(*t));

	t->mask = 1023;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	return t;
}

void strtab__free(struct strtab *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->slots);
	free(t->entries);
	free(t);
}

static char *store(struct strtab *t, const char *s, size_t len)
{
	char *p;

	if (len + 1 > t->chunk_left) {
		size_t size = len + 1 > CHUNK_SIZE / 4 ? len + 1 : CHUNK_SIZE;

		t->chunks = xreallocarray(t->chunks, t->nchunks + 1, sizeof(*t->chunks));
		p = xmalloc(size);
		t->chunks[t->nchunks++] = p;
		if (size != CHUNK_SIZE) {
			/* a big string gets its own block; keep filling the current one */
			memcpy(p, s, len);
			p[len] = '\0';
			return p;
		}
		t->chunk_pos = p;
		t->chunk_left = size;
	}
	p = t->chunk_pos;
	memcpy(p, s, len);
	p[len] = '\0';
	t->chunk_pos += len + 1;
	t->chunk_left -= len + 1;
	return p;
}

static void rehash(struct strtab *t)
{
	size_t mask = t->mask * 2 + 1, i;
	uint32_t *slots = xcalloc(mask + 1, sizeof(*slots));

	for (i = 0; i < t->count; i++) {
		size_t pos = t->entries[i].hash32 & mask;

		while (slots[pos])
			pos = (pos + 1) & mask;
		slots[pos] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = mask;
}

static size_t lookup(const struct strtab *t, const char *s, size_t len, uint32_t h)
{
	size_t pos = h & t->mask;

	for (;;) {
		uint32_t slot = t->slots[pos];
		const struct entry *e;

		if (!slot)
			return pos;
		e = &t->entries[slot - 1];
		if (e->hash32 == h && e->len == len && !memcmp(e->str, s, len))
			return pos;
		pos = (pos + 1) & t->mask;
	}
}

int64_t strtab__find(const struct strtab *t, const char *s, size_t len)
{
	uint32_t h = (uint32_t)fs_hash_bytes(s, len, 0);
	uint32_t slot = t->slots[lookup(t, s, len, h)];

	return slot ? (int64_t)slot - 1 : -1;
}

uint32_t strtab__intern(struct strtab *t, const char *s, size_t len)
{
	uint32_t h = (uint32_t)fs_hash_bytes(s, len, 0);
	size_t pos = lookup(t, s, len, h);
	struct entry *e;

	if (t->slots[pos])
		return t->slots[pos] - 1;
	if (t->count == t->cap) {
		t->cap = fs_grow_capacity(t->cap, t->count + 1);
		t->entries = xreallocarray(t->entries, t->cap, sizeof(*t->entries));
	}
	e = &t->entries[t->count];
	e->str = store(t, s, len);
	e->len = len;
	e->hash32 = h;
	t->slots[pos] = ++t->count;
	if (t->count * 4 > (t->mask + 1) * 3)
		rehash(t);
	return t->count - 1;
}

const char *strtab__str(const struct strtab *t, uint32_t id, size_t *len)
{
	if (len)
		*len = t->entries[id].len;
	return t->entries[id].str;
}

size_t strtab__count(const struct strtab *t)
{
	return t->count;
}
