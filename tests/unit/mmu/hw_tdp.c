// SPDX-License-Identifier: GPL-2.0
/*
 * The two-dimensional hardware of mmu=tdp (AMD NPT), and the pieces of
 * kvm/x86.c and kvm/svm/ around it: the entry loop, the #NPF exit
 * (svm_exit_npf()) and the emulator's side of RET_PF_EMULATE.
 *
 * The hardware walks the guest's own page tables, with the guest's CR3,
 * CR0.WP, CR4.PSE/SMEP/SMAP, EFER.NXE, CPL and RFLAGS.AC, as the SDM says
 * (written here from the SDM again, apart from model.c; where KVM had a
 * choice, the model's: Intel's reserved bits, PAE PDPTEs read at walk
 * time with bits 2:1 and 8:5 reserved, 1 GiB pages as the guest's CPUID
 * says, that of a host whose CPUID KVM passes on).  Every guest-physical
 * access, each guest table entry read, each A/D update and the final
 * access, goes through the strategy's nested table (from load_root()), in
 * the host's 4-level format (2 MiB and 1 GiB leaves too), as a user
 * access; a missing or insufficient nested entry is a nested page fault
 * for the strategy's page_fault(), with the gpa and an error code (P, W,
 * U always, RSVD, I/D for the final fetch), and the access starts over.
 * Guest page faults go to the guest without the strategy: they must be
 * the model's.
 *
 * A/D bits: a walk that succeeds sets A in the guest entries it used and
 * D in the leaf for a write, all or none: the writes are checked against
 * the nested table first (a nested fault there, W, on the entry's gpa),
 * then done.  So a walk through a table in a read-only slot that needs A
 * goes to the emulator, which walks again in software (A/D writes to
 * read-only memory dropped) and does the access; an emulated instruction
 * fetch sets nothing (kvm_fetch_insn()).  In the nested table the
 * hardware sets A on every entry it uses and D on a leaf it writes
 * through.
 *
 * The TLB holds combined translations (linear to host page) with the
 * rights of both dimensions, tagged by the vCPU's ASID: only
 * kvm_vendor->flush_tlb() empties it; the guest's INVLPG drops the one
 * guest page (a large page whole) and MOV CR3 everything (the checker's
 * guest counts on no global translation surviving a CR3 switch), without
 * an exit.  A fault, guest or nested, drops the faulting address's entry,
 * as the SDM has #PF do and tdp.c counts on (a nested leaf made writable
 * is not flushed).  As in hw.c, the hardware refuses as errors what no CPU
 * would survive: a nested table that is no live page of the strategy, a
 * nested leaf that maps anything but the VMM's page for its gpa in a
 * present slot, a page whose folio is not pinned, a write to a read-only
 * slot.
 */
#include <stdio.h>
#include <string.h>

#include <linux/mm.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "mmucheck.h"


/* Nested page faults on one access before the strategy is said to livelock. */
#define HW2_MAX_FAULTS	8

bool hw_tdp;
u64 hw_tdp_npfs[HW_TDP_NPF_NR];

#define HW_ERR(o, ...)	(snprintf((o)->err, sizeof((o)->err), __VA_ARGS__), -1)

/* ---- the nested dimension ----------------------------------------------- */

/* A nested page fault: the #NPF's EXITINFO2 and EXITINFO1 (bits 31:0). */
struct npf {
	u64 gpa;
	u32 ec;
	bool final;		/* on the final access, not a guest table */
	bool ad;		/* on a guest table's A/D update */
};

/* What a nested translation gave, for the TLB. */
struct nxlate {
	u8 *hva;		/* the host byte of the gpa */
	bool w, nx, dirty;
};

/*
 * Translate @gpa for a guest-physical access (@write, @fetch) through the
 * nested table at @root.  0: *@nx filled; 1: nested page fault in *@f;
 * -1: no CPU would survive it (o->err).
 */
static int npt_translate(hpa_t root, u64 gpa, bool write, bool fetch,
			 struct nxlate *nx, struct npf *f, struct outcome *o)
{
	u64 *table = (u64 *)root, *used[4], e = 0, size = 0, host;
	bool w = true, u = true, xd = false;
	int level = 4, nused = 0, i;
	struct page *page;
	u64 hgpa;
	u8 *hp;

	f->gpa = gpa;
	f->ec = PFERR_USER_MASK | (write ? PFERR_WRITE_MASK : 0) |
		(fetch ? PFERR_FETCH_MASK : 0);
	if (root & ~PAGE_MASK)
		return HW_ERR(o, "nested root %#llx is not page aligned", root);
	if (gpa >> MAXPHYADDR)
		return HW_ERR(o, "gpa %#llx above MAXPHYADDR", gpa);
	for (;;) {
		u64 rsvd = bits(MAXPHYADDR, 51);
		bool leaf;

		if (!shim_table_page(table))
			return HW_ERR(o, "the nested walk of gpa %#llx reached %p at level %d, which is no live page of the strategy",
				      gpa, table, level);
		used[nused] = &table[(gpa >> (12 + 9 * (level - 1))) & 511];
		e = *used[nused++];
		if (!(e & E_P))
			return 1;
		if (level == 4)
			rsvd |= E_PS;
		else if (level == 3 && (e & E_PS))
			rsvd |= bits(13, 29);
		else if (level == 2 && (e & E_PS))
			rsvd |= bits(13, 20);
		if (e & rsvd) {
			f->ec |= PFERR_PRESENT_MASK | PFERR_RSVD_MASK;
			return 1;
		}
		w &= !!(e & E_W);
		u &= !!(e & E_U);
		xd |= !!(e & E_XD);
		leaf = level == 1 || (e & E_PS);
		if (leaf) {
			size = 1ULL << (12 + 9 * (level - 1));
			break;
		}
		table = (u64 *)(e & bits(12, MAXPHYADDR - 1));
		level--;
	}

	host = (e & bits(12, MAXPHYADDR - 1) & ~(size - 1)) +
	       (gpa & (size - 1) & PAGE_MASK);
	hp = (u8 *)host;
	page = shim_guest_page(hp);
	if (!page)
		return HW_ERR(o, "the nested leaf of gpa %#llx (%#llx) maps %p, which is no guest memory",
			      gpa, e, hp);
	if (!host_gpa(hp, &hgpa) || hgpa != (gpa & PAGE_MASK))
		return HW_ERR(o, "the nested leaf of gpa %#llx (%#llx) maps the VMM's page of gpa %#llx",
			      gpa, e, hgpa);
	if (!gpa_region(gpa))
		return HW_ERR(o, "the nested leaf of gpa %#llx (%#llx) is still there, but its slot is gone",
			      gpa, e);
	if (hw_strategy_pins && shim_folio_head(page)->pins <= 0)
		return HW_ERR(o, "the nested leaf of gpa %#llx (%#llx) maps a page that is not pinned",
			      gpa, e);
	/* Every nested access is a user access (APM 15.25.5). */
	if (!u || (write && !w) || (fetch && xd)) {
		f->ec |= PFERR_PRESENT_MASK;
		return 1;
	}
	for (i = 0; i < nused; i++)
		__atomic_or_fetch(used[i], E_A, __ATOMIC_SEQ_CST);
	if (write)
		__atomic_or_fetch(used[nused - 1], E_D, __ATOMIC_SEQ_CST);
	nx->hva = hp + (gpa & ~PAGE_MASK);
	nx->w = w;
	nx->nx = xd;
	nx->dirty = *used[nused - 1] & E_D;
	return 0;
}

/* ---- the guest dimension -------------------------------------------------- */

/* One guest entry the walk used. */
struct gent {
	u64 gpa;
	u64 val;
	int size;
	bool has_a;		/* not a PAE PDPTE */
};

struct gwalk {
	int mode;
	u64 va;
	struct gent ents[5];
	int nents;
	bool w, u, xd;		/* rights over the levels */
	bool global;
	u64 gpa;		/* of the access */
	u64 psize;		/* guest page size */
};

static bool hw2_denied(const struct hvcpu *hv, bool w, bool u, bool xd,
		       const struct access *a)
{
	const struct kvm_vcpu *v = &hv->vcpu;

	/* With paging off nothing is checked: CR4.SMEP/SMAP need CR0.PG. */
	if (hv_mode(hv) == PM_OFF)
		return false;
	if (a->user)
		return !u || (a->kind == ACC_W && !w) ||
		       (a->kind == ACC_X && xd);
	if (a->kind == ACC_X)
		return xd || (u && (v->cr4 & X86_CR4_SMEP));
	if (u && (v->cr4 & X86_CR4_SMAP) &&
	    (a->implicit || hv_cpl(hv) == 3 || !(v->rflags & X86_EFLAGS_AC)))
		return true;
	return a->kind == ACC_W && !w && (v->cr0 & X86_CR0_WP);
}

static u32 hw2_pf_ec(const struct hvcpu *hv, int mode, const struct access *a,
		     u32 bits)
{
	const struct kvm_vcpu *v = &hv->vcpu;
	u32 ec = bits;

	if (a->kind == ACC_W)
		ec |= PFERR_WRITE_MASK;
	if (a->user)
		ec |= PFERR_USER_MASK;
	if (a->kind == ACC_X && ((v->cr4 & X86_CR4_SMEP) ||
				 (mode >= PM_PAE && (v->efer & EFER_NX))))
		ec |= PFERR_FETCH_MASK;
	return ec;
}

/* Read the guest entry at @gpa through the nested table. */
static int hw2_read_entry(hpa_t root, u64 gpa, int size, u64 *val,
			  struct npf *f, struct outcome *o)
{
	struct nxlate nx;
	int r;

	r = npt_translate(root, gpa, false, false, &nx, f, o);
	if (r)
		return r;
	*val = 0;
	memcpy(val, nx.hva, size);
	return 0;
}

static bool guest_gbpages(const struct hvcpu *hv)
{
	int i;

	for (i = 0; i < hv->cpuid_nent; i++)
		if (hv->cpuid[i].function == 0x80000001)
			return hv->cpuid[i].edx & BIT(26);
	return false;
}

/*
 * The hardware's walk of the guest's tables for @a.  0: g->gpa; 1: guest
 * #PF with *@ec; 2: nested page fault *@f on a table; -1: error.
 */
static int hw2_guest_walk(struct hvcpu *hv, hpa_t root, const struct access *a,
			  struct gwalk *g, u32 *ec, struct npf *f,
			  struct outcome *o)
{
	const struct kvm_vcpu *v = &hv->vcpu;
	const int M = MAXPHYADDR;
	int mode = hv_mode(hv), level, esize, r;
	bool nxe = v->efer & EFER_NX, pse = v->cr4 & X86_CR4_PSE;
	u64 table, e, addr = 0;

	memset(g, 0, sizeof(*g));
	g->mode = mode;
	g->w = g->u = true;
	g->va = mode == PM_4L ? a->gva : (u32)a->gva;
	g->psize = PAGE_SIZE;
	if (mode == PM_OFF) {
		g->gpa = g->va;
		return 0;
	}
	esize = mode == PM_32 ? 4 : 8;
	level = mode;
	if (mode == PM_32)
		table = v->cr3 & bits(12, 31);
	else if (mode == PM_PAE)
		table = v->cr3 & bits(5, 31);
	else
		table = v->cr3 & bits(12, M - 1);

	for (;;) {
		int shift = mode == PM_32 ? 12 + 10 * (level - 1) :
					    12 + 9 * (level - 1);
		int nent = mode == PM_32 ? 1024 :
			   (mode == PM_PAE && level == 3) ? 4 : 512;
		u64 egpa = table + ((g->va >> shift) & (nent - 1)) * esize;
		struct gent *ge = &g->ents[g->nents];
		u64 rsvd = 0, size = 0;
		bool leaf = false;

		r = hw2_read_entry(root, egpa, esize, &e, f, o);
		if (r < 0)
			return r;
		if (r) {
			f->final = false;
			return 2;
		}
		if (!(e & E_P)) {
			*ec = hw2_pf_ec(hv, mode, a, 0);
			return 1;
		}
		ge->gpa = egpa;
		ge->val = e;
		ge->size = esize;
		ge->has_a = true;
		if (mode == PM_PAE && level == 3) {
			/* A PDPTE: no rights, no A. */
			ge->has_a = false;
			if (e & (bits(1, 2) | bits(5, 8) | bits(M, 63))) {
				*ec = hw2_pf_ec(hv, mode, a, PFERR_PRESENT_MASK |
						PFERR_RSVD_MASK);
				return 1;
			}
			g->nents++;
			table = e & bits(12, M - 1);
			level--;
			continue;
		}
		if (mode == PM_32) {
			if (level == 2 && (e & E_PS) && pse) {
				/* 4 MiB, PSE-36: address bits 39:32 in 20:13. */
				leaf = true;
				size = 4ULL << 20;
				rsvd = BIT_ULL(21) | bits(13 + (min(M, 40) - 32), 20);
				addr = (e & bits(22, 31)) | (((e >> 13) & 0xff) << 32);
			} else {
				leaf = level == 1;
				size = 4096;
				addr = e & bits(12, 31);
			}
		} else {
			rsvd = bits(M, mode == PM_PAE ? 62 : 51);
			if (!nxe)
				rsvd |= E_XD;
			if (level == 4) {
				rsvd |= E_PS;
			} else if (level == 3 && (e & E_PS)) {
				rsvd |= guest_gbpages(hv) ? bits(13, 29) : E_PS;
				leaf = true;
			} else if (level == 2 && (e & E_PS)) {
				rsvd |= bits(13, 20);
				leaf = true;
			}
			leaf |= level == 1;
			size = 1ULL << shift;
			addr = e & bits(12, M - 1) & (leaf ? ~(size - 1) : ~0ULL);
			if (mode != PM_32 && (e & E_XD))
				g->xd = true;
		}
		if (e & rsvd) {
			*ec = hw2_pf_ec(hv, mode, a, PFERR_PRESENT_MASK |
					PFERR_RSVD_MASK);
			return 1;
		}
		g->w &= !!(e & E_W);
		g->u &= !!(e & E_U);
		g->nents++;
		if (leaf) {
			g->psize = size;
			g->global = e & BIT_ULL(8);
			g->gpa = addr + (g->va & (size - 1));
			break;
		}
		table = addr;
		level--;
	}
	if (hw2_denied(hv, g->w, g->u, g->xd, a)) {
		*ec = hw2_pf_ec(hv, mode, a, PFERR_PRESENT_MASK);
		return 1;
	}
	return 0;
}

/*
 * The A/D bits of a successful walk, all or none: every entry that needs
 * one is checked writable in the nested table first.  0, 2 (nested
 * fault *@f on an entry) or -1.
 */
static int hw2_set_ad(hpa_t root, const struct gwalk *g, bool write,
		      struct npf *f, struct outcome *o)
{
	u8 *hva[5] = { NULL };
	u8 set[5] = { 0 };
	struct nxlate nx;
	int i, r;

	for (i = 0; i < g->nents; i++) {
		const struct gent *ge = &g->ents[i];

		if (!ge->has_a)
			continue;
		set[i] = E_A;
		if (i == g->nents - 1 && write)
			set[i] |= E_D;
		if ((ge->val & set[i]) == set[i]) {
			set[i] = 0;
			continue;
		}
		r = npt_translate(root, ge->gpa, true, false, &nx, f, o);
		if (r < 0)
			return r;
		if (r) {
			f->final = false;
			f->ad = true;
			return 2;
		}
		hva[i] = nx.hva;
		/* Writable now, logged: the write may yet not happen. */
		gmem_maylog_seen(ge->gpa);
	}
	for (i = 0; i < g->nents; i++) {
		u64 gpa = g->ents[i].gpa;

		if (!set[i])
			continue;
		if (gpa_region(gpa)->rom)
			return HW_ERR(o, "the hardware set A/D in a guest table at gpa %#llx, in a read-only slot, through a writable nested leaf",
				      gpa);
		/* A and D are in the entry's first byte, in every format. */
		__atomic_or_fetch(hva[i], set[i], __ATOMIC_SEQ_CST);
		shim_folio_head(shim_guest_page(hva[i]))->hw_dirty = true;
		gmem_touch(gpa);
		gmem_write_seen(gpa);
	}
	return 0;
}

static struct hw_tlbe *hw2_tlb_set(struct hvcpu *hv, u64 vpn)
{
	return &hv->tlb[(vpn ^ (vpn >> 10) ^ (vpn >> 20)) % HW_TLB_SETS];
}

/*
 * Translate @a on @hv.  0: *@hva reached; 1: guest #PF with *@ec;
 * 2: nested page fault *@f; -1: error.
 */
static int hw2_translate(struct hvcpu *hv, hpa_t root, const struct access *a,
			 u8 **hva, u32 *ec, struct npf *f, struct outcome *o)
{
	u64 va = hv_mode(hv) == PM_4L ? a->gva : (u32)a->gva;
	u64 vpn = va >> PAGE_SHIFT;
	struct hw_tlbe *t = hw2_tlb_set(hv, vpn);
	bool write = a->kind == ACC_W, fetch = a->kind == ACC_X;
	struct nxlate nx;
	struct gwalk g;
	int r;

	if (t->gen == hv->tlb_gen && t->vpn == vpn) {
		if (hw2_denied(hv, t->w, t->u, t->nx, a)) {
			t->gen = 0;
			*ec = hw2_pf_ec(hv, hv_mode(hv), a, PFERR_PRESENT_MASK);
			return 1;
		}
		if ((write && !t->nw) || (fetch && t->nnx)) {
			t->gen = 0;
			f->gpa = t->gpa + (va & ~PAGE_MASK);
			f->ec = PFERR_PRESENT_MASK | PFERR_USER_MASK |
				(write ? PFERR_WRITE_MASK : 0) |
				(fetch ? PFERR_FETCH_MASK : 0);
			f->final = true;
			return 2;
		}
		if (!write || (t->dirty && t->ndirty)) {
			*hva = t->page + (va & ~PAGE_MASK);
			return 0;
		}
		/* A write through a clean translation walks to set D. */
	}

	r = hw2_guest_walk(hv, root, a, &g, ec, f, o);
	if (r == 1)
		t->gen = 0;
	if (r)
		return r;
	r = hw2_set_ad(root, &g, write, f, o);
	if (r)
		return r;
	r = npt_translate(root, g.gpa, write, fetch, &nx, f, o);
	if (r < 0)
		return r;
	if (r) {
		t->gen = 0;
		f->final = true;
		return 2;
	}
	t->gen = hv->tlb_gen;
	t->vpn = vpn;
	t->page = (u8 *)((unsigned long)nx.hva & PAGE_MASK);
	t->gpa = g.gpa & PAGE_MASK;
	t->gsize = g.psize;
	t->w = g.w;
	t->u = g.u;
	t->nx = g.xd;
	/* The leaf's D as the walk left it (hw2_set_ad() set it for a write). */
	t->dirty = !g.nents || write ||
		   (g.ents[g.nents - 1].val & E_D);
	t->nw = nx.w;
	t->nnx = nx.nx;
	t->ndirty = nx.dirty;
	*hva = nx.hva;
	return 0;
}

/* ---- the exits -------------------------------------------------------------- */

/*
 * RET_PF_EMULATE for a nested page fault: kvm_emulate_page_fault() runs
 * the whole instruction, its operands translated through the guest's
 * tables by translate() (the software walker; A/D set, but not for the
 * instruction fetch, kvm_fetch_insn()).  The strategy may send only a gpa
 * in no slot, or a write to a read-only slot, here.
 */
static void hw2_emulate(struct hvcpu *hv, const struct access *a,
			const struct kvm_page_fault *fault,
			const struct npf *f, struct outcome *o)
{
	struct kvm_vcpu *v = &hv->vcpu;
	struct kvm *kvm = v->kvm;
	struct region *frg = gpa_region(f->gpa);
	u32 ec = 0;
	struct region *rg;
	gpa_t gpa;

	o->emulated = true;
	if (fault->gpa != f->gpa) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "RET_PF_EMULATE for the nested fault on gpa %#llx with fault->gpa %#llx",
			 f->gpa, fault->gpa);
		return;
	}
	if (frg && !(frg->rom && (f->ec & PFERR_WRITE_MASK))) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "RET_PF_EMULATE for a nested fault (%#x) on gpa %#llx (%s) in %s",
			 f->ec, f->gpa, f->final ? "the access" : "a guest table",
			 frg->name);
		return;
	}
	down_read(&kvm->slots_lock);
	gpa = ops->translate(v, a->gva, hw_kvm_access(a), a->kind != ACC_X,
			     &ec);
	if (gpa == KVM_INVALID_GPA) {
		o->kind = OUT_PF;
		o->ec = ec;
		goto out;
	}
	if (f->final && gpa != f->gpa) {
		o->kind = OUT_ERROR;
		snprintf(o->err, sizeof(o->err),
			 "the nested fault was on gpa %#llx, but translate() says %#llx",
			 f->gpa, gpa);
		goto out;
	}
	rg = gpa_region(gpa);
	o->gpa = gpa;
	if (!rg || (a->kind == ACC_W && rg->rom)) {
		o->kind = OUT_MMIO;
		goto out;
	}
	o->kind = OUT_OK;
	o->hva = gpa_host(gpa);
	if (a->kind != ACC_W) {
		/* The bytes read, or the instruction's. */
		memcpy(&o->rval, o->hva, a->size);
	} else {
		memcpy(o->hva, &a->wval, a->size);
		gmem_touch(gpa);
		gmem_write_seen(gpa);
		kvm_mark_page_dirty(kvm, gpa >> PAGE_SHIFT);
	}
out:
	up_read(&kvm->slots_lock);
}

void hw_tdp_access(struct hvcpu *hv, const struct access *a, struct outcome *o)
{
	struct kvm_vcpu *v = &hv->vcpu;
	struct kvm *kvm = v->kvm;
	struct kvm_page_fault fault;
	int entries = 0, r;
	struct npf f;
	hpa_t root;
	u8 *hva;
	u32 ec;

	memset(o, 0, sizeof(*o));
	for (;;) {
		if (++entries > 4 * HW2_MAX_FAULTS) {
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

		memset(&f, 0, sizeof(f));
		r = hw2_translate(hv, root, a, &hva, &ec, &f, o);
		if (r < 0) {
			o->kind = OUT_ERROR;
			return;
		}
		if (!r)
			break;
		if (r == 1) {
			/* The guest's own #PF: no exit. */
			o->kind = OUT_PF;
			o->ec = ec;
			return;
		}

		/* #NPF: svm_exit_npf(). */
		if (++o->faults > HW2_MAX_FAULTS) {
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err),
				 "livelock: %d nested page faults (last on gpa %#llx, error code %#x) and the access still faults",
				 HW2_MAX_FAULTS, f.gpa, f.ec);
			return;
		}
		hw_tdp_npfs[f.final ? HW_TDP_NPF_FINAL : f.ad ? HW_TDP_NPF_AD :
			    HW_TDP_NPF_TABLE]++;
		memset(&fault, 0, sizeof(fault));
		fault.addr = f.gpa;
		fault.error_code = f.ec;
		hv->n_page_fault++;
		down_read(&kvm->slots_lock);
		r = ops->page_fault(v, &fault);
		up_read(&kvm->slots_lock);
		switch (r) {
		case RET_PF_FIXED:
		case RET_PF_RETRY:
			continue;
		case RET_PF_EMULATE:
			hw2_emulate(hv, a, &fault, &f, o);
			return;
		default:
			o->kind = OUT_ERROR;
			snprintf(o->err, sizeof(o->err),
				 "page_fault() = %d for a nested page fault on gpa %#llx",
				 r, f.gpa);
			return;
		}
	}

	hw_reach_host(a, hva, true, o);
}

/* The guest's INVLPG, which does not exit: the guest page of @gva, whole. */
void hw_tdp_invlpg(struct hvcpu *hv, u64 gva)
{
	u64 va = hv_mode(hv) == PM_4L ? gva : (u32)gva;
	int i;

	for (i = 0; i < HW_TLB_SETS; i++) {
		struct hw_tlbe *t = &hv->tlb[i];
		u64 base;

		if (t->gen != hv->tlb_gen)
			continue;
		base = (t->vpn << PAGE_SHIFT) & ~(t->gsize - 1);
		if (va - base < t->gsize)
			t->gen = 0;
	}
}

/* The guest's MOV CR3, which does not exit. */
void hw_tdp_mov_cr3(struct hvcpu *hv)
{
	hv->tlb_gen++;
}

void hw_tdp_unpinned(struct page *page)
{
	unsigned long size = PAGE_SIZE * (page->folio_nr ? page->folio_nr : 1);
	int i, j;

	/* kvm_destroy(): no vCPU runs any more. */
	if (the_kvm->dying)
		return;
	for (i = 0; i < nr_hvcpus; i++) {
		struct hvcpu *hv = hvcpus[i];

		if (test_bit(KVM_REQ_TLB_FLUSH, &hv->vcpu.requests))
			continue;
		for (j = 0; j < HW_TLB_SETS; j++) {
			const struct hw_tlbe *t = &hv->tlb[j];
			u64 gpa = 0;

			if (t->gen != hv->tlb_gen ||
			    (unsigned long)t->page - page->addr >= size)
				continue;
			host_gpa(t->page, &gpa);
			shim_bug("the last pin of gpa %#llx released while vcpu%d's TLB still maps it at %#llx, and no flush is pending",
				 gpa, i, t->vpn << PAGE_SHIFT);
			return;
		}
	}
}

/* ---- the nested table, between operations ------------------------------- */

struct audit {
	char *why;
	size_t len;
	u64 leaves, tables, large;
};

#define AUDIT(au, cond, ...) do {					\
	if (!(cond) && !(au)->why[0])					\
		snprintf((au)->why, (au)->len, __VA_ARGS__);		\
} while (0)

static void audit_table(struct audit *au, const u64 *table, int level,
			u64 base)
{
	int i;

	au->tables++;
	for (i = 0; i < 512 && !au->why[0]; i++) {
		u64 e = table[i], gpa = base + ((u64)i << (12 + 9 * (level - 1)));
		struct kvm_memory_slot *slot;
		struct region *rg;
		struct page *page;
		u64 hgpa, size;
		u8 *hp;

		if (!(e & E_P))
			continue;
		AUDIT(au, e & E_U, "nested entry for gpa %#llx at level %d = %#llx lacks U",
		      gpa, level, e);
		AUDIT(au, !(e & bits(MAXPHYADDR, 62)),
		      "nested entry for gpa %#llx at level %d = %#llx has reserved bits",
		      gpa, level, e);
		if (level > 1 && !(e & E_PS)) {
			const u64 *child = (const u64 *)(e & bits(12, MAXPHYADDR - 1));

			AUDIT(au, shim_table_page(child),
			      "nested entry for gpa %#llx at level %d = %#llx points to no live page",
			      gpa, level, e);
			if (!au->why[0])
				audit_table(au, child, level - 1, gpa);
			continue;
		}
		size = PAGE_SIZE << (9 * (level - 1));
		au->leaves++;
		rg = gpa_region(gpa);
		AUDIT(au, rg, "nested leaf for gpa %#llx (%#llx), but no slot is there (a deleted slot not zapped)",
		      gpa, e);
		if (!rg)
			return;
		hp = (u8 *)(e & bits(12, MAXPHYADDR - 1));
		page = shim_guest_page(hp);
		AUDIT(au, page && host_gpa(hp, &hgpa) && hgpa == gpa,
		      "nested leaf for gpa %#llx (%#llx) maps another page", gpa, e);
		AUDIT(au, !page || shim_folio_head(page)->pins > 0,
		      "nested leaf for gpa %#llx (%#llx) maps a page that is not pinned",
		      gpa, e);
		slot = &the_kvm->slots[rg->slot];
		if (level > 1) {
			/* A large leaf: all of it in the slot, one folio, no log. */
			struct page *head = page ? shim_folio_head(page) : NULL;

			au->large++;
			AUDIT(au, !(e & bits(12, 12 + 9 * (level - 1) - 1)),
			      "large nested leaf for gpa %#llx (%#llx) is not aligned",
			      gpa, e);
			AUDIT(au, gpa_region(gpa + size - 1) == rg,
			      "large nested leaf for gpa %#llx (%#llx, %llu KiB) maps beyond its slot (%s)",
			      gpa, e, size >> 10, rg->name);
			AUDIT(au, head && head == page &&
				  head->folio_nr * PAGE_SIZE >= size,
			      "large nested leaf for gpa %#llx (%#llx, %llu KiB) maps more than one folio of the VMM",
			      gpa, e, size >> 10);
			AUDIT(au, !slot->dirty_bitmap,
			      "large nested leaf for gpa %#llx (%#llx) in a slot that logs dirty pages (a stale large page)",
			      gpa, e);
		}
		AUDIT(au, !(e & E_XD), "nested leaf for gpa %#llx (%#llx) has NX",
		      gpa, e);
		AUDIT(au, e & E_A, "nested leaf for gpa %#llx (%#llx) without A",
		      gpa, e);
		if (!(e & E_W))
			continue;
		AUDIT(au, !rg->rom,
		      "nested leaf for gpa %#llx (%#llx), in a read-only slot, is writable",
		      gpa, e);
		/*
		 * With hardware D bits a slot that logs has writable leaves,
		 * clean until the CPU writes through them; without, a leaf
		 * there is writable only while its page's bit is set.
		 */
		AUDIT(au, (e & E_D) || (slot->dirty_bitmap && kvm_tdp_ad),
		      "writable nested leaf for gpa %#llx (%#llx) without D",
		      gpa, e);
		AUDIT(au, !slot->dirty_bitmap || kvm_tdp_ad ||
			  test_bit((gpa >> PAGE_SHIFT) - slot->base_gfn,
				   slot->dirty_bitmap),
		      "nested leaf for gpa %#llx (%#llx) is writable, but its page is not in the dirty log (not write-protected)",
		      gpa, e);
	}
}

/*
 * The nested table as a whole, between operations: every leaf maps the
 * VMM's page of its gpa in a present slot, pinned; writable only in a
 * writable slot, and in a slot that logs only while its page's bit is
 * set; @leaves and @tables: how many there are.
 */
void hw_tdp_audit(char *why, size_t len, u64 *leaves, u64 *tables,
		  u64 *large)
{
	struct audit au = { .why = why, .len = len };
	struct kvm_vcpu *v;
	hpa_t root;

	*leaves = *tables = *large = 0;
	if (!nr_hvcpus)
		return;
	v = &hvcpus[0]->vcpu;
	down_read(&the_kvm->slots_lock);
	if (ops->load_root(v, &root)) {
		snprintf(why, len, "load_root() failed");
		root = 0;
	}
	up_read(&the_kvm->slots_lock);
	if (!root)
		return;
	if (!shim_table_page((void *)root)) {
		snprintf(why, len, "the nested root %#llx is no live page", root);
		return;
	}
	audit_table(&au, (const u64 *)root, 4, 0);
	*leaves = au.leaves;
	*tables = au.tables;
	*large = au.large;
}
