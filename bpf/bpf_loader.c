// SPDX-License-Identifier: Apache-2.0
#include "bpf/bpf_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/capability.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* ---- libbpf's messages: to the debug log, and kept while loading for the verifier's log ---- */

static struct strbuf *load_log; /* non-NULL while a load is under way */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (load_log && level <= LIBBPF_INFO)
		strbuf_addstr(load_log, line);
	fs_debug("%.*s", (int)strcspn(line, "\n"), line);
	return 0;
}

/* ---- checks ---- */

static bool has_capability(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

static bool bpf_permitted(void)
{
	return geteuid() == 0 || has_capability(CAP_SYS_ADMIN) ||
	       (has_capability(39 /* CAP_BPF */) && has_capability(38 /* CAP_PERFMON */));
}

bool bpf_loader__have_helper(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, id, NULL) > 0;
}

bool bpf_loader__have_tp_btf(const char *const *names)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char type[128];
	bool ok = btf != NULL;

	for (; ok && *names; names++) {
		snprintf(type, sizeof(type), "btf_trace_%s", *names);
		ok = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) > 0;
	}
	btf__free(btf);
	return ok;
}

int bpf_loader__check(char *err, size_t err_len)
{
	const char *missing = NULL;

	libbpf_set_print(libbpf_print);
	if (access(BTF_PATH, R_OK)) {
		snprintf(err, err_len,
			 "the kernel has no BTF (%s): BPF tracing needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF",
			 BTF_PATH);
		return -ENOENT;
	}
	if (!bpf_permitted()) {
		snprintf(err, err_len,
			 "BPF is not permitted: run as root (or with CAP_BPF and CAP_PERFMON)");
		return -EPERM;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		missing = "the BPF ring buffer (Linux 5.8)";
	else if (!bpf_loader__have_helper(BPF_FUNC_get_current_task_btf))
		missing = "bpf_get_current_task_btf() (Linux 5.11)";
	if (!missing)
		return 0;
	snprintf(err, err_len, "the kernel is too old: no %s", missing);
	return -EOPNOTSUPP;
}

/* Save the verifier's log to a new file; its path into @path, or "" on failure. */
static void save_log(const char *want, const struct strbuf *log, char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (want) {
		snprintf(path, len, "%s", want);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	} else {
		snprintf(path, len, "%s/flamesamp-verifier-XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(path);
	}
	if (fd < 0 || write(fd, log->buf, log->len) != (ssize_t)log->len)
		path[0] = '\0';
	if (fd >= 0)
		close(fd);
}

int bpf_loader__load(struct bpf_object_skeleton *skel, const char *verifier_log_path, char *err,
		     size_t err_len)
{
	struct strbuf log = STRBUF_INIT;
	char path[512];
	int ret;

	load_log = &log;
	ret = bpf_object__load_skeleton(skel);
	load_log = NULL;
	if (!ret)
		goto out;
	ret = ret < 0 ? ret : -EINVAL;
	if (ret == -EPERM && !bpf_permitted()) {
		snprintf(err, err_len,
			 "BPF is not permitted: run as root (or with CAP_BPF and CAP_PERFMON)");
	} else if (log.buf && strstr(log.buf, "BEGIN PROG LOAD LOG")) {
		save_log(verifier_log_path, &log, path, sizeof(path));
		snprintf(err, err_len, "the kernel's verifier rejected the BPF program (%s)%s%s",
			 strerror(-ret), path[0] ? "; its log is in " : "", path);
	} else {
		snprintf(err, err_len, "cannot load the BPF program: %s", strerror(-ret));
	}
out:
	strbuf_release(&log);
	return ret;
}

void bpf_loader__sum_counters(int fd, uint32_t n, uint64_t *sums)
{
	int ncpus = libbpf_num_possible_cpus(), cpu;
	uint64_t *values;
	uint32_t c;

	memset(sums, 0, n * sizeof(*sums));
	if (ncpus <= 0)
		return;
	values = xreallocarray(NULL, (size_t)ncpus, sizeof(*values));
	for (c = 0; c < n; c++) {
		if (bpf_map_lookup_elem(fd, &c, values))
			continue;
		for (cpu = 0; cpu < ncpus; cpu++)
			sums[c] += values[cpu];
	}
	free(values);
}

int bpf_loader__add_target(struct bpf_map *targets, pid_t pid)
{
	uint32_t key = (uint32_t)pid;
	uint8_t one = 1;

	if (bpf_map__update_elem(targets, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}
