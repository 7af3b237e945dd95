/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_ELF_SYMBOLS_H
#define FLAMESAMP_SYMBOLIZE_ELF_SYMBOLS_H

/*
 * The function symbols of one ELF file (executable or shared object), with
 * the PT_LOAD program headers that turn a file offset into an ELF virtual
 * address.
 *
 * Symbols come from .symtab when it holds any function, else from .dynsym
 * (stripped libraries).  Kept: STT_FUNC and STT_GNU_IFUNC symbols in an
 * allocated section, and STT_NOTYPE symbols in an executable section (entry
 * points written in assembly often carry no type); never undefined, absolute
 * or nameless symbols, nor assembler-local ".L" labels or "$x"-style ARM
 * mapping symbols.
 *
 * Which symbol covers an address:
 *   - a symbol with a size covers [value, value + size); when sized symbols
 *     overlap, the one that starts last (the innermost) wins;
 *   - a symbol of size 0 covers from its value up to the next symbol's value,
 *     never past the end of its section, and only where no sized symbol
 *     covers the address;
 *   - of several symbols at one address, the name shown is the GLOBAL one,
 *     else the WEAK one, else the LOCAL one (then sized before size 0, then
 *     symbol table order); the group covers what its largest sized member
 *     covers, or, when none has a size, what a size-0 symbol would.
 * Lookups are one binary search: the covering rules are resolved at load
 * time into a sorted list of address ranges.
 *
 * The file is read with pread() (no mapping is kept, so a file truncated
 * later cannot fault) and closed before the constructor returns; names are
 * copied into one string table per file.  Everything in the file is
 * untrusted: out-of-range offsets, unterminated names and absurd sizes make
 * a symbol or the whole file unusable, never a crash.
 *
 * An elf_symbols is immutable once built: lookups may run from several
 * threads at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_symbols;

/* NULL and errno (ENOEXEC for anything that is not a usable ELF file) on failure. */
struct elf_symbols *elf_symbols__open(const char *path);
/* As elf_symbols__open(), from @fd, which stays owned by the caller. */
struct elf_symbols *elf_symbols__open_fd(int fd);
/* From an ELF image in memory (the vDSO, fuzzing); @image is only read, and not kept. */
struct elf_symbols *elf_symbols__from_memory(const void *image, size_t size);
void elf_symbols__free(struct elf_symbols *es);

/*
 * Symbols from a separate debug file: the .symtab of @debug_fd, placed with
 * the PT_LOAD headers of the binary @fd (a debug file's program headers may
 * differ from the binary's or be absent).  No check that the two belong
 * together: the caller verifies the build-id or the debug link CRC.  When
 * @debug_fd has no usable .symtab, the result has no symbols.  Both
 * descriptors stay owned by the caller.  NULL and errno on failure, as
 * elf_symbols__open().
 */
struct elf_symbols *elf_symbols__open_fd_debug(int fd, int debug_fd);
/*
 * MiniDebugInfo: the .dynsym of the binary @fd together with the .symtab of
 * @image, the decompressed ELF file of its .gnu_debugdata section (that
 * table holds only what .dynsym lacks, mostly local functions).  Placed with
 * @fd's PT_LOAD headers.  @image is only read, and not kept.
 */
struct elf_symbols *elf_symbols__open_fd_minidebug(int fd, const void *image, size_t size);

/*
 * The ELF virtual address of the byte at @offset in the file: 0 and *vaddr,
 * or -ENOENT when no PT_LOAD segment maps that byte.
 */
int elf_symbols__offset_to_vaddr(const struct elf_symbols *es, uint64_t offset, uint64_t *vaddr);

/* Index of the symbol covering @vaddr, or -1. */
long elf_symbols__find(const struct elf_symbols *es, uint64_t vaddr);
/*
 * The same, searched from *@hint (0 or what the last call left there; the
 * caller owns it): much faster on addresses in increasing order.
 */
long elf_symbols__find_near(const struct elf_symbols *es, uint64_t vaddr, size_t *hint);

/* Number of distinct symbol addresses kept; indexes run from 0 to count - 1. */
size_t elf_symbols__count(const struct elf_symbols *es);
/* Raw (mangled) name of symbol @idx, NUL-terminated; valid until elf_symbols__free(). */
const char *elf_symbols__name(const struct elf_symbols *es, size_t idx);
/* The same, and its length in *@len. */
const char *elf_symbols__name_len(const struct elf_symbols *es, size_t idx, size_t *len);
/* Start address of symbol @idx. */
uint64_t elf_symbols__addr(const struct elf_symbols *es, size_t idx);
/* Memory the tables take, in bytes. */
size_t elf_symbols__memory(const struct elf_symbols *es);
/* Whether the symbols came from a .symtab, the file's or a debug file's (else .dynsym, or none). */
bool elf_symbols__from_symtab(const struct elf_symbols *es);

#endif
