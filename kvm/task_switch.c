// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches (SDM vol. 3A 8.3), for a backend that cannot
 * run them: VMX exits on every one (EXIT_REASON_TASK_SWITCH); SVM does
 * them in hardware and never comes here.  Vendor-neutral: the guest's
 * state through kvm_vendor's get/set_segment, get_dtable and get_cpl,
 * kvm_set_cr0/3, and vcpu->regs, rip and rflags.
 *
 * The order is the SDM's:
 *   1. the new TSS descriptor: in the GDT, a TSS, available (busy for
 *      IRET), present, its limit at least 0x67 (32-bit) or 0x2b (16-bit);
 *      for INT n through a task gate, the gate's DPL against the CPL;
 *   2. the old task's dynamic state into its TSS (EIP, EFLAGS, the
 *      general registers, the segment selectors; with NT clear for IRET);
 *      for CALL and an event through a gate, the back link in the new
 *      TSS; the old TSS's busy bit cleared (JMP, IRET), the new one's set
 *      (JMP, CALL, gate);
 *   3. the commit point: TR, CR0.TS, CR3 (32-bit TSS), EFLAGS (NT set for
 *      CALL and a gate), EIP, the general registers, then LDTR and the
 *      segment registers from their descriptors, whose faults (#TS, #NP,
 *      #SS) belong to the new task;
 *   4. an exception's error code pushed on the new stack; DR7's local
 *      enables cleared; the TSS's T bit raises a debug trap.
 * A fault before the commit point leaves the registers as they were, RIP
 * on the instruction (or where the event was delivered).
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/build_bug.h>
#include <linux/sched.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/traps.h>

#include "segment.h"

/* The 32-bit TSS (SDM vol. 3A figure 8-2): fields of 16 bits padded to 32. */
struct kvm_tss32 {
	u32 link;
	u32 esp0, ss0, esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs;
	u32 ldt;
	u16 trap, iomap_base;
} __packed;

/* The 16-bit TSS (SDM vol. 3A figure 8-11). */
struct kvm_tss16 {
	u16 link;
	u16 sp0, ss0, sp1, ss1, sp2, ss2;
	u16 ip, flags;
	u16 ax, cx, dx, bx, sp, bp, si, di;
	u16 es, cs, ss, ds;
	u16 ldt;
} __packed;

static_assert(sizeof(struct kvm_tss32) == 0x68);
static_assert(sizeof(struct kvm_tss16) == 0x2c);

/* The dynamic fields a switch saves: EIP through GS, IP through DS. */
#define TSS32_SAVE_START	offsetof(struct kvm_tss32, eip)
#define TSS32_SAVE_END		offsetof(struct kvm_tss32, ldt)
#define TSS16_SAVE_START	offsetof(struct kvm_tss16, ip)
#define TSS16_SAVE_END		offsetof(struct kvm_tss16, ldt)

/* The TSS's trap bit (T): a #DB when the task starts. */
#define TSS_TRAP		0x1

/* TSS descriptor types: bit 3 32-bit, bit 1 busy; 1, 3, 9, 11 only. */
#define TSS_TYPE_32		0x8
#define TSS_TYPE_BUSY		0x2

/* The EFLAGS bits a task switch loads; bit 1 is always set. */
#define TASK_EFLAGS_LOADED						\
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF |	\
	 X86_EFLAGS_SF | X86_EFLAGS_TF | X86_EFLAGS_IF | X86_EFLAGS_DF |	\
	 X86_EFLAGS_OF | X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF |	\
	 X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF | X86_EFLAGS_VIP |	\
	 X86_EFLAGS_ID)

/* The new task's state, read from its TSS in either format. */
struct kvm_task_state {
	u32 cr3, eip, eflags;
	u32 gpr[8];		/* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
	u16 sel[6];		/* ES, CS, SS, DS, FS, GS (VCPU_SREG_* order) */
	u16 ldt;
	bool trap;
};

struct kvm_task_switch {
	struct kvm_vcpu *vcpu;
	u16 sel;			/* the new TSS */
	enum kvm_task_switch_source source;
	struct desc_struct desc;	/* its descriptor */
	gva_t desc_gva;
	bool tss32;			/* the new TSS is 32-bit */
	u64 base;			/* and its base */
	struct kvm_segment old_tr;
	struct x86_emu_exception e;	/* KVM_SEG_FAULT */
};

static int kvm_ts_fault(struct kvm_task_switch *ts, u8 vector, u32 error)
{
	ts->e.vector = vector;
	ts->e.has_error = true;
	ts->e.error_code = error;
	ts->e.address = 0;
	return KVM_SEG_FAULT;
}

/* Step 1: the new TSS's descriptor, and for INT n the task gate's DPL. */
static int kvm_ts_check_new(struct kvm_task_switch *ts, int int_vector)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	bool iret = ts->source == KVM_TASK_SWITCH_IRET;
	u8 vec = iret ? TS_VECTOR : GP_VECTOR;
	u32 err = ts->sel & 0xfffc, limit;
	struct desc_struct *d = &ts->desc;
	int r;

	if (int_vector >= 0) {
		struct kvm_dtable idt;
		struct desc_struct gate;
		u32 gerr = int_vector << 3 | 2;		/* IDT, not EXT */

		kvm_vendor->get_dtable(vcpu, &idt, true);
		if (int_vector * 8 + 7 > idt.limit)
			return kvm_ts_fault(ts, GP_VECTOR, gerr);
		r = kvm_seg_read_sys(vcpu, (u32)(idt.base + int_vector * 8),
				     &gate, sizeof(gate), &ts->e);
		if (r)
			return r;
		if (gate.dpl < kvm_vendor->get_cpl(vcpu))
			return kvm_ts_fault(ts, GP_VECTOR, gerr);
	}
	/* A TSS is in the GDT. */
	if (ts->sel & SEGMENT_TI_MASK)
		return kvm_ts_fault(ts, vec, err);
	r = kvm_seg_read_desc(vcpu, ts->sel, d, &ts->desc_gva, &ts->e);
	if (r == KVM_SEG_FAULT && ts->e.vector == GP_VECTOR)
		ts->e.vector = vec;
	if (r)
		return r;
	if (d->s || (d->type & ~(TSS_TYPE_32 | TSS_TYPE_BUSY)) != 1)
		return kvm_ts_fault(ts, vec, err);
	/* IRET returns to a busy task; the others start an available one. */
	if (iret != !!(d->type & TSS_TYPE_BUSY))
		return kvm_ts_fault(ts, vec, err);
	if (!d->p)
		return kvm_ts_fault(ts, NP_VECTOR, err);
	ts->tss32 = d->type & TSS_TYPE_32;
	limit = d->limit0 | (u32)d->limit1 << 16;
	if (d->g)
		limit = limit << 12 | 0xfff;
	if (limit < (ts->tss32 ? 0x67 : 0x2b))
		return kvm_ts_fault(ts, TS_VECTOR, err);
	ts->base = d->base0 | (u32)d->base1 << 16 | (u32)d->base2 << 24;
	return 0;
}

static int kvm_ts_read_new(struct kvm_task_switch *ts,
			   struct kvm_task_state *st)
{
	struct kvm_tss32 t32;
	struct kvm_tss16 t16;
	int r;

	if (ts->tss32) {
		r = kvm_seg_read_sys(ts->vcpu, ts->base, &t32, sizeof(t32),
				     &ts->e);
		if (r)
			return r;
		st->cr3 = t32.cr3;
		st->eip = t32.eip;
		st->eflags = t32.eflags;
		st->gpr[VCPU_REGS_RAX] = t32.eax;
		st->gpr[VCPU_REGS_RCX] = t32.ecx;
		st->gpr[VCPU_REGS_RDX] = t32.edx;
		st->gpr[VCPU_REGS_RBX] = t32.ebx;
		st->gpr[VCPU_REGS_RSP] = t32.esp;
		st->gpr[VCPU_REGS_RBP] = t32.ebp;
		st->gpr[VCPU_REGS_RSI] = t32.esi;
		st->gpr[VCPU_REGS_RDI] = t32.edi;
		st->sel[VCPU_SREG_ES] = t32.es;
		st->sel[VCPU_SREG_CS] = t32.cs;
		st->sel[VCPU_SREG_SS] = t32.ss;
		st->sel[VCPU_SREG_DS] = t32.ds;
		st->sel[VCPU_SREG_FS] = t32.fs;
		st->sel[VCPU_SREG_GS] = t32.gs;
		st->ldt = t32.ldt;
		st->trap = t32.trap & TSS_TRAP;
		return 0;
	}
	r = kvm_seg_read_sys(ts->vcpu, ts->base, &t16, sizeof(t16), &ts->e);
	if (r)
		return r;
	st->cr3 = 0;
	st->eip = t16.ip;
	st->eflags = t16.flags;
	st->gpr[VCPU_REGS_RAX] = t16.ax;
	st->gpr[VCPU_REGS_RCX] = t16.cx;
	st->gpr[VCPU_REGS_RDX] = t16.dx;
	st->gpr[VCPU_REGS_RBX] = t16.bx;
	st->gpr[VCPU_REGS_RSP] = t16.sp;
	st->gpr[VCPU_REGS_RBP] = t16.bp;
	st->gpr[VCPU_REGS_RSI] = t16.si;
	st->gpr[VCPU_REGS_RDI] = t16.di;
	st->sel[VCPU_SREG_ES] = t16.es;
	st->sel[VCPU_SREG_CS] = t16.cs;
	st->sel[VCPU_SREG_SS] = t16.ss;
	st->sel[VCPU_SREG_DS] = t16.ds;
	/* A 16-bit task has no FS and GS: they become null. */
	st->sel[VCPU_SREG_FS] = 0;
	st->sel[VCPU_SREG_GS] = 0;
	st->ldt = t16.ldt;
	st->trap = false;
	return 0;
}

/* Step 2: the old task's dynamic state into its TSS, in that TSS's format. */
static int kvm_ts_save_old(struct kvm_task_switch *ts, u64 next_rip)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	u32 eflags = vcpu->rflags;
	u16 sel[6];
	int i;

	if (ts->source == KVM_TASK_SWITCH_IRET)
		eflags &= ~X86_EFLAGS_NT;
	for (i = 0; i < 6; i++) {
		struct kvm_segment s;

		kvm_vendor->get_segment(vcpu, &s, i);
		sel[i] = s.selector;
	}
	if (ts->old_tr.type & TSS_TYPE_32) {
		struct kvm_tss32 t = {};

		t.eip = next_rip;
		t.eflags = eflags;
		t.eax = vcpu->regs[VCPU_REGS_RAX];
		t.ecx = vcpu->regs[VCPU_REGS_RCX];
		t.edx = vcpu->regs[VCPU_REGS_RDX];
		t.ebx = vcpu->regs[VCPU_REGS_RBX];
		t.esp = vcpu->regs[VCPU_REGS_RSP];
		t.ebp = vcpu->regs[VCPU_REGS_RBP];
		t.esi = vcpu->regs[VCPU_REGS_RSI];
		t.edi = vcpu->regs[VCPU_REGS_RDI];
		t.es = sel[VCPU_SREG_ES];
		t.cs = sel[VCPU_SREG_CS];
		t.ss = sel[VCPU_SREG_SS];
		t.ds = sel[VCPU_SREG_DS];
		t.fs = sel[VCPU_SREG_FS];
		t.gs = sel[VCPU_SREG_GS];
		return kvm_seg_write_sys(vcpu, ts->old_tr.base + TSS32_SAVE_START,
					 (u8 *)&t + TSS32_SAVE_START,
					 TSS32_SAVE_END - TSS32_SAVE_START,
					 false, &ts->e);
	} else {
		struct kvm_tss16 t = {};

		t.ip = next_rip;
		t.flags = eflags;
		t.ax = vcpu->regs[VCPU_REGS_RAX];
		t.cx = vcpu->regs[VCPU_REGS_RCX];
		t.dx = vcpu->regs[VCPU_REGS_RDX];
		t.bx = vcpu->regs[VCPU_REGS_RBX];
		t.sp = vcpu->regs[VCPU_REGS_RSP];
		t.bp = vcpu->regs[VCPU_REGS_RBP];
		t.si = vcpu->regs[VCPU_REGS_RSI];
		t.di = vcpu->regs[VCPU_REGS_RDI];
		t.es = sel[VCPU_SREG_ES];
		t.cs = sel[VCPU_SREG_CS];
		t.ss = sel[VCPU_SREG_SS];
		t.ds = sel[VCPU_SREG_DS];
		return kvm_seg_write_sys(vcpu, ts->old_tr.base + TSS16_SAVE_START,
					 (u8 *)&t + TSS16_SAVE_START,
					 TSS16_SAVE_END - TSS16_SAVE_START,
					 false, &ts->e);
	}
}

/* Set or clear the busy bit in byte 5 of a TSS descriptor. */
static int kvm_ts_set_busy(struct kvm_task_switch *ts, gva_t desc_gva,
			   const struct desc_struct *d, bool busy)
{
	u8 access = ((const u8 *)d)[5];

	access = busy ? access | TSS_TYPE_BUSY : access & ~TSS_TYPE_BUSY;
	return kvm_seg_write_sys(ts->vcpu, desc_gva + 5, &access, 1, false,
				 &ts->e);
}

/* An exception's error code onto the new task's stack (after the loads). */
static int kvm_ts_push_error(struct kvm_task_switch *ts, u32 error_code)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	unsigned int size = ts->tss32 ? 4 : 2;
	struct kvm_segment ss;
	u64 sp, mask;
	int r;

	kvm_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	mask = ss.db ? 0xffffffffULL : 0xffffULL;
	sp = (vcpu->regs[VCPU_REGS_RSP] - size) & mask;
	/* Expand-up: the pushed bytes within the limit; expand-down: above it. */
	if (ss.type & 0x4 ? sp <= ss.limit || sp + size - 1 > mask :
			    sp + size - 1 > ss.limit)
		return kvm_ts_fault(ts, SS_VECTOR, 0);
	r = kvm_seg_write_sys(vcpu, ss.base + sp, &error_code, size,
			      kvm_vendor->get_cpl(vcpu) == 3, &ts->e);
	if (r)
		return r;
	vcpu->regs[VCPU_REGS_RSP] = (vcpu->regs[VCPU_REGS_RSP] & ~mask) | sp;
	return 0;
}

/*
 * Step 3 onwards, from the commit point: the new task's registers, TR
 * and CR0.TS, then the segment registers from their descriptors.
 */
static int kvm_ts_load_new(struct kvm_task_switch *ts,
			   const struct kvm_task_state *st)
{
	static const int order[] = {
		VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS,
		VCPU_SREG_FS, VCPU_SREG_GS,
	};
	struct kvm_vcpu *vcpu = ts->vcpu;
	struct kvm_segment tr, s;
	u32 eflags;
	int i, r, cpl;

	/* TR, busy in the register whatever the source. */
	kvm_seg_from_desc(&ts->desc, ts->sel, &tr);
	tr.type |= TSS_TYPE_BUSY;
	tr.unusable = 0;
	kvm_vendor->set_segment(vcpu, &tr, VCPU_SREG_TR);
	if (kvm_set_cr0(vcpu, vcpu->cr0 | X86_CR0_TS))
		return -EIO;	/* CR0 was valid and only TS changes */
	if (ts->tss32 && kvm_set_cr3(vcpu, st->cr3))
		return kvm_ts_fault(ts, GP_VECTOR, 0);

	eflags = (st->eflags & TASK_EFLAGS_LOADED) | X86_EFLAGS_FIXED;
	/* A 16-bit TSS has FLAGS: the upper half stays, but VM and RF. */
	if (!ts->tss32)
		eflags |= vcpu->rflags & TASK_EFLAGS_LOADED & ~0xffffULL &
			  ~(u64)(X86_EFLAGS_VM | X86_EFLAGS_RF);
	if (ts->source == KVM_TASK_SWITCH_CALL ||
	    ts->source == KVM_TASK_SWITCH_GATE)
		eflags |= X86_EFLAGS_NT;
	vcpu->rflags = eflags;
	kvm_set_next_rip(vcpu, st->eip);
	for (i = 0; i < 8; i++)
		vcpu->regs[i] = st->gpr[i];

	/*
	 * The selectors first (the hidden parts as they were), then the
	 * descriptors: a fault in one leaves the later registers with their
	 * new selectors, as the CPU does.
	 */
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		kvm_vendor->get_segment(vcpu, &s, order[i]);
		s.selector = st->sel[order[i]];
		kvm_vendor->set_segment(vcpu, &s, order[i]);
	}
	kvm_vendor->get_segment(vcpu, &s, VCPU_SREG_LDTR);
	s.selector = st->ldt;
	kvm_vendor->set_segment(vcpu, &s, VCPU_SREG_LDTR);

	cpl = eflags & X86_EFLAGS_VM ? 3 : st->sel[VCPU_SREG_CS] & SEGMENT_RPL_MASK;
	r = kvm_load_segment(vcpu, st->ldt, VCPU_SREG_LDTR, KVM_SEG_LOAD_TASK,
			     cpl, &ts->e);
	for (i = 0; !r && i < ARRAY_SIZE(order); i++)
		r = kvm_load_segment(vcpu, st->sel[order[i]], order[i],
				     KVM_SEG_LOAD_TASK, cpl, &ts->e);
	return r;
}

static int kvm_ts_run(struct kvm_task_switch *ts, u64 next_rip,
		      int int_vector, s64 error_code)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	enum kvm_task_switch_source src = ts->source;
	struct desc_struct old_desc;
	struct kvm_task_state st;
	gva_t old_desc_gva;
	u16 link;
	int r;

	r = kvm_ts_check_new(ts, int_vector);
	if (r)
		return r;
	kvm_vendor->get_segment(vcpu, &ts->old_tr, VCPU_SREG_TR);
	/* The old TSS's descriptor, for its busy bit. */
	r = kvm_seg_read_desc(vcpu, ts->old_tr.selector, &old_desc,
			      &old_desc_gva, &ts->e);
	if (r)
		return r;
	/* Every page the switch reads is there before anything is written. */
	r = kvm_ts_read_new(ts, &st);
	if (r)
		return r;

	r = kvm_ts_save_old(ts, next_rip);
	if (r)
		return r;
	if (src == KVM_TASK_SWITCH_CALL || src == KVM_TASK_SWITCH_GATE) {
		link = ts->old_tr.selector;
		r = kvm_seg_write_sys(vcpu, ts->base, &link, sizeof(link),
				      false, &ts->e);
		if (r)
			return r;
	}
	if (src == KVM_TASK_SWITCH_JMP || src == KVM_TASK_SWITCH_IRET) {
		r = kvm_ts_set_busy(ts, old_desc_gva, &old_desc, false);
		if (r)
			return r;
	}
	if (src != KVM_TASK_SWITCH_IRET) {
		r = kvm_ts_set_busy(ts, ts->desc_gva, &ts->desc, true);
		if (r)
			return r;
	}
	/* The new TSS again: it may be the old one, just saved. */
	r = kvm_ts_read_new(ts, &st);
	if (r)
		return r;

	r = kvm_ts_load_new(ts, &st);
	if (!r && error_code >= 0)
		r = kvm_ts_push_error(ts, error_code);
	/* Breakpoints local to the old task end with it. */
	kvm_set_dr(vcpu, 7, kvm_get_dr(vcpu, 7) &
		   ~(u64)(DR_LOCAL_ENABLE_MASK | DR_LOCAL_SLOWDOWN));
	if (!r && st.trap) {
		vcpu->dr6 |= DR_SWITCH;
		kvm_queue_exception(vcpu, DB_VECTOR);
	}
	return r;
}

int kvm_task_switch(struct kvm_vcpu *vcpu, u16 tss_sel,
		    enum kvm_task_switch_source source, u64 next_rip,
		    int int_vector, s64 error_code)
{
	struct kvm_task_switch ts = {
		.vcpu = vcpu,
		.sel = tss_sel,
		.source = source,
	};
	u64 data[3] = { tss_sel, source, vcpu->rip };
	int r;

	/* No task switch in real mode, nor in IA-32e mode (it is #GP there). */
	if (!(vcpu->cr0 & X86_CR0_PE) || kvm_is_long_mode(vcpu)) {
		r = -EOPNOTSUPP;
		goto fail;
	}
	down_read(&vcpu->kvm->slots_lock);
	r = kvm_ts_run(&ts, next_rip, int_vector, error_code);
	up_read(&vcpu->kvm->slots_lock);
	if (r == KVM_SEG_FAULT) {
		kvm_seg_raise(vcpu, &ts.e);
		return 1;
	}
	if (!r)
		return 1;
fail:
	pr_info_ratelimited("vCPU %d: task switch to %#x (source %d) at %#llx cannot be done (%d): KVM_EXIT_INTERNAL_ERROR\n",
			    vcpu->vcpu_id, tss_sel, source, vcpu->rip, r);
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				       data, ARRAY_SIZE(data));
}
