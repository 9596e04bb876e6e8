/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The isolation fuzzer (tests/fuzz/README.md): what its two modes share.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <asm/processor-flags.h>

/*
 * EFER bits, as the bench VMM spells them (bench/vmm/x86.c): asm/msr-index.h
 * is not a userspace header.
 */
#define EFER_SCE	(1ULL << 0)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)
#define EFER_SVME	(1ULL << 12)
#define MSR_EFER	0xc0000080U

/* Guest page-table entry bits. */
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_US		0x004ULL
#define PTE_A		0x020ULL
#define PTE_D		0x040ULL
#define PTE_PS		0x080ULL
#define PTE_NX		(1ULL << 63)

/*
 * A canary word: CANARY_HI in the upper half says "canary", the lower half
 * the round (16 bits) and the canary page's number (16 bits).  Nothing the
 * fuzzer writes into guest memory or hands the guest has CANARY_HI in
 * either 32-bit half, so a guest that shows one has read a canary.
 */
#define CANARY_HI	0xca7a21edU
static inline uint64_t canary_word(uint32_t round, uint32_t page)
{
	return (uint64_t)CANARY_HI << 32 | (round & 0xffff) << 16 | (page & 0xffff);
}

struct rng {
	uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rn(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

/* True with probability 1/n. */
static inline bool one_in(struct rng *r, uint64_t n)
{
	return rn(r, n) == 0;
}

/* A random word with no CANARY_HI in either half. */
static inline uint64_t rnd_clean(struct rng *r)
{
	uint64_t v = rnd(r);

	if ((uint32_t)v == CANARY_HI)
		v ^= 1;
	if ((uint32_t)(v >> 32) == CANARY_HI)
		v ^= 1ULL << 32;
	return v;
}

extern int fuzz_failures;
extern uint64_t fuzz_seed;

/* "FAIL: fuzz: MODE: ..." (with the seed), counted; the first 50 print. */
void fuzz_fail(const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int kvm_open(void);
long meminfo_kb(const char *key);
long memfree_kb(void);
long kvm_total(const char *key);
int count_fds(void);
int count_maps(void);
/* /proc/self/maps as text (malloc'ed); print the lines not in @before. */
char *maps_text(void);
void maps_print_new(const char *mode, const char *before);
void drop_caches(void);
/* Physical address of the page at @va (mlocked, present), or 0. */
uint64_t virt_to_phys(const void *va);
/* Whether the kernel log has a warning, BUG, Oops...; prints them. */
int kernel_log_trouble(const char *mode);
/* A cpu with VMX (the vmx lab). */
bool cpu_has_vmx(void);

/* Thread with an mmap'ed stack, so that no stack stays cached after it. */
struct fthread {
	pthread_t t;
	void *stack;
	size_t size;
};
int fthread_start(struct fthread *ft, void *(*fn)(void *), void *arg);
void fthread_join(struct fthread *ft);

int campaign(const char *mode, long tol_kb, bool leak_check,
	     int (*body)(void *), void *warm, void *arg);

int fuzz_ioctl_main(int argc, char **argv);
int fuzz_iso_main(int argc, char **argv);

#endif
