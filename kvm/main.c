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

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

static const struct kvm_vendor_ops *kvm_vendor;

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		/* Like upstream: the argument must be 0. */
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		/* No capability is supported yet. */
		return 0;
	case KVM_GET_VCPU_MMAP_SIZE:
		pr_info_ratelimited("KVM_GET_VCPU_MMAP_SIZE is not implemented yet\n");
		return -EOPNOTSUPP;
	case KVM_CREATE_VM:
		pr_info_ratelimited("KVM_CREATE_VM is not implemented yet\n");
		return -EOPNOTSUPP;
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
		return r;

	r = misc_register(&kvm_dev);
	if (r) {
		pr_err("cannot register /dev/kvm (misc minor %d, error %d)\n",
		       KVM_MINOR, r);
		goto err_disable_cpus;
	}

	pr_info("%s enabled on all online CPUs, mmu=%s\n",
		kvm_vendor->name, kvm_mmu_selected()->name);
	return 0;

err_disable_cpus:
	kvm_virt_exit();
	return r;
}

static void __exit kvm_exit(void)
{
	misc_deregister(&kvm_dev);
	kvm_virt_exit();
	pr_info("%s disabled, unloaded\n", kvm_vendor->name);
}

module_init(kvm_init);
module_exit(kvm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvm-research authors");
MODULE_DESCRIPTION("Research KVM-style hypervisor using AMD SVM or Intel VMX");
