// SPDX-License-Identifier: Apache-2.0
#include "collapse/stack_counts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/number.h"
#include "common/xalloc.h"

#define CHUNK_SIZE (1u << 20)

struct entry {
	const char *stack;
	size_t len;
	uint64_t hash;
	double count;
};

struct stack_counts {
	struct entry *entries;
	size_t count, cap;
	uint32_t *slots; /* index + 1 into entries, 0 = empty */
	size_t mask;
	char **chunks;
	size_t nchunks;
	char *chunk_pos;
	size_t chunk_left;
	double total;
};

struct stack_counts *stack_counts__new(void)
{
	struct stack_counts *sc = xcalloc(1, sizeof(*sc));

	sc->mask = 4095;
	sc->slots = xcalloc(sc->mask + 1, sizeof(*sc->slots));
	return sc;
}

void stack_counts__free(struct stack_counts *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->nchunks; i++)
		free(sc->chunks[i]);
	free(sc->chunks);
	free(sc->slots);
	free(sc->entries);
	free(sc);
}

static const char *store(struct stack_counts *sc, const char *s, size_t len)
{
	char *p;

	if (len + 1 > sc->chunk_left) {
		size_t size = len + 1 > CHUNK_SIZE / 4 ? len + 1 : CHUNK_SIZE;

		sc->chunks = xreallocarray(sc->chunks, sc->nchunks + 1, sizeof(*sc->chunks));
		p = xmalloc(size);
		sc->chunks[sc->nchunks++] = p;
		if (size != CHUNK_SIZE) {
			memcpy(p, s, len);
			p[len] = '\0';
			return p;
		}
		sc->chunk_pos = p;
		sc->chunk_left = size;
	}
	p = sc->chunk_pos;
	memcpy(p, s, len);
	p[len] = '\0';
	sc->chunk_pos += len + 1;
	sc->chunk_left -= len + 1;
	return p;
}

static void rehash(struct stack_counts *sc)
{
	size_t mask = sc->mask * 2 + 1, i;
	uint32_t *slots = xcalloc(mask + 1, sizeof(*slots));

	for (i = 0; i < sc->count; i++) {
		size_t pos = sc->entries[i].hash & mask;

		while (slots[pos])
			pos = (pos + 1) & mask;
		slots[pos] = i + 1;
	}
	free(sc->slots);
	sc->slots = slots;
	sc->mask = mask;
}

static void add_hashed(struct stack_counts *sc, const char *stack, size_t len, uint64_t hash,
		       double count)
{
	size_t pos = hash & sc->mask;
	struct entry *e;

	for (;;) {
		uint32_t slot = sc->slots[pos];

		if (!slot)
			break;
		e = &sc->entries[slot - 1];
		if (e->hash == hash && e->len == len && !memcmp(e->stack, stack, len)) {
			e->count += count;
			sc->total += count;
			return;
		}
		pos = (pos + 1) & sc->mask;
	}
	if (sc->count == sc->cap) {
		sc->cap = fs_grow_capacity(sc->cap, sc->count + 1);
		sc->entries = xreallocarray(sc->entries, sc->cap, sizeof(*sc->entries));
	}
	e = &sc->entries[sc->count];
	e->stack = store(sc, stack, len);
	e->len = len;
	e->hash = hash;
	e->count = count;
	sc->total += count;
	sc->slots[pos] = ++sc->count;
	if (sc->count * 4 > (sc->mask + 1) * 3)
		rehash(sc);
}

void stack_counts__add(struct stack_counts *sc, const char *stack, size_t len, double count)
{
	add_hashed(sc, stack, len, fs_hash_bytes(stack, len, 0), count);
}

void stack_counts__merge(struct stack_counts *into, const struct stack_counts *from)
{
	size_t i;

	for (i = 0; i < from->count; i++) {
		const struct entry *e = &from->entries[i];

		add_hashed(into, e->stack, e->len, e->hash, e->count);
	}
}

size_t stack_counts__size(const struct stack_counts *sc)
{
	return sc->count;
}

double stack_counts__total(const struct stack_counts *sc)
{
	return sc->total;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->stack, y->stack, n);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

int stack_counts__for_each_sorted(const struct stack_counts *sc, stack_counts_fn fn, void *ctx)
{
	const struct entry **order = xmalloc((sc->count ? sc->count : 1) * sizeof(*order));
	size_t i;
	int ret = 0;

	for (i = 0; i < sc->count; i++)
		order[i] = &sc->entries[i];
	qsort(order, sc->count, sizeof(*order), cmp_entry);
	for (i = 0; i < sc->count && !ret; i++)
		ret = fn(order[i]->stack, order[i]->len, order[i]->count, ctx);
	free(order);
	return ret;
}

static int write_line(const char *stack, size_t len, double count, void *ctx)
{
	FILE *out = ctx;
	char num[FS_COUNT_BUFSIZE + 2];
	size_t n;

	num[0] = ' ';
	n = 1 + fs_format_count(count, num + 1, sizeof(num) - 2);
	num[n++] = '\n';

	if (fwrite(stack, 1, len, out) != len || fwrite(num, 1, n, out) != n)
		return errno ? -errno : -EIO;
	return 0;
}

int stack_counts__write(const struct stack_counts *sc, FILE *out)
{
	errno = 0;
	return stack_counts__for_each_sorted(sc, write_line, out);
}
