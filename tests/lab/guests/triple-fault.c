// SPDX-License-Identifier: GPL-2.0
/*
 * triple-fault: loads an empty IDT and executes UD2.  The #UD cannot be
 * delivered, nor the #DF after it: the CPU shuts down, and the vmm ends
 * the run with status 103 ("vmm: shutdown" on stderr).
 */
#include "guest.h"

int guest_main(unsigned cpu)
{
	struct {
		uint16_t limit;
		ulong base;
	} __attribute__((packed)) idtr = { 0, 0 };

	(void)cpu;
	printf("triple-fault: empty IDT, then ud2\n");
	asm volatile("lidt %0\n\tud2" : : "m"(idtr));
	printf("triple-fault: still running\n");
	return 1;
}
