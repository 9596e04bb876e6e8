/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_MUTEX_H
#define MMUCHECK_SHIM_LINUX_MUTEX_H

#include <linux/lockdep.h>

struct mutex {
	struct shim_lock lk;
};

#define DEFINE_MUTEX(x)		struct mutex x = { { 0, #x } }
#define mutex_init(m)		((m)->lk.held = 0, (m)->lk.name = #m)
#define mutex_lock(m)		shim_lock_acquire(&(m)->lk, false, "mutex_lock")
#define mutex_unlock(m)		shim_lock_release(&(m)->lk, false, "mutex_unlock")
#define mutex_is_locked(m)	((m)->lk.held != 0)

#endif
