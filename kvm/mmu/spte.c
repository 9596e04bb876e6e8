// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow page-table entries: how a translation the guest permits becomes
 * an entry the hardware walks.  Shared by the shadow-paging strategies.
 */
#include "mmu/mmu.h"
#include "mmu/spte.h"

/*
 * A 4 KiB leaf mapping host page @pfn with rights @perm.  A and D are set
 * up front: the shadow's own A/D bits mean nothing to us (the guest's are
 * kept in the guest's tables, by the walker), and setting them saves the
 * hardware a locked write to the SPTE on first use.  D is set with W
 * only, and stays when write access is taken away: a leaf with D marks
 * its page dirty when it is dropped (shadow_unpin_leaf()).
 */
u64 spte_make_leaf(unsigned long pfn, u32 perm)
{
	u64 spte = PT_PRESENT_MASK | PT_ACCESSED_MASK |
		   (((u64)pfn << PAGE_SHIFT) & SPTE_ADDR_MASK);

	if (perm & PERM_WRITE)
		spte |= PT_WRITABLE_MASK | PT_DIRTY_MASK;
	if (perm & PERM_USER)
		spte |= PT_USER_MASK;
	if (!(perm & PERM_EXEC))
		spte |= PT64_NX_MASK;
	return spte;
}

/*
 * A non-leaf entry grants everything: the rights of a translation are
 * decided by its leaf alone, so that a leaf can be changed without
 * touching the tables above it.
 */
/*
 * A 2 MiB leaf at shadow level 2 (PS): @pfn is the first of 512 aligned
 * frames.  Bit 12 would be PAT there; an aligned @pfn leaves it clear.
 */
u64 spte_make_large_leaf(unsigned long pfn, u32 perm)
{
	return spte_make_leaf(pfn, perm) | PT_PAGE_SIZE_MASK;
}

u64 spte_make_table(phys_addr_t table)
{
	return PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK |
	       PT_ACCESSED_MASK | (table & SPTE_ADDR_MASK);
}

/*
 * An entry of a PAE root (a PDPTE): only P and the address are allowed,
 * R/W, U/S, A and NX are reserved there and would make the hardware fault
 * (or VM entry fail on Intel).
 */
u64 spte_make_pae_root_entry(phys_addr_t table)
{
	return PT_PRESENT_MASK | (table & SPTE_ADDR_MASK);
}

u64 spte_mark_split(u64 spte, bool pse_4m)
{
	return spte | SPTE_SPLIT | (pse_4m ? SPTE_SPLIT_4M : 0);
}

/* The PERM_* rights a present leaf SPTE gives. */
u32 spte_leaf_perm(u64 spte)
{
	u32 perm = 0;

	if (spte & PT_WRITABLE_MASK)
		perm |= PERM_WRITE;
	if (spte & PT_USER_MASK)
		perm |= PERM_USER;
	if (!(spte & PT64_NX_MASK))
		perm |= PERM_EXEC;
	return perm;
}

/*
 * Whether the hardware, walking a present leaf @spte with CR0.WP=1, lets
 * a KVM_ACC_* @access through as far as the SPTE's own bits go (SMEP and
 * SMAP, which depend on CR4 and RFLAGS, are not considered).
 */
bool spte_permits(u64 spte, u32 access)
{
	u32 perm = spte_leaf_perm(spte);

	if ((access & KVM_ACC_WRITE) && !(perm & PERM_WRITE))
		return false;
	if ((access & KVM_ACC_USER) && !(perm & PERM_USER))
		return false;
	if ((access & KVM_ACC_FETCH) && !(perm & PERM_EXEC))
		return false;
	return true;
}

/*
 * The rights to give the leaf SPTE of a translation that the guest's
 * tables allow for @access, given the guest's effective @guest_perm and
 * the D bit of its leaf (true when paging is off: there is no D bit).
 *
 * The hardware runs the shadow with CR0.WP=1 and sets D only in the
 * shadow, so two guest behaviours need help:
 *
 * - D bits.  A write must find the guest leaf's D set, so the SPTE is
 *   writable only when D already is, or when this access is the write
 *   (the caller sets D before installing the SPTE).  The first write to a
 *   clean page then faults, and the fault sets D.
 *
 * - CR0.WP=0.  A supervisor write to a read-only page is allowed.  Map the
 *   page writable but supervisor-only, so that a later user access, which
 *   must not write it, faults and is re-evaluated.  With SMEP, a page
 *   that was user in the guest must not become executable by the
 *   supervisor that way, so it is made NX too.
 */
u32 spte_shadow_perm(u32 guest_perm, bool guest_dirty, u32 access,
		     bool cr0_wp, bool cr4_smep)
{
	u32 perm = guest_perm;
	bool write = access & KVM_ACC_WRITE;

	if (write && !(access & KVM_ACC_USER) && !(perm & PERM_WRITE) &&
	    !cr0_wp) {
		if (cr4_smep && (perm & PERM_USER))
			perm &= ~PERM_EXEC;
		perm |= PERM_WRITE;
		perm &= ~PERM_USER;
	}
	if (!guest_dirty && !write)
		perm &= ~PERM_WRITE;
	return perm;
}
