// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/term_text: names from the profiled system, safe on a terminal. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/term_text.h"

static char out[512];
static size_t cols;

static const char *fit(const char *text, size_t len, size_t width, bool utf8)
{
	struct strbuf sb = STRBUF_INIT;

	cols = term_text__fit(&sb, text, len, width, utf8);
	snprintf(out, sizeof(out), "%s", sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return out;
}

static void test_plain_and_truncated(void **state)
{
	(void)state;
	assert_string_equal(fit("leaf_a", 6, 20, false), "leaf_a");
	assert_int_equal(cols, 6);
	assert_string_equal(fit("leaf_a", 6, 6, false), "leaf_a");
	assert_string_equal(fit("leaf_abc", 8, 6, false), "leaf..");
	assert_int_equal(cols, 6);
	assert_string_equal(fit("leaf_abc", 8, 2, false), "..");
	assert_string_equal(fit("leaf_abc", 8, 1, false), ".");
	assert_string_equal(fit("leaf_abc", 8, 0, false), "");
	assert_int_equal(cols, 0);
	assert_string_equal(fit("", 0, 5, false), "");
}

static void test_control_characters(void **state)
{
	static const char esc[] = "a\033[2Jb\r\n\t\x7f"
				  "c";

	(void)state;
	/* no byte below 0x20 or DEL reaches the terminal */
	assert_string_equal(fit(esc, sizeof(esc) - 1, 80, false), "a?[2Jb????c");
	assert_string_equal(fit(esc, sizeof(esc) - 1, 80, true), "a?[2Jb????c");
	/* NUL inside the name */
	assert_string_equal(fit("a\0b", 3, 80, true), "a?b");
}

static void test_bytes_above_ascii(void **state)
{
	(void)state;
	/* without UTF-8, every high byte is spelled out */
	assert_string_equal(fit("caf\xc3\xa9", 5, 80, false), "caf\\xc3\\xa9");
	assert_int_equal(cols, 11);
	/* with it, a valid character is kept, one column wide */
	assert_string_equal(fit("caf\xc3\xa9", 5, 80, true), "caf\xc3\xa9");
	assert_int_equal(cols, 4);
	/* C1 controls (CSI is U+009B) and invalid or overlong sequences */
	assert_string_equal(fit("x\xc2\x9b"
				"2J",
				5, 80, true),
			    "x?2J");
	assert_string_equal(fit("\xff\xc0\xaf", 3, 80, true), "\\xff\\xc0\\xaf");
	assert_string_equal(fit("\xe2\x82", 2, 80, true), "\\xe2\\x82");
	/* the bare CSI byte, in either mode */
	assert_string_equal(fit("\x9b"
				"2J",
				3, 80, false),
			    "\\x9b2J");
	assert_string_equal(fit("\x9b"
				"2J",
				3, 80, true),
			    "\\x9b2J");
}

static void test_wide_and_cut(void **state)
{
	(void)state;
	/* two columns each: a cut never splits one, nor leaves more than the width */
	assert_string_equal(fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 6, true),
			    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	assert_int_equal(cols, 6);
	assert_string_equal(fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 5, true),
			    "\xe6\x97\xa5..");
	assert_int_equal(cols, 4);
	/* an escape is cut whole too */
	assert_string_equal(fit("ab\x01\xff"
				"cd",
				6, 6, false),
			    "ab?..");
	assert_string_equal(fit("ab\xff"
				"cdef",
				7, 6, false),
			    "ab..");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_truncated),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_bytes_above_ascii),
		cmocka_unit_test(test_wide_and_cut),
	};

	/* wcwidth() needs a UTF-8 locale; C.UTF-8 is built into glibc 2.35+ */
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		printf("[  SKIPPED ] 4 test(s): no C.UTF-8 locale\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
