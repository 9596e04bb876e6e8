// SPDX-License-Identifier: GPL-2.0
/*
 * The cached strategy's out-of-sync shadow pages and PTE prefetch, as KVM
 * added them in 2008 and 2010.
 *
 * Out of sync.  A guest that fills or changes a last-level page table
 * writes it many times in a row (fork, exec, mmap, munmap, COW), and with
 * every shadowed table write-protected each write is an exit and an
 * emulated instruction.  Instead, the first write to a table that only
 * level-1 shadow pages shadow leaves it writable: those pages go out of
 * sync ("unsync"), keeping a copy of the guest entries their leaves were
 * made from.  Their leaves may then be stale, but only as a TLB may be:
 * the architecture lets a changed entry's old translation live until the
 * guest invalidates it, and the guest does so by
 *
 *   - a CR3 load or a flush (CR4.PGE, a mode change): cached_sync_all()
 *     write-protects every unsync table again, flushes every vCPU, then
 *     drops each leaf whose guest entry is no longer the one it was made
 *     from, before the vCPU enters again (from load_root());
 *   - INVLPG: cached_sync_gva() drops the one leaf of that address, on
 *     this vCPU's root, if its entry changed; the page stays unsync.
 *
 * A leaf is dropped, never updated: the next fault makes it again, with
 * the guest's A/D bits set as the hardware would.  So a guest that
 * clears A or D and then flushes sees them set again by its next access.
 * Upper-level tables are never out of sync: a table that any shadow page
 * above level 1 shadows stays write-protected, and a new shadow page of
 * an unsync table write-protects it again (cached_alloc_sp()).
 *
 * Prefetch.  A fault that maps a leaf of a guest table also maps the
 * present, accessed entries of its aligned group of 8 that have no leaf
 * yet, each by a walk of its own address (so every check of the walker
 * applies), read-only unless the guest entry is dirty, and never
 * writable for a protected table or a page whose slot logs dirty pages.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>

#include "mmu/cached.h"
#include "mmu/mmutrace.h"

/* Guest entries looked at around a fault (upstream's PTE_PREFETCH_NUM). */
#define CACHED_PREFETCH		8

bool cached_gfn_protected(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_sp *sp;

	hash_for_each_possible(cvm->sp_hash, sp, hash, gfn)
		if (sp->gfn == gfn && !sp->role.direct && !sp->unsync)
			return true;
	return false;
}

/*
 * Let @sp out of sync: copy its guest entries, which its leaves match
 * now (the table was protected until this write faulted).
 */
static int cached_sp_unsync(struct cached_vm *cvm, struct cached_sp *sp)
{
	int r;

	if (!sp->gptes) {
		sp->gptes = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!sp->gptes)
			return -ENOMEM;
	}
	r = kvm_read_guest(cvm->kvm, cached_gpte_base(sp), sp->gptes,
			   PT64_ENT_PER_PAGE * cached_gpte_size(sp));
	if (r)
		return r;
	sp->unsync = true;
	list_add_tail(&sp->unsync_link, &cvm->unsync);
	cvm->stats.unsynced++;
	trace_mmu_sp(KVM_MMU_SP_UNSYNC, sp->gfn, sp->role.word, sp->role.level,
		     false);
	return 0;
}

bool cached_unsync_gfn(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_sp *sp;

	if (!cvm->unsync_on)
		return false;
	hash_for_each_possible(cvm->sp_hash, sp, hash, gfn)
		if (sp->gfn == gfn && !sp->role.direct && sp->role.level != 1)
			return false;
	hash_for_each_possible(cvm->sp_hash, sp, hash, gfn) {
		if (sp->gfn != gfn || sp->role.direct || sp->unsync)
			continue;
		/* The others stay unsync: the table is still protected. */
		if (cached_sp_unsync(cvm, sp))
			return false;
	}
	return true;
}

void cached_sp_forget_unsync(struct cached_vm *cvm, struct cached_sp *sp)
{
	if (!sp->unsync)
		return;
	sp->unsync = false;
	list_del_init(&sp->unsync_link);
}

/*
 * Whether leaf @i of unsync @sp no longer stands for its guest entry,
 * which is @gpte now.
 */
static bool cached_leaf_stale(struct cached_sp *sp, int i, u64 gpte)
{
	return gpte != cached_gpte_read(sp, sp->gptes, i);
}

/*
 * Drop the leaves of unsync @sp whose guest entries changed.  False if
 * the table is gone from guest memory: then so is @sp (zapped).
 */
static bool cached_drop_stale(struct cached_vm *cvm, struct cached_sp *sp)
{
	void *table = cvm->sync_buf;
	int i;

	if (kvm_read_guest(cvm->kvm, cached_gpte_base(sp), table,
			   PT64_ENT_PER_PAGE * cached_gpte_size(sp))) {
		cached_zap_sp(cvm, sp);
		return false;
	}
	for (i = 0; i < PT64_ENT_PER_PAGE; i++) {
		if (!spte_present(sp->spt[i]) ||
		    !cached_leaf_stale(sp, i, cached_gpte_read(sp, table, i)))
			continue;
		cached_drop_spte(cvm, sp, i);
		cvm->stats.resync_dropped++;
	}
	return true;
}

bool cached_sync_relinked(struct cached_vm *cvm, struct cached_sp *sp)
{
	cvm->stats.relink_resynced++;
	return cached_drop_stale(cvm, sp);
}

/* Bring unsync @sp back in line; it is in sync (protected) again. */
static void cached_sync_sp(struct cached_vm *cvm, struct cached_sp *sp)
{
	cached_sp_forget_unsync(cvm, sp);
	if (!cached_drop_stale(cvm, sp))
		return;
	cvm->stats.resynced++;
	trace_mmu_sp(KVM_MMU_SP_SYNC, sp->gfn, sp->role.word, sp->role.level,
		     false);
}

void cached_sync_all(struct cached_vm *cvm)
{
	struct cached_sp *sp, *tmp;

	if (list_empty(&cvm->unsync))
		return;
	/*
	 * First no vCPU may write the tables any more; only then is what
	 * they hold final for the comparison.
	 */
	list_for_each_entry(sp, &cvm->unsync, unsync_link)
		cached_write_protect(cvm, sp->gfn);
	cached_commit(cvm);
	list_for_each_entry_safe(sp, tmp, &cvm->unsync, unsync_link)
		cached_sync_sp(cvm, sp);
}

void cached_sync_gva(struct cached_vm *cvm, struct cached_vcpu *cv, gva_t gva)
{
	struct cached_sp *sp;
	unsigned int size;
	u64 gpte = 0;
	int level, i;

	if (list_empty(&cvm->unsync) || !cv->root_valid)
		return;
	if (cv->root_level == 4) {
		sp = cv->root;
	} else {
		gva = (u32)gva;
		sp = cv->pae_sp[(gva >> 30) & 3];
	}
	for (level = sp ? sp->role.level : 0; level > 1; level--) {
		u64 spte = sp->spt[spte_index(gva, level)];

		if (!spte_present(spte) || spte_large(spte))
			return;
		sp = cached_sp_of(spte);
	}
	if (!sp || !sp->unsync)
		return;
	i = spte_index(gva, 1);
	if (!spte_present(sp->spt[i]))
		return;
	size = cached_gpte_size(sp);
	cvm->stats.invlpg_resynced++;
	if (kvm_read_guest(cvm->kvm, cached_gpte_base(sp) + i * size, &gpte,
			   size) || cached_leaf_stale(sp, i, gpte)) {
		cached_drop_spte(cvm, sp, i);
		cvm->stats.resync_dropped++;
	}
}

/*
 * Whether @w, a walk of a neighbour of the fault's address, ends on an
 * accessed 4 KiB leaf in @sp's table.  It went through the same entries
 * above that table as the fault's walk: the addresses differ in bits
 * 20:12 only, and those entries are protected, read under cvm->lock.
 */
static bool cached_prefetch_walk_ok(const struct cached_sp *sp,
				    const struct guest_walk *w)
{
	int n = w->nr_ptes;

	return w->leaf_level == 1 && n &&
	       (w->ptes[n - 1].gpa >> PAGE_SHIFT) == sp->gfn &&
	       (w->ptes[n - 1].val & PT_ACCESSED_MASK);
}

/* Map the neighbour @gva of a fault in @sp; 0 or a reason to stop. */
static int cached_prefetch_one(struct cached_vm *cvm, struct cached_sp *sp,
			       const struct guest_paging *pg, gva_t gva)
{
	struct kvm *kvm = cvm->kvm;
	struct kvm_memory_slot *slot;
	bool slot_writable, pinned_write;
	struct guest_walk w;
	struct page *page;
	unsigned long hva;
	gfn_t gfn;
	u32 perm;
	int r;

	/* A supervisor read, or else a user one (SMAP may refuse the first). */
	r = guest_walk(pg, gva, 0, &w);
	if (r == WALK_FAULT)
		r = guest_walk(pg, gva, KVM_ACC_USER, &w);
	if (r)
		return r < 0 ? r : 0;
	if (!cached_prefetch_walk_ok(sp, &w))
		return 0;
	if (!shadow_gpa_hva(kvm, w.gpa, false, &hva, &slot_writable))
		return 0;

	gfn = w.gpa >> PAGE_SHIFT;
	perm = spte_shadow_perm(w.perm, w.dirty, 0, pg->wp, pg->smep);
	slot = kvm_gfn_to_slot(kvm, gfn);
	if ((slot && slot->dirty_bitmap) || cached_gfn_protected(cvm, gfn))
		perm &= ~PERM_WRITE;
	r = shadow_pin(hva, slot_writable, perm & PERM_WRITE, &page,
		       &pinned_write);
	if (r)
		return r;
	if (!pinned_write)
		perm &= ~PERM_WRITE;
	r = cached_set_leaf(cvm, sp, spte_index(gva, 1), gfn,
			    w.ptes[w.nr_ptes - 1].val,
			    spte_make_leaf(page_to_pfn(page), perm));
	if (r) {
		unpin_user_page(page);
		return r;
	}
	cvm->stats.prefetched++;
	return 0;
}

void cached_prefetch(struct cached_vm *cvm, struct cached_sp *sp,
		     const struct guest_paging *pg,
		     const struct guest_walk *walk, gva_t gva)
{
	int first = spte_index(gva, 1) & ~(CACHED_PREFETCH - 1);
	int i;

	if (walk->leaf_level != 1 || !walk->nr_ptes)
		return;
	for (i = first; i < first + CACHED_PREFETCH; i++) {
		gva_t addr = (gva & ~GENMASK_ULL(20, PAGE_SHIFT)) |
			     ((gva_t)i << PAGE_SHIFT);

		if (spte_present(sp->spt[i]))
			continue;
		if (cvm->stats.pinned >= CACHED_MAX_PINS ||
		    cached_prefetch_one(cvm, sp, pg, addr))
			return;
	}
}
