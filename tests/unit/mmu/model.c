// SPDX-License-Identifier: GPL-2.0
/*
 * The reference: what the guest's own page tables permit, written from
 * the SDM (vol. 3A, chapter 4) independently of kvm/mmu/walk.c, and run
 * on the checker's expected copy of guest memory.
 *
 * Each entry is classified once per level by m_classify(): not present,
 * reserved bits set, a table, or a page, with its rights.  A translation
 * walks top-down; any not-present or reserved entry ends it with #PF,
 * otherwise the rights, combined over the levels, decide (SDM 4.6).  A
 * successful translation sets A in every entry it used (PAE PDPTEs have
 * none) and D in the leaf for a write (SDM 4.8); a faulting one sets
 * nothing.
 *
 * Where the architecture leaves KVM a choice, the model encodes the one
 * kvm/mmu/README.md documents: a table outside guest memory reads as not
 * present, A/D writes to a table in a read-only slot are dropped, PAE
 * PDPTEs are read at walk time (the checker's guest reloads CR3 after
 * changing one), MAXPHYADDR is the host's, and the Intel reserved bits
 * (not AMD's extra G-in-PML4E).
 */
#include <stdlib.h>
#include <string.h>

#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "mmucheck.h"


int mode_esize(int mode)
{
	return mode == PM_32 ? 4 : 8;
}

int mode_top(int mode)
{
	return mode;
}

/* The lowest linear-address bit that an entry at @level translates. */
int mode_shift(int mode, int level)
{
	if (mode == PM_32)
		return 12 + 10 * (level - 1);
	return 12 + 9 * (level - 1);
}

int mode_nent(int mode, int level)
{
	if (mode == PM_32)
		return 1024;
	if (mode == PM_PAE && level == 3)
		return 4;
	return 512;
}

const char *mode_name(int mode)
{
	switch (mode) {
	case PM_OFF: return "paging off";
	case PM_32: return "32-bit";
	case PM_PAE: return "PAE";
	case PM_4L: return "4-level";
	}
	return "?";
}

void mctx_of(struct mctx *c, const struct hvcpu *hv)
{
	const struct kvm_vcpu *v = &hv->vcpu;
	int i;

	memset(c, 0, sizeof(*c));
	c->mode = hv_mode(hv);
	c->cr3 = v->cr3;
	c->wp = v->cr0 & X86_CR0_WP;
	c->pse = v->cr4 & X86_CR4_PSE;
	c->pge = v->cr4 & X86_CR4_PGE;
	c->smep = v->cr4 & X86_CR4_SMEP;
	c->smap = v->cr4 & X86_CR4_SMAP;
	c->nxe = v->efer & EFER_NX;
	c->ac = v->rflags & X86_EFLAGS_AC;
	c->cpl = hv_cpl(hv);
	c->gbpages = false;
	for (i = 0; i < hv->cpuid_nent; i++)
		if (hv->cpuid[i].function == 0x80000001)
			c->gbpages = hv->cpuid[i].edx & BIT(26);
}

/* Entry @i of the @esize-byte entries of the table at @tp. */
static inline u64 tab_entry(const u8 *tp, int i, int esize)
{
	return esize == 4 ? ((const u32 *)tp)[i] : ((const u64 *)tp)[i];
}

/* The entry of @size bytes at @gpa, or false if no memory is there. */
static bool m_read(u64 gpa, int size, u64 *val)
{
	u8 *p = gpa_expect(gpa);
	u32 v32;

	if (!p)
		return false;
	if (size == 4) {
		memcpy(&v32, p, 4);
		*val = v32;
	} else {
		memcpy(val, p, 8);
	}
	return true;
}

enum { ME_NP, ME_RSVD, ME_TABLE, ME_PAGE };

struct ment {
	int type;
	u64 addr;		/* table or page base */
	u64 size;		/* ME_PAGE: page size */
	bool w, u, xd;		/* the rights this entry grants */
	bool has_a;
};

/* What entry @e means at @level (SDM tables 4-4 to 4-20). */
static void m_classify(const struct mctx *c, int level, u64 e,
		       struct ment *m)
{
	const int M = MAXPHYADDR;
	bool large = false;
	u64 rsvd = 0;

	memset(m, 0, sizeof(*m));
	m->w = e & E_W;
	m->u = e & E_U;
	m->has_a = true;
	if (!(e & E_P)) {
		m->type = ME_NP;
		return;
	}

	if (c->mode == PM_32) {
		/* A 4 MiB page: address bits 39:32 in 20:13 (PSE-36). */
		if (level == 2 && (e & E_PS) && c->pse) {
			int m40 = min(M, 40);

			large = true;
			rsvd = BIT_ULL(21) | bits(13 + (m40 - 32), 20);
			m->addr = (e & bits(22, 31)) |
				  (((e >> 13) & 0xff) << 32);
			m->size = 4ULL << 20;
		} else {
			m->addr = e & bits(12, 31);
			m->size = 4096;
		}
		if (rsvd & e) {
			m->type = ME_RSVD;
			return;
		}
		m->type = level == 1 || large ? ME_PAGE : ME_TABLE;
		return;
	}

	m->xd = e & E_XD;
	if (c->mode == PM_PAE && level == 3) {
		/* A PDPTE: no rights, no A bit; 2:1 and 8:5 reserved. */
		m->w = m->u = true;
		m->xd = false;
		m->has_a = false;
		rsvd = bits(1, 2) | bits(5, 8) | bits(M, 63);
		m->addr = e & bits(12, M - 1);
		m->type = (e & rsvd) ? ME_RSVD : ME_TABLE;
		return;
	}

	/* PAE: bits M..62 reserved; 4-level: M..51 (52..62 are ignored). */
	rsvd = bits(M, c->mode == PM_PAE ? 62 : 51);
	if (!c->nxe)
		rsvd |= E_XD;
	if (level == 4) {
		rsvd |= E_PS;
	} else if (level == 3 && (e & E_PS)) {
		if (c->gbpages) {
			large = true;
			rsvd |= bits(13, 29);
		} else {
			rsvd |= E_PS;
		}
	} else if (level == 2 && (e & E_PS)) {
		large = true;
		rsvd |= bits(13, 20);
	}
	if (e & rsvd) {
		m->type = ME_RSVD;
		return;
	}
	if (level == 1 || large) {
		m->type = ME_PAGE;
		m->size = 1ULL << mode_shift(c->mode, level);
		m->addr = e & bits(12, M - 1) & ~(m->size - 1);
	} else {
		m->type = ME_TABLE;
		m->addr = e & bits(12, M - 1);
	}
}

/* The first table: where CR3 points, by mode. */
static u64 m_root(const struct mctx *c)
{
	switch (c->mode) {
	case PM_32:
		return c->cr3 & bits(12, 31);
	case PM_PAE:
		return c->cr3 & bits(5, 31);
	default:
		return c->cr3 & bits(12, MAXPHYADDR - 1);
	}
}

static unsigned int m_index(const struct mctx *c, int level, u64 va)
{
	return (va >> mode_shift(c->mode, level)) &
	       (mode_nent(c->mode, level) - 1);
}

u64 model_canonical(const struct mctx *c, u64 va)
{
	if (c->mode != PM_4L)
		return (u32)va;
	return (u64)((s64)(va << 16) >> 16);
}

/* SDM 4.6: whether the rights of the translation forbid the access. */
static bool m_denied(const struct mctx *c, bool w, bool u, bool xd,
		     const struct access *a)
{
	if (a->user) {
		if (!u)
			return true;
		if (a->kind == ACC_W)
			return !w;
		if (a->kind == ACC_X)
			return xd;
		return false;
	}
	if (a->kind == ACC_X)
		return xd || (c->smep && u);
	/*
	 * SMAP: a supervisor data access to a user page is allowed only if
	 * it is explicit, at CPL < 3, with RFLAGS.AC set.
	 */
	if (u && c->smap && (a->implicit || c->cpl == 3 || !c->ac))
		return true;
	return a->kind == ACC_W && !w && c->wp;
}

/* SDM 4.7. */
static u32 m_error_code(const struct mctx *c, const struct access *a,
			bool present, bool rsvd)
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
	/* I/D exists with SMEP, or with PAE-format entries and NXE. */
	if (a->kind == ACC_X && (c->smep || (c->mode >= PM_PAE && c->nxe)))
		ec |= PFERR_FETCH_MASK;
	return ec;
}

void model_translate(const struct mctx *c, u64 gva, const struct access *a,
		     struct mres *r)
{
	int esize = mode_esize(c->mode);
	int level = mode_top(c->mode);
	bool w = true, u = true, xd = false;
	u64 va, table;
	struct ment m;

	memset(r, 0, sizeof(*r));
	if (c->mode == PM_OFF) {
		r->kind = MR_OK;
		r->gpa = (u32)gva;
		return;
	}
	va = c->mode == PM_4L ? gva : (u32)gva;
	table = m_root(c);

	for (;;) {
		u64 egpa = table + (u64)m_index(c, level, va) * esize;
		u64 e;

		if (!m_read(egpa, esize, &e)) {
			/* A table in a hole: not present (KVM's choice). */
			r->kind = MR_FAULT;
			r->ec = m_error_code(c, a, false, false);
			return;
		}
		m_classify(c, level, e, &m);
		if (m.type == ME_NP || m.type == ME_RSVD) {
			r->kind = MR_FAULT;
			r->ec = m_error_code(c, a, m.type == ME_RSVD,
					     m.type == ME_RSVD);
			return;
		}
		r->used[r->nused].gpa = egpa;
		r->used[r->nused].size = esize;
		r->used[r->nused].has_a = m.has_a;
		r->nused++;
		w &= m.w;
		u &= m.u;
		xd |= m.xd;
		if (m.type == ME_PAGE)
			break;
		table = m.addr;
		level--;
	}

	if (m_denied(c, w, u, xd, a)) {
		r->kind = MR_FAULT;
		r->ec = m_error_code(c, a, true, false);
		return;
	}
	r->kind = MR_OK;
	r->gpa = m.addr + (va & (m.size - 1));
	r->leaf_level = level;
}

void model_explain(const struct mctx *c, u64 gva, char *buf, size_t len)
{
	int esize = mode_esize(c->mode);
	int level = mode_top(c->mode);
	u64 va = c->mode == PM_4L ? gva : (u32)gva;
	u64 table = m_root(c);
	size_t n = 0;

	n += snprintf(buf + n, len - n, "%s CR3 %#llx%s%s%s%s%s WP=%d AC=%d CPL %d:",
		      mode_name(c->mode), c->cr3, c->pse ? " PSE" : "",
		      c->nxe ? " NXE" : "", c->smep ? " SMEP" : "",
		      c->smap ? " SMAP" : "", c->gbpages ? " 1G" : "",
		      c->wp, c->ac, c->cpl);
	if (c->mode == PM_OFF)
		return;
	while (n < len) {
		u64 egpa = table + (u64)m_index(c, level, va) * esize;
		static const char *const type[] = { "np", "rsvd", "table", "page" };
		struct ment m;
		u64 e;

		if (!m_read(egpa, esize, &e)) {
			snprintf(buf + n, len - n, " L%d %#llx: no memory", level, egpa);
			return;
		}
		m_classify(c, level, e, &m);
		n += snprintf(buf + n, len - n, " L%d %#llx=%#llx(%s)", level,
			      egpa, e, type[m.type]);
		if (m.type != ME_TABLE || level == 1)
			return;
		table = m.addr;
		level--;
	}
}

void model_set_ad(const struct mres *r, bool write)
{
	int i;

	for (i = 0; i < r->nused; i++) {
		struct region *rg = gpa_region(r->used[i].gpa);
		u8 *p = gpa_expect(r->used[i].gpa);
		u8 set = E_A;

		if (!r->used[i].has_a)
			continue;
		if (i == r->nused - 1 && write)
			set |= E_D;
		/* A and D live in the entry's first byte, in every format. */
		if (!p || rg->rom || (*p & set) == set)
			continue;
		*p |= set;
		gmem_touch(r->used[i].gpa);
	}
}

bool model_sample(const struct mctx *c, u64 (*rnd)(void), u64 *va,
		  u64 *size)
{
	int esize = mode_esize(c->mode);
	int level = mode_top(c->mode);
	u64 table = m_root(c);
	u64 v = 0;

	if (c->mode == PM_OFF)
		return false;
	for (;;) {
		int nent = mode_nent(c->mode, level);
		const u8 *tp = gpa_expect(table);
		unsigned int idx[1024];
		int n = 0, i;
		struct ment m;
		u64 e;

		for (i = 0; tp && i < nent; i++)
			if (tab_entry(tp, i, esize))
				idx[n++] = i;
		if (!n)
			return false;
		i = idx[rnd() % n];
		v |= (u64)i << mode_shift(c->mode, level);
		m_read(table + (u64)i * esize, esize, &e);
		m_classify(c, level, e, &m);
		*va = model_canonical(c, v);
		*size = 1ULL << mode_shift(c->mode, level);
		if (m.type == ME_PAGE) {
			*size = m.size;
			return true;
		}
		if (m.type != ME_TABLE || !gpa_expect(m.addr) || level == 1)
			return true;
		table = m.addr;
		level--;
	}
}

/* ---- the address space as a graph -------------------------------------- */

/*
 * Nodes are (table, level) pairs reachable from CR3 through present,
 * well-formed entries; a node's parents are the entries pointing to it.
 * Levels grow towards the root, so the graph has no cycles even when a
 * table maps itself.  Rebuilt when something it depends on changes (a
 * write to one of its tables, the vCPU's paging state); A/D updates
 * never change it.
 */
#define G_MAX_NODES	2048
#define G_MAX_EDGES	16384
#define G_HASH		1024

struct gnode {
	u64 base;
	int level;
	int first_edge;		/* parents, through edges[].next */
	int hash_next;
};

struct gedge {
	int parent;
	int index;
	int next;
};

struct graph {
	bool valid;
	bool overflow;		/* too big: treat everything as reachable */
	struct mctx ctx;
	int nnodes, nedges;
	struct gnode nodes[G_MAX_NODES];
	struct gedge edges[G_MAX_EDGES];
	int hash[G_HASH];
	u8 reach[NR_GPAGES];
};

struct graph *graph_new(void)
{
	struct graph *g = calloc(1, sizeof(*g));

	if (!g)
		abort();
	return g;
}

void graph_free(struct graph *g)
{
	free(g);
}

void graph_invalidate(struct graph *g)
{
	g->valid = false;
}

static unsigned int g_hash(u64 base, int level)
{
	return ((base >> 5) * 0x9e3779b97f4a7c15ULL + level) % G_HASH;
}

static int g_node(struct graph *g, u64 base, int level)
{
	unsigned int h = g_hash(base, level);
	int i, gpi;

	for (i = g->hash[h]; i >= 0; i = g->nodes[i].hash_next)
		if (g->nodes[i].base == base && g->nodes[i].level == level)
			return i;
	if (g->nnodes == G_MAX_NODES) {
		g->overflow = true;
		return -1;
	}
	i = g->nnodes++;
	g->nodes[i].base = base;
	g->nodes[i].level = level;
	g->nodes[i].first_edge = -1;
	g->nodes[i].hash_next = g->hash[h];
	g->hash[h] = i;
	gpi = gpa_gpi(base);
	if (gpi >= 0)
		g->reach[gpi] |= 1 << level;
	return i;
}

/* Whether the tables' shape under @a and @b is the same. */
static bool g_same_ctx(const struct mctx *a, const struct mctx *b)
{
	return a->mode == b->mode && a->cr3 == b->cr3 && a->pse == b->pse &&
	       a->nxe == b->nxe && a->gbpages == b->gbpages;
}

void graph_update(struct graph *g, const struct mctx *c)
{
	int i, n;

	if (g->valid && g_same_ctx(&g->ctx, c)) {
		g->ctx = *c;
		return;
	}
	g->valid = true;
	g->overflow = false;
	g->ctx = *c;
	g->nnodes = g->nedges = 0;
	memset(g->hash, -1, sizeof(g->hash));
	memset(g->reach, 0, sizeof(g->reach));
	if (c->mode == PM_OFF || !gpa_expect(m_root(c)))
		return;
	g_node(g, m_root(c), mode_top(c->mode));

	/* Breadth first: nodes[] is the queue. */
	for (n = 0; n < g->nnodes; n++) {
		struct gnode *node = &g->nodes[n];
		int esize = mode_esize(c->mode);
		int nent = mode_nent(c->mode, node->level);

		const u8 *tp = gpa_expect(node->base);

		if (node->level == 1 || !tp)
			continue;
		for (i = 0; i < nent; i++) {
			struct ment m;
			int child;
			u64 e;

			/* A table never crosses a page: one lookup will do. */
			e = tab_entry(tp, i, esize);
			if (!e)
				continue;
			m_classify(c, node->level, e, &m);
			if (m.type != ME_TABLE || !gpa_expect(m.addr))
				continue;
			child = g_node(g, m.addr, node->level - 1);
			node = &g->nodes[n];
			if (child < 0 || g->nedges == G_MAX_EDGES) {
				g->overflow = true;
				return;
			}
			g->edges[g->nedges].parent = n;
			g->edges[g->nedges].index = i;
			g->edges[g->nedges].next = g->nodes[child].first_edge;
			g->nodes[child].first_edge = g->nedges++;
		}
	}
}

bool graph_reaches(const struct graph *g, u64 gpa)
{
	int gpi = gpa_gpi(gpa);

	if (!g->valid || g->overflow)
		return true;
	return gpi >= 0 && g->reach[gpi];
}

/* Every linear address through which node @n's entry @index is reached. */
static int g_paths(const struct graph *g, int n, u64 va, struct use *uses,
		   int nuses, int max, u64 size, bool global)
{
	const struct gnode *node = &g->nodes[n];
	int e;

	if (nuses < 0)
		return nuses;
	if (n == 0) {
		if (nuses == max)
			return -1;
		uses[nuses].va = model_canonical(&g->ctx, va);
		uses[nuses].size = size;
		uses[nuses].global = global;
		return nuses + 1;
	}
	for (e = node->first_edge; e >= 0; e = g->edges[e].next) {
		const struct gedge *edge = &g->edges[e];
		int plevel = g->nodes[edge->parent].level;

		nuses = g_paths(g, edge->parent,
				va | ((u64)edge->index << mode_shift(g->ctx.mode, plevel)),
				uses, nuses, max, size, global);
		if (nuses < 0)
			return nuses;
	}
	return nuses;
}

int graph_stale(const struct graph *g, u64 gpa, int len, const u8 *newbytes,
		struct use *uses, int max)
{
	const struct mctx *c = &g->ctx;
	int esize = mode_esize(c->mode);
	int n, nuses = 0;

	if (!g->valid || g->overflow)
		return -1;
	for (n = 0; n < g->nnodes; n++) {
		const struct gnode *node = &g->nodes[n];
		int nent = mode_nent(c->mode, node->level);
		u64 end = node->base + (u64)nent * esize;
		u64 egpa;

		if (gpa + len <= node->base || gpa >= end)
			continue;
		for (egpa = node->base + ((gpa > node->base ? gpa - node->base : 0) / esize) * esize;
		     egpa < end && egpa < gpa + len; egpa += esize) {
			u8 old[8], new[8];
			u64 e, lo = max(egpa, gpa), hi = min(egpa + esize, gpa + len);
			struct ment m;

			if (!m_read(egpa, esize, &e))
				continue;
			memcpy(old, &e, 8);
			memcpy(new, old, 8);
			memcpy(new + (lo - egpa), newbytes + (lo - gpa), hi - lo);
			if (!memcmp(old, new, esize))
				continue;
			/*
			 * The CPU loads the PAE PDPTEs with CR3: a new value,
			 * even where there was none, needs a CR3 load.
			 */
			if (c->mode == PM_PAE && node->level == 3)
				return -1;
			/* Nothing is cached through an entry that faulted. */
			m_classify(c, node->level, e, &m);
			if (m.type == ME_NP || m.type == ME_RSVD)
				continue;
			if (m.type == ME_TABLE)
				return -1;
			nuses = g_paths(g, n,
					(u64)((egpa - node->base) / esize) <<
					mode_shift(c->mode, node->level),
					uses, nuses, max, m.size, e & E_G);
			if (nuses < 0)
				return -1;
		}
	}
	return nuses;
}

bool graph_pick_table(const struct graph *g, u64 (*rnd)(void), u64 *base,
		      int *level, int *nent)
{
	int n;

	if (!g->valid || !g->nnodes)
		return false;
	n = rnd() % g->nnodes;
	*base = g->nodes[n].base;
	*level = g->nodes[n].level;
	*nent = mode_nent(g->ctx.mode, *level);
	return true;
}
