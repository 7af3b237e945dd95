/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_XALLOC_H
#define FLAMESAMP_COMMON_XALLOC_H

/*
 * Allocation that cannot fail.
 *
 * Running out of memory while aggregating a profile leaves nothing sensible to
 * return, so (like git's xmalloc) these call the out-of-memory handler, which
 * by default writes one line to stderr and exits with status 1.  Code that can
 * recover from a failed allocation uses malloc() directly.
 */

#include <stddef.h>

typedef void (*fs_oom_fn)(size_t size);

/* Replace the out-of-memory handler; it must not return. */
void fs_set_oom_handler(fs_oom_fn fn);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array of @nmemb elements of @size bytes, checking for overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Next capacity for a growing array that needs at least @need elements. */
static inline size_t fs_grow_capacity(size_t cur, size_t need)
{
	size_t cap = cur ? cur : 16;

	while (cap < need)
		cap = cap + cap / 2 + 16;
	return cap;
}

#endif
