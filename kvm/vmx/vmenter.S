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

#include "../vmenter.h"

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

	GUEST_REGS_LOAD
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
	GUEST_REGS_SAVE
	popq	REG_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	/* RSP was never changed: the pushes above are still there. */
	mov	$1, %eax

.Lout:
	/* Leave no guest value in a register the compiler does not restore. */
	GUEST_REGS_CLEAR

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)
