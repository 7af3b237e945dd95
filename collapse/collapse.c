// SPDX-License-Identifier: Apache-2.0
/* Format names, default options and the dispatcher of the importers. */
#include "collapse/collapse.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

static const char *const format_names[] = {
	[COLLAPSE_AUTO] = "auto",   [COLLAPSE_PERF] = "perf",	      [COLLAPSE_V8] = "v8",
	[COLLAPSE_PPROF] = "pprof", [COLLAPSE_BPFTRACE] = "bpftrace", [COLLAPSE_FOLDED] = "folded",
};

#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

int collapse_format__parse(const char *name, enum collapse_format *fmt)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++) {
		if (!strcmp(name, format_names[i])) {
			*fmt = (enum collapse_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *collapse_format__name(enum collapse_format fmt)
{
	if ((size_t)fmt >= NFORMATS)
		return "unknown";
	return format_names[fmt];
}

void collapse_options__init(struct collapse_options *opts)
{
	/* every option off: the defaults of the tools the importers follow */
	memset(opts, 0, sizeof(*opts));
}

int collapse(enum collapse_format fmt, const char *data, size_t len,
	     const struct collapse_options *opts, struct stack_counts *out,
	     struct collapse_stats *stats)
{
	if (fmt == COLLAPSE_AUTO) {
		fmt = collapse_format__detect(data, len);
		if (fmt == COLLAPSE_AUTO) {
			fs_warn("cannot tell the input format "
				"(perf, v8, pprof, bpftrace or folded)");
			return -EINVAL;
		}
	}
	switch (fmt) {
	case COLLAPSE_PERF:
		return collapse_perf(data, len, opts, out, stats);
	case COLLAPSE_V8:
		return collapse_v8(data, len, opts, out, stats);
	case COLLAPSE_PPROF:
		return collapse_pprof(data, len, opts, out, stats);
	case COLLAPSE_BPFTRACE:
		return collapse_bpftrace(data, len, opts, out, stats);
	case COLLAPSE_FOLDED:
		return collapse_folded(data, len, opts, out, stats);
	case COLLAPSE_AUTO:
		break;
	}
	return -EINVAL;
}
