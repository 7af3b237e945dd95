// SPDX-License-Identifier: Apache-2.0
/* Unit tests for symbolize/kallsyms: parsing, aliases, modules, kptr_restrict, lookups. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/kallsyms.h"
#include "symbolize/symbolizer.h"

static struct kallsyms *parse(const char *text)
{
	struct kallsyms *ks = kallsyms__parse(text, strlen(text));

	assert_non_null(ks);
	return ks;
}

/* Name of the symbol covering @addr, or NULL. */
static const char *name_at(const struct kallsyms *ks, uint64_t addr)
{
	long idx = kallsyms__find(ks, addr);

	return idx < 0 ? NULL : kallsyms__name(ks, (size_t)idx);
}

static void test_sorted(void **state)
{
	struct kallsyms *ks = parse("ffffffff81000000 T _text\n"
				    "ffffffff81000100 t local_func\n"
				    "ffffffff81000200 T global_func\n"
				    "ffffffff81000300 W weak_func\n"
				    "ffffffff81000400 w weak_local\n"
				    "ffffffff81000500 T _etext\n");

	assert_false(kallsyms__hidden(ks));
	assert_int_equal(kallsyms__count(ks), 6);
	assert_null(name_at(ks, 0));
	assert_null(name_at(ks, 0xffffffff80ffffffULL));
	assert_string_equal(name_at(ks, 0xffffffff81000000ULL), "_text");
	assert_string_equal(name_at(ks, 0xffffffff810000ffULL), "_text");
	assert_string_equal(name_at(ks, 0xffffffff81000100ULL), "local_func");
	assert_string_equal(name_at(ks, 0xffffffff81000234ULL), "global_func");
	assert_string_equal(name_at(ks, 0xffffffff81000300ULL), "weak_func");
	assert_string_equal(name_at(ks, 0xffffffff810004ffULL), "weak_local");
	/* the last symbol covers everything above */
	assert_string_equal(name_at(ks, 0xffffffffffffffffULL), "_etext");
	assert_null(kallsyms__module(ks, 0));
	kallsyms__free(ks);
}

static void test_unsorted_and_modules(void **state)
{
	/* module symbols come after the kernel's, at higher addresses, in no order */
	struct kallsyms *ks = parse("ffffffff81000000 T _text\n"
				    "ffffffff81000100 T schedule\n"
				    "ffffffffc0a01100 t ext4_write\t[ext4]\n"
				    "ffffffffc0a01000 t ext4_read\t[ext4]\n"
				    "ffffffffc0b00000 t bpf_prog_6deef7357e7b4530_x\t[bpf]\n"
				    "ffffffffc0a02000 T nfs_open [nfs]\n"
				    "ffffffffc0a01200 d ext4_data\t[ext4]\n");
	long idx;

	assert_int_equal(kallsyms__count(ks), 6);
	assert_string_equal(name_at(ks, 0xffffffff81000150ULL), "schedule");
	assert_string_equal(name_at(ks, 0xffffffffc0a01010ULL), "ext4_read");
	assert_string_equal(name_at(ks, 0xffffffffc0a01100ULL), "ext4_write");
	/* data symbols are not kept: ext4_write runs on to the next text symbol */
	assert_string_equal(name_at(ks, 0xffffffffc0a01300ULL), "ext4_write");
	assert_string_equal(name_at(ks, 0xffffffffc0a02001ULL), "nfs_open");
	assert_string_equal(name_at(ks, 0xffffffffc0b00010ULL), "bpf_prog_6deef7357e7b4530_x");
	idx = kallsyms__find(ks, 0xffffffffc0a01010ULL);
	assert_string_equal(kallsyms__module(ks, (size_t)idx), "ext4");
	assert_true(kallsyms__addr(ks, (size_t)idx) == 0xffffffffc0a01000ULL);
	idx = kallsyms__find(ks, 0xffffffffc0a02001ULL);
	assert_string_equal(kallsyms__module(ks, (size_t)idx), "nfs");
	idx = kallsyms__find(ks, 0xffffffff81000150ULL);
	assert_null(kallsyms__module(ks, (size_t)idx));
	kallsyms__free(ks);
}

static void test_aliases(void **state)
{
	/* several names at one address: the first T, else W, else t, else w */
	struct kallsyms *ks = parse("1000 t local_first\n"
				    "1000 T global_one\n"
				    "1000 T global_two\n"
				    "2000 w weak_local\n"
				    "2000 t local_two\n"
				    "3000 t only_local\n"
				    "3000 W weak_global\n");

	assert_int_equal(kallsyms__count(ks), 3);
	assert_string_equal(name_at(ks, 0x1000), "global_one");
	assert_string_equal(name_at(ks, 0x2000), "local_two");
	assert_string_equal(name_at(ks, 0x3000), "weak_global");
	kallsyms__free(ks);
}

static void test_hidden(void **state)
{
	/* kernel.kptr_restrict: every address reads as 0 */
	struct kallsyms *ks = parse("0000000000000000 T _text\n"
				    "0000000000000000 T schedule\n"
				    "0000000000000000 t ext4_read\t[ext4]\n");

	assert_true(kallsyms__hidden(ks));
	assert_int_equal(kallsyms__count(ks), 0);
	assert_null(name_at(ks, 0));
	kallsyms__free(ks);

	/* an empty file is not "hidden", just empty */
	ks = parse("");
	assert_false(kallsyms__hidden(ks));
	assert_int_equal(kallsyms__count(ks), 0);
	kallsyms__free(ks);
}

static void test_bad_lines(void **state)
{
	static const char text[] = "garbage\n"
				   "\n"
				   "ffffffff81000000\n"
				   "ffffffff81000000 T\n"
				   "ffffffff81000000 T \n"
				   "xyz T not_hex\n"
				   "11112222333344445 T too_many_digits\n"
				   "ffffffff81000000Tnospace\n"
				   "ffffffff81000010 T good_one\r\n"
				   "ffffffff81000020 T unterminated_module\t[mod\n"
				   "ffffffff81000030 T with\0nul\n"
				   "ffffffff81000040 T last_without_newline";
	struct kallsyms *ks = kallsyms__parse(text, sizeof(text) - 1);
	long idx;

	assert_non_null(ks);
	assert_int_equal(kallsyms__count(ks), 4);
	assert_null(name_at(ks, 0xffffffff81000000ULL));
	assert_string_equal(name_at(ks, 0xffffffff81000010ULL), "good_one");
	assert_string_equal(name_at(ks, 0xffffffff81000020ULL), "unterminated_module");
	idx = kallsyms__find(ks, 0xffffffff81000020ULL);
	assert_string_equal(kallsyms__module(ks, (size_t)idx), "mod");
	/* an embedded NUL ends the name as C sees it; nothing is read past the line */
	assert_string_equal(name_at(ks, 0xffffffff81000030ULL), "with");
	assert_string_equal(name_at(ks, 0xffffffff81000040ULL), "last_without_newline");
	kallsyms__free(ks);
}

static char *write_fixture(const char *text)
{
	char *path = strdup("/tmp/fs-kallsyms-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_symbolizer_fixture(void **state)
{
	char *path = write_fixture("ffffffffc0001000 t rust_mod_fn\t[rust_mod]\n"
				   "ffffffff81000000 T _text\n"
				   "ffffffff81000100 T _RNvCs15kBYyAo9fc_7mycrate7example\n"
				   "ffffffff81000200 T do_syscall_64\n");
	struct symbolizer_options opts;
	struct symbolizer *sym;

	symbolizer_options__init(&opts);
	opts.kallsyms_path = path;
	sym = symbolizer__new(&opts);
	assert_non_null(sym);
	assert_true(symbolizer__has_kernel_symbols(sym));
	assert_string_equal(symbolizer__kernel(sym, 0xffffffff81000210ULL), "do_syscall_64");
	/* Rust in the kernel is mangled (v0) in kallsyms */
	assert_string_equal(symbolizer__kernel(sym, 0xffffffff81000100ULL), "mycrate::example");
	assert_string_equal(symbolizer__kernel(sym, 0xffffffffc0001004ULL), "rust_mod_fn");
	assert_null(symbolizer__kernel(sym, 0x1000));
	symbolizer__free(sym);

	/* without demangling, the raw name */
	opts.demangle = false;
	sym = symbolizer__new(&opts);
	assert_string_equal(symbolizer__kernel(sym, 0xffffffff81000100ULL),
			    "_RNvCs15kBYyAo9fc_7mycrate7example");
	symbolizer__free(sym);
	unlink(path);
	free(path);
}

static void test_symbolizer_hidden_or_missing(void **state)
{
	char *path = write_fixture("0000000000000000 T _text\n0000000000000000 T schedule\n");
	struct symbolizer_options opts;
	struct symbolizer *sym;

	symbolizer_options__init(&opts);
	opts.kallsyms_path = path;
	sym = symbolizer__new(&opts);
	assert_false(symbolizer__has_kernel_symbols(sym));
	assert_null(symbolizer__kernel(sym, 0));
	assert_null(symbolizer__kernel(sym, 0xffffffff81000000ULL));
	symbolizer__free(sym);
	unlink(path);
	free(path);

	opts.kallsyms_path = "/nonexistent/kallsyms";
	sym = symbolizer__new(&opts);
	assert_null(symbolizer__kernel(sym, 0xffffffff81000000ULL));
	assert_false(symbolizer__has_kernel_symbols(sym));
	symbolizer__free(sym);

	errno = 0;
	assert_null(kallsyms__load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
}

/* This machine's /proc/kallsyms: "schedule" resolves to itself, as read from the file. */
static void test_proc_kallsyms(void **state)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr = 0;
	struct symbolizer *sym;
	char line[512];

	if (!f) {
		print_message("skipped: /proc/kallsyms cannot be read: %s\n", strerror(errno));
		skip();
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && type == 'T' &&
		    !strcmp(name, "schedule") && !strchr(line, '[')) {
			addr = a;
			break;
		}
	}
	fclose(f);
	sym = symbolizer__new(NULL);
	if (!addr) {
		/* hidden addresses read as 0: the symbolizer must say it has nothing */
		assert_false(symbolizer__has_kernel_symbols(sym));
		symbolizer__free(sym);
		print_message("skipped: /proc/kallsyms shows no address for schedule "
			      "(kernel.kptr_restrict hides addresses from this user)\n");
		skip();
	}
	assert_true(symbolizer__has_kernel_symbols(sym));
	assert_string_equal(symbolizer__kernel(sym, addr), "schedule");
	assert_string_equal(symbolizer__kernel(sym, addr + 1), "schedule");
	symbolizer__free(sym);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_unsorted_and_modules),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_symbolizer_fixture),
		cmocka_unit_test(test_symbolizer_hidden_or_missing),
		cmocka_unit_test(test_proc_kallsyms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
