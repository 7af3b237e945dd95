// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp symbolize: addresses to functions and source lines, as addr2line
 * prints them (binutils' and llvm-addr2line's common output, byte for byte),
 * for an ELF file (-e) or a live process (-p).  Addresses come from the
 * command line or, one per line, from standard input, which is read in
 * batches: each batch is sorted, indexed at once (symbolizer__prepare(), on
 * several threads), looked up in address order and printed in input order,
 * so a large input is fast and a pipe fed one address at a time still gets
 * each answer at once.  Standard input's batches go through a pipeline of
 * three threads (see answer_stdin()).
 */
#define _GNU_SOURCE /* pipe2 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/big_buffer.h"
#include "common/line_reader.h"
#include "common/log.h"
#include "common/number.h"
#include "common/xalloc.h"
#include "symbolize/symbolizer.h"

/* Addresses indexed and answered together, at most. */
#define BATCH_MAX 32768
/* The longest input line kept whole (only its start matters: the address). */
#define INPUT_SIZE (2u << 20)
/* Standard input is read this much at a time: pages of the buffer past it are never touched. */
#define READ_SIZE  (64u << 10)
#define MAX_FRAMES 64
/* a batch's frames: MAX_FRAMES for each of its addresses */
#define POOL_BYTES ((size_t)BATCH_MAX * MAX_FRAMES * sizeof(struct sym_frame))
/* x86-64 kernel addresses: the upper half of the canonical address space */
#define KERNEL_START 0xffff800000000000ULL

struct symbolize_args {
	const char *exe; /* -e */
	pid_t pid;	 /* -p, 0 without */
	bool functions, inlines, demangle, basenames, addresses, pretty;
};

/* One line of /proc/PID/maps. */
struct mapping {
	uint64_t start, end, pgoff, dev, ino;
	bool exec;
	char *path; /* "" for anonymous memory */
};

struct process_maps {
	struct mapping *maps;
	size_t n;
};

/* What the addresses are resolved against: a file (-e) or a process (-p). */
struct target {
	struct symbolizer *sym;
	struct sym_file_key file; /* -e */
	char *file_path;
	pid_t pid; /* -p */
	struct process_maps pm;
};

/* Bits of the sort key taken per radix pass, at most: 2048 counts stay in L1. */
#define RADIX_BITS   11
#define RADIX_SIZE   (1u << RADIX_BITS)
#define RADIX_PASSES ((48 + RADIX_BITS - 1) / RADIX_BITS)
/* A batch position fits in the low bits of a sort word. */
#define POS_BITS 16
_Static_assert(BATCH_MAX <= 1u << POS_BITS, "batch positions must fit in POS_BITS");

struct batch {
	uint64_t addrs[BATCH_MAX];
	bool valid[BATCH_MAX]; /* false: the line held no hex number */
	size_t n;
	bool last; /* standard input ended after this batch */
	/*
	 * sort_by_address(): the valid addresses in address order with their
	 * positions (and room to sort them), then lookup_batch(): each
	 * position's frames in the pool
	 */
	uint64_t sorted[BATCH_MAX];
	uint32_t pos[BATCH_MAX];
	size_t nsorted;
	uint32_t first[BATCH_MAX];
	uint8_t count[BATCH_MAX];
	struct sym_frame *pool; /* POOL_BYTES: a big_buffer */
};

/* What sort_by_address() works in: one per sorting thread, not per batch. */
struct sort_space {
	uint64_t words[BATCH_MAX];
	uint32_t counts[RADIX_PASSES][RADIX_SIZE];
};

struct input {
	int fd;
	int stop_fd; /* readable: stop waiting for input; -1 for none */
	char *buf;
	size_t len;
	bool eof;
	bool skip_line; /* discarding the rest of a line longer than the buffer */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp symbolize -e FILE [OPTIONS] [ADDR...]\n"
		"       flamesamp symbolize -p PID [OPTIONS] [ADDR...]\n"
		"\n"
		"Print the source file and line (and with -f the function) of each address,\n"
		"as addr2line does: innermost function first, \"??\" for an unknown function,\n"
		"\"??:0\" for an unknown location.  Addresses are hexadecimal, with or without\n"
		"0x, from the command line or else one per line from standard input (blank\n"
		"lines are skipped; a line without a number prints \"??\").\n"
		"\n"
		"Target:\n"
		"  -e, --exe FILE       addresses are ELF virtual addresses of FILE (its link-time\n"
		"                       layout, as addr2line takes them); DWARF from FILE or its\n"
		"                       separate debug file (build-id, .gnu_debuglink)\n"
		"  -p, --pid PID        addresses are virtual addresses of the live process PID,\n"
		"                       resolved through /proc/PID/maps: mapped files, JIT code\n"
		"                       named in /tmp/perf-PID.map, kernel addresses\n"
		"Output:\n"
		"  -f, --functions      print the function name before each location\n"
		"  -i, --inlines        also print the functions the code was inlined into,\n"
		"                       each with the line of the inlined call\n"
		"  -C, --demangle       demangle C++ and Rust names, without parameter lists\n"
		"  -s, --basenames      print only the base name of source files\n"
		"  -a, --addresses      print each address before its frames\n"
		"      --pretty-print   one line per frame: \"func at file:line\", inlined\n"
		"                       callers prefixed with \" (inlined by) \"\n"
		"  -v, --verbose        report what was read and indexed, on standard error\n"
		"  -h, --help           show this help\n"
		"\n"
		"Differences from addr2line: -p is the process, not --pretty-print; -C names\n"
		"have no parameter lists (\"ns::S::method\", as flame graphs show them).\n"
		"\n"
		"Exit status: 0 success, 1 a runtime failure (no such process, its maps cannot\n"
		"be read, standard output cannot be written), 2 usage error (unknown option,\n"
		"no target, a missing, unreadable or non-ELF FILE, a relocatable object (.o),\n"
		"a PID that is not a number).\n");
}

enum {
	OPT_PRETTY = 256,
};

static const struct option long_options[] = {
	{"exe", required_argument, NULL, 'e'},
	{"pid", required_argument, NULL, 'p'},
	{"functions", no_argument, NULL, 'f'},
	{"inlines", no_argument, NULL, 'i'},
	{"demangle", no_argument, NULL, 'C'},
	{"basenames", no_argument, NULL, 's'},
	{"addresses", no_argument, NULL, 'a'},
	{"pretty-print", no_argument, NULL, OPT_PRETTY},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* 0, -1 after --help, or an exit code after printing the problem. */
static int parse_args(int argc, char **argv, struct symbolize_args *a)
{
	long pid;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0; /* full reinitialisation of GNU getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:p:fiCsavh", long_options, NULL)) != -1) {
		switch (c) {
		case 'e':
			a->exe = optarg;
			break;
		case 'p':
			if (cli_parse_int("-p", optarg, 1, INT_MAX, &pid))
				return EXIT_USAGE;
			a->pid = (pid_t)pid;
			break;
		case 'f':
			a->functions = true;
			break;
		case 'i':
			a->inlines = true;
			break;
		case 'C':
			a->demangle = true;
			break;
		case 's':
			a->basenames = true;
			break;
		case 'a':
			a->addresses = true;
			break;
		case OPT_PRETTY:
			a->pretty = true;
			break;
		case 'v':
			cli_verbose++;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			cli_error("unknown option '%s' (see 'flamesamp symbolize --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		}
	}
	if (!a->exe && !a->pid) {
		cli_error("no target: give -e FILE or -p PID (see 'flamesamp symbolize --help')");
		return EXIT_USAGE;
	}
	if (a->exe && a->pid) {
		cli_error("-e and -p exclude each other: give one target");
		return EXIT_USAGE;
	}
	return 0;
}

/* Hexadecimal digit values plus one; 0 for every other byte. */
static const uint8_t hex_value[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * An address as binutils addr2line reads one (strtoul base 16): leading
 * blanks, an optional sign and 0x, then hex digits up to the first other
 * character; past 64 bits it saturates.  False when there is no digit.
 * *@stop is where reading stopped: a newline is never read past.
 */
static bool parse_address(const char *s, const char *end, uint64_t *out, const char **stop)
{
	uint64_t v = 0;
	bool neg = false, overflow = false;
	const char *digits;
	unsigned int d;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
		s++;
	if (s < end && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    hex_value[(unsigned char)s[2]])
		s += 2;
	for (digits = s; s < end && (d = hex_value[(unsigned char)*s]); s++) {
		if (v >> 60)
			overflow = true;
		v = v << 4 | (d - 1);
	}
	*stop = s;
	if (s == digits)
		return false;
	if (overflow)
		v = UINT64_MAX;
	*out = neg ? -v : v;
	return true;
}

static bool blank_line(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\v' && *s != '\f')
			return false;
	return true;
}

/*
 * Standard output, buffered here and written with write(2).  The output is
 * mostly short pieces (a name, a path, a number): stdio's cost per call
 * (fputs, putc) was a fifth of the command's time on large inputs.
 */
#define OUTPUT_SIZE (64u << 10)

struct output {
	char *buf;
	size_t len;
	int err; /* errno of the first failed write; nothing is written after it */
};

static void output__write(struct output *o, const char *s, size_t len)
{
	while (len && !o->err) {
		ssize_t w = write(STDOUT_FILENO, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w < 0 ? errno : EIO;
			break;
		}
		s += w;
		len -= (size_t)w;
	}
}

/* 0, or -errno of the first write that failed (then or before). */
static int output__flush(struct output *o)
{
	output__write(o, o->buf, o->len);
	o->len = 0;
	return -o->err;
}

static inline void out_mem(struct output *o, const char *s, size_t len)
{
	if (len > OUTPUT_SIZE - o->len) {
		output__flush(o);
		if (len >= OUTPUT_SIZE) {
			output__write(o, s, len);
			return;
		}
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

static inline void out_str(struct output *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static inline void out_char(struct output *o, char c)
{
	if (o->len == OUTPUT_SIZE)
		output__flush(o);
	o->buf[o->len++] = c;
}

static void out_hex16(struct output *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[18];
	int i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 17; i >= 2; i--, v >>= 4)
		buf[i] = digits[v & 15];
	out_mem(o, buf, sizeof(buf));
}

/* ":LINE\n" */
static void out_line(struct output *o, unsigned int v)
{
	char buf[12];
	size_t i = sizeof(buf);

	buf[--i] = '\n';
	do
		buf[--i] = (char)('0' + v % 10);
	while (v /= 10);
	buf[--i] = ':';
	out_mem(o, buf + i, sizeof(buf) - i);
}

/*
 * The frames of one address, innermost first (@n may be 0: nothing known).
 * The layout is addr2line's: with -f a function line ("??" when unknown),
 * then "file:line" ("??:0" when unknown); with --pretty-print both on one
 * line, "func at file:line".
 */
static void print_frames(struct output *o, const struct symbolize_args *a, uint64_t addr,
			 const struct sym_frame *frames, size_t n)
{
	static const struct sym_frame unknown;
	size_t i;

	if (a->addresses) {
		out_hex16(o, addr);
		out_str(o, a->pretty ? ": " : "\n");
	}
	if (!n) {
		frames = &unknown;
		n = 1;
	}
	/* without -i, addr2line shows the innermost function and the line of the address */
	if (!a->inlines)
		n = 1;
	for (i = 0; i < n; i++) {
		const char *file = frames[i].file;

		if (a->pretty && i)
			out_mem(o, " (inlined by) ", 14);
		if (a->functions) {
			if (frames[i].name_len)
				out_mem(o, frames[i].name, frames[i].name_len);
			else
				out_str(o, frames[i].name && frames[i].name[0] ? frames[i].name
									       : "??");
			if (a->pretty)
				out_mem(o, " at ", 4);
			else
				out_char(o, '\n');
		}
		if (!file) {
			/* no line known (a .dynsym-only file): the most common line there is */
			out_mem(o, "??:0\n", 5);
			continue;
		}
		if (a->basenames) {
			const char *slash = strrchr(file, '/');

			if (slash)
				file = slash + 1;
		}
		out_str(o, file);
		out_line(o, frames[i].line);
	}
}

/* A name only (kernel, JIT): no file and line to give. */
static size_t name_frame(const char *name, struct sym_frame *frames)
{
	if (!name)
		return 0;
	frames[0] = (struct sym_frame){.name = name};
	return 1;
}

/* --- -p: the process's mappings --- */

static void process_maps__release(struct process_maps *pm)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		free(pm->maps[i].path);
	free(pm->maps);
	pm->maps = NULL;
	pm->n = 0;
}

/* "start-end perms offset major:minor inode   path" */
static bool parse_maps_line(char *line, struct mapping *m)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int major, minor;
	char perms[8];
	int pos = 0;
	size_t len;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &major,
		   &minor, &ino, &pos) < 7 ||
	    !pos)
		return false;
	len = strlen(line + pos);
	*m = (struct mapping){
		.start = start,
		.end = end,
		.pgoff = pgoff,
		.dev = makedev(major, minor),
		.ino = ino,
		.exec = perms[2] == 'x',
		.path = xstrndup(line + pos, len),
	};
	return true;
}

/* Read /proc/PID/maps again (a library loaded since is found); 0 or -errno. */
static int process_maps__read(struct process_maps *pm, pid_t pid)
{
	struct process_maps fresh = {0};
	struct line_reader *r;
	size_t cap = 0, len;
	char path[64], *line;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	r = line_reader__open(path);
	if (!r)
		return -errno;
	while ((ret = line_reader__next(r, &line, &len)) > 0) {
		if (fresh.n == cap) {
			cap = cap ? 2 * cap : 64;
			fresh.maps = xreallocarray(fresh.maps, cap, sizeof(*fresh.maps));
		}
		if (parse_maps_line(line, &fresh.maps[fresh.n]))
			fresh.n++;
	}
	line_reader__free(r);
	/* another user's process: the kernel gives an empty file, not an error */
	if (!ret && !fresh.n)
		ret = -EACCES;
	if (ret < 0) {
		process_maps__release(&fresh);
		return ret;
	}
	process_maps__release(pm);
	*pm = fresh;
	return 0;
}

/* The mapping holding @addr (the kernel lists them sorted and disjoint), or NULL. */
static const struct mapping *process_maps__find(const struct process_maps *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < pm->maps[mid].start)
			hi = mid;
		else if (addr >= pm->maps[mid].end)
			lo = mid + 1;
		else
			return &pm->maps[mid];
	}
	return NULL;
}

static bool anonymous(const char *path)
{
	return !path[0] || !strcmp(path, "//anon") || !strncmp(path, "[anon:", 6);
}

static size_t process_frames(struct target *t, uint64_t addr, struct sym_frame *frames)
{
	const struct mapping *m;
	struct sym_file_key key;

	if (addr >= KERNEL_START)
		return name_frame(symbolizer__kernel(t->sym, addr), frames);
	m = process_maps__find(&t->pm, addr);
	if (!m)
		return 0;
	if (anonymous(m->path))
		return m->exec ? name_frame(symbolizer__jit(t->sym, t->pid, addr), frames) : 0;
	key = (struct sym_file_key){
		.path = m->path,
		.dev = m->dev,
		.ino = m->ino,
		.pid = t->pid,
		.map_start = m->start,
		.map_end = m->end,
	};
	return symbolizer__user_frames(t->sym, &key, addr - m->start + m->pgoff, frames,
				       MAX_FRAMES);
}

/* --- batches --- */

/*
 * The valid addresses of the batch in address order, with their positions:
 * an LSD radix sort of words that hold the offset from the lowest address
 * above the position, in as few passes of at most RADIX_BITS as the span of
 * the batch needs, split evenly (three of 9 bits for a 60 MB .text), every
 * pass's counts taken in one read.  One array of words moves instead of
 * addresses and positions apart: on 64k addresses 1.5 times faster, and
 * several times faster than qsort().  A batch spanning 2^48 bytes or more
 * (not addresses of one file) is sorted with qsort().
 */
static int compare_pairs(const void *pa, const void *pb)
{
	const uint64_t *a = pa, *b = pb;

	if (a[0] != b[0])
		return (a[0] > b[0]) - (a[0] < b[0]);
	return (a[1] > b[1]) - (a[1] < b[1]);
}

static void sort_by_address(struct batch *b, struct sort_space *space)
{
	uint32_t(*counts)[RADIX_SIZE] = space->counts;
	uint64_t *from = space->words, *to = b->sorted, *swap, lo = UINT64_MAX, hi = 0;
	unsigned int pass, passes, digit_bits, span_bits;
	uint64_t digit_mask;
	size_t i, n = 0;

	for (i = 0; i < b->n; i++) {
		if (b->valid[i]) {
			uint64_t addr = b->addrs[i];

			b->pos[n++] = (uint32_t)i;
			lo = addr < lo ? addr : lo;
			hi = addr > hi ? addr : hi;
		}
	}
	b->nsorted = n;
	if (!n)
		return;
	span_bits = fs_bit_width(hi - lo);
	if (span_bits > 64 - POS_BITS) {
		/* (address, position) pairs, by address then position */
		uint64_t(*pairs)[2] = xreallocarray(NULL, n, sizeof(*pairs));

		for (i = 0; i < n; i++) {
			pairs[i][0] = b->addrs[b->pos[i]];
			pairs[i][1] = b->pos[i];
		}
		qsort(pairs, n, sizeof(*pairs), compare_pairs);
		for (i = 0; i < n; i++) {
			b->sorted[i] = pairs[i][0];
			b->pos[i] = (uint32_t)pairs[i][1];
		}
		free(pairs);
		return;
	}
	passes = (span_bits + RADIX_BITS - 1) / RADIX_BITS;
	digit_bits = passes ? (span_bits + passes - 1) / passes : 0;
	digit_mask = (UINT64_C(1) << digit_bits) - 1;
	for (i = 0; i < n; i++)
		from[i] = (b->addrs[b->pos[i]] - lo) << POS_BITS | b->pos[i];
	for (pass = 0; pass < passes; pass++)
		memset(counts[pass], 0, (digit_mask + 1) * sizeof(**counts));
	for (i = 0; i < n; i++)
		for (pass = 0; pass < passes; pass++)
			counts[pass][(from[i] >> (POS_BITS + pass * digit_bits)) & digit_mask]++;
	for (pass = 0; pass < passes; pass++) {
		uint32_t *c = counts[pass], sum = 0, k;
		unsigned int shift = POS_BITS + pass * digit_bits;
		size_t d;

		for (d = 0; d <= digit_mask; d++) {
			k = c[d];
			c[d] = sum;
			sum += k;
		}
		for (i = 0; i < n; i++)
			to[c[(from[i] >> shift) & digit_mask]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	/* unpacked, in place if the words ended in b->sorted: each read before its slot is written
	 */
	for (i = 0; i < n; i++) {
		uint64_t w = from[i];

		b->pos[i] = (uint32_t)(w & ((1u << POS_BITS) - 1));
		b->sorted[i] = lo + (w >> POS_BITS);
	}
}

/* Print the answers to lines [@from, @to) of @b, in input order. */
static void print_lines(const struct symbolize_args *a, const struct batch *b, size_t from,
			size_t to, struct output *o)
{
	size_t i;

	for (i = from; i < to; i++) {
		/*
		 * The pool is in address order and the names anywhere: in input
		 * order both are cache misses.  Each entry is fetched 32 lines
		 * ahead, its name 16 lines ahead (by then the entry is in cache).
		 */
		if (i + 32 < to)
			__builtin_prefetch(b->pool + b->first[i + 32]);
		if (i + 16 < to && b->count[i + 16])
			__builtin_prefetch(b->pool[b->first[i + 16]].name);
		print_frames(o, a, b->addrs[i], b->pool + b->first[i], b->count[i]);
	}
}

/* JITs that write jitdump files map them executable: the symbolizer reads them. */
static void add_jit_mappings(struct target *t)
{
	size_t i;

	for (i = 0; i < t->pm.n; i++)
		if (t->pm.maps[i].exec)
			symbolizer__add_jit_mapping(t->sym, t->pid, t->pm.maps[i].path,
						    t->pm.maps[i].ino);
}

/*
 * Look the batch, sorted by sort_by_address(), up in address order (it is
 * then printed in input order).  In address
 * order each compilation unit's index is walked once, from one end to the
 * other, instead of at random: on a large binary that is most of the
 * lookup time (cache and TLB misses), and a unit dropped by the memory
 * bound is never needed again in the batch.
 */
static void lookup_batch(struct target *t, struct batch *b)
{
	size_t i, n, used = 0;

	if (t->pid) {
		/* the process may have loaded libraries since: keep the last maps if it is gone */
		process_maps__read(&t->pm, t->pid);
		add_jit_mappings(t);
	} else
		symbolizer__prepare(t->sym, &t->file, b->sorted, b->nsorted);
	for (i = 0; i < b->n; i++) {
		if (!b->valid[i]) {
			b->first[i] = 0;
			b->count[i] = 0;
		}
	}
	for (i = 0; i < b->nsorted; i++) {
		uint64_t addr = b->sorted[i];
		size_t k = b->pos[i];

		if (t->pid)
			n = process_frames(t, addr, b->pool + used);
		else
			n = symbolizer__file_frames(t->sym, &t->file, addr, b->pool + used,
						    MAX_FRAMES);
		b->first[k] = (uint32_t)used;
		b->count[k] = (uint8_t)n;
		used += n;
	}
}

static struct batch *batch__new(void)
{
	/* not zeroed: most of it is written before it is read, and pages never used stay untouched
	 */
	struct batch *b = xmalloc(sizeof(*b));

	b->n = 0;
	/* room for every address's most frames: only the pages written are backed */
	b->pool = big_buffer__new(POOL_BYTES, false);
	if (!b->pool) {
		cli_error("cannot map %zu bytes: %s", POOL_BYTES, strerror(errno));
		exit(EXIT_FAILURE_RUNTIME);
	}
	return b;
}

static void batch__free(struct batch *b)
{
	if (b)
		big_buffer__free(b->pool, POOL_BYTES);
	free(b);
}

static void batch_add(struct batch *b, const char *s, const char *end)
{
	const char *stop;

	b->addrs[b->n] = 0;
	b->valid[b->n] = parse_address(s, end, &b->addrs[b->n], &stop);
	b->n++;
}

/*
 * Wait until @in can be read (or has ended): true, or false when its stop
 * descriptor became readable first (the output failed, and input that may
 * never come is not waited for).
 */
static bool input__wait(const struct input *in)
{
	struct pollfd p[2] = {{.fd = in->fd, .events = POLLIN},
			      {.fd = in->stop_fd, .events = POLLIN}};

	if (in->stop_fd < 0)
		return true;
	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return true; /* read() then blocks or fails as it would have */
	return !(p[1].revents & (POLLIN | POLLHUP)) || (p[0].revents & (POLLIN | POLLHUP));
}

/* Data can be read from @fd now (or its end: a closed pipe polls readable too). */
static bool readable_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/*
 * Fill @b with the addresses of the complete lines read so far, reading
 * more while the input has more to give at once, up to BATCH_MAX: a file or
 * a busy pipe makes full batches, a pipe fed line by line makes batches of
 * what has arrived.  0, or -errno on a read error.
 */
static int read_batch(struct input *in, struct batch *b)
{
	for (;;) {
		char *p = in->buf, *end = in->buf + in->len, *nl;
		ssize_t r;

		if (in->skip_line && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			p = nl + 1;
			in->skip_line = false;
		} else if (in->skip_line) {
			p = end;
		}
		while (b->n < BATCH_MAX && p < end) {
			const char *stop;
			bool valid = parse_address(p, end, &b->addrs[b->n], &stop);

			/* parsing stops at the newline of a line that is just an address */
			nl = stop < end && *stop == '\n' ? (char *)stop
							 : memchr(stop, '\n', (size_t)(end - stop));
			if (!nl)
				break; /* an incomplete line: wait for its end */
			if (valid || !blank_line(p, nl)) {
				if (!valid)
					b->addrs[b->n] = 0;
				b->valid[b->n++] = valid;
			}
			p = nl + 1;
		}
		in->len = (size_t)(end - p);
		memmove(in->buf, p, in->len);
		if (b->n == BATCH_MAX)
			return 0;
		if (in->eof) {
			/* the last line need not end in a newline */
			if (in->len && !blank_line(in->buf, in->buf + in->len))
				batch_add(b, in->buf, in->buf + in->len);
			in->len = 0;
			return 0;
		}
		if (b->n && !readable_now(in->fd))
			return 0;
		if (in->len == INPUT_SIZE) {
			/* a line longer than the buffer: its start is its address */
			batch_add(b, in->buf, in->buf + in->len);
			in->len = 0;
			in->skip_line = true;
			continue;
		}
		if (!input__wait(in))
			return -ECANCELED;
		r = read(in->fd, in->buf + in->len,
			 INPUT_SIZE - in->len < READ_SIZE ? INPUT_SIZE - in->len : READ_SIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			in->eof = true;
		in->len += (size_t)r;
	}
}

/*
 * Standard input goes through three threads, a batch at a time, each a
 * batch ahead of the next: one reads, parses and sorts, the main thread
 * looks up (loading the file first, while the first batches are read), one
 * prints.  On a large .dynsym, reading and sorting, loading the symbols,
 * looking up and printing each take a quarter of the time.  Batches go
 * round the stages in turn; each stage answers what it has before waiting
 * for more, so a pipe fed one line at a time still gets each answer at once.
 */
#define PIPELINE_BATCHES 3

enum batch_stage { STAGE_READ, STAGE_LOOKUP, STAGE_PRINT };

struct pipeline {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop_pipe[2]; /* written when the output fails: the reader stops waiting for input */
	struct batch *batches[PIPELINE_BATCHES];
	enum batch_stage stage[PIPELINE_BATCHES]; /* the stage each batch waits for */
	bool stop;				  /* output failed: every stage ends */
	int read_err;				  /* -errno; the batch it ends is the last */
	struct input in;
	const struct symbolize_args *args;
	struct output *out;
};

/* Wait for batch @k to reach @stage: true, or false when the pipeline stops. */
static bool pipeline__wait(struct pipeline *p, size_t k, enum batch_stage stage)
{
	bool go;

	pthread_mutex_lock(&p->lock);
	while (p->stage[k] != stage && !p->stop)
		pthread_cond_wait(&p->cond, &p->lock);
	go = !p->stop;
	pthread_mutex_unlock(&p->lock);
	return go;
}

static void pipeline__pass(struct pipeline *p, size_t k, enum batch_stage next)
{
	pthread_mutex_lock(&p->lock);
	p->stage[k] = next;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct sort_space *space = xmalloc(sizeof(*space));
	size_t k = 0;
	bool last;

	do {
		struct batch *b = p->batches[k];
		int err;

		if (!pipeline__wait(p, k, STAGE_READ))
			break;
		b->n = 0;
		err = read_batch(&p->in, b);
		sort_by_address(b, space);
		last = b->last = err || p->in.eof;
		if (err)
			p->read_err = err; /* read after the last batch is handed on */
		pipeline__pass(p, k, STAGE_LOOKUP);
		k = (k + 1) % PIPELINE_BATCHES;
	} while (!last);
	free(space);
	return NULL;
}

static void *printer_main(void *arg)
{
	struct pipeline *p = arg;
	size_t k = 0;
	bool last;

	do {
		struct batch *b = p->batches[k];

		if (!pipeline__wait(p, k, STAGE_PRINT))
			break;
		print_lines(p->args, b, 0, b->n, p->out);
		last = b->last;
		b->n = 0;
		if (output__flush(p->out)) {
			pthread_mutex_lock(&p->lock);
			p->stop = true;
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
			/* the reader may be waiting for input that never comes */
			while (write(p->stop_pipe[1], "", 1) < 0 && errno == EINTR)
				;
			break;
		}
		pipeline__pass(p, k, STAGE_READ);
		k = (k + 1) % PIPELINE_BATCHES;
	} while (!last);
	return NULL;
}

/* Answer standard input; 0 or an exit code after printing the problem. */
static int answer_stdin(const struct symbolize_args *a, struct target *t, struct batch **batches,
			struct output *o)
{
	struct pipeline p = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
		.in = {.fd = STDIN_FILENO, .stop_fd = -1, .buf = xmalloc(INPUT_SIZE)},
		.args = a,
		.out = o,
	};
	pthread_t reader, printer;
	int ret = 0, err;
	size_t k = 0;
	bool last;

	memcpy(p.batches, batches, sizeof(p.batches));
	if (pipe2(p.stop_pipe, O_CLOEXEC) < 0) {
		cli_error("cannot create a pipe: %s", strerror(errno));
		free(p.in.buf);
		return EXIT_FAILURE_RUNTIME;
	}
	p.in.stop_fd = p.stop_pipe[0];
	err = pthread_create(&reader, NULL, reader_main, &p);
	if (!err) {
		err = pthread_create(&printer, NULL, printer_main, &p);
		if (err) {
			pthread_mutex_lock(&p.lock);
			p.stop = true;
			pthread_cond_broadcast(&p.cond);
			pthread_mutex_unlock(&p.lock);
			while (write(p.stop_pipe[1], "", 1) < 0 && errno == EINTR)
				;
			pthread_join(reader, NULL);
		}
	}
	if (err) {
		cli_error("cannot start a thread: %s", strerror(err));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}
	/* the file's tables load while the first batches are read */
	if (!t->pid)
		symbolizer__prepare(t->sym, &t->file, NULL, 0);
	do {
		if (!pipeline__wait(&p, k, STAGE_LOOKUP))
			break;
		lookup_batch(t, p.batches[k]);
		last = p.batches[k]->last;
		pipeline__pass(&p, k, STAGE_PRINT);
		k = (k + 1) % PIPELINE_BATCHES;
	} while (!last);
	pthread_join(printer, NULL);
	pthread_join(reader, NULL);
	if (p.read_err && !p.stop) {
		cli_error("cannot read standard input: %s", strerror(-p.read_err));
		ret = EXIT_FAILURE_RUNTIME;
	}
out:
	close(p.stop_pipe[0]);
	close(p.stop_pipe[1]);
	free(p.in.buf);
	return ret;
}

/* --- targets --- */

/*
 * -e FILE must be an ELF executable or shared object: checked here, so that
 * the error names the problem (the symbolizer would only answer "??").
 */
static int open_file_target(struct target *t, const char *exe)
{
	unsigned char ehdr[EI_NIDENT + 2];
	unsigned int type;
	struct stat st;
	ssize_t r = -1;
	int fd;

	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("cannot open '%s': %s", exe, strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	else if (S_ISDIR(st.st_mode))
		errno = EISDIR;
	else
		r = pread(fd, ehdr, sizeof(ehdr), 0);
	close(fd);
	if (r < 0) {
		cli_error("cannot read '%s': %s", exe, strerror(errno));
		return EXIT_USAGE;
	}
	if (r != sizeof(ehdr) || memcmp(ehdr, ELFMAG, SELFMAG)) {
		cli_error("'%s' is not an ELF file", exe);
		return EXIT_USAGE;
	}
	/* e_type follows e_ident, in the file's byte order */
	type = ehdr[EI_DATA] == ELFDATA2MSB
		       ? (unsigned int)ehdr[EI_NIDENT] << 8 | ehdr[EI_NIDENT + 1]
		       : (unsigned int)ehdr[EI_NIDENT + 1] << 8 | ehdr[EI_NIDENT];
	/* a relocatable object has no addresses of its own: each section starts at 0 */
	if (type == ET_REL) {
		cli_error("'%s' is a relocatable object: give the executable or shared object "
			  "it is linked into",
			  exe);
		return EXIT_USAGE;
	}
	if (type != ET_EXEC && type != ET_DYN) {
		cli_error("'%s' is not an executable or shared object (ELF type %u)", exe, type);
		return EXIT_USAGE;
	}
	/*
	 * An absolute path: a separate debug file named by .gnu_debuglink is
	 * looked for next to the file (binutils resolves symlinks there too),
	 * and the symbolizer gives paths such as "[vdso]" a meaning of their own.
	 */
	t->file_path = realpath(exe, NULL);
	if (!t->file_path)
		t->file_path = xstrdup(exe);
	t->file = (struct sym_file_key){
		.path = t->file_path,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.size = (uint64_t)st.st_size,
		.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
	};
	return 0;
}

static int open_process_target(struct target *t, pid_t pid)
{
	int err;

	t->pid = pid;
	err = process_maps__read(&t->pm, pid);
	if (err == -ENOENT || err == -ESRCH) {
		cli_error("-p %d: no such process", (int)pid);
		return EXIT_FAILURE_RUNTIME;
	}
	if (err) {
		cli_error("-p %d: cannot read /proc/%d/maps: %s%s", (int)pid, (int)pid,
			  strerror(-err),
			  err == -EACCES ? " (another user's process: run as that user or root)"
					 : "");
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}

int cmd_symbolize(int argc, char **argv)
{
	struct symbolizer_options opts;
	struct symbolize_args a;
	struct target t = {0};
	struct output out = {0};
	struct batch *batches[PIPELINE_BATCHES] = {NULL}, *b;
	int ret, i;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = a.exe ? open_file_target(&t, a.exe) : open_process_target(&t, a.pid);
	if (ret)
		goto out;

	symbolizer_options__init(&opts);
	opts.demangle = a.demangle;
	opts.lines = true;
	/*
	 * Inline frames even without -i: addr2line then still names the
	 * innermost (inlined) function and the line of the address, and only
	 * the inline chain gives those; without it the symbolizer answers with
	 * the outermost function and the line of its call.
	 */
	opts.inline_frames = true;
	t.sym = symbolizer__new(&opts);

	/* one write per OUTPUT_SIZE, not per line; flushed after each batch */
	out.buf = xmalloc(OUTPUT_SIZE);
	batches[0] = batch__new();
	if (optind < argc) {
		struct sort_space *space = xmalloc(sizeof(*space));

		b = batches[0];
		for (i = optind; i < argc; i++) {
			batch_add(b, argv[i], argv[i] + strlen(argv[i]));
			if (b->n == BATCH_MAX || i + 1 == argc) {
				sort_by_address(b, space);
				lookup_batch(&t, b);
				print_lines(&a, b, 0, b->n, &out);
				b->n = 0;
			}
		}
		free(space);
	} else {
		for (i = 1; i < PIPELINE_BATCHES; i++)
			batches[i] = batch__new();
		ret = answer_stdin(&a, &t, batches, &out);
	}
	if (output__flush(&out)) {
		cli_error("cannot write standard output: %s", strerror(out.err));
		ret = EXIT_FAILURE_RUNTIME;
	}
	cli_report_symbolizer(t.sym);
out:
	free(out.buf);
	for (i = 0; i < PIPELINE_BATCHES; i++)
		batch__free(batches[i]);
	symbolizer__free(t.sym);
	process_maps__release(&t.pm);
	free(t.file_path);
	return ret;
}
