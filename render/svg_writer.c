// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE /* memmem */
#include "render/svg_writer.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* Large enough that fwrite() is called rarely, small enough to stay in cache. */
#define FLUSH_AT (1u << 16)

#define REPLACEMENT	"\xef\xbf\xbd" /* U+FFFD in UTF-8 */
#define REPLACEMENT_LEN 3

struct svg_writer {
	FILE *out;
	struct strbuf buf;
	struct strbuf tmp;
	bool utf8;
	int err;
};

struct svg_writer *svg_writer__new(FILE *out)
{
	struct svg_writer *w = xcalloc(1, sizeof(*w));

	w->out = out;
	w->utf8 = true;
	strbuf_grow(&w->buf, FLUSH_AT * 2);
	return w;
}

void svg_writer__free(struct svg_writer *w)
{
	if (!w)
		return;
	strbuf_release(&w->buf);
	strbuf_release(&w->tmp);
	free(w);
}

void svg_writer__set_utf8(struct svg_writer *w, bool utf8)
{
	w->utf8 = utf8;
}

static void flush_buffer(struct svg_writer *w)
{
	if (w->buf.len && !w->err && fwrite(w->buf.buf, 1, w->buf.len, w->out) != w->buf.len)
		w->err = errno ? -errno : -EIO;
	strbuf_reset(&w->buf);
}

static inline void maybe_flush(struct svg_writer *w)
{
	if (w->buf.len >= FLUSH_AT)
		flush_buffer(w);
}

int svg_writer__finish(struct svg_writer *w)
{
	flush_buffer(w);
	errno = 0;
	if (!w->err && (fflush(w->out) || ferror(w->out)))
		w->err = errno ? -errno : -EIO;
	return w->err;
}

void svg_writer__raw(struct svg_writer *w, const char *s, size_t len)
{
	strbuf_add(&w->buf, s, len);
	maybe_flush(w);
}

void svg_writer__str(struct svg_writer *w, const char *s)
{
	svg_writer__raw(w, s, strlen(s));
}

void svg_writer__ch(struct svg_writer *w, char c)
{
	strbuf_addch(&w->buf, c);
}

void svg_writer__printf(struct svg_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&w->buf, fmt, ap);
	va_end(ap);
	maybe_flush(w);
}

/*
 * Length of the valid UTF-8 sequence at @s (at most @len bytes) and its code
 * point, or 0 if the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF included).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/* ASCII bytes that need no attention at all in XML text or attributes. */
static inline bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
}

static void escape_ascii(unsigned char c, struct strbuf *out)
{
	switch (c) {
	case '&':
		strbuf_add(out, "&amp;", 5);
		break;
	case '<':
		strbuf_add(out, "&lt;", 4);
		break;
	case '>':
		strbuf_add(out, "&gt;", 4);
		break;
	case '"':
		strbuf_add(out, "&quot;", 6);
		break;
	case '\'':
		strbuf_add(out, "&#39;", 5);
		break;
	case '\t':
		strbuf_add(out, "&#9;", 4);
		break;
	case '\n':
		strbuf_add(out, "&#10;", 5);
		break;
	case '\r':
		strbuf_add(out, "&#13;", 5);
		break;
	default:
		strbuf_addch(out, (char)c);
	}
}

/*
 * The one pass behind fs_xml_sanitize() and svg_writer__text(): replace what
 * XML cannot carry, optionally escape, and count characters.
 */
static size_t sanitize(const char *str, size_t len, bool utf8, bool escape, struct strbuf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, chars = 0;

	while (i < len) {
		size_t run = i, n;
		uint32_t cp;

		while (run < len && plain_ascii(s[run]))
			run++;
		if (run > i) {
			strbuf_add(out, s + i, run - i);
			chars += run - i;
			i = run;
			continue;
		}
		chars++;
		if (s[i] < 0x80) {
			unsigned char c = s[i++];

			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				strbuf_add(out, utf8 ? REPLACEMENT : "?",
					   utf8 ? REPLACEMENT_LEN : 1);
			else if (escape)
				escape_ascii(c, out);
			else
				strbuf_addch(out, (char)c);
			continue;
		}
		if (!utf8) {
			strbuf_addch(out, (char)s[i++]);
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (!n || cp == 0xfffe || cp == 0xffff) {
			strbuf_add(out, REPLACEMENT, REPLACEMENT_LEN);
			i += n ? n : 1;
			continue;
		}
		strbuf_add(out, s + i, n);
		i += n;
	}
	return chars;
}

size_t fs_xml_sanitize(const char *s, size_t len, bool utf8, struct strbuf *out)
{
	if (!out->buf)
		strbuf_grow(out, len);
	return sanitize(s, len, utf8, false, out);
}

void fs_xml_escape(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0;

	if (!out->buf)
		strbuf_grow(out, len);
	while (i < len) {
		size_t run = i;

		while (run < len && ((unsigned char)s[run] >= 0x80 || plain_ascii(s[run])))
			run++;
		strbuf_add(out, s + i, run - i);
		if (run < len)
			escape_ascii((unsigned char)s[run++], out);
		i = run;
	}
}

size_t fs_utf8_prefix_len(const char *s, size_t len, size_t nchars, bool utf8)
{
	size_t i = 0;

	if (!utf8)
		return nchars < len ? nchars : len;
	while (i < len && nchars) {
		i++;
		/* sanitised text is valid UTF-8: skip continuation bytes */
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		nchars--;
	}
	return i;
}

void svg_writer__text(struct svg_writer *w, const char *s, size_t len)
{
	sanitize(s, len, w->utf8, true, &w->buf);
	maybe_flush(w);
}

void svg_writer__json_string(struct svg_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct strbuf *t = &w->tmp;
	size_t i;

	strbuf_reset(t);
	fs_xml_sanitize(s, len, w->utf8, t);
	strbuf_addch(&w->buf, '"');
	for (i = 0; i < t->len; i++) {
		unsigned char c = t->buf[i];

		if (c == '"' || c == '\\') {
			strbuf_addch(&w->buf, '\\');
			strbuf_addch(&w->buf, (char)c);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			/* \u003c and friends: no "</script>" or "]]>" can form */
			strbuf_addf(&w->buf, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (w->utf8 && c == 0xe2 && i + 2 < t->len &&
			   (unsigned char)t->buf[i + 1] == 0x80 &&
			   ((unsigned char)t->buf[i + 2] & 0xfe) == 0xa8) {
			/* U+2028/U+2029 end a line in older JavaScript engines */
			strbuf_addf(&w->buf, "\\u202%c", t->buf[i + 2] == (char)0xa8 ? '8' : '9');
			i += 2;
		} else {
			strbuf_addch(&w->buf, (char)c);
		}
	}
	strbuf_addch(&w->buf, '"');
	maybe_flush(w);
}

void svg_writer__comment_text(struct svg_writer *w, const char *s, size_t len)
{
	struct strbuf *t = &w->tmp;
	size_t i;

	strbuf_reset(t);
	fs_xml_sanitize(s, len, w->utf8, t);
	for (i = 0; i < t->len; i++) {
		strbuf_addch(&w->buf, t->buf[i]);
		/* "--" may not appear in a comment, nor may it end in '-' */
		if (t->buf[i] == '-' && (i + 1 == t->len || t->buf[i + 1] == '-'))
			strbuf_addch(&w->buf, ' ');
	}
	maybe_flush(w);
}

void svg_writer__cdata_body(struct svg_writer *w, const char *s, size_t len)
{
	const char *end = s + len, *p;

	while ((p = memmem(s, end - s, "]]>", 3))) {
		svg_writer__raw(w, s, p + 2 - s);
		svg_writer__str(w, "]]><![CDATA[");
		s = p + 2;
	}
	svg_writer__raw(w, s, end - s);
}

/* Decimal digits of @v into the end of @buf; returns the start. */
static char *u64_digits(uint64_t v, char *end)
{
	char *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* Values beyond this are printed by printf (they do not fit the integer path). */
#define FAST_LIMIT 1e15

void svg_writer__fixed2(struct svg_writer *w, double v)
{
	char buf[40], *end = buf + sizeof(buf), *p;
	uint64_t r;
	bool neg;

	if (!isfinite(v) || fabs(v) >= FAST_LIMIT) {
		svg_writer__printf(w, "%.2f", isfinite(v) ? v : 0.0);
		return;
	}
	neg = v < 0;
	r = (uint64_t)llround(fabs(v) * 100);
	p = end;
	*--p = (char)('0' + r % 10);
	*--p = (char)('0' + r / 10 % 10);
	*--p = '.';
	p = u64_digits(r / 100, p);
	if (neg && r)
		*--p = '-';
	svg_writer__raw(w, p, end - p);
}

void svg_writer__coord(struct svg_writer *w, double v)
{
	char buf[40], *end = buf + sizeof(buf) - 3, *p;
	unsigned frac;
	uint64_t r;
	size_t n;
	bool neg;

	if (!isfinite(v) || fabs(v) >= FAST_LIMIT) {
		svg_writer__printf(w, "%.2f", isfinite(v) ? v : 0.0);
		return;
	}
	neg = v < 0;
	r = (uint64_t)llround(fabs(v) * 100);
	p = u64_digits(r / 100, end);
	if (neg && r)
		*--p = '-';
	n = end - p;
	frac = r % 100;
	if (frac) {
		p[n++] = '.';
		p[n++] = (char)('0' + frac / 10);
		if (frac % 10)
			p[n++] = (char)('0' + frac % 10);
	}
	svg_writer__raw(w, p, n);
}

void svg_writer__count(struct svg_writer *w, double v)
{
	char buf[FS_COUNT_BUFSIZE], *end = buf + sizeof(buf), *p;
	size_t n;

	if (v >= 0 && v < 9007199254740992.0 && v == floor(v)) {
		p = u64_digits((uint64_t)v, end);
		svg_writer__raw(w, p, end - p);
		return;
	}
	n = fs_format_count(v, buf, sizeof(buf));
	svg_writer__raw(w, buf, n);
}
