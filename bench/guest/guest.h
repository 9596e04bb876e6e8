/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest runtime: a few freestanding helpers for guests of bench/vmm.
 * Built four times: 16-bit real mode (-m16), 32-bit protected mode without
 * paging, 32-bit PAE, 64-bit long mode.  GUEST_MODE says which.
 *
 * The runtime assumes what bench/vmm sets up (bench/README.md): flat
 * segments with the VMM's GDT selectors, RAM identity-mapped (VA == PA)
 * where paging is on, the devices at their ports.  crt0 gives each vCPU
 * a stack, rt_start() loads the IDT and calls guest_main(cpu); what it
 * returns on vCPU 0 is the exit status, other vCPUs just stop.
 */
#ifndef GUEST_H
#define GUEST_H

#define GUEST_MODE_REAL		1
#define GUEST_MODE_PROT32	2
#define GUEST_MODE_PAE		3
#define GUEST_MODE_LONG		4

#ifndef GUEST_MODE
#error "build with -DGUEST_MODE=GUEST_MODE_..."
#endif

/*
 * Ring 3 (user.c, user32.S, user64.S; also used from assembly): the first
 * user_call() loads the runtime's own GDT, the VMM's descriptors 0x08-0x30
 * copied (so the selectors in use keep their meaning), then ring 3 code
 * and data and a TSS.  CPL 3 returns through INT USER_RET_VECTOR.
 */
#define GDT_USER_CODE32		0x38
#define GDT_USER_DATA		0x40
#define GDT_USER_CODE64		0x48
#define GDT_TSS			0x50	/* two slots in long mode */
#define GDT_ENTRIES		12
#define SEL_USER_CODE32		(GDT_USER_CODE32 | 3)
#define SEL_USER_DATA		(GDT_USER_DATA | 3)
#define SEL_USER_CODE64		(GDT_USER_CODE64 | 3)
#define USER_RET_VECTOR		0x80
#define USER_STACK_SIZE		4096

#ifndef __ASSEMBLER__
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned long ulong;

/* ---- guest exit codes (the vmm's exit status) ------------------------- */
#define EXIT_PASS		0
#define EXIT_FAIL		1	/* a check failed */
#define EXIT_EXCEPTION		2	/* an unexpected exception */
#define EXIT_WRONG_MODE		3	/* run in another mode than built for */
#define EXIT_TOO_MANY_CPUS	4	/* more vCPUs than the runtime has stacks */
#define EXIT_SKIP		77	/* the CPU lacks something the test needs */

/* ---- the vmm's devices (bench/README.md) ------------------------------- */
#define PORT_SERIAL		0x3f8
#define PORT_SERIAL_LSR		0x3fd
#define PORT_REPORT		0xf0
#define PORT_EXIT		0xf4
#define PORT_STOP		0xf5
#define PORT_TEST_ROM		0xe0
#define PORT_TEST_SCRATCH	0xe8
#define PORT_TEST_SEQ		0xec
#define MMIO_TEST_BASE		0xd0000000UL
#define MMIO_TEST_RAM		0x800

/* The test devices' patterns, as bench/vmm/devices.c computes them. */
static inline uint8_t pio_rom_byte(unsigned port)
{
	return (port * 11 + 0x3c) & 0xff;
}

static inline uint8_t mmio_rom_byte(unsigned offset)
{
	return (offset * 13 + 0x5a + (offset >> 8)) & 0xff;
}

/* ---- port I/O ------------------------------------------------------------ */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* REP INS/OUTS: count elements of 1, 2 or 4 bytes. */
#define DEFINE_STRING_IO(sfx)						\
static inline void ins##sfx(uint16_t port, void *buf, ulong count)	\
{									\
	asm volatile("rep ins" #sfx					\
		     : "+D"(buf), "+c"(count) : "d"(port) : "memory");	\
}									\
static inline void outs##sfx(uint16_t port, const void *buf, ulong count) \
{									\
	asm volatile("rep outs" #sfx					\
		     : "+S"(buf), "+c"(count) : "d"(port) : "memory");	\
}
DEFINE_STRING_IO(b)
DEFINE_STRING_IO(w)
DEFINE_STRING_IO(l)

/* ---- CPU ----------------------------------------------------------------- */
struct cpuid { uint32_t a, b, c, d; };

static inline struct cpuid cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid r;

	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

#define X86_CR0_PE	(1UL << 0)
#define X86_CR0_WP	(1UL << 16)
#define X86_CR0_PG	(1UL << 31)
#define X86_CR4_PSE	(1UL << 4)
#define X86_CR4_PAE	(1UL << 5)
#define X86_CR4_PGE	(1UL << 7)
#define X86_CR4_SMEP	(1UL << 20)
#define X86_CR4_SMAP	(1UL << 21)
#define X86_EFLAGS_AC	(1UL << 18)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}

#define DEFINE_CR(n)							\
static inline ulong read_cr##n(void)					\
{									\
	ulong v;							\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v));			\
	return v;							\
}									\
static inline void write_cr##n(ulong v)					\
{									\
	asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");		\
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline void invlpg(ulong va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Always inlined: code that runs at CPL 3 uses it (user.c). */
static inline __attribute__((always_inline)) uint16_t read_cs(void)
{
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

/* ---- the runtime ----------------------------------------------------------- */
extern unsigned nr_cpus;	/* --vcpus */
extern unsigned mem_mib;	/* --mem (0 if unknown) */
extern unsigned vmm_flags;	/* RCX at entry: VMM_FLAG_* */
#define VMM_FLAG_IRQCHIP	(1U << 0)	/* --irqchip kernel or split */

int guest_main(unsigned cpu);	/* the guest's */

void exit(int code) __attribute__((noreturn));
void stop(void) __attribute__((noreturn));	/* this vCPU only */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);

/* One "key=value" line on the report port: the vmm prints it as is. */
void reportf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report(const char *key, uint64_t value);		/* decimal */
void report_hex(const char *key, uint64_t value);	/* 0x... */
void report_str(const char *key, const char *value);

/* Checks: a failed one prints "check failed: ..." and counts in failures. */
extern unsigned failures, checks;
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool check_eq(const char *what, uint64_t got, uint64_t want);

/* 64-bit division by a small number without libgcc (32-bit guests). */
uint32_t divmod_small(uint64_t *n, uint32_t d);

static inline uint32_t atomic_inc(volatile uint32_t *p)
{
	return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

#if GUEST_MODE != GUEST_MODE_REAL
/* ---- exceptions ------------------------------------------------------------ */
struct exc_record {
	ulong vector, error, cr2, ip;
};
extern volatile struct exc_record exc_last;	/* the last exception */
extern volatile unsigned exc_count;		/* exceptions so far */
extern volatile ulong exc_fixup;		/* resume here, once (user region) */

#ifdef __x86_64__
#define MOVP "movq"
#define SP_REG "%%rsp"
#define WORD_SIZE "8"
#else
#define MOVP "movl"
#define SP_REG "%%esp"
#define WORD_SIZE "4"
#endif

/*
 * Accesses that may fault: 0 if it went through, 1 if it faulted (then
 * exc_last says how).  Any exception goes: the handler resumes after it.
 * They work at CPL 3 too (exc_fixup is in the user region, below), so
 * they are always inlined: out of line they would be kernel code.
 */
static inline __attribute__((always_inline))
int probe_read32(const volatile void *p, uint32_t *val)
{
	int fault = 0;
	uint32_t v = 0;

	asm volatile(MOVP " $1f, %[fix]\n\t"
		     "movl (%[p]), %[v]\n\t"
		     "jmp 2f\n"
		     "1: movl $1, %[fault]\n"
		     "2: " MOVP " $0, %[fix]"
		     : [fault] "+r"(fault), [v] "+r"(v), [fix] "=m"(exc_fixup)
		     : [p] "r"(p) : "memory");
	*val = v;
	return fault;
}

static inline __attribute__((always_inline))
int probe_write32(volatile void *p, uint32_t val)
{
	int fault = 0;

	asm volatile(MOVP " $1f, %[fix]\n\t"
		     "movl %[v], (%[p])\n\t"
		     "jmp 2f\n"
		     "1: movl $1, %[fault]\n"
		     "2: " MOVP " $0, %[fix]"
		     : [fault] "+r"(fault), [fix] "=m"(exc_fixup)
		     : [p] "r"(p), [v] "r"(val) : "memory");
	return fault;
}

/* Call code at p, which must be a RET (0xc3) if it runs. */
static inline __attribute__((always_inline))
int probe_exec(const volatile void *p)
{
	int fault = 0;

	asm volatile(MOVP " $1f, %[fix]\n\t"
		     "call *%[p]\n\t"
		     "jmp 2f\n"
		     "1: add $" WORD_SIZE ", " SP_REG "\n\t"
		     "movl $1, %[fault]\n"
		     "2: " MOVP " $0, %[fix]"
		     : [fault] "+r"(fault), [fix] "=m"(exc_fixup)
		     : [p] "r"(p) : "memory", "cc");
	return fault;
}

/* ---- page tables ----------------------------------------------------------- */
/*
 * Page tables of the three formats, built in pages from page_alloc().
 * Tables are reached at their physical address: the current address space
 * must map them VA == PA (true with paging off and under the vmm's tables).
 */
#define PT_32		0	/* 2 levels, 4-byte entries */
#define PT_PAE		1	/* 3 levels, 8-byte entries */
#define PT_64		2	/* 4 levels, 8-byte entries */

struct pt {
	int fmt;		/* PT_32, PT_PAE, PT_64 */
	uint64_t root;		/* physical: CR3 */
};

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_G		(1ULL << 8)
#define PTE_NX		(1ULL << 63)

/* The next free page (zeroed), from the end of the image up. */
void *page_alloc(void);
extern ulong page_alloc_next, page_alloc_limit;

void pt_init(struct pt *pt, int fmt);
/*
 * Map [va, va+len) to [pa, pa+len) with pages of 1 << page_shift bytes
 * (12; 22 for PT_32 with CR4.PSE; 21 for PT_PAE and PT_64; 30 for PT_64)
 * and flags (PTE_P is implied; PTE_PS too for large pages).  0 or -1.
 */
int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t len,
	   unsigned page_shift, uint64_t flags);
/* The leaf entry mapping va (0 if none), and its page shift. */
uint64_t pt_get(struct pt *pt, uint64_t va, unsigned *shift);
/* Change the flags of va's leaf entry: 0, or -1 if it is not mapped. */
int pt_update(struct pt *pt, uint64_t va, uint64_t clear, uint64_t set);
/*
 * Change the entry on va's walk at the level whose entries map 1 << shift
 * bytes (22 for a PT_32 directory entry, 21 for PAE and 4-level, ...):
 * a directory entry as well as a leaf.  0, or -1 if the walk does not
 * get there.  pt_map() creates directory entries with PTE_RW and PTE_US
 * (PAE PDPTEs have neither), so the leaf alone decides until this
 * changes one.
 */
int pt_update_level(struct pt *pt, uint64_t va, unsigned shift,
		    uint64_t clear, uint64_t set);

/* ---- ring 3 (user.c) ------------------------------------------------------- */
/*
 * The user region: whole pages of the image, [__user_start, __user_end),
 * with the code and data that CPL 3 touches: code marked __user_text,
 * data marked __user_data, the runtime's return path to ring 0 and user
 * stack, and exc_fixup (so the probe helpers work at CPL 3).  A guest
 * that calls user_call() maps these pages with PTE_US (and the rest of
 * the image without it, if it wants supervisor-only memory); every level
 * of the walk must allow user access.
 *
 * __user_text functions must not call kernel code: no printf, no check;
 * port I/O faults at CPL 3 (IOPL 0), and so do CLI, HLT, MOV CR.  No
 * string constants, no switch tables: .rodata is not in the region.
 */
#define __user_text	__attribute__((section(".user.text"), noipa))
#define __user_data	__attribute__((section(".user.data")))
extern char __user_start[], __user_end[];

/*
 * Run fn(arg) at CPL 3, on the runtime's user stack, with IF = 0, and
 * return what it returns.  Exceptions at CPL 3 go to the usual handlers
 * on this call's kernel stack (TSS.SP0); with exc_fixup they resume at
 * CPL 3.  One vCPU only (the first that calls it: the TSS is busy after
 * LTR); others exit the guest with EXIT_FAIL.
 */
ulong user_call(ulong (*fn)(ulong), ulong arg);

/* Install an IDT gate and extend this vCPU's IDT limit over it (rt.c). */
void idt_set_gate(unsigned vector, ulong handler, unsigned dpl);
#endif /* GUEST_MODE != GUEST_MODE_REAL */

#endif /* !__ASSEMBLER__ */
#endif
