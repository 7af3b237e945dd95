/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COLLAPSE_STACK_COUNTS_H
#define FLAMESAMP_COLLAPSE_STACK_COUNTS_H

/*
 * Aggregation of folded stacks: "frame;frame;frame" -> weight.
 *
 * Every importer adds its stacks here and the result is written as folded
 * lines ("STACK COUNT\n") sorted bytewise by stack, the order Perl's sort
 * gives stackcollapse-*.pl output, so output is byte-identical to those tools.
 *
 * Weights are doubles, as in the Perl tools: sums of whole numbers are exact up
 * to 2^53, fractional weights (from folded input) are kept, and
 * fs_format_count() prints them the way Perl does.
 * Not thread-safe; one table per thread, then stack_counts__merge().
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct stack_counts;

struct stack_counts *stack_counts__new(void);
void stack_counts__free(struct stack_counts *sc);

/* Add @count to the stack of @len bytes at @stack (any bytes but '\n'). */
void stack_counts__add(struct stack_counts *sc, const char *stack, size_t len, double count);
/* Add every stack of @from into @into; @from is unchanged. */
void stack_counts__merge(struct stack_counts *into, const struct stack_counts *from);

/* Number of distinct stacks. */
size_t stack_counts__size(const struct stack_counts *sc);
/* Sum of all weights. */
double stack_counts__total(const struct stack_counts *sc);

typedef int (*stack_counts_fn)(const char *stack, size_t len, double count, void *ctx);
/*
 * Call @fn for every stack in bytewise order of the stack strings.  Stops at
 * the first non-zero return of @fn and returns it; 0 otherwise.
 */
int stack_counts__for_each_sorted(const struct stack_counts *sc, stack_counts_fn fn, void *ctx);
/* Write "STACK COUNT\n" lines in sorted order. 0, or -errno on a write error. */
int stack_counts__write(const struct stack_counts *sc, FILE *out);

#endif
