// SPDX-License-Identifier: GPL-2.0
/*
 * hlt: prints a line, then HLT three times with interrupts off, then
 * exits 0.  With the vmm's default --on-hlt exit the run ends at the
 * first HLT (status 102, "vmm: hlt" on stderr); with --on-hlt continue
 * all three are resumed and the guest reports hlt.done=3.
 */
#include "guest.h"

int guest_main(unsigned cpu)
{
	int i;

	(void)cpu;
	printf("hlt: halting\n");
	for (i = 0; i < 3; i++)
		hlt();
	report("hlt.done", i);
	return 0;
}
