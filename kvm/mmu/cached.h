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
	gfn_t *gfns;		/* level 1: the gfn each leaf maps */
	struct hlist_node hash;	/* in cvm->sp_hash, by gfn */
	struct list_head lru;	/* cvm->active, least recently used first */
	u64 **parents;		/* the SPTEs that point to this page */
	int nr_parents, max_parents;
	int root_count;		/* vCPUs using it as (part of) a root */
	bool zapped;		/* gone from the cache, freed when no root */
	unsigned int write_count;	/* emulated writes since last used */
	u64 use_gen;		/* cvm->gen of the last fault that used it */
};

/* The leaf SPTEs that map one gfn. */
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
	struct list_head active;	/* cached pages, LRU order */
	struct list_head zapped_roots;	/* zapped, still some vCPU's root */
	unsigned long nr_pages;		/* pages allocated, zapped roots included */
	unsigned long max_pages;
	u64 gen;			/* page faults so far */

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

/*
 * The audit (module parameter cached_audit): check every leaf reachable
 * from @cv's root against the guest's tables; report and count each
 * mismatch.  Caller holds cvm->lock and kvm->slots_lock for read.
 */
extern bool cached_audit;
void cached_audit_root(struct cached_vm *cvm, struct cached_vcpu *cv);

#endif /* KVM_RESEARCH_MMU_CACHED_H */
