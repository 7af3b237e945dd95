/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_DWARF_INFO_H
#define FLAMESAMP_SYMBOLIZE_DWARF_INFO_H

/*
 * Source lines and inline frames from one ELF file's DWARF (.debug_info and
 * .debug_line).
 *
 * libdw answers one address at a time by walking a compilation unit's DIE
 * tree (dwarf_getscopes), which is what makes eu-addr2line cost milliseconds
 * per address on a large binary.  Here each compilation unit is indexed
 * once, on the first address that falls in it, into flat sorted arrays:
 *   - its line table: (address, file, line) rows;
 *   - its functions: every subprogram and inlined_subroutine with code, in
 *     DIE order with the index past its subtree, so the chain of inlined
 *     calls at an address is a search over the unit's subprograms then a
 *     walk down the few children that contain the address.
 * Which unit holds an address comes from the units' own ranges
 * (DW_AT_ranges / low_pc-high_pc of the unit DIE), read when the file is
 * opened; in a file where no unit has any, from the units' functions.
 * Partial units (dwz) and type units hold no code and are not indexed.
 * Searches start where the last lookup ended: addresses looked up in
 * increasing order cost a few reads each.
 *
 * The DIEs are read by dwarf_reader.h (the line tables by line_program.h),
 * which gives what libdw's walk of the same DIEs gives; libdw reads the
 * units dwarf_reader cannot, and whole files in layouts it does not handle
 * (split DWARF, dwz supplementary files, big-endian...).  Setting
 * FLAMESAMP_DWARF_LIBDW in the environment makes libdw read everything
 * (tests compare the two).  Function names are the DIEs' (mangled where
 * they are), read once per abstract origin.
 *
 * Many addresses at once (dwarf_info__prepare) index the units they need
 * on several threads, each with its own reader on the same sections: the
 * indexing is the cost, the lookups are cheap.
 *
 * The file is read with pread (libelf's ELF_C_READ), so a file truncated
 * while open gives errors, never SIGBUS; its descriptor stays open until
 * dwarf_info__free().  Only the sections read are read: libdw reads all of
 * them (location lists, often the largest) when it starts, so it is started
 * only for what needs it.  DWARF is untrusted input: dwarf_reader and the
 * line decoder bound every read, libdw validates forms and offsets; a file
 * whose string sections do not end in a NUL is refused (libdw 0.188 would
 * read past them).  What is rejected in one unit leaves that unit without
 * lines or frames, not the others.
 *
 * Not thread-safe, apart from what dwarf_info__prepare() does inside.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dwarf_info;

/*
 * The DWARF of the ELF file open at @fd, which the dwarf_info takes over
 * (closed on failure too).  NULL and errno (ENOENT: no .debug_info) when
 * there is nothing to use.
 */
struct dwarf_info *dwarf_info__open(int fd);
void dwarf_info__free(struct dwarf_info *di);

struct dwarf_location {
	const char *name;  /* mangled linkage name (_Z, _R) when the DIE has one, else DW_AT_name */
	const char *file;  /* as the line table names it, usually absolute; or NULL */
	unsigned int line; /* 0: unknown */
};

/*
 * The functions at ELF virtual address @addr, innermost first: out[0] is
 * the innermost inlined function with the line of @addr, each next one the
 * function it was inlined into with the line of that call, the last the
 * subprogram (never inlined).  With @inlines false, only one location: the
 * innermost function's name with the line of @addr, as addr2line without
 * -i.  At most @max are filled, keeping the outermost ones.  Returns the
 * count, 0 when no unit covers @addr.  When a unit covers @addr but no
 * function does, one location without a name.  Strings stay valid until
 * dwarf_info__drop_indexes() or dwarf_info__free().
 */
size_t dwarf_info__lookup(struct dwarf_info *di, uint64_t addr, bool inlines,
			  struct dwarf_location *out, size_t max);

/* Index now, on up to @threads threads, the units covering the @n addresses. */
void dwarf_info__prepare(struct dwarf_info *di, const uint64_t *addrs, size_t n,
			 unsigned int threads);

/* Memory held by the indexes and names (bytes), and the number of units indexed. */
size_t dwarf_info__memory(const struct dwarf_info *di);
size_t dwarf_info__units_indexed(const struct dwarf_info *di);
/*
 * Of the units indexed so far, how many libdw read (dwarf_reader could not);
 * every unit of a file left to libdw as a whole.  For tests and diagnostics.
 */
size_t dwarf_info__units_by_libdw(const struct dwarf_info *di);

/* How recently an indexed unit was used (a clock shared by every dwarf_info) and its size. */
struct dwarf_unit_use {
	uint64_t last_use;
	size_t bytes;
};

/*
 * The uses of the units indexed now, into @uses (room for
 * dwarf_info__units_indexed() entries); returns how many.
 */
size_t dwarf_info__unit_uses(const struct dwarf_info *di, struct dwarf_unit_use *uses);

/*
 * Free the index of every unit last used before @since (built again when
 * needed): what memory limits drop first.  Returns the bytes freed.  The
 * strings lookups returned stay valid: names and file names belong to the
 * dwarf_info, not to its units.
 */
size_t dwarf_info__drop_unused_since(struct dwarf_info *di, uint64_t since);

/* Free every unit's index and the names (they are built again when needed). */
void dwarf_info__drop_indexes(struct dwarf_info *di);

#endif
