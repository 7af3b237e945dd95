/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FLAMESAMP_BPF_USER_REGS_H
#define FLAMESAMP_BPF_USER_REGS_H

/*
 * The user registers a BPF program records with a user stack copy (for CFI
 * unwinding in user space), shared by bpf/offcpu.bpf.c, bpf/malloc.bpf.c
 * and their loaders; bpf/user_stack.bpf.h fills them in.
 */

/* user registers as the BPF programs keep them, in this order */
enum user_reg {
	USER_REG_IP,
	USER_REG_SP,
	USER_REG_BP,
	USER_REG_BX,
	USER_REG_R12,
	USER_REG_R13,
	USER_REG_R14,
	USER_REG_R15,
	USER_REG_AX,
	USER_REG_CX,
	USER_REG_DX,
	USER_REG_SI,
	USER_REG_DI,
	USER_REG_R8,
	USER_REG_R9,
	USER_REG_R10,
	USER_REG_R11,
	USER_REG_FLAGS,
	USER_REG_CS,
	USER_REG_SS,
	USER_NR_REGS,
};

#ifndef __bpf__
#include <stdint.h>

#include <asm/perf_regs.h>

/* @in (USER_NR_REGS, this order) into @out[PERF_REG_X86_64_MAX], as perf samples them. */
static inline void user_regs__to_perf(const uint64_t *in, uint64_t *out)
{
	static const int perf_reg_of[USER_NR_REGS] = {
		[USER_REG_IP] = PERF_REG_X86_IP,   [USER_REG_SP] = PERF_REG_X86_SP,
		[USER_REG_BP] = PERF_REG_X86_BP,   [USER_REG_BX] = PERF_REG_X86_BX,
		[USER_REG_R12] = PERF_REG_X86_R12, [USER_REG_R13] = PERF_REG_X86_R13,
		[USER_REG_R14] = PERF_REG_X86_R14, [USER_REG_R15] = PERF_REG_X86_R15,
		[USER_REG_AX] = PERF_REG_X86_AX,   [USER_REG_CX] = PERF_REG_X86_CX,
		[USER_REG_DX] = PERF_REG_X86_DX,   [USER_REG_SI] = PERF_REG_X86_SI,
		[USER_REG_DI] = PERF_REG_X86_DI,   [USER_REG_R8] = PERF_REG_X86_R8,
		[USER_REG_R9] = PERF_REG_X86_R9,   [USER_REG_R10] = PERF_REG_X86_R10,
		[USER_REG_R11] = PERF_REG_X86_R11, [USER_REG_FLAGS] = PERF_REG_X86_FLAGS,
		[USER_REG_CS] = PERF_REG_X86_CS,   [USER_REG_SS] = PERF_REG_X86_SS,
	};
	int r;

	for (r = 0; r < USER_NR_REGS; r++)
		out[perf_reg_of[r]] = in[r];
}
#endif

#endif
