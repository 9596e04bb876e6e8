// SPDX-License-Identifier: GPL-2.0
/*
 * The two cascaded 8259A PICs of a PC, as upstream KVM's: the master at
 * ports 0x20/0x21 with the slave on its IRQ2, the slave at 0xa0/0xa1, and
 * the PIIX edge/level control registers (ELCR) at 0x4d0/0x4d1.
 *
 * Programming: ICW1 (bit 4 set, at the even port) resets the chip and
 * starts the sequence ICW2 (vector base, bits 3-7), ICW3 (ignored: the
 * cascade is fixed), ICW4 if ICW1 asked for it (bit 1: auto-EOI, bit 4:
 * special fully nested mode).  Then the odd port is the mask (OCW1), and
 * the even port takes OCW2 (non-specific, specific and rotating EOIs,
 * rotate on auto-EOI, set priority) and OCW3 (read IRR or ISR, poll,
 * special mask mode).  Single mode and level-triggered mode in ICW1 are
 * not emulated (a rate-limited log line, as upstream): the ELCR selects
 * edge or level per pin instead (IRQ0-2 and 8, 13 are always edge).
 *
 * A pin's line is the OR of its irq sources' levels, as at the IOAPIC.
 * The master's INTR output is kept in pic->output; when it rises, a vCPU
 * whose local APIC accepts the PIC's interrupts (LVT0 ExtINT, or the
 * APIC disabled) is kicked, and takes the vector through
 * kvm_pic_read_irq(), the INTA cycle: the highest-priority request moves
 * from IRR to ISR (the slave's behind the master's IRQ2), and a request
 * that went away meanwhile yields the spurious IRQ7 (or IRQ15).  When an
 * ISR bit is cleared (EOI, auto-EOI, poll) the ack notifiers of its pin
 * run.
 *
 * KVM_GET_IRQCHIP / KVM_SET_IRQCHIP take struct kvm_pic_state per chip,
 * which this file keeps as it is.
 */
#define pr_fmt(fmt) "kvm: pic: " fmt

#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../kvm_host.h"

#define PIC_NUM_PINS	16
#define PIC_MASTER	0
#define PIC_SLAVE	1

struct kvm_pic {
	spinlock_t lock;
	struct kvm *kvm;
	/* Master and slave, in the layout of KVM_GET_IRQCHIP. */
	struct kvm_pic_state pics[2];
	bool output;		/* the master's INTR */
	bool wakeup_needed;	/* INTR rose under the lock */
	unsigned long irq_states[PIC_NUM_PINS];
	struct kvm_io_device dev_master, dev_slave, dev_elcr;
};

static void pic_update_irq(struct kvm_pic *pic);

static void pic_lock(struct kvm_pic *pic)
	__acquires(&pic->lock)
{
	spin_lock(&pic->lock);
}

/* Unlock, and kick a vCPU that takes the PIC's INTR if it rose. */
static void pic_unlock(struct kvm_pic *pic)
	__releases(&pic->lock)
{
	struct kvm *kvm = pic->kvm;
	bool wakeup = pic->wakeup_needed;
	int i, n;

	pic->wakeup_needed = false;
	spin_unlock(&pic->lock);
	if (!wakeup)
		return;

	n = smp_load_acquire(&kvm->nr_vcpus);
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (lapic_in_kernel(vcpu) && kvm_apic_accept_pic_intr(vcpu)) {
			kvm_vcpu_kick(vcpu);
			return;
		}
	}
}

/*
 * Clear ISR bit @irq of chip @c and run the pin's ack notifiers, without
 * the lock (they may set PIC lines again).
 */
static void pic_clear_isr(struct kvm_pic *pic, int c, int irq)
{
	pic->pics[c].isr &= ~BIT(irq);
	pic_unlock(pic);
	kvm_notify_acked_irq(pic->kvm, c, irq + c * 8);
	pic_lock(pic);
}

/* Chip @c's pin @irq is now at @level: 1 raised, 0 already, -1 masked. */
static int pic_set_line(struct kvm_pic_state *s, int irq, int level)
{
	u8 mask = BIT(irq);
	int ret = 1;

	if (s->elcr & mask) {
		if (level) {
			ret = !(s->irr & mask);
			s->irr |= mask;
			s->last_irr |= mask;
		} else {
			s->irr &= ~mask;
			s->last_irr &= ~mask;
		}
	} else {
		if (level) {
			if (!(s->last_irr & mask)) {
				ret = !(s->irr & mask);
				s->irr |= mask;
			}
			s->last_irr |= mask;
		} else {
			s->last_irr &= ~mask;
		}
	}
	return (s->imr & mask) ? -1 : ret;
}

/* The highest priority (0 highest) of the bits in @mask, 8 if none. */
static int pic_priority(const struct kvm_pic_state *s, u8 mask)
{
	int prio = 0;

	if (!mask)
		return 8;
	while (!(mask & BIT((prio + s->priority_add) & 7)))
		prio++;
	return prio;
}

/* The pin chip @c asks to interrupt with, or -1. */
static int pic_get_irq(struct kvm_pic *pic, int c)
{
	struct kvm_pic_state *s = &pic->pics[c];
	int prio, cur;
	u8 isr = s->isr;

	prio = pic_priority(s, s->irr & ~s->imr);
	if (prio == 8)
		return -1;
	/*
	 * In special fully nested mode the master lets the slave interrupt
	 * again while one of its interrupts is in service.
	 */
	if (s->special_fully_nested_mode && c == PIC_MASTER)
		isr &= ~BIT(2);
	cur = pic_priority(s, isr);
	if (prio < cur)
		return (prio + s->priority_add) & 7;
	return -1;
}

/* INTR changed maybe: the slave's request on IRQ2, the master's output. */
static void pic_update_irq(struct kvm_pic *pic)
{
	bool level;

	if (pic_get_irq(pic, PIC_SLAVE) >= 0) {
		/* An edge on the master's cascade pin. */
		pic_set_line(&pic->pics[PIC_MASTER], 2, 1);
		pic_set_line(&pic->pics[PIC_MASTER], 2, 0);
	}
	level = pic_get_irq(pic, PIC_MASTER) >= 0;
	if (level && !pic->output)
		pic->wakeup_needed = true;
	WRITE_ONCE(pic->output, level);
}

int kvm_pic_set_irq(struct kvm_pic *pic, int irq, int irq_source_id, int level)
{
	unsigned long *state;
	int ret;

	if (!pic || irq < 0 || irq >= PIC_NUM_PINS ||
	    irq_source_id < 0 || irq_source_id >= KVM_NR_IRQ_SOURCE_IDS)
		return -1;

	pic_lock(pic);
	state = &pic->irq_states[irq];
	if (level)
		__set_bit(irq_source_id, state);
	else
		__clear_bit(irq_source_id, state);
	ret = pic_set_line(&pic->pics[irq >> 3], irq & 7, *state != 0);
	pic_update_irq(pic);
	pic_unlock(pic);
	return ret;
}

/* The INTA cycle's acknowledge of chip @c's pin @irq. */
static void pic_intack(struct kvm_pic *pic, int c, int irq)
{
	struct kvm_pic_state *s = &pic->pics[c];

	s->isr |= BIT(irq);
	/* A level-triggered request stays until its line drops. */
	if (!(s->elcr & BIT(irq)))
		s->irr &= ~BIT(irq);
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (irq + 1) & 7;
		pic_clear_isr(pic, c, irq);
	}
}

bool kvm_pic_has_interrupt(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->pic;

	return pic && READ_ONCE(pic->output);
}

int kvm_pic_read_irq(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->pic;
	int irq, irq2, vector;

	if (!pic)
		return -1;

	pic_lock(pic);
	pic->output = false;
	irq = pic_get_irq(pic, PIC_MASTER);
	if (irq >= 0) {
		pic_intack(pic, PIC_MASTER, irq);
		if (irq == 2) {
			irq2 = pic_get_irq(pic, PIC_SLAVE);
			if (irq2 >= 0)
				pic_intack(pic, PIC_SLAVE, irq2);
			else
				irq2 = 7;	/* spurious, on the slave */
			vector = pic->pics[PIC_SLAVE].irq_base + irq2;
		} else {
			vector = pic->pics[PIC_MASTER].irq_base + irq;
		}
	} else {
		/* The request went away: the master's spurious IRQ7. */
		vector = pic->pics[PIC_MASTER].irq_base + 7;
	}
	pic_update_irq(pic);
	pic_unlock(pic);
	/* irq_base may be anything KVM_SET_IRQCHIP put there. */
	return vector & 0xff;
}

/* ICW1: the chip starts its initialization sequence. */
static void pic_reset(struct kvm_pic *pic, int c)
{
	struct kvm_pic_state *s = &pic->pics[c];
	u8 edge_irr = s->irr & ~s->elcr;
	bool found = false;
	int i, n, irq;

	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = 1;

	/*
	 * As upstream: where a vCPU takes the PIC's interrupts, the edge
	 * requests dropped count as acknowledged for their notifiers.
	 */
	n = smp_load_acquire(&pic->kvm->nr_vcpus);
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = pic->kvm->vcpus[i];

		if (lapic_in_kernel(vcpu) && kvm_apic_accept_pic_intr(vcpu)) {
			found = true;
			break;
		}
	}
	if (!found)
		return;
	for (irq = 0; irq < 8; irq++)
		if (edge_irr & BIT(irq))
			pic_clear_isr(pic, c, irq);
}

/* OCW2: EOIs, rotation and priority. */
static void pic_ocw2(struct kvm_pic *pic, int c, u8 val)
{
	struct kvm_pic_state *s = &pic->pics[c];
	int cmd = val >> 5, prio, irq;

	switch (cmd) {
	case 0:		/* rotate in auto-EOI mode: clear */
	case 4:		/* ... set */
		s->rotate_on_auto_eoi = cmd >> 2;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* ... and rotate */
		prio = pic_priority(s, s->isr);
		if (prio == 8)
			break;
		irq = (prio + s->priority_add) & 7;
		if (cmd == 5)
			s->priority_add = (irq + 1) & 7;
		pic_clear_isr(pic, c, irq);
		pic_update_irq(pic);
		break;
	case 3:		/* specific EOI */
		pic_clear_isr(pic, c, val & 7);
		pic_update_irq(pic);
		break;
	case 6:		/* set priority */
		s->priority_add = (val + 1) & 7;
		pic_update_irq(pic);
		break;
	case 7:		/* specific EOI and rotate */
		irq = val & 7;
		s->priority_add = (irq + 1) & 7;
		pic_clear_isr(pic, c, irq);
		pic_update_irq(pic);
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void pic_port_write(struct kvm_pic *pic, int c, int odd, u8 val)
{
	struct kvm_pic_state *s = &pic->pics[c];

	if (!odd) {
		if (val & 0x10) {		/* ICW1 */
			s->init4 = val & 1;
			if (val & 0x02)
				pr_info_ratelimited("single mode not supported\n");
			if (val & 0x08)
				pr_info_ratelimited("level sensitive irq not supported\n");
			pic_reset(pic, c);
		} else if (val & 0x08) {	/* OCW3 */
			if (val & 0x04)
				s->poll = 1;
			if (val & 0x02)
				s->read_reg_select = val & 1;
			if (val & 0x40)
				s->special_mask = (val >> 5) & 1;
		} else {
			pic_ocw2(pic, c, val);
		}
		return;
	}

	switch (s->init_state) {
	case 0:				/* OCW1 */
		s->imr = val;
		pic_update_irq(pic);
		break;
	case 1:				/* ICW2 */
		s->irq_base = val & 0xf8;
		s->init_state = 2;
		break;
	case 2:				/* ICW3 */
		s->init_state = s->init4 ? 3 : 0;
		break;
	case 3:				/* ICW4 */
		s->special_fully_nested_mode = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	default:			/* only KVM_SET_IRQCHIP puts it here */
		break;
	}
}

/* OCW3 poll: the request as if acknowledged and ended, or 7 for none. */
static u8 pic_poll_read(struct kvm_pic *pic, int c)
{
	struct kvm_pic_state *s = &pic->pics[c];
	int irq = pic_get_irq(pic, c);

	if (irq < 0) {
		pic_update_irq(pic);
		return 7;
	}
	if (c == PIC_SLAVE) {
		pic->pics[PIC_MASTER].isr &= ~BIT(2);
		pic->pics[PIC_MASTER].irr &= ~BIT(2);
	}
	s->irr &= ~BIT(irq);
	pic_clear_isr(pic, c, irq);
	if (c == PIC_SLAVE || irq != 2)
		pic_update_irq(pic);
	return irq;
}

static u8 pic_port_read(struct kvm_pic *pic, int c, int odd)
{
	struct kvm_pic_state *s = &pic->pics[c];

	if (s->poll) {
		s->poll = 0;
		return pic_poll_read(pic, c);
	}
	if (odd)
		return s->imr;
	return s->read_reg_select ? s->isr : s->irr;
}

/* The PIO bus passes the port in @addr. */
static int picdev_write(struct kvm_pic *pic, gpa_t addr, int len,
			const void *val)
{
	u8 data = *(const u8 *)val;

	if (len != 1) {
		pr_info_ratelimited("non byte write to port %#llx\n", addr);
		return 0;
	}
	switch (addr) {
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
		pic_lock(pic);
		pic_port_write(pic, addr >> 7, addr & 1, data);
		pic_unlock(pic);
		return 0;
	case 0x4d0:
	case 0x4d1:
		pic_lock(pic);
		/* IRQ0-2 (master) and 8, 13 (slave) are always edge. */
		pic->pics[addr & 1].elcr = data & pic->pics[addr & 1].elcr_mask;
		pic_unlock(pic);
		return 0;
	}
	return -EOPNOTSUPP;
}

static int picdev_read(struct kvm_pic *pic, gpa_t addr, int len, void *val)
{
	u8 data;

	if (len != 1) {
		if (len > 0 && len <= 8)
			memset(val, 0, len);
		pr_info_ratelimited("non byte read from port %#llx\n", addr);
		return 0;
	}
	switch (addr) {
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
		pic_lock(pic);
		data = pic_port_read(pic, addr >> 7, addr & 1);
		pic_unlock(pic);
		break;
	case 0x4d0:
	case 0x4d1:
		pic_lock(pic);
		data = pic->pics[addr & 1].elcr;
		pic_unlock(pic);
		break;
	default:
		return -EOPNOTSUPP;
	}
	*(u8 *)val = data;
	return 0;
}

#define PICDEV_OPS(name)						\
static int picdev_##name##_read(struct kvm_vcpu *vcpu,			\
				struct kvm_io_device *dev, gpa_t addr,	\
				int len, void *val)			\
{									\
	return picdev_read(container_of(dev, struct kvm_pic,		\
					dev_##name), addr, len, val);	\
}									\
static int picdev_##name##_write(struct kvm_vcpu *vcpu,		\
				 struct kvm_io_device *dev, gpa_t addr,	\
				 int len, const void *val)		\
{									\
	return picdev_write(container_of(dev, struct kvm_pic,		\
					 dev_##name), addr, len, val);	\
}									\
static const struct kvm_io_device_ops picdev_##name##_ops = {		\
	.read = picdev_##name##_read,					\
	.write = picdev_##name##_write,					\
}

PICDEV_OPS(master);
PICDEV_OPS(slave);
PICDEV_OPS(elcr);

int kvm_pic_create(struct kvm *kvm)
{
	struct kvm_pic *pic;
	int r;

	if (kvm->pic)
		return -EEXIST;
	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return -ENOMEM;
	spin_lock_init(&pic->lock);
	pic->kvm = kvm;
	pic->pics[PIC_MASTER].elcr_mask = 0xf8;
	pic->pics[PIC_SLAVE].elcr_mask = 0xde;
	pic->dev_master.ops = &picdev_master_ops;
	pic->dev_slave.ops = &picdev_slave_ops;
	pic->dev_elcr.ops = &picdev_elcr_ops;

	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0x20, 2, &pic->dev_master);
	if (r)
		goto free_pic;
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0xa0, 2, &pic->dev_slave);
	if (r)
		goto unregister_master;
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0x4d0, 2, &pic->dev_elcr);
	if (r)
		goto unregister_slave;
	kvm->pic = pic;
	return 0;

unregister_slave:
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pic->dev_slave);
unregister_master:
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pic->dev_master);
free_pic:
	kfree(pic);
	return r;
}

void kvm_pic_destroy(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->pic;

	if (!pic)
		return;
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pic->dev_master);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pic->dev_slave);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pic->dev_elcr);
	kvm->pic = NULL;
	kfree(pic);
}

void kvm_pic_get_state(struct kvm *kvm, int chip, struct kvm_pic_state *s)
{
	struct kvm_pic *pic = kvm->pic;

	if (!pic || (chip != PIC_MASTER && chip != PIC_SLAVE)) {
		memset(s, 0, sizeof(*s));
		return;
	}
	pic_lock(pic);
	*s = pic->pics[chip];
	pic_unlock(pic);
}

void kvm_pic_set_state(struct kvm *kvm, int chip, const struct kvm_pic_state *s)
{
	struct kvm_pic *pic = kvm->pic;

	if (!pic || (chip != PIC_MASTER && chip != PIC_SLAVE))
		return;
	pic_lock(pic);
	pic->pics[chip] = *s;
	pic_update_irq(pic);
	pic_unlock(pic);
}
