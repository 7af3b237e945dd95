// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp render: folded stacks -> interactive SVG flame graph.
 * Option names follow FlameGraph's flamegraph.pl so existing scripts keep
 * working; a few of inferno's spellings are accepted as aliases.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/output_file.h"
#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/palette.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp render [OPTIONS] [FILE...]\n"
		"\n"
		"Draw folded stacks (\"frame;frame;frame COUNT\" lines) as an interactive SVG\n"
		"flame graph.  Reads standard input when no FILE (or \"-\") is given; several\n"
		"files are merged.  Lines need not be sorted.  A line with two counts\n"
		"(\"stack BEFORE AFTER\", see `flamesamp diff`) makes a differential graph:\n"
		"width from AFTER, red where it grew, blue where it shrank.\n"
		"\n"
		"Output:\n"
		"  -o, --output FILE    write the SVG to FILE (default: standard output)\n"
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
		"  -i, --inverted       icicle graph: root at the top\n"
		"      --flamechart     keep the input order instead of sorting (a flame chart)\n"
		"      --factor F       multiply displayed counts by F (default 1)\n"
		"      --total N        draw the root as N wide when that exceeds the real total\n"
		"Colours:\n"
		"  -c, --colors NAME    palette: hot (default), mem, io, wakeup, chain, java, js,\n"
		"                       perl, python, rust, red, green, blue, aqua, yellow, purple,\n"
		"                       orange.  Semantic palettes use the annotations _[k] kernel,\n"
		"                       _[j] JIT, _[i] inlined, _[w] waker\n"
		"      --bgcolors C     background: yellow, blue, green, grey or #rrggbb\n"
		"                       (default: chosen from the palette)\n"
		"      --hash           colour by a hash of the name (flamegraph.pl's)\n"
		"      --deterministic  colour by a hash of the whole name (inferno's)\n"
		"      --random         random colours per frame (the default)\n"
		"      --seed N         seed for random colours (default: from the clock)\n"
		"      --cp             consistent palette: reuse and update palette.map\n"
		"      --palfile FILE   palette map file for --cp (implies --cp)\n"
		"      --negate         differential: swap red and blue\n"
		"      --search-color C colour of search matches, #rrggbb (default #e600e6)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Aliases: --frame-height, --font-type, --font-size, --font-width, --count-name,\n"
		"--name-type, --min-width, --palette-file.  Options may be abbreviated.\n"
		"\n"
		"Lines without a valid count (blank lines included) are skipped; their number\n"
		"is reported as a warning.  Input without any samples still gives a valid SVG\n"
		"that says \"ERROR: No valid input provided to flamegraph\", with a warning, and\n"
		"exit status 0.\n"
		"\n"
		"Exit status: 0 success, 1 write failure (no partial output file is left),\n"
		"2 usage error (unknown option, bad value, missing or unreadable input file).\n");
}

enum {
	OPT_TITLE = 256,
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

static const struct option long_options[] = {
	{"output", required_argument, NULL, 'o'},
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
	{"inverted", no_argument, NULL, 'i'},
	{"flamechart", no_argument, NULL, OPT_FLAMECHART},
	{"factor", required_argument, NULL, OPT_FACTOR},
	{"total", required_argument, NULL, OPT_TOTAL},
	{"colors", required_argument, NULL, 'c'},
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
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct render_args {
	struct flamegraph_options fg;
	const char *output;
	const char *palfile; /* non-NULL: consistent palette */
	bool hash, deterministic;
};

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

/* One option; 0, or -1 after printing the problem. */
static int handle_option(int c, const char *arg, struct render_args *a)
{
	struct flamegraph_options *o = &a->fg;
	long v;

	switch (c) {
	case 'o':
		a->output = arg;
		return 0;
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
	case 'i':
		o->inverted = true;
		return 0;
	case OPT_FLAMECHART:
		o->flamechart = true;
		return 0;
	case OPT_FACTOR:
		return parse_positive("--factor", arg, &o->factor);
	case OPT_TOTAL:
		return parse_positive("--total", arg, &o->total);
	case 'c':
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

/* 0, or an exit code after printing the problem. */
static int parse_args(int argc, char **argv, struct render_args *a)
{
	int c;

	flamegraph_options__init(&a->fg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:ic:h", long_options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?') {
			cli_error("unknown option '%s' (see 'flamesamp render --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		}
		if (c == ':') {
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (handle_option(c, optarg, a))
			return EXIT_USAGE;
	}
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

static int read_inputs(struct folded_profile *p, int nfiles, char **files)
{
	static char *const stdin_only[] = {"-"};
	int i, err;

	if (!nfiles) {
		nfiles = 1;
		files = (char **)stdin_only;
	}
	for (i = 0; i < nfiles; i++) {
		err = folded_profile__read_file(p, files[i]);
		if (err) {
			cli_error("cannot read '%s': %s",
				  strcmp(files[i], "-") ? files[i] : "standard input",
				  strerror(-err));
			return EXIT_USAGE;
		}
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

int cmd_render(int argc, char **argv)
{
	struct render_args a = {0};
	struct folded_profile *profile = NULL;
	struct palette_map *map = NULL;
	struct output_file *of = NULL;
	struct flamegraph_stats stats;
	struct folded_stats fstats;
	const char *out_name;
	int ret, err;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	out_name = a.output && strcmp(a.output, "-") ? a.output : "standard output";

	profile = folded_profile__new(a.fg.flamechart ? FOLDED_KEEP_ORDER : 0);
	if (a.palfile) {
		map = palette_map__new();
		ret = load_palette(map, a.palfile);
		if (ret)
			goto out;
		a.fg.palette_map = map;
	}
	/* open the output first: a bad path fails before reading a large input */
	of = output_file__open(a.output);
	if (!of) {
		cli_error("cannot write '%s': %s", out_name, strerror(errno));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	ret = read_inputs(profile, argc - optind, argv + optind);
	if (ret)
		goto out;

	folded_profile__stats(profile, &fstats);
	if (fstats.ignored_lines)
		fs_warn("ignored %zu lines with invalid format", fstats.ignored_lines);

	err = flamegraph__write(profile, &a.fg, output_file__stream(of), &stats);
	if (!err) {
		err = output_file__commit(of);
		of = NULL;
	}
	if (err) {
		cli_error("cannot write '%s': %s", out_name, strerror(-err));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	if (stats.empty)
		fs_warn("no valid input: the flame graph has no samples");
	if (map)
		ret = cli_write_output(a.palfile, "palette map", write_palette, map);
out:
	output_file__abort(of);
	palette_map__free(map);
	folded_profile__free(profile);
	return ret;
}
