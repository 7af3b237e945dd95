/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_LINE_PROGRAM_H
#define FLAMESAMP_SYMBOLIZE_LINE_PROGRAM_H

/*
 * A decoder for one DWARF line number program (.debug_line, DWARF 2 to 5),
 * straight into the compact rows dwarf_info looks addresses up in.
 *
 * libdw's dwarf_getsrclines() builds a 40-byte Dwarf_Line per row, sorts
 * them and keeps them for the life of the Dwarf: on a large binary that is
 * most of the time spent indexing (measured in bench/bench-symbolize.sh).
 * This decoder keeps only what a lookup needs, with each sequence's rows
 * in order and the sequences sorted by address.
 *
 * What it does not handle (VLIW op_index, directory and file entries in
 * forms other than strings, string offsets and constants, standard opcodes
 * with other operand counts, DWARF 6) makes it return -ENOTSUP; what is
 * malformed gives -EINVAL.  No read ever leaves the sections given.
 */

#include <stddef.h>
#include <stdint.h>

/* NO_FILE in a row ends a sequence: no line there. */
#define LINE_ROW_END UINT32_MAX

struct line_row {
	uint64_t addr;
	uint32_t file; /* index into the table's files; LINE_ROW_END ends a sequence */
	uint32_t line;
};

struct line_table {
	struct line_row *rows;
	size_t nrows;
	char **files; /* full paths (directory joined), NULL where unnamed */
	size_t nfiles;
};

struct line_sections {
	const uint8_t *line; /* .debug_line */
	size_t line_size;
	const uint8_t *line_str; /* .debug_line_str, or NULL */
	size_t line_str_size;
	const uint8_t *str; /* .debug_str, or NULL */
	size_t str_size;
	int big_endian;
};

/*
 * Room for rows that decoding reuses from one table to the next, one per
 * thread (zeroed to start; line_scratch__release() at the end): a table is
 * decoded into it, and only its final rows are allocated.
 */
struct line_scratch {
	struct line_row *rows;
	size_t cap;
};

void line_scratch__release(struct line_scratch *scratch);

/*
 * Decode the program at @offset of .debug_line for a unit whose
 * DW_AT_comp_dir is @comp_dir (NULL when absent) and whose addresses are
 * @addr_size bytes, in @scratch (NULL: fresh memory).  0 and *@out (free
 * with line_table__release), or -ENOTSUP / -EINVAL with *@out empty.
 */
int line_program__decode(const struct line_sections *s, uint64_t offset, const char *comp_dir,
			 unsigned int addr_size, struct line_scratch *scratch,
			 struct line_table *out);
void line_table__release(struct line_table *t);

#endif
