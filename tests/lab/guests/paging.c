// SPDX-License-Identifier: GPL-2.0
/*
 * paging: the guest builds its own page tables over a 64 MiB window of
 * RAM, switches to them, and checks what it reads and writes through
 * them, the accessed and dirty bits the CPU (or the hypervisor's MMU)
 * sets, and page faults.  One binary per format and page size:
 *
 *   paging-prot32-4k, paging-prot32-4m   32-bit tables (from prot32 mode;
 *                                        the guest turns paging on)
 *   paging-pae-4k, paging-pae-2m         PAE tables (from pae mode)
 *   paging-4k, paging-2m, paging-1g      4-level tables (from long mode)
 *
 * Physical window: WIN_PHYS..+64 MiB (needs --mem 128).  Before paging
 * (or through the vmm's identity map) each 4 KiB page j gets the words
 * mix(4j + k) at offsets 1024k, k = 0..3.  The new tables map the first
 * 80 MiB VA == PA, and the window at VWIN with pages of PAGE_SHIFT in a
 * shuffled order: virtual page i of that size maps physical page
 * perm(i) = (i * 0x9e3779b1 + 0x7f4a7c15) mod (number of pages).  1 GiB
 * pages instead map two aliases of the first GiB, at VBASE and VBASE +
 * 1 GiB: reads go through the first, writes through the second.
 *
 *   read pass    every 4 KiB page of the window, through VWIN: check the
 *                four words, checksum them (paging.read_checksum)
 *   A/D          the window's leaf entries: all accessed, none dirty
 *   write pass   write mix(0x80000000 + v) at offset 512 of each virtual
 *                page v, check it through the identity map
 *                (paging.write_checksum), then all leaves dirty
 *   faults       read of an unmapped page (#PF, error 0), write to a
 *                read-only page (#PF, error 3; CR0.WP is set), fetch from
 *                an NX page (#PF, error 0x11; PAE and 4-level with NX)
 *
 * The checksums are the guest's own arithmetic on what it read; it also
 * computes what they must be, and paging-*.expected holds the values
 * (tests/lab/guests/paging-checksums.py computes them on the host too).
 */
#include "guest.h"

#define MiB		(1UL << 20)
#define WIN_PHYS	(16 * MiB)
#define WIN_SIZE	(64 * MiB)
#define WIN_PAGES	(WIN_SIZE >> 12)
#define IDENT_TOP	(WIN_PHYS + WIN_SIZE)

#if PT_FORMAT == PT_32
#define VBASE		0x40000000ULL
#define VEXTRA		0x80000000ULL	/* 4 KiB pages for the faults */
#define NAME		"prot32"
#elif PT_FORMAT == PT_PAE
#define VBASE		0x80000000ULL
#define VEXTRA		0xc0000000ULL
#define NAME		"pae"
#else
#define VBASE		0xffff800000000000ULL
#define VEXTRA		(VBASE + 0x80000000ULL)
#define NAME		"long"
#endif
#define UNIT		(1ULL << PAGE_SHIFT)
#define GBPAGES		(PAGE_SHIFT == 30)
#if GBPAGES
#define VWIN		(VBASE + WIN_PHYS)	/* alias 0 of the first GiB */
#define VWIN_WRITE	(VWIN + (1ULL << 30))	/* alias 1 */
#define LEAVES		2
#else
#define VWIN		VBASE
#define VWIN_WRITE	VWIN
#define LEAVES		(WIN_SIZE / UNIT)
#endif
#define UNIT_PAGES	(UNIT >> 12)

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* The physical page (index in the window) behind virtual page v. */
static uint32_t phys_page(uint32_t v)
{
#if GBPAGES
	return v;
#else
	uint32_t unit = v / UNIT_PAGES, units = WIN_SIZE / UNIT;

	return ((unit * 0x9e3779b1U + 0x7f4a7c15U) & (units - 1)) * UNIT_PAGES +
	       v % UNIT_PAGES;
#endif
}

static inline uint32_t rd(uint64_t va)
{
	return *(volatile uint32_t *)(ulong)va;
}

static inline void wr(uint64_t va, uint32_t v)
{
	*(volatile uint32_t *)(ulong)va = v;
}

static uint32_t sum_step(uint32_t sum, uint32_t word, uint32_t v)
{
	return ((sum << 5) | (sum >> 27)) ^ (word + v);
}

static struct pt pt;

static void count_ad(const char *when)
{
	unsigned i, a = 0, d = 0;
	char key[64];

	for (i = 0; i < LEAVES; i++) {
		uint64_t va = GBPAGES ? VBASE + ((uint64_t)i << 30) : VWIN + i * UNIT;
		uint64_t e = pt_get(&pt, va, NULL);

		a += !!(e & PTE_A);
		d += !!(e & PTE_D);
	}
	snprintf(key, sizeof(key), "paging.%s.accessed", when);
	report(key, a);
	snprintf(key, sizeof(key), "paging.%s.dirty", when);
	report(key, d);
}

/* A #PF with this error code at this address, or a failed check. */
static void expect_pf(const char *name, int faulted, ulong error, uint64_t va)
{
	char key[64];

	check(faulted, "%s: no fault", name);
	check_eq(name, exc_last.vector, 14);
	snprintf(key, sizeof(key), "pf.%s.error", name);
	report_hex(key, exc_last.error);
	snprintf(key, sizeof(key), "pf.%s.cr2", name);
	report_hex(key, exc_last.cr2);
	check_eq(key, exc_last.cr2, (ulong)va);
	check_eq(name, exc_last.error, error);
}

int guest_main(unsigned cpu)
{
	uint32_t v, j, k, got, want, read_sum = 0, read_want = 0;
	uint32_t write_sum = 0, write_want = 0, errors = 0, x;
	uint8_t *code;
	bool nx = false;

	(void)cpu;
	report_str("paging.variant", NAME "-" VARIANT);
#if GBPAGES
	if (!((cpuid(0x80000001, 0).d >> 26) & 1)) {
		printf("paging: the CPU has no 1 GiB pages\n");
		return EXIT_SKIP;
	}
#endif
#if PT_FORMAT == PT_32 && PAGE_SHIFT == 22
	if (!((cpuid(1, 0).d >> 3) & 1)) {
		printf("paging: the CPU has no PSE\n");
		return EXIT_SKIP;
	}
#endif
#if PT_FORMAT != PT_32
	nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0;
#endif
	if (mem_mib < 128) {
		printf("paging: needs --mem 128 or more\n");
		return EXIT_FAIL;
	}

	/* The pattern, through the identity map (or with paging off). */
	for (j = 0; j < WIN_PAGES; j++) {
		ulong p = WIN_PHYS + ((ulong)j << 12);

		for (k = 0; k < 4; k++)
			wr(p + 1024 * k, mix(4 * j + k));
		wr(p + 512, 0);
	}

	/* The tables. */
	page_alloc_limit = WIN_PHYS;
	pt_init(&pt, PT_FORMAT);
	if (pt_map(&pt, 0, 0, GBPAGES ? 1ULL << 30 : IDENT_TOP, PAGE_SHIFT, PTE_RW))
		return EXIT_FAIL;
#if GBPAGES
	if (pt_map(&pt, VBASE, 0, 1ULL << 30, 30, PTE_RW) ||
	    pt_map(&pt, VBASE + (1ULL << 30), 0, 1ULL << 30, 30, PTE_RW))
		return EXIT_FAIL;
#else
	for (v = 0; v < LEAVES; v++)
		if (pt_map(&pt, VWIN + v * UNIT,
			   WIN_PHYS + (uint64_t)phys_page(v * UNIT_PAGES) * 4096,
			   UNIT, PAGE_SHIFT, PTE_RW))
			return EXIT_FAIL;
#endif
	code = page_alloc();
	code[0] = 0xc3;		/* ret */
	if (pt_map(&pt, VEXTRA, WIN_PHYS, 4096, 12, 0) ||
	    pt_map(&pt, VEXTRA + 0x1000, (ulong)code, 4096, 12, PTE_RW | PTE_NX) ||
	    pt_map(&pt, VEXTRA + 0x2000, (ulong)code, 4096, 12, PTE_RW))
		return EXIT_FAIL;
	report("paging.table_pages", (page_alloc_next - ((ulong)pt.root)) / 4096);

	/* Switch to them. */
#if PT_FORMAT == PT_32
	if (PAGE_SHIFT == 22)
		write_cr4(read_cr4() | X86_CR4_PSE);
	write_cr3(pt.root);
	write_cr0(read_cr0() | X86_CR0_PG | X86_CR0_WP);
#else
	write_cr3(pt.root);
#endif

	/* Read pass. */
	for (v = 0; v < WIN_PAGES; v++) {
		uint64_t va = VWIN + ((uint64_t)v << 12);

		j = phys_page(v);
		for (k = 0; k < 4; k++) {
			got = rd(va + 1024 * k);
			want = mix(4 * j + k);
			if (got != want && errors++ < 5)
				printf("read 0x%llx: 0x%x, want 0x%x\n",
				       (unsigned long long)va + 1024 * k, got, want);
			read_sum = sum_step(read_sum, got, v);
			read_want = sum_step(read_want, want, v);
		}
	}
	report_hex("paging.read_checksum", read_sum);
	check_eq("read checksum", read_sum, read_want);
	count_ad("after_read");

	/* Write pass, checked through the identity map. */
	for (v = 0; v < WIN_PAGES; v++)
		wr(VWIN_WRITE + ((uint64_t)v << 12) + 512, mix(0x80000000U + v));
	for (v = 0; v < WIN_PAGES; v++) {
		j = phys_page(v);
		got = rd(WIN_PHYS + ((uint64_t)j << 12) + 512);
		want = mix(0x80000000U + v);
		if (got != want && errors++ < 10)
			printf("write through 0x%llx: 0x%x, want 0x%x\n",
			       (unsigned long long)VWIN_WRITE + ((uint64_t)v << 12) + 512,
			       got, want);
		write_sum = sum_step(write_sum, got, j);
		write_want = sum_step(write_want, want, j);
	}
	report_hex("paging.write_checksum", write_sum);
	check_eq("write checksum", write_sum, write_want);
	count_ad("after_write");
	report("paging.errors", errors);
	check_eq("errors", errors, 0);

	/* Faults. */
	expect_pf("notpresent", probe_read32((void *)(ulong)(VEXTRA + 0x3000), &x),
		  0x0, VEXTRA + 0x3000);
	check(!probe_read32((void *)(ulong)VEXTRA, &x), "read of a read-only page faults");
	check_eq("read-only page", x, mix(0));
	expect_pf("readonly", probe_write32((void *)(ulong)(VEXTRA + 16), 0x1234),
		  0x3, VEXTRA + 16);
	pt_update(&pt, VEXTRA, 0, PTE_RW);
	invlpg(VEXTRA);
	check(!probe_write32((void *)(ulong)(VEXTRA + 16), 0x1234),
	      "write after making the page writable faults");
	check_eq("write after making the page writable", rd(WIN_PHYS + 16), 0x1234);
	check(!probe_exec((void *)(ulong)(VEXTRA + 0x2000)), "fetch from an executable page faults");
	if (nx)
		expect_pf("nx", probe_exec((void *)(ulong)(VEXTRA + 0x1000)),
			  0x11, VEXTRA + 0x1000);
	report("paging.exceptions", exc_count);

	return failures ? EXIT_FAIL : EXIT_PASS;
}
