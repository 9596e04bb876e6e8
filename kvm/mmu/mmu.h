/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_RESEARCH_MMU_H
#define KVM_RESEARCH_MMU_H

#include "kvm_host.h"

/*
 * One way of virtualizing guest memory.  Strategies:
 *   naive  - shadow page tables, all dropped on every guest CR3 switch or
 *            TLB flush;
 *   cached - shadow page tables kept across CR3 switches, kept coherent by
 *            write-protecting the guest's page tables;
 *   tdp    - two-dimensional paging in hardware (AMD NPT / Intel EPT).
 *
 * A VM samples the "mmu" parameter once, at creation, and keeps that
 * strategy for life (kvm->mmu_ops).
 */

/* Page-fault error code bits, as the hardware reports them. */
#define PFERR_PRESENT_MASK	BIT(0)
#define PFERR_WRITE_MASK	BIT(1)
#define PFERR_USER_MASK		BIT(2)
#define PFERR_RSVD_MASK		BIT(3)
#define PFERR_FETCH_MASK	BIT(4)

/*
 * The input and output of one shadow page fault.  The backend fills in
 * the input from its #PF intercept; the strategy fills in the output.
 */
struct kvm_page_fault {
	/* in */
	gva_t addr;		/* the faulting linear address (CR2) */
	u32 error_code;		/* PFERR_* as the hardware reported it */

	/* out */
	gpa_t gpa;		/* the translation, for RET_PF_EMULATE */
	u32 guest_error_code;	/* for RET_PF_GUEST: the #PF the guest gets */
	bool pt_write;		/* RET_PF_EMULATE: a write to a guest page
				 * table the strategy write-protects; if the
				 * emulator cannot do it, unprotect() */
};

/*
 * Result of handling a shadow page fault:
 *
 * RET_PF_FIXED     the shadow now maps the address; re-enter the guest.
 * RET_PF_RETRY     nothing to do (e.g. another vCPU fixed it); re-enter.
 * RET_PF_GUEST     the guest's own page tables forbid the access: inject
 *                  #PF with fault->guest_error_code, CR2 = fault->addr.
 * RET_PF_EMULATE   the address translates to fault->gpa, which is no
 *                  memory (MMIO) or read-only memory written: emulate the
 *                  instruction.
 * < 0              an error (e.g. -ENOMEM, -EFAULT) for KVM_RUN to return.
 */
enum {
	RET_PF_FIXED = 0,
	RET_PF_RETRY,
	RET_PF_GUEST,
	RET_PF_EMULATE,
};

/* What kvmmmu:mmu_flush says dropped mappings (trace/mmu_trace.h). */
#define KVM_MMU_FLUSH_CR3	0	/* a CR3 write */
#define KVM_MMU_FLUSH_INVLPG	1
#define KVM_MMU_FLUSH_FULL	2	/* mode change, reload request, a bound */
#define KVM_MMU_FLUSH_REMOTE	3	/* every vCPU's TLB */

/* What kvmmmu:mmu_sp says happened to a shadow page. */
#define KVM_MMU_SP_CREATE	0
#define KVM_MMU_SP_ZAP		1
#define KVM_MMU_SP_RECLAIM	2	/* zapped to stay within a bound */
#define KVM_MMU_SP_FLOOD	3	/* zapped: its table was written too often */
#define KVM_MMU_SP_UNPROTECT	4	/* zapped: the emulator failed */
#define KVM_MMU_SP_UNSYNC	5	/* its guest table left writable */
#define KVM_MMU_SP_SYNC		6	/* brought back in line, protected */

/*
 * Access flags for translate(): what the access is, for permission
 * checks and A/D bits.
 */
#define KVM_ACC_WRITE	BIT(0)
#define KVM_ACC_USER	BIT(1)
#define KVM_ACC_FETCH	BIT(2)

struct seq_file;

struct kvm_mmu_ops {
	const char *name;

	/* Per-VM and per-vCPU state; destroy also unpins every page. */
	int (*vm_init)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);
	int (*vcpu_init)(struct kvm_vcpu *vcpu);
	void (*vcpu_destroy)(struct kvm_vcpu *vcpu);

	/*
	 * The root the hardware must use as guest CR3 (shadow paging) or
	 * nested CR3 (tdp), building it if needed.  Called before every
	 * guest entry.  For a guest outside long mode, the root is a PAE
	 * page-directory-pointer table below 4 GiB.
	 */
	int (*load_root)(struct kvm_vcpu *vcpu, hpa_t *root);

	int (*page_fault)(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);

	/* The guest wrote CR3, or changed CR0.PG/WP, CR4.PAE/PSE/SMEP/..., EFER.LMA/NXE. */
	void (*new_cr3)(struct kvm_vcpu *vcpu);
	/* INVLPG: drop the one mapping. */
	void (*invlpg)(struct kvm_vcpu *vcpu, gva_t gva);

	/*
	 * Walk the guest's page tables: gva to gpa with the given KVM_ACC_*
	 * access.  Sets A (and D for writes) bits like hardware when
	 * set_ad.  Returns the gpa, or KVM_INVALID_GPA with *error_code set
	 * to the #PF error code the guest would get.
	 */
	gpa_t (*translate)(struct kvm_vcpu *vcpu, gva_t gva, u32 access,
			   bool set_ad, u32 *error_code);

	/*
	 * The emulator wrote @len bytes of @val at @gpa, in guest RAM, for a
	 * write that page_fault() sent to emulation (RET_PF_EMULATE): a
	 * write to a guest page table the strategy write-protects.  Called
	 * after the bytes are in memory.  NULL if the strategy protects
	 * nothing.
	 */
	void (*track_write)(struct kvm_vcpu *vcpu, gpa_t gpa, const void *val,
			    int len);

	/*
	 * The emulator could not do a write that page_fault() sent to it
	 * with fault->pt_write: stop protecting the table at @gpa, so that
	 * the guest can run the instruction itself.
	 */
	void (*unprotect)(struct kvm_vcpu *vcpu, gpa_t gpa);

	/* A memory slot is going away or changing: drop what maps it. */
	void (*slot_changed)(struct kvm *kvm, const struct kvm_memory_slot *slot);

	/*
	 * Dirty logging: the guest's next write to each page of @slot whose
	 * bit is set in @mask (bit i: page @first + i of the slot, @nbits
	 * bits) must fault, to be logged.  Take write access away from what
	 * maps them (or drop it); before returning, flush every vCPU's TLB
	 * if any took it away.  With dirty_log_harvest(), clearing the D
	 * bits of what maps them does instead.  Caller holds slots_lock for
	 * read.
	 */
	void (*dirty_log_protect)(struct kvm *kvm,
				  const struct kvm_memory_slot *slot, u64 first,
				  const unsigned long *mask, u64 nbits);

	/*
	 * Optional, for a strategy whose hardware logs writes in its own
	 * tables (tdp: D bits): set in @slot's dirty bitmap the pages written
	 * since their last dirty_log_protect().  KVM_GET_DIRTY_LOG calls it
	 * before it reads the bitmap.  Caller holds slots_lock for read.
	 */
	void (*dirty_log_harvest)(struct kvm *kvm,
				  const struct kvm_memory_slot *slot);

	/*
	 * debugfs kvm/PID-FD/mmu: the VM's counters, "name value" a line
	 * (racy snapshots: vCPUs may be running).
	 */
	void (*stats_show)(struct kvm *kvm, struct seq_file *m);
};

/* The strategy selected by the "mmu" module parameter right now. */
const struct kvm_mmu_ops *kvm_mmu_selected(void);

extern const struct kvm_mmu_ops kvm_mmu_naive;
extern const struct kvm_mmu_ops kvm_mmu_cached;
extern const struct kvm_mmu_ops kvm_mmu_tdp;

/* The backend can run mmu=tdp (SVM with NPT, VMX with EPT); set at hardware_setup. */
extern bool kvm_tdp_supported;
/* Nested tables in EPT format (VMX), not x86 format (SVM); hardware_setup. */
extern bool kvm_tdp_ept;
/* The largest nested leaf: 1 (4 KiB), 2 (2 MiB), 3 (1 GiB); hardware_setup. */
extern int kvm_tdp_max_level;
/*
 * The hardware sets A and D in the nested table (NPT always, EPT with its
 * A/D bits on): tdp.c then logs dirty pages by their D bits; hardware_setup.
 */
extern bool kvm_tdp_ad;

/*
 * The size at which the VMM maps @hva in its own page tables: 3 for a
 * 1 GiB page, 2 for a 2 MiB page (THP, hugetlbfs), else 1 (shadow.c).
 * A hint, stale at once: check the pinned page's folio.
 */
int kvm_host_page_level(unsigned long hva);

/* Whether @kvm runs on nested paging (the backend enables it per VM). */
static inline bool kvm_mmu_is_tdp(const struct kvm *kvm)
{
	return kvm->mmu_ops == &kvm_mmu_tdp;
}

/*
 * Counters of a shadow-paging vCPU (naive.c; the layout is meant to fit
 * the other shadow strategy too).  "now" counters go up and down, the
 * others only up, from vCPU creation.
 */
struct kvm_mmu_stats {
	u64 shadow_pages;	/* now: shadow page-table pages, root included */
	u64 shadow_created;	/* shadow pages allocated */
	u64 shadow_zapped;	/* shadow pages freed */
	u64 pinned;		/* now: guest pages pinned (present leaf SPTEs) */
	u64 pf_fixed;		/* #PF intercepts: shadow fixed (RET_PF_FIXED) */
	u64 pf_guest;		/* ... reflected to the guest (RET_PF_GUEST) */
	u64 pf_emulate;		/* ... sent to emulation (RET_PF_EMULATE) */
	u64 pf_retry;		/* ... re-entered without a fix (RET_PF_RETRY) */
	u64 new_cr3;		/* new_cr3() calls */
	u64 invlpg;		/* invlpg() calls */
	u64 root_drops;		/* times the whole shadow was dropped */
	u64 overflows;		/* ... of which because a bound was hit */
};

/*
 * Counters of a VM whose shadow pages are shared (cached.c): the shadow
 * pages and pins are the VM's, the faults its vCPUs'.
 */
struct kvm_mmu_vm_stats {
	u64 shadow_pages;	/* now: shadow pages, zapped roots included */
	u64 shadow_created;
	u64 shadow_zapped;	/* freed */
	u64 pinned;		/* now: present leaf SPTEs */
	u64 reclaimed;		/* zapped to stay within cached_max_pages */
	u64 flooded;		/* zapped for being written too often */
	u64 pte_writes;		/* emulated writes to shadowed tables */
	u64 unprotected;	/* zapped because the emulator failed */
	u64 unsynced;		/* pages let out of sync (cached_unsync) */
	u64 resynced;		/* ... brought back in line, whole */
	u64 resync_dropped;	/* leaves a resync dropped: their entry changed */
	u64 invlpg_resynced;	/* leaves INVLPG checked in an unsync page */
	u64 relink_resynced;	/* unsync pages checked as they were linked */
	u64 prefetched;		/* leaves made for neighbours (cached_prefetch) */
	u64 large;		/* now: 2 MiB leaves (of the pinned) */
	u64 large_created;	/* 2 MiB leaves ever made */
};

/*
 * A snapshot of @vcpu's counters (racy if the vCPU runs: each field is
 * read once, fields may be from different instants).  All zero if the
 * vCPU's VM does not use mmu=naive.
 */
void kvm_mmu_naive_get_stats(struct kvm_vcpu *vcpu, struct kvm_mmu_stats *stats);

/*
 * Over every naive vCPU of every VM, now: guest pages pinned and shadow
 * pages allocated.  Both are 0 once every naive VM is destroyed.
 */
u64 kvm_mmu_naive_pinned_total(void);
u64 kvm_mmu_naive_shadow_pages_total(void);
/* The same over every cached VM. */
u64 kvm_mmu_cached_pinned_total(void);
u64 kvm_mmu_cached_shadow_pages_total(void);
/* Over every tdp VM: pinned pages and nested table pages. */
u64 kvm_mmu_tdp_pinned_total(void);
u64 kvm_mmu_tdp_pages_total(void);

#endif /* KVM_RESEARCH_MMU_H */
