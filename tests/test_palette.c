// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for render/palette: colours as flamegraph.pl computes them (the
 * expected values were produced by flamegraph.pl --hash), semantic palettes,
 * differential colours, backgrounds and the palette map file.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/palette.h"

static struct fs_rgb hashed(enum fs_palette p, const char *name)
{
	double v[3];

	fs_color_hash_values(name, strlen(name), v);
	return fs_palette_color(p, name, strlen(name), v);
}

#define assert_rgb(c, R, G, B)                                                                     \
	do {                                                                                       \
		struct fs_rgb c_ = (c);                                                            \
		if (c_.r != (R) || c_.g != (G) || c_.b != (B))                                     \
			fail_msg("rgb(%u,%u,%u), expected rgb(%u,%u,%u)", c_.r, c_.g, c_.b, (R),   \
				 (G), (B));                                                        \
	} while (0)

static void test_parse_names(void **state)
{
	enum fs_palette p;
	int i;

	for (i = 0; i < FS_PALETTE_COUNT; i++) {
		assert_int_equal(fs_palette_parse(fs_palette_name((enum fs_palette)i), &p), 0);
		assert_int_equal(p, i);
	}
	assert_int_equal(fs_palette_parse("java", &p), 0);
	assert_int_equal(p, FS_PALETTE_JAVA);
	assert_int_equal(fs_palette_parse("Hot", &p), -EINVAL);
	assert_int_equal(fs_palette_parse("", &p), -EINVAL);
}

static void test_namehash(void **state)
{
	double v[3];

	/* flamegraph.pl's namehash() values (also in inferno's tests) */
	fs_color_hash_values("org/mozilla/javascript/NativeFunction:.initScriptFunction_[j]", 61,
			     v);
	assert_true(fabs(v[0] - 0.77964604) < 1e-6);
	assert_true(fabs(v[1] - 0.6441531) < 1e-6);
	assert_true(v[1] == v[2]);
	fs_color_hash_values("genunix`kmem_cache_free", 23, v);
	assert_true(fabs(v[0] - 0.46692634) < 1e-6);
	assert_true(fabs(v[1] - 0.8404103) < 1e-6);
	/* a module prefix up to the first backtick is skipped */
	fs_color_hash_values("unix`0xfffffffffb8001d6", 23, v);
	assert_true(fabs(v[0] - 0.41813117) < 1e-6);
	fs_color_hash_values("``0xfffffffffb8001d6", 20, v);
	assert_true(fabs(v[0] - 0.41813117) < 1e-6);
	fs_color_hash_values("", 0, v);
	assert_true(v[0] == 1 && v[1] == 1);
}

static void test_hash_colors_match_flamegraph_pl(void **state)
{
	assert_rgb(hashed(FS_PALETTE_HOT, ""), 255, 230, 55);
	assert_rgb(hashed(FS_PALETTE_HOT, "java/lang/Thread.run"), 243, 104, 41);
	assert_rgb(hashed(FS_PALETTE_HOT, "do_syscall_64_[k]"), 236, 189, 34);
	assert_rgb(hashed(FS_PALETTE_HOT, "a`b`func"), 231, 106, 29);
	assert_rgb(hashed(FS_PALETTE_MEM, "malloc"), 0, 223, 102);
	assert_rgb(hashed(FS_PALETTE_IO, "malloc"), 109, 109, 226);
	assert_rgb(hashed(FS_PALETTE_RED, "malloc"), 226, 89, 89);
	assert_rgb(hashed(FS_PALETTE_GREEN, "malloc"), 79, 226, 79);
	assert_rgb(hashed(FS_PALETTE_BLUE, "malloc"), 109, 109, 229);
	assert_rgb(hashed(FS_PALETTE_AQUA, "malloc"), 79, 191, 191);
	assert_rgb(hashed(FS_PALETTE_YELLOW, "malloc"), 201, 201, 59);
	assert_rgb(hashed(FS_PALETTE_PURPLE, "malloc"), 221, 109, 221);
	assert_rgb(hashed(FS_PALETTE_ORANGE, "malloc"), 221, 121, 0);
	/* java: JIT green, inlined aqua, C++ yellow, kernel orange, packages green, else red */
	assert_rgb(hashed(FS_PALETTE_JAVA, "Interpreter_[j]"), 97, 243, 97);
	assert_rgb(hashed(FS_PALETTE_JAVA, "inl_[i]"), 99, 210, 210);
	assert_rgb(hashed(FS_PALETTE_JAVA, "std::vector::push_back"), 210, 210, 62);
	assert_rgb(hashed(FS_PALETTE_JAVA, "do_syscall_64_[k]"), 243, 143, 0);
	assert_rgb(hashed(FS_PALETTE_JAVA, "java/lang/Thread.run"), 77, 224, 77);
	assert_rgb(hashed(FS_PALETTE_JAVA, "org/foo/Bar:::baz"), 96, 242, 96);
	assert_rgb(hashed(FS_PALETTE_JAVA, "malloc"), 226, 89, 89);
	assert_rgb(hashed(FS_PALETTE_JAVA, ""), 255, 130, 130);
	/* js: JIT without a path aqua, C++ yellow, kernel orange */
	assert_rgb(hashed(FS_PALETTE_JS, "Interpreter_[j]"), 97, 208, 208);
	assert_rgb(hashed(FS_PALETTE_JS, "org/foo/Bar:::baz"), 217, 217, 65);
	assert_rgb(hashed(FS_PALETTE_JS, "inl_[i]"), 245, 116, 116);
	/* perl */
	assert_rgb(hashed(FS_PALETTE_PERL, "std::vector::push_back"), 210, 210, 62);
	assert_rgb(hashed(FS_PALETTE_PERL, "Interpreter_[j]"), 243, 112, 112);
	assert_rgb(hashed(FS_PALETTE_WAKEUP, "malloc"), 79, 191, 191);
}

static void test_semantic_resolution(void **state)
{
	static const struct {
		enum fs_palette palette;
		const char *name;
		enum fs_palette want;
	} cases[] = {
		{FS_PALETTE_JAVA, "Ljava/util/HashMap.get", FS_PALETTE_GREEN},
		{FS_PALETTE_JAVA, "sun/nio/ch/X.read", FS_PALETTE_GREEN},
		{FS_PALETTE_JAVA, "javafoo/x", FS_PALETTE_RED},
		{FS_PALETTE_JAVA, "foo_[k]", FS_PALETTE_ORANGE},
		{FS_PALETTE_JAVA, "foo::bar_[k]", FS_PALETTE_YELLOW},
		{FS_PALETTE_JAVA, "foo_[k]x", FS_PALETTE_RED},
		{FS_PALETTE_JS, "run /app/x.js:12", FS_PALETTE_GREEN},
		{FS_PALETTE_JS, "builtin:Array", FS_PALETTE_AQUA},
		{FS_PALETTE_JS, " ", FS_PALETTE_GREEN},
		{FS_PALETTE_JS, "/src/x.js_[j]", FS_PALETTE_GREEN},
		{FS_PALETTE_JS, "tcp_[k]", FS_PALETTE_ORANGE},
		{FS_PALETTE_JS, "main", FS_PALETTE_RED},
		{FS_PALETTE_PERL, "Perl_pp_entersub", FS_PALETTE_GREEN},
		{FS_PALETTE_PERL, "script.pl:3", FS_PALETTE_GREEN},
		{FS_PALETTE_PERL, "sys_read_[k]", FS_PALETTE_ORANGE},
		{FS_PALETTE_PERL, "main", FS_PALETTE_RED},
		{FS_PALETTE_RUST, "core::ptr::drop", FS_PALETTE_ORANGE},
		{FS_PALETTE_RUST, "<alloc::vec::Vec<T> as Drop>::drop", FS_PALETTE_ORANGE},
		{FS_PALETTE_RUST, "libstd`std::rt::lang_start", FS_PALETTE_ORANGE},
		{FS_PALETTE_RUST, "myapp::server::run", FS_PALETTE_AQUA},
		{FS_PALETTE_RUST, "main", FS_PALETTE_YELLOW},
		{FS_PALETTE_RUST, "do_syscall_64_[k]", FS_PALETTE_ORANGE},
		{FS_PALETTE_HOTCOLD, "read_[o]", FS_PALETTE_BLUE},
		{FS_PALETTE_HOTCOLD, "schedule_[o]", FS_PALETTE_BLUE},
		{FS_PALETTE_HOTCOLD, "main", FS_PALETTE_HOT},
		{FS_PALETTE_HOTCOLD, "do_syscall_64_[k]", FS_PALETTE_HOT},
		{FS_PALETTE_PYTHON, "get (/usr/lib/python3.11/site-packages/x.py:1)",
		 FS_PALETTE_AQUA},
		{FS_PALETTE_PYTHON, "run (/usr/lib/python3.11/threading.py:9)", FS_PALETTE_YELLOW},
		{FS_PALETTE_PYTHON, "<built-in method sleep>", FS_PALETTE_YELLOW},
		{FS_PALETTE_PYTHON, "main (app.py:3)", FS_PALETTE_RED},
		{FS_PALETTE_CHAIN, "waker_[w]", FS_PALETTE_AQUA},
		{FS_PALETTE_CHAIN, "sleeper", FS_PALETTE_BLUE},
		{FS_PALETTE_WAKEUP, "anything", FS_PALETTE_AQUA},
		{FS_PALETTE_HOT, "anything", FS_PALETTE_HOT},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum fs_palette got =
			fs_palette_resolve(cases[i].palette, cases[i].name, strlen(cases[i].name));

		if (got != cases[i].want)
			fail_msg("%s under %s: %s, expected %s", cases[i].name,
				 fs_palette_name(cases[i].palette), fs_palette_name(got),
				 fs_palette_name(cases[i].want));
	}
}

static void test_deterministic_and_random(void **state)
{
	struct fs_color_rng a, b;
	double v1[3], v2[3];
	int i;

	fs_color_deterministic_values("main", 4, v1);
	fs_color_deterministic_values("main", 4, v2);
	assert_memory_equal(v1, v2, sizeof(v1));
	for (i = 0; i < 3; i++)
		assert_true(v1[i] >= 0 && v1[i] <= 1);
	fs_color_deterministic_values("maim", 4, v2);
	assert_true(v1[0] != v2[0]);

	fs_color_rng_seed(&a, 42);
	fs_color_rng_seed(&b, 42);
	for (i = 0; i < 1000; i++) {
		double x = fs_color_rng_next(&a);

		assert_true(x >= 0 && x < 1);
		assert_true(x == fs_color_rng_next(&b));
	}
	fs_color_rng_seed(&b, 43);
	assert_true(fs_color_rng_next(&a) != fs_color_rng_next(&b));
	fs_color_rng_seed(&a, 0); /* a zero seed still gives numbers */
	assert_true(fs_color_rng_next(&a) != fs_color_rng_next(&a));
}

static void test_diff_colors(void **state)
{
	assert_rgb(fs_color_diff(0, 10, false), 255, 255, 255);
	assert_rgb(fs_color_diff(10, 10, false), 255, 0, 0);
	assert_rgb(fs_color_diff(-10, 10, false), 0, 0, 255);
	assert_rgb(fs_color_diff(5, 10, false), 255, 105, 105);
	assert_rgb(fs_color_diff(-5, 10, false), 105, 105, 255);
	assert_rgb(fs_color_diff(5, 10, true), 105, 105, 255);
	assert_rgb(fs_color_diff(-5, 10, true), 255, 105, 105);
	/* out of range deltas saturate instead of wrapping */
	assert_rgb(fs_color_diff(50, 10, false), 255, 0, 0);
	/*
	 * Regression (fuzzing): an Inf delta and scale gave Inf / Inf = NaN,
	 * converted to int (UB).  No scale, no colour: white.
	 */
	assert_rgb(fs_color_diff(INFINITY, INFINITY, false), 255, 255, 255);
	assert_rgb(fs_color_diff(-INFINITY, INFINITY, true), 255, 255, 255);
	assert_rgb(fs_color_diff(NAN, 10, false), 255, 255, 255);
	assert_rgb(fs_color_diff(5, NAN, false), 255, 255, 255);
	assert_rgb(fs_color_diff(INFINITY, 10, false), 255, 0, 0);
}

static void test_backgrounds(void **state)
{
	enum fs_background bg;
	struct fs_rgb flat = {0, 0, 0};
	char from[8], to[8];

	assert_int_equal(fs_background_parse("grey", &bg, &flat), 0);
	assert_int_equal(bg, FS_BACKGROUND_GREY);
	assert_int_equal(fs_background_parse("#A0b1C2", &bg, &flat), 0);
	assert_int_equal(bg, FS_BACKGROUND_FLAT);
	assert_rgb(flat, 0xa0, 0xb1, 0xc2);
	assert_int_equal(fs_background_parse("#a0b1c", &bg, &flat), -EINVAL);
	assert_int_equal(fs_background_parse("#a0b1cg", &bg, &flat), -EINVAL);
	assert_int_equal(fs_background_parse("red", &bg, &flat), -EINVAL);

	fs_background_gradient(FS_BACKGROUND_DEFAULT, flat, FS_PALETTE_HOT, from, to);
	assert_string_equal(from, "#eeeeee");
	assert_string_equal(to, "#eeeeb0");
	fs_background_gradient(FS_BACKGROUND_DEFAULT, flat, FS_PALETTE_MEM, from, to);
	assert_string_equal(to, "#e0ffe0");
	fs_background_gradient(FS_BACKGROUND_DEFAULT, flat, FS_PALETTE_IO, from, to);
	assert_string_equal(to, "#e0e0ff");
	fs_background_gradient(FS_BACKGROUND_DEFAULT, flat, FS_PALETTE_RED, from, to);
	assert_string_equal(from, "#f8f8f8");
	fs_background_gradient(FS_BACKGROUND_DEFAULT, flat, FS_PALETTE_JAVA, from, to);
	assert_string_equal(to, "#eeeeb0");
	fs_background_gradient(FS_BACKGROUND_BLUE, flat, FS_PALETTE_MEM, from, to);
	assert_string_equal(to, "#e0e0ff");
	fs_background_gradient(FS_BACKGROUND_FLAT, flat, FS_PALETTE_HOT, from, to);
	assert_string_equal(from, "#a0b1c2");
	assert_string_equal(to, "#a0b1c2");
}

static void test_palette_map_lines(void **state)
{
	static const char *const invalid[] = {
		"ClassLoaderData::oops_do->invalid(244,125,43)",
		"ClassLoaderDataGraph::oops_do-----rgb(244,125,43)",
		"GCTaskThread::run->rgb(243,216)",
		"InstanceKlass::oop_push_contents->",
		"x->rgb(256,0,0)",
		"x->rgb(1,2,3) trailing",
		"no arrow at all",
	};
	struct palette_map *m = palette_map__new();
	struct fs_rgb c;
	size_t i;

	assert_int_equal(palette_map__add_line(m, "->rgb(255,230,55)", 17), 0);
	assert_true(palette_map__get(m, "", 0, &c));
	assert_rgb(c, 255, 230, 55);
	/* the colour follows the last "->": C++'s operator-> keeps its name */
	assert_int_equal(palette_map__add_line(m, "Foo::operator->->rgb(1, 2 ,3)\r", 30), 0);
	assert_true(palette_map__get(m, "Foo::operator->", 15, &c));
	assert_rgb(c, 1, 2, 3);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(palette_map__add_line(m, invalid[i], strlen(invalid[i])), -EINVAL);
	assert_int_equal(palette_map__count(m), 2);
	assert_false(palette_map__get(m, "x", 1, &c));
	palette_map__free(m);
	palette_map__free(NULL);
}

static void test_palette_map_round_trip(void **state)
{
	char path[] = "/tmp/test_palette_XXXXXX";
	struct palette_map *m = palette_map__new(), *back = palette_map__new();
	char *text = NULL;
	size_t len = 0, ignored = 99;
	struct fs_rgb c;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	palette_map__set(m, "zeta", 4, (struct fs_rgb){1, 2, 3});
	palette_map__set(m, "alpha", 5, (struct fs_rgb){4, 5, 6});
	palette_map__set(m, "alpha beta", 10, (struct fs_rgb){7, 8, 9});
	palette_map__set(m, "alpha", 5, (struct fs_rgb){10, 11, 12});  /* replaces */
	palette_map__set(m, "bad\nname", 8, (struct fs_rgb){0, 0, 0}); /* cannot be a line */
	f = fdopen(fd, "w");
	assert_int_equal(palette_map__write(m, f), 0);
	fclose(f);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	/* sorted bytewise, as flamegraph.pl's sort keys */
	assert_string_equal(text,
			    "alpha->rgb(10,11,12)\nalpha beta->rgb(7,8,9)\nzeta->rgb(1,2,3)\n");
	free(text);

	assert_int_equal(palette_map__read(back, path, &ignored), 0);
	assert_int_equal(ignored, 0);
	assert_int_equal(palette_map__count(back), 3);
	assert_true(palette_map__get(back, "alpha beta", 10, &c));
	assert_rgb(c, 7, 8, 9);
	assert_int_equal(palette_map__read(back, "/nonexistent/palette.map", NULL), -ENOENT);
	unlink(path);

	f = fopen("/dev/full", "w");
	if (f) {
		assert_int_equal(palette_map__write(m, f), -ENOSPC);
		fclose(f);
	}
	palette_map__free(m);
	palette_map__free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_namehash),
		cmocka_unit_test(test_hash_colors_match_flamegraph_pl),
		cmocka_unit_test(test_semantic_resolution),
		cmocka_unit_test(test_deterministic_and_random),
		cmocka_unit_test(test_diff_colors),
		cmocka_unit_test(test_backgrounds),
		cmocka_unit_test(test_palette_map_lines),
		cmocka_unit_test(test_palette_map_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
