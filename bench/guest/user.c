// SPDX-License-Identifier: GPL-2.0
/*
 * Ring 3 for guests: user_call(fn, arg) runs fn(arg) at CPL 3 and returns
 * its result (guest.h).  What it takes, set up by the first call:
 *
 *   - a GDT of the runtime's own: the VMM's descriptors copied (CS, DS and
 *     SS keep their selectors and meaning), ring 3 code (32- and 64-bit)
 *     and data, a TSS;
 *   - the TSS: SS0:ESP0 (32-bit) or RSP0 (64-bit), where the CPU switches
 *     stacks on an interrupt or exception at CPL 3.  user_enter sets SP0
 *     to its own stack pointer on each call, so exceptions at CPL 3 run on
 *     the calling kernel stack, below the caller's frames.  No I/O bitmap:
 *     with IOPL 0, port I/O at CPL 3 is #GP;
 *   - an interrupt gate of DPL 3 at USER_RET_VECTOR, the way back.
 *
 * user32.S/user64.S do the switches: user_enter saves the callee-saved
 * and segment registers on the kernel stack and the stack pointer in
 * user_kernel_sp, then IRETs to user_trampoline at CPL 3 (IF = 0), which
 * calls fn(arg) on the user stack and does INT USER_RET_VECTOR with the
 * result in EAX/RAX.  That gate's handler, user_return, does not IRET: it
 * takes back the saved stack and registers and returns from user_enter.
 */
#include "guest.h"

#ifdef __x86_64__
struct tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));
#else
struct tss {
	uint16_t link, reserved0;
	uint32_t esp0;
	uint16_t ss0, reserved1;
	uint32_t esp1;
	uint16_t ss1, reserved2;
	uint32_t esp2;
	uint16_t ss2, reserved3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, reserved4, cs, reserved5, ss, reserved6;
	uint16_t ds, reserved7, fs, reserved8, gs, reserved9;
	uint16_t ldt, reserved10, trap, iomap_base;
} __attribute__((packed));
#endif

/* user32.S/user64.S store SP0 at offset 4, in either format. */
_Static_assert(sizeof(struct tss) == 104, "TSS size");
#ifdef __x86_64__
_Static_assert(__builtin_offsetof(struct tss, rsp0) == 4, "TSS RSP0");
#else
_Static_assert(__builtin_offsetof(struct tss, esp0) == 4, "TSS ESP0");
#endif

/* Used by user32.S/user64.S. */
struct tss user_tss __attribute__((aligned(16)));
ulong user_kernel_sp;		/* user_enter's stack; 0 outside a call */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static uint8_t user_stack[USER_STACK_SIZE] __user_data __attribute__((aligned(16)));
static int user_cpu = -1;	/* the vCPU that loaded the TSS */

extern const char user_trampoline[];	/* user32.S/user64.S */
ulong user_enter(ulong (*fn)(ulong), ulong arg, ulong stack_top);
void user_return(void);
void user_bad_return(void) __attribute__((noreturn));

struct desc_ptr {
	uint16_t limit;
	ulong base;
} __attribute__((packed));

/* A code or data descriptor, or the low half of a system descriptor. */
static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access,
			  uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) |
	       ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

static void user_setup(void)
{
	struct desc_ptr old, new = { sizeof(gdt) - 1, (ulong)gdt };
	ulong tss = (ulong)&user_tss;
	uint16_t cs = read_cs(), ss, ds;
	size_t n;

	asm volatile("mov %%ss, %0; mov %%ds, %1" : "=r"(ss), "=r"(ds));
	if (cs >= GDT_USER_CODE32 || ss >= GDT_USER_CODE32 ||
	    ds >= GDT_USER_CODE32) {
		printf("user_call: selectors cs 0x%x ss 0x%x ds 0x%x clash with the runtime's GDT\n",
		       cs, ss, ds);
		exit(EXIT_FAIL);
	}
	/*
	 * The descriptors in use (the VMM's, at 0x1000), as they are: read
	 * through the current tables, which must map them VA == PA.
	 */
	asm volatile("sgdt %0" : "=m"(old));
	n = (size_t)old.limit + 1;
	if (n > GDT_USER_CODE32)
		n = GDT_USER_CODE32;
	memcpy(gdt, (const void *)old.base, n);

	/* Accessed set: loading them writes nothing to the GDT. */
	gdt[GDT_USER_CODE32 >> 3] = gdt_entry(0, 0xfffff, 0xfb, 0xc);
	gdt[GDT_USER_DATA >> 3] = gdt_entry(0, 0xfffff, 0xf3, 0xc);
	gdt[GDT_USER_CODE64 >> 3] = gdt_entry(0, 0xfffff, 0xfb, 0xa);
	/* Available 32-bit TSS, or 64-bit TSS in long mode (type 9). */
	gdt[GDT_TSS >> 3] = gdt_entry((uint32_t)tss, sizeof(user_tss) - 1, 0x89, 0);
#ifdef __x86_64__
	gdt[(GDT_TSS >> 3) + 1] = (uint64_t)tss >> 32;
#else
	user_tss.ss0 = ss;
#endif
	user_tss.iomap_base = sizeof(user_tss);	/* none */

	asm volatile("lgdt %0" : : "m"(new) : "memory");
	asm volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
	idt_set_gate(USER_RET_VECTOR, (ulong)user_return, 3);
}

ulong user_call(ulong (*fn)(ulong), ulong arg)
{
	/* The VMM puts the vCPU index in CPUID.1:EBX[31:24]. */
	int cpu = cpuid(1, 0).b >> 24;

	if (user_cpu < 0) {
		user_setup();
		user_cpu = cpu;
	} else if (cpu != user_cpu) {
		printf("user_call: vcpu %d, but only vcpu %d runs user code\n",
		       cpu, user_cpu);
		exit(EXIT_FAIL);
	}
	if (user_kernel_sp) {
		printf("user_call: called inside user_call\n");
		exit(EXIT_FAIL);
	}
	return user_enter(fn, arg, (ulong)user_stack + sizeof(user_stack));
}

/* INT USER_RET_VECTOR outside user_call: a bug in the guest. */
void user_bad_return(void)
{
	printf("user: int $0x%x outside user_call\n", USER_RET_VECTOR);
	exit(EXIT_EXCEPTION);
}
