/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_SEARCH_H
#define FLAMESAMP_COMMON_SEARCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * How many of the @n elements of @base (@stride bytes apart, each starting
 * with a uint64_t key, sorted by it) have a key <= @key: the upper bound of
 * a binary search, searched outwards from *@hint, which is then set to the
 * answer.  Keys looked up in increasing order move the answer a few
 * elements at a time: a handful of reads near the last ones instead of a
 * search over the whole array, whose last steps are cache misses on a large
 * one.  Any hint gives the same answer, in O(log n) at worst.
 */
static inline size_t fs_count_at_or_below(const void *base, size_t stride, size_t n, uint64_t key,
					  size_t *hint)
{
#define FS_KEY(i) (*(const uint64_t *)((const char *)base + (i)*stride))
	size_t lo, hi, step = 1, h = *hint;

	if (h < n && FS_KEY(h) <= key) {
		/* the answer is past h: gallop forwards */
		lo = h + 1;
		while (lo + step - 1 < n && FS_KEY(lo + step - 1) <= key) {
			lo += step;
			step *= 2;
		}
		hi = lo + step - 1 < n ? lo + step - 1 : n;
	} else {
		/* the answer is h at most: gallop backwards */
		hi = h < n ? h : n;
		while (hi >= step && FS_KEY(hi - step) > key) {
			hi -= step;
			step *= 2;
		}
		lo = hi >= step ? hi - step + 1 : 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (FS_KEY(mid) <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
#undef FS_KEY
	*hint = lo;
	return lo;
}

#endif
