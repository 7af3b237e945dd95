// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE /* pipe2 */
#include "sampler/sampler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asm/perf_regs.h>
#include <linux/perf_event.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/mapped_file.h"
#include "common/xalloc.h"
#include "sampler/perf_ring.h"
#include "sampler/unwind.h"

#define SAMPLE_TYPE                                                                                \
	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |                   \
	 PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)
/*
 * Every general-purpose register perf can sample on x86-64 (the segment
 * registers but CS and SS are refused in 64-bit mode), as perf's PERF_REGS_MASK.
 */
#define USER_REGS_MASK                                                                             \
	(((1ULL << PERF_REG_X86_64_MAX) - 1) &                                                     \
	 ~((1ULL << PERF_REG_X86_DS) | (1ULL << PERF_REG_X86_ES) | (1ULL << PERF_REG_X86_FS) |     \
	   (1ULL << PERF_REG_X86_GS)))
/* sample_id_all trailer of every other record for SAMPLE_TYPE: {pid, tid}, time, {cpu, res} */
#define SAMPLE_ID_SIZE 24
/*
 * User stack bytes copied per sample by default.  perf's 8192 cuts deep C++
 * stacks short; 32 KiB holds a few hundred typical frames at half the
 * bandwidth of the maximum.
 */
#define DEFAULT_STACK_COPY 32768

/* A record copied out of its ring, waiting for its turn in time order. */
struct record_buffer {
	void *data;
	size_t cap;
};

struct queued {
	uint64_t time, seq;
	struct perf_event_header *rec; /* in buf; NULL for an external sample */
	struct record_buffer buf;
};

/* An external sample as queued: this header, the call chain, the registers, the stack. */
struct external_record {
	pid_t pid, tid;
	uint32_t kind;
	bool has_user_regs;
	uint64_t weight, data;
	uint64_t nr_callchain; /* perf layout: PERF_CONTEXT_KERNEL, ips, PERF_CONTEXT_USER, ips */
	uint64_t stack_size;
	char comm[16]; /* "" for the process table's */
};

/*
 * Record copies are recycled: with a user stack copy in every sample, a
 * malloc and free per record would be a few tens of KiB each, thousands of
 * times a second.  A recording's records have much the same sizes, so a
 * spare buffer rarely needs to grow.
 */
#define MAX_SPARE_BUFFERS 1024

/*
 * External samples repeat: a loop that allocates, or blocks, from one place
 * sends the same call chain, registers and stack bytes again and again, and
 * unwinding them costs microseconds each.  The frames are a function of the
 * process's mappings, the call chain, the registers CFI starts from and the
 * stack bytes, so an exact repeat of those reuses them.  The key leaves out
 * the registers other than ip, sp and bp: they hold loop counters that would
 * defeat the cache, and x86-64 CFI finds frames from sp and bp (rules on
 * other registers occur only inside prologues, never at a call's return or
 * in a system call, where these samples are taken).
 */
#define UNWIND_CACHE_SLOTS  1024
#define UNWIND_CACHE_BYTES  8192 /* chain and stack of a sample, at most */
#define UNWIND_CACHE_FRAMES 256

struct unwind_cache_entry {
	uint64_t hash, generation;
	pid_t pid;
	uint64_t ip, sp, bp;
	size_t nr_chain, stack_size;
	unsigned char *bytes; /* the chain, then the stack */
	size_t nr_frames;
	struct sampler_frame *frames;
};

struct sampler {
	struct sampler_options opts;
	struct perf_event_attr attr;
	enum sampler_event event;
	bool kernel_excluded;
	unsigned kernel_max_stack; /* kernel.perf_event_max_stack */

	int *cpus;
	unsigned nr_cpus;
	int *fds; /* every event */
	size_t nr_fds, cap_fds;
	int *cpu_ring_fd; /* per cpu index: the fd owning the ring, -1 before the first */
	struct perf_ring **rings;
	struct pollfd *pollfds;
	size_t nr_hup;

	struct queued *queue;
	size_t nr_queued, cap_queued;
	struct record_buffer *spare_buffers;
	size_t nr_spare;
	uint64_t seq, round_max_time, flush_limit;

	struct process_table *processes;
	struct unwinder unwinder;
	struct sampler_frame *frames;
	size_t max_frames;
	struct unwind_cache_entry *unwind_cache; /* UNWIND_CACHE_SLOTS */
	uint64_t unwind_cache_hits;

	struct {
		pid_t pid, tid;
	} * exits; /* held back by keep_exited */
	size_t nr_exits, cap_exits;

	pid_t child;
	int child_go_fd, child_err_fd;
	int child_status;
	bool child_reaped;

	struct sampler_stats stats;
};

static int perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Parse /sys/devices/system/cpu/online ("0-3,6"). */
static int online_cpus(struct sampler *s)
{
	char buf[4096], *p;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	size_t len;
	int cap = 0;

	if (!f)
		return -errno;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo, c;

		if (end == p)
			return -EINVAL;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (c = lo; c <= hi && c < 65536; c++) {
			if ((int)s->nr_cpus == cap) {
				cap = cap ? cap * 2 : 16;
				s->cpus = xreallocarray(s->cpus, (size_t)cap, sizeof(*s->cpus));
			}
			s->cpus[s->nr_cpus++] = (int)c;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return s->nr_cpus ? 0 : -ENODEV;
}

static void setup_attr(struct sampler *s)
{
	struct perf_event_attr *a = &s->attr;
	bool per_task = !s->opts.system_wide;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	switch (s->event) {
	case SAMPLER_EVENT_AUTO:
	case SAMPLER_EVENT_CYCLES:
		a->type = PERF_TYPE_HARDWARE;
		a->config = PERF_COUNT_HW_CPU_CYCLES;
		s->stats.event_name = "cycles";
		break;
	case SAMPLER_EVENT_CPU_CLOCK:
		a->type = PERF_TYPE_SOFTWARE;
		a->config = PERF_COUNT_SW_CPU_CLOCK;
		s->stats.event_name = "cpu-clock";
		break;
	case SAMPLER_EVENT_TASK_CLOCK:
		a->type = PERF_TYPE_SOFTWARE;
		a->config = PERF_COUNT_SW_TASK_CLOCK;
		s->stats.event_name = "task-clock";
		break;
	case SAMPLER_EVENT_NONE:
		a->type = PERF_TYPE_SOFTWARE;
		a->config = PERF_COUNT_SW_DUMMY;
		s->stats.event_name = "none";
		break;
	}
	if (s->event == SAMPLER_EVENT_NONE) {
		/* a dummy event never samples: its records are the side-band ones */
	} else if (s->opts.period) {
		a->sample_period = s->opts.period;
	} else {
		a->freq = 1;
		a->sample_freq = s->opts.freq;
	}
	a->sample_type = SAMPLE_TYPE;
	if (s->opts.call_graph != SAMPLER_CALL_GRAPH_FP && s->event != SAMPLER_EVENT_NONE) {
		a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = USER_REGS_MASK;
		a->sample_stack_user = s->opts.stack_copy;
		/* DWARF alone has no use for the kernel's user-space walk */
		a->exclude_callchain_user = s->opts.call_graph == SAMPLER_CALL_GRAPH_DWARF;
	}
	a->sample_id_all = 1;
	/* the clock of bpf_ktime_get_ns(), so external samples sort among the records */
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	/* side-band records for the process table, on every event: each is
	 * delivered once, by the event of the task and CPU where it happens */
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->disabled = 1;
	a->inherit = per_task;
	a->enable_on_exec = s->opts.argv != NULL;
	a->exclude_callchain_kernel = s->opts.no_kernel;
	a->exclude_kernel = s->kernel_excluded;
	a->exclude_hv = 1;
	a->exclude_guest = 1;
	/* above kernel.perf_event_max_stack the kernel refuses the event (EOVERFLOW) */
	if (s->opts.max_stack)
		a->sample_max_stack =
			(uint16_t)(s->opts.max_stack < s->kernel_max_stack ? s->opts.max_stack
									   : s->kernel_max_stack);
}

static void add_fd(struct sampler *s, int fd)
{
	if (s->nr_fds == s->cap_fds) {
		s->cap_fds = s->cap_fds ? s->cap_fds * 2 : 64;
		s->fds = xreallocarray(s->fds, s->cap_fds, sizeof(*s->fds));
	}
	s->fds[s->nr_fds++] = fd;
}

/*
 * Open the event for @pid (-1: every task) on CPU index @ci and attach it to
 * that CPU's ring.  0 or -errno.
 */
static int open_on_cpu(struct sampler *s, pid_t pid, unsigned ci)
{
	int fd, err;

	for (;;) {
		fd = perf_event_open(&s->attr, pid, s->cpus[ci]);
		if (fd >= 0)
			break;
		err = errno;
		/* no PMU cycles counter (VMs, some ARM): software clock, as perf does */
		if (s->event == SAMPLER_EVENT_AUTO && s->attr.type == PERF_TYPE_HARDWARE &&
		    (err == ENOENT || err == ENODEV || err == EOPNOTSUPP || err == EINVAL)) {
			s->event = s->opts.system_wide ? SAMPLER_EVENT_CPU_CLOCK
						       : SAMPLER_EVENT_TASK_CLOCK;
			s->stats.event_fallback = true;
			setup_attr(s);
			continue;
		}
		/* kernel.perf_event_paranoid >= 2 allows user-space samples only */
		if ((err == EACCES || err == EPERM) && !s->kernel_excluded &&
		    !s->opts.system_wide) {
			s->kernel_excluded = true;
			setup_attr(s);
			continue;
		}
		return -err;
	}
	if (s->cpu_ring_fd[ci] < 0) {
		s->rings[ci] = perf_ring__new(fd, s->opts.ring_pages);
		if (!s->rings[ci]) {
			err = -errno;
			close(fd);
			return err == -EPERM ? -ENOMEM : err;
		}
		s->cpu_ring_fd[ci] = fd;
	} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->cpu_ring_fd[ci])) {
		err = -errno;
		close(fd);
		return err;
	}
	add_fd(s, fd);
	return 0;
}

static int open_task(struct sampler *s, pid_t tid)
{
	unsigned ci;
	int err;

	for (ci = 0; ci < s->nr_cpus; ci++) {
		err = open_on_cpu(s, tid, ci);
		/* a CPU that went offline meanwhile */
		if (err == -ENODEV)
			continue;
		if (err)
			return err;
	}
	return 0;
}

static bool opened_tid(const pid_t *tids, size_t n, pid_t tid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/*
 * Every thread of @pid.  Threads started between listing and opening would
 * be missed (inherit only covers threads created after the event exists), so
 * list again until no new thread appears.
 */
static int open_process(struct sampler *s, pid_t pid)
{
	pid_t *done = NULL;
	size_t nr_done = 0, cap = 0;
	int round, err = 0;
	bool found_new = true;

	for (round = 0; found_new && round < 16; round++) {
		char path[64];
		struct dirent *de;
		DIR *dir;

		found_new = false;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		dir = opendir(path);
		if (!dir) {
			err = nr_done ? 0 : -ESRCH;
			break;
		}
		while ((de = readdir(dir))) {
			char *end;
			long tid = strtol(de->d_name, &end, 10);

			if (*end || tid <= 0 || opened_tid(done, nr_done, (pid_t)tid))
				continue;
			err = open_task(s, (pid_t)tid);
			if (err == -ESRCH) {
				err = 0; /* exited meanwhile */
				continue;
			}
			if (err)
				break;
			if (nr_done == cap) {
				cap = cap ? cap * 2 : 16;
				done = xreallocarray(done, cap, sizeof(*done));
			}
			done[nr_done++] = (pid_t)tid;
			found_new = true;
		}
		closedir(dir);
		if (err)
			break;
	}
	if (!err && !nr_done)
		err = -ESRCH;
	free(done);
	return err;
}

/*
 * Fork the command stopped before exec: the child waits on a pipe so the
 * events can be opened on its pid first; enable_on_exec then starts them at
 * its first instruction.  exec failures come back through a close-on-exec
 * pipe (EOF means the exec succeeded).
 */
static int fork_command(struct sampler *s)
{
	int go[2], report[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(report, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(report[0]);
		close(report[1]);
		return err;
	}
	if (pid == 0) {
		char c;
		int err;

		close(go[1]);
		close(report[0]);
		/* EOF without a byte: the profiler gave up, do not run */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(s->opts.argv[0], s->opts.argv);
		err = errno;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(report[1]);
	s->child = pid;
	s->child_go_fd = go[1];
	s->child_err_fd = report[0];
	return 0;
}

static int open_events(struct sampler *s)
{
	size_t i;
	unsigned ci;
	int err = 0;

	if (s->opts.system_wide) {
		for (ci = 0; ci < s->nr_cpus; ci++) {
			err = open_on_cpu(s, -1, ci);
			if (err == -ENODEV)
				err = 0;
			if (err)
				return err;
		}
		return 0;
	}
	if (s->opts.argv)
		return open_task(s, s->child);
	for (i = 0; i < s->opts.nr_pids && !err; i++)
		err = open_process(s, s->opts.pids[i]);
	for (i = 0; i < s->opts.nr_tids && !err; i++)
		err = open_task(s, s->opts.tids[i]);
	return err;
}

/* Opening one event per thread and CPU can take many descriptors. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct sampler *sampler__new(const struct sampler_options *opts)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	long max_rate;
	size_t i;
	int err;

	s->opts = *opts;
	s->event = opts->event;
	s->child_go_fd = s->child_err_fd = -1;
	/* 512 KiB: within the default perf_event_mlock_kb (516) */
	if (!s->opts.ring_pages)
		s->opts.ring_pages = 128;
	if (s->event == SAMPLER_EVENT_NONE)
		s->opts.period = s->opts.freq = 0;
	else if (!s->opts.period && !s->opts.freq)
		s->opts.freq = 997;
	s->kernel_max_stack = (unsigned)kernel_sysctl("perf_event_max_stack", 127);
	max_rate = kernel_sysctl("perf_event_max_sample_rate", 0);
	/* the kernel answers EINVAL; callers can compare with the sysctl to explain */
	if (s->opts.freq && max_rate > 0 && s->opts.freq > (unsigned long)max_rate) {
		err = -EINVAL;
		goto fail;
	}
	s->max_frames = 4096;
	s->frames = xreallocarray(NULL, s->max_frames, sizeof(*s->frames));
	s->unwind_cache = xcalloc(UNWIND_CACHE_SLOTS, sizeof(*s->unwind_cache));
	s->processes = process_table__new();
	if (opts->call_graph == SAMPLER_CALL_GRAPH_FP) {
		unwinder_init_frame_pointer(&s->unwinder, !opts->no_kernel);
	} else {
		err = opts->call_graph == SAMPLER_CALL_GRAPH_AUTO
			      ? unwinder_init_auto(&s->unwinder, !opts->no_kernel)
			      : unwinder_init_dwarf(&s->unwinder, !opts->no_kernel);
		if (err)
			goto fail;
		if (!s->opts.stack_copy)
			s->opts.stack_copy = DEFAULT_STACK_COPY;
		s->opts.stack_copy = (s->opts.stack_copy + 7) & ~7u;
		if (s->opts.stack_copy > SAMPLER_MAX_STACK_COPY)
			s->opts.stack_copy = SAMPLER_MAX_STACK_COPY;
		/* a stack copy per sample: room for a few hundred milliseconds of them */
		if (!opts->ring_pages && s->event != SAMPLER_EVENT_NONE)
			s->opts.ring_pages = geteuid() == 0 ? 2048 : 128;
	}

	err = online_cpus(s);
	if (err)
		goto fail;
	s->cpu_ring_fd = xreallocarray(NULL, s->nr_cpus, sizeof(*s->cpu_ring_fd));
	for (i = 0; i < s->nr_cpus; i++)
		s->cpu_ring_fd[i] = -1;
	s->rings = xcalloc(s->nr_cpus, sizeof(*s->rings));
	raise_fd_limit();

	if (opts->argv) {
		err = fork_command(s);
		if (err)
			goto fail;
	}
	setup_attr(s);
	err = open_events(s);
	if (err)
		goto fail;
	/* snapshot after the events exist, so no mapping falls between the two */
	if (opts->system_wide) {
		process_table__load_all(s->processes);
	} else {
		for (i = 0; i < opts->nr_pids; i++)
			process_table__load(s->processes, opts->pids[i]);
		for (i = 0; i < opts->nr_tids; i++)
			process_table__load(s->processes, opts->tids[i]);
	}
	/* the events, then the external source's descriptor (-1: none, poll skips it) */
	s->pollfds = xcalloc(s->nr_fds + 1, sizeof(*s->pollfds));
	for (i = 0; i < s->nr_fds; i++) {
		s->pollfds[i].fd = s->fds[i];
		s->pollfds[i].events = POLLIN;
	}
	s->pollfds[s->nr_fds].fd =
		opts->on_external && opts->external_fd > 0 ? opts->external_fd : -1;
	s->pollfds[s->nr_fds].events = POLLIN;
	for (i = 0; i < s->nr_cpus; i++)
		if (s->rings[i])
			s->stats.nr_cpus++;
	s->stats.ring_bytes = s->stats.nr_cpus ? perf_ring__data_size(s->rings[0]) : 0;
	s->stats.kernel_excluded = s->kernel_excluded || opts->no_kernel;
	return s;
fail:
	sampler__free(s);
	errno = -err;
	return NULL;
}

void sampler__free(struct sampler *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->rings && i < s->nr_cpus; i++)
		perf_ring__free(s->rings[i]);
	for (i = 0; i < s->nr_fds; i++)
		close(s->fds[i]);
	for (i = 0; i < s->nr_queued; i++)
		free(s->queue[i].buf.data);
	for (i = 0; i < s->nr_spare; i++)
		free(s->spare_buffers[i].data);
	free(s->spare_buffers);
	if (s->child > 0 && !s->child_reaped)
		sampler__reap_child(s);
	if (s->child_go_fd >= 0)
		close(s->child_go_fd);
	if (s->child_err_fd >= 0)
		close(s->child_err_fd);
	if (s->unwinder.destroy)
		s->unwinder.destroy(&s->unwinder);
	process_table__free(s->processes);
	free(s->queue);
	free(s->exits);
	for (i = 0; s->unwind_cache && i < UNWIND_CACHE_SLOTS; i++) {
		free(s->unwind_cache[i].bytes);
		free(s->unwind_cache[i].frames);
	}
	free(s->unwind_cache);
	free(s->frames);
	free(s->pollfds);
	free(s->rings);
	free(s->cpu_ring_fd);
	free(s->fds);
	free(s->cpus);
	free(s);
}

int sampler__start(struct sampler *s)
{
	size_t i;

	if (s->opts.argv) {
		int child_errno = 0;
		ssize_t n;

		/* enable_on_exec does the enabling */
		if (write(s->child_go_fd, "g", 1) != 1)
			return -errno;
		close(s->child_go_fd);
		s->child_go_fd = -1;
		do
			n = read(s->child_err_fd, &child_errno, sizeof(child_errno));
		while (n < 0 && errno == EINTR);
		close(s->child_err_fd);
		s->child_err_fd = -1;
		if (n == sizeof(child_errno)) {
			sampler__reap_child(s);
			return -child_errno;
		}
		return 0;
	}
	for (i = 0; i < s->nr_fds; i++) {
		/* ENOENT/ESRCH: the thread exited since; its events are gone with it */
		if (ioctl(s->fds[i], PERF_EVENT_IOC_ENABLE, 0) && errno != ESRCH &&
		    errno != ENOENT) {
			fs_warn("cannot enable sampling: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Fixed-size fields of the records we read, after the header. */
struct fork_exit_body {
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct mmap2_body {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
	char filename[];
};

struct mmap_body {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	char filename[];
};

static uint64_t record_time(const struct perf_event_header *h)
{
	uint64_t t;

	if (h->type == PERF_RECORD_SAMPLE) {
		/* ip, {pid, tid}, time */
		if (h->size < sizeof(*h) + 24)
			return 0;
		memcpy(&t, (const char *)h + sizeof(*h) + 16, sizeof(t));
		return t;
	}
	if (h->size < sizeof(*h) + SAMPLE_ID_SIZE)
		return 0;
	memcpy(&t, (const char *)h + h->size - 16, sizeof(t));
	return t;
}

static struct record_buffer take_buffer(struct sampler *s, size_t size)
{
	struct record_buffer b = {NULL, 0};

	if (s->nr_spare)
		b = s->spare_buffers[--s->nr_spare];
	if (b.cap < size) {
		b.cap = size;
		b.data = xrealloc(b.data, b.cap);
	}
	return b;
}

static void give_back_buffer(struct sampler *s, struct record_buffer b)
{
	if (s->nr_spare == MAX_SPARE_BUFFERS) {
		free(b.data);
		return;
	}
	if (!s->spare_buffers)
		s->spare_buffers =
			xreallocarray(NULL, MAX_SPARE_BUFFERS, sizeof(*s->spare_buffers));
	s->spare_buffers[s->nr_spare++] = b;
}

static void enqueue(const struct perf_event_header *h, void *ctx)
{
	struct sampler *s = ctx;
	struct queued *q;

	switch (h->type) {
	case PERF_RECORD_LOST:
		if (h->size >= sizeof(*h) + 16) {
			uint64_t lost;

			memcpy(&lost, (const char *)h + sizeof(*h) + 8, sizeof(lost));
			s->stats.lost += lost;
		}
		return;
	case PERF_RECORD_LOST_SAMPLES:
		if (h->size >= sizeof(*h) + 8) {
			uint64_t lost;

			memcpy(&lost, (const char *)h + sizeof(*h), sizeof(lost));
			s->stats.lost_samples += lost;
		}
		return;
	case PERF_RECORD_THROTTLE:
		s->stats.throttled++;
		return;
	case PERF_RECORD_SAMPLE:
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
	case PERF_RECORD_COMM:
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		break;
	default:
		return;
	}
	if (s->nr_queued == s->cap_queued) {
		s->cap_queued = s->cap_queued ? s->cap_queued * 2 : 1024;
		s->queue = xreallocarray(s->queue, s->cap_queued, sizeof(*s->queue));
	}
	q = &s->queue[s->nr_queued++];
	q->time = record_time(h);
	q->seq = s->seq++;
	q->buf = take_buffer(s, h->size);
	q->rec = q->buf.data;
	memcpy(q->rec, h, h->size);
	if (q->time > s->round_max_time)
		s->round_max_time = q->time;
}

/* PERF_SAMPLE_REGS_USER: u64 abi, then one u64 per bit of the mask (none for ABI_NONE). */
static const unsigned char *parse_user_regs(const unsigned char *p, const unsigned char *end,
					    struct unwind_input *in)
{
	uint64_t abi;
	unsigned r;

	if (end - p < 8)
		return NULL;
	memcpy(&abi, p, 8);
	p += 8;
	if (abi == PERF_SAMPLE_REGS_ABI_NONE)
		return p; /* a kernel thread: no user context */
	if ((size_t)(end - p) < 8 * (size_t)__builtin_popcountll(USER_REGS_MASK))
		return NULL;
	for (r = 0; r < PERF_REG_X86_64_MAX; r++) {
		if (USER_REGS_MASK & (1ULL << r)) {
			memcpy(&in->user_regs[r], p, 8);
			p += 8;
		}
	}
	in->has_user_regs = abi == PERF_SAMPLE_REGS_ABI_64;
	return p;
}

/* PERF_SAMPLE_STACK_USER: u64 size, size bytes, then u64 dyn_size (bytes really copied). */
static const unsigned char *parse_user_stack(const unsigned char *p, const unsigned char *end,
					     struct unwind_input *in)
{
	uint64_t size, dyn_size;

	if (end - p < 8)
		return NULL;
	memcpy(&size, p, 8);
	p += 8;
	if (!size)
		return p;
	if ((uint64_t)(end - p) < size + 8)
		return NULL;
	memcpy(&dyn_size, p + size, 8);
	in->stack = p;
	in->stack_size = dyn_size < size ? dyn_size : size;
	return p + size + 8;
}

static void handle_sample(struct sampler *s, const struct perf_event_header *h)
{
	const unsigned char *p = (const unsigned char *)(h + 1);
	const unsigned char *end = (const unsigned char *)h + h->size;
	struct unwind_input in = {0};
	struct sampler_sample sample = {0};
	uint32_t pid_tid[2], cpu_res[2];
	uint64_t nr;

	/* ip, {pid, tid}, time, {cpu, res}, period, nr, ips[nr] */
	if (end - p < 48)
		return;
	memcpy(&in.ip, p, 8);
	memcpy(pid_tid, p + 8, 8);
	memcpy(&sample.time, p + 16, 8);
	memcpy(cpu_res, p + 24, 8);
	memcpy(&sample.period, p + 32, 8);
	memcpy(&nr, p + 40, 8);
	p += 48;
	if (nr > (uint64_t)(end - p) / 8)
		return;
	sample.pid = in.pid = (pid_t)pid_tid[0];
	sample.tid = in.tid = (pid_t)pid_tid[1];
	sample.cpu = cpu_res[0];
	/* ips are 8-byte aligned within the record copy */
	in.callchain = (const uint64_t *)p;
	in.nr_callchain = nr;
	p += nr * 8;
	if (s->attr.sample_type & PERF_SAMPLE_REGS_USER)
		p = parse_user_regs(p, end, &in);
	if (p && (s->attr.sample_type & PERF_SAMPLE_STACK_USER))
		p = parse_user_stack(p, end, &in);
	if (!p)
		return; /* truncated: not a record the kernel writes */

	sample.frames = s->frames;
	sample.nr_frames =
		s->unwinder.unwind(&s->unwinder, &in, s->processes, s->frames,
				   s->opts.max_stack ? s->opts.max_stack : s->max_frames);
	sample.comm = process_table__thread_comm(s->processes, sample.pid, sample.tid);
	s->stats.samples++;
	s->opts.on_sample(&sample, s->opts.ctx);
}

static void apply_exit(struct sampler *s, pid_t pid, pid_t tid)
{
	process_table__exit(s->processes, pid, tid);
	if (pid == tid && s->unwinder.forget_process)
		s->unwinder.forget_process(&s->unwinder, pid);
}

static void hold_exit(struct sampler *s, pid_t pid, pid_t tid)
{
	if (s->nr_exits == s->cap_exits) {
		s->cap_exits = s->cap_exits ? s->cap_exits * 2 : 64;
		s->exits = xreallocarray(s->exits, s->cap_exits, sizeof(*s->exits));
	}
	s->exits[s->nr_exits].pid = pid;
	s->exits[s->nr_exits].tid = tid;
	s->nr_exits++;
}

static uint64_t external_key(const struct external_record *x, const uint64_t *regs, size_t *len)
{
	const unsigned char *bytes = (const unsigned char *)(x + 1);

	*len = x->nr_callchain * 8 + (x->has_user_regs ? x->stack_size : 0);
	return fs_hash_bytes(bytes, x->nr_callchain * 8,
			     fs_hash_bytes(regs + PERF_REG_X86_64_MAX,
					   x->has_user_regs ? x->stack_size : 0,
					   regs[PERF_REG_X86_IP] ^ (regs[PERF_REG_X86_SP] << 1) ^
						   (uint64_t)x->pid));
}

static struct unwind_cache_entry *cache_find(struct sampler *s, const struct external_record *x,
					     const uint64_t *regs, uint64_t hash, uint64_t gen)
{
	struct unwind_cache_entry *e = &s->unwind_cache[hash % UNWIND_CACHE_SLOTS];
	const unsigned char *chain = (const unsigned char *)(x + 1);

	if (!e->frames || e->hash != hash || e->pid != x->pid || e->generation != gen ||
	    e->nr_chain != x->nr_callchain || e->stack_size != x->stack_size ||
	    e->ip != regs[PERF_REG_X86_IP] || e->sp != regs[PERF_REG_X86_SP] ||
	    e->bp != regs[PERF_REG_X86_BP])
		return NULL;
	if (memcmp(e->bytes, chain, x->nr_callchain * 8) ||
	    memcmp(e->bytes + x->nr_callchain * 8, regs + PERF_REG_X86_64_MAX, x->stack_size))
		return NULL;
	return e;
}

static void cache_store(struct sampler *s, const struct external_record *x, const uint64_t *regs,
			uint64_t hash, uint64_t gen, size_t len, size_t nr_frames)
{
	struct unwind_cache_entry *e = &s->unwind_cache[hash % UNWIND_CACHE_SLOTS];

	if (!e->bytes) {
		e->bytes = xmalloc(UNWIND_CACHE_BYTES);
		e->frames = xreallocarray(NULL, UNWIND_CACHE_FRAMES, sizeof(*e->frames));
	}
	e->hash = hash;
	e->generation = gen;
	e->pid = x->pid;
	e->ip = regs[PERF_REG_X86_IP];
	e->sp = regs[PERF_REG_X86_SP];
	e->bp = regs[PERF_REG_X86_BP];
	e->nr_chain = x->nr_callchain;
	e->stack_size = x->stack_size;
	memcpy(e->bytes, x + 1, x->nr_callchain * 8);
	memcpy(e->bytes + x->nr_callchain * 8, regs + PERF_REG_X86_64_MAX,
	       len - x->nr_callchain * 8);
	e->nr_frames = nr_frames;
	memcpy(e->frames, s->frames, nr_frames * sizeof(*e->frames));
}

/* An external sample: the same unwinding and delivery as handle_sample(). */
static void handle_external(struct sampler *s, uint64_t time, const struct external_record *x)
{
	const uint64_t *chain = (const uint64_t *)(x + 1);
	const uint64_t *regs = chain + x->nr_callchain;
	struct unwind_input in = {0};
	struct sampler_sample sample = {0};

	in.pid = sample.pid = x->pid;
	in.tid = sample.tid = x->tid;
	in.callchain = chain;
	in.nr_callchain = x->nr_callchain;
	in.has_user_regs = x->has_user_regs;
	if (x->has_user_regs) {
		memcpy(in.user_regs, regs, sizeof(in.user_regs));
		in.stack = (const unsigned char *)(regs + PERF_REG_X86_64_MAX);
		in.stack_size = x->stack_size;
	}
	sample.time = time;
	sample.period = x->weight;
	sample.kind = x->kind;
	sample.data = x->data;
	sample.cpu = (uint32_t)-1;
	sample.frames = s->frames;
	if (x->has_user_regs) {
		size_t len;
		uint64_t hash = external_key(x, regs, &len);
		uint64_t gen = process_table__maps_generation(s->processes, x->pid);
		const struct unwind_cache_entry *e = cache_find(s, x, regs, hash, gen);

		if (e) {
			sample.frames = e->frames;
			sample.nr_frames = e->nr_frames;
			s->unwind_cache_hits++;
		} else {
			sample.nr_frames = s->unwinder.unwind(
				&s->unwinder, &in, s->processes, s->frames,
				s->opts.max_stack ? s->opts.max_stack : s->max_frames);
			if (len <= UNWIND_CACHE_BYTES && sample.nr_frames <= UNWIND_CACHE_FRAMES)
				cache_store(s, x, regs, hash, gen, len, sample.nr_frames);
		}
	} else {
		sample.nr_frames =
			s->unwinder.unwind(&s->unwinder, &in, s->processes, s->frames,
					   s->opts.max_stack ? s->opts.max_stack : s->max_frames);
	}
	sample.comm = x->comm[0] ? x->comm
				 : process_table__thread_comm(s->processes, sample.pid, sample.tid);
	s->stats.samples++;
	s->opts.on_sample(&sample, s->opts.ctx);
}

static void handle_record(struct sampler *s, const struct perf_event_header *h)
{
	const char *body = (const char *)(h + 1);
	size_t body_len = h->size - sizeof(*h);

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		handle_sample(s, h);
		break;
	case PERF_RECORD_MMAP2: {
		const struct mmap2_body *m = (const void *)body;
		size_t name_max;

		if (body_len < sizeof(*m) + SAMPLE_ID_SIZE)
			break;
		name_max = body_len - sizeof(*m) - SAMPLE_ID_SIZE;
		if (memchr(m->filename, '\0', name_max) && (m->prot & 4 /* PROT_EXEC */))
			process_table__mmap(s->processes, (pid_t)m->pid, m->addr, m->len, m->pgoff,
					    makedev(m->maj, m->min), m->ino, m->filename);
		break;
	}
	case PERF_RECORD_MMAP: {
		const struct mmap_body *m = (const void *)body;
		size_t name_max;

		/* only executable mappings are reported without mmap_data */
		if (body_len < sizeof(*m) + SAMPLE_ID_SIZE)
			break;
		name_max = body_len - sizeof(*m) - SAMPLE_ID_SIZE;
		if (memchr(m->filename, '\0', name_max))
			process_table__mmap(s->processes, (pid_t)m->pid, m->addr, m->len, m->pgoff,
					    0, 0, m->filename);
		break;
	}
	case PERF_RECORD_COMM: {
		uint32_t ids[2];

		if (body_len < 8 + SAMPLE_ID_SIZE)
			break;
		memcpy(ids, body, 8);
		process_table__comm(s->processes, (pid_t)ids[0], (pid_t)ids[1], body + 8,
				    body_len - 8 - SAMPLE_ID_SIZE,
				    h->misc & PERF_RECORD_MISC_COMM_EXEC);
		if ((h->misc & PERF_RECORD_MISC_COMM_EXEC) && s->unwinder.forget_process)
			s->unwinder.forget_process(&s->unwinder, (pid_t)ids[0]);
		break;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		struct fork_exit_body f;

		if (body_len < sizeof(f))
			break;
		memcpy(&f, body, sizeof(f));
		if (h->type == PERF_RECORD_FORK)
			process_table__fork(s->processes, (pid_t)f.pid, (pid_t)f.ppid, (pid_t)f.tid,
					    (pid_t)f.ptid);
		else if (s->opts.keep_exited)
			hold_exit(s, (pid_t)f.pid, (pid_t)f.tid);
		else
			apply_exit(s, (pid_t)f.pid, (pid_t)f.tid);
		break;
	}
	}
}

static int compare_queued(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;

	if (x->time != y->time)
		return (x->time > y->time) - (x->time < y->time);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Handle every queued record with a time up to @limit, oldest first. */
static void flush_queue(struct sampler *s, uint64_t limit)
{
	size_t i, n = 0;

	if (!s->nr_queued)
		return;
	qsort(s->queue, s->nr_queued, sizeof(*s->queue), compare_queued);
	for (i = 0; i < s->nr_queued && s->queue[i].time <= limit; i++) {
		if (s->queue[i].rec)
			handle_record(s, s->queue[i].rec);
		else
			handle_external(s, s->queue[i].time, s->queue[i].buf.data);
		give_back_buffer(s, s->queue[i].buf);
		n++;
	}
	memmove(s->queue, s->queue + n, (s->nr_queued - n) * sizeof(*s->queue));
	s->nr_queued -= n;
}

/*
 * Read every ring once (a "round").  A record stamped before the previous
 * round ended was written before this round began, so it has been read by
 * now, whichever CPU wrote it: everything up to the previous round's latest
 * time can be handled in order (perf's FINISHED_ROUND rule).
 */
static void read_round(struct sampler *s)
{
	unsigned ci;

	/* first: an external sample stamped before a record read below is queued by then */
	if (s->opts.on_external)
		s->opts.on_external(false, s->opts.ctx);
	for (ci = 0; ci < s->nr_cpus; ci++)
		if (s->rings[ci])
			perf_ring__read(s->rings[ci], enqueue, s);
	flush_queue(s, s->flush_limit);
	s->flush_limit = s->round_max_time;
}

static bool child_exited(struct sampler *s)
{
	int status;
	pid_t r;

	if (s->child <= 0)
		return false;
	if (s->child_reaped)
		return true;
	r = waitpid(s->child, &status, WNOHANG);
	if (r == s->child) {
		s->child_status = status;
		s->child_reaped = true;
		return true;
	}
	return r < 0 && errno == ECHILD;
}

enum sampler_state sampler__poll(struct sampler *s, int timeout_ms)
{
	size_t i;
	int n;

	n = poll(s->pollfds, s->nr_fds + 1, timeout_ms);
	if (n > 0) {
		for (i = 0; i < s->nr_fds; i++) {
			/* the event's task has exited: stop watching the descriptor */
			if (s->pollfds[i].revents & (POLLHUP | POLLERR)) {
				s->pollfds[i].fd = -1;
				s->nr_hup++;
			}
		}
	}
	read_round(s);
	if (s->opts.argv)
		return child_exited(s) ? SAMPLER_TARGET_EXITED : SAMPLER_RUNNING;
	if (!s->opts.system_wide && s->nr_fds && s->nr_hup == s->nr_fds)
		return SAMPLER_TARGET_EXITED;
	return SAMPLER_RUNNING;
}

void sampler__stop(struct sampler *s)
{
	unsigned ci;
	size_t i;

	for (i = 0; i < s->nr_fds; i++)
		ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	if (s->opts.on_external)
		s->opts.on_external(true, s->opts.ctx);
	for (ci = 0; ci < s->nr_cpus; ci++)
		if (s->rings[ci]) {
			perf_ring__read(s->rings[ci], enqueue, s);
			s->stats.corrupt += perf_ring__corrupt(s->rings[ci]);
		}
	flush_queue(s, UINT64_MAX);
	for (i = 0; i < s->nr_exits; i++)
		apply_exit(s, s->exits[i].pid, s->exits[i].tid);
	s->nr_exits = 0;
	fs_debug("sampler: %llu records read, %llu samples, %llu corrupt, %llu external samples "
		 "unwound from the cache",
		 (unsigned long long)s->seq, (unsigned long long)s->stats.samples,
		 (unsigned long long)s->stats.corrupt, (unsigned long long)s->unwind_cache_hits);
}

void sampler__add_external(struct sampler *s, const struct sampler_external_sample *e)
{
	size_t nr_chain = (e->nr_kernel_ips ? 1 + e->nr_kernel_ips : 0) +
			  (e->nr_user_ips ? 1 + e->nr_user_ips : 0);
	size_t size = sizeof(struct external_record) + nr_chain * 8 +
		      (e->has_user_regs ? PERF_REG_X86_64_MAX * 8 + e->stack_size : 0);
	struct external_record *x;
	uint64_t *chain;
	struct queued *q;

	if (s->nr_queued == s->cap_queued) {
		s->cap_queued = s->cap_queued ? s->cap_queued * 2 : 1024;
		s->queue = xreallocarray(s->queue, s->cap_queued, sizeof(*s->queue));
	}
	q = &s->queue[s->nr_queued++];
	/* "now": after every record read so far (they sort by seq among equals) */
	q->time = e->time ? e->time : s->round_max_time;
	q->seq = s->seq++;
	q->rec = NULL;
	q->buf = take_buffer(s, size);
	x = q->buf.data;
	memset(x, 0, sizeof(*x));
	x->pid = e->pid;
	x->tid = e->tid;
	x->kind = e->kind;
	x->weight = e->weight;
	x->data = e->data;
	x->nr_callchain = nr_chain;
	x->has_user_regs = e->has_user_regs;
	x->stack_size = e->has_user_regs ? e->stack_size : 0;
	if (e->comm)
		snprintf(x->comm, sizeof(x->comm), "%s", e->comm);
	chain = (uint64_t *)(x + 1);
	if (e->nr_kernel_ips) {
		*chain++ = (uint64_t)PERF_CONTEXT_KERNEL;
		memcpy(chain, e->kernel_ips, e->nr_kernel_ips * 8);
		chain += e->nr_kernel_ips;
	}
	if (e->nr_user_ips) {
		*chain++ = (uint64_t)PERF_CONTEXT_USER;
		memcpy(chain, e->user_ips, e->nr_user_ips * 8);
		chain += e->nr_user_ips;
	}
	if (e->has_user_regs) {
		memcpy(chain, e->user_regs, PERF_REG_X86_64_MAX * 8);
		if (e->stack_size)
			memcpy(chain + PERF_REG_X86_64_MAX, e->stack, e->stack_size);
	}
	if (q->time > s->round_max_time)
		s->round_max_time = q->time;
}

void sampler__stats(const struct sampler *s, struct sampler_stats *stats)
{
	*stats = s->stats;
}

const struct process_table *sampler__processes(const struct sampler *s)
{
	return s->processes;
}

pid_t sampler__child(const struct sampler *s)
{
	return s->child;
}

int sampler__reap_child(struct sampler *s)
{
	int status;

	if (s->child <= 0)
		return -1;
	if (!s->child_reaped) {
		if (waitpid(s->child, &status, WNOHANG) == 0) {
			/*
			 * Not exec'd yet: it waits on the pipe and runs nothing of the
			 * user's, so end it for sure (a SIGTERM caught by the handler
			 * it inherited would leave it blocked).  Otherwise ask the
			 * command to end, as a shell would.
			 */
			kill(s->child, s->child_go_fd >= 0 ? SIGKILL : SIGTERM);
			while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
				;
		}
		s->child_status = status;
		s->child_reaped = true;
	}
	return s->child_status;
}
