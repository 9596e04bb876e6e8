// SPDX-License-Identifier: GPL-2.0
/*
 * The "tdp" MMU strategy: two-dimensional paging in hardware (AMD NPT,
 * Intel EPT).
 *
 * The guest runs on its own page tables, with its own CR3, and takes its
 * own page faults; INVLPG and CR3 writes do not exit.  What we build is
 * the second dimension: one nested page table per VM, shared by its vCPUs,
 * mapping guest-physical to host-physical addresses.  It has the host's
 * 4-level format whatever the guest's mode, and it is filled from nested
 * page faults (#NPF), from the memory slots, one leaf at a time.
 *
 *   - Large leaves: a fault maps 2 MiB (or 1 GiB where the host CPU has
 *     1 GiB pages) in one leaf when the VMM's own page tables map the
 *     faulting address with a page that large (THP, hugetlbfs), the slot
 *     holds the whole aligned range with the same alignment in the VMM's
 *     address space, and the slot does not log dirty pages.  Otherwise
 *     the leaf is 4 KiB.  A table already below the entry keeps the
 *     range at 4 KiB; a large leaf that does not allow the access is
 *     dropped and the fault retried.  Turning the dirty log on changes
 *     the slot, which zaps it: it comes back in 4 KiB leaves.
 *
 *   - A fault on a gpa in no slot (MMIO), or a write to a read-only slot,
 *     goes to the emulator (RET_PF_EMULATE with fault->gpa), which fetches
 *     the instruction through the guest's own tables (translate(), the
 *     software walker of walk.c).
 *   - Every present leaf pins the VMM's page behind it (shadow_pin());
 *     a leaf is writable when the slot and the VMM's mapping allow it.
 *   - Dirty logging, where the hardware sets D in the nested table
 *     (kvm_tdp_ad: NPT, EPT with A/D on): a leaf in a slot that logs is
 *     writable from the first fault, with D clear after a read; the CPU
 *     sets D at the first write, dirty_log_harvest() turns D bits into
 *     bits of the log (KVM_GET_DIRTY_LOG), and dirty_log_protect()
 *     clears them again.  The guest's writes then never exit.  Without
 *     hardware D bits (EPT without A/D), only a write makes a leaf
 *     writable, and logs the page; dirty_log_protect() takes write
 *     access away again.
 *   - A slot that goes away or changes: exactly its gfn range is zapped,
 *     then every vCPU's TLB is flushed, and only then are the pins
 *     released and the tables below the range freed.
 *
 * Entries: the hardware treats every nested access as a user access, so
 * every entry has U set; leaves never have NX (the guest's own tables
 * decide execution), and memory types come from the guest's PAT and
 * tables (nested PAT index 0, write-back).  A and D are set up front, as
 * in shadow entries (spte.c), but for D after a read in a slot that logs
 * by D bits (above).
 *
 * EPT entries (kvm_tdp_ept, chosen by the VMX backend, sampled at
 * vm_init) differ only in their encoding, which tdp_make_leaf(),
 * tdp_make_table() and tdp_release_spte() decide: bit 0 R, 1 W, 2 X;
 * leaves have memory type WB in bits 5:3 (ignore-PAT clear, so the
 * guest's PAT combines with it); A is bit 8 and D bit 9, set up front
 * but for D in a slot that logs (the CPU ignores them unless the EPT
 * pointer enables A/D).  A present
 * EPT entry always has R, so bit 0 tells present and bit 1 writable in
 * both formats (spte_present(), spte_writable()), bits 51:12 are the
 * address in both, and the walking, zapping and pinning code is shared.
 *
 * Locking: tv->lock, a mutex, covers the table and the counters that are
 * not atomic.  Faults and dirty_log_protect() run with kvm->slots_lock
 * held for read, slot_changed() with it held for write, so a slot looked
 * up in a fault stays as it is until the fault is done.  Other vCPUs run
 * on the table meanwhile: entries change with WRITE_ONCE(), and anything
 * that takes a right away flushes every vCPU's TLB
 * (kvm_flush_remote_tlbs(), which returns once no vCPU runs with an older
 * translation) before the pages it reached are unpinned or freed.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <asm/vmx.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "mmu/mmutrace.h"
#include "mmu/shadow.h"
#include "mmu/spte.h"
#include "mmu/walk.h"

#define TDP_LEVELS		4
/* What a 4-level nested table maps: 48 bits of guest-physical address. */
#define TDP_GPA_BITS		48
#define TDP_MAX_GFN		(1ULL << (TDP_GPA_BITS - PAGE_SHIFT))

struct tdp_vm {
	struct kvm *kvm;
	struct mutex lock;
	u64 *root;			/* the PML4, allocated at vm_init */
	bool ept;			/* EPT entries, not x86 (NPT) ones */

	/* Released after a TLB flush (tdp_commit()). */
	struct shadow_release release;
	struct list_head free_tables;	/* struct page, by lru */

	int max_level;			/* kvm_tdp_max_level at vm_init */
	bool hw_dirty;			/* kvm_tdp_ad at vm_init: D logs writes */

	/* Under lock. */
	u64 pages;			/* now: table pages, root included */
	u64 pinned;			/* now: present leaves */
	u64 large;			/* now: present 2 MiB and 1 GiB leaves */
	u64 large_created;		/* large leaves ever installed */
	u64 tables_created;		/* table pages ever allocated */
	u64 zapped;			/* leaves dropped by zaps */
	u64 write_protected;		/* leaves made read-only for dirty logs */
	u64 dirty_harvested;		/* log bits set from D bits */
	u64 dirty_cleared;		/* D bits cleared for dirty logs */
	/* Counted outside the lock too. */
	atomic64_t pf_fixed;
	atomic64_t pf_emulate;
	atomic64_t pf_retry;
};

/* Over every tdp VM, for leak checks after teardown (debugfs totals). */
static atomic64_t tdp_pinned_total = ATOMIC64_INIT(0);
static atomic64_t tdp_pages_total = ATOMIC64_INIT(0);

static inline struct tdp_vm *to_tv(struct kvm *kvm)
{
	return kvm->mmu;
}

/* Pages of guest-physical memory one entry at @level maps. */
static inline u64 tdp_level_pages(int level)
{
	return 1ULL << (9 * (level - 1));
}

/* A present leaf above level 1 (PS set). */
static inline bool tdp_is_large(u64 spte, int level)
{
	return level > 1 && spte_present(spte) && (spte & PT_PAGE_SIZE_MASK);
}

/* ---- tables and pins ---------------------------------------------------- */

static u64 *tdp_alloc_table(struct tdp_vm *tv)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return NULL;
	tv->pages++;
	tv->tables_created++;
	atomic64_inc(&tdp_pages_total);
	return page_address(page);
}

/* Free @table once no TLB can reach it: after tdp_commit()'s flush. */
static void tdp_defer_free_table(struct tdp_vm *tv, u64 *table)
{
	list_add(&virt_to_page(table)->lru, &tv->free_tables);
}

/* A leaf's D bit, in either format. */
static inline u64 tdp_dirty_bit(const struct tdp_vm *tv)
{
	return tv->ept ? VMX_EPT_DIRTY_BIT : PT_DIRTY_MASK;
}

/* EPT entry bits (asm/vmx.h); memory type WB in a leaf's bits 5:3. */
#define TDP_EPT_RWX		VMX_EPT_RWX_MASK
#define TDP_EPT_LEAF_WB		(VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT)

static u64 tdp_make_leaf(struct tdp_vm *tv, unsigned long pfn, u32 perm)
{
	u64 spte;

	if (!tv->ept)
		return spte_make_leaf(pfn, perm);
	spte = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
	       TDP_EPT_LEAF_WB | VMX_EPT_ACCESS_BIT |
	       (((u64)pfn << PAGE_SHIFT) & SPTE_ADDR_MASK);
	if (perm & PERM_WRITE)
		spte |= VMX_EPT_WRITABLE_MASK | VMX_EPT_DIRTY_BIT;
	return spte;
}

static u64 tdp_make_table(struct tdp_vm *tv, phys_addr_t table)
{
	if (!tv->ept)
		return spte_make_table(table);
	return TDP_EPT_RWX | VMX_EPT_ACCESS_BIT | (table & SPTE_ADDR_MASK);
}

/*
 * A leaf written by the guest may have lost its write access since (dirty
 * logging), but kept its D bit: the page is dirty all the same when the
 * pin goes.  What goes to the release code is in x86 form (P, W, D, the
 * address): an EPT leaf's R and W are bits 0 and 1 too, its bit 6
 * (ignore PAT) is never set, so only its D needs translating.
 */
static u64 tdp_release_spte(struct tdp_vm *tv, u64 spte)
{
	return (spte & tdp_dirty_bit(tv)) ? spte | PT_WRITABLE_MASK : spte;
}

/*
 * Flush every vCPU's TLB if anything was dropped, then release the pins
 * and free the tables that the dropped entries reached.  @flush: entries
 * were made read-only without being dropped.
 */
static void tdp_commit(struct tdp_vm *tv, bool flush)
{
	struct page *page, *tmp;

	if (!flush && !tv->release.n && list_empty(&tv->free_tables))
		return;
	trace_mmu_flush(-1, KVM_MMU_FLUSH_REMOTE, 0);
	kvm_flush_remote_tlbs(tv->kvm);
	shadow_release_all(&tv->release);
	list_for_each_entry_safe(page, tmp, &tv->free_tables, lru) {
		list_del(&page->lru);
		__free_page(page);
		tv->pages--;
		atomic64_dec(&tdp_pages_total);
	}
}

/*
 * Drop a present leaf at @level: its pin goes after the next flush.  A
 * large leaf holds one pin on its host page, which keeps all of it.
 */
static void tdp_drop_leaf(struct tdp_vm *tv, u64 *sptep, int level)
{
	u64 spte = *sptep;

	WRITE_ONCE(*sptep, 0);
	if (shadow_release_full(&tv->release))
		tdp_commit(tv, true);
	shadow_release_defer(&tv->release, tdp_release_spte(tv, spte));
	if (level > 1)
		tv->large--;
	tv->pinned--;
	tv->zapped++;
	atomic64_dec(&tdp_pinned_total);
}

/* No entry of @table is present (a non-present entry is 0 in both formats). */
static bool tdp_table_empty(const u64 *table)
{
	int i;

	for (i = 0; i < PT64_ENT_PER_PAGE; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

/*
 * Drop what @table at @level maps in gfns [@start, @end); @base is the
 * first gfn the table maps.  A table below that the range covers whole
 * goes too, and so does one the zap left empty (or a VMM that moves small
 * slots about would leave a trail of empty tables until the VM goes), and
 * a large leaf the range touches at all.
 */
static void tdp_zap_range(struct tdp_vm *tv, u64 *table, int level, gfn_t base,
			  gfn_t start, gfn_t end)
{
	u64 span = tdp_level_pages(level);
	int i;

	for (i = 0; i < PT64_ENT_PER_PAGE; i++) {
		gfn_t first = base + i * span, last = first + span;
		u64 *child;

		if (last <= start || first >= end)
			continue;
		if (!spte_present(table[i]))
			continue;
		if (level == 1 || tdp_is_large(table[i], level)) {
			tdp_drop_leaf(tv, &table[i], level);
			continue;
		}
		child = spte_table(table[i]);
		tdp_zap_range(tv, child, level - 1, first, start, end);
		if ((first >= start && last <= end) || tdp_table_empty(child)) {
			WRITE_ONCE(table[i], 0);
			tdp_defer_free_table(tv, child);
			trace_mmu_sp(KVM_MMU_SP_ZAP, first, 0, level - 1, true);
		}
	}
}

/*
 * The entry for @gfn at *@level (1: a 4 KiB leaf; 2, 3: a 2 MiB or 1 GiB
 * leaf, or the table below), creating the tables above it if @create;
 * NULL if they do not exist (or cannot be allocated).  A large leaf above
 * *@level ends the walk there: *@level is then its level.
 */
static u64 *tdp_walk(struct tdp_vm *tv, gfn_t gfn, int *level, bool create)
{
	u64 *table = tv->root;
	gpa_t gpa = gfn << PAGE_SHIFT;
	int l;

	for (l = TDP_LEVELS; l > *level; l--) {
		u64 *sptep = &table[spte_index(gpa, l)];

		if (tdp_is_large(*sptep, l)) {
			*level = l;
			return sptep;
		}
		if (!spte_present(*sptep)) {
			u64 *child;

			if (!create)
				return NULL;
			child = tdp_alloc_table(tv);
			if (!child)
				return NULL;
			/* The nested table's size over time, for the analysis. */
			trace_mmu_sp(KVM_MMU_SP_CREATE,
				     gfn & ~(tdp_level_pages(l) - 1), 0, l - 1,
				     true);
			WRITE_ONCE(*sptep, tdp_make_table(tv, __pa(child)));
		}
		table = spte_table(*sptep);
	}
	return &table[spte_index(gpa, *level)];
}

/*
 * The level of the leaf for @gfn, whose VMM page at @hva is @page (pinned):
 * the largest up to tv->max_level at which the aligned gfn range lies in
 * @slot, the VMM's addresses have the same alignment, the VMM maps it with
 * a page at least as large, and @page's folio holds every host page the
 * leaf would map.  1 for a slot that logs dirty pages.
 */
static int tdp_leaf_level(struct tdp_vm *tv, const struct kvm_memory_slot *slot,
			  gfn_t gfn, unsigned long hva, struct page *page,
			  bool logging)
{
	struct folio *folio = page_folio(page);
	int level = min(tv->max_level, kvm_host_page_level(hva));

	if (logging || !slot)
		return 1;
	for (; level > 1; level--) {
		u64 n = tdp_level_pages(level);
		gfn_t first = gfn & ~(n - 1);
		unsigned long pfn = page_to_pfn(page) - (gfn & (n - 1));

#ifndef KVM_PLANT_TDP_LARGE_SLOT
		if (first < slot->base_gfn ||
		    first + n > slot->base_gfn + slot->npages)
			continue;
#else
		/*
		 * A test build's planted bug (tests/fuzz/README.md): a large
		 * leaf for a range the slot holds only part of, which maps
		 * the VMM's memory around the slot to the guest.
		 */
		(void)first;
#endif
		if (((hva >> PAGE_SHIFT) ^ gfn) & (n - 1))
			continue;
		if (pfn & (n - 1))
			continue;
		if (pfn < folio_pfn(folio) ||
		    pfn + n > folio_pfn(folio) + folio_nr_pages(folio))
			continue;
		return level;
	}
	return 1;
}

/* ---- the ops -------------------------------------------------------------- */

static int tdp_vm_init(struct kvm *kvm)
{
	struct tdp_vm *tv;

	tv = kzalloc(sizeof(*tv), GFP_KERNEL_ACCOUNT);
	if (!tv)
		return -ENOMEM;
	tv->kvm = kvm;
	tv->ept = kvm_tdp_ept;
	mutex_init(&tv->lock);
	INIT_LIST_HEAD(&tv->free_tables);
	tv->max_level = kvm_tdp_max_level;
	tv->hw_dirty = kvm_tdp_ad;
	tv->root = tdp_alloc_table(tv);
	if (!tv->root)
		goto err_free_tv;
	kvm->mmu = tv;
	return 0;

err_free_tv:
	kfree(tv);
	return -ENOMEM;
}

/* No vCPU runs any more: drop everything, no flush needed (kvm->dying). */
static void tdp_vm_destroy(struct kvm *kvm)
{
	struct tdp_vm *tv = to_tv(kvm);

	if (!tv)
		return;
	mutex_lock(&tv->lock);
	tdp_zap_range(tv, tv->root, TDP_LEVELS, 0, 0, TDP_MAX_GFN);
	tdp_defer_free_table(tv, tv->root);
	tv->root = NULL;
	tdp_commit(tv, false);
	/* Our own accounting, not something a guest can get wrong. */
	WARN_ON_ONCE(tv->pinned || tv->pages);
	mutex_unlock(&tv->lock);
	kfree(tv);
	kvm->mmu = NULL;
}

static int tdp_vcpu_init(struct kvm_vcpu *vcpu)
{
	return 0;
}

static void tdp_vcpu_destroy(struct kvm_vcpu *vcpu)
{
}

/* The nested CR3: the same root for every vCPU, in every guest mode. */
static int tdp_load_root(struct kvm_vcpu *vcpu, hpa_t *root)
{
	*root = __pa(to_tv(vcpu->kvm)->root);
	return 0;
}

/*
 * A nested page fault: fault->addr is the guest-physical address,
 * fault->error_code the #NPF's (P, W, U, RSVD, I/D as for #PF).
 */
static int tdp_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	struct tdp_vm *tv = to_tv(kvm);
	bool write = fault->error_code & PFERR_WRITE_MASK;
	gpa_t gpa = fault->addr;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	bool slot_writable, pinned_write, logging;
	unsigned long hva, pfn;
	struct page *page;
	u64 *sptep, old, spte;
	int level, want;
	u64 created;
	u32 perm;
	int r;

	fault->gpa = gpa;
	fault->guest_error_code = 0;

	/* No memory there, or a write to read-only memory: emulate. */
	if (gfn >= TDP_MAX_GFN ||
	    !shadow_gpa_hva(kvm, gpa, write, &hva, &slot_writable)) {
		atomic64_inc(&tv->pf_emulate);
		trace_mmu_fault(vcpu->vcpu_id, gpa, fault->error_code,
				RET_PF_EMULATE, 0, false);
		return RET_PF_EMULATE;
	}
	slot = kvm_gfn_to_slot(kvm, gfn);
	logging = slot && slot->dirty_bitmap;

	mutex_lock(&tv->lock);
	created = tv->tables_created;
	/* What maps @gfn now, if anything; no table is made yet. */
	level = 1;
	sptep = tdp_walk(tv, gfn, &level, false);
	old = sptep ? READ_ONCE(*sptep) : 0;
	/* Another vCPU mapped it meanwhile, or a stale TLB entry faulted. */
	if (spte_present(old) && (!write || spte_writable(old))) {
		atomic64_inc(&tv->pf_retry);
		r = RET_PF_RETRY;
		goto out_unlock;
	}
	/* A large leaf that does not allow the write: map it again. */
	if (sptep && level > 1) {
		tdp_drop_leaf(tv, sptep, level);
		tdp_commit(tv, false);
		atomic64_inc(&tv->pf_retry);
		r = RET_PF_RETRY;
		goto out_unlock;
	}

	/*
	 * Without hardware D bits, a slot that logs gets a writable leaf
	 * only from a write, logged below; after a read the first write
	 * still faults.  With them, a read makes the leaf writable and
	 * clean (D clear, below): the CPU sets D at the first write.
	 */
	r = shadow_pin(hva, slot_writable, write, &page, &pinned_write);
	if (r)
		goto out_unlock;
	perm = PERM_USER | PERM_EXEC;
	if (pinned_write && (write || !logging || tv->hw_dirty))
		perm |= PERM_WRITE;
	if (logging && write && (perm & PERM_WRITE))
		kvm_mark_page_dirty(kvm, gfn);

	/*
	 * A large leaf, if nothing is mapped yet at its level (a table there
	 * keeps the range at 4 KiB).  Its one pin, on @page, keeps the
	 * whole folio.
	 */
	pfn = page_to_pfn(page);
	want = spte_present(old) ? 1 : tdp_leaf_level(tv, slot, gfn, hva, page,
						      logging);
	level = want;
	sptep = tdp_walk(tv, gfn, &level, true);
	if (sptep && level > 1 && spte_present(*sptep)) {
		level = 1;
		sptep = tdp_walk(tv, gfn, &level, true);
	}
	if (!sptep) {
		unpin_user_page(page);
		r = -ENOMEM;
		goto out_unlock;
	}
	if (level > 1) {
		pfn -= gfn & (tdp_level_pages(level) - 1);
		spte = tdp_make_leaf(tv, pfn, perm) | PT_PAGE_SIZE_MASK;
		tv->large++;
		tv->large_created++;
	} else {
		spte = tdp_make_leaf(tv, pfn, perm);
		if (logging && !write)
			spte &= ~tdp_dirty_bit(tv);
	}

	WRITE_ONCE(*sptep, spte);
	tv->pinned++;
	atomic64_inc(&tdp_pinned_total);
	if (spte_present(old)) {
		/*
		 * A read-only 4 KiB leaf became writable.  If the VMM's page
		 * is still the same one, the old pin can go at once; if not,
		 * other vCPUs may still read the old page through their TLBs
		 * until the flush.
		 */
		tv->pinned--;
		atomic64_dec(&tdp_pinned_total);
		if (spte_pfn(old) == page_to_pfn(page)) {
			shadow_unpin_leaf(tdp_release_spte(tv, old));
		} else {
			if (shadow_release_full(&tv->release))
				tdp_commit(tv, true);
			shadow_release_defer(&tv->release, tdp_release_spte(tv, old));
			tdp_commit(tv, true);
		}
	}
	atomic64_inc(&tv->pf_fixed);
	r = RET_PF_FIXED;
out_unlock:
	if (r >= 0)
		trace_mmu_fault(vcpu->vcpu_id, gpa, fault->error_code, r,
				tv->tables_created - created, false);
	mutex_unlock(&tv->lock);
	return r;
}

/*
 * The guest's own CR3 writes and INVLPGs do not exit and need nothing
 * from us.  These run for what the host does in the guest's place: an
 * emulated CR0/CR4 paging change, MOV CR3 in a task switch, KVM_SET_SREGS,
 * an emulated INVLPG.  The hardware did not see it, so the vCPU's TLB
 * (guest translations, tagged by its ASID) is flushed.
 */
static void tdp_new_cr3(struct kvm_vcpu *vcpu)
{
	kvm_vendor->flush_tlb(vcpu);
}

static void tdp_invlpg(struct kvm_vcpu *vcpu, gva_t gva)
{
	kvm_vendor->flush_tlb(vcpu);
}

static gpa_t tdp_translate(struct kvm_vcpu *vcpu, gva_t gva, u32 access,
			   bool set_ad, u32 *error_code)
{
	return guest_translate(vcpu, gva, access, set_ad, error_code);
}

static void tdp_slot_changed(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	struct tdp_vm *tv = to_tv(kvm);
	gfn_t start = slot->base_gfn, end = slot->base_gfn + slot->npages;

	if (start >= TDP_MAX_GFN)
		return;
	mutex_lock(&tv->lock);
	tdp_zap_range(tv, tv->root, TDP_LEVELS, 0, start, min(end, TDP_MAX_GFN));
	tdp_commit(tv, false);
	mutex_unlock(&tv->lock);
}

static void tdp_dirty_log_protect(struct kvm *kvm,
				  const struct kvm_memory_slot *slot, u64 first,
				  const unsigned long *mask, u64 nbits)
{
	struct tdp_vm *tv = to_tv(kvm);
	bool flush = false;
	int level;
	u64 i;

	mutex_lock(&tv->lock);
	for_each_set_bit(i, mask, nbits) {
		gfn_t gfn = slot->base_gfn + first + i;
		u64 *sptep;

		if (gfn >= TDP_MAX_GFN)
			break;
		level = 1;
		sptep = tdp_walk(tv, gfn, &level, false);
		if (!sptep || !spte_present(*sptep) || !spte_writable(*sptep))
			continue;
		/* Not in a slot that logs (tdp_leaf_level()), but never keep one. */
		if (level > 1) {
			tdp_drop_leaf(tv, sptep, level);
			flush = true;
			continue;
		}
		if (tv->hw_dirty) {
			/*
			 * Atomically: the CPU may be setting A.  W stays, so
			 * the page is still released dirty (tdp_release_spte()).
			 */
			if (!(READ_ONCE(*sptep) & tdp_dirty_bit(tv)))
				continue;
			clear_bit(__ffs64(tdp_dirty_bit(tv)),
				  (unsigned long *)sptep);
			tv->dirty_cleared++;
			flush = true;
			continue;
		}
		/* D stays: the page may have been written already. */
		WRITE_ONCE(*sptep, *sptep & ~PT_WRITABLE_MASK);
		tv->write_protected++;
		flush = true;
	}
	tdp_commit(tv, flush);
	mutex_unlock(&tv->lock);
}

/*
 * Set in @slot's log the pages whose leaves in @table (at @level, mapping
 * from gfn @base) the CPU has written since their D was cleared, in gfns
 * [@start, @end).  A slot that logs has 4 KiB leaves only.
 */
static void tdp_harvest_range(struct tdp_vm *tv,
			      const struct kvm_memory_slot *slot, u64 *table,
			      int level, gfn_t base, gfn_t start, gfn_t end)
{
	u64 span = tdp_level_pages(level);
	int i;

	for (i = 0; i < PT64_ENT_PER_PAGE; i++) {
		gfn_t first = base + i * span, last = first + span;
		u64 spte = READ_ONCE(table[i]);

		if (last <= start || first >= end || !spte_present(spte))
			continue;
		if (level > 1 && !tdp_is_large(spte, level)) {
			tdp_harvest_range(tv, slot, spte_table(spte), level - 1,
					  first, start, end);
			continue;
		}
		if (level == 1 && (spte & tdp_dirty_bit(tv)) &&
		    !test_and_set_bit(first - slot->base_gfn,
				      slot->dirty_bitmap))
			tv->dirty_harvested++;
	}
}

static void tdp_dirty_log_harvest(struct kvm *kvm,
				  const struct kvm_memory_slot *slot)
{
	struct tdp_vm *tv = to_tv(kvm);
	gfn_t start = slot->base_gfn;
	gfn_t end = min(slot->base_gfn + slot->npages, TDP_MAX_GFN);

	if (!tv->hw_dirty || start >= end)
		return;
	mutex_lock(&tv->lock);
	tdp_harvest_range(tv, slot, tv->root, TDP_LEVELS, 0, start, end);
	mutex_unlock(&tv->lock);
}

static void tdp_stats_show(struct kvm *kvm, struct seq_file *m)
{
	struct tdp_vm *tv = to_tv(kvm);

	seq_printf(m, "tdp_pages %llu\n", READ_ONCE(tv->pages));
	seq_printf(m, "max_level %d\n", tv->max_level);
	seq_printf(m, "pinned %llu\n", READ_ONCE(tv->pinned));
	seq_printf(m, "large %llu\n", READ_ONCE(tv->large));
	seq_printf(m, "large_created %llu\n", READ_ONCE(tv->large_created));
	seq_printf(m, "zapped %llu\n", READ_ONCE(tv->zapped));
	seq_printf(m, "write_protected %llu\n", READ_ONCE(tv->write_protected));
	seq_printf(m, "hw_dirty %d\n", tv->hw_dirty);
	seq_printf(m, "dirty_harvested %llu\n", READ_ONCE(tv->dirty_harvested));
	seq_printf(m, "dirty_cleared %llu\n", READ_ONCE(tv->dirty_cleared));
	seq_printf(m, "pf_fixed %lld\n", (long long)atomic64_read(&tv->pf_fixed));
	seq_printf(m, "pf_emulate %lld\n",
		   (long long)atomic64_read(&tv->pf_emulate));
	seq_printf(m, "pf_retry %lld\n", (long long)atomic64_read(&tv->pf_retry));
}

const struct kvm_mmu_ops kvm_mmu_tdp = {
	.name = "tdp",
	.vm_init = tdp_vm_init,
	.vm_destroy = tdp_vm_destroy,
	.vcpu_init = tdp_vcpu_init,
	.vcpu_destroy = tdp_vcpu_destroy,
	.load_root = tdp_load_root,
	.page_fault = tdp_page_fault,
	.new_cr3 = tdp_new_cr3,
	.invlpg = tdp_invlpg,
	.translate = tdp_translate,
	.slot_changed = tdp_slot_changed,
	.dirty_log_protect = tdp_dirty_log_protect,
	.dirty_log_harvest = tdp_dirty_log_harvest,
	.stats_show = tdp_stats_show,
};

u64 kvm_mmu_tdp_pinned_total(void)
{
	return atomic64_read(&tdp_pinned_total);
}

u64 kvm_mmu_tdp_pages_total(void)
{
	return atomic64_read(&tdp_pages_total);
}
