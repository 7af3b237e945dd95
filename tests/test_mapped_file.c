// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for common/mapped_file: the file a mapping names, and the file
 * behind the mapping (/proc/PID/map_files) once the name leads nowhere or to
 * another file.  A small program built here with cc sleeps in the background
 * while its binary is deleted or replaced, as an upgrade or a redeploy does.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/mapped_file.h"
#include "sampler/process_table.h"
#include "tests/map_files.h"
#include "tests/test_shell.h"

static char tmpdir[] = "/tmp/fs-mapped-XXXXXX";
static bool built; /* tmpdir/sleeper was built */

static const char sleeper_source[] = "#include <unistd.h>\n"
				     "int main(void)\n"
				     "{\n"
				     "	for (;;)\n"
				     "		pause();\n"
				     "}\n";

static int make_tmpdir(void **state)
{
	char path[PATH_MAX];
	FILE *f;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/sleeper.c", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(sleeper_source, f);
	if (fclose(f))
		return -1;
	built = run("cc -O1 -o '%s/sleeper' '%s'", tmpdir, path);
	return 0;
}

static int remove_tmpdir(void **state)
{
	return remove_tree(tmpdir);
}

/* One mapping of the program, as /proc/PID/maps shows it. */
struct mapped {
	char name[PATH_MAX]; /* as maps names it: "DIR/prog (deleted)" once deleted */
	uint64_t start, end, ino;
};

/* The first executable mapping of @path (" (deleted)" or not) in /proc/@pid/maps. */
static bool find_mapping(pid_t pid, const char *path, struct mapped *out)
{
	char maps[64], *line = NULL;
	size_t cap = 0, len = strlen(path);
	bool found = false;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char perms[5];
		int name_at = 0;
		const char *name;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*x %*x:%*x %" SCNu64 " %n",
			   &out->start, &out->end, perms, &out->ino, &name_at) < 4 ||
		    !name_at || perms[2] != 'x')
			continue;
		name = line + name_at;
		if (strncmp(name, path, len) || (name[len] && strcmp(name + len, " (deleted)")))
			continue;
		snprintf(out->name, sizeof(out->name), "%s", name);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* A test's program: DIR/prog, a copy of the sleeper, running. */
struct target {
	char path[PATH_MAX];
	uint64_t ino; /* of the file run */
	pid_t pid;
};

/* Skip (saying why) when map_files cannot be opened or the sleeper could not be built. */
static void require_map_files(void)
{
	const char *reason = map_files_unavailable();

	if (reason) {
		print_message("skipped: %s\n", reason);
		skip();
	}
	if (!built) {
		print_message("skipped: cannot build a program with cc\n");
		skip();
	}
}

static void target__start(struct target *t, const char *name)
{
	struct mapped m;
	struct stat st;
	int i;

	snprintf(t->path, sizeof(t->path), "%s/%s", tmpdir, name);
	assert_true(run("cp '%s/sleeper' '%s'", tmpdir, t->path));
	assert_int_equal(stat(t->path, &st), 0);
	t->ino = st.st_ino;
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		execl(t->path, t->path, (char *)NULL);
		_exit(127);
	}
	/* the exec is done once the program is mapped */
	for (i = 0; i < 500 && !find_mapping(t->pid, t->path, &m); i++)
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	assert_true(find_mapping(t->pid, t->path, &m));
	assert_int_equal(m.ino, t->ino);
}

static void target__stop(struct target *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
}

/* @fd is open on the file whose inode is @ino; closes it. */
static void assert_fd_ino(int fd, uint64_t ino)
{
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal((uint64_t)st.st_ino, ino);
	close(fd);
}

static void test_deleted(void **state)
{
	struct process_table *pt;
	const struct dso *d = NULL;
	struct target t = {.pid = -1};
	struct mapped m;
	uint32_t id;

	require_map_files();
	target__start(&t, "deleted");
	assert_true(find_mapping(t.pid, t.path, &m));
	/* while the file is there, its path opens it */
	assert_fd_ino(mapped_file__open_mapping(t.path, t.ino, t.pid, m.start, m.end), t.ino);

	assert_int_equal(unlink(t.path), 0);
	assert_true(find_mapping(t.pid, t.path, &m));
	assert_string_equal(m.name + strlen(t.path), " (deleted)");
	assert_int_equal(m.ino, t.ino);
	/* the name leads nowhere */
	assert_true(mapped_file__open(m.name, t.ino, t.pid) < 0);
	assert_true(mapped_file__open(t.path, t.ino, t.pid) < 0);
	assert_true(mapped_file__open_mapping(m.name, t.ino, t.pid, 0, 0) < 0);
	/* the mapping does not */
	assert_fd_ino(mapped_file__open_mapping(m.name, t.ino, t.pid, m.start, m.end), t.ino);
	assert_fd_ino(mapped_file__open_mapping(t.path, t.ino, t.pid, m.start, m.end), t.ino);
	/* with no inode to check, the range alone tells */
	assert_fd_ino(mapped_file__open_mapping(m.name, 0, t.pid, m.start, m.end), t.ino);
	/* not the inode mapped, not a mapping of that process, not a mapping at all */
	assert_true(mapped_file__open_mapping(m.name, t.ino + 1, t.pid, m.start, m.end) < 0);
	assert_true(mapped_file__open_mapping(m.name, t.ino, getpid(), m.start, m.end) < 0);
	assert_true(mapped_file__open_mapping(m.name, t.ino, t.pid, m.start, m.end + 4096) < 0);

	/* the process table keeps that mapping for the dso, and it opens the file */
	pt = process_table__new();
	assert_int_equal(process_table__load(pt, t.pid), 0);
	for (id = DSO_FIRST_FILE; process_table__dso(pt, id); id++)
		if (process_table__dso(pt, id)->ino == t.ino)
			d = process_table__dso(pt, id);
	assert_non_null(d);
	assert_string_equal(d->path, m.name);
	assert_int_equal(d->pid, t.pid);
	assert_int_equal(d->map_start, m.start);
	assert_int_equal(d->map_end, m.end);
	assert_fd_ino(mapped_file__open_mapping(d->path, d->ino, d->pid, d->map_start, d->map_end),
		      t.ino);
	process_table__free(pt);
	target__stop(&t);
}

static void test_replaced(void **state)
{
	struct target t = {.pid = -1};
	struct mapped m;
	struct stat st;

	require_map_files();
	target__start(&t, "replaced");
	assert_true(find_mapping(t.pid, t.path, &m));
	/* another file takes the name, as a package manager installs one: renamed over it */
	assert_true(run("cp '%s/sleeper.c' '%s.new' && mv -f '%s.new' '%s'", tmpdir, t.path, t.path,
			t.path));
	assert_int_equal(stat(t.path, &st), 0);
	assert_true((uint64_t)st.st_ino != t.ino);

	/* the name (as MMAP2 gave it when mapped) now leads to another file */
	assert_int_equal(mapped_file__open(t.path, t.ino, t.pid), -ESTALE);
	assert_int_equal(mapped_file__open_mapping(t.path, t.ino, t.pid, 0, 0), -ESTALE);
	assert_fd_ino(mapped_file__open_mapping(t.path, t.ino, t.pid, m.start, m.end), t.ino);
	/* the maps name of the replaced file too */
	assert_true(find_mapping(t.pid, t.path, &m));
	assert_string_equal(m.name + strlen(t.path), " (deleted)");
	assert_fd_ino(mapped_file__open_mapping(m.name, t.ino, t.pid, m.start, m.end), t.ino);
	target__stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_replaced),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
