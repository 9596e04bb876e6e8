// SPDX-License-Identifier: GPL-2.0
/*
 * Table tests of the string instructions: MOVS, CMPS, STOS, LODS, SCAS,
 * with and without REP/REPE/REPNE, every operand size, DF, the three
 * address sizes and segment overrides, against windows of real memory.
 *
 * Each case runs x86_emulate() as the kernel does: one element per call,
 * RIP left on the instruction until the last one, the guest running it
 * again.  It checks the number of calls, the accesses of the first call,
 * every register after the last, RFLAGS, and the memory.  The expected
 * flags are worked out by hand from the SDM's definition of CMP.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define R16 X86_EMU_REAL
#define P16 X86_EMU_PROT16
#define P32 X86_EMU_PROT32
#define L64 X86_EMU_LONG64

#define RIP0	0x1000
#define DF	0x400ULL

/* The same defaults as tables.c. */
static const u64 str_regs[16] = {
	[RAX] = 0x1111111100005a40ULL, [RCX] = 0x2222222200000003ULL,
	[RDX] = 0x33333333fffffff0ULL, [RBX] = 0x4444444400001234ULL,
	[RSP] = 0x555555550000fff0ULL, [RBP] = 0x666666660000f000ULL,
	[RSI] = 0x7777777700000100ULL, [RDI] = 0x8888888800000200ULL,
	[8] = 0x80088, [9] = 0x90099, [10] = 0xa00aa, [11] = 0xb00bb,
	[12] = 0xc00cc, [13] = 0xd00dd, [14] = 0xe00ee, [15] = 0xf00ff,
};

/* ES, CS, SS, DS, FS, GS. */
static const u64 str_seg[X86_SEG_NR] = {
	0x30000, 0x40000, 0x20000, 0x10000, 0x50000, 0x60000,
};
static const u64 str_seg64[X86_SEG_NR] = {
	0x30000, 0x40000, 0x20000, 0x10000, 0x7000000000ULL, 0xffff800000000000ULL,
};

struct sreg {
	int r;			/* register + 1; 0: unused */
	u64 v;
};
#define REG(r, v)	{ (r) + 1, (v) }

struct scase {
	const char *name;
	enum x86_emu_mode mode;
	const char *hex;
	u64 rflags;		/* in, besides bit 1 */
	struct sreg set[4];	/* registers before */
	u64 src_gva;		/* the source window (0: none) and its bytes */
	const char *src;
	u64 dst_gva;		/* the destination window (0: none) */
	const char *dst;
	/* The first call's accesses: 'r' or 'w' at gva, of size bytes. */
	char k0, k1;
	u64 g0, g1;
	unsigned int size;
	unsigned int calls;	/* until RIP moves past the instruction */
	struct sreg out[4];	/* registers after; the others unchanged */
	u64 rflags_out;		/* besides bit 1 */
	const char *dst_out;	/* the destination window after (NULL: as before) */
};

static void str_setup(struct x86_emu_ctxt *c, struct tmem *m,
		      const struct scase *t, const u8 *insn, unsigned int n)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	memcpy(c->regs, str_regs, sizeof(c->regs));
	memcpy(c->seg_base, t->mode == L64 ? str_seg64 : str_seg,
	       sizeof(c->seg_base));
	for (i = 0; i < 4 && t->set[i].r; i++)
		c->regs[t->set[i].r - 1] = t->set[i].v;
	c->rip = RIP0;
	c->rflags = 0x2 | t->rflags;
	c->mode = t->mode;
	memcpy(c->insn, insn, n);
	c->insn_len = n;
	c->ops = &tmem_ops;
	c->opaque = m;
	tmem_init(m);
}

static bool check_access(struct group *g, const struct scase *t,
			 const struct tmem *m, unsigned int i, char kind, u64 gva)
{
	if (!kind)
		return true;
	if (m->nlog <= i || m->log[i].kind != kind || m->log[i].gva != gva ||
	    m->log[i].size != t->size) {
		case_fail(g, "%s [%s]: access %u: want %c %#llx/%u, got %s", t->name,
			  t->hex, i, kind, (unsigned long long)gva, t->size,
			  m->nlog <= i ? "none" : "another");
		return false;
	}
	return true;
}

static void run_str(struct group *g, const struct scase *t)
{
	u8 insn[X86_EMU_MAX_INSN_LEN], src[64], dst[64], src0[64], dst_want[64];
	unsigned int n = hex_bytes(t->hex, insn, sizeof(insn));
	unsigned int nsrc = 0, ndst = 0, calls = 0, i, want_log;
	struct x86_emu_ctxt c;
	struct tmem m;
	enum x86_emu_result r;
	u64 want[16];

	case_begin(g);
	str_setup(&c, &m, t, insn, n);
	memcpy(want, c.regs, sizeof(want));
	for (i = 0; i < 4 && t->out[i].r; i++)
		want[t->out[i].r - 1] = t->out[i].v;
	if (t->src) {
		nsrc = hex_bytes(t->src, src, sizeof(src));
		memcpy(src0, src, nsrc);
		tmem_add(&m, t->src_gva, src, nsrc, true);
	}
	if (t->dst) {
		ndst = hex_bytes(t->dst, dst, sizeof(dst));
		memcpy(dst_want, dst, ndst);
		if (t->dst_out && hex_bytes(t->dst_out, dst_want, sizeof(dst_want)) != ndst) {
			case_fail(g, "%s: bad test: dst_out", t->name);
			return;
		}
		tmem_add(&m, t->dst_gva, dst, ndst, false);
	}

	for (;;) {
		tmem_reset_log(&m);
		r = x86_emulate(&c);
		calls++;
		if (r != X86EMU_DONE) {
			case_fail(g, "%s [%s]: call %u: %s", t->name, t->hex, calls,
				  result_name(r));
			return;
		}
		if (m.err[0]) {
			case_fail(g, "%s [%s]: call %u: %s", t->name, t->hex, calls, m.err);
			return;
		}
		if (calls == 1) {
			want_log = !!t->k0 + !!t->k1;
			if (check_access(g, t, &m, 0, t->k0, t->g0) &&
			    check_access(g, t, &m, 1, t->k1, t->g1) && m.nlog != want_log)
				case_fail(g, "%s [%s]: %u accesses, want %u", t->name,
					  t->hex, m.nlog, want_log);
		}
		if (c.len != n)
			case_fail(g, "%s [%s]: length %u, want %u", t->name, t->hex, c.len, n);
		if (c.rip != RIP0 || calls > 64)
			break;
	}
	if (calls != t->calls || c.rip != RIP0 + n)
		case_fail(g, "%s [%s]: %u calls, rip %#llx; want %u calls, rip %#llx",
			  t->name, t->hex, calls, (unsigned long long)c.rip, t->calls,
			  (unsigned long long)(RIP0 + n));
	for (i = 0; i < 16; i++)
		if (c.regs[i] != want[i])
			case_fail(g, "%s [%s]: reg %u = %#llx, want %#llx", t->name, t->hex,
				  i, (unsigned long long)c.regs[i],
				  (unsigned long long)want[i]);
	if (c.rflags != (0x2 | t->rflags_out))
		case_fail(g, "%s [%s]: rflags %#llx, want %#llx", t->name, t->hex,
			  (unsigned long long)c.rflags,
			  (unsigned long long)(0x2 | t->rflags_out));
	if (ndst && memcmp(dst, dst_want, ndst))
		case_fail(g, "%s [%s]: destination [%s], want [%s]", t->name, t->hex,
			  bytes_hex(dst, ndst), t->dst_out ? t->dst_out : t->dst);
	if (nsrc && memcmp(src, src0, nsrc))
		case_fail(g, "%s [%s]: the source changed", t->name, t->hex);
}

/*
 * Flags of CMP (a - b), worked out by hand:
 *   0x41 - 0x41 = 0:     ZF PF                         0x044
 *   0x10 - 0x21 = 0xef:  CF AF SF                      0x091
 *   0x8000 - 1 = 0x7fff: OF AF PF                      0x814
 *   0x03 - 0x33 = 0xd0:  CF SF                         0x081
 *   0x02 - 0x04 = 0xfe:  CF AF SF                      0x091
 *   1 - 2 (32 bits):     CF PF AF SF                   0x095
 *   0x40 - 0x40:         ZF PF                         0x044
 *   0x12345678 - 0:      PF (0x78 has four bits)       0x004
 *   0x5a40 - 0x5a41:     CF PF AF SF                   0x095
 */
static const struct scase cases[] = {
	/* ---- CMPS ---- real mode: DS 0x10000, ES 0x30000, SI 0x100, DI 0x200 */
	{ "cmpsb equal", R16, "a6", 0, { { 0 } },
	  0x10100, "41", 0x30200, "41", 'r', 'r', 0x10100, 0x30200, 1, 1,
	  { REG(RSI, 0x7777777700000101ULL), REG(RDI, 0x8888888800000201ULL) },
	  0x044, NULL },
	{ "cmpsb below: CF AF SF", R16, "a6", 0x8c0, { { 0 } },
	  0x10100, "10", 0x30200, "21", 'r', 'r', 0x10100, 0x30200, 1, 1,
	  { REG(RSI, 0x7777777700000101ULL), REG(RDI, 0x8888888800000201ULL) },
	  0x091, NULL },
	{ "cmpsw overflow: OF AF PF", R16, "a7", 0, { { 0 } },
	  0x10100, "00 80", 0x30200, "01 00", 'r', 'r', 0x10100, 0x30200, 2, 1,
	  { REG(RSI, 0x7777777700000102ULL), REG(RDI, 0x8888888800000202ULL) },
	  0x814, NULL },
	{ "repe cmpsb stops at the first difference", R16, "f3 a6", 0,
	  { REG(RCX, 0x2222222200000005ULL) },
	  0x10100, "01 02 03 04 05", 0x30200, "01 02 33 04 05",
	  'r', 'r', 0x10100, 0x30200, 1, 3,
	  { REG(RCX, 0x2222222200000002ULL), REG(RSI, 0x7777777700000103ULL),
	    REG(RDI, 0x8888888800000203ULL) }, 0x081, NULL },
	{ "repe cmpsb to the end, ZF clear on entry", R16, "f3 a6", 0x895,
	  { REG(RCX, 3) },
	  0x10100, "07 08 09", 0x30200, "07 08 09", 'r', 'r', 0x10100, 0x30200, 1, 3,
	  { REG(RCX, 0), REG(RSI, 0x7777777700000103ULL),
	    REG(RDI, 0x8888888800000203ULL) }, 0x044, NULL },
	{ "repne cmpsb stops at the first equal", R16, "f2 a6", 0,
	  { REG(RCX, 5) },
	  0x10100, "01 02 03 04", 0x30200, "09 08 03 00", 'r', 'r', 0x10100, 0x30200, 1, 3,
	  { REG(RCX, 2), REG(RSI, 0x7777777700000103ULL),
	    REG(RDI, 0x8888888800000203ULL) }, 0x044, NULL },
	{ "repne cmpsb, ZF set on entry, count runs out", R16, "f2 a6", 0x040,
	  { REG(RCX, 2) },
	  0x10100, "01 02", 0x30200, "03 04", 'r', 'r', 0x10100, 0x30200, 1, 2,
	  { REG(RCX, 0), REG(RSI, 0x7777777700000102ULL),
	    REG(RDI, 0x8888888800000202ULL) }, 0x091, NULL },
	{ "f2 f3: the last prefix counts (REPE)", R16, "f2 f3 a6", 0,
	  { REG(RCX, 5) },
	  0x10100, "01 02 03", 0x30200, "01 05 03", 'r', 'r', 0x10100, 0x30200, 1, 2,
	  { REG(RCX, 3), REG(RSI, 0x7777777700000102ULL),
	    REG(RDI, 0x8888888800000202ULL) }, 0x091, NULL },
	{ "f3 f2: the last prefix counts (REPNE)", R16, "f3 f2 a6", 0,
	  { REG(RCX, 5) },
	  0x10100, "01 02 03", 0x30200, "01 05 03", 'r', 'r', 0x10100, 0x30200, 1, 1,
	  { REG(RCX, 4), REG(RSI, 0x7777777700000101ULL),
	    REG(RDI, 0x8888888800000201ULL) }, 0x044, NULL },
	{ "repe cmpsw, DF", R16, "f3 a7", DF,
	  { REG(RCX, 2), REG(RSI, 0x102), REG(RDI, 0x202) },
	  0x10100, "34 12 78 56", 0x30200, "34 12 78 56", 'r', 'r', 0x10102, 0x30202, 2, 2,
	  { REG(RCX, 0), REG(RSI, 0xfe), REG(RDI, 0x1fe) }, DF | 0x044, NULL },
	{ "repe cmpsb, CX 0 (ECX not 0): nothing, flags kept", R16, "f3 a6", 0x8d5,
	  { REG(RCX, 0x22220000) },
	  0, NULL, 0, NULL, 0, 0, 0, 0, 1, 1, { { 0 } }, 0x8d5, NULL },
	{ "cmpsb, SI and DI wrap at 64 KiB", R16, "a6", 0,
	  { REG(RSI, 0x1234ffff), REG(RDI, 0xffff) },
	  0x1ffff, "05", 0x3ffff, "05", 'r', 'r', 0x1ffff, 0x3ffff, 1, 1,
	  { REG(RSI, 0x12340000), REG(RDI, 0) }, 0x044, NULL },
	{ "cmpsb, DF, SI and DI wrap down", R16, "a6", DF,
	  { REG(RSI, 0), REG(RDI, 0) },
	  0x10000, "05", 0x30000, "05", 'r', 'r', 0x10000, 0x30000, 1, 1,
	  { REG(RSI, 0xffff), REG(RDI, 0xffff) }, DF | 0x044, NULL },
	{ "cmpsb, FS source, ES destination", R16, "64 a6", 0, { { 0 } },
	  0x50100, "aa", 0x30200, "aa", 'r', 'r', 0x50100, 0x30200, 1, 1,
	  { REG(RSI, 0x7777777700000101ULL), REG(RDI, 0x8888888800000201ULL) },
	  0x044, NULL },
	{ "cmpsb, ES override of the source", R16, "26 a6", 0, { { 0 } },
	  0x30100, "aa", 0x30200, "aa", 'r', 'r', 0x30100, 0x30200, 1, 1,
	  { REG(RSI, 0x7777777700000101ULL), REG(RDI, 0x8888888800000201ULL) },
	  0x044, NULL },
	{ "66 67 cmpsd in real mode: ESI, EDI", R16, "66 67 a7", 0,
	  { REG(RSI, 0x10000), REG(RDI, 0x20000) },
	  0x20000, "01 00 00 00", 0x50000, "02 00 00 00", 'r', 'r', 0x20000, 0x50000, 4, 1,
	  { REG(RSI, 0x10004), REG(RDI, 0x20004) }, 0x095, NULL },
	{ "67 repe cmpsb in prot32: CX only", P32, "67 f3 a6", 0,
	  { REG(RCX, 0x22220002), REG(RSI, 0x1234fff0), REG(RDI, 0x5678fff0) },
	  0x1fff0, "01 02", 0x3fff0, "01 02", 'r', 'r', 0x1fff0, 0x3fff0, 1, 2,
	  { REG(RCX, 0x22220000), REG(RSI, 0x1234fff2), REG(RDI, 0x5678fff2) },
	  0x044, NULL },
	{ "repe cmpsq ends on ZF: OF AF PF", L64, "f3 48 a7", 0,
	  { REG(RCX, 3), REG(RSI, 0x1000), REG(RDI, 0x2000) },
	  0x1000, "11 22 33 44 55 66 77 88 00 00 00 00 00 00 00 80",
	  0x2000, "11 22 33 44 55 66 77 88 01 00 00 00 00 00 00 00",
	  'r', 'r', 0x1000, 0x2000, 8, 2,
	  { REG(RCX, 1), REG(RSI, 0x1010), REG(RDI, 0x2010) }, 0x814, NULL },
	{ "cmpsd, GS source in 64-bit mode", L64, "65 a7", 0,
	  { REG(RSI, 0x10), REG(RDI, 0x2000) },
	  0xffff800000000010ULL, "ff ff ff ff", 0x2000, "ff ff ff ff",
	  'r', 'r', 0xffff800000000010ULL, 0x2000, 4, 1,
	  { REG(RSI, 0x14), REG(RDI, 0x2004) }, 0x044, NULL },

	/* ---- SCAS: AL = 0x40, AX = 0x5a40 ---- */
	{ "scasb equal", R16, "ae", 0, { { 0 } },
	  0, NULL, 0x30200, "40", 'r', 0, 0x30200, 0, 1, 1,
	  { REG(RDI, 0x8888888800000201ULL) }, 0x044, NULL },
	{ "scasw below, DF", R16, "af", DF, { { 0 } },
	  0, NULL, 0x30200, "41 5a", 'r', 0, 0x30200, 0, 2, 1,
	  { REG(RDI, 0x88888888000001feULL) }, DF | 0x095, NULL },
	{ "scasd below", L64, "af", 0, { REG(RAX, 0xffffffff00000001ULL), REG(RDI, 0x3000) },
	  0, NULL, 0x3000, "02 00 00 00", 'r', 0, 0x3000, 0, 4, 1,
	  { REG(RDI, 0x3004) }, 0x095, NULL },
	{ "scasq equal", L64, "48 af", 0, { REG(RDI, 0x3000) },
	  0, NULL, 0x3000, "40 5a 00 00 11 11 11 11", 'r', 0, 0x3000, 0, 8, 1,
	  { REG(RDI, 0x3008) }, 0x044, NULL },
	{ "scasb ignores a segment override", P32, "64 ae", 0, { REG(RDI, 0x10) },
	  0, NULL, 0x30010, "40", 'r', 0, 0x30010, 0, 1, 1,
	  { REG(RDI, 0x11) }, 0x044, NULL },
	{ "67 repne scasb in 64-bit mode: ECX, EDI, zero-extended", L64, "67 f2 ae", 0,
	  { REG(RCX, 0xffffffff00000004ULL), REG(RDI, 0xbbbbbbbb00003000ULL) },
	  0, NULL, 0x3000, "00 10 40 55", 'r', 0, 0x3000, 0, 1, 3,
	  { REG(RCX, 1), REG(RDI, 0x3003) }, 0x044, NULL },
	{ "repe scasd, DF, ends on ZF", P32, "f3 af", DF,
	  { REG(RAX, 0x12345678), REG(RCX, 3), REG(RDI, 0x104) },
	  0, NULL, 0x30100, "00 00 00 00 78 56 34 12", 'r', 0, 0x30104, 0, 4, 2,
	  { REG(RCX, 1), REG(RDI, 0xfc) }, DF | 0x004, NULL },
	{ "repne scasb, count runs out, DI wraps", P16, "f2 ae", 0,
	  { REG(RCX, 2), REG(RDI, 0xfffe) },
	  0, NULL, 0x3fffe, "41 41", 'r', 0, 0x3fffe, 0, 1, 2,
	  { REG(RCX, 0), REG(RDI, 0) }, 0x095, NULL },

	/* ---- LODS ---- */
	{ "lodsb", R16, "ac", 0x8d5, { { 0 } },
	  0x10100, "99", 0, NULL, 'r', 0, 0x10100, 0, 1, 1,
	  { REG(RAX, 0x1111111100005a99ULL), REG(RSI, 0x7777777700000101ULL) }, 0x8d5, NULL },
	{ "lodsw, DF, ES override", R16, "26 ad", DF, { { 0 } },
	  0x30100, "cd ab", 0, NULL, 'r', 0, 0x30100, 0, 2, 1,
	  { REG(RAX, 0x111111110000abcdULL), REG(RSI, 0x77777777000000feULL) }, DF, NULL },
	{ "lodsd zero-extends RAX", L64, "ad", 0, { REG(RSI, 0x1000) },
	  0x1000, "11 22 33 44", 0, NULL, 'r', 0, 0x1000, 0, 4, 1,
	  { REG(RAX, 0x44332211), REG(RSI, 0x1004) }, 0, NULL },
	{ "lodsq, GS source", L64, "65 48 ad", 0, { REG(RSI, 0x8) },
	  0xffff800000000008ULL, "01 02 03 04 05 06 07 08", 0, NULL,
	  'r', 0, 0xffff800000000008ULL, 0, 8, 1,
	  { REG(RAX, 0x0807060504030201ULL), REG(RSI, 0x10) }, 0, NULL },
	{ "rep lodsb: the last element", P32, "f3 ac", 0, { REG(RCX, 3) },
	  0x10100, "01 02 03", 0, NULL, 'r', 0, 0x10100, 0, 1, 3,
	  { REG(RAX, 0x1111111100005a03ULL), REG(RCX, 0), REG(RSI, 0x103) }, 0, NULL },

	/* ---- MOVS and STOS, with the memory ---- */
	{ "rep movsw copies", R16, "f3 a5", 0, { REG(RCX, 2) },
	  0x10100, "11 22 33 44", 0x30200, "00 00 00 00 ee", 'r', 'w', 0x10100, 0x30200, 2, 2,
	  { REG(RCX, 0), REG(RSI, 0x7777777700000104ULL), REG(RDI, 0x8888888800000204ULL) },
	  0, "11 22 33 44 ee" },
	{ "rep movsb, DF, FS source", P32, "64 f3 a4", DF, { REG(RCX, 2), REG(RSI, 1), REG(RDI, 1) },
	  0x50000, "aa bb", 0x30000, "00 00", 'r', 'w', 0x50001, 0x30001, 1, 2,
	  { REG(RCX, 0), REG(RSI, 0xffffffff), REG(RDI, 0xffffffff) }, DF, "aa bb" },
	{ "rep stosb, DF", R16, "f3 aa", DF, { REG(RCX, 3), REG(RDI, 0x202) },
	  0, NULL, 0x301ff, "00 00 00 00 00", 'w', 0, 0x30202, 0, 1, 3,
	  { REG(RCX, 0), REG(RDI, 0x1ff) }, DF, "00 40 40 40 00" },
	{ "stosq", L64, "48 ab", 0, { REG(RDI, 0x2000) },
	  0, NULL, 0x2000, "00 00 00 00 00 00 00 00", 'w', 0, 0x2000, 0, 8, 1,
	  { REG(RDI, 0x2008) }, 0, "40 5a 00 00 11 11 11 11" },
};

/* CMPS reads twice: an EXIT or a fault at either read commits nothing. */
static void str_stop_tests(struct group *g)
{
	static const struct scase t = {
		"repe cmpsb", R16, "f3 a6", 0, { REG(RCX, 5) },
		0x10100, "01", 0x30200, "01", 0, 0, 0, 0, 1, 1, { { 0 } }, 0, NULL,
	};
	static const enum x86_emu_result what[] = { X86EMU_EXIT, X86EMU_FAULT };
	unsigned int at, k;

	for (at = 0; at < 2; at++) {
		for (k = 0; k < 2; k++) {
			u8 insn[X86_EMU_MAX_INSN_LEN], a = 1, b = 1;
			unsigned int n = hex_bytes(t.hex, insn, sizeof(insn));
			struct x86_emu_ctxt c, c0;
			struct tmem m;
			enum x86_emu_result r;

			case_begin(g);
			str_setup(&c, &m, &t, insn, n);
			tmem_add(&m, 0x10100, &a, 1, true);
			tmem_add(&m, 0x30200, &b, 1, true);
			m.read_inject_at = at;
			m.read_inject = what[k];
			m.inject_exc.vector = 14;
			m.inject_exc.has_error = true;
			c0 = c;
			r = x86_emulate(&c);
			if (r != what[k] || m.nreads != at + 1 || m.nwrites ||
			    memcmp(c.regs, c0.regs, sizeof(c.regs)) ||
			    c.rip != c0.rip || c.rflags != c0.rflags)
				case_fail(g, "%s: %s at read %u: got %s after %u reads, state %s",
					  t.name, result_name(what[k]), at, result_name(r),
					  m.nreads, memcmp(c.regs, c0.regs, sizeof(c.regs)) ||
					  c.rflags != c0.rflags ? "changed" : "kept");
		}
	}
}

/* ---- Against the CPU (64-bit mode) ------------------------------------ */

struct nstate {
	u64 rax, rcx, rsi, rdi, rflags;
};

#define NATIVE(insn, st)						\
	asm volatile("push %[f]; popf; " insn "; pushf; pop %[f]; cld"	\
		     : [f] "+r"((st)->rflags), "+S"((st)->rsi),		\
		       "+D"((st)->rdi), "+c"((st)->rcx)			\
		     : "a"((st)->rax) : "cc", "memory")

/* prefix: 0, 0xf3 or 0xf2; size 1, 2, 4, 8; scas: SCAS, else CMPS. */
static void native_run(unsigned int prefix, unsigned int size, bool scas,
		       struct nstate *st)
{
	unsigned int k = (prefix == 0xf3 ? 0 : prefix == 0xf2 ? 1 : 2) * 8 +
			 scas * 4 + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);

	switch (k) {
	case 0: NATIVE("repe cmpsb", st); break;
	case 1: NATIVE("repe cmpsw", st); break;
	case 2: NATIVE("repe cmpsl", st); break;
	case 3: NATIVE("repe cmpsq", st); break;
	case 4: NATIVE("repe scasb", st); break;
	case 5: NATIVE("repe scasw", st); break;
	case 6: NATIVE("repe scasl", st); break;
	case 7: NATIVE("repe scasq", st); break;
	case 8: NATIVE("repne cmpsb", st); break;
	case 9: NATIVE("repne cmpsw", st); break;
	case 10: NATIVE("repne cmpsl", st); break;
	case 11: NATIVE("repne cmpsq", st); break;
	case 12: NATIVE("repne scasb", st); break;
	case 13: NATIVE("repne scasw", st); break;
	case 14: NATIVE("repne scasl", st); break;
	case 15: NATIVE("repne scasq", st); break;
	case 16: NATIVE("cmpsb", st); break;
	case 17: NATIVE("cmpsw", st); break;
	case 18: NATIVE("cmpsl", st); break;
	case 19: NATIVE("cmpsq", st); break;
	case 20: NATIVE("scasb", st); break;
	case 21: NATIVE("scasw", st); break;
	case 22: NATIVE("scasl", st); break;
	default: NATIVE("scasq", st); break;
	}
}

static enum x86_emu_result flat_write(struct x86_emu_ctxt *c, u64 gva,
				      const void *val, unsigned int size)
{
	(void)c;
	(void)gva;
	(void)val;
	(void)size;
	return X86EMU_UNHANDLED;	/* CMPS and SCAS never write */
}

static const struct x86_emu_ops flat_ops = { .read = flat_read, .write = flat_write };

/*
 * Random CMPS and SCAS, with F3, F2 or neither, each size, DF 0 or 1, on
 * buffers of mostly equal bytes, run by the CPU and by the emulator (one
 * call per element): RCX, RSI, RDI and the arithmetic flags must agree.
 */
static void string_native_tests(unsigned long ncases)
{
	static const unsigned int prefixes[] = { 0, 0xf3, 0xf2 };
	static u8 src[96], dst[96];
	struct group g;
	unsigned long i;
	unsigned int k;

	group_begin(&g, "native long64: CMPS SCAS a6 a7 ae af, REPE/REPNE, DF, against the CPU");
	rnd_seed(0x5ca5);
	for (i = 0; i < ncases; i++) {
		unsigned int prefix = prefixes[rnd_below(3)];
		unsigned int size = 1U << rnd_below(4);
		bool scas = chance(2);
		struct nstate in, hw;
		struct x86_emu_ctxt c;
		unsigned int n = 0, calls = 0;
		u8 insn[4];
		u64 rip;

		case_begin(&g);
		for (k = 0; k < sizeof(src); k++) {
			src[k] = chance(4) ? rnd() : 0x55;
			dst[k] = chance(3) ? rnd() : src[k];
		}
		in.rax = rnd();
		if (chance(2))
			memcpy(&dst[40], &in.rax, 8);
		in.rcx = rnd_below(6);
		in.rsi = (u64)(unsigned long)&src[40];
		in.rdi = (u64)(unsigned long)&dst[40];
		in.rflags = 0x2 | (rnd() & 0xcd5);
		hw = in;
		native_run(prefix, size, scas, &hw);

		if (prefix)
			insn[n++] = prefix;
		if (size == 2)
			insn[n++] = 0x66;
		if (size == 8)
			insn[n++] = 0x48;
		insn[n++] = (scas ? 0xae : 0xa6) | (size > 1);
		memset(&c, 0, sizeof(c));
		c.regs[RAX] = in.rax;
		c.regs[RCX] = in.rcx;
		c.regs[RSI] = in.rsi;
		c.regs[RDI] = in.rdi;
		c.rflags = in.rflags;
		c.mode = L64;
		memcpy(c.insn, insn, n);
		c.insn_len = n;
		c.ops = &flat_ops;
		rip = RIP0;
		do {
			c.rip = rip;
			if (x86_emulate(&c) != X86EMU_DONE) {
				case_fail(&g, "[%s]: not DONE", bytes_hex(insn, n));
				break;
			}
		} while (c.rip == RIP0 && ++calls < 16);
		if (c.regs[RCX] != hw.rcx || c.regs[RSI] != hw.rsi ||
		    c.regs[RDI] != hw.rdi || (c.rflags & 0xcd5) != (hw.rflags & 0xcd5))
			case_fail(&g, "[%s] rcx %llu rflags %#llx: emulated rcx %llu "
				  "rsi %+lld rdi %+lld rflags %#llx, CPU rcx %llu rsi %+lld "
				  "rdi %+lld rflags %#llx", bytes_hex(insn, n),
				  (unsigned long long)in.rcx, (unsigned long long)in.rflags,
				  (unsigned long long)c.regs[RCX],
				  (long long)(c.regs[RSI] - in.rsi),
				  (long long)(c.regs[RDI] - in.rdi),
				  (unsigned long long)c.rflags,
				  (unsigned long long)hw.rcx, (long long)(hw.rsi - in.rsi),
				  (long long)(hw.rdi - in.rdi), (unsigned long long)hw.rflags);
		case_end(&g);
	}
	group_end(&g);
}

void string_tests(void)
{
	struct group g;
	size_t i;

	group_begin(&g, "table: string instructions MOVS CMPS STOS LODS SCAS, REP/REPE/REPNE");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_str(&g, &cases[i]);
	str_stop_tests(&g);
	group_end(&g);
	string_native_tests(5000);
}
