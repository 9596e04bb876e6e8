/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering an SVM guest.  VMRUN switches RAX, RSP, RIP, RFLAGS, the
 * control registers and segments through the VMCB; every other general
 * register is ours to load and save.  VMLOAD/VMSAVE switch the state VMRUN
 * leaves alone (FS/GS bases, TR, LDTR, KernelGSBase, STAR/LSTAR/CSTAR/
 * SFMASK, SYSENTER): the host's is saved to host_state first and loaded
 * back last, before anything can touch per-CPU data through GS.
 *
 * Called with GIF clear (CLGI), so no interrupt or NMI arrives until the
 * caller's STGI.
 */
#include <linux/linkage.h>
#include <asm/asm.h>

#include "../vmenter.h"

	.text

/*
 * void __svm_vcpu_run(unsigned long vmcb_pa, unsigned long host_state_pa,
 *		       u64 *regs)
 */
SYM_FUNC_START(__svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	/* 16(%rsp) = regs, 8(%rsp) = host_state_pa, 0(%rsp) = vmcb_pa */
	push	%rdx
	push	%rsi
	push	%rdi

	/* Save the host's VMSAVE state. */
	mov	%rsi, %rax
	vmsave	%rax

	/* The guest's general registers, but RAX and RSP (in the VMCB). */
	mov	%rdx, %rax
	GUEST_REGS_LOAD

	mov	(%rsp), %rax
	vmload	%rax
	vmrun	%rax
	vmsave	%rax

	/* #VMEXIT restored the host's RSP; RAX is vmcb_pa again. */
	mov	16(%rsp), %rax
	GUEST_REGS_SAVE

	/* The host's FS/GS bases and the rest, before any C code runs. */
	mov	8(%rsp), %rax
	vmload	%rax

	/* Leave no guest value in a register the compiler does not restore. */
	GUEST_REGS_CLEAR

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__svm_vcpu_run)
