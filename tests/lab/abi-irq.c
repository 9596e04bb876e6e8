// SPDX-License-Identifier: GPL-2.0
/*
 * abi-irq.c: the abi program's irq group: KVM_INTERRUPT and the
 * interrupt-window protocol, KVM_NMI, re-injection of an interrupted
 * delivery, the STI/MOV SS shadow, KVM_GET/SET_VCPU_EVENTS, CR8 and
 * KVM_EXIT_SET_TPR, KVM_GET/SET_DEBUGREGS, and halt_in_kernel.
 */
#include "abi.h"

/* ---- interrupts, NMIs, vCPU events, debug registers ------------------- */

/* The flags of struct kvm_vcpu_events that KVM_GET_VCPU_EVENTS sets. */
#define EVENTS_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | \
			 KVM_VCPUEVENT_VALID_SMM)

static uint64_t vcpu_rip(struct vcpu *v)
{
	struct kvm_regs r;

	ioctl(v->fd, KVM_GET_REGS, &r);
	return r.rip;
}

/* The real-mode interrupt frame on top of the guest's stack. */
struct rm_frame {
	uint16_t ip, cs, flags;
};

static struct rm_frame rm_frame(struct vm *vm, struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct rm_frame f;

	ioctl(v->fd, KVM_GET_REGS, &r);
	ioctl(v->fd, KVM_GET_SREGS, &s);
	memcpy(&f, vm->mem + s.ss.base + (r.rsp & 0xffff), sizeof(f));
	return f;
}

static struct kvm_vcpu_events vcpu_events(struct vcpu *v)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0xcc, sizeof(ev));
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev))
		printf("FAIL: abi: KVM_GET_VCPU_EVENTS: %s\n", strerror(errno));
	return ev;
}

static const char *exit_name(uint32_t reason)
{
	static char buf[16];

	switch (reason) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_IRQ_WINDOW_OPEN: return "IRQ_WINDOW_OPEN";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_INTR: return "INTR";
	case KVM_EXIT_SET_TPR: return "SET_TPR";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	}
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}

/*
 * KVM_RUN, then check the exit: @port >= 0 wants KVM_EXIT_IO at that
 * port, else the exit reason -@port.  Prints FAIL (and returns false)
 * otherwise; a PASS line is the caller's.
 */
static bool run_expect(struct vcpu *v, const char *name, int port)
{
	int rc = vcpu_run(v);
	bool ok;

	if (port >= 0)
		ok = rc == 0 && v->run->exit_reason == KVM_EXIT_IO &&
		     v->run->io.port == port;
	else
		ok = rc == 0 && v->run->exit_reason == (uint32_t)-port;
	if (!ok) {
		failures++;
		printf("FAIL: abi: %s: KVM_RUN %d (%s), exit %s port %#x rip %#llx, want %s %#x\n",
		       name, rc, rc ? strerrorname_np(errno) : "ok",
		       exit_name(v->run->exit_reason), v->run->io.port,
		       (unsigned long long)vcpu_rip(v),
		       port >= 0 ? "IO port" : "exit", port >= 0 ? port : -port);
	}
	return ok;
}

static uint32_t io_data(struct vcpu *v)
{
	uint32_t d = 0;

	memcpy(&d, (uint8_t *)v->run + v->run->io.data_offset, v->run->io.size);
	return d;
}

/* A line "vcpu0.REASON N" of the VM's debugfs exits file, or -1. */
static long vm_exit_count(struct vm *vm, const char *reason)
{
	char path[96], name[64], want[64];
	long n, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exits",
		 (int)getpid(), vm->fd);
	snprintf(want, sizeof(want), "vcpu0.%s", reason);
	f = fopen(path, "r");
	while (f && fscanf(f, "%63s %ld", name, &n) == 2)
		if (!strcmp(name, want))
			found = n;
	if (f)
		fclose(f);
	return found < 0 ? 0 : found;
}

/*
 * NMIs: injected at the next entry; blocked from delivery until the
 * handler's IRET; a second one pending while blocked (and a third
 * merging with it), delivered right after the IRET, before the next
 * instruction; a blocked NMI does not end a HLT.
 */
GUEST_ASM(g_nmi, ".code16",
	"outb %al, $0x10\n"		/* userspace queues an NMI */
"g_nmi_ret:\n"
	"movb 0x600, %al\n"
	"outb %al, $0x11\n"		/* the handler's count */
	"hlt\n"
"g_nmi_handler:\n"
	"incb 0x600\n"
	"movb 0x600, %al\n"
	"outb %al, $0x12\n"
	"hlt\n"				/* another NMI pending, blocked */
"g_nmi_iret:\n"
	"iret\n");
extern const uint8_t g_nmi[], g_nmi_end[], g_nmi_ret[], g_nmi_handler[],
	g_nmi_iret[];

static void test_nmi(void)
{
	struct kvm_vcpu_events ev;
	struct rm_frame f;
	struct vm vm;
	struct vcpu v;

	rm_guest(&vm, &v, g_nmi, g_nmi_end, 0x2);
	ivt_set(&vm, 2, AT(g_nmi, g_nmi_handler));
	if (!run_expect(&v, "nmi: first exit", 0x10))
		goto out;
	ev = vcpu_events(&v);
	check(ev.flags == EVENTS_FLAGS && !ev.nmi.pending && !ev.nmi.masked &&
	      !ev.nmi.injected, "nmi: none pending, not blocked at start",
	      "flags %#x pending %u masked %u injected %u", ev.flags,
	      ev.nmi.pending, ev.nmi.masked, ev.nmi.injected);
	expect_errno("KVM_NMI", 0, ioctl_errno(v.fd, KVM_NMI, NULL));
	ev = vcpu_events(&v);
	check(ev.nmi.pending == 1 && !ev.nmi.masked, "nmi: KVM_NMI makes one pending",
	      "pending %u masked %u", ev.nmi.pending, ev.nmi.masked);

	if (!run_expect(&v, "nmi: delivered", 0x12))
		goto out;
	f = rm_frame(&vm, &v);
	check(io_data(&v) == 1 && f.ip == AT(g_nmi, g_nmi_ret) && f.cs == 0 &&
	      f.flags == 0x2, "nmi: delivered before the next instruction",
	      "count %u, frame %04x:%04x flags %#x, want 0000:%04x flags 0x2",
	      io_data(&v), f.cs, f.ip, f.flags, AT(g_nmi, g_nmi_ret));
	ev = vcpu_events(&v);
	check(ev.nmi.masked == 1 && !ev.nmi.pending && !ev.nmi.injected,
	      "nmi: blocked in the handler", "masked %u pending %u injected %u",
	      ev.nmi.masked, ev.nmi.pending, ev.nmi.injected);
	ioctl(v.fd, KVM_NMI, NULL);
	ioctl(v.fd, KVM_NMI, NULL);
	ev = vcpu_events(&v);
	check(ev.nmi.pending == 1 && ev.nmi.masked == 1,
	      "nmi: two more while blocked: one pending", "pending %u masked %u",
	      ev.nmi.pending, ev.nmi.masked);

	if (!run_expect(&v, "nmi: blocked NMI does not end HLT", -KVM_EXIT_HLT))
		goto out;
	check(vcpu_rip(&v) == AT(g_nmi, g_nmi_iret),
	      "nmi: HLT in the handler exits with the NMI blocked", "rip %#llx",
	      (unsigned long long)vcpu_rip(&v));

	if (!run_expect(&v, "nmi: second delivered after IRET", 0x12))
		goto out;
	f = rm_frame(&vm, &v);
	check(io_data(&v) == 2 && f.ip == AT(g_nmi, g_nmi_ret) && f.flags == 0x2,
	      "nmi: second delivered right after the IRET",
	      "count %u, frame ip %#x flags %#x, want ip %#x flags 0x2",
	      io_data(&v), f.ip, f.flags, AT(g_nmi, g_nmi_ret));
	ev = vcpu_events(&v);
	check(ev.nmi.masked == 1 && !ev.nmi.pending,
	      "nmi: the third merged with the second", "masked %u pending %u",
	      ev.nmi.masked, ev.nmi.pending);

	if (!run_expect(&v, "nmi: HLT again", -KVM_EXIT_HLT) ||
	    !run_expect(&v, "nmi: back from the handler", 0x11))
		goto out;
	ev = vcpu_events(&v);
	check(io_data(&v) == 2 && !ev.nmi.masked && !ev.nmi.pending,
	      "nmi: unblocked after the IRET", "count %u masked %u pending %u",
	      io_data(&v), ev.nmi.masked, ev.nmi.pending);
out:
	vm_destroy(&vm);
}

/*
 * An event whose delivery took a shadow page fault (the IVT and a stack
 * page the guest never touched) is delivered again, exactly once.  Under
 * mmu=tdp the fault is a nested page fault (SVM_EXIT_NPF, "npf"; on VMX
 * an EPT violation, "EPT_VIOLATION").
 */
GUEST_ASM(g_pf, ".code16",
	"movw $0x9000, %ax\n"
	"movw %ax, %ss\n"
	"movw $0x8000, %sp\n"		/* pushes land in a fresh page */
	"outb %al, $0x20\n"		/* userspace queues the event */
"g_pf_ret:\n"
	"outb %al, $0x21\n"
	"hlt\n"
"g_pf_handler:\n"
	"incb 0x500\n"
	"movb 0x500, %al\n"
	"outb %al, $0x22\n"
	"hlt\n");
extern const uint8_t g_pf[], g_pf_end[], g_pf_ret[], g_pf_handler[];

static void test_reinject(bool nmi)
{
	const char *what = nmi ? "nmi" : "interrupt";
	struct kvm_interrupt irq = { .irq = 0x40 };
	char name[96];
	struct rm_frame f;
	long pf_before;
	struct vm vm;
	struct vcpu v;

	rm_guest(&vm, &v, g_pf, g_pf_end, 0x202);
#define PF_EXITS(vm) (vm_exit_count(vm, "PF_excp") + vm_exit_count(vm, "npf") + \
		      vm_exit_count(vm, "EPT_VIOLATION"))
	ivt_set(&vm, nmi ? 2 : 0x40, AT(g_pf, g_pf_handler));
	snprintf(name, sizeof(name), "reinject %s: first exit", what);
	if (!run_expect(&v, name, 0x20))
		goto out;
	if (nmi)
		ioctl(v.fd, KVM_NMI, NULL);
	else
		ioctl(v.fd, KVM_INTERRUPT, &irq);
	pf_before = PF_EXITS(&vm);
	snprintf(name, sizeof(name), "reinject %s: handler", what);
	if (!run_expect(&v, name, 0x22))
		goto out;
	f = rm_frame(&vm, &v);
	snprintf(name, sizeof(name),
		 "%s delivery with a shadow page fault: delivered once", what);
	/*
	 * Real mode on VMX delivers events in software (kvm/vmx/realmode.c):
	 * no delivery there can take a shadow page fault.  With mmu=tdp and
	 * unrestricted guest the CPU delivers them, as on SVM (without it,
	 * real mode is vm86 under tdp too).
	 */
	check(io_data(&v) == 1 && f.ip == AT(g_pf, g_pf_ret) &&
	      f.flags == 0x202 &&
	      ((cpu_has_vmx() && (!mmu_is("tdp") || !cpu_has_vmx_urg())) ||
	       PF_EXITS(&vm) > pf_before),
	      name, "count %u frame ip %#x flags %#x (want %#x 0x202), PF exits %ld -> %ld",
	      io_data(&v), f.ip, f.flags, AT(g_pf, g_pf_ret), pf_before,
	      PF_EXITS(&vm));
#undef PF_EXITS
out:
	vm_destroy(&vm);
}

/*
 * An interrupt shadow (set here with KVM_SET_VCPU_EVENTS) holds back an
 * NMI and an interrupt for exactly one instruction; a HLT under the
 * shadow with an NMI pending retires, and the NMI follows.
 */
GUEST_ASM(g_shadow, ".code16",
	"incb 0x600\n"			/* the shadowed instruction */
"g_shadow_next:\n"
	"outb %al, $0x30\n"
	"hlt\n"
"g_shadow_hlt:\n"
	"hlt\n"
"g_shadow_hlt_next:\n"
	"outb %al, $0x30\n"
"g_shadow_handler:\n"
	"movb 0x600, %al\n"
	"outb %al, $0x31\n"
	"hlt\n");
extern const uint8_t g_shadow[], g_shadow_end[], g_shadow_next[],
	g_shadow_hlt[], g_shadow_hlt_next[], g_shadow_handler[];

static void test_shadow(int kind)
{
	static const char *const kinds[] = { "nmi", "interrupt", "nmi at hlt" };
	struct kvm_interrupt irq = { .irq = 0x41 };
	struct kvm_vcpu_events ev;
	uint16_t want_ip;
	char name[128];
	struct rm_frame f;
	struct kvm_regs r;
	struct vm vm;
	struct vcpu v;

	/*
	 * Bochs 2.7 (the vmx lab) keeps its virtual-NMI blocking across VM
	 * entries until a guest IRET, whatever the VMCS says: an NMI an
	 * earlier VM took without IRET blocks every later NMI-window exit
	 * (later Bochs unmasks it at VM entry).  Real hardware does not.
	 */
	if (kind != 1 && getenv("LAB_MACHINE") && !strcmp(getenv("LAB_MACHINE"), "vmx")) {
		printf("SKIP: abi: shadow %s: Bochs 2.7 keeps virtual-NMI blocking across VM entries\n",
		       kinds[kind]);
		return;
	}
	rm_guest(&vm, &v, g_shadow, g_shadow_end, kind == 1 ? 0x202 : 0x2);
	ivt_set(&vm, 2, AT(g_shadow, g_shadow_handler));
	ivt_set(&vm, 0x41, AT(g_shadow, g_shadow_handler));
	if (kind == 2) {
		ioctl(v.fd, KVM_GET_REGS, &r);
		r.rip = AT(g_shadow, g_shadow_hlt);
		ioctl(v.fd, KVM_SET_REGS, &r);
	}
	ev = vcpu_events(&v);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = kind == 1 ? KVM_X86_SHADOW_INT_STI :
					  KVM_X86_SHADOW_INT_MOV_SS;
	snprintf(name, sizeof(name), "shadow %s: SET_VCPU_EVENTS", kinds[kind]);
	expect_errno(name, 0, ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev));
	ev = vcpu_events(&v);
	snprintf(name, sizeof(name), "shadow %s: reads back as STI|MOV_SS", kinds[kind]);
	check(ev.interrupt.shadow == (KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS),
	      name, "shadow %#x", ev.interrupt.shadow);
	if (kind == 1)
		ioctl(v.fd, KVM_INTERRUPT, &irq);
	else
		ioctl(v.fd, KVM_NMI, NULL);
	snprintf(name, sizeof(name), "shadow %s: handler", kinds[kind]);
	if (!run_expect(&v, name, 0x31))
		goto out;
	f = rm_frame(&vm, &v);
	want_ip = kind == 2 ? AT(g_shadow, g_shadow_hlt_next) : AT(g_shadow, g_shadow_next);
	snprintf(name, sizeof(name), kind == 2 ?
		 "shadow %s: the HLT retires, then the NMI" :
		 "shadow %s: delivered after exactly one instruction", kinds[kind]);
	check(io_data(&v) == (kind == 2 ? 0 : 1) && f.ip == want_ip &&
	      f.flags == (kind == 1 ? 0x202 : 0x2), name,
	      "shadowed incb done %u, frame ip %#x flags %#x, want ip %#x",
	      io_data(&v), f.ip, f.flags, want_ip);
out:
	vm_destroy(&vm);
}

/*
 * The interrupt-window protocol of a userspace irqchip: if_flag,
 * ready_for_interrupt_injection, request_interrupt_window and
 * KVM_EXIT_IRQ_WINDOW_OPEN at the exact boundary after an STI's shadow
 * and a MOV SS's shadow; STI; HLT with an interrupt queued takes the
 * interrupt after the HLT instead of halting.
 */
GUEST_ASM(g_win, ".code16",
	"cli\n"
	"outb %al, $0x40\n"		/* IF = 0 */
	"sti\n"
	"nop\n"				/* in the STI shadow */
"g_win_open:\n"
	"incb 0x600\n"
	"outb %al, $0x41\n"
	"cli\n"
	"outb %al, $0x42\n"		/* userspace queues a vector with IF = 0 */
	"sti\n"
	"hlt\n"
"g_win_hlt_next:\n"
	"outb %al, $0x43\n"
	"movw %ss, %ax\n"
	"movw %ax, %ss\n"
"g_win_in:\n"
	"inb $0x44, %al\n"		/* in the MOV SS shadow */
"g_win_in_next:\n"
	"outb %al, $0x45\n"
	"hlt\n"
"g_win_handler:\n"
	"movb 0x600, %al\n"
	"outb %al, $0x46\n"
	"iret\n");
extern const uint8_t g_win[], g_win_end[], g_win_open[], g_win_hlt_next[],
	g_win_in[], g_win_in_next[], g_win_handler[];

static void test_window(void)
{
	struct kvm_interrupt irq = { .irq = 0x42 };
	struct kvm_vcpu_events ev;
	struct kvm_run *run;
	struct rm_frame f;
	struct vm vm;
	struct vcpu v;

	rm_guest(&vm, &v, g_win, g_win_end, 0x2);
	run = v.run;
	ivt_set(&vm, 0x42, AT(g_win, g_win_handler));
	if (!run_expect(&v, "window: cli", 0x40))
		goto out;
	check(run->if_flag == 0 && run->ready_for_interrupt_injection == 0 &&
	      run->apic_base == 0xfee00900 && run->cr8 == 0,
	      "window: IF=0: not ready; apic_base, cr8",
	      "if_flag %u ready %u apic_base %#llx cr8 %#llx", run->if_flag,
	      run->ready_for_interrupt_injection,
	      (unsigned long long)run->apic_base, (unsigned long long)run->cr8);

	run->request_interrupt_window = 1;
	if (!run_expect(&v, "window: opens after STI's shadow", -KVM_EXIT_IRQ_WINDOW_OPEN))
		goto out;
	check(vcpu_rip(&v) == AT(g_win, g_win_open) && run->if_flag == 1 &&
	      run->ready_for_interrupt_injection == 1,
	      "window: KVM_EXIT_IRQ_WINDOW_OPEN after STI; NOP",
	      "rip %#llx (want %#x) if_flag %u ready %u",
	      (unsigned long long)vcpu_rip(&v), AT(g_win, g_win_open),
	      run->if_flag, run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;
	expect_errno("window: KVM_INTERRUPT when ready", 0,
		     ioctl_errno(v.fd, KVM_INTERRUPT, &irq));
	expect_errno("window: a second KVM_INTERRUPT is EEXIST", EEXIST,
		     ioctl_errno(v.fd, KVM_INTERRUPT, &irq));
	if (!run_expect(&v, "window: interrupt delivered", 0x46))
		goto out;
	f = rm_frame(&vm, &v);
	check(io_data(&v) == 0 && f.ip == AT(g_win, g_win_open) && f.flags == 0x202,
	      "window: interrupt delivered at the window",
	      "incb done %u, frame ip %#x flags %#x", io_data(&v), f.ip, f.flags);

	if (!run_expect(&v, "window: back", 0x41) ||
	    !run_expect(&v, "window: cli again", 0x42))
		goto out;
	expect_errno("window: KVM_INTERRUPT with IF=0", 0,
		     ioctl_errno(v.fd, KVM_INTERRUPT, &irq));
	ev = vcpu_events(&v);
	check(ev.interrupt.injected == 1 && ev.interrupt.nr == 0x42 && !ev.interrupt.soft,
	      "events: a KVM_INTERRUPT vector reads as an injected interrupt",
	      "injected %u nr %#x soft %u", ev.interrupt.injected, ev.interrupt.nr,
	      ev.interrupt.soft);
	if (!run_expect(&v, "window: STI; HLT takes the queued interrupt", 0x46))
		goto out;
	f = rm_frame(&vm, &v);
	check(f.ip == AT(g_win, g_win_hlt_next) && f.flags == 0x202,
	      "window: STI; HLT: interrupt after the HLT, no KVM_EXIT_HLT",
	      "frame ip %#x (want %#x) flags %#x", f.ip, AT(g_win, g_win_hlt_next),
	      f.flags);

	if (!run_expect(&v, "window: after hlt", 0x43) ||
	    !run_expect(&v, "window: IN in a MOV SS shadow", 0x44))
		goto out;
	ev = vcpu_events(&v);
	check(vcpu_rip(&v) == AT(g_win, g_win_in) && run->if_flag == 1 &&
	      run->ready_for_interrupt_injection == 0 &&
	      ev.interrupt.shadow == (KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS),
	      "window: MOV SS shadow: IF=1 but not ready",
	      "rip %#llx if_flag %u ready %u shadow %#x",
	      (unsigned long long)vcpu_rip(&v), run->if_flag,
	      run->ready_for_interrupt_injection, ev.interrupt.shadow);
	run->request_interrupt_window = 1;
	if (!run_expect(&v, "window: opens after the shadowed IN", -KVM_EXIT_IRQ_WINDOW_OPEN))
		goto out;
	check(vcpu_rip(&v) == AT(g_win, g_win_in_next) &&
	      run->ready_for_interrupt_injection == 1,
	      "window: MOV SS; IN: window after the IN", "rip %#llx (want %#x) ready %u",
	      (unsigned long long)vcpu_rip(&v), AT(g_win, g_win_in_next),
	      run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;
	if (!run_expect(&v, "window: out after IN", 0x45))
		goto out;
out:
	vm_destroy(&vm);
}

/*
 * KVM_GET/SET_VCPU_EVENTS: an exception, an NMI and an interrupt queued
 * survive a GET -> SET round trip into another vCPU, which then delivers
 * them: the exception first, the NMI right after its delivery (before
 * the exception handler's first instruction), the interrupt once IF is
 * set again.
 */
GUEST_ASM(g_order, ".code16",
	"movb 0x6ff, %al\n"		/* maps the IVT's page, */
	"pushw %ax\n"			/* the stack's, the code's: */
	"popw %ax\n"			/* no page fault exit from here */
	"outb %al, $0x51\n"		/* userspace sets the events */
"g_order_main:\n"
	"nop\n"
	"movb 0x6ff, %al\n"
	"outb %al, $0x50\n"
	"hlt\n"
"g_order_log:\n"
	"pushw %bx\n"
	"movzbw 0x6ff, %bx\n"
	"movb %al, 0x700(%bx)\n"
	"incb 0x6ff\n"
	"popw %bx\n"
	"ret\n"
"g_order_gp:\n"
	"pushw %ax\n"
	"movb $13, %al\n"
	"call g_order_log\n"
	"popw %ax\n"
	"iret\n"
"g_order_nmi:\n"
	"pushw %ax\n"
	"movb $2, %al\n"
	"call g_order_log\n"
	"popw %ax\n"
	"iret\n"
"g_order_irq:\n"
	"pushw %ax\n"
	"movb $0x43, %al\n"
	"call g_order_log\n"
	"popw %ax\n"
	"iret\n");
extern const uint8_t g_order[], g_order_end[], g_order_main[], g_order_gp[],
	g_order_nmi[], g_order_irq[];

static void test_events(void)
{
	struct kvm_interrupt irq = { .irq = 0x43 };
	struct kvm_vcpu_events ev, ev2, ev3;
	struct vm vm, vm2;
	struct vcpu v, v2;

	rm_guest(&vm, &v, g_order, g_order_end, 0x202);
	ev = vcpu_events(&v);
	check(ev.flags == EVENTS_FLAGS && !ev.exception.injected &&
	      !ev.interrupt.injected && !ev.interrupt.shadow && !ev.nmi.pending &&
	      !ev.sipi_vector, "events: a new vCPU has none",
	      "flags %#x exception %u interrupt %u shadow %u nmi %u",
	      ev.flags, ev.exception.injected, ev.interrupt.injected,
	      ev.interrupt.shadow, ev.nmi.pending);

	/* What QEMU puts at reset: nothing injected, vectors -1. */
	memset(&ev2, 0, sizeof(ev2));
	ev2.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	ev2.exception.nr = 0xff;
	ev2.interrupt.nr = 0xff;
	expect_errno("events: QEMU's reset state", 0,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));

	ioctl(v.fd, KVM_INTERRUPT, &irq);
	ioctl(v.fd, KVM_NMI, NULL);
	ev = vcpu_events(&v);
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x18;
	expect_errno("events: SET an exception", 0,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev));
	ev = vcpu_events(&v);
	check(ev.flags == EVENTS_FLAGS && ev.exception.injected == 1 &&
	      ev.exception.nr == 13 && ev.exception.has_error_code == 1 &&
	      ev.exception.error_code == 0x18 && !ev.exception.pending &&
	      ev.interrupt.injected == 1 && ev.interrupt.nr == 0x43 &&
	      ev.nmi.pending == 1 && !ev.nmi.injected && !ev.nmi.masked,
	      "events: exception, interrupt and NMI queued read back",
	      "exception %u/%u/%u/%#x interrupt %u/%#x nmi pending %u injected %u masked %u",
	      ev.exception.injected, ev.exception.nr, ev.exception.has_error_code,
	      ev.exception.error_code, ev.interrupt.injected, ev.interrupt.nr,
	      ev.nmi.pending, ev.nmi.injected, ev.nmi.masked);
	expect_errno("events: SET what GET read", 0,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev));
	ev3 = vcpu_events(&v);
	check(!memcmp(&ev, &ev3, sizeof(ev)), "events: GET -> SET -> GET is the same",
	      "differ");

	rm_guest(&vm2, &v2, g_order, g_order_end, 0x202);
	ivt_set(&vm2, 13, AT(g_order, g_order_gp));
	ivt_set(&vm2, 2, AT(g_order, g_order_nmi));
	ivt_set(&vm2, 0x43, AT(g_order, g_order_irq));
	run_expect(&v2, "events: warm-up", 0x51);
	expect_errno("events: SET into another vCPU", 0,
		     ioctl_errno(v2.fd, KVM_SET_VCPU_EVENTS, &ev));
	ev3 = vcpu_events(&v2);
	check(!memcmp(&ev, &ev3, sizeof(ev)), "events: another vCPU reads the same",
	      "differ");
	if (v2.run->exit_reason == KVM_EXIT_IO && v2.run->io.port == 0x51 &&
	    run_expect(&v2, "events: delivered", 0x50)) {
		uint8_t *log = vm2.mem + 0x700;

		/*
		 * No page fault exit in between: only an immediate exit
		 * after the #GP's delivery puts the NMI before the #GP
		 * handler's first instruction.
		 */
		check(io_data(&v2) == 3 && log[0] == 2 && log[1] == 13 && log[2] == 0x43,
		      "events: order: NMI at the #GP handler's start, #GP, then the interrupt",
		      "%u events: %u %u %u", io_data(&v2), log[0], log[1], log[2]);
		ev3 = vcpu_events(&v2);
		check(!ev3.exception.injected && !ev3.interrupt.injected &&
		      !ev3.nmi.pending && !ev3.nmi.masked,
		      "events: none left after delivery",
		      "exception %u interrupt %u nmi %u masked %u",
		      ev3.exception.injected, ev3.interrupt.injected,
		      ev3.nmi.pending, ev3.nmi.masked);
	}

	/* Clearing: SET with nothing injected drops the queued vector. */
	memset(&ev2, 0, sizeof(ev2));
	ev2.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ioctl(v.fd, KVM_SET_VCPU_EVENTS, &ev2);
	ev = vcpu_events(&v);
	check(!ev.exception.injected && !ev.interrupt.injected && !ev.nmi.pending,
	      "events: SET with nothing queued clears all",
	      "exception %u interrupt %u nmi %u", ev.exception.injected,
	      ev.interrupt.injected, ev.nmi.pending);
	ev2.nmi.masked = 1;
	ioctl(v.fd, KVM_SET_VCPU_EVENTS, &ev2);
	ev = vcpu_events(&v);
	check(ev.nmi.masked == 1, "events: SET nmi.masked", "masked %u", ev.nmi.masked);

#define BAD_EVENTS(_name, _field, _val) do {					\
		memset(&ev2, 0, sizeof(ev2));					\
		ev2._field = (_val);						\
		expect_errno("events: " _name, EINVAL,				\
			     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));	\
	} while (0)
	/*
	 * The SMM state outside SMM is accepted (QEMU sends it with every
	 * state it puts, as upstream reports it); entering SMM is not.
	 */
	memset(&ev2, 0, sizeof(ev2));
	ev2.flags = KVM_VCPUEVENT_VALID_SMM | KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev2.nmi.masked = 1;	/* as set above: the check below wants it */
	expect_errno("events: SMM flag with no SMM state is accepted", 0,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	ev2.smi.smm = 1;
	expect_errno("events: smi.smm = 1 is EINVAL (no SMM)", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	ev2.smi.smm = 0;
	ev2.smi.pending = 1;
	expect_errno("events: smi.pending = 1 is EINVAL (no SMM)", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	BAD_EVENTS("payload flag is EINVAL", flags, KVM_VCPUEVENT_VALID_PAYLOAD);
	BAD_EVENTS("triple-fault flag is EINVAL", flags, KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
	BAD_EVENTS("unknown flag is EINVAL", flags, 0x80);
	memset(&ev2, 0, sizeof(ev2));
	ev2.interrupt.shadow = 4;
	ev2.flags = KVM_VCPUEVENT_VALID_SHADOW;
	expect_errno("events: shadow 4 with VALID_SHADOW is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	memset(&ev2, 0, sizeof(ev2));
	ev2.exception.injected = 1;
	ev2.exception.nr = 2;
	expect_errno("events: exception vector 2 (NMI) is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	ev2.exception.nr = 32;
	expect_errno("events: exception vector 32 is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	memset(&ev2, 0, sizeof(ev2));
	ev2.interrupt.injected = 1;
	ev2.interrupt.soft = 1;
	expect_errno("events: a soft interrupt is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_VCPU_EVENTS, &ev2));
	ev = vcpu_events(&v);
	check(ev.nmi.masked == 1 && !ev.interrupt.injected,
	      "events: a refused SET changes nothing", "masked %u interrupt %u",
	      ev.nmi.masked, ev.interrupt.injected);
	vm_destroy(&vm2);
	vm_destroy(&vm);
}

/*
 * CR8 with a userspace APIC (64-bit guest): a raised TPR stays in the
 * kernel, a lowered one exits with KVM_EXIT_SET_TPR; kvm_run.cr8 shows
 * the guest's TPR after each exit and becomes it at each KVM_RUN.
 */
GUEST_ASM(g_cr8, ".code64",
	"movq $5, %rax\n"
	"movq %rax, %cr8\n"
	"outb %al, $0x70\n"
	"movq $2, %rax\n"
	"movq %rax, %cr8\n"
"g_cr8_lowered:\n"
	"movq %cr8, %rax\n"
	"outb %al, $0x71\n"
	"movq %cr8, %rax\n"
	"outb %al, $0x72\n"
	"hlt\n");
extern const uint8_t g_cr8[], g_cr8_end[], g_cr8_lowered[];

static void test_cr8(void)
{
	struct kvm_sregs s;
	struct kvm_run *run;
	struct vm vm;
	struct vcpu v;
	int rc, err;

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);
	run = v.run;
	memcpy(vm.mem + GUEST_BASE, g_cr8, g_cr8_end - g_cr8);
	vcpu_long_mode(&vm, &v, GUEST_BASE, GUEST_SP);
	if (!run_expect(&v, "cr8: raise", 0x70))
		goto out;
	ioctl(v.fd, KVM_GET_SREGS, &s);
	check(run->cr8 == 5 && s.cr8 == 5, "cr8: a raised TPR: no exit, kvm_run.cr8 = 5",
	      "run->cr8 %llu sregs %llu", (unsigned long long)run->cr8,
	      (unsigned long long)s.cr8);
	if (!run_expect(&v, "cr8: lower", -KVM_EXIT_SET_TPR))
		goto out;
	check(run->cr8 == 2 && vcpu_rip(&v) == AT(g_cr8, g_cr8_lowered),
	      "cr8: a lowered TPR exits KVM_EXIT_SET_TPR after the MOV",
	      "run->cr8 %llu rip %#llx", (unsigned long long)run->cr8,
	      (unsigned long long)vcpu_rip(&v));
	if (!run_expect(&v, "cr8: read", 0x71))
		goto out;
	check(io_data(&v) == 2, "cr8: the guest reads its TPR", "read %u", io_data(&v));
	run->cr8 = 16;
	rc = vcpu_run(&v);
	err = errno;
	check(rc == -1 && err == EINVAL && run->cr8 == 2,
	      "cr8: kvm_run.cr8 = 16 is EINVAL", "rc %d errno %s run->cr8 %llu",
	      rc, strerrorname_np(err), (unsigned long long)run->cr8);
	run->cr8 = 9;
	if (!run_expect(&v, "cr8: read after userspace set it", 0x72))
		goto out;
	ioctl(v.fd, KVM_GET_SREGS, &s);
	check(io_data(&v) == 9 && s.cr8 == 9 && run->cr8 == 9,
	      "cr8: kvm_run.cr8 set by userspace becomes the guest's TPR",
	      "read %u sregs %llu", io_data(&v), (unsigned long long)s.cr8);
out:
	vm_destroy(&vm);
}

/*
 * Debug registers: KVM_GET/SET_DEBUGREGS and the guest's MOV DR see the
 * same values; a data breakpoint set by the guest fires with the exact
 * DR6; DR7.GD makes a MOV DR a #DB fault; a host breakpoint (perf) still
 * works after the guest had its own breakpoints loaded.
 */
GUEST_ASM(g_dr, ".code16",
	"movl %dr0, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr1, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr2, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr3, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr6, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr7, %eax\n"
	"outl %eax, $0x60\n"
	"movl %dr4, %eax\n"		/* DR6, with CR4.DE clear */
	"outl %eax, $0x60\n"
	"movl %dr5, %eax\n"		/* DR7 */
	"outl %eax, $0x60\n"
	"movl $0x5555, %eax\n"
	"movl %eax, %dr0\n"
	"xorl %eax, %eax\n"
	"movl %eax, %dr6\n"
	"movl %dr6, %eax\n"
	"outl %eax, $0x61\n"		/* DR6 = 0 reads 0xffff0ff0 */
	"movl $0x680, %eax\n"
	"movl %eax, %dr0\n"
	"movl $0x00010001, %eax\n"	/* L0, write, 1 byte */
	"movl %eax, %dr7\n"
	"outb %al, $0x62\n"
	"movb $1, 0x680\n"		/* #DB trap */
"g_dr_after_write:\n"
	"outb %al, $0x63\n"
	"movl $0x2400, %eax\n"		/* GD */
	"movl %eax, %dr7\n"
"g_dr_gd:\n"
	"movl %dr0, %eax\n"		/* #DB fault */
	"outl %eax, $0x65\n"
	"hlt\n"
"g_dr_handler:\n"
	"movl %dr6, %eax\n"
	"outl %eax, $0x64\n"
	"movl %dr7, %eax\n"
	"outl %eax, $0x64\n"
	"xorl %eax, %eax\n"
	"movl %eax, %dr7\n"
	"movl %eax, %dr6\n"
	"iret\n");
extern const uint8_t g_dr[], g_dr_end[], g_dr_after_write[], g_dr_gd[],
	g_dr_handler[];

static volatile uint8_t host_watched;

/* A perf hardware breakpoint on host_watched (this thread), or -1. */
static int host_breakpoint(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_W;
	a.bp_addr = (uintptr_t)&host_watched;
	a.bp_len = HW_BREAKPOINT_LEN_1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t perf_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ULL;
	return n;
}

static void test_debugregs(void)
{
	static const uint32_t want_reads[] = {
		0x1111, 0x2222, 0x3333, 0x4444, 0xffff0ff1, 0x700, 0xffff0ff1, 0x700,
	};
	struct kvm_debugregs d, d2;
	struct rm_frame f;
	struct vm vm;
	struct vcpu v;
	int i, bp;
	bool ok;

	rm_guest(&vm, &v, g_dr, g_dr_end, 0x2);
	ivt_set(&vm, 1, AT(g_dr, g_dr_handler));
	memset(&d, 0xcc, sizeof(d));
	ioctl(v.fd, KVM_GET_DEBUGREGS, &d);
	check(!d.db[0] && !d.db[1] && !d.db[2] && !d.db[3] && d.dr6 == 0xffff0ff0 &&
	      d.dr7 == 0x400 && !d.flags, "debugregs: reset values",
	      "db %#llx %#llx %#llx %#llx dr6 %#llx dr7 %#llx flags %#llx",
	      d.db[0], d.db[1], d.db[2], d.db[3], d.dr6, d.dr7, d.flags);
	memset(&d, 0, sizeof(d));
	d.flags = 1;
	expect_errno("debugregs: flags 1 is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_DEBUGREGS, &d));
	d.flags = 0;
	d.dr6 = 1ULL << 32;
	expect_errno("debugregs: DR6 bit 32 is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_DEBUGREGS, &d));
	d.dr6 = 0xffff0ff1;
	d.dr7 = 0x400 | (1ULL << 40);
	expect_errno("debugregs: DR7 bit 40 is EINVAL", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_DEBUGREGS, &d));
	d.db[0] = 0x1111;
	d.db[1] = 0x2222;
	d.db[2] = 0x3333;
	d.db[3] = 0x4444;
	d.dr7 = 0x700;		/* LE, GE: no breakpoint enabled */
	expect_errno("debugregs: SET", 0, ioctl_errno(v.fd, KVM_SET_DEBUGREGS, &d));
	memset(&d2, 0xcc, sizeof(d2));
	ioctl(v.fd, KVM_GET_DEBUGREGS, &d2);
	check(!memcmp(&d, &d2, sizeof(d)), "debugregs: round trip",
	      "dr6 %#llx dr7 %#llx db0 %#llx", d2.dr6, d2.dr7, d2.db[0]);

	ok = true;
	for (i = 0; i < 8 && ok; i++) {
		ok = run_expect(&v, "debugregs: guest MOV from DRn", 0x60);
		if (ok && io_data(&v) != want_reads[i]) {
			check(false, "debugregs: guest reads what SET wrote",
			      "read %d (dr%d) = %#x, want %#x", i, i < 4 ? i : i + 2,
			      io_data(&v), want_reads[i]);
			ok = false;
		}
	}
	if (!ok)
		goto out;
	check(true, "debugregs: guest reads what SET wrote (DR0-7, DR4/5 alias)", " ");
	if (!run_expect(&v, "debugregs: DR6 write", 0x61))
		goto out;
	ioctl(v.fd, KVM_GET_DEBUGREGS, &d2);
	check(io_data(&v) == 0xffff0ff0 && d2.db[0] == 0x5555 && d2.dr6 == 0xffff0ff0,
	      "debugregs: guest writes seen by GET_DEBUGREGS",
	      "guest DR6 %#x, GET db0 %#llx dr6 %#llx", io_data(&v), d2.db[0], d2.dr6);

	bp = host_breakpoint();
	if (bp < 0)
		printf("SKIP: abi: debugregs: host breakpoint: perf_event_open: %s\n",
		       strerror(errno));
	host_watched = 1;
	if (!run_expect(&v, "debugregs: DR7 set", 0x62))
		goto out;
	ioctl(v.fd, KVM_GET_DEBUGREGS, &d2);
	check(d2.db[0] == 0x680 && d2.dr7 == 0x10401, "debugregs: guest enabled DR0",
	      "db0 %#llx dr7 %#llx", d2.db[0], d2.dr7);
	if (!run_expect(&v, "debugregs: data breakpoint DR6", 0x64))
		goto out;
	check(io_data(&v) == 0xffff0ff1, "debugregs: data breakpoint: DR6 = B0",
	      "DR6 %#x", io_data(&v));
	if (!run_expect(&v, "debugregs: data breakpoint DR7", 0x64))
		goto out;
	f = rm_frame(&vm, &v);
	check(io_data(&v) == 0x10401 && f.ip == AT(g_dr, g_dr_after_write),
	      "debugregs: data breakpoint: #DB trap after the write",
	      "DR7 %#x frame ip %#x (want %#x)", io_data(&v), f.ip,
	      AT(g_dr, g_dr_after_write));
	if (bp >= 0) {
		host_watched = 2;
		check(perf_count(bp) == 2, "debugregs: host breakpoint still fires after the guest's",
		      "perf count %llu, want 2", (unsigned long long)perf_count(bp));
		close(bp);
	}
	if (!run_expect(&v, "debugregs: after breakpoint", 0x63) ||
	    !run_expect(&v, "debugregs: GD DR6", 0x64))
		goto out;
	check(io_data(&v) == 0xffff2ff0, "debugregs: DR7.GD: DR6 = BD", "DR6 %#x",
	      io_data(&v));
	if (!run_expect(&v, "debugregs: GD DR7", 0x64))
		goto out;
	f = rm_frame(&vm, &v);
	check(io_data(&v) == 0x400 && f.ip == AT(g_dr, g_dr_gd),
	      "debugregs: DR7.GD: #DB fault on the MOV DR, GD cleared",
	      "DR7 %#x frame ip %#x (want %#x)", io_data(&v), f.ip, AT(g_dr, g_dr_gd));
	if (!run_expect(&v, "debugregs: MOV DR after GD", 0x65))
		goto out;
	check(io_data(&v) == 0x680, "debugregs: the MOV DR runs after the handler",
	      "DR0 %#x", io_data(&v));
out:
	vm_destroy(&vm);
}

static void test_irq_caps(void)
{
	int kvm = kvm_fd();

	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS) == 1,
	      "KVM_CAP_VCPU_EVENTS", "not 1");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) == 1,
	      "KVM_CAP_DEBUGREGS", "not 1");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_NMI) == 1,
	      "KVM_CAP_USER_NMI", "not 1");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_INTR_SHADOW) == 1,
	      "KVM_CAP_INTR_SHADOW", "not 1");
	close(kvm);
}

#define HALT_IN_KERNEL	"/sys/module/kvm/parameters/halt_in_kernel"

/* Set the halt_in_kernel parameter to "Y" or "N"; false if we cannot. */
static bool set_halt_in_kernel(char val)
{
	FILE *f = fopen(HALT_IN_KERNEL, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputc(val, f) != EOF;
	return fclose(f) == 0 && ok;
}

/* The parameter's value, 'Y' or 'N' ('N' if unreadable). */
static char get_halt_in_kernel(void)
{
	FILE *f = fopen(HALT_IN_KERNEL, "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y' ? 'Y' : 'N';
}

static uint32_t mp_state(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = ~0U };

	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

/*
 * halt_in_kernel=1: HLT with nothing to take sleeps in KVM_RUN; a signal
 * ends KVM_RUN but not the halt; writing back the same registers does not
 * wake it; KVM_SET_REGS with a new RIP (a SIPI, as QEMU delivers it) and
 * KVM_INTERRUPT with IF set do.
 */
static void test_halt_in_kernel(void)
{
	static const uint8_t code[] = {
		0xf4,		/* 0x1000: hlt */
		0xe6, 0x10,	/* 0x1001: out 0x10, al */
		0xe6, 0x11,	/* 0x1003: out 0x11, al (the "SIPI" target) */
		0xfb, 0xf4,	/* 0x1005: sti; hlt */
		0xe6, 0x12,	/* 0x1007: out 0x12, al (after the interrupt) */
		0xcf,		/* 0x1009: iret, vector 0x20's handler */
	};
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_interrupt irq = { .irq = 0x20 };
	char was = get_halt_in_kernel();
	struct kvm_regs r;
	struct vm vm;
	struct vcpu v;
	int rc, err;


	if (!set_halt_in_kernel('Y')) {
		check(false, "halt_in_kernel: set the parameter", "%s",
		      strerror(errno));
		return;
	}
	sigaction(SIGUSR1, &sa, NULL);
	/* The VM samples halt_in_kernel when it is created. */
	rm_guest(&vm, &v, code, code + sizeof(code), 0x2);
	set_halt_in_kernel(was);
	ivt_set(&vm, 0x20, 0x1009);

	rc = run_signalled(&v, &err);
	check(rc == -1 && err == EINTR && v.run->exit_reason == KVM_EXIT_INTR,
	      "halt_in_kernel: HLT sleeps until a signal", "rc %d errno %s exit %s",
	      rc, strerrorname_np(err), exit_name(v.run->exit_reason));
	check(mp_state(&v) == KVM_MP_STATE_HALTED && vcpu_rip(&v) == 0x1001,
	      "halt_in_kernel: HALTED after the HLT", "mp_state %u rip %#llx",
	      mp_state(&v), (unsigned long long)vcpu_rip(&v));

	/* The same registers written back: still halted, still asleep. */
	ioctl(v.fd, KVM_GET_REGS, &r);
	ioctl(v.fd, KVM_SET_REGS, &r);
	rc = run_signalled(&v, &err);
	check(rc == -1 && err == EINTR && mp_state(&v) == KVM_MP_STATE_HALTED,
	      "halt_in_kernel: the same KVM_SET_REGS does not wake",
	      "rc %d errno %s exit %s mp_state %u", rc, strerrorname_np(err),
	      exit_name(v.run->exit_reason), mp_state(&v));

	/* A new RIP: runnable, and it runs from there. */
	r.rip = 0x1003;
	ioctl(v.fd, KVM_SET_REGS, &r);
	check(mp_state(&v) == KVM_MP_STATE_RUNNABLE,
	      "halt_in_kernel: KVM_SET_REGS with a new RIP wakes", "mp_state %u",
	      mp_state(&v));
	if (run_expect(&v, "halt_in_kernel: runs at the new RIP", 0x11))
		check(vcpu_rip(&v) == 0x1005, "halt_in_kernel: runs at the new RIP",
		      "rip %#llx, not 0x1005", (unsigned long long)vcpu_rip(&v));

	/* STI; HLT, then KVM_INTERRUPT: delivered, and the HLT is over. */
	rc = run_signalled(&v, &err);
	check(rc == -1 && err == EINTR && mp_state(&v) == KVM_MP_STATE_HALTED,
	      "halt_in_kernel: STI; HLT sleeps", "rc %d errno %s mp_state %u",
	      rc, strerrorname_np(err), mp_state(&v));
	check(ioctl(v.fd, KVM_INTERRUPT, &irq) == 0,
	      "halt_in_kernel: KVM_INTERRUPT while halted", "%s", strerror(errno));
	if (run_expect(&v, "halt_in_kernel: the interrupt wakes it", 0x12))
		check(mp_state(&v) == KVM_MP_STATE_RUNNABLE,
		      "halt_in_kernel: the interrupt wakes it", "mp_state %u",
		      mp_state(&v));
	vm_destroy(&vm);
}

void test_irq(void)
{
	test_irq_caps();
	test_halt_in_kernel();
	test_nmi();
	test_reinject(true);
	test_reinject(false);
	test_shadow(0);
	test_shadow(1);
	test_shadow(2);
	test_window();
	test_events();
	test_cr8();
	test_debugregs();
}

