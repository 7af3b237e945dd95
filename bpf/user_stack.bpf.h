/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FLAMESAMP_BPF_USER_STACK_BPF_H
#define FLAMESAMP_BPF_USER_STACK_BPF_H

/*
 * BPF side of a user stack capture for CFI unwinding in user space: the
 * user registers (bpf/user_regs.h order) and a copy of the stack in use.
 * Include after vmlinux.h and the libbpf headers.
 */

#include "bpf/user_regs.h"

#define USER_STACK_PAGE_SIZE 4096
/* a 48 KiB copy spans at most 13 pages from any start */
#define USER_STACK_MAX_PAGES 13

/* @out[USER_NR_REGS] from @regs (a user-mode pt_regs): 0, or non-zero if unreadable. */
static __always_inline long user_regs_read(__u64 *out, const struct pt_regs *regs)
{
	struct pt_regs r;

	/* one read of the whole frame: the x86-64 pt_regs layout is the user ABI's */
	if (bpf_probe_read_kernel(&r, sizeof(r), regs))
		return -1;
	out[USER_REG_IP] = r.ip;
	out[USER_REG_SP] = r.sp;
	out[USER_REG_BP] = r.bp;
	out[USER_REG_BX] = r.bx;
	out[USER_REG_R12] = r.r12;
	out[USER_REG_R13] = r.r13;
	out[USER_REG_R14] = r.r14;
	out[USER_REG_R15] = r.r15;
	out[USER_REG_AX] = r.ax;
	out[USER_REG_CX] = r.cx;
	out[USER_REG_DX] = r.dx;
	out[USER_REG_SI] = r.si;
	out[USER_REG_DI] = r.di;
	out[USER_REG_R8] = r.r8;
	out[USER_REG_R9] = r.r9;
	out[USER_REG_R10] = r.r10;
	out[USER_REG_R11] = r.r11;
	out[USER_REG_FLAGS] = r.flags;
	out[USER_REG_CS] = r.cs;
	out[USER_REG_SS] = r.ss;
	return 0;
}

/*
 * Copy the stack of @task in use from @sp into @dst (room for @max bytes
 * plus a page: the verifier's bound for the last page read), and return
 * the bytes copied.
 *
 * Page by page: a page that is not present cannot be faulted in from a
 * tracepoint or probe, so the copy stops there (*@short_copy).  And no
 * further than the stack in use goes: the main thread's ends where the
 * kernel put argc (mm->start_stack), a thread's under its TLS block (glibc
 * and musl put the thread control block that fs points to at the top of the
 * thread's stack mapping).  bpf_find_vma() would give the mapping's end,
 * but under the scheduler it defers its unlock to an irq_work: an
 * interrupt per call, costly in a VM.
 */
static __always_inline __u32 user_stack_copy(unsigned char *dst, __u32 max,
					     struct task_struct *task, __u64 sp, bool *short_copy)
{
	__u64 top = BPF_CORE_READ(task, mm, start_stack), fs = BPF_CORE_READ(task, thread.fsbase);
	__u64 want = max, end = 0;
	__u32 off = 0, len;
	int i;

	if (top > sp)
		end = top;
	if (fs > sp && (!end || fs < end))
		end = fs;
	if (end > sp && end - sp < want)
		want = end - sp;
	for (i = 0; i < USER_STACK_MAX_PAGES; i++) {
		if (off >= want || off > max)
			break;
		len = USER_STACK_PAGE_SIZE - ((sp + off) & (USER_STACK_PAGE_SIZE - 1));
		if (len > want - off)
			len = want - off;
		if (len > USER_STACK_PAGE_SIZE)
			break;
		if (bpf_probe_read_user(dst + off, len, (const void *)(sp + off))) {
			*short_copy = true;
			break;
		}
		off += len;
	}
	return off;
}

#endif
