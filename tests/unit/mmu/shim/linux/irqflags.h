/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_IRQFLAGS_H
#define MMUCHECK_SHIM_LINUX_IRQFLAGS_H

/* One thread, no interrupts: only the flags variable is used. */
#define local_irq_save(flags)		((void)((flags) = 0))
#define local_irq_restore(flags)	((void)(flags))
#define local_irq_disable()		do { } while (0)
#define local_irq_enable()		do { } while (0)

#endif
