/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_ASM_CPUFEATURE_H
#define MMUCHECK_SHIM_ASM_CPUFEATURE_H

#include <linux/types.h>

/*
 * The host CPU's features the MMU code asks about (asm/cpufeatures.h's
 * numbering: word * 32 + bit).  The shim's host has 1 GiB pages.
 */
#ifndef X86_FEATURE_GBPAGES
#define X86_FEATURE_GBPAGES	(1 * 32 + 26)
#endif

bool shim_boot_cpu_has(int feature);
#define boot_cpu_has(f)		shim_boot_cpu_has(f)
#define static_cpu_has(f)	shim_boot_cpu_has(f)

#endif
