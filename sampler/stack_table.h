/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_STACK_TABLE_H
#define FLAMESAMP_SAMPLER_STACK_TABLE_H

/*
 * Aggregation of unwound samples before symbolization: identical
 * (comm, pid, tid, frames) keys share one entry and a count, so the
 * symbolizer sees each distinct stack once, however many samples it had.
 * Callers that do not want per-process or per-thread stacks pass pid or tid
 * 0 so those samples merge.  Not thread-safe.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sampler/sampler.h"

struct stack_table;

struct stack_table *stack_table__new(void);
void stack_table__free(struct stack_table *t);

/* Add @count to the stack's entry; returns the entry's index (for stack_table__sub()). */
size_t stack_table__add(struct stack_table *t, const char *comm, pid_t pid, pid_t tid,
			const struct sampler_frame *frames, size_t nr_frames, uint64_t count);
/* Take @count back from entry @id (not below 0): memory freed since it was allocated. */
void stack_table__sub(struct stack_table *t, size_t id, uint64_t count);

/* One distinct stack; pointers valid until the next add or free. */
struct stack_entry {
	const char *comm;
	pid_t pid, tid;
	size_t nr_frames;
	const struct sampler_frame *frames; /* leaf first */
	uint64_t count;
};

size_t stack_table__size(const struct stack_table *t);
/* Entry @i (0 <= i < size), in order of first appearance (its count may be 0);
 * the frames are decoded into a buffer the next get reuses. */
void stack_table__get(struct stack_table *t, size_t i, struct stack_entry *e);

#endif
