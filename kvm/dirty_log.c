// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging, with upstream's ABI: a slot created or changed with
 * KVM_MEM_LOG_DIRTY_PAGES gets a bitmap, a bit per page, which every
 * write into its memory sets (kvm_mark_page_dirty(): the MMU when it maps
 * a page writable for a guest write, guest_mem.c for the kernel's own
 * writes).  KVM_GET_DIRTY_LOG copies the bitmap out; unless userspace
 * enabled KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, it also clears the bits it
 * returns and write-protects their pages again, so that the guest's next
 * write to each faults and is logged.  With the capability,
 * KVM_CLEAR_DIRTY_LOG does that for the bits userspace names.
 *
 * The bitmap belongs to the slot (vm.c replaces or frees it with the
 * slot); these ioctls hold slots_lock for read, so it stays while they
 * use it.  Bits are set with set_bit() and taken with xchg() or an
 * atomic and-not: a write that races with a get is in this log or in the
 * next one, and the write-protection after the bits are taken makes the
 * next write fault again.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

/*
 * Bitmaps reach 256 MiB: a VMM may ask for that much, not for the OOM
 * killer (or a warning) when it cannot have it.
 */
#define KVM_DIRTY_LOG_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* A bitmap of @nbits bits in whole longs, as userspace's buffer is. */
static unsigned long kvm_dirty_bitmap_bytes(u64 nbits)
{
	return ALIGN(nbits, BITS_PER_LONG) / 8;
}

/* Upstream's bound on every slot; here on those that log (the bitmap's size). */
#define KVM_MEM_MAX_NR_PAGES	((1ULL << 31) - 1)

/*
 * KVM_SET_USER_MEMORY_REGION is about to make @slot @npages pages with
 * @flags (0 pages: delete it): the log the slot will have.  NULL if it
 * does not log; its current log if it did and keeps its size, as
 * upstream keeps it on a flags change or a move; else a new one, empty or
 * full with KVM_DIRTY_LOG_INITIALLY_SET.  ERR_PTR(-EINVAL) for a slot too
 * big to log, ERR_PTR(-ENOMEM).  Caller holds slots_lock for write.
 */
unsigned long *kvm_dirty_log_new(struct kvm *kvm,
				 const struct kvm_memory_slot *slot, u32 flags,
				 u64 npages)
{
	unsigned long *bitmap;

	if (!npages || !(flags & KVM_MEM_LOG_DIRTY_PAGES))
		return NULL;
	if (slot->dirty_bitmap && slot->npages == npages)
		return slot->dirty_bitmap;
	if (npages > KVM_MEM_MAX_NR_PAGES) {
		pr_info_ratelimited("KVM_SET_USER_MEMORY_REGION: slot %u: %llu pages: a slot that logs dirty pages has fewer than 2^31\n",
				    (int)(slot - kvm->slots), npages);
		return ERR_PTR(-EINVAL);
	}
	bitmap = kvzalloc(kvm_dirty_bitmap_bytes(npages), KVM_DIRTY_LOG_GFP);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	if (READ_ONCE(kvm->manual_dirty_log_protect) & KVM_DIRTY_LOG_INITIALLY_SET)
		bitmap_set(bitmap, 0, npages);
	return bitmap;
}

/*
 * The slot changed from log @old to log @new (slots_lock released, the
 * vCPUs asked to drop their mappings of the old slot): free the old log
 * if it was replaced.  A new log may start on pages the guest could write
 * unlogged until now: no vCPU may write through such a mapping once the
 * ioctl returns, so wait until those in guest mode have left it.
 */
void kvm_dirty_log_replaced(struct kvm *kvm, unsigned long *old,
			    unsigned long *new)
{
	if (old == new)
		return;
	kvfree(old);
	if (new)
		kvm_flush_remote_tlbs(kvm);
}

/* The VM goes: every slot's log. */
void kvm_dirty_log_free_all(struct kvm *kvm)
{
	int i;

	for (i = 0; i < KVM_MAX_MEM_SLOTS; i++)
		kvfree(kvm->slots[i].dirty_bitmap);
}

/*
 * The guest's next write to each page of @slot whose bit is set in @mask
 * (bit i: page @first + i of the slot) must be logged again: the MMU takes
 * write access away (or, with hardware D bits, clears them) and flushes
 * every vCPU's TLB before returning.
 */
static void kvm_dirty_log_protect(struct kvm *kvm,
				  const struct kvm_memory_slot *slot, u64 first,
				  const unsigned long *mask, u64 nbits)
{
	if (kvm->mmu_ops->dirty_log_protect)
		kvm->mmu_ops->dirty_log_protect(kvm, slot, first, mask, nbits);
}

/*
 * The slot a dirty-log ioctl names, whose log exists: -EINVAL for an id
 * out of range (the upper 16 bits name an address space, only 0 exists),
 * -ENOENT for a slot that does not log.  Caller holds slots_lock.
 */
static struct kvm_memory_slot *kvm_dirty_log_slot(struct kvm *kvm, u32 id,
						  const char *ioctl)
{
	if (id >= KVM_MAX_MEM_SLOTS) {
		pr_info_ratelimited("%s: slot %#x out of range (address space 0, below " __stringify(KVM_MAX_MEM_SLOTS) ")\n",
				    ioctl, id);
		return ERR_PTR(-EINVAL);
	}
	if (!kvm->slots[id].dirty_bitmap)
		return ERR_PTR(-ENOENT);
	return &kvm->slots[id];
}

static int kvm_vm_get_dirty_log(struct kvm *kvm,
				const struct kvm_dirty_log *log)
{
	bool manual = READ_ONCE(kvm->manual_dirty_log_protect) &
		      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	struct kvm_memory_slot *slot;
	unsigned long *buf, n, i;
	bool dirty = false;
	int r = 0;

	down_read(&kvm->slots_lock);
	slot = kvm_dirty_log_slot(kvm, log->slot, "KVM_GET_DIRTY_LOG");
	if (IS_ERR(slot)) {
		r = PTR_ERR(slot);
		goto out_unlock;
	}
	if (kvm->mmu_ops->dirty_log_harvest)
		kvm->mmu_ops->dirty_log_harvest(kvm, slot);
	n = kvm_dirty_bitmap_bytes(slot->npages);
	buf = kvzalloc(n, KVM_DIRTY_LOG_GFP);
	if (!buf) {
		r = -ENOMEM;
		goto out_unlock;
	}
	for (i = 0; i < n / sizeof(long); i++) {
		if (!READ_ONCE(slot->dirty_bitmap[i]))
			continue;
		buf[i] = manual ? READ_ONCE(slot->dirty_bitmap[i]) :
				  xchg(&slot->dirty_bitmap[i], 0);
		dirty = true;
	}
	if (!manual && dirty)
		kvm_dirty_log_protect(kvm, slot, 0, buf, slot->npages);
	up_read(&kvm->slots_lock);

	/* Bits taken and not copied out are lost, as upstream's are. */
	if (copy_to_user(log->dirty_bitmap, buf, n))
		r = -EFAULT;
	kvfree(buf);
	return r;

out_unlock:
	up_read(&kvm->slots_lock);
	return r;
}

static int kvm_vm_clear_dirty_log(struct kvm *kvm,
				  const struct kvm_clear_dirty_log *log)
{
	/* Whole longs of the user's bitmap: userspace's buffer is that big. */
	unsigned long n = kvm_dirty_bitmap_bytes(log->num_pages), i;
	unsigned long *buf = NULL, *bits;
	struct kvm_memory_slot *slot;
	bool cleared = false;
	int r = 0;

	down_read(&kvm->slots_lock);
	/* In upstream's order: the id, first_page, the log, the range. */
	if (log->slot < KVM_MAX_MEM_SLOTS && (log->first_page & 63)) {
		pr_info_ratelimited("KVM_CLEAR_DIRTY_LOG: slot %u: first_page %llu is not a multiple of 64\n",
				    log->slot, log->first_page);
		r = -EINVAL;
		goto out_unlock;
	}
	slot = kvm_dirty_log_slot(kvm, log->slot, "KVM_CLEAR_DIRTY_LOG");
	if (IS_ERR(slot)) {
		r = PTR_ERR(slot);
		goto out_unlock;
	}
	/* Up to the slot's end; a multiple of 64 pages unless it ends there. */
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63))) {
		pr_info_ratelimited("KVM_CLEAR_DIRTY_LOG: slot %u: pages %llu + %u: past the slot's %llu pages, or not a multiple of 64 short of its end\n",
				    log->slot, log->first_page, log->num_pages,
				    slot->npages);
		r = -EINVAL;
		goto out_unlock;
	}
	/* The range is in the slot: n is at most the slot's log. */
	buf = kvmalloc(max(n, sizeof(long)), KVM_DIRTY_LOG_GFP);
	if (!buf) {
		r = -ENOMEM;
		goto out_unlock;
	}
	if (copy_from_user(buf, log->dirty_bitmap, n)) {
		r = -EFAULT;
		goto out_unlock;
	}
	bits = slot->dirty_bitmap + log->first_page / BITS_PER_LONG;
	for (i = 0; i < n / sizeof(long); i++) {
		if (!buf[i])
			continue;
		/* Only the bits that were set need protecting again. */
		buf[i] &= atomic_long_fetch_andnot(buf[i],
						   (atomic_long_t *)&bits[i]);
		cleared |= buf[i] != 0;
	}
	if (cleared)
		kvm_dirty_log_protect(kvm, slot, log->first_page, buf,
				      log->num_pages);
out_unlock:
	up_read(&kvm->slots_lock);
	kvfree(buf);
	return r;
}

/* KVM_ENABLE_CAP KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on the VM fd (vm.c). */
int kvm_dirty_log_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	/* INITIALLY_SET only with MANUAL_PROTECT_ENABLE, as upstream. */
	if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed |= KVM_DIRTY_LOG_INITIALLY_SET;
	if (cap->args[0] & ~allowed) {
		pr_info_ratelimited("KVM_ENABLE_CAP MANUAL_DIRTY_LOG_PROTECT2: args[0] %#llx: want 0, 1 or 3\n",
				    cap->args[0]);
		return -EINVAL;
	}
	WRITE_ONCE(kvm->manual_dirty_log_protect, cap->args[0]);
	return 0;
}

/* The VM fd's KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG. */
long kvm_vm_dirty_log_ioctl(struct kvm *kvm, unsigned int ioctl,
			    void __user *argp)
{
	union {
		struct kvm_dirty_log get;
		struct kvm_clear_dirty_log clear;
	} u;

	if (copy_from_user(&u, argp, _IOC_SIZE(ioctl)))
		return -EFAULT;
	switch (ioctl) {
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_get_dirty_log(kvm, &u.get);
	case KVM_CLEAR_DIRTY_LOG:
		return kvm_vm_clear_dirty_log(kvm, &u.clear);
	default:
		return -ENOTTY;
	}
}
