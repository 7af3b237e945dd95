// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE /* qsort_r */
#include "render/flamegraph.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/number.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "render/svg_writer.h"

/* Provided by render/flamegraph_script.S: render/flamegraph.js, NUL-terminated. */
extern const char fs_flamegraph_script[];

#define XPAD	  10 /* left and right padding */
#define FRAMEPAD  1  /* vertical gap between rows */
#define LABEL_PAD 6  /* text starts 3 px into the frame and keeps 3 px clear at the end */

/* The root frame ("all") has no name in the profile. */
#define ROOT_NAME UINT32_MAX

#define MAX_STORED_FRAMES (1u << 20)

void flamegraph_options__init(struct flamegraph_options *o)
{
	*o = (struct flamegraph_options){
		.title = NULL,
		.subtitle = NULL,
		.notes = NULL,
		.count_name = "samples",
		.name_type = "Function:",
		.font_type = "Verdana",
		.encoding = NULL,
		.image_width = 1200,
		.frame_height = 16,
		.font_size = 12,
		.font_width = 0.59,
		.min_width = 0.1,
		.min_width_percent = false,
		.reverse = false,
		.inverted = false,
		.flamechart = false,
		.factor = 1,
		.total = 0,
		.palette = FS_PALETTE_HOT,
		.color_source = FLAMEGRAPH_COLOR_RANDOM,
		.seed = 0,
		.background = FS_BACKGROUND_DEFAULT,
		.background_flat = {0, 0, 0},
		.search_color = {230, 0, 230},
		.negate = false,
		.palette_map = NULL,
	};
}

/* A stack in drawing order. */
struct entry {
	const uint32_t *frames;
	uint32_t n;
	uint32_t index; /* position before sorting: makes the order total */
	char sep;
	bool has_delta;
	double weight;
	double delta;
};

/* A frame whose extent is known: [start, end) in weight. */
struct frame {
	uint32_t name;
	unsigned depth;
	double start, end;
	double delta;
	bool has_delta;
};

struct open_frame {
	uint32_t name;
	bool has_delta;
	double start;
	double delta;
};

/* Display form of a frame name, computed the first time it is drawn. */
struct name_text {
	uint32_t esc_off, esc_len; /* escaped, annotation stripped: titles and whole labels */
	uint32_t san_off, san_len; /* sanitised, unescaped: cutting labels */
	uint32_t chars;		   /* characters in the sanitised form */
	bool ready;
};

struct render {
	const struct folded_profile *p;
	const struct flamegraph_options *o;
	struct svg_writer *w;
	bool utf8;

	struct entry *entries;
	size_t nentries;
	uint32_t *reversed; /* frames of reversed stacks */
	uint32_t max_frames;
	struct open_frame *open;

	double time;	   /* sum of the weights */
	double total;	   /* width of the graph: time, or a larger --total */
	double min_weight; /* frames narrower than this are pruned */
	double max_delta;
	bool differential;

	/* geometry */
	double width_per_weight;
	double image_height;
	double ypad1, ypad2, ypad3;
	unsigned depth_max;
	size_t kept, pruned;
	/*
	 * Visible frames found by the first pass, drawn without merging again.
	 * Past MAX_STORED_FRAMES (a huge --minwidth 0 graph) they are dropped
	 * and the second pass merges the stacks again, so memory stays bounded.
	 */
	struct frame *visible;
	size_t nvisible, visible_cap;
	bool visible_overflow;

	/* per-name caches, indexed by name id (the root uses the last slot) */
	struct name_text *names;
	struct strbuf name_store;
	struct fs_rgb *colors;
	uint8_t *color_known;
	struct fs_color_rng rng;
	struct strbuf tmp, tmp2;
};

/* --- ordering: Perl's sort over the whole folded lines --- */

struct sort_ctx {
	const struct folded_profile *p;
	/*
	 * Per name id: its position in bytewise order of all names, shifted left
	 * once, with bit 0 set when the name is a prefix of another name.  Two
	 * different names compare by position unless the smaller one is such a
	 * prefix, where the byte after it in the line decides.
	 */
	uint32_t *rank;
	struct strbuf a, b;
};

static int compare_name_ids(const void *va, const void *vb, void *vctx)
{
	const struct folded_profile *p = vctx;
	size_t la, lb;
	const char *sa = folded_profile__name(p, *(const uint32_t *)va, &la);
	const char *sb = folded_profile__name(p, *(const uint32_t *)vb, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return (c > 0) - (c < 0);
	return (la > lb) - (la < lb);
}

/*
 * Rank the names.  A name that is a prefix of some other name is a prefix of
 * the name right after it in sorted order (everything between the two starts
 * with it), so one comparison with the successor finds them all.
 */
static uint32_t *rank_names(const struct folded_profile *p)
{
	size_t n = folded_profile__name_count(p), i;
	uint32_t *order = xreallocarray(NULL, n ? n : 1, sizeof(*order));
	uint32_t *rank = xreallocarray(NULL, n ? n : 1, sizeof(*rank));

	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), compare_name_ids, (void *)p);
	for (i = 0; i < n; i++) {
		size_t la = 0, lb = 0;
		const char *a = folded_profile__name(p, order[i], &la), *b = NULL;
		bool prefix = false;

		if (i + 1 < n) {
			b = folded_profile__name(p, order[i + 1], &lb);
			prefix = la < lb && !memcmp(a, b, la);
		}
		rank[order[i]] = (uint32_t)(i << 1) | prefix;
	}
	free(order);
	return rank;
}

/* The folded line flamegraph.pl would have sorted for @e ("a;b;c COUNT [COUNT2]"). */
static void virtual_line(const struct folded_profile *p, const struct entry *e, struct strbuf *sb)
{
	char num[FS_COUNT_BUFSIZE];
	uint32_t i;

	strbuf_reset(sb);
	for (i = 0; i < e->n; i++) {
		size_t len;
		const char *s = folded_profile__name(p, e->frames[i], &len);

		if (i)
			strbuf_addch(sb, ';');
		strbuf_add(sb, s, len);
	}
	strbuf_addch(sb, e->sep);
	if (e->has_delta) {
		strbuf_add(sb, num, fs_format_count(e->weight - e->delta, num, sizeof(num)));
		strbuf_addch(sb, ' ');
	}
	strbuf_add(sb, num, fs_format_count(e->weight, num, sizeof(num)));
}

/*
 * The rare case the frame-wise comparison cannot settle: a name that
 * continues with the byte that ends the other stack's name (the count
 * separator, or ';').  Compare the lines themselves.
 */
static int compare_lines(struct sort_ctx *ctx, const struct entry *a, const struct entry *b)
{
	size_t n;
	int c;

	virtual_line(ctx->p, a, &ctx->a);
	virtual_line(ctx->p, b, &ctx->b);
	n = ctx->a.len < ctx->b.len ? ctx->a.len : ctx->b.len;
	c = memcmp(ctx->a.buf, ctx->b.buf, n);
	if (c)
		return (c > 0) - (c < 0);
	if (ctx->a.len != ctx->b.len)
		return (ctx->a.len > ctx->b.len) - (ctx->a.len < ctx->b.len);
	return (a->index > b->index) - (a->index < b->index);
}

/* Byte of @e's line right after its frame @i's name. */
static inline unsigned char byte_after(const struct entry *e, uint32_t i)
{
	return i + 1 < e->n ? ';' : (unsigned char)e->sep;
}

static int compare_entries(const void *va, const void *vb, void *vctx)
{
	const struct entry *a = va, *b = vb;
	struct sort_ctx *ctx = vctx;
	uint32_t n = a->n < b->n ? a->n : b->n, i;

	for (i = 0; i < n; i++) {
		size_t la, lb, m;
		const char *sa, *sb;
		unsigned char ca, cb;
		uint32_t ra, rb;
		int c;

		if (a->frames[i] == b->frames[i])
			continue;
		ra = ctx->rank[a->frames[i]];
		rb = ctx->rank[b->frames[i]];
		if (!((ra < rb ? ra : rb) & 1))
			return (ra > rb) - (ra < rb);
		sa = folded_profile__name(ctx->p, a->frames[i], &la);
		sb = folded_profile__name(ctx->p, b->frames[i], &lb);
		m = la < lb ? la : lb;
		c = memcmp(sa, sb, m);
		if (c)
			return (c > 0) - (c < 0);
		/* one name is a prefix of the other: the shorter line goes on with ';' or its
		 * separator */
		ca = la > m ? (unsigned char)sa[m] : byte_after(a, i);
		cb = lb > m ? (unsigned char)sb[m] : byte_after(b, i);
		if (ca != cb)
			return (ca > cb) - (ca < cb);
		return compare_lines(ctx, a, b);
	}
	if (a->n == b->n)
		return (a->index > b->index) - (a->index < b->index);
	/*
	 * One stack is a prefix of the other: after the common frames the short
	 * line has its separator (whitespace) and the long one ';', which sorts
	 * after any whitespace.  With no common frame at all, compare the lines.
	 */
	if (!n)
		return compare_lines(ctx, a, b);
	return a->n < b->n ? -1 : 1;
}

/* --- building the entries --- */

static void add_entry(struct render *r, const struct folded_stack *s, uint32_t index,
		      uint32_t **rev_pos, int64_t empty_id)
{
	struct entry *e = &r->entries[r->nentries++];

	*e = (struct entry){
		.frames = s->frames,
		.n = s->nframes,
		.index = index,
		.sep = s->sep,
		.has_delta = s->has_delta,
		.weight = s->weight,
		.delta = s->has_delta ? s->delta : 0,
	};
	if (r->o->reverse) {
		uint32_t *dst = *rev_pos, i, n = s->nframes;

		for (i = 0; i < n; i++)
			dst[i] = s->frames[n - 1 - i];
		/* Perl re-splits the reversed line, dropping trailing empty frames */
		while (n && (int64_t)dst[n - 1] == empty_id)
			n--;
		e->frames = dst;
		e->n = n;
		e->sep = ' ';
		*rev_pos += s->nframes;
	}
	if (e->n > r->max_frames)
		r->max_frames = e->n;
	r->time += e->weight;
	if (e->has_delta) {
		r->differential = true;
		if (fabs(e->delta) > r->max_delta)
			r->max_delta = fabs(e->delta);
	}
}

static void build_entries(struct render *r)
{
	const struct folded_profile *p = r->p;
	bool chart = r->o->flamechart;
	size_t n = chart ? folded_profile__sequence_len(p) : folded_profile__stack_count(p), i;
	int64_t empty_id = folded_profile__find_name(p, "", 0);
	struct folded_stack s;
	uint32_t *rev_pos = NULL;

	r->entries = xreallocarray(NULL, n ? n : 1, sizeof(*r->entries));
	r->max_delta = 1; /* as flamegraph.pl: small deltas stay pale */
	if (r->o->reverse) {
		size_t frames = 0;

		for (i = 0; i < n; i++) {
			if (chart)
				folded_profile__sequence(p, i, &s);
			else
				folded_profile__stack(p, i, &s);
			frames += s.nframes;
		}
		r->reversed = xreallocarray(NULL, frames ? frames : 1, sizeof(*r->reversed));
		rev_pos = r->reversed;
	}
	for (i = 0; i < n; i++) {
		if (chart)
			folded_profile__sequence(p, i, &s);
		else
			folded_profile__stack(p, i, &s);
		add_entry(r, &s, (uint32_t)i, &rev_pos, empty_id);
	}
	if (!chart) {
		struct sort_ctx ctx = {
			.p = p, .rank = rank_names(p), .a = STRBUF_INIT, .b = STRBUF_INIT};

		qsort_r(r->entries, r->nentries, sizeof(*r->entries), compare_entries, &ctx);
		free(ctx.rank);
		strbuf_release(&ctx.a);
		strbuf_release(&ctx.b);
	}
}

/* --- merging stacks into frames --- */

typedef void (*frame_fn)(struct render *r, const struct frame *f);

static inline void close_frames(struct render *r, unsigned from, unsigned to, double time,
				frame_fn fn)
{
	unsigned d;

	for (d = from; d-- > to;) {
		struct frame f = {
			.name = r->open[d].name,
			.depth = d,
			.start = r->open[d].start,
			.end = time,
			.delta = r->open[d].delta,
			.has_delta = r->open[d].has_delta,
		};

		fn(r, &f);
	}
}

/*
 * flamegraph.pl's flow(): walk the stacks in order; a frame stays open while
 * consecutive stacks share the path to it, and is reported (children before
 * parents) once a stack leaves that path.  A frame's delta is its own stack's
 * (the leaf of a differential stack), as in flamegraph.pl.
 */
static void flow(struct render *r, frame_fn fn)
{
	struct open_frame *open = r->open;
	unsigned open_len = 0;
	double time = 0;
	size_t i;

	for (i = 0; i < r->nentries; i++) {
		const struct entry *e = &r->entries[i];
		unsigned len = e->n + 1, common = 0, d;

		if (open_len) {
			common = 1; /* the root */
			while (common < open_len && common < len &&
			       open[common].name == e->frames[common - 1])
				common++;
		}
		close_frames(r, open_len, common, time, fn);
		for (d = common; d < len; d++) {
			open[d] = (struct open_frame){
				.name = d ? e->frames[d - 1] : ROOT_NAME,
				.start = time,
				.has_delta = e->has_delta,
				.delta = d == len - 1 ? e->delta : 0,
			};
		}
		if (common == len && e->has_delta) {
			/* the same path again (merged runs): its leaf gathers the delta */
			open[len - 1].delta += e->delta;
			open[len - 1].has_delta = true;
		}
		open_len = len;
		time += e->weight;
	}
	close_frames(r, open_len, 0, time, fn);
}

static inline bool visible(const struct render *r, const struct frame *f)
{
	return !(f->end - f->start < r->min_weight);
}

static void measure_frame(struct render *r, const struct frame *f)
{
	if (!visible(r, f)) {
		r->pruned++;
		return;
	}
	r->kept++;
	if (f->depth > r->depth_max)
		r->depth_max = f->depth;
	if (r->visible_overflow)
		return;
	if (r->nvisible == MAX_STORED_FRAMES) {
		r->visible_overflow = true;
		free(r->visible);
		r->visible = NULL;
		return;
	}
	if (r->nvisible == r->visible_cap) {
		r->visible_cap = fs_grow_capacity(r->visible_cap, r->nvisible + 1);
		r->visible = xreallocarray(r->visible, r->visible_cap, sizeof(*r->visible));
	}
	r->visible[r->nvisible++] = *f;
}

/* --- drawing --- */

/*
 * flamegraph.pl strips an annotation suffix (_[k], _[w], _[i], _[j]) from what
 * it shows; so does this, and from flamesamp's own _[o] (off-CPU) too.
 */
static size_t strip_annotation(const char *s, size_t len)
{
	if (len >= 4 && s[len - 4] == '_' && s[len - 3] == '[' && s[len - 1] == ']' &&
	    strchr("kwijo", s[len - 2]) && s[len - 2])
		return len - 4;
	return len;
}

static const struct name_text *name_text(struct render *r, uint32_t id)
{
	size_t slot = id == ROOT_NAME ? folded_profile__name_count(r->p) : id;
	struct name_text *t = &r->names[slot];
	const char *s;
	size_t len;

	if (t->ready)
		return t;
	if (id == ROOT_NAME) {
		s = "all";
		len = 3;
	} else {
		s = folded_profile__name(r->p, id, &len);
		len = strip_annotation(s, len);
	}
	strbuf_reset(&r->tmp);
	t->chars = (uint32_t)fs_xml_sanitize(s, len, r->utf8, &r->tmp);
	t->san_off = (uint32_t)r->name_store.len;
	t->san_len = (uint32_t)r->tmp.len;
	strbuf_add(&r->name_store, r->tmp.buf, r->tmp.len);
	t->esc_off = (uint32_t)r->name_store.len;
	fs_xml_escape(r->tmp.buf, r->tmp.len, &r->name_store);
	t->esc_len = (uint32_t)(r->name_store.len - t->esc_off);
	t->ready = true;
	return t;
}

static struct fs_rgb palette_color(struct render *r, const char *name, size_t len)
{
	const struct flamegraph_options *o = r->o;
	double v[3];

	switch (o->color_source) {
	case FLAMEGRAPH_COLOR_HASH:
		fs_color_hash_values(name, len, v);
		break;
	case FLAMEGRAPH_COLOR_DETERMINISTIC:
		fs_color_deterministic_values(name, len, v);
		break;
	default:
		v[0] = fs_color_rng_next(&r->rng);
		v[1] = fs_color_rng_next(&r->rng);
		v[2] = fs_color_rng_next(&r->rng);
	}
	return fs_palette_color(o->palette, name, len, v);
}

static struct fs_rgb frame_color(struct render *r, const struct frame *f)
{
	const struct flamegraph_options *o = r->o;
	size_t slot = f->name == ROOT_NAME ? folded_profile__name_count(r->p) : f->name;
	const char *name = "";
	size_t len = 0;
	struct fs_rgb c;

	if (f->name != ROOT_NAME)
		name = folded_profile__name(r->p, f->name, &len);
	/* "--" and "-" separate stacks (e.g. user from kernel): grey */
	if (len == 2 && name[0] == '-' && name[1] == '-')
		return (struct fs_rgb){160, 160, 160};
	if (len == 1 && name[0] == '-')
		return (struct fs_rgb){200, 200, 200};
	if (f->has_delta)
		return fs_color_diff(f->delta, r->max_delta, o->negate);
	/* random colours vary per frame unless a palette map pins them per name */
	if (o->color_source == FLAMEGRAPH_COLOR_RANDOM && !o->palette_map)
		return palette_color(r, name, len);
	if (r->color_known[slot])
		return r->colors[slot];
	if (!o->palette_map || !palette_map__get(o->palette_map, name, len, &c)) {
		c = palette_color(r, name, len);
		if (o->palette_map)
			palette_map__set(o->palette_map, name, len, c);
	}
	r->colors[slot] = c;
	r->color_known[slot] = 1;
	return c;
}

static void write_title(struct render *r, const struct frame *f, const struct name_text *t)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	double samples = nearbyint((f->end - f->start) * o->factor);
	double denom = r->total * o->factor;
	char num[FS_COUNT_BUFSIZE + 8];

	svg_writer__raw(w, r->name_store.buf + t->esc_off, t->esc_len);
	svg_writer__str(w, " (");
	svg_writer__raw(w, num, fs_format_count_grouped(samples, num, sizeof(num)));
	svg_writer__ch(w, ' ');
	svg_writer__text(w, o->count_name, strlen(o->count_name));
	if (f->name == ROOT_NAME) {
		svg_writer__str(w, ", 100%)");
		return;
	}
	svg_writer__printf(w, ", %.2f%%", denom ? 100 * samples / denom : 0.0);
	if (f->has_delta) {
		double d = o->negate ? -f->delta : f->delta;

		if (d == 0)
			d = 0; /* no "-0.00" for a negated zero */

		svg_writer__printf(w, "; %s%.2f%%", d > 0 ? "+" : "", 100 * d / r->total);
	}
	svg_writer__ch(w, ')');
}

/* Write @open then the label, if one fits in @width_px: returns whether it did. */
static bool write_label(struct render *r, const struct name_text *t, double width_px,
			const char *open)
{
	double fit = floor((width_px - LABEL_PAD) / (r->o->font_size * r->o->font_width));
	size_t chars, keep;

	if (!(fit >= 3) || !t->chars) /* room for one character and ".." */
		return false;
	svg_writer__str(r->w, open);
	if (fit >= t->chars) {
		svg_writer__raw(r->w, r->name_store.buf + t->esc_off, t->esc_len);
		return true;
	}
	chars = (size_t)fit;
	keep = fs_utf8_prefix_len(r->name_store.buf + t->san_off, t->san_len, chars - 2, r->utf8);
	strbuf_reset(&r->tmp2);
	fs_xml_escape(r->name_store.buf + t->san_off, keep, &r->tmp2);
	svg_writer__raw(r->w, r->tmp2.buf, r->tmp2.len);
	svg_writer__raw(r->w, "..", 2);
	return true;
}

static void draw_frame(struct render *r, const struct frame *f)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	double end = f->depth == 0 ? r->total : f->end; /* the root spans --total too */
	double x1, x2, y1, y2;
	const struct name_text *t;
	struct fs_rgb c;

	if (!visible(r, f))
		return;
	x1 = XPAD + f->start * r->width_per_weight;
	x2 = XPAD + end * r->width_per_weight;
	if (o->inverted) {
		y1 = r->ypad1 + r->ypad3 + f->depth * (double)o->frame_height;
		y2 = y1 + o->frame_height - FRAMEPAD;
	} else {
		y2 = r->image_height - r->ypad2 - f->depth * (double)o->frame_height;
		y1 = y2 - o->frame_height + FRAMEPAD;
	}
	t = name_text(r, f->name);
	c = frame_color(r, f);

	svg_writer__str(w, "<g><title>");
	write_title(r, &(struct frame){f->name, f->depth, f->start, end, f->delta, f->has_delta},
		    t);
	svg_writer__str(w, "</title><rect x=\"");
	svg_writer__fixed2(w, x1);
	svg_writer__str(w, "\" y=\"");
	svg_writer__coord(w, y1);
	svg_writer__str(w, "\" width=\"");
	svg_writer__fixed2(w, x2 - x1);
	svg_writer__str(w, "\" height=\"");
	svg_writer__coord(w, y2 - y1 > 0 ? y2 - y1 : 0);
	svg_writer__printf(w, "\" fill=\"rgb(%u,%u,%u)\" fs:x=\"", c.r, c.g, c.b);
	svg_writer__count(w, f->start);
	svg_writer__str(w, "\" fs:w=\"");
	svg_writer__count(w, end - f->start);
	svg_writer__str(w, "\"/><text x=\"");
	svg_writer__fixed2(w, x1 + 3);
	svg_writer__str(w, "\" y=\"");
	svg_writer__coord(w, 3 + (y1 + y2) / 2);
	/*
	 * Most frames of a large graph are too narrow for a label, and frames
	 * are not separated by newlines: the SVG stays smaller than
	 * flamegraph.pl's even with the fs:x and fs:w attributes.
	 */
	if (!write_label(r, t, x2 - x1, "\">"))
		svg_writer__str(w, "\"/></g>");
	else
		svg_writer__str(w, "</text></g>");
}

static const char *title_text(const struct flamegraph_options *o)
{
	if (o->title && *o->title)
		return o->title;
	if (o->flamechart)
		return "Flame Chart";
	return o->inverted ? "Icicle Graph" : "Flame Graph";
}

static void write_xml_declaration(struct render *r)
{
	svg_writer__str(r->w, "<?xml version=\"1.0\"");
	if (r->o->encoding && *r->o->encoding)
		svg_writer__printf(r->w, " encoding=\"%s\"", r->o->encoding);
	svg_writer__str(r->w, " standalone=\"no\"?>\n");
}

static void write_style(struct render *r)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	char from[8], to[8];

	fs_background_gradient(o->background, o->background_flat, o->palette, from, to);
	svg_writer__printf(w,
			   "<defs><linearGradient id=\"background-gradient\" y1=\"0\" y2=\"1\" "
			   "x1=\"0\" x2=\"0\"><stop stop-color=\"%s\" offset=\"5%%\"/>"
			   "<stop stop-color=\"%s\" offset=\"95%%\"/></linearGradient></defs>\n",
			   from, to);
	svg_writer__str(w, "<style type=\"text/css\">text{font-family:");
	svg_writer__text(w, o->font_type, strlen(o->font_type));
	svg_writer__str(w, ";font-size:");
	svg_writer__coord(w, o->font_size);
	svg_writer__str(w, "px;fill:#000}\n#title{text-anchor:middle;font-size:");
	svg_writer__coord(w, o->font_size + 5);
	svg_writer__str(w,
			"px}\n"
			"#subtitle{text-anchor:middle;fill:#a0a0a0}\n"
			"#search,#ignorecase{opacity:0.1;cursor:pointer}\n"
			"#search:hover,#search.show,#ignorecase:hover,#ignorecase.show{opacity:1}\n"
			"#unzoom{cursor:pointer}\n"
			"#frames > g:hover > rect{stroke:black;stroke-width:0.5;cursor:pointer}\n"
			"#frames rect{rx:2px;ry:2px}\n"
			".hide{display:none}\n"
			".parent{opacity:0.5}</style>\n");
}

static void write_config(struct render *r)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	char color[24];

	svg_writer__str(w, "<script type=\"text/ecmascript\"><![CDATA[var fs_config = {\"width\":");
	svg_writer__printf(w, "%u,\"height\":", o->image_width);
	svg_writer__coord(w, r->image_height);
	svg_writer__printf(w, ",\"xpad\":%d,\"frameheight\":%u,\"fontsize\":", XPAD,
			   o->frame_height);
	svg_writer__count(w, o->font_size);
	svg_writer__str(w, ",\"fontwidth\":");
	svg_writer__count(w, o->font_width);
	svg_writer__printf(w, ",\"inverted\":%s,\"total\":", o->inverted ? "true" : "false");
	svg_writer__count(w, r->total);
	svg_writer__str(w, ",\"countname\":");
	svg_writer__json_string(w, o->count_name, strlen(o->count_name));
	svg_writer__str(w, ",\"nametype\":");
	svg_writer__json_string(w, o->name_type, strlen(o->name_type));
	svg_writer__str(w, ",\"factor\":");
	svg_writer__count(w, o->factor);
	snprintf(color, sizeof(color), "rgb(%u,%u,%u)", o->search_color.r, o->search_color.g,
		 o->search_color.b);
	svg_writer__str(w, ",\"searchcolor\":");
	svg_writer__json_string(w, color, strlen(color));
	svg_writer__printf(w, ",\"differential\":%s};]]></script>\n",
			   r->differential ? "true" : "false");
	svg_writer__str(w, "<script type=\"text/ecmascript\"><![CDATA[\n");
	svg_writer__cdata_body(w, fs_flamegraph_script, strlen(fs_flamegraph_script));
	svg_writer__str(w, "\n]]></script>\n");
}

static void write_control(struct render *r, const char *id, double x, double y, const char *text,
			  const char *extra)
{
	svg_writer__printf(r->w, "<text id=\"%s\" x=\"", id);
	svg_writer__coord(r->w, x);
	svg_writer__str(r->w, "\" y=\"");
	svg_writer__coord(r->w, y);
	svg_writer__printf(r->w, "\"%s>", extra);
	svg_writer__text(r->w, text, strlen(text));
	svg_writer__str(r->w, "</text>\n");
}

static void write_header(struct render *r)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	double width = o->image_width, height = r->image_height;
	double bottom = height - r->ypad2 / 2;
	double mid = floor(width / 2);
	double top = o->font_size * 2;

	write_xml_declaration(r);
	svg_writer__printf(w, "<svg version=\"1.1\" width=\"%u\" height=\"", o->image_width);
	svg_writer__coord(w, height);
	svg_writer__printf(w, "\" onload=\"init(evt)\" viewBox=\"0 0 %u ", o->image_width);
	svg_writer__coord(w, height);
	svg_writer__str(w, "\" xmlns=\"http://www.w3.org/2000/svg\" "
			   "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
			   "xmlns:fs=\"https://flamesamp.dev/svg\">\n");
	if (o->notes && *o->notes) {
		svg_writer__str(w, "<!-- NOTES: ");
		svg_writer__comment_text(w, o->notes, strlen(o->notes));
		svg_writer__str(w, " -->\n");
	}
	write_style(r);
	write_config(r);
	svg_writer__str(w, "<rect id=\"background\" x=\"0\" y=\"0\" width=\"");
	svg_writer__coord(w, width);
	svg_writer__str(w, "\" height=\"");
	svg_writer__coord(w, height);
	svg_writer__str(w, "\" fill=\"url(#background-gradient)\"/>\n");
	write_control(r, "title", mid, top, title_text(o), "");
	if (o->subtitle && *o->subtitle)
		write_control(r, "subtitle", mid, o->font_size * 4, o->subtitle, "");
	write_control(r, "details", XPAD, bottom, " ", "");
	write_control(r, "unzoom", XPAD, top, "Reset Zoom", " class=\"hide\"");
	write_control(r, "search", width - XPAD - 100, top, "Search", "");
	write_control(r, "ignorecase", width - XPAD - 16, top, "ic", "");
	write_control(r, "matched", width - XPAD - 100, bottom, " ", "");
}

/* flamegraph.pl's answer to input without samples, as a valid SVG. */
static void write_empty(struct render *r)
{
	const struct flamegraph_options *o = r->o;
	struct svg_writer *w = r->w;
	double height = o->font_size * 5;

	write_xml_declaration(r);
	svg_writer__printf(w, "<svg version=\"1.1\" width=\"%u\" height=\"", o->image_width);
	svg_writer__coord(w, height);
	svg_writer__printf(w, "\" viewBox=\"0 0 %u ", o->image_width);
	svg_writer__coord(w, height);
	svg_writer__str(w, "\" xmlns=\"http://www.w3.org/2000/svg\">\n<text x=\"");
	svg_writer__coord(w, floor(o->image_width / 2.0));
	svg_writer__str(w, "\" y=\"");
	svg_writer__coord(w, o->font_size * 2);
	svg_writer__str(w, "\" text-anchor=\"middle\" font-family=\"");
	svg_writer__text(w, o->font_type, strlen(o->font_type));
	svg_writer__str(w, "\" font-size=\"");
	svg_writer__coord(w, o->font_size);
	svg_writer__str(w, "\">ERROR: No valid input provided to flamegraph</text>\n</svg>\n");
}

static bool encoding_is_utf8(const char *e)
{
	return !e || !*e || !strcasecmp(e, "utf-8") || !strcasecmp(e, "utf8");
}

/* XML's EncName: [A-Za-z] ([A-Za-z0-9._] | '-')* */
static bool encoding_name_valid(const char *e)
{
	size_t i;

	if (!e || !*e)
		return true;
	if (!((e[0] >= 'a' && e[0] <= 'z') || (e[0] >= 'A' && e[0] <= 'Z')))
		return false;
	for (i = 1; e[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    e[i]))
			return false;
	return i <= 64;
}

int flamegraph_options__check(const struct flamegraph_options *o)
{
	if (o->image_width <= 2 * XPAD || o->image_width > 1000000 || !o->frame_height ||
	    o->frame_height > 100000)
		return -EINVAL;
	if (!(o->font_size > 0) || !(o->font_width > 0) || !isfinite(o->font_size) ||
	    !isfinite(o->font_width) || !(o->min_width >= 0) || !isfinite(o->factor) ||
	    !o->factor || !(o->total >= 0))
		return -EINVAL;
	if (!o->count_name || !o->name_type || !o->font_type || !encoding_name_valid(o->encoding))
		return -EINVAL;
	if ((unsigned)o->palette >= FS_PALETTE_COUNT)
		return -EINVAL;
	return 0;
}

static uint64_t clock_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void render_release(struct render *r)
{
	free(r->entries);
	free(r->reversed);
	free(r->open);
	free(r->visible);
	free(r->names);
	free(r->colors);
	free(r->color_known);
	strbuf_release(&r->name_store);
	strbuf_release(&r->tmp);
	strbuf_release(&r->tmp2);
	svg_writer__free(r->w);
}

int flamegraph__write(const struct folded_profile *p, const struct flamegraph_options *o, FILE *out,
		      struct flamegraph_stats *stats)
{
	struct render r = {.p = p, .o = o};
	size_t nnames = folded_profile__name_count(p) + 1;
	int err;

	err = flamegraph_options__check(o);
	if (err)
		return err;
	if (o->flamechart && folded_profile__stack_count(p) && !folded_profile__sequence_len(p))
		return -EINVAL;
	r.utf8 = encoding_is_utf8(o->encoding);
	r.w = svg_writer__new(out);
	svg_writer__set_utf8(r.w, r.utf8);
	fs_color_rng_seed(&r.rng, o->seed ? o->seed : clock_seed());

	build_entries(&r);
	r.total = o->total > r.time ? o->total : r.time;
	if (!(r.total > 0)) {
		write_empty(&r);
		goto finish;
	}
	r.width_per_weight = (o->image_width - 2.0 * XPAD) / r.total;
	r.min_weight = o->min_width_percent ? r.total * o->min_width / 100
					    : o->min_width / r.width_per_weight;
	r.open = xreallocarray(NULL, (size_t)r.max_frames + 1, sizeof(*r.open));
	flow(&r, measure_frame);

	r.ypad1 = o->font_size * 3;
	r.ypad2 = o->font_size * 2 + 10;
	r.ypad3 = o->subtitle && *o->subtitle ? o->font_size * 2 : 0;
	r.image_height = (r.depth_max + 1.0) * o->frame_height + r.ypad1 + r.ypad2 + r.ypad3;
	r.names = xcalloc(nnames, sizeof(*r.names));
	r.colors = xcalloc(nnames, sizeof(*r.colors));
	r.color_known = xcalloc(nnames, 1);

	write_header(&r);
	svg_writer__str(r.w, "<g id=\"frames\">\n");
	if (r.visible_overflow) {
		flow(&r, draw_frame);
	} else {
		size_t i;

		for (i = 0; i < r.nvisible; i++)
			draw_frame(&r, &r.visible[i]);
	}
	svg_writer__str(r.w, "\n</g>\n</svg>\n");
finish:
	err = svg_writer__finish(r.w);
	if (stats) {
		*stats = (struct flamegraph_stats){
			.frames = r.kept,
			.pruned = r.pruned,
			.depth = r.kept ? r.depth_max + 1 : 0,
			.total = r.total,
			.max_delta = r.max_delta,
			.differential = r.differential,
			.empty = !(r.total > 0),
		};
	}
	render_release(&r);
	return err;
}
