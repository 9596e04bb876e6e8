/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_SCHED_H
#define MMUCHECK_SHIM_LINUX_SCHED_H

#include <linux/types.h>

struct mm_struct;

struct task_struct {
	int pid;
	struct mm_struct *mm;	/* the VMM's: the shim's page tables ignore it */
};

extern struct task_struct shim_current_task;
#define current			(&shim_current_task)

/* Counted: a loop that calls it without end is a livelock (shim.c). */
int shim_cond_resched(void);
#define cond_resched()		shim_cond_resched()

#endif
