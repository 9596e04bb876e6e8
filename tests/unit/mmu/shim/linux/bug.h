/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_BUG_H
#define MMUCHECK_SHIM_LINUX_BUG_H

#include <linux/compiler.h>
#include <linux/types.h>

/*
 * Every WARN is counted (shim.c) and fails the run: the kernel prints a
 * WARN_ON_ONCE once, but the condition is a bug every time it holds.
 */
void shim_warn(const char *file, int line, const char *cond);
void shim_die(const char *file, int line, const char *cond)
	__attribute__((noreturn));
/* A misuse of a kernel interface that the shim caught (fails the run). */
void shim_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})
#define WARN_ON_ONCE(cond)		WARN_ON(cond)
#define WARN(cond, fmt, ...)		WARN_ON(cond)
#define WARN_ONCE(cond, fmt, ...)	WARN_ON(cond)
#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		shim_die(__FILE__, __LINE__, #cond);			\
} while (0)
#define BUG()				shim_die(__FILE__, __LINE__, "BUG()")
#define BUILD_BUG_ON(cond)		_Static_assert(!(cond), #cond)

#endif
