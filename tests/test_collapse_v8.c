// SPDX-License-Identifier: Apache-2.0
/* Unit tests for collapse_v8(): .cpuprofile, tree form and trace events to folded stacks. */
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
#include "common/log.h"
#include "common/strbuf.h"

/* The last library warning, to check why an input was refused. */
static char last_warning[512];

static void keep_warning(enum fs_log_level level, const char *fmt, va_list ap)
{
	vsnprintf(last_warning, sizeof(last_warning), fmt, ap);
}

struct result {
	int err;
	char *folded;
	struct collapse_stats stats;
};

static struct result run(const char *json, size_t len)
{
	struct stack_counts *sc = stack_counts__new();
	struct collapse_options opts;
	struct result r = {0};
	char *copy = malloc(len + 1);
	size_t size = 0;
	FILE *f;

	/* the importers may look at data[len], which must be NUL */
	memcpy(copy, json, len);
	copy[len] = '\0';
	memset(&opts, 0, sizeof(opts));
	r.err = collapse_v8(copy, len, &opts, sc, &r.stats);
	f = open_memstream(&r.folded, &size);
	assert_int_equal(stack_counts__write(sc, f), 0);
	fclose(f);
	stack_counts__free(sc);
	free(copy);
	return r;
}

#define RUN(s) run((s), strlen(s))

static void check(const char *json, const char *expected)
{
	struct result r = RUN(json);

	assert_int_equal(r.err, 0);
	assert_string_equal(r.folded, expected);
	free(r.folded);
}

static void check_error(const char *json, size_t len)
{
	struct result r = run(json, len);

	assert_int_equal(r.err, -EINVAL);
	free(r.folded);
}

/*
 * Root -> (anonymous) script -> a -> {b, c}; plus (program), (garbage
 * collector), (idle) and V8's placeholder script under the root.
 */
#define NODES                                                                                      \
	"[{\"id\":1,\"callFrame\":{\"functionName\":\"(root)\",\"url\":\"\",\"lineNumber\":-1,"    \
	"\"columnNumber\":-1},\"children\":[2,6,7,8,9]},"                                          \
	"{\"id\":2,\"callFrame\":{\"functionName\":\"\",\"url\":\"file:///app.js\","               \
	"\"lineNumber\":0,\"columnNumber\":0},\"children\":[3]},"                                  \
	"{\"id\":3,\"callFrame\":{\"functionName\":\"a\",\"url\":\"file:///app.js\","              \
	"\"lineNumber\":4,\"columnNumber\":10},\"children\":[4,5]},"                               \
	"{\"id\":4,\"callFrame\":{\"functionName\":\"b\",\"url\":\"file:///app.js\","              \
	"\"lineNumber\":9,\"columnNumber\":2}},"                                                   \
	"{\"id\":5,\"callFrame\":{\"functionName\":\"c\",\"url\":\"\",\"lineNumber\":19,"          \
	"\"columnNumber\":0}},"                                                                    \
	"{\"id\":6,\"callFrame\":{\"functionName\":\"(program)\",\"url\":\"\",\"lineNumber\":-1,"  \
	"\"columnNumber\":-1}},"                                                                   \
	"{\"id\":7,\"callFrame\":{\"functionName\":\"(garbage collector)\",\"url\":\"\","          \
	"\"lineNumber\":-1,\"columnNumber\":-1}},"                                                 \
	"{\"id\":8,\"callFrame\":{\"functionName\":\"(idle)\",\"url\":\"\",\"lineNumber\":-1,"     \
	"\"columnNumber\":-1}},"                                                                   \
	"{\"id\":9,\"callFrame\":{\"functionName\":\"\",\"url\":\"native dummy.js\","              \
	"\"lineNumber\":0,\"columnNumber\":0}}]"

static void test_cpuprofile(void **state)
{
	/*
	 * Sample times 100, 110, 130, 160, 200, 250, 310, 380: each sample weighs
	 * the time since the one before, the first weighs nothing.  The sample of
	 * V8's placeholder script (60) is dropped.
	 */
	check("{\"nodes\":" NODES ",\"startTime\":0,\"endTime\":500,"
	      "\"samples\":[4,4,5,6,7,8,9,3],"
	      "\"timeDeltas\":[100,10,20,30,40,50,60,70]}",
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11 70\n"
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;b file:///app.js:10:3 10\n"
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 20\n"
	      "(garbage collector) 40\n"
	      "(idle) 50\n"
	      "(program) 30\n");
}

static void test_weights_are_time_not_counts(void **state)
{
	/* four samples of b, one long sample of c: c must weigh more */
	check("{\"nodes\":" NODES ",\"samples\":[4,4,4,5,4],"
	      "\"timeDeltas\":[0,1,1,1000,1]}",
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;b file:///app.js:10:3 3\n"
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 1000\n");
}

/* The DevTools protocol's Profiler.stop result, alone or in its message. */
static void test_protocol_result(void **state)
{
	static const char want[] =
		"(anonymous) file:///app.js:1:1;a file:///app.js:5:11;b file:///app.js:10:3 3\n"
		"(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 1000\n";

	check("{\"profile\":{\"nodes\":" NODES ",\"samples\":[4,4,4,5,4],"
	      "\"timeDeltas\":[0,1,1,1000,1]}}",
	      want);
	check("{\"id\":7,\"result\":{\"profile\":{\"nodes\":" NODES ",\"samples\":[4,4,4,5,4],"
	      "\"timeDeltas\":[0,1,1,1000,1]}}}",
	      want);
	check_error("{\"profile\":[]}", 14);
	check_error("{\"result\":{\"profile\":{}}}", 26);
}

static void test_negative_deltas(void **state)
{
	/*
	 * Times 100, 150, 120 (goes back), 160, 170: the clock is held at 150 until
	 * it passes it again, so the sample at 120 gets nothing and the one at 160
	 * gets 160 - 150.
	 */
	check("{\"nodes\":" NODES ",\"samples\":[4,5,6,7,8],"
	      "\"timeDeltas\":[100,50,-30,40,10]}",
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 50\n"
	      "(garbage collector) 10\n"
	      "(idle) 10\n");
}

static void test_delta_overflow(void **state)
{
	const char *json = "{\"nodes\":" NODES ",\"samples\":[4,5,6],"
			   "\"timeDeltas\":[9223372036854775000,9223372036854775000,1]}";

	check_error(json, strlen(json));
}

static void test_huge_delta(void **state)
{
	/* large but representable: printed the way Perl prints large numbers */
	check("{\"nodes\":" NODES ",\"samples\":[4,5],"
	      "\"timeDeltas\":[0,9000000000000000000]}",
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 9e+18\n");
}

static void test_parent_links(void **state)
{
	/* Chrome trace chunks give "parent" instead of "children" */
	check("{\"nodes\":[{\"id\":1,\"callFrame\":{\"functionName\":\"(root)\"}},"
	      "{\"id\":2,\"parent\":1,\"callFrame\":{\"functionName\":\"main\",\"url\":\"m.js\","
	      "\"lineNumber\":0}},"
	      "{\"id\":3,\"parent\":2,\"callFrame\":{\"functionName\":\"f\",\"url\":\"m.js\","
	      "\"lineNumber\":2,\"columnNumber\":4}}],"
	      "\"samples\":[3,2,3],\"timeDeltas\":[5,7,9]}",
	      "main m.js:1 7\n"
	      "main m.js:1;f m.js:3:5 9\n");
}

static void test_tree_form(void **state)
{
	/* Node.js 10 / v8-profiler: nested children, absolute timestamps */
	check("{\"head\":{\"functionName\":\"(root)\",\"url\":\"\",\"lineNumber\":-1,\"id\":1,"
	      "\"children\":[{\"functionName\":\"\",\"url\":\"\",\"lineNumber\":0,\"id\":2,"
	      "\"children\":[{\"functionName\":\"a\",\"url\":\"x.js\",\"lineNumber\":3,\"id\":3,"
	      "\"children\":[]},{\"functionName\":\"b\",\"url\":\"x.js\",\"lineNumber\":8,"
	      "\"id\":4,\"children\":[]}]}]},"
	      "\"startTime\":1,\"endTime\":2,\"samples\":[3,3,4,2],"
	      "\"timestamps\":[1000010,1000030,1000060,1000100]}",
	      "(anonymous) :1 40\n"
	      "(anonymous) :1;a x.js:4 20\n"
	      "(anonymous) :1;b x.js:9 30\n");
	/* one time stamp more than samples: the first is the start of the profile */
	check("{\"head\":{\"functionName\":\"a\",\"id\":1,\"children\":[{\"functionName\":\"b\","
	      "\"id\":2,\"children\":[]}]},\"samples\":[1,2,1],"
	      "\"timestamps\":[1000,2000,2005,2030]}",
	      "a 25\n"
	      "a;b 5\n");
}

static void test_same_name_kept_apart(void **state)
{
	/* two functions named "run" in two files, and one function reached twice */
	check("{\"nodes\":[{\"id\":1,\"callFrame\":{\"functionName\":\"(root)\"},"
	      "\"children\":[2,3]},"
	      "{\"id\":2,\"callFrame\":{\"functionName\":\"run\",\"url\":\"a.js\","
	      "\"lineNumber\":0,\"columnNumber\":0},\"children\":[4]},"
	      "{\"id\":3,\"callFrame\":{\"functionName\":\"run\",\"url\":\"b.js\","
	      "\"lineNumber\":0,\"columnNumber\":0},\"children\":[5]},"
	      "{\"id\":4,\"callFrame\":{\"functionName\":\"x\",\"url\":\"c.js\","
	      "\"lineNumber\":1,\"columnNumber\":1}},"
	      "{\"id\":5,\"callFrame\":{\"functionName\":\"x\",\"url\":\"c.js\","
	      "\"lineNumber\":1,\"columnNumber\":1}}],"
	      "\"samples\":[4,5,4,5,2],\"timeDeltas\":[0,1,2,3,4]}",
	      "run a.js:1:1 4\n"
	      "run a.js:1:1;x c.js:2:2 2\n"
	      "run b.js:1:1;x c.js:2:2 4\n");
}

static void test_names_are_made_safe(void **state)
{
	check("{\"nodes\":[{\"id\":1,\"callFrame\":{\"functionName\":\"a;b\\nc\","
	      "\"url\":\"data:text/javascript;base64,AA\",\"lineNumber\":0,\"columnNumber\":0}}],"
	      "\"samples\":[1,1],\"timeDeltas\":[0,5]}",
	      "a:b c data:text/javascript:base64,AA:1:1 5\n");
}

static const char trace_profile_event[] =
	"{\"pid\":1,\"tid\":2,\"ts\":100,\"ph\":\"P\",\"cat\":\"v8\",\"name\":\"Profile\","
	"\"id\":\"0x1\",\"args\":{\"data\":{\"startTime\":100}}}";
static const char trace_chunk_1[] =
	"{\"pid\":1,\"tid\":3,\"ts\":200,\"ph\":\"P\",\"cat\":\"v8\",\"name\":\"ProfileChunk\","
	"\"id\":\"0x1\",\"args\":{\"data\":{\"cpuProfile\":{\"nodes\":["
	"{\"callFrame\":{\"functionName\":\"(root)\",\"scriptId\":0},\"id\":1},"
	"{\"callFrame\":{\"functionName\":\"(program)\",\"scriptId\":0},\"id\":2,\"parent\":1},"
	"{\"callFrame\":{\"functionName\":\"main\",\"url\":\"t.js\",\"lineNumber\":0,"
	"\"columnNumber\":0},\"id\":3,\"parent\":1}],"
	"\"samples\":[3,3]},\"timeDeltas\":[10,10]}}}";
static const char trace_chunk_2[] =
	"{\"pid\":1,\"tid\":3,\"ts\":300,\"ph\":\"P\",\"cat\":\"v8\",\"name\":\"ProfileChunk\","
	"\"id\":\"0x1\",\"args\":{\"data\":{\"cpuProfile\":{\"nodes\":["
	"{\"callFrame\":{\"functionName\":\"work\",\"url\":\"t.js\",\"lineNumber\":4,"
	"\"columnNumber\":2},\"id\":4,\"parent\":3}],"
	"\"samples\":[4,2,3]},\"timeDeltas\":[20,40,80]}}}";
static const char trace_other_event[] =
	"{\"pid\":1,\"tid\":2,\"ts\":150,\"ph\":\"X\",\"cat\":\"devtools\",\"name\":\"RunTask\","
	"\"dur\":5,\"args\":{}}";
/* times 10, 20, 40, 80, 160: main 0 + 10 + 80, work 20, (program) 40 */
static const char trace_expected[] = "(program) 40\n"
				     "main t.js:1:1 90\n"
				     "main t.js:1:1;work t.js:5:3 20\n";

static void test_trace_events(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	/* chunks out of order in the file: their time stamps order them */
	strbuf_addf(&sb, "[%s,%s,%s,%s]", trace_chunk_2, trace_other_event, trace_chunk_1,
		    trace_profile_event);
	check(sb.buf, trace_expected);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "{\"traceEvents\":[%s,%s,%s],\"metadata\":{}}", trace_profile_event,
		    trace_chunk_1, trace_chunk_2);
	check(sb.buf, trace_expected);
	strbuf_release(&sb);
}

static void test_trace_cpuprofile_event(void **state)
{
	check("[{\"pid\":1,\"tid\":1,\"ts\":5,\"ph\":\"I\",\"cat\":\"t\",\"name\":\"CpuProfile\","
	      "\"args\":{\"data\":{\"cpuProfile\":{\"nodes\":" NODES ","
	      "\"samples\":[4,5,4],\"timeDeltas\":[1,2,3]}}}},"
	      "{\"pid\":1,\"tid\":1,\"ts\":6,\"ph\":\"P\",\"name\":\"ProfileChunk\",\"args\":{}}]",
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;b file:///app.js:10:3 3\n"
	      "(anonymous) file:///app.js:1:1;a file:///app.js:5:11;c :20:1 2\n");
}

static void test_trace_without_profile(void **state)
{
	const char *json = "[{\"pid\":1,\"tid\":1,\"ts\":5,\"ph\":\"X\",\"name\":\"RunTask\"}]";

	check_error(json, strlen(json));
}

static void test_lost_nodes_are_skipped(void **state)
{
	/* as in Chrome traces with a dropped chunk: unknown parent, unknown sample node */
	check("{\"nodes\":[{\"id\":5,\"parent\":99,\"callFrame\":{\"functionName\":\"orphan\"}},"
	      "{\"id\":6,\"parent\":5,\"callFrame\":{\"functionName\":\"child\"}}],"
	      "\"samples\":[6,42,5,6],\"timeDeltas\":[0,3,4,5]}",
	      "orphan 4\n"
	      "orphan;child 5\n");
}

static void test_cycle(void **state)
{
	const char *json =
		"{\"nodes\":[{\"id\":1,\"parent\":2,\"callFrame\":{\"functionName\":\"x\"}},"
		"{\"id\":2,\"parent\":1,\"callFrame\":{\"functionName\":\"y\"}}],"
		"\"samples\":[1,2],\"timeDeltas\":[0,1]}";

	check_error(json, strlen(json));
}

static void test_deep_chain(void **state)
{
	/* a 100000-deep call chain through parent links: loops, not recursion */
	struct strbuf sb = STRBUF_INIT;
	struct result r;
	int i, depth = 100000;
	size_t semicolons = 0;
	char *p;

	strbuf_addstr(&sb, "{\"nodes\":[");
	for (i = 1; i <= depth; i++)
		strbuf_addf(&sb,
			    "%s{\"id\":%d,\"parent\":%d,\"callFrame\":{\"functionName\":\"f\"}}",
			    i > 1 ? "," : "", i, i - 1);
	strbuf_addf(&sb, "],\"samples\":[%d,%d],\"timeDeltas\":[0,7]}", depth, depth);
	r = run(sb.buf, sb.len);
	assert_int_equal(r.err, 0);
	for (p = r.folded; *p; p++)
		semicolons += *p == ';';
	assert_int_equal(semicolons, depth - 1);
	assert_string_equal(r.folded + strlen(r.folded) - 4, "f 7\n");
	free(r.folded);
	strbuf_release(&sb);
}

static void test_quadratic_output_is_refused(void **state)
{
	/*
	 * 70000 nodes in a chain, every one sampled: about 5 MB of JSON whose
	 * stacks would take 70000^2 bytes.  Refused before any stack is built.
	 */
	struct strbuf sb = STRBUF_INIT;
	int i, depth = 70000;

	strbuf_addstr(&sb, "{\"nodes\":[");
	for (i = 1; i <= depth; i++)
		strbuf_addf(&sb,
			    "%s{\"id\":%d,\"parent\":%d,\"callFrame\":{\"functionName\":\"f\"}}",
			    i > 1 ? "," : "", i, i - 1);
	strbuf_addstr(&sb, "],\"samples\":[");
	for (i = 1; i <= depth; i++)
		strbuf_addf(&sb, "%s%d", i > 1 ? "," : "", i);
	strbuf_addstr(&sb, "],\"timeDeltas\":[");
	for (i = 1; i <= depth; i++)
		strbuf_addf(&sb, "%s1", i > 1 ? "," : "");
	strbuf_addstr(&sb, "]}");
	fs_log_set_handler(keep_warning);
	check_error(sb.buf, sb.len);
	fs_log_set_handler(NULL);
	assert_non_null(strstr(last_warning, "bytes of text"));
	strbuf_release(&sb);
}

static void test_deep_json_is_refused(void **state)
{
	/* tree form nested beyond the JSON depth limit: an error, not a stack overflow */
	struct strbuf sb = STRBUF_INIT;
	int i, depth = 40000;

	strbuf_addstr(&sb, "{\"samples\":[],\"timestamps\":[],\"head\":");
	for (i = 0; i < depth; i++)
		strbuf_addf(&sb, "{\"id\":%d,\"functionName\":\"f\",\"children\":[", i + 1);
	for (i = 0; i < depth; i++)
		strbuf_addstr(&sb, "]}");
	strbuf_addstr(&sb, "}");
	check_error(sb.buf, sb.len);
	strbuf_release(&sb);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"nodes\":[{\"id\":1,",
		"not json",
		"{\"nodes\":[]}garbage",
		"{\"something\":\"else\"}",
		"{\"nodes\":[{\"callFrame\":{}}],\"samples\":[],\"timeDeltas\":[]}",
		"{\"nodes\":[{\"id\":1}],\"samples\":[1,1],\"timeDeltas\":[0]}",
		"{\"nodes\":[{\"id\":1}],\"samples\":[\"x\"],\"timeDeltas\":[0]}",
		"{\"nodes\":[{\"id\":1,\"children\":[7]}],\"samples\":[1],\"timeDeltas\":[0]}",
		"{\"head\":{\"id\":1,\"children\":[5]},\"samples\":[],\"timestamps\":[]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_error(bad[i], strlen(bad[i]));
	check_error("{\"nodes\":[]}\0", 13); /* a NUL after the document */
}

static void test_garbage_bytes(void **state)
{
	/* pseudo-random bytes after a valid start: must fail cleanly, never crash */
	char buf[4096];
	unsigned x = 12345;
	int round;
	size_t i;

	for (round = 0; round < 50; round++) {
		struct result r;

		memcpy(buf, "{\"nodes\":[", 10);
		for (i = 10; i < sizeof(buf); i++) {
			x = x * 1103515245 + 12345;
			buf[i] = "{}[],:\"0123456789-.eEabcnulltrue \\"[(x >> 16) % 34];
		}
		r = run(buf, sizeof(buf));
		assert_int_not_equal(r.err, 0);
		free(r.folded);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuprofile),
		cmocka_unit_test(test_weights_are_time_not_counts),
		cmocka_unit_test(test_protocol_result),
		cmocka_unit_test(test_negative_deltas),
		cmocka_unit_test(test_delta_overflow),
		cmocka_unit_test(test_huge_delta),
		cmocka_unit_test(test_parent_links),
		cmocka_unit_test(test_tree_form),
		cmocka_unit_test(test_same_name_kept_apart),
		cmocka_unit_test(test_names_are_made_safe),
		cmocka_unit_test(test_trace_events),
		cmocka_unit_test(test_trace_cpuprofile_event),
		cmocka_unit_test(test_trace_without_profile),
		cmocka_unit_test(test_lost_nodes_are_skipped),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_quadratic_output_is_refused),
		cmocka_unit_test(test_deep_json_is_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
