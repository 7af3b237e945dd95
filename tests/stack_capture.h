/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_TESTS_STACK_CAPTURE_H
#define FLAMESAMP_TESTS_STACK_CAPTURE_H

/*
 * What PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER would hold for a
 * sample of this very thread, without perf: for the unwinding tests and
 * benchmark.  Include it in one file per program (it defines a function).
 *
 *     uint64_t regs[PERF_REG_X86_64_MAX];
 *     n = capture_stack(regs, buf, size, stack_top(&local));
 *
 * capture_stack() stores the registers as a sample taken at its return
 * address would show them (IP the return address, SP the caller's stack
 * pointer once returned, callee-saved registers as the caller has them) and
 * copies up to @size bytes of stack from that SP, never past @top; it returns
 * the number of bytes copied.  The copy is done in assembly so that
 * AddressSanitizer does not see reads of other frames' redzones.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <asm/perf_regs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sampler/unwind.h"

uint64_t capture_stack(uint64_t *regs, void *buf, uint64_t size, uint64_t top);

/* Functions whose frames must show as they are: no inlining, cloning or merging. */
#if defined(__clang__)
#define FIXTURE __attribute__((noinline))
#else
#define FIXTURE __attribute__((noipa))
#endif

/* The offsets below are 8 * enum perf_event_x86_regs. */
_Static_assert(PERF_REG_X86_AX == 0 && PERF_REG_X86_BX == 1 && PERF_REG_X86_CX == 2 &&
		       PERF_REG_X86_DX == 3 && PERF_REG_X86_SI == 4 && PERF_REG_X86_DI == 5 &&
		       PERF_REG_X86_BP == 6 && PERF_REG_X86_SP == 7 && PERF_REG_X86_IP == 8 &&
		       PERF_REG_X86_R8 == 16 && PERF_REG_X86_R15 == 23,
	       "perf register numbering");

__asm__(".text\n"
	".globl capture_stack\n"
	".type capture_stack, @function\n"
	"capture_stack:\n"
	"	mov %rax, 0(%rdi)\n"
	"	mov %rbx, 8(%rdi)\n"
	"	mov %rcx, 16(%rdi)\n"
	"	mov %rdx, 24(%rdi)\n"
	"	mov %rsi, 32(%rdi)\n"
	"	mov %rdi, 40(%rdi)\n"
	"	mov %rbp, 48(%rdi)\n"
	"	lea 8(%rsp), %rax\n"
	"	mov %rax, 56(%rdi)\n"
	"	mov (%rsp), %rax\n"
	"	mov %rax, 64(%rdi)\n"
	"	mov %r8, 128(%rdi)\n"
	"	mov %r9, 136(%rdi)\n"
	"	mov %r10, 144(%rdi)\n"
	"	mov %r11, 152(%rdi)\n"
	"	mov %r12, 160(%rdi)\n"
	"	mov %r13, 168(%rdi)\n"
	"	mov %r14, 176(%rdi)\n"
	"	mov %r15, 184(%rdi)\n"
	/* size = min(size, top - sp), as the kernel stops at the end of the stack */
	"	lea 8(%rsp), %rax\n"
	"	sub %rax, %rcx\n"
	"	cmp %rcx, %rdx\n"
	"	cmova %rcx, %rdx\n"
	"	mov %rsi, %rdi\n"
	"	lea 8(%rsp), %rsi\n"
	"	mov %rdx, %rcx\n"
	"	mov %rdx, %rax\n"
	"	rep movsb\n"
	"	ret\n"
	".size capture_stack, .-capture_stack\n");

/* The end of the mapping holding @addr (this thread's stack), from /proc/self/maps; 0 if none. */
static inline uint64_t stack_top(const void *addr)
{
	unsigned long long start, end;
	uint64_t top = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 && (uintptr_t)addr >= start &&
		    (uintptr_t)addr < end) {
			top = end;
			break;
		}
	}
	fclose(f);
	return top;
}

/* One captured "sample": registers in perf order and a copy of the stack from SP. */
struct capture {
	uint64_t regs[PERF_REG_X86_64_MAX];
	unsigned char *stack;
	uint64_t size, want, top; /* bytes copied, asked for, and the end of the stack */
};

typedef uint64_t (*capture_fn)(uint64_t *regs, void *buf, uint64_t size, uint64_t top);

/* The unwinder's view of @c, as the sampler builds it from a perf record. */
static inline struct unwind_input capture_input(const struct capture *c)
{
	struct unwind_input in = {
		.pid = getpid(),
		.tid = (pid_t)syscall(SYS_gettid),
		.ip = c->regs[PERF_REG_X86_IP],
		.has_user_regs = true,
		.stack = c->stack,
		.stack_size = c->size,
	};

	memcpy(in.user_regs, c->regs, sizeof(in.user_regs));
	return in;
}

#endif
