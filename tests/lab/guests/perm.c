// SPDX-License-Identifier: GPL-2.0
/*
 * perm: page permissions that paging.c does not test.  The guest builds
 * its own tables, runs accesses at CPL 0 and at CPL 3 (user_call(), the
 * runtime's ring 3) and checks each #PF: vector, exact error code, CR2.
 * One binary per format:
 *
 *   perm-prot32   32-bit tables (from prot32 mode; the guest turns paging
 *                 on, with CR4.PSE for the one 4 MiB page)
 *   perm-pae      PAE tables (from pae mode)
 *   perm          4-level tables (from long mode)
 *
 * The tables map 4 KiB..8 MiB VA == PA, supervisor-only, except the
 * runtime's user region (guest.h: the CPL 3 code below, the user stack,
 * exc_fixup), which has U.  The test pages are at VTEST = 0x80000000 in
 * every format, so CR2 values are the same in all three; each access is
 * at offset 0x40 of its page (where the code pages have a RET):
 *
 *   VTEST + 0x0000  sup_rw      supervisor, writable
 *   VTEST + 0x1000  sup_ro      supervisor, read-only
 *   VTEST + 0x2000  user_rw     user, writable
 *   VTEST + 0x3000  user_ro     user, read-only
 *   VTEST + 0x4000  user_nx     user, writable, NX (PAE and 4-level)
 *   VTEST + 0x5000  sup_code    supervisor, read-only, a RET
 *   VTEST + 0x6000  user_code   user, read-only, a RET
 *   VTEST + 0x7000  notpresent
 *   VTEST + 0x8000, + 0x9000    global pages (below)
 *   VTEST + 4 MiB   pde_nouser  leaf user and writable; directory entry
 *                               without U
 *   VTEST + 8 MiB   pde_ro      leaf user and writable; directory entry
 *                               without RW
 *   VTEST + 12 MiB  rsvd        a 4 MiB (32-bit) or 2 MiB page whose
 *                               directory entry has a reserved bit set:
 *                               bit 21 (32-bit), bit 13 (PAE, 4-level)
 *
 * Every access prints pf.PHASE.CPL.ACCESS.PAGE=none when it must not
 * fault (reads and writes are checked through the identity map too), or
 * pf.NAME.error=0x.. and pf.NAME.cr2=0x.. for a #PF; the guest checks
 * both against the architecture (SDM 4.7: P 1, W 2, U 4, RSVD 8, I/D 0x10
 * for fetches, set only when CR4.SMEP = 1 or with PAE/4-level paging and
 * EFER.NXE).  The phases:
 *
 *   wp1       CR0.WP = 1: supervisor writes to read-only pages fault
 *             (user or not, and through a read-only directory entry);
 *             user accesses to supervisor pages, through a directory entry
 *             without U, to read-only pages, to not-present pages, fetches
 *             from NX pages; reserved bits from both CPLs
 *   wp0       CR0.WP = 0: supervisor writes to read-only pages go through;
 *             user writes still fault, user reads of the written page work
 *   wp1back   CR0.WP = 1 again: the supervisor writes fault again
 *   smep      CR4.SMEP = 1 (if CPUID.7.0:EBX[7]): supervisor fetch from a
 *             user page faults (I/D set, even with 32-bit paging), reads
 *             do not; smep.off: it is allowed again with SMEP clear
 *   smap      CR4.SMAP = 1 (if CPUID.7.0:EBX[20]): supervisor reads and
 *             writes of user pages fault, fetches do not; smap.ac: with
 *             EFLAGS.AC = 1 (STAC) they go through; smap.off: SMAP clear.
 *             The user region is supervisor-only during these: the
 *             handler writes exc_fixup, which SMAP would stop.
 *
 * The SMEP and SMAP lines (pf.smep.*, pf.smap.*) depend on the CPU, so
 * the guest also prints perm.smep and perm.smap = tested or skipped;
 * guests.sh compares the other lines with perm[-MODE].expected and these
 * with perm-smep.expected and perm-smap.expected when tested (they are the
 * same in every mode).  Then global pages (CR4.PGE): a global and a
 * non-global page map page A and are read; both PTEs are changed in
 * memory to page B.  After a CR3 write the non-global page must read B;
 * after CR4.PGE is toggled off and on the global one must read B; back to
 * A with INVLPG, it must read A (pge.* lines).
 *
 * What this tests is the walk of whatever checks the guest's tables: the
 * hypervisor's shadow MMU, or with TDP the CPU.  Under QEMU (TCG) with
 * NPT that is QEMU, which leaves P clear on reserved-bit faults and sets
 * the accessed bit of PAE PDPTEs; guests.sh skips perm there.
 */
#include "guest.h"

#define MiB		(1UL << 20)
#define IDENT_TOP	(8 * MiB)
#define VTEST		0x80000000UL
#define OFF		0x40		/* of each access in its page */

#if PT_FORMAT == PT_32
#define NAME		"prot32"
#define DIR_SHIFT	22		/* a directory entry maps 4 MiB */
#define RSVD_BIT	(1ULL << 21)	/* reserved in a 4 MiB PDE */
#elif PT_FORMAT == PT_PAE
#define NAME		"pae"
#define DIR_SHIFT	21
#define RSVD_BIT	(1ULL << 13)	/* bits 20:13 of a 2 MiB PDE */
#else
#define NAME		"long"
#define DIR_SHIFT	21
#define RSVD_BIT	(1ULL << 13)
#endif

#define PF_P		0x01
#define PF_W		0x02
#define PF_U		0x04
#define PF_RSVD		0x08
#define PF_ID		0x10
#define NONE		(-1L)		/* no fault */

#define PTE_ADDR	0x000ffffffffff000ULL

enum { SUP_RW, SUP_RO, USER_RW, USER_RO, USER_NX, SUP_CODE, USER_CODE,
       NOTPRESENT, PDE_NOUSER, PDE_RO, RSVD, NR_PAGES };

static const struct {
	const char *name;
	ulong va;
	uint64_t flags;		/* of the leaf */
	bool code;		/* a RET at OFF, else a word of data */
} pages[NR_PAGES] = {
	[SUP_RW] = { "sup_rw", VTEST + 0x0000, PTE_RW, false },
	[SUP_RO] = { "sup_ro", VTEST + 0x1000, 0, false },
	[USER_RW] = { "user_rw", VTEST + 0x2000, PTE_US | PTE_RW, false },
	[USER_RO] = { "user_ro", VTEST + 0x3000, PTE_US, false },
	[USER_NX] = { "user_nx", VTEST + 0x4000, PTE_US | PTE_RW | PTE_NX, false },
	[SUP_CODE] = { "sup_code", VTEST + 0x5000, 0, true },
	[USER_CODE] = { "user_code", VTEST + 0x6000, PTE_US, true },
	[NOTPRESENT] = { "notpresent", VTEST + 0x7000, 0, false },
	[PDE_NOUSER] = { "pde_nouser", VTEST + 4 * MiB, PTE_US | PTE_RW, false },
	[PDE_RO] = { "pde_ro", VTEST + 8 * MiB, PTE_US | PTE_RW, false },
	[RSVD] = { "rsvd", VTEST + 12 * MiB, PTE_US | PTE_RW | RSVD_BIT, false },
};
static ulong page_pa[NR_PAGES];	/* 0: no memory behind it */

#define VGLOBAL		(VTEST + 0x8000)
#define VNONGLOBAL	(VTEST + 0x9000)
#define WORD_A		0xa11a0a0aU
#define WORD_B		0xb22b0b0bU

enum { SUP, USER };
enum { READ, WRITE, EXEC };
static const char *const cpl_names[] = { "sup", "user" };
static const char *const acc_names[] = { "read", "write", "exec" };

#define SUP_VALUE	0x5a5a0000U
#define USER_VALUE	0x05e50000U

static struct pt pt;

/* ---- CPL 3 --------------------------------------------------------------- */
/* What the last user read got (in the user region: written at CPL 3). */
static volatile uint32_t user_read_value __user_data;

static __user_text ulong user_cpl(ulong arg)
{
	(void)arg;
	return read_cs() & 3;
}

/* arg: the address, with READ, WRITE or EXEC in its low two bits. */
static __user_text ulong user_probe(ulong arg)
{
	volatile void *p = (volatile void *)(arg & ~3UL);
	uint32_t v;
	int fault;

	if ((arg & 3) == READ) {
		fault = probe_read32(p, &v);
		user_read_value = v;
		return fault;
	}
	if ((arg & 3) == WRITE)
		return probe_write32(p, USER_VALUE);
	return probe_exec(p);
}

/* ---- the checks -------------------------------------------------------------- */
static uint32_t page_word(unsigned i)
{
	return 0x7e570000U + i;
}

static int probe(int cpl, int acc, ulong va, uint32_t *val)
{
	if (cpl == USER) {
		int fault = user_call(user_probe, va | acc);

		*val = user_read_value;
		return fault;
	}
	if (acc == READ)
		return probe_read32((volatile void *)va, val);
	if (acc == WRITE)
		return probe_write32((volatile void *)va, *val);
	return probe_exec((volatile void *)va);
}

/*
 * One access at CPL 0 or 3 to page p: no fault (want == NONE) or a #PF
 * with error code want, CR2 at the access.  Reads and writes that go
 * through are checked against the page's memory (identity-mapped).
 */
static void try(const char *phase, int cpl, int acc, unsigned p, long want)
{
	ulong va = pages[p].va + OFF;
	unsigned before = exc_count;
	uint32_t val = SUP_VALUE, *mem = NULL;
	char name[80], key[96];
	int faulted;

	snprintf(name, sizeof(name), "%s.%s.%s.%s", phase, cpl_names[cpl],
		 acc_names[acc], pages[p].name);
	if (page_pa[p])
		mem = (uint32_t *)(page_pa[p] + OFF);
	faulted = probe(cpl, acc, va, &val);
	check_eq(name, exc_count - before, faulted);
	if (!faulted) {
		snprintf(key, sizeof(key), "pf.%s", name);
		report_str(key, "none");
		check(want == NONE, "%s: no fault, want #PF error 0x%lx", name, want);
		if (acc == READ && mem)
			check_eq(name, val, *mem);
		if (acc == WRITE && mem) {
			check_eq(name, *mem, cpl == USER ? USER_VALUE : SUP_VALUE);
			*mem = page_word(p);
		}
		return;
	}
	snprintf(key, sizeof(key), "pf.%s.error", name);
	report_hex(key, exc_last.error);
	snprintf(key, sizeof(key), "pf.%s.cr2", name);
	report_hex(key, exc_last.cr2);
	check(want != NONE, "%s: #PF error 0x%lx, want no fault", name,
	      exc_last.error);
	check_eq(name, exc_last.vector, 14);
	if (want != NONE)
		check_eq(name, exc_last.error, want);
	check_eq(key, exc_last.cr2, va);
	if (mem && acc == WRITE)
		check_eq(name, *mem, page_word(p));
}

static void set_cr0(ulong clear, ulong set)
{
	write_cr0((read_cr0() & ~clear) | set);
}

static void set_cr4(ulong clear, ulong set)
{
	write_cr4((read_cr4() & ~clear) | set);
}

/* U on the user region's pages, or not (for SMAP). */
static void user_region(bool user)
{
	ulong va;

	for (va = (ulong)__user_start; va < (ulong)__user_end; va += 4096) {
		pt_update(&pt, va, user ? 0 : PTE_US, user ? PTE_US : 0);
		invlpg(va);
	}
}

static uint32_t rd(ulong va)
{
	return *(volatile uint32_t *)va;
}

static void global_pages(void)
{
	ulong a = (ulong)page_alloc(), b = (ulong)page_alloc();

	*(uint32_t *)(a + OFF) = WORD_A;
	*(uint32_t *)(b + OFF) = WORD_B;
	if (pt_map(&pt, VGLOBAL, a, 4096, 12, PTE_RW | PTE_G) ||
	    pt_map(&pt, VNONGLOBAL, a, 4096, 12, PTE_RW))
		exit(EXIT_FAIL);
	set_cr4(0, X86_CR4_PGE);
	check_eq("global page before", rd(VGLOBAL + OFF), WORD_A);
	check_eq("non-global page before", rd(VNONGLOBAL + OFF), WORD_A);

	/* Not global: a CR3 write flushes it, with CR4.PGE set too. */
	pt_update(&pt, VNONGLOBAL, PTE_ADDR, b);
	write_cr3(read_cr3());
	report_hex("pge.nonglobal.after_cr3", rd(VNONGLOBAL + OFF));
	check_eq("non-global page after a CR3 write", rd(VNONGLOBAL + OFF), WORD_B);

	/* Global: toggling CR4.PGE flushes it (a CR3 write need not). */
	pt_update(&pt, VGLOBAL, PTE_ADDR, b);
	set_cr4(X86_CR4_PGE, 0);
	set_cr4(0, X86_CR4_PGE);
	report_hex("pge.global.after_toggle", rd(VGLOBAL + OFF));
	check_eq("global page after toggling CR4.PGE", rd(VGLOBAL + OFF), WORD_B);

	/* And INVLPG flushes a global page. */
	pt_update(&pt, VGLOBAL, PTE_ADDR, a);
	invlpg(VGLOBAL);
	report_hex("pge.global.after_invlpg", rd(VGLOBAL + OFF));
	check_eq("global page after INVLPG", rd(VGLOBAL + OFF), WORD_A);
	set_cr4(X86_CR4_PGE, 0);
}

int guest_main(unsigned cpu)
{
	bool nx = false, smep = false, smap = false, pge;
	long id = 0;		/* I/D on fetch faults without SMEP */
	unsigned i;

	(void)cpu;
	report_str("perm.variant", NAME);
#if PT_FORMAT != PT_32
	nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0;
#endif
	if (nx)
		id = PF_ID;
	if (cpuid(0, 0).a >= 7) {
		struct cpuid c = cpuid(7, 0);

		smep = (c.b >> 7) & 1;
		smap = (c.b >> 20) & 1;
	}
	pge = (cpuid(1, 0).d >> 13) & 1;
	report("perm.nx", nx);
	if (mem_mib < 16) {
		printf("perm: needs --mem 16 or more\n");
		return EXIT_FAIL;
	}

	/*
	 * The tables: no page 0 (a NULL dereference faults), the VMM's GDT
	 * (copied by user_call()) and the image mapped supervisor-only, but
	 * for the user region.  Tables and test pages come from below
	 * IDENT_TOP, so they are mapped VA == PA too.
	 */
	page_alloc_limit = IDENT_TOP;
	pt_init(&pt, PT_FORMAT);
	if (pt_map(&pt, 0x1000, 0x1000, IDENT_TOP - 0x1000, 12, PTE_RW))
		return EXIT_FAIL;
	user_region(true);
	for (i = 0; i < NR_PAGES; i++) {
		uint8_t *p;

		if (i == NOTPRESENT)
			continue;
		if (i == RSVD) {
			/* A large page: any address will do, none is reached. */
			if (pt_map(&pt, pages[i].va, 0, 1UL << DIR_SHIFT,
				   DIR_SHIFT, pages[i].flags))
				return EXIT_FAIL;
			continue;
		}
		p = page_alloc();
		page_pa[i] = (ulong)p;
		if (pages[i].code)
			p[OFF] = 0xc3;	/* ret */
		else
			*(uint32_t *)(p + OFF) = page_word(i);
		if (pt_map(&pt, pages[i].va, page_pa[i], 4096, 12, pages[i].flags))
			return EXIT_FAIL;
	}
	if (pt_update_level(&pt, pages[PDE_NOUSER].va, DIR_SHIFT, PTE_US, 0) ||
	    pt_update_level(&pt, pages[PDE_RO].va, DIR_SHIFT, PTE_RW, 0))
		return EXIT_FAIL;
#if PT_FORMAT == PT_32
	/* PSE: else the rsvd entry's PS bit means nothing. */
	set_cr4(0, X86_CR4_PSE);
	write_cr3(pt.root);
	set_cr0(0, X86_CR0_PG | X86_CR0_WP);
#else
	write_cr3(pt.root);
	set_cr0(0, X86_CR0_WP);
#endif
	report("perm.user_cpl", user_call(user_cpl, 0));
	check_eq("CPL in user_call", user_call(user_cpl, 0), 3);

	/* CR0.WP = 1. */
	try("wp1", SUP, READ, USER_RW, NONE);
	try("wp1", SUP, WRITE, USER_RW, NONE);
	try("wp1", SUP, WRITE, SUP_RO, PF_P | PF_W);
	try("wp1", SUP, WRITE, USER_RO, PF_P | PF_W);
	try("wp1", SUP, EXEC, USER_CODE, NONE);
	try("wp1", SUP, READ, PDE_NOUSER, NONE);
	try("wp1", SUP, READ, PDE_RO, NONE);
	try("wp1", SUP, WRITE, PDE_RO, PF_P | PF_W);
	try("wp1", SUP, READ, RSVD, PF_P | PF_RSVD);
	try("wp1", SUP, WRITE, NOTPRESENT, PF_W);
	try("wp1", USER, READ, USER_RW, NONE);
	try("wp1", USER, WRITE, USER_RW, NONE);
	try("wp1", USER, READ, USER_RO, NONE);
	try("wp1", USER, WRITE, USER_RO, PF_P | PF_W | PF_U);
	try("wp1", USER, READ, SUP_RW, PF_P | PF_U);
	try("wp1", USER, WRITE, SUP_RW, PF_P | PF_W | PF_U);
	try("wp1", USER, WRITE, SUP_RO, PF_P | PF_W | PF_U);
	try("wp1", USER, EXEC, USER_CODE, NONE);
	try("wp1", USER, EXEC, SUP_CODE, PF_P | PF_U | id);
	try("wp1", USER, READ, NOTPRESENT, PF_U);
	try("wp1", USER, WRITE, NOTPRESENT, PF_W | PF_U);
	try("wp1", USER, EXEC, NOTPRESENT, PF_U | id);
	if (nx) {
		try("wp1", USER, READ, USER_NX, NONE);
		try("wp1", USER, EXEC, USER_NX, PF_P | PF_U | PF_ID);
	}
	try("wp1", USER, READ, PDE_NOUSER, PF_P | PF_U);
	try("wp1", USER, WRITE, PDE_NOUSER, PF_P | PF_W | PF_U);
	try("wp1", USER, READ, PDE_RO, NONE);
	try("wp1", USER, WRITE, PDE_RO, PF_P | PF_W | PF_U);
	try("wp1", USER, READ, RSVD, PF_P | PF_U | PF_RSVD);
	try("wp1", USER, WRITE, RSVD, PF_P | PF_W | PF_U | PF_RSVD);
	try("wp1", USER, EXEC, RSVD, PF_P | PF_U | PF_RSVD | id);

	/* CR0.WP = 0: only user writes need RW. */
	set_cr0(X86_CR0_WP, 0);
	try("wp0", SUP, WRITE, SUP_RO, NONE);
	try("wp0", SUP, WRITE, USER_RO, NONE);
	try("wp0", SUP, WRITE, PDE_RO, NONE);
	try("wp0", USER, READ, USER_RO, NONE);
	try("wp0", USER, WRITE, USER_RO, PF_P | PF_W | PF_U);
	try("wp0", USER, WRITE, SUP_RO, PF_P | PF_W | PF_U);
	try("wp0", USER, WRITE, PDE_RO, PF_P | PF_W | PF_U);
	try("wp0", SUP, WRITE, RSVD, PF_P | PF_W | PF_RSVD);

	/* CR0.WP = 1 again: what WP = 0 let through must fault again. */
	set_cr0(0, X86_CR0_WP);
	try("wp1back", SUP, WRITE, SUP_RO, PF_P | PF_W);
	try("wp1back", SUP, WRITE, USER_RO, PF_P | PF_W);
	try("wp1back", SUP, WRITE, PDE_RO, PF_P | PF_W);
	try("wp1back", USER, READ, USER_RO, NONE);

	/* SMEP: supervisor fetches from user pages. */
	report_str("perm.smep", smep ? "tested" : "skipped");
	if (smep) {
		set_cr4(0, X86_CR4_SMEP);
		try("smep", SUP, EXEC, USER_CODE, PF_P | PF_ID);
		try("smep", SUP, READ, USER_CODE, NONE);
		try("smep", SUP, EXEC, SUP_CODE, NONE);
		try("smep", USER, EXEC, USER_CODE, NONE);
		try("smep", USER, EXEC, SUP_CODE, PF_P | PF_U | PF_ID);
		try("smep", USER, EXEC, NOTPRESENT, PF_U | PF_ID);
		set_cr4(X86_CR4_SMEP, 0);
		try("smep.off", SUP, EXEC, USER_CODE, NONE);
	}

	/* SMAP: supervisor data accesses to user pages. */
	report_str("perm.smap", smap ? "tested" : "skipped");
	if (smap) {
		user_region(false);
		set_cr4(0, X86_CR4_SMAP);
		try("smap", SUP, READ, USER_RW, PF_P);
		try("smap", SUP, WRITE, USER_RW, PF_P | PF_W);
		try("smap", SUP, READ, USER_RO, PF_P);
		try("smap", SUP, EXEC, USER_CODE, NONE);
		try("smap", SUP, READ, SUP_RW, NONE);
		asm volatile("stac" ::: "memory", "cc");
		try("smap.ac", SUP, READ, USER_RW, NONE);
		try("smap.ac", SUP, WRITE, USER_RW, NONE);
		asm volatile("clac" ::: "memory", "cc");
		set_cr4(X86_CR4_SMAP, 0);
		try("smap.off", SUP, READ, USER_RW, NONE);
		user_region(true);
	}

	if (pge)
		global_pages();
	else
		printf("perm: the CPU has no PGE\n");

	return failures ? EXIT_FAIL : EXIT_PASS;
}
