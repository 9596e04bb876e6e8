// SPDX-License-Identifier: GPL-2.0
/*
 * mmucheck's guest: its address spaces in 32-bit, PAE and 4-level format,
 * built from random entries in a pool of table pages per mode, with a
 * window through which it rewrites them; and the random operations it
 * runs on its vCPUs (accesses, entry writes with the TLB maintenance the
 * architecture asks for, INVLPG, CR3 switches, toggles of the paging
 * controls, mode switches, rebuilds, slot changes, stray requests).
 *
 * Every choice here is a rnd() call; for one seed to give one sequence,
 * their order is part of the checker's behaviour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "mmucheck.h"
#include "driver.h"

/* ---- the guest's tables ------------------------------------------------- */

/*
 * RAM0 pages 16..159 are the pools of table pages, 48 per mode; ROM pages
 * 0..8 are page tables in ROM, 3 per mode (their content is written once
 * by the VMM, the guest cannot change it).  The rest of guest memory is
 * data.
 */
#define NAS		3
#define NMODES		3
#define POOL_PAGES	48
#define POOL_GFN	16
#define ROM_TABLES	3
#define NWIN		(NMODES * (POOL_PAGES + ROM_TABLES))

#define WIN_VA_LEGACY	0xc0000000ULL		/* PDE 768; PDPTE 3, PDE 0 */
#define WIN_VA_4L	0xffff800000000000ULL	/* PML4E 256 */

struct gmode {
	int mode;
	u64 pool[POOL_PAGES];
	u8 level[POOL_PAGES];		/* the level built as; 0: unused */
	bool pdpt[POOL_PAGES];		/* holds PAE PDPTs */
	u64 rom[ROM_TABLES];
	u8 rom_level[ROM_TABLES];
	u64 cr3[NAS];
};

static struct gmode gmodes[NMODES];

/*
 * 8-byte words of the pools holding window entries: mode index + 1 of
 * their owner, 0 if free.  Guest writes change only bits of these that
 * do not matter (A, D, G, the ignored 11:9), so that the window stays up.
 */
static u8 prot[NMODES * POOL_PAGES * 512];
static int rebuilding = -1;	/* a mode index whose window may go */

static int mi_of(int mode)
{
	return mode - PM_32;
}

static bool pool_of(u64 gpa, int *mi, int *i)
{
	u64 base = (u64)POOL_GFN << PAGE_SHIFT;
	u64 idx;

	if (gpa < base || gpa >= base + NMODES * POOL_PAGES * PAGE_SIZE)
		return false;
	idx = (gpa - base) >> PAGE_SHIFT;
	*mi = idx / POOL_PAGES;
	*i = idx % POOL_PAGES;
	return true;
}

static u64 win_page(int idx)
{
	if (idx < NMODES * POOL_PAGES)
		return ((u64)POOL_GFN + idx) << PAGE_SHIFT;
	idx -= NMODES * POOL_PAGES;
	return regions[RG_ROM].gpa + ((u64)idx << PAGE_SHIFT);
}

/* The window slot of the page of @gpa, or -1. */
static int win_index(u64 gpa)
{
	u64 rom = regions[RG_ROM].gpa;
	int mi, i;

	if (pool_of(gpa, &mi, &i))
		return mi * POOL_PAGES + i;
	if (gpa >= rom && gpa < rom + NMODES * ROM_TABLES * PAGE_SIZE)
		return NMODES * POOL_PAGES + ((gpa - rom) >> PAGE_SHIFT);
	return -1;
}

static u64 win_va(int mode, int idx)
{
	return (mode == PM_4L ? WIN_VA_4L : WIN_VA_LEGACY) +
	       ((u64)idx << PAGE_SHIFT);
}

/*
 * In PAE and 4-level paging, a second window: RAM0 (where the pools
 * are) as one 2 MiB page, the PDE after the window's page table.  Entry
 * writes go through it now and then, so that a strategy that maps RAM0
 * with one large shadow leaf must still see them.
 */
static u64 win_large_va(int mode)
{
	return (mode == PM_4L ? WIN_VA_4L : WIN_VA_LEGACY) + (1ULL << 21);
}

/* Bits of the 8-byte word at @wgpa (in a pool) that a write may flip. */
static u64 harmless_mask(u64 wgpa)
{
	int mi, i;
	u64 m;

	if (!pool_of(wgpa, &mi, &i))
		return 0;
	/* A, D and G are reserved in a PAE PDPTE. */
	m = gmodes[mi].pdpt[i] ? bits(9, 11) : (E_A | E_D | E_G | bits(9, 11));
	if (mode_esize(gmodes[mi].mode) == 4)
		m = (m & 0xffffffff) | (m << 32);
	return m;
}

/*
 * Keep the window up: in the bytes [@gpa, @gpa + @size) about to be
 * written with @val, protected words only get harmless bits flipped.
 */
void sanitize_write(u64 gpa, int size, u64 *val)
{
	u64 w, base = (u64)POOL_GFN << PAGE_SHIFT;
	u8 *v = (u8 *)val;
	int mi, i;

	if (!pool_of(gpa, &mi, &i))
		return;
	for (w = gpa & ~7ULL; w < gpa + size; w += 8) {
		int owner = prot[(w - base) / 8];
		u64 old, flip;
		u8 *o = (u8 *)&old, *f = (u8 *)&flip;
		int b;

		if (!owner || owner - 1 == rebuilding)
			continue;
		memcpy(&old, gpa_expect(w), 8);
		flip = rnd() & harmless_mask(w);
		for (b = 0; b < 8; b++)
			if (w + b >= gpa && w + b < gpa + size)
				v[w + b - gpa] = o[b] ^ f[b];
	}
}

/* ---- generating entries ------------------------------------------------- */

/* Staging for a mode's pool pages while (re)building it. */
static u8 stage[POOL_PAGES][PAGE_SIZE];

struct gen {
	struct gmode *gm;
	int mi;
	bool init;		/* the first build: ROM tables are written too */
	bool alloc;		/* may take free pool pages for new tables */
	int next_free;
	int quota;		/* new tables left for this address space */
};

static int g_esize(const struct gen *g)
{
	return mode_esize(g->gm->mode);
}

static void stage_put(struct gen *g, u64 egpa, u64 val)
{
	u64 rom = regions[RG_ROM].gpa;
	int mi, i;

	if (pool_of(egpa, &mi, &i) && mi == g->mi) {
		memcpy(&stage[i][egpa & ~PAGE_MASK], &val, g_esize(g));
		return;
	}
	if (g->init && egpa >= rom && egpa < rom + NMODES * ROM_TABLES * PAGE_SIZE) {
		/* ROM: the VMM writes it, before the guest runs. */
		memcpy(gpa_host(egpa), &val, g_esize(g));
		memcpy(gpa_expect(egpa), &val, g_esize(g));
		return;
	}
	fprintf(stderr, "mmucheck: internal error: stage_put(%#llx)\n", egpa);
	abort();
}

static u64 stage_get(struct gen *g, u64 egpa)
{
	u64 val = 0;
	int mi, i;

	if (pool_of(egpa, &mi, &i) && mi == g->mi)
		memcpy(&val, &stage[i][egpa & ~PAGE_MASK], g_esize(g));
	else if (gpa_expect(egpa))
		memcpy(&val, gpa_expect(egpa), g_esize(g));
	return val;
}

/* A page a 4 KiB leaf may map: data, ROM, holes, tables of any mode. */
static u64 pick_page(bool below_4g)
{
	unsigned int r = rnd_below(100);
	u64 gfn;

	if (r < 40) {
		gfn = rnd_below(16 + 352);
		return (gfn < 16 ? gfn : gfn + 144) << PAGE_SHIFT;
	}
	if (r < 50)
		return regions[RG_RAM1G].gpa + (rnd_below(64) << PAGE_SHIFT);
	if (r < 58 && !below_4g)
		return regions[RG_RAM4G].gpa + (rnd_below(64) << PAGE_SHIFT);
	if (r < 68)
		return regions[RG_ROM].gpa + (rnd_below(32) << PAGE_SHIFT);
	if (r < 80) {
		switch (rnd_below(5)) {
		case 0: return 0x200000 + (rnd_below(128) << PAGE_SHIFT);
		case 1: return 0x2a0000 + (rnd_below(64) << PAGE_SHIFT);
		case 2: return 0xfee00000;
		case 3: return 0x40040000 + (rnd_below(64) << PAGE_SHIFT);
		default:
			if (!below_4g)
				return 0x100040000 + (rnd_below(64) << PAGE_SHIFT);
			return 0xc0000000;
		}
	}
	/*
	 * A table page as data; not the page of the PAE PDPTs, which a
	 * table reaching it through a confused level would use as a table
	 * and put A and D bits into (see gen_child()).
	 */
	for (;;) {
		int idx = rnd_below(NWIN), mi, i;
		u64 gpa = win_page(idx);

		if (!pool_of(gpa, &mi, &i) || !gmodes[mi].pdpt[i])
			return gpa;
	}
}

/* The base of a large page of @size: over RAM, ROM and holes. */
static u64 pick_large(u64 size)
{
	static const u64 bases[] = {
		0x0, 0x200000, 0x400000, 0x40000000, 0x40200000,
		0x80000000, 0x100000000, 0x100200000, 0x7f00000000,
	};

	return bases[rnd_below(ARRAY_SIZE(bases))] & ~(size - 1);
}

static bool large_ok(int mode, int level)
{
	return level == 2 || (mode == PM_4L && level == 3);
}

/* Flags a present entry gets: leaves get more variety. */
static u64 gen_flags(struct gen *g, bool leaf)
{
	u64 f = E_P;

	if (chance(leaf ? 70 : 85))
		f |= E_W;
	if (chance(leaf ? 65 : 75))
		f |= E_U;
	if (chance(50))
		f |= E_A;
	if (leaf && chance(40))
		f |= E_D;
	if (leaf && chance(15))
		f |= E_G;
	if (chance(8))
		f |= E_PWT;
	if (chance(8))
		f |= E_PCD;
	if (chance(20))
		f |= rnd_below(8) << 9;
	if (g->gm->mode != PM_32 && chance(leaf ? 25 : 10))
		f |= E_XD;
	/* Ignored in 4-level entries (reserved in PAE ones). */
	if (g->gm->mode == PM_4L && chance(5))
		f |= (rnd_below(128)) << 52;
	return f;
}

static u64 gen_leaf(struct gen *g, int level)
{
	int mode = g->gm->mode;
	u64 f = gen_flags(g, true), gpa;

	if (level == 1) {
		gpa = pick_page(mode == PM_32);
		if (chance(8))
			f |= E_PS;	/* PAT in a 4 KiB leaf */
		return gpa | f;
	}
	gpa = pick_large(1ULL << mode_shift(mode, level));
	if (chance(8))
		f |= BIT_ULL(12);	/* PAT in a large leaf */
	if (mode == PM_32)	/* PSE-36: address bits 39:32 in 20:13 */
		return (gpa & bits(22, 31)) | (((gpa >> 32) & 0xff) << 13) |
		       E_PS | (f & 0xffffffff);
	return gpa | E_PS | f;
}

static void gen_fill(struct gen *g, u64 table, int level, int n, int avoid);

/* A table for an entry at @level + 1 to point to. */
static u64 gen_child(struct gen *g, int level)
{
	struct gmode *gm = g->gm;
	unsigned int r = rnd_below(100);
	int i, tries;

	if (g->alloc && g->quota > 0 && g->next_free < POOL_PAGES && r < 55) {
		i = g->next_free++;
		g->quota--;
		gm->level[i] = level;
		gen_fill(g, gm->pool[i], level,
			 level == 1 ? 2 + rnd_below(10) : 1 + rnd_below(5), -1);
		return gm->pool[i];
	}
	if (r < 88) {
		/*
		 * An existing table: shared subtrees, odd levels, loops.  Not
		 * the page of PAE PDPTs: used as a table of another level, it
		 * would get A and D bits, which are reserved in a PDPTE, and
		 * a PDPTE that changes without a CR3 load is where KVM (which
		 * reads PDPTEs at walk time) and the CPU (which loads them
		 * with CR3) part ways.  For the same reason the window's page
		 * table (pool page 0), which maps that page, is a page table
		 * only.
		 */
		for (tries = 0; tries < 20; tries++) {
			i = rnd_below(POOL_PAGES);
			if (gm->level[i] && !gm->pdpt[i] && (i || level == 1) &&
			    (gm->level[i] == level || chance(30)))
				return gm->pool[i];
		}
	}
	if (r < 95)
		return gm->rom[rnd_below(ROM_TABLES)];
	/* A table in a hole: reads as not present. */
	return 0x200000 + (rnd_below(128) << PAGE_SHIFT);
}

static u64 gen_table_entry(struct gen *g, int level, u64 child)
{
	if (g->gm->mode == PM_PAE && level == 3) {
		/* A PDPTE: P, PWT, PCD, the ignored 11:9 and the address. */
		u64 e = E_P | child;

		if (chance(10))
			e |= E_PWT | E_PCD;
		if (chance(20))
			e |= rnd_below(8) << 9;
		return e;
	}
	return child | gen_flags(g, false);
}

/* A present entry with one reserved bit set, where the mode has some. */
static u64 gen_rsvd(struct gen *g, int level)
{
	int mode = g->gm->mode;
	u64 e;

	if (mode == PM_32) {
		if (level == 1)
			return gen_leaf(g, 1);
		return gen_leaf(g, 2) | BIT_ULL(21);
	}
	if (mode == PM_PAE && level == 3) {
		static const int rb[] = { 1, 2, 5, 6, 7, 8, 50, 63 };

		/* One call per statement: the seed must give one sequence. */
		e = gen_table_entry(g, 3, gen_child(g, 2));
		return e | BIT_ULL(rb[rnd_below(ARRAY_SIZE(rb))]);
	}
	if (large_ok(mode, level) && chance(50)) {
		e = gen_leaf(g, level);
		return e | BIT_ULL(13 + rnd_below(level == 3 ? 17 : 8));
	}
	if (mode == PM_4L && level == 4 && chance(50))
		return gen_table_entry(g, level, gen_child(g, 3)) | E_PS;
	e = level == 1 ? gen_leaf(g, 1) : gen_table_entry(g, level, gen_child(g, level - 1));
	return e | BIT_ULL(MAXPHYADDR + rnd_below(mode == PM_4L ? 4 : 15));
}

static u64 gen_entry(struct gen *g, int level)
{
	unsigned int r = rnd_below(100);
	u64 e;

	if (r < 8) {
		/* Not present; the other bits are the OS's. */
		e = chance(50) ? 0 : rnd() & ~E_P;
		return g->gm->mode == PM_32 ? (u32)e : e;
	}
	if (r < 12)
		return gen_rsvd(g, level);
	if (g->gm->mode == PM_PAE && level == 3)
		return gen_table_entry(g, 3, gen_child(g, 2));
	if (level == 1 || (large_ok(g->gm->mode, level) && chance(35)))
		return gen_leaf(g, level);
	return gen_table_entry(g, level, gen_child(g, level - 1));
}

static void gen_fill(struct gen *g, u64 table, int level, int n, int avoid)
{
	int nent = mode_nent(g->gm->mode, level);
	int esize = g_esize(g);

	while (n-- > 0) {
		int idx = rnd_below(nent);
		u64 egpa = table + (u64)idx * esize;

		if (idx == avoid || stage_get(g, egpa))
			continue;
		stage_put(g, egpa, gen_entry(g, level));
	}
}

/* A leaf of the window: supervisor, writable, executable. */
static u64 win_leaf(u64 gpa)
{
	u64 f = E_P | E_W;

	if (chance(50))
		f |= E_A;
	if (chance(50))
		f |= E_D;
	if (chance(20))
		f |= E_G;
	return gpa | f;
}

static u64 win_table(u64 child)
{
	u64 f = E_P | E_W;

	if (chance(50))
		f |= E_A;
	if (chance(50))
		f |= E_U;
	return child | f;
}

/* The large window's entry: RAM0, supervisor, writable. */
static u64 win_large(void)
{
	u64 f = E_P | E_W | E_PS;

	BUILD_BUG_ON(POOL_GFN + NMODES * POOL_PAGES > 512);
	if (chance(50))
		f |= E_A;
	if (chance(50))
		f |= E_D;
	return regions[RG_RAM0].gpa | f;
}

static void protect(struct gen *g, u64 egpa)
{
	prot[(egpa - ((u64)POOL_GFN << PAGE_SHIFT)) / 8] = g->mi + 1;
}

static u64 take_page(struct gen *g, int level)
{
	int i = g->next_free++;

	g->gm->level[i] = level;
	return g->gm->pool[i];
}

/*
 * Build mode @mi's address spaces into stage[] (and, the first time, its
 * ROM tables straight into memory): the window, then random entries.
 */
static void gen_mode(int mi, bool init)
{
	struct gmode *gm = &gmodes[mi];
	int mode = gm->mode, top = mode_top(mode), esize = mode_esize(mode);
	struct gen g = { .gm = gm, .mi = mi, .init = init, .alloc = true };
	u64 win_pt, win_pd = 0, win_pdpt = 0, pdpt_page = 0;
	int a, i, k, win_idx;
	u64 base = (u64)POOL_GFN << PAGE_SHIFT;

	memset(stage, 0, sizeof(stage));
	memset(gm->level, 0, sizeof(gm->level));
	memset(gm->pdpt, 0, sizeof(gm->pdpt));
	for (i = 0; i < POOL_PAGES * 512; i++)
		if (prot[(gm->pool[0] - base) / 8 + i] == mi + 1)
			prot[(gm->pool[0] - base) / 8 + i] = 0;

	/* The window: one shared page table mapping every table page. */
	win_pt = take_page(&g, 1);
	for (i = 0; i < NWIN; i++) {
		stage_put(&g, win_pt + (u64)i * esize, win_leaf(win_page(i)));
		protect(&g, win_pt + (u64)i * esize);
	}
	/* More entries beside them (gen_fill() skips used ones). */
	gen_fill(&g, win_pt, 1, 4, -1);
	if (mode == PM_4L) {
		win_pd = take_page(&g, 2);
		win_pdpt = take_page(&g, 3);
		stage_put(&g, win_pd, win_table(win_pt));
		protect(&g, win_pd);
		stage_put(&g, win_pdpt, win_table(win_pd));
		protect(&g, win_pdpt);
		stage_put(&g, win_pd + 8, win_large());
		protect(&g, win_pd + 8);
	}
	if (mode == PM_PAE) {
		pdpt_page = take_page(&g, 3);
		gm->pdpt[g.next_free - 1] = true;
	}

	for (a = 0; a < NAS; a++) {
		u64 root;

		g.quota = (POOL_PAGES - g.next_free) / (NAS - a + 1);
		switch (mode) {
		case PM_32:
			root = take_page(&g, 2);
			win_idx = WIN_VA_LEGACY >> 22;
			stage_put(&g, root + win_idx * 4, win_table(win_pt));
			protect(&g, root + win_idx * 4);
			gen_fill(&g, root, 2, 2 + rnd_below(6), win_idx);
			break;
		case PM_PAE:
			/* 128 PDPTs fit in the page; any 32-byte slot. */
			do {
				root = pdpt_page + 32 * rnd_below(128);
			} while (stage_get(&g, root + 24));
			win_pd = take_page(&g, 2);
			stage_put(&g, win_pd, win_table(win_pt));
			protect(&g, win_pd);
			stage_put(&g, win_pd + 8, win_large());
			protect(&g, win_pd + 8);
			gen_fill(&g, win_pd, 2, rnd_below(4), 0);
			stage_put(&g, root + 24, gen_table_entry(&g, 3, win_pd));
			protect(&g, root + 24);
			gen_fill(&g, root, 3, 1 + rnd_below(3), 3);
			break;
		default:
			root = take_page(&g, 4);
			win_idx = (WIN_VA_4L >> 39) & 511;
			stage_put(&g, root + win_idx * 8, win_table(win_pdpt));
			protect(&g, root + win_idx * 8);
			gen_fill(&g, root, 4, 2 + rnd_below(5), win_idx);
			break;
		}
		/* A table that maps itself, as Windows' and some OSes' do. */
		if (mode != PM_PAE && chance(30)) {
			k = rnd_below(mode_nent(mode, top));
			if (!stage_get(&g, root + (u64)k * esize) &&
			    k != (int)((mode == PM_32 ? WIN_VA_LEGACY >> 22 :
					(WIN_VA_4L >> 39) & 511)))
				stage_put(&g, root + (u64)k * esize,
					  gen_table_entry(&g, top, root));
		}
		gm->cr3[a] = root;
	}
	/* Shared random entries beside the window's. */
	if (mode == PM_4L) {
		gen_fill(&g, win_pd, 2, 2, 0);
		gen_fill(&g, win_pdpt, 3, 2, 0);
	}

	/* The rest of the pool: more tables, reachable by later writes. */
	g.alloc = false;
	while (g.next_free < POOL_PAGES) {
		int level = 1 + rnd_below(mode == PM_PAE ? 2 : top);

		i = g.next_free;
		take_page(&g, level);
		gen_fill(&g, gm->pool[i], level, 1 + rnd_below(6), -1);
	}

	if (init) {
		for (k = 0; k < ROM_TABLES; k++) {
			gm->rom_level[k] = k < 2 ? 1 : (top > 2 ? 2 : 1);
			gen_fill(&g, gm->rom[k], gm->rom_level[k], 3 + rnd_below(8), -1);
		}
	}
}

/* ---- operations ------------------------------------------------------------- */

/* A write the guest's kernel makes to one of its page tables. */
static void guest_pt_write(struct hvcpu *hv, u64 gpa, int size, u64 val)
{
	int mode = hv_mode(hv);
	struct access a = {
		.kind = ACC_W,
		.size = size,
		.wval = val,
	};

	if (mode == PM_OFF)
		a.gva = gpa;
	else if ((mode == PM_PAE || mode == PM_4L) &&
		 gpa < regions[RG_RAM0].npages * PAGE_SIZE && chance(25))
		a.gva = win_large_va(mode) + gpa;
	else
		a.gva = win_va(mode, win_index(gpa)) + (gpa & ~PAGE_MASK);
	n_ptewrite++;
	do_access(hv, &a);
}

/* Where an access goes: mostly mapped addresses, often recent ones. */
static u64 pick_va(struct hvcpu *hv, const struct mctx *c)
{
	unsigned int r = rnd_below(100), n;
	int mode = c->mode;
	u64 va, size;

	if (hv->nrecent && r < 30) {
		/*
		 * Back to a page used lately, maybe in another way: what a
		 * strategy got wrong then shows now.  Mostly the last few.
		 */
		n = min(hv->nrecent, (unsigned int)ARRAY_SIZE(hv->recent));
		if (chance(70))
			n = min(n, 4u);
		va = hv->recent[(hv->nrecent - 1 - rnd_below(n)) %
				ARRAY_SIZE(hv->recent)];
	} else if (mode == PM_OFF) {
		if (r < 40)
			va = rnd_below(512) << PAGE_SHIFT;
		else if (r < 50)
			va = regions[RG_ROM].gpa + (rnd_below(40) << PAGE_SHIFT);
		else if (r < 60)
			va = 0x200000 + (rnd_below(128) << PAGE_SHIFT);
		else if (r < 80)
			va = regions[RG_RAM1G].gpa + (rnd_below(80) << PAGE_SHIFT);
		else
			va = (u32)rnd() & PAGE_MASK;
	} else if (r < 75 && model_sample(c, rnd, &va, &size)) {
		/* In a large page, mostly a few pages that come back. */
		if (chance(50))
			va += (rnd_below(4) << PAGE_SHIFT) & (size - 1);
		else
			va += rnd() & (size - 1) & PAGE_MASK;
		if (r >= 68)
			va += chance(50) ? PAGE_SIZE : -PAGE_SIZE;
	} else if (r < 85) {
		va = win_va(mode, rnd_below(NWIN));
	} else if (mode == PM_4L) {
		va = rnd() & bits(12, 47);
	} else {
		va = (u32)rnd() & PAGE_MASK;
	}
	return model_canonical(c, va);
}

/* One access to the page at @va, of kind @kind or a random one if < 0. */
static int one_access(struct hvcpu *hv, u64 va, int kind)
{
	struct access a = { 0 };
	unsigned int r;
	bool smap_ac;

	a.size = 1 << rnd_below(4);
	a.gva = va + (rnd_below(PAGE_SIZE) & ~(u64)(a.size - 1));
	r = rnd_below(100);
	a.kind = kind >= 0 ? kind : r < 45 ? ACC_R : r < 80 ? ACC_W : ACC_X;
	/* Implicit supervisor accesses: descriptor tables, the TSS. */
	a.implicit = a.kind != ACC_X && chance(4);
	smap_ac = hv_cpl(hv) < 3 && (hv->vcpu.rflags & X86_EFLAGS_AC) &&
		  (hv->vcpu.cr4 & X86_CR4_SMAP);
	if (a.implicit && smap_ac && (opt_avoid & AVOID_IMPLICIT_AC))
		a.implicit = false;
	a.user = hv_cpl(hv) == 3 && !a.implicit;
	if (a.kind == ACC_W && !a.user && smap_ac &&
	    !(hv->vcpu.cr0 & X86_CR0_WP) && (opt_avoid & AVOID_WP0_SMAP))
		a.kind = ACC_R;
	a.wval = rnd();
	snprintf(op_desc, sizeof(op_desc), "vcpu%d %s %s of %d bytes at %#llx",
		 hv->index, a.user ? "user" : a.implicit ? "implicit" : "supervisor",
		 kind_name(a.kind), a.size, a.gva);
	do_access(hv, &a);
	return a.kind;
}

static void op_cpl(struct hvcpu *hv);
static void op_ac(struct hvcpu *hv);

/*
 * One access, or a burst of a few on one page and its neighbours, with
 * maybe a change of CPL or RFLAGS.AC in between (the kernel wrote a user
 * page, then the user reads it): no flush comes between them.
 */
static void op_access(struct hvcpu *hv)
{
	int n = chance(35) ? 2 + rnd_below(3) : 1, kind = -1;
	struct mctx c;
	u64 va;

	mctx_of(&c, hv);
	va = pick_va(hv, &c);
	while (n--) {
		kind = one_access(hv, va, kind);
		if (!n)
			break;
		/* After a kernel write, often back to the user. */
		if (kind == ACC_W && hv_cpl(hv) == 0 && chance(50))
			op_cpl(hv);
		else if (!chance(40))
			;
		else if (chance(50))
			op_cpl(hv);
		else
			op_ac(hv);
		if (chance(25))
			va = model_canonical(&c, va + (chance(50) ? PAGE_SIZE :
						       -PAGE_SIZE));
		/* Mostly another kind of access: what else does it allow? */
		kind = chance(60) ? (kind + 1 + (int)rnd_below(2)) % 3 : -1;
	}
}

/* Whether [@gpa, +@size) may take a random value (no window entry in it). */
static bool unprotected(u64 gpa, int size)
{
	u64 base = (u64)POOL_GFN << PAGE_SHIFT, w;
	int mi, i;

	if (!pool_of(gpa, &mi, &i))
		return true;
	for (w = gpa & ~7ULL; w < gpa + size; w += 8)
		if (prot[(w - base) / 8])
			return false;
	return true;
}

/* A new value for the entry @old at @level of a @mode table. */
static u64 mutate(struct gen *g, u64 old, int level, bool pdpte)
{
	int mode = g->gm->mode;
	unsigned int r = rnd_below(100);
	u64 e = old;

	if (pdpte) {
		if (r < 30)
			return old ^ E_P;
		if (r < 55)
			return gen_table_entry(g, 3, gen_child(g, 2));
		if (r < 70)
			return gen_rsvd(g, 3);
		if (r < 80)
			return 0;
		return old ^ (rnd_below(8) << 9);
	}
	if (r < 14)
		e ^= E_P;
	else if (r < 26)
		e ^= E_W;
	else if (r < 38)
		e ^= E_U;
	else if (r < 46)
		e ^= mode == PM_32 ? E_W : E_XD;
	else if (r < 54)
		e ^= E_A;
	else if (r < 62)
		e ^= E_D;
	else if (r < 66)
		e ^= E_G;
	else if (r < 72)
		e ^= level > 1 ? E_PS : E_A;
	else if (r < 84)
		e = gen_entry(g, level);
	else if (r < 88)
		e = 0;
	else if (r < 92)
		e = gen_rsvd(g, level);
	else if ((old & E_PS) || level == 1)
		e = (gen_leaf(g, level > 1 && large_ok(mode, level) ? level : 1) &
		     ~bits(0, 11)) | (old & bits(0, 11));
	else
		e = gen_table_entry(g, level, gen_child(g, level - 1));
	return mode == PM_32 ? (u32)e : e;
}

static void write_entry(struct hvcpu *hv, int mi, u64 egpa, int level,
			bool pdpte);

static void op_pte_write(struct hvcpu *hv)
{
	int mode = hv_mode(hv), level = 1, nent = 0, mi = 0, esize, i, tries;
	bool pdpte = false;
	u64 base = 0;
	int idx;

	/*
	 * An entry a recent access went through (what a strategy may have
	 * cached), of the current address space, or of any pool page.
	 */
	for (tries = 0; tries < 8; tries++) {
		unsigned int k;

		if (mode != PM_OFF && hv->nrecent_ent && chance(40)) {
			k = (hv->nrecent_ent - 1 - rnd_below(min(hv->nrecent_ent, 8u))) %
			    ARRAY_SIZE(hv->recent_ent);
			if (hv->recent_ent[k].mode != mode ||
			    win_index(hv->recent_ent[k].gpa) < 0)
				continue;
			mi = mi_of(mode);
			level = hv->recent_ent[k].level;
			pdpte = mode == PM_PAE && level == 3;
			base = hv->recent_ent[k].gpa;
			nent = 1;
		} else if (mode != PM_OFF && chance(60)) {
			graph_sync(hv);
			if (!graph_pick_table(hv->graph, rnd, &base, &level, &nent) ||
			    win_index(base) < 0)
				continue;
			mi = mi_of(mode);
			pdpte = mode == PM_PAE && level == 3;
		} else {
			mi = mode != PM_OFF && chance(70) ? mi_of(mode) :
			     (int)rnd_below(NMODES);
			i = rnd_below(POOL_PAGES);
			base = gmodes[mi].pool[i];
			level = gmodes[mi].level[i];
			nent = mode_nent(gmodes[mi].mode, level);
			if (gmodes[mi].pdpt[i]) {
				level = 3;
				nent = 512;
				pdpte = true;
			}
		}
		break;
	}
	if (tries == 8)
		return;
	esize = mode_esize(gmodes[mi].mode);

	/* Mostly an entry in use; a random one otherwise. */
	idx = rnd_below(nent);
	for (tries = 0; tries < 16 && chance(70); tries++) {
		u64 e = 0;

		memcpy(&e, gpa_expect(base + (u64)idx * esize), esize);
		if (e)
			break;
		idx = rnd_below(nent);
	}
	write_entry(hv, mi, base + (u64)idx * esize, level, pdpte);
}

/*
 * The guest changes the entry at @egpa, which it sees as one of a
 * level-@level table of mode index @mi, with an ordinary write.
 */
static void write_entry(struct hvcpu *hv, int mi, u64 egpa, int level,
			bool pdpte)
{
	struct gen g = { .gm = &gmodes[mi], .mi = mi };
	int esize = mode_esize(g.gm->mode);
	u64 old = 0, new;
	int size, off;

	if (!gpa_expect(egpa))
		return;
	memcpy(&old, gpa_expect(egpa), esize);
	if (unprotected(egpa, esize))
		new = mutate(&g, old, level, pdpte);
	else
		new = old;	/* sanitize_write() flips harmless bits */

	/* Sometimes only part of the entry, as a guest may write it. */
	size = esize;
	off = 0;
	if (chance(15)) {
		size = esize == 8 && chance(70) ? 4 : 1 << rnd_below(esize == 8 ? 2 : 1);
		off = rnd_below(esize / size) * size;
	}
	new >>= 8 * off;
	if (size < 8)
		new &= (1ULL << (8 * size)) - 1;
	snprintf(op_desc, sizeof(op_desc),
		 "vcpu%d writes %d bytes %#llx at gpa %#llx (entry %#llx of a level-%d %s table: %#llx)",
		 hv->index, size, new, egpa + off, egpa, level,
		 mode_name(g.gm->mode), old);
	guest_pt_write(hv, egpa + off, size, new);
}

/*
 * Change the leaf of a page in use, then use it and another page of the
 * same (large) page again: the strategy must have let go of everything
 * the leaf gave, as the guest invalidated it.
 */
static void op_remap(struct hvcpu *hv)
{
	int mode = hv_mode(hv), level;
	struct access probe = { .kind = ACC_R };
	struct mctx c;
	struct mres mr;
	u64 va, egpa, size;

	if (mode == PM_OFF || !hv->nrecent)
		return;
	va = hv->recent[(hv->nrecent - 1 - rnd_below(min(hv->nrecent, 4u))) %
			ARRAY_SIZE(hv->recent)];
	mctx_of(&c, hv);
	model_translate(&c, va, &probe, &mr);
	if (!mr.nused)
		return;
	/* The leaf, if the walk got there; the entry it stopped at else. */
	egpa = mr.used[mr.nused - 1].gpa;
	level = mode_top(mode) - (mr.nused - 1);
	if (win_index(egpa) < 0)
		return;
	write_entry(hv, mi_of(mode), egpa, level, mode == PM_PAE && level == 3);
	one_access(hv, va, -1);
	size = 1ULL << mode_shift(mode, level);
	va &= ~(size - 1);
	va += chance(50) ? (rnd_below(4) << PAGE_SHIFT) & (size - 1) :
			   rnd() & (size - 1) & PAGE_MASK;
	one_access(hv, model_canonical(&c, va), -1);
}

static void op_invlpg(struct hvcpu *hv)
{
	struct mctx c;
	u64 va, size;

	mctx_of(&c, hv);
	if (!model_sample(&c, rnd, &va, &size) || chance(20))
		va = c.mode == PM_4L ? rnd() & bits(0, 47) : (u32)rnd();
	else
		va += rnd() & (size - 1);
	va = model_canonical(&c, va);
	snprintf(op_desc, sizeof(op_desc), "vcpu%d: INVLPG %#llx", hv->index, va);
	note("%s", op_desc);
	hw_invlpg(hv, va);
}

static u64 as_cr3(int mode, int as)
{
	u64 cr3;

	if (mode == PM_OFF)
		return gmodes[mi_of(PM_4L)].cr3[as];
	cr3 = gmodes[mi_of(mode)].cr3[as];
	/* PWT and PCD: ignored by the walk, but the guest may set them. */
	if (chance(10))
		cr3 |= E_PWT;
	if (chance(10))
		cr3 |= E_PCD;
	return cr3;
}

static void op_cr3(struct hvcpu *hv)
{
	int mode = hv_mode(hv);

	if (chance(70))
		hv->as = rnd_below(NAS);
	snprintf(op_desc, sizeof(op_desc), "vcpu%d: CR3 = address space %d of %s",
		 hv->index, hv->as, mode_name(mode));
	note("%s", op_desc);
	set_cr3(hv, as_cr3(mode, hv->as));
}

static void op_toggle(struct hvcpu *hv)
{
	struct kvm_vcpu *v = &hv->vcpu;
	unsigned int r = rnd_below(6);
	static const char *const names[] = {
		"CR0.WP", "CR4.SMEP", "CR4.SMAP", "CR4.PGE", "CR4.PSE", "EFER.NXE",
	};

	snprintf(op_desc, sizeof(op_desc), "vcpu%d: toggle %s", hv->index,
		 names[r]);
	note("%s", op_desc);
	switch (r) {
	case 0: set_cr0(hv, v->cr0 ^ X86_CR0_WP); break;
	case 1: set_cr4(hv, v->cr4 ^ X86_CR4_SMEP); break;
	case 2: set_cr4(hv, v->cr4 ^ X86_CR4_SMAP); break;
	case 3: set_cr4(hv, v->cr4 ^ X86_CR4_PGE); break;
	case 4: set_cr4(hv, v->cr4 ^ X86_CR4_PSE); break;
	default: set_efer(hv, v->efer ^ EFER_NX); break;
	}
}

/* Switch paging mode the way a guest must: through paging off. */
void switch_mode(struct hvcpu *hv, int target)
{
	struct kvm_vcpu *v = &hv->vcpu;

	if (v->cr0 & X86_CR0_PG)
		set_cr0(hv, v->cr0 & ~(u64)X86_CR0_PG);
	if (target == PM_PAE || target == PM_4L)
		set_cr4(hv, v->cr4 | X86_CR4_PAE);
	else if (target == PM_32 || chance(50))
		set_cr4(hv, v->cr4 & ~(u64)X86_CR4_PAE);
	/* 32-bit paging mostly with 4 MiB pages, as OSes run it. */
	if (target == PM_32 && chance(70))
		set_cr4(hv, v->cr4 | X86_CR4_PSE);
	if (target == PM_4L)
		set_efer(hv, v->efer | EFER_LME);
	else
		set_efer(hv, v->efer & ~(u64)EFER_LME);
	if (target == PM_OFF) {
		/* Protected mode without paging, or real mode. */
		set_cr0(hv, chance(70) ? v->cr0 | X86_CR0_PE :
			    v->cr0 & ~(u64)X86_CR0_PE);
		return;
	}
	hv->as = rnd_below(NAS);
	set_cr3(hv, as_cr3(target, hv->as));
	set_cr0(hv, v->cr0 | X86_CR0_PG | X86_CR0_PE);
}

static void op_mode(struct hvcpu *hv)
{
	static const int targets[] = { PM_OFF, PM_32, PM_32, PM_PAE, PM_PAE,
				       PM_4L, PM_4L, PM_4L };
	int target = targets[rnd_below(ARRAY_SIZE(targets))];

	snprintf(op_desc, sizeof(op_desc), "vcpu%d: %s -> %s", hv->index,
		 mode_name(hv_mode(hv)), mode_name(target));
	note("%s", op_desc);
	switch_mode(hv, target);
}

static void op_cpl(struct hvcpu *hv)
{
	hv->cpl ^= 3;
	snprintf(op_desc, sizeof(op_desc), "vcpu%d: CPL %d", hv->index, hv->cpl);
	note("%s", op_desc);
}

static void op_ac(struct hvcpu *hv)
{
	hv->vcpu.rflags ^= X86_EFLAGS_AC;
	snprintf(op_desc, sizeof(op_desc), "vcpu%d: RFLAGS.AC %d", hv->index,
		 !!(hv->vcpu.rflags & X86_EFLAGS_AC));
	note("%s", op_desc);
}

static void op_flush(struct hvcpu *hv)
{
	snprintf(op_desc, sizeof(op_desc), "vcpu%d: flush", hv->index);
	full_flush(hv, "for no reason");
}

/*
 * Rebuild the address spaces of a mode no vCPU is in, with guest writes
 * from @hv (through its window, or its identity map with paging off).
 */
static void op_rebuild(struct hvcpu *hv)
{
	int mi, i, j, off, tries;
	struct gmode *gm;

	for (tries = 0; tries < 8; tries++) {
		mi = rnd_below(NMODES);
		for (j = 0; j < nr_hvcpus; j++)
			if (hv_mode(hvcpus[j]) == gmodes[mi].mode)
				break;
		if (j == nr_hvcpus)
			break;
	}
	if (tries == 8)
		return;
	gm = &gmodes[mi];
	snprintf(op_desc, sizeof(op_desc), "vcpu%d rebuilds the %s address spaces",
		 hv->index, mode_name(gm->mode));
	note("%s", op_desc);
	gen_mode(mi, false);
	rebuilding = mi;
	for (i = 0; i < POOL_PAGES; i++) {
		for (off = 0; off < (int)PAGE_SIZE; off += 8) {
			u64 want, have;

			memcpy(&want, &stage[i][off], 8);
			memcpy(&have, gpa_expect(gm->pool[i] + off), 8);
			if (want == have)
				continue;
			if (mode_esize(gm->mode) == 4 && (u32)want == (u32)have)
				guest_pt_write(hv, gm->pool[i] + off + 4, 4, want >> 32);
			else if (mode_esize(gm->mode) == 4 && want >> 32 == have >> 32)
				guest_pt_write(hv, gm->pool[i] + off, 4, (u32)want);
			else
				guest_pt_write(hv, gm->pool[i] + off, 8, want);
		}
	}
	rebuilding = -1;
}

static void op_slot(struct hvcpu *hv)
{
	bool present = !regions[RG_RAM1G].present;
	int i;

	snprintf(op_desc, sizeof(op_desc), "%s the slot of %s",
		 present ? "re-add" : "remove", regions[RG_RAM1G].name);
	note("%s", op_desc);
	(void)hv;
	gmem_set_present(the_kvm, RG_RAM1G, present);
	for (i = 0; i < nr_hvcpus; i++)
		graph_invalidate(hvcpus[i]->graph);
}

static void op_request(struct hvcpu *hv)
{
	int req = chance(50) ? KVM_REQ_TLB_FLUSH : KVM_REQ_MMU_RELOAD;

	(void)hv;
	snprintf(op_desc, sizeof(op_desc), "request %s on every vCPU",
		 req == KVM_REQ_TLB_FLUSH ? "TLB_FLUSH" : "MMU_RELOAD");
	note("%s", op_desc);
	kvm_make_all_vcpus_request(the_kvm, req);
}

/*
 * --dirty-log: dirty logging of RAM0, on a fixed schedule that draws no
 * random number: every DIRTY_EVERY operations, turn it on, get the log
 * (six times), or turn it off.  A
 * get checks that every page written since the last one has its bit:
 * by the simulated CPU through a shadow leaf, by the walker's A/D bits,
 * by the emulator, by the nested table's D bits (tdp, harvested first).
 * Then, as KVM_GET_DIRTY_LOG, it takes the bits and has the strategy
 * protect those pages, so that the next write is logged again.
 */
#define DIRTY_EVERY	64
#define DIRTY_PHASES	8

static void dirty_log_step(void)
{
	struct region *r = &regions[RG_RAM0];
	struct kvm_memory_slot *slot = &the_kvm->slots[r->slot];
	unsigned long taken[(512 + 63) / 64];
	unsigned int phase = (op_index / DIRTY_EVERY) % DIRTY_PHASES;
	u64 i;

	if (phase == 0 || !slot->dirty_bitmap) {
		if (slot->dirty_bitmap)
			return;
		snprintf(op_desc, sizeof(op_desc), "dirty logging on for %s",
			 r->name);
		note("%s", op_desc);
		gmem_set_log(the_kvm, RG_RAM0, true);
		memset(gmem_written + r->first_gpi, 0, r->npages);
		memset(gmem_maylog + r->first_gpi, 0, r->npages);
		return;
	}
	if (phase == DIRTY_PHASES - 1) {
		snprintf(op_desc, sizeof(op_desc), "dirty logging off for %s",
			 r->name);
		note("%s", op_desc);
		gmem_set_log(the_kvm, RG_RAM0, false);
		return;
	}
	snprintf(op_desc, sizeof(op_desc), "KVM_GET_DIRTY_LOG of %s", r->name);
	note("%s", op_desc);
	/* As dirty_log.c: the strategy's hardware log first (tdp's D bits). */
	down_read(&the_kvm->slots_lock);
	if (the_kvm->mmu_ops->dirty_log_harvest)
		the_kvm->mmu_ops->dirty_log_harvest(the_kvm, slot);
	up_read(&the_kvm->slots_lock);
	for (i = 0; i < r->npages; i++) {
		if (gmem_written[r->first_gpi + i] && !test_bit(i, slot->dirty_bitmap))
			failf("a write missing from the dirty log",
			      "page %#llx of %s was written since the last get, its bit is clear",
			      r->gpa + i * PAGE_SIZE, r->name);
		/* Nor more: a page logged must have been written. */
		if (!gmem_written[r->first_gpi + i] &&
		    !gmem_maylog[r->first_gpi + i] &&
		    test_bit(i, slot->dirty_bitmap))
			failf("a page in the dirty log that was not written",
			      "page %#llx of %s has its bit set, but nothing wrote it since the last get",
			      r->gpa + i * PAGE_SIZE, r->name);
	}
	memcpy(taken, slot->dirty_bitmap, sizeof(taken));
	memset(slot->dirty_bitmap, 0, sizeof(taken));
	memset(gmem_written + r->first_gpi, 0, r->npages);
	memset(gmem_maylog + r->first_gpi, 0, r->npages);
	down_read(&the_kvm->slots_lock);
	if (the_kvm->mmu_ops->dirty_log_protect)
		the_kvm->mmu_ops->dirty_log_protect(the_kvm, slot, 0, taken,
						    r->npages);
	up_read(&the_kvm->slots_lock);
}

static const struct {
	void (*fn)(struct hvcpu *hv);
	unsigned int weight;		/* per 10000 */
} op_table[] = {
	{ op_access,	5600 },
	{ op_pte_write,	1200 },
	{ op_remap,	 400 },
	{ op_invlpg,	 300 },
	{ op_cr3,	 600 },
	{ op_flush,	 150 },
	{ op_toggle,	 500 },
	{ op_cpl,	 450 },
	{ op_ac,	 450 },
	{ op_mode,	 200 },
	{ op_rebuild,	   3 },
	{ op_slot,	  40 },
	{ op_request,	 107 },
};

/* Run operation @r (0..9999, drawn by the caller) of op_table[] on @hv. */
void guest_op(struct hvcpu *hv, unsigned int r)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(op_table) - 1; i++) {
		if (r < op_table[i].weight)
			break;
		r -= op_table[i].weight;
	}
	op_table[i].fn(hv);
	if (opt_dirty_log && !(op_index % DIRTY_EVERY))
		dirty_log_step();
}

/* ---- guest memory at the start -------------------------------------- */

void setup_guest_memory(void)
{
	int mi, i, r;
	u64 j;

	/* Data pages: random bytes, the same for the VMM and the model. */
	for (r = 0; r < RG_NR; r++)
		for (j = 0; j < regions[r].npages * PAGE_SIZE; j += 8) {
			u64 v = rnd();

			memcpy(regions[r].host + j, &v, 8);
			memcpy(regions[r].expect + j, &v, 8);
		}
	for (mi = 0; mi < NMODES; mi++) {
		struct gmode *gm = &gmodes[mi];

		gm->mode = PM_32 + mi;
		for (i = 0; i < POOL_PAGES; i++)
			gm->pool[i] = (u64)(POOL_GFN + mi * POOL_PAGES + i) << PAGE_SHIFT;
		for (i = 0; i < ROM_TABLES; i++) {
			gm->rom[i] = regions[RG_ROM].gpa +
				     ((u64)(mi * ROM_TABLES + i) << PAGE_SHIFT);
			memset(gpa_host(gm->rom[i]), 0, PAGE_SIZE);
			memset(gpa_expect(gm->rom[i]), 0, PAGE_SIZE);
		}
	}
	for (mi = 0; mi < NMODES; mi++) {
		gen_mode(mi, true);
		for (i = 0; i < POOL_PAGES; i++) {
			memcpy(gpa_host(gmodes[mi].pool[i]), stage[i], PAGE_SIZE);
			memcpy(gpa_expect(gmodes[mi].pool[i]), stage[i], PAGE_SIZE);
		}
	}
}
