/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_LOCKDEP_H
#define MMUCHECK_SHIM_LINUX_LOCKDEP_H

#include <linux/bug.h>
#include <linux/types.h>

/*
 * Locks on one thread cannot contend, so they only count: taking a held
 * lock is a deadlock, releasing a free one is unbalanced, and the checker
 * requires shim_locks_held == 0 between operations (shim.c).  Every lock
 * type has "held" first: > 0 holders (readers of an rwsem), -1 a writer.
 */
extern int shim_locks_held;

struct shim_lock {
	int held;
	const char *name;
};

void shim_lock_acquire(struct shim_lock *l, bool shared, const char *what);
void shim_lock_release(struct shim_lock *l, bool shared, const char *what);

#define lockdep_assert_held(l) do {					\
	if (!(l)->lk.held)						\
		shim_bug("%s:%d: lock %s not held", __FILE__, __LINE__,	\
			 #l);						\
} while (0)
#define lockdep_assert_held_write(l) do {				\
	if ((l)->lk.held != -1)						\
		shim_bug("%s:%d: lock %s not held for write", __FILE__,	\
			 __LINE__, #l);					\
} while (0)
#define lockdep_assert_held_read(l)	lockdep_assert_held(l)

#endif
