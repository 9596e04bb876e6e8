// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

int kvm_pit_create(struct kvm *kvm, u32 flags) { return -ENOSYS; }
void kvm_pit_destroy(struct kvm *kvm) { }
int kvm_pit_get_state2(struct kvm *kvm, struct kvm_pit_state2 *s) { return -ENOSYS; }
int kvm_pit_set_state2(struct kvm *kvm, const struct kvm_pit_state2 *s) { return -ENOSYS; }
int kvm_pit_get_state(struct kvm *kvm, struct kvm_pit_state *s) { return -ENOSYS; }
int kvm_pit_set_state(struct kvm *kvm, const struct kvm_pit_state *s) { return -ENOSYS; }
int kvm_pit_reinject_control(struct kvm *kvm, bool reinject) { return -ENOSYS; }
