/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_MODULEPARAM_H
#define MMUCHECK_SHIM_LINUX_MODULEPARAM_H

#include <linux/types.h>

/*
 * A module parameter registers its variable with the checker, which can
 * set it from the command line (mmucheck --param name=value) before the
 * VM is created.  Integer parameters only.
 */
void shim_register_param(const char *name, void *var, size_t size);

#define module_param(name, type, perm)					\
	static void __attribute__((constructor))			\
	__shim_param_##name(void)					\
	{								\
		shim_register_param(#name, &(name), sizeof(name));	\
	}
#define module_param_named(name, var, type, perm)			\
	static void __attribute__((constructor))			\
	__shim_param_##name(void)					\
	{								\
		shim_register_param(#name, &(var), sizeof(var));	\
	}
#define MODULE_PARM_DESC(name, desc)

#endif
