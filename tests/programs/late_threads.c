// SPDX-License-Identifier: Apache-2.0
/*
 * Threads that appear after a profiler has attached:
 *
 *   late_threads [MS]
 *
 * prints "ready", sleeps one second (the time to attach with -p), then starts two threads that
 * both spin for MS milliseconds (default 2000), one in thread_spin_one and one in
 * thread_spin_two, and prints "started".  Both are CPU-bound, so on two or more CPUs they get
 * about the same CPU time.  The main thread only waits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink_one, sink_two;
static double spin_ms = 2000;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void *thread_spin_one(void *arg)
{
	double start = now_ms();

	while (now_ms() - start < spin_ms)
		for (unsigned long i = 0; i < 20000; i++)
			sink_one += i;
	return arg;
}

__attribute__((noinline)) void *thread_spin_two(void *arg)
{
	double start = now_ms();

	while (now_ms() - start < spin_ms)
		for (unsigned long i = 0; i < 20000; i++)
			sink_two += i;
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t one, two;

	if (argc > 1)
		spin_ms = strtod(argv[1], NULL);
	printf("ready\n");
	fflush(stdout);
	sleep(1);
	if (pthread_create(&one, NULL, thread_spin_one, NULL) != 0 ||
	    pthread_create(&two, NULL, thread_spin_two, NULL) != 0) {
		fprintf(stderr, "late_threads: pthread_create failed\n");
		return 1;
	}
	printf("started\n");
	fflush(stdout);
	pthread_join(one, NULL);
	pthread_join(two, NULL);
	return 0;
}
