/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_BPF_OFFCPU_TRACE_H
#define FLAMESAMP_BPF_OFFCPU_TRACE_H

/*
 * Off-CPU time from sched_switch, measured in the kernel (bpf/offcpu.bpf.c).
 *
 * At a target thread's switch-out the program stamps the time, its kernel
 * stack and its user stack; at its switch-in it adds the time blocked.  Two
 * ways of taking user stacks:
 *
 *   OFFCPU_STACKS_COPY  the user registers and a copy of the user stack are
 *                       kept per thread at switch-out and sent, with the
 *                       kernel stack and the blocked time, through a BPF ring
 *                       buffer once the block passes the filters: one event
 *                       per block, for CFI unwinding in user space (the
 *                       only way through code without frame pointers).
 *   OFFCPU_STACKS_FP    bpf_get_stackid() for both stacks (frame pointers),
 *                       blocked time summed in the kernel per (process,
 *                       thread, user stack, kernel stack): events come out
 *                       of offcpu_trace__finish(), one per key.
 *
 * Life cycle:
 *     t = offcpu_trace__new(&opts, err, sizeof(err));   loads and verifies
 *     offcpu_trace__add_pid(t, child);                  (a command's pid)
 *     offcpu_trace__attach(t);
 *     while (...) offcpu_trace__poll(t, timeout_ms);    COPY events
 *     offcpu_trace__finish(t);                          detach, drain; FP events
 *     offcpu_trace__free(t);
 *
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns()), the clock a
 * perf event with use_clockid = 1, clockid = CLOCK_MONOTONIC stamps its
 * records with.  Library code: errors are returned with a one-line reason in
 * @err; libbpf's own messages go to fs_log() at debug level.  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <asm/perf_regs.h>

/*
 * Largest user stack copy per block: every traced thread holds a slot of
 * this much (plus a page) in the kernel while it is off-CPU.
 */
#define OFFCPU_MAX_STACK_COPY 49152

enum offcpu_state_filter {
	OFFCPU_STATE_ALL,	      /* every switch-out, preemption included */
	OFFCPU_STATE_INTERRUPTIBLE,   /* TASK_INTERRUPTIBLE: sleeps, waits on I/O readiness */
	OFFCPU_STATE_UNINTERRUPTIBLE, /* TASK_UNINTERRUPTIBLE: disk I/O, some locks */
};

enum offcpu_stack_mode {
	OFFCPU_STACKS_COPY,
	OFFCPU_STACKS_FP,
};

/* One block (COPY) or one kernel aggregation key (FP). Pointers valid during the callback. */
struct offcpu_event {
	pid_t pid, tid;	     /* tgid and thread id, in the initial pid namespace */
	char comm[16];	     /* the thread's name at switch-out */
	uint64_t start_ns;   /* switch-out (COPY; 0 for FP) */
	uint64_t end_ns;     /* switch-in (COPY; 0 for FP) */
	uint64_t blocked_ns; /* off-CPU time: end - start (COPY), the kernel's sum (FP) */
	uint64_t count; /* blocks this event stands for: 1 (COPY), or the kernel's count (FP) */

	/* kernel stack at switch-out, leaf first; nr_kernel_ips 0 when not taken or lost */
	const uint64_t *kernel_ips;
	size_t nr_kernel_ips;
	/* FP: the user stack by frame pointers, leaf first (user_ips[0] is the user ip) */
	const uint64_t *user_ips;
	size_t nr_user_ips;

	/*
	 * COPY: user registers at switch-out indexed by enum perf_event_x86_regs
	 * (PERF_REG_X86_IP, _SP, _BP, _BX, _R12...; the segment registers read
	 * 0), and stack_size bytes of user memory from user_regs[PERF_REG_X86_SP]
	 * (less than asked when a page was not present).  has_user_regs is false
	 * for kernel threads.
	 */
	bool has_user_regs;
	uint64_t user_regs[PERF_REG_X86_64_MAX];
	const unsigned char *stack;
	size_t stack_size;
};

typedef void (*offcpu_event_fn)(const struct offcpu_event *ev, void *ctx);

struct offcpu_options {
	/* targets: pids (their threads, and processes they fork), tids, or system_wide */
	const pid_t *pids;
	size_t nr_pids;
	const pid_t *tids;
	size_t nr_tids;
	bool system_wide; /* every task except the idle tasks */

	enum offcpu_state_filter state;
	uint64_t min_block_ns; /* keep blocks of at least this long */
	uint64_t max_block_ns; /* and at most this long; 0: no limit */

	enum offcpu_stack_mode stack_mode;
	uint32_t stack_copy;   /* COPY: user stack bytes per block; 0: 16 KiB */
	bool no_kernel_stacks; /* leave kernel stacks out */
	/*
	 * Kernel stacks walked at switch-out, from `current`: the scheduler's
	 * own functions (schedule, mutex_lock, io_schedule...) included, about
	 * 0.3 us more per block.  Without, they are taken at switch-in from the
	 * blocked thread's saved state, where the kernel leaves those out.
	 */
	bool sched_frames;
	uint32_t max_stacks; /* FP: stack map entries; 0: 16384 */
	uint32_t max_keys;   /* FP: aggregation map entries; 0: 65536 */
	size_t ring_bytes;   /* COPY: ring buffer bytes, a power of two; 0: 16 MiB */

	bool force_raw_tp; /* attach raw_tp/sched_switch even where tp_btf works (tests) */
	/* where to save the verifier's log if it rejects a program; NULL: a file under $TMPDIR */
	const char *verifier_log_path;

	offcpu_event_fn on_event;
	void *ctx;
};

struct offcpu_stats {
	uint64_t events;		  /* delivered to on_event */
	uint64_t blocks;		  /* blocks counted in the kernel (passing the filters) */
	uint64_t kernel_stack_collisions; /* FP: bpf_get_stackid() -EEXIST */
	uint64_t user_stack_collisions;
	uint64_t kernel_stacks_missing; /* no kernel stack (other errors) */
	uint64_t user_stacks_missing;	/* no user stack: copy or walk failed */
	uint64_t stack_copies_short;	/* COPY: copy stopped at a page not present */
	uint64_t dropped_blocks;	/* lost: ring buffer full (COPY) or map full (FP)... */
	uint64_t dropped_ns;		/* ...and the off-CPU time they carried */
	uint64_t untracked_switches;	/* switch-outs whose state could not be stored */
	uint64_t still_blocked; /* threads off-CPU when the trace finished, counted so far */
	const char *attach;	/* "tp_btf" or "raw_tp" */
};

struct offcpu_trace;

/*
 * Open, size, load and verify.  NULL with errno set and a one-line reason in
 * @err: ENOENT no BTF (/sys/kernel/btf/vmlinux), EPERM/EACCES BPF not
 * permitted (root, or CAP_BPF + CAP_PERFMON), EINVAL/EACCES verifier
 * rejection (the log saved and its path named in @err), EOPNOTSUPP kernel
 * too old (the missing feature named: ring buffer, bpf_task_pt_regs()...).
 */
struct offcpu_trace *offcpu_trace__new(const struct offcpu_options *opts, char *err,
				       size_t err_len);
void offcpu_trace__free(struct offcpu_trace *t);

/* Trace one more process (a command forked after __new). 0 or -errno. */
int offcpu_trace__add_pid(struct offcpu_trace *t, pid_t pid);

/* Attach to sched_switch (and sched_process_fork).  0 or -errno with @err set. */
int offcpu_trace__attach(struct offcpu_trace *t, char *err, size_t err_len);

/*
 * Deliver what the ring buffer holds, after waiting up to @timeout_ms for
 * a wakeup (0: at once); events delivered or -errno.
 */
int offcpu_trace__poll(struct offcpu_trace *t, int timeout_ms);

/* A descriptor that polls readable when events wait (for a caller's poll loop). */
int offcpu_trace__fd(const struct offcpu_trace *t);

/*
 * Detach, deliver what the ring still holds, then (FP) one event per
 * aggregation key, and one per thread still off-CPU, its block counted up
 * to now (end_ns: now).
 */
void offcpu_trace__finish(struct offcpu_trace *t);

void offcpu_trace__stats(const struct offcpu_trace *t, struct offcpu_stats *stats);

#endif
