// SPDX-License-Identifier: GPL-2.0
/*
 * A guest in real mode, run in virtual-8086 mode.
 *
 * Without unrestricted guest (shadow paging, or EPT on a CPU without it)
 * VMX runs a guest only with CR0.PE and CR0.PG set.  A guest that clears
 * PE runs in vm86 mode instead, as the first KVM for VMX did:
 *
 * - RFLAGS.VM and IOPL 3 in the hardware (vmx.c hides both from the
 *   guest's RFLAGS), CR4.VME, paging on (the guest's paging is off in
 *   real mode) through the shadow strategy's identity shadow, or on EPT
 *   through the VM's identity-mapped page table (ept.c);
 * - ES..GS in vm86 form (base = selector << 4, limit 0xffff, a present
 *   DPL 3 read/write data segment), the guest's own values kept here to
 *   give back; a segment the guest reloads in vm86 is read back as real
 *   mode has it;
 * - TR: a TSS that we build in guest memory at KVM_SET_TSS_ADDR (three
 *   pages; if the VMM never called it, at a place vm.c picks at the
 *   first entry in real mode), with an interrupt-redirection bitmap of
 *   zeros (INT n goes through the real-mode IVT at linear 0, in vm86
 *   mode) and an I/O permission bitmap of zeros.  The TSS's bitmap is
 *   checked before the VMCS's I/O bitmaps and its #GP has priority over
 *   the VM exit (SDM vol. 3C, "Relative Priority of Faults and VM
 *   Exits"), so it must allow every port for every port access to exit
 *   as in protected mode;
 * - every exception exits (vmx_exception_bitmap()): vm86 would deliver it
 *   through the protected-mode IDT.  A #GP is usually a privileged
 *   instruction that real mode allows and vm86 (CPL 3) does not: MOV CRn,
 *   MOV DRn, LGDT, LIDT, LMSW, CLTS, HLT, RDMSR/WRMSR, INVD, WBINVD,
 *   INVLPG are emulated here; other exceptions, and every event the guest
 *   gets (a queued exception, an NMI, a KVM_INTERRUPT vector), are
 *   delivered in software as real mode does: FLAGS, CS and IP pushed on
 *   the guest's stack, IF, TF and AC cleared, CS:IP loaded from the IVT
 *   at IDTR.base + vector * 4.
 *
 * Limits: vm86 segments have a 64 KiB limit (no "unreal mode"); a code
 * segment's base must be its selector << 4 (a CS base of 0xffff0000 after
 * reset runs at 0xf0000, where PC firmware is mirrored); the FLAGS a
 * guest's PUSHF or INT n pushes show IOPL 3.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/gfp.h>
#include <linux/printk.h>
#include <asm/debugreg.h>
#include <asm/traps.h>

#include "vmx.h"
#include "mmu/mmu.h"
#include "kvm_trace.h"

/* The vm86 TSS: a 32-bit TSS, the redirection bitmap, the I/O bitmap. */
#define RMODE_TSS_BASE_SIZE	0x68
#define RMODE_TSS_IOMAP		(RMODE_TSS_BASE_SIZE + 32)
#define RMODE_TSS_IOMAP_BYTES	(65536 / 8)
/* The I/O bitmap ends with a byte of ones; the limit covers it. */
#define RMODE_TSS_LIMIT		(RMODE_TSS_IOMAP + RMODE_TSS_IOMAP_BYTES)
/* Offset of the I/O map base in a 32-bit TSS. */
#define RMODE_TSS_IOMAP_FIELD	0x66

/* ---- segments ---------------------------------------------------------- */

/* TR: the TSS this vCPU built (vmx_rmode_prepare() builds one first). */
static void vmx_rmode_tr(struct vcpu_vmx *vmx)
{
	struct kvm_segment tr = {
		.base = vmx->rmode.tss_built, .limit = RMODE_TSS_LIMIT,
		.type = VMX_AR_TYPE_BUSY_32_TSS, .present = 1,
	};

	vmx_write_seg(&tr, VCPU_SREG_TR);
}

/* VMCS current, rmode active. */
void vmx_rmode_set_segment(struct vcpu_vmx *vmx,
			   const struct kvm_segment *var, int seg)
{
	struct kvm_segment vm86 = {
		.limit = 0xffff, .type = 3, .s = 1, .dpl = 3, .present = 1,
	};

	vmx->rmode.segs[seg] = *var;
	if (seg == VCPU_SREG_CS)
		vmx->rmode.cs_ran = false;
	if (seg == VCPU_SREG_TR)
		return;
	/* Keep the base if a selector can express it, else the selector. */
	if (var->base <= 0xffff0 && !(var->base & 0xf))
		vm86.selector = var->base >> 4;
	else
		vm86.selector = var->selector;
	vm86.base = (u32)vm86.selector << 4;
	vmx->rmode.vm86_sel[seg] = vm86.selector;
	vmx_write_seg(&vm86, seg);
}

/* VMCS current, rmode active. */
void vmx_rmode_get_segment(struct vcpu_vmx *vmx, struct kvm_segment *var,
			   int seg)
{
	struct kvm_segment hw;

	*var = vmx->rmode.segs[seg];
	if (seg == VCPU_SREG_TR)
		return;
	/*
	 * Reloaded in vm86 since we set it: what real mode has now.  Also
	 * CS with a base no selector expresses (the reset state's F000 with
	 * base 0xffff0000) once the guest ran: the code ran at the selector
	 * times 16, and a far jump to the same selector reloads it unseen.
	 */
	vmx_read_seg(&hw, seg);
	if (hw.selector != vmx->rmode.vm86_sel[seg] ||
	    (seg == VCPU_SREG_CS && vmx->rmode.cs_ran && var->base != hw.base &&
	     var->selector == hw.selector)) {
		var->selector = hw.selector;
		var->base = hw.base;
	}
}

/* CR0.PE went clear.  VMCS current. */
void vmx_rmode_enter(struct vcpu_vmx *vmx)
{
	struct kvm_segment segs[VCPU_SREG_TR + 1];
	int seg;

	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_TR; seg++)
		vmx_read_seg(&segs[seg], seg);
	vmx->rmode.active = true;
	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_TR; seg++)
		vmx_rmode_set_segment(vmx, &segs[seg], seg);
	vmx_rmode_tr(vmx);
	vmx->rmode.guest_iopl = vmx->vcpu.rflags & X86_EFLAGS_IOPL;
}

/*
 * CR0.PE went set: the segments keep their real-mode contents until the
 * guest reloads them (a far jump usually comes next), in a form VM entry
 * takes for protected mode: CS and SS with RPL 0 and DPL 0 (the CPL),
 * CS a code segment, SS a writable data segment, the others with DPL at
 * least their RPL.  VMCS current.
 */
void vmx_rmode_leave(struct vcpu_vmx *vmx)
{
	struct kvm_segment segs[VCPU_SREG_TR + 1];
	int seg;

	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_TR; seg++)
		vmx_rmode_get_segment(vmx, &segs[seg], seg);
	vmx->rmode.active = false;
	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_GS; seg++) {
		struct kvm_segment *s = &segs[seg];

		if (seg == VCPU_SREG_CS || seg == VCPU_SREG_SS) {
			s->selector &= ~3;
			s->dpl = 0;
			s->s = 1;
			s->present = 1;
			s->unusable = 0;
			if (seg == VCPU_SREG_CS && !(s->type & 8))
				s->type = 0xb;
			if (seg == VCPU_SREG_SS && (s->type & 0xa) != 2)
				s->type = 3;
		} else if (s->dpl < (s->selector & 3)) {
			s->dpl = s->selector & 3;
		}
	}
	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_TR; seg++)
		vmx_write_seg(&segs[seg], seg);
}

/* ---- guest memory ------------------------------------------------------ */

/*
 * Real mode has no paging: a linear address is a guest-physical one.
 * Writes reach the MMU strategy, which may be shadowing a page table
 * there from before.  Caller holds slots_lock.
 */
static int vmx_rmode_write(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data,
			   unsigned long len)
{
	int r = kvm_write_guest(vcpu->kvm, gpa, data, len);

	if (!r && vcpu->kvm->mmu_ops->track_write)
		vcpu->kvm->mmu_ops->track_write(vcpu, gpa, data, len);
	return r;
}

/*
 * Build the vm86 TSS at tss_addr if not done yet, and point TR at it.
 * Without KVM_SET_TSS_ADDR, vm.c picks the address first.  tss_addr is
 * read under slots_lock: the region may move (vm.c), and a slot may take
 * its old place.  1, or 0 with kvm_run filled in, or < 0.
 */
int vmx_rmode_prepare(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u16 iomap = RMODE_TSS_IOMAP;
	u8 ones = 0xff;
	void *zero;
	int i, r;
	u64 tss;

	if (READ_ONCE(vcpu->kvm->tss_addr) == KVM_INVALID_GPA) {
		r = kvm_vm_tss_implicit(vcpu->kvm);
		if (r)
			return r;
	}
	if (vmx->rmode.tss_built == READ_ONCE(vcpu->kvm->tss_addr))
		return 1;

	zero = (void *)get_zeroed_page(GFP_KERNEL);
	if (!zero)
		return -ENOMEM;
	down_read(&vcpu->kvm->slots_lock);
	tss = vcpu->kvm->tss_addr;
	r = 0;
	for (i = 0; i < RMODE_TSS_PAGES && !r; i++)
		r = vmx_rmode_write(vcpu, tss + i * PAGE_SIZE, zero, PAGE_SIZE);
	if (!r)
		r = vmx_rmode_write(vcpu, tss + RMODE_TSS_IOMAP_FIELD, &iomap,
				    sizeof(iomap));
	if (!r)
		r = vmx_rmode_write(vcpu, tss + RMODE_TSS_LIMIT, &ones, 1);
	up_read(&vcpu->kvm->slots_lock);
	free_page((unsigned long)zero);
	if (r) {
		u64 data[1] = { tss };

		pr_info_ratelimited("vCPU %d: real mode on VMX: no guest memory at the TSS address %#llx (KVM_SET_TSS_ADDR) for the vm86 TSS\n",
				    vcpu->vcpu_id, tss);
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       data, 1);
	}
	vmx->rmode.tss_built = tss;
	vmx_vmcs_get(vmx);
	vmx_rmode_tr(vmx);
	vmx_vmcs_put(vmx);
	return 1;
}

/* ---- delivering events as real mode does ------------------------------- */

/*
 * Deliver @vector through the IVT: push FLAGS, CS, IP (SP wraps at 64
 * KiB), clear IF, TF, AC, jump to the vector's CS:IP.  1, or 0 with
 * kvm_run filled in if the stack or the IVT is not memory.
 */
static int vmx_rmode_interrupt(struct vcpu_vmx *vmx, u8 vector)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct kvm_segment cs, ss;
	struct kvm_dtable idt;
	u16 frame[3], sp;
	u32 ivt;
	int i, r;

	vmx_get_segment(vcpu, &cs, VCPU_SREG_CS);
	vmx_get_segment(vcpu, &ss, VCPU_SREG_SS);
	kvm_vendor->get_dtable(vcpu, &idt, true);
	/*
	 * An IVT entry past the IDTR limit is a #GP; the #GP's past it a
	 * #DF; the #DF's past it shuts the CPU down (a triple fault).
	 */
	while ((u32)vector * 4 + 3 > idt.limit) {
		if (vector == DF_VECTOR) {
			vcpu->triple_fault = true;
			return 1;
		}
		vector = vector == GP_VECTOR ? DF_VECTOR : GP_VECTOR;
	}
	frame[0] = vcpu->rip;
	/*
	 * The selector the code ran with: vm86's, whose base is the one
	 * fetched from.  The saved one may be stale: a far jump to the
	 * selector vm86 already holds (as after clearing CR0.PE, from CS 8
	 * with base 0 to 0:ip) reloads CS unseen, and IRET must come back
	 * to the same base.
	 */
	frame[1] = vmx->rmode.cs_ran ? vmcs_read(GUEST_CS_SELECTOR) : cs.selector;
	frame[2] = vcpu->rflags;
	sp = vcpu->regs[VCPU_REGS_RSP];

	down_read(&vcpu->kvm->slots_lock);
	r = kvm_read_guest(vcpu->kvm, (u32)(idt.base + vector * 4), &ivt,
			   sizeof(ivt));
	for (i = 0; i < 3 && !r; i++)
		r = vmx_rmode_write(vcpu, (u32)(ss.base + (u16)(sp - 6 + 2 * i)),
				    &frame[i], 2);
	up_read(&vcpu->kvm->slots_lock);
	if (r) {
		u64 data[2] = { vector, ss.base + (u16)(sp - 6) };

		pr_info_ratelimited("vCPU %d: real mode: cannot deliver vector %u (IVT or stack not in memory)\n",
				    vcpu->vcpu_id, vector);
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV,
					       data, 2);
	}
	vcpu->regs[VCPU_REGS_RSP] = (vcpu->regs[VCPU_REGS_RSP] & ~0xffffULL) |
				    (u16)(sp - 6);
	vcpu->rflags &= ~(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC |
			  X86_EFLAGS_RF);
	cs.selector = ivt >> 16;
	cs.base = (u32)cs.selector << 4;
	vmx_set_segment(vcpu, &cs, VCPU_SREG_CS);
	kvm_set_next_rip(vcpu, ivt & 0xffff);
	return 1;
}

/*
 * Before an entry in real mode: the event the hardware would deliver
 * now, by the priorities of vmx_inject_events() (vmx.c), which then only
 * arranges the windows for what waits.  1, 0 (kvm_run filled) or < 0.
 */
int vmx_rmode_deliver_events(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct kvm_queued_exception *e = &vcpu->exception;
	bool shadow = kvm_vendor->get_interrupt_shadow(vcpu);
	int vector;

	if (e->pending) {
		e->pending = false;
		trace_kvm_inj_exception(e->vector, false, 0);
		return vmx_rmode_interrupt(vmx, e->vector);
	}
	if (vcpu->nmi_injected ||
	    (vcpu->nmi_pending && !kvm_vendor->get_nmi_mask(vcpu) && !shadow)) {
		trace_kvm_inj_nmi(vcpu->nmi_injected);
		if (vcpu->nmi_injected)
			vcpu->nmi_injected = false;
		else
			vcpu->nmi_pending = false;
		/* Blocked until the handler's IRET, which the CPU tracks. */
		kvm_vendor->set_nmi_mask(vcpu, true);
		return vmx_rmode_interrupt(vmx, NMI_VECTOR);
	}
	if (vcpu->pending_irq >= 0 && (vcpu->rflags & X86_EFLAGS_IF) && !shadow) {
		vector = vcpu->pending_irq;
		vcpu->pending_irq = -1;
		trace_kvm_inj_virq(vector);
		return vmx_rmode_interrupt(vmx, vector);
	}
	return 1;
}

/* ---- privileged instructions ------------------------------------------- */

struct rmode_insn {
	u8 b[15];
	int n;		/* bytes fetched */
	int i;		/* next byte to decode */
	bool opsz;	/* 66 */
	bool adsz;	/* 67 */
	int seg;	/* segment override, or -1 */
};

/*
 * The linear address of a ModRM memory operand at in->b[in->i] (16-bit
 * addressing, or 32-bit with 67, SIB included); advances in->i past it.
 * Returns false if the bytes run out or the operand is a register.
 */
static bool rmode_modrm_address(struct kvm_vcpu *vcpu, struct rmode_insn *in,
				u64 *linear)
{
	static const int base16[8][2] = {
		{ VCPU_REGS_RBX, VCPU_REGS_RSI }, { VCPU_REGS_RBX, VCPU_REGS_RDI },
		{ VCPU_REGS_RBP, VCPU_REGS_RSI }, { VCPU_REGS_RBP, VCPU_REGS_RDI },
		{ VCPU_REGS_RSI, -1 }, { VCPU_REGS_RDI, -1 },
		{ VCPU_REGS_RBP, -1 }, { VCPU_REGS_RBX, -1 },
	};
	int mod, rm, seg = VCPU_SREG_DS, disp_len;
	struct kvm_segment s;
	u64 ea = 0, *regs = vcpu->regs;
	s32 disp = 0;
	u8 modrm;

	if (in->i >= in->n)
		return false;
	modrm = in->b[in->i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return false;
	if (!in->adsz) {
		disp_len = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		if (mod == 0 && rm == 6) {
			disp_len = 2;
		} else {
			ea = regs[base16[rm][0]];
			if (base16[rm][1] >= 0)
				ea += regs[base16[rm][1]];
			if (base16[rm][0] == VCPU_REGS_RBP)
				seg = VCPU_SREG_SS;
		}
	} else {
		disp_len = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		if (rm == 4) {
			u8 sib, index, base;

			if (in->i >= in->n)
				return false;
			sib = in->b[in->i++];
			index = (sib >> 3) & 7;
			base = sib & 7;
			if (index != 4)
				ea = (u32)regs[index] << (sib >> 6);
			if (mod == 0 && base == 5) {
				disp_len = 4;
			} else {
				ea += (u32)regs[base];
				if (base == VCPU_REGS_RSP || base == VCPU_REGS_RBP)
					seg = VCPU_SREG_SS;
			}
		} else if (mod == 0 && rm == 5) {
			disp_len = 4;
		} else {
			ea = (u32)regs[rm];
			if (rm == VCPU_REGS_RBP)
				seg = VCPU_SREG_SS;
		}
	}
	if (in->i + disp_len > in->n)
		return false;
	if (disp_len == 1)
		disp = (s8)in->b[in->i];
	else if (disp_len == 2)
		disp = (s16)(in->b[in->i] | in->b[in->i + 1] << 8);
	else if (disp_len == 4)
		memcpy(&disp, &in->b[in->i], 4);
	in->i += disp_len;
	ea += disp;
	ea &= in->adsz ? 0xffffffffULL : 0xffffULL;
	if (in->seg >= 0)
		seg = in->seg;
	vmx_get_segment(vcpu, &s, seg);
	*linear = (u32)(s.base + ea);
	return true;
}

static int rmode_read_mem(struct kvm_vcpu *vcpu, u64 linear, void *val, int len)
{
	int r;

	down_read(&vcpu->kvm->slots_lock);
	r = kvm_read_guest(vcpu->kvm, linear, val, len);
	up_read(&vcpu->kvm->slots_lock);
	return r;
}

/* MOV to or from CRn (0f 20, 0f 22; always a register operand). */
static int rmode_mov_cr(struct kvm_vcpu *vcpu, u8 modrm, bool write)
{
	int cr = (modrm >> 3) & 7, gpr = modrm & 7;
	u64 val = (u32)vcpu->regs[gpr];
	int fault = 0;

	if (!write) {
		switch (cr) {
		case 0: val = vcpu->cr0; break;
		case 2: val = vcpu->cr2; break;
		case 3: val = vcpu->cr3; break;
		case 4: val = vcpu->cr4; break;
		default: return -1;
		}
		vcpu->regs[gpr] = (u32)val;
		trace_kvm_cr(0, cr, (u32)val);
		return 0;
	}
	switch (cr) {
	case 0: fault = kvm_set_cr0(vcpu, val); break;
	case 2: vcpu->cr2 = val; break;
	case 3: fault = kvm_set_cr3(vcpu, val); break;
	case 4: fault = kvm_set_cr4(vcpu, val); break;
	default: return -1;
	}
	if (!fault)
		trace_kvm_cr(1, cr, val);
	return fault;
}

/* MOV to or from DRn (0f 21, 0f 23). */
static int rmode_mov_dr(struct kvm_vcpu *vcpu, u8 modrm, bool write)
{
	int dr = (modrm >> 3) & 7, gpr = modrm & 7;

	if ((dr == 4 || dr == 5) && (vcpu->cr4 & X86_CR4_DE))
		return -1;
	if (vcpu->dr7 & KVM_DR7_GD) {
		vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) | KVM_DR6_BD;
		vcpu->dr7 &= ~KVM_DR7_GD;
		kvm_queue_exception(vcpu, DB_VECTOR);
		return 2;
	}
	if (!write) {
		vcpu->regs[gpr] = (u32)kvm_get_dr(vcpu, dr);
		return 0;
	}
	return kvm_set_dr(vcpu, dr, (u32)vcpu->regs[gpr]);
}

/* Group 7 (0f 01): LGDT, LIDT, LMSW, INVLPG. */
static int rmode_group7(struct kvm_vcpu *vcpu, struct rmode_insn *in)
{
	u8 modrm, reg;
	u64 linear;
	u8 desc[6];
	u16 msw;

	if (in->i >= in->n)
		return -1;
	modrm = in->b[in->i];
	reg = (modrm >> 3) & 7;
	if (reg == 6 && (modrm >> 6) == 3) {		/* LMSW reg */
		in->i++;
		msw = vcpu->regs[modrm & 7];
		return kvm_set_cr0(vcpu, (vcpu->cr0 & ~0xeULL) | (msw & 0xf));
	}
	if (!rmode_modrm_address(vcpu, in, &linear))
		return -1;
	switch (reg) {
	case 2:						/* LGDT */
	case 3: {					/* LIDT */
		struct kvm_dtable dt = { 0 };
		u32 base;

		if (rmode_read_mem(vcpu, linear, desc, sizeof(desc)))
			return -1;
		memcpy(&dt.limit, desc, 2);
		memcpy(&base, desc + 2, 4);
		dt.base = in->opsz ? base : base & 0xffffff;
		kvm_vendor->set_dtable(vcpu, &dt, reg == 3);
		return 0;
	}
	case 6:						/* LMSW mem */
		if (rmode_read_mem(vcpu, linear, &msw, 2))
			return -1;
		return kvm_set_cr0(vcpu, (vcpu->cr0 & ~0xeULL) | (msw & 0xf));
	case 7:						/* INVLPG */
		down_read(&vcpu->kvm->slots_lock);
		vcpu->kvm->mmu_ops->invlpg(vcpu, linear);
		up_read(&vcpu->kvm->slots_lock);
		return 0;
	default:
		return -1;
	}
}

/*
 * A #GP in vm86 mode: emulate the instruction if it is one that real
 * mode allows at CPL 0.  Each case: 0 = done (skip it), 1 = #GP for the
 * guest (a reserved bit, ...), 2 = an exception is queued, < 0 = not
 * ours.
 */
static int vmx_rmode_emulate(struct vcpu_vmx *vmx)
{
	static const u8 seg_prefix[] = {
		[VCPU_SREG_ES] = 0x26, [VCPU_SREG_CS] = 0x2e,
		[VCPU_SREG_SS] = 0x36, [VCPU_SREG_DS] = 0x3e,
		[VCPU_SREG_FS] = 0x64, [VCPU_SREG_GS] = 0x65,
	};
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct rmode_insn in = { .seg = -1 };
	int j, r = -1;
	u8 op;

	down_read(&vcpu->kvm->slots_lock);
	in.n = kvm_fetch_insn(vcpu, in.b);
	up_read(&vcpu->kvm->slots_lock);

	for (; in.i < in.n; in.i++) {
		op = in.b[in.i];
		if (op == 0x66)
			in.opsz = true;
		else if (op == 0x67)
			in.adsz = true;
		else if (op == 0xf0 || op == 0xf2 || op == 0xf3)
			continue;
		else {
			for (j = 0; j < ARRAY_SIZE(seg_prefix); j++)
				if (op == seg_prefix[j])
					break;
			if (j == ARRAY_SIZE(seg_prefix))
				break;
			in.seg = j;
		}
	}
	if (in.i >= in.n)
		return kvm_emulation_failed(vcpu, in.b, in.n);
	op = in.b[in.i++];

	if (op == 0xf4 && in.i == 1)			/* HLT */
		return kvm_emulate_halt(vcpu);
	if (op == 0x0f && in.i < in.n) {
		op = in.b[in.i++];
		switch (op) {
		case 0x01:
			r = rmode_group7(vcpu, &in);
			break;
		case 0x06:				/* CLTS */
			r = kvm_set_cr0(vcpu, vcpu->cr0 & ~X86_CR0_TS);
			break;
		case 0x08:				/* INVD */
		case 0x09:				/* WBINVD */
			r = 0;
			break;
		case 0x20:
		case 0x22:
		case 0x21:
		case 0x23:
			if (in.i >= in.n)
				break;
			if (op == 0x20 || op == 0x22)
				r = rmode_mov_cr(vcpu, in.b[in.i++], op == 0x22);
			else
				r = rmode_mov_dr(vcpu, in.b[in.i++], op == 0x23);
			break;
		case 0x30:				/* WRMSR */
			if (in.i == 2)
				return kvm_emulate_wrmsr(vcpu);
			break;
		case 0x32:				/* RDMSR */
			if (in.i == 2)
				return kvm_emulate_rdmsr(vcpu);
			break;
		}
	}
	switch (r) {
	case 0:
		kvm_skip_instruction(vcpu, in.i);
		return 1;
	case 1:
		kvm_queue_exception(vcpu, GP_VECTOR);
		return 1;
	case 2:
		return 1;
	default:
		return kvm_emulation_failed(vcpu, in.b, in.n);
	}
}

/*
 * An exception in vm86 mode: a #GP may be a privileged instruction to
 * emulate; a #DB updates DR6 from the exit qualification; INT3 and INTO
 * (software exceptions, reported on the instruction) return past it;
 * everything is then delivered through the IVT before the next entry.
 */
int vmx_rmode_exception(struct vcpu_vmx *vmx, u8 vector, u32 error_code)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 type = vmx->exit_intr_info & INTR_INFO_INTR_TYPE_MASK;

	switch (vector) {
	case GP_VECTOR:
		return vmx_rmode_emulate(vmx);
	case DB_VECTOR:
		vcpu->dr6 = (vcpu->dr6 & ~(u64)DR_TRAP_BITS) |
			    (vmx->exit_qual & KVM_DR6_VOLATILE);
		break;
	}
	if (type == INTR_TYPE_SOFT_EXCEPTION)
		kvm_skip_instruction(vcpu, vmx->exit_insn_len);
	kvm_queue_exception(vcpu, vector);
	return 1;
}
