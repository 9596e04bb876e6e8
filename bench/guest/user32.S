/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring 3 for 32-bit guests (user.c): user_enter goes to CPL 3,
 * user_return (the handler of INT USER_RET_VECTOR) comes back,
 * user_trampoline runs at CPL 3, in the user region.
 */
#include "guest.h"

	.code32
	.text

/* ulong user_enter(ulong (*fn)(ulong), ulong arg, ulong user_stack_top) */
	.globl user_enter
user_enter:
	push	%ebp
	push	%ebx
	push	%esi
	push	%edi
	push	%ds
	push	%es
	push	%fs
	push	%gs
	push	%ss
	mov	40(%esp), %esi		/* fn */
	mov	44(%esp), %edi		/* arg */
	mov	48(%esp), %ecx		/* user stack top */
	mov	%esp, user_kernel_sp
	mov	%esp, user_tss+4	/* ESP0: exceptions at CPL 3; SS0 is set */
	/*
	 * The IRET to CPL 3 would null data segments of DPL 0: use the flat
	 * user data segment, which CPL 0 can use as well (the exception
	 * handlers run with it).
	 */
	mov	$SEL_USER_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %fs
	mov	%eax, %gs
	/* The IRET frame: SS, ESP, EFLAGS (IF = 0, IOPL 0), CS, EIP. */
	push	$SEL_USER_DATA
	push	%ecx
	push	$2
	push	$SEL_USER_CODE32
	push	$user_trampoline
	iret

/*
 * INT USER_RET_VECTOR, EAX = fn's result.  On SS0:ESP0 = user_kernel_sp
 * (or below); the frame the CPU pushed is dropped, not returned through.
 */
	.globl user_return
user_return:
	mov	user_kernel_sp, %ecx
	test	%ecx, %ecx
	jz	1f
	movl	$0, user_kernel_sp
	mov	%ecx, %esp
	pop	%ss
	pop	%gs
	pop	%fs
	pop	%es
	pop	%ds
	pop	%edi
	pop	%esi
	pop	%ebx
	pop	%ebp
	ret
1:	and	$-16, %esp
	call	user_bad_return

	.section .user.text, "ax"
/* CPL 3: ESI = fn, EDI = arg, ESP = the top of the user stack. */
	.globl user_trampoline
user_trampoline:
	sub	$12, %esp		/* 16-byte aligned at the call */
	push	%edi
	call	*%esi
	int	$USER_RET_VECTOR
	ud2

	.section .note.GNU-stack, "", @progbits
