// SPDX-License-Identifier: GPL-2.0
/*
 * mode-switch, the C part (long mode, after mode-switch-entry.S): report
 * what the earlier stages saw and check where we are.
 */
#include "guest.h"

extern uint32_t ms_real_cr0, ms_prot_cr0;

int guest_main(unsigned cpu)
{
	volatile uint64_t big = 1ULL << 40;
	uint64_t efer = rdmsr(MSR_EFER);

	(void)cpu;
	report("real.cr0.pe", ms_real_cr0 & 1);
	report("prot32.cr0.pe", ms_prot_cr0 & 1);
	report("prot32.cr0.pg", ms_prot_cr0 >> 31);
	report("long.efer.lme", (efer >> 8) & 1);
	report("long.efer.lma", (efer >> 10) & 1);
	report_hex("long.cs", read_cs());
	report_hex("long.big", big * 3);
	check_eq("real mode CR0.PE", ms_real_cr0 & 1, 0);
	check_eq("protected mode CR0.PE", ms_prot_cr0 & 1, 1);
	check_eq("protected mode CR0.PG", ms_prot_cr0 >> 31, 0);
	check_eq("EFER.LMA", (efer >> 10) & 1, 1);
	check_eq("CS", read_cs(), 0x18);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
