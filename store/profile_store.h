/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_STORE_PROFILE_STORE_H
#define FLAMESAMP_STORE_PROFILE_STORE_H

/*
 * The profile database (`flamesamp record -o profile.db`): a SQLite file of
 * frames, stacks, processes and threads, and the weight of each stack per
 * time bucket, so that any time range can be sliced after the recording.
 * The schema is documented in README.md ("Profile database") and created by
 * profile_store__create(); PROFILE_STORE_SCHEMA_VERSION changes with it.
 *
 * Crash safety: the database is first built in "PATH.tmp-XXXXXX" (schema and
 * metadata), and renamed to PATH by the first profile_store__commit(); from
 * then on it is in WAL mode and every commit is a SQLite transaction, so a
 * recording killed at any moment leaves PATH holding what the last commit
 * saw (with PATH-wal beside it until the next open), never a corrupt file.
 * profile_store__finish() writes the end of the recording into the metadata
 * and leaves a single file (rollback journal mode, the WAL checkpointed).
 *
 * Frames and stacks are deduplicated in memory (key -> rowid), so each is
 * inserted once.  Weights are added per (stack, bucket, event) with an
 * upsert.  Errors are returned as -errno (SQLITE_FULL is -ENOSPC, I/O
 * errors -EIO); SQLite's message goes to fs_log().  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/strbuf.h"

#define PROFILE_STORE_SCHEMA_VERSION 1
/* Default width of a time bucket: 100 ms. */
#define PROFILE_STORE_BUCKET_NS 100000000ULL

/* ---- frames ---- */

/* What a frame is; the folded text marks kernel _[k], JIT _[j] and inlined _[i] frames. */
enum profile_frame_kind {
	PROFILE_FRAME_USER,    /* a function of a mapped file */
	PROFILE_FRAME_KERNEL,  /* a kernel function ("[kernel.kallsyms]" when unknown) */
	PROFILE_FRAME_JIT,     /* named by the process's perf map */
	PROFILE_FRAME_INLINE,  /* inlined into its caller, the frame before it (toward the root) */
	PROFILE_FRAME_UNKNOWN, /* no symbol: "[libfoo.so]" or "[unknown]" */
};

/* "user", "kernel", "jit", "inline", "unknown": the frames.kind column. */
const char *profile_frame_kind__name(enum profile_frame_kind kind);
/* The kind for a frames.kind value; PROFILE_FRAME_UNKNOWN for anything else. */
enum profile_frame_kind profile_frame_kind__parse(const char *name);

/* One frame; the strings are the caller's. */
struct profile_frame {
	const char *name;   /* function, or "[libfoo.so]" / "[unknown]" / "[kernel.kallsyms]" */
	const char *module; /* file path, "[kernel.kallsyms]", "[anon]"; NULL when unknown */
	const char *file;   /* source file (only with --lines), or NULL */
	uint32_t line;	    /* 0 when unknown */
	uint64_t address;   /* file offset, kernel address, or JIT virtual address */
	enum profile_frame_kind kind;
};

/*
 * Append the frame's folded-stack text to @sb: the name with ';' as ':' and
 * control characters as '?' (so that a name cannot break the folded format),
 * " BASENAME:LINE" when @file is set, then @annotation when not NULL (hot/cold
 * graphs mark every off-CPU frame _[o]), else the kind's own mark.
 */
void profile_frame__append_text(struct strbuf *sb, const struct profile_frame *f,
				const char *annotation);
/* A name made safe for the folded format, as above, with @suffix (may be NULL) after it. */
void profile_frame__append_name(struct strbuf *sb, const char *name, const char *suffix);

/* ---- writing ---- */

/* What is known when the recording starts; strings are copied. */
struct store_meta {
	const char *command_line;    /* flamesamp's own argv, joined */
	const char *mode;	     /* "cpu", "offcpu", "hotcold", "malloc" */
	const char *event;	     /* "cycles", "cpu-clock", "sched_switch", "malloc" ... */
	unsigned frequency;	     /* -F, or 0 */
	uint64_t period;	     /* -c, or 0 */
	const char *unit;	     /* of samples.weight: "samples", "ns", "bytes", "calls" */
	const char *count_name;	     /* the flame graph's: "samples", "us", "bytes", "calls" */
	double count_scale;	     /* weight * scale = count (ns -> us: 1e-3); 0: 1 */
	bool with_pid, with_tid;     /* first frame "comm-PID[/TID]" in folded output */
	uint64_t start_ns;	     /* CLOCK_REALTIME at the start */
	uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC at the start: bucket 0 begins there */
	uint64_t bucket_ns;	     /* 0: PROFILE_STORE_BUCKET_NS */
	const char *version;	     /* flamesamp's */
};

/* What is known at the end. */
struct store_end {
	uint64_t end_ns; /* CLOCK_REALTIME */
	uint64_t samples, lost, throttled;
	const char *title, *subtitle; /* the flame graph's, or NULL */
};

struct profile_store;

/*
 * Create the database for @path in "@path.tmp-XXXXXX" (see above): schema
 * and @meta, hostname and kernel release added.  NULL with errno on failure.
 */
struct profile_store *profile_store__create(const char *path, const struct store_meta *meta);

/*
 * Discard @s: a store never committed is deleted; one committed and not
 * finished keeps what was committed (a recording that failed half way).
 * NULL is fine.
 */
void profile_store__free(struct profile_store *s);

/* The bucket of a CLOCK_MONOTONIC time (0 before the start). */
uint64_t profile_store__bucket(const struct profile_store *s, uint64_t monotonic_ns);

/* The id of @f, inserting it if new.  > 0, or -errno. */
int64_t profile_store__frame(struct profile_store *s, const struct profile_frame *f);

/* The id of a stack of frame ids (root first), inserting it if new.  > 0, or -errno. */
int64_t profile_store__stack(struct profile_store *s, pid_t pid, pid_t tid, const char *comm,
			     const int64_t *frame_ids, size_t nr_frames);

/*
 * Add @weight to (@stack_id, @bucket, @event); @event is "cpu", "offcpu" or
 * "malloc".  0 or -errno.
 */
int profile_store__add_weight(struct profile_store *s, int64_t stack_id, uint64_t bucket,
			      const char *event, uint64_t weight);

/* Commit what was added (and publish the file at the first commit).  0 or -errno. */
int profile_store__commit(struct profile_store *s);

/* Write @end into the metadata, commit, and leave a single file.  0 or -errno. */
int profile_store__finish(struct profile_store *s, const struct store_end *end);

/* ---- reading ---- */

/*
 * 1 when @path starts with the SQLite header ("SQLite format 3\0"), 0 when
 * it does not (or is shorter), -errno when it cannot be read.  "-" is 0.
 */
int profile_store__is_database(const char *path);

#endif
