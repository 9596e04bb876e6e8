// SPDX-License-Identifier: GPL-2.0
/*
 * tests/kut/flatrun's devices, in userspace (flatrun.c's comment lists
 * them): the 8259s for pc-testdev's IRQ lines, the local APIC, the ports
 * (COM1, isa-debug-exit, fw_cfg, pc-testdev) and the MMIO (the APIC page,
 * pc-testdev's memory).
 */
#define _GNU_SOURCE
#include "flatrun.h"

void apic__reset(struct apic *apic)
{
	int off;

	memset(apic, 0, sizeof(*apic));
	apic->reg[APIC_LVR >> 4] = APIC_LVR_VALUE;
	apic->reg[APIC_DFR >> 4] = 0xffffffff;
	apic->reg[APIC_SPIV >> 4] = 0xff;
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		apic->reg[off >> 4] = APIC_LVT_MASKED;
	/* As SeaBIOS leaves them: LINT0 ExtINT, LINT1 NMI. */
	apic->reg[APIC_LVT0 >> 4] = APIC_DM_EXTINT << 8;
	apic->reg[APIC_LVT1 >> 4] = APIC_DM_NMI << 8;
}

void pic__reset(struct pic *pic)
{
	memset(pic, 0, 2 * sizeof(*pic));
	pic[0].base = 0x08;
	pic[1].base = 0x70;
}

/* The PIC's vector to inject now, or -1. */
int pic__pending(struct vm *vm)
{
	struct pic *pic = vm->pic;
	uint32_t lvt0 = vm->apic.reg[APIC_LVT0 >> 4];
	uint8_t m = pic[0].irr & ~pic[0].imr, s = pic[1].irr & ~pic[1].imr;
	int irq;

	if ((lvt0 & APIC_LVT_MASKED) || ((lvt0 >> 8) & 7) != APIC_DM_EXTINT)
		return -1;
	for (irq = 0; irq < 8; irq++) {
		if (irq == 2 && s && !(pic[0].imr & (1 << 2)))
			return pic[1].base + __builtin_ctz(s);
		if (m & (1 << irq))
			return pic[0].base + irq;
	}
	return -1;
}

/* Acknowledge @vector, pic__pending()'s: an edge, no ISR kept. */
static void pic__ack(struct vm *vm, int vector)
{
	int i = (vector & 0xf8) == vm->pic[1].base;

	vm->pic[i].irr &= ~(1 << (vector & 7));
}

static void pic__out(struct vm *vm, uint16_t port, uint8_t v)
{
	struct pic *pic = &vm->pic[port >= 0xa0];

	if (!(port & 1)) {
		if (v & 0x10) {		/* ICW1 */
			pic->icw_step = 1;
			pic->icw4 = v & 1;
			pic->imr = 0;
			pic->irr = 0;
		}
		return;			/* OCW2 (EOI), OCW3: nothing kept */
	}
	switch (pic->icw_step) {
	case 1:				/* ICW2: the vector base */
		pic->base = v & 0xf8;
		pic->icw_step = 2;
		break;
	case 2:				/* ICW3 */
		pic->icw_step = pic->icw4 ? 3 : 0;
		break;
	case 3:				/* ICW4 */
		pic->icw_step = 0;
		break;
	default:			/* OCW1: the mask */
		pic->imr = v;
		break;
	}
}

static uint8_t pic__in(struct vm *vm, uint16_t port)
{
	return port & 1 ? vm->pic[port >= 0xa0].imr : 0;
}

/* pc-testdev's IRQ line @line (0-23) to @level: a rising edge on 0-15 is an IRQ. */
static void testdev__irq_line(struct vm *vm, int line, bool level)
{
	bool was = vm->testdev_irq_lines & (1U << line);

	if (level)
		vm->testdev_irq_lines |= 1U << line;
	else
		vm->testdev_irq_lines &= ~(1U << line);
	if (!level || was || line >= 16)
		return;
	vm->pic[line >= 8].irr |= 1 << (line & 7);
}


/* ---- the local APIC ------------------------------------------------------ */

static int apic__highest(const uint32_t *bits)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

/* The vector to inject now (TPR and ISR allowing), or -1. */
int apic__pending(struct apic *apic)
{
	int irr = apic__highest(apic->irr), isr = apic__highest(apic->isr);
	int tpr = apic->reg[APIC_TASKPRI >> 4] & 0xf0;

	if (irr < 0 || !(apic->reg[APIC_SPIV >> 4] & 0x100))
		return -1;
	if ((irr & 0xf0) <= tpr || (isr >= 0 && (irr & 0xf0) <= (isr & 0xf0)))
		return -1;
	return irr;
}

static void apic__set(uint32_t *bits, int vector, bool on)
{
	if (on)
		bits[vector / 32] |= 1U << (vector % 32);
	else
		bits[vector / 32] &= ~(1U << (vector % 32));
}

/* An IPI: only this vCPU exists, so only one that reaches itself acts. */
static void apic__send_ipi(struct vm *vm, uint32_t icr)
{
	struct apic *apic = &vm->apic;
	int mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3;
	uint32_t dest = apic->reg[APIC_ICR2 >> 4] >> 24;
	bool self;

	switch (shorthand) {
	case APIC_SH_SELF:
	case APIC_SH_ALL:
		self = true;
		break;
	case APIC_SH_OTHERS:
		self = false;
		break;
	default:
		if (icr & APIC_ICR_LOGICAL)
			self = dest & (apic->reg[APIC_LDR >> 4] >> 24);
		else
			self = dest == (apic->reg[APIC_ID >> 4] >> 24) || dest == 0xff;
		break;
	}
	if (!self)
		return;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		apic__set(apic->irr, icr & 0xff, true);
		break;
	case APIC_DM_NMI:
		if (ioctl(vm->vcpu_fd, KVM_NMI, 0) < 0)
			fail_errno(0, "KVM_NMI");
		break;
	default:
		if (vm__first_time(vm, 1, APIC_BASE_ADDR + APIC_ICR))
			note("APIC: an IPI to itself in delivery mode %d (ICR %#x) ignored",
			     mode, icr);
		break;
	}
}

static uint32_t apic__read(struct vm *vm, uint32_t off)
{
	struct apic *apic = &vm->apic;
	uint32_t reg = off & 0xff0;

	if (reg >= APIC_ISR && reg < APIC_ISR + 0x80)
		return apic->isr[(reg - APIC_ISR) >> 4];
	if (reg >= APIC_TMR && reg < APIC_TMR + 0x80)
		return 0;
	if (reg >= APIC_IRR && reg < APIC_IRR + 0x80)
		return apic->irr[(reg - APIC_IRR) >> 4];
	switch (reg) {
	case APIC_PROCPRI: {
		int isr = apic__highest(apic->isr);
		uint32_t tpr = apic->reg[APIC_TASKPRI >> 4] & 0xff;

		return isr >= 0 && (uint32_t)(isr & 0xf0) > (tpr & 0xf0) ? isr & 0xf0 : tpr;
	}
	case APIC_EOI:
	case APIC_TMCCT:
		return 0;
	case APIC_ICR:
		return apic->reg[reg >> 4] & ~APIC_ICR_BUSY;
	default:
		return apic->reg[reg >> 4];
	}
}

static void apic__write(struct vm *vm, uint32_t off, uint32_t val)
{
	struct apic *apic = &vm->apic;
	uint32_t reg = off & 0xff0;
	int isr;

	if ((reg >= APIC_ISR && reg < APIC_IRR + 0x80) || reg == APIC_LVR ||
	    reg == APIC_PROCPRI || reg == APIC_TMCCT)
		return;		/* read-only */
	switch (reg) {
	case APIC_EOI:
		isr = apic__highest(apic->isr);
		if (isr >= 0)
			apic__set(apic->isr, isr, false);
		break;
	case APIC_ESR:
		apic->reg[reg >> 4] = 0;
		break;
	case APIC_ICR:
		apic->reg[reg >> 4] = val;
		apic__send_ipi(vm, val);
		break;
	default:
		apic->reg[reg >> 4] = val;
		break;
	}
}

/*
 * Before KVM_RUN: inject the pending vector if the guest takes interrupts
 * now, else ask for an exit when it does.  The TPR is the APIC's and CR8.
 */
int vcpu__inject(struct vm *vm)
{
	struct kvm_interrupt irq;
	int vector;

	bool from_pic = false;

	vm->run->cr8 = (vm->apic.reg[APIC_TASKPRI >> 4] >> 4) & 0xf;
	vm->run->request_interrupt_window = 0;
	vector = apic__pending(&vm->apic);
	if (vector < 0) {
		vector = pic__pending(vm);
		from_pic = true;
	}
	if (vector < 0)
		return 0;
	if (!vm->run->ready_for_interrupt_injection || !vm->run->if_flag) {
		vm->run->request_interrupt_window = 1;
		return 0;
	}
	irq.irq = vector;
	if (ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return fail_errno(EXIT_GUEST, "KVM_INTERRUPT");
	if (from_pic) {
		pic__ack(vm, vector);
		return 0;
	}
	apic__set(vm->apic.irr, vector, false);
	apic__set(vm->apic.isr, vector, true);
	return 0;
}

/* ---- port I/O -------------------------------------------------------------- */

static uint8_t fwcfg__read(struct vm *vm)
{
	struct fwcfg *f = &vm->fwcfg;
	uint8_t item[8] = { 0 };
	uint64_t v = 0;
	size_t len = 0;

	switch (f->key) {
	case FW_CFG_SIGNATURE:
		memcpy(item, "QEMU", 4);
		len = 4;
		break;
	case FW_CFG_ID:
		v = 1;		/* the traditional interface, no DMA */
		len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		v = vm->mem_size;
		len = 8;
		break;
	case FW_CFG_NOGRAPHIC:
		v = 1;
		len = 2;
		break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		v = 1;
		len = 2;
		break;
	case FW_CFG_MAX_RAM:
		v = 0;		/* "no limit" to lib/x86/setup.c */
		len = 8;
		break;
	default:
		if (vm__first_time(vm, 0, 0x10000 + f->key))
			note("fw_cfg: key %#x not modelled: reads 0", f->key);
		break;
	}
	if (f->key != FW_CFG_SIGNATURE)
		memcpy(item, &v, sizeof(v));
	return f->offset < len ? item[f->offset++] : 0;
}

static void uart__out(struct vm *vm, int reg, uint8_t v)
{
	struct uart *u = &vm->uart;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab)
			u->dll = v;
		else
			putchar(v);
		break;
	case 1:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v;
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v;
		break;
	case 7:
		u->scr = v;
		break;
	}
}

static uint8_t uart__in(struct vm *vm, int reg)
{
	struct uart *u = &vm->uart;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		return dlab ? u->dll : 0;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		return UART_IIR_NO_INT;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return UART_LSR_THRE_TEMT;
	case 7:
		return u->scr;
	default:
		return 0;
	}
}

static bool port__ignored(uint16_t port)
{
	return (port >= 0x40 && port <= 0x43) || port == 0x61 ||		/* PIT */
	       port == 0x70 || port == 0x71 ||					/* CMOS */
	       port == 0x80 ||							/* POST */
	       port == 0x4d0 || port == 0x4d1 ||				/* ELCR */
	       (port >= TESTDEV_PORT_FLUSH && port < TESTDEV_PORT_FLUSH + 4);
}

/*
 * One access of @size bytes at @port; *@exit_status is set when the test
 * device ends the test.
 */
static void port__access(struct vm *vm, uint16_t port, int size, bool out, uint8_t *data,
			 int *exit_status)
{
	uint32_t v = 0;
	int i;

	memcpy(&v, data, size);
	if (port >= COM1_BASE && port < COM1_BASE + 8) {
		if (out)
			uart__out(vm, port - COM1_BASE, v);
		else
			data[0] = uart__in(vm, port - COM1_BASE);
		return;
	}
	if (port >= DEBUG_EXIT_PORT && port < DEBUG_EXIT_PORT + DEBUG_EXIT_SIZE) {
		if (out)
			*exit_status = ((v << 1) | 1) & 0xff;
		else
			memset(data, 0, size);
		return;
	}
	if (port == FW_CFG_PORT_SEL || port == FW_CFG_PORT_SEL + 1) {
		if (out && port == FW_CFG_PORT_SEL) {
			vm->fwcfg.key = size >= 2 ? v & 0xffff : v & 0xff;
			vm->fwcfg.offset = 0;
		} else if (!out && port == FW_CFG_PORT_DATA) {
			for (i = 0; i < size; i++)
				data[i] = fwcfg__read(vm);
		} else if (!out) {
			memset(data, 0, size);
		}
		return;
	}
	if ((port >= TESTDEV_PORT && port < TESTDEV_PORT + 4) ||
	    (port >= TESTDEV_PORT_BYTE && port < TESTDEV_PORT_BYTE + 4)) {
		int shift = (port & 3) * 8;
		uint32_t mask = (size == 4 ? 0xffffffffU : (1U << (size * 8)) - 1) << shift;

		if (out)
			vm->testdev_data = (vm->testdev_data & ~mask) | ((v << shift) & mask);
		else {
			v = (vm->testdev_data & mask) >> shift;
			memcpy(data, &v, size);
		}
		return;
	}
	if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1) {
		if (out)
			pic__out(vm, port, v);
		else
			memset(data, pic__in(vm, port), 1);
		return;
	}
	if (port >= TESTDEV_IRQ_PORT && port < TESTDEV_IRQ_PORT + TESTDEV_IRQ_PORTS) {
		if (out)
			testdev__irq_line(vm, port - TESTDEV_IRQ_PORT, v & 0xff);
		else
			memset(data, 0, size);
		return;
	}
	if (port__ignored(port)) {
		if (!out)
			memset(data, 0, size);
		return;
	}
	if (vm__first_time(vm, 0, port))
		note("port %#x (%s, %d bytes) not modelled%s", port, out ? "out" : "in", size,
		     out ? ": ignored" : ": reads all ones");
	if (!out)
		memset(data, 0xff, size);
}

int vcpu__exit_io(struct vm *vm, int *exit_status)
{
	struct kvm_run *run = vm->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	for (i = 0; i < run->io.count && *exit_status < 0; i++)
		port__access(vm, run->io.port, run->io.size, out, data + i * run->io.size,
			     exit_status);
	return 0;
}

/* ---- MMIO -------------------------------------------------------------------- */

int vcpu__exit_mmio(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint64_t addr = run->mmio.phys_addr;
	uint32_t len = run->mmio.len, v = 0;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (addr >= APIC_BASE_ADDR && addr < APIC_BASE_ADDR + APIC_SIZE) {
		uint32_t off = addr - APIC_BASE_ADDR, shift = (off & 3) * 8;

		if (run->mmio.is_write) {
			memcpy(&v, run->mmio.data, len > 4 ? 4 : len);
			if (!(off & 3))
				apic__write(vm, off, v);
		} else {
			v = apic__read(vm, off) >> shift;
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			memcpy(run->mmio.data, &v, len > 4 ? 4 : len);
		}
		return 0;
	}
	if (addr >= TESTDEV_IOMEM && addr + len <= TESTDEV_IOMEM + TESTDEV_IOMEM_SIZE) {
		uint8_t *p = vm->testdev_iomem + (addr - TESTDEV_IOMEM);

		if (run->mmio.is_write)
			memcpy(p, run->mmio.data, len);
		else
			memcpy(run->mmio.data, p, len);
		return 0;
	}
	if (vm__first_time(vm, 1, addr & ~(PAGE_SIZE - 1)))
		note("MMIO %s at %#llx (%u bytes) not modelled%s",
		     run->mmio.is_write ? "write" : "read", (unsigned long long)addr, len,
		     run->mmio.is_write ? ": ignored" : ": reads 0");
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	return 0;
}
