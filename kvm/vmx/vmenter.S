/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering a VMX guest.  VM entry loads RSP, RIP, RFLAGS, the control
 * registers and segments from the VMCS; every other general register is
 * ours to load and save.  VM exit loads the host state of the VMCS: RSP
 * as written here just before the entry, RIP = vmx_vmexit below.
 *
 * Called with interrupts off; the caller puts back whatever host state
 * VMX does not (vmx.c).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/unwind_hints.h>

/* Offsets in the u64 regs[] array: the order of enum kvm_reg. */
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

	.text

/*
 * int __vmx_vcpu_run(u64 *regs, bool launched, unsigned long host_rsp_field)
 *
 * VMLAUNCH if !launched, else VMRESUME.  Returns 0 after a VM exit (the
 * guest's registers are in regs[], RSP excepted: it is in the VMCS), 1 if
 * the instruction failed (VMfailValid or VMfailInvalid: the caller reads
 * the VM-instruction error).  host_rsp_field is the VMCS encoding of
 * HOST_RSP (asm/vmx.h has it only as a C enum).
 */
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	/* 0(%rsp) = regs, where the exit finds it. */
	push	%rdi

	/* The exit comes back with this RSP. */
	vmwrite	%rsp, %rdx
	jbe	.Lvmfail

	/* ZF: set if not launched yet.  MOVs leave the flags alone. */
	mov	%rdi, %rax
	test	%sil, %sil

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
	mov	REG_RAX(%rax), %rax

	/* The exit below arrives with the stack as it is here. */
	UNWIND_HINT_SAVE
	jnz	.Lresume
	vmlaunch
	jmp	.Lvmfail
.Lresume:
	vmresume
	jmp	.Lvmfail

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	/* RSP is as written above: 0(%rsp) = regs. */
	push	%rax
	mov	8(%rsp), %rax
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
	popq	REG_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	/* RSP was never changed: the pushes above are still there. */
	mov	$1, %eax

.Lout:
	/* Leave no guest value in a register the compiler does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)
