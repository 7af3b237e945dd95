// SPDX-License-Identifier: Apache-2.0
/*
 * Folded stacks in, folded stacks out: merge and normalise.
 *
 * A line is "STACK COUNT": COUNT is the last blank-separated field and must
 * read as flamegraph.pl reads it, digits with an optional fraction
 * ("12", "0.5", "3."); STACK is the rest, without its trailing blanks.  The
 * same stack on several lines (or in several files) is summed, fractional
 * counts are kept, and the output is sorted bytewise, as flamegraph.pl sorts
 * before merging frames.
 *
 * Leniency, as speedscope's importer: CRLF line ends, a UTF-8 byte order
 * mark, and UTF-16 text with a byte order mark (converted to UTF-8).  Blank
 * lines, comments and lines without a count are skipped and counted in
 * collapse_stats.skipped_lines, which is what flamegraph.pl does with them
 * (its "Ignored N lines with invalid format").
 */
#include "collapse/collapse.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Digits with an optional fraction: flamegraph.pl's (\d+(?:\.\d*)?). */
static bool is_count(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (!i)
		return false;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9';)
			i++;
	return i == len;
}

static void add_utf8(struct strbuf *sb, unsigned long cp)
{
	char b[4];

	if (cp < 0x80) {
		strbuf_addch(sb, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 4);
	}
}

/* UTF-16 (after its byte order mark) to UTF-8; broken surrogates become U+FFFD. */
static void utf16_to_utf8(const unsigned char *s, size_t len, bool big_endian, struct strbuf *sb)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		unsigned long u = big_endian ? (s[i] << 8 | s[i + 1]) : (s[i + 1] << 8 | s[i]);

		if (u >= 0xd800 && u < 0xdc00 && i + 3 < len) {
			unsigned long lo = big_endian ? (s[i + 2] << 8 | s[i + 3])
						      : (s[i + 3] << 8 | s[i + 2]);

			if (lo >= 0xdc00 && lo < 0xe000) {
				add_utf8(sb, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
				i += 2;
				continue;
			}
		}
		add_utf8(sb, u >= 0xd800 && u < 0xe000 ? 0xfffd : u);
	}
}

static void add_lines(const char *data, size_t len, struct stack_counts *out,
		      struct collapse_stats *stats)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *line = p, *stop = nl ? nl : end, *count;

		p = nl ? nl + 1 : end;
		while (stop > line && is_blank(stop[-1]))
			stop--;
		count = stop;
		while (count > line && !is_blank(count[-1]))
			count--;
		if (!is_count(count, stop - count)) {
			if (nl || stop > line) /* not the empty tail after the last '\n' */
				stats->skipped_lines++;
			continue;
		}
		stop = count;
		while (stop > line && is_blank(stop[-1]))
			stop--;
		if (stop == line || stop == count) {
			stats->skipped_lines++; /* no stack, or no blank before the count */
			continue;
		}
		stack_counts__add(out, line, stop - line, strtod(count, NULL));
		stats->samples++;
	}
}

int collapse_folded(const char *data, size_t len, const struct collapse_options *opts,
		    struct stack_counts *out, struct collapse_stats *stats)
{
	const unsigned char *u = (const unsigned char *)data;
	struct strbuf utf8 = STRBUF_INIT;

	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
		utf16_to_utf8(u + 2, len - 2, u[0] == 0xfe, &utf8);
		if (utf8.len)
			add_lines(utf8.buf, utf8.len, out, stats);
		strbuf_release(&utf8);
		return 0;
	}
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		data += 3;
		len -= 3;
	}
	add_lines(data, len, out, stats);
	return 0;
}
