/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RENDER_OPTIONS_H
#define FLAMESAMP_CLI_RENDER_OPTIONS_H

/*
 * Flame graph options (flamegraph.pl's names) shared by every command that
 * draws an SVG: `flamesamp render` and the recorder.  A command appends
 * render_long_options to its own getopt table and passes the values it does
 * not know to render_args__handle().  The options use only long-option values
 * (>= 256), so they never clash with a command's short options; `render`
 * maps its -i and -c to RENDER_OPT_INVERTED and RENDER_OPT_COLORS.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/output_file.h"
#include "render/flamegraph.h"
#include "render/folded.h"

enum {
	RENDER_OPT_FIRST = 256,
	RENDER_OPT_LAST = 511, /* the range render_long_options uses */
};
/* values for -i and -c in `flamesamp render` */
#define RENDER_OPT_INVERTED (RENDER_OPT_FIRST + 1)
#define RENDER_OPT_COLORS   (RENDER_OPT_FIRST + 2)

/* NULL-terminated. */
extern const struct option render_long_options[];
#define RENDER_LONG_OPTIONS_MAX 64

struct render_args {
	struct flamegraph_options fg;
	const char *palfile; /* non-NULL: consistent palette */
	bool hash, deterministic;
	/* --colors, --countname: a recorder's mode does not pick them then */
	bool palette_given, count_name_given;
};

void render_args__init(struct render_args *a);
/* Apply option @c (a value from render_long_options); 0, or -1 after printing the problem. */
int render_args__handle(struct render_args *a, int c, const char *arg);
/* Check combinations once every option is in; 0 or EXIT_USAGE after printing. */
int render_args__finish(struct render_args *a);

/*
 * Draw @profile into @of (opened by the caller, consumed here: committed or
 * aborted), then save the palette map when one is in use.  Prints problems;
 * returns an exit code.
 */
int render_args__write_svg(struct render_args *a, const struct folded_profile *profile,
			   struct output_file *of, const char *out_name);

/* The option lines of the help text. */
void render_options__usage(FILE *out);

#endif
