// SPDX-License-Identifier: Apache-2.0
/*
 * The flame graph options shared by `flamesamp render` and the recording
 * commands, with flamegraph.pl's names, and the SVG writing step around
 * render/ (consistent palette included).
 */
#include "cli/render_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "render/palette.h"

enum {
	OPT_TITLE = 256,
	OPT_INVERTED,
	OPT_COLORS,
	OPT_SUBTITLE,
	OPT_NOTES,
	OPT_COUNTNAME,
	OPT_NAMETYPE,
	OPT_ENCODING,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_MINWIDTH,
	OPT_FONTTYPE,
	OPT_FONTSIZE,
	OPT_FONTWIDTH,
	OPT_REVERSE,
	OPT_FLAMECHART,
	OPT_FACTOR,
	OPT_TOTAL,
	OPT_BGCOLORS,
	OPT_HASH,
	OPT_DETERMINISTIC,
	OPT_RANDOM,
	OPT_SEED,
	OPT_CP,
	OPT_PALFILE,
	OPT_NEGATE,
	OPT_SEARCH_COLOR,
};

_Static_assert((int)OPT_INVERTED == RENDER_OPT_INVERTED && (int)OPT_COLORS == RENDER_OPT_COLORS,
	       "render.h values");
_Static_assert((int)OPT_SEARCH_COLOR <= (int)RENDER_OPT_LAST, "option range");

const struct option render_long_options[] = {
	{"title", required_argument, NULL, OPT_TITLE},
	{"subtitle", required_argument, NULL, OPT_SUBTITLE},
	{"notes", required_argument, NULL, OPT_NOTES},
	{"countname", required_argument, NULL, OPT_COUNTNAME},
	{"count-name", required_argument, NULL, OPT_COUNTNAME},
	{"nametype", required_argument, NULL, OPT_NAMETYPE},
	{"name-type", required_argument, NULL, OPT_NAMETYPE},
	{"encoding", required_argument, NULL, OPT_ENCODING},
	{"width", required_argument, NULL, OPT_WIDTH},
	{"height", required_argument, NULL, OPT_HEIGHT},
	{"frame-height", required_argument, NULL, OPT_HEIGHT},
	{"minwidth", required_argument, NULL, OPT_MINWIDTH},
	{"min-width", required_argument, NULL, OPT_MINWIDTH},
	{"fonttype", required_argument, NULL, OPT_FONTTYPE},
	{"font-type", required_argument, NULL, OPT_FONTTYPE},
	{"fontsize", required_argument, NULL, OPT_FONTSIZE},
	{"font-size", required_argument, NULL, OPT_FONTSIZE},
	{"fontwidth", required_argument, NULL, OPT_FONTWIDTH},
	{"font-width", required_argument, NULL, OPT_FONTWIDTH},
	{"reverse", no_argument, NULL, OPT_REVERSE},
	{"inverted", no_argument, NULL, OPT_INVERTED},
	{"flamechart", no_argument, NULL, OPT_FLAMECHART},
	{"factor", required_argument, NULL, OPT_FACTOR},
	{"total", required_argument, NULL, OPT_TOTAL},
	{"colors", required_argument, NULL, OPT_COLORS},
	{"bgcolors", required_argument, NULL, OPT_BGCOLORS},
	{"hash", no_argument, NULL, OPT_HASH},
	{"deterministic", no_argument, NULL, OPT_DETERMINISTIC},
	{"random", no_argument, NULL, OPT_RANDOM},
	{"seed", required_argument, NULL, OPT_SEED},
	{"cp", no_argument, NULL, OPT_CP},
	{"palfile", required_argument, NULL, OPT_PALFILE},
	{"palette-file", required_argument, NULL, OPT_PALFILE},
	{"negate", no_argument, NULL, OPT_NEGATE},
	{"search-color", required_argument, NULL, OPT_SEARCH_COLOR},
	{NULL, 0, NULL, 0},
};

void render_args__init(struct render_args *a)
{
	memset(a, 0, sizeof(*a));
	flamegraph_options__init(&a->fg);
}

/* flamegraph.pl accepts /^[0-9.]+%?$/ for --minwidth. */
static int parse_minwidth(const char *arg, struct flamegraph_options *o)
{
	size_t len = strlen(arg), digits = strspn(arg, "0123456789.");
	char *copy;
	int err = 0;

	if (!digits || (digits != len && !(digits + 1 == len && arg[digits] == '%'))) {
		cli_error("invalid value for --minwidth: '%s' (expected pixels, or a percentage "
			  "ending in %%)",
			  arg);
		return -1;
	}
	copy = strndup(arg, digits);
	if (!copy || cli_parse_double("--minwidth", copy, &o->min_width))
		err = -1;
	free(copy);
	o->min_width_percent = digits != len;
	return err;
}

static int parse_positive(const char *option, const char *arg, double *out)
{
	if (cli_parse_double(option, arg, out))
		return -1;
	if (!(*out > 0)) {
		cli_error("invalid value for %s: '%s' (expected a number above 0)", option, arg);
		return -1;
	}
	return 0;
}

int render_args__handle(struct render_args *a, int c, const char *arg)
{
	struct flamegraph_options *o = &a->fg;
	long v;

	switch (c) {
	case OPT_TITLE:
		o->title = arg;
		return 0;
	case OPT_SUBTITLE:
		o->subtitle = arg;
		return 0;
	case OPT_NOTES:
		o->notes = arg;
		return 0;
	case OPT_COUNTNAME:
		a->count_name_given = true;
		o->count_name = arg;
		return 0;
	case OPT_NAMETYPE:
		o->name_type = arg;
		return 0;
	case OPT_ENCODING:
		o->encoding = arg;
		return 0;
	case OPT_FONTTYPE:
		o->font_type = arg;
		return 0;
	case OPT_WIDTH:
		if (cli_parse_int("--width", arg, 21, 1000000, &v))
			return -1;
		o->image_width = (unsigned)v;
		return 0;
	case OPT_HEIGHT:
		if (cli_parse_int("--height", arg, 1, 100000, &v))
			return -1;
		o->frame_height = (unsigned)v;
		return 0;
	case OPT_MINWIDTH:
		return parse_minwidth(arg, o);
	case OPT_FONTSIZE:
		return parse_positive("--fontsize", arg, &o->font_size);
	case OPT_FONTWIDTH:
		return parse_positive("--fontwidth", arg, &o->font_width);
	case OPT_REVERSE:
		o->reverse = true;
		return 0;
	case OPT_INVERTED:
		o->inverted = true;
		return 0;
	case OPT_FLAMECHART:
		o->flamechart = true;
		return 0;
	case OPT_FACTOR:
		return parse_positive("--factor", arg, &o->factor);
	case OPT_TOTAL:
		return parse_positive("--total", arg, &o->total);
	case OPT_COLORS:
		a->palette_given = true;
		if (fs_palette_parse(arg, &o->palette)) {
			cli_error(
				"unknown palette for --colors: '%s' (see 'flamesamp render --help')",
				arg);
			return -1;
		}
		return 0;
	case OPT_BGCOLORS:
		if (fs_background_parse(arg, &o->background, &o->background_flat)) {
			cli_error(
				"invalid value for --bgcolors: '%s' (expected yellow, blue, green, "
				"grey or #rrggbb)",
				arg);
			return -1;
		}
		return 0;
	case OPT_SEARCH_COLOR: {
		enum fs_background kind;

		if (fs_background_parse(arg, &kind, &o->search_color) ||
		    kind != FS_BACKGROUND_FLAT) {
			cli_error("invalid value for --search-color: '%s' (expected #rrggbb)", arg);
			return -1;
		}
		return 0;
	}
	case OPT_HASH:
		a->hash = true;
		return 0;
	case OPT_DETERMINISTIC:
		a->deterministic = true;
		return 0;
	case OPT_RANDOM:
		return 0;
	case OPT_SEED:
		if (cli_parse_int("--seed", arg, 1, 0x7fffffffL, &v))
			return -1;
		o->seed = (uint64_t)v;
		return 0;
	case OPT_CP:
		if (!a->palfile)
			a->palfile = "palette.map";
		return 0;
	case OPT_PALFILE:
		a->palfile = arg;
		return 0;
	case OPT_NEGATE:
		o->negate = true;
		return 0;
	default:
		return -1;
	}
}

int render_args__finish(struct render_args *a)
{
	if (a->hash && a->deterministic) {
		cli_error("--hash and --deterministic cannot be combined");
		return EXIT_USAGE;
	}
	a->fg.color_source = a->hash		? FLAMEGRAPH_COLOR_HASH
			     : a->deterministic ? FLAMEGRAPH_COLOR_DETERMINISTIC
						: FLAMEGRAPH_COLOR_RANDOM;
	if (flamegraph_options__check(&a->fg)) {
		cli_error("invalid value for --encoding: '%s' (expected a name such as UTF-8 or "
			  "ISO-8859-1)",
			  a->fg.encoding);
		return EXIT_USAGE;
	}
	return 0;
}

static int load_palette(struct palette_map *map, const char *path)
{
	size_t ignored = 0;
	int err = palette_map__read(map, path, &ignored);

	if (err && err != -ENOENT) {
		cli_error("cannot read palette map '%s': %s", path, strerror(-err));
		return EXIT_USAGE;
	}
	if (ignored)
		fs_warn("ignored %zu lines with invalid format in palette map '%s'", ignored, path);
	return 0;
}

static int write_palette(FILE *out, const void *map)
{
	return palette_map__write(map, out);
}

int render_args__write_svg(struct render_args *a, const struct folded_profile *profile,
			   struct output_file *of, const char *out_name)
{
	struct palette_map *map = NULL;
	struct flamegraph_stats stats;
	int ret = EXIT_OK, err;

	if (a->palfile) {
		map = palette_map__new();
		ret = load_palette(map, a->palfile);
		if (ret) {
			output_file__abort(of);
			goto out;
		}
		a->fg.palette_map = map;
	}
	err = flamegraph__write(profile, &a->fg, output_file__stream(of), &stats);
	if (!err)
		err = output_file__commit(of);
	else
		output_file__abort(of);
	if (err) {
		cli_error("cannot write '%s': %s", out_name, strerror(-err));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	if (stats.empty)
		fs_warn("no valid input: the flame graph has no samples");
	if (map)
		ret = cli_write_output(a->palfile, "palette map", write_palette, map);
out:
	a->fg.palette_map = NULL;
	palette_map__free(map);
	return ret;
}

void render_options__usage(FILE *out)
{
	fprintf(out,
		"      --title TEXT     title (default \"Flame Graph\", \"Icicle Graph\" or \"Flame Chart\")\n"
		"      --subtitle TEXT  second title line\n"
		"      --notes TEXT     notes kept in an XML comment of the SVG\n"
		"      --countname TEXT what the counts are (default \"samples\")\n"
		"      --nametype TEXT  what the names are (default \"Function:\")\n"
		"      --encoding NAME  declare this encoding; names are then passed through as bytes\n"
		"                       (default: UTF-8, invalid sequences shown as U+FFFD)\n"
		"Geometry:\n"
		"      --width PX       image width (default 1200)\n"
		"      --height PX      height of each frame row (default 16)\n"
		"      --minwidth N     leave out frames narrower than N pixels, or N%% of the\n"
		"                       total with a %% suffix (default 0.1)\n"
		"      --fonttype FONT  font family (default \"Verdana\")\n"
		"      --fontsize PX    font size (default 12)\n"
		"      --fontwidth F    average character width relative to the font size (0.59)\n"
		"Layout:\n"
		"      --reverse        reverse each stack (leaf first) before merging\n"
		"      --inverted       icicle graph: root at the top\n"
		"      --flamechart     keep the input order instead of sorting (a flame chart)\n"
		"      --factor F       multiply displayed counts by F (default 1)\n"
		"      --total N        draw the root as N wide when that exceeds the real total\n"
		"Colours:\n"
		"      --colors NAME    palette: hot (default), mem, io, wakeup, chain, java, js,\n"
		"                       perl, python, rust, hotcold, red, green, blue, aqua, yellow,\n"
		"                       purple, orange.  Semantic palettes use the annotations\n"
		"                       _[k] kernel, _[j] JIT, _[i] inlined, _[w] waker, _[o]\n"
		"                       off-CPU (hotcold: blue)\n"
		"      --bgcolors C     background: yellow, blue, green, grey or #rrggbb\n"
		"                       (default: chosen from the palette)\n"
		"      --hash           colour by a hash of the name (flamegraph.pl's)\n"
		"      --deterministic  colour by a hash of the whole name (inferno's)\n"
		"      --random         random colours per frame (the default)\n"
		"      --seed N         seed for random colours (default: from the clock)\n"
		"      --cp             consistent palette: reuse and update palette.map\n"
		"      --palfile FILE   palette map file for --cp (implies --cp)\n"
		"      --negate         differential: swap red and blue\n"
		"      --search-color C colour of search matches, #rrggbb (default #e600e6)\n");
}
