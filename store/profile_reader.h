/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_STORE_PROFILE_READER_H
#define FLAMESAMP_STORE_PROFILE_READER_H

/*
 * Reading a profile database (store/profile_store.h) back as folded stacks:
 * the stacks of a time range, of some processes, threads or commands, with
 * their weights summed, named exactly as the recording's folded output would
 * have named them ("comm[-PID[/TID]];outermost;...;leaf", _[k] _[j] _[i]
 * marks, _[o] on off-CPU frames of a hot/cold recording, weights scaled to
 * the flame graph's unit and rounded per stack).
 *
 * The database is opened read-only: a reader never changes a profile.
 * A database still being written (or left by a recording that was killed)
 * is read as of its last commit.  Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "render/folded.h"

struct profile_reader;
struct sqlite3;

/*
 * Open @path.  NULL with errno on failure, and the reason in @err (one
 * line, no trailing newline): not a SQLite database, a corrupt one, or not a
 * flamesamp profile / another schema version (EPROTO).
 */
struct profile_reader *profile_reader__open(const char *path, char *err, size_t errsize);
void profile_reader__free(struct profile_reader *r);

/* A metadata value (meta table), or NULL; owned by @r, valid until free. */
const char *profile_reader__meta(const struct profile_reader *r, const char *key);

/* The read-only connection, for raw queries; owned by @r. */
struct sqlite3 *profile_reader__sqlite(struct profile_reader *r);

/* Which samples to read: every field 0/NULL means everything. */
struct profile_slice {
	/* seconds from the start; a negative value counts from the end */
	bool has_from, has_to;
	double from, to;
	const pid_t *pids; /* stacks of these processes */
	size_t nr_pids;
	const pid_t *tids; /* of these threads */
	size_t nr_tids;
	const char *const *comms; /* of threads of these names */
	size_t nr_comms;
};

/*
 * Add the samples of @slice to @out (a time bucket is in the range when its
 * start is: from <= start < to).  0, or -errno with the reason in @err.
 */
int profile_reader__read(struct profile_reader *r, const struct profile_slice *slice,
			 struct folded_profile *out, char *err, size_t errsize);

#endif
