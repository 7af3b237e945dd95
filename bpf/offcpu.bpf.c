// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Off-CPU time: at sched_switch, stamp the target thread that switches out
 * (it is `current` here) with the time, its comm and its user stack; at its
 * switch-in, the time it was off the CPU goes either to user space with the
 * stacks (copy mode: the user registers and a copy of the user stack, for
 * CFI unwinding there) or into a per-(process, thread, user stack, kernel
 * stack) sum in the kernel (fp mode, stacks by frame pointers).
 *
 * The kernel stack is the blocked one, which does not change until the
 * thread runs again: under tp_btf it is taken at switch-in, from the
 * thread's saved state (bpf_get_task_stack), and only for blocks that pass
 * the filters.  Walked from `current` at switch-out, the same stack starts
 * in this program and the tracepoint's frames: about 1 us a switch, a
 * third more than from the saved state.  Blocks still going on at the end
 * get theirs from the kstacks_of_blocked task iterator.  Under raw_tp
 * (kernels before tp_btf and bpf_get_task_stack), `next` is no BTF
 * pointer: bpf_get_stackid() at switch-out.
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
const volatile __u64 wakeup_bytes = 1 << 20;	 /* wake the reader once this much is waiting */
const volatile bool kstack_at_switch_in = false; /* tp_btf with bpf_get_task_stack */

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

/* kernel stacks taken at switch-in: a hash of the ips -> the stack */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __s32);
	__type(value, struct offcpu_kstack);
} kstacks SEC(".maps");

/* where bpf_get_task_stack() writes, per CPU (a stack is too big for the BPF stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_kstack);
} kstack_scratch SEC(".maps");

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

static __always_inline bool same_kstack(const struct offcpu_kstack *a,
					const struct offcpu_kstack *b)
{
	__u32 i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < OFFCPU_MAX_KERNEL_IPS && i < a->nr; i++)
		if (a->ips[i] != b->ips[i])
			return false;
	return true;
}

/*
 * The id of @task's kernel stack (@task is off-CPU: its saved state), the
 * stack stored in kstacks under it; < 0 when there is none.  The id is a
 * hash of the ips: a different stack already under it is a collision,
 * counted, as bpf_get_stackid() does.
 */
static __always_inline __s32 blocked_kstack_id(struct task_struct *task)
{
	struct offcpu_kstack *s, *old;
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 zero = 0, i;
	__s32 id;
	long len;

	s = bpf_map_lookup_elem(&kstack_scratch, &zero);
	if (!s)
		return -1;
	len = bpf_get_task_stack(task, s->ips, sizeof(s->ips), 0);
	if (len <= 0) {
		count(OFFCPU_CNT_KSTACK_MISSING, 1);
		return -1;
	}
	s->nr = (__u32)((__u64)len / sizeof(s->ips[0]));
	for (i = 0; i < OFFCPU_MAX_KERNEL_IPS && i < s->nr; i++)
		h = (h ^ s->ips[i]) * 0x100000001b3ULL;
	id = (__s32)((h ^ (h >> 32)) & 0x7fffffff);
	old = bpf_map_lookup_elem(&kstacks, &id);
	if (!old) {
		/* a full map, or another CPU storing this id just now */
		if (bpf_map_update_elem(&kstacks, &id, s, BPF_NOEXIST) &&
		    !(old = bpf_map_lookup_elem(&kstacks, &id))) {
			count(OFFCPU_CNT_KSTACK_MISSING, 1);
			return -1;
		}
	}
	if (old && !same_kstack(old, s)) {
		count(OFFCPU_CNT_KSTACK_COLLISION, 1);
		return -EEXIST;
	}
	return id;
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
	b->kstack_id = -1;
	if (kernel_stacks && !kstack_at_switch_in) {
		b->kstack_id = bpf_get_stackid(ctx, &stacks, SKIP_FRAMES);
		if (b->kstack_id < 0)
			count(b->kstack_id == -EEXIST ? OFFCPU_CNT_KSTACK_COLLISION
						      : OFFCPU_CNT_KSTACK_MISSING,
			      1);
	}
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

/* @btf: @next is a BTF pointer (tp_btf), which bpf_get_task_stack() takes */
static __always_inline void switch_in(struct task_struct *next, bool btf)
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
	if (btf && kernel_stacks && kstack_at_switch_in)
		b->kstack_id = blocked_kstack_id(next);
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
				     struct task_struct *next, bool btf)
{
	switch_out(ctx, preempt, prev);
	switch_in(next, btf);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next, false);
}

/*
 * Run by the loader at the end, before detaching: the threads still
 * off-CPU get the kernel stack they are blocked in (switch-in never came).
 */
SEC("iter/task")
int kstacks_of_blocked(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct offcpu_block *b;
	__u32 tid;

	if (!task || !kernel_stacks || !kstack_at_switch_in)
		return 0;
	tid = task->pid;
	b = bpf_map_lookup_elem(&blocks, &tid);
	if (b && b->start_ns && b->kstack_id < 0)
		b->kstack_id = blocked_kstack_id(task);
	return 0;
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
