/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COLLAPSE_COLLAPSE_H
#define FLAMESAMP_COLLAPSE_COLLAPSE_H

/*
 * Importers: other tools' profiles to folded stacks.
 *
 * Each importer reads one whole input held in memory (@data, @len bytes,
 * with data[len] == '\0' so parsers may look one byte past the end) and adds
 * its stacks to a stack_counts table, which the caller writes out sorted.
 * Several inputs may be added to the same table to merge them.
 *
 * Return 0, or -errno: -EINVAL for input that is not in the format (with a
 * fs_warn() line saying where and why), -ENOMEM is never returned (xalloc).
 * Lines an importer skips as its peer tool does are counted in
 * collapse_stats.skipped_lines, not errors.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collapse/stack_counts.h"

enum collapse_format {
	COLLAPSE_AUTO,
	COLLAPSE_PERF,	   /* `perf script` text */
	COLLAPSE_V8,	   /* Chrome / Node.js .cpuprofile JSON */
	COLLAPSE_PPROF,	   /* pprof protobuf, gzipped or not */
	COLLAPSE_BPFTRACE, /* bpftrace map output: @[kstack, ustack, comm] = count */
	COLLAPSE_FOLDED,   /* folded stacks: normalise and merge */
};

/* Parse a format name ("perf", "v8", ...). 0, or -EINVAL for an unknown name. */
int collapse_format__parse(const char *name, enum collapse_format *fmt);
const char *collapse_format__name(enum collapse_format fmt);
/* Guess the format of @data from its content; COLLAPSE_AUTO when unsure. */
enum collapse_format collapse_format__detect(const char *data, size_t len);

struct collapse_options {
	/* perf: the options of stackcollapse-perf.pl */
	bool include_pid;	  /* --pid: "comm-PID" as the first frame */
	bool include_tid;	  /* --tid: "comm-PID/TID" */
	bool annotate_kernel;	  /* --kernel: "_[k]" on kernel frames */
	bool annotate_jit;	  /* --jit: "_[j]" on JIT frames */
	bool include_addrs;	  /* --addrs: raw addresses for unknown symbols */
	const char *event_filter; /* --event-filter: only this event; NULL = the first seen */
	/* pprof */
	const char *sample_type;  /* --sample-type: name (e.g. "cpu"); NULL = the first type */
	size_t max_inflated_size; /* cap on gunzipped input (bytes); 0 = 1 GiB */
};

struct collapse_stats {
	uint64_t samples;	/* stacks read */
	uint64_t skipped_lines; /* lines ignored as the peer tool ignores them */
};

void collapse_options__init(struct collapse_options *opts);

/* Dispatch on @fmt (COLLAPSE_AUTO detects, -EINVAL if it cannot tell). */
int collapse(enum collapse_format fmt, const char *data, size_t len,
	     const struct collapse_options *opts, struct stack_counts *out,
	     struct collapse_stats *stats);

int collapse_perf(const char *data, size_t len, const struct collapse_options *opts,
		  struct stack_counts *out, struct collapse_stats *stats);
int collapse_v8(const char *data, size_t len, const struct collapse_options *opts,
		struct stack_counts *out, struct collapse_stats *stats);
int collapse_pprof(const char *data, size_t len, const struct collapse_options *opts,
		   struct stack_counts *out, struct collapse_stats *stats);
int collapse_bpftrace(const char *data, size_t len, const struct collapse_options *opts,
		      struct stack_counts *out, struct collapse_stats *stats);
int collapse_folded(const char *data, size_t len, const struct collapse_options *opts,
		    struct stack_counts *out, struct collapse_stats *stats);

#endif
