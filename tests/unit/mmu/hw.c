// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated hardware, and the pieces of kvm/x86.c and kvm/svm/ that
 * sit between it and the strategy: the entry loop with its requests, the
 * #PF intercept, and the emulator's side of RET_PF_EMULATE.
 *
 * The hardware walks the shadow tables the strategy built, from the root
 * load_root() returned, the way the CPU does, and caches what it finds in
 * a TLB that only kvm_vendor->flush_tlb() empties: a strategy that
 * changes or drops a shadow entry without a flush keeps being served the
 * old translation, as on a real CPU.  It checks what a CPU cannot: that
 * every table it walks is a live page the strategy allocated, that every
 * leaf maps guest memory, and that the page it reaches is pinned.
 */
#include <stdio.h>
#include <string.h>

#include <linux/mm.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "mmucheck.h"

#define H_P		BIT_ULL(0)
#define H_W		BIT_ULL(1)
#define H_U		BIT_ULL(2)
#define H_A		BIT_ULL(5)
#define H_D		BIT_ULL(6)
#define H_PS		BIT_ULL(7)
#define H_NX		BIT_ULL(63)

/* #PF intercepts on one access before the strategy is said to livelock. */
#define HW_MAX_FAULTS	8

unsigned int hw_unprotect_one_in;
bool hw_strategy_pins = true;

static int hw_get_cpl(struct kvm_vcpu *vcpu)
{
	return hv_cpl(to_hv(vcpu));
}

/* svm_flush_tlb(): a new ASID at the next entry, i.e. an empty TLB. */
static void hw_flush_tlb(struct kvm_vcpu *vcpu)
{
	struct hvcpu *hv = to_hv(vcpu);

	hv->tlb_gen++;
	hv->n_flush++;
}

const struct kvm_vendor_ops hw_vendor_ops = {
	.name = "mmucheck",
	.get_cpl = hw_get_cpl,
	.flush_tlb = hw_flush_tlb,
};

const struct kvm_vendor_ops *kvm_vendor = &hw_vendor_ops;

/*
 * The control bits the hardware runs the guest with under shadow paging,
 * as svm_update_cr() in kvm/svm/svm.c computes them: CR0.PG and CR0.WP
 * always (the strategy emulates the guest's CR0.WP=0), CR4.PAE always,
 * the guest's CR4.SMEP and CR4.SMAP only while the guest's paging is on
 * (with it off, every shadow entry is a user page), EFER.NXE always and
 * EFER.LMA as the guest's.  So the shadow is walked in 4-level format in
 * long mode and in PAE format, from a 4-entry PDPT, otherwise.
 */
struct hwctl {
	bool lma;
	bool smep;
	bool smap;
};

static void hw_ctl(const struct hvcpu *hv, struct hwctl *h)
{
	const struct kvm_vcpu *v = &hv->vcpu;
	bool pg = v->cr0 & X86_CR0_PG;

	h->lma = v->efer & EFER_LMA;
	h->smep = pg && (v->cr4 & X86_CR4_SMEP);
	h->smap = pg && (v->cr4 & X86_CR4_SMAP);
}

/* SDM 4.6 with CR0.WP = 1, for the rights of a shadow translation. */
static bool hw_denied(const struct hvcpu *hv, const struct hwctl *h, bool w,
		      bool u, bool nx, const struct access *a)
{
	if (a->user)
		return !u || (a->kind == ACC_W && !w) ||
		       (a->kind == ACC_X && nx);
	if (a->kind == ACC_X)
		return nx || (h->smep && u);
	if (u && h->smap &&
	    (a->implicit || hv_cpl(hv) == 3 ||
	     !(hv->vcpu.rflags & X86_EFLAGS_AC)))
		return true;
	return a->kind == ACC_W && !w;
}

/* The hardware's error code: PAE format with NXE, so I/D for any fetch. */
static u32 hw_ec(const struct access *a, bool present, bool rsvd)
{
	u32 ec = 0;

	if (present)
		ec |= PFERR_PRESENT_MASK;
	if (a->kind == ACC_W)
		ec |= PFERR_WRITE_MASK;
	if (a->user)
		ec |= PFERR_USER_MASK;
	if (rsvd)
		ec |= PFERR_RSVD_MASK;
	if (a->kind == ACC_X)
		ec |= PFERR_FETCH_MASK;
	return ec;
}

static struct hw_tlbe *hw_tlb_set(struct hvcpu *hv, u64 vpn)
{
	return &hv->tlb[(vpn ^ (vpn >> 10) ^ (vpn >> 20)) % HW_TLB_SETS];
}

#define HW_ERR(o, ...)	(snprintf((o)->err, sizeof((o)->err), __VA_ARGS__), -1)

/*
 * Translate @a with the shadow at @root.  0: *@hva reached; 1: #PF with
 * *@ec; -1: something no CPU would survive (o->err says what).
 */
static int hw_translate(struct hvcpu *hv, hpa_t root, const struct access *a,
			u8 **hva, u32 *ec, struct outcome *o)
{
	struct hwctl h;
	u64 va, vpn, e = 0, size = 0;
	struct hw_tlbe *t;
	u64 *used[4], *table;
	bool w = true, u = true, nx = false;
	int nused = 0, level, i;
	u8 *page;

	hw_ctl(hv, &h);
	va = h.lma ? a->gva : (u32)a->gva;
	vpn = va >> PAGE_SHIFT;
	t = hw_tlb_set(hv, vpn);

	if (t->gen == hv->tlb_gen && t->vpn == vpn) {
		/*
		 * The SDM (4.10.4.1) has a #PF drop the faulting address's
		 * translations; this TLB keeps them, and empties only on
		 * flush_tlb(): a strategy that changes a leaf must flush,
		 * whatever the CPU might do for it on a #PF that exits.
		 */
		if (hw_denied(hv, &h, t->w, t->u, t->nx, a)) {
			*ec = hw_ec(a, true, false);
			return 1;
		}
		if (a->kind != ACC_W || t->dirty) {
			*hva = t->page + (va & ~PAGE_MASK);
			return 0;
		}
		/* A write through a clean translation walks to set D. */
	}

	if (h.lma) {
		if (root & ~PAGE_MASK)
			return HW_ERR(o, "4-level root %#llx is not page aligned",
				      root);
		table = (u64 *)root;
		level = 4;
	} else {
		u64 *pdpt = (u64 *)root;

		if (root >> 32 || (root & 0x1f))
			return HW_ERR(o, "PAE root %#llx is above 4 GiB or not 32-byte aligned",
				      root);
		if (!shim_table_page(pdpt))
			return HW_ERR(o, "PAE root %#llx is no live page of the strategy",
				      root);
		e = pdpt[(va >> 30) & 3];
		if (!(e & H_P)) {
			*ec = hw_ec(a, false, false);
			return 1;
		}
		if (e & (bits(1, 2) | bits(5, 8) | bits(MAXPHYADDR, 63)))
			return HW_ERR(o, "PAE root entry %llu = %#llx has reserved bits set",
				      (va >> 30) & 3, e);
		table = (u64 *)(e & bits(12, MAXPHYADDR - 1));
		level = 2;
	}

	for (;;) {
		u64 *ep = &table[(va >> (12 + 9 * (level - 1))) & 511];
		/* Bits 62:52 are free to software in long mode only. */
		u64 rsvd = bits(MAXPHYADDR, h.lma ? 51 : 62);
		bool leaf;

		if (!shim_table_page(table))
			return HW_ERR(o, "the walk of %#llx reached %p at level %d, which is no live page of the strategy",
				      va, table, level);
		e = *ep;
		if (!(e & H_P)) {
			*ec = hw_ec(a, false, false);
			return 1;
		}
		if (level == 4)
			rsvd |= H_PS;
		else if (level == 3 && (e & H_PS))
			rsvd |= bits(13, 29);
		else if (level == 2 && (e & H_PS))
			rsvd |= bits(13, 20);
		if (e & rsvd) {
			*ec = hw_ec(a, true, true);
			return 1;
		}
		used[nused++] = ep;
		w &= !!(e & H_W);
		u &= !!(e & H_U);
		nx |= !!(e & H_NX);
		leaf = level == 1 || (e & H_PS);
		if (leaf) {
			size = 1ULL << (12 + 9 * (level - 1));
			break;
		}
		table = (u64 *)(e & bits(12, MAXPHYADDR - 1));
		level--;
	}

	page = (u8 *)((e & bits(12, MAXPHYADDR - 1) & ~(size - 1)) +
		      (va & (size - 1) & PAGE_MASK));
	if (!shim_guest_page(page))
		return HW_ERR(o, "the shadow leaf of %#llx (%#llx) maps %p, which is no guest memory",
			      va, e, page);
	if (hw_denied(hv, &h, w, u, nx, a)) {
		*ec = hw_ec(a, true, false);
		return 1;
	}

	/* As a CPU does, atomically: A on every entry, D on a written leaf. */
	for (i = 0; i < nused; i++)
		__atomic_or_fetch(used[i], H_A, __ATOMIC_SEQ_CST);
	if (a->kind == ACC_W)
		__atomic_or_fetch(used[nused - 1], H_D, __ATOMIC_SEQ_CST);

	t->gen = hv->tlb_gen;
	t->vpn = vpn;
	t->page = page;
	t->w = w;
	t->u = u;
	t->nx = nx;
	t->dirty = *used[nused - 1] & H_D;
	*hva = page + (va & ~PAGE_MASK);
	return 0;
}

/* kvm_handle_requests() in kvm/x86.c. */
void hw_handle_requests(struct hvcpu *hv)
{
	struct kvm_vcpu *v = &hv->vcpu;

	if (test_and_clear_bit(KVM_REQ_MMU_RELOAD, &v->requests))
		hw_new_cr3(hv);
	if (test_and_clear_bit(KVM_REQ_TLB_FLUSH, &v->requests))
		kvm_vendor->flush_tlb(v);
}

/* What kvm_set_cr0/3/4() and kvm_set_efer() call: kvm_paging_changed(). */
void hw_new_cr3(struct hvcpu *hv)
{
	hv->n_new_cr3++;
	ops->new_cr3(&hv->vcpu);
}

/*
 * The guest's MOV CR3: kvm_set_cr3() from the CR3 intercept under shadow
 * paging.  Under nested paging it does not exit, and the hardware flushes
 * its TLB itself; one in 8 is KVM's instead (a task switch, or
 * KVM_SET_SREGS), which calls new_cr3().
 */
void hw_mov_cr3(struct hvcpu *hv)
{
	if (hw_tdp && rnd() % 8) {
		hw_tdp_mov_cr3(hv);
		return;
	}
	hw_new_cr3(hv);
}

/*
 * INVLPG, from the emulator, under slots_lock like all its callbacks.
 * Under nested paging the guest's INVLPG does not exit, and the hardware
 * drops the translation itself; one in 8 is the emulator's.
 */
void hw_invlpg(struct hvcpu *hv, u64 gva)
{
	struct kvm *kvm = hv->vcpu.kvm;

	if (hw_tdp && rnd() % 8) {
		hw_tdp_invlpg(hv, gva);
		return;
	}
	hv->n_invlpg++;
	down_read(&kvm->slots_lock);
	ops->invlpg(&hv->vcpu, gva);
	up_read(&kvm->slots_lock);
}

/*
 * An access the hardware let through to host memory at @hva: no page it
 * reaches may be unpinned (with a strategy that pins); a read returns the
 * bytes, a write lands and dirties the page, but never in a read-only
 * slot or a removed one: the write is dropped there (the shadow's rights
 * may be wider than the slot's), or with @rom_write_error is an error
 * (nested paging, whose leaves must carry the slot's rights).
 */
void hw_reach_host(const struct access *a, u8 *hva, bool rom_write_error,
		   struct outcome *o)
{
	struct page *page;
	u64 gpa;

	o->kind = OUT_OK;
	o->hva = hva;
	page = shim_guest_page(hva);
	if (hw_strategy_pins && shim_folio_head(page)->pins <= 0) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "the hardware reached host page %p, which is not pinned (a translation outlived its pin)",
			 (void *)page->addr);
		return;
	}
	if (!host_gpa(hva, &gpa))
		return;
	o->gpa = gpa;
	if (a->kind != ACC_W) {
		memcpy(&o->rval, hva, a->size);
		return;
	}
	if (!gpa_region(gpa) || gpa_region(gpa)->rom) {
		if (!rom_write_error)
			return;
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "the guest wrote gpa %#llx, in %s, through a writable nested leaf",
			 gpa, gpa_region(gpa) ? "a read-only slot" : "a removed slot");
		return;
	}
	memcpy(hva, &a->wval, a->size);
	shim_folio_head(page)->hw_dirty = true;
	gmem_touch(gpa);
	gmem_write_seen(gpa);
}

/* An access's KVM_ACC_* bits (hw_tdp.c too). */
u32 hw_kvm_access(const struct access *a)
{
	u32 acc = 0;

	if (a->kind == ACC_W)
		acc |= KVM_ACC_WRITE;
	if (a->kind == ACC_X)
		acc |= KVM_ACC_FETCH;
	if (a->user)
		acc |= KVM_ACC_USER;
	return acc;
}

/*
 * RET_PF_EMULATE, as kvm_emulate_page_fault() and the emulator's memory
 * callbacks in kvm/x86.c do it for the one access: translate again (A/D
 * set, except for an instruction fetch, which kvm_fetch_insn() does
 * without), then RAM is written directly and reported to track_write(),
 * and anything else is MMIO.  One difference: the access is translated
 * with its own U/S, not with the CPL, so that an implicit supervisor
 * access at CPL 3 stays one.
 */
static void hw_emulate(struct hvcpu *hv, const struct access *a,
		       const struct kvm_page_fault *fault, struct outcome *o)
{
	struct kvm_vcpu *v = &hv->vcpu;
	struct kvm *kvm = v->kvm;
	u32 acc = hw_kvm_access(a), ec = 0;
	struct region *rg;
	gpa_t gpa;

	o->emulated = true;
	down_read(&kvm->slots_lock);
	gpa = ops->translate(v, a->gva, acc, a->kind != ACC_X, &ec);
	if (gpa == KVM_INVALID_GPA) {
		/* The emulator's translation faults: it injects the #PF. */
		o->kind = OUT_PF;
		o->ec = ec;
		goto out;
	}
	if (gpa != fault->gpa) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "RET_PF_EMULATE with gpa %#llx, but translate() says %#llx",
			 fault->gpa, gpa);
		goto out;
	}
	rg = gpa_region(gpa);
	o->gpa = gpa;
	if (!rg || (a->kind == ACC_W && rg->rom)) {
		/* MMIO: to userspace (an MMIO fetch fails emulation there). */
		o->kind = OUT_MMIO;
		goto out;
	}
	if (a->kind != ACC_W) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "RET_PF_EMULATE for a %s of guest memory at gpa %#llx",
			 a->kind == ACC_R ? "read" : "fetch", gpa);
		goto out;
	}
	/*
	 * The emulator cannot do every instruction: then x86.c unprotects
	 * the table and the guest runs the instruction itself.
	 */
	if (fault->pt_write && ops->unprotect && hw_unprotect_one_in &&
	    !(rnd() % hw_unprotect_one_in)) {
		ops->unprotect(v, gpa);
		o->kind = OUT_RETRY;
		goto out;
	}
	o->hva = gpa_host(gpa);
	memcpy(o->hva, &a->wval, a->size);
	gmem_touch(gpa);
	/* kvm_write_guest() logs the page, then kvm_write_guest_tracked(), x86.c. */
	gmem_write_seen(gpa);
	kvm_mark_page_dirty(kvm, gpa >> PAGE_SHIFT);
	if (ops->track_write)
		ops->track_write(v, gpa, &a->wval, a->size);
	o->kind = OUT_OK;
out:
	up_read(&kvm->slots_lock);
}

void hw_access(struct hvcpu *hv, const struct access *a, struct outcome *o)
{
	struct kvm_vcpu *v = &hv->vcpu;
	struct kvm *kvm = v->kvm;
	struct kvm_page_fault fault;
	int entries = 0, r;
	hpa_t root;
	u8 *hva;
	u32 ec;

	if (hw_tdp) {
		hw_tdp_access(hv, a, o);
		return;
	}
	memset(o, 0, sizeof(*o));
	for (;;) {
		/* kvm_arch_vcpu_run(): requests, then svm_vcpu_run(). */
		if (++entries > 4 * HW_MAX_FAULTS) {
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err),
				 "the vCPU never gets to run (requests keep coming)");
			return;
		}
		hw_handle_requests(hv);
		down_read(&kvm->slots_lock);
		r = ops->load_root(v, &root);
		up_read(&kvm->slots_lock);
		if (r) {
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err), "load_root() = %d", r);
			return;
		}
		if (READ_ONCE(v->requests))
			continue;

		r = hw_translate(hv, root, a, &hva, &ec, o);
		if (r < 0) {
			o->kind = OUT_ERROR;
			return;
		}
		if (!r)
			break;

		/* The #PF intercept: svm_exit_pf(). */
		if (++o->faults > HW_MAX_FAULTS) {
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err),
				 "livelock: %d #PF intercepts (last error code %#x) and the access still faults",
				 HW_MAX_FAULTS, ec);
			return;
		}
		memset(&fault, 0, sizeof(fault));
		fault.addr = hv_mode(hv) == PM_4L ? a->gva : (u32)a->gva;
		fault.error_code = ec;
		hv->n_page_fault++;
		down_read(&kvm->slots_lock);
		r = ops->page_fault(v, &fault);
		up_read(&kvm->slots_lock);
		switch (r) {
		case RET_PF_FIXED:
		case RET_PF_RETRY:
			continue;
		case RET_PF_GUEST:
			o->kind = OUT_PF;
			o->ec = fault.guest_error_code;
			return;
		case RET_PF_EMULATE:
			hw_emulate(hv, a, &fault, o);
			if (o->kind == OUT_RETRY)
				continue;
			return;
		default:
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err), "page_fault() = %d", r);
			return;
		}
	}

	/* The access reached host memory through the shadow. */
	hw_reach_host(a, hva, false, o);
}
