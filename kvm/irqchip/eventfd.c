// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

void kvm_eventfd_init(struct kvm *kvm) { }
int kvm_irqfd(struct kvm *kvm, struct kvm_irqfd *args) { return -ENOSYS; }
void kvm_eventfd_release(struct kvm *kvm) { }
void kvm_irq_routing_update(struct kvm *kvm) { }
int kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args) { return -ENOSYS; }
int kvm_eventfd_module_init(void) { return 0; }
void kvm_eventfd_module_exit(void) { }
