/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_MAPPED_FILE_H
#define FLAMESAMP_COMMON_MAPPED_FILE_H

/*
 * Reaching the files other processes have mapped, shared by the symbolizer
 * and the DWARF unwinder: open the file a mapping names (checking it is still
 * the same inode), else the file behind the mapping itself (deleted or
 * replaced since), retry through other processes' roots, the vDSO image, and
 * kernel sysctls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Open the file mapped as @path (as /proc/PID/maps or MMAP2 name it) for
 * reading: the path itself, else the same path under /proc/@pid/root
 * (containers, chroots; @pid 0 for none).  " (deleted)" is dropped from the
 * path; the inode check (when @ino is not 0) then tells whether what has the
 * name is the file mapped.  Only regular files; never blocks on a FIFO.
 * Returns a descriptor, or -errno (-ESTALE: another file has the name).
 */
int mapped_file__open(const char *path, uint64_t ino, pid_t pid);

/*
 * As mapped_file__open(), then, when that fails (-ESTALE included) and a
 * mapping of the file in @pid is known ([@map_start, @map_end) as the first
 * column of /proc/@pid/maps gives it; @pid > 0, @map_start < @map_end),
 * /proc/@pid/map_files/START-END: the kernel keeps every file mapping
 * reachable there, so a binary deleted or replaced (a package upgrade, a
 * redeploy) since the process mapped it still opens.  Opening it takes
 * CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) and a live process still
 * mapping that range.  What it leads to is accepted only as a regular file
 * whose inode is @ino (when not 0): a range taken since by another file is
 * refused.  Returns a descriptor, or the -errno mapped_file__open() gave.
 */
int mapped_file__open_mapping(const char *path, uint64_t ino, pid_t pid, uint64_t map_start,
			      uint64_t map_end);

/*
 * A file that one process cannot open may be reachable through another's
 * root: remember which processes were tried, a few at most.
 */
#define MAPPED_FILE_MAX_ATTEMPTS 4

struct open_attempts {
	pid_t tried[MAPPED_FILE_MAX_ATTEMPTS];
	unsigned int count;
	bool final; /* opened, or known unusable: never try again */
};

/* Whether opening through @pid is still worth a try. */
bool open_attempts__may_try(const struct open_attempts *a, pid_t pid);
/* Record a try through @pid. */
void open_attempts__add(struct open_attempts *a, pid_t pid);

/*
 * This process's vDSO image and its size, or NULL.  Every process on a kernel
 * maps the same vDSO (per ABI), so it stands for theirs.  The image is the
 * kernel's read-only mapping: copy it before handing it to code that writes.
 */
const void *vdso_image(size_t *size);

/* /proc/sys/kernel/@name as a number, or @fallback when it cannot be read. */
long kernel_sysctl(const char *name, long fallback);

#endif
