/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COLLAPSE_DIFF_FOLDED_H
#define FLAMESAMP_COLLAPSE_DIFF_FOLDED_H

/*
 * Differential folded stacks: two profiles in, "STACK BEFORE AFTER" lines out,
 * the input of a differential flame graph (FlameGraph's difffolded.pl,
 * inferno-diff-folded).
 *
 * Input lines are read as inferno reads them, so results match its test
 * data: the count is what follows the last space, trailing blanks (CRLF
 * included) are ignored, and a fractional count is truncated to an integer
 * ("14.9" counts 14) with one warning per diff.  A line without a readable
 * count is skipped with a warning; it is not an error.  Counts are whole
 * numbers up to 2^64 - 1; a total beyond that is an error (-EOVERFLOW).
 *
 * Output is sorted bytewise by stack.  The peer tools print in hash order,
 * which differs from run to run; sorting gives the same lines, in an order
 * that can be diffed and tested.
 *
 * Typical use:
 *     struct diff_folded *df = diff_folded__new(&opts);
 *     diff_folded__add(df, DIFF_BEFORE, before, before_len, "before.txt");
 *     diff_folded__add(df, DIFF_AFTER, after, after_len, "after.txt");
 *     diff_folded__write(df, stdout);
 *     diff_folded__free(df);
 * Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum diff_side {
	DIFF_BEFORE = 0,
	DIFF_AFTER = 1,
};

struct diff_folded_options {
	/*
	 * Scale the BEFORE counts so that their total equals the AFTER total
	 * (-n): count * after_total / before_total, truncated, as both peers
	 * do.  Nothing changes when a total is 0.
	 */
	bool normalize;
	/* Replace every "0x" + hex digits in stacks with "0x..." (-s), merging stacks that
	 * differ only by addresses. */
	bool strip_hex;
};

struct diff_folded_stats {
	uint64_t lines[2];	   /* lines read, per side */
	uint64_t skipped_lines[2]; /* lines without a readable count, per side */
	uint64_t total[2];	   /* sum of counts, per side (before normalising) */
	bool truncated_fractions;  /* some count had a non-zero fraction */
};

struct diff_folded;

/* @opts is copied; NULL means all options off. Cannot fail. */
struct diff_folded *diff_folded__new(const struct diff_folded_options *opts);
void diff_folded__free(struct diff_folded *df);

/*
 * Add the folded lines of @data (@len bytes; need not end in '\n') to side
 * @side.  @name labels warnings ("before.txt: line 3: ...").  May be called
 * several times per side.  0, or -EOVERFLOW if a total no longer fits.
 */
int diff_folded__add(struct diff_folded *df, enum diff_side side, const char *data, size_t len,
		     const char *name);

/* Write all "STACK BEFORE AFTER\n" lines, sorted. 0, or -errno on a write error. */
int diff_folded__write(const struct diff_folded *df, FILE *out);

/* Counters for the caller's report; valid until diff_folded__free(). */
const struct diff_folded_stats *diff_folded__stats(const struct diff_folded *df);

#endif
