/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction emulator for MMIO: the instructions a guest uses to
 * touch memory-mapped devices (and read-only memory), decoded from the bytes
 * at the guest's RIP and executed against the caller's registers, with the
 * memory accesses done through callbacks.
 *
 * One unit of code in two files (emulate_decode.c decodes, emulate.c
 * executes; emulate_priv.h between them), compiled into the kernel module
 * and, for its unit tests, into userspace programs (tests/unit/emulate/):
 * no allocation, no global state, no printing, nothing but this header's
 * includes (and the uapi <asm/processor-flags.h>).
 *
 * What it emulates (only forms with a memory operand; a ModRM that names a
 * register is X86EMU_UNHANDLED):
 *
 *   MOV      88 89 8A 8B, C6 /0, C7 /0, A0-A3 (moffs)
 *   Sreg     MOV m16, Sreg 8C (a 16-bit store whatever the operand size,
 *            the selector from c->seg_sel[]); MOV Sreg, m16 8E (a 16-bit
 *            read, then ops->load_sreg; CS is #UD); POP FS 0F A1, POP GS
 *            0F A9 in 64-bit mode (8 bytes, 2 with 66).  ModRM.reg 6, 7
 *            or with REX.R is not emulated
 *   JMP      near FF /4: RIP = the operand (16 or 32 bits, 64 in 64-bit
 *            mode, where a non-canonical target is #GP(0), nothing
 *            committed, and 66 without REX.W is not emulated); far FF /5:
 *            m16:16, m16:32 or with REX.W m16:64, one read of the offset
 *            and the selector, then ops->far_jmp
 *   CALL     near FF /2 in 64-bit mode: the target read (#GP(0) if not
 *            canonical), then the next RIP pushed (8 bytes)
 *   MOVZX    0F B6, 0F B7;  MOVSX 0F BE, 0F BF;  MOVSXD 63 (64-bit mode,
 *            32- or 64-bit operand size)
 *   strings  MOVS A4 A5, CMPS A6 A7, STOS AA AB, LODS AC AD, SCAS AE AF;
 *            with or without REP (F3); CMPS and SCAS also REPNE (F2)
 *   ALU      ADD OR ADC SBB AND SUB XOR CMP: 00-03, 08-0B, ..., 38-3B, and
 *            group 1: 80, 81, 83
 *   TEST     84 85, F6 /0, F7 /0
 *   unary    INC FE /0, FF /0;  DEC FE /1, FF /1;  NOT F6 /2, F7 /2;
 *            NEG F6 /3, F7 /3
 *   bits     BT 0F A3, BTS 0F AB, BTR 0F B3, BTC 0F BB, 0F BA /4-/7 ib;
 *            BSF 0F BC, BSR 0F BD
 *   IMUL     0F AF, 69, 6B (the two- and three-operand forms)
 *   mul/div  MUL F6 /4, F7 /4;  IMUL F6 /5, F7 /5;  DIV F6 /6, F7 /6;
 *            IDIV F6 /7, F7 /7 (#DE, vector 0, for a divisor of 0 or a
 *            quotient that does not fit: X86EMU_FAULT, nothing changed)
 *   XADD     0F C0, 0F C1
 *   shifts   SHLD 0F A4 (ib), 0F A5 (CL);  SHRD 0F AC (ib), 0F AD (CL)
 *   CMOVcc   0F 40-4F (memory is read whatever the condition)
 *   SSE      MOVUPS 0F 10 11, MOVUPD 66 0F 10 11, MOVAPS 0F 28 29,
 *            MOVAPD 66 0F 28 29, MOVDQA 66 0F 6F 7F, MOVDQU F3 0F 6F 7F:
 *            one 16-byte access, the XMM register through ops->get_xmm
 *            and ops->set_xmm; #UD (CR0.EM, no CR4.OSFXSR), #NM (CR0.TS)
 *            and #GP(0) (an aligned form, an address not a multiple of 16)
 *            from ops->get_cr0 and ops->get_cr4
 *   MMX      MOVQ 0F 6F (load), 0F 7F (store): 8 bytes; MOVD 0F 6E, 0F 7E:
 *            4 bytes (a load zero-extended), with REX.W MOVQ, 8 bytes;
 *            none with 66 or F3 (the SSE forms); the register is MM0-MM7
 *            (REX.R ignored), through ops->get_mmx and ops->set_mmx;
 *            #UD (CR0.EM), #NM (CR0.TS), then #MF (ops->get_mmx), all
 *            before the access
 *   stack    PUSH FF /6, POP 8F /0: in 64-bit mode only (elsewhere the
 *            stack size, SS.B, is not in the context); one read, then
 *            one write, the stack access through ops with SS.  Also in
 *            64-bit mode: PUSH 50-57, 68, 6A; POP 58-5F; RET C3 (#GP(0)
 *            for a non-canonical return address); LEAVE C9; ENTER C8
 *            with nesting level 0
 *   XCHG     86 87
 *   CMPXCHG  0F B0, 0F B1;  CMPXCHG8B 0F C7 /1 (not CMPXCHG16B); memory is
 *            written only when the comparison succeeds
 *   INVLPG   0F 01 /7, for the caller's ops->invlpg (not an MMIO access:
 *            the kernel uses the decoder for the intercepted instruction)
 *   SMSW     0F 01 /4, register (operand size) or memory (16 bits), with
 *            ops->get_cr0;  LMSW 0F 01 /6, register or memory, 16 bits,
 *            with ops->lmsw (the intercepted instructions again)
 *   LTR      0F 00 /3, register or memory, 16 bits, with ops->ltr, which
 *            loads TR (not in real or virtual-8086 mode, where it is #UD)
 *
 * with every addressing form (16-bit, 32-bit with SIB, 64-bit with REX and
 * RIP-relative), the 66/67 size prefixes, REX, segment overrides, and LOCK
 * on the read-modify-write forms.  Anything else is X86EMU_UNHANDLED: the
 * emulator never guesses.
 *
 * Calling convention.  The caller fills in the "in" and "in/out" fields
 * and calls x86_emulate().  The emulator works on copies and commits
 * regs[], rip and rflags only when it returns X86EMU_DONE, so a call that
 * returns anything else can be repeated later with the same bytes and the
 * same state.  An instruction does at most one read (two for CMPS: the
 * source, then the destination) and then at most one write, in that
 * order: no write is issued before a read of the same instruction that
 * could still return X86EMU_EXIT.  After an EXIT the instruction runs
 * again from the start, so the caller must answer the reads it answered
 * before (in the same order) as well as the new one.
 *
 * REP string instructions do one iteration per call: RSI/RDI move by the
 * operand size (down if RFLAGS.DF), the count register (CX, ECX or RCX by
 * address size) goes down by one, and RIP moves past the instruction only
 * when the count reaches 0, or for CMPS and SCAS when REPE finds ZF = 0 or
 * REPNE ZF = 1; a count of 0 on entry just skips the instruction.  The
 * caller re-enters the guest, which runs the next iterations (and takes
 * interrupts between them) as the hardware does.  The source (DS:rSI)
 * takes a segment override, the destination is always ES:rDI.
 *
 * Not checked (the caller's or the hardware's business): segment limits
 * and types (a near JMP's target against CS's limit too), canonical
 * addresses (but the targets of RET and of near JMP and CALL), alignment
 * (but the aligned SSE moves'), CPL and I/O privilege.  The
 * address-size wraparound is exact: a 16-bit effective address wraps at
 * 64 KiB, a 32-bit one at 4 GiB, and outside 64-bit mode the linear address
 * (segment base + effective address) wraps at 4 GiB.  A20 is not modelled.
 * A 32-bit register destination is zero-extended to 64 bits in every mode.
 * LOCK is accepted where the hardware takes it.  The write of a locked
 * read-modify-write (LOCK ALU, INC, DEC, NOT, NEG, BTS, BTR, BTC, XADD,
 * CMPXCHG, CMPXCHG8B, and XCHG, which is always locked) goes through
 * ops->cmpxchg_emulated when the caller has one, so that it is atomic
 * against other vCPUs: it stores only if memory still holds what the
 * instruction read, and X86EMU_RETRY otherwise.
 */
#ifndef KVM_RESEARCH_EMULATE_H
#define KVM_RESEARCH_EMULATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#endif

#define X86_EMU_MAX_INSN_LEN	15

/* The CPU mode with CS.D/CS.L: the default operand and address sizes. */
enum x86_emu_mode {
	X86_EMU_REAL,		/* real or virtual-8086 mode: 16-bit */
	X86_EMU_PROT16,		/* protected or compatibility mode, CS.D = 0 */
	X86_EMU_PROT32,		/* protected or compatibility mode, CS.D = 1 */
	X86_EMU_LONG64,		/* 64-bit mode (EFER.LMA, CS.L = 1) */
};

/* Segment registers, in the encoding's order (KVM's VCPU_SREG_* order). */
enum x86_emu_seg {
	X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
	X86_SEG_NR
};

enum x86_emu_result {
	/* The instruction (or one REP iteration) is done: state updated. */
	X86EMU_DONE,
	/* A read needs userspace (MMIO data): nothing committed; call again. */
	X86EMU_EXIT,
	/* A callback raised a guest exception (c->exception): nothing committed. */
	X86EMU_FAULT,
	/* Not an instruction this emulator handles, or not a valid one. */
	X86EMU_UNHANDLED,
	/*
	 * A locked write found memory changed since the instruction read it
	 * (ops->cmpxchg_emulated): nothing committed; run the instruction again.
	 */
	X86EMU_RETRY,
};

struct x86_emu_ctxt;

/*
 * Memory accesses.  gva is the linear address (segment base added), size
 * is 1, 2, 4 or 8, 16 for the SSE moves, or 6 or 10 for a far JMP's
 * pointer (m16:32, m16:64); val is little-endian; an access may cross a
 * page.
 * Each returns X86EMU_DONE, or X86EMU_EXIT (read only: the data must come
 * from userspace), or X86EMU_FAULT after filling in c->exception
 * (x86_emu_raise()); any other result is passed on, nothing committed.
 * A write may be queued and completed after the instruction.
 */
struct x86_emu_ops {
	enum x86_emu_result (*read)(struct x86_emu_ctxt *c, u64 gva, void *val,
				    unsigned int size);
	enum x86_emu_result (*write)(struct x86_emu_ctxt *c, u64 gva,
				     const void *val, unsigned int size);
	/*
	 * Optional: INVLPG (0F 01 /7) of the linear address gva.  Without it,
	 * INVLPG is X86EMU_UNHANDLED like any other instruction.
	 */
	enum x86_emu_result (*invlpg)(struct x86_emu_ctxt *c, u64 gva);
	/*
	 * Optional: SMSW reads CR0 through get_cr0 (the whole of it: a
	 * 32- or 64-bit register destination gets CR0's bits, as the CPU
	 * stores them); LMSW hands its 16-bit source to lmsw, which loads
	 * PE, MP, EM and TS from it (PE is never cleared) or raises a fault.
	 * Without them, SMSW and LMSW are X86EMU_UNHANDLED.
	 */
	u64 (*get_cr0)(struct x86_emu_ctxt *c);
	enum x86_emu_result (*lmsw)(struct x86_emu_ctxt *c, u16 val);
	/*
	 * Optional: the SSE moves read CR4 (OSFXSR) through get_cr4 and
	 * CR0 (EM, TS) through get_cr0, and XMM register @reg (0-15) through
	 * get_xmm and set_xmm.  Without all four they are X86EMU_UNHANDLED.
	 * set_xmm is called only when the instruction completes.
	 */
	u64 (*get_cr4)(struct x86_emu_ctxt *c);
	/*
	 * Optional: LTR hands its selector to ltr, which loads TR from the
	 * GDT and marks the descriptor busy, or raises the fault.  Without
	 * it, LTR is X86EMU_UNHANDLED.
	 */
	enum x86_emu_result (*ltr)(struct x86_emu_ctxt *c, u16 sel);
	void (*get_xmm)(struct x86_emu_ctxt *c, unsigned int reg, u8 val[16]);
	void (*set_xmm)(struct x86_emu_ctxt *c, unsigned int reg,
			const u8 val[16]);
	/*
	 * Optional: the write of a locked read-modify-write, atomically:
	 * store new at gva only if it still holds old (what the read
	 * returned).  Returns X86EMU_DONE when stored, X86EMU_RETRY when
	 * memory had changed, or what write may return.  Without it, these
	 * writes go through write, atomic only if nothing else writes.
	 */
	enum x86_emu_result (*cmpxchg_emulated)(struct x86_emu_ctxt *c,
						u64 gva, const void *old,
						const void *new,
						unsigned int size);
	/*
	 * Optional: MOV Sreg, m16 (8E) and POP FS/GS (0F A1, 0F A9) hand
	 * the selector to load_sreg, which loads segment @seg (never CS:
	 * the emulator raises #UD for MOV CS) as the CPU does in
	 * the current mode (in protected mode from the GDT or LDT, with its
	 * checks and faults; the MOV SS interrupt shadow included), or
	 * raises the fault.  It is called once every read of the
	 * instruction is done and nothing can fail after it but the
	 * commit.  Without it, those instructions are X86EMU_UNHANDLED.
	 */
	enum x86_emu_result (*load_sreg)(struct x86_emu_ctxt *c,
					 enum x86_emu_seg seg, u16 sel);
	/*
	 * Optional: far JMP through memory (FF /5, m16:16, m16:32 or
	 * m16:64): far_jmp loads CS from @sel for a jump to offset @rip, as
	 * JMP does to a code segment (a call gate, task gate or TSS is
	 * X86EMU_UNHANDLED), checking @rip against the new CS (its limit, or
	 * canonical in 64-bit mode), or raises the fault.  On X86EMU_DONE
	 * the emulator commits RIP = @rip.  Without it, X86EMU_UNHANDLED.
	 */
	enum x86_emu_result (*far_jmp)(struct x86_emu_ctxt *c, u16 sel,
				       u64 rip);
	/*
	 * Optional: the MMX moves (MOVQ 0F 6F, 0F 7F; MOVD/MOVQ 0F 6E,
	 * 0F 7E) reach MMX register @reg (0-7) through get_mmx, which also
	 * raises #MF for a pending unmasked x87 exception, and set_mmx,
	 * called only when the instruction completes: it puts the x87 unit
	 * in MMX mode as every MMX instruction does (TOP = 0, every tag
	 * valid) and, if @write, stores @val in the register (its exponent
	 * bits all ones).  #UD (CR0.EM) and #NM (CR0.TS) come from get_cr0.
	 * Without all three, X86EMU_UNHANDLED.
	 */
	enum x86_emu_result (*get_mmx)(struct x86_emu_ctxt *c,
				       unsigned int reg, u64 *val);
	void (*set_mmx)(struct x86_emu_ctxt *c, unsigned int reg, u64 val,
			bool write);
};

struct x86_emu_exception {
	u8 vector;
	bool has_error;
	u32 error_code;
	u64 address;		/* #PF: the faulting linear address, for CR2 */
};

struct x86_emu_ctxt {
	/* In/out: committed only by X86EMU_DONE. */
	u64 regs[16];		/* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
	u64 rip;		/* the instruction's offset in CS */
	u64 rflags;

	/* In. */
	enum x86_emu_mode mode;
	u64 seg_base[X86_SEG_NR];	/* 64-bit mode uses FS and GS only */
	u16 seg_sel[X86_SEG_NR];	/* the selectors, for MOV m16, Sreg (8C) */
	u8 insn[X86_EMU_MAX_INSN_LEN];	/* the bytes at CS:RIP */
	unsigned int insn_len;		/* how many of them are valid */
	const struct x86_emu_ops *ops;
	void *opaque;			/* the caller's, for the callbacks */

	/* Out. */
	unsigned int len;		/* the decoded instruction's length */
	struct x86_emu_exception exception;	/* X86EMU_FAULT */
};

/* Emulate the instruction in c->insn once (one iteration if REP). */
enum x86_emu_result x86_emulate(struct x86_emu_ctxt *c);

/* For callbacks: record a guest exception and return X86EMU_FAULT. */
static inline enum x86_emu_result x86_emu_raise(struct x86_emu_ctxt *c,
						u8 vector, bool has_error,
						u32 error_code, u64 address)
{
	c->exception.vector = vector;
	c->exception.has_error = has_error;
	c->exception.error_code = error_code;
	c->exception.address = address;
	return X86EMU_FAULT;
}

#endif /* KVM_RESEARCH_EMULATE_H */
