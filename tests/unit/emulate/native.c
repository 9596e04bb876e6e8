// SPDX-License-Identifier: GPL-2.0
/*
 * Differential tests: the emulator against the CPU this runs on.
 *
 * For every opcode the emulator handles, random encodings (prefixes in
 * random order, REX, every ModRM/SIB/displacement form, immediates) with
 * random registers, flags and memory are run twice: natively, in a
 * trampoline generated for the case, and through x86_emulate() on a copy
 * of the memory.  Registers, the arithmetic flags, DF, the memory and the
 * RIP advance must match.
 *
 * Three CPU modes run natively:
 *   long64  the trampoline runs the instruction in 64-bit mode;
 *   prot32  it far-returns to the 32-bit user code segment (compatibility
 *           mode) and loads DS, ES, FS, GS and SS with LDT data segments
 *           whose bases are random, so segment bases, overrides and the
 *           SS default of BP/SP-based addresses are checked for real;
 *   prot16  as prot32, then far-jumps to a 16-bit LDT code segment for
 *           the instruction itself.
 * 16-bit addressing runs natively in prot16 (and in prot32 with 67): its
 * segments are windows of 64 KiB inside the buffer, so any register value
 * is a valid address and the 64 KiB wraparound happens for real.
 *
 * Each case also checks, on the emulator alone, the properties the kernel
 * relies on: every truncation of the bytes is X86EMU_UNHANDLED without a
 * memory access; a read returning X86EMU_EXIT or X86EMU_FAULT, or a write
 * returning X86EMU_FAULT, commits nothing; reads come before writes.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

#define BUFSZ		(96 * 1024)	/* the data buffer */
#define WIN16		0x10010		/* what a 16-bit address reaches from its base */
#define CODE16_SZ	(0x10000 + 0x2000)
#define PAGE		4096

#define USER32_CS	0x23
#define USER_DS		0x2b
#define USER_CS		0x33
#define LDT_SEL(n)	(((n) << 3) | 7)
#define LDT_CODE16	6		/* LDT entries 0-5: enum x86_emu_seg (CS unused) */

#define EFL_ARITH	0x8d5ULL
#define EFL_DF		0x400ULL

enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

/* The trampolines' data; below 2 GiB, addressed with disp32. */
struct nstate {
	u64 in_regs[16];
	u64 in_rflags;
	u64 out_regs[16];
	u64 out_rflags;
	u64 host_rsp, host_fs, host_gs;
	u16 sel[X86_SEG_NR];
	u16 flat_ds;
	u8 stack[1024] __attribute__((aligned(16)));
};

static struct nstate *ns;
static u8 *nbuf;		/* the native data buffer, between guard pages */
static u8 *ebuf;		/* the emulator's copy */
static u8 *ibuf;		/* the initial contents of both */
static u8 *code64, *code32, *code16;
static u64 host_fsbase, test_gsbase;
static bool compat_ok;
static char compat_why[128];

/* ---- Templates ------------------------------------------------------ */

enum kind { K_MODRM, K_MOFFS, K_STRING };

struct tmpl {
	int family;
	u8 op[2], oplen;
	u8 kind;
	s8 digit;		/* ModRM.reg is this /digit, or -1: a register */
	u8 imm;			/* 0, 1: imm8, 'z': imm16/imm32 */
	bool byte, lock, reads, writes, only64, movsxd, rep;
};

enum { FAM_MOV, FAM_MOVX, FAM_STR, FAM_ALU, FAM_GRP1, FAM_TEST, FAM_XCHG, NR_FAM };

static const char *const fam_name[NR_FAM] = {
	[FAM_MOV] = "MOV 88 89 8a 8b c6 c7 a0-a3",
	[FAM_MOVX] = "MOVZX/MOVSX 0f b6 b7 be bf, MOVSXD 63",
	[FAM_STR] = "MOVS/STOS a4 a5 aa ab, REP",
	[FAM_ALU] = "ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3b",
	[FAM_GRP1] = "group 1 80 81 83 /0-/7",
	[FAM_TEST] = "TEST 84 85 f6 f7",
	[FAM_XCHG] = "XCHG 86 87",
};

static struct tmpl tmpls[128];
static unsigned int ntmpl;

static struct tmpl *add(int fam, u8 op0, int op1, u8 kind)
{
	struct tmpl *t = &tmpls[ntmpl++];

	memset(t, 0, sizeof(*t));
	t->family = fam;
	t->op[0] = op0;
	t->oplen = 1;
	if (op1 >= 0) {
		t->op[1] = op1;
		t->oplen = 2;
	}
	t->kind = kind;
	t->digit = -1;
	return t;
}

static void make_templates(void)
{
	struct tmpl *t;
	int op, form, d;

	for (op = 0; op < 0x40; op += 8) {
		bool cmp = op == 0x38;

		for (form = 0; form < 4; form++) {
			t = add(FAM_ALU, op + form, -1, K_MODRM);
			t->byte = !(form & 1);
			t->reads = true;
			t->writes = form < 2 && !cmp;
			t->lock = t->writes;
		}
	}
	for (op = 0x80; op <= 0x83; op++) {
		if (op == 0x82)
			continue;
		for (d = 0; d < 8; d++) {
			t = add(FAM_GRP1, op, -1, K_MODRM);
			t->digit = d;
			t->byte = op == 0x80;
			t->imm = op == 0x81 ? 'z' : 1;
			t->reads = true;
			t->writes = d != 7;
			t->lock = t->writes;
		}
	}
	for (op = 0x84; op <= 0x85; op++) {
		t = add(FAM_TEST, op, -1, K_MODRM);
		t->byte = op == 0x84;
		t->reads = true;
	}
	for (op = 0xf6; op <= 0xf7; op++) {
		t = add(FAM_TEST, op, -1, K_MODRM);
		t->digit = 0;
		t->byte = op == 0xf6;
		t->imm = op == 0xf6 ? 1 : 'z';
		t->reads = true;
	}
	for (op = 0x86; op <= 0x87; op++) {
		t = add(FAM_XCHG, op, -1, K_MODRM);
		t->byte = op == 0x86;
		t->reads = t->writes = t->lock = true;
	}
	for (op = 0x88; op <= 0x8b; op++) {
		t = add(FAM_MOV, op, -1, K_MODRM);
		t->byte = !(op & 1);
		t->reads = op >= 0x8a;
		t->writes = op < 0x8a;
	}
	for (op = 0xc6; op <= 0xc7; op++) {
		t = add(FAM_MOV, op, -1, K_MODRM);
		t->digit = 0;
		t->byte = op == 0xc6;
		t->imm = op == 0xc6 ? 1 : 'z';
		t->writes = true;
	}
	for (op = 0xa0; op <= 0xa3; op++) {
		t = add(FAM_MOV, op, -1, K_MOFFS);
		t->byte = !(op & 1);
		t->reads = op < 0xa2;
		t->writes = op >= 0xa2;
	}
	for (op = 0xb6; op <= 0xbf; op++) {
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			continue;
		t = add(FAM_MOVX, 0x0f, op, K_MODRM);
		t->reads = true;
	}
	t = add(FAM_MOVX, 0x63, -1, K_MODRM);
	t->reads = t->only64 = t->movsxd = true;
	for (op = 0xa4; op <= 0xab; op++) {
		if (op != 0xa4 && op != 0xa5 && op != 0xaa && op != 0xab)
			continue;
		t = add(FAM_STR, op, -1, K_STRING);
		t->byte = !(op & 1);
		t->reads = op < 0xa8;
		t->writes = t->rep = true;
	}
}

/* ---- Cases ---------------------------------------------------------- */

struct ncase {
	enum x86_emu_mode mode;
	const struct tmpl *t;
	u8 insn[32];		/* generated; longer than 15 is discarded */
	unsigned int len;
	u64 regs[16], rflags;
	u64 seg_base[X86_SEG_NR];	/* the emulator's */
	u32 ldt_base[X86_SEG_NR];	/* compat modes: the LDT segments' */
	u64 rip;			/* the emulator's RIP */
	unsigned int opsz, adsz, count;
	bool rep;
	bool unhandled;		/* the emulator must refuse it (two segment prefixes) */
	u32 feat;		/* FEAT_* bits: what the case exercises */
	char desc[160];
};

/* What the generated cases cover; each must show up in every mode it exists in. */
enum {
	FEAT_ADDR16, FEAT_ADDR32, FEAT_ADDR64, FEAT_OP8, FEAT_OP16, FEAT_OP32,
	FEAT_OP64, FEAT_DISP8, FEAT_DISP16_32, FEAT_SIB, FEAT_SIB_NOBASE,
	FEAT_SIB_NOINDEX, FEAT_BASE_IS_INDEX, FEAT_RIPREL, FEAT_ABS, FEAT_SS_DEFAULT,
	FEAT_SEG, FEAT_FS_GS, FEAT_TWO_SEGS, FEAT_REX, FEAT_REX_RXB, FEAT_DEAD_REX,
	FEAT_LOCK, FEAT_REP, FEAT_REP0, FEAT_REP_MANY, FEAT_DF, FEAT_MOFFS, NR_FEAT
};

static const char *const feat_name[NR_FEAT] = {
	"16-bit address", "32-bit address", "64-bit address", "8-bit operand",
	"16-bit operand", "32-bit operand", "64-bit operand", "disp8",
	"disp16/disp32", "SIB", "SIB without base", "SIB without index",
	"base = index", "RIP-relative", "absolute disp", "SS by default",
	"segment prefix", "FS or GS", "two segment prefixes", "REX",
	"REX.R/X/B", "REX before a prefix", "LOCK", "REP, count 1", "REP, count 0",
	"REP, count > 1", "DF set", "moffs",
};

static unsigned long feat_count[NR_FEAT];

static u64 mask_of(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static u64 sext(u64 v, unsigned int bytes)
{
	unsigned int sh = 64 - 8 * bytes;

	return bytes >= 8 ? v : (u64)((s64)(v << sh) >> sh);
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

/* Where the instruction is: natively, and as the emulator's RIP. */
static u64 insn_addr(const struct ncase *nc);

static u64 inverse_odd(u64 k)
{
	u64 x = k;	/* Newton: x = x * (2 - k * x), 5 rounds give 64 bits */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - k * x;
	return x;
}

static u64 window_base(void)
{
	return (u64)(nbuf + rnd_below(BUFSZ - WIN16 - 8));
}

/* Random, with the edge values of the flags (0, all ones, sign bits) common. */
static u64 rnd_value(void)
{
	static const u64 edge[] = {
		0, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
		0x8080808080808080ULL, 0x7f7f7f7f7f7f7f7fULL, 0xffffffff00000000ULL,
		0x00000000ffffffffULL, 0x8000800080008000ULL, 0x0101010101010101ULL,
		0x0f0f0f0f0f0f0f0fULL, 0xf0f0f0f0f0f0f0f0ULL,
	};

	if (chance(4))
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	return rnd();
}

static u64 rnd_u32(void)
{
	return rnd() & 0xffffffffULL;
}

/*
 * The memory operand of a ModRM form, as the test understands it; used to
 * choose register values and displacements that put it at T.
 */
struct mform {
	int base, index;
	unsigned int scale;
	bool riprel;
	unsigned int disp_size, disp_off;
	u64 disp;		/* sign-extended */
	int seg;		/* default segment */
};

static int pick_seg(int override, int dflt)
{
	return override >= 0 ? override : dflt;
}

/* The base of segment s, as the CPU will use it. */
static u64 seg_eff_base(const struct ncase *nc, int s)
{
	if (nc->mode == X86_EMU_LONG64)
		return (s == X86_SEG_FS || s == X86_SEG_GS) ? nc->seg_base[s] : 0;
	return nc->seg_base[s];
}

/*
 * Make linear(seg, ea) == T for an address-size-A operand.  E is what the
 * effective address must be.  False: not reachable (long mode, 32-bit
 * address, segment base too far).
 */
static bool want_ea(const struct ncase *nc, int seg, u64 T, u64 *E)
{
	u64 e = T - seg_eff_base(nc, seg);

	if (nc->mode != X86_EMU_LONG64)
		e &= 0xffffffffULL;
	else if (nc->adsz == 4 && e > 0xffffffffULL)
		return false;
	*E = e;
	return true;
}

static bool solve_modrm(struct ncase *nc, struct mform *f, u64 T)
{
	u64 am = mask_of(nc->adsz), E, d, v;

	if (!want_ea(nc, f->seg, T, &E))
		return false;
	if (f->riprel) {
		d = (E - (insn_addr(nc) + nc->len)) & am;
		if (nc->adsz == 8 && sext(d, 4) != d)
			return false;
		f->disp = sext(d, 4);
		put_le(nc->insn + f->disp_off, d, 4);
	} else if (f->base < 0 && f->index < 0) {
		if (nc->adsz == 8 && sext(E, 4) != E)
			return false;
		f->disp = sext(E, 4);
		put_le(nc->insn + f->disp_off, E, 4);
	} else if (f->base < 0) {
		u64 idx;

		if (nc->adsz == 4) {
			idx = rnd();
		} else {
			s64 d0 = (s64)rnd_below(1 << 21) - (1 << 20);

			idx = (u64)(((s64)E - d0) / (s64)f->scale);
		}
		d = (E - idx * f->scale) & am;
		if (sext(d, 4) != d && nc->adsz == 8)
			return false;
		f->disp = sext(d, 4);
		put_le(nc->insn + f->disp_off, d, 4);
		nc->regs[f->index] = (nc->regs[f->index] & ~am) | (idx & am);
	} else if (f->index != f->base) {
		u64 ix = f->index >= 0 ? nc->regs[f->index] * f->scale : 0;

		v = (E - ix - f->disp) & am;
		nc->regs[f->base] = (nc->regs[f->base] & ~am) | v;
	} else {
		u64 k = 1 + f->scale;

		v = (E - f->disp) & am;
		if (k == 2) {
			if (v & 1)
				return false;
			v >>= 1;
		} else {
			v = (v * inverse_odd(k)) & am;
		}
		nc->regs[f->base] = (nc->regs[f->base] & ~am) | v;
	}
	return true;
}

/* The test's own view of the address (for a sanity check of the solver). */
static u64 form_linear(const struct ncase *nc, const struct mform *f)
{
	u64 ea = f->disp;

	if (f->base >= 0)
		ea += nc->regs[f->base];
	if (f->index >= 0)
		ea += nc->regs[f->index] * f->scale;
	if (f->riprel)
		ea += insn_addr(nc) + nc->len;
	ea &= mask_of(nc->adsz);
	ea += seg_eff_base(nc, f->seg);
	return nc->mode == X86_EMU_LONG64 ? ea : (ea & 0xffffffffULL);
}

static bool gen_case(struct ncase *nc, enum x86_emu_mode mode, const struct tmpl *t)
{
	u8 pfx[16];
	unsigned int np = 0, i, n = 0;
	bool opsz_pfx, adsz_pfx, lock, rep, l64 = mode == X86_EMU_LONG64;
	int seg = -1, s;
	u8 rex = 0;
	struct mform f = { .base = -1, .index = -1, .scale = 1 };
	u64 T, margin;

	memset(nc, 0, sizeof(*nc));
	nc->mode = mode;
	nc->t = t;

	/* Prefixes. */
	opsz_pfx = t->byte ? chance(8) : chance(3);
	adsz_pfx = chance(3);
	lock = t->lock && chance(4);
	rep = t->rep && chance(2);
	if (l64 && chance(2))
		rex = chance(8) ? 0x40 : 0x40 | rnd_below(16);
	if (t->movsxd && opsz_pfx && !(rex & 8))
		opsz_pfx = false;	/* MOVSXD r16 is not emulated */
	if (opsz_pfx)
		pfx[np++] = 0x66;
	if (adsz_pfx)
		pfx[np++] = 0x67;
	if (lock)
		pfx[np++] = 0xf0;
	if (rep)
		pfx[np++] = 0xf3;
	if (chance(2)) {
		static const u8 segp[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

		pfx[np++] = segp[rnd_below(6)];
		if (chance(8))
			pfx[np++] = segp[rnd_below(6)];
	}
	if (np && chance(8)) {
		u8 again = pfx[rnd_below(np)];	/* a repeated prefix */

		pfx[np++] = again;
	}
	for (i = np; i > 1; i--) {			/* shuffle */
		unsigned int j = rnd_below(i);
		u8 x = pfx[i - 1];

		pfx[i - 1] = pfx[j];
		pfx[j] = x;
	}
	/* A REX followed by a legacy prefix is ignored. */
	if (l64 && np && chance(6)) {
		unsigned int at = rnd_below(np);

		memmove(pfx + at + 1, pfx + at, np - at);
		pfx[at] = 0x40 | rnd_below(16);
		np++;
		nc->feat |= 1u << FEAT_DEAD_REX;
	}
	for (i = 0; i < np; i++) {
		int was = seg;

		switch (pfx[i]) {
		case 0x26: seg = X86_SEG_ES; break;
		case 0x2e: seg = X86_SEG_CS; break;
		case 0x36: seg = X86_SEG_SS; break;
		case 0x3e: seg = X86_SEG_DS; break;
		case 0x64: seg = X86_SEG_FS; break;
		case 0x65: seg = X86_SEG_GS; break;
		}
		/* Two different ones: undefined, so not emulated. */
		if (was >= 0 && seg != was) {
			nc->unhandled = true;
			nc->feat |= 1u << FEAT_TWO_SEGS;
		}
		nc->insn[n++] = pfx[i];
	}
	if (rex)
		nc->insn[n++] = rex;
	for (i = 0; i < t->oplen; i++)
		nc->insn[n++] = t->op[i];

	/* Sizes. */
	if (l64) {
		nc->adsz = adsz_pfx ? 4 : 8;
		nc->opsz = (rex & 8) ? 8 : opsz_pfx ? 2 : 4;
	} else if (mode == X86_EMU_PROT32) {
		nc->adsz = adsz_pfx ? 2 : 4;
		nc->opsz = opsz_pfx ? 2 : 4;
	} else {
		nc->adsz = adsz_pfx ? 4 : 2;
		nc->opsz = opsz_pfx ? 4 : 2;
	}
	if (t->byte)
		nc->opsz = 1;
	nc->rep = rep;
	nc->feat |= 1u << (nc->adsz == 2 ? FEAT_ADDR16 : nc->adsz == 4 ? FEAT_ADDR32 : FEAT_ADDR64);
	nc->feat |= 1u << (nc->opsz == 1 ? FEAT_OP8 : nc->opsz == 2 ? FEAT_OP16 :
			   nc->opsz == 4 ? FEAT_OP32 : FEAT_OP64);
	if (rex)
		nc->feat |= 1u << FEAT_REX;
	if (rex & 7)
		nc->feat |= 1u << FEAT_REX_RXB;
	if (lock)
		nc->feat |= 1u << FEAT_LOCK;
	if (seg >= 0)
		nc->feat |= 1u << FEAT_SEG;
	if (seg == X86_SEG_FS || seg == X86_SEG_GS)
		nc->feat |= 1u << FEAT_FS_GS;

	/* Registers, flags, segments. */
	for (i = 0; i < 16; i++)
		nc->regs[i] = chance(4) ? rnd_below(0x100) : rnd_value();
	nc->rflags = 0x202 | (rnd() & EFL_ARITH) | (chance(2) ? EFL_DF : 0);
	if (l64) {
		for (s = 0; s < X86_SEG_NR; s++)
			nc->seg_base[s] = rnd();	/* ignored but FS, GS */
		nc->seg_base[X86_SEG_FS] = host_fsbase;
		nc->seg_base[X86_SEG_GS] = test_gsbase;
	} else {
		for (s = 0; s < X86_SEG_NR; s++) {
			nc->seg_base[s] = nc->adsz == 2 ? window_base() : rnd_u32();
			nc->ldt_base[s] = nc->seg_base[s];
		}
		nc->seg_base[X86_SEG_CS] = mode == X86_EMU_PROT16 ? (u64)code16 : 0;
		/* CS is not writable, and its 16-bit window is code16's. */
		if (seg == X86_SEG_CS && (t->writes ||
		    (nc->adsz == 2 && mode == X86_EMU_PROT32)))
			return false;
	}

	/* ModRM, SIB, displacement. */
	if (t->kind == K_MODRM) {
		/* Uniform bytes would make the rare forms very rare: bias them. */
		unsigned int mod = rnd_below(3), rm = chance(3) ? 4 : rnd_below(8);
		unsigned int reg = t->digit >= 0 ? (unsigned int)t->digit : rnd_below(8);
		u8 sib = rnd_below(4) << 6;

		if (mod == 0 && chance(6))
			rm = nc->adsz == 2 ? 6 : 5;	/* [disp16], [disp32], RIP */
		sib |= (chance(4) ? 4 : rnd_below(8)) << 3;		/* no index */
		sib |= mod == 0 && chance(4) ? 5 : rnd_below(8);	/* no base */

		nc->insn[n++] = (mod << 6) | (reg << 3) | rm;
		f.seg = X86_SEG_DS;
		if (nc->adsz == 2) {
			static const s8 b16[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
			static const s8 i16[8] = { R_SI, R_DI, R_SI, R_DI, -1, -1, -1, -1 };

			if (mod == 0 && rm == 6) {
				f.disp_size = 2;
			} else {
				f.base = b16[rm];
				f.index = i16[rm];
				if (f.base == R_BP)
					f.seg = X86_SEG_SS;
				f.disp_size = mod == 1 ? 1 : mod == 2 ? 2 : 0;
			}
		} else {
			unsigned int rb = (rex & 1) << 3, rx = (rex & 2) << 2;

			if (rm == 4) {
				nc->insn[n++] = sib;
				f.index = ((sib >> 3) & 7) | rx;
				if (f.index == R_SP)
					f.index = -1;
				f.scale = 1 << (sib >> 6);
				if (mod == 0 && (sib & 7) == 5) {
					f.disp_size = 4;
				} else {
					f.base = (sib & 7) | rb;
				}
			} else if (mod == 0 && rm == 5) {
				f.disp_size = 4;
				f.riprel = l64;
			} else {
				f.base = rm | rb;
			}
			if (f.base >= 0 && ((f.base & 7) == R_SP || (f.base & 7) == R_BP) && !l64)
				f.seg = X86_SEG_SS;
			if (mod == 1)
				f.disp_size = 1;
			if (mod == 2)
				f.disp_size = 4;
		}
		if (rm == 4 && nc->adsz != 2)
			nc->feat |= 1u << FEAT_SIB;
		if (rm == 4 && nc->adsz != 2 && f.base < 0)
			nc->feat |= 1u << FEAT_SIB_NOBASE;
		if (rm == 4 && nc->adsz != 2 && f.index < 0)
			nc->feat |= 1u << FEAT_SIB_NOINDEX;
		if (f.base >= 0 && f.base == f.index)
			nc->feat |= 1u << FEAT_BASE_IS_INDEX;
		if (f.riprel)
			nc->feat |= 1u << FEAT_RIPREL;
		else if (f.base < 0 && f.index < 0)
			nc->feat |= 1u << FEAT_ABS;
		if (f.disp_size == 1)
			nc->feat |= 1u << FEAT_DISP8;
		if (f.disp_size > 1)
			nc->feat |= 1u << FEAT_DISP16_32;
		if (f.seg == X86_SEG_SS && seg < 0)
			nc->feat |= 1u << FEAT_SS_DEFAULT;
		f.disp_off = n;
		f.disp = sext(rnd(), f.disp_size ? f.disp_size : 8) &
			 (f.disp_size ? ~0ULL : 0);
		put_le(nc->insn + n, f.disp, f.disp_size);
		n += f.disp_size;
		f.seg = pick_seg(seg, f.seg);
	}

	/* Immediate, moffs. */
	if (t->imm) {
		unsigned int isz = t->imm == 1 ? 1 : nc->opsz == 2 ? 2 : 4;

		put_le(nc->insn + n, rnd_value(), isz);
		n += isz;
	}
	if (t->kind == K_MOFFS) {
		unsigned int off = n;
		u64 E;

		n += nc->adsz;
		nc->len = n;
		s = pick_seg(seg, X86_SEG_DS);
		if (nc->adsz == 2)
			E = rnd();
		else if (!want_ea(nc, s, (u64)nbuf + 8 + rnd_below(BUFSZ - 16), &E))
			return false;
		put_le(nc->insn + off, E, nc->adsz);
	}
	nc->len = n;
	if (n > X86_EMU_MAX_INSN_LEN)
		return false;

	/* Put the memory operand in the buffer. */
	if (t->kind == K_MODRM && nc->adsz != 2) {
		T = (u64)nbuf + 8 + rnd_below(BUFSZ - 16);
		if (!solve_modrm(nc, &f, T) && !solve_modrm(nc, &f, T + 1))
			return false;
		if (form_linear(nc, &f) != T && form_linear(nc, &f) != T + 1) {
			fprintf(stderr, "emulate test: solver bug for %s\n",
				bytes_hex(nc->insn, nc->len));
			abort();
		}
	}
	if (t->kind == K_STRING) {
		u64 am = mask_of(nc->adsz), E;
		int r;

		nc->count = chance(8) ? 0 : chance(2) ? 1 : 2 + rnd_below(4);
		if (rep)
			nc->feat |= 1u << (nc->count == 0 ? FEAT_REP0 :
					   nc->count > 1 ? FEAT_REP_MANY : FEAT_REP);
		margin = 16 + 8 * nc->count;
		for (r = R_SI; r <= R_DI; r++) {
			if (r == R_SI && t->op[0] >= 0xaa)
				continue;	/* STOS has no source */
			s = r == R_DI ? X86_SEG_ES : pick_seg(seg, X86_SEG_DS);
			if (nc->adsz == 2)
				continue;	/* any SI/DI is in the window */
			T = (u64)nbuf + margin + rnd_below(BUFSZ - 2 * margin);
			if (!want_ea(nc, s, T, &E))
				return false;
			if (l64 && nc->adsz == 4 &&
			    (E < margin || E + margin > 0xffffffffULL))
				return false;
			nc->regs[r] = (nc->regs[r] & ~am) | E;
		}
		if (rep)
			nc->regs[R_CX] = (nc->regs[R_CX] & ~am) | nc->count;
	}

	if (t->kind == K_MOFFS)
		nc->feat |= 1u << FEAT_MOFFS;
	if (t->kind == K_STRING && (nc->rflags & EFL_DF))
		nc->feat |= 1u << FEAT_DF;
	nc->rip = insn_addr(nc);
	if (mode == X86_EMU_PROT16)
		nc->rip -= (u64)code16;
	snprintf(nc->desc, sizeof(nc->desc), "%s [%s]", mode_name(mode),
		 bytes_hex(nc->insn, nc->len));
	return true;
}

/* ---- Native execution ----------------------------------------------- */

struct emit {
	u8 *p;
};

static void b1(struct emit *e, u8 b)
{
	*e->p++ = b;
}

static void b4(struct emit *e, u32 v)
{
	put_le(e->p, v, 4);
	e->p += 4;
}

static void bn(struct emit *e, const u8 *b, unsigned int n)
{
	memcpy(e->p, b, n);
	e->p += n;
}

static u32 abs32(const void *p)
{
	return (u32)(unsigned long)p;
}

/* 64-bit: OP r64, [disp32] or OP [disp32], r64 (no base, no index). */
static void abs_rm64(struct emit *e, u8 op, unsigned int r, const void *p)
{
	b1(e, 0x48 | (r >= 8 ? 4 : 0));
	b1(e, op);
	b1(e, 0x04 | ((r & 7) << 3));
	b1(e, 0x25);
	b4(e, abs32(p));
}

static void push_callee_saved(struct emit *e)
{
	static const u8 s[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };

	bn(e, s, sizeof(s));
	abs_rm64(e, 0x89, R_SP, &ns->host_rsp);		/* mov [host_rsp], rsp */
}

static void pop_callee_saved(struct emit *e)
{
	static const u8 s[] = { 0xfc, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };

	bn(e, s, sizeof(s));		/* cld, pops, ret */
}

/* Length of the 64-bit trampoline up to the instruction. */
#define PRO64_LEN	(10 + 8 + 7 + 1 + 16 * 8)

static u64 insn_addr(const struct ncase *nc)
{
	if (nc->mode == X86_EMU_LONG64)
		return (u64)code64 + PRO64_LEN;
	if (nc->mode == X86_EMU_PROT32)
		return (u64)code32 + 0x100;
	return (u64)code16 + 0x10;
}

static void build64(const struct ncase *nc)
{
	struct emit e = { code64 };
	unsigned int r;

	push_callee_saved(&e);
	b1(&e, 0xff);				/* push qword [in_rflags] */
	b1(&e, 0x34);
	b1(&e, 0x25);
	b4(&e, abs32(&ns->in_rflags));
	b1(&e, 0x9d);				/* popfq */
	for (r = 0; r < 16; r++)
		abs_rm64(&e, 0x8b, r, &ns->in_regs[r]);
	if (e.p != code64 + PRO64_LEN)
		abort();
	bn(&e, nc->insn, nc->len);
	for (r = 0; r < 16; r++)
		abs_rm64(&e, 0x89, r, &ns->out_regs[r]);
	abs_rm64(&e, 0x8b, R_SP, &ns->host_rsp);	/* mov rsp, [host_rsp] */
	b1(&e, 0x9c);				/* pushfq */
	b1(&e, 0x8f);				/* pop qword [out_rflags] */
	b1(&e, 0x04);
	b1(&e, 0x25);
	b4(&e, abs32(&ns->out_rflags));
	pop_callee_saved(&e);
}

/*
 * Compatibility mode: the entry (64-bit, at code64) saves the host's state
 * and far-returns to 32-bit code at code32, which loads the flags, the
 * segment registers and the registers, runs the instruction (at code32 +
 * 0x100, or in the 16-bit segment), stores the registers through ES (whose
 * base it knows), restores flat segments and far-jumps back to 64-bit code.
 */
static void build_compat(const struct ncase *nc)
{
	static const u8 rdfs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc0 };	/* rdfsbase rax */
	static const u8 rdgs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc8 };
	static const u8 wrfs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd0 };	/* wrfsbase rax */
	static const u8 wrgs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd8 };
	static const u8 nullfsgs[] = { 0x31, 0xc0, 0x8e, 0xe0, 0x8e, 0xe8 };
	struct emit e = { code64 }, c = { code32 };
	u32 es_base = nc->ldt_base[X86_SEG_ES];
	u8 *back64, *after;
	unsigned int r;

	/* 64-bit entry. */
	push_callee_saved(&e);
	bn(&e, rdfs, sizeof(rdfs));
	abs_rm64(&e, 0x89, R_AX, &ns->host_fs);
	bn(&e, rdgs, sizeof(rdgs));
	abs_rm64(&e, 0x89, R_AX, &ns->host_gs);
	b1(&e, 0xbc);				/* mov esp, stack top */
	b4(&e, abs32(ns->stack + sizeof(ns->stack)));
	b1(&e, 0x6a);				/* push USER32_CS */
	b1(&e, USER32_CS);
	b1(&e, 0x68);				/* push code32 */
	b4(&e, abs32(code32));
	b1(&e, 0x48);				/* lretq */
	b1(&e, 0xcb);
	back64 = e.p;				/* back from 32-bit code */
	bn(&e, nullfsgs, sizeof(nullfsgs));
	abs_rm64(&e, 0x8b, R_AX, &ns->host_fs);
	bn(&e, wrfs, sizeof(wrfs));
	abs_rm64(&e, 0x8b, R_AX, &ns->host_gs);
	bn(&e, wrgs, sizeof(wrgs));
	abs_rm64(&e, 0x8b, R_SP, &ns->host_rsp);
	pop_callee_saved(&e);

	/* 32-bit code: flags, segments, registers.  DS is null: load it first. */
	b1(&c, 0x36); b1(&c, 0x8e); b1(&c, 0x1d); b4(&c, abs32(&ns->flat_ds));
	b1(&c, 0xff);				/* push dword [in_rflags] */
	b1(&c, 0x35);
	b4(&c, abs32(&ns->in_rflags));
	b1(&c, 0x9d);				/* popfd */
	b1(&c, 0x8e); b1(&c, 0x05); b4(&c, abs32(&ns->sel[X86_SEG_ES]));
	b1(&c, 0x8e); b1(&c, 0x25); b4(&c, abs32(&ns->sel[X86_SEG_FS]));
	b1(&c, 0x8e); b1(&c, 0x2d); b4(&c, abs32(&ns->sel[X86_SEG_GS]));
	for (r = 0; r < 8; r++) {
		b1(&c, 0x8b);			/* mov r32, [in_regs + 8r] */
		b1(&c, 0x05 | (r << 3));
		b4(&c, abs32(&ns->in_regs[r]));
	}
	b1(&c, 0x8e); b1(&c, 0x15); b4(&c, abs32(&ns->sel[X86_SEG_SS]));
	b1(&c, 0x8e); b1(&c, 0x1d); b4(&c, abs32(&ns->sel[X86_SEG_DS]));
	if (c.p > code32 + 0x100)
		abort();
	if (nc->mode == X86_EMU_PROT32) {
		while (c.p < code32 + 0x100)
			b1(&c, 0x90);
		bn(&c, nc->insn, nc->len);
		after = c.p;
	} else {
		struct emit s = { code16 + 0x10 };

		b1(&c, 0xea);			/* jmp far code16:0x10 */
		b4(&c, 0x10);
		b1(&c, LDT_SEL(LDT_CODE16));
		b1(&c, 0);
		after = code32 + 0x100;
		bn(&s, nc->insn, nc->len);
		b1(&s, 0x66);			/* jmp far USER32_CS:after */
		b1(&s, 0xea);
		b4(&s, abs32(after));
		b1(&s, USER32_CS);
		b1(&s, 0);
		c.p = after;
	}
	/* Store through ES: its base is es_base. */
	for (r = 0; r < 8; r++) {
		b1(&c, 0x26);			/* mov es:[out_regs + 8r - es_base], r32 */
		b1(&c, 0x89);
		b1(&c, 0x05 | (r << 3));
		b4(&c, abs32(&ns->out_regs[r]) - es_base);
	}
	b1(&c, 0x26); b1(&c, 0x8e); b1(&c, 0x15); b4(&c, abs32(&ns->flat_ds) - es_base);
	b1(&c, 0x26); b1(&c, 0x8e); b1(&c, 0x1d); b4(&c, abs32(&ns->flat_ds) - es_base);
	b1(&c, 0xbc);				/* mov esp, stack top */
	b4(&c, abs32(ns->stack + sizeof(ns->stack)));
	b1(&c, 0x9c);				/* pushfd */
	b1(&c, 0x8f);				/* pop dword [out_rflags] */
	b1(&c, 0x05);
	b4(&c, abs32(&ns->out_rflags));
	b1(&c, 0x8e); b1(&c, 0x05); b4(&c, abs32(&ns->flat_ds));
	b1(&c, 0xea);				/* jmp far USER_CS:back64 */
	b4(&c, abs32(back64));
	b1(&c, USER_CS);
	b1(&c, 0);
}

static int set_ldt(int entry, u32 base, bool code16_seg)
{
	struct user_desc d = {
		.entry_number = entry,
		.base_addr = base,
		.limit = 0xfffff,
		.seg_32bit = !code16_seg,
		.contents = code16_seg ? MODIFY_LDT_CONTENTS_CODE : MODIFY_LDT_CONTENTS_DATA,
		.read_exec_only = 0,
		.limit_in_pages = 1,
		.seg_not_present = 0,
		.useable = 1,
	};

	return syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

static sigjmp_buf native_jb;
static volatile u64 fault_addr, fault_rip;

__attribute__((no_sanitize_address))
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	/* In compatibility mode FS and GS had LDT bases: restore them first. */
	if (compat_ok) {
		asm volatile("wrfsbase %0" : : "r"(host_fsbase));
		asm volatile("wrgsbase %0" : : "r"(test_gsbase));
	}
	fault_addr = (u64)si->si_addr;
	fault_rip = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	siglongjmp(native_jb, sig);
}

/* Run the case natively; 0, or the signal it died of. */
static int run_native(const struct ncase *nc)
{
	void (*fn)(void) = (void (*)(void))(void *)code64;
	int sig, s;

	memcpy(ns->in_regs, nc->regs, sizeof(ns->in_regs));
	ns->in_rflags = nc->rflags;
	memset(ns->out_regs, 0, sizeof(ns->out_regs));
	if (nc->mode == X86_EMU_LONG64) {
		build64(nc);
	} else {
		for (s = 0; s < X86_SEG_NR; s++)
			if (s != X86_SEG_CS && set_ldt(s, nc->ldt_base[s], false))
				return -1;
		build_compat(nc);
	}
	__builtin___clear_cache((char *)code64, (char *)code64 + PAGE);
	sig = sigsetjmp(native_jb, 1);
	if (sig)
		return sig;
	fn();
	return 0;
}

/* ---- The emulator side ---------------------------------------------- */

static void emu_setup(const struct ncase *nc, struct x86_emu_ctxt *c, struct tmem *m)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	memcpy(c->regs, nc->regs, sizeof(c->regs));
	c->rip = nc->rip;
	c->rflags = nc->rflags;
	c->mode = nc->mode;
	memcpy(c->seg_base, nc->seg_base, sizeof(c->seg_base));
	memcpy(c->insn, nc->insn, nc->len);
	for (i = nc->len; i < X86_EMU_MAX_INSN_LEN; i++)
		c->insn[i] = rnd();		/* what follows must not matter */
	c->insn_len = X86_EMU_MAX_INSN_LEN;
	c->ops = &tmem_ops;
	c->opaque = m;
	tmem_init(m);
	tmem_add(m, (u64)nbuf, ebuf, BUFSZ, false);
	if (nc->mode == X86_EMU_PROT16)
		tmem_add(m, (u64)code16, code16, CODE16_SZ, true);
}

static bool same_state(const struct x86_emu_ctxt *a, const struct x86_emu_ctxt *b)
{
	return !memcmp(a->regs, b->regs, sizeof(a->regs)) && a->rip == b->rip &&
	       a->rflags == b->rflags;
}

/* The properties that hold for every instruction, on the emulator alone. */
static void check_properties(struct group *g, const struct ncase *nc)
{
	struct x86_emu_ctxt c, c0;
	struct tmem m;
	enum x86_emu_result r;
	unsigned int len;
	bool accesses = !nc->rep || nc->count;

	/* Truncated bytes: never an access, never a guess. */
	for (len = 0; len < nc->len; len++) {
		emu_setup(nc, &c, &m);
		c.insn_len = len;
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_UNHANDLED || m.nlog || !same_state(&c, &c0))
			case_fail(g, "%s: truncated to %u bytes: %s, %u accesses", nc->desc,
				  len, result_name(r), m.nlog);
	}

	/* A read that needs userspace, then a read or write that faults. */
	if (nc->t->reads && accesses) {
		emu_setup(nc, &c, &m);
		m.read_inject_at = 0;
		m.read_inject = X86EMU_EXIT;
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_EXIT || m.nwrites || !same_state(&c, &c0))
			case_fail(g, "%s: read EXIT: got %s, %u writes, state %s", nc->desc,
				  result_name(r), m.nwrites,
				  same_state(&c, &c0) ? "kept" : "changed");
	}
	if (nc->t->reads && accesses) {
		emu_setup(nc, &c, &m);
		m.read_inject_at = 0;
		m.read_inject = X86EMU_FAULT;
		m.inject_exc = (struct x86_emu_exception){ 14, true, 0x5, 0 };
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || m.nwrites || !same_state(&c, &c0) ||
		    c.exception.vector != 14 || !c.exception.has_error ||
		    c.exception.error_code != 5 || c.exception.address != m.log[0].gva)
			case_fail(g, "%s: read FAULT: got %s, %u writes, vector %u",
				  nc->desc, result_name(r), m.nwrites, c.exception.vector);
	}
	if (nc->t->writes && accesses) {
		emu_setup(nc, &c, &m);
		m.write_inject_at = 0;
		m.write_inject = X86EMU_FAULT;
		m.inject_exc = (struct x86_emu_exception){ 13, true, 0, 0 };
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || m.nwrites != 1 || !same_state(&c, &c0) ||
		    c.exception.vector != 13 || m.err[0])
			case_fail(g, "%s: write FAULT: got %s, %u writes, %s", nc->desc,
				  result_name(r), m.nwrites, m.err);
	}
}

static void compare(struct group *g, const struct ncase *nc)
{
	struct x86_emu_ctxt c;
	struct tmem m;
	enum x86_emu_result r;
	unsigned int call, calls = nc->rep ? (nc->count ? nc->count : 1) : 1;
	u64 start = nc->rip, next, am = mask_of(nc->adsz);
	u64 rmask = nc->mode == X86_EMU_LONG64 ? ~0ULL : 0xffffffffULL;
	unsigned int nregs = nc->mode == X86_EMU_LONG64 ? 16 : 8, i;
	u64 fmask = EFL_ARITH | EFL_DF;
	int sig;

	next = (start + nc->len) & (nc->mode == X86_EMU_LONG64 ? ~0ULL :
				    nc->mode == X86_EMU_PROT32 ? 0xffffffffULL : 0xffffULL);

	memcpy(ebuf, ibuf, BUFSZ);
	if (nc->unhandled) {
		struct x86_emu_ctxt c0;

		emu_setup(nc, &c, &m);
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_UNHANDLED || m.nlog || !same_state(&c, &c0))
			case_fail(g, "%s: %s with %u accesses, want UNHANDLED",
				  nc->desc, result_name(r), m.nlog);
		return;
	}
	check_properties(g, nc);

	memcpy(ebuf, ibuf, BUFSZ);
	memcpy(nbuf, ibuf, BUFSZ);
	sig = run_native(nc);
	if (sig) {
		case_fail(g, "%s: natively: %s %d, address %#llx, rip %#llx "
			  "(code64 %p, code32 %p, code16 %p)", nc->desc,
			  sig < 0 ? "cannot set up" : "signal", sig,
			  (unsigned long long)fault_addr,
			  (unsigned long long)fault_rip, code64, code32, code16);
		return;
	}

	emu_setup(nc, &c, &m);
	for (call = 0; call < calls; call++) {
		u64 rcx = c.regs[R_CX];

		tmem_reset_log(&m);
		r = x86_emulate(&c);
		if (r != X86EMU_DONE) {
			case_fail(g, "%s: x86_emulate: %s (call %u)", nc->desc,
				  result_name(r), call);
			return;
		}
		if (m.err[0]) {
			case_fail(g, "%s: %s", nc->desc, m.err);
			return;
		}
		if (m.nreads > 1 || m.nwrites > 1 || m.nreads != (nc->t->reads && (!nc->rep || nc->count)) ||
		    m.nwrites != (nc->t->writes && (!nc->rep || nc->count))) {
			case_fail(g, "%s: %u reads, %u writes", nc->desc, m.nreads, m.nwrites);
			return;
		}
		if (c.len != nc->len) {
			case_fail(g, "%s: length %u, want %u", nc->desc, c.len, nc->len);
			return;
		}
		if (call + 1 < calls) {
			if (c.rip != start || ((c.regs[R_CX] ^ (rcx - 1)) & am)) {
				case_fail(g, "%s: REP call %u: rip %#llx (want %#llx), count %#llx",
					  nc->desc, call, (unsigned long long)c.rip,
					  (unsigned long long)start,
					  (unsigned long long)(c.regs[R_CX] & am));
				return;
			}
		}
	}
	if (c.rip != next) {
		case_fail(g, "%s: rip %#llx, want %#llx", nc->desc,
			  (unsigned long long)c.rip, (unsigned long long)next);
		return;
	}
	for (i = 0; i < nregs; i++) {
		if ((c.regs[i] ^ ns->out_regs[i]) & rmask) {
			case_fail(g, "%s: reg %u: emulated %#llx, native %#llx (was %#llx)",
				  nc->desc, i, (unsigned long long)c.regs[i],
				  (unsigned long long)ns->out_regs[i],
				  (unsigned long long)nc->regs[i]);
			return;
		}
	}
	for (; i < 16; i++) {
		if (c.regs[i] != nc->regs[i]) {
			case_fail(g, "%s: reg %u changed", nc->desc, i);
			return;
		}
	}
	if ((c.rflags ^ ns->out_rflags) & fmask || (c.rflags ^ nc->rflags) & ~fmask) {
		case_fail(g, "%s: rflags: emulated %#llx, native %#llx (was %#llx)",
			  nc->desc, (unsigned long long)c.rflags,
			  (unsigned long long)ns->out_rflags,
			  (unsigned long long)nc->rflags);
		return;
	}
	if (memcmp(ebuf, nbuf, BUFSZ)) {
		for (i = 0; i < BUFSZ && ebuf[i] == nbuf[i]; i++)
			;
		case_fail(g, "%s: memory at %#llx: emulated %02x, native %02x",
			  nc->desc, (unsigned long long)(nbuf + i), ebuf[i], nbuf[i]);
	}
}

/* ---- Setup and the groups ------------------------------------------- */

static void *map32(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED) {
		perror("emulate test: mmap");
		exit(2);
	}
	return p;
}

static void setup(void)
{
	static u8 altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	u8 *b;

	ns = map32(sizeof(*ns), PROT_READ | PROT_WRITE);
	b = map32(BUFSZ + 2 * PAGE, PROT_READ | PROT_WRITE);
	mprotect(b, PAGE, PROT_NONE);
	mprotect(b + PAGE + BUFSZ, PAGE, PROT_NONE);
	nbuf = b + PAGE;
	code64 = map32(PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
	code32 = map32(PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
	code16 = map32(CODE16_SZ, PROT_READ | PROT_WRITE | PROT_EXEC);
	ebuf = malloc(BUFSZ);
	ibuf = malloc(BUFSZ);
	if (!ebuf || !ibuf)
		exit(2);

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);

	syscall(SYS_arch_prctl, ARCH_GET_FS, &host_fsbase);
	/* GS: a base near the buffer, so that some offsets are negative. */
	test_gsbase = (u64)nbuf + BUFSZ / 2 + 0x123;
	syscall(SYS_arch_prctl, ARCH_SET_GS, test_gsbase);

	ns->flat_ds = USER_DS;
	ns->sel[X86_SEG_ES] = LDT_SEL(X86_SEG_ES);
	ns->sel[X86_SEG_SS] = LDT_SEL(X86_SEG_SS);
	ns->sel[X86_SEG_DS] = LDT_SEL(X86_SEG_DS);
	ns->sel[X86_SEG_FS] = LDT_SEL(X86_SEG_FS);
	ns->sel[X86_SEG_GS] = LDT_SEL(X86_SEG_GS);

	compat_ok = true;
	if (!(getauxval(AT_HWCAP2) & 2)) {	/* HWCAP2_FSGSBASE */
		compat_ok = false;
		snprintf(compat_why, sizeof(compat_why), "no FSGSBASE for user space");
	} else if (set_ldt(LDT_CODE16, (u32)(u64)code16, true)) {
		compat_ok = false;
		snprintf(compat_why, sizeof(compat_why), "modify_ldt failed");
	} else {
		/* A trial run: a 32-bit and a 16-bit NOP. */
		struct ncase nc = { .len = 1, .insn = { 0x90 }, .rflags = 0x202 };
		int sig;

		nc.mode = X86_EMU_PROT32;
		sig = run_native(&nc);
		nc.mode = X86_EMU_PROT16;
		if (!sig)
			sig = run_native(&nc);
		if (sig) {
			compat_ok = false;
			snprintf(compat_why, sizeof(compat_why),
				 "32-bit or 16-bit code does not run here (signal %d)", sig);
		}
	}
}

static void fill_random(u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		u64 v = rnd_value();

		memcpy(p + i, &v, 8);
	}
}

static void run_group(enum x86_emu_mode mode, int fam, unsigned long per_template)
{
	char name[160];
	struct group g;
	struct ncase nc;
	unsigned int i, f;
	unsigned long k;

	snprintf(name, sizeof(name), "native %s: %s", mode_name(mode), fam_name[fam]);
	group_begin(&g, name);
	for (i = 0; i < ntmpl; i++) {
		const struct tmpl *t = &tmpls[i];

		if (t->family != fam || (t->only64 && mode != X86_EMU_LONG64))
			continue;
		for (k = 0; k < per_template; k++) {
			int tries = 0;

			while (!gen_case(&nc, mode, t))
				if (++tries > 1000)
					abort();
			for (f = 0; f < NR_FEAT; f++)
				if (nc.feat & (1u << f))
					feat_count[f]++;
			fill_random(ibuf, BUFSZ);
			case_begin(&g);
			compare(&g, &nc);
			case_end(&g);
		}
	}
	group_end(&g);
}

/* Every form the mode has must have come up. */
static void check_coverage(enum x86_emu_mode mode)
{
	bool l64 = mode == X86_EMU_LONG64;
	char name[64], counts[1024];
	struct group g;
	int f, n = 0;

	snprintf(name, sizeof(name), "native %s: forms covered", mode_name(mode));
	group_begin(&g, name);
	for (f = 0; f < NR_FEAT; f++) {
		bool exists = true;

		switch (f) {
		case FEAT_ADDR64: case FEAT_OP64: case FEAT_RIPREL: case FEAT_REX:
		case FEAT_REX_RXB: case FEAT_DEAD_REX:
			exists = l64;
			break;
		case FEAT_ADDR16: case FEAT_SS_DEFAULT:
			exists = !l64;
			break;
		}
		if (!exists)
			continue;
		case_begin(&g);
		if (!feat_count[f])
			case_fail(&g, "no case with %s", feat_name[f]);
		n += snprintf(counts + n, sizeof(counts) - n, "%s%s %lu", n ? ", " : "",
			      feat_name[f], feat_count[f]);
	}
	printf("    %s: %s\n", name, counts);
	group_end(&g);
}

void native_tests(unsigned long per_template)
{
	static const enum x86_emu_mode modes[] = {
		X86_EMU_LONG64, X86_EMU_PROT32, X86_EMU_PROT16,
	};
	unsigned int mi;
	int fam;

	setup();
	make_templates();
	for (mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
		if (modes[mi] != X86_EMU_LONG64 && !compat_ok) {
			printf("SKIP: emulate: native %s: %s\n", mode_name(modes[mi]),
			       compat_why);
			continue;
		}
		rnd_seed(0x5eed0000 + mi);
		memset(feat_count, 0, sizeof(feat_count));
		for (fam = 0; fam < NR_FAM; fam++)
			run_group(modes[mi], fam, per_template);
		check_coverage(modes[mi]);
	}
}
