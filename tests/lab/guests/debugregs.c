// SPDX-License-Identifier: GPL-2.0
/*
 * debugregs: the guest's own debug registers, in 64-bit, 32-bit and PAE
 * modes: MOV to and from DR0-DR7 (the operand is 64 bits wide in 64-bit
 * mode, 32 elsewhere), DR6 and DR7 reading their fixed bits, DR4/DR5 as
 * DR6/DR7 with CR4.DE clear and #UD with it set, #GP for DR6/DR7 bits
 * 63:32 in 64-bit mode, DR7.GD making a MOV DR a #DB fault with DR6.BD
 * (GD cleared), and a data breakpoint on a 4-byte write: a #DB trap
 * after the write, DR6.B0.  The checks print "check failed: ..." and
 * exit 1.  General detect's and the breakpoint's results are report
 * lines (debugregs.gd.*, debugregs.bp.*), which guests.sh compares with
 * debugregs[-prot32].expected: the gd lines only where MOV DR honours
 * DR7.GD (guests.sh says where).  Reports debugregs.checks=N and exits 0.
 */
#include "guest.h"

#define X86_CR4_DE	(1UL << 3)
#define DR6_FIXED	0xffff0ff0UL
#define DR6_B0		0x1UL
#define DR6_BD		0x2000UL
#define DR7_FIXED	0x400UL
#define DR7_L0		0x1UL
#define DR7_GD		0x2000UL
#define DR7_W0_LEN4	(0x1UL << 16 | 0x3UL << 18)	/* R/W0 = write, LEN0 = 4 */

#define DEFINE_DR(n)							\
static inline ulong read_dr##n(void)					\
{									\
	ulong v;							\
	asm volatile("mov %%dr" #n ", %0" : "=r"(v));			\
	return v;							\
}									\
static inline void write_dr##n(ulong v)					\
{									\
	asm volatile("mov %0, %%dr" #n : : "r"(v) : "memory");		\
}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)

/*
 * A MOV from or to a debug register that may fault, through the
 * runtime's exc_fixup: 0 if it went through, 1 if it faulted (exc_last
 * says how); *ip: the instruction's address.
 */
#define PROBE_DR_READ(dr, ip, v) ({					\
	int __fault = 0;						\
	asm volatile(MOVP " $1f, %[fix]\n\t"				\
		     MOVP " $3f, %[at]\n"				\
		     "3: mov %%" dr ", %[val]\n\t"			\
		     "jmp 2f\n"						\
		     "1: movl $1, %[fault]\n"				\
		     "2: " MOVP " $0, %[fix]"				\
		     : [fault] "+r"(__fault), [fix] "=m"(exc_fixup),	\
		       [at] "=m"(*(ip)), [val] "=r"(v) : : "memory");	\
	__fault;							\
})

#define PROBE_DR_WRITE(dr, ip, v) ({					\
	int __fault = 0;						\
	asm volatile(MOVP " $1f, %[fix]\n\t"				\
		     MOVP " $3f, %[at]\n"				\
		     "3: mov %[val], %%" dr "\n\t"			\
		     "jmp 2f\n"						\
		     "1: movl $1, %[fault]\n"				\
		     "2: " MOVP " $0, %[fix]"				\
		     : [fault] "+r"(__fault), [fix] "=m"(exc_fixup),	\
		       [at] "=m"(*(ip)) : [val] "r"((ulong)(v)) : "memory"); \
	__fault;							\
})

static volatile uint32_t watched __attribute__((aligned(8)));

int guest_main(unsigned cpu)
{
#ifdef __x86_64__
	const ulong addr = 0xffff800012345678UL;
#else
	const ulong addr = 0x89abcdefUL;
#endif
	unsigned before;
	ulong v, ip, after;

	(void)cpu;

	check_eq("DR6 at reset", read_dr6(), DR6_FIXED);
	check_eq("DR7 at reset", read_dr7(), DR7_FIXED);

	/* DR0-DR3 hold whole addresses, each its own. */
	write_dr0(addr);
	write_dr1(addr + 1);
	write_dr2(addr + 2);
	write_dr3(addr + 3);
	check_eq("DR0", read_dr0(), addr);
	check_eq("DR1", read_dr1(), addr + 1);
	check_eq("DR2", read_dr2(), addr + 2);
	check_eq("DR3", read_dr3(), addr + 3);

	/* Fixed bits: DR6 0 reads 0xffff0ff0, DR7 0 reads 0x400. */
	write_dr6(0);
	check_eq("DR6 written 0", read_dr6(), DR6_FIXED);
	write_dr6(DR6_B0);
	check_eq("DR6 written B0", read_dr6(), DR6_FIXED | DR6_B0);
	write_dr7(0);
	check_eq("DR7 written 0", read_dr7(), DR7_FIXED);

	/* DR4, DR5 are DR6, DR7 while CR4.DE is clear, #UD when it is set. */
	asm volatile("mov %%dr4, %0" : "=r"(v));
	check_eq("DR4 reads DR6", v, DR6_FIXED | DR6_B0);
	asm volatile("mov %0, %%dr5" : : "r"(0x700UL));
	check_eq("DR5 writes DR7", read_dr7(), 0x700);
	write_cr4(read_cr4() | X86_CR4_DE);
	check(PROBE_DR_READ("dr4", &ip, v) &&
	      exc_last.vector == 6 && exc_last.ip == ip,
	      "MOV from DR4 with CR4.DE: #UD (vector %lu at 0x%lx, want 6 at 0x%lx)",
	      exc_last.vector, exc_last.ip, ip);
	write_cr4(read_cr4() & ~X86_CR4_DE);

#ifdef __x86_64__
	/* Bits 63:32 of DR6 and DR7 are reserved: #GP(0). */
	check(PROBE_DR_WRITE("dr7", &ip, 1UL << 32 | DR7_FIXED) &&
	      exc_last.vector == 13 && exc_last.error == 0 && exc_last.ip == ip,
	      "MOV to DR7 with bit 32: #GP(0) (vector %lu error 0x%lx)",
	      exc_last.vector, exc_last.error);
	check(PROBE_DR_WRITE("dr6", &ip, 1UL << 63) &&
	      exc_last.vector == 13 && exc_last.ip == ip,
	      "MOV to DR6 with bit 63: #GP (vector %lu)", exc_last.vector);
	check_eq("DR7 after the #GP", read_dr7(), 0x700);
	/* REX.B and REX.R: MOV DR7, R9 and MOV R10, DR0. */
	asm volatile("mov %1, %%r9\n\tmov %%r9, %%dr7\n\tmov %%dr0, %%r10\n\tmov %%r10, %0"
		     : "=r"(v) : "r"(0x400UL) : "r9", "r10");
	check_eq("MOV DR7, R9; MOV R10, DR0", v, addr);
	check_eq("DR7 from R9", read_dr7(), DR7_FIXED);
#endif

	/*
	 * General detect: the next MOV DR is a #DB fault, and GD clears.
	 * Reported, not checked here (guests.sh says where it works).
	 */
	write_dr6(0);
	write_dr7(DR7_FIXED | DR7_GD);
	before = exc_count;
	exc_last.vector = ~0UL;
	report("debugregs.gd.faulted", PROBE_DR_READ("dr0", &ip, v));
	report("debugregs.gd.exceptions", exc_count - before);
	report("debugregs.gd.vector", exc_last.vector);
	report("debugregs.gd.at_mov", exc_last.ip == ip);
	report_hex("debugregs.gd.dr6", read_dr6());
	report_hex("debugregs.gd.dr7", read_dr7());
	write_dr7(DR7_FIXED);

	/* A data breakpoint on a 4-byte write: a trap, after the write. */
	write_dr6(0);
	write_dr0((ulong)&watched);
	write_dr7(DR7_FIXED | DR7_L0 | DR7_W0_LEN4);
	before = exc_count;
	exc_last.vector = ~0UL;
	exc_last.ip = 0;
	asm volatile(MOVP " $1f, %[fix]\n\t"
		     "movl $0x1234, %[w]\n"
		     "1: " MOVP " $1b, %[after]\n\t"
		     MOVP " $0, %[fix]"
		     : [fix] "=m"(exc_fixup), [w] "=m"(watched), [after] "=m"(after)
		     : : "memory");
	write_dr7(DR7_FIXED);
	check_eq("the watched write happened", watched, 0x1234);
	report("debugregs.bp.exceptions", exc_count - before);
	report("debugregs.bp.vector", exc_last.vector);
	report("debugregs.bp.after_write", exc_last.ip == after);
	report_hex("debugregs.bp.dr6", read_dr6());

	report("debugregs.checks", checks);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
