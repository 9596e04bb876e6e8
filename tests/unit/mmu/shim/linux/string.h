/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_STRING_H
#define MMUCHECK_SHIM_LINUX_STRING_H

#include <string.h>

#endif
