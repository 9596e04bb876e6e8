// SPDX-License-Identifier: GPL-2.0
/* STUB: to be replaced. */
#include "../kvm_host.h"

int kvm_pic_create(struct kvm *kvm) { return -ENOSYS; }
void kvm_pic_destroy(struct kvm *kvm) { }
int kvm_pic_set_irq(struct kvm_pic *pic, int irq, int irq_source_id, int level) { return 0; }
bool kvm_pic_has_interrupt(struct kvm *kvm) { return false; }
int kvm_pic_read_irq(struct kvm *kvm) { return -1; }
void kvm_pic_get_state(struct kvm *kvm, int chip, struct kvm_pic_state *s) { }
void kvm_pic_set_state(struct kvm *kvm, int chip, const struct kvm_pic_state *s) { }
