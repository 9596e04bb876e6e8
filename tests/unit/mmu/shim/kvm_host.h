/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checker's stand-in for kvm/kvm_host.h: what the MMU strategies
 * (kvm/mmu/) use of the core, with the same names and types.
 *
 * struct kvm_vcpu and struct kvm carry only the fields the MMU code and
 * the checker's core functions touch; a strategy that needs another field
 * of the real structures gets it added here under the same name and type.
 * The checker embeds struct kvm_vcpu in its own vCPU (container_of), as
 * the backends do.
 */
#ifndef MMUCHECK_SHIM_KVM_HOST_H
#define MMUCHECK_SHIM_KVM_HOST_H

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>

typedef u64 gpa_t;
typedef u64 gva_t;
typedef u64 gfn_t;
typedef u64 hpa_t;

#define KVM_MAX_VCPUS		16
#define KVM_MAX_MEM_SLOTS	32
#define KVM_MEM_SLOTS_ALL	KVM_MAX_MEM_SLOTS	/* no private slot here */
#define KVM_MAX_CPUID_ENTRIES	80
#define KVM_INVALID_GPA		(~(gpa_t)0)
#define KVM_HVA_ERR		(~0UL)

#define KVM_REQ_MMU_RELOAD	0
#define KVM_REQ_TLB_FLUSH	1

/* From <linux/kvm.h>, which would drag in the host's uapi types. */
#define KVM_MEM_READONLY		(1UL << 1)
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX	BIT(0)

struct kvm_cpuid_entry2 {
	u32 function;
	u32 index;
	u32 flags;
	u32 eax;
	u32 ebx;
	u32 ecx;
	u32 edx;
	u32 padding[3];
};

struct kvm;
struct kvm_vcpu;
struct kvm_mmu_ops;

struct kvm_memory_slot {
	u32 id;
	u32 flags;		/* KVM_MEM_READONLY */
	gfn_t base_gfn;
	u64 npages;		/* 0: the slot is unused */
	unsigned long userspace_addr;
	unsigned long *dirty_bitmap;	/* a bit per page while logging, or NULL */
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;

	u64 rflags;
	u64 cr0, cr3, cr4;
	u64 efer;

	void *mmu;			/* the MMU strategy's per-vCPU state */

	/* KVM_REQ_* bits, handled by the vCPU before entry. */
	unsigned long requests;
};

struct kvm {
	const struct kvm_mmu_ops *mmu_ops;

	/* Readers: vCPUs looking up slots.  Writers: slot changes. */
	struct rw_semaphore slots_lock;
	struct kvm_memory_slot slots[KVM_MAX_MEM_SLOTS];

	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	int nr_vcpus;

	void *mmu;			/* the MMU strategy's per-VM state */
	bool dying;			/* set by teardown(), as kvm_destroy() does */
};

/* The backend operations the MMU code calls. */
struct kvm_vendor_ops {
	const char *name;
	int (*get_cpl)(struct kvm_vcpu *vcpu);
	/* The MMU strategy's root changed, or its TLB entries are stale. */
	void (*flush_tlb)(struct kvm_vcpu *vcpu);
};

extern const struct kvm_vendor_ops *kvm_vendor;

/* guest_mem.c's, itself, over the checker's slots; caller holds slots_lock. */
struct kvm_memory_slot *kvm_gfn_to_slot(struct kvm *kvm, gfn_t gfn);
unsigned long kvm_gfn_to_hva(struct kvm *kvm, gfn_t gfn, bool write);
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len);
int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data,
		    unsigned long len);
int kvm_cmpxchg_guest(struct kvm *kvm, gpa_t gpa, unsigned int size, u64 old,
		      u64 new);
void kvm_mark_page_dirty(struct kvm *kvm, gfn_t gfn);

/*
 * vcpu.c's: the checker runs one vCPU at a time, so every other vCPU is
 * outside guest mode and sees the request before its next access, and
 * the calling vCPU before it re-enters.
 */
void kvm_make_all_vcpus_request(struct kvm *kvm, int req);
void kvm_flush_remote_tlbs(struct kvm *kvm);

/* The module's own: the paging mode of a vCPU (kvm_paging_mode()). */
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "paging_mode.h"

/* cpuid.c's. */
const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu,
						     u32 function, u32 index);

#endif
