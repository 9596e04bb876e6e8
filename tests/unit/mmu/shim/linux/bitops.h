/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_BITOPS_H
#define MMUCHECK_SHIM_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

/* Atomic, as the kernel's: the simulated CPU sets bits in the same words. */
static inline void set_bit(long nr, volatile unsigned long *addr)
{
	__atomic_fetch_or(&addr[nr / BITS_PER_LONG], BIT(nr % BITS_PER_LONG),
			  __ATOMIC_SEQ_CST);
}

static inline void clear_bit(long nr, volatile unsigned long *addr)
{
	__atomic_fetch_and(&addr[nr / BITS_PER_LONG], ~BIT(nr % BITS_PER_LONG),
			   __ATOMIC_SEQ_CST);
}

static inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & BIT(nr % BITS_PER_LONG);
}

static inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	set_bit(nr, addr);
	return old;
}

static inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	clear_bit(nr, addr);
	return old;
}

/* The first set bit at or after @offset, or @size. */
static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	while (offset < size && !test_bit(offset, addr))
		offset++;
	return offset < size ? offset : size;
}

#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = find_next_bit((addr), (size), 0); (bit) < (size);	\
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

/* The index of the lowest set bit of @word, which is not 0. */
static inline unsigned long __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

/* Sign-extend @value from bit @index (include/linux/bitops.h). */
static inline s64 sign_extend64(u64 value, int index)
{
	int shift = 63 - index;

	return (s64)(value << shift) >> shift;
}

#define __set_bit		set_bit
#define __clear_bit		clear_bit
#define __test_and_set_bit	test_and_set_bit
#define __test_and_clear_bit	test_and_clear_bit

#endif
