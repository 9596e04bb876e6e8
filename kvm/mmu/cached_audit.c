// SPDX-License-Identifier: GPL-2.0
/*
 * The cached strategy's audit: with cached_audit=1, every time a vCPU
 * loads a root (each CR3 switch or paging-mode change), each leaf reachable
 * from it is checked against the guest's own tables, as they are in guest
 * memory now.  The shadow of a cached root must be exact at that point:
 * every guest change to a shadowed table was tracked.  A mismatch is
 * reported in the kernel log and counted (debugfs kvm/PID-FD/mmu,
 * audit_errors).  It is slow: for tests, like Linux 2.6.20's AUDIT.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "mmu/cached.h"

bool cached_audit;
module_param(cached_audit, bool, 0644);
MODULE_PARM_DESC(cached_audit,
		 "mmu=cached: at every root load, check each shadow leaf "
		 "against the guest's page tables and report mismatches "
		 "(slow; for testing)");

static void cached_audit_report(struct cached_vm *cvm, struct cached_vcpu *cv,
				struct cached_sp *sp, gva_t gva, u64 spte,
				const char *what)
{
	cvm->audit_errors++;
	pr_err_ratelimited("audit: vCPU %d CR3 %#llx gva %#llx spte %#llx (shadow page gfn %#llx role %#x): %s\n",
			   cv->vcpu->vcpu_id, cv->vcpu->cr3, gva, spte,
			   sp->gfn, sp->role.word, what);
}

/* Whether the VMM's page at @hva is the one @spte maps. */
static bool cached_audit_same_page(unsigned long hva, u64 spte)
{
	struct page *page;
	bool same;

	if (get_user_pages_fast(hva, 1, 0, &page) != 1)
		return false;
	same = page_to_pfn(page) == spte_pfn(spte);
	put_page(page);
	return same;
}

/*
 * Leaf @i of @sp maps @gva: the guest's tables must allow what the leaf
 * allows (spte_shadow_perm() being the only widening: a supervisor write
 * to a read-only page with CR0.WP clear), and map the same gfn, whose
 * page must be the one the leaf reaches.
 */
static void cached_audit_leaf(struct cached_vm *cvm, struct cached_vcpu *cv,
			      const struct guest_paging *pg,
			      struct cached_sp *sp, int i, gva_t gva)
{
	u64 spte = sp->spt[i];
	u32 perm = spte_leaf_perm(spte);
	struct guest_walk walk;
	unsigned long hva;
	gfn_t gfn;

	/* The least the leaf lets through; a user page, by the user. */
	if (guest_walk(pg, gva, (perm & PERM_USER) ? KVM_ACC_USER : 0,
		       &walk) != WALK_OK) {
		cached_audit_report(cvm, cv, sp, gva, spte,
				    "the guest's tables do not map it");
		return;
	}
	gfn = walk.gpa >> PAGE_SHIFT;
	if (gfn != sp->gfns[i])
		cached_audit_report(cvm, cv, sp, gva, spte,
				    "the guest's tables map another gfn");
	if ((perm & PERM_EXEC) && !(walk.perm & PERM_EXEC))
		cached_audit_report(cvm, cv, sp, gva, spte,
				    "executable, the guest's mapping is not");
	if (perm & PERM_WRITE) {
		/*
		 * A guest leaf in read-only memory cannot take its D bit
		 * (walk.c drops the write, as ROM would): then the leaf is
		 * writable with D clear, like a TLB entry after the write.
		 */
		if (!walk.dirty && walk.nr_ptes &&
		    kvm_gfn_to_hva(cv->vcpu->kvm,
				   walk.ptes[walk.nr_ptes - 1].gpa >> PAGE_SHIFT,
				   true) != KVM_HVA_ERR)
			cached_audit_report(cvm, cv, sp, gva, spte,
					    "writable, the guest's D bit is clear");
		if (!(walk.perm & PERM_WRITE) && (pg->wp || (perm & PERM_USER)))
			cached_audit_report(cvm, cv, sp, gva, spte,
					    "writable, the guest's mapping is not");
		if (cached_gfn_shadowed(cvm, gfn))
			cached_audit_report(cvm, cv, sp, gva, spte,
					    "writable, but a shadowed page table");
	}
	if (sp->role.level > 1) {
		if (cached_lpage_shadowed(cvm, gfn))
			cached_audit_report(cvm, cv, sp, gva, spte,
					    "a 2 MiB leaf over a shadowed page table");
		if (pg->levels && walk.leaf_level < 2)
			cached_audit_report(cvm, cv, sp, gva, spte,
					    "a 2 MiB leaf, the guest maps 4 KiB pages");
	}
	hva = kvm_gfn_to_hva(cv->vcpu->kvm, gfn, false);
	if (hva == KVM_HVA_ERR)
		cached_audit_report(cvm, cv, sp, gva, spte, "the gfn is no memory");
	else if (!cached_audit_same_page(hva, spte))
		cached_audit_report(cvm, cv, sp, gva, spte,
				    "not the page the slot has at that gfn");
}

static void cached_audit_table(struct cached_vm *cvm, struct cached_vcpu *cv,
			       const struct guest_paging *pg,
			       struct cached_sp *sp, gva_t base)
{
	int level = sp->role.level, i;

	for (i = 0; i < PT64_ENT_PER_PAGE; i++) {
		gva_t gva = base | ((gva_t)i << (PAGE_SHIFT + 9 * (level - 1)));
		u64 spte = sp->spt[i];

		if (!spte_present(spte))
			continue;
		if (level > 1 && !spte_large(spte))
			cached_audit_table(cvm, cv, pg, cached_sp_of(spte), gva);
		else if (cv->root_level == 4)
			cached_audit_leaf(cvm, cv, pg, sp, i,
					  sign_extend64(gva, 47));
		else
			cached_audit_leaf(cvm, cv, pg, sp, i, gva);
	}
}

void cached_audit_root(struct cached_vm *cvm, struct cached_vcpu *cv)
{
	struct guest_paging pg;
	int i;

	guest_paging_init(&pg, cv->vcpu);
	if (cv->root_level == 4) {
		cached_audit_table(cvm, cv, &pg, cv->root, 0);
		return;
	}
	for (i = 0; i < 4; i++)
		if (cv->pae_sp[i])
			cached_audit_table(cvm, cv, &pg, cv->pae_sp[i],
					   (gva_t)i << 30);
}
