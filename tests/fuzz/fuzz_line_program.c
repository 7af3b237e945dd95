// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: a DWARF line number program from any bytes.  The input
 * is .debug_line (programs at offset 0 and at the offset its first 2 bytes
 * name), and also .debug_line_str and .debug_str, so that string offsets
 * land in it; both word sizes and byte orders are tried.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "symbolize/line_program.h"

static void decode(const struct line_sections *s, uint64_t offset, unsigned int addr_size)
{
	struct line_table t;
	uint64_t sum = 0;
	size_t i;

	if (line_program__decode(s, offset, "/comp/dir", addr_size, NULL, &t))
		return;
	for (i = 0; i < t.nrows; i++)
		sum += t.rows[i].addr + t.rows[i].line + t.rows[i].file;
	__asm__ volatile("" : : "r"(sum));
	for (i = 0; i < t.nfiles; i++)
		if (t.files[i])
			(void)strlen(t.files[i]);
	line_table__release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_sections s = {
		.line = data,
		.line_size = size,
		.line_str = data,
		.line_str_size = size,
		.str = data,
		.str_size = size,
	};
	uint64_t second = size >= 2 ? (uint64_t)(data[0] | data[1] << 8) : 0;

	decode(&s, 0, 8);
	decode(&s, second, 4);
	s.big_endian = 1;
	decode(&s, 0, 8);
	return 0;
}
