// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: a stripped binary's symbols from any bytes, through
 * debug_file: its build-id and .gnu_debuglink notes (looked up under a
 * directory that does not exist), then its MiniDebugInfo (.gnu_debugdata,
 * xz-decompressed and merged with .dynsym), then lookups at addresses read
 * from the input.  The input is written to a memfd, since debug_file reads
 * a descriptor.  Seed the corpus with binaries that carry .gnu_debugdata
 * (tests/test_debug_file.c shows how to make one).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/debug_file.h"
#include "symbolize/elf_symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_symbols *es;
	size_t i, off;
	int fd;

	/* nothing here may reach a symbol server */
	unsetenv("DEBUGINFOD_URLS");
	fd = memfd_create("fuzz-debug-file", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	for (off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return 0;
		}
		off += (size_t)n;
	}
	es = debug_file__load_symbols(fd, "/nonexistent/fuzz/prog", 0, "/nonexistent/debug");
	close(fd);
	if (!es)
		return 0;
	for (i = 0; i + 8 <= size && i < 4096; i += 8) {
		uint64_t addr;
		long idx;

		memcpy(&addr, data + i, sizeof(addr));
		idx = elf_symbols__find(es, addr);
		if (idx >= 0)
			(void)strlen(elf_symbols__name(es, (size_t)idx));
	}
	elf_symbols__free(es);
	return 0;
}
