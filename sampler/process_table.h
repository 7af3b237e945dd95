/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_PROCESS_TABLE_H
#define FLAMESAMP_SAMPLER_PROCESS_TABLE_H

/*
 * Processes, threads and their executable mappings, as the kernel reports them.
 *
 * The table starts from a /proc snapshot (maps, comm, threads) and is then kept
 * current by MMAP2/COMM/FORK/EXIT records applied in time order, so samples
 * resolve against the mappings that existed when they were taken: a library
 * dlopen()ed after attach, an exec, and processes that live for a few
 * milliseconds under -a all resolve.  A pid or tid first seen in a sample is
 * loaded from /proc on demand (its records may predate the recording).
 *
 * Mapped files ("dsos") are interned once per (path, device, inode), so every
 * process that maps libc shares one id; the symbolizer caches per file.
 *
 * Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* dso ids below this are not files */
enum {
	DSO_KERNEL = 0,	 /* kernel text: the address is a kernel address */
	DSO_UNKNOWN = 1, /* no mapping at all: "[unknown]" */
	DSO_ANON = 2,	 /* an anonymous executable mapping ("//anon", "[heap]", memfd...):
			  * JIT code; the address is the virtual address in the process */
	DSO_FIRST_FILE = 3,
};

struct dso {
	const char *path; /* as mapped: "/usr/lib/x86_64-linux-gnu/libc.so.6", "[vdso]" */
	const char *name; /* basename of path, for "[libc.so.6]" */
	uint64_t dev, ino;
	pid_t pid; /* first process seen mapping it: /proc/PID/root for containers */
	/*
	 * A mapping of the file in @pid, [map_start, map_end) as the first
	 * column of /proc/PID/maps gives it, for /proc/PID/map_files/START-END:
	 * the file deleted or replaced since it was mapped is still there.  The
	 * first executable mapping seen in @pid (snapshot or MMAP2), and only
	 * ever one of @pid's: when the table drops it (another mapping over it,
	 * an exec, the exit of @pid) another of the file's mappings in @pid
	 * takes its place, or none is known (0, 0) until @pid maps the file
	 * again.  munmap() is not reported: the range may be gone from the
	 * process, or hold another file since (check the inode).
	 */
	uint64_t map_start, map_end;
};

struct process_table;

struct process_table *process_table__new(void);
void process_table__free(struct process_table *pt);

/*
 * Snapshot process @pid from /proc: comm, every thread's comm, executable
 * mappings.  0, or -errno (-ESRCH: no such process).
 */
int process_table__load(struct process_table *pt, pid_t pid);
/* Snapshot every process in /proc; processes that vanish meanwhile are skipped. */
int process_table__load_all(struct process_table *pt);

/* Record handlers, in time order.  Strings are copied. */
void process_table__comm(struct process_table *pt, pid_t pid, pid_t tid, const char *comm,
			 size_t len, bool exec);
void process_table__fork(struct process_table *pt, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid);
void process_table__exit(struct process_table *pt, pid_t pid, pid_t tid);
/* Only executable mappings need to be passed; an overlapping older mapping is replaced. */
void process_table__mmap(struct process_table *pt, pid_t pid, uint64_t start, uint64_t len,
			 uint64_t pgoff, uint64_t dev, uint64_t ino, const char *path);

/*
 * The comm of thread @tid of @pid (loaded from /proc when unknown); ":TID"
 * when it cannot be known, as perf prints it.  Valid until the next call.
 */
const char *process_table__thread_comm(struct process_table *pt, pid_t pid, pid_t tid);

/*
 * Resolve user address @addr of @pid: the dso id of the mapping holding it and
 * the file offset (addr - start + pgoff) in *@offset; DSO_ANON with @addr itself
 * in *@offset when the mapping is anonymous (JIT code is named by address, per
 * process: /tmp/perf-PID.map), DSO_UNKNOWN (*@offset untouched) when nothing is
 * mapped there.
 */
uint32_t process_table__resolve(struct process_table *pt, pid_t pid, uint64_t addr,
				uint64_t *offset);

const struct dso *process_table__dso(const struct process_table *pt, uint32_t id);

/* One executable mapping of a process. */
struct mapping_info {
	uint64_t start, end, pgoff;
	uint32_t dso;
};

/* The mapping of @pid holding @addr: 0, or -ENOENT (no mapping, or not a file). */
int process_table__mapping(struct process_table *pt, pid_t pid, uint64_t addr,
			   struct mapping_info *out);

/*
 * A number that changes whenever @pid's mappings change (mmap, exec, exit):
 * callers caching per-process state derived from the mappings compare it.
 */
uint64_t process_table__maps_generation(struct process_table *pt, pid_t pid);

#endif
