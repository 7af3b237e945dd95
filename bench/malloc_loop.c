// SPDX-License-Identifier: Apache-2.0
/*
 * Allocation-heavy load for the malloc bench: N malloc/free pairs of 64
 * bytes (default 10,000,000), timed by the program itself.
 *
 *   malloc_loop [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *volatile keep;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		keep = malloc(64);
		free(keep);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
