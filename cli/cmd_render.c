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
#include "cli/profile_input.h"
#include "cli/render_options.h"
#include "common/log.h"
#include "common/output_file.h"
#include "render/flamegraph.h"
#include "render/folded.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp render [OPTIONS] [FILE...]\n"
		"\n"
		"Draw folded stacks (\"frame;frame;frame COUNT\" lines) or a profile database\n"
		"(record -o FILE.db) as an interactive SVG flame graph.  Reads standard input\n"
		"when no FILE (or \"-\") is given; several files are merged.  Lines need not\n"
		"be sorted.  A line with two counts\n"
		"(\"stack BEFORE AFTER\", see `flamesamp diff`) makes a differential graph:\n"
		"width from AFTER, red where it grew, blue where it shrank.\n"
		"\n"
		"Output:\n"
		"  -o, --output FILE    write the SVG to FILE (default: standard output)\n");
	profile_input__usage(out);
	fprintf(out, "Flame graph options (a database gives the defaults of --title,\n"
		     "--subtitle, --countname and --colors):\n");
	render_options__usage(out);
	fprintf(out,
		"  -i                   same as --inverted\n"
		"  -c NAME              same as --colors NAME\n"
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

static struct option long_options[RENDER_LONG_OPTIONS_MAX + PROFILE_INPUT_LONG_OPTIONS_MAX + 3];

static void build_long_options(void)
{
	size_t n = 0, i;

	long_options[n++] = (struct option){"output", required_argument, NULL, 'o'};
	long_options[n++] = (struct option){"help", no_argument, NULL, 'h'};
	for (i = 0; render_long_options[i].name; i++)
		long_options[n++] = render_long_options[i];
	for (i = 0; profile_input_long_options[i].name; i++)
		long_options[n++] = profile_input_long_options[i];
	long_options[n] = (struct option){0};
}

/* 0, or an exit code after printing the problem. */
static int parse_args(int argc, char **argv, struct render_args *a, struct profile_input_args *in,
		      const char **output)
{
	int c;

	render_args__init(a);
	profile_input_args__init(in);
	build_long_options();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:ic:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case '?':
			cli_error("unknown option '%s' (see 'flamesamp render --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		case 'o':
			*output = optarg;
			continue;
		case 'i':
			c = RENDER_OPT_INVERTED;
			break;
		case 'c':
			c = RENDER_OPT_COLORS;
			break;
		}
		if (c >= PROFILE_INPUT_OPT_FIRST && c <= PROFILE_INPUT_OPT_LAST) {
			if (profile_input_args__handle(in, c, optarg))
				return EXIT_USAGE;
			continue;
		}
		if (render_args__handle(a, c, optarg))
			return EXIT_USAGE;
	}
	return render_args__finish(a);
}

/* What a profile database says of itself, where no option said otherwise. */
static void apply_meta(struct render_args *a, const struct profile_input_args *in,
		       const struct profile_input_meta *m)
{
	if (!m->from_db)
		return;
	if (!a->count_name_given && m->count_name[0])
		a->fg.count_name = m->count_name;
	if (!a->fg.title && m->title[0])
		a->fg.title = m->title;
	/* the recording's figures describe all of it, not a slice */
	if (!a->fg.subtitle && m->subtitle[0] && !profile_input_args__any(in))
		a->fg.subtitle = m->subtitle;
	if (!a->palette_given && !strcmp(m->mode, "offcpu"))
		a->fg.palette = FS_PALETTE_IO;
	else if (!a->palette_given && !strcmp(m->mode, "hotcold"))
		a->fg.palette = FS_PALETTE_HOTCOLD;
	else if (!a->palette_given && !strcmp(m->mode, "malloc"))
		a->fg.palette = FS_PALETTE_MEM;
}

int cmd_render(int argc, char **argv)
{
	struct render_args a;
	struct profile_input_args in;
	struct profile_input_meta meta;
	struct folded_profile *profile = NULL;
	struct output_file *of = NULL;
	const char *output = NULL, *out_name;
	unsigned flags;
	int ret;

	ret = parse_args(argc, argv, &a, &in, &output);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	out_name = output && strcmp(output, "-") ? output : "standard output";

	flags = a.fg.flamechart ? FOLDED_KEEP_ORDER : 0;
	profile = folded_profile__new(flags);
	/* open the output first: a bad path fails before reading a large input */
	of = output_file__open(output);
	if (!of) {
		cli_error("cannot write '%s': %s", out_name, strerror(errno));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	ret = profile_input__read(&in, argc - optind, argv + optind, profile, flags, &meta);
	if (ret)
		goto out;
	apply_meta(&a, &in, &meta);
	ret = render_args__write_svg(&a, profile, of, out_name);
	of = NULL;
out:
	output_file__abort(of);
	folded_profile__free(profile);
	profile_input_args__release(&in);
	return ret;
}
