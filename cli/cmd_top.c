// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp top: the hottest functions of a process (or of the system) by
 * self and total weight, live, in the terminal.  The recorder's sources feed
 * it: CPU samples (perf_event_open), and with --offcpu and --malloc the BPF
 * off-CPU and allocation traces, whose events arrive through their ring
 * buffers while they run.  Every refresh names the stacks first seen since
 * the last one (each distinct stack once) and recomputes the function table
 * (collapse/func_table.h) from every stack's current weight.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "cli/cli.h"
#include "cli/picker.h"
#include "cli/record_malloc.h"
#include "cli/record_offcpu.h"
#include "cli/record_output.h"
#include "cli/record_store.h"
#include "cli/render_options.h"
#include "cli/tui.h"
#include "collapse/func_table.h"
#include "common/mapped_file.h"
#include "common/number.h"
#include "common/output_file.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "sampler/sampler.h"
#include "sampler/stack_table.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp top [OPTIONS] -p PID[,PID...] | -t TID[,TID...] | -a\n"
		"       flamesamp top [OPTIONS] [--] COMMAND [ARGS...]\n"
		"       flamesamp top             (on a terminal: pick a process from a list)\n"
		"\n"
		"The hottest functions, by self and total weight, refreshed live in the\n"
		"terminal.  Needs root or CAP_PERFMON, as `flamesamp record` does.\n"
		"\n"
		"Target:\n"
		"  -p, --pid-target LIST every thread of these processes\n"
		"  -t, --tid-target LIST these threads\n"
		"  -a, --all-cpus       every process on every CPU\n"
		"  COMMAND [ARGS]       run COMMAND (its output is discarded: it would draw\n"
		"                       over the screen) and watch it\n"
		"Sources (the CPU is always sampled):\n"
		"      --offcpu         also off-CPU time (BPF; root): key 2\n"
		"      --malloc[=MODE]  also allocations of -p PID or COMMAND (BPF; root): key 3;\n"
		"                       MODE bytes (default), count or live\n"
		"Options:\n"
		"  -F, --freq HZ        CPU samples per second per CPU (default 997)\n"
		"  -d, --delay SECS     refresh every SECS seconds (default 1)\n"
		"      --duration SECS  quit after SECS seconds (writing -o)\n"
		"      --no-kernel      user stacks only\n"
		"  -o, --output FILE    on quit, write what the view showing then recorded:\n"
		"                       .folded / .txt for folded stacks, .db for a profile\n"
		"                       database (flamesamp report, render, query), else an SVG\n"
		"  -v, --verbose        more detail on errors\n"
		"  -h, --help           show this help\n"
		"\n"
		"Keys: j/k or arrows move, PgUp/PgDn/Home/End, Enter: callers and callees of\n"
		"the function (Enter there goes to one; Esc, Backspace or q goes back),\n"
		"s sort by self or total, p pause the display (sampling goes on),\n"
		"1 CPU, 2 off-CPU, 3 memory, ? help, q quit.\n");
}

enum {
	OPT_DURATION = 1024,
	OPT_NO_KERNEL,
	OPT_OFFCPU,
	OPT_MALLOC,
};

static const struct option top_options[] = {
	{"pid-target", required_argument, NULL, 'p'},
	{"tid-target", required_argument, NULL, 't'},
	{"all-cpus", no_argument, NULL, 'a'},
	{"freq", required_argument, NULL, 'F'},
	{"delay", required_argument, NULL, 'd'},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"no-kernel", no_argument, NULL, OPT_NO_KERNEL},
	{"offcpu", no_argument, NULL, OPT_OFFCPU},
	{"off-cpu", no_argument, NULL, OPT_OFFCPU},
	{"malloc", optional_argument, NULL, OPT_MALLOC},
	{"output", required_argument, NULL, 'o'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

enum top_mode {
	TOP_CPU,
	TOP_OFFCPU,
	TOP_MEMORY,
	TOP_NR_MODES,
};

static const char *const mode_names[TOP_NR_MODES] = {"CPU", "off-CPU", "memory"};

struct top_args {
	struct sampler_options sampler;
	pid_t *pids, *tids;
	size_t nr_pids, nr_tids;
	double delay;	 /* seconds between refreshes */
	double duration; /* 0: until q */
	bool offcpu, malloc;
	struct record_malloc_options malloc_opts;
	struct record_output_options out;
	struct render_args render;
	const char *output; /* NULL: none */
	bool db_output;	    /* -o FILE.db: a profile database */
};

/* One source of stacks and what it shows. */
struct top_source {
	bool recorded;
	struct stack_table *stacks;
	uint32_t **funcs;   /* per stack entry: function ids, outermost first */
	uint32_t *nr_funcs; /* and how many */
	size_t named;	    /* entries named so far */
	struct func_table *table;
	uint64_t events; /* samples, blocks or allocations */
	uint64_t weight; /* their weight */
};

/* A line of the callers/callees view. */
struct detail_line {
	enum { LINE_HEADER, LINE_NONE, LINE_ROW } kind;
	const char *text; /* headers and "none" lines */
	struct func_row row;
};

struct top {
	struct top_args *args;
	struct sampler *sampler;
	struct record_offcpu *offcpu;
	struct record_malloc *malloc;
	struct record_namer *namer;
	struct top_source src[TOP_NR_MODES];
	struct strbuf sb;
	char target[128];

	/* what is shown */
	enum top_mode mode;
	enum func_sort sort;
	bool paused, stopped, help, quit;
	char status[160];
	char stopped_why[128]; /* why sampling stopped: shown when there is no other status */
	double start, last_refresh, rate;
	uint64_t rate_events;
	struct sampler_stats stats;

	/* the function list (a copy: func_table's rows are reused) */
	struct func_row *rows;
	size_t nr_rows, cap_rows, cursor, first;
	uint32_t cursor_func; /* followed across refreshes */
	bool have_cursor_func;

	/* the callers/callees view of detail_func */
	bool detail;
	uint32_t detail_func;
	uint32_t history[64]; /* functions to go back to */
	size_t nr_history;
	struct detail_line *lines;
	size_t nr_lines, cap_lines, dcursor, dfirst; /* dcursor: a LINE_ROW index in lines */
	size_t callee_header;			     /* the line of the callees' header */
};

/* ---- options ---- */

static int parse_args(int argc, char **argv, struct top_args *a)
{
	long v;
	int c, targets;

	render_args__init(&a->render);
	a->delay = 1;
	a->sampler.call_graph = SAMPLER_CALL_GRAPH_AUTO;
	a->out.format = RECORD_FORMAT_AUTO;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:p:t:aF:d:o:vh", top_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case '?':
			cli_error("unknown option '%s' (see 'flamesamp top --help')",
				  cli_bad_option(top_options, argv));
			return EXIT_USAGE;
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		case 'p':
			if (cli_parse_pid_list("-p", optarg, &a->pids, &a->nr_pids))
				return EXIT_USAGE;
			break;
		case 't':
			if (cli_parse_pid_list("-t", optarg, &a->tids, &a->nr_tids))
				return EXIT_USAGE;
			break;
		case 'a':
			a->sampler.system_wide = true;
			break;
		case 'F':
			if (cli_parse_int("-F", optarg, 1, 1000000, &v))
				return EXIT_USAGE;
			a->sampler.freq = (unsigned)v;
			break;
		case 'd':
		case OPT_DURATION:
			if (cli_parse_double(c == 'd' ? "-d" : "--duration", optarg,
					     c == 'd' ? &a->delay : &a->duration))
				return EXIT_USAGE;
			if (c == 'd' && (!(a->delay >= 0.1) || !isfinite(a->delay))) {
				cli_error("invalid value for -d: '%s' (expected seconds, at least "
					  "0.1)",
					  optarg);
				return EXIT_USAGE;
			}
			if (c == OPT_DURATION && (!(a->duration > 0) || !isfinite(a->duration))) {
				cli_error("invalid value for --duration: '%s' (expected seconds "
					  "above 0)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_NO_KERNEL:
			a->sampler.no_kernel = true;
			break;
		case OPT_OFFCPU:
			a->offcpu = true;
			break;
		case OPT_MALLOC:
			a->malloc = true;
			if (!optarg || !strcmp(optarg, "bytes")) {
				a->malloc_opts.mode = RECORD_MALLOC_BYTES;
			} else if (!strcmp(optarg, "count")) {
				a->malloc_opts.mode = RECORD_MALLOC_COUNT;
			} else if (!strcmp(optarg, "live")) {
				a->malloc_opts.mode = RECORD_MALLOC_LIVE;
			} else {
				cli_error("invalid value for --malloc: '%s' (expected bytes, count "
					  "or live)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'v':
			cli_verbose++;
			break;
		}
	}
	if (optind < argc)
		a->sampler.argv = argv + optind;
	targets = !!a->nr_pids + !!a->nr_tids + a->sampler.system_wide + !!a->sampler.argv;
	if (targets > 1) {
		cli_error("give only one of -p, -t, -a and a command");
		return EXIT_USAGE;
	}
	if (a->malloc && (a->sampler.system_wide || a->nr_tids)) {
		cli_error("--malloc traces processes: give -p PID or a command");
		return EXIT_USAGE;
	}
	if (a->output && strlen(a->output) >= 3 &&
	    !strcmp(a->output + strlen(a->output) - 3, ".db"))
		a->db_output = true;
	if (a->output)
		a->out.format = (strlen(a->output) >= 7 &&
				 !strcmp(a->output + strlen(a->output) - 7, ".folded")) ||
						(strlen(a->output) >= 4 &&
						 !strcmp(a->output + strlen(a->output) - 4, ".txt"))
					? RECORD_FORMAT_FOLDED
					: RECORD_FORMAT_SVG;
	return render_args__finish(&a->render);
}

/* Before opening anything, as `flamesamp record` checks: the targets exist, -F is allowed. */
static int check_targets(const struct top_args *a)
{
	long max_rate = kernel_sysctl("perf_event_max_sample_rate", -1);
	char path[32];
	size_t i;

	for (i = 0; i < a->nr_pids; i++) {
		snprintf(path, sizeof(path), "/proc/%d", a->pids[i]);
		if (access(path, F_OK)) {
			cli_error("-p %d: no such process", a->pids[i]);
			return EXIT_FAILURE_RUNTIME;
		}
	}
	for (i = 0; i < a->nr_tids; i++) {
		snprintf(path, sizeof(path), "/proc/%d", a->tids[i]);
		if (access(path, F_OK)) {
			cli_error("-t %d: no such process (or thread)", a->tids[i]);
			return EXIT_FAILURE_RUNTIME;
		}
	}
	if (a->sampler.freq && max_rate > 0 && a->sampler.freq > (unsigned long)max_rate) {
		cli_error("-F %u is above kernel.perf_event_max_sample_rate (%ld): use a lower -F, "
			  "or raise the limit with 'sysctl kernel.perf_event_max_sample_rate=%u'",
			  a->sampler.freq, max_rate, a->sampler.freq);
		return EXIT_USAGE;
	}
	return 0;
}

static void explain_open_error(const struct top_args *a, int err)
{
	switch (err) {
	case ESRCH:
		cli_error("the target exited before sampling could start (no such process)");
		break;
	case EACCES:
	case EPERM:
		cli_error("permission denied: kernel.perf_event_paranoid is %ld, so this needs "
			  "root or CAP_PERFMON; run with sudo",
			  kernel_sysctl("perf_event_paranoid", -1));
		break;
	case ENOENT:
		if (a->sampler.argv) {
			cli_error("cannot run '%s': %s", a->sampler.argv[0], strerror(err));
			break;
		}
		/* fall through */
	default:
		cli_error("cannot start sampling: %s", strerror(err));
	}
}

/* "pid 1234 (comm)", "pids 1,2", "tid 5", "all CPUs", "command NAME" */
static void describe_target(const struct top_args *a, char *buf, size_t size)
{
	char path[40], comm[32] = "";
	FILE *f;

	if (a->sampler.system_wide) {
		snprintf(buf, size, "all CPUs");
	} else if (a->sampler.argv) {
		snprintf(buf, size, "command %s", a->sampler.argv[0]);
	} else if (a->nr_tids) {
		snprintf(buf, size, "tid %d%s", a->tids[0], a->nr_tids > 1 ? " and more" : "");
	} else if (a->nr_pids > 1) {
		snprintf(buf, size, "pids %d and %zu more", a->pids[0], a->nr_pids - 1);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/comm", a->pids[0]);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(buf, size, "pid %d (%s)", a->pids[0], comm);
	}
}

/* ---- samples ---- */

static void on_sample(const struct sampler_sample *s, void *ctx)
{
	struct top *t = ctx;
	bool jit = false;
	size_t i;
	/* JIT frames are named by their address in the process: those stacks keep the pid */
	for (i = 0; i < s->nr_frames && !jit; i++)
		jit = s->frames[i].dso == DSO_ANON;
	if (s->kind == RECORD_KIND_ALLOC || s->kind == RECORD_KIND_FREE) {
		if (s->kind == RECORD_KIND_ALLOC) {
			t->src[TOP_MEMORY].events++;
			t->src[TOP_MEMORY].weight += s->period;
		}
		record_malloc__account(t->malloc, t->src[TOP_MEMORY].stacks, s, s->comm,
				       jit ? s->pid : 0, 0);
		return;
	}
	if (s->kind == RECORD_KIND_OFFCPU) {
		t->src[TOP_OFFCPU].events++;
		t->src[TOP_OFFCPU].weight += s->period;
		stack_table__add(t->src[TOP_OFFCPU].stacks, s->comm, jit ? s->pid : 0, 0, s->frames,
				 s->nr_frames, s->period);
		return;
	}
	t->src[TOP_CPU].events++;
	t->src[TOP_CPU].weight++;
	stack_table__add(t->src[TOP_CPU].stacks, s->comm, jit ? s->pid : 0, 0, s->frames,
			 s->nr_frames, 1);
}

static void on_external(bool final, void *ctx)
{
	struct top *t = ctx;

	if (t->offcpu)
		record_offcpu__drain(t->offcpu, final);
	if (t->malloc)
		record_malloc__drain(t->malloc, final);
}

/* ---- the function table ---- */

/* Name the stacks of @src first seen since the last refresh: function ids, outermost first. */
static void name_new_stacks(struct top *t, struct top_source *src)
{
	size_t i, n = stack_table__size(src->stacks);

	if (n <= src->named)
		return;
	src->funcs = xreallocarray(src->funcs, n, sizeof(*src->funcs));
	src->nr_funcs = xreallocarray(src->nr_funcs, n, sizeof(*src->nr_funcs));
	/* the new stacks' files symbolized together, in file and address order */
	record_namer__add(t->namer, src->stacks, src->named, n);
	for (i = src->named; i < n; i++) {
		struct stack_entry e;
		uint32_t *ids = NULL;
		size_t nr = 0, cap = 0, pos, len;
		const char *p;

		stack_table__get(src->stacks, i, &e);
		record_namer__fold(t->namer, &e, &t->sb);
		/* "comm;outermost;...;leaf": the comm is no function */
		p = memchr(t->sb.buf, ';', t->sb.len);
		pos = p ? (size_t)(p - t->sb.buf) + 1 : t->sb.len;
		while (pos < t->sb.len) {
			p = memchr(t->sb.buf + pos, ';', t->sb.len - pos);
			len = p ? (size_t)(p - t->sb.buf) - pos : t->sb.len - pos;
			if (nr == cap) {
				cap = cap ? 2 * cap : 32;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[nr++] = func_table__intern(src->table, t->sb.buf + pos, len);
			pos += len + 1;
		}
		src->funcs[i] = ids;
		src->nr_funcs[i] = (uint32_t)nr;
	}
	src->named = n;
}

static void recompute(struct top *t, struct top_source *src)
{
	size_t i;

	name_new_stacks(t, src);
	func_table__clear(src->table);
	for (i = 0; i < src->named; i++) {
		struct stack_entry e;

		stack_table__get(src->stacks, i, &e);
		if (e.count)
			func_table__add(src->table, src->funcs[i], src->nr_funcs[i],
					(double)e.count);
	}
}

static void build_detail(struct top *t);

/* New data: every source's table, the rows of the one shown, the cursor kept on its function. */
static void update_data(struct top *t, double now)
{
	struct top_source *src = &t->src[t->mode];
	const struct func_row *rows;
	size_t i, n;
	int m;

	for (m = 0; m < TOP_NR_MODES; m++)
		if (t->src[m].recorded)
			recompute(t, &t->src[m]);
	if (now > t->last_refresh)
		t->rate = (double)(src->events - t->rate_events) / (now - t->last_refresh);
	t->rate_events = src->events;
	t->last_refresh = now;
	if (!t->stopped)
		sampler__stats(t->sampler, &t->stats);

	n = func_table__rows(src->table, t->sort, &rows);
	if (n > t->cap_rows) {
		t->cap_rows = n;
		t->rows = xreallocarray(t->rows, n, sizeof(*t->rows));
	}
	if (n)
		memcpy(t->rows, rows, n * sizeof(*rows));
	t->nr_rows = n;
	if (t->have_cursor_func) {
		for (i = 0; i < n; i++) {
			if (t->rows[i].func == t->cursor_func) {
				t->cursor = i;
				break;
			}
		}
	}
	if (t->cursor >= n)
		t->cursor = n ? n - 1 : 0;
	if (n) {
		t->cursor_func = t->rows[t->cursor].func;
		t->have_cursor_func = true;
	}
	if (t->detail)
		build_detail(t);
}

/* ---- drawing ---- */

/* @v in the unit of the mode shown: samples, time or bytes/calls */
static const char *format_weight(const struct top *t, double d, char *buf, size_t size)
{
	if (t->mode == TOP_OFFCPU) {
		if (d < 1e6)
			snprintf(buf, size, "%.0fus", d / 1e3);
		else if (d < 1e9)
			snprintf(buf, size, "%.1fms", d / 1e6);
		else
			snprintf(buf, size, "%.2fs", d / 1e9);
	} else if (t->mode == TOP_MEMORY && t->args->malloc_opts.mode != RECORD_MALLOC_COUNT) {
		if (d < 1024)
			snprintf(buf, size, "%.0fB", d);
		else if (d < 1024.0 * 1024)
			snprintf(buf, size, "%.1fK", d / 1024);
		else if (d < 1024.0 * 1024 * 1024)
			snprintf(buf, size, "%.1fM", d / 1024 / 1024);
		else
			snprintf(buf, size, "%.2fG", d / 1024 / 1024 / 1024);
	} else {
		snprintf(buf, size, "%.0f", d);
	}
	return buf;
}

static double percent(double v, double total)
{
	return total > 0 ? 100.0 * v / total : 0;
}

static void draw_header(struct top *t, double now)
{
	const struct top_source *src = &t->src[t->mode];
	char events[FS_COUNT_BUFSIZE], w[32];
	const char *what = t->mode == TOP_CPU	   ? "samples"
			   : t->mode == TOP_OFFCPU ? "blocks"
						   : "allocations";
	int col;

	fs_format_count_grouped((double)src->events, events, sizeof(events));
	col = tui_textf(0, 0, COLS, A_BOLD, "flamesamp top: %s", t->target);
	col += tui_textf(0, col, COLS - col, 0, "  %s  %s %s", mode_names[t->mode], events, what);
	if (t->mode != TOP_CPU)
		col += tui_textf(0, col, COLS - col, 0, " (%s)",
				 format_weight(t, (double)src->weight, w, sizeof(w)));
	col += tui_textf(0, col, COLS - col, 0, "  %.0f/s  %.1fs  lost %llu", t->rate,
			 (t->stopped ? t->last_refresh : now) - t->start,
			 (unsigned long long)(t->stats.lost + t->stats.lost_samples));
	if (t->paused)
		tui_text(0, col, COLS - col, "  PAUSED", A_REVERSE | A_BOLD);
}

static void draw_status(struct top *t)
{
	if (t->status[0])
		tui_text(1, 0, COLS, t->status, A_BOLD);
	else if (t->stopped_why[0])
		tui_textf(1, 0, COLS, A_BOLD, "%s; q quits", t->stopped_why);
	else
		tui_text(1, 0, COLS,
			 t->paused ? "p resume (sampling goes on while paused)  q quit  ? help"
				   : "q quit  j/k move  Enter callers/callees  s sort  p pause  "
				     "1 CPU  2 off-CPU  3 memory  ? help",
			 A_DIM);
}

/* Keep @cursor within the @visible lines from *@first. */
static void scroll_to(size_t cursor, size_t *first, size_t visible)
{
	if (!visible)
		return;
	if (cursor < *first)
		*first = cursor;
	else if (cursor >= *first + visible)
		*first = cursor - visible + 1;
}

static void draw_row(struct top *t, int y, const struct func_row *r, bool detail, int attr)
{
	struct top_source *src = &t->src[t->mode];
	double total = func_table__total(src->table);
	char a[32], b[32];

	if (detail)
		tui_textf(y, 0, COLS, attr, "%6.2f%% %10s  %s", percent(r->total, total),
			  format_weight(t, r->total, a, sizeof(a)),
			  func_table__name(src->table, r->func));
	else
		tui_textf(y, 0, COLS, attr, "%6.2f%% %10s %6.2f%% %10s  %s",
			  percent(r->self, total), format_weight(t, r->self, a, sizeof(a)),
			  percent(r->total, total), format_weight(t, r->total, b, sizeof(b)),
			  func_table__name(src->table, r->func));
	/* the highlight across the whole line */
	if (attr & A_REVERSE)
		mvchgat(y, 0, -1, A_REVERSE, 0, NULL);
}

static void draw_list(struct top *t)
{
	size_t visible = LINES > 3 ? (size_t)(LINES - 3) : 0, i;

	tui_text(2, 0, COLS,
		 t->sort == FUNC_SORT_SELF ? "  SELF%       SELF  TOTAL%      TOTAL  FUNCTION "
					     "(by self)"
					   : "  SELF%       SELF  TOTAL%      TOTAL  FUNCTION "
					     "(by total)",
		 A_BOLD | A_UNDERLINE);
	if (!t->nr_rows) {
		tui_text(3, 0, COLS, "(nothing recorded yet)", A_DIM);
		return;
	}
	scroll_to(t->cursor, &t->first, visible);
	for (i = 0; i < visible && t->first + i < t->nr_rows; i++) {
		size_t k = t->first + i;

		draw_row(t, 3 + (int)i, &t->rows[k], false, k == t->cursor ? A_REVERSE : 0);
	}
}

static void draw_detail(struct top *t)
{
	struct top_source *src = &t->src[t->mode];
	double self, total, all = func_table__total(src->table);
	size_t visible = LINES > 3 ? (size_t)(LINES - 3) : 0, i;
	char a[32], b[32];

	func_table__weights(src->table, t->detail_func, &self, &total);
	tui_textf(2, 0, COLS, A_BOLD, "%s  self %.2f%% (%s)  total %.2f%% (%s)",
		  func_table__name(src->table, t->detail_func), percent(self, all),
		  format_weight(t, self, a, sizeof(a)), percent(total, all),
		  format_weight(t, total, b, sizeof(b)));
	scroll_to(t->dcursor, &t->dfirst, visible);
	/* a header just above the cursor's row stays in view */
	if (t->dfirst && t->dfirst == t->dcursor && t->lines[t->dfirst - 1].kind == LINE_HEADER)
		t->dfirst--;
	for (i = 0; i < visible && t->dfirst + i < t->nr_lines; i++) {
		const struct detail_line *l = &t->lines[t->dfirst + i];
		int y = 3 + (int)i;

		if (l->kind == LINE_HEADER)
			tui_text(y, 0, COLS, l->text, A_BOLD | A_UNDERLINE);
		else if (l->kind == LINE_NONE)
			tui_text(y, 0, COLS, l->text, A_DIM);
		else
			draw_row(t, y, &l->row, true, t->dfirst + i == t->dcursor ? A_REVERSE : 0);
	}
}

static const char *const help_lines[] = {
	"flamesamp top: keys",
	"",
	"  j, k, Down, Up      move",
	"  PgDn, PgUp          a page down, up",
	"  Home, End, g, G     first, last function",
	"  Enter               callers and callees of the function under the cursor;",
	"                      there, Enter goes to the caller or callee under the cursor",
	"  Esc, Backspace, q   (callers/callees) back",
	"  s                   sort by self or by total",
	"  p                   pause the display; sampling goes on, and resuming",
	"                      shows everything sampled meanwhile",
	"  1, 2, 3             CPU samples, off-CPU time (--offcpu), memory (--malloc)",
	"  ?, h                this help",
	"  q                   quit (and write -o FILE)",
	"",
	"SELF: samples (or time, bytes) whose innermost frame is the function.",
	"TOTAL: those with the function anywhere in the stack, once per stack.",
	"",
	"Any key closes this help.",
};

static void draw(struct top *t, double now)
{
	size_t i;

	erase();
	if (t->help) {
		for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
			tui_text((int)i, 0, COLS, help_lines[i], i ? 0 : A_BOLD);
		refresh();
		return;
	}
	draw_header(t, now);
	draw_status(t);
	if (t->detail)
		draw_detail(t);
	else
		draw_list(t);
	refresh();
}

/* ---- the callers/callees view ---- */

static void add_line(struct top *t, struct detail_line l)
{
	if (t->nr_lines == t->cap_lines) {
		t->cap_lines = t->cap_lines ? 2 * t->cap_lines : 64;
		t->lines = xreallocarray(t->lines, t->cap_lines, sizeof(*t->lines));
	}
	t->lines[t->nr_lines++] = l;
}

/* The lines of detail_func's view; the cursor stays on the function it was on. */
static void build_detail(struct top *t)
{
	struct func_table *table = t->src[t->mode].table;
	const struct func_row *rows;
	bool have_at = t->dcursor < t->nr_lines && t->lines[t->dcursor].kind == LINE_ROW;
	uint32_t at_func = have_at ? t->lines[t->dcursor].row.func : 0;
	bool at_callee = have_at && t->dcursor > t->callee_header;
	size_t i, n, first_row = SIZE_MAX;

	t->nr_lines = 0;
	add_line(t, (struct detail_line){LINE_HEADER,
					 "  CALL%     WEIGHT  CALLERS (functions calling it)",
					 {0}});
	n = func_table__callers(table, t->detail_func, &rows);
	for (i = 0; i < n; i++)
		add_line(t, (struct detail_line){LINE_ROW, NULL, rows[i]});
	if (!n)
		add_line(t,
			 (struct detail_line){LINE_NONE, "  (none: its stacks begin there)", {0}});
	t->callee_header = t->nr_lines;
	add_line(t, (struct detail_line){
			    LINE_HEADER, "  CALL%     WEIGHT  CALLEES (functions it calls)", {0}});
	n = func_table__callees(table, t->detail_func, &rows);
	for (i = 0; i < n; i++)
		add_line(t, (struct detail_line){LINE_ROW, NULL, rows[i]});
	if (!n)
		add_line(t, (struct detail_line){
				    LINE_NONE, "  (none: it calls nothing sampled)", {0}});
	/* back on the same function in the same section, or on the first row */
	for (i = 0; i < t->nr_lines; i++) {
		if (t->lines[i].kind != LINE_ROW)
			continue;
		if (first_row == SIZE_MAX)
			first_row = i;
		if (have_at && t->lines[i].row.func == at_func &&
		    (i > t->callee_header) == at_callee) {
			t->dcursor = i;
			return;
		}
	}
	/* no row at all: nothing selected */
	t->dcursor = first_row == SIZE_MAX ? t->nr_lines : first_row;
}

static void open_detail(struct top *t, uint32_t func, bool remember)
{
	if (remember && t->detail && t->nr_history < sizeof(t->history) / sizeof(t->history[0]))
		t->history[t->nr_history++] = t->detail_func;
	t->detail = true;
	t->detail_func = func;
	t->dcursor = t->nr_lines; /* none: build_detail picks the first row */
	t->dfirst = 0;
	build_detail(t);
}

static void close_detail(struct top *t)
{
	size_t i;

	if (t->nr_history) {
		open_detail(t, t->history[--t->nr_history], false);
		return;
	}
	t->detail = false;
	/* back in the list, on the function whose view this was */
	for (i = 0; i < t->nr_rows; i++) {
		if (t->rows[i].func == t->detail_func) {
			t->cursor = i;
			t->cursor_func = t->detail_func;
			break;
		}
	}
}

/* ---- keys ---- */

static void move_list(struct top *t, long delta)
{
	long c = (long)t->cursor + delta;

	if (!t->nr_rows)
		return;
	if (c < 0)
		c = 0;
	if (c >= (long)t->nr_rows)
		c = (long)t->nr_rows - 1;
	t->cursor = (size_t)c;
	t->cursor_func = t->rows[t->cursor].func;
	t->have_cursor_func = true;
}

/* Move among the rows of the detail view, skipping headers. */
static void move_detail(struct top *t, long delta)
{
	long c = (long)t->dcursor, step = delta < 0 ? -1 : 1, left = labs(delta), last = -1;

	if (t->dcursor >= t->nr_lines)
		return;
	while (left > 0) {
		c += step;
		if (c < 0 || c >= (long)t->nr_lines)
			break;
		if (t->lines[c].kind == LINE_ROW) {
			last = c;
			left--;
		}
	}
	if (last >= 0)
		t->dcursor = (size_t)last;
}

static void set_mode(struct top *t, enum top_mode m, double now)
{
	static const char *const how[TOP_NR_MODES] = {"", "--offcpu", "--malloc (with -p PID)"};

	if (!t->src[m].recorded) {
		snprintf(t->status, sizeof(t->status), "%s not recorded (start with %s)",
			 mode_names[m], how[m]);
		return;
	}
	t->status[0] = '\0';
	if (m == t->mode)
		return;
	t->mode = m;
	t->detail = false;
	t->nr_history = 0;
	t->cursor = 0;
	t->first = 0;
	t->have_cursor_func = false;
	t->rate_events = t->src[m].events;
	update_data(t, now);
}

static void handle_key(struct top *t, int ch, double now)
{
	long page = LINES > 4 ? LINES - 4 : 1;

	if (t->help) {
		t->help = false;
		return;
	}
	if (ch != KEY_RESIZE)
		t->status[0] = '\0';
	switch (ch) {
	case 'q':
	case 'Q':
		if (t->detail)
			close_detail(t);
		else
			t->quit = true;
		return;
	case TUI_KEY_ESC:
	case KEY_BACKSPACE:
	case TUI_KEY_BACKSPACE:
	case KEY_LEFT:
		if (t->detail)
			close_detail(t);
		return;
	case '?':
	case 'h':
		t->help = true;
		return;
	case 'p':
	case ' ':
		t->paused = !t->paused;
		if (!t->paused)
			update_data(t, now);
		return;
	case 's':
		t->sort = t->sort == FUNC_SORT_SELF ? FUNC_SORT_TOTAL : FUNC_SORT_SELF;
		update_data(t, now);
		return;
	case '1':
	case '2':
	case '3':
		set_mode(t, (enum top_mode)(ch - '1'), now);
		return;
	case TUI_KEY_ENTER:
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		if (t->detail && t->dcursor < t->nr_lines)
			open_detail(t, t->lines[t->dcursor].row.func, true);
		else if (!t->detail && t->nr_rows)
			open_detail(t, t->rows[t->cursor].func, false);
		return;
	}
	{
		long delta = ch == 'j' || ch == KEY_DOWN   ? 1
			     : ch == 'k' || ch == KEY_UP   ? -1
			     : ch == KEY_NPAGE		   ? page
			     : ch == KEY_PPAGE		   ? -page
			     : ch == KEY_HOME || ch == 'g' ? -1000000000L
			     : ch == KEY_END || ch == 'G'  ? 1000000000L
							   : 0;

		if (!delta)
			return;
		if (t->detail)
			move_detail(t, delta);
		else
			move_list(t, delta);
	}
}

/* ---- output ---- */

static const char *const svg_titles[TOP_NR_MODES] = {
	"Flame Graph",
	"Off-CPU Time Flame Graph",
	"Allocation Flame Graph",
};

/*
 * -o: what the view on screen recorded, through the recorder's output
 * (folded or SVG by the extension, written atomically).  @of is consumed.
 */
static int save_output(struct top *t, struct output_file *of)
{
	struct top_args *a = t->args;

	a->out.output = a->output;
	a->out.render = &a->render;
	a->out.count_scale = t->mode == TOP_OFFCPU ? 1e-3 : 1;
	if (!a->render.fg.title || !a->render.fg.title[0])
		a->render.fg.title = svg_titles[t->mode];
	if (t->mode == TOP_OFFCPU) {
		a->render.fg.count_name = "us";
		a->render.fg.palette = FS_PALETTE_IO;
	} else if (t->mode == TOP_MEMORY) {
		a->render.fg.count_name =
			a->malloc_opts.mode == RECORD_MALLOC_COUNT ? "calls" : "bytes";
		a->render.fg.palette = FS_PALETTE_MEM;
	}
	return record_output__write(&a->out, t->src[t->mode].stacks, NULL,
				    sampler__processes(t->sampler), of);
}

/*
 * -o FILE.db: what the view on screen recorded, as a profile database
 * (store/profile_store.h) of one time bucket: the view keeps weights, not
 * their times.
 */
static int save_store(struct top *t, int argc, char **argv)
{
	static const char *const modes[TOP_NR_MODES] = {"cpu", "offcpu", "malloc"};
	struct top_args *a = t->args;
	struct stack_table *tables[RECORD_STORE_TABLES] = {t->src[t->mode].stacks, NULL};
	struct strbuf cmd = STRBUF_INIT;
	struct store_meta m = {0};
	struct store_end end = {0};
	struct record_store *rs;
	uint64_t now_mono = cli_clock_ns(CLOCK_MONOTONIC), elapsed;
	int ret;

	cli_command_line(&cmd, "top", argc, argv);
	elapsed = now_mono - (uint64_t)(t->start * 1e9);
	m.command_line = cmd.buf;
	m.mode = modes[t->mode];
	m.version = FLAMESAMP_VERSION;
	m.with_pid = a->out.with_pid;
	m.with_tid = a->out.with_tid;
	m.start_ns = cli_clock_ns(CLOCK_REALTIME) - elapsed;
	m.start_monotonic_ns = now_mono - elapsed;
	/* one bucket spans the whole session */
	m.bucket_ns = elapsed + 1;
	switch (t->mode) {
	case TOP_CPU:
		m.event = t->stats.event_name;
		m.frequency = a->sampler.freq ? a->sampler.freq : 997;
		m.unit = m.count_name = "samples";
		break;
	case TOP_OFFCPU:
		m.event = "sched_switch";
		m.unit = "ns";
		m.count_name = "us";
		m.count_scale = 1e-3;
		break;
	default:
		m.event = "malloc";
		m.unit = m.count_name =
			a->malloc_opts.mode == RECORD_MALLOC_COUNT ? "calls" : "bytes";
		break;
	}
	rs = record_store__open(a->output, &m, &a->out);
	strbuf_release(&cmd);
	if (!rs)
		return EXIT_FAILURE_RUNTIME;
	end.end_ns = cli_clock_ns(CLOCK_REALTIME);
	end.samples = t->stats.samples;
	end.lost = t->stats.lost + t->stats.lost_samples;
	end.throttled = t->stats.throttled;
	end.title = a->render.fg.title && a->render.fg.title[0] ? a->render.fg.title
								: svg_titles[t->mode];
	ret = record_store__finish(rs, tables, sampler__processes(t->sampler), &end, true,
				   t->mode == TOP_CPU	   ? RECORD_EVENT_CPU
				   : t->mode == TOP_OFFCPU ? RECORD_EVENT_OFFCPU
							   : RECORD_EVENT_MALLOC);
	record_store__free(rs);
	return ret;
}

/* ---- the loop ---- */

/* Stop sampling: the target exited, or --duration. Everything buffered is delivered. */
static void stop_sampling(struct top *t, const char *why)
{
	if (t->stopped)
		return;
	sampler__stop(t->sampler);
	sampler__stats(t->sampler, &t->stats);
	t->stopped = true;
	snprintf(t->stopped_why, sizeof(t->stopped_why), "%s", why);
	timeout(100);
}

static void exited_message(const struct top_args *a, char *buf, size_t size)
{
	if (a->sampler.argv)
		snprintf(buf, size, "command %s exited", a->sampler.argv[0]);
	else if (a->nr_pids == 1)
		snprintf(buf, size, "process %d exited", a->pids[0]);
	else if (a->nr_pids)
		snprintf(buf, size, "the processes exited");
	else
		snprintf(buf, size, "the threads exited");
}

static void run(struct top *t)
{
	struct top_args *a = t->args;
	double now;
	char why[96];
	int ch;

	t->start = t->last_refresh = cli_now_seconds();
	nodelay(stdscr, TRUE);
	draw(t, t->start);
	while (!t->quit && !tui_quit_signal) {
		bool dirty = false;

		if (!t->stopped && sampler__poll(t->sampler, 50) == SAMPLER_TARGET_EXITED) {
			exited_message(a, why, sizeof(why));
			stop_sampling(t, why);
			if (!t->paused)
				update_data(t, cli_now_seconds());
			dirty = true;
		}
		now = cli_now_seconds();
		if (a->duration > 0 && now - t->start >= a->duration)
			break;
		if (!t->paused && !t->stopped && now - t->last_refresh >= a->delay) {
			update_data(t, now);
			dirty = true;
		}
		while ((ch = getch()) != ERR) {
			if (ch == KEY_RESIZE)
				clear();
			handle_key(t, ch, now);
			dirty = true;
			if (t->quit)
				break;
		}
		if (dirty)
			draw(t, now);
	}
}

/* Start the command with its standard streams on /dev/null: its output would draw over ours. */
static struct sampler *open_sampler(struct top_args *a)
{
	int saved[3] = {-1, -1, -1}, null = -1, i, err;
	struct sampler *s;

	if (a->sampler.argv) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (i = 0; null >= 0 && i < 3; i++) {
			saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
			dup2(null, i);
		}
	}
	s = sampler__new(&a->sampler);
	err = errno;
	for (i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
	}
	if (null >= 0)
		close(null);
	errno = err;
	return s;
}

int cmd_top(int argc, char **argv)
{
	struct top_args a;
	struct top t;
	struct output_file *of = NULL;
	struct offcpu_options oo;
	pid_t picked = 0;
	size_t i;
	int ret, err, m;

	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	t.args = &a;
	t.sb = (struct strbuf)STRBUF_INIT;
	ret = parse_args(argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	if (!tui_usable()) {
		cli_error("top: needs a terminal");
		ret = EXIT_USAGE;
		goto out;
	}
	if (!a.nr_pids && !a.nr_tids && !a.sampler.system_wide && !a.sampler.argv) {
		ret = picker_run(&picked);
		if (ret || !picked)
			goto out;
		a.pids = xmalloc(sizeof(*a.pids));
		a.pids[0] = picked;
		a.nr_pids = 1;
	}
	a.sampler.pids = a.pids;
	a.sampler.nr_pids = a.nr_pids;
	a.sampler.tids = a.tids;
	a.sampler.nr_tids = a.nr_tids;
	ret = check_targets(&a);
	if (ret)
		goto out;
	if (a.output) {
		/* a path that cannot be written fails now, not when quitting */
		of = output_file__open(a.output);
		if (!of) {
			cli_error("cannot write '%s': %s", a.output, strerror(errno));
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
		/* a database is written whole on quit, by the store */
		if (a.db_output) {
			output_file__abort(of);
			of = NULL;
		}
	}
	describe_target(&a, t.target, sizeof(t.target));
	for (m = 0; m < TOP_NR_MODES; m++) {
		t.src[m].stacks = stack_table__new();
		t.src[m].table = func_table__new();
	}
	t.src[TOP_CPU].recorded = true;
	a.sampler.on_sample = on_sample;
	a.sampler.ctx = &t;
	if (a.offcpu) {
		memset(&oo, 0, sizeof(oo));
		oo.pids = a.pids;
		oo.nr_pids = a.nr_pids;
		oo.tids = a.tids;
		oo.nr_tids = a.nr_tids;
		oo.system_wide = a.sampler.system_wide;
		oo.min_block_ns = 1000;
		/* blocks come through the ring buffer as they end: live, unlike kernel sums */
		oo.stack_mode = OFFCPU_STACKS_COPY;
		oo.no_kernel_stacks = a.sampler.no_kernel;
		a.sampler.on_external = on_external;
		t.offcpu = record_offcpu__open(&oo, &a.sampler);
		if (!t.offcpu) {
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
		t.src[TOP_OFFCPU].recorded = true;
	}
	if (a.malloc) {
		a.malloc_opts.pids = a.pids;
		a.malloc_opts.nr_pids = a.nr_pids;
		a.sampler.on_external = on_external;
		/* with --offcpu too, the sampler wakes up for one of the two; each poll drains both
		 */
		t.malloc = record_malloc__open(&a.malloc_opts, &a.sampler);
		if (!t.malloc) {
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
		t.src[TOP_MEMORY].recorded = true;
	}
	t.sampler = open_sampler(&a);
	if (!t.sampler) {
		explain_open_error(&a, errno);
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	if ((t.offcpu && record_offcpu__attach(t.offcpu, t.sampler)) ||
	    (t.malloc && record_malloc__attach(t.malloc, t.sampler))) {
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	t.namer = record_namer__new(&a.out, sampler__processes(t.sampler));
	ret = tui_open();
	if (ret)
		goto out;
	err = sampler__start(t.sampler);
	if (err) {
		tui_close();
		if (a.sampler.argv)
			cli_error("cannot run '%s': %s", a.sampler.argv[0], strerror(-err));
		else
			cli_error("cannot start sampling: %s", strerror(-err));
		ret = a.sampler.argv ? 127 : EXIT_FAILURE_RUNTIME;
		goto out;
	}
	run(&t);
	tui_close();
	if (!t.stopped)
		sampler__stop(t.sampler);
	if (sampler__child(t.sampler) > 0)
		sampler__reap_child(t.sampler);
	ret = EXIT_OK;
	if (of) {
		ret = save_output(&t, of);
		of = NULL;
	} else if (a.db_output) {
		sampler__stats(t.sampler, &t.stats);
		ret = save_store(&t, argc, argv);
	}
out:
	tui_close();
	output_file__abort(of);
	record_namer__free(t.namer);
	sampler__free(t.sampler);
	record_offcpu__free(t.offcpu);
	record_malloc__free(t.malloc);
	for (m = 0; m < TOP_NR_MODES; m++) {
		for (i = 0; i < t.src[m].named; i++)
			free(t.src[m].funcs[i]);
		free(t.src[m].funcs);
		free(t.src[m].nr_funcs);
		stack_table__free(t.src[m].stacks);
		func_table__free(t.src[m].table);
	}
	free(t.rows);
	free(t.lines);
	strbuf_release(&t.sb);
	free(a.pids);
	free(a.tids);
	return ret;
}
