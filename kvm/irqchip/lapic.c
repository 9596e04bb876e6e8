// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

int kvm_lapic_create(struct kvm_vcpu *vcpu) { return -ENOSYS; }
void kvm_lapic_destroy(struct kvm_vcpu *vcpu) { }
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event) { }
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src, struct kvm_lapic_irq *irq) { return -1; }
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu) { return -1; }
void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector) { }
bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu) { return false; }
void kvm_lapic_sync_timer(struct kvm_vcpu *vcpu) { }
unsigned long *kvm_apic_pending_events(struct kvm_vcpu *vcpu) { static unsigned long x; return &x; }
u8 kvm_apic_sipi_vector(struct kvm_vcpu *vcpu) { return 0; }
void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, u64 cr8) { vcpu->cr8 = cr8; }
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t gpa, int len, void *val) { return -EOPNOTSUPP; }
int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t gpa, int len, const void *val) { return -EOPNOTSUPP; }
int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data) { return 1; }
int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data) { return 1; }
int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host_initiated) { vcpu->apic_base = value; return 0; }
u64 kvm_lapic_get_tscdeadline(struct kvm_vcpu *vcpu) { return 0; }
void kvm_lapic_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data) { }
int kvm_lapic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s) { return -ENOSYS; }
int kvm_lapic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s) { return -ENOSYS; }
