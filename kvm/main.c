// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points and the /dev/kvm system ioctls.
 *
 * Load: module parameters (parsed by the module loader before kvm_init()),
 * pick the vendor backend, let it check the CPU, enable virtualization on
 * every online CPU, and only then expose /dev/kvm.  Unload undoes this in
 * reverse order.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

const struct kvm_vendor_ops *kvm_vendor;

/*
 * halt_in_kernel=1: a vCPU whose HLT finds nothing to take sleeps in
 * KVM_RUN (a signal ends KVM_RUN, not the halt) until an event, or a
 * KVM_SET_REGS that moves its RIP, instead of returning KVM_EXIT_HLT
 * (upstream's behaviour with a userspace irqchip, the default).  QEMU 7.2
 * with kernel_irqchip=off would need it for SMP guests (README, "Using it
 * with QEMU").  Sampled when a VM is created.
 */
bool kvm_halt_in_kernel;
module_param_named(halt_in_kernel, kvm_halt_in_kernel, bool, 0644);
MODULE_PARM_DESC(halt_in_kernel, "HLT sleeps in KVM_RUN instead of exiting to userspace (default N)");

/*
 * halt_poll_ns: how long a vCPU halted in the kernel may spin, looking
 * for its wake-up, before it sleeps; upstream's parameter, with its
 * x86 default.  Each vCPU's own window grows while its wake-ups come
 * within the limit and drops to 0 after a longer sleep (x86.c), so an
 * idle guest does not spin.  0 turns polling off.
 */
unsigned int kvm_halt_poll_ns = 200000;
module_param_named(halt_poll_ns, kvm_halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Longest a halted vCPU polls for a wake-up before it sleeps, in ns (default 200000)");

/*
 * /sys/kernel/debug/kvm/: what the module holds right now, over all VMs,
 * and one count over the module's life.  Tests read "pinned 0" after
 * every VM is gone.  "failed_entries" counts the VM entries the CPU
 * refused (VMX: VMLAUNCH/VMRESUME failed, or the entry failed on guest
 * state or MSR loading; SVM: VMRUN's VMEXIT_INVALID), each of them
 * reported to userspace as KVM_EXIT_FAIL_ENTRY.  A hostile VMM can cause
 * them (upstream lets the hardware refuse such states too); the vmx lab
 * holds this count to the failed entries Bochs logs (lab/run).
 */
struct dentry *kvm_debugfs_dir;
static atomic64_t kvm_failed_entries = ATOMIC64_INIT(0);

void kvm_count_failed_entry(void)
{
	atomic64_inc(&kvm_failed_entries);
}

static int kvm_debugfs_totals_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "pinned %llu\nshadow_pages %llu\nfailed_entries %lld\n",
		   kvm_mmu_naive_pinned_total() + kvm_mmu_cached_pinned_total() +
		   kvm_mmu_tdp_pinned_total(),
		   kvm_mmu_naive_shadow_pages_total() +
		   kvm_mmu_cached_shadow_pages_total() +
		   kvm_mmu_tdp_pages_total(),
		   (long long)atomic64_read(&kvm_failed_entries));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvm_debugfs_totals);

/* KVM_CHECK_EXTENSION: non-zero only for what really works. */
long kvm_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_INTR_SHADOW:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_ENABLE_CAP_VM:
		return 1;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		/* What KVM_ENABLE_CAP takes in args[0], as x86 upstream. */
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	case KVM_CAP_MCE:
		return KVM_MAX_MCE_BANKS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_MAX_MEM_SLOTS;
	case KVM_CAP_ADJUST_CLOCK:
		/* KVM_GET_CLOCK's flags (clock.c), as upstream. */
		return KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
		       KVM_CLOCK_HOST_TSC;
	default:
		/* The irqchip's (irqchip/irq.c). */
		return max(kvm_irqchip_check_extension(ext), 0);
	}
}

static long kvm_dev_get_msr_index_list(struct kvm_msr_list __user *ulist)
{
	u32 msrs[KVM_MAX_MSRS_TO_SAVE];
	struct kvm_msr_list list;
	u32 n = kvm_msrs_to_save(msrs), room;

	if (copy_from_user(&list, ulist, sizeof(list)))
		return -EFAULT;
	/* Say how many there are, whether or not they fit. */
	room = list.nmsrs;
	list.nmsrs = n;
	if (copy_to_user(ulist, &list, sizeof(list)))
		return -EFAULT;
	if (n > room)
		return -E2BIG;
	if (copy_to_user(ulist->indices, msrs, n * sizeof(u32)))
		return -EFAULT;
	return 0;
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_API_VERSION:
		/* Like upstream: the argument must be 0. */
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return kvm_vcpu_mmap_size();
	case KVM_CREATE_VM:
		return kvm_dev_create_vm(arg);
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_dev_get_supported_cpuid(argp);
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_dev_get_msr_index_list(argp);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_dev_get_mce_cap_supported(argp);
	default:
		pr_debug("unknown /dev/kvm ioctl %#x\n", ioctl);
		return -EINVAL;
	}
}

/*
 * The system ioctls take no pointer, so 32-bit callers need no
 * translation (upstream KVM does the same).
 */
static const struct file_operations kvm_chardev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvm_dev_ioctl,
	.compat_ioctl = kvm_dev_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kvm_dev = {
	.minor = KVM_MINOR,
	.name = "kvm",
	.fops = &kvm_chardev_fops,
	.mode = 0666,
};

static const struct kvm_vendor_ops *kvm_probe_vendor(void)
{
	const struct kvm_vendor_ops *ops;

	/* -ENODEV means "not this vendor"; other errors are final. */
	ops = svm_probe();
	if (PTR_ERR_OR_ZERO(ops) != -ENODEV)
		return ops;

	ops = vmx_probe();
	if (PTR_ERR_OR_ZERO(ops) != -ENODEV)
		return ops;

	pr_err("no hardware virtualization: the CPU has neither AMD SVM nor Intel VMX\n");
	return ERR_PTR(-ENODEV);
}

static int __init kvm_init(void)
{
	int r;

	kvm_vendor = kvm_probe_vendor();
	if (IS_ERR(kvm_vendor))
		return PTR_ERR(kvm_vendor);

	r = kvm_vendor->hardware_setup();
	if (r) {
		pr_err("%s setup failed (error %d)\n", kvm_vendor->name, r);
		return r;
	}

	r = kvm_virt_init(kvm_vendor);
	if (r)
		goto err_vendor_unsetup;
	kvm_clock_setup();
	r = kvm_eventfd_module_init();
	if (r)
		goto err_clock_unsetup;

	/* Before /dev/kvm: each VM gets a directory in it. */
	kvm_debugfs_dir = debugfs_create_dir("kvm", NULL);
	debugfs_create_file("totals", 0444, kvm_debugfs_dir, NULL,
			    &kvm_debugfs_totals_fops);

	r = misc_register(&kvm_dev);
	if (r) {
		pr_err("cannot register /dev/kvm (misc minor %d, error %d)\n",
		       KVM_MINOR, r);
		goto err_remove_debugfs;
	}

	pr_info("%s enabled on all online CPUs, mmu=%s\n",
		kvm_vendor->name, kvm_mmu_selected()->name);
	return 0;

err_remove_debugfs:
	debugfs_remove_recursive(kvm_debugfs_dir);
	kvm_eventfd_module_exit();
err_clock_unsetup:
	kvm_clock_unsetup();
	kvm_virt_exit();
err_vendor_unsetup:
	if (kvm_vendor->hardware_unsetup)
		kvm_vendor->hardware_unsetup();
	return r;
}

static void __exit kvm_exit(void)
{
	debugfs_remove_recursive(kvm_debugfs_dir);
	misc_deregister(&kvm_dev);
	kvm_eventfd_module_exit();
	kvm_clock_unsetup();
	kvm_virt_exit();
	if (kvm_vendor->hardware_unsetup)
		kvm_vendor->hardware_unsetup();
	pr_info("%s disabled, unloaded\n", kvm_vendor->name);
}

module_init(kvm_init);
module_exit(kvm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvm-research authors");
MODULE_DESCRIPTION("Research KVM-style hypervisor using AMD SVM or Intel VMX");
