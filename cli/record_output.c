// SPDX-License-Identifier: Apache-2.0
#include "cli/record_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collapse/stack_counts.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "render/folded.h"
#include "symbolize/symbolizer.h"

/* An address inlines deeper than this: the outermost functions are kept. */
#define MAX_FRAMES_PER_ADDR 32

/*
 * A name from the profiled program must not break the folded format: ';'
 * separates frames and a newline ends the line.  Control characters become
 * '?', ';' becomes ':'.
 */
static void add_name(struct strbuf *sb, const char *name, const char *suffix)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (*p == ';')
			strbuf_addch(sb, ':');
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addch(sb, '?');
		else
			strbuf_addch(sb, (char)*p);
	}
	if (suffix)
		strbuf_addstr(sb, suffix);
}

static void add_frame(struct strbuf *sb, struct symbolizer *sym, const struct process_table *pt,
		      pid_t pid, const struct sampler_frame *f)
{
	struct sym_frame frames[MAX_FRAMES_PER_ADDR];
	const struct dso *dso;
	const char *name;
	size_t n, i;

	strbuf_addch(sb, ';');
	if (f->dso == DSO_KERNEL) {
		name = symbolizer__kernel(sym, f->addr);
		add_name(sb, name ? name : "[kernel.kallsyms]", "_[k]");
		return;
	}
	if (f->dso == DSO_ANON) {
		/* JIT code: named from the process's perf map, annotated as perf and FlameGraph do
		 */
		name = symbolizer__jit(sym, pid, f->addr);
		if (name)
			add_name(sb, name, "_[j]");
		else
			strbuf_addstr(sb, "[unknown]");
		return;
	}
	dso = process_table__dso(pt, f->dso);
	if (f->dso == DSO_UNKNOWN || !dso) {
		strbuf_addstr(sb, "[unknown]");
		return;
	}
	n = symbolizer__user_frames(sym,
				    &(struct sym_file_key){.path = dso->path,
							   .dev = dso->dev,
							   .ino = dso->ino,
							   .pid = dso->pid,
							   .map_start = dso->map_start,
							   .map_end = dso->map_end},
				    f->addr, frames, MAX_FRAMES_PER_ADDR);
	if (!n || !frames[n - 1].name) {
		/* no symbol: say which file, as perf script's "([libfoo.so])" */
		strbuf_addch(sb, '[');
		add_name(sb, dso->name, "]");
		return;
	}
	/* outermost first; inlined functions are frames of their own, marked _[i] */
	for (i = n; i-- > 0;) {
		if (i != n - 1)
			strbuf_addch(sb, ';');
		add_name(sb, frames[i].name ? frames[i].name : "[unknown]", NULL);
		if (frames[i].file) {
			const char *base = strrchr(frames[i].file, '/');

			strbuf_addch(sb, ' ');
			add_name(sb, base ? base + 1 : frames[i].file, NULL);
			strbuf_addf(sb, ":%u", frames[i].line);
		}
		if (frames[i].inlined)
			strbuf_addstr(sb, "_[i]");
	}
}

/* "comm[-pid[/tid]];outermost;...;leaf" */
static void folded_stack(struct strbuf *sb, const struct record_output_options *o,
			 struct symbolizer *sym, const struct process_table *pt,
			 const struct stack_entry *e)
{
	size_t i;

	strbuf_reset(sb);
	add_name(sb, e->comm, NULL);
	if (o->with_tid)
		strbuf_addf(sb, "-%d/%d", e->pid, e->tid);
	else if (o->with_pid)
		strbuf_addf(sb, "-%d", e->pid);
	for (i = e->nr_frames; i > 0; i--)
		add_frame(sb, sym, pt, e->pid, &e->frames[i - 1]);
}

/* Split a folded stack (names hold no ';', see add_name) into the profile. */
static int add_to_profile(const char *stack, size_t len, double count, void *ctx)
{
	struct folded_profile *profile = ctx;
	uint32_t ids_buf[256], *ids = ids_buf;
	size_t n = 0, cap = 256, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && stack[i] != ';')
			continue;
		if (n == cap) {
			cap *= 2;
			ids = ids == ids_buf ? memcpy(xreallocarray(NULL, cap, sizeof(*ids)),
						      ids_buf, sizeof(ids_buf))
					     : xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = folded_profile__intern(profile, stack + start, i - start);
		start = i + 1;
	}
	folded_profile__add_ids(profile, ids, n, count);
	if (ids != ids_buf)
		free(ids);
	return 0;
}

/* Under sudo, hand the file to the user who ran sudo rather than root. */
static void give_to_sudo_user(const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	if (!path || !strcmp(path, "-") || !uid || !gid || geteuid() != 0)
		return;
	if (chown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)))
		fs_warn("cannot give '%s' to SUDO_UID %s: %s", path, uid, strerror(errno));
}

int record_output__write(const struct record_output_options *o, struct stack_table *stacks,
			 const struct process_table *pt, struct output_file *of)
{
	struct symbolizer_options sym_opts;
	struct symbolizer *sym;
	struct stack_counts *counts = stack_counts__new();
	struct folded_profile *profile = NULL;
	const char *out_name = strcmp(o->output, "-") ? o->output : "standard output";
	struct strbuf line = STRBUF_INIT;
	size_t i, n = stack_table__size(stacks);
	int ret, err;

	symbolizer_options__init(&sym_opts);
	sym_opts.demangle = !o->no_demangle;
	sym_opts.inline_frames = !o->no_inline;
	sym_opts.lines = o->lines;
	sym_opts.memory_limit = o->symbol_memory;
	sym = symbolizer__new(&sym_opts);
	for (i = 0; i < n; i++) {
		struct stack_entry e;

		stack_table__get(stacks, i, &e);
		folded_stack(&line, o, sym, pt, &e);
		stack_counts__add(counts, line.buf, line.len, (double)e.count);
	}
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
	strbuf_release(&line);
	symbolizer__free(sym);
	return ret;
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
