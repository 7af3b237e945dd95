// SPDX-License-Identifier: Apache-2.0
/*
 * DWARF unwinding speed (sampler/unwind_dwarf.c).  Samples are taken of this
 * process itself (tests/stack_capture.h) at the bottom of a recursion through
 * a shared object built without frame pointers, at several depths, then
 * unwound over and over:
 *
 *   - warm:       the process's Dwfl and CFI caches already built (the
 *                 steady state of a recording);
 *   - new Dwfl:   forget_process() before each sample (files stay open):
 *                 what a Dwfl per sample costs, perf's way, minus opening files;
 *   - cold:       a new unwinder for each sample, files opened again.
 *
 * Prints figures only.
 *
 *   bench_unwind LIBRARY.so      (built by bench/bench-unwind.sh)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sampler/process_table.h"
#include "sampler/unwind.h"
#include "tests/stack_capture.h"

#define STACK_COPY 65528
#define MAX_FRAMES 512

typedef uint64_t (*entry_fn)(struct capture *c, capture_fn fn, int depth);

static volatile uint64_t sink;

__attribute__((noinline)) static void take_sample(struct capture *c, entry_fn entry, int depth)
{
	int local = 0;

	c->want = STACK_COPY;
	c->top = stack_top(&local);
	sink += entry(c, capture_stack, depth);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_depth(struct process_table *pt, entry_fn entry, int depth)
{
	static struct sampler_frame frames[MAX_FRAMES];
	struct capture c = {.stack = malloc(STACK_COPY)};
	struct unwind_input in;
	struct unwinder u;
	double t, first, warm, fresh, cold;
	size_t n = 0;
	int i, iters;

	take_sample(&c, entry, depth);
	in = capture_input(&c);

	if (unwinder_init_dwarf(&u, false)) {
		fprintf(stderr, "bench_unwind: libdw unusable\n");
		exit(1);
	}
	t = now();
	n = u.unwind(&u, &in, pt, frames, MAX_FRAMES);
	first = now() - t;

	iters = 200000 / (int)n;
	t = now();
	for (i = 0; i < iters; i++)
		sink += u.unwind(&u, &in, pt, frames, MAX_FRAMES);
	warm = (now() - t) / iters;

	t = now();
	for (i = 0; i < iters / 10 + 1; i++) {
		u.forget_process(&u, in.pid);
		sink += u.unwind(&u, &in, pt, frames, MAX_FRAMES);
	}
	fresh = (now() - t) / (iters / 10 + 1);
	u.destroy(&u);

	t = now();
	for (i = 0; i < iters / 20 + 1; i++) {
		unwinder_init_dwarf(&u, false);
		sink += u.unwind(&u, &in, pt, frames, MAX_FRAMES);
		u.destroy(&u);
	}
	cold = (now() - t) / (iters / 20 + 1);

	printf("unwind: %3zu frames (%5llu stack bytes)  first %7.1f us  warm %6.2f us/sample "
	       "%5.3f us/frame  new Dwfl %7.1f us/sample  cold %7.1f us/sample\n",
	       n, (unsigned long long)c.size, first * 1e6, warm * 1e6, warm * 1e6 / (double)n,
	       fresh * 1e6, cold * 1e6);
	free(c.stack);
}

int main(int argc, char **argv)
{
	static const int depths[] = {4, 24, 60, 200};
	struct process_table *pt;
	entry_fn entry;
	void *h;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_unwind LIBRARY.so\n");
		return 2;
	}
	unsetenv("DEBUGINFOD_URLS");
	h = dlopen(argv[1], RTLD_NOW);
	entry = h ? (entry_fn)dlsym(h, "so_entry") : NULL;
	if (!entry) {
		fprintf(stderr, "bench_unwind: %s\n", dlerror());
		return 1;
	}
	pt = process_table__new();
	if (process_table__load(pt, getpid())) {
		fprintf(stderr, "bench_unwind: cannot read /proc/self/maps\n");
		return 1;
	}
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++)
		bench_depth(pt, entry, depths[i]);
	process_table__free(pt);
	dlclose(h);
	return 0;
}
