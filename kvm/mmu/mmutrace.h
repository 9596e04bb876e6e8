/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kvmmmu tracepoints for the strategies' sources, which are also
 * built in userspace by the MMU reference checker (tests/unit/mmu/):
 * there the tracepoints are empty and never enabled.
 */
#ifndef KVM_RESEARCH_MMU_MMUTRACE_H
#define KVM_RESEARCH_MMU_MMUTRACE_H

#ifdef __KERNEL__
#include "mmu_trace.h"

/* Why new_cr3() was called: what x86.c noted (KVM_MMU_FLUSH_*). */
static inline unsigned int mmu_trace_new_cr3_cause(struct kvm_vcpu *vcpu)
{
	return vcpu->mmu_flush_cause;
}
#else
static inline bool trace_mmu_fault_enabled(void) { return false; }
static inline void trace_mmu_fault(unsigned int vcpu_id, u64 gva,
				   u32 error_code, int outcome,
				   unsigned int created, bool pt_write) { }
static inline bool trace_mmu_flush_enabled(void) { return false; }
static inline void trace_mmu_flush(int vcpu_id, unsigned int cause,
				   unsigned int zapped) { }
static inline bool trace_mmu_sp_enabled(void) { return false; }
static inline void trace_mmu_sp(unsigned int op, u64 gfn, u32 role,
				unsigned int level, bool direct) { }
static inline void trace_mmu_pte_write(u64 gpa, int len) { }
static inline unsigned int mmu_trace_new_cr3_cause(struct kvm_vcpu *vcpu)
{
	return KVM_MMU_FLUSH_CR3;
}
#endif

#endif /* KVM_RESEARCH_MMU_MMUTRACE_H */
