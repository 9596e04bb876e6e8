// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: turning SVM on and off on each CPU.
 *
 * Enabling SVM on a CPU means setting EFER.SVME and giving the CPU a
 * page-sized host save area (VM_HSAVE_PA), where VMRUN stores host state
 * that the #VMEXIT path reloads (AMD APM vol. 2, "Enabling SVM" and
 * "VM_HSAVE_PA MSR").
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/printk.h>
#include <linux/smp.h>

#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/svm.h>

#include "kvm_host.h"

static int svm_hardware_setup(void)
{
	/* CPUID Fn8000_000A: EBX = number of ASIDs, EDX[0] = nested paging. */
	pr_info("AMD SVM, %u ASIDs, nested paging %s\n",
		cpuid_ebx(SVM_CPUID_FUNC),
		boot_cpu_has(X86_FEATURE_NPT) ? "yes" : "no");
	return 0;
}

/* Called with interrupts disabled. */
static int svm_enable_cpu(phys_addr_t hsave)
{
	int cpu = smp_processor_id();
	u64 efer, hsave_pa;

	/* With SME, host memory is encrypted: the address needs the C-bit. */
	hsave_pa = __sme_set(hsave);

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;

	/* _safe: a #GP (e.g. SVM locked off on this CPU) becomes an error. */
	if (wrmsrl_safe(MSR_EFER, efer | EFER_SVME)) {
		pr_err("CPU %d: cannot set EFER.SVME\n", cpu);
		return -EIO;
	}
	if (wrmsrl_safe(MSR_VM_HSAVE_PA, hsave_pa)) {
		pr_err("CPU %d: cannot set VM_HSAVE_PA to %#llx\n", cpu, hsave_pa);
		wrmsrl(MSR_EFER, efer);
		return -EIO;
	}
	return 0;
}

/* Called with interrupts disabled, only after svm_enable_cpu() succeeded. */
static void svm_disable_cpu(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

static const struct kvm_vendor_ops svm_vendor_ops = {
	.name = "AMD SVM",
	.hardware_setup = svm_hardware_setup,
	.enable_cpu = svm_enable_cpu,
	.disable_cpu = svm_disable_cpu,
};

const struct kvm_vendor_ops *svm_probe(void)
{
	u64 vm_cr;

	/* CPUID Fn8000_0001 ECX[SVM], as recorded by the kernel at boot. */
	if (!boot_cpu_has(X86_FEATURE_SVM))
		return ERR_PTR(-ENODEV);

	if (rdmsrl_safe(MSR_VM_CR, &vm_cr)) {
		pr_err("AMD SVM: cannot read MSR_VM_CR\n");
		return ERR_PTR(-EIO);
	}
	/* Firmware can disable SVM: EFER.SVME then cannot be set. */
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("AMD SVM is disabled by the BIOS (VM_CR.SVMDIS is set)\n");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return &svm_vendor_ops;
}
