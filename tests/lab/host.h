/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab programs (abi, minivmm) ask of the machine they run on:
 * its CPU's virtualization and the kvm module's strategy.
 */
#ifndef LAB_HOST_H
#define LAB_HOST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * The first CPU's line of /proc/cpuinfo that starts with @key ("flags",
 * "vmx flags") holds the whole word @word.
 */
static inline bool cpuinfo_has(const char *key, const char *word)
{
	char line[8192], want[64];
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t n;
	bool found = false;

	n = snprintf(want, sizeof(want), " %s", word);
	while (f && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, key, strlen(key)))
			continue;
		line[strcspn(line, "\n")] = ' ';
		for (p = strstr(line, want); p && !found; p = strstr(p + 1, want))
			found = p[n] == ' ';
		break;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * The CPU has Intel VMX (the vmx lab): there real mode runs in vm86
 * (README, "On Intel VMX"), the TSS takes guest memory and VMCALL is the
 * hypercall.
 */
static inline bool cpu_has_vmx(void)
{
	return cpuinfo_has("flags", "vmx");
}

/*
 * Its VMX has unrestricted guest (the "vmx flags" line): without it real
 * mode runs in vm86 under mmu=tdp too, and a tdp guest without paging on
 * an identity map in a page the module maps into the VMM (kvm/vmx/ept.c).
 */
static inline bool cpu_has_vmx_urg(void)
{
	return cpuinfo_has("vmx flags", "unrestricted_guest");
}

/* The strategy VMs created now get (/sys/module/kvm/parameters/mmu). */
static inline bool mmu_is(const char *name)
{
	char buf[32] = "";
	FILE *f = fopen("/sys/module/kvm/parameters/mmu", "r");

	if (f && !fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	if (f)
		fclose(f);
	return !strncmp(buf, name, strlen(name));
}

#endif
