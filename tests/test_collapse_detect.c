// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse_format__detect(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collapse/collapse.h"

static enum collapse_format detect(const char *s)
{
	return collapse_format__detect(s, strlen(s));
}

static void test_folded(void **state)
{
	assert_int_equal(detect("a;b;c 1\na;b 5\n"), COLLAPSE_FOLDED);
	assert_int_equal(detect("[unknown];main 5\n[libc.so.6];read 2\n"), COLLAPSE_FOLDED);
	assert_int_equal(detect("java;start_thread 0.5\r\n"), COLLAPSE_FOLDED);
	/* a few bad lines among many good ones, as flamegraph.pl tolerates */
	assert_int_equal(detect("# comment\n// other\na 1\nb 2\nc 3\nd 4\ne 5\ninvalid line\n"),
			 COLLAPSE_FOLDED);
	assert_int_equal(collapse_format__detect("\xff\xfe"
						 "a\0 \0001\0",
						 8),
			 COLLAPSE_FOLDED);
}

static void test_perf(void **state)
{
	assert_int_equal(detect("# ========\n# captured on: today\n# ========\n#\n"
				"swapper     0 [000] 100.000001: cpu-clock:\n"
				"\tffffffff8103d0ca native_safe_halt ([kernel.kallsyms])\n"
				"\tffffffff8101c6a3 default_idle ([kernel.kallsyms])\n\n"),
			 COLLAPSE_PERF);
	/* old perf: no time stamp, unindented stack lines */
	assert_int_equal(detect("java 19983 cycles:\n"
				"ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n"
				"ffffffff810275f1 intel_pmu_enable_all ([kernel.kallsyms])\n"),
			 COLLAPSE_PERF);
	/* stack on the event line (perf script -F ip,sym) */
	assert_int_equal(detect("false 39654 19115.489713:          1 cycles:u:  ffffffff9b201293 "
				"[unknown] ([unknown])\n"
				"false 39654 19115.489719:          1 cycles:      7fa68b1f2d84 "
				"_dl_start+0x4 (/usr/lib/ld-2.31.so)\n"),
			 COLLAPSE_PERF);
}

static void test_json(void **state)
{
	assert_int_equal(detect("{\"nodes\":[],\"samples\":[]}"), COLLAPSE_V8);
	assert_int_equal(detect("  \n{ \"head\": {}}"), COLLAPSE_V8);
	assert_int_equal(detect("[{\"pid\":1,\"name\":\"Profile\"}]"), COLLAPSE_V8);
	assert_int_equal(detect("[\n  {\"pid\":1}]"), COLLAPSE_V8);
	assert_int_equal(detect("\xef\xbb\xbf{\"traceEvents\":[]}"), COLLAPSE_V8);
}

static void test_bpftrace(void **state)
{
	assert_int_equal(detect("Attaching 1 probe...\n\n\n@[\n    f+1\n]: 3\n"),
			 COLLAPSE_BPFTRACE);
	assert_int_equal(detect("@stacks[\n        f+1\n]: 3\n"), COLLAPSE_BPFTRACE);
	assert_int_equal(detect("@[bash, \n        f+1\n]: 3\n"), COLLAPSE_BPFTRACE);
}

static void test_pprof(void **state)
{
	/* gzip magic; and the start of a raw Profile: sample_type {type: 1, unit: 2}, sample */
	static const char gz[] = "\x1f\x8b\x08\x00";
	static const char raw[] = "\x0a\x04\x08\x01\x10\x02\x12\x06\x0a\x01\x01\x12\x01\x05"
				  "\x32\x00\x32\x07samples";

	assert_int_equal(collapse_format__detect(gz, 4), COLLAPSE_PPROF);
	assert_int_equal(collapse_format__detect(raw, sizeof(raw) - 1), COLLAPSE_PPROF);
}

static void test_unsure(void **state)
{
	assert_int_equal(collapse_format__detect("", 0), COLLAPSE_AUTO);
	assert_int_equal(detect("hello world\nthis is not a profile\n"), COLLAPSE_AUTO);
	assert_int_equal(detect("\n\n\n"), COLLAPSE_AUTO);
	assert_int_equal(detect("one line 1\nand\nseveral\nthat are not\n"), COLLAPSE_AUTO);
	/* binary that is not a protobuf Profile */
	assert_int_equal(collapse_format__detect("\x00\x01\x02\x03\xff\xfe\xfd", 7), COLLAPSE_AUTO);
	assert_int_equal(collapse_format__detect("\x7f"
						 "ELF\x02\x01\x01",
						 7),
			 COLLAPSE_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded), cmocka_unit_test(test_perf),
		cmocka_unit_test(test_json),   cmocka_unit_test(test_bpftrace),
		cmocka_unit_test(test_pprof),  cmocka_unit_test(test_unsure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
