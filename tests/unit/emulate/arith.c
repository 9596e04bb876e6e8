// SPDX-License-Identifier: GPL-2.0
/*
 * XADD, SHLD/SHRD, MUL/IMUL/DIV/IDIV (group 3), CMOVcc, PUSH/POP r/m.
 *
 * Table cases worked out by hand from the SDM (exact registers, flags,
 * accesses, #DE), and random cases run by the CPU and by the emulator in
 * 64-bit mode: registers, memory and the arithmetic flags must agree,
 * including those the SDM leaves undefined (the emulator does what the
 * CPU of these tests does, an AMD EPYC).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define P32 X86_EMU_PROT32
#define L64 X86_EMU_LONG64

#define RIP0	0x1000
#define ARITH	0x8d5ULL	/* OF SF ZF AF PF CF */
#define PTR	0x10000ULL	/* RSI: [rsi] is ModRM 06 (+ reg << 3) */

static const u64 a_regs[16] = {
	[RAX] = 0x1111111122223333ULL, [RCX] = 0x2222222244445555ULL,
	[RDX] = 0x3333333366667777ULL, [RBX] = 0x4444444488889999ULL,
	[RSP] = 0x8000, [RBP] = 0x6666666600001000ULL,
	[RSI] = PTR, [RDI] = 0x8888888800000200ULL,
	[8] = 0x80088, [9] = 0x90099, [10] = 0xa00aa, [11] = 0xb00bb,
	[12] = 0xc00cc, [13] = 0xd00dd, [14] = 0xe00ee, [15] = 0xf00ff,
};

struct areg {
	int r;			/* register + 1; 0: unused */
	u64 v;
};
#define REG(r, v)	{ (r) + 1, (v) }

struct acase {
	enum x86_emu_mode mode;
	const char *hex;
	u64 rflags;		/* in, besides bit 1 */
	struct areg set[3];	/* registers before; the rest a_regs[] */
	u64 mem;		/* what every read returns */
	enum x86_emu_result want;	/* DONE, or FAULT (#DE) */
	struct areg out[3];	/* registers after; the rest unchanged */
	u64 fl;			/* OF SF ZF AF PF CF after */
	/* The accesses: 'r' or 'w' at gva, size bytes; the write's value. */
	char k0, k1;
	u64 g0, g1;
	unsigned int s0, s1;
	u64 wval;
};

/* A read of [rsi] only; registers out. */
#define RD(mo, h, f_in, m, fl_, sz, ...) { .mode = (mo), .hex = (h), .rflags = (f_in), \
	.mem = (m), .fl = (fl_), .k0 = 'r', .g0 = PTR, .s0 = (sz), .out = { __VA_ARGS__ } }
/* Same, with registers set before. */
#define RDS(mo, h, f_in, set_, m, fl_, sz, ...) { .mode = (mo), .hex = (h), .rflags = (f_in), \
	.set = set_, .mem = (m), .fl = (fl_), .k0 = 'r', .g0 = PTR, .s0 = (sz), \
	.out = { __VA_ARGS__ } }
/* A read and a write of [rsi]. */
#define RW(mo, h, f_in, set_, m, fl_, sz, w, ...) { .mode = (mo), .hex = (h), \
	.rflags = (f_in), .set = set_, .mem = (m), .fl = (fl_), .k0 = 'r', .g0 = PTR, \
	.s0 = (sz), .k1 = 'w', .g1 = PTR, .s1 = (sz), .wval = (w), .out = { __VA_ARGS__ } }
/* #DE: nothing changes, one read. */
#define DE(mo, h, set_, m, sz) { .mode = (mo), .hex = (h), .rflags = 0x8d5, .set = set_, \
	.mem = (m), .want = X86EMU_FAULT, .fl = 0x8d5, .k0 = 'r', .g0 = PTR, .s0 = (sz) }
#define S(...)	{ __VA_ARGS__ }

static const struct acase cases[] = {
	/* XADD: the flags of the ADD; reg = old m. */
	RW(L64, "0f c0 0e", 0x8d5, S(), 0x7f, 0x894, 1, 0xd4,
	   REG(RCX, 0x222222224444557fULL)),		/* 7f + 55: OF SF AF PF */
	RW(L64, "66 0f c1 0e", 0, S(), 0xffff, 0x011, 2, 0x5554,
	   REG(RCX, 0x222222224444ffffULL)),		/* CF AF */
	RW(L64, "0f c1 0e", 0, S(REG(RCX, 0xffffffff00000001ULL)), 0xffffffff,
	   0x055, 4, 0, REG(RCX, 0xffffffff)),		/* to 0: CF ZF AF PF */
	RW(L64, "48 0f c1 0e", 0x8d5, S(REG(RCX, 0x123456789abcdefULL)),
	   0xfedcba9876543210ULL, 0x084, 8, 0xffffffffffffffffULL,
	   REG(RCX, 0xfedcba9876543210ULL)),		/* SF PF */
	RW(L64, "f0 0f c1 0e", 0, S(), 1, 0x004, 4, 0x44445556,
	   REG(RCX, 1)),				/* LOCK XADD */
	RW(P32, "0f c1 0e", 0, S(), 0x80000000, 0x084, 4, 0xc4445555,
	   REG(RCX, 0x80000000)),			/* prot32: SF PF */
	/* kvm-unit-tests' xadd reg, r/m (1)-(4). */
	RW(L64, "0f c0 06", 0, S(REG(RAX, 0xfedcba9876543210ULL)), 0x0123456789abcdefULL,
	   0x084, 1, 0xff, REG(RAX, 0xfedcba98765432efULL)),
	RW(L64, "48 0f c1 06", 0, S(REG(RAX, 0xfedcba9876543210ULL)), 0x0123456789abcdefULL,
	   0x084, 8, 0xffffffffffffffffULL, REG(RAX, 0x0123456789abcdefULL)),

	/* SHLD/SHRD m, edx: count from CL (a5, ad) or ib (a4, ac). */
	RW(L64, "0f a5 16", 0, S(REG(RCX, 3), REG(RDX, 0xaaaaaaaa)), 0x12345678,
	   0x894, 4, 0x91a2b3c5, REG(RCX, 3), REG(RDX, 0xaaaaaaaa)),	/* kut shld: OF SF AF PF */
	RW(L64, "0f ad 16", 0, S(REG(RCX, 3), REG(RDX, 0x55555555)), 0x12345678,
	   0x894, 4, 0xa2468acf, REG(RCX, 3), REG(RDX, 0x55555555)),	/* kut shrd: OF SF AF PF */
	RW(L64, "0f a4 16 00", 0x8d5, S(), 0x12345678, 0x8d5, 4, 0x12345678),
	RW(L64, "0f a4 16 20", 0x8d5, S(), 0x12345678, 0x8d5, 4, 0x12345678), /* 32 = 0 */
	RW(L64, "0f a4 16 01", 0, S(), 0x80000000, 0x855, 4, 0),	/* CF OF ZF AF PF */
	RW(L64, "0f ac 16 01", 0, S(), 0x00000001, 0x895, 4, 0x80000000), /* shrd 1 */
	RW(L64, "48 0f a4 16 3f", 0, S(), 3, 0x095, 8, 0x99999999b3333bbbULL), /* 63 */
	RW(L64, "48 0f ad 16", 0x8d5, S(REG(RCX, 0x40)), 5, 0x8d5, 8, 5,
	   REG(RCX, 0x40)),						/* 64 = 0 */
	RW(L64, "48 0f ad 16", 0, S(REG(RCX, 0x44)), 0x8000000000000007ULL,
	   0x814, 8, 0x7800000000000000ULL, REG(RCX, 0x44)),		/* 4: OF AF PF */
	RW(L64, "66 0f a4 16 04", 0, S(), 0x1234, 0x815, 2, 0x2347),
	RW(L64, "66 0f a4 16 10", 0, S(), 0x0001, 0x815, 2, 0x7777),	/* 16: OF = CF */
	RW(L64, "66 0f a4 16 12", 0x8d5, S(), 0x0001, 0x094, 2, 0xdddd), /* 18: CF OF 0 */
	RW(L64, "66 0f ac 16 14", 0x8d5, S(), 0x8000, 0x814, 2, 0x7777), /* 20: CF 0 */
	RW(P32, "66 0f ad 16", 0, S(REG(RCX, 0x21)), 0x0003, 0x891, 2, 0x8001,
	   REG(RCX, 0x21)),						/* 33 = 1 */
	/* MUL IMUL DIV IDIV (F6 F7 /4-/7); SF ZF AF PF kept by MUL and IMUL. */
	RD(L64, "f6 26", 0x0d4, 0x33, 0x8d5, 1, REG(RAX, 0x1111111122220a29ULL)),
	RD(L64, "f6 26", 0x0d4, 0x03, 0x0d4, 1, REG(RAX, 0x1111111122220099ULL)),
	RDS(L64, "f6 26", 0x0d4, S(REG(RAX, 0x1111111122223333ULL)), 0xff, 0x8d5, 1,
	    REG(RAX, 0x11111111222232cdULL)),
	RD(L64, "66 f7 26", 0, 0x3, 0, 2, REG(RAX, 0x1111111122229999ULL),
	   REG(RDX, 0x3333333366660000ULL)),
	RD(L64, "66 f7 26", 0, 0x6, 0x801, 2, REG(RAX, 0x1111111122223332ULL),
	   REG(RDX, 0x3333333366660001ULL)),
	RD(L64, "f7 26", 0, 0x10, 0x801, 4, REG(RAX, 0x22233330), REG(RDX, 0x2)),
	RD(L64, "f7 26", 0x8d5, 1, 0x0d4, 4, REG(RAX, 0x22223333), REG(RDX, 0)),
	/* kut mulq mem */
	RDS(L64, "48 f7 26", 0, S(REG(RAX, 0x1111111111111111ULL)), 0x3333333333333333ULL,
	    0x801, 8, REG(RAX, 0x2fc962fc962fc963ULL), REG(RDX, 0x369d0369d0369d0ULL)),
	RD(L64, "f6 2e", 0, 0xff, 0, 1, REG(RAX, 0x111111112222ffcdULL)),	/* 33 * -1 */
	RDS(L64, "f6 2e", 0, S(REG(RAX, 0x80)), 0xff, 0x801, 1, REG(RAX, 0x80)),/* -128 * -1 */
	RD(L64, "66 f7 2e", 0x8d5, 0xfffe, 0x0d4, 2, REG(RAX, 0x111111112222999aULL),
	   REG(RDX, 0x333333336666ffffULL)),
	RD(L64, "f7 2e", 0, 0x10000, 0x801, 4, REG(RAX, 0x33330000), REG(RDX, 0x2222)),
	RDS(L64, "48 f7 2e", 0, S(REG(RAX, 0x8000000000000000ULL)), 0xffffffffffffffffULL,
	    0x801, 8, REG(RAX, 0x8000000000000000ULL), REG(RDX, 0)),	/* min * -1 */
	RDS(L64, "48 f7 2e", 0, S(REG(RAX, 0x4000000000000000ULL)), 0xfffffffffffffffeULL,
	    0, 8, REG(RAX, 0x8000000000000000ULL), REG(RDX, ~0ULL)),	/* fits */
	/* DIV: CF OF kept, ZF SF PF 0, AF 1. */
	RD(L64, "f6 36", 0x8d5, 0x40, 0x811, 1, REG(RAX, 0x11111111222233ccULL)),
	RD(L64, "66 f7 36", 0, 0x7778, 0x010, 2, REG(RAX, 0x111111112222fffeULL),
	   REG(RDX, 0x3333333366662223ULL)),
	RDS(L64, "f7 36", 0x801, S(REG(RDX, 5)), 0x10, 0x811, 4,
	    REG(RAX, 0x52222333), REG(RDX, 3)),
	/* kut divq (1) */
	RDS(L64, "48 f7 36", 0, S(REG(RAX, 123456789012345ULL), REG(RDX, 123456789012345ULL)),
	    987654321098765ULL, 0x010, 8, REG(RAX, 0x1ffffffb1b963b33ULL),
	    REG(RDX, 0x273ba4384ede2ULL)),
	RDS(L64, "f6 3e", 0, S(REG(RAX, 0xff85)), 0x02, 0x010, 1, REG(RAX, 0xffc3)),
	/* -123 / 2 = -61 r -1: AX ff85 -> AL c3, AH ff; upper bits kept */
	RDS(L64, "f6 3e", 0, S(REG(RAX, 0xff80)), 0x01, 0x010, 1, REG(RAX, 0x80)),
	RDS(L64, "f7 3e", 0, S(REG(RAX, 0x80000000), REG(RDX, 0xffffffff)), 0x1, 0x010, 4,
	    REG(RAX, 0x80000000), REG(RDX, 0)),			/* min / 1 */
	RDS(L64, "48 f7 3e", 0, S(REG(RAX, 7), REG(RDX, 0)), 0xfffffffffffffffeULL,
	    0x010, 8, REG(RAX, ~2ULL), REG(RDX, 1)),		/* 7 / -2 = -3 r 1 */
	RDS(L64, "48 f7 3e", 0, S(REG(RAX, ~6ULL), REG(RDX, ~0ULL)), 2, 0x010, 8,
	    REG(RAX, ~2ULL), REG(RDX, ~0ULL)),			/* -7 / 2 = -3 r -1 */
	RDS(P32, "f7 36", 0, S(REG(RAX, 0x64), REG(RDX, 0)), 0x7, 0x010, 4,
	    REG(RAX, 14), REG(RDX, 2)),
	/* #DE: divide by 0, quotient too big; nothing written. */
	DE(L64, "48 f7 36", S(REG(RAX, 1), REG(RDX, 2)), 0, 8),	/* kut divq (fault) */
	DE(L64, "f6 36", S(), 0, 1),
	DE(L64, "f6 36", S(REG(RAX, 0x0100)), 1, 1),		/* 256 / 1 */
	DE(L64, "66 f7 36", S(REG(RDX, 0x12)), 0x12, 2),
	DE(L64, "f7 36", S(REG(RDX, 1)), 1, 4),
	DE(L64, "48 f7 36", S(REG(RDX, 5)), 5, 8),
	DE(L64, "f6 3e", S(REG(RAX, 0x0080)), 1, 1),		/* +128 */
	DE(L64, "f6 3e", S(REG(RAX, 0x8000)), 0xff, 1),		/* -32768 / -1 */
	DE(L64, "f7 3e", S(REG(RAX, 0x80000000), REG(RDX, 0xffffffff)), 0xffffffff, 4),
	DE(L64, "48 f7 3e", S(REG(RAX, 1ULL << 63), REG(RDX, ~0ULL)), ~0ULL, 8),
	DE(L64, "48 f7 3e", S(REG(RAX, 0), REG(RDX, 1ULL << 63)), 1ULL << 63, 8),
	DE(L64, "48 f7 3e", S(REG(RAX, 0), REG(RDX, 0)), 0, 8),
	DE(P32, "f7 3e", S(REG(RAX, 0), REG(RDX, 0x40000000)), 0x7fffffff, 4),
	RDS(P32, "f7 3e", 0, S(REG(RAX, 0), REG(RDX, 0x40000000)), 0x80000000, 0x010, 4,
	    REG(RAX, 0x80000000), REG(RDX, 0)),		/* 2^62 / -2^31: the minimum */
	/* CMOVcc: reads either way; false: kept, but 32 bits zero-extended. */
	RD(L64, "0f 45 06", 0x040, 0xabcdef12, 0x040, 4, REG(RAX, 0x22223333)), /* kut */
	RD(L64, "0f 44 06", 0x040, 0xabcdef12, 0x040, 4, REG(RAX, 0xabcdef12)),
	RD(L64, "66 0f 44 06", 0, 0xabcdef12, 0, 2),
	RD(L64, "48 0f 4c 06", 0x800, 0xabcdef12, 0x800, 8, REG(RAX, 0xabcdef12)),
	RD(L64, "48 0f 4c 06", 0x880, 0xabcdef12, 0x880, 8),
	RD(L64, "48 0f 4f 06", 0x880, 0x5, 0x880, 8, REG(RAX, 0x5)),
	RD(L64, "48 0f 4e 06", 0x800, 0x5, 0x800, 8, REG(RAX, 0x5)),
	RD(L64, "48 0f 47 06", 0x000, 0x5, 0x000, 8, REG(RAX, 0x5)),
	RD(L64, "48 0f 46 06", 0x000, 0x5, 0x000, 8),
	RD(L64, "4c 0f 4a 06", 0x004, 0x5, 0x004, 8, REG(8, 0x5)),
	RD(P32, "0f 42 06", 0x001, 0x5, 0x001, 4, REG(RAX, 0x5)),
	RD(P32, "0f 42 06", 0x000, 0x5, 0x000, 4, REG(RAX, 0x22223333)),
};

/* PUSH m, POP m (64-bit mode): the accesses as read and written. */
struct scase {
	const char *hex;
	struct areg set[2];
	u64 mem;
	u64 g0, g1;		/* the read, then the write */
	unsigned int size;
	u64 rsp;
};

static const struct scase stack_cases[] = {
	{ "ff 36", { }, 0x123456789abcdefULL, PTR, 0x7ff8, 8, 0x7ff8 },
	{ "66 ff 36", { }, 0xbcdef, PTR, 0x7ffe, 2, 0x7ffe },
	{ "66 48 ff 36", { }, 0xbcdef, PTR, 0x7ff8, 8, 0x7ff8 },
	{ "ff 74 24 08", { }, 0x55, 0x8008, 0x7ff8, 8, 0x7ff8 },	/* old RSP */
	{ "8f 06", { }, 0x77, 0x8000, PTR, 8, 0x8008 },
	{ "66 8f 06", { }, 0x77, 0x8000, PTR, 2, 0x8002 },
	{ "8f 44 24 08", { }, 0x77, 0x8000, 0x8010, 8, 0x8008 },	/* new RSP */
	{ "67 8f 44 24 fc", { REG(RSP, 0x1fffffffcULL) }, 0x77, 0x1fffffffcULL, 0x0,
	  8, 0x200000004ULL },	/* ESP base, wrapping at 4 GiB */
	{ "41 8f 04 24", { REG(12, 0x5000) }, 0x77, 0x8000, 0x5000, 8, 0x8008 }, /* r12 */
	{ "8f 05 10 00 00 00", { }, 0x77, 0x8000, RIP0 + 6 + 0x10, 8, 0x8008 },
};

/*
 * The stack ops without a ModRM memory operand (64-bit mode): one access,
 * @kind 'r' (answered with @mem) or 'w' (of @wval), then the registers.
 */
struct s2case {
	const char *hex;
	u64 mem;
	char kind;
	u64 gva;
	unsigned int size;
	u64 wval;
	struct areg want[2];	/* besides RSP */
	u64 rsp, rip;
};

#define MEMV	0x0123456789abcdefULL
static const struct s2case stack2_cases[] = {
	{ "50", 0, 'w', 0x7ff8, 8, 0x1111111122223333ULL, { }, 0x7ff8, RIP0 + 1 },
	{ "48 50", 0, 'w', 0x7ff8, 8, 0x1111111122223333ULL, { }, 0x7ff8, RIP0 + 2 },
	{ "66 48 50", 0, 'w', 0x7ff8, 8, 0x1111111122223333ULL, { }, 0x7ff8, RIP0 + 3 },
	{ "66 50", 0, 'w', 0x7ffe, 2, 0x3333, { }, 0x7ffe, RIP0 + 2 },
	{ "41 57", 0, 'w', 0x7ff8, 8, 0xf00ff, { }, 0x7ff8, RIP0 + 2 },
	{ "54", 0, 'w', 0x7ff8, 8, 0x8000, { }, 0x7ff8, RIP0 + 1 },	/* the old RSP */
	{ "6a f9", 0, 'w', 0x7ff8, 8, 0xfffffffffffffff9ULL, { }, 0x7ff8, RIP0 + 2 },
	{ "68 0d 1c 94 ff", 0, 'w', 0x7ff8, 8, 0xffffffffff941c0dULL, { }, 0x7ff8, RIP0 + 5 },
	{ "66 68 34 12", 0, 'w', 0x7ffe, 2, 0x1234, { }, 0x7ffe, RIP0 + 4 },
	{ "58", MEMV, 'r', 0x8000, 8, 0, { REG(RAX, MEMV) }, 0x8008, RIP0 + 1 },
	{ "41 5c", MEMV, 'r', 0x8000, 8, 0, { REG(12, MEMV) }, 0x8008, RIP0 + 2 },
	{ "66 58", MEMV, 'r', 0x8000, 2, 0, { REG(RAX, 0x111111112222cdefULL) }, 0x8002, RIP0 + 2 },
	{ "5c", MEMV, 'r', 0x8000, 8, 0, { }, MEMV, RIP0 + 1 },	/* POP RSP: the value */
	{ "c3", 0x00007fff12345678ULL, 'r', 0x8000, 8, 0, { }, 0x8008, 0x00007fff12345678ULL },
	{ "c9", MEMV, 'r', 0x6666666600001000ULL, 8, 0, { REG(RBP, MEMV) },
	  0x6666666600001008ULL, RIP0 + 1 },
	{ "c8 38 12 00", 0, 'w', 0x7ff8, 8, 0x6666666600001000ULL, { REG(RBP, 0x7ff8) },
	  0x7ff8 - 0x1238, RIP0 + 4 },
};

static void a_setup(struct x86_emu_ctxt *c, struct tmem *m, enum x86_emu_mode mode,
		    const char *hex, const struct areg *set, unsigned int nset, u64 mem)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	memcpy(c->regs, a_regs, sizeof(c->regs));
	for (i = 0; i < nset && set[i].r; i++)
		c->regs[set[i].r - 1] = set[i].v;
	c->rip = RIP0;
	c->rflags = 0x2;
	c->mode = mode;
	c->insn_len = hex_bytes(hex, c->insn, sizeof(c->insn));
	c->ops = &tmem_ops;
	c->opaque = m;
	tmem_init(m);
	m->fixed = true;
	m->fixed_val = mem;
}

static bool a_access(struct group *g, const char *hex, const struct tmem *m,
		     unsigned int i, char k, u64 gva, unsigned int size)
{
	if (!k)
		return m->nlog == i;
	if (m->nlog <= i || m->log[i].kind != k || m->log[i].gva != gva ||
	    m->log[i].size != size) {
		case_fail(g, "[%s]: access %u: want %c %#llx/%u, got %c %#llx/%u", hex, i,
			  k, (unsigned long long)gva, size,
			  m->nlog <= i ? '-' : m->log[i].kind,
			  m->nlog <= i ? 0ULL : (unsigned long long)m->log[i].gva,
			  m->nlog <= i ? 0 : m->log[i].size);
		return false;
	}
	return true;
}

static void run_case(struct group *g, const struct acase *t)
{
	struct x86_emu_ctxt c;
	struct tmem m;
	u64 want[16];
	enum x86_emu_result r;
	unsigned int i;

	case_begin(g);
	a_setup(&c, &m, t->mode, t->hex, t->set, 3, t->mem);
	c.rflags |= t->rflags;
	memcpy(want, c.regs, sizeof(want));
	for (i = 0; i < 3 && t->out[i].r; i++)
		want[t->out[i].r - 1] = t->out[i].v;
	r = x86_emulate(&c);
	if (r != t->want) {
		case_fail(g, "%s [%s]: %s, want %s", mode_name(t->mode), t->hex,
			  result_name(r), result_name(t->want));
		goto out;
	}
	if (m.err[0])
		case_fail(g, "[%s]: %s", t->hex, m.err);
	if (!a_access(g, t->hex, &m, 0, t->k0, t->g0, t->s0) ||
	    !a_access(g, t->hex, &m, 1, t->k1, t->g1, t->s1) ||
	    !a_access(g, t->hex, &m, t->k1 ? 2 : 1, 0, 0, 0)) {
		if (!g->case_failed)
			case_fail(g, "[%s]: %u accesses", t->hex, m.nlog);
		goto out;
	}
	if (t->k1 && m.log[1].val != t->wval)
		case_fail(g, "[%s]: wrote %#llx, want %#llx", t->hex,
			  (unsigned long long)m.log[1].val, (unsigned long long)t->wval);
	if (r == X86EMU_FAULT) {
		if (c.exception.vector != 0 || c.exception.has_error ||
		    c.rip != RIP0 || memcmp(c.regs, want, sizeof(want)) ||
		    c.rflags != (0x2 | t->rflags))
			case_fail(g, "[%s]: #DE: vector %u, state changed", t->hex,
				  c.exception.vector);
		goto out;
	}
	for (i = 0; i < 16; i++)
		if (c.regs[i] != want[i])
			case_fail(g, "%s [%s]: reg %u = %#llx, want %#llx", mode_name(t->mode),
				  t->hex, i, (unsigned long long)c.regs[i],
				  (unsigned long long)want[i]);
	if ((c.rflags & ARITH) != t->fl || (c.rflags & ~ARITH) != 0x2)
		case_fail(g, "%s [%s]: rflags %#llx, want %#llx", mode_name(t->mode), t->hex,
			  (unsigned long long)c.rflags, (unsigned long long)(t->fl | 0x2));
	if (c.rip != RIP0 + c.insn_len || c.len != c.insn_len)
		case_fail(g, "[%s]: rip %#llx len %u", t->hex, (unsigned long long)c.rip,
			  c.len);
	/* A read that exits to userspace: nothing written, nothing committed. */
	a_setup(&c, &m, t->mode, t->hex, t->set, 3, t->mem);
	c.rflags |= t->rflags;
	memcpy(want, c.regs, sizeof(want));
	m.read_inject_at = 0;
	m.read_inject = X86EMU_EXIT;
	if (x86_emulate(&c) != X86EMU_EXIT || m.nwrites || c.rip != RIP0 ||
	    memcmp(c.regs, want, sizeof(want)) || c.rflags != (0x2 | t->rflags))
		case_fail(g, "[%s]: EXIT on the read: not a clean exit", t->hex);
out:
	case_end(g);
}

static void run_stack2(struct group *g, const struct s2case *t)
{
	struct x86_emu_ctxt c;
	struct tmem m;
	u64 want[16], mask = t->size == 8 ? ~0ULL : 0xffff;
	unsigned int i;

	case_begin(g);
	a_setup(&c, &m, L64, t->hex, NULL, 0, t->mem);
	memcpy(want, c.regs, sizeof(want));
	for (i = 0; i < 2 && t->want[i].r; i++)
		want[t->want[i].r - 1] = t->want[i].v;
	want[RSP] = t->rsp;
	if (x86_emulate(&c) != X86EMU_DONE) {
		case_fail(g, "[%s]: not DONE", t->hex);
		goto out;
	}
	if (!a_access(g, t->hex, &m, 0, t->kind, t->gva, t->size) ||
	    !a_access(g, t->hex, &m, 1, 0, 0, 0))
		goto out;
	if ((t->kind == 'w' && (m.log[0].val & mask) != t->wval) ||
	    memcmp(c.regs, want, sizeof(want)) || c.rip != t->rip ||
	    c.rflags != 0x2)
		case_fail(g, "[%s]: wrote %#llx, rsp %#llx rbp %#llx rip %#llx", t->hex,
			  (unsigned long long)m.log[0].val, (unsigned long long)c.regs[RSP],
			  (unsigned long long)c.regs[RBP], (unsigned long long)c.rip);
	/* A faulting access commits nothing. */
	a_setup(&c, &m, L64, t->hex, NULL, 0, t->mem);
	if (t->kind == 'w') {
		m.write_inject_at = 0;
		m.write_inject = X86EMU_FAULT;
	} else {
		m.read_inject_at = 0;
		m.read_inject = X86EMU_FAULT;
	}
	m.inject_exc.vector = 14;
	if (x86_emulate(&c) != X86EMU_FAULT || memcmp(c.regs, a_regs, sizeof(a_regs)) ||
	    c.rip != RIP0)
		case_fail(g, "[%s]: a faulting access changed the state", t->hex);
out:
	case_end(g);
}

/* RET to a non-canonical address: #GP(0), after the read, nothing committed. */
static void run_ret_noncanonical(struct group *g)
{
	static const u64 bad[] = { 0x0000800000000000ULL, 0xfffe800000000000ULL };
	struct x86_emu_ctxt c;
	struct tmem m;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		case_begin(g);
		a_setup(&c, &m, L64, "c3", NULL, 0, bad[i]);
		if (x86_emulate(&c) != X86EMU_FAULT || c.exception.vector != 13 ||
		    !c.exception.has_error || c.exception.error_code ||
		    memcmp(c.regs, a_regs, sizeof(a_regs)) || c.rip != RIP0 ||
		    !a_access(g, "c3", &m, 0, 'r', 0x8000, 8))
			case_fail(g, "[c3] to %#llx: vector %u, rip %#llx rsp %#llx",
				  (unsigned long long)bad[i], c.exception.vector,
				  (unsigned long long)c.rip, (unsigned long long)c.regs[RSP]);
		case_end(g);
	}
}

static void run_stack(struct group *g, const struct scase *t)
{
	struct x86_emu_ctxt c;
	struct tmem m;
	u64 want[16];
	unsigned int i;

	case_begin(g);
	a_setup(&c, &m, L64, t->hex, t->set, 2, t->mem);
	memcpy(want, c.regs, sizeof(want));
	want[RSP] = t->rsp;
	if (x86_emulate(&c) != X86EMU_DONE) {
		case_fail(g, "[%s]: not DONE", t->hex);
		goto out;
	}
	if (!a_access(g, t->hex, &m, 0, 'r', t->g0, t->size) ||
	    !a_access(g, t->hex, &m, 1, 'w', t->g1, t->size) ||
	    !a_access(g, t->hex, &m, 2, 0, 0, 0))
		goto out;
	if (m.log[1].val != (t->mem & (t->size == 8 ? ~0ULL : 0xffff)) ||
	    memcmp(c.regs, want, sizeof(want)) || c.rflags != 0x2)
		case_fail(g, "[%s]: wrote %#llx, rsp %#llx", t->hex,
			  (unsigned long long)m.log[1].val, (unsigned long long)c.regs[RSP]);
	/* A faulting write commits no RSP. */
	a_setup(&c, &m, L64, t->hex, t->set, 2, t->mem);
	m.write_inject_at = 0;
	m.write_inject = X86EMU_FAULT;
	m.inject_exc.vector = 14;
	if (x86_emulate(&c) != X86EMU_FAULT || c.regs[RSP] != (t->set[0].r == RSP + 1 ?
							       t->set[0].v : a_regs[RSP]))
		case_fail(g, "[%s]: a faulting write changed RSP", t->hex);
	/* Nor does a read that exits. */
	a_setup(&c, &m, L64, t->hex, t->set, 2, t->mem);
	m.read_inject_at = 0;
	m.read_inject = X86EMU_EXIT;
	if (x86_emulate(&c) != X86EMU_EXIT || m.nwrites ||
	    c.regs[RSP] != (t->set[0].r == RSP + 1 ? t->set[0].v : a_regs[RSP]))
		case_fail(g, "[%s]: EXIT on the read: not a clean exit", t->hex);
	for (i = 0; i < 2; i++) {
		static const enum x86_emu_mode other[] = { P32, X86_EMU_REAL };

		a_setup(&c, &m, other[i], t->hex, t->set, 2, t->mem);
		if (t->hex[0] != '6' && t->hex[0] != '4' && x86_emulate(&c) != X86EMU_UNHANDLED)
			case_fail(g, "[%s]: emulated outside 64-bit mode", t->hex);
	}
out:
	case_end(g);
}

/* ---- Against the CPU ------------------------------------------------- */

struct nst {
	u64 rax, rcx, rdx, fl;
};

#define NAT(insn, st, p)						\
	asm volatile("lea -128(%%rsp), %%rsp; push %[f]; popf; " insn	\
		     "; pushf; pop %[f]; cld; lea 128(%%rsp), %%rsp"		\
		     : [f] "+r"((st)->fl), "+a"((st)->rax), "+c"((st)->rcx), \
		       "+d"((st)->rdx) : "S"(p) : "cc", "memory")

#define CCS(X) X(o, 0) X(no, 1) X(b, 2) X(ae, 3) X(e, 4) X(ne, 5) X(be, 6) \
	X(a, 7) X(s, 8) X(ns, 9) X(p, 10) X(np, 11) X(l, 12) X(ge, 13) X(le, 14) \
	X(g, 15)

/*
 * The instructions, by number: asm text and encoding.  Memory is [rsi],
 * the register operand RCX (XADD) or EDX (SHLD/SHRD, count in CL).
 */
#define INSNS(X)							\
	X(0, "xaddb %%cl, (%%rsi)", "0f c0 0e")				\
	X(1, "xaddw %%cx, (%%rsi)", "66 0f c1 0e")			\
	X(2, "xaddl %%ecx, (%%rsi)", "0f c1 0e")			\
	X(3, "xaddq %%rcx, (%%rsi)", "48 0f c1 0e")			\
	X(4, "shldw %%cl, %%dx, (%%rsi)", "66 0f a5 16")		\
	X(5, "shldl %%cl, %%edx, (%%rsi)", "0f a5 16")			\
	X(6, "shldq %%cl, %%rdx, (%%rsi)", "48 0f a5 16")		\
	X(7, "shrdw %%cl, %%dx, (%%rsi)", "66 0f ad 16")		\
	X(8, "shrdl %%cl, %%edx, (%%rsi)", "0f ad 16")			\
	X(9, "shrdq %%cl, %%rdx, (%%rsi)", "48 0f ad 16")		\
	X(10, "shldw $17, %%dx, (%%rsi)", "66 0f a4 16 11")		\
	X(11, "shrdl $1, %%edx, (%%rsi)", "0f ac 16 01")		\
	X(12, "shldq $45, %%rdx, (%%rsi)", "48 0f a4 16 2d")		\
	X(13, "mulb (%%rsi)", "f6 26")					\
	X(14, "mulw (%%rsi)", "66 f7 26")				\
	X(15, "mull (%%rsi)", "f7 26")					\
	X(16, "mulq (%%rsi)", "48 f7 26")				\
	X(17, "imulb (%%rsi)", "f6 2e")					\
	X(18, "imulw (%%rsi)", "66 f7 2e")				\
	X(19, "imull (%%rsi)", "f7 2e")					\
	X(20, "imulq (%%rsi)", "48 f7 2e")				\
	X(21, "divb (%%rsi)", "f6 36")					\
	X(22, "divw (%%rsi)", "66 f7 36")				\
	X(23, "divl (%%rsi)", "f7 36")					\
	X(24, "divq (%%rsi)", "48 f7 36")				\
	X(25, "idivb (%%rsi)", "f6 3e")					\
	X(26, "idivw (%%rsi)", "66 f7 3e")				\
	X(27, "idivl (%%rsi)", "f7 3e")					\
	X(28, "idivq (%%rsi)", "48 f7 3e")

#define NINSN	29
#define NCMOV	48	/* 16 conditions x 16, 32, 64 bits */

static void native_one(unsigned int k, struct nst *st, void *p)
{
	switch (k) {
#define X(n, a, h) case n: NAT(a, st, p); break;
	INSNS(X)
#undef X
#define X(cc, n) \
	case NINSN + 3 * (n): NAT("cmov" #cc "w (%%rsi), %%cx", st, p); break; \
	case NINSN + 3 * (n) + 1: NAT("cmov" #cc "l (%%rsi), %%ecx", st, p); break; \
	case NINSN + 3 * (n) + 2: NAT("cmov" #cc "q (%%rsi), %%rcx", st, p); break;
	CCS(X)
#undef X
	}
}

static unsigned int encoding(unsigned int k, u8 *insn)
{
	static const char *const hex[NINSN] = {
#define X(n, a, h) [n] = h,
		INSNS(X)
#undef X
	};
	static const char *const pfx[3] = { "66 0f", "0f", "48 0f" };
	unsigned int n;

	if (k < NINSN)
		return hex_bytes(hex[k], insn, X86_EMU_MAX_INSN_LEN);
	k -= NINSN;
	n = hex_bytes(pfx[k % 3], insn, X86_EMU_MAX_INSN_LEN);
	insn[n++] = 0x40 + k / 3;
	insn[n++] = 0x0e;
	return n;
}

static u64 edge_val(void)
{
	static const u64 edge[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		~0ULL, ~1ULL,
	};

	switch (rnd_below(4)) {
	case 0:
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd() >> rnd_below(64);
	}
	return rnd();
}

/* Inputs the CPU can divide without #DE (the table tests have those). */
static bool div_ok(unsigned int k, const struct nst *st, u64 m)
{
	unsigned int sz = 1U << ((k - 21) % 4), bits = sz * 8;
	bool sgn = k >= 25;
	__int128 n, q, d;

	if (sz == 1)
		n = sgn ? (__int128)(s16)st->rax : (__int128)(u16)st->rax;
	else if (sz == 8)
		n = sgn ? (__int128)((unsigned __int128)st->rdx << 64 | st->rax) :
			  (__int128)((unsigned __int128)st->rdx << 64 | st->rax);
	else
		n = sgn ? (__int128)(s64)((st->rdx << bits | (st->rax & ((1ULL << bits) - 1))) << (64 - 2 * bits)) >> (64 - 2 * bits) :
			  (__int128)((st->rdx & ((1ULL << bits) - 1)) << bits | (st->rax & ((1ULL << bits) - 1)));
	if (sz == 8 && !sgn) {
		/* Unsigned 128-bit dividend: the quotient fits iff rdx < m. */
		return m && st->rdx < m;
	}
	d = sgn ? (__int128)(s64)(m << (64 - bits)) >> (64 - bits) :
		  (__int128)(m & (sz == 8 ? ~0ULL : (1ULL << bits) - 1));
	if (!d)
		return false;
	if (sz == 8 && sgn && ((st->rdx == (1ULL << 63) && !st->rax)))
		return false;	/* keep clear of __int128 overflow */
	q = n / d;
	if (sgn)
		return q >= -((__int128)1 << (bits - 1)) && q < ((__int128)1 << (bits - 1));
	return q >= 0 && q < ((__int128)1 << bits);
}

static enum x86_emu_result flat_write(struct x86_emu_ctxt *c, u64 gva,
				      const void *val, unsigned int size)
{
	(void)c;
	memcpy((void *)(unsigned long)gva, val, size);
	return X86EMU_DONE;
}

static const struct x86_emu_ops flat_ops = { .read = flat_read, .write = flat_write };

static void native_group(const char *name, unsigned int k0, unsigned int k1,
			 unsigned long per)
{
	struct group g;
	unsigned long i;
	unsigned int k;

	group_begin(&g, name);
	rnd_seed(0xa7170 + k0);
	for (k = k0; k < k1; k++) {
		for (i = 0; i < per; i++) {
			struct nst in, hw;
			struct x86_emu_ctxt c;
			u64 nmem, emem, m;
			unsigned int tries = 0;
			u8 insn[X86_EMU_MAX_INSN_LEN];
			unsigned int n;

			case_begin(&g);
			do {
				in.rax = edge_val();
				in.rcx = edge_val();
				in.rdx = edge_val();
				if (k >= 21 && k < 29 && chance(2))
					in.rdx = (s64)in.rdx >> 63;	/* small dividends */
				m = edge_val();
			} while (k >= 21 && k < 29 && !div_ok(k, &in, m) && ++tries < 1000);
			if (k >= 4 && k < 10 && chance(2))
				in.rcx = rnd_below(70);		/* the count */
			in.fl = 0x2 | (rnd() & 0xcd5);
			hw = in;
			nmem = m;
			emem = m;
			native_one(k, &hw, &nmem);

			n = encoding(k, insn);
			memset(&c, 0, sizeof(c));
			c.regs[RAX] = in.rax;
			c.regs[RCX] = in.rcx;
			c.regs[RDX] = in.rdx;
			c.regs[RSI] = (u64)(unsigned long)&emem;
			c.rflags = in.fl;
			c.mode = L64;
			memcpy(c.insn, insn, n);
			c.insn_len = n;
			c.ops = &flat_ops;
			c.rip = RIP0;
			if (x86_emulate(&c) != X86EMU_DONE)
				case_fail(&g, "[%s]: not DONE", bytes_hex(insn, n));
			else if (c.regs[RAX] != hw.rax || c.regs[RCX] != hw.rcx ||
				 c.regs[RDX] != hw.rdx || emem != nmem ||
				 (c.rflags & 0xcd5) != (hw.fl & 0xcd5))
				case_fail(&g, "[%s] rax %#llx rcx %#llx rdx %#llx m %#llx "
					  "fl %#llx: emulated rax %#llx rcx %#llx rdx %#llx "
					  "m %#llx fl %#llx, CPU rax %#llx rcx %#llx rdx %#llx "
					  "m %#llx fl %#llx", bytes_hex(insn, n),
					  (unsigned long long)in.rax, (unsigned long long)in.rcx,
					  (unsigned long long)in.rdx, (unsigned long long)m,
					  (unsigned long long)in.fl,
					  (unsigned long long)c.regs[RAX],
					  (unsigned long long)c.regs[RCX],
					  (unsigned long long)c.regs[RDX],
					  (unsigned long long)emem,
					  (unsigned long long)(c.rflags & 0xcd5),
					  (unsigned long long)hw.rax, (unsigned long long)hw.rcx,
					  (unsigned long long)hw.rdx, (unsigned long long)nmem,
					  (unsigned long long)(hw.fl & 0xcd5));
			case_end(&g);
		}
	}
	group_end(&g);
}

void arith_tests(unsigned long per_template)
{
	struct group g;
	size_t i;

	group_begin(&g, "table: XADD SHLD SHRD MUL IMUL DIV IDIV CMOVcc (0f c0 c1 a4 a5 ac ad 40-4f, f6 f7 /4-/7)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&g, &cases[i]);
	group_end(&g);
	group_begin(&g, "table: PUSH POP m (ff /6, 8f /0), 64-bit mode");
	for (i = 0; i < sizeof(stack_cases) / sizeof(stack_cases[0]); i++)
		run_stack(&g, &stack_cases[i]);
	group_end(&g);
	group_begin(&g, "table: PUSH 50-57 68 6a, POP 58-5f, RET c3, LEAVE c9, ENTER c8, 64-bit mode");
	for (i = 0; i < sizeof(stack2_cases) / sizeof(stack2_cases[0]); i++)
		run_stack2(&g, &stack2_cases[i]);
	run_ret_noncanonical(&g);
	group_end(&g);
	native_group("native long64: XADD 0f c0 c1, against the CPU", 0, 4, per_template);
	native_group("native long64: SHLD SHRD 0f a4 a5 ac ad, against the CPU", 4, 13,
		     per_template * 4);
	native_group("native long64: MUL IMUL f6 f7 /4 /5, against the CPU", 13, 21,
		     per_template);
	native_group("native long64: DIV IDIV f6 f7 /6 /7, against the CPU", 21, 29,
		     per_template);
	native_group("native long64: CMOVcc 0f 40-4f, against the CPU", NINSN,
		     NINSN + NCMOV, per_template / 4 + 1);
}
