// SPDX-License-Identifier: Apache-2.0
/*
 * Telling input formats apart from their first bytes.
 *
 * Only the first DETECT_WINDOW bytes are looked at, so detection costs the
 * same for any file size.  Binary formats are recognised by structure (gzip
 * magic, a protobuf Profile whose first fields have the right numbers and
 * wire types), JSON by its first character, and text formats line by line:
 *   bpftrace  a map entry "@name[" with a stack (a line of its own), or the
 *             "Attaching N probes..." banner;
 *   perf      an indented "ADDRESS SYMBOL" stack line after an event line;
 *   folded    "STACK COUNT" lines, and nothing that looks like the others.
 * When nothing matches well enough the answer is COLLAPSE_AUTO, so the
 * caller asks for a format rather than guessing wrong.
 */
#define _GNU_SOURCE /* memmem */
#include "collapse/collapse.h"

#include <ctype.h>
#include <string.h>

#define DETECT_WINDOW (64 * 1024)
#define DETECT_LINES  200

/* Read a protobuf varint at *p (before @end); false if cut short or too long. */
static bool read_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * Does @data start like a pprof Profile?  The window must hold control bytes
 * that text does not, every field in it must be one of Profile's (1..15) with
 * the wire type the format gives it, and at least two fields must be seen (or
 * the whole input consumed), so that text is not taken for protobuf.
 */
static bool looks_like_pprof(const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end = data + (len < DETECT_WINDOW ? len : DETECT_WINDOW);
	int fields = 0;
	uint64_t tag, v;
	bool binary = false;

	/* small varints are bytes that text never holds */
	for (p = data; p < end && !binary; p++)
		binary = *p < 0x09 || (*p > 0x0d && *p < 0x20);
	if (!binary)
		return false;
	p = data;
	while (p < end) {
		unsigned field, wire;

		if (!read_varint(&p, end, &tag))
			break; /* cut by the window */
		field = tag >> 3;
		wire = tag & 7;
		if (field < 1 || field > 15)
			return false;
		if (wire == 0) {
			/* scalars: drop/keep_frames, times, period, comment, default type, doc */
			if ((field >= 1 && field <= 6) || field == 11)
				return false;
			if (!read_varint(&p, end, &v))
				break;
		} else if (wire == 2) {
			/* messages, strings and packed comment indices */
			if (field != 13 && !(field <= 6 || field == 11))
				return false;
			if (!read_varint(&p, end, &v))
				break;
			if (v > (uint64_t)(len - (p - data)))
				return false;
			if (v > (uint64_t)(end - p))
				break;
			p += v;
		} else {
			return false;
		}
		fields++;
	}
	return fields >= 2 || (fields == 1 && p == data + len);
}

struct text_line {
	const char *s;
	size_t len;
};

static bool next_line(const char **p, const char *end, struct text_line *l)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', end - *p);
	l->s = *p;
	l->len = (nl ? nl : end) - *p;
	*p = nl ? nl + 1 : end;
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	return true;
}

static bool starts_with(const struct text_line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && !memcmp(l->s, prefix, n);
}

/* "@name[" and nothing else: the first line of a map entry keyed by a stack. */
static bool is_bpftrace_key_start(const struct text_line *l)
{
	size_t i = 1;

	if (!l->len || l->s[0] != '@')
		return false;
	while (i < l->len && (isalnum((unsigned char)l->s[i]) || l->s[i] == '_'))
		i++;
	return i < l->len && l->s[i] == '[' &&
	       (i + 1 == l->len || !memcmp(l->s + l->len - 2, ", ", 2));
}

/*
 * perf script stack line: a hex address, a blank, a symbol.  perf indents
 * them; very old versions did not, so unindented ones need a "(module)" end.
 */
static bool is_perf_stack_line(const struct text_line *l)
{
	size_t i = 0, digits = 0;

	while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	if (!i && (l->s[l->len - 1] != ')' || !memmem(l->s, l->len, " (", 2)))
		return false;
	while (i < l->len && isxdigit((unsigned char)l->s[i]))
		i++, digits++;
	return digits && i + 1 < l->len && l->s[i] == ' ' && l->s[i + 1] != ' ';
}

/* perf's event time stamp, "12345.678901:", somewhere in the line. */
static bool has_perf_timestamp(const struct text_line *l)
{
	size_t i, j;

	for (i = 0; i + 8 < l->len; i++) {
		if (l->s[i] != '.' || !i || !isdigit((unsigned char)l->s[i - 1]))
			continue;
		for (j = i + 1; j < l->len && isdigit((unsigned char)l->s[j]);)
			j++;
		if (j - i - 1 >= 6 && j < l->len && l->s[j] == ':')
			return true;
	}
	return false;
}

/* "STACK COUNT" as collapse_folded() reads it. */
static bool is_folded_line(const struct text_line *l)
{
	size_t end = l->len, start, i;

	while (end && (l->s[end - 1] == ' ' || l->s[end - 1] == '\t'))
		end--;
	start = end;
	while (start && l->s[start - 1] != ' ' && l->s[start - 1] != '\t')
		start--;
	if (!start)
		return false; /* no blank, so no stack before the count */
	for (i = start; i < end && isdigit((unsigned char)l->s[i]);)
		i++;
	if (i == start)
		return false;
	if (i < end && l->s[i] == '.')
		for (i++; i < end && isdigit((unsigned char)l->s[i]);)
			i++;
	if (i != end)
		return false;
	for (i = 0; i < start; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return true;
	return false;
}

static enum collapse_format detect_text(const char *data, size_t len)
{
	const char *p = data, *end = data + (len < DETECT_WINDOW ? len : DETECT_WINDOW);
	struct text_line l;
	int lines = 0, folded = 0, other = 0, perf = 0;
	bool in_event = false;

	/* the window may cut the last line short; it still counts as evidence */
	while (lines < DETECT_LINES && next_line(&p, end, &l)) {
		if (!l.len) {
			in_event = false;
			continue;
		}
		lines++;
		if (is_bpftrace_key_start(&l) || (starts_with(&l, "Attaching ") && l.len > 3 &&
						  !memcmp(l.s + l.len - 3, "...", 3)))
			return COLLAPSE_BPFTRACE;
		if (l.s[0] == '#')
			continue; /* perf script header, or a comment */
		if (in_event && is_perf_stack_line(&l)) {
			perf++;
			continue;
		}
		if (has_perf_timestamp(&l)) {
			perf++;
			in_event = true;
			continue;
		}
		if (is_folded_line(&l)) {
			folded++;
			in_event = false;
			continue;
		}
		/* an event line without time stamp: "comm pid event:" */
		in_event = memchr(l.s, ':', l.len) != NULL;
		other++;
	}
	if (perf >= 2 || (perf && !folded))
		return COLLAPSE_PERF;
	/* folded, allowing a few bad lines as flamegraph.pl does */
	if (folded && folded > 2 * other)
		return COLLAPSE_FOLDED;
	return COLLAPSE_AUTO;
}

enum collapse_format collapse_format__detect(const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;
	size_t i = 0;

	if (!data || !len)
		return COLLAPSE_AUTO;
	if (len >= 2 && u[0] == 0x1f && u[1] == 0x8b)
		return COLLAPSE_PPROF; /* the only gzipped format we read */
	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		return COLLAPSE_FOLDED; /* UTF-16 text: only folded input is read that way */
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		i = 3;
	while (i < len && i < DETECT_WINDOW && isspace(u[i]))
		i++;
	if (i < len && (u[i] == '{' || u[i] == '[')) {
		size_t j = i + 1;

		while (j < len && j < DETECT_WINDOW && isspace(u[j]))
			j++;
		/* "[unknown];main 5" is folded; JSON continues with '"', '{', '[' or a close */
		if (u[i] == '{' ? (j == len || u[j] == '"' || u[j] == '}')
				: (j == len || u[j] == '{' || u[j] == ']'))
			return COLLAPSE_V8;
	}
	if (looks_like_pprof(u, len))
		return COLLAPSE_PPROF;
	return detect_text(data + i, len - i);
}
