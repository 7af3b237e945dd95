/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_TESTS_ELF_OFFSETS_H
#define FLAMESAMP_TESTS_ELF_OFFSETS_H

/*
 * For symbolizer tests: where an ELF virtual address of a fixture lies in its
 * file, as a mapping of it would give the sampler (through PT_LOAD).  Fails
 * the test (cmocka assertions) when no PT_LOAD maps it.  Include after
 * <cmocka.h>.
 */

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

/* The file offset of ELF virtual address @vaddr of @path, through its PT_LOAD headers. */
static inline uint64_t offset_of_vaddr(const char *path, uint64_t vaddr)
{
	uint64_t off = 0;
	bool found = false;
	size_t i, phnum;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &phnum), 0);
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		assert_non_null(gelf_getphdr(elf, (int)i, &ph));
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr - ph.p_vaddr < ph.p_filesz) {
			off = vaddr - ph.p_vaddr + ph.p_offset;
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(found);
	return off;
}

#endif
