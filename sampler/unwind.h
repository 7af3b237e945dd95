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

#include <asm/perf_regs.h>

#include "sampler/process_table.h"
#include "sampler/sampler.h"

/* What the kernel recorded for one sample. */
struct unwind_input {
	pid_t pid, tid;
	uint64_t ip;
	const uint64_t *callchain; /* PERF_SAMPLE_CALLCHAIN, with context markers */
	uint64_t nr_callchain;

	/*
	 * PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER, when the call-graph
	 * mode asks for them.  has_user_regs is false for samples with no user
	 * context (kernel threads).  user_regs is indexed by enum
	 * perf_event_x86_regs (PERF_REG_X86_IP, _SP, _BP...); registers that
	 * were not sampled read 0.  stack is a copy of stack_size bytes of user
	 * memory starting at user_regs[PERF_REG_X86_SP] (stack_size is the
	 * kernel's dyn_size: what it could really copy, possibly less than asked).
	 */
	bool has_user_regs;
	uint64_t user_regs[PERF_REG_X86_64_MAX];
	const unsigned char *stack;
	uint64_t stack_size;
};

struct unwinder {
	/*
	 * Write up to @max frames of @in to @out; returns how many.  Never fails:
	 * what cannot be unwound is left out or ends in a frame naming where it
	 * stopped (the file of the last address, or DSO_UNKNOWN).
	 */
	size_t (*unwind)(struct unwinder *u, const struct unwind_input *in,
			 struct process_table *pt, struct sampler_frame *out, size_t max);
	/* Release what the unwinder keeps (per-process state...); may be NULL. */
	void (*destroy)(struct unwinder *u);
	/* A process exited or exec'd: drop what is cached for it; may be NULL. */
	void (*forget_process)(struct unwinder *u, pid_t pid);
	bool include_kernel;
	void *priv;
};

/*
 * Frame pointers: the kernel already walked the stacks (PERF_SAMPLE_CALLCHAIN,
 * kernel part then user part); this only resolves each address.
 */
void unwinder_init_frame_pointer(struct unwinder *u, bool include_kernel);

/*
 * DWARF CFI (.eh_frame, .debug_frame) on the copy of the user stack, through
 * libdw with one Dwfl per process; the kernel part still comes from the
 * kernel's call chain.  0, or -errno (libdw unusable).
 */
int unwinder_init_dwarf(struct unwinder *u, bool include_kernel);

/*
 * DWARF CFI, extended by the kernel's frame-pointer chain where the two agree
 * and the stack copy ended (see unwind_auto.c).  0, or -errno.
 */
int unwinder_init_auto(struct unwinder *u, bool include_kernel);

#endif
