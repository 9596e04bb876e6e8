// SPDX-License-Identifier: GPL-2.0
/*
 * hello: prints a line and reports the mode.  With --vcpus N every vCPU
 * checks in (an atomic counter in shared memory); vCPU 0 waits for all
 * of them and reports cpus=N.  Exits 0.
 */
#include "guest.h"

static const char *const mode =
#if GUEST_MODE == GUEST_MODE_REAL
	"real";
#elif GUEST_MODE == GUEST_MODE_PROT32
	"prot32";
#elif GUEST_MODE == GUEST_MODE_PAE
	"pae";
#else
	"long";
#endif

static volatile uint32_t arrived;

int guest_main(unsigned cpu)
{
	atomic_inc(&arrived);
	if (cpu)
		return 0;
	printf("Hello from the guest, in %s mode!\n", mode);
	while (arrived < nr_cpus)
		cpu_relax();
	report_str("mode", mode);
	report("cpus", arrived);
	return 0;
}
