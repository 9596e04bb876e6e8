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
 *
 * Speculation hygiene (../spec.h), as Debian 6.1's kvm_amd does it, each
 * step an alternative patched in only where the host's mitigations ask:
 * the guest's IA32_SPEC_CTRL from the last instructions before VMRUN to
 * the first after it (no RET or indirect branch in between), VERW before
 * VMRUN (TSA), and after the exit, before the first RET, the RSB stuffed
 * (retpolines), then RETBleed/SRSO untraining and the SRSO IBPB.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>

#include "../vmenter.h"

	.text

/*
 * void __svm_vcpu_run(unsigned long vmcb_pa, unsigned long host_state_pa,
 *		       u64 *regs, u64 *spec_ctrl)
 *
 * @spec_ctrl: the guest's IA32_SPEC_CTRL.  The guest cannot change it
 * without an exit (every MSR access is intercepted), so the exit path
 * needs no RDMSR.
 */
SYM_FUNC_START(__svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	/*
	 * 24(%rsp) = spec_ctrl, 16(%rsp) = regs, 8(%rsp) = host_state_pa,
	 * 0(%rsp) = vmcb_pa
	 */
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi

	/* Save the host's VMSAVE state. */
	mov	%rsi, %rax
	vmsave	%rax

	/*
	 * The guest's SPEC_CTRL if the host has the MSR and the CPU does not
	 * switch it through the VMCB (V_SPEC_CTRL).  Clobbers RAX, RCX, RDX.
	 */
	ALTERNATIVE_2 "", "jmp 800f", X86_FEATURE_MSR_SPEC_CTRL, \
		      "", X86_FEATURE_V_SPEC_CTRL
801:

	/* The guest's general registers, but RAX and RSP (in the VMCB). */
	mov	16(%rsp), %rax
	GUEST_REGS_LOAD

	mov	(%rsp), %rax
	vmload	%rax
	/* Clobbers EFLAGS.ZF. */
	VM_CLEAR_CPU_BUFFERS
	vmrun	%rax
	vmsave	%rax

	/* #VMEXIT restored the host's RSP; RAX is vmcb_pa again. */
	mov	16(%rsp), %rax
	GUEST_REGS_SAVE

	/* The host's FS/GS bases and the rest, before any C code runs. */
	mov	8(%rsp), %rax
	vmload	%rax

	/* Stuff the RSB right after the exit, before any RET. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* The host's SPEC_CTRL back.  Clobbers RAX, RCX, RDX. */
	ALTERNATIVE_2 "", "jmp 900f", X86_FEATURE_MSR_SPEC_CTRL, \
		      "", X86_FEATURE_V_SPEC_CTRL
901:

	/*
	 * RETBleed and SRSO on AMD: untrain RET before the first one, and
	 * before interrupts can come (GIF is clear until the caller's STGI).
	 */
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

	/* Leave no guest value in a register the compiler does not restore. */
	GUEST_REGS_CLEAR

	add	$32, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	/* Out of line, so that a host without the MSR jumps nowhere. */
800:
	mov	24(%rsp), %rax
	mov	(%rax), %eax
	cmp	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	je	801b
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
	jmp	801b

900:
	mov	24(%rsp), %rdx
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	cmp	(%rdx), %eax
	je	901b
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
	jmp	901b
SYM_FUNC_END(__svm_vcpu_run)
