/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FLAMESAMP_BPF_OFFCPU_H
#define FLAMESAMP_BPF_OFFCPU_H

/*
 * Types shared by bpf/offcpu.bpf.c and its loader (bpf/offcpu_trace.c):
 * fixed-width only, the same layout on both sides.
 */

#define OFFCPU_MAX_KERNEL_IPS 127 /* kernel.perf_event_max_stack's default */
#define OFFCPU_COMM_LEN	      16

#include "bpf/user_regs.h"
enum offcpu_counter {
	OFFCPU_CNT_BLOCKS,	     /* blocks that passed the filters */
	OFFCPU_CNT_KSTACK_COLLISION, /* bpf_get_stackid() -EEXIST */
	OFFCPU_CNT_USTACK_COLLISION,
	OFFCPU_CNT_KSTACK_MISSING, /* other stack errors */
	OFFCPU_CNT_USTACK_MISSING,
	OFFCPU_CNT_COPY_SHORT, /* the copy stopped at a page that could not be read */
	OFFCPU_CNT_DROPPED,    /* ring buffer or aggregation map full... */
	OFFCPU_CNT_DROPPED_NS, /* ...and the time they carried */
	OFFCPU_CNT_UNTRACKED,  /* no per-thread slot for a switch-out */
	OFFCPU_NR_COUNTERS,
};

/*
 * Per-thread state from switch-out to switch-in, and (copy mode) the ring
 * buffer record: the header, then stack_size bytes of user stack from
 * regs[USER_REG_SP].  The map value is header + the copy size + one page.
 * Kernel stacks are ids in both modes: in the kstacks map when taken at
 * switch-in (tp_btf), else in the stack map (bpf_get_stackid at switch-out).
 */
struct offcpu_block {
	__u64 start_ns;	 /* switch-out; 0: not off-CPU */
	__u64 end_ns;	 /* switch-in */
	__u32 pid, tid;	 /* tgid, thread */
	__s32 kstack_id; /* in the stack map; < 0: none */
	__s32 ustack_id; /* fp mode */
	__u32 stack_size;
	__u32 has_user_regs;
	char comm[OFFCPU_COMM_LEN];
	__u64 regs[USER_NR_REGS];
	unsigned char stack[];
};

/*
 * A kernel stack taken at switch-in, stored under a hash of its ips (the
 * kstacks map): leaf first, nr of them.
 */
struct offcpu_kstack {
	__u32 nr;
	__u32 pad;
	__u64 ips[OFFCPU_MAX_KERNEL_IPS];
};

/* fp mode: blocked time summed in the kernel per key */
struct offcpu_key {
	__u32 pid, tid;
	__s32 ustack_id, kstack_id;
};

struct offcpu_value {
	__u64 ns, count;
	char comm[OFFCPU_COMM_LEN];
};

#endif
