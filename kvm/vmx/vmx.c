// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: entering and leaving VMX root operation on each CPU.
 *
 * A CPU enters VMX operation with CR4.VMXE set and VMXON pointing at a
 * 4 KiB-aligned "VMXON region" that starts with the VMCS revision
 * identifier (Intel SDM vol. 3C, "Enabling and Entering VMX Operation").
 * Outside of VMX operation VMXON is also refused unless IA32_FEAT_CTL is
 * locked with VMX enabled outside SMX, and CR0/CR4 honour the
 * IA32_VMX_CR{0,4}_FIXED{0,1} MSRs.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/printk.h>
#include <linux/smp.h>

#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "kvm_host.h"

/* What IA32_FEAT_CTL must contain for VMXON outside SMX not to #GP. */
#define VMX_FEAT_CTL_REQUIRED \
	(FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)

/*
 * IA32_VMX_BASIC: bits 30:0 revision identifier, bits 44:32 size of the
 * VMXON/VMCS regions, bit 48 set if those regions must lie below 4 GiB,
 * bits 53:50 memory type the CPU uses to access them.  Returns the
 * revision identifier, or a negative error.
 */
static s64 vmx_check_basic(void)
{
	u64 basic;
	u32 size, memtype;

	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &basic)) {
		pr_err("Intel VMX: cannot read MSR_IA32_VMX_BASIC\n");
		return -EIO;
	}

	size = (basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & GENMASK(12, 0);
	if (size > PAGE_SIZE) {
		pr_err("Intel VMX: VMXON region of %u bytes does not fit a page\n",
		       size);
		return -EOPNOTSUPP;
	}
	/* Never set on CPUs that support 64-bit mode. */
	if (basic & VMX_BASIC_64) {
		pr_err("Intel VMX: VMX regions limited to 32-bit physical addresses\n");
		return -EOPNOTSUPP;
	}
	memtype = (basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT;
	if (memtype != VMX_BASIC_MEM_TYPE_WB) {
		pr_err("Intel VMX: VMX regions use memory type %u, not write-back\n",
		       memtype);
		return -EOPNOTSUPP;
	}
	return basic & GENMASK(30, 0);
}

/* Logs which of the features later stages care about the CPU offers. */
static void vmx_report_features(void)
{
	u32 secondary = 0;
	u64 msr;

	/* The high half of a control MSR has the controls allowed to be 1. */
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, msr);
	if (upper_32_bits(msr) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, msr);
		secondary = upper_32_bits(msr);
	}

	pr_info("Intel VMX, EPT %s, unrestricted guest %s, VPID %s\n",
		secondary & SECONDARY_EXEC_ENABLE_EPT ? "yes" : "no",
		secondary & SECONDARY_EXEC_UNRESTRICTED_GUEST ? "yes" : "no",
		secondary & SECONDARY_EXEC_ENABLE_VPID ? "yes" : "no");
}

/* The VMCS revision identifier, which starts the VMXON region and VMCSs. */
static u32 vmx_revision;

static int vmx_hardware_setup(void)
{
	s64 revision = vmx_check_basic();

	if (revision < 0)
		return revision;
	vmx_revision = revision;
	vmx_report_features();
	return 0;
}

static void vmx_prepare_area(void *vmxon_region)
{
	*(u32 *)vmxon_region = vmx_revision;
}

/*
 * A value is valid for CR0 (CR4) in VMX operation if it has every bit set
 * that is set in FIXED0 and no bit set that is clear in FIXED1.
 */
static bool vmx_cr_allowed(int cpu, const char *name, unsigned long val,
			   u32 fixed0_msr, u32 fixed1_msr)
{
	u64 fixed0, fixed1;

	if (rdmsrl_safe(fixed0_msr, &fixed0) ||
	    rdmsrl_safe(fixed1_msr, &fixed1)) {
		pr_err("CPU %d: cannot read the VMX %s fixed-bit MSRs\n",
		       cpu, name);
		return false;
	}
	if ((val & fixed0) != fixed0 || (val & ~fixed1)) {
		pr_err("CPU %d: %s=%#lx is not allowed in VMX operation (fixed-1 bits %#llx, allowed bits %#llx)\n",
		       cpu, name, val, fixed0, fixed1);
		return false;
	}
	return true;
}

/*
 * VMXON sets CF on VMfailInvalid (bad VMXON region) and ZF on VMfailValid
 * (already in VMX operation); it raises #UD if CR4.VMXE is clear and #GP
 * if IA32_FEAT_CTL or CR0/CR4 forbid it.  The exception-table entry turns
 * a fault into a jump to the "fault" label instead of an oops.
 */
static int vmx_vmxon(int cpu, u64 vmxon_pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jc %l[fail_invalid]\n\t"
		 "jz %l[fail_valid]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (vmxon_pa)
		 : "cc", "memory"
		 : fail_invalid, fail_valid, fault);
	return 0;

fail_invalid:
	pr_err("CPU %d: VMXON failed: VMfailInvalid (VMXON region %#llx rejected)\n",
	       cpu, vmxon_pa);
	return -EIO;
fail_valid:
	pr_err("CPU %d: VMXON failed: VMfailValid (already in VMX operation)\n",
	       cpu);
	return -EIO;
fault:
	pr_err("CPU %d: VMXON faulted\n", cpu);
	return -EIO;
}

/* VMXOFF raises #UD if the CPU is not in VMX operation. */
static int vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
	return 0;

fault:
	return -EIO;
}

/* Called with interrupts disabled. */
static int vmx_enable_cpu(phys_addr_t vmxon_region)
{
	unsigned long cr4 = __read_cr4();
	int cpu = smp_processor_id();
	u64 feat_ctl;
	int r;

	/* Someone else (kvm_intel, VirtualBox, ...) is in VMX operation. */
	if (cr4 & X86_CR4_VMXE)
		return -EBUSY;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    (feat_ctl & VMX_FEAT_CTL_REQUIRED) != VMX_FEAT_CTL_REQUIRED) {
		pr_err("CPU %d: VMX is not enabled in IA32_FEAT_CTL\n", cpu);
		return -EOPNOTSUPP;
	}

	/* CR4_FIXED0 includes VMXE itself, so check CR4 as it will be. */
	if (!vmx_cr_allowed(cpu, "CR0", read_cr0(), MSR_IA32_VMX_CR0_FIXED0,
			    MSR_IA32_VMX_CR0_FIXED1) ||
	    !vmx_cr_allowed(cpu, "CR4", cr4 | X86_CR4_VMXE,
			    MSR_IA32_VMX_CR4_FIXED0, MSR_IA32_VMX_CR4_FIXED1))
		return -EOPNOTSUPP;

	/* cr4_set_bits() also updates the kernel's per-CPU CR4 shadow. */
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(cpu, vmxon_region);
	if (r)
		cr4_clear_bits(X86_CR4_VMXE);
	return r;
}

/* Called with interrupts disabled, only after vmx_enable_cpu() succeeded. */
static void vmx_disable_cpu(void)
{
	/* Only an emergency path of the kernel could have left VMX already. */
	if (vmx_vmxoff())
		pr_warn("CPU %d: VMXOFF faulted: CPU was not in VMX operation\n",
			smp_processor_id());
	cr4_clear_bits(X86_CR4_VMXE);
}

static const struct kvm_vendor_ops vmx_vendor_ops = {
	.name = "Intel VMX",
	.hardware_setup = vmx_hardware_setup,
	.prepare_area = vmx_prepare_area,
	.enable_cpu = vmx_enable_cpu,
	.disable_cpu = vmx_disable_cpu,
};

const struct kvm_vendor_ops *vmx_probe(void)
{
	u64 feat_ctl = 0;

	/*
	 * Ask CPUID.1:ECX.VMX directly: when firmware leaves VMX disabled the
	 * kernel clears X86_FEATURE_VMX, and "disabled" must not be reported
	 * as "absent".  X86_FEATURE_VMX is word 4 (CPUID.1:ECX), bit 5.
	 */
	if (!(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31)))
		return ERR_PTR(-ENODEV);

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    (feat_ctl & VMX_FEAT_CTL_REQUIRED) != VMX_FEAT_CTL_REQUIRED) {
		pr_err("Intel VMX is disabled by the BIOS (IA32_FEAT_CTL %#llx: not locked with VMX enabled outside SMX)\n",
		       feat_ctl);
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("Intel VMX is disabled by the kernel (X86_FEATURE_VMX is clear)\n");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return &vmx_vendor_ops;
}
