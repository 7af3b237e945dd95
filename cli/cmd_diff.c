// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp diff [-n] [-s] [-o FILE] BEFORE AFTER: two folded profiles to the
 * "STACK BEFORE AFTER" lines of a differential flame graph, as FlameGraph's
 * difffolded.pl and inferno-diff-folded write them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collapse/diff_folded.h"
#include "common/line_reader.h"

static const char usage_text[] =
	"usage: flamesamp diff [OPTIONS] BEFORE AFTER\n"
	"\n"
	"Compare two folded-stack profiles: print each stack with its count in BEFORE\n"
	"and in AFTER (\"frame;frame 12 20\"), sorted, for a differential flame graph\n"
	"(`flamesamp render` colours what grew red and what shrank blue).  Either file\n"
	"may be \"-\" for standard input.  Fractional counts are truncated to integers;\n"
	"lines without a count are skipped with a warning.\n"
	"\n"
	"options:\n"
	"  -n, --normalize     scale BEFORE's counts so that its total equals AFTER's\n"
	"  -s, --strip-hex     replace hex addresses (0x1a2b) in frames with \"0x...\"\n"
	"  -o, --output FILE   write to FILE (replaced only once complete)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 success, 1 a write error or counts too large to add up,\n"
	"2 usage error (unknown option, missing or unreadable file).\n";

static const struct option long_options[] = {
	{"normalize", no_argument, NULL, 'n'},
	{"strip-hex", no_argument, NULL, 's'},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *display_name(const char *path)
{
	return strcmp(path, "-") ? path : "standard input";
}

/* Parse options; -1 after a usage error, 1 for --help, 0 otherwise. */
static int parse_args(int argc, char **argv, struct diff_folded_options *opts, const char **output)
{
	int c;

	optind = 0; /* full reinitialisation of GNU getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nso:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'n':
			opts->normalize = true;
			break;
		case 's':
			opts->strip_hex = true;
			break;
		case 'o':
			*output = optarg;
			break;
		case 'h':
			return 1;
		case ':':
			cli_error("diff: option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			cli_error("diff: unknown option '%s' (see 'flamesamp diff --help')",
				  cli_bad_option(long_options, argv));
			return -1;
		}
	}
	if (argc - optind != 2) {
		cli_error("diff: expected two files, BEFORE and AFTER, got %d (see 'flamesamp "
			  "diff --help')",
			  argc - optind);
		return -1;
	}
	if (!strcmp(argv[optind], "-") && !strcmp(argv[optind + 1], "-")) {
		cli_error("diff: BEFORE and AFTER cannot both be standard input");
		return -1;
	}
	return 0;
}

/* Read @path and add it as @side; returns an exit code. */
static int add_file(struct diff_folded *df, enum diff_side side, const char *path)
{
	const char *name = display_name(path);
	char *data = NULL;
	size_t len;
	int err = fs_read_file(path, &data, &len);

	if (err) {
		cli_error("cannot read %s: %s", name, strerror(-err));
		return EXIT_USAGE;
	}
	err = diff_folded__add(df, side, data, len, name);
	free(data);
	if (err) {
		cli_error("%s: %s", name, strerror(-err));
		return EXIT_FAILURE_RUNTIME;
	}
	return EXIT_OK;
}

static int write_diff(FILE *out, const void *df)
{
	return diff_folded__write(df, out);
}

int cmd_diff(int argc, char **argv)
{
	struct diff_folded_options opts = {0};
	const char *output = NULL;
	struct diff_folded *df;
	int ret;

	ret = parse_args(argc, argv, &opts, &output);
	if (ret) {
		if (ret > 0)
			fputs(usage_text, stdout);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	df = diff_folded__new(&opts);
	ret = add_file(df, DIFF_BEFORE, argv[optind]);
	if (!ret)
		ret = add_file(df, DIFF_AFTER, argv[optind + 1]);
	if (!ret)
		ret = cli_write_output(output, NULL, write_diff, df);
	diff_folded__free(df);
	return ret;
}
