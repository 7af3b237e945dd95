// SPDX-License-Identifier: Apache-2.0
/*
 * The shared library that dlopen_late loads while being profiled: its one function spins for
 * the given number of milliseconds.  The name exists nowhere else, so seeing it in a profile
 * means the symbol came from this library's own symbol table.
 */
#include <time.h>

static volatile unsigned long sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void late_lib_spin(double ms)
{
	double start = now_ms();

	while (now_ms() - start < ms)
		for (unsigned long i = 0; i < 20000; i++)
			sink += i;
}
