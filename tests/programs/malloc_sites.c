// SPDX-License-Identifier: Apache-2.0
/*
 * Allocation target with known totals per site, each a function called by
 * main:
 *
 *   site_malloc   malloc(48) x 1000, all freed           48,000 bytes, 1000 calls
 *   site_calloc   calloc(25, 40) x 200, none freed      200,000 bytes,  200 calls
 *   site_realloc  malloc(100) then realloc to 2000,     630,000 bytes,  600 calls
 *                 x 300, all freed
 *   site_aligned  posix_memalign(64, 4096) x 50,        204,800 bytes,   50 calls
 *                 the even ones freed                   (102,400 bytes never freed)
 *
 *   site_failed   malloc and calloc asking for more than        0 bytes,    0 calls
 *                 there is, x 10 each: they return NULL, which is not an allocation
 *
 * Still allocated at the end: site_calloc's 200,000 and site_aligned's 102,400.
 *
 *   malloc_sites [-w]   -w: print "ready" and wait for a line on stdin before
 *                       allocating (for attaching with -p), and another before exiting
 *
 * Built by the tests with -fno-builtin, so that the compiler keeps every call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile keep[1 << 12];
static volatile unsigned long sink;

__attribute__((noinline)) void site_malloc(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(48);

		p[0] = (char)i;
		sink += (unsigned char)p[0];
		free(p);
	}
}

__attribute__((noinline)) void site_calloc(void)
{
	for (int i = 0; i < 200; i++)
		keep[i] = calloc(25, 40);
}

__attribute__((noinline)) void site_realloc(void)
{
	for (int i = 0; i < 300; i++) {
		char *p = malloc(100);

		p[0] = 1;
		p = realloc(p, 2000);
		sink += (unsigned char)p[0];
		free(p);
	}
}

__attribute__((noinline)) void site_aligned(void)
{
	for (int i = 0; i < 50; i++) {
		void *p;

		if (posix_memalign(&p, 64, 4096))
			exit(1);
		if (i % 2 == 0)
			free(p);
		else
			keep[1000 + i] = p;
	}
}

__attribute__((noinline)) void site_failed(void)
{
	for (int i = 0; i < 10; i++) {
		/* PTRDIFF_MAX and more: refused without trying */
		keep[2000 + i] = malloc((size_t)-1 / 2 + 1);
		keep[2100 + i] = calloc((size_t)1 << 40, (size_t)1 << 40);
		if (keep[2000 + i] || keep[2100 + i])
			exit(1);
	}
}

int main(int argc, char **argv)
{
	char line[16];
	int wait = argc > 1 && !strcmp(argv[1], "-w");

	if (wait) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	site_malloc();
	site_calloc();
	site_realloc();
	site_aligned();
	site_failed();
	if (wait) {
		printf("done\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	return 0;
}
