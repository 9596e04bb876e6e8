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

/* Offsets in the u64 regs[] array: the order of enum kvm_reg. */
#define REG_RCX	(1 * 8)
#define REG_RDX	(2 * 8)
#define REG_RBX	(3 * 8)
#define REG_RBP	(5 * 8)
#define REG_RSI	(6 * 8)
#define REG_RDI	(7 * 8)
#define REG_R8	(8 * 8)
#define REG_R9	(9 * 8)
#define REG_R10	(10 * 8)
#define REG_R11	(11 * 8)
#define REG_R12	(12 * 8)
#define REG_R13	(13 * 8)
#define REG_R14	(14 * 8)
#define REG_R15	(15 * 8)

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
	mov	REG_RCX(%rax), %rcx
	mov	REG_RDX(%rax), %rdx
	mov	REG_RBX(%rax), %rbx
	mov	REG_RBP(%rax), %rbp
	mov	REG_RSI(%rax), %rsi
	mov	REG_RDI(%rax), %rdi
	mov	REG_R8(%rax), %r8
	mov	REG_R9(%rax), %r9
	mov	REG_R10(%rax), %r10
	mov	REG_R11(%rax), %r11
	mov	REG_R12(%rax), %r12
	mov	REG_R13(%rax), %r13
	mov	REG_R14(%rax), %r14
	mov	REG_R15(%rax), %r15

	mov	(%rsp), %rax
	vmload	%rax
	vmrun	%rax
	vmsave	%rax

	/* #VMEXIT restored the host's RSP; RAX is vmcb_pa again. */
	mov	16(%rsp), %rax
	mov	%rcx, REG_RCX(%rax)
	mov	%rdx, REG_RDX(%rax)
	mov	%rbx, REG_RBX(%rax)
	mov	%rbp, REG_RBP(%rax)
	mov	%rsi, REG_RSI(%rax)
	mov	%rdi, REG_RDI(%rax)
	mov	%r8, REG_R8(%rax)
	mov	%r9, REG_R9(%rax)
	mov	%r10, REG_R10(%rax)
	mov	%r11, REG_R11(%rax)
	mov	%r12, REG_R12(%rax)
	mov	%r13, REG_R13(%rax)
	mov	%r14, REG_R14(%rax)
	mov	%r15, REG_R15(%rax)

	/* The host's FS/GS bases and the rest, before any C code runs. */
	mov	8(%rsp), %rax
	vmload	%rax

	/* Leave no guest value in a register the compiler does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__svm_vcpu_run)
