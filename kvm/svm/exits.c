// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handlers, one per #VMEXIT code, in a table with a bounds check
 * and a fallback.  The return contract of each: 1 = handled, re-enter the
 * guest; 0 = kvm_run is filled in, return to userspace; < 0 = an error for
 * KVM_RUN to return.
 *
 * Without decode assists or next-RIP saving (QEMU's SVM has neither), the
 * handlers that must skip an instruction know its length (CPUID, RDMSR,
 * HLT, ...) or decode it (MOV to/from CRn).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/printk.h>
#include <linux/sched.h>
#include <asm/debugreg.h>
#include <asm/traps.h>

#include "svm.h"
#include "mmu/mmu.h"
#include "kvm_trace.h"
#include "mmu_trace.h"
#include "segment.h"

static int svm_exit_ud(struct vcpu_svm *svm)
{
	kvm_queue_exception(&svm->vcpu, UD_VECTOR);
	return 1;
}

/* The host took its interrupt, NMI or SMI once GIF was set again. */
static int svm_exit_nop(struct vcpu_svm *svm)
{
	return 1;
}

static int svm_exit_invd(struct vcpu_svm *svm)
{
	/* Nothing to write back: guest caches are the host's. */
	kvm_skip_instruction(&svm->vcpu, 2);
	return 1;
}

static int svm_exit_cpuid(struct vcpu_svm *svm)
{
	return kvm_emulate_cpuid(&svm->vcpu);
}

static int svm_exit_hlt(struct vcpu_svm *svm)
{
	return kvm_emulate_halt(&svm->vcpu);
}

/* VMMCALL is three bytes: 0f 01 d9. */
static int svm_exit_vmmcall(struct vcpu_svm *svm)
{
	return kvm_emulate_hypercall(&svm->vcpu, 3);
}

static int svm_exit_msr(struct vcpu_svm *svm)
{
	if (svm->vmcb->control.exit_info_1)
		return kvm_emulate_wrmsr(&svm->vcpu);
	return kvm_emulate_rdmsr(&svm->vcpu);
}

/*
 * Where the opcode of b[0..n) starts: past the legacy prefixes (in *p)
 * and, in 64-bit mode, a REX prefix (in *rex, else 0).
 */
static int svm_opcode_start(struct kvm_vcpu *vcpu, const u8 *b, int n,
			    struct kvm_prefixes *p, int *rex)
{
	struct kvm_segment cs;
	int i;

	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	kvm_scan_prefixes(b, n, p);
	i = p->len;
	*rex = 0;
	if (i < n && kvm_is_long_mode(vcpu) && cs.l && (b[i] & 0xf0) == 0x40)
		*rex = b[i++];
	return i;
}

/* The instruction at RIP (up to 15 bytes); returns how many were read. */
static int svm_fetch_insn(struct kvm_vcpu *vcpu, u8 *insn)
{
	int n;

	down_read(&vcpu->kvm->slots_lock);
	n = kvm_fetch_insn(vcpu, insn);
	up_read(&vcpu->kvm->slots_lock);
	return n;
}

static int svm_exit_ioio(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u32 info = svm->vmcb->control.exit_info_1;
	int size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;	/* 1, 2, 4 */
	bool in = info & SVM_IOIO_TYPE_MASK;
	int r, seg, asize;

	if (!(info & SVM_IOIO_STR_MASK))
		return kvm_emulate_pio(vcpu, in, info >> 16, size, false, false,
				       0, VCPU_SREG_DS, svm->vmcb->control.exit_info_2);

	down_read(&vcpu->kvm->slots_lock);
	kvm_string_io_prefixes(vcpu, &seg, &asize);
	r = kvm_emulate_pio(vcpu, in, info >> 16, size, true,
			    info & SVM_IOIO_REP_MASK, asize, seg,
			    svm->vmcb->control.exit_info_2);
	up_read(&vcpu->kvm->slots_lock);
	return r;
}

static int svm_exit_pf(struct vcpu_svm *svm)
{
	/* EXITINFO2: the faulting address; EXITINFO1: the error code. */
	return kvm_handle_page_fault(&svm->vcpu, svm->vmcb->control.exit_info_2,
				     svm->vmcb->control.exit_info_1);
}

/*
 * A nested page fault (mmu=tdp): EXITINFO2 the guest-physical address,
 * EXITINFO1 the error code, #PF's bits in 31:0 (P, W, U, RSVD, I/D), and
 * bits 32 and 33 saying whether the final translation or a guest table
 * access faulted, which the strategy does not need: it maps the gpa, or
 * sends the instruction to the emulator.
 */
static int svm_exit_npf(struct vcpu_svm *svm)
{
	return kvm_handle_page_fault(&svm->vcpu, svm->vmcb->control.exit_info_2,
				     (u32)svm->vmcb->control.exit_info_1);
}

/* A physical machine check: the host's handler already ran. */
static int svm_exit_mc(struct vcpu_svm *svm)
{
	return 1;
}

/*
 * The guest's IRET while NMIs are blocked: it has not executed yet, so
 * blocking ends at the first exit with RIP past it (svm_complete_events),
 * or, with an NMI pending, after it is single-stepped.
 */
static int svm_exit_iret(struct vcpu_svm *svm)
{
	svm->awaiting_iret = true;
	svm->iret_rip = svm->vcpu.rip;
	return 1;
}

/*
 * #DB is intercepted only while we single-step to open an event window;
 * the guest ran with a clean DR6, so the VMCB's DR6 says what happened.
 * Our own single step is dropped; the guest's (its own RFLAGS.TF) and any
 * breakpoint it hit go to the guest, with DR6 updated as the CPU would.
 */
static int svm_exit_db(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u64 cause = svm->vmcb->save.dr6 & KVM_DR6_VOLATILE;

	if (svm->singlestep && !svm->singlestep_guest_tf)
		cause &= ~KVM_DR6_BS;
	if (cause) {
		vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) | cause;
		kvm_queue_exception(vcpu, DB_VECTOR);
	}
	return 1;
}

/*
 * MOV to or from DR0-DR7 (0f 21 /r, 0f 23 /r; always a register operand,
 * 64 bits wide in 64-bit mode, 32 bits elsewhere).  The exit code names
 * the debug register, the instruction the general register.
 */
static int svm_exit_dr(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u32 code = svm->vmcb->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_DR0;
	int dr = code - (write ? SVM_EXIT_WRITE_DR0 : SVM_EXIT_READ_DR0);
	struct kvm_prefixes p;
	struct kvm_segment cs;
	bool op64;
	int n, i, gpr, rex;
	u8 insn[15];
	u64 val;

	n = svm_fetch_insn(vcpu, insn);
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	op64 = kvm_is_long_mode(vcpu) && cs.l;
	i = svm_opcode_start(vcpu, insn, n, &p, &rex);
	if (i + 3 > n || insn[i] != 0x0f || insn[i + 1] != (write ? 0x23 : 0x21))
		return kvm_emulation_failed(vcpu, insn, n);
	gpr = (insn[i + 2] & 7) | ((rex & 1) << 3);

	if (kvm_vendor->get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	if ((dr == 4 || dr == 5) && (vcpu->cr4 & X86_CR4_DE)) {
		kvm_queue_exception(vcpu, UD_VECTOR);
		return 1;
	}
	/* General detect: a #DB fault before the access, which clears GD. */
	if (vcpu->dr7 & KVM_DR7_GD) {
		vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) | KVM_DR6_BD;
		vcpu->dr7 &= ~KVM_DR7_GD;
		kvm_queue_exception(vcpu, DB_VECTOR);
		return 1;
	}
	if (write) {
		val = vcpu->regs[gpr];
		if (!op64)
			val = (u32)val;
		if (kvm_set_dr(vcpu, dr, val)) {
			kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
			return 1;
		}
	} else {
		val = kvm_get_dr(vcpu, dr);
		/* A 32-bit destination is zero-extended, as every 32-bit write. */
		vcpu->regs[gpr] = op64 ? val : (u32)val;
	}
	kvm_skip_instruction(vcpu, i + 3);
	return 1;
}

static int svm_exit_vintr(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;

	/* The next entry injects the pending vector, if there is one. */
	if (vcpu->pending_irq >= 0 || !kvm_userspace_irq_window(vcpu))
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	return 0;
}

static int svm_exit_shutdown(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;

	/* After a shutdown the VMCB is undefined: start from reset state. */
	kvm_vendor->vcpu_reset(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/*
 * MOV to or from CR0/CR3/CR4/CR8, CLTS, LMSW and SMSW, decoded from the
 * instruction bytes.  Returns the instruction length, or 0 if it is not
 * one of these.
 */
struct svm_cr_insn {
	bool write;
	int cr;		/* 0, 3, 4, 8 */
	int gpr;	/* -1 for CLTS */
	enum { CR_MOV, CR_CLTS, CR_LMSW, CR_SMSW } op;
};

static int svm_decode_cr(struct kvm_vcpu *vcpu, const u8 *b, int n,
			 struct svm_cr_insn *d)
{
	struct kvm_prefixes p;
	int i, rex;
	u8 modrm;

	i = svm_opcode_start(vcpu, b, n, &p, &rex);
	if (i + 2 > n || b[i] != 0x0f)
		return 0;
	if (b[i + 1] == 0x06) {
		d->op = CR_CLTS;
		d->write = true;
		d->cr = 0;
		d->gpr = -1;
		return i + 2;
	}
	if (i + 3 > n)
		return 0;
	modrm = b[i + 2];
	/* Only register operands: a memory LMSW/SMSW is not handled here. */
	if ((modrm >> 6) != 3)
		return 0;
	d->gpr = (modrm & 7) | ((rex & 1) << 3);
	switch (b[i + 1]) {
	case 0x20:
	case 0x22:
		d->op = CR_MOV;
		d->write = b[i + 1] == 0x22;
		d->cr = ((modrm >> 3) & 7) | ((rex & 4) << 1);
		/* AMD: LOCK MOV CR0 is MOV CR8. */
		if (p.lock && d->cr == 0)
			d->cr = 8;
		return i + 3;
	case 0x01:
		if (((modrm >> 3) & 7) == 6) {
			d->op = CR_LMSW;
			d->write = true;
		} else if (((modrm >> 3) & 7) == 4) {
			d->op = CR_SMSW;
			d->write = false;
		} else {
			return 0;
		}
		d->cr = 0;
		return i + 3;
	default:
		return 0;
	}
}

static int svm_exit_cr(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct svm_cr_insn d;
	u8 insn[15];
	u64 val, mask, old_cr8 = vcpu->cr8;
	int n, len, fault = 0;

	n = svm_fetch_insn(vcpu, insn);
	len = svm_decode_cr(vcpu, insn, n, &d);
	/*
	 * The machine-status instructions, with a register or a memory
	 * operand, go through the emulator: SMSW's operand size, LMSW's
	 * rules and their memory forms are the same code on every path.
	 */
	if (!len || d.op == CR_SMSW || d.op == CR_LMSW)
		return kvm_emulate_instruction(vcpu);
	if (kvm_vendor->get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	/* Outside 64-bit mode the GPR operand is 32 bits wide. */
	mask = kvm_is_long_mode(vcpu) ? ~0ULL : 0xffffffffULL;

	switch (d.op) {
	case CR_CLTS:
		fault = kvm_set_cr0(vcpu, vcpu->cr0 & ~X86_CR0_TS);
		break;
	case CR_LMSW:
	case CR_SMSW:
		break;		/* the emulator's (above) */
	case CR_MOV:
		if (!d.write) {
			switch (d.cr) {
			case 0: val = vcpu->cr0; break;
			case 3: val = vcpu->cr3; break;
			case 4: val = vcpu->cr4; break;
			case 8: val = vcpu->cr8; break;
			default:
				kvm_queue_exception(vcpu, UD_VECTOR);
				return 1;
			}
			vcpu->regs[d.gpr] = val & mask;
			trace_kvm_cr(0, d.cr, val & mask);
			break;
		}
		val = vcpu->regs[d.gpr] & mask;
		switch (d.cr) {
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
			kvm_queue_exception(vcpu, UD_VECTOR);
			return 1;
		}
		break;
	}
	if (fault) {
		kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
		return 1;
	}
	if (trace_kvm_cr_enabled() && d.write) {
		switch (d.cr) {
		case 0: val = vcpu->cr0; break;
		case 3: val = vcpu->cr3; break;
		case 4: val = vcpu->cr4; break;
		default: val = vcpu->cr8; break;
		}
		trace_kvm_cr(1, d.cr, val);
	}
	kvm_skip_instruction(vcpu, len);
	/*
	 * A lower TPR may unmask an interrupt that userspace's APIC holds:
	 * userspace hears of it at once, as with upstream's userspace APIC.
	 */
	if (d.write && d.cr == 8 && vcpu->cr8 < old_cr8 &&
	    !lapic_in_kernel(vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
		return 0;
	}
	return 1;
}

/* Bytes after a ModRM byte (@b[0]): SIB and displacement; -1 if cut. */
static int svm_modrm_extra(const u8 *b, int n, bool adsz16)
{
	u8 mod = b[0] >> 6, rm = b[0] & 7;
	int extra = 0;

	if (mod == 3)
		return 0;
	if (adsz16)
		return mod == 1 ? 1 : mod == 2 || rm == 6 ? 2 : 0;
	if (rm == 4) {
		if (n < 2)
			return -1;
		extra = 1;
		if (mod == 0 && (b[1] & 7) == 5)
			extra += 4;
	} else if (mod == 0 && rm == 5) {
		extra = 4;
	}
	return extra + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/*
 * The length of the instruction at RIP that switched tasks: far CALL or
 * JMP (9A, EA, FF /3, FF /5), IRET, INT n, INT3, INTO or INT1.  Task
 * switches do not exist in IA-32e mode: CS.D gives the default sizes.
 * 0 if it is none of these (the guest changed the bytes meanwhile).
 */
static int svm_task_switch_insn_len(struct kvm_vcpu *vcpu)
{
	struct kvm_prefixes p;
	struct kvm_segment cs;
	bool opsz16, adsz16;
	int n, i, rex, extra;
	u8 b[15], reg;

	n = svm_fetch_insn(vcpu, b);
	i = svm_opcode_start(vcpu, b, n, &p, &rex);
	if (i >= n)
		return 0;
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	opsz16 = !cs.db ^ !!memchr(b, 0x66, p.len);
	adsz16 = !cs.db ^ p.adsz;
	switch (b[i]) {
	case 0xcc:	/* INT3 */
	case 0xce:	/* INTO */
	case 0xcf:	/* IRET */
	case 0xf1:	/* INT1 */
		return i + 1;
	case 0xcd:	/* INT n */
		return i + 2 <= n ? i + 2 : 0;
	case 0x9a:	/* CALL ptr16:16/32 */
	case 0xea:	/* JMP ptr16:16/32 */
		i += 1 + (opsz16 ? 4 : 6);
		return i <= n ? i : 0;
	case 0xff:
		if (i + 1 >= n)
			return 0;
		reg = (b[i + 1] >> 3) & 7;
		if (reg != 3 && reg != 5)
			return 0;
		extra = svm_modrm_extra(b + i + 1, n - i - 1, adsz16);
		if (extra < 0 || i + 2 + extra > n)
			return 0;
		return i + 2 + extra;
	}
	return 0;
}

/*
 * A hardware task switch, emulated by task_switch.c (APM vol. 2, "Task
 * Switch Intercept"): EXITINFO1 bits 15:0 the new TSS selector;
 * EXITINFO2 bit 36 IRET, bit 38 JMP, bit 44 an error code in bits 31:0;
 * neither bit, with an event in EXITINTINFO, the event's delivery through
 * a task gate; else a CALL.  The intercept has fault semantics and
 * reports no next RIP: the instruction's length is decoded to save the
 * EIP past it.  An event through a gate is consumed, as on VMX
 * (svm_complete_events() queued it again): an NMI blocks NMIs from now
 * on, a hardware exception's error code goes onto the new task's stack;
 * INT n, INT3 and INTO are instructions whose gate DPL is checked.
 */
static int svm_exit_task_switch(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u64 info2 = svm->vmcb->control.exit_info_2;
	u32 info = svm->vmcb->control.exit_int_info;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;
	enum kvm_task_switch_source source;
	int int_vector = -1, len;
	s64 error_code = -1;
	bool insn = true;
	u64 next_rip;

	if (info2 & BIT_ULL(SVM_EXITINFOSHIFT_TS_REASON_IRET))
		source = KVM_TASK_SWITCH_IRET;
	else if (info2 & BIT_ULL(SVM_EXITINFOSHIFT_TS_REASON_JMP))
		source = KVM_TASK_SWITCH_JMP;
	else if (info & SVM_EXITINTINFO_VALID)
		source = KVM_TASK_SWITCH_GATE;
	else
		source = KVM_TASK_SWITCH_CALL;

	if (source == KVM_TASK_SWITCH_GATE) {
		switch (info & SVM_EXITINTINFO_TYPE_MASK) {
		case SVM_EXITINTINFO_TYPE_NMI:
			vcpu->nmi_injected = false;
			kvm_vendor->set_nmi_mask(vcpu, true);
			insn = false;
			break;
		case SVM_EXITINTINFO_TYPE_INTR:
			if (vcpu->pending_irq == vector)
				vcpu->pending_irq = -1;
			insn = false;
			break;
		case SVM_EXITINTINFO_TYPE_EXEPT:
			if (vector == BP_VECTOR || vector == OF_VECTOR) {
				int_vector = vector;	/* INT3, INTO */
				break;
			}
			if (info2 & BIT_ULL(SVM_EXITINFOSHIFT_TS_HAS_ERROR_CODE))
				error_code = (u32)info2;
			vcpu->exception.pending = false;
			insn = false;
			break;
		default:			/* INT n */
			int_vector = vector;
			break;
		}
	}
	next_rip = vcpu->rip;
	if (insn) {
		len = svm_task_switch_insn_len(vcpu);
		if (!len) {
			u8 b[15];

			return kvm_emulation_failed(vcpu, b, svm_fetch_insn(vcpu, b));
		}
		next_rip = (next_rip + len) & (svm->vmcb->save.cs.attrib & SVM_SELECTOR_DB_MASK ?
					       0xffffffffULL : 0xffffULL);
	}
	return kvm_task_switch(vcpu, (u16)svm->vmcb->control.exit_info_1, source,
			       next_rip, int_vector, error_code);
}

/* The emulator decodes INVLPG's operand and drops the one mapping. */
static int svm_exit_invlpg(struct vcpu_svm *svm)
{
	return kvm_emulate_instruction(&svm->vcpu);
}

typedef int (*svm_exit_handler_t)(struct vcpu_svm *svm);

static const svm_exit_handler_t svm_exit_handlers[] = {
	[SVM_EXIT_READ_CR0]			= svm_exit_cr,
	[SVM_EXIT_READ_CR3]			= svm_exit_cr,
	[SVM_EXIT_READ_CR4]			= svm_exit_cr,
	[SVM_EXIT_WRITE_CR0]			= svm_exit_cr,
	[SVM_EXIT_WRITE_CR3]			= svm_exit_cr,
	[SVM_EXIT_WRITE_CR4]			= svm_exit_cr,
	[SVM_EXIT_WRITE_CR8]			= svm_exit_cr,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7]	= svm_exit_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7]	= svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + DB_VECTOR]	= svm_exit_db,
	[SVM_EXIT_EXCP_BASE + PF_VECTOR]	= svm_exit_pf,
	[SVM_EXIT_EXCP_BASE + UD_VECTOR]	= svm_exit_ud,
	[SVM_EXIT_EXCP_BASE + MC_VECTOR]	= svm_exit_mc,
	[SVM_EXIT_INTR]				= svm_exit_nop,
	[SVM_EXIT_NMI]				= svm_exit_nop,
	[SVM_EXIT_SMI]				= svm_exit_nop,
	[SVM_EXIT_VINTR]			= svm_exit_vintr,
	[SVM_EXIT_CPUID]			= svm_exit_cpuid,
	[SVM_EXIT_IRET]				= svm_exit_iret,
	[SVM_EXIT_TASK_SWITCH]			= svm_exit_task_switch,
	[SVM_EXIT_INVD]				= svm_exit_invd,
	[SVM_EXIT_HLT]				= svm_exit_hlt,
	[SVM_EXIT_INVLPG]			= svm_exit_invlpg,
	[SVM_EXIT_INVLPGA]			= svm_exit_ud,
	[SVM_EXIT_IOIO]				= svm_exit_ioio,
	[SVM_EXIT_MSR]				= svm_exit_msr,
	[SVM_EXIT_SHUTDOWN]			= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]			= svm_exit_ud,
	[SVM_EXIT_VMMCALL]			= svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD]			= svm_exit_ud,
	[SVM_EXIT_VMSAVE]			= svm_exit_ud,
	[SVM_EXIT_STGI]				= svm_exit_ud,
	[SVM_EXIT_CLGI]				= svm_exit_ud,
	[SVM_EXIT_SKINIT]			= svm_exit_ud,
	[SVM_EXIT_MONITOR]			= svm_exit_ud,
	[SVM_EXIT_MWAIT]			= svm_exit_ud,
	[SVM_EXIT_XSETBV]			= svm_exit_ud,
	[SVM_EXIT_RDPRU]			= svm_exit_ud,
	/* Intercepted only for a guest without RDTSCP in its CPUID. */
	[SVM_EXIT_RDTSCP]			= svm_exit_ud,
};

/*
 * The slot of vcpu->exit_counts an exit code is counted in: the codes
 * below 0xa0 (CRn, DRn, exceptions, intercepts) as themselves, then the
 * few above, in svm_exit_high[]'s order, then one slot for the rest.
 */
#define SVM_EXIT_SLOT_HIGH	0xa0
#define SVM_EXIT_SLOT_OTHER	(KVM_EXIT_SLOTS - 1)

static const u32 svm_exit_high[] = {
	SVM_EXIT_NPF, SVM_EXIT_AVIC_INCOMPLETE_IPI,
	SVM_EXIT_AVIC_UNACCELERATED_ACCESS, SVM_EXIT_VMGEXIT,
	(u32)SVM_EXIT_ERR,
};
static_assert(SVM_EXIT_SLOT_HIGH + ARRAY_SIZE(svm_exit_high) <= SVM_EXIT_SLOT_OTHER);

static unsigned int svm_exit_slot(u32 code)
{
	unsigned int i;

	if (code < SVM_EXIT_SLOT_HIGH)
		return code;
	for (i = 0; i < ARRAY_SIZE(svm_exit_high); i++)
		if (svm_exit_high[i] == code)
			return SVM_EXIT_SLOT_HIGH + i;
	return SVM_EXIT_SLOT_OTHER;
}

int svm_handle_exit(struct vcpu_svm *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u32 code = c->exit_code;

	/* The counters of debugfs exits count exactly what this traces. */
	trace_kvm_exit(vcpu->vcpu_id, KVM_ISA_SVM, code, vcpu->rip,
		       c->exit_info_1, c->exit_info_2, c->exit_int_info,
		       c->exit_int_info_err);
	vcpu->exit_counts[svm_exit_slot(code)]++;

	if (code == (u32)SVM_EXIT_ERR) {
		/* VMRUN refused the VMCB: a state userspace set is invalid. */
		pr_info_ratelimited("vCPU %d: VMRUN failed (invalid guest state: CR0 %#llx CR4 %#llx EFER %#llx)\n",
				    vcpu->vcpu_id, svm->vmcb->save.cr0,
				    svm->vmcb->save.cr4, svm->vmcb->save.efer);
		return kvm_exit_fail_entry(vcpu, code, svm->last_cpu);
	}
	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](svm);
	/* Outside the table, which would be 8 KiB for it alone. */
	if (code == SVM_EXIT_NPF && kvm_mmu_is_tdp(vcpu->kvm))
		return svm_exit_npf(svm);

	/* Not an exit this backend asked for: userspace gets the code. */
	pr_debug_ratelimited("vCPU %d: unexpected #VMEXIT %#x\n", vcpu->vcpu_id, code);
	kvm_exit_unknown(vcpu, code);
	return 0;
}

/* The names upstream prints for SVM exit codes, as perf kvm stat does. */
static const struct {
	u32 code;
	const char *name;
} svm_exit_names[] = {
	SVM_EXIT_REASONS
};

const char *svm_exit_slot_name(unsigned int slot, char *buf, size_t size)
{
	const char *name = NULL;
	u32 code;
	size_t i;
	char *p;

	if (slot == SVM_EXIT_SLOT_OTHER)
		return "other";
	if (slot < SVM_EXIT_SLOT_HIGH)
		code = slot;
	else if (slot - SVM_EXIT_SLOT_HIGH < ARRAY_SIZE(svm_exit_high))
		code = svm_exit_high[slot - SVM_EXIT_SLOT_HIGH];
	else
		return NULL;
	for (i = 0; i < ARRAY_SIZE(svm_exit_names); i++) {
		if (svm_exit_names[i].code == code) {
			name = svm_exit_names[i].name;
			break;
		}
	}
	if (!name) {
		snprintf(buf, size, "exit_%#x", code);
		return buf;
	}
	/* "PF excp" reads as one word: PF_excp. */
	strscpy(buf, name, size);
	for (p = buf; *p; p++)
		if (*p == ' ')
			*p = '_';
	return buf;
}
