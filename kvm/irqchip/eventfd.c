// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd and ioeventfd: eventfds as interrupt lines and as doorbells.
 *
 * KVM_IRQFD ties an eventfd to a GSI: a write to the eventfd (by another
 * process, a vhost thread, another VM's ioeventfd) wakes our wait-queue
 * entry, which queues the injection on kvm-irqfd: kvm_set_irq() wants
 * process context, and the wake-up runs with the eventfd's lock held and
 * interrupts off.  A plain irqfd pulses the GSI (edge).  A resample irqfd
 * (KVM_IRQFD_FLAG_RESAMPLE) raises it and keeps it high, on its own
 * source id, until the guest acknowledges the interrupt (EOI of the
 * level-triggered pin): the ack notifier then lowers it and signals the
 * resamplefd, and the device behind it re-asserts if it still wants
 * service.  The irqfds of one GSI share one resampler, so that the line
 * goes low once and every resamplefd hears of it.
 *
 * An irqfd goes away on KVM_IRQFD_FLAG_DEASSIGN, when its eventfd is
 * closed (EPOLLHUP reaches the wake-up) and with the VM; in each case it
 * is taken off kvm->irqfds.items under kvm->irqfds.lock and its shutdown
 * (off the wait queue, the injection flushed, the references dropped)
 * runs on kvm-irqfd-cleanup, which deassign and release flush.
 *
 * KVM_IOEVENTFD puts a device on the PIO or MMIO bus whose write signals
 * the eventfd when the access is its (the address, and the length and
 * value if it has them): the guest's write completes in the kernel, and
 * the eventfd's reader (a device model's thread) picks the work up.
 * Anything else at that address (another value, a read) is not the
 * device's: the bus tries the next device, then userspace.
 *
 * What upstream's irqfd has that this one has not: the routing cache and
 * atomic injection of MSIs from the wake-up (kvm_irq_routing_update() is
 * a no-op), and IRQ bypass.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../kvm_host.h"

/* ---- irqfd ------------------------------------------------------------ */

static struct workqueue_struct *irqfd_wq;		/* injections */
static struct workqueue_struct *irqfd_cleanup_wq;	/* shutdowns */

/* The resample irqfds of one GSI (on kvm->irqfds.resampler_list). */
struct irqfd_resampler {
	struct kvm *kvm;
	struct list_head link;
	/* Its irqfds: added and removed under resampler_lock, read under irq_srcu. */
	struct list_head irqfds;
	struct kvm_irq_ack_notifier ack;
};

struct irqfd {
	struct kvm *kvm;
	u32 gsi;
	struct eventfd_ctx *eventfd;
	wait_queue_entry_t wait;
	poll_table pt;
	/* On kvm->irqfds.items while active; empty once deactivated. */
	struct list_head list;
	struct work_struct inject;
	struct work_struct shutdown;
	/* Resample irqfds only. */
	struct irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;
};

static void irqfd_inject(struct work_struct *work)
{
	struct irqfd *irqfd = container_of(work, struct irqfd, inject);
	struct kvm *kvm = irqfd->kvm;

	if (irqfd->resampler) {
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, irqfd->gsi,
			    1, false);
		return;
	}
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 0, false);
}

/*
 * The guest acknowledged the GSI: lower the shared line once (each
 * resample irqfd lowering it could undo another's re-assertion), then
 * tell every resamplefd.  Called from the EOI, in the vCPU's thread.
 */
static void irqfd_resampler_acked(struct kvm_irq_ack_notifier *kian)
{
	struct irqfd_resampler *resampler =
		container_of(kian, struct irqfd_resampler, ack);
	struct kvm *kvm = resampler->kvm;
	struct irqfd *irqfd;
	int idx;

	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, kian->gsi, 0, false);

	idx = srcu_read_lock(&kvm->irq_srcu);
	list_for_each_entry_srcu(irqfd, &resampler->irqfds, resampler_link,
				 srcu_read_lock_held(&kvm->irq_srcu))
		eventfd_signal(irqfd->resamplefd, 1);
	srcu_read_unlock(&kvm->irq_srcu, idx);
}

/* @irqfd leaves its resampler; the last one out frees it and lowers the line. */
static void irqfd_resampler_leave(struct irqfd *irqfd)
{
	struct irqfd_resampler *resampler = irqfd->resampler;
	struct kvm *kvm = resampler->kvm;

	mutex_lock(&kvm->irqfds.resampler_lock);
	list_del_rcu(&irqfd->resampler_link);
	synchronize_srcu(&kvm->irq_srcu);
	if (list_empty(&resampler->irqfds)) {
		list_del(&resampler->link);
		kvm_unregister_irq_ack_notifier(kvm, &resampler->ack);
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
			    resampler->ack.gsi, 0, false);
		kfree(resampler);
	}
	mutex_unlock(&kvm->irqfds.resampler_lock);
}

/* @irqfd joins the resampler of its GSI, made if it is the first. */
static int irqfd_resampler_join(struct kvm *kvm, struct irqfd *irqfd)
{
	struct irqfd_resampler *resampler;

	mutex_lock(&kvm->irqfds.resampler_lock);
	list_for_each_entry(resampler, &kvm->irqfds.resampler_list, link) {
		if (resampler->ack.gsi == irqfd->gsi) {
			irqfd->resampler = resampler;
			break;
		}
	}
	if (!irqfd->resampler) {
		resampler = kzalloc(sizeof(*resampler), GFP_KERNEL_ACCOUNT);
		if (!resampler) {
			mutex_unlock(&kvm->irqfds.resampler_lock);
			return -ENOMEM;
		}
		resampler->kvm = kvm;
		INIT_LIST_HEAD(&resampler->irqfds);
		INIT_HLIST_NODE(&resampler->ack.link);
		resampler->ack.gsi = irqfd->gsi;
		resampler->ack.irq_acked = irqfd_resampler_acked;
		list_add(&resampler->link, &kvm->irqfds.resampler_list);
		kvm_register_irq_ack_notifier(kvm, &resampler->ack);
		irqfd->resampler = resampler;
	}
	list_add_rcu(&irqfd->resampler_link, &irqfd->resampler->irqfds);
	synchronize_srcu(&kvm->irq_srcu);
	mutex_unlock(&kvm->irqfds.resampler_lock);
	return 0;
}

/* On kvm-irqfd-cleanup: the irqfd is off kvm->irqfds.items already. */
static void irqfd_shutdown(struct work_struct *work)
{
	struct irqfd *irqfd = container_of(work, struct irqfd, shutdown);
	struct kvm *kvm = irqfd->kvm;
	u64 cnt;

	/* kvm_irqfd_assign() is done with it (it polls under irq_srcu). */
	synchronize_srcu(&kvm->irq_srcu);
	/* No wake-up after this, so no injection queued after the flush. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);
	if (irqfd->resampler) {
		irqfd_resampler_leave(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* Under kvm->irqfds.lock. */
static bool irqfd_is_active(struct irqfd *irqfd)
{
	return !list_empty(&irqfd->list);
}

/* Under kvm->irqfds.lock: off the list, and its shutdown queued. */
static void irqfd_deactivate(struct irqfd *irqfd)
{
	list_del_init(&irqfd->list);
	queue_work(irqfd_cleanup_wq, &irqfd->shutdown);
}

/* The eventfd's wake-up: its wait-queue lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct irqfd *irqfd = container_of(wait, struct irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct kvm *kvm = irqfd->kvm;
	unsigned long iflags;
	int ret = 0;

	if (flags & EPOLLIN) {
		u64 cnt;

		/* Consume the count: the next write wakes us again. */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		queue_work(irqfd_wq, &irqfd->inject);
		ret = 1;
	}

	if (flags & EPOLLHUP) {
		/* The eventfd is being released. */
		spin_lock_irqsave(&kvm->irqfds.lock, iflags);
		/* Unless deassign or release got there first. */
		if (irqfd_is_active(irqfd))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&kvm->irqfds.lock, iflags);
	}
	return ret;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct irqfd *irqfd = container_of(pt, struct irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

static int kvm_irqfd_assign(struct kvm *kvm, struct kvm_irqfd *args)
{
	bool resample = args->flags & KVM_IRQFD_FLAG_RESAMPLE;
	struct irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	__poll_t events;
	struct fd f;
	int idx, r;

	/* Upstream x86's: no irqchip, or resampling without the IOAPIC. */
	if (!irqchip_in_kernel(kvm)) {
		pr_info_ratelimited("KVM_IRQFD: no in-kernel irqchip\n");
		return -EINVAL;
	}
	if (resample && !pic_in_kernel(kvm)) {
		pr_info_ratelimited("KVM_IRQFD: resampling needs the in-kernel IOAPIC, not a split irqchip\n");
		return -EINVAL;
	}
	if (args->gsi >= KVM_MAX_IRQ_ROUTES) {
		pr_info_ratelimited("KVM_IRQFD: gsi %u, want below %u\n",
				    args->gsi, KVM_MAX_IRQ_ROUTES);
		return -EINVAL;
	}

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->kvm = kvm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_LIST_HEAD(&irqfd->resampler_link);
	INIT_WORK(&irqfd->inject, irqfd_inject);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);

	/* The file is held until the irqfd is complete: no EPOLLHUP before. */
	f = fdget(args->fd);
	if (!f.file) {
		r = -EBADF;
		goto free_irqfd;
	}
	eventfd = eventfd_ctx_fileget(f.file);
	if (IS_ERR(eventfd)) {
		r = PTR_ERR(eventfd);
		goto put_file;
	}
	irqfd->eventfd = eventfd;

	if (resample) {
		eventfd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(eventfd)) {
			r = PTR_ERR(eventfd);
			goto put_eventfd;
		}
		irqfd->resamplefd = eventfd;
		r = irqfd_resampler_join(kvm, irqfd);
		if (r)
			goto put_resamplefd;
	}

	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_ptable_queue_proc);

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry(tmp, &kvm->irqfds.items, list) {
		if (tmp->eventfd == irqfd->eventfd) {
			spin_unlock_irq(&kvm->irqfds.lock);
			pr_info_ratelimited("KVM_IRQFD: fd %d already feeds gsi %u\n",
					    args->fd, tmp->gsi);
			r = -EBUSY;
			goto leave_resampler;
		}
	}
	/*
	 * Between here and the poll, a deassign may queue its shutdown:
	 * the shutdown's synchronize_srcu() waits for the poll.
	 */
	idx = srcu_read_lock(&kvm->irq_srcu);
	list_add_tail(&irqfd->list, &kvm->irqfds.items);
	spin_unlock_irq(&kvm->irqfds.lock);

	/* On the wait queue; a write made before now injects as well. */
	events = vfs_poll(f.file, &irqfd->pt);
	if (events & EPOLLIN)
		queue_work(irqfd_wq, &irqfd->inject);
	srcu_read_unlock(&kvm->irq_srcu, idx);

	fdput(f);
	return 0;

leave_resampler:
	if (irqfd->resampler)
		irqfd_resampler_leave(irqfd);
put_resamplefd:
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
put_eventfd:
	eventfd_ctx_put(irqfd->eventfd);
put_file:
	fdput(f);
free_irqfd:
	kfree(irqfd);
	return r;
}

/* Every irqfd of (fd, gsi): none of them injects once this returns. */
static int kvm_irqfd_deassign(struct kvm *kvm, struct kvm_irqfd *args)
{
	struct irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds.items, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&kvm->irqfds.lock);
	eventfd_ctx_put(eventfd);

	flush_workqueue(irqfd_cleanup_wq);
	return 0;
}

int kvm_irqfd(struct kvm *kvm, struct kvm_irqfd *args)
{
	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)) {
		pr_info_ratelimited("KVM_IRQFD: unknown flags %#x\n", args->flags);
		return -EINVAL;
	}
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return kvm_irqfd_deassign(kvm, args);
	return kvm_irqfd_assign(kvm, args);
}

/* No routing cache: each injection looks its GSI up (kvm_set_irq()). */
void kvm_irq_routing_update(struct kvm *kvm)
{
}

/* ---- ioeventfd -------------------------------------------------------- */

/* kvm->ioeventfds, of every VM: assign and deassign are rare. */
static DEFINE_MUTEX(ioeventfd_lock);

struct ioeventfd {
	struct list_head list;		/* kvm->ioeventfds */
	enum kvm_bus bus;
	u64 addr;
	int len;			/* 0: any access at addr */
	bool wildcard;			/* no KVM_IOEVENTFD_FLAG_DATAMATCH */
	u64 datamatch;
	struct eventfd_ctx *eventfd;
	struct kvm_io_device dev;
};

static int ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			   gpa_t addr, int len, const void *val)
{
	struct ioeventfd *p = container_of(dev, struct ioeventfd, dev);
	u64 v = 0;

	if (addr != p->addr)
		return -EOPNOTSUPP;
	if (p->len) {
		if (len != p->len)
			return -EOPNOTSUPP;
		if (!p->wildcard) {
			/* A value of len bytes, little-endian, against all 64 bits. */
			memcpy(&v, val, len);
			if (v != p->datamatch)
				return -EOPNOTSUPP;
		}
	}
	eventfd_signal(p->eventfd, 1);
	return 0;
}

static int ioeventfd_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			  gpa_t addr, int len, void *val)
{
	return -EOPNOTSUPP;
}

static const struct kvm_io_device_ops ioeventfd_ops = {
	.read = ioeventfd_read,
	.write = ioeventfd_write,
};

/*
 * Two ioeventfds collide (upstream's rule) on the same bus and address
 * when either has no length, or both have the same and either has no
 * datamatch or both the same one.  Under ioeventfd_lock.
 */
static bool ioeventfd_collides(struct kvm *kvm, const struct ioeventfd *p)
{
	struct ioeventfd *q;

	list_for_each_entry(q, &kvm->ioeventfds, list)
		if (q->bus == p->bus && q->addr == p->addr &&
		    (!q->len || !p->len ||
		     (q->len == p->len &&
		      (q->wildcard || p->wildcard ||
		       q->datamatch == p->datamatch))))
			return true;
	return false;
}

/* Under ioeventfd_lock. */
static void ioeventfd_free(struct kvm *kvm, struct ioeventfd *p)
{
	kvm_io_bus_unregister_dev(kvm, p->bus, &p->dev);
	list_del(&p->list);
	eventfd_ctx_put(p->eventfd);
	kfree(p);
}

static int kvm_assign_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args,
				enum kvm_bus bus)
{
	struct eventfd_ctx *eventfd;
	struct ioeventfd *p;
	int r;

	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		pr_info_ratelimited("KVM_IOEVENTFD: length %u, want 0, 1, 2, 4 or 8\n",
				    args->len);
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr) {
		pr_info_ratelimited("KVM_IOEVENTFD: %#llx + %u wraps around\n",
				    args->addr, args->len);
		return -EINVAL;
	}
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)) {
		pr_info_ratelimited("KVM_IOEVENTFD: a datamatch needs a length\n");
		return -EINVAL;
	}

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		r = -ENOMEM;
		goto put_eventfd;
	}
	p->bus = bus;
	p->addr = args->addr;
	p->len = args->len;
	p->eventfd = eventfd;
	if (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
		p->datamatch = args->datamatch;
	else
		p->wildcard = true;
	p->dev.ops = &ioeventfd_ops;

	mutex_lock(&ioeventfd_lock);
	if (ioeventfd_collides(kvm, p)) {
		pr_info_ratelimited("KVM_IOEVENTFD: %s %#llx length %u: taken\n",
				    bus == KVM_PIO_BUS ? "port" : "MMIO",
				    args->addr, args->len);
		r = -EEXIST;
		goto unlock;
	}
	r = kvm_io_bus_register_dev(kvm, bus, p->addr, p->len, &p->dev);
	if (r < 0)
		goto unlock;
	list_add_tail(&p->list, &kvm->ioeventfds);
	mutex_unlock(&ioeventfd_lock);
	return 0;

unlock:
	mutex_unlock(&ioeventfd_lock);
	kfree(p);
put_eventfd:
	eventfd_ctx_put(eventfd);
	return r;
}

/* The one of (eventfd, bus, addr, len, datamatch or none): -ENOENT if none. */
static int kvm_deassign_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args,
				  enum kvm_bus bus)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct eventfd_ctx *eventfd;
	struct ioeventfd *p;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&ioeventfd_lock);
	list_for_each_entry(p, &kvm->ioeventfds, list) {
		if (p->bus != bus || p->eventfd != eventfd ||
		    p->addr != args->addr || p->len != args->len ||
		    p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != args->datamatch))
			continue;
		ioeventfd_free(kvm, p);
		r = 0;
		break;
	}
	mutex_unlock(&ioeventfd_lock);
	eventfd_ctx_put(eventfd);
	return r;
}

int kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args)
{
	enum kvm_bus bus = args->flags & KVM_IOEVENTFD_FLAG_PIO ?
			   KVM_PIO_BUS : KVM_MMIO_BUS;
	u32 known = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO |
		    KVM_IOEVENTFD_FLAG_DEASSIGN;

	/* KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY is s390's: no such bus here. */
	if (args->flags & ~known) {
		pr_info_ratelimited("KVM_IOEVENTFD: unknown flags %#x\n",
				    args->flags & ~known);
		return -EINVAL;
	}
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return kvm_deassign_ioeventfd(kvm, args, bus);
	return kvm_assign_ioeventfd(kvm, args, bus);
}

/* ---- the VM and the module -------------------------------------------- */

void kvm_eventfd_init(struct kvm *kvm)
{
	spin_lock_init(&kvm->irqfds.lock);
	INIT_LIST_HEAD(&kvm->irqfds.items);
	INIT_LIST_HEAD(&kvm->irqfds.resampler_list);
	mutex_init(&kvm->irqfds.resampler_lock);
	INIT_LIST_HEAD(&kvm->ioeventfds);
}

/*
 * The VM goes: every irqfd is shut down (their injections flushed) and
 * every ioeventfd leaves its bus, before the routing and the chips go.
 */
void kvm_eventfd_release(struct kvm *kvm)
{
	struct irqfd *irqfd, *itmp;
	struct ioeventfd *p, *ptmp;

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry_safe(irqfd, itmp, &kvm->irqfds.items, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&kvm->irqfds.lock);
	/* With those an EPOLLHUP queued before. */
	flush_workqueue(irqfd_cleanup_wq);

	mutex_lock(&ioeventfd_lock);
	list_for_each_entry_safe(p, ptmp, &kvm->ioeventfds, list)
		ioeventfd_free(kvm, p);
	mutex_unlock(&ioeventfd_lock);
}

int kvm_eventfd_module_init(void)
{
	irqfd_wq = alloc_workqueue("kvm-irqfd", 0, 0);
	if (!irqfd_wq)
		return -ENOMEM;
	irqfd_cleanup_wq = alloc_workqueue("kvm-irqfd-cleanup", 0, 0);
	if (!irqfd_cleanup_wq) {
		destroy_workqueue(irqfd_wq);
		return -ENOMEM;
	}
	return 0;
}

void kvm_eventfd_module_exit(void)
{
	destroy_workqueue(irqfd_cleanup_wq);
	destroy_workqueue(irqfd_wq);
}
