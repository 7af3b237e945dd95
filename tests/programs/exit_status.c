// SPDX-License-Identifier: Apache-2.0
/*
 * Exits with a chosen status after some CPU work:
 *
 *   exit_status STATUS [MS]
 *
 * spins MS milliseconds (default 300), then exits with STATUS.
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double ms = argc > 2 ? strtod(argv[2], NULL) : 300;
	double start = now_ms();

	while (now_ms() - start < ms)
		for (unsigned long i = 0; i < 20000; i++)
			sink += i;
	return argc > 1 ? atoi(argv[1]) : 0;
}
