// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the paravirtual clock of upstream KVM's ABI.
 *
 * The VM's clock counts nanoseconds of the host's CLOCK_MONOTONIC_RAW plus
 * a per-VM offset (0 when the VM is created; KVM_SET_CLOCK moves it).  A
 * guest reads it without an exit through a struct pvclock_vcpu_time_info
 * per vCPU, at the guest-physical address it writes to
 * MSR_KVM_SYSTEM_TIME_NEW (or the old MSR_KVM_SYSTEM_TIME), bit 0 being
 * the enable bit: time = system_time + the guest TSC ticks since
 * tsc_timestamp, scaled by tsc_to_system_mul and tsc_shift (the host's
 * TSC frequency: the module does not scale the guest's TSC).
 *
 * Where the host's clocksource is the TSC (the kernel keeps it only while
 * it is stable and synchronized across CPUs), every vCPU's structure is
 * built from one reading per VM, the "master" pair of a host TSC value
 * and the raw nanoseconds at that value: the guest's time is then a
 * function of the host's TSC alone, the same on every vCPU whatever its
 * TSC offset, monotonic across vCPUs, and the structure says so with
 * PVCLOCK_TSC_STABLE_BIT (not while vCPU 0 uses the old MSR, as
 * upstream).  Elsewhere each vCPU's structure takes a fresh pair when it
 * is updated, without the stable bit: the guest then keeps its clock
 * monotonic itself, as Linux does.
 *
 * A vCPU's structure is rewritten before its next entry (the request
 * KVM_REQ_CLOCK_UPDATE) when the guest enables it, when its TSC changes,
 * when the vCPU moves to another host CPU, and on every vCPU at
 * KVM_SET_CLOCK, which keeps them all out of the guest until the new
 * offset is in place.  The guest-physical address is the guest's: while it is
 * not in a writable slot, or the structure would cross a page, the MSR
 * keeps it but nothing is written (upstream's behaviour).  The version is
 * made odd before and even after each update.
 *
 * MSR_KVM_WALL_CLOCK(_NEW) asks for the host's wall-clock time at which
 * the VM's clock was 0, written once into a struct pvclock_wall_clock.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>
#include <asm/vdso/clocksource.h>

#include "kvm_host.h"

/* What KVM_GET_CLOCK can report, and KVM_SET_CLOCK takes (upstream's set). */
#define KVM_CLOCK_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
			 KVM_CLOCK_HOST_TSC)

/* The host's clocksource is the TSC (updated by the timekeeping core). */
static bool kvm_host_clock_tsc;

static int kvm_clock_gtod_notify(struct notifier_block *nb, unsigned long unused,
				 void *priv)
{
	struct timekeeper *tk = priv;

	WRITE_ONCE(kvm_host_clock_tsc,
		   tk->tkr_mono.clock->vdso_clock_mode == VDSO_CLOCKMODE_TSC);
	return NOTIFY_OK;
}

static struct notifier_block kvm_clock_gtod_nb = {
	.notifier_call = kvm_clock_gtod_notify,
};

/* Module load and unload: the notifier reports the clocksource at once. */
void kvm_clock_setup(void)
{
	pvclock_gtod_register_notifier(&kvm_clock_gtod_nb);
}

void kvm_clock_unsetup(void)
{
	pvclock_gtod_unregister_notifier(&kvm_clock_gtod_nb);
}

/*
 * tsc_to_system_mul and tsc_shift for a TSC of @hz: nanoseconds =
 * ((ticks << shift, or >> -shift) * mul) >> 32.  The shift brings
 * @hz * 2^shift into (10^9, 2 * 10^9], so that mul is in [2^31, 2^32).
 */
static void kvm_clock_scale(u64 hz, s8 *shift, u32 *mul)
{
	int s = 0;

	if (!hz)
		hz = 1;
	while (hz > (2 * NSEC_PER_SEC) << -s)
		s--;
	while (s >= 0 && (hz << s) <= NSEC_PER_SEC)
		s++;
	*shift = s;
	if (s >= 0)
		*mul = div64_u64((u64)NSEC_PER_SEC << 32, hz << s);
	else
		*mul = mul_u64_u64_div_u64((u64)NSEC_PER_SEC << 32, 1ULL << -s, hz);
}

/* What a struct pvclock_vcpu_time_info gives at TSC value @tsc. */
static u64 kvm_clock_read(const struct pvclock_vcpu_time_info *hv, u64 tsc)
{
	u64 delta = tsc - hv->tsc_timestamp;

	if (hv->tsc_shift < 0)
		delta >>= -hv->tsc_shift;
	else
		delta <<= hv->tsc_shift;
	return hv->system_time + mul_u64_u32_shr(delta, hv->tsc_to_system_mul, 32);
}

/*
 * A new master pair, if the host's clocksource is the TSC: the snapshot's
 * counter value is then a TSC reading, taken with the raw time.  Returns
 * the raw nanoseconds now.  Caller holds kvm->clock.lock.
 */
static u64 kvm_clock_new_master(struct kvm *kvm)
{
	struct system_time_snapshot snap;

	ktime_get_snapshot(&snap);
	kvm->clock.master = READ_ONCE(kvm_host_clock_tsc) && tsc_khz &&
			    !check_tsc_unstable();
	kvm->clock.master_tsc = snap.cycles;
	kvm->clock.master_ns = ktime_to_ns(snap.raw);
	return kvm->clock.master_ns;
}

void kvm_clock_init_vm(struct kvm *kvm)
{
	spin_lock_init(&kvm->clock.lock);
	spin_lock(&kvm->clock.lock);
	kvm->clock.offset = -(s64)kvm_clock_new_master(kvm);
	spin_unlock(&kvm->clock.lock);
}

/*
 * The host left the TSC clocksource since the master pair was taken:
 * every vCPU goes over to pairs of its own.
 */
static void kvm_clock_check_master(struct kvm *kvm)
{
	unsigned long flags;
	bool changed = false;
	u64 old_clock, ns;

	spin_lock_irqsave(&kvm->clock.lock, flags);
	if (kvm->clock.master && !READ_ONCE(kvm_host_clock_tsc)) {
		struct pvclock_vcpu_time_info hv = {
			.tsc_timestamp = kvm->clock.master_tsc,
			.system_time = kvm->clock.master_ns + kvm->clock.offset,
		};

		kvm_clock_scale(tsc_khz * 1000ULL, &hv.tsc_shift,
				&hv.tsc_to_system_mul);
		old_clock = kvm_clock_read(&hv, rdtsc());
		ns = kvm_clock_new_master(kvm);
		/* The clock goes on from where the TSC had brought it. */
		kvm->clock.offset = old_clock - ns;
		changed = true;
	}
	spin_unlock_irqrestore(&kvm->clock.lock, flags);
	if (changed)
		kvm_make_all_vcpus_request(kvm, KVM_REQ_CLOCK_UPDATE);
}

/* The master pair is in use and the structures may say it. */
static bool kvm_clock_stable(struct kvm *kvm)
{
	return kvm->clock.master && !kvm->clock.boot_old_msr;
}

/*
 * The request KVM_REQ_CLOCK_UPDATE, in the vCPU's thread before an
 * entry: rewrite its struct pvclock_vcpu_time_info, if it has one in
 * guest RAM.
 */
void kvm_clock_update(struct kvm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info hv = {}, old;
	struct kvm *kvm = vcpu->kvm;
	unsigned long flags;
	gpa_t gpa = vcpu->clock.msr & ~1ULL;
	u64 tsc, ns;

	/* The request stays until KVM_SET_CLOCK is done: no entry till then. */
	if (READ_ONCE(kvm->clock.in_progress)) {
		set_bit(KVM_REQ_CLOCK_UPDATE, &vcpu->requests);
		return;
	}
	if (!(vcpu->clock.msr & 1) || offset_in_page(gpa) + sizeof(hv) > PAGE_SIZE)
		return;
	kvm_clock_check_master(kvm);

	spin_lock_irqsave(&kvm->clock.lock, flags);
	if (kvm->clock.master) {
		tsc = kvm->clock.master_tsc;
		ns = kvm->clock.master_ns;
	} else {
		tsc = rdtsc();
		ns = ktime_get_raw_ns();
	}
	hv.system_time = ns + kvm->clock.offset;
	if (kvm_clock_stable(kvm))
		hv.flags = PVCLOCK_TSC_STABLE_BIT;
	spin_unlock_irqrestore(&kvm->clock.lock, flags);
	hv.tsc_timestamp = tsc + vcpu->tsc_offset;
	kvm_clock_scale(tsc_khz * 1000ULL, &hv.tsc_shift, &hv.tsc_to_system_mul);

	down_read(&kvm->slots_lock);
	if (kvm_read_guest(kvm, gpa, &old, sizeof(old)))
		goto out_unlock;
	/* Odd while it changes (another vCPU may be reading it), then even. */
	hv.version = (old.version + 1) | 1;
	/* PVCLOCK_GUEST_STOPPED is the guest's to clear. */
	hv.flags |= old.flags & PVCLOCK_GUEST_STOPPED;
	if (kvm_write_guest(kvm, gpa, &hv.version, sizeof(hv.version)))
		goto out_unlock;
	smp_wmb();
	if (kvm_write_guest(kvm, gpa, &hv, sizeof(hv)))
		goto out_unlock;
	smp_wmb();
	hv.version++;
	kvm_write_guest(kvm, gpa, &hv.version, sizeof(hv.version));
out_unlock:
	up_read(&kvm->slots_lock);
}

/*
 * The backends, with preemption off, before they look at the requests:
 * the vCPU is about to enter on @cpu.  On another CPU than before, its
 * structure is rewritten (with pairs of its own, from this CPU's TSC).
 */
void kvm_clock_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	if (vcpu->clock.cpu == cpu)
		return;
	vcpu->clock.cpu = cpu;
	if (vcpu->clock.msr & 1)
		set_bit(KVM_REQ_CLOCK_UPDATE, &vcpu->requests);
}

/* The VM's clock now, as KVM_GET_CLOCK reports it. */
static void kvm_clock_get(struct kvm *kvm, struct kvm_clock_data *data)
{
	struct system_time_snapshot snap;
	unsigned long flags;

	kvm_clock_check_master(kvm);
	memset(data, 0, sizeof(*data));
	spin_lock_irqsave(&kvm->clock.lock, flags);
	if (kvm->clock.master) {
		struct pvclock_vcpu_time_info hv = {
			.tsc_timestamp = kvm->clock.master_tsc,
			.system_time = kvm->clock.master_ns + kvm->clock.offset,
		};

		/* The TSC and the wall clock of one clocksource reading. */
		ktime_get_snapshot(&snap);
		kvm_clock_scale(tsc_khz * 1000ULL, &hv.tsc_shift,
				&hv.tsc_to_system_mul);
		data->clock = kvm_clock_read(&hv, snap.cycles);
		data->host_tsc = snap.cycles;
		data->realtime = ktime_to_ns(snap.real);
		data->flags = KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
		if (kvm_clock_stable(kvm))
			data->flags |= KVM_CLOCK_TSC_STABLE;
	} else {
		data->clock = ktime_get_raw_ns() + kvm->clock.offset;
	}
	spin_unlock_irqrestore(&kvm->clock.lock, flags);
}

static int kvm_clock_set(struct kvm *kvm, struct kvm_clock_data *data)
{
	unsigned long flags;
	u64 now_real, ns;

	/* A KVM_GET_CLOCK result goes back as it is; only REALTIME is used. */
	if (data->flags & ~KVM_CLOCK_FLAGS) {
		pr_info_ratelimited("KVM_SET_CLOCK: unknown flags %#x\n",
				    data->flags);
		return -EINVAL;
	}
	/*
	 * As upstream: every vCPU out of the guest, and kept out until each
	 * has its new structure, so that none runs on the old clock while
	 * another already runs on the new one.  kvm->lock: one at a time.
	 */
	mutex_lock(&kvm->lock);
	WRITE_ONCE(kvm->clock.in_progress, true);
	kvm_make_all_vcpus_request_wait(kvm, KVM_REQ_CLOCK_UPDATE);

	spin_lock_irqsave(&kvm->clock.lock, flags);
	ns = kvm_clock_new_master(kvm);
	if (data->flags & KVM_CLOCK_REALTIME) {
		/* The time since @realtime passed, never backwards. */
		now_real = ktime_get_real_ns();
		if (now_real > data->realtime)
			data->clock += now_real - data->realtime;
	}
	kvm->clock.offset = data->clock - ns;
	spin_unlock_irqrestore(&kvm->clock.lock, flags);

	WRITE_ONCE(kvm->clock.in_progress, false);
	kvm_make_all_vcpus_request(kvm, KVM_REQ_CLOCK_UPDATE);
	mutex_unlock(&kvm->lock);
	return 0;
}

int kvm_vm_clock_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	struct kvm_clock_data data;

	if (ioctl == KVM_GET_CLOCK) {
		kvm_clock_get(kvm, &data);
		return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
	}
	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	return kvm_clock_set(kvm, &data);
}

/* The host's wall-clock time when the VM's clock was 0, at @gpa (0: none). */
static void kvm_clock_write_wall(struct kvm *kvm, gpa_t gpa)
{
	struct pvclock_wall_clock wc;
	struct kvm_clock_data now;
	u32 version;
	u64 wall;

	if (!gpa)
		return;
	kvm_clock_get(kvm, &now);
	wall = ktime_get_real_ns() - now.clock;

	down_read(&kvm->slots_lock);
	if (kvm_read_guest(kvm, gpa, &version, sizeof(version)))
		goto out_unlock;
	/* Odd while it changes; an odd one before is junk, skipped. */
	if (version & 1)
		version++;
	version++;
	if (kvm_write_guest(kvm, gpa, &version, sizeof(version)))
		goto out_unlock;
	wc.version = version;
	wc.nsec = do_div(wall, NSEC_PER_SEC);
	wc.sec = (u32)wall;
	kvm_write_guest(kvm, gpa, &wc, sizeof(wc));
	version++;
	kvm_write_guest(kvm, gpa, &version, sizeof(version));
out_unlock:
	up_read(&kvm->slots_lock);
}

bool kvm_clock_msr(u32 msr)
{
	return msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_SYSTEM_TIME ||
	       msr == MSR_KVM_WALL_CLOCK_NEW || msr == MSR_KVM_SYSTEM_TIME_NEW;
}

/*
 * The guest may use them whatever its CPUID says (upstream checks the
 * CPUID only with KVM_CAP_ENFORCE_PV_FEATURE_CPUID, which it offers and
 * this module does not).  Any value is taken.
 */
int kvm_clock_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	if (msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW)
		*data = READ_ONCE(vcpu->kvm->clock.wall_clock);
	else
		*data = vcpu->clock.msr;
	return 0;
}

int kvm_clock_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	struct kvm *kvm = vcpu->kvm;
	bool old_msr = msr == MSR_KVM_SYSTEM_TIME;

	if (msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW) {
		WRITE_ONCE(kvm->clock.wall_clock, data);
		kvm_clock_write_wall(kvm, data);
		return 0;
	}
	/* The boot vCPU on the old MSR: no stable bit (old guests misread it). */
	if (vcpu->vcpu_id == 0 && !host &&
	    READ_ONCE(kvm->clock.boot_old_msr) != old_msr) {
		WRITE_ONCE(kvm->clock.boot_old_msr, old_msr);
		kvm_make_all_vcpus_request(kvm, KVM_REQ_CLOCK_UPDATE);
	}
	vcpu->clock.msr = data;
	set_bit(KVM_REQ_CLOCK_UPDATE, &vcpu->requests);
	return 0;
}

/* The guest's TSC moved (MSR_IA32_TSC, TSC_ADJUST): tsc_timestamp too. */
void kvm_clock_tsc_changed(struct kvm_vcpu *vcpu)
{
	if (vcpu->clock.msr & 1)
		set_bit(KVM_REQ_CLOCK_UPDATE, &vcpu->requests);
}
