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
	long pins;		/* GUEST: pins held, on a folio's head page */
	struct page *head;	/* GUEST: its folio's head page, or NULL: itself */
	long folio_nr;		/* GUEST: on a head, its folio's pages (0: 1) */
	long refs;		/* GUEST: get_user_pages() references held */
	bool hw_dirty;		/* GUEST: written by the simulated CPU through a
				 * leaf since an unpin last said dirty */
	struct page *next;	/* TABLE: hash chain */
	struct list_head lru;	/* TABLE: the owner's, as the kernel's */
};

/* No compound pages here: a folio is its one page. */
struct folio {
	struct page page;
};

#endif
