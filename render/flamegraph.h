/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_RENDER_FLAMEGRAPH_H
#define FLAMESAMP_RENDER_FLAMEGRAPH_H

/*
 * Interactive SVG flame graphs from a folded_profile, laid out exactly as
 * FlameGraph's flamegraph.pl lays them out:
 *
 *  - stacks are ordered as Perl's sort orders the folded lines (bytewise on
 *    the whole line), or kept in input order for a flame chart;
 *  - consecutive stacks are merged into frames by their common prefix, so a
 *    frame spans [start, end) in weight and the root ("all") spans the total;
 *  - frames narrower than min_width are not drawn (their children are
 *    narrower still), and the image is as tall as the rows actually drawn.
 *
 * The SVG follows the structure agreed with render/flamegraph.js
 * (svg-contract: fs_config, fs:x / fs:w on every frame rect, ids of the
 * controls).  Every name is sanitised and escaped: the output is well-formed
 * XML for any input bytes.
 *
 * Library code: nothing is printed; problems come back as -errno and counts in
 * struct flamegraph_stats.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "render/folded.h"
#include "render/palette.h"

enum flamegraph_color_source {
	FLAMEGRAPH_COLOR_RANDOM, /* fresh random numbers per frame (flamegraph.pl --random) */
	FLAMEGRAPH_COLOR_HASH,	 /* flamegraph.pl --hash: from the name, weighting its start */
	FLAMEGRAPH_COLOR_DETERMINISTIC, /* inferno --deterministic: from a hash of the whole name */
};

/*
 * Every setting of a flame graph.  flamegraph_options__init() is the one
 * place where defaults are defined; callers (the CLI, the recorder) start
 * from it and change what they need.  Strings are borrowed: they must stay
 * valid until flamegraph__write() returns.
 */
struct flamegraph_options {
	/* texts */
	const char *title;	/* NULL or "": "Flame Graph", "Icicle Graph" or "Flame Chart" */
	const char *subtitle;	/* NULL or "": no subtitle */
	const char *notes;	/* NULL: none; written into an XML comment */
	const char *count_name; /* "samples" */
	const char *name_type;	/* "Function:" */
	const char *font_type;	/* "Verdana" */
	/*
	 * NULL (or "UTF-8"): names are UTF-8, invalid bytes are replaced.
	 * Anything else is declared in the XML declaration and name bytes
	 * >= 0x80 are passed through unchanged, as flamegraph.pl --encoding.
	 */
	const char *encoding;

	/* geometry, in pixels */
	unsigned image_width;	/* 1200, at least 21 (10 px padding each side) */
	unsigned frame_height;	/* 16 */
	double font_size;	/* 12 */
	double font_width;	/* 0.59: average character width relative to font_size */
	double min_width;	/* 0.1: frames narrower than this are not drawn */
	bool min_width_percent; /* min_width is a percentage of the total instead */

	/* layout */
	bool reverse;	 /* reverse every stack (leaf first) before merging */
	bool inverted;	 /* icicle graph: root at the top */
	bool flamechart; /* input order instead of sorted (needs FOLDED_KEEP_ORDER) */
	double factor;	 /* 1: displayed counts are weight * factor */
	double total;	 /* 0: sum of weights; a larger value widens the root (--total) */

	/* colours */
	enum fs_palette palette;		   /* FS_PALETTE_HOT */
	enum flamegraph_color_source color_source; /* FLAMEGRAPH_COLOR_RANDOM */
	uint64_t seed;				   /* random colours: 0 picks one from the clock */
	enum fs_background background;		   /* FS_BACKGROUND_DEFAULT: from the palette */
	struct fs_rgb background_flat;		   /* with FS_BACKGROUND_FLAT */
	struct fs_rgb search_color;		   /* rgb(230,0,230) */
	bool negate;				   /* differential: swap red and blue */
	/*
	 * Consistent palette (--cp): when set, a frame whose name is in the
	 * map gets that colour, and every other name's new colour is added to
	 * the map (which the caller then saves).  Borrowed; NULL: not used.
	 */
	struct palette_map *palette_map;
};

void flamegraph_options__init(struct flamegraph_options *o);
/*
 * 0 if @o can be drawn, -EINVAL if not: width under 21 px or over 10^6,
 * frame height 0 or over 10^5, font size or width not positive, negative
 * min_width or total, factor 0 or not finite, a NULL text, an encoding name
 * that XML does not allow.
 */
int flamegraph_options__check(const struct flamegraph_options *o);

struct flamegraph_stats {
	size_t frames;	   /* frames drawn */
	size_t pruned;	   /* frames left out for being narrower than min_width */
	unsigned depth;	   /* rows drawn */
	double total;	   /* weight of the whole graph (root width) */
	double max_delta;  /* differential: largest |delta| (at least 1) */
	bool differential; /* drawn as a differential graph */
	bool empty;	   /* no samples: the "no valid input" image was written */
};

/*
 * Write the flame graph of @p to @out.  A profile without samples gives a
 * small valid SVG that says so (stats->empty).  @stats may be NULL.
 * Returns 0, -EINVAL for unusable options (flamechart without
 * FOLDED_KEEP_ORDER, width under 21, non-positive font size), or -errno of a
 * write error (the caller discards the output).
 */
int flamegraph__write(const struct folded_profile *p, const struct flamegraph_options *o, FILE *out,
		      struct flamegraph_stats *stats);

#endif
