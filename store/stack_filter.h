/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_STORE_STACK_FILTER_H
#define FLAMESAMP_STORE_STACK_FILTER_H

/*
 * Stack filters of `flamesamp render` and `report`, the usual "grep the
 * folded file, then draw it" built in.  A filter copies the stacks of one
 * folded profile that pass into another:
 *
 *   - pids, tids, comms: by the first frame, "comm", "comm-PID" or
 *     "comm-PID/TID" as the recorder writes it (a stack whose first frame
 *     carries no pid never matches a pid; likewise tids);
 *   - grep: every regular expression matches some frame of the stack;
 *   - exclude: no regular expression matches any frame;
 *   - skip_after: the frames before the root-most frame named one of these
 *     functions are dropped, so that it becomes the root; stacks without it
 *     are kept whole.  A frame is "named" FUNC when its text is FUNC, or FUNC
 *     followed by a space (" file.c:LINE") or by a "_[" mark.
 *
 * Regular expressions are POSIX extended (regcomp(3) REG_EXTENDED), matched
 * against each frame's text, anywhere in it.  Differential stacks keep both
 * counts; a profile kept in input order (flame charts) stays in order.
 * Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "render/folded.h"

struct stack_filter_options {
	const pid_t *pids;
	size_t nr_pids;
	const pid_t *tids;
	size_t nr_tids;
	const char *const *comms;
	size_t nr_comms;
	const char *const *grep;
	size_t nr_grep;
	const char *const *exclude;
	size_t nr_exclude;
	const char *const *skip_after;
	size_t nr_skip_after;
};

struct stack_filter;

/*
 * NULL with errno on failure: EINVAL for a regular expression that does
 * not compile, with regerror()'s message and the expression in @err.
 */
struct stack_filter *stack_filter__new(const struct stack_filter_options *o, char *err,
				       size_t errsize);
void stack_filter__free(struct stack_filter *f);

/* true when @o asks for anything at all. */
bool stack_filter_options__any(const struct stack_filter_options *o);

/*
 * Add the stacks of @in that pass to @out (any other profile).  With
 * @first_frame false the pid/tid/comm filters are not applied (the caller
 * applied them already, as the database reader does).
 */
void stack_filter__apply(struct stack_filter *f, const struct folded_profile *in,
			 struct folded_profile *out, bool first_frame);

/*
 * Parse a first frame "comm[-PID[/TID]]": the length of comm, and the pid
 * and tid (0 when absent).
 */
size_t stack_filter__parse_first(const char *frame, size_t len, pid_t *pid, pid_t *tid);

#endif
