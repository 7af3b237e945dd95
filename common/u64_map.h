/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_U64_MAP_H
#define FLAMESAMP_COMMON_U64_MAP_H

/*
 * An open-addressing hash map from 64-bit keys (pids, addresses) to pointers.
 * Any key is valid, 0 included.  Removal uses backward-shift deletion, so
 * there are no tombstones and lookups stay short after many removals.
 * The map does not own the values.  Not thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

struct u64_map {
	struct u64_map_slot {
		uint64_t key;
		void *value; /* NULL: the slot is empty */
	} * slots;
	size_t mask, count;
};

/* A zeroed struct u64_map is an empty map. */
void u64_map__release(struct u64_map *m);

/* The value stored for @key, or NULL. */
void *u64_map__get(const struct u64_map *m, uint64_t key);
/* Store @value (not NULL) for @key, replacing any previous value. */
void u64_map__set(struct u64_map *m, uint64_t key, void *value);
/* Remove @key; returns its value or NULL. */
void *u64_map__remove(struct u64_map *m, uint64_t key);

/* Iterate: for (i = 0; i <= m->mask && m->slots; i++) if (m->slots[i].value) ... */

#endif
