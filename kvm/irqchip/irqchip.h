/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel irqchip: what its parts offer each other and the rest of
 * the module.  KVM_CREATE_IRQCHIP makes two 8259 PICs (i8259.c), an
 * IOAPIC (ioapic.c) and a local APIC per vCPU (lapic.c); the GSI routing
 * table (irq_comm.c) connects interrupt sources (KVM_IRQ_LINE, irqfd,
 * the PIT of i8254.c) to the chips' pins and to MSIs.  With
 * KVM_CAP_SPLIT_IRQCHIP only the local APICs are in the kernel, and the
 * IOAPIC and PIC are userspace's.
 *
 * One injection path: every source ends in the local APIC's IRR (or the
 * PIC's ExtINT output); before each entry the vCPU takes the highest
 * deliverable interrupt (kvm_cpu_get_interrupt(), irq.c) into
 * vcpu->pending_irq, which the backends inject as they inject a
 * KVM_INTERRUPT vector.
 *
 * Contexts: anything marked "any context" may be called with interrupts
 * off or from an hrtimer callback; it only uses atomics and spinlocks,
 * and wakes the vCPU with kvm_vcpu_kick().  The rest is process context
 * and may take mutexes.
 */
#ifndef KVM_IRQCHIP_H
#define KVM_IRQCHIP_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kvm.h>

struct kvm;
struct kvm_vcpu;
struct kvm_lapic;
struct kvm_pic;
struct kvm_ioapic;
struct kvm_pit;

/* kvm->irqchip_mode */
enum kvm_irqchip_mode {
	KVM_IRQCHIP_NONE,
	KVM_IRQCHIP_KERNEL,	/* KVM_CREATE_IRQCHIP */
	KVM_IRQCHIP_SPLIT,	/* KVM_ENABLE_CAP KVM_CAP_SPLIT_IRQCHIP */
};

/* The GSIs KVM_SET_GSI_ROUTING may name (upstream's KVM_MAX_IRQ_ROUTES). */
#define KVM_MAX_IRQ_ROUTES	4096
#define KVM_IRQCHIP_NUM_PINS	KVM_IOAPIC_NUM_PINS

/* irq source ids (kvm_set_irq()): userspace's KVM_IRQ_LINE and the PIT's. */
#define KVM_USERSPACE_IRQ_SOURCE_ID	0
#define KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID 1
#define KVM_PIT_IRQ_SOURCE_ID		2
#define KVM_NR_IRQ_SOURCE_IDS		BITS_PER_LONG

/* ---- I/O buses (iobus.c) -------------------------------------------- */

enum kvm_bus {
	KVM_MMIO_BUS,
	KVM_PIO_BUS,
	KVM_NR_BUSES
};

struct kvm_io_device;

/*
 * A device on a bus.  read() and write() return 0 when they handled the
 * access, -EOPNOTSUPP when it is not theirs (an ioeventfd whose datamatch
 * differs: the bus then tries the next device at that address, and then
 * userspace).  Called from the vCPU's thread, under the bus's SRCU read
 * side: they may sleep.
 */
struct kvm_io_device_ops {
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		    gpa_t addr, int len, void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		     gpa_t addr, int len, const void *val);
};

struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
};

/*
 * Registered devices: [addr, addr + len), len 0 meaning "any access at
 * addr" (ioeventfds without a length).  Register and unregister are
 * process context, under kvm->lock or not; they return -ENOMEM or
 * -ENOSPC (more than KVM_IO_BUS_MAX_DEVS).
 */
#define KVM_IO_BUS_MAX_DEVS	1000
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus, gpa_t addr,
			    int len, struct kvm_io_device *dev);
void kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus,
			       struct kvm_io_device *dev);
/* 0 handled by a device, -EOPNOTSUPP: no device took it (userspace's). */
int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus, gpa_t addr,
		    int len, void *val);
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus, gpa_t addr,
		     int len, const void *val);
void kvm_io_bus_destroy(struct kvm *kvm);

/* ---- the vCPU's side (irq.c, x86.c) --------------------------------- */

/*
 * Wake the vCPU: out of a halt sleep, or out of guest mode (an IPI) so
 * that it looks at its interrupts again before the next entry.  Any
 * context.
 */
void kvm_vcpu_kick(struct kvm_vcpu *vcpu);

/* An interrupt the vCPU could take if RFLAGS.IF allowed (APIC or PIC). */
bool kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu);
/* Acknowledge it: its vector, or -1 if there is none any more. */
int kvm_cpu_get_interrupt(struct kvm_vcpu *vcpu);

/* ---- the local APIC (lapic.c) --------------------------------------- */

/*
 * What the IOAPIC, MSIs and IPIs deliver: an interrupt message, as the
 * APIC architecture describes it (APIC_DM_* delivery modes from
 * asm/apicdef.h, shifted down: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI,
 * 5 INIT, 6 SIPI, 7 ExtINT).
 */
struct kvm_lapic_irq {
	u32 vector;
	u16 delivery_mode;	/* APIC_DM_FIXED ... APIC_DM_EXTINT (ICR bits 8-10) */
	u16 dest_mode;		/* APIC_DEST_PHYSICAL or APIC_DEST_LOGICAL */
	bool level;		/* asserted (always, but for INIT de-assert) */
	u16 trig_mode;		/* 0 edge, 1 level */
	u32 shorthand;		/* APIC_DEST_NOSHORT, _SELF, _ALLINC, _ALLBUT */
	u32 dest_id;		/* xAPIC: 8 bits; x2APIC: 32 */
	bool msi_redir_hint;
};

int kvm_lapic_create(struct kvm_vcpu *vcpu);	/* vcpu->apic */
void kvm_lapic_destroy(struct kvm_vcpu *vcpu);
/* Power-on (init_event false) or INIT (true): as the SDM's table says. */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event);

/*
 * Deliver to every local APIC the message names (@src: the sender, for
 * the self and all-but-self shorthands, or NULL).  Returns how many
 * APICs accepted it, -1 if none was addressed.  Any context.
 */
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src,
			     struct kvm_lapic_irq *irq);
long kvm_pv_send_ipi(struct kvm *kvm, unsigned long low, unsigned long high,
		     u32 min, unsigned long icr, unsigned int cluster);

/* The highest vector above the PPR in the IRR, or -1. */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu);
/* Acknowledge @vector: IRR to ISR, PPR raised (vector from the above). */
void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector);
/* LINT0 in ExtINT mode, or the APIC disabled: the PIC's INTR reaches the CPU. */
bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu);

/*
 * Run-loop hooks, in the vCPU's thread before each entry: an expired
 * timer's interrupt goes to the IRR (the hrtimer callback only counts it
 * and kicks).
 */
void kvm_lapic_sync_timer(struct kvm_vcpu *vcpu);
/*
 * INIT and SIPI: an INIT IPI sets KVM_APIC_INIT, a SIPI sets
 * KVM_APIC_SIPI with sipi_vector; kvm_apic_accept_events() (irq.c) acts
 * on them in the vCPU's thread.
 */
#define KVM_APIC_INIT	0
#define KVM_APIC_SIPI	1
unsigned long *kvm_apic_pending_events(struct kvm_vcpu *vcpu);
u8 kvm_apic_sipi_vector(struct kvm_vcpu *vcpu);
/* The APIC is in its wait-for-SIPI state (the vCPU's MP state too). */

/* TPR: CR8 is TPR[7:4]; both directions keep vcpu->cr8 in step. */
void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, u64 cr8);

/*
 * The xAPIC page at this vCPU's APIC base: 0 handled, -EOPNOTSUPP if
 * @gpa is not in it (or the APIC is disabled or in x2APIC mode).
 */
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t gpa, int len, void *val);
int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t gpa, int len,
			 const void *val);
/* x2APIC MSRs 0x800-0x8ff: 0, or 1 for a #GP. */
int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data);
int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data);
/*
 * IA32_APIC_BASE with an in-kernel APIC: enable, x2APIC, BSP, base.
 * 0, or 1 for a #GP (host_initiated: the refusal the ioctl reports).
 */
int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host_initiated);
/* IA32_TSC_DEADLINE. */
u64 kvm_lapic_get_tscdeadline(struct kvm_vcpu *vcpu);
void kvm_lapic_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data);

/* KVM_GET_LAPIC / KVM_SET_LAPIC: the register page, exactly. */
int kvm_lapic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);
int kvm_lapic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);

/* ---- the IOAPIC (ioapic.c) and the PICs (i8259.c) ------------------- */

int kvm_ioapic_create(struct kvm *kvm);		/* kvm->ioapic, on the MMIO bus */
void kvm_ioapic_destroy(struct kvm *kvm);
/* A pin's level (irq_comm.c's routing calls it).  >0 delivered, 0 coalesced. */
int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, int pin, int irq_source_id,
		       int level, bool line_status);
/* A local APIC's EOI of a level-triggered @vector (lapic.c calls it). */
void kvm_ioapic_update_eoi(struct kvm_vcpu *vcpu, int vector, int trigger_mode);
void kvm_ioapic_get_state(struct kvm *kvm, struct kvm_ioapic_state *s);
void kvm_ioapic_set_state(struct kvm *kvm, const struct kvm_ioapic_state *s);

int kvm_pic_create(struct kvm *kvm);		/* kvm->pic, on the PIO bus */
void kvm_pic_destroy(struct kvm *kvm);
int kvm_pic_set_irq(struct kvm_pic *pic, int irq, int irq_source_id, int level);
/* The PICs' INTR output (any context), and the INTA cycle: a vector. */
bool kvm_pic_has_interrupt(struct kvm *kvm);
int kvm_pic_read_irq(struct kvm *kvm);
/* chip: KVM_IRQCHIP_PIC_MASTER or _SLAVE. */
void kvm_pic_get_state(struct kvm *kvm, int chip, struct kvm_pic_state *s);
void kvm_pic_set_state(struct kvm *kvm, int chip, const struct kvm_pic_state *s);

/* ---- routing (irq_comm.c) ------------------------------------------- */

int kvm_setup_default_irq_routing(struct kvm *kvm);
int kvm_set_irq_routing(struct kvm *kvm, const struct kvm_irq_routing_entry *ue,
			unsigned int nr, unsigned int flags);
void kvm_free_irq_routing(struct kvm *kvm);
/*
 * Set @gsi's level for @irq_source_id on every chip pin or MSI it routes
 * to: >0 delivered, 0 coalesced (KVM_IRQ_LINE_STATUS), -1 (-EINVAL...)
 * if the GSI routes nowhere.  Process context.
 */
int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level,
		bool line_status);
/* KVM_SIGNAL_MSI, and MSI routes: >0 delivered, 0 blocked, <0 error. */
int kvm_set_msi(struct kvm *kvm, const struct kvm_msi *msi);
/* The GSI routed to (irqchip, pin), or -1. */
int kvm_irq_map_chip_pin(struct kvm *kvm, unsigned int irqchip,
			 unsigned int pin);

/*
 * Ack notifiers: called when the guest acknowledges the interrupt of
 * @gsi (EOI at the IOAPIC for level-triggered ones; the PIC's ack), for
 * the PIT's reinjection and irqfd's resample.
 */
struct kvm_irq_ack_notifier {
	struct hlist_node link;
	unsigned int gsi;
	void (*irq_acked)(struct kvm_irq_ack_notifier *kian);
};
void kvm_register_irq_ack_notifier(struct kvm *kvm,
				   struct kvm_irq_ack_notifier *kian);
void kvm_unregister_irq_ack_notifier(struct kvm *kvm,
				     struct kvm_irq_ack_notifier *kian);
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip,
			  unsigned int pin);

/* ---- the PIT (i8254.c) ---------------------------------------------- */

int kvm_pit_create(struct kvm *kvm, u32 flags);	/* kvm->pit */
void kvm_pit_destroy(struct kvm *kvm);
int kvm_pit_get_state2(struct kvm *kvm, struct kvm_pit_state2 *s);
int kvm_pit_set_state2(struct kvm *kvm, const struct kvm_pit_state2 *s);
int kvm_pit_get_state(struct kvm *kvm, struct kvm_pit_state *s);
int kvm_pit_set_state(struct kvm *kvm, const struct kvm_pit_state *s);
int kvm_pit_reinject_control(struct kvm *kvm, bool reinject);

/* ---- irqfd and ioeventfd (eventfd.c) -------------------------------- */

void kvm_eventfd_init(struct kvm *kvm);
int kvm_irqfd(struct kvm *kvm, struct kvm_irqfd *args);
/* The VM is going away: every irqfd and ioeventfd is released. */
void kvm_eventfd_release(struct kvm *kvm);
/* The routing table changed (irqfds cache their route). */
void kvm_irq_routing_update(struct kvm *kvm);
int kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args);
int kvm_eventfd_module_init(void);
void kvm_eventfd_module_exit(void);

#endif
