// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: collapse_folded() on any bytes, then the sorted folded output. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input__collapse(collapse_folded, data, size);
	return 0;
}
