/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_SEQ_FILE_H
#define MMUCHECK_SHIM_LINUX_SEQ_FILE_H

#include <linux/types.h>

/* debugfs output: into a buffer, which the checker may print. */
struct seq_file {
	char *buf;
	size_t size;
	size_t count;
};

void seq_printf(struct seq_file *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void seq_puts(struct seq_file *m, const char *s);

#endif
