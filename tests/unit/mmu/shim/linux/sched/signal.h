/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_SCHED_SIGNAL_H
#define MMUCHECK_SHIM_LINUX_SCHED_SIGNAL_H

#include <linux/sched.h>

/* Nobody kills the checker's vCPU thread. */
static inline bool fatal_signal_pending(struct task_struct *p)
{
	(void)p;
	return false;
}

static inline bool signal_pending(struct task_struct *p)
{
	(void)p;
	return false;
}

#endif
