/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ABI tests (abi.c, abi-irq.c) share: the check helpers, VM and
 * vCPU setup, KVM_RUN with a watchdog, and the real-mode guests assembled
 * in the test program itself.
 */
#ifndef TESTS_LAB_ABI_H
#define TESTS_LAB_ABI_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
#include <sys/syscall.h>
#include <linux/hw_breakpoint.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>

#include "host.h"

extern int failures;

/* Prints "PASS: abi: name", or "FAIL: abi: name: why" and counts it. */
void check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The errno an ioctl fails with, or 0 if it succeeded. */
int ioctl_errno(int fd, unsigned long req, void *arg);
void expect_errno(const char *name, int want, int got);
int kvm_fd(void);
/* Whether a record of the kernel log (/dev/kmsg) contains @needle. */
bool kmsg_says(const char *needle);

struct vm {
	int kvm, fd;
	uint8_t *mem;
	size_t size;
	int vcpu_fds[4];	/* closed and unmapped by vm_destroy() */
	void *vcpu_runs[4];
	int run_size;
	int nr_vcpus;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
};

void vm_create(struct vm *vm, size_t size);
void vm_destroy(struct vm *vm);
void vcpu_create(struct vm *vm, struct vcpu *v, int id);
/* KVM_RUN, interrupted by SIGALRM after 10 s (a broken test fails). */
int vcpu_run(struct vcpu *v);
/* Real mode at CS:IP = 0:ip, with flat 64 KiB segments. */
void vcpu_real_mode(struct vcpu *v, uint16_t ip);
/* 64-bit mode at @rip, stack @rsp, on an identity map of the first 2 MiB. */
void vcpu_long_mode(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rsp);
void on_sigusr1(int sig);
/* KVM_RUN, with SIGUSR1 sent to this thread 200 ms later; errno in *err. */
int run_signalled(struct vcpu *v, int *err);

/*
 * Guests for these tests are real-mode (or 64-bit) code assembled here,
 * loaded at GUEST_BASE with CS = 0: each reports through port I/O, and
 * its labels give the exact addresses (return frames, RIPs) the checks
 * expect.  Handlers are installed in the real-mode IVT by the test.
 */
#define GUEST_BASE	0x1000
#define GUEST_SP	0x8000
/* KVM_SET_TSS_ADDR of every VM vm_create() makes: where QEMU puts it. */
#define ABI_TSS_ADDR	0xfffbd000UL
#define GUEST_ASM(name, mode, body)					\
	asm(".pushsection .rodata\n" mode "\n" #name ":\n" body "\n"	\
	    #name "_end:\n.code64\n.popsection")
#define AT(blob, label)	((uint16_t)(GUEST_BASE + ((label) - (blob))))

/*
 * A VM with 1 MiB and one vCPU in real mode, running [start, end) copied
 * to GUEST_BASE, with SP = GUEST_SP and these RFLAGS.
 */
void rm_guest(struct vm *vm, struct vcpu *v, const uint8_t *start,
	      const uint8_t *end, uint64_t rflags);
/* Real-mode IVT entry @vector = 0:ip. */
void ivt_set(struct vm *vm, int vector, uint16_t ip);

/* A flag of the first CPU's "flags" line in /proc/cpuinfo (abi-spec.c). */
bool cpu_flag(const char *flag);
/* The counter @name of the VM's debugfs kvm/PID-FD/mmu, or -1. */
long vm_mmu_stat(struct vm *vm, const char *name);

/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: how many entries were done. */
int get_msr(int fd, uint32_t index, uint64_t *data);
int set_msr(int fd, uint32_t index, uint64_t data);

void test_irq(void);
/* abi-iso.c: the isolation regressions (issue 15). */
void test_iso(void);
/* abi-spec.c: speculation hygiene around entry and exit. */
void test_spec(void);
/* abi-dirty.c: dirty logging. */
void test_dirty(void);
/* abi-msr.c: the MSRs with no feature behind them, as upstream 6.1. */
void test_msr(void);
/* abi-mmio.c: MMIO split at pages and into 8-byte fragments. */
void test_mmio(void);
/* abi-clock.c: kvmclock, KVM_GET_CLOCK and KVM_SET_CLOCK. */
void test_clock(void);
/* abi-lapic.c: the in-kernel local APIC. */
void test_lapic(void);
/* abi-irqchip.c: the in-kernel IOAPIC, PICs and GSI routing. */
void test_irqchip(void);
/* abi-pit.c: the in-kernel PIT; irqfd and ioeventfd. */
void test_pit(void);
void test_eventfd(void);

#endif
