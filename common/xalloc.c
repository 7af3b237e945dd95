// SPDX-License-Identifier: Apache-2.0
#include "common/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void default_oom(size_t size)
{
	fprintf(stderr, "flamesamp: out of memory (allocating %zu bytes)\n", size);
	exit(1);
}

static fs_oom_fn oom_handler = default_oom;

void fs_set_oom_handler(fs_oom_fn fn)
{
	oom_handler = fn ? fn : default_oom;
}

static void *check(void *p, size_t size)
{
	if (!p) {
		oom_handler(size);
		abort(); /* the handler must not return */
	}
	return p;
}

void *xmalloc(size_t size)
{
	return check(malloc(size ? size : 1), size);
}

void *xcalloc(size_t nmemb, size_t size)
{
	return check(calloc(nmemb ? nmemb : 1, size ? size : 1), nmemb * size);
}

void *xrealloc(void *ptr, size_t size)
{
	return check(realloc(ptr, size ? size : 1), size);
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return check(NULL, SIZE_MAX);
	return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
	return check(strdup(s), strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n), n + 1);
}
