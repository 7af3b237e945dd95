// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE /* wcwidth() */
#include "common/term_text.h"

#include <stdint.h>
#include <wchar.h>

/* One piece of output: @bytes of the input shown as @shown columns. */
struct piece {
	size_t bytes; /* input bytes it stands for */
	size_t cols;  /* columns it takes */
	int kind;     /* PIECE_COPY, PIECE_QUESTION or PIECE_HEX */
};

enum { PIECE_COPY, PIECE_QUESTION, PIECE_HEX };

/* The length of a valid UTF-8 sequence at @p (at most @len bytes) and its code point; 0 if none. */
static size_t utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static struct piece next_piece(const unsigned char *p, size_t len, bool utf8)
{
	uint32_t cp;
	size_t n;
	int w;

	if (p[0] < 0x20 || p[0] == 0x7f)
		return (struct piece){1, 1, PIECE_QUESTION};
	if (p[0] < 0x80)
		return (struct piece){1, 1, PIECE_COPY};
	if (!utf8)
		return (struct piece){1, 4, PIECE_HEX};
	n = utf8_decode(p, len, &cp);
	if (!n)
		return (struct piece){1, 4, PIECE_HEX};
	if (cp < 0xa0)
		return (struct piece){n, 1, PIECE_QUESTION};
	w = wcwidth((wchar_t)cp);
	if (w <= 0)
		return (struct piece){n, 1, PIECE_QUESTION};
	return (struct piece){n, (size_t)w, PIECE_COPY};
}

static void add_piece(struct strbuf *sb, const unsigned char *p, struct piece pc)
{
	static const char hex[] = "0123456789abcdef";

	switch (pc.kind) {
	case PIECE_COPY:
		strbuf_add(sb, p, pc.bytes);
		break;
	case PIECE_QUESTION:
		strbuf_addch(sb, '?');
		break;
	default:
		strbuf_addch(sb, '\\');
		strbuf_addch(sb, 'x');
		strbuf_addch(sb, hex[p[0] >> 4]);
		strbuf_addch(sb, hex[p[0] & 15]);
	}
}

size_t term_text__fit(struct strbuf *sb, const char *text, size_t len, size_t width, bool utf8)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i, cols = 0, limit;

	/* does it all fit? */
	for (i = 0; i < len && cols <= width;) {
		struct piece pc = next_piece(p + i, len - i, utf8);

		cols += pc.cols;
		i += pc.bytes;
	}
	limit = cols <= width ? width : width >= 2 ? width - 2 : 0;
	cols = 0;
	for (i = 0; i < len;) {
		struct piece pc = next_piece(p + i, len - i, utf8);

		if (cols + pc.cols > limit)
			break;
		add_piece(sb, p + i, pc);
		cols += pc.cols;
		i += pc.bytes;
	}
	if (i < len) {
		/* cut: ".." in the columns left (fewer when the width is below 2) */
		for (i = 0; i < 2 && cols < width; i++, cols++)
			strbuf_addch(sb, '.');
	}
	return cols;
}
