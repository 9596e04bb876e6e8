/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_RESEARCH_SVM_H
#define KVM_RESEARCH_SVM_H

#include <asm/svm.h>

#include "kvm_host.h"

/* The SVM backend's vCPU: the generic vCPU embedded, found by container_of. */
struct vcpu_svm {
	struct kvm_vcpu vcpu;
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	/* Host state VMSAVE/VMLOAD switch (FS, GS, TR, LDTR, syscall MSRs). */
	struct page *host_state;

	u32 asid;
	u64 asid_generation;
	int last_cpu;

	/*
	 * NMI blocking, which SVM leaves to us: set when an NMI is injected;
	 * the guest's IRET then exits (intercepted while NMIs are blocked),
	 * but has not executed yet, so blocking ends only once RIP has moved
	 * past it (awaiting_iret, iret_rip).
	 */
	bool nmi_masked;
	bool awaiting_iret;
	u64 iret_rip;
	/*
	 * Single-stepping one guest instruction (RFLAGS.TF, #DB intercepted)
	 * to reach the end of an interrupt shadow or of an IRET, where a
	 * pending NMI or interrupt can be injected.  singlestep_guest_tf: the
	 * guest's own TF.
	 */
	bool singlestep;
	u64 singlestep_guest_tf;
	/*
	 * The last entry was in an interrupt shadow and injected no event:
	 * entry_shadow, with the RIP it had.  See svm_vcpu_run().
	 */
	bool entry_shadow;
	u64 entry_rip;
};

static inline struct vcpu_svm *to_svm(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_svm, vcpu);
}

/* vmenter.S: VMLOAD, VMRUN, VMSAVE with the guest's general registers. */
void __svm_vcpu_run(unsigned long vmcb_pa, unsigned long host_state_pa,
		    u64 *regs, u64 *spec_ctrl);

/* exits.c */
int svm_handle_exit(struct vcpu_svm *svm);
const char *svm_exit_slot_name(unsigned int slot, char *buf, size_t size);

/* svm.c */
void svm_set_intercept(struct vmcb *vmcb, int bit);
void svm_clr_intercept(struct vmcb *vmcb, int bit);

#endif /* KVM_RESEARCH_SVM_H */
