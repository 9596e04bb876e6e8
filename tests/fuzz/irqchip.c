// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl fuzzer's in-kernel irqchip calls (tests/fuzz/README.md): the
 * VM's KVM_CREATE_IRQCHIP, split irqchip, IRQ lines, chip state, GSI
 * routes, MSIs, the PIT, irqfds and ioeventfds; the vCPU's local APIC
 * state.  Arguments are mostly well formed with a few fields wrong, so
 * that the calls get past the first check; state is often the kernel's
 * own, read back and changed in a few bytes.
 */
#include <sys/eventfd.h>

#include "fuzz.h"
#include "fuzz_ioctl.h"

/* A chip pin or MSI route, sometimes with a bad field. */
static void rand_route(struct rng *r, struct kvm_irq_routing_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->gsi = one_in(r, 8) ? (uint32_t)rand_u64(r) : rn(r, 48);
	e->type = one_in(r, 8) ? (uint32_t)rnd(r) :
		  one_in(r, 2) ? KVM_IRQ_ROUTING_IRQCHIP : KVM_IRQ_ROUTING_MSI;
	e->flags = one_in(r, 8) ? (uint32_t)rnd(r) : 0;
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
		e->u.irqchip.irqchip = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 3);
		e->u.irqchip.pin = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 26);
	} else {
		e->u.msi.address_lo = 0xfee00000 | (rn(r, 256) << 12) |
				      (rn(r, 2) << 2);
		if (one_in(r, 8))
			e->u.msi.address_lo = rnd(r);
		e->u.msi.address_hi = one_in(r, 8) ? (uint32_t)rnd(r) : 0;
		e->u.msi.data = one_in(r, 4) ? (uint32_t)rnd(r) :
				(rn(r, 8) << 8) | rn(r, 256) | (rn(r, 2) << 15);
	}
}

/* An eventfd that the call may keep; closed after, which hangs up irqfds. */
static int fuzz_irqfd(struct rng *r, int fd)
{
	struct kvm_irqfd a = { 0 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	int rc;

	a.fd = one_in(r, 8) ? (uint32_t)rnd(r) : (uint32_t)efd;
	a.gsi = one_in(r, 8) ? (uint32_t)rand_u64(r) : rn(r, 32);
	a.flags = one_in(r, 8) ? (uint32_t)rnd(r) :
		  one_in(r, 3) ? KVM_IRQFD_FLAG_RESAMPLE :
		  one_in(r, 3) ? KVM_IRQFD_FLAG_DEASSIGN : 0;
	a.resamplefd = one_in(r, 8) ? (uint32_t)rnd(r) : (uint32_t)rfd;
	rc = ioctl(fd, KVM_IRQFD, rand_ptr(r, &a));
	if (one_in(r, 2) && write(efd, &one, sizeof(one)) < 0)
		rc = -1;
	if (one_in(r, 4)) {
		a.fd = efd;
		a.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(fd, KVM_IRQFD, &a);
	}
	close(efd);
	close(rfd);
	return rc;
}

static int fuzz_ioeventfd(struct rng *r, int fd)
{
	static const uint32_t lens[] = { 0, 1, 2, 4, 8, 3, 16 };
	struct kvm_ioeventfd a = { 0 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rc;

	a.fd = one_in(r, 8) ? (int32_t)rnd(r) : efd;
	a.len = one_in(r, 8) ? (uint32_t)rnd(r) : lens[rn(r, NB(lens))];
	a.flags = one_in(r, 8) ? (uint32_t)rnd(r) :
		  (rn(r, 2) ? KVM_IOEVENTFD_FLAG_PIO : 0) |
		  (rn(r, 2) ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
		  (one_in(r, 4) ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0);
	a.addr = one_in(r, 4) ? rand_u64(r) :
		 (a.flags & KVM_IOEVENTFD_FLAG_PIO) ? rn(r, 0x100) :
		 one_in(r, 2) ? 0xfee00000 + rn(r, 0x400) : 0xd0000000 + rn(r, 64);
	a.datamatch = rn(r, 4);
	rc = ioctl(fd, KVM_IOEVENTFD, rand_ptr(r, &a));
	if (one_in(r, 3)) {
		a.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(fd, KVM_IOEVENTFD, &a);
	}
	close(efd);
	return rc;
}

int fuzz_irqchip_vm(struct rng *r, int fd)
{
	union {
		struct kvm_irqchip chip;
		struct kvm_irq_level line;
		struct kvm_msi msi;
		struct kvm_pit_config pit;
		struct kvm_pit_state2 pit2;
		struct kvm_reinject_control rc;
		struct kvm_enable_cap cap;
		struct {
			struct kvm_irq_routing r;
			struct kvm_irq_routing_entry e[64];
		} routing;
	} u;
	int i;

	memset(&u, 0, sizeof(u));
	switch (rn(r, 14)) {
	case 0:
		return ioctl(fd, KVM_CREATE_IRQCHIP, 0);
	case 1:
		u.cap.cap = KVM_CAP_SPLIT_IRQCHIP;
		u.cap.args[0] = one_in(r, 4) ? rand_u64(r) : 24;
		return ioctl(fd, KVM_ENABLE_CAP, rand_ptr(r, &u.cap));
	case 2:
	case 3:
		u.line.irq = one_in(r, 8) ? (uint32_t)rand_u64(r) : rn(r, 32);
		u.line.level = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 2);
		return ioctl(fd, one_in(r, 2) ? KVM_IRQ_LINE : KVM_IRQ_LINE_STATUS,
			     rand_ptr(r, &u.line));
	case 4:
		/* The kernel's own state, changed in a few bytes, or garbage. */
		u.chip.chip_id = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 3);
		ioctl(fd, KVM_GET_IRQCHIP, &u.chip);
		if (one_in(r, 4))
			rand_bytes(r, &u.chip.chip, sizeof(u.chip.chip));
		else
			for (i = 0; i < 1 + (int)rn(r, 4); i++)
				((uint8_t *)&u.chip.chip)[rn(r, sizeof(u.chip.chip))] = rnd(r);
		return ioctl(fd, one_in(r, 4) ? KVM_GET_IRQCHIP : KVM_SET_IRQCHIP,
			     rand_ptr(r, &u.chip));
	case 5:
		u.routing.r.nr = one_in(r, 8) ? (uint32_t)rand_u64(r) : rn(r, 65);
		u.routing.r.flags = one_in(r, 8) ? (uint32_t)rnd(r) : 0;
		for (i = 0; i < 64; i++)
			rand_route(r, &u.routing.e[i]);
		return ioctl(fd, KVM_SET_GSI_ROUTING, rand_ptr(r, &u.routing));
	case 6: {
		struct kvm_irq_routing_entry e;

		rand_route(r, &e);
		u.msi.address_lo = e.u.msi.address_lo;
		u.msi.address_hi = e.u.msi.address_hi;
		u.msi.data = e.u.msi.data;
		u.msi.flags = one_in(r, 8) ? (uint32_t)rnd(r) : 0;
		return ioctl(fd, KVM_SIGNAL_MSI, rand_ptr(r, &u.msi));
	}
	case 7:
		u.pit.flags = one_in(r, 4) ? (uint32_t)rnd(r) : rn(r, 2);
		return ioctl(fd, KVM_CREATE_PIT2, rand_ptr(r, &u.pit));
	case 8:
		ioctl(fd, KVM_GET_PIT2, &u.pit2);
		if (one_in(r, 4))
			rand_bytes(r, &u.pit2, sizeof(u.pit2));
		else
			for (i = 0; i < 1 + (int)rn(r, 4); i++)
				((uint8_t *)&u.pit2)[rn(r, sizeof(u.pit2))] = rnd(r);
		return ioctl(fd, one_in(r, 4) ? KVM_GET_PIT2 : KVM_SET_PIT2,
			     rand_ptr(r, &u.pit2));
	case 9:
		u.rc.pit_reinject = rnd(r);
		return ioctl(fd, KVM_REINJECT_CONTROL, rand_ptr(r, &u.rc));
	case 10:
	case 11:
		return fuzz_irqfd(r, fd);
	case 12:
		return fuzz_ioeventfd(r, fd);
	default:
		return ioctl(fd, KVM_SET_BOOT_CPU_ID,
			     one_in(r, 4) ? (unsigned long)rand_u64(r) : rn(r, 4));
	}
}

int fuzz_irqchip_vcpu(struct rng *r, int fd)
{
	struct kvm_lapic_state s;
	int i;

	memset(&s, 0, sizeof(s));
	ioctl(fd, KVM_GET_LAPIC, &s);
	if (one_in(r, 4))
		rand_bytes(r, &s, sizeof(s));
	else
		for (i = 0; i < 1 + (int)rn(r, 6); i++)
			s.regs[rn(r, 0x40) * 16 + rn(r, 4)] = rnd(r);
	return ioctl(fd, one_in(r, 4) ? KVM_GET_LAPIC : KVM_SET_LAPIC,
		     rand_ptr(r, &s));
}

/* A new VM: sometimes an in-kernel or split irqchip and a PIT first. */
void fuzz_irqchip_vm_make(struct rng *r, int fd)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvm_pit_config pit = { 0 };

	switch (rn(r, 4)) {
	case 0:
		return;
	case 1:
		ioctl(fd, KVM_ENABLE_CAP, &cap);
		return;
	default:
		ioctl(fd, KVM_CREATE_IRQCHIP, 0);
		if (rn(r, 2))
			ioctl(fd, KVM_CREATE_PIT2, &pit);
		return;
	}
}
