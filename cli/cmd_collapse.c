// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp collapse FORMAT [OPTIONS] [FILE...]: other tools' profiles to
 * sorted folded stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/collapse_input.h"
#include "collapse/collapse.h"
#include "common/line_reader.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

static const char usage_text[] =
	"usage: flamesamp collapse FORMAT [OPTIONS] [FILE...]\n"
	"\n"
	"Convert a profile written by another tool to folded stacks (\"frame;frame COUNT\"),\n"
	"sorted, on standard output.  With no FILE, or with \"-\", read standard input.\n"
	"Several FILEs are merged into one profile.\n"
	"\n"
	"formats:\n"
	"  perf      `perf script` text; output identical to FlameGraph's stackcollapse-perf.pl\n"
	"            (several perf FILEs are read as one stream, as that script does)\n"
	"  v8        Chrome / Node.js .cpuprofile JSON (or Chrome trace events); weights\n"
	"            are microseconds, frames \"function url:line:column\"\n"
	"  pprof     pprof protobuf profile, gzipped or not; inlined functions are frames\n"
	"            of their own, weights are the first sample type unless --sample-type\n"
	"  bpftrace  bpftrace map output: @[kstack, ustack, comm] = count\n"
	"  folded    folded stacks, normalised and merged\n"
	"  auto      tell each FILE's format from its content\n"
	"\n"
	"options:\n"
	"  -o, --output FILE       write to FILE (replaced only once complete)\n"
	"  -h, --help              show this help\n"
	"perf options:\n"
	"      --pid               name the process \"comm-PID\"\n"
	"      --tid               name the process \"comm-PID/TID\"\n"
	"      --kernel            mark kernel frames with \"_[k]\"\n"
	"      --jit               mark JIT frames (/tmp/perf-PID.map) with \"_[j]\"\n"
	"      --all               --kernel and --jit\n"
	"      --addrs             show the address of frames without a symbol:\n"
	"                          \"[module <ADDR>]\"\n"
	"      --event-filter EVENT\n"
	"                          keep samples of EVENT only (default: the first event seen)\n"
	"pprof options:\n"
	"      --sample-type NAME  count this sample value, e.g. cpu (default: the first)\n"
	"\n"
	"stackcollapse-perf.pl's --inline (which runs addr2line on the profiled binaries)\n"
	"is not supported.\n"
	"\n"
	"Exit status: 0 success, 1 input that cannot be read as FORMAT or a write error,\n"
	"2 usage error (unknown option or format, missing or unreadable FILE).\n";

enum {
	OPT_PID = 256,
	OPT_TID,
	OPT_KERNEL,
	OPT_JIT,
	OPT_ALL,
	OPT_ADDRS,
	OPT_EVENT_FILTER,
	OPT_SAMPLE_TYPE,
	OPT_INLINE,
};

static const struct option long_options[] = {
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{"pid", no_argument, NULL, OPT_PID},
	{"tid", no_argument, NULL, OPT_TID},
	{"kernel", no_argument, NULL, OPT_KERNEL},
	{"jit", no_argument, NULL, OPT_JIT},
	{"all", no_argument, NULL, OPT_ALL},
	{"addrs", no_argument, NULL, OPT_ADDRS},
	{"event-filter", required_argument, NULL, OPT_EVENT_FILTER},
	{"sample-type", required_argument, NULL, OPT_SAMPLE_TYPE},
	{"inline", no_argument, NULL, OPT_INLINE},
	{NULL, 0, NULL, 0},
};

/* Collapse one input into @sc; returns an exit code. */
static int collapse_one(const char *name, enum collapse_format fmt, const char *data, size_t len,
			const struct collapse_options *opts, struct stack_counts *sc)
{
	struct strbuf warnings = STRBUF_INIT, why = STRBUF_INIT;
	struct collapse_stats st = {0};
	const char *p, *nl;
	int ret;

	ret = collapse_input(fmt, data, len, opts, sc, &st, &warnings, &why);
	if (ret)
		cli_error("%s: %s", name, why.buf);
	for (p = warnings.buf; !ret && p && p < warnings.buf + warnings.len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(warnings.buf + warnings.len - p));
		fprintf(stderr, "%s: warning: %s: %.*s\n", cli_program, name, (int)(nl - p), p);
	}
	strbuf_release(&warnings);
	strbuf_release(&why);
	return ret ? EXIT_FAILURE_RUNTIME : EXIT_OK;
}

/*
 * One input held in memory, data[len] == '\0'.  A regular file is mapped
 * rather than read: with the file in the page cache that costs well under a
 * millisecond for 64 MB, where read() into fresh memory costs ~30 ms of page
 * faults and copying, as much as collapsing it.  Pipes and the like are read.
 */
struct input {
	char *data;
	size_t len;
	size_t map_len; /* 0 when read with fs_read_file() */
};

/*
 * A mapped file that shrinks under us (another process truncating it) makes
 * the next access raise SIGBUS.  No output file is open while inputs are
 * mapped, so saying so and leaving is all there is to do.
 */
static const char *volatile mapped_name; /* the one mapped input; NULL for several */
static volatile int live_mappings;

static void mapped_file_changed(int sig)
{
	static const char msg[] = ": the file shrank while it was being read\n";
	const char *name = mapped_name ? mapped_name : "an input file";

	(void)sig;
	if (write(STDERR_FILENO, "flamesamp: ", 11) < 0 ||
	    write(STDERR_FILENO, name, strlen(name)) < 0 ||
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAILURE_RUNTIME);
	_exit(EXIT_FAILURE_RUNTIME);
}

static int input_map(int fd, size_t len, struct input *in)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t map_len = (len + 1 + page - 1) / page * page;
	size_t file_len = (len + page - 1) / page * page;
	char *base;

	/*
	 * Reserve room for data[len] first: when len is a multiple of the page
	 * size that byte lies past the file, in a page of zeros.
	 */
	base = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mmap(base, file_len, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) ==
	    MAP_FAILED) {
		int err = -errno;

		munmap(base, map_len);
		return err;
	}
	in->data = base;
	in->len = len;
	in->map_len = map_len;
	return 0;
}

static int input_open(const char *path, struct input *in)
{
	struct sigaction sa = {.sa_handler = mapped_file_changed};
	struct stat st;
	int fd, err = -EINVAL;

	memset(in, 0, sizeof(*in));
	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    (unsigned long long)st.st_size < (size_t)-1 / 2)
			err = input_map(fd, st.st_size, in);
		close(fd);
		if (!err) {
			mapped_name = live_mappings ? NULL : path;
			if (!live_mappings++)
				sigaction(SIGBUS, &sa, NULL);
			return 0;
		}
	}
	/* not a regular file, or mapping failed: read it */
	return fs_read_file(path, &in->data, &in->len);
}

static void input_close(struct input *in)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};

	if (in->map_len) {
		munmap(in->data, in->map_len);
		if (!--live_mappings)
			sigaction(SIGBUS, &sa, NULL);
	} else {
		free(in->data);
	}
	memset(in, 0, sizeof(*in));
}

/* Append @data as whole lines: a last line without '\n' stays a line of its own. */
static void append_lines(struct strbuf *sb, const char *data, size_t len)
{
	strbuf_add(sb, data, len);
	if (len && data[len - 1] != '\n')
		strbuf_addch(sb, '\n');
}

static const char *input_name(const char *path)
{
	return strcmp(path, "-") ? path : "standard input";
}

static int write_stacks(FILE *out, const void *sc)
{
	return stack_counts__write(sc, out);
}

/* Parse the command line into @opts; returns -1 after a usage error, 1 for --help. */
static int parse_args(int argc, char **argv, struct collapse_options *opts,
		      enum collapse_format *fmt, const char **output)
{
	int c;

	optind = 0; /* full reinitialisation of GNU getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			*output = optarg;
			break;
		case 'h':
			return 1;
		case OPT_PID:
			opts->include_pid = true;
			break;
		case OPT_TID:
			opts->include_tid = true;
			break;
		case OPT_KERNEL:
			opts->annotate_kernel = true;
			break;
		case OPT_JIT:
			opts->annotate_jit = true;
			break;
		case OPT_ALL:
			opts->annotate_kernel = opts->annotate_jit = true;
			break;
		case OPT_ADDRS:
			opts->include_addrs = true;
			break;
		case OPT_EVENT_FILTER:
			opts->event_filter = optarg;
			break;
		case OPT_SAMPLE_TYPE:
			opts->sample_type = optarg;
			break;
		case OPT_INLINE:
			cli_error("collapse: --inline is not supported (it would run addr2line on "
				  "the profiled binaries)");
			return -1;
		case ':':
			cli_error("collapse: option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			cli_error("collapse: unknown option '%s' (see 'flamesamp collapse --help')",
				  cli_bad_option(long_options, argv));
			return -1;
		}
	}
	if (optind >= argc) {
		cli_error("collapse: no FORMAT given (perf, v8, pprof, bpftrace, folded or auto)");
		return -1;
	}
	if (collapse_format__parse(argv[optind], fmt)) {
		cli_error("collapse: unknown format '%s' (perf, v8, pprof, bpftrace, folded or "
			  "auto)",
			  argv[optind]);
		return -1;
	}
	optind++;
	return 0;
}

int cmd_collapse(int argc, char **argv)
{
	static char *const stdin_only[] = {"-"};
	struct collapse_options opts;
	enum collapse_format fmt = COLLAPSE_AUTO;
	const char *output = NULL;
	struct stack_counts *sc = NULL;
	struct strbuf perf = STRBUF_INIT, perf_names = STRBUF_INIT;
	struct input in = {0}, perf_in = {0};
	char *const *files;
	size_t nfiles, nperf = 0, i;
	int ret;

	collapse_options__init(&opts);
	ret = parse_args(argc, argv, &opts, &fmt, &output);
	if (ret) {
		if (ret > 0)
			fputs(usage_text, stdout);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	files = optind < argc ? argv + optind : stdin_only;
	nfiles = optind < argc ? (size_t)(argc - optind) : 1;

	sc = stack_counts__new();
	for (i = 0; i < nfiles; i++) {
		const char *name = input_name(files[i]);
		enum collapse_format f = fmt;
		int err = input_open(files[i], &in);

		if (err) {
			cli_error("cannot read %s: %s", name, strerror(-err));
			ret = EXIT_USAGE;
			goto out;
		}
		if (f == COLLAPSE_AUTO && in.len) {
			f = collapse_format__detect(in.data, in.len);
			if (f == COLLAPSE_AUTO) {
				cli_error("%s: cannot tell the input format; name it (perf, v8, "
					  "pprof, bpftrace or folded)",
					  name);
				ret = EXIT_FAILURE_RUNTIME;
				goto out;
			}
		}
		if (f == COLLAPSE_PERF) {
			/*
			 * stackcollapse-perf.pl reads its files as one stream (the
			 * event it keeps is the first one of the first file), so perf
			 * inputs are joined; a single one is used as it is.
			 */
			if (nperf++)
				strbuf_add(&perf_names, ", ", 2);
			strbuf_addstr(&perf_names, name);
			if (nperf == 1) {
				perf_in = in;
				memset(&in, 0, sizeof(in));
				continue;
			}
			if (nperf == 2) {
				append_lines(&perf, perf_in.data, perf_in.len);
				input_close(&perf_in);
			}
			append_lines(&perf, in.data, in.len);
		} else if (f != COLLAPSE_AUTO) { /* COLLAPSE_AUTO: an empty input */
			ret = collapse_one(name, f, in.data, in.len, &opts, sc);
		}
		input_close(&in);
		if (ret)
			goto out;
	}
	if (nperf == 1)
		ret = collapse_one(perf_names.buf, COLLAPSE_PERF, perf_in.data, perf_in.len, &opts,
				   sc);
	else if (nperf)
		ret = collapse_one(perf_names.buf, COLLAPSE_PERF, perf.buf ? perf.buf : "",
				   perf.len, &opts, sc);
	/* the inputs are released before the output file exists (see mapped_file_changed) */
	input_close(&perf_in);
	strbuf_release(&perf);
	if (ret)
		goto out;
	ret = cli_write_output(output, NULL, write_stacks, sc);
out:
	input_close(&in);
	input_close(&perf_in);
	strbuf_release(&perf);
	strbuf_release(&perf_names);
	stack_counts__free(sc);
	return ret;
}
