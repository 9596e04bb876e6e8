// SPDX-License-Identifier: GPL-2.0
/*
 * hvhog: a test module that stands in for "another hypervisor": it turns
 * on EFER.SVME (AMD) or CR4.VMXE (Intel) on every online CPU and leaves
 * it on until it is unloaded.  The lab tests load it to check that kvm.ko
 * refuses to load beside it.
 */
#define pr_fmt(fmt) "hvhog: " fmt

#include <linux/module.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/tlbflush.h>

static void hvhog_claim(void *unused)
{
	u64 efer;

	if (boot_cpu_has(X86_FEATURE_SVM)) {
		rdmsrl(MSR_EFER, efer);
		wrmsrl(MSR_EFER, efer | EFER_SVME);
	} else {
		cr4_set_bits(X86_CR4_VMXE);
	}
}

static void hvhog_release(void *unused)
{
	u64 efer;

	if (boot_cpu_has(X86_FEATURE_SVM)) {
		rdmsrl(MSR_EFER, efer);
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	} else {
		cr4_clear_bits(X86_CR4_VMXE);
	}
}

static int __init hvhog_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_SVM) && !boot_cpu_has(X86_FEATURE_VMX))
		return -ENODEV;
	on_each_cpu(hvhog_claim, NULL, 1);
	pr_info("virtualization claimed on every CPU\n");
	return 0;
}

static void __exit hvhog_exit(void)
{
	on_each_cpu(hvhog_release, NULL, 1);
}

module_init(hvhog_init);
module_exit(hvhog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test stand-in for another hypervisor holding SVM or VMX");
