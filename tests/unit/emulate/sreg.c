// SPDX-License-Identifier: GPL-2.0
/*
 * Segment registers and jumps through memory: MOV m16, Sreg (8C), MOV
 * Sreg, m16 (8E, through the load_sreg callback), POP FS/GS (0F A1, 0F A9),
 * near JMP and CALL through memory (FF /4, FF /2) and far JMP through
 * memory (FF /5, through the far_jmp callback).  Each case gives the
 * accesses (tmem's log), the callback's arguments, RSP and RIP after;
 * then the same instruction again with the callback raising a fault, and
 * with its read exiting to userspace: nothing committed either time.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define L64	X86_EMU_LONG64
#define P32	X86_EMU_PROT32
#define P16	X86_EMU_PROT16
#define R16	X86_EMU_REAL
#define RIP0	0x4000ULL

/* ES, CS, SS, DS, FS, GS: selectors and bases. */
static const u16 s_sel[X86_SEG_NR] = { 0x0103, 0x0208, 0x0313, 0x041b, 0x0523, 0x062b };
static const u64 s_base[X86_SEG_NR] = { 0x30000, 0x40000, 0x20000, 0x10000, 0x50000, 0x60000 };
static const u64 s_base64[X86_SEG_NR] = { 0x30000, 0x40000, 0x20000, 0x10000,
					  0x7000000000ULL, 0xffff800000000000ULL };

/* What the callbacks saw, and what they return. */
static int cb_calls;
static int cb_seg;
static u16 cb_sel;
static u64 cb_rip;
static enum x86_emu_result cb_result;

static enum x86_emu_result s_load_sreg(struct x86_emu_ctxt *c, enum x86_emu_seg seg,
				       u16 sel)
{
	cb_calls++;
	cb_seg = seg;
	cb_sel = sel;
	if (cb_result == X86EMU_FAULT)
		return x86_emu_raise(c, 13, true, sel & 0xfffc, 0);
	return cb_result;
}

static enum x86_emu_result s_far_jmp(struct x86_emu_ctxt *c, u16 sel, u64 rip)
{
	cb_calls++;
	cb_seg = X86_SEG_CS;
	cb_sel = sel;
	cb_rip = rip;
	if (cb_result == X86EMU_FAULT)
		return x86_emu_raise(c, 13, true, sel & 0xfffc, 0);
	return cb_result;
}

struct sacc {
	char kind;		/* 'r', 'w'; 0: none */
	u64 gva;
	unsigned int size;
	u64 val;		/* a write's */
};

struct scase {
	enum x86_emu_mode mode;
	const char *hex;
	u64 mem, mem_hi;	/* what reads return: bytes 0-7, 8-15 */
	enum x86_emu_result want;
	u8 vector;		/* X86EMU_FAULT: #GP(0) or #UD */
	struct sacc acc[2];
	char cb;		/* 'l' load_sreg, 'j' far_jmp, 0: none */
	int seg;		/* load_sreg's segment */
	u16 sel;
	u64 rsp, rip;		/* after; rip 0: RIP0 + len */
	unsigned int len;
};

#define SP0	0x8000ULL
#define CANON	0x00007fff12345678ULL
#define NONCANON 0x0000800000000000ULL

static const struct scase cases[] = {
	/* MOV m16, Sreg: a 16-bit store whatever the operand size. */
	{ L64, "66 41 8c 8c 24 08 10 00 00", 0, 0, X86EMU_DONE, 0,
	  { { 'w', 0x4008, 2, 0x0208 } }, 0, 0, 0, SP0, 0, 9 },
	{ L64, "8c 18", 0, 0, X86EMU_DONE, 0, { { 'w', 0x1000, 2, 0x041b } }, 0, 0, 0, SP0, 0, 2 },
	{ L64, "48 8c 20", 0, 0, X86EMU_DONE, 0, { { 'w', 0x1000, 2, 0x0523 } }, 0, 0, 0, SP0, 0, 3 },
	{ L64, "8c 10", 0, 0, X86EMU_DONE, 0, { { 'w', 0x1000, 2, 0x0313 } }, 0, 0, 0, SP0, 0, 2 },
	{ P32, "8c 2b", 0, 0, X86EMU_DONE, 0, { { 'w', 0x12000, 2, 0x062b } }, 0, 0, 0, SP0, 0, 2 },
	{ R16, "8c 47 02", 0, 0, X86EMU_DONE, 0, { { 'w', 0x12002, 2, 0x0103 } }, 0, 0, 0, SP0, 0, 3 },
	{ P16, "66 8c 4e 04", 0, 0, X86EMU_DONE, 0, { { 'w', 0x20104, 2, 0x0208 } }, 0, 0, 0, SP0, 0, 4 },
	/* MOV Sreg, m16: a 16-bit read, then load_sreg; CS is #UD. */
	{ L64, "41 8e 55 00", 0x123456789abc0018ULL, 0, X86EMU_DONE, 0,
	  { { 'r', 0x3000, 2, 0 } }, 'l', X86_SEG_SS, 0x0018, SP0, 0, 4 },
	{ L64, "48 8e 20", 0x1234567800000023ULL, 0, X86EMU_DONE, 0,
	  { { 'r', 0x1000, 2, 0 } }, 'l', X86_SEG_FS, 0x0023, SP0, 0, 3 },
	{ L64, "8e 28", 0xfffb, 0, X86EMU_DONE, 0, { { 'r', 0x1000, 2, 0 } }, 'l', X86_SEG_GS, 0xfffb, SP0, 0, 2 },
	{ P32, "8e 1b", 0x002b, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 2, 0 } }, 'l', X86_SEG_DS, 0x002b, SP0, 0, 2 },
	{ R16, "8e 07", 0x1234, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 2, 0 } }, 'l', X86_SEG_ES, 0x1234, SP0, 0, 2 },
	{ L64, "8e 08", 0x0010, 0, X86EMU_FAULT, 6, { }, 0, 0, 0, SP0, 0, 0 },
	{ R16, "8e 0f", 0x0010, 0, X86EMU_FAULT, 6, { }, 0, 0, 0, SP0, 0, 0 },
	/* POP FS, POP GS (64-bit mode): 8 bytes, or 2 with 66. */
	{ L64, "0f a1", 0x1234567800000033ULL, 0, X86EMU_DONE, 0,
	  { { 'r', SP0, 8, 0 } }, 'l', X86_SEG_FS, 0x0033, SP0 + 8, 0, 2 },
	{ L64, "0f a9", 0x3b, 0, X86EMU_DONE, 0, { { 'r', SP0, 8, 0 } }, 'l', X86_SEG_GS, 0x003b, SP0 + 8, 0, 2 },
	{ L64, "66 0f a1", 0x4b, 0, X86EMU_DONE, 0, { { 'r', SP0, 2, 0 } }, 'l', X86_SEG_FS, 0x004b, SP0 + 2, 0, 3 },
	{ L64, "66 48 0f a9", 0x53, 0, X86EMU_DONE, 0, { { 'r', SP0, 8, 0 } }, 'l', X86_SEG_GS, 0x0053, SP0 + 8, 0, 4 },
	/* Near JMP through memory: RIP = the operand. */
	{ L64, "41 ff 65 00", CANON, 0, X86EMU_DONE, 0, { { 'r', 0x3000, 8, 0 } }, 0, 0, 0, SP0, CANON, 4 },
	{ L64, "66 48 ff 20", 0xffff800000001000ULL, 0, X86EMU_DONE, 0, { { 'r', 0x1000, 8, 0 } },
	  0, 0, 0, SP0, 0xffff800000001000ULL, 4 },
	{ L64, "ff 24 25 00 20 00 00", 0x1000, 0, X86EMU_DONE, 0, { { 'r', 0x2000, 8, 0 } },
	  0, 0, 0, SP0, 0x1000, 7 },
	{ L64, "ff 20", NONCANON, 0, X86EMU_FAULT, 13, { { 'r', 0x1000, 8, 0 } }, 0, 0, 0, SP0, 0, 0 },
	{ L64, "ff 20", 0xfffe800000000000ULL, 0, X86EMU_FAULT, 13, { { 'r', 0x1000, 8, 0 } },
	  0, 0, 0, SP0, 0, 0 },
	{ P32, "ff 23", 0xdeadbeefcafef00dULL, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 4, 0 } },
	  0, 0, 0, SP0, 0xcafef00d, 2 },
	{ P32, "66 ff 23", 0xdeadbeefcafef00dULL, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 2, 0 } },
	  0, 0, 0, SP0, 0xf00d, 3 },
	{ R16, "ff 27", 0xdeadbeefcafef00dULL, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 2, 0 } },
	  0, 0, 0, SP0, 0xf00d, 2 },
	/* Near CALL through memory (64-bit mode): the read, then the push. */
	{ L64, "ff 10", CANON, 0, X86EMU_DONE, 0, { { 'r', 0x1000, 8, 0 }, { 'w', SP0 - 8, 8, RIP0 + 2 } },
	  0, 0, 0, SP0 - 8, CANON, 2 },
	{ L64, "48 ff 14 24", CANON, 0, X86EMU_DONE, 0,
	  { { 'r', SP0, 8, 0 }, { 'w', SP0 - 8, 8, RIP0 + 4 } }, 0, 0, 0, SP0 - 8, CANON, 4 },
	{ L64, "41 ff 54 24 f8", 0x2000, 0, X86EMU_DONE, 0,
	  { { 'r', 0x2ff8, 8, 0 }, { 'w', SP0 - 8, 8, RIP0 + 5 } }, 0, 0, 0, SP0 - 8, 0x2000, 5 },
	{ L64, "ff 10", NONCANON, 0, X86EMU_FAULT, 13, { { 'r', 0x1000, 8, 0 } }, 0, 0, 0, SP0, 0, 0 },
	/* Far JMP through memory: the offset, then the selector, one read. */
	{ L64, "49 ff 6d 00", CANON, 0xffff0008ULL, X86EMU_DONE, 0, { { 'r', 0x3000, 10, 0 } },
	  'j', 0, 0x0008, SP0, CANON, 4 },
	{ L64, "ff 28", 0xffff001012345678ULL, 0, X86EMU_DONE, 0, { { 'r', 0x1000, 6, 0 } },
	  'j', 0, 0x0010, SP0, 0x12345678, 2 },
	{ L64, "66 ff 28", 0xffff001812345678ULL, 0, X86EMU_DONE, 0, { { 'r', 0x1000, 4, 0 } },
	  'j', 0, 0x1234, SP0, 0x5678, 3 },
	{ P32, "ff 2b", 0x0008cafef00dULL, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 6, 0 } },
	  'j', 0, 0x0008, SP0, 0xcafef00d, 2 },
	{ R16, "ff 2f", 0x12345678, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 4, 0 } },
	  'j', 0, 0x1234, SP0, 0x5678, 2 },
	{ P16, "66 ff 2f", 0xabcd00012345ULL, 0, X86EMU_DONE, 0, { { 'r', 0x12000, 6, 0 } },
	  'j', 0, 0xabcd, SP0, 0x00012345, 3 },
};

static void s_setup(struct x86_emu_ctxt *c, struct tmem *m, struct x86_emu_ops *ops,
		    const struct scase *t)
{
	memset(c, 0, sizeof(*c));
	c->regs[RAX] = 0x1000;
	c->regs[RBX] = 0x2000;
	c->regs[RSP] = SP0;
	c->regs[RBP] = 0x100;
	c->regs[R12] = 0x3000;
	c->regs[R13] = 0x3000;
	memcpy(c->seg_base, t->mode == L64 ? s_base64 : s_base, sizeof(c->seg_base));
	memcpy(c->seg_sel, s_sel, sizeof(c->seg_sel));
	c->rip = RIP0;
	c->rflags = 0x2;
	c->mode = t->mode;
	c->insn_len = hex_bytes(t->hex, c->insn, sizeof(c->insn));
	*ops = tmem_ops;
	ops->load_sreg = s_load_sreg;
	ops->far_jmp = s_far_jmp;
	c->ops = ops;
	c->opaque = m;
	tmem_init(m);
	m->fixed = true;
	m->fixed_val = t->mem;
	m->fixed_hi = t->mem_hi;
	cb_calls = 0;
	cb_seg = -1;
	cb_sel = 0;
	cb_rip = 0;
	cb_result = X86EMU_DONE;
}

/* Nothing committed: the registers, RIP and RFLAGS as before. */
static bool s_unchanged(const struct x86_emu_ctxt *c, const struct x86_emu_ctxt *c0)
{
	return !memcmp(c->regs, c0->regs, sizeof(c->regs)) && c->rip == c0->rip &&
	       c->rflags == c0->rflags;
}

static void run_case(struct group *g, const struct scase *t)
{
	struct x86_emu_ctxt c, c0;
	struct x86_emu_ops ops;
	struct tmem m;
	enum x86_emu_result r;
	u64 want_rip = t->rip ? t->rip : RIP0 + t->len;
	unsigned int i;

	case_begin(g);
	s_setup(&c, &m, &ops, t);
	c0 = c;
	r = x86_emulate(&c);
	if (r != t->want) {
		case_fail(g, "%s [%s]: %s, want %s", mode_name(t->mode), t->hex,
			  result_name(r), result_name(t->want));
		goto out;
	}
	if (m.err[0])
		case_fail(g, "[%s]: %s", t->hex, m.err);
	for (i = 0; i < 2; i++) {
		const struct sacc *w = &t->acc[i];
		const struct tmem_access *a = &m.log[i];

		if (!w->kind ? i < m.nlog :
		    i >= m.nlog || a->kind != w->kind || a->gva != w->gva ||
		    a->size != w->size || (w->kind == 'w' && a->val != w->val))
			case_fail(g, "%s [%s]: access %u: got %c %#llx/%u val %#llx, want %c %#llx/%u val %#llx",
				  mode_name(t->mode), t->hex, i, i < m.nlog ? a->kind : '-',
				  (unsigned long long)(i < m.nlog ? a->gva : 0),
				  i < m.nlog ? a->size : 0,
				  (unsigned long long)(i < m.nlog ? a->val : 0),
				  w->kind ? w->kind : '-', (unsigned long long)w->gva,
				  w->size, (unsigned long long)w->val);
	}
	if (m.nlog > 2)
		case_fail(g, "[%s]: %u accesses", t->hex, m.nlog);
	if (r == X86EMU_FAULT) {
		if (c.exception.vector != t->vector ||
		    c.exception.has_error != (t->vector == 13) ||
		    c.exception.error_code || cb_calls || m.nwrites ||
		    !s_unchanged(&c, &c0))
			case_fail(g, "%s [%s]: vector %u error %u (%d), %d callbacks, %u writes, or state changed",
				  mode_name(t->mode), t->hex, c.exception.vector,
				  c.exception.error_code, c.exception.has_error,
				  cb_calls, m.nwrites);
		goto out;
	}
	if (cb_calls != !!t->cb ||
	    (t->cb == 'l' && (cb_seg != t->seg || cb_sel != t->sel)) ||
	    (t->cb == 'j' && (cb_sel != t->sel || cb_rip != want_rip)))
		case_fail(g, "%s [%s]: %d callbacks, seg %d sel %#x rip %#llx", mode_name(t->mode),
			  t->hex, cb_calls, cb_seg, cb_sel, (unsigned long long)cb_rip);
	c0.regs[RSP] = t->rsp;
	c0.rip = want_rip;
	if (!s_unchanged(&c, &c0) || c.len != t->len)
		case_fail(g, "%s [%s]: rsp %#llx rip %#llx len %u", mode_name(t->mode), t->hex,
			  (unsigned long long)c.regs[RSP], (unsigned long long)c.rip, c.len);

	/* The callback raises a fault: nothing committed. */
	if (t->cb) {
		s_setup(&c, &m, &ops, t);
		c0 = c;
		cb_result = X86EMU_FAULT;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || cb_calls != 1 || c.exception.vector != 13 ||
		    c.exception.error_code != (t->sel & 0xfffc) || !s_unchanged(&c, &c0))
			case_fail(g, "%s [%s]: a faulting callback: %s, state changed?",
				  mode_name(t->mode), t->hex, result_name(r));
		/* Without the callback: not emulated, no access. */
		s_setup(&c, &m, &ops, t);
		ops.load_sreg = NULL;
		ops.far_jmp = NULL;
		if (x86_emulate(&c) != X86EMU_UNHANDLED || m.nlog)
			case_fail(g, "%s [%s]: emulated without its callback",
				  mode_name(t->mode), t->hex);
	}
	/* The read exits to userspace: no callback, nothing committed. */
	if (t->acc[0].kind == 'r') {
		s_setup(&c, &m, &ops, t);
		c0 = c;
		m.read_inject_at = 0;
		m.read_inject = X86EMU_EXIT;
		r = x86_emulate(&c);
		if (r != X86EMU_EXIT || cb_calls || m.nwrites || !s_unchanged(&c, &c0))
			case_fail(g, "%s [%s]: EXIT on the read: %s, %d callbacks, %u writes",
				  mode_name(t->mode), t->hex, result_name(r), cb_calls, m.nwrites);
	}
	/* A write that faults commits nothing either. */
	if (t->acc[0].kind == 'w' || t->acc[1].kind == 'w') {
		s_setup(&c, &m, &ops, t);
		c0 = c;
		m.write_inject_at = 0;
		m.write_inject = X86EMU_FAULT;
		m.inject_exc.vector = 14;
		r = x86_emulate(&c);
		if (r != X86EMU_FAULT || c.exception.vector != 14 || !s_unchanged(&c, &c0))
			case_fail(g, "%s [%s]: a faulting write: %s, state changed?",
				  mode_name(t->mode), t->hex, result_name(r));
	}
out:
	case_end(g);
}

void sreg_tests(void)
{
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
	} unhandled[] = {
		{ L64, "8c 30" }, { L64, "8c 38" }, { L64, "44 8c 00" }, { L64, "8c c0" },
		{ L64, "f0 8c 00" }, { L64, "8e 30" }, { L64, "8e 38" }, { L64, "44 8e 00" },
		{ L64, "8e d0" }, { L64, "f0 8e 10" }, { P32, "0f a1" }, { P32, "0f a9" },
		{ R16, "0f a1" }, { L64, "f3 0f a1" }, { L64, "f0 0f a9" },
		{ L64, "66 ff 20" }, { L64, "66 ff 10" }, { P32, "ff 10" }, { R16, "ff 10" },
		{ P16, "ff 10" }, { L64, "ff e0" }, { L64, "ff d0" }, { L64, "ff e8" },
		{ L64, "f0 ff 20" }, { L64, "f0 ff 28" }, { L64, "f0 ff 10" },
		{ L64, "ff 18" }, { L64, "ff 38" }, { L64, "f3 ff 20" }, { L64, "ff" },
		{ L64, "ff 28" }, { L64, "0f a1" },	/* cut: see below */
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: MOV Sreg (8c 8e), POP FS/GS (0f a1 a9), JMP CALL through memory (ff /2 /4 /5)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&g, &cases[i]);
	for (i = 0; i < sizeof(unhandled) / sizeof(unhandled[0]); i++) {
		struct scase t = { .mode = unhandled[i].mode, .hex = unhandled[i].hex };
		struct x86_emu_ctxt c, c0;
		struct x86_emu_ops ops;
		struct tmem m;
		enum x86_emu_result r;

		case_begin(&g);
		s_setup(&c, &m, &ops, &t);
		/* The last two: truncated by one byte. */
		if (i + 2 >= sizeof(unhandled) / sizeof(unhandled[0]))
			c.insn_len--;
		c0 = c;
		r = x86_emulate(&c);
		if (r != X86EMU_UNHANDLED || m.nlog || cb_calls || !s_unchanged(&c, &c0))
			case_fail(&g, "%s [%s]: %s, %u accesses, %d callbacks, want UNHANDLED",
				  mode_name(t.mode), t.hex, result_name(r), m.nlog, cb_calls);
		case_end(&g);
	}
	group_end(&g);
}
