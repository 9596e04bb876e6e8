/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_ASM_PROCESSOR_H
#define MMUCHECK_SHIM_ASM_PROCESSOR_H

#include <linux/types.h>

/*
 * The host CPU as the MMU code sees it.  x86_phys_bits (MAXPHYADDR) is
 * fixed at 48 by shim.c: the model uses the same value, and the shadow
 * entries must hold userspace pointers, which have 47 bits.
 */
struct cpuinfo_x86 {
	u8 x86_phys_bits;
	u8 x86_virt_bits;
};

extern struct cpuinfo_x86 boot_cpu_data;

static inline void cpu_relax(void)
{
}

#endif
