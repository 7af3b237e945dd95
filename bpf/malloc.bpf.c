// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Allocations from uprobes on the target's allocator: the entry probe of
 * each allocation function keeps the size asked for per thread, the return
 * probe sends, when the call succeeded, the size, the block's address and
 * the caller's stack (registers and a copy of the stack in use, for CFI
 * unwinding in user space) through a ring buffer.  free() (and realloc()
 * moving a block) send the address freed, in live mode only.
 *
 * Loaded and attached by bpf/malloc_trace.c, which sets the tunables below.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/malloc.h"
#include "bpf/targets.bpf.h"
#include "bpf/user_stack.bpf.h"

const volatile __u32 stack_copy = 0; /* bytes; scratch's value size is the event + this + a page */
const volatile __u64 sample_every = 1;	     /* send one allocation in this many */
const volatile bool live = false;	     /* send frees too */
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader once this much is waiting */

/* thread id -> the call in progress */
struct pending {
	__u64 size;
	__u64 old_ptr; /* realloc */
	__u64 memptr;  /* posix_memalign's out-pointer */
	__u32 depth;   /* allocation functions entered inside this one */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

/* where an event is put together; the value size is set at load */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct malloc_event));
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MALLOC_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline bool is_target(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	return bpf_map_lookup_elem(&targets, &pid);
}

static __always_inline int enter(__u64 size, __u64 old_ptr, __u64 memptr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p, init = {size, old_ptr, memptr, 0, 0};

	if (!is_target())
		return 0;
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p) {
		/* realloc(NULL, n) calls malloc: the outer call is the one asked for */
		p->depth++;
		count(MALLOC_CNT_NESTED, 1);
		return 0;
	}
	bpf_map_update_elem(&pending, &tid, &init, BPF_ANY);
	return 0;
}

/* Wake the reader only once enough waits: a wakeup per event would cost more than the event. */
static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

static __always_inline void send_free(__u64 ptr)
{
	struct malloc_event ev = {};
	__u64 id = bpf_get_current_pid_tgid();

	ev.kind = MALLOC_EVENT_FREE;
	ev.pid = id >> 32;
	ev.tid = (__u32)id;
	ev.time_ns = bpf_ktime_get_ns();
	ev.ptr = ptr;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flag()))
		count(MALLOC_CNT_DROPPED, 1);
}

/* The return of an allocation function: @ptr is what it returned (0: failed). */
static __always_inline int leave(struct pt_regs *ctx, __u64 ptr, bool via_memptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	struct task_struct *task;
	struct malloc_event *ev;
	bool short_copy = false;
	__u64 size, old_ptr;

	if (!p)
		return 0;
	if (p->depth) {
		p->depth--;
		return 0;
	}
	size = p->size;
	old_ptr = p->old_ptr;
	if (via_memptr) {
		/* posix_memalign: 0 on success, the block in *memptr */
		__u64 block = 0;

		if (ptr || bpf_probe_read_user(&block, sizeof(block), (void *)p->memptr))
			block = 0;
		ptr = block;
	}
	bpf_map_delete_elem(&pending, &tid);
	if (!ptr) {
		count(MALLOC_CNT_FAILED, 1);
		return 0;
	}
	count(MALLOC_CNT_ALLOCS, 1);
	/* a successful realloc freed the old block (or resized it in place) */
	if (live && old_ptr)
		send_free(old_ptr);
	/* at random, not every Nth: a periodic pattern of calls would alias with a count */
	if (sample_every > 1 && bpf_get_prandom_u32() % sample_every)
		return 0;
	ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!ev)
		return 0;
	ev->kind = MALLOC_EVENT_ALLOC;
	ev->pid = id >> 32;
	ev->tid = tid;
	ev->time_ns = bpf_ktime_get_ns();
	ev->ptr = ptr;
	ev->size = size;
	ev->weight = sample_every;
	ev->stack_size = 0;
	/* at a return probe, the registers are the caller's just after the call */
	if (!user_regs_read(ev->regs, ctx)) {
		task = bpf_get_current_task_btf();
		ev->stack_size = user_stack_copy(ev->stack, stack_copy, task, ev->regs[USER_REG_SP],
						 &short_copy);
	}
	if (short_copy)
		count(MALLOC_CNT_COPY_SHORT, 1);
	if (ev->stack_size > stack_copy)
		ev->stack_size = stack_copy;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev) + ev->stack_size, wakeup_flag())) {
		count(MALLOC_CNT_DROPPED, 1);
		count(MALLOC_CNT_DROPPED_BYTES, size * sample_every);
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return enter(size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 nmemb, __u64 size)
{
	/* an overflowing product fails in calloc itself: it returns NULL */
	return enter(nmemb * size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size)
{
	return enter(size, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 ptr, __u64 nmemb, __u64 size)
{
	return enter(nmemb * size, ptr, 0);
}

/* aligned_alloc and memalign: (alignment, size) */
SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 alignment, __u64 size)
{
	return enter(size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 alignment, __u64 size)
{
	return enter(size, 0, memptr);
}

/* malloc, calloc, realloc, reallocarray, aligned_alloc, memalign, valloc, pvalloc */
SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	return leave(ctx, ret, false);
}

SEC("uretprobe")
int BPF_KRETPROBE(posix_memalign_return, __u64 ret)
{
	return leave(ctx, ret, true);
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	if (ptr && is_target())
		send_free(ptr);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
