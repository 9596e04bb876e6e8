// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

int kvm_ioapic_create(struct kvm *kvm) { return -ENOSYS; }
void kvm_ioapic_destroy(struct kvm *kvm) { }
int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, int pin, int irq_source_id, int level, bool line_status) { return 0; }
void kvm_ioapic_update_eoi(struct kvm_vcpu *vcpu, int vector, int trigger_mode) { }
void kvm_ioapic_get_state(struct kvm *kvm, struct kvm_ioapic_state *s) { }
void kvm_ioapic_set_state(struct kvm *kvm, const struct kvm_ioapic_state *s) { }
