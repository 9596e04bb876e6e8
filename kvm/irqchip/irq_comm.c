// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing: which chip pins and MSIs a GSI (KVM_IRQ_LINE's irq, an
 * irqfd's gsi, the PIT's 0) drives, as upstream KVM's
 * virt/kvm/irqchip.c and arch/x86/kvm/irq_comm.c.
 *
 * The table (struct kvm_irq_routing_table) is built whole from
 * KVM_SET_GSI_ROUTING's entries, or from the default one at
 * KVM_CREATE_IRQCHIP: GSI 0-15 to the IOAPIC pin of the same number and
 * to the PIC pin (master for 0-7, slave for 8-15), GSI 16-23 to the
 * IOAPIC alone.  It is published with rcu_assign_pointer() under
 * kvm->irq_lock and read under kvm->irq_srcu; the old one is freed after
 * synchronize_srcu_expedited().  Each GSI has a list of routes: at most
 * one per irqchip, or else one MSI alone.  chip[][] maps a chip pin back
 * to its GSI (the slave PIC's pins are 8-15 there, as upstream), for the
 * ack notifiers.
 *
 * Refused with EINVAL (and one kernel log line): a GSI at or above
 * KVM_MAX_IRQ_ROUTES, a type other than IRQCHIP or MSI (or IRQCHIP with
 * a split irqchip), an irqchip other than 0-2, a pin beyond the chip's
 * (8, 8, 24), a second route of a GSI to the same chip or next to an
 * MSI, entry flags other than an MSI's KVM_MSI_VALID_DEVID, and table
 * flags.  KVM_MSI_VALID_DEVID is taken and the device id ignored, in
 * routes and in KVM_SIGNAL_MSI, as upstream 6.1's generic code does on
 * x86 (which does not offer KVM_CAP_MSI_DEVID, so VMMs do not set it).
 *
 * The irq source ids (kvm->irq_sources_bitmap): KVM_USERSPACE_IRQ_SOURCE_ID
 * and KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID are taken when the default table
 * is set up (kvm_setup_default_irq_routing()), as upstream takes them at
 * VM creation.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/msi.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <asm/apicdef.h>

#include "../kvm_host.h"

#define PIC_PINS_PER_CHIP	8

struct kvm_irq_route {
	struct hlist_node link;
	u32 gsi;
	u32 type;		/* KVM_IRQ_ROUTING_IRQCHIP or _MSI */
	union {
		struct {
			u32 irqchip;
			u32 pin;	/* the slave PIC's: 8-15 */
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	};
};

struct kvm_irq_routing_table {
	int chip[KVM_NR_IRQCHIPS][KVM_IRQCHIP_NUM_PINS];
	u32 nr_rt_entries;		/* GSIs 0 .. nr_rt_entries - 1 */
	struct kvm_irq_route *routes;	/* the entries, one array */
	struct hlist_head map[];	/* per GSI */
};

static void free_irq_routing_table(struct kvm_irq_routing_table *rt)
{
	if (!rt)
		return;
	kvfree(rt->routes);
	kvfree(rt);
}

/* An MSI message as the local APICs see it (upstream's kvm_set_msi_irq). */
static void msi_to_lapic_irq(u32 address_lo, u32 address_hi, u32 data,
			     struct kvm_lapic_irq *irq)
{
	struct msi_msg msg = {
		.address_lo = address_lo,
		.address_hi = address_hi,
		.data = data,
	};

	memset(irq, 0, sizeof(*irq));
	irq->dest_id = msg.arch_addr_lo.destid_0_7;
	irq->vector = msg.arch_data.vector;
	irq->dest_mode = msg.arch_addr_lo.dest_mode_logical ?
			 APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL;
	irq->trig_mode = msg.arch_data.is_level;
	irq->delivery_mode = msg.arch_data.delivery_mode;
	irq->msi_redir_hint = msg.arch_addr_lo.redirect_hint;
	irq->level = true;
	/* shorthand 0: none (ICR bits 18-19 clear), from the memset. */
}

static int deliver_msi(struct kvm *kvm, u32 address_lo, u32 address_hi,
		       u32 data)
{
	struct kvm_lapic_irq irq;

	msi_to_lapic_irq(address_lo, address_hi, data, &irq);
	return kvm_irq_delivery_to_apic(kvm, NULL, &irq);
}

int kvm_set_msi(struct kvm *kvm, const struct kvm_msi *msi)
{
	if (!irqchip_in_kernel(kvm))
		return -EINVAL;
	if (msi->flags & ~KVM_MSI_VALID_DEVID) {
		pr_info_ratelimited("KVM_SIGNAL_MSI: unknown flags %#x\n",
				    msi->flags);
		return -EINVAL;
	}
	return deliver_msi(kvm, msi->address_lo, msi->address_hi, msi->data);
}

/* One route's level: >0 delivered, 0 coalesced, <0 ignored. */
static int route_set(struct kvm *kvm, const struct kvm_irq_route *e,
		     int irq_source_id, int level, bool line_status)
{
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (e->irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
			return kvm_ioapic_set_irq(kvm->ioapic, e->irqchip.pin,
						  irq_source_id, level,
						  line_status);
		return kvm_pic_set_irq(kvm->pic, e->irqchip.pin, irq_source_id,
				       level);
	case KVM_IRQ_ROUTING_MSI:
		if (!level)
			return -1;
		return deliver_msi(kvm, e->msi.address_lo, e->msi.address_hi,
				   e->msi.data);
	}
	return -1;
}

int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level,
		bool line_status)
{
	struct kvm_irq_route routes[KVM_NR_IRQCHIPS];
	struct kvm_irq_routing_table *rt;
	struct kvm_irq_route *e;
	int n = 0, ret = -1, r, idx;

	if (irq_source_id < 0 || irq_source_id >= KVM_NR_IRQ_SOURCE_IDS)
		return -EINVAL;

	/* Copied out: the chips are called outside the read side. */
	idx = srcu_read_lock(&kvm->irq_srcu);
	rt = srcu_dereference(kvm->irq_routing, &kvm->irq_srcu);
	if (rt && gsi < rt->nr_rt_entries) {
		gsi = array_index_nospec(gsi, rt->nr_rt_entries);
		hlist_for_each_entry(e, &rt->map[gsi], link) {
			if (n == ARRAY_SIZE(routes))
				break;
			routes[n++] = *e;
		}
	}
	srcu_read_unlock(&kvm->irq_srcu, idx);

	/*
	 * The guest may use the PIC or the IOAPIC: set the line on both.
	 * The result adds up what each route delivered (upstream's sum).
	 */
	while (n--) {
		r = route_set(kvm, &routes[n], irq_source_id, level,
			      line_status);
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/* The GSI routed to (irqchip, pin), or -1; under irq_srcu's read side. */
static int irq_map_chip_pin_srcu(struct kvm *kvm, unsigned int irqchip,
				 unsigned int pin)
{
	struct kvm_irq_routing_table *rt;

	if (irqchip >= KVM_NR_IRQCHIPS || pin >= KVM_IRQCHIP_NUM_PINS)
		return -1;
	irqchip = array_index_nospec(irqchip, KVM_NR_IRQCHIPS);
	pin = array_index_nospec(pin, KVM_IRQCHIP_NUM_PINS);
	rt = srcu_dereference(kvm->irq_routing, &kvm->irq_srcu);
	return rt ? rt->chip[irqchip][pin] : -1;
}

int kvm_irq_map_chip_pin(struct kvm *kvm, unsigned int irqchip,
			 unsigned int pin)
{
	int gsi, idx;

	idx = srcu_read_lock(&kvm->irq_srcu);
	gsi = irq_map_chip_pin_srcu(kvm, irqchip, pin);
	srcu_read_unlock(&kvm->irq_srcu, idx);
	return gsi;
}

/* Why @ue cannot be a route of @rt (NULL: it can), into *e. */
static const char *setup_route(struct kvm *kvm,
			       struct kvm_irq_routing_table *rt,
			       struct kvm_irq_route *e,
			       const struct kvm_irq_routing_entry *ue)
{
	struct kvm_irq_route *ei;
	u32 gsi = array_index_nospec(ue->gsi, rt->nr_rt_entries);
	u32 chip, pin;

	if (ue->flags & ~(ue->type == KVM_IRQ_ROUTING_MSI ?
			  KVM_MSI_VALID_DEVID : 0))
		return "unknown flags";

	/* One route per irqchip, or one MSI alone. */
	hlist_for_each_entry(ei, &rt->map[gsi], link)
		if (ei->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->u.irqchip.irqchip == ei->irqchip.irqchip)
			return "a second route of the GSI";

	e->gsi = gsi;
	e->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (irqchip_split(kvm))
			return "an irqchip route with a split irqchip";
		chip = ue->u.irqchip.irqchip;
		pin = ue->u.irqchip.pin;
		switch (chip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			if (pin >= PIC_PINS_PER_CHIP)
				return "PIC pin out of range";
			if (chip == KVM_IRQCHIP_PIC_SLAVE)
				pin += PIC_PINS_PER_CHIP;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (pin >= KVM_IOAPIC_NUM_PINS)
				return "IOAPIC pin out of range";
			break;
		default:
			return "unknown irqchip";
		}
		e->irqchip.irqchip = chip;
		e->irqchip.pin = pin;
		rt->chip[chip][pin] = gsi;
		break;
	case KVM_IRQ_ROUTING_MSI:
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		break;
	default:
		return "unknown type";
	}
	hlist_add_head(&e->link, &rt->map[gsi]);
	return NULL;
}

int kvm_set_irq_routing(struct kvm *kvm, const struct kvm_irq_routing_entry *ue,
			unsigned int nr, unsigned int flags)
{
	struct kvm_irq_routing_table *new, *old;
	const char *why;
	u32 i, j, nr_rt_entries = 0;
	int r;

	if (flags) {
		pr_info_ratelimited("KVM_SET_GSI_ROUTING: flags %#x\n", flags);
		return -EINVAL;
	}
	if (nr > KVM_MAX_IRQ_ROUTES) {
		pr_info_ratelimited("KVM_SET_GSI_ROUTING: %u entries, above %d\n",
				    nr, KVM_MAX_IRQ_ROUTES);
		return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVM_MAX_IRQ_ROUTES) {
			pr_info_ratelimited("KVM_SET_GSI_ROUTING: entry %u: gsi %u, above %d\n",
					    i, ue[i].gsi, KVM_MAX_IRQ_ROUTES - 1);
			return -EINVAL;
		}
		nr_rt_entries = max(nr_rt_entries, ue[i].gsi);
	}
	nr_rt_entries++;

	new = kvzalloc(struct_size(new, map, nr_rt_entries), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->nr_rt_entries = nr_rt_entries;
	for (i = 0; i < KVM_NR_IRQCHIPS; i++)
		for (j = 0; j < KVM_IRQCHIP_NUM_PINS; j++)
			new->chip[i][j] = -1;
	if (nr) {
		new->routes = kvcalloc(nr, sizeof(*new->routes),
				       GFP_KERNEL_ACCOUNT);
		r = -ENOMEM;
		if (!new->routes)
			goto free_new;
	}

	for (i = 0; i < nr; i++) {
		why = setup_route(kvm, new, &new->routes[i], &ue[i]);
		if (why) {
			pr_info_ratelimited("KVM_SET_GSI_ROUTING: entry %u (gsi %u, type %u): %s\n",
					    i, ue[i].gsi, ue[i].type, why);
			r = -EINVAL;
			goto free_new;
		}
	}

	mutex_lock(&kvm->irq_lock);
	old = rcu_dereference_protected(kvm->irq_routing,
					lockdep_is_held(&kvm->irq_lock));
	rcu_assign_pointer(kvm->irq_routing, new);
	kvm_irq_routing_update(kvm);
	mutex_unlock(&kvm->irq_lock);

	synchronize_srcu_expedited(&kvm->irq_srcu);
	free_irq_routing_table(old);
	return 0;

free_new:
	free_irq_routing_table(new);
	return r;
}

#define IOAPIC_ROUTE(n)						\
	{ .gsi = (n), .type = KVM_IRQ_ROUTING_IRQCHIP,			\
	  .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = (n) } }
#define PIC_ROUTE(n)							\
	{ .gsi = (n), .type = KVM_IRQ_ROUTING_IRQCHIP,			\
	  .u.irqchip = { .irqchip = (n) < 8 ? KVM_IRQCHIP_PIC_MASTER :	\
					      KVM_IRQCHIP_PIC_SLAVE,	\
			 .pin = (n) % 8 } }
#define BOTH_ROUTES(n)	IOAPIC_ROUTE(n), PIC_ROUTE(n)

static const struct kvm_irq_routing_entry default_routing[] = {
	BOTH_ROUTES(0), BOTH_ROUTES(1), BOTH_ROUTES(2), BOTH_ROUTES(3),
	BOTH_ROUTES(4), BOTH_ROUTES(5), BOTH_ROUTES(6), BOTH_ROUTES(7),
	BOTH_ROUTES(8), BOTH_ROUTES(9), BOTH_ROUTES(10), BOTH_ROUTES(11),
	BOTH_ROUTES(12), BOTH_ROUTES(13), BOTH_ROUTES(14), BOTH_ROUTES(15),
	IOAPIC_ROUTE(16), IOAPIC_ROUTE(17), IOAPIC_ROUTE(18),
	IOAPIC_ROUTE(19), IOAPIC_ROUTE(20), IOAPIC_ROUTE(21),
	IOAPIC_ROUTE(22), IOAPIC_ROUTE(23),
};

int kvm_setup_default_irq_routing(struct kvm *kvm)
{
	mutex_lock(&kvm->irq_lock);
	kvm->irq_sources_bitmap |= BIT(KVM_USERSPACE_IRQ_SOURCE_ID) |
				   BIT(KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID);
	mutex_unlock(&kvm->irq_lock);
	return kvm_set_irq_routing(kvm, default_routing,
				   ARRAY_SIZE(default_routing), 0);
}

/* The VM is going away: nobody reads the table any more. */
void kvm_free_irq_routing(struct kvm *kvm)
{
	free_irq_routing_table(rcu_dereference_protected(kvm->irq_routing, 1));
	RCU_INIT_POINTER(kvm->irq_routing, NULL);
}

void kvm_register_irq_ack_notifier(struct kvm *kvm,
				   struct kvm_irq_ack_notifier *kian)
{
	mutex_lock(&kvm->irq_lock);
	hlist_add_head_rcu(&kian->link, &kvm->irq_ack_notifier_list);
	mutex_unlock(&kvm->irq_lock);
}

void kvm_unregister_irq_ack_notifier(struct kvm *kvm,
				     struct kvm_irq_ack_notifier *kian)
{
	mutex_lock(&kvm->irq_lock);
	hlist_del_init_rcu(&kian->link);
	mutex_unlock(&kvm->irq_lock);
	synchronize_srcu(&kvm->irq_srcu);
}

void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip,
			  unsigned int pin)
{
	struct kvm_irq_ack_notifier *kian;
	int gsi, idx;

	idx = srcu_read_lock(&kvm->irq_srcu);
	gsi = irq_map_chip_pin_srcu(kvm, irqchip, pin);
	if (gsi != -1)
		hlist_for_each_entry_srcu(kian, &kvm->irq_ack_notifier_list,
					  link,
					  srcu_read_lock_held(&kvm->irq_srcu))
			if (kian->gsi == gsi)
				kian->irq_acked(kian);
	srcu_read_unlock(&kvm->irq_srcu, idx);
}
