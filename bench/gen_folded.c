// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark input for `flamesamp render`: writes folded stacks to stdout.
 *
 *   gen_folded [STACKS [MEGABYTES [SEED]]]     (defaults 200000, 160, 1)
 *
 * STACKS distinct stacks of depth 5..60 over a vocabulary of C++-, kernel- and
 * Java-style names, shaped like a real profile: few roots, little branching
 * near the root and more further up, so frames share long prefixes.  The
 * stacks are written in a shuffled order, then again in other shuffled orders
 * with other counts, until MEGABYTES of text are out: the input is unsorted
 * and holds duplicates, like several collapsed files concatenated.
 * The same arguments always give the same bytes.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCABULARY 24000
#define ROOTS	   6

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *const namespaces[] = {"std", "boost", "app", "net", "db", "io", "core", "util"};
static const char *const classes[] = {"Server", "Connection", "Buffer",	 "Parser",  "Scheduler",
				      "Cache",	"Allocator",  "Session", "Request", "Index"};
static const char *const verbs[] = {"handle", "read",	  "write",  "parse", "flush", "lookup",
				    "insert", "dispatch", "encode", "poll",  "merge", "run"};
static const char *const kernel[] = {
	"sys_read",	      "vfs_write",     "tcp_sendmsg",
	"do_syscall_64",      "ep_poll",       "schedule",
	"copy_user_enhanced", "ext4_readpage", "__softirqentry_text_start",
	"entry_SYSCALL_64"};

static char *names[VOCABULARY];
static size_t name_len[VOCABULARY];

static void make_vocabulary(uint64_t seed)
{
	char buf[160];
	int i;

	for (i = 0; i < VOCABULARY; i++) {
		uint64_t r = splitmix(&seed);
		int kind = (int)(r % 10);
		int n;

		if (kind < 6) /* C++ method */
			n = snprintf(buf, sizeof(buf), "%s::%s%u::%s%u", namespaces[(r >> 8) % 8],
				     classes[(r >> 16) % 10], (unsigned)((r >> 24) % 50),
				     verbs[(r >> 32) % 12], (unsigned)((r >> 40) % 10));
		else if (kind < 8) /* kernel, annotated */
			n = snprintf(buf, sizeof(buf), "%s%u_[k]", kernel[(r >> 8) % 10],
				     (unsigned)((r >> 16) % 40));
		else /* Java */
			n = snprintf(buf, sizeof(buf), "%s/%s%u.%s", namespaces[(r >> 8) % 8],
				     classes[(r >> 16) % 10], (unsigned)((r >> 24) % 90),
				     verbs[(r >> 32) % 12]);
		names[i] = strdup(buf);
		name_len[i] = (size_t)n;
	}
}

/* The frames of stack @i: a walk from a root where each level picks one of a few callees. */
static size_t make_stack(uint64_t i, uint32_t *frames)
{
	uint64_t s = i * 0x2545f4914f6cdd1dULL + 12345;
	size_t depth = 5 + splitmix(&s) % 56, k;
	uint32_t prev = (uint32_t)(splitmix(&s) % ROOTS);

	frames[0] = prev;
	for (k = 1; k < depth; k++) {
		/* branching grows with depth: wide flame graphs share their trunks */
		uint64_t fanout = k < 4 ? 2 : k < 12 ? 3 : 5;
		uint64_t pick = splitmix(&s) % fanout;
		uint64_t h = (prev + 1) * 0x9e3779b97f4a7c15ULL + pick * 0xc2b2ae3d27d4eb4fULL + k;

		prev = (uint32_t)((h ^ (h >> 29)) % VOCABULARY);
		frames[k] = prev;
	}
	return depth;
}

int main(int argc, char **argv)
{
	uint64_t stacks = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	uint64_t target = (argc > 2 ? strtoull(argv[2], NULL, 10) : 160) * 1000000ULL;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	static char out[1 << 16];
	uint64_t written = 0, pass, j;
	uint32_t frames[64];

	if (!stacks) {
		fprintf(stderr, "usage: gen_folded [STACKS [MEGABYTES [SEED]]]\n");
		return 2;
	}
	make_vocabulary(seed);
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	for (pass = 0; written < target; pass++) {
		/* a multiplier coprime with any count: i -> (i * m + pass) mod n is a permutation
		 */
		uint64_t m = 1000003 + 2 * pass;
		uint64_t counts = seed * 7919 + pass;

		while (stacks % m == 0)
			m += 2;
		for (j = 0; j < stacks && written < target; j++) {
			uint64_t i = (j * m + pass * 7) % stacks;
			size_t depth = make_stack(i, frames), k;
			uint64_t c = 1 + splitmix(&counts) % 97;

			for (k = 0; k < depth; k++) {
				if (k) {
					putchar(';');
					written++;
				}
				fwrite(names[frames[k]], 1, name_len[frames[k]], stdout);
				written += name_len[frames[k]];
			}
			written += (uint64_t)printf(" %" PRIu64 "\n", c);
		}
	}
	return fflush(stdout) ? 1 : 0;
}
