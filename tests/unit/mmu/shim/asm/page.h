/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_ASM_PAGE_H
#define MMUCHECK_SHIM_ASM_PAGE_H

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/*
 * Physical addresses are the checker's own pointers (below 2^47): a
 * shadow entry's address bits hold the userspace address of the page,
 * and the simulated hardware follows them as pointers.
 */
#define __pa(x)			((unsigned long)(x))
#define __va(x)			((void *)(unsigned long)(x))
#define virt_to_phys(x)		__pa(x)
#define phys_to_virt(x)		__va(x)

#endif
