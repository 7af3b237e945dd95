// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: collapse_perf() on any bytes, then the sorted folded
 * output; each input runs twice, with default options and with every
 * annotation option on (--tid, --kernel, --jit, --addrs), as their code
 * paths differ.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_input.h"

static void run(const char *data, size_t size, bool all)
{
	struct collapse_options opts;
	struct collapse_stats stats = {0};
	struct stack_counts *sc = stack_counts__new();
	FILE *out;

	collapse_options__init(&opts);
	opts.include_pid = opts.include_tid = opts.annotate_kernel = opts.annotate_jit =
		opts.include_addrs = all;
	if (collapse_perf(data, size, &opts, sc, &stats) == 0) {
		out = fopen("/dev/null", "w");
		if (out) {
			stack_counts__write(sc, out);
			fclose(out);
		}
	}
	stack_counts__free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_input__copy(data, size);

	run(copy, size, false);
	run(copy, size, true);
	free(copy);
	return 0;
}
