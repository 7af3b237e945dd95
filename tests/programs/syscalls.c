// SPDX-License-Identifier: Apache-2.0
/*
 * A process whose CPU time goes almost all to the kernel:
 *
 *   syscalls [MS]
 *
 * reads /dev/zero 64 KiB at a time for MS milliseconds (0 or none: until killed).  Each read
 * spends microseconds clearing the user buffer in the kernel and nanoseconds in user space.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buffer[64 * 1024];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void read_zeroes(int fd)
{
	if (read(fd, buffer, sizeof(buffer)) < 0) {
		perror("syscalls: read");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double limit_ms = argc > 1 ? strtod(argv[1], NULL) : 0;
	double start = now_ms();
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0) {
		perror("syscalls: /dev/zero");
		return 1;
	}
	while (limit_ms <= 0 || now_ms() - start < limit_ms)
		read_zeroes(fd);
	close(fd);
	return 0;
}
