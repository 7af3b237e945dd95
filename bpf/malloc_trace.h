/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_BPF_MALLOC_TRACE_H
#define FLAMESAMP_BPF_MALLOC_TRACE_H

/*
 * Allocations from uprobes on an allocator library (bpf/malloc.bpf.c):
 * each successful allocation with the size asked for and the caller's user
 * registers and stack copy (for CFI unwinding in user space), and in live
 * mode each block freed.
 *
 *     t = malloc_trace__new(&opts, err, sizeof(err));   load
 *     malloc_trace__add_pid(t, child);                  (a command's pid)
 *     malloc_trace__attach(t, err, sizeof(err));        the uprobes, on opts.library
 *     while (...) malloc_trace__poll(t, 0);
 *     malloc_trace__finish(t);
 *     malloc_trace__free(t);
 *
 * Times are CLOCK_MONOTONIC ns.  Library code: errors come back with a
 * one-line reason in @err.  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <asm/perf_regs.h>
#include <linux/types.h>

#include "bpf/malloc.h"

/* Largest user stack copy per allocation: the per-CPU scratch value stays below 32 KiB. */
#define MALLOC_MAX_STACK_COPY 24576

/* One allocation or free. Pointers valid during the callback. */
struct malloc_trace_event {
	enum malloc_event_kind kind;
	pid_t pid, tid;
	uint64_t time_ns;
	uint64_t ptr;	 /* the block allocated or freed */
	uint64_t size;	 /* bytes asked for (allocations) */
	uint64_t weight; /* allocations this one stands for: 1, or N with sample_every */
	bool has_user_regs;
	uint64_t user_regs[PERF_REG_X86_64_MAX]; /* at the return into the caller */
	const unsigned char *stack;
	size_t stack_size;
};

typedef void (*malloc_trace_fn)(const struct malloc_trace_event *ev, void *ctx);

struct malloc_options {
	const pid_t *pids; /* processes to trace (not the processes they fork) */
	size_t nr_pids;
	/* the allocator's file, as this process can open it (/proc/PID/root/... for a container) */
	const char *library;
	bool live;	       /* report frees too */
	uint64_t sample_every; /* one allocation in N; 0 or 1: all */
	uint32_t stack_copy;   /* bytes of user stack; 0: 16 KiB */
	size_t ring_bytes;     /* 0: 16 MiB */
	const char *verifier_log_path;
	malloc_trace_fn on_event;
	void *ctx;
};

struct malloc_stats {
	uint64_t events;	/* delivered */
	uint64_t allocs;	/* successful allocations seen in the kernel */
	uint64_t failed;	/* allocations that returned NULL */
	uint64_t dropped;	/* events lost to a full ring buffer... */
	uint64_t dropped_bytes; /* ...and the bytes of their allocations */
	uint64_t copies_short;	/* stack copies cut at a page that was not present */
	uint64_t nested;	/* allocation functions called by another (counted once) */
	size_t nr_probes;	/* functions probed */
};

struct malloc_trace;

/* Check and load; NULL with errno and a one-line reason in @err. */
struct malloc_trace *malloc_trace__new(const struct malloc_options *opts, char *err,
				       size_t err_len);
void malloc_trace__free(struct malloc_trace *t);

int malloc_trace__add_pid(struct malloc_trace *t, pid_t pid);

/*
 * Attach to the allocation functions of opts.library by name: malloc and
 * free must be there (else -ENOENT: no allocator in that file); the others
 * (calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc) are probed where present.  0 or -errno with @err set.
 */
int malloc_trace__attach(struct malloc_trace *t, char *err, size_t err_len);

/* Deliver what the ring buffer holds (after waiting up to @timeout_ms); count or -errno. */
int malloc_trace__poll(struct malloc_trace *t, int timeout_ms);
int malloc_trace__fd(const struct malloc_trace *t);

/* Detach and deliver what is left. */
void malloc_trace__finish(struct malloc_trace *t);

void malloc_trace__stats(const struct malloc_trace *t, struct malloc_stats *stats);

#endif
