// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse_folded(): normalising and merging folded stacks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collapse/collapse.h"

struct result {
	char *folded;
	size_t len;
	struct collapse_stats stats;
};

/* Collapse each of the @n inputs into one table, as several files are merged. */
static struct result run_many(const char *const *inputs, const size_t *lens, size_t n)
{
	struct stack_counts *sc = stack_counts__new();
	struct collapse_options opts;
	struct result r = {0};
	size_t i;
	FILE *f;

	memset(&opts, 0, sizeof(opts));
	for (i = 0; i < n; i++) {
		char *copy = malloc(lens[i] + 1);

		memcpy(copy, inputs[i], lens[i]);
		copy[lens[i]] = '\0';
		assert_int_equal(collapse_folded(copy, lens[i], &opts, sc, &r.stats), 0);
		free(copy);
	}
	f = open_memstream(&r.folded, &r.len);
	assert_int_equal(stack_counts__write(sc, f), 0);
	fclose(f);
	stack_counts__free(sc);
	return r;
}

static void check_bytes(const char *in, size_t len, const char *expected, uint64_t samples,
			uint64_t skipped)
{
	struct result r = run_many(&in, &len, 1);

	assert_string_equal(r.folded, expected);
	assert_int_equal(r.stats.samples, samples);
	assert_int_equal(r.stats.skipped_lines, skipped);
	free(r.folded);
}

static void check(const char *in, const char *expected, uint64_t samples, uint64_t skipped)
{
	check_bytes(in, strlen(in), expected, samples, skipped);
}

static void test_merge_and_sort(void **state)
{
	check("a;b;c 1\na;b;c 1\na;b;d 4\na;b;c 3\na;b 5", "a;b 5\na;b;c 5\na;b;d 4\n", 5, 0);
	/* bytewise order: ' ' < ';' < letters, upper case first */
	check("b 1\nB 1\na;b 1\na 1\n", "B 1\na 1\na;b 1\nb 1\n", 4, 0);
}

static void test_crlf_and_blanks(void **state)
{
	check("a;b;c 1\r\na;b;d 4\r\n\r\n", "a;b;c 1\na;b;d 4\n", 2, 1);
	/* blanks around the count; tabs separate too */
	check("a;b  2  \nc\t3\n", "a;b 2\nc 3\n", 2, 0);
}

static void test_invalid_lines(void **state)
{
	check("# comment that gives extra info about the samples\n"
	      "// some other comment\n"
	      "a;b;c 1\n"
	      "\n"
	      "invalid line\n"
	      "no_count \n"
	      "5\n"
	      "   7\n"
	      "neg -1\n"
	      "hex 0x10\n"
	      "exp 1e5\n"
	      "dot .5\n"
	      "a;b;c 2\n",
	      "a;b;c 3\n", 2, 11);
}

static void test_fractions(void **state)
{
	/* kept, summed, printed as Perl prints numbers */
	check("a 0.5\na 1\nb 2.\nc 1.25\nc 1.25\nd 0.1\nd 0.2\n", "a 1.5\nb 2\nc 2.5\nd 0.3\n", 7,
	      0);
}

static void test_several_inputs(void **state)
{
	static const char *const inputs[] = {"x;y 1\nz 2\n", "x;y 3\n", "z 1"};
	static const size_t lens[] = {10, 6, 3};
	struct result r = run_many(inputs, lens, 3);

	assert_string_equal(r.folded, "x;y 4\nz 3\n");
	assert_int_equal(r.stats.samples, 4);
	free(r.folded);
}

static void test_byte_order_marks(void **state)
{
	/* UTF-8 BOM; UTF-16 LE and BE, with CRLF and a character beyond the BMP */
	static const char utf8[] = "\xef\xbb\xbf"
				   "a;b 2\n";
	static const char le[] = "\xff\xfe"
				 "a\0;\0b\0 \0001\0\r\0\n\0"
				 "=\xd8\x00\xde;\0c\0 \0002\0";
	static const char be[] = "\xfe\xff"
				 "\0a\0;\0b\0 \0001\0\n"
				 "\xd8=\xde\x00\0;\0c\0 \0002";

	check_bytes(utf8, sizeof(utf8) - 1, "a;b 2\n", 1, 0);
	check_bytes(le, sizeof(le) - 1, "a;b 1\n\xf0\x9f\x98\x80;c 2\n", 2, 0);
	check_bytes(be, sizeof(be) - 1, "a;b 1\n\xf0\x9f\x98\x80;c 2\n", 2, 0);
}

static void test_any_bytes(void **state)
{
	/* NUL and invalid UTF-8 inside a stack are passed through */
	static const char in[] = "z 1\na\0b;\xff\xfe 3\n";
	static const char expected[] = "a\0b;\xff\xfe 3\nz 1\n";
	const char *input = in;
	size_t len = sizeof(in) - 1;
	struct result r = run_many(&input, &len, 1);

	assert_int_equal(r.len, sizeof(expected) - 1);
	assert_memory_equal(r.folded, expected, sizeof(expected) - 1);
	free(r.folded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_sort), cmocka_unit_test(test_crlf_and_blanks),
		cmocka_unit_test(test_invalid_lines),  cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_several_inputs), cmocka_unit_test(test_byte_order_marks),
		cmocka_unit_test(test_any_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
