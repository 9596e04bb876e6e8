// SPDX-License-Identifier: GPL-2.0
/*
 * VMX exit handlers, one per basic exit reason, in a table with a bounds
 * check and a fallback.  The return contract of each: 1 = handled,
 * re-enter the guest; 0 = kvm_run is filled in, return to userspace;
 * < 0 = an error for KVM_RUN to return.
 *
 * Unlike SVM without decode assists, VMX reports the length of the
 * instruction that exited and decodes CR, DR and I/O accesses in the exit
 * qualification: nothing is fetched but the prefixes of a string I/O
 * instruction on CPUs that do not describe it.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/printk.h>
#include <linux/sched.h>
#include <asm/debugreg.h>
#include <asm/traps.h>
#include <asm/vmx.h>

#include "vmx.h"
#include "mmu/mmu.h"
#include "segment.h"
#include "kvm_trace.h"

static int vmx_exit_ud(struct vcpu_vmx *vmx)
{
	kvm_queue_exception(&vmx->vcpu, UD_VECTOR);
	return 1;
}

/* The host took its interrupt once its IF was set again. */
static int vmx_exit_nop(struct vcpu_vmx *vmx)
{
	return 1;
}

static int vmx_exit_skip(struct vcpu_vmx *vmx)
{
	/*
	 * INVD: nothing to write back, guest caches are the host's.  PAUSE
	 * (vmx.c, VMX_GUEST_SLICE_MS): the run loop may reschedule now.
	 */
	kvm_skip_instruction(&vmx->vcpu, vmx->exit_insn_len);
	return 1;
}

static int vmx_exit_cpuid(struct vcpu_vmx *vmx)
{
	return kvm_emulate_cpuid(&vmx->vcpu);
}

static int vmx_exit_hlt(struct vcpu_vmx *vmx)
{
	return kvm_emulate_halt(&vmx->vcpu);
}

/* VMCALL is three bytes: 0f 01 c1. */
static int vmx_exit_vmcall(struct vcpu_vmx *vmx)
{
	return kvm_emulate_hypercall(&vmx->vcpu, vmx->exit_insn_len);
}

static int vmx_exit_rdmsr(struct vcpu_vmx *vmx)
{
	return kvm_emulate_rdmsr(&vmx->vcpu);
}

static int vmx_exit_wrmsr(struct vcpu_vmx *vmx)
{
	return kvm_emulate_wrmsr(&vmx->vcpu);
}

/* No performance counters are offered: RDPMC is #GP, as with CR4.PCE clear. */
static int vmx_exit_rdpmc(struct vcpu_vmx *vmx)
{
	kvm_queue_exception_e(&vmx->vcpu, GP_VECTOR, 0);
	return 1;
}

/*
 * The exit qualification (SDM vol. 3C, "Exit Qualification for I/O
 * Instructions"): bits 2:0 size - 1, bit 3 IN, bit 4 string, bit 5 REP,
 * bits 31:16 the port.  For INS/OUTS the VM-exit instruction-information
 * field has the address size (bits 9:7: 16, 32, 64 bits) and OUTS's
 * segment (bits 17:15), where the CPU reports them.
 */
static int vmx_exit_io(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->exit_qual;
	int size = (q & 7) + 1;
	bool in = q & 8;
	u16 port = q >> 16;
	u64 next_rip = vcpu->rip + vmx->exit_insn_len;
	int r, seg, asize;

	if (!(q & 16))
		return kvm_emulate_pio(vcpu, in, port, size, false, false, 0,
				       VCPU_SREG_DS, next_rip);

	down_read(&vcpu->kvm->slots_lock);
	if (vmx_has_inout_info) {
		asize = 2 << ((vmx->exit_insn_info >> 7) & 7);
		seg = (vmx->exit_insn_info >> 15) & 7;
	} else {
		kvm_string_io_prefixes(vcpu, &seg, &asize);
	}
	r = kvm_emulate_pio(vcpu, in, port, size, true, q & 32, asize, seg,
			    next_rip);
	up_read(&vcpu->kvm->slots_lock);
	return r;
}

/*
 * A #DB, with the exit qualification in DR6's layout (B0-B3, BD, BS),
 * since the CPU does not write DR6 for an exception that exits.  The
 * guest gets it, with DR6 updated as the CPU would, and RF set for an
 * instruction breakpoint (a fault: the handler's IRET must not hit it
 * again).
 */
static int vmx_exit_db(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u64 cause = vmx->exit_qual & KVM_DR6_VOLATILE;
	int i;

	vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) | cause;
	for (i = 0; i < 4; i++)
		if ((cause & BIT(i)) && !((vcpu->dr7 >> (16 + 4 * i)) & 3))
			vcpu->rflags |= X86_EFLAGS_RF;
	kvm_queue_exception(vcpu, DB_VECTOR);
	return 1;
}

/*
 * Exceptions and NMIs.  A host NMI was handed to the host already
 * (vmx.c); a machine check goes to the host's handler now, as the CPU
 * would have delivered it.  In real mode every exception exits, for
 * realmode.c to deliver through the guest's IVT or to emulate.
 */
static int vmx_exit_exception(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->exit_intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;
	switch (vector) {
	case PF_VECTOR:
		/*
		 * The qualification is the faulting address.  On EPT only
		 * vm86 intercepts #PF (the identity map never raises one).
		 */
		if (vmx_is_tdp(vcpu))
			break;
		return kvm_handle_page_fault(vcpu, vmx->exit_qual,
					     vmx->exit_intr_error);
	case MC_VECTOR:
		asm volatile("int $0x12" ::: "memory");
		return 1;
	}
	if (vmx->rmode.active)
		return vmx_rmode_exception(vmx, vector, vmx->exit_intr_error);
	if (vector == DB_VECTOR)
		return vmx_exit_db(vmx);
	/* Not intercepted outside real mode: reflect it. */
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		kvm_queue_exception_e(vcpu, vector, vmx->exit_intr_error);
	else
		kvm_queue_exception(vcpu, vector);
	return 1;
}

static int vmx_exit_triple_fault(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	kvm_vendor->vcpu_reset(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int vmx_exit_irq_window(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	/* The next entry injects the pending vector, if there is one. */
	if (vcpu->pending_irq >= 0 || !kvm_userspace_irq_window(vcpu))
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	return 0;
}

/*
 * A hardware task switch, emulated by task_switch.c (SDM vol. 3C, "Exit
 * Qualification for Task Switches": bits 15:0 the new TSS selector,
 * 31:30 the source, 0 CALL, 1 IRET, 2 JMP, 3 a task gate in the IDT).
 * Through the IDT, the IDT-vectoring information says which event, and
 * vmx_complete_events() queued it again: the switch is its delivery, so
 * it is consumed here (an NMI blocks NMIs from now on, a hardware
 * exception's error code goes onto the new task's stack).  An
 * instruction (CALL, JMP, IRET; INT n, INT3, INTO, INT1 through a gate)
 * saves the EIP past it, of the length the exit reports.
 */
static int vmx_exit_task_switch(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->idt_vectoring_info;
	u8 vector = info & VECTORING_INFO_VECTOR_MASK;
	enum kvm_task_switch_source source = (u32)vmx->exit_qual >> 30;
	bool insn = true;
	int int_vector = -1;
	s64 error_code = -1;
	struct kvm_segment cs;
	u64 next_rip;

	if (source == KVM_TASK_SWITCH_GATE && (info & VECTORING_INFO_VALID_MASK)) {
		switch (info & VECTORING_INFO_TYPE_MASK) {
		case INTR_TYPE_NMI_INTR:
			vcpu->nmi_injected = false;
			kvm_vendor->set_nmi_mask(vcpu, true);
			insn = false;
			break;
		case INTR_TYPE_EXT_INTR:
			if (vcpu->pending_irq == vector)
				vcpu->pending_irq = -1;
			insn = false;
			break;
		case INTR_TYPE_HARD_EXCEPTION:
			if (info & VECTORING_INFO_DELIVER_CODE_MASK)
				error_code = vmx->idt_vectoring_error;
			vcpu->exception.pending = false;
			insn = false;
			break;
		case INTR_TYPE_SOFT_INTR:
		case INTR_TYPE_SOFT_EXCEPTION:
			/* INT n, INT3, INTO: the gate's DPL is checked. */
			int_vector = vector;
			break;
		default:
			/* INT1 (ICEBP): no DPL check. */
			break;
		}
	}
	next_rip = vcpu->rip;
	if (insn) {
		/* Outside IA-32e mode (no task switch there): EIP or IP wraps. */
		kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
		next_rip += vmx->exit_insn_len;
		next_rip &= cs.db ? 0xffffffffULL : 0xffffULL;
	}
	return kvm_task_switch(vcpu, (u16)vmx->exit_qual, source, next_rip,
			       int_vector, error_code);
}

/*
 * MOV to or from CR0/CR3/CR4/CR8, CLTS and LMSW, decoded by the CPU
 * (SDM vol. 3C, "Exit Qualification for Control-Register Accesses"):
 * bits 3:0 the CR, 5:4 the access (MOV to, MOV from, CLTS, LMSW), 11:8
 * the general register, 31:16 LMSW's source.  The CPU checked the CPL.
 */
static int vmx_exit_cr(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->exit_qual;
	/* Bits 3:0: asm/vmx.h's CONTROL_REG_ACCESS_NUM (2:0) loses CR8. */
	int cr = q & 0xf;
	int type = (q & CONTROL_REG_ACCESS_TYPE) >> 4;
	int gpr = (q & CONTROL_REG_ACCESS_REG) >> 8;
	u64 val, mask, old_cr8 = vcpu->cr8;
	int fault = 0;

	/* Outside 64-bit mode the GPR operand is 32 bits wide. */
	mask = kvm_is_long_mode(vcpu) ? ~0ULL : 0xffffffffULL;
	switch (type) {
	case 0:		/* MOV to CR */
		val = vcpu->regs[gpr] & mask;
		switch (cr) {
		case 0: fault = kvm_set_cr0(vcpu, val); break;
		case 3: fault = kvm_set_cr3(vcpu, val); break;
		case 4: fault = kvm_set_cr4(vcpu, val); break;
		case 8:
			if (val & ~0xfULL)
				fault = 1;
			else
				kvm_set_cr8(vcpu, val);
			break;
		default:
			return vmx_exit_ud(vmx);
		}
		break;
	case 1:		/* MOV from CR */
		switch (cr) {
		case 3: val = vcpu->cr3; break;
		case 8: val = vcpu->cr8; break;
		default:
			return vmx_exit_ud(vmx);
		}
		vcpu->regs[gpr] = val & mask;
		trace_kvm_cr(0, cr, val & mask);
		kvm_skip_instruction(vcpu, vmx->exit_insn_len);
		return 1;
	case 2:		/* CLTS */
		fault = kvm_set_cr0(vcpu, vcpu->cr0 & ~X86_CR0_TS);
		break;
	default:	/* LMSW: sets PE but never clears it; MP, EM, TS */
		val = (q >> LMSW_SOURCE_DATA_SHIFT) & 0xf;
		fault = kvm_set_cr0(vcpu, (vcpu->cr0 & ~0xeULL) | val);
		break;
	}
	if (fault) {
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	if (trace_kvm_cr_enabled()) {
		switch (cr) {
		case 0: val = vcpu->cr0; break;
		case 3: val = vcpu->cr3; break;
		case 4: val = vcpu->cr4; break;
		default: val = vcpu->cr8; break;
		}
		trace_kvm_cr(1, cr, val);
	}
	kvm_skip_instruction(vcpu, vmx->exit_insn_len);
	/*
	 * A lower TPR may unmask an interrupt that userspace's APIC holds:
	 * userspace hears of it at once, as with upstream's userspace APIC.
	 */
	if (cr == 8 && vcpu->cr8 < old_cr8 && !lapic_in_kernel(vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
		return 0;
	}
	return 1;
}

/*
 * MOV to or from DR0-DR7 (SDM vol. 3C, "Exit Qualification for MOV DR"):
 * bits 2:0 the DR, bit 4 the direction (1 = MOV from DR), 11:8 the
 * general register; 64 bits wide in 64-bit mode, 32 bits elsewhere.  The
 * CPU checked the CPL and CR4.DE; general detect is ours (GD is kept out
 * of the hardware's DR7).
 */
static int vmx_exit_dr(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->exit_qual;
	int dr = q & DEBUG_REG_ACCESS_NUM;
	int gpr = DEBUG_REG_ACCESS_REG(q);
	struct kvm_segment cs;
	bool op64;
	u64 val;

	if ((dr == 4 || dr == 5) && (vcpu->cr4 & X86_CR4_DE))
		return vmx_exit_ud(vmx);
	if (vcpu->dr7 & KVM_DR7_GD) {
		vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) | KVM_DR6_BD;
		vcpu->dr7 &= ~KVM_DR7_GD;
		kvm_queue_exception(vcpu, DB_VECTOR);
		return 1;
	}
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	op64 = kvm_is_long_mode(vcpu) && cs.l;
	if ((q & DEBUG_REG_ACCESS_TYPE) == TYPE_MOV_FROM_DR) {
		val = kvm_get_dr(vcpu, dr);
		vcpu->regs[gpr] = op64 ? val : (u32)val;
	} else {
		val = vcpu->regs[gpr];
		if (kvm_set_dr(vcpu, dr, op64 ? val : (u32)val)) {
			kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
			return 1;
		}
	}
	kvm_skip_instruction(vcpu, vmx->exit_insn_len);
	return 1;
}

/* The CPU gives INVLPG's linear address: drop the one mapping. */
static int vmx_exit_invlpg(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	down_read(&vcpu->kvm->slots_lock);
	vcpu->kvm->mmu_ops->invlpg(vcpu, vmx->exit_qual);
	up_read(&vcpu->kvm->slots_lock);
	kvm_skip_instruction(vcpu, vmx->exit_insn_len);
	return 1;
}

/*
 * EPT violation (mmu=tdp): the guest-physical address (read at the exit)
 * goes to the strategy with a #PF-style error code built from the exit
 * qualification (SDM vol. 3C, "Exit Qualification for EPT Violations"):
 * bit 1 a write (W), bit 2 an instruction fetch (I/D), bits 5:3 the
 * access rights the EPT entry gave (any: it was present, P).  A shadow
 * VM never enables EPT, so never gets one.
 */
static int vmx_exit_ept_violation(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->exit_qual;
	u32 error_code = 0;

	if (!vmx_is_tdp(vcpu)) {
		kvm_exit_unknown(vcpu, vmx->exit_reason);
		return 0;
	}
	if (q & EPT_VIOLATION_ACC_WRITE)
		error_code |= PFERR_WRITE_MASK;
	if (q & EPT_VIOLATION_ACC_INSTR)
		error_code |= PFERR_FETCH_MASK;
	if (q & EPT_VIOLATION_RWX_MASK)
		error_code |= PFERR_PRESENT_MASK;
	return kvm_handle_page_fault(vcpu, vmx->exit_gpa, error_code);
}

/*
 * EPT misconfiguration: an EPT entry of ours that the CPU refuses (tdp.c
 * builds none: a bug).  Not the guest's doing, nothing to retry: the
 * vCPU stops with an internal error, the exit reason and the address in
 * its data.
 */
static int vmx_exit_ept_misconfig(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u64 data[2] = { vmx->exit_reason, vmx->exit_gpa };

	pr_err_ratelimited("vCPU %d: EPT misconfiguration at gpa %#llx (rip %#llx): invalid EPT entry, vCPU stopped\n",
			   vcpu->vcpu_id, vmx->exit_gpa, vcpu->rip);
	return kvm_exit_internal_error(vcpu,
				       KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				       data, ARRAY_SIZE(data));
}

typedef int (*vmx_exit_handler_t)(struct vcpu_vmx *vmx);

static const vmx_exit_handler_t vmx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= vmx_exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= vmx_exit_nop,
	[EXIT_REASON_TRIPLE_FAULT]		= vmx_exit_triple_fault,
	[EXIT_REASON_INIT_SIGNAL]		= vmx_exit_nop,
	[EXIT_REASON_INTERRUPT_WINDOW]		= vmx_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= vmx_exit_nop,
	[EXIT_REASON_TASK_SWITCH]		= vmx_exit_task_switch,
	[EXIT_REASON_CPUID]			= vmx_exit_cpuid,
	[EXIT_REASON_HLT]			= vmx_exit_hlt,
	[EXIT_REASON_INVD]			= vmx_exit_skip,
	[EXIT_REASON_PAUSE_INSTRUCTION]		= vmx_exit_skip,
	[EXIT_REASON_PREEMPTION_TIMER]		= vmx_exit_nop,
	[EXIT_REASON_INVLPG]			= vmx_exit_invlpg,
	[EXIT_REASON_RDPMC]			= vmx_exit_rdpmc,
	[EXIT_REASON_VMCALL]			= vmx_exit_vmcall,
	[EXIT_REASON_VMCLEAR]			= vmx_exit_ud,
	[EXIT_REASON_VMLAUNCH]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRLD]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRST]			= vmx_exit_ud,
	[EXIT_REASON_VMREAD]			= vmx_exit_ud,
	[EXIT_REASON_VMRESUME]			= vmx_exit_ud,
	[EXIT_REASON_VMWRITE]			= vmx_exit_ud,
	[EXIT_REASON_VMOFF]			= vmx_exit_ud,
	[EXIT_REASON_VMON]			= vmx_exit_ud,
	[EXIT_REASON_CR_ACCESS]			= vmx_exit_cr,
	[EXIT_REASON_DR_ACCESS]			= vmx_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= vmx_exit_io,
	[EXIT_REASON_MSR_READ]			= vmx_exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= vmx_exit_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= vmx_exit_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= vmx_exit_ud,
	[EXIT_REASON_EPT_VIOLATION]		= vmx_exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= vmx_exit_ept_misconfig,
	[EXIT_REASON_INVEPT]			= vmx_exit_ud,
	[EXIT_REASON_INVVPID]			= vmx_exit_ud,
	[EXIT_REASON_XSETBV]			= vmx_exit_ud,
	[EXIT_REASON_VMFUNC]			= vmx_exit_ud,
};

/*
 * The slot of vcpu->exit_counts an exit is counted in: its basic reason
 * (bits 15:0) below KVM_EXIT_SLOTS - 1, else the last slot.
 */
#define VMX_EXIT_SLOT_OTHER	(KVM_EXIT_SLOTS - 1)

static unsigned int vmx_exit_slot(u32 reason)
{
	u16 basic = reason;

	return basic < VMX_EXIT_SLOT_OTHER ? basic : VMX_EXIT_SLOT_OTHER;
}

int vmx_handle_exit(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 reason = vmx->exit_reason;
	u16 basic = reason;

	/* The counters of debugfs exits count exactly what this traces. */
	trace_kvm_exit(vcpu->vcpu_id, KVM_ISA_VMX, reason, vcpu->rip,
		       vmx->exit_qual, vmx->idt_vectoring_info,
		       vmx->exit_intr_info, vmx->exit_intr_error);
	vcpu->exit_counts[vmx_exit_slot(reason)]++;

	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		/* Invalid guest state, MSR loading, or a machine check. */
		pr_info_ratelimited("vCPU %d: VM entry failed: exit reason %#x, qualification %#lx (rip %#llx cr0 %#llx cr4 %#llx efer %#llx)\n",
				    vcpu->vcpu_id, reason, vmx->exit_qual,
				    vcpu->rip, vcpu->cr0, vcpu->cr4, vcpu->efer);
		return kvm_exit_fail_entry(vcpu, reason, vmx->last_cpu);
	}
	if (basic < ARRAY_SIZE(vmx_exit_handlers) && vmx_exit_handlers[basic])
		return vmx_exit_handlers[basic](vmx);

	/* Not an exit this backend asked for: userspace gets the reason. */
	pr_debug_ratelimited("vCPU %d: unexpected VM exit %#x\n",
			     vcpu->vcpu_id, reason);
	kvm_exit_unknown(vcpu, reason);
	return 0;
}

/* The names upstream prints for VMX exit reasons, as perf kvm stat does. */
static const struct {
	u32 reason;
	const char *name;
} vmx_exit_names[] = {
	VMX_EXIT_REASONS
};

const char *vmx_exit_slot_name(unsigned int slot, char *buf, size_t size)
{
	size_t i;

	if (slot == VMX_EXIT_SLOT_OTHER)
		return "other";
	if (slot >= KVM_EXIT_SLOTS)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(vmx_exit_names); i++)
		if (vmx_exit_names[i].reason == slot)
			return vmx_exit_names[i].name;
	snprintf(buf, size, "exit_%#x", slot);
	return buf;
}
