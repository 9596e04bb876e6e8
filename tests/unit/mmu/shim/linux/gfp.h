/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_GFP_H
#define MMUCHECK_SHIM_LINUX_GFP_H

#include <linux/types.h>

#define __GFP_ZERO		0x01u
#define __GFP_DMA32		0x02u	/* below 4 GiB: mmap(MAP_32BIT) */
#define __GFP_ACCOUNT		0x04u
#define __GFP_NOWARN		0x08u
#define __GFP_RETRY_MAYFAIL	0x10u
#define GFP_KERNEL		0x100u
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_ATOMIC		0x200u
#define GFP_NOWAIT		0x400u

struct page;

/*
 * Pages for the strategies' own tables: 4 KiB aligned, counted, and
 * known to the checker's hardware, which refuses to walk anything else.
 * Only order 0.
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
#define alloc_page(gfp)		alloc_pages(gfp, 0)
unsigned long __get_free_page(gfp_t gfp);
unsigned long get_zeroed_page(gfp_t gfp);
void free_page(unsigned long addr);
void __free_page(struct page *page);
#define __free_pages(page, order)	__free_page(page)
#define free_pages(addr, order)		free_page(addr)

#endif
