// SPDX-License-Identifier: GPL-2.0
/* Plants one report of each debug-kernel checker, to test lab/detect. */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mutex.h>

static int shift = 40;
module_param(shift, int, 0444);
static DEFINE_MUTEX(a);
static DEFINE_MUTEX(b);
static void *keep;

static int __init dkplant_init(void)
{
	char *p = kmalloc(16, GFP_KERNEL);
	volatile char *q = p;
	volatile int one = 1;
	void * volatile leak;

	int i;

	if (!p)
		return -ENOMEM;
	mutex_lock(&a); mutex_lock(&b); mutex_unlock(&b); mutex_unlock(&a);
	mutex_lock(&b); mutex_lock(&a); mutex_unlock(&a); mutex_unlock(&b); /* lockdep */
	for (i = 0; i < 100; i++)
		leak = kmalloc(64, GFP_KERNEL);			/* kmemleak */
	pr_info("dkplant: kasan read %d\n", q[16]);		/* KASAN */
	kfree(p);
	pr_info("dkplant: ubsan %d\n", one << shift);		/* UBSAN */
	keep = NULL;
	pr_info("dkplant: leaked\n");
	return 0;
}
module_init(dkplant_init);
MODULE_LICENSE("GPL");
