// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel IOAPIC: 24 pins, its register window at 0xfec00000 on the
 * MMIO bus (IOREGSEL at +0x00, IOWIN at +0x10), as upstream KVM's: the
 * version register says 0x11 (an 82093AA: no EOI register, the guest
 * ends a level-triggered interrupt by its local APIC's EOI, which
 * lapic.c passes on to kvm_ioapic_update_eoi()).
 *
 * Registers: the id (bits 24-27), the version (0x11, the highest pin 23
 * in bits 16-23), the arbitration id (reads as the id), and a 64-bit
 * redirection entry per pin at 0x10 + 2 * pin (low half) and + 1 (high
 * half).  In an entry the guest's writes leave the delivery status (bit
 * 12) and the remote IRR (bit 14) alone; writing an entry edge-triggered
 * clears its remote IRR (what Linux expects of IOAPICs without an EOI
 * register).  Other bits keep what the guest writes, as upstream's do.
 *
 * A pin's line is the OR of the levels its interrupt sources set (one
 * bit per irq source id: KVM_IRQ_LINE's, the PIT's, irqfd resamplers').
 * irr holds the lines that are asserted.  A rising edge on an
 * edge-triggered pin is delivered once (0, "coalesced", if its IRR bit
 * was already set and not delivered); a level-triggered pin is delivered
 * while it is asserted and its remote IRR is clear (else -1, as upstream
 * 6.1's code, whatever its comment says), and delivery sets
 * the remote IRR, which the EOI of its vector clears, delivering again
 * if the line is still up.  A guest that never quiets a level-triggered
 * source would see the interrupt again at every EOI: after
 * IOAPIC_EOI_STORM successive EOIs with the line still asserted the
 * redelivery is deferred by 10 ms (upstream's storm guard).
 *
 * KVM_GET_IRQCHIP / KVM_SET_IRQCHIP take struct kvm_ioapic_state, which
 * this file keeps as it is (pad included), with irr reported without the
 * edge-triggered bits already delivered; KVM_SET_IRQCHIP asserts the
 * pins of its irr again.  Moving the base address through it moves the
 * window only as far as the registered range goes (as upstream: the
 * device stays where it was registered, and answers only inside both).
 *
 * Not done: upstream's RTC (pin 8) EOI tracking for
 * KVM_IRQ_LINE_STATUS's coalescing report, and directed EOI (the
 * x2APIC's SPIV bit 12).
 */
#define pr_fmt(fmt) "kvm: ioapic: " fmt

#include <linux/bitops.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/apicdef.h>

#include "../kvm_host.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_MEM_LEN		0x100
#define IOAPIC_VERSION		0x11
#define IOAPIC_NUM_PINS		KVM_IOAPIC_NUM_PINS

/* The direct registers, at offsets from the base. */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10

/* The indirect ones, through IOREGSEL. */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10

#define IOAPIC_EDGE		0
#define IOAPIC_LEVEL		1

/* Successive EOIs finding the line still up before redelivery waits. */
#define IOAPIC_EOI_STORM	10000

struct kvm_ioapic {
	struct kvm *kvm;
	struct kvm_io_device dev;
	spinlock_t lock;
	/* The registers, in the layout of KVM_GET_IRQCHIP (regs.irr: lines). */
	struct kvm_ioapic_state regs;
	/* Edge-triggered pins whose IRR bit was delivered. */
	u32 irr_delivered;
	/* Per pin, the irq source ids holding the line up. */
	unsigned long irq_states[IOAPIC_NUM_PINS];
	/* Per pin, successive EOIs with the line still asserted. */
	u32 irq_eoi[IOAPIC_NUM_PINS];
	struct delayed_work eoi_inject;
};

/* The entry's fields, through the uapi layout of struct kvm_ioapic_state. */
#define redir(ioapic, pin)	((ioapic)->regs.redirtbl[pin].fields)

static int ioapic_service(struct kvm_ioapic *ioapic, unsigned int pin);

static u32 ioapic_read_indirect(struct kvm_ioapic *ioapic)
{
	u32 sel = ioapic->regs.ioregsel;
	u32 index;
	u64 entry;

	switch (sel) {
	case IOAPIC_REG_VERSION:
		return ((IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (ioapic->regs.id & 0xf) << 24;
	}
	if (sel < IOAPIC_REG_REDIR)
		return ~0U;
	index = (sel - IOAPIC_REG_REDIR) >> 1;
	if (index >= IOAPIC_NUM_PINS)
		return ~0U;
	index = array_index_nospec(index, IOAPIC_NUM_PINS);
	entry = ioapic->regs.redirtbl[index].bits;
	return (sel & 1) ? entry >> 32 : (u32)entry;
}

static void ioapic_write_indirect(struct kvm_ioapic *ioapic, u32 val)
{
	u32 sel = ioapic->regs.ioregsel;
	u8 remote_irr, delivery_status;
	u32 index;
	u64 *bits;

	switch (sel) {
	case IOAPIC_REG_VERSION:
	case IOAPIC_REG_ARB:
		return;			/* read-only */
	case IOAPIC_REG_ID:
		ioapic->regs.id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REG_REDIR)
		return;
	index = (sel - IOAPIC_REG_REDIR) >> 1;
	if (index >= IOAPIC_NUM_PINS)
		return;
	index = array_index_nospec(index, IOAPIC_NUM_PINS);

	remote_irr = redir(ioapic, index).remote_irr;
	delivery_status = redir(ioapic, index).delivery_status;
	bits = &ioapic->regs.redirtbl[index].bits;
	if (sel & 1)
		*bits = (*bits & 0xffffffffULL) | ((u64)val << 32);
	else
		*bits = (*bits & ~0xffffffffULL) | val;
	redir(ioapic, index).remote_irr = remote_irr;
	redir(ioapic, index).delivery_status = delivery_status;
	if (redir(ioapic, index).trig_mode == IOAPIC_EDGE)
		redir(ioapic, index).remote_irr = 0;

	/* An unmasked level-triggered line that is up goes out now. */
	if (redir(ioapic, index).trig_mode == IOAPIC_LEVEL &&
	    (ioapic->regs.irr & BIT(index)))
		ioapic_service(ioapic, index);
}

/*
 * Send the pin's interrupt to the local APICs: how many took it, or -1 if
 * it is masked, waits for an EOI (level) or reached no APIC.  Under lock.
 */
static int ioapic_service(struct kvm_ioapic *ioapic, unsigned int pin)
{
	struct kvm_lapic_irq irq = {};
	int ret;

	if (redir(ioapic, pin).mask ||
	    (redir(ioapic, pin).trig_mode == IOAPIC_LEVEL &&
	     redir(ioapic, pin).remote_irr))
		return -1;

	irq.vector = redir(ioapic, pin).vector;
	irq.delivery_mode = redir(ioapic, pin).delivery_mode;
	irq.dest_mode = redir(ioapic, pin).dest_mode ? APIC_DEST_LOGICAL :
						       APIC_DEST_PHYSICAL;
	irq.level = true;
	irq.trig_mode = redir(ioapic, pin).trig_mode;
	/* shorthand 0: none (ICR bits 18-19 clear). */
	irq.dest_id = redir(ioapic, pin).dest_id;
	irq.msi_redir_hint = false;

	if (irq.trig_mode == IOAPIC_EDGE)
		ioapic->irr_delivered |= BIT(pin);

	ret = kvm_irq_delivery_to_apic(ioapic->kvm, NULL, &irq);
	if (ret > 0 && irq.trig_mode == IOAPIC_LEVEL)
		redir(ioapic, pin).remote_irr = 1;
	return ret;
}

/* The pin's line is now @level: >0 delivered, 0 coalesced, <0 not sent. */
static int ioapic_set_line(struct kvm_ioapic *ioapic, unsigned int pin,
			   int level)
{
	u32 mask = BIT(pin);
	u32 old_irr = ioapic->regs.irr;

	if (!level) {
		ioapic->regs.irr &= ~mask;
		return 1;
	}

	ioapic->regs.irr |= mask;
	if (redir(ioapic, pin).trig_mode == IOAPIC_EDGE) {
		ioapic->irr_delivered &= ~mask;
		if (old_irr & mask)
			return 0;	/* no edge: still pending from before */
	}
	/* A level-triggered pin waiting for its EOI: -1, as upstream's. */
	return ioapic_service(ioapic, pin);
}

int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, int pin, int irq_source_id,
		       int level, bool line_status)
{
	unsigned long *state;
	int ret;

	if (!ioapic || pin < 0 || pin >= IOAPIC_NUM_PINS ||
	    irq_source_id < 0 || irq_source_id >= KVM_NR_IRQ_SOURCE_IDS)
		return -1;
	pin = array_index_nospec(pin, IOAPIC_NUM_PINS);

	spin_lock(&ioapic->lock);
	state = &ioapic->irq_states[pin];
	if (level)
		__set_bit(irq_source_id, state);
	else
		__clear_bit(irq_source_id, state);
	ret = ioapic_set_line(ioapic, pin, *state != 0);
	spin_unlock(&ioapic->lock);
	return ret;
}

/* Deferred redelivery after an EOI storm. */
static void ioapic_eoi_inject_work(struct work_struct *work)
{
	struct kvm_ioapic *ioapic = container_of(work, struct kvm_ioapic,
						 eoi_inject.work);
	unsigned int pin;

	spin_lock(&ioapic->lock);
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		if (redir(ioapic, pin).trig_mode != IOAPIC_LEVEL)
			continue;
		if ((ioapic->regs.irr & BIT(pin)) && !redir(ioapic, pin).remote_irr)
			ioapic_service(ioapic, pin);
	}
	spin_unlock(&ioapic->lock);
}

void kvm_ioapic_update_eoi(struct kvm_vcpu *vcpu, int vector, int trigger_mode)
{
	struct kvm_ioapic *ioapic = vcpu->kvm->ioapic;
	unsigned int pin;

	if (!ioapic)
		return;

	spin_lock(&ioapic->lock);
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		if (redir(ioapic, pin).vector != (u8)vector)
			continue;

		/*
		 * The ack notifiers may set lines of this IOAPIC (an irqfd
		 * resampler lowers its line): call them without the lock.
		 * The remote IRR is still set, so a new assertion meanwhile
		 * only lands in irr, and is delivered below.
		 */
		spin_unlock(&ioapic->lock);
		kvm_notify_acked_irq(ioapic->kvm, KVM_IRQCHIP_IOAPIC, pin);
		spin_lock(&ioapic->lock);

		if (trigger_mode != IOAPIC_LEVEL ||
		    redir(ioapic, pin).trig_mode != IOAPIC_LEVEL)
			continue;

		redir(ioapic, pin).remote_irr = 0;
		if (redir(ioapic, pin).mask ||
		    !(ioapic->regs.irr & BIT(pin))) {
			ioapic->irq_eoi[pin] = 0;
			continue;
		}
		if (++ioapic->irq_eoi[pin] == IOAPIC_EOI_STORM) {
			ioapic->irq_eoi[pin] = 0;
			schedule_delayed_work(&ioapic->eoi_inject, HZ / 100);
		} else {
			ioapic_service(ioapic, pin);
		}
	}
	spin_unlock(&ioapic->lock);
}

static struct kvm_ioapic *to_ioapic(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvm_ioapic, dev);
}

/* The register @addr names, or -1 outside the window. */
static int ioapic_offset(struct kvm_ioapic *ioapic, gpa_t addr)
{
	u64 base = ioapic->regs.base_address;

	if (addr < base || addr - base >= IOAPIC_MEM_LEN)
		return -1;
	return (addr - base) & 0xff;
}

static int ioapic_mmio_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			    gpa_t addr, int len, void *val)
{
	struct kvm_ioapic *ioapic = to_ioapic(dev);
	u32 result = 0;
	int off;

	spin_lock(&ioapic->lock);
	off = ioapic_offset(ioapic, addr);
	if (off < 0) {
		spin_unlock(&ioapic->lock);
		return -EOPNOTSUPP;
	}
	if (off == IOAPIC_REGSEL)
		result = ioapic->regs.ioregsel;
	else if (off == IOAPIC_WINDOW)
		result = ioapic_read_indirect(ioapic);
	spin_unlock(&ioapic->lock);

	switch (len) {
	case 8:
		*(u64 *)val = result;
		break;
	case 4:
	case 2:
	case 1:
		memcpy(val, &result, len);
		break;
	default:
		if (len > 0 && len < 8)
			memset(val, 0, len);
		break;
	}
	return 0;
}

static int ioapic_mmio_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			     gpa_t addr, int len, const void *val)
{
	struct kvm_ioapic *ioapic = to_ioapic(dev);
	u32 data;
	int off;

	switch (len) {
	case 8:
	case 4:
		data = *(const u32 *)val;
		break;
	case 2:
		data = *(const u16 *)val;
		break;
	case 1:
		data = *(const u8 *)val;
		break;
	default:
		data = 0;
		break;
	}

	spin_lock(&ioapic->lock);
	off = ioapic_offset(ioapic, addr);
	if (off < 0) {
		spin_unlock(&ioapic->lock);
		return -EOPNOTSUPP;
	}
	if (len == 1 || len == 2 || len == 4 || len == 8) {
		if (off == IOAPIC_REGSEL)
			ioapic->regs.ioregsel = data & 0xff;
		else if (off == IOAPIC_WINDOW)
			ioapic_write_indirect(ioapic, data);
	}
	spin_unlock(&ioapic->lock);
	return 0;
}

static const struct kvm_io_device_ops ioapic_mmio_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

/* Power-on: every pin masked, the window at its default place. */
static void ioapic_reset(struct kvm_ioapic *ioapic)
{
	unsigned int pin;

	memset(&ioapic->regs, 0, sizeof(ioapic->regs));
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		redir(ioapic, pin).mask = 1;
	ioapic->regs.base_address = IOAPIC_BASE;
	ioapic->irr_delivered = 0;
	memset(ioapic->irq_eoi, 0, sizeof(ioapic->irq_eoi));
}

int kvm_ioapic_create(struct kvm *kvm)
{
	struct kvm_ioapic *ioapic;
	int r;

	if (kvm->ioapic)
		return -EEXIST;
	ioapic = kzalloc(sizeof(*ioapic), GFP_KERNEL_ACCOUNT);
	if (!ioapic)
		return -ENOMEM;
	ioapic->kvm = kvm;
	spin_lock_init(&ioapic->lock);
	INIT_DELAYED_WORK(&ioapic->eoi_inject, ioapic_eoi_inject_work);
	ioapic_reset(ioapic);
	ioapic->dev.ops = &ioapic_mmio_ops;

	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, IOAPIC_BASE,
				    IOAPIC_MEM_LEN, &ioapic->dev);
	if (r)
		goto free_ioapic;
	kvm->ioapic = ioapic;
	return 0;

free_ioapic:
	kfree(ioapic);
	return r;
}

void kvm_ioapic_destroy(struct kvm *kvm)
{
	struct kvm_ioapic *ioapic = kvm->ioapic;

	if (!ioapic)
		return;
	cancel_delayed_work_sync(&ioapic->eoi_inject);
	kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &ioapic->dev);
	kvm->ioapic = NULL;
	kfree(ioapic);
}

void kvm_ioapic_get_state(struct kvm *kvm, struct kvm_ioapic_state *s)
{
	struct kvm_ioapic *ioapic = kvm->ioapic;

	if (!ioapic) {
		memset(s, 0, sizeof(*s));
		return;
	}
	spin_lock(&ioapic->lock);
	*s = ioapic->regs;
	s->irr &= ~ioapic->irr_delivered;
	spin_unlock(&ioapic->lock);
}

void kvm_ioapic_set_state(struct kvm *kvm, const struct kvm_ioapic_state *s)
{
	struct kvm_ioapic *ioapic = kvm->ioapic;
	unsigned long irr = s->irr;
	unsigned int pin;

	if (!ioapic)
		return;
	spin_lock(&ioapic->lock);
	ioapic->regs = *s;
	ioapic->regs.irr = 0;
	ioapic->irr_delivered = 0;
	memset(ioapic->irq_eoi, 0, sizeof(ioapic->irq_eoi));
	/* The saved lines are asserted again, and go out where they may. */
	for_each_set_bit(pin, &irr, IOAPIC_NUM_PINS)
		ioapic_set_line(ioapic, pin, 1);
	spin_unlock(&ioapic->lock);
}
