/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the instruction emulator (emulate.c executes, emulate_decode.c
 * decodes): the decoded instruction, struct emu, and what both halves
 * use.  Not for the emulator's callers, who see only emulate.h.
 */
#ifndef KVM_RESEARCH_EMULATE_PRIV_H
#define KVM_RESEARCH_EMULATE_PRIV_H

#include "emulate.h"

/* General-purpose registers, by their number in the encoding. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

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
	OP_MULDIV,		/* F6, F7 /4 MUL, /5 IMUL, /6 DIV, /7 IDIV */
	OP_XADD,		/* 0F C0, 0F C1 */
	OP_SHXD,		/* 0F A4 A5 SHLD, 0F AC AD SHRD */
	OP_CMOV,		/* 0F 40-4F */
	OP_PUSH,		/* FF /6 (64-bit mode) */
	OP_POP,			/* 8F /0 (64-bit mode) */
	OP_SSE_MOV,		/* 0F 10 11 28 29, 66/F3 0F 6F 7F: 16-byte moves */
	OP_LTR,			/* 0F 00 /3: only with ops->ltr */
	OP_PUSH_R,		/* 50-57 (64-bit mode) */
	OP_POP_R,		/* 58-5F (64-bit mode) */
	OP_PUSH_IMM,		/* 68, 6A (64-bit mode) */
	OP_RET,			/* C3 (64-bit mode) */
	OP_LEAVE,		/* C9 (64-bit mode) */
	OP_ENTER,		/* C8 iw 0 (64-bit mode; nesting level 0 only) */
	OP_MOV_RM_SREG,		/* 8C: MOV m16, Sreg */
	OP_MOV_SREG_RM,		/* 8E: MOV Sreg, m16 (only with ops->load_sreg) */
	OP_POP_SREG,		/* 0F A1, 0F A9: POP FS, POP GS (64-bit mode) */
	OP_GRP5,		/* FF /2-/6: the instruction by ModRM.reg (group5()) */
	OP_CALL_NEAR,		/* FF /2 (64-bit mode) */
	OP_JMP_NEAR,		/* FF /4 */
	OP_JMP_FAR,		/* FF /5: only with ops->far_jmp */
	OP_MMX_MOV,		/* 0F 6E 6F 7E 7F without 66 or F3: MOVD, MOVQ */
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
#define F_ONLY64	0x80	/* emulated in 64-bit mode only */
#define F_REGFORM	0x100	/* a register ModRM operand is fine too */
#define F_REPNE		0x200	/* REPNE (F2) allowed */
#define F_NOTREAL	0x400	/* #UD in real and virtual-8086 mode: not emulated */

struct opcode {
	u8 op;			/* enum emu_op */
	u16 flags;		/* F_* */
	u8 src_size;		/* MOVZX/MOVSX/MOVSXD: the memory operand's size */
};

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
	bool base_sp;		/* ea has RSP (ESP) as its base register */
	u64 imm;
	bool sse_aligned;	/* OP_SSE_MOV: MOVAPS, MOVAPD, MOVDQA */
};

static inline u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline u64 sign_extend(u64 v, unsigned int size)
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

/* The ALU operation of 00-3B: opcode bits 5:3. */
static inline unsigned int alu_op(const struct emu *e)
{
	return (e->opbyte >> 3) & 7;
}

/* BT, BTS, BTR, BTC as 0, 1, 2, 3: opcode bits 4:3, or group 8's /4-/7. */
static inline unsigned int bt_op(const struct emu *e)
{
	if (e->opbyte == 0xba)
		return e->digit - 4;
	return (e->opbyte >> 3) & 3;
}

/*
 * Decode c->insn into @e (emulate_decode.c): false if the bytes are not
 * an instruction the emulator handles (X86EMU_UNHANDLED).
 */
bool x86_emu_decode(struct emu *e);

#endif /* KVM_RESEARCH_EMULATE_PRIV_H */
