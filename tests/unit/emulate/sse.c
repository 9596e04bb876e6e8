// SPDX-License-Identifier: GPL-2.0
/*
 * The 16-byte SSE moves (MOVUPS MOVUPD MOVAPS MOVAPD MOVDQA MOVDQU): one
 * 16-byte read into an XMM register or one 16-byte write of one, through
 * the get_xmm/set_xmm callbacks, with the #UD, #NM and #GP(0) checks that
 * come before the access, and the forms that are not emulated.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SSE_GVA		0x10000ULL	/* RSI (RBX in 32-bit mode) points here */
#define CR0_EM		0x4ULL
#define CR0_TS		0x8ULL
#define CR4_OSFXSR	0x200ULL

static u8 sse_mem[32];			/* at SSE_GVA */
static u8 sse_xmm[16][16];
static u64 sse_cr0, sse_cr4;
static int sse_reads, sse_writes, sse_sets;
static unsigned int sse_size;
static u64 sse_gva;
static bool sse_read_exits;

static enum x86_emu_result sse_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				    unsigned int size)
{
	(void)c;
	sse_reads++;
	sse_gva = gva;
	sse_size = size;
	if (sse_read_exits)
		return X86EMU_EXIT;
	if (gva < SSE_GVA || gva + size > SSE_GVA + sizeof(sse_mem))
		return X86EMU_UNHANDLED;
	memcpy(val, sse_mem + (gva - SSE_GVA), size);
	return X86EMU_DONE;
}

static enum x86_emu_result sse_write(struct x86_emu_ctxt *c, u64 gva,
				     const void *val, unsigned int size)
{
	(void)c;
	sse_writes++;
	sse_gva = gva;
	sse_size = size;
	if (gva < SSE_GVA || gva + size > SSE_GVA + sizeof(sse_mem))
		return X86EMU_UNHANDLED;
	memcpy(sse_mem + (gva - SSE_GVA), val, size);
	return X86EMU_DONE;
}

static u64 sse_get_cr0(struct x86_emu_ctxt *c)
{
	(void)c;
	return sse_cr0;
}

static u64 sse_get_cr4(struct x86_emu_ctxt *c)
{
	(void)c;
	return sse_cr4;
}

static void sse_get_xmm(struct x86_emu_ctxt *c, unsigned int reg, u8 val[16])
{
	(void)c;
	memcpy(val, sse_xmm[reg & 15], 16);
}

static void sse_set_xmm(struct x86_emu_ctxt *c, unsigned int reg,
			const u8 val[16])
{
	(void)c;
	sse_sets++;
	memcpy(sse_xmm[reg & 15], val, 16);
}

static const struct x86_emu_ops sse_ops = {
	.read = sse_read, .write = sse_write, .get_cr0 = sse_get_cr0,
	.get_cr4 = sse_get_cr4, .get_xmm = sse_get_xmm, .set_xmm = sse_set_xmm,
};

/* Without the XMM callbacks the moves are not emulated. */
static const struct x86_emu_ops sse_ops_no_xmm = {
	.read = sse_read, .write = sse_write, .get_cr0 = sse_get_cr0,
};

/* Register n's bytes: n * 16 + i; memory's: 0xa0 + i. */
static void sse_fill(void)
{
	unsigned int r, i;

	for (r = 0; r < 16; r++)
		for (i = 0; i < 16; i++)
			sse_xmm[r][i] = r * 16 + i;
	for (i = 0; i < sizeof(sse_mem); i++)
		sse_mem[i] = 0xa0 + i;
}

void sse_tests(void)
{
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
		unsigned int off;	/* RSI/RBX = SSE_GVA + off */
		u64 cr0, cr4;
		char kind;		/* 'l' load, 's' store, 'x' exception, 'u' UNHANDLED */
		int xmm;		/* the register loaded or stored */
		u8 vector;		/* 'x': the exception */
		unsigned int len;
	} t[] = {
		{ X86_EMU_LONG64, "0f 10 06", 0, 0, CR4_OSFXSR, 'l', 0, 0, 3 },	/* movups xmm0, [rsi] */
		{ X86_EMU_LONG64, "0f 11 0e", 8, 0, CR4_OSFXSR, 's', 1, 0, 3 },	/* movups [rsi], xmm1 */
		{ X86_EMU_LONG64, "66 0f 10 16", 4, 0, CR4_OSFXSR, 'l', 2, 0, 4 },	/* movupd */
		{ X86_EMU_LONG64, "66 0f 11 1e", 1, 0, CR4_OSFXSR, 's', 3, 0, 4 },
		{ X86_EMU_LONG64, "0f 28 26", 0, 0, CR4_OSFXSR, 'l', 4, 0, 3 },	/* movaps */
		{ X86_EMU_LONG64, "0f 29 2e", 16, 0, CR4_OSFXSR, 's', 5, 0, 3 },
		{ X86_EMU_LONG64, "66 0f 28 36", 0, 0, CR4_OSFXSR, 'l', 6, 0, 4 },	/* movapd */
		{ X86_EMU_LONG64, "66 0f 29 3e", 16, 0, CR4_OSFXSR, 's', 7, 0, 4 },
		{ X86_EMU_LONG64, "66 44 0f 6f 06", 0, 0, CR4_OSFXSR, 'l', 8, 0, 5 },	/* movdqa xmm8 */
		{ X86_EMU_LONG64, "66 44 0f 7f 3e", 16, 0, CR4_OSFXSR, 's', 15, 0, 5 },
		{ X86_EMU_LONG64, "f3 0f 6f 0e", 3, 0, CR4_OSFXSR, 'l', 1, 0, 4 },	/* movdqu */
		{ X86_EMU_LONG64, "f3 44 0f 7f 1e", 5, 0, CR4_OSFXSR, 's', 11, 0, 5 },
		{ X86_EMU_LONG64, "f3 48 0f 7f 16", 0, 0, CR4_OSFXSR, 's', 2, 0, 5 },	/* REX.W ignored */
		{ X86_EMU_PROT32, "0f 11 3b", 0, 0, CR4_OSFXSR, 's', 7, 0, 3 },	/* movups [ebx], xmm7 */
		{ X86_EMU_PROT32, "66 0f 6f 03", 0, 0, CR4_OSFXSR, 'l', 0, 0, 4 },
		/* Alignment: #GP(0) before any access. */
		{ X86_EMU_LONG64, "0f 28 06", 8, 0, CR4_OSFXSR, 'x', 0, 13, 0 },
		{ X86_EMU_LONG64, "66 0f 29 06", 4, 0, CR4_OSFXSR, 'x', 0, 13, 0 },
		{ X86_EMU_LONG64, "66 0f 7f 06", 1, 0, CR4_OSFXSR, 'x', 0, 13, 0 },
		/* #UD: CR0.EM, or no CR4.OSFXSR; then #NM: CR0.TS. */
		{ X86_EMU_LONG64, "0f 11 06", 0, CR0_EM, CR4_OSFXSR, 'x', 0, 6, 0 },
		{ X86_EMU_LONG64, "0f 10 06", 0, 0, 0, 'x', 0, 6, 0 },
		{ X86_EMU_LONG64, "0f 10 06", 0, CR0_TS, CR4_OSFXSR, 'x', 0, 7, 0 },
		{ X86_EMU_LONG64, "0f 10 06", 0, CR0_TS | CR0_EM, CR4_OSFXSR, 'x', 0, 6, 0 },
		{ X86_EMU_LONG64, "0f 28 06", 8, CR0_TS, CR4_OSFXSR, 'x', 0, 7, 0 },	/* #NM before #GP */
		/* Not emulated. */
		{ X86_EMU_LONG64, "0f 6f 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },	/* MMX movq */
		{ X86_EMU_LONG64, "0f 7f 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "66 f3 0f 6f 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f2 0f 6f 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f3 0f 10 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },	/* movss */
		{ X86_EMU_LONG64, "f2 0f 11 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },	/* movsd */
		{ X86_EMU_LONG64, "f3 0f 28 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },
		{ X86_EMU_LONG64, "f0 0f 11 06", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },	/* LOCK */
		{ X86_EMU_LONG64, "0f 11 c1", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },	/* register form */
		{ X86_EMU_LONG64, "0f 29", 0, 0, CR4_OSFXSR, 'u', 0, 0, 0 },		/* truncated */
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: SSE moves MOVUPS MOVUPD MOVAPS MOVAPD MOVDQA MOVDQU (0f 10 11 28 29 6f 7f)");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u8 want_mem[sizeof(sse_mem)], want_xmm[16][16];
		struct x86_emu_ctxt c;
		enum x86_emu_result r;
		u64 gva = SSE_GVA + t[i].off;
		bool ok;

		case_begin(&g);
		sse_fill();
		memcpy(want_mem, sse_mem, sizeof(sse_mem));
		memcpy(want_xmm, sse_xmm, sizeof(sse_xmm));
		if (t[i].kind == 'l')
			memcpy(want_xmm[t[i].xmm], sse_mem + t[i].off, 16);
		else if (t[i].kind == 's')
			memcpy(want_mem + t[i].off, sse_xmm[t[i].xmm], 16);
		memset(&c, 0, sizeof(c));
		c.mode = t[i].mode;
		c.insn_len = hex_bytes(t[i].hex, c.insn, sizeof(c.insn));
		memcpy(c.regs, def_regs, sizeof(c.regs));
		c.regs[RSI] = gva;
		c.regs[RBX] = gva;
		c.rip = 0x2000;
		c.ops = &sse_ops;
		sse_cr0 = t[i].cr0;
		sse_cr4 = t[i].cr4;
		sse_reads = sse_writes = sse_sets = 0;
		sse_size = 0;
		sse_read_exits = false;
		r = x86_emulate(&c);
		switch (t[i].kind) {
		case 'l':
		case 's':
			ok = r == X86EMU_DONE && c.len == t[i].len &&
			     c.rip == 0x2000 + t[i].len && sse_size == 16 &&
			     sse_gva == gva &&
			     sse_reads + sse_writes == 1 &&
			     (t[i].kind == 'l' ? sse_reads : sse_writes) == 1 &&
			     sse_sets == (t[i].kind == 'l');
			break;
		case 'x':
			ok = r == X86EMU_FAULT && c.exception.vector == t[i].vector &&
			     c.exception.has_error == (t[i].vector == 13) &&
			     c.exception.error_code == 0 && c.rip == 0x2000 &&
			     !sse_reads && !sse_writes && !sse_sets;
			break;
		default:
			ok = r == X86EMU_UNHANDLED && !sse_reads && !sse_writes &&
			     !sse_sets;
			break;
		}
		ok = ok && !memcmp(sse_mem, want_mem, sizeof(sse_mem)) &&
		     !memcmp(sse_xmm, want_xmm, sizeof(sse_xmm));
		if (!ok)
			case_fail(&g, "%s (%s): %s, vector %u, len %u, %d reads %d writes %d sets, %u bytes at %#llx",
				  t[i].hex, mode_name(t[i].mode), result_name(r),
				  c.exception.vector, c.len, sse_reads, sse_writes,
				  sse_sets, sse_size, (unsigned long long)sse_gva);
		case_end(&g);
	}

	/* A read that must exit to userspace leaves the register alone. */
	case_begin(&g);
	{
		struct x86_emu_ctxt c;
		enum x86_emu_result r;

		sse_fill();
		memset(&c, 0, sizeof(c));
		c.mode = X86_EMU_LONG64;
		c.insn_len = hex_bytes("0f 10 06", c.insn, sizeof(c.insn));
		memcpy(c.regs, def_regs, sizeof(c.regs));
		c.regs[RSI] = SSE_GVA;
		c.rip = 0x2000;
		c.ops = &sse_ops;
		sse_cr0 = 0;
		sse_cr4 = CR4_OSFXSR;
		sse_reads = sse_writes = sse_sets = 0;
		sse_read_exits = true;
		r = x86_emulate(&c);
		if (r != X86EMU_EXIT || sse_sets || sse_xmm[0][0] != 0 || c.rip != 0x2000)
			case_fail(&g, "read EXIT: %s, %d sets, rip %#llx", result_name(r),
				  sse_sets, (unsigned long long)c.rip);
		sse_read_exits = false;

		/* Without get_xmm/set_xmm/get_cr4: not emulated. */
		c.ops = &sse_ops_no_xmm;
		sse_reads = 0;
		r = x86_emulate(&c);
		if (r != X86EMU_UNHANDLED || sse_reads)
			case_fail(&g, "without the XMM callbacks: %s, %d reads",
				  result_name(r), sse_reads);
	}
	case_end(&g);
	group_end(&g);
}
