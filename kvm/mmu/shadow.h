/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shadow-paging strategies share besides the walker and the
 * SPTE encoding: pinning the VMM's pages that leaves map, and releasing
 * those pins once no TLB can reach the pages any more.
 */
#ifndef KVM_RESEARCH_MMU_SHADOW_H
#define KVM_RESEARCH_MMU_SHADOW_H

#include <linux/errno.h>
#include <linux/mm_types.h>
#include <linux/types.h>

#include "mmu/mmu.h"
#include "mmu/walk.h"

struct seq_file;

/*
 * Print "name value" lines for stats_show(): each counter of @s whose
 * name is marked in @which (SHADOW_STATS_*), prefixed with @prefix.
 */
#define SHADOW_STATS_PAGES	BIT(0)	/* shadow_pages ... pinned */
#define SHADOW_STATS_FAULTS	BIT(1)	/*
 * The shadow root's shape for @vcpu's mode, as the hardware will walk it
 * (kvm_paging_mode(), which the backends follow too): 4-level in long
 * mode, a PAE PDPT otherwise; -EINVAL for a state that must not run.
 */
static inline int shadow_root_level(struct kvm_vcpu *vcpu)
{
	switch (kvm_paging_mode(vcpu)) {
	case KVM_PAGING_INVALID:
		return -EINVAL;
	case KVM_PAGING_LONG:
		return 4;
	default:
		return 3;
	}
}

/* pf_* ... overflows */
void shadow_show_stats(struct seq_file *m, const char *prefix,
		       const struct kvm_mmu_stats *s, unsigned int which);
/* Add @b's counters to @a. */
void shadow_add_stats(struct kvm_mmu_stats *a, const struct kvm_mmu_stats *b);

/* What the access that faulted was (KVM_ACC_*), from the error code. */
u32 shadow_fault_access(u32 error_code);

/*
 * Whether the hardware refused an access on a present leaf @spte that
 * allows it as far as its bits go.  What the hardware checked that we
 * cannot see is then the guest's own CR4.SMEP or SMAP (an implicit
 * supervisor access, which looks explicit from here): the guest's fault,
 * and re-installing the same leaf would fault forever.  A leaf the
 * strategy changed cannot be the cause: every change is followed by a
 * TLB flush.
 */
bool shadow_refused_permitted(const struct kvm_page_fault *fault, u64 spte,
			      u32 access);

/*
 * A supervisor write to a read-only user page with CR0.WP clear and
 * CR4.SMAP set: the guest allows it (with RFLAGS.AC), but no shadow entry
 * can say so.  spte_shadow_perm() would make the page a writable
 * supervisor page, which SMAP no longer guards.  The emulator does the
 * write instead.
 */
bool shadow_write_needs_emulation(const struct guest_paging *pg,
				  const struct guest_walk *walk, u32 access);

/*
 * The VMM's address of guest-physical @gpa for an access: false if it is
 * no memory, or a write to read-only memory, which the emulator must do
 * (it walks again and sets A/D then).  *@slot_writable: the slot allows
 * writes.
 */
bool shadow_gpa_hva(struct kvm *kvm, gpa_t gpa, bool write,
		    unsigned long *hva, bool *slot_writable);

/*
 * Before a leaf for @walk goes in: pin the page at @hva (dropping
 * PERM_WRITE from *@perm if the VMM's mapping is read-only), then set the
 * guest's A/D bits as the hardware would for the access (D for a write,
 * so that a writable leaf never lets a write through to a clean page).
 * In a slot that logs dirty pages, only a @write keeps PERM_WRITE, and
 * logs the page.  0 with *@page pinned; -EAGAIN if a guest entry changed
 * meanwhile (fault again on the new tables); or an errno.
 */
int shadow_prepare_leaf(const struct guest_paging *pg, struct guest_walk *walk,
			unsigned long hva, bool slot_writable, bool write,
			u32 *perm, struct page **page);

/*
 * Pin the VMM's page at @hva for a leaf SPTE.  A writable slot's page is
 * pinned for write even for a read-only SPTE (shadow.c says why); if the
 * VMM mapped it read-only, a read falls back to a read pin and
 * *@pinned_write says so.  0 or a negative errno.
 */
int shadow_pin(unsigned long hva, bool slot_writable, bool need_write,
	       struct page **page, bool *pinned_write);

/* Release the pin of a present leaf SPTE now (its page may be dirty). */
void shadow_unpin_leaf(u64 spte);

/*
 * Pins of dropped leaves waiting for a TLB flush, after which no vCPU
 * can reach their pages.  A fixed batch: when it is full, the owner must
 * flush and release before deferring more.
 */
#define SHADOW_RELEASE_BATCH	256

struct shadow_release {
	int n;
	u64 sptes[SHADOW_RELEASE_BATCH];
};

static inline bool shadow_release_full(const struct shadow_release *rel)
{
	return rel->n == SHADOW_RELEASE_BATCH;
}

/* Remember @spte's pin; the batch must not be full. */
void shadow_release_defer(struct shadow_release *rel, u64 spte);
/* Release every remembered pin: call after the TLB flush. */
void shadow_release_all(struct shadow_release *rel);

#endif /* KVM_RESEARCH_MMU_SHADOW_H */
