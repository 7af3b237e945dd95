// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Off-CPU time: at sched_switch, stamp the target thread that switches out
 * (it is `current` here) with the time, its comm and its stacks; at its
 * switch-in, the time it was off the CPU goes either to user space with the
 * stacks (copy mode: the user registers and a copy of the user stack, for
 * CFI unwinding there) or into a per-(process, thread, user stack, kernel
 * stack) sum in the kernel (fp mode, stacks by frame pointers).
 *
 * Loaded by bpf/offcpu_trace.c, which picks tp_btf or raw_tp and sets the
 * tunables below before load.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/offcpu.h"
#include "bpf/targets.bpf.h"
#include "bpf/user_stack.bpf.h"

#define TASK_INTERRUPTIBLE   1
#define TASK_UNINTERRUPTIBLE 2
#define PAGE_SIZE	     4096
/* OFFCPU_MAX_STACK_COPY (48 KiB) spans at most 13 pages from any start */
#define MAX_COPY_PAGES	 13
#define BPF_F_USER_STACK (1ULL << 8)
#define EEXIST		 17
/* the kernel stack begins in this program and bpf_trace_run4(), its caller */
#define SKIP_FRAMES 2

/* tunables, set by the loader before load; the verifier sees them as constants */
const volatile bool copy_mode = true;
const volatile bool kernel_stacks = true;
const volatile bool system_wide = false;
const volatile bool by_tid = false;  /* targets holds thread ids, not process ids */
const volatile int state_filter = 0; /* 0 all, 1 interruptible, 2 uninterruptible */
const volatile __u64 min_block_ns = 0;
const volatile __u64 max_block_ns = 0;
const volatile __u32 stack_copy = 0; /* bytes; blocks' value size is header + this + a page */
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader once this much is waiting */

/* thread id -> its block in progress; the value size is set at load */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct offcpu_block));
} blocks SEC(".maps");

/* zeroes to create a block from (a map value, as big as a block) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct offcpu_block));
} zero_block SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, OFFCPU_MAX_KERNEL_IPS * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_value);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OFFCPU_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* kernels before 5.14 called __state "state" */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline bool is_target(__u32 pid, __u32 tid)
{
	__u32 key = by_tid ? tid : pid;

	if (!tid) /* the idle tasks */
		return false;
	return system_wide || bpf_map_lookup_elem(&targets, &key);
}

/* The user registers and stack in use of the current task into @b (copy mode). */
static __always_inline void take_user_state(struct offcpu_block *b)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	bool short_copy = false;

	b->has_user_regs = 0;
	b->stack_size = 0;
	if (!BPF_CORE_READ(task, mm)) /* a kernel thread */
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs || user_regs_read(b->regs, regs))
		return;
	b->has_user_regs = 1;
	b->stack_size =
		user_stack_copy(b->stack, stack_copy, task, b->regs[USER_REG_SP], &short_copy);
	if (short_copy)
		count(OFFCPU_CNT_COPY_SHORT, 1);
	if (!b->stack_size)
		count(OFFCPU_CNT_USTACK_MISSING, 1);
}

static __always_inline void switch_out(void *ctx, bool preempt, struct task_struct *prev)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id, zero = 0;
	struct offcpu_block *b;
	long state;

	if (!is_target(pid, tid))
		return;
	/* a task's last switch-out, after its exit: not a block, and no switch-in follows */
	if (BPF_CORE_READ(prev, exit_state))
		return;
	if (state_filter) {
		/* a preempted task is runnable, whatever state it was about to enter */
		state = preempt ? 0 : task_state(prev);
		if ((state_filter == 1 && !(state & TASK_INTERRUPTIBLE)) ||
		    (state_filter == 2 && !(state & TASK_UNINTERRUPTIBLE)))
			return;
	}
	b = bpf_map_lookup_elem(&blocks, &tid);
	if (!b) {
		void *z = bpf_map_lookup_elem(&zero_block, &zero);

		if (z)
			bpf_map_update_elem(&blocks, &tid, z, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&blocks, &tid);
		if (!b) {
			count(OFFCPU_CNT_UNTRACKED, 1);
			return;
		}
	}
	b->pid = pid;
	b->tid = tid;
	/* kernel stacks by id: few distinct ones at a context switch, read once each */
	b->kstack_id = kernel_stacks ? bpf_get_stackid(ctx, &stacks, SKIP_FRAMES) : -1;
	if (kernel_stacks && b->kstack_id < 0)
		count(b->kstack_id == -EEXIST ? OFFCPU_CNT_KSTACK_COLLISION
					      : OFFCPU_CNT_KSTACK_MISSING,
		      1);
	if (copy_mode) {
		bpf_get_current_comm(b->comm, sizeof(b->comm));
		take_user_state(b);
	} else {
		b->ustack_id = -1;
		if (BPF_CORE_READ(prev, mm)) {
			b->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			if (b->ustack_id < 0)
				count(b->ustack_id == -EEXIST ? OFFCPU_CNT_USTACK_COLLISION
							      : OFFCPU_CNT_USTACK_MISSING,
				      1);
		}
	}
	/* last: a block is complete once it has a start */
	b->start_ns = bpf_ktime_get_ns();
}

/*
 * A key is only ever updated at the switch-in of its own thread, which no
 * two CPUs do at once: plain additions are enough.
 */
static __always_inline void add_total(struct offcpu_block *b, struct task_struct *next, __u64 delta)
{
	struct offcpu_key key = {b->pid, b->tid, b->ustack_id, b->kstack_id};
	struct offcpu_value *v = bpf_map_lookup_elem(&totals, &key), init = {delta, 1};

	if (v) {
		v->ns += delta;
		v->count++;
		return;
	}
	/* the name the thread has now: read once per key rather than at every block */
	BPF_CORE_READ_STR_INTO(&init.comm, next, comm);
	if (!bpf_map_update_elem(&totals, &key, &init, BPF_NOEXIST))
		return;
	count(OFFCPU_CNT_DROPPED, 1);
	count(OFFCPU_CNT_DROPPED_NS, delta);
}

static __always_inline void switch_in(struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct offcpu_block *b = bpf_map_lookup_elem(&blocks, &tid);
	__u64 now, delta, size;

	if (!b || !b->start_ns)
		return;
	now = bpf_ktime_get_ns();
	delta = now - b->start_ns;
	b->start_ns = 0;
	if (delta < min_block_ns || (max_block_ns && delta > max_block_ns))
		return;
	count(OFFCPU_CNT_BLOCKS, 1);
	if (!copy_mode) {
		add_total(b, next, delta);
		return;
	}
	/* the record keeps the start: user space takes end - start */
	b->start_ns = now - delta;
	b->end_ns = now;
	size = b->stack_size;
	if (size > stack_copy)
		size = stack_copy;
	size += sizeof(*b);
	if (bpf_ringbuf_output(&events, b, size,
			       bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes
				       ? BPF_RB_FORCE_WAKEUP
				       : BPF_RB_NO_WAKEUP)) {
		count(OFFCPU_CNT_DROPPED, 1);
		count(OFFCPU_CNT_DROPPED_NS, delta);
	}
	b->start_ns = 0;
}

static __always_inline int on_switch(void *ctx, bool preempt, struct task_struct *prev,
				     struct task_struct *next)
{
	switch_out(ctx, preempt, prev);
	switch_in(next);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next);
}

/* a traced process's new processes are traced too */
TARGETS_FOLLOW_FORKS(system_wide || by_tid)

/* a thread's block slot goes with it */
static __always_inline int on_exit(struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&blocks, &tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_btf, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_process_exit_raw, struct task_struct *p)
{
	return on_exit(p);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
