// SPDX-License-Identifier: Apache-2.0
/*
 * Writes a deterministic, realistic `perf script` text of about SIZE MB to
 * standard output, for bench-collapse.sh.
 *
 *   gen-perf-script [SIZE_MB]      (default 64)
 *
 * The samples look like those of `perf record -g` on a busy machine: several
 * processes (some with blanks in their names, some with thread ids), user
 * stacks that share prefixes the way call trees do, kernel frames on top of
 * system calls and interrupts, symbol offsets, [unknown] frames in known and
 * unknown modules, JIT frames from /tmp/perf-PID.map, C++ and Java names with
 * argument lists.  The same seed always gives the same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, and the same sequence on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)((rnd() >> 32) % n);
}

/* Skewed pick: small indexes are much more likely, as hot paths are. */
static unsigned int skewed(unsigned int n)
{
	unsigned int a = below(n), b = below(n), c = below(n);

	a = a < b ? a : b;
	return a < c ? a : c;
}

static const char *const verbs[] = {
	"read", "write",  "alloc", "free", "lookup", "insert", "update", "parse", "emit", "flush",
	"lock", "unlock", "wait",  "wake", "hash",   "copy",   "scan",	 "init",  "run",  "poll",
};
static const char *const nouns[] = {
	"buffer", "page", "inode", "socket", "request", "entry",  "table",  "node",   "block",
	"frame",  "task", "queue", "cache",  "header",	"string", "object", "stream", "event",
};
static const char *const namespaces[] = {
	"app", "net", "db::storage", "http::server", "util", "v8::internal", "std",
};
static const char *const java_pkgs[] = {
	"io/netty/channel/nio/NioEventLoop", "java/util/HashMap", "org/apache/kafka/Producer",
	"com/example/service/OrderHandler",  "java/lang/String",
};

enum kind { K_KERNEL, K_C, K_CXX, K_JAVA, K_JIT, K_UNKNOWN_MOD, K_UNKNOWN };

struct func {
	char name[128];
	const char *mod;
	uint64_t addr;
	enum kind kind;
};

#define NFUNCS 4000
static struct func funcs[NFUNCS];

static const char *const user_mods[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
	"/usr/bin/python3.11",
	"/usr/sbin/nginx",
	"/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
	"/opt/app/bin/server",
};

static void make_funcs(void)
{
	int i;

	for (i = 0; i < NFUNCS; i++) {
		struct func *f = &funcs[i];
		const char *v = verbs[below(20)], *n = nouns[below(18)];
		unsigned int k = below(100);

		if (k < 30) {
			f->kind = K_KERNEL;
			f->mod = "[kernel.kallsyms]";
			snprintf(f->name, sizeof(f->name), "%s%s_%s%s", below(3) ? "" : "__", n, v,
				 below(4) ? "" : "_slowpath");
			f->addr = 0xffffffff81000000ULL + rnd() % 0x1000000;
		} else if (k < 55) {
			f->kind = K_C;
			f->mod = user_mods[below(6)];
			snprintf(f->name, sizeof(f->name), "%s_%s_%u", n, v, below(50));
			f->addr = 0x7f0000000000ULL + rnd() % 0x10000000000ULL;
		} else if (k < 75) {
			f->kind = K_CXX;
			f->mod = user_mods[1 + below(5)];
			snprintf(f->name, sizeof(f->name), "%s::%c%s::%s_%s(%s)",
				 namespaces[below(7)], 'A' + below(26), n, v, n,
				 below(2) ? "int, std::string const&" : "void*");
			f->addr = 0x400000ULL + rnd() % 0x4000000ULL;
		} else if (k < 85) {
			f->kind = K_JAVA;
			f->mod = "/tmp/perf-4242.map";
			snprintf(f->name, sizeof(f->name), "L%s;::%s%c%s", java_pkgs[below(5)], v,
				 'A' + below(26), n);
			f->addr = 0x7f3a00000000ULL + rnd() % 0x100000000ULL;
		} else if (k < 90) {
			f->kind = K_JIT;
			f->mod = "/tmp/perf-4242.map";
			snprintf(f->name, sizeof(f->name), "Interpreter");
			f->addr = 0x7f3a00000000ULL + rnd() % 0x100000000ULL;
		} else if (k < 96) {
			f->kind = K_UNKNOWN_MOD;
			f->mod = user_mods[below(6)];
			snprintf(f->name, sizeof(f->name), "[unknown]");
			f->addr = 0x7f0000000000ULL + rnd() % 0x10000000000ULL;
		} else {
			f->kind = K_UNKNOWN;
			f->mod = "[unknown]";
			snprintf(f->name, sizeof(f->name), "[unknown]");
			f->addr = rnd() % 0x100000000ULL;
		}
	}
}

static unsigned int pick_func(int kernel)
{
	for (;;) {
		unsigned int i = skewed(NFUNCS);

		if ((funcs[i].kind == K_KERNEL) == kernel)
			return i;
	}
}

#define NCOMMS 9
static const char *const comms[NCOMMS] = {
	"nginx",    "java", "python3",	       "V8 WorkerThread", "kworker/u8:2",
	"postgres", "node", "C2 CompilerThre", "server",
};

/*
 * Call paths: user stacks that share prefixes, and kernel paths.  A caller's
 * address is its call site, the same every time the path is on the stack;
 * only the leaf's address moves.
 */
#define NPATHS	 600
#define NKPATHS	 120
#define MAXDEPTH 48
#define NLEAVES	 6

struct path {
	unsigned int depth;
	unsigned int frame[MAXDEPTH]; /* outermost first */
	unsigned int site[MAXDEPTH];  /* offset of the call site in the function */
	unsigned int leaf[NLEAVES];   /* functions this path calls into */
	unsigned int syscall[2];      /* kernel paths it enters */
	unsigned int comm;	      /* the process running it */
};

static struct path paths[NPATHS], kpaths[NKPATHS];

static void make_paths(void)
{
	int i;
	unsigned int d;

	for (i = 0; i < NPATHS; i++) {
		struct path *p = &paths[i];

		if (i >= 8 && below(4)) {
			/* extend a prefix of an earlier path: call trees branch */
			const struct path *parent = &paths[below(i)];

			p->depth = 1 + below(parent->depth);
			memcpy(p->frame, parent->frame, p->depth * sizeof(p->frame[0]));
			memcpy(p->site, parent->site, p->depth * sizeof(p->site[0]));
		} else {
			p->depth = 0;
		}
		for (d = p->depth + 3 + below(20); p->depth < d && p->depth < MAXDEPTH - 16;) {
			p->site[p->depth] = below(0x400);
			p->frame[p->depth++] = pick_func(0);
		}
		for (d = 0; d < NLEAVES; d++)
			p->leaf[d] = pick_func(0);
		p->syscall[0] = skewed(NKPATHS);
		p->syscall[1] = skewed(NKPATHS);
		p->comm = skewed(NCOMMS);
	}
	for (i = 0; i < NKPATHS; i++) {
		struct path *p = &kpaths[i];

		p->depth = 3 + below(14);
		for (d = 0; d < p->depth; d++) {
			p->site[d] = below(0x400);
			p->frame[d] = pick_func(1);
		}
	}
}

static unsigned long long written; /* bytes: ftell() fails on a pipe */

static void write_frame(FILE *out, const struct func *f, unsigned int offset)
{
	uint64_t addr = f->addr + offset;

	if (f->kind == K_UNKNOWN_MOD || f->kind == K_UNKNOWN || f->kind == K_JIT)
		written += fprintf(out, "\t%16" PRIx64 " %s (%s)\n", addr, f->name, f->mod);
	else
		written += fprintf(out, "\t%16" PRIx64 " %s+0x%x (%s)\n", addr, f->name, offset,
				   f->mod);
}

int main(int argc, char **argv)
{
	long mb = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
	unsigned long long target = (unsigned long long)(mb > 0 ? mb : 64) << 20;
	uint64_t usec = 0;
	static char buf[1 << 20];

	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	make_funcs();
	make_paths();
	written += printf(
		"# ========\n# captured on    : Mon Jan  1 00:00:00 2024\n"
		"# cmdline : /usr/bin/perf record -F 999 -a -g -- sleep 60\n# ========\n#\n");
	while (written < target) {
		const struct path *p = &paths[skewed(NPATHS)];
		/* mostly the whole path, sometimes a caller of its end */
		unsigned int depth = p->depth - (below(4) ? 0 : below(p->depth));
		unsigned int idle = below(8) == 0, pid = 1000 + p->comm * 37, d;
		const char *comm = idle ? "swapper" : comms[p->comm];
		const struct path *k = &kpaths[idle ? below(4) : p->syscall[below(2)]];

		usec += 1 + below(2000);
		written += fprintf(stdout,
				   "%s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64
				   ":     250000 cpu-clock:ppp: \n",
				   comm, idle ? 0 : pid, idle ? 0 : pid + below(8), below(64),
				   500000 + usec / 1000000, usec % 1000000);
		if (idle || below(3) == 0) {
			/* the leaf moves; the callers are call sites */
			unsigned int top = below(k->depth);

			write_frame(stdout, &funcs[k->frame[top]], below(0x400));
			for (d = top; d-- > 0;)
				write_frame(stdout, &funcs[k->frame[d]], k->site[d]);
		}
		if (!idle) {
			write_frame(stdout, &funcs[p->leaf[skewed(NLEAVES)]], below(0x400));
			for (d = depth; d-- > 0;)
				write_frame(stdout, &funcs[p->frame[d]], p->site[d]);
		}
		fputc('\n', stdout);
		written++;
	}
	return fflush(stdout) ? 1 : 0;
}
