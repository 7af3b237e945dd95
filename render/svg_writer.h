/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_RENDER_SVG_WRITER_H
#define FLAMESAMP_RENDER_SVG_WRITER_H

/*
 * Buffered writing of XML (SVG) text, with the escaping that keeps the output
 * well-formed whatever bytes the profiled program put into its names.
 *
 * Text given to the escaping functions is untrusted.  In UTF-8 mode (the
 * default) invalid UTF-8 and the characters XML 1.0 forbids (C0 controls other
 * than tab/LF/CR, U+FFFE, U+FFFF) become U+FFFD; tab, LF and CR are written as
 * character references so they survive attribute and end-of-line
 * normalisation.  In byte mode (an --encoding other than UTF-8 was declared)
 * bytes >= 0x80 are copied as they are and only ASCII is checked.
 *
 * Output is gathered in a private buffer and handed to the FILE in large
 * blocks; a write error is remembered and reported by svg_writer__finish().
 * Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf;
struct svg_writer;

/* Write to @out, which stays owned by the caller. */
struct svg_writer *svg_writer__new(FILE *out);
/* Frees without flushing; NULL is fine. */
void svg_writer__free(struct svg_writer *w);
/* Flush everything to the FILE and fflush() it: 0, or -errno of the first write error. */
int svg_writer__finish(struct svg_writer *w);

/* Byte mode (see above) when @utf8 is false. */
void svg_writer__set_utf8(struct svg_writer *w, bool utf8);

/* Raw output: the caller guarantees it is well-formed. */
void svg_writer__raw(struct svg_writer *w, const char *s, size_t len);
void svg_writer__str(struct svg_writer *w, const char *s);
void svg_writer__ch(struct svg_writer *w, char c);
__attribute__((format(printf, 2, 3))) void svg_writer__printf(struct svg_writer *w, const char *fmt,
							      ...);

/* Untrusted text as XML character data / attribute value: sanitised and escaped. */
void svg_writer__text(struct svg_writer *w, const char *s, size_t len);
/* Untrusted text as a JSON string (with its quotes) that is also safe inside CDATA. */
void svg_writer__json_string(struct svg_writer *w, const char *s, size_t len);
/* Untrusted text inside an XML comment: sanitised, '-' never doubled or last. */
void svg_writer__comment_text(struct svg_writer *w, const char *s, size_t len);
/* Trusted text placed inside a CDATA section: "]]>" is split so it cannot end it. */
void svg_writer__cdata_body(struct svg_writer *w, const char *s, size_t len);

/* A number with exactly two decimals ("12.30"): pixel positions. */
void svg_writer__fixed2(struct svg_writer *w, double v);
/* A number rounded to two decimals without trailing zeros ("12", "12.5"). */
void svg_writer__coord(struct svg_writer *w, double v);
/* A weight as the Perl tools print it (fs_format_count()). */
void svg_writer__count(struct svg_writer *w, double v);

/*
 * Helpers shared with the layout code, usable without a writer.
 *
 * fs_xml_sanitize() appends to @out the text of @s as it will be displayed
 * (invalid UTF-8 and forbidden characters replaced, nothing escaped) and
 * returns the number of characters (code points, or bytes in byte mode).
 * fs_xml_escape() appends @s escaped for XML, assuming it is already
 * sanitised.
 */
size_t fs_xml_sanitize(const char *s, size_t len, bool utf8, struct strbuf *out);
void fs_xml_escape(const char *s, size_t len, struct strbuf *out);
/* Byte length of the first @nchars characters of sanitised text @s. */
size_t fs_utf8_prefix_len(const char *s, size_t len, size_t nchars, bool utf8);

#endif
