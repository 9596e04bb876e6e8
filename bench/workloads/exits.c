// SPDX-License-Identifier: GPL-2.0
/*
 * exits: the cost of one exit of each kind, as loops that do nothing but
 * exit.  Each loop runs LOOPS times and reports its guest TSC cycles:
 *
 *   exits.pio.tsc     OUT to the VMM's scratch port (to userspace)
 *   exits.pio_in.tsc  IN from a pattern port (to userspace, data back)
 *   exits.mmio.tsc    a load from the VMM's MMIO device (decoded and
 *                     emulated in the kernel, then to userspace)
 *   exits.cpuid.tsc   CPUID leaf 0 (handled in the kernel)
 *
 * "exits.loops=" says LOOPS; divide for cycles per exit.  Hypercalls are
 * not here: our module answers VMMCALL with #UD (as the core issue
 * asks), upstream KVM with a hypercall, so the two would not compare.
 */
#include "guest.h"

#define LOOPS		2000

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

int guest_main(unsigned cpu)
{
	volatile uint32_t *mmio = (volatile uint32_t *)MMIO_TEST_BASE;
	uint64_t t;
	uint32_t sum = 0;
	int i;

	(void)cpu;
	report_str("workload", "exits");
	report("exits.loops", LOOPS);

	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		outb(PORT_TEST_SCRATCH, i);
	report("exits.pio.tsc", rdtsc() - t);

	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		sum += inb(PORT_TEST_ROM);
	report("exits.pio_in.tsc", rdtsc() - t);
	check_eq("pio_in sum", sum, LOOPS * pio_rom_byte(PORT_TEST_ROM));

	sum = 0;
	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		sum += *mmio & 0xff;
	report("exits.mmio.tsc", rdtsc() - t);
	check_eq("mmio sum", sum, LOOPS * mmio_rom_byte(0));

	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		sum += cpuid(0, 0).a;
	report("exits.cpuid.tsc", rdtsc() - t);

	return failures ? EXIT_FAIL : EXIT_PASS;
}
