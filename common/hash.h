/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_HASH_H
#define FLAMESAMP_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A fast non-cryptographic 64-bit hash of a byte string: 8 bytes per step with
 * a multiply-xorshift mix.  Good distribution for hash tables; not for
 * anything an attacker could exploit beyond slowing a table down.
 */
static inline uint64_t fs_hash_mix(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

static inline uint64_t fs_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	uint64_t v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		h = (h ^ fs_hash_mix(v)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	if (len) {
		v = 0;
		memcpy(&v, p, len);
		h = (h ^ fs_hash_mix(v ^ len)) * 0x9e3779b97f4a7c15ULL;
	}
	return fs_hash_mix(h);
}

#endif
