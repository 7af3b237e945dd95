// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for sampler/unwind_dwarf.c.  No perf needed: the test captures
 * its own registers and a copy of its own stack at the bottom of a chain of
 * functions (tests/stack_capture.h), as PERF_SAMPLE_REGS_USER and
 * PERF_SAMPLE_STACK_USER would give them, and checks the chain the unwinder
 * finds, symbolized.  Chains run through this binary, through shared objects
 * compiled at test time without frame pointers (GNU ld, a non-zero text
 * segment address, lld), and through the vDSO; damaged inputs (a short copy,
 * random bytes, a stack pointer off the copy) must end early, never crash or
 * loop.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/map_files.h"
#include "tests/test_shell.h"

#include <linux/perf_event.h>

#include "sampler/process_table.h"
#include "sampler/unwind.h"
#include "symbolize/symbolizer.h"
#include "tests/stack_capture.h"

#define STACK_COPY 65536
#define MAX_FRAMES 127
#define DEPTH	   6

static volatile uint64_t sink;

/* ---- fixtures in this binary (built with the test's flags) ---- */

FIXTURE static uint64_t fixture_leaf(struct capture *c)
{
	uint64_t r = capture_stack(c->regs, c->stack, c->want, c->top);

	c->size = r;
	sink += r; /* work after each call: no tail calls */
	return r + 1;
}

FIXTURE static uint64_t fixture_recurse(struct capture *c, int depth)
{
	uint64_t r = depth ? fixture_recurse(c, depth - 1) : fixture_leaf(c);

	sink += r;
	return r + 2;
}

FIXTURE static uint64_t fixture_entry(struct capture *c, int depth)
{
	uint64_t r = fixture_recurse(c, depth);

	sink += r;
	return r + 3;
}

static void capture_init(struct capture *c)
{
	int local = 0;

	memset(c, 0, sizeof(*c));
	c->stack = malloc(STACK_COPY);
	assert_non_null(c->stack);
	c->want = STACK_COPY;
	c->top = stack_top(&local);
	assert_true(c->top != 0);
}

/* A sample at the bottom of capture_here;fixture_entry;fixture_recurse x DEPTH+1;fixture_leaf */
FIXTURE static void capture_here(struct capture *c)
{
	capture_init(c);
	sink += fixture_entry(c, DEPTH);
	assert_true(c->size > 0);
}

/* ---- the fixture of every test: this process in a table, a symbolizer, an unwinder ---- */

struct fixture {
	struct process_table *pt;
	struct symbolizer *sym;
	struct unwinder u;
	struct capture c;
	struct sampler_frame frames[MAX_FRAMES + 8];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->pt = process_table__new();
	f->sym = symbolizer__new(NULL);
	if (process_table__load(f->pt, getpid()) || unwinder_init_dwarf(&f->u, true))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->u.destroy(&f->u);
	symbolizer__free(f->sym);
	process_table__free(f->pt);
	free(f->c.stack);
	free(f);
	return 0;
}

static size_t unwind(struct fixture *f, const struct unwind_input *in, size_t max)
{
	return f->u.unwind(&f->u, in, f->pt, f->frames, max);
}

static const char *frame_name(struct fixture *f, const struct sampler_frame *fr)
{
	const struct dso *d;
	struct sym_file_key key;

	if (fr->dso < DSO_FIRST_FILE)
		return NULL;
	d = process_table__dso(f->pt, fr->dso);
	key = (struct sym_file_key){.path = d->path, .dev = d->dev, .ino = d->ino, .pid = d->pid};
	return symbolizer__user(f->sym, &key, fr->addr);
}

static void print_chain(struct fixture *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = frame_name(f, &f->frames[i]);
		const struct dso *d = process_table__dso(f->pt, f->frames[i].dso);

		print_message("  #%zu %s [%s+%#llx]\n", i, name ? name : "?", d ? d->name : "?",
			      (unsigned long long)f->frames[i].addr);
	}
}

/* The first frames of the chain are named @want[0..nr); prints the chain when not. */
static void assert_chain(struct fixture *f, size_t n, const char *const *want, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		const char *name = i < n ? frame_name(f, &f->frames[i]) : NULL;

		if (!name || strcmp(name, want[i])) {
			print_message("frame %zu: want %s, chain:\n", i, want[i]);
			print_chain(f, n);
			fail();
		}
	}
}

/* Whether a frame of the chain is named @name. */
static bool chain_has(struct fixture *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = frame_name(f, &f->frames[i]);

		if (s && !strcmp(s, name))
			return true;
	}
	return false;
}

/* "fixture_leaf", "fixture_recurse" x DEPTH+1, "fixture_entry", "capture_here" */
static size_t fixture_chain(const char **want)
{
	size_t n = 0;
	int i;

	want[n++] = "fixture_leaf";
	for (i = 0; i <= DEPTH; i++)
		want[n++] = "fixture_recurse";
	want[n++] = "fixture_entry";
	want[n++] = "capture_here";
	return n;
}

/* ---- tests ---- */

static void test_in_process_chain(void **state)
{
	struct fixture *f = *state;
	const char *want[DEPTH + 8];
	size_t nr = fixture_chain(want), n, i;
	struct unwind_input in;
	uint64_t off;

	capture_here(&f->c);
	in = capture_input(&f->c);
	n = unwind(f, &in, MAX_FRAMES);
	assert_chain(f, n, want, nr);
	/* with 64 KiB of stack, the walk goes through cmocka and libc up to main */
	assert_true(n > nr + 1);
	if (!chain_has(f, n, "main")) {
		print_chain(f, n);
		fail_msg("main is not in the chain");
	}
	/* the first frame is the pc itself, the others are moved back into their call */
	assert_int_equal(
		f->frames[0].dso,
		process_table__resolve(f->pt, in.pid, in.user_regs[PERF_REG_X86_IP], &off));
	assert_int_equal(f->frames[0].addr, off);
	for (i = 0; i < n; i++)
		assert_true(f->frames[i].dso != DSO_KERNEL);

	/* the same sample again, from the cached state: the same frames */
	{
		struct sampler_frame first[MAX_FRAMES];
		size_t n2;

		memcpy(first, f->frames, n * sizeof(*first));
		n2 = unwind(f, &in, MAX_FRAMES);
		assert_int_equal(n2, n);
		assert_memory_equal(first, f->frames, n * sizeof(*first));
	}
}

static void test_max_frames(void **state)
{
	struct fixture *f = *state;
	struct sampler_frame full[MAX_FRAMES];
	struct unwind_input in;
	size_t n, max;

	capture_here(&f->c);
	in = capture_input(&f->c);
	n = unwind(f, &in, MAX_FRAMES);
	memcpy(full, f->frames, n * sizeof(*full));
	for (max = 1; max < 6; max++) {
		assert_int_equal(unwind(f, &in, max), max);
		assert_memory_equal(full, f->frames, max * sizeof(*full));
	}
	assert_int_equal(unwind(f, &in, 0), 0);
}

static void test_kernel_frames(void **state)
{
	struct fixture *f = *state;
	const uint64_t chain[] = {
		(uint64_t)PERF_CONTEXT_KERNEL,
		0xffffffff81000100,
		0xffffffff81000200,
		0xffffffff81000300,
		(uint64_t)PERF_CONTEXT_USER,
		0x1234,
		0x5678,
	};
	const char *want[DEPTH + 8];
	size_t nr = fixture_chain(want), n;
	struct unwind_input in;

	capture_here(&f->c);
	in = capture_input(&f->c);
	in.callchain = chain;
	in.nr_callchain = sizeof(chain) / sizeof(chain[0]);
	in.ip = chain[1];
	n = unwind(f, &in, MAX_FRAMES);
	assert_true(n > nr + 3);
	/* kernel frames first: the sampled ip, then return addresses moved back by one */
	assert_int_equal(f->frames[0].dso, DSO_KERNEL);
	assert_int_equal(f->frames[0].addr, 0xffffffff81000100);
	assert_int_equal(f->frames[1].addr, 0xffffffff810001ff);
	assert_int_equal(f->frames[2].addr, 0xffffffff810002ff);
	/* then the user stack from DWARF, not the call chain's user part */
	assert_true(f->frames[3].dso >= DSO_FIRST_FILE);
	assert_string_equal(frame_name(f, &f->frames[3]), "fixture_leaf");

	/* a limit inside the kernel part */
	assert_int_equal(unwind(f, &in, 2), 2);
	assert_int_equal(f->frames[1].dso, DSO_KERNEL);

	/* no kernel frames wanted: the user stack alone */
	f->u.include_kernel = false;
	n = unwind(f, &in, MAX_FRAMES);
	assert_chain(f, n, want, nr);
	f->u.include_kernel = true;

	/* a kernel thread: no user registers, the kernel frames alone */
	in.has_user_regs = false;
	assert_int_equal(unwind(f, &in, MAX_FRAMES), 3);
}

static void test_truncated_stack(void **state)
{
	struct fixture *f = *state;
	static const uint64_t sizes[] = {0, 7, 8, 64, 200, 512, 1024, 4096};
	struct sampler_frame full[MAX_FRAMES];
	struct unwind_input in;
	size_t n_full, n, i;

	capture_here(&f->c);
	in = capture_input(&f->c);
	n_full = unwind(f, &in, MAX_FRAMES);
	memcpy(full, f->frames, n_full * sizeof(*full));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		in.stack_size = sizes[i];
		n = unwind(f, &in, MAX_FRAMES);
		/* whatever the copy holds is unwound; where it ends, the chain ends */
		assert_true(n >= 1);
		assert_true(n <= n_full);
		assert_memory_equal(full, f->frames, n * sizeof(*full));
		if (sizes[i] >= 1024)
			assert_true(n > 3);
	}
	/* no copy at all: the pc alone */
	in.stack = NULL;
	in.stack_size = 0;
	assert_int_equal(unwind(f, &in, MAX_FRAMES), 1);
	assert_memory_equal(full, f->frames, sizeof(*full));
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Random stacks: plain random bytes, and words that look like what a stack
 * holds (return addresses into this binary's functions, pointers into the
 * copy, small numbers), with the real registers or random ones.  The unwinder
 * must end every walk within the limit.
 */
static void test_garbage_stack(void **state)
{
	struct fixture *f = *state;
	const uint64_t code[] = {
		(uintptr_t)fixture_leaf,       (uintptr_t)fixture_recurse, (uintptr_t)fixture_entry,
		(uintptr_t)capture_here,       (uintptr_t)setup,	   (uintptr_t)unwind,
		(uintptr_t)test_garbage_stack,
	};
	unsigned char *junk = malloc(16384);
	struct unwind_input in;
	uint64_t seed = 42, sp;
	int round;

	assert_non_null(junk);
	capture_here(&f->c);
	sp = f->c.regs[PERF_REG_X86_SP];
	for (round = 0; round < 600; round++) {
		size_t i, n, words = 16384 / 8;
		uint64_t w;

		for (i = 0; i < words; i++) {
			switch (round < 200 ? 0 : splitmix(&seed) % 4) {
			case 0:
				w = splitmix(&seed);
				break;
			case 1:
				w = code[splitmix(&seed) % (sizeof(code) / sizeof(code[0]))] +
				    splitmix(&seed) % 96;
				break;
			case 2:
				w = sp + (splitmix(&seed) % 16384 & ~7ULL);
				break;
			default:
				w = splitmix(&seed) % 64;
				break;
			}
			memcpy(junk + i * 8, &w, 8);
		}
		in = capture_input(&f->c);
		in.stack = junk;
		in.stack_size = 16384;
		if (round % 3 == 1)
			in.user_regs[PERF_REG_X86_BP] = sp + (splitmix(&seed) % 16384);
		if (round % 3 == 2) {
			for (i = 0; i < PERF_REG_X86_64_MAX; i++)
				if (i != PERF_REG_X86_IP && i != PERF_REG_X86_SP)
					in.user_regs[i] = splitmix(&seed);
		}
		if (round % 5 == 4)
			in.user_regs[PERF_REG_X86_IP] = code[round % 7] + splitmix(&seed) % 64;
		n = unwind(f, &in, MAX_FRAMES);
		assert_true(n >= 1 && n <= MAX_FRAMES);
	}
	free(junk);
}

/* Stack pointers the copy does not match: nothing is read outside the copy. */
static void test_sp_outside_copy(void **state)
{
	struct fixture *f = *state;
	static const uint64_t sps[] = {
		0, 8, 0x1000, 0x7ffffffff000, 0xfffffffffffffff8, 0xffffffffffffff00};
	struct unwind_input in;
	size_t i, n;

	capture_here(&f->c);
	for (i = 0; i < sizeof(sps) / sizeof(sps[0]); i++) {
		in = capture_input(&f->c);
		in.user_regs[PERF_REG_X86_SP] = sps[i];
		in.stack_size = 256;
		n = unwind(f, &in, MAX_FRAMES);
		assert_true(n >= 1 && n <= MAX_FRAMES);
		assert_string_equal(frame_name(f, &f->frames[0]), "fixture_leaf");
	}
	/* a pc in no mapping: one unknown frame */
	in = capture_input(&f->c);
	in.user_regs[PERF_REG_X86_IP] = 0x10;
	n = unwind(f, &in, MAX_FRAMES);
	assert_true(n >= 1);
	assert_int_equal(f->frames[0].dso, DSO_UNKNOWN);
	assert_int_equal(f->frames[0].addr, 0);
}

/*
 * Mappings change: an unrelated new mapping keeps the process's state, one
 * over a reported module rebuilds it, forget_process drops it.  The chain is
 * the same each time it can be.
 */
static void test_mappings_change(void **state)
{
	struct fixture *f = *state;
	const char *want[DEPTH + 8];
	size_t nr = fixture_chain(want), n;
	struct unwind_input in;
	struct mapping_info m;
	pid_t pid = getpid();

	capture_here(&f->c);
	in = capture_input(&f->c);
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);

	process_table__mmap(f->pt, pid, 0x10000, 0x1000, 0, 0, 0, "/nonexistent/jit.so");
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);

	f->u.forget_process(&f->u, pid);
	f->u.forget_process(&f->u, pid + 100000); /* never seen */
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);

	/* replace the mapping of this binary's code by another file */
	assert_int_equal(process_table__mapping(f->pt, pid, (uintptr_t)fixture_leaf, &m), 0);
	process_table__mmap(f->pt, pid, m.start, m.end - m.start, 0, 0, 0, "/nonexistent/other");
	n = unwind(f, &in, MAX_FRAMES);
	assert_true(n >= 1);
	assert_null(frame_name(f, &f->frames[0]));

	/* and back from /proc */
	assert_int_equal(process_table__load(f->pt, pid), 0);
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);
}

/*
 * Two files over one range: the table still holds a mapping the process has
 * replaced.  The unwinder starts afresh once, then lives with it; the chain
 * is right again once the table is.
 */
static void test_overlapping_files(void **state)
{
	extern const char __executable_start[];
	struct fixture *f = *state;
	const char *want[DEPTH + 8];
	size_t nr = fixture_chain(want), n;
	struct unwind_input in, odd;
	struct mapping_info m;
	const struct dso *d;
	pid_t pid = getpid();
	int round;

	capture_here(&f->c);
	in = capture_input(&f->c);
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);
	/* libcmocka's text, as if mapped over the first page of this binary */
	assert_int_equal(process_table__mapping(f->pt, pid, (uintptr_t)_cmocka_run_group_tests, &m),
			 0);
	d = process_table__dso(f->pt, m.dso);
	process_table__mmap(f->pt, pid, (uintptr_t)__executable_start, 4096, m.pgoff, d->dev,
			    d->ino, d->path);
	odd = in;
	odd.user_regs[PERF_REG_X86_IP] = (uintptr_t)__executable_start + 16;
	for (round = 0; round < 4; round++) {
		n = unwind(f, &odd, MAX_FRAMES);
		assert_true(n >= 1 && n <= MAX_FRAMES);
		assert_int_equal(f->frames[0].dso, m.dso);
		n = unwind(f, &in, MAX_FRAMES);
		assert_true(n >= 1 && n <= MAX_FRAMES);
	}
	assert_int_equal(process_table__load(f->pt, pid), 0);
	assert_chain(f, unwind(f, &in, MAX_FRAMES), want, nr);
}

/* ---- a sample in a signal handler: through the kernel's signal frame ---- */

static struct capture *signal_capture;

FIXTURE static void on_signal(int sig)
{
	sink += fixture_entry(signal_capture, 1);
}

FIXTURE static void signal_sender(void)
{
	raise(SIGUSR1);
	sink++;
}

/*
 * handler;__restore_rt (libc's sigreturn trampoline, whose CFI reads the
 * interrupted registers from the signal frame);pthread_kill's internals
 * (an interrupted pc: not moved back);raise;signal_sender.
 */
static void test_signal_frame(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {"fixture_leaf", "fixture_recurse", "fixture_recurse",
					   "fixture_entry", "on_signal"};
	struct sigaction sa = {.sa_handler = on_signal}, old;
	struct unwind_input in;
	size_t n;

	capture_init(&f->c);
	signal_capture = &f->c;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	signal_sender();
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_true(f->c.size > 0);
	in = capture_input(&f->c);
	n = unwind(f, &in, MAX_FRAMES);
	assert_chain(f, n, want, sizeof(want) / sizeof(want[0]));
	if (!chain_has(f, n, "signal_sender") || !chain_has(f, n, "test_signal_frame") ||
	    !chain_has(f, n, "main")) {
		print_chain(f, n);
		fail_msg("the chain does not go through the signal frame");
	}
}

/*
 * A sample at the first instruction of a vDSO function: the return address
 * is at [sp] and only the vDSO's CFI says so (rbp still holds the caller's
 * caller's frame).
 */
static void test_vdso_entry(void **state)
{
	struct fixture *f = *state;
	const char *want[DEPTH + 8];
	size_t nr = fixture_chain(want), n;
	struct unwind_input in;
	unsigned char *stack;
	void *vdso, *fn;
	const struct dso *d;

	vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	fn = vdso ? dlvsym(vdso, "__vdso_clock_gettime", "LINUX_2.6") : NULL;
	if (!fn) {
		print_message("skipped: no vDSO clock_gettime in this process\n");
		skip();
	}
	capture_here(&f->c);
	/* as if fixture_leaf had called fn from where capture_stack returns */
	stack = malloc(f->c.size + 8);
	assert_non_null(stack);
	memcpy(stack, &f->c.regs[PERF_REG_X86_IP], 8);
	memcpy(stack + 8, f->c.stack, f->c.size);
	in = capture_input(&f->c);
	in.stack = stack;
	in.stack_size = f->c.size + 8;
	in.user_regs[PERF_REG_X86_SP] -= 8;
	in.user_regs[PERF_REG_X86_IP] = (uintptr_t)fn;
	n = unwind(f, &in, MAX_FRAMES);
	assert_true(n > nr);
	d = process_table__dso(f->pt, f->frames[0].dso);
	assert_non_null(d);
	assert_string_equal(d->path, "[vdso]");
	{
		/* the rest is the fixture chain, one frame down */
		struct sampler_frame *rest = f->frames + 1;
		size_t i;

		for (i = 0; i < nr; i++) {
			const char *name = frame_name(f, &rest[i]);

			if (!name || strcmp(name, want[i])) {
				print_chain(f, n);
				fail_msg("frame %zu: want %s", i + 1, want[i]);
			}
		}
	}
	free(stack);
	dlclose(vdso);
}

/* ---- shared objects without frame pointers, compiled here ---- */

static char tmpdir[] = "/tmp/fs-unwind-XXXXXX";

static int make_tmpdir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	return remove_tree(tmpdir);
}

static const char so_source[] =
	"#include <stdint.h>\n"
	"#ifdef __clang__\n"
	"#define FIXTURE __attribute__((noinline))\n"
	"#else\n"
	"#define FIXTURE __attribute__((noipa))\n"
	"#endif\n"
	"typedef uint64_t (*capture_fn)(uint64_t *, void *, uint64_t, uint64_t);\n"
	"struct capture { uint64_t regs[24]; unsigned char *stack; uint64_t size, want, top; };\n"
	"static volatile uint64_t sink;\n"
	"FIXTURE uint64_t so_leaf(struct capture *c, capture_fn fn)\n"
	"{\n"
	"	uint64_t r = fn(c->regs, c->stack, c->want, c->top);\n"
	"	c->size = r;\n"
	"	sink += r;\n"
	"	return r + 1;\n"
	"}\n"
	"FIXTURE uint64_t so_recurse(struct capture *c, capture_fn fn, int depth)\n"
	"{\n"
	"	uint64_t r = depth ? so_recurse(c, fn, depth - 1) : so_leaf(c, fn);\n"
	"	sink += r;\n"
	"	return r + 2;\n"
	"}\n"
	"FIXTURE uint64_t so_entry(struct capture *c, capture_fn fn, int depth)\n"
	"{\n"
	"	uint64_t r = so_recurse(c, fn, depth);\n"
	"	sink += r;\n"
	"	return r + 3;\n"
	"}\n";

_Static_assert(PERF_REG_X86_64_MAX == 24, "struct capture in so_source");

typedef uint64_t (*so_entry_fn)(struct capture *c, capture_fn fn, int depth);

FIXTURE static void capture_in_so(struct capture *c, so_entry_fn entry)
{
	capture_init(c);
	sink += entry(c, capture_stack, DEPTH);
	assert_true(c->size > 0);
}

/* Build @so from so_source with @flags, load it, and check the chain through it. */
static void check_library(struct fixture *f, const char *so, const char *flags)
{
	const char *want[DEPTH + 8];
	size_t nr = 0, n;
	struct unwind_input in;
	so_entry_fn entry;
	void *h;
	int i;

	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen %s: %s", so, dlerror());
	entry = (so_entry_fn)dlsym(h, "so_entry");
	assert_non_null(entry);
	/* the table learns of the new library as from an MMAP2 record */
	assert_int_equal(process_table__load(f->pt, getpid()), 0);

	free(f->c.stack);
	capture_in_so(&f->c, entry);
	want[nr++] = "so_leaf";
	for (i = 0; i <= DEPTH; i++)
		want[nr++] = "so_recurse";
	want[nr++] = "so_entry";
	want[nr++] = "capture_in_so";
	in = capture_input(&f->c);
	n = unwind(f, &in, MAX_FRAMES);
	if (n < nr)
		print_message("%s (%s):\n", so, flags);
	assert_chain(f, n, want, nr);
	assert_true(chain_has(f, n, "main"));
	dlclose(h);
}

/* Write so_source to TMPDIR/fixture.c, its path in @src. */
static void write_so_source(char *src, size_t size)
{
	FILE *out;

	snprintf(src, size, "%s/fixture.c", tmpdir);
	out = fopen(src, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(so_source, 1, strlen(so_source), out), strlen(so_source));
	assert_int_equal(fclose(out), 0);
}

static void test_library_without_frame_pointers(void **state)
{
	static const struct {
		const char *name, *flags;
		bool optional;
	} builds[] = {
		{"libplain.so", "", false},
		/* every segment's address 2 MiB above its file offset */
		{"libtext.so", "-Wl,-Ttext-segment=0x200000", false},
		/* lld: text at file offset + 0x1000 */
		{"liblld.so", "-fuse-ld=lld", true},
	};
	struct fixture *f = *state;
	char src[PATH_MAX], so[PATH_MAX];
	size_t i;

	write_so_source(src, sizeof(src));
	for (i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		snprintf(so, sizeof(so), "%s/%s", tmpdir, builds[i].name);
		if (!run("cc -shared -fPIC -O2 -fomit-frame-pointer %s -o '%s' '%s' 2>/dev/null",
			 builds[i].flags, so, src)) {
			if (builds[i].optional) {
				print_message("note: cannot link with %s, not tested\n",
					      builds[i].flags);
				continue;
			}
			print_message("skipped: cannot build a shared object with 'cc %s' "
				      "(needs a C compiler and GNU ld)\n",
				      builds[i].flags);
			skip();
		}
		check_library(f, so, builds[i].flags);
	}
}

/*
 * A library without frame pointers deleted, or replaced by another build, since
 * it was loaded (an upgrade under a running process): only CFI walks it, and
 * only /proc/PID/map_files still leads to the file that has it.  The frames
 * are checked by file (the symbolizer is not what is tested), then by name
 * from the caller on.
 */
static void test_deleted_library(void **state)
{
	static const struct {
		const char *name, *then;
	} cases[] = {
		{"libdeleted.so", "rm -f '%s'"},
		/* renamed over it, as a package manager installs: another inode, other code */
		{"libreplaced.so",
		 "cc -shared -fPIC -O0 -o '%1$s.new' '%2$s' && mv -f '%1$s.new' '%1$s'"},
	};
	struct fixture *f = *state;
	const char *reason = map_files_unavailable();
	char src[PATH_MAX], so[PATH_MAX];
	struct unwind_input in;
	so_entry_fn entry;
	const struct dso *d;
	size_t i, n, k;
	void *h;

	if (reason) {
		print_message("skipped: %s\n", reason);
		skip();
	}
	write_so_source(src, sizeof(src));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(so, sizeof(so), "%s/%s", tmpdir, cases[i].name);
		if (!run("cc -shared -fPIC -O2 -fomit-frame-pointer -o '%s' '%s'", so, src)) {
			print_message("skipped: cannot build a shared object with cc\n");
			skip();
		}
		h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			fail_msg("dlopen %s: %s", so, dlerror());
		entry = (so_entry_fn)dlsym(h, "so_entry");
		assert_non_null(entry);
		assert_true(run(cases[i].then, so, src));
		/* the table learns of the library only now, named "... (deleted)" */
		assert_int_equal(process_table__load(f->pt, getpid()), 0);

		free(f->c.stack);
		capture_in_so(&f->c, entry);
		in = capture_input(&f->c);
		n = unwind(f, &in, MAX_FRAMES);
		/* so_leaf, so_recurse x DEPTH + 1, so_entry in the library, then capture_in_so */
		for (k = 0; k < DEPTH + 3; k++) {
			d = k < n ? process_table__dso(f->pt, f->frames[k].dso) : NULL;
			if (!d || strncmp(d->path, so, strlen(so))) {
				print_chain(f, n);
				fail_msg("%s: frame %zu is not in the library", cases[i].name, k);
			}
		}
		assert_string_equal(d->path + strlen(so), " (deleted)");
		if (k >= n || !frame_name(f, &f->frames[k]) ||
		    strcmp(frame_name(f, &f->frames[k]), "capture_in_so")) {
			print_chain(f, n);
			fail_msg("%s: frame %zu: want capture_in_so", cases[i].name, k);
		}
		assert_true(chain_has(f, n, "main"));
		dlclose(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_process_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sp_outside_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mappings_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdso_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_library_without_frame_pointers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_library, setup, teardown),
	};

	/* libdw must not look for debug files on the network */
	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
