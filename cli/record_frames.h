/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RECORD_FRAMES_H
#define FLAMESAMP_CLI_RECORD_FRAMES_H

/*
 * The frames of a recording's stacks, named the way perf script +
 * stackcollapse-perf name them: shared by the folded and SVG outputs and by
 * the profile database, so that both give a frame the same name.
 *
 * Every distinct (file, offset) is symbolized once, in file and address
 * order: each DWARF compilation unit is then indexed once even when the
 * memory bound cannot keep them all, and lookups walk the indexes front to
 * back instead of at random.  Kernel and JIT frames go through the
 * symbolizer's own caches.  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sampler/process_table.h"
#include "sampler/stack_table.h"
#include "store/profile_store.h"
#include "symbolize/symbolizer.h"

/* An address inlines deeper than this: the outermost functions are kept. */
#define RECORD_FRAMES_MAX_PER_ADDR 32

struct record_frames;

/* @sym and @pt are borrowed and must outlive the result. */
struct record_frames *record_frames__new(struct symbolizer *sym, const struct process_table *pt);
void record_frames__free(struct record_frames *rf);

/*
 * Symbolize the file frames of entries [@from, @to) of @stacks that are
 * not known yet (@skip_empty: not those of entries whose count is 0).  Call
 * it for every stack before record_frames__get() is asked about its frames.
 */
void record_frames__add(struct record_frames *rf, struct stack_table *stacks, size_t from,
			size_t to, bool skip_empty);

/*
 * The frames of @f, a frame of a sample of @pid: outermost first (an
 * address in inlined code gives the functions inlined there, each a frame
 * of its own), at most RECORD_FRAMES_MAX_PER_ADDR.  Returns how many (at
 * least 1).  The strings stay valid until record_frames__free().
 */
size_t record_frames__get(struct record_frames *rf, pid_t pid, const struct sampler_frame *f,
			  struct profile_frame *out);

#endif
