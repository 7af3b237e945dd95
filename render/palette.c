// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE /* memmem */
#include "render/palette.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "common/line_reader.h"
#include "common/strtab.h"
#include "common/xalloc.h"

static const char *const palette_names[FS_PALETTE_COUNT] = {
	[FS_PALETTE_HOT] = "hot",	[FS_PALETTE_MEM] = "mem",
	[FS_PALETTE_IO] = "io",		[FS_PALETTE_RED] = "red",
	[FS_PALETTE_GREEN] = "green",	[FS_PALETTE_BLUE] = "blue",
	[FS_PALETTE_AQUA] = "aqua",	[FS_PALETTE_YELLOW] = "yellow",
	[FS_PALETTE_PURPLE] = "purple", [FS_PALETTE_ORANGE] = "orange",
	[FS_PALETTE_WAKEUP] = "wakeup", [FS_PALETTE_CHAIN] = "chain",
	[FS_PALETTE_JAVA] = "java",	[FS_PALETTE_JS] = "js",
	[FS_PALETTE_PERL] = "perl",	[FS_PALETTE_PYTHON] = "python",
	[FS_PALETTE_RUST] = "rust",	[FS_PALETTE_HOTCOLD] = "hotcold",
};

int fs_palette_parse(const char *name, enum fs_palette *out)
{
	int i;

	for (i = 0; i < FS_PALETTE_COUNT; i++) {
		if (!strcmp(name, palette_names[i])) {
			*out = (enum fs_palette)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fs_palette_name(enum fs_palette p)
{
	return (unsigned)p < FS_PALETTE_COUNT ? palette_names[p] : "?";
}

/* Small string predicates over (pointer, length) names, which may hold NUL bytes. */
static bool has(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* flamegraph.pl's m:^L?(java|javax|jdk|net|org|com|io|sun)/: */
static bool java_package(const char *s, size_t len)
{
	static const char *const pkgs[] = {"java/", "javax/", "jdk/", "net/",
					   "org/",  "com/",   "io/",  "sun/"};
	size_t i;

	if (len && s[0] == 'L' && java_package(s + 1, len - 1))
		return true;
	for (i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
		if (starts(s, len, pkgs[i]))
			return true;
	return false;
}

static enum fs_palette resolve_java(const char *s, size_t len)
{
	if (ends(s, len, "_[j]"))
		return FS_PALETTE_GREEN;
	if (ends(s, len, "_[i]"))
		return FS_PALETTE_AQUA;
	if (java_package(s, len) || has(s, len, ":::"))
		return FS_PALETTE_GREEN;
	if (has(s, len, "::"))
		return FS_PALETTE_YELLOW;
	if (ends(s, len, "_[k]"))
		return FS_PALETTE_ORANGE;
	return FS_PALETTE_RED;
}

static enum fs_palette resolve_js(const char *s, size_t len)
{
	const char *slash;

	if (ends(s, len, "_[j]"))
		return memchr(s, '/', len) ? FS_PALETTE_GREEN : FS_PALETTE_AQUA;
	if (has(s, len, "::"))
		return FS_PALETTE_YELLOW;
	/* a path: a '/' with ".js" somewhere after it */
	slash = memchr(s, '/', len);
	if (slash && has(slash + 1, len - (slash + 1 - s), ".js"))
		return FS_PALETTE_GREEN;
	if (memchr(s, ':', len))
		return FS_PALETTE_AQUA;
	if (len == 1 && s[0] == ' ') /* missing symbol */
		return FS_PALETTE_GREEN;
	if (has(s, len, "_[k]"))
		return FS_PALETTE_ORANGE;
	return FS_PALETTE_RED;
}

static enum fs_palette resolve_perl(const char *s, size_t len)
{
	if (has(s, len, "::"))
		return FS_PALETTE_YELLOW;
	if (has(s, len, "Perl") || has(s, len, ".pl"))
		return FS_PALETTE_GREEN;
	if (ends(s, len, "_[k]"))
		return FS_PALETTE_ORANGE;
	return FS_PALETTE_RED;
}

/* A path component "python", "Python", "python3.11", ...: the interpreter's own library. */
static bool python_dir(const char *s, size_t len)
{
	size_t i;

	if (len < 6 || (memcmp(s, "python", 6) && memcmp(s, "Python", 6)))
		return false;
	for (i = 6; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return false;
	return true;
}

static enum fs_palette resolve_python(const char *s, size_t len)
{
	size_t start = 0, i;
	bool stdlib = false;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '/' && s[i] != '\\')
			continue;
		if (i - start == 13 && !memcmp(s + start, "site-packages", 13))
			return FS_PALETTE_AQUA;
		if (python_dir(s + start, i - start))
			stdlib = true;
		start = i + 1;
	}
	if (stdlib || starts(s, len, "<built-in") || starts(s, len, "<method") ||
	    starts(s, len, "<frozen"))
		return FS_PALETTE_YELLOW;
	return FS_PALETTE_RED;
}

static enum fs_palette resolve_rust(const char *s, size_t len)
{
	const char *tick = memchr(s, '`', len);

	if (ends(s, len, "_[k]"))
		return FS_PALETTE_ORANGE;
	if (tick) { /* "module`function": judge the function */
		len -= tick + 1 - s;
		s = tick + 1;
	}
	if (starts(s, len, "core::") || starts(s, len, "std::") || starts(s, len, "alloc::") ||
	    (starts(s, len, "<core::") &&
	     !starts(s, len, "<core::future::from_generator::GenFuture<T>")) ||
	    starts(s, len, "<std::") || starts(s, len, "<alloc::"))
		return FS_PALETTE_ORANGE;
	if (has(s, len, "::"))
		return FS_PALETTE_AQUA;
	return FS_PALETTE_YELLOW;
}

enum fs_palette fs_palette_resolve(enum fs_palette p, const char *name, size_t len)
{
	switch (p) {
	case FS_PALETTE_WAKEUP:
		return FS_PALETTE_AQUA;
	case FS_PALETTE_CHAIN:
		return has(name, len, "_[w]") ? FS_PALETTE_AQUA : FS_PALETTE_BLUE;
	case FS_PALETTE_JAVA:
		return resolve_java(name, len);
	case FS_PALETTE_JS:
		return resolve_js(name, len);
	case FS_PALETTE_PERL:
		return resolve_perl(name, len);
	case FS_PALETTE_PYTHON:
		return resolve_python(name, len);
	case FS_PALETTE_RUST:
		return resolve_rust(name, len);
	case FS_PALETTE_HOTCOLD:
		return ends(name, len, "_[o]") ? FS_PALETTE_BLUE : FS_PALETTE_HOT;
	default:
		return p;
	}
}

/* base + int(range * v), as the Perl palettes compute each component */
static inline uint8_t comp(int base, int range, double v)
{
	int x = base + (int)(range * v);

	return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
}

struct fs_rgb fs_palette_color(enum fs_palette p, const char *name, size_t len, const double v[3])
{
	double v1 = v[0], v2 = v[1], v3 = v[2];
	struct fs_rgb c = {0, 0, 0};

	switch (fs_palette_resolve(p, name, len)) {
	case FS_PALETTE_HOT:
		c = (struct fs_rgb){comp(205, 50, v3), comp(0, 230, v1), comp(0, 55, v2)};
		break;
	case FS_PALETTE_MEM:
		c = (struct fs_rgb){0, comp(190, 50, v2), comp(0, 210, v1)};
		break;
	case FS_PALETTE_IO:
		c.r = c.g = comp(80, 60, v1);
		c.b = comp(190, 55, v2);
		break;
	case FS_PALETTE_RED:
		c.r = comp(200, 55, v1);
		c.g = c.b = comp(50, 80, v1);
		break;
	case FS_PALETTE_GREEN:
		c.g = comp(200, 55, v1);
		c.r = c.b = comp(50, 60, v1);
		break;
	case FS_PALETTE_BLUE:
		c.b = comp(205, 50, v1);
		c.r = c.g = comp(80, 60, v1);
		break;
	case FS_PALETTE_YELLOW:
		c.r = c.g = comp(175, 55, v1);
		c.b = comp(50, 20, v1);
		break;
	case FS_PALETTE_PURPLE:
		c.r = c.b = comp(190, 65, v1);
		c.g = comp(80, 60, v1);
		break;
	case FS_PALETTE_AQUA:
		c.r = comp(50, 60, v1);
		c.g = c.b = comp(165, 55, v1);
		break;
	case FS_PALETTE_ORANGE:
		c.r = comp(190, 65, v1);
		c.g = comp(90, 65, v1);
		break;
	default:
		break;
	}
	return c;
}

/*
 * Decode @s into code points (Perl reads the input as UTF-8, and its namehash
 * works on characters); a byte that is not valid UTF-8 counts as itself.
 */
static size_t decode_chars(const char *str, size_t len, uint32_t *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		uint32_t cp = k == 4 ? c & 7 : k == 3 ? c & 15 : k == 2 ? c & 31 : c;
		size_t j;

		if (k > 1 && i + k <= len) {
			for (j = 1; j < k && (s[i + j] & 0xc0) == 0x80; j++)
				cp = (cp << 6) | (s[i + j] & 0x3f);
			if (j == k) {
				out[n++] = cp;
				i += k;
				continue;
			}
		}
		out[n++] = c;
		i++;
	}
	return n;
}

/*
 * flamegraph.pl's namehash(): drop a "module`" prefix (any first character,
 * then up to the first backtick), then mix the first three characters, the
 * earlier ones weighing more.  @step is 1 to walk forwards, -1 backwards (the
 * reversed name).
 */
static double namehash(const uint32_t *chars, size_t n, int step)
{
	double vector = 0, weight = 1, max = 1;
	size_t start = 0, i, used;
	int mod = 10;

#define AT(k) chars[step > 0 ? (k) : n - 1 - (k)]
	for (i = 1; i < n; i++) {
		if (AT(i) == '`') {
			start = i + 1;
			break;
		}
	}
	for (i = start, used = 0; i < n && used < 3; i++, used++) {
		int v = (int)(AT(i) % (uint32_t)mod);

		vector += ((double)v / (mod - 1)) * weight;
		mod++;
		max += weight;
		weight *= 0.70;
	}
#undef AT
	return 1 - vector / max;
}

void fs_color_hash_values(const char *name, size_t len, double v[3])
{
	uint32_t small[256] = {0},
		 *chars = len <= 256 ? small : xreallocarray(NULL, len, sizeof(*chars));
	size_t n = decode_chars(name, len, chars);

	v[0] = namehash(chars, n, 1);
	v[1] = v[2] = namehash(chars, n, -1);
	if (chars != small)
		free(chars);
}

void fs_color_deterministic_values(const char *name, size_t len, double v[3])
{
	const uint64_t prime = 0x100000001b3ULL;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= prime;
	}
	for (i = 0; i < 3; i++) {
		v[i] = (double)h / (double)UINT64_MAX;
		h *= prime; /* step on for two more distinct numbers */
	}
}

void fs_color_rng_seed(struct fs_color_rng *rng, uint64_t seed)
{
	/* splitmix64 of the seed: any seed, 0 included, gives a non-zero state */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	rng->state = z ? z : 1;
}

double fs_color_rng_next(struct fs_color_rng *rng)
{
	uint64_t x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

struct fs_rgb fs_color_diff(double delta, double maxdelta, bool negate)
{
	struct fs_rgb c = {255, 255, 255};

	if (negate)
		delta = -delta;
	/* NaN or infinite inputs have no colour scale (and would not convert to int) */
	if (!(maxdelta > 0) || !isfinite(maxdelta) || isnan(delta))
		return c;
	if (delta > maxdelta)
		delta = maxdelta;
	if (delta < -maxdelta)
		delta = -maxdelta;
	if (delta > 0)
		c.g = c.b = (uint8_t)(int)(210 * (maxdelta - delta) / maxdelta);
	else if (delta < 0)
		c.r = c.g = (uint8_t)(int)(210 * (maxdelta + delta) / maxdelta);
	return c;
}

int fs_background_parse(const char *s, enum fs_background *bg, struct fs_rgb *flat)
{
	static const struct {
		const char *name;
		enum fs_background bg;
	} named[] = {
		{"yellow", FS_BACKGROUND_YELLOW},
		{"blue", FS_BACKGROUND_BLUE},
		{"green", FS_BACKGROUND_GREEN},
		{"grey", FS_BACKGROUND_GREY},
	};
	uint8_t rgb[3];
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strcmp(s, named[i].name)) {
			*bg = named[i].bg;
			return 0;
		}
	}
	if (strlen(s) != 7 || s[0] != '#')
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		int hi = fs_hex_digit(s[1 + 2 * i]), lo = fs_hex_digit(s[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		rgb[i] = (uint8_t)(hi * 16 + lo);
	}
	*bg = FS_BACKGROUND_FLAT;
	*flat = (struct fs_rgb){rgb[0], rgb[1], rgb[2]};
	return 0;
}

void fs_background_gradient(enum fs_background bg, struct fs_rgb flat, enum fs_palette palette,
			    char from[8], char to[8])
{
	const char *a = "#eeeeee", *b = "#eeeeb0";

	if (bg == FS_BACKGROUND_DEFAULT) {
		switch (palette) {
		case FS_PALETTE_MEM:
			bg = FS_BACKGROUND_GREEN;
			break;
		case FS_PALETTE_IO:
		case FS_PALETTE_WAKEUP:
		case FS_PALETTE_CHAIN:
			bg = FS_BACKGROUND_BLUE;
			break;
		case FS_PALETTE_RED:
		case FS_PALETTE_GREEN:
		case FS_PALETTE_BLUE:
		case FS_PALETTE_AQUA:
		case FS_PALETTE_YELLOW:
		case FS_PALETTE_PURPLE:
		case FS_PALETTE_ORANGE:
			bg = FS_BACKGROUND_GREY;
			break;
		default:
			bg = FS_BACKGROUND_YELLOW;
		}
	}
	switch (bg) {
	case FS_BACKGROUND_BLUE:
		b = "#e0e0ff";
		break;
	case FS_BACKGROUND_GREEN:
		a = "#eef2ee";
		b = "#e0ffe0";
		break;
	case FS_BACKGROUND_GREY:
		a = "#f8f8f8";
		b = "#e8e8e8";
		break;
	case FS_BACKGROUND_FLAT:
		snprintf(from, 8, "#%02x%02x%02x", flat.r, flat.g, flat.b);
		memcpy(to, from, 8);
		return;
	default:
		break;
	}
	memcpy(from, a, 8);
	memcpy(to, b, 8);
}

/* Palette map: names interned in a strtab, colours indexed by the name's id. */
struct palette_map {
	struct strtab *names;
	struct fs_rgb *colors;
	size_t cap;
};

struct palette_map *palette_map__new(void)
{
	struct palette_map *m = xcalloc(1, sizeof(*m));

	m->names = strtab__new();
	return m;
}

void palette_map__free(struct palette_map *m)
{
	if (!m)
		return;
	strtab__free(m->names);
	free(m->colors);
	free(m);
}

bool palette_map__get(const struct palette_map *m, const char *name, size_t len, struct fs_rgb *out)
{
	int64_t id = strtab__find(m->names, name, len);

	if (id < 0)
		return false;
	*out = m->colors[id];
	return true;
}

void palette_map__set(struct palette_map *m, const char *name, size_t len, struct fs_rgb c)
{
	uint32_t id = strtab__intern(m->names, name, len);

	if (id >= m->cap) {
		m->cap = fs_grow_capacity(m->cap, (size_t)id + 1);
		m->colors = xreallocarray(m->colors, m->cap, sizeof(*m->colors));
	}
	m->colors[id] = c;
}

size_t palette_map__count(const struct palette_map *m)
{
	return strtab__count(m->names);
}

/* A decimal 0..255 with optional surrounding spaces, ending at @end. */
static int parse_component(const char **p, const char *end, char stop, uint8_t *out)
{
	const char *s = *p;
	unsigned v = 0;
	int digits = 0;

	while (s < end && *s == ' ')
		s++;
	while (s < end && *s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(*s++ - '0');
		digits++;
	}
	while (s < end && *s == ' ')
		s++;
	if (!digits || v > 255 || s >= end || *s != stop)
		return -EINVAL;
	*out = (uint8_t)v;
	*p = s + 1;
	return 0;
}

int palette_map__add_line(struct palette_map *m, const char *line, size_t len)
{
	const char *arrow = NULL, *p, *end;
	struct fs_rgb c;
	size_t i;

	if (len && line[len - 1] == '\r')
		len--;
	for (i = len; i >= 2; i--) {
		if (line[i - 2] == '-' && line[i - 1] == '>') {
			arrow = line + i - 2;
			break;
		}
	}
	if (!arrow)
		return -EINVAL;
	p = arrow + 2;
	end = line + len;
	if (end - p < 4 || memcmp(p, "rgb(", 4))
		return -EINVAL;
	p += 4;
	if (parse_component(&p, end, ',', &c.r) || parse_component(&p, end, ',', &c.g) ||
	    parse_component(&p, end, ')', &c.b) || p != end)
		return -EINVAL;
	palette_map__set(m, line, arrow - line, c);
	return 0;
}

int palette_map__read(struct palette_map *m, const char *path, size_t *ignored)
{
	struct line_reader *r = line_reader__open(path);
	size_t bad = 0, len;
	char *line;
	int err;

	if (!r)
		return -errno;
	while ((err = line_reader__next(r, &line, &len)) > 0) {
		if (palette_map__add_line(m, line, len))
			bad++;
	}
	line_reader__free(r);
	if (ignored)
		*ignored = bad;
	return err;
}

static int compare_names(const void *a, const void *b, void *ctx)
{
	const struct strtab *names = ctx;
	size_t la, lb;
	const char *sa = strtab__str(names, *(const uint32_t *)a, &la);
	const char *sb = strtab__str(names, *(const uint32_t *)b, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return (c > 0) - (c < 0);
	return (la > lb) - (la < lb);
}

int palette_map__write(const struct palette_map *m, FILE *out)
{
	size_t n = strtab__count(m->names), i;
	uint32_t *order = xreallocarray(NULL, n ? n : 1, sizeof(*order));

	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), compare_names, m->names);
	errno = 0;
	for (i = 0; i < n; i++) {
		size_t len;
		const char *name = strtab__str(m->names, order[i], &len);
		struct fs_rgb c = m->colors[order[i]];

		if (memchr(name, '\n', len))
			continue; /* cannot be written as one line */
		fwrite(name, 1, len, out);
		fprintf(out, "->rgb(%u,%u,%u)\n", c.r, c.g, c.b);
	}
	free(order);
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
