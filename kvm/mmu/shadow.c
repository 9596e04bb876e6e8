// SPDX-License-Identifier: GPL-2.0
/*
 * Pins of the VMM's pages behind shadow leaves (see shadow.h).
 */
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/seq_file.h>

#include "kvm_host.h"
#include "mmu/shadow.h"
#include "mmu/spte.h"

#define SHADOW_STAT(name, group) \
	{ #name, offsetof(struct kvm_mmu_stats, name), SHADOW_STATS_##group }

static const struct {
	const char *name;
	size_t offset;
	unsigned int group;
} shadow_stat_names[] = {
	SHADOW_STAT(shadow_pages, PAGES),
	SHADOW_STAT(shadow_created, PAGES),
	SHADOW_STAT(shadow_zapped, PAGES),
	SHADOW_STAT(pinned, PAGES),
	SHADOW_STAT(pf_fixed, FAULTS),
	SHADOW_STAT(pf_guest, FAULTS),
	SHADOW_STAT(pf_emulate, FAULTS),
	SHADOW_STAT(pf_retry, FAULTS),
	SHADOW_STAT(new_cr3, FAULTS),
	SHADOW_STAT(invlpg, FAULTS),
	SHADOW_STAT(root_drops, FAULTS),
	SHADOW_STAT(overflows, FAULTS),
};

void shadow_show_stats(struct seq_file *m, const char *prefix,
		       const struct kvm_mmu_stats *s, unsigned int which)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shadow_stat_names); i++) {
		if (!(shadow_stat_names[i].group & which))
			continue;
		seq_printf(m, "%s%s %llu\n", prefix, shadow_stat_names[i].name,
			   *(const u64 *)((const char *)s +
					  shadow_stat_names[i].offset));
	}
}

void shadow_add_stats(struct kvm_mmu_stats *a, const struct kvm_mmu_stats *b)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shadow_stat_names); i++)
		*(u64 *)((char *)a + shadow_stat_names[i].offset) +=
			READ_ONCE(*(const u64 *)((const char *)b +
						 shadow_stat_names[i].offset));
}

u32 shadow_fault_access(u32 error_code)
{
	u32 access = 0;

	if (error_code & PFERR_WRITE_MASK)
		access |= KVM_ACC_WRITE;
	if (error_code & PFERR_USER_MASK)
		access |= KVM_ACC_USER;
	if (error_code & PFERR_FETCH_MASK)
		access |= KVM_ACC_FETCH;
	return access;
}

bool shadow_refused_permitted(const struct kvm_page_fault *fault, u64 spte,
			      u32 access)
{
	return (fault->error_code & PFERR_PRESENT_MASK) &&
	       !(fault->error_code & PFERR_RSVD_MASK) &&
	       spte_present(spte) && spte_permits(spte, access);
}

bool shadow_write_needs_emulation(const struct guest_paging *pg,
				  const struct guest_walk *walk, u32 access)
{
	return (access & KVM_ACC_WRITE) && !(access & KVM_ACC_USER) &&
	       !pg->wp && pg->smap && (walk->perm & PERM_USER) &&
	       !(walk->perm & PERM_WRITE);
}

bool shadow_gpa_hva(struct kvm *kvm, gpa_t gpa, bool write,
		    unsigned long *hva, bool *slot_writable)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;

	*hva = kvm_gfn_to_hva(kvm, gfn, true);
	*slot_writable = *hva != KVM_HVA_ERR;
	if (*slot_writable)
		return true;
	if (write)
		return false;
	*hva = kvm_gfn_to_hva(kvm, gfn, false);
	return *hva != KVM_HVA_ERR;
}

int shadow_prepare_leaf(const struct guest_paging *pg, struct guest_walk *walk,
			unsigned long hva, bool slot_writable, bool write,
			u32 *perm, struct page **page)
{
	struct kvm *kvm = pg->vcpu->kvm;
	gfn_t gfn = walk->gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot = kvm_gfn_to_slot(kvm, gfn);
	bool logging = slot && slot->dirty_bitmap;
	bool pinned_write;
	int r;

	/*
	 * Dirty logging: only a write maps the page writable, and it is
	 * logged below; after a read the first write still faults.
	 */
	if (logging && !write)
		*perm &= ~PERM_WRITE;
	r = shadow_pin(hva, slot_writable, *perm & PERM_WRITE, page,
		       &pinned_write);
	if (r)
		return r;
	if (!pinned_write)
		*perm &= ~PERM_WRITE;
	r = guest_walk_set_ad(pg, walk, write);
	if (r) {
		unpin_user_page(*page);
		return r;
	}
	if (logging && (*perm & PERM_WRITE))
		kvm_mark_page_dirty(kvm, gfn);
	return 0;
}

/* Beyond this refcount (pins from elsewhere), refuse to pin again. */
#define SHADOW_PAGE_REF_LIMIT	(INT_MAX / 2)

/*
 * A writable slot's page is pinned for write even for a read-only SPTE:
 * that breaks copy-on-write (the shared zero page, or a fork's) now, so
 * the page the guest sees is the one in the VMM's page tables, and stays
 * so while pinned, instead of a copy the VMM never sees.
 *
 * FOLL_LONGTERM: the pin lasts as long as the SPTE, which is up to the
 * guest (a guest that never writes CR3 keeps it forever).
 */
int shadow_pin(unsigned long hva, bool slot_writable, bool need_write,
	       struct page **page, bool *pinned_write)
{
	unsigned int flags = FOLL_LONGTERM;
	int n;

	*pinned_write = slot_writable;
	n = pin_user_pages_fast(hva, 1, flags | (slot_writable ? FOLL_WRITE : 0),
				page);
	if (n == -EFAULT && slot_writable && !need_write) {
		*pinned_write = false;
		n = pin_user_pages_fast(hva, 1, flags, page);
	}
	if (n != 1)
		return n < 0 ? n : -EFAULT;

	if (folio_ref_count(page_folio(*page)) > SHADOW_PAGE_REF_LIMIT) {
		unpin_user_page(*page);
		return -ENOMEM;
	}
	return 0;
}

/*
 * A page that was mapped writable may have been written by the guest:
 * tell the VM about it before the pin goes.  Only struct pages are
 * touched, never the VMM's mappings, so this is fine from any context.
 */
/*
 * Release a leaf's pin: the page is dirty if the leaf could write it or
 * did (D: a leaf write-protected since, for a page table it shadows or
 * for the dirty log, keeps the D of the writes it allowed).
 */
void shadow_unpin_leaf(u64 spte)
{
	struct page *page = pfn_to_page(spte_pfn(spte));

	unpin_user_pages_dirty_lock(&page, 1,
				    spte & (PT_WRITABLE_MASK | PT_DIRTY_MASK));
}

void shadow_release_defer(struct shadow_release *rel, u64 spte)
{
	if (WARN_ON_ONCE(shadow_release_full(rel))) {
		/* A caller's bug; leaking the pin beats a use after free. */
		return;
	}
	rel->sptes[rel->n++] = spte;
}

void shadow_release_all(struct shadow_release *rel)
{
	int i;

	for (i = 0; i < rel->n; i++)
		shadow_unpin_leaf(rel->sptes[i]);
	rel->n = 0;
}

/*
 * The size at which the VMM maps @hva in its own page tables: 3 for a
 * 1 GiB page, 2 for a 2 MiB page (THP, hugetlbfs), else 1.  Read without
 * the mmap lock, as GUP-fast reads them: with interrupts off the tables
 * cannot be freed under us.  The answer may be stale at once; it only
 * bounds how much one leaf maps of a host page that the caller holds
 * pinned (the caller checks that the pinned page's folio is that large).
 */
int kvm_host_page_level(unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(current->mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_large(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_large(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}
