/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_STRBUF_H
#define FLAMESAMP_COMMON_STRBUF_H

/*
 * Growable byte buffer, after git's strbuf.h.
 *
 * Invariants: buf is NUL-terminated once anything was added (buf[len] == 0),
 * may hold NUL bytes inside, and is NULL for an untouched STRBUF_INIT buffer.
 * Allocation goes through xalloc.h and so cannot fail.
 */

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Make room for @extra more bytes (plus the terminating NUL). */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
__attribute__((format(printf, 2, 3))) void strbuf_addf(struct strbuf *sb, const char *fmt, ...);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Truncate to @len bytes (len <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);
/* Free the storage; the buffer can be reused as if STRBUF_INIT. */
void strbuf_release(struct strbuf *sb);
/* Hand the storage to the caller, who frees it; the buffer is reset. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

static inline void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

static inline void strbuf_addch(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->alloc)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

static inline void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

#endif
