// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: the guest state as the generic code sees it, read
 * from and written to the VMCS: segment registers and descriptor tables,
 * CPL, control registers (what the hardware runs with against what the
 * guest sees through the read shadows), the interrupt shadow, NMI
 * blocking, and the MSRs the VMCS or struct vcpu_vmx keep.  Each accessor
 * makes the vCPU's VMCS current on the calling CPU (vmx_vmcs_get()).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <asm/mce.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "vmx.h"
#include "mmu/mmu.h"
#include "spec.h"

/* ---- segments ------------------------------------------------------------ */

/* The VMCS fields of each segment register, in enum kvm_sreg order. */
static const struct {
	u16 selector, base, limit, ar;
} vmx_seg_fields[] = {
	[VCPU_SREG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[VCPU_SREG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[VCPU_SREG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[VCPU_SREG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[VCPU_SREG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[VCPU_SREG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[VCPU_SREG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[VCPU_SREG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
};

/* The busy bit of a TSS descriptor's type (3 and 11 busy, 1 and 9 not). */
#define VMX_TSS_BUSY	2

/* The segment as the VMCS holds it.  VMCS current. */
void vmx_read_seg(struct kvm_segment *var, int seg)
{
	u32 ar = vmcs_read(vmx_seg_fields[seg].ar);

	var->selector = vmcs_read(vmx_seg_fields[seg].selector);
	var->base = vmcs_read(vmx_seg_fields[seg].base);
	var->limit = vmcs_read(vmx_seg_fields[seg].limit);
	var->type = ar & VMX_AR_TYPE_MASK;
	var->s = !!(ar & VMX_AR_S_MASK);
	var->dpl = VMX_AR_DPL(ar);
	var->present = !!(ar & VMX_AR_P_MASK);
	var->avl = (ar >> 12) & 1;
	var->l = !!(ar & VMX_AR_L_MASK);
	var->db = !!(ar & VMX_AR_DB_MASK);
	var->g = !!(ar & VMX_AR_G_MASK);
	var->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	if (var->unusable)
		var->present = 0;
	var->padding = 0;
}

/*
 * Into the VMCS, in the form VM entry accepts (SDM vol. 3C, "Checks on
 * Guest Segment Registers"): a segment not present is unusable; a code or
 * data segment is accessed (the CPU sets the bit on every load anyway);
 * TR is a busy TSS, and always usable (a TR that userspace left unusable
 * becomes a busy 32-bit TSS with its base and limit: the guest has not
 * loaded one, and uses none until it does).  VMCS current.
 */
void vmx_write_seg(const struct kvm_segment *var, int seg)
{
	bool unusable = var->unusable || !var->present;
	u32 type = var->type & VMX_AR_TYPE_MASK;
	u32 ar;

	if (seg == VCPU_SREG_TR) {
		if (unusable || var->s ||
		    ((type & ~VMX_TSS_BUSY) != 1 && (type & ~VMX_TSS_BUSY) != 9))
			type = VMX_AR_TYPE_BUSY_32_TSS;
		type |= VMX_TSS_BUSY;
		unusable = false;
	} else if (var->s) {
		type |= VMX_AR_TYPE_ACCESSES_MASK;
	}
	ar = type | (var->s & 1) << 4 | (var->dpl & 3) << VMX_AR_DPL_SHIFT |
	     (var->avl & 1) << 12 | (var->l & 1) << 13 | (var->db & 1) << 14 |
	     (var->g & 1) << 15;
	if (seg == VCPU_SREG_TR)
		ar |= VMX_AR_P_MASK;
	else if (unusable)	/* SS keeps its DPL: the CPL */
		ar = VMX_AR_UNUSABLE_MASK | (var->dpl & 3) << VMX_AR_DPL_SHIFT;
	else
		ar |= VMX_AR_P_MASK;
	vmcs_write(vmx_seg_fields[seg].selector, var->selector);
	vmcs_write(vmx_seg_fields[seg].base, var->base);
	vmcs_write(vmx_seg_fields[seg].limit, var->limit);
	vmcs_write(vmx_seg_fields[seg].ar, ar);
}

void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	if (vmx->rmode.active && seg != VCPU_SREG_LDTR)
		vmx_rmode_get_segment(vmx, var, seg);
	else
		vmx_read_seg(var, seg);
	vmx_vmcs_put(vmx);
}

void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var,
		     int seg)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	if (vmx->rmode.active && seg != VCPU_SREG_LDTR)
		vmx_rmode_set_segment(vmx, var, seg);
	else
		vmx_write_seg(var, seg);
	vmx_vmcs_put(vmx);
}

void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	dt->base = vmcs_read(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE);
	dt->limit = vmcs_read(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT);
	vmx_vmcs_put(vmx);
	memset(dt->padding, 0, sizeof(dt->padding));
}

void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
			   bool idt)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	vmcs_write(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE, dt->base);
	vmcs_write(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT, dt->limit);
	vmx_vmcs_put(vmx);
}

int vmx_get_cpl(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 ar;

	/* Real mode is CPL 0 whatever SS says (the hardware's vm86 is 3). */
	if (!(vcpu->cr0 & X86_CR0_PE))
		return 0;
	if (vcpu->rflags & X86_EFLAGS_VM)
		return 3;
	/* In VMX the CPL is SS.DPL (SDM vol. 3C, "Checks on Guest Segment Registers"). */
	vmx_vmcs_get(vmx);
	ar = vmcs_read(GUEST_SS_AR_BYTES);
	vmx_vmcs_put(vmx);
	return VMX_AR_DPL(ar);
}

/* ---- control registers -------------------------------------------------- */

/*
 * Exceptions that exit: #PF (shadow paging), #MC (the host's), #DB (the
 * guest's DR6 lives in struct kvm_vcpu: a #DB that the CPU delivered
 * itself would write the host's DR6).  In real mode, every exception:
 * vm86 would deliver it through the protected-mode IDT, so realmode.c
 * delivers it through the guest's IVT instead.
 */
u32 vmx_exception_bitmap(struct kvm_vcpu *vcpu)
{
	if (to_vmx(vcpu)->rmode.active)
		return ~0U;
	/* EPT: the guest's page faults are its own. */
	if (vmx_is_tdp(vcpu))
		return BIT(MC_VECTOR) | BIT(DB_VECTOR);
	return BIT(PF_VECTOR) | BIT(MC_VECTOR) | BIT(DB_VECTOR);
}

/*
 * The control registers and EFER the hardware runs with, what the guest
 * reads of CR0 and CR4 (its own values), the entry controls, and what
 * depends on them.  VMCS current.
 */
static void vmx_write_cr(struct vcpu_vmx *vmx, u64 cr0, u64 cr4, u64 efer,
			 u32 entry)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(CR0_READ_SHADOW, vcpu->cr0);
	vmcs_write(GUEST_CR4, cr4);
	vmcs_write(CR4_READ_SHADOW, vcpu->cr4);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	if (vmx_cfg.load_efer)
		vmcs_write(GUEST_IA32_EFER, efer);
	else
		vmx->efer_area[0].value = efer;
	vmcs_write(EXCEPTION_BITMAP, vmx_exception_bitmap(vcpu));
	vmcs_write(TSC_OFFSET, vcpu->tsc_offset);
}

/*
 * mmu=tdp (EPT): the guest's own paging and mode, with caches on, NE as
 * VMX requires (the guest reads its own NE), EFER as the guest set it
 * (LMA with the IA-32e mode entry control).  With unrestricted guest,
 * real mode and protected mode without paging too.  Without it, as
 * upstream: a guest without paging runs with PG set, on the VM's
 * identity-mapped 32-bit page table (vmx_tdp_ident(): CR4.PSE on, PAE,
 * SMEP and SMAP off, EFER.LME off as LMA is), and real mode in vm86 as
 * with shadow paging.  The PDPTEs of legacy PAE paging are loaded again
 * from memory before the next entry: the CPU loads them at MOV to CR0 or
 * CR4 too.  VMCS current.
 */
static void vmx_update_cr_tdp(struct vcpu_vmx *vmx, u64 cr4_guest)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	bool urg = vmx_cfg.proc2_tdp & SECONDARY_EXEC_UNRESTRICTED_GUEST;
	bool real = !(vcpu->cr0 & X86_CR0_PE);
	bool ident = vmx_tdp_ident(vcpu);
	u32 entry = vmx_cfg.entry;
	u64 cr0, cr4, efer;

	if (!urg && real && !vmx->rmode.active)
		vmx_rmode_enter(vmx);
	else if (!urg && !real && vmx->rmode.active)
		vmx_rmode_leave(vmx);

	cr0 = (vcpu->cr0 | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW);
	if (ident)
		cr0 |= X86_CR0_PG | X86_CR0_PE;
	cr0 = (cr0 | (vmx_cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG))) &
	      vmx_cr0_fixed1;
	cr4_guest |= X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE;
	if (ident)
		cr4_guest &= ~(X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP);
	if (!urg && real)
		cr4_guest &= ~(X86_CR4_VME | X86_CR4_PVI);
	cr4 = (vcpu->cr4 & cr4_guest) | X86_CR4_VMXE |
	      (cr4_read_shadow() & X86_CR4_MCE);
	if (ident)
		cr4 |= X86_CR4_PSE;
	if (!urg && real)
		cr4 |= X86_CR4_VME;
	cr4 = (cr4 | vmx_cr4_fixed0) & vmx_cr4_fixed1;
	efer = vcpu->efer & (EFER_SCE | EFER_NX | EFER_LME);
	if (ident)
		efer &= ~EFER_LME;
	if (kvm_is_long_mode(vcpu)) {
		efer |= EFER_LME | EFER_LMA;
		entry |= VM_ENTRY_IA32E_MODE;
	}
	vmx_write_cr(vmx, cr0, cr4, efer, entry);
	vmx->pdptrs_stale = true;
}

/*
 * What the hardware runs with, from what the guest wrote (as on SVM):
 * paging always on with supervisor write protection (the MMU strategy
 * emulates CR0.WP=0), PE always (real mode is vm86), NE as VMX requires,
 * caches on; PAE always (legacy PAE or long-mode shadow), VMXE, VME in
 * real mode; NX always (shadow entries may use it), long mode exactly
 * when the guest has EFER.LMA.  The guest reads its own CR0 and CR4
 * through the read shadows; every write to either exits (masks of all
 * ones).  Entering or leaving real mode switches the segments
 * (realmode.c).
 */
void vmx_update_cr(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool real = !(vcpu->cr0 & X86_CR0_PE);
	u64 cr4_guest = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
			X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
			X86_CR4_SMEP | X86_CR4_SMAP;
	u64 cr0, cr4, efer;
	u32 entry = vmx_cfg.entry;

	vmx_vmcs_get(vmx);
	if (vmx_is_tdp(vcpu)) {
		vmx_update_cr_tdp(vmx, cr4_guest);
		vmx_vmcs_put(vmx);
		return;
	}
	if (real && !vmx->rmode.active)
		vmx_rmode_enter(vmx);
	else if (!real && vmx->rmode.active)
		vmx_rmode_leave(vmx);

	cr0 = (vcpu->cr0 | X86_CR0_PG | X86_CR0_WP | X86_CR0_PE | X86_CR0_NE) &
	      ~(X86_CR0_CD | X86_CR0_NW);
	cr0 = (cr0 | vmx_cr0_fixed0) & vmx_cr0_fixed1;

	/* With the guest's paging off every shadow entry is a user page. */
	if (!(vcpu->cr0 & X86_CR0_PG))
		cr4_guest &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	if (real)
		cr4_guest &= ~(X86_CR4_VME | X86_CR4_PVI);
	cr4 = (vcpu->cr4 & cr4_guest) | X86_CR4_PAE | X86_CR4_VMXE |
	      (cr4_read_shadow() & X86_CR4_MCE);
	if (real)
		cr4 |= X86_CR4_VME;
	cr4 = (cr4 | vmx_cr4_fixed0) & vmx_cr4_fixed1;

	efer = (vcpu->efer & EFER_SCE) | EFER_NX;
	if (kvm_is_long_mode(vcpu)) {
		efer |= EFER_LME | EFER_LMA;
		entry |= VM_ENTRY_IA32E_MODE;
	}

	vmx_write_cr(vmx, cr0, cr4, efer, entry);
	vmx_vmcs_put(vmx);
}

/*
 * Shadow paging: nothing to do without VPID: the next VM entry flushes
 * every linear mapping of this CPU (see the top of vmx.c), and a vCPU
 * flushed from elsewhere (kvm_flush_remote_tlbs()) has left guest mode
 * by the time its flush is requested.  EPT: the next entry does an
 * INVEPT (vmx_tdp_enter()), which drops the combined mappings (guest
 * linear addresses, any VPID) as well as the guest-physical ones.
 */
void vmx_flush_tlb(struct kvm_vcpu *vcpu)
{
	if (vmx_is_tdp(vcpu))
		to_vmx(vcpu)->ept_flush = true;
}

/* ---- interrupt shadow, NMI blocking ----------------------------------- */

/* The guest's interruptibility state, from outside the run path. */
static u32 vmx_read_interruptibility(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 intr;

	vmx_vmcs_get(vmx);
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	vmx_vmcs_put(vmx);
	return intr;
}

u64 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	return vmx_read_interruptibility(vcpu) & VMX_SHADOW;
}

/*
 * VMX tells STI from MOV SS blocking; the generic code keeps one bit.
 * STI blocking is only valid with RFLAGS.IF set (a VM-entry check), so a
 * shadow set with IF clear is MOV SS's; vmx_vcpu_run() converts one that
 * RFLAGS made invalid since.
 */
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, bool shadow)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 intr;

	vmx_vmcs_get(vmx);
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (shadow && !(intr & VMX_SHADOW))
		intr |= vcpu->rflags & X86_EFLAGS_IF ? GUEST_INTR_STATE_STI :
						       GUEST_INTR_STATE_MOV_SS;
	else if (!shadow)
		intr &= ~VMX_SHADOW;
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr);
	vmx_vmcs_put(vmx);
}

/* With virtual NMIs, the CPU keeps the guest's NMI blocking in the VMCS. */
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return vmx_read_interruptibility(vcpu) & GUEST_INTR_STATE_NMI;
}

void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	if (masked)
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
	else
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
	vmx_vmcs_put(vmx);
}

/* ---- MSRs ------------------------------------------------------------- */

/* MSRs kept by the backend: in struct vcpu_vmx, or VMCS fields. */
static u64 *vmx_msr_slot(struct vcpu_vmx *vmx, u32 index)
{
	switch (index) {
	case MSR_STAR:			return &vmx->star;
	case MSR_LSTAR:			return &vmx->lstar;
	case MSR_CSTAR:			return &vmx->cstar;
	case MSR_SYSCALL_MASK:		return &vmx->sfmask;
	case MSR_KERNEL_GS_BASE:	return &vmx->kernel_gs_base;
	default:			return NULL;
	}
}

static long vmx_msr_field(u32 index)
{
	switch (index) {
	case MSR_FS_BASE:		return GUEST_FS_BASE;
	case MSR_GS_BASE:		return GUEST_GS_BASE;
	case MSR_IA32_SYSENTER_CS:	return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:	return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:	return GUEST_SYSENTER_EIP;
	default:			return -1;
	}
}

/*
 * The VMX MSRs besides those above, as upstream 6.1 answers them with no
 * nested VMX offered, no vPMU (so no LBRs) and no LMCE: FEATURE_CONTROL
 * may only be locked; MCG_EXT_CTL is the VMM's (the guest would need
 * LMCE enabled in it); DEBUGCTL's BTF and LBR writes are dropped, other
 * bits #GP, and it reads 0.
 */
static int vmx_get_other_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	switch (index) {
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	case MSR_IA32_FEAT_CTL:
		*data = vcpu->msr.feat_ctl;
		return 0;
	case MSR_IA32_MCG_EXT_CTL:
		*data = vcpu->msr.mcg_ext_ctl;
		return host || (vcpu->msr.feat_ctl & FEAT_CTL_LMCE_ENABLED) ? 0 : 1;
	default:
		return KVM_MSR_UNKNOWN;
	}
}

static int vmx_set_other_msr(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	switch (index) {
	case MSR_IA32_DEBUGCTLMSR:
		return data & ~(DEBUGCTLMSR_BTF | DEBUGCTLMSR_LBR) ? 1 : 0;
	case MSR_IA32_FEAT_CTL:
		if ((data & ~FEAT_CTL_LOCKED) ||
		    ((vcpu->msr.feat_ctl & FEAT_CTL_LOCKED) && !host))
			return 1;
		vcpu->msr.feat_ctl = data;
		return 0;
	case MSR_IA32_MCG_EXT_CTL:
		if ((!host && !(vcpu->msr.feat_ctl & FEAT_CTL_LMCE_ENABLED)) ||
		    (data & ~MCG_EXT_CTL_LMCE_EN))
			return 1;
		vcpu->msr.mcg_ext_ctl = data;
		return 0;
	default:
		return KVM_MSR_UNKNOWN;
	}
}

int vmx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 *slot = vmx_msr_slot(vmx, index);
	long field = vmx_msr_field(index);

	if (slot) {
		*data = *slot;
		return 0;
	}
	if (field < 0)
		return vmx_get_other_msr(vcpu, index, data, host);
	vmx_vmcs_get(vmx);
	*data = vmcs_read(field);
	vmx_vmcs_put(vmx);
	return 0;
}

int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 *slot = vmx_msr_slot(vmx, index);
	long field = vmx_msr_field(index);

	if (!slot && field < 0)
		return vmx_set_other_msr(vcpu, index, data, host);
	/*
	 * Addresses must be canonical: VM entry checks the VMCS fields, and
	 * WRMSR of the others into the CPU would #GP in the host.
	 */
	if (index != MSR_STAR && index != MSR_SYSCALL_MASK &&
	    index != MSR_IA32_SYSENTER_CS && (s64)(data << 16) >> 16 != data)
		return 1;
	if (index == MSR_IA32_SYSENTER_CS || index == MSR_SYSCALL_MASK)
		data = (u32)data;
	if (slot) {
		*slot = data;
		return 0;
	}
	vmx_vmcs_get(vmx);
	vmcs_write(field, data);
	vmx_vmcs_put(vmx);
	return 0;
}
