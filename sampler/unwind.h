/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_UNWIND_H
#define FLAMESAMP_SAMPLER_UNWIND_H

/*
 * The unwinding step: one sample's raw data in, frames out (leaf first),
 * resolved to (mapped file, offset) against the process table at the time of
 * the sample.  The sampler calls it through struct unwinder so another method
 * (DWARF CFI on a copy of the user stack) can replace the frame-pointer one
 * without touching ring reading or record ordering.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sampler/process_table.h"
#include "sampler/sampler.h"

/* What the kernel recorded for one sample. */
struct unwind_input {
	pid_t pid, tid;
	uint64_t ip;
	const uint64_t *callchain; /* PERF_SAMPLE_CALLCHAIN, with context markers */
	uint64_t nr_callchain;
};

struct unwinder {
	/*
	 * Write up to @max frames of @in to @out; returns how many.  Never fails:
	 * what cannot be unwound is left out or ends in a DSO_UNKNOWN frame.
	 */
	size_t (*unwind)(struct unwinder *u, const struct unwind_input *in,
			 struct process_table *pt, struct sampler_frame *out, size_t max);
	bool include_kernel;
};

/*
 * Frame pointers: the kernel already walked the stacks (PERF_SAMPLE_CALLCHAIN,
 * kernel part then user part); this only resolves each address.
 */
void unwinder_init_frame_pointer(struct unwinder *u, bool include_kernel);

#endif
