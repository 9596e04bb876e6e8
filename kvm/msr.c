// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: the generic ones (EFER, APIC base, TSC, PAT, MTRRs; kvmclock's
 * in clock.c, machine checks in mce.c), the vendor's through
 * kvm_vendor_ops, those with no feature behind them (msr_misc.c), RDMSR
 * and WRMSR exits, and the list KVM_GET_MSR_INDEX_LIST returns.
 *
 * kvm_get_msr() and kvm_set_msr() return 0 when done and 1 when the MSR
 * does not exist or the value is not allowed: the guest then gets #GP,
 * and KVM_GET_MSRS/KVM_SET_MSRS stop at that entry (they return how many
 * entries were done, as upstream does).  @host is true for those ioctls.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/kvm_para.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/mtrr.h>

#include "kvm_host.h"
#include "kvm_trace.h"
#include "spec.h"

/*
 * MTRRs: stored, never applied.  Guest memory is ordinary WB host memory
 * and device memory is emulated, so the memory type changes nothing here;
 * what a guest writes, it reads back.  The layout is the usual one: 8
 * variable ranges, the fixed ranges, write-combining.
 */
#define KVM_MTRR_CAP	(KVM_NR_VAR_MTRR | BIT(8) /* FIX */ | BIT(10) /* WC */)

static bool kvm_mtrr_type_valid(u64 type)
{
	return type == MTRR_TYPE_UNCACHABLE || type == MTRR_TYPE_WRCOMB ||
	       type == MTRR_TYPE_WRTHROUGH || type == MTRR_TYPE_WRPROT ||
	       type == MTRR_TYPE_WRBACK;
}

/* The index of a fixed-range MTRR in vcpu->mtrr.fixed[], or -1. */
static int kvm_mtrr_fixed_index(u32 msr)
{
	switch (msr) {
	case MSR_MTRRfix64K_00000:
		return 0;
	case MSR_MTRRfix16K_80000:
	case MSR_MTRRfix16K_A0000:
		return 1 + msr - MSR_MTRRfix16K_80000;
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return 3 + msr - MSR_MTRRfix4K_C0000;
	default:
		return -1;
	}
}

static bool kvm_mtrr_msr(u32 msr)
{
	return msr == MSR_MTRRcap || msr == MSR_MTRRdefType ||
	       kvm_mtrr_fixed_index(msr) >= 0 ||
	       (msr >= MTRRphysBase_MSR(0) && msr < MTRRphysBase_MSR(KVM_NR_VAR_MTRR));
}

static int kvm_mtrr_get(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	int i = kvm_mtrr_fixed_index(msr);

	if (msr == MSR_MTRRcap)
		*data = KVM_MTRR_CAP;
	else if (msr == MSR_MTRRdefType)
		*data = vcpu->mtrr.def_type;
	else if (i >= 0)
		*data = vcpu->mtrr.fixed[i];
	else
		*data = vcpu->mtrr.var[msr - MTRRphysBase_MSR(0)];
	return 0;
}

static int kvm_mtrr_set(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	u64 high_rsvd = ~0ULL << boot_cpu_data.x86_phys_bits;
	int i = kvm_mtrr_fixed_index(msr);

	if (msr == MSR_MTRRcap)
		return 1;			/* read-only */
	if (msr == MSR_MTRRdefType) {
		/* Type, FE (bit 10), E (bit 11). */
		if ((data & ~0xcffULL) || !kvm_mtrr_type_valid(data & 0xff))
			return 1;
		vcpu->mtrr.def_type = data;
		return 0;
	}
	if (i >= 0) {
		int b;

		for (b = 0; b < 64; b += 8)
			if (!kvm_mtrr_type_valid((data >> b) & 0xff))
				return 1;
		vcpu->mtrr.fixed[i] = data;
		return 0;
	}
	i = msr - MTRRphysBase_MSR(0);
	if (i & 1) {
		/* PhysMask: bits 11 (valid) and 12 up to the address width. */
		if (data & (high_rsvd | 0x7ff))
			return 1;
	} else {
		/* PhysBase: the type in bits 0-7, bits 8-11 reserved. */
		if ((data & (high_rsvd | 0xf00)) || !kvm_mtrr_type_valid(data & 0xff))
			return 1;
	}
	vcpu->mtrr.var[i] = data;
	return 0;
}

/* PAT entries: UC, WC, WT, WP, WB, UC- (2 and 3 are reserved). */
static bool kvm_pat_valid(u64 data)
{
	if (data & 0xf8f8f8f8f8f8f8f8ULL)
		return false;
	return (data | ((data & 0x0202020202020202ULL) << 1)) == data;
}

int kvm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	int r;

	if (kvm_mtrr_msr(index))
		return kvm_mtrr_get(vcpu, index, data);
	if (kvm_mce_msr(index))
		return kvm_mce_get_msr(vcpu, index, data, host);
	if (kvm_spec_msr(index))
		return kvm_spec_get_msr(vcpu, index, data, host);
	if (kvm_clock_msr(index))
		return kvm_clock_get_msr(vcpu, index, data);
	if (lapic_in_kernel(vcpu)) {
		if (index >= APIC_BASE_MSR && index <= APIC_BASE_MSR + 0xff)
			return kvm_x2apic_msr_read(vcpu, index, data);
		if (index == MSR_IA32_TSC_DEADLINE) {
			*data = kvm_lapic_get_tscdeadline(vcpu);
			return 0;
		}
	}

	switch (index) {
	case MSR_EFER:
		*data = vcpu->efer;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + vcpu->tsc_offset;
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vcpu->pat;
		return 0;
	default:
		r = kvm_vendor->get_msr(vcpu, index, data, host);
		if (r == KVM_MSR_UNKNOWN)
			r = kvm_misc_get_msr(vcpu, index, data, host);
		if (r != KVM_MSR_UNKNOWN)
			return r;
		if (!host)
			pr_debug_ratelimited("vCPU %d: rdmsr %#x: #GP\n",
					     vcpu->vcpu_id, index);
		return 1;
	}
}

int kvm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	s64 offset;
	int r;

	if (kvm_mtrr_msr(index))
		return kvm_mtrr_set(vcpu, index, data);
	if (kvm_mce_msr(index))
		return kvm_mce_set_msr(vcpu, index, data, host);
	if (kvm_spec_msr(index))
		return kvm_spec_set_msr(vcpu, index, data, host);
	if (kvm_clock_msr(index))
		return kvm_clock_set_msr(vcpu, index, data, host);
	if (lapic_in_kernel(vcpu)) {
		if (index >= APIC_BASE_MSR && index <= APIC_BASE_MSR + 0xff)
			return kvm_x2apic_msr_write(vcpu, index, data);
		if (index == MSR_IA32_TSC_DEADLINE) {
			kvm_lapic_set_tscdeadline(vcpu, data);
			return 0;
		}
	}
	switch (index) {
	case MSR_EFER:
		return kvm_set_efer(vcpu, data, host);
	case MSR_IA32_APICBASE: {
		const char *why = kvm_apic_base_invalid(vcpu, data);

		if (why) {
			if (host)
				pr_info_ratelimited("vCPU %d: KVM_SET_MSRS: APIC base %#llx: %s\n",
						    vcpu->vcpu_id, data, why);
			return 1;
		}
		if (lapic_in_kernel(vcpu))
			return kvm_lapic_set_base(vcpu, data, host);
		vcpu->apic_base = data;
		return 0;
	}
	case MSR_IA32_TSC:
		/* The guest's write counts in TSC_ADJUST, the VMM's does not. */
		offset = data - rdtsc();
		if (!host)
			vcpu->msr.tsc_adjust += offset - vcpu->tsc_offset;
		vcpu->tsc_offset = offset;
		kvm_vendor->update_cr(vcpu);
		kvm_clock_tsc_changed(vcpu);
		return 0;
	case MSR_IA32_CR_PAT:
		/* Reserved memory types are #GP, also for the VMM. */
		if (!kvm_pat_valid(data))
			return 1;
		vcpu->pat = data;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_SYSENTER_ESP:
		/*
		 * Made canonical rather than refused, as upstream: AMD CPUs
		 * ignore bits 63:32 (svm.c keeps them for Intel guests only).
		 */
		r = vcpu->cr4 & X86_CR4_LA57 ? 7 : 16;
		data = (s64)(data << r) >> r;
		fallthrough;
	default:
		r = kvm_vendor->set_msr(vcpu, index, data, host);
		if (r == KVM_MSR_UNKNOWN)
			r = kvm_misc_set_msr(vcpu, index, data, host);
		if (r != KVM_MSR_UNKNOWN)
			return r;
		if (!host)
			pr_debug_ratelimited("vCPU %d: wrmsr %#x: #GP\n",
					     vcpu->vcpu_id, index);
		return 1;
	}
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[VCPU_REGS_RCX];
	u64 data;

	if (kvm_get_msr(vcpu, index, &data, false)) {
		trace_kvm_msr(0, index, 0, true);
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	trace_kvm_msr(0, index, data, false);
	vcpu->regs[VCPU_REGS_RAX] = (u32)data;
	vcpu->regs[VCPU_REGS_RDX] = data >> 32;
	kvm_skip_instruction(vcpu, 2);
	return 1;
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[VCPU_REGS_RCX];
	u64 data = (u32)vcpu->regs[VCPU_REGS_RAX] |
		   (vcpu->regs[VCPU_REGS_RDX] << 32);

	if (kvm_set_msr(vcpu, index, data, false)) {
		trace_kvm_msr(1, index, data, true);
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	trace_kvm_msr(1, index, data, false);
	kvm_skip_instruction(vcpu, 2);
	return 1;
}


/*
 * KVM_GET_MSR_INDEX_LIST: the MSRs a VMM saves and restores.  Every one
 * of them can be read and written back with KVM_GET/SET_MSRS.
 */
static const u32 kvm_msrs_always[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	/* Upstream's emulated ones this module keeps (msr_misc.c). */
	MSR_IA32_TSC_ADJUST, MSR_IA32_PERF_CAPABILITIES, MSR_IA32_SMBASE,
	MSR_SMI_COUNT, MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES,
	MSR_IA32_POWER_CTL, MSR_IA32_UCODE_REV, MSR_K7_HWCR,
	MSR_IA32_TSC_DEADLINE, MSR_IA32_ARCH_CAPABILITIES,
	/* kvmclock (clock.c). */
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
};
static_assert(ARRAY_SIZE(kvm_msrs_always) + 2 <= KVM_MAX_MSRS_TO_SAVE);

/*
 * Fills @list (KVM_MAX_MSRS_TO_SAVE entries) and returns how many: the
 * list above, IA32_SPEC_CTRL where this CPU has it (upstream lists only
 * the MSRs that the host can read) and TSC_AUX where RDTSCP and RDPID
 * are offered (as upstream: where either is).
 */
unsigned int kvm_msrs_to_save(u32 *list)
{
	unsigned int n = ARRAY_SIZE(kvm_msrs_always);

	memcpy(list, kvm_msrs_always, sizeof(kvm_msrs_always));
	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		list[n++] = MSR_IA32_SPEC_CTRL;
	if (kvm_cap_rdtscp &&
	    (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID)))
		list[n++] = MSR_TSC_AUX;
	return n;
}
