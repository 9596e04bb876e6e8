#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Mutation check of the emulator's unit tests: build test_emulate against
copies of kvm/emulate.c and kvm/emulate_decode.c that each carry one
deliberate bug, and check that every copy fails the tests.  A bug the tests do not catch is a hole in them.

    python3 mutants.py OUTDIR [CASES]     (make mutants)

Each mutant is (name, text in one of the two, replacement).  When they
change, a mutant whose text is gone is reported as stale: update it.
Mutants that cannot change behaviour (equivalent mutants) are left out.
"""
import os
import subprocess
import sys

MUTANTS = [
 ("PF wrong", "\treturn !(v & 1);", "\treturn (v & 1);"),
 ("16-bit BP no SS", "\t\tif (base[rm] == R_BP)\n\t\t\te->seg = X86_SEG_SS;", ""),
 ("32-bit ESP/EBP base no SS", "\t\t\tif (base == R_SP || base == R_BP)\n\t\t\t\te->seg = X86_SEG_SS;", ""),
 ("32-bit rm=EBP no SS", "\t\tif (rm == R_BP)\n\t\t\te->seg = X86_SEG_SS;", ""),
 ("ea not masked", "\te->ea &= size_mask(e->adsz);", ""),
 ("linear not wrapped", "\treturn (u32)(c->seg_base[seg] + ea);", "\treturn c->seg_base[seg] + ea;"),
 ("64-bit all seg bases", "\t\tif (seg == X86_SEG_FS || seg == X86_SEG_GS)\n\t\t\treturn c->seg_base[seg] + ea;\n\t\treturn ea;", "\t\treturn c->seg_base[seg] + ea;"),
 ("64-bit no seg bases", "\t\tif (seg == X86_SEG_FS || seg == X86_SEG_GS)\n\t\t\treturn c->seg_base[seg] + ea;\n\t\treturn ea;", "\t\treturn ea;"),
 ("dead REX kept", "\t\t/* A REX prefix counts only right before the opcode. */\n\t\te->rex = 0;", ""),
 ("no high bytes", "\treturn size == 1 && !e->rex && r >= 4 && r < 8;", "\treturn false;"),
 ("high bytes with REX", "\treturn size == 1 && !e->rex && r >= 4 && r < 8;", "\treturn size == 1 && r >= 4 && r < 8;"),
 ("32-bit write keeps upper", "\t\te->regs[r] = (u32)v;", "\t\te->regs[r] = (e->regs[r] & ~0xffffffffULL) | (u32)v;"),
 ("16-bit write zero-extends", "\t\te->regs[r] = (e->regs[r] & ~0xffffULL) | (v & 0xffff);", "\t\te->regs[r] = v & 0xffff;"),
 ("no AF on SUB", "\t\tif ((a ^ b) & (a ^ res) & sign)\n\t\t\tfl |= EFL_OF;\n\t\tfl |= (a ^ b ^ res) & EFL_AF;", "\t\tif ((a ^ b) & (a ^ res) & sign)\n\t\t\tfl |= EFL_OF;"),
 ("ADD OF wrong", "\t\tif ((a ^ res) & (b ^ res) & sign)", "\t\tif ((a ^ b) & (a ^ res) & sign)"),
 ("ADC carry-in ignored for CF", "\t\tif (res < a || (carry_in && res == a))", "\t\tif (res < a)"),
 ("SBB borrow ignored for CF", "\t\tif (a < b || (carry_in && a == b))", "\t\tif (a < b)"),
 ("AF set by logic ops", "\tcase ALU_OR:\n\t\tres = a | b;", "\tcase ALU_OR:\n\t\tres = a | b;\n\t\tfl |= EFL_AF;"),
 ("SF from bit 63", "\tif (res & sign)\n\t\tfl |= EFL_SF;", "\tif (res >> 63)\n\t\tfl |= EFL_SF;"),
 ("RIP-relative from insn start", "\tif (e->rip_rel)\n\t\te->ea += e->rip;", "\tif (e->rip_rel)\n\t\te->ea += e->c->rip;"),
 ("REP count full width", "\t\tset_reg(e, R_CX, asz, count - 1);", "\t\tset_reg(e, R_CX, 8, count - 1);"),
 ("REP RIP never advances", "\t\tstop = count == 1;", "\t\tstop = count == 0;"),
 ("REP RIP advances every time", "\t\tif (!stop)\n\t\t\te->rip = e->c->rip;", ""),
 ("REPE ignores ZF", "\t\t\tif (e->rep && !(e->rflags & EFL_ZF))\n\t\t\t\tstop = true;", ""),
 ("REPNE ignores ZF", "\t\t\tif (e->repne && (e->rflags & EFL_ZF))\n\t\t\t\tstop = true;", ""),
 ("REPE/REPNE swapped", "\t\t\tif (e->rep && !(e->rflags & EFL_ZF))", "\t\t\tif (e->rep && (e->rflags & EFL_ZF))"),
 ("CMPS operands swapped", "\t\t\talu(ALU_CMP, v, w, sz, &e->rflags);", "\t\t\talu(ALU_CMP, w, v, sz, &e->rflags);"),
 ("LODS moves rDI", "\tbool has_dst = op != OP_LODS;", "\tbool has_dst = true;"),
 ("SCAS moves rSI", "\tbool has_src = op == OP_MOVS || op == OP_CMPS || op == OP_LODS;", "\tbool has_src = op != OP_STOS;"),
 ("F2 F3: first wins", "\t\t\te->repne = true;\n\t\t\te->rep = false;", "\t\t\tif (!e->rep)\n\t\t\t\te->repne = true;"),
 ("INC sets CF", "\t\te->rflags = (e->rflags & ~EFL_CF) | cf;", ""),
 ("NEG as NOT", "\t\tres = alu(ALU_SUB, 0, a, sz, &e->rflags);", "\t\tres = ~a & size_mask(sz);"),
 ("BT register offset unsigned", "\t\tea += (u64)((s64)(off & ~(u64)(bits - 1)) / 8);", "\t\tea += (off & ~(u64)(bits - 1)) / 8;"),
 ("BT register offset ignored", "\t\tea += (u64)((s64)(off & ~(u64)(bits - 1)) / 8);", ""),
 ("BTR as BTS", "\t\treturn mem_write_rmw(e, ea, v, v & ~bit, sz, e->lock);", "\t\treturn mem_write_rmw(e, ea, v, v | bit, sz, e->lock);"),
 ("BSF of 0 writes", "\t\te->rflags |= EFL_ZF;\n\t\treturn X86EMU_DONE;", "\t\te->rflags |= EFL_ZF;"),
 ("BSR as BSF", "\tset_reg(e, e->reg, sz, e->opbyte == 0xbc ? __builtin_ctzll(v) :", "\tset_reg(e, e->reg, sz, 1 ? __builtin_ctzll(v) :"),
 ("IMUL narrow overflow missed", "\tif (sz < 8 && (s64)sign_extend(res, sz) != res)\n\t\tovf = true;", ""),
 ("REP count 0 does one", "\t\tif (count == 0)\n\t\t\treturn X86EMU_DONE;", ""),
 ("string index full width", "\t\tset_reg(e, R_SI, asz, e->regs[R_SI] + step);", "\t\tset_reg(e, R_SI, 8, e->regs[R_SI] + step);"),
 ("DF ignored", "\tu64 step = e->rflags & EFL_DF ? -(u64)sz : sz;", "\tu64 step = sz;"),
 ("string source ignores override", "\tint sseg = e->seg_override >= 0 ? e->seg_override : X86_SEG_DS;", "\tint sseg = X86_SEG_DS;"),
 ("string destination honours override", "\tu64 dst = linear(e, X86_SEG_ES, e->regs[R_DI] & amask);", "\tu64 dst = linear(e, e->seg_override >= 0 ? e->seg_override : X86_SEG_ES, e->regs[R_DI] & amask);"),
 ("commit on EXIT/FAULT", "\tr = execute(&e);\n\tif (r != X86EMU_DONE)\n\t\treturn r;\n\n\tmemcpy(c->regs, e.regs, sizeof(c->regs));", "\tr = execute(&e);\n\tc->rflags = e.rflags;\n\tc->rip = e.rip;\n\tif (r != X86EMU_DONE)\n\t\treturn r;\n\n\tmemcpy(c->regs, e.regs, sizeof(c->regs));"),
 ("XCHG writes first", "\t\tr = mem_read(e, gva, &v, sz);\n\t\tif (r == X86EMU_DONE)\n\t\t\tr = mem_write_rmw(e, gva, v, get_reg(e, e->reg, sz), sz,\n\t\t\t\t\t  true);", "\t\tr = mem_write(e, gva, get_reg(e, e->reg, sz), sz);\n\t\tif (r == X86EMU_DONE)\n\t\t\tr = mem_read(e, gva, &v, sz);"),
 ("LOCK anywhere", "\t\tif (!(e->d.flags & F_LOCK))\n\t\t\treturn false;", ""),
 ("LOCK CMP", "\t\tif ((e->d.op == OP_ALU_RM_R && alu_op(e) == ALU_CMP) ||\n\t\t    (e->d.op == OP_ALU_RM_IMM && e->digit == ALU_CMP) ||", "\t\tif ("),
 ("LOCK BT", "\t\t    (e->d.op == OP_BT && bt_op(e) == 0))", "\t\t    0)"),
 ("register operands", "\t\treturn e->d.flags & F_REGFORM;", "\t\tif (!(e->d.flags & F_REGFORM))\n\t\t\tmod = 0;\n\t\telse\n\t\t\treturn true;"),
 ("CMP writes", "\tif (op == ALU_CMP || op == ALU_TEST)\n\t\treturn X86EMU_DONE;", "\tif (op == ALU_TEST)\n\t\treturn X86EMU_DONE;"),
 ("CMP r, m writes", "\t\tif (alu_op(e) != ALU_CMP)\n\t\t\tset_reg", "\t\tif (1)\n\t\t\tset_reg"),
 ("imm64", "\t\tif (!fetch_signed(e, e->opsz == 2 ? 2 : 4, &e->imm))", "\t\tif (!fetch_signed(e, e->opsz == 2 ? 2 : e->opsz, &e->imm))"),
 ("imm8 zero-extended", "\tif (e->d.flags & F_IMM8) {\n\t\tif (!fetch_signed(e, 1, &e->imm))", "\tif (e->d.flags & F_IMM8) {\n\t\tif (!fetch(e, 1, &e->imm))"),
 ("moffs always 4", "\t\tif (!fetch(e, e->adsz, &moffs))", "\t\tif (!fetch(e, 4, &moffs))"),
 ("MOVSX zero-extends", "\t\tif (e->d.op != OP_MOVZX)\n\t\t\tv = sign_extend(v, e->d.src_size);", ""),
 ("disp8 unsigned", "\tif (mod == 1 && !fetch_signed(e, 1, &disp))\n\t\treturn false;\n\tif (mod == 2 && !fetch_signed(e, 4, &disp))", "\tif (mod == 1 && !fetch(e, 1, &disp))\n\t\treturn false;\n\tif (mod == 2 && !fetch_signed(e, 4, &disp))"),
 ("disp32 unsigned", "\tif (mod == 2 && !fetch_signed(e, 4, &disp))", "\tif (mod == 2 && !fetch(e, 4, &disp))"),
 ("SIB no-base uses REX.B", "\t\tif (mod == 0 && base == R_BP) {", "\t\tif (mod == 0 && (base | ((e->rex & 1) << 3)) == R_BP) {"),
 ("index 4 with REX.X is none", "\t\tif (index != R_SP)", "\t\tif ((index & 7) != R_SP)"),
 ("scale ignored", "\t\t\tea = e->regs[index] << (sib >> 6);", "\t\t\tea = e->regs[index];"),
 ("truncation ignored", "\tif (e->pos + n > avail)\n\t\treturn false;", ""),
 ("SUB operands swapped (r, m)", "\t\tres = alu(alu_op(e), get_reg(e, e->reg, sz), v, sz, &e->rflags);", "\t\tres = alu(alu_op(e), v, get_reg(e, e->reg, sz), sz, &e->rflags);"),
 ("two segment prefixes: last wins", "\t\t\tif (e->seg_override >= 0 &&\n\t\t\t    e->seg_override != seg_of[b] - 1)\n\t\t\t\treturn false;", ""),
 ("IP not wrapped", "\telse if (mode != X86_EMU_LONG64)\n\t\te->rip &= 0xffffULL;", ""),
 ("exception not cleared", "\tmemset(&c->exception, 0, sizeof(c->exception));", ""),
 ("REX.W ignored", "\t\te->opsz = (e->rex & 8) ? 8 : e->opsz_pfx ? 2 : 4;", "\t\te->opsz = e->opsz_pfx ? 2 : 4;"),
 ("66 beats REX.W", "\t\te->opsz = (e->rex & 8) ? 8 : e->opsz_pfx ? 2 : 4;", "\t\te->opsz = e->opsz_pfx ? 2 : (e->rex & 8) ? 8 : 4;"),
 ("67 ignored in 64-bit", "\t\te->adsz = e->adsz_pfx ? 4 : 8;", "\t\te->adsz = 8;"),
 ("F3 accepted anywhere", "\tif (e->rep && !(e->d.flags & F_REP))\n\t\treturn false;", ""),
 ("F2 accepted", "\tif (e->repne && !(e->d.flags & F_REPNE))\n\t\treturn false;", ""),
 ("C6 any digit", "\t\tif ((e->d.flags & F_REG0) && e->digit != 0)\n\t\t\treturn false;", ""),
 ("REX.R ignored", "\te->reg = e->digit | ((e->rex & 4) << 1);", "\te->reg = e->digit;"),
 ("MOVSXD in 32-bit mode", "\tif ((e->d.flags & F_ONLY64) && mode != X86_EMU_LONG64)\n\t\treturn false;", ""),
 ("no 15-byte clamp", "\tif (avail > X86_EMU_MAX_INSN_LEN)\n\t\tavail = X86_EMU_MAX_INSN_LEN;", "\tif (avail > 16)\n\t\tavail = 16;"),
 # XADD, MUL/IMUL/DIV/IDIV, SHLD/SHRD, CMOVcc, PUSH/POP m (arith.c).
 ("XADD as ADC", "res = alu(ALU_ADD, v, get_reg(e, e->reg, sz), sz, &e->rflags);", "res = alu(ALU_ADC, v, get_reg(e, e->reg, sz), sz, &e->rflags);"),
 ("XADD not locked", "\t\tr = mem_write_rmw(e, gva, v, res, sz, e->lock);\n\t\tif (r == X86EMU_DONE)\n\t\t\tset_reg(e, e->reg, sz, v);", "\t\tr = mem_write_rmw(e, gva, v, res, sz, false);\n\t\tif (r == X86EMU_DONE)\n\t\t\tset_reg(e, e->reg, sz, v);"),
 ("XADD register keeps its value", "\t\tr = mem_write_rmw(e, gva, v, res, sz, e->lock);\n\t\tif (r == X86EMU_DONE)\n\t\t\tset_reg(e, e->reg, sz, v);", "\t\tr = mem_write_rmw(e, gva, v, res, sz, e->lock);"),
 ("IMUL/IDIV unsigned", "\tbool sgn = e->digit & 1, nneg = false, qneg = false;", "\tbool sgn = false, nneg = false, qneg = false;"),
 ("MUL never overflows", "\t\tif (sgn ? (__int128)n != (s64)sign_extend(lo, sz) : hi != 0)", "\t\tif (sgn ? (__int128)n != (s64)sign_extend(lo, sz) : 0)"),
 ("IMUL overflow from the high half", "\t\tif (sgn ? (__int128)n != (s64)sign_extend(lo, sz) : hi != 0)", "\t\tif (hi != 0)"),
 ("MUL byte into AL and DL", "\tif (sz == 1) {\n\t\tset_reg(e, R_AX, 2, (hi & 0xff) << 8 | (lo & 0xff));", "\tif (0) {\n\t\tset_reg(e, R_AX, 2, (hi & 0xff) << 8 | (lo & 0xff));"),
 ("DIV quotient overflow unchecked", "\tif (q > (sgn ? (1ULL << (bits - 1)) - !qneg : size_mask(sz)))\n\t\treturn x86_emu_raise(e->c, VEC_DE, false, 0, 0);\n", ""),
 ("IDIV minimum quotient is #DE", "(1ULL << (bits - 1)) - !qneg", "(1ULL << (bits - 1)) - 1"),
 ("IDIV quotient 2^(n-1) accepted", "(1ULL << (bits - 1)) - !qneg", "(1ULL << (bits - 1))"),
 ("IDIV remainder with the divisor's sign", "\thi = nneg ? -rem : rem;", "\thi = qneg ? -rem : rem;"),
 ("DIV flags kept", "\te->rflags = (e->rflags & ~(EFL_ZF | EFL_SF | EFL_PF)) | EFL_AF;", ""),
 ("DIV loses dividend bits", "\t\thi = hi << 1 | lo >> 63;", "\t\thi = hi << 1;"),
 ("DIV 128-bit carry ignored", "\t\tif (top || hi >= m) {", "\t\tif (hi >= m) {"),
 ("IDIV dividend not sign-extended", "\tif (sgn && sz < 8)\n\t\tn = (unsigned __int128)(__int128)(s64)sign_extend((u64)n, sz * 2);", ""),
 ("SHLD count mod 32 for 64 bits", "(sz == 8 ? 63 : 31)", "31"),
 ("SHxD count 0 not written back", "\tif (!n)\n\t\treturn mem_write_rmw(e, gva, d, d, sz, false);", "\tif (!n)\n\t\treturn X86EMU_DONE;"),
 ("SHxD count 0 sets flags", "\tif (!n)\n\t\treturn mem_write_rmw(e, gva, d, d, sz, false);", "\tif (!n && (!left || sz == 8))\n\t\treturn mem_write_rmw(e, gva, d, d, sz, false);"),
 ("SHLD 16-bit r/m:reg:r/m", "(unsigned __int128)(d << 32 | s << 16 | s)", "(unsigned __int128)(d << 32 | s << 16 | d)"),
 ("SHRD 16-bit r/m:reg:r/m", "(unsigned __int128)(s << 32 | s << 16 | d)", "(unsigned __int128)(d << 32 | s << 16 | d)"),
 ("SHxD AF clear", "\te->rflags |= EFL_AF | (cf ? EFL_CF : 0)", "\te->rflags |= (cf ? EFL_CF : 0)"),
 ("SHRD OF as SHLD", "(left ? cf : res >> (bits - 2))", "cf"),
 ("SHxD 16-bit CF over 16 kept", "\tif (sz == 2 && n > 16)\n\t\tcf = 0;", ""),
 ("SHLD by 16 OF formula", "\tif (sz == 2 && left && n >= 16)\n\t\tof = cf;", ""),
 ("SHRD as SHLD", "\tbool left = !(e->opbyte & 8);", "\tbool left = true;"),
 ("SHxD CL ignored", "(e->opbyte & 1 ? get_reg(e, R_CX, 1) : e->imm)", "(e->imm)"),
 ("CMOV false: no zero-extension", "\tif (!cond(e->rflags, e->opbyte))\n\t\tv = get_reg(e, e->reg, sz);\n\tset_reg(e, e->reg, sz, v);", "\tif (cond(e->rflags, e->opbyte))\n\t\tset_reg(e, e->reg, sz, v);"),
 ("CMOV false: no read", "\tr = mem_read(e, gva, &v, sz);\n\tif (r != X86EMU_DONE)\n\t\treturn r;\n\tif (!cond(e->rflags, e->opbyte))", "\tif (!cond(e->rflags, e->opbyte))\n\t\treturn X86EMU_DONE;\n\tr = mem_read(e, gva, &v, sz);\n\tif (r != X86EMU_DONE)\n\t\treturn r;\n\tif (0)"),
 ("cond LE without ZF", "\t\tt = (fl & EFL_ZF) || sf_ne_of;", "\t\tt = sf_ne_of;"),
 ("cond BE as B", "\t\tt = fl & (EFL_CF | EFL_ZF);", "\t\tt = fl & EFL_CF;"),
 ("cond L as S", "\tcase 6:\n\t\tt = sf_ne_of;", "\tcase 6:\n\t\tt = fl & EFL_SF;"),
 ("cond odd cc not negated", "\treturn t != (cc & 1);", "\treturn t;"),
 ("POP m address with the old RSP", "\t\tif (e->base_sp)\n\t\t\tgva = linear(e, e->seg, (e->ea + sz) & size_mask(e->adsz));", ""),
 ("POP m RSP-based address not wrapped", "(e->ea + sz) & size_mask(e->adsz)", "e->ea + sz"),
 ("PUSH RSP not moved", "\t\t\treturn r;\n\t\trsp -= sz;", "\t\t\treturn r;"),
 ("PUSH/POP 66 with REX.W is 16 bits", "\t\te->opsz = e->opsz_pfx && !(e->rex & 8) ? 2 : 8;", "\t\te->opsz = e->opsz_pfx ? 2 : 8;"),
 ("PUSH m in any mode", "\t\te->d.op = OP_PUSH;\n\t\treturn long64;", "\t\te->d.op = OP_PUSH;\n\t\treturn true;"),
 ("RSP base ignores REX.B", "\t\t\te->base_sp = (base | ((e->rex & 1) << 3)) == R_SP;", "\t\t\te->base_sp = base == R_SP;"),
 ("MUL/DIV lockable", "\tcase 4 ... 7:\n\t\te->d.op = OP_MULDIV;", "\tcase 4 ... 7:\n\t\te->d.flags |= F_LOCK;\n\t\te->d.op = OP_MULDIV;"),
 ("SSE 6F is a store", "e->opbyte == 0x28 || e->opbyte == 0x6f;", "e->opbyte == 0x28;"),
 ("SSE no alignment check", "\tif (e->sse_aligned && (gva & 15))", "\tif (0)"),
 ("SSE MOVAPS unaligned", "\tcase 0x29:\n\t\te->sse_aligned = true;", "\tcase 0x29:"),
 ("SSE MOVDQU aligned", "\t\te->sse_aligned = e->opsz_pfx;", "\t\te->sse_aligned = true;"),
 ("SSE #NM before #UD", "\tif ((cr0 & X86_CR0_EM) || !(ops->get_cr4(e->c) & X86_CR4_OSFXSR))\n\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);\n\tif (cr0 & X86_CR0_TS)\n\t\treturn x86_emu_raise(e->c, VEC_NM, false, 0, 0);", "\tif (cr0 & X86_CR0_TS)\n\t\treturn x86_emu_raise(e->c, VEC_NM, false, 0, 0);\n\tif ((cr0 & X86_CR0_EM) || !(ops->get_cr4(e->c) & X86_CR4_OSFXSR))\n\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);"),
 ("SSE ignores OSFXSR", " || !(ops->get_cr4(e->c) & X86_CR4_OSFXSR))", ")"),
 ("SSE set_xmm on EXIT", "\tif (r == X86EMU_DONE)\n\t\tops->set_xmm(e->c, e->reg, buf);", "\tops->set_xmm(e->c, e->reg, buf);"),
 ("LTR in real mode", "\tif ((e->d.flags & F_NOTREAL) && mode == X86_EMU_REAL)\n\t\treturn false;", ""),
 ("LTR any digit", "(e->digit != 3 || !e->c->ops->ltr)", "(!e->c->ops->ltr)"),
 ("LTR reads by operand size", "\tif (e->rm_reg >= 0) {\n\t\t*v = get_reg(e, e->rm_reg, 2);\n\t\treturn X86EMU_DONE;\n\t}\n\treturn mem_read(e, gva, v, 2);", "\tif (e->rm_reg >= 0) {\n\t\t*v = get_reg(e, e->rm_reg, 2);\n\t\treturn X86EMU_DONE;\n\t}\n\treturn mem_read(e, gva, v, e->opsz);"),
 ("PUSH reg after the decrement", "\t\tv = e->d.op == OP_PUSH_R ? get_reg(e, e->reg, sz) : e->imm;\n\t\trsp -= sz;", "\t\trsp -= sz;\n\t\te->regs[R_SP] = rsp;\n\t\tv = e->d.op == OP_PUSH_R ? get_reg(e, e->reg, sz) : e->imm;"),
 ("POP leaves RSP", "\te->regs[R_SP] = rsp + sz;\n\tif (e->d.op == OP_RET)", "\tif (e->d.op == OP_RET)"),
 ("RET to any address", "\tif (e->d.op == OP_RET && !canonical(e, v))", "\tif (0)"),
 ("RET canonical at 57 bits", "ops->get_cr4 && (ops->get_cr4(e->c) & X86_CR4_LA57) ?\n\t\t\t     7 : 16;", "7;"),
 ("RET by operand size", "\tcase OP_RET:\n\t\tsz = 8;\n\t\tbreak;", "\tcase OP_RET:\n\t\tbreak;"),
 ("ENTER ignores the frame size", "\t\te->regs[R_SP] = rsp - (e->imm & 0xffff);", "\t\te->regs[R_SP] = rsp;"),
 ("PUSH reg without REX.B", "\t\te->reg = (e->opbyte & 7) | ((e->rex & 1) << 3);", "\t\te->reg = e->opbyte & 7;"),
 ("ENTER any level", "!fetch(e, 1, &moffs) || moffs)", "!fetch(e, 1, &moffs))"),
 ("SSE without REX.R", "\t\tops->get_xmm(e->c, e->reg, buf);", "\t\tops->get_xmm(e->c, e->reg & 7, buf);"),
 # MOV Sreg, POP FS/GS, JMP and CALL through memory (sreg.c).
 ("MOV Sreg any reg", "\t\t    (e->reg >= X86_SEG_NR ||", "\t\t    (0 ||"),
 ("MOV Sreg, m16 without load_sreg", "\t\t     (e->d.op == OP_MOV_SREG_RM && !e->c->ops->load_sreg)))", "\t\t     0))"),
 ("MOV m16, Sreg by operand size", "e->c->seg_sel[e->reg], 2);", "e->c->seg_sel[e->reg], e->opsz);"),
 ("MOV m16, Sreg always DS", "e->c->seg_sel[e->reg], 2);", "e->c->seg_sel[X86_SEG_DS], 2);"),
 ("MOV Sreg, m16 by operand size", "\t\tr = mem_read(e, gva, &v, 2);\n\t} else {", "\t\tr = mem_read(e, gva, &v, e->opsz);\n\t} else {"),
 ("MOV CS, m16 allowed", "\t\tif (e->reg == X86_SEG_CS)\n\t\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);", ""),
 ("POP GS as FS", "\t\tseg = e->opbyte == 0xa1 ? X86_SEG_FS : X86_SEG_GS;", "\t\tseg = X86_SEG_FS;"),
 ("POP Sreg leaves RSP", "\tif (e->d.op == OP_POP_SREG)\n\t\te->regs[R_SP] = rsp + e->opsz;", ""),
 ("MOV Sreg moves RSP", "\tif (e->d.op == OP_POP_SREG)\n\t\te->regs[R_SP]", "\tif (1)\n\t\te->regs[R_SP]"),
 ("POP Sreg in any mode", "\t\treturn (struct opcode){ OP_POP_SREG, F_ONLY64, 0 };", "\t\treturn (struct opcode){ OP_POP_SREG, 0, 0 };"),
 ("POP Sreg without load_sreg", "\tif (e->d.op == OP_POP_SREG && !e->c->ops->load_sreg)\n\t\treturn false;", ""),
 ("POP Sreg ignores 66", "e->d.op == OP_PUSH_IMM ||\n\t    e->d.op == OP_POP_SREG)", "e->d.op == OP_PUSH_IMM)"),
 ("FE as group 5", "(e->opbyte == 0xfe || !group5(e))", "(!group5(e))"),
 ("group 5 lockable", "\te->d.flags &= ~F_LOCK;\n\tswitch (e->digit) {", "\tswitch (e->digit) {"),
 ("CALL m in any mode", "\t\te->d.op = OP_CALL_NEAR;\n\t\treturn long64;", "\t\te->d.op = OP_CALL_NEAR;\n\t\treturn true;"),
 ("far JMP without far_jmp", "\t\treturn e->c->ops->far_jmp;", "\t\treturn true;"),
 ("far CALL as far JMP", "\tcase 5:\n\t\te->d.op = OP_JMP_FAR;", "\tcase 3:\n\tcase 5:\n\t\te->d.op = OP_JMP_FAR;"),
 ("near JMP/CALL 66 in 64-bit mode", "\t\tif (e->opsz == 2)\n\t\t\treturn false;\n\t\te->opsz = 8;", "\t\te->opsz = 8;"),
 ("near JMP 32 bits in 64-bit mode", "\t\t\treturn false;\n\t\te->opsz = 8;\n\t}", "\t\t\treturn false;\n\t}"),
 ("near JMP 64 bits in every mode", "(e->d.op == OP_JMP_NEAR || e->d.op == OP_CALL_NEAR) &&\n\t    mode == X86_EMU_LONG64) {", "(e->d.op == OP_JMP_NEAR || e->d.op == OP_CALL_NEAR)) {"),
 ("near JMP to any address", "\tif (!canonical(e, v))\n\t\treturn x86_emu_raise(e->c, VEC_GP, true, 0, 0);\n\tif (e->d.op == OP_CALL_NEAR) {", "\tif (e->d.op == OP_CALL_NEAR) {"),
 ("CALL pushes the target", "linear(e, X86_SEG_SS, rsp), e->rip, 8);", "linear(e, X86_SEG_SS, rsp), v, 8);"),
 ("CALL leaves RSP", "\t\te->regs[R_SP] = rsp;\n\t}\n\te->rip = v;", "\t}\n\te->rip = v;"),
 ("CALL commits after a faulting push", "\t\tif (r != X86EMU_DONE)\n\t\t\treturn r;\n\t\te->regs[R_SP] = rsp;\n\t}", "\t\te->regs[R_SP] = rsp;\n\t}"),
 ("near JMP leaves RIP", "\t}\n\te->rip = v;\n\treturn X86EMU_DONE;", "\t}\n\treturn X86EMU_DONE;"),
 ("far JMP reads m16:32 always", "r = e->c->ops->read(e->c, gva, buf, sz + 2);", "r = e->c->ops->read(e->c, gva, buf, 6);"),
 ("far JMP selector first", "e->c->ops->far_jmp(e->c, buf[sz] | buf[sz + 1] << 8, off);", "e->c->ops->far_jmp(e->c, buf[0] | buf[1] << 8, off);"),
 ("far JMP offset 32 bits", "\tfor (i = 0; i < sz; i++)\n\t\toff |=", "\tfor (i = 0; i < sz && i < 4; i++)\n\t\toff |="),
 ("far JMP leaves RIP", "\tif (r == X86EMU_DONE)\n\t\te->rip = off;", ""),
 # MMX moves (mmx.c).
 ("MMX 66 F3 0F 6F emulated", "\t\tif (e->opsz_pfx && e->rep)\n\t\t\treturn false;", ""),
 ("MMX MOVQ 0F 6F not emulated", "\t\tif (!e->opsz_pfx && !e->rep) {", "\t\tif (0) {"),
 ("MMX with 66", "\tif (e->opsz_pfx)\n\t\treturn false;\n\te->reg = e->digit;", "\te->reg = e->digit;"),
 ("MMX with REX.R", "\te->reg = e->digit;\n\tif (e->opbyte & 1)", "\tif (e->opbyte & 1)"),
 ("MMX MOVQ 6F 7F 4 bytes", "\tif (e->opbyte & 1)\t\t/* 6F, 7F */\n\t\te->opsz = 8;", "\tif (0)\n\t\te->opsz = 8;"),
 ("MMX MOVD REX.W ignored", "\t\te->opsz = e->rex & 8 ? 8 : 4;", "\t\te->opsz = 4;"),
 ("MMX without callbacks", "\treturn ops->get_mmx && ops->set_mmx && ops->get_cr0;", "\treturn true;"),
 ("MMX 6E 7E with F3", "\t\treturn (struct opcode){ OP_MMX_MOV, F_MODRM, 0 };", "\t\treturn (struct opcode){ OP_MMX_MOV, F_MODRM | F_REP, 0 };"),
 ("MMX EM ignored", "\tif (cr0 & X86_CR0_EM)\n\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);\n\tif (cr0 & X86_CR0_TS)", "\tif (cr0 & X86_CR0_TS)"),
 ("MMX TS ignored", "\tif (cr0 & X86_CR0_TS)\n\t\treturn x86_emu_raise(e->c, VEC_NM, false, 0, 0);\n\tr = ops->get_mmx", "\tr = ops->get_mmx"),
 ("MMX #NM before #UD", "\tif (cr0 & X86_CR0_EM)\n\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);\n\tif (cr0 & X86_CR0_TS)\n\t\treturn x86_emu_raise(e->c, VEC_NM, false, 0, 0);\n\tr = ops->get_mmx", "\tif (cr0 & X86_CR0_TS)\n\t\treturn x86_emu_raise(e->c, VEC_NM, false, 0, 0);\n\tif (cr0 & X86_CR0_EM)\n\t\treturn x86_emu_raise(e->c, VEC_UD, false, 0, 0);\n\tr = ops->get_mmx"),
 ("MMX #MF ignored", "\tr = ops->get_mmx(e->c, e->reg, &v);\n\tif (r != X86EMU_DONE)\n\t\treturn r;", "\tops->get_mmx(e->c, e->reg, &v);"),
 ("MMX 6E a store", "\tbool load = e->opbyte == 0x6e || e->opbyte == 0x6f;", "\tbool load = e->opbyte == 0x6f;"),
 ("MMX 6F a store", "\tbool load = e->opbyte == 0x6e || e->opbyte == 0x6f;", "\tbool load = e->opbyte == 0x6e;"),
 ("MMX set_mmx on EXIT", "\tif (r == X86EMU_DONE)\n\t\tops->set_mmx(e->c, e->reg, v, load);", "\tops->set_mmx(e->c, e->reg, v, load);"),
 ("MMX store writes the register", "\t\tops->set_mmx(e->c, e->reg, v, load);", "\t\tops->set_mmx(e->c, e->reg, v, true);"),
 ("MMX store leaves x87 mode", "\tif (r == X86EMU_DONE)\n\t\tops->set_mmx(e->c, e->reg, v, load);", "\tif (r == X86EMU_DONE && load)\n\t\tops->set_mmx(e->c, e->reg, v, load);"),
]

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.abspath(os.path.join(here, "..", "..", ".."))
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, ".cache/unit/emulate"))
    cases = sys.argv[2] if len(sys.argv) > 2 else "20"
    work = os.path.join(out, "mutants")
    os.makedirs(work, exist_ok=True)
    # The emulator's sources: a mutant's text must be in exactly one of them, once.
    names = ("emulate.c", "emulate_decode.c")
    srcs = {n: open(os.path.join(top, "kvm", n)).read() for n in names}
    for h in ("emulate.h", "emulate_priv.h"):
        open(os.path.join(work, h), "w").write(open(os.path.join(top, "kvm", h)).read())
    tests = [os.path.join(here, f) for f in ("main.c", "harness.c", "native.c", "tables.c", "callbacks.c", "strings.c", "arith.c", "sse.c", "mmx.c", "sreg.c")]
    bad = 0
    for name, old, new in MUTANTS:
        where = [n for n in names if old in srcs[n]]
        count = sum(srcs[n].count(old) for n in names)
        if count != 1:
            print("STALE: %s (its text is in the emulator's sources %d times)" % (name, count))
            bad += 1
            continue
        for n in names:
            text = srcs[n].replace(old, new) if n in where else srcs[n]
            open(os.path.join(work, n), "w").write(text)
        exe = os.path.join(work, "test_emulate")
        cc = ["gcc", "-std=gnu11", "-O1", "-w", "-fno-stack-protector",
              "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
              "-I" + work, "-o", exe] + tests + [os.path.join(work, n) for n in names]
        r = subprocess.run(cc, capture_output=True, text=True)
        if r.returncode:
            print("STALE: %s (does not build)" % name)
            bad += 1
            continue
        r = subprocess.run(["timeout", "300", exe, cases], capture_output=True, text=True)
        failed = [l for l in r.stdout.splitlines() if l.startswith("FAIL: ")]
        if r.returncode == 0:
            print("SURVIVED: %s" % name)
            bad += 1
        else:
            print("killed by %d groups: %s" % (len(failed), name))
    print("%d mutants, %d not killed" % (len(MUTANTS), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
