// SPDX-License-Identifier: GPL-2.0
/*
 * abi-irqchip.c: the abi program's irqchip group: the in-kernel IOAPIC,
 * PICs and GSI routing of KVM_CREATE_IRQCHIP.  KVM_GET/SET_IRQCHIP round
 * trips of the three chips, KVM_SET_GSI_ROUTING's refusals, the statuses
 * of KVM_IRQ_LINE_STATUS, and two guests.  One, in 32-bit protected
 * mode, programs the IOAPIC through its MMIO window (a level-triggered
 * pin: remote IRR, EOI, redelivery while the line is up; an
 * edge-triggered pin: coalescing) and takes a KVM_SIGNAL_MSI.  The other,
 * in real mode, programs the PICs with ICWs and takes a master and a
 * slave interrupt through the BSP's LVT0 (ExtINT at reset), ending them
 * with OCW2 EOIs; then OCW3 poll and auto-EOI.
 *
 * The expected values are upstream 6.1's (the group runs under
 * lab/run --upstream too).
 */
#include "abi.h"

#define IOAPIC_GPA	0xfec00000u
#define LAPIC_GPA	0xfee00000u
#define REDIR_MASKED	0x10000ull
#define REDIR_REMOTE_IRR	(1ull << 14)
/* Upstream's KVM_MAX_IRQ_ROUTES, plus one. */
#define KVM_MAX_IRQ_ROUTES_TEST	4097

static uint32_t io_data(struct vcpu *v)
{
	uint32_t d = 0;

	memcpy(&d, (uint8_t *)v->run + v->run->io.data_offset, v->run->io.size);
	return d;
}

/* KVM_RUN, expecting an exit to port @port: its data, or ~0 (and a FAIL). */
static uint32_t run_port(struct vcpu *v, const char *name, uint16_t port)
{
	int rc = vcpu_run(v);

	if (rc == 0 && v->run->exit_reason == KVM_EXIT_IO &&
	    v->run->io.port == port)
		return io_data(v);
	failures++;
	printf("FAIL: abi: %s: KVM_RUN %d (%s), exit %u port %#x, want port %#x\n",
	       name, rc, rc ? strerrorname_np(errno) : "ok",
	       v->run->exit_reason, v->run->io.port, port);
	return ~0u;
}

/* KVM_IRQ_LINE_STATUS: the status, or INT32_MIN if the ioctl failed. */
static int line_status(struct vm *vm, uint32_t irq, uint32_t level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l)) {
		printf("abi: KVM_IRQ_LINE_STATUS %u %u: %s\n", irq, level,
		       strerrorname_np(errno));
		return INT32_MIN;
	}
	return l.status;
}

static struct kvm_irqchip get_chip(struct vm *vm, uint32_t id)
{
	struct kvm_irqchip c;

	memset(&c, 0xcc, sizeof(c));
	c.chip_id = id;
	if (ioctl(vm->fd, KVM_GET_IRQCHIP, &c))
		printf("abi: KVM_GET_IRQCHIP %u: %s\n", id, strerrorname_np(errno));
	return c;
}

static void create_irqchip(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		printf("FAIL: abi: KVM_CREATE_IRQCHIP: %s\n", strerrorname_np(errno));
		exit(1);
	}
}

/* ---- KVM_GET_IRQCHIP / KVM_SET_IRQCHIP -------------------------------- */

static void test_irqchip_state(void)
{
	struct kvm_pic_state master = {
		.last_irr = 0x81, .irr = 0x42, .imr = 0xff, .isr = 0x10,
		.priority_add = 3, .irq_base = 0x68, .read_reg_select = 1,
		.poll = 0, .special_mask = 1, .init_state = 0, .auto_eoi = 1,
		.rotate_on_auto_eoi = 1, .special_fully_nested_mode = 1,
		.init4 = 1, .elcr = 0xa8, .elcr_mask = 0xf8,
	};
	struct kvm_pic_state slave = {
		.last_irr = 0x05, .irr = 0x24, .imr = 0xff, .isr = 0x02,
		.priority_add = 6, .irq_base = 0x70, .read_reg_select = 0,
		.poll = 0, .special_mask = 0, .init_state = 3, .auto_eoi = 0,
		.rotate_on_auto_eoi = 1, .special_fully_nested_mode = 0,
		.init4 = 1, .elcr = 0x9e, .elcr_mask = 0xde,
	};
	struct kvm_pic_state zero_master = { .elcr_mask = 0xf8 };
	struct kvm_pic_state zero_slave = { .elcr_mask = 0xde };
	struct kvm_ioapic_state io;
	struct kvm_irqchip c, got;
	struct vm vm;
	bool ok;
	int i;

	vm_create(&vm, 1 << 20);
	create_irqchip(&vm);

	got = get_chip(&vm, KVM_IRQCHIP_PIC_MASTER);
	check(!memcmp(&got.chip.pic, &zero_master, sizeof(zero_master)),
	      "irqchip: the master PIC after KVM_CREATE_IRQCHIP: zero, elcr_mask 0xf8",
	      "imr %#x irq_base %#x elcr_mask %#x", got.chip.pic.imr,
	      got.chip.pic.irq_base, got.chip.pic.elcr_mask);
	got = get_chip(&vm, KVM_IRQCHIP_PIC_SLAVE);
	check(!memcmp(&got.chip.pic, &zero_slave, sizeof(zero_slave)),
	      "irqchip: the slave PIC after KVM_CREATE_IRQCHIP: zero, elcr_mask 0xde",
	      "imr %#x irq_base %#x elcr_mask %#x", got.chip.pic.imr,
	      got.chip.pic.irq_base, got.chip.pic.elcr_mask);
	got = get_chip(&vm, KVM_IRQCHIP_IOAPIC);
	ok = got.chip.ioapic.base_address == IOAPIC_GPA &&
	     got.chip.ioapic.ioregsel == 0 && got.chip.ioapic.id == 0 &&
	     got.chip.ioapic.irr == 0 && got.chip.ioapic.pad == 0;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		ok &= got.chip.ioapic.redirtbl[i].bits == REDIR_MASKED;
	check(ok, "irqchip: the IOAPIC after KVM_CREATE_IRQCHIP: at 0xfec00000, every pin masked",
	      "base %#llx ioregsel %#x id %#x irr %#x entry 0 %#llx",
	      (unsigned long long)got.chip.ioapic.base_address,
	      got.chip.ioapic.ioregsel, got.chip.ioapic.id, got.chip.ioapic.irr,
	      (unsigned long long)got.chip.ioapic.redirtbl[0].bits);

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	c.chip.pic = master;
	expect_errno("irqchip: KVM_SET_IRQCHIP master PIC", 0,
		     ioctl_errno(vm.fd, KVM_SET_IRQCHIP, &c));
	c.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	c.chip.pic = slave;
	expect_errno("irqchip: KVM_SET_IRQCHIP slave PIC", 0,
		     ioctl_errno(vm.fd, KVM_SET_IRQCHIP, &c));
	got = get_chip(&vm, KVM_IRQCHIP_PIC_MASTER);
	check(!memcmp(&got.chip.pic, &master, sizeof(master)),
	      "irqchip: the master PIC's state reads back byte for byte",
	      "irr %#x isr %#x irq_base %#x elcr %#x", got.chip.pic.irr,
	      got.chip.pic.isr, got.chip.pic.irq_base, got.chip.pic.elcr);
	got = get_chip(&vm, KVM_IRQCHIP_PIC_SLAVE);
	check(!memcmp(&got.chip.pic, &slave, sizeof(slave)),
	      "irqchip: the slave PIC's state reads back byte for byte",
	      "irr %#x isr %#x irq_base %#x elcr %#x", got.chip.pic.irr,
	      got.chip.pic.isr, got.chip.pic.irq_base, got.chip.pic.elcr);

	/* Masked pins with lines up: nothing is delivered, irr stays. */
	memset(&io, 0, sizeof(io));
	io.base_address = IOAPIC_GPA;
	io.ioregsel = 0x2b;
	io.id = 5;
	io.irr = 0x00800401;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		io.redirtbl[i].bits = REDIR_MASKED | (0x20ull + i) |
				      ((uint64_t)(0x10 + i) << 56) |
				      ((i & 1) ? 0x8000 : 0) |	/* level */
				      ((i % 3) ? 0 : REDIR_REMOTE_IRR) |
				      ((uint64_t)(i & 7) << 8);	/* delivery mode */
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	c.chip.ioapic = io;
	expect_errno("irqchip: KVM_SET_IRQCHIP IOAPIC", 0,
		     ioctl_errno(vm.fd, KVM_SET_IRQCHIP, &c));
	got = get_chip(&vm, KVM_IRQCHIP_IOAPIC);
	ok = !memcmp(&got.chip.ioapic, &io, sizeof(io));
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (got.chip.ioapic.redirtbl[i].bits != io.redirtbl[i].bits)
			break;
	check(ok, "irqchip: the IOAPIC's state reads back byte for byte",
	      "ioregsel %#x id %#x irr %#x, first entry differing %d: %#llx",
	      got.chip.ioapic.ioregsel, got.chip.ioapic.id, got.chip.ioapic.irr,
	      i, i < KVM_IOAPIC_NUM_PINS ?
	      (unsigned long long)got.chip.ioapic.redirtbl[i].bits : 0ull);

	memset(&c, 0, sizeof(c));
	c.chip_id = 3;
	expect_errno("irqchip: KVM_GET_IRQCHIP chip 3 is EINVAL", EINVAL,
		     ioctl_errno(vm.fd, KVM_GET_IRQCHIP, &c));
	expect_errno("irqchip: KVM_SET_IRQCHIP chip 3 is EINVAL", EINVAL,
		     ioctl_errno(vm.fd, KVM_SET_IRQCHIP, &c));
	vm_destroy(&vm);
}

/* ---- KVM_SET_GSI_ROUTING ---------------------------------------------- */

static struct {
	struct kvm_irq_routing r;
	struct kvm_irq_routing_entry e[KVM_MAX_IRQ_ROUTES_TEST];
} *routing;

static int set_routing(struct vm *vm, uint32_t nr, uint32_t flags)
{
	routing->r.nr = nr;
	routing->r.flags = flags;
	return ioctl_errno(vm->fd, KVM_SET_GSI_ROUTING, routing);
}

static void route_chip(int i, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	memset(&routing->e[i], 0, sizeof(routing->e[i]));
	routing->e[i].gsi = gsi;
	routing->e[i].type = KVM_IRQ_ROUTING_IRQCHIP;
	routing->e[i].u.irqchip.irqchip = chip;
	routing->e[i].u.irqchip.pin = pin;
}

static void route_msi(int i, uint32_t gsi, uint32_t data)
{
	memset(&routing->e[i], 0, sizeof(routing->e[i]));
	routing->e[i].gsi = gsi;
	routing->e[i].type = KVM_IRQ_ROUTING_MSI;
	routing->e[i].u.msi.address_lo = LAPIC_GPA;
	routing->e[i].u.msi.data = data;
}

static void test_routing(void)
{
	struct vm vm;
	int st, st2;

	routing = calloc(1, sizeof(*routing));
	vm_create(&vm, 1 << 20);
	create_irqchip(&vm);

	route_chip(0, 0, KVM_IRQCHIP_IOAPIC, 2);
	route_chip(1, 0, KVM_IRQCHIP_PIC_MASTER, 0);
	route_chip(2, 4095, KVM_IRQCHIP_PIC_SLAVE, 7);
	route_msi(3, 100, 0x42);
	route_chip(4, 23, KVM_IRQCHIP_IOAPIC, 23);
	expect_errno("routing: a valid table of 5 entries", 0, set_routing(&vm, 5, 0));

	route_chip(0, 1, KVM_IRQCHIP_IOAPIC, 1);
	routing->e[0].type = 99;
	expect_errno("routing: an unknown type is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 1, KVM_IRQCHIP_IOAPIC, 24);
	expect_errno("routing: IOAPIC pin 24 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 1, KVM_IRQCHIP_PIC_MASTER, 8);
	expect_errno("routing: master PIC pin 8 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 1, KVM_IRQCHIP_PIC_SLAVE, 8);
	expect_errno("routing: slave PIC pin 8 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 1, 3, 0);
	expect_errno("routing: irqchip 3 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 4096, KVM_IRQCHIP_IOAPIC, 1);
	expect_errno("routing: gsi 4096 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 0xffffffff, KVM_IRQCHIP_IOAPIC, 1);
	expect_errno("routing: gsi 2^32-1 is EINVAL", EINVAL, set_routing(&vm, 1, 0));
	route_chip(0, 1, KVM_IRQCHIP_IOAPIC, 1);
	expect_errno("routing: table flags 1 are EINVAL", EINVAL, set_routing(&vm, 1, 1));
	for (int i = 0; i < KVM_MAX_IRQ_ROUTES_TEST; i++)
		route_chip(i, i, KVM_IRQCHIP_IOAPIC, i % 24);
	expect_errno("routing: 4097 entries are EINVAL", EINVAL,
		     set_routing(&vm, KVM_MAX_IRQ_ROUTES_TEST, 0));
	expect_errno("routing: 4096 entries, GSI 0-4095 to the IOAPIC", 0,
		     set_routing(&vm, KVM_MAX_IRQ_ROUTES_TEST - 1, 0));
	route_chip(0, 1, KVM_IRQCHIP_IOAPIC, 1);
	routing->e[0].flags = 1;
	expect_errno("routing: an irqchip entry with flags 1 is EINVAL", EINVAL,
		     set_routing(&vm, 1, 0));
	route_msi(0, 1, 0x42);
	routing->e[0].flags = 2;
	expect_errno("routing: an MSI entry with flags 2 is EINVAL", EINVAL,
		     set_routing(&vm, 1, 0));
	route_msi(0, 1, 0x42);
	routing->e[0].flags = KVM_MSI_VALID_DEVID;
	expect_errno("routing: an MSI entry with KVM_MSI_VALID_DEVID is taken (as upstream)",
		     0, set_routing(&vm, 1, 0));
	route_chip(0, 5, KVM_IRQCHIP_IOAPIC, 5);
	route_chip(1, 5, KVM_IRQCHIP_IOAPIC, 6);
	expect_errno("routing: a GSI routed twice to the IOAPIC is EINVAL", EINVAL,
		     set_routing(&vm, 2, 0));
	route_chip(0, 5, KVM_IRQCHIP_IOAPIC, 5);
	route_msi(1, 5, 0x42);
	expect_errno("routing: an MSI beside an irqchip route of the GSI is EINVAL",
		     EINVAL, set_routing(&vm, 2, 0));
	route_msi(0, 5, 0x42);
	route_chip(1, 5, KVM_IRQCHIP_IOAPIC, 5);
	expect_errno("routing: an irqchip route beside an MSI of the GSI is EINVAL",
		     EINVAL, set_routing(&vm, 2, 0));
	expect_errno("routing: an empty table", 0, set_routing(&vm, 0, 0));
	st = line_status(&vm, 5, 1);
	check(st == -1, "routing: a GSI routed nowhere: status -1", "status %d", st);

	/*
	 * A masked edge-triggered IOAPIC pin: -1, and raised again 0 (its
	 * IRR bit is still set: coalesced, as upstream counts it).
	 */
	route_chip(0, 7, KVM_IRQCHIP_IOAPIC, 7);
	set_routing(&vm, 1, 0);
	st = line_status(&vm, 7, 1);
	st2 = line_status(&vm, 7, 1);
	check(st == -1 && st2 == 0,
	      "routing: a masked IOAPIC pin: status -1, raised again 0",
	      "statuses %d %d", st, st2);
	vm_destroy(&vm);
	free(routing);
}

/* ---- a guest on the IOAPIC -------------------------------------------- */

/*
 * 32-bit protected mode without paging, flat segments (so that the
 * IOAPIC's window at 0xfec00000 and the local APIC's page at 0xfee00000
 * are plain addresses on SVM and VMX alike), an IDT of interrupt gates.
 * Pin 16: level-triggered, vector 0x40; pin 17: edge-triggered, vector
 * 0x41; an MSI brings 0x42.  The handlers count at 0x600, 0x601, 0x602.
 */
#define IOA	"0xfec00000"
#define IOWIN	"0xfec00010"
#define APIC(reg)	"0xfee00" reg
GUEST_ASM(g_ioa, ".code32",
	"movl $0x1ff, " APIC("0f0") "\n"	/* SVR: the APIC on */
	"movb $0xff, %al\n"
	"outb %al, $0x21\n"		/* both PICs masked */
	"outb %al, $0xa1\n"
	"movl $0x1234, " IOA "\n"
	"movl " IOA ", %eax\n"
	"outl %eax, $0x18\n"		/* IOREGSEL: 8 bits */
	"movl $0, " IOA "\n"
	"movl $0xfa000000, " IOWIN "\n"
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x18\n"		/* the id: 4 bits */
	"movl $2, " IOA "\n"
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x18\n"		/* arbitration: the id */
	"movl $0x40, " IOA "\n"
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x18\n"		/* pin 24: none */
	"movl $0x34, " IOA "\n"		/* pin 18 */
	"movl $0x1d043, " IOWIN "\n"	/* remote IRR, delivery status */
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x18\n"
	"movl $1, " IOA "\n"
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x10\n"		/* the version register */
	"movl $0x30, " IOA "\n"		/* pin 16, low half */
	"movl $0x8040, " IOWIN "\n"
	"movl $0x31, " IOA "\n"
	"movl $0, " IOWIN "\n"		/* APIC 0, physical */
	"movl $0x32, " IOA "\n"		/* pin 17 */
	"movl $0x41, " IOWIN "\n"
	"movl $0x33, " IOA "\n"
	"movl $0, " IOWIN "\n"
	"movl $0x30, " IOA "\n"
	"movl " IOWIN ", %eax\n"
	"outl %eax, $0x11\n"		/* pin 16's low half */
	"movl " IOA ", %eax\n"
	"outl %eax, $0x11\n"		/* IOREGSEL */
	"outb %al, $0x12\n"		/* ready: the level-triggered pin */
"1:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $2, 0x600\n"
	"jne 1b\n"
	"outb %al, $0x13\n"		/* ready: the edge-triggered pin */
"2:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $1, 0x601\n"
	"jne 2b\n"
	"outb %al, $0x14\n"		/* ready: the MSI */
"3:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $1, 0x602\n"
	"jne 3b\n"
	"movl 0x600, %eax\n"
	"outl %eax, $0x15\n"		/* the counts */
	"hlt\n"
"g_ioa_h40:\n"
	"incb 0x600\n"
	"movb 0x600, %al\n"
	"outb %al, $0x16\n"		/* in the handler */
	"movl $0, " APIC("0b0") "\n"	/* EOI */
	"outb %al, $0x17\n"		/* after the EOI */
	"iret\n"
"g_ioa_h41:\n"
	"incb 0x601\n"
	"movl $0, " APIC("0b0") "\n"
	"iret\n"
"g_ioa_h42:\n"
	"incb 0x602\n"
	"movl $0, " APIC("0b0") "\n"
	"iret\n");
extern const uint8_t g_ioa[], g_ioa_end[], g_ioa_h40[], g_ioa_h41[],
	g_ioa_h42[];

#define PM_GDT		0x500
#define PM_IDT		0x800
#define PM_IDT_VECTORS	0x43

/* A VM with an in-kernel irqchip and one vCPU on [start, end) at GUEST_BASE. */
static void irqchip_vm(struct vm *vm, struct vcpu *v, const uint8_t *start,
		       const uint8_t *end)
{
	vm_create(vm, 1 << 20);
	create_irqchip(vm);
	vcpu_create(vm, v, 0);
	memcpy(vm->mem + GUEST_BASE, start, end - start);
}

/* 32-bit protected mode at GUEST_BASE: flat code (8) and data (0x10), IF clear. */
static void pm32_guest(struct vm *vm, struct vcpu *v, const uint8_t *start,
		       const uint8_t *end)
{
	uint64_t gdt[3] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };
	struct kvm_segment code = { .selector = 8, .limit = 0xffffffff, .type = 11,
		.present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_segment data = { .selector = 0x10, .limit = 0xffffffff, .type = 3,
		.present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_regs r = { .rip = GUEST_BASE, .rsp = GUEST_SP, .rflags = 2 };
	struct kvm_sregs s;

	irqchip_vm(vm, v, start, end);
	memcpy(vm->mem + PM_GDT, gdt, sizeof(gdt));
	ioctl(v->fd, KVM_GET_SREGS, &s);
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.gdt.base = PM_GDT;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = PM_IDT;
	s.idt.limit = PM_IDT_VECTORS * 8 - 1;
	s.cr0 = 0x11;		/* PE, ET */
	ioctl(v->fd, KVM_SET_SREGS, &s);
	ioctl(v->fd, KVM_SET_REGS, &r);
}

/* A 32-bit interrupt gate for @vector to 8:@ip. */
static void idt_set(struct vm *vm, int vector, uint32_t ip)
{
	uint32_t *e = (uint32_t *)(vm->mem + PM_IDT + vector * 8);

	e[0] = (ip & 0xffff) | (8 << 16);
	e[1] = (ip & 0xffff0000) | 0x8e00;
}

/* The same VM with the vCPU in real mode at GUEST_BASE, SP = GUEST_SP, IF clear. */
static void irqchip_guest(struct vm *vm, struct vcpu *v, const uint8_t *start,
			  const uint8_t *end)
{
	struct kvm_regs r;

	irqchip_vm(vm, v, start, end);
	vcpu_real_mode(v, GUEST_BASE);
	ioctl(v->fd, KVM_GET_REGS, &r);
	r.rsp = GUEST_SP;
	r.rflags = 2;
	ioctl(v->fd, KVM_SET_REGS, &r);
}

static uint64_t redir(struct vm *vm, int pin, uint32_t *irr)
{
	struct kvm_irqchip c = get_chip(vm, KVM_IRQCHIP_IOAPIC);

	if (irr)
		*irr = c.chip.ioapic.irr;
	return c.chip.ioapic.redirtbl[pin].bits;
}

static void test_ioapic_guest(void)
{
	struct kvm_msi msi = { .address_lo = LAPIC_GPA, .data = 0x42 };
	struct vm vm;
	struct vcpu v;
	uint32_t d, irr;
	uint64_t e16, e17;
	int st, st2, st3, r;

	pm32_guest(&vm, &v, g_ioa, g_ioa_end);
	idt_set(&vm, 0x40, AT(g_ioa, g_ioa_h40));
	idt_set(&vm, 0x41, AT(g_ioa, g_ioa_h41));
	idt_set(&vm, 0x42, AT(g_ioa, g_ioa_h42));

	d = run_port(&v, "ioapic guest: ioregsel", 0x18);
	check(d == 0x34, "ioapic guest: IOREGSEL keeps 8 bits (0x1234 reads 0x34)",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: id", 0x18);
	check(d == 0x0a000000, "ioapic guest: the id register keeps bits 24-27",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: arb", 0x18);
	check(d == 0x0a000000, "ioapic guest: the arbitration register reads the id",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: pin 24", 0x18);
	check(d == 0xffffffff, "ioapic guest: the entry of pin 24 reads all ones",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: read-only bits", 0x18);
	check(d == 0x18043,
	      "ioapic guest: remote IRR and delivery status are not written (0x1d043 reads 0x18043)",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: version", 0x10);
	check(d == 0x00170011, "ioapic guest: the version register reads 0x00170011",
	      "%#x", d);
	d = run_port(&v, "ioapic guest: entry", 0x11);
	check(d == 0x8040, "ioapic guest: pin 16's entry reads back 0x8040", "%#x", d);
	d = run_port(&v, "ioapic guest: ioregsel", 0x11);
	check(d == 0x30, "ioapic guest: IOREGSEL reads back 0x30", "%#x", d);
	if (run_port(&v, "ioapic guest: ready", 0x12) == ~0u)
		goto out;
	e16 = redir(&vm, 16, &irr);
	e17 = redir(&vm, 17, NULL);
	check(e16 == 0x8040 && e17 == 0x41 && redir(&vm, 15, NULL) == REDIR_MASKED &&
	      irr == 0,
	      "ioapic guest: KVM_GET_IRQCHIP shows the entries the guest wrote",
	      "pin 16 %#llx pin 17 %#llx pin 15 %#llx irr %#x",
	      (unsigned long long)e16, (unsigned long long)e17,
	      (unsigned long long)redir(&vm, 15, NULL), irr);

	/* The level-triggered pin. */
	st = line_status(&vm, 16, 1);
	check(st == 1, "ioapic guest: level pin raised: status 1 (delivered)",
	      "status %d", st);
	d = run_port(&v, "ioapic guest: level, handler", 0x16);
	e16 = redir(&vm, 16, &irr);
	check(d == 1 && e16 == (0x8040 | REDIR_REMOTE_IRR) && irr == 1u << 16,
	      "ioapic guest: in the handler: remote IRR set, irr bit 16",
	      "count %u entry %#llx irr %#x", d, (unsigned long long)e16, irr);
	st = line_status(&vm, 16, 1);
	check(st == -1, "ioapic guest: level pin raised again with remote IRR set: status -1 (upstream)",
	      "status %d", st);
	d = run_port(&v, "ioapic guest: level, after EOI", 0x17);
	e16 = redir(&vm, 16, &irr);
	check(d == 1 && e16 == (0x8040 | REDIR_REMOTE_IRR) && irr == 1u << 16,
	      "ioapic guest: EOI with the line still up: delivered again, remote IRR set",
	      "count %u entry %#llx irr %#x", d, (unsigned long long)e16, irr);
	d = run_port(&v, "ioapic guest: level, redelivered", 0x16);
	check(d == 2, "ioapic guest: the redelivered interrupt runs the handler again",
	      "count %u", d);
	st = line_status(&vm, 16, 0);
	check(st == 1, "ioapic guest: level pin lowered: status 1", "status %d", st);
	d = run_port(&v, "ioapic guest: level, second EOI", 0x17);
	e16 = redir(&vm, 16, &irr);
	check(d == 2 && e16 == 0x8040 && irr == 0,
	      "ioapic guest: EOI with the line down: remote IRR clear, no irr",
	      "count %u entry %#llx irr %#x", d, (unsigned long long)e16, irr);

	/* The edge-triggered pin. */
	if (run_port(&v, "ioapic guest: edge ready", 0x13) == ~0u)
		goto out;
	st = line_status(&vm, 17, 1);
	st2 = line_status(&vm, 17, 1);
	st3 = line_status(&vm, 17, 0);
	check(st == 1 && st2 == 0 && st3 == 1,
	      "ioapic guest: edge pin: raised 1, raised again 0 (coalesced), lowered 1",
	      "statuses %d %d %d", st, st2, st3);
	e17 = redir(&vm, 17, &irr);
	check(e17 == 0x41 && irr == 0,
	      "ioapic guest: edge pin: no remote IRR, irr clear after lowering",
	      "entry %#llx irr %#x", (unsigned long long)e17, irr);

	/* KVM_SIGNAL_MSI. */
	if (run_port(&v, "ioapic guest: msi ready", 0x14) == ~0u)
		goto out;
	msi.flags = 2;
	expect_errno("ioapic guest: KVM_SIGNAL_MSI with flags 2 is EINVAL", EINVAL,
		     ioctl_errno(vm.fd, KVM_SIGNAL_MSI, &msi));
	msi.flags = 0;
	r = ioctl(vm.fd, KVM_SIGNAL_MSI, &msi);
	check(r == 1, "ioapic guest: KVM_SIGNAL_MSI to APIC 0, vector 0x42: 1",
	      "returned %d (%s)", r, r < 0 ? strerrorname_np(errno) : "");
	d = run_port(&v, "ioapic guest: counts", 0x15);
	check(d == 0x00010102,
	      "ioapic guest: handlers ran 2 (level), 1 (edge), 1 (MSI) times",
	      "counts %#x", d);
out:
	vm_destroy(&vm);
}

/* ---- a guest on the PICs ---------------------------------------------- */

/* Master at vector 0x20 (IRQ3: 0x23), slave at 0x28 (IRQ10: 0x2a). */
GUEST_ASM(g_pic, ".code16",
	"movb $0xff, %al\n"
	"movw $0x4d0, %dx\n"
	"outb %al, %dx\n"		/* ELCR: IRQ0-2 stay edge */
	"inb %dx, %al\n"
	"outb %al, $0x10\n"
	"movb $0, %al\n"
	"outb %al, %dx\n"
	"movb $0x11, %al\n"		/* ICW1: edge, cascade, ICW4 */
	"outb %al, $0x20\n"
	"movb $0x20, %al\n"		/* ICW2 */
	"outb %al, $0x21\n"
	"movb $0x04, %al\n"		/* ICW3: slave on IRQ2 */
	"outb %al, $0x21\n"
	"movb $0x01, %al\n"		/* ICW4: 8086 mode */
	"outb %al, $0x21\n"
	"movb $0x11, %al\n"
	"outb %al, $0xa0\n"
	"movb $0x28, %al\n"
	"outb %al, $0xa1\n"
	"movb $0x02, %al\n"
	"outb %al, $0xa1\n"
	"movb $0x01, %al\n"
	"outb %al, $0xa1\n"
	"movb $0xf3, %al\n"		/* OCW1: IRQ2 and IRQ3 */
	"outb %al, $0x21\n"
	"movb $0xfb, %al\n"		/* IRQ10 */
	"outb %al, $0xa1\n"
	"inb $0x21, %al\n"
	"outb %al, $0x11\n"
	"outb %al, $0x12\n"		/* ready: IRQ3 */
"1:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $1, 0x600\n"
	"jne 1b\n"
	"outb %al, $0x13\n"		/* ready: IRQ10 */
"2:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $1, 0x601\n"
	"jne 2b\n"
	"outb %al, $0x17\n"		/* ready: poll, with IF clear */
	"movb $0x0c, %al\n"		/* OCW3: poll */
	"outb %al, $0x20\n"
	"inb $0x20, %al\n"
	"outb %al, $0x17\n"
	"movb $0x0c, %al\n"
	"outb %al, $0x20\n"
	"inb $0x20, %al\n"
	"outb %al, $0x17\n"
	"movb $0x11, %al\n"		/* the master again, auto-EOI */
	"outb %al, $0x20\n"
	"movb $0x20, %al\n"
	"outb %al, $0x21\n"
	"movb $0x04, %al\n"
	"outb %al, $0x21\n"
	"movb $0x03, %al\n"
	"outb %al, $0x21\n"
	"movb $0xf3, %al\n"
	"outb %al, $0x21\n"
	"outb %al, $0x18\n"		/* ready: auto-EOI */
"3:\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"cmpb $2, 0x600\n"
	"jne 3b\n"
	"movw 0x600, %ax\n"
	"outw %ax, $0x14\n"
	"hlt\n"
"g_pic_h23:\n"
	"incb 0x600\n"
	"movb $0x0b, %al\n"		/* OCW3: read ISR */
	"outb %al, $0x20\n"
	"inb $0x20, %al\n"
	"outb %al, $0x15\n"
	"movb $0x20, %al\n"		/* OCW2: non-specific EOI */
	"outb %al, $0x20\n"
	"inb $0x20, %al\n"
	"outb %al, $0x15\n"
	"movb $0x0a, %al\n"		/* OCW3: read IRR */
	"outb %al, $0x20\n"
	"iret\n"
"g_pic_h2a:\n"
	"incb 0x601\n"
	"movb $0x0b, %al\n"
	"outb %al, $0xa0\n"
	"outb %al, $0x20\n"
	"inb $0xa0, %al\n"
	"outb %al, $0x16\n"		/* the slave's ISR */
	"inb $0x20, %al\n"
	"outb %al, $0x16\n"		/* the master's */
	"movb $0x20, %al\n"		/* the slave: non-specific EOI */
	"outb %al, $0xa0\n"
	"movb $0x62, %al\n"		/* the master: specific EOI, IRQ2 */
	"outb %al, $0x20\n"
	"inb $0xa0, %al\n"
	"outb %al, $0x16\n"
	"inb $0x20, %al\n"
	"outb %al, $0x16\n"
	"iret\n");
extern const uint8_t g_pic[], g_pic_end[], g_pic_h23[], g_pic_h2a[];

static void test_pic_guest(void)
{
	struct kvm_pic_state want = {
		.imr = 0xf3, .irq_base = 0x20, .init4 = 1, .elcr_mask = 0xf8,
	};
	struct kvm_lapic_state lapic;
	struct kvm_irqchip c;
	uint32_t lvt0, d[4];
	struct vm vm;
	struct vcpu v;
	int st, st2, i;

	irqchip_guest(&vm, &v, g_pic, g_pic_end);
	ivt_set(&vm, 0x23, AT(g_pic, g_pic_h23));
	ivt_set(&vm, 0x2a, AT(g_pic, g_pic_h2a));

	memset(&lapic, 0, sizeof(lapic));
	ioctl(v.fd, KVM_GET_LAPIC, &lapic);
	memcpy(&lvt0, lapic.regs + 0x350, 4);
	check(lvt0 == 0x700, "pic guest: the BSP's LVT0 at reset: ExtINT, unmasked (0x700)",
	      "%#x", lvt0);

	d[0] = run_port(&v, "pic guest: elcr", 0x10);
	check(d[0] == 0xf8, "pic guest: ELCR 0xff on the master reads 0xf8", "%#x", d[0]);
	d[0] = run_port(&v, "pic guest: imr", 0x11);
	check(d[0] == 0xf3, "pic guest: OCW1 reads back", "%#x", d[0]);
	if (run_port(&v, "pic guest: ready", 0x12) == ~0u)
		goto out;
	c = get_chip(&vm, KVM_IRQCHIP_PIC_MASTER);
	check(!memcmp(&c.chip.pic, &want, sizeof(want)),
	      "pic guest: the master's state after ICW1-4 and OCW1",
	      "imr %#x irq_base %#x init_state %u init4 %u auto_eoi %u",
	      c.chip.pic.imr, c.chip.pic.irq_base, c.chip.pic.init_state,
	      c.chip.pic.init4, c.chip.pic.auto_eoi);

	/* GSI 3: the master's IRQ3 (1) and the masked IOAPIC pin 3 (-1). */
	st = line_status(&vm, 3, 1);
	st2 = line_status(&vm, 3, 0);
	check(st == 1 && st2 == 2,
	      "pic guest: IRQ3 raised: status 1; lowered: 2 (PIC and IOAPIC)",
	      "statuses %d %d", st, st2);
	d[0] = run_port(&v, "pic guest: master isr", 0x15);
	d[1] = run_port(&v, "pic guest: master isr after EOI", 0x15);
	check(d[0] == 0x08 && d[1] == 0,
	      "pic guest: vector 0x23 taken: ISR 0x08, 0 after a non-specific EOI",
	      "ISR %#x, then %#x", d[0], d[1]);
	if (run_port(&v, "pic guest: ready slave", 0x13) == ~0u)
		goto out;

	st = line_status(&vm, 10, 1);
	st2 = line_status(&vm, 10, 0);
	check(st == 1 && st2 == 2,
	      "pic guest: IRQ10 raised: status 1; lowered: 2", "statuses %d %d",
	      st, st2);
	for (i = 0; i < 4; i++)
		d[i] = run_port(&v, "pic guest: slave isr", 0x16);
	check(d[0] == 0x04 && d[1] == 0x04 && d[2] == 0 && d[3] == 0,
	      "pic guest: vector 0x2a taken: slave and master ISR 0x04, 0 after the EOIs",
	      "slave %#x master %#x, then %#x %#x", d[0], d[1], d[2], d[3]);

	/* Poll mode: the pending IRQ3 without an INTA, then none (7). */
	if (run_port(&v, "pic guest: ready poll", 0x17) == ~0u)
		goto out;
	st = line_status(&vm, 3, 1);
	st2 = line_status(&vm, 3, 0);
	d[0] = run_port(&v, "pic guest: poll", 0x17);
	d[1] = run_port(&v, "pic guest: poll again", 0x17);
	check(st == 1 && st2 == 2 && d[0] == 3 && d[1] == 7,
	      "pic guest: OCW3 poll reads 3 (IRQ3, as upstream: no bit 7), then 7 (none)",
	      "statuses %d %d, polls %#x %#x", st, st2, d[0], d[1]);

	/* Auto-EOI: ISR is clear in the handler. */
	if (run_port(&v, "pic guest: ready auto-EOI", 0x18) == ~0u)
		goto out;
	want.auto_eoi = 1;
	c = get_chip(&vm, KVM_IRQCHIP_PIC_MASTER);
	check(!memcmp(&c.chip.pic, &want, sizeof(want)),
	      "pic guest: the master's state after ICW4 with auto-EOI",
	      "imr %#x irq_base %#x isr %#x irr %#x auto_eoi %u read_reg_select %u",
	      c.chip.pic.imr, c.chip.pic.irq_base, c.chip.pic.isr,
	      c.chip.pic.irr, c.chip.pic.auto_eoi, c.chip.pic.read_reg_select);
	st = line_status(&vm, 3, 1);
	st2 = line_status(&vm, 3, 0);
	d[0] = run_port(&v, "pic guest: auto-EOI isr", 0x15);
	d[1] = run_port(&v, "pic guest: auto-EOI isr after EOI", 0x15);
	check(st == 1 && st2 == 2 && d[0] == 0 && d[1] == 0,
	      "pic guest: auto-EOI: vector 0x23 taken with ISR 0",
	      "statuses %d %d, ISR %#x %#x", st, st2, d[0], d[1]);

	d[0] = run_port(&v, "pic guest: counts", 0x14);
	check(d[0] == 0x0102, "pic guest: the handlers ran 2 (IRQ3) and 1 (IRQ10) times",
	      "counts %#x", d[0]);
	c = get_chip(&vm, KVM_IRQCHIP_PIC_SLAVE);
	check(c.chip.pic.isr == 0 && c.chip.pic.irr == 0 && c.chip.pic.imr == 0xfb &&
	      c.chip.pic.irq_base == 0x28,
	      "pic guest: the slave's state at the end",
	      "isr %#x irr %#x imr %#x irq_base %#x", c.chip.pic.isr,
	      c.chip.pic.irr, c.chip.pic.imr, c.chip.pic.irq_base);
out:
	vm_destroy(&vm);
}

void test_irqchip(void)
{
	test_irqchip_state();
	test_routing();
	test_ioapic_guest();
	test_pic_guest();
}
