/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest page-table walker: guest-virtual to guest-physical in every
 * guest paging mode, with the hardware's permission checks, reserved-bit
 * checks, error codes and A/D bits.  Strategy-independent: any shadow
 * strategy (and the instruction emulator, through translate()) uses it.
 */
#ifndef KVM_RESEARCH_MMU_WALK_H
#define KVM_RESEARCH_MMU_WALK_H

#include "kvm_host.h"

#define GUEST_MAX_LEVELS	4

/*
 * The guest's paging mode and the control bits that affect translation,
 * sampled once per walk from the vCPU's guest state.
 */
struct guest_paging {
	struct kvm_vcpu *vcpu;
	int levels;		/* 0: paging off, 2: 32-bit, 3: PAE, 4: long mode */
	u64 cr3;
	bool wp;		/* CR0.WP */
	bool pse;		/* CR4.PSE (32-bit paging only) */
	bool nxe;		/* EFER.NXE */
	bool smep;		/* CR4.SMEP */
	bool smap;		/* CR4.SMAP */
	bool tdp;		/* nested paging: the hardware walks first */
	u8 maxphyaddr;
};

/* The outcome of guest_walk(). */
enum {
	WALK_OK = 0,
	WALK_FAULT = 1,		/* the guest gets #PF with walk->error_code */
};

struct guest_walk {
	/* WALK_OK */
	gpa_t gpa;
	u32 perm;		/* PERM_*, effective over every level */
	int leaf_level;		/* 1: 4 KiB, 2: 2/4 MiB, 3: 1 GiB, 0: paging off */
	bool pse_4m;		/* the leaf is a 32-bit paging 4 MiB page */
	bool dirty;		/* the leaf's D bit (true with paging off) */

	/* WALK_FAULT */
	u32 error_code;

	/* The entries the walk read, top-down, for guest_walk_set_ad(). */
	int nr_ptes;
	int pte_size;		/* 4 or 8 bytes */
	struct {
		gpa_t gpa;
		u64 val;
		bool has_a;	/* false for PAE PDPTEs, which have no A bit */
	} ptes[GUEST_MAX_LEVELS];
};

void guest_paging_init(struct guest_paging *pg, struct kvm_vcpu *vcpu);

/*
 * Walk the guest's tables for a KVM_ACC_* @access to @gva, without
 * writing anything.  Returns WALK_OK, WALK_FAULT, or -EFAULT if the VMM's
 * memory behind a guest page table could not be read.  Caller holds
 * kvm->slots_lock for read.
 */
int guest_walk(const struct guest_paging *pg, gva_t gva, u32 access,
	       struct guest_walk *walk);

/*
 * After a WALK_OK the caller decided to use: set A on every entry used
 * and D on the leaf if @write, as the hardware does for a successful
 * translation, with an atomic compare-and-exchange on the guest's memory.
 * Returns 0, -EAGAIN if an entry changed since the walk (walk again), or
 * -EFAULT if the VMM's memory could not be written.
 */
int guest_walk_set_ad(const struct guest_paging *pg, struct guest_walk *walk,
		      bool write);

/*
 * Whether a present PAE PDPTE has a reserved bit set: everything but P,
 * PWT, PCD, the address and the ignored bits 11:9 is reserved.
 */
bool guest_pdpte_reserved(const struct guest_paging *pg, u64 pdpte);

/* The #PF error code the guest gets for @access, plus @pf_bits (P, RSVD). */
u32 guest_pf_error_code(const struct guest_paging *pg, u32 access, u32 pf_bits);

/* The translate() op of the shadow strategies: walk, set A/D, retry. */
gpa_t guest_translate(struct kvm_vcpu *vcpu, gva_t gva, u32 access,
		      bool set_ad, u32 *error_code);

#endif /* KVM_RESEARCH_MMU_WALK_H */
