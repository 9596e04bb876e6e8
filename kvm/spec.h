/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Speculative-execution hygiene around guest entry and exit, as upstream
 * Linux 6.1 KVM does it, with the kernel's own helpers and mitigation
 * state (spec.c; the entry code is each backend's vmenter.S):
 *
 * - IA32_SPEC_CTRL: the guest's value (vcpu->spec_ctrl) is loaded right
 *   before the entry if the host has the MSR and the value differs from
 *   the host's (x86_spec_ctrl_current); the host's is loaded back right
 *   after the exit.  Every guest access to it exits (the MSR bitmaps are
 *   all ones), so vcpu->spec_ctrl is always the guest's value.  SVM also
 *   switches the virtual SSBD state (x86_spec_ctrl_set_guest()).
 * - The return stack buffer is refilled after every exit, before the
 *   first RET, where the host's Spectre v2 mitigation asks for it.
 * - IBPB when a CPU enters a different vCPU than the one it entered
 *   last, where the host uses IBPB (X86_FEATURE_USE_IBPB), as upstream
 *   does on a VMCB/VMCS switch.
 * - VERW before the entry where the host clears CPU buffers (VMX: MDS
 *   and relatives, SVM: TSA); VMX: the L1D flush kvm_intel would do
 *   (kvm_spec_l1d_mode()).
 */
#ifndef KVM_RESEARCH_SPEC_H
#define KVM_RESEARCH_SPEC_H

#include <linux/seq_file.h>
#include <asm/nospec-branch.h>

#include "kvm_host.h"

/* The backend's hardware_setup(): what this host's mitigations ask for. */
void kvm_spec_init(bool vmx);

/*
 * Just before the entry, preemption and interrupts off: IBPB if this CPU
 * last entered another vCPU (counted in vcpu->stat.switch_in, and in
 * vcpu->stat.ibpb where the host uses IBPB).
 */
void kvm_spec_vcpu_switch(struct kvm_vcpu *vcpu);
/* No CPU may keep a freed vCPU as its last one (the memory is reused). */
void kvm_spec_vcpu_free(struct kvm_vcpu *vcpu);

/*
 * Counts the entry's SPEC_CTRL switch and VERW, and says whether the
 * entry needs an L1D flush (VMX), which the caller then does with
 * kvm_spec_l1d_flush().  Interrupts off.
 */
void kvm_spec_count_entry(struct kvm_vcpu *vcpu);
bool kvm_spec_l1d_flush_needed(struct kvm_vcpu *vcpu);
void kvm_spec_l1d_flush(struct kvm_vcpu *vcpu);

/*
 * After the exit, before preemption is enabled again: the VMSCAPE
 * mitigation's IBPB before this CPU next returns to userspace.
 */
static inline void kvm_spec_after_exit(void)
{
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
}

/* MSR_IA32_SPEC_CTRL and MSR_IA32_PRED_CMD, for kvm_get/set_msr(). */
static inline bool kvm_spec_msr(u32 index)
{
	return index == MSR_IA32_SPEC_CTRL || index == MSR_IA32_PRED_CMD;
}
int kvm_spec_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvm_spec_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);

/* debugfs kvm/PID-FD/exits: the "spec.*" lines. */
void kvm_spec_show(struct seq_file *m, struct kvm *kvm);

#endif /* KVM_RESEARCH_SPEC_H */
