// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for symbolize/debug_file: symbols of stripped binaries from
 * their separate debug files (.gnu_debuglink, build-id) and MiniDebugInfo
 * (.gnu_debugdata), through the symbolizer.  The binaries are compiled at
 * test time and split with objcopy; the build-id tree lives under a
 * temporary debug root.  Also libc's own debug file when libc6-dbg is
 * installed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/elf_offsets.h"
#include "tests/test_shell.h"

#include "common/strbuf.h"
#include "symbolize/elf_symbols.h"
#include "symbolize/symbolizer.h"

static char tmpdir[] = "/tmp/fs-debug-file-XXXXXX";

static const char program[] =
	"#include <stdio.h>\n"
	"static int __attribute__((noinline)) local_worker(int x)\n"
	"{ return x * 3 + printf(\"%d\", x); }\n"
	"int __attribute__((noinline)) global_worker(int x) { return local_worker(x) + 1; }\n"
	"int main(int argc, char **argv) { return global_worker(argc); }\n";

static int make_tmpdir(void **state)
{
	/* nothing here may reach a symbol server */
	unsetenv("DEBUGINFOD_URLS");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	return remove_tree(tmpdir);
}

static bool have_tools(const char *tools)
{
	if (run("for t in %s; do command -v $t || exit 1; done", tools))
		return true;
	print_message("skipped: needs %s in PATH\n", tools);
	return false;
}

/*
 * Compile the test program into DIR/prog (built with a build-id), keep a
 * full copy in DIR/prog.full and the debug part in DIR/prog.debug, then strip
 * DIR/prog of everything but .dynsym.  @dir is made under the temporary
 * directory; its path is returned in @out.
 */
static bool build_split(const char *dir, struct strbuf *out)
{
	strbuf_addf(out, "%s/%s", tmpdir, dir);
	return run("mkdir -p '%1$s' && printf '%%s' '%2$s' > '%1$s/p.c' && "
		   "cc -g -O1 -rdynamic -Wl,--build-id -o '%1$s/prog' '%1$s/p.c' && "
		   "cp '%1$s/prog' '%1$s/prog.full' && "
		   "objcopy --only-keep-debug '%1$s/prog' '%1$s/prog.debug' && "
		   "strip --strip-all '%1$s/prog'",
		   out->buf, program);
}

/* The file offset of function @name of the unstripped @full. */
static uint64_t offset_of(const char *full, const char *name)
{
	struct elf_symbols *es = elf_symbols__open(full);
	uint64_t vaddr = 0;
	bool found = false;
	size_t i;

	assert_non_null(es);
	for (i = 0; i < elf_symbols__count(es); i++)
		if (!strcmp(elf_symbols__name(es, i), name)) {
			vaddr = elf_symbols__addr(es, i);
			found = true;
		}
	elf_symbols__free(es);
	assert_true(found);
	return offset_of_vaddr(full, vaddr);
}

/* What the symbolizer names at @off of @path, with debug files under @debug_root. */
static char *name_at(const char *path, uint64_t off, const char *debug_root)
{
	struct symbolizer_options opts;
	struct sym_file_key key;
	struct symbolizer *sym;
	const char *name;
	struct stat st;
	char *copy;

	assert_int_equal(stat(path, &st), 0);
	key = (struct sym_file_key){.path = path, .dev = st.st_dev, .ino = st.st_ino, .pid = 0};
	symbolizer_options__init(&opts);
	opts.debug_root = debug_root;
	sym = symbolizer__new(&opts);
	name = symbolizer__user(sym, &key, off);
	copy = name ? strdup(name) : NULL;
	symbolizer__free(sym);
	return copy;
}

static void assert_name(const char *path, uint64_t off, const char *debug_root, const char *want)
{
	char *got = name_at(path, off, debug_root);

	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else if (got) {
		/* stripped: the static function is not known, whatever covers its bytes */
		assert_string_not_equal(got, "local_worker");
	}
	free(got);
}

static char *nowhere(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no-debug-root", tmpdir);
	return path;
}

/* A program built from p.c in its own directory, split into prog (stripped) and prog.debug. */
struct split_prog {
	struct strbuf dir, prog, full; /* the directory, the stripped binary, the unstripped copy */
};

/*
 * Build and split it in TMPDIR/@name with the shell @tools; with @linked, also
 * add a debug link to prog.debug.  false (and a message) when that cannot be done.
 */
static bool split_prog__build(struct split_prog *sp, const char *name, const char *tools,
			      bool linked)
{
	*sp = (struct split_prog){STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	if (!have_tools(tools))
		return false;
	if (!build_split(name, &sp->dir) ||
	    (linked &&
	     !run("cd '%s' && objcopy --add-gnu-debuglink=prog.debug prog", sp->dir.buf))) {
		print_message("skipped: cannot build and split a program with cc and objcopy\n");
		return false;
	}
	strbuf_addf(&sp->prog, "%s/prog", sp->dir.buf);
	strbuf_addf(&sp->full, "%s/prog.full", sp->dir.buf);
	return true;
}

static void split_prog__release(struct split_prog *sp)
{
	strbuf_release(&sp->full);
	strbuf_release(&sp->prog);
	strbuf_release(&sp->dir);
}

static void test_stripped_alone(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "alone", "cc objcopy strip", false)) {
		split_prog__release(&sp);
		skip();
	}
	/* .dynsym (-rdynamic) still names the global function; nothing names the static one */
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), NULL);
	split_prog__release(&sp);
}

static void test_debuglink_same_dir(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "same", "cc objcopy strip", true)) {
		split_prog__release(&sp);
		skip();
	}
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), "local_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "main"), nowhere(), "main");
	split_prog__release(&sp);
}

static void test_debuglink_dot_debug(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "dotdebug", "cc objcopy strip", true)) {
		split_prog__release(&sp);
		skip();
	}
	assert_true(run("cd '%s' && mkdir .debug && mv prog.debug .debug/", sp.dir.buf));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), "local_worker");
	split_prog__release(&sp);
}

/* DEBUG_ROOT/DIR/NAME, DIR being the binary's directory. */
static void test_debuglink_under_debug_root(void **state)
{
	struct split_prog sp;
	struct strbuf root = STRBUF_INIT;

	if (!split_prog__build(&sp, "rooted", "cc objcopy strip", true)) {
		split_prog__release(&sp);
		skip();
	}
	strbuf_addf(&root, "%s/debugroot", tmpdir);
	assert_true(run("mkdir -p '%1$s%2$s' && mv '%2$s/prog.debug' '%1$s%2$s/'", root.buf,
			sp.dir.buf));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), NULL);
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), root.buf, "local_worker");
	strbuf_release(&root);
	split_prog__release(&sp);
}

/* A file of the linked name whose CRC differs is someone else's debug file. */
static void test_debuglink_wrong_crc(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "badcrc", "cc objcopy strip", true)) {
		split_prog__release(&sp);
		skip();
	}
	/* same symbols, one more (zero) byte: only the CRC tells */
	assert_true(run("truncate -s +1 '%s/prog.debug'", sp.dir.buf));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), NULL);
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	split_prog__release(&sp);
}

/* The build-id of @path as lowercase hex into @hex; false when it has none. */
static bool build_id_hex(const char *path, struct strbuf *hex)
{
	struct strbuf cmd = STRBUF_INIT;
	char line[256];
	bool ok = false;
	FILE *f;

	strbuf_addf(&cmd, "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd.buf, "r");
	strbuf_release(&cmd);
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *b = strstr(line, "Build ID: ");

		if (b && !ok) {
			strbuf_addstr(hex, b + strlen("Build ID: "));
			while (hex->len &&
			       (hex->buf[hex->len - 1] == '\n' || hex->buf[hex->len - 1] == ' '))
				strbuf_setlen(hex, hex->len - 1);
			ok = hex->len > 2;
		}
	}
	pclose(f);
	return ok;
}

static void test_build_id(void **state)
{
	struct split_prog sp;
	struct strbuf root = STRBUF_INIT, id = STRBUF_INIT;

	if (!split_prog__build(&sp, "buildid", "cc objcopy strip readelf", false)) {
		split_prog__release(&sp);
		skip();
	}
	if (!build_id_hex(sp.prog.buf, &id)) {
		print_message("skipped: 'cc -Wl,--build-id' made no build-id note\n");
		goto out;
	}
	strbuf_addf(&root, "%s/idroot", tmpdir);
	assert_true(run("mkdir -p '%1$s/.build-id/%2$.2s' && mv '%3$s/prog.debug' "
			"'%1$s/.build-id/%2$.2s/%4$s.debug'",
			root.buf, id.buf, sp.dir.buf, id.buf + 2));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), NULL);
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), root.buf, "local_worker");
	/* another program's debug file at that path is refused: its build-id differs */
	assert_true(run("cd '%1$s' && cc -g -O1 -DOTHER -Wl,--build-id=0x1234 -o other p.c && "
			"objcopy --only-keep-debug other '%2$s/.build-id/%3$.2s/%4$s.debug'",
			sp.dir.buf, root.buf, id.buf, id.buf + 2));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), root.buf, NULL);
out:
	strbuf_release(&id);
	strbuf_release(&root);
	split_prog__release(&sp);
}

/* MiniDebugInfo: an xz-compressed debug file in the binary's .gnu_debugdata section. */
static void test_minidebuginfo(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "mini", "cc objcopy strip xz", false)) {
		split_prog__release(&sp);
		skip();
	}
	assert_true(run("cd '%s' && mv prog.debug mini && xz mini && "
			"objcopy --add-section .gnu_debugdata=mini.xz prog && rm mini.xz",
			sp.dir.buf));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), "local_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	/* a corrupt stream gives the .dynsym names, nothing worse */
	assert_true(run("cd '%s' && cp prog.full prog2 && strip --strip-all prog2 && "
			"head -c 100 /dev/urandom > junk.xz && "
			"objcopy --add-section .gnu_debugdata=junk.xz prog2",
			sp.dir.buf));
	strbuf_setlen(&sp.prog, 0);
	strbuf_addf(&sp.prog, "%s/prog2", sp.dir.buf);
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), NULL);
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	split_prog__release(&sp);
}

/*
 * MiniDebugInfo as distributions make it: its .symtab keeps only the
 * functions that .dynsym lacks, so names come from both tables.
 */
static void test_minidebuginfo_locals_only(void **state)
{
	struct split_prog sp;

	if (!split_prog__build(&sp, "minilocal", "cc objcopy strip xz nm comm sort awk", false)) {
		split_prog__release(&sp);
		skip();
	}
	assert_true(
		run("cd '%s' && "
		    "nm -D prog --format=posix --defined-only | awk '{print $1}' | sort > dyn && "
		    "nm prog.full --format=posix --defined-only | awk '$2 ~ /[Tt]/ {print $1}' | "
		    "sort > funcs && comm -13 dyn funcs > keep && ! grep -q global_worker keep && "
		    "objcopy -S --remove-section .gdb_index --remove-section .comment "
		    "--keep-symbols=keep prog.debug mini && xz mini && "
		    "objcopy --add-section .gnu_debugdata=mini.xz prog",
		    sp.dir.buf));
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "local_worker"), nowhere(), "local_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "global_worker"), nowhere(),
		    "global_worker");
	assert_name(sp.prog.buf, offset_of(sp.full.buf, "main"), nowhere(), "main");
	split_prog__release(&sp);
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *slash = strrchr(info->dlpi_name, '/');

	if (slash && !strncmp(slash + 1, "libc.so", 7)) {
		snprintf(data, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

/* libc6-dbg: libc's .symtab lives in /usr/lib/debug/.build-id/, found by build-id. */
static void test_libc_debug_file(void **state)
{
	struct strbuf id = STRBUF_INIT, dbg = STRBUF_INIT;
	static char libc[PATH_MAX];
	struct elf_symbols *es;
	uint64_t vaddr = 0, off = 0;
	size_t i, phnum;
	bool found = false;
	char *name;
	Elf *elf;
	int fd;

	if (!dl_iterate_phdr(find_libc, libc) || !build_id_hex(libc, &id)) {
		print_message("skipped: cannot find this process's libc or its build-id\n");
		goto out;
	}
	strbuf_addf(&dbg, "/usr/lib/debug/.build-id/%.2s/%s.debug", id.buf, id.buf + 2);
	if (access(dbg.buf, R_OK)) {
		print_message("skipped: %s is missing (install libc6-dbg)\n", dbg.buf);
		goto out;
	}
	es = elf_symbols__open(dbg.buf);
	assert_non_null(es);
	for (i = 0; i < elf_symbols__count(es); i++)
		if (!strcmp(elf_symbols__name(es, i), "__libc_start_call_main")) {
			vaddr = elf_symbols__addr(es, i);
			found = true;
		}
	elf_symbols__free(es);
	if (!found) {
		print_message("skipped: this libc has no __libc_start_call_main\n");
		goto out;
	}
	fd = open(libc, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &phnum), 0);
	found = false;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr - ph.p_vaddr < ph.p_filesz) {
			off = vaddr - ph.p_vaddr + ph.p_offset;
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(found);
	/* a few bytes in: a return address inside it, not its first byte */
	name = name_at(libc, off + 4, NULL);
	assert_non_null(name);
	assert_string_equal(name, "__libc_start_call_main");
	free(name);
	strbuf_release(&dbg);
	strbuf_release(&id);
	return;
out:
	strbuf_release(&dbg);
	strbuf_release(&id);
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripped_alone),
		cmocka_unit_test(test_debuglink_same_dir),
		cmocka_unit_test(test_debuglink_dot_debug),
		cmocka_unit_test(test_debuglink_under_debug_root),
		cmocka_unit_test(test_debuglink_wrong_crc),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_minidebuginfo),
		cmocka_unit_test(test_minidebuginfo_locals_only),
		cmocka_unit_test(test_libc_debug_file),
	};

	elf_version(EV_CURRENT);
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
