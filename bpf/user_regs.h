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

#endif
