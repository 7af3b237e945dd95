// SPDX-License-Identifier: Apache-2.0
#include "symbolize/demangle.h"

#include <stdlib.h>
#include <string.h>

/*
 * libiberty is linked statically; the xmalloc() and xstrdup() its demangler
 * calls are common/xalloc.c's, which never return NULL either.
 */
#include <libiberty/demangle.h>

/* Longer names are left alone: the demangler's time and memory grow with them. */
#define DEMANGLE_MAX_INPUT (64 * 1024)

size_t demangle_cut_params(char *name, size_t len)
{
	static const char anon[] = "(anonymous namespace)";
	size_t i;

	for (i = 0; i < len; i++) {
		if (name[i] != '(')
			continue;
		if (len - i >= sizeof(anon) - 1 && !memcmp(name + i, anon, sizeof(anon) - 1)) {
			i += sizeof(anon) - 2;
			continue;
		}
		name[i] = '\0';
		return i;
	}
	return len;
}

char *demangle_symbol(const char *name)
{
	char *out;

	/* only Itanium C++ and Rust manglings: anything else would be a wasted allocation */
	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	if (strnlen(name, DEMANGLE_MAX_INPUT) >= DEMANGLE_MAX_INPUT)
		return NULL;
	/*
	 * No DMGL_PARAMS: no parameter lists or return types.  The style is
	 * libiberty's default, automatic, which tries Rust before C++ (legacy
	 * Rust symbols are valid C++ manglings too).
	 */
	out = cplus_demangle(name, DMGL_ANSI);
	if (!out)
		return NULL;
	if (!demangle_cut_params(out, strlen(out)) || !out[0]) {
		free(out);
		return NULL;
	}
	return out;
}
