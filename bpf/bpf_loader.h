/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_BPF_BPF_LOADER_H
#define FLAMESAMP_BPF_BPF_LOADER_H

/*
 * What the BPF loaders (offcpu_trace.c, malloc_trace.c) share: libbpf's
 * messages routed to fs_log() at debug level, the checks every program
 * needs with one-line reasons, and loading a skeleton with the verifier's
 * log saved to a file when it rejects a program.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bpf/libbpf.h>

/*
 * BTF, privileges, and the kernel features both programs use (ring buffer,
 * bpf_get_current_task_btf()): 0, or -errno with the reason in @err:
 * -ENOENT no BTF, -EPERM not permitted, -EOPNOTSUPP kernel too old.
 */
int bpf_loader__check(char *err, size_t err_len);

bool bpf_loader__have_helper(enum bpf_func_id id);

/* Whether the kernel's BTF describes every tracepoint of @names (NULL-terminated) for tp_btf. */
bool bpf_loader__have_tp_btf(const char *const *names);

/*
 * Load @skel.  0, or -errno with the reason in @err: not permitted, or a
 * verifier rejection with its log saved to @verifier_log_path (NULL: a new
 * file under $TMPDIR) and the path named.
 */
int bpf_loader__load(struct bpf_object_skeleton *skel, const char *verifier_log_path, char *err,
		     size_t err_len);

/* Add @pid to a program's targets map (bpf/targets.bpf.h).  0 or -errno. */
int bpf_loader__add_target(struct bpf_map *targets, pid_t pid);

/* @sums[0..@n) = the sums over every CPU of the u64 counters of the per-CPU array @fd. */
void bpf_loader__sum_counters(int fd, uint32_t n, uint64_t *sums);

#endif
