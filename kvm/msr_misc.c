// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs with no feature behind them, answered as upstream Linux 6.1
 * KVM's kvm_get/set_msr_common() answers them for a guest without a
 * virtual PMU (enable_pmu off, as on a host without one) and without the
 * CPUID bits KVM_GET_SUPPORTED_CPUID does not offer here:
 *
 * - read as 0, every write #GP: platform ID, power-on configuration,
 *   the last-branch/interrupt IPs, SYSCFG, TSEG, INT_PENDING_MSG,
 *   PERF_CTL, the RAPL counters;
 * - read as 0, every write dropped: NB_CFG, BU_CFG2, DC_CFG, TW_CFG,
 *   EX_CFG, VM_HSAVE_PA (VMX; SVM keeps it), TSC_DEADLINE (no in-kernel
 *   APIC), and the legacy performance counters and event selects (K7
 *   0-3, P6 0-1), as with no vPMU;
 * - write-only, dropped: UCODE_WRITE, PATCH_LOADER;
 * - fixed values for old kernels: CLK_CTL, BBL_CR_CTL3, FSB_FREQ,
 *   EBC_FREQUENCY_ID, PERF_STATUS;
 * - for KVM_GET/SET_MSRS only, 0 (the guest gets #GP): PEBS, DS_AREA,
 *   the family 15h counters; PERF_CAPABILITIES, XSS and XFD also for a
 *   guest whose CPUID has PDCM, XSAVES or XFD;
 * - kept and read back: UCODE_REV (only the VMM sets it), POWER_CTL,
 *   SMBASE, SMI_COUNT and ARCH_CAPABILITIES (the VMM writes them),
 *   TSC_AUX (for the guest with RDTSCP or RDPID), HWCR (only
 *   McStatusWrEn), TSC_ADJUST, MISC_ENABLE, PLATFORM_INFO,
 *   MISC_FEATURES_ENABLES (CPUID faulting, kvm_emulate_cpuid()).
 *
 * The OSVW MSRs stay #GP: upstream answers them only for a guest whose
 * CPUID has OSVW, which is not offered.  Functions return 0 (done), 1
 * (#GP; KVM_GET/SET_MSRS stop there) or KVM_MSR_UNKNOWN.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/vmx.h>

#include "kvm_host.h"

/* The ARCH_CAPABILITIES bits upstream 6.1.y passes on from the host. */
#define KVM_ARCH_CAP_FROM_HOST						\
	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA |		\
	 ARCH_CAP_SKIP_VMENTRY_L1DFLUSH | ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | \
	 ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TSX_CTRL_MSR | ARCH_CAP_TAA_NO | \
	 ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO |	\
	 ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | ARCH_CAP_PBRSB_NO |		\
	 ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO | ARCH_CAP_RFDS_CLEAR |		\
	 ARCH_CAP_BHI_NO | ARCH_CAP_ITS_NO)

/*
 * A vCPU's IA32_ARCH_CAPABILITIES at creation, as upstream's
 * kvm_get_arch_capabilities(): the host's bits KVM passes on, and the
 * "not affected" bits for what this host is not affected by.  The L1D
 * flush bit follows the kernel's l1tf_vmx_mitigation, as upstream.
 */
static u64 kvm_default_arch_caps(void)
{
	static const struct {
		u16 bug;
		u64 not_affected;
	} no[] = {
		{ X86_BUG_CPU_MELTDOWN, ARCH_CAP_RDCL_NO },
		{ X86_BUG_SPEC_STORE_BYPASS, ARCH_CAP_SSB_NO },
		{ X86_BUG_MDS, ARCH_CAP_MDS_NO },
		{ X86_BUG_RFDS, ARCH_CAP_RFDS_NO },
		{ X86_BUG_ITS, ARCH_CAP_ITS_NO },
	};
	u64 data = 0;
	int i;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES)) {
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, data);
		data &= KVM_ARCH_CAP_FROM_HOST;
	}
	data |= ARCH_CAP_PSCHANGE_MC_NO;
	if (l1tf_vmx_mitigation != VMENTER_L1D_FLUSH_NEVER)
		data |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;
	for (i = 0; i < ARRAY_SIZE(no); i++)
		if (!boot_cpu_has_bug(no[i].bug))
			data |= no[i].not_affected;
	/* Without RTM the guest cannot be affected by TAA: no TAA_NO. */
	if (!boot_cpu_has(X86_FEATURE_RTM))
		data &= ~ARCH_CAP_TAA_NO;
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		data |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS) || gds_ucode_mitigated())
		data |= ARCH_CAP_GDS_NO;
	return data;
}

/* The guest's CPUID vendor string (leaf 0) is @name, 12 characters. */
bool kvm_guest_vendor_is(struct kvm_vcpu *vcpu, const char *name)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0, 0);
	u32 vendor[3];

	if (!e)
		return false;
	vendor[0] = e->ebx;
	vendor[1] = e->edx;
	vendor[2] = e->ecx;
	return !memcmp(vendor, name, sizeof(vendor));
}

/* Upstream's values for a vCPU after RESET. */
void kvm_misc_msr_reset(struct kvm_vcpu *vcpu)
{
	memset(&vcpu->msr, 0, sizeof(vcpu->msr));
	/* A microcode revision no real CPU has (svm.c, vmx.c upstream). */
	vcpu->msr.ucode_rev = boot_cpu_has(X86_FEATURE_SVM) ? 0x01000065 :
							      0x100000000ULL;
	vcpu->msr.smbase = 0x30000;
	/* The power-on PAT: WB, WT, UC-, UC, twice. */
	vcpu->pat = 0x0007040600070406ULL;
	vcpu->msr.platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	vcpu->msr.arch_caps = kvm_default_arch_caps();
	vcpu->misc_enable = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
			    MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
}

/* Reads as 0, a write is #GP. */
static bool kvm_msr_read_zero(u32 msr)
{
	switch (msr) {
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_EBL_CR_POWERON:
	case MSR_IA32_LASTBRANCHFROMIP:
	case MSR_IA32_LASTBRANCHTOIP:
	case MSR_IA32_LASTINTFROMIP:
	case MSR_IA32_LASTINTTOIP:
	case MSR_AMD64_SYSCFG:
	case MSR_K8_TSEG_ADDR:
	case MSR_K8_TSEG_MASK:
	case MSR_K8_INT_PENDING_MSG:
	case MSR_IA32_PERF_CTL:
	case MSR_RAPL_POWER_UNIT:
	case MSR_PP0_ENERGY_STATUS:
	case MSR_PP1_ENERGY_STATUS:
	case MSR_PKG_ENERGY_STATUS:
	case MSR_DRAM_ENERGY_STATUS:
		return true;
	}
	return false;
}

/* The legacy counters and event selects: no vPMU, read 0, writes dropped. */
static bool kvm_msr_legacy_pmu(u32 msr)
{
	return (msr >= MSR_K7_EVNTSEL0 && msr <= MSR_K7_EVNTSEL3) ||
	       (msr >= MSR_K7_PERFCTR0 && msr <= MSR_K7_PERFCTR3) ||
	       (msr >= MSR_P6_PERFCTR0 && msr <= MSR_P6_PERFCTR1) ||
	       (msr >= MSR_P6_EVNTSEL0 && msr <= MSR_P6_EVNTSEL1);
}

/* Reads as 0, a write is dropped. */
static bool kvm_msr_ignored(u32 msr)
{
	switch (msr) {
	case MSR_AMD64_NB_CFG:
	case MSR_AMD64_BU_CFG2:
	case MSR_AMD64_DC_CFG:
	case MSR_AMD64_TW_CFG:
	case MSR_F15H_EX_CFG:
	case MSR_VM_HSAVE_PA:
	/* Without an in-kernel local APIC (msr.c takes it when there is one). */
	case MSR_IA32_TSC_DEADLINE:
		return true;
	}
	return kvm_msr_legacy_pmu(msr);
}

/* PMU MSRs a VMM may save and restore as 0 (upstream's "to save" list). */
static bool kvm_msr_host_zero(u32 msr)
{
	return msr == MSR_IA32_PEBS_ENABLE || msr == MSR_IA32_DS_AREA ||
	       msr == MSR_PEBS_DATA_CFG ||
	       (msr >= MSR_F15H_PERF_CTL0 && msr <= MSR_F15H_PERF_CTR5);
}

/*
 * PERF_CAPABILITIES, XSS, XFD: for the VMM, or a guest whose CPUID has
 * PDCM, XSAVES, XFD.  Each holds only 0 here (no vPMU, no supervisor or
 * dynamic state components).
 */
static bool kvm_msr_cpuid_allows(struct kvm_vcpu *vcpu, u32 msr, bool host)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0xd, 1);

	if (host)
		return true;
	if (msr == MSR_IA32_PERF_CAPABILITIES)
		return kvm_guest_has(vcpu, 1, 2, BIT(X86_FEATURE_PDCM & 31));
	if (msr == MSR_IA32_XSS)
		return e && (e->eax & BIT(X86_FEATURE_XSAVES & 31));
	return e && (e->eax & BIT(X86_FEATURE_XFD & 31));
}

/* The MSRs only the VMM writes. */
static u64 *kvm_msr_vmm_only(struct kvm_vcpu *vcpu, u32 msr)
{
	if (msr == MSR_IA32_ARCH_CAPABILITIES)
		return &vcpu->msr.arch_caps;
	return msr == MSR_IA32_SMBASE ? &vcpu->msr.smbase : &vcpu->msr.smi_count;
}

/* The guest reads it with the CPUID bit; only the VMM writes it. */
static bool kvm_guest_has_arch_caps(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 7, 3,
			     BIT(X86_FEATURE_ARCH_CAPABILITIES & 31));
}

/* The host has IA32_TSC_AUX (upstream: it is a user-return MSR there). */
bool kvm_host_has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) ||
	       boot_cpu_has(X86_FEATURE_RDPID);
}

/* The guest's CPUID has RDTSCP or RDPID, the instructions that read it. */
bool kvm_guest_has_tsc_aux(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 0x80000001, 3,
			     BIT(X86_FEATURE_RDTSCP & 31)) ||
	       kvm_guest_has(vcpu, 7, 2, BIT(X86_FEATURE_RDPID & 31));
}

/*
 * TSC_AUX, as upstream 6.1: only where the host has it; the guest's
 * RDMSR and WRMSR only with RDTSCP or RDPID in its CPUID (the VMM's
 * always).  Bits 63:32 are #GP for an Intel guest, else dropped.
 */
static bool kvm_tsc_aux_allowed(struct kvm_vcpu *vcpu, bool host)
{
	return kvm_host_has_tsc_aux() && (host || kvm_guest_has_tsc_aux(vcpu));
}

static int kvm_set_tsc_aux(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	if (!kvm_tsc_aux_allowed(vcpu, host))
		return 1;
	if ((data >> 32) && kvm_guest_vendor_is(vcpu, "GenuineIntel"))
		return 1;
	vcpu->msr.tsc_aux = (u32)data;
	return 0;
}

/*
 * The guest's TSC_AUX in the hardware MSR while it runs: its RDTSCP and
 * RDPID read the MSR without an exit (SVM cannot intercept RDPID; VMX
 * with "enable RDTSCP" intercepts neither).
 *
 * Design: switched around each stay in the guest, interrupts off from
 * before the write to after the restore (on SVM, GIF clear too).  The
 * backends call kvm_tsc_aux_load_guest() just before the entry and
 * kvm_tsc_aux_put_host() right after the exit.  The host's value (CPU
 * and node number, for the vDSO's getcpu and user RDPID) is thus back
 * before anything can run on this CPU: no interrupt handler, no other
 * task, no return to user mode, no migration sees the guest's.  Only an
 * NMI can arrive in between (on VMX; SVM holds it while GIF is clear),
 * and the kernel itself never reads TSC_AUX (its entry code avoids RDPID
 * for exactly this reason).  Upstream defers the restore to a
 * user-return notifier; that saves the two WRMSRs per exit but needs
 * per-CPU notifier state torn down on CPU offline and module unload,
 * which this module does not have.  The cost is a RDMSR per entry, and
 * the two WRMSRs where the values differ.
 *
 * @any_guest: the guest can read the MSR whatever its CPUID says.  On
 * SVM a guest without RDTSCP or RDPID in its CPUID can still execute
 * RDPID (AMD cannot intercept it): it must read its own value (0 unless
 * the VMM set one), never the host's CPU number, so SVM loads it for
 * every guest, as upstream does.  On VMX "enable RDTSCP" is off for such
 * a guest and both instructions are #UD: only guests with them pay.
 */
bool kvm_tsc_aux_load_guest(struct kvm_vcpu *vcpu, bool any_guest, u64 *host)
{
	if (!kvm_host_has_tsc_aux() ||
	    (!any_guest && !kvm_guest_has_tsc_aux(vcpu)))
		return false;
	rdmsrl(MSR_TSC_AUX, *host);
	if (*host == vcpu->msr.tsc_aux)
		return false;
	wrmsrl(MSR_TSC_AUX, vcpu->msr.tsc_aux);
	return true;
}

void kvm_tsc_aux_put_host(bool loaded, u64 host)
{
	if (loaded)
		wrmsrl(MSR_TSC_AUX, host);
}

int kvm_misc_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data, bool host)
{
	*data = 0;
	if (kvm_msr_read_zero(msr) || kvm_msr_ignored(msr))
		return 0;
	if (kvm_msr_host_zero(msr))
		return host ? 0 : 1;

	switch (msr) {
	case MSR_IA32_PERF_CAPABILITIES:
	case MSR_IA32_XSS:
	case MSR_IA32_XFD:
	case MSR_IA32_XFD_ERR:
		return kvm_msr_cpuid_allows(vcpu, msr, host) ? 0 : 1;
	case MSR_FAM10H_MMIO_CONF_BASE:
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*data = vcpu->msr.arch_caps;
		return host || kvm_guest_has_arch_caps(vcpu) ? 0 : 1;
	case MSR_TSC_AUX:
		*data = vcpu->msr.tsc_aux;
		return kvm_tsc_aux_allowed(vcpu, host) ? 0 : 1;
	case MSR_K7_CLK_CTL:
		/* The ramp-up count K7 guests expect, minimum divisors. */
		*data = 0x20000000;
		return 0;
	case MSR_IA32_BBL_CR_CTL3:
		/* L2: 64 GB range, 256 KB, enabled, latency 1, configured. */
		*data = 0xbe702111;
		return 0;
	case MSR_FSB_FREQ:
		*data = 3;
		return 0;
	case MSR_EBC_FREQUENCY_ID:
		/* Core/bus clock ratio 1, so that no guest divides by 0. */
		*data = 1 << 24;
		return 0;
	case MSR_IA32_PERF_STATUS:
		*data = 1000ULL | (4ULL << 40);
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->msr.ucode_rev;
		return 0;
	case MSR_IA32_POWER_CTL:
		*data = vcpu->msr.power_ctl;
		return 0;
	case MSR_IA32_SMBASE:
		*data = vcpu->msr.smbase;
		return host ? 0 : 1;
	case MSR_SMI_COUNT:
		*data = vcpu->msr.smi_count;
		return 0;
	case MSR_K7_HWCR:
		*data = vcpu->msr.hwcr;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*data = vcpu->msr.tsc_adjust;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_PLATFORM_INFO:
		*data = vcpu->msr.platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*data = vcpu->msr.misc_features;
		return 0;
	default:
		return KVM_MSR_UNKNOWN;
	}
}

/*
 * The guest may flip neither "PEBS unavailable" nor "BTS unavailable";
 * its writes to "performance monitoring available" are dropped.  The
 * VMM may write anything.
 */
static int kvm_set_misc_enable(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	u64 old = vcpu->misc_enable;

	if (!host) {
		if ((old ^ data) & (MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
				    MSR_IA32_MISC_ENABLE_BTS_UNAVAIL))
			return 1;
		data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
		       (old & MSR_IA32_MISC_ENABLE_EMON);
	}
	vcpu->misc_enable = data;
	return 0;
}

/*
 * HWCR: writes to the flush filter, IGNNE emulation and TLB cache
 * disable bits are dropped; McStatusWrEn (bit 18) alone is kept; any
 * other value is #GP.  As in 6.1, writing 0 leaves the MSR as it was.
 */
static int kvm_set_hwcr(struct kvm_vcpu *vcpu, u64 data)
{
	data &= ~(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8));
	if (data == BIT_ULL(18))
		vcpu->msr.hwcr = data;
	else if (data)
		return 1;
	return 0;
}

/* Only with TSC_ADJUST in CPUID; the guest's write moves its TSC. */
static int kvm_set_tsc_adjust(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	if (!kvm_guest_has(vcpu, 7, 1, BIT(X86_FEATURE_TSC_ADJUST & 31)))
		return 0;
	if (!host) {
		vcpu->tsc_offset += data - vcpu->msr.tsc_adjust;
		kvm_vendor->update_cr(vcpu);
		kvm_clock_tsc_changed(vcpu);
	}
	vcpu->msr.tsc_adjust = data;
	return 0;
}

int kvm_misc_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	if (kvm_msr_read_zero(msr))
		return 1;
	if (kvm_msr_ignored(msr)) {
		if (data && kvm_msr_legacy_pmu(msr))
			pr_info_ratelimited("vCPU %d: wrmsr %#x = %#llx: no vPMU, ignored\n",
					    vcpu->vcpu_id, msr, data);
		return 0;
	}
	if (kvm_msr_host_zero(msr))
		return host && !data ? 0 : 1;

	switch (msr) {
	case MSR_IA32_PERF_CAPABILITIES:
		return host && !data ? 0 : 1;
	case MSR_IA32_XSS:
	case MSR_IA32_XFD:
	case MSR_IA32_XFD_ERR:
		return kvm_msr_cpuid_allows(vcpu, msr, host) && !data ? 0 : 1;
	case MSR_TSC_AUX:
		return kvm_set_tsc_aux(vcpu, data, host);
	case MSR_FAM10H_MMIO_CONF_BASE:
		return data ? 1 : 0;
	case MSR_IA32_UCODE_WRITE:
	case MSR_AMD64_PATCH_LOADER:
	case MSR_K7_CLK_CTL:
	case MSR_IA32_BBL_CR_CTL3:
		return 0;
	case MSR_IA32_UCODE_REV:
		/* The guest's write asks for a load: nothing to load. */
		if (host)
			vcpu->msr.ucode_rev = data;
		return 0;
	case MSR_IA32_POWER_CTL:
		vcpu->msr.power_ctl = data;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
	case MSR_IA32_SMBASE:
	case MSR_SMI_COUNT:
		/* Only the VMM writes these. */
		if (!host)
			return 1;
		*kvm_msr_vmm_only(vcpu, msr) = data;
		return 0;
	case MSR_K7_HWCR:
		return kvm_set_hwcr(vcpu, data);
	case MSR_IA32_TSC_ADJUST:
		return kvm_set_tsc_adjust(vcpu, data, host);
	case MSR_IA32_MISC_ENABLE:
		return kvm_set_misc_enable(vcpu, data, host);
	case MSR_PLATFORM_INFO:
		/* The VMM's; it may not take CPUID faulting away while on. */
		if (!host || (!(data & MSR_PLATFORM_INFO_CPUID_FAULT) &&
			      (vcpu->msr.misc_features &
			       MSR_MISC_FEATURES_ENABLES_CPUID_FAULT)))
			return 1;
		vcpu->msr.platform_info = data;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		if ((data & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    ((data & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
		     !(vcpu->msr.platform_info & MSR_PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		vcpu->msr.misc_features = data;
		return 0;
	default:
		return KVM_MSR_UNKNOWN;
	}
}
