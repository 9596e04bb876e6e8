/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_SPINLOCK_H
#define MMUCHECK_SHIM_LINUX_SPINLOCK_H

#include <linux/lockdep.h>

typedef struct {
	struct shim_lock lk;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(x)	{ { 0, #x } }
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define spin_lock_init(l)	((l)->lk.held = 0, (l)->lk.name = #l)
#define spin_lock(l)		shim_lock_acquire(&(l)->lk, false, "spin_lock")
#define spin_unlock(l)		shim_lock_release(&(l)->lk, false, "spin_unlock")
#define spin_lock_irqsave(l, f)	((void)(f), spin_lock(l))
#define spin_unlock_irqrestore(l, f) ((void)(f), spin_unlock(l))
#define spin_is_locked(l)	((l)->lk.held != 0)

#endif
