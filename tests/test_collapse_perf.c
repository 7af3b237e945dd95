// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for collapse/collapse_perf.c and collapse/collapse.c.
 *
 * Every expected output below is what FlameGraph's stackcollapse-perf.pl
 * (jonhoo/FlameGraph 1a0dc69, the version its test suite was made with)
 * prints for the same input and options, except where a test says otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collapse/collapse.h"
#include "common/log.h"
#include "common/strbuf.h"

/* Warnings the importer logged during the last run_*() call. */
static struct strbuf warnings = STRBUF_INIT;

static void record_warning(enum fs_log_level level, const char *fmt, va_list ap)
{
	if (level != FS_LOG_WARN)
		return;
	strbuf_vaddf(&warnings, fmt, ap);
	strbuf_addch(&warnings, '\n');
}

static char *folded(const struct stack_counts *sc)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(stack_counts__write(sc, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

#define ANY_RET 1 /* expect_ret: 0 or -EINVAL, as long as it returns */

/* Collapse @len bytes of @in with @opts; the folded output, which the caller frees. */
static char *run_opts_len(const char *in, size_t len, const struct collapse_options *opts,
			  int expect_ret, struct collapse_stats *stats)
{
	int ret;

	struct stack_counts *sc = stack_counts__new();
	struct collapse_stats st = {0};
	char *copy = malloc(len + 1), *out;

	/* the importer contract: data[len] is readable and '\0' */
	memcpy(copy, in, len);
	copy[len] = '\0';
	strbuf_reset(&warnings);
	fs_log_set_handler(record_warning);
	ret = collapse_perf(copy, len, opts, sc, &st);
	fs_log_set_handler(NULL);
	if (expect_ret == ANY_RET)
		assert_true(ret == 0 || ret == -EINVAL);
	else
		assert_int_equal(ret, expect_ret);
	out = folded(sc);
	if (stats)
		*stats = st;
	stack_counts__free(sc);
	free(copy);
	return out;
}

static char *run_opts(const char *in, const struct collapse_options *opts)
{
	return run_opts_len(in, strlen(in), opts, 0, NULL);
}

/* Options as stackcollapse-perf.pl's flags: "pid", "tid", "kernel", "jit", "all", "addrs". */
static void set_flag(struct collapse_options *o, const char *flag)
{
	if (!strcmp(flag, "pid"))
		o->include_pid = true;
	else if (!strcmp(flag, "tid"))
		o->include_tid = true;
	else if (!strcmp(flag, "kernel"))
		o->annotate_kernel = true;
	else if (!strcmp(flag, "jit"))
		o->annotate_jit = true;
	else if (!strcmp(flag, "all"))
		o->annotate_kernel = o->annotate_jit = true;
	else if (!strcmp(flag, "addrs"))
		o->include_addrs = true;
	else
		fail_msg("unknown flag %s", flag);
}

static void check(const char *in, const char *flag, const char *expect)
{
	struct collapse_options o;
	char *out;

	collapse_options__init(&o);
	if (flag)
		set_flag(&o, flag);
	out = run_opts(in, &o);
	assert_string_equal(out, expect);
	free(out);
}

static const char kernel_in[] =
	"swapper     0 [000] 158665.570607: cpu-clock:\n"
	"\tffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])\n"
	"\tffffffff8101c6a3 default_idle ([kernel.kallsyms])\n"
	"\t8c3453 tcp_sendmsg (/lib/modules/4.3.0/build/vmlinux)\n"
	"\t7d8 ipv4_conntrack_local+0x7f8f80b8 ([nf_conntrack_ipv4])\n"
	"\t7d9 foo ([unknown])\n"
	"\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n"
	"\t7f722d142779 bar (/tmp/perf-x.map)\n"
	"\t7f722d14277a main (/usr/bin/app)\n"
	"\n";

static void test_stack_order_and_offsets(void **state)
{
	/* callers come last in perf script: the folded stack is reversed; offsets go */
	check(kernel_in, NULL,
	      "swapper;main;bar;Ljava/io/PrintStream:::print;foo;ipv4_conntrack_local;tcp_sendmsg;"
	      "default_idle;native_safe_halt 1\n");
}

static void test_kernel_annotation(void **state)
{
	/* module "[...]" or ".../vmlinux", but not one that says unknown */
	check(kernel_in, "kernel",
	      "swapper;main;bar;Ljava/io/PrintStream:::print;foo;ipv4_conntrack_local_[k];"
	      "tcp_sendmsg_[k];default_idle_[k];native_safe_halt_[k] 1\n");
}

static void test_jit_annotation(void **state)
{
	/* only /tmp/perf-<digits>.map modules */
	check(kernel_in, "jit",
	      "swapper;main;bar;Ljava/io/PrintStream:::print_[j];foo;ipv4_conntrack_local;"
	      "tcp_sendmsg;default_idle;native_safe_halt 1\n");
	check(kernel_in, "all",
	      "swapper;main;bar;Ljava/io/PrintStream:::print_[j];foo;ipv4_conntrack_local_[k];"
	      "tcp_sendmsg_[k];default_idle_[k];native_safe_halt_[k] 1\n");
}

static const char pid_in[] = "java 123/456 [001] 1.000001: cycles:\n"
			     "\t1 a (/x)\n"
			     "\n"
			     "java 789 1.000002: cycles:\n"
			     "\t2 b (/x)\n"
			     "\n"
			     "swapper 0/0 [002] 1.000003: cycles:\n"
			     "\t3 c ([kernel.kallsyms])\n"
			     "\n"
			     "V8 WorkerThread 25607 4794564.109216: 104345 cycles:\n"
			     "\t4 d (/x)\n"
			     "\n";

static void test_process_names(void **state)
{
	/* blanks in the comm become '_' */
	check(pid_in, NULL, "V8_WorkerThread;d 1\njava;a 1\njava;b 1\nswapper;c 1\n");
	/* a lone number is the tid; the pid is then "?", as is a tid of 0's pid */
	check(pid_in, "pid", "V8_WorkerThread-?;d 1\njava-123;a 1\njava-?;b 1\nswapper-?;c 1\n");
	check(pid_in, "tid",
	      "V8_WorkerThread-?/25607;d 1\njava-123/456;a 1\njava-?/789;b 1\nswapper-?/0;c 1\n");
}

static const char addrs_in[] = "app 1 1.0: cycles:\n"
			       "\t1 [unknown] ([unknown])\n"
			       "\t2 [unknown] (/usr/lib/libc.so.6)\n"
			       "\t3 [unknown] ([vdso])\n"
			       "\t4 main (/usr/bin/app)\n"
			       "\n";

static void test_unknown_and_addrs(void **state)
{
	/* an unknown symbol takes its module's file name */
	check(addrs_in, NULL, "app;main;[[vdso]];[libc.so.6];[unknown] 1\n");
	check(addrs_in, "addrs", "app;main;[[vdso] <3>];[libc.so.6 <2>];[unknown <1>] 1\n");
	check(addrs_in, "all", "app;main;[[vdso]]_[k];[libc.so.6];[unknown] 1\n");
}

static const char events_in[] = "app 1 1.0: 100 cycles:u:\n"
				"\t1 a (/x)\n"
				"\n"
				"app 1 2.0: 100 instructions:u:\n"
				"\t2 b (/x)\n"
				"\n"
				/* no blank line: the filtered header leaves the sample open */
				"app 1 3.0: 100 cycles:u:\n"
				"\t3 c (/x)\n"
				"app 1 4.0: 100 instructions:u:\n"
				"\t4 d (/x)\n"
				"\n";

static void test_event_filter(void **state)
{
	struct collapse_options o;
	char *out;

	/* the first event seen is kept; every sample counts 1 whatever its period */
	check(events_in, NULL, "app;a 1\napp;d;c 1\n");
	assert_non_null(strstr(warnings.buf, "'cycles:u'"));
	assert_non_null(strstr(warnings.buf, "skipped 2 samples"));

	collapse_options__init(&o);
	o.event_filter = "instructions:u";
	out = run_opts(events_in, &o);
	assert_string_equal(out, "app;b 1\napp;d 1\n");
	free(out);

	o.event_filter = "none";
	out = run_opts(events_in, &o);
	assert_string_equal(out, "");
	assert_non_null(strstr(warnings.buf, "no samples of event 'none'"));
	free(out);
}

static void test_tidy_names(void **state)
{
	static const char in[] =
		"java 1 1.0: cycles:\n"
		"\t1 Lorg/mozilla/javascript/ContextFactory;.call(Lorg/mozilla/javascript/"
		"ContextAction;)Ljava/lang/Object; (/tmp/perf-1.map)\n"
		"\t2 Lfoo (/x)\n"
		"\t3 net/http.(*Client).Do (/x)\n"
		"\t4 (anonymous namespace)::f(int) (/x)\n"
		"\t5 ns::(anonymous namespace)::g(int) (/x)\n"
		"\t6 RegExp:[&<>\"'] (/tmp/perf-7539.map)\n"
		"\t7 a;b (/x)\n"
		"\t8 outer->inner->innermost (/x)\n"
		"\t9 (perf) (/x)\n"
		"\t10 f+0x1F (/x)\n"
		"\t11 std::function<int (int, int)>::operator() (/x)\n"
		"\t12 operator-> (/x)\n"
		"\n";
	char *javac = strdup(in);

	/*
	 * Java names lose the 'L' (comm "java" only), a Go method keeps its
	 * parentheses, arguments go except "(anonymous namespace)", quotes go,
	 * ';' becomes ':', "a->b" is an inlined frame, "(...)" frames are skipped,
	 * only a lowercase hex offset is stripped, and trailing empty inline
	 * pieces vanish.
	 */
	check(in, NULL,
	      "java;operator;std::function<int ;f+0x1F;outer;inner_[i];innermost_[i];a:b;"
	      "RegExp:[&<>];ns::(anonymous namespace)::g;net/http.(*Client).Do;Lfoo;"
	      "org/mozilla/javascript/ContextFactory:.call 1\n");
	check(in, "jit",
	      "java;operator;std::function<int ;f+0x1F;outer;inner_[i];innermost_[i];a:b;"
	      "RegExp:[&<>]_[j];ns::(anonymous namespace)::g;net/http.(*Client).Do;Lfoo;"
	      "org/mozilla/javascript/ContextFactory:.call_[j] 1\n");
	memcpy(javac, "jav_", 4);
	check(javac, NULL,
	      "jav_;operator;std::function<int ;f+0x1F;outer;inner_[i];innermost_[i];a:b;"
	      "RegExp:[&<>];ns::(anonymous namespace)::g;net/http.(*Client).Do;Lfoo;"
	      "Lorg/mozilla/javascript/ContextFactory:.call 1\n");
	free(javac);
}

static void test_odd_frame_lines(void **state)
{
	/* where Perl's backtracking puts address, symbol and module */
	static const char in[] =
		"app 1 1.0: cycles:\n"
		"  abc (foo)\n"		   /* symbol "c" */
		"\tabc  (foo)\n"	   /* symbol " " */
		"\tab\n"		   /* unrecognised */
		"\t1 f (mod with space)\n" /* unrecognised */
		"\t2 g (/a/b (deleted))\n" /* module "deleted)", symbol "g (/a/b" */
		"\t3 h (x) (y)\n"
		"\t4 ->a->->b-> (/x)\n" /* leading empty piece kept */
		"\t5 +0x12 (/x)\n"	/* nothing left: no frame */
		"\t6 f+0x12+0x1a (/x)\n"
		"\n";
	struct collapse_options o;
	struct collapse_stats st;
	char *out;

	collapse_options__init(&o);
	out = run_opts_len(in, strlen(in), &o, 0, &st);
	assert_string_equal(out, "app;f+0x12;;a_[i];_[i];b_[i];h ;g ; ;c 1\n");
	assert_int_equal(st.samples, 1);
	assert_int_equal(st.skipped_lines, 2);
	free(out);
}

static void test_blank_lines_and_comments(void **state)
{
	static const char in[] = "# comment\n"
				 "\n"
				 "\n"
				 "app 1 1.0: cycles:\n"
				 "\t1 a (/x)\n"
				 "# a comment inside a sample does not end it\n"
				 "\t2 b (/x)\n"
				 "\n"
				 "\n"
				 "\n"
				 "app 1 2.0: cycles:\n" /* no frames: counts as the bare comm */
				 "\n"
				 "app 1 3.0: cycles:\n"
				 "\t3 c (/x)\n";
	struct collapse_options o;
	struct collapse_stats st;
	char *out;

	/* the last sample has no blank line after it: dropped, as the script does */
	collapse_options__init(&o);
	out = run_opts_len(in, strlen(in), &o, 0, &st);
	assert_string_equal(out, "app 1\napp;b;a 1\n");
	assert_int_equal(st.samples, 2);
	assert_non_null(strstr(warnings.buf, "ends inside a sample"));
	free(out);
}

static void test_crlf(void **state)
{
	/* differs from the script on purpose: it would print nothing */
	check("app 1 1.0: cycles:\r\n\t1 a (/x)\r\n\t2 b (/x)\r\n\r\n"
	      "app 1 2.0: cycles:\r\n\t1 a (/x)\r\n\t2 b (/x)\r\n\r\n",
	      NULL, "app;b;a 2\n");
	check("app 1 1.0: cycles:\r\n\t1 a (/x)\r\n\r\n", "pid", "app-?;a 1\n");
}

static void test_hostile_bytes(void **state)
{
	/* NULs and non-UTF-8 bytes are ordinary bytes; nothing is read past len */
	static const char in[] = "a\xff\x00p 7 1.0: c\x00ycles:\n"
				 "\t1 f\x00g\xe9 (/x)\n"
				 "\n";
	struct collapse_options o;
	char *out;
	size_t i;
	unsigned int seed = 12345;
	char *noise;

	collapse_options__init(&o);
	out = run_opts_len(in, sizeof(in) - 1, &o, 0, NULL);
	assert_memory_equal(out, "a\xff\x00p;f\x00g\xe9 1\n", 12);
	free(out);

	/* random bytes, then random bytes drawn from the characters that matter */
	noise = malloc(1 << 16);
	for (i = 0; i < 1 << 16; i++) {
		seed = seed * 1103515245 + 12345;
		noise[i] = (char)(seed >> 16);
	}
	out = run_opts_len(noise, 1 << 16, &o, ANY_RET, NULL);
	free(out);
	for (i = 0; i < 1 << 16; i++) {
		static const char alphabet[] = " \t\n\n\r()->+0x1a;\"'[]/:.Lunknow_#";

		seed = seed * 1103515245 + 12345;
		noise[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
	}
	out = run_opts_len(noise, 1 << 16, &o, 0, NULL);
	free(out);
	free(noise);
}

static void test_huge_line(void **state)
{
	/* 10 MB lines: a frame, a header, junk; each costs linear time, none crashes */
	static const char head[] = "app 1 1.0: cycles:\n";
	size_t n = 10 << 20, i, off;
	char *in = malloc(n + 64);
	struct collapse_options o;
	char *out;

	collapse_options__init(&o);
	off = strlen(head);
	memcpy(in, head, off);
	memcpy(in + off, "\t1 ", 3);
	for (i = 0; off + 3 + i < n; i++)
		in[off + 3 + i] = "a (b"[i % 4];
	strcpy(in + n, " (m)\n\n");
	out = run_opts_len(in, strlen(in), &o, 0, NULL);
	assert_string_equal(out, "app;a  1\n");
	free(out);

	/* a header whose every blank is followed by digits but not by a blank */
	for (i = 0; i < n; i++)
		in[i] = "x 1x"[i % 4];
	strcpy(in + n, " 2 e:\n\n");
	out = run_opts_len(in, strlen(in), &o, 0, NULL);
	/* the comm is all of it, blanks turned to '_' */
	assert_int_equal(strlen(out), n + 3);
	for (i = 0; i < n; i++)
		if (in[i] == ' ')
			in[i] = '_';
	assert_memory_equal(out, in, n);
	assert_string_equal(out + n, " 1\n");
	free(out);

	memcpy(in, head, off);
	for (i = off; i < n; i++)
		in[i] = "\t1 (x->"[i % 7];
	strcpy(in + n, "\n\n");
	out = run_opts_len(in, strlen(in), &o, 0, NULL);
	free(out);
	free(in);
}

static void test_oversized_stack(void **state)
{
	/*
	 * 3000 "[unknown]" pieces, each named after a 100 kB module: the script
	 * would build a 300 MB frame; the sample is left out, the next one kept.
	 */
	struct strbuf in = STRBUF_INIT;
	struct collapse_options o;
	char *out;
	int i;

	strbuf_addstr(&in, "app 1 1.0: c:\n\t1 ");
	for (i = 0; i < 3000; i++)
		strbuf_addstr(&in, "[unknown]->");
	strbuf_addstr(&in, "x (/");
	for (i = 0; i < 100000; i++)
		strbuf_addch(&in, 'm');
	strbuf_addstr(&in, ")\n\napp 1 2.0: c:\n\t2 ok (/x)\n\n");
	collapse_options__init(&o);
	out = run_opts_len(in.buf, in.len, &o, 0, NULL);
	assert_string_equal(out, "app;ok 1\n");
	assert_non_null(strstr(warnings.buf, "left out 1 sample whose stack exceeds 256 MiB"));
	free(out);
	strbuf_release(&in);
}

static void test_not_perf(void **state)
{
	struct collapse_options o;
	char *out;

	collapse_options__init(&o);
	out = run_opts_len("{\"nodes\": []}\n", 14, &o, -EINVAL, NULL);
	assert_string_equal(out, "");
	assert_non_null(strstr(warnings.buf, "no sample header"));
	free(out);
	/* empty input and comments only are fine: nothing to add */
	out = run_opts_len("", 0, &o, 0, NULL);
	assert_string_equal(out, "");
	free(out);
	out = run_opts_len("# perf header\n\n", 15, &o, 0, NULL);
	assert_string_equal(out, "");
	free(out);
}

/* Long enough to be cut into chunks parsed by different threads. */
static void test_large_input_threads(void **state)
{
	static const char a[] = "app 1/2 [000] 1.0: 250000 cpu-clock:\n"
				"\tffffffff81000000 k_func+0x10 ([kernel.kallsyms])\n"
				"\t7f0000000000 u_func+0x20 (/usr/lib/libc.so.6)\n"
				"\n";
	static const char b[] = "other 3 [001] 2.0: 250000 cpu-clock:\n"
				"\t7f0000000001 main (/usr/bin/other)\n"
				"\n";
	static const char c[] = "app 1/2 [000] 3.0: 1 instructions:\n"
				"\t7f0000000002 never (/usr/bin/app)\n"
				"\n";
	struct strbuf in = STRBUF_INIT;
	struct collapse_options o;
	char *out, expect[128];
	size_t i, reps = 60000;

	for (i = 0; i < reps; i++) {
		strbuf_add(&in, a, sizeof(a) - 1);
		strbuf_add(&in, b, sizeof(b) - 1);
		/* events of another type only in the second half: still filtered */
		if (i > reps / 2)
			strbuf_add(&in, c, sizeof(c) - 1);
	}
	assert_true(in.len > 8 << 20);
	collapse_options__init(&o);
	o.annotate_kernel = true;
	out = run_opts(in.buf, &o);
	snprintf(expect, sizeof(expect), "app;u_func;k_func_[k] %zu\nother;main %zu\n", reps, reps);
	assert_string_equal(out, expect);
	free(out);
	strbuf_release(&in);
}

static void test_formats(void **state)
{
	static const char *const names[] = {"auto", "perf", "v8", "pprof", "bpftrace", "folded"};
	struct collapse_options o;
	struct stack_counts *sc = stack_counts__new();
	enum collapse_format fmt;
	char *out;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(collapse_format__parse(names[i], &fmt), 0);
		assert_string_equal(collapse_format__name(fmt), names[i]);
	}
	assert_int_equal(collapse_format__parse("Perf", &fmt), -EINVAL);
	assert_int_equal(collapse_format__parse("", &fmt), -EINVAL);

	collapse_options__init(&o);
	assert_false(o.include_pid || o.include_tid || o.annotate_kernel || o.annotate_jit ||
		     o.include_addrs);
	assert_null(o.event_filter);
	assert_null(o.sample_type);
	assert_int_equal(collapse(COLLAPSE_PERF, addrs_in, strlen(addrs_in), &o, sc, NULL), 0);
	out = folded(sc);
	assert_string_equal(out, "app;main;[[vdso]];[libc.so.6];[unknown] 1\n");
	free(out);
	stack_counts__free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_order_and_offsets),
		cmocka_unit_test(test_kernel_annotation),
		cmocka_unit_test(test_jit_annotation),
		cmocka_unit_test(test_process_names),
		cmocka_unit_test(test_unknown_and_addrs),
		cmocka_unit_test(test_event_filter),
		cmocka_unit_test(test_tidy_names),
		cmocka_unit_test(test_odd_frame_lines),
		cmocka_unit_test(test_blank_lines_and_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_oversized_stack),
		cmocka_unit_test(test_not_perf),
		cmocka_unit_test(test_large_input_threads),
		cmocka_unit_test(test_formats),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	strbuf_release(&warnings);
	return ret;
}
