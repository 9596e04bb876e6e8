/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_MM_H
#define MMUCHECK_SHIM_LINUX_MM_H

#include <asm/cpufeature.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/types.h>

/*
 * A folio is its head page: one page, or an aligned 2 MiB of a region
 * backed by transparent huge pages (gmem_set_thp()).  Pins and the dirty
 * mark are the folio's, kept on the head page.
 */
static inline struct folio *page_folio(struct page *page)
{
	return (struct folio *)(page->head ? page->head : page);
}

static inline unsigned long folio_pfn(const struct folio *folio)
{
	return folio->page.addr >> PAGE_SHIFT;
}

static inline long folio_nr_pages(const struct folio *folio)
{
	return folio->page.folio_nr ? folio->page.folio_nr : 1;
}

static inline struct page *folio_page(struct folio *folio, unsigned long n)
{
	return &folio->page + n;
}

#define set_page_private(page, v)	((page)->private = (v))
#define page_private(page)		((page)->private)

/* As the kernel counts: each FOLL_PIN pin adds GUP_PIN_COUNTING_BIAS. */
#define GUP_PIN_COUNTING_BIAS	1024
int folio_ref_count(const struct folio *folio);

void *page_address(const struct page *page);
struct page *pfn_to_page(unsigned long pfn);
unsigned long page_to_pfn(const struct page *page);
struct page *virt_to_page(const void *addr);
#define page_to_phys(page)	((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)

#define FOLL_WRITE		0x01u
#define FOLL_NOWAIT		0x20u
#define FOLL_LONGTERM		0x100u

/* Only guest memory can be pinned; pins are counted per folio. */
int pin_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
void unpin_user_page(struct page *page);
void unpin_user_pages(struct page **pages, unsigned long npages);
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);
/* A plain reference (FOLL_GET), dropped with put_page(); also counted. */
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
void get_page(struct page *page);
void put_page(struct page *page);

#endif
