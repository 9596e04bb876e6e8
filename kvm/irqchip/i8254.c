// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT: three counters at ports 0x40-0x42 with their
 * control port at 0x43 (PIO bus), and, with KVM_PIT_SPEAKER_DUMMY, port
 * 0x61 (channel 2's gate, speaker data and output, as a PC's port B).
 *
 * Counters are not ticked: a channel remembers when its count was loaded
 * (count_load_time, host monotonic nanoseconds), and what it reads now
 * (count, OUT) is computed from the time elapsed at 1193182 Hz.  Channel
 * 0 also drives GSI 0: an hrtimer fires at each period (modes 2 and 3)
 * or once (modes 0, 1 and 4), and a kthread worker pulses the line
 * (kvm_set_irq() 1 then 0), since the timer's callback runs in hardirq
 * context and kvm_set_irq() wants process context.
 *
 * Reinjection (the default; KVM_REINJECT_CONTROL turns it off): ticks
 * are counted in pending, and a tick is only injected once the guest
 * acknowledged the previous one (the ack notifier on GSI 0), so that a
 * guest that was not scheduled for a while still sees every tick, as
 * old guests counting ticks for their clock need.  Without it each
 * expiry pulses the line and ticks the guest missed are lost.
 *
 * A periodic timer shorter than PIT_MIN_PERIOD_NS is stretched to it (as
 * upstream's min_timer_period_us), so that a guest loading a count of 1
 * cannot keep a host CPU in timer interrupts; expiries the host missed
 * are counted at once (hrtimer_forward_now()), not replayed one by one.
 *
 * Locking: pit->lock (a mutex) covers the channels, flags and the
 * timer's period; the ports, the state ioctls and KVM_REINJECT_CONTROL
 * take it.  The timer callback and the ack notifier only use atomics and
 * queue the work, which takes no lock of the PIT's.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bcd.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/pid.h>
#include <linux/slab.h>

#include "../kvm_host.h"

#define PIT_FREQ_HZ		1193182
#define PIT_PORT_BASE		0x40
#define PIT_PORT_LEN		4
#define PIT_CONTROL		3	/* port 0x43 */
#define PIT_SPEAKER_PORT	0x61
/* Upstream's min_timer_period_us default: 200 us. */
#define PIT_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)
/* pending never wraps, whatever the guest does. */
#define PIT_MAX_PENDING		(INT_MAX / 2)

/* rw_mode, read_state, write_state, count_latched: as upstream's. */
#define RW_LSB		1
#define RW_MSB		2
#define RW_WORD0	3	/* LSB then MSB: the LSB is next */
#define RW_WORD1	4	/* the MSB is next */

/* Port 0x61's bits. */
#define SPK_GATE2	0x01
#define SPK_DATA_ON	0x02
#define SPK_REFRESH	0x10
#define SPK_OUT2	0x20

struct kvm_pit {
	struct kvm *kvm;
	struct kvm_io_device dev;		/* 0x40-0x43 */
	struct kvm_io_device speaker_dev;	/* 0x61 */
	bool speaker;

	struct mutex lock;
	struct kvm_pit_channel_state ch[3];
	u32 flags;			/* KVM_PIT_FLAGS_* */
	/* Channel 0's timer; period is 0 while it is stopped. */
	struct hrtimer timer;
	s64 period;
	bool periodic;

	atomic_t reinject;
	atomic_t pending;		/* ticks not acknowledged yet */
	atomic_t irq_ack;		/* the last tick was acknowledged */
	bool ack_registered;		/* under lock */
	struct kvm_irq_ack_notifier ack;

	struct kthread_worker *worker;
	struct kthread_work inject;
};

static struct kvm_pit *pit_get(struct kvm *kvm)
{
	/* Pairs with the smp_store_release() in kvm_pit_create(). */
	return smp_load_acquire(&kvm->pit);
}

/* ---- a channel's count and output, from the time elapsed -------------- */

/*
 * The count in input clock ticks: 0 stands for the largest, 0x10000 in
 * binary and 10000 in BCD.  A BCD count with digits above 9 (the
 * hardware's behaviour is undefined there) is taken digit by digit.
 */
static u32 pit_ticks(const struct kvm_pit_channel_state *c)
{
	u32 n = c->count;

	if (c->bcd) {
		n &= 0xffff;
		n = ((n >> 12) & 0xf) * 1000 + ((n >> 8) & 0xf) * 100 +
		    ((n >> 4) & 0xf) * 10 + (n & 0xf);
		return n ? n : 10000;
	}
	return n ? n : 0x10000;
}

/* Input clock ticks since the count was loaded (or the gate rose). */
static u64 pit_elapsed(const struct kvm_pit_channel_state *c)
{
	s64 ns = ktime_to_ns(ktime_get()) - c->count_load_time;

	if (ns <= 0)
		return 0;
	return mul_u64_u32_div(ns, PIT_FREQ_HZ, NSEC_PER_SEC);
}

/* The counting element as the guest reads it (binary or BCD). */
static u16 pit_get_count(const struct kvm_pit_channel_state *c)
{
	u32 n = pit_ticks(c);
	u64 d = pit_elapsed(c);
	u32 rem, v;

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		/* Down through 0, wrapping around to the largest count. */
		if (c->bcd) {
			div_u64_rem(d, 10000, &rem);
			v = (n % 10000 + 10000 - rem) % 10000;
		} else {
			v = (n - (u32)d) & 0xffff;
		}
		break;
	case 3:
		/* By two, twice a period (even counts; odd ones roughly). */
		div_u64_rem(2 * d, n, &rem);
		v = n - rem;
		break;
	default:
		/* Mode 2: n down to 1, then n again. */
		div_u64_rem(d, n, &rem);
		v = n - rem;
		break;
	}
	if (c->bcd) {
		v %= 10000;
		return bin2bcd(v / 100) << 8 | bin2bcd(v % 100);
	}
	return v & 0xffff;
}

static int pit_get_out(const struct kvm_pit_channel_state *c)
{
	u32 n = pit_ticks(c);
	u64 d = pit_elapsed(c);
	u32 rem;

	switch (c->mode) {
	case 1:
		return d < n;
	case 2:
		div_u64_rem(d, n, &rem);
		return d && !rem;
	case 3:
		div_u64_rem(d, n, &rem);
		return rem < (n + 1) / 2;
	case 4:
	case 5:
		return d == n;
	default:
		return d >= n;
	}
}

/* ---- channel 0's timer and its interrupt ------------------------------ */

static void pit_reset_reinject(struct kvm_pit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* The kthread worker: one pulse on GSI 0. */
static void pit_inject_work(struct kthread_work *work)
{
	struct kvm_pit *pit = container_of(work, struct kvm_pit, inject);
	struct kvm *kvm = pit->kvm;
	int r;

	/* Reinjecting: the previous tick is not acknowledged yet. */
	if (atomic_read(&pit->reinject) && !atomic_xchg(&pit->irq_ack, 0))
		return;

	r = kvm_set_irq(kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 1, false);
	kvm_set_irq(kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 0, false);

	/*
	 * GSI 0 routes nowhere: no acknowledgment will come for this tick,
	 * and the ticks that follow would wait for it for ever.
	 */
	if (r < 0 && atomic_read(&pit->reinject)) {
		atomic_dec_if_positive(&pit->pending);
		atomic_set(&pit->irq_ack, 1);
	}
}

/* hrtimer callback, hardirq context. */
static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct kvm_pit *pit = container_of(t, struct kvm_pit, timer);
	u64 ticks = 1;

	if (pit->periodic)
		ticks = hrtimer_forward_now(t, ns_to_ktime(pit->period));

	if (atomic_read(&pit->reinject) &&
	    atomic_read(&pit->pending) < PIT_MAX_PENDING)
		atomic_add(min_t(u64, ticks, PIT_MAX_PENDING), &pit->pending);
	kthread_queue_work(pit->worker, &pit->inject);

	return pit->periodic ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

/* The guest acknowledged GSI 0 (PIC or IOAPIC EOI): any context. */
static void pit_irq_acked(struct kvm_irq_ack_notifier *kian)
{
	struct kvm_pit *pit = container_of(kian, struct kvm_pit, ack);

	atomic_set(&pit->irq_ack, 1);
	/* irq_ack before pending, against the xchg in pit_inject_work(). */
	smp_mb__after_atomic();
	if (atomic_dec_if_positive(&pit->pending) > 0)
		kthread_queue_work(pit->worker, &pit->inject);
}

/* Under pit->lock. */
static void pit_timer_stop(struct kvm_pit *pit)
{
	hrtimer_cancel(&pit->timer);
	kthread_flush_work(&pit->inject);
	pit->period = 0;
}

/*
 * Channel 0 was loaded (its count_load_time is now): (re)start the timer
 * for its mode, under pit->lock.  Without the in-kernel PIC and IOAPIC
 * (a split irqchip), or while the HPET has the legacy route, channel 0
 * counts but interrupts nobody, as upstream's.
 */
static void pit_timer_start(struct kvm_pit *pit)
{
	struct kvm_pit_channel_state *c = &pit->ch[0];
	bool periodic;
	s64 period;

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
		periodic = false;
		break;
	case 2:
	case 3:
		periodic = true;
		break;
	default:
		pit_timer_stop(pit);
		return;
	}
	pit_timer_stop(pit);
	if (!pic_in_kernel(pit->kvm) || (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY))
		return;

	period = mul_u64_u32_div(pit_ticks(c), NSEC_PER_SEC, PIT_FREQ_HZ);
	if (periodic && period < PIT_MIN_PERIOD_NS) {
		pr_info_ratelimited("pid %d: PIT channel 0 period of %lld ns raised to %lld ns\n",
				    task_pid_nr(current), period,
				    (s64)PIT_MIN_PERIOD_NS);
		period = PIT_MIN_PERIOD_NS;
	}
	pit->period = period;
	pit->periodic = periodic;
	pit_reset_reinject(pit);
	hrtimer_start(&pit->timer, ns_to_ktime(c->count_load_time + period),
		      HRTIMER_MODE_ABS);
}

/* A new count for @channel (0 meaning the largest), under pit->lock. */
static void pit_load_count(struct kvm_pit *pit, int channel, u32 val)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	c->count = val ? val : 0x10000;
	c->count_load_time = ktime_to_ns(ktime_get());
	if (channel == 0)
		pit_timer_start(pit);
}

/* ---- the ports -------------------------------------------------------- */

static void pit_latch_count(struct kvm_pit_channel_state *c)
{
	/* A second latch before the first was read is ignored. */
	if (c->count_latched)
		return;
	c->latched_count = pit_get_count(c);
	c->count_latched = c->rw_mode;
}

static void pit_latch_status(struct kvm_pit_channel_state *c)
{
	if (c->status_latched)
		return;
	/* OUT, then the control word's fields; NULL COUNT (bit 6) is 0. */
	c->status = pit_get_out(c) << 7 | (c->rw_mode & 3) << 4 |
		    (c->mode & 7) << 1 | (c->bcd & 1);
	c->status_latched = 1;
}

static void pit_write_control(struct kvm_pit *pit, u8 val)
{
	int channel = val >> 6, access = (val >> 4) & 3;
	struct kvm_pit_channel_state *c;

	if (channel == 3) {
		/* Read-back: bit 5 clear latches counts, bit 4 clear status. */
		for (channel = 0; channel < 3; channel++) {
			if (!(val & (2 << channel)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(&pit->ch[channel]);
			if (!(val & 0x10))
				pit_latch_status(&pit->ch[channel]);
		}
		return;
	}

	c = &pit->ch[channel];
	if (!access) {
		pit_latch_count(c);
		return;
	}
	c->rw_mode = access;
	c->read_state = access;
	c->write_state = access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)	/* 6 and 7 are modes 2 and 3 */
		c->mode -= 4;
	c->bcd = val & 1;
}

static void pit_write_count(struct kvm_pit *pit, int channel, u8 val)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	switch (c->write_state) {
	case RW_MSB:
		pit_load_count(pit, channel, val << 8);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		break;
	case RW_WORD1:
		pit_load_count(pit, channel, c->write_latch | val << 8);
		c->write_state = RW_WORD0;
		break;
	default:	/* RW_LSB, and whatever KVM_SET_PIT2 left */
		pit_load_count(pit, channel, val);
		break;
	}
}

static u8 pit_read_channel(struct kvm_pit_channel_state *c)
{
	u16 count;
	u8 ret;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}

	if (c->count_latched) {
		switch (c->count_latched) {
		case RW_MSB:
			ret = c->latched_count >> 8;
			c->count_latched = 0;
			break;
		case RW_WORD0:
			ret = c->latched_count & 0xff;
			c->count_latched = RW_MSB;
			break;
		default:
			ret = c->latched_count & 0xff;
			c->count_latched = 0;
			break;
		}
		return ret;
	}

	count = pit_get_count(c);
	switch (c->read_state) {
	case RW_MSB:
		return count >> 8;
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return count & 0xff;
	case RW_WORD1:
		c->read_state = RW_WORD0;
		return count >> 8;
	default:
		return count & 0xff;
	}
}

static bool pit_port(gpa_t addr)
{
	return addr >= PIT_PORT_BASE && addr < PIT_PORT_BASE + PIT_PORT_LEN;
}

static int pit_ioport_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			    gpa_t addr, int len, const void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, dev);
	int port = addr - PIT_PORT_BASE;
	u8 v = *(const u8 *)val;

	if (!pit_port(addr) || len < 1)
		return -EOPNOTSUPP;

	mutex_lock(&pit->lock);
	if (port == PIT_CONTROL)
		pit_write_control(pit, v);
	else
		pit_write_count(pit, port, v);
	mutex_unlock(&pit->lock);
	return 0;
}

static int pit_ioport_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			   gpa_t addr, int len, void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, dev);
	int port = addr - PIT_PORT_BASE;
	u8 ret = 0;

	if (!pit_port(addr) || len < 1)
		return -EOPNOTSUPP;

	/* The control port is write-only: it reads 0, as QEMU's. */
	if (port != PIT_CONTROL) {
		mutex_lock(&pit->lock);
		ret = pit_read_channel(&pit->ch[port]);
		mutex_unlock(&pit->lock);
	}
	memset(val, 0, len);
	*(u8 *)val = ret;
	return 0;
}

/* A rising gate restarts counting in modes 1, 2, 3 and 5. */
static void pit_set_gate(struct kvm_pit *pit, int channel, u8 gate)
{
	struct kvm_pit_channel_state *c = &pit->ch[channel];

	switch (c->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		if (!c->gate && gate)
			c->count_load_time = ktime_to_ns(ktime_get());
		break;
	default:
		break;
	}
	c->gate = gate;
}

static int speaker_ioport_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
				gpa_t addr, int len, const void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, speaker_dev);
	u8 v = *(const u8 *)val;

	if (addr != PIT_SPEAKER_PORT || len < 1)
		return -EOPNOTSUPP;

	mutex_lock(&pit->lock);
	if (v & SPK_DATA_ON)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	pit_set_gate(pit, 2, v & SPK_GATE2);
	mutex_unlock(&pit->lock);
	return 0;
}

static int speaker_ioport_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			       gpa_t addr, int len, void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, speaker_dev);
	/* The DRAM refresh bit toggles about every 15 us: 2^14 ns here. */
	u8 ret = (ktime_to_ns(ktime_get()) >> 14) & 1 ? SPK_REFRESH : 0;

	if (addr != PIT_SPEAKER_PORT || len < 1)
		return -EOPNOTSUPP;

	mutex_lock(&pit->lock);
	if (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
		ret |= SPK_DATA_ON;
	if (pit->ch[2].gate)
		ret |= SPK_GATE2;
	if (pit_get_out(&pit->ch[2]))
		ret |= SPK_OUT2;
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = ret;
	return 0;
}

static const struct kvm_io_device_ops pit_dev_ops = {
	.read = pit_ioport_read,
	.write = pit_ioport_write,
};

static const struct kvm_io_device_ops speaker_dev_ops = {
	.read = speaker_ioport_read,
	.write = speaker_ioport_write,
};

/* ---- creation, reinjection, state ------------------------------------- */

/* Under pit->lock. */
static void pit_set_reinject(struct kvm_pit *pit, bool reinject)
{
	struct kvm *kvm = pit->kvm;

	if (reinject == pit->ack_registered)
		return;
	if (reinject) {
		pit_reset_reinject(pit);
		kvm_register_irq_ack_notifier(kvm, &pit->ack);
	} else {
		kvm_unregister_irq_ack_notifier(kvm, &pit->ack);
	}
	pit->ack_registered = reinject;
	atomic_set(&pit->reinject, reinject);
}

/* The power-on state, as upstream's: no mode (0xff), gates 1, 1, 0. */
static void pit_reset(struct kvm_pit *pit)
{
	int i;

	pit->flags = 0;
	for (i = 0; i < 3; i++) {
		pit->ch[i].mode = 0xff;
		pit->ch[i].gate = i != 2;
		pit_load_count(pit, i, 0);
	}
	pit_reset_reinject(pit);
}

int kvm_pit_create(struct kvm *kvm, u32 flags)
{
	struct kvm_pit *pit;
	int r;

	if (flags & ~KVM_PIT_SPEAKER_DUMMY) {
		pr_info_ratelimited("KVM_CREATE_PIT2: unknown flags %#x\n", flags);
		return -EINVAL;
	}
	if (pit_get(kvm)) {
		pr_info_ratelimited("KVM_CREATE_PIT2: the VM has a PIT already\n");
		return -EEXIST;
	}
	/* Newer upstream's errno: the PIT's interrupt needs the PIC and IOAPIC. */
	if (!pic_in_kernel(kvm)) {
		pr_info_ratelimited("KVM_CREATE_PIT2: no in-kernel PIC and IOAPIC (KVM_CREATE_IRQCHIP first)\n");
		return -ENOENT;
	}

	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return -ENOMEM;
	pit->kvm = kvm;
	mutex_init(&pit->lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	INIT_HLIST_NODE(&pit->ack.link);
	pit->ack.gsi = 0;
	pit->ack.irq_acked = pit_irq_acked;
	kthread_init_work(&pit->inject, pit_inject_work);

	pit->worker = kthread_create_worker(0, "kvm-pit/%d",
					    task_tgid_vnr(current));
	if (IS_ERR(pit->worker)) {
		r = PTR_ERR(pit->worker);
		goto free_pit;
	}

	mutex_lock(&pit->lock);
	pit_reset(pit);
	pit_set_reinject(pit, true);
	mutex_unlock(&pit->lock);

	pit->dev.ops = &pit_dev_ops;
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIT_PORT_BASE,
				    PIT_PORT_LEN, &pit->dev);
	if (r < 0)
		goto stop_reinject;

	if (flags & KVM_PIT_SPEAKER_DUMMY) {
		pit->speaker_dev.ops = &speaker_dev_ops;
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIT_SPEAKER_PORT,
					    1, &pit->speaker_dev);
		if (r < 0)
			goto unregister_pit;
		pit->speaker = true;
	}

	smp_store_release(&kvm->pit, pit);
	return 0;

unregister_pit:
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev);
stop_reinject:
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, false);
	mutex_unlock(&pit->lock);
	kthread_destroy_worker(pit->worker);
free_pit:
	kfree(pit);
	return r;
}

/*
 * At VM destruction: no vCPU runs, and the routing and the chips are
 * still there (the worker may be injecting).
 */
void kvm_pit_destroy(struct kvm *kvm)
{
	struct kvm_pit *pit = kvm->pit;

	if (!pit)
		return;
	if (pit->speaker)
		kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->speaker_dev);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev);
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, false);
	mutex_unlock(&pit->lock);
	hrtimer_cancel(&pit->timer);
	kthread_destroy_worker(pit->worker);
	kvm->pit = NULL;
	kfree(pit);
}

int kvm_pit_reinject_control(struct kvm *kvm, bool reinject)
{
	struct kvm_pit *pit = pit_get(kvm);

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, reinject);
	mutex_unlock(&pit->lock);
	return 0;
}

int kvm_pit_get_state2(struct kvm *kvm, struct kvm_pit_state2 *s)
{
	struct kvm_pit *pit = pit_get(kvm);

	if (!pit)
		return -ENXIO;
	memset(s, 0, sizeof(*s));
	mutex_lock(&pit->lock);
	memcpy(s->channels, pit->ch, sizeof(s->channels));
	s->flags = pit->flags;
	mutex_unlock(&pit->lock);
	return 0;
}

/*
 * Every field as given (a count of 0 reads back as 0x10000), but each
 * channel's count_load_time: the count is loaded now, and channel 0's
 * timer starts from it (or stops, in modes it has none, or with
 * KVM_PIT_FLAGS_HPET_LEGACY).  Upstream keeps channel 0's
 * count_load_time as given and restarts its timer from now all the same.
 */
static void pit_set_channels(struct kvm_pit *pit,
			     const struct kvm_pit_channel_state *ch)
{
	int i;

	memcpy(pit->ch, ch, sizeof(pit->ch));
	for (i = 0; i < 3; i++)
		pit_load_count(pit, i, pit->ch[i].count);
}

int kvm_pit_set_state2(struct kvm *kvm, const struct kvm_pit_state2 *s)
{
	struct kvm_pit *pit = pit_get(kvm);

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit->flags = s->flags;
	pit_set_channels(pit, s->channels);
	mutex_unlock(&pit->lock);
	return 0;
}

int kvm_pit_get_state(struct kvm *kvm, struct kvm_pit_state *s)
{
	struct kvm_pit *pit = pit_get(kvm);

	BUILD_BUG_ON(sizeof(s->channels) != sizeof(pit->ch));
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	memcpy(s->channels, pit->ch, sizeof(s->channels));
	mutex_unlock(&pit->lock);
	return 0;
}

int kvm_pit_set_state(struct kvm *kvm, const struct kvm_pit_state *s)
{
	struct kvm_pit *pit = pit_get(kvm);

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit_set_channels(pit, s->channels);
	mutex_unlock(&pit->lock);
	return 0;
}
