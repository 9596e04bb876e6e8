// SPDX-License-Identifier: GPL-2.0
/*
 * irq: the cost of the local APIC's interrupts with an in-kernel irqchip
 * (bench/vmm/vmm --irqchip kernel; with --vcpus 2 for the IPI ping-pong).
 * Each phase runs LOOPS round trips, each timed with RDTSC, and reports
 *
 *   irq.MODE.PHASE.count   interrupts its handler took (exactly LOOPS)
 *   irq.MODE.PHASE.tsc     guest TSC cycles of all its round trips
 *   irq.MODE.PHASE.median  the median round trip, in cycles
 *   irq.MODE.PHASE.min     the shortest
 *
 * MODE is xapic (the APIC's registers as MMIO at 0xfee00000) or x2apic
 * (as MSRs 0x800-0x8ff, where CPUID has x2APIC); PHASE:
 *
 *   timer          one-shot LAPIC timer, initial count 1 at divide by 1:
 *                  from the TMICT write to the handler's first RDTSC; the
 *                  vCPU HLTs until the interrupt
 *   tscdeadline    the TSC-deadline timer armed 1 cycle ahead (where
 *                  CPUID has it): from the WRMSR to the handler
 *   self_ipi       ICR, fixed, self shorthand: from the ICR write to the
 *                  handler (IF=1: it interrupts the instruction after)
 *   pingpong_spin  (2 vCPUs) vCPU 0 sends a fixed IPI to APIC ID 1, whose
 *                  handler sets a flag; vCPU 1 sees it and sends one back
 *                  to APIC ID 0; vCPU 0's handler ends the round trip.
 *                  Both wait by spinning with IF=1
 *   pingpong_hlt   the same, both waiting in HLT
 *
 * Also irq.loops=LOOPS, irq.spurious= (APIC spurious interrupts: 0),
 * irq.hlt_in_shadow= (interrupts taken between STI and HLT, which the
 * STI shadow forbids: sti_hlt() below), and irq.tsc= (all the phases'
 * cycles: the harness's time of the run).  A phase the vCPUs cannot run
 * reports irq.MODE.PHASE.skipped=1 instead.
 *
 * Without an in-kernel irqchip (the VMM's flags in RCX at entry, without
 * --irqchip kernel; or CPUID.1:EDX.APIC clear) it says so and exits 77.
 */
#include "guest.h"

#ifndef LOOPS
#define LOOPS		1000
#endif

/* The local APIC (Intel SDM vol. 3, chapter 11). */
#define APIC_MMIO	0xfee00000UL
#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EXTD	(1ULL << 10)	/* x2APIC mode */
#define APIC_BASE_EN	(1ULL << 11)
#define MSR_X2APIC(reg)	(0x800 + ((reg) >> 4))
#define MSR_TSC_DEADLINE 0x6e0

#define APIC_ID		0x020
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_SVR_ENABLE	(1U << 8)
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT_MASKED	(1U << 16)
#define APIC_LVTT_ONESHOT	(0U << 17)
#define APIC_LVTT_TSCDEADLINE	(2U << 17)
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0
#define APIC_TDCR_DIV1	0xb
#define APIC_ICR_FIXED	(0U << 8)
#define APIC_ICR_ASSERT	(1U << 14)
#define APIC_ICR_SELF	(1U << 18)	/* destination shorthand 01 */

#define CPUID1_EDX_APIC		(1U << 9)
#define CPUID1_ECX_X2APIC	(1U << 21)
#define CPUID1_ECX_TSC_DEADLINE	(1U << 24)

/* The vectors, each handled on one vCPU only. */
#define VEC_TIMER	0x40	/* vCPU 0 */
#define VEC_SELF	0x41	/* vCPU 0 */
#define VEC_PONG	0x42	/* vCPU 0: vCPU 1's answer */
#define VEC_PING	0x43	/* vCPU 1 */
#define VEC_WAKE	0x44	/* vCPU 1: look at the phase */
#define VEC_SPURIOUS	0xff	/* the APIC's spurious vector: no EOI */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}

/*
 * STI's shadow covers the HLT: an interrupt that is pending wakes it
 * rather than coming in just before it.  The lab's emulated SVM (QEMU
 * TCG) does not always keep the shadow across an exit taken on the HLT
 * (a host interrupt, then an interrupt-window exit and the injection
 * with RIP at the HLT): the handler would return to the HLT and the vCPU
 * would sleep with nothing left to wake it.  So the one HLT waiting for
 * an interrupt is here, at irq_hlt_insn, and the entry stubs step an
 * interrupted RIP past it, counting irq.hlt_in_shadow (0 on hardware).
 */
void sti_hlt(void);
asm(".text\n"
    ".globl sti_hlt\n"
    "sti_hlt:\n\t"
    "sti\n"
    "irq_hlt_insn:\n\t"
    "hlt\n\t"
    "ret\n");

/* Each vCPU's APIC mode: its handlers EOI through MMIO or the MSR. */
static volatile bool x2apic[2];

static void apic_write(unsigned cpu, uint32_t reg, uint32_t v)
{
	if (x2apic[cpu])
		wrmsr(MSR_X2APIC(reg), v);
	else
		*(volatile uint32_t *)(APIC_MMIO + reg) = v;
}

static uint32_t apic_read(unsigned cpu, uint32_t reg)
{
	if (x2apic[cpu])
		return rdmsr(MSR_X2APIC(reg));
	return *(volatile uint32_t *)(APIC_MMIO + reg);
}

/* A fixed IPI: to an APIC ID, or to this CPU (dest ~0U). */
static void send_ipi(unsigned cpu, uint32_t dest, uint8_t vector)
{
	uint32_t lo = vector | APIC_ICR_FIXED | APIC_ICR_ASSERT;

	if (dest == ~0U)
		lo |= APIC_ICR_SELF;
	if (x2apic[cpu]) {
		wrmsr(MSR_X2APIC(APIC_ICR),
		      ((uint64_t)(dest == ~0U ? 0 : dest) << 32) | lo);
		return;
	}
	if (dest != ~0U)
		apic_write(cpu, APIC_ICR2, dest << 24);
	apic_write(cpu, APIC_ICR, lo);
}

/* ---- the handlers ----------------------------------------------------- */

static volatile uint64_t timer_tsc, self_tsc, pong_tsc;
static volatile unsigned timer_count, self_count, pong_count, ping_count,
	wake_count, spurious;
static volatile bool timer_seen, self_seen, pong_seen, ping_seen;
volatile unsigned hlt_in_shadow;

void irq_timer(void);
void irq_timer(void)
{
	timer_tsc = rdtsc();
	timer_count++;
	timer_seen = true;
	apic_write(0, APIC_EOI, 0);
}

void irq_self(void);
void irq_self(void)
{
	self_tsc = rdtsc();
	self_count++;
	self_seen = true;
	apic_write(0, APIC_EOI, 0);
}

void irq_pong(void);
void irq_pong(void)
{
	pong_tsc = rdtsc();
	pong_count++;
	pong_seen = true;
	apic_write(0, APIC_EOI, 0);
}

void irq_ping(void);
void irq_ping(void)
{
	ping_count++;
	ping_seen = true;
	apic_write(1, APIC_EOI, 0);
}

void irq_wake(void);
void irq_wake(void)
{
	wake_count++;
	apic_write(1, APIC_EOI, 0);
}

void irq_spurious(void);
void irq_spurious(void)
{
	spurious++;
}

/*
 * Entry stubs: save the registers a C function may clobber, step over
 * the HLT of sti_hlt() if the interrupt came in before it (above), call
 * the handler, IRETQ.  The CPU pushed 5 quadwords on a 16-byte boundary
 * (RIP first, at 72(%rsp) after the 9 pushes); 9 more and the CALL leave
 * the stack as the ABI wants it.
 */
#define STUB(name)							\
	asm(".text\n"							\
	    ".globl " #name "_entry\n"					\
	    #name "_entry:\n\t"						\
	    "push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n\t"	\
	    "push %r8; push %r9; push %r10; push %r11\n\t"		\
	    "cld\n\t"							\
	    "cmpq $irq_hlt_insn, 72(%rsp)\n\t"				\
	    "jne 1f\n\t"							\
	    "incq 72(%rsp)\n\t"						\
	    "lock incl hlt_in_shadow(%rip)\n"				\
	    "1:\n\t"							\
	    "call " #name "\n\t"					\
	    "pop %r11; pop %r10; pop %r9; pop %r8\n\t"			\
	    "pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n\t"	\
	    "iretq\n");							\
	void name##_entry(void)

STUB(irq_timer);
STUB(irq_self);
STUB(irq_pong);
STUB(irq_ping);
STUB(irq_wake);
STUB(irq_spurious);

/*
 * The gates, on each vCPU (the IDT is shared; each loads its IDTR).  A
 * vector without one is beyond the IDT's limit: #GP, and the runtime's
 * handler ends the run with status 2.
 */
static void gates(void)
{
	idt_set_gate(VEC_TIMER, (ulong)irq_timer_entry, 0);
	idt_set_gate(VEC_SELF, (ulong)irq_self_entry, 0);
	idt_set_gate(VEC_PONG, (ulong)irq_pong_entry, 0);
	idt_set_gate(VEC_PING, (ulong)irq_ping_entry, 0);
	idt_set_gate(VEC_WAKE, (ulong)irq_wake_entry, 0);
	idt_set_gate(VEC_SPURIOUS, (ulong)irq_spurious_entry, 0);
}

/* Software-enable this vCPU's APIC, in xAPIC or x2APIC mode. */
static void apic_enable(unsigned cpu, bool x2)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (x2 && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	x2apic[cpu] = x2;
	apic_write(cpu, APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	apic_write(cpu, APIC_LVTT, APIC_LVT_MASKED | VEC_TIMER);
	apic_write(cpu, APIC_TDCR, APIC_TDCR_DIV1);
}

/* ---- samples and their report ------------------------------------------ */

static uint32_t samples[LOOPS];
static uint64_t tsc_all;

static void sort(uint32_t *a, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++) {
		uint32_t v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void report_phase(const char *mode, const char *phase, unsigned count)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < LOOPS; i++)
		total += samples[i];
	sort(samples, LOOPS);
	tsc_all += total;
	reportf("irq.%s.%s.count=%u", mode, phase, count);
	reportf("irq.%s.%s.tsc=%llu", mode, phase, (unsigned long long)total);
	reportf("irq.%s.%s.median=%u", mode, phase, samples[LOOPS / 2]);
	reportf("irq.%s.%s.min=%u", mode, phase, samples[0]);
	check(count == LOOPS, "irq.%s.%s: %u interrupts, want %u", mode,
	      phase, count, LOOPS);
}

static uint32_t since(uint64_t t0, uint64_t t1)
{
	return t1 > t0 ? (uint32_t)(t1 - t0 > 0xffffffffULL ?
				    0xffffffffULL : t1 - t0) : 0;
}

/* ---- vCPU 0's phases -------------------------------------------------- */

static void phase_timer(const char *mode)
{
	unsigned i, n0 = timer_count;
	uint64_t t0;

	apic_write(0, APIC_LVTT, APIC_LVTT_ONESHOT | VEC_TIMER);
	for (i = 0; i < LOOPS; i++) {
		cli();
		timer_seen = false;
		t0 = rdtsc();
		apic_write(0, APIC_TMICT, 1);
		while (!timer_seen) {
			sti_hlt();
			cli();
		}
		samples[i] = since(t0, timer_tsc);
	}
	sti();
	apic_write(0, APIC_LVTT, APIC_LVT_MASKED | VEC_TIMER);
	report_phase(mode, "timer", timer_count - n0);
}

static void phase_tscdeadline(const char *mode)
{
	unsigned i, n0 = timer_count;
	uint64_t t0;

	apic_write(0, APIC_LVTT, APIC_LVTT_TSCDEADLINE | VEC_TIMER);
	for (i = 0; i < LOOPS; i++) {
		cli();
		timer_seen = false;
		t0 = rdtsc();
		wrmsr(MSR_TSC_DEADLINE, t0 + 1);
		while (!timer_seen) {
			sti_hlt();
			cli();
		}
		samples[i] = since(t0, timer_tsc);
	}
	sti();
	check_eq("TSC deadline disarmed after it fired",
		 rdmsr(MSR_TSC_DEADLINE), 0);
	apic_write(0, APIC_LVTT, APIC_LVT_MASKED | VEC_TIMER);
	report_phase(mode, "tscdeadline", timer_count - n0);
}

static void phase_self_ipi(const char *mode)
{
	unsigned i, n0 = self_count;
	uint64_t t0;

	sti();
	for (i = 0; i < LOOPS; i++) {
		self_seen = false;
		t0 = rdtsc();
		send_ipi(0, ~0U, VEC_SELF);
		while (!self_seen)
			cpu_relax();
		samples[i] = since(t0, self_tsc);
	}
	report_phase(mode, "self_ipi", self_count - n0);
}

/*
 * The phases vCPU 1 follows: vCPU 0 sets `phase`, wakes it with VEC_WAKE,
 * and waits until it says `ready` (it is waiting for pings) and then
 * `done`.
 */
enum { PH_IDLE, PH_PP_SPIN, PH_PP_HLT, PH_X2APIC, PH_END };
static volatile unsigned phase, ready, done;
static volatile bool ap_up;		/* vCPU 1 took its APIC in hand */
static volatile unsigned ap_pings;	/* vCPU 1's answers in this phase */

static void ap_start(unsigned p)
{
	while (!ap_up)
		cpu_relax();
	done = PH_IDLE;
	ready = PH_IDLE;
	phase = p;
	send_ipi(0, 1, VEC_WAKE);
	while (ready != p)
		cpu_relax();
}

static void ap_wait_done(unsigned p)
{
	while (done != p)
		cpu_relax();
}

static void phase_pingpong(const char *mode, bool use_hlt)
{
	const char *name = use_hlt ? "pingpong_hlt" : "pingpong_spin";
	unsigned p = use_hlt ? PH_PP_HLT : PH_PP_SPIN;
	unsigned i, n0 = pong_count;
	uint64_t t0;

	ap_start(p);
	cli();
	for (i = 0; i < LOOPS; i++) {
		pong_seen = false;
		t0 = rdtsc();
		send_ipi(0, 1, VEC_PING);
		if (use_hlt) {
			while (!pong_seen) {
				sti_hlt();
				cli();
			}
		} else {
			sti();
			while (!pong_seen)
				cpu_relax();
			cli();
		}
		samples[i] = since(t0, pong_tsc);
	}
	sti();
	ap_wait_done(p);
	check_eq("vCPU 1's pings", ap_pings, LOOPS);
	report_phase(mode, name, pong_count - n0);
}

static void run_mode(const char *mode, bool x2, bool smp, bool tscdl)
{
	char key[64];

	apic_enable(0, x2);
	phase_timer(mode);
	if (tscdl) {
		phase_tscdeadline(mode);
	} else {
		snprintf(key, sizeof(key), "irq.%s.tscdeadline.skipped", mode);
		report(key, 1);
	}
	phase_self_ipi(mode);
	if (!smp) {
		snprintf(key, sizeof(key), "irq.%s.pingpong_spin.skipped", mode);
		report(key, 1);
		snprintf(key, sizeof(key), "irq.%s.pingpong_hlt.skipped", mode);
		report(key, 1);
		return;
	}
	phase_pingpong(mode, false);
	phase_pingpong(mode, true);
}

/* ---- vCPU 1 ----------------------------------------------------------- */

static void ap_pingpong(bool use_hlt)
{
	unsigned i;

	ap_pings = 0;
	cli();
	ping_seen = false;
	ready = phase;
	for (i = 0; i < LOOPS; i++) {
		if (use_hlt) {
			while (!ping_seen) {
				sti_hlt();
				cli();
			}
		} else {
			sti();
			while (!ping_seen)
				cpu_relax();
			cli();
		}
		ping_seen = false;
		ap_pings++;
		send_ipi(1, 0, VEC_PONG);
	}
	sti();
}

static int ap_main(void)
{
	unsigned seen = PH_IDLE;

	gates();
	apic_enable(1, false);
	cli();
	ap_up = true;
	for (;;) {
		while (phase == seen) {
			sti_hlt();
			cli();
		}
		seen = phase;
		switch (seen) {
		case PH_PP_SPIN:
		case PH_PP_HLT:
			ap_pingpong(seen == PH_PP_HLT);
			break;
		case PH_X2APIC:
			apic_enable(1, true);
			ready = seen;
			break;
		case PH_END:
			ready = seen;
			done = seen;
			return 0;
		}
		cli();
		done = seen;
	}
}

int guest_main(unsigned cpu)
{
	struct cpuid c = cpuid(1, 0);
	bool smp = nr_cpus >= 2;
	bool x2 = c.c & CPUID1_ECX_X2APIC;
	bool tscdl = c.c & CPUID1_ECX_TSC_DEADLINE;

	if (!(vmm_flags & VMM_FLAG_IRQCHIP) || !(c.d & CPUID1_EDX_APIC)) {
		if (cpu == 0) {
			printf("irq: needs an in-kernel irqchip (vmm --irqchip kernel): skipped\n");
			report("irq.skipped", 1);
			return EXIT_SKIP;
		}
		return 0;
	}
	if (cpu == 1)
		return ap_main();
	if (cpu > 1)
		return 0;

	gates();
	report_str("workload", "irq");
	report("irq.loops", LOOPS);
	report("irq.vcpus", nr_cpus);
	report("irq.apic_id", apic_read(0, APIC_ID) >> 24);

	run_mode("xapic", false, smp, tscdl);
	if (x2) {
		if (smp) {
			ap_start(PH_X2APIC);
			ap_wait_done(PH_X2APIC);
		}
		run_mode("x2apic", true, smp, tscdl);
	} else {
		report("irq.x2apic.skipped", 1);
	}
	if (smp) {
		ap_start(PH_END);
		ap_wait_done(PH_END);
	}

	report("irq.hlt_in_shadow", hlt_in_shadow);
	report("irq.spurious", spurious);
	check_eq("spurious interrupts", spurious, 0);
	report("irq.tsc", tsc_all);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
