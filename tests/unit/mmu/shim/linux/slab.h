/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_SLAB_H
#define MMUCHECK_SHIM_LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

/* Counted, so that a run can check that teardown freed everything. */
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void *krealloc(const void *p, size_t size, gfp_t gfp);
void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp);
void kfree(const void *p);
#define kvzalloc	kzalloc
#define kvmalloc	kmalloc
#define kvcalloc	kcalloc
#define kvfree		kfree

#endif
