// SPDX-License-Identifier: GPL-2.0
/*
 * The generic half of running a vCPU: the KVM_RUN loop, and what exits
 * mean independently of the vendor: CPUID, HLT, control and debug
 * registers, exception queueing (port I/O, MMIO and the emulator's guest
 * accesses: io.c).
 *
 * Return contract of every exit handler here and in the backends:
 * 1 = handled, re-enter the guest; 0 = kvm_run is filled in, return to
 * userspace; < 0 = an error for KVM_RUN to return.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/cache.h>
#include <linux/kvm_para.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "kvm_trace.h"

/* ---- exceptions --------------------------------------------------------- */

static bool kvm_exception_is_contributory(u8 vector)
{
	return vector == DE_VECTOR || vector == TS_VECTOR || vector == NP_VECTOR ||
	       vector == SS_VECTOR || vector == GP_VECTOR;
}

bool kvm_exception_has_error_code(u8 vector)
{
	return vector == DF_VECTOR || vector == TS_VECTOR || vector == NP_VECTOR ||
	       vector == SS_VECTOR || vector == GP_VECTOR || vector == PF_VECTOR ||
	       vector == AC_VECTOR;
}

/*
 * Queue an exception for the next entry.  A second exception while one is
 * pending (e.g. a #PF while delivering a #GP) combines as the hardware
 * does: into #DF, and a fault while delivering #DF is a triple fault.
 */
static void kvm_queue(struct kvm_vcpu *vcpu, u8 vector, bool has_error,
		      u32 error_code)
{
	struct kvm_queued_exception *e = &vcpu->exception;

	if (e->pending) {
		u8 first = e->vector;

		if (first == DF_VECTOR) {
			vcpu->triple_fault = true;
			e->pending = false;
			return;
		}
		if ((kvm_exception_is_contributory(first) || first == PF_VECTOR) &&
		    (kvm_exception_is_contributory(vector) ||
		     (vector == PF_VECTOR && first == PF_VECTOR))) {
			vector = DF_VECTOR;
			has_error = true;
			error_code = 0;
		}
	}
	e->pending = true;
	e->vector = vector;
	e->has_error_code = has_error;
	e->error_code = error_code;
}

void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 vector)
{
	kvm_queue(vcpu, vector, kvm_exception_has_error_code(vector), 0);
}

void kvm_queue_exception_e(struct kvm_vcpu *vcpu, u8 vector, u32 error_code)
{
	kvm_queue(vcpu, vector, true, error_code);
}

/*
 * At injection: the CPU delivers a fault with RF set in the RFLAGS it
 * pushes (so that the handler's IRET does not re-trigger an instruction
 * breakpoint), and so does the module, as upstream.  Traps (#DB, #BP,
 * #OF) and aborts (#DF, #MC) leave RF alone; an instruction breakpoint's
 * #DB sets it where its exit is handled.
 */
void kvm_exception_set_rf(struct kvm_vcpu *vcpu)
{
	u32 not_faults = BIT(DB_VECTOR) | BIT(BP_VECTOR) | BIT(OF_VECTOR) |
			 BIT(DF_VECTOR) | BIT(MC_VECTOR);
	u8 vector = vcpu->exception.vector;

	if (vector < 32 && !(BIT(vector) & not_faults))
		vcpu->rflags |= X86_EFLAGS_RF;
}

void kvm_inject_page_fault(struct kvm_vcpu *vcpu, gva_t addr, u32 error_code)
{
	vcpu->cr2 = addr;
	kvm_queue_exception_e(vcpu, PF_VECTOR, error_code);
}

/* ---- control registers ------------------------------------------------- */

/* What the CPUID table says the guest has (leaf 1 ECX/EDX, leaf 7 EBX, ...). */
bool kvm_guest_has(struct kvm_vcpu *vcpu, u32 function, int reg, u32 bit)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, function, 0);
	u32 v;

	if (!e)
		return false;
	switch (reg) {
	case 0: v = e->eax; break;
	case 1: v = e->ebx; break;
	case 2: v = e->ecx; break;
	default: v = e->edx; break;
	}
	return v & bit;
}

const char *kvm_cr0_invalid(struct kvm_vcpu *vcpu, u64 cr0)
{
	if (cr0 >> 32)
		return "CR0 bits 63:32 are reserved";
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return "CR0.NW without CR0.CD";
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return "CR0.PG without CR0.PE";
	return NULL;
}

/*
 * The CR4 bits a guest may set: those we virtualize, SMEP and SMAP only
 * if both the guest's CPUID and the host's CPU have them.  The others
 * (VMXE, PCIDE, OSXSAVE, FSGSBASE, LA57, PKE, UMIP, ...) are reserved.
 */
const char *kvm_cr4_invalid(struct kvm_vcpu *vcpu, u64 cr4)
{
	u64 allowed = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		      X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		      X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_SMEP) && kvm_guest_has(vcpu, 7, 1, BIT(7)))
		allowed |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP) && kvm_guest_has(vcpu, 7, 1, BIT(20)))
		allowed |= X86_CR4_SMAP;
	if (cr4 & ~allowed)
		return "reserved or unsupported CR4 bits";
	return NULL;
}

/*
 * EFER: SCE, LME, LMA and NX (if the host has NX) exist.  A write by the
 * guest also needs them in its CPUID (long mode: 0x80000001 EDX bit 29,
 * NX: bit 20); userspace may set them regardless, as upstream allows.
 */
const char *kvm_efer_invalid(struct kvm_vcpu *vcpu, u64 efer, bool host)
{
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA;

	if (boot_cpu_has(X86_FEATURE_NX))
		allowed |= EFER_NX;
	if (efer & ~allowed)
		return "reserved or unsupported EFER bits";
	if (host)
		return NULL;
	if ((efer & (EFER_LME | EFER_LMA)) &&
	    !kvm_guest_has(vcpu, 0x80000001, 3, BIT(29)))
		return "EFER.LME without long mode in the guest's CPUID";
	if ((efer & EFER_NX) && !kvm_guest_has(vcpu, 0x80000001, 3, BIT(20)))
		return "EFER.NX without NX in the guest's CPUID";
	return NULL;
}

/*
 * IA32_APIC_BASE: bits 0-7 and 9 are reserved, and so is every bit
 * beyond the physical-address width; x2APIC mode (bit 10) needs the
 * in-kernel APIC and x2APIC in the guest's CPUID, and the APIC enabled
 * (bit 11).  The mode transitions a guest may not make are
 * kvm_lapic_set_base()'s.
 */
const char *kvm_apic_base_invalid(struct kvm_vcpu *vcpu, u64 apic_base)
{
	u64 reserved = 0x2ffULL;

	if (!lapic_in_kernel(vcpu) ||
	    !kvm_guest_has(vcpu, 1, 2, BIT(X86_FEATURE_X2APIC & 31)))
		reserved |= X2APIC_ENABLE;
	if (boot_cpu_data.x86_phys_bits < 64)
		reserved |= GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
	if (apic_base & reserved)
		return "reserved APIC base bits";
	if ((apic_base & (X2APIC_ENABLE | MSR_IA32_APICBASE_ENABLE)) == X2APIC_ENABLE)
		return "x2APIC mode with the APIC disabled";
	return NULL;
}

/*
 * KVM_SET_SREGS: the whole state at once, as upstream's
 * kvm_is_valid_sregs() checks it.  EFER.LME with CR0.PG is long mode,
 * which needs CR4.PAE and EFER.LMA and a CR3 within MAXPHYADDR, and whose
 * 64-bit code segments have D clear; otherwise neither EFER.LMA nor CS.L
 * may be set.
 */
const char *kvm_sregs_invalid(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	const char *why;

#ifndef KVM_PLANT_LMA_NO_PG
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE))
			return "long mode (EFER.LME and CR0.PG) without CR4.PAE";
		if (!(s->efer & EFER_LMA))
			return "EFER.LME and CR0.PG without EFER.LMA";
		if (s->cr3 >> boot_cpu_data.x86_phys_bits)
			return "CR3 beyond the physical-address width";
		if (s->cs.l && s->cs.db)
			return "a 64-bit code segment (CS.L) with CS.D set";
	} else {
		if (s->efer & EFER_LMA)
			return "EFER.LMA without EFER.LME and CR0.PG";
		if (s->cs.l)
			return "CS.L outside long mode";
	}
#endif
	why = kvm_cr0_invalid(vcpu, s->cr0);
	if (!why)
		why = kvm_cr4_invalid(vcpu, s->cr4);
	if (!why)
		why = kvm_efer_invalid(vcpu, s->efer, true);
	if (!why)
		why = kvm_apic_base_invalid(vcpu, s->apic_base);
	return why;
}

static void kvm_paging_changed(struct kvm_vcpu *vcpu)
{
	kvm_vendor->update_cr(vcpu);
	vcpu->mmu_flush_cause = KVM_MMU_FLUSH_FULL;
	vcpu->kvm->mmu_ops->new_cr3(vcpu);
}

/* MOV to CR0, LMSW, CLTS: 0 = done, 1 = #GP. */
int kvm_set_cr0(struct kvm_vcpu *vcpu, u64 cr0)
{
	u64 old = vcpu->cr0;

	cr0 |= X86_CR0_ET;
	if (kvm_cr0_invalid(vcpu, cr0))
		return 1;
	cr0 &= KVM_CR0_DEFINED;

	if (!(old & X86_CR0_PG) && (cr0 & X86_CR0_PG) && (vcpu->efer & EFER_LME)) {
		/* Entering long mode: needs PAE, and CS.L must be clear. */
		if (!(vcpu->cr4 & X86_CR4_PAE))
			return 1;
		vcpu->efer |= EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(cr0 & X86_CR0_PG) && (vcpu->efer & EFER_LMA)) {
		/* Leaving long mode must happen from compatibility mode. */
		vcpu->efer &= ~EFER_LMA;
	}
	vcpu->cr0 = cr0;
	if ((old ^ cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		kvm_paging_changed(vcpu);
	else
		kvm_vendor->update_cr(vcpu);
	return 0;
}

int kvm_set_cr3(struct kvm_vcpu *vcpu, u64 cr3)
{
	/* Bits above the physical-address width are reserved. */
	if (kvm_is_long_mode(vcpu) && (cr3 >> boot_cpu_data.x86_phys_bits))
		return 1;
	vcpu->cr3 = cr3;
	vcpu->mmu_flush_cause = KVM_MMU_FLUSH_CR3;
	vcpu->kvm->mmu_ops->new_cr3(vcpu);
	return 0;
}

int kvm_set_cr4(struct kvm_vcpu *vcpu, u64 cr4)
{
	u64 old = vcpu->cr4;

	if (kvm_cr4_invalid(vcpu, cr4))
		return 1;
	if ((vcpu->efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return 1;
	vcpu->cr4 = cr4;
	if ((old ^ cr4) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE |
			   X86_CR4_SMEP | X86_CR4_SMAP))
		kvm_paging_changed(vcpu);
	else
		kvm_vendor->update_cr(vcpu);
	return 0;
}

/*
 * WRMSR or KVM_SET_MSRS of EFER: 0 = done, 1 = #GP (the ioctl stops at
 * that entry).  LMA is read-only: it follows CR0.PG with LME, so LME
 * cannot change while paging is on.
 */
int kvm_set_efer(struct kvm_vcpu *vcpu, u64 efer, bool host)
{
	const char *why;

	efer = (efer & ~EFER_LMA) | (vcpu->efer & EFER_LMA);
	why = kvm_efer_invalid(vcpu, efer, host);
	if (!why && (vcpu->cr0 & X86_CR0_PG) && ((efer ^ vcpu->efer) & EFER_LME))
		why = "EFER.LME changed while paging is on";
	if (why) {
		if (host)
			pr_info_ratelimited("vCPU %d: KVM_SET_MSRS: EFER %#llx: %s\n",
					    vcpu->vcpu_id, efer, why);
		return 1;
	}
	if ((efer ^ vcpu->efer) & EFER_NX) {
		vcpu->efer = efer;
		kvm_paging_changed(vcpu);
		return 0;
	}
	vcpu->efer = efer;
	kvm_vendor->update_cr(vcpu);
	return 0;
}

/*
 * The instruction at RIP retired (we emulated it): RIP moves on, and an
 * interrupt shadow (STI, MOV SS), which covered only that instruction,
 * ends with it.
 */
void kvm_set_next_rip(struct kvm_vcpu *vcpu, u64 rip)
{
	vcpu->rip = rip;
	kvm_vendor->set_interrupt_shadow(vcpu, false);
}

/* Advance RIP past an instruction the hardware reported but did not retire. */
void kvm_skip_instruction(struct kvm_vcpu *vcpu, int len)
{
	struct kvm_segment cs;
	u64 rip = vcpu->rip + len;

	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	/* IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB outside 64-bit mode. */
	if (!(vcpu->cr0 & X86_CR0_PE) || !(cs.db || (kvm_is_long_mode(vcpu) && cs.l)))
		rip &= 0xffff;
	else if (!kvm_is_long_mode(vcpu) || !cs.l)
		rip &= 0xffffffff;
	kvm_set_next_rip(vcpu, rip);
}

/* ---- debug registers --------------------------------------------------- */

/* MOV from DRn; DR4 and DR5 are DR6 and DR7 (the caller checks CR4.DE). */
u64 kvm_get_dr(struct kvm_vcpu *vcpu, int dr)
{
	switch (dr) {
	case 0 ... 3:
		return vcpu->db[dr];
	case 4:
	case 6:
		return vcpu->dr6;
	default:
		return vcpu->dr7;
	}
}

/* MOV to DRn: 1 = #GP (bits 63:32 of DR6 or DR7 set). */
int kvm_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val)
{
	switch (dr) {
	case 0 ... 3:
		vcpu->db[dr] = val;
		return 0;
	case 4:
	case 6:
		if (val >> 32)
			return 1;
		vcpu->dr6 = (val & KVM_DR6_VOLATILE) | KVM_DR6_FIXED_1;
		return 0;
	default:
		if (val >> 32)
			return 1;
		vcpu->dr7 = (val & KVM_DR7_VOLATILE) | KVM_DR7_FIXED_1;
		return 0;
	}
}

/*
 * Guest DR0-DR3 go into the CPU only when the guest's DR7 enables a
 * breakpoint; neither VM entry nor VM exit switches them, while both
 * switch DR7 (the VMCB or the VMCS), and the exit leaves the host's DR7
 * with every breakpoint disabled.  Called with interrupts off just
 * before the entry; returns whether DR0-DR3 now hold the guest's.
 */
bool kvm_load_guest_drs(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->dr7 & KVM_DR7_ENABLES))
		return false;
	/* No host breakpoint may fire on the guest's addresses meanwhile. */
	set_debugreg(0UL, 7);
	set_debugreg(vcpu->db[0], 0);
	set_debugreg(vcpu->db[1], 1);
	set_debugreg(vcpu->db[2], 2);
	set_debugreg(vcpu->db[3], 3);
	return true;
}

/*
 * After the exit, interrupts still off: the host's own breakpoints
 * (perf, ptrace) back from the kernel's copy.
 */
void kvm_put_host_drs(bool guest_drs)
{
	if (guest_drs)
		set_debugreg(0UL, 7);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/* ---- CPUID, HLT ------------------------------------------------------ */

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	u32 function = vcpu->regs[VCPU_REGS_RAX];
	u32 index = vcpu->regs[VCPU_REGS_RCX];
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, function, index);

	/* CPUID faulting (MSR_MISC_FEATURES_ENABLES): #GP above CPL 0. */
	if ((vcpu->msr.misc_features & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
	    kvm_vendor->get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	/* A leaf the table lacks reads as zeros (KVM_SET_CPUID2 decides). */
	vcpu->regs[VCPU_REGS_RAX] = e ? e->eax : 0;
	vcpu->regs[VCPU_REGS_RBX] = e ? e->ebx : 0;
	vcpu->regs[VCPU_REGS_RCX] = e ? e->ecx : 0;
	vcpu->regs[VCPU_REGS_RDX] = e ? e->edx : 0;
	/* Leaf 1's APIC bit follows IA32_APIC_BASE's enable, as upstream. */
	if (e && function == 1) {
		vcpu->regs[VCPU_REGS_RDX] &= ~BIT(X86_FEATURE_APIC & 31);
		if (vcpu->apic_base & MSR_IA32_APICBASE_ENABLE)
			vcpu->regs[VCPU_REGS_RDX] |= BIT(X86_FEATURE_APIC & 31);
	}
	trace_kvm_cpuid(function, index, vcpu->regs[VCPU_REGS_RAX],
			vcpu->regs[VCPU_REGS_RBX], vcpu->regs[VCPU_REGS_RCX],
			vcpu->regs[VCPU_REGS_RDX]);
	kvm_skip_instruction(vcpu, 2);
	return 1;
}

/*
 * An event the guest can take now: a KVM_INTERRUPT vector with RFLAGS.IF
 * set, an NMI being delivered or not blocked, a queued exception; with an
 * in-kernel APIC also its interrupts (IF set), INIT and SIPI.
 */
static bool kvm_vcpu_has_event(struct kvm_vcpu *vcpu)
{
	return (vcpu->pending_irq >= 0 && (vcpu->rflags & X86_EFLAGS_IF)) ||
	       vcpu->nmi_injected ||
	       (vcpu->nmi_pending && !kvm_vendor->get_nmi_mask(vcpu)) ||
	       vcpu->exception.pending ||
	       kvm_irqchip_has_wake_event(vcpu);
}

static bool kvm_vcpu_halts_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm->halt_in_kernel || lapic_in_kernel(vcpu);
}

/*
 * With the interrupt controllers in userspace, HLT goes to userspace,
 * unless an event the guest can take is already queued: it wakes the CPU
 * at once, so the HLT retires and the next entry delivers the event, its
 * return address after the HLT.  (The HLT retiring also ends an STI
 * shadow: STI; HLT takes the interrupt.)  With an in-kernel APIC, or
 * halt_in_kernel=1 (sampled per VM), a HLT with nothing to take sleeps
 * in KVM_RUN instead (kvm_vcpu_wait() below).
 */
int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	kvm_skip_instruction(vcpu, 1);
	if (kvm_vcpu_has_event(vcpu))
		return 1;
	if (kvm_vcpu_halts_in_kernel(vcpu)) {
		vcpu->mp_state = KVM_MP_STATE_HALTED;
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/*
 * A halted vCPU's poll: spin while nothing else wants this CPU, for up to
 * its window, until a kick's KVM_REQ_EVENT or a signal.  True if one came.
 */
static bool kvm_vcpu_halt_poll(struct kvm_vcpu *vcpu)
{
	u64 stop = ktime_get_ns() + vcpu->halt_poll_ns;

	vcpu->stat.halt_polls++;
	do {
		if (test_bit(KVM_REQ_EVENT, &vcpu->requests) || signal_pending(current)) {
			vcpu->stat.halt_poll_wakes++;
			return true;
		}
		cpu_relax();
	} while (single_task_running() && !need_resched() &&
		 ktime_get_ns() < stop);
	return false;
}

/*
 * The window, after a halt that lasted @ns: as upstream's defaults, it
 * grows from 10 us, doubling, while halts end within halt_poll_ns (the
 * next wake-up is likely soon), and drops to 0 after a longer one.
 */
static void kvm_vcpu_halt_poll_adjust(struct kvm_vcpu *vcpu, u64 ns)
{
	u32 max = READ_ONCE(kvm_halt_poll_ns);

	if (ns > max)
		vcpu->halt_poll_ns = 0;
	else if (vcpu->halt_poll_ns < max)
		vcpu->halt_poll_ns = clamp_t(u64, 2ULL * vcpu->halt_poll_ns,
					     10000, max);
}

/*
 * A vCPU that may not run: halted in the kernel, or (in-kernel APIC) an
 * AP waiting for INIT and SIPI.  A halted vCPU runs again when an event
 * it can take is queued (above), or when userspace makes it RUNNABLE
 * (KVM_SET_MP_STATE, or KVM_SET_REGS with a new RIP: how a userspace APIC
 * delivers a SIPI).  Until then it polls for a while (halted only), then
 * sleeps on vcpu->wq, which kvm_vcpu_kick() wakes (KVM_REQ_EVENT: look
 * again); a signal, which is how a VMM kicks a vCPU thread, ends the
 * sleep and KVM_RUN with EINTR, and the vCPU stays halted.  Returns true
 * if the vCPU may enter.
 */
static bool kvm_vcpu_wait(struct kvm_vcpu *vcpu, bool may_enter)
{
	DEFINE_WAIT(wait);
	u64 start = 0;

	if (may_enter) {
		if (vcpu->mp_state != KVM_MP_STATE_HALTED ||
		    !kvm_vcpu_halts_in_kernel(vcpu))
			return true;
		if (kvm_vcpu_has_event(vcpu)) {
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
			return true;
		}
		start = ktime_get_ns();
		if (vcpu->halt_poll_ns && kvm_vcpu_halt_poll(vcpu))
			return false;
	}
	prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
	if (!test_bit(KVM_REQ_EVENT, &vcpu->requests) && !signal_pending(current)) {
		vcpu->stat.halt_sleeps++;
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
	if (start)
		kvm_vcpu_halt_poll_adjust(vcpu, ktime_get_ns() - start);
	return false;
}

/*
 * VMMCALL/VMCALL, upstream's hypercall ABI: the number in RAX, arguments
 * in RBX, RCX, RDX and RSI, the result in RAX; 32-bit outside 64-bit
 * mode.  CPL > 0 gets -KVM_EPERM.  We implement KVM_HC_SEND_IPI (the PV
 * IPI, lapic.c) and answer any other number -KVM_ENOSYS, as upstream
 * answers an unknown one: the round trip the bench's hypercall loop
 * measures.
 */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int len)
{
	struct kvm_segment cs;
	unsigned long nr = vcpu->regs[VCPU_REGS_RAX];
	unsigned long a[4] = {
		vcpu->regs[VCPU_REGS_RBX], vcpu->regs[VCPU_REGS_RCX],
		vcpu->regs[VCPU_REGS_RDX], vcpu->regs[VCPU_REGS_RSI],
	};
	unsigned long ret;
	bool op64;
	int i;

	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	op64 = kvm_is_long_mode(vcpu) && cs.l;
	if (!op64)
		nr = (u32)nr;
	trace_kvm_hypercall(nr, a[0], a[1], a[2], a[3]);
	for (i = 0; !op64 && i < ARRAY_SIZE(a); i++)
		a[i] = (u32)a[i];
	if (kvm_vendor->get_cpl(vcpu))
		ret = -KVM_EPERM;
	else if (nr == KVM_HC_SEND_IPI)
		ret = kvm_pv_send_ipi(vcpu->kvm, a[0], a[1], a[2], a[3],
				      op64 ? 64 : 32);
	else
		ret = -KVM_ENOSYS;
	vcpu->regs[VCPU_REGS_RAX] = op64 ? ret : (u32)ret;
	kvm_skip_instruction(vcpu, len);
	return 1;
}

int kvm_exit_internal_error(struct kvm_vcpu *vcpu, u32 suberror,
			    const u64 *data, int ndata)
{
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	ndata = min_t(int, ndata, ARRAY_SIZE(run->internal.data));
	run->internal.ndata = ndata;
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

void kvm_exit_unknown(struct kvm_vcpu *vcpu, u64 hardware_exit_reason)
{
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	vcpu->run->hw.hardware_exit_reason = hardware_exit_reason;
}

/* ---- the run loop ------------------------------------------------------- */

static void kvm_handle_requests(struct kvm_vcpu *vcpu)
{
	if (test_and_clear_bit(KVM_REQ_MMU_RELOAD, &vcpu->requests)) {
		vcpu->mmu_flush_cause = KVM_MMU_FLUSH_FULL;
		vcpu->kvm->mmu_ops->new_cr3(vcpu);
	}
	if (test_and_clear_bit(KVM_REQ_TLB_FLUSH, &vcpu->requests))
		kvm_vendor->flush_tlb(vcpu);
	if (test_and_clear_bit(KVM_REQ_CLOCK_UPDATE, &vcpu->requests))
		kvm_clock_update(vcpu);
	/* What it asks for, a look at the interrupts, happens every time. */
	clear_bit(KVM_REQ_EVENT, &vcpu->requests);
}

/*
 * Defence in depth: the ioctls and the guest's own control-register
 * writes keep EFER.LMA with LME, CR0.PG and CR4.PAE, so this never
 * happens.  If it did, the backend would run long mode on a root the MMU
 * built for another mode: refuse the entry, as the hardware refuses an
 * invalid guest state.
 */
static int kvm_fail_invalid_state(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	pr_info_ratelimited("vCPU %d: KVM_RUN: invalid paging mode (cr0 %#llx cr4 %#llx efer %#llx): not entered\n",
			    vcpu->vcpu_id, vcpu->cr0, vcpu->cr4, vcpu->efer);
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = kvm_vendor->invalid_state_exit;
	run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/*
 * A VM entry the hardware refused (VMX: VMfail, or an entry that failed on
 * the guest state or MSR loading; SVM: VMEXIT_INVALID): counted in
 * debugfs totals' failed_entries, and userspace gets the reason.  Returns
 * 0, the exit handlers' "go to userspace".
 */
int kvm_exit_fail_entry(struct kvm_vcpu *vcpu, u64 reason, int cpu)
{
	kvm_count_failed_entry();
	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = cpu;
	return 0;
}

/* What userspace's interrupt-window protocol reads after every exit. */
static void kvm_post_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = run->if_flag &&
		vcpu->pending_irq < 0 && !kvm_vendor->get_interrupt_shadow(vcpu);
	if (irqchip_split(vcpu->kvm))
		run->ready_for_interrupt_injection &=
			kvm_irqchip_ready_for_extint(vcpu);
}

int kvm_arch_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 cr8;
	int r;

	if (vcpu->pid != task_pid(current)) {
		struct pid *old = vcpu->pid;

		vcpu->pid = get_pid(task_pid(current));
		put_pid(old);
	}

	/*
	 * Without an in-kernel APIC the APIC is userspace's, so its TPR is
	 * too: kvm_run.cr8 becomes the guest's CR8 at every KVM_RUN, as
	 * upstream does.  kvm_run is shared with userspace, which may change
	 * it at any time: each field is read once (READ_ONCE), then checked
	 * and used.
	 */
	if (!lapic_in_kernel(vcpu)) {
		cr8 = READ_ONCE(run->cr8);
		if (cr8 & ~0xfULL) {
			pr_info_ratelimited("vCPU %d: KVM_RUN: kvm_run.cr8 %#llx is not a TPR (0-15)\n",
					    vcpu->vcpu_id, cr8);
			r = -EINVAL;
			goto out;
		}
		vcpu->cr8 = cr8;
	}

	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	r = kvm_complete_userspace_io(vcpu);
	if (r > 0 && READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		r = -EINTR;
	}
	while (r > 0) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		cond_resched();
		kvm_handle_requests(vcpu);
		if (test_and_clear_bit(KVM_REQ_IOAPIC_EOI, &vcpu->requests)) {
			run->exit_reason = KVM_EXIT_IOAPIC_EOI;
			run->eoi.vector = vcpu->pending_ioapic_eoi;
			r = 0;
			break;
		}
		if (vcpu->triple_fault) {
			vcpu->triple_fault = false;
			kvm_vendor->vcpu_reset(vcpu);
			kvm_clock_tsc_changed(vcpu);
			run->exit_reason = KVM_EXIT_SHUTDOWN;
			r = 0;
			break;
		}
		if (!kvm_vcpu_wait(vcpu, kvm_irqchip_pre_entry(vcpu)))
			continue;
		if (kvm_paging_mode(vcpu) == KVM_PAGING_INVALID) {
			r = kvm_fail_invalid_state(vcpu);
			break;
		}
		vcpu->has_run = true;
		r = kvm_vendor->run(vcpu);
		vcpu->stat.exits++;
		if (vcpu->unprotected && vcpu->rip != vcpu->unprotected_rip)
			vcpu->unprotected = false;
	}
	WRITE_ONCE(vcpu->cpu, -1);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
out:
	kvm_post_run(vcpu);
	trace_kvm_userspace_exit(READ_ONCE(run->exit_reason), r < 0 ? r : 0);
	return r < 0 ? r : 0;
}
