/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COLLAPSE_FRAME_NAME_H
#define FLAMESAMP_COLLAPSE_FRAME_NAME_H

/*
 * Frame names taken from someone else's file, made safe for a folded stack.
 *
 * Folded output is one "frame;frame;frame COUNT" per line, so a name read
 * from JSON or protobuf (where any byte is allowed) must not bring a line
 * break or a frame separator with it: '\n' and '\r' become spaces and ';'
 * becomes ':' (a "data:text/javascript;base64,..." URL would otherwise split
 * one frame in two).  Everything else is copied as it is; bytes that are not
 * UTF-8 are the renderer's business.
 */

#include <stddef.h>

#include "common/strbuf.h"

/* Append the @len bytes of @name to @sb, made safe as above. */
static inline void frame_name__add(struct strbuf *sb, const char *name, size_t len)
{
	size_t start = sb->len, i;

	strbuf_add(sb, name, len);
	for (i = start; i < sb->len; i++) {
		if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
			sb->buf[i] = ' ';
		else if (sb->buf[i] == ';')
			sb->buf[i] = ':';
	}
}

/* Append a whole frame: ';' unless @sb is empty, then the name as above. */
static inline void frame_name__append(struct strbuf *sb, const char *name, size_t len)
{
	if (sb->len)
		strbuf_addch(sb, ';');
	frame_name__add(sb, name, len);
}

#endif
