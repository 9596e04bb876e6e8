/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_MM_TYPES_H
#define MMUCHECK_SHIM_LINUX_MM_TYPES_H

#include <linux/types.h>

/*
 * The checker's struct page: one for every page of guest memory (the
 * VMM's memory, which the strategies pin) and one for every page a
 * strategy allocated.  Physical address = the page's userspace address.
 */
enum { SHIM_PAGE_GUEST = 1, SHIM_PAGE_TABLE = 2 };

struct page {
	unsigned long private;	/* page_private(): the owner's */
	unsigned long addr;
	int kind;		/* SHIM_PAGE_* */
	bool live;		/* TABLE: allocated and not yet freed */
	bool dma32;		/* TABLE: from mmap(MAP_32BIT) */
	long pins;		/* GUEST: pins held */
	long refs;		/* GUEST: get_user_pages() references held */
	struct page *next;	/* TABLE: hash chain */
};

/* No compound pages here: a folio is its one page. */
struct folio {
	struct page page;
};

#endif
