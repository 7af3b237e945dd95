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
#include "collapse/stack_counts.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/strtab.h"
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

/* The frames of file offset @addr of @dso, outermost first, as folded text (no leading ';'). */
static void format_file_frame(struct strbuf *sb, struct symbolizer *sym, const struct dso *dso,
			      uint64_t addr)
{
	struct sym_frame frames[MAX_FRAMES_PER_ADDR];
	size_t n, i;

	n = symbolizer__user_frames(sym,
				    &(struct sym_file_key){.path = dso->path,
							   .dev = dso->dev,
							   .ino = dso->ino,
							   .pid = dso->pid,
							   .map_start = dso->map_start,
							   .map_end = dso->map_end},
				    addr, frames, MAX_FRAMES_PER_ADDR);
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

/*
 * Every distinct (file, offset) of the recording, symbolized once, in file
 * and address order: each DWARF compilation unit is then indexed once even
 * when the memory bound cannot keep them all, and lookups walk the indexes
 * front to back instead of at random.
 */
struct file_frame {
	uint32_t dso;
	uint64_t addr;
	uint32_t text; /* strtab id of format_file_frame()'s text */
};

struct file_frames {
	struct file_frame *v;
	size_t n;
	struct strtab *texts;
};

static int cmp_file_frame(const void *a, const void *b)
{
	const struct file_frame *x = a, *y = b;

	if (x->dso != y->dso)
		return x->dso < y->dso ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void file_frames__collect(struct file_frames *ff, size_t *cap, struct stack_table *stacks)
{
	size_t i, j, n = stacks ? stack_table__size(stacks) : 0;

	for (i = 0; i < n; i++) {
		struct stack_entry e;

		stack_table__get(stacks, i, &e);
		for (j = 0; e.count && j < e.nr_frames; j++) {
			if (e.frames[j].dso < DSO_FIRST_FILE)
				continue;
			if (ff->n == *cap) {
				*cap = *cap ? 2 * *cap : 1024;
				ff->v = xreallocarray(ff->v, *cap, sizeof(*ff->v));
			}
			ff->v[ff->n++] = (struct file_frame){e.frames[j].dso, e.frames[j].addr, 0};
		}
	}
}

/* The frames of every table in @tables (NULL entries skipped). */
static void file_frames__build(struct file_frames *ff, struct stack_table *const *tables,
			       size_t nr_tables, struct symbolizer *sym,
			       const struct process_table *pt)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, cap = 0, out = 0;

	ff->v = NULL;
	ff->n = 0;
	ff->texts = strtab__new();
	for (i = 0; i < nr_tables; i++)
		file_frames__collect(ff, &cap, tables[i]);
	if (ff->n)
		qsort(ff->v, ff->n, sizeof(*ff->v), cmp_file_frame);
	for (i = 0; i < ff->n; i++) {
		const struct dso *dso;

		if (out && !cmp_file_frame(&ff->v[out - 1], &ff->v[i]))
			continue;
		ff->v[out] = ff->v[i];
		strbuf_reset(&sb);
		dso = process_table__dso(pt, ff->v[out].dso);
		if (dso)
			format_file_frame(&sb, sym, dso, ff->v[out].addr);
		else
			strbuf_addstr(&sb, "[unknown]");
		ff->v[out].text = strtab__intern(ff->texts, sb.buf, sb.len);
		out++;
	}
	ff->n = out;
	strbuf_release(&sb);
}

static const char *file_frames__text(const struct file_frames *ff, uint32_t dso, uint64_t addr)
{
	struct file_frame key = {dso, addr, 0};
	const struct file_frame *f = bsearch(&key, ff->v, ff->n, sizeof(*ff->v), cmp_file_frame);

	return f ? strtab__str(ff->texts, f->text, NULL) : "[unknown]";
}

static void file_frames__release(struct file_frames *ff)
{
	free(ff->v);
	strtab__free(ff->texts);
}

/*
 * Frames of file text (one or more, ';'-separated), each with its own
 * annotation (_[i]) replaced by @annotation.
 */
static void add_annotated_text(struct strbuf *sb, const char *text, const char *annotation)
{
	for (;;) {
		const char *end = strchr(text, ';');
		size_t len = end ? (size_t)(end - text) : strlen(text);

		if (len >= 4 && !memcmp(text + len - 4, "_[i]", 4))
			len -= 4;
		strbuf_add(sb, text, len);
		strbuf_addstr(sb, annotation);
		if (!end)
			break;
		strbuf_addch(sb, ';');
		text = end + 1;
	}
}

/*
 * One frame (or an inline chain).  @annotation, when not NULL, replaces the
 * frame's own annotation (_[k], _[j], _[i]): hot/cold graphs mark off-CPU
 * frames _[o] whatever they are.
 */
static void add_frame(struct strbuf *sb, struct symbolizer *sym, const struct file_frames *ff,
		      pid_t pid, const struct sampler_frame *f, const char *annotation)
{
	const char *name;

	strbuf_addch(sb, ';');
	if (f->dso == DSO_KERNEL) {
		name = symbolizer__kernel(sym, f->addr);
		add_name(sb, name ? name : "[kernel.kallsyms]", annotation ? annotation : "_[k]");
		return;
	}
	if (f->dso == DSO_ANON) {
		/* JIT code: named from the process's perf map, annotated as perf and FlameGraph do
		 */
		name = symbolizer__jit(sym, pid, f->addr);
		add_name(sb, name ? name : "[unknown]",
			 annotation ? annotation
			 : name	    ? "_[j]"
				    : NULL);
		return;
	}
	if (f->dso == DSO_UNKNOWN) {
		add_name(sb, "[unknown]", annotation);
		return;
	}
	if (annotation)
		add_annotated_text(sb, file_frames__text(ff, f->dso, f->addr), annotation);
	else
		strbuf_addstr(sb, file_frames__text(ff, f->dso, f->addr));
}

/* "comm[-pid[/tid]];outermost;...;leaf" */
static void folded_stack(struct strbuf *sb, const struct record_output_options *o,
			 struct symbolizer *sym, const struct file_frames *ff,
			 const struct stack_entry *e, const char *annotation)
{
	size_t i;

	strbuf_reset(sb);
	add_name(sb, e->comm, NULL);
	if (o->with_tid)
		strbuf_addf(sb, "-%d/%d", e->pid, e->tid);
	else if (o->with_pid)
		strbuf_addf(sb, "-%d", e->pid);
	for (i = e->nr_frames; i > 0; i--)
		add_frame(sb, sym, ff, e->pid, &e->frames[i - 1], annotation);
}

/* Fold every stack of @stacks into @counts. */
static void fold_table(struct stack_counts *counts, const struct record_output_options *o,
		       struct symbolizer *sym, const struct file_frames *ff,
		       struct stack_table *stacks, const char *annotation)
{
	struct strbuf line = STRBUF_INIT;
	size_t i, n = stacks ? stack_table__size(stacks) : 0;

	for (i = 0; i < n; i++) {
		struct stack_entry e;

		stack_table__get(stacks, i, &e);
		if (!e.count)
			continue; /* all of it freed (--malloc=live) */
		folded_stack(&line, o, sym, ff, &e, annotation);
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

	struct stat st;

	if (!path || !strcmp(path, "-") || !uid || !gid || geteuid() != 0)
		return;
	/* the file written, not /dev/null or a FIFO it was written through */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (chown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)))
		fs_warn("cannot give '%s' to SUDO_UID %s: %s", path, uid, strerror(errno));
}

/* JITs that write jitdump files map them: hand every such file to the symbolizer. */
static void add_jit_mappings(struct symbolizer *sym, const struct process_table *pt)
{
	const struct dso *dso;
	uint32_t id;

	for (id = DSO_FIRST_FILE; (dso = process_table__dso(pt, id)); id++)
		symbolizer__add_jit_mapping(sym, dso->pid, dso->path, dso->ino);
}

int record_output__write(const struct record_output_options *o, struct stack_table *stacks,
			 struct stack_table *offcpu_stacks, const struct process_table *pt,
			 struct output_file *of)
{
	struct stack_table *tables[] = {stacks, offcpu_stacks};
	struct symbolizer_options sym_opts;
	struct file_frames ff;
	struct symbolizer *sym;
	struct stack_counts *counts = stack_counts__new();
	struct folded_profile *profile = NULL;
	const char *out_name = strcmp(o->output, "-") ? o->output : "standard output";
	int ret, err;

	symbolizer_options__init(&sym_opts);
	sym_opts.demangle = !o->no_demangle;
	sym_opts.inline_frames = !o->no_inline;
	sym_opts.lines = o->lines;
	sym_opts.memory_limit = o->symbol_memory;
	sym = symbolizer__new(&sym_opts);
	add_jit_mappings(sym, pt);
	file_frames__build(&ff, tables, 2, sym, pt);
	fold_table(counts, o, sym, &ff, stacks, NULL);
	fold_table(counts, o, sym, &ff, offcpu_stacks, "_[o]");
	file_frames__release(&ff);
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
