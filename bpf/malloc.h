/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FLAMESAMP_BPF_MALLOC_H
#define FLAMESAMP_BPF_MALLOC_H

/*
 * Types shared by bpf/malloc.bpf.c and its loader (bpf/malloc_trace.c):
 * fixed-width only, the same layout on both sides.
 */

#include "bpf/user_regs.h"

enum malloc_event_kind {
	MALLOC_EVENT_ALLOC = 1, /* a successful allocation, with the caller's stack */
	MALLOC_EVENT_FREE = 2,	/* free(), or realloc() moving or freeing a block (live mode) */
};

enum malloc_counter {
	MALLOC_CNT_ALLOCS,	  /* successful allocations seen */
	MALLOC_CNT_FAILED,	  /* allocations that returned NULL (not counted) */
	MALLOC_CNT_DROPPED,	  /* events lost: the ring buffer was full... */
	MALLOC_CNT_DROPPED_BYTES, /* ...and the bytes their allocations carried */
	MALLOC_CNT_COPY_SHORT,	  /* stack copies cut at a page that was not present */
	MALLOC_CNT_NESTED,	  /* an allocation function entered before another returned */
	MALLOC_NR_COUNTERS,
};

/*
 * A ring buffer record: the header, then (allocations) stack_size bytes of
 * user stack from regs[USER_REG_SP], taken when the allocation function
 * returned, so the stack begins in its caller.
 */
struct malloc_event {
	__u32 kind;
	__u32 pid, tid;
	__u32 stack_size;
	__u64 time_ns;
	__u64 ptr;
	__u64 size;   /* bytes requested (calloc: nmemb * size) */
	__u64 weight; /* allocations this one stands for (--malloc-sample) */
	__u64 regs[USER_NR_REGS];
	unsigned char stack[];
};

#endif
