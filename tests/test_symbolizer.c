// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for symbolize/: ELF symbol tables (elf_symbols), demangling and
 * the symbolizer's file cache.  Fixtures are this test binary itself (its
 * functions found through /proc/self/maps, as the sampler finds them), the
 * C library, the vDSO, and small shared objects compiled at test time.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/test_shell.h"

#include "common/line_reader.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "symbolize/demangle.h"
#include "symbolize/elf_symbols.h"
#include "symbolize/debug_file.h"
#include "symbolize/symbolizer.h"

/* ---- fixtures in this binary ---- */

#ifdef __clang__
#define FIXTURE_FUNCTION __attribute__((noinline, used))
#else
/* noipa: no ".constprop"/".isra" clone may take the name */
#define FIXTURE_FUNCTION __attribute__((noinline, noipa, used))
#endif

static FIXTURE_FUNCTION int fixture_static(int x)
{
	return x * 3 + 1;
}

int fixture_global(int x);

FIXTURE_FUNCTION int fixture_global(int x)
{
	return fixture_static(x) + 2;
}

/*
 * Hand-written code in a section of its own (the linker places it as an
 * orphan after .text), laid out as:
 *   +0   fixture_alias_local (LOCAL), fixture_alias_weak (WEAK) and
 *        fixture_alias_global (GLOBAL): untyped, size 0, one address
 *   +16  fixture_sized: a function of 16 bytes, with the untyped local label
 *        fixture_inner_label at +8 inside it
 *   +32  16 bytes that only fixture_inner_label can claim
 *   +48  fixture_tail: untyped, size 0, the last 4 bytes of the section
 */
__asm__(".pushsection .fs_fixture_text, \"ax\"\n"
	"fixture_alias_local:\n"
	".weak fixture_alias_weak\n"
	"fixture_alias_weak:\n"
	".globl fixture_alias_global\n"
	"fixture_alias_global:\n"
	".fill 16, 1, 0\n"
	".globl fixture_sized\n"
	".type fixture_sized, %function\n"
	"fixture_sized:\n"
	".fill 8, 1, 0\n"
	"fixture_inner_label:\n"
	".fill 8, 1, 0\n"
	".size fixture_sized, 16\n"
	".fill 16, 1, 0\n"
	".globl fixture_tail\n"
	"fixture_tail:\n"
	".fill 4, 1, 0\n"
	".popsection\n");

extern const char fixture_alias_global[], fixture_sized[], fixture_tail[];

int main(void);

/* ---- helpers ---- */

struct mapping {
	uint64_t start, end, pgoff;
	struct sym_file_key key;
	char path[PATH_MAX];
};

/* The mapping of this process that holds @addr, as /proc/self/maps shows it. */
static bool find_mapping(const void *addr, struct mapping *m)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end, pgoff, ino;
		unsigned int maj, min;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &pgoff, &maj,
			   &min, &ino, &n) < 7 ||
		    (uintptr_t)addr < start || (uintptr_t)addr >= end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(m->path, sizeof(m->path), "%s", line + n);
		m->start = start;
		m->end = end;
		m->pgoff = pgoff;
		m->key = (struct sym_file_key){
			.path = m->path, .dev = makedev(maj, min), .ino = ino, .pid = getpid()};
		found = true;
	}
	fclose(f);
	return found;
}

/* File offset of @addr in its mapping: what the sampler hands over. */
static uint64_t file_offset(const struct mapping *m, const void *addr)
{
	return (uintptr_t)addr - m->start + m->pgoff;
}

/* The name the symbolizer gives @addr of this process. */
static const char *name_of(struct symbolizer *sym, const void *addr)
{
	struct mapping m;

	assert_true(find_mapping(addr, &m));
	return symbolizer__user(sym, &m.key, file_offset(&m, addr));
}

/* ELF address of @addr of this process, through the file's program headers. */
static uint64_t elf_vaddr(const struct elf_symbols *es, const void *addr)
{
	struct mapping m;
	uint64_t vaddr = 0;

	assert_true(find_mapping(addr, &m));
	assert_int_equal(elf_symbols__offset_to_vaddr(es, file_offset(&m, addr), &vaddr), 0);
	return vaddr;
}

static const char *elf_name_at(const struct elf_symbols *es, uint64_t vaddr)
{
	long idx = elf_symbols__find(es, vaddr);

	return idx < 0 ? NULL : elf_symbols__name(es, (size_t)idx);
}

static char tmpdir[] = "/tmp/fs-symbolize-XXXXXX";

static int make_tmpdir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	return remove_tree(tmpdir);
}

static char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Copy this test binary to @path; returns its size. */
static size_t copy_self(const char *path)
{
	char *data;
	size_t len;

	assert_int_equal(fs_read_file("/proc/self/exe", &data, &len), 0);
	write_file(path, data, len);
	free(data);
	return len;
}

/* The key of the file at @path, as a mapping of it would show (pid 0: no fallback). */
static struct sym_file_key file_key(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (struct sym_file_key){.path = path, .dev = st.st_dev, .ino = st.st_ino, .pid = 0};
}

/* file_key() with the file's size and mtime, as a caller that knows them gives it. */
static struct sym_file_key versioned_key(const char *path)
{
	struct sym_file_key key = file_key(path);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	key.size = (uint64_t)st.st_size;
	key.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return key;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- this binary ---- */

static void test_own_functions(void **state)
{
	struct symbolizer *sym = symbolizer__new(NULL);
	const char *f = (const char *)(uintptr_t)fixture_static;
	const char *g = (const char *)(uintptr_t)fixture_global;

	assert_non_null(sym);
	assert_int_equal(fixture_global(1), 6);
	/* a static function is LOCAL: only .symtab has it */
	assert_string_equal(name_of(sym, f), "fixture_static");
	assert_string_equal(name_of(sym, f + 1), "fixture_static");
	assert_string_equal(name_of(sym, g), "fixture_global");
	assert_string_equal(name_of(sym, (const char *)(uintptr_t)main), "main");
	/* cached: the same pointer again */
	assert_ptr_equal(name_of(sym, f), name_of(sym, f));
	symbolizer__free(sym);
}

/* The test binary is a PIE: addresses differ from ELF addresses by the load bias. */
static void test_pie_load_bias(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	struct elf_symbols *es = elf_symbols__open("/proc/self/exe");
	uint64_t vaddr;
	long idx;

	assert_non_null(es);
	assert_true(elf_symbols__from_symtab(es));
	vaddr = elf_vaddr(es, f);
	if (vaddr == (uintptr_t)f)
		print_message("note: this test binary is not position-independent\n");
	idx = elf_symbols__find(es, vaddr);
	assert_true(idx >= 0);
	assert_string_equal(elf_symbols__name(es, (size_t)idx), "fixture_static");
	assert_true(elf_symbols__addr(es, (size_t)idx) == vaddr);
	/* an offset outside every PT_LOAD has no address */
	assert_int_equal(elf_symbols__offset_to_vaddr(es, UINT64_MAX - 1, &vaddr), -ENOENT);
	elf_symbols__free(es);
}

static void test_aliases_prefer_global(void **state)
{
	struct elf_symbols *es = elf_symbols__open("/proc/self/exe");
	uint64_t base;

	assert_non_null(es);
	base = elf_vaddr(es, fixture_alias_global);
	assert_string_equal(elf_name_at(es, base), "fixture_alias_global");
	assert_string_equal(elf_name_at(es, base + 15), "fixture_alias_global");
	elf_symbols__free(es);
}

static void test_sized_and_untyped(void **state)
{
	struct elf_symbols *es = elf_symbols__open("/proc/self/exe");
	uint64_t sized, tail;

	assert_non_null(es);
	sized = elf_vaddr(es, fixture_sized);
	tail = elf_vaddr(es, fixture_tail);
	assert_true(tail == sized + 32);
	assert_string_equal(elf_name_at(es, sized), "fixture_sized");
	/* the sized function wins over the label inside it */
	assert_string_equal(elf_name_at(es, sized + 8), "fixture_sized");
	assert_string_equal(elf_name_at(es, sized + 15), "fixture_sized");
	/* past its end, the size-0 label runs on up to the next symbol */
	assert_string_equal(elf_name_at(es, sized + 16), "fixture_inner_label");
	assert_string_equal(elf_name_at(es, sized + 31), "fixture_inner_label");
	/* a size-0 symbol ends with its section */
	assert_string_equal(elf_name_at(es, tail), "fixture_tail");
	assert_string_equal(elf_name_at(es, tail + 3), "fixture_tail");
	assert_true(!elf_name_at(es, tail + 4) ||
		    strcmp(elf_name_at(es, tail + 4), "fixture_tail"));
	elf_symbols__free(es);
}

/* ---- the C library: .dynsym only on Debian ---- */

static void test_libc(void **state)
{
	struct symbolizer *sym = symbolizer__new(NULL);
	const char *pid_fn = (const char *)(uintptr_t)getpid;
	const char *name = name_of(sym, pid_fn);
	struct elf_symbols *es;
	struct mapping m;

	/* getpid is WEAK, __getpid GLOBAL at the same address */
	assert_non_null(name);
	assert_true(!strcmp(name, "__getpid") || !strcmp(name, "getpid"));
	assert_string_equal(name_of(sym, pid_fn + 1), name);
	name = name_of(sym, (const char *)(uintptr_t)strerror);
	assert_non_null(name);
	assert_non_null(strstr(name, "strerror"));

	assert_true(find_mapping(pid_fn, &m));
	es = elf_symbols__open(m.path);
	assert_non_null(es);
	if (elf_symbols__from_symtab(es))
		print_message("note: %s has a .symtab (not stripped)\n", m.path);
	elf_symbols__free(es);
	symbolizer__free(sym);
}

/* ---- shared objects built here ---- */

static const char so_source[] =
	"int fixture_so_function(int x) { return x + 1; }\n"
	"int rust_legacy(int x) __asm__(\"_ZN4core3fmt5write17h0123456789abcdefE\");\n"
	"int rust_legacy(int x) { return x + 2; }\n"
	"int rust_v0(int x) __asm__(\"_RNvCs15kBYyAo9fc_7mycrate7example\");\n"
	"int rust_v0(int x) { return x + 3; }\n";

/* Load @so and check its functions' names, and that file offsets and ELF addresses differ. */
static void check_shared_object(const char *so)
{
	struct symbolizer_options opts;
	struct symbolizer *sym, *raw;
	struct elf_symbols *es;
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	const char *fn, *legacy, *v0;
	struct mapping m;
	uint64_t vaddr;

	assert_non_null(h);
	fn = dlsym(h, "fixture_so_function");
	legacy = dlsym(h, "_ZN4core3fmt5write17h0123456789abcdefE");
	v0 = dlsym(h, "_RNvCs15kBYyAo9fc_7mycrate7example");
	assert_non_null(fn);
	assert_non_null(legacy);
	assert_non_null(v0);

	es = elf_symbols__open(so);
	assert_non_null(es);
	assert_true(find_mapping(fn, &m));
	assert_int_equal(elf_symbols__offset_to_vaddr(es, file_offset(&m, fn), &vaddr), 0);
	assert_true(vaddr != file_offset(&m, fn));
	elf_symbols__free(es);

	sym = symbolizer__new(NULL);
	assert_string_equal(name_of(sym, fn), "fixture_so_function");
	assert_string_equal(name_of(sym, fn + 2), "fixture_so_function");
	assert_string_equal(name_of(sym, legacy), "core::fmt::write");
	assert_string_equal(name_of(sym, v0), "mycrate::example");
	symbolizer_options__init(&opts);
	opts.demangle = false;
	raw = symbolizer__new(&opts);
	assert_string_equal(name_of(raw, legacy), "_ZN4core3fmt5write17h0123456789abcdefE");
	assert_string_equal(name_of(raw, v0), "_RNvCs15kBYyAo9fc_7mycrate7example");
	symbolizer__free(raw);
	symbolizer__free(sym);
	dlclose(h);
}

static void test_shared_object_vaddr_offset(void **state)
{
	char src[PATH_MAX], so[PATH_MAX];

	snprintf(src, sizeof(src), "%s", tmp_path("fixture_so.c"));
	write_file(src, so_source, strlen(so_source));
	/* GNU ld: every segment's address is 2 MiB above its file offset */
	snprintf(so, sizeof(so), "%s", tmp_path("fixture_bfd.so"));
	if (!run("cc -shared -fPIC -O1 -Wl,-Ttext-segment=0x200000 -o '%s' '%s'", so, src)) {
		print_message("skipped: cannot build a shared object with 'cc' "
			      "(needs a C compiler and GNU ld)\n");
		skip();
	}
	check_shared_object(so);
	/* lld leaves no gap in the file: text is at offset + 0x1000 */
	snprintf(so, sizeof(so), "%s", tmp_path("fixture_lld.so"));
	if (run("cc -shared -fPIC -O1 -fuse-ld=lld -o '%s' '%s'", so, src))
		check_shared_object(so);
	else
		print_message("note: lld is missing, its layout is not tested\n");
}

static const char cxx_source[] =
	"namespace ns {\n"
	"int func(int x) { return x + 1; }\n"
	"struct S { int method(int x) const; };\n"
	"int S::method(int x) const { return x * 2; }\n"
	"template <typename T> T twice(T x) { return x + x; }\n"
	"}\n"
	"namespace { __attribute__((noinline)) int helper(int x) { return x - 1; } }\n"
	"extern \"C\" void *fixture_addr(int which)\n"
	"{\n"
	"	switch (which) {\n"
	"	case 0: return (void *)&ns::func;\n"
	"	case 1: return (void *)&ns::twice<int>;\n"
	"	default: return (void *)&helper;\n"
	"	}\n"
	"}\n";

static void test_cxx_demangling(void **state)
{
	char src[PATH_MAX], so[PATH_MAX];
	void *(*addr_of)(int);
	struct symbolizer *sym;
	const char *method;
	void *h;

	snprintf(src, sizeof(src), "%s", tmp_path("fixture.cc"));
	snprintf(so, sizeof(so), "%s", tmp_path("fixture_cxx.so"));
	write_file(src, cxx_source, strlen(cxx_source));
	if (!run("g++ -shared -fPIC -O0 -o '%s' '%s'", so, src)) {
		print_message("skipped: g++ is missing or cannot build a shared object\n");
		skip();
	}
	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	*(void **)&addr_of = dlsym(h, "fixture_addr");
	method = dlsym(h, "_ZNK2ns1S6methodEi");
	assert_non_null(addr_of);
	assert_non_null(method);

	sym = symbolizer__new(NULL);
	assert_string_equal(name_of(sym, addr_of(0)), "ns::func");
	assert_string_equal(name_of(sym, addr_of(1)), "ns::twice<int>");
	assert_string_equal(name_of(sym, addr_of(2)), "(anonymous namespace)::helper");
	assert_string_equal(name_of(sym, method), "ns::S::method");
	assert_string_equal(name_of(sym, method + 1), "ns::S::method");
	symbolizer__free(sym);
	dlclose(h);
}

static void test_demangle(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"_ZN2ns4funcEi", "ns::func"},
		{"_ZNK3Foo3barEv", "Foo::bar"},
		{"_ZNSt6vectorIiSaIiEE9push_backEOi",
		 "std::vector<int, std::allocator<int> >::push_back"},
		{"_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo"},
		{"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"},
		{"_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example"},
		{"_ZN2ns4funcEi.cold", "ns::func"},
		/* stackcollapse-perf.pl cuts at the first '(': lambdas become their function */
		{"_ZZN2ns4funcEvENKUlvE_clEv", "ns::func"},
		{"_ZN3FooclEv", "Foo::operator"},
	};
	static const char *const not_mangled[] = {
		"main",	  "",	    "_", "_Z", "_R", "_Zfoo", "_ZN", "__libc_start_main",
		"_start", "Z3foov",
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = demangle_symbol(cases[i].in);

		assert_non_null(out);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
	for (i = 0; i < sizeof(not_mangled) / sizeof(not_mangled[0]); i++)
		assert_null(demangle_symbol(not_mangled[i]));

	strcpy(buf, "f(int, (anonymous namespace)::T)");
	assert_int_equal(demangle_cut_params(buf, strlen(buf)), 1);
	assert_string_equal(buf, "f");
	strcpy(buf, "(anonymous namespace)::g(int)");
	assert_int_equal(demangle_cut_params(buf, strlen(buf)), 24);
	assert_string_equal(buf, "(anonymous namespace)::g");
	strcpy(buf, "(anonymous namespace");
	assert_int_equal(demangle_cut_params(buf, strlen(buf)), 0);
	strcpy(buf, "plain");
	assert_int_equal(demangle_cut_params(buf, strlen(buf)), 5);
}

/* A hostile name: deep nesting and a huge length must not hang or crash. */
static void test_demangle_hostile(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *out;
	int i;

	strbuf_addstr(&sb, "_Z");
	for (i = 0; i < 20000; i++)
		strbuf_addstr(&sb, "PF");
	strbuf_addstr(&sb, "vvE");
	out = demangle_symbol(sb.buf);
	free(out);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "_ZN");
	for (i = 0; i < 100000; i++)
		strbuf_addstr(&sb, "1a");
	strbuf_addstr(&sb, "Ev");
	assert_null(demangle_symbol(sb.buf)); /* too long: shown as it is */
	strbuf_release(&sb);
}

/* ---- files that cannot be used ---- */

static void test_unusable_files(void **state)
{
	struct symbolizer *sym = symbolizer__new(NULL);
	static const char text[] = "not an ELF file\n";
	static const char *const paths[] = {
		"[heap]",
		"[stack]",
		"[vsyscall]",
		"[anon:x]",
		"//anon",
		"",
		"anon_inode:[perf_event]",
	};
	struct sym_file_key key;
	char path[PATH_MAX];
	size_t size, i;
	int fd;

	key = (struct sym_file_key){.path = NULL, .dev = 0, .ino = 0, .pid = 0};
	assert_null(symbolizer__user(NULL, &key, 0));
	assert_null(symbolizer__user(sym, NULL, 0));
	assert_null(symbolizer__user(sym, &key, 0));
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		key = (struct sym_file_key){.path = paths[i], .dev = 1, .ino = 2, .pid = getpid()};
		assert_null(symbolizer__user(sym, &key, 0x1000));
	}

	key = (struct sym_file_key){
		.path = "/nonexistent/lib.so", .dev = 0, .ino = 0, .pid = getpid()};
	assert_null(symbolizer__user(sym, &key, 0x1000));
	key = (struct sym_file_key){.path = tmpdir, .dev = 0, .ino = 0, .pid = 0}; /* a directory */
	assert_null(symbolizer__user(sym, &key, 0x1000));

	snprintf(path, sizeof(path), "%s", tmp_path("text.so"));
	write_file(path, text, sizeof(text) - 1);
	key = file_key(path);
	assert_null(symbolizer__user(sym, &key, 0));

	/* empty, cut inside the ELF header, header only, and half of a real binary */
	size = copy_self(tmp_path("whole"));
	for (i = 0; i < 4; i++) {
		const size_t keep[] = {0, 10, 64, size / 2};
		char name[32];

		snprintf(name, sizeof(name), "truncated-%zu", i);
		snprintf(path, sizeof(path), "%s", tmp_path(name));
		copy_self(path);
		assert_int_equal(truncate(path, (off_t)keep[i]), 0);
		key = file_key(path);
		assert_null(symbolizer__user(sym, &key, 0x1000));
		assert_null(symbolizer__user(sym, &key, size / 4));
	}

	/* a FIFO where a library was must not block */
	snprintf(path, sizeof(path), "%s", tmp_path("fifo.so"));
	assert_int_equal(mkfifo(path, 0600), 0);
	key = (struct sym_file_key){.path = path, .dev = 0, .ino = 0, .pid = 0};
	assert_null(symbolizer__user(sym, &key, 0));
	fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	close(fd);
	symbolizer__free(sym);
	symbolizer__free(NULL);
}

/* The inode must match: a same-named file that is not the mapped one gives nothing. */
static void test_inode_check(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	struct symbolizer *sym = symbolizer__new(NULL);
	struct sym_file_key key, wrong;
	char path[PATH_MAX], deleted[PATH_MAX + 16];
	struct mapping self;

	assert_true(find_mapping(f, &self));
	snprintf(path, sizeof(path), "%s", tmp_path("copy.bin"));
	copy_self(path);
	key = file_key(path);
	assert_string_equal(symbolizer__user(sym, &key, file_offset(&self, f)), "fixture_static");

	wrong = key;
	wrong.ino = key.ino + 1;
	wrong.pid = getpid(); /* /proc/self/root/PATH is the same file: still wrong */
	assert_null(symbolizer__user(sym, &wrong, file_offset(&self, f)));

	/* " (deleted)" is dropped; the inode decides */
	snprintf(deleted, sizeof(deleted), "%s (deleted)", path);
	key.path = deleted;
	key.dev += 1; /* another identity for the cache: opened afresh */
	assert_string_equal(symbolizer__user(sym, &key, file_offset(&self, f)), "fixture_static");
	key.ino = 0; /* without an inode, a deleted file cannot be recognised */
	assert_null(symbolizer__user(sym, &key, file_offset(&self, f)));
	symbolizer__free(sym);
}

/*
 * A file rewritten in place keeps its inode: the size and mtime in its key
 * tell the versions apart, each answered from its own content.
 */
static void test_rewritten_in_place(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	const char *pid_fn = (const char *)(uintptr_t)getpid;
	struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
	struct symbolizer *sym = symbolizer__new(NULL);
	struct sym_file_key before, after;
	struct mapping self, libc;
	char path[PATH_MAX], *data;
	const char *name;
	size_t len;

	assert_true(find_mapping(f, &self));
	assert_true(find_mapping(pid_fn, &libc));
	snprintf(path, sizeof(path), "%s", tmp_path("inplace.bin"));
	copy_self(path);
	before = versioned_key(path);
	assert_string_equal(symbolizer__user(sym, &before, file_offset(&self, f)),
			    "fixture_static");

	/* libc's bytes over it (fopen "w" truncates: same inode), and another mtime */
	assert_int_equal(fs_read_file(libc.path, &data, &len), 0);
	write_file(path, data, len);
	free(data);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	after = versioned_key(path);
	assert_true(after.ino == before.ino && after.dev == before.dev);
	assert_true(after.size != before.size || after.mtime_ns != before.mtime_ns);
	name = symbolizer__user(sym, &after, file_offset(&libc, pid_fn));
	assert_non_null(name);
	assert_true(!strcmp(name, "__getpid") || !strcmp(name, "getpid"));

	/* the first version stays as it was read */
	assert_string_equal(symbolizer__user(sym, &before, file_offset(&self, f)),
			    "fixture_static");
	symbolizer__free(sym);
}

/* Two copies of one binary (two inodes, one build-id) are read once: the second shares the first.
 */
static void test_same_build_id_shared(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	struct symbolizer *sym = symbolizer__new(NULL);
	struct symbolizer_stats st;
	struct sym_file_key a, b;
	char pa[PATH_MAX], pb[PATH_MAX];
	struct mapping self;
	unsigned char id[DEBUG_FILE_MAX_BUILD_ID];
	int fd;

	assert_true(find_mapping(f, &self));
	snprintf(pa, sizeof(pa), "%s", tmp_path("same-a.bin"));
	snprintf(pb, sizeof(pb), "%s", tmp_path("same-b.bin"));
	copy_self(pa);
	copy_self(pb);
	fd = open(pa, O_RDONLY);
	assert_true(fd >= 0);
	if (!debug_file__build_id(fd, id)) {
		close(fd);
		symbolizer__free(sym);
		print_message("skipped: this test binary was linked without a build-id\n");
		skip();
	}
	close(fd);
	a = file_key(pa);
	b = file_key(pb);
	assert_true(a.ino != b.ino);
	assert_string_equal(symbolizer__user(sym, &a, file_offset(&self, f)), "fixture_static");
	assert_string_equal(symbolizer__user(sym, &b, file_offset(&self, f)), "fixture_static");
	symbolizer__stats(sym, &st);
	assert_int_equal(st.files, 1);
	assert_true(st.symbol_bytes > 0);
	symbolizer__free(sym);
}

static int debug_opens;

static void count_open_failures(enum fs_log_level level, const char *fmt, va_list ap)
{
	if (strstr(fmt, "cannot open"))
		debug_opens++;
}

/* A failed open is remembered; a different pid gets one more try (another root). */
static void test_failure_remembered(void **state)
{
	struct symbolizer *sym = symbolizer__new(NULL);
	struct sym_file_key key = {.path = "/nonexistent/libgone.so", .dev = 8, .ino = 1234};
	fs_log_fn old = fs_log_set_handler(count_open_failures);
	int i;

	debug_opens = 0;
	for (i = 0; i < 5; i++)
		assert_null(symbolizer__user(sym, &key, 0x1000));
	assert_int_equal(debug_opens, 1);
	key.pid = 1;
	assert_null(symbolizer__user(sym, &key, 0x1000));
	assert_null(symbolizer__user(sym, &key, 0x1000));
	assert_int_equal(debug_opens, 2);
	for (i = 2; i < 20; i++) {
		key.pid = i;
		assert_null(symbolizer__user(sym, &key, 0x1000));
	}
	assert_true(debug_opens <= 4);
	fs_log_set_handler(old);
	symbolizer__free(sym);
}

/*
 * A file only visible in another process's root: a child chroots into the
 * temporary directory, and /proc/CHILD/root/PATH finds the file.
 */
static void test_proc_root_fallback(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	int ready[2], done[2];
	struct sym_file_key key;
	struct symbolizer *sym;
	struct mapping self;
	char ok = 0;
	pid_t pid;

	assert_true(find_mapping(f, &self));
	copy_self(tmp_path("in-root.bin"));
	key = file_key(tmp_path("in-root.bin"));
	key.path = "/in-root.bin";
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(ready[0]);
		close(done[1]);
		/* root can chroot; others may in a user namespace of their own */
		ok = chroot(tmpdir) == 0 || (unshare(CLONE_NEWUSER) == 0 && chroot(tmpdir) == 0);
		if (write(ready[1], &ok, 1) != 1 || read(done[0], &ok, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	assert_int_equal(read(ready[0], &ok, 1), 1);
	close(ready[0]);
	if (ok) {
		sym = symbolizer__new(NULL);
		/* first without the pid: no such path here */
		key.pid = 0;
		assert_null(symbolizer__user(sym, &key, file_offset(&self, f)));
		key.pid = pid;
		assert_string_equal(symbolizer__user(sym, &key, file_offset(&self, f)),
				    "fixture_static");
		symbolizer__free(sym);
	}
	close(done[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	if (!ok) {
		print_message("skipped: cannot chroot a child (needs CAP_SYS_CHROOT or "
			      "unprivileged user namespaces)\n");
		skip();
	}
}

/* ---- the vDSO ---- */

static void test_vdso(void **state)
{
	const void *vdso = (const void *)getauxval(AT_SYSINFO_EHDR);
	struct symbolizer *sym;
	struct sym_file_key key = {.path = "[vdso]", .pid = 1};
	bool found = false;
	struct mapping m;
	uint64_t off;

	if (!vdso) {
		print_message("skipped: this process has no vDSO (AT_SYSINFO_EHDR is 0)\n");
		skip();
	}
	assert_true(find_mapping(vdso, &m));
	assert_string_equal(m.path, "[vdso]");
	sym = symbolizer__new(NULL);
	/* every byte of the image: the clock functions are in it */
	for (off = 0; off < m.end - m.start; off++) {
		const char *name = symbolizer__user(sym, &key, off);

		if (name && (!strcmp(name, "__vdso_clock_gettime") ||
			     !strcmp(name, "__kernel_clock_gettime")))
			found = true;
	}
	assert_true(found);
	symbolizer__free(sym);
}

/* ---- the covering rules against a plain reference ---- */

struct ref_sym {
	uint64_t addr, size;
	unsigned int bind, type, section; /* section: 1 .text, 2 .data */
	char name[16];			  /* "" for a nameless symbol */
};

#define REF_TEXT_START 0x1000
#define REF_TEXT_SIZE  2000
#define REF_DATA_START 0x3000
#define REF_DATA_SIZE  500

/* An ELF64 image with one PT_LOAD and @syms in .symtab; the caller frees. */
static char *build_image(const struct ref_sym *syms, size_t n, size_t *len)
{
	static const char shstr[] = "\0.text\0.data\0.symtab\0.strtab\0.shstrtab";
	struct strbuf img = STRBUF_INIT, strtab = STRBUF_INIT;
	size_t symoff, stroff, shstroff, shoff, i;
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph = {0};
	Elf64_Shdr sh[6] = {{0}};
	Elf64_Sym sym = {0};

	strbuf_addch(&strtab, '\0');
	strbuf_add(&img, &eh, sizeof(eh));
	strbuf_add(&img, &ph, sizeof(ph));
	symoff = img.len;
	strbuf_add(&img, &sym, sizeof(sym));
	for (i = 0; i < n; i++) {
		sym.st_name = syms[i].name[0] ? (uint32_t)strtab.len : 0;
		if (syms[i].name[0])
			strbuf_add(&strtab, syms[i].name, strlen(syms[i].name) + 1);
		sym.st_info = ELF64_ST_INFO(syms[i].bind, syms[i].type);
		sym.st_shndx = (uint16_t)syms[i].section;
		sym.st_value = syms[i].addr;
		sym.st_size = syms[i].size;
		strbuf_add(&img, &sym, sizeof(sym));
	}
	stroff = img.len;
	strbuf_add(&img, strtab.buf, strtab.len);
	shstroff = img.len;
	strbuf_add(&img, shstr, sizeof(shstr));
	while (img.len % 8)
		strbuf_addch(&img, '\0');
	shoff = img.len;
	/* .text and .data hold no bytes here: only their addresses matter */
	sh[1] = (Elf64_Shdr){
		1,  SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, REF_TEXT_START, 0, REF_TEXT_SIZE, 0, 0,
		16, 0};
	sh[2] = (Elf64_Shdr){
		7, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, REF_DATA_START, 0, REF_DATA_SIZE, 0, 0, 8, 0};
	sh[3] = (Elf64_Shdr){13, SHT_SYMTAB, 0, 0,	    symoff, (n + 1) * sizeof(sym),
			     4,	 1,	     8, sizeof(sym)};
	sh[4] = (Elf64_Shdr){21, SHT_STRTAB, 0, 0, stroff, strtab.len, 0, 0, 1, 0};
	sh[5] = (Elf64_Shdr){29, SHT_STRTAB, 0, 0, shstroff, sizeof(shstr), 0, 0, 1, 0};
	strbuf_add(&img, sh, sizeof(sh));

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 6;
	eh.e_shstrndx = 5;
	ph = (Elf64_Phdr){PT_LOAD, PF_R | PF_X, 0, 0, 0, img.len, img.len, 0x1000};
	memcpy(img.buf, &eh, sizeof(eh));
	memcpy(img.buf + sizeof(eh), &ph, sizeof(ph));
	strbuf_release(&strtab);
	return strbuf_detach(&img, len);
}

static bool ref_kept(const struct ref_sym *s)
{
	if (!s->name[0])
		return false;
	if (s->type == STT_FUNC)
		return true;
	return s->type == STT_NOTYPE && s->section == 1;
}

static unsigned int ref_rank(const struct ref_sym *s)
{
	unsigned int b = s->bind == STB_GLOBAL ? 0 : s->bind == STB_WEAK ? 1 : 2;

	return b * 4 + (s->size ? 0 : 2) + (s->type == STT_NOTYPE);
}

/* The group at @addr: its shown name, whether sized, and what it covers. */
static const struct ref_sym *ref_group(const struct ref_sym *syms, size_t n, uint64_t addr,
				       bool *sized, uint64_t *end)
{
	const struct ref_sym *best = NULL;
	uint64_t next = UINT64_MAX, sec_end = 0;
	size_t i;

	*sized = false;
	*end = addr;
	for (i = 0; i < n; i++) {
		const struct ref_sym *s = &syms[i];
		uint64_t se;

		if (!ref_kept(s))
			continue;
		if (s->addr > addr && s->addr < next)
			next = s->addr;
		if (s->addr != addr)
			continue;
		if (!best || ref_rank(s) < ref_rank(best))
			best = s;
		if (s->size) {
			*sized = true;
			if (s->addr + s->size > *end)
				*end = s->addr + s->size;
		}
		se = s->section == 1 ? REF_TEXT_START + REF_TEXT_SIZE
				     : REF_DATA_START + REF_DATA_SIZE;
		if (se > sec_end)
			sec_end = se;
	}
	if (best && !*sized) {
		*end = next < sec_end ? next : sec_end;
		if (*end < addr)
			*end = addr;
	}
	return best;
}

/* The documented rules, the slow way. */
static const char *ref_lookup(const struct ref_sym *syms, size_t n, uint64_t v)
{
	const struct ref_sym *inner = NULL, *last = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ref_sym *g;
		uint64_t end;
		bool sized;

		if (!ref_kept(&syms[i]) || syms[i].addr > v)
			continue;
		g = ref_group(syms, n, syms[i].addr, &sized, &end);
		if (sized && v < end && (!inner || g->addr > inner->addr))
			inner = g;
		if (!last || g->addr > last->addr)
			last = g;
	}
	if (inner)
		return inner->name;
	if (last) {
		uint64_t end;
		bool sized;

		ref_group(syms, n, last->addr, &sized, &end);
		if (!sized && v < end)
			return last->name;
	}
	return NULL;
}

static void test_covering_rules_random(void **state)
{
	static const unsigned int binds[] = {STB_LOCAL, STB_GLOBAL, STB_WEAK};
	static const unsigned int types[] = {STT_FUNC, STT_FUNC, STT_NOTYPE, STT_OBJECT};
	uint64_t seed = 0x1234567, pool[24];
	struct ref_sym syms[120];
	int round;

	for (round = 0; round < 60; round++) {
		size_t n = 1 + rng_next(&seed) % 120, i, len;
		struct elf_symbols *es;
		char *image;
		uint64_t v;

		for (i = 0; i < 24; i++)
			pool[i] = REF_TEXT_START - 50 + rng_next(&seed) % (REF_TEXT_SIZE + 100);
		for (i = 0; i < n; i++) {
			struct ref_sym *s = &syms[i];
			uint64_t r = rng_next(&seed);

			/* shared addresses are common: aliases */
			s->addr = r % 3 ? pool[r % 24] : REF_TEXT_START + (r >> 16) % REF_TEXT_SIZE;
			s->size = (r >> 8) % 5 < 2 ? 0 : 1 + (r >> 24) % 300;
			s->bind = binds[(r >> 32) % 3];
			s->type = types[(r >> 36) % 4];
			s->section = (r >> 40) % 6 ? 1 : 2;
			if ((r >> 44) % 20 == 0)
				s->name[0] = '\0';
			else
				snprintf(s->name, sizeof(s->name), "s%zu", i);
		}
		/*
		 * Every other round, a symbol 2^61 bytes up: too wide a span for
		 * the packed sort words, so the other sort is checked the same way
		 */
		if (round % 2)
			syms[n - 1].addr = REF_TEXT_START + (UINT64_C(1) << 61);
		image = build_image(syms, n, &len);
		es = elf_symbols__from_memory(image, len);
		assert_non_null(es);
		for (v = REF_TEXT_START - 64; v < REF_TEXT_START + REF_TEXT_SIZE + 400; v++) {
			const char *want = ref_lookup(syms, n, v), *got = elf_name_at(es, v);

			if (!want != !got || (want && strcmp(want, got))) {
				print_message("round %d, address %#llx: want %s, got %s\n", round,
					      (unsigned long long)v, want ? want : "nothing",
					      got ? got : "nothing");
				fail();
			}
		}
		elf_symbols__free(es);
		free(image);
	}
}

/* ---- hostile ELF images ---- */

/*
 * Corrupt this binary's headers, section table and symbol tables at random
 * (fixed seed) and load it from memory: never a crash, and every name found
 * is a C string.
 */
static void test_corrupt_images(void **state)
{
	const char *f = (const char *)(uintptr_t)fixture_static;
	uint64_t seed = 0x5eed1234abcdULL, shoff;
	char *image, *copy;
	struct mapping self;
	size_t len, i;
	int round;

	assert_true(find_mapping(f, &self));
	assert_int_equal(fs_read_file("/proc/self/exe", &image, &len), 0);
	assert_true(len > 4096);
	memcpy(&shoff, image + 0x28, sizeof(shoff)); /* e_shoff of an ELF64 header */
	copy = malloc(len);
	assert_non_null(copy);
	for (round = 0; round < 300; round++) {
		struct elf_symbols *es;
		int k;

		memcpy(copy, image, len);
		for (k = 0; k < 1 + round % 16; k++) {
			uint64_t r = rng_next(&seed);
			size_t pos;

			switch (r % 4) {
			case 0: /* the ELF and program headers */
				pos = (r >> 8) % 1024;
				break;
			case 1: /* the section header table */
				pos = shoff < len ? shoff + (r >> 8) % (len - shoff) : 0;
				break;
			default: /* anywhere, the symbol tables near the end included */
				pos = (r >> 8) % len;
				break;
			}
			copy[pos] = (char)(rng_next(&seed) >> 24);
		}
		es = elf_symbols__from_memory(copy, len);
		if (!es)
			continue;
		for (i = 0; i < elf_symbols__count(es); i++)
			assert_true(strlen(elf_symbols__name(es, i)) > 0);
		for (k = 0; k < 64; k++) {
			uint64_t vaddr, off = k ? rng_next(&seed) % len : file_offset(&self, f);
			long idx;

			if (elf_symbols__offset_to_vaddr(es, off, &vaddr) < 0)
				continue;
			idx = elf_symbols__find(es, vaddr);
			if (idx >= 0)
				assert_true((size_t)idx < elf_symbols__count(es));
		}
		elf_symbols__free(es);
	}
	/* cut short at every length up to a few kilobytes */
	for (i = 0; i < 4096; i += 61)
		elf_symbols__free(elf_symbols__from_memory(image, i));
	free(copy);
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions),
		cmocka_unit_test(test_pie_load_bias),
		cmocka_unit_test(test_aliases_prefer_global),
		cmocka_unit_test(test_sized_and_untyped),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_shared_object_vaddr_offset),
		cmocka_unit_test(test_cxx_demangling),
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_demangle_hostile),
		cmocka_unit_test(test_unusable_files),
		cmocka_unit_test(test_inode_check),
		cmocka_unit_test(test_rewritten_in_place),
		cmocka_unit_test(test_same_build_id_shared),
		cmocka_unit_test(test_failure_remembered),
		cmocka_unit_test(test_proc_root_fallback),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_covering_rules_random),
		cmocka_unit_test(test_corrupt_images),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
