/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_RENDER_PALETTE_H
#define FLAMESAMP_RENDER_PALETTE_H

/*
 * Frame colours, computed as FlameGraph's flamegraph.pl computes them, and the
 * palette map that keeps them stable across runs (--cp).
 *
 * A colour is a palette applied to up to three numbers in [0, 1] (v1, v2, v3).
 * Where the numbers come from is the caller's choice: random (the default),
 * fs_color_hash_values() (--hash: flamegraph.pl's name hash, which weights the
 * first characters) or fs_color_deterministic_values() (--deterministic: an
 * FNV-1a hash of the whole name, as inferno does).
 *
 * Semantic palettes (java, js, perl, python, rust, wakeup, chain, hotcold)
 * first pick a basic hue from the frame name and its annotation suffix: "_[k]"
 * kernel, "_[j]" JIT, "_[i]" inlined, "_[w]" waker, "_[o]" off-CPU (hot/cold
 * graphs, flamesamp's own).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fs_rgb {
	uint8_t r, g, b;
};

enum fs_palette {
	/* basic palettes */
	FS_PALETTE_HOT,
	FS_PALETTE_MEM,
	FS_PALETTE_IO,
	FS_PALETTE_RED,
	FS_PALETTE_GREEN,
	FS_PALETTE_BLUE,
	FS_PALETTE_AQUA,
	FS_PALETTE_YELLOW,
	FS_PALETTE_PURPLE,
	FS_PALETTE_ORANGE,
	/* semantic palettes: resolve to one of the above per name */
	FS_PALETTE_WAKEUP,
	FS_PALETTE_CHAIN,
	FS_PALETTE_JAVA,
	FS_PALETTE_JS,
	FS_PALETTE_PERL,
	FS_PALETTE_PYTHON,
	FS_PALETTE_RUST,
	FS_PALETTE_HOTCOLD, /* hot, and blue for off-CPU frames ("_[o]") */
	FS_PALETTE_COUNT,
};

/* "hot", "java", ... -> palette: 0, or -EINVAL for an unknown name. */
int fs_palette_parse(const char *name, enum fs_palette *out);
const char *fs_palette_name(enum fs_palette p);
/* The basic palette that @p uses for the frame @name (@p itself if basic). */
enum fs_palette fs_palette_resolve(enum fs_palette p, const char *name, size_t len);
/* Colour of frame @name under palette @p with the numbers @v. */
struct fs_rgb fs_palette_color(enum fs_palette p, const char *name, size_t len, const double v[3]);

/* --hash: flamegraph.pl's namehash() of the name (v1) and of the reversed name (v2, v3). */
void fs_color_hash_values(const char *name, size_t len, double v[3]);
/* --deterministic: numbers from an FNV-1a hash of the name, stable across runs. */
void fs_color_deterministic_values(const char *name, size_t len, double v[3]);

/* A small fast PRNG for the default random colours (xorshift64*). */
struct fs_color_rng {
	uint64_t state;
};
void fs_color_rng_seed(struct fs_color_rng *rng, uint64_t seed);
/* Uniform in [0, 1). */
double fs_color_rng_next(struct fs_color_rng *rng);

/*
 * Differential colour: white for no change, red for growth, blue for
 * shrinkage, saturated in proportion to |delta| / maxdelta (flamegraph.pl's
 * color_scale).  @negate swaps red and blue.  A NaN @delta, or a @maxdelta that
 * is not a positive finite number, gives white.
 */
struct fs_rgb fs_color_diff(double delta, double maxdelta, bool negate);

/* Background: a gradient between two "#rrggbb" colours. */
enum fs_background {
	FS_BACKGROUND_DEFAULT, /* chosen from the palette, as flamegraph.pl does */
	FS_BACKGROUND_YELLOW,
	FS_BACKGROUND_BLUE,
	FS_BACKGROUND_GREEN,
	FS_BACKGROUND_GREY,
	FS_BACKGROUND_FLAT, /* one explicit colour */
};

/* "yellow", "blue", "green", "grey" or "#rrggbb": 0, or -EINVAL. @flat is set for "#rrggbb". */
int fs_background_parse(const char *s, enum fs_background *bg, struct fs_rgb *flat);
/* The gradient's two colours as "#rrggbb" (8 bytes each, NUL included). */
void fs_background_gradient(enum fs_background bg, struct fs_rgb flat, enum fs_palette palette,
			    char from[8], char to[8]);

/*
 * Palette map: frame name -> colour, read from and written to a text file of
 * "NAME->rgb(R,G,B)" lines (flamegraph.pl's palette.map).  Names are any bytes
 * but '\n'; a name may itself contain "->" (C++'s operator->): the colour
 * follows the last one.  Not thread-safe.
 */
struct palette_map;

struct palette_map *palette_map__new(void);
void palette_map__free(struct palette_map *m);

/* true and *out if @name has a colour. */
bool palette_map__get(const struct palette_map *m, const char *name, size_t len,
		      struct fs_rgb *out);
/* Set (or replace) the colour of @name. */
void palette_map__set(struct palette_map *m, const char *name, size_t len, struct fs_rgb c);
size_t palette_map__count(const struct palette_map *m);

/* Parse one line (without '\n'; a trailing '\r' is ignored): 0, or -EINVAL if malformed. */
int palette_map__add_line(struct palette_map *m, const char *line, size_t len);
/*
 * Read a palette map file.  Malformed lines are skipped and counted in
 * *@ignored (may be NULL).  0, or -errno (-ENOENT when @path does not exist:
 * callers that want flamegraph.pl's "start empty" behaviour treat that as 0).
 */
int palette_map__read(struct palette_map *m, const char *path, size_t *ignored);
/* Write every entry sorted bytewise by name.  0, or -errno on a write error. */
int palette_map__write(const struct palette_map *m, FILE *out);

#endif
