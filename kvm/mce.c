// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check architecture for the guest (KVM_CAP_MCE): the global MSRs
 * MCG_CAP, MCG_STATUS and MCG_CTL, the error-reporting banks MCi_CTL,
 * MCi_STATUS, MCi_ADDR and MCi_MISC, KVM_X86_SETUP_MCE (the VMM picks the
 * bank count and capabilities) and KVM_X86_SET_MCE (the VMM reports an
 * error: a corrected one is logged in its bank, an uncorrected one also
 * raises #MC, or shuts the guest down if it cannot be delivered).
 *
 * Nothing here comes from the host's hardware: the banks hold what the
 * guest and its VMM put in them.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/uaccess.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/traps.h>

#include "kvm_host.h"

/* What KVM_X86_SETUP_MCE may ask for, besides the bank count. */
#define KVM_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)
#define KVM_MCG_CAP_COUNT	0xff

int kvm_dev_get_mce_cap_supported(u64 __user *ucap)
{
	u64 cap = KVM_MCE_CAP_SUPPORTED | KVM_MAX_MCE_BANKS;

	return copy_to_user(ucap, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/* The state after vCPU creation: every bank present, all reporting off. */
void kvm_mce_reset(struct kvm_vcpu *vcpu)
{
	vcpu->mcg_cap = KVM_MAX_MCE_BANKS;
	vcpu->mcg_status = 0;
	vcpu->mcg_ctl = 0;
	memset(vcpu->mce_banks, 0, sizeof(vcpu->mce_banks));
}

int kvm_vcpu_setup_mce(struct kvm_vcpu *vcpu, u64 __user *ucap)
{
	unsigned int banks, i;
	u64 cap;

	if (copy_from_user(&cap, ucap, sizeof(cap)))
		return -EFAULT;
	banks = cap & KVM_MCG_CAP_COUNT;
	if (!banks || banks > KVM_MAX_MCE_BANKS ||
	    (cap & ~(KVM_MCE_CAP_SUPPORTED | KVM_MCG_CAP_COUNT))) {
		pr_info_ratelimited("vCPU %d: KVM_X86_SETUP_MCE %#llx: want 1-%d banks and only MCG_CTL_P, MCG_SER_P\n",
				    vcpu->vcpu_id, cap, KVM_MAX_MCE_BANKS);
		return -EINVAL;
	}
	vcpu->mcg_cap = cap;
	vcpu->mcg_status = 0;
	/* Every error enabled, as after a guest's own MCE setup. */
	vcpu->mcg_ctl = (cap & MCG_CTL_P) ? ~0ULL : 0;
	memset(vcpu->mce_banks, 0, sizeof(vcpu->mce_banks));
	for (i = 0; i < banks; i++)
		vcpu->mce_banks[4 * i] = ~0ULL;
	return 0;
}

int kvm_vcpu_set_mce(struct kvm_vcpu *vcpu, struct kvm_x86_mce __user *umce)
{
	unsigned int banks = vcpu->mcg_cap & KVM_MCG_CAP_COUNT;
	struct kvm_x86_mce mce;
	u64 *bank;

	if (copy_from_user(&mce, umce, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= banks || !(mce.status & MCI_STATUS_VAL)) {
		pr_info_ratelimited("vCPU %d: KVM_X86_SET_MCE: bank %u of %u, status %#llx (needs VAL)\n",
				    vcpu->vcpu_id, mce.bank, banks, mce.status);
		return -EINVAL;
	}
	bank = &vcpu->mce_banks[4 * mce.bank];
	/* Reporting switched off by the guest: the error is not seen. */
	if ((vcpu->mcg_cap & MCG_CTL_P) && vcpu->mcg_ctl != ~0ULL)
		return 0;
	if (bank[0] != ~0ULL)
		return 0;

	if (mce.status & MCI_STATUS_UC) {
		/*
		 * A second machine check while one is in progress, or one
		 * the guest has not enabled (CR4.MCE): shutdown.
		 */
		if ((vcpu->mcg_status & MCG_STATUS_MCIP) ||
		    !(vcpu->cr4 & X86_CR4_MCE)) {
			vcpu->triple_fault = true;
			return 0;
		}
		if (bank[1] & MCI_STATUS_UC)
			mce.status |= MCI_STATUS_OVER;
		bank[1] = mce.status;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		vcpu->mcg_status = mce.mcg_status;
		kvm_queue_exception(vcpu, MC_VECTOR);
		return 0;
	}
	/* Corrected: logged, unless an older error in the bank must stay. */
	if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[1] = mce.status;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
	} else {
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

/* MCi_CTL2 (CMCI): there is no CMCI here (no MCG_CMCI_P). */
static bool kvm_mce_ctl2_msr(u32 msr)
{
	return msr >= MSR_IA32_MC0_CTL2 &&
	       msr < MSR_IA32_MCx_CTL2(KVM_MAX_MCE_BANKS);
}

bool kvm_mce_msr(u32 msr)
{
	return msr == MSR_IA32_MCG_CAP || msr == MSR_IA32_MCG_STATUS ||
	       msr == MSR_IA32_MCG_CTL || msr == MSR_IA32_P5_MC_ADDR ||
	       msr == MSR_IA32_P5_MC_TYPE || kvm_mce_ctl2_msr(msr) ||
	       (msr >= MSR_IA32_MC0_CTL &&
		msr < MSR_IA32_MCx_CTL(KVM_MAX_MCE_BANKS));
}

/*
 * Only for kvm_mce_msr() MSRs; 0 = done, 1 = #GP.  As upstream, the VMM
 * (@host) may read MCG_CTL without MCG_CTL_P, and read or clear the
 * banks' MCi_CTL2, which the guest may not touch without CMCI.
 */
int kvm_mce_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data, bool host)
{
	unsigned int banks = vcpu->mcg_cap & KVM_MCG_CAP_COUNT;

	switch (msr) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		*data = 0;
		return 0;
	case MSR_IA32_MCG_CAP:
		*data = vcpu->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = vcpu->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = vcpu->mcg_ctl;
		return 0;
	default:
		if (kvm_mce_ctl2_msr(msr)) {
			*data = 0;
			return msr < MSR_IA32_MCx_CTL2(banks) && host ? 0 : 1;
		}
		if (msr >= MSR_IA32_MCx_CTL(banks))
			return 1;
		*data = vcpu->mce_banks[msr - MSR_IA32_MC0_CTL];
		return 0;
	}
}

/* HWCR.McStatusWrEn, which only AMD and Hygon CPUs have. */
static bool kvm_mce_status_writable(struct kvm_vcpu *vcpu)
{
	return (vcpu->msr.hwcr & BIT_ULL(18)) &&
	       (kvm_guest_vendor_is(vcpu, "AuthenticAMD") ||
		kvm_guest_vendor_is(vcpu, "HygonGenuine"));
}

int kvm_mce_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	unsigned int banks = vcpu->mcg_cap & KVM_MCG_CAP_COUNT;
	unsigned int i = msr - MSR_IA32_MC0_CTL;

	switch (msr) {
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		/* Read-only; MCG_CAP is set by KVM_X86_SETUP_MCE. */
		return 1;
	case MSR_IA32_MCG_STATUS:
		vcpu->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data && data != ~0ULL)
			return 1;
		vcpu->mcg_ctl = data;
		return 0;
	}
	if (kvm_mce_ctl2_msr(msr))
		return msr < MSR_IA32_MCx_CTL2(banks) && host && !data ? 0 : 1;
	if (msr >= MSR_IA32_MCx_CTL(banks))
		return 1;
	switch (i % 4) {
	case 0:
		/*
		 * MCi_CTL: all or nothing; bit 10 (MC4, AMD K8's GART
		 * workaround) and bit 0 (UnixWare's MC1) may stay clear.
		 */
		if (data && (data | BIT_ULL(10) | BIT_ULL(0)) != ~0ULL)
			return 1;
		break;
	case 1:
		/*
		 * MCi_STATUS: the guest may only clear it, unless it is an
		 * AMD guest with HWCR.McStatusWrEn set.
		 */
		if (!host && data && !kvm_mce_status_writable(vcpu))
			return 1;
		break;
	}
	vcpu->mce_banks[i] = data;
	return 0;
}
