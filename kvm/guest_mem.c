// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory through the memory slots: guest-physical to the VMM's
 * address, reads, writes and cmpxchg, and the dirty log of each write
 * (kvm_mark_page_dirty()).  The calling thread must be one of the VM's
 * process, holding slots_lock.
 *
 * Also built in userspace by the MMU checker (tests/unit/mmu), over its
 * shim of the kernel interfaces used here.
 */
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "kvm_host.h"

/* Caller holds slots_lock (either way). */
struct kvm_memory_slot *kvm_gfn_to_slot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot;
	int i;

	lockdep_assert_held(&kvm->slots_lock);
	for (i = 0; i < KVM_MEM_SLOTS_ALL; i++) {
		slot = &kvm->slots[i];
		if (slot->npages && gfn >= slot->base_gfn &&
		    gfn - slot->base_gfn < slot->npages)
			return slot;
	}
	return NULL;
}

/* KVM_HVA_ERR for a gfn outside every slot, or a write to a read-only one. */
unsigned long kvm_gfn_to_hva(struct kvm *kvm, gfn_t gfn, bool write)
{
	struct kvm_memory_slot *slot = kvm_gfn_to_slot(kvm, gfn);

	if (!slot || (write && (slot->flags & KVM_MEM_READONLY)))
		return KVM_HVA_ERR;
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

void kvm_mark_page_dirty(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot = kvm_gfn_to_slot(kvm, gfn);

	if (slot && slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/* Copy guest memory; the calling thread must be one of the VM's process. */
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len)
{
	while (len) {
		unsigned long off = offset_in_page(gpa);
		unsigned long n = min(len, PAGE_SIZE - off);
		unsigned long hva = kvm_gfn_to_hva(kvm, gpa >> PAGE_SHIFT, false);

		if (hva == KVM_HVA_ERR || copy_from_user(data, (void __user *)(hva + off), n))
			return -EFAULT;
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data, unsigned long len)
{
	while (len) {
		unsigned long off = offset_in_page(gpa);
		unsigned long n = min(len, PAGE_SIZE - off);
		unsigned long hva = kvm_gfn_to_hva(kvm, gpa >> PAGE_SHIFT, true);

		if (hva == KVM_HVA_ERR || copy_to_user((void __user *)(hva + off), data, n))
			return -EFAULT;
		kvm_mark_page_dirty(kvm, gpa >> PAGE_SHIFT);
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

/*
 * Atomically replace @old by @new, @size bytes (1, 2, 4 or 8) at @gpa,
 * which must not cross a page: a locked cmpxchg on the VMM's mapping, so
 * that it is atomic against other vCPUs' locked instructions on the same
 * memory.  Returns 0 when stored, -EAGAIN if memory did not hold @old,
 * -ENOENT if @gpa is in no writable slot, -EFAULT if the VMM's memory
 * cannot be written.
 */
int kvm_cmpxchg_guest(struct kvm *kvm, gpa_t gpa, unsigned int size, u64 old,
		      u64 new)
{
	unsigned long hva = kvm_gfn_to_hva(kvm, gpa >> PAGE_SHIFT, true);
	void __user *p;
	int r;

	if (hva == KVM_HVA_ERR)
		return -ENOENT;
	p = (void __user *)(hva + offset_in_page(gpa));
	if (!access_ok(p, size))
		return -EFAULT;

	switch (size) {
	case 1: {
		u8 o = old;

		r = __try_cmpxchg_user((u8 __user *)p, &o, (u8)new, efault8);
		break;
	}
	case 2: {
		u16 o = old;

		r = __try_cmpxchg_user((u16 __user *)p, &o, (u16)new, efault16);
		break;
	}
	case 4: {
		u32 o = old;

		r = __try_cmpxchg_user((u32 __user *)p, &o, (u32)new, efault32);
		break;
	}
	case 8: {
		u64 o = old;

		r = __try_cmpxchg_user((u64 __user *)p, &o, new, efault64);
		break;
	}
	default:
		return -EINVAL;
	}
	if (r < 0)
		return -EFAULT;
	if (r)
		return -EAGAIN;
	kvm_mark_page_dirty(kvm, gpa >> PAGE_SHIFT);
	return 0;
}
