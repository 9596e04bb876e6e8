/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl fuzzer's random arguments (ioctl.c), shared with its
 * in-kernel irqchip calls (irqchip.c).
 */
#ifndef TESTS_FUZZ_FUZZ_IOCTL_H
#define TESTS_FUZZ_FUZZ_IOCTL_H

#include "fuzz.h"

#define NB(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Special values, small ones, or any. */
uint64_t rand_u64(struct rng *r);
void rand_bytes(struct rng *r, void *p, size_t n);
/* @good mostly; sometimes NULL, a bad user pointer or a kernel address. */
void *rand_ptr(struct rng *r, void *good);

/* irqchip.c */
int fuzz_irqchip_vm(struct rng *r, int fd);
int fuzz_irqchip_vcpu(struct rng *r, int fd);
void fuzz_irqchip_vm_make(struct rng *r, int fd);

#endif
