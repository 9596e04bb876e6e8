// SPDX-License-Identifier: GPL-2.0
/*
 * mmucheck's checks: one guest access through the simulated hardware
 * (hw.c) against the model (model.c), with the guest's TLB maintenance
 * after a write to its tables; guest memory byte for byte, the shim's
 * bookkeeping and the strategy's counters after every operation; and
 * what the strategy must have released when the VM is destroyed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/processor-flags.h>

#include <linux/seq_file.h>
#include <linux/slab.h>

#include "mmucheck.h"
#include "driver.h"

/* Weak: NULL unless kvm/mmu/cached.c is linked in (see main.c). */
extern u64 kvm_mmu_cached_pinned_total(void) __attribute__((weak));
extern u64 kvm_mmu_cached_shadow_pages_total(void) __attribute__((weak));
/* The same for kvm/mmu/tdp.c. */
extern u64 kvm_mmu_tdp_pinned_total(void) __attribute__((weak));
extern u64 kvm_mmu_tdp_pages_total(void) __attribute__((weak));

/* ---- checks ------------------------------------------------------------- */

u64 n_access, n_fault, n_mmio, n_emulated, n_ptewrite, n_flushes,
	   n_invlpgs;

static void check_page(int gpi);

/* Compare the pages written since the last time, or all of them. */
void check_memory(bool all)
{
	int gpi;

	if (all) {
		for (gpi = 0; gpi < NR_GPAGES; gpi++)
			check_page(gpi);
		gmem_ntouched = 0;
		memset(gmem_touched, 0, sizeof(gmem_touched));
		return;
	}
	while (gmem_ntouched) {
		gpi = gmem_touched_list[--gmem_ntouched];
		gmem_touched[gpi] = 0;
		check_page(gpi);
	}
}

static void check_page(int gpi)
{
	u64 gpa = gpi_gpa(gpi);
	int r = 0, i;
	u8 *h, *x;

	while (r < RG_NR - 1 && gpi >= regions[r + 1].first_gpi)
		r++;
	h = regions[r].host + (gpa - regions[r].gpa);
	x = regions[r].expect + (gpa - regions[r].gpa);
	if (!memcmp(h, x, PAGE_SIZE))
		return;
	for (i = 0; i < (int)PAGE_SIZE; i += 8) {
		u64 hv, xv;
		char m[128], s[128];

		memcpy(&hv, h + i, 8);
		memcpy(&xv, x + i, 8);
		if (hv == xv)
			continue;
		snprintf(m, sizeof(m), "gpa %#llx = %#018llx", gpa + i, xv);
		snprintf(s, sizeof(s), "gpa %#llx = %#018llx (bits %#llx differ)",
			 gpa + i, hv, hv ^ xv);
		fail("guest memory differs (A/D bits, or a write that went astray)",
		     m, s);
	}
}

void check_shim(void)
{
	char why[512] = "";

	if (shim_error())
		failf("kernel interface misused", "%s", shim_error());
	if (shim_locks_held)
		failf("locks held between operations", "%d lock(s) still held",
		      shim_locks_held);
	if (shim_cnt.refs)
		failf("page references held between operations",
		      "%ld get_user_pages() reference(s) not put", shim_cnt.refs);
	strategy->check(why, sizeof(why));
	if (why[0])
		failf("the strategy's counters do not add up", "%s", why);
}

#define CHECK(cond, ...) do {					\
	if (!(cond) && !why[0])					\
		snprintf(why, len, __VA_ARGS__);		\
} while (0)

void naive_check(char *why, size_t len)
{
	u64 pinned = 0, pages = 0;
	int i;

	for (i = 0; i < nr_hvcpus; i++) {
		struct hvcpu *hv = hvcpus[i];
		struct kvm_mmu_stats s, *p = &hv->stats_prev;

		kvm_mmu_naive_get_stats(&hv->vcpu, &s);
		CHECK(s.shadow_pages == s.shadow_created - s.shadow_zapped,
		      "vcpu%d: shadow_pages %llu != created %llu - zapped %llu",
		      i, s.shadow_pages, s.shadow_created, s.shadow_zapped);
		CHECK(s.new_cr3 == hv->n_new_cr3,
		      "vcpu%d: new_cr3 %llu, but it was called %llu times",
		      i, s.new_cr3, hv->n_new_cr3);
		CHECK(s.invlpg == hv->n_invlpg,
		      "vcpu%d: invlpg %llu, but it was called %llu times",
		      i, s.invlpg, hv->n_invlpg);
		CHECK(s.pf_fixed + s.pf_guest + s.pf_emulate + s.pf_retry ==
		      hv->n_page_fault,
		      "vcpu%d: pf_* add up to %llu, but page_fault() was called %llu times",
		      i, s.pf_fixed + s.pf_guest + s.pf_emulate + s.pf_retry,
		      hv->n_page_fault);
		CHECK(s.shadow_created >= p->shadow_created &&
		      s.shadow_zapped >= p->shadow_zapped &&
		      s.root_drops >= p->root_drops &&
		      s.overflows >= p->overflows,
		      "vcpu%d: a counter that only grows went down", i);
		CHECK(s.overflows <= s.root_drops,
		      "vcpu%d: overflows %llu > root_drops %llu", i,
		      s.overflows, s.root_drops);
		CHECK(s.shadow_pages <= 4096 && s.pinned <= 65536,
		      "vcpu%d: over the bounds: %llu pages, %llu pins", i,
		      s.shadow_pages, s.pinned);
		*p = s;
		pinned += s.pinned;
		pages += s.shadow_pages;
	}
	CHECK(pinned == (u64)shim_cnt.pins,
	      "the vCPUs count %llu pins, the pages hold %ld", pinned,
	      shim_cnt.pins);
	CHECK(pinned == kvm_mmu_naive_pinned_total(),
	      "the vCPUs count %llu pins, kvm_mmu_naive_pinned_total() %llu",
	      pinned, kvm_mmu_naive_pinned_total());
	CHECK(pages == (u64)shim_cnt.table_pages,
	      "the vCPUs count %llu shadow pages, %ld are allocated", pages,
	      shim_cnt.table_pages);
	CHECK(pages == kvm_mmu_naive_shadow_pages_total(),
	      "the vCPUs count %llu shadow pages, kvm_mmu_naive_shadow_pages_total() %llu",
	      pages, kvm_mmu_naive_shadow_pages_total());
}

/* The value of counter @name in stats_show()'s output @buf, or ~0. */
static u64 stat_of(const char *buf, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return ~0ULL;
}

/*
 * cached.c allocates more than its shadow pages (a gfn array beside some
 * of them, a PAE root per vCPU) and releases pins after a flush: only
 * bounds hold between operations.  Its author may tighten this.
 */
u64 cached_unsynced, cached_resynced, cached_prefetched, cached_large_created;

void cached_check(char *why, size_t len)
{
	char buf[4096] = "";
	struct seq_file m = { .buf = buf, .size = sizeof(buf) - 1 };

	if (kvm_mmu_cached_shadow_pages_total)
		CHECK(kvm_mmu_cached_shadow_pages_total() <=
		      (u64)shim_cnt.table_pages,
		      "kvm_mmu_cached_shadow_pages_total() %llu, but only %ld pages are allocated",
		      kvm_mmu_cached_shadow_pages_total(),
		      shim_cnt.table_pages);
	if (kvm_mmu_cached_pinned_total)
		CHECK(kvm_mmu_cached_pinned_total() <= (u64)shim_cnt.pins,
		      "kvm_mmu_cached_pinned_total() %llu, but only %ld pins are held",
		      kvm_mmu_cached_pinned_total(), shim_cnt.pins);
	/* For the summary line: what out-of-sync pages and prefetch did. */
	if (!check_op_end)
		return;
	ops->stats_show(the_kvm, &m);
	buf[m.count] = 0;
	cached_unsynced = stat_of(buf, "unsynced");
	cached_resynced = stat_of(buf, "resynced");
	cached_prefetched = stat_of(buf, "prefetched");
	cached_large_created = stat_of(buf, "large_created");
}

/*
 * tdp.c: its nested table (hw_tdp_audit(): every leaf maps the VMM's page
 * of its gpa in a present slot, pinned, writable only where the slot
 * allows it and, in a slot that logs, only while its page's bit is set),
 * which its counters, its totals and the shim's must all count exactly:
 * between operations no pin or table waits for a flush.
 */
u64 tdp_large_created;
bool check_op_end;

/* Audited once per operation, at its end (check_op_end). */
void tdp_check(char *why, size_t len)
{
	static const char *const grows[] = {
		"zapped", "write_protected", "pf_fixed", "pf_emulate", "pf_retry",
		"large_created",
	};
	static u64 prev[ARRAY_SIZE(grows)];
	char buf[1024] = "";
	struct seq_file m = { .buf = buf, .size = sizeof(buf) - 1 };
	u64 leaves, tables, large, faults = 0, v;
	unsigned int i;
	int j;

	if (!check_op_end)
		return;
	hw_tdp_audit(why, len, &leaves, &tables, &large);
	if (why[0])
		failf("the nested table breaks a rule", "%s", why);
	ops->stats_show(the_kvm, &m);
	buf[m.count] = 0;
	CHECK(leaves == stat_of(buf, "pinned") &&
	      leaves == kvm_mmu_tdp_pinned_total() &&
	      leaves == (u64)shim_cnt.pins,
	      "%llu nested leaves, but pinned %llu, kvm_mmu_tdp_pinned_total() %llu, %ld pins held",
	      leaves, stat_of(buf, "pinned"), kvm_mmu_tdp_pinned_total(),
	      shim_cnt.pins);
	CHECK(tables == stat_of(buf, "tdp_pages") &&
	      tables == kvm_mmu_tdp_pages_total() &&
	      tables == (u64)shim_cnt.table_pages,
	      "%llu nested table pages reachable, but tdp_pages %llu, kvm_mmu_tdp_pages_total() %llu, %ld allocated",
	      tables, stat_of(buf, "tdp_pages"), kvm_mmu_tdp_pages_total(),
	      shim_cnt.table_pages);
	for (j = 0; j < nr_hvcpus; j++)
		faults += hvcpus[j]->n_page_fault;
	CHECK(stat_of(buf, "pf_fixed") + stat_of(buf, "pf_emulate") +
	      stat_of(buf, "pf_retry") == faults,
	      "pf_* add up to %llu, but page_fault() was called %llu times",
	      stat_of(buf, "pf_fixed") + stat_of(buf, "pf_emulate") +
	      stat_of(buf, "pf_retry"), faults);
	/* Large leaves: none from a tdp.c that does not count them. */
	v = stat_of(buf, "large");
	CHECK(large == (v == ~0ULL ? 0 : v),
	      "%llu large nested leaves, but large %llu", large, v);
	for (i = 0; i < ARRAY_SIZE(grows); i++) {
		v = stat_of(buf, grows[i]);
		if (v == ~0ULL && !strcmp(grows[i], "large_created"))
			continue;
		CHECK(v != ~0ULL && v >= prev[i], "%s went from %llu to %llu",
		      grows[i], prev[i], v);
		prev[i] = v;
	}
	v = stat_of(buf, "large_created");
	tdp_large_created = v == ~0ULL ? 0 : v;
}

/*
 * Under nested paging, whether an instruction fetch that translates goes
 * through the emulator before any A bit is set: its walk needs one in a
 * table in a read-only slot, which the hardware cannot write (hw_tdp.c),
 * and the emulator's kvm_fetch_insn() sets none.
 */
static bool tdp_fetch_sets_nothing(const struct mres *mr)
{
	int i;

	for (i = 0; i < mr->nused; i++) {
		struct region *rg = gpa_region(mr->used[i].gpa);

		if (mr->used[i].has_a && rg && rg->rom &&
		    !(*gpa_expect(mr->used[i].gpa) & BIT(5)))
			return true;
	}
	return false;
}

/* ---- the guest's TLB discipline ----------------------------------------- */

/* What a write makes stale, per vCPU: a whole flush, or some INVLPGs. */
struct stale {
	bool flush[KVM_MAX_VCPUS];
	int nuses[KVM_MAX_VCPUS];
	struct use uses[KVM_MAX_VCPUS][8];
};

void graph_sync(struct hvcpu *hv)
{
	struct mctx c;

	mctx_of(&c, hv);
	graph_update(hv->graph, &c);
}

static void stale_compute(u64 gpa, int size, const void *newbytes,
			  struct stale *st)
{
	int i, n;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nr_hvcpus; i++) {
		struct hvcpu *hv = hvcpus[i];

		if (hv_mode(hv) == PM_OFF)
			continue;
		graph_sync(hv);
		if (!graph_reaches(hv->graph, gpa))
			continue;
		n = graph_stale(hv->graph, gpa, size, newbytes, st->uses[i], 8);
		/* A whole flush is always allowed instead of INVLPGs. */
		if (n < 0 || (n > 0 && chance(15)))
			st->flush[i] = true;
		else
			st->nuses[i] = n;
	}
}

/*
 * A whole flush: a CR3 reload flushes all but global translations; with
 * CR4.PGE on, the guest toggles PGE instead (SDM 4.10.4.1).
 */
void full_flush(struct hvcpu *hv, const char *why)
{
	struct kvm_vcpu *v = &hv->vcpu;

	n_flushes++;
	if (v->cr4 & X86_CR4_PGE) {
		note("vcpu%d: flush (%s): CR4.PGE off and on", hv->index, why);
		set_cr4(hv, v->cr4 & ~(u64)X86_CR4_PGE);
		set_cr4(hv, v->cr4 | X86_CR4_PGE);
	} else {
		note("vcpu%d: flush (%s): CR3 reload", hv->index, why);
		set_cr3(hv, v->cr3);
	}
}

static void stale_apply(const struct stale *st)
{
	int i, j;

	for (i = 0; i < nr_hvcpus; i++) {
		struct hvcpu *hv = hvcpus[i];

		if (st->flush[i]) {
			full_flush(hv, "entries changed");
			continue;
		}
		for (j = 0; j < st->nuses[i]; j++) {
			const struct use *u = &st->uses[i][j];
			/* Any address in the page does (SDM: INVLPG). */
			u64 va = u->va + (rnd() & (u->size - 1));

			note("vcpu%d: invlpg %#llx (leaf of %#llx, %llu KiB page)",
			     hv->index, va, u->va, u->size >> 10);
			n_invlpgs++;
			hw_invlpg(hv, va);
		}
	}
}

/* A write changed @gpa's page: graphs through it are out of date. */
static void graphs_written(u64 gpa)
{
	int i;

	for (i = 0; i < nr_hvcpus; i++)
		if (graph_reaches(hvcpus[i]->graph, gpa))
			graph_invalidate(hvcpus[i]->graph);
}

/* ---- one access ----------------------------------------------------------- */

const char *kind_name(int kind)
{
	return kind == ACC_R ? "read" : kind == ACC_W ? "write" : "fetch";
}

static void region_off(char *buf, size_t n, u64 gpa)
{
	struct region *r = gpa_region(gpa);

	if (r)
		snprintf(buf, n, "%s+%#llx", r->name, gpa - r->gpa);
	else
		snprintf(buf, n, "hole");
}

static void describe_outcome(char *buf, size_t n, int kind, u32 ec, u64 gpa,
			     const u8 *hva, const char *err, bool emulated)
{
	char where[64];
	u64 hgpa = 0;

	switch (kind) {
	case OUT_OK:
		if (!host_gpa(hva, &hgpa)) {
			snprintf(buf, n, "reached host %p, outside guest memory",
				 hva);
			return;
		}
		region_off(where, sizeof(where), hgpa);
		snprintf(buf, n, "reached gpa %#llx (%s)%s", hgpa, where,
			 emulated ? " through the emulator" : "");
		return;
	case OUT_PF:
		snprintf(buf, n, "#PF, error code %#x%s", ec,
			 emulated ? " (from the emulator)" : "");
		return;
	case OUT_MMIO:
		snprintf(buf, n, "MMIO at gpa %#llx", gpa);
		return;
	default:
		snprintf(buf, n, "error: %s", err);
	}
}

/* The outcome the model expects for @a, from its translation @mr. */
static void expected(const struct mres *mr, const struct access *a,
		     struct outcome *x)
{
	struct region *r;

	memset(x, 0, sizeof(*x));
	if (mr->kind == MR_FAULT) {
		x->kind = OUT_PF;
		x->ec = mr->ec;
		return;
	}
	r = gpa_region(mr->gpa);
	x->gpa = mr->gpa;
	if (!r || (r->rom && a->kind == ACC_W)) {
		x->kind = OUT_MMIO;
		return;
	}
	x->kind = OUT_OK;
	x->hva = r->host + (mr->gpa - r->gpa);
}

static bool same_outcome(const struct outcome *x, const struct outcome *o)
{
	if (x->kind != o->kind)
		return false;
	switch (x->kind) {
	case OUT_PF:
		return x->ec == o->ec;
	case OUT_MMIO:
		return x->gpa == o->gpa;
	case OUT_OK:
		return x->hva == o->hva;
	}
	return true;
}

void do_access(struct hvcpu *hv, struct access *a)
{
	struct outcome x, o;
	char ms[200], ss[300];
	struct stale st;
	bool ram_write;
	struct mctx c;
	struct mres mr;
	u8 old[8];

	mctx_of(&c, hv);
	model_translate(&c, a->gva, a, &mr);
	expected(&mr, a, &x);
	if (mr.nused) {
		/* The leaf mostly, else any entry the walk went through. */
		int i = chance(60) ? mr.nused - 1 : (int)rnd_below(mr.nused);
		unsigned int k = hv->nrecent_ent++ % ARRAY_SIZE(hv->recent_ent);

		hv->recent_ent[k].gpa = mr.used[i].gpa;
		hv->recent_ent[k].level = mode_top(c.mode) - i;
		hv->recent_ent[k].mode = c.mode;
	}
	ram_write = a->kind == ACC_W && x.kind == OUT_OK;
	if (ram_write)
		sanitize_write(x.gpa, a->size, &a->wval);

	n_access++;
	hw_access(hv, a, &o);
	describe_outcome(ms, sizeof(ms), x.kind, x.ec, x.gpa, x.hva, "", false);
	describe_outcome(ss, sizeof(ss), o.kind, o.ec, o.gpa, o.hva, o.err,
			 o.emulated);
	note("vcpu%d: %s %d at %#llx%s%s: %s", hv->index, kind_name(a->kind),
	     a->size, a->gva, a->user ? " user" : "",
	     a->implicit ? " implicit" : "", ss);
	if (o.kind == OUT_ERROR || !same_outcome(&x, &o)) {
		model_explain(&c, a->gva, walk_desc, sizeof(walk_desc));
		fail(o.kind == OUT_ERROR ? "the strategy failed the access" :
		     "the strategy's answer differs from the model's", ms, ss);
	}
	n_fault += o.kind == OUT_PF;
	n_mmio += o.kind == OUT_MMIO;
	n_emulated += o.emulated;
	/* A page worth coming back to: it translated. */
	if (o.kind != OUT_PF)
		hv->recent[hv->nrecent++ % ARRAY_SIZE(hv->recent)] =
			a->gva & PAGE_MASK;

	/*
	 * A successful translation sets A/D; except that an instruction
	 * fetch from MMIO fails emulation in KVM before anything is set.
	 * Under nested paging the hardware sets them before the fetch
	 * reaches MMIO, unless it cannot (tdp_fetch_sets_nothing()).
	 */
	if (mr.kind == MR_OK &&
	    !(a->kind == ACC_X && (hw_tdp ? tdp_fetch_sets_nothing(&mr) :
				   x.kind == OUT_MMIO))) {
		int i;

		model_set_ad(&mr, a->kind == ACC_W);
		for (i = 0; i < mr.nused; i++)
			if ((mr.used[i].gpa & ~7ULL) == opt_watch) {
				model_explain(&c, a->gva, walk_desc, sizeof(walk_desc));
				printf("watch: op %lu: the walk of %#llx uses it: %s\n",
				       op_index, a->gva, walk_desc);
				walk_desc[0] = 0;
			}
	}
	if (x.kind == OUT_OK && a->kind != ACC_W) {
		u64 want = 0;

		memcpy(&want, gpa_expect(x.gpa), a->size);
		if (want != o.rval) {
			snprintf(ms, sizeof(ms), "read %#llx", want);
			snprintf(ss, sizeof(ss), "read %#llx", o.rval);
			fail("the bytes read differ", ms, ss);
		}
	}
	if (ram_write) {
		/*
		 * What the write makes stale is judged against the entries
		 * as the access's own translation left them: a write through
		 * a table mapping itself may undo the A/D bits it just set.
		 */
		memcpy(old, gpa_expect(x.gpa), a->size);
		stale_compute(x.gpa, a->size, &a->wval, &st);
		memcpy(gpa_expect(x.gpa), &a->wval, a->size);
		gmem_touch(x.gpa);
		if (memcmp(old, &a->wval, a->size))
			graphs_written(x.gpa);
	}
	check_memory(false);
	check_shim();
	if (ram_write) {
		stale_apply(&st);
		check_shim();
	}
}

/* ---- teardown ------------------------------------------------------- */

void teardown(void)
{
	int i;
	u64 j;

	snprintf(op_desc, sizeof(op_desc), "destroy the VM");
	the_kvm->dying = true;
	for (i = 0; i < nr_hvcpus; i++)
		ops->vcpu_destroy(&hvcpus[i]->vcpu);
	if (ops->vm_destroy)
		ops->vm_destroy(the_kvm);
	/* kvm_dirty_log_free_all(), as kvm_destroy() does. */
	for (i = 0; i < KVM_MAX_MEM_SLOTS; i++) {
		kfree(the_kvm->slots[i].dirty_bitmap);
		the_kvm->slots[i].dirty_bitmap = NULL;
	}
	if (shim_error())
		failf("kernel interface misused at teardown", "%s", shim_error());
	for (i = 0; i < RG_NR; i++)
		for (j = 0; j < regions[i].npages; j++)
			if (regions[i].pages[j].pins)
				failf("pins left after teardown",
				      "gpa %#llx still has %ld pin(s)",
				      regions[i].gpa + j * PAGE_SIZE,
				      regions[i].pages[j].pins);
	if (shim_cnt.refs)
		failf("page references left after teardown",
		      "%ld get_user_pages() reference(s) not put", shim_cnt.refs);
	if (shim_cnt.table_pages)
		failf("pages left after teardown", "%ld table page(s) not freed",
		      shim_cnt.table_pages);
	if (shim_cnt.kmallocs)
		failf("memory left after teardown", "%ld kmalloc block(s) not freed",
		      shim_cnt.kmallocs);
	if (shim_cnt.warns)
		failf("WARN fired", "%ld WARN(s)", shim_cnt.warns);
	if (shim_cnt.errs)
		failf("the strategy logged errors (--verbose shows them)",
		      "%ld pr_err() message(s)", shim_cnt.errs);
	for (i = 0; i < nr_hvcpus; i++) {
		graph_free(hvcpus[i]->graph);
		free(hvcpus[i]);
	}
	gmem_fini();
	free(the_kvm);
}
