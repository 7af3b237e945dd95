// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: kallsyms text from any bytes, then lookups at addresses from the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "symbolize/kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kallsyms *ks = kallsyms__parse((const char *)data, size);
	size_t i, n;

	if (!ks)
		return 0;
	n = kallsyms__count(ks);
	for (i = 0; i < n; i++) {
		const char *module = kallsyms__module(ks, i);

		(void)strlen(kallsyms__name(ks, i));
		if (module)
			(void)strlen(module);
	}
	for (i = 0; i + 8 <= size && i < 4096; i += 8) {
		uint64_t addr;
		long idx;

		memcpy(&addr, data + i, sizeof(addr));
		idx = kallsyms__find(ks, addr);
		if (idx >= 0 && (size_t)idx >= n)
			__builtin_trap();
	}
	kallsyms__free(ks);
	return 0;
}
