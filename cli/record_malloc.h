/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RECORD_MALLOC_H
#define FLAMESAMP_CLI_RECORD_MALLOC_H

/*
 * The recorder's allocation source (--malloc): the uprobes of
 * bpf/malloc_trace.h on the target's allocator, fed into the sampler as
 * external samples (kind RECORD_KIND_ALLOC with the bytes or calls as
 * period and the block's address as data; kind RECORD_KIND_FREE, without
 * a stack, for a block freed in live mode), and the live-mode bookkeeping
 * of which stack each block still held came from.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bpf/malloc_trace.h"
#include "sampler/sampler.h"
#include "sampler/stack_table.h"

#define RECORD_KIND_ALLOC 2
#define RECORD_KIND_FREE  3

enum record_malloc_mode {
	RECORD_MALLOC_BYTES, /* bytes allocated per stack */
	RECORD_MALLOC_COUNT, /* allocation calls per stack */
	RECORD_MALLOC_LIVE,  /* bytes allocated and not freed when recording ends */
};

struct record_malloc_options {
	enum record_malloc_mode mode;
	uint64_t sample_every; /* one allocation in N; 0 or 1: all */
	const char *library;   /* --malloc-lib; NULL: the target's libc */
	uint32_t stack_copy;   /* 0: the default */
	uint64_t max_live;     /* live mode: blocks tracked at most; 0: the default */
	const pid_t *pids;     /* -p; with none, the command (the library is flamesamp's libc) */
	size_t nr_pids;
};

struct record_malloc;

/* Load the probes and point @so's external hooks at them.  NULL after printing why. */
struct record_malloc *record_malloc__open(const struct record_malloc_options *opts,
					  struct sampler_options *so);
void record_malloc__free(struct record_malloc *r);

/* Trace the sampler's command, if any, and attach.  0, or -1 after printing why. */
int record_malloc__attach(struct record_malloc *r, struct sampler *s);

/* The sampler's on_external: hand over what the ring holds; at @final, everything. */
void record_malloc__drain(struct record_malloc *r, bool final);

/*
 * A sample of kind RECORD_KIND_ALLOC or _FREE: counted into @stacks (live
 * mode: freed blocks taken back from their stack's entry).  Returns the
 * entry an allocation was counted in, SIZE_MAX for a free.
 */
size_t record_malloc__account(struct record_malloc *r, struct stack_table *stacks,
			      const struct sampler_sample *s, const char *comm, pid_t pid,
			      pid_t tid);

/* The flame graph's subtitle: what was counted. */
const char *record_malloc__subtitle(const struct record_malloc *r, char *buf, size_t size);

/* After recording: the totals, and one line per kind of loss. */
void record_malloc__report(const struct record_malloc *r);

#endif
