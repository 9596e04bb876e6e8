/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cached strategy's state, shared by cached.c and its audit
 * (cached_audit.c).  cached.c's header comment describes the design.
 */
#ifndef KVM_RESEARCH_MMU_CACHED_H
#define KVM_RESEARCH_MMU_CACHED_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "mmu/shadow.h"
#include "mmu/spte.h"
#include "mmu/walk.h"

#define CACHED_HASH_BITS	10
#define CACHED_RMAP_BITS	12
#define CACHED_LPAGE_BITS	8

/* Frames a 2 MiB shadow leaf maps: 512, aligned. */
#define CACHED_LARGE_PAGES	512

/*
 * Pins per VM, bounded like naive.c's per vCPU, and for the same reason: a
 * pin adds GUP_PIN_COUNTING_BIAS (1024) to the page's refcount, and a
 * guest mapping one page at many addresses must not be able to overflow
 * it.  2^18 pins (1 GiB mapped) add at most 2^28 per VM.  Past the bound,
 * the least recently used shadow pages go.
 */
#define CACHED_MAX_PINS		(1U << 18)

union cached_role {
	u32 word;
	struct {
		u32 level:3;		/* shadow level, 1 (PT) to 4 (PML4) */
		u32 glevels:3;		/* guest paging: 0 off, 2, 3 (PAE), 4 */
		u32 quadrant:2;		/* the part of a 32-bit guest table */
		u32 direct:1;		/* no guest table: paging off, large page */
		u32 dirty:1;		/* direct: the guest large page's D bit
					 * (after the access that made it) */
		u32 access:3;		/* PERM_* of the guest entries above */
		u32 cr0_wp:1;
		u32 smep:1;
		u32 smap:1;		/* a CR0.WP=0 supervisor leaf is only
					 * made without SMAP (shadow.h) */
		u32 nxe:1;
		u32 pse:1;
	};
};

struct cached_sp {
	gfn_t gfn;
	union cached_role role;
	u64 *spt;		/* the shadow table, 512 entries */
	gfn_t *gfns;		/* the gfn each leaf maps (level 1; level 2:
				 * the first, from its first 2 MiB leaf) */
	struct hlist_node hash;	/* in cvm->sp_hash, by gfn */
	struct list_head lru;	/* cvm->active, least recently used first */
	u64 **parents;		/* the SPTEs that point to this page */
	int nr_parents, max_parents;
	int root_count;		/* vCPUs using it as (part of) a root */
	bool zapped;		/* gone from the cache, freed when no root */
	unsigned int write_count;	/* emulated writes since last used */
	u64 use_gen;		/* cvm->gen of the last fault that used it */

	/*
	 * Out of sync (cached_sync.c): a level-1 page whose guest table is
	 * left writable.  gptes holds, for each present leaf, the guest
	 * entry it was made from (4 or 8 bytes each, as the guest's), which
	 * the resync compares with the table's entries then.
	 */
	bool unsync;
	struct list_head unsync_link;	/* in cvm->unsync */
	void *gptes;			/* a page, from the first unsync */
};

/*
 * How many shadowed guest tables lie in one 2 MiB frame of guest memory
 * (gfn / 512): while any does, no 2 MiB leaf maps the frame, so that the
 * tables can be write-protected page by page.
 */
struct cached_lpage {
	struct hlist_node node;
	u64 frame;
	unsigned int count;
};

/*
 * The leaf SPTEs that map one gfn, or (a key with CACHED_RMAP_LARGE) the
 * 2 MiB leaves that map one frame.
 */
struct cached_rmap {
	struct hlist_node node;
	gfn_t gfn;
	int n, max;
	u64 **sptes;
};

struct cached_vm {
	struct kvm *kvm;
	struct mutex lock;
	DECLARE_HASHTABLE(sp_hash, CACHED_HASH_BITS);
	DECLARE_HASHTABLE(rmap, CACHED_RMAP_BITS);
	DECLARE_HASHTABLE(lpage, CACHED_LPAGE_BITS);
	struct hlist_head rmap_spare;	/* emptied entries, for reuse */
	unsigned int nr_rmap_spare;
	struct list_head active;	/* cached pages, LRU order */
	struct list_head zapped_roots;	/* zapped, still some vCPU's root */
	unsigned long nr_pages;		/* pages allocated, zapped roots included */
	unsigned long max_pages;
	u64 gen;			/* page faults so far */
	bool unsync_on;			/* cached_unsync, sampled at creation */
	bool prefetch;			/* cached_prefetch, likewise */
	struct list_head unsync;	/* out-of-sync pages */
	void *sync_buf;			/* a page: a guest table, read to resync */

	/* Released by cached_commit(), after the TLB flush. */
	bool need_flush;
	struct shadow_release release;
	struct list_head free_list;	/* zapped pages to free */

	struct kvm_mmu_vm_stats stats;
	u64 audit_errors;		/* mismatches cached_audit() found */
};

struct cached_vcpu {
	struct kvm_vcpu *vcpu;
	bool root_valid;		/* root_hpa is this mode's and current */
	int root_level;			/* 4 or 3 (PAE) */
	hpa_t root_hpa;
	struct cached_sp *root;		/* root_level 4 */
	u64 *pae_root;			/* root_level 3, below 4 GiB */
	struct cached_sp *pae_sp[4];
	struct kvm_mmu_stats stats;
};

/* The size of @sp's guest entries: 4 bytes in 32-bit paging, else 8. */
static inline unsigned int cached_gpte_size(const struct cached_sp *sp)
{
	return sp->role.glevels == 2 ? 4 : 8;
}

/*
 * Where @sp's guest entries start: its guest table, or for a 32-bit
 * guest's level-1 page the half (quadrant) of it that @sp shadows.
 */
static inline gpa_t cached_gpte_base(const struct cached_sp *sp)
{
	gpa_t base = (gpa_t)sp->gfn << PAGE_SHIFT;

	if (sp->role.glevels == 2)
		base += sp->role.quadrant * PT64_ENT_PER_PAGE * 4;
	return base;
}

/* Entry @i of a guest table (or its quadrant) read into @table. */
static inline u64 cached_gpte_read(const struct cached_sp *sp,
				   const void *table, int i)
{
	if (cached_gpte_size(sp) == 4)
		return ((const u32 *)table)[i];
	return ((const u64 *)table)[i];
}

static inline void cached_gpte_set(struct cached_sp *sp, int i, u64 gpte)
{
	if (cached_gpte_size(sp) == 4)
		((u32 *)sp->gptes)[i] = gpte;
	else
		((u64 *)sp->gptes)[i] = gpte;
}

static inline struct cached_vm *to_cvm(struct kvm *kvm)
{
	return kvm->mmu;
}

/* The shadow page a present non-leaf SPTE points to. */
static inline struct cached_sp *cached_sp_of(u64 spte)
{
	return (struct cached_sp *)page_private(virt_to_page(spte_table(spte)));
}

/* Whether some cached shadow page shadows the guest table at @gfn. */
bool cached_gfn_shadowed(struct cached_vm *cvm, gfn_t gfn);

/* cached_sp.c: the shadow pages.  Callers hold cvm->lock. */
void cached_write_protect(struct cached_vm *cvm, gfn_t gfn);
/* Free the reverse map's spare entries (VM destruction). */
void cached_rmap_free_spares(struct cached_vm *cvm);
int cached_set_leaf(struct cached_vm *cvm, struct cached_sp *sp, int i,
		    gfn_t gfn, u64 gpte, u64 spte);
int cached_set_large(struct cached_vm *cvm, struct cached_sp *sp, int i,
		     gfn_t gfn, u64 spte);
/* Whether a shadowed guest table lies in @gfn's 2 MiB frame. */
bool cached_lpage_shadowed(struct cached_vm *cvm, gfn_t gfn);
int cached_parent_add(struct cached_sp *sp, u64 *sptep);
void cached_drop_spte(struct cached_vm *cvm, struct cached_sp *sp, int i);
void __cached_zap_sp(struct cached_vm *cvm, struct cached_sp *sp,
		     unsigned int op);
void cached_zap_sp(struct cached_vm *cvm, struct cached_sp *sp);
void cached_zap_gfn_op(struct cached_vm *cvm, gfn_t gfn, unsigned int op);
void cached_zap_gfn(struct cached_vm *cvm, gfn_t gfn);
void cached_zap_all(struct cached_vm *cvm);
void cached_commit(struct cached_vm *cvm);
bool cached_reclaim_one(struct cached_vm *cvm);
struct cached_sp *cached_get_sp(struct cached_vm *cvm, gfn_t gfn,
				union cached_role role, bool *created);

/*
 * cached_sync.c: out-of-sync pages and prefetch.  Callers hold cvm->lock
 * and kvm->slots_lock for read.
 */

/*
 * Whether the guest's writes to the table at @gfn must fault: some
 * shadow page shadows it and is in sync.
 */
bool cached_gfn_protected(struct cached_vm *cvm, gfn_t gfn);
/*
 * A guest write to the protected table at @gfn: leave it writable,
 * every shadow page of it out of sync, if all can be (level 1, and
 * cached_unsync on).  False if the write must be emulated.
 */
bool cached_unsync_gfn(struct cached_vm *cvm, gfn_t gfn);
/* A CR3 load or TLB flush: bring every out-of-sync page back in line. */
void cached_sync_all(struct cached_vm *cvm);
/* INVLPG: bring @gva's leaf on @cv's root back in line. */
void cached_sync_gva(struct cached_vm *cvm, struct cached_vcpu *cv, gva_t gva);
/*
 * Unsync @sp is being linked into a path again: INVLPGs of the guest
 * while no path reached it could not drop its stale leaves, so drop them
 * now (it stays unsync, as upstream's).  False if @sp had to go.
 */
bool cached_sync_relinked(struct cached_vm *cvm, struct cached_sp *sp);
/* Take @sp off the out-of-sync list (it is being zapped). */
void cached_sp_forget_unsync(struct cached_vm *cvm, struct cached_sp *sp);
/*
 * After the fault on @gva installed its leaf in @sp: map the present,
 * accessed neighbours in the same group of 8 guest entries too.
 */
void cached_prefetch(struct cached_vm *cvm, struct cached_sp *sp,
		     const struct guest_paging *pg,
		     const struct guest_walk *walk, gva_t gva);

/*
 * The audit (module parameter cached_audit): check every leaf reachable
 * from @cv's root against the guest's tables; report and count each
 * mismatch.  Caller holds cvm->lock and kvm->slots_lock for read.
 */
extern bool cached_audit;
void cached_audit_root(struct cached_vm *cvm, struct cached_vcpu *cv);

#endif /* KVM_RESEARCH_MMU_CACHED_H */
