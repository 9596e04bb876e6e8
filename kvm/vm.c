// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: KVM_CREATE_VM, the VM file descriptor, memory slots (guest_mem.c
 * reads and writes guest memory through them).
 *
 * A VM lives as long as its fd or any of its vCPU fds: each holds a
 * reference (kvm->users).  The fds' file_operations name THIS_MODULE, so
 * rmmod is refused while any of them is open.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/seq_file.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "spec.h"

/*
 * debugfs kvm/PID-FD/mmu: the VM's MMU strategy, then its counters as
 * "name value" lines (the strategy's stats_show()).
 */
static int kvm_vm_mmu_show(struct seq_file *m, void *unused)
{
	struct kvm *kvm = m->private;

	seq_printf(m, "strategy %s\n", kvm->mmu_ops->name);
	seq_printf(m, "remote_flushes %lld\n",
		   (long long)atomic64_read(&kvm->remote_flushes));
	if (kvm->mmu_ops->stats_show)
		kvm->mmu_ops->stats_show(kvm, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvm_vm_mmu);

/*
 * debugfs kvm/PID-FD/exits: hardware exits by reason, the reasons that
 * occurred only: "vcpuN.REASON COUNT" for each vCPU, then the VM's totals
 * "REASON COUNT" (racy snapshots: vCPUs may be running).
 */
static int kvm_vm_exits_show(struct seq_file *m, void *unused)
{
	struct kvm *kvm = m->private;
	int i, n = READ_ONCE(kvm->nr_vcpus);
	unsigned int slot;
	const char *name;
	char buf[32];

	if (!kvm_vendor->exit_slot_name)
		return 0;
	smp_rmb();
	for (i = 0; i < n; i++) {
		for (slot = 0; slot < KVM_EXIT_SLOTS; slot++) {
			u64 c = READ_ONCE(kvm->vcpus[i]->exit_counts[slot]);

			name = kvm_vendor->exit_slot_name(slot, buf, sizeof(buf));
			if (c && name)
				seq_printf(m, "vcpu%d.%s %llu\n",
					   kvm->vcpus[i]->vcpu_id, name, c);
		}
	}
	for (slot = 0; slot < KVM_EXIT_SLOTS; slot++) {
		u64 sum = 0;

		for (i = 0; i < n; i++)
			sum += READ_ONCE(kvm->vcpus[i]->exit_counts[slot]);
		name = kvm_vendor->exit_slot_name(slot, buf, sizeof(buf));
		if (sum && name)
			seq_printf(m, "%s %llu\n", name, sum);
	}
	/* Speculation hygiene: "spec.vcpuN.NAME" and "spec.host.NAME" lines. */
	kvm_spec_show(m, kvm);
	/* The in-kernel irqchip: "irq.vcpuN.NAME" lines. */
	kvm_irqchip_show(m, kvm);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvm_vm_exits);

static void kvm_vm_debugfs_create(struct kvm *kvm, int fd)
{
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current), fd);
	kvm->debugfs_dentry = debugfs_create_dir(name, kvm_debugfs_dir);
	debugfs_create_file("mmu", 0444, kvm->debugfs_dentry, kvm,
			    &kvm_vm_mmu_fops);
	debugfs_create_file("exits", 0444, kvm->debugfs_dentry, kvm,
			    &kvm_vm_exits_fops);
}

void kvm_get(struct kvm *kvm)
{
	kref_get(&kvm->users);
}

static void kvm_destroy(struct kref *kref)
{
	struct kvm *kvm = container_of(kref, struct kvm, users);
	struct mm_struct *mm = kvm->mm;
	int i;

	/* Waits for readers of the VM's files to finish. */
	debugfs_remove_recursive(kvm->debugfs_dentry);

	/* Every vCPU fd is closed: nothing runs any more. */
	kvm->dying = true;
	/* No source injects any more (irqfds, the PIT) before the APICs go. */
	kvm_irqchip_vm_destroy(kvm);
	for (i = 0; i < kvm->nr_vcpus; i++)
		kvm_vcpu_destroy(kvm->vcpus[i]);
	if (kvm->mmu_ops->vm_destroy)
		kvm->mmu_ops->vm_destroy(kvm);
	kvm_dirty_log_free_all(kvm);
	/*
	 * The private slots' memory belongs to the VM's process: unmapped
	 * here when that process closes the last fd, else it goes with the
	 * process.
	 */
	for (i = KVM_TSS_PRIVATE_SLOT; i < KVM_MEM_SLOTS_ALL; i++)
		if (kvm->slots[i].npages && current->mm == mm)
			vm_munmap(kvm->slots[i].userspace_addr,
				  kvm->slots[i].npages * PAGE_SIZE);
	kfree(kvm);
	mmdrop(mm);
}

void kvm_put(struct kvm *kvm)
{
	kref_put(&kvm->users, kvm_destroy);
}

/* ---- memory slots -------------------------------------------------- */

/* Caller holds slots_lock: a slot other than @id holds a gfn of the range. */
static bool kvm_slots_overlap(struct kvm *kvm, u32 id, gfn_t base_gfn,
			      u64 npages)
{
	struct kvm_memory_slot *slot;
	int i;

	for (i = 0; i < KVM_MEM_SLOTS_ALL; i++) {
		slot = &kvm->slots[i];
		if (i == id || !slot->npages)
			continue;
		if (base_gfn < slot->base_gfn + slot->npages &&
		    slot->base_gfn < base_gfn + npages)
			return true;
	}
	return false;
}

/* Caller holds slots_lock for write. */
static void kvm_slot_fill(struct kvm_memory_slot *slot, u32 id, u32 flags,
			  gfn_t base_gfn, u64 npages, unsigned long hva)
{
	slot->id = id;
	slot->flags = flags;
	slot->base_gfn = base_gfn;
	slot->npages = npages;
	slot->userspace_addr = hva;
}

/*
 * The private slot KVM_TSS_PRIVATE_SLOT holds the backend's TSS pages
 * (kvm_vendor->tss_pages: VMX runs a real-mode guest in vm86 mode with a
 * TSS there), anonymous memory mapped into the VM's process and unmapped
 * when the VM goes away there (kvm_destroy()).  The VMM names their
 * address with KVM_SET_TSS_ADDR.  If a real-mode guest runs first, the
 * module picks a place no slot covers (kvm_vm_tss_implicit()); such an
 * implicit region moves out of the way of a memory slot the VMM puts over
 * it (kvm_tss_make_way()), and to the address of a later KVM_SET_TSS_ADDR.
 * An explicit address stays: a slot over it gets EEXIST, as upstream.
 *
 * tss_addr and tss_implicit change under kvm->lock and slots_lock for
 * write, or slots_lock alone when the region makes way for a slot.
 */

/* QEMU's address: its identity-map page at 0xfeffc000, then the TSS. */
#define KVM_TSS_QEMU_ADDR	0xfeffd000ULL

static bool kvm_gfns_overlap(gfn_t a, u64 a_npages, gfn_t b, u64 b_npages)
{
	return a_npages && b_npages && a < b + b_npages && b < a + a_npages;
}

/*
 * Caller holds slots_lock: the highest gfn at or below @gfn where the TSS
 * pages overlap no other slot (a user's, the identity map's) and not
 * [@avoid, @avoid + @avoid_npages), or
 * KVM_INVALID_GPA.  Each turn goes below the lowest range in the way,
 * which is then never in the way again: at most a turn per range.
 */
static gfn_t kvm_tss_gap_below(struct kvm *kvm, gfn_t gfn, gfn_t avoid,
			       u64 avoid_npages)
{
	u64 npages = kvm_vendor->tss_pages;
	struct kvm_memory_slot *slot;
	gfn_t low;
	int i;

	for (;;) {
		low = KVM_INVALID_GPA;
		if (kvm_gfns_overlap(gfn, npages, avoid, avoid_npages))
			low = avoid;
		for (i = 0; i < KVM_MEM_SLOTS_ALL; i++) {
			slot = &kvm->slots[i];
			if (i != KVM_TSS_PRIVATE_SLOT && slot->base_gfn < low &&
			    kvm_gfns_overlap(gfn, npages, slot->base_gfn,
					     slot->npages))
				low = slot->base_gfn;
		}
		if (low == KVM_INVALID_GPA)
			return gfn;
		if (low < npages)
			return KVM_INVALID_GPA;
		gfn = low - npages;
	}
}

/*
 * Caller holds slots_lock: a place for the TSS pages below 4 GiB that no
 * user slot and not [@avoid, @avoid + @avoid_npages) covers, QEMU's
 * address or the highest place below it, else the highest above it; or
 * KVM_INVALID_GPA.
 */
static gpa_t kvm_tss_gap(struct kvm *kvm, gfn_t avoid, u64 avoid_npages)
{
	gfn_t top = (0x100000000ULL >> PAGE_SHIFT) - kvm_vendor->tss_pages;
	gfn_t gfn;

	gfn = kvm_tss_gap_below(kvm, KVM_TSS_QEMU_ADDR >> PAGE_SHIFT, avoid,
				avoid_npages);
	if (gfn == KVM_INVALID_GPA)
		gfn = kvm_tss_gap_below(kvm, top, avoid, avoid_npages);
	return gfn == KVM_INVALID_GPA ? KVM_INVALID_GPA : gfn << PAGE_SHIFT;
}

/*
 * Caller holds slots_lock for write: the TSS pages, mapped at @hva, are
 * at @addr from now on.  A move drops what maps the old place and asks
 * every vCPU to reload its MMU before it enters again, here, before any
 * slot can take the old place; a vCPU in real mode then builds its TSS
 * at the new one (vmx_rmode_prepare()).
 */
static void kvm_tss_set(struct kvm *kvm, gpa_t addr, unsigned long hva)
{
	struct kvm_memory_slot *slot = &kvm->slots[KVM_TSS_PRIVATE_SLOT];

	if (slot->npages) {
		if (kvm->mmu_ops->slot_changed)
			kvm->mmu_ops->slot_changed(kvm, slot);
		kvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);
	}
	kvm_slot_fill(slot, KVM_TSS_PRIVATE_SLOT, 0, addr >> PAGE_SHIFT,
		      kvm_vendor->tss_pages, hva);
	WRITE_ONCE(kvm->tss_addr, addr);
}

/*
 * Caller holds kvm->lock: the TSS pages at @addr (KVM_SET_TSS_ADDR), or at
 * a place the module picks (@addr KVM_INVALID_GPA), first mapped into the
 * calling (the VM's) process if they are not yet.  0, -EEXIST if a slot
 * covers @addr, -EINVAL if slots cover every place, or vm_mmap()'s error.
 */
static int kvm_tss_place(struct kvm *kvm, gpa_t addr)
{
	struct kvm_memory_slot *slot = &kvm->slots[KVM_TSS_PRIVATE_SLOT];
	unsigned int npages = kvm_vendor->tss_pages;
	bool implicit = addr == KVM_INVALID_GPA;
	unsigned long hva = slot->userspace_addr;
	bool mapped = slot->npages;
	int r = 0;

	if (!mapped) {
		hva = vm_mmap(NULL, 0, npages * PAGE_SIZE,
			      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      0);
		if (IS_ERR_VALUE(hva))
			return (int)hva;
	}
	down_write(&kvm->slots_lock);
	if (implicit) {
		addr = kvm_tss_gap(kvm, 0, 0);
		if (addr == KVM_INVALID_GPA) {
			pr_info_ratelimited("pid %d: a real-mode guest runs without KVM_SET_TSS_ADDR, and memory slots cover every place for its %u TSS pages below 4 GiB\n",
					    task_tgid_nr(current), npages);
			r = -EINVAL;
		} else {
			pr_info_ratelimited("pid %d: a real-mode guest runs without KVM_SET_TSS_ADDR: its %u TSS pages are at %#llx; the VMM should call KVM_SET_TSS_ADDR first\n",
					    task_tgid_nr(current), npages, addr);
		}
	} else if (kvm_slots_overlap(kvm, KVM_TSS_PRIVATE_SLOT,
				     addr >> PAGE_SHIFT, npages)) {
		pr_info_ratelimited("KVM_SET_TSS_ADDR %#llx: a memory slot covers one of its %u pages\n",
				    addr, npages);
		r = -EEXIST;
	}
	if (!r) {
		kvm_tss_set(kvm, addr, hva);
		kvm->tss_implicit = implicit;
	}
	up_write(&kvm->slots_lock);
	if (r && !mapped)
		vm_munmap(hva, npages * PAGE_SIZE);
	return r;
}

/*
 * Caller holds slots_lock for write, about to put a user slot at @npages
 * pages from @base_gfn: an implicit TSS region there moves to a free
 * place (kvm_tss_set() has the vCPUs follow).  With no free place it
 * stays, and the slot gets EEXIST.
 */
static void kvm_tss_make_way(struct kvm *kvm, gfn_t base_gfn, u64 npages)
{
	struct kvm_memory_slot *slot = &kvm->slots[KVM_TSS_PRIVATE_SLOT];
	gpa_t addr;

	if (!kvm->tss_implicit ||
	    !kvm_gfns_overlap(base_gfn, npages, slot->base_gfn, slot->npages))
		return;
	addr = kvm_tss_gap(kvm, base_gfn, npages);
	if (addr == KVM_INVALID_GPA)
		return;
	pr_info_ratelimited("pid %d: a memory slot at %#llx takes the place of the TSS pages the module chose; they move to %#llx\n",
			    task_tgid_nr(current), base_gfn << PAGE_SHIFT, addr);
	kvm_tss_set(kvm, addr, slot->userspace_addr);
}

/*
 * KVM_SET_TSS_ADDR: where the backend may keep its TSS (tss_pages pages),
 * an address no slot covers.  Once per VM: 0 is an address like any
 * other ("unset" is KVM_INVALID_GPA), and as upstream refuses a second
 * private region with EEXIST, so do we; an address the module picked
 * gives way to the first KVM_SET_TSS_ADDR, which upstream would take.
 */
static int kvm_vm_set_tss_addr(struct kvm *kvm, unsigned long addr)
{
	unsigned int npages = kvm_vendor->tss_pages;
	int r = 0;

	/*
	 * A TSS has a 32-bit base; upstream allows three pages below 4 GiB.
	 * Compared without adding to @addr, which could wrap past 2^64.
	 */
	if (addr > 0x100000000ULL - 3 * PAGE_SIZE ||
	    (npages && !PAGE_ALIGNED(addr))) {
		pr_info_ratelimited("KVM_SET_TSS_ADDR %#lx: want a page-aligned address with 3 pages below 4 GiB\n",
				    addr);
		return -EINVAL;
	}
	mutex_lock(&kvm->lock);
	if (kvm->tss_addr != KVM_INVALID_GPA && !kvm->tss_implicit) {
		pr_info_ratelimited("KVM_SET_TSS_ADDR %#lx: already set, to %#llx\n",
				    addr, kvm->tss_addr);
		r = -EEXIST;
	} else if (npages) {
		r = kvm_tss_place(kvm, addr);
	} else {
		WRITE_ONCE(kvm->tss_addr, addr);
	}
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * From a vCPU thread (KVM_RUN: current->mm is the VM's), a real-mode
 * guest about to run: if no TSS address is set, the module picks one.
 * Another vCPU or a KVM_SET_TSS_ADDR may race: kvm->lock orders them,
 * the first sets the address, the others find it set.
 */
int kvm_vm_tss_implicit(struct kvm *kvm)
{
	int r = 0;

	if (current->mm != kvm->mm)
		return -EIO;
	mutex_lock(&kvm->lock);
	if (kvm->tss_addr == KVM_INVALID_GPA)
		r = kvm_tss_place(kvm, KVM_INVALID_GPA);
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * The private slot KVM_IDENT_PRIVATE_SLOT: one page holding the
 * identity-mapped page table that VMX with EPT but without unrestricted
 * guest runs a guest without paging on (kvm/vmx/ept.c writes it), as
 * upstream's, at @addr (KVM_SET_IDENTITY_MAP_ADDR, or upstream's default).
 * Made when a vCPU first needs it, from its thread (current->mm is the
 * VM's); it never moves, a user slot over it gets EEXIST, and it goes
 * with the TSS pages (kvm_destroy()).  0, or -EINVAL if @addr is not a
 * page below 4 GiB (CR3 of 32-bit paging), -EEXIST if a slot already
 * covers it (upstream's KVM_CREATE_VCPU would fail so), vm_mmap()'s
 * error, or -EFAULT.
 */
int kvm_vm_ident_map(struct kvm *kvm, gpa_t addr, const void *table)
{
	struct kvm_memory_slot *slot = &kvm->slots[KVM_IDENT_PRIVATE_SLOT];
	unsigned long hva;
	int r = 0;

	if (current->mm != kvm->mm)
		return -EIO;
	if (!PAGE_ALIGNED(addr) || addr > 0x100000000ULL - PAGE_SIZE) {
		pr_info_ratelimited("pid %d: a guest without paging on EPT without unrestricted guest needs its identity-mapped page table at %#llx (KVM_SET_IDENTITY_MAP_ADDR): want a page below 4 GiB\n",
				    task_tgid_nr(current), addr);
		return -EINVAL;
	}
	mutex_lock(&kvm->lock);
	if (kvm->ident_ready)
		goto out_unlock;
	hva = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(hva)) {
		r = (int)hva;
		goto out_unlock;
	}
	if (copy_to_user((void __user *)hva, table, PAGE_SIZE)) {
		r = -EFAULT;
		goto out_unmap;
	}
	down_write(&kvm->slots_lock);
	if (kvm_slots_overlap(kvm, KVM_IDENT_PRIVATE_SLOT, addr >> PAGE_SHIFT,
			      1)) {
		up_write(&kvm->slots_lock);
		pr_info_ratelimited("pid %d: a guest without paging on EPT without unrestricted guest needs its identity-mapped page table at %#llx (KVM_SET_IDENTITY_MAP_ADDR), where a memory slot is\n",
				    task_tgid_nr(current), addr);
		r = -EEXIST;
		goto out_unmap;
	}
	kvm_slot_fill(slot, KVM_IDENT_PRIVATE_SLOT, 0, addr >> PAGE_SHIFT, 1,
		      hva);
	up_write(&kvm->slots_lock);
	/* Pairs with vmx_tdp_prepare()'s acquire: the slot is there first. */
	smp_store_release(&kvm->ident_ready, true);
	mutex_unlock(&kvm->lock);
	return 0;

out_unmap:
	vm_munmap(hva, PAGE_SIZE);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_SET_IDENTITY_MAP_ADDR: where kvm_vm_ident_map() puts the page
 * table, taken as upstream takes it: only before the first vCPU (EINVAL
 * after, before the argument is read), any address, 0 for the default.
 */
static int kvm_vm_set_identity_map_addr(struct kvm *kvm, u64 __user *argp)
{
	u64 addr;
	int r = 0;

	mutex_lock(&kvm->lock);
	if (kvm->nr_vcpus) {
		pr_info_ratelimited("KVM_SET_IDENTITY_MAP_ADDR: vCPUs exist already\n");
		r = -EINVAL;
	} else if (copy_from_user(&addr, argp, sizeof(addr))) {
		r = -EFAULT;
	} else {
		kvm->identity_map_addr = addr;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_SET_USER_MEMORY_REGION: create (size != 0, unused id), delete (size
 * 0), move or resize (size != 0, used id) a slot.
 */
static int kvm_vm_set_memory_region(struct kvm *kvm,
				    const struct kvm_userspace_memory_region *mem)
{
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	gfn_t base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	unsigned long *log, *old_log;
	struct kvm_memory_slot *slot;
	const char *bad = NULL;

	/* The upper 16 bits of slot name an address space; only 0 exists. */
	if (mem->slot >= KVM_MAX_MEM_SLOTS)
		bad = "slot out of range (address space 0, below " __stringify(KVM_MAX_MEM_SLOTS) ")";
	else if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
		bad = "unknown flags (KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES only)";
	else if ((mem->memory_size | mem->guest_phys_addr |
		  mem->userspace_addr) & ~PAGE_MASK)
		bad = "size and addresses must be page-aligned";
	else if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr ||
		 mem->userspace_addr + mem->memory_size < mem->userspace_addr)
		bad = "the region wraps around";
	/* Guest-physical addresses have at most 52 bits. */
	else if (mem->guest_phys_addr + mem->memory_size > (1ULL << 52))
		bad = "the region ends past 2^52";
	else if (npages &&
		 !access_ok((void __user *)(unsigned long)mem->userspace_addr,
			    mem->memory_size))
		bad = "userspace_addr is not user memory";
	if (bad) {
		pr_info_ratelimited("KVM_SET_USER_MEMORY_REGION: slot %u at %#llx, %#llx bytes from %#llx: %s\n",
				    mem->slot, mem->guest_phys_addr,
				    mem->memory_size, mem->userspace_addr, bad);
		return -EINVAL;
	}

	down_write(&kvm->slots_lock);
	kvm_tss_make_way(kvm, base_gfn, npages);
	if (npages && kvm_slots_overlap(kvm, mem->slot, base_gfn, npages)) {
		up_write(&kvm->slots_lock);
		pr_info_ratelimited("KVM_SET_USER_MEMORY_REGION: slot %u at %#llx (%llu pages) overlaps another slot\n",
				    mem->slot, mem->guest_phys_addr, npages);
		return -EEXIST;
	}
	slot = &kvm->slots[mem->slot];
	/* KVM_MEM_LOG_DIRTY_PAGES: the slot's dirty log (dirty_log.c). */
	log = kvm_dirty_log_new(kvm, slot, mem->flags, npages);
	if (IS_ERR(log)) {
		up_write(&kvm->slots_lock);
		return PTR_ERR(log);
	}
	old_log = slot->dirty_bitmap;
	if (slot->npages && kvm->mmu_ops->slot_changed)
		kvm->mmu_ops->slot_changed(kvm, slot);
	kvm_slot_fill(slot, mem->slot, mem->flags, base_gfn, npages,
		      mem->userspace_addr);
	slot->dirty_bitmap = log;
	up_write(&kvm->slots_lock);

	/*
	 * Shadow mappings of the old slot go before the vCPUs next enter
	 * the guest; until then the pages they map stay pinned, so a guest
	 * can never reach a freed page.
	 */
	kvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);
	kvm_dirty_log_replaced(kvm, old_log, log);
	return 0;
}

/* ---- the VM fd --------------------------------------------------------- */

/*
 * KVM_CAP_MAX_VCPU_ID: the vCPU ids' bound, as upstream: at most
 * KVM_MAX_VCPU_IDS, and only while it is unset or to the value it has
 * (the first vCPU sets it to KVM_MAX_VCPU_IDS).
 */
static int kvm_vm_set_max_vcpu_ids(struct kvm *kvm, u64 max)
{
	int r = 0;

	if (max > KVM_MAX_VCPU_IDS) {
		pr_info_ratelimited("KVM_ENABLE_CAP MAX_VCPU_ID: %llu is above %u\n",
				    max, KVM_MAX_VCPU_IDS);
		return -EINVAL;
	}
	mutex_lock(&kvm->lock);
	if (kvm->max_vcpu_ids && kvm->max_vcpu_ids != max) {
		pr_info_ratelimited("KVM_ENABLE_CAP MAX_VCPU_ID: %llu: already %u (set, or vCPUs exist)\n",
				    max, kvm->max_vcpu_ids);
		r = -EINVAL;
	} else {
		kvm->max_vcpu_ids = max;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

/* KVM_ENABLE_CAP on the VM fd: flags must be 0 for every capability. */
static int kvm_vm_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	if (cap->flags) {
		pr_info_ratelimited("KVM_ENABLE_CAP %u: flags %#x: want 0\n",
				    cap->cap, cap->flags);
		return -EINVAL;
	}
	switch (cap->cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvm_dirty_log_enable_cap(kvm, cap);
	case KVM_CAP_MAX_VCPU_ID:
		return kvm_vm_set_max_vcpu_ids(kvm, cap->args[0]);
	case KVM_CAP_SPLIT_IRQCHIP:
		return kvm_irqchip_enable_split(kvm, cap);
	default:
		pr_info_ratelimited("KVM_ENABLE_CAP: capability %u cannot be enabled on a VM\n",
				    cap->cap);
		return -EINVAL;
	}
}

static long kvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	struct kvm *kvm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (kvm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvm_vm_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return kvm_vm_set_memory_region(kvm, &mem);
	}
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension(arg);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return kvm_vm_enable_cap(kvm, &cap);
	}
	case KVM_GET_DIRTY_LOG:
	case KVM_CLEAR_DIRTY_LOG:
		return kvm_vm_dirty_log_ioctl(kvm, ioctl, argp);
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return kvm_vm_clock_ioctl(kvm, ioctl, argp);
	case KVM_SET_TSS_ADDR:
		return kvm_vm_set_tss_addr(kvm, arg);
	case KVM_SET_IDENTITY_MAP_ADDR:
		return kvm_vm_set_identity_map_addr(kvm, argp);
	default:
		return kvm_irqchip_vm_ioctl(kvm, ioctl, argp);
	}
}

static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	kvm_put(filp->private_data);
	return 0;
}

static const struct file_operations kvm_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvm_vm_ioctl,
	.compat_ioctl = kvm_vm_ioctl,
	.release = kvm_vm_release,
	.llseek = noop_llseek,
};

int kvm_dev_create_vm(unsigned long type)
{
	const struct kvm_mmu_ops *mmu_ops = kvm_mmu_selected();
	struct file *file;
	struct kvm *kvm;
	int r, fd;

	if (type)
		return -EINVAL;
	if (!mmu_ops->page_fault) {
		pr_info_ratelimited("KVM_CREATE_VM: mmu=%s is not implemented yet; load with mmu=naive or mmu=cached\n",
				    mmu_ops->name);
		return -EOPNOTSUPP;
	}
	if (mmu_ops == &kvm_mmu_tdp && !kvm_tdp_supported) {
		pr_info_ratelimited("KVM_CREATE_VM: mmu=tdp needs nested paging, which %s does not offer here (AMD NPT, or Intel EPT); load with mmu=naive or mmu=cached\n",
				    kvm_vendor->name);
		return -EOPNOTSUPP;
	}

	kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	if (!kvm)
		return -ENOMEM;
	kref_init(&kvm->users);
	mutex_init(&kvm->lock);
	init_rwsem(&kvm->slots_lock);
	kvm_clock_init_vm(kvm);
	kvm->mmu_ops = mmu_ops;
	kvm->halt_in_kernel = READ_ONCE(kvm_halt_in_kernel);
	kvm->tss_addr = KVM_INVALID_GPA;
	kvm->mm = current->mm;
	mmgrab(kvm->mm);

	r = kvm_irqchip_vm_init(kvm);
	if (r)
		goto err_drop_mm;
	if (mmu_ops->vm_init) {
		r = mmu_ops->vm_init(kvm);
		if (r)
			goto err_irqchip_destroy;
	}

	/*
	 * The debugfs directory is named after the fd, and must exist before
	 * the fd does: once installed, the fd can be closed at any time.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_mmu_destroy;
	}
	file = anon_inode_getfile("kvm-vm", &kvm_vm_fops, kvm, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_put_fd;
	}
	kvm_vm_debugfs_create(kvm, fd);
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_mmu_destroy:
	if (mmu_ops->vm_destroy)
		mmu_ops->vm_destroy(kvm);
err_irqchip_destroy:
	kvm_irqchip_vm_destroy(kvm);
err_drop_mm:
	mmdrop(kvm->mm);
	kfree(kvm);
	return r;
}
