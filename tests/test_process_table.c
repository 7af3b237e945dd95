// SPDX-License-Identifier: Apache-2.0
/* Unit tests for sampler/process_table, sampler/stack_table and common/u64_map. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/u64_map.h"
#include "sampler/process_table.h"
#include "sampler/stack_table.h"

static void test_u64_map(void **state)
{
	struct u64_map m = {0};
	uintptr_t i;

	assert_null(u64_map__get(&m, 0));
	assert_null(u64_map__remove(&m, 5));
	for (i = 0; i < 10000; i++)
		u64_map__set(&m, i * 7, (void *)(i + 1));
	assert_int_equal(m.count, 10000);
	for (i = 0; i < 10000; i++)
		assert_ptr_equal(u64_map__get(&m, i * 7), (void *)(i + 1));
	assert_null(u64_map__get(&m, 3));
	/* remove every other key: the rest must stay reachable (backward shift) */
	for (i = 0; i < 10000; i += 2)
		assert_ptr_equal(u64_map__remove(&m, i * 7), (void *)(i + 1));
	assert_int_equal(m.count, 5000);
	for (i = 0; i < 10000; i++)
		assert_ptr_equal(u64_map__get(&m, i * 7), i % 2 ? (void *)(i + 1) : NULL);
	u64_map__set(&m, 7, (void *)99);
	assert_ptr_equal(u64_map__get(&m, 7), (void *)99);
	assert_int_equal(m.count, 5000);
	u64_map__release(&m);
	assert_null(u64_map__get(&m, 7));
}

#define PID 4242 /* not loaded from /proc: every test sets the table up by records */

static void test_resolve_and_overlap(void **state)
{
	struct process_table *pt = process_table__new();
	const struct dso *d;
	uint64_t off = 0;
	uint32_t lib, exe;

	process_table__mmap(pt, PID, 0x400000, 0x10000, 0x1000, makedev(8, 1), 11, "/bin/prog");
	process_table__mmap(pt, PID, 0x7f0000000000, 0x200000, 0x28000, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	exe = process_table__resolve(pt, PID, 0x400010, &off);
	assert_true(exe >= DSO_FIRST_FILE);
	assert_int_equal(off, 0x1010);
	d = process_table__dso(pt, exe);
	assert_string_equal(d->path, "/bin/prog");
	assert_string_equal(d->name, "prog");
	assert_int_equal(d->ino, 11);
	lib = process_table__resolve(pt, PID, 0x7f0000000100, &off);
	assert_int_equal(off, 0x28100);
	assert_string_equal(process_table__dso(pt, lib)->name, "libc.so.6");
	/* one past the end, and a hole */
	assert_int_equal(process_table__resolve(pt, PID, 0x410000, &off), DSO_UNKNOWN);
	assert_int_equal(process_table__resolve(pt, PID, 0x1000, &off), DSO_UNKNOWN);

	/* a new mapping over the middle of libc splits it; offsets stay right */
	process_table__mmap(pt, PID, 0x7f0000100000, 0x1000, 0, makedev(8, 1), 33, "/tmp/jit.so");
	assert_int_equal(process_table__resolve(pt, PID, 0x7f0000100010, &off),
			 process_table__resolve(pt, PID, 0x7f0000100020, &off));
	assert_string_equal(
		process_table__dso(pt, process_table__resolve(pt, PID, 0x7f0000100010, &off))->name,
		"jit.so");
	assert_int_equal(process_table__resolve(pt, PID, 0x7f0000101000, &off), lib);
	assert_int_equal(off, 0x28000 + 0x101000);
	assert_int_equal(process_table__resolve(pt, PID, 0x7f00000fffff, &off), lib);

	/* the same file mapped again (another process) shares its dso id */
	process_table__mmap(pt, PID + 1, 0x500000, 0x1000, 0, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	assert_int_equal(process_table__resolve(pt, PID + 1, 0x500000, &off), lib);
	/* anonymous memory is not a file: JIT code keeps its virtual address */
	process_table__mmap(pt, PID, 0x900000, 0x1000, 0, 0, 0, "//anon");
	assert_int_equal(process_table__resolve(pt, PID, 0x900010, &off), DSO_ANON);
	assert_int_equal(off, 0x900010);
	process_table__free(pt);
}

static void test_fork_comm_exec_exit(void **state)
{
	struct process_table *pt = process_table__new();
	uint64_t off;
	uint32_t exe;

	process_table__comm(pt, PID, PID, "server", 16, false);
	process_table__mmap(pt, PID, 0x400000, 0x1000, 0, 1, 2, "/bin/server");
	exe = process_table__resolve(pt, PID, 0x400000, &off);

	/* a new thread shares the maps and starts with its creator's name */
	process_table__fork(pt, PID, PID, PID + 1, PID);
	assert_string_equal(process_table__thread_comm(pt, PID, PID + 1), "server");
	process_table__comm(pt, PID, PID + 1, "worker-1", 8, false);
	assert_string_equal(process_table__thread_comm(pt, PID, PID + 1), "worker-1");
	assert_string_equal(process_table__thread_comm(pt, PID, PID), "server");

	/* a child process gets a copy of the address space */
	process_table__fork(pt, PID + 10, PID, PID + 10, PID);
	assert_int_equal(process_table__resolve(pt, PID + 10, 0x400000, &off), exe);
	/* exec in the child: old mappings are gone, the new image is mapped */
	process_table__comm(pt, PID + 10, PID + 10, "ls", 2, true);
	assert_int_equal(process_table__resolve(pt, PID + 10, 0x400000, &off), DSO_UNKNOWN);
	process_table__mmap(pt, PID + 10, 0x400000, 0x1000, 0, 1, 3, "/bin/ls");
	assert_string_equal(
		process_table__dso(pt, process_table__resolve(pt, PID + 10, 0x400000, &off))->name,
		"ls");
	assert_string_equal(process_table__thread_comm(pt, PID + 10, PID + 10), "ls");
	/* the parent is untouched */
	assert_int_equal(process_table__resolve(pt, PID, 0x400000, &off), exe);

	/* comm with no NUL inside its length, and hostile bytes are kept as given */
	process_table__comm(pt, PID, PID, "abc;def", 5, false);
	assert_string_equal(process_table__thread_comm(pt, PID, PID), "abc;d");

	process_table__exit(pt, PID + 10, PID + 10);
	/* an unknown thread of a pid that is not in /proc is named as perf names it */
	assert_string_equal(process_table__thread_comm(pt, 0x3ffffff0, 0x3ffffff0), ":1073741808");
	process_table__free(pt);
}

static void test_load_self(void **state)
{
	struct process_table *pt = process_table__new();
	uint64_t off = 0;
	uint32_t dso;

	assert_int_equal(process_table__load(pt, getpid()), 0);
	dso = process_table__resolve(pt, getpid(), (uint64_t)(uintptr_t)&test_load_self, &off);
	assert_true(dso >= DSO_FIRST_FILE);
	assert_string_equal(process_table__dso(pt, dso)->name, "test_process_table");
	dso = process_table__resolve(pt, getpid(), (uint64_t)(uintptr_t)&getpid, &off);
	assert_true(dso >= DSO_FIRST_FILE);
	assert_non_null(strstr(process_table__dso(pt, dso)->name, "libc"));
	assert_string_equal(process_table__thread_comm(pt, getpid(), getpid()),
			    "test_process_ta"); /* comm is cut at 15 bytes */
	assert_int_equal(process_table__load(pt, 0x3ffffff0), -ESRCH);
	process_table__free(pt);
}

/*
 * The first executable mapping of the file of inode @ino in /proc/self/maps,
 * read independently of the table.
 */
static bool self_mapping(uint64_t ino, uint64_t *start, uint64_t *end)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		uint64_t s, e, i;
		char perms[5];

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*x %*x:%*x %" SCNu64, &s, &e, perms,
			   &i) == 4 &&
		    perms[2] == 'x' && i == ino) {
			*start = s;
			*end = e;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* A snapshot keeps, for each file, the first executable mapping of it in /proc/PID/maps. */
static void test_dso_mapping_snapshot(void **state)
{
	struct process_table *pt = process_table__new();
	const void *const addrs[] = {(const void *)&test_dso_mapping_snapshot,
				     (const void *)&getpid};
	uint64_t off, start, end;
	size_t i;

	assert_int_equal(process_table__load(pt, getpid()), 0);
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint32_t id =
			process_table__resolve(pt, getpid(), (uint64_t)(uintptr_t)addrs[i], &off);
		const struct dso *d = process_table__dso(pt, id);

		assert_true(id >= DSO_FIRST_FILE);
		assert_int_equal(d->pid, getpid());
		assert_true(self_mapping(d->ino, &start, &end));
		assert_int_equal(d->map_start, start);
		assert_int_equal(d->map_end, end);
	}
	process_table__free(pt);
}

static void assert_dso_mapping(const struct dso *d, uint64_t start, uint64_t end)
{
	assert_int_equal(d->map_start, start);
	assert_int_equal(d->map_end, end);
}

/* From records: the mapping stays one of the dso's own pid, and follows what happens to it. */
static void test_dso_mapping_records(void **state)
{
	struct process_table *pt = process_table__new();
	const struct dso *lib;
	uint64_t off;

	process_table__mmap(pt, PID, 0x7f0000000000, 0x200000, 0x28000, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	lib = process_table__dso(pt, process_table__resolve(pt, PID, 0x7f0000000000, &off));
	assert_int_equal(lib->pid, PID);
	assert_dso_mapping(lib, 0x7f0000000000, 0x7f0000200000);
	/* the first mapping seen is kept; another process's never replaces it */
	process_table__mmap(pt, PID, 0x7f1000000000, 0x1000, 0x300000, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	process_table__mmap(pt, PID + 1, 0x500000, 0x1000, 0, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	assert_dso_mapping(lib, 0x7f0000000000, 0x7f0000200000);

	/* a mapping over its start: the kernel split it, what is left is the mapping now */
	process_table__mmap(pt, PID, 0x7f0000000000, 0x1000, 0, makedev(8, 1), 33, "/tmp/a.so");
	assert_dso_mapping(lib, 0x7f0000001000, 0x7f0000200000);
	/* wholly covered: the file's other mapping in that process takes its place */
	process_table__mmap(pt, PID, 0x7f0000000000, 0x200000, 0, makedev(8, 1), 44, "/tmp/b.so");
	assert_dso_mapping(lib, 0x7f1000000000, 0x7f1000001000);

	/* exec: none known until the new image maps the file again */
	process_table__comm(pt, PID, PID, "next", 4, true);
	assert_dso_mapping(lib, 0, 0);
	process_table__mmap(pt, PID + 1, 0x600000, 0x1000, 0, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	assert_dso_mapping(lib, 0, 0); /* not its pid */
	process_table__mmap(pt, PID, 0x7f2000000000, 0x1000, 0, makedev(8, 1), 22,
			    "/usr/lib/libc.so.6");
	assert_dso_mapping(lib, 0x7f2000000000, 0x7f2000001000);

	/* exit: its ranges mean nothing for a process that reuses the pid */
	process_table__exit(pt, PID, PID);
	assert_dso_mapping(lib, 0, 0);
	process_table__fork(pt, PID, PID + 1, PID, PID + 1);
	assert_dso_mapping(lib, 0x500000, 0x501000);
	process_table__free(pt);
}

static void test_stack_table(void **state)
{
	struct stack_table *t = stack_table__new();
	struct sampler_frame a[] = {{DSO_KERNEL, 0xffffffff81000000ULL}, {5, 0x1234}};
	struct sampler_frame b[] = {{5, 0x1234}};
	struct stack_entry e;

	stack_table__add(t, "prog", 1, 2, a, 2, 1);
	stack_table__add(t, "prog", 1, 2, b, 1, 1);
	stack_table__add(t, "prog", 1, 2, a, 2, 3);
	stack_table__add(t, "prog", 1, 3, a, 2, 1); /* another thread */
	stack_table__add(t, "other", 1, 2, a, 2, 1);
	stack_table__add(t, "", 0, 0, NULL, 0, 7); /* no frames at all */
	assert_int_equal(stack_table__size(t), 5);
	stack_table__get(t, 0, &e);
	assert_string_equal(e.comm, "prog");
	assert_int_equal(e.pid, 1);
	assert_int_equal(e.tid, 2);
	assert_int_equal(e.count, 4);
	assert_int_equal(e.nr_frames, 2);
	assert_int_equal(e.frames[0].dso, DSO_KERNEL);
	assert_int_equal(e.frames[0].addr, 0xffffffff81000000ULL);
	assert_int_equal(e.frames[1].addr, 0x1234);
	stack_table__get(t, 3, &e);
	assert_string_equal(e.comm, "other");
	stack_table__get(t, 4, &e);
	assert_string_equal(e.comm, "");
	assert_int_equal(e.nr_frames, 0);
	assert_int_equal(e.count, 7);
	stack_table__free(t);
	stack_table__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_map),
		cmocka_unit_test(test_resolve_and_overlap),
		cmocka_unit_test(test_fork_comm_exec_exit),
		cmocka_unit_test(test_load_self),
		cmocka_unit_test(test_dso_mapping_snapshot),
		cmocka_unit_test(test_dso_mapping_records),
		cmocka_unit_test(test_stack_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
