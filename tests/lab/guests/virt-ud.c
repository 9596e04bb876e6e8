// SPDX-License-Identifier: GPL-2.0
/*
 * virt-ud: a guest executing the virtualization instructions of both
 * vendors gets #UD for each, as on a CPU without them: Intel's VMXON,
 * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
 * VMXOFF, INVEPT, INVVPID and VMFUNC; AMD's VMRUN, VMLOAD, VMSAVE, STGI,
 * CLGI, SKINIT and INVLPGA.  On VMX the Intel ones exit and the backend
 * injects the #UD; on SVM the AMD ones are intercepted and the backend
 * injects it; the other vendor's the CPU itself refuses.  The hypercall
 * instructions (VMCALL, VMMCALL) are not here: one of them is the
 * hypercall of each backend (the exits workload uses them).
 *
 * Prints one line per instruction that did not give #UD, then
 * "virt-ud: N of M gave #UD"; reports virt-ud.ud=N and exits 0 if all did.
 */
#include "guest.h"

static uint64_t region[2] __attribute__((aligned(16)));

/* Run the instruction INSN (asm text, operands %[m] and %[r]): #UD? */
#define UD(insn) ({							\
	int __fault = 0;						\
	ulong __r = 0;							\
	asm volatile(MOVP " $1f, %[fix]\n\t"				\
		     insn "\n\t"					\
		     "jmp 2f\n"						\
		     "1: movl $1, %[fault]\n"				\
		     "2: " MOVP " $0, %[fix]"				\
		     : [fault] "+r"(__fault), [fix] "=m"(exc_fixup),	\
		       [r] "+r"(__r), [m] "+m"(region)			\
		     : : "memory", "cc", "rax", "rcx");			\
	__fault && exc_last.vector == 6;				\
})

struct insn {
	const char *name;
	int ud;
};

int guest_main(unsigned cpu)
{
	struct insn t[] = {
		{ "vmxon",	UD("vmxon %[m]") },
		{ "vmclear",	UD("vmclear %[m]") },
		{ "vmptrld",	UD("vmptrld %[m]") },
		{ "vmptrst",	UD("vmptrst %[m]") },
		{ "vmread",	UD("vmread %[r], %[m]") },
		{ "vmwrite",	UD("vmwrite %[m], %[r]") },
		{ "vmlaunch",	UD("vmlaunch") },
		{ "vmresume",	UD("vmresume") },
		{ "vmxoff",	UD("vmxoff") },
		{ "invept",	UD("invept %[m], %[r]") },
		{ "invvpid",	UD("invvpid %[m], %[r]") },
		{ "vmfunc",	UD("xor %%eax, %%eax\n\tvmfunc") },
		{ "vmrun",	UD("xor %%eax, %%eax\n\tvmrun") },
		{ "vmload",	UD("xor %%eax, %%eax\n\tvmload") },
		{ "vmsave",	UD("xor %%eax, %%eax\n\tvmsave") },
		{ "stgi",	UD("stgi") },
		{ "clgi",	UD("clgi") },
		{ "skinit",	UD("xor %%eax, %%eax\n\tskinit") },
		{ "invlpga",	UD("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tinvlpga") },
	};
	unsigned int i, ud = 0, n = sizeof(t) / sizeof(t[0]);

	(void)cpu;
	for (i = 0; i < n; i++) {
		if (t[i].ud)
			ud++;
		else
			printf("virt-ud: %s: no #UD (vector %lu)\n", t[i].name,
			       (unsigned long)exc_last.vector);
	}
	printf("virt-ud: %u of %u gave #UD\n", ud, n);
	report("virt-ud.ud", ud);
	return ud == n ? 0 : 1;
}
