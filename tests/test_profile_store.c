// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for store/: the profile database written by profile_store and
 * read back by profile_reader (dedup, buckets, time slices, filters, hot/cold
 * marks, bad files) and stack_filter on folded profiles.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "collapse/stack_counts.h"
#include "render/folded.h"
#include "store/profile_reader.h"
#include "store/profile_store.h"
#include "store/stack_filter.h"

#define SEC 1000000000ULL

static char dir[] = "/tmp/test_profile_store-XXXXXX";

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static struct profile_store *create(const char *name, const char *mode, double scale)
{
	struct store_meta m = {
		.command_line = "flamesamp record -o x.db -- prog",
		.mode = mode,
		.event = "cpu-clock",
		.frequency = 99,
		.unit = scale == 1 ? "samples" : "ns",
		.count_name = scale == 1 ? "samples" : "us",
		.count_scale = scale,
		.start_ns = 1000 * SEC,
		.start_monotonic_ns = 50 * SEC,
		.version = "test",
	};
	struct profile_store *s = profile_store__create(path_of(name), &m);

	assert_non_null(s);
	return s;
}

static int64_t frame(struct profile_store *s, const char *name, enum profile_frame_kind kind)
{
	struct profile_frame f = {
		.name = name, .module = "/bin/prog", .address = 0x100, .kind = kind};
	int64_t id = profile_store__frame(s, &f);

	assert_true(id > 0);
	return id;
}

/* Folded text ("stack count" lines, sorted) of @p. */
static char *folded_text(const struct folded_profile *p)
{
	struct stack_counts *sc = stack_counts__new();
	struct strbuf_like {
		char *buf;
		size_t size;
	} out = {0};
	size_t i, j, n = folded_profile__stack_count(p);
	FILE *f;

	for (i = 0; i < n; i++) {
		struct folded_stack fs;
		char line[4096] = "";

		folded_profile__stack(p, i, &fs);
		for (j = 0; j < fs.nframes; j++) {
			if (j)
				strcat(line, ";");
			strcat(line, folded_profile__name(p, fs.frames[j], NULL));
		}
		stack_counts__add(sc, line, strlen(line), fs.weight);
	}
	f = open_memstream(&out.buf, &out.size);
	assert_int_equal(stack_counts__write(sc, f), 0);
	fclose(f);
	stack_counts__free(sc);
	return out.buf;
}

static char *read_slice(const char *name, const struct profile_slice *slice)
{
	char err[256] = "";
	struct profile_reader *r = profile_reader__open(path_of(name), err, sizeof(err));
	struct folded_profile *p = folded_profile__new(0);
	char *text;

	assert_non_null(r);
	assert_int_equal(profile_reader__read(r, slice, p, err, sizeof(err)), 0);
	text = folded_text(p);
	folded_profile__free(p);
	profile_reader__free(r);
	return text;
}

/*
 * prog (pid 10): main;work;leaf_a 3 samples in bucket 0 (0-100 ms), 2 more at
 * 1.5 s; main;work;leaf_b 4 samples at 1.0 s.  other (pid 20): main;idle 1 at 2 s.
 */
static void write_fixture(const char *name)
{
	struct profile_store *s = create(name, "cpu", 1);
	int64_t main_id = frame(s, "main", PROFILE_FRAME_USER);
	int64_t work = frame(s, "work", PROFILE_FRAME_INLINE);
	int64_t a = frame(s, "leaf_a", PROFILE_FRAME_USER);
	int64_t b = frame(s, "do_syscall", PROFILE_FRAME_KERNEL);
	int64_t idle = frame(s, "idle;x", PROFILE_FRAME_USER);
	int64_t sa[] = {main_id, work, a}, sb[] = {main_id, work, b}, si[] = {main_id, idle};
	int64_t ia, ib, ii;

	/* the same frame again: the same id */
	assert_int_equal(frame(s, "main", PROFILE_FRAME_USER), main_id);
	assert_int_not_equal(frame(s, "main", PROFILE_FRAME_KERNEL), main_id);
	ia = profile_store__stack(s, 10, 11, "prog", sa, 3);
	ib = profile_store__stack(s, 10, 11, "prog", sb, 3);
	ii = profile_store__stack(s, 20, 20, "other", si, 2);
	assert_true(ia > 0 && ib > 0 && ii > 0);
	assert_int_equal(profile_store__stack(s, 10, 11, "prog", sa, 3), ia);
	assert_int_not_equal(profile_store__stack(s, 10, 12, "prog", sa, 3), ia);
	assert_int_equal(profile_store__bucket(s, 49 * SEC), 0);
	assert_int_equal(profile_store__bucket(s, 50 * SEC + SEC / 20), 0);
	assert_int_equal(profile_store__bucket(s, 51 * SEC + SEC / 2), 15);
	assert_int_equal(profile_store__add_weight(s, ia, 0, "cpu", 1), 0);
	assert_int_equal(profile_store__add_weight(s, ia, 0, "cpu", 2), 0); /* upsert-add */
	assert_int_equal(profile_store__commit(s), 0);
	assert_int_equal(profile_store__add_weight(s, ia, 15, "cpu", 2), 0);
	assert_int_equal(profile_store__add_weight(s, ib, 10, "cpu", 4), 0);
	assert_int_equal(profile_store__add_weight(s, ii, 20, "cpu", 1), 0);
	assert_int_equal(
		profile_store__finish(
			s, &(struct store_end){.end_ns = 1003 * SEC, .samples = 10, .title = "T"}),
		0);
	profile_store__free(s);
}

static void test_write_read_back(void **state)
{
	struct profile_slice all = {0};
	char *text;
	char err[256];
	struct profile_reader *r;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct stat sb;

	write_fixture("a.db");
	/* a single file: no WAL left, no temporary file */
	assert_int_equal(stat(path_of("a.db-wal"), &sb), -1);
	assert_int_equal(profile_store__is_database(path_of("a.db")), 1);
	text = read_slice("a.db", &all);
	assert_string_equal(text, "other;main;idle:x 1\n"
				  "prog;main;work_[i];do_syscall_[k] 4\n"
				  "prog;main;work_[i];leaf_a 5\n");
	free(text);

	r = profile_reader__open(path_of("a.db"), err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(profile_reader__meta(r, "mode"), "cpu");
	assert_string_equal(profile_reader__meta(r, "samples"), "10");
	assert_string_equal(profile_reader__meta(r, "title"), "T");
	assert_string_equal(profile_reader__meta(r, "schema_version"), "1");
	assert_null(profile_reader__meta(r, "nope"));
	/* rows deduplicated: one per (stack, bucket, event) */
	db = profile_reader__sqlite(r);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT COUNT(*), SUM(weight) FROM samples WHERE "
					    "bucket = 0",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 3);
	sqlite3_finalize(st);
	/* read-only: nothing can be written through the reader */
	assert_int_not_equal(
		sqlite3_exec(db, "INSERT INTO meta VALUES ('k', 'v')", NULL, NULL, NULL),
		SQLITE_OK);
	profile_reader__free(r);
}

static void test_time_slices_and_filters(void **state)
{
	struct profile_slice s = {0};
	const pid_t pid20[] = {20};
	const pid_t tid11[] = {11};
	const char *const comm[] = {"prog"};
	char *text;

	write_fixture("b.db");
	s.has_from = true;
	s.from = 1.0;
	s.has_to = true;
	s.to = 1.5; /* buckets 10..14 */
	text = read_slice("b.db", &s);
	assert_string_equal(text, "prog;main;work_[i];do_syscall_[k] 4\n");
	free(text);
	s.to = 1.51; /* bucket 15 starts at 1.5: in */
	text = read_slice("b.db", &s);
	assert_string_equal(text, "prog;main;work_[i];do_syscall_[k] 4\n"
				  "prog;main;work_[i];leaf_a 2\n");
	free(text);
	/* negative: from the end (3 s long): the last second */
	s.from = -1;
	s.has_to = false;
	text = read_slice("b.db", &s);
	assert_string_equal(text, "other;main;idle:x 1\n");
	free(text);

	memset(&s, 0, sizeof(s));
	s.pids = pid20;
	s.nr_pids = 1;
	text = read_slice("b.db", &s);
	assert_string_equal(text, "other;main;idle:x 1\n");
	free(text);
	memset(&s, 0, sizeof(s));
	s.tids = tid11;
	s.nr_tids = 1;
	s.comms = comm;
	s.nr_comms = 1;
	text = read_slice("b.db", &s);
	assert_string_equal(text, "prog;main;work_[i];do_syscall_[k] 4\n"
				  "prog;main;work_[i];leaf_a 5\n");
	free(text);
}

/* Hot/cold: off-CPU stacks marked _[o] on every frame; ns weights scaled to us and rounded. */
static void test_hotcold_scaled(void **state)
{
	struct profile_store *s = create("h.db", "hotcold", 1e-3);
	int64_t f[] = {frame(s, "main", PROFILE_FRAME_USER),
		       frame(s, "read", PROFILE_FRAME_KERNEL)};
	int64_t id = profile_store__stack(s, 1, 1, "p", f, 2);
	struct profile_slice all = {0};
	char *text;

	assert_int_equal(profile_store__add_weight(s, id, 0, "cpu", 2600), 0);
	assert_int_equal(profile_store__add_weight(s, id, 3, "offcpu", 1000), 0);
	assert_int_equal(profile_store__add_weight(s, id, 4, "offcpu", 499), 0);
	assert_int_equal(profile_store__finish(s, &(struct store_end){.end_ns = 1001 * SEC}), 0);
	profile_store__free(s);
	text = read_slice("h.db", &all);
	/* 1499 ns -> 1 us (rounded once, over the stack, not per bucket) */
	assert_string_equal(text, "p;main;read_[k] 3\n"
				  "p;main_[o];read_[o] 1\n");
	free(text);
}

/* A store freed before its first commit leaves nothing; after it, what was committed. */
static void test_unfinished(void **state)
{
	struct profile_store *s = create("u.db", "cpu", 1);
	struct profile_slice all = {0};
	struct stat sb;
	int64_t f[1];
	int64_t id;
	char *text;
	char cmd[600];
	FILE *p;
	char line[256] = "";

	profile_store__free(s);
	assert_int_equal(stat(path_of("u.db"), &sb), -1);
	snprintf(cmd, sizeof(cmd), "ls '%s'", dir);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p))
		assert_null(strstr(line, "u.db"));
	pclose(p);

	s = create("u.db", "cpu", 1);
	f[0] = frame(s, "main", PROFILE_FRAME_USER);
	id = profile_store__stack(s, 1, 1, "p", f, 1);
	assert_int_equal(profile_store__add_weight(s, id, 0, "cpu", 7), 0);
	assert_int_equal(profile_store__commit(s), 0);
	assert_int_equal(profile_store__add_weight(s, id, 1, "cpu", 100), 0);
	profile_store__free(s); /* not finished: the last additions are lost */
	text = read_slice("u.db", &all);
	assert_string_equal(text, "p;main 7\n");
	free(text);
}

static void write_file(const char *name, const void *data, size_t len)
{
	int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_bad_files(void **state)
{
	char err[256] = "";
	sqlite3 *db;
	char *buf;
	struct stat sb;
	FILE *f;
	size_t n;

	write_file("text.db", "main;a 1\n", 9);
	assert_int_equal(profile_store__is_database(path_of("text.db")), 0);
	assert_null(profile_reader__open(path_of("text.db"), err, sizeof(err)));
	assert_non_null(strstr(err, "not a profile database"));
	assert_int_equal(profile_store__is_database(path_of("missing.db")), -ENOENT);

	/* a SQLite database that is not a profile */
	assert_int_equal(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(profile_reader__open(path_of("other.db"), err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err, "not a flamesamp profile"));

	/* another schema version */
	write_fixture("v.db");
	assert_int_equal(sqlite3_open(path_of("v.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE meta SET value = '99' WHERE key = "
				      "'schema_version'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_null(profile_reader__open(path_of("v.db"), err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err, "schema version 99"));

	/* corrupt: the header kept, every page after the first overwritten */
	write_fixture("c.db");
	assert_int_equal(stat(path_of("c.db"), &sb), 0);
	buf = malloc((size_t)sb.st_size);
	f = fopen(path_of("c.db"), "rb");
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	assert_true(n > 4096);
	memset(buf + 100, 0xa5, n - 100);
	write_file("c.db", buf, n);
	free(buf);
	{
		struct profile_reader *r = profile_reader__open(path_of("c.db"), err, sizeof(err));
		struct folded_profile *p = folded_profile__new(0);
		struct profile_slice all = {0};

		/* either the open or the read fails, with SQLite's word for it */
		if (r) {
			assert_int_not_equal(profile_reader__read(r, &all, p, err, sizeof(err)), 0);
			profile_reader__free(r);
		}
		assert_true(strlen(err) > 0);
		folded_profile__free(p);
	}
}

static void test_create_fails(void **state)
{
	struct store_meta m = {.mode = "cpu"};

	assert_null(profile_store__create("/nonexistent-dir/x.db", &m));
	assert_int_equal(errno, ENOENT);
}

/* ---- stack_filter ---- */

static char *filter_text(const char *folded, const struct stack_filter_options *o)
{
	struct folded_profile *in = folded_profile__new(0), *out = folded_profile__new(0);
	char err[256];
	struct stack_filter *f = stack_filter__new(o, err, sizeof(err));
	char *text;

	assert_non_null(f);
	folded_profile__add_text(in, folded, strlen(folded));
	stack_filter__apply(f, in, out, true);
	text = folded_text(out);
	stack_filter__free(f);
	folded_profile__free(in);
	folded_profile__free(out);
	return text;
}

static const char fixture_folded[] = "app-10/11;_start;main;work;leaf_a 5\n"
				     "app-10/12;_start;main;io;read_[k] 3\n"
				     "db-20/20;_start;main;query 2\n"
				     "kworker/0:1;worker_thread_[k] 1\n"
				     "app-10/11;_start;main;main;recurse 4\n";

static void test_filters(void **state)
{
	const pid_t pid10[] = {10}, tid12[] = {12};
	const char *const comm_db[] = {"db"}, *const comm_kw[] = {"kworker/0:1"};
	const char *const grep_main[] = {"^main$"}, *const grep_two[] = {"^main$", "_\\[k\\]$"};
	const char *const excl[] = {"read|query"};
	const char *const skip[] = {"main"};
	char *t;

	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.pids = pid10, .nr_pids = 1});
	assert_string_equal(t, "app-10/11;_start;main;main;recurse 4\n"
			       "app-10/11;_start;main;work;leaf_a 5\n"
			       "app-10/12;_start;main;io;read_[k] 3\n");
	free(t);
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.tids = tid12, .nr_tids = 1});
	assert_string_equal(t, "app-10/12;_start;main;io;read_[k] 3\n");
	free(t);
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.comms = comm_db, .nr_comms = 1});
	assert_string_equal(t, "db-20/20;_start;main;query 2\n");
	free(t);
	/* a comm with '/' and digits is not mistaken for PID/TID */
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.comms = comm_kw, .nr_comms = 1});
	assert_string_equal(t, "kworker/0:1;worker_thread_[k] 1\n");
	free(t);
	/* grep: several must all match, each some frame */
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.grep = grep_two, .nr_grep = 2});
	assert_string_equal(t, "app-10/12;_start;main;io;read_[k] 3\n");
	free(t);
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){
				.grep = grep_main, .nr_grep = 1, .exclude = excl, .nr_exclude = 1});
	assert_string_equal(t, "app-10/11;_start;main;main;recurse 4\n"
			       "app-10/11;_start;main;work;leaf_a 5\n");
	free(t);
	/* skip-after: the root-most main becomes the root; stacks without it stay whole */
	t = filter_text(fixture_folded,
			&(struct stack_filter_options){.skip_after = skip, .nr_skip_after = 1});
	assert_string_equal(t, "kworker/0:1;worker_thread_[k] 1\n"
			       "main;io;read_[k] 3\n"
			       "main;main;recurse 4\n"
			       "main;query 2\n"
			       "main;work;leaf_a 5\n");
	free(t);
}

static void test_filter_bad_regex_and_first_frame(void **state)
{
	const char *const bad[] = {"(unclosed"};
	char err[256] = "";
	pid_t pid, tid;

	assert_null(stack_filter__new(&(struct stack_filter_options){.grep = bad, .nr_grep = 1},
				      err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "(unclosed"));
	assert_int_equal(stack_filter__parse_first("a-b-12/34", 9, &pid, &tid), 3);
	assert_int_equal(pid, 12);
	assert_int_equal(tid, 34);
	assert_int_equal(stack_filter__parse_first("a-b-12", 6, &pid, &tid), 3);
	assert_int_equal(pid, 12);
	assert_int_equal(tid, 0);
	assert_int_equal(stack_filter__parse_first("ksoftirqd/0", 11, &pid, &tid), 11);
	assert_int_equal(pid, 0);
	assert_int_equal(stack_filter__parse_first("x-", 2, &pid, &tid), 2);
}

static void test_frame_text(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile_frame f = {
		.name = "a;b\nc", .file = "/src/x.c", .line = 12, .kind = PROFILE_FRAME_INLINE};

	profile_frame__append_text(&sb, &f, NULL);
	assert_string_equal(sb.buf, "a:b?c x.c:12_[i]");
	strbuf_reset(&sb);
	profile_frame__append_text(&sb, &f, "_[o]");
	assert_string_equal(sb.buf, "a:b?c x.c:12_[o]");
	strbuf_release(&sb);
	assert_int_equal(profile_frame_kind__parse("jit"), PROFILE_FRAME_JIT);
	assert_int_equal(profile_frame_kind__parse("bogus"), PROFILE_FRAME_UNKNOWN);
	assert_string_equal(profile_frame_kind__name(PROFILE_FRAME_KERNEL), "kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_back),
		cmocka_unit_test(test_time_slices_and_filters),
		cmocka_unit_test(test_hotcold_scaled),
		cmocka_unit_test(test_unfinished),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_create_fails),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filter_bad_regex_and_first_frame),
		cmocka_unit_test(test_frame_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
