// SPDX-License-Identifier: Apache-2.0
#include "collapse/stack_counts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "common/strtab.h"
#include "common/xalloc.h"

/* Stacks are interned strings; their weights are indexed by the string's id. */
struct stack_counts {
	struct strtab *stacks;
	double *counts;
	size_t cap;
	double total;
};

struct stack_counts *stack_counts__new(void)
{
	struct stack_counts *sc = xcalloc(1, sizeof(*sc));

	sc->stacks = strtab__new();
	return sc;
}

void stack_counts__free(struct stack_counts *sc)
{
	if (!sc)
		return;
	strtab__free(sc->stacks);
	free(sc->counts);
	free(sc);
}

void stack_counts__add(struct stack_counts *sc, const char *stack, size_t len, double count)
{
	uint32_t id = strtab__intern(sc->stacks, stack, len);

	if (id >= sc->cap) {
		size_t cap = fs_grow_capacity(sc->cap, (size_t)id + 1);

		sc->counts = xreallocarray(sc->counts, cap, sizeof(*sc->counts));
		memset(sc->counts + sc->cap, 0, (cap - sc->cap) * sizeof(*sc->counts));
		sc->cap = cap;
	}
	sc->counts[id] += count;
	sc->total += count;
}

void stack_counts__merge(struct stack_counts *into, const struct stack_counts *from)
{
	size_t n = strtab__count(from->stacks), i, len;

	for (i = 0; i < n; i++) {
		const char *stack = strtab__str(from->stacks, i, &len);

		stack_counts__add(into, stack, len, from->counts[i]);
	}
}

size_t stack_counts__size(const struct stack_counts *sc)
{
	return strtab__count(sc->stacks);
}

double stack_counts__total(const struct stack_counts *sc)
{
	return sc->total;
}

/*
 * Sorting compares a big-endian copy of the first 8 bytes before calling
 * memcmp(): folded stacks share long prefixes, and most comparisons are
 * decided there without touching the strings.  Zero padding keeps a short
 * string ahead of its extensions; equal prefixes fall back to the bytes.
 */
struct sort_key {
	uint64_t prefix;
	const char *stack;
	size_t len;
	uint32_t id;
};

static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	size_t n;
	int c;

	if (x->prefix != y->prefix)
		return (x->prefix > y->prefix) - (x->prefix < y->prefix);
	n = x->len < y->len ? x->len : y->len;
	c = memcmp(x->stack, y->stack, n);
	if (c)
		return (c > 0) - (c < 0);
	return (x->len > y->len) - (x->len < y->len);
}

int stack_counts__for_each_sorted(const struct stack_counts *sc, stack_counts_fn fn, void *ctx)
{
	size_t n = strtab__count(sc->stacks), i, j;
	struct sort_key *keys = xreallocarray(NULL, n ? n : 1, sizeof(*keys));
	int ret = 0;

	for (i = 0; i < n; i++) {
		struct sort_key *k = &keys[i];

		k->stack = strtab__str(sc->stacks, i, &k->len);
		k->id = i;
		k->prefix = 0;
		for (j = 0; j < 8; j++)
			k->prefix = k->prefix << 8 | (j < k->len ? (unsigned char)k->stack[j] : 0);
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 0; i < n && !ret; i++)
		ret = fn(keys[i].stack, keys[i].len, sc->counts[keys[i].id], ctx);
	free(keys);
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
