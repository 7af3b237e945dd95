// SPDX-License-Identifier: Apache-2.0
/* Unit tests for symbolize/perf_map: parsing, overlaps, hostile lines, loading by pid. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* ---- jitdump ---- */

struct jd_buf {
	unsigned char data[4096];
	size_t len;
	bool swap;
};

static void jd_put(struct jd_buf *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->data));
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void jd_u32(struct jd_buf *b, uint32_t v)
{
	if (b->swap)
		v = __builtin_bswap32(v);
	jd_put(b, &v, sizeof(v));
}

static void jd_u64(struct jd_buf *b, uint64_t v)
{
	if (b->swap)
		v = __builtin_bswap64(v);
	jd_put(b, &v, sizeof(v));
}

static void jd_header(struct jd_buf *b, bool swap)
{
	b->len = 0;
	b->swap = swap;
	jd_u32(b, 0x4A695444); /* magic */
	jd_u32(b, 1);	       /* version */
	jd_u32(b, 40);	       /* header size */
	jd_u32(b, 62);	       /* EM_X86_64 */
	jd_u32(b, 0);
	jd_u32(b, 1234); /* pid */
	jd_u64(b, 1);	 /* timestamp */
	jd_u64(b, 0);	 /* flags */
}

/* JIT_CODE_LOAD with @ncode bytes of code after the name. */
static void jd_load(struct jd_buf *b, uint64_t addr, uint64_t size, uint64_t index,
		    const char *name, size_t ncode)
{
	size_t name_len = strlen(name) + 1;
	static const unsigned char code[64];

	jd_u32(b, 0);
	jd_u32(b, (uint32_t)(16 + 40 + name_len + ncode));
	jd_u64(b, 2);
	jd_u32(b, 1234);
	jd_u32(b, 1235);
	jd_u64(b, addr); /* vma */
	jd_u64(b, addr); /* code_addr */
	jd_u64(b, size);
	jd_u64(b, index);
	jd_put(b, name, name_len);
	jd_put(b, code, ncode);
}

static void jd_move(struct jd_buf *b, uint64_t from, uint64_t to, uint64_t size, uint64_t index)
{
	jd_u32(b, 1);
	jd_u32(b, 16 + 48);
	jd_u64(b, 3);
	jd_u32(b, 1234);
	jd_u32(b, 1235);
	jd_u64(b, to);
	jd_u64(b, from);
	jd_u64(b, to);
	jd_u64(b, size);
	jd_u64(b, index);
}

/* Records that are not code loads or moves: debug info, close, an unknown id. */
static void jd_other(struct jd_buf *b, uint32_t id, size_t body)
{
	static const unsigned char zeros[64];

	jd_u32(b, id);
	jd_u32(b, (uint32_t)(16 + body));
	jd_u64(b, 4);
	jd_put(b, zeros, body);
}

static void test_jitdump(void **state)
{
	struct jd_buf *b = calloc(1, sizeof(*b));
	struct perf_map *map;
	int swap;

	(void)state;
	assert_non_null(b);
	for (swap = 0; swap <= 1; swap++) {
		jd_header(b, swap);
		jd_load(b, 0x7f0000001000, 0x40, 1, "JS:*hot /app/a.js:9:13", 17);
		jd_other(b, 2, 32); /* debug info: not used */
		jd_load(b, 0x7f0000002000, 0x20, 2, "Builtin:Add", 0);
		jd_load(b, 0x7f0000001010, 0x8, 3, "inner, later", 3); /* over hot: wins there */
		jd_move(b, 0x7f0000002000, 0x7f0000003000, 0x20, 2);
		jd_move(b, 0x7f0000002000, 0x7f0000004000, 0x20, 99); /* unknown index */
		jd_other(b, 77, 8);
		jd_other(b, 3, 0); /* close */
		map = perf_map__parse_jitdump(b->data, b->len);
		assert_non_null(map);
		assert_string_equal(perf_map__find(map, 0x7f0000001000), "JS:*hot /app/a.js:9:13");
		assert_string_equal(perf_map__find(map, 0x7f0000001010), "inner, later");
		assert_string_equal(perf_map__find(map, 0x7f0000001018), "JS:*hot /app/a.js:9:13");
		assert_null(perf_map__find(map, 0x7f0000001040));
		/* moved: named at the new place; the old place keeps its earlier name */
		assert_string_equal(perf_map__find(map, 0x7f000000301f), "Builtin:Add");
		assert_string_equal(perf_map__find(map, 0x7f0000002000), "Builtin:Add");
		assert_null(perf_map__find(map, 0x7f0000004000));
		perf_map__free(map);
	}
	free(b);
}

/* The JIT still writing, and hostile records: what came before is kept, nothing read past. */
static void test_jitdump_garbage(void **state)
{
	struct jd_buf *b = calloc(1, sizeof(*b));
	struct perf_map *map;

	(void)state;
	assert_non_null(b);
	jd_header(b, false);
	jd_load(b, 0x1000, 0x10, 1, "first", 0);
	jd_load(b, 0x2000, 0, 2, "empty range", 0);
	jd_load(b, 0x3000, 1ULL << 40, 3, "too large", 0);
	jd_load(b, UINT64_MAX - 4, 0x10, 4, "past the end", 0);
	jd_load(b, 0x4000, 0x10, 5, "line\nbreak", 0);
	jd_load(b, 0x5000, 0x10, 6, "", 0);
	jd_load(b, 0x6000, 0x10, 7, "cut short", 8);
	/* every prefix of the data parses; the last record only when whole */
	for (size_t len = 0; len <= b->len; len++) {
		map = perf_map__parse_jitdump(b->data, len);
		assert_non_null(map);
		assert_int_equal(perf_map__count(map),
				 len >= 40 + 16 + 40 + 6 ? 1 + (len == b->len) : 0);
		perf_map__free(map);
	}

	/* a name without its NUL, a record longer than the file, one shorter than a prefix */
	jd_header(b, false);
	jd_load(b, 0x1000, 0x10, 1, "ok", 0);
	b->data[b->len - 1] = 'x';
	map = perf_map__parse_jitdump(b->data, b->len);
	assert_int_equal(perf_map__count(map), 0);
	perf_map__free(map);
	jd_header(b, false);
	jd_u32(b, 0);
	jd_u32(b, 8);
	jd_u64(b, 0);
	jd_load(b, 0x1000, 0x10, 1, "after a bad size", 0);
	map = perf_map__parse_jitdump(b->data, b->len);
	assert_int_equal(perf_map__count(map), 0);
	perf_map__free(map);

	/* not a jitdump: bad magic, header size out of range */
	jd_header(b, false);
	b->data[0] ^= 0xff;
	map = perf_map__parse_jitdump(b->data, b->len);
	assert_int_equal(perf_map__count(map), 0);
	perf_map__free(map);
	jd_header(b, false);
	b->data[8] = 0xff;
	map = perf_map__parse_jitdump(b->data, b->len);
	assert_int_equal(perf_map__count(map), 0);
	perf_map__free(map);
	free(b);
}

static void test_jitdump_path(void **state)
{
	(void)state;
	assert_true(perf_map__is_jitdump_path("/home/u/app/jit-1234.dump"));
	assert_true(perf_map__is_jitdump_path("jit-1.dump"));
	assert_false(perf_map__is_jitdump_path("/tmp/jit-.dump"));
	assert_false(perf_map__is_jitdump_path("/tmp/jit-12a.dump"));
	assert_false(perf_map__is_jitdump_path("/tmp/jit-12.dump.bak"));
	assert_false(perf_map__is_jitdump_path("/tmp/xjit-12.dump"));
	assert_false(perf_map__is_jitdump_path("/usr/lib/libc.so.6"));
}

/* A jitdump this process "maps": read through the symbolizer, ahead of the perf map. */
static void test_jitdump_load(void **state)
{
	struct fixture *f = *state;
	struct jd_buf *b = calloc(1, sizeof(*b));
	struct symbolizer_options opts;
	struct symbolizer *sym;
	char path[192];
	struct stat st;
	FILE *fp;

	assert_non_null(b);
	jd_header(b, false);
	jd_load(b, 0x7f0000001000, 0x40, 1, "JS:*from_jitdump", 0);
	snprintf(path, sizeof(path), "%s/jit-%d.dump", f->dir, (int)getpid());
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(b->data, 1, b->len, fp), b->len);
	assert_int_equal(fclose(fp), 0);
	write_map(f, getpid(), "7f0000001000 80 JS:*from_map\n");

	symbolizer_options__init(&opts);
	opts.perf_map_dir = f->dir;
	sym = symbolizer__new(&opts);
	assert_false(symbolizer__add_jit_mapping(sym, getpid(), "/usr/lib/libc.so.6", 0));
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001000), "JS:*from_map");
	assert_int_equal(stat(path, &st), 0);
	/* another inode under the name: refused */
	assert_true(symbolizer__add_jit_mapping(sym, getpid(), path, st.st_ino + 1));
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001000), "JS:*from_map");
	assert_true(symbolizer__add_jit_mapping(sym, getpid(), path, st.st_ino));
	assert_true(symbolizer__add_jit_mapping(sym, getpid(), path, st.st_ino)); /* again */
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001000), "JS:*from_jitdump");
	/* beyond the jitdump's range, the perf map still names the code */
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001050), "JS:*from_map");
	/* the JIT appends: adding the file again reads it again once it has grown */
	jd_load(b, 0x7f0000001050, 0x10, 2, "JS:*compiled_later", 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(b->data, 1, b->len, fp), b->len);
	assert_int_equal(fclose(fp), 0);
	assert_true(symbolizer__add_jit_mapping(sym, getpid(), path, st.st_ino));
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001050), "JS:*compiled_later");
	assert_string_equal(symbolizer__jit(sym, getpid(), 0x7f0000001000), "JS:*from_jitdump");
	symbolizer__free(sym);
	unlink(path);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test_setup_teardown(test_load_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_gone, setup, teardown),
		cmocka_unit_test(test_jitdump),
		cmocka_unit_test(test_jitdump_garbage),
		cmocka_unit_test(test_jitdump_path),
		cmocka_unit_test_setup_teardown(test_jitdump_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
