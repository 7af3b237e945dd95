/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_PROFILE_INPUT_H
#define FLAMESAMP_CLI_PROFILE_INPUT_H

/*
 * The inputs of `flamesamp render` and `report`: folded files and profile
 * databases (told apart by the SQLite header, not the name), read into one
 * folded profile through the time range and stack filters (--from --to
 * --pid --tid --comm --grep --exclude --skip-after).  A command appends
 * profile_input_long_options to its getopt table and passes their values to
 * profile_input__handle().  The values are in [PROFILE_INPUT_OPT_FIRST,
 * PROFILE_INPUT_OPT_LAST], clear of the render options' range.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "render/folded.h"
#include "store/profile_reader.h"
#include "store/stack_filter.h"

enum {
	PROFILE_INPUT_OPT_FIRST = 600,
	PROFILE_INPUT_OPT_LAST = 619,
};

/* NULL-terminated. */
extern const struct option profile_input_long_options[];
#define PROFILE_INPUT_LONG_OPTIONS_MAX 16

struct profile_input_args {
	struct profile_slice slice;
	struct stack_filter_options filter;
	/* the arrays slice and filter point to, owned here */
	pid_t *pids, *tids;
	const char **comms, **grep, **exclude, **skip_after;
};

/* What the first profile database read says about itself (strings owned here). */
struct profile_input_meta {
	bool from_db;
	char mode[32], count_name[64], title[256], subtitle[256];
};

void profile_input_args__init(struct profile_input_args *a);
void profile_input_args__release(struct profile_input_args *a);
/* Apply option @c; 0, or -1 after printing the problem. */
int profile_input_args__handle(struct profile_input_args *a, int c, const char *arg);
/* Any option given at all? */
bool profile_input_args__any(const struct profile_input_args *a);

/*
 * Read @files (none: standard input, folded) into @out, created with
 * @flags (FOLDED_KEEP_ORDER for a flame chart: filtered copies keep the
 * input order too).  @meta (may be NULL) receives what the first database
 * says.  Prints problems; returns 0 or an exit code.
 */
int profile_input__read(const struct profile_input_args *a, int nfiles, char **files,
			struct folded_profile *out, unsigned flags,
			struct profile_input_meta *meta);

/* The option lines of the help text. */
void profile_input__usage(FILE *out);

#endif
