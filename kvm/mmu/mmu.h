/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_RESEARCH_MMU_H
#define KVM_RESEARCH_MMU_H

/*
 * One way of virtualizing guest memory.  Strategies:
 *   naive  - shadow page tables, all dropped on every guest CR3 switch or
 *            TLB flush;
 *   cached - shadow page tables kept across CR3 switches, kept coherent by
 *            write-protecting the guest's page tables;
 *   tdp    - two-dimensional paging in hardware (AMD NPT / Intel EPT).
 *
 * The page-table hooks (fault handling, CR3 switch, INVLPG, ...) are added
 * here when vCPUs exist; for now a strategy is only its name.
 */
struct kvm_mmu_ops {
	const char *name;
};

/*
 * The strategy selected by the "mmu" module parameter right now.  A VM is
 * meant to sample it once, at creation, and keep that strategy for life.
 */
const struct kvm_mmu_ops *kvm_mmu_selected(void);

#endif /* KVM_RESEARCH_MMU_H */
