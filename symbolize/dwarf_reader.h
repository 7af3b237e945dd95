/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_DWARF_READER_H
#define FLAMESAMP_SYMBOLIZE_DWARF_READER_H

/*
 * .debug_info read without libdw, for dwarf_info's indexes: the unit
 * headers, the abbreviations, and of the DIEs only what a lookup needs (the
 * functions with code, their ranges, names and call sites).
 *
 * libdw walks a DIE tree one call per DIE and attribute (dwarf_child,
 * dwarf_siblingof, dwarf_attr, each through a locked abbreviation hash),
 * rescans every subtree it has walked to find the next sibling, and reads
 * every DWARF section of the file when it opens it (location lists are
 * often the largest): on a large binary that was most of the time spent
 * indexing.  Here one pass over a unit's DIEs skips the attributes and
 * subtrees nothing asks for (a fixed size per abbreviation where it has
 * one, DW_AT_sibling where the producer gave it), and names are resolved
 * once per abstract origin.
 *
 * Every result is the one dwarf_info's libdw walk gives, or an error: what
 * this reader does not handle, or finds malformed, makes the caller index
 * that unit with libdw instead (-ENOTSUP, -EINVAL).  So the forms read are
 * the ones producers use (gcc, clang, DWARF 2 to 5, little-endian); split
 * DWARF, supplementary files (dwz's .gnu_debugaltlink), type signatures and
 * DW_FORM_indirect are left to libdw.  Every read is bounds-checked against
 * the unit or section it is in: no input makes this reader read outside the
 * sections it is given.
 *
 * Strings returned (names, directories) point into the sections, which the
 * caller keeps for as long as it uses them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dwarf_section {
	const uint8_t *data;
	size_t size;
};

/* The sections read, uncompressed; absent ones empty.  Little-endian only. */
struct dwarf_sections {
	struct dwarf_section info, abbrev, str, line_str, addr, str_offsets, ranges, rnglists, line;
};

/* One unit of .debug_info, from its header. */
struct dwarf_unit_header {
	uint64_t offset;	/* of the unit in .debug_info */
	uint64_t end;		/* past its last byte */
	uint64_t die;		/* its unit DIE */
	uint64_t abbrev_offset; /* its abbreviations in .debug_abbrev */
	uint16_t version;
	uint8_t unit_type; /* DW_UT_*; before DWARF 5, from the unit DIE's tag as libdw does */
	uint8_t address_size, offset_size;
};

/*
 * Every unit header of .debug_info into *@units (the caller frees it), in
 * section order: 0, or -ENOTSUP when a header is one libdw would read in a
 * way of its own (a truncated or unknown header, a version outside 2-5, an
 * address size other than 4 and 8, split DWARF units): the caller then
 * reads the whole file with libdw.
 */
int dwarf_reader__units(const struct dwarf_sections *s, struct dwarf_unit_header **units,
			size_t *n);

/* An address range [lo, hi); @node: the function it belongs to, or a unit index. */
struct dwarf_range {
	uint64_t lo, hi; /* lo first: searched by fs_count_at_or_below() */
	uint32_t node;
};

/* A subprogram or inlined_subroutine with code, in DIE order. */
struct dwarf_func {
	union {
		const char *name; /* dwarf_reader: its name, NULL when it has none */
		uint64_t die;	  /* dwarf_info's libdw walk: the DIE to name it by, later */
	};
	uint32_t end;	      /* index past this function's subtree */
	uint32_t range_first; /* its ranges: ranges[range_first, + range_count) */
	uint32_t range_count;
	uint32_t call_file; /* inlined_subroutine: the file of the call, or UINT32_MAX */
	uint32_t call_line;
};

/* The functions of one unit, in growable arrays the caller frees. */
struct dwarf_funcs {
	struct dwarf_func *funcs;
	size_t nfuncs, funcs_cap;
	struct dwarf_range *ranges; /* every function's ranges, by function */
	size_t nranges, ranges_cap;
	struct dwarf_range *top; /* the subprograms' ranges, in DIE order */
	size_t ntop, top_cap;
};

/* What dwarf_info reads from a compilation unit's DIE. */
struct dwarf_unit_info {
	bool has_stmt_list;
	uint64_t stmt_list; /* its line table in .debug_line */
	const char *comp_dir;
};

/*
 * A reader of the units @units (from dwarf_reader__units(), kept by the
 * caller, as are the sections).  One per thread: it caches the
 * abbreviation tables and names it reads.  Never NULL.
 */
struct dwarf_reader;
struct dwarf_reader *dwarf_reader__new(const struct dwarf_sections *s,
				       const struct dwarf_unit_header *units, size_t nunits);
void dwarf_reader__free(struct dwarf_reader *r);

/*
 * The address ranges of unit @unit's DIE, appended to *@ranges (growable,
 * capacity in *@cap) with node = @unit, empty ones left out, and its line
 * table and compilation directory into *@info.  0, or -ENOTSUP / -EINVAL.
 */
int dwarf_reader__unit(struct dwarf_reader *r, size_t unit, struct dwarf_unit_info *info,
		       struct dwarf_range **ranges, size_t *nranges, size_t *cap);

/*
 * The functions with code of unit @unit, appended to @out: every
 * subprogram with ranges, and inside one every inlined_subroutine with
 * ranges, found through lexical blocks, try and catch blocks, namespaces and
 * modules (other DIEs are not entered: types hold no code), at most @max_depth
 * levels deep; each named by its abstract origin (else itself): the mangled
 * linkage name when it has one that starts "_Z" or "_R", else DW_AT_name,
 * else any linkage name, following abstract origins and specifications.
 * 0, or -ENOTSUP / -EINVAL, and then @out may hold part of the unit.
 */
int dwarf_reader__functions(struct dwarf_reader *r, size_t unit, int max_depth,
			    struct dwarf_funcs *out);

#endif
