// SPDX-License-Identifier: Apache-2.0
#include "cli/record_output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record_frames.h"
#include "collapse/stack_counts.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "render/folded.h"
#include "symbolize/symbolizer.h"

/*
 * One frame (or an inline chain).  @annotation, when not NULL, replaces the
 * frame's own annotation (_[k], _[j], _[i]): hot/cold graphs mark off-CPU
 * frames _[o] whatever they are.
 */
static void add_frame(struct strbuf *sb, struct record_frames *rf, pid_t pid,
		      const struct sampler_frame *f, const char *annotation)
{
	struct profile_frame frames[RECORD_FRAMES_MAX_PER_ADDR];
	size_t n = record_frames__get(rf, pid, f, frames), i;

	for (i = 0; i < n; i++) {
		strbuf_addch(sb, ';');
		profile_frame__append_text(sb, &frames[i], annotation);
	}
}

/*
 * Keep the @max innermost frames of the folded line in @sb, whose frames
 * begin at @from (each after a ';': names hold none).
 */
static void keep_innermost(struct strbuf *sb, size_t from, size_t max)
{
	size_t end = sb->len, kept = 0;

	while (end > from) {
		if (sb->buf[--end] == ';' && ++kept == max)
			break;
	}
	if (end > from) {
		memmove(sb->buf + from, sb->buf + end, sb->len - end);
		strbuf_setlen(sb, from + sb->len - end);
	}
}

/* "comm[-pid[/tid]];outermost;...;leaf" */
static void folded_stack(struct strbuf *sb, const struct record_output_options *o,
			 struct record_frames *rf, const struct stack_entry *e,
			 const char *annotation)
{
	size_t i, frames_from;

	strbuf_reset(sb);
	profile_frame__append_name(sb, e->comm, NULL);
	if (o->with_tid)
		strbuf_addf(sb, "-%d/%d", e->pid, e->tid);
	else if (o->with_pid)
		strbuf_addf(sb, "-%d", e->pid);
	frames_from = sb->len;
	for (i = e->nr_frames; i > 0; i--)
		add_frame(sb, rf, e->pid, &e->frames[i - 1], annotation);
	/* the sampler kept max_frames addresses: their inline chains may add frames */
	if (o->max_frames)
		keep_innermost(sb, frames_from, o->max_frames);
}

/* Fold every stack of @stacks into @counts. */
static void fold_table(struct stack_counts *counts, const struct record_output_options *o,
		       struct record_frames *rf, struct stack_table *stacks, const char *annotation)
{
	struct strbuf line = STRBUF_INIT;
	size_t i, n = stacks ? stack_table__size(stacks) : 0;

	for (i = 0; i < n; i++) {
		struct stack_entry e;

		stack_table__get(stacks, i, &e);
		if (!e.count)
			continue; /* all of it freed (--malloc=live) */
		folded_stack(&line, o, rf, &e, annotation);
		stack_counts__add(counts, line.buf, line.len, (double)e.count);
	}
	strbuf_release(&line);
}

/* @counts scaled by @scale and rounded; lines that round to 0 are left out. */
static int add_scaled(const char *stack, size_t len, double count, void *ctx)
{
	struct {
		struct stack_counts *out;
		double scale;
	} *c = ctx;
	double v = floor(count * c->scale + 0.5);

	if (v > 0)
		stack_counts__add(c->out, stack, len, v);
	return 0;
}

static struct stack_counts *scale_counts(struct stack_counts *counts, double scale)
{
	struct {
		struct stack_counts *out;
		double scale;
	} c = {stack_counts__new(), scale};

	stack_counts__for_each_sorted(counts, add_scaled, &c);
	stack_counts__free(counts);
	return c.out;
}

/* stack_counts -> profile: names hold no ';' (see add_name) */
static int add_to_profile(const char *stack, size_t len, double count, void *ctx)
{
	folded_profile__add_stack(ctx, stack, len, count);
	return 0;
}

/* Under sudo, hand the file to the user who ran sudo rather than root. */
static void give_to_sudo_user(const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	struct stat st;

	if (!path || !strcmp(path, "-") || !uid || !gid || geteuid() != 0)
		return;
	/* the file written, not /dev/null or a FIFO it was written through */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (chown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)))
		fs_warn("cannot give '%s' to SUDO_UID %s: %s", path, uid, strerror(errno));
}

/* The symbolizer @o asks for: demangling, inline frames, lines, memory bound. */
static struct symbolizer *open_symbolizer(const struct record_output_options *o)
{
	struct symbolizer_options sym_opts;

	symbolizer_options__init(&sym_opts);
	sym_opts.demangle = !o->no_demangle;
	sym_opts.inline_frames = !o->no_inline;
	sym_opts.lines = o->lines;
	sym_opts.memory_limit = o->symbol_memory;
	return symbolizer__new(&sym_opts);
}

int record_output__write(const struct record_output_options *o, struct stack_table *stacks,
			 struct stack_table *offcpu_stacks, const struct process_table *pt,
			 struct output_file *of)
{
	struct record_frames *rf;
	struct symbolizer *sym;
	struct stack_counts *counts = stack_counts__new();
	struct folded_profile *profile = NULL;
	const char *out_name = strcmp(o->output, "-") ? o->output : "standard output";
	int ret, err;

	sym = open_symbolizer(o);
	rf = record_frames__new(sym, pt);
	/* every address symbolized before the lookups, each table in file and address order */
	if (stacks)
		record_frames__add(rf, stacks, 0, stack_table__size(stacks), true);
	if (offcpu_stacks)
		record_frames__add(rf, offcpu_stacks, 0, stack_table__size(offcpu_stacks), true);
	fold_table(counts, o, rf, stacks, NULL);
	fold_table(counts, o, rf, offcpu_stacks, "_[o]");
	record_frames__free(rf);
	if (o->count_scale > 0 && o->count_scale != 1)
		counts = scale_counts(counts, o->count_scale);
	cli_report_symbolizer(sym);
	if (o->format == RECORD_FORMAT_FOLDED) {
		err = stack_counts__write(counts, output_file__stream(of));
		if (err)
			output_file__abort(of);
		else
			err = output_file__commit(of);
		if (err) {
			cli_error("cannot write '%s': %s", out_name, strerror(-err));
			ret = EXIT_FAILURE_RUNTIME;
		} else {
			ret = EXIT_OK;
		}
	} else {
		profile = folded_profile__new(0);
		stack_counts__for_each_sorted(counts, add_to_profile, profile);
		ret = render_args__write_svg(o->render, profile, of, out_name);
	}
	if (ret == EXIT_OK) {
		give_to_sudo_user(o->output);
		if (o->format == RECORD_FORMAT_SVG)
			give_to_sudo_user(o->render->palfile);
	}
	folded_profile__free(profile);
	stack_counts__free(counts);
	symbolizer__free(sym);
	return ret;
}

struct record_namer {
	const struct record_output_options *opts;
	struct symbolizer *sym;
	struct record_frames *frames;
};

struct record_namer *record_namer__new(const struct record_output_options *o,
				       const struct process_table *pt)
{
	struct record_namer *n = xcalloc(1, sizeof(*n));

	n->opts = o;
	n->sym = open_symbolizer(o);
	n->frames = record_frames__new(n->sym, pt);
	return n;
}

void record_namer__free(struct record_namer *n)
{
	if (!n)
		return;
	record_frames__free(n->frames);
	symbolizer__free(n->sym);
	free(n);
}

void record_namer__add(struct record_namer *n, struct stack_table *stacks, size_t from, size_t to)
{
	record_frames__add(n->frames, stacks, from, to, false);
}

void record_namer__fold(struct record_namer *n, const struct stack_entry *e, struct strbuf *sb)
{
	folded_stack(sb, n->opts, n->frames, e, NULL);
}

static bool in_path(const char *program)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		if (len &&
		    snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, program) <
			    (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

void record_output__open_viewer(const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
	pid_t pid;

	if (!strcmp(path, "-"))
		return;
	if (!in_path("xdg-open")) {
		fs_warn("--open: xdg-open is not installed; open %s in a browser", path);
		return;
	}
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
		fs_warn("--open: no desktop session (DISPLAY is not set); open %s in a browser",
			path);
		return;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* a desktop opener must not run as root on the user's session */
		if (geteuid() == 0 && uid && gid &&
		    (setgid((gid_t)strtoul(gid, NULL, 10)) ||
		     setuid((uid_t)strtoul(uid, NULL, 10))))
			_exit(126);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		setsid();
		execlp("xdg-open", "xdg-open", path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		fs_warn("--open: cannot start xdg-open: %s", strerror(errno));
}
