/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one function that says which paging mode a vCPU runs in, for the
 * backends and the MMU strategies alike.  Included by kvm_host.h after
 * struct kvm_vcpu (and by the MMU checker's stand-in for it).
 */
#ifndef KVM_RESEARCH_PAGING_MODE_H
#define KVM_RESEARCH_PAGING_MODE_H

/*
 * The paging mode of a vCPU's state, and so the mode the hardware runs it
 * in: the backends enter long mode exactly when this is KVM_PAGING_LONG,
 * and the shadow MMU strategies build a 4-level root exactly then (a PAE
 * root otherwise).  The values are the guest's page-table levels.
 *
 * Long mode is EFER.LMA, which only exists with EFER.LME, CR0.PG and
 * CR4.PAE: the ioctls and the guest's own CR0/CR4/EFER writes keep it so.
 * LMA without them is KVM_PAGING_INVALID, a state that never enters the
 * guest (kvm_arch_vcpu_run() fails the entry).
 *
 * KVM_PLANT_LMA_NO_PG (a test build, tests/fuzz/) plants the old bug: LMA
 * alone meant long mode to the hardware, but CR0.PG=0 meant "paging off"
 * to the MMU.
 */
enum kvm_paging_mode {
	KVM_PAGING_INVALID = -1,
	KVM_PAGING_OFF = 0,
	KVM_PAGING_32 = 2,
	KVM_PAGING_PAE = 3,
	KVM_PAGING_LONG = 4,
};

static inline enum kvm_paging_mode kvm_paging_mode(const struct kvm_vcpu *vcpu)
{
#ifdef KVM_PLANT_LMA_NO_PG
	if (!(vcpu->cr0 & X86_CR0_PG))
		return KVM_PAGING_OFF;
#endif
	if (vcpu->efer & EFER_LMA) {
		if (!(vcpu->efer & EFER_LME) || !(vcpu->cr0 & X86_CR0_PG) ||
		    !(vcpu->cr4 & X86_CR4_PAE))
			return KVM_PAGING_INVALID;
		return KVM_PAGING_LONG;
	}
	if (!(vcpu->cr0 & X86_CR0_PG))
		return KVM_PAGING_OFF;
	return (vcpu->cr4 & X86_CR4_PAE) ? KVM_PAGING_PAE : KVM_PAGING_32;
}

/* Whether the hardware runs @vcpu in long mode (EFER.LMA, LME in the VMCB/VMCS). */
static inline bool kvm_is_long_mode(const struct kvm_vcpu *vcpu)
{
#ifdef KVM_PLANT_LMA_NO_PG
	return vcpu->efer & EFER_LMA;
#else
	return kvm_paging_mode(vcpu) == KVM_PAGING_LONG;
#endif
}

/* The CR0 bits that exist; the others are reserved, and read as 0. */
#define KVM_CR0_DEFINED	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)

#endif /* KVM_RESEARCH_PAGING_MODE_H */
