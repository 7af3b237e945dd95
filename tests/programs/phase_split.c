// SPDX-License-Identifier: Apache-2.0
/*
 * Two phases in time, for slicing a recording: phase_a spins for the first SECS seconds
 * (wall-clock time, from the start of main), then phase_b for SECS more, then it exits.
 *
 *   phase_split [SECS]      default 1
 *
 * Wall-clock time rather than CPU time: a profile database slices by wall-clock time, so the
 * phases must change at a known wall-clock moment.  Built with -O1 -g -fno-omit-frame-pointer;
 * the phases are noinline and each stores to its own counter so that neither is merged into
 * main or into the other.
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink_a, sink_b;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void phase_a(double until)
{
	volatile unsigned long acc = 0;

	while (now() < until)
		for (int i = 0; i < 10000; i++)
			acc += (unsigned long)i ^ (acc >> 3);
	sink_a = acc;
}

__attribute__((noinline)) void phase_b(double until)
{
	volatile unsigned long acc = 1;

	while (now() < until)
		for (int i = 0; i < 10000; i++)
			acc += (unsigned long)i ^ (acc >> 5);
	sink_b = acc;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1, start = now();

	phase_a(start + secs);
	phase_b(start + 2 * secs);
	return 0;
}
