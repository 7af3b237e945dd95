/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COLLAPSE_FUNC_TABLE_H
#define FLAMESAMP_COLLAPSE_FUNC_TABLE_H

/*
 * Per-function weights of a set of weighted stacks, as a top-like table:
 *
 *   self   the weight of the stacks whose leaf is the function
 *   total  the weight of the stacks that hold the function anywhere, counted
 *          once per stack however often recursion repeats it
 *
 * and, for one function F, its callers (the functions directly below F, i.e.
 * nearer the root, in a stack) and callees (directly above F), each with the
 * weight of the stacks in which that call appears (once per stack).
 *
 * Names are interned once and keep their ids across func_table__clear(), so
 * a caller that sees the same stacks again and again (a live view adding
 * weight to the stacks it already knows) names each stack once, keeps its
 * ids, and re-adds every stack with its current weight after a clear.
 *
 *     t = func_table__new();
 *     id = func_table__intern(t, "main", 4);            (for each frame name)
 *     func_table__add(t, ids, n, weight);               (outermost first)
 *     n = func_table__rows(t, FUNC_SORT_SELF, &rows);
 *     func_table__clear(t);                             (weights to 0, names kept)
 *     func_table__free(t);
 *
 * Pure: no I/O.  Not thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

struct func_table;

struct func_table *func_table__new(void);
/* NULL does nothing. */
void func_table__free(struct func_table *t);

/* The id of the function named by @len bytes at @name, adding it if new (ids are dense). */
uint32_t func_table__intern(struct func_table *t, const char *name, size_t len);
/* The name of @id; valid until func_table__free(). */
const char *func_table__name(const struct func_table *t, uint32_t id);

/*
 * Add a stack of @n function ids, @funcs[0] the outermost and @funcs[n - 1]
 * the leaf, with @weight.  An empty stack counts in the total weight only.
 */
void func_table__add(struct func_table *t, const uint32_t *funcs, size_t n, double weight);

/* Forget every weight (names and ids stay). */
void func_table__clear(struct func_table *t);

/* The weight of every stack added since the last clear. */
double func_table__total(const struct func_table *t);

enum func_sort {
	FUNC_SORT_SELF,	 /* self descending, then total descending, then name */
	FUNC_SORT_TOTAL, /* total descending, then self descending, then name */
};

struct func_row {
	uint32_t func;
	double self, total; /* for callers and callees: both the weight of the call */
};

/*
 * The functions with a non-zero total, sorted; *@rows points into @t and is
 * valid until the next call on @t other than func_table__name().  Returns
 * the number of rows.
 */
size_t func_table__rows(struct func_table *t, enum func_sort sort, const struct func_row **rows);

/*
 * The callers (functions directly below @func) or the callees (directly
 * above) of @func with the weight of the stacks holding that call, heaviest
 * first; *@rows as for func_table__rows().  A recursive call of @func by
 * itself is both a caller and a callee.
 */
size_t func_table__callers(struct func_table *t, uint32_t func, const struct func_row **rows);
size_t func_table__callees(struct func_table *t, uint32_t func, const struct func_row **rows);

/* The self and total weight of @func (0 for an unknown id). */
void func_table__weights(const struct func_table *t, uint32_t func, double *self, double *total);

#endif
