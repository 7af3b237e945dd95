// SPDX-License-Identifier: Apache-2.0
/* Unit tests for render/folded: parsing folded text as flamegraph.pl does, merging, order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/folded.h"

/* The stack @i as "name|name|name" (names joined with '|'), for easy assertions. */
static const char *stack_str(const struct folded_profile *p, size_t i, struct folded_stack *s)
{
	static char buf[512];
	size_t off = 0;
	uint32_t k;

	folded_profile__stack(p, i, s);
	buf[0] = '\0';
	for (k = 0; k < s->nframes; k++) {
		size_t len;
		const char *name = folded_profile__name(p, s->frames[k], &len);

		off += snprintf(buf + off, sizeof(buf) - off, "%s%.*s", k ? "|" : "", (int)len,
				name);
	}
	return buf;
}

/* Index of the stack printed as @want, or -1. */
static long find_stack(const struct folded_profile *p, const char *want, struct folded_stack *s)
{
	size_t i;

	for (i = 0; i < folded_profile__stack_count(p); i++)
		if (!strcmp(stack_str(p, i, s), want))
			return (long)i;
	return -1;
}

static bool add(struct folded_profile *p, const char *line)
{
	return folded_profile__add_line(p, line, strlen(line));
}

static void test_basic_line(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stats st;
	struct folded_stack s;

	assert_true(add(p, "main;foo;bar 5"));
	assert_int_equal(folded_profile__stack_count(p), 1);
	assert_string_equal(stack_str(p, 0, &s), "main|foo|bar");
	assert_true(s.weight == 5);
	assert_false(s.has_delta);
	assert_int_equal(s.sep, ' ');
	folded_profile__stats(p, &st);
	assert_int_equal(st.lines, 1);
	assert_int_equal(st.ignored_lines, 0);
	assert_int_equal(st.stacks, 1);
	assert_int_equal(st.names, 3);
	assert_true(st.total == 5);
	assert_false(st.differential);
	folded_profile__free(p);
}

static void test_invalid_lines(void **state)
{
	static const char *const bad[] = {
		"",		      /* blank */
		"main;foo",	      /* no count */
		"THIS IS A BAD LINE", /* no digits at the end */
		"12",		      /* a count but no separator before it */
		"main;foo 12V.43",    /* not a number */
		"main;foo .5",	      /* needs a digit before the dot */
		"main;foo 1.2.3",     /* two dots */
		"main;foo -3",	      /* no sign allowed */
		"main;foo 5x",	      /* trailing junk */
		"main;foo 5 \r",      /* whitespace after the count (the \r is stripped) */
	};
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stats st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (add(p, bad[i]))
			fail_msg("accepted invalid line '%s'", bad[i]);
	}
	assert_true(add(p, "ok 1"));
	folded_profile__stats(p, &st);
	assert_int_equal(st.lines, sizeof(bad) / sizeof(bad[0]) + 1);
	assert_int_equal(st.ignored_lines, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(st.stacks, 1);
	folded_profile__free(p);
}

static void test_counts(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;

	assert_true(add(p, "a 1.5"));
	assert_true(add(p, "b 2."));
	assert_true(add(p, "c 007"));
	assert_true(add(p, "d 123456789012345678901234"));
	assert_true(add(p, "e 0"));
	assert_true(find_stack(p, "a", &s) >= 0 && s.weight == 1.5);
	assert_true(find_stack(p, "b", &s) >= 0 && s.weight == 2);
	assert_true(find_stack(p, "c", &s) >= 0 && s.weight == 7);
	assert_true(find_stack(p, "d", &s) >= 0 && s.weight > 1.2e23 && s.weight < 1.3e23);
	assert_true(find_stack(p, "e", &s) >= 0 && s.weight == 0);
	folded_profile__free(p);
}

static void test_separators_and_spaces(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;

	/* the count is the last field: frames keep their spaces */
	assert_true(add(p, "java main;Foo.bar (inlined) 7"));
	assert_true(find_stack(p, "java main|Foo.bar (inlined)", &s) >= 0);
	assert_true(s.weight == 7);
	/* a tab separates too, and is remembered for ordering */
	assert_true(add(p, "tab\t3"));
	assert_true(find_stack(p, "tab", &s) >= 0);
	assert_int_equal(s.sep, '\t');
	/* like Perl's greedy (.*), extra whitespace stays in the last frame */
	assert_true(add(p, "two  4"));
	assert_true(find_stack(p, "two ", &s) >= 0);
	assert_true(s.weight == 4);
	folded_profile__free(p);
}

static void test_crlf(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;

	assert_true(add(p, "main;foo 3\r"));
	assert_true(find_stack(p, "main|foo", &s) >= 0);
	assert_true(s.weight == 3);
	/* a CR inside the line is part of the name */
	assert_true(add(p, "a\rb 1"));
	assert_true(find_stack(p, "a\rb", &s) >= 0);
	folded_profile__free(p);
}

static void test_semicolons(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;

	/* Perl's split drops trailing empty fields but keeps leading and inner ones */
	assert_true(add(p, "a;b;; 3"));
	assert_true(find_stack(p, "a|b", &s) >= 0);
	assert_true(add(p, ";a 2"));
	assert_true(find_stack(p, "|a", &s) >= 0);
	assert_int_equal(s.nframes, 2);
	assert_true(add(p, "a;;b 1"));
	assert_true(find_stack(p, "a||b", &s) >= 0);
	assert_int_equal(s.nframes, 3);
	/* an empty stack still counts towards the total (the root) */
	assert_true(add(p, " 4"));
	assert_true(add(p, ";;; 1"));
	assert_true(find_stack(p, "", &s) >= 0);
	assert_int_equal(s.nframes, 0);
	assert_true(s.weight == 5);
	folded_profile__free(p);
}

static void test_differential(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stats st;
	struct folded_stack s;

	assert_true(add(p, "a;b 3 5"));
	assert_true(add(p, "a;c 10 4"));
	assert_true(add(p, "a;c 1 1"));
	assert_true(add(p, "a;d 2"));
	assert_true(find_stack(p, "a|b", &s) >= 0);
	assert_true(s.has_delta && s.weight == 5 && s.delta == 2);
	assert_true(find_stack(p, "a|c", &s) >= 0);
	assert_true(s.has_delta && s.weight == 5 && s.delta == -6);
	assert_true(find_stack(p, "a|d", &s) >= 0);
	assert_true(!s.has_delta && s.weight == 2 && s.delta == 0);
	folded_profile__stats(p, &st);
	assert_true(st.differential);
	assert_true(st.total == 12);
	folded_profile__free(p);
}

static void test_merge_duplicates(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stats st;
	struct folded_stack s;
	double total = 0, f3 = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		char line[64];

		snprintf(line, sizeof(line), "root;f%d;leaf %d", i % 10, 1 + i % 3);
		assert_true(add(p, line));
		total += 1 + i % 3;
		if (i % 10 == 3)
			f3 += 1 + i % 3;
	}
	folded_profile__stats(p, &st);
	assert_int_equal(st.stacks, 10);
	assert_int_equal(st.names, 12);
	assert_true(find_stack(p, "root|f3|leaf", &s) >= 0);
	assert_true(s.weight == f3);
	assert_true(st.total == total);
	assert_int_equal(folded_profile__sequence_len(p), 0);
	folded_profile__free(p);
}

static void test_many_stacks_grow(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stats st;
	char line[128];
	int i;

	/* enough distinct names and stacks to grow every table several times */
	for (i = 0; i < 50000; i++) {
		snprintf(line, sizeof(line), "main;worker_%d;fn_%d;leaf 1", i % 700, i);
		assert_true(add(p, line));
	}
	for (i = 0; i < 50000; i++) {
		snprintf(line, sizeof(line), "main;worker_%d;fn_%d;leaf 2", i % 700, i);
		assert_true(add(p, line));
	}
	folded_profile__stats(p, &st);
	assert_int_equal(st.stacks, 50000);
	assert_int_equal(st.names, 2 + 700 + 50000);
	assert_true(st.total == 150000);
	for (i = 0; i < 50000; i += 997) {
		struct folded_stack s;

		snprintf(line, sizeof(line), "main|worker_%d|fn_%d|leaf", i % 700, i);
		assert_true(find_stack(p, line, &s) >= 0);
		assert_true(s.weight == 3);
	}
	folded_profile__free(p);
}

static void test_keep_order(void **state)
{
	struct folded_profile *p = folded_profile__new(FOLDED_KEEP_ORDER);
	struct folded_stack s;

	assert_true(add(p, "a;b 1"));
	assert_true(add(p, "a;b 2"));
	assert_true(add(p, "c 1"));
	assert_false(add(p, "junk"));
	assert_true(add(p, "a;b 4"));
	assert_int_equal(folded_profile__stack_count(p), 2);
	assert_int_equal(folded_profile__sequence_len(p), 3);
	folded_profile__sequence(p, 0, &s);
	assert_int_equal(s.nframes, 2);
	assert_true(s.weight == 3);
	folded_profile__sequence(p, 1, &s);
	assert_int_equal(s.nframes, 1);
	assert_true(s.weight == 1);
	folded_profile__sequence(p, 2, &s);
	assert_true(s.weight == 4);
	/* the distinct stack holds the sum */
	assert_true(find_stack(p, "a|b", &s) >= 0 && s.weight == 7);
	folded_profile__free(p);
}

static void test_programmatic(void **state)
{
	static const char *const frames[] = {"main", "do work", "leaf;semi"};
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;
	uint32_t ids[2];

	folded_profile__add(p, frames, 3, 2);
	folded_profile__add(p, frames, 3, 3);
	ids[0] = folded_profile__intern(p, "main", 4);
	ids[1] = folded_profile__intern(p, "other", 5);
	assert_int_equal(ids[0], folded_profile__intern(p, "main", 4));
	folded_profile__add_ids(p, ids, 2, 1.5);
	folded_profile__add_diff_ids(p, ids, 1, 4, 1);
	/* folded text without its count: split at ';' into the same names */
	folded_profile__add_stack(p, "main;other;x y", 14, 2);
	folded_profile__add_stack(p, "main;other;x yz", 14, 0.5);
	assert_true(find_stack(p, "main|other|x y", &s) >= 0 && s.weight == 2.5);
	assert_int_equal(folded_profile__find_name(p, "other", 5), ids[1]);
	folded_profile__add_stack(p, "", 0, 1);
	assert_int_equal(folded_profile__stack_count(p), 5);
	assert_true(find_stack(p, "main|do work|leaf;semi", &s) >= 0 && s.weight == 5);
	assert_int_equal(s.sep, ' ');
	assert_true(find_stack(p, "main|other", &s) >= 0 && s.weight == 1.5);
	assert_true(find_stack(p, "main", &s) >= 0);
	assert_true(s.has_delta && s.weight == 1 && s.delta == -3);
	assert_int_equal(folded_profile__find_name(p, "other", 5), ids[1]);
	assert_int_equal(folded_profile__find_name(p, "absent", 6), -1);
	folded_profile__free(p);
}

static void test_hostile_bytes(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;
	const char line[] = "a\0b;\xff\xfe\x01;<&> 9";
	size_t len;
	const char *name;

	assert_true(folded_profile__add_line(p, line, sizeof(line) - 1));
	folded_profile__stack(p, 0, &s);
	assert_int_equal(s.nframes, 3);
	name = folded_profile__name(p, s.frames[0], &len);
	assert_int_equal(len, 3);
	assert_memory_equal(name, "a\0b", 3);
	name = folded_profile__name(p, s.frames[1], &len);
	assert_int_equal(len, 3);
	assert_memory_equal(name, "\xff\xfe\x01", 3);
	folded_profile__free(p);
}

/*
 * Regression (fuzzing): a 400-digit count is Inf as a double, and a
 * differential line "a;b 1 <Inf>" made the frame's delta Inf, the colour
 * scale Inf / Inf = NaN, and fs_color_diff() converted NaN to int (UB).
 * Counts and totals beyond the range of a double are invalid lines now.
 */
static void test_counts_beyond_double(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	char huge[400 + 1], e308[309 + 1], line[512];
	struct folded_stats st;
	struct folded_stack s;

	memset(huge, '9', 400);
	huge[400] = '\0';
	e308[0] = '1'; /* 10^308: finite, but two of them are not */
	memset(e308 + 1, '0', 308);
	e308[309] = '\0';

	assert_true(add(p, "a;b 1"));
	snprintf(line, sizeof(line), "a;b 1 %s", huge); /* AFTER is Inf */
	assert_false(add(p, line));
	snprintf(line, sizeof(line), "a;b %s 1", huge); /* BEFORE is Inf */
	assert_false(add(p, line));
	snprintf(line, sizeof(line), "c %s", huge);
	assert_false(add(p, line));
	snprintf(line, sizeof(line), "d %s", e308);
	assert_true(add(p, line));
	snprintf(line, sizeof(line), "e %s", e308); /* the total would be Inf */
	assert_false(add(p, line));
	snprintf(line, sizeof(line), "f %s 0", e308);
	assert_true(add(p, line));
	snprintf(line, sizeof(line), "f %s 0", e308); /* BEFOREs would sum to Inf */
	assert_false(add(p, line));

	folded_profile__stats(p, &st);
	assert_int_equal(st.ignored_lines, 5);
	assert_true(st.total == 1e308); /* the 1 of "a;b" is lost to rounding */
	assert_true(find_stack(p, "a|b", &s) >= 0);
	assert_true(s.weight == 1 && !s.has_delta);
	assert_true(find_stack(p, "f", &s) >= 0);
	assert_true(s.weight == 0 && s.has_delta && s.delta == -1e308);
	assert_int_equal(find_stack(p, "c", &s), -1);
	assert_int_equal(find_stack(p, "e", &s), -1);
	folded_profile__free(p);
}

/*
 * Regression (fuzzing): while every stack was empty the frame arena was
 * still NULL, and folded_profile__stack() computed NULL + 0 (undefined
 * behaviour, reported by clang's UBSan in flamegraph__write()).
 */
static void test_only_empty_stacks(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct folded_stack s;

	assert_true(add(p, " 5"));
	assert_true(add(p, ";; 3")); /* the same empty stack: Perl's split drops the ';' */
	assert_int_equal(folded_profile__stack_count(p), 1);
	folded_profile__stack(p, 0, &s);
	assert_non_null(s.frames);
	assert_int_equal(s.nframes, 0);
	assert_true(s.weight == 8);
	folded_profile__free(p);
}

static void test_add_text_and_files(void **state)
{
	char path[] = "/tmp/test_folded_XXXXXX";
	struct folded_profile *p = folded_profile__new(0);
	const char *text = "a;b 1\n\nbad\na;b 2\r\nc 3";
	struct folded_stats st;
	struct folded_stack s;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	folded_profile__add_text(p, text, strlen(text));
	assert_int_equal(folded_profile__read_file(p, path), 0);
	folded_profile__stats(p, &st);
	assert_int_equal(st.lines, 10);
	assert_int_equal(st.ignored_lines, 4);
	assert_true(find_stack(p, "a|b", &s) >= 0 && s.weight == 6);
	assert_true(find_stack(p, "c", &s) >= 0 && s.weight == 6);
	assert_int_equal(folded_profile__read_file(p, "/nonexistent/dir/file"), -ENOENT);
	assert_int_equal(folded_profile__read_file(p, "/"), -EISDIR);
	unlink(path);
	folded_profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_line),
		cmocka_unit_test(test_invalid_lines),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_separators_and_spaces),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_semicolons),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_merge_duplicates),
		cmocka_unit_test(test_many_stacks_grow),
		cmocka_unit_test(test_keep_order),
		cmocka_unit_test(test_programmatic),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_add_text_and_files),
		cmocka_unit_test(test_counts_beyond_double),
		cmocka_unit_test(test_only_empty_stacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
