// SPDX-License-Identifier: GPL-2.0
/*
 * abi lapic: the in-kernel local APIC (KVM_CREATE_IRQCHIP), as upstream
 * 6.1 offers it.  KVM_GET_LAPIC's reset state, KVM_SET_LAPIC and back
 * byte for byte (TPR as CR8 in KVM_GET_SREGS, and back), hostile
 * register pages, IA32_APIC_BASE from the host; 64-bit guests that use
 * the xAPIC page (ID, version, TPR/PPR, self-IPIs, EOI, ESR) and the
 * x2APIC MSRs (the same, and the #GPs), arm the timer one-shot,
 * periodic (N interrupts, then stopped) and TSC-deadline; four vCPUs
 * exchanging fixed, logical and all-but-self IPIs; INIT and SIPI
 * bringing three APs from KVM_MP_STATE_UNINITIALIZED to the SIPI page.
 *
 * The guests: one 64-bit environment (lapic_env()) with the APIC page
 * mapped uncached at 0xfee00000, a GDT, an IDT whose 256 stubs go to
 * one handler that counts each vector in the vCPU's result area (R15),
 * reads PPR and sends the EOI (xAPIC page or x2APIC MSR, as the area
 * says), and a #GP handler that skips the 2-byte RDMSR/WRMSR that
 * faulted.  Results are exact values; the timers are only waited for.
 */
#include "abi.h"

#include <time.h>

#define APIC_PAGE	0xfee00000UL
#define STUBS		0x5000		/* 256 stubs of 8 bytes */
#define HANDLERS	0x6000
#define GDT		0x7000
#define PD_HIGH		0xc000		/* the 2 MiB page of the APIC */
#define IDT		0xe000
#define AREA(id)	(0x10000 + 0x1000 * (id))	/* R15 */
#define STACK(id)	(0x21000 + 0x1000 * (id))
#define SHARED		0x40000
#define SIPI_VECTOR	0x30		/* page 0x30000 */

/* The result area: counts[256], then these; tests use 0x500 on. */
#define A_LAST		0x400
#define A_EOI_MODE	0x404		/* 0 xAPIC page, 1 x2APIC MSR, 2 none */
#define A_GPS		0x408
#define A_TOTAL		0x40c
#define A_PPR		0x410		/* PPR in the last handler, before the EOI */
#define A_HOOK		0x418		/* called in the handler before the EOI */

/* Register offsets (asm/apicdef.h is a kernel header). */
#define R_ID		0x20
#define R_LVR		0x30
#define R_TPR		0x80
#define R_PPR		0xa0
#define R_LDR		0xd0
#define R_DFR		0xe0
#define R_SVR		0xf0
#define R_ISR		0x100
#define R_TMR		0x180
#define R_IRR		0x200
#define R_ESR		0x280
#define R_ICR		0x300
#define R_ICR2		0x310
#define R_LVTT		0x320
#define R_LVTTHMR	0x330
#define R_LVTPC		0x340
#define R_LVT0		0x350
#define R_LVT1		0x360
#define R_LVTERR	0x370
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0
#define LVR_VALUE	0x50014		/* version 0x14, 6 LVT entries */
#define MASKED		0x10000

#define CPUID_X2APIC	(1u << 21)
#define CPUID_DEADLINE	(1u << 24)
#define MSR_APIC_BASE	0x1b

/* The interrupt handler, the #GP handler; copied to HANDLERS. */
GUEST_ASM(g_lh, ".code64",
"g_lh_common:\n"
	"pushq %rax\n"
	"pushq %rcx\n"
	"pushq %rdx\n"
	"movzbl 24(%rsp), %eax\n"
	"incl (%r15,%rax,4)\n"
	"movl %eax, 0x400(%r15)\n"
	"incl 0x40c(%r15)\n"
	"movq 0x418(%r15), %rcx\n"
	"testq %rcx, %rcx\n"
	"jz 1f\n"
	"call *%rcx\n"
"1:\n"
	"movl 0x404(%r15), %ecx\n"
	"cmpl $0, %ecx\n"
	"jne 2f\n"
	"movl $0xfee00000, %edx\n"
	"movl 0xa0(%rdx), %eax\n"
	"movl %eax, 0x410(%r15)\n"
	"movl $0, 0xb0(%rdx)\n"
	"jmp 3f\n"
"2:\n"
	"cmpl $1, %ecx\n"
	"jne 3f\n"
	"movl $0x80a, %ecx\n"
	"rdmsr\n"
	"movl %eax, 0x410(%r15)\n"
	"movl $0x80b, %ecx\n"
	"xorl %eax, %eax\n"
	"xorl %edx, %edx\n"
	"wrmsr\n"
"3:\n"
	"popq %rdx\n"
	"popq %rcx\n"
	"popq %rax\n"
	"addq $8, %rsp\n"
	"iretq\n"
"g_lh_gp:\n"
	"addq $8, %rsp\n"
	"incl 0x408(%r15)\n"
	"addq $2, (%rsp)\n"
	"iretq\n");
extern const uint8_t g_lh[], g_lh_end[], g_lh_common[], g_lh_gp[];

/*
 * Each test runs twice: with KVM_CREATE_IRQCHIP, then with the split
 * irqchip (KVM_CAP_SPLIT_IRQCHIP: only the local APICs in the kernel),
 * whose checks are named "split: lapic: ...".
 */
static bool split;

static void lcheck(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lcheck(bool ok, const char *name, const char *fmt, ...)
{
	char full[256], why[512];
	va_list ap;

	snprintf(full, sizeof(full), "%s%s", split ? "split: " : "", name);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	check(ok, full, "%s", why);
}
#define check lcheck

static void lexpect_errno(const char *name, int want, int got)
{
	check(got == want, name, "errno %s, want %s",
	      got ? strerrorname_np(got) : "none (success)",
	      want ? strerrorname_np(want) : "none (success)");
}
#define expect_errno lexpect_errno

/* The version an x2APIC guest sees: directed EOI without the in-kernel IOAPIC. */
static uint32_t lvr_x2apic(void)
{
	return LVR_VALUE | (split ? 1u << 24 : 0);
}

static uint32_t *area32(struct vm *vm, int id, uint32_t off)
{
	return (uint32_t *)(vm->mem + AREA(id) + off);
}

static uint64_t area64(struct vm *vm, int id, uint32_t off)
{
	uint64_t v;

	memcpy(&v, vm->mem + AREA(id) + off, 8);
	return v;
}

/* The guest's CPUID: what KVM offers, with x2APIC and TSC deadline as @ecx says. */
static void lapic_cpuid(int kvm, struct vcpu *v, uint32_t ecx)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[128];
	} cpuid = { .c.nent = 128 };

	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid)) {
		printf("FAIL: abi: lapic: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		failures++;
		return;
	}
	for (unsigned int i = 0; i < cpuid.c.nent; i++)
		if (cpuid.e[i].function == 1)
			cpuid.e[i].ecx = (cpuid.e[i].ecx & ~(CPUID_X2APIC | CPUID_DEADLINE)) | ecx;
	if (ioctl(v->fd, KVM_SET_CPUID2, &cpuid)) {
		printf("FAIL: abi: lapic: KVM_SET_CPUID2: %s\n", strerror(errno));
		failures++;
	}
}

/* A VM of 1 MiB with an in-kernel irqchip and vCPUs 0..n-1; false if refused. */
static bool lapic_vm(struct vm *vm, struct vcpu *v, int n, uint32_t ecx)
{
	int err;

	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	vm_create(vm, 1 << 20);
	if (split)
		err = ioctl_errno(vm->fd, KVM_ENABLE_CAP, &cap);
	else
		err = ioctl_errno(vm->fd, KVM_CREATE_IRQCHIP, NULL);
	if (err) {
		expect_errno(split ? "lapic: KVM_CAP_SPLIT_IRQCHIP" : "lapic: KVM_CREATE_IRQCHIP",
			     0, err);
		vm_destroy(vm);
		return false;
	}
	for (int i = 0; i < n; i++) {
		vcpu_create(vm, &v[i], i);
		lapic_cpuid(vm->kvm, &v[i], ecx);
	}
	return true;
}

/* The 64-bit environment, once per VM: handlers, stubs, IDT, GDT, APIC mapping. */
static void lapic_env(struct vm *vm)
{
	uint64_t *gdt = (uint64_t *)(vm->mem + GDT);
	uint64_t *pd = (uint64_t *)(vm->mem + PD_HIGH);
	uint64_t *pdpt = (uint64_t *)(vm->mem + 0xa000);
	uint64_t common = HANDLERS + (g_lh_common - g_lh);
	uint64_t gp = HANDLERS + (g_lh_gp - g_lh);

	memcpy(vm->mem + HANDLERS, g_lh, g_lh_end - g_lh);
	for (int v = 0; v < 256; v++) {
		uint8_t *s = vm->mem + STUBS + 8 * v;
		uint64_t target = v == 13 ? gp : (uint64_t)(STUBS + 8 * v);
		int32_t rel = (int32_t)(common - (STUBS + 8 * v + 7));
		uint8_t *g = vm->mem + IDT + 16 * v;

		s[0] = 0x6a;		/* push $v */
		s[1] = v;
		s[2] = 0xe9;		/* jmp common */
		memcpy(s + 3, &rel, 4);
		memset(g, 0, 16);
		g[0] = target & 0xff;
		g[1] = (target >> 8) & 0xff;
		g[2] = 8;		/* selector */
		g[5] = 0x8e;		/* present, 64-bit interrupt gate */
		g[6] = (target >> 16) & 0xff;
		g[7] = (target >> 24) & 0xff;
	}
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;	/* 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;	/* data */
	pdpt[3] = PD_HIGH | 0x23;
	pd[(APIC_PAGE >> 21) & 511] = APIC_PAGE | 0xfb;	/* 2 MiB, PCD, PWT, A, D */
}

/* vCPU @id in 64-bit mode at @rip, R15 its result area, R14 its id. */
static void lapic_vcpu(struct vm *vm, struct vcpu *v, int id, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	vcpu_long_mode(vm, v, rip, STACK(id));
	ioctl(v->fd, KVM_GET_SREGS, &s);
	s.gdt.base = GDT;
	s.gdt.limit = 23;
	s.idt.base = IDT;
	s.idt.limit = 4095;
	ioctl(v->fd, KVM_SET_SREGS, &s);
	ioctl(v->fd, KVM_GET_REGS, &r);
	r.r15 = AREA(id);
	r.r14 = id;
	ioctl(v->fd, KVM_SET_REGS, &r);
}

static bool run_port(struct vcpu *v, const char *name, int port)
{
	struct kvm_regs r;
	int rc = vcpu_run(v);

	if (rc == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == port)
		return true;
	ioctl(v->fd, KVM_GET_REGS, &r);
	check(false, name, "KVM_RUN %d (%s), exit %u port %#x rip %#llx, want port %#x",
	      rc, rc ? strerrorname_np(errno) : "ok", v->run->exit_reason,
	      v->run->io.port, (unsigned long long)r.rip, port);
	return false;
}

static uint32_t reg32(const struct kvm_lapic_state *s, uint32_t off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void set_reg32(struct kvm_lapic_state *s, uint32_t off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

static int mp_state(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = 99 };

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

static int set_runnable(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	return ioctl_errno(v->fd, KVM_SET_MP_STATE, &mp);
}

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ------------------------------------ */

/* The reset page of vCPU @id (@bsp: LINT0 in ExtINT mode, upstream's quirk). */
static void reset_page(struct kvm_lapic_state *s, int id, bool bsp)
{
	memset(s, 0, sizeof(*s));
	set_reg32(s, R_ID, id << 24);
	set_reg32(s, R_LVR, LVR_VALUE);
	set_reg32(s, R_DFR, 0xffffffff);
	set_reg32(s, R_SVR, 0xff);
	for (uint32_t r = R_LVTT; r <= R_LVTERR; r += 0x10)
		set_reg32(s, r, MASKED);
	if (bsp)
		set_reg32(s, R_LVT0, 0x700);
}

static int first_diff(const struct kvm_lapic_state *a, const struct kvm_lapic_state *b,
		      const uint32_t *skip, int nskip)
{
	for (int off = 0; off < (int)sizeof(a->regs); off += 4) {
		bool skipped = false;

		for (int i = 0; i < nskip; i++)
			skipped |= skip[i] == (uint32_t)off;
		if (!skipped && memcmp(a->regs + off, b->regs + off, 4))
			return off;
	}
	return -1;
}

static void test_lapic_state(void)
{
	static const uint32_t derived[] = { R_LVR, R_PPR, R_TMCCT };
	struct kvm_lapic_state s, want, got;
	struct kvm_sregs sregs;
	struct vcpu v[2];
	struct vm vm;
	uint64_t base;
	uint32_t tmcct, seed = 12345;
	int d;

	/* Without an in-kernel irqchip there is no APIC to get. */
	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v[0], 0);
	expect_errno("lapic: KVM_GET_LAPIC without KVM_CREATE_IRQCHIP", EINVAL,
		     ioctl_errno(v[0].fd, KVM_GET_LAPIC, &s));
	vm_destroy(&vm);

	if (!lapic_vm(&vm, v, 2, 0))
		return;
	for (int id = 0; id < 2; id++) {
		char name[96];

		reset_page(&want, id, id == 0);
		memset(&got, 0xcc, sizeof(got));
		expect_errno("lapic: KVM_GET_LAPIC", 0, ioctl_errno(v[id].fd, KVM_GET_LAPIC, &got));
		d = first_diff(&want, &got, NULL, 0);
		snprintf(name, sizeof(name), "lapic: vCPU %d's reset page, byte for byte", id);
		check(d < 0, name, "offset %#x: %#x, want %#x", d, reg32(&got, d < 0 ? 0 : d),
		      reg32(&want, d < 0 ? 0 : d));
		get_msr(v[id].fd, MSR_APIC_BASE, &base);
		snprintf(name, sizeof(name), "lapic: vCPU %d's APIC base", id);
		check(base == (id ? 0xfee00800ULL : 0xfee00900ULL), name, "%#llx",
		      (unsigned long long)base);
	}
	check(mp_state(&v[0]) == KVM_MP_STATE_RUNNABLE &&
	      mp_state(&v[1]) == KVM_MP_STATE_UNINITIALIZED,
	      "lapic: the BSP is runnable, an AP waits for INIT/SIPI",
	      "mp states %d %d", mp_state(&v[0]), mp_state(&v[1]));

	/* Values in every register, and in reserved words: back exactly. */
	reset_page(&s, 0, true);
	set_reg32(&s, 0x10, 0xdeadbeef);
	set_reg32(&s, R_ID, 0x0a000000);
	set_reg32(&s, R_TPR, 0x70);
	set_reg32(&s, R_PPR, 0x70);
	set_reg32(&s, R_LDR, 0x08000000);
	set_reg32(&s, R_DFR, 0x0fffffff);
	set_reg32(&s, R_SVR, 0x1ff);
	set_reg32(&s, R_ISR + 0x30, 1);		/* vector 0x60 */
	set_reg32(&s, R_TMR + 0x30, 1);
	set_reg32(&s, R_IRR + 0x40, 2);		/* vector 0x81 */
	set_reg32(&s, R_ESR, 0x40);
	set_reg32(&s, R_ICR, 0x000c4041);
	set_reg32(&s, R_ICR2, 0x02000000);
	set_reg32(&s, R_LVTT, 0x10030);
	set_reg32(&s, R_LVTPC, 0x400);
	set_reg32(&s, R_LVT1, 0x400);
	set_reg32(&s, R_LVTERR, 0x10033);
	set_reg32(&s, R_TDCR, 0x3);
	set_reg32(&s, 0x3f0, 0x12345678);
	want = s;
	expect_errno("lapic: KVM_SET_LAPIC", 0, ioctl_errno(v[0].fd, KVM_SET_LAPIC, &s));
	ioctl(v[0].fd, KVM_GET_LAPIC, &got);
	d = first_diff(&want, &got, NULL, 0);
	check(d < 0, "lapic: KVM_SET_LAPIC then KVM_GET_LAPIC: byte for byte",
	      "offset %#x: %#x, want %#x", d, reg32(&got, d < 0 ? 0 : d),
	      reg32(&want, d < 0 ? 0 : d));
	ioctl(v[0].fd, KVM_GET_SREGS, &sregs);
	check(sregs.cr8 == 7, "lapic: TPR 0x70 is CR8 7 in KVM_GET_SREGS", "cr8 %llu",
	      (unsigned long long)sregs.cr8);
	sregs.cr8 = 3;
	ioctl(v[0].fd, KVM_SET_SREGS, &sregs);
	ioctl(v[0].fd, KVM_GET_LAPIC, &got);
	check(reg32(&got, R_TPR) == 0x30 && reg32(&got, R_PPR) == 0x60,
	      "lapic: KVM_SET_SREGS CR8 3 is TPR 0x30, PPR the ISR's 0x60",
	      "TPR %#x PPR %#x", reg32(&got, R_TPR), reg32(&got, R_PPR));

	/* Derived registers are recomputed: PPR, the version. */
	s = want;
	set_reg32(&s, R_PPR, 0x99);
	set_reg32(&s, R_LVR, 0x12345678);
	ioctl(v[0].fd, KVM_SET_LAPIC, &s);
	ioctl(v[0].fd, KVM_GET_LAPIC, &got);
	check(reg32(&got, R_PPR) == 0x70 && reg32(&got, R_LVR) == LVR_VALUE,
	      "lapic: KVM_SET_LAPIC recomputes PPR and the version",
	      "PPR %#x LVR %#x", reg32(&got, R_PPR), reg32(&got, R_LVR));

	/* The timer restarts from the page: TMCCT counts down from TMCCT. */
	s = want;
	set_reg32(&s, R_LVTT, 0x40);
	set_reg32(&s, R_TDCR, 0xa);	/* divide by 128: TMCCT's 0x10000000 is 34 s */
	set_reg32(&s, R_TMICT, 0xffffffff);
	set_reg32(&s, R_TMCCT, 0x10000000);
	ioctl(v[0].fd, KVM_SET_LAPIC, &s);
	ioctl(v[0].fd, KVM_GET_LAPIC, &got);
	tmcct = reg32(&got, R_TMCCT);
	check(tmcct > 0 && tmcct <= 0x10000000 && reg32(&got, R_TMICT) == 0xffffffff,
	      "lapic: KVM_SET_LAPIC's TMCCT restarts the one-shot count",
	      "TMCCT %#x TMICT %#x", tmcct, reg32(&got, R_TMICT));

	/* Hostile pages: all ones, then random words; the guest still runs. */
	for (int round = 0; round < 3; round++) {
		struct kvm_regs r;
		char name[96];

		if (round == 0) {
			memset(&s, 0xff, sizeof(s));
		} else {
			for (int off = 0; off < (int)sizeof(s.regs); off += 4) {
				seed = seed * 1103515245 + 12345;
				set_reg32(&s, off, seed ^ (seed >> 13) * 2654435761u);
			}
			/* The timer's delivery mode fixed: an INIT to itself would reset it. */
			set_reg32(&s, R_LVTT, reg32(&s, R_LVTT) & ~0x700u);
		}
		want = s;
		snprintf(name, sizeof(name), "lapic: hostile page %d: KVM_SET_LAPIC", round);
		expect_errno(name, 0, ioctl_errno(v[0].fd, KVM_SET_LAPIC, &s));
		ioctl(v[0].fd, KVM_GET_LAPIC, &got);
		d = first_diff(&want, &got, derived, 3);
		snprintf(name, sizeof(name), "lapic: hostile page %d: back as set", round);
		check(d < 0, name, "offset %#x: %#x, want %#x", d, reg32(&got, d < 0 ? 0 : d),
		      reg32(&want, d < 0 ? 0 : d));
		/* OUT 0x10 again and again, interrupts off. */
		memcpy(vm.mem + GUEST_BASE, "\xe6\x10\xeb\xfc", 4);
		vcpu_real_mode(&v[0], GUEST_BASE);
		ioctl(v[0].fd, KVM_GET_REGS, &r);
		r.rflags = 2;
		ioctl(v[0].fd, KVM_SET_REGS, &r);
		snprintf(name, sizeof(name), "lapic: hostile page %d: the guest runs", round);
		if (run_port(&v[0], name, 0x10) && run_port(&v[0], name, 0x10))
			check(true, name, " ");
	}

	/* IA32_APIC_BASE from the host. */
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00c00) == 0,
	      "lapic: APIC base: x2APIC without it in CPUID is refused", " ");
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00801) == 0,
	      "lapic: APIC base: reserved bit 0 is refused", " ");
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0x8000000000000800ULL) == 0,
	      "lapic: APIC base: bit 63 is refused", " ");
	lapic_cpuid(vm.kvm, &v[1], CPUID_X2APIC);
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00400) == 0,
	      "lapic: APIC base: x2APIC with the APIC disabled is refused", " ");
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00c00) == 1,
	      "lapic: APIC base: xAPIC to x2APIC", " ");
	ioctl(v[1].fd, KVM_GET_LAPIC, &got);
	check(reg32(&got, R_ID) == 0x01000000 && reg32(&got, R_LDR) == 2,
	      "lapic: x2APIC: KVM_GET_LAPIC's ID is id << 24, LDR derived",
	      "ID %#x LDR %#x", reg32(&got, R_ID), reg32(&got, R_LDR));
	check(get_msr(v[1].fd, 0x802, &base) == 1 && base == 1,
	      "lapic: x2APIC: the host reads MSR 0x802, the id", "%#llx",
	      (unsigned long long)base);
	check(get_msr(v[1].fd, 0x803, &base) == 1 && base == lvr_x2apic(),
	      "lapic: x2APIC: MSR 0x803, the version", "%#llx", (unsigned long long)base);
	check(get_msr(v[1].fd, 0x83f, &base) == 0,
	      "lapic: x2APIC: SELF_IPI is write-only", " ");
	check(set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00800) == 1,
	      "lapic: APIC base: the host may go from x2APIC to xAPIC", " ");
	ioctl(v[1].fd, KVM_GET_LAPIC, &got);
	s = got;
	set_reg32(&s, R_ID, 0x07000000);
	ioctl(v[1].fd, KVM_SET_LAPIC, &s);
	set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00000);
	set_msr(v[1].fd, MSR_APIC_BASE, 0xfee00800);
	ioctl(v[1].fd, KVM_GET_LAPIC, &got);
	check(reg32(&got, R_ID) == 0x01000000,
	      "lapic: enabling the APIC again sets the ID back to the vCPU id",
	      "ID %#x", reg32(&got, R_ID));
	vm_destroy(&vm);
}

/* ---- the xAPIC page from the guest ------------------------------------ */

GUEST_ASM(g_xapic, ".code64",
	"movl $0xfee00000, %ebx\n"
	"movl 0x20(%rbx), %eax\n"
	"movl %eax, 0x500(%r15)\n"
	"movl 0x30(%rbx), %eax\n"
	"movl %eax, 0x504(%r15)\n"
	"movl 0xf0(%rbx), %eax\n"
	"movl %eax, 0x508(%r15)\n"
	"movl $0x1ff, 0xf0(%rbx)\n"
	"movl 0xf0(%rbx), %eax\n"
	"movl %eax, 0x50c(%r15)\n"
	"movl $0x20, 0x80(%rbx)\n"
	"movl 0x80(%rbx), %eax\n"
	"movl %eax, 0x510(%r15)\n"
	"movl 0xa0(%rbx), %eax\n"
	"movl %eax, 0x514(%r15)\n"
	"movq %cr8, %rax\n"
	"movl %eax, 0x518(%r15)\n"
	"sti\n"
	"movl $0x40045, 0x300(%rbx)\n"	/* self IPI, vector 0x45 */
	"nop\n"
	"movl 0x114(%r15), %eax\n"
	"movl %eax, 0x51c(%r15)\n"
	"movl 0x410(%r15), %eax\n"
	"movl %eax, 0x520(%r15)\n"
	"movl 0xa0(%rbx), %eax\n"
	"movl %eax, 0x524(%r15)\n"
	"movl $0x50, 0x80(%rbx)\n"	/* TPR above it: held in the IRR */
	"movl $0x40045, 0x300(%rbx)\n"
	"nop\n"
	"movl 0x114(%r15), %eax\n"
	"movl %eax, 0x528(%r15)\n"
	"movl 0x220(%rbx), %eax\n"
	"movl %eax, 0x52c(%r15)\n"
	"movl $0, 0x80(%rbx)\n"		/* lowered: delivered */
	"nop\n"
	"movl 0x114(%r15), %eax\n"
	"movl %eax, 0x530(%r15)\n"
	"movl 0x220(%rbx), %eax\n"
	"movl %eax, 0x534(%r15)\n"
	"movq %cr8, %rax\n"
	"movl %eax, 0x538(%r15)\n"
	"movl $0, 0x280(%rbx)\n"
	"movl $0x5e, 0x370(%rbx)\n"	/* the error LVT: vector 0x5e */
	"movl $0x40005, 0x300(%rbx)\n"	/* vector 5: illegal */
	"nop\n"
	"movl $0, 0x280(%rbx)\n"
	"movl 0x280(%rbx), %eax\n"
	"movl %eax, 0x53c(%r15)\n"
	"movl $0, 0x280(%rbx)\n"
	"movl 0x280(%rbx), %eax\n"
	"movl %eax, 0x540(%r15)\n"
	"movl 0x300(%rbx), %eax\n"
	"movl %eax, 0x544(%r15)\n"
	"movzbl 0x32(%rbx), %eax\n"	/* a byte of the version */
	"movl %eax, 0x548(%r15)\n"
	"movq $4, %rax\n"
	"movq %rax, %cr8\n"		/* CR8 4: TPR 0x40 */
	"movl 0x80(%rbx), %eax\n"
	"movl %eax, 0x550(%r15)\n"
	"movl $0, 0x80(%rbx)\n"
	"movl $0xff, 0xf0(%rbx)\n"	/* software disable: LVTs masked */
	"movl $0x700, 0x350(%rbx)\n"
	"movl 0x350(%rbx), %eax\n"
	"movl %eax, 0x554(%r15)\n"
	"movl $0x40046, 0x300(%rbx)\n"	/* not accepted while disabled */
	"nop\n"
	"movl 0x118(%r15), %eax\n"
	"movl %eax, 0x558(%r15)\n"
	"cli\n"
	"outb %al, $0x10\n"
	"hlt\n");
extern const uint8_t g_xapic[], g_xapic_end[];

static void test_lapic_xapic(void)
{
	struct vm vm;
	struct vcpu v;

	if (!lapic_vm(&vm, &v, 1, 0))
		return;
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_xapic, g_xapic_end - g_xapic);
	lapic_vcpu(&vm, &v, 0, GUEST_BASE);
	if (!run_port(&v, "lapic: xapic guest", 0x10))
		goto out;
#define XCHECK(off, want, what) \
	check(*area32(&vm, 0, off) == (uint32_t)(want), "lapic: xapic: " what, \
	      "%#x, want %#x", *area32(&vm, 0, off), (uint32_t)(want))
	XCHECK(0x500, 0, "ID is 0");
	XCHECK(0x504, LVR_VALUE, "version 0x50014");
	XCHECK(0x508, 0xff, "SVR after reset");
	XCHECK(0x50c, 0x1ff, "SVR enabled");
	XCHECK(0x510, 0x20, "TPR written");
	XCHECK(0x514, 0x20, "PPR follows TPR");
	XCHECK(0x518, 2, "CR8 follows TPR");
	XCHECK(0x51c, 1, "self IPI delivered");
	XCHECK(0x520, 0x40, "PPR in the handler is the vector's class");
	XCHECK(0x524, 0x20, "PPR after the EOI is the TPR again");
	XCHECK(0x528, 1, "a vector below the TPR is held");
	XCHECK(0x52c, 0x20, "held in the IRR");
	XCHECK(0x530, 2, "delivered when the TPR is lowered");
	XCHECK(0x534, 0, "IRR empty after");
	XCHECK(0x538, 0, "CR8 0 after");
	XCHECK(0x53c, 0x20, "ESR: send illegal vector, latched by the write (upstream: 0)");
	XCHECK(0x540, 0, "ESR cleared by the next write");
	XCHECK(0x544, 0x40005, "ICR reads back, not busy");
	XCHECK(0x548, 0x05, "a byte read of the version's max LVT");
	XCHECK(0x550, 0x40, "MOV to CR8 sets TPR");
	XCHECK(0x554, 0x10700, "a software-disabled APIC masks LVT writes");
	XCHECK(0x558, 0, "a software-disabled APIC takes no fixed IPI");
	check(*area32(&vm, 0, 0x5e * 4) == 1,
	      "lapic: xapic: the error LVT's interrupt (upstream: none)", "0x5e: %u",
	      *area32(&vm, 0, 0x5e * 4));
	check(*area32(&vm, 0, 0x45 * 4) == 2 &&
	      *area32(&vm, 0, A_TOTAL) == 2 + *area32(&vm, 0, 0x5e * 4),
	      "lapic: xapic: no other vector than 0x45 (twice) and the error's",
	      "0x45: %u, total %u", *area32(&vm, 0, 0x45 * 4), *area32(&vm, 0, A_TOTAL));
out:
	vm_destroy(&vm);
}

/* ---- x2APIC MSRs from the guest --------------------------------------- */

#define WRMSR(msr, lo, hi) \
	"movl $" #msr ", %ecx\n movl $" #lo ", %eax\n movl $" #hi ", %edx\n wrmsr\n"
#define RDMSR_TO(msr, off) \
	"movl $" #msr ", %ecx\n rdmsr\n movl %eax, " #off "(%r15)\n"

GUEST_ASM(g_x2apic, ".code64",
	"movl $0x1b, %ecx\n"
	"rdmsr\n"
	"movl %eax, 0x500(%r15)\n"
	"orl $0x400, %eax\n"
	"wrmsr\n"
	"movl $1, 0x404(%r15)\n"	/* EOIs by MSR */
	RDMSR_TO(0x802, 0x504)
	RDMSR_TO(0x803, 0x508)
	RDMSR_TO(0x80d, 0x50c)
	WRMSR(0x80f, 0x1ff, 0)
	WRMSR(0x808, 0x30, 0)
	RDMSR_TO(0x80a, 0x510)
	"movq %cr8, %rax\n"
	"movl %eax, 0x514(%r15)\n"
	WRMSR(0x808, 0, 0)
	"sti\n"
	WRMSR(0x83f, 0x50, 0)		/* SELF_IPI */
	"nop\n"
	"movl 0x140(%r15), %eax\n"
	"movl %eax, 0x518(%r15)\n"
	"movl 0x410(%r15), %eax\n"
	"movl %eax, 0x51c(%r15)\n"
	WRMSR(0x830, 0x40051, 0)	/* ICR: self, 0x51 */
	"nop\n"
	"movl 0x144(%r15), %eax\n"
	"movl %eax, 0x520(%r15)\n"
	"movl $0x830, %ecx\n"
	"rdmsr\n"
	"movl %eax, 0x524(%r15)\n"
	"movl %edx, 0x528(%r15)\n"
	"movl $0, 0x408(%r15)\n"
	"movl $0x83f, %ecx\n"
	"rdmsr\n"			/* #GP 1: write-only */
	WRMSR(0x802, 0, 0)		/* #GP 2: ID is read-only */
	"movl $0x80e, %ecx\n"
	"rdmsr\n"			/* #GP 3: no DFR */
	WRMSR(0x828, 1, 0)		/* #GP 4: ESR not 0 */
	WRMSR(0x828, 0, 0)
	"movl $0x831, %ecx\n"
	"rdmsr\n"			/* #GP 5: no ICR2 */
	WRMSR(0x1b, 0xfee00800, 0)	/* #GP 6: x2APIC to xAPIC */
	WRMSR(0x80a, 0, 0)		/* #GP 7: PPR is read-only */
	"movl 0x408(%r15), %eax\n"
	"movl %eax, 0x52c(%r15)\n"
	"movl $0xfee00000, %ebx\n"
	"movl 0x30(%rbx), %eax\n"	/* the page in x2APIC mode */
	"movl %eax, 0x530(%r15)\n"
	"cli\n"
	"outb %al, $0x10\n"
	"hlt\n");
extern const uint8_t g_x2apic[], g_x2apic_end[];

static void test_lapic_x2apic(void)
{
	struct kvm_lapic_state got;
	struct vcpu v[2];
	struct vm vm;

	/* vCPU 1 (an AP, made runnable): its id shows. */
	if (!lapic_vm(&vm, v, 2, CPUID_X2APIC))
		return;
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_x2apic, g_x2apic_end - g_x2apic);
	lapic_vcpu(&vm, &v[1], 1, GUEST_BASE);
	expect_errno("lapic: x2apic: KVM_SET_MP_STATE runnable", 0, set_runnable(&v[1]));
	if (!run_port(&v[1], "lapic: x2apic guest", 0x10))
		goto out;
#define X2CHECK(off, want, what) \
	check(*area32(&vm, 1, off) == (uint32_t)(want), "lapic: x2apic: " what, \
	      "%#x, want %#x", *area32(&vm, 1, off), (uint32_t)(want))
	X2CHECK(0x500, 0xfee00800, "APIC base of an AP");
	X2CHECK(0x504, 1, "ID is the vCPU id");
	X2CHECK(0x508, lvr_x2apic(), "version (directed EOI only without the in-kernel IOAPIC)");
	X2CHECK(0x50c, 2, "LDR derived from the id");
	X2CHECK(0x510, 0x30, "PPR follows TPR");
	X2CHECK(0x514, 3, "CR8 follows TPR");
	X2CHECK(0x518, 1, "SELF_IPI delivered");
	X2CHECK(0x51c, 0x50, "PPR in the handler");
	X2CHECK(0x520, 1, "ICR self IPI delivered");
	X2CHECK(0x524, 0x40051, "ICR reads back (low)");
	X2CHECK(0x528, 0, "ICR reads back (high)");
	X2CHECK(0x52c, 7, "#GP for each bad access");
	X2CHECK(0x530, 0xffffffff, "the xAPIC page reads all ones");
	check(*area32(&vm, 1, A_TOTAL) == 2, "lapic: x2apic: two interrupts in all",
	      "%u", *area32(&vm, 1, A_TOTAL));
	ioctl(v[1].fd, KVM_GET_LAPIC, &got);
	check(reg32(&got, R_ID) == 0x01000000 && reg32(&got, R_ICR) == 0x40051 &&
	      reg32(&got, R_ICR2) == 0,
	      "lapic: x2apic: KVM_GET_LAPIC's ID and ICR in the xAPIC layout",
	      "ID %#x ICR %#x ICR2 %#x", reg32(&got, R_ID), reg32(&got, R_ICR),
	      reg32(&got, R_ICR2));
out:
	vm_destroy(&vm);
}

/* ---- the timer -------------------------------------------------------- */

#define PERIODIC_N	5

/*
 * Wait with interrupts on until the dword at R15+@off is not 0
 * (CLI before the test, STI;HLT: no wake-up lost).
 */
#define WAIT_NONZERO(off) \
	"1:\n cli\n cmpl $0, " #off "(%r15)\n jne 2f\n sti\n hlt\n jmp 1b\n2:\n sti\n"

GUEST_ASM(g_timer, ".code64",
	"movl $0xfee00000, %ebx\n"
	"movl $0x1ff, 0xf0(%rbx)\n"
	"movl $0xb, 0x3e0(%rbx)\n"	/* divide by 1 */
	"movl $0x60, 0x320(%rbx)\n"	/* one-shot, 0x60 */
	"movl $1000000, 0x380(%rbx)\n"	/* 1 ms */
	WAIT_NONZERO(0x180)
	"movl 0x390(%rbx), %eax\n"
	"movl %eax, 0x500(%r15)\n"
	"movl 0x320(%rbx), %eax\n"
	"movl %eax, 0x504(%r15)\n"
	"movl $0xa, 0x3e0(%rbx)\n"	/* divide by 128: 9 minutes */
	"movl $0xffffffff, 0x380(%rbx)\n"
	"movl 0x390(%rbx), %eax\n"
	"movl %eax, 0x508(%r15)\n"
	"movl $0, 0x380(%rbx)\n"	/* stopped */
	"movl 0x390(%rbx), %eax\n"
	"movl %eax, 0x50c(%r15)\n"
	/* Periodic, 0x61, 1 ms (62500 at divide by 16); the hook stops it. */
	"leaq g_timer_hook(%rip), %rax\n"
	"movq %rax, 0x418(%r15)\n"
	"movl $3, 0x3e0(%rbx)\n"
	"movl $0x20061, 0x320(%rbx)\n"
	"movl 0x320(%rbx), %eax\n"
	"movl %eax, 0x540(%r15)\n"
	"movl 0x3e0(%rbx), %eax\n"
	"movl %eax, 0x544(%r15)\n"
	"movl $62500, 0x380(%rbx)\n"
	WAIT_NONZERO(0x510)
	"movq $0, 0x418(%r15)\n"
	/* 5 ms more (one-shot 0x62): the periodic one stays stopped. */
	"movl $0x62, 0x320(%rbx)\n"
	"movl $312500, 0x380(%rbx)\n"
	WAIT_NONZERO(0x188)
	"movl 0x184(%r15), %eax\n"
	"movl %eax, 0x514(%r15)\n"
	/* TSC deadline, 0x63: a far one reads back; then 2M cycles on. */
	"movl $0x40063, 0x320(%rbx)\n"
	"rdtsc\n"
	"addl $0x100, %edx\n"
	"shlq $32, %rdx\n"
	"orq %rdx, %rax\n"
	"movq %rax, 0x520(%r15)\n"
	"movq %rax, %rdx\n"
	"shrq $32, %rdx\n"
	"movl $0x6e0, %ecx\n"
	"wrmsr\n"
	"rdmsr\n"
	"movl %eax, 0x528(%r15)\n"
	"movl %edx, 0x52c(%r15)\n"
	"rdtsc\n"
	"shlq $32, %rdx\n"
	"orq %rdx, %rax\n"
	"addq $2000000, %rax\n"
	"movq %rax, %rdx\n"
	"shrq $32, %rdx\n"
	"movl $0x6e0, %ecx\n"
	"wrmsr\n"
	WAIT_NONZERO(0x18c)
	"movl $0x6e0, %ecx\n"
	"rdmsr\n"
	"movl %eax, 0x530(%r15)\n"
	"movl $1, %eax\n"		/* a deadline past: at once */
	"xorl %edx, %edx\n"
	"wrmsr\n"
	"nop\n"
	"movl 0x18c(%r15), %eax\n"
	"movl %eax, 0x534(%r15)\n"
	"rdtsc\n"			/* far, then disarmed */
	"addl $0x100, %edx\n"
	"wrmsr\n"
	"xorl %eax, %eax\n"
	"xorl %edx, %edx\n"
	"wrmsr\n"
	"rdmsr\n"
	"orl %edx, %eax\n"
	"movl %eax, 0x538(%r15)\n"
	"movl $1000, 0x380(%rbx)\n"	/* TMICT ignored in deadline mode */
	"movl 0x380(%rbx), %eax\n"
	"movl %eax, 0x53c(%r15)\n"
	"cli\n"
	"outb %al, $0x10\n"
	"hlt\n"
/* In the handler, before the EOI: the Nth periodic tick stops the timer. */
"g_timer_hook:\n"
	"cmpl $" "5" ", 0x184(%r15)\n"
	"jne 1f\n"
	"cmpl $0, 0x510(%r15)\n"
	"jne 1f\n"
	"movl $0xfee00000, %edx\n"
	"movl $0, 0x380(%rdx)\n"
	"movl 0x230(%rdx), %ecx\n"	/* IRR bit of 0x61 */
	"shrl $1, %ecx\n"
	"andl $1, %ecx\n"
	"movl %ecx, 0x518(%r15)\n"
	"movl $1, 0x510(%r15)\n"
"1:\n"
	"ret\n");
extern const uint8_t g_timer[], g_timer_end[];

static void test_lapic_timer(void)
{
	struct vm vm;
	struct vcpu v;
	uint64_t written, readback;
	uint32_t held;

	if (!lapic_vm(&vm, &v, 1, CPUID_DEADLINE))
		return;
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_timer, g_timer_end - g_timer);
	lapic_vcpu(&vm, &v, 0, GUEST_BASE);
	if (!run_port(&v, "lapic: timer guest", 0x10))
		goto out;
#define TCHECK(off, want, what) \
	check(*area32(&vm, 0, off) == (uint32_t)(want), "lapic: timer: " what, \
	      "%#x, want %#x", *area32(&vm, 0, off), (uint32_t)(want))
	TCHECK(0x180, 1, "one-shot fired once");
	TCHECK(0x500, 0, "one-shot: TMCCT 0 after it fired");
	TCHECK(0x504, 0x60, "LVTT reads back");
	check(*area32(&vm, 0, 0x508) > 0, "lapic: timer: a long count counts down",
	      "TMCCT %#x", *area32(&vm, 0, 0x508));
	TCHECK(0x50c, 0, "TMICT 0 stops it: TMCCT 0");
	TCHECK(0x540, 0x20061, "LVTT periodic reads back");
	TCHECK(0x544, 3, "TDCR reads back");
	held = *area32(&vm, 0, 0x518);
	check(held <= 1 && *area32(&vm, 0, 0x514) == PERIODIC_N + held,
	      "lapic: timer: periodic: N ticks, none after it was stopped",
	      "%u ticks, %u held in the IRR when stopped, want %u", *area32(&vm, 0, 0x514),
	      held, PERIODIC_N + held);
	TCHECK(0x188, 1, "the 5 ms one-shot after it");
	written = area64(&vm, 0, 0x520);
	readback = area64(&vm, 0, 0x528);
	check(written == readback, "lapic: timer: TSC deadline reads back",
	      "%#llx, want %#llx", (unsigned long long)readback, (unsigned long long)written);
	TCHECK(0x530, 0, "TSC deadline 0 once it fired");
	TCHECK(0x534, 2, "a deadline in the past fires at once");
	TCHECK(0x538, 0, "a deadline of 0 disarms");
	TCHECK(0x53c, 0, "TMICT ignored in TSC-deadline mode");
	check(*area32(&vm, 0, A_TOTAL) == 4 + *area32(&vm, 0, 0x514),
	      "lapic: timer: no other interrupt", "total %u",
	      *area32(&vm, 0, A_TOTAL));
out:
	vm_destroy(&vm);
}

/* ---- IPIs among four vCPUs ------------------------------------------------ */

GUEST_ASM(g_ipi_ap, ".code64",
	"movl $0xfee00000, %ebx\n"
	"movl $0x1ff, 0xf0(%rbx)\n"
	"movl 0x20(%rbx), %eax\n"
	"movl %eax, 0x500(%r15)\n"
	"movl %r14d, %ecx\n"		/* LDR: flat, bit id */
	"movl $0x1000000, %eax\n"
	"shll %cl, %eax\n"
	"movl %eax, 0xd0(%rbx)\n"
	"movl 0xd0(%rbx), %eax\n"
	"movl %eax, 0x504(%r15)\n"
	"lock incl 0x40000\n"
"1:\n"
	"cli\n"
	"cmpl $0, 0x144(%r15)\n"	/* the last one sent, 0x51 */
	"jne 2f\n"
	"sti\n"
	"hlt\n"
	"jmp 1b\n"
"2:\n"
	"outb %al, $0x12\n"
	"jmp 2b\n");
extern const uint8_t g_ipi_ap[], g_ipi_ap_end[];

GUEST_ASM(g_ipi_bsp, ".code64",
	"movl $0xfee00000, %ebx\n"
	"movl $0x1ff, 0xf0(%rbx)\n"
"1:\n"
	"pause\n"
	"cmpl $3, 0x40000\n"
	"jb 1b\n"
	"movl $1, %ecx\n"
"2:\n"
	"movl %ecx, %eax\n"		/* fixed, physical: 0x40 + id to id */
	"shll $24, %eax\n"
	"movl %eax, 0x310(%rbx)\n"
	"leal 0x40(%rcx), %eax\n"
	"movl %eax, 0x300(%rbx)\n"
	"incl %ecx\n"
	"cmpl $4, %ecx\n"
	"jb 2b\n"
	"movl 0x300(%rbx), %eax\n"
	"movl %eax, 0x500(%r15)\n"
	"movl $0x0e000000, 0x310(%rbx)\n"	/* logical, flat: 1, 2, 3 */
	"movl $0x850, 0x300(%rbx)\n"
	"movl $0x952, 0x300(%rbx)\n"	/* logical, lowest priority: one of them */
	"movl $0xc0051, 0x300(%rbx)\n"	/* all but self */
	"outb %al, $0x30\n"
	"hlt\n");
extern const uint8_t g_ipi_bsp[], g_ipi_bsp_end[];

struct run_arg {
	struct vcpu *v;
	uint32_t port;
	int rc, err;
	uint32_t exit_reason, io_port;
};

/*
 * KVM_RUN until an exit: an AP waiting for INIT/SIPI comes back with
 * EAGAIN once it took them (upstream's answer), to be run again.
 */
static void *run_thread(void *p)
{
	struct run_arg *a = p;

	do
		a->rc = vcpu_run(a->v);
	while (a->rc < 0 && errno == EAGAIN);
	a->err = errno;
	a->exit_reason = a->v->run->exit_reason;
	a->io_port = a->v->run->io.port;
	return NULL;
}

/*
 * Join the vCPU threads; one still in KVM_RUN after 20 s gets SIGALRM
 * (alarm() is the process's, which the first thread out cancels).
 */
static void join_all(pthread_t *th, int n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	for (int i = 0; i < n; i++) {
		if (!pthread_timedjoin_np(th[i], NULL, &ts))
			continue;
		pthread_kill(th[i], SIGALRM);
		pthread_join(th[i], NULL);
	}
}

static bool thread_exit_ok(struct run_arg *a, const char *name)
{
	bool ok = a->rc == 0 && a->exit_reason == KVM_EXIT_IO && a->io_port == a->port;
	struct kvm_regs r;

	if (!ok) {
		ioctl(a->v->fd, KVM_GET_REGS, &r);
		check(false, name, "KVM_RUN %d (%s), exit %u port %#x rip %#llx, want port %#x",
		      a->rc, a->rc ? strerrorname_np(a->err) : "ok", a->exit_reason,
		      a->io_port, (unsigned long long)r.rip, a->port);
	}
	return ok;
}

static void test_lapic_ipi(void)
{
	uint32_t lowest = 0;
	struct run_arg arg[4];
	pthread_t th[4];
	struct vcpu v[4];
	struct vm vm;

	if (!lapic_vm(&vm, v, 4, 0))
		return;
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_ipi_bsp, g_ipi_bsp_end - g_ipi_bsp);
	memcpy(vm.mem + 0x3000, g_ipi_ap, g_ipi_ap_end - g_ipi_ap);
	lapic_vcpu(&vm, &v[0], 0, GUEST_BASE);
	for (int i = 1; i < 4; i++) {
		lapic_vcpu(&vm, &v[i], i, 0x3000);
		expect_errno("lapic: ipi: KVM_SET_MP_STATE runnable", 0, set_runnable(&v[i]));
	}
	for (int i = 0; i < 4; i++) {
		arg[i] = (struct run_arg){ .v = &v[i], .port = i ? 0x12 : 0x30 };
		pthread_create(&th[i], NULL, run_thread, &arg[i]);
	}
	join_all(th, 4);
	for (int i = 0; i < 4; i++) {
		char name[96];

		snprintf(name, sizeof(name), "lapic: ipi: vCPU %d's exit", i);
		if (!thread_exit_ok(&arg[i], name)) {
			printf("info: lapic: ipi: vCPU %d: ready %u, ID %#x LDR %#x, 0x%x: %u, 0x50: %u, 0x51: %u, total %u\n",
			       i, *(uint32_t *)(vm.mem + SHARED), *area32(&vm, i, 0x500),
			       *area32(&vm, i, 0x504), 0x40 + i, *area32(&vm, i, (0x40 + i) * 4),
			       *area32(&vm, i, 0x50 * 4), *area32(&vm, i, 0x51 * 4),
			       *area32(&vm, i, A_TOTAL));
			continue;
		}
		if (!i) {
			check(*area32(&vm, 0, 0x500) == 0x43 && *area32(&vm, 0, A_TOTAL) == 0,
			      "lapic: ipi: the BSP's ICR reads back; all-but-self spares it",
			      "ICR %#x, %u interrupts", *area32(&vm, 0, 0x500),
			      *area32(&vm, 0, A_TOTAL));
			continue;
		}
		lowest += *area32(&vm, i, 0x52 * 4);
		snprintf(name, sizeof(name),
			 "lapic: ipi: AP %d: ID, LDR, its fixed vector, logical and all-but-self", i);
		check(*area32(&vm, i, 0x500) == (uint32_t)i << 24 &&
		      *area32(&vm, i, 0x504) == 0x1000000u << i &&
		      *area32(&vm, i, (0x40 + i) * 4) == 1 &&
		      *area32(&vm, i, 0x50 * 4) == 1 && *area32(&vm, i, 0x51 * 4) == 1 &&
		      *area32(&vm, i, A_TOTAL) == 3 + *area32(&vm, i, 0x52 * 4), name,
		      "ID %#x LDR %#x: %#x %u, 0x50 %u, 0x51 %u, total %u",
		      *area32(&vm, i, 0x500), *area32(&vm, i, 0x504), 0x40 + i,
		      *area32(&vm, i, (0x40 + i) * 4), *area32(&vm, i, 0x50 * 4),
		      *area32(&vm, i, 0x51 * 4), *area32(&vm, i, A_TOTAL));
	}
	check(lowest == 1, "lapic: ipi: lowest priority reaches exactly one AP",
	      "%u APs took it", lowest);
	vm_destroy(&vm);
}

/* ---- the PV IPI hypercall --------------------------------------------- */

/* KVM_HC_SEND_IPI (10): RBX, RCX the bitmaps, RDX the first id, RSI the ICR. */
#define PV_IPI(n, low, high, min, icr) \
	"movl $10, %eax\n movl $" #low ", %ebx\n movl $" #high ", %ecx\n" \
	"movl $" #min ", %edx\n movl $" #icr ", %esi\n" \
	"g_pvipi_call" #n ":\n vmmcall\n movq %rax, 0x5" #n "0(%r15)\n"

GUEST_ASM(g_pvipi, ".code64",
	PV_IPI(0, 2, 0, 0, 0x4061)	/* id 1 */
	PV_IPI(1, 1, 0, 1, 0x4062)	/* id 1, from min 1 */
	PV_IPI(2, 2, 0, 0, 0xc4063)	/* a shorthand: -KVM_EINVAL */
	PV_IPI(3, 2, 0, 0, 0x4863)	/* logical: -KVM_EINVAL */
	PV_IPI(4, 0, 1, 0, 0x4064)	/* id 64 in the high map: nobody */
	PV_IPI(5, 3, 0, 0, 0x4065)	/* ids 0 (itself) and 1 */
	PV_IPI(6, 0, 0, 0xffffffff, 0x4066)	/* kvm-unit-tests' call */
	"outb %al, $0x10\n");
extern const uint8_t g_pvipi[], g_pvipi_end[], g_pvipi_call0[], g_pvipi_call1[],
	g_pvipi_call2[], g_pvipi_call3[], g_pvipi_call4[], g_pvipi_call5[],
	g_pvipi_call6[];

/*
 * vCPU 0 sends PV IPIs with interrupts off: what arrived is in the IRRs.
 * Without an irqchip (@irqchip false) each valid call is -EOPNOTSUPP.
 */
static void test_lapic_pv_ipi(bool irqchip)
{
	const uint8_t *calls[] = { g_pvipi_call0, g_pvipi_call1, g_pvipi_call2,
				   g_pvipi_call3, g_pvipi_call4, g_pvipi_call5,
				   g_pvipi_call6 };
	const int64_t eopnotsupp = -95, einval = -22;
	const int64_t want[2][7] = {
		{ eopnotsupp, eopnotsupp, einval, einval, eopnotsupp, eopnotsupp,
		  eopnotsupp },
		{ 1, 1, einval, einval, 0, 2, 0 },
	};
	const char *what = irqchip ? "lapic: pv ipi" : "pv ipi without an irqchip";
	struct kvm_lapic_state st[2];
	struct vcpu v[2];
	struct vm vm;
	char name[128];

	if (irqchip) {
		if (!lapic_vm(&vm, v, 2, 0))
			return;
	} else {
		vm_create(&vm, 1 << 20);
		vcpu_create(&vm, &v[0], 0);
	}
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_pvipi, g_pvipi_end - g_pvipi);
	for (int i = 0; cpu_has_vmx() && i < 7; i++)
		vm.mem[GUEST_BASE + (calls[i] - g_pvipi) + 2] = 0xc1;	/* vmcall */
	lapic_vcpu(&vm, &v[0], 0, GUEST_BASE);
	for (int i = 0; irqchip && i < 2; i++) {
		ioctl(v[i].fd, KVM_GET_LAPIC, &st[i]);
		set_reg32(&st[i], R_SVR, 0x1ff);
		ioctl(v[i].fd, KVM_SET_LAPIC, &st[i]);
	}
	snprintf(name, sizeof(name), "%s: guest", what);
	if (!run_port(&v[0], name, 0x10))
		goto out;
	for (int i = 0; i < 7; i++) {
		int64_t got = *(int64_t *)(vm.mem + AREA(0) + 0x500 + 0x10 * i);

		snprintf(name, sizeof(name), "%s: call %d returns %lld", what, i,
			 (long long)want[irqchip][i]);
		check(got == want[irqchip][i], name, "%lld", (long long)got);
	}
	if (!irqchip)
		goto out;
	for (int i = 0; i < 2; i++)
		ioctl(v[i].fd, KVM_GET_LAPIC, &st[i]);
	check(reg32(&st[0], R_IRR + 0x30) == 1u << 5 &&
	      reg32(&st[1], R_IRR + 0x30) == (1u << 1 | 1u << 2 | 1u << 5),
	      "lapic: pv ipi: IRRs: vCPU 0 0x65, vCPU 1 0x61, 0x62, 0x65",
	      "vCPU 0 IRR[0x60..0x7f] %#x, vCPU 1 %#x", reg32(&st[0], R_IRR + 0x30),
	      reg32(&st[1], R_IRR + 0x30));
out:
	vm_destroy(&vm);
}

/* ---- INIT and SIPI ------------------------------------------------------ */

GUEST_ASM(g_sipi_ap, ".code16",
	"movw %cs, %ax\n"
	"movw %ax, %ds\n"
	"lock incw 0x100\n"
"g_sipi_ap_out:\n"
	"outb %al, $0x13\n"
"g_sipi_ap_after:\n"
	"hlt\n"
	"jmp g_sipi_ap_out\n");
extern const uint8_t g_sipi_ap[], g_sipi_ap_end[], g_sipi_ap_out[], g_sipi_ap_after[];

GUEST_ASM(g_sipi_bsp, ".code64",
	"movl $0xfee00000, %ebx\n"
	"movl $0xc4500, 0x300(%rbx)\n"	/* INIT, assert, all but self */
	"movl $0xc8500, 0x300(%rbx)\n"	/* INIT, de-assert: ignored */
	"movl $0xc4630, 0x300(%rbx)\n"	/* SIPI, page 0x30 */
"1:\n"
	"pause\n"
	"cmpw $3, 0x30100\n"
	"jb 1b\n"
	"outb %al, $0x31\n"
	"hlt\n");
extern const uint8_t g_sipi_bsp[], g_sipi_bsp_end[];

static void test_lapic_sipi(void)
{
	struct run_arg arg[4];
	pthread_t th[4];
	struct vcpu v[4];
	struct vm vm;

	if (!lapic_vm(&vm, v, 4, 0))
		return;
	lapic_env(&vm);
	memcpy(vm.mem + GUEST_BASE, g_sipi_bsp, g_sipi_bsp_end - g_sipi_bsp);
	memcpy(vm.mem + SIPI_VECTOR * 0x1000, g_sipi_ap, g_sipi_ap_end - g_sipi_ap);
	lapic_vcpu(&vm, &v[0], 0, GUEST_BASE);
	for (int i = 1; i < 4; i++)
		check(mp_state(&v[i]) == KVM_MP_STATE_UNINITIALIZED,
		      "lapic: sipi: an AP starts uninitialized", "vCPU %d: %d", i,
		      mp_state(&v[i]));
	for (int i = 0; i < 4; i++) {
		arg[i] = (struct run_arg){ .v = &v[i], .port = i ? 0x13 : 0x31 };
		pthread_create(&th[i], NULL, run_thread, &arg[i]);
	}
	join_all(th, 4);
	thread_exit_ok(&arg[0], "lapic: sipi: the BSP saw three APs");
	for (int i = 1; i < 4; i++) {
		struct kvm_sregs s;
		struct kvm_regs r;
		char name[96];

		/* RIP at the OUT (upstream: done at the next KVM_RUN) or after it. */
		snprintf(name, sizeof(name), "lapic: sipi: AP %d ran the SIPI page", i);
		if (!thread_exit_ok(&arg[i], name))
			continue;
		ioctl(v[i].fd, KVM_GET_SREGS, &s);
		ioctl(v[i].fd, KVM_GET_REGS, &r);
		check(s.cs.selector == SIPI_VECTOR << 8 && s.cs.base == SIPI_VECTOR << 12 &&
		      (r.rip == (uint64_t)(g_sipi_ap_out - g_sipi_ap) ||
		       r.rip == (uint64_t)(g_sipi_ap_after - g_sipi_ap)) &&
		      mp_state(&v[i]) == KVM_MP_STATE_RUNNABLE, name,
		      "CS %#x base %#llx rip %#llx mp state %d", s.cs.selector,
		      (unsigned long long)s.cs.base, (unsigned long long)r.rip,
		      mp_state(&v[i]));
	}
	check(*(uint16_t *)(vm.mem + SIPI_VECTOR * 0x1000 + 0x100) == 3,
	      "lapic: sipi: each AP counted itself once", "%u",
	      *(uint16_t *)(vm.mem + SIPI_VECTOR * 0x1000 + 0x100));
	vm_destroy(&vm);
}

void test_lapic(void)
{
	struct vm vm;
	int err;

	for (int round = 0; round < 2; round++) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

		split = round;
		/*
		 * Until the IOAPIC, the PICs and the routing table exist,
		 * their placeholders refuse with ENOSYS: that round is skipped.
		 */
		vm_create(&vm, 1 << 20);
		err = split ? ioctl_errno(vm.fd, KVM_ENABLE_CAP, &cap) :
			      ioctl_errno(vm.fd, KVM_CREATE_IRQCHIP, NULL);
		vm_destroy(&vm);
		if (err == ENOSYS) {
			printf("info: abi: lapic: %s: ENOSYS (placeholder chips): not tested\n",
			       split ? "the split irqchip" : "KVM_CREATE_IRQCHIP");
			continue;
		}
		test_lapic_state();
		test_lapic_xapic();
		test_lapic_x2apic();
		test_lapic_timer();
		test_lapic_ipi();
		test_lapic_pv_ipi(true);
		test_lapic_sipi();
	}
	split = false;
	test_lapic_pv_ipi(false);
}
