// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse/func_table: self/total per function, callers and callees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collapse/func_table.h"

/* Add "a;b;c" (outermost first) with @weight. */
static void add(struct func_table *t, const char *stack, double weight)
{
	uint32_t ids[64];
	size_t n = 0;
	const char *p = stack;

	while (*p) {
		size_t len = strcspn(p, ";");

		assert_true(n < 64);
		ids[n++] = func_table__intern(t, p, len);
		p += len + (p[len] == ';');
	}
	func_table__add(t, ids, n, weight);
}

static uint32_t id(struct func_table *t, const char *name)
{
	return func_table__intern(t, name, strlen(name));
}

/* The rows as "name self total," for comparing in one go. */
static char *format(struct func_table *t, const struct func_row *rows, size_t n)
{
	static char buf[1024];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s %llu %llu,",
					 func_table__name(t, rows[i].func),
					 (unsigned long long)rows[i].self,
					 (unsigned long long)rows[i].total);
	return buf;
}

static void test_self_and_total(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	size_t n;

	(void)state;
	add(t, "main;work_a;leaf_a", 6);
	add(t, "main;work_b;leaf_b", 3);
	add(t, "main;work_c;leaf_c", 1);
	add(t, "main", 2);
	assert_int_equal(func_table__total(t), 12);
	n = func_table__rows(t, FUNC_SORT_SELF, &rows);
	assert_int_equal(n, 7);
	/* equal self weights: by total, then by name */
	assert_string_equal(format(t, rows, n), "leaf_a 6 6,leaf_b 3 3,main 2 12,leaf_c 1 1,"
						"work_a 0 6,work_b 0 3,work_c 0 1,");
	n = func_table__rows(t, FUNC_SORT_TOTAL, &rows);
	assert_string_equal(format(t, rows, n), "main 2 12,leaf_a 6 6,work_a 0 6,leaf_b 3 3,"
						"work_b 0 3,leaf_c 1 1,work_c 0 1,");
	func_table__free(t);
}

static void test_recursion_counts_once(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	double self, total;
	size_t n;

	(void)state;
	/* fib calls itself: in the stack three times, its total is still the stack's weight */
	add(t, "main;fib;fib;fib", 5);
	add(t, "main;fib;helper", 2);
	add(t, "main;a;b;a;b", 1);
	func_table__weights(t, id(t, "fib"), &self, &total);
	assert_int_equal(self, 5);
	assert_int_equal(total, 7);
	func_table__weights(t, id(t, "a"), &self, &total);
	assert_int_equal(self, 0);
	assert_int_equal(total, 1);
	func_table__weights(t, id(t, "b"), &self, &total);
	assert_int_equal(self, 1);
	assert_int_equal(total, 1);
	n = func_table__rows(t, FUNC_SORT_TOTAL, &rows);
	assert_string_equal(format(t, rows, n), "main 0 8,fib 5 7,helper 2 2,b 1 1,a 0 1,");
	/* fib calls fib in one stack (counted once), main calls fib in two */
	n = func_table__callers(t, id(t, "fib"), &rows);
	assert_string_equal(format(t, rows, n), "main 7 7,fib 5 5,");
	n = func_table__callees(t, id(t, "fib"), &rows);
	assert_string_equal(format(t, rows, n), "fib 5 5,helper 2 2,");
	/* a -> b twice in one stack: once; b -> a once */
	n = func_table__callees(t, id(t, "a"), &rows);
	assert_string_equal(format(t, rows, n), "b 1 1,");
	n = func_table__callers(t, id(t, "a"), &rows);
	assert_string_equal(format(t, rows, n), "b 1 1,main 1 1,");
	func_table__free(t);
}

static void test_callers_and_callees(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	size_t n;

	(void)state;
	add(t, "main;parse;lex;read", 4);
	add(t, "main;parse;lex", 2);
	add(t, "main;eval;lex", 3);
	add(t, "main;eval;alloc", 1);
	n = func_table__callers(t, id(t, "lex"), &rows);
	assert_string_equal(format(t, rows, n), "parse 6 6,eval 3 3,");
	n = func_table__callees(t, id(t, "lex"), &rows);
	assert_string_equal(format(t, rows, n), "read 4 4,");
	n = func_table__callees(t, id(t, "main"), &rows);
	assert_string_equal(format(t, rows, n), "parse 6 6,eval 4 4,");
	n = func_table__callers(t, id(t, "main"), &rows);
	assert_int_equal(n, 0);
	/* a name never seen in a stack */
	n = func_table__callers(t, id(t, "nowhere"), &rows);
	assert_int_equal(n, 0);
	func_table__free(t);
}

static void test_clear_keeps_ids(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	uint32_t main_id = id(t, "main");
	size_t n;

	(void)state;
	add(t, "main;x", 10);
	func_table__clear(t);
	assert_int_equal(func_table__total(t), 0);
	n = func_table__rows(t, FUNC_SORT_SELF, &rows);
	assert_int_equal(n, 0);
	n = func_table__callees(t, main_id, &rows);
	assert_int_equal(n, 0);
	/* the same stack again, with its new weight: the ids are the old ones */
	add(t, "main;x", 12);
	assert_int_equal(id(t, "main"), main_id);
	n = func_table__rows(t, FUNC_SORT_SELF, &rows);
	assert_string_equal(format(t, rows, n), "x 12 12,main 0 12,");
	n = func_table__callees(t, main_id, &rows);
	assert_string_equal(format(t, rows, n), "x 12 12,");
	/* an empty stack counts in the total only */
	func_table__add(t, NULL, 0, 3);
	assert_int_equal(func_table__total(t), 15);
	assert_string_equal(func_table__name(t, 12345), "");
	func_table__free(t);
	func_table__free(NULL);
}

static void test_many_functions(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	uint32_t ids[2];
	char name[32];
	size_t n, i;

	(void)state;
	ids[0] = id(t, "root");
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		ids[1] = id(t, name);
		func_table__add(t, ids, 2, i + 1);
	}
	n = func_table__rows(t, FUNC_SORT_SELF, &rows);
	assert_int_equal(n, 5001);
	assert_string_equal(func_table__name(t, rows[0].func), "f4999");
	assert_int_equal(rows[0].self, 5000);
	n = func_table__callees(t, ids[0], &rows);
	assert_int_equal(n, 5000);
	assert_int_equal(rows[n - 1].self, 1);
	func_table__free(t);
}

/* Weights need not be whole (folded input, scaled times): self, total and order as report shows
 * them. */
static void test_fractional(void **state)
{
	struct func_table *t = func_table__new();
	const struct func_row *rows;
	size_t n;

	(void)state;
	add(t, "a;b;c", 6.5);
	add(t, "a;b", 3);
	add(t, "a;r;r;r", 0.25);
	add(t, "b;x;b", 2);
	assert_true(func_table__total(t) == 11.75);
	n = func_table__rows(t, FUNC_SORT_SELF, &rows);
	assert_int_equal(n, 5);
	assert_string_equal(func_table__name(t, rows[0].func), "c");
	assert_true(rows[0].self == 6.5 && rows[0].total == 6.5);
	assert_string_equal(func_table__name(t, rows[1].func), "b");
	assert_true(rows[1].self == 5 && rows[1].total == 11.5);
	assert_string_equal(func_table__name(t, rows[2].func), "r");
	assert_true(rows[2].self == 0.25 && rows[2].total == 0.25); /* once per stack */
	n = func_table__rows(t, FUNC_SORT_TOTAL, &rows);
	assert_string_equal(func_table__name(t, rows[0].func), "b");
	assert_string_equal(func_table__name(t, rows[1].func), "a");
	assert_true(rows[1].total == 9.75);
	func_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fractional),
		cmocka_unit_test(test_self_and_total),
		cmocka_unit_test(test_recursion_counts_once),
		cmocka_unit_test(test_callers_and_callees),
		cmocka_unit_test(test_clear_keeps_ids),
		cmocka_unit_test(test_many_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
