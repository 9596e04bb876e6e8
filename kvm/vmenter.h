/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the vendors' vmenter.S: the guest's general registers between the
 * u64 regs[] array (the order of enum kvm_reg) and the CPU.  RAX and RSP
 * are each vendor's own business: VMRUN switches both through the VMCB,
 * VMX switches only RSP, and RAX holds regs[] itself meanwhile.
 */
#ifndef KVM_VMENTER_H
#define KVM_VMENTER_H

#define REG_RAX	(0 * 8)
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

/* From regs[] at (%rax): every register but RAX and RSP.  Flags kept. */
.macro GUEST_REGS_LOAD
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
.endm

/* Into regs[] at (%rax): every register but RAX and RSP. */
.macro GUEST_REGS_SAVE
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
.endm

/*
 * After the exit: no guest value left in a caller-saved register (the
 * callee-saved ones the caller's epilogue pops back).
 */
.macro GUEST_REGS_CLEAR
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
.endm

#endif /* KVM_VMENTER_H */
