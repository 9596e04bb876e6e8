// SPDX-License-Identifier: GPL-2.0
/*
 * The cached strategy's shadow pages (cached.c has the design): the
 * reverse map and write protection, making, finding and zapping pages,
 * and the commit that flushes TLBs before pins and pages go.  Caller
 * holds cvm->lock throughout.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "mmu/cached.h"
#include "mmu/mmutrace.h"

static atomic64_t cached_pinned_total = ATOMIC64_INIT(0);
static atomic64_t cached_pages_total = ATOMIC64_INIT(0);

/* ---- the reverse map ------------------------------------------------ */

/*
 * The reverse map's key for the 2 MiB leaves of @gfn's frame: above every
 * gfn (MAXPHYADDR is at most 52), so never a 4 KiB leaf's.
 */
#define CACHED_RMAP_LARGE	BIT_ULL(62)

static u64 cached_large_key(gfn_t gfn)
{
	return (gfn / CACHED_LARGE_PAGES) | CACHED_RMAP_LARGE;
}

/* The shadow page that holds the entry at @sptep. */
static struct cached_sp *cached_sp_at(u64 *sptep)
{
	return (struct cached_sp *)page_private(virt_to_page(sptep));
}

static struct cached_rmap *cached_rmap_find(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_rmap *r;

	hash_for_each_possible(cvm->rmap, r, node, gfn)
		if (r->gfn == gfn)
			return r;
	return NULL;
}

/*
 * Emptied reverse-map entries are kept, with their arrays, for the next
 * gfn (up to CACHED_RMAP_SPARE of them): a guest that maps and unmaps
 * pages all the time would otherwise allocate and free two objects per
 * fault and per INVLPG.
 */
#define CACHED_RMAP_SPARE	4096

static void cached_rmap_put(struct cached_vm *cvm, struct cached_rmap *r)
{
	hash_del(&r->node);
	if (cvm->nr_rmap_spare < CACHED_RMAP_SPARE) {
		hlist_add_head(&r->node, &cvm->rmap_spare);
		cvm->nr_rmap_spare++;
		return;
	}
	kfree(r->sptes);
	kfree(r);
}

void cached_rmap_free_spares(struct cached_vm *cvm)
{
	struct cached_rmap *r;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(r, tmp, &cvm->rmap_spare, node) {
		hlist_del(&r->node);
		kfree(r->sptes);
		kfree(r);
	}
	cvm->nr_rmap_spare = 0;
}

static int cached_rmap_add(struct cached_vm *cvm, gfn_t gfn, u64 *sptep)
{
	struct cached_rmap *r = cached_rmap_find(cvm, gfn);

	if (!r && !hlist_empty(&cvm->rmap_spare)) {
		r = hlist_entry(cvm->rmap_spare.first, struct cached_rmap, node);
		hlist_del(&r->node);
		cvm->nr_rmap_spare--;
		r->n = 0;
	} else if (!r) {
		r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r)
			return -ENOMEM;
	}
	if (!r->n) {
		r->gfn = gfn;
		hash_add(cvm->rmap, &r->node, gfn);
	}
	if (r->n == r->max) {
		int max = r->max ? 2 * r->max : 4;
		u64 **s = krealloc_array(r->sptes, max, sizeof(*s),
					 GFP_KERNEL_ACCOUNT);

		if (!s) {
			if (!r->n)
				cached_rmap_put(cvm, r);
			return -ENOMEM;
		}
		r->sptes = s;
		r->max = max;
	}
	r->sptes[r->n++] = sptep;
	return 0;
}

static void cached_rmap_remove(struct cached_vm *cvm, gfn_t gfn, u64 *sptep)
{
	struct cached_rmap *r = cached_rmap_find(cvm, gfn);
	int i;

	if (WARN_ON_ONCE(!r))
		return;
	for (i = 0; i < r->n; i++) {
		if (r->sptes[i] != sptep)
			continue;
		r->sptes[i] = r->sptes[--r->n];
		if (!r->n)
			cached_rmap_put(cvm, r);
		return;
	}
	WARN_ON_ONCE(1);
}

/*
 * Take write access away from every leaf that maps @gfn; a 2 MiB leaf
 * over it goes: the next fault maps the frame page by page.
 */
void cached_write_protect(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_rmap *r;
	int i;

	/* Each drop takes the leaf out of the map, the last one the map. */
	while ((r = cached_rmap_find(cvm, cached_large_key(gfn)))) {
		struct cached_sp *sp = cached_sp_at(r->sptes[0]);

		cached_drop_spte(cvm, sp, r->sptes[0] - sp->spt);
	}
	r = cached_rmap_find(cvm, gfn);
	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		u64 spte = *r->sptes[i];

		if (spte_writable(spte)) {
			/* D stays set: the page may have been written already. */
			WRITE_ONCE(*r->sptes[i], spte & ~PT_WRITABLE_MASK);
			cvm->need_flush = true;
		}
	}
}

static struct cached_lpage *cached_lpage_find(struct cached_vm *cvm,
					      gfn_t gfn)
{
	u64 frame = gfn / CACHED_LARGE_PAGES;
	struct cached_lpage *l;

	hash_for_each_possible(cvm->lpage, l, node, frame)
		if (l->frame == frame)
			return l;
	return NULL;
}

bool cached_lpage_shadowed(struct cached_vm *cvm, gfn_t gfn)
{
	return cached_lpage_find(cvm, gfn);
}

/* A guest table at @gfn is shadowed (once more). */
static int cached_lpage_inc(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_lpage *l = cached_lpage_find(cvm, gfn);

	if (!l) {
		l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
		if (!l)
			return -ENOMEM;
		l->frame = gfn / CACHED_LARGE_PAGES;
		hash_add(cvm->lpage, &l->node, l->frame);
	}
	l->count++;
	return 0;
}

static void cached_lpage_dec(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_lpage *l = cached_lpage_find(cvm, gfn);

	if (WARN_ON_ONCE(!l) || --l->count)
		return;
	hash_del(&l->node);
	kfree(l);
}

bool cached_gfn_shadowed(struct cached_vm *cvm, gfn_t gfn)
{
	struct cached_sp *sp;

	hash_for_each_possible(cvm->sp_hash, sp, hash, gfn)
		if (sp->gfn == gfn && !sp->role.direct)
			return true;
	return false;
}

/*
 * Install @spte, a leaf that maps pinned @gfn, at the empty entry @i of
 * level-1 @sp; @gpte is the guest entry it stands for (kept while @sp is
 * unsync, for the resync).
 */
int cached_set_leaf(struct cached_vm *cvm, struct cached_sp *sp, int i,
		    gfn_t gfn, u64 gpte, u64 spte)
{
	int r = cached_rmap_add(cvm, gfn, &sp->spt[i]);

	if (r)
		return r;
	sp->gfns[i] = gfn;
	if (sp->unsync)
		cached_gpte_set(sp, i, gpte);
	WRITE_ONCE(sp->spt[i], spte);
	cvm->stats.pinned++;
	atomic64_inc(&cached_pinned_total);
	return 0;
}

/*
 * Install @spte, a 2 MiB leaf whose first frame is @gfn (aligned, its
 * head page pinned), at the empty entry @i of level-2 @sp.
 */
int cached_set_large(struct cached_vm *cvm, struct cached_sp *sp, int i,
		     gfn_t gfn, u64 spte)
{
	int r;

	if (!sp->gfns) {
		sp->gfns = (gfn_t *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!sp->gfns)
			return -ENOMEM;
	}
	r = cached_rmap_add(cvm, cached_large_key(gfn), &sp->spt[i]);
	if (r)
		return r;
	sp->gfns[i] = gfn;
	WRITE_ONCE(sp->spt[i], spte);
	cvm->stats.pinned++;
	cvm->stats.large++;
	cvm->stats.large_created++;
	atomic64_inc(&cached_pinned_total);
	return 0;
}

/* ---- dropping entries and pages ------------------------------------- */

static void cached_parent_remove(struct cached_sp *sp, u64 *sptep)
{
	int i;

	for (i = 0; i < sp->nr_parents; i++) {
		if (sp->parents[i] == sptep) {
			sp->parents[i] = sp->parents[--sp->nr_parents];
			return;
		}
	}
	WARN_ON_ONCE(1);
}

int cached_parent_add(struct cached_sp *sp, u64 *sptep)
{
	if (sp->nr_parents == sp->max_parents) {
		int max = sp->max_parents ? 2 * sp->max_parents : 2;
		u64 **p = krealloc_array(sp->parents, max, sizeof(*p),
					 GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		sp->parents = p;
		sp->max_parents = max;
	}
	sp->parents[sp->nr_parents++] = sptep;
	return 0;
}

/* Flush every vCPU's TLB, then release the pins of dropped leaves. */
static void cached_flush_release(struct cached_vm *cvm)
{
	kvm_flush_remote_tlbs(cvm->kvm);
	shadow_release_all(&cvm->release);
}

/* Clear entry @i of @sp: a leaf loses its pin, a link its child. */
void cached_drop_spte(struct cached_vm *cvm, struct cached_sp *sp, int i)
{
	u64 spte = sp->spt[i];

	if (!spte_present(spte))
		return;
	WRITE_ONCE(sp->spt[i], 0);
	cvm->need_flush = true;
	if (sp->role.level == 1 || spte_large(spte)) {
		if (sp->role.level == 1) {
			cached_rmap_remove(cvm, sp->gfns[i], &sp->spt[i]);
		} else {
			cached_rmap_remove(cvm, cached_large_key(sp->gfns[i]),
					   &sp->spt[i]);
			cvm->stats.large--;
		}
		if (shadow_release_full(&cvm->release))
			cached_flush_release(cvm);
		shadow_release_defer(&cvm->release, spte);
		atomic64_dec(&cached_pinned_total);
		cvm->stats.pinned--;
	} else {
		cached_parent_remove(cached_sp_of(spte), &sp->spt[i]);
	}
}

static void cached_free_sp(struct cached_vm *cvm, struct cached_sp *sp)
{
	free_page((unsigned long)sp->spt);
	free_page((unsigned long)sp->gfns);
	free_page((unsigned long)sp->gptes);
	kfree(sp->parents);
	kfree(sp);
	cvm->nr_pages--;
	cvm->stats.shadow_pages--;
	cvm->stats.shadow_zapped++;
	atomic64_dec(&cached_pages_total);
}

/*
 * Take @sp out of the cache: unlink it from its parents, drop its entries
 * (its children stay cached, unlinked), and free it once the TLB flush is
 * done, or once no vCPU has it as root any more.  A vCPU whose root goes
 * reloads it before its next entry.
 */
void __cached_zap_sp(struct cached_vm *cvm, struct cached_sp *sp,
			    unsigned int op)
{
	int i;

	trace_mmu_sp(op, sp->gfn, sp->role.word, sp->role.level,
		     sp->role.direct);

	while (sp->nr_parents) {
		u64 *sptep = sp->parents[--sp->nr_parents];

		WRITE_ONCE(*sptep, 0);
	}
	for (i = 0; i < PT64_ENT_PER_PAGE; i++)
		cached_drop_spte(cvm, sp, i);
	cached_sp_forget_unsync(cvm, sp);
	hash_del(&sp->hash);
	if (!sp->role.direct)
		cached_lpage_dec(cvm, sp->gfn);
	sp->zapped = true;
	cvm->need_flush = true;
	if (sp->root_count) {
		list_move_tail(&sp->lru, &cvm->zapped_roots);
		kvm_make_all_vcpus_request(cvm->kvm, KVM_REQ_MMU_RELOAD);
	} else {
		list_move_tail(&sp->lru, &cvm->free_list);
	}
}

void cached_zap_sp(struct cached_vm *cvm, struct cached_sp *sp)
{
	__cached_zap_sp(cvm, sp, KVM_MMU_SP_ZAP);
}

void cached_zap_gfn_op(struct cached_vm *cvm, gfn_t gfn, unsigned int op)
{
	struct cached_sp *sp;
	struct hlist_node *tmp;

	hash_for_each_possible_safe(cvm->sp_hash, sp, tmp, hash, gfn)
		if (sp->gfn == gfn && !sp->role.direct)
			__cached_zap_sp(cvm, sp, op);
}

void cached_zap_gfn(struct cached_vm *cvm, gfn_t gfn)
{
	cached_zap_gfn_op(cvm, gfn, KVM_MMU_SP_ZAP);
}

void cached_zap_all(struct cached_vm *cvm)
{
	struct cached_sp *sp, *tmp;

	list_for_each_entry_safe(sp, tmp, &cvm->active, lru)
		cached_zap_sp(cvm, sp);
}

/*
 * Make the changes since the last commit safe: flush every vCPU's TLB
 * (waiting for those in guest mode to leave it), then release the pins
 * of dropped leaves and free the zapped pages.
 */
void cached_commit(struct cached_vm *cvm)
{
	struct cached_sp *sp, *tmp;
	bool flushed = cvm->need_flush;
	u64 zapped = cvm->stats.shadow_zapped;

	if (flushed)
		cached_flush_release(cvm);
	cvm->need_flush = false;
	list_for_each_entry_safe(sp, tmp, &cvm->free_list, lru) {
		list_del(&sp->lru);
		cached_free_sp(cvm, sp);
	}
	if (flushed && !cvm->kvm->dying)
		trace_mmu_flush(-1, KVM_MMU_FLUSH_REMOTE,
				cvm->stats.shadow_zapped - zapped);
}

/* ---- finding and making shadow pages -------------------------------- */

/* Reclaim the least recently used page that no one uses right now. */
bool cached_reclaim_one(struct cached_vm *cvm)
{
	struct cached_sp *sp;

	list_for_each_entry(sp, &cvm->active, lru) {
		if (sp->root_count || sp->use_gen == cvm->gen)
			continue;
		__cached_zap_sp(cvm, sp, KVM_MMU_SP_RECLAIM);
		cvm->stats.reclaimed++;
		return true;
	}
	return false;
}

static struct cached_sp *cached_alloc_sp(struct cached_vm *cvm, gfn_t gfn,
					 union cached_role role)
{
	struct cached_sp *sp;

	/* Zapped pages count until freed: the commit frees them. */
	while (cvm->nr_pages >= cvm->max_pages) {
		if (!cached_reclaim_one(cvm))
			return NULL;
		cached_commit(cvm);
	}

	sp = kzalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	if (!sp)
		return NULL;
	sp->spt = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!sp->spt)
		goto err_free_sp;
	if (role.level == 1) {
		sp->gfns = (gfn_t *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!sp->gfns)
			goto err_free_spt;
	}
	if (!role.direct && cached_lpage_inc(cvm, gfn))
		goto err_free_gfns;
	set_page_private(virt_to_page(sp->spt), (unsigned long)sp);
	INIT_LIST_HEAD(&sp->unsync_link);
	sp->gfn = gfn;
	sp->role = role;
	sp->use_gen = cvm->gen;
	hash_add(cvm->sp_hash, &sp->hash, gfn);
	list_add_tail(&sp->lru, &cvm->active);
	cvm->nr_pages++;
	cvm->stats.shadow_pages++;
	cvm->stats.shadow_created++;
	atomic64_inc(&cached_pages_total);
	trace_mmu_sp(KVM_MMU_SP_CREATE, gfn, role.word, role.level, role.direct);
	if (!role.direct)
		cached_write_protect(cvm, gfn);
	return sp;

err_free_gfns:
	free_page((unsigned long)sp->gfns);
err_free_spt:
	free_page((unsigned long)sp->spt);
err_free_sp:
	kfree(sp);
	return NULL;
}

struct cached_sp *cached_get_sp(struct cached_vm *cvm, gfn_t gfn,
				       union cached_role role, bool *created)
{
	struct cached_sp *sp;

	hash_for_each_possible(cvm->sp_hash, sp, hash, gfn) {
		if (sp->gfn == gfn && sp->role.word == role.word) {
			list_move_tail(&sp->lru, &cvm->active);
			sp->use_gen = cvm->gen;
			return sp;
		}
	}
	*created = true;
	return cached_alloc_sp(cvm, gfn, role);
}

u64 kvm_mmu_cached_pinned_total(void)
{
	return atomic64_read(&cached_pinned_total);
}

u64 kvm_mmu_cached_shadow_pages_total(void)
{
	return atomic64_read(&cached_pages_total);
}
