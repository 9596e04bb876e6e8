/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering a VMX guest.  VM entry loads RSP, RIP, RFLAGS, the control
 * registers and segments from the VMCS; every other general register is
 * ours to load and save.  VM exit loads the host state of the VMCS: RSP
 * as written here just before the entry, RIP = vmx_vmexit below.
 *
 * Called with interrupts off; the caller puts back whatever host state
 * VMX does not (vmx.c).
 *
 * Speculation hygiene (../spec.h), as Debian 6.1's kvm_intel does it, each
 * step an alternative patched in only where the host's mitigations ask:
 * the guest's IA32_SPEC_CTRL from the last instructions before the entry
 * to the first after the exit (no RET or indirect branch in between), VERW
 * right before the entry (MDS and relatives), and after the exit, before
 * the first RET, the RSB stuffed (or one CALL retired, for PBRSB under
 * eIBRS) and the branch history cleared (BHI).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/unwind_hints.h>

#include "../vmenter.h"

	.text

/*
 * int __vmx_vcpu_run(u64 *regs, bool launched, unsigned long host_rsp_field,
 *		      u64 *spec_ctrl)
 *
 * VMLAUNCH if !launched, else VMRESUME.  Returns 0 after a VM exit (the
 * guest's registers are in regs[], RSP excepted: it is in the VMCS), 1 if
 * the instruction failed (VMfailValid or VMfailInvalid: the caller reads
 * the VM-instruction error).  host_rsp_field is the VMCS encoding of
 * HOST_RSP (asm/vmx.h has it only as a C enum).  @spec_ctrl: the guest's
 * IA32_SPEC_CTRL, which it cannot change without an exit (every MSR access
 * is intercepted), so the exit path needs no RDMSR.
 */
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	/* 8(%rsp) = spec_ctrl; 0(%rsp) = regs, where the exit finds it. */
	push	%rcx
	push	%rdi
	/* EBX: launched, kept across the SPEC_CTRL switch. */
	movzbl	%sil, %ebx

	/* The exit comes back with this RSP. */
	vmwrite	%rsp, %rdx
	jbe	.Lvmfail

	/*
	 * The guest's SPEC_CTRL, if the host has the MSR and the values
	 * differ.  Clobbers RAX, RCX, RDX.  VM entry is serializing on the
	 * CPUs concerned: no LFENCE needed for a skipped WRMSR.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov	8(%rsp), %rax
	mov	(%rax), %eax
	cmp	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	je	.Lspec_ctrl_done
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_ctrl_done:

	/* CF: set if launched (VERW below clobbers ZF).  MOVs keep flags. */
	mov	(%rsp), %rax
	bt	$0, %ebx

	GUEST_REGS_LOAD
	mov	REG_RAX(%rax), %rax

	/* Clobbers EFLAGS.ZF. */
	CLEAR_CPU_BUFFERS

	/* The exit below arrives with the stack as it is here. */
	UNWIND_HINT_SAVE
	jc	.Lresume
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
	xor	%ebx, %ebx
	jmp	.Lout

.Lvmfail:
	/* RSP was never changed: the pushes above are still there. */
	mov	$1, %ebx

.Lout:
	/* Leave no guest value in a register the compiler does not restore. */
	xor	%eax, %eax
	GUEST_REGS_CLEAR

	/*
	 * Before the first unbalanced RET: stuff the RSB (retpoline or IBRS),
	 * or retire one CALL (PBRSB under eIBRS); clear the branch history.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	CLEAR_BRANCH_HISTORY_VMEXIT

	/*
	 * The host's SPEC_CTRL back if it differs from the guest's; under
	 * legacy IBRS always, as IBRS acts only when written (upstream's
	 * vmx_spec_ctrl_restore_host()).  Clobbers RAX, RCX, RDX.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_host_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	ALTERNATIVE "", "jmp .Lspec_ctrl_write", X86_FEATURE_KERNEL_IBRS
	mov	8(%rsp), %rdx
	cmp	(%rdx), %eax
	je	.Lspec_ctrl_host_done
.Lspec_ctrl_write:
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_ctrl_host_done:
	/* barrier_nospec(): no speculation past a skipped WRMSR. */
	ALTERNATIVE "", "lfence", X86_FEATURE_LFENCE_RDTSC

	mov	%ebx, %eax
	add	$16, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)
