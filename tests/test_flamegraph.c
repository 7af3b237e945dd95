// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for render/flamegraph: layout equal to flamegraph.pl's (order,
 * merging, pruning), the SVG structure agreed with flamegraph.js, escaping of
 * hostile names, colours and options.
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

#include <cmocka.h>

#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/palette.h"

/* One drawn frame, parsed back from the SVG. */
struct parsed_frame {
	char title[256];
	char label[128];
	double x, y, width, fs_x, fs_w;
	unsigned r, g, b;
};

struct parsed {
	char *svg;
	size_t len;
	struct parsed_frame frames[256];
	size_t nframes;
	struct flamegraph_stats stats;
	int err;
};

static void parse_frames(struct parsed *out)
{
	const char *p = out->svg;

	while ((p = strstr(p, "<g><title>"))) {
		struct parsed_frame *f = &out->frames[out->nframes];
		const char *t = p + 10, *end = strstr(t, "</title>"), *label;

		assert_non_null(end);
		assert_true(out->nframes < sizeof(out->frames) / sizeof(out->frames[0]));
		snprintf(f->title, sizeof(f->title), "%.*s", (int)(end - t), t);
		assert_int_equal(
			sscanf(end,
			       "</title><rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%*f\" "
			       "fill=\"rgb(%u,%u,%u)\" fs:x=\"%lf\" fs:w=\"%lf\"",
			       &f->x, &f->y, &f->width, &f->r, &f->g, &f->b, &f->fs_x, &f->fs_w),
			8);
		label = strstr(end, "<text ");
		label = strpbrk(label, "/>");
		f->label[0] = '\0';
		if (*label == '>') {
			const char *close = strstr(label, "</text>");

			snprintf(f->label, sizeof(f->label), "%.*s", (int)(close - label - 1),
				 label + 1);
		}
		out->nframes++;
		p = end;
	}
}

static void render(struct parsed *out, const struct folded_profile *p,
		   const struct flamegraph_options *o)
{
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = open_memstream(&out->svg, &out->len);
	assert_non_null(f);
	out->err = flamegraph__write(p, o, f, &out->stats);
	fclose(f);
	if (!out->err)
		parse_frames(out);
}

static void render_text(struct parsed *out, const char *text, const struct flamegraph_options *o)
{
	struct folded_profile *p = folded_profile__new(o->flamechart ? FOLDED_KEEP_ORDER : 0);

	folded_profile__add_text(p, text, strlen(text));
	render(out, p, o);
	folded_profile__free(p);
}

static void hash_options(struct flamegraph_options *o)
{
	flamegraph_options__init(o);
	o->color_source = FLAMEGRAPH_COLOR_HASH;
}

/* The frame whose title starts with "@name (" and is at @fs_x, or NULL. */
static const struct parsed_frame *frame_at(const struct parsed *pr, const char *name, double fs_x)
{
	size_t i, n = strlen(name);

	for (i = 0; i < pr->nframes; i++) {
		const struct parsed_frame *f = &pr->frames[i];

		if (!strncmp(f->title, name, n) && !strncmp(f->title + n, " (", 2) &&
		    f->fs_x == fs_x)
			return f;
	}
	return NULL;
}

static size_t count_named(const struct parsed *pr, const char *name)
{
	size_t i, n = strlen(name), c = 0;

	for (i = 0; i < pr->nframes; i++)
		if (!strncmp(pr->frames[i].title, name, n) &&
		    !strncmp(pr->frames[i].title + n, " (", 2))
			c++;
	return c;
}

static void test_defaults(void **state)
{
	struct flamegraph_options o;

	flamegraph_options__init(&o);
	assert_int_equal(o.image_width, 1200);
	assert_int_equal(o.frame_height, 16);
	assert_true(o.font_size == 12 && o.font_width == 0.59 && o.min_width == 0.1);
	assert_false(o.min_width_percent);
	assert_string_equal(o.count_name, "samples");
	assert_string_equal(o.name_type, "Function:");
	assert_string_equal(o.font_type, "Verdana");
	assert_int_equal(o.palette, FS_PALETTE_HOT);
	assert_int_equal(o.color_source, FLAMEGRAPH_COLOR_RANDOM);
	assert_true(o.factor == 1);
	assert_int_equal(flamegraph_options__check(&o), 0);
	o.image_width = 20;
	assert_int_equal(flamegraph_options__check(&o), -EINVAL);
	flamegraph_options__init(&o);
	o.font_size = 0;
	assert_int_equal(flamegraph_options__check(&o), -EINVAL);
	flamegraph_options__init(&o);
	o.encoding = "bad encoding\"";
	assert_int_equal(flamegraph_options__check(&o), -EINVAL);
	o.encoding = "ISO-8859-1";
	assert_int_equal(flamegraph_options__check(&o), 0);
}

static void test_structure(void **state)
{
	static const char *const needles[] = {
		"<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\" width=\"1200\" ",
		"onload=\"init(evt)\" viewBox=\"0 0 1200 ",
		"xmlns=\"http://www.w3.org/2000/svg\"",
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\"",
		"xmlns:fs=\"https://flamesamp.dev/svg\"",
		".hide{display:none}",
		".parent{opacity:0.5}",
		"#frames > g:hover > rect{stroke:black;stroke-width:0.5;cursor:pointer}",
		"<script type=\"text/ecmascript\"><![CDATA[var fs_config = {\"width\":1200,",
		"\"xpad\":10,\"frameheight\":16,\"fontsize\":12,\"fontwidth\":0.59,"
		"\"inverted\":false,\"total\":10,\"countname\":\"samples\",\"nametype\":\"Function:\","
		"\"factor\":1,\"searchcolor\":\"rgb(230,0,230)\",\"differential\":false};]]></script>",
		"<rect id=\"background\"",
		"<text id=\"title\" x=\"600\" y=\"24\">Flame Graph</text>",
		"<text id=\"details\" x=\"10\"",
		"> </text>",
		"<text id=\"unzoom\" x=\"10\" y=\"24\" class=\"hide\">Reset Zoom</text>",
		"<text id=\"search\" x=\"1090\" y=\"24\">Search</text>",
		"<text id=\"ignorecase\" x=\"1174\" y=\"24\">ic</text>",
		"<text id=\"matched\" x=\"1090\"",
		"<g id=\"frames\">",
		"<g><title>all (10 samples, 100%)</title><rect x=\"10.00\" ",
		"</svg>\n",
	};
	struct flamegraph_options o;
	struct parsed pr;
	size_t i;

	hash_options(&o);
	render_text(&pr, "main;a 3\nmain;b 7\n", &o);
	assert_int_equal(pr.err, 0);
	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (!strstr(pr.svg, needles[i]))
			fail_msg("missing: %s", needles[i]);
	assert_null(strstr(pr.svg, "id=\"subtitle\""));
	assert_int_equal(pr.nframes, 4);
	assert_int_equal(pr.stats.frames, 4);
	assert_int_equal(pr.stats.depth, 3);
	assert_true(pr.stats.total == 10);
	/* the script follows the config, ends its CDATA section, and the document is closed */
	assert_non_null(strstr(pr.svg, "fs_config = {"));
	assert_int_equal(pr.svg[pr.len - 1], '\n');
	free(pr.svg);
}

static void test_geometry_and_tooltips(void **state)
{
	const struct parsed_frame *all, *main_f, *a, *b;
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	render_text(&pr, "main;a 1000\nmain;b 234567\nother 2433\n", &o);
	all = frame_at(&pr, "all", 0);
	main_f = frame_at(&pr, "main", 0);
	a = frame_at(&pr, "a", 0);
	b = frame_at(&pr, "b", 1000);
	assert_non_null(all);
	assert_non_null(main_f);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(all->title, "all (238,000 samples, 100%)");
	assert_string_equal(main_f->title, "main (235,567 samples, 98.98%)");
	assert_string_equal(a->title, "a (1,000 samples, 0.42%)");
	assert_true(all->fs_w == 238000 && b->fs_w == 234567);
	/* x = xpad + fs:x * (width - 2 * xpad) / total */
	assert_true(fabs(b->x - (10 + 1000 * 1180.0 / 238000)) < 0.006);
	assert_true(fabs(b->width - 234567 * 1180.0 / 238000) < 0.011);
	/* rows: the root at the bottom, one frame height per level */
	assert_true(all->y - main_f->y == 16 && main_f->y - a->y == 16);
	assert_true(a->y == b->y);
	/* labels: cut with "..", or empty when fewer than 3 characters fit */
	assert_string_equal(b->label, "b");
	assert_string_equal(all->label, "all");
	assert_string_equal(a->label, "");
	free(pr.svg);
}

/*
 * flamegraph.pl sorts whole lines: a frame "std" that has self samples
 * ("x;std 1") sorts before its sibling "std::vector" (' ' < ':'), whose line
 * sorts before "x;std;y" (':' < ';'), so "std" is drawn as two frames.
 */
static void test_sibling_order_like_perl(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	render_text(&pr, "x;std;y 4\nx;std::vector 2\nx;std 1\n", &o);
	assert_int_equal(count_named(&pr, "std"), 2);
	assert_non_null(frame_at(&pr, "std", 0));
	assert_non_null(frame_at(&pr, "std::vector", 1));
	assert_non_null(frame_at(&pr, "std", 3));
	assert_true(frame_at(&pr, "std", 3)->fs_w == 4);
	assert_non_null(frame_at(&pr, "y", 3));
	free(pr.svg);

	/* frames with spaces: "b c" sorts between "b" (self) and "b;..." */
	render_text(&pr, "a;b;x 1\na;b c;d 1\na;b 1\n", &o);
	assert_non_null(frame_at(&pr, "b", 0));
	assert_non_null(frame_at(&pr, "b c", 1));
	assert_non_null(frame_at(&pr, "b", 2));
	free(pr.svg);

	/* a tab separator sorts before a space, and a shorter stack before its extensions */
	render_text(&pr, "m;f(int) 1\nm;f 2\nm;f;g 3\nm;e 1\nm;F 1\n", &o);
	assert_non_null(frame_at(&pr, "F", 0));
	assert_non_null(frame_at(&pr, "e", 1));
	assert_non_null(frame_at(&pr, "f", 2));
	assert_non_null(frame_at(&pr, "f(int)", 4));
	assert_non_null(frame_at(&pr, "f", 5));
	assert_non_null(frame_at(&pr, "g", 5));
	free(pr.svg);

	/* byte order, not locale order: uppercase and '_' before lowercase, UTF-8 last */
	render_text(&pr, "\xc3\xa9 1\nb 1\n_x 1\nZ 1\na 1\n", &o);
	assert_non_null(frame_at(&pr, "Z", 0));
	assert_non_null(frame_at(&pr, "_x", 1));
	assert_non_null(frame_at(&pr, "a", 2));
	assert_non_null(frame_at(&pr, "b", 3));
	assert_non_null(frame_at(&pr, "\xc3\xa9", 4));
	free(pr.svg);
}

static void test_merging_and_unsorted_input(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	render_text(&pr, "a;c 1\nb 5\na;b 2\na;c 3\na 1\n", &o);
	assert_int_equal(pr.nframes, 5); /* all, a, a;b, a;c, b */
	assert_true(frame_at(&pr, "a", 0)->fs_w == 7);
	assert_true(frame_at(&pr, "b", 1)->fs_w == 2);
	assert_true(frame_at(&pr, "c", 3)->fs_w == 4);
	assert_true(frame_at(&pr, "b", 7)->fs_w == 5);
	free(pr.svg);
}

static void test_pruning(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	/* 1180 px for 11800 samples: 10 samples per pixel */
	hash_options(&o);
	o.min_width = 1;
	render_text(&pr, "main;big 11780\nmain;small;deep;deeper 9\nmain;edge;x 11\n", &o);
	assert_non_null(frame_at(&pr, "big", 0));
	assert_non_null(frame_at(&pr, "edge", 11780)); /* 1.1 px */
	assert_non_null(frame_at(&pr, "x", 11780));
	assert_null(frame_at(&pr, "small", 11791));  /* 0.9 px */
	assert_null(frame_at(&pr, "deeper", 11791)); /* its children go with it */
	assert_int_equal(pr.stats.pruned, 3);
	assert_int_equal(pr.stats.depth, 4); /* rows drawn: all, main, edge, x */
	assert_non_null(strstr(pr.svg, "height=\"134\""));
	free(pr.svg);

	/* a percentage of the total */
	o.min_width = 50;
	o.min_width_percent = true;
	render_text(&pr, "a 60\nb 40\n", &o);
	assert_non_null(frame_at(&pr, "a", 0));
	assert_null(frame_at(&pr, "b", 60));
	free(pr.svg);
}

static void test_escaping(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;
	size_t i;

	hash_options(&o);
	o.title = "<T&itle>";
	o.subtitle = "\"sub\"";
	o.count_name = "<b>'s";
	o.name_type = "]]></script><x>";
	o.notes = "a--b-";
	render_text(&pr,
		    "main;<script>&\"'x 5\n"
		    "main;bad\xff\xc0\x80utf8 5\n"
		    "main;ctl\x01\x1f\x7fz 5\n"
		    "main;ok \xe6\x97\xa5\xe6\x9c\xac 5\n"
		    "main;noncharacter\xef\xbf\xbe 5\n",
		    &o);
	assert_int_equal(pr.err, 0);
	assert_non_null(strstr(pr.svg, "&lt;script&gt;&amp;&quot;&#39;x (5 &lt;b&gt;&#39;s, "));
	assert_non_null(strstr(pr.svg, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8 ("));
	assert_non_null(strstr(pr.svg, "ctl\xef\xbf\xbd\xef\xbf\xbd\x7fz ("));
	assert_non_null(strstr(pr.svg, "ok \xe6\x97\xa5\xe6\x9c\xac ("));
	assert_non_null(strstr(pr.svg, "noncharacter\xef\xbf\xbd ("));
	assert_non_null(strstr(pr.svg, ">&lt;T&amp;itle&gt;</text>"));
	assert_non_null(strstr(pr.svg, ">&quot;sub&quot;</text>"));
	assert_non_null(strstr(pr.svg, "\"countname\":\"\\u003cb\\u003e's\""));
	assert_non_null(
		strstr(pr.svg, "\"nametype\":\"]]\\u003e\\u003c/script\\u003e\\u003cx\\u003e\""));
	assert_non_null(strstr(pr.svg, "<!-- NOTES: a- -b-  -->"));
	/* no raw control bytes at all */
	for (i = 0; i < pr.len; i++) {
		unsigned char c = pr.svg[i];

		if (c < 0x20 && c != '\n' && c != '\t')
			fail_msg("control byte 0x%02x at %zu", c, i);
	}
	free(pr.svg);
}

static void test_label_truncation(void **state)
{
	const struct parsed_frame *f;
	struct flamegraph_options o;
	struct parsed pr;

	/* 100 px wide frames; 7.08 px per character: (100 - 6) / 7.08 -> 13 characters */
	hash_options(&o);
	o.image_width = 120;
	render_text(&pr, "abcdefghijklmnopqrstuvwxyz 1\n", &o);
	f = frame_at(&pr, "abcdefghijklmnopqrstuvwxyz", 0);
	assert_non_null(f);
	assert_string_equal(f->label, "abcdefghijk..");
	free(pr.svg);
	/* multi-byte characters are never cut in the middle */
	render_text(&pr,
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 1\n",
		    &o);
	assert_non_null(strstr(pr.svg, ">\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..</text>"));
	free(pr.svg);
	/* annotations are not shown */
	render_text(&pr, "kfunc_[k] 1\n", &o);
	assert_non_null(frame_at(&pr, "kfunc", 0));
	assert_string_equal(frame_at(&pr, "kfunc", 0)->label, "kfunc");
	free(pr.svg);
}

static void test_differential(void **state)
{
	const struct parsed_frame *grew, *shrank;
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	render_text(&pr, "main;grew 10 30\nmain;shrank 40 20\nmain;same 5 5\n", &o);
	assert_non_null(strstr(pr.svg, "\"differential\":true"));
	assert_true(pr.stats.differential && pr.stats.max_delta == 20);
	grew = frame_at(&pr, "grew", 0);
	shrank = frame_at(&pr, "shrank", 35);
	assert_non_null(grew);
	assert_non_null(shrank);
	/* width from the second count; red for growth, blue for shrinkage, by delta / maxdelta */
	assert_true(grew->fs_w == 30 && shrank->fs_w == 20);
	assert_true(grew->r == 255 && grew->g == 0 && grew->b == 0);
	assert_true(shrank->r == 0 && shrank->g == 0 && shrank->b == 255);
	assert_string_equal(grew->title, "grew (30 samples, 54.55%; +36.36%)");
	assert_string_equal(shrank->title, "shrank (20 samples, 36.36%; -36.36%)");
	assert_string_equal(frame_at(&pr, "same", 30)->title, "same (5 samples, 9.09%; 0.00%)");
	/* parents without own samples have no change: white */
	assert_true(frame_at(&pr, "main", 0)->r == 255 && frame_at(&pr, "main", 0)->b == 255);
	free(pr.svg);

	o.negate = true;
	render_text(&pr, "main;grew 10 30\nmain;shrank 40 20\n", &o);
	grew = frame_at(&pr, "grew", 0);
	assert_true(grew->r == 0 && grew->b == 255);
	assert_non_null(strstr(grew->title, "; -40.00%)"));
	free(pr.svg);
}

static void test_colors(void **state)
{
	struct flamegraph_options o;
	struct parsed a, b;

	/* --hash: the same colours every time, as flamegraph.pl computes them */
	hash_options(&o);
	render_text(&a, "main;-;--;f 3\n", &o);
	render_text(&b, "main;-;--;f 3\n", &o);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.svg, b.svg, a.len);
	assert_true(frame_at(&a, "all", 0)->r == 255 && frame_at(&a, "all", 0)->g == 230 &&
		    frame_at(&a, "all", 0)->b == 55);
	/* separators are grey */
	assert_true(frame_at(&a, "-", 0)->r == 200 && frame_at(&a, "-", 0)->g == 200);
	assert_true(frame_at(&a, "--", 0)->r == 160 && frame_at(&a, "--", 0)->b == 160);
	free(a.svg);
	free(b.svg);

	/* random colours: reproducible with a seed, different with another */
	flamegraph_options__init(&o);
	o.seed = 7;
	render_text(&a, "a;b;c;d;e;f;g 3\n", &o);
	render_text(&b, "a;b;c;d;e;f;g 3\n", &o);
	assert_memory_equal(a.svg, b.svg, a.len);
	free(b.svg);
	o.seed = 8;
	render_text(&b, "a;b;c;d;e;f;g 3\n", &o);
	assert_true(a.len != b.len || memcmp(a.svg, b.svg, a.len));
	free(a.svg);
	free(b.svg);

	/* --deterministic: per name, stable */
	flamegraph_options__init(&o);
	o.color_source = FLAMEGRAPH_COLOR_DETERMINISTIC;
	o.palette = FS_PALETTE_JAVA;
	render_text(&a, "x;java/lang/Thread.run 1\ny;java/lang/Thread.run 1\n", &o);
	assert_true(frame_at(&a, "java/lang/Thread.run", 0)->g ==
		    frame_at(&a, "java/lang/Thread.run", 1)->g);
	assert_true(frame_at(&a, "java/lang/Thread.run", 0)->g >= 200); /* green */
	assert_non_null(strstr(a.svg, "stop-color=\"#eeeeb0\""));
	free(a.svg);
}

static void test_palette_map(void **state)
{
	struct palette_map *map = palette_map__new();
	struct flamegraph_options o;
	struct parsed pr;
	struct fs_rgb c;

	palette_map__set(map, "pinned", 6, (struct fs_rgb){1, 2, 3});
	flamegraph_options__init(&o);
	o.palette_map = map;
	render_text(&pr, "pinned;fresh 2\nfresh 1\n", &o);
	assert_true(frame_at(&pr, "pinned", 1)->r == 1 && frame_at(&pr, "pinned", 1)->b == 3);
	/* every new name's colour is recorded, the root under "" */
	assert_int_equal(palette_map__count(map), 3);
	assert_true(palette_map__get(map, "fresh", 5, &c));
	assert_true(frame_at(&pr, "fresh", 0)->r == c.r && frame_at(&pr, "fresh", 0)->g == c.g);
	assert_true(frame_at(&pr, "fresh", 1)->r == c.r && frame_at(&pr, "fresh", 1)->g == c.g);
	assert_true(palette_map__get(map, "", 0, &c));
	free(pr.svg);
	palette_map__free(map);
}

static void test_layout_options(void **state)
{
	const struct parsed_frame *all, *leaf;
	struct flamegraph_options o;
	struct parsed pr;

	/* icicle: root at the top */
	hash_options(&o);
	o.inverted = true;
	o.subtitle = "sub";
	render_text(&pr, "a;b 1\n", &o);
	all = frame_at(&pr, "all", 0);
	leaf = frame_at(&pr, "b", 0);
	assert_true(all->y < leaf->y);
	assert_true(all->y == 36 + 24); /* below the title and the subtitle */
	assert_non_null(strstr(pr.svg, ">Icicle Graph</text>"));
	assert_non_null(strstr(pr.svg, "\"inverted\":true"));
	assert_non_null(strstr(pr.svg, "<text id=\"subtitle\" x=\"600\" y=\"48\">sub</text>"));
	free(pr.svg);

	/* reverse: leaf first */
	hash_options(&o);
	o.reverse = true;
	render_text(&pr, "a;b;c 1\nd;b;c 2\n", &o);
	assert_true(frame_at(&pr, "c", 0)->fs_w == 3);
	assert_true(frame_at(&pr, "b", 0)->fs_w == 3);
	assert_non_null(frame_at(&pr, "a", 0));
	assert_non_null(frame_at(&pr, "d", 1));
	free(pr.svg);

	/* flame chart: input order, consecutive repeats merged, not sorted */
	hash_options(&o);
	o.flamechart = true;
	render_text(&pr, "b 1\na 2\na 3\nb 4\n", &o);
	assert_true(frame_at(&pr, "b", 0)->fs_w == 1);
	assert_true(frame_at(&pr, "a", 1)->fs_w == 5);
	assert_true(frame_at(&pr, "b", 6)->fs_w == 4);
	assert_non_null(strstr(pr.svg, ">Flame Chart</text>"));
	free(pr.svg);

	/* a flame chart needs the input order */
	{
		struct folded_profile *p = folded_profile__new(0);

		folded_profile__add_text(p, "a 1\n", 4);
		render(&pr, p, &o);
		assert_int_equal(pr.err, -EINVAL);
		free(pr.svg);
		folded_profile__free(p);
	}

	/* factor scales the displayed counts; --total widens the root */
	hash_options(&o);
	o.factor = 2.5;
	o.total = 100;
	o.count_name = "bytes";
	render_text(&pr, "a 10\n", &o);
	assert_string_equal(frame_at(&pr, "all", 0)->title, "all (250 bytes, 100%)");
	assert_string_equal(frame_at(&pr, "a", 0)->title, "a (25 bytes, 10.00%)");
	assert_true(fabs(frame_at(&pr, "a", 0)->width - 118) < 0.01);
	assert_non_null(strstr(pr.svg, "\"total\":100"));
	assert_non_null(strstr(pr.svg, "\"factor\":2.5"));
	free(pr.svg);
}

static void test_fractional_counts(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	render_text(&pr, "a;b 0.5\na;c 1.25\n", &o);
	assert_true(frame_at(&pr, "c", 0.5)->fs_w == 1.25);
	assert_non_null(strstr(pr.svg, "fs:x=\"0.5\" fs:w=\"1.25\""));
	assert_non_null(strstr(pr.svg, "\"total\":1.75"));
	free(pr.svg);
}

static void test_empty(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	flamegraph_options__init(&o);
	render_text(&pr, "", &o);
	assert_int_equal(pr.err, 0);
	assert_true(pr.stats.empty);
	assert_non_null(strstr(pr.svg, "ERROR: No valid input provided to flamegraph"));
	assert_non_null(strstr(pr.svg, "</svg>"));
	free(pr.svg);
	/* zero counts are no samples either */
	render_text(&pr, "a 0\nno count\n", &o);
	assert_true(pr.stats.empty);
	free(pr.svg);
}

static void test_encoding_bytes(void **state)
{
	struct flamegraph_options o;
	struct parsed pr;

	hash_options(&o);
	o.encoding = "ISO-8859-1";
	render_text(&pr, "caf\xe9 1\n", &o);
	assert_non_null(strstr(pr.svg, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" standalone"));
	assert_non_null(strstr(pr.svg, "caf\xe9 (1 samples"));
	free(pr.svg);
}

static void test_write_error(void **state)
{
	struct folded_profile *p = folded_profile__new(0);
	struct flamegraph_options o;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	folded_profile__add_text(p, "a 1\n", 4);
	flamegraph_options__init(&o);
	assert_int_equal(flamegraph__write(p, &o, f, NULL), -ENOSPC);
	fclose(f);
	folded_profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_geometry_and_tooltips),
		cmocka_unit_test(test_sibling_order_like_perl),
		cmocka_unit_test(test_merging_and_unsorted_input),
		cmocka_unit_test(test_pruning),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_label_truncation),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_palette_map),
		cmocka_unit_test(test_layout_options),
		cmocka_unit_test(test_fractional_counts),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_encoding_bytes),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
