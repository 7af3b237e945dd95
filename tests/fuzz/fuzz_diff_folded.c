// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: diff_folded with the first half of the input as BEFORE and
 * the second as AFTER.  The first byte picks the options, so -n and -s are
 * fuzzed too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "collapse/diff_folded.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diff_folded_options opts = {0};
	struct diff_folded *df;
	char *copy;
	size_t half;
	FILE *out;

	if (size > 0) {
		opts.normalize = data[0] & 1;
		opts.strip_hex = data[0] & 2;
		data++;
		size--;
	}
	copy = fuzz_input__copy(data, size);
	half = size / 2;
	df = diff_folded__new(&opts);
	if (diff_folded__add(df, DIFF_BEFORE, copy, half, "before") == 0 &&
	    diff_folded__add(df, DIFF_AFTER, copy + half, size - half, "after") == 0) {
		out = fopen("/dev/null", "w");
		if (out) {
			diff_folded__write(df, out);
			fclose(out);
		}
	}
	diff_folded__free(df);
	free(copy);
	return 0;
}
