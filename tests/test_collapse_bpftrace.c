// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse_bpftrace(): bpftrace map output to folded stacks. */
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
	int err;
	char *folded;
	struct collapse_stats stats;
};

static struct result run(const char *text, size_t len)
{
	struct stack_counts *sc = stack_counts__new();
	struct collapse_options opts;
	struct result r = {0};
	char *copy = malloc(len + 1);
	size_t size;
	FILE *f;

	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(&opts, 0, sizeof(opts));
	r.err = collapse_bpftrace(copy, len, &opts, sc, &r.stats);
	f = open_memstream(&r.folded, &size);
	assert_int_equal(stack_counts__write(sc, f), 0);
	fclose(f);
	stack_counts__free(sc);
	free(copy);
	return r;
}

static void check(const char *text, const char *expected, uint64_t samples, uint64_t skipped)
{
	struct result r = run(text, strlen(text));

	assert_int_equal(r.err, 0);
	assert_string_equal(r.folded, expected);
	assert_int_equal(r.stats.samples, samples);
	assert_int_equal(r.stats.skipped_lines, skipped);
	free(r.folded);
}

static void test_kstack_ustack_comm(void **state)
{
	/* `@[kstack, ustack, comm] = count()` as bpftrace prints it */
	check("Attaching 1 probe...\n"
	      "\n"
	      "\n"
	      "@[\n"
	      "        native_safe_halt+6\n"
	      "        default_idle+26\n"
	      "        do_idle+484\n"
	      ", \n"
	      "        __GI___poll+79\n"
	      "        main+91\n"
	      ", sshd]: 12\n"
	      "@[\n"
	      "        native_safe_halt+11\n"
	      "        default_idle+26\n"
	      "        do_idle+484\n"
	      ", \n"
	      "        __GI___poll+79\n"
	      "        main+91\n"
	      ", sshd]: 3\n"
	      "@[\n"
	      "        do_idle+484\n"
	      ", \n"
	      ", swapper/0]: 7\n",
	      "sshd;main;__GI___poll;do_idle;default_idle;native_safe_halt 15\n"
	      "swapper/0;do_idle 7\n",
	      3, 1);
}

static void test_kstack_only(void **state)
{
	/* unindented frames, as in bpftrace's own tutorial */
	check("@[\n"
	      "filemap_map_pages+181\n"
	      "__handle_mm_fault+2905\n"
	      "handle_mm_fault+250\n"
	      "]: 12\n"
	      "@[\n"
	      "    cpuidle_enter_state+164\n"
	      "    do_idle+390\n"
	      "]: 22122\n",
	      "do_idle;cpuidle_enter_state 22122\n"
	      "handle_mm_fault;__handle_mm_fault;filemap_map_pages 12\n",
	      2, 0);
}

static void test_scalar_first_and_named_maps(void **state)
{
	/* comm before the stack, named maps, several maps merged */
	check("@stacks[bash, \n"
	      "        readline+12\n"
	      "        main+3\n"
	      "]: 4\n"
	      "@other[1234, zsh, \n"
	      "        main+8\n"
	      "]: 2\n"
	      "@stacks[bash, \n"
	      "        readline+40\n"
	      "        main+3\n"
	      "]: 1\n",
	      "1234;zsh;main 2\n"
	      "bash;main;readline 5\n",
	      3, 0);
}

static void test_stack_modes(void **state)
{
	/* perf mode (address, symbol+0xoff, module) and raw mode (bare addresses) */
	check("@k[\n"
	      "\tffffffff81001234 native_safe_halt+0x6 ([kernel.kallsyms])\n"
	      "\tffffffff81002345 default_idle+0x1a ([kernel.kallsyms])\n"
	      "]: 7\n"
	      "@u[\n"
	      "\t7f0012345678 operator new(unsigned long)+0x1c (/usr/lib/libstdc++.so.6)\n"
	      "\t55d0000011aa main+0x20 (/usr/bin/app)\n"
	      "]: 2\n"
	      "@r[\n"
	      "ffffffff81001234\n"
	      "ffffffff81002345\n"
	      "]: 1\n",
	      "0xffffffff81002345;0xffffffff81001234 1\n"
	      "default_idle;native_safe_halt 7\n"
	      "main;operator new(unsigned long) 2\n",
	      3, 0);
}

static void test_offsets_and_odd_frames(void **state)
{
	/* only a trailing +decimal or +0xhex is an offset; unresolved frames stay */
	check("@[\n"
	      "        operator+\n"
	      "        a+b+17\n"
	      "        0x7f1234\n"
	      "        <unwind failure>\n"
	      "        semi;colon+1\n"
	      "        +5\n"
	      "]: 3\n",
	      "+5;semi:colon;<unwind failure>;0x7f1234;a+b;operator+ 3\n", 1, 0);
}

static void test_skipped(void **state)
{
	/*
	 * Maps without a stack, histograms, printf output, an entry with a value
	 * that is not a count and an entry cut off at the end are all skipped,
	 * and their lines counted.
	 */
	check("Attaching 2 probes...\n"
	      "tracing... hit Ctrl-C to end\n"
	      "@start[1234]: 5678\n"
	      "@total: 99\n"
	      "@[\n"
	      "        f+1\n"
	      "]: 4\n"
	      "@lat[\n"
	      "        g+1\n"
	      "]:\n"
	      "[0, 1)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
	      "@avg[\n"
	      "        h+1\n"
	      "]: (1, 2)\n"
	      "@zero[\n"
	      "        z+1\n"
	      "]: 0\n"
	      "@cut[\n"
	      "        i+1\n",
	      "f 4\n", 1, 16);
}

static void test_crlf_and_empty(void **state)
{
	check("@[\r\n        f+1\r\n        g+2\r\n, bash]: 2\r\n", "bash;g;f 2\n", 1, 0);
	check("", "", 0, 0);
	check("\n\n", "", 0, 0);
}

static void test_garbage(void **state)
{
	/* any bytes: never crash, never emit a line break inside a stack */
	char buf[8192];
	unsigned x = 7;
	int round;
	size_t i;

	for (round = 0; round < 100; round++) {
		struct result r;
		char *p;

		for (i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245 + 12345;
			buf[i] = "@[]:, \n\t+0x1fabc;"[(x >> 16) % 17];
		}
		r = run(buf, sizeof(buf));
		assert_int_equal(r.err, 0);
		for (p = r.folded; *p; p = strchr(p, '\n') + 1)
			assert_non_null(strchr(p, ' '));
		free(r.folded);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kstack_ustack_comm),
		cmocka_unit_test(test_kstack_only),
		cmocka_unit_test(test_scalar_first_and_named_maps),
		cmocka_unit_test(test_stack_modes),
		cmocka_unit_test(test_offsets_and_odd_frames),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_crlf_and_empty),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
