/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm: the project's small userspace VMM.  It runs flat guest binaries on
 * /dev/kvm through the upstream KVM ioctl ABI.  See bench/README.md for the
 * command line, the guest-physical memory map, the devices and the exit
 * statuses.
 */
#ifndef VMM_H
#define VMM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* ---- exit statuses of the vmm process (bench/README.md) -------------- */
#define VMM_GUEST_MAX		99	/* 0..99: the guest's own exit code */
#define VMM_EXIT_USAGE		100	/* bad command line or guest image */
#define VMM_EXIT_KVM		101	/* /dev/kvm, an ioctl, mmap, threads */
#define VMM_EXIT_HLT		102	/* KVM_EXIT_HLT with --on-hlt exit */
#define VMM_EXIT_SHUTDOWN	103	/* KVM_EXIT_SHUTDOWN (triple fault) */
#define VMM_EXIT_INTERNAL	104	/* KVM_EXIT_INTERNAL_ERROR */
#define VMM_EXIT_FAIL_ENTRY	105	/* KVM_EXIT_FAIL_ENTRY */
#define VMM_EXIT_UNHANDLED	106	/* KVM_EXIT_UNKNOWN, any other exit */
#define VMM_EXIT_NO_DEVICE	107	/* port/MMIO with no device, bad report */
#define VMM_EXIT_LIMIT		108	/* --timeout or --max-exits reached */

/* ---- guest-physical memory map ---------------------------------------- */
#define GDT_ADDR		0x1000ULL	/* the VMM's GDT (prot32/pae/long) */
#define PT_ADDR			0x10000ULL	/* the VMM's page tables (pae/long) */
#define PT_END			0x90000ULL
#define REAL_LOAD_ADDR		0x7c00ULL	/* --mode real */
#define LOAD_ADDR		0x100000ULL	/* --mode prot32/pae/long */
#define RESET_ALIAS_ADDR	0xffff0000ULL	/* alias of 0xf0000-0xfffff */
#define RESET_ALIAS_SIZE	0x10000ULL
#define LOW_RAM_MAX		0xc0000000ULL	/* RAM above 3 GiB moves to 4 GiB */
#define HIGH_RAM_BASE		0x100000000ULL

/* GDT selectors the VMM sets up (the guest runtime uses the same layout). */
#define SEL_CODE32		0x08
#define SEL_DATA		0x10
#define SEL_CODE64		0x18
#define SEL_DATA64		0x20
#define SEL_CODE16		0x28
#define SEL_DATA16		0x30

/* ---- devices: ports and MMIO (bench/README.md) ------------------------ */
#define PORT_SERIAL		0x3f8	/* COM1: 0x3f8..0x3ff */
#define PORT_SERIAL_LSR		0x3fd
#define PORT_REPORT		0xf0	/* report: "key=value\n" byte stream */
#define PORT_EXIT		0xf4	/* exit: OUT value = exit status */
#define PORT_STOP		0xf5	/* stop this vCPU */
#define PORT_TEST_BASE		0xe0	/* PIO test device: 0xe0..0xef */
#define PORT_TEST_ROM		0xe0	/*   0xe0..0xe7: pattern, read-only */
#define PORT_TEST_SCRATCH	0xe8	/*   0xe8..0xeb: 4 bytes scratch */
#define PORT_TEST_SEQ		0xec	/*   0xec..0xef: sequence counter */
#define PORT_TEST_END		0xf0
#define MMIO_TEST_BASE		0xd0000000ULL	/* MMIO test device, 4 KiB */
#define MMIO_TEST_SIZE		0x1000
#define MMIO_TEST_RAM		0x800	/* offsets 0x800..0xfff: scratch RAM */

/* RCX at the entry point: what the VMM gives the guest (bench/README.md). */
#define VMM_FLAG_IRQCHIP	(1U << 0)	/* --irqchip kernel or split */

enum vmm_mode { MODE_REAL, MODE_RESET, MODE_PROT32, MODE_PAE, MODE_LONG };
enum hlt_action { HLT_EXIT, HLT_CONTINUE, HLT_STOP };

/* What a device asks the vCPU loop to do next. */
enum action { ACT_CONTINUE, ACT_EXIT, ACT_STOP };

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	char report[256];	/* this vCPU's report line so far */
	size_t report_len;
	uint64_t exits, exits_io, exits_mmio, exits_hlt;
	int exit_status;	/* with ACT_EXIT */
};

struct mem_slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct options {
	enum vmm_mode mode;
	uint64_t mem_mib;
	int nr_vcpus;
	uint64_t load_addr;	/* ~0: the mode's default */
	uint64_t entry;		/* ~0: load_addr */
	uint64_t slot_mib;	/* 0: one slot per RAM range */
	bool no_gbpages;
	bool no_thp;		/* RAM without MADV_HUGEPAGE */
	bool irqchip;		/* --irqchip kernel or split: local APICs */
	bool split_irqchip;	/* --irqchip split: KVM_CAP_SPLIT_IRQCHIP */
	unsigned timeout;	/* seconds, 0: none */
	uint64_t max_exits;	/* 0: none */
	enum hlt_action on_hlt;
	bool lenient;
	bool stats, mmu_stats, trace;
	const char *image;
};

struct vm {
	struct options opt;
	int sys_fd, fd;
	int vcpu_mmap_size;
	uint8_t *ram;		/* all guest RAM, one anonymous mapping */
	uint64_t ram_size;
	uint64_t low_size;	/* RAM at 0..low_size; the rest at 4 GiB */
	struct mem_slot slots[512];
	int nr_slots;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct vcpu *vcpus;

	pthread_mutex_t lock;	/* output, devices, running */
	pthread_cond_t cond;
	int running;		/* vCPU threads not stopped */
	uint64_t total_exits;

	char console[1024];	/* the serial console's current line */
	size_t console_len;
	uint8_t pio_scratch[4];
	uint32_t pio_seq;
	uint8_t mmio_ram[MMIO_TEST_SIZE - MMIO_TEST_RAM];
};

/* main.c */
void vmm__msg(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vm__exit(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void vm__die_errno(struct vm *vm, const char *what)
	__attribute__((noreturn));

/* kvm.c */
void vm__create(struct vm *vm);
void vm__create_irqchip(struct vm *vm);
void vm__setup_memory(struct vm *vm);
void vm__load_image(struct vm *vm);
void *vm__gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
void vcpu__create(struct vm *vm, struct vcpu *vcpu, int id);
void vcpu__make_runnable(struct vcpu *vcpu);
void *vcpu__thread(void *arg);
void vcpu__dump(struct vcpu *vcpu);

/* x86.c */
struct kvm_cpuid_entry2 *cpuid__find(struct kvm_cpuid2 *cpuid,
				     uint32_t function, uint32_t index);
bool cpuid__has(struct kvm_cpuid2 *cpuid, uint32_t function, int reg,
		int bit);
void vm__setup_cpuid(struct vm *vm);
void vcpu__setup_cpuid(struct vcpu *vcpu);
void vm__setup_tables(struct vm *vm);
void vcpu__setup_mode(struct vcpu *vcpu);
const char *mode__name(enum vmm_mode mode);

/* devices.c */
enum action io__handle(struct vcpu *vcpu, uint16_t port, int size, bool out,
		       uint8_t *data, uint32_t count);
enum action mmio__handle(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			 uint32_t len, bool write);
void console__flush(struct vm *vm);
uint8_t pio_rom_byte(unsigned port);
uint8_t mmio_rom_byte(unsigned offset);

/*
 * ust.c: LTTng-UST tracepoints (provider "kvmbench", bench/README.md), in
 * vmm/vmm-lttng only; in vmm/vmm these hooks are empty.
 */
#ifdef VMM_LTTNG_UST
void ust__run_start(struct vcpu *vcpu);
void ust__before_kvm_run(struct vcpu *vcpu);
void ust__after_kvm_run(struct vcpu *vcpu);
void ust__run_end(struct vcpu *vcpu, enum action act);
#else
#define UST_UNUSED __attribute__((unused))
static inline void ust__run_start(struct vcpu *vcpu UST_UNUSED) { }
static inline void ust__before_kvm_run(struct vcpu *vcpu UST_UNUSED) { }
static inline void ust__after_kvm_run(struct vcpu *vcpu UST_UNUSED) { }
static inline void ust__run_end(struct vcpu *vcpu UST_UNUSED,
				enum action act UST_UNUSED) { }
#undef UST_UNUSED
#endif

#endif
