// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid: reports some CPUID leaves as the vmm set them (KVM's supported
 * CPUID, with each vCPU's APIC ID).  Run with several vCPUs: each one
 * other than 0 checks and reports cpuN.apic_id=N in turn, then vCPU 0
 * does, and reports the vendor, family, model and stepping (to compare
 * with the host's /proc/cpuinfo), the hypervisor and long mode bits and
 * the hypervisor's signature (leaf 0x40000000).  Exits 0, or 1 if an
 * APIC ID is not its vCPU's index.
 */
#include "guest.h"

static volatile uint32_t turn = 1;	/* whose turn to report */

static void regs_str(char *s, uint32_t a, uint32_t b, uint32_t c)
{
	memcpy(s, &a, 4);
	memcpy(s + 4, &b, 4);
	memcpy(s + 8, &c, 4);
	s[12] = 0;
}

static void report_apic_id(unsigned cpu)
{
	uint32_t apic = cpuid(1, 0).b >> 24;
	char key[32];

	snprintf(key, sizeof(key), "cpu%u.apic_id", cpu);
	report(key, apic);
	check_eq(key, apic, cpu);
}

int guest_main(unsigned cpu)
{
	struct cpuid r;
	uint32_t family, model;
	char s[16];

	if (cpu) {
		while (turn != cpu)
			cpu_relax();
		report_apic_id(cpu);
		turn = cpu + 1;
		return failures ? EXIT_FAIL : EXIT_PASS;
	}
	while (turn < nr_cpus)
		cpu_relax();
	report_apic_id(0);

	r = cpuid(0, 0);
	regs_str(s, r.b, r.d, r.c);
	report_str("cpuid.vendor", s);
	check(r.a >= 1, "cpuid 0: max leaf %u", r.a);

	r = cpuid(1, 0);
	family = (r.a >> 8) & 0xf;
	model = (r.a >> 4) & 0xf;
	if (family == 0xf)
		family += (r.a >> 20) & 0xff;
	if (family >= 6)
		model += ((r.a >> 16) & 0xf) << 4;
	report("cpuid.family", family);
	report("cpuid.model", model);
	report("cpuid.stepping", r.a & 0xf);
	report("cpuid.hypervisor", (r.c >> 31) & 1);

	r = cpuid(0x80000000, 0);
	report("cpuid.lm", r.a >= 0x80000001 ? (cpuid(0x80000001, 0).d >> 29) & 1 : 0);

	r = cpuid(0x40000000, 0);
	regs_str(s, r.b, r.c, r.d);
	report_str("cpuid.hypervisor_id", s);

	return failures ? EXIT_FAIL : EXIT_PASS;
}
