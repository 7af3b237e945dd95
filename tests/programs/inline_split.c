// SPDX-License-Identifier: Apache-2.0
/*
 * CPU-bound target whose hot code is all inlined: main calls work_a and
 * work_b (real functions), and each spins in mix(), inlined into
 * outer_a() / outer_b(), themselves inlined into the work functions.  CPU
 * time splits 3:1 between work_a and work_b.  Built -O2 -g: a symbol table
 * alone names only work_a and work_b; DWARF names the inlined chain
 * main;work_a;outer_a;mix.
 *
 *   inline_split [MS]     spin until it has used MS milliseconds of CPU time
 *                         (0 or none: until killed)
 *
 * The source lines tagged LINE_* are what the tests expect --lines to show.
 */
#include <stdlib.h>
#include <time.h>

#define CHUNK_ITERATIONS 20000UL

static volatile unsigned long sink_a, sink_b;
/* read at run time, so the loops cannot be folded to a constant */
static volatile unsigned long chunk = CHUNK_ITERATIONS;

static inline __attribute__((always_inline)) unsigned long mix(unsigned long n, unsigned long k)
{
	unsigned long acc = k;

	for (unsigned long i = 0; i < n; i++)
		acc += (i ^ (acc >> 3)) * k; /* LINE_MIX */
	return acc;
}

static inline __attribute__((always_inline)) unsigned long outer_a(unsigned long n)
{
	return mix(n, 3) + 1; /* LINE_OUTER_A */
}

static inline __attribute__((always_inline)) unsigned long outer_b(unsigned long n)
{
	return mix(n, 5) + 2; /* LINE_OUTER_B */
}

__attribute__((noinline)) void work_a(unsigned long n)
{
	sink_a += outer_a(n); /* LINE_WORK_A */
}

__attribute__((noinline)) void work_b(unsigned long n)
{
	sink_b += outer_b(n); /* LINE_WORK_B */
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double limit_ms = argc > 1 ? strtod(argv[1], NULL) : 0, start = cpu_ms();

	/* chunks of a few tens of microseconds: any stretch of time holds the 3:1 split */
	while (!limit_ms || cpu_ms() - start < limit_ms) {
		work_a(chunk);
		work_a(chunk);
		work_a(chunk);
		work_b(chunk);
	}
	return 0;
}
