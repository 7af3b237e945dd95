// SPDX-License-Identifier: Apache-2.0
#include "store/stack_filter.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define NO_ID UINT32_MAX

/* Per name of the input profile: a regex's verdict, computed once. */
enum { UNKNOWN = 0, NO = 1, YES = 2 };

struct stack_filter {
	struct stack_filter_options o;
	regex_t *grep, *exclude;
	size_t nr_grep, nr_exclude; /* compiled */
	/* for the profile being filtered */
	const struct folded_profile *in;
	unsigned char *grep_cache, *exclude_cache, *skip_cache;
	uint32_t *out_ids;
	size_t nr_names;
};

bool stack_filter_options__any(const struct stack_filter_options *o)
{
	return o->nr_pids || o->nr_tids || o->nr_comms || o->nr_grep || o->nr_exclude ||
	       o->nr_skip_after;
}

static int compile(regex_t *re, const char *pattern, const char *option, char *err, size_t errsize)
{
	char msg[256];
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

	if (!rc)
		return 0;
	regerror(rc, re, msg, sizeof(msg));
	if (errsize)
		snprintf(err, errsize, "%s '%s': %s", option, pattern, msg);
	return -EINVAL;
}

struct stack_filter *stack_filter__new(const struct stack_filter_options *o, char *err,
				       size_t errsize)
{
	struct stack_filter *f = xcalloc(1, sizeof(*f));
	size_t i;
	int ret = 0;

	f->o = *o;
	f->grep = xcalloc(o->nr_grep + 1, sizeof(*f->grep));
	f->exclude = xcalloc(o->nr_exclude + 1, sizeof(*f->exclude));
	for (i = 0; !ret && i < o->nr_grep; i++) {
		ret = compile(&f->grep[i], o->grep[i], "--grep", err, errsize);
		f->nr_grep += !ret;
	}
	for (i = 0; !ret && i < o->nr_exclude; i++) {
		ret = compile(&f->exclude[i], o->exclude[i], "--exclude", err, errsize);
		f->nr_exclude += !ret;
	}
	if (ret) {
		stack_filter__free(f);
		errno = -ret;
		return NULL;
	}
	return f;
}

void stack_filter__free(struct stack_filter *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nr_grep; i++)
		regfree(&f->grep[i]);
	for (i = 0; i < f->nr_exclude; i++)
		regfree(&f->exclude[i]);
	free(f->grep);
	free(f->exclude);
	free(f);
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0 && len <= 9;
}

size_t stack_filter__parse_first(const char *frame, size_t len, pid_t *pid, pid_t *tid)
{
	size_t end = len, p;
	pid_t t = 0;

	*pid = *tid = 0;
	/* "/TID" at the end */
	for (p = end; p > 0 && frame[p - 1] >= '0' && frame[p - 1] <= '9'; p--)
		;
	if (p > 0 && p < end && frame[p - 1] == '/' && all_digits(frame + p, end - p)) {
		t = (pid_t)strtol(frame + p, NULL, 10);
		end = p - 1;
		for (p = end; p > 0 && frame[p - 1] >= '0' && frame[p - 1] <= '9'; p--)
			;
	}
	if (p > 0 && p < end && frame[p - 1] == '-' && all_digits(frame + p, end - p)) {
		*pid = (pid_t)strtol(frame + p, NULL, 10);
		*tid = t;
		return p - 1;
	}
	return len;
}

/* Does the first frame pass the pid, tid and comm filters? */
static bool first_frame_passes(const struct stack_filter *f, const char *frame, size_t len)
{
	pid_t pid, tid;
	size_t comm_len = stack_filter__parse_first(frame, len, &pid, &tid), i;
	bool ok;

	if (f->o.nr_pids) {
		for (ok = false, i = 0; !ok && i < f->o.nr_pids; i++)
			ok = pid && pid == f->o.pids[i];
		if (!ok)
			return false;
	}
	if (f->o.nr_tids) {
		for (ok = false, i = 0; !ok && i < f->o.nr_tids; i++)
			ok = tid && tid == f->o.tids[i];
		if (!ok)
			return false;
	}
	if (f->o.nr_comms) {
		for (ok = false, i = 0; !ok && i < f->o.nr_comms; i++)
			ok = strlen(f->o.comms[i]) == comm_len &&
			     !memcmp(f->o.comms[i], frame, comm_len);
		if (!ok)
			return false;
	}
	return true;
}

static bool matches(struct stack_filter *f, regex_t *re, unsigned char *cache, uint32_t id)
{
	if (cache[id] == UNKNOWN)
		cache[id] =
			regexec(re, folded_profile__name(f->in, id, NULL), 0, NULL, 0) ? NO : YES;
	return cache[id] == YES;
}

static bool named(const char *text, const char *func)
{
	size_t n = strlen(func);

	return !strncmp(text, func, n) &&
	       (!text[n] || text[n] == ' ' || (text[n] == '_' && text[n + 1] == '['));
}

static bool is_skip_after(struct stack_filter *f, uint32_t id)
{
	size_t i;

	if (f->skip_cache[id] == UNKNOWN) {
		const char *text = folded_profile__name(f->in, id, NULL);

		f->skip_cache[id] = NO;
		for (i = 0; i < f->o.nr_skip_after; i++)
			if (named(text, f->o.skip_after[i]))
				f->skip_cache[id] = YES;
	}
	return f->skip_cache[id] == YES;
}

/* Does the stack pass the frame filters? */
static bool frames_pass(struct stack_filter *f, const struct folded_stack *fs)
{
	size_t i, j;

	for (i = 0; i < f->nr_grep; i++) {
		bool found = false;

		for (j = 0; !found && j < fs->nframes; j++)
			found = matches(f, &f->grep[i], f->grep_cache + i * f->nr_names,
					fs->frames[j]);
		if (!found)
			return false;
	}
	for (i = 0; i < f->nr_exclude; i++)
		for (j = 0; j < fs->nframes; j++)
			if (matches(f, &f->exclude[i], f->exclude_cache + i * f->nr_names,
				    fs->frames[j]))
				return false;
	return true;
}

static uint32_t out_id(struct stack_filter *f, struct folded_profile *out, uint32_t id)
{
	if (f->out_ids[id] == NO_ID) {
		size_t len;
		const char *name = folded_profile__name(f->in, id, &len);

		f->out_ids[id] = folded_profile__intern(out, name, len);
	}
	return f->out_ids[id];
}

static void filter_one(struct stack_filter *f, const struct folded_stack *fs,
		       struct folded_profile *out, bool first_frame, uint32_t **ids, size_t *cap)
{
	size_t start = 0, i;

	if (!fs->nframes)
		return;
	if (first_frame && (f->o.nr_pids || f->o.nr_tids || f->o.nr_comms)) {
		size_t len;
		const char *name = folded_profile__name(f->in, fs->frames[0], &len);

		if (!first_frame_passes(f, name, len))
			return;
	}
	if (!frames_pass(f, fs))
		return;
	if (f->o.nr_skip_after) {
		for (i = 0; i < fs->nframes; i++) {
			if (is_skip_after(f, fs->frames[i])) {
				start = i;
				break;
			}
		}
	}
	if (fs->nframes > *cap) {
		*cap = fs->nframes;
		*ids = xreallocarray(*ids, *cap, sizeof(**ids));
	}
	for (i = start; i < fs->nframes; i++)
		(*ids)[i - start] = out_id(f, out, fs->frames[i]);
	if (fs->has_delta)
		folded_profile__add_diff_ids(out, *ids, fs->nframes - start, fs->weight - fs->delta,
					     fs->weight);
	else
		folded_profile__add_ids(out, *ids, fs->nframes - start, fs->weight);
}

void stack_filter__apply(struct stack_filter *f, const struct folded_profile *in,
			 struct folded_profile *out, bool first_frame)
{
	size_t i, n, seq = folded_profile__sequence_len(in), cap = 0;
	uint32_t *ids = NULL;

	f->in = in;
	f->nr_names = folded_profile__name_count(in);
	f->grep_cache = xcalloc(f->nr_names * f->nr_grep + 1, 1);
	f->exclude_cache = xcalloc(f->nr_names * f->nr_exclude + 1, 1);
	f->skip_cache = xcalloc(f->nr_names + 1, 1);
	f->out_ids = xmalloc((f->nr_names + 1) * sizeof(*f->out_ids));
	memset(f->out_ids, 0xff, (f->nr_names + 1) * sizeof(*f->out_ids));
	n = seq ? seq : folded_profile__stack_count(in);
	for (i = 0; i < n; i++) {
		struct folded_stack fs;

		if (seq)
			folded_profile__sequence(in, i, &fs);
		else
			folded_profile__stack(in, i, &fs);
		filter_one(f, &fs, out, first_frame, &ids, &cap);
	}
	free(ids);
	free(f->grep_cache);
	free(f->exclude_cache);
	free(f->skip_cache);
	free(f->out_ids);
	f->grep_cache = f->exclude_cache = f->skip_cache = NULL;
	f->out_ids = NULL;
	f->in = NULL;
}
