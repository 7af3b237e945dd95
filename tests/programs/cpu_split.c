// SPDX-License-Identifier: Apache-2.0
/*
 * CPU-bound target with a known profile: main calls work_a, work_b and work_c, which call
 * leaf_a, leaf_b and leaf_c, and the CPU time of the leaves splits 6:3:1.
 *
 *   cpu_split [MS]          spin until it has used MS milliseconds of CPU time (0 or none: until
 *                           killed)
 *   cpu_split -n ROUNDS     do a fixed amount of work (ROUNDS rounds), however long it takes
 *
 * CPU time rather than wall-clock time, so that a recording of the whole run holds as many
 * samples on a busy machine as on an idle one, and so the same statistical precision.
 *
 * One round is ten chunks of the same loop, six in leaf_a, three in leaf_b and one in leaf_c, so
 * that any stretch of a few milliseconds already holds the 6:3:1 split: a short recording, or
 * one that starts at an arbitrary moment, sees the same proportions as a long one.  A chunk is a
 * few tens of microseconds, well below the sampling periods in use.  The chunks of a round run
 * in an order shuffled anew for each round (from a fixed seed: every run does the same work), so
 * that, whatever the ratio of the sampling period to the length of a round, a sample is as likely
 * to land in any of the ten chunks; with a fixed order, a period close to a multiple of the
 * round would keep hitting the same chunk.
 *
 * Built by the integration tests with -O1 -g -fno-omit-frame-pointer.  The leaves keep their
 * accumulator on the stack: GCC sets up no frame pointer in a function without a stack frame,
 * even with -fno-omit-frame-pointer, and a frame-pointer unwinder would then skip the caller
 * (work_a) of a sample taken in the leaf.  The leaves differ (each stores to its own counter)
 * so that no identical-code folding merges them, and the work_ functions do something after
 * the call so that it is not turned into a tail call, which would drop their frame too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_ITERATIONS 20000UL

static volatile unsigned long sink_a, sink_b, sink_c;
static volatile unsigned long calls_a, calls_b, calls_c;
/* Read at run time so that the compiler cannot specialise the leaves for a constant. */
static volatile unsigned long chunk = CHUNK_ITERATIONS;

/*
 * -DFRAMELESS_LEAVES keeps the accumulator in a register: the leaves then have
 * no stack frame and no frame pointer whatever the flags, as most leaves of
 * optimised code, and a frame-pointer unwinder loses their callers.
 */
#ifdef FRAMELESS_LEAVES
#define LEAF_ACC unsigned long
#else
#define LEAF_ACC volatile unsigned long
#endif

__attribute__((noinline)) void leaf_a(unsigned long n)
{
	LEAF_ACC acc = 0;

	for (unsigned long i = 0; i < n; i++)
		acc += i ^ (acc >> 3);
	sink_a = acc;
}

__attribute__((noinline)) void leaf_b(unsigned long n)
{
	LEAF_ACC acc = 0;

	for (unsigned long i = 0; i < n; i++)
		acc += i ^ (acc >> 3);
	sink_b = acc;
}

__attribute__((noinline)) void leaf_c(unsigned long n)
{
	LEAF_ACC acc = 0;

	for (unsigned long i = 0; i < n; i++)
		acc += i ^ (acc >> 3);
	sink_c = acc;
}

__attribute__((noinline)) void work_a(unsigned long n)
{
	leaf_a(n);
	calls_a++;
}

__attribute__((noinline)) void work_b(unsigned long n)
{
	leaf_b(n);
	calls_b++;
}

__attribute__((noinline)) void work_c(unsigned long n)
{
	leaf_c(n);
	calls_c++;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The chunks of one round. */
static void (*const round_chunks[10])(unsigned long) = {
	work_a, work_a, work_a, work_a, work_a, work_a, work_b, work_b, work_b, work_c,
};

/* xorshift64, from a fixed seed */
static unsigned long random_below(unsigned long bound)
{
	static unsigned long long state = 0x9e3779b97f4a7c15ULL;

	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state % bound;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 0; /* 0: bounded by time instead */
	double limit_ms = 0, start;
	void (*order[10])(unsigned long);

	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		rounds = strtoul(argv[2], NULL, 10);
		if (rounds == 0) {
			fprintf(stderr, "cpu_split: ROUNDS must be a positive number\n");
			return 2;
		}
	} else if (argc == 2) {
		limit_ms = strtod(argv[1], NULL);
	} else if (argc != 1) {
		fprintf(stderr, "usage: cpu_split [MS] | cpu_split -n ROUNDS\n");
		return 2;
	}

	memcpy(order, round_chunks, sizeof(order));
	start = cpu_ms();
	for (unsigned long r = 0; rounds == 0 || r < rounds; r++) {
		unsigned long n = chunk;

		for (int i = 9; i > 0; i--) { /* Fisher-Yates */
			int j = (int)random_below(i + 1);
			void (*swap)(unsigned long) = order[i];

			order[i] = order[j];
			order[j] = swap;
		}
		for (int i = 0; i < 10; i++)
			order[i](n);
		if (rounds == 0 && limit_ms > 0 && cpu_ms() - start >= limit_ms)
			break;
	}
	return 0;
}
