// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel I/O buses: port I/O and MMIO that a device in the kernel
 * (the PICs, the PIT, the IOAPIC, ioeventfds) answers instead of
 * userspace.  A bus is an array, copied on every change and published
 * with RCU; vCPUs read it under kvm->bus_srcu, so a device op may sleep.
 * Buses are small (a handful of chips plus the VMM's ioeventfds), so a
 * lookup is a linear scan.
 */
#include <linux/slab.h>

#include "../kvm_host.h"

struct kvm_io_range {
	gpa_t addr;
	int len;		/* 0: any access at addr */
	struct kvm_io_device *dev;
};

struct kvm_io_bus {
	int nr;
	struct kvm_io_range range[];
};

static struct kvm_io_bus *kvm_io_bus_get(struct kvm *kvm, enum kvm_bus bus)
{
	return srcu_dereference_check(kvm->buses[bus], &kvm->bus_srcu,
				      lockdep_is_held(&kvm->bus_lock));
}

int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus, gpa_t addr,
			    int len, struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *new;
	int nr, r = 0;

	mutex_lock(&kvm->bus_lock);
	old = kvm_io_bus_get(kvm, bus);
	nr = old ? old->nr : 0;
	if (nr >= KVM_IO_BUS_MAX_DEVS) {
		r = -ENOSPC;
		goto out_unlock;
	}
	new = kmalloc(struct_size(new, range, nr + 1), GFP_KERNEL_ACCOUNT);
	if (!new) {
		r = -ENOMEM;
		goto out_unlock;
	}
	if (old)
		memcpy(new->range, old->range, nr * sizeof(new->range[0]));
	new->range[nr] = (struct kvm_io_range){ addr, len, dev };
	new->nr = nr + 1;
	rcu_assign_pointer(kvm->buses[bus], new);
	synchronize_srcu_expedited(&kvm->bus_srcu);
	kfree(old);
out_unlock:
	mutex_unlock(&kvm->bus_lock);
	return r;
}

/*
 * Remove @dev.  Without memory for a smaller copy the device is cleared
 * in place (a NULL device is skipped), so unregistering never fails.
 */
void kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus,
			       struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *new;
	int i, j;

	mutex_lock(&kvm->bus_lock);
	old = kvm_io_bus_get(kvm, bus);
	if (!old)
		goto out_unlock;
	new = kmalloc(struct_size(new, range, old->nr), GFP_KERNEL_ACCOUNT);
	if (!new) {
		for (i = 0; i < old->nr; i++)
			if (old->range[i].dev == dev)
				WRITE_ONCE(old->range[i].dev, NULL);
		synchronize_srcu_expedited(&kvm->bus_srcu);
		goto out_unlock;
	}
	for (i = j = 0; i < old->nr; i++)
		if (old->range[i].dev != dev)
			new->range[j++] = old->range[i];
	new->nr = j;
	rcu_assign_pointer(kvm->buses[bus], new);
	synchronize_srcu_expedited(&kvm->bus_srcu);
	kfree(old);
out_unlock:
	mutex_unlock(&kvm->bus_lock);
}

static bool kvm_io_range_covers(const struct kvm_io_range *r, gpa_t addr,
				int len)
{
	if (!r->len)
		return r->addr == addr;
	return addr >= r->addr && addr + len <= r->addr + r->len;
}

static int kvm_io_bus_access(struct kvm_vcpu *vcpu, enum kvm_bus bus,
			     gpa_t addr, int len, void *val, bool write)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_io_bus *b;
	int i, idx, r = -EOPNOTSUPP;

	idx = srcu_read_lock(&kvm->bus_srcu);
	b = srcu_dereference(kvm->buses[bus], &kvm->bus_srcu);
	for (i = 0; b && i < b->nr && r == -EOPNOTSUPP; i++) {
		struct kvm_io_device *dev = READ_ONCE(b->range[i].dev);

		if (!dev || !kvm_io_range_covers(&b->range[i], addr, len))
			continue;
		if (write && dev->ops->write)
			r = dev->ops->write(vcpu, dev, addr, len, val);
		else if (!write && dev->ops->read)
			r = dev->ops->read(vcpu, dev, addr, len, val);
	}
	srcu_read_unlock(&kvm->bus_srcu, idx);
	return r;
}

int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus, gpa_t addr,
		    int len, void *val)
{
	return kvm_io_bus_access(vcpu, bus, addr, len, val, false);
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus, gpa_t addr,
		     int len, const void *val)
{
	return kvm_io_bus_access(vcpu, bus, addr, len, (void *)val, true);
}

/* The VM is going: the devices were unregistered by their owners. */
void kvm_io_bus_destroy(struct kvm *kvm)
{
	int i;

	for (i = 0; i < KVM_NR_BUSES; i++)
		kfree(rcu_dereference_protected(kvm->buses[i], 1));
}
