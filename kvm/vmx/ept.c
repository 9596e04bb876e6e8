// SPDX-License-Identifier: GPL-2.0
/*
 * EPT for mmu=tdp on VMX: whether the CPU offers what the strategy needs
 * (at load), and what each entry of a tdp vCPU owes the hardware: the EPT
 * pointer, the guest's CR3 and PDPTEs, and INVEPT.  The nested table
 * itself is kvm/mmu/tdp.c's (in EPT format for a VMX VM); EPT violations
 * and misconfigurations are exits.c's.
 *
 * Without unrestricted guest (Bochs's lynnfield) VM entry wants CR0.PE
 * and PG set, as with shadow paging.  A guest without paging then runs,
 * as upstream runs it, with the hardware's paging on, on an identity map
 * of the low 4 GiB that the VM keeps in guest memory: one page of 1024
 * 4-MiB entries of 32-bit paging (CR4.PSE, not PAE), in a private slot at
 * KVM_SET_IDENTITY_MAP_ADDR (upstream's default address if the VMM gave
 * none), made by vm.c when a vCPU first needs it (vmx_tdp_prepare()).
 * EPT maps that page as any other.  Meanwhile GUEST_CR3 holds the table's
 * address, CR3 loads and stores exit, and the guest's own CR3 is the one
 * in struct kvm_vcpu; real mode is vm86 (realmode.c), with the TSS at
 * KVM_SET_TSS_ADDR.  Once the guest turns paging on, it runs on its own
 * CR3 as with unrestricted guest (state.c, vmx_update_cr_tdp()).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bits.h>
#include <linux/gfp.h>
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
 * one context or of all), with unrestricted guest or without it (then a
 * guest without paging runs on an identity map); VPID and EPT A/D bits
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
	if (why) {
		pr_info("Intel VMX: mmu=tdp not offered: %s\n", why);
		vmx_cfg.proc2_tdp = 0;
		return;
	}
	vmx_cfg.invept = cap & VMX_EPT_EXTENT_CONTEXT_BIT ?
			 VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;
	vmx_cfg.ept_ad = cap & VMX_EPT_AD_BIT;
	kvm_tdp_ad = vmx_cfg.ept_ad;
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
static bool vmx_tdp_load_pdptrs(struct vcpu_vmx *vmx, u64 *pdptrs)
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

/* The guest-physical address of the VM's identity-mapped page table. */
static gpa_t vmx_ident_addr(struct kvm *kvm)
{
	/* Fixed from the first vCPU on (KVM_SET_IDENTITY_MAP_ADDR). */
	return kvm->identity_map_addr ?: VMX_EPT_IDENTITY_PAGETABLE_ADDR;
}

/*
 * The identity map (see the top of this file): 1024 4-MiB pages, each
 * present, writable, user, accessed and dirty, into the VM's private slot
 * (vm.c), once per VM.  0 once it is there, or < 0: the slot's place is
 * taken (-EEXIST), or no memory.
 */
static int vmx_tdp_ident_map(struct kvm *kvm)
{
	u32 *table;
	int i, r;

	table = (u32 *)get_zeroed_page(GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < PAGE_SIZE / sizeof(*table); i++)
		table[i] = (i << 22) | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER |
			   _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_PSE;
	r = kvm_vm_ident_map(kvm, vmx_ident_addr(kvm), table);
	free_page((unsigned long)table);
	return r;
}

/*
 * Before an entry of a tdp vCPU, in process context: the identity map if
 * the guest runs without paging on it and the VM has none yet, and the
 * PDPTEs owed (@load_pdptrs: whether @pdptrs are to be written into the
 * VMCS).  1, or < 0 (the vCPU cannot run without paging).
 */
int vmx_tdp_prepare(struct vcpu_vmx *vmx, u64 *pdptrs, bool *load_pdptrs)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	int r;

	*load_pdptrs = false;
	if (vmx_tdp_ident(vcpu) && !smp_load_acquire(&vcpu->kvm->ident_ready)) {
		r = vmx_tdp_ident_map(vcpu->kvm);
		if (r)
			return r;
	}
	*load_pdptrs = vmx_tdp_load_pdptrs(vmx, pdptrs);
	return 1;
}

/*
 * Before an entry of a tdp vCPU, interrupts off, VMCS current: the EPT
 * pointer, the guest's CR3 (or the identity map's, vmx_tdp_ident()) and
 * the PDPTEs owed, and the INVEPT owed (flush_tlb()), or due because the
 * vCPU last entered on another CPU.
 */
void vmx_tdp_enter(struct vcpu_vmx *vmx, hpa_t root, int cpu,
			  const u64 *pdptrs, bool load_pdptrs)
{
	u64 eptp = root | vmx_cfg.eptp_flags;
	u64 cr3 = vmx->vcpu.cr3;

	if (vmx_tdp_ident(&vmx->vcpu))
		cr3 = vmx_ident_addr(vmx->vcpu.kvm);
	vmcs_write(EPT_POINTER, eptp);
	vmcs_write(GUEST_CR3, cr3);
	vmx->hw_cr3 = cr3;
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
