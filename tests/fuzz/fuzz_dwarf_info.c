// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the DWARF of an ELF file from any bytes (written to a
 * memfd, since dwarf_info reads a descriptor), then prepare() on a spread of
 * addresses, on two threads, and lookups at 64 addresses taken from the
 * input, every returned string read to its end.  Seed the corpus with small
 * binaries built -O2 -g (tests/programs/inline_split.c) and their
 * objcopy --only-keep-debug files.
 *
 * Addresses: half are 8-byte words read across the input (DWARF holds its
 * own low_pc values, so some of them hit real ranges), half lie around the
 * ELF entry point, where a compiler puts .text.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/dwarf_info.h"

#define LOOKUPS	   64
#define MAX_FRAMES 16

static uint64_t word_at(const uint8_t *data, size_t size, size_t off)
{
	uint64_t v = 0;

	if (off + sizeof(v) <= size)
		memcpy(&v, data + off, sizeof(v));
	return v;
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addrs[2 * LOOKUPS], entry;
	struct dwarf_location out[MAX_FRAMES];
	struct dwarf_info *di;
	size_t i, k, n, chars = 0;
	int fd;

	fd = memfd_create("fuzz_dwarf_info", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (write_all(fd, data, size) < 0)
		abort();
	di = dwarf_info__open(fd); /* takes fd, on failure too */
	if (!di)
		return 0;
	/* e_entry of a 64-bit ELF header; whatever is there otherwise */
	entry = word_at(data, size, 24);
	for (i = 0; i < LOOKUPS; i++) {
		size_t off = size > 8 ? i * (size - 8) / LOOKUPS : 0;
		uint16_t delta = (uint16_t)word_at(data, size, off);

		addrs[i] = word_at(data, size, off);
		addrs[LOOKUPS + i] = entry - 0x8000 + delta;
	}
	/* prepare a spread around the entry point and half of the addresses looked up */
	{
		uint64_t spread[LOOKUPS + LOOKUPS / 2];

		for (i = 0; i < LOOKUPS; i++)
			spread[i] = entry - 0x8000 + i * 0x400;
		memcpy(spread + LOOKUPS, addrs + LOOKUPS / 2, LOOKUPS / 2 * sizeof(*addrs));
		dwarf_info__prepare(di, spread, sizeof(spread) / sizeof(*spread), 2);
	}
	for (i = 0; i < 2 * LOOKUPS; i++) {
		n = dwarf_info__lookup(di, addrs[i], i % 2 == 0, out, MAX_FRAMES);
		if (n > MAX_FRAMES || (i % 2 && n > 1))
			__builtin_trap();
		for (k = 0; k < n; k++)
			chars += (out[k].name ? strlen(out[k].name) : 0) +
				 (out[k].file ? strlen(out[k].file) : 0);
	}
	(void)dwarf_info__memory(di);
	(void)dwarf_info__units_indexed(di);
	/* dropped and built again: the same units, through the lazy path this time */
	dwarf_info__drop_indexes(di);
	for (i = 0; i < LOOKUPS; i += 4)
		(void)dwarf_info__lookup(di, addrs[LOOKUPS + i], true, out, MAX_FRAMES);
	dwarf_info__free(di);
	(void)chars;
	return 0;
}
