// SPDX-License-Identifier: GPL-2.0
/*
 * The MMU workloads: freestanding guests that stress what the MMU
 * strategies do differently.  One source, one binary per workload and
 * page-table format (WORKLOAD, PT_FORMAT; bench/Makefile):
 *
 *   ctxsw     a context-switch storm: SPACES address spaces, each with
 *             its own PAGES-page window, loaded round-robin (CR3 writes),
 *             every window page touched after each switch
 *   demand    a demand-paging storm: map a window page by page, touch
 *             each page, unmap them all (PTE cleared, INVLPG), again
 *   forkexec  build an address space (fresh tables, a private window),
 *             switch to it, touch it, switch back and free its tables,
 *             whose pages the next one reuses: page-table churn
 *   compute   arithmetic in registers and the stack: no exits at all
 *
 * Each reports, on the report port, "workload=NAME", "workload.format=",
 * "workload.iterations=" (its unit of work), "workload.touches=" (pages
 * touched), "workload.tsc=" (guest TSC cycles for the timed part) and
 * "workload.errors=" (words that were not what they should be: 0).
 * Needs --mem 64.
 */
#include "guest.h"

#define MiB		(1UL << 20)
#define IDENT_SIZE	(16 * MiB)	/* code, stack, tables: VA == PA */
#define DATA_PHYS	(32 * MiB)	/* the windows' frames */
#define VWIN		0x40000000UL

#define W_CTXSW		1
#define W_DEMAND	2
#define W_FORKEXEC	3
#define W_COMPUTE	4

#if PT_FORMAT == PT_32
#define FORMAT		"prot32"
#elif PT_FORMAT == PT_PAE
#define FORMAT		"pae"
#else
#define FORMAT		"long"
#endif

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static unsigned int errors, touches;

/* Write then read back a word naming the page and the round. */
static __attribute__((unused)) void touch(ulong va, uint32_t tag)
{
	volatile uint32_t *w = (volatile uint32_t *)va;

	*w = tag;
	if (*w != tag && errors++ < 5)
		printf("touch 0x%lx: 0x%x, want 0x%x\n", va, *w, tag);
	touches++;
}

/* An address space: the identity map plus @pages window pages at @phys. */
static __attribute__((unused)) int space_build(struct pt *pt, ulong phys,
						unsigned int pages)
{
	pt_init(pt, PT_FORMAT);
	if (pt_map(pt, 0, 0, IDENT_SIZE, 12, PTE_RW))
		return -1;
	if (pages && pt_map(pt, VWIN, phys, pages * 4096UL, 12, PTE_RW))
		return -1;
	return 0;
}

#if WORKLOAD == W_CTXSW
#define NAME		"ctxsw"
#define SPACES		32
#define PAGES		16
#define ROUNDS		64

static struct pt spaces[SPACES];

static unsigned int workload(void)
{
	unsigned int s, p, r;

	for (s = 0; s < SPACES; s++)
		if (space_build(&spaces[s], DATA_PHYS + s * PAGES * 4096UL, PAGES))
			return 0;
	for (r = 0; r < ROUNDS; r++)
		for (s = 0; s < SPACES; s++) {
			write_cr3(spaces[s].root);
			for (p = 0; p < PAGES; p++)
				touch(VWIN + p * 4096UL, (s << 24) | (p << 8) | r);
		}
	return ROUNDS * SPACES;	/* CR3 switches */
}

#elif WORKLOAD == W_DEMAND
#define NAME		"demand"
#define PAGES		1024
#define ROUNDS		8

static struct pt space;

static unsigned int workload(void)
{
	unsigned int p, r;

	if (space_build(&space, 0, 0))
		return 0;
	write_cr3(space.root);
	for (r = 0; r < ROUNDS; r++) {
		for (p = 0; p < PAGES; p++) {
			if (pt_map(&space, VWIN + p * 4096UL,
				   DATA_PHYS + p * 4096UL, 4096, 12, PTE_RW))
				return 0;
			touch(VWIN + p * 4096UL, (p << 8) | r);
		}
		for (p = 0; p < PAGES; p++) {
			pt_update(&space, VWIN + p * 4096UL, PTE_P, 0);
			invlpg(VWIN + p * 4096UL);
		}
	}
	return ROUNDS * PAGES;	/* pages mapped */
}

#elif WORKLOAD == W_FORKEXEC
#define NAME		"forkexec"
#define CHILDREN	128
#define PAGES		32
/*
 * The child's window must not share a table with the parent's identity
 * map: in 4-level paging, another PML4 slot than VWIN's.
 */
#if PT_FORMAT == PT_64
#define CHILD_WIN	0x8000000000UL
#else
#define CHILD_WIN	VWIN
#endif

static struct pt parent, child;

static unsigned int workload(void)
{
	ulong mark;
	unsigned int c, p;

	if (space_build(&parent, 0, 0))
		return 0;
	write_cr3(parent.root);
	mark = page_alloc_next;
	for (c = 0; c < CHILDREN; c++) {
		/*
		 * "fork": a new root that shares the parent's identity
		 * tables (as a kernel's half is shared), and fresh tables
		 * for a private window, in the pages the last child freed.
		 */
		page_alloc_next = mark;
		child.fmt = PT_FORMAT;
		child.root = (ulong)page_alloc();
		memcpy((void *)(ulong)child.root, (void *)(ulong)parent.root, 4096);
		if (pt_map(&child, CHILD_WIN, DATA_PHYS + (c % 8) * PAGES * 4096UL,
			   PAGES * 4096UL, 12, PTE_RW))
			return 0;
		write_cr3(child.root);
		for (p = 0; p < PAGES; p++)
			touch(CHILD_WIN + p * 4096UL, (c << 8) | p);
		/* "exit": back to the parent; the child's tables are freed. */
		write_cr3(parent.root);
	}
	return CHILDREN;	/* address spaces built and torn down */
}

#elif WORKLOAD == W_COMPUTE
#define NAME		"compute"
#define LOOPS		2000000

static unsigned int workload(void)
{
	uint32_t x = 1, i;

	for (i = 0; i < LOOPS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
	}
	/* xorshift32 from 1: fixed for a fixed count. */
	report_hex("workload.result", x);
	return LOOPS;
}
#endif

int guest_main(unsigned cpu)
{
	unsigned int iterations;
	uint64_t t0, t1;

	(void)cpu;
	report_str("workload", NAME);
	report_str("workload.format", FORMAT);
	if (mem_mib < 64) {
		printf("workload: needs --mem 64 or more\n");
		return EXIT_FAIL;
	}
	page_alloc_limit = DATA_PHYS;
#if PT_FORMAT == PT_32
	/* From prot32: turn paging on over an identity map first. */
	{
		static struct pt boot;

		if (space_build(&boot, 0, 0))
			return EXIT_FAIL;
		write_cr3(boot.root);
		write_cr0(read_cr0() | X86_CR0_PG | X86_CR0_WP);
	}
#endif
	t0 = rdtsc();
	iterations = workload();
	t1 = rdtsc();
	if (!iterations)
		return EXIT_FAIL;
	report("workload.iterations", iterations);
	report("workload.touches", touches);
	report("workload.tsc", t1 - t0);
	report("workload.errors", errors);
	check_eq("errors", errors, 0);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
