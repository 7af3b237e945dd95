// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/: strbuf, strtab, line_reader, output_file, number. */
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

#include "common/big_buffer.h"
#include "common/line_reader.h"
#include "common/number.h"
#include "common/output_file.h"
#include "common/strbuf.h"
#include "common/strtab.h"

static void test_strbuf(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;
	int i;

	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, 'd');
	strbuf_addf(&sb, "-%d-", 42);
	assert_string_equal(sb.buf, "abcd-42-");
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%s", "0123456789");
	assert_int_equal(sb.len, 8 + 10000);
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_setlen(&sb, 2);
	assert_string_equal(sb.buf, "ab");
	strbuf_add(&sb, "\0x", 2);
	assert_int_equal(sb.len, 4);
	assert_memory_equal(sb.buf, "ab\0x", 4);
	s = strbuf_detach(&sb, &len);
	assert_int_equal(len, 4);
	assert_null(sb.buf);
	free(s);
	strbuf_release(&sb);
}

static void test_strtab(void **state)
{
	struct strtab *t = strtab__new();
	char name[32];
	size_t len;
	uint32_t i;

	assert_int_equal(strtab__intern(t, "main", 4), 0);
	assert_int_equal(strtab__intern(t, "ma\0in", 5), 1);
	assert_int_equal(strtab__intern(t, "main", 4), 0);
	assert_int_equal(strtab__find(t, "nope", 4), -1);
	/* enough strings to force several rehashes and arena blocks */
	for (i = 0; i < 100000; i++) {
		int n = snprintf(name, sizeof(name), "frame_%u", i);

		assert_int_equal(strtab__intern(t, name, n), i + 2);
	}
	for (i = 0; i < 100000; i += 997) {
		int n = snprintf(name, sizeof(name), "frame_%u", i);

		assert_int_equal(strtab__find(t, name, n), i + 2);
		assert_string_equal(strtab__str(t, i + 2, &len), name);
		assert_int_equal(len, n);
	}
	assert_memory_equal(strtab__str(t, 1, &len), "ma\0in", 5);
	assert_int_equal(strtab__count(t), 100002);
	strtab__free(t);
	strtab__free(NULL);
}

static char *write_temp(const char *data, size_t len)
{
	char *path = strdup("/tmp/fs-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_line_reader(void **state)
{
	static const char text[] = "one\ntwo\r\n\nlast";
	char *path = write_temp(text, sizeof(text) - 1);
	struct line_reader *r = line_reader__open(path);
	char *line;
	size_t len;

	assert_non_null(r);
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_string_equal(line, "one");
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_string_equal(line, "two\r");
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_string_equal(line, "last");
	assert_int_equal(line_reader__lineno(r), 4);
	assert_int_equal(line_reader__next(r, &line, &len), 0);
	line_reader__free(r);
	unlink(path);
	free(path);

	assert_null(line_reader__open("/nonexistent/file"));
	assert_int_equal(errno, ENOENT);
}

static void test_line_reader_long_lines(void **state)
{
	/* lines longer than the 1 MiB block must come back whole */
	size_t big = 3u << 20, i;
	char *data = malloc(big * 2 + 2);
	struct line_reader *r;
	char *path, *line;
	size_t len;

	for (i = 0; i < big; i++)
		data[i] = 'a' + i % 26;
	data[big] = '\n';
	memset(data + big + 1, 'z', big);
	data[2 * big + 1] = '\n';
	path = write_temp(data, 2 * big + 2);
	r = line_reader__open(path);
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_int_equal(len, big);
	assert_memory_equal(line, data, big);
	assert_int_equal(line_reader__next(r, &line, &len), 1);
	assert_int_equal(len, big);
	assert_int_equal(line[big - 1], 'z');
	assert_int_equal(line_reader__next(r, &line, &len), 0);
	line_reader__free(r);
	unlink(path);
	free(path);
	free(data);
}

static void test_read_file(void **state)
{
	char *path = write_temp("abc\0def", 7);
	char *data;
	size_t len;

	assert_int_equal(fs_read_file(path, &data, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "abc\0def", 8); /* NUL-terminated too */
	free(data);
	unlink(path);
	free(path);
	assert_int_equal(fs_read_file("/nonexistent/file", &data, &len), -ENOENT);
}

static void test_output_file(void **state)
{
	char dir[] = "/tmp/fs-out-XXXXXX";
	char path[64], buf[16];
	struct output_file *of;
	struct stat st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.svg", dir);

	/* abort leaves nothing behind */
	of = output_file__open(path);
	assert_non_null(of);
	fputs("partial", output_file__stream(of));
	output_file__abort(of);
	assert_int_equal(stat(path, &st), -1);

	/* commit moves the complete file into place with a normal mode */
	of = output_file__open(path);
	fputs("complete", output_file__stream(of));
	assert_int_equal(output_file__commit(of), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "complete");
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_IRGRP || umask(022) & S_IRGRP);

	/* a missing directory fails at open */
	assert_null(output_file__open("/nonexistent-dir/out.svg"));
	assert_int_equal(errno, ENOENT);

	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left over */
	output_file__abort(NULL);
}

/* Special files are written in place: a rename would replace /dev/null by a regular file. */
static void test_output_file_special(void **state)
{
	char dir[] = "/tmp/fs-out-XXXXXX";
	char fifo[64], target[64], link[64], buf[16];
	struct output_file *of;
	struct stat st;
	FILE *f;
	int rd;

	of = output_file__open("/dev/null");
	assert_non_null(of);
	fputs("discarded", output_file__stream(of));
	assert_int_equal(output_file__commit(of), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	assert_non_null(mkdtemp(dir));
	/* a FIFO with a reader: the bytes arrive through it, it stays a FIFO */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	of = output_file__open(fifo);
	assert_non_null(of);
	fputs("through", output_file__stream(of));
	assert_int_equal(output_file__commit(of), 0);
	assert_int_equal(read(rd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "through", 7);
	close(rd);
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* a symbolic link: the file it names is replaced, the link stays */
	snprintf(target, sizeof(target), "%s/target.svg", dir);
	snprintf(link, sizeof(link), "%s/link.svg", dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(symlink("target.svg", link), 0);
	of = output_file__open(link);
	assert_non_null(of);
	fputs("new", output_file__stream(of));
	assert_int_equal(output_file__commit(of), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "new");

	unlink(link);
	unlink(target);
	unlink(fifo);
	assert_int_equal(rmdir(dir), 0);
}

static void test_output_file_full_disk(void **state)
{
	struct output_file *of;
	int saved = dup(STDOUT_FILENO);
	int full = open("/dev/full", O_WRONLY);
	char chunk[4096];
	int i;

	if (full < 0)
		skip();
	/* stdout on /dev/full: the write error must surface at commit */
	fflush(stdout);
	dup2(full, STDOUT_FILENO);
	of = output_file__open("-");
	memset(chunk, 'x', sizeof(chunk));
	for (i = 0; i < 100; i++)
		fwrite(chunk, 1, sizeof(chunk), output_file__stream(of));
	assert_int_equal(output_file__commit(of), -ENOSPC);
	clearerr(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(full);
}

static void test_format_count(void **state)
{
	char buf[FS_COUNT_BUFSIZE];

	fs_format_count(1234, buf, sizeof(buf));
	assert_string_equal(buf, "1234");
	fs_format_count(0.5, buf, sizeof(buf));
	assert_string_equal(buf, "0.5");
	fs_format_count(0.1 + 0.2, buf, sizeof(buf));
	assert_string_equal(buf, "0.3"); /* 15 significant digits, as perl prints */
	fs_format_count(1e20, buf, sizeof(buf));
	assert_string_equal(buf, "1e+20");
	fs_format_count_grouped(1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1,234,567");
	fs_format_count_grouped(123, buf, sizeof(buf));
	assert_string_equal(buf, "123");
	fs_format_count_grouped(-1234.5, buf, sizeof(buf));
	assert_string_equal(buf, "-1,234.5");
	fs_format_count_grouped(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1,000");
}

/* Zeroed, page-aligned, writable, whether populated now or as written; failures say why. */
static void test_big_buffer(void **state)
{
	size_t reserve = (size_t)64 << 20, whole = ((size_t)3 << 20) + 123, i;
	unsigned char *p = big_buffer__new(reserve, false), *q;

	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 4096, 0);
	/* a reservation: a few pages written here and there */
	assert_int_equal(p[0], 0);
	assert_int_equal(p[reserve - 1], 0);
	p[0] = 1;
	p[reserve / 2] = 2;
	p[reserve - 1] = 3;
	assert_int_equal(p[0] + p[reserve / 2] + p[reserve - 1], 6);
	big_buffer__free(p, reserve);

	q = big_buffer__new(whole, true);
	assert_non_null(q);
	for (i = 0; i < whole; i += 4096)
		assert_int_equal(q[i], 0);
	assert_int_equal(q[whole - 1], 0);
	memset(q, 0xab, whole);
	assert_int_equal(q[whole - 1], 0xab);
	big_buffer__free(q, whole);

	p = big_buffer__new(0, false);
	assert_non_null(p);
	big_buffer__free(p, 0);
	big_buffer__free(NULL, 123);

	/* more than any address space */
	errno = 0;
	assert_null(big_buffer__new(SIZE_MAX / 2, false));
	assert_int_equal(errno, ENOMEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_strtab),
		cmocka_unit_test(test_line_reader),
		cmocka_unit_test(test_line_reader_long_lines),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_output_file),
		cmocka_unit_test(test_output_file_special),
		cmocka_unit_test(test_output_file_full_disk),
		cmocka_unit_test(test_format_count),
		cmocka_unit_test(test_big_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
