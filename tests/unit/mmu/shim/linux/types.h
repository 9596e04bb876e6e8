/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel headers that kvm/mmu/ includes, for
 * the MMU checker (tests/unit/mmu/).  This directory comes first on the
 * include path, so <linux/...> and <asm/...> resolve here; what is not
 * here comes from the host's uapi headers (<asm/processor-flags.h>).
 */
#ifndef MMUCHECK_SHIM_LINUX_TYPES_H
#define MMUCHECK_SHIM_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's exact types, so that format strings and promotions agree. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

typedef u64 phys_addr_t;
typedef unsigned int gfp_t;

#define __user
#define __force
#define __must_check	__attribute__((warn_unused_result))
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define __maybe_unused	__attribute__((unused))

/* As in the kernel's <linux/types.h>: struct page has one (lru). */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#endif
