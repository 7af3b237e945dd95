// SPDX-License-Identifier: Apache-2.0
/*
 * Off-CPU target with a known profile: the main thread blocks in three
 * functions, each in its own way, for times that split 6:3:1, and measures
 * what it really blocked.
 *
 *   offcpu_split [ROUNDS [REPORT]]   (default 100 rounds of 10 ms blocked)
 *   offcpu_split -D [ROUNDS [REPORT]]  the same in uninterruptible waits (vfork)
 *   offcpu_split -H [ROUNDS [REPORT]]  hot/cold: spin 10 ms of CPU, then block 10 ms
 *
 * A round:
 *   wait_sleep  nanosleep 6 ms                    (interruptible)
 *   wait_pipe   read a pipe that a helper thread writes 3 ms after it is asked
 *   wait_mutex  lock a mutex that a helper thread holds for 1 ms
 * With -D, wait_vfork: vfork a child that sleeps 6 ms then exits; the parent
 * waits for it uninterruptibly (TASK_KILLABLE).  With -H, spin_cpu uses 10 ms
 * of CPU time, and wait_sleep sleeps 10 ms: a 1:1 hot/cold split.
 *
 * REPORT, when given, receives "FUNCTION SECONDS" lines: the wall-clock
 * time spent in each function, which is its blocked time plus the few
 * microseconds of wakeup latency; for spin_cpu the CPU time it used, what
 * on-CPU samples measure (on a busy machine it also waits to run).  The helpers' own waits happen in
 * functions named helper_*, outside these.
 *
 * Built by the integration tests with -O2 and without frame pointers, as
 * Debian's libc is: the callers of the libc functions are found only by CFI.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int ask_pipe[2], answer_pipe[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t handoff = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handoff_cond = PTHREAD_COND_INITIALIZER;
static int holding, hold_requested;
static volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU time, in seconds. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

/* Answers each request on ask_pipe 3 ms later on answer_pipe. */
__attribute__((noinline)) static void *helper_answer(void *arg)
{
	char c;

	(void)arg;
	while (read(ask_pipe[0], &c, 1) == 1) {
		sleep_ms(3);
		if (write(answer_pipe[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

/* On request, takes the mutex, says so, and holds it for 1 ms. */
__attribute__((noinline)) static void *helper_hold(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&handoff);
		while (!hold_requested)
			pthread_cond_wait(&handoff_cond, &handoff);
		hold_requested = 0;
		pthread_mutex_lock(&held);
		holding = 1;
		pthread_cond_broadcast(&handoff_cond);
		pthread_mutex_unlock(&handoff);
		sleep_ms(1);
		pthread_mutex_unlock(&held);
	}
	return NULL;
}

__attribute__((noinline)) void wait_sleep(unsigned ms)
{
	sleep_ms(ms);
	sink++;
}

__attribute__((noinline)) void wait_pipe(void)
{
	char c = 'x';

	if (write(ask_pipe[1], &c, 1) != 1 || read(answer_pipe[0], &c, 1) != 1)
		exit(1);
	sink++;
}

__attribute__((noinline)) void wait_mutex(void)
{
	/* the helper has the mutex before this thread tries it */
	pthread_mutex_lock(&handoff);
	hold_requested = 1;
	pthread_cond_broadcast(&handoff_cond);
	while (!holding)
		pthread_cond_wait(&handoff_cond, &handoff);
	holding = 0;
	pthread_mutex_unlock(&handoff);
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	sink++;
}

__attribute__((noinline)) void wait_vfork(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		struct timespec ts = {0, 6000000L};

		/* a vfork child may only call async-signal-safe functions */
		nanosleep(&ts, NULL);
		_exit(0);
	}
	sink++;
}

__attribute__((noinline)) void spin_cpu(unsigned ms)
{
	struct timespec ts;
	double end;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + ms / 1000.0;
	do {
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i ^ (sink >> 3);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 < end);
}

int main(int argc, char **argv)
{
	double t_sleep = 0, t_pipe = 0, t_mutex = 0, t_vfork = 0, t_spin = 0, t;
	char mode = 0;
	pthread_t answer, hold;
	long rounds = 100;
	FILE *report;

	if (argc > 1 && argv[1][0] == '-') {
		mode = argv[1][1];
		argv++;
		argc--;
	}
	if (argc > 1)
		rounds = atol(argv[1]);
	if (pipe(ask_pipe) || pipe(answer_pipe) ||
	    pthread_create(&answer, NULL, helper_answer, NULL) ||
	    pthread_create(&hold, NULL, helper_hold, NULL)) {
		perror("offcpu_split");
		return 1;
	}
	for (long r = 0; r < rounds; r++) {
		if (mode == 'D') {
			t = now();
			wait_vfork();
			t_vfork += now() - t;
			continue;
		}
		if (mode == 'H') {
			t = cpu_now();
			spin_cpu(10);
			t_spin += cpu_now() - t;
			t = now();
			wait_sleep(10);
			t_sleep += now() - t;
			continue;
		}
		t = now();
		wait_sleep(6);
		t_sleep += now() - t;
		t = now();
		wait_pipe();
		t_pipe += now() - t;
		t = now();
		wait_mutex();
		t_mutex += now() - t;
	}
	if (argc > 2) {
		report = fopen(argv[2], "w");
		if (!report)
			return 1;
		fprintf(report, "wait_sleep %.6f\nwait_pipe %.6f\nwait_mutex %.6f\n", t_sleep,
			t_pipe, t_mutex);
		fprintf(report, "wait_vfork %.6f\nspin_cpu %.6f\n", t_vfork, t_spin);
		fclose(report);
	}
	return 0;
}
