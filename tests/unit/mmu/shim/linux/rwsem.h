/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_RWSEM_H
#define MMUCHECK_SHIM_LINUX_RWSEM_H

#include <linux/lockdep.h>

struct rw_semaphore {
	struct shim_lock lk;
};

#define init_rwsem(s)		((s)->lk.held = 0, (s)->lk.name = #s)
#define down_read(s)		shim_lock_acquire(&(s)->lk, true, "down_read")
#define up_read(s)		shim_lock_release(&(s)->lk, true, "up_read")
#define down_write(s)		shim_lock_acquire(&(s)->lk, false, "down_write")
#define up_write(s)		shim_lock_release(&(s)->lk, false, "up_write")

#endif
