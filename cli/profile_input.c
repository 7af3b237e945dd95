// SPDX-License-Identifier: Apache-2.0
#include "cli/profile_input.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/profile_store.h"

enum {
	OPT_FROM = PROFILE_INPUT_OPT_FIRST,
	OPT_TO,
	OPT_PID,
	OPT_TID,
	OPT_COMM,
	OPT_GREP,
	OPT_EXCLUDE,
	OPT_SKIP_AFTER,
};

_Static_assert((int)OPT_SKIP_AFTER <= (int)PROFILE_INPUT_OPT_LAST, "option range");

const struct option profile_input_long_options[] = {
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"pid", required_argument, NULL, OPT_PID},
	{"tid", required_argument, NULL, OPT_TID},
	{"comm", required_argument, NULL, OPT_COMM},
	{"grep", required_argument, NULL, OPT_GREP},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"skip-after", required_argument, NULL, OPT_SKIP_AFTER},
	{NULL, 0, NULL, 0},
};

void profile_input_args__init(struct profile_input_args *a)
{
	memset(a, 0, sizeof(*a));
}

void profile_input_args__release(struct profile_input_args *a)
{
	free(a->pids);
	free(a->tids);
	free(a->comms);
	free(a->grep);
	free(a->exclude);
	free(a->skip_after);
	memset(a, 0, sizeof(*a));
}

bool profile_input_args__any(const struct profile_input_args *a)
{
	return a->slice.has_from || a->slice.has_to || stack_filter_options__any(&a->filter);
}

static void push_str(const char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* A comma-separated list of ids, repeatable. */
static int push_ids(const char *option, const char *arg, pid_t **v, size_t *n)
{
	const char *p = arg;

	do {
		char *end;
		long id;

		errno = 0;
		id = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || errno || id <= 0 || id > INT_MAX) {
			cli_error("invalid value for %s: '%s' (expected ids separated by commas)",
				  option, arg);
			return -1;
		}
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = (pid_t)id;
		p = *end ? end + 1 : end;
	} while (*p);
	return 0;
}

/* Seconds: "2.5"; negative counts from the end. */
static int parse_time(const char *option, const char *arg, double *out)
{
	if (cli_parse_double(option, arg, out))
		return -1;
	if (!isfinite(*out)) {
		cli_error("invalid value for %s: '%s' (expected seconds)", option, arg);
		return -1;
	}
	return 0;
}

int profile_input_args__handle(struct profile_input_args *a, int c, const char *arg)
{
	switch (c) {
	case OPT_FROM:
		a->slice.has_from = true;
		return parse_time("--from", arg, &a->slice.from);
	case OPT_TO:
		a->slice.has_to = true;
		return parse_time("--to", arg, &a->slice.to);
	case OPT_PID:
		if (push_ids("--pid", arg, &a->pids, &a->slice.nr_pids))
			return -1;
		a->slice.pids = a->filter.pids = a->pids;
		a->filter.nr_pids = a->slice.nr_pids;
		return 0;
	case OPT_TID:
		if (push_ids("--tid", arg, &a->tids, &a->slice.nr_tids))
			return -1;
		a->slice.tids = a->filter.tids = a->tids;
		a->filter.nr_tids = a->slice.nr_tids;
		return 0;
	case OPT_COMM:
		push_str(&a->comms, &a->slice.nr_comms, arg);
		a->slice.comms = a->filter.comms = a->comms;
		a->filter.nr_comms = a->slice.nr_comms;
		return 0;
	case OPT_GREP:
		push_str(&a->grep, &a->filter.nr_grep, arg);
		a->filter.grep = a->grep;
		return 0;
	case OPT_EXCLUDE:
		push_str(&a->exclude, &a->filter.nr_exclude, arg);
		a->filter.exclude = a->exclude;
		return 0;
	case OPT_SKIP_AFTER:
		push_str(&a->skip_after, &a->filter.nr_skip_after, arg);
		a->filter.skip_after = a->skip_after;
		return 0;
	}
	cli_error("internal error: unknown input option %d", c);
	return -1;
}

static void copy_meta(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v ? v : "");
}

/* One database into @out.  0 or an exit code. */
static int read_db(const struct profile_input_args *a, const char *path, struct folded_profile *out,
		   struct stack_filter *filter, struct profile_input_meta *meta, unsigned flags)
{
	struct folded_profile *tmp = NULL;
	struct profile_reader *r;
	char err[512] = "";
	int ret;

	r = profile_reader__open(path, err, sizeof(err));
	if (!r) {
		/* not a profile, or not readable: usage; a corrupt one: runtime */
		ret = errno == EPROTO || errno == ENOENT || errno == EACCES ? EXIT_USAGE
									    : EXIT_FAILURE_RUNTIME;
		cli_error("cannot read '%s': %s", path, err);
		return ret;
	}
	if (meta && !meta->from_db) {
		meta->from_db = true;
		copy_meta(meta->mode, sizeof(meta->mode), profile_reader__meta(r, "mode"));
		copy_meta(meta->count_name, sizeof(meta->count_name),
			  profile_reader__meta(r, "count_name"));
		copy_meta(meta->title, sizeof(meta->title), profile_reader__meta(r, "title"));
		copy_meta(meta->subtitle, sizeof(meta->subtitle),
			  profile_reader__meta(r, "subtitle"));
	}
	if (filter)
		tmp = folded_profile__new(flags);
	ret = profile_reader__read(r, &a->slice, tmp ? tmp : out, err, sizeof(err));
	if (ret) {
		cli_error("cannot read '%s': %s", path, err);
		ret = EXIT_FAILURE_RUNTIME;
	} else if (tmp) {
		stack_filter__apply(filter, tmp, out, false);
	}
	folded_profile__free(tmp);
	profile_reader__free(r);
	return ret;
}

static int read_folded(const char *path, struct folded_profile *out, struct stack_filter *filter,
		       unsigned flags, size_t *ignored)
{
	struct folded_profile *tmp = filter ? folded_profile__new(flags) : NULL;
	struct folded_stats before, after;
	int err;

	folded_profile__stats(out, &before);
	err = folded_profile__read_file(tmp ? tmp : out, path);
	if (err) {
		cli_error("cannot read '%s': %s", strcmp(path, "-") ? path : "standard input",
			  strerror(-err));
		folded_profile__free(tmp);
		return EXIT_USAGE;
	}
	folded_profile__stats(tmp ? tmp : out, &after);
	if (tmp) {
		stack_filter__apply(filter, tmp, out, true);
		before.ignored_lines = 0;
	}
	*ignored += after.ignored_lines - before.ignored_lines;
	folded_profile__free(tmp);
	return 0;
}

int profile_input__read(const struct profile_input_args *a, int nfiles, char **files,
			struct folded_profile *out, unsigned flags, struct profile_input_meta *meta)
{
	static char *const stdin_only[] = {"-"};
	struct stack_filter *filter = NULL;
	char err[512] = "";
	size_t ignored = 0;
	int i, ret = 0, db;

	if (meta)
		memset(meta, 0, sizeof(*meta));
	if (!nfiles) {
		nfiles = 1;
		files = (char **)stdin_only;
	}
	if (stack_filter_options__any(&a->filter)) {
		filter = stack_filter__new(&a->filter, err, sizeof(err));
		if (!filter) {
			cli_error("invalid regular expression for %s", err);
			return EXIT_USAGE;
		}
	}
	for (i = 0; !ret && i < nfiles; i++) {
		db = profile_store__is_database(files[i]);
		if (db < 0) {
			cli_error("cannot read '%s': %s", files[i], strerror(-db));
			ret = EXIT_USAGE;
		} else if (db) {
			ret = read_db(a, files[i], out, filter, meta, flags);
		} else if (a->slice.has_from || a->slice.has_to) {
			cli_error("--from and --to need a profile database: '%s' is folded stacks",
				  strcmp(files[i], "-") ? files[i] : "standard input");
			ret = EXIT_USAGE;
		} else {
			ret = read_folded(files[i], out, filter, flags, &ignored);
		}
	}
	if (!ret && ignored)
		fs_warn("ignored %zu lines with invalid format", ignored);
	stack_filter__free(filter);
	return ret;
}

void profile_input__usage(FILE *out)
{
	fprintf(out,
		"Input (profile databases of `record -o FILE.db`, or folded stacks):\n"
		"      --from SECS      a database's samples from SECS seconds after the start\n"
		"                       (fractions allowed; negative: before the end)\n"
		"      --to SECS        ... up to SECS seconds (time slices of 100 ms, see\n"
		"                       --bucket of record)\n"
		"      --pid PID[,PID]  stacks of these processes (folded input: by a first\n"
		"                       frame \"comm-PID\", as record --pid writes)\n"
		"      --tid TID[,TID]  stacks of these threads (\"comm-PID/TID\" frames)\n"
		"      --comm NAME      stacks of threads of this name\n"
		"      --grep RE        keep stacks where a frame matches RE (POSIX extended\n"
		"                       regular expression); several: all must match\n"
		"      --exclude RE     drop stacks where a frame matches RE\n"
		"      --skip-after FUNC  drop the frames above FUNC (toward the root) so that\n"
		"                       FUNC becomes the root; stacks without it stay whole\n"
		"Options that take a list may also be repeated.\n");
}
