/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_PGTABLE_H
#define MMUCHECK_SHIM_LINUX_PGTABLE_H

#include <linux/types.h>

/*
 * The VMM's own page tables, as tdp.c reads them to size its leaves (the
 * GUP-fast way: a copy of each level, then the next from the copy).  The
 * shim answers from its regions (shim.c): guest memory is mapped, and a
 * region backed by transparent huge pages (gmem_set_thp()) by 2 MiB PMDs;
 * nothing by 1 GiB PUDs.
 */
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { unsigned long p4d; } p4d_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { unsigned long pmd; } pmd_t;

struct mm_struct;

pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr);
p4d_t *p4d_offset(pgd_t *pgd, unsigned long addr);
pud_t *pud_offset(p4d_t *p4d, unsigned long addr);
pmd_t *pmd_offset(pud_t *pud, unsigned long addr);

#define SHIM_PT_PRESENT		0x1UL
#define SHIM_PT_LARGE		0x80UL

static inline int pgd_present(pgd_t p) { return !!(p.pgd & SHIM_PT_PRESENT); }
static inline int p4d_present(p4d_t p) { return !!(p.p4d & SHIM_PT_PRESENT); }
static inline int pud_present(pud_t p) { return !!(p.pud & SHIM_PT_PRESENT); }
static inline int pmd_present(pmd_t p) { return !!(p.pmd & SHIM_PT_PRESENT); }
static inline int pud_large(pud_t p) { return !!(p.pud & SHIM_PT_LARGE); }
static inline int pmd_large(pmd_t p) { return !!(p.pmd & SHIM_PT_LARGE); }
#define pud_leaf(p)	pud_large(p)
#define pmd_leaf(p)	pmd_large(p)

#endif
