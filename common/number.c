// SPDX-License-Identifier: Apache-2.0
#include "common/number.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */

size_t fs_format_count(double v, char *buf, size_t size)
{
	int n;

	if (v == floor(v) && fabs(v) < EXACT_INT_LIMIT)
		n = snprintf(buf, size, "%.0f", v);
	else
		n = snprintf(buf, size, "%.15g", v);
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

size_t fs_format_count_grouped(double v, char *buf, size_t size)
{
	char plain[FS_COUNT_BUFSIZE];
	size_t len = fs_format_count(v, plain, sizeof(plain));
	size_t digits = 0, start = 0, out = 0, i;

	/* only a plain [-]digits[.digits] number gets separators, not 1e+20 */
	if (strpbrk(plain, "eEn"))
		goto copy;
	if (plain[0] == '-')
		start = 1;
	while (start + digits < len && plain[start + digits] != '.')
		digits++;
	for (i = 0; i < len && out + 1 < size; i++) {
		buf[out++] = plain[i];
		if (i >= start && i < start + digits - 1 && (start + digits - 1 - i) % 3 == 0 &&
		    out + 1 < size)
			buf[out++] = ',';
	}
	buf[out] = '\0';
	return out;
copy:
	snprintf(buf, size, "%s", plain);
	return strlen(buf);
}
