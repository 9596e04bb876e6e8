// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction emulator's decoder (emulate.h says what it covers):
 * prefixes, the opcode through one table for the one-byte opcodes and a
 * switch for the two-byte ones, ModRM/SIB with every addressing form, the
 * immediate, and the checks of what each instruction accepts.  Its output
 * is struct emu (emulate_priv.h), which emulate.c executes.
 *
 * Sources of facts: the Intel SDM volume 2 (instruction format, ModRM/SIB
 * tables, opcode map) and the AMD APM volume 3.
 */
#include "emulate_priv.h"

#define ALU_ROW(b)							\
	[(b) + 0] = { OP_ALU_RM_R, F_MODRM | F_BYTE | F_LOCK, 0 },	\
	[(b) + 1] = { OP_ALU_RM_R, F_MODRM | F_LOCK, 0 },		\
	[(b) + 2] = { OP_ALU_R_RM, F_MODRM | F_BYTE, 0 },		\
	[(b) + 3] = { OP_ALU_R_RM, F_MODRM, 0 }

static const struct opcode onebyte[256] = {
	ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
	ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
	/* The stack ops need the stack size, SS.B: 64-bit mode only. */
	[0x50 ... 0x57] = { OP_PUSH_R, F_ONLY64, 0 },
	[0x58 ... 0x5f] = { OP_POP_R, F_ONLY64, 0 },
	[0x63] = { OP_MOVSXD, F_MODRM | F_ONLY64, 4 },	/* ARPL elsewhere */
	[0x68] = { OP_PUSH_IMM, F_IMMZ | F_ONLY64, 0 },
	[0x6a] = { OP_PUSH_IMM, F_IMM8 | F_ONLY64, 0 },
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
	[0x8c] = { OP_MOV_RM_SREG, F_MODRM, 0 },
	[0x8e] = { OP_MOV_SREG_RM, F_MODRM, 0 },
	/* 8F /1-/7 is AMD's XOP; POP needs the stack size: 64-bit mode only. */
	[0x8f] = { OP_POP, F_MODRM | F_REG0 | F_ONLY64, 0 },
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
	[0xc3] = { OP_RET, F_ONLY64, 0 },
	[0xc6] = { OP_MOV_RM_IMM, F_MODRM | F_BYTE | F_IMM8 | F_REG0, 0 },
	[0xc7] = { OP_MOV_RM_IMM, F_MODRM | F_IMMZ | F_REG0, 0 },
	[0xc8] = { OP_ENTER, F_ONLY64, 0 },
	[0xc9] = { OP_LEAVE, F_ONLY64, 0 },
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
	case 0x00:
		/* Group 6: only /3, LTR (decode()). */
		return (struct opcode){ OP_LTR, F_MODRM | F_REGFORM | F_NOTREAL, 0 };
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
	case 0xc0:
		return (struct opcode){ OP_XADD, F_MODRM | F_BYTE | F_LOCK, 0 };
	case 0xc1:
		return (struct opcode){ OP_XADD, F_MODRM | F_LOCK, 0 };
	case 0xa4:		/* SHLD ib */
	case 0xac:		/* SHRD ib */
		return (struct opcode){ OP_SHXD, F_MODRM | F_IMM8, 0 };
	case 0xa5:		/* SHLD CL */
	case 0xad:		/* SHRD CL */
		return (struct opcode){ OP_SHXD, F_MODRM, 0 };
	case 0x10:		/* MOVUPS, 66: MOVUPD (F3, F2: MOVSS, MOVSD) */
	case 0x11:
	case 0x28:		/* MOVAPS, 66: MOVAPD */
	case 0x29:
		return (struct opcode){ OP_SSE_MOV, F_MODRM, 0 };
	case 0x6f:		/* 66: MOVDQA, F3: MOVDQU (none: MMX MOVQ) */
	case 0x7f:
		return (struct opcode){ OP_SSE_MOV, F_MODRM | F_REP, 0 };
	case 0x6e:		/* MMX MOVD/MOVQ (66: the XMM forms) */
	case 0x7e:
		return (struct opcode){ OP_MMX_MOV, F_MODRM, 0 };
	case 0xa1:		/* POP FS */
	case 0xa9:		/* POP GS */
		return (struct opcode){ OP_POP_SREG, F_ONLY64, 0 };
	}
	if ((b & 0xf0) == 0x40)
		return (struct opcode){ OP_CMOV, F_MODRM, 0 };
	return (struct opcode){ OP_NONE, 0, 0 };
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
			e->base_sp = (base | ((e->rex & 1) << 3)) == R_SP;
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

/*
 * Group 3 (F6, F7) after its ModRM: /0 TEST with an immediate, /2 NOT and
 * /3 NEG (read-modify-writes: LOCK allowed), /4-/7 MUL, IMUL, DIV, IDIV.
 * /1 (an undocumented TEST) is not emulated.
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
	case 4 ... 7:
		e->d.op = OP_MULDIV;
		return true;
	}
	return false;
}

/*
 * Group 5 (FF) past INC and DEC: /2 near CALL and /6 PUSH in 64-bit mode
 * only (elsewhere they need the stack size, which we lack), /4 near JMP,
 * /5 far JMP with ops->far_jmp.  /3 (far CALL) and /7 are not emulated.
 * None of them takes LOCK.
 */
static bool group5(struct emu *e)
{
	bool long64 = e->c->mode == X86_EMU_LONG64;

	e->d.flags &= ~F_LOCK;
	switch (e->digit) {
	case 2:
		e->d.op = OP_CALL_NEAR;
		return long64;
	case 4:
		e->d.op = OP_JMP_NEAR;
		return true;
	case 5:
		e->d.op = OP_JMP_FAR;
		return e->c->ops->far_jmp;
	case 6:
		e->d.op = OP_PUSH;
		return long64;
	}
	return false;
}

/*
 * The 16-byte SSE moves, by opcode and mandatory prefix: 0F 10/11 MOVUPS,
 * 66 0F 10/11 MOVUPD, 0F 28/29 MOVAPS, 66 0F 28/29 MOVAPD, 66 0F 6F/7F
 * MOVDQA, F3 0F 6F/7F MOVDQU.  The scalar forms (F3/F2 0F 10/11: MOVSS,
 * MOVSD) and mixed mandatory prefixes are not emulated; 0F 6F/7F without
 * one is MMX MOVQ (mmx_form()).  F2 and LOCK never get here (decode()
 * refused them).
 */
static bool sse_form(struct emu *e)
{
	switch (e->opbyte) {
	case 0x10:
	case 0x11:
		return true;
	case 0x28:
	case 0x29:
		e->sse_aligned = true;
		return true;
	default:		/* 6F, 7F */
		if (e->opsz_pfx && e->rep)
			return false;
		if (!e->opsz_pfx && !e->rep) {
			e->d.op = OP_MMX_MOV;	/* MOVQ mm, mm/m64 (mmx_form()) */
			return true;
		}
		e->sse_aligned = e->opsz_pfx;
		return true;
	}
}

/*
 * The MMX moves: 0F 6F MOVQ mm, m64 and 0F 7F MOVQ m64, mm (8 bytes);
 * 0F 6E MOVD mm, m32 and 0F 7E MOVD m32, mm (4 bytes, or MOVQ, 8, with
 * REX.W).  The register is ModRM.reg without REX.R: MM0-MM7.  With 66
 * they are SSE instructions (66 0F 6E/7E: MOVD/MOVQ with an XMM register),
 * not emulated; F3 0F 7E (MOVQ xmm) and F2 never get here.  Only with the
 * get_mmx, set_mmx and get_cr0 callbacks.
 */
static bool mmx_form(struct emu *e)
{
	const struct x86_emu_ops *ops = e->c->ops;

	if (e->opsz_pfx)
		return false;
	e->reg = e->digit;
	if (e->opbyte & 1)		/* 6F, 7F */
		e->opsz = 8;
	else
		e->opsz = e->rex & 8 ? 8 : 4;
	return ops->get_mmx && ops->set_mmx && ops->get_cr0;
}

/* Prefixes, opcode, ModRM/SIB/displacement, immediate.  False: unhandled. */
bool x86_emu_decode(struct emu *e)
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
	if ((e->d.flags & F_NOTREAL) && mode == X86_EMU_REAL)
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
		/* Group 6: LTR (its selector is 16 bits, read_rm16()). */
		if (e->d.op == OP_LTR && (e->digit != 3 || !e->c->ops->ltr))
			return false;
		/* Groups 4 and 5 (FE, FF): /0 INC, /1 DEC; FF's others: group5(). */
		if (e->d.op == OP_INCDEC && e->digit > 1 &&
		    (e->opbyte == 0xfe || !group5(e)))
			return false;
		/*
		 * MOV to and from a segment register: ModRM.reg is ES to GS (6,
		 * 7 and REX.R are not emulated).  A load needs ops->load_sreg.
		 */
		if ((e->d.op == OP_MOV_RM_SREG || e->d.op == OP_MOV_SREG_RM) &&
		    (e->reg >= X86_SEG_NR ||
		     (e->d.op == OP_MOV_SREG_RM && !e->c->ops->load_sreg)))
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
	if (e->d.op == OP_ENTER) {
		/* ENTER iw, ib: only nesting level 0 (a plain frame). */
		if (!fetch(e, 2, &e->imm) || !fetch(e, 1, &moffs) || moffs)
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
	if (e->d.op == OP_SSE_MOV && !sse_form(e))
		return false;
	if (e->d.op == OP_MMX_MOV && !mmx_form(e))
		return false;
	if (e->d.op == OP_POP_SREG && !e->c->ops->load_sreg)
		return false;
	/* PUSH and POP in 64-bit mode: 64 bits, or 16 with 66 (no REX.W). */
	if (e->d.op == OP_PUSH || e->d.op == OP_POP || e->d.op == OP_PUSH_R ||
	    e->d.op == OP_POP_R || e->d.op == OP_PUSH_IMM ||
	    e->d.op == OP_POP_SREG)
		e->opsz = e->opsz_pfx && !(e->rex & 8) ? 2 : 8;
	/*
	 * Near JMP and CALL through memory in 64-bit mode: a 64-bit target,
	 * REX.W or not.  With 66 alone Intel's CPUs still take 64 bits and
	 * AMD's 16: not emulated.
	 */
	if ((e->d.op == OP_JMP_NEAR || e->d.op == OP_CALL_NEAR) &&
	    mode == X86_EMU_LONG64) {
		if (e->opsz == 2)
			return false;
		e->opsz = 8;
	}
	/* RET, LEAVE and ENTER with 66 (16-bit RIP or RBP): not emulated. */
	if ((e->d.op == OP_RET || e->d.op == OP_LEAVE ||
	     e->d.op == OP_ENTER) && e->opsz_pfx)
		return false;
	if (e->d.op == OP_PUSH_R || e->d.op == OP_POP_R)
		e->reg = (e->opbyte & 7) | ((e->rex & 1) << 3);
	return true;
}
