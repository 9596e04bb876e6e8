/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring 3 for 64-bit guests (user.c): user_enter goes to CPL 3,
 * user_return (the handler of INT USER_RET_VECTOR) comes back,
 * user_trampoline runs at CPL 3, in the user region.
 */
#include "guest.h"

	.code64
	.text

/*
 * ulong user_enter(ulong (*fn)(ulong) %rdi, ulong arg %rsi,
 *                  ulong user_stack_top %rdx)
 */
	.globl user_enter
user_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	/* The IRET to CPL 3 nulls data segments of DPL 0: keep them. */
	mov	%ds, %eax
	push	%rax
	mov	%es, %eax
	push	%rax
	mov	%fs, %eax
	push	%rax
	mov	%gs, %eax
	push	%rax
	mov	%ss, %eax
	push	%rax
	mov	%rsp, user_kernel_sp(%rip)
	mov	%rsp, user_tss+4(%rip)		/* RSP0: exceptions at CPL 3 */
	/* The IRET frame: SS, RSP, RFLAGS (IF = 0, IOPL 0), CS, RIP. */
	pushq	$SEL_USER_DATA
	push	%rdx
	pushq	$2
	pushq	$SEL_USER_CODE64
	lea	user_trampoline(%rip), %rax
	push	%rax
	mov	%rdi, %rax
	mov	%rsi, %rdi
	iretq

/*
 * INT USER_RET_VECTOR, RAX = fn's result.  On RSP0 = user_kernel_sp (or
 * below); the frame the CPU pushed is dropped, not returned through.
 */
	.globl user_return
user_return:
	mov	user_kernel_sp(%rip), %rcx
	test	%rcx, %rcx
	jz	1f
	movq	$0, user_kernel_sp(%rip)
	mov	%rcx, %rsp
	pop	%rcx
	mov	%ecx, %ss
	pop	%rcx
	mov	%ecx, %gs
	pop	%rcx
	mov	%ecx, %fs
	pop	%rcx
	mov	%ecx, %es
	pop	%rcx
	mov	%ecx, %ds
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
1:	and	$-16, %rsp
	call	user_bad_return

	.section .user.text, "ax"
/* CPL 3: RAX = fn, RDI = arg, RSP = the top of the user stack. */
	.globl user_trampoline
user_trampoline:
	call	*%rax
	int	$USER_RET_VECTOR
	ud2

	.section .note.GNU-stack, "", @progbits
