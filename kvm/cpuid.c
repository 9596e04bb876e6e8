// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what KVM_GET_SUPPORTED_CPUID offers, and lookups in the table a
 * VMM sets with KVM_SET_CPUID2.  Also the MSRs KVM_GET_MSR_INDEX_LIST
 * names.
 *
 * A feature is offered only if the host has it AND this hypervisor
 * virtualizes it correctly: no XSAVE/AVX (guest XCR0 is not switched),
 * no PCID, no FSGSBASE, no PKU.  RDTSCP and RDPID where the backend runs
 * them with the guest's TSC_AUX (kvm_cap_rdtscp); TSC_ADJUST always, as
 * upstream (emulated: msr.c, msr_misc.c).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/kvm_para.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor.h>

#include "kvm_host.h"

/* The bit of a feature within its CPUID register. */
#define F(name)	BIT(X86_FEATURE_##name & 31)

/* Leaf 1 EDX, ECX. */
static const u32 kvm_leaf1_edx =
	F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) | F(MSR) | F(PAE) | F(MCE) |
	F(CX8) | F(APIC) | F(SEP) | F(MTRR) | F(PGE) | F(MCA) | F(CMOV) |
	F(PAT) | F(PSE36) | F(CLFLUSH) | F(MMX) | F(FXSR) | F(XMM) | F(XMM2);
static const u32 kvm_leaf1_ecx =
	F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(CX16) | F(XMM4_1) | F(XMM4_2) |
	F(MOVBE) | F(POPCNT) | F(AES) | F(RDRAND);
/* Leaf 7.0 EBX; TSC_ADJUST is added whether or not the host has it. */
static const u32 kvm_leaf7_ebx =
	F(BMI1) | F(SMEP) | F(BMI2) | F(ERMS) | F(ADX) | F(SMAP);
/* Leaf 0x80000001 EDX, ECX. */
static const u32 kvm_ext1_edx =
	F(SYSCALL) | F(NX) | F(GBPAGES) | F(LM) | F(FPU) | F(TSC) | F(CX8) |
	F(CMOV) | F(MMX) | F(FXSR) | F(PAT) | F(PSE) | F(PAE) | F(PGE);
static const u32 kvm_ext1_ecx =
	F(LAHF_LM) | F(ABM) | F(SSE4A) | F(3DNOWPREFETCH) | F(MISALIGNSSE);

bool kvm_cap_rdtscp;

#define KVM_CPUID_HYPERVISOR	BIT(31)	/* leaf 1 ECX: "running under a hypervisor" */

/*
 * The hypervisor leaves, in upstream KVM's shape: 0x40000000 names the
 * ABI ("KVMKVMKVM", the highest leaf in EAX), 0x40000001 lists paravirtual
 * features: kvmclock (clock.c), with both MSR pairs and the stable bit,
 * which each vCPU's structure sets when the host allows it; the PV IPI
 * hypercall (x86.c, lapic.c).
 */
#define KVM_PV_FEATURES	(BIT(KVM_FEATURE_CLOCKSOURCE) |			\
			 BIT(KVM_FEATURE_CLOCKSOURCE2) |		\
			 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) |	\
			 BIT(KVM_FEATURE_PV_SEND_IPI))

static void kvm_add_hypervisor_leaves(struct kvm_cpuid_entry2 *e, int *n)
{
	static const char sig[12] = "KVMKVMKVM\0\0";

	e[*n] = (struct kvm_cpuid_entry2){ .function = KVM_CPUID_SIGNATURE,
					    .eax = KVM_CPUID_FEATURES };
	memcpy(&e[*n].ebx, sig, 4);
	memcpy(&e[*n].ecx, sig + 4, 4);
	memcpy(&e[*n].edx, sig + 8, 4);
	(*n)++;
	e[(*n)++] = (struct kvm_cpuid_entry2){ .function = KVM_CPUID_FEATURES,
					       .eax = KVM_PV_FEATURES };
}

static void kvm_add_leaf(struct kvm_cpuid_entry2 *e, int *n, u32 function)
{
	struct kvm_cpuid_entry2 *entry = &e[(*n)++];
	u32 eax, ebx, ecx, edx;

	cpuid_count(function, 0, &eax, &ebx, &ecx, &edx);
	entry->function = function;
	entry->index = 0;
	entry->flags = 0;
	entry->eax = eax;
	entry->ebx = ebx;
	entry->ecx = ecx;
	entry->edx = edx;

	switch (function) {
	case 0:
		entry->eax = min(eax, 7U);
		break;
	case 1:
		/* APIC IDs and the like are the VMM's to fill in. */
		entry->ebx &= 0x0000ffff;
		/* x2APIC: the in-kernel APIC's, whatever the host has. */
		entry->ecx = (ecx & kvm_leaf1_ecx) | KVM_CPUID_HYPERVISOR |
			     F(X2APIC);
		entry->edx &= kvm_leaf1_edx;
		break;
	case 7:
		entry->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		entry->eax = 0;
		entry->ebx = (ebx & kvm_leaf7_ebx) | F(TSC_ADJUST);
		entry->ecx = kvm_cap_rdtscp ? ecx & F(RDPID) : 0;
		entry->edx = 0;
		break;
	case 0x80000000:
		entry->eax = min(eax, 0x80000008U);
		break;
	case 0x80000001:
		entry->ecx &= kvm_ext1_ecx;
		entry->edx &= kvm_ext1_edx |
			      (kvm_cap_rdtscp ? F(RDTSCP) : 0);
		break;
	case 0x80000008:
		/* Physical and linear address widths only. */
		entry->eax &= 0xffff;
		entry->ebx = 0;
		entry->ecx = 0;
		entry->edx = 0;
		break;
	}
}

int kvm_dev_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid)
{
	static const u32 leaves[] = {
		0, 1, 7, 0x80000000, 0x80000001, 0x80000002, 0x80000003,
		0x80000004, 0x80000008,
	};
	struct kvm_cpuid_entry2 *entries;
	struct kvm_cpuid2 cpuid;
	int i, n = 0, r;

	if (copy_from_user(&cpuid, ucpuid, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < ARRAY_SIZE(leaves) + 2)
		return -E2BIG;

	entries = kcalloc(ARRAY_SIZE(leaves) + 2, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		u32 max = leaves[i] & 0x80000000 ? cpuid_eax(0x80000000) : cpuid_eax(0);

		if (leaves[i] <= max)
			kvm_add_leaf(entries, &n, leaves[i]);
	}
	kvm_add_hypervisor_leaves(entries, &n);

	r = -EFAULT;
	cpuid.nent = n;
	if (copy_to_user(ucpuid, &cpuid, sizeof(cpuid)) ||
	    copy_to_user(ucpuid->entries, entries, n * sizeof(*entries)))
		goto out;
	r = 0;
out:
	kfree(entries);
	return r;
}

const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu,
						     u32 function, u32 index)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}
