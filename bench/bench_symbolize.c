// SPDX-License-Identifier: Apache-2.0
/*
 * Symbolization speed: for each ELF file given, the time to load its symbols
 * (best of 5) and the memory its tables take, then lookups through symbolizer__user() at symbol
 * addresses in random order: a first pass over every symbol (demangling included) and cached
 * passes.  Then the same for /proc/kallsyms when it shows addresses. Prints figures only.
 *
 *   bench_symbolize FILE...
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "symbolize/elf_symbols.h"
#include "symbolize/kallsyms.h"
#include "symbolize/symbolizer.h"

#define LOOKUPS 10000000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void bench_file(const char *path)
{
	struct symbolizer *sym = symbolizer__new(NULL);
	struct elf_symbols *es = NULL;
	double best = 1e9, t, first, cached, hot;
	size_t n, i, noffs = 0, found = 0, heap = 0;
	uint64_t seed = 1, *offs;
	struct sym_file_key key;
	struct stat st;
	int run;

	if (stat(path, &st) < 0) {
		printf("symbolize: %s: missing\n", path);
		symbolizer__free(sym);
		return;
	}
	for (run = 0; run < 5; run++) {
		elf_symbols__free(es);
		heap = mallinfo2().uordblks;
		t = now();
		es = elf_symbols__open(path);
		t = now() - t;
		heap = mallinfo2().uordblks - heap;
		if (!es) {
			printf("symbolize: %s: cannot load\n", path);
			symbolizer__free(sym);
			return;
		}
		if (t < best)
			best = t;
	}
	n = elf_symbols__count(es);
	printf("symbolize: %-44s %7zu symbols (%s) loaded in %6.1f ms, %.1f MB\n", path, n,
	       elf_symbols__from_symtab(es) ? ".symtab" : ".dynsym", best * 1e3, heap / 1e6);

	/* symbol starts whose file offset is their address (the first PT_LOAD of most files) */
	offs = malloc((n ? n : 1) * sizeof(*offs));
	for (i = 0; i < n; i++) {
		uint64_t a = elf_symbols__addr(es, i), v;

		if (elf_symbols__offset_to_vaddr(es, a, &v) == 0 && v == a)
			offs[noffs++] = a;
	}
	for (i = noffs; i > 1; i--) {
		size_t j = splitmix(&seed) % i;
		uint64_t x = offs[i - 1];

		offs[i - 1] = offs[j];
		offs[j] = x;
	}
	key = (struct sym_file_key){path, st.st_dev, st.st_ino, 0};
	t = now();
	for (i = 0; i < noffs; i++)
		found += symbolizer__user(sym, &key, offs[i]) != NULL;
	first = now() - t;
	t = now();
	for (i = 0; noffs && i < LOOKUPS; i++)
		found += symbolizer__user(sym, &key, offs[splitmix(&seed) % noffs]) != NULL;
	cached = now() - t;
	/* a profile's frames are mostly a few hot functions */
	t = now();
	for (i = 0; noffs && i < LOOKUPS; i++)
		found += symbolizer__user(sym, &key, offs[splitmix(&seed) % 1024 % noffs]) != NULL;
	hot = now() - t;
	if (noffs)
		printf("symbolize: %-44s first lookup of each %.2f M/s (open, demangle), "
		       "then %.1f M lookups/s over all, %.1f M/s over 1024\n",
		       "", noffs / first / 1e6, LOOKUPS / cached / 1e6, LOOKUPS / hot / 1e6);
	if (noffs && found != noffs + 2 * (size_t)LOOKUPS)
		printf("symbolize: %zu of %zu lookups found nothing\n",
		       noffs + 2 * (size_t)LOOKUPS - found, noffs + 2 * (size_t)LOOKUPS);
	free(offs);
	elf_symbols__free(es);
	symbolizer__free(sym);
}

static void bench_kallsyms(void)
{
	struct symbolizer *sym;
	struct kallsyms *ks;
	uint64_t seed = 2;
	size_t i, n;
	double t;

	t = now();
	ks = kallsyms__load(NULL);
	t = now() - t;
	if (!ks || !kallsyms__count(ks)) {
		printf("symbolize: /proc/kallsyms: %s\n", ks ? "addresses hidden" : "unreadable");
		kallsyms__free(ks);
		return;
	}
	n = kallsyms__count(ks);
	printf("symbolize: %-44s %7zu symbols loaded in %6.1f ms\n", "/proc/kallsyms", n, t * 1e3);
	sym = symbolizer__new(NULL);
	symbolizer__has_kernel_symbols(sym);
	t = now();
	for (i = 0; i < LOOKUPS; i++)
		symbolizer__kernel(sym, kallsyms__addr(ks, splitmix(&seed) % n) + 1);
	t = now() - t;
	printf("symbolize: %-44s %.1f M lookups/s\n", "", LOOKUPS / t / 1e6);
	symbolizer__free(sym);
	kallsyms__free(ks);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		bench_file(argv[i]);
	bench_kallsyms();
	return 0;
}
