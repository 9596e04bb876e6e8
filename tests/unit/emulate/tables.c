// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven tests of the emulator, with expectations worked out by hand
 * from the SDM: addressing forms in every mode (with the 16-bit and 32-bit
 * wraparounds), operand sizes and registers, flags, REP iterations,
 * re-execution after X86EMU_EXIT, X86EMU_FAULT, and what must be
 * X86EMU_UNHANDLED.
 *
 * Every case starts from the same registers (def_regs) and segment bases
 * (def_seg, def_seg64); every read returns the case's "mem" value.
 */
#include <stdio.h>

#include "harness.h"

const u64 def_regs[16] = {
	[RAX] = 0x1111111100005a40ULL, [RCX] = 0x2222222200000003ULL,
	[RDX] = 0x33333333fffffff0ULL, [RBX] = 0x4444444400001234ULL,
	[RSP] = 0x555555550000fff0ULL, [RBP] = 0x666666660000f000ULL,
	[RSI] = 0x7777777700000100ULL, [RDI] = 0x8888888800000200ULL,
	[R8] = 0x80088, [R9] = 0x90099, [R10] = 0xa00aa, [R11] = 0xb00bb,
	[R12] = 0xc00cc, [R13] = 0xd00dd, [R14] = 0xe00ee, [R15] = 0xf00ff,
};

/* ES, CS, SS, DS, FS, GS.  In 64-bit mode only FS and GS must count. */
static const u64 def_seg[X86_SEG_NR] = {
	0x30000, 0x40000, 0x20000, 0x10000, 0x50000, 0x60000,
};
static const u64 def_seg64[X86_SEG_NR] = {
	0x30000, 0x40000, 0x20000, 0x10000, 0x7000000000ULL, 0xffff800000000000ULL,
};

#define DEF_RIP		0x1000
#define MEM		0xdeadbeefcafef00dULL

struct treg {
	int r;			/* register + 1; 0: unused */
	u64 v;
};
#define REG(r, v)	{ (r) + 1, (v) }

struct tacc {
	char kind;		/* 'r', 'w'; 0: none */
	u64 gva;
	unsigned int size;
	u64 val;		/* for writes */
};

struct tcase {
	const char *name;
	enum x86_emu_mode mode;
	const char *hex;
	u64 mem;		/* what every read returns (default MEM) */
	bool mem0;		/* mem is really 0 */
	u64 rflags;		/* default 0x2 */
	u64 rip;		/* default DEF_RIP */
	struct treg set[3];	/* registers set before */
	struct treg seg;	/* a segment base set before */
	enum x86_emu_result want;
	unsigned int len;
	struct tacc acc[2];	/* the accesses, in order */
	bool regs;		/* check registers: out[] changed, the rest not */
	struct treg out[3];
	u64 fl;			/* arithmetic flags after (when flags is set) */
	bool flags;
	u64 rip_out;		/* default: rip + len */
};

static void setup(struct x86_emu_ctxt *c, struct tmem *m, enum x86_emu_mode mode,
		  const u8 *insn, unsigned int n)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->regs, def_regs, sizeof(c->regs));
	memcpy(c->seg_base, mode == X86_EMU_LONG64 ? def_seg64 : def_seg,
	       sizeof(c->seg_base));
	c->rip = DEF_RIP;
	c->rflags = 0x2;
	c->mode = mode;
	memcpy(c->insn, insn, n);
	c->insn_len = n;
	c->ops = &tmem_ops;
	c->opaque = m;
	tmem_init(m);
	m->fixed = true;
	m->fixed_val = MEM;
}

static u64 ip_mask(enum x86_emu_mode mode)
{
	return mode == X86_EMU_LONG64 ? ~0ULL : mode == X86_EMU_PROT32 ?
	       0xffffffffULL : 0xffffULL;
}

static void run_case(struct group *g, const struct tcase *t)
{
	struct x86_emu_ctxt c, c0;
	struct tmem m;
	enum x86_emu_result r;
	u8 insn[X86_EMU_MAX_INSN_LEN];
	unsigned int n = hex_bytes(t->hex, insn, sizeof(insn)), i;
	u64 want_regs[16];

	case_begin(g);
	setup(&c, &m, t->mode, insn, n);
	if (t->mem || t->mem0)
		m.fixed_val = t->mem;
	if (t->rflags)
		c.rflags = t->rflags;
	if (t->rip)
		c.rip = t->rip;
	for (i = 0; i < 3; i++)
		if (t->set[i].r)
			c.regs[t->set[i].r - 1] = t->set[i].v;
	if (t->seg.r)
		c.seg_base[t->seg.r - 1] = t->seg.v;
	c0 = c;

	r = x86_emulate(&c);
	if (r != t->want) {
		case_fail(g, "%s [%s]: %s, want %s", t->name, t->hex,
			  result_name(r), result_name(t->want));
		return;
	}
	if (m.err[0])
		case_fail(g, "%s [%s]: %s", t->name, t->hex, m.err);
	if (r != X86EMU_DONE) {
		if (memcmp(c.regs, c0.regs, sizeof(c.regs)) || c.rip != c0.rip ||
		    c.rflags != c0.rflags)
			case_fail(g, "%s [%s]: state changed by %s", t->name, t->hex,
				  result_name(r));
		if (r == X86EMU_UNHANDLED && m.nlog)
			case_fail(g, "%s [%s]: UNHANDLED after %u accesses", t->name,
				  t->hex, m.nlog);
		return;
	}
	if (c.len != t->len)
		case_fail(g, "%s [%s]: length %u, want %u", t->name, t->hex, c.len, t->len);
	for (i = 0; i < 2; i++) {
		const struct tacc *w = &t->acc[i];
		const struct tmem_access *a = &m.log[i];

		if (!w->kind) {
			if (i < m.nlog)
				case_fail(g, "%s [%s]: access %u (%c %#llx) not expected",
					  t->name, t->hex, i, a->kind,
					  (unsigned long long)a->gva);
			continue;
		}
		if (i >= m.nlog || a->kind != w->kind || a->gva != w->gva ||
		    a->size != w->size || (w->kind == 'w' && a->val != w->val))
			case_fail(g, "%s [%s]: access %u: got %c %#llx/%u val %#llx, "
				  "want %c %#llx/%u val %#llx", t->name, t->hex, i,
				  i < m.nlog ? a->kind : '-',
				  (unsigned long long)(i < m.nlog ? a->gva : 0),
				  i < m.nlog ? a->size : 0,
				  (unsigned long long)(i < m.nlog ? a->val : 0),
				  w->kind, (unsigned long long)w->gva, w->size,
				  (unsigned long long)w->val);
	}
	if (m.nlog > 2)
		case_fail(g, "%s [%s]: %u accesses", t->name, t->hex, m.nlog);
	if (t->regs) {
		memcpy(want_regs, c0.regs, sizeof(want_regs));
		for (i = 0; i < 3; i++)
			if (t->out[i].r)
				want_regs[t->out[i].r - 1] = t->out[i].v;
		for (i = 0; i < 16; i++)
			if (c.regs[i] != want_regs[i])
				case_fail(g, "%s [%s]: reg %u = %#llx, want %#llx", t->name,
					  t->hex, i, (unsigned long long)c.regs[i],
					  (unsigned long long)want_regs[i]);
	}
	if (t->flags && (c.rflags & 0x8d5) != t->fl)
		case_fail(g, "%s [%s]: flags %#llx, want %#llx", t->name, t->hex,
			  (unsigned long long)(c.rflags & 0x8d5), (unsigned long long)t->fl);
	if ((c.rflags ^ c0.rflags) & ~0x8d5ULL)
		case_fail(g, "%s [%s]: non-arithmetic flags changed", t->name, t->hex);
	if (c.rip != (t->rip_out ? t->rip_out : (c0.rip + t->len) & ip_mask(t->mode)))
		case_fail(g, "%s [%s]: rip %#llx", t->name, t->hex,
			  (unsigned long long)c.rip);
}

static void run_table(const char *name, const struct tcase *t, size_t n)
{
	struct group g;
	size_t i;

	group_begin(&g, name);
	for (i = 0; i < n; i++)
		run_case(&g, &t[i]);
	group_end(&g);
}

#define RUN(name, table)	run_table(name, table, sizeof(table) / sizeof(table[0]))

/* A load of SIZE bytes from GVA. */
#define LD(m, h, g, sz, l) { .name = "load", .mode = (m), .hex = (h), .len = (l), \
			     .acc = { { 'r', (g), (sz), 0 } } }
#define R16 X86_EMU_REAL
#define P16 X86_EMU_PROT16
#define P32 X86_EMU_PROT32
#define L64 X86_EMU_LONG64

/* BX 1234, SI 0100, DI 0200, BP f000; DS 10000, SS 20000, ES 30000, CS 40000, FS 50000, GS 60000. */
static const struct tcase addr16[] = {
	LD(R16, "8b 00", 0x11334, 2, 2),		/* [bx+si] */
	LD(R16, "8b 01", 0x11434, 2, 2),		/* [bx+di] */
	LD(R16, "8b 02", 0x2f100, 2, 2),		/* [bp+si]: SS */
	LD(R16, "8b 03", 0x2f200, 2, 2),		/* [bp+di]: SS */
	LD(R16, "8b 04", 0x10100, 2, 2),		/* [si] */
	LD(R16, "8b 05", 0x10200, 2, 2),		/* [di] */
	LD(R16, "8b 06 cd ab", 0x1abcd, 2, 4),		/* [disp16]: DS */
	LD(R16, "8b 07", 0x11234, 2, 2),		/* [bx] */
	LD(R16, "8b 40 f0", 0x11324, 2, 3),		/* [bx+si-10] */
	LD(R16, "8b 41 7f", 0x114b3, 2, 3),
	LD(R16, "8b 42 80", 0x2f080, 2, 3),		/* [bp+si-80] */
	LD(R16, "8b 43 ff", 0x2f1ff, 2, 3),
	LD(R16, "8b 46 00", 0x2f000, 2, 3),		/* [bp+0] */
	LD(R16, "8b 46 10", 0x2f010, 2, 3),
	LD(R16, "8b 86 00 20", 0x21000, 2, 4),		/* f000+2000 wraps to 1000 */
	LD(R16, "8b 80 ff ff", 0x11333, 2, 4),		/* 1334+ffff wraps to 1333 */
	LD(R16, "8b 87 00 f0", 0x10234, 2, 4),		/* 1234+f000 wraps */
	LD(R16, "8b 06 ff ff", 0x1ffff, 2, 4),		/* a word at ffff: no limit check */
	LD(R16, "26 8b 00", 0x31334, 2, 3),
	LD(R16, "2e 8b 00", 0x41334, 2, 3),
	LD(R16, "36 8b 07", 0x21234, 2, 3),
	LD(R16, "3e 8b 46 00", 0x1f000, 2, 4),		/* DS overrides BP's SS */
	LD(R16, "64 8b 02", 0x5f100, 2, 3),
	LD(R16, "65 8b 04", 0x60100, 2, 3),
	LD(R16, "26 26 8b 00", 0x31334, 2, 4),		/* the same prefix twice */
	LD(R16, "8a 00", 0x11334, 1, 2),
	LD(R16, "66 8b 00", 0x11334, 4, 3),
	LD(P16, "8b 02", 0x2f100, 2, 2),
	LD(P16, "66 8b 43 ff", 0x2f1ff, 4, 4),
	LD(P32, "67 8b 00", 0x11334, 4, 3),		/* 16-bit addressing in 32-bit code */
	LD(P32, "67 8b 46 10", 0x2f010, 4, 4),
	LD(P32, "66 67 8b 06 cd ab", 0x1abcd, 2, 6),
	LD(P32, "67 8b 80 ff ff", 0x11333, 4, 5),
	LD(R16, "a1 34 12", 0x11234, 2, 3),		/* moffs16 */
	LD(R16, "26 a0 ff ff", 0x3ffff, 1, 4),
	LD(P32, "67 a1 34 12", 0x11234, 4, 4),
	{ .name = "real mode above 1 MiB (no A20)", .mode = R16, .hex = "8b 07",
	  .seg = REG(X86_SEG_DS, 0xffff0), .len = 2, .acc = { { 'r', 0x101224, 2, 0 } } },
	{ .name = "linear wraps at 4 GiB", .mode = P16, .hex = "8b 07",
	  .seg = REG(X86_SEG_DS, 0xfffff000), .len = 2, .acc = { { 'r', 0x234, 2, 0 } } },
	{ .name = "store", .mode = R16, .hex = "89 02", .len = 2,
	  .acc = { { 'w', 0x2f100, 2, 0x5a40 } } },
};

/* EAX 5a40, ECX 3, EDX fffffff0, EBX 1234, ESP fff0, EBP f000, ESI 100, EDI 200. */
static const struct tcase addr32[] = {
	LD(P32, "8b 00", 0x15a40, 4, 2),		/* [eax] */
	LD(P32, "8b 04 24", 0x2fff0, 4, 3),		/* [esp]: SS */
	LD(P32, "8b 44 24 fc", 0x2ffec, 4, 4),
	LD(P32, "8b 84 24 00 01 00 00", 0x300f0, 4, 7),
	LD(P32, "8b 45 08", 0x2f008, 4, 3),		/* [ebp+8]: SS */
	LD(P32, "8b 04 8b", 0x11240, 4, 3),		/* [ebx+ecx*4] */
	LD(P32, "8b 04 cd 00 10 00 00", 0x11018, 4, 7),	/* [ecx*8+1000] */
	LD(P32, "8b 05 78 56 34 12", 0x12355678, 4, 6),	/* [disp32] */
	LD(P32, "8b 04 25 00 20 00 00", 0x12000, 4, 7),	/* SIB, no base, no index */
	LD(P32, "8b 04 65 00 00 00 00", 0x10000, 4, 7),	/* index 100: none, scale ignored */
	LD(P32, "8b 44 4d fc", 0x2f002, 4, 4),		/* [ebp+ecx*2-4] */
	LD(P32, "8b 04 0a", 0xfff3, 4, 3),		/* 10000+fffffff3 wraps at 4 GiB */
	LD(P32, "8b 42 20", 0x10010, 4, 3),		/* fffffff0+20 wraps to 10 */
	LD(P32, "8b 04 2c", 0x3eff0, 4, 3),		/* [esp+ebp]: SS (base esp) */
	LD(P32, "8b 04 1c", 0x31224, 4, 3),		/* [esp+ebx] */
	LD(P32, "8b 04 23", 0x11234, 4, 3),		/* [ebx], SIB without index */
	LD(P32, "8b 44 e5 00", 0x2f000, 4, 4),		/* [ebp+0] via SIB */
	LD(P32, "8b 04 ed 00 00 00 00", 0x88000, 4, 7),	/* [ebp*8+0]: DS */
	LD(P32, "26 8b 00", 0x35a40, 4, 3),
	LD(P32, "2e 8b 00", 0x45a40, 4, 3),
	LD(P32, "36 8b 00", 0x25a40, 4, 3),
	LD(P32, "3e 8b 45 00", 0x1f000, 4, 4),
	LD(P32, "64 8b 00", 0x55a40, 4, 3),
	LD(P32, "65 8b 00", 0x65a40, 4, 3),
	LD(P32, "66 8b 00", 0x15a40, 2, 3),
	LD(P32, "8a 00", 0x15a40, 1, 2),
	LD(P32, "a1 78 56 34 12", 0x12355678, 4, 5),	/* moffs32 */
	LD(P32, "66 a1 78 56 34 12", 0x12355678, 2, 6),
	LD(R16, "67 8b 04 8b", 0x11240, 2, 4),		/* 32-bit addressing in real mode */
	LD(R16, "67 66 8b 42 20", 0x10010, 4, 5),
	LD(R16, "67 a1 78 56 34 12", 0x12355678, 2, 6),
	{ .name = "moffs store", .mode = P32, .hex = "26 a3 00 00 00 00", .len = 6,
	  .acc = { { 'w', 0x30000, 4, 0x5a40 } } },
	{ .name = "linear wraps at 4 GiB", .mode = P32, .hex = "8b 00",
	  .seg = REG(X86_SEG_DS, 0xfffff000), .len = 2, .acc = { { 'r', 0x4a40, 4, 0 } } },
};

/* 64-bit: FS 7000000000, GS ffff800000000000; ES/CS/SS/DS bases must not count. */
static const struct tcase addr64[] = {
	LD(L64, "8b 00", 0x1111111100005a40ULL, 4, 2),
	LD(L64, "48 8b 00", 0x1111111100005a40ULL, 8, 3),
	LD(L64, "67 8b 00", 0x5a40, 4, 3),		/* [eax] */
	LD(L64, "64 8b 00", 0x1111118100005a40ULL, 4, 3),
	LD(L64, "65 67 8b 00", 0xffff800000005a40ULL, 4, 4),
	LD(L64, "26 8b 00", 0x1111111100005a40ULL, 4, 3),	/* ES: no base */
	LD(L64, "2e 8b 00", 0x1111111100005a40ULL, 4, 3),
	LD(L64, "36 8b 00", 0x1111111100005a40ULL, 4, 3),
	LD(L64, "3e 8b 00", 0x1111111100005a40ULL, 4, 3),
	LD(L64, "8b 04 24", 0x555555550000fff0ULL, 4, 3),	/* [rsp]: no SS base */
	LD(L64, "8b 45 08", 0x666666660000f008ULL, 4, 3),
	LD(L64, "8b 05 10 00 00 00", 0x1016, 4, 6),		/* [rip+10] */
	LD(L64, "8b 05 f0 ff ff ff", 0xff6, 4, 6),
	LD(L64, "41 8b 04 24", 0xc00cc, 4, 4),			/* [r12] needs a SIB */
	LD(L64, "41 8b 45 00", 0xd00dd, 4, 4),			/* [r13+0] */
	LD(L64, "41 8b 05 00 00 00 00", 0x1007, 4, 7),		/* REX.B: still RIP-relative */
	LD(L64, "42 8b 04 25 00 01 00 00", 0xc01cc, 4, 8),	/* index r12 (REX.X) */
	LD(L64, "43 8b 04 25 00 01 00 00", 0xc01cc, 4, 8),	/* REX.B: still no base */
	LD(L64, "41 8b 04 25 00 01 00 00", 0x100, 4, 8),
	LD(L64, "4a 8b 04 e0", 0x11111111006060a0ULL, 8, 4),	/* [rax+r12*8] */
	LD(L64, "8b 04 a0", 0x1111111100005a40ULL, 4, 3),	/* index 100: none */
	LD(L64, "4d 8b 44 24 08", 0xc00d4, 8, 5),		/* r8, [r12+8] */
	LD(L64, "8b 04 0a", 0x55555555fffffff3ULL, 4, 3),
	LD(L64, "67 8b 04 0a", 0xfffffff3, 4, 4),		/* [edx+ecx] */
	LD(L64, "67 8b 42 20", 0x10, 4, 4),			/* wraps at 4 GiB */
	LD(L64, "8b 42 20", 0x3333333400000010ULL, 4, 3),
	LD(L64, "64 8b 04 25 00 00 00 80", 0x6f80000000ULL, 4, 8),	/* disp32 sign-extends */
	LD(L64, "67 64 8b 04 25 00 00 00 80", 0x7080000000ULL, 4, 9),	/* zero-extends */
	LD(L64, "64 48 8b 04 25 28 00 00 00", 0x7000000028ULL, 8, 9),
	LD(L64, "48 a1 10 32 54 76 98 ba dc fe", 0xfedcba9876543210ULL, 8, 10),
	LD(L64, "a0 10 32 54 76 98 ba dc fe", 0xfedcba9876543210ULL, 1, 9),
	LD(L64, "67 a1 ef cd ab 89", 0x89abcdef, 4, 6),		/* moffs32 */
	{ .name = "moffs store, GS", .mode = L64, .hex = "65 a2 00 01 00 00 00 00 00 00",
	  .len = 10, .acc = { { 'w', 0xffff800000000100ULL, 1, 0x40 } } },
	{ .name = "RIP-relative, after imm32", .mode = L64,
	  .hex = "c7 05 10 00 00 00 78 56 34 12", .len = 10,
	  .acc = { { 'w', 0x101a, 4, 0x12345678 } } },
	{ .name = "RIP-relative, imm32 sign-extended", .mode = L64,
	  .hex = "48 c7 05 f0 ff ff ff 80 00 00 00", .len = 11,
	  .acc = { { 'w', 0xffb, 8, 0x80 } } },
	{ .name = "RIP-relative, imm16", .mode = L64, .hex = "66 c7 05 00 00 00 00 34 12",
	  .len = 9, .acc = { { 'w', 0x1009, 2, 0x1234 } } },
	{ .name = "RIP-relative, imm8", .mode = L64, .hex = "c6 05 ff ff ff ff 7f",
	  .len = 7, .acc = { { 'w', 0x1006, 1, 0x7f } } },
	{ .name = "RIP-relative RMW", .mode = L64, .hex = "83 05 00 00 00 00 01",
	  .mem = 0x41, .len = 7,
	  .acc = { { 'r', 0x1007, 4, 0 }, { 'w', 0x1007, 4, 0x42 } } },
	{ .name = "RIP-relative with 67 wraps", .mode = L64, .hex = "67 8b 05 00 00 00 00",
	  .rip = 0x123456789000ULL, .len = 7, .acc = { { 'r', 0x56789007, 4, 0 } } },
	{ .name = "imm32 sign-extended", .mode = L64, .hex = "48 c7 00 00 00 00 80",
	  .len = 7, .acc = { { 'w', 0x1111111100005a40ULL, 8, 0xffffffff80000000ULL } } },
};

/* Operand sizes, byte registers, extension; every read returns deadbeefcafef00d. */
static const struct tcase sizes[] = {
	{ .name = "AH", .mode = L64, .hex = "8a 20", .len = 2, .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(RAX, 0x1111111100000d40ULL) } },
	{ .name = "SPL with REX", .mode = L64, .hex = "40 8a 20", .len = 3, .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(RSP, 0x555555550000ff0dULL) } },
	{ .name = "R12B", .mode = L64, .hex = "44 8a 20", .len = 3, .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(R12, 0xc000d) } },
	{ .name = "BH", .mode = L64, .hex = "8a 38", .len = 2, .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(RBX, 0x4444444400000d34ULL) } },
	{ .name = "DIL with REX", .mode = L64, .hex = "40 8a 38", .len = 3, .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(RDI, 0x888888880000020dULL) } },
	{ .name = "store AH", .mode = L64, .hex = "88 20", .len = 2,
	  .acc = { { 'w', 0x1111111100005a40ULL, 1, 0x5a } }, .regs = true },
	{ .name = "store SPL", .mode = L64, .hex = "40 88 20", .len = 3,
	  .acc = { { 'w', 0x1111111100005a40ULL, 1, 0xf0 } }, .regs = true },
	{ .name = "store R12B", .mode = L64, .hex = "44 88 20", .len = 3,
	  .acc = { { 'w', 0x1111111100005a40ULL, 1, 0xcc } }, .regs = true },
	{ .name = "store CH (real mode)", .mode = R16, .hex = "88 2f", .len = 2,
	  .acc = { { 'w', 0x11234, 1, 0x00 } }, .regs = true },
	{ .name = "32-bit load zero-extends", .mode = L64, .hex = "8b 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(RAX, 0xcafef00d) } },
	{ .name = "16-bit load keeps the rest", .mode = L64, .hex = "66 8b 00", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 2, 0 } }, .regs = true, .out = { REG(RAX, 0x111111110000f00dULL) } },
	{ .name = "REX.W", .mode = L64, .hex = "48 8b 00", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 } }, .regs = true, .out = { REG(RAX, MEM) } },
	{ .name = "REX.W beats 66", .mode = L64, .hex = "66 48 8b 00", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 } }, .regs = true, .out = { REG(RAX, MEM) } },
	{ .name = "REX before a legacy prefix is ignored", .mode = L64, .hex = "48 66 8b 00", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 2, 0 } }, .regs = true, .out = { REG(RAX, 0x111111110000f00dULL) } },
	{ .name = "REX.B before a prefix is ignored", .mode = L64, .hex = "41 3e 8b 00", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(RAX, 0xcafef00d) } },
	{ .name = "MOVZX r32, m8", .mode = L64, .hex = "0f b6 00", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0x0d) } },
	{ .name = "MOVZX r16, m8", .mode = L64, .hex = "66 0f b6 00", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0x111111110000000dULL) } },
	{ .name = "MOVZX r32, m16", .mode = L64, .hex = "0f b7 08", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 2, 0 } }, .regs = true, .out = { REG(RCX, 0xf00d) } },
	{ .name = "MOVSX r32, m8", .mode = L64, .hex = "0f be 00", .mem = 0x80, .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0xffffff80) } },
	{ .name = "MOVSX r64, m8", .mode = L64, .hex = "48 0f be 00", .mem = 0x80, .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0xffffffffffffff80ULL) } },
	{ .name = "MOVSX r16, m8", .mode = L64, .hex = "66 0f be 00", .mem = 0x80, .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0x111111110000ff80ULL) } },
	{ .name = "MOVSX r64, m16", .mode = L64, .hex = "48 0f bf 00", .mem = 0x8000, .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 2, 0 } }, .regs = true, .out = { REG(RAX, 0xffffffffffff8000ULL) } },
	{ .name = "MOVSXD r64, m32", .mode = L64, .hex = "48 63 00", .mem = 0x80000000, .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(RAX, 0xffffffff80000000ULL) } },
	{ .name = "MOVSXD r32, m32", .mode = L64, .hex = "63 00", .mem = 0x80000000, .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(RAX, 0x80000000) } },
	{ .name = "MOVSXD r9 (REX.R)", .mode = L64, .hex = "4c 63 08", .mem = 0x7fffffff, .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(R9, 0x7fffffff) } },
	{ .name = "CMP writes nothing", .mode = L64, .hex = "3b 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true },
	{ .name = "CMP m, r writes nothing", .mode = L64, .hex = "39 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true },
	{ .name = "TEST writes nothing", .mode = L64, .hex = "85 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true },
	{ .name = "XCHG", .mode = L64, .hex = "87 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 }, { 'w', 0x1111111100005a40ULL, 4, 0x5a40 } },
	  .regs = true, .out = { REG(RAX, 0xcafef00d) } },
	{ .name = "XCHG AH", .mode = L64, .hex = "86 20", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 }, { 'w', 0x1111111100005a40ULL, 1, 0x5a } },
	  .regs = true, .out = { REG(RAX, 0x1111111100000d40ULL) } },
	{ .name = "LOCK XCHG", .mode = L64, .hex = "f0 48 87 18", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 }, { 'w', 0x1111111100005a40ULL, 8, 0x4444444400001234ULL } },
	  .regs = true, .out = { REG(RBX, MEM) } },
	/* CMPXCHG [rax], ebx: EAX 5a40 against memory. */
	{ .name = "CMPXCHG equal: stores EBX", .mode = L64, .hex = "0f b1 18", .mem = 0x5a40, .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 }, { 'w', 0x1111111100005a40ULL, 4, 0x1234 } },
	  .regs = true, .flags = true, .fl = 0x044 },
	{ .name = "CMPXCHG unequal: loads EAX, no write", .mode = L64, .hex = "f0 0f b1 18", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } },
	  .regs = true, .out = { REG(RAX, 0xcafef00d) }, .flags = true, .fl = 0x015 },
	{ .name = "CMPXCHG m8, bh unequal: loads AL", .mode = L64, .hex = "0f b0 38", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } },
	  .regs = true, .out = { REG(RAX, 0x1111111100005a0dULL) }, .flags = true, .fl = 0x014 },
	{ .name = "CMPXCHG r64 equal", .mode = L64, .hex = "48 0f b1 18", .mem = 0x1111111100005a40ULL, .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 }, { 'w', 0x1111111100005a40ULL, 8, 0x4444444400001234ULL } },
	  .regs = true, .flags = true, .fl = 0x044 },
	/* CMPXCHG8B [rax]: EDX:EAX fffffff0:00005a40, ECX:EBX 00000003:00001234. */
	{ .name = "CMPXCHG8B equal: stores ECX:EBX", .mode = L64, .hex = "f0 0f c7 08",
	  .mem = 0xfffffff000005a40ULL, .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 }, { 'w', 0x1111111100005a40ULL, 8, 0x0000000300001234ULL } },
	  .regs = true, .flags = true, .fl = 0x040 },
	{ .name = "CMPXCHG8B unequal: loads EDX:EAX", .mode = L64, .hex = "0f c7 08", .rflags = 0x8d7, .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 8, 0 } },
	  .regs = true, .out = { REG(RAX, 0xcafef00d), REG(RDX, 0xdeadbeef) }, .flags = true, .fl = 0x895 },
	{ .name = "CMPXCHG8B in prot32", .mode = P32, .hex = "0f c7 08", .mem = 0xfffffff000005a40ULL, .len = 3,
	  .acc = { { 'r', 0x15a40, 8, 0 }, { 'w', 0x15a40, 8, 0x0000000300001234ULL } },
	  .regs = true, .flags = true, .fl = 0x040 },
	{ .name = "ADD m32, r32", .mode = L64, .hex = "01 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 }, { 'w', 0x1111111100005a40ULL, 4, 0xcaff4a4d } }, .regs = true },
	{ .name = "ADD r32, m32 zero-extends", .mode = L64, .hex = "03 00", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 } }, .regs = true, .out = { REG(RAX, 0xcaff4a4d) } },
	{ .name = "ADD r16, m16", .mode = L64, .hex = "66 03 00", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 2, 0 } }, .regs = true, .out = { REG(RAX, 0x1111111100004a4dULL) } },
	{ .name = "ADD AH, m8", .mode = L64, .hex = "02 20", .len = 2,
	  .acc = { { 'r', 0x1111111100005a40ULL, 1, 0 } }, .regs = true, .out = { REG(RAX, 0x1111111100006740ULL) } },
	{ .name = "LOCK ADD", .mode = L64, .hex = "f0 01 00", .len = 3,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 }, { 'w', 0x1111111100005a40ULL, 4, 0xcaff4a4d } }, .regs = true },
	{ .name = "LOCK OR imm8", .mode = L64, .hex = "f0 83 08 01", .len = 4,
	  .acc = { { 'r', 0x1111111100005a40ULL, 4, 0 }, { 'w', 0x1111111100005a40ULL, 4, 0xcafef00d } }, .regs = true },
	{ .name = "MOV r16 (real mode)", .mode = R16, .hex = "8b 07", .len = 2,
	  .acc = { { 'r', 0x11234, 2, 0 } }, .regs = true, .out = { REG(RAX, 0x111111110000f00dULL) } },
	{ .name = "MOV r32 with 66 (real mode)", .mode = R16, .hex = "66 8b 07", .len = 3,
	  .acc = { { 'r', 0x11234, 4, 0 } }, .regs = true, .out = { REG(RAX, 0xcafef00d) } },
	{ .name = "MOV m16, imm16 (real mode)", .mode = R16, .hex = "c7 07 34 12", .len = 4,
	  .acc = { { 'w', 0x11234, 2, 0x1234 } }, .regs = true },
	{ .name = "MOV m32, imm32 (real mode)", .mode = R16, .hex = "66 c7 07 78 56 34 12", .len = 7,
	  .acc = { { 'w', 0x11234, 4, 0x12345678 } }, .regs = true },
	{ .name = "MOVZX r32 (real mode)", .mode = R16, .hex = "66 0f b6 07", .len = 4,
	  .acc = { { 'r', 0x11234, 1, 0 } }, .regs = true, .out = { REG(RAX, 0x0d) } },
	{ .name = "ADD m16, imm16 (real mode)", .mode = R16, .hex = "81 07 34 12", .len = 4,
	  .acc = { { 'r', 0x11234, 2, 0 }, { 'w', 0x11234, 2, 0x0241 } }, .regs = true },
	{ .name = "ADD m16, imm8 (real mode)", .mode = R16, .hex = "83 07 ff", .len = 3,
	  .acc = { { 'r', 0x11234, 2, 0 }, { 'w', 0x11234, 2, 0xf00c } }, .regs = true },
	{ .name = "ADD m32, imm8 (real mode)", .mode = R16, .hex = "66 83 07 ff", .len = 4,
	  .acc = { { 'r', 0x11234, 4, 0 }, { 'w', 0x11234, 4, 0xcafef00c } }, .regs = true },
	{ .name = "MOV m32, imm32", .mode = P32, .hex = "c7 00 78 56 34 12", .len = 6,
	  .acc = { { 'w', 0x15a40, 4, 0x12345678 } }, .regs = true },
	{ .name = "MOV m16, imm16", .mode = P32, .hex = "66 c7 00 34 12", .len = 5,
	  .acc = { { 'w', 0x15a40, 2, 0x1234 } }, .regs = true },
	{ .name = "MOVZX r32, m16", .mode = P32, .hex = "0f b7 00", .len = 3,
	  .acc = { { 'r', 0x15a40, 2, 0 } }, .regs = true, .out = { REG(RAX, 0xf00d) } },
	{ .name = "TEST m8, imm8", .mode = P32, .hex = "f6 00 0d", .len = 3,
	  .acc = { { 'r', 0x15a40, 1, 0 } }, .regs = true },
	{ .name = "TEST m16, imm16", .mode = P32, .hex = "66 f7 00 0d 00", .len = 5,
	  .acc = { { 'r', 0x15a40, 2, 0 } }, .regs = true },
	{ .name = "IP wraps at 64 KiB", .mode = R16, .hex = "8b 07", .rip = 0xffff, .len = 2,
	  .acc = { { 'r', 0x11234, 2, 0 } }, .rip_out = 0x1 },
	{ .name = "EIP wraps at 4 GiB", .mode = P32, .hex = "8b 00", .rip = 0xffffffff, .len = 2,
	  .acc = { { 'r', 0x15a40, 4, 0 } }, .rip_out = 0x1 },
};

/* Flags, worked out by hand.  [eax] is 15a40 in prot32. */
#define FL(h, m, m0, f_in, w, v, f) { .name = "flags", .mode = P32, .hex = (h), .mem = (m), \
	.mem0 = (m0), .rflags = (f_in), .len = sizeof(h) / 3, .flags = true, .fl = (f), \
	.acc = { { 'r', 0x15a40, (w), 0 }, { 'w', 0x15a40, (w), (v) } } }
#define FLR(h, m, m0, f_in, w, f) { .name = "flags", .mode = P32, .hex = (h), .mem = (m), \
	.mem0 = (m0), .rflags = (f_in), .len = sizeof(h) / 3, .flags = true, .fl = (f), \
	.regs = true, .acc = { { 'r', 0x15a40, (w), 0 } } }
static const struct tcase flags[] = {
	FL("80 00 01", 0x7f, 0, 0x2, 1, 0x80, 0x890),		/* ADD: OF SF AF */
	FL("80 00 01", 0xff, 0, 0x2, 1, 0x00, 0x055),		/* ADD: CF ZF AF PF */
	FL("80 28 01", 0, 1, 0x2, 1, 0xff, 0x095),		/* SUB: CF SF AF PF */
	FL("80 28 01", 0x80, 0, 0x2, 1, 0x7f, 0x810),		/* SUB: OF AF */
	FL("80 10 00", 0xff, 0, 0x3, 1, 0x00, 0x055),		/* ADC with CF */
	FL("80 18 00", 0, 1, 0x3, 1, 0xff, 0x095),		/* SBB with CF */
	FL("80 18 00", 0, 1, 0x2, 1, 0x00, 0x044),		/* SBB without CF */
	FL("80 10 ff", 0x05, 0, 0x3, 1, 0x05, 0x015),		/* ADC ff+CF: carries */
	FL("80 18 ff", 0x05, 0, 0x3, 1, 0x05, 0x015),		/* SBB ff+CF: borrows */
	FL("66 81 10 ff ff", 0x1234, 0, 0x3, 2, 0x1234, 0x011),	/* PF: 34 is odd */
	FL("81 30 ff ff ff ff", 0x0f0f0f0f, 0, 0x2, 4, 0xf0f0f0f0, 0x084),	/* XOR */
	FL("66 83 20 00", 0xffff, 0, 0x8d7, 2, 0, 0x044),	/* AND clears CF OF AF */
	FL("01 00", 0xffffa5c0, 0, 0x2, 4, 0, 0x045),		/* ADD: CF ZF PF, no AF */
	FL("83 00 ff", 1, 0, 0x2, 4, 0, 0x055),			/* ADD -1 */
	FL("11 00", 0xffffa5bf, 0, 0x3, 4, 0, 0x055),		/* ADC: CF ZF AF PF */
	FL("09 00", 0x80000000, 0, 0x8d7, 4, 0x80005a40, 0x080),	/* OR */
	FL("29 00", 0x5a40, 0, 0x2, 4, 0, 0x044),		/* SUB to 0 */
	FL("66 19 00", 0x5a40, 0, 0x3, 2, 0xffff, 0x095),	/* SBB word, borrow */
	FLR("3b 00", 0x5a41, 0, 0x2, 4, 0x095),			/* CMP eax, [eax] */
	FLR("85 00", 0xffff0000, 0, 0x8d7, 4, 0x044),		/* TEST */
	FLR("f6 00 80", 0x80, 0, 0x2, 1, 0x080),
	FLR("81 38 00 00 00 80", 0, 1, 0x2, 4, 0x885),		/* CMP: CF OF SF PF */
	FLR("80 38 05", 0x05, 0, 0x8d7, 1, 0x044),		/* CMP equal */
	FLR("38 20", 0x59, 0, 0x2, 1, 0x095),			/* CMP [eax], ah: 59-5a */
};

/*
 * BT BTS BTR BTC, BSF BSR, IMUL, by hand.  [eax] is 15a40 in prot32, EBX
 * 0x1234.  A register bit offset moves the access by whole operands,
 * signed: 0x1234 = 4660 is dword 145 (+0x244) bit 20, word 291 (+0x246)
 * bit 4; -1 is the operand before, its top bit.  The flags the SDM leaves
 * undefined (BT: OF SF AF PF; BSF: all but ZF; IMUL: SF ZF AF PF) are kept.
 */
#define BTM(h, mo, m, m0, f_in, gva, w, v, f, ...) { .name = "bits", .mode = (mo), \
	.hex = (h), .mem = (m), .mem0 = (m0), .rflags = (f_in), .len = sizeof(h) / 3, \
	.flags = true, .fl = (f), .regs = true, .set = { __VA_ARGS__ }, \
	.acc = { { 'r', (gva), (w), 0 }, { 'w', (gva), (w), (v) } } }
/* Reads only; the register oreg (-1: none) becomes oval. */
#define BTR_(h, mo, m, m0, f_in, gva, w, f, oreg, oval) { .name = "bits", .mode = (mo), \
	.hex = (h), .mem = (m), .mem0 = (m0), .rflags = (f_in), .len = sizeof(h) / 3, \
	.flags = true, .fl = (f), .regs = true, .out = { { (oreg) + 1, (oval) } }, \
	.acc = { { 'r', (gva), (w), 0 } } }
static const struct tcase bits[] = {
	/* BT reads only; CF = the bit, the rest kept. */
	BTR_("0f ba 20 03", P32, 0x8, 0, 0x8d6, 0x15a40, 4, 0x8d5, -1, 0),
	BTR_("0f ba 20 23", P32, 0x8, 0, 0x8d7, 0x15a40, 4, 0x8d5, -1, 0), /* 35 mod 32 */
	BTR_("0f a3 18", P32, 0xffefffff, 0, 0x3, 0x15c84, 4, 0x000, -1, 0),
	BTM("0f ba 38 23", P32, 0x8, 0, 0x2, 0x15a40, 4, 0x0, 0x001, { 0, 0 }),	/* BTC 35 */
	BTM("0f ab 18", P32, 0, 1, 0x2, 0x15c84, 4, 0x100000, 0x000, { 0, 0 }),	/* BTS ebx */
	BTM("0f b3 08", P32, 0xffffffff, 0, 0x2, 0x15a3c, 4, 0x7fffffff, 0x001,
	    REG(RCX, 0xffffffff)),						/* BTR -1 */
	BTM("66 0f bb 18", P32, 0x10, 0, 0x8d6, 0x15c86, 2, 0, 0x8d5, { 0, 0 }),	/* BTC bx */
	BTM("48 0f bb 18", L64, 0, 1, 0x2, 0x1111111100005a38ULL, 8,
	    0x8000000000000000ULL, 0x000, REG(RBX, ~0ULL)),			/* BTC rbx -1 */
	BTM("f0 0f ba 28 00", P32, 0, 1, 0x2, 0x15a40, 4, 1, 0x000, { 0, 0 }),	/* LOCK BTS 0 */
	BTM("f0 0f ba 30 1f", P32, 0x80000001, 0, 0x2, 0x15a40, 4, 1, 0x001, { 0, 0 }),
	/* BSF, BSR: ZF = source is 0, the register then unchanged. */
	BTR_("0f bc 00", P32, 0x8000, 0, 0x8d7, 0x15a40, 4, 0x895, RAX, 0xf),
	BTR_("0f bd 08", P32, 0xc0000000, 0, 0x2, 0x15a40, 4, 0x000, RCX, 0x1f),
	BTR_("0f bc 08", P32, 0, 1, 0x2, 0x15a40, 4, 0x040, -1, 0),
	BTR_("66 0f bd 08", P32, 0x8001, 0, 0x2, 0x15a40, 2, 0x000,
	     RCX, 0x222222220000000fULL),
	BTR_("48 0f bc 08", L64, 0xc00000000000ULL, 0, 0x2, 0x1111111100005a40ULL, 8, 0x000,
	     RCX, 46),
	/* IMUL: CF = OF = the product did not fit. */
	BTR_("0f af 00", P32, 51, 0, 0x8d7, 0x15a40, 4, 0x0d4, RAX, 0x11fac0),
	BTR_("66 0f af 00", P32, 51, 0, 0x2, 0x15a40, 2, 0x801,
	     RAX, 0x111111110000fac0ULL),
	BTR_("6b 08 33", P32, 0x12345678, 0, 0x2, 0x15a40, 4, 0x801, RCX, 0xa06d39e8),
	BTR_("69 08 37 01 00 00", P32, 0x12345678, 0, 0x2, 0x15a40, 4, 0x801,
	     RCX, 0x1d950bc8),
	BTR_("6b 08 ff", P32, 0x80000000, 0, 0x2, 0x15a40, 4, 0x801, RCX, 0x80000000),
	BTR_("6b 08 ff", P32, 0x7fffffff, 0, 0x8d7, 0x15a40, 4, 0x0d4, RCX, 0x80000001),
	BTR_("48 0f af 00", L64, 51, 0, 0x2, 0x1111111100005a40ULL, 8, 0x801,
	     RAX, 0x666666630011fac0ULL),
	BTR_("48 6b 00 fe", L64, 0x4000000000000000ULL, 0, 0x2, 0x1111111100005a40ULL, 8, 0x000,
	     RAX, 0x8000000000000000ULL),
};

/* INC, DEC (CF kept), NOT (no flags), NEG (0 - m: CF = m != 0), by hand. */
static const struct tcase unary[] = {
	FL("fe 00", 0x7f, 0, 0x3, 1, 0x80, 0x891),		/* INC: OF SF AF, CF kept */
	FL("fe 00", 0xff, 0, 0x2, 1, 0x00, 0x054),		/* INC: ZF AF PF, no CF */
	FL("fe 08", 0, 1, 0x2, 1, 0xff, 0x094),			/* DEC: SF AF PF, no CF */
	FL("fe 08", 0x01, 0, 0x8d3, 1, 0x00, 0x045),		/* DEC to 0: CF kept */
	FL("ff 08", 0x80000000, 0, 0x2, 4, 0x7fffffff, 0x814),	/* DEC: OF AF PF */
	FL("66 ff 00", 0xffff, 0, 0x3, 2, 0, 0x055),		/* INC word */
	FL("f0 ff 00", 5, 0, 0x2, 4, 6, 0x004),			/* LOCK INC */
	FL("f0 fe 08", 0x10, 0, 0x2, 1, 0x0f, 0x014),		/* LOCK DEC: AF PF */
	FL("f6 10", 0x5a, 0, 0x8d7, 1, 0xa5, 0x8d5),		/* NOT: flags kept */
	FL("f7 10", 0x0f0f0f0f, 0, 0x2, 4, 0xf0f0f0f0, 0),
	FL("f0 66 f7 10", 0x00ff, 0, 0x2, 2, 0xff00, 0),	/* LOCK NOT word */
	FL("f6 18", 0x01, 0, 0x2, 1, 0xff, 0x095),		/* NEG: CF SF AF PF */
	FL("f6 18", 0, 1, 0x8d7, 1, 0, 0x044),			/* NEG 0: ZF PF, no CF */
	FL("f6 18", 0x80, 0, 0x2, 1, 0x80, 0x881),		/* NEG 80: CF OF SF */
	FL("f7 18", 0x5a40, 0, 0x2, 4, 0xffffa5c0, 0x085),	/* NEG: CF SF PF */
	FL("f0 f7 18", 0xffffffff, 0, 0x2, 4, 1, 0x011),	/* LOCK NEG: CF AF */
};

/* ---- REP ------------------------------------------------------------ */

struct rep_step {
	u64 src, dst;		/* the accesses; src 0: none (STOS) */
	u64 rcx, rsi, rdi;	/* after */
	bool done;		/* RIP moved on */
};

static void run_rep(struct group *g, const char *name, enum x86_emu_mode mode,
		    const char *hex, u64 rflags, const struct treg *set,
		    unsigned int size, const struct rep_step *steps, unsigned int nsteps)
{
	struct x86_emu_ctxt c;
	struct tmem m;
	u8 insn[X86_EMU_MAX_INSN_LEN];
	unsigned int n = hex_bytes(hex, insn, sizeof(insn)), i, k;
	enum x86_emu_result r;

	case_begin(g);
	setup(&c, &m, mode, insn, n);
	c.rflags = rflags;
	for (i = 0; set && set[i].r; i++)
		c.regs[set[i].r - 1] = set[i].v;
	for (k = 0; k < nsteps; k++) {
		const struct rep_step *s = &steps[k];
		u64 before[16], want_rip = s->done ? (DEF_RIP + n) : DEF_RIP;

		memcpy(before, c.regs, sizeof(before));
		tmem_reset_log(&m);
		r = x86_emulate(&c);
		if (r != X86EMU_DONE) {
			case_fail(g, "%s [%s] step %u: %s", name, hex, k, result_name(r));
			return;
		}
		i = 0;
		if (s->src && (m.nlog <= i || m.log[i].kind != 'r' ||
			       m.log[i++].gva != s->src || m.log[i - 1].size != size))
			case_fail(g, "%s [%s] step %u: no read of %#llx", name, hex, k,
				  (unsigned long long)s->src);
		if (s->dst && (m.nlog <= i || m.log[i].kind != 'w' ||
			       m.log[i++].gva != s->dst || m.log[i - 1].size != size))
			case_fail(g, "%s [%s] step %u: no write of %#llx", name, hex, k,
				  (unsigned long long)s->dst);
		if (m.nlog != i)
			case_fail(g, "%s [%s] step %u: %u accesses, want %u", name, hex, k,
				  m.nlog, i);
		if (c.regs[RCX] != s->rcx || c.regs[RSI] != s->rsi || c.regs[RDI] != s->rdi)
			case_fail(g, "%s [%s] step %u: rcx %#llx rsi %#llx rdi %#llx, "
				  "want %#llx %#llx %#llx", name, hex, k,
				  (unsigned long long)c.regs[RCX], (unsigned long long)c.regs[RSI],
				  (unsigned long long)c.regs[RDI], (unsigned long long)s->rcx,
				  (unsigned long long)s->rsi, (unsigned long long)s->rdi);
		for (i = 0; i < 16; i++)
			if (i != RCX && i != RSI && i != RDI && c.regs[i] != before[i])
				case_fail(g, "%s [%s] step %u: reg %u changed", name, hex, k, i);
		if (c.rip != want_rip || c.len != n)
			case_fail(g, "%s [%s] step %u: rip %#llx, want %#llx", name, hex, k,
				  (unsigned long long)c.rip, (unsigned long long)want_rip);
		if (c.rflags != rflags)
			case_fail(g, "%s [%s] step %u: rflags changed", name, hex, k);
		c.rip = DEF_RIP;	/* as if the guest ran it again */
	}
}

#define STEPS(...)	(const struct rep_step[]){ __VA_ARGS__ }, \
			sizeof((const struct rep_step[]){ __VA_ARGS__ }) / sizeof(struct rep_step)
#define SET(...)	(const struct treg[]){ __VA_ARGS__, { 0, 0 } }
#define DF		0x402

static void rep_tests(void)
{
	struct group g;

	group_begin(&g, "table: REP MOVS/STOS, one iteration per call");
	/* Real mode: SI 100, DI 200, DS 10000, ES 30000. */
	run_rep(&g, "rep movsb", R16, "f3 a4", 0x2, SET(REG(RCX, 0x2222222200000003ULL)), 1, STEPS(
		{ 0x10100, 0x30200, 0x2222222200000002ULL, 0x7777777700000101ULL, 0x8888888800000201ULL, false },
		{ 0x10101, 0x30201, 0x2222222200000001ULL, 0x7777777700000102ULL, 0x8888888800000202ULL, false },
		{ 0x10102, 0x30202, 0x2222222200000000ULL, 0x7777777700000103ULL, 0x8888888800000203ULL, true }));
	run_rep(&g, "rep movsw, DF", R16, "f3 a5", DF, SET(REG(RCX, 0x2222222200000002ULL)), 2, STEPS(
		{ 0x10100, 0x30200, 0x2222222200000001ULL, 0x77777777000000feULL, 0x88888888000001feULL, false },
		{ 0x100fe, 0x301fe, 0x2222222200000000ULL, 0x77777777000000fcULL, 0x88888888000001fcULL, true }));
	run_rep(&g, "rep stosb, CX 0 (ECX not 0)", R16, "f3 aa", 0x2,
		SET(REG(RCX, 0x2222222200010000ULL)), 1, STEPS(
		{ 0, 0, 0x2222222200010000ULL, 0x7777777700000100ULL, 0x8888888800000200ULL, true }));
	run_rep(&g, "rep movsb, SI and DI wrap at 64 KiB", R16, "f3 a4", 0x2,
		SET(REG(RCX, 2), REG(RSI, 0x1234ffff), REG(RDI, 0xffff)), 1, STEPS(
		{ 0x1ffff, 0x3ffff, 1, 0x12340000, 0x0, false },
		{ 0x10000, 0x30000, 0, 0x12340001, 0x1, true }));
	run_rep(&g, "rep movsb, DF, SI and DI wrap down", R16, "f3 a4", DF,
		SET(REG(RCX, 1), REG(RSI, 0), REG(RDI, 0x10000)), 1, STEPS(
		{ 0x10000, 0x30000, 0, 0xffff, 0x1ffff, true }));
	run_rep(&g, "67 rep movsd in real mode: ECX, ESI, EDI", R16, "66 67 f3 a5", 0x2,
		SET(REG(RCX, 0xffffffff00000002ULL), REG(RSI, 0x100), REG(RDI, 0x1fffe)), 4, STEPS(
		{ 0x10100, 0x4fffe, 1, 0x104, 0x20002, false },
		{ 0x10104, 0x50002, 0, 0x108, 0x20006, true }));
	run_rep(&g, "rep movs with FS source", R16, "64 f3 a4", 0x2,
		SET(REG(RCX, 1)), 1, STEPS(
		{ 0x50100, 0x30200, 0, 0x7777777700000101ULL, 0x8888888800000201ULL, true }));
	run_rep(&g, "rep stos ignores a segment override", P32, "64 f3 aa", 0x2,
		SET(REG(RCX, 1)), 1, STEPS(
		{ 0, 0x30200, 0, 0x7777777700000100ULL, 0x201, true }));
	/* prot32: 32-bit address size; EDI wraps at 4 GiB, linear too. */
	run_rep(&g, "rep stosd, EDI wraps", P32, "f3 ab", 0x2,
		SET(REG(RCX, 2), REG(RDI, 0xfffffffc)), 4, STEPS(
		{ 0, 0x2fffc, 1, 0x7777777700000100ULL, 0, false },
		{ 0, 0x30000, 0, 0x7777777700000100ULL, 4, true }));
	run_rep(&g, "67 rep stosb in prot32: CX only", P32, "67 f3 aa", 0x2,
		SET(REG(RCX, 0x2222222200010002ULL)), 1, STEPS(
		{ 0, 0x30200, 0x2222222200010001ULL, 0x7777777700000100ULL, 0x8888888800000201ULL, false },
		{ 0, 0x30201, 0x2222222200010000ULL, 0x7777777700000100ULL, 0x8888888800000202ULL, true }));
	/* 64-bit: ES and DS bases do not count. */
	run_rep(&g, "rep movsq", L64, "f3 48 a5", 0x2,
		SET(REG(RCX, 2), REG(RSI, 0x1000), REG(RDI, 0x2000)), 8, STEPS(
		{ 0x1000, 0x2000, 1, 0x1008, 0x2008, false },
		{ 0x1008, 0x2008, 0, 0x1010, 0x2010, true }));
	run_rep(&g, "rep movsd, DF, GS source", L64, "65 f3 a5", DF,
		SET(REG(RCX, 1), REG(RSI, 0x1000), REG(RDI, 0x2000)), 4, STEPS(
		{ 0xffff800000001000ULL, 0x2000, 0, 0xffc, 0x1ffc, true }));
	run_rep(&g, "67 rep movsb in 64-bit mode: ECX, zero-extended", L64, "67 f3 a4", 0x2,
		SET(REG(RCX, 0xffffffff00000001ULL), REG(RSI, 0xaaaaaaaa00001000ULL),
		    REG(RDI, 0xbbbbbbbbffffffffULL)), 1, STEPS(
		{ 0x1000, 0xffffffff, 0, 0x1001, 0, true }));
	run_rep(&g, "rep movsb, RCX 0", L64, "f3 a4", 0x2, SET(REG(RCX, 0)), 1, STEPS(
		{ 0, 0, 0, 0x7777777700000100ULL, 0x8888888800000200ULL, true }));
	run_rep(&g, "movsb without REP", L64, "a4", 0x2, NULL, 1, STEPS(
		{ 0x7777777700000100ULL, 0x8888888800000200ULL, 0x2222222200000003ULL,
		  0x7777777700000101ULL, 0x8888888800000201ULL, true }));
	run_rep(&g, "stosw without REP, DF", L64, "66 ab", DF, NULL, 2, STEPS(
		{ 0, 0x8888888800000200ULL, 0x2222222200000003ULL,
		  0x7777777700000100ULL, 0x88888888000001feULL, true }));
	run_rep(&g, "stosq without REP", L64, "48 ab", 0x2, NULL, 8, STEPS(
		{ 0, 0x8888888800000200ULL, 0x2222222200000003ULL,
		  0x7777777700000100ULL, 0x8888888800000208ULL, true }));
	group_end(&g);
}

/* ---- Re-execution, faults ------------------------------------------- */

/*
 * What the kernel does: a read of MMIO returns EXIT the first time and
 * remembers the address; after userspace answered, the same instruction is
 * emulated again and the read returns the data.
 */
struct mmio {
	bool have_data;
	u64 gva, data;
	unsigned int size, reads, writes, exits;
	u64 wgva, wval;
	unsigned int wsize;
	bool bad;
};

static enum x86_emu_result mmio_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				     unsigned int size)
{
	struct mmio *m = c->opaque;

	m->reads++;
	if (m->writes)
		m->bad = true;
	if (!m->have_data) {
		m->gva = gva;
		m->size = size;
		m->exits++;
		return X86EMU_EXIT;
	}
	if (gva != m->gva || size != m->size)
		m->bad = true;
	memcpy(val, &m->data, size);
	return X86EMU_DONE;
}

static enum x86_emu_result mmio_write(struct x86_emu_ctxt *c, u64 gva,
				      const void *val, unsigned int size)
{
	struct mmio *m = c->opaque;

	m->writes++;
	m->wgva = gva;
	m->wsize = size;
	m->wval = 0;
	memcpy(&m->wval, val, size);
	return X86EMU_DONE;
}

static const struct x86_emu_ops mmio_ops = { .read = mmio_read, .write = mmio_write };

struct reexec {
	const char *name;
	enum x86_emu_mode mode;
	const char *hex;
	struct treg set;
	u64 data;		/* what userspace answers */
	u64 rip_out;
	struct treg out[3];	/* registers after */
	bool writes;
	u64 wval;
	u64 wdelta;		/* write address - read address */
};

static void reexec_tests(void)
{
	static const struct reexec t[] = {
		{ "MOV load", L64, "8b 00", { 0, 0 }, 0x12345678, DEF_RIP + 2,
		  { REG(RAX, 0x12345678) }, false, 0, 0 },
		{ "MOVZX", L64, "0f b6 08", { 0, 0 }, 0xff, DEF_RIP + 3,
		  { REG(RCX, 0xff) }, false, 0, 0 },
		{ "ADD m, imm (read-modify-write)", L64, "83 00 01", { 0, 0 }, 0x41, DEF_RIP + 3,
		  { { 0, 0 } }, true, 0x42, 0 },
		{ "CMP", P32, "3b 00", { 0, 0 }, 0x5a40, DEF_RIP + 2, { { 0, 0 } }, false, 0, 0 },
		{ "XCHG", L64, "87 18", { 0, 0 }, 0x77, DEF_RIP + 2,
		  { REG(RBX, 0x77) }, true, 0x1234, 0 },
		{ "MOVS", R16, "a5", { 0, 0 }, 0xbeef, DEF_RIP + 1,
		  { REG(RSI, 0x7777777700000102ULL), REG(RDI, 0x8888888800000202ULL) },
		  true, 0xbeef, 0x20100 },
		{ "REP MOVS, mid-count", P32, "f3 a4", REG(RCX, 5), 0x99, DEF_RIP,
		  { REG(RCX, 4), REG(RSI, 0x101), REG(RDI, 0x201) }, true, 0x99, 0x20100 },
	};
	struct group g;
	size_t i;

	group_begin(&g, "table: re-execution after EXIT commits nothing");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct x86_emu_ctxt c, c0;
		struct tmem dummy;
		struct mmio m = { 0 };
		u8 insn[X86_EMU_MAX_INSN_LEN];
		unsigned int n = hex_bytes(t[i].hex, insn, sizeof(insn)), k;
		enum x86_emu_result r;
		u64 want[16];

		case_begin(&g);
		setup(&c, &dummy, t[i].mode, insn, n);
		c.ops = &mmio_ops;
		c.opaque = &m;
		if (t[i].set.r)
			c.regs[t[i].set.r - 1] = t[i].set.v;
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_EXIT || m.writes || m.exits != 1 ||
		    memcmp(c.regs, c0.regs, sizeof(c.regs)) || c.rip != c0.rip ||
		    c.rflags != c0.rflags) {
			case_fail(&g, "%s: first call: %s, %u writes, state %s", t[i].name,
				  result_name(r), m.writes,
				  memcmp(c.regs, c0.regs, sizeof(c.regs)) ? "changed" : "kept");
			continue;
		}
		/* Userspace answers; the kernel emulates the same bytes again. */
		m.have_data = true;
		m.data = t[i].data;
		r = x86_emulate(&c);
		memcpy(want, c0.regs, sizeof(want));
		for (k = 0; k < 3; k++)
			if (t[i].out[k].r)
				want[t[i].out[k].r - 1] = t[i].out[k].v;
		if (r != X86EMU_DONE || m.bad || c.rip != t[i].rip_out ||
		    memcmp(c.regs, want, sizeof(want)) || m.writes != t[i].writes ||
		    (t[i].writes && (m.wval != t[i].wval || m.wgva != m.gva + t[i].wdelta)))
			case_fail(&g, "%s: second call: %s, rip %#llx, %u writes of %#llx at %#llx%s",
				  t[i].name, result_name(r), (unsigned long long)c.rip,
				  m.writes, (unsigned long long)m.wval,
				  (unsigned long long)m.wgva, m.bad ? ", read differs" : "");
	}
	group_end(&g);
}

static void fault_tests(void)
{
	struct group g;
	struct x86_emu_ctxt c, c0;
	struct tmem m;
	u8 insn[X86_EMU_MAX_INSN_LEN];
	unsigned int n;
	enum x86_emu_result r;
	static const struct {
		const char *hex;
		enum x86_emu_mode mode;
		bool on_write;
		unsigned int writes;	/* writes attempted */
	} t[] = {
		{ "8b 00", L64, false, 0 },
		{ "89 00", L64, true, 1 },
		{ "01 00", L64, false, 0 },
		{ "01 00", L64, true, 1 },
		{ "87 00", P32, true, 1 },
		{ "a4", R16, false, 0 },
		{ "f3 a4", R16, true, 1 },
		{ "f3 ab", P32, true, 1 },
		{ "c7 00 01 00 00 00", L64, true, 1 },
	};
	size_t i;

	group_begin(&g, "table: FAULT from a callback commits nothing");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		case_begin(&g);
		n = hex_bytes(t[i].hex, insn, sizeof(insn));
		setup(&c, &m, t[i].mode, insn, n);
		m.inject_exc = (struct x86_emu_exception){ 14, true, t[i].on_write ? 6 : 4, 0 };
		if (t[i].on_write) {
			m.write_inject_at = 0;
			m.write_inject = X86EMU_FAULT;
		} else {
			m.read_inject_at = 0;
			m.read_inject = X86EMU_FAULT;
		}
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || c.exception.vector != 14 || !c.exception.has_error ||
		    c.exception.error_code != (t[i].on_write ? 6u : 4u) ||
		    c.exception.address != m.log[m.nlog - 1].gva ||
		    m.nwrites != t[i].writes || memcmp(c.regs, c0.regs, sizeof(c.regs)) ||
		    c.rip != c0.rip || c.rflags != c0.rflags)
			case_fail(&g, "[%s] %s fault: %s, vector %u, error %#x, %u writes",
				  t[i].hex, t[i].on_write ? "write" : "read", result_name(r),
				  c.exception.vector, c.exception.error_code, m.nwrites);
		/* The next call starts clean. */
		case_begin(&g);
		tmem_init(&m);
		m.fixed = true;
		r = x86_emulate(&c);
		if (r != X86EMU_DONE || c.exception.vector || c.exception.has_error)
			case_fail(&g, "[%s] after a fault: %s, stale exception %u", t[i].hex,
				  result_name(r), c.exception.vector);
	}
	/* A callback may refuse too (say, an access across MMIO and RAM). */
	case_begin(&g);
	n = hex_bytes("87 00", insn, sizeof(insn));
	setup(&c, &m, L64, insn, n);
	m.read_inject_at = 0;
	m.read_inject = X86EMU_UNHANDLED;
	c0 = c;
	r = x86_emulate(&c);
	if (r != X86EMU_UNHANDLED || m.nwrites || memcmp(c.regs, c0.regs, sizeof(c.regs)))
		case_fail(&g, "read returning UNHANDLED: %s, %u writes", result_name(r), m.nwrites);
	group_end(&g);
}

/* ---- UNHANDLED ------------------------------------------------------ */

static void expect_unhandled(struct group *g, enum x86_emu_mode mode, const u8 *insn,
			     unsigned int n, const char *why)
{
	struct x86_emu_ctxt c, c0;
	struct tmem m;
	enum x86_emu_result r;

	case_begin(g);
	setup(&c, &m, mode, insn, n);
	c0 = c;
	r = x86_emulate(&c);
	if (r != X86EMU_UNHANDLED || m.nlog || memcmp(&c.regs, &c0.regs, sizeof(c.regs)) ||
	    c.rip != c0.rip || c.rflags != c0.rflags)
		case_fail(g, "%s %s [%s]: %s, %u accesses", mode_name(mode), why,
			  bytes_hex(insn, n), result_name(r), m.nlog);
}

static void expect_unhandled_hex(struct group *g, enum x86_emu_mode mode,
				 const char *hex, const char *why)
{
	u8 insn[X86_EMU_MAX_INSN_LEN];
	unsigned int n = hex_bytes(hex, insn, sizeof(insn));

	expect_unhandled(g, mode, insn, n, why);
}

static bool emulated_onebyte(u8 b)
{
	if (b < 0x40)
		return (b & 7) < 4;	/* 00-03, 08-0b, ..., 38-3b */
	switch (b) {
	case 0x63: case 0x69: case 0x6b:
	case 0x80: case 0x81: case 0x83: case 0x84: case 0x85:
	case 0x86: case 0x87: case 0x88: case 0x89: case 0x8a: case 0x8b:
	case 0x8c: case 0x8e:
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xa4: case 0xa5:
	case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad:
	case 0xae: case 0xaf: case 0xc6: case 0xc7: case 0xf6: case 0xf7:
	case 0xfe: case 0xff:
		return true;
	}
	return false;
}

static bool is_prefix(u8 b, enum x86_emu_mode mode)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3: case 0x0f:
		return true;
	}
	return mode == X86_EMU_LONG64 && (b & 0xf0) == 0x40;
}

static void unhandled_tests(void)
{
	static const enum x86_emu_mode modes[] = { R16, P16, P32, L64 };
	static const char *const lock_bad[] = {
		"f0 88 00", "f0 89 00", "f0 8a 00", "f0 8b 00", "f0 c6 00 00",
		"f0 c7 00 00 00 00 00", "f0 a0 00 00 00 00", "f0 a2 00 00 00 00",
		"f0 a4", "f0 a5", "f0 aa", "f0 ab", "f0 84 00", "f0 85 00",
		"f0 f6 00 00", "f0 f7 00 00 00 00 00", "f0 38 00", "f0 39 00",
		"f0 3a 00", "f0 3b 00", "f0 02 00", "f0 03 00", "f0 2b 00",
		"f0 80 38 00", "f0 81 38 00 00 00 00", "f0 83 38 00",
		"f0 0f b6 00", "f0 0f bf 00", "f3 f0 a4",
		"f0 a6", "f0 a7", "f0 ac", "f0 ad", "f0 ae", "f0 af", "f2 f0 ae",
		"f0 0f a3 00", "f0 0f ba 20 01", "f0 0f bc 00", "f0 0f af 00",
		"f0 6b 00 01",
		"f0 0f a5 00", "f0 0f a4 00 01", "f0 0f ad 00", "f0 0f 44 00",
		"f0 0f 4f 00", "f0 f6 20", "f0 f7 28", "f0 f6 30", "f0 f7 38",
		"f0 8f 00",
	};
	static const char *const other[] = {
		"f2 a4", "f2 ab", "f2 89 00", "f3 89 00", "f3 01 00", "f3 8b 00",
		"f3 f2 a4", "f2 ac", "f2 ad", "f3 f2 aa",
		"26 2e 89 00", "3e 36 8b 00", "64 65 8b 00",	/* two segments */
		"8e 00", "8c 30", "8c 38", "f0 8c 00", "f0 8e 00", "82 00 01", "c4 00 00", "c5 00", "62 00 00 00",
		"0f b8 00", "f3 0f bc 00", "f3 0f bd 00", "0f c0 c0", "0f c1 c1",
		"0f ba 00 01", "0f ba 18 01", "0f ba e0 01", "0f a3 c0", "0f bb c0",
		"0f bc c0", "0f af c0", "69 c0 00 00 00 00", "f3 0f af 00",
		"0f b0 c1", "0f b1 c1", "0f c7 c8", "0f c7 10", "0f c7 30", "0f c7 38",
		"ff 18", "ff 28", "ff 38", "fe 10", "fe 20", "fe 28",
		"f0 ff 20", "f0 ff 10", "ff e0", "ff d0", "ff e8",
		"fe 30", "fe 38", "f6 08 00", "f6 e0", "f6 e8", "f7 f0", "f7 f8",
		"0f a4 c0 01", "0f a5 c0", "0f ac c0 01", "0f ad c0", "0f 44 c0",
		"48 0f 4f c0", "f3 0f c1 00", "f2 0f c1 00", "f3 0f 44 00",
		"f3 f7 30", "8f c0", "8f 08", "8f 38", "ff f0",
		"f0 f6 08 00", "f0 ff 30", "d1 00", "d3 00", "c0 00 01",
		"6c", "6d", "6e", "6f", "f3 6c", "f3 6e",
		"", "66", "f3", "26 66 67 f0",
	};
	static const char *const digit[] = { "c6", "c7", "f6", "f7" };
	struct group g;
	u8 insn[X86_EMU_MAX_INSN_LEN];
	unsigned int mi, b, d, i, n, len;
	char why[64];

	group_begin(&g, "table: UNHANDLED (register operands, other opcodes, prefixes, truncation)");
	for (mi = 0; mi < 4; mi++) {
		enum x86_emu_mode mode = modes[mi];

		/* Every emulated ModRM opcode with a register operand (mod = 3). */
		for (b = 0; b < 256; b++) {
			if (!emulated_onebyte(b) || b == 0x63 || (b >= 0xa0 && b <= 0xaf))
				continue;
			for (d = 0; d < 8; d++) {
				memset(insn, 0, sizeof(insn));
				insn[0] = b;
				insn[1] = 0xc0 | (d << 3) | d;
				expect_unhandled(&g, mode, insn, sizeof(insn), "register operand");
			}
		}
		for (b = 0xb6; b <= 0xbf; b++) {
			memset(insn, 0, sizeof(insn));
			insn[0] = 0x0f;
			insn[1] = b;
			insn[2] = 0xc1;
			expect_unhandled(&g, mode, insn, sizeof(insn), "register operand");
		}
		/* Every other opcode, with a memory ModRM after it. */
		for (b = 0; b < 256; b++) {
			/* 64-bit mode's stack ops: arith.c tests them. */
			if (emulated_onebyte(b) || is_prefix(b, mode) ||
			    (mode == L64 && (b == 0x8f || (b >= 0x50 && b <= 0x5f) ||
					     b == 0x68 || b == 0x6a || b == 0xc3 ||
					     b == 0xc8 || b == 0xc9)))
				continue;
			memset(insn, 0, sizeof(insn));
			insn[0] = b;
			expect_unhandled(&g, mode, insn, sizeof(insn), "opcode");
		}
		for (b = 0; b < 256; b++) {
			/* 0F C7 00 is /0, not CMPXCHG8B: it stays in. */
			if (b == 0xb6 || b == 0xb7 || b == 0xbe || b == 0xbf ||
			    b == 0xb0 || b == 0xb1 || b == 0xa3 || b == 0xab ||
			    b == 0xaf || b == 0xb3 || b == 0xbb || b == 0xbc ||
			    b == 0xbd || (b & 0xf0) == 0x40 || b == 0xa4 ||
			    b == 0xa5 || b == 0xac || b == 0xad || b == 0xc0 ||
			    b == 0xc1)
				continue;
			memset(insn, 0, sizeof(insn));
			insn[0] = 0x0f;
			insn[1] = b;
			expect_unhandled(&g, mode, insn, sizeof(insn), "opcode");
		}
		/* C6/C7/F6/F7 with a /digit other than 0. */
		for (i = 0; i < 4; i++) {
			for (d = 1; d < 8; d++) {
				if (i >= 2 && d >= 2)
					continue;	/* NOT, NEG, MUL, IMUL, DIV, IDIV */
				memset(insn, 0, sizeof(insn));
				hex_bytes(digit[i], insn, 1);
				insn[1] = d << 3;
				expect_unhandled(&g, mode, insn, sizeof(insn), "/digit");
			}
		}
		for (i = 0; i < sizeof(lock_bad) / sizeof(lock_bad[0]); i++)
			expect_unhandled_hex(&g, mode, lock_bad[i], "LOCK");
		for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
			expect_unhandled_hex(&g, mode, other[i], "other");
		/* 16 bytes is too long, 15 is fine. */
		memset(insn, 0x66, sizeof(insn));
		insn[13] = 0x89;
		insn[14] = 0x00;	/* 13 prefixes + 2: 15 bytes */
		{
			struct x86_emu_ctxt c;
			struct tmem m;

			case_begin(&g);
			setup(&c, &m, mode, insn, 15);
			if (x86_emulate(&c) != X86EMU_DONE || c.len != 15)
				case_fail(&g, "%s: a 15-byte instruction", mode_name(mode));
			case_begin(&g);
			setup(&c, &m, mode, insn, 15);
			c.insn_len = 100;	/* more than 15: only 15 count */
			if (x86_emulate(&c) != X86EMU_DONE || c.len != 15)
				case_fail(&g, "%s: insn_len over 15", mode_name(mode));
		}
		memset(insn, 0x66, sizeof(insn));
		insn[14] = 0x89;	/* 14 prefixes + 89 00: 16 bytes */
		expect_unhandled(&g, mode, insn, 15, "16 bytes");
		{
			struct x86_emu_ctxt c;
			struct tmem m;

			case_begin(&g);
			setup(&c, &m, mode, insn, 15);
			c.insn_len = 100;	/* no 16th byte, however many are claimed */
			if (x86_emulate(&c) != X86EMU_UNHANDLED)
				case_fail(&g, "%s: a 16-byte instruction with insn_len 100",
					  mode_name(mode));
		}
		/* Truncations of valid instructions. */
		{
			static const char *const ok[] = {
				"67 66 c7 84 88 44 33 22 11 78 56 34 12",
				"26 81 84 c8 00 01 00 00 ff ff ff ff", "a1 00 00 00 00",
				"f0 80 00 01", "0f b6 44 24 08", "f3 a5",
			};

			for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
				n = hex_bytes(ok[i], insn, sizeof(insn));
				for (len = 0; len < n; len++) {
					u8 cut[X86_EMU_MAX_INSN_LEN];
					unsigned int full;

					memcpy(cut, insn, len);
					/* Shorter than the whole? Only if the mode decodes it longer. */
					{
						struct x86_emu_ctxt c;
						struct tmem m;

						setup(&c, &m, mode, insn, n);
						if (x86_emulate(&c) != X86EMU_DONE)
							break;
						full = c.len;
					}
					if (len >= full)
						break;
					snprintf(why, sizeof(why), "truncated to %u", len);
					expect_unhandled(&g, mode, cut, len, why);
				}
			}
		}
	}
	/* Mode-specific meanings. */
	expect_unhandled_hex(&g, P32, "63 00", "ARPL");
	expect_unhandled_hex(&g, R16, "63 00", "ARPL");
	expect_unhandled_hex(&g, L64, "66 63 00", "MOVSXD r16");
	expect_unhandled_hex(&g, L64, "48 0f c7 08", "CMPXCHG16B");
	expect_unhandled_hex(&g, P32, "40 89 00", "INC in 32-bit mode");
	/* PUSH and POP m need the stack size: 64-bit mode only. */
	expect_unhandled_hex(&g, L64, "66 c3", "RET with a 16-bit operand");
	expect_unhandled_hex(&g, L64, "66 c9", "LEAVE with a 16-bit operand");
	expect_unhandled_hex(&g, L64, "c8 10 00 01", "ENTER with nesting level 1");
	expect_unhandled_hex(&g, L64, "c8 10 00", "ENTER truncated");
	expect_unhandled_hex(&g, L64, "c2 08 00", "RET imm16");
	expect_unhandled_hex(&g, P32, "ff 30", "PUSH m outside 64-bit mode");
	expect_unhandled_hex(&g, P32, "ff 10", "CALL m outside 64-bit mode");
	expect_unhandled_hex(&g, R16, "ff 10", "CALL m outside 64-bit mode");
	expect_unhandled_hex(&g, L64, "66 ff 10", "CALL m16 in 64-bit mode");
	expect_unhandled_hex(&g, L64, "66 ff 20", "JMP m16 in 64-bit mode");
	expect_unhandled_hex(&g, L64, "44 8c 00", "MOV m16, Sreg with REX.R");
	expect_unhandled_hex(&g, R16, "ff 30", "PUSH m outside 64-bit mode");
	expect_unhandled_hex(&g, P16, "8f 00", "POP m outside 64-bit mode");
	expect_unhandled_hex(&g, P32, "8f 00", "POP m outside 64-bit mode");
	expect_unhandled_hex(&g, L64, "65 26 89 00", "two segments in 64-bit mode");
	group_end(&g);
}

void table_tests(void)
{
	RUN("table: 16-bit addressing", addr16);
	RUN("table: 32-bit addressing", addr32);
	RUN("table: 64-bit addressing", addr64);
	RUN("table: operand sizes, registers, extension", sizes);
	RUN("table: flags", flags);
	RUN("table: INC DEC NOT NEG (fe ff /0 /1, f6 f7 /2 /3)", unary);
	RUN("table: BT BTS BTR BTC, BSF BSR, IMUL (0f a3 ab b3 bb ba bc bd af, 69 6b)", bits);
	rep_tests();
	reexec_tests();
	fault_tests();
	unhandled_tests();
}
