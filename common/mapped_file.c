// SPDX-License-Identifier: Apache-2.0
#include "common/mapped_file.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

static const char deleted_suffix[] = " (deleted)";

/* Open @path and check that it is the file mapped (when its inode is known). */
static int open_verified(const char *path, uint64_t ino)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO put where a library was must not hang the profiler */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* a file of the same name that is not the one mapped would give wrong names */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (ino && (uint64_t)st.st_ino != ino)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int mapped_file__open(const char *mapped_path, uint64_t ino, pid_t pid)
{
	struct strbuf path = STRBUF_INIT, root_path = STRBUF_INIT;
	size_t len = strlen(mapped_path), suffix = sizeof(deleted_suffix) - 1;
	int fd;

	strbuf_addstr(&path, mapped_path);
	if (len > suffix && !strcmp(mapped_path + len - suffix, deleted_suffix)) {
		strbuf_setlen(&path, len - suffix);
		if (!ino) {
			/* what has the name now is another file, and nothing tells */
			fd = -ESTALE;
			goto out;
		}
	}
	fd = open_verified(path.buf, ino);
	if (fd < 0 && pid > 0 && path.buf[0] == '/') {
		int fd2;

		strbuf_addf(&root_path, "/proc/%d/root%s", (int)pid, path.buf);
		fd2 = open_verified(root_path.buf, ino);
		if (fd2 >= 0 || fd == -ENOENT)
			fd = fd2;
	}
out:
	strbuf_release(&root_path);
	strbuf_release(&path);
	return fd;
}

int mapped_file__open_mapping(const char *path, uint64_t ino, pid_t pid, uint64_t map_start,
			      uint64_t map_end)
{
	char link[96];
	int fd, fd2;

	fd = mapped_file__open(path, ino, pid);
	if (fd >= 0 || pid <= 0 || map_start >= map_end)
		return fd;
	/*
	 * The kernel names each file mapping as /proc/PID/maps shows its range
	 * ("%lx-%lx"); opening the link reaches the mapped file, deleted or not.
	 */
	snprintf(link, sizeof(link), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, map_start,
		 map_end);
	fd2 = open_verified(link, ino);
	return fd2 >= 0 ? fd2 : fd;
}

bool open_attempts__may_try(const struct open_attempts *a, pid_t pid)
{
	unsigned int i;

	if (a->final || a->count >= MAPPED_FILE_MAX_ATTEMPTS)
		return false;
	for (i = 0; i < a->count; i++)
		if (a->tried[i] == pid)
			return false;
	return true;
}

void open_attempts__add(struct open_attempts *a, pid_t pid)
{
	if (a->count < MAPPED_FILE_MAX_ATTEMPTS)
		a->tried[a->count++] = pid;
}

const void *vdso_image(size_t *size)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) * ph;
	size_t end;
	unsigned int i;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	/* the kernel maps the whole image, section headers included */
	ph = (const void *)((const char *)eh + eh->e_phoff);
	end = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	*size = end;
	return eh;
}

long kernel_sysctl(const char *name, long fallback)
{
	char path[128];
	long v = fallback;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = fallback;
		fclose(f);
	}
	return v;
}
