// SPDX-License-Identifier: Apache-2.0
/*
 * Deep stacks through a library without frame pointers, on two threads:
 *
 *   deep_main DEPTH MS
 *
 * main and a second thread each call deep_recurse(DEPTH) of libdeep.so
 * (deep_lib.c) over and over for MS milliseconds of CPU time each; the
 * main thread's chain is main;run;deep_recurse x (DEPTH + 1);deep_spin and
 * the other thread's starts at thread_main.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

unsigned long deep_recurse(int depth, unsigned long n);

static int depth;
static double limit_ms;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void run(void)
{
	double start = thread_cpu_ms();

	while (thread_cpu_ms() - start < limit_ms)
		deep_recurse(depth, 20000);
}

__attribute__((noinline)) void *thread_main(void *arg)
{
	run();
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3) {
		fprintf(stderr, "usage: deep_main DEPTH MS\n");
		return 2;
	}
	depth = atoi(argv[1]);
	limit_ms = atof(argv[2]);
	if (pthread_create(&t, NULL, thread_main, NULL))
		return 1;
	run();
	pthread_join(t, NULL);
	return 0;
}
