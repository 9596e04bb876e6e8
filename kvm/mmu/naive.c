// SPDX-License-Identifier: GPL-2.0
/*
 * The "naive" MMU strategy: shadow paging as KVM did it in 2006.
 *
 * Each vCPU has its own shadow page tables, built one 4 KiB mapping at a
 * time from the guest's page faults, and thrown away whole on every guest
 * CR3 write, paging-mode change or TLB flush (new_cr3()); INVLPG drops
 * one mapping.  Nothing is shared between vCPUs and nothing watches the
 * guest's page tables: like a TLB, the shadow may be stale until the
 * guest flushes, which the architecture allows.
 *
 * The shadow is a plain gva -> hpa map, unrelated to the shape of the
 * guest's tables:
 *   guest in long mode (EFER.LMA)  4-level shadow, root = a PML4 page;
 *   any other guest mode           PAE shadow, root = a PDPT page below
 *                                  4 GiB (legacy CR3 has 32 bits) of
 *                                  which 4 entries are used, with only P
 *                                  and the address set.
 * Leaves are 4 KiB, a guest large page is mapped piecewise; non-leaf
 * entries grant everything and the leaf carries the effective rights.
 *
 * Every present leaf holds one pin on the VMM's page behind it; it is
 * released when the leaf goes.  Shadow pages and pins are bounded per
 * vCPU; reaching a bound drops everything and starts over.
 *
 * All of a vCPU's state is touched only by the thread running that vCPU
 * (or by vcpu_destroy(), when nothing runs it any more), so none of it is
 * locked; the counters may be read from elsewhere as a racy snapshot.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/msr-index.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "mmu/shadow.h"
#include "mmu/spte.h"
#include "mmu/walk.h"
#include "mmu/mmutrace.h"

/*
 * Bounds per vCPU.  4096 shadow pages are 16 MiB of tables.  Pins are
 * bounded separately, and tighter, because a small-page pin adds
 * GUP_PIN_COUNTING_BIAS (1024) to the page's refcount: a guest mapping one
 * page at many addresses must not be able to overflow that count.  With
 * 65536 pins (256 MiB mapped) per vCPU and 16 vCPUs, one VM adds at most
 * 2^30 to a page's count.
 */
#define NAIVE_MAX_SHADOW_PAGES	4096
#define NAIVE_MAX_PINS		65536

struct naive_vcpu {
	struct kvm_vcpu *vcpu;
	u64 *root;		/* NULL until load_root() builds one */
	int root_level;		/* 4: 4-level, 3: PAE */
	struct kvm_mmu_stats stats;
};

/* Over every naive vCPU of every VM, for leak checks after teardown. */
static atomic64_t naive_pinned_total = ATOMIC64_INIT(0);
static atomic64_t naive_pages_total = ATOMIC64_INIT(0);

/* The shadow of a non-long-mode guest covers 32-bit linear addresses. */
static gva_t naive_gva(const struct naive_vcpu *nv, gva_t gva)
{
	return nv->root_level == 4 ? gva : (u32)gva;
}

/* ---- shadow pages and pins ------------------------------------------ */

static u64 *naive_alloc_table(struct naive_vcpu *nv, bool below_4g)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO;
	struct page *page;

	if (below_4g)
		gfp |= __GFP_DMA32;
	page = alloc_page(gfp);
	if (!page)
		return NULL;
	nv->stats.shadow_pages++;
	nv->stats.shadow_created++;
	atomic64_inc(&naive_pages_total);
	return page_address(page);
}

static void naive_free_table(struct naive_vcpu *nv, u64 *table)
{
	free_page((unsigned long)table);
	nv->stats.shadow_pages--;
	nv->stats.shadow_zapped++;
	atomic64_dec(&naive_pages_total);
}

/* Release the pin a present leaf holds. */
static void naive_release_leaf(struct naive_vcpu *nv, u64 spte)
{
	shadow_unpin_leaf(spte);
	nv->stats.pinned--;
	atomic64_dec(&naive_pinned_total);
}

/* Free a shadow table at @level and everything below it. */
static void naive_zap_table(struct naive_vcpu *nv, u64 *table, int level)
{
	int i;

	for (i = 0; i < PT64_ENT_PER_PAGE; i++) {
		u64 spte = table[i];

		if (!spte_present(spte))
			continue;
		if (level == 1)
			naive_release_leaf(nv, spte);
		else
			naive_zap_table(nv, spte_table(spte), level - 1);
	}
	naive_free_table(nv, table);
}

/* Clear a present non-leaf entry at @level and free what it points to. */
static void naive_zap_entry(struct naive_vcpu *nv, u64 *sptep, int level)
{
	u64 *child = spte_table(*sptep);

	WRITE_ONCE(*sptep, 0);
	naive_zap_table(nv, child, level - 1);
}

/*
 * Drop every shadow page, root included; the next load_root() builds a
 * new one.  Without a TLB flush: at teardown there is no guest TLB left
 * to care about.
 */
static void naive_zap_all(struct naive_vcpu *nv)
{
	if (!nv->root)
		return;
	naive_zap_table(nv, nv->root, nv->root_level);
	nv->root = NULL;
	nv->stats.root_drops++;
}

/* naive_zap_all() and the TLB flush, for @cause (KVM_MMU_FLUSH_*). */
static void naive_flush_all(struct naive_vcpu *nv, unsigned int cause)
{
	u64 zapped = nv->stats.shadow_zapped;

	if (!nv->root)
		return;
	naive_zap_all(nv);
	kvm_vendor->flush_tlb(nv->vcpu);
	trace_mmu_flush(nv->vcpu->vcpu_id, cause,
			nv->stats.shadow_zapped - zapped);
}

/* ---- walking the shadow --------------------------------------------- */

/* The leaf entry for @gva if the tables above it exist, else NULL. */
static u64 *naive_lookup_leaf(struct naive_vcpu *nv, gva_t gva)
{
	u64 *table = nv->root;
	int level;

	for (level = nv->root_level; level > 1; level--) {
		u64 spte = table[spte_index(gva, level)];

		if (!spte_present(spte))
			return NULL;
		table = spte_table(spte);
	}
	return &table[spte_index(gva, 1)];
}

/*
 * The leaf entry for @gva, creating the tables above it.  The entry at
 * the guest leaf's level is marked SPLIT when the guest page is large,
 * for INVLPG.  The caller made sure the page bound leaves room.
 */
static u64 *naive_build_path(struct naive_vcpu *nv, gva_t gva,
			     const struct guest_walk *walk)
{
	u64 *table = nv->root;
	int level;

	for (level = nv->root_level; level > 1; level--) {
		u64 *sptep = &table[spte_index(gva, level)];
		bool pae_root = nv->root_level == 3 && level == 3;

		if (!spte_present(*sptep)) {
			u64 *child = naive_alloc_table(nv, false);

			if (!child)
				return NULL;
			WRITE_ONCE(*sptep, pae_root ?
				   spte_make_pae_root_entry(__pa(child)) :
				   spte_make_table(__pa(child)));
		}
		/*
		 * Only a 4-level guest has 1 GiB pages, so a PAE root entry
		 * is never marked.  The marks are ignored bits: no flush.
		 */
		if (level == walk->leaf_level && !pae_root)
			WRITE_ONCE(*sptep, spte_mark_split(*sptep, walk->pse_4m));
		table = spte_table(*sptep);
	}
	return &table[spte_index(gva, 1)];
}

/* ---- the ops -------------------------------------------------------- */

static int naive_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct naive_vcpu *nv;

	nv = kzalloc(sizeof(*nv), GFP_KERNEL_ACCOUNT);
	if (!nv)
		return -ENOMEM;
	nv->vcpu = vcpu;
	vcpu->mmu = nv;
	return 0;
}

static void naive_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct naive_vcpu *nv = vcpu->mmu;

	if (!nv)
		return;
	naive_zap_all(nv);
	/* Our own accounting, not something a guest can get wrong. */
	WARN_ON_ONCE(nv->stats.pinned || nv->stats.shadow_pages);
	kfree(nv);
	vcpu->mmu = NULL;
}

static int naive_load_root(struct kvm_vcpu *vcpu, hpa_t *root)
{
	struct naive_vcpu *nv = vcpu->mmu;
	int level = shadow_root_level(vcpu);

	if (level < 0)
		return level;
	/* A mode change should have come with new_cr3(); be safe anyway. */
	if (nv->root && nv->root_level != level)
		naive_flush_all(nv, KVM_MMU_FLUSH_FULL);

	if (!nv->root) {
		/* A PAE root must sit below 4 GiB: legacy CR3 has 32 bits. */
		nv->root = naive_alloc_table(nv, level == 3);
		if (!nv->root)
			return -ENOMEM;
		nv->root_level = level;
		kvm_vendor->flush_tlb(vcpu);
	}
	*root = __pa(nv->root);
	return 0;
}

static int __naive_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct naive_vcpu *nv = vcpu->mmu;
	struct kvm *kvm = vcpu->kvm;
	u32 access = shadow_fault_access(fault->error_code);
	bool write = access & KVM_ACC_WRITE;
	bool slot_writable;
	struct guest_paging pg;
	struct guest_walk walk;
	unsigned long hva;
	struct page *page;
	u64 *sptep, old;
	gva_t gva;
	u32 perm;
	int r;

	fault->gpa = KVM_INVALID_GPA;
	fault->guest_error_code = 0;

	/* The guest ran on some root; if it is not this mode's, rebuild. */
	if (!nv->root || nv->root_level != shadow_root_level(vcpu)) {
		naive_flush_all(nv, KVM_MMU_FLUSH_FULL);
		nv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	gva = naive_gva(nv, fault->addr);

	guest_paging_init(&pg, vcpu);
	r = guest_walk(&pg, gva, access, &walk);
	if (r < 0)
		return r;
	if (r == WALK_FAULT) {
		fault->guest_error_code = walk.error_code;
		nv->stats.pf_guest++;
		return RET_PF_GUEST;
	}

	/*
	 * The guest's tables allow the access, but the hardware refused it
	 * on a leaf that allows it (shadow.h).  With the guest's paging off,
	 * SMEP and SMAP do not apply to it, so the hardware must have run
	 * with them anyway: the backend's error, not the guest's.
	 */
	sptep = naive_lookup_leaf(nv, gva);
	if (sptep && shadow_refused_permitted(fault, *sptep, access)) {
		if (!pg.levels)
			return -EIO;
		fault->guest_error_code =
			guest_pf_error_code(&pg, access, PFERR_PRESENT_MASK);
		nv->stats.pf_guest++;
		return RET_PF_GUEST;
	}

	/* Not memory, a write to read-only memory, or (shadow.h): emulate. */
	if (!shadow_gpa_hva(kvm, walk.gpa, write, &hva, &slot_writable) ||
	    shadow_write_needs_emulation(&pg, &walk, access)) {
		fault->gpa = walk.gpa;
		nv->stats.pf_emulate++;
		return RET_PF_EMULATE;
	}

	/* At most root_level - 1 new tables and one new pin. */
	if (nv->stats.shadow_pages + nv->root_level - 1 > NAIVE_MAX_SHADOW_PAGES ||
	    nv->stats.pinned >= NAIVE_MAX_PINS) {
		naive_flush_all(nv, KVM_MMU_FLUSH_FULL);
		nv->stats.overflows++;
		nv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	sptep = naive_build_path(nv, gva, &walk);
	if (!sptep)
		return -ENOMEM;

	perm = spte_shadow_perm(walk.perm, walk.dirty, access, pg.wp, pg.smep);
	r = shadow_prepare_leaf(&pg, &walk, hva, slot_writable, write, &perm,
				&page);
	if (r == -EAGAIN) {
		nv->stats.pf_retry++;
		return RET_PF_RETRY;
	}
	if (r)
		return r;

	/*
	 * Pin first, release the old leaf after: when the new leaf maps the
	 * same page (a permission upgrade), the page never goes unpinned.
	 * A re-pin instead of an in-place upgrade also picks up a page the
	 * VMM replaced, and a write pin where the old one was a read pin.
	 */
	old = *sptep;
	WRITE_ONCE(*sptep, spte_make_leaf(page_to_pfn(page), perm));
	nv->stats.pinned++;
	atomic64_inc(&naive_pinned_total);
	if (spte_present(old)) {
		naive_release_leaf(nv, old);
		kvm_vendor->flush_tlb(vcpu);
	}
	nv->stats.pf_fixed++;
	return RET_PF_FIXED;
}

/* kvmmmu:mmu_fault for each fault the pf_* counters count. */
static int naive_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct naive_vcpu *nv = vcpu->mmu;
	u64 created = 0;
	int r;

	if (trace_mmu_fault_enabled())
		created = nv->stats.shadow_created;
	r = __naive_page_fault(vcpu, fault);
	if (r >= 0)
		trace_mmu_fault(vcpu->vcpu_id, fault->addr, fault->error_code,
				r, nv->stats.shadow_created - created,
				r == RET_PF_EMULATE && fault->pt_write);
	return r;
}

static void naive_new_cr3(struct kvm_vcpu *vcpu)
{
	struct naive_vcpu *nv = vcpu->mmu;

	nv->stats.new_cr3++;
	naive_flush_all(nv, mmu_trace_new_cr3_cause(vcpu));
}

/*
 * INVLPG: drop the leaf for @gva.  A hardware TLB entry for a large page
 * covers the whole page, so INVLPG of any address in it forgets all of
 * it; the shadow holds such a page as many 4 KiB leaves, found below the
 * entry marked SPLIT (and its buddy, for a 32-bit 4 MiB page).  Dropping
 * more than the page is harmless.
 */
static void naive_invlpg(struct kvm_vcpu *vcpu, gva_t gva)
{
	struct naive_vcpu *nv = vcpu->mmu;
	u64 zapped = nv->stats.shadow_zapped;
	u64 *table = nv->root;
	bool dropped = false;
	int level;

	nv->stats.invlpg++;
	if (!table)
		return;
	gva = naive_gva(nv, gva);

	for (level = nv->root_level; level >= 1; level--) {
		unsigned int i = spte_index(gva, level);
		u64 spte = table[i];

		/*
		 * A 4 MiB page's other half may be mapped even if this
		 * half is not: 4 MiB pages are 4 MiB-aligned, so the other
		 * half is the buddy entry of the same shadow table.
		 */
		if (level == 2 && (table[i ^ 1] & SPTE_SPLIT_4M)) {
			naive_zap_entry(nv, &table[i ^ 1], level);
			dropped = true;
		}
		if (!spte_present(spte))
			break;
		if (level == 1) {
			WRITE_ONCE(table[i], 0);
			naive_release_leaf(nv, spte);
			dropped = true;
			break;
		}
		if (spte & SPTE_SPLIT) {
			naive_zap_entry(nv, &table[i], level);
			dropped = true;
			break;
		}
		table = spte_table(spte);
	}
	if (dropped) {
		kvm_vendor->flush_tlb(vcpu);
		trace_mmu_flush(vcpu->vcpu_id, KVM_MMU_FLUSH_INVLPG,
				nv->stats.shadow_zapped - zapped);
	}
}

static gpa_t naive_translate(struct kvm_vcpu *vcpu, gva_t gva, u32 access,
			     bool set_ad, u32 *error_code)
{
	return guest_translate(vcpu, gva, access, set_ad, error_code);
}

/* The sums over the VM's vCPUs, then each vCPU's counters. */
static void naive_stats_show(struct kvm *kvm, struct seq_file *m)
{
	const unsigned int all = SHADOW_STATS_PAGES | SHADOW_STATS_FAULTS;
	int i, n = READ_ONCE(kvm->nr_vcpus);
	struct kvm_mmu_stats sum = {}, s;
	char prefix[16];

	smp_rmb();
	for (i = 0; i < n; i++) {
		kvm_mmu_naive_get_stats(kvm->vcpus[i], &s);
		shadow_add_stats(&sum, &s);
	}
	shadow_show_stats(m, "", &sum, all);
	for (i = 0; i < n; i++) {
		kvm_mmu_naive_get_stats(kvm->vcpus[i], &s);
		snprintf(prefix, sizeof(prefix), "vcpu%d.", i);
		shadow_show_stats(m, prefix, &s, all);
	}
}

/*
 * Dirty logging: another thread cannot touch a vCPU's shadow, so every
 * vCPU drops its whole shadow before it enters the guest again
 * (KVM_REQ_MMU_RELOAD, seen before the entry), and the flush waits until
 * those in guest mode have left it.  The pages are mapped again on
 * demand, writable only by a write (shadow_prepare_leaf()).
 */
static void naive_dirty_log_protect(struct kvm *kvm,
				    const struct kvm_memory_slot *slot,
				    u64 first, const unsigned long *mask,
				    u64 nbits)
{
	kvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);
	kvm_flush_remote_tlbs(kvm);
}

/*
 * No vm_init/vm_destroy (no per-VM state) and no slot_changed: a slot
 * change is followed by KVM_REQ_MMU_RELOAD on every vCPU, whose
 * new_cr3() drops everything; until then the old pages stay pinned, so
 * the guest never reaches a freed page.  slot_changed() could not touch
 * a vCPU's shadow anyway: it runs on another thread.
 */
const struct kvm_mmu_ops kvm_mmu_naive = {
	.name = "naive",
	.vcpu_init = naive_vcpu_init,
	.vcpu_destroy = naive_vcpu_destroy,
	.load_root = naive_load_root,
	.page_fault = naive_page_fault,
	.new_cr3 = naive_new_cr3,
	.invlpg = naive_invlpg,
	.translate = naive_translate,
	.dirty_log_protect = naive_dirty_log_protect,
	.stats_show = naive_stats_show,
};

void kvm_mmu_naive_get_stats(struct kvm_vcpu *vcpu, struct kvm_mmu_stats *stats)
{
	struct naive_vcpu *nv = vcpu->mmu;

	if (vcpu->kvm->mmu_ops != &kvm_mmu_naive || !nv) {
		memset(stats, 0, sizeof(*stats));
		return;
	}
	*stats = nv->stats;
}

u64 kvm_mmu_naive_pinned_total(void)
{
	return atomic64_read(&naive_pinned_total);
}

u64 kvm_mmu_naive_shadow_pages_total(void)
{
	return atomic64_read(&naive_pages_total);
}
