// SPDX-License-Identifier: Apache-2.0
/*
 * Can this process sample with perf_event_open(2)?  Opens the software cpu-clock event that a
 * sampler without a hardware PMU relies on:
 *
 *   perf_probe          for the calling process on any CPU (what -p, -t and -- CMD need)
 *   perf_probe system   for every process on CPU 0 (what -a needs)
 *
 * Exits 0 when the kernel accepts it, else 1 with the reason on stdout, in one line.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int system_wide = argc > 1 && strcmp(argv[1], "system") == 0;
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_freq = 99;
	attr.freq = 1;
	attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_CALLCHAIN;
	attr.disabled = 1;
	fd = syscall(SYS_perf_event_open, &attr, system_wide ? -1 : 0, system_wide ? 0 : -1, -1, 0);
	if (fd < 0) {
		printf("perf_event_open(cpu-clock, %s) failed: %s\n",
		       system_wide ? "all processes, cpu 0" : "this process", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
