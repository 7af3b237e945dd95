// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: an ELF image from any bytes, then lookups at addresses
 * taken from the input and every name read to its end.  Seed the corpus with
 * small real binaries (a stripped shared object, a test program).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "symbolize/elf_symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_symbols *es = elf_symbols__from_memory(data, size);
	size_t i, n;

	if (!es)
		return 0;
	n = elf_symbols__count(es);
	for (i = 0; i < n; i++)
		(void)strlen(elf_symbols__name(es, i));
	for (i = 0; i + 8 <= size && i < 4096; i += 8) {
		uint64_t v, vaddr;
		long idx;

		memcpy(&v, data + i, sizeof(v));
		if (elf_symbols__offset_to_vaddr(es, v % (size + 1), &vaddr) == 0)
			idx = elf_symbols__find(es, vaddr);
		else
			idx = elf_symbols__find(es, v);
		if (idx >= 0 && (size_t)idx >= n)
			__builtin_trap();
	}
	elf_symbols__free(es);
	return 0;
}
