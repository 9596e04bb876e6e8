/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/kut/flatrun: what flatrun.c (loading, the VM, the run loop) and
 * flatrun-dev.c (the devices in userspace) share.  See flatrun.c.
 */
#ifndef TESTS_KUT_FLATRUN_H
#define TESTS_KUT_FLATRUN_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <asm/e820.h>
#include <asm/kvm_para.h>
#include <asm/processor-flags.h>


#define EXIT_SETUP		2
#define EXIT_GUEST		4
#define EXIT_UNSUPPORTED	6
#define EXIT_TIMEOUT		124

#define MIB			(1024ULL * 1024)
#define PAGE_SIZE		4096ULL
#define PAGE_ALIGN(x)		(((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* Where QEMU puts the TSS and identity map for VMX without unrestricted guest. */
#define IDENTITY_MAP_ADDR	0xfeffc000UL
#define TSS_ADDR		0xfeffd000UL

/* Multiboot v1 (QEMU's hw/i386/multiboot.c: its layout and flags). */
#define MB_HEADER_MAGIC		0x1badb002U
#define MB_BOOT_MAGIC		0x2badb002U
#define MB_HEADER_HAS_ADDR	(1U << 16)
#define MB_SEARCH		8192
#define MB_MMAP_ADDR		0x9000
#define MB_INFO_ADDR		0x9500
/* The BIOS's area (reserved in the memory map): the boot GDT, the IVT's IRET. */
#define BIOS_GDT_ADDR		0xf0000
#define BIOS_IRET_ADDR		0xfff53		/* F000:FF53, SeaBIOS's default handler */
#define MB_FLAG_MEMORY		(1U << 0)
#define MB_FLAG_BOOT_DEVICE	(1U << 1)
#define MB_FLAG_CMDLINE		(1U << 2)
#define MB_FLAG_MODS		(1U << 3)
#define MB_FLAG_MMAP		(1U << 6)
#define MB_FLAG_LOADER_NAME	(1U << 9)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t unused[6];
};

struct mb_mmap_entry {
	uint32_t size;		/* of the rest of the entry: 20 */
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

/* Ports and addresses of the devices. */
#define COM1_BASE		0x3f8
#define UART_LSR_THRE_TEMT	0x60
#define UART_IIR_NO_INT		0x01
#define UART_LCR_DLAB		0x80
#define DEBUG_EXIT_PORT		0xf4
#define DEBUG_EXIT_SIZE		4
#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define TESTDEV_PORT		0xe0
#define TESTDEV_PORT_FLUSH	0xe4
#define TESTDEV_PORT_BYTE	0xe8
#define TESTDEV_IRQ_PORT	0x2000
#define TESTDEV_IRQ_PORTS	24
#define TESTDEV_IOMEM		0xff000000ULL
#define TESTDEV_IOMEM_SIZE	0x10000

/* fw_cfg keys, as lib/x86/fwcfg.h numbers them. */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_MAX_RAM		0x11

/* The local APIC: registers as lib/x86/apic-defs.h names them. */
#define APIC_BASE_ADDR		0xfee00000ULL
#define APIC_SIZE		0x1000
#define MSR_APICBASE_BSP	(1ULL << 8)
#define MSR_APICBASE_ENABLE	(1ULL << 11)
#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_LVR_VALUE		0x00050014	/* version 0x14, max LVT 5 */
#define APIC_TASKPRI		0x80
#define APIC_PROCPRI		0xa0
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_DFR		0xe0
#define APIC_SPIV		0xf0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMCCT		0x390
#define APIC_ICR_BUSY		(1U << 12)
#define APIC_ICR_LOGICAL	(1U << 11)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_DM_FIXED		0
#define APIC_DM_LOWEST		1
#define APIC_DM_NMI		4
#define APIC_DM_INIT		5
#define APIC_DM_STARTUP		6
#define APIC_DM_EXTINT		7
#define APIC_SH_NONE		0
#define APIC_SH_SELF		1
#define APIC_SH_ALL		2
#define APIC_SH_OTHERS		3

/* CPUID bits flatrun changes itself (QEMU's -cpu host with a userspace APIC). */
#define CPUID_1_EDX_HTT		(1U << 28)
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)

enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };


struct apic {
	uint32_t reg[APIC_SIZE / 16];	/* by offset >> 4 */
	uint32_t irr[8], isr[8];
};

/*
 * The two 8259s, for pc-testdev's IRQ lines only (realmode's "sti inhibit"
 * raises IRQ 11): edge-triggered, no ISR (acknowledged as injected).
 */
struct pic {
	uint8_t imr, irr, base, icw_step;
	bool icw4;
};

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
};

struct fwcfg {
	uint16_t key;
	uint32_t offset;
};

#define MAX_LOGGED		64

struct vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	uint8_t *file;
	size_t file_size;
	const char *path, *append, *cpu;
	unsigned int timeout;
	bool trace;

	struct uart uart;
	struct fwcfg fwcfg;
	struct apic apic;
	struct pic pic[2];
	uint32_t testdev_irq_lines;
	uint32_t testdev_data;
	uint8_t testdev_iomem[TESTDEV_IOMEM_SIZE];

	uint64_t logged[MAX_LOGGED];
	int nr_logged;
};

/* flatrun.c */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_errno(int status, const char *what);
bool vm__first_time(struct vm *vm, int kind, uint64_t where);
void *vm__gpa(struct vm *vm, uint64_t gpa, uint64_t len);

/* flatrun-dev.c */
void apic__reset(struct apic *apic);
void pic__reset(struct pic *pic);
/* The highest pending vector, or -1. */
int apic__pending(struct apic *apic);
int pic__pending(struct vm *vm);
/* KVM_INTERRUPT of the highest pending vector if the guest takes it. */
int vcpu__inject(struct vm *vm);
int vcpu__exit_io(struct vm *vm, int *exit_status);
int vcpu__exit_mmio(struct vm *vm);

#endif
