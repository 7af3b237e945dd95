// SPDX-License-Identifier: Apache-2.0
/*
 * `perf script` text to folded stacks.
 *
 * The output is byte for byte that of FlameGraph's stackcollapse-perf.pl as of
 * the commit the FlameGraph test suite was generated with (jonhoo/FlameGraph
 * 1a0dc69): one count per sample, Java names tidied only for a process named
 * exactly "java", and the module is the last " (...)" on a frame line whose
 * text up to a ')' has no blank.  The script is a loop of Perl regular
 * expressions; each is turned here into a scan whose result is the one Perl's
 * backtracking picks, including for odd lines (the comments say which match
 * wins).  Perl's \s, \d and \w on byte strings are ASCII only: [\t\n\v\f\r ],
 * [0-9] and [0-9A-Za-z_].
 *
 * Two deliberate differences: a line holding only "\r" ends a sample like an
 * empty line, so CRLF files collapse as their LF twin does (the script never
 * sees a blank line in them and prints nothing); and a stack longer than
 * MAX_SAMPLE_BYTES, which only a hostile input builds, is left out with a
 * warning where the script would grow it until memory runs out.
 *
 * Speed: the input is one buffer in memory, never copied; lines, blanks,
 * words and the bytes that need tidying are found 16 at a time (SSE2, with a
 * plain fallback).  A sample's frames are appended to one reusable buffer and
 * its folded key is assembled once, at the blank line that ends it, then
 * hashed once.  Large inputs are cut at blank lines (where the parser state
 * is empty by construction) and parsed by one thread per CPU, each into its
 * own stack_counts, merged at the end.  The event kept by default (the first
 * one named) is found before the cut, so every part filters alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "collapse/collapse.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* Perl character classes on byte strings */
enum {
	C_SPACE = 1,  /* \s */
	C_DIGIT = 2,  /* \d */
	C_WORD = 4,   /* \w */
	C_XDIGIT = 8, /* [\da-f] */
	C_TIDY = 16   /* bytes that make a name need more than a copy: - ; ( " ' */
};

static const unsigned char char_class[256] = {
	['\t' ... '\r'] = C_SPACE,
	[' '] = C_SPACE,
	['0' ... '9'] = C_DIGIT | C_WORD | C_XDIGIT,
	['a' ... 'f'] = C_WORD | C_XDIGIT,
	['g' ... 'z'] = C_WORD,
	['A' ... 'Z'] = C_WORD,
	['_'] = C_WORD,
	['-'] = C_TIDY,
	[';'] = C_TIDY,
	['('] = C_TIDY,
	['"'] = C_TIDY,
	['\''] = C_TIDY,
};

static inline bool is_space(char c)
{
	return char_class[(unsigned char)c] & C_SPACE;
}

static inline bool is_digit(char c)
{
	return char_class[(unsigned char)c] & C_DIGIT;
}

static inline bool is_word(char c)
{
	return char_class[(unsigned char)c] & C_WORD;
}

static inline bool is_xdigit_lower(char c)
{
	return char_class[(unsigned char)c] & C_XDIGIT;
}

/*
 * Scans over the bytes of a line, 16 at a time where SSE2 is there.  A vector
 * load may read past the end of the line, never past @limit: the end of the
 * whole input buffer (which the importer contract makes readable up to and
 * including data[len]).
 */
enum scan_for {
	SCAN_NONSPACE, /* first byte that is not \s */
	SCAN_NONWORD,  /* first byte that is not \w */
	SCAN_TIDY,     /* first byte of C_TIDY */
};

static inline bool scan_hit(char c, enum scan_for what)
{
	unsigned char k = char_class[(unsigned char)c];

	switch (what) {
	case SCAN_NONSPACE:
		return !(k & C_SPACE);
	case SCAN_NONWORD:
		return !(k & C_WORD);
	case SCAN_TIDY:
		break;
	}
	return k & C_TIDY;
}

#ifdef __SSE2__
/* Bit i set when byte i of @v is Perl \s: ' ' or '\t'..'\r'. */
static inline unsigned int space_mask(__m128i v)
{
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8('\t'));
	__m128i ctrl = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8('\r' - '\t')), t);

	return _mm_movemask_epi8(_mm_or_si128(ctrl, _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
}

static inline unsigned int in_range(__m128i v, char lo, char hi)
{
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8(lo));

	return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(hi - lo)), t));
}

static inline unsigned int hit_mask(__m128i v, enum scan_for what)
{
	switch (what) {
	case SCAN_NONSPACE:
		return ~space_mask(v) & 0xffff;
	case SCAN_NONWORD:
		return ~(in_range(v, '0', '9') | in_range(v, 'a', 'z') | in_range(v, 'A', 'Z') |
			 _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')))) &
		       0xffff;
	case SCAN_TIDY:
		break;
	}
	return _mm_movemask_epi8(
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8(';'))),
			     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('(')),
						       _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8('\'')))));
}
#endif

/* The first byte in [p, end) that @what looks for, or end. */
static inline const char *scan(const char *p, const char *end, const char *limit,
			       enum scan_for what)
{
#ifdef __SSE2__
	while (p < end && limit - p >= 16) {
		unsigned int m = hit_mask(_mm_loadu_si128((const __m128i *)p), what);

		if (m) {
			p += __builtin_ctz(m);
			return p < end ? p : end;
		}
		p += 16;
	}
#endif
	while (p < end && !scan_hit(*p, what))
		p++;
	return p;
}

/* The last \s byte in [start, end), or NULL. */
static inline const char *last_space(const char *start, const char *end)
{
#ifdef __SSE2__
	while (end - start >= 16) {
		unsigned int m = space_mask(_mm_loadu_si128((const __m128i *)(end - 16)));

		if (m)
			return end - 16 + (31 - __builtin_clz(m));
		end -= 16;
	}
#endif
	while (end > start)
		if (is_space(*--end))
			return end;
	return NULL;
}

/*
 * The blank-free run that starts at @p, up to @end: returns where it stops,
 * and in *close its last ')' (NULL if none).
 */
static inline const char *scan_module(const char *p, const char *end, const char *limit,
				      const char **close)
{
	*close = NULL;
#ifdef __SSE2__
	while (p < end && limit - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned int blank = space_mask(v);
		unsigned int paren = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(')')));
		unsigned int stop = 16;

		if (end - p < 16)
			blank |= 1u << (end - p);
		if (blank) {
			stop = __builtin_ctz(blank);
			paren &= (1u << stop) - 1;
		}
		if (paren)
			*close = p + 31 - __builtin_clz(paren);
		if (stop < 16)
			return p + stop;
		p += 16;
	}
#endif
	for (; p < end && !is_space(*p); p++)
		if (*p == ')')
			*close = p;
	return p;
}

static bool bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

#define STR_EQUAL(s, len, lit) bytes_equal(s, len, lit, sizeof(lit) - 1)

/* ---- sample header: "comm PID[/TID] ... EVENT:" ---- */

struct perf_header {
	size_t comm_len; /* the comm is line[0, comm_len) */
	const char *pid, *tid;
	size_t pid_len, tid_len; /* tid is NULL when the line has none */
	const char *event;	 /* NULL when the line names no event */
	size_t event_len;
};

/*
 * The script's header pattern is /^(\S.+?)\s+(\d+)[/]*(\d+)*\s+/: a lazy
 * comm, the pid, any '/'s, an optional tid, a blank.  The comm grows until
 * the rest matches, so it ends at the first blank run (at offset 2 or later)
 * followed by digits, optionally '/'s and more digits, then a blank.
 * Backtracking inside that tail never rescues a failure, so each blank run is
 * tried once and the scan is linear.
 *
 * The event is /(\S+):\s*$/ on the whole line: the last word, when it ends in
 * ':' and has something before the colon ("cycles:u:" names "cycles:u").
 */
static bool perf_header__match(const char *line, size_t len, struct perf_header *h)
{
	size_t p = 2, q, r, s, t, e, ev;

	if (len < 2 || is_space(line[0]))
		return false;
	while (p < len) {
		if (!is_space(line[p])) {
			p++;
			continue;
		}
		for (q = p; q < len && is_space(line[q]); q++)
			;
		for (r = q; r < len && is_digit(line[r]); r++)
			;
		if (r == q) {
			p = q;
			continue;
		}
		h->pid = line + q;
		h->pid_len = r - q;
		h->tid = NULL;
		h->tid_len = 0;
		if (r < len && is_space(line[r]))
			goto found;
		if (r < len && line[r] == '/') {
			for (s = r; s < len && line[s] == '/'; s++)
				;
			if (s < len && is_space(line[s]))
				goto found;
			for (t = s; t < len && is_digit(line[t]); t++)
				;
			if (t > s && t < len && is_space(line[t])) {
				h->tid = line + s;
				h->tid_len = t - s;
				goto found;
			}
			r = t;
		}
		p = r;
	}
	return false;
found:
	h->comm_len = p;
	h->event = NULL;
	h->event_len = 0;
	for (e = len; e > 0 && is_space(line[e - 1]); e--)
		;
	if (e >= 2 && line[e - 1] == ':' && !is_space(line[e - 2])) {
		for (ev = e - 2; ev > 0 && !is_space(line[ev - 1]); ev--)
			;
		h->event = line + ev;
		h->event_len = e - 1 - ev;
	}
	return true;
}

/* ---- frame line: "  ADDR SYMBOL+0xOFF (MODULE)" ---- */

struct perf_frame {
	const char *pc, *func, *mod;
	size_t pc_len, func_len, mod_len;
};

/*
 * The script's frame pattern is /^\s*(\w+)\s*(.+) \((\S*)\)/, unanchored at
 * the end.  The greedy (.+) makes the module the LAST " (" whose following
 * blank-free text holds a ')' (the module runs to the last such ')'), as long
 * as at least two bytes separate it from the address.  The address is the
 * whole word, and the symbol starts after the blanks that follow it, unless
 * the " (" sits right there; then Perl backs off one byte at a time and the
 * symbol is a single byte (see the three cases below).
 */
static bool perf_frame__match(const char *line, size_t len, const char *limit, struct perf_frame *f)
{
	size_t a, bmax, cmax, b, c, d, i, end, lo;
	const char *open, *close = NULL;

	a = scan(line, line + len, limit, SCAN_NONSPACE) - line;
	if (a >= len || !is_word(line[a]))
		return false;
	bmax = scan(line + a, line + len, limit, SCAN_NONWORD) - line;
	/* the " (" at d must leave one byte of address and one of symbol */
	lo = a + 3; /* lowest index of the '(' */
	if (line[len - 1] == ')') {
		/*
		 * The usual line ends with " (MODULE)": when the last blank opens
		 * it, no later '(' can (none follows a blank) and the line's last
		 * byte is the run's last ')'.
		 */
		const char *w = last_space(line + a, line + len);

		if (w && *w == ' ' && w[1] == '(' && (size_t)(w + 1 - line) >= lo) {
			i = w + 1 - line;
			close = line + len - 1;
			goto found;
		}
	}
	end = len;
	for (;;) {
		if (end <= lo)
			return false;
		open = memrchr(line + lo, '(', end - lo);
		if (!open)
			return false;
		i = open - line;
		if (line[i - 1] == ' ') {
			scan_module(line + i + 1, line + len, limit, &close);
			if (close)
				break;
		}
		end = i;
	}
found:
	d = i - 1;
	for (cmax = bmax; cmax < len && is_space(line[cmax]); cmax++)
		;
	if (cmax + 1 <= d) {
		b = bmax; /* the usual line: symbol after the blanks */
		c = cmax;
	} else if (bmax + 1 <= d) {
		b = bmax; /* " (" inside the blanks: the symbol is one blank */
		c = d - 1;
	} else {
		b = d - 1; /* " (" right after the address: its last byte is the symbol */
		c = d - 1;
	}
	f->pc = line + a;
	f->pc_len = b - a;
	f->func = line + c;
	f->func_len = d - c;
	f->mod = line + i + 1;
	f->mod_len = close - f->mod;
	return true;
}

/* ---- parser ---- */

/*
 * A stack longer than this is left out (with a warning): only a hostile input
 * gets there, such as a long line of "[unknown]->" pieces that each become a
 * long module name, which the script would expand until memory runs out.
 */
#define MAX_SAMPLE_BYTES (256u << 20)

struct perf_parser {
	const struct collapse_options *opts;
	struct stack_counts *out;
	const char *limit; /* end of the input buffer: scans may read up to here */
	const char *event; /* the event kept; NULL until one is named or seen */
	size_t event_len;

	bool in_sample; /* a header was accepted and no blank line came since */
	bool pname_is_java;
	bool oversized; /* the open sample outgrew MAX_SAMPLE_BYTES */
	struct strbuf pname;
	struct strbuf frames; /* the sample's frame groups, in input order */
	size_t *group_start;  /* offset in frames of each line's group */
	size_t ngroups, groups_alloc;
	struct strbuf key;

	uint64_t samples;	    /* stacks added */
	uint64_t headers;	    /* sample header lines, filtered or not */
	uint64_t other_lines;	    /* lines that are neither blank nor comments */
	uint64_t unrecognised;	    /* lines the script warns about and skips */
	uint64_t filtered;	    /* samples of another event */
	uint64_t oversized_samples; /* samples left out for MAX_SAMPLE_BYTES */
	const char *other_event;    /* the first such event, for the warning */
	size_t other_event_len;
};

static void perf_parser__init(struct perf_parser *ps, const struct collapse_options *opts,
			      struct stack_counts *out, const char *limit, const char *event,
			      size_t event_len)
{
	memset(ps, 0, sizeof(*ps));
	ps->opts = opts;
	ps->out = out;
	ps->limit = limit;
	ps->event = event;
	ps->event_len = event_len;
	strbuf_grow(&ps->pname, 64);
	strbuf_grow(&ps->frames, 4096);
	strbuf_grow(&ps->key, 4096);
}

static void perf_parser__release(struct perf_parser *ps)
{
	strbuf_release(&ps->pname);
	strbuf_release(&ps->frames);
	strbuf_release(&ps->key);
	free(ps->group_start);
}

static void perf_parser__end_sample(struct perf_parser *ps)
{
	struct strbuf *key = &ps->key;
	size_t g, need, end;
	char *p;

	if (!ps->in_sample)
		return;
	if (ps->oversized) {
		ps->oversized_samples++;
		goto reset;
	}
	/* the script prepends each line's frames: callers come last in the input */
	need = ps->pname.len + ps->frames.len + ps->ngroups;
	strbuf_reset(key);
	strbuf_grow(key, need);
	p = key->buf;
	memcpy(p, ps->pname.buf, ps->pname.len);
	p += ps->pname.len;
	end = ps->frames.len;
	for (g = ps->ngroups; g-- > 0;) {
		size_t start = ps->group_start[g];

		*p++ = ';';
		memcpy(p, ps->frames.buf + start, end - start);
		p += end - start;
		end = start;
	}
	stack_counts__add(ps->out, key->buf, need, 1.0);
	ps->samples++;
reset:
	ps->in_sample = false;
	ps->oversized = false;
	strbuf_reset(&ps->frames);
	ps->ngroups = 0;
}

static void perf_parser__header(struct perf_parser *ps, const char *line,
				const struct perf_header *h)
{
	const struct collapse_options *opts = ps->opts;
	const char *pid = h->pid, *tid = h->tid;
	size_t pid_len = h->pid_len, tid_len = h->tid_len, i;
	struct strbuf *pname = &ps->pname;

	ps->headers++;
	if (h->event) {
		if (!ps->event) {
			ps->event = h->event;
			ps->event_len = h->event_len;
		} else if (!bytes_equal(h->event, h->event_len, ps->event, ps->event_len)) {
			/* dropped; an open sample stays open and takes the frames */
			if (!ps->filtered++) {
				ps->other_event = h->event;
				ps->other_event_len = h->event_len;
			}
			return;
		}
	}
	/* the script swaps in the pid as tid when the tid is missing or "0" */
	if (!tid || STR_EQUAL(tid, tid_len, "0")) {
		tid = pid;
		tid_len = pid_len;
		pid = "?";
		pid_len = 1;
	}
	strbuf_reset(pname);
	strbuf_add(pname, line, h->comm_len);
	if (opts->include_tid || opts->include_pid) {
		strbuf_addch(pname, '-');
		strbuf_add(pname, pid, pid_len);
		if (opts->include_tid) {
			strbuf_addch(pname, '/');
			strbuf_add(pname, tid, tid_len);
		}
	}
	for (i = 0; i < h->comm_len; i++)
		if (pname->buf[i] == ' ')
			pname->buf[i] = '_';
	ps->pname_is_java = STR_EQUAL(pname->buf, pname->len, "java");
	ps->in_sample = true;
}

static bool mod_is_kernel(const struct perf_frame *f)
{
	static const char vmlinux[] = "vmlinux";
	size_t n = sizeof(vmlinux) - 1;

	if (!(f->mod_len && f->mod[0] == '[') &&
	    !(f->mod_len >= n && !memcmp(f->mod + f->mod_len - n, vmlinux, n)))
		return false;
	return !memmem(f->mod, f->mod_len, "unknown", 7);
}

/* m:/tmp/perf-\d+\.map: anywhere in the module */
static bool mod_is_jit(const struct perf_frame *f)
{
	static const char tmp_perf[] = "/tmp/perf-";
	const size_t n = sizeof(tmp_perf) - 1;
	const char *p = f->mod, *end = f->mod + f->mod_len;

	while ((p = memmem(p, end - p, tmp_perf, n))) {
		const char *q = p + n, *digits = q;

		while (q < end && is_digit(*q))
			q++;
		if (q > digits && end - q >= 4 && !memcmp(q, ".map", 4))
			return true;
		p++;
	}
	return false;
}

/*
 * The script's clean-up of a name: ';' becomes ':'; unless the name looks
 * like a Go method ("pkg.(*T).M": a ".(" before a ")."), everything from the
 * first '(' that does not open "(anonymous namespace)" goes; quotes go.
 *
 * tidy_scan() works out, without writing, how long the name stays once cut,
 * and whether the kept part holds ';' or quotes for tidy_fix() to change in
 * the copy.  (Reading the copy just written with vector loads would stall on
 * store forwarding; reading the input does not.)
 */
static size_t tidy_scan(const char *s, size_t len, const char *limit, bool *fix)
{
	static const char anon[] = "anonymous namespace)";
	const size_t anon_len = sizeof(anon) - 1;
	const char *p, *end = s + len, *cut = NULL, *go_open = NULL, *odd = NULL;

	/* one pass over the bytes that matter: - ; ( " ' */
	for (p = s; (p = scan(p, end, limit, SCAN_TIDY)) < end; p++) {
		if (*p == '(') {
			if (!go_open && p > s && p[-1] == '.')
				go_open = p - 1;
			if (!cut &&
			    !((size_t)(end - p - 1) >= anon_len && !memcmp(p + 1, anon, anon_len)))
				cut = p;
		} else if (*p != '-' && !odd) {
			odd = p;
		}
	}
	if (cut && go_open) {
		/* a Go method keeps its parentheses: is there a ")." after the ".("? */
		for (p = end - 1; p > go_open + 2 && !(p[-1] == ')' && p[0] == '.'); p--)
			;
		if (p > go_open + 2)
			cut = NULL;
	}
	if (cut)
		end = cut;
	*fix = odd && odd < end;
	return end - s;
}

/* ';' to ':' and quotes out, in place; the new length. */
static size_t tidy_fix(char *s, size_t len)
{
	char *p, *w, *end = s + len;

	for (p = w = s; p < end; p++) {
		if (*p == '"' || *p == '\'')
			continue;
		*w++ = *p == ';' ? ':' : *p;
	}
	return w - s;
}

/*
 * Room for @n more bytes at the end of @sb, which is written through the
 * returned pointer; the caller then advances sb->len (the NUL terminator is
 * not kept up to date on these buffers).
 */
static inline char *reserve(struct strbuf *sb, size_t n)
{
	if (sb->alloc - sb->len < n + 1)
		strbuf_grow(sb, n);
	return sb->buf + sb->len;
}

/*
 * Append one "->"-separated piece of a frame's symbol, as the script names
 * it; @tidy is false when the piece holds none of the bytes tidy_scan() acts on.
 */
static void perf_parser__add_name(struct perf_parser *ps, const struct perf_frame *f,
				  const char *name, size_t len, size_t index, bool tidy)
{
	const struct collapse_options *opts = ps->opts;
	bool unknown = STR_EQUAL(name, len, "[unknown]"), fix = false;
	size_t room = (unknown ? f->mod_len + f->pc_len + 8 : len) + 4, n;
	const char *mark = NULL;
	char *s, *w;

	/* a pathological stack is left out rather than exhaust memory */
	if (ps->frames.len + room > MAX_SAMPLE_BYTES) {
		ps->oversized = true;
		return;
	}
	s = reserve(&ps->frames, room);
	if (unknown) {
		/* an unknown symbol is named after its module's file name, if known */
		const char *base = "unknown";
		size_t base_len = 7;

		if (!STR_EQUAL(f->mod, f->mod_len, "[unknown]")) {
			const char *slash = memrchr(f->mod, '/', f->mod_len);

			base = slash ? slash + 1 : f->mod;
			base_len = f->mod + f->mod_len - base;
		}
		w = s;
		*w++ = '[';
		memcpy(w, base, base_len);
		w += base_len;
		if (opts->include_addrs) {
			*w++ = ' ';
			*w++ = '<';
			memcpy(w, f->pc, f->pc_len);
			w += f->pc_len;
			*w++ = '>';
		}
		*w++ = ']';
		/* the module name may hold anything */
		n = tidy_scan(s, w - s, w, &fix);
	} else {
		n = tidy ? tidy_scan(name, len, ps->limit, &fix) : len;
		memcpy(s, name, n);
	}
	if (fix)
		n = tidy_fix(s, n);
	/* Java: "Lorg/foo/Bar;.m" lost its ';' above and now loses the 'L' */
	if (ps->pname_is_java && n && s[0] == 'L' && memchr(s, '/', n)) {
		memmove(s, s + 1, n - 1);
		n--;
	}
	w = s + n;
	if (index > 0)
		mark = "_[i]";
	else if (opts->annotate_kernel && mod_is_kernel(f))
		mark = "_[k]";
	else if (opts->annotate_jit && mod_is_jit(f))
		mark = "_[j]";
	if (mark) {
		memcpy(w, mark, 4);
		w += 4;
	}
	ps->frames.len = w - ps->frames.buf;
}

static inline void perf_parser__add_separator(struct perf_parser *ps)
{
	*reserve(&ps->frames, 1) = ';';
	ps->frames.len++;
}

/* Add the frames of a frame line to the open sample; false if it adds none. */
static bool perf_parser__frame(struct perf_parser *ps, const struct perf_frame *f)
{
	const char *s = f->func, *end = f->func + f->func_len, *h, *arrow;
	size_t index = 0, empty = 0, group = ps->frames.len;

	/* a trailing "+0x<lowercase hex>" offset goes */
	for (h = end; h > s && is_xdigit_lower(h[-1]); h--)
		;
	if (h < end && h - s >= 3 && !memcmp(h - 3, "+0x", 3))
		end = h - 3;
	/* "(comm)" frames are skipped, and nothing is left of an empty name */
	if (s == end || s[0] == '(')
		return false;
	/* most names need no tidying: one pass finds out */
	if (scan(s, end, ps->limit, SCAN_TIDY) == end) {
		perf_parser__add_name(ps, f, s, end - s, 0, false);
		index = 1;
		goto group;
	}
	/*
	 * Inlined frames are "outer->inner"; Perl's split drops trailing empty
	 * pieces, so empty pieces are held back until a non-empty one follows.
	 */
	for (;;) {
		const char *piece_end;

		arrow = s;
		while ((arrow = memchr(arrow, '-', end - arrow)) &&
		       (arrow + 1 >= end || arrow[1] != '>'))
			arrow++;
		piece_end = arrow ? arrow : end;
		if (piece_end == s) {
			empty++;
		} else {
			for (; empty; empty--) {
				if (index)
					perf_parser__add_separator(ps);
				perf_parser__add_name(ps, f, s, 0, index++, false);
			}
			if (index)
				perf_parser__add_separator(ps);
			perf_parser__add_name(ps, f, s, piece_end - s, index++, true);
		}
		if (!arrow)
			break;
		s = arrow + 2;
	}
	if (!index)
		return false;
group:
	if (ps->ngroups == ps->groups_alloc) {
		ps->groups_alloc = fs_grow_capacity(ps->groups_alloc, ps->ngroups + 1);
		ps->group_start =
			xreallocarray(ps->group_start, ps->groups_alloc, sizeof(*ps->group_start));
	}
	ps->group_start[ps->ngroups++] = group;
	return true;
}

static void perf_parser__line(struct perf_parser *ps, const char *line, size_t len)
{
	struct perf_header h;
	struct perf_frame f;

	if (len && line[0] == '#')
		return;
	if (!len || (len == 1 && line[0] == '\r')) {
		perf_parser__end_sample(ps);
		return;
	}
	ps->other_lines++;
	if (perf_header__match(line, len, &h)) {
		perf_parser__header(ps, line, &h);
		return;
	}
	if (!perf_frame__match(line, len, ps->limit, &f))
		ps->unrecognised++;
	else if (ps->in_sample)
		perf_parser__frame(ps, &f);
}

/*
 * The end of the line at @p: most lines are short, where an inline vector
 * loop beats a call to memchr(); long ones go to memchr().
 */
static inline const char *line_end(const char *p, const char *end, const char *limit)
{
	const char *nl;

#ifdef __SSE2__
	const char *stop = p + 128;

	while (p < stop && limit - p >= 16) {
		unsigned int m = _mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi8('\n')));

		if (m) {
			p += __builtin_ctz(m);
			return p < end ? p : end;
		}
		p += 16;
	}
	if (p >= end)
		return end;
#endif
	nl = memchr(p, '\n', end - p);
	return nl ? nl : end;
}

static void perf_parser__run(struct perf_parser *ps, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = line_end(p, end, ps->limit);

		perf_parser__line(ps, p, nl - p);
		p = nl + 1;
	}
}

/* ---- the whole input ---- */

/* The first event named by a header line: what the script keeps by default. */
static void find_first_event(const char *data, size_t len, const char **event, size_t *event_len)
{
	const char *p = data, *end = data + len;
	struct perf_header h;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && p[0] != '#' && perf_header__match(p, n, &h) && h.event) {
			*event = h.event;
			*event_len = h.event_len;
			return;
		}
		p += n + 1;
	}
}

/* Smallest share of the input worth a thread of its own. */
#define MIN_CHUNK   (4u << 20)
#define MAX_THREADS 16

static unsigned int cpu_count(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set))
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/*
 * Offset just past the first blank line ("\n\n", or "\n\r\n") at or after
 * @from, or @len if none.  The parser state is empty after a blank line, so
 * the input can be cut there.
 */
static size_t next_sample_boundary(const char *data, size_t len, size_t from)
{
	const char *p = data + from, *end = data + len;

	while (p < end && (p = memchr(p, '\n', end - p))) {
		if (p + 1 < end && p[1] == '\n')
			return p + 2 - data;
		if (p + 2 < end && p[1] == '\r' && p[2] == '\n')
			return p + 3 - data;
		p++;
	}
	return len;
}

struct perf_chunk {
	struct perf_parser parser;
	const char *data;
	size_t len;
	pthread_t thread;
	bool started;
};

static void *perf_chunk__run(void *arg)
{
	struct perf_chunk *c = arg;

	perf_parser__run(&c->parser, c->data, c->len);
	return NULL;
}

int collapse_perf(const char *data, size_t len, const struct collapse_options *opts,
		  struct stack_counts *out, struct collapse_stats *stats)
{
	struct perf_chunk chunks[MAX_THREADS];
	const char *event = NULL;
	size_t event_len = 0, start = 0, i, n = 0, nthreads;
	uint64_t samples = 0, headers = 0, other_lines = 0, unrecognised = 0, filtered = 0;
	uint64_t oversized = 0;
	const char *other_event = NULL;
	size_t other_event_len = 0;
	struct perf_parser *last;
	int ret = 0;

	if (opts->event_filter && *opts->event_filter) {
		event = opts->event_filter;
		event_len = strlen(event);
	} else {
		find_first_event(data, len, &event, &event_len);
	}

	nthreads = cpu_count();
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nthreads > len / MIN_CHUNK)
		nthreads = len / MIN_CHUNK ? len / MIN_CHUNK : 1;
	while (start < len || n == 0) {
		size_t stop = len;

		if (n + 1 < nthreads)
			stop = next_sample_boundary(data, len,
						    start + (len - start) / (nthreads - n));
		chunks[n].data = data + start;
		chunks[n].len = stop - start;
		chunks[n].started = false;
		/* the first chunk adds to @out directly, the others to tables merged below */
		perf_parser__init(&chunks[n].parser, opts, n ? stack_counts__new() : out,
				  data + len + 1, event, event_len);
		n++;
		start = stop;
	}
	for (i = 1; i < n; i++)
		chunks[i].started =
			!pthread_create(&chunks[i].thread, NULL, perf_chunk__run, &chunks[i]);
	perf_chunk__run(&chunks[0]);
	for (i = 1; i < n; i++) {
		if (chunks[i].started)
			pthread_join(chunks[i].thread, NULL);
		else
			perf_chunk__run(&chunks[i]);
	}

	for (i = 0; i < n; i++) {
		struct perf_parser *ps = &chunks[i].parser;

		if (i)
			stack_counts__merge(out, ps->out);
		samples += ps->samples;
		headers += ps->headers;
		other_lines += ps->other_lines;
		unrecognised += ps->unrecognised;
		oversized += ps->oversized_samples;
		if (ps->filtered && !filtered) {
			other_event = ps->other_event;
			other_event_len = ps->other_event_len;
		}
		filtered += ps->filtered;
	}
	last = &chunks[n - 1].parser;

	if (!headers && other_lines) {
		fs_warn("not perf script output: no sample header line "
			"(\"COMM PID TIME: EVENT:\") found");
		ret = -EINVAL;
		goto out;
	}
	if (filtered && !(opts->event_filter && *opts->event_filter))
		fs_warn("kept only the first event type, '%.*s'; skipped %llu sample%s of other "
			"events such as '%.*s' (choose one with --event-filter)",
			(int)event_len, event, (unsigned long long)filtered,
			filtered == 1 ? "" : "s", (int)other_event_len, other_event);
	if (headers && !samples && opts->event_filter && *opts->event_filter)
		fs_warn("no samples of event '%s'", opts->event_filter);
	if (oversized)
		fs_warn("left out %llu sample%s whose stack exceeds %u MiB",
			(unsigned long long)oversized, oversized == 1 ? "" : "s",
			MAX_SAMPLE_BYTES >> 20);
	if (last->in_sample)
		fs_warn("the input ends inside a sample (no blank line after it); that sample is "
			"left out, as stackcollapse-perf.pl does");
	if (stats) {
		stats->samples += samples;
		stats->skipped_lines += unrecognised;
	}
out:
	for (i = 0; i < n; i++) {
		if (i)
			stack_counts__free(chunks[i].parser.out);
		perf_parser__release(&chunks[i].parser);
	}
	return ret;
}
