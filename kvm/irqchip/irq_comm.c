// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

int kvm_setup_default_irq_routing(struct kvm *kvm) { return 0; }
int kvm_set_irq_routing(struct kvm *kvm, const struct kvm_irq_routing_entry *ue, unsigned int nr, unsigned int flags) { return -ENOSYS; }
void kvm_free_irq_routing(struct kvm *kvm) { }
int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level, bool line_status) { return -1; }
int kvm_set_msi(struct kvm *kvm, const struct kvm_msi *msi) { return -ENOSYS; }
int kvm_irq_map_chip_pin(struct kvm *kvm, unsigned int irqchip, unsigned int pin) { return -1; }
void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian) { }
void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian) { }
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin) { }
