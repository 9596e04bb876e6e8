/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_LINUX_HASHTABLE_H
#define MMUCHECK_SHIM_LINUX_HASHTABLE_H

#include <linux/kernel.h>
#include <linux/list.h>

/* include/linux/hashtable.h, with a plain multiplicative hash. */
#define DEFINE_HASHTABLE(name, bits)					\
	struct hlist_head name[1 << (bits)] =				\
		{ [0 ... ((1 << (bits)) - 1)] = { NULL } }
#define DECLARE_HASHTABLE(name, bits)	struct hlist_head name[1 << (bits)]

#define HASH_SIZE(name)		(ARRAY_SIZE(name))
#define HASH_BITS(name)		(__builtin_ctzl(HASH_SIZE(name)))

static inline u32 shim_hash_64(u64 val, unsigned int bits)
{
	return (u32)((val * 0x61C8864680B583EBull) >> (64 - bits));
}

#define hash_min(val, bits)	shim_hash_64((u64)(val), bits)
#define hash_long(val, bits)	shim_hash_64((u64)(val), bits)
#define hash_64(val, bits)	shim_hash_64((u64)(val), bits)

static inline void __hash_init(struct hlist_head *ht, unsigned int sz)
{
	unsigned int i;

	for (i = 0; i < sz; i++)
		INIT_HLIST_HEAD(&ht[i]);
}

#define hash_init(ht)		__hash_init(ht, HASH_SIZE(ht))
#define hash_add(ht, node, key)						\
	hlist_add_head(node, &ht[hash_min(key, HASH_BITS(ht))])
#define hash_del(node)		hlist_del_init(node)
#define hash_hashed(node)	(!hlist_unhashed(node))

static inline bool __hash_empty(struct hlist_head *ht, unsigned int sz)
{
	unsigned int i;

	for (i = 0; i < sz; i++)
		if (!hlist_empty(&ht[i]))
			return false;
	return true;
}

#define hash_empty(ht)		__hash_empty(ht, HASH_SIZE(ht))

#define hash_for_each(name, bkt, obj, member)				\
	for ((bkt) = 0; (bkt) < HASH_SIZE(name); (bkt)++)		\
		hlist_for_each_entry(obj, &name[bkt], member)

#define hash_for_each_safe(name, bkt, tmp, obj, member)			\
	for ((bkt) = 0; (bkt) < HASH_SIZE(name); (bkt)++)		\
		hlist_for_each_entry_safe(obj, tmp, &name[bkt], member)

#define hash_for_each_possible(name, obj, member, key)			\
	hlist_for_each_entry(obj,					\
		&name[hash_min(key, HASH_BITS(name))], member)

#define hash_for_each_possible_safe(name, obj, tmp, member, key)	\
	hlist_for_each_entry_safe(obj, tmp,				\
		&name[hash_min(key, HASH_BITS(name))], member)

#endif
