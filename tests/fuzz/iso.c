// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz iso: guests in random paging modes, with random page tables and
 * memory-slot layouts, read, write and execute at random linear
 * addresses; nothing they see or change may be host memory outside their
 * slots.  tests/fuzz/README.md describes the round and the oracle; the
 * guest's own code is iso-guest.c.
 */
#include <time.h>
#include "fuzz.h"
#include "iso.h"

#define PAGE		4096ULL
#define CORE_SIZE	0x40000ULL	/* slot 0: code, tables, scripts */
#define CODE64_GPA	0x800ULL
#define CODE32_GPA	0xc00ULL
#define GDT_GPA		0x1000ULL
#define TSS_GPA		0x1c00ULL
#define IDT_GPA		0x1800ULL
#define SCRIPT_GPA	0x2000ULL	/* + 0x1000 per vCPU */
#define STACK_TOP	0x5000ULL	/* + 0x1000 per vCPU */
#define PT_POOL		0x6000ULL
#define PT_POOL_END	0x20000ULL
#define FILL_GPA	0x20000ULL
#define FUZZ_LIN	0x40000000ULL	/* the window of random mappings */
#define FUZZ_WIN	0x400000ULL
#define HUGE		0x200000ULL	/* a transparent huge page */
#define TSS_ADDR	0xfffbd000ULL	/* KVM_SET_TSS_ADDR, outside every slot */

#define SEL_CODE64	0x08
#define SEL_CODE32	0x10
#define SEL_DATA	0x18
#define SEL_TSS		0x20

#define PORT_READ	0xe0
#define PORT_DONE	0xe1
#define PORT_FAULT	0xe2
#define PORT_GIVEUP	0xe3

#define NPCAN		8	/* canary pages whose host-physical address is known */
#define NSLOT_MAX	7	/* slot 0 and up to 6 data slots */
#define GUARD		1	/* canary pages on each side of a slot's backing */
#define CANARY_GUARD(slot, after)	(0x100 + 2 * (slot) + (after))

/*
 * OP_EMUL: one of the instructions below (the entry's op bits 15:8 pick
 * it) with its memory operand at the address, for the instruction
 * emulator to meet at hostile addresses: MMIO gaps, read-only slots,
 * page and slot boundaries, the window's random mappings.
 */
enum { OP_END, OP_READ, OP_WRITE, OP_EXEC, OP_EMUL };

enum mode { M_NOPG, M_32, M_PAE, M_LONG, M_LMA_NO_PG, M_NR };
static const char *const mode_name[] = {
	"paging off", "32-bit", "PAE", "long", "lma-no-pg",
};


struct slot {
	int id;
	uint64_t gpa, size;
	bool ro, present, ever_writable;
	bool logging;		/* KVM_MEM_LOG_DIRTY_PAGES */
	uint8_t *area;		/* guards + backing + guards */
	size_t area_size;
	uint8_t *mem;		/* the backing */
	uint8_t *snap;		/* the backing when the guest started */
};

struct opts {
	uint64_t seed;
	long rounds, first;
	int scenario;		/* -1: random */
	int vcpus;		/* 0: random 1 or 2 */
	long tol_kb;
	bool leak_check;
	bool quiet;		/* the warm-up: FAIL lines only */
};

struct vcpu_ctx {
	int id, fd;
	struct kvm_run *run;
	struct fthread thread;
	int exits, reads, faults, canaries;
	int emul_failures;	/* KVM_EXIT_INTERNAL_ERROR of emulation, resumed */
	const char *ended;
	struct rng rng;
};

static struct iso {
	const struct opts *o;
	struct rng rng;
	uint32_t round;
	enum mode mode;
	bool pse, nxe, big_core;
	/*
	 * Slot 1 in transparent huge pages, 2 MiB-aligned like its gpa: what
	 * lets mmu=tdp map it with large leaves.  Decided with its own
	 * generator, huge_rng, so that a round without it draws what it
	 * drew before.
	 */
	bool huge;
	struct rng huge_rng;
	int kvm, vm, run_size;
	int nslots;
	struct slot slot[NSLOT_MAX];
	uint8_t *pcan[NPCAN];
	uint64_t pcan_hpa[NPCAN];
	uint64_t core_hpa[64];
	uint64_t pt_next, root;
	uint64_t pt_fuzz_first;	/* the first table page of the fuzz window */
	uint64_t lin[128];	/* linear pages mapped in the fuzz window... */
	uint64_t lin_gpa[128];	/* ...and what each maps */
	uint64_t lin_size[128];
	int nlin;
	int extra_root_idx[4], nextra;
	int nvcpus;
	struct vcpu_ctx vc[2];
	volatile int running;
	volatile bool stop;
	char inconsistent[160];	/* the inconsistent state tried, and its answer */
	int mutations;
	const char *strategy;
	struct kvm_cpuid2 *cpuid;
	long fail_entries, shutdowns, internal;
} S;

static char strategy_buf[32];

static const char *strategy(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/mmu", "r");

	strcpy(strategy_buf, "?");
	if (f) {
		if (fscanf(f, "%31s", strategy_buf) != 1)
			strcpy(strategy_buf, "?");
		fclose(f);
	}
	return strategy_buf;
}

static bool mode64(void)
{
	return S.mode == M_LONG || S.mode == M_LMA_NO_PG;
}

static uint8_t *core(void)
{
	return S.slot[0].mem;
}

/* ---- canaries -------------------------------------------------------- */

static void canaries_init(void)
{
	for (int i = 0; i < NPCAN; i++) {
		S.pcan[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (S.pcan[i] == MAP_FAILED || mlock(S.pcan[i], PAGE)) {
			printf("FAIL: fuzz: iso: canary page: %s\n", strerror(errno));
			exit(2);
		}
		memset(S.pcan[i], 0x5a, PAGE);
		S.pcan_hpa[i] = virt_to_phys(S.pcan[i]);
		if (!S.pcan_hpa[i]) {
			printf("FAIL: fuzz: iso: no host-physical address in /proc/self/pagemap (root?)\n");
			exit(2);
		}
	}
}

static void stamp(uint8_t *p, size_t len, uint32_t page)
{
	uint64_t w = canary_word(S.round, page);

	for (size_t i = 0; i < len; i += 8)
		memcpy(p + i, &w, 8);
}

static const char *canary_name(uint64_t v, char *buf, size_t n)
{
	unsigned int page = v & 0xffff, round = (v >> 16) & 0xffff;

	if (page < NPCAN)
		snprintf(buf, n, "physical canary page %u (host-physical %#llx), round %u",
			 page, (unsigned long long)S.pcan_hpa[page], round);
	else if (page >= 0x100 && page < 0x100 + 2 * NSLOT_MAX)
		snprintf(buf, n, "guard canary %s slot %u's backing, round %u",
			 page & 1 ? "after" : "before", (page - 0x100) / 2, round);
	else
		snprintf(buf, n, "canary %#x, round %u", page, round);
	return buf;
}

static bool is_canary(uint64_t v)
{
	return (uint32_t)(v >> 32) == CANARY_HI || (uint32_t)v == CANARY_HI;
}

/* ---- slots ------------------------------------------------------------ */

static int set_slot(struct slot *s, uint64_t gpa, bool ro, bool present)
{
	struct kvm_userspace_memory_region r = {
		.slot = s->id,
		.flags = (ro ? KVM_MEM_READONLY : 0) |
			 (s->logging ? KVM_MEM_LOG_DIRTY_PAGES : 0),
		.guest_phys_addr = gpa,
		.memory_size = present ? s->size : 0,
		.userspace_addr = (uintptr_t)s->mem,
	};

	return ioctl(S.vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/*
 * @huge: the backing in transparent huge pages, at the same offset in a
 * 2 MiB page as @gpa, so that a nested-paging MMU may map it with 2 MiB
 * leaves; the guard canaries then share a huge page with the slot's first
 * or last pages, and a large leaf that reaches past the slot maps them.
 */
static int slot_alloc(struct slot *s, int id, uint64_t gpa, uint64_t size, bool ro,
		      bool huge)
{
	uint8_t *start;

	s->id = id;
	s->gpa = gpa;
	s->size = size;
	s->ro = ro;
	s->ever_writable = !ro;
	s->logging = false;
	s->area_size = size + 2 * GUARD * PAGE + (huge ? 2 * HUGE : 0);
	s->area = mmap(NULL, s->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->area == MAP_FAILED)
		return -errno;
	start = s->area + GUARD * PAGE;
	s->mem = start;
	if (huge) {
		s->mem = (uint8_t *)(((uintptr_t)start + HUGE - 1) & ~(HUGE - 1)) +
			 (gpa & (HUGE - 1));
		madvise(s->area, s->area_size, MADV_HUGEPAGE);
	}
	s->snap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->snap == MAP_FAILED) {
		munmap(s->area, s->area_size);
		return -ENOMEM;
	}
	stamp(s->mem - GUARD * PAGE, GUARD * PAGE, CANARY_GUARD(id, 0));
	stamp(s->mem + size, GUARD * PAGE, CANARY_GUARD(id, 1));
	return 0;
}

static void slot_free(struct slot *s)
{
	munmap(s->area, s->area_size);
	if (s->snap)
		munmap(s->snap, s->size);
}

static bool gpa_in_slot(uint64_t gpa)
{
	for (int i = 0; i < S.nslots; i++)
		if (gpa >= S.slot[i].gpa && gpa < S.slot[i].gpa + S.slot[i].size)
			return true;
	return false;
}

/* A PTE-like word that points at a canary's host-physical address. */
static uint64_t canary_pte(void)
{
	return S.pcan_hpa[rn(&S.rng, NPCAN)] | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
}

static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w = one_in(&S.rng, 3) ? canary_pte() : rnd_clean(&S.rng);

		memcpy(p + i, &w, 8);
	}
}

/* ---- guest page tables ------------------------------------------------ */

static int levels(void)
{
	switch (S.mode) {
	case M_32:
		return 2;
	case M_PAE:
		return 3;
	default:
		return 4;
	}
}

static int esize(void)
{
	return S.mode == M_32 ? 4 : 8;
}

static int lshift(int level)
{
	return S.mode == M_32 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
}

static int lindex(uint64_t lin, int level)
{
	if (S.mode == M_32)
		return (lin >> lshift(level)) & 1023;
	if (S.mode == M_PAE && level == 3)
		return (lin >> 30) & 3;
	return (lin >> lshift(level)) & 511;
}

static uint64_t pt_alloc(void)
{
	uint64_t gpa = S.pt_next;

	if (gpa >= PT_POOL_END)
		return 0;
	S.pt_next += PAGE;
	memset(core() + gpa, 0, PAGE);
	return gpa;
}

static uint64_t pte_get(uint64_t table, int i)
{
	uint64_t v = 0;

	memcpy(&v, core() + table + i * esize(), esize());
	return v;
}

static void pte_set(uint64_t table, int i, uint64_t v)
{
	memcpy(core() + table + i * esize(), &v, esize());
}

/* Map @lin to @gpa with a leaf at @leaf (1: 4 KiB; 2: 2/4 MiB; 3: 1 GiB). */
static bool map(uint64_t lin, uint64_t gpa, int leaf, uint64_t flags)
{
	uint64_t table = S.root;

	for (int level = levels(); level > leaf; level--) {
		int i = lindex(lin, level);
		uint64_t e = pte_get(table, i);

		if (!(e & PTE_P) || (e & PTE_PS) || (e & ~0xfffULL & ~PTE_NX) >= PT_POOL_END) {
			uint64_t t = pt_alloc();

			if (!t)
				return false;
			e = t | PTE_P;
			/* PAE PDPTEs have no R/W, U/S or A bits. */
			if (!(S.mode == M_PAE && level == 3))
				e |= PTE_RW | PTE_US | PTE_A;
			pte_set(table, i, e);
		}
		table = e & 0xfffff000ULL;
	}
	pte_set(table, lindex(lin, leaf), gpa | flags | (leaf > 1 ? PTE_PS : 0));
	return true;
}

static uint64_t rand_flags(void)
{
	uint64_t f = PTE_A;

	if (!one_in(&S.rng, 10))
		f |= PTE_P;
	if (!one_in(&S.rng, 3))
		f |= PTE_RW;
	if (one_in(&S.rng, 2))
		f |= PTE_US;
	if (one_in(&S.rng, 2))
		f |= PTE_D;
	if (S.nxe && one_in(&S.rng, 5))
		f |= PTE_NX;
	if (one_in(&S.rng, 20)) {	/* a reserved bit */
		if (esize() == 8)
			f |= 1ULL << (51 - rn(&S.rng, 4));
		else
			f |= 1ULL << 21;	/* reserved in a 4 MiB PDE */
	}
	return f;
}

/* A target for a random mapping: RAM, MMIO, a table, beyond memory, a canary. */
static uint64_t rand_target(void)
{
	uint64_t top = esize() == 8 ? (1ULL << 36) : (1ULL << 32);
	struct slot *s;

	switch (rn(&S.rng, 8)) {
	case 0:
	case 1:
		if (S.nslots < 2)
			return 0;
		s = &S.slot[1 + rn(&S.rng, S.nslots - 1)];
		return s->gpa + rn(&S.rng, s->size / PAGE) * PAGE;
	case 2: {
		uint64_t g;

		/* Next to the huge slot, in the huge pages its ends share. */
		if (S.huge && one_in(&S.huge_rng, 2)) {
			s = &S.slot[1];
			if (one_in(&S.huge_rng, 2))
				return s->gpa + s->size + rn(&S.huge_rng, 8) * PAGE;
			return s->gpa - (1 + rn(&S.huge_rng, 8)) * PAGE;
		}
		for (int i = 0; i < 8; i++) {
			g = rn(&S.rng, 64 << 20) & ~(PAGE - 1);
			if (!gpa_in_slot(g))
				return g;
		}
		return 0xfee00000ULL;
	}
	case 3:
		return PT_POOL + rn(&S.rng, (S.pt_next - PT_POOL) / PAGE) * PAGE;
	case 4:
		return one_in(&S.rng, 2) ? (top - PAGE) : (top >> 1) + rn(&S.rng, top >> 1) / PAGE * PAGE;
	case 5:
	case 6:
		return S.pcan_hpa[rn(&S.rng, NPCAN)];
	default:
		return rn(&S.rng, top) & ~(PAGE - 1);
	}
}

static void build_tables(void)
{
	int maxleaf = S.mode == M_LONG ? 3 : S.mode == M_32 && !S.pse ? 1 : 2;
	int n;

	S.pt_next = PT_POOL;
	S.root = pt_alloc();
	S.nlin = 0;
	S.nextra = 0;
	/* The core, identity-mapped: code, GDT, IDT, scripts, stacks, tables. */
	if (S.big_core && maxleaf >= 2) {
		map(0, 0, maxleaf == 3 && one_in(&S.rng, 2) ? 3 : 2,
		    PTE_P | PTE_RW | PTE_A | PTE_D);
	} else {
		for (uint64_t a = 0; a < CORE_SIZE; a += PAGE)
			map(a, a, 1, PTE_P | PTE_RW | PTE_A | PTE_D);
	}
	/*
	 * The identity map's tables must stay whole: random entries go only
	 * into tables made from here on, and into root entries nothing uses.
	 */
	S.pt_fuzz_first = S.pt_next;
	n = 8 + rn(&S.rng, 48);
	for (int i = 0; i < n && S.nlin < 128; i++) {
		int leaf = 1;
		uint64_t lin, gpa, size;

		if (maxleaf >= 2 && one_in(&S.rng, 8))
			leaf = maxleaf == 3 && one_in(&S.rng, 3) ? 3 : 2;
		size = 1ULL << lshift(leaf);
		if (leaf == 3) {
			lin = FUZZ_LIN;
			gpa = rand_target() & ~(size - 1);
		} else {
			lin = FUZZ_LIN + rn(&S.rng, FUZZ_WIN / size) * size;
			gpa = rand_target() & ~(size - 1);
		}
		if (!map(lin, gpa, leaf, rand_flags()))
			break;
		S.lin[S.nlin] = lin;
		S.lin_gpa[S.nlin] = gpa;
		S.lin_size[S.nlin++] = size;
	}
	/* Entries pointing at their own table, or at canaries, in fuzz tables. */
	for (int i = rn(&S.rng, 4); i > 0 && S.pt_next > S.pt_fuzz_first; i--) {
		uint64_t t = S.pt_fuzz_first +
			     rn(&S.rng, (S.pt_next - S.pt_fuzz_first) / PAGE) * PAGE;
		uint64_t to = one_in(&S.rng, 2) ? t : S.pcan_hpa[rn(&S.rng, NPCAN)];

		pte_set(t, rn(&S.rng, PAGE / esize()), to | PTE_P | PTE_RW | PTE_A);
	}
	/* Unused root entries: at the root itself, at canaries, at tables. */
	if (S.mode != M_PAE) {
		for (int i = rn(&S.rng, 3); i > 0; i--) {
			int entries = S.mode == M_32 ? 1024 : 512;
			int idx = 2 + rn(&S.rng, entries - 2);
			uint64_t to;

			if (idx == lindex(FUZZ_LIN, levels()) || pte_get(S.root, idx))
				continue;
			switch (rn(&S.rng, 3)) {
			case 0:
				to = S.root;
				break;
			case 1:
				to = S.pcan_hpa[rn(&S.rng, NPCAN)];
				break;
			default:
				to = rand_target();
				break;
			}
			pte_set(S.root, idx, to | rand_flags());
			S.extra_root_idx[S.nextra++] = idx;
		}
	}
}

/* ---- the script ------------------------------------------------------- */

/* A linear address whose page the core's identity map covers. */
static uint64_t core_data_addr(bool write)
{
	/* Writes go to page 0's PTE words, the tables and the fill area. */
	if (write && !one_in(&S.rng, 50)) {
		if (one_in(&S.rng, 4))
			return rn(&S.rng, 0x800) & ~7ULL;
		return PT_POOL + (rn(&S.rng, CORE_SIZE - PT_POOL) & ~7ULL);
	}
	return rn(&S.rng, CORE_SIZE) & ~7ULL;
}

static uint64_t script_addr(bool write, int *lin_idx)
{
	uint64_t a;

	*lin_idx = -1;
	if (S.mode == M_LMA_NO_PG && !one_in(&S.rng, 4)) {
		/* Page k's word of page 0 is the PTE of k * 4 KiB, should the
		 * hardware walk guest memory as a table. */
		if (write)
			return core_data_addr(true);
		return (6 + rn(&S.rng, 250)) * PAGE + rn(&S.rng, 512) * 8;
	}
	switch (rn(&S.rng, 10)) {
	case 0:
	case 1:
		return core_data_addr(write);
	case 2:
		if (S.nextra) {
			int idx = S.extra_root_idx[rn(&S.rng, S.nextra)];

			a = (uint64_t)idx << lshift(levels());
			if (mode64() && (a & (1ULL << 47)))
				a |= 0xffff000000000000ULL;
			return a + (rn(&S.rng, 1ULL << 21) & ~7ULL);
		}
		/* fall through */
	case 3:
		if (one_in(&S.rng, 3))
			return rnd(&S.rng) & ~7ULL;
		return FUZZ_LIN + (rn(&S.rng, FUZZ_WIN) & ~7ULL);
	default:
		if (!S.nlin)
			return FUZZ_LIN;
		*lin_idx = rn(&S.rng, S.nlin);
		a = rn(&S.rng, S.lin_size[*lin_idx] < 0x10000 ? S.lin_size[*lin_idx] : 0x10000);
		if (!one_in(&S.rng, 16))
			a &= ~7ULL;	/* mostly aligned; sometimes across words or pages */
		return S.lin[*lin_idx] + a;
	}
}

/* Where @gpa is RAM of a data slot, a pointer to its backing, or NULL. */
static uint8_t *gpa_backing(uint64_t gpa)
{
	for (int i = 0; i < S.nslots; i++) {
		struct slot *s = &S.slot[i];

		if (gpa >= s->gpa && gpa < s->gpa + s->size)
			return s->mem + (gpa - s->gpa);
	}
	return NULL;
}

static uint64_t write_value(void)
{
	switch (rn(&S.rng, 4)) {
	case 0:
		return canary_pte();	/* a PTE-like word at a canary */
	case 1:
		return rand_target() | PTE_P | PTE_RW | PTE_US;
	default:
		return rnd_clean(&S.rng);
	}
}

static void build_script(int v)
{
	uint8_t *p = core() + SCRIPT_GPA + v * PAGE;
	int es = mode64() ? 24 : 16, max = PAGE / es - 1;
	int n = 16 + rn(&S.rng, max - 16);

	for (int i = 0; i < n; i++) {
		int op = rn(&S.rng, 20) < 11 ? OP_READ : one_in(&S.rng, 4) ? OP_EXEC : OP_WRITE;

		/* lma-no-pg: reads first, and nothing executed. */
		if (S.mode == M_LMA_NO_PG && (i < n / 2 || op == OP_EXEC))
			op = OP_READ;
		else if (S.mode != M_LMA_NO_PG && one_in(&S.rng, 6))
			op = OP_EMUL;
		int li;
		uint64_t a = script_addr(op == OP_WRITE || (op == OP_EMUL && one_in(&S.rng, 2)), &li);
		uint64_t val = write_value();

		if (op == OP_EMUL)
			op |= rn(&S.rng, mode64() ? N_STUBS64 : N_STUBS32) << 8;

		if (op == OP_EXEC && li >= 0) {
			/* A RET where the page maps RAM, so that the call returns. */
			uint64_t off = a - S.lin[li];
			uint8_t *b = gpa_backing(S.lin_gpa[li] + off);

			if (b)
				*b = 0xc3;
			else if (!one_in(&S.rng, 20))
				op = OP_READ;	/* MMIO or nothing: mostly read it */
		} else if (op == OP_EXEC && !one_in(&S.rng, 20)) {
			op = OP_READ;
		}
		if (!mode64())
			a = (uint32_t)a;
		if (mode64()) {
			uint64_t e[3] = { op, a, val };

			memcpy(p + i * es, e, sizeof(e));
		} else {
			uint32_t e[4] = { op, (uint32_t)a, (uint32_t)val, (uint32_t)(val >> 32) };

			memcpy(p + i * es, e, sizeof(e));
		}
	}
	memset(p + n * es, 0, es);	/* OP_END */
}

/* ---- the VM ----------------------------------------------------------- */

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = !l;
	s->g = 1;
}

static void build_descriptors(void)
{
	uint64_t *gdt = (uint64_t *)(core() + GDT_GPA);
	bool m64 = mode64();
	uint64_t handler = m64 ? CODE64_GPA + (guest64_handler - guest64) :
				 CODE32_GPA + (guest32_handler - guest32);

	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* 64-bit code */
	gdt[2] = 0x00cf9b000000ffffULL;		/* 32-bit code */
	gdt[3] = 0x00cf93000000ffffULL;		/* data */
	gdt[4] = 0x67 | (TSS_GPA & 0xffffff) << 16 | 0x8bULL << 40 |
		 ((TSS_GPA >> 24) & 0xff) << 56;
	gdt[5] = 0;
	for (int v = 0; v < 32; v++) {
		if (m64) {
			uint64_t *g = (uint64_t *)(core() + IDT_GPA + 16 * v);

			g[0] = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 |
			       0x8e00ULL << 32 | ((handler >> 16) & 0xffff) << 48;
			g[1] = handler >> 32;
		} else {
			uint64_t *g = (uint64_t *)(core() + IDT_GPA + 8 * v);

			g[0] = (handler & 0xffff) | (uint64_t)SEL_CODE32 << 16 |
			       0x8e00ULL << 32 | ((handler >> 16) & 0xffff) << 48;
		}
	}
	/* Each form fits its kilobyte, and every stub its 32 bytes. */
	if (guest64_end - guest64 > (long)(CODE32_GPA - CODE64_GPA) ||
	    guest32_end - guest32 > (long)(GDT_GPA - CODE32_GPA) ||
	    guest64_stubs_end - guest64_stubs != 32 * N_STUBS64 ||
	    guest32_stubs_end - guest32_stubs != 32 * N_STUBS32)
		fuzz_fail("iso", "the guest code does not fit: %td and %td bytes, stubs %td and %td",
			  guest64_end - guest64, guest32_end - guest32,
			  guest64_stubs_end - guest64_stubs, guest32_stubs_end - guest32_stubs),
		exit(1);
	memcpy(core() + CODE64_GPA, guest64, guest64_end - guest64);
	memcpy(core() + CODE32_GPA, guest32, guest32_end - guest32);
}

/* The valid state of the round's mode. */
static void valid_sregs(struct kvm_sregs *s, enum mode m)
{
	bool l = m == M_LONG || m == M_LMA_NO_PG;

	seg(&s->cs, l ? SEL_CODE64 : SEL_CODE32, 11, l);
	seg(&s->ds, SEL_DATA, 3, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.base = TSS_GPA;
	s->tr.limit = 0x67;
	s->tr.selector = SEL_TSS;
	s->tr.type = 11;
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 2;
	s->ldt.unusable = 1;
	s->gdt.base = GDT_GPA;
	s->gdt.limit = 6 * 8 - 1;
	s->idt.base = IDT_GPA;
	s->idt.limit = l ? 32 * 16 - 1 : 32 * 8 - 1;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->efer = 0;
	s->cr3 = S.root;
	switch (m) {
	case M_NOPG:
		break;
	case M_32:
		s->cr0 |= X86_CR0_PG | (one_in(&S.rng, 2) ? X86_CR0_WP : 0);
		s->cr4 = S.pse ? X86_CR4_PSE : 0;
		break;
	case M_PAE:
		s->cr0 |= X86_CR0_PG | X86_CR0_WP;
		s->cr4 = X86_CR4_PAE;
		s->efer = S.nxe ? EFER_NXE : 0;
		break;
	default:
		s->cr0 |= X86_CR0_PG | X86_CR0_WP;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LME | EFER_LMA | (S.nxe ? EFER_NXE : 0);
		break;
	}
	s->cr4 |= X86_CR4_OSFXSR;	/* OP_EMUL's SSE move */
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
}

/* A deliberately inconsistent state; refused (EINVAL) is the right answer. */
static void try_inconsistent(int fd, const struct kvm_sregs *good, bool scenario)
{
	struct kvm_sregs s = *good;
	const char *what;
	int k = scenario ? 0 : rn(&S.rng, 7);

	switch (k) {
	case 0:
		what = "EFER.LMA|LME with CR0.PG=0, CR4.PAE=1";
		s.efer = EFER_LME | EFER_LMA;
		s.cr0 &= ~X86_CR0_PG;
		s.cr4 |= X86_CR4_PAE;
		seg(&s.cs, SEL_CODE64, 11, true);
		break;
	case 1:
		what = "EFER.LMA without LME";
		s.efer = EFER_LMA;
		break;
	case 2:
		what = "long mode with CR4.PAE=0";
		s.cr4 &= ~X86_CR4_PAE;
		s.efer |= EFER_LME | EFER_LMA;
		s.cr0 |= X86_CR0_PG;
		break;
	case 3:
		what = "CR0.PG without PE";
		s.cr0 = (s.cr0 | X86_CR0_PG) & ~X86_CR0_PE;
		break;
	case 4:
		what = "EFER reserved bit";
		s.efer |= 1ULL << (32 + rn(&S.rng, 31));
		break;
	case 5:
		what = "CR4 reserved bit";
		s.cr4 |= 1ULL << (32 + rn(&S.rng, 31));
		break;
	default:
		what = "CR0.PG|LME with CR0.PE=0 and PAE=0";
		s.cr0 = X86_CR0_PG;
		s.cr4 = 0;
		s.efer = EFER_LME;
		break;
	}
	if (ioctl(fd, KVM_SET_SREGS, &s))
		snprintf(S.inconsistent, sizeof(S.inconsistent), "%s: refused (%s)",
			 what, strerror(errno));
	else {
		snprintf(S.inconsistent, sizeof(S.inconsistent), "%s: accepted", what);
		/* Upstream's kvm_is_valid_sregs() refuses every one of these. */
		fuzz_fail("iso", "round %u, %s, mmu=%s: KVM_SET_SREGS accepted an inconsistent state: %s (reproduce: --seed %llu --first %u --rounds 1)",
			  S.round, mode_name[S.mode], S.strategy, what,
			  (unsigned long long)S.o->seed, S.round);
	}
}

static void setup_vcpu(struct vcpu_ctx *c)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	bool m64 = mode64();

	if (S.cpuid && ioctl(c->fd, KVM_SET_CPUID2, S.cpuid))
		fuzz_fail("iso", "round %u: KVM_SET_CPUID2 of the supported table: %s",
			  S.round, strerror(errno));
	ioctl(c->fd, KVM_GET_SREGS, &s);
	valid_sregs(&s, S.mode == M_LMA_NO_PG ? M_LONG : S.mode);
	if (ioctl(c->fd, KVM_SET_SREGS, &s))
		fuzz_fail("iso", "round %u: KVM_SET_SREGS of a valid %s state: %s",
			  S.round, mode_name[S.mode], strerror(errno));
	if (S.mode == M_LMA_NO_PG)
		try_inconsistent(c->fd, &s, true);
	else if (one_in(&S.rng, 8))
		try_inconsistent(c->fd, &s, false);
	if (one_in(&S.rng, 4)) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e[2];
		} m = { .h.nmsrs = 2 };

		m.e[0].index = MSR_EFER;
		m.e[0].data = s.efer;
		m.e[1].index = 0xc0000081 + rn(&S.rng, 4);	/* STAR.. SFMASK */
		m.e[1].data = rnd(&S.rng) & 0xffffffffULL;
		ioctl(c->fd, KVM_SET_MSRS, &m);
	}
	/*
	 * An exception to deliver: not in lma-no-pg, whose first access must
	 * be the fetch from page 0 (an IDT read first would loop on a bad
	 * module, instead of reaching the canaries).
	 */
	if (one_in(&S.rng, 10) && S.mode != M_LMA_NO_PG) {
		struct kvm_vcpu_events ev;

		ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev);
		ev.exception.injected = 1;
		ev.exception.nr = one_in(&S.rng, 2) ? 6 : 13;
		ev.exception.has_error_code = ev.exception.nr == 13;
		ev.exception.error_code = 0;
		ev.flags = 0;
		ioctl(c->fd, KVM_SET_VCPU_EVENTS, &ev);
	}
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	if (m64) {
		r.rip = CODE64_GPA;
		r.r15 = SCRIPT_GPA + c->id * PAGE;
		r.r14 = STACK_TOP + c->id * PAGE;
		r.r13 = 64;
		r.rsp = r.r14;
	} else {
		r.rip = CODE32_GPA;
		r.rsi = SCRIPT_GPA + c->id * PAGE;
		r.rbp = STACK_TOP + c->id * PAGE;
		r.rdx = 64;
		r.rsp = r.rbp;
	}
	ioctl(c->fd, KVM_SET_REGS, &r);
}

static void report_read(struct vcpu_ctx *c)
{
	struct kvm_regs r;
	uint64_t v;
	char name[160];

	if (ioctl(c->fd, KVM_GET_REGS, &r))
		return;
	v = mode64() ? r.rax : (r.rcx << 32 | (uint32_t)r.rax);
	c->reads++;
	if ((is_canary(v) || is_canary(r.rax)) && c->canaries++ == 0)
		fuzz_fail("iso", "round %u, %s, mmu=%s, vCPU %d: guest read %s (value %#llx) at linear %#llx [%s] (reproduce: --seed %llu --first %u --rounds 1)",
			  S.round, mode_name[S.mode], S.strategy, c->id,
			  canary_name(is_canary(v) ? v : r.rax, name, sizeof(name)),
			  (unsigned long long)v, (unsigned long long)r.rbx,
			  S.inconsistent[0] ? S.inconsistent : "valid state",
			  (unsigned long long)S.o->seed, S.round);
}

/*
 * An instruction the module does not emulate (an OP_EMUL stub, mostly):
 * go on at the exception handler, as if it had faulted, so that the rest
 * of the script still runs.  Only while CS is still the mode's own.
 */
static bool resume_at_handler(struct vcpu_ctx *c)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	bool m64 = mode64();

	if (ioctl(c->fd, KVM_GET_SREGS, &sr) || ioctl(c->fd, KVM_GET_REGS, &r) ||
	    sr.cs.selector != (m64 ? SEL_CODE64 : SEL_CODE32))
		return false;
	r.rip = m64 ? CODE64_GPA + (guest64_handler - guest64) :
		      CODE32_GPA + (guest32_handler - guest32);
	return !ioctl(c->fd, KVM_SET_REGS, &r);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct kvm_run *run = c->run;

	c->ended = "exit limit";
	for (c->exits = 0; c->exits < 4096 && !S.stop; c->exits++) {
		if (ioctl(c->fd, KVM_RUN, 0)) {
			c->ended = errno == EINTR ? "watchdog" : "KVM_RUN error";
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;

			if (run->io.direction == KVM_EXIT_IO_IN) {
				for (unsigned int i = 0; i < run->io.size * run->io.count; i++)
					d[i] = rnd(&c->rng) & 0x7f;
				continue;
			}
			if (run->io.port == PORT_READ) {
				report_read(c);
				continue;
			}
			if (run->io.port == PORT_FAULT) {
				c->faults++;
				continue;
			}
			if (run->io.port == PORT_DONE || run->io.port == PORT_GIVEUP) {
				c->ended = run->io.port == PORT_DONE ? "done" : "fault budget";
				break;
			}
			/* OUTS (OP_EMUL): what it read from guest memory. */
			for (unsigned int i = 0; run->io.size == 4 && i < run->io.count; i++) {
				uint32_t w;

				memcpy(&w, d + 4 * i, 4);
				if (is_canary(w))
					fuzz_fail("iso", "round %u, %s, mmu=%s, vCPU %d: guest wrote a canary word %#x to port %#x",
						  S.round, mode_name[S.mode], S.strategy, c->id,
						  w, run->io.port);
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t v = 0;

			if (run->mmio.is_write) {
				memcpy(&v, run->mmio.data, run->mmio.len > 8 ? 8 : run->mmio.len);
				if (run->mmio.len >= 4 && is_canary(v))
					fuzz_fail("iso", "round %u, %s, mmu=%s, vCPU %d: guest wrote a canary word %#llx to MMIO %#llx",
						  S.round, mode_name[S.mode], S.strategy, c->id,
						  (unsigned long long)v,
						  (unsigned long long)run->mmio.phys_addr);
			} else {
				v = rnd_clean(&c->rng);
				memcpy(run->mmio.data, &v, 8);
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    c->emul_failures++ < 16 && resume_at_handler(c))
			continue;
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			c->ended = "hlt";
			break;
		case KVM_EXIT_SHUTDOWN:
			c->ended = "shutdown";
			__sync_fetch_and_add(&S.shutdowns, 1);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			c->ended = "fail entry";
			if (__sync_fetch_and_add(&S.fail_entries, 1) < 5 && !S.o->quiet)
				printf("fuzz: iso: round %u, %s, vCPU %d: KVM_EXIT_FAIL_ENTRY reason %#llx [%s]\n",
				       S.round, mode_name[S.mode], c->id,
				       (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				       S.inconsistent[0] ? S.inconsistent : "valid state");
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			c->ended = "internal error";
			if (__sync_fetch_and_add(&S.internal, 1) < 5 && !S.o->quiet) {
				struct kvm_regs r;

				ioctl(c->fd, KVM_GET_REGS, &r);
				printf("fuzz: iso: round %u, %s, vCPU %d: KVM_EXIT_INTERNAL_ERROR suberror %u, data %#llx %#llx %#llx %#llx, rip %#llx\n",
				       S.round, mode_name[S.mode], c->id, run->internal.suberror,
				       run->internal.ndata > 0 ? (unsigned long long)run->internal.data[0] : 0ULL,
				       run->internal.ndata > 1 ? (unsigned long long)run->internal.data[1] : 0ULL,
				       run->internal.ndata > 2 ? (unsigned long long)run->internal.data[2] : 0ULL,
				       run->internal.ndata > 3 ? (unsigned long long)run->internal.data[3] : 0ULL,
				       (unsigned long long)r.rip);
			}
			break;
		default:
			c->ended = "other exit";
			break;
		}
		break;
	}
	__sync_fetch_and_sub(&S.running, 1);
	return NULL;
}

/* Another thread moves, deletes, re-creates and write-protects data slots. */
static void *mutator_thread(void *arg)
{
	struct rng *r = arg;

	(void)arg;
	while (S.running > 0 && S.mutations < 12) {
		struct slot *s;
		int op;

		usleep(rn(r, 3000));
		if (S.nslots < 2 || S.running <= 0)
			break;
		s = &S.slot[1 + rn(r, S.nslots - 1)];
		op = rn(r, 5);
		if (op == 4 && s->present) {
			/*
			 * Dirty logging on or off on the live slot, or its log
			 * taken (which write-protects the pages it names again).
			 */
			static uint64_t bitmap[(64 << 20) / PAGE / 64];
			struct kvm_dirty_log log = { .slot = s->id, .dirty_bitmap = bitmap };

			if (s->size <= sizeof(bitmap) * 8 * PAGE && s->logging && one_in(r, 2)) {
				ioctl(S.vm, KVM_GET_DIRTY_LOG, &log);
			} else {
				s->logging = !s->logging;
				if (set_slot(s, s->gpa, s->ro, true))
					s->logging = !s->logging;
			}
		} else if (op == 0 && s->present) {
			if (!set_slot(s, s->gpa, s->ro, false))
				s->present = false;
		} else if (op == 1) {
			/* Move: straight, or deleted and created elsewhere. */
			uint64_t gpa = (4 << 20) + rn(r, 60 << 20) / PAGE * PAGE;

			if (s->present && one_in(r, 2)) {
				if (!set_slot(s, gpa, s->ro, true))
					s->gpa = gpa;
			} else {
				if (s->present && !set_slot(s, s->gpa, s->ro, false))
					s->present = false;
				if (!s->present && !set_slot(s, gpa, s->ro, true)) {
					s->gpa = gpa;
					s->present = true;
				}
			}
		} else {
			/* Re-created read-only or writable. */
			bool ro = one_in(r, 2);

			if (s->present && !set_slot(s, s->gpa, s->ro, false))
				s->present = false;
			if (!s->present && !set_slot(s, s->gpa, ro, true)) {
				s->ro = ro;
				s->present = true;
				if (!ro)
					s->ever_writable = true;
			}
		}
		S.mutations++;
	}
	return NULL;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void check_memory(void)
{
	char name[160];

	for (int i = 0; i < S.nslots; i++) {
		struct slot *s = &S.slot[i];

		for (size_t o = 0; o < s->size; o += 4) {
			uint32_t w;

			memcpy(&w, s->mem + o, 4);
			if (w == CANARY_HI) {
				uint64_t v = 0;

				if (o >= 4)
					memcpy(&v, s->mem + o - 4, 8);
				fuzz_fail("iso", "round %u, %s, mmu=%s: a canary word in slot %d's memory at gpa %#llx: %s [%s]",
					  S.round, mode_name[S.mode], S.strategy, s->id,
					  (unsigned long long)(s->gpa + o),
					  canary_name(v, name, sizeof(name)),
					  S.inconsistent[0] ? S.inconsistent : "valid state");
				break;
			}
		}
		for (int side = 0; side < 2; side++) {
			uint8_t *g = side ? s->mem + s->size : s->mem - GUARD * PAGE;
			uint64_t want = canary_word(S.round, CANARY_GUARD(s->id, side));

			for (size_t o = 0; o < GUARD * PAGE; o += 8)
				if (memcmp(g + o, &want, 8)) {
					fuzz_fail("iso", "round %u, %s, mmu=%s: the guard page %s slot %d's backing changed at offset %#zx [%s]",
						  S.round, mode_name[S.mode], S.strategy,
						  side ? "after" : "before", s->id, o,
						  S.inconsistent[0] ? S.inconsistent : "valid state");
					break;
				}
		}
		if (!s->ever_writable && memcmp(s->mem, s->snap, s->size)) {
			size_t o = 0;

			while (s->mem[o] == s->snap[o])
				o++;
			fuzz_fail("iso", "round %u, %s, mmu=%s: read-only slot %d changed at gpa %#llx [%s]",
				  S.round, mode_name[S.mode], S.strategy, s->id,
				  (unsigned long long)(s->gpa + o),
				  S.inconsistent[0] ? S.inconsistent : "valid state");
		}
	}
	for (int i = 0; i < NPCAN; i++) {
		uint64_t want = canary_word(S.round, i);

		for (size_t o = 0; o < PAGE; o += 8)
			if (memcmp(S.pcan[i] + o, &want, 8)) {
				fuzz_fail("iso", "round %u, %s, mmu=%s: physical canary page %d (host-physical %#llx) changed at offset %#zx [%s]",
					  S.round, mode_name[S.mode], S.strategy, i,
					  (unsigned long long)S.pcan_hpa[i], o,
					  S.inconsistent[0] ? S.inconsistent : "valid state");
				break;
			}
	}
}

static long stat_huge, stat_modes[M_NR], stat_reads, stat_canaries, stat_faults, stat_refused, stat_accepted;
static long stat_emul_failures;
static long stat_ended[8];
static const char *const ended_names[] = {
	"done", "fault budget", "watchdog", "hlt", "shutdown", "fail entry", "internal error", "other",
};

static void count_end(const char *e)
{
	for (int i = 0; i < 7; i++)
		if (!strcmp(e, ended_names[i])) {
			stat_ended[i]++;
			return;
		}
	stat_ended[7]++;
}

static void round_run(uint32_t round)
{
	const struct opts *o = S.o;
	struct rng mut_rng;
	struct fthread mut;
	uint64_t cur;
	int n;

	S.round = round;
	S.rng.s = o->seed * 0x100000001b3ULL ^ (uint64_t)round * 0x9e3779b97f4a7c15ULL;
	rnd(&S.rng);
	mut_rng.s = rnd(&S.rng);
	S.inconsistent[0] = 0;
	S.mutations = 0;
	S.stop = false;
	if (o->scenario >= 0)
		S.mode = o->scenario;
	else if (round % 8 == 3)
		S.mode = M_LMA_NO_PG;	/* the dedicated scenario, often */
	else
		S.mode = rn(&S.rng, M_LMA_NO_PG);
	stat_modes[S.mode]++;
	S.pse = one_in(&S.rng, 2);
	S.nxe = one_in(&S.rng, 2);
	S.big_core = S.mode != M_LMA_NO_PG && one_in(&S.rng, 3);
	S.nvcpus = o->vcpus ? o->vcpus : 1 + one_in(&S.rng, 3);
	if (S.mode == M_LMA_NO_PG)
		S.nvcpus = 1;
	S.huge_rng.s = o->seed * 0x100000001b3ULL ^ (uint64_t)round * 0xc2b2ae3d27d4eb4fULL;
	rnd(&S.huge_rng);
	S.huge = S.mode != M_LMA_NO_PG && one_in(&S.huge_rng, 4);
	stat_huge += S.huge;

	for (int i = 0; i < NPCAN; i++)
		stamp(S.pcan[i], PAGE, i);

	/* Slot 0, the core; then data slots with gaps (MMIO) between them. */
	S.nslots = 0;
	if (slot_alloc(&S.slot[0], 0, 0, CORE_SIZE, false, false))
		goto fail_alloc;
	S.nslots = 1;
	fill(core(), CORE_SIZE);
	if (mlock(core(), CORE_SIZE))
		perror("mlock");
	for (int i = 0; i < 6; i++)
		S.core_hpa[i] = virt_to_phys(core() + i * PAGE);
	/* Page 0's words: PTE-like, at the core's own pages, then at canaries. */
	for (int k = 0; k < 256; k++) {
		uint64_t w = k < 6 ? S.core_hpa[k] | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D :
				     canary_pte();

		memcpy(core() + 8 * k, &w, 8);
	}
	n = 1 + rn(&S.rng, NSLOT_MAX - 1);
	cur = (S.mode == M_LMA_NO_PG ? (2 << 20) : CORE_SIZE) + rn(&S.rng, 16) * PAGE;
	for (int i = 1; i <= n; i++) {
		uint64_t size = (1 + rn(&S.rng, 64)) * PAGE;
		bool ro = one_in(&S.rng, 3);

		if ((S.mode == M_PAE || S.mode == M_LONG) && one_in(&S.rng, 6) && cur < (1ULL << 32))
			cur = (1ULL << 32) + rn(&S.rng, 256) * PAGE;
		/* 2 to 6 MiB, at a 2 MiB boundary or a random page after one. */
		if (i == 1 && S.huge) {
			size = (HUGE / PAGE + rn(&S.huge_rng, 2 * HUGE / PAGE)) * PAGE;
			cur = (cur + HUGE - 1) & ~(HUGE - 1);
			if (one_in(&S.huge_rng, 2))
				cur += rn(&S.huge_rng, HUGE / PAGE) * PAGE;
		}
		if (slot_alloc(&S.slot[i], i, cur, size, ro, i == 1 && S.huge))
			goto fail_alloc;
		S.nslots++;
		fill(S.slot[i].mem, size);
		cur += size + rn(&S.rng, 33) * PAGE;
	}
	build_descriptors();
	if (S.mode != M_NOPG)
		build_tables();
	else
		S.root = 0, S.nlin = 0, S.nextra = 0;
	if (S.mode == M_NOPG) {
		/* Without paging, the "window" is guest-physical. */
		for (int i = 1; i < S.nslots && S.nlin < 128; i++) {
			S.lin[S.nlin] = S.slot[i].gpa;
			S.lin_gpa[S.nlin] = S.slot[i].gpa;
			S.lin_size[S.nlin++] = S.slot[i].size;
		}
		S.lin[S.nlin] = 0xfee00000ULL;	/* a gap */
		S.lin_gpa[S.nlin] = 0xfee00000ULL;
		S.lin_size[S.nlin++] = PAGE;
	}

	S.kvm = kvm_open();
	S.vm = ioctl(S.kvm, KVM_CREATE_VM, 0);
	if (S.vm < 0) {
		fuzz_fail("iso", "round %u: KVM_CREATE_VM: %s", round, strerror(errno));
		goto out_kvm;
	}
	ioctl(S.vm, KVM_SET_TSS_ADDR, TSS_ADDR);
	for (int i = 0; i < S.nslots; i++) {
		int r = set_slot(&S.slot[i], S.slot[i].gpa, S.slot[i].ro, true);

		S.slot[i].present = !r;
		if (r)
			fuzz_fail("iso", "round %u: slot %d at %#llx (%llu KiB%s): %s", round, i,
				  (unsigned long long)S.slot[i].gpa,
				  (unsigned long long)S.slot[i].size >> 10,
				  S.slot[i].ro ? ", read-only" : "", strerror(-r));
	}
	S.run_size = ioctl(S.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (int v = 0; v < S.nvcpus; v++) {
		struct vcpu_ctx *c = &S.vc[v];

		memset(c, 0, sizeof(*c));
		c->id = v;
		c->rng.s = rnd(&S.rng);
		c->fd = ioctl(S.vm, KVM_CREATE_VCPU, v);
		if (c->fd < 0) {
			fuzz_fail("iso", "round %u: KVM_CREATE_VCPU: %s", round, strerror(errno));
			S.nvcpus = v;
			break;
		}
		c->run = mmap(NULL, S.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			fuzz_fail("iso", "round %u: mmap kvm_run: %s", round, strerror(errno));
			close(c->fd);
			S.nvcpus = v;
			break;
		}
		build_script(v);
	}
	for (int v = 0; v < S.nvcpus; v++)
		setup_vcpu(&S.vc[v]);
	/* What the guest may not change: read-only slots, as they are now. */
	for (int i = 0; i < S.nslots; i++)
		memcpy(S.slot[i].snap, S.slot[i].mem, S.slot[i].size);

	S.running = S.nvcpus;
	for (int v = 0; v < S.nvcpus; v++)
		fthread_start(&S.vc[v].thread, vcpu_thread, &S.vc[v]);
	fthread_start(&mut, mutator_thread, &mut_rng);
	/* The watchdog: a guest spinning without exits is stopped after 1 s. */
	for (int t = 0; S.running > 0; t++) {
		usleep(10000);
		if (t >= 100) {
			S.stop = true;
			for (int v = 0; v < S.nvcpus; v++)
				pthread_kill(S.vc[v].thread.t, SIGUSR1);
		}
	}
	if (getenv("FUZZ_DEBUG")) {
		/* The VM's MMU counters and each vCPU's RIP, to debug a round. */
		char path[96], line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/mmu", getpid(), S.vm);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			printf("fuzz: iso: round %u: mmu: %s", round, line);
		if (f)
			fclose(f);
		printf("fuzz: iso: round %u: page 0 word 0 %#llx, word 6 %#llx; page 0 at host-physical %#llx now, %#llx at the start\n",
		       round, (unsigned long long)((uint64_t *)core())[0],
		       (unsigned long long)((uint64_t *)core())[6],
		       (unsigned long long)virt_to_phys(core()),
		       (unsigned long long)S.core_hpa[0]);
		for (int v = 0; v < S.nvcpus; v++) {
			struct kvm_regs r;
			struct kvm_sregs sr;

			ioctl(S.vc[v].fd, KVM_GET_REGS, &r);
			ioctl(S.vc[v].fd, KVM_GET_SREGS, &sr);
			printf("fuzz: iso: round %u: vCPU %d ended %s after %d exits, %d reads: rip %#llx cr0 %#llx cr4 %#llx efer %#llx cr2 %#llx\n",
			       round, v, S.vc[v].ended, S.vc[v].exits, S.vc[v].reads,
			       (unsigned long long)r.rip, (unsigned long long)sr.cr0,
			       (unsigned long long)sr.cr4, (unsigned long long)sr.efer,
			       (unsigned long long)sr.cr2);
		}
	}
	for (int v = 0; v < S.nvcpus; v++) {
		fthread_join(&S.vc[v].thread);
		stat_reads += S.vc[v].reads;
		stat_canaries += S.vc[v].canaries;
		stat_faults += S.vc[v].faults;
		stat_emul_failures += S.vc[v].emul_failures;
		count_end(S.vc[v].ended);
	}
	fthread_join(&mut);
	if (S.inconsistent[0])
		(*(strstr(S.inconsistent, ": accepted") ? &stat_accepted : &stat_refused))++;

	for (int v = 0; v < S.nvcpus; v++) {
		munmap(S.vc[v].run, S.run_size);
		close(S.vc[v].fd);
	}
	close(S.vm);
out_kvm:
	close(S.kvm);
	check_memory();
fail_alloc:
	for (int i = 0; i < S.nslots; i++)
		slot_free(&S.slot[i]);
}

static int iso_body(void *arg)
{
	const struct opts *o = arg;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	int fds0, maps0, fds1, maps1;
	char *maps_before;
	long rounds = o->rounds;
	time_t t0 = time(NULL);

	memset(&S, 0, sizeof(S));
	S.o = o;
	S.strategy = strategy();
	sigaction(SIGUSR1, &sa, NULL);
	canaries_init();
	{
		int kvm = kvm_open();
		int nent = 256;

		S.cpuid = calloc(1, sizeof(*S.cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
		S.cpuid->nent = nent;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, S.cpuid)) {
			free(S.cpuid);
			S.cpuid = NULL;
		}
		close(kvm);
	}
	maps_before = maps_text();
	fds0 = count_fds();
	maps0 = count_maps();
	for (long r = 0; r < rounds; r++) {
		round_run(o->first + r);
	}
	fds1 = count_fds();
	maps1 = count_maps();
	if (maps1 != maps0)
		maps_print_new("iso", maps_before);
	if (fds1 != fds0 || maps1 != maps0)
		fuzz_fail("iso", "after %ld rounds: %d fds and %d mappings, %d and %d before",
			  rounds, fds1, maps1, fds0, maps0);
	if (o->quiet)
		return fuzz_failures ? 1 : 0;
	printf("fuzz: iso: mmu=%s seed %llu rounds %ld..%ld: modes", S.strategy,
	       (unsigned long long)o->seed, o->first, o->first + rounds - 1);
	for (int m = 0; m < M_NR; m++)
		printf(" %s %ld%s", mode_name[m], stat_modes[m], m + 1 < M_NR ? "," : ";");
	printf(" %ld with a huge-page slot; %lds;", stat_huge, (long)(time(NULL) - t0));
	printf(" %ld reads (%ld of a canary), %ld faults, %ld not emulated; inconsistent states %ld refused, %ld accepted; vCPUs ended:",
	       stat_reads, stat_canaries, stat_faults, stat_emul_failures, stat_refused, stat_accepted);
	for (int i = 0; i < 8; i++)
		if (stat_ended[i])
			printf(" %s %ld", ended_names[i], stat_ended[i]);
	printf("\n");
	if (!fuzz_failures)
		printf("PASS: fuzz: iso: mmu=%s: %ld rounds, seed %llu, no canary seen or changed, read-only memory intact\n",
		       S.strategy, rounds, (unsigned long long)o->seed);
	if (kernel_log_trouble("iso"))
		return 1;
	return fuzz_failures ? 1 : 0;
}

int fuzz_iso_main(int argc, char **argv)
{
	static struct opts o = { .seed = 1, .rounds = 100, .scenario = -1,
				 .tol_kb = 2048, .leak_check = true };
	struct opts warm;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-leak-check")) {
			o.leak_check = false;
			continue;
		}
		if (!strcmp(a, "--tame-segments"))
			continue;	/* iso mode's segments are always valid */
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--seed"))
			o.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--rounds"))
			o.rounds = strtol(v, NULL, 0);
		else if (!strcmp(a, "--first"))
			o.first = strtol(v, NULL, 0);
		else if (!strcmp(a, "--vcpus"))
			o.vcpus = atoi(v);
		else if (!strcmp(a, "--mem-tolerance"))
			o.tol_kb = strtol(v, NULL, 0);
		else if (!strcmp(a, "--scenario")) {
			o.scenario = -2;
			for (int m = 0; m < M_NR; m++)
				if (!strcmp(v, mode_name[m]) ||
				    (m == M_NOPG && !strcmp(v, "nopg")) ||
				    (m == M_32 && !strcmp(v, "32")) ||
				    (m == M_PAE && !strcmp(v, "pae")))
					o.scenario = m;
			if (o.scenario == -2)
				goto usage;
		} else
			goto usage;
	}
	fuzz_seed = o.seed;
	printf("fuzz: iso: seed %llu, rounds %ld from %ld\n", (unsigned long long)o.seed,
	       o.rounds, o.first);
	warm = o;
	warm.rounds = o.rounds < 8 ? o.rounds : 8;
	warm.first = 1000000;
	warm.quiet = true;
	return campaign("iso", o.tol_kb, o.leak_check, iso_body,
			o.leak_check ? &warm : NULL, &o) ? 1 : 0;
usage:
	fprintf(stderr, "usage: fuzz iso --seed S --rounds N [--first R] [--vcpus 1|2]\n"
		"       [--scenario 'paging off'|32|pae|long|lma-no-pg] [--mem-tolerance KiB] [--no-leak-check]\n");
	return 2;
}
