/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_RESEARCH_VMX_H
#define KVM_RESEARCH_VMX_H

#include <linux/list.h>
#include <asm/vmx.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

/* The vm86 TSS's pages, at KVM_SET_TSS_ADDR or vm.c's choice (realmode.c). */
#define RMODE_TSS_PAGES		3

/*
 * The guest-visible state of the segment registers while the guest is in
 * real mode and the hardware runs it in virtual-8086 mode (realmode.c):
 * ES..GS as the guest (or userspace) last set them, TR as it was before
 * our vm86 TSS replaced it.
 */
struct vmx_rmode {
	bool active;
	/* The guest's RFLAGS.IOPL; the hardware runs with IOPL 3 and VM. */
	u64 guest_iopl;
	struct kvm_segment segs[VCPU_SREG_TR + 1];
	/* The selector each of ES..GS got in vm86 form. */
	u16 vm86_sel[VCPU_SREG_GS + 1];
	/* The guest ran since CS was last set (vmx_rmode_get_segment()). */
	bool cs_ran;
	/* tss_addr whose TSS is built in guest memory, or KVM_INVALID_GPA. */
	u64 tss_built;
};

/* The VMX backend's vCPU: the generic vCPU embedded, found by container_of. */
struct vcpu_vmx {
	struct kvm_vcpu vcpu;

	/* The VMCS: one page, its first word the revision identifier. */
	void *vmcs;
	u64 vmcs_pa;
	/*
	 * The CPU the VMCS is active on (VMPTRLD done, no VMCLEAR since), or
	 * -1; loaded_link is on that CPU's list.  Both change only on that
	 * CPU with interrupts off, or with the VMCS not active anywhere.
	 */
	int loaded_cpu;
	struct list_head loaded_link;
	/* VMLAUNCH done since the last VMCLEAR: the next entry is VMRESUME. */
	bool launched;
	/* Last CPU that ran the guest, for fail_entry.cpu. */
	int last_cpu;
	/* The STI/MOV SS shadow and RIP the last entry had. */
	u32 entry_shadow;
	u64 entry_rip;

	/* What the last exit reported, read with the VMCS current. */
	u32 exit_reason;
	unsigned long exit_qual;
	u32 exit_intr_info;
	u32 exit_intr_error;
	u32 idt_vectoring_info;
	u32 idt_vectoring_error;
	u32 exit_insn_len;
	u32 exit_insn_info;

	/*
	 * Guest MSRs that VMX does not switch; in the CPU only while a
	 * long-mode guest runs (vmx_vcpu_run()), else only here.
	 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;

	/*
	 * EFER through the VM-entry/VM-exit MSR-load areas when the CPU lacks
	 * the load-EFER controls: [0] the guest's (entry), [1] the host's (exit).
	 */
	struct vmx_msr_entry *efer_area;

	struct vmx_rmode rmode;

	/*
	 * mmu=tdp (EPT): the VPID (0: none), an INVEPT owed before the next
	 * entry, the CPU the last INVEPT or entry was on, the GUEST_CR3 of
	 * the last entry or exit, PDPTEs owed to GUEST_PDPTR0-3 (legacy PAE
	 * paging), the guest-physical address of an EPT exit, and the
	 * secondary controls in the VMCS now.
	 */
	u16 vpid;
	bool ept_flush;
	int ept_cpu;
	u64 hw_cr3;
	bool pdptrs_stale;
	u64 exit_gpa;
	u32 proc2_now;
};

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_vmx, vcpu);
}

/* The vCPU's VM runs on EPT (mmu=tdp), with unrestricted guest or not. */
static inline bool vmx_is_tdp(struct kvm_vcpu *vcpu)
{
	return kvm_mmu_is_tdp(vcpu->kvm);
}

/* The controls chosen at hardware_setup() from the capability MSRs. */
struct vmx_config {
	u32 pin;
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	bool load_efer;		/* VM_ENTRY/EXIT_LOAD_IA32_EFER available */
	/*
	 * mmu=tdp (vmx_setup_ept()): the primary controls without CR3 and
	 * INVLPG exiting, the secondary ones (EPT, unrestricted guest, VPID
	 * where offered), the EPT pointer's low bits, INVEPT's type, EPT
	 * A/D bits.
	 */
	u32 proc_tdp;
	u32 proc2_tdp;
	u64 eptp_flags;
	u32 invept;
	bool ept_ad;
};
extern struct vmx_config vmx_cfg;

/*
 * mmu=tdp without unrestricted guest, the guest's paging off: the
 * hardware runs with paging on, on the VM's identity-mapped page table
 * (ept.c), and the guest's CR3 is kept aside (CR3 accesses exit).
 */
static inline bool vmx_tdp_ident(struct kvm_vcpu *vcpu)
{
	return vmx_is_tdp(vcpu) && !(vcpu->cr0 & X86_CR0_PG) &&
	       !(vmx_cfg.proc2_tdp & SECONDARY_EXEC_UNRESTRICTED_GUEST);
}
/* VM exits for INS/OUTS describe them in VMX_INSTRUCTION_INFO. */
extern bool vmx_has_inout_info;

/* ---- VMREAD/VMWRITE ------------------------------------------------------ */

/*
 * With the VMCS current on this CPU (vmx_vmcs_get() or the run path).
 * A VMREAD or VMWRITE that fails (VMfail) or faults (#UD outside VMX
 * operation) is counted and logged once; it never oopses.
 */
unsigned long vmx_vmread_error(unsigned long field, bool fault);
void vmx_vmwrite_error(unsigned long field, unsigned long value, bool fault);

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;

	asm goto("1: vmread %[field], %[value]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : [value] "=rm" (value)
		 : [field] "r" (field)
		 : "cc"
		 : fail, fault);
	return value;
fail:
	return vmx_vmread_error(field, false);
fault:
	return vmx_vmread_error(field, true);
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [field] "r" (field), [value] "rm" (value)
		 : "cc", "memory"
		 : fail, fault);
	return;
fail:
	vmx_vmwrite_error(field, value, false);
	return;
fault:
	vmx_vmwrite_error(field, value, true);
}

static inline void vmcs_set_bits(unsigned long field, u32 bits)
{
	vmcs_write(field, vmcs_read(field) | bits);
}

static inline void vmcs_clear_bits(unsigned long field, u32 bits)
{
	vmcs_write(field, vmcs_read(field) & ~bits);
}

/*
 * Make the vCPU's VMCS current on this CPU for a few VMREAD/VMWRITEs
 * from process context: disables preemption until vmx_vmcs_put().
 */
void vmx_vmcs_get(struct vcpu_vmx *vmx);
void vmx_vmcs_put(struct vcpu_vmx *vmx);

/* ept.c: mmu=tdp on EPT. */
void vmx_setup_ept(void);
int vmx_tdp_prepare(struct vcpu_vmx *vmx, u64 *pdptrs, bool *load_pdptrs);
void vmx_tdp_enter(struct vcpu_vmx *vmx, hpa_t root, int cpu,
		   const u64 *pdptrs, bool load_pdptrs);

/* vmenter.S: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VMfail). */
int __vmx_vcpu_run(u64 *regs, bool launched, unsigned long host_rsp_field,
		   u64 *spec_ctrl);
/* Where a VM exit continues (HOST_RIP). */
extern const char vmx_vmexit[];

/* The interrupt shadow bits of GUEST_INTERRUPTIBILITY_INFO. */
#define VMX_SHADOW	(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

/* vmx.c: the CR0 and CR4 bits VMX operation fixes (IA32_VMX_CR{0,4}_FIXED{0,1}). */
extern u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;

/* state.c: the vendor ops on guest state. */
void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var,
		     int seg);
/* The segment as the VMCS holds it (realmode.c uses it for vm86 state). */
void vmx_read_seg(struct kvm_segment *var, int seg);
void vmx_write_seg(const struct kvm_segment *var, int seg);
void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
		    bool idt);
int vmx_get_cpl(struct kvm_vcpu *vcpu);
u32 vmx_exception_bitmap(struct kvm_vcpu *vcpu);
void vmx_update_cr(struct kvm_vcpu *vcpu);
void vmx_flush_tlb(struct kvm_vcpu *vcpu);
u64 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu);
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, bool shadow);
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu);
void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked);
int vmx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);

/* exits.c */
int vmx_handle_exit(struct vcpu_vmx *vmx);
const char *vmx_exit_slot_name(unsigned int slot, char *buf, size_t size);

/* realmode.c: the guest in real mode, run in virtual-8086 mode. */
void vmx_rmode_enter(struct vcpu_vmx *vmx);
void vmx_rmode_leave(struct vcpu_vmx *vmx);
int vmx_rmode_prepare(struct vcpu_vmx *vmx);
int vmx_rmode_deliver_events(struct vcpu_vmx *vmx);
int vmx_rmode_exception(struct vcpu_vmx *vmx, u8 vector, u32 error_code);
void vmx_rmode_get_segment(struct vcpu_vmx *vmx, struct kvm_segment *var,
			   int seg);
void vmx_rmode_set_segment(struct vcpu_vmx *vmx,
			   const struct kvm_segment *var, int seg);

#endif /* KVM_RESEARCH_VMX_H */
