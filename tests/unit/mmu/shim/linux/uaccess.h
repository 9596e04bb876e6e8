/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_UACCESS_H
#define MMUCHECK_SHIM_LINUX_UACCESS_H

#include <linux/kernel.h>
#include <linux/types.h>

/*
 * "User" memory is the VMM's guest memory, which the checker allocated:
 * an access outside it is -EFAULT (and a shim_bug(), the strategies have
 * no business there).  Writes are recorded for the memory comparison.
 */
bool shim_user_ok(const void *p, size_t size);
void shim_user_written(const void *p, size_t size);

#define access_ok(p, size)	shim_user_ok((const void *)(p), (size))

#define get_user(x, ptr) ({						\
	const __typeof__(*(ptr)) *__gp = (ptr);				\
	int __ge = -EFAULT;						\
	if (shim_user_ok(__gp, sizeof(*__gp))) {			\
		(x) = *(const volatile __typeof__(*(ptr)) *)__gp;	\
		__ge = 0;						\
	} else {							\
		(x) = 0;						\
	}								\
	__ge;								\
})

#define put_user(x, ptr) ({						\
	__typeof__(*(ptr)) *__pp = (ptr);				\
	int __pe = -EFAULT;						\
	if (shim_user_ok(__pp, sizeof(*__pp))) {			\
		*__pp = (x);						\
		shim_user_written(__pp, sizeof(*__pp));			\
		__pe = 0;						\
	}								\
	__pe;								\
})

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);

/*
 * Like arch/x86/include/asm/uaccess.h: 0 if *ptr held *oldp and now holds
 * nval, 1 (and *oldp updated) if it held something else, -EFAULT if the
 * memory is not there.  The label is the kernel's fault exit; here
 * nothing jumps to it but the dead branch that keeps it used.
 */
#define __try_cmpxchg_user(_ptr, _oldp, _nval, _label) ({		\
	__typeof__(*(_ptr)) *__cp = (_ptr);				\
	int __cret = -EFAULT;						\
	if (0)								\
		goto _label;						\
	if (shim_user_ok(__cp, sizeof(*__cp))) {			\
		__cret = !__atomic_compare_exchange_n(__cp, (_oldp),	\
				(_nval), false, __ATOMIC_SEQ_CST,	\
				__ATOMIC_SEQ_CST);			\
		if (!__cret)						\
			shim_user_written(__cp, sizeof(*__cp));		\
	}								\
_label:									\
	(void)0;							\
	__cret;								\
})

#endif
