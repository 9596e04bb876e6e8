/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protected-mode segment loads, shared by the instruction emulator's
 * callbacks (io.c: MOV Sreg, POP FS/GS, far JMP) and the task switch
 * (task_switch.c), and the task switch itself.
 *
 * A load reads the descriptor for a selector from the GDT or the LDT
 * (supervisor linear reads through the MMU strategy's translate(), as the
 * CPU's implicit accesses), checks it as the SDM says for the load in
 * question (vol. 2, MOV, POP, JMP; vol. 3A 5.5-5.8 and 8.3, table 8-2),
 * sets the accessed bit in the descriptor and hands the segment to
 * kvm_vendor->set_segment().  In real mode a load is base = sel << 4
 * (the hidden limit and attributes stay, "unreal mode"); in virtual-8086
 * mode ES..GS become a present read/write data segment of DPL 3, limit
 * 0xffff, base sel << 4.
 *
 * Return values, for every function here:
 *   0                 done;
 *   KVM_SEG_FAULT     nothing loaded: the guest gets the fault in *e
 *                     (vector, error code, and for #PF the linear address
 *                     for CR2), which the caller raises (kvm_seg_raise(),
 *                     or the emulator's X86EMU_FAULT);
 *   -EFAULT           a descriptor or TSS is not in RAM (MMIO, no slot,
 *                     a read-only slot for a write): nothing the CPU
 *                     could do; the caller ends with
 *                     KVM_EXIT_INTERNAL_ERROR;
 *   -EOPNOTSUPP       a load this code does not do (a far JMP to a call
 *                     gate, task gate or TSS; LDTR in IA-32e mode).
 *
 * The caller holds kvm->slots_lock for read, as for every translate().
 */
#ifndef KVM_RESEARCH_SEGMENT_H
#define KVM_RESEARCH_SEGMENT_H

#include <asm/desc_defs.h>

#include "kvm_host.h"

#define KVM_SEG_FAULT	1

/* Which load: which checks apply and which faults they raise. */
enum kvm_seg_load {
	/*
	 * MOV/POP/LDS... to ES, SS, DS, FS or GS, at the current CPL: #GP(sel)
	 * for a selector outside its table or a descriptor that does not fit,
	 * #NP(sel) (#SS(sel) for SS) for one not present, #GP(0) for a null
	 * SS (allowed in 64-bit mode at CPL < 3 when RPL == CPL).
	 */
	KVM_SEG_LOAD_MOV,
	/*
	 * A far JMP to a code segment: CS at the current CPL (conforming:
	 * DPL <= CPL; non-conforming: RPL <= CPL and DPL == CPL; in IA-32e
	 * mode not L and D both), the new CS.RPL is the CPL.  A gate or TSS
	 * is -EOPNOTSUPP.
	 */
	KVM_SEG_LOAD_JMP,
	/*
	 * A task switch's loads of LDTR, ES, CS, SS, DS, FS and GS from the
	 * new TSS, @cpl being the new CS.RPL (3 in virtual-8086 mode): the
	 * same checks (CS: non-conforming DPL == RPL, conforming DPL <= RPL),
	 * #TS(sel) instead of #GP(sel), and #TS(sel) for LDTR not present.
	 */
	KVM_SEG_LOAD_TASK,
};

/* A checked load, not done yet: kvm_seg_prepare(), then kvm_seg_commit(). */
struct kvm_seg_prep {
	struct kvm_segment var;		/* for kvm_vendor->set_segment() */
	gva_t desc_gva;			/* the descriptor's linear address */
	bool set_accessed;		/* its accessed bit is to be set */
};

/*
 * Load segment register @seg (VCPU_SREG_*: ES..GS, or LDTR for
 * KVM_SEG_LOAD_TASK) with selector @sel: kvm_seg_prepare() then
 * kvm_seg_commit().
 */
int kvm_load_segment(struct kvm_vcpu *vcpu, u16 sel, int seg,
		     enum kvm_seg_load how, int cpl,
		     struct x86_emu_exception *e);
/*
 * The checks alone, nothing written: for a caller with more to check
 * before the load happens (far JMP: the new RIP against the new CS).
 */
int kvm_seg_prepare(struct kvm_vcpu *vcpu, u16 sel, int seg,
		    enum kvm_seg_load how, int cpl, struct kvm_seg_prep *p,
		    struct x86_emu_exception *e);
/* Set the accessed bit in the descriptor, then the segment register. */
int kvm_seg_commit(struct kvm_vcpu *vcpu, int seg,
		   const struct kvm_seg_prep *p, struct x86_emu_exception *e);

/*
 * The 8-byte descriptor for @sel (its index, in the GDT or, TI set, the
 * LDT) and its linear address: KVM_SEG_FAULT with #GP(sel & ~3) if the
 * selector is outside its table (or TI is set and LDTR is unusable).
 */
int kvm_seg_read_desc(struct kvm_vcpu *vcpu, u16 sel, struct desc_struct *d,
		      gva_t *gva, struct x86_emu_exception *e);
/* The segment a descriptor describes (the limit scaled by G). */
void kvm_seg_from_desc(const struct desc_struct *d, u16 sel,
		       struct kvm_segment *var);

/*
 * Linear reads and writes of system data (descriptor tables, TSSs), at
 * most a page, possibly across a page boundary: both pages are
 * translated before either is touched; a write reaches the MMU strategy
 * as the CPU's own would.  @user: an access at CPL 3 (a push), else a
 * supervisor one.  A failed translation is KVM_SEG_FAULT with the #PF.
 */
int kvm_seg_read_sys(struct kvm_vcpu *vcpu, gva_t gva, void *buf,
		     unsigned int len, struct x86_emu_exception *e);
int kvm_seg_write_sys(struct kvm_vcpu *vcpu, gva_t gva, const void *buf,
		      unsigned int len, bool user,
		      struct x86_emu_exception *e);

/* Queue the fault of a KVM_SEG_FAULT for the guest (a #PF sets CR2). */
void kvm_seg_raise(struct kvm_vcpu *vcpu, const struct x86_emu_exception *e);

/* ---- task_switch.c ------------------------------------------------------ */

/*
 * What started a task switch, in the encoding of VMX's exit qualification
 * (SDM vol. 3C, "Exit Qualification for Task Switches", bits 31:30).
 */
enum kvm_task_switch_source {
	KVM_TASK_SWITCH_CALL = 0,	/* CALL to a TSS or task gate */
	KVM_TASK_SWITCH_IRET = 1,	/* IRET with EFLAGS.NT */
	KVM_TASK_SWITCH_JMP = 2,	/* JMP to a TSS or task gate */
	KVM_TASK_SWITCH_GATE = 3,	/* an event through a task gate in the IDT */
};

/*
 * Do the hardware task switch to the TSS of @tss_sel (SDM vol. 3A 8.3) for
 * a backend that cannot run it.  vcpu->rip is where a fault before the
 * commit point is raised (the instruction, or where the event was
 * delivered); @next_rip is the EIP saved in the old TSS (past the
 * instruction for CALL, JMP, IRET and INT n, else vcpu->rip).
 * @int_vector: for INT n, INT3, INTO and INT1 through a task gate, the
 * vector (the gate's DPL is checked against the CPL), else -1.
 * @error_code >= 0: an exception's error code, pushed on the new task's
 * stack.  Faults are queued for the guest: before the commit point in
 * the old task (nothing loaded), after it (loading the segment registers)
 * in the new one.  Takes slots_lock.  Returns as an exit handler: 1, or 0
 * with KVM_EXIT_INTERNAL_ERROR (a descriptor or TSS outside RAM, a
 * switch the CPU cannot have asked for).
 */
int kvm_task_switch(struct kvm_vcpu *vcpu, u16 tss_sel,
		    enum kvm_task_switch_source source, u64 next_rip,
		    int int_vector, s64 error_code);

#endif /* KVM_RESEARCH_SEGMENT_H */
