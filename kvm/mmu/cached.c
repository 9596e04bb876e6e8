// SPDX-License-Identifier: GPL-2.0
/*
 * The "cached" MMU strategy: shadow paging as KVM did it from 2007.
 *
 * Shadow pages belong to the VM, not to a vCPU, and outlive CR3 switches
 * and TLB flushes.  Each one shadows one guest page table (or a part of
 * one) and is found again by the guest table's gfn plus a role: the
 * shadow level, the guest's paging mode, the part of a 32-bit guest table
 * it covers (quadrant), the rights granted by the guest entries above it,
 * and the control bits that change how the guest's entries read (CR0.WP,
 * CR4.SMEP/SMAP/PSE, EFER.NXE).  A guest large page is shadowed by "direct"
 * pages, which shadow no guest table: their gfn is the first frame they
 * map.
 *
 * The shadow stays equal to the guest's tables because every guest page
 * table that has a shadow page is write-protected: every leaf SPTE that
 * maps its gfn is read-only (found through a reverse map, gfn -> SPTEs).
 * A guest write to such a table faults; the instruction is emulated and
 * track_write() drops the shadow entries the written guest entries
 * stand for, to be rebuilt from the new values on the next fault.  A
 * table written again and again without being used for a translation in
 * between (a page being filled or freed, not a page table in use) stops
 * being shadowed: its shadow pages go, and with them the protection.
 *
 * With cached_unsync (the default), a last-level table is protected only
 * until the guest first writes it: then it goes out of sync, writable,
 * and is brought back in line when the guest invalidates its TLB (a CR3
 * load, a flush, INVLPG), as KVM has done since 2008.  A fault also maps
 * the neighbours of its guest entry (cached_prefetch).  cached_sync.c
 * has both; cached_sp.c the shadow pages, reverse map and commit.
 *
 * Shadow pages are bounded per VM (cached_max_pages, sampled at VM
 * creation); past the bound the least recently used page that is not a
 * vCPU's root is reclaimed.
 *
 * Shape of the shadow, as in naive.c: 4-level for a guest in long mode,
 * PAE (3-level) otherwise, with a per-vCPU PDPT below 4 GiB as root whose
 * four entries point to shadow page directories:
 *
 *   guest mode    shadow level 2 pages shadow      level 1 pages shadow
 *   paging off    1 GiB of gpa each (direct)       2 MiB (direct)
 *   32-bit        a quarter of the guest PD        half a guest PT, or
 *                 (quadrant 0-3)                   half a 4 MiB page (direct)
 *   PAE           the guest PD of each PDPTE       the guest PT, or a 2 MiB
 *                                                  page (direct)
 *   long mode     as PAE, below a shadowed PML4 and PDPT; 1 GiB pages
 *                 become direct level 2 pages.
 *
 * PAE guests' PDPTEs are read when the root is built (at a CR3 load, as
 * the hardware loads its PDPTE registers), so the guest PDPT itself is
 * never shadowed.
 *
 * Locking: one mutex per VM (cvm->lock) covers every shadow page, the
 * reverse map and each vCPU's root.  Other vCPUs run on the shared tables
 * meanwhile; every change that takes a right away or frees something
 * (a zapped entry, a write-protected leaf) sets cvm->need_flush, and
 * cached_commit() flushes every vCPU's TLB, waiting until each vCPU in
 * guest mode has left it, before the pins and pages that the old entries
 * reached are released.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/msr-index.h>

#include "mmu/cached.h"
#include "mmu/mmutrace.h"

/* The bound on shadow pages per VM, sampled at VM creation. */
static unsigned int cached_max_pages = 4096;
module_param(cached_max_pages, uint, 0644);
MODULE_PARM_DESC(cached_max_pages,
		 "mmu=cached: most shadow pages a VM may have (default 4096, "
		 "at least 128); applies to VMs created afterwards");
#define CACHED_MIN_PAGES	128

/* Out-of-sync pages and prefetch (cached_sync.c), sampled at VM creation. */
static bool cached_unsync = true;
module_param(cached_unsync, bool, 0644);
MODULE_PARM_DESC(cached_unsync,
		 "mmu=cached: leave last-level guest page tables writable, "
		 "out of sync until the guest flushes (default 1; 0: protect "
		 "every shadowed table, as KVM in 2007); applies to VMs "
		 "created afterwards");
static bool cached_prefetch_on = true;
module_param_named(cached_prefetch, cached_prefetch_on, bool, 0644);
MODULE_PARM_DESC(cached_prefetch,
		 "mmu=cached: a fault also maps the present neighbours in its "
		 "group of 8 guest entries (default 1); applies to VMs "
		 "created afterwards");

/* Emulated writes to a table, with no fault through it, that unshadow it. */
#define CACHED_FLOOD_WRITES	3

/* ---- the role of the current mode ------------------------------------- */

static union cached_role cached_base_role(const struct guest_paging *pg)
{
	union cached_role role = { .word = 0 };

	role.glevels = pg->levels;
	role.cr0_wp = pg->wp;
	role.smep = pg->smep;
	role.smap = pg->smap;
	role.nxe = pg->nxe;
	role.pse = pg->pse;
	return role;
}

/* ---- roots ------------------------------------------------------------ */

static void cached_put_root(struct cached_vm *cvm, struct cached_sp *sp)
{
	if (!sp)
		return;
	if (--sp->root_count || !sp->zapped)
		return;
	list_move_tail(&sp->lru, &cvm->free_list);
}

static void cached_release_roots(struct cached_vm *cvm, struct cached_vcpu *cv)
{
	int i;

	cached_put_root(cvm, cv->root);
	cv->root = NULL;
	for (i = 0; i < 4; i++) {
		cached_put_root(cvm, cv->pae_sp[i]);
		cv->pae_sp[i] = NULL;
		if (cv->pae_root)
			cv->pae_root[i] = 0;
	}
	cv->root_valid = false;
}

/*
 * The shadow page directory for PDPT entry @i of a non-long-mode guest:
 * a guest PD (PAE: the one PDPTE @i names, if present; 32-bit: quadrant
 * @i of the one PD), or 1 GiB of identity map with paging off.
 */
static int cached_pae_root_child(struct cached_vm *cvm, struct kvm_vcpu *vcpu,
				 const struct guest_paging *pg, int i,
				 struct cached_sp **spp)
{
	union cached_role role = cached_base_role(pg);
	bool created = false;
	gfn_t gfn;
	u64 pdpte;

	*spp = NULL;
	role.level = 2;
	role.access = PERM_ALL;
	switch (pg->levels) {
	case 0:
		role.direct = 1;
		gfn = (gfn_t)i << 18;
		break;
	case 2:
		role.quadrant = i;
		gfn = (pg->cr3 & 0xfffff000) >> PAGE_SHIFT;
		break;
	default:
		/*
		 * A PDPTE the guest cannot read is not present.  One with a
		 * reserved bit maps nothing: the walker gives the guest its
		 * reserved-bit fault.
		 */
		if (kvm_read_guest(vcpu->kvm, (pg->cr3 & 0xffffffe0) + 8 * i,
				   &pdpte, 8) || !(pdpte & PT_PRESENT_MASK) ||
		    guest_pdpte_reserved(pg, pdpte))
			return 0;
		gfn = (pdpte & SPTE_ADDR_MASK) >> PAGE_SHIFT;
		break;
	}
	*spp = cached_get_sp(cvm, gfn, role, &created);
	return *spp ? 0 : -ENOMEM;
}

/* ---- the ops ------------------------------------------------------------ */

static int cached_vm_init(struct kvm *kvm)
{
	struct cached_vm *cvm;

	cvm = kzalloc(sizeof(*cvm), GFP_KERNEL_ACCOUNT);
	if (!cvm)
		return -ENOMEM;
	cvm->kvm = kvm;
	mutex_init(&cvm->lock);
	hash_init(cvm->sp_hash);
	hash_init(cvm->rmap);
	hash_init(cvm->lpage);
	INIT_HLIST_HEAD(&cvm->rmap_spare);
	INIT_LIST_HEAD(&cvm->active);
	INIT_LIST_HEAD(&cvm->zapped_roots);
	INIT_LIST_HEAD(&cvm->free_list);
	INIT_LIST_HEAD(&cvm->unsync);
	cvm->sync_buf = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!cvm->sync_buf) {
		kfree(cvm);
		return -ENOMEM;
	}
	cvm->unsync_on = READ_ONCE(cached_unsync);
	cvm->prefetch = READ_ONCE(cached_prefetch_on);
	cvm->max_pages = max_t(unsigned int, READ_ONCE(cached_max_pages),
			       CACHED_MIN_PAGES);
	kvm->mmu = cvm;
	return 0;
}

/* After every vCPU is gone: free everything. */
static void cached_vm_destroy(struct kvm *kvm)
{
	struct cached_vm *cvm = to_cvm(kvm);
	struct cached_sp *sp, *tmp;

	if (!cvm)
		return;
	mutex_lock(&cvm->lock);
	cached_zap_all(cvm);
	/* No vCPU is left to hold a root. */
	list_for_each_entry_safe(sp, tmp, &cvm->zapped_roots, lru)
		list_move_tail(&sp->lru, &cvm->free_list);
	cached_commit(cvm);
	cached_rmap_free_spares(cvm);
	mutex_unlock(&cvm->lock);
	/* Our own accounting, not something a guest can get wrong. */
	WARN_ON_ONCE(cvm->nr_pages || cvm->stats.pinned ||
		     !hash_empty(cvm->rmap) || !hash_empty(cvm->lpage) ||
		     !list_empty(&cvm->unsync));
	free_page((unsigned long)cvm->sync_buf);
	kfree(cvm);
	kvm->mmu = NULL;
}

static int cached_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct cached_vcpu *cv;

	cv = kzalloc(sizeof(*cv), GFP_KERNEL_ACCOUNT);
	if (!cv)
		return -ENOMEM;
	cv->vcpu = vcpu;
	vcpu->mmu = cv;
	return 0;
}

static void cached_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	struct cached_vcpu *cv = vcpu->mmu;

	if (!cv)
		return;
	/*
	 * Either the VM's last reference went (kvm->dying: no vCPU runs, and
	 * kvm_flush_remote_tlbs() does nothing), or KVM_CREATE_VCPU is
	 * unwinding a vCPU that was never published while the VM lives on:
	 * then the other vCPUs are flushed as usual.
	 */
	mutex_lock(&cvm->lock);
	cached_release_roots(cvm, cv);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
	if (cv->pae_root)
		free_page((unsigned long)cv->pae_root);
	kfree(cv);
	vcpu->mmu = NULL;
}

static int cached_load_root(struct kvm_vcpu *vcpu, hpa_t *root)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	struct cached_vcpu *cv = vcpu->mmu;
	struct guest_paging pg;
	bool created = false;
	int i, r = 0, level = shadow_root_level(vcpu);

	if (level < 0)
		return level;
	mutex_lock(&cvm->lock);
	/* A mode change comes with new_cr3(); check the shape anyway. */
	if (cv->root_valid && cv->root_level == level)
		goto out;

	cv->root_valid = false;
	cached_release_roots(cvm, cv);
	/* A new root comes with a CR3 load or a flush: resync. */
	cached_sync_all(cvm);
	guest_paging_init(&pg, vcpu);
	if (level == 4) {
		union cached_role role = cached_base_role(&pg);

		role.level = 4;
		role.access = PERM_ALL;
		cv->root = cached_get_sp(cvm, (pg.cr3 & SPTE_ADDR_MASK) >> PAGE_SHIFT,
					 role, &created);
		if (!cv->root) {
			r = -ENOMEM;
			goto out;
		}
		cv->root->root_count++;
		cv->root_level = 4;
		cv->root_hpa = __pa(cv->root->spt);
	} else {
		if (!cv->pae_root) {
			/* Legacy CR3 has 32 bits. */
			cv->pae_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT |
							      __GFP_DMA32);
			if (!cv->pae_root) {
				r = -ENOMEM;
				goto out;
			}
		}
		for (i = 0; i < 4; i++) {
			struct cached_sp *sp;

			r = cached_pae_root_child(cvm, vcpu, &pg, i, &sp);
			if (r)
				goto out;
			if (!sp)
				continue;
			sp->root_count++;
			cv->pae_sp[i] = sp;
			cv->pae_root[i] = spte_make_pae_root_entry(__pa(sp->spt));
		}
		cv->root_level = 3;
		cv->root_hpa = __pa(cv->pae_root);
	}
	cv->root_valid = true;
	if (READ_ONCE(cached_audit))
		cached_audit_root(cvm, cv);
	/* The hardware may hold translations of the root it ran before. */
	kvm_vendor->flush_tlb(vcpu);
out:
	if (r)
		cached_release_roots(cvm, cv);
	*root = cv->root_hpa;
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
	return r;
}

/* The rights of one guest entry at guest level @level. */
static u32 cached_gpte_perm(const struct guest_paging *pg, u64 gpte, int level)
{
	u32 perm = PERM_ALL;

	/* PAE PDPTEs have no R/W, U/S or NX. */
	if (pg->levels == 3 && level == 3)
		return perm;
	if (!(gpte & PT_WRITABLE_MASK))
		perm &= ~PERM_WRITE;
	if (!(gpte & PT_USER_MASK))
		perm &= ~PERM_USER;
	if (pg->nxe && (gpte & PT64_NX_MASK))
		perm &= ~PERM_EXEC;
	return perm;
}

/*
 * Which shadow page belongs at shadow level @level (below the root) on
 * the path to @gva, given the guest's walk: its gfn and role.
 */
static gfn_t cached_child(const struct guest_paging *pg,
			  const struct guest_walk *walk, gva_t gva, int level,
			  bool dirty, union cached_role *role)
{
	int idx, i;
	u32 access = PERM_ALL;

	*role = cached_base_role(pg);
	role->level = level;
	if (!pg->levels || level < walk->leaf_level) {
		/* A slice of the identity map or of a guest large page. */
		role->direct = 1;
		role->access = pg->levels ? walk->perm : PERM_ALL;
		/*
		 * Its leaves are writable only while the large page is
		 * dirty, and a guest write that cleans it is tracked in the
		 * directory above, not here: a clean page needs other
		 * shadow pages than a dirty one.
		 */
		role->dirty = dirty;
		return (walk->gpa >> PAGE_SHIFT) & ~((1ULL << (9 * level)) - 1);
	}
	/* The guest table at guest level @level holds walk->ptes[idx]. */
	idx = pg->levels - level;
	for (i = 0; i < idx; i++)
		access &= cached_gpte_perm(pg, walk->ptes[i].val, pg->levels - i);
	role->access = access;
	if (pg->levels == 2)
		role->quadrant = level == 2 ? (gva >> 30) & 3 : (gva >> 21) & 1;
	return walk->ptes[idx].gpa >> PAGE_SHIFT;
}

/*
 * The shadow table at level 1 on the path to @gva, linking (and making)
 * the shadow pages on the way; with *@large, the one at level 2, where a
 * 2 MiB leaf is to go, unless a table is linked there already (then
 * *@large becomes false).  *@created says whether a page was made,
 * which may have write-protected a table of this very walk; *@linked,
 * whether an entry on the way changed, so that the hardware did not
 * fault on the path it finds now.
 */
static int cached_build_path(struct cached_vm *cvm, struct cached_vcpu *cv,
			     const struct guest_paging *pg,
			     const struct guest_walk *walk, gva_t gva,
			     bool write, struct cached_sp **leaf_sp,
			     bool *large, bool *created, bool *linked)
{
	struct cached_sp *sp;
	bool made;
	int level;

	if (cv->root_level == 4) {
		sp = cv->root;
	} else {
		sp = cv->pae_sp[(gva >> 30) & 3];
		if (!sp)
			return -ENOENT;
	}
	if (sp->zapped)
		return -EAGAIN;
	sp->use_gen = cvm->gen;
	sp->write_count = 0;

	for (level = sp->role.level; level > 1; level--) {
		u64 *sptep = &sp->spt[spte_index(gva, level)];
		union cached_role role;
		struct cached_sp *child;
		gfn_t gfn;

		if (level == 2 && *large) {
			if (!spte_present(*sptep) || spte_large(*sptep))
				break;
			*large = false;
		}
		gfn = cached_child(pg, walk, gva, level - 1,
				   walk->dirty || write, &role);
		if (spte_present(*sptep)) {
			child = spte_large(*sptep) ? NULL : cached_sp_of(*sptep);
			if (child && child->gfn == gfn &&
			    child->role.word == role.word) {
				list_move_tail(&child->lru, &cvm->active);
				child->use_gen = cvm->gen;
				child->write_count = 0;
				sp = child;
				continue;
			}
			/* The guest entry now names another table, or a leaf goes. */
			cached_drop_spte(cvm, sp, spte_index(gva, level));
		}
		made = false;
		child = cached_get_sp(cvm, gfn, role, &made);
		if (!child)
			return -ENOMEM;
		*created |= made;
		if (!made && child->unsync && !cached_sync_relinked(cvm, child))
			return -EAGAIN;
		child->write_count = 0;
		if (cached_parent_add(child, sptep))
			return -ENOMEM;
		WRITE_ONCE(*sptep, spte_make_table(__pa(child->spt)));
		*linked = true;
		sp = child;
	}
	*leaf_sp = sp;
	return 0;
}

/* Whether two walks of the same address read the same guest entries. */
static bool cached_walk_same(const struct guest_walk *a,
			     const struct guest_walk *b)
{
	const u64 ad = PT_ACCESSED_MASK | PT_DIRTY_MASK;
	int i;

	if (a->nr_ptes != b->nr_ptes)
		return false;
	for (i = 0; i < a->nr_ptes; i++)
		if (a->ptes[i].gpa != b->ptes[i].gpa ||
		    (a->ptes[i].val & ~ad) != (b->ptes[i].val & ~ad))
			return false;
	return true;
}

/*
 * Whether the fault's page may be mapped by a 2 MiB leaf: the guest maps
 * it with a page at least that large (or has paging off), its aligned
 * frame lies in one slot that does not log dirty pages, at the same
 * alignment in the VMM, which maps it with a page at least as large, and
 * no shadowed guest table lies in the frame.
 */
static bool cached_large_ok(struct cached_vm *cvm,
			    const struct guest_paging *pg,
			    const struct guest_walk *walk, unsigned long hva)
{
	gfn_t gfn = walk->gpa >> PAGE_SHIFT;
	gfn_t first = gfn & ~(gfn_t)(CACHED_LARGE_PAGES - 1);
	struct kvm_memory_slot *slot;

	if (pg->levels && walk->leaf_level < 2)
		return false;
	slot = kvm_gfn_to_slot(cvm->kvm, gfn);
	if (!slot || slot->dirty_bitmap || first < slot->base_gfn ||
	    first + CACHED_LARGE_PAGES > slot->base_gfn + slot->npages)
		return false;
	if (((hva >> PAGE_SHIFT) ^ gfn) & (CACHED_LARGE_PAGES - 1))
		return false;
	return kvm_host_page_level(hva) >= 2 && !cached_lpage_shadowed(cvm, gfn);
}

/* Whether pinned @page is the first of 2 MiB, aligned, of one folio. */
static bool cached_large_folio(struct page *page)
{
	struct folio *folio = page_folio(page);
	unsigned long pfn = page_to_pfn(page);

	return !(pfn & (CACHED_LARGE_PAGES - 1)) && pfn >= folio_pfn(folio) &&
	       pfn + CACHED_LARGE_PAGES <=
			folio_pfn(folio) + folio_nr_pages(folio);
}

static int __cached_page_fault(struct cached_vm *cvm, struct cached_vcpu *cv,
			       struct kvm_page_fault *fault)
{
	struct kvm_vcpu *vcpu = cv->vcpu;
	struct kvm *kvm = vcpu->kvm;
	u32 access = shadow_fault_access(fault->error_code);
	bool write = access & KVM_ACC_WRITE;
	bool created = false, linked = false, slot_writable, large;
	struct guest_walk walk, again;
	struct guest_paging pg;
	struct cached_sp *sp;
	struct page *page;
	unsigned long hva;
	gva_t gva;
	gfn_t gfn;
	u64 *sptep;
	u32 perm;
	int r, i;

	if (!cv->root_valid) {
		cv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	gva = cv->root_level == 4 ? fault->addr : (u32)fault->addr;

	guest_paging_init(&pg, vcpu);
	r = guest_walk(&pg, gva, access, &walk);
	if (r < 0)
		return r;
	if (r == WALK_FAULT) {
		fault->guest_error_code = walk.error_code;
		cv->stats.pf_guest++;
		return RET_PF_GUEST;
	}

	/* Not memory, a write to read-only memory, or (shadow.h): emulate. */
	gfn = walk.gpa >> PAGE_SHIFT;
	if (!shadow_gpa_hva(kvm, walk.gpa, write, &hva, &slot_writable) ||
	    shadow_write_needs_emulation(&pg, &walk, access)) {
		fault->gpa = walk.gpa;
		cv->stats.pf_emulate++;
		return RET_PF_EMULATE;
	}

	large = cached_large_ok(cvm, &pg, &walk, hva);
	r = cached_build_path(cvm, cv, &pg, &walk, gva, write, &sp, &large,
			      &created, &linked);
	if (r == -EAGAIN || r == -ENOENT) {
		/*
		 * The root went (reload it), or the PDPTE this address needs
		 * was not present when the root was built: the hardware's
		 * PDPTE register says not present.
		 */
		if (r == -ENOENT) {
			fault->guest_error_code =
				guest_pf_error_code(&pg, access, 0);
			cv->stats.pf_guest++;
			return RET_PF_GUEST;
		}
		cv->root_valid = false;
		cv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	if (r)
		return r;

	/*
	 * A table of this walk that was just write-protected may have been
	 * written before it was: if so, the links made from the old values
	 * must not be used.  Fault again on the new tables.
	 */
	if (created) {
		/* Every vCPU sees the protection before we look again. */
		cached_commit(cvm);
		r = guest_walk(&pg, gva, access, &again);
		if (r < 0)
			return r;
		if (r != WALK_OK || !cached_walk_same(&walk, &again)) {
			for (i = 0; i < walk.nr_ptes; i++)
				cached_zap_gfn(cvm, walk.ptes[i].gpa >> PAGE_SHIFT);
			cv->stats.pf_retry++;
			return RET_PF_RETRY;
		}
		/* A table the walk made a shadow of lies in the frame. */
		if (large && cached_lpage_shadowed(cvm, gfn)) {
			cv->stats.pf_retry++;
			return RET_PF_RETRY;
		}
	}

	i = spte_index(gva, large ? 2 : 1);
	sptep = &sp->spt[i];

	/*
	 * The hardware refused what the leaf allows.  Either this vCPU ran
	 * on a stale TLB entry that another vCPU's change (with a flush
	 * request, still pending here) replaced: enter again, after the
	 * flush.  Or the guest's own SMEP or SMAP refused it (shadow.h).
	 */
	if (!linked && shadow_refused_permitted(fault, *sptep, access)) {
		if (test_bit(KVM_REQ_TLB_FLUSH, &vcpu->requests)) {
			cv->stats.pf_retry++;
			return RET_PF_RETRY;
		}
		if (!pg.levels)
			return -EIO;
		fault->guest_error_code =
			guest_pf_error_code(&pg, access, PFERR_PRESENT_MASK);
		cv->stats.pf_guest++;
		return RET_PF_GUEST;
	}

	/* A write to a shadowed guest page table: emulate it, tracked. */
	perm = spte_shadow_perm(walk.perm, walk.dirty, access, pg.wp, pg.smep);
	if (cached_gfn_protected(cvm, gfn)) {
		if (!write)
			perm &= ~PERM_WRITE;
		else if (!cached_unsync_gfn(cvm, gfn)) {
			fault->gpa = walk.gpa;
			fault->pt_write = true;
			cv->stats.pf_emulate++;
			return RET_PF_EMULATE;
		}
	}

	while (cvm->stats.pinned >= CACHED_MAX_PINS) {
		if (!cached_reclaim_one(cvm))
			return -ENOMEM;
	}
	/* A 2 MiB leaf pins the first page of its frame. */
	if (large)
		hva -= (gfn & (CACHED_LARGE_PAGES - 1)) << PAGE_SHIFT;
	r = shadow_prepare_leaf(&pg, &walk, hva, slot_writable, write, &perm,
				&page);
	if (r == -EAGAIN) {
		cv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	if (r)
		return r;
	/* The VMM's huge page was split meanwhile: fault again. */
	if (large && !cached_large_folio(page)) {
		unpin_user_page(page);
		cv->stats.pf_retry++;
		return RET_PF_RETRY;
	}

	if (spte_present(*sptep))
		cached_drop_spte(cvm, sp, i);
	if (large)
		r = cached_set_large(cvm, sp, i,
				     gfn & ~(gfn_t)(CACHED_LARGE_PAGES - 1),
				     spte_make_large_leaf(page_to_pfn(page), perm));
	else
		r = cached_set_leaf(cvm, sp, i, gfn,
				    walk.nr_ptes ? walk.ptes[walk.nr_ptes - 1].val : 0,
				    spte_make_leaf(page_to_pfn(page), perm));
	if (r) {
		unpin_user_page(page);
		return r;
	}
	cv->stats.pf_fixed++;
	if (cvm->prefetch && !large && !sp->role.direct)
		cached_prefetch(cvm, sp, &pg, &walk, gva);
	return RET_PF_FIXED;
}

static int cached_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	u64 created = 0;
	int r;

	fault->gpa = KVM_INVALID_GPA;
	fault->guest_error_code = 0;
	fault->pt_write = false;

	mutex_lock(&cvm->lock);
	cvm->gen++;
	if (trace_mmu_fault_enabled())
		created = cvm->stats.shadow_created;
	r = __cached_page_fault(cvm, vcpu->mmu, fault);
	if (r >= 0)
		trace_mmu_fault(vcpu->vcpu_id, fault->addr, fault->error_code,
				r, cvm->stats.shadow_created - created,
				r == RET_PF_EMULATE && fault->pt_write);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
	return r;
}

/*
 * A CR3 write or paging-mode change: the next entry loads the root of
 * the new tables, cached or not.  Nothing is dropped.
 */
static void cached_new_cr3(struct kvm_vcpu *vcpu)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	struct cached_vcpu *cv = vcpu->mmu;

	mutex_lock(&cvm->lock);
	cv->stats.new_cr3++;
	trace_mmu_flush(vcpu->vcpu_id, mmu_trace_new_cr3_cause(vcpu), 0);
	cached_release_roots(cvm, cv);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/*
 * INVLPG.  A protected table's shadow already follows the guest's (every
 * change to it was tracked, and every tracked change that took a right
 * away flushed every vCPU's TLB).  Only a leaf in an out-of-sync page may
 * be stale: drop it if its entry changed (cached_sync.c).
 */
static void cached_invlpg(struct kvm_vcpu *vcpu, gva_t gva)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	struct cached_vcpu *cv = vcpu->mmu;
	u64 zapped;

	mutex_lock(&cvm->lock);
	cv->stats.invlpg++;
	zapped = cvm->stats.resync_dropped;
	cached_sync_gva(cvm, cv, gva);
	trace_mmu_flush(vcpu->vcpu_id, KVM_MMU_FLUSH_INVLPG,
			cvm->stats.resync_dropped - zapped);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/*
 * The emulator wrote guest RAM at @gpa.  Drop the shadow entries of the
 * guest entries written, in every shadow page of that table; a table
 * written too often stops being shadowed.
 */
static void cached_track_write(struct kvm_vcpu *vcpu, gpa_t gpa,
			       const void *val, int len)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);
	unsigned int off = offset_in_page(gpa);
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct cached_sp *sp;
	struct hlist_node *tmp;

	if (len <= 0)
		return;
	mutex_lock(&cvm->lock);
	hash_for_each_possible_safe(cvm->sp_hash, sp, tmp, hash, gfn) {
		unsigned int size, first, last, g;

		if (sp->gfn != gfn || sp->role.direct)
			continue;
		if (++sp->write_count >= CACHED_FLOOD_WRITES) {
			__cached_zap_sp(cvm, sp, KVM_MMU_SP_FLOOD);
			cvm->stats.flooded++;
			continue;
		}
		size = sp->role.glevels == 2 ? 4 : 8;
		first = off / size;
		last = min_t(unsigned int, off + len - 1, PAGE_SIZE - 1) / size;
		for (g = first; g <= last; g++) {
			if (size == 8) {
				cached_drop_spte(cvm, sp, g);
			} else if (sp->role.level == 1) {
				/* 1024 guest PTEs, 512 a quadrant. */
				if (g / 512 == sp->role.quadrant)
					cached_drop_spte(cvm, sp, g % 512);
			} else if (g / 256 == sp->role.quadrant) {
				/* A guest PDE maps 4 MiB: two shadow entries. */
				cached_drop_spte(cvm, sp, (g % 256) * 2);
				cached_drop_spte(cvm, sp, (g % 256) * 2 + 1);
			}
		}
		cvm->stats.pte_writes++;
		trace_mmu_pte_write(gpa, len);
	}
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/* The emulator could not do a write to a shadowed table: stop shadowing it. */
static void cached_unprotect(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	struct cached_vm *cvm = to_cvm(vcpu->kvm);

	mutex_lock(&cvm->lock);
	cached_zap_gfn_op(cvm, gpa >> PAGE_SHIFT, KVM_MMU_SP_UNPROTECT);
	cvm->stats.unprotected++;
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/*
 * A slot changed: the pages its leaves pinned may be no longer the guest's,
 * and the gfns of shadowed tables may be another memory.  Start over.
 */
static void cached_slot_changed(struct kvm *kvm,
				const struct kvm_memory_slot *slot)
{
	struct cached_vm *cvm = to_cvm(kvm);

	mutex_lock(&cvm->lock);
	cached_zap_all(cvm);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/*
 * Dirty logging: the leaves that map the pages become read-only, found
 * through the reverse map; the commit flushes every vCPU's TLB if one
 * was writable.  A write then faults and maps the page writable again,
 * logged (shadow_prepare_leaf()), unless the page is a shadowed guest
 * page table: then the emulator does the write, which logs it too.
 */
static void cached_dirty_log_protect(struct kvm *kvm,
				     const struct kvm_memory_slot *slot,
				     u64 first, const unsigned long *mask,
				     u64 nbits)
{
	struct cached_vm *cvm = to_cvm(kvm);
	unsigned long i;

	mutex_lock(&cvm->lock);
	for_each_set_bit(i, mask, nbits)
		cached_write_protect(cvm, slot->base_gfn + first + i);
	cached_commit(cvm);
	mutex_unlock(&cvm->lock);
}

/*
 * The VM's shadow pages and pins, the sums of its vCPUs' fault counters,
 * the VM's own counters, then each vCPU's fault counters.
 */
static void cached_stats_show(struct kvm *kvm, struct seq_file *m)
{
	struct cached_vm *cvm = to_cvm(kvm);
	int i, n = READ_ONCE(kvm->nr_vcpus);
	struct kvm_mmu_stats sum = {};
	char prefix[16];

	smp_rmb();
	for (i = 0; i < n; i++) {
		struct cached_vcpu *cv = kvm->vcpus[i]->mmu;

		shadow_add_stats(&sum, &cv->stats);
	}
	sum.shadow_pages = READ_ONCE(cvm->stats.shadow_pages);
	sum.shadow_created = READ_ONCE(cvm->stats.shadow_created);
	sum.shadow_zapped = READ_ONCE(cvm->stats.shadow_zapped);
	sum.pinned = READ_ONCE(cvm->stats.pinned);
	shadow_show_stats(m, "", &sum, SHADOW_STATS_PAGES | SHADOW_STATS_FAULTS);
	seq_printf(m, "max_pages %lu\nreclaimed %llu\nflooded %llu\n"
		   "pte_writes %llu\nunprotected %llu\n", cvm->max_pages,
		   READ_ONCE(cvm->stats.reclaimed), READ_ONCE(cvm->stats.flooded),
		   READ_ONCE(cvm->stats.pte_writes),
		   READ_ONCE(cvm->stats.unprotected));
	seq_printf(m, "unsync %d\nprefetch %d\nunsynced %llu\nresynced %llu\n"
		   "resync_dropped %llu\ninvlpg_resynced %llu\n"
		   "relink_resynced %llu\n"
		   "prefetched %llu\nlarge %llu\nlarge_created %llu\n",
		   cvm->unsync_on, cvm->prefetch,
		   READ_ONCE(cvm->stats.unsynced),
		   READ_ONCE(cvm->stats.resynced),
		   READ_ONCE(cvm->stats.resync_dropped),
		   READ_ONCE(cvm->stats.invlpg_resynced),
		   READ_ONCE(cvm->stats.relink_resynced),
		   READ_ONCE(cvm->stats.prefetched),
		   READ_ONCE(cvm->stats.large),
		   READ_ONCE(cvm->stats.large_created));
	seq_printf(m, "audit_errors %llu\n", READ_ONCE(cvm->audit_errors));
	for (i = 0; i < n; i++) {
		struct cached_vcpu *cv = kvm->vcpus[i]->mmu;

		snprintf(prefix, sizeof(prefix), "vcpu%d.", i);
		shadow_show_stats(m, prefix, &cv->stats, SHADOW_STATS_FAULTS);
	}
}

const struct kvm_mmu_ops kvm_mmu_cached = {
	.name = "cached",
	.vm_init = cached_vm_init,
	.vm_destroy = cached_vm_destroy,
	.vcpu_init = cached_vcpu_init,
	.vcpu_destroy = cached_vcpu_destroy,
	.load_root = cached_load_root,
	.page_fault = cached_page_fault,
	.new_cr3 = cached_new_cr3,
	.invlpg = cached_invlpg,
	.translate = guest_translate,
	.track_write = cached_track_write,
	.unprotect = cached_unprotect,
	.slot_changed = cached_slot_changed,
	.dirty_log_protect = cached_dirty_log_protect,
	.stats_show = cached_stats_show,
};
