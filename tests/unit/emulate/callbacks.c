// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the instructions that call back into the host rather than only
 * read and write memory: INVLPG (the decoder serving the kernel's
 * intercept), SMSW/LMSW (CR0 through the get_cr0 and lmsw callbacks), LTR
 * (its selector to the ltr callback), and
 * LOCKed read-modify-writes (through cmpxchg, raced).  Split from
 * tables.c, whose table machinery they do not use; they start from the
 * same registers (def_regs).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* ---- INVLPG: the decoder serving the kernel's intercept ------------------ */

static u64 invlpg_gva;
static int invlpg_calls;

static enum x86_emu_result invlpg_cb(struct x86_emu_ctxt *c, u64 gva)
{
	(void)c;
	invlpg_gva = gva;
	invlpg_calls++;
	return X86EMU_DONE;
}

static enum x86_emu_result no_access(struct x86_emu_ctxt *c, u64 gva, void *val,
				     unsigned int size)
{
	(void)c; (void)gva; (void)val; (void)size;
	return X86EMU_UNHANDLED;
}

static enum x86_emu_result no_write(struct x86_emu_ctxt *c, u64 gva,
				    const void *val, unsigned int size)
{
	(void)c; (void)gva; (void)val; (void)size;
	return X86EMU_UNHANDLED;
}

static void invlpg_tests(void)
{
	static const struct x86_emu_ops ops = {
		.read = no_access, .write = no_write, .invlpg = invlpg_cb,
	};
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
		u64 gva;		/* UINT64_MAX: X86EMU_UNHANDLED */
		unsigned int len;
	} t[] = {
		{ X86_EMU_LONG64, "0f 01 38", 0x1000, 3 },		/* [rax] */
		{ X86_EMU_LONG64, "41 0f 01 7d 00", 0xffff800080000000ULL, 5 }, /* [r13+0] */
		{ X86_EMU_LONG64, "0f 01 3d 10 00 00 00", 0x2017, 7 },	/* [rip+0x10] */
		{ X86_EMU_LONG64, "64 0f 01 38", 0x101000, 4 },	/* fs:[rax] */
		{ X86_EMU_PROT32, "0f 01 7b 08", 0x308, 4 },		/* [ebx+8] */
		{ X86_EMU_REAL, "0f 01 3f", 0x50300, 3 },		/* [bx], DS base 0x50000 */
		{ X86_EMU_LONG64, "0f 01 f8", UINT64_MAX, 0 },	/* swapgs: register form */
		{ X86_EMU_LONG64, "0f 01 30", UINT64_MAX, 0 },	/* lmsw: /6 */
		{ X86_EMU_LONG64, "f0 0f 01 38", UINT64_MAX, 0 },	/* LOCK */
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: INVLPG decoding");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct x86_emu_ctxt c;
		enum x86_emu_result r;

		case_begin(&g);
		memset(&c, 0, sizeof(c));
		c.mode = t[i].mode;
		c.insn_len = hex_bytes(t[i].hex, c.insn, sizeof(c.insn));
		c.regs[0] = 0x1000;		/* RAX */
		c.regs[3] = 0x300;		/* RBX */
		c.regs[13] = 0xffff800080000000ULL;
		c.rip = 0x2000;
		c.seg_base[X86_SEG_DS] = c.mode == X86_EMU_REAL ? 0x50000 : 0;
		c.seg_base[X86_SEG_FS] = 0x100000;
		c.ops = &ops;
		invlpg_calls = 0;
		r = x86_emulate(&c);
		if (t[i].gva == UINT64_MAX) {
			if (r != X86EMU_UNHANDLED || invlpg_calls)
				case_fail(&g, "%s: %s, %d calls, want UNHANDLED", t[i].hex,
					  result_name(r), invlpg_calls);
		} else if (r != X86EMU_DONE || invlpg_calls != 1 ||
			   invlpg_gva != t[i].gva || c.len != t[i].len ||
			   c.rip != 0x2000 + t[i].len) {
			case_fail(&g, "%s: %s, gva %#llx, len %u, rip %#llx", t[i].hex,
				  result_name(r), (unsigned long long)invlpg_gva, c.len,
				  (unsigned long long)c.rip);
		}
		case_end(&g);
	}
	group_end(&g);
}

/* ---- SMSW and LMSW: the machine-status instructions ---------------------- */

#define MSW_CR0		0x8005003bULL	/* PG AM WP NE ET TS MP PE */
static u64 msw_wgva, msw_wval;
static unsigned int msw_wsize;
static int msw_lmsw_calls, msw_writes;
static u16 msw_lmsw_val;

static u64 msw_get_cr0(struct x86_emu_ctxt *c)
{
	(void)c;
	return MSW_CR0;
}

static enum x86_emu_result msw_lmsw(struct x86_emu_ctxt *c, u16 val)
{
	(void)c;
	msw_lmsw_val = val;
	msw_lmsw_calls++;
	return X86EMU_DONE;
}

static enum x86_emu_result msw_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				    unsigned int size)
{
	u64 v = 0xa5a5c3c3e7e7f00fULL;

	(void)c;
	if (gva != 0x50300)
		return X86EMU_UNHANDLED;
	memcpy(val, &v, size);
	return X86EMU_DONE;
}

static enum x86_emu_result msw_write(struct x86_emu_ctxt *c, u64 gva,
				     const void *val, unsigned int size)
{
	(void)c;
	msw_wgva = gva;
	msw_wsize = size;
	msw_wval = 0;
	memcpy(&msw_wval, val, size);
	msw_writes++;
	return X86EMU_DONE;
}

static void msw_tests(void)
{
	static const struct x86_emu_ops ops = {
		.read = msw_read, .write = msw_write,
		.get_cr0 = msw_get_cr0, .lmsw = msw_lmsw,
	};
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
		int reg;		/* SMSW to a register: which; -1: none */
		u64 want;		/* its value after, or the write's, or LMSW's */
		char kind;		/* 'r' register, 'w' memory write, 'l' LMSW */
		unsigned int len;
	} t[] = {
		/* RAX starts at 0x1111111100005a40, R8 at 0x80088. */
		{ X86_EMU_LONG64, "0f 01 e0", RAX, MSW_CR0, 'r', 3 },	/* smsw eax: zero-extends */
		{ X86_EMU_LONG64, "48 0f 01 e0", RAX, MSW_CR0, 'r', 4 },	/* smsw rax */
		{ X86_EMU_LONG64, "66 0f 01 e0", RAX, 0x111111110000003bULL, 'r', 4 }, /* smsw ax */
		{ X86_EMU_LONG64, "41 0f 01 e0", R8, MSW_CR0, 'r', 4 },	/* smsw r8d */
		{ X86_EMU_REAL, "0f 01 e0", RAX, 0x111111110000003bULL, 'r', 3 },	/* smsw ax */
		{ X86_EMU_REAL, "66 0f 01 e0", RAX, MSW_CR0, 'r', 4 },	/* smsw eax, kvm-unit-tests' */
		{ X86_EMU_REAL, "0f 01 27", -1, 0x003b, 'w', 3 },	/* smsw [bx]: 16 bits */
		{ X86_EMU_PROT32, "66 0f 01 23", -1, 0x003b, 'w', 4 },	/* smsw [ebx], 66: still 16 */
		{ X86_EMU_LONG64, "0f 01 f0", -1, 0x5a40, 'l', 3 },	/* lmsw ax */
		{ X86_EMU_REAL, "0f 01 37", -1, 0xf00f, 'l', 3 },	/* lmsw [bx] */
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: SMSW and LMSW");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct x86_emu_ctxt c;
		enum x86_emu_result r;
		bool ok;

		case_begin(&g);
		memset(&c, 0, sizeof(c));
		c.mode = t[i].mode;
		c.insn_len = hex_bytes(t[i].hex, c.insn, sizeof(c.insn));
		memcpy(c.regs, def_regs, sizeof(c.regs));
		c.regs[RBX] = 0x300;
		c.rip = 0x2000;
		c.seg_base[X86_SEG_DS] = 0x50000;
		c.ops = &ops;
		msw_writes = msw_lmsw_calls = 0;
		r = x86_emulate(&c);
		ok = r == X86EMU_DONE && c.len == t[i].len && c.rip == 0x2000 + t[i].len;
		if (t[i].kind == 'r')
			ok = ok && c.regs[t[i].reg] == t[i].want && !msw_writes;
		else if (t[i].kind == 'w')
			ok = ok && msw_writes == 1 && msw_wgva == 0x50300 &&
			     msw_wsize == 2 && msw_wval == t[i].want;
		else
			ok = ok && msw_lmsw_calls == 1 && msw_lmsw_val == t[i].want;
		if (!ok)
			case_fail(&g, "%s: %s, len %u, rax %#llx r8 %#llx, %d writes (%#llx, %u bytes at %#llx), %d lmsw (%#x)",
				  t[i].hex, result_name(r), c.len,
				  (unsigned long long)c.regs[RAX], (unsigned long long)c.regs[R8],
				  msw_writes, (unsigned long long)msw_wval, msw_wsize,
				  (unsigned long long)msw_wgva, msw_lmsw_calls, msw_lmsw_val);
		case_end(&g);
	}
	group_end(&g);
}

/* ---- LTR: the selector, from memory or a register, to ops->ltr ------------ */

static int ltr_calls;
static u16 ltr_sel;
static unsigned int ltr_read_size;

/* msw_read(), remembering the size: LTR reads 16 bits in every mode. */
static enum x86_emu_result ltr_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				    unsigned int size)
{
	ltr_read_size = size;
	return msw_read(c, gva, val, size);
}

static enum x86_emu_result ltr_cb(struct x86_emu_ctxt *c, u16 sel)
{
	(void)c;
	ltr_sel = sel;
	ltr_calls++;
	return X86EMU_DONE;
}

static void ltr_tests(void)
{
	static const struct x86_emu_ops ops = {
		.read = ltr_read, .write = msw_write, .ltr = ltr_cb,
	};
	static const struct x86_emu_ops no_ltr = {
		.read = msw_read, .write = msw_write,
	};
	static const struct {
		enum x86_emu_mode mode;
		const char *hex;
		int sel;		/* -1: X86EMU_UNHANDLED */
		unsigned int len;
	} t[] = {
		/* [ebx] is 0x50300 (DS base 0x50000), which holds ...f00f. */
		{ X86_EMU_PROT32, "0f 00 1b", 0xf00f, 3 },		/* ltr [ebx] */
		{ X86_EMU_PROT32, "66 0f 00 1b", 0xf00f, 4 },		/* 66: still 16 bits */
		{ X86_EMU_PROT16, "0f 00 5f 00", 0xf00f, 4 },		/* ltr [bx+0] */
		{ X86_EMU_PROT32, "0f 00 d8", 0x5a40, 3 },		/* ltr ax */
		{ X86_EMU_LONG64, "41 0f 00 d8", 0x0088, 4 },		/* ltr r8w */
		{ X86_EMU_REAL, "0f 00 1f", -1, 0 },			/* #UD in real mode */
		{ X86_EMU_PROT32, "0f 00 0b", -1, 0 },			/* /1 STR */
		{ X86_EMU_PROT32, "0f 00 13", -1, 0 },			/* /2 LLDT */
		{ X86_EMU_PROT32, "f0 0f 00 1b", -1, 0 },		/* LOCK */
		{ X86_EMU_PROT32, "f3 0f 00 1b", -1, 0 },		/* REP */
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: LTR (0f 00 /3)");
	for (i = 0; i <= sizeof(t) / sizeof(t[0]); i++) {
		bool last = i == sizeof(t) / sizeof(t[0]);
		struct x86_emu_ctxt c;
		enum x86_emu_result r;
		int want = last ? -1 : t[i].sel;

		case_begin(&g);
		memset(&c, 0, sizeof(c));
		/* Last: the first form again, without ops->ltr. */
		c.mode = t[last ? 0 : i].mode;
		c.insn_len = hex_bytes(t[last ? 0 : i].hex, c.insn, sizeof(c.insn));
		memcpy(c.regs, def_regs, sizeof(c.regs));
		c.regs[RBX] = 0x300;
		c.rip = 0x2000;
		c.seg_base[X86_SEG_DS] = 0x50000;
		c.ops = last ? &no_ltr : &ops;
		ltr_calls = 0;
		ltr_read_size = 0;
		r = x86_emulate(&c);
		if (want < 0 ? r != X86EMU_UNHANDLED || ltr_calls :
		    r != X86EMU_DONE || ltr_calls != 1 || ltr_sel != want ||
		    c.len != t[i].len || c.rip != 0x2000 + t[i].len ||
		    ltr_read_size != (strstr(t[i].hex, "d8") ? 0 : 2))
			case_fail(&g, "%s%s: %s, %d calls, selector %#x, len %u, read %u bytes",
				  t[last ? 0 : i].hex, last ? " without ops->ltr" : "",
				  result_name(r), ltr_calls, ltr_sel, c.len,
				  ltr_read_size);
		case_end(&g);
	}
	group_end(&g);
}

/* ---- Locked writes through ops->cmpxchg_emulated ----------------------------------- */

/*
 * Eight bytes of memory at LK_GVA.  "Another vCPU" may write lk_race to
 * it between the instruction's read and its write; lk_cmpxchg() stores
 * only if memory still holds what the instruction read.
 */
#define LK_GVA	0x1000ULL
static u8 lk_mem[8];
static bool lk_race_on;
static u64 lk_race;
static int lk_reads, lk_writes, lk_xchgs;
static u64 lk_old, lk_new;
static unsigned int lk_size;

static enum x86_emu_result lk_read(struct x86_emu_ctxt *c, u64 gva, void *val,
				   unsigned int size)
{
	(void)c;
	lk_reads++;
	if (gva != LK_GVA || size > 8)
		return X86EMU_UNHANDLED;
	memcpy(val, lk_mem, size);
	if (lk_race_on)
		memcpy(lk_mem, &lk_race, 8);
	return X86EMU_DONE;
}

static enum x86_emu_result lk_write(struct x86_emu_ctxt *c, u64 gva,
				    const void *val, unsigned int size)
{
	(void)c;
	lk_writes++;
	if (gva != LK_GVA || size > 8)
		return X86EMU_UNHANDLED;
	memcpy(lk_mem, val, size);
	return X86EMU_DONE;
}

static enum x86_emu_result lk_cmpxchg(struct x86_emu_ctxt *c, u64 gva,
				      const void *old, const void *new,
				      unsigned int size)
{
	(void)c;
	lk_xchgs++;
	if (gva != LK_GVA || size > 8)
		return X86EMU_UNHANDLED;
	lk_old = lk_new = 0;
	memcpy(&lk_old, old, size);
	memcpy(&lk_new, new, size);
	lk_size = size;
	if (memcmp(lk_mem, old, size))
		return X86EMU_RETRY;
	memcpy(lk_mem, new, size);
	return X86EMU_DONE;
}

static void lock_tests(void)
{
	static const struct x86_emu_ops ops = {
		.read = lk_read, .write = lk_write, .cmpxchg_emulated = lk_cmpxchg,
	};
	/* RAX = LK_GVA; RCX, RDX, RBX as below; memory before: mem. */
	static const struct {
		const char *hex;
		bool race;		/* another write between read and write */
		u64 mem;
		enum x86_emu_result want;
		int writes, xchgs;	/* calls of write and of cmpxchg */
		unsigned int size;	/* of the cmpxchg */
		u64 old, new;		/* what cmpxchg was given */
		u64 mem_out;
		int reg;		/* a register the instruction sets, or -1 */
		u64 reg_out;
	} t[] = {
		/* lock add [rax], rcx: 5 + 3 */
		{ "f0 48 01 08", false, 5, X86EMU_DONE, 0, 1, 8, 5, 8, 8, -1, 0 },
		/* the same, raced: memory became 7, nothing committed */
		{ "f0 48 01 08", true, 5, X86EMU_RETRY, 0, 1, 8, 5, 8, 7, -1, 0 },
		/* add [rax], rcx without LOCK: a plain write */
		{ "48 01 08", false, 5, X86EMU_DONE, 1, 0, 0, 0, 0, 8, -1, 0 },
		/* lock and word [rax], 0x1234 */
		{ "f0 66 81 20 34 12", false, 0xffff, X86EMU_DONE, 0, 1, 2, 0xffff,
		  0x1234, 0x1234, -1, 0 },
		/* lock inc/dec are not emulated; lock sub byte [rax], 1 */
		{ "f0 80 28 01", false, 0x10, X86EMU_DONE, 0, 1, 1, 0x10, 0x0f, 0x0f,
		  -1, 0 },
		/* lock cmp: #UD, not emulated */
		{ "f0 48 39 08", false, 5, X86EMU_UNHANDLED, 0, 0, 0, 0, 0, 5, -1, 0 },
		/* xchg [rax], rcx: locked without the prefix */
		{ "48 87 08", false, 0x1111, X86EMU_DONE, 0, 1, 8, 0x1111, 3, 3,
		  1, 0x1111 },
		/* xchg raced: RCX keeps its value */
		{ "48 87 08", true, 0x1111, X86EMU_RETRY, 0, 1, 8, 0x1111, 3, 7,
		  1, 3 },
		/* lock cmpxchg [rax], ecx with EAX = LK_GVA: memory equal */
		{ "f0 0f b1 08", false, LK_GVA, X86EMU_DONE, 0, 1, 4, LK_GVA, 3, 3,
		  0, LK_GVA },
		/* not equal: no write of either kind, EAX = memory */
		{ "f0 0f b1 08", false, 9, X86EMU_DONE, 0, 0, 0, 0, 0, 9, 0, 9 },
		/* cmpxchg without LOCK: a plain write */
		{ "0f b1 08", false, LK_GVA, X86EMU_DONE, 1, 0, 0, 0, 0, 3, 0, LK_GVA },
		/* lock cmpxchg8b [rax]: EDX:EAX = 0x4:LK_GVA, ECX:EBX = 3:0x22 */
		{ "f0 0f c7 08", false, 4ULL << 32 | LK_GVA, X86EMU_DONE, 0, 1, 8,
		  4ULL << 32 | LK_GVA, 3ULL << 32 | 0x22, 3ULL << 32 | 0x22, -1, 0 },
		/* raced */
		{ "f0 0f c7 08", true, 4ULL << 32 | LK_GVA, X86EMU_RETRY, 0, 1, 8,
		  4ULL << 32 | LK_GVA, 3ULL << 32 | 0x22, 7, -1, 0 },
		/* lock xadd [rax], rcx: 5 + 3, RCX = 5 */
		{ "f0 48 0f c1 08", false, 5, X86EMU_DONE, 0, 1, 8, 5, 8, 8, 1, 5 },
		/* raced: RCX keeps its value */
		{ "f0 48 0f c1 08", true, 5, X86EMU_RETRY, 0, 1, 8, 5, 8, 7, 1, 3 },
		/* xadd without LOCK: a plain write */
		{ "0f c1 08", false, 5, X86EMU_DONE, 1, 0, 0, 0, 0, 8, 1, 5 },
		/* shld [rax], ecx, 4 (never locked): a plain write */
		{ "0f a4 08 04", false, 5, X86EMU_DONE, 1, 0, 0, 0, 0, 0x50, -1, 0 },
	};
	struct group g;
	unsigned int i;

	group_begin(&g, "table: locked writes through cmpxchg");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct x86_emu_ctxt c, c0;
		enum x86_emu_result r;
		u64 mem = 0;

		case_begin(&g);
		memset(&c, 0, sizeof(c));
		c.mode = X86_EMU_LONG64;
		c.insn_len = hex_bytes(t[i].hex, c.insn, sizeof(c.insn));
		c.regs[0] = LK_GVA;	/* RAX */
		c.regs[1] = 3;		/* RCX */
		c.regs[2] = 4;		/* RDX */
		c.regs[3] = 0x22;	/* RBX */
		c.rip = 0x2000;
		c.rflags = 0x2;
		c.ops = &ops;
		c0 = c;
		memcpy(lk_mem, &t[i].mem, 8);
		lk_race_on = t[i].race;
		lk_race = 7;
		lk_reads = lk_writes = lk_xchgs = 0;
		lk_old = lk_new = 0;
		lk_size = 0;
		r = x86_emulate(&c);
		memcpy(&mem, lk_mem, 8);
		if (r != t[i].want || lk_writes != t[i].writes ||
		    lk_xchgs != t[i].xchgs || mem != t[i].mem_out)
			case_fail(&g, "%s: %s, %d writes, %d cmpxchgs, memory %#llx; want %s, %d, %d, %#llx",
				  t[i].hex, result_name(r), lk_writes, lk_xchgs,
				  (unsigned long long)mem, result_name(t[i].want),
				  t[i].writes, t[i].xchgs,
				  (unsigned long long)t[i].mem_out);
		else if (t[i].xchgs && (lk_size != t[i].size || lk_old != t[i].old ||
					lk_new != t[i].new))
			case_fail(&g, "%s: cmpxchg of %u bytes %#llx -> %#llx; want %u, %#llx -> %#llx",
				  t[i].hex, lk_size, (unsigned long long)lk_old,
				  (unsigned long long)lk_new, t[i].size,
				  (unsigned long long)t[i].old,
				  (unsigned long long)t[i].new);
		else if (r != X86EMU_DONE &&
			 (memcmp(c.regs, c0.regs, sizeof(c.regs)) ||
			  c.rip != c0.rip || c.rflags != c0.rflags))
			case_fail(&g, "%s: %s but the state changed", t[i].hex,
				  result_name(r));
		else if (t[i].reg >= 0 && c.regs[t[i].reg] != t[i].reg_out)
			case_fail(&g, "%s: register %d = %#llx, want %#llx", t[i].hex,
				  t[i].reg, (unsigned long long)c.regs[t[i].reg],
				  (unsigned long long)t[i].reg_out);
		else if (r == X86EMU_DONE && c.rip != 0x2000 + c.len)
			case_fail(&g, "%s: rip %#llx", t[i].hex,
				  (unsigned long long)c.rip);
		case_end(&g);
	}
	group_end(&g);
}

void callback_tests(void)
{
	invlpg_tests();
	msw_tests();
	ltr_tests();
	lock_tests();
}
