// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction emulator for MMIO (see emulate.h for what it covers
 * and its calling convention).
 *
 * x86_emulate() decodes the instruction into struct emu, a private working
 * copy of the registers, RIP and RFLAGS on the stack, executes it against
 * that copy with the memory accesses going through the caller's callbacks,
 * and copies the result back into the context only if everything
 * succeeded.  The decoder is emulate_decode.c.
 *
 * Sources of facts: the Intel SDM volume 2 (instruction format, ModRM/SIB
 * tables, opcode map) and the AMD APM volume 3.
 */
#include <asm/processor-flags.h>	/* CR0, CR4: the uapi header, in both builds */

#include "emulate_priv.h"

#define EFL_CF		0x0001ULL
#define EFL_PF		0x0004ULL
#define EFL_AF		0x0010ULL
#define EFL_ZF		0x0040ULL
#define EFL_SF		0x0080ULL
#define EFL_DF		0x0400ULL
#define EFL_OF		0x0800ULL
#define EFL_ARITH	(EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

#define VEC_DE		0	/* divide error */
#define VEC_UD		6	/* invalid opcode */
#define VEC_NM		7	/* device not available */
#define VEC_GP		13	/* general protection */

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

/* The 16-bit source of LMSW and LTR: a register, or memory. */
static enum x86_emu_result read_rm16(struct emu *e, u64 gva, u64 *v)
{
	if (e->rm_reg >= 0) {
		*v = get_reg(e, e->rm_reg, 2);
		return X86EMU_DONE;
	}
	return mem_read(e, gva, v, 2);
}

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
 * MUL, IMUL, DIV, IDIV r/m (F6, F7 /4-/7).  Byte: AX = AL * m8, or AX / m8
 * into AL (quotient) and AH (remainder).  Wider: rDX:rAX = rAX * m, or
 * rDX:rAX / m into rAX and rDX.  A divisor of 0, or a quotient that does
 * not fit (signed: toward zero, the remainder with the dividend's sign),
 * is #DE with nothing changed.  MUL and IMUL: CF = OF = the upper half is
 * not the zero (sign) extension of the lower; SF ZF AF PF, which the SDM
 * leaves undefined, are kept.  DIV and IDIV leave all six undefined: CF
 * and OF are kept, ZF SF PF cleared and AF set, as the CPU does in the
 * tests (AMD EPYC).
 */
static enum x86_emu_result exec_muldiv(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz, bits = sz * 8;
	bool sgn = e->digit & 1, nneg = false, qneg = false;
	u64 m, a = get_reg(e, R_AX, sz), hi, lo, q = 0, rem;
	unsigned __int128 n;
	enum x86_emu_result r;
	int i;

	r = mem_read(e, gva, &m, sz);
	if (r != X86EMU_DONE)
		return r;
	if (e->digit < 6) {
		if (sgn)
			n = (unsigned __int128)((__int128)(s64)sign_extend(a, sz) *
						(s64)sign_extend(m, sz));
		else
			n = (unsigned __int128)a * m;
		lo = (u64)n & size_mask(sz);
		hi = (u64)(n >> bits) & size_mask(sz);
		e->rflags &= ~(EFL_CF | EFL_OF);
		if (sgn ? (__int128)n != (s64)sign_extend(lo, sz) : hi != 0)
			e->rflags |= EFL_CF | EFL_OF;
		goto store;
	}

	/* The dividend, zero- or sign-extended to 128 bits. */
	if (sz == 1)
		n = get_reg(e, R_AX, 2);
	else
		n = (unsigned __int128)get_reg(e, R_DX, sz) << bits | a;
	if (sgn && sz < 8)
		n = (unsigned __int128)(__int128)(s64)sign_extend((u64)n, sz * 2);
	if (!m)
		return x86_emu_raise(e->c, VEC_DE, false, 0, 0);
	if (sgn) {
		nneg = (s64)(n >> 64) < 0;
		qneg = nneg != ((s64)sign_extend(m, sz) < 0);
		if (nneg)
			n = -n;
		m = sign_extend(m, sz);
		if ((s64)m < 0)
			m = -m;
	}
	/* Restoring division of n by m, as long as the quotient fits 64 bits. */
	hi = n >> 64;
	lo = (u64)n;
	if (hi >= m)
		return x86_emu_raise(e->c, VEC_DE, false, 0, 0);
	for (i = 0; i < 64; i++) {
		bool top = hi >> 63;

		hi = hi << 1 | lo >> 63;
		lo <<= 1;
		q <<= 1;
		if (top || hi >= m) {
			hi -= m;
			q |= 1;
		}
	}
	rem = hi;
	if (q > (sgn ? (1ULL << (bits - 1)) - !qneg : size_mask(sz)))
		return x86_emu_raise(e->c, VEC_DE, false, 0, 0);
	lo = qneg ? -q : q;
	hi = nneg ? -rem : rem;
	e->rflags = (e->rflags & ~(EFL_ZF | EFL_SF | EFL_PF)) | EFL_AF;
store:
	if (sz == 1) {
		set_reg(e, R_AX, 2, (hi & 0xff) << 8 | (lo & 0xff));
	} else {
		set_reg(e, R_AX, sz, lo);
		set_reg(e, R_DX, sz, hi);
	}
	return X86EMU_DONE;
}

/*
 * SHLD r/m, reg (0F A4 ib, 0F A5 CL) and SHRD (0F AC ib, 0F AD CL): r/m
 * shifted by the count (mod 32, or mod 64 for 64-bit operands), the bits
 * coming in from the register.  A count of 0 changes no flags (the CPU
 * still writes the operand back, which faults on a read-only page: so do
 * we).  Otherwise SF ZF PF of the result and CF the last bit shifted out;
 * for the rest, which the SDM leaves undefined, what the CPU does in the
 * tests (AMD EPYC): AF = 1; OF = the result's top bit XOR, for SHLD, CF,
 * for SHRD the bit below it (the SDM's definition for a count of 1).  A
 * 16-bit count over 16 shifts in the register's bits again (SHLD: r/m,
 * reg, reg; SHRD: reg, reg, r/m); there CF = 0, and OF = 0 for SHLD;
 * SHLD by exactly 16 has OF = CF.
 */
static enum x86_emu_result exec_shxd(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz, bits = sz * 8;
	bool left = !(e->opbyte & 8);
	unsigned int n = (e->opbyte & 1 ? get_reg(e, R_CX, 1) : e->imm) &
			 (sz == 8 ? 63 : 31);
	u64 s = get_reg(e, e->reg, sz), d, res, cf, of;
	unsigned __int128 x;
	enum x86_emu_result r;

	r = mem_read(e, gva, &d, sz);
	if (r != X86EMU_DONE)
		return r;
	if (!n)
		return mem_write_rmw(e, gva, d, d, sz, false);
	if (left) {
		/* The top bits of r/m:reg (r/m:reg:reg for 16 bits) << n. */
		x = sz == 2 ? (unsigned __int128)(d << 32 | s << 16 | s) :
			      (unsigned __int128)d << bits | s;
		bits = sz == 2 ? 48 : bits * 2;
		res = (u64)(x >> (bits - sz * 8 - n)) & size_mask(sz);
		cf = (u64)(x >> (bits - n)) & 1;
	} else {
		/* The low bits of reg:r/m (reg:reg:r/m for 16 bits) >> n. */
		x = sz == 2 ? (unsigned __int128)(s << 32 | s << 16 | d) :
			      (unsigned __int128)s << bits | d;
		res = (u64)(x >> n) & size_mask(sz);
		cf = (u64)(x >> (n - 1)) & 1;
	}
	bits = sz * 8;
	if (sz == 2 && n > 16)
		cf = 0;
	of = (res >> (bits - 1)) ^ (left ? cf : res >> (bits - 2));
	if (sz == 2 && left && n >= 16)
		of = cf;
	alu(ALU_OR, res, 0, sz, &e->rflags);	/* SF ZF PF; CF OF AF clear */
	e->rflags |= EFL_AF | (cf ? EFL_CF : 0) | (of & 1 ? EFL_OF : 0);
	return mem_write_rmw(e, gva, d, res, sz, false);
}

/* The condition of Jcc, SETcc and CMOVcc (low opcode nibble cc). */
static bool cond(u64 fl, unsigned int cc)
{
	bool sf_ne_of = !(fl & EFL_SF) != !(fl & EFL_OF);
	bool t;

	switch ((cc >> 1) & 7) {
	case 0:
		t = fl & EFL_OF;
		break;
	case 1:
		t = fl & EFL_CF;
		break;
	case 2:
		t = fl & EFL_ZF;
		break;
	case 3:
		t = fl & (EFL_CF | EFL_ZF);
		break;
	case 4:
		t = fl & EFL_SF;
		break;
	case 5:
		t = fl & EFL_PF;
		break;
	case 6:
		t = sf_ne_of;
		break;
	default:
		t = (fl & EFL_ZF) || sf_ne_of;
		break;
	}
	return t != (cc & 1);
}

/*
 * CMOVcc reg, m (0F 40-4F): memory is read whatever the condition; when it
 * is false the register is kept, but a 32-bit one is still zero-extended.
 */
static enum x86_emu_result exec_cmov(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	enum x86_emu_result r;
	u64 v;

	r = mem_read(e, gva, &v, sz);
	if (r != X86EMU_DONE)
		return r;
	if (!cond(e->rflags, e->opbyte))
		v = get_reg(e, e->reg, sz);
	set_reg(e, e->reg, sz, v);
	return X86EMU_DONE;
}

/*
 * PUSH m (FF /6) and POP m (8F /0), 64-bit mode: the stack is SS:RSP, 64
 * bits wide, no base.  PUSH reads m at the address formed with the old
 * RSP; POP forms the destination's address with the new RSP (SDM).
 */
static enum x86_emu_result exec_pushpop(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz;
	u64 rsp = e->regs[R_SP], v;
	enum x86_emu_result r;

	if (e->d.op == OP_PUSH) {
		r = mem_read(e, gva, &v, sz);
		if (r != X86EMU_DONE)
			return r;
		rsp -= sz;
		r = mem_write(e, linear(e, X86_SEG_SS, rsp), v, sz);
	} else {
		r = mem_read(e, linear(e, X86_SEG_SS, rsp), &v, sz);
		if (r != X86EMU_DONE)
			return r;
		rsp += sz;
		if (e->base_sp)
			gva = linear(e, e->seg, (e->ea + sz) & size_mask(e->adsz));
		r = mem_write(e, gva, v, sz);
	}
	if (r == X86EMU_DONE)
		e->regs[R_SP] = rsp;
	return r;
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
/*
 * MOVUPS/MOVUPD/MOVAPS/MOVAPD/MOVDQA/MOVDQU: one 16-byte read into an XMM
 * register (10 28 6F), or one 16-byte write of one (11 29 7F).  The
 * exceptions the CPU checks before the memory access, in its order: #UD
 * with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS, #GP(0) for an
 * aligned form whose address is not a multiple of 16.
 */
static enum x86_emu_result exec_sse_mov(struct emu *e, u64 gva)
{
	const struct x86_emu_ops *ops = e->c->ops;
	bool load = e->opbyte == 0x10 || e->opbyte == 0x28 || e->opbyte == 0x6f;
	enum x86_emu_result r;
	u64 cr0;
	u8 buf[16];

	if (!ops->get_xmm || !ops->set_xmm || !ops->get_cr0 || !ops->get_cr4)
		return X86EMU_UNHANDLED;
	cr0 = ops->get_cr0(e->c);
	if ((cr0 & X86_CR0_EM) || !(ops->get_cr4(e->c) & X86_CR4_OSFXSR))
		return x86_emu_raise(e->c, VEC_UD, false, 0, 0);
	if (cr0 & X86_CR0_TS)
		return x86_emu_raise(e->c, VEC_NM, false, 0, 0);
	if (e->sse_aligned && (gva & 15))
		return x86_emu_raise(e->c, VEC_GP, true, 0, 0);
	if (!load) {
		ops->get_xmm(e->c, e->reg, buf);
		return ops->write(e->c, gva, buf, 16);
	}
	r = ops->read(e->c, gva, buf, 16);
	if (r == X86EMU_DONE)
		ops->set_xmm(e->c, e->reg, buf);
	return r;
}

/* @v is canonical: 48 address bits, or 57 with CR4.LA57 (ops->get_cr4). */
static bool canonical(const struct emu *e, u64 v)
{
	const struct x86_emu_ops *ops = e->c->ops;
	unsigned int shift = ops->get_cr4 && (ops->get_cr4(e->c) & X86_CR4_LA57) ?
			     7 : 16;

	return (u64)((s64)(v << shift) >> shift) == v;
}

/*
 * The stack instructions without a ModRM memory operand, in 64-bit mode
 * (the stack is SS:RSP, 8 bytes a slot, or 2 with 66 for PUSH and POP):
 * PUSH reg (the value before the push: PUSH RSP pushes the old RSP) and
 * PUSH imm (sign-extended); POP reg (POP RSP leaves the value read in
 * RSP); RET (near, no immediate); LEAVE (RSP = RBP, then POP RBP); ENTER
 * iw, 0 (PUSH RBP, RBP = RSP, RSP -= iw).  One read or one write.
 */
static enum x86_emu_result exec_stack(struct emu *e)
{
	unsigned int sz = e->opsz;
	u64 rsp = e->regs[R_SP], v;
	enum x86_emu_result r;

	switch (e->d.op) {
	case OP_PUSH_R:
	case OP_PUSH_IMM:
		v = e->d.op == OP_PUSH_R ? get_reg(e, e->reg, sz) : e->imm;
		rsp -= sz;
		r = mem_write(e, linear(e, X86_SEG_SS, rsp), v, sz);
		if (r == X86EMU_DONE)
			e->regs[R_SP] = rsp;
		return r;
	case OP_ENTER:
		rsp -= 8;
		r = mem_write(e, linear(e, X86_SEG_SS, rsp), e->regs[R_BP], 8);
		if (r != X86EMU_DONE)
			return r;
		e->regs[R_BP] = rsp;
		e->regs[R_SP] = rsp - (e->imm & 0xffff);
		return X86EMU_DONE;
	case OP_LEAVE:
		rsp = e->regs[R_BP];
		sz = 8;
		break;
	case OP_RET:
		sz = 8;
		break;
	default:		/* POP reg */
		break;
	}
	r = mem_read(e, linear(e, X86_SEG_SS, rsp), &v, sz);
	if (r != X86EMU_DONE)
		return r;
	/*
	 * RET to a non-canonical address is #GP(0) before RIP changes, as
	 * on the CPU; a VM entry with such a RIP would fail instead.
	 */
	if (e->d.op == OP_RET && !canonical(e, v))
		return x86_emu_raise(e->c, VEC_GP, true, 0, 0);
	e->regs[R_SP] = rsp + sz;
	if (e->d.op == OP_RET)
		e->rip = v;
	else if (e->d.op == OP_LEAVE)
		e->regs[R_BP] = v;
	else
		set_reg(e, e->reg, sz, v);
	return X86EMU_DONE;
}

/*
 * MOV Sreg, m16 (8E) and POP FS/GS (0F A1, 0F A9, 64-bit mode): the
 * selector read from memory (16 bits whatever the operand size) or from
 * the stack (8 bytes a slot, or 2 with 66) goes to ops->load_sreg, which
 * loads the segment or raises the fault; RSP moves only when it did.
 * Loading CS is #UD, before any read.
 */
static enum x86_emu_result exec_load_sreg(struct emu *e, u64 gva)
{
	u64 rsp = e->regs[R_SP], v;
	enum x86_emu_result r;
	unsigned int seg;

	if (e->d.op == OP_MOV_SREG_RM) {
		if (e->reg == X86_SEG_CS)
			return x86_emu_raise(e->c, VEC_UD, false, 0, 0);
		seg = e->reg;
		r = mem_read(e, gva, &v, 2);
	} else {
		seg = e->opbyte == 0xa1 ? X86_SEG_FS : X86_SEG_GS;
		r = mem_read(e, linear(e, X86_SEG_SS, rsp), &v, e->opsz);
	}
	if (r != X86EMU_DONE)
		return r;
	if (e->d.op == OP_POP_SREG)
		e->regs[R_SP] = rsp + e->opsz;	/* committed only if DONE */
	return e->c->ops->load_sreg(e->c, seg, v & 0xffff);
}

/*
 * Near JMP (FF /4) and CALL (FF /2, 64-bit mode) through memory: the new
 * RIP is the operand (16, 32 or, in 64-bit mode, 64 bits).  In 64-bit
 * mode a non-canonical target is #GP(0) before anything changes (the
 * CPU's check: no VM entry with such a RIP); CALL then pushes the next
 * RIP, 8 bytes.  Outside 64-bit mode the CS limit is not checked.
 */
static enum x86_emu_result exec_jmp_near(struct emu *e, u64 gva)
{
	u64 rsp = e->regs[R_SP] - 8, v;
	enum x86_emu_result r;

	r = mem_read(e, gva, &v, e->opsz);
	if (r != X86EMU_DONE)
		return r;
	/* (A 16- or 32-bit target, outside 64-bit mode, always is.) */
	if (!canonical(e, v))
		return x86_emu_raise(e->c, VEC_GP, true, 0, 0);
	if (e->d.op == OP_CALL_NEAR) {
		r = mem_write(e, linear(e, X86_SEG_SS, rsp), e->rip, 8);
		if (r != X86EMU_DONE)
			return r;
		e->regs[R_SP] = rsp;
	}
	e->rip = v;
	return X86EMU_DONE;
}

/*
 * Far JMP through memory (FF /5): m16:16, m16:32 or, with REX.W, m16:64
 * (as the SDM has it and upstream KVM emulates it), the offset first and
 * the selector after it, in one read.  ops->far_jmp loads CS (or raises
 * the fault); RIP is the offset, zero-extended.
 */
static enum x86_emu_result exec_jmp_far(struct emu *e, u64 gva)
{
	unsigned int sz = e->opsz, i;
	enum x86_emu_result r;
	u8 buf[10] = { 0 };
	u64 off = 0;

	r = e->c->ops->read(e->c, gva, buf, sz + 2);
	if (r != X86EMU_DONE)
		return r;
	for (i = 0; i < sz; i++)
		off |= (u64)buf[i] << (8 * i);
	r = e->c->ops->far_jmp(e->c, buf[sz] | buf[sz + 1] << 8, off);
	if (r == X86EMU_DONE)
		e->rip = off;
	return r;
}

/*
 * The MMX moves: MOVQ mm, m64 (0F 6F) and MOVD/MOVQ mm, m32/m64 (0F 6E,
 * zero-extended to 64 bits) read memory into MMX register e->reg; MOVQ
 * m64, mm (0F 7F) and MOVD/MOVQ m32/m64, mm (0F 7E) write it (its low 4
 * bytes for MOVD).  Before the access, in the CPU's order: #UD with
 * CR0.EM, #NM with CR0.TS, then #MF for a pending x87 exception (from
 * get_mmx).  set_mmx, which also puts the x87 unit in MMX mode, is called
 * last, once the access is done.
 */
static enum x86_emu_result exec_mmx_mov(struct emu *e, u64 gva)
{
	const struct x86_emu_ops *ops = e->c->ops;
	bool load = e->opbyte == 0x6e || e->opbyte == 0x6f;
	enum x86_emu_result r;
	u64 cr0, v = 0;

	cr0 = ops->get_cr0(e->c);
	if (cr0 & X86_CR0_EM)
		return x86_emu_raise(e->c, VEC_UD, false, 0, 0);
	if (cr0 & X86_CR0_TS)
		return x86_emu_raise(e->c, VEC_NM, false, 0, 0);
	r = ops->get_mmx(e->c, e->reg, &v);
	if (r != X86EMU_DONE)
		return r;
	if (load)
		r = mem_read(e, gva, &v, e->opsz);
	else
		r = mem_write(e, gva, v, e->opsz);
	if (r == X86EMU_DONE)
		ops->set_mmx(e->c, e->reg, v, load);
	return r;
}

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
	case OP_MULDIV:
		return exec_muldiv(e, gva);
	case OP_SHXD:
		return exec_shxd(e, gva);
	case OP_CMOV:
		return exec_cmov(e, gva);
	case OP_PUSH:
	case OP_POP:
		return exec_pushpop(e, gva);
	case OP_SSE_MOV:
		return exec_sse_mov(e, gva);
	case OP_PUSH_R:
	case OP_POP_R:
	case OP_PUSH_IMM:
	case OP_RET:
	case OP_LEAVE:
	case OP_ENTER:
		return exec_stack(e);
	case OP_MOV_RM_SREG:
		/* A 16-bit store whatever the operand size. */
		return mem_write(e, gva, e->c->seg_sel[e->reg], 2);
	case OP_MOV_SREG_RM:
	case OP_POP_SREG:
		return exec_load_sreg(e, gva);
	case OP_JMP_NEAR:
	case OP_CALL_NEAR:
		return exec_jmp_near(e, gva);
	case OP_JMP_FAR:
		return exec_jmp_far(e, gva);
	case OP_MMX_MOV:
		return exec_mmx_mov(e, gva);
	case OP_LTR:
		r = read_rm16(e, gva, &v);
		return r == X86EMU_DONE ? e->c->ops->ltr(e->c, v) : r;
	case OP_XADD:
		/* r/m = r/m + reg, reg = the old r/m; the flags of the ADD. */
		r = mem_read(e, gva, &v, sz);
		if (r != X86EMU_DONE)
			return r;
		res = alu(ALU_ADD, v, get_reg(e, e->reg, sz), sz, &e->rflags);
		r = mem_write_rmw(e, gva, v, res, sz, e->lock);
		if (r == X86EMU_DONE)
			set_reg(e, e->reg, sz, v);
		return r;
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
		r = read_rm16(e, gva, &v);
		return r == X86EMU_DONE ? e->c->ops->lmsw(e->c, v) : r;
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

	if (!x86_emu_decode(&e))
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
