// SPDX-License-Identifier: Apache-2.0
#include "common/u64_map.h"

#include <stdlib.h>

#include "common/hash.h"
#include "common/xalloc.h"

static size_t slot_of(const struct u64_map *m, uint64_t key)
{
	return fs_hash_mix(key) & m->mask;
}

void u64_map__release(struct u64_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->count = 0;
}

void *u64_map__get(const struct u64_map *m, uint64_t key)
{
	size_t i;

	if (!m->slots)
		return NULL;
	for (i = slot_of(m, key); m->slots[i].value; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			return m->slots[i].value;
	return NULL;
}

static void grow(struct u64_map *m)
{
	struct u64_map old = *m;
	size_t i;

	m->mask = old.slots ? old.mask * 2 + 1 : 63;
	m->slots = xcalloc(m->mask + 1, sizeof(*m->slots));
	m->count = 0;
	for (i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].value)
			u64_map__set(m, old.slots[i].key, old.slots[i].value);
	free(old.slots);
}

void u64_map__set(struct u64_map *m, uint64_t key, void *value)
{
	size_t i;

	/* keep the load under 3/4 */
	if (!m->slots || (m->count + 1) * 4 > (m->mask + 1) * 3)
		grow(m);
	for (i = slot_of(m, key); m->slots[i].value; i = (i + 1) & m->mask) {
		if (m->slots[i].key == key) {
			m->slots[i].value = value;
			return;
		}
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->count++;
}

void *u64_map__remove(struct u64_map *m, uint64_t key)
{
	size_t i, j;
	void *value;

	if (!m->slots)
		return NULL;
	for (i = slot_of(m, key); m->slots[i].value; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			break;
	value = m->slots[i].value;
	if (!value)
		return NULL;
	/* shift back the following entries that may not stay behind the hole */
	for (j = (i + 1) & m->mask; m->slots[j].value; j = (j + 1) & m->mask) {
		size_t home = slot_of(m, m->slots[j].key);

		/* the entry at j may move to i if its home is not in (i, j] cyclically */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].value = NULL;
	m->count--;
	return value;
}
