// SPDX-License-Identifier: GPL-2.0
/*
 * EPT for mmu=tdp on VMX: whether the CPU offers what the strategy needs
 * (at load), and what each entry of a tdp vCPU owes the hardware: the EPT
 * pointer, the guest's CR3 and PDPTEs, and INVEPT.  The nested table
 * itself is kvm/mmu/tdp.c's (in EPT format for a VMX VM); EPT violations
 * and misconfigurations are exits.c's.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/rwsem.h>
#include <linux/string.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/pgtable_types.h>
#include <asm/processor.h>
#include <asm/vmx.h>

#include "vmx.h"
#include "mmu/mmu.h"

/*
 * mmu=tdp: EPT (a 4-level walk, write-back paging structures, INVEPT of
 * one context or of all), with unrestricted guest; VPID and EPT A/D bits
 * where offered, INVVPID of one context or of all with VPID
 * (IA32_VMX_EPT_VPID_CAP).  Logs why tdp is not offered when EPT is.
 */
void vmx_setup_ept(void)
{
	const char *why = NULL;
	u64 cap = 0;

	kvm_tdp_supported = false;
	if (!(vmx_cfg.proc2_tdp & SECONDARY_EXEC_ENABLE_EPT))
		return;
	if (rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &cap))
		why = "cannot read IA32_VMX_EPT_VPID_CAP";
	else if (!(cap & VMX_EPT_PAGE_WALK_4_BIT))
		why = "no 4-level EPT walk";
	else if (!(cap & VMX_EPTP_WB_BIT))
		why = "no write-back EPT paging structures";
	else if (!(cap & VMX_EPT_INVEPT_BIT) ||
		 !(cap & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT)))
		why = "no INVEPT";
	else if (!(vmx_cfg.proc2_tdp & SECONDARY_EXEC_UNRESTRICTED_GUEST))
		why = "EPT without unrestricted guest (a guest without paging would need an identity-mapped page table, which this module does not build)";
	if (why) {
		pr_info("Intel VMX: mmu=tdp not offered: %s\n", why);
		vmx_cfg.proc2_tdp = 0;
		return;
	}
	vmx_cfg.invept = cap & VMX_EPT_EXTENT_CONTEXT_BIT ?
			 VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;
	vmx_cfg.ept_ad = cap & VMX_EPT_AD_BIT;
	vmx_cfg.eptp_flags = VMX_EPTP_MT_WB | VMX_EPTP_PWL_4 |
			     (vmx_cfg.ept_ad ? VMX_EPTP_AD_ENABLE_BIT : 0);
	/*
	 * VPID only with INVVPID (upper half of the MSR) of one context or
	 * of all, as upstream has it.  INVEPT of the VM's context drops the
	 * combined mappings of every VPID, which is all a tdp vCPU caches,
	 * so the flushes need no INVVPID (vmx_tdp_enter()).
	 */
	if (!(upper_32_bits(cap) & VMX_VPID_INVVPID_BIT) ||
	    !(upper_32_bits(cap) & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
				    VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT)))
		vmx_cfg.proc2_tdp &= ~SECONDARY_EXEC_ENABLE_VPID;
	/* Large EPT leaves where the capability MSR offers them. */
	kvm_tdp_max_level = cap & VMX_EPT_1GB_PAGE_BIT ? 3 :
			    cap & VMX_EPT_2MB_PAGE_BIT ? 2 : 1;
	kvm_tdp_ept = true;
	kvm_tdp_supported = true;
}

/*
 * INVEPT of @eptp's context (or of all, vmx_cfg.invept): drops the
 * guest-physical and combined mappings of this CPU.  A failure (VMfail,
 * or #UD outside VMX operation) is logged once.
 */
static void vmx_invept(u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = { eptp, 0 };
	unsigned long type = vmx_cfg.invept;

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail);
	return;
fail:
	pr_err_once("INVEPT of type %lu for EPTP %#llx failed\n", type, eptp);
}

/*
 * The PDPTEs of a guest in legacy PAE paging, from guest memory, when
 * we set its CR3 (KVM_SET_SREGS, emulated MOV CR3, a task switch) or
 * changed its CR0, CR4 or EFER (vmx_update_cr() marks them stale); the
 * CPU loaded them itself at the guest's own MOV CR3 otherwise.  Called
 * before the entry, where guest memory can be read.  An entry with a
 * reserved bit set would fail VM entry: it is loaded not present, and
 * one that cannot be read too.  Returns whether @pdptrs are to be
 * written into the VMCS.
 */
bool vmx_tdp_load_pdptrs(struct vcpu_vmx *vmx, u64 *pdptrs)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u64 reserved = GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) |
		       GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
	int i;

	if (!(vcpu->cr0 & X86_CR0_PG) || !(vcpu->cr4 & X86_CR4_PAE) ||
	    kvm_is_long_mode(vcpu))
		return false;
	if (!vmx->pdptrs_stale && vcpu->cr3 == vmx->hw_cr3)
		return false;
	down_read(&vcpu->kvm->slots_lock);
	if (kvm_read_guest(vcpu->kvm, vcpu->cr3 & 0xffffffe0ULL, pdptrs,
			   4 * sizeof(*pdptrs)))
		memset(pdptrs, 0, 4 * sizeof(*pdptrs));
	up_read(&vcpu->kvm->slots_lock);
	for (i = 0; i < 4; i++)
		if ((pdptrs[i] & _PAGE_PRESENT) && (pdptrs[i] & reserved)) {
			pr_info_ratelimited("vCPU %d: PDPTE %d %#llx has reserved bits: loaded not present\n",
					    vcpu->vcpu_id, i, pdptrs[i]);
			pdptrs[i] = 0;
		}
	return true;
}

/*
 * Before an entry of a tdp vCPU, interrupts off, VMCS current: the EPT
 * pointer, the guest's CR3 and the PDPTEs owed, and the INVEPT owed
 * (flush_tlb()), or due because the vCPU last entered on another CPU.
 */
void vmx_tdp_enter(struct vcpu_vmx *vmx, hpa_t root, int cpu,
			  const u64 *pdptrs, bool load_pdptrs)
{
	u64 eptp = root | vmx_cfg.eptp_flags;

	vmcs_write(EPT_POINTER, eptp);
	vmcs_write(GUEST_CR3, vmx->vcpu.cr3);
	vmx->hw_cr3 = vmx->vcpu.cr3;
	if (load_pdptrs) {
		vmcs_write(GUEST_PDPTR0, pdptrs[0]);
		vmcs_write(GUEST_PDPTR1, pdptrs[1]);
		vmcs_write(GUEST_PDPTR2, pdptrs[2]);
		vmcs_write(GUEST_PDPTR3, pdptrs[3]);
		vmx->pdptrs_stale = false;
	}
	if (vmx->ept_flush || vmx->ept_cpu != cpu) {
		vmx_invept(eptp);
		vmx->ept_flush = false;
		vmx->ept_cpu = cpu;
	}
}
