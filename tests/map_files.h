/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_TESTS_MAP_FILES_H
#define FLAMESAMP_TESTS_MAP_FILES_H

/*
 * Whether this test process may open /proc/PID/map_files entries: the kernel
 * allows it only with CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) in the initial
 * user namespace, for its own mappings too.  Tests that need it skip with the
 * reason this gives.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* NULL when map_files can be opened; else why not, for a "skipped: " message. */
static inline const char *map_files_unavailable(void)
{
	static char reason[256];
	char line[512], link[96];
	uint64_t start = 0, end = 0;
	FILE *f;
	int fd, err = ENOENT;

	if (geteuid() != 0) {
		snprintf(reason, sizeof(reason),
			 "not running as root (uid %d): opening /proc/PID/map_files needs "
			 "CAP_SYS_ADMIN",
			 (int)geteuid());
		return reason;
	}
	f = fopen("/proc/self/maps", "re");
	/* the first file mapping: its name ends the line with a path */
	while (f && fgets(line, sizeof(line), f))
		if (strchr(line, '/') && sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2)
			break;
	if (f)
		fclose(f);
	if (start < end) {
		snprintf(link, sizeof(link), "/proc/self/map_files/%" PRIx64 "-%" PRIx64, start,
			 end);
		fd = open(link, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return NULL;
		}
		err = errno;
	}
	snprintf(reason, sizeof(reason),
		 "root, but /proc/self/map_files cannot be opened (%s): CAP_SYS_ADMIN in the "
		 "initial user namespace is missing (a container?)",
		 strerror(err));
	return reason;
}

#endif
