// SPDX-License-Identifier: GPL-2.0
/*
 * The guest page-table walker (see walk.h): the mode-independent half,
 * and the two instances of paging_tmpl.h.
 *
 * Guest page tables live in guest memory, which is the VMM's memory: the
 * walker reads them with get_user() through the slots' hvas (the caller
 * runs in the VMM's process, with kvm->slots_lock held for read), and
 * writes A/D bits with a locked cmpxchg on the same user addresses, so
 * that it races correctly with other vCPUs running on the same tables.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "mmu/spte.h"
#include "mmu/walk.h"

/* Bits @lo to @hi, or none when @hi < @lo (e.g. above a MAXPHYADDR of 52). */
static u64 rsvd_bits(int lo, int hi)
{
	if (hi < lo)
		return 0;
	return GENMASK_ULL(hi, lo);
}

void guest_paging_init(struct guest_paging *pg, struct kvm_vcpu *vcpu)
{
	pg->vcpu = vcpu;
	pg->cr3 = vcpu->cr3;
	pg->wp = vcpu->cr0 & X86_CR0_WP;
	pg->pse = vcpu->cr4 & X86_CR4_PSE;
	pg->smep = vcpu->cr4 & X86_CR4_SMEP;
	pg->smap = vcpu->cr4 & X86_CR4_SMAP;
	pg->tdp = kvm_mmu_is_tdp(vcpu->kvm);
	/* The host's; the guest's CPUID should not report more. */
	pg->maxphyaddr = clamp_t(int, boot_cpu_data.x86_phys_bits, 32, 52);

	/*
	 * KVM_PAGING_* are the levels.  A state that must not run
	 * (KVM_PAGING_INVALID) never gets here: load_root() refuses it.
	 */
	pg->levels = max_t(int, kvm_paging_mode(vcpu), KVM_PAGING_OFF);

	/*
	 * EFER.NXE only means something with 64-bit entries: 32-bit paging
	 * has no XD bit, and then (SDM 4.7) the error code's I/D bit
	 * depends on SMEP alone.
	 */
	pg->nxe = (vcpu->efer & EFER_NX) && pg->levels >= 3;
}

/*
 * Whether the guest offers 1 GiB pages (CPUID 0x80000001 EDX bit 26).
 * Looked up only when a walk meets a PDPTE with PS set, which is rare
 * enough that the CPUID table scan does not matter.
 */
static bool guest_has_gbpages(const struct guest_paging *pg)
{
	const struct kvm_cpuid_entry2 *e;

	e = kvm_find_cpuid_entry(pg->vcpu, 0x80000001, 0);
	return e && (e->edx & BIT(26));
}

/*
 * Under nested paging (mmu=tdp) this walk follows the hardware's own: the
 * exit that needs it (a nested fault on the final address or on a guest
 * table below the PDPT) came after the hardware had used the PDPTE.  QEMU's
 * SVM (TCG) sets the A bit in legacy-PAE PDPTEs as it walks, which AMD
 * hardware does not (../shared/LAB.md): for a tdp guest bit 5 is taken as
 * the hardware left it, not as reserved, or every PAE guest that touches
 * MMIO in the svm lab would get a reserved-bit #PF from the emulator.
 * Upstream's walker does not check a PDPTE at walk time at all (its cached
 * PDPTEs were checked when loaded).
 */
bool guest_pdpte_reserved(const struct guest_paging *pg, u64 pdpte)
{
	u64 rsvd = rsvd_bits(pg->maxphyaddr, 63) | rsvd_bits(5, 8) |
		   rsvd_bits(1, 2);

	if (pg->tdp)
		rsvd &= ~PT_ACCESSED_MASK;
	return pdpte & rsvd;
}

u32 guest_pf_error_code(const struct guest_paging *pg, u32 access, u32 pf_bits)
{
	u32 ec = pf_bits;

	if (access & KVM_ACC_WRITE)
		ec |= PFERR_WRITE_MASK;
	if (access & KVM_ACC_USER)
		ec |= PFERR_USER_MASK;
	if ((access & KVM_ACC_FETCH) && (pg->nxe || pg->smep))
		ec |= PFERR_FETCH_MASK;
	return ec;
}

static int walk_fault(const struct guest_paging *pg, struct guest_walk *walk,
		      u32 access, u32 pf_bits)
{
	walk->error_code = guest_pf_error_code(pg, access, pf_bits);
	return WALK_FAULT;
}

/*
 * SMAP forbids a supervisor-mode data access to a user page unless the
 * access is explicit, CPL < 3 and RFLAGS.AC = 1.  A supervisor-mode access
 * at CPL 3 can only be implicit (descriptor tables, TSS).  An implicit
 * access at CPL < 3 looks explicit from here; the hardware, which runs the
 * guest with its CR4.SMAP, catches that case (see naive_page_fault()).
 */
static bool smap_forbids(const struct guest_paging *pg)
{
	struct kvm_vcpu *vcpu = pg->vcpu;

	if (!(vcpu->rflags & X86_EFLAGS_AC))
		return true;
	return kvm_vendor->get_cpl(vcpu) == 3;
}

/*
 * Whether an access of kind @access (KVM_ACC_*) to a translation with
 * effective rights @perm faults, per SDM 4.6: user accesses need U (and W
 * to write); supervisor writes need W only with CR0.WP; fetches need !NX,
 * and from the supervisor a non-user page when SMEP is on; supervisor
 * data accesses to user pages obey SMAP.
 */
static bool walk_permission_fault(const struct guest_paging *pg, u32 perm,
				  u32 access)
{
	bool user = access & KVM_ACC_USER;

	if (access & KVM_ACC_FETCH) {
		if (!(perm & PERM_EXEC))
			return true;
		if (user)
			return !(perm & PERM_USER);
		return pg->smep && (perm & PERM_USER);
	}
	if (user)
		return !(perm & PERM_USER) ||
		       ((access & KVM_ACC_WRITE) && !(perm & PERM_WRITE));
	if ((access & KVM_ACC_WRITE) && !(perm & PERM_WRITE) && pg->wp)
		return true;
	return pg->smap && (perm & PERM_USER) && smap_forbids(pg);
}

#define PTTYPE 32
#include "paging_tmpl.h"
#undef PTTYPE

#define PTTYPE 64
#include "paging_tmpl.h"
#undef PTTYPE

int guest_walk(const struct guest_paging *pg, gva_t gva, u32 access,
	       struct guest_walk *walk)
{
	walk->error_code = 0;

	/* Outside long mode, linear addresses have 32 bits. */
	switch (pg->levels) {
	case 4:
		return paging64_walk(pg, gva, access, walk);
	case 3:
		return paging64_walk(pg, (u32)gva, access, walk);
	case 2:
		return paging32_walk(pg, (u32)gva, access, walk);
	}

	/* Paging off: the identity, every right, no A/D bits to set. */
	walk->nr_ptes = 0;
	walk->pte_size = 8;
	walk->gpa = (u32)gva;
	walk->perm = PERM_ALL;
	walk->leaf_level = 0;
	walk->pse_4m = false;
	walk->dirty = true;
	return WALK_OK;
}

int guest_walk_set_ad(const struct guest_paging *pg, struct guest_walk *walk,
		      bool write)
{
	int i, j, r;

	for (i = 0; i < walk->nr_ptes; i++) {
		bool leaf = i == walk->nr_ptes - 1;
		u64 old = walk->ptes[i].val;
		u64 new = old | PT_ACCESSED_MASK;

		if (!walk->ptes[i].has_a)
			continue;
		if (leaf && write)
			new |= PT_DIRTY_MASK;
		if (new == old)
			continue;
		/*
		 * A table in read-only memory (a ROM slot) keeps its bits:
		 * the write is dropped, as a write to ROM would be.
		 */
		r = kvm_cmpxchg_guest(pg->vcpu->kvm, walk->ptes[i].gpa,
				      walk->pte_size, old, new);
		if (r == -ENOENT)
			r = 0;
		if (r)
			return r;
		/*
		 * A self-referencing table makes the walk use one entry at
		 * several levels: the later uses must expect the new value,
		 * or their cmpxchg would fail against our own write.
		 */
		for (j = i; j < walk->nr_ptes; j++)
			if (walk->ptes[j].gpa == walk->ptes[i].gpa)
				walk->ptes[j].val = new;
	}
	if (write)
		walk->dirty = true;
	return 0;
}

/*
 * The translate() op.  A walk whose A/D update lost a race with another
 * vCPU writing the same entry is done again, as the hardware would
 * re-read the entry; a fatal signal ends the loop, the answer no longer
 * matters then.
 */
gpa_t guest_translate(struct kvm_vcpu *vcpu, gva_t gva, u32 access,
		      bool set_ad, u32 *error_code)
{
	struct guest_paging pg;
	struct guest_walk walk;
	u32 ec;
	int r;

	guest_paging_init(&pg, vcpu);
	for (;;) {
		r = guest_walk(&pg, gva, access, &walk);
		if (r == WALK_OK && set_ad)
			r = guest_walk_set_ad(&pg, &walk, access & KVM_ACC_WRITE);
		if (r == WALK_OK) {
			if (error_code)
				*error_code = 0;
			return walk.gpa;
		}
		if (r == WALK_FAULT) {
			ec = walk.error_code;
			break;
		}
		if (r != -EAGAIN || fatal_signal_pending(current)) {
			/*
			 * The VMM's memory behind a guest table is gone:
			 * the guest sees its table as not present.
			 */
			ec = guest_pf_error_code(&pg, access, 0);
			break;
		}
		cond_resched();
	}
	if (error_code)
		*error_code = ec;
	return KVM_INVALID_GPA;
}
