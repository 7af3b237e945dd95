/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FLAMESAMP_BPF_TARGETS_BPF_H
#define FLAMESAMP_BPF_TARGETS_BPF_H

/*
 * The processes a BPF program traces: a hash of process ids the loader
 * fills, extended by sched_process_fork with the new processes of those
 * already in it (threads share their process's id).  Include after
 * vmlinux.h and the libbpf headers; define TARGETS_FOLLOW_FORKS to a
 * condition under which forks are not followed (0: always followed).
 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

static __always_inline int targets_on_fork(struct task_struct *parent, struct task_struct *child,
					   bool skip)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), pid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (skip || pid == ppid || !bpf_map_lookup_elem(&targets, &ppid))
		return 0;
	bpf_map_update_elem(&targets, &pid, &one, BPF_ANY);
	return 0;
}

/* Both variants; the loader keeps the one the kernel has (bpf_loader__have_tp_btf()). */
#define TARGETS_FOLLOW_FORKS(skip)                                                                 \
	SEC("tp_btf/sched_process_fork")                                                           \
	int BPF_PROG(sched_process_fork_btf, struct task_struct *parent,                           \
		     struct task_struct *child)                                                    \
	{                                                                                          \
		return targets_on_fork(parent, child, skip);                                       \
	}                                                                                          \
	SEC("raw_tp/sched_process_fork")                                                           \
	int BPF_PROG(sched_process_fork_raw, struct task_struct *parent,                           \
		     struct task_struct *child)                                                    \
	{                                                                                          \
		return targets_on_fork(parent, child, skip);                                       \
	}

#endif
