// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: collapse_format__detect() on any bytes, then the
 * importer it picks (the path `flamesamp collapse` takes without --format).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collapse_options opts;
	struct collapse_stats stats = {0};
	struct stack_counts *sc = stack_counts__new();
	char *copy = fuzz_input__copy(data, size);
	enum collapse_format fmt = collapse_format__detect(copy, size);

	if (fmt != COLLAPSE_AUTO && !collapse_format__name(fmt))
		abort();
	collapse_options__init(&opts);
	collapse(COLLAPSE_AUTO, copy, size, &opts, sc, &stats);
	stack_counts__free(sc);
	free(copy);
	return 0;
}
