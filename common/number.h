/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_NUMBER_H
#define FLAMESAMP_COMMON_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Room for any fs_format_count() result, NUL included. */
#define FS_COUNT_BUFSIZE 32

/*
 * Format a weight as the Perl tools print numbers: whole values below 2^53
 * as integers ("1234"), anything else with 15 significant digits ("%.15g",
 * Perl's default), so "0.5" stays "0.5" and sums print like perl's.
 * Returns the length written (buf is NUL-terminated).
 */
size_t fs_format_count(double v, char *buf, size_t size);

/* As fs_format_count(), with thousands separators in the integer part: "1,234,567". */
size_t fs_format_count_grouped(double v, char *buf, size_t size);

/* The bits @v needs: 0 for 0, 64 - leading zeros otherwise. */
static inline unsigned int fs_bit_width(uint64_t v)
{
	return v ? 64 - (unsigned int)__builtin_clzll(v) : 0;
}

/* Value of hexadecimal digit @c, or -1. */
static inline int fs_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
