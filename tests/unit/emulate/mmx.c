// SPDX-License-Identifier: GPL-2.0
/*
 * The MMX moves: MOVQ mm, m64 (0F 6F), MOVQ m64, mm (0F 7F), MOVD/MOVQ
 * mm, m32/m64 (0F 6E) and m32/m64, mm (0F 7E), through the get_mmx and
 * set_mmx callbacks: the access, the register, the order of the checks
 * (#UD for CR0.EM, #NM for CR0.TS, #MF from get_mmx, all before the
 * access), set_mmx only when the instruction completes, and the forms
 * that are not emulated (the SSE ones with 66 or F3, register operands).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define MMX_GVA		0x10000ULL	/* RSI (RBX outside 64-bit mode) */
#define CR0_EM		0x4ULL
#define CR0_TS		0x8ULL
#define VEC_MF		16

static u8 mmx_mem[16];			/* at MMX_GVA */
static u64 mmx_reg[8];
static u64 mmx_cr0;
static int mmx_reads, mmx_writes, mmx_gets, mmx_sets, mmx_set_reg, mmx_get_reg;
static bool mmx_set_write, mmx_read_exits, mmx_pending_mf;
static unsigned int mmx_size;
static u64 mmx_gva, mmx_set_val;

static enum x86_emu_result mmx_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				    unsigned int size)
{
	(void)c;
	mmx_reads++;
	mmx_gva = gva;
	mmx_size = size;
	if (mmx_read_exits)
		return X86EMU_EXIT;
	if (gva < MMX_GVA || gva + size > MMX_GVA + sizeof(mmx_mem))
		return X86EMU_UNHANDLED;
	memcpy(val, mmx_mem + (gva - MMX_GVA), size);
	return X86EMU_DONE;
}

static enum x86_emu_result mmx_write(struct x86_emu_ctxt *c, u64 gva,
				     const void *val, unsigned int size)
{
	mmx_writes++;
	mmx_gva = gva;
	mmx_size = size;
	if (mmx_read_exits)	/* here: the write faults */
		return x86_emu_raise(c, 14, true, 2, gva);
	if (gva < MMX_GVA || gva + size > MMX_GVA + sizeof(mmx_mem))
		return X86EMU_UNHANDLED;
	memcpy(mmx_mem + (gva - MMX_GVA), val, size);
	return X86EMU_DONE;
}

static u64 mmx_get_cr0(struct x86_emu_ctxt *c)
{
	(void)c;
	return mmx_cr0;
}

static enum x86_emu_result mmx_get(struct x86_emu_ctxt *c, unsigned int reg, u64 *val)
{
	mmx_gets++;
	mmx_get_reg = reg;
	if (mmx_pending_mf)
		return x86_emu_raise(c, VEC_MF, false, 0, 0);
	*val = mmx_reg[reg & 7];
	return X86EMU_DONE;
}

static void mmx_set(struct x86_emu_ctxt *c, unsigned int reg, u64 val, bool write)
{
	(void)c;
	mmx_sets++;
	mmx_set_reg = reg;
	mmx_set_val = val;
	mmx_set_write = write;
	if (write)
		mmx_reg[reg & 7] = val;
}

static const struct x86_emu_ops mmx_ops = {
	.read = mmx_read, .write = mmx_write, .get_cr0 = mmx_get_cr0,
	.get_mmx = mmx_get, .set_mmx = mmx_set,
};

/* Each without one of the three callbacks it needs. */
static const struct x86_emu_ops mmx_ops_partial[] = {
	{ .read = mmx_read, .write = mmx_write, .get_mmx = mmx_get, .set_mmx = mmx_set },
	{ .read = mmx_read, .write = mmx_write, .get_cr0 = mmx_get_cr0, .set_mmx = mmx_set },
	{ .read = mmx_read, .write = mmx_write, .get_cr0 = mmx_get_cr0, .get_mmx = mmx_get },
};

/* Register n: 0x1n2n3n4n5n6n7n8n (n = 0-7); memory: 0xa0 + i. */
static void mmx_fill(void)
{
	unsigned int r, i;

	for (r = 0; r < 8; r++)
		mmx_reg[r] = 0x1020304050607080ULL | r * 0x0101010101010101ULL;
	for (i = 0; i < sizeof(mmx_mem); i++)
		mmx_mem[i] = 0xa0 + i;
	mmx_reads = mmx_writes = mmx_gets = mmx_sets = 0;
	mmx_set_reg = mmx_get_reg = -1;
	mmx_set_val = 0;
	mmx_set_write = false;
	mmx_size = 0;
	mmx_gva = 0;
	mmx_read_exits = mmx_pending_mf = false;
}

static void mmx_ctxt(struct x86_emu_ctxt *c, enum x86_emu_mode mode, const char *hex,
		     unsigned int off)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->insn_len = hex_bytes(hex, c->insn, sizeof(c->insn));
	memcpy(c->regs, def_regs, sizeof(c->regs));
	c->regs[RSI] = MMX_GVA + off;
	c->regs[RBX] = MMX_GVA + off;
	c->regs[R12] = MMX_GVA + off - 0x1000;
	if (mode == X86_EMU_REAL || mode == X86_EMU_PROT16) {
		/* [bx] wraps at 64 KiB: the memory is DS's, from its base. */
		c->regs[RBX] = off;
		c->seg_base[X86_SEG_DS] = MMX_GVA;
	}
	c->rip = 0x2000;
	c->rflags = 0x2;
	c->ops = &mmx_ops;
}

void mmx_tests(void)
{
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
		unsigned int off;	/* RSI/RBX = MMX_GVA + off */
		u64 cr0;
		char kind;		/* 'l' load, 's' store, 'x' exception, 'u' UNHANDLED */
		int mm;			/* the register */
		unsigned int size;	/* the access; 'x': the vector */
		unsigned int len;
	} t[] = {
		/* kvm-unit-tests' emulator test, with its encodings. */
		{ X86_EMU_LONG64, "41 0f 7f 84 24 00 10 00 00", 0, 0, 's', 0, 8, 9 },
		{ X86_EMU_LONG64, "41 0f 6f 8c 24 00 10 00 00", 0, 0, 'l', 1, 8, 9 },
		{ X86_EMU_LONG64, "0f 6f 3e", 4, 0, 'l', 7, 8, 3 },
		{ X86_EMU_LONG64, "44 0f 6f 1e", 2, 0, 'l', 3, 8, 4 },	/* REX.R ignored */
		{ X86_EMU_LONG64, "4c 0f 7f 26", 8, 0, 's', 4, 8, 4 },	/* REX.WR ignored */
		{ X86_EMU_LONG64, "0f 6e 2e", 4, 0, 'l', 5, 4, 3 },	/* movd mm5, m32 */
		{ X86_EMU_LONG64, "48 0f 6e 16", 1, 0, 'l', 2, 8, 4 },	/* movq mm2, m64 */
		{ X86_EMU_LONG64, "0f 7e 36", 3, 0, 's', 6, 4, 3 },	/* movd m32, mm6 */
		{ X86_EMU_LONG64, "48 0f 7e 0e", 0, 0, 's', 1, 8, 4 },	/* movq m64, mm1 */
		{ X86_EMU_LONG64, "0f 7f 06", 0, 0, 's', 0, 8, 3 },
		{ X86_EMU_PROT32, "0f 7f 2b", 0, 0, 's', 5, 8, 3 },
		{ X86_EMU_PROT32, "0f 6e 23", 8, 0, 'l', 4, 4, 3 },
		{ X86_EMU_REAL, "0f 6e 3f", 0, 0, 'l', 7, 4, 3 },	/* [bx], 16-bit mode */
		{ X86_EMU_PROT16, "0f 7e 1f", 4, 0, 's', 3, 4, 3 },
		/* Before the access: #UD (EM), then #NM (TS). */
		{ X86_EMU_LONG64, "0f 7f 06", 0, CR0_EM, 'x', 0, 6, 0 },
		{ X86_EMU_LONG64, "0f 6f 06", 0, CR0_TS, 'x', 0, 7, 0 },
		{ X86_EMU_LONG64, "0f 6e 06", 0, CR0_TS | CR0_EM, 'x', 0, 6, 0 },
		{ X86_EMU_LONG64, "0f 7e 06", 0, CR0_TS, 'x', 0, 7, 0 },
		/* Not emulated: the SSE forms, register operands, LOCK, F2. */
		{ X86_EMU_LONG64, "66 0f 6e 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "66 0f 7e 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f3 0f 7e 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f3 0f 6e 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f2 0f 6f 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "66 f3 0f 7f 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f0 0f 6f 06", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "0f 6f c1", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "0f 7e c0", 0, 0, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "0f 6e", 0, 0, 'u', 0, 0, 0 },
	};
	struct group g;
	unsigned int i, j;

	group_begin(&g, "table: MMX moves MOVQ MOVD (0f 6e 6f 7e 7f)");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u8 want_mem[sizeof(mmx_mem)];
		u64 want_reg[8];
		struct x86_emu_ctxt c;
		enum x86_emu_result r;
		u64 gva = MMX_GVA + t[i].off;
		bool ok;

		case_begin(&g);
		mmx_fill();
		memcpy(want_mem, mmx_mem, sizeof(mmx_mem));
		memcpy(want_reg, mmx_reg, sizeof(mmx_reg));
		if (t[i].kind == 'l') {
			want_reg[t[i].mm] = 0;
			memcpy(&want_reg[t[i].mm], mmx_mem + t[i].off, t[i].size);
		} else if (t[i].kind == 's') {
			memcpy(want_mem + t[i].off, &mmx_reg[t[i].mm], t[i].size);
		}
		mmx_ctxt(&c, t[i].mode, t[i].hex, t[i].off);
		mmx_cr0 = t[i].cr0;
		r = x86_emulate(&c);
		switch (t[i].kind) {
		case 'l':
		case 's':
			ok = r == X86EMU_DONE && c.len == t[i].len &&
			     c.rip == 0x2000 + t[i].len && mmx_size == t[i].size &&
			     mmx_gva == gva && mmx_reads + mmx_writes == 1 &&
			     (t[i].kind == 'l' ? mmx_reads : mmx_writes) == 1 &&
			     mmx_gets == 1 && mmx_get_reg == t[i].mm &&
			     mmx_sets == 1 && mmx_set_reg == t[i].mm &&
			     mmx_set_write == (t[i].kind == 'l') &&
			     (t[i].kind == 's' || mmx_set_val == want_reg[t[i].mm]);
			break;
		case 'x':
			ok = r == X86EMU_FAULT && c.exception.vector == t[i].size &&
			     !c.exception.has_error && c.rip == 0x2000 &&
			     !mmx_reads && !mmx_writes && !mmx_gets && !mmx_sets;
			break;
		default:
			ok = r == X86EMU_UNHANDLED && !mmx_reads && !mmx_writes &&
			     !mmx_gets && !mmx_sets;
			break;
		}
		ok = ok && !memcmp(mmx_mem, want_mem, sizeof(mmx_mem)) &&
		     !memcmp(mmx_reg, want_reg, sizeof(mmx_reg));
		if (!ok)
			case_fail(&g, "%s (%s): %s, vector %u, len %u, %d reads %d writes %d gets %d sets (mm%d %s %#llx), %u bytes at %#llx",
				  t[i].hex, mode_name(t[i].mode), result_name(r),
				  c.exception.vector, c.len, mmx_reads, mmx_writes,
				  mmx_gets, mmx_sets, mmx_set_reg,
				  mmx_set_write ? "write" : "mode", (unsigned long long)mmx_set_val,
				  mmx_size, (unsigned long long)mmx_gva);
		case_end(&g);

		if (t[i].kind != 'l' && t[i].kind != 's')
			continue;
		/* #MF (get_mmx) comes before the access; nothing is set. */
		case_begin(&g);
		mmx_fill();
		mmx_ctxt(&c, t[i].mode, t[i].hex, t[i].off);
		mmx_pending_mf = true;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || c.exception.vector != VEC_MF || c.rip != 0x2000 ||
		    mmx_reads || mmx_writes || mmx_sets)
			case_fail(&g, "%s: #MF: %s, vector %u, %d reads %d writes %d sets",
				  t[i].hex, result_name(r), c.exception.vector, mmx_reads,
				  mmx_writes, mmx_sets);
		/* A read that exits, or a write that faults: nothing set. */
		mmx_fill();
		mmx_ctxt(&c, t[i].mode, t[i].hex, t[i].off);
		mmx_read_exits = true;
		r = x86_emulate(&c);
		if (r != (t[i].kind == 'l' ? X86EMU_EXIT : X86EMU_FAULT) || mmx_sets ||
		    c.rip != 0x2000 || mmx_reads + mmx_writes != 1)
			case_fail(&g, "%s: an access that does not complete: %s, %d sets",
				  t[i].hex, result_name(r), mmx_sets);
		/* Without one of the callbacks: not emulated. */
		for (j = 0; j < 3; j++) {
			mmx_fill();
			mmx_ctxt(&c, t[i].mode, t[i].hex, t[i].off);
			c.ops = &mmx_ops_partial[j];
			r = x86_emulate(&c);
			if (r != X86EMU_UNHANDLED || mmx_reads || mmx_writes || mmx_gets ||
			    mmx_sets)
				case_fail(&g, "%s: without callback %u: %s", t[i].hex, j,
					  result_name(r));
		}
		case_end(&g);
	}
	group_end(&g);
}
