// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction emulator for MMIO (see emulate.h for what it covers
 * and its calling convention).
 *
 * x86_emulate() decodes the instruction into struct emu, a private working
 * copy of the registers, RIP and RFLAGS on the stack, executes it against
 * that copy with the memory accesses going through the caller's callbacks,
 * and copies the result back into the context only if everything
 * succeeded.  Decoding is table-driven: one struct opcode per one-byte
 * opcode, and a switch for the two-byte opcodes we know.
 *
 * Sources of facts: the Intel SDM volume 2 (instruction format, ModRM/SIB
 * tables, opcode map) and the AMD APM volume 3.
 */
#include "emulate.h"

/* General-purpose registers, by their number in the encoding. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

#define EFL_CF		0x0001ULL
#define EFL_PF		0x0004ULL
#define EFL_AF		0x0010ULL
#define EFL_ZF		0x0040ULL
#define EFL_SF		0x0080ULL
#define EFL_DF		0x0400ULL
#define EFL_OF		0x0800ULL
#define EFL_ARITH	(EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

/* What an opcode does. */
enum emu_op {
	OP_NONE,		/* not emulated: X86EMU_UNHANDLED */
	OP_ALU_RM_R,		/* r/m = r/m OP reg (00, 01, 08, 09, ...) */
	OP_ALU_R_RM,		/* reg = reg OP r/m (02, 03, 0A, 0B, ...) */
	OP_ALU_RM_IMM,		/* r/m = r/m OP imm, OP = ModRM.reg (80, 81, 83) */
	OP_TEST_RM_R,		/* 84, 85 */
	OP_TEST_RM_IMM,		/* F6 /0, F7 /0 */
	OP_GRP3,		/* F6, F7: TEST, NOT or NEG by ModRM.reg (group3()) */
	OP_NOT,			/* F6 /2, F7 /2 */
	OP_NEG,			/* F6 /3, F7 /3 */
	OP_INCDEC,		/* FE, FF: /0 INC, /1 DEC */
	OP_BT,			/* 0F A3 AB B3 BB, 0F BA /4-/7: BT BTS BTR BTC */
	OP_BSF,			/* 0F BC BSF, 0F BD BSR */
	OP_IMUL,		/* 0F AF, 69, 6B */
	OP_XCHG,		/* 86, 87 */
	OP_MOV_RM_R,		/* 88, 89 */
	OP_MOV_R_RM,		/* 8A, 8B */
	OP_MOV_RM_IMM,		/* C6 /0, C7 /0 */
	OP_MOV_AX_MOFFS,	/* A0, A1 */
	OP_MOV_MOFFS_AX,	/* A2, A3 */
	OP_MOVZX,		/* 0F B6, 0F B7 */
	OP_MOVSX,		/* 0F BE, 0F BF */
	OP_MOVSXD,		/* 63 in 64-bit mode */
	OP_MOVS,		/* A4, A5 */
	OP_CMPS,		/* A6, A7 */
	OP_STOS,		/* AA, AB */
	OP_LODS,		/* AC, AD */
	OP_SCAS,		/* AE, AF */
	OP_INVLPG,		/* 0F 01 /7: only with an ops->invlpg callback */
	OP_SMSW,		/* 0F 01 /4: only with ops->get_cr0 */
	OP_LMSW,		/* 0F 01 /6: only with ops->lmsw */
	OP_CMPXCHG,		/* 0F B0, 0F B1 */
	OP_CMPXCHG8B,		/* 0F C7 /1 without REX.W */
};

/* ALU operations, numbered as opcode bits 5:3 and group 1's ModRM.reg. */
enum {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST
};

/* Opcode flags. */
#define F_MODRM		0x01	/* ModRM follows; its operand must be memory */
#define F_BYTE		0x02	/* the operand size is 8 bits */
#define F_IMM8		0x04	/* imm8, sign-extended to the operand size */
#define F_IMMZ		0x08	/* imm16 or imm32 (sign-extended to 64 bits) */
#define F_LOCK		0x10	/* LOCK allowed (a read-modify-write of memory) */
#define F_REP		0x20	/* REP (F3) allowed */
#define F_REG0		0x40	/* only ModRM.reg = 0 is defined here (/0) */
#define F_ONLY64	0x80	/* this meaning exists in 64-bit mode only */
#define F_REGFORM	0x100	/* a register ModRM operand is fine too */
#define F_REPNE		0x200	/* REPNE (F2) allowed */

struct opcode {
	u8 op;			/* enum emu_op */
	u16 flags;		/* F_* */
	u8 src_size;		/* MOVZX/MOVSX/MOVSXD: the memory operand's size */
};

#define ALU_ROW(b)							\
	[(b) + 0] = { OP_ALU_RM_R, F_MODRM | F_BYTE | F_LOCK, 0 },	\
	[(b) + 1] = { OP_ALU_RM_R, F_MODRM | F_LOCK, 0 },		\
	[(b) + 2] = { OP_ALU_R_RM, F_MODRM | F_BYTE, 0 },		\
	[(b) + 3] = { OP_ALU_R_RM, F_MODRM, 0 }

static const struct opcode onebyte[256] = {
	ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
	ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
	[0x63] = { OP_MOVSXD, F_MODRM | F_ONLY64, 4 },	/* ARPL elsewhere */
	[0x69] = { OP_IMUL, F_MODRM | F_IMMZ, 0 },
	[0x6b] = { OP_IMUL, F_MODRM | F_IMM8, 0 },
	[0x80] = { OP_ALU_RM_IMM, F_MODRM | F_BYTE | F_IMM8 | F_LOCK, 0 },
	[0x81] = { OP_ALU_RM_IMM, F_MODRM | F_IMMZ | F_LOCK, 0 },
	[0x83] = { OP_ALU_RM_IMM, F_MODRM | F_IMM8 | F_LOCK, 0 },
	[0x84] = { OP_TEST_RM_R, F_MODRM | F_BYTE, 0 },
	[0x85] = { OP_TEST_RM_R, F_MODRM, 0 },
	[0x86] = { OP_XCHG, F_MODRM | F_BYTE | F_LOCK, 0 },
	[0x87] = { OP_XCHG, F_MODRM | F_LOCK, 0 },
	[0x88] = { OP_MOV_RM_R, F_MODRM | F_BYTE, 0 },
	[0x89] = { OP_MOV_RM_R, F_MODRM, 0 },
	[0x8a] = { OP_MOV_R_RM, F_MODRM | F_BYTE, 0 },
	[0x8b] = { OP_MOV_R_RM, F_MODRM, 0 },
	[0xa0] = { OP_MOV_AX_MOFFS, F_BYTE, 0 },
	[0xa1] = { OP_MOV_AX_MOFFS, 0, 0 },
	[0xa2] = { OP_MOV_MOFFS_AX, F_BYTE, 0 },
	[0xa3] = { OP_MOV_MOFFS_AX, 0, 0 },
	[0xa4] = { OP_MOVS, F_BYTE | F_REP, 0 },
	[0xa5] = { OP_MOVS, F_REP, 0 },
	[0xa6] = { OP_CMPS, F_BYTE | F_REP | F_REPNE, 0 },
	[0xa7] = { OP_CMPS, F_REP | F_REPNE, 0 },
	[0xaa] = { OP_STOS, F_BYTE | F_REP, 0 },
	[0xab] = { OP_STOS, F_REP, 0 },
	[0xac] = { OP_LODS, F_BYTE | F_REP, 0 },
	[0xad] = { OP_LODS, F_REP, 0 },
	[0xae] = { OP_SCAS, F_BYTE | F_REP | F_REPNE, 0 },
	[0xaf] = { OP_SCAS, F_REP | F_REPNE, 0 },
	[0xc6] = { OP_MOV_RM_IMM, F_MODRM | F_BYTE | F_IMM8 | F_REG0, 0 },
	[0xc7] = { OP_MOV_RM_IMM, F_MODRM | F_IMMZ | F_REG0, 0 },
	[0xf6] = { OP_GRP3, F_MODRM | F_BYTE, 0 },
	[0xf7] = { OP_GRP3, F_MODRM, 0 },
	[0xfe] = { OP_INCDEC, F_MODRM | F_BYTE | F_LOCK, 0 },
	[0xff] = { OP_INCDEC, F_MODRM | F_LOCK, 0 },
};

/* The two-byte opcodes (0F xx) we emulate. */
static struct opcode twobyte(u8 b)
{
	switch (b) {
	case 0xb6:
		return (struct opcode){ OP_MOVZX, F_MODRM, 1 };
	case 0xb7:
		return (struct opcode){ OP_MOVZX, F_MODRM, 2 };
	case 0xbe:
		return (struct opcode){ OP_MOVSX, F_MODRM, 1 };
	case 0xbf:
		return (struct opcode){ OP_MOVSX, F_MODRM, 2 };
	case 0x01:
		/* Group 7: the /digit picks the instruction (decode()). */
		return (struct opcode){ OP_INVLPG, F_MODRM | F_REGFORM, 0 };
	case 0xb0:
		return (struct opcode){ OP_CMPXCHG, F_MODRM | F_BYTE | F_LOCK, 0 };
	case 0xb1:
		return (struct opcode){ OP_CMPXCHG, F_MODRM | F_LOCK, 0 };
	case 0xc7:
		return (struct opcode){ OP_CMPXCHG8B, F_MODRM | F_LOCK, 0 };
	case 0xa3:		/* BT: reads only */
		return (struct opcode){ OP_BT, F_MODRM, 0 };
	case 0xab:		/* BTS */
	case 0xb3:		/* BTR */
	case 0xbb:		/* BTC */
		return (struct opcode){ OP_BT, F_MODRM | F_LOCK, 0 };
	case 0xba:		/* group 8: /4 BT, /5 BTS, /6 BTR, /7 BTC, ib */
		return (struct opcode){ OP_BT, F_MODRM | F_IMM8 | F_LOCK, 0 };
	case 0xbc:
	case 0xbd:
		return (struct opcode){ OP_BSF, F_MODRM, 0 };
	case 0xaf:
		return (struct opcode){ OP_IMUL, F_MODRM, 0 };
	}
	return (struct opcode){ OP_NONE, 0, 0 };
}

/* The decoded instruction and the working copy of the state. */
struct emu {
	struct x86_emu_ctxt *c;

	/* Working copies, committed on X86EMU_DONE. */
	u64 regs[16];
	u64 rip;
	u64 rflags;

	/* Prefixes. */
	unsigned int pos;	/* next byte to fetch */
	u8 rex;			/* the effective REX prefix, or 0 */
	bool lock, opsz_pfx, adsz_pfx;
	bool rep, repne;	/* the last of F3 and F2, if any */
	int seg_override;	/* enum x86_emu_seg, or -1 */

	/* Opcode, sizes (in bytes), operands. */
	u8 opbyte;		/* the last opcode byte */
	struct opcode d;
	unsigned int opsz, adsz;
	unsigned int reg;	/* ModRM.reg with REX.R: a register or a /digit */
	unsigned int digit;	/* ModRM.reg without REX.R */
	int rm_reg;		/* a register ModRM operand (F_REGFORM), or -1 */
	u64 ea;			/* effective address of the memory operand */
	int seg;		/* its segment */
	bool rip_rel;		/* ea is still relative to the next RIP */
	u64 imm;
};

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 sign_extend(u64 v, unsigned int size)
{
	switch (size) {
	case 1:
		return (u64)(s64)(s8)v;
	case 2:
		return (u64)(s64)(s16)v;
	case 4:
		return (u64)(s64)(s32)v;
	}
	return v;
}

/* ---- Registers ------------------------------------------------------ */

/* Byte registers 4-7 are AH, CH, DH, BH without a REX prefix. */
static bool is_high_byte(const struct emu *e, unsigned int r, unsigned int size)
{
	return size == 1 && !e->rex && r >= 4 && r < 8;
}

static u64 get_reg(const struct emu *e, unsigned int r, unsigned int size)
{
	if (is_high_byte(e, r, size))
		return (e->regs[r - 4] >> 8) & 0xff;
	return e->regs[r] & size_mask(size);
}

/*
 * 8- and 16-bit writes keep the register's other bits; a 32-bit write
 * zero-extends to 64 bits.
 */
static void set_reg(struct emu *e, unsigned int r, unsigned int size, u64 v)
{
	switch (size) {
	case 1:
		if (is_high_byte(e, r, size))
			e->regs[r - 4] = (e->regs[r - 4] & ~0xff00ULL) |
					 ((v & 0xff) << 8);
		else
			e->regs[r] = (e->regs[r] & ~0xffULL) | (v & 0xff);
		break;
	case 2:
		e->regs[r] = (e->regs[r] & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		e->regs[r] = (u32)v;
		break;
	default:
		e->regs[r] = v;
		break;
	}
}

/* ---- Fetching ------------------------------------------------------- */

/* The next n bytes of the instruction, little-endian; false if truncated. */
static bool fetch(struct emu *e, unsigned int n, u64 *v)
{
	unsigned int avail = e->c->insn_len;
	unsigned int i;

	if (avail > X86_EMU_MAX_INSN_LEN)
		avail = X86_EMU_MAX_INSN_LEN;
	if (e->pos + n > avail)
		return false;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (u64)e->c->insn[e->pos + i] << (8 * i);
	e->pos += n;
	return true;
}

static bool fetch_signed(struct emu *e, unsigned int n, u64 *v)
{
	if (!fetch(e, n, v))
		return false;
	*v = sign_extend(*v, n);
	return true;
}

/* ---- Decoding ------------------------------------------------------- */

/* The ALU operation of 00-3B: opcode bits 5:3. */
static unsigned int alu_op(const struct emu *e)
{
	return (e->opbyte >> 3) & 7;
}

/*
 * Legacy prefixes in any order, then REX (64-bit mode).  More than one
 * prefix of a group is undefined (SDM 2.1.1): two different segment
 * overrides are not emulated; of F2 and F3 the last one counts, as on the
 * hardware (and in upstream KVM's decoder).
 * In 64-bit mode CS, DS, ES and SS overrides are accepted and ignored.
 */
static bool decode_prefixes(struct emu *e)
{
	static const s8 seg_of[256] = {
		[0x26] = X86_SEG_ES + 1, [0x2e] = X86_SEG_CS + 1,
		[0x36] = X86_SEG_SS + 1, [0x3e] = X86_SEG_DS + 1,
		[0x64] = X86_SEG_FS + 1, [0x65] = X86_SEG_GS + 1,
	};
	u64 b;

	e->seg_override = -1;
	for (;;) {
		if (!fetch(e, 1, &b))
			return false;
		if (seg_of[b]) {
			if (e->seg_override >= 0 &&
			    e->seg_override != seg_of[b] - 1)
				return false;
			e->seg_override = seg_of[b] - 1;
		} else if (b == 0xf0) {
			e->lock = true;
		} else if (b == 0xf2) {
			e->repne = true;
			e->rep = false;
		} else if (b == 0xf3) {
			e->rep = true;
			e->repne = false;
		} else if (b == 0x66) {
			e->opsz_pfx = true;
		} else if (b == 0x67) {
			e->adsz_pfx = true;
		} else if (e->c->mode == X86_EMU_LONG64 && (b & 0xf0) == 0x40) {
			e->rex = b;
			continue;
		} else {
			e->pos--;	/* the opcode */
			return true;
		}
		/* A REX prefix counts only right before the opcode. */
		e->rex = 0;
	}
}

static void decode_sizes(struct emu *e)
{
	switch (e->c->mode) {
	case X86_EMU_LONG64:
		e->adsz = e->adsz_pfx ? 4 : 8;
		e->opsz = (e->rex & 8) ? 8 : e->opsz_pfx ? 2 : 4;
		break;
	case X86_EMU_PROT32:
		e->adsz = e->adsz_pfx ? 2 : 4;
		e->opsz = e->opsz_pfx ? 2 : 4;
		break;
	default:
		e->adsz = e->adsz_pfx ? 4 : 2;
		e->opsz = e->opsz_pfx ? 4 : 2;
		break;
	}
	if (e->d.flags & F_BYTE)
		e->opsz = 1;
}

/*
 * 16-bit addressing: [BX+SI], [BX+DI], [BP+SI], [BP+DI], [SI], [DI], [BP]
 * (or [disp16]), [BX]; BP-based forms default to SS.  Wraps at 64 KiB.
 */
static bool decode_modrm16(struct emu *e, unsigned int mod, unsigned int rm)
{
	static const u8 base[8] = {
		R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX
	};
	static const u8 index[8] = {
		R_SI, R_DI, R_SI, R_DI, 0xff, 0xff, 0xff, 0xff
	};
	u64 disp = 0, ea = 0;

	e->seg = X86_SEG_DS;
	if (mod == 0 && rm == 6) {
		if (!fetch(e, 2, &disp))
			return false;
	} else {
		ea = e->regs[base[rm]];
		if (index[rm] != 0xff)
			ea += e->regs[index[rm]];
		if (base[rm] == R_BP)
			e->seg = X86_SEG_SS;
		if (mod == 1 && !fetch_signed(e, 1, &disp))
			return false;
		if (mod == 2 && !fetch(e, 2, &disp))
			return false;
	}
	e->ea = (ea + disp) & 0xffff;
	return true;
}

/*
 * 32- and 64-bit addressing, with SIB, REX.X/REX.B and RIP-relative.  Base
 * ESP/EBP defaults to SS (it has no base in 64-bit mode anyway).  SIB
 * index 100 means none, but with REX.X it is R12; the no-base forms
 * (ModRM 00 101, SIB base 101 with mod 00) do not look at REX.B.
 */
static bool decode_modrm32(struct emu *e, unsigned int mod, unsigned int rm)
{
	u64 disp = 0, ea = 0, sib;
	unsigned int base, index;

	e->seg = X86_SEG_DS;
	if (rm == 4) {
		if (!fetch(e, 1, &sib))
			return false;
		index = ((sib >> 3) & 7) | ((e->rex & 2) << 2);
		base = sib & 7;
		if (index != R_SP)
			ea = e->regs[index] << (sib >> 6);
		if (mod == 0 && base == R_BP) {
			/* No base: disp32. */
			if (!fetch_signed(e, 4, &disp))
				return false;
		} else {
			ea += e->regs[base | ((e->rex & 1) << 3)];
			if (base == R_SP || base == R_BP)
				e->seg = X86_SEG_SS;
		}
	} else if (mod == 0 && rm == 5) {
		/* disp32; RIP-relative in 64-bit mode. */
		if (!fetch_signed(e, 4, &disp))
			return false;
		e->rip_rel = e->c->mode == X86_EMU_LONG64;
	} else {
		ea = e->regs[rm | ((e->rex & 1) << 3)];
		if (rm == R_BP)
			e->seg = X86_SEG_SS;
	}
	if (mod == 1 && !fetch_signed(e, 1, &disp))
		return false;
	if (mod == 2 && !fetch_signed(e, 4, &disp))
		return false;
	e->ea = ea + disp;		/* masked to the address size later */
	return true;
}

static bool decode_modrm(struct emu *e)
{
	u64 modrm;
	unsigned int mod, rm;

	if (!fetch(e, 1, &modrm))
		return false;
	mod = modrm >> 6;
	rm = modrm & 7;
	e->digit = (modrm >> 3) & 7;
	e->reg = e->digit | ((e->rex & 4) << 1);
	e->rm_reg = -1;
	if (mod == 3) {
		/* A register operand: not an MMIO access, except for F_REGFORM. */
		e->rm_reg = rm | ((e->rex & 1) << 3);
		return e->d.flags & F_REGFORM;
	}
	if (e->adsz == 2)
		return decode_modrm16(e, mod, rm);
	return decode_modrm32(e, mod, rm);
}

/* Group 7 (0F 01) after its ModRM: the instruction we emulate, if any. */
static bool group7(struct emu *e)
{
	const struct x86_emu_ops *ops = e->c->ops;

	switch (e->digit) {
	case 7:
		return e->rm_reg < 0 && ops->invlpg;
	case 4:
		e->d.op = OP_SMSW;
		/* To memory always 16 bits; to a register the operand size. */
		if (e->rm_reg < 0)
			e->opsz = 2;
		return ops->get_cr0;
	case 6:
		e->d.op = OP_LMSW;
		e->opsz = 2;
		return ops->lmsw;
	}
	return false;
}

/* BT, BTS, BTR, BTC as 0, 1, 2, 3: opcode bits 4:3, or group 8's /4-/7. */
static unsigned int bt_op(const struct emu *e)
{
	if (e->opbyte == 0xba)
		return e->digit - 4;
	return (e->opbyte >> 3) & 3;
}

/*
 * Group 3 (F6, F7) after its ModRM: /0 TEST with an immediate, /2 NOT and
 * /3 NEG (read-modify-writes: LOCK allowed).  /1 (an undocumented TEST),
 * MUL, IMUL, DIV and IDIV are not emulated.
 */
static bool group3(struct emu *e)
{
	switch (e->digit) {
	case 0:
		e->d.op = OP_TEST_RM_IMM;
		e->d.flags |= e->d.flags & F_BYTE ? F_IMM8 : F_IMMZ;
		return true;
	case 2:
	case 3:
		e->d.op = e->digit == 2 ? OP_NOT : OP_NEG;
		e->d.flags |= F_LOCK;
		return true;
	}
	return false;
}

/* Prefixes, opcode, ModRM/SIB/displacement, immediate.  False: unhandled. */
static bool decode(struct emu *e)
{
	enum x86_emu_mode mode = e->c->mode;
	u64 b, moffs;

	if (!decode_prefixes(e) || !fetch(e, 1, &b))
		return false;
	if (b == 0x0f) {
		if (!fetch(e, 1, &b))
			return false;
		e->d = twobyte(b);
	} else {
		e->d = onebyte[b];
	}
	e->opbyte = b;
	if (e->d.op == OP_NONE)
		return false;
	if ((e->d.flags & F_ONLY64) && mode != X86_EMU_LONG64)
		return false;
	decode_sizes(e);

	if (e->d.flags & F_MODRM) {
		if (!decode_modrm(e))
			return false;
		if ((e->d.flags & F_REG0) && e->digit != 0)
			return false;
		/*
		 * 0F 01 is a group: /7 with a memory operand is INVLPG, /4 SMSW
		 * and /6 LMSW (either operand), each with its callback.
		 */
		if (e->d.op == OP_INVLPG && !group7(e))
			return false;
		if (e->d.op == OP_GRP3 && !group3(e))
			return false;
		/* Groups 4 and 5 (FE, FF): only INC and DEC. */
		if (e->d.op == OP_INCDEC && e->digit > 1)
			return false;
		/* Group 8 (0F BA): /0-/3 are not defined. */
		if (e->d.op == OP_BT && e->opbyte == 0xba && e->digit < 4)
			return false;
		/*
		 * Group 9 (0F C7): only /1 is CMPXCHG8B; with REX.W it is
		 * CMPXCHG16B, whose 16-byte access the callbacks cannot do.
		 */
		if (e->d.op == OP_CMPXCHG8B &&
		    (e->digit != 1 || (e->rex & 0x08)))
			return false;
	}
	if (e->d.flags & F_IMM8) {
		if (!fetch_signed(e, 1, &e->imm))
			return false;
	} else if (e->d.flags & F_IMMZ) {
		if (!fetch_signed(e, e->opsz == 2 ? 2 : 4, &e->imm))
			return false;
	}
	if (e->d.op == OP_MOV_AX_MOFFS || e->d.op == OP_MOV_MOFFS_AX) {
		/* The offset is as wide as the address size. */
		if (!fetch(e, e->adsz, &moffs))
			return false;
		e->ea = moffs;
		e->seg = X86_SEG_DS;
	}

	/* The next RIP, and what depends on it. */
	e->rip = e->c->rip + e->pos;
	if (mode == X86_EMU_PROT32)
		e->rip &= 0xffffffffULL;
	else if (mode != X86_EMU_LONG64)
		e->rip &= 0xffffULL;
	if (e->rip_rel)
		e->ea += e->rip;
	e->ea &= size_mask(e->adsz);
	if (e->seg_override >= 0)
		e->seg = e->seg_override;

	/* Prefixes that this instruction does not take. */
	if (e->rep && !(e->d.flags & F_REP))
		return false;
	/* F2 with MOVS, STOS or LODS is reserved (SDM): not emulated. */
	if (e->repne && !(e->d.flags & F_REPNE))
		return false;
	if (e->lock) {
		if (!(e->d.flags & F_LOCK))
			return false;
		/* CMP and BT only read: LOCK CMP and LOCK BT are #UD. */
		if ((e->d.op == OP_ALU_RM_R && alu_op(e) == ALU_CMP) ||
		    (e->d.op == OP_ALU_RM_IMM && e->digit == ALU_CMP) ||
		    (e->d.op == OP_BT && bt_op(e) == 0))
			return false;
	}
	/*
	 * MOVSXD without REX.W is discouraged by the SDM: the 32-bit form (a
	 * plain move) is emulated and tested against the CPU, the 16-bit one
	 * is not emulated.
	 */
	if (e->d.op == OP_MOVSXD && e->opsz == 2)
		return false;
	return true;
}

/* ---- Memory --------------------------------------------------------- */

/* Segment base + effective address. */
static u64 linear(const struct emu *e, int seg, u64 ea)
{
	const struct x86_emu_ctxt *c = e->c;

	if (c->mode == X86_EMU_LONG64) {
		/* Only FS and GS have a base in 64-bit mode. */
		if (seg == X86_SEG_FS || seg == X86_SEG_GS)
			return c->seg_base[seg] + ea;
		return ea;
	}
	return (u32)(c->seg_base[seg] + ea);
}

static enum x86_emu_result mem_read(struct emu *e, u64 gva, u64 *v,
				    unsigned int size)
{
	u8 buf[8] = { 0 };
	enum x86_emu_result r;
	unsigned int i;

	r = e->c->ops->read(e->c, gva, buf, size);
	if (r != X86EMU_DONE)
		return r;
	*v = 0;
	for (i = 0; i < size; i++)
		*v |= (u64)buf[i] << (8 * i);
	return X86EMU_DONE;
}

static enum x86_emu_result mem_write(struct emu *e, u64 gva, u64 v,
				     unsigned int size)
{
	u8 buf[8];
	unsigned int i;

	for (i = 0; i < size; i++)
		buf[i] = v >> (8 * i);
	return e->c->ops->write(e->c, gva, buf, size);
}

/*
 * The write of a read-modify-write that read @old: when @locked, through
 * ops->cmpxchg_emulated (atomic against other writers) if the caller has one.
 */
static enum x86_emu_result mem_write_rmw(struct emu *e, u64 gva, u64 old,
					 u64 v, unsigned int size, bool locked)
{
	u8 o[8], n[8];
	unsigned int i;

	if (!locked || !e->c->ops->cmpxchg_emulated)
		return mem_write(e, gva, v, size);
	for (i = 0; i < size; i++) {
		o[i] = old >> (8 * i);
		n[i] = v >> (8 * i);
	}
	return e->c->ops->cmpxchg_emulated(e->c, gva, o, n, size);
}

/* ---- Execution ------------------------------------------------------ */

static bool parity_even(u64 v)
{
	v &= 0xff;
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/*
 * One ALU operation on size-byte operands: the result, and CF PF AF ZF SF
 * OF in *rflags.  For AND, OR, XOR and TEST the SDM leaves AF undefined:
 * it is cleared, as the CPU does in the differential unit tests.
 */
static u64 alu(unsigned int op, u64 a, u64 b, unsigned int size, u64 *rflags)
{
	u64 mask = size_mask(size);
	u64 sign = 1ULL << (size * 8 - 1);
	u64 carry_in = *rflags & EFL_CF ? 1 : 0;
	u64 res, fl = 0;

	a &= mask;
	b &= mask;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		if (op == ALU_ADD)
			carry_in = 0;
		res = (a + b + carry_in) & mask;
		if (res < a || (carry_in && res == a))
			fl |= EFL_CF;
		if ((a ^ res) & (b ^ res) & sign)
			fl |= EFL_OF;
		fl |= (a ^ b ^ res) & EFL_AF;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		if (op != ALU_SBB)
			carry_in = 0;
		res = (a - b - carry_in) & mask;
		if (a < b || (carry_in && a == b))
			fl |= EFL_CF;
		if ((a ^ b) & (a ^ res) & sign)
			fl |= EFL_OF;
		fl |= (a ^ b ^ res) & EFL_AF;
		break;
	case ALU_OR:
		res = a | b;
		break;
	case ALU_XOR:
		res = a ^ b;
		break;
	default:	/* AND, TEST */
		res = a & b;
		break;
	}
	if (!res)
		fl |= EFL_ZF;
	if (res & sign)
		fl |= EFL_SF;
	if (parity_even(res))
		fl |= EFL_PF;
	*rflags = (*rflags & ~EFL_ARITH) | fl;
	return res;
}

/* r/m OP operand; CMP and TEST only set the flags. */
static enum x86_emu_result exec_alu_mem(struct emu *e, unsigned int op,
					u64 gva, u64 operand)
{
	enum x86_emu_result r;
	u64 a, res;

	r = mem_read(e, gva, &a, e->opsz);
	if (r != X86EMU_DONE)
		return r;
	res = alu(op, a, operand, e->opsz, &e->rflags);
	if (op == ALU_CMP || op == ALU_TEST)
		return X86EMU_DONE;
	return mem_write_rmw(e, gva, a, res, e->opsz, e->lock);
}

/*
 * INC and DEC (CF unchanged), NOT (no flags) and NEG (the flags of 0 - r/m,
 * so CF = r/m != 0) of a memory operand.
 */
static enum x86_emu_result exec_unary(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	u64 cf = e->rflags & EFL_CF;
	enum x86_emu_result r;
	u64 a, res;

	r = mem_read(e, gva, &a, sz);
	if (r != X86EMU_DONE)
		return r;
	switch (e->d.op) {
	case OP_INCDEC:
		res = alu(e->digit ? ALU_SUB : ALU_ADD, a, 1, sz, &e->rflags);
		e->rflags = (e->rflags & ~EFL_CF) | cf;
		break;
	case OP_NOT:
		res = ~a & size_mask(sz);
		break;
	default:	/* NEG */
		res = alu(ALU_SUB, 0, a, sz, &e->rflags);
		break;
	}
	return mem_write_rmw(e, gva, a, res, sz, e->lock);
}

/*
 * BT, BTS, BTR, BTC of a memory operand.  An immediate bit offset is taken
 * modulo the operand size; a register one is a signed offset from the
 * operand's address, so it can select any bit within 2^63 bits of it: the
 * access moves by whole operands (SDM "Bit(BitBase, BitOffset)").  CF is
 * the bit before; the SDM leaves OF SF AF PF undefined and ZF unchanged:
 * all are kept, as the CPU does in the tests (AMD EPYC).
 */
static enum x86_emu_result exec_bt(struct emu *e)
{
	unsigned int sz = e->opsz, bits = sz * 8, op = bt_op(e);
	u64 ea = e->ea, off, v, bit;
	enum x86_emu_result r;

	if (e->opbyte == 0xba) {
		off = e->imm & (bits - 1);
	} else {
		off = sign_extend(get_reg(e, e->reg, sz), sz);
		/* An arithmetic shift: (s64)off >> log2(bits), in bytes. */
		ea += (u64)((s64)(off & ~(u64)(bits - 1)) / 8);
		ea &= size_mask(e->adsz);
		off &= bits - 1;
	}
	bit = 1ULL << off;
	ea = linear(e, e->seg, ea);
	r = mem_read(e, ea, &v, sz);
	if (r != X86EMU_DONE)
		return r;
	e->rflags = (e->rflags & ~EFL_CF) | (v & bit ? EFL_CF : 0);
	switch (op) {
	case 1:
		return mem_write_rmw(e, ea, v, v | bit, sz, e->lock);
	case 2:
		return mem_write_rmw(e, ea, v, v & ~bit, sz, e->lock);
	case 3:
		return mem_write_rmw(e, ea, v, v ^ bit, sz, e->lock);
	}
	return X86EMU_DONE;
}

/*
 * BSF and BSR reg, m: the index of the lowest or highest set bit, ZF = 0;
 * a source of 0 sets ZF and leaves the register as it was (as the AMD APM
 * documents and Intel CPUs do).  CF OF SF AF PF are undefined: kept.
 */
static enum x86_emu_result exec_bsf(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	enum x86_emu_result r;
	u64 v;

	r = mem_read(e, gva, &v, sz);
	if (r != X86EMU_DONE)
		return r;
	if (!v) {
		e->rflags |= EFL_ZF;
		return X86EMU_DONE;
	}
	e->rflags &= ~EFL_ZF;
	set_reg(e, e->reg, sz, e->opbyte == 0xbc ? __builtin_ctzll(v) :
			       63 - __builtin_clzll(v));
	return X86EMU_DONE;
}

/*
 * IMUL reg, m (0F AF) and IMUL reg, m, imm (69, 6B): the signed product
 * truncated to the operand size; CF = OF = it did not fit.  SF ZF AF PF
 * are undefined: kept, as the CPU does in the tests (AMD EPYC).
 */
static enum x86_emu_result exec_imul(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	enum x86_emu_result r;
	s64 a, b, res;
	bool ovf;
	u64 v;

	r = mem_read(e, gva, &v, sz);
	if (r != X86EMU_DONE)
		return r;
	a = (s64)sign_extend(v, sz);
	if (e->opbyte == 0xaf)
		b = (s64)sign_extend(get_reg(e, e->reg, sz), sz);
	else
		b = (s64)sign_extend(e->imm, sz);
	ovf = __builtin_mul_overflow(a, b, &res);
	if (sz < 8 && (s64)sign_extend(res, sz) != res)
		ovf = true;
	e->rflags &= ~(EFL_CF | EFL_OF);
	if (ovf)
		e->rflags |= EFL_CF | EFL_OF;
	set_reg(e, e->reg, sz, (u64)res);
	return X86EMU_DONE;
}

/*
 * The string instructions, one element per call: MOVS, CMPS, STOS, LODS
 * and SCAS.  The source is DS:rSI (a segment override applies to it), the
 * destination ES:rDI (never overridden); rSI, rDI and the count rCX are as
 * wide as the address size and wrap at it.  Each element moves rSI and
 * rDI (those the instruction uses) by the operand size, down if DF.
 *
 * CMPS sets the flags of CMP [rSI], [rDI] (source minus destination), SCAS
 * those of CMP rAX, [rDI].  With F3 or F2, rCX goes down by one per
 * element and RIP stays on the instruction until rCX reaches 0 or, for
 * CMPS and SCAS, until the flags end it: REPE (F3) stops on ZF = 0, REPNE
 * (F2) on ZF = 1, tested after the element (F2 with the others is
 * reserved and not decoded).  A count of 0 on entry skips the instruction,
 * flags unchanged.
 */
static enum x86_emu_result exec_string(struct emu *e)
{
	unsigned int sz = e->opsz, asz = e->adsz;
	u8 op = e->d.op;
	bool rep = e->rep || e->repne;
	bool has_src = op == OP_MOVS || op == OP_CMPS || op == OP_LODS;
	bool has_dst = op != OP_LODS;
	int sseg = e->seg_override >= 0 ? e->seg_override : X86_SEG_DS;
	u64 amask = size_mask(asz);
	u64 step = e->rflags & EFL_DF ? -(u64)sz : sz;
	u64 dst = linear(e, X86_SEG_ES, e->regs[R_DI] & amask);
	u64 count = 0, v = 0, w;
	enum x86_emu_result r = X86EMU_DONE;
	bool stop;

	if (rep) {
		count = e->regs[R_CX] & amask;
		if (count == 0)
			return X86EMU_DONE;	/* e->rip is past the instruction */
	}
	if (has_src) {
		r = mem_read(e, linear(e, sseg, e->regs[R_SI] & amask), &v, sz);
		if (r != X86EMU_DONE)
			return r;
	}
	if (op == OP_SCAS)
		v = get_reg(e, R_AX, sz);
	switch (op) {
	case OP_MOVS:
		r = mem_write(e, dst, v, sz);
		break;
	case OP_STOS:
		r = mem_write(e, dst, get_reg(e, R_AX, sz), sz);
		break;
	case OP_LODS:
		set_reg(e, R_AX, sz, v);
		break;
	case OP_CMPS:
	case OP_SCAS:
		r = mem_read(e, dst, &w, sz);
		if (r == X86EMU_DONE)
			alu(ALU_CMP, v, w, sz, &e->rflags);
		break;
	}
	if (r != X86EMU_DONE)
		return r;

	if (has_src)
		set_reg(e, R_SI, asz, e->regs[R_SI] + step);
	if (has_dst)
		set_reg(e, R_DI, asz, e->regs[R_DI] + step);
	if (rep) {
		set_reg(e, R_CX, asz, count - 1);
		stop = count == 1;
		if (op == OP_CMPS || op == OP_SCAS) {
			if (e->rep && !(e->rflags & EFL_ZF))
				stop = true;	/* REPE: not equal */
			if (e->repne && (e->rflags & EFL_ZF))
				stop = true;	/* REPNE: equal */
		}
		if (!stop)
			e->rip = e->c->rip;	/* more iterations to go */
	}
	return X86EMU_DONE;
}

/*
 * CMPXCHG r/m, reg: the accumulator against r/m, flags as CMP.  Equal:
 * r/m = reg.  Not equal: the accumulator = r/m, and memory is not written
 * (the processor writes the old value back; to an MMIO register or a
 * shadowed page table that second write would be a spurious one).
 */
static enum x86_emu_result exec_cmpxchg(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	enum x86_emu_result r;
	u64 v;

	r = mem_read(e, gva, &v, sz);
	if (r != X86EMU_DONE)
		return r;
	alu(ALU_CMP, get_reg(e, R_AX, sz), v, sz, &e->rflags);
	if (e->rflags & EFL_ZF)
		return mem_write_rmw(e, gva, v, get_reg(e, e->reg, sz), sz,
				     e->lock);
	set_reg(e, R_AX, sz, v);
	return X86EMU_DONE;
}

/*
 * CMPXCHG8B m64: EDX:EAX against m64.  Equal: ZF = 1, m64 = ECX:EBX.
 * Not equal: ZF = 0, EDX:EAX = m64 (each zero-extended in 64-bit mode).
 * The other flags are unchanged; memory is written only when equal, as
 * for CMPXCHG.
 */
static enum x86_emu_result exec_cmpxchg8b(struct emu *e, u64 gva)
{
	u64 old = get_reg(e, R_DX, 4) << 32 | get_reg(e, R_AX, 4);
	enum x86_emu_result r;
	u64 v;

	r = mem_read(e, gva, &v, 8);
	if (r != X86EMU_DONE)
		return r;
	if (v == old) {
		r = mem_write_rmw(e, gva, v, get_reg(e, R_CX, 4) << 32 |
					  get_reg(e, R_BX, 4), 8, e->lock);
		if (r == X86EMU_DONE)
			e->rflags |= EFL_ZF;
		return r;
	}
	e->rflags &= ~EFL_ZF;
	set_reg(e, R_AX, 4, v & 0xffffffffULL);
	set_reg(e, R_DX, 4, v >> 32);
	return X86EMU_DONE;
}

/* Reads first, then writes: a read can still return X86EMU_EXIT. */
static enum x86_emu_result execute(struct emu *e)
{
	unsigned int sz = e->opsz;
	u64 gva = linear(e, e->seg, e->ea);
	enum x86_emu_result r;
	u64 v, res;

	switch (e->d.op) {
	case OP_ALU_RM_R:
		return exec_alu_mem(e, alu_op(e), gva, get_reg(e, e->reg, sz));
	case OP_ALU_R_RM:
		/* reg = reg OP r/m; CMP writes nothing. */
		r = mem_read(e, gva, &v, sz);
		if (r != X86EMU_DONE)
			return r;
		res = alu(alu_op(e), get_reg(e, e->reg, sz), v, sz, &e->rflags);
		if (alu_op(e) != ALU_CMP)
			set_reg(e, e->reg, sz, res);
		return X86EMU_DONE;
	case OP_ALU_RM_IMM:
		return exec_alu_mem(e, e->digit, gva, e->imm);
	case OP_TEST_RM_R:
		return exec_alu_mem(e, ALU_TEST, gva, get_reg(e, e->reg, sz));
	case OP_TEST_RM_IMM:
		return exec_alu_mem(e, ALU_TEST, gva, e->imm);
	case OP_INCDEC:
	case OP_NOT:
	case OP_NEG:
		return exec_unary(e, gva);
	case OP_BT:
		return exec_bt(e);
	case OP_BSF:
		return exec_bsf(e, gva);
	case OP_IMUL:
		return exec_imul(e, gva);
	case OP_XCHG:
		/* Locked with or without the prefix. */
		r = mem_read(e, gva, &v, sz);
		if (r == X86EMU_DONE)
			r = mem_write_rmw(e, gva, v, get_reg(e, e->reg, sz), sz,
					  true);
		if (r == X86EMU_DONE)
			set_reg(e, e->reg, sz, v);
		return r;
	case OP_MOV_RM_R:
		return mem_write(e, gva, get_reg(e, e->reg, sz), sz);
	case OP_MOV_R_RM:
		r = mem_read(e, gva, &v, sz);
		if (r == X86EMU_DONE)
			set_reg(e, e->reg, sz, v);
		return r;
	case OP_MOV_RM_IMM:
		return mem_write(e, gva, e->imm, sz);
	case OP_MOV_AX_MOFFS:
		r = mem_read(e, gva, &v, sz);
		if (r == X86EMU_DONE)
			set_reg(e, R_AX, sz, v);
		return r;
	case OP_MOV_MOFFS_AX:
		return mem_write(e, gva, get_reg(e, R_AX, sz), sz);
	case OP_MOVZX:
	case OP_MOVSX:
	case OP_MOVSXD:
		r = mem_read(e, gva, &v, e->d.src_size);
		if (r != X86EMU_DONE)
			return r;
		if (e->d.op != OP_MOVZX)
			v = sign_extend(v, e->d.src_size);
		set_reg(e, e->reg, sz, v);
		return X86EMU_DONE;
	case OP_MOVS:
	case OP_CMPS:
	case OP_STOS:
	case OP_LODS:
	case OP_SCAS:
		return exec_string(e);
	case OP_INVLPG:
		return e->c->ops->invlpg(e->c, gva);
	case OP_SMSW:
		v = e->c->ops->get_cr0(e->c);
		if (e->rm_reg >= 0) {
			set_reg(e, e->rm_reg, sz, v);
			return X86EMU_DONE;
		}
		return mem_write(e, gva, v, 2);
	case OP_LMSW:
		if (e->rm_reg >= 0) {
			v = get_reg(e, e->rm_reg, 2);
		} else {
			r = mem_read(e, gva, &v, 2);
			if (r != X86EMU_DONE)
				return r;
		}
		return e->c->ops->lmsw(e->c, v);
	case OP_CMPXCHG:
		return exec_cmpxchg(e, gva);
	case OP_CMPXCHG8B:
		return exec_cmpxchg8b(e, gva);
	default:
		return X86EMU_UNHANDLED;
	}
}

enum x86_emu_result x86_emulate(struct x86_emu_ctxt *c)
{
	struct emu e;
	enum x86_emu_result r;

	memset(&e, 0, sizeof(e));
	memset(&c->exception, 0, sizeof(c->exception));
	c->len = 0;
	e.c = c;
	memcpy(e.regs, c->regs, sizeof(e.regs));
	e.rflags = c->rflags;

	if (!decode(&e))
		return X86EMU_UNHANDLED;
	c->len = e.pos;
	r = execute(&e);
	if (r != X86EMU_DONE)
		return r;

	memcpy(c->regs, e.regs, sizeof(c->regs));
	c->rip = e.rip;
	c->rflags = e.rflags;
	return X86EMU_DONE;
}
