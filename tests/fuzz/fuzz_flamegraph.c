// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: folded text parsing and flamegraph__write().
 *
 * The first two bytes pick the options (palette, colour source, layout,
 * min_width in percent, encoding, palette map); the rest is folded text.
 * The SVG goes to /dev/null: what is checked here is memory safety, UB and
 * that flamegraph__write() accepts every profile it is given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/palette.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flamegraph_options o;
	struct palette_map *map = NULL;
	struct folded_profile *p;
	uint8_t b0 = 0, b1 = 0;
	FILE *out;
	int err;

	if (size >= 2) {
		b0 = data[0];
		b1 = data[1];
		data += 2;
		size -= 2;
	}
	flamegraph_options__init(&o);
	o.palette = (enum fs_palette)(b0 % FS_PALETTE_COUNT);
	o.color_source = (enum flamegraph_color_source)((b0 >> 5) % 3);
	o.seed = 1; /* reproducible crashes */
	o.reverse = b1 & 1;
	o.inverted = b1 & 2;
	o.flamechart = b1 & 4;
	o.negate = b1 & 8;
	if (b1 & 16) {
		o.min_width = 0.5;
		o.min_width_percent = true;
	}
	if (b1 & 32)
		o.encoding = "ISO-8859-1";
	if (b1 & 64)
		map = palette_map__new();
	o.palette_map = map;
	if (b1 & 128)
		o.total = 1e6;

	p = folded_profile__new(o.flamechart ? FOLDED_KEEP_ORDER : 0);
	folded_profile__add_text(p, (const char *)data, size);
	out = fopen("/dev/null", "w");
	if (!out)
		abort();
	err = flamegraph__write(p, &o, out, NULL);
	/* the options are valid and /dev/null takes every write */
	if (err)
		abort();
	fclose(out);
	folded_profile__free(p);
	palette_map__free(map);
	return 0;
}
