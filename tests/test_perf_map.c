// SPDX-License-Identifier: Apache-2.0
/* Unit tests for symbolize/perf_map: parsing, overlaps, hostile lines, loading by pid. */
#include <errno.h>
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

#include "symbolize/perf_map.h"
#include "symbolize/symbolizer.h"

static struct perf_map *parse(const char *text)
{
	struct perf_map *map = perf_map__parse(text, strlen(text));

	assert_non_null(map);
	return map;
}

static void test_parse(void **state)
{
	struct perf_map *map = parse("7f0000001000 40 LazyCompile:~main /app/a.js:1\n"
				     "0x7f0000002000 0x10 JS:*hot /app/a.js:9:13\r\n"
				     "7f0000003000 8 Stub:CEntry\n");

	(void)state;
	assert_int_equal(perf_map__count(map), 3);
	assert_null(perf_map__find(map, 0x7f0000000fff));
	assert_string_equal(perf_map__find(map, 0x7f0000001000), "LazyCompile:~main /app/a.js:1");
	assert_string_equal(perf_map__find(map, 0x7f000000103f), "LazyCompile:~main /app/a.js:1");
	assert_null(perf_map__find(map, 0x7f0000001040));
	assert_string_equal(perf_map__find(map, 0x7f0000002008), "JS:*hot /app/a.js:9:13");
	assert_string_equal(perf_map__find(map, 0x7f0000003007), "Stub:CEntry");
	assert_null(perf_map__find(map, 0x7f0000003008));
	perf_map__free(map);
}

/* Code is replaced while the program runs: the later line wins where ranges overlap. */
static void test_overlap(void **state)
{
	struct perf_map *map = parse("1000 100 old\n"
				     "1040 20 new\n"   /* inside old */
				     "10f0 20 newer\n" /* over old's end */
				     "1000 10 first\n" /* over old's start */
				     "1048 4 newest\n" /* inside new */
				     "2000 10 a\n"
				     "2000 10 b\n"); /* the same range again */

	(void)state;
	assert_string_equal(perf_map__find(map, 0x1000), "first");
	assert_string_equal(perf_map__find(map, 0x100f), "first");
	assert_string_equal(perf_map__find(map, 0x1010), "old");
	assert_string_equal(perf_map__find(map, 0x1040), "new");
	assert_string_equal(perf_map__find(map, 0x1048), "newest");
	assert_string_equal(perf_map__find(map, 0x104c), "new");
	assert_string_equal(perf_map__find(map, 0x1060), "old");
	assert_string_equal(perf_map__find(map, 0x10ef), "old");
	assert_string_equal(perf_map__find(map, 0x10f0), "newer");
	assert_string_equal(perf_map__find(map, 0x110f), "newer");
	assert_null(perf_map__find(map, 0x1110));
	assert_string_equal(perf_map__find(map, 0x2005), "b");
	perf_map__free(map);
}

static void test_garbage(void **state)
{
	struct perf_map *map;
	char *text, *p;
	size_t long_len = PERF_MAP_MAX_NAME + 100;

	(void)state;
	/* a name too long to keep, among lines that must all be skipped */
	text = malloc(long_len + 4096);
	assert_non_null(text);
	p = text + sprintf(text, "5000 10 ");
	memset(p, 'x', long_len);
	p += long_len;
	sprintf(p, "\n"
		   "\n"
		   "garbage\n"
		   "1000\n"
		   "1000 \n"
		   "1000 10\n"
		   "1000 10 \n"
		   "zz00 10 bad_start\n"
		   "1000 zz bad_size\n"
		   "1000 0 empty\n"
		   "1000 ffffffffffffffff everything\n"
		   "ffffffffffffff00 1000 past_the_end\n"
		   "10000000000000000 10 too_many_digits\n"
		   "1000 80000000 too_big\n"
		   "1000\t10\tkept tabs\n"
		   "9000 10 last line without newline");
	map = parse(text);
	assert_int_equal(perf_map__count(map), 2);
	assert_null(perf_map__find(map, 0x5000));
	assert_string_equal(perf_map__find(map, 0x1000), "kept tabs");
	assert_null(perf_map__find(map, 0x1010));
	assert_null(perf_map__find(map, 0xffffffffffffff80));
	assert_string_equal(perf_map__find(map, 0x900f), "last line without newline");
	perf_map__free(map);
	free(text);

	/* an embedded NUL in a name: skipped, the next line still read */
	map = perf_map__parse("1000 10 a\0b\n2000 10 c\n", 22);
	assert_null(perf_map__find(map, 0x1000));
	assert_string_equal(perf_map__find(map, 0x2000), "c");
	perf_map__free(map);
	map = parse("");
	assert_int_equal(perf_map__count(map), 0);
	assert_null(perf_map__find(map, 0));
	perf_map__free(map);
	assert_null(perf_map__find(NULL, 0));
}

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/perf_map_test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->path[0])
		unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_map(struct fixture *f, pid_t pid, const char *text)
{
	FILE *fp;

	snprintf(f->path, sizeof(f->path), "%s/perf-%d.map", f->dir, (int)pid);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* A live process (this one): its file, found through /proc/PID/root, owned by its user. */
static void test_load_live(void **state)
{
	struct fixture *f = *state;
	struct symbolizer_options opts;
	struct symbolizer *sym;
	struct perf_map *map;

	write_map(f, getpid(), "7f0000001000 40 JS:*hot /app/a.js:9:13\n");
	map = perf_map__load(f->dir, getpid());
	assert_non_null(map);
	assert_string_equal(perf_map__find(map, 0x7f0000001010), "JS:*hot /app/a.js:9:13");
	perf_map__free(map);

	symbolizer_options__init(&opts);
	opts.perf_map_dir = f->dir;
	sym = symbolizer__new(&opts);
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001010),
			    "JS:*hot /app/a.js:9:13");
	assert_null(symbolizer__jit(sym, getpid(), 0x7f0000002000));
	/* loaded once: a later change of the file is not seen */
	unlink(f->path);
	assert_non_null(symbolizer__jit(sym, getpid(), 0x7f0000001000));
	symbolizer__free(sym);
	assert_null(symbolizer__jit(NULL, getpid(), 0));
}

/* A process that is gone: the file under DIR by pid, owned by root or by this user. */
static void test_load_gone(void **state)
{
	struct fixture *f = *state;
	const pid_t gone = 0x3ffffff0; /* above pid_max: no such process */
	struct perf_maps *maps;
	struct perf_map *map;

	write_map(f, gone, "1000 10 jitted\n");
	map = perf_map__load(f->dir, gone);
	assert_non_null(map);
	assert_string_equal(perf_map__find(map, 0x1000), "jitted");
	perf_map__free(map);

	errno = 0;
	assert_null(perf_map__load(f->dir, gone + 1));
	assert_int_equal(errno, ENOENT);

	/* not a regular file */
	unlink(f->path);
	assert_int_equal(mkdir(f->path, 0700), 0);
	errno = 0;
	assert_null(perf_map__load(f->dir, gone));
	assert_int_equal(errno, EPERM);
	rmdir(f->path);
	/* a symbolic link is not followed */
	assert_int_equal(symlink("/etc/passwd", f->path), 0);
	errno = 0;
	assert_null(perf_map__load(f->dir, gone));
	assert_int_equal(errno, EPERM);
	unlink(f->path);

	/* a pid without a file is not tried again */
	maps = perf_maps__new(f->dir);
	assert_null(perf_maps__find(maps, gone, 0x1000));
	write_map(f, gone, "1000 10 too_late\n");
	assert_null(perf_maps__find(maps, gone, 0x1000));
	perf_maps__free(maps);
	perf_maps__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test_setup_teardown(test_load_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_gone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
