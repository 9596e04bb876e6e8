// SPDX-License-Identifier: GPL-2.0
/*
 * Protected-mode segment loads (segment.h): descriptors read from the
 * guest's GDT and LDT, checked as the SDM says for each kind of load, the
 * accessed bit set, the segment handed to the backend.
 */
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/traps.h>

#include "segment.h"
#include "mmu/mmu.h"

/* Descriptor type bits (S = 1): accessed, writable/readable, conforming/expand-down, code. */
#define SEG_TYPE_ACCESSED	0x1
#define SEG_TYPE_RW		0x2
#define SEG_TYPE_CONFORMING	0x4
#define SEG_TYPE_CODE		0x8
/* TSS types (S = 0): 16-bit available 1, busy 3; 32-bit available 9, busy 11. */
#define SEG_TYPE_TSS_BUSY	0x2

static int kvm_seg_fault(struct x86_emu_exception *e, u8 vector, u32 error)
{
	e->vector = vector;
	e->has_error = true;
	e->error_code = error;
	e->address = 0;
	return KVM_SEG_FAULT;
}

void kvm_seg_raise(struct kvm_vcpu *vcpu, const struct x86_emu_exception *e)
{
	if (e->vector == PF_VECTOR)
		kvm_inject_page_fault(vcpu, e->address, e->error_code);
	else if (e->has_error)
		kvm_queue_exception_e(vcpu, e->vector, e->error_code);
	else
		kvm_queue_exception(vcpu, e->vector);
}

/* ---- linear accesses to system data -------------------------------------- */

static int kvm_seg_access(struct kvm_vcpu *vcpu, gva_t gva, void *buf,
			  unsigned int len, bool write, bool user,
			  struct x86_emu_exception *e)
{
	u32 access = (write ? KVM_ACC_WRITE : 0) | (user ? KVM_ACC_USER : 0);
	bool wrap = !kvm_is_long_mode(vcpu);
	unsigned int n[2], i, off;
	gpa_t gpa[2];
	int r;

	if (len > PAGE_SIZE)
		return -EFAULT;
	if (wrap)
		gva = (u32)gva;
	n[0] = min_t(u64, len, PAGE_SIZE - offset_in_page(gva));
	n[1] = len - n[0];
	/* Both pages translate before either is touched, as the CPU checks. */
	for (i = 0; i < 2 && n[i]; i++) {
		gva_t page = gva + (i ? n[0] : 0);
		u32 error_code;

		/* Outside IA-32e mode the linear address wraps at 4 GiB. */
		if (wrap)
			page = (u32)page;
		gpa[i] = vcpu->kvm->mmu_ops->translate(vcpu, page, access, true,
						       &error_code);
		if (gpa[i] == KVM_INVALID_GPA) {
			kvm_seg_fault(e, PF_VECTOR, error_code);
			e->address = page;
			return KVM_SEG_FAULT;
		}
	}
	for (i = 0, off = 0; i < 2 && n[i]; off += n[i], i++) {
		if (!write) {
			r = kvm_read_guest(vcpu->kvm, gpa[i], buf + off, n[i]);
			if (r)
				return -EFAULT;
			continue;
		}
		r = kvm_write_guest(vcpu->kvm, gpa[i], buf + off, n[i]);
		if (r)
			return -EFAULT;
		/* The strategy may shadow a page table there. */
		if (vcpu->kvm->mmu_ops->track_write)
			vcpu->kvm->mmu_ops->track_write(vcpu, gpa[i], buf + off,
							n[i]);
	}
	return 0;
}

int kvm_seg_read_sys(struct kvm_vcpu *vcpu, gva_t gva, void *buf,
		     unsigned int len, struct x86_emu_exception *e)
{
	return kvm_seg_access(vcpu, gva, buf, len, false, false, e);
}

int kvm_seg_write_sys(struct kvm_vcpu *vcpu, gva_t gva, const void *buf,
		      unsigned int len, bool user, struct x86_emu_exception *e)
{
	return kvm_seg_access(vcpu, gva, (void *)buf, len, true, user, e);
}

/* ---- descriptors ------------------------------------------------------------ */

void kvm_seg_from_desc(const struct desc_struct *d, u16 sel,
		       struct kvm_segment *var)
{
	u32 limit = d->limit0 | (u32)d->limit1 << 16;

	memset(var, 0, sizeof(*var));
	var->selector = sel;
	var->base = d->base0 | (u32)d->base1 << 16 | (u32)d->base2 << 24;
	var->limit = d->g ? limit << 12 | 0xfff : limit;
	var->type = d->type;
	var->s = d->s;
	var->dpl = d->dpl;
	var->present = d->p;
	var->avl = d->avl;
	var->l = d->l;
	var->db = d->d;
	var->g = d->g;
	var->unusable = !d->p;
}

int kvm_seg_read_desc(struct kvm_vcpu *vcpu, u16 sel, struct desc_struct *d,
		      gva_t *gva, struct x86_emu_exception *e)
{
	u32 index = sel & ~7U;
	struct kvm_segment ldtr;
	struct kvm_dtable gdt;
	u64 base, limit;

	if (sel & SEGMENT_TI_MASK) {
		kvm_vendor->get_segment(vcpu, &ldtr, VCPU_SREG_LDTR);
		if (ldtr.unusable || !ldtr.present || !(ldtr.selector & ~3))
			return kvm_seg_fault(e, GP_VECTOR, sel & 0xfffc);
		base = ldtr.base;
		limit = ldtr.limit;
	} else {
		kvm_vendor->get_dtable(vcpu, &gdt, false);
		base = gdt.base;
		limit = gdt.limit;
	}
	/* All 8 bytes within the table's limit. */
	if (index + 7 > limit)
		return kvm_seg_fault(e, GP_VECTOR, sel & 0xfffc);
	*gva = base + index;
	if (!kvm_is_long_mode(vcpu))
		*gva = (u32)*gva;
	return kvm_seg_read_sys(vcpu, *gva, d, sizeof(*d), e);
}

/* ---- loads ------------------------------------------------------------------ */

/* In 64-bit mode (not compatibility mode): IA-32e with CS.L. */
static bool kvm_seg_64bit_mode(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (!kvm_is_long_mode(vcpu))
		return false;
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	return cs.l;
}

/* Real mode and virtual-8086 mode: the selector is the base's paragraph. */
static void kvm_seg_prepare_real(struct kvm_vcpu *vcpu, u16 sel, int seg,
				 struct kvm_seg_prep *p)
{
	struct kvm_segment *var = &p->var;

	if (vcpu->rflags & X86_EFLAGS_VM) {
		memset(var, 0, sizeof(*var));
		var->limit = 0xffff;
		var->type = SEG_TYPE_ACCESSED | SEG_TYPE_RW;
		var->s = 1;
		var->dpl = 3;
		var->present = 1;
	} else {
		/* The hidden limit and attributes stay ("unreal mode"). */
		kvm_vendor->get_segment(vcpu, var, seg);
	}
	var->selector = sel;
	var->base = (u32)sel << 4;
	p->set_accessed = false;
}

/*
 * A null selector (index 0 in the GDT): ES..GS and LDTR become unusable;
 * SS only in 64-bit mode, not at CPL 3, with RPL == CPL; never CS.
 */
static int kvm_seg_prepare_null(struct kvm_vcpu *vcpu, u16 sel, int seg,
				enum kvm_seg_load how, int cpl,
				struct kvm_seg_prep *p,
				struct x86_emu_exception *e)
{
	u8 vec = how == KVM_SEG_LOAD_TASK ? TS_VECTOR : GP_VECTOR;
	struct kvm_segment *var = &p->var;

	memset(var, 0, sizeof(*var));
	var->selector = sel;
	var->unusable = 1;
	if (seg == VCPU_SREG_CS || seg == VCPU_SREG_TR)
		return kvm_seg_fault(e, vec, 0);
	if (seg == VCPU_SREG_SS) {
		if (how != KVM_SEG_LOAD_MOV || cpl == 3 ||
		    (sel & SEGMENT_RPL_MASK) != cpl ||
		    !kvm_seg_64bit_mode(vcpu))
			return kvm_seg_fault(e, vec, 0);
		/* The backends keep the CPL in SS.DPL. */
		var->dpl = cpl;
		var->type = SEG_TYPE_ACCESSED | SEG_TYPE_RW;
		var->s = 1;
		var->db = 1;
		var->g = 1;
	}
	return 0;
}

/* The checks of vol. 2 (MOV, JMP) and vol. 3A table 8-2 for one descriptor. */
static bool kvm_seg_allowed(struct kvm_vcpu *vcpu, const struct desc_struct *d,
			    u16 sel, int seg, enum kvm_seg_load how, int cpl)
{
	u8 type = d->type, dpl = d->dpl, rpl = sel & SEGMENT_RPL_MASK;
	bool code = type & SEG_TYPE_CODE;

	if (seg == VCPU_SREG_LDTR)
		return !d->s && type == DESC_LDT;
	if (!d->s)
		return false;
	switch (seg) {
	case VCPU_SREG_SS:
		/* A writable data segment, RPL == DPL == CPL. */
		return !code && (type & SEG_TYPE_RW) && rpl == cpl && dpl == cpl;
	case VCPU_SREG_CS:
		if (!code)
			return false;
		/* In IA-32e mode L and D together are reserved. */
		if (kvm_is_long_mode(vcpu) && d->l && d->d)
			return false;
		if (how == KVM_SEG_LOAD_TASK)	/* @cpl is the RPL */
			return type & SEG_TYPE_CONFORMING ? dpl <= rpl :
							    dpl == rpl;
		return type & SEG_TYPE_CONFORMING ? dpl <= cpl :
						    rpl <= cpl && dpl == cpl;
	default:
		/* Data, or readable code; DPL >= CPL and RPL unless conforming code. */
		if (code && !(type & SEG_TYPE_RW))
			return false;
		if (code && (type & SEG_TYPE_CONFORMING))
			return true;
		return dpl >= cpl && dpl >= rpl;
	}
}

int kvm_seg_prepare(struct kvm_vcpu *vcpu, u16 sel, int seg,
		    enum kvm_seg_load how, int cpl, struct kvm_seg_prep *p,
		    struct x86_emu_exception *e)
{
	u8 vec = how == KVM_SEG_LOAD_TASK ? TS_VECTOR : GP_VECTOR;
	u32 err = sel & 0xfffc;
	struct desc_struct d;
	int r;

	p->set_accessed = false;
	p->desc_gva = 0;
	if (seg > VCPU_SREG_GS && how != KVM_SEG_LOAD_TASK)
		return -EOPNOTSUPP;
	if (seg == VCPU_SREG_TR)
		return -EOPNOTSUPP;
	if (seg <= VCPU_SREG_GS &&
	    (!(vcpu->cr0 & X86_CR0_PE) || (vcpu->rflags & X86_EFLAGS_VM))) {
		kvm_seg_prepare_real(vcpu, sel, seg, p);
		return 0;
	}
	/* LDTR is 16 bytes in IA-32e mode, where no task switch happens. */
	if (seg == VCPU_SREG_LDTR && kvm_is_long_mode(vcpu))
		return -EOPNOTSUPP;
	if (!(sel & ~SEGMENT_RPL_MASK))
		return kvm_seg_prepare_null(vcpu, sel, seg, how, cpl, p, e);
	/* LDTR comes from the GDT only. */
	if (seg == VCPU_SREG_LDTR && (sel & SEGMENT_TI_MASK))
		return kvm_seg_fault(e, vec, err);

	r = kvm_seg_read_desc(vcpu, sel, &d, &p->desc_gva, e);
	if (r == KVM_SEG_FAULT && e->vector == GP_VECTOR)
		e->vector = vec;
	if (r)
		return r;
	/* A far JMP to a call gate, task gate or TSS is not a segment load. */
	if (how == KVM_SEG_LOAD_JMP && !d.s)
		return -EOPNOTSUPP;
	if (!kvm_seg_allowed(vcpu, &d, sel, seg, how, cpl))
		return kvm_seg_fault(e, vec, err);
	if (!d.p) {
		if (seg == VCPU_SREG_SS)
			return kvm_seg_fault(e, SS_VECTOR, err);
		if (seg == VCPU_SREG_LDTR)
			return kvm_seg_fault(e, TS_VECTOR, err);
		return kvm_seg_fault(e, NP_VECTOR, err);
	}
	/* A far JMP: CS.RPL becomes the CPL. */
	if (how == KVM_SEG_LOAD_JMP)
		sel = (sel & ~SEGMENT_RPL_MASK) | cpl;
	kvm_seg_from_desc(&d, sel, &p->var);
	if (d.s && !(d.type & SEG_TYPE_ACCESSED)) {
		p->set_accessed = true;
		p->var.type |= SEG_TYPE_ACCESSED;
	}
	return 0;
}

int kvm_seg_commit(struct kvm_vcpu *vcpu, int seg,
		   const struct kvm_seg_prep *p, struct x86_emu_exception *e)
{
	int r;

	if (p->set_accessed) {
		/* Byte 5: P, DPL, S and the type, with the accessed bit now. */
		u8 access = p->var.type | p->var.s << 4 | p->var.dpl << 5 |
			    p->var.present << 7;

		r = kvm_seg_write_sys(vcpu, p->desc_gva + 5, &access, 1, false,
				      e);
		if (r)
			return r;
	}
	kvm_vendor->set_segment(vcpu, &p->var, seg);
	return 0;
}

int kvm_load_segment(struct kvm_vcpu *vcpu, u16 sel, int seg,
		     enum kvm_seg_load how, int cpl,
		     struct x86_emu_exception *e)
{
	struct kvm_seg_prep p;
	int r;

	r = kvm_seg_prepare(vcpu, sel, seg, how, cpl, &p, e);
	if (r)
		return r;
	return kvm_seg_commit(vcpu, seg, &p, e);
}
