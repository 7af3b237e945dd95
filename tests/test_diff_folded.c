// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse/diff_folded: two folded profiles to "STACK BEFORE AFTER". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collapse/diff_folded.h"

static char *diff(bool normalize, bool strip_hex, const char *before, const char *after,
		  struct diff_folded_stats *stats)
{
	struct diff_folded_options opts = {.normalize = normalize, .strip_hex = strip_hex};
	struct diff_folded *df = diff_folded__new(&opts);
	char *out = NULL;
	size_t size;
	FILE *f;

	assert_int_equal(diff_folded__add(df, DIFF_BEFORE, before, strlen(before), "before"), 0);
	assert_int_equal(diff_folded__add(df, DIFF_AFTER, after, strlen(after), "after"), 0);
	f = open_memstream(&out, &size);
	assert_int_equal(diff_folded__write(df, f), 0);
	fclose(f);
	if (stats)
		*stats = *diff_folded__stats(df);
	diff_folded__free(df);
	return out;
}

static void check(bool normalize, bool strip_hex, const char *before, const char *after,
		  const char *expected)
{
	char *out = diff(normalize, strip_hex, before, after, NULL);

	assert_string_equal(out, expected);
	free(out);
}

static void test_default(void **state)
{
	/* union of stacks, 0 where a side lacks one, sorted bytewise */
	check(false, false, "main;b 2\nmain;a 3\nmain;a 1\n", "main;c 4\nmain;a 5\n",
	      "main;a 4 5\nmain;b 2 0\nmain;c 0 4\n");
}

static void test_normalize(void **state)
{
	/* before total 4, after total 10: before counts * 10 / 4, truncated */
	check(true, false, "a 1\nb 3\n", "a 5\nb 5\n", "a 2 5\nb 7 5\n");
	/* equal totals: unchanged */
	check(true, false, "a 1\nb 3\n", "a 2\nb 2\n", "a 1 2\nb 3 2\n");
	/* an empty BEFORE: nothing to scale */
	check(true, false, "", "a 2\n", "a 0 2\n");
}

static void test_strip_hex(void **state)
{
	check(false, true, "x;0x1234abcd;y 1\nx;0xFFFF;y 2\nf+0x1f 1\n", "x;0xdead;y 4\n0x z 1\n",
	      "0x z 0 1\nf+0x... 1 0\nx;0x...;y 3 4\n");
	/* without -s the addresses keep stacks apart */
	check(false, false, "x;0x1;y 1\n", "x;0x2;y 1\n", "x;0x1;y 1 0\nx;0x2;y 0 1\n");
}

static void test_counts(void **state)
{
	struct diff_folded_stats st;
	char *out;

	/* fractions are truncated (inferno), "5." and "+5" read as 5 */
	out = diff(false, false, "a 14.9\nb 20.\nc +5\nd 1.0\n", "a 1\n", &st);
	assert_string_equal(out, "a 14 1\nb 20 0\nc 5 0\nd 1 0\n");
	assert_true(st.truncated_fractions);
	assert_int_equal(st.total[DIFF_BEFORE], 40);
	free(out);
	out = diff(false, false, "d 1.0\n", "d 2\n", &st);
	assert_false(st.truncated_fractions); /* a zero fraction loses nothing */
	free(out);
}

static void test_line_endings_and_bad_lines(void **state)
{
	struct diff_folded_stats st;
	char *out;

	out = diff(false, false,
		   "a;b 1\r\n"
		   "no count\n"
		   "\n"
		   "tab\t3\n"
		   "trailing 4 \n"
		   "neg -1\n"
		   "frac .5\n"
		   "c;d 2",
		   "a;b 7\n", &st);
	assert_string_equal(out, "a;b 1 7\nc;d 2 0\n");
	assert_int_equal(st.lines[DIFF_BEFORE], 8);
	assert_int_equal(st.skipped_lines[DIFF_BEFORE], 6);
	assert_int_equal(st.skipped_lines[DIFF_AFTER], 0);
	free(out);
}

static void test_blank_before_count_and_empty_stack(void **state)
{
	/* inferno trims the stack; " 5" is an empty stack, as in both peers */
	check(false, false, "a;b   3\n 5\n", "a;b 1\n", " 5 0\na;b 3 1\n");
}

/*
 * Regression (fuzzing): with -s, an empty stack as the first line left the
 * scratch buffer untouched (NULL) and memcpy(NULL, 0) was reached in strtab.
 */
static void test_strip_hex_empty_stack(void **state)
{
	check(false, true, " 5\n", " 7\n0x1f;a 2\n", " 5 7\n0x...;a 0 2\n");
}

static void test_overflow(void **state)
{
	struct diff_folded *df = diff_folded__new(NULL);
	static const char big[] = "a 18446744073709551615\nb 1\n";
	static const char too_big[] = "a 18446744073709551616\n";

	assert_int_equal(diff_folded__add(df, DIFF_BEFORE, too_big, strlen(too_big), "x"), 0);
	assert_int_equal(diff_folded__stats(df)->skipped_lines[DIFF_BEFORE], 1);
	assert_int_equal(diff_folded__add(df, DIFF_AFTER, big, strlen(big), "y"), -EOVERFLOW);
	diff_folded__free(df);
	diff_folded__free(NULL);
}

static void test_write_error(void **state)
{
	struct diff_folded *df = diff_folded__new(NULL);
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		diff_folded__free(df);
		skip();
	}
	setvbuf(full, NULL, _IONBF, 0);
	assert_int_equal(diff_folded__add(df, DIFF_BEFORE, "a 1\n", 4, "x"), 0);
	assert_int_equal(diff_folded__write(df, full), -ENOSPC);
	fclose(full);
	diff_folded__free(df);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_strip_hex),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_line_endings_and_bad_lines),
		cmocka_unit_test(test_blank_before_count_and_empty_stack),
		cmocka_unit_test(test_strip_hex_empty_stack),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
