/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_SAMPLER_H
#define FLAMESAMP_SAMPLER_SAMPLER_H

/*
 * CPU sampling with perf_event_open(2).
 *
 * One sampling event per (CPU) for -a, or per (thread, CPU) with inherit=1
 * for process and command targets, all redirected into one mmapped ring per
 * CPU (PERF_EVENT_IOC_SET_OUTPUT).  Records are read as they arrive, ordered
 * by time across CPUs, applied to a process table (MMAP2/COMM/FORK/EXIT) and
 * samples are unwound and resolved to (mapped file, file offset) at once, so
 * nothing is written to disk and the profile is ready when recording stops.
 *
 * Life cycle:
 *     s = sampler__new(&opts);          opens the events, maps the rings,
 *                                       forks the command (stopped before exec)
 *     sampler__start(s);                enables the events / lets the command exec
 *     while (sampler__poll(s, 100) == SAMPLER_RUNNING) ...
 *     sampler__stop(s);                 disables, drains every ring
 *     sampler__free(s);
 *
 * Samples reach the caller through opts.on_sample, in time order.  Library
 * code: errors are returned, context goes through fs_log().  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sampler/process_table.h"

enum sampler_event {
	SAMPLER_EVENT_AUTO,	  /* cycles when the CPU has a PMU, else cpu-clock / task-clock */
	SAMPLER_EVENT_CYCLES,	  /* PERF_COUNT_HW_CPU_CYCLES */
	SAMPLER_EVENT_CPU_CLOCK,  /* PERF_COUNT_SW_CPU_CLOCK */
	SAMPLER_EVENT_TASK_CLOCK, /* PERF_COUNT_SW_TASK_CLOCK */
	SAMPLER_EVENT_NONE,	  /* no sampling: only the side-band records that track
				   * processes and mappings, for external samples */
};

enum sampler_call_graph {
	SAMPLER_CALL_GRAPH_FP,	  /* the kernel's frame-pointer call chains */
	SAMPLER_CALL_GRAPH_DWARF, /* CFI on a copy of each sample's user stack */
	SAMPLER_CALL_GRAPH_AUTO,  /* CFI where there is CFI, frame pointers elsewhere, and
				   * the kernel's chain beyond the stack copy */
};

/* Largest user stack copy: a sample record's size is a u16. */
#define SAMPLER_MAX_STACK_COPY 65528

/* One frame of an unwound sample, leaf first. */
struct sampler_frame {
	uint32_t dso;  /* DSO_KERNEL, DSO_UNKNOWN, DSO_ANON or a file (process_table__dso()) */
	uint64_t addr; /* kernel address, file offset, the virtual address for DSO_ANON
			* (meaningful only with the sample's pid), or 0 for DSO_UNKNOWN so
			* such frames merge; return addresses are already moved back into
			* their call instruction */
};

struct sampler_sample {
	pid_t pid, tid;
	uint32_t cpu;
	uint32_t kind;	       /* 0 for perf samples; an external sample's kind */
	uint64_t data;	       /* an external sample's data */
	uint64_t time, period; /* an external sample's weight is its period */
	const char *comm;      /* the thread's name when the sample was taken */
	size_t nr_frames;
	const struct sampler_frame *frames;
};

typedef void (*sampler_sample_fn)(const struct sampler_sample *sample, void *ctx);

/*
 * Called at the start of every read of the rings (@final false) and once
 * more when the sampler stops (@final true), so a caller that captures
 * stacks some other way (BPF) hands them over with sampler__add_external()
 * in the same rounds as the perf records they must be ordered with.
 */
typedef void (*sampler_external_fn)(bool final, void *ctx);

/*
 * A stack captured outside perf (for example by BPF at a context switch),
 * unwound and delivered through on_sample like a perf sample.  Everything is
 * copied: the pointers need to live only for the call.
 */
struct sampler_external_sample {
	uint64_t time; /* CLOCK_MONOTONIC ns (the clock of the sampler's records); 0: now */
	pid_t pid, tid;
	uint64_t weight;  /* delivered as the sample's period */
	uint32_t kind;	  /* delivered as the sample's kind; not 0 */
	uint64_t data;	  /* delivered as the sample's data (the caller's: an address...) */
	const char *comm; /* NULL: the thread's name in the process table */
	const uint64_t *kernel_ips; /* leaf first; return addresses */
	size_t nr_kernel_ips;
	const uint64_t *user_ips; /* frame-pointer chain, leaf first (user_ips[0]: the pc) */
	size_t nr_user_ips;
	/* as struct unwind_input's: registers indexed by enum perf_event_x86_regs */
	bool has_user_regs;
	const uint64_t *user_regs;
	const unsigned char *stack; /* stack_size bytes from user_regs[PERF_REG_X86_SP] */
	size_t stack_size;
};

struct sampler_options {
	/* targets: exactly one of pids, tids, system_wide, argv */
	const pid_t *pids; /* -p: these processes, every thread, new threads included */
	size_t nr_pids;
	const pid_t *tids; /* -t: these threads (and what they create) */
	size_t nr_tids;
	bool system_wide;  /* -a: every CPU, every process, the kernel */
	char *const *argv; /* -- CMD ARGS: run it, profiling from its exec */

	enum sampler_event event;
	unsigned freq;	   /* samples per second (-F); used when period is 0 */
	uint64_t period;   /* -c: one sample every PERIOD events */
	size_t ring_pages; /* data pages per CPU ring, a power of two; 0: automatic */
	bool no_kernel;	   /* user stacks only (time in the kernel still counts) */
	enum sampler_call_graph call_graph;
	unsigned stack_copy; /* bytes of user stack per sample (DWARF, AUTO); 0: default */
	unsigned max_stack;  /* frames kept per sample; 0: the kernel's limit */

	/* external samples (sampler__add_external()): see sampler_external_fn */
	sampler_external_fn on_external;
	int external_fd; /* > 0: also wake up when this descriptor is readable */
	/*
	 * Keep the mappings of exited processes until sampler__stop() has
	 * delivered everything: for external samples that only arrive at the
	 * end (stacks aggregated in the kernel).
	 */
	bool keep_exited;

	sampler_sample_fn on_sample;
	void *ctx;
};

struct sampler_stats {
	uint64_t samples;	/* delivered to on_sample (external ones included) */
	uint64_t lost;		/* records the kernel dropped (PERF_RECORD_LOST) */
	uint64_t lost_samples;	/* PERF_RECORD_LOST_SAMPLES */
	uint64_t throttled;	/* PERF_RECORD_THROTTLE: the kernel lowered the rate */
	uint64_t corrupt;	/* unreadable ring data skipped */
	unsigned nr_cpus;	/* rings */
	size_t ring_bytes;	/* data bytes per ring */
	const char *event_name; /* "cycles", "cpu-clock", "task-clock" */
	bool event_fallback;	/* cycles were asked for (by default) but the CPU has no counter */
	bool kernel_excluded;	/* kernel frames unavailable (privileges or --no-kernel) */
};

enum sampler_state {
	SAMPLER_RUNNING,
	SAMPLER_TARGET_EXITED, /* every target thread has exited, or the command did */
};

struct sampler;

/*
 * Open everything; NULL and errno on failure, with the reason through fs_log
 * at warn level when the errno alone would not explain it.  errno values the
 * caller can explain: ESRCH (no such process), EACCES/EPERM (privileges:
 * kernel.perf_event_paranoid), EINVAL with freq above
 * kernel.perf_event_max_sample_rate, ENOMEM/EPERM from mmap (mlock limit),
 * ENOENT (the command was not found; see sampler__exec_errno()).
 */
struct sampler *sampler__new(const struct sampler_options *opts);
void sampler__free(struct sampler *s);

/* Enable sampling; for a command, let it exec.  0 or -errno (the command could not run). */
int sampler__start(struct sampler *s);

/* Wait up to @timeout_ms for data, read every ring, deliver ordered samples. */
enum sampler_state sampler__poll(struct sampler *s, int timeout_ms);

/* Disable the events and deliver everything still buffered. */
void sampler__stop(struct sampler *s);

/*
 * Queue an external sample: it is unwound (by the sampler's call-graph mode,
 * against the process table at its time) and delivered in time order.  Call
 * from on_external, or before sampler__stop().
 */
void sampler__add_external(struct sampler *s, const struct sampler_external_sample *e);

void sampler__stats(const struct sampler *s, struct sampler_stats *stats);
const struct process_table *sampler__processes(const struct sampler *s);

/* The command's pid (0 without one). */
pid_t sampler__child(const struct sampler *s);
/*
 * Ask the command to end (SIGTERM) if it still runs, reap it, and return its
 * wait status; -1 when there is no command.
 */
int sampler__reap_child(struct sampler *s);

#endif
