// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp [record]: sample CPU stacks with perf_event_open and write a flame
 * graph (or folded stacks) when the target exits, the duration ends, or the
 * user presses Ctrl-C.  Options follow perf record (-p -t -a -F -c -d -m)
 * and flamegraph.pl (every render option).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record_malloc.h"
#include "cli/record_offcpu.h"
#include "cli/record_output.h"
#include "cli/record_store.h"
#include "cli/render_options.h"
#include "common/log.h"
#include "common/mapped_file.h"
#include "common/number.h"
#include "common/output_file.h"
#include "common/strbuf.h"
#include "common/u64_map.h"
#include "sampler/sampler.h"
#include "sampler/stack_table.h"
#include "store/profile_store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp [record] [OPTIONS] -p PID[,PID...] | -t TID[,TID...] | -a\n"
		"       flamesamp [record] [OPTIONS] [--] COMMAND [ARGS...]\n"
		"\n"
		"Sample CPU stacks with perf_event_open and write a flame graph when the\n"
		"target exits, the duration ends, or on Ctrl-C / SIGTERM.  Needs root or\n"
		"CAP_PERFMON unless kernel.perf_event_paranoid allows it.\n"
		"\n"
		"Target:\n"
		"  -p, --pid-target LIST every thread of these processes, new threads included\n"
		"  -t, --tid-target LIST these threads (and the threads they start)\n"
		"  -a, --all-cpus       every process on every CPU, kernel included\n"
		"  COMMAND [ARGS]       run COMMAND and profile it from its first instruction;\n"
		"                       flamesamp exits with its status\n"
		"Off-CPU time (BPF on sched_switch; needs root and a kernel with BTF):\n"
		"      --offcpu         where threads block instead of where they run: time\n"
		"                       off-CPU per stack, in microseconds\n"
		"      --hotcold        both in one graph, in microseconds: CPU samples (a\n"
		"                       software clock) and off-CPU time, its frames marked _[o]\n"
		"                       and drawn in blue\n"
		"      --min-block US   only blocks of at least US microseconds (default 1)\n"
		"      --max-block US   only blocks of at most US microseconds\n"
		"      --state STATE    only blocks that began in this task state:\n"
		"                       interruptible (S: sleeps, waits for input), uninterruptible\n"
		"                       (D: disk I/O, some locks) or all (default, preemption\n"
		"                       included)\n"
		"      --sched-frames   kernel stacks with the scheduler's own functions\n"
		"                       (schedule, mutex_lock, io_schedule...): walked as a thread\n"
		"                       switches out, about 0.3 us more per block\n"
		"Allocations (BPF uprobes on the target's allocator; root):\n"
		"      --malloc[=MODE]  where memory is allocated instead of CPU time: MODE bytes\n"
		"                       (default: bytes requested per stack), count (calls) or\n"
		"                       live (bytes still allocated when recording ends)\n"
		"      --malloc-sample N  record one allocation in N, weights scaled by N\n"
		"      --malloc-lib PATH  the allocator to probe (default: the target's libc),\n"
		"                       e.g. libjemalloc.so.2 or a static binary itself\n"
		"      --malloc-max-live N  live mode: blocks tracked at most (default 10000000)\n"
		"Sampling:\n"
		"  -F, --freq HZ        samples per second per CPU (default 997)\n"
		"  -c, --count PERIOD   one sample every PERIOD events instead of -F\n"
		"  -e, --event NAME     cycles, cpu-clock or task-clock (default: cycles when the\n"
		"                       CPU has a counter, else cpu-clock (-a) or task-clock)\n"
		"  -d, --duration SECS  stop after SECS seconds (fractions allowed)\n"
		"  -m, --mmap-pages N   ring buffer per CPU: N pages (a power of two), or a size\n"
		"                       with K or M (default 128 pages = 512K)\n"
		"      --no-kernel      user stacks only (time in system calls is still counted,\n"
		"                       under the user frames that made them)\n"
		"      --max-stack N    keep the N innermost frames of each sample\n"
		"      --call-graph MODE how to walk user stacks: fp (frame pointers), dwarf[,SIZE]\n"
		"                       (CFI on a SIZE-byte copy of the stack, default 32768, at\n"
		"                       most 65528) or auto[,SIZE] (CFI where there is CFI, frame\n"
		"                       pointers elsewhere, and the kernel's frame-pointer\n"
		"                       chain past the copy); default auto\n"
		"  -g                   same as --call-graph fp\n"
		"Output:\n"
		"  -o, --output FILE    where to write (default flamegraph.svg); the extension\n"
		"                       picks the format: .svg, .folded / .txt for folded stacks,\n"
		"                       .db for a profile database (SQLite: stacks per 100 ms,\n"
		"                       for `flamesamp render`, `report` and `query`); twice for\n"
		"                       a database and a graph or folded file of one recording\n"
		"      --format FMT     svg, folded or db, whatever the extension\n"
		"      --bucket MS      profile database: time slices of MS milliseconds\n"
		"                       (default 100)\n"
		"      --no-demangle    keep C++ and Rust names as the binary spells them\n"
		"      --no-inline      no frames for inlined functions (DWARF is not read\n"
		"                       unless --lines)\n"
		"      --lines          name frames \"func file.c:LINE\" (the line executing in\n"
		"                       each function, from DWARF)\n"
		"      --symbol-memory SIZE  bound on the DWARF indexes kept in memory: MiB, or\n"
		"                       a size with K, M or G (default 256M)\n"
		"      --pid            begin each stack with \"comm-PID\"\n"
		"      --tid            begin each stack with \"comm-PID/TID\"\n"
		"      --open           open the SVG with the desktop's default viewer\n"
		"  -q, --quiet          no status line and no summary\n"
		"  -v, --verbose        more detail (twice: debug)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Flame graph options (as in `flamesamp render`):\n");
	render_options__usage(out);
	fprintf(out,
		"\n"
		"Folded lines are \"comm;outermost;...;leaf COUNT\" with COUNT in samples;\n"
		"kernel frames end in _[k], inlined functions in _[i], JIT code in _[j];\n"
		"a frame without a symbol shows its file\n"
		"([libfoo.so]) or [unknown].  Under sudo, output files belong to the invoking\n"
		"user.  Exit status: 0 success (the command's status with COMMAND), 1 runtime\n"
		"failure, 2 usage error.\n");
}

enum {
	OPT_NO_KERNEL = 1024,
	OPT_MAX_STACK,
	OPT_FORMAT,
	OPT_PID,
	OPT_TID,
	OPT_OPEN,
	OPT_CALL_GRAPH,
	OPT_NO_DEMANGLE,
	OPT_NO_INLINE,
	OPT_LINES,
	OPT_SYMBOL_MEMORY,
	OPT_OFFCPU,
	OPT_HOTCOLD,
	OPT_MIN_BLOCK,
	OPT_MAX_BLOCK,
	OPT_STATE,
	OPT_SCHED_FRAMES,
	OPT_MALLOC,
	OPT_MALLOC_SAMPLE,
	OPT_MALLOC_LIB,
	OPT_MALLOC_MAX_LIVE,
	OPT_BUCKET,
};

static const struct option record_options[] = {
	{"pid-target", required_argument, NULL, 'p'},
	{"tid-target", required_argument, NULL, 't'},
	{"all-cpus", no_argument, NULL, 'a'},
	{"freq", required_argument, NULL, 'F'},
	{"count", required_argument, NULL, 'c'},
	{"event", required_argument, NULL, 'e'},
	{"duration", required_argument, NULL, 'd'},
	{"mmap-pages", required_argument, NULL, 'm'},
	{"no-kernel", no_argument, NULL, OPT_NO_KERNEL},
	{"max-stack", required_argument, NULL, OPT_MAX_STACK},
	{"call-graph", required_argument, NULL, OPT_CALL_GRAPH},
	{"no-demangle", no_argument, NULL, OPT_NO_DEMANGLE},
	{"no-inline", no_argument, NULL, OPT_NO_INLINE},
	{"lines", no_argument, NULL, OPT_LINES},
	{"symbol-memory", required_argument, NULL, OPT_SYMBOL_MEMORY},
	{"offcpu", no_argument, NULL, OPT_OFFCPU},
	{"off-cpu", no_argument, NULL, OPT_OFFCPU},
	{"hotcold", no_argument, NULL, OPT_HOTCOLD},
	{"min-block", required_argument, NULL, OPT_MIN_BLOCK},
	{"max-block", required_argument, NULL, OPT_MAX_BLOCK},
	{"state", required_argument, NULL, OPT_STATE},
	{"sched-frames", no_argument, NULL, OPT_SCHED_FRAMES},
	{"malloc", optional_argument, NULL, OPT_MALLOC},
	{"malloc-sample", required_argument, NULL, OPT_MALLOC_SAMPLE},
	{"malloc-lib", required_argument, NULL, OPT_MALLOC_LIB},
	{"malloc-max-live", required_argument, NULL, OPT_MALLOC_MAX_LIVE},
	{"output", required_argument, NULL, 'o'},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"bucket", required_argument, NULL, OPT_BUCKET},
	{"pid", no_argument, NULL, OPT_PID},
	{"tid", no_argument, NULL, OPT_TID},
	{"open", no_argument, NULL, OPT_OPEN},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
};

#define NR_RECORD_OPTIONS (sizeof(record_options) / sizeof(record_options[0]))

enum record_mode {
	RECORD_CPU,	/* CPU samples */
	RECORD_OFFCPU,	/* off-CPU time */
	RECORD_HOTCOLD, /* both, in microseconds */
	RECORD_MALLOC,	/* allocations */
};

struct record_args {
	enum record_mode mode;
	struct offcpu_options offcpu;
	struct record_malloc_options malloc;
	bool malloc_option_given; /* --malloc-sample, --malloc-lib or --malloc-max-live */
	bool offcpu_filter_given; /* --min-block, --max-block or --state */
	bool min_block_given;
	struct sampler_options sampler;
	struct record_output_options out;
	struct render_args render;
	pid_t *pids, *tids;
	size_t nr_pids, nr_tids;
	double duration;       /* seconds; 0: until the target exits or a signal */
	const char *output;    /* the graph or folded file; NULL with only a database */
	const char *db_output; /* the profile database, or NULL */
	const char *outputs[2];
	size_t nr_outputs;
	bool format_db;
	uint64_t bucket_ns;
	bool open, quiet;
	bool freq_given, period_given, event_given;
};

/* -m: pages (a power of two), or a size with K/M/G. */
/*
 * A number with an optional K, M or G suffix (and an optional B after it):
 * *@v in bytes when there is a suffix, else the bare number.  0 or -1.
 */
static int parse_size_suffix(const char *arg, unsigned long long *v, bool *has_unit)
{
	unsigned long long n, mult = 1;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (end == arg || errno || arg[0] == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	}
	*has_unit = mult != 1;
	if (mult != 1)
		end++;
	if (*end && strcmp(end, "B") && strcmp(end, "b"))
		return -1;
	if (n > ULLONG_MAX / mult)
		return -1;
	*v = n * mult;
	return 0;
}

static int parse_mmap_pages(const char *arg, size_t *pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned long long v;
	bool has_unit;

	if (parse_size_suffix(arg, &v, &has_unit))
		goto bad;
	if (has_unit)
		v /= page;
	if (!v || (v & (v - 1)) || v > (1ULL << 20))
		goto bad;
	*pages = (size_t)v;
	return 0;
bad:
	cli_error("invalid value for -m: '%s' (expected a power of two of pages, such as 128, "
		  "or a size such as 512K or 4M)",
		  arg);
	return -1;
}

/* --symbol-memory: MiB, or a size with K, M or G */
static int parse_symbol_memory(const char *arg, size_t *bytes)
{
	unsigned long long v;
	bool has_unit;

	if (parse_size_suffix(arg, &v, &has_unit) || (!has_unit && v > (SIZE_MAX >> 20))) {
		cli_error("invalid value for --symbol-memory: '%s' (expected MiB, or a size "
			  "such as 512M or 2G)",
			  arg);
		return -1;
	}
	if (!has_unit)
		v <<= 20;
	if (v < (1ULL << 20)) {
		cli_error("invalid value for --symbol-memory: '%s' (at least 1M)", arg);
		return -1;
	}
	*bytes = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return 0;
}

/* --call-graph fp | dwarf[,SIZE] | auto[,SIZE] */
static int parse_call_graph(const char *arg, struct sampler_options *o)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	long size;

	if (len == 2 && !strncmp(arg, "fp", 2) && !comma) {
		o->call_graph = SAMPLER_CALL_GRAPH_FP;
		return 0;
	}
	if (len == 5 && !strncmp(arg, "dwarf", 5))
		o->call_graph = SAMPLER_CALL_GRAPH_DWARF;
	else if (len == 4 && !strncmp(arg, "auto", 4))
		o->call_graph = SAMPLER_CALL_GRAPH_AUTO;
	else {
		cli_error("invalid value for --call-graph: '%s' (expected fp, dwarf[,SIZE] or "
			  "auto[,SIZE])",
			  arg);
		return -1;
	}
	if (comma) {
		if (cli_parse_int("--call-graph SIZE", comma + 1, 8, SAMPLER_MAX_STACK_COPY, &size))
			return -1;
		o->stack_copy = (unsigned)size;
	}
	return 0;
}

static int parse_event(const char *arg, enum sampler_event *event)
{
	static const struct {
		const char *name;
		enum sampler_event event;
	} events[] = {
		{"cycles", SAMPLER_EVENT_CYCLES},
		{"cpu-cycles", SAMPLER_EVENT_CYCLES},
		{"cpu-clock", SAMPLER_EVENT_CPU_CLOCK},
		{"task-clock", SAMPLER_EVENT_TASK_CLOCK},
	};
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (!strcmp(arg, events[i].name)) {
			*event = events[i].event;
			return 0;
		}
	}
	cli_error("unknown event '%s' (expected cycles, cpu-clock or task-clock)", arg);
	return -1;
}

/* --state: the task state a block began in */
static int parse_state(const char *arg, struct record_args *a)
{
	if (!strcmp(arg, "all")) {
		a->offcpu.state = OFFCPU_STATE_ALL;
	} else if (!strcmp(arg, "interruptible") || !strcmp(arg, "S")) {
		a->offcpu.state = OFFCPU_STATE_INTERRUPTIBLE;
	} else if (!strcmp(arg, "uninterruptible") || !strcmp(arg, "D")) {
		a->offcpu.state = OFFCPU_STATE_UNINTERRUPTIBLE;
	} else {
		cli_error("invalid value for --state: '%s' (expected interruptible, "
			  "uninterruptible or all)",
			  arg);
		return -1;
	}
	a->offcpu_filter_given = true;
	return 0;
}

static struct option long_options[NR_RECORD_OPTIONS + RENDER_LONG_OPTIONS_MAX + 1];

static void build_long_options(void)
{
	size_t n = 0, i;

	for (i = 0; i < NR_RECORD_OPTIONS; i++)
		long_options[n++] = record_options[i];
	for (i = 0; render_long_options[i].name; i++)
		long_options[n++] = render_long_options[i];
	long_options[n] = (struct option){0};
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* One record option; 0, or -1 after printing the problem. */
static int handle_option(struct record_args *a, int c, const char *arg)
{
	long v;

	switch (c) {
	case 'p':
		return cli_parse_pid_list("-p", arg, &a->pids, &a->nr_pids);
	case 't':
		return cli_parse_pid_list("-t", arg, &a->tids, &a->nr_tids);
	case 'a':
		a->sampler.system_wide = true;
		return 0;
	case 'F':
		if (cli_parse_int("-F", arg, 1, 1000000, &v))
			return -1;
		a->sampler.freq = (unsigned)v;
		a->freq_given = true;
		return 0;
	case 'c':
		if (cli_parse_int("-c", arg, 1, 0x7fffffffffffffffL, &v))
			return -1;
		a->sampler.period = (uint64_t)v;
		a->period_given = true;
		return 0;
	case 'e':
		a->event_given = true;
		return parse_event(arg, &a->sampler.event);
	case 'd':
		if (cli_parse_double("-d", arg, &a->duration))
			return -1;
		if (!(a->duration > 0) || !isfinite(a->duration)) {
			cli_error("invalid value for -d: '%s' (expected seconds above 0)", arg);
			return -1;
		}
		return 0;
	case 'm':
		return parse_mmap_pages(arg, &a->sampler.ring_pages);
	case OPT_NO_KERNEL:
		a->sampler.no_kernel = true;
		return 0;
	case OPT_NO_DEMANGLE:
		a->out.no_demangle = true;
		return 0;
	case OPT_NO_INLINE:
		a->out.no_inline = true;
		return 0;
	case OPT_LINES:
		a->out.lines = true;
		return 0;
	case OPT_SYMBOL_MEMORY:
		return parse_symbol_memory(arg, &a->out.symbol_memory);
	case OPT_OFFCPU:
	case OPT_HOTCOLD:
		if (a->mode != RECORD_CPU &&
		    a->mode != (c == OPT_OFFCPU ? RECORD_OFFCPU : RECORD_HOTCOLD)) {
			cli_error("give only one of --offcpu and --hotcold");
			return -1;
		}
		a->mode = c == OPT_OFFCPU ? RECORD_OFFCPU : RECORD_HOTCOLD;
		return 0;
	case OPT_MIN_BLOCK:
	case OPT_MAX_BLOCK:
		if (cli_parse_int(c == OPT_MIN_BLOCK ? "--min-block" : "--max-block", arg, 0,
				  (long)(UINT64_MAX / 2000), &v))
			return -1;
		if (c == OPT_MIN_BLOCK) {
			a->offcpu.min_block_ns = (uint64_t)v * 1000;
			a->min_block_given = true;
		} else {
			a->offcpu.max_block_ns = (uint64_t)v * 1000;
		}
		a->offcpu_filter_given = true;
		return 0;
	case OPT_STATE:
		return parse_state(arg, a);
	case OPT_SCHED_FRAMES:
		a->offcpu.sched_frames = true;
		a->offcpu_filter_given = true;
		return 0;
	case OPT_MALLOC:
		if (a->mode != RECORD_CPU && a->mode != RECORD_MALLOC) {
			cli_error("--malloc cannot be combined with --offcpu or --hotcold");
			return -1;
		}
		a->mode = RECORD_MALLOC;
		if (!arg || !strcmp(arg, "bytes")) {
			a->malloc.mode = RECORD_MALLOC_BYTES;
		} else if (!strcmp(arg, "count")) {
			a->malloc.mode = RECORD_MALLOC_COUNT;
		} else if (!strcmp(arg, "live")) {
			a->malloc.mode = RECORD_MALLOC_LIVE;
		} else {
			cli_error(
				"invalid value for --malloc: '%s' (expected bytes, count or live)",
				arg);
			return -1;
		}
		return 0;
	case OPT_MALLOC_SAMPLE:
	case OPT_MALLOC_MAX_LIVE:
		if (cli_parse_int(c == OPT_MALLOC_SAMPLE ? "--malloc-sample" : "--malloc-max-live",
				  arg, 1, 1L << 40, &v))
			return -1;
		if (c == OPT_MALLOC_SAMPLE)
			a->malloc.sample_every = (uint64_t)v;
		else
			a->malloc.max_live = (uint64_t)v;
		a->malloc_option_given = true;
		return 0;
	case OPT_MALLOC_LIB:
		a->malloc.library = arg;
		a->malloc_option_given = true;
		return 0;
	case OPT_CALL_GRAPH:
		return parse_call_graph(arg, &a->sampler);
	case 'g':
		a->sampler.call_graph = SAMPLER_CALL_GRAPH_FP;
		return 0;
	case OPT_MAX_STACK:
		if (cli_parse_int("--max-stack", arg, 1, 65535, &v))
			return -1;
		a->sampler.max_stack = (unsigned)v;
		a->out.max_frames = (size_t)v;
		return 0;
	case 'o':
		if (a->nr_outputs == 2) {
			cli_error(
				"-o at most twice: a profile database and a graph or folded file");
			return -1;
		}
		a->outputs[a->nr_outputs++] = arg;
		return 0;
	case OPT_FORMAT:
		if (!strcmp(arg, "svg")) {
			a->out.format = RECORD_FORMAT_SVG;
		} else if (!strcmp(arg, "folded")) {
			a->out.format = RECORD_FORMAT_FOLDED;
		} else if (!strcmp(arg, "db")) {
			a->format_db = true;
		} else {
			cli_error("unknown format '%s' for --format (expected svg, folded or db)",
				  arg);
			return -1;
		}
		return 0;
	case OPT_BUCKET:
		if (cli_parse_int("--bucket", arg, 1, 3600 * 1000, &v))
			return -1;
		a->bucket_ns = (uint64_t)v * 1000000;
		return 0;
	case OPT_PID:
		a->out.with_pid = true;
		return 0;
	case OPT_TID:
		a->out.with_pid = a->out.with_tid = true;
		return 0;
	case OPT_OPEN:
		a->open = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case 'v':
		cli_verbose++;
		return 0;
	default:
		return render_args__handle(&a->render, c, arg);
	}
}

static const char *const malloc_titles[] = {
	[RECORD_MALLOC_BYTES] = "Allocation Flame Graph: bytes allocated",
	[RECORD_MALLOC_COUNT] = "Allocation Flame Graph: allocation calls",
	[RECORD_MALLOC_LIVE] = "Allocation Flame Graph: bytes still allocated",
};

/* The allocation options and what they exclude; fills a->malloc.  0, or -1 after printing. */
static int check_malloc_args(struct record_args *a)
{
	if (a->offcpu_filter_given) {
		cli_error("--min-block, --max-block, --state and --sched-frames need --offcpu or "
			  "--hotcold");
		return -1;
	}
	if (a->freq_given || a->period_given || a->event_given) {
		cli_error("-F, -c and -e set how CPU time is sampled: --malloc samples none");
		return -1;
	}
	if (a->sampler.system_wide || a->nr_tids) {
		cli_error("--malloc traces processes: give -p PID or a command");
		return -1;
	}
	if (a->sampler.call_graph != SAMPLER_CALL_GRAPH_FP &&
	    a->sampler.stack_copy > MALLOC_MAX_STACK_COPY) {
		cli_error("--call-graph SIZE: allocation stack copies are at most %d bytes",
			  MALLOC_MAX_STACK_COPY);
		return -1;
	}
	a->malloc.pids = a->pids;
	a->malloc.nr_pids = a->nr_pids;
	a->malloc.stack_copy = a->sampler.stack_copy;
	a->sampler.event = SAMPLER_EVENT_NONE;
	/* user stacks: the allocation happens in user space */
	a->sampler.no_kernel = true;
	if (!a->render.count_name_given)
		a->render.fg.count_name = a->malloc.mode == RECORD_MALLOC_COUNT ? "calls" : "bytes";
	if (!a->render.palette_given)
		a->render.fg.palette = FS_PALETTE_MEM;
	if (!a->render.fg.title || !a->render.fg.title[0])
		a->render.fg.title = malloc_titles[a->malloc.mode];
	return 0;
}

/* The off-CPU options and what they exclude; fills a->offcpu.  0, or -1 after printing. */
static int check_offcpu_args(struct record_args *a)
{
	struct offcpu_options *o = &a->offcpu;

	if (a->mode != RECORD_MALLOC && a->malloc_option_given) {
		cli_error("--malloc-sample, --malloc-lib and --malloc-max-live need --malloc");
		return -1;
	}
	if (a->mode == RECORD_MALLOC)
		return check_malloc_args(a);
	if (a->mode == RECORD_CPU) {
		if (a->offcpu_filter_given) {
			cli_error(
				"--min-block, --max-block, --state and --sched-frames need --offcpu "
				"or --hotcold");
			return -1;
		}
		return 0;
	}
	if (a->mode == RECORD_OFFCPU && (a->freq_given || a->period_given || a->event_given)) {
		cli_error("-F, -c and -e set how CPU time is sampled: --offcpu samples none "
			  "(--hotcold records both)");
		return -1;
	}
	if (a->mode == RECORD_HOTCOLD && a->event_given &&
	    a->sampler.event == SAMPLER_EVENT_CYCLES) {
		cli_error("--hotcold weighs CPU samples in time: use -e cpu-clock or task-clock");
		return -1;
	}
	if (o->max_block_ns && o->min_block_ns > o->max_block_ns) {
		cli_error("--min-block is above --max-block: no block would be kept");
		return -1;
	}
	if (a->sampler.call_graph != SAMPLER_CALL_GRAPH_FP &&
	    a->sampler.stack_copy > OFFCPU_MAX_STACK_COPY) {
		cli_error("--call-graph SIZE: off-CPU stack copies are at most %d bytes",
			  OFFCPU_MAX_STACK_COPY);
		return -1;
	}
	/* sub-microsecond blocks are scheduler noise and cost as much as real ones */
	if (!a->min_block_given)
		o->min_block_ns = 1000;
	o->pids = a->pids;
	o->nr_pids = a->nr_pids;
	o->tids = a->tids;
	o->nr_tids = a->nr_tids;
	o->system_wide = a->sampler.system_wide;
	o->stack_mode = a->sampler.call_graph == SAMPLER_CALL_GRAPH_FP ? OFFCPU_STACKS_FP
								       : OFFCPU_STACKS_COPY;
	o->stack_copy = a->sampler.stack_copy;
	o->no_kernel_stacks = a->sampler.no_kernel;
	if (a->mode == RECORD_OFFCPU)
		a->sampler.event = SAMPLER_EVENT_NONE;
	else if (!a->event_given)
		a->sampler.event =
			a->sampler.system_wide ? SAMPLER_EVENT_CPU_CLOCK : SAMPLER_EVENT_TASK_CLOCK;
	/* weights are nanoseconds (blocked, or a clock event's period), written in us */
	a->out.count_scale = 1e-3;
	if (!a->render.count_name_given)
		a->render.fg.count_name = "us";
	if (!a->render.palette_given)
		a->render.fg.palette =
			a->mode == RECORD_OFFCPU ? FS_PALETTE_IO : FS_PALETTE_HOTCOLD;
	if (!a->render.fg.title || !a->render.fg.title[0])
		a->render.fg.title = a->mode == RECORD_OFFCPU ? "Off-CPU Time Flame Graph"
							      : "Hot/Cold Flame Graph";
	return 0;
}

/*
 * -o given once or twice, --format: which is the profile database and
 * which the graph or folded file.  0, or -1 after printing the problem.
 */
static int pick_outputs(struct record_args *a)
{
	size_t i;

	for (i = 0; i < a->nr_outputs; i++) {
		bool db = has_suffix(a->outputs[i], ".db") || (a->format_db && a->nr_outputs == 1);

		if (db && a->db_output) {
			cli_error("two profile databases: give one -o FILE.db");
			return -1;
		}
		if (!db && a->output) {
			cli_error("-o twice: one of them must be a profile database (FILE.db)");
			return -1;
		}
		if (db && !strcmp(a->outputs[i], "-")) {
			cli_error("a profile database cannot be written to standard output");
			return -1;
		}
		if (db)
			a->db_output = a->outputs[i];
		else
			a->output = a->outputs[i];
	}
	if (a->format_db && a->output) {
		cli_error("--format db: the other -o is not a database, name it FILE.svg or "
			  "FILE.folded");
		return -1;
	}
	if (a->bucket_ns && !a->db_output) {
		cli_error("--bucket is for a profile database (-o FILE.db)");
		return -1;
	}
	if (a->format_db && !a->db_output) {
		cli_error("--format db needs -o FILE");
		return -1;
	}
	if (!a->output && !a->db_output)
		a->output = "flamegraph.svg";
	if (a->open && !a->output) {
		cli_error("--open shows an SVG: add -o FILE.svg beside the database");
		return -1;
	}
	return 0;
}

/* 0, -1 for --help, or an exit code after printing the problem. */
static int parse_args(int argc, char **argv, struct record_args *a)
{
	int c, targets;

	render_args__init(&a->render);
	a->out.format = RECORD_FORMAT_AUTO;
	a->sampler.call_graph = SAMPLER_CALL_GRAPH_AUTO;
	build_long_options();
	opterr = 0;
	optind = 1;
	/* "+": stop at the command, whose own options are not ours */
	while ((c = getopt_long(argc, argv, "+:p:t:aF:c:e:d:m:o:gqvh", long_options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?') {
			cli_error("unknown option '%s' (see 'flamesamp record --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		}
		if (c == ':') {
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (handle_option(a, c, optarg))
			return EXIT_USAGE;
	}
	if (optind < argc)
		a->sampler.argv = argv + optind;
	targets = !!a->nr_pids + !!a->nr_tids + a->sampler.system_wide + !!a->sampler.argv;
	if (targets == 0) {
		cli_error("nothing to profile: give -p PID, -t TID, -a, or a command (see "
			  "'flamesamp record --help')");
		return EXIT_USAGE;
	}
	if (targets > 1) {
		cli_error("give only one of -p, -t, -a and a command");
		return EXIT_USAGE;
	}
	if (a->freq_given && a->period_given) {
		cli_error("-F and -c cannot be combined");
		return EXIT_USAGE;
	}
	a->sampler.pids = a->pids;
	a->sampler.nr_pids = a->nr_pids;
	a->sampler.tids = a->tids;
	a->sampler.nr_tids = a->nr_tids;
	if (check_offcpu_args(a))
		return EXIT_USAGE;
	if (pick_outputs(a))
		return EXIT_USAGE;
	if (a->out.format == RECORD_FORMAT_AUTO && a->output)
		a->out.format = has_suffix(a->output, ".folded") || has_suffix(a->output, ".txt")
					? RECORD_FORMAT_FOLDED
					: RECORD_FORMAT_SVG;
	return render_args__finish(&a->render);
}

/* ---- signals ---- */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: poll() returns at once with EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- errors ---- */

static bool process_exists(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return access(path, F_OK) == 0;
}

/* Before opening anything: every -p/-t target exists and -F is allowed. */
static int check_targets(const struct record_args *a)
{
	long max_rate = kernel_sysctl("perf_event_max_sample_rate", -1);
	size_t i;

	for (i = 0; i < a->nr_pids; i++) {
		if (!process_exists(a->pids[i])) {
			cli_error("-p %d: no such process", a->pids[i]);
			return EXIT_FAILURE_RUNTIME;
		}
	}
	for (i = 0; i < a->nr_tids; i++) {
		if (!process_exists(a->tids[i])) {
			cli_error("-t %d: no such process (or thread)", a->tids[i]);
			return EXIT_FAILURE_RUNTIME;
		}
	}
	if (!a->sampler.period && max_rate > 0 && a->sampler.freq > (unsigned long)max_rate) {
		cli_error("-F %u is above kernel.perf_event_max_sample_rate (%ld): use a lower -F, "
			  "or raise the limit with 'sysctl kernel.perf_event_max_sample_rate=%u'",
			  a->sampler.freq, max_rate, a->sampler.freq);
		return EXIT_USAGE;
	}
	return 0;
}

/* A -p/-t target owned by another user: paranoid settings would not help. */
static bool owned_by_other_user(const struct record_args *a)
{
	const pid_t *ids = a->nr_pids ? a->pids : a->tids;
	size_t i, n = a->nr_pids ? a->nr_pids : a->nr_tids;
	char path[32];
	struct stat st;

	if (geteuid() == 0)
		return false;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d", ids[i]);
		if (!stat(path, &st) && st.st_uid != geteuid()) {
			cli_error("permission denied: process %d belongs to another user (uid %u); "
				  "profile it as root (sudo) or as that user",
				  ids[i], (unsigned)st.st_uid);
			return true;
		}
	}
	return false;
}

static void explain_open_error(const struct record_args *a, int err)
{
	long paranoid = kernel_sysctl("perf_event_paranoid", -1);
	long mlock_kb = kernel_sysctl("perf_event_mlock_kb", -1);

	switch (err) {
	case ESRCH:
		cli_error("the target exited before recording could start (no such process)");
		break;
	case EACCES:
	case EPERM:
		if (owned_by_other_user(a))
			break;
		cli_error("permission denied: kernel.perf_event_paranoid is %ld, so %s needs root "
			  "or CAP_PERFMON; run with sudo, or allow it with 'sysctl "
			  "kernel.perf_event_paranoid=%d'",
			  paranoid, a->sampler.system_wide ? "profiling every CPU" : "this profile",
			  a->sampler.system_wide ? 0 : 1);
		break;
	case ENOMEM:
		cli_error(
			"cannot map the ring buffers (%zu pages per CPU): over the locked-memory "
			"limit (kernel.perf_event_mlock_kb is %ld per CPU, plus 'ulimit -l'); use "
			"a smaller -m or run as root",
			a->sampler.ring_pages ? a->sampler.ring_pages : 128, mlock_kb);
		break;
	case EMFILE:
	case ENFILE:
		cli_error("too many open files: one event is opened per thread and CPU; raise "
			  "'ulimit -n'");
		break;
	case EINVAL:
		cli_error("the kernel rejected the event (invalid argument): check -F, -c, -e and "
			  "--max-stack");
		break;
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		cli_error("event '%s' is not supported on this machine (try -e cpu-clock)",
			  a->sampler.event == SAMPLER_EVENT_TASK_CLOCK	? "task-clock"
			  : a->sampler.event == SAMPLER_EVENT_CPU_CLOCK ? "cpu-clock"
									: "cycles");
		break;
	default:
		cli_error("cannot start sampling: %s", strerror(err));
	}
}

/* ---- terminal ---- */

/* "12,345" */
static const char *thousands(uint64_t v, char *buf, size_t size)
{
	fs_format_count_grouped((double)v, buf, size);
	return buf;
}

static void print_status(double elapsed, const struct sampler_stats *st)
{
	char samples[FS_COUNT_BUFSIZE], lost[FS_COUNT_BUFSIZE];

	fprintf(stderr, "\r%s: recording %.1f s, %s samples, %s lost\033[K", cli_program, elapsed,
		thousands(st->samples, samples, sizeof(samples)),
		thousands(st->lost + st->lost_samples, lost, sizeof(lost)));
	fflush(stderr);
}

struct record_state {
	struct record_args *args;
	struct stack_table *stacks;
	struct stack_table *offcpu_stacks; /* --hotcold: drawn apart, marked _[o] */
	struct record_offcpu *offcpu;
	struct record_malloc *malloc;
	struct u64_map pids_seen;
	uint64_t cpu_samples, offcpu_ns;
	struct record_store *store; /* -o FILE.db */
	bool store_failed;	    /* a commit failed (said): stop, exit 1 */
};

/* --malloc=live: frees take bytes back, so weights are only known at the end */
static bool store_at_end(const struct record_args *a)
{
	return a->mode == RECORD_MALLOC && a->malloc.mode == RECORD_MALLOC_LIVE;
}

static void on_sample(const struct sampler_sample *s, void *ctx)
{
	struct record_state *st = ctx;
	const struct record_output_options *o = &st->args->out;
	bool jit = false;
	size_t i, entry;
	uint64_t weight;
	pid_t pid, tid;

	if (!u64_map__get(&st->pids_seen, (uint32_t)s->pid))
		u64_map__set(&st->pids_seen, (uint32_t)s->pid, st);
	/*
	 * A frame in anonymous memory is named by its address in its process
	 * (/tmp/perf-PID.map), so such a stack keeps its pid even without
	 * --pid; the output drops it again and identical lines merge there.
	 * Other stacks merge across processes here, as before.
	 */
	for (i = 0; i < s->nr_frames && !jit; i++)
		jit = s->frames[i].dso == DSO_ANON;
	/* the database keeps processes and threads apart; folded output merges them again */
	pid = o->with_pid || jit || st->store ? s->pid : 0;
	tid = o->with_tid || st->store ? s->tid : 0;
	if (s->kind == RECORD_KIND_ALLOC || s->kind == RECORD_KIND_FREE) {
		entry = record_malloc__account(st->malloc, st->stacks, s, s->comm, pid, tid);
		if (st->store && entry != SIZE_MAX && !store_at_end(st->args))
			record_store__weigh(st->store, RECORD_STORE_MAIN, entry, s->time,
					    RECORD_EVENT_MALLOC, s->period);
		return;
	}
	if (s->kind == RECORD_KIND_OFFCPU) {
		st->offcpu_ns += s->period;
		entry = stack_table__add(st->offcpu_stacks ? st->offcpu_stacks : st->stacks,
					 s->comm, pid, tid, s->frames, s->nr_frames, s->period);
		if (st->store)
			record_store__weigh(st->store,
					    st->offcpu_stacks ? RECORD_STORE_OFFCPU
							      : RECORD_STORE_MAIN,
					    entry, s->time, RECORD_EVENT_OFFCPU, s->period);
		return;
	}
	st->cpu_samples++;
	/* hot/cold: CPU time in the unit of off-CPU time (a clock event's period is ns) */
	weight = st->args->mode == RECORD_HOTCOLD ? s->period : 1;
	entry = stack_table__add(st->stacks, s->comm, pid, tid, s->frames, s->nr_frames, weight);
	if (st->store)
		record_store__weigh(st->store, RECORD_STORE_MAIN, entry, s->time, RECORD_EVENT_CPU,
				    weight);
}

static void on_external(bool final, void *ctx)
{
	struct record_state *st = ctx;

	if (st->offcpu)
		record_offcpu__drain(st->offcpu, final);
	if (st->malloc)
		record_malloc__drain(st->malloc, final);
}

/* Commit the profile database about this often (seconds). */
#define STORE_COMMIT_INTERVAL 1.0

static int commit_store(struct record_state *rs, struct sampler *s)
{
	struct stack_table *tables[RECORD_STORE_TABLES] = {rs->stacks, rs->offcpu_stacks};

	if (record_store__commit(rs->store, tables, sampler__processes(s))) {
		rs->store_failed = true;
		return -1;
	}
	return 0;
}

/*
 * Run the sampling loop until the target exits, the duration ends, a signal,
 * or the profile database cannot be written.
 */
static void record_loop(struct record_args *a, struct record_state *rs, struct sampler *s,
			bool status_line)
{
	double start = cli_now_seconds(), last_status = 0, last_commit = 0;
	struct sampler_stats st;

	for (;;) {
		double elapsed;
		enum sampler_state state = sampler__poll(s, 100);

		elapsed = cli_now_seconds() - start;
		if (status_line && elapsed - last_status >= 0.25) {
			sampler__stats(s, &st);
			print_status(elapsed, &st);
			last_status = elapsed;
		}
		if (state == SAMPLER_TARGET_EXITED || stop_signal)
			break;
		if (a->duration > 0 && elapsed >= a->duration)
			break;
		if (rs->store && !store_at_end(a) &&
		    elapsed - last_commit >= STORE_COMMIT_INTERVAL) {
			if (commit_store(rs, s))
				break;
			last_commit = elapsed;
		}
	}
	if (status_line)
		fprintf(stderr, "\r\033[K");
}

static const char *const state_names[] = {
	[OFFCPU_STATE_ALL] = "any state",
	[OFFCPU_STATE_INTERRUPTIBLE] = "interruptible",
	[OFFCPU_STATE_UNINTERRUPTIBLE] = "uninterruptible",
};

static const char *default_subtitle(const struct record_args *a, const struct record_state *rs,
				    const struct sampler_stats *st, char *buf, size_t size)
{
	char samples[FS_COUNT_BUFSIZE];
	uint64_t cpu_samples = rs->cpu_samples;
	size_t n = 0;
	int w;

	if (a->mode != RECORD_CPU) {
		struct offcpu_stats ost;

		record_offcpu__stats(rs->offcpu, &ost);
		w = snprintf(buf, size, "off-CPU: %s blocks of %llu us or more%s%s, %.3f s",
			     thousands(ost.blocks + ost.still_blocked, samples, sizeof(samples)),
			     (unsigned long long)(a->offcpu.min_block_ns / 1000),
			     a->offcpu.state == OFFCPU_STATE_ALL ? "" : ", ",
			     a->offcpu.state == OFFCPU_STATE_ALL ? ""
								 : state_names[a->offcpu.state],
			     (double)rs->offcpu_ns / 1e9);
		if (w < 0 || (size_t)w >= size || a->mode == RECORD_OFFCPU)
			return buf;
		n = (size_t)w;
		w = snprintf(buf + n, size - n, "; ");
		n += w > 0 ? (size_t)w : 0;
	}
	if (a->sampler.period)
		w = snprintf(buf + n, size - n, "%s, every %llu events, %s samples", st->event_name,
			     (unsigned long long)a->sampler.period,
			     thousands(cpu_samples, samples, sizeof(samples)));
	else
		w = snprintf(buf + n, size - n, "%s at %u Hz, %s samples", st->event_name,
			     a->sampler.freq, thousands(cpu_samples, samples, sizeof(samples)));
	if (w > 0 && n + (size_t)w < size && (st->lost || st->lost_samples || st->throttled))
		snprintf(buf + n + (size_t)w, size - n - (size_t)w, ", %llu lost, %llu throttled",
			 (unsigned long long)(st->lost + st->lost_samples),
			 (unsigned long long)st->throttled);
	return buf;
}

static const char *const mode_names[] = {
	[RECORD_CPU] = "cpu",
	[RECORD_OFFCPU] = "offcpu",
	[RECORD_HOTCOLD] = "hotcold",
	[RECORD_MALLOC] = "malloc",
};

/* The profile database, its metadata filled from the options and the sampler. */
static struct record_store *open_store(const struct record_args *a, const struct sampler_stats *st,
				       int argc, char **argv)
{
	struct strbuf cmd = STRBUF_INIT;
	struct store_meta m = {0};
	struct record_store *rs;

	cli_command_line(&cmd, !strcmp(argv[0], "record") ? "record" : NULL, argc, argv);
	m.command_line = cmd.buf;
	m.mode = mode_names[a->mode];
	m.version = FLAMESAMP_VERSION;
	m.with_pid = a->out.with_pid;
	m.with_tid = a->out.with_tid;
	m.bucket_ns = a->bucket_ns;
	m.count_name = a->render.fg.count_name;
	m.count_scale = a->out.count_scale;
	switch (a->mode) {
	case RECORD_CPU:
		m.event = st->event_name;
		m.frequency = a->sampler.period ? 0 : (a->sampler.freq ? a->sampler.freq : 997);
		m.period = a->sampler.period;
		m.unit = "samples";
		break;
	case RECORD_OFFCPU:
		m.event = "sched_switch";
		m.unit = "ns";
		break;
	case RECORD_HOTCOLD:
		m.event = st->event_name;
		m.frequency = a->sampler.period ? 0 : (a->sampler.freq ? a->sampler.freq : 997);
		m.period = a->sampler.period;
		m.unit = "ns";
		break;
	case RECORD_MALLOC:
		m.event = a->malloc.mode == RECORD_MALLOC_LIVE ? "malloc-live" : "malloc";
		m.unit = a->malloc.mode == RECORD_MALLOC_COUNT ? "calls" : "bytes";
		break;
	}
	m.start_ns = cli_clock_ns(CLOCK_REALTIME);
	m.start_monotonic_ns = cli_clock_ns(CLOCK_MONOTONIC);
	rs = record_store__open(a->db_output, &m, &a->out);
	strbuf_release(&cmd);
	return rs;
}

static int finish_store(const struct record_args *a, struct record_state *rs, struct sampler *s,
			const struct sampler_stats *st)
{
	struct stack_table *tables[RECORD_STORE_TABLES] = {rs->stacks, rs->offcpu_stacks};
	struct store_end end = {
		.end_ns = cli_clock_ns(CLOCK_REALTIME),
		.samples = st->samples,
		.lost = st->lost + st->lost_samples,
		.throttled = st->throttled,
		.title = a->render.fg.title,
		.subtitle = a->render.fg.subtitle,
	};

	return record_store__finish(rs->store, tables, sampler__processes(s), &end, store_at_end(a),
				    RECORD_EVENT_MALLOC);
}

/* "a.db and a.svg": what was written, for the summary line */
static const char *outputs_written(const struct record_args *a, char *buf)
{
	const char *out = a->output && strcmp(a->output, "-") ? a->output : "standard output";

	if (a->db_output && a->output)
		snprintf(buf, 8192, "%s and %s", a->db_output, out);
	else
		snprintf(buf, 8192, "%s", a->db_output ? a->db_output : out);
	return buf;
}

/* The exit code for a command's wait status, as a shell reports it. */
static int command_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILURE_RUNTIME;
}

int cmd_record(int argc, char **argv)
{
	struct record_args a;
	struct record_state state = {0};
	struct sampler *s = NULL;
	struct output_file *of = NULL;
	struct sampler_stats st;
	char subtitle[256], names[8192];
	bool status_line;
	int ret, err, child_status = -1;

	memset(&a, 0, sizeof(a));
	ret = parse_args(argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	ret = check_targets(&a);
	if (ret)
		goto out;
	/* a path that cannot be written fails now, not after a long recording */
	of = a.output ? output_file__open(a.output) : NULL;
	if (a.output && !of) {
		cli_error("cannot write '%s': %s",
			  strcmp(a.output, "-") ? a.output : "standard output", strerror(errno));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}

	state.args = &a;
	state.stacks = stack_table__new();
	if (a.mode == RECORD_HOTCOLD)
		state.offcpu_stacks = stack_table__new();
	a.sampler.on_sample = on_sample;
	a.sampler.ctx = &state;
	install_signal_handlers();
	if (a.mode == RECORD_MALLOC) {
		a.sampler.on_external = on_external;
		state.malloc = record_malloc__open(&a.malloc, &a.sampler);
		if (!state.malloc) {
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
	} else if (a.mode != RECORD_CPU) {
		a.sampler.on_external = on_external;
		state.offcpu = record_offcpu__open(&a.offcpu, &a.sampler);
		if (!state.offcpu) {
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
	}
	s = sampler__new(&a.sampler);
	if (!s) {
		explain_open_error(&a, errno);
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	if ((state.offcpu && record_offcpu__attach(state.offcpu, s)) ||
	    (state.malloc && record_malloc__attach(state.malloc, s))) {
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	sampler__stats(s, &st);
	if (a.db_output) {
		state.store = open_store(&a, &st, argc, argv);
		if (!state.store) {
			ret = EXIT_FAILURE_RUNTIME;
			goto out;
		}
	}
	err = sampler__start(s);
	if (err && a.sampler.argv) {
		cli_error("cannot run '%s': %s", a.sampler.argv[0], strerror(-err));
		ret = 127; /* as a shell says "command not found" */
		goto out;
	}
	if (err) {
		cli_error("cannot start sampling: %s", strerror(-err));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	/* the database appears at its path now, and holds what was seen if killed */
	if (state.store && commit_store(&state, s)) {
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	status_line = !a.quiet && isatty(STDERR_FILENO);
	if (!a.quiet && a.mode == RECORD_MALLOC) {
		fprintf(stderr, "%s: tracing allocations%s\n", cli_program,
			a.sampler.argv ? "" : "; Ctrl-C to stop");
	} else if (!a.quiet && a.mode == RECORD_OFFCPU) {
		fprintf(stderr, "%s: tracing off-CPU time (blocks of %llu us or more)%s\n",
			cli_program, (unsigned long long)(a.offcpu.min_block_ns / 1000),
			a.sampler.argv ? "" : "; Ctrl-C to stop");
	} else if (!a.quiet) {
		if (a.mode == RECORD_HOTCOLD)
			fprintf(stderr, "%s: tracing off-CPU time, and ", cli_program);
		else
			fprintf(stderr, "%s: ", cli_program);
		if (a.sampler.period)
			fprintf(stderr, "sampling %s every %llu events on %u CPUs", st.event_name,
				(unsigned long long)a.sampler.period, st.nr_cpus);
		else
			fprintf(stderr, "sampling %s at %u Hz on %u CPUs", st.event_name,
				a.sampler.freq ? a.sampler.freq : 997, st.nr_cpus);
		fprintf(stderr, "%s%s%s\n",
			st.event_fallback ? " (no hardware cycles counter)" : "",
			st.kernel_excluded && !a.sampler.no_kernel
				? " (user space only: kernel.perf_event_paranoid)"
				: "",
			a.sampler.argv ? "" : "; Ctrl-C to stop");
	}
	record_loop(&a, &state, s, status_line);
	sampler__stop(s);
	sampler__stats(s, &st);
	if (sampler__child(s) > 0)
		child_status = sampler__reap_child(s);

	if (!a.render.fg.subtitle && state.malloc) {
		a.render.fg.subtitle =
			record_malloc__subtitle(state.malloc, subtitle, sizeof(subtitle));
	} else if (!a.render.fg.subtitle) {
		a.sampler.freq = a.sampler.freq ? a.sampler.freq : 997;
		a.render.fg.subtitle =
			default_subtitle(&a, &state, &st, subtitle, sizeof(subtitle));
	}
	ret = EXIT_OK;
	if (state.store && !state.store_failed)
		ret = finish_store(&a, &state, s, &st);
	if (state.store_failed)
		ret = EXIT_FAILURE_RUNTIME;
	a.out.output = a.output;
	a.out.render = &a.render;
	if (a.output && ret == EXIT_OK) {
		ret = record_output__write(&a.out, state.stacks, state.offcpu_stacks,
					   sampler__processes(s), of);
		of = NULL;
	}
	if (!a.quiet && state.malloc) {
		record_malloc__report(state.malloc);
		if (ret == EXIT_OK)
			fprintf(stderr, "%s: wrote %s\n", cli_program, outputs_written(&a, names));
	} else if (!a.quiet && state.offcpu) {
		char blocks[FS_COUNT_BUFSIZE], samples[FS_COUNT_BUFSIZE];
		struct offcpu_stats ost;

		record_offcpu__stats(state.offcpu, &ost);
		fprintf(stderr, "%s: %s off-CPU blocks, %.3f s off-CPU", cli_program,
			thousands(ost.blocks + ost.still_blocked, blocks, sizeof(blocks)),
			(double)state.offcpu_ns / 1e9);
		if (a.mode == RECORD_HOTCOLD)
			fprintf(stderr, ", %s CPU samples",
				thousands(state.cpu_samples, samples, sizeof(samples)));
		fprintf(stderr, ", %zu process%s", state.pids_seen.count,
			state.pids_seen.count == 1 ? "" : "es");
		if (ret == EXIT_OK)
			fprintf(stderr, "; wrote %s", outputs_written(&a, names));
		fprintf(stderr, "\n");
		record_offcpu__report(state.offcpu);
	} else if (!a.quiet) {
		char samples[FS_COUNT_BUFSIZE];

		fprintf(stderr, "%s: %s samples, %llu lost, %llu throttled, %zu process%s",
			cli_program, thousands(st.samples, samples, sizeof(samples)),
			(unsigned long long)(st.lost + st.lost_samples),
			(unsigned long long)st.throttled, state.pids_seen.count,
			state.pids_seen.count == 1 ? "" : "es");
		if (ret == EXIT_OK)
			fprintf(stderr, "; wrote %s", outputs_written(&a, names));
		fprintf(stderr, "\n");
		if (st.lost + st.lost_samples)
			fprintf(stderr,
				"%s: samples were lost: use larger ring buffers (-m, now %zu KiB per "
				"CPU) or a lower -F\n",
				cli_program, st.ring_bytes / 1024);
	}
	if (ret == EXIT_OK && a.open && a.output)
		record_output__open_viewer(a.output);
	if (ret == EXIT_OK && child_status >= 0)
		ret = command_exit_code(child_status);
out:
	output_file__abort(of);
	sampler__free(s);
	record_offcpu__free(state.offcpu);
	record_malloc__free(state.malloc);
	record_store__free(state.store);
	stack_table__free(state.stacks);
	stack_table__free(state.offcpu_stacks);
	u64_map__release(&state.pids_seen);
	free(a.pids);
	free(a.tids);
	return ret;
}
