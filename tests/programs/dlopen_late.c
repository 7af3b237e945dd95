// SPDX-License-Identifier: Apache-2.0
/*
 * A shared library mapped after a profiler has attached:
 *
 *   dlopen_late LIBRARY [MS [ROUNDS]]
 *
 * prints "ready", then ROUNDS times (default 1): spins MS milliseconds (default 1000) in
 * main_spin, then in late_lib_spin of LIBRARY (built from late_lib.c), which is dlopen()ed
 * at the end of the first main_spin only, so its mapping is created while being profiled.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void main_spin(double ms)
{
	double start = now_ms();

	while (now_ms() - start < ms)
		for (unsigned long i = 0; i < 20000; i++)
			sink += i;
}

int main(int argc, char **argv)
{
	void (*late_lib_spin)(double) = NULL;
	double ms = argc > 2 ? strtod(argv[2], NULL) : 1000;
	long rounds = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	void *lib = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: dlopen_late LIBRARY [MS [ROUNDS]]\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (long r = 0; r < rounds; r++) {
		main_spin(ms);
		if (!lib) {
			lib = dlopen(argv[1], RTLD_NOW);
			if (!lib) {
				fprintf(stderr, "dlopen_late: %s\n", dlerror());
				return 1;
			}
			*(void **)&late_lib_spin = dlsym(lib, "late_lib_spin");
			if (!late_lib_spin) {
				fprintf(stderr, "dlopen_late: %s\n", dlerror());
				return 1;
			}
		}
		late_lib_spin(ms);
	}
	dlclose(lib);
	return 0;
}
