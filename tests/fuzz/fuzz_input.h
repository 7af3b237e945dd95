/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_TESTS_FUZZ_FUZZ_INPUT_H
#define FLAMESAMP_TESTS_FUZZ_FUZZ_INPUT_H

/*
 * Shared by the libFuzzer targets: importers may read data[len] (the API
 * promises a '\0' there), and libFuzzer's buffer ends exactly at @size, so
 * every target works on a NUL-terminated copy.  The caller frees it.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collapse/collapse.h"
#include "collapse/stack_counts.h"

static inline char *fuzz_input__copy(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);

	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

/*
 * Run one importer on @data with default options, then write the result to
 * /dev/null so the sorting and number printing run as well.
 */
typedef int (*fuzz_importer)(const char *data, size_t len, const struct collapse_options *opts,
			     struct stack_counts *out, struct collapse_stats *stats);

static inline void fuzz_input__collapse(fuzz_importer importer, const uint8_t *data, size_t size)
{
	struct collapse_options opts;
	struct collapse_stats stats = {0};
	struct stack_counts *sc = stack_counts__new();
	char *copy = fuzz_input__copy(data, size);
	FILE *out = fopen("/dev/null", "w");

	collapse_options__init(&opts);
	if (importer(copy, size, &opts, sc, &stats) == 0 && out)
		stack_counts__write(sc, out);
	if (out)
		fclose(out);
	stack_counts__free(sc);
	free(copy);
}

#endif
