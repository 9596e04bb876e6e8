/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_ASM_MSR_INDEX_H
#define MMUCHECK_SHIM_ASM_MSR_INDEX_H

/*
 * The kernel's own arch/x86/include/asm/msr-index.h when the Makefile
 * found kernel headers (KDIR, or the lab kernel in .cache/), which only
 * needs <linux/bits.h>.  Otherwise the EFER bits the MMU code uses, from
 * the SDM (vol. 4, IA32_EFER) and the APM (vol. 2, 3.1.7): a fresh clone
 * builds the checker without downloading a kernel.
 */
#ifdef MMUCHECK_KERNEL_MSR_INDEX
#include MMUCHECK_KERNEL_MSR_INDEX
#else
#define MSR_EFER		0xc0000080
#define _EFER_SCE		0
#define _EFER_LME		8
#define _EFER_LMA		10
#define _EFER_NX		11
#define _EFER_SVME		12
#define EFER_SCE		(1<<_EFER_SCE)
#define EFER_LME		(1<<_EFER_LME)
#define EFER_LMA		(1<<_EFER_LMA)
#define EFER_NX			(1<<_EFER_NX)
#define EFER_SVME		(1<<_EFER_SVME)
#endif

#endif
