// SPDX-License-Identifier: GPL-2.0
/*
 * The guest runtime's start: check the mode, load the IDT, run
 * guest_main() and end the run with its result.
 */
#include "guest.h"

unsigned nr_cpus;
unsigned mem_mib;
unsigned vmm_flags;

static const char *const mode_names[] = {
	[GUEST_MODE_REAL] = "real",
	[GUEST_MODE_PROT32] = "prot32",
	[GUEST_MODE_PAE] = "pae",
	[GUEST_MODE_LONG] = "long",
};

/* Are we in the mode this runtime is built for? */
static void rt_check_mode(void)
{
	ulong cr0 = read_cr0(), cr4 = 0;
	bool ok;

#if GUEST_MODE == GUEST_MODE_REAL
	ok = !(cr0 & X86_CR0_PE);
#else
	cr4 = read_cr4();
#if GUEST_MODE == GUEST_MODE_PROT32
	ok = (cr0 & X86_CR0_PE) && !(cr0 & X86_CR0_PG);
#elif GUEST_MODE == GUEST_MODE_PAE
	ok = (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE);
#else
	ok = (cr0 & X86_CR0_PG) && (rdmsr(MSR_EFER) & EFER_LMA);
#endif
#endif
	if (ok)
		return;
	printf("rt: this guest is built for %s mode, but CR0=0x%lx CR4=0x%lx: run it with --mode %s\n",
	       mode_names[GUEST_MODE], cr0, cr4, mode_names[GUEST_MODE]);
	exit(EXIT_WRONG_MODE);
}

#if GUEST_MODE != GUEST_MODE_REAL
volatile struct exc_record exc_last;
volatile unsigned exc_count;
/* In the user region: the probe helpers set it at CPL 3 too. */
volatile ulong exc_fixup __user_data;

/* What isr32.S/isr64.S push, lowest address first. */
struct exc_frame {
#ifdef __x86_64__
	ulong r15, r14, r13, r12, r11, r10, r9, r8;
	ulong rbp, rdi, rsi, rdx, rcx, rbx, rax;
#else
	ulong edi, esi, ebp, esp, ebx, edx, ecx, eax;	/* pushal */
#endif
	ulong vector, error;
	ulong ip, cs, flags;
};

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "?", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "?", "?",
	"?", "?", "?", "?", "#HV", "#VC", "#SX", "?",
};

void exception_handler(struct exc_frame *f);
void exception_handler(struct exc_frame *f)
{
	exc_last.vector = f->vector;
	exc_last.error = f->error;
	exc_last.cr2 = read_cr2();
	exc_last.ip = f->ip;
	exc_count++;
	if (exc_fixup) {
		f->ip = exc_fixup;
		exc_fixup = 0;
		return;
	}
	printf("unexpected exception %lu (%s), error code 0x%lx, at ip 0x%lx, cr2 0x%lx\n",
	       f->vector, exc_names[f->vector & 31], f->error, f->ip,
	       exc_last.cr2);
	exit(EXIT_EXCEPTION);
}

extern const ulong isr_table[32];	/* isr32.S/isr64.S */

#ifdef __x86_64__
struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};
#else
struct idt_gate {
	uint16_t off0, sel;
	uint8_t zero, type;
	uint16_t off1;
};
#endif

/*
 * One IDT for every vCPU.  Room for all 256 vectors, but the limit covers
 * only the exceptions until idt_set_gate() adds a gate above them (the
 * return from ring 3, user.c): a vCPU that loads the IDT after that gets
 * the longer limit too, the others keep theirs.
 */
static struct idt_gate idt[256] __attribute__((aligned(16)));
static unsigned idt_entries = 32;

static void idt_gate(unsigned vector, ulong handler, unsigned dpl)
{
	struct idt_gate g;

	memset(&g, 0, sizeof(g));
	g.off0 = handler & 0xffff;
	g.sel = read_cs();
	g.type = 0x8e | (dpl << 5);	/* present, interrupt gate (IF = 0) */
	g.off1 = (handler >> 16) & 0xffff;
#ifdef __x86_64__
	g.off2 = (uint64_t)handler >> 32;
#endif
	idt[vector] = g;
}

static void idt_load(void)
{
	struct {
		uint16_t limit;
		ulong base;
	} __attribute__((packed)) idtr = {
		idt_entries * sizeof(idt[0]) - 1, (ulong)idt
	};

	asm volatile("lidt %0" : : "m"(idtr));
}

/* 32 interrupt gates, one per exception, DPL 0: INT n from CPL 3 is #GP. */
static void idt_setup(void)
{
	int i;

	for (i = 0; i < 32; i++)
		idt_gate(i, isr_table[i], 0);
	idt_load();
}

void idt_set_gate(unsigned vector, ulong handler, unsigned dpl)
{
	idt_gate(vector, handler, dpl);
	if (vector >= idt_entries)
		idt_entries = vector + 1;
	idt_load();
}
#endif /* GUEST_MODE != GUEST_MODE_REAL */

void rt_start(unsigned cpu, unsigned ncpus, unsigned mib, unsigned flags)
	__attribute__((noreturn));
void rt_start(unsigned cpu, unsigned ncpus, unsigned mib, unsigned flags)
{
	int ret;

	nr_cpus = ncpus;
	mem_mib = mib;
	vmm_flags = flags;
	rt_check_mode();
#if GUEST_MODE != GUEST_MODE_REAL
	idt_setup();
#endif
	ret = guest_main(cpu);
	if (cpu == 0)
		exit(ret);
	if (ret) {
		printf("rt: vcpu %u: guest_main returned %d\n", cpu, ret);
		exit(ret);
	}
	stop();
}
