// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: SVM on each CPU, the VMCB of each vCPU, and entering
 * the guest.  The exit handlers are in exits.c.
 *
 * Enabling SVM on a CPU means setting EFER.SVME and giving the CPU a
 * page-sized host save area (VM_HSAVE_PA), where VMRUN stores host state
 * that #VMEXIT reloads (AMD APM vol. 2, "Enabling SVM").
 *
 * The guest always runs with hardware paging on, through the MMU
 * strategy's shadow page tables: a guest outside long mode, even in real
 * mode ("paged real mode", APM 15.19), runs in legacy PAE mode; a guest in
 * long mode, in long mode.  CR0, CR3 and CR4 accesses are intercepted, and
 * the guest sees the values it wrote, kept in struct kvm_vcpu.
 *
 * A VM with mmu=tdp runs on nested paging (NPT) instead: the guest's own
 * CR0 (but CD and NW), CR3, CR4 and EFER go into the VMCB, the nested CR3
 * is the VM's nested table (tdp.c), and CR3 accesses, INVLPG and #PF do
 * not exit.  CR0 and CR4 writes still do (struct kvm_vcpu keeps the
 * values); CR3 is read back from the VMCB after every exit.  Nested page
 * faults (SVM_EXIT_NPF) go to the strategy's page_fault().
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/context_tracking.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include <asm/cpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/spec-ctrl.h>
#include <asm/svm.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>

#include "svm.h"
#include "mmu/mmu.h"
#include "kvm_trace.h"
#include "spec.h"

/* Bitmaps with every bit set: every port and every MSR access exits. */
#define SVM_IOPM_ORDER	2	/* 12 KiB used */
#define SVM_MSRPM_ORDER	1	/* 8 KiB */
static struct page *svm_iopm;
static struct page *svm_msrpm;

/* ASIDs: handed out per CPU; a new generation flushes them all. */
struct svm_cpu_asids {
	u64 generation;
	u32 next;
};
static DEFINE_PER_CPU(struct svm_cpu_asids, svm_asids);
static u32 svm_max_asid;

static int svm_hardware_setup(void)
{
	/* CPUID Fn8000_000A: EBX = number of ASIDs, EDX[0] = nested paging. */
	svm_max_asid = cpuid_ebx(SVM_CPUID_FUNC) - 1;
	if (svm_max_asid < 1) {
		pr_err("AMD SVM: no ASID for guests\n");
		return -EOPNOTSUPP;
	}
	svm_iopm = alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	if (!svm_iopm)
		return -ENOMEM;
	svm_msrpm = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_msrpm) {
		__free_pages(svm_iopm, SVM_IOPM_ORDER);
		return -ENOMEM;
	}
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << SVM_IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << SVM_MSRPM_ORDER);

	/* RDTSCP and RDPID run with the guest's TSC_AUX (svm_vcpu_run()). */
	kvm_cap_rdtscp = true;
	/* CPUID Fn8000_000A EDX[0]: mmu=tdp runs on NPT. */
	kvm_tdp_supported = boot_cpu_has(X86_FEATURE_NPT);
	/* Nested leaves of 2 MiB always, of 1 GiB as the host's own pages. */
	kvm_tdp_max_level = boot_cpu_has(X86_FEATURE_GBPAGES) ? 3 : 2;
	/* The nested walk sets A and D in nested entries as in any table. */
	kvm_tdp_ad = true;
	kvm_spec_init(false);
	pr_info("AMD SVM, %u ASIDs, nested paging %s\n",
		cpuid_ebx(SVM_CPUID_FUNC),
		boot_cpu_has(X86_FEATURE_NPT) ? "yes" : "no");
	return 0;
}

static void svm_hardware_unsetup(void)
{
	__free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	__free_pages(svm_iopm, SVM_IOPM_ORDER);
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


/* ---- VMCB ------------------------------------------------------------ */

void svm_set_intercept(struct vmcb *vmcb, int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

void svm_clr_intercept(struct vmcb *vmcb, int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static void svm_init_seg(struct vmcb_seg *seg, u16 selector, u64 base,
			 u32 limit, u16 attrib)
{
	seg->selector = selector;
	seg->base = base;
	seg->limit = limit;
	seg->attrib = attrib;
}

#define SVM_ATTR_P	SVM_SELECTOR_P_MASK
#define SVM_ATTR_S	SVM_SELECTOR_S_MASK

static void svm_init_vmcb(struct vcpu_svm *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct vmcb_save_area *s = &svm->vmcb->save;
	/*
	 * CR8 reads come from V_TPR (V_INTR_MASKING); writes exit, so that
	 * lowering the TPR can go to userspace's APIC (KVM_EXIT_SET_TPR).
	 * Every MOV to or from DR0-DR7 exits: the values live in struct
	 * kvm_vcpu (DR0-DR3 reach the CPU only around VMRUN).
	 */
	static const int intercepts[] = {
		INTERCEPT_CR0_READ, INTERCEPT_CR3_READ, INTERCEPT_CR4_READ,
		INTERCEPT_CR0_WRITE, INTERCEPT_CR3_WRITE, INTERCEPT_CR4_WRITE,
		INTERCEPT_CR8_WRITE,
		INTERCEPT_DR0_READ, INTERCEPT_DR1_READ, INTERCEPT_DR2_READ,
		INTERCEPT_DR3_READ, INTERCEPT_DR4_READ, INTERCEPT_DR5_READ,
		INTERCEPT_DR6_READ, INTERCEPT_DR7_READ,
		INTERCEPT_DR0_WRITE, INTERCEPT_DR1_WRITE, INTERCEPT_DR2_WRITE,
		INTERCEPT_DR3_WRITE, INTERCEPT_DR4_WRITE, INTERCEPT_DR5_WRITE,
		INTERCEPT_DR6_WRITE, INTERCEPT_DR7_WRITE,
		INTERCEPT_EXCEPTION_OFFSET + PF_VECTOR,
		INTERCEPT_EXCEPTION_OFFSET + MC_VECTOR,
		/*
		 * As upstream: a #UD exits and is injected, with RF set in the
		 * RFLAGS it pushes (kvm_exception_set_rf()), as every fault.
		 */
		INTERCEPT_EXCEPTION_OFFSET + UD_VECTOR,
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPG, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN,
		INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
		INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
		INTERCEPT_SKINIT, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_XSETBV, INTERCEPT_RDPRU,
		/*
		 * A task switch loads CR3 from the new TSS: under a shadow
		 * MMU the hardware would take the guest's CR3 (a guest-physical
		 * address) for the root of its walks.  It is emulated
		 * (task_switch.c) under every strategy, as upstream does.
		 */
		INTERCEPT_TASK_SWITCH,
		/* Cleared at entry for a guest with RDTSCP (svm_vcpu_run()). */
		INTERCEPT_RDTSCP,
	};
	int i;

	memset(svm->vmcb, 0, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(svm->vmcb, intercepts[i]);
	/*
	 * Nested paging: the guest's CR3, its page faults and its TLB
	 * invalidations are its own (nested_cr3 and g_pat: svm_vcpu_run()).
	 */
	if (kvm_mmu_is_tdp(svm->vcpu.kvm)) {
		svm_clr_intercept(svm->vmcb, INTERCEPT_CR3_READ);
		svm_clr_intercept(svm->vmcb, INTERCEPT_CR3_WRITE);
		svm_clr_intercept(svm->vmcb, INTERCEPT_INVLPG);
		svm_clr_intercept(svm->vmcb,
				  INTERCEPT_EXCEPTION_OFFSET + PF_VECTOR);
		c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	}
	c->iopm_base_pa = __sme_set(page_to_phys(svm_iopm));
	c->msrpm_base_pa = __sme_set(page_to_phys(svm_msrpm));
	/* The host's IF decides physical interrupts; the guest's, virtual ones. */
	c->int_ctl = V_INTR_MASKING_MASK;

	/* The reset state (APM 14.1.3). */
	svm_init_seg(&s->cs, 0xf000, 0xffff0000, 0xffff,
		     SVM_ATTR_P | SVM_ATTR_S | SVM_SELECTOR_CODE_MASK |
		     SVM_SELECTOR_READ_MASK | 1);
	svm_init_seg(&s->ds, 0, 0, 0xffff, SVM_ATTR_P | SVM_ATTR_S | 3);
	s->es = s->ds;
	s->ss = s->ds;
	s->fs = s->ds;
	s->gs = s->ds;
	svm_init_seg(&s->gdtr, 0, 0, 0xffff, 0);
	svm_init_seg(&s->idtr, 0, 0, 0xffff, 0);
	svm_init_seg(&s->ldtr, 0, 0, 0xffff, SVM_ATTR_P | 2);
	/* A 16-bit TSS, busy as the reset state has it (see svm_set_segment()). */
	svm_init_seg(&s->tr, 0, 0, 0xffff, SVM_ATTR_P | 1);
	s->dr6 = DR6_RESERVED;		/* the reserved bits read as 1 */
	s->dr7 = 0x400;			/* bit 10 reads as 1 */
	s->g_pat = 0x0007040600070406ULL;
	svm->asid_generation = 0;
}

/* ---- state accessors ---------------------------------------------------- */

/* The busy bit of a TSS descriptor's type (3 and 11 busy, 1 and 9 not). */
#define SVM_TSS_BUSY	2

/* A TR of a 16-bit or 32/64-bit TSS type, busy or not. */
static bool svm_tr_is_tss(int seg, const struct kvm_segment *var)
{
	u8 avail = var->type & ~SVM_TSS_BUSY;

	return seg == VCPU_SREG_TR && !var->s && (avail == 1 || avail == 9);
}

static struct vmcb_seg *svm_seg(struct vcpu_svm *svm, int seg)
{
	struct vmcb_save_area *s = &svm->vmcb->save;

	switch (seg) {
	case VCPU_SREG_CS: return &s->cs;
	case VCPU_SREG_DS: return &s->ds;
	case VCPU_SREG_ES: return &s->es;
	case VCPU_SREG_FS: return &s->fs;
	case VCPU_SREG_GS: return &s->gs;
	case VCPU_SREG_SS: return &s->ss;
	case VCPU_SREG_TR: return &s->tr;
	default: return &s->ldtr;
	}
}

static void svm_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	struct vmcb_seg *s = svm_seg(to_svm(vcpu), seg);

	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->attrib & SVM_SELECTOR_TYPE_MASK;
	var->s = (s->attrib >> SVM_SELECTOR_S_SHIFT) & 1;
	var->dpl = (s->attrib >> SVM_SELECTOR_DPL_SHIFT) & 3;
	var->present = (s->attrib >> SVM_SELECTOR_P_SHIFT) & 1;
	var->avl = (s->attrib >> SVM_SELECTOR_AVL_SHIFT) & 1;
	var->l = (s->attrib >> SVM_SELECTOR_L_SHIFT) & 1;
	var->db = (s->attrib >> SVM_SELECTOR_DB_SHIFT) & 1;
	var->g = (s->attrib >> SVM_SELECTOR_G_SHIFT) & 1;
	var->unusable = !var->present;
	var->padding = 0;
	/* A loaded TR is busy: see svm_set_segment(). */
	if (svm_tr_is_tss(seg, var))
		var->type |= SVM_TSS_BUSY;
}

static void svm_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var,
			    int seg)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_seg *s = svm_seg(svm, seg);

	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = 0;
	if (!var->unusable)
		s->attrib = (var->type & SVM_SELECTOR_TYPE_MASK) |
			    (var->s & 1) << SVM_SELECTOR_S_SHIFT |
			    (var->dpl & 3) << SVM_SELECTOR_DPL_SHIFT |
			    (var->present & 1) << SVM_SELECTOR_P_SHIFT |
			    (var->avl & 1) << SVM_SELECTOR_AVL_SHIFT |
			    (var->l & 1) << SVM_SELECTOR_L_SHIFT |
			    (var->db & 1) << SVM_SELECTOR_DB_SHIFT |
			    (var->g & 1) << SVM_SELECTOR_G_SHIFT;
	/*
	 * TR goes into the VMCB as an available TSS (type 1 or 9), not the
	 * busy type (3 or 11) that LTR leaves and userspace gives us.  The
	 * processor uses only TR's base and limit and does not check the
	 * type; QEMU's TCG, our lab, aborts the whole emulator on an
	 * interrupt from CPL 3 in legacy mode when the type is busy.  Read
	 * back, TR is busy again (svm_get_segment()).
	 */
	if (svm_tr_is_tss(seg, var))
		s->attrib &= ~SVM_TSS_BUSY;
	/* The CPL is SS.DPL (APM 15.5.1). */
	if (seg == VCPU_SREG_SS)
		svm->vmcb->save.cpl = var->dpl & 3;
}

static void svm_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	struct vmcb_seg *d = idt ? &s->idtr : &s->gdtr;

	dt->base = d->base;
	dt->limit = d->limit;
	memset(dt->padding, 0, sizeof(dt->padding));
}

static void svm_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
			   bool idt)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	struct vmcb_seg *d = idt ? &s->idtr : &s->gdtr;

	d->base = dt->base;
	d->limit = dt->limit;
}

static int svm_get_cpl(struct kvm_vcpu *vcpu)
{
	/* Real mode is CPL 0 whatever SS says. */
	if (!(vcpu->cr0 & X86_CR0_PE))
		return 0;
	if (to_svm(vcpu)->vmcb->save.rflags & X86_EFLAGS_VM)
		return 3;
	return to_svm(vcpu)->vmcb->save.cpl;
}

/*
 * What the hardware runs with, from what the guest wrote: paging always
 * on with write protection honoured in supervisor mode (the MMU strategy
 * emulates CR0.WP=0), PAE always (legacy or long mode shadow), NX always
 * (shadow entries may use it), and long mode exactly when the guest has
 * EFER.LMA.
 */
static void svm_update_cr(struct kvm_vcpu *vcpu)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	u64 cr4_guest = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
			X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
			X86_CR4_SMEP | X86_CR4_SMAP;

	/*
	 * Nested paging: the guest's own paging, in whatever mode it is,
	 * with EFER.NXE as it set it.
	 */
	if (kvm_mmu_is_tdp(vcpu->kvm)) {
		s->cr0 = vcpu->cr0 & ~(X86_CR0_CD | X86_CR0_NW);
		s->cr4 = (vcpu->cr4 & (cr4_guest | X86_CR4_PSE | X86_CR4_PAE |
				       X86_CR4_PGE)) |
			 (cr4_read_shadow() & X86_CR4_MCE);
		s->efer = (vcpu->efer & (EFER_SCE | EFER_NX)) | EFER_SVME;
		if (kvm_is_long_mode(vcpu))
			s->efer |= EFER_LME | EFER_LMA;
		to_svm(vcpu)->vmcb->control.tsc_offset = vcpu->tsc_offset;
		return;
	}
	s->cr0 = (vcpu->cr0 | X86_CR0_PG | X86_CR0_WP) &
		 ~(X86_CR0_CD | X86_CR0_NW);
	/*
	 * With the guest's paging off, every shadow entry is a user page:
	 * SMEP and SMAP would fault on all of them.
	 */
	if (!(vcpu->cr0 & X86_CR0_PG))
		cr4_guest &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	s->cr4 = (vcpu->cr4 & cr4_guest) | X86_CR4_PAE |
		 (cr4_read_shadow() & X86_CR4_MCE);
	s->efer = (vcpu->efer & EFER_SCE) | EFER_SVME | EFER_NX;
	if (kvm_is_long_mode(vcpu))
		s->efer |= EFER_LME | EFER_LMA;
	to_svm(vcpu)->vmcb->control.tsc_offset = vcpu->tsc_offset;
}

/* A new ASID on the next entry is a TLB flush for this vCPU alone. */
static void svm_flush_tlb(struct kvm_vcpu *vcpu)
{
	to_svm(vcpu)->asid_generation = 0;
}

static u64 svm_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

static void svm_set_interrupt_shadow(struct kvm_vcpu *vcpu, bool shadow)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	if (shadow)
		c->int_state |= SVM_INTERRUPT_SHADOW_MASK;
	else
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

static bool svm_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->nmi_masked;
}

static void svm_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	/* Already blocked: an IRET that already exited still ends it. */
	if (masked && svm->nmi_masked)
		return;
	svm->nmi_masked = masked;
	svm->awaiting_iret = false;
}

/* MSRs whose state lives in the VMCB. */
static u64 *svm_msr_slot(struct vcpu_svm *svm, u32 index)
{
	struct vmcb_save_area *s = &svm->vmcb->save;

	switch (index) {
	case MSR_STAR:			return &s->star;
	case MSR_LSTAR:			return &s->lstar;
	case MSR_CSTAR:			return &s->cstar;
	case MSR_SYSCALL_MASK:		return &s->sfmask;
	case MSR_KERNEL_GS_BASE:	return &s->kernel_gs_base;
	case MSR_FS_BASE:		return &s->fs.base;
	case MSR_GS_BASE:		return &s->gs.base;
	case MSR_IA32_SYSENTER_CS:	return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &s->sysenter_eip;
	default:			return NULL;
	}
}

/* TSC_RATIO at 1.0 (8.32 fixed point): there is no TSC scaling here. */
#define SVM_TSC_RATIO_ONE	(1ULL << 32)

/*
 * F15H_IC_CFG: known only with a family in CPUID; 0x1e for family 15h
 * models 02h-1fh (instruction cache way access filter), else 0.
 */
static int svm_get_ic_cfg(struct kvm_vcpu *vcpu, u64 *data)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 1, 0);
	unsigned int model;

	if (!e)
		return KVM_MSR_UNKNOWN;
	model = x86_model(e->eax);
	*data = x86_family(e->eax) == 0x15 && model >= 0x2 && model < 0x20 ?
		0x1e : 0;
	return 0;
}

/*
 * The SVM MSRs besides those in the VMCB, as upstream 6.1 answers them
 * with no nested SVM offered, no TSC scaling and no LBR virtualization
 * (upstream on a host without LBRV: DEBUGCTL reads 0, writes dropped).
 */
static int svm_get_other_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	switch (index) {
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	case MSR_VM_HSAVE_PA:
		*data = vcpu->msr.hsave_pa;
		return 0;
	case MSR_VM_CR:
		*data = vcpu->msr.vm_cr;
		return 0;
	case MSR_AMD64_DE_CFG:
		*data = vcpu->msr.de_cfg;
		return 0;
	case MSR_AMD64_TSC_RATIO:
		*data = SVM_TSC_RATIO_ONE;
		return host ? 0 : 1;
	case MSR_F15H_IC_CFG:
		return svm_get_ic_cfg(vcpu, data);
	default:
		return KVM_MSR_UNKNOWN;
	}
}

/* VM_CR: LOCK and SVMDIS stay as they are once SVMDIS is set. */
static int svm_set_vm_cr(struct kvm_vcpu *vcpu, u64 data)
{
	u64 chg = SVM_VM_CR_VALID_MASK;

	if (data & ~SVM_VM_CR_VALID_MASK)
		return 1;
	if (vcpu->msr.vm_cr & SVM_VM_CR_SVM_DIS_MASK)
		chg &= ~(SVM_VM_CR_SVM_LOCK_MASK | SVM_VM_CR_SVM_DIS_MASK);
	vcpu->msr.vm_cr = (vcpu->msr.vm_cr & ~chg) | (data & chg);
	return (vcpu->msr.vm_cr & SVM_VM_CR_SVM_DIS_MASK) &&
	       (vcpu->efer & EFER_SVME) ? 1 : 0;
}

/* DE_CFG: only LFENCE_SERIALIZE, where the host's LFENCE serializes. */
static int svm_set_de_cfg(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	u64 supported = boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ?
			MSR_AMD64_DE_CFG_LFENCE_SERIALIZE : 0;

	/* The guest may not change a bit from what the host has. */
	if ((data & ~supported) || (!host && data != supported))
		return 1;
	vcpu->msr.de_cfg = data;
	return 0;
}

static int svm_set_other_msr(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	switch (index) {
	case MSR_IA32_DEBUGCTLMSR:
	case MSR_VM_IGNNE:
		return 0;
	case MSR_VM_HSAVE_PA:
		/* The VMM may restore anything (old kernels checked nothing). */
		if (!host && ((data & ~PAGE_MASK) ||
			      (data >> boot_cpu_data.x86_phys_bits)))
			return 1;
		vcpu->msr.hsave_pa = data & PAGE_MASK;
		return 0;
	case MSR_VM_CR:
		return svm_set_vm_cr(vcpu, data);
	case MSR_AMD64_DE_CFG:
		return svm_set_de_cfg(vcpu, data, host);
	case MSR_AMD64_TSC_RATIO:
		/* The VMM may write 0 (QEMU 6.2 does) or the value it read. */
		return host && (!data || data == SVM_TSC_RATIO_ONE) ? 0 : 1;
	default:
		return KVM_MSR_UNKNOWN;
	}
}

static int svm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u64 *slot = svm_msr_slot(to_svm(vcpu), index);

	if (!slot)
		return svm_get_other_msr(vcpu, index, data, host);
	*data = *slot;
	return 0;
}

static int svm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 *slot = svm_msr_slot(to_svm(vcpu), index);

	if (!slot)
		return svm_set_other_msr(vcpu, index, data, host);
	/* Addresses must be canonical, or VMLOAD would fault in the host. */
	if (index != MSR_STAR && index != MSR_SYSCALL_MASK &&
	    index != MSR_IA32_SYSENTER_CS && (s64)(data << 16) >> 16 != data)
		return 1;
	/* 32-bit SYSENTER on AMD; an Intel guest keeps bits 63:32. */
	if ((index == MSR_IA32_SYSENTER_EIP || index == MSR_IA32_SYSENTER_ESP) &&
	    !kvm_guest_vendor_is(vcpu, "GenuineIntel"))
		data = (u32)data;
	*slot = data;
	return 0;
}

/* ---- vCPUs ----------------------------------------------------------- */

static struct kvm_vcpu *svm_vcpu_create(void)
{
	struct vcpu_svm *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return NULL;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		goto err_free_svm;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = __sme_set(page_to_phys(page));
	svm->host_state = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!svm->host_state)
		goto err_free_vmcb;
	svm->last_cpu = -1;
	return &svm->vcpu;

err_free_vmcb:
	__free_page(page);
err_free_svm:
	kfree(svm);
	return NULL;
}

static void svm_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	kvm_spec_vcpu_free(vcpu);
	__free_page(svm->host_state);
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
}

static void svm_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	svm_init_vmcb(svm);
	svm->nmi_masked = false;
	svm->awaiting_iret = false;
	svm->singlestep = false;
	vcpu->spec_ctrl = 0;
	/* Guest TSC starts near 0. */
	vcpu->tsc_offset = -(s64)rdtsc();
	svm_update_cr(vcpu);
}

/* Called with preemption off: a fresh ASID after a CPU change or a flush. */
static void svm_assign_asid(struct vcpu_svm *svm, int cpu)
{
	struct svm_cpu_asids *a = this_cpu_ptr(&svm_asids);
	struct vmcb_control_area *c = &svm->vmcb->control;

	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
	if (svm->last_cpu == cpu && svm->asid_generation &&
	    svm->asid_generation == a->generation)
		return;
	if (!a->generation || a->next > svm_max_asid) {
		a->generation++;
		a->next = 1;
		/* ASIDs of the old generation may have TLB entries left. */
		c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = a->next++;
	svm->asid_generation = a->generation;
	svm->last_cpu = cpu;
	c->asid = svm->asid;
}

static void svm_inject_exception(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct kvm_queued_exception *e = &vcpu->exception;

	c->event_inj = e->vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID;
	/* Real mode pushes no error code. */
	if (e->has_error_code && (vcpu->cr0 & X86_CR0_PE)) {
		c->event_inj |= SVM_EVTINJ_VALID_ERR;
		c->event_inj_err = e->error_code;
	}
	trace_kvm_inj_exception(e->vector, e->has_error_code, e->error_code);
	e->pending = false;
}

static void svm_inject_nmi(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;

	svm->vmcb->control.event_inj = NMI_VECTOR | SVM_EVTINJ_TYPE_NMI |
				       SVM_EVTINJ_VALID;
	trace_kvm_inj_nmi(vcpu->nmi_injected);
	/* A re-injection first; a pending NMI then waits for the IRET. */
	if (vcpu->nmi_injected)
		vcpu->nmi_injected = false;
	else
		vcpu->nmi_pending = false;
	svm->nmi_masked = true;
	svm->awaiting_iret = false;
}

/*
 * Single-step the guest's next instruction: its #DB trap exits, and the
 * event that waited for the end of a shadow or of an IRET goes in then.
 */
static void svm_start_singlestep(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;

	svm->singlestep = true;
	svm->singlestep_guest_tf = vcpu->rflags & X86_EFLAGS_TF;
	svm_set_intercept(svm->vmcb, INTERCEPT_EXCEPTION_OFFSET + DB_VECTOR);
}

/*
 * Choose the event this entry delivers, and arrange an exit as soon as
 * the guest can take the next one.  Called with interrupts off, just
 * before VMRUN.  By priority:
 *
 * - a queued exception (also one whose delivery an exit interrupted);
 * - an NMI whose delivery was interrupted, or a pending NMI when NMIs are
 *   not blocked and no interrupt shadow is active (after MOV SS even an
 *   NMI waits for the next instruction; SVM's one shadow bit does not say
 *   whether STI or MOV SS set it, and delaying an NMI by one instruction
 *   is always allowed);
 * - the KVM_INTERRUPT vector when RFLAGS.IF is set and no shadow.
 *
 * What is left waits.  An NMI behind an exception injected now: for an
 * immediate exit (a self-IPI, taken right after the delivery, before the
 * handler's first instruction).  An NMI or an interrupt held back only by
 * a shadow, or an NMI behind an IRET that exited but has not executed:
 * for one single-stepped instruction (a shadow that the VMCB carries
 * into the entry is not honoured by every SVM implementation, QEMU's
 * among them, so a virtual interrupt cannot be trusted to wait for its
 * end).  A blocked NMI: for the IRET intercept.  An interrupt with IF
 * clear, or userspace's request_interrupt_window: for a virtual
 * interrupt (V_IRQ, TPR ignored) whose intercept fires when the guest
 * has IF set and no shadow.
 */
static void svm_inject_events(struct vcpu_svm *svm, int cpu)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct vmcb_control_area *c = &svm->vmcb->control;
	bool shadow = c->int_state & SVM_INTERRUPT_SHADOW_MASK;
	bool irq_window = vcpu->pending_irq >= 0 || kvm_want_irq_window(vcpu);
	bool step = false;

	c->event_inj = 0;
	c->int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK | V_INTR_PRIO_MASK |
			V_TPR_MASK);
	c->int_ctl |= vcpu->cr8 & V_TPR_MASK;
	svm_clr_intercept(svm->vmcb, INTERCEPT_VINTR);
	svm_clr_intercept(svm->vmcb, INTERCEPT_IRET);
	svm_clr_intercept(svm->vmcb, INTERCEPT_EXCEPTION_OFFSET + DB_VECTOR);
	svm->singlestep = false;

	if (vcpu->exception.pending) {
		kvm_exception_set_rf(vcpu);
		svm_inject_exception(svm);
	} else if (vcpu->nmi_injected ||
		   (vcpu->nmi_pending && !svm->nmi_masked && !shadow)) {
		svm_inject_nmi(svm);
	} else if (vcpu->pending_irq >= 0 && (vcpu->rflags & X86_EFLAGS_IF) &&
		   !shadow) {
		c->event_inj = vcpu->pending_irq | SVM_EVTINJ_TYPE_INTR |
			       SVM_EVTINJ_VALID;
		trace_kvm_inj_virq(vcpu->pending_irq);
		vcpu->pending_irq = -1;
		irq_window = kvm_want_irq_window(vcpu);
	}

	if (vcpu->nmi_injected ||
	    (vcpu->nmi_pending && (!svm->nmi_masked || svm->awaiting_iret))) {
		if (c->event_inj & SVM_EVTINJ_VALID)
			smp_send_reschedule(cpu);
		else
			step = true;
	}
	if (irq_window) {
		if (shadow && (vcpu->rflags & X86_EFLAGS_IF) &&
		    !(c->event_inj & SVM_EVTINJ_VALID)) {
			step = true;
		} else {
			c->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
				      (0xf << V_INTR_PRIO_SHIFT);
			svm_set_intercept(svm->vmcb, INTERCEPT_VINTR);
		}
	}
	if (step)
		svm_start_singlestep(svm);
	if (svm->nmi_masked && !svm->awaiting_iret)
		svm_set_intercept(svm->vmcb, INTERCEPT_IRET);
}

/*
 * After an exit: the event whose delivery it interrupted is delivered
 * again; NMI blocking ends once the IRET that exited has executed.
 */
static void svm_complete_events(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u32 info = svm->vmcb->control.exit_int_info;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;

	if (svm->awaiting_iret && vcpu->rip != svm->iret_rip) {
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
	}
	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	switch (info & SVM_EXITINTINFO_TYPE_MASK) {
	case SVM_EXITINTINFO_TYPE_EXEPT:
		/* INT3, INTO: RIP is still on the instruction, which runs again. */
		if (vector == BP_VECTOR || vector == OF_VECTOR)
			break;
		if (info & SVM_EXITINTINFO_VALID_ERR)
			kvm_queue_exception_e(vcpu, vector,
					      svm->vmcb->control.exit_int_info_err);
		else
			kvm_queue_exception(vcpu, vector);
		break;
	case SVM_EXITINTINFO_TYPE_INTR:
		if (vcpu->pending_irq < 0)
			vcpu->pending_irq = vector;
		break;
	case SVM_EXITINTINFO_TYPE_NMI:
		/* Still blocked: the injection set nmi_masked. */
		vcpu->nmi_injected = true;
		break;
	default:
		/* INTn: RIP is still on the instruction, which runs again. */
		break;
	}
}

/*
 * Nested under another hypervisor, the VMRUN we execute may be emulated:
 * QEMU's (TCG) loads the VMCB's DR7 without arming its breakpoints, which
 * it does only on a MOV to DR7.  Mirroring the guest's DR7 into ours arms
 * them; it is live for the few instructions up to VMRUN, and cleared
 * right after #VMEXIT (kvm_put_host_drs()).  GD stays out: MOV DR exits,
 * and we emulate general detect.  Runs with GIF clear.
 * QEMU 7.2 also keeps this DR7 armed across #VMEXIT (hardware sets
 * 0x400), and can raise a guest watchpoint's #DB at the instruction after
 * VMRUN, before VMLOAD gave us back GS and TR: the lab machine then
 * triple-faults.  tests/fuzz/README.md has the case; the fuzzer arms no
 * breakpoint under TCG unless told to.
 */
static bool svm_load_guest_drs(struct kvm_vcpu *vcpu)
{
	if (!kvm_load_guest_drs(vcpu))
		return false;
	if (boot_cpu_has(X86_FEATURE_HYPERVISOR))
		set_debugreg(vcpu->dr7 & ~KVM_DR7_GD, 7);
	return true;
}

/*
 * Enter the guest once and handle the exit.  The return contract of
 * kvm_vendor_ops.run(): 1 = re-enter, 0 = to userspace, < 0 = error.
 */
static int svm_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	bool guest_drs, guest_tsc_aux;
	u64 host_tsc_aux = 0;
	hpa_t root;
	int cpu, r;

	down_read(&vcpu->kvm->slots_lock);
	r = vcpu->kvm->mmu_ops->load_root(vcpu, &root);
	up_read(&vcpu->kvm->slots_lock);
	if (r)
		return r;

	preempt_disable();
	cpu = smp_processor_id();
	WRITE_ONCE(vcpu->cpu, cpu);
	kvm_clock_vcpu_load(vcpu, cpu);
	local_irq_disable();
	/* Pairs with kvm_make_all_vcpus_request(): a request or a kick. */
	smp_mb();
	if (READ_ONCE(vcpu->requests) || need_resched() ||
	    signal_pending(current)) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}

	kvm_load_guest_fpu_regs();
	kvm_spec_vcpu_switch(vcpu);
	svm_assign_asid(svm, cpu);
	svm_inject_events(svm, cpu);
	svm->entry_shadow =
		(svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
		!(svm->vmcb->control.event_inj & SVM_EVTINJ_VALID);
	svm->entry_rip = vcpu->rip;
	if (kvm_mmu_is_tdp(vcpu->kvm)) {
		svm->vmcb->control.nested_cr3 = root;
		s->cr3 = vcpu->cr3;
		s->g_pat = vcpu->pat;
	} else {
		s->cr3 = root;
	}
	s->cr2 = vcpu->cr2;
	s->rax = vcpu->regs[VCPU_REGS_RAX];
	s->rsp = vcpu->regs[VCPU_REGS_RSP];
	s->rip = vcpu->rip;
	s->rflags = vcpu->rflags;
	s->dr7 = vcpu->dr7;
	s->dr6 = vcpu->dr6;
	if (svm->singlestep) {
		s->rflags |= X86_EFLAGS_TF;
		/* A clean DR6: after a #DB it says exactly what happened. */
		s->dr6 = KVM_DR6_FIXED_1;
	}
	/* Where the CPU switches SPEC_CTRL itself; else vmenter.S does. */
	if (boot_cpu_has(X86_FEATURE_V_SPEC_CTRL))
		s->spec_ctrl = vcpu->spec_ctrl;
	/* As upstream: RDTSCP is #UD unless the guest's CPUID has it. */
	if (kvm_guest_has(vcpu, 0x80000001, 3, BIT(X86_FEATURE_RDTSCP & 31)))
		svm_clr_intercept(svm->vmcb, INTERCEPT_RDTSCP);
	else
		svm_set_intercept(svm->vmcb, INTERCEPT_RDTSCP);
	svm->vmcb->control.clean = 0;
	kvm_spec_count_entry(vcpu);
	trace_kvm_entry(vcpu->vcpu_id, vcpu->rip);

	/*
	 * Guest mode is like user mode for RCU: a quiescent state.  Without
	 * telling RCU, a guest that exits only for timer interrupts would
	 * stall grace periods on this CPU.
	 */
	if (!context_tracking_guest_enter())
		rcu_virt_note_context_switch(cpu);
	/*
	 * With V_INTR_MASKING, physical interrupts reach the host (an INTR
	 * exit) only if the host's IF was set at VMRUN.  GIF, clear until
	 * STGI, keeps them pending meanwhile.
	 */
	asm volatile("clgi" ::: "memory");
	guest_drs = svm_load_guest_drs(vcpu);
	/* RDTSCP and RDPID read it unintercepted (msr_misc.c). */
	guest_tsc_aux = kvm_tsc_aux_load_guest(vcpu, true, &host_tsc_aux);
	/* SSBD through VIRT_SPEC_CTRL or LS_CFG: the guest's (never set). */
	if (!boot_cpu_has(X86_FEATURE_V_SPEC_CTRL))
		x86_spec_ctrl_set_guest(0);
	local_irq_enable();
	__svm_vcpu_run(svm->vmcb_pa, page_to_phys(svm->host_state), vcpu->regs,
		       &vcpu->spec_ctrl);
	local_irq_disable();
	if (!boot_cpu_has(X86_FEATURE_V_SPEC_CTRL))
		x86_spec_ctrl_restore_host(0);
	kvm_tsc_aux_put_host(guest_tsc_aux, host_tsc_aux);
	kvm_put_host_drs(guest_drs);
	asm volatile("stgi" ::: "memory");
	context_tracking_guest_exit();

	vcpu->regs[VCPU_REGS_RAX] = s->rax;
	vcpu->regs[VCPU_REGS_RSP] = s->rsp;
	vcpu->rip = s->rip;
	vcpu->rflags = s->rflags;
	vcpu->cr2 = s->cr2;
	/*
	 * Nested paging: MOV to CR3 does not exit.  CR0.TS is what a
	 * hardware task switch sets without a CR0 write: QEMU's SVM (TCG)
	 * switches tasks itself whatever the intercept says, and with the
	 * guest on its own CR3 that works, but the guest reads CR0 through
	 * our intercept.  Every other write to TS exits and sets both.
	 */
	if (kvm_mmu_is_tdp(vcpu->kvm)) {
		vcpu->cr3 = s->cr3;
		vcpu->cr0 = (vcpu->cr0 & ~X86_CR0_TS) | (s->cr0 & X86_CR0_TS);
	}
	/* A #DB (general detect) clears DR7.GD. */
	vcpu->dr7 = s->dr7;
	if (svm->singlestep) {
		/* Our TF goes; DR6 changes only by the #DB intercept's handler. */
		vcpu->rflags = (vcpu->rflags & ~X86_EFLAGS_TF) |
			       svm->singlestep_guest_tf;
	} else {
		vcpu->dr6 = s->dr6;
	}
	/*
	 * An exit other than a #DB, with RIP where the shadowed entry left
	 * it: the shadowed instruction has not retired (an intercepted IN, a
	 * page fault, a physical interrupt), so its shadow still holds.  Not
	 * every SVM implementation carries the VMCB's shadow into the guest
	 * (QEMU's does not), and the exit's int_state then says none.
	 */
	if (svm->entry_shadow && vcpu->rip == svm->entry_rip &&
	    svm->vmcb->control.exit_code != SVM_EXIT_EXCP_BASE + DB_VECTOR)
		svm->vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;
	kvm_spec_after_exit();
	/* The interrupt that caused the exit runs now, in preemptible context. */
	preempt_enable();
	local_irq_enable();

	svm_complete_events(svm);
	return svm_handle_exit(svm);
}

static const struct kvm_vendor_ops svm_vendor_ops = {
	.name = "AMD SVM",
	.invalid_state_exit = (u64)SVM_EXIT_ERR,
	.hardware_setup = svm_hardware_setup,
	.hardware_unsetup = svm_hardware_unsetup,
	.enable_cpu = svm_enable_cpu,
	.disable_cpu = svm_disable_cpu,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_reset = svm_vcpu_reset,
	.run = svm_vcpu_run,
	.get_segment = svm_get_segment,
	.set_segment = svm_set_segment,
	.get_dtable = svm_get_dtable,
	.set_dtable = svm_set_dtable,
	.get_cpl = svm_get_cpl,
	.update_cr = svm_update_cr,
	.flush_tlb = svm_flush_tlb,
	.get_interrupt_shadow = svm_get_interrupt_shadow,
	.set_interrupt_shadow = svm_set_interrupt_shadow,
	.get_nmi_mask = svm_get_nmi_mask,
	.set_nmi_mask = svm_set_nmi_mask,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.exit_slot_name = svm_exit_slot_name,
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
