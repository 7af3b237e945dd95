// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: a JIT perf map (/tmp/perf-PID.map) and a jitdump from any bytes, then lookups.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "symbolize/perf_map.h"

static void lookups(const struct perf_map *map, const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i + 8 <= size && i < 4096; i += 8) {
		uint64_t addr;
		const char *name;

		memcpy(&addr, data + i, sizeof(addr));
		name = perf_map__find(map, addr);
		if (name)
			(void)strlen(name);
	}
	(void)perf_map__count(map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map *map = perf_map__parse((const char *)data, size);

	lookups(map, data, size);
	perf_map__free(map);
	map = perf_map__parse_jitdump(data, size);
	lookups(map, data, size);
	perf_map__free(map);
	return 0;
}
