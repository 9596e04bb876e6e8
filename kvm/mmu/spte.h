/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 page-table entry bits, and the encoding of shadow page-table entries
 * (SPTEs).  This header and spte.c are the only places that know which bit
 * means what: the guest walker (walk.c, paging_tmpl.h) and the strategies
 * (naive.c) use the names and helpers below.
 */
#ifndef KVM_RESEARCH_MMU_SPTE_H
#define KVM_RESEARCH_MMU_SPTE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/page.h>

/*
 * Architectural bits.  Bits 0-8 mean the same in 32-bit, PAE and 4-level
 * entries (PS is PAT in a 4 KiB PTE, and is only looked at above level 1);
 * NX exists in 64-bit entries only.
 */
#define PT_PRESENT_MASK		BIT_ULL(0)
#define PT_WRITABLE_MASK	BIT_ULL(1)
#define PT_USER_MASK		BIT_ULL(2)
#define PT_PWT_MASK		BIT_ULL(3)
#define PT_PCD_MASK		BIT_ULL(4)
#define PT_ACCESSED_MASK	BIT_ULL(5)
#define PT_DIRTY_MASK		BIT_ULL(6)
#define PT_PAGE_SIZE_MASK	BIT_ULL(7)
#define PT_GLOBAL_MASK		BIT_ULL(8)
#define PT64_NX_MASK		BIT_ULL(63)

/* Entries per 4 KiB table: 512 of 8 bytes, or 1024 of 4 bytes (32-bit paging). */
#define PT64_ENT_PER_PAGE	512
#define PT32_ENT_PER_PAGE	1024

/*
 * Effective access rights of a translation: the AND of R/W and U/S over
 * every level, and NX OR'ed (here: EXEC AND'ed).  The walker produces
 * them, the policy below turns them into a leaf SPTE.
 */
#define PERM_WRITE		BIT(0)
#define PERM_USER		BIT(1)
#define PERM_EXEC		BIT(2)
#define PERM_ALL		(PERM_WRITE | PERM_USER | PERM_EXEC)

/*
 * Shadow entries.  The hardware runs them in PAE or 4-level format with
 * EFER.NXE=1, so bits 51:12 are the host-physical address and bit 63 is
 * NX at every level.  Bits 9-11 are ignored by the hardware at every level
 * (PAE PDPTEs included) and carry software state:
 *
 * SPTE_SPLIT      on a non-leaf entry: some leaf below it is a 4 KiB piece
 *                 of a guest large page (2 MiB, 4 MiB or 1 GiB) that
 *                 starts at this entry's region.  INVLPG of any address in
 *                 a large page invalidates the whole page, so INVLPG drops
 *                 everything below a SPLIT entry.
 * SPTE_SPLIT_4M   with SPLIT: the guest page is a 32-bit 4 MiB page, which
 *                 covers this 2 MiB shadow region and its buddy (index ^ 1),
 *                 so INVLPG drops the buddy's region too.
 */
#define SPTE_ADDR_MASK		GENMASK_ULL(51, 12)
#define SPTE_SPLIT		BIT_ULL(9)
#define SPTE_SPLIT_4M		BIT_ULL(10)

static inline bool spte_present(u64 spte)
{
	return spte & PT_PRESENT_MASK;
}

static inline bool spte_writable(u64 spte)
{
	return spte & PT_WRITABLE_MASK;
}

static inline unsigned long spte_pfn(u64 spte)
{
	return (spte & SPTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* The shadow table a present non-leaf SPTE points to (kernel direct map). */
static inline u64 *spte_table(u64 spte)
{
	return __va(spte & SPTE_ADDR_MASK);
}

/* The index of @gva's entry in a 512-entry shadow table at @level. */
static inline unsigned int spte_index(u64 gva, int level)
{
	return (gva >> (PAGE_SHIFT + 9 * (level - 1))) &
	       (PT64_ENT_PER_PAGE - 1);
}

/* Whether a present SPTE above level 1 is a leaf (a 2 MiB page). */
static inline bool spte_large(u64 spte)
{
	return spte & PT_PAGE_SIZE_MASK;
}

u64 spte_make_leaf(unsigned long pfn, u32 perm);
u64 spte_make_large_leaf(unsigned long pfn, u32 perm);
u64 spte_make_table(phys_addr_t table);
u64 spte_make_pae_root_entry(phys_addr_t table);
u64 spte_mark_split(u64 spte, bool pse_4m);
u32 spte_leaf_perm(u64 spte);
bool spte_permits(u64 spte, u32 access);
u32 spte_shadow_perm(u32 guest_perm, bool guest_dirty, u32 access,
		     bool cr0_wp, bool cr4_smep);

#endif /* KVM_RESEARCH_MMU_SPTE_H */
