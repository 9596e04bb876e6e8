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
 *   exits.hypercall.tsc  a hypercall of a number no hypervisor knows
 *                     (VMMCALL on AMD, VMCALL on Intel; handled in the
 *                     kernel, which answers -KVM_ENOSYS, as upstream does)
 *
 * "exits.loops=" says LOOPS; divide for cycles per exit.
 */
#include "guest.h"

#define LOOPS		2000

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

#define HC_UNKNOWN	0x7fff		/* no hypervisor implements it */
/* uapi linux/kvm_para.h's value; -m32 builds have no asm/ to include it. */
#define KVM_ENOSYS	1000

static inline uint32_t vmmcall(uint32_t nr)
{
	unsigned long ax = nr;

	asm volatile("vmmcall" : "+a"(ax) :: "memory");
	return ax;
}

static inline uint32_t vmcall(uint32_t nr)
{
	unsigned long ax = nr;

	asm volatile("vmcall" : "+a"(ax) :: "memory");
	return ax;
}

int guest_main(unsigned cpu)
{
	volatile uint32_t *mmio = (volatile uint32_t *)MMIO_TEST_BASE;
	uint64_t t;
	uint32_t sum = 0;
	bool amd;
	int i;

	(void)cpu;
	report_str("workload", "exits");
	report("exits.loops", LOOPS);

	/*
	 * To COM1's IER, which the VMM ignores: the round trip alone, with
	 * no line in vmm.out (the PIO test device prints one per write, a
	 * write() to 9p in the lab, longer than the exit itself).
	 */
	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		outb(PORT_SERIAL + 1, i);
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

	/* CPUID leaf 0's EBX is "Auth" on AMD. */
	amd = cpuid(0, 0).b == 0x68747541;
	sum = 0;
	t = rdtsc();
	for (i = 0; i < LOOPS; i++)
		sum += (amd ? vmmcall(HC_UNKNOWN) : vmcall(HC_UNKNOWN)) ==
		       (uint32_t)-KVM_ENOSYS;
	report("exits.hypercall.tsc", rdtsc() - t);
	check_eq("hypercalls answered -KVM_ENOSYS", sum, LOOPS);

	return failures ? EXIT_FAIL : EXIT_PASS;
}
