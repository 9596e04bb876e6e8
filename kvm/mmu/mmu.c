// SPDX-License-Identifier: GPL-2.0
/*
 * Selection of the MMU virtualization strategy ("mmu" module parameter).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include <asm/page.h>

#include "mmu/mmu.h"

/*
 * Set by the backend's hardware_setup() when it runs guests on nested
 * paging (SVM with NPT, VMX with EPT and unrestricted guest);
 * KVM_CREATE_VM refuses mmu=tdp otherwise.  kvm_tdp_ept: the nested
 * tables are in EPT format (tdp.c).
 */
bool kvm_tdp_supported;
bool kvm_tdp_ept;
/* The largest nested leaf the hardware takes: 1 (4 KiB), 2 (2 MiB), 3 (1 GiB). */
int kvm_tdp_max_level = 1;
bool kvm_tdp_ad;

static const struct kvm_mmu_ops *const kvm_mmu_strategies[] = {
	&kvm_mmu_naive,
	&kvm_mmu_cached,
	&kvm_mmu_tdp,
};

/*
 * Written only by the parameter's .set, which the module parameter core
 * serializes (kernel_param_lock); read locklessly with READ_ONCE().  The
 * parameter stays writable at runtime: a new value applies to VMs created
 * afterwards, existing VMs keep the strategy they started with.
 */
static const struct kvm_mmu_ops *kvm_mmu_current = &kvm_mmu_cached;

const struct kvm_mmu_ops *kvm_mmu_selected(void)
{
	return READ_ONCE(kvm_mmu_current);
}

static int kvm_mmu_param_set(const char *val, const struct kernel_param *kp)
{
	char valid[32] = "";
	size_t i, len = 0;

	for (i = 0; i < ARRAY_SIZE(kvm_mmu_strategies); i++) {
		/* sysfs_streq() ignores the newline of "echo tdp > ...". */
		if (sysfs_streq(val, kvm_mmu_strategies[i]->name)) {
			WRITE_ONCE(kvm_mmu_current, kvm_mmu_strategies[i]);
			return 0;
		}
	}

	for (i = 0; i < ARRAY_SIZE(kvm_mmu_strategies); i++)
		len += scnprintf(valid + len, sizeof(valid) - len, "%s%s",
				 i ? ", " : "", kvm_mmu_strategies[i]->name);
	pr_err("invalid mmu=%.*s: valid values are %s\n",
	       (int)strcspn(val, "\n"), val, valid);
	return -EINVAL;
}

static int kvm_mmu_param_get(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", kvm_mmu_selected()->name);
}

static const struct kernel_param_ops kvm_mmu_param_ops = {
	.set = kvm_mmu_param_set,
	.get = kvm_mmu_param_get,
};

module_param_cb(mmu, &kvm_mmu_param_ops, NULL, 0644);
MODULE_PARM_DESC(mmu, "MMU virtualization strategy: "
		 "naive (drop shadow pages on every CR3 switch or flush), "
		 "cached (keep shadow pages, "
		 "write-protect guest page tables; default), "
		 "tdp (hardware nested paging)");
