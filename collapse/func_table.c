// SPDX-License-Identifier: Apache-2.0
#include "collapse/func_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/u64_map.h"
#include "common/xalloc.h"

struct func {
	double self, total;
	uint64_t stamp; /* the last stack that counted this function's total */
};

/* A call from @caller to @callee seen in some stack. */
struct call {
	uint32_t caller, callee;
	double weight;
	uint64_t stamp; /* the last stack that counted it */
};

struct func_table {
	struct strtab *names;
	struct func *funcs; /* by id; as many as names */
	size_t cap_funcs;
	struct call *calls;
	size_t nr_calls, cap_calls;
	struct u64_map call_index; /* caller << 32 | callee -> index + 1 in calls */
	double total;
	uint64_t stamp; /* stacks added so far, never reset: stamps stay unique */
	struct func_row *rows;
	size_t cap_rows;
};

struct func_table *func_table__new(void)
{
	struct func_table *t = xcalloc(1, sizeof(*t));

	t->names = strtab__new();
	return t;
}

void func_table__free(struct func_table *t)
{
	if (!t)
		return;
	strtab__free(t->names);
	free(t->funcs);
	free(t->calls);
	u64_map__release(&t->call_index);
	free(t->rows);
	free(t);
}

uint32_t func_table__intern(struct func_table *t, const char *name, size_t len)
{
	uint32_t id = strtab__intern(t->names, name, len);

	if (id >= t->cap_funcs) {
		size_t cap = t->cap_funcs ? 2 * t->cap_funcs : 256;

		while (cap <= id)
			cap *= 2;
		t->funcs = xreallocarray(t->funcs, cap, sizeof(*t->funcs));
		memset(t->funcs + t->cap_funcs, 0, (cap - t->cap_funcs) * sizeof(*t->funcs));
		t->cap_funcs = cap;
	}
	return id;
}

const char *func_table__name(const struct func_table *t, uint32_t id)
{
	if (id >= strtab__count(t->names))
		return "";
	return strtab__str(t->names, id, NULL);
}

static struct call *find_call(struct func_table *t, uint32_t caller, uint32_t callee)
{
	uint64_t key = (uint64_t)caller << 32 | callee;
	void *v = u64_map__get(&t->call_index, key);

	if (v)
		return &t->calls[(uintptr_t)v - 1];
	if (t->nr_calls == t->cap_calls) {
		t->cap_calls = t->cap_calls ? 2 * t->cap_calls : 256;
		t->calls = xreallocarray(t->calls, t->cap_calls, sizeof(*t->calls));
	}
	t->calls[t->nr_calls] = (struct call){caller, callee, 0, 0};
	u64_map__set(&t->call_index, key, (void *)(uintptr_t)(t->nr_calls + 1));
	return &t->calls[t->nr_calls++];
}

void func_table__add(struct func_table *t, const uint32_t *funcs, size_t n, double weight)
{
	uint64_t stamp = ++t->stamp;
	size_t i;

	t->total += weight;
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		struct func *f = &t->funcs[funcs[i]];

		/* recursion: a function is in a stack once, however often it repeats */
		if (f->stamp != stamp) {
			f->stamp = stamp;
			f->total += weight;
		}
		if (i > 0) {
			struct call *c = find_call(t, funcs[i - 1], funcs[i]);

			if (c->stamp != stamp) {
				c->stamp = stamp;
				c->weight += weight;
			}
		}
	}
	t->funcs[funcs[n - 1]].self += weight;
}

void func_table__clear(struct func_table *t)
{
	size_t i, n = strtab__count(t->names);

	for (i = 0; i < n; i++) {
		t->funcs[i].self = 0;
		t->funcs[i].total = 0;
	}
	for (i = 0; i < t->nr_calls; i++)
		t->calls[i].weight = 0;
	t->total = 0;
}

double func_table__total(const struct func_table *t)
{
	return t->total;
}

void func_table__weights(const struct func_table *t, uint32_t func, double *self, double *total)
{
	bool known = func < strtab__count(t->names);

	*self = known ? t->funcs[func].self : 0;
	*total = known ? t->funcs[func].total : 0;
}

static struct func_row *row_slot(struct func_table *t, size_t n)
{
	if (n >= t->cap_rows) {
		t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 256;
		while (t->cap_rows <= n)
			t->cap_rows *= 2;
		t->rows = xreallocarray(t->rows, t->cap_rows, sizeof(*t->rows));
	}
	return &t->rows[n];
}

/* qsort has no context argument: the table being sorted, set around each call */
static const struct func_table *sorting;
static enum func_sort sorting_by;

static int cmp_desc(double a, double b)
{
	return (a < b) - (a > b);
}

static int cmp_row(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;
	int c;

	if (sorting_by == FUNC_SORT_SELF) {
		c = cmp_desc(x->self, y->self);
		if (!c)
			c = cmp_desc(x->total, y->total);
	} else {
		c = cmp_desc(x->total, y->total);
		if (!c)
			c = cmp_desc(x->self, y->self);
	}
	if (!c)
		c = strcmp(func_table__name(sorting, x->func), func_table__name(sorting, y->func));
	return c;
}

static void sort_rows(struct func_table *t, size_t n, enum func_sort sort)
{
	sorting = t;
	sorting_by = sort;
	if (n > 1)
		qsort(t->rows, n, sizeof(*t->rows), cmp_row);
	sorting = NULL;
}

size_t func_table__rows(struct func_table *t, enum func_sort sort, const struct func_row **rows)
{
	size_t i, n = 0, count = strtab__count(t->names);

	for (i = 0; i < count; i++) {
		if (t->funcs[i].total == 0)
			continue;
		*row_slot(t, n++) =
			(struct func_row){(uint32_t)i, t->funcs[i].self, t->funcs[i].total};
	}
	sort_rows(t, n, sort);
	*rows = t->rows;
	return n;
}

static size_t neighbours(struct func_table *t, uint32_t func, bool callers,
			 const struct func_row **rows)
{
	size_t i, n = 0;

	for (i = 0; i < t->nr_calls; i++) {
		const struct call *c = &t->calls[i];

		if (c->weight == 0 || (callers ? c->callee : c->caller) != func)
			continue;
		*row_slot(t, n++) =
			(struct func_row){callers ? c->caller : c->callee, c->weight, c->weight};
	}
	sort_rows(t, n, FUNC_SORT_TOTAL);
	*rows = t->rows;
	return n;
}

size_t func_table__callers(struct func_table *t, uint32_t func, const struct func_row **rows)
{
	return neighbours(t, func, true, rows);
}

size_t func_table__callees(struct func_table *t, uint32_t func, const struct func_row **rows)
{
	return neighbours(t, func, false, rows);
}
