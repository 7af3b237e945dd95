// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for symbolize/dwarf_info and the DWARF side of the symbolizer:
 * inline frame chains and source lines.  The fixture is
 * tests/programs/inline_split.c, compiled at test time (gcc as PIE and
 * non-PIE, clang when installed); the lines the tests expect are found by
 * the LINE_* markers of its source, never written down here.  Also: its
 * DWARF in separate debug files (.gnu_debuglink, the build-id path, a
 * debuginfod server run on 127.0.0.1), the memory limit, prepare(), DWARF
 * overwritten with random bytes, string sections without their final NUL,
 * dwarf_reader's frames against libdw's (compilers, DWARF versions, -O0),
 * and C++ names.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/elf_offsets.h"
#include "tests/test_shell.h"

#include "common/strbuf.h"
#include "symbolize/dwarf_info.h"
#include "symbolize/elf_symbols.h"
#include "symbolize/symbolizer.h"

#define SOURCE	   "tests/programs/inline_split.c"
#define MAX_FRAMES 16

static char tmpdir[] = "/tmp/fs-dwarf-info-XXXXXX";

/* ---- the compiled fixtures, built once on first use ---- */

static struct {
	bool tried, ok;
	char source[PATH_MAX]; /* absolute path of inline_split.c */
	char pie[PATH_MAX];    /* cc -O2 -g, position-independent */
	char nopie[PATH_MAX];  /* cc -O2 -g -no-pie */
	char clang[PATH_MAX];  /* clang -O2 -g; "" when clang is missing */
	/* source lines of the markers */
	unsigned int line_mix, line_for, line_outer_a, line_work_a;
} fx;

static char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* The line of @source whose comment is @marker alone: the header's mention of LINE_* is not one. */
static unsigned int marker_line(const char *source, const char *marker)
{
	char want[64], line[512];
	unsigned int n = 0, found = 0;
	FILE *f = fopen(source, "r");

	assert_non_null(f);
	snprintf(want, sizeof(want), "/* %s */", marker);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, want)) {
			assert_int_equal(found, 0); /* one line per marker */
			found = n;
		}
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

/* The nearest line above @below that starts a for loop. */
static unsigned int for_line_above(const char *source, unsigned int below)
{
	char line[512];
	unsigned int n = 0, found = 0;
	FILE *f = fopen(source, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && ++n < below)
		if (strstr(line, "for ("))
			found = n;
	fclose(f);
	assert_true(found > 0);
	return found;
}

static bool have_tools(const char *tools)
{
	if (run("for t in %s; do command -v $t || exit 1; done", tools))
		return true;
	print_message("skipped: needs %s in PATH\n", tools);
	return false;
}

/* Build the fixtures; false (with the reason printed) when that cannot be done. */
static bool have_programs(void)
{
	if (fx.tried) {
		if (!fx.ok)
			print_message(
				"skipped: the test programs could not be built (see the first "
				"skipped test)\n");
		return fx.ok;
	}
	fx.tried = true;
	if (!realpath(SOURCE, fx.source)) {
		print_message("skipped: %s is missing (the tests run from the repository root)\n",
			      SOURCE);
		return false;
	}
	if (!have_tools("cc objcopy strip"))
		return false;
	snprintf(fx.pie, sizeof(fx.pie), "%s", tmp_path("inline_split"));
	snprintf(fx.nopie, sizeof(fx.nopie), "%s", tmp_path("inline_split_nopie"));
	if (!run("cc -O2 -g -fPIE -pie -Wl,--build-id -o '%s' '%s'", fx.pie, fx.source) ||
	    !run("cc -O2 -g -fno-pie -no-pie -Wl,--build-id -o '%s' '%s'", fx.nopie, fx.source)) {
		print_message("skipped: 'cc -O2 -g' cannot build %s (with and without -pie)\n",
			      SOURCE);
		return false;
	}
	fx.clang[0] = '\0';
	if (run("command -v clang")) {
		snprintf(fx.clang, sizeof(fx.clang), "%s", tmp_path("inline_split_clang"));
		assert_true(run("clang -O2 -g -Wl,--build-id -o '%s' '%s'", fx.clang, fx.source));
	}
	fx.line_mix = marker_line(fx.source, "LINE_MIX");
	fx.line_for = for_line_above(fx.source, fx.line_mix);
	fx.line_outer_a = marker_line(fx.source, "LINE_OUTER_A");
	fx.line_work_a = marker_line(fx.source, "LINE_WORK_A");
	fx.ok = true;
	return true;
}

/* ---- ELF helpers (libelf, independent of the code under test) ---- */

struct section_info {
	uint64_t offset, addr, size;
};

static bool section_of(const char *path, const char *name, struct section_info *out)
{
	int fd = open(path, O_RDONLY);
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t shstrndx;
	Elf *elf;

	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		const char *n;
		GElf_Shdr sh;

		assert_non_null(gelf_getshdr(scn, &sh));
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*out = (struct section_info){sh.sh_offset, sh.sh_addr, sh.sh_size};
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

static uint16_t elf_type(const char *path)
{
	int fd = open(path, O_RDONLY);
	GElf_Ehdr eh;
	Elf *elf;

	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_non_null(gelf_getehdr(elf, &eh));
	elf_end(elf);
	close(fd);
	return eh.e_type;
}

/* The GNU build-id of @path as lowercase hex; false when it has none. */
static bool build_id_hex(const char *path, char *hex, size_t cap)
{
	int fd = open(path, O_RDONLY);
	Elf_Scn *scn = NULL;
	bool ok = false;
	Elf *elf;

	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	while (!ok && (scn = elf_nextscn(elf, scn))) {
		size_t off = 0, next, name_off, desc_off, i;
		Elf_Data *d;
		GElf_Shdr sh;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && !ok && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;

			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz >= 2 && 2 * nh.n_descsz < cap) {
				for (i = 0; i < nh.n_descsz; i++)
					snprintf(hex + 2 * i, 3, "%02x", desc[i]);
				ok = true;
			}
			off = next;
		}
	}
	elf_end(elf);
	close(fd);
	return ok;
}

/* The addresses [lo, hi) that the symbol table of @path gives to function @name. */
struct addr_span {
	uint64_t lo, hi;
};

static struct addr_span function_span(const char *path, const char *name)
{
	struct elf_symbols *es = elf_symbols__open(path);
	struct addr_span span = {0, 0};
	long idx = -1;
	size_t i;

	assert_non_null(es);
	for (i = 0; i < elf_symbols__count(es); i++)
		if (!strcmp(elf_symbols__name(es, i), name))
			idx = (long)i;
	assert_true(idx >= 0);
	span.lo = span.hi = elf_symbols__addr(es, (size_t)idx);
	while (elf_symbols__find(es, span.hi) == idx)
		span.hi++;
	elf_symbols__free(es);
	assert_true(span.hi > span.lo);
	return span;
}

/* ---- symbolizer helpers ---- */

struct keyed_file {
	struct sym_file_key key;
	char path[PATH_MAX];
};

static void keyed_file__init(struct keyed_file *kf, const char *path)
{
	struct stat st;

	memset(kf, 0, sizeof(*kf));
	snprintf(kf->path, sizeof(kf->path), "%s", path);
	assert_int_equal(stat(path, &st), 0);
	kf->key = (struct sym_file_key){
		.path = kf->path, .dev = st.st_dev, .ino = st.st_ino, .pid = 0};
}

/* A debug root with nothing in it: only what the tests place is found. */
static const char *nowhere(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no-debug-root", tmpdir);
	return path;
}

static struct symbolizer *new_symbolizer(bool inline_frames, bool lines, bool demangle,
					 const char *debug_root, size_t memory_limit)
{
	struct symbolizer_options opts;

	symbolizer_options__init(&opts);
	opts.inline_frames = inline_frames;
	opts.lines = lines;
	opts.demangle = demangle;
	opts.debug_root = debug_root ? debug_root : nowhere();
	opts.memory_limit = memory_limit;
	return symbolizer__new(&opts);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void describe(struct strbuf *sb, const struct sym_frame *f, size_t n)
{
	size_t i;

	if (!n)
		strbuf_addstr(sb, "(nothing)");
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s at %s:%u%s", i ? " <- " : "", f[i].name ? f[i].name : "?",
			    f[i].file ? f[i].file : "-", f[i].line,
			    f[i].inlined ? " (inlined)" : "");
}

static bool same_frames(const struct sym_frame *a, size_t na, const struct sym_frame *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!same_str(a[i].name, b[i].name) || !same_str(a[i].file, b[i].file) ||
		    a[i].line != b[i].line || a[i].inlined != b[i].inlined)
			return false;
	return true;
}

static void assert_same_frames(const struct sym_frame *got, size_t ngot,
			       const struct sym_frame *want, size_t nwant, uint64_t addr,
			       const char *what)
{
	struct strbuf g = STRBUF_INIT, w = STRBUF_INIT;

	if (same_frames(got, ngot, want, nwant))
		return;
	describe(&g, got, ngot);
	describe(&w, want, nwant);
	print_message("%s, address %#llx:\n  got  %s\n  want %s\n", what, (unsigned long long)addr,
		      g.buf, w.buf);
	strbuf_release(&g);
	strbuf_release(&w);
	fail();
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Frames copied out of the symbolizer: they outlive the next call even when indexes are dropped. */
struct frames_copy {
	size_t n;
	struct sym_frame f[MAX_FRAMES];
};

static void frames_copy__take(struct frames_copy *c, const struct sym_frame *f, size_t n)
{
	size_t i;

	c->n = n;
	for (i = 0; i < n; i++) {
		c->f[i] = f[i];
		c->f[i].name = f[i].name ? strdup(f[i].name) : NULL;
		c->f[i].file = f[i].file ? strdup(f[i].file) : NULL;
	}
}

static void frames_copy__release(struct frames_copy *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free((char *)c->f[i].name);
		free((char *)c->f[i].file);
	}
	c->n = 0;
}

/* The frames of every address of @span of @path, copied. */
static struct frames_copy *frames_of_span(struct symbolizer *sym, const char *path,
					  struct addr_span span)
{
	struct frames_copy *all = calloc(span.hi - span.lo, sizeof(*all));
	struct sym_frame f[MAX_FRAMES];
	struct keyed_file kf;
	uint64_t a;

	assert_non_null(all);
	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++)
		frames_copy__take(&all[a - span.lo], f,
				  symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES));
	return all;
}

static void frames_of_span__free(struct frames_copy *all, struct addr_span span)
{
	uint64_t a;

	for (a = span.lo; a < span.hi; a++)
		frames_copy__release(&all[a - span.lo]);
	free(all);
}

/* Whether @f is the chain mix <- outer_a <- work_a. */
static bool is_mix_chain(const struct sym_frame *f, size_t n)
{
	return n == 3 && same_str(f[0].name, "mix") && same_str(f[1].name, "outer_a") &&
	       same_str(f[2].name, "work_a");
}

/* ---- setup ---- */

static int setup(void **state)
{
	/* nothing here may reach a real symbol server */
	unsetenv("DEBUGINFOD_URLS");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return remove_tree(tmpdir);
}

/* ---- 1. inline chains and lines ---- */

/*
 * Every address of work_a in @path: the last frame is work_a (not inlined),
 * every other one inlined; a chain mix <- outer_a <- work_a has the lines
 * of the calls and file names of the source; and at least one address
 * gives that chain with mix on its loop's line.
 */
static void check_inline_chain(const char *path, const char *label)
{
	struct symbolizer *sym = new_symbolizer(true, true, true, NULL, 0);
	struct addr_span span = function_span(path, "work_a");
	struct sym_frame f[MAX_FRAMES];
	struct strbuf d = STRBUF_INIT;
	size_t n, i, chains = 0, good = 0;
	struct keyed_file kf;
	uint64_t a;

	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++) {
		n = symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES);
		strbuf_reset(&d);
		describe(&d, f, n);
		if (n < 1 || !same_str(f[n - 1].name, "work_a") || f[n - 1].inlined)
			print_message("%s: %#llx: %s\n", label, (unsigned long long)a, d.buf);
		assert_true(n >= 1);
		assert_string_equal(f[n - 1].name, "work_a");
		assert_false(f[n - 1].inlined);
		for (i = 0; i < n; i++) {
			assert_non_null(f[i].name);
			assert_int_equal(f[i].inlined, i + 1 < n);
			if (f[i].file)
				assert_true(ends_with(f[i].file, "inline_split.c"));
		}
		if (!is_mix_chain(f, n))
			continue;
		chains++;
		/* the call lines do not depend on the address */
		assert_int_equal(f[1].line, fx.line_outer_a);
		assert_int_equal(f[2].line, fx.line_work_a);
		assert_non_null(f[1].file);
		assert_non_null(f[2].file);
		if (f[0].file && (f[0].line == fx.line_mix || f[0].line == fx.line_for))
			good++;
	}
	print_message("%s: work_a has %llu bytes, %zu with the chain mix <- outer_a <- work_a, %zu "
		      "of them on mix's loop\n",
		      label, (unsigned long long)(span.hi - span.lo), chains, good);
	assert_true(good > 0);
	strbuf_release(&d);
	symbolizer__free(sym);
}

static void test_inline_chain(void **state)
{
	if (!have_programs())
		skip();
	check_inline_chain(fx.pie, "gcc -pie");
	check_inline_chain(fx.nopie, "gcc -no-pie");
	if (fx.clang[0])
		check_inline_chain(fx.clang, "clang");
	else
		print_message("note: clang is missing, its DWARF is not tested\n");
}

/* ---- 2. inline frames off, lines off ---- */

static void check_options_off(const char *path, const char *label)
{
	struct symbolizer *full = new_symbolizer(true, true, true, NULL, 0);
	struct symbolizer *no_inl = new_symbolizer(false, true, true, NULL, 0);
	struct symbolizer *none = new_symbolizer(false, false, true, NULL, 0);
	struct addr_span span = function_span(path, "work_a");
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct symbolizer_stats st;
	size_t n, in_loop = 0;
	struct keyed_file kf;
	uint64_t a;

	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++) {
		size_t nf = symbolizer__file_frames(full, &kf.key, a, f, MAX_FRAMES);

		n = symbolizer__file_frames(no_inl, &kf.key, a, g, MAX_FRAMES);
		assert_int_equal(n, 1);
		assert_string_equal(g[0].name, "work_a");
		assert_false(g[0].inlined);
		/* the outermost frame of the full chain, line included */
		assert_same_frames(g, 1, &f[nf - 1], 1, a, label);
		if (is_mix_chain(f, nf)) {
			in_loop++;
			assert_non_null(g[0].file);
			assert_true(ends_with(g[0].file, "inline_split.c"));
			assert_int_equal(g[0].line, fx.line_work_a);
		}

		n = symbolizer__file_frames(none, &kf.key, a, g, MAX_FRAMES);
		assert_int_equal(n, 1);
		assert_string_equal(g[0].name, "work_a");
		assert_null(g[0].file);
		assert_int_equal(g[0].line, 0);
		assert_false(g[0].inlined);
	}
	assert_true(in_loop > 0);
	/* with both off, DWARF is never read */
	symbolizer__stats(none, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.dwarf_files, 0);
	assert_int_equal(st.dwarf_bytes, 0);
	symbolizer__free(none);
	symbolizer__free(no_inl);
	symbolizer__free(full);
}

static void test_options_off(void **state)
{
	if (!have_programs())
		skip();
	check_options_off(fx.pie, "gcc -pie");
	check_options_off(fx.nopie, "gcc -no-pie");
	if (fx.clang[0])
		check_options_off(fx.clang, "clang");
}

/* At most @max frames: the outermost are kept. */
static void test_max_frames(void **state)
{
	struct symbolizer *sym;
	struct addr_span span;
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct keyed_file kf;
	size_t n, checked = 0;
	uint64_t a;

	if (!have_programs())
		skip();
	sym = new_symbolizer(true, true, true, NULL, 0);
	span = function_span(fx.pie, "work_a");
	keyed_file__init(&kf, fx.pie);
	for (a = span.lo; a < span.hi; a++) {
		n = symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES);
		if (!is_mix_chain(f, n))
			continue;
		assert_int_equal(symbolizer__file_frames(sym, &kf.key, a, g, 2), 2);
		assert_same_frames(g, 2, &f[1], 2, a, "max 2");
		assert_int_equal(symbolizer__file_frames(sym, &kf.key, a, g, 1), 1);
		assert_same_frames(g, 1, &f[2], 1, a, "max 1");
		assert_int_equal(symbolizer__file_frames(sym, &kf.key, a, g, 0), 0);
		checked++;
	}
	assert_true(checked > 0);
	symbolizer__free(sym);
}

/* ---- 3. file offsets ---- */

static void check_user_frames(const char *path, const char *label)
{
	struct symbolizer *by_vaddr = new_symbolizer(true, true, true, NULL, 0);
	struct symbolizer *by_offset = new_symbolizer(true, true, true, NULL, 0);
	struct addr_span span = function_span(path, "work_a");
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct keyed_file kf;
	uint64_t a;

	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++) {
		size_t nf = symbolizer__file_frames(by_vaddr, &kf.key, a, f, MAX_FRAMES);
		size_t ng = symbolizer__user_frames(by_offset, &kf.key, offset_of_vaddr(path, a), g,
						    MAX_FRAMES);

		assert_true(nf >= 1);
		assert_same_frames(g, ng, f, nf, a, label);
	}
	symbolizer__free(by_offset);
	symbolizer__free(by_vaddr);
}

static void test_user_frames_offsets(void **state)
{
	if (!have_programs())
		skip();
	assert_int_equal(elf_type(fx.pie), ET_DYN);
	assert_int_equal(elf_type(fx.nopie), ET_EXEC);
	check_user_frames(fx.pie, "gcc -pie, by file offset");
	check_user_frames(fx.nopie, "gcc -no-pie, by file offset");
}

/* ---- 4. separate debug files ---- */

/* Every address of work_a of @path (a copy of fx.pie) gives what the unstripped fx.pie gives. */
static void check_same_as_unstripped(const char *path, const char *debug_root, const char *label)
{
	struct symbolizer *ref = new_symbolizer(true, true, true, NULL, 0);
	struct symbolizer *sym = new_symbolizer(true, true, true, debug_root, 0);
	struct addr_span span = function_span(fx.pie, "work_a");
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct keyed_file kref, kf;
	size_t with_lines = 0;
	uint64_t a;

	keyed_file__init(&kref, fx.pie);
	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++) {
		size_t nf = symbolizer__file_frames(ref, &kref.key, a, f, MAX_FRAMES);
		size_t ng = symbolizer__file_frames(sym, &kf.key, a, g, MAX_FRAMES);

		assert_same_frames(g, ng, f, nf, a, label);
		with_lines += ng && g[0].file;
	}
	assert_true(with_lines > 0);
	symbolizer__free(sym);
	symbolizer__free(ref);
}

static void test_debuglink(void **state)
{
	struct strbuf dir = STRBUF_INIT, dbg = STRBUF_INIT, all = STRBUF_INIT;

	if (!have_programs())
		skip();
	strbuf_addf(&dir, "%s/debuglink", tmpdir);
	strbuf_addf(&dbg, "%s/prog_dbg", dir.buf);
	strbuf_addf(&all, "%s/prog_all", dir.buf);
	/* prog_dbg keeps .symtab, prog_all keeps only .dynsym; both link to prog.debug */
	assert_true(run("mkdir -p '%1$s' && cd '%1$s' && "
			"objcopy --only-keep-debug '%2$s' prog.debug && "
			"cp '%2$s' prog_dbg && strip --strip-debug prog_dbg && "
			"objcopy --add-gnu-debuglink=prog.debug prog_dbg && "
			"cp '%2$s' prog_all && strip --strip-all prog_all && "
			"objcopy --add-gnu-debuglink=prog.debug prog_all",
			dir.buf, fx.pie));
	assert_false(section_of(dbg.buf, ".debug_info", &(struct section_info){0}));
	assert_false(section_of(all.buf, ".debug_info", &(struct section_info){0}));
	assert_true(section_of(dbg.buf, ".symtab", &(struct section_info){0}));
	assert_false(section_of(all.buf, ".symtab", &(struct section_info){0}));
	check_same_as_unstripped(dbg.buf, NULL, "strip --strip-debug + debug link");
	check_same_as_unstripped(all.buf, NULL, "strip --strip-all + debug link");
	strbuf_release(&all);
	strbuf_release(&dbg);
	strbuf_release(&dir);
}

static void test_build_id_path(void **state)
{
	struct strbuf dir = STRBUF_INIT, root = STRBUF_INIT, prog = STRBUF_INIT;
	struct sym_frame f[MAX_FRAMES];
	struct symbolizer *sym;
	struct keyed_file kf;
	char id[256];

	if (!have_programs())
		skip();
	if (!build_id_hex(fx.pie, id, sizeof(id))) {
		print_message("skipped: 'cc -Wl,--build-id' made no build-id note\n");
		skip();
	}
	strbuf_addf(&dir, "%s/buildid", tmpdir);
	strbuf_addf(&root, "%s/root", dir.buf);
	strbuf_addf(&prog, "%s/prog", dir.buf);
	assert_true(run("mkdir -p '%1$s/.build-id/%2$.2s' && "
			"objcopy --only-keep-debug '%3$s' '%1$s/.build-id/%2$.2s/%4$s.debug' && "
			"cp '%3$s' '%5$s' && strip --strip-all '%5$s'",
			root.buf, id, fx.pie, id + 2, prog.buf));
	check_same_as_unstripped(prog.buf, root.buf, "strip --strip-all + build-id path");

	/* without the debug root, nothing names work_a any more */
	sym = new_symbolizer(true, true, true, NULL, 0);
	keyed_file__init(&kf, prog.buf);
	assert_int_equal(symbolizer__file_frames(sym, &kf.key, function_span(fx.pie, "work_a").lo,
						 f, MAX_FRAMES),
			 0);
	symbolizer__free(sym);
	strbuf_release(&prog);
	strbuf_release(&root);
	strbuf_release(&dir);
}

/* ---- 5. debuginfod ---- */

static pid_t server_pid;
static int server_out = -1; /* its stdout: open until it is stopped, or its next write fails */

/*
 * python3 -m http.server on 127.0.0.1, port 0 (the kernel picks a free
 * one), serving @dir; its port, read from the line it prints, or 0.
 */
static unsigned int start_server(const char *dir)
{
	char out[512] = "";
	size_t len = 0;
	unsigned int port = 0;
	int pipefd[2];

	assert_int_equal(pipe(pipefd), 0);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(pipefd[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		dup2(null, STDIN_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("python3", "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1",
		       "--directory", dir, "0", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	server_out = pipefd[0];
	/* "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ...\n" */
	while (!memchr(out, '\n', len) && len + 1 < sizeof(out)) {
		struct pollfd p = {.fd = server_out, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0)
			break;
		n = read(server_out, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	if (memchr(out, '\n', len) && strstr(out, " port "))
		port = (unsigned int)strtoul(strstr(out, " port ") + strlen(" port "), NULL, 10);
	else
		print_message("python3 -m http.server printed: %s\n", out);
	return port;
}

static int stop_server(void **state)
{
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	unsetenv("DEBUGINFOD_TIMEOUT");
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	if (server_out >= 0) {
		close(server_out);
		server_out = -1;
	}
	return 0;
}

static void test_debuginfod(void **state)
{
	struct strbuf dir = STRBUF_INIT, full = STRBUF_INIT, prog = STRBUF_INIT,
		      cache = STRBUF_INIT, url = STRBUF_INIT, fetched = STRBUF_INIT;
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct symbolizer *ref, *sym;
	struct keyed_file kref, kf;
	struct addr_span span;
	size_t nf, ng, with_lines = 0;
	unsigned int port;
	char id[256];
	uint64_t a;

	if (!have_programs())
		skip();
	if (!run("command -v python3")) {
		print_message("skipped: python3 is missing (it serves the debug file over HTTP)\n");
		skip();
	}
	/* -rdynamic: once stripped, .dynsym still names work_a, so no DWARF is a frame without a
	 * line */
	strbuf_addf(&dir, "%s/debuginfod", tmpdir);
	strbuf_addf(&full, "%s/full", dir.buf);
	strbuf_addf(&prog, "%s/prog", dir.buf);
	assert_true(run("mkdir -p '%1$s' && cd '%1$s' && "
			"cc -O2 -g -fPIE -pie -rdynamic -Wl,--build-id -o full '%2$s' && "
			"cp full prog && strip --strip-all prog",
			dir.buf, fx.source));
	if (!build_id_hex(prog.buf, id, sizeof(id))) {
		print_message("skipped: 'cc -Wl,--build-id' made no build-id note\n");
		skip();
	}
	assert_true(run("cd '%1$s' && mkdir -p srv/buildid/%2$s && "
			"objcopy --only-keep-debug full srv/buildid/%2$s/debuginfo",
			dir.buf, id));
	strbuf_addf(&cache, "%s/cache1", dir.buf);
	strbuf_addf(&fetched, "%s/%s/debuginfo", cache.buf, id);
	strbuf_addf(&url, "%s/srv", dir.buf);
	port = start_server(url.buf);
	assert_true(port > 0);
	strbuf_reset(&url);
	strbuf_addf(&url, "http://127.0.0.1:%u", port);
	setenv("DEBUGINFOD_URLS", url.buf, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache.buf, 1);
	setenv("DEBUGINFOD_TIMEOUT", "20", 1);

	ref = new_symbolizer(true, true, true, NULL, 0);
	sym = new_symbolizer(true, true, true, NULL, 0);
	span = function_span(full.buf, "work_a");
	keyed_file__init(&kref, full.buf);
	keyed_file__init(&kf, prog.buf);
	for (a = span.lo; a < span.hi; a++) {
		nf = symbolizer__file_frames(ref, &kref.key, a, f, MAX_FRAMES);
		ng = symbolizer__file_frames(sym, &kf.key, a, g, MAX_FRAMES);
		assert_same_frames(g, ng, f, nf, a, "strip --strip-all + debuginfod");
		with_lines += ng && g[0].file && is_mix_chain(g, ng);
	}
	assert_true(with_lines > 0);
	/* it came from the server, through the cache named */
	assert_int_equal(access(fetched.buf, R_OK), 0);
	symbolizer__free(sym);

	/* no server named: no lines, even with a fresh cache that holds nothing */
	unsetenv("DEBUGINFOD_URLS");
	strbuf_reset(&cache);
	strbuf_addf(&cache, "%s/cache2", dir.buf);
	setenv("DEBUGINFOD_CACHE_PATH", cache.buf, 1);
	sym = new_symbolizer(true, true, true, NULL, 0);
	for (a = span.lo; a < span.hi; a++) {
		ng = symbolizer__file_frames(sym, &kf.key, a, g, MAX_FRAMES);
		assert_int_equal(ng, 1);
		assert_string_equal(g[0].name, "work_a");
		assert_null(g[0].file);
		assert_int_equal(g[0].line, 0);
	}
	symbolizer__free(sym);
	symbolizer__free(ref);
	strbuf_release(&fetched);
	strbuf_release(&url);
	strbuf_release(&cache);
	strbuf_release(&prog);
	strbuf_release(&full);
	strbuf_release(&dir);
}

/* ---- 6. memory limit ---- */

static void test_memory_limit(void **state)
{
	struct addr_span sp, sn;
	struct frames_copy *want_p, *want_n;
	struct sym_frame f[MAX_FRAMES];
	struct symbolizer_stats st;
	struct keyed_file kp, kn;
	struct symbolizer *sym;
	uint64_t i, len;

	if (!have_programs())
		skip();
	sp = function_span(fx.pie, "work_a");
	sn = function_span(fx.nopie, "work_a");
	keyed_file__init(&kp, fx.pie);
	keyed_file__init(&kn, fx.nopie);

	/* the default limit: nothing dropped */
	sym = new_symbolizer(true, true, true, NULL, 0);
	want_p = frames_of_span(sym, fx.pie, sp);
	want_n = frames_of_span(sym, fx.nopie, sn);
	symbolizer__stats(sym, &st);
	print_message("default limit: %zu files, %zu with DWARF, %zu units, %zu bytes of DWARF "
		      "index, %zu dropped\n",
		      st.files, st.dwarf_files, st.dwarf_units, st.dwarf_bytes, st.dwarf_dropped);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dwarf_files, 2);
	assert_true(st.dwarf_units >= 2);
	assert_true(st.dwarf_bytes > 0);
	assert_true(st.symbol_bytes > 0);
	assert_int_equal(st.dwarf_dropped, 0);
	symbolizer__free(sym);

	/* one byte: every lookup in one file drops the other's index */
	sym = new_symbolizer(true, true, true, NULL, 1);
	len = sp.hi - sp.lo > sn.hi - sn.lo ? sp.hi - sp.lo : sn.hi - sn.lo;
	for (i = 0; i < len; i++) {
		size_t n;

		if (sp.lo + i < sp.hi) {
			n = symbolizer__file_frames(sym, &kp.key, sp.lo + i, f, MAX_FRAMES);
			assert_same_frames(f, n, want_p[i].f, want_p[i].n, sp.lo + i,
					   "memory limit 1, PIE");
		}
		if (sn.lo + i < sn.hi) {
			n = symbolizer__file_frames(sym, &kn.key, sn.lo + i, f, MAX_FRAMES);
			assert_same_frames(f, n, want_n[i].f, want_n[i].n, sn.lo + i,
					   "memory limit 1, no PIE");
		}
	}
	symbolizer__stats(sym, &st);
	print_message("limit 1: %zu dropped\n", st.dwarf_dropped);
	assert_true(st.dwarf_dropped > 0);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dwarf_files, 2);
	symbolizer__free(sym);
	frames_of_span__free(want_n, sn);
	frames_of_span__free(want_p, sp);
}

/* ---- 7. prepare ---- */

/*
 * Every address of .text of @path (every @step-th), through a symbolizer
 * that prepared them all first and one that did not: the same frames.
 */
static void check_prepare(const char *path, uint64_t step, const char *label)
{
	struct symbolizer *prepared = new_symbolizer(true, true, true, NULL, 0);
	struct symbolizer *plain = new_symbolizer(true, true, true, NULL, 0);
	struct sym_frame f[MAX_FRAMES], g[MAX_FRAMES];
	struct symbolizer_stats sp, sn;
	struct section_info text;
	size_t n = 0, i, with_lines = 0, inlined = 0;
	struct keyed_file kf;
	uint64_t *addrs, a;

	assert_true(section_of(path, ".text", &text));
	keyed_file__init(&kf, path);
	addrs = calloc(text.size / step + 1, sizeof(*addrs));
	assert_non_null(addrs);
	/* high to low: the order must not matter */
	for (a = text.addr + text.size; a-- > text.addr;)
		if ((a - text.addr) % step == 0)
			addrs[n++] = a;
	symbolizer__prepare(prepared, &kf.key, addrs, n);
	symbolizer__stats(prepared, &sp);
	assert_true(sp.dwarf_units > 0);
	for (i = 0; i < n; i++) {
		size_t np = symbolizer__file_frames(prepared, &kf.key, addrs[i], f, MAX_FRAMES);
		size_t nn = symbolizer__file_frames(plain, &kf.key, addrs[i], g, MAX_FRAMES);

		assert_same_frames(f, np, g, nn, addrs[i], label);
		with_lines += np && f[0].file;
		inlined += np > 1;
	}
	symbolizer__stats(prepared, &sp);
	symbolizer__stats(plain, &sn);
	print_message("%s: %zu addresses, %zu with a line, %zu in inlined code; %zu units "
		      "indexed\n",
		      label, n, with_lines, inlined, sp.dwarf_units);
	assert_true(with_lines > 0);
	assert_true(inlined > 0);
	/* prepare indexed exactly the units the lookups needed */
	assert_int_equal(sp.dwarf_units, sn.dwarf_units);
	free(addrs);
	symbolizer__free(plain);
	symbolizer__free(prepared);
}

/* Whether libelf reads @path's section headers and finds .text: not a file half written. */
static bool complete_elf(const char *path)
{
	int fd = open(path, O_RDONLY);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	bool text = false;
	size_t shstrndx;

	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0)
		while (!text && (scn = elf_nextscn(elf, scn))) {
			const char *n;
			GElf_Shdr sh;

			text = gelf_getshdr(scn, &sh) &&
			       (n = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(n, ".text");
		}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return text;
}

static void test_prepare(void **state)
{
	const char *big = "build/flamesamp";

	if (!have_programs())
		skip();
	check_prepare(fx.pie, 1, "inline_split");
	if (fx.clang[0])
		check_prepare(fx.clang, 1, "inline_split (clang)");
	if (access(big, R_OK)) {
		print_message(
			"note: %s is missing, prepare() is tested on the small program only\n",
			big);
		return;
	}
	/* a copy: a rebuild while the test runs must not change the file under it */
	assert_true(run("cp '%s' '%s'", big, tmp_path("flamesamp")));
	if (!complete_elf(tmp_path("flamesamp"))) {
		print_message("note: %s is not a complete ELF file (being linked?), prepare() is "
			      "tested on the small programs only\n",
			      big);
		return;
	}
	check_prepare(tmp_path("flamesamp"), 1, big);
}

/* ---- 8. dwarf_info directly ---- */

static struct dwarf_info *open_dwarf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return dwarf_info__open(fd);
}

/* What dwarf_info__open() says about @path: NULL, errno set, and the descriptor closed. */
static int open_failure(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	assert_true(fd >= 0);
	errno = 0;
	assert_null(dwarf_info__open(fd));
	err = errno;
	assert_int_not_equal(err, 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	return err;
}

static void test_unusable_files(void **state)
{
	FILE *f;

	if (!have_programs())
		skip();
	f = fopen(tmp_path("not-elf"), "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho this is not an ELF file\n", f);
	assert_int_equal(fclose(f), 0);
	open_failure(tmp_path("not-elf"));
	f = fopen(tmp_path("empty"), "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	open_failure(tmp_path("empty"));
	assert_true(run("cp '%s' '%s' && strip --strip-debug '%s'", fx.pie,
			tmp_path("no-debug-info"), tmp_path("no-debug-info")));
	assert_int_equal(open_failure(tmp_path("no-debug-info")), ENOENT);
	dwarf_info__free(NULL);
	assert_int_equal(dwarf_info__lookup(NULL, 0, true, &(struct dwarf_location){0}, 1), 0);
	assert_int_equal(dwarf_info__memory(NULL), 0);
}

/* The lookup itself: innermost first, @inlines false, @max, and memory accounting. */
static void test_lookup_direct(void **state)
{
	struct symbolizer *sym;
	struct dwarf_info *di;
	struct addr_span span;
	struct dwarf_location l[MAX_FRAMES];
	struct sym_frame f[MAX_FRAMES];
	struct keyed_file kf;
	size_t n, checked = 0;
	uint64_t a;

	if (!have_programs())
		skip();
	di = open_dwarf(fx.pie);
	assert_non_null(di);
	assert_int_equal(dwarf_info__units_indexed(di), 0);
	assert_int_equal(dwarf_info__memory(di), 0);
	sym = new_symbolizer(true, true, false, NULL, 0);
	keyed_file__init(&kf, fx.pie);
	span = function_span(fx.pie, "work_a");
	for (a = span.lo; a < span.hi; a++) {
		size_t nf = symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES), i;

		n = dwarf_info__lookup(di, a, true, l, MAX_FRAMES);
		assert_int_equal(n, nf);
		for (i = 0; i < n; i++) {
			assert_true(same_str(l[i].name, f[i].name));
			assert_true(same_str(l[i].file, f[i].file));
			assert_int_equal(l[i].line, f[i].line);
		}
		if (!is_mix_chain(f, nf))
			continue;
		/* without inlines, as addr2line without -i: the innermost, on its own line */
		assert_int_equal(dwarf_info__lookup(di, a, false, l, MAX_FRAMES), 1);
		assert_string_equal(l[0].name, "mix");
		assert_int_equal(l[0].line, f[0].line);
		assert_true(same_str(l[0].file, f[0].file));
		/* at most 2: the outermost two */
		assert_int_equal(dwarf_info__lookup(di, a, true, l, 2), 2);
		assert_string_equal(l[0].name, "outer_a");
		assert_int_equal(l[0].line, fx.line_outer_a);
		assert_string_equal(l[1].name, "work_a");
		assert_int_equal(l[1].line, fx.line_work_a);
		assert_int_equal(dwarf_info__lookup(di, a, true, l, 0), 0);
		checked++;
	}
	assert_true(checked > 0);
	assert_int_equal(dwarf_info__units_indexed(di), 1);
	assert_true(dwarf_info__memory(di) > 0);
	/* no unit covers address 0 or the top of the address space */
	assert_int_equal(dwarf_info__lookup(di, 0, true, l, MAX_FRAMES), 0);
	assert_int_equal(dwarf_info__lookup(di, UINT64_MAX, true, l, MAX_FRAMES), 0);

	/* dropped, then built again on demand: the same answers */
	dwarf_info__drop_indexes(di);
	assert_int_equal(dwarf_info__units_indexed(di), 0);
	assert_int_equal(dwarf_info__memory(di), 0);
	for (a = span.lo; a < span.hi; a++) {
		size_t nf = symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES), i;

		n = dwarf_info__lookup(di, a, true, l, MAX_FRAMES);
		assert_int_equal(n, nf);
		for (i = 0; i < n; i++)
			assert_true(same_str(l[i].name, f[i].name) && l[i].line == f[i].line);
	}
	symbolizer__free(sym);
	dwarf_info__free(di);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* @data with the bytes of @sec replaced: all of them, or about one in @sparse (0: all). */
static void scramble(unsigned char *data, const struct section_info *sec, uint64_t *seed,
		     unsigned int sparse)
{
	uint64_t i;

	for (i = 0; i < sec->size; i++)
		if (!sparse || xorshift(seed) % sparse == 0)
			data[sec->offset + i] = (unsigned char)xorshift(seed);
}

static void test_garbage_dwarf(void **state)
{
	struct section_info info, line, text;
	const char *path = tmp_path("garbage");
	struct dwarf_location l[MAX_FRAMES];
	unsigned char *orig, *data;
	size_t size, opened = 0, found = 0, chars = 0;
	uint64_t seed;
	struct stat st;
	FILE *f;
	int mode;

	if (!have_programs())
		skip();
	assert_true(section_of(fx.pie, ".debug_info", &info));
	assert_true(section_of(fx.pie, ".debug_line", &line));
	assert_true(section_of(fx.pie, ".text", &text));
	assert_int_equal(stat(fx.pie, &st), 0);
	size = (size_t)st.st_size;
	assert_true(info.offset + info.size <= size && line.offset + line.size <= size);
	orig = malloc(size);
	data = malloc(size);
	assert_non_null(orig);
	assert_non_null(data);
	f = fopen(fx.pie, "r");
	assert_non_null(f);
	assert_int_equal(fread(orig, 1, size, f), size);
	fclose(f);
	for (seed = 1; seed <= 24; seed++) {
		for (mode = 0; mode < 4; mode++) {
			uint64_t s = seed * 0x9e3779b97f4a7c15ULL, a, *addrs;
			struct dwarf_info *di;
			size_t n = 0, i, k;

			memcpy(data, orig, size);
			/* all of .debug_info, all of .debug_line, then a few bytes of each */
			if (mode == 0)
				scramble(data, &info, &s, 0);
			else if (mode == 1)
				scramble(data, &line, &s, 0);
			else
				scramble(data, mode == 2 ? &info : &line, &s, 64);
			f = fopen(path, "w");
			assert_non_null(f);
			assert_int_equal(fwrite(data, 1, size, f), size);
			assert_int_equal(fclose(f), 0);
			di = open_dwarf(path);
			if (!di)
				continue;
			opened++;
			addrs = calloc(text.size / 7 + 1, sizeof(*addrs));
			assert_non_null(addrs);
			for (a = text.addr; a < text.addr + text.size; a += 7)
				addrs[n++] = a;
			/* half through prepare (its threads and their own handles), half not */
			if (seed % 2)
				dwarf_info__prepare(di, addrs, n, 4);
			for (i = 0; i < n; i++) {
				size_t m = dwarf_info__lookup(di, addrs[i], true, l, MAX_FRAMES);

				assert_true(m <= MAX_FRAMES);
				found += m > 0;
				/* read every string to its end: a bad pointer shows */
				for (k = 0; k < m; k++)
					chars += (l[k].name ? strlen(l[k].name) : 0) +
						 (l[k].file ? strlen(l[k].file) : 0);
				m = dwarf_info__lookup(di, addrs[i], false, l, MAX_FRAMES);
				assert_true(m <= 1);
			}
			(void)dwarf_info__memory(di);
			free(addrs);
			dwarf_info__free(di);
		}
	}
	print_message("%zu of %d scrambled files opened, %zu lookups found something (%zu bytes of "
		      "names)\n",
		      opened, 24 * 4, found, chars);
	free(data);
	free(orig);
}

/*
 * A string section whose last string has no NUL: every string libdw hands
 * out must still end inside the section.  Two files: .debug_line_str with
 * its final NUL replaced (file names, read by dwarf_getsrclines), and
 * .debug_str cut short by its section header inside the name "work_a"
 * (function names).  Real toolchains always terminate them; a hostile or
 * truncated file need not.
 */
static void write_bytes(const char *path, const unsigned char *data, size_t size)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

/* The section header of @name in the 64-bit ELF image @data, or NULL. */
static Elf64_Shdr *shdr_of(unsigned char *data, size_t size, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Shdr strtab;
	size_t i;

	assert_true(size >= sizeof(eh));
	memcpy(&eh, data, sizeof(eh));
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS64);
	assert_true(eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) <= size);
	memcpy(&strtab, data + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(Elf64_Shdr),
	       sizeof(strtab));
	for (i = 0; i < eh.e_shnum; i++) {
		unsigned char *at = data + eh.e_shoff + i * sizeof(Elf64_Shdr);
		Elf64_Shdr sh;

		memcpy(&sh, at, sizeof(sh));
		if (strtab.sh_offset + sh.sh_name < size &&
		    !strcmp((const char *)data + strtab.sh_offset + sh.sh_name, name))
			return (Elf64_Shdr *)(void *)at;
	}
	return NULL;
}

static void lookup_all_text(const char *path, const struct section_info *text)
{
	struct dwarf_location l[MAX_FRAMES];
	struct dwarf_info *di = open_dwarf(path);
	size_t n, k, chars = 0;
	uint64_t a;

	if (!di)
		return;
	for (a = text->addr; a < text->addr + text->size; a++) {
		n = dwarf_info__lookup(di, a, true, l, MAX_FRAMES);
		for (k = 0; k < n; k++)
			chars += (l[k].name ? strlen(l[k].name) : 0) +
				 (l[k].file ? strlen(l[k].file) : 0);
	}
	print_message("%s: %zu bytes of names\n", path, chars);
	dwarf_info__free(di);
}

static void test_unterminated_strings(void **state)
{
	struct section_info text, line_str, str;
	unsigned char *data;
	Elf64_Shdr sh, *at;
	struct stat st;
	size_t size;
	char *hit;
	FILE *f;

	if (!have_programs())
		skip();
	assert_true(section_of(fx.pie, ".text", &text));
	assert_int_equal(stat(fx.pie, &st), 0);
	size = (size_t)st.st_size;
	data = malloc(size);
	assert_non_null(data);
	f = fopen(fx.pie, "r");
	assert_non_null(f);
	assert_int_equal(fread(data, 1, size, f), size);
	fclose(f);

	if (section_of(fx.pie, ".debug_line_str", &line_str)) {
		assert_int_equal(data[line_str.offset + line_str.size - 1], 0);
		data[line_str.offset + line_str.size - 1] = 'x';
		write_bytes(tmp_path("unterminated_line_str"), data, size);
		data[line_str.offset + line_str.size - 1] = 0;
		lookup_all_text(tmp_path("unterminated_line_str"), &text);
	} else {
		print_message("note: this compiler wrote no .debug_line_str (DWARF 4?)\n");
	}

	assert_true(section_of(fx.pie, ".debug_str", &str));
	hit = memmem(data + str.offset, str.size, "\0work_a\0", 8);
	assert_non_null(hit);
	at = shdr_of(data, size, ".debug_str");
	assert_non_null(at);
	memcpy(&sh, at, sizeof(sh));
	sh.sh_size = (uint64_t)(hit + 1 + strlen("work_a") - (char *)(data + str.offset));
	memcpy(at, &sh, sizeof(sh));
	write_bytes(tmp_path("unterminated_str"), data, size);
	lookup_all_text(tmp_path("unterminated_str"), &text);
	free(data);
}

/* ---- 9. dwarf_reader against libdw ---- */

/* Every address of .text of @path: the same frames from dwarf_reader as from libdw. */
static void compare_readers(const char *path)
{
	struct dwarf_location a[MAX_FRAMES], b[MAX_FRAMES];
	struct dwarf_info *fast, *slow;
	struct section_info text;
	size_t found = 0, n, i;
	uint64_t addr;

	assert_true(section_of(path, ".text", &text));
	assert_int_equal(unsetenv("FLAMESAMP_DWARF_LIBDW"), 0);
	fast = open_dwarf(path);
	assert_int_equal(setenv("FLAMESAMP_DWARF_LIBDW", "1", 1), 0);
	slow = open_dwarf(path);
	assert_int_equal(unsetenv("FLAMESAMP_DWARF_LIBDW"), 0);
	assert_non_null(fast);
	assert_non_null(slow);
	for (addr = text.addr; addr < text.addr + text.size; addr++) {
		bool inlines = addr % 3 != 0;

		n = dwarf_info__lookup(fast, addr, inlines, a, MAX_FRAMES);
		assert_int_equal(dwarf_info__lookup(slow, addr, inlines, b, MAX_FRAMES), n);
		for (i = 0; i < n; i++) {
			assert_true(same_str(a[i].name, b[i].name));
			assert_true(same_str(a[i].file, b[i].file));
			assert_int_equal(a[i].line, b[i].line);
		}
		found += n && a[0].name;
	}
	assert_true(found > 0);
	assert_true(dwarf_info__units_indexed(fast) > 0);
	assert_int_equal(dwarf_info__units_by_libdw(fast), 0);
	assert_int_equal(dwarf_info__units_by_libdw(slow), dwarf_info__units_indexed(slow));
	dwarf_info__free(fast);
	dwarf_info__free(slow);
}

static void test_reader_matches_libdw(void **state)
{
	static const char *const variants[] = {
		"cc -O2 -gdwarf-4",    "cc -O2 -gdwarf-2 -gstrict-dwarf",
		"cc -O0 -g",	       "cc -O2 -g -ffunction-sections -Wl,--gc-sections",
		"clang -O2 -gdwarf-4", "clang -O2 -gdwarf-5",
	};
	char bin[PATH_MAX];
	size_t i;

	if (!have_programs())
		skip();
	compare_readers(fx.pie);
	compare_readers(fx.nopie);
	for (i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		if (!strncmp(variants[i], "clang", 5) && !fx.clang[0])
			continue;
		snprintf(bin, sizeof(bin), "%s/variant%zu", tmpdir, i);
		assert_true(run("%s -o '%s' '%s'", variants[i], bin, fx.source));
		compare_readers(bin);
	}
}

/* ---- 10. C++ ---- */

static const char cxx_source[] =
	"namespace ns {\n"
	"class Klass {\n"
	"public:\n"
	"	explicit Klass(unsigned long k) : k_(k) {}\n"
	"	inline __attribute__((always_inline)) unsigned long method(unsigned long n) const\n"
	"	{\n"
	"		unsigned long acc = k_;\n"
	"		for (unsigned long i = 0; i < n; i++)\n"
	"			acc += (i ^ (acc >> 3)) * k_;\n"
	"		return acc;\n"
	"	}\n"
	"private:\n"
	"	unsigned long k_;\n"
	"};\n"
	"}\n"
	"volatile unsigned long sink, chunk = 1000;\n"
	"__attribute__((noinline)) void driver(unsigned long n)\n"
	"{\n"
	"	ns::Klass k(3);\n"
	"	sink += k.method(n);\n"
	"}\n"
	"int main() { driver(chunk); return 0; }\n";

/* How many addresses of driver give the chain @method <- @driver. */
static size_t cxx_chains(const char *path, bool demangle, const char *method, const char *driver)
{
	struct symbolizer *sym = new_symbolizer(true, true, demangle, NULL, 0);
	struct addr_span span = function_span(path, "_Z6driverm");
	struct sym_frame f[MAX_FRAMES];
	struct keyed_file kf;
	size_t found = 0, n;
	uint64_t a;

	keyed_file__init(&kf, path);
	for (a = span.lo; a < span.hi; a++) {
		n = symbolizer__file_frames(sym, &kf.key, a, f, MAX_FRAMES);
		assert_true(n >= 1);
		assert_string_equal(f[n - 1].name, driver);
		if (n == 2) {
			assert_true(f[0].inlined);
			assert_string_equal(f[0].name, method);
			found++;
		}
	}
	symbolizer__free(sym);
	return found;
}

static void test_cxx_names(void **state)
{
	char src[PATH_MAX], bin[PATH_MAX];
	FILE *f;

	snprintf(src, sizeof(src), "%s", tmp_path("klass.cc"));
	snprintf(bin, sizeof(bin), "%s", tmp_path("klass"));
	f = fopen(src, "w");
	assert_non_null(f);
	fputs(cxx_source, f);
	assert_int_equal(fclose(f), 0);
	if (!run("command -v g++")) {
		print_message("skipped: g++ is missing\n");
		skip();
	}
	if (!run("g++ -O2 -g -o '%s' '%s'", bin, src)) {
		print_message("skipped: 'g++ -O2 -g' cannot build a program\n");
		skip();
	}
	assert_true(cxx_chains(bin, true, "ns::Klass::method", "driver") > 0);
	assert_true(cxx_chains(bin, false, "_ZNK2ns5Klass6methodEm", "_Z6driverm") > 0);
	/* names through specifications (the method is declared in its class) */
	compare_readers(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_chain),
		cmocka_unit_test(test_options_off),
		cmocka_unit_test(test_max_frames),
		cmocka_unit_test(test_user_frames_offsets),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_build_id_path),
		cmocka_unit_test_teardown(test_debuginfod, stop_server),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_unusable_files),
		cmocka_unit_test(test_lookup_direct),
		cmocka_unit_test(test_garbage_dwarf),
		cmocka_unit_test(test_reader_matches_libdw),
		cmocka_unit_test(test_cxx_names),
		/* last: a sanitizer report in libdw aborts the run */
		cmocka_unit_test(test_unterminated_strings),
	};

	elf_version(EV_CURRENT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
