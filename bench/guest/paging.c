// SPDX-License-Identifier: GPL-2.0
/*
 * Page tables for guests that test paging: a page allocator, and building
 * and walking tables of the three formats (32-bit, PAE, 4-level).
 */
#include "guest.h"

extern char _end[];		/* the linker script's end of the image */

ulong page_alloc_next, page_alloc_limit;

void *page_alloc(void)
{
	void *p;

	if (!page_alloc_next)
		page_alloc_next = ((ulong)_end + 4095) & ~4095UL;
	if (!page_alloc_limit) {
		uint64_t top = mem_mib ? (uint64_t)mem_mib << 20 : 4 << 20;

		page_alloc_limit = top > 0xc0000000ULL ? 0xc0000000UL : (ulong)top;
	}
	if (page_alloc_next + 4096 > page_alloc_limit) {
		printf("page_alloc: out of memory at 0x%lx\n", page_alloc_next);
		exit(EXIT_FAIL);
	}
	p = (void *)page_alloc_next;
	page_alloc_next += 4096;
	return memset(p, 0, 4096);
}

struct pt_levels {
	int levels;
	int esize;		/* bytes per entry */
	uint8_t shift[4];	/* of each level, top first */
	uint8_t bits[4];
	uint64_t addr_mask;
};

static const struct pt_levels pt_levels[] = {
	[PT_32] = { 2, 4, { 22, 12 }, { 10, 10 }, 0xfffff000ULL },
	[PT_PAE] = { 3, 8, { 30, 21, 12 }, { 2, 9, 9 }, 0x000ffffffffff000ULL },
	[PT_64] = { 4, 8, { 39, 30, 21, 12 }, { 9, 9, 9, 9 }, 0x000ffffffffff000ULL },
};

static uint64_t pte_read(const struct pt_levels *l, uint64_t table, unsigned idx)
{
	if (l->esize == 4)
		return ((volatile uint32_t *)(ulong)table)[idx];
	return ((volatile uint64_t *)(ulong)table)[idx];
}

/* High half first: a live entry is never seen half new, half present. */
static void pte_write(const struct pt_levels *l, uint64_t table, unsigned idx,
		      uint64_t v)
{
	volatile uint32_t *p = (volatile uint32_t *)(ulong)table;

	if (l->esize == 4) {
		p[idx] = v;
		return;
	}
	p[2 * idx + 1] = v >> 32;
	p[2 * idx] = (uint32_t)v;
}

void pt_init(struct pt *pt, int fmt)
{
	pt->fmt = fmt;
	pt->root = (ulong)page_alloc();
}

static int pt_map_one(struct pt *pt, uint64_t va, uint64_t pa,
		      unsigned page_shift, uint64_t flags)
{
	const struct pt_levels *l = &pt_levels[pt->fmt];
	uint64_t table = pt->root, e;
	int i;

	for (i = 0; i < l->levels; i++) {
		unsigned idx = (va >> l->shift[i]) & ((1U << l->bits[i]) - 1);

		e = pte_read(l, table, idx);
		if (l->shift[i] == page_shift) {
			e = (pa & l->addr_mask) | flags | PTE_P;
			if (page_shift > 12)
				e |= PTE_PS;
			pte_write(l, table, idx, e);
			return 0;
		}
		if (!(e & PTE_P)) {
			uint64_t next = (ulong)page_alloc();

			/* PAE PDPTEs have no RW/US bits: they are reserved. */
			e = next | PTE_P;
			if (!(pt->fmt == PT_PAE && i == 0))
				e |= PTE_RW | PTE_US;
			pte_write(l, table, idx, e);
		} else if (e & PTE_PS) {
			printf("pt_map: 0x%llx is inside a large page\n",
			       (unsigned long long)va);
			return -1;
		}
		table = e & l->addr_mask;
	}
	printf("pt_map: no level has pages of 1 << %u bytes\n", page_shift);
	return -1;
}

int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t len,
	   unsigned page_shift, uint64_t flags)
{
	uint64_t size = 1ULL << page_shift, off;

	if ((va | pa | len) & (size - 1)) {
		printf("pt_map: 0x%llx -> 0x%llx (0x%llx bytes) is not aligned to 0x%llx\n",
		       (unsigned long long)va, (unsigned long long)pa,
		       (unsigned long long)len, (unsigned long long)size);
		return -1;
	}
	if (pt->fmt == PT_32)
		flags &= ~PTE_NX;
	for (off = 0; off < len; off += size)
		if (pt_map_one(pt, va + off, pa + off, page_shift, flags))
			return -1;
	return 0;
}

/* The leaf for va: its table and index, or 0. */
static uint64_t pt_walk(struct pt *pt, uint64_t va, uint64_t *table_out,
			unsigned *idx_out, unsigned *shift)
{
	const struct pt_levels *l = &pt_levels[pt->fmt];
	uint64_t table = pt->root, e;
	int i;

	for (i = 0; i < l->levels; i++) {
		unsigned idx = (va >> l->shift[i]) & ((1U << l->bits[i]) - 1);

		e = pte_read(l, table, idx);
		if (!(e & PTE_P))
			return 0;
		if (i == l->levels - 1 || (i > 0 && (e & PTE_PS)) ||
		    (pt->fmt == PT_32 && (e & PTE_PS))) {
			*table_out = table;
			*idx_out = idx;
			if (shift)
				*shift = l->shift[i];
			return e;
		}
		table = e & l->addr_mask;
	}
	return 0;
}

uint64_t pt_get(struct pt *pt, uint64_t va, unsigned *shift)
{
	uint64_t table;
	unsigned idx;

	return pt_walk(pt, va, &table, &idx, shift);
}

int pt_update(struct pt *pt, uint64_t va, uint64_t clear, uint64_t set)
{
	const struct pt_levels *l = &pt_levels[pt->fmt];
	uint64_t table, e;
	unsigned idx;

	e = pt_walk(pt, va, &table, &idx, NULL);
	if (!e)
		return -1;
	pte_write(l, table, idx, (e & ~clear) | set);
	return 0;
}

int pt_update_level(struct pt *pt, uint64_t va, unsigned shift,
		    uint64_t clear, uint64_t set)
{
	const struct pt_levels *l = &pt_levels[pt->fmt];
	uint64_t table = pt->root, e;
	int i;

	for (i = 0; i < l->levels; i++) {
		unsigned idx = (va >> l->shift[i]) & ((1U << l->bits[i]) - 1);

		e = pte_read(l, table, idx);
		if (!(e & PTE_P))
			return -1;
		if (l->shift[i] == shift) {
			pte_write(l, table, idx, (e & ~clear) | set);
			return 0;
		}
		/* A leaf above the level asked for. */
		if ((e & PTE_PS) && (i > 0 || pt->fmt == PT_32))
			return -1;
		table = e & l->addr_mask;
	}
	return -1;
}
