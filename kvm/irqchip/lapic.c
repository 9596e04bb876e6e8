// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC: one per vCPU, with the upstream KVM ABI
 * (KVM_GET_LAPIC/KVM_SET_LAPIC copy its register page) and what a guest
 * sees of a local APIC: the xAPIC page at IA32_APIC_BASE, the x2APIC
 * MSRs 0x800-0x8ff, TPR/PPR, interrupt acceptance into the IRR, EOI
 * (with the IOAPIC told of each), IPIs (fixed, lowest priority, NMI,
 * INIT, SIPI; physical and logical destinations, shorthands,
 * broadcasts), LINT0 for the PICs, the error register and the timer
 * (one-shot, periodic, TSC deadline) on an hrtimer.
 *
 * State.  The register page holds every register at its APIC_* offset
 * (asm/apicdef.h); what is not a register is in struct kvm_lapic: the
 * software-enable bit as a flag, INIT/SIPI pending for irq.c, errors
 * not yet latched into ESR, and the timer.  In x2APIC mode the ID
 * register holds the 32-bit id (the vCPU id), LDR the id's derived
 * logical id, and ICR is one 64-bit register at APIC_ICR; KVM_GET_LAPIC
 * shows them in the xAPIC layout (id << 24, ICR2), as upstream does
 * without KVM_CAP_X2APIC_API.
 *
 * Contexts.  The vCPU's thread (its exits and ioctls, under vcpu->mutex)
 * owns the page.  Anyone may deliver an interrupt (another vCPU's IPI,
 * the IOAPIC, an MSI, an hrtimer): that sets IRR and TMR bits with
 * atomic bit operations, ORs errors into esr_pending, sets INIT/SIPI in
 * pending_events, and kicks the vCPU (kvm_vcpu_kick()); it reads the
 * target's ID, LDR, DFR and SVR, words that change only in the target's
 * thread.  The hrtimer callback (hard irq) only counts an expiry and
 * kicks; kvm_lapic_sync_timer(), in the vCPU's thread before each entry,
 * turns it into the LVTT's interrupt.  Everything that changes the
 * timer's parameters cancels the hrtimer first, so the callback never
 * sees them change under it.
 *
 * Where this differs from upstream 6.1, on purpose: an interrupt with a
 * vector below 16 is not delivered and sets ESR's "send/receive illegal
 * vector" bits, which a write to ESR latches (upstream's ESR always
 * reads 0), with the error LVT's interrupt; a software-disabled APIC
 * offers no interrupt from its IRR; a timer expiry while the LVTT is
 * masked is dropped instead of kept for the unmask.
 */
#include <linux/hrtimer.h>
#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/cpufeatures.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "../kvm_host.h"

#define LAPIC_VERSION		0x14	/* an integrated xAPIC, as upstream's */
/* Timer, thermal, performance counter, LINT0, LINT1, error; no CMCI. */
#define LAPIC_NR_LVT		6
#define LAPIC_MMIO_SIZE		0x1000
/* Upstream's min_timer_period_us: a periodic timer fires at most this often. */
#define LAPIC_MIN_PERIOD_NS	200000LL
/* A TSC deadline further away than this fires then (a year). */
#define LAPIC_MAX_DEADLINE_NS	(365LL * 24 * 3600 * NSEC_PER_SEC)
#define XAPIC_BROADCAST		0xffU
#define X2APIC_BROADCAST	0xffffffffU
#ifndef APIC_DEST_NOSHORT
#define APIC_DEST_NOSHORT	0
#endif
#define LAPIC_SHORT_MASK	(APIC_DEST_SELF | APIC_DEST_ALLINC)
/* Delivery modes, ICR bits 8-10 shifted down. */
#define DM_FIXED		(APIC_DM_FIXED >> 8)
#define DM_LOWEST		(APIC_DM_LOWEST >> 8)
#define DM_NMI			(APIC_DM_NMI >> 8)
#define DM_INIT			(APIC_DM_INIT >> 8)
#define DM_STARTUP		(APIC_DM_STARTUP >> 8)
/* IOAPIC trigger modes for kvm_ioapic_update_eoi(). */
#define EOI_EDGE		0
#define EOI_LEVEL		1

/* The bits of each LVT a guest can write (the timer's mode bits: lapic_lvtt_modes()). */
#define LVT_BITS	(APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK)
#define LINT_BITS	(LVT_BITS | APIC_MODE_MASK | APIC_INPUT_POLARITY | \
			 APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER)
static const u32 lapic_lvt_bits[LAPIC_NR_LVT] = {
	LVT_BITS,			/* timer */
	LVT_BITS | APIC_MODE_MASK,	/* thermal */
	LVT_BITS | APIC_MODE_MASK,	/* performance counter */
	LINT_BITS,			/* LINT0 */
	LINT_BITS,			/* LINT1 */
	LVT_BITS,			/* error */
};

struct kvm_lapic {
	struct kvm_vcpu *vcpu;
	u8 *regs;			/* the register page */
	bool sw_enabled;		/* SVR bit 8 */
	unsigned long pending_events;	/* KVM_APIC_INIT, KVM_APIC_SIPI */
	u8 sipi_vector;
	atomic_t esr_pending;		/* errors since the last write to ESR */
	u32 divide;			/* TDCR's divisor, 1 to 128 */
	struct {
		struct hrtimer hrtimer;
		u32 mode;		/* APIC_LVT_TIMER_* of the LVTT */
		s64 period;		/* ns of TMICT; 0: not counting */
		ktime_t target;		/* when the count reaches 0 */
		u64 tscdeadline;	/* guest TSC; 0: disarmed */
		atomic_t pending;	/* expired, not in the IRR yet */
	} timer;
};

/* ---- registers ------------------------------------------------------- */

static u32 lapic_get(struct kvm_lapic *apic, u32 reg)
{
	return READ_ONCE(*(u32 *)(apic->regs + reg));
}

static void lapic_set(struct kvm_lapic *apic, u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(apic->regs + reg), val);
}

static u64 lapic_get_icr64(struct kvm_lapic *apic)
{
	return READ_ONCE(*(u64 *)(apic->regs + APIC_ICR));
}

static void lapic_set_icr64(struct kvm_lapic *apic, u64 val)
{
	WRITE_ONCE(*(u64 *)(apic->regs + APIC_ICR), val);
}

/* The long holding @vec's bit in a 256-bit array (ISR, TMR, IRR): bit vec & 31. */
static unsigned long *lapic_vec_word(struct kvm_lapic *apic, u32 array, int vec)
{
	return (unsigned long *)(apic->regs + array + ((vec >> 5) << 4));
}

static bool lapic_vec_test(struct kvm_lapic *apic, u32 array, int vec)
{
	return test_bit(vec & 31, lapic_vec_word(apic, array, vec));
}

static int lapic_highest(struct kvm_lapic *apic, u32 array)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = lapic_get(apic, array + (i << 4));

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static bool lapic_hw_enabled(struct kvm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->apic_base) & MSR_IA32_APICBASE_ENABLE;
}

static bool lapic_x2apic(struct kvm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->apic_base) & X2APIC_ENABLE;
}

static bool lapic_enabled(struct kvm_lapic *apic)
{
	return lapic_hw_enabled(apic) && READ_ONCE(apic->sw_enabled);
}

static u32 lapic_x2apic_id(struct kvm_lapic *apic)
{
	return apic->vcpu->vcpu_id;
}

static u32 lapic_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xf));
}

static bool lapic_guest_has_x2apic(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 1, 2, BIT(X86_FEATURE_X2APIC & 31));
}

/*
 * The version register: the guest's CPUID can change after the APIC is
 * made, so it is recomputed where it is read.  Directed EOI as upstream:
 * only with x2APIC and no in-kernel IOAPIC (which has no EOI register).
 */
static void lapic_set_version(struct kvm_lapic *apic)
{
	struct kvm_vcpu *vcpu = apic->vcpu;
	u32 v = LAPIC_VERSION | ((LAPIC_NR_LVT - 1) << 16);

	if (lapic_guest_has_x2apic(vcpu) && !pic_in_kernel(vcpu->kvm))
		v |= APIC_LVR_DIRECTED_EOI;
	lapic_set(apic, APIC_LVR, v);
}

static void lapic_set_spiv(struct kvm_lapic *apic, u32 val)
{
	lapic_set(apic, APIC_SPIV, val);
	WRITE_ONCE(apic->sw_enabled, !!(val & APIC_SPIV_APIC_ENABLED));
}

/* ---- priorities ------------------------------------------------------ */

static u32 lapic_compute_ppr(struct kvm_lapic *apic)
{
	u32 tpr = lapic_get(apic, APIC_TASKPRI) & 0xff;
	int isr = lapic_highest(apic, APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
}

/* True if the PPR went down. */
static bool lapic_update_ppr(struct kvm_lapic *apic)
{
	u32 old = lapic_get(apic, APIC_PROCPRI), ppr = lapic_compute_ppr(apic);

	if (ppr != old)
		lapic_set(apic, APIC_PROCPRI, ppr);
	return ppr < old;
}

/* The LVTT's vector if an expiry waits to go into the IRR as a fixed interrupt. */
static int lapic_timer_pending_vector(struct kvm_lapic *apic)
{
	u32 lvt;

	if (!atomic_read(&apic->timer.pending))
		return -1;
	lvt = lapic_get(apic, APIC_LVTT);
	if ((lvt & (APIC_LVT_MASKED | APIC_MODE_MASK)) || (lvt & 0xff) < 16)
		return -1;
	return lvt & 0xff;
}

/* The highest pending vector whose priority class is above the PPR's, or -1. */
static int lapic_deliverable(struct kvm_lapic *apic, u32 ppr)
{
	int vec = lapic_highest(apic, APIC_IRR);

	vec = max(vec, lapic_timer_pending_vector(apic));
	if (vec < 0 || (vec & 0xf0) <= (ppr & 0xf0))
		return -1;
	return vec;
}

static void lapic_set_tpr(struct kvm_lapic *apic, u32 tpr)
{
	struct kvm_vcpu *vcpu = apic->vcpu;

	lapic_set(apic, APIC_TASKPRI, tpr & 0xff);
	vcpu->cr8 = (tpr >> 4) & 0xf;
	if (lapic_update_ppr(apic) &&
	    lapic_deliverable(apic, lapic_get(apic, APIC_PROCPRI)) >= 0) {
		kvm_make_request(KVM_REQ_EVENT, vcpu);
		kvm_vcpu_kick(vcpu);
	}
}

/* ---- acceptance ------------------------------------------------------ */

static int lapic_accept(struct kvm_lapic *apic, unsigned int mode, u32 vector,
			bool assert, bool level);

/*
 * An error for ESR: latched by the next ESR write, and the error LVT's
 * interrupt the first time each kind is seen (one with an illegal
 * vector itself is not sent: no error loop).  Any context.
 */
static void lapic_error(struct kvm_lapic *apic, u32 bits)
{
	u32 old = atomic_fetch_or(bits, &apic->esr_pending);
	u32 lvt = lapic_get(apic, APIC_LVTERR);

	if ((old & bits) == bits || (lvt & APIC_LVT_MASKED) || (lvt & 0xff) < 16 ||
	    !lapic_hw_enabled(apic))
		return;
	lapic_accept(apic, DM_FIXED, lvt & 0xff, true, false);
}

/*
 * An interrupt message reaches this APIC: 1 if it took it, 0 if not.
 * Any context.
 */
static int lapic_accept(struct kvm_lapic *apic, unsigned int mode, u32 vector,
			bool assert, bool level)
{
	struct kvm_vcpu *vcpu = apic->vcpu;

	vector &= 0xff;
	switch (mode) {
	case DM_FIXED:
	case DM_LOWEST:
		if ((level && !assert) || !lapic_enabled(apic))
			return 0;
		if (vector < 16) {
			lapic_error(apic, APIC_ESR_RECVILL);
			return 0;
		}
		if (lapic_vec_test(apic, APIC_TMR, vector) != level) {
			if (level)
				set_bit(vector & 31, lapic_vec_word(apic, APIC_TMR, vector));
			else
				clear_bit(vector & 31, lapic_vec_word(apic, APIC_TMR, vector));
		}
		set_bit(vector & 31, lapic_vec_word(apic, APIC_IRR, vector));
		break;
	case DM_NMI:
		WRITE_ONCE(vcpu->nmi_pending, true);
		break;
	case DM_INIT:
		if (level && !assert)
			return 0;
		/* An INIT cancels a SIPI that has not been acted on. */
		clear_bit(KVM_APIC_SIPI, &apic->pending_events);
		set_bit(KVM_APIC_INIT, &apic->pending_events);
		break;
	case DM_STARTUP:
		WRITE_ONCE(apic->sipi_vector, vector);
		/* The vector before the bit: irq.c reads them the other way round. */
		smp_wmb();
		set_bit(KVM_APIC_SIPI, &apic->pending_events);
		break;
	default:
		/* SMI (no SMM here), remote read, ExtINT (kvm_apic_accept_pic_intr()). */
		return 0;
	}
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	kvm_vcpu_kick(vcpu);
	return 1;
}

/* An interrupt from one of this APIC's LVT entries. */
static int lapic_local_deliver(struct kvm_lapic *apic, u32 lvt_reg)
{
	u32 lvt = lapic_get(apic, lvt_reg);

	if (!lapic_hw_enabled(apic) || (lvt & APIC_LVT_MASKED))
		return 0;
	return lapic_accept(apic, GET_APIC_DELIVERY_MODE(lvt), lvt & APIC_VECTOR_MASK,
			    true, lvt & APIC_LVT_LEVEL_TRIGGER);
}

/* ---- destinations ---------------------------------------------------- */

static bool lapic_match_physical(struct kvm_lapic *target, u32 mda)
{
	bool x2apic = lapic_x2apic(target);

	if (mda == (x2apic ? X2APIC_BROADCAST : XAPIC_BROADCAST))
		return true;
	/* As upstream: an id an xAPIC id cannot name is matched as an x2APIC id. */
	if (x2apic || mda > 0xff)
		return mda == lapic_x2apic_id(target);
	return mda == lapic_get(target, APIC_ID) >> 24;
}

static bool lapic_match_logical(struct kvm_lapic *target, u32 mda)
{
	u32 ldr = lapic_get(target, APIC_LDR);

	if (lapic_x2apic(target)) {
		if (mda == X2APIC_BROADCAST)
			return true;
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	}
	if (mda == XAPIC_BROADCAST)
		return true;
	ldr = GET_APIC_LOGICAL_ID(ldr);
	switch (lapic_get(target, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return ldr & mda;
	case APIC_DFR_CLUSTER:
		return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xf);
	default:
		return false;
	}
}

static bool lapic_match_dest(struct kvm_lapic *target, struct kvm_lapic *src,
			     const struct kvm_lapic_irq *irq)
{
	u32 mda = irq->dest_id;

	/*
	 * Upstream's broadcast quirk: a message that is not an IPI (IOAPIC,
	 * MSI) to 0xff is a broadcast for an x2APIC target too.
	 */
	if (!src && mda == XAPIC_BROADCAST && lapic_x2apic(target))
		mda = X2APIC_BROADCAST;
	switch (irq->shorthand) {
	case APIC_DEST_NOSHORT:
		if (irq->dest_mode)
			return lapic_match_logical(target, mda);
		return lapic_match_physical(target, mda);
	case APIC_DEST_SELF:
		return target == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != src;
	default:
		return false;
	}
}

/* The delivery mode as 0-7: callers may pass it shifted down or as in the ICR. */
static unsigned int lapic_irq_mode(const struct kvm_lapic_irq *irq)
{
	return irq->delivery_mode > 7 ? (irq->delivery_mode >> 8) & 7 :
					irq->delivery_mode;
}

int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src,
			     struct kvm_lapic_irq *irq)
{
	struct kvm_lapic *lowest[KVM_MAX_VCPUS];
	unsigned int mode = lapic_irq_mode(irq);
	int i, n, nr_lowest = 0, r = -1;

	if (irq->shorthand == APIC_DEST_SELF)
		return src ? lapic_accept(src, mode, irq->vector, irq->level,
					  irq->trig_mode) : 0;
	/* As upstream: lowest priority to the physical broadcast is fixed. */
	if (!irq->dest_mode && irq->dest_id == XAPIC_BROADCAST && mode == DM_LOWEST)
		mode = DM_FIXED;

	n = min_t(int, READ_ONCE(kvm->nr_vcpus), KVM_MAX_VCPUS);
	/* Pairs with the smp_store_release() publishing a new vCPU. */
	smp_rmb();
	for (i = 0; i < n; i++) {
		struct kvm_lapic *apic = READ_ONCE(kvm->vcpus[i]->apic);

		if (!apic || !lapic_hw_enabled(apic) ||
		    !lapic_match_dest(apic, src, irq))
			continue;
		if (mode != DM_LOWEST) {
			r = max(r, 0) + lapic_accept(apic, mode, irq->vector,
						     irq->level, irq->trig_mode);
		} else if (READ_ONCE(apic->sw_enabled)) {
			lowest[nr_lowest++] = apic;
		}
	}
	/* Lowest priority: one of the candidates, by vector (upstream's vector hashing). */
	if (nr_lowest)
		r = lapic_accept(lowest[(irq->vector & 0xff) % nr_lowest], mode,
				 irq->vector, irq->level, irq->trig_mode);
	return r;
}

/*
 * KVM_HC_SEND_IPI, upstream's PV IPI: one ICR (fixed, NMI, ... with no
 * destination mode or shorthand) to the APICs whose physical id is set
 * in a 2 x @cluster-bit window starting at @min: @low's bit i is id
 * min + i, @high's bit i id min + cluster + i.  Returns how many took
 * it; -KVM_EINVAL for an ICR with a destination mode or shorthand, and
 * -EOPNOTSUPP (a host errno, as upstream) without in-kernel APICs.
 */
long kvm_pv_send_ipi(struct kvm *kvm, unsigned long low, unsigned long high,
		     u32 min, unsigned long icr, unsigned int cluster)
{
	unsigned int mode = GET_APIC_DELIVERY_MODE(icr);
	long count = 0;
	int i, n;

	if (icr & (APIC_DEST_LOGICAL | LAPIC_SHORT_MASK))
		return -KVM_EINVAL;
	if (!irqchip_in_kernel(kvm))
		return -EOPNOTSUPP;
	n = min_t(int, READ_ONCE(kvm->nr_vcpus), KVM_MAX_VCPUS);
	/* Pairs with the smp_store_release() publishing a new vCPU. */
	smp_rmb();
	for (i = 0; i < n; i++) {
		struct kvm_lapic *apic = READ_ONCE(kvm->vcpus[i]->apic);
		unsigned long map = low;
		u64 bit;

		if (!apic || !lapic_hw_enabled(apic))
			continue;
		bit = lapic_x2apic(apic) ? lapic_x2apic_id(apic) :
					   lapic_get(apic, APIC_ID) >> 24;
		if (bit < min)
			continue;
		bit -= min;
		if (bit >= cluster) {
			map = high;
			bit -= cluster;
		}
		if (bit >= BITS_PER_LONG || !(map & BIT_ULL(bit)))
			continue;
		count += lapic_accept(apic, mode, icr & APIC_VECTOR_MASK,
				      icr & APIC_INT_ASSERT,
				      !!(icr & APIC_INT_LEVELTRIG));
	}
	return count;
}

static void lapic_send_ipi(struct kvm_lapic *apic, u32 icr_low, u32 icr_high)
{
	struct kvm_lapic_irq irq = {
		.vector = icr_low & APIC_VECTOR_MASK,
		.delivery_mode = GET_APIC_DELIVERY_MODE(icr_low),
		.dest_mode = icr_low & APIC_DEST_LOGICAL,
		.level = icr_low & APIC_INT_ASSERT,
		.trig_mode = !!(icr_low & APIC_INT_LEVELTRIG),
		.shorthand = icr_low & LAPIC_SHORT_MASK,
		.dest_id = lapic_x2apic(apic) ? icr_high : GET_XAPIC_DEST_FIELD(icr_high),
	};

	if ((irq.delivery_mode == DM_FIXED || irq.delivery_mode == DM_LOWEST) &&
	    irq.vector < 16) {
		lapic_error(apic, APIC_ESR_SENDILL);
		return;
	}
	kvm_irq_delivery_to_apic(apic->vcpu->kvm, apic, &irq);
}

/* ---- EOI -------------------------------------------------------------- */

static void lapic_eoi(struct kvm_lapic *apic)
{
	struct kvm_vcpu *vcpu = apic->vcpu;
	struct kvm *kvm = vcpu->kvm;
	int vec = lapic_highest(apic, APIC_ISR);
	bool level;

	if (vec < 0)
		return;
	clear_bit(vec & 31, lapic_vec_word(apic, APIC_ISR, vec));
	lapic_update_ppr(apic);
	level = lapic_vec_test(apic, APIC_TMR, vec) &&
		!(lapic_get(apic, APIC_SPIV) & APIC_SPIV_DIRECTED_EOI);
	if (irqchip_split(kvm)) {
		/* The userspace IOAPIC's remote IRR (irq.c). */
		if (level)
			kvm_irqchip_ioapic_eoi_exit(vcpu, vec);
	} else if (READ_ONCE(kvm->ioapic)) {
		/*
		 * Every EOI, as upstream: a level-triggered one clears the
		 * pin's remote IRR, any one runs the pin's ack notifiers (the
		 * PIT's reinjection counts edge-triggered ticks acknowledged).
		 */
		kvm_ioapic_update_eoi(vcpu, vec, level ? EOI_LEVEL : EOI_EDGE);
	}
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

/* ---- the timer -------------------------------------------------------- */

static bool lapic_guest_has_tsc_deadline(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 1, 2, BIT(X86_FEATURE_TSC_DEADLINE_TIMER & 31));
}

/* The LVTT's timer mode bits the guest has. */
static u32 lapic_lvtt_modes(struct kvm_lapic *apic)
{
	return APIC_LVT_TIMER_PERIODIC |
	       (lapic_guest_has_tsc_deadline(apic->vcpu) ? APIC_LVT_TIMER_TSCDEADLINE : 0);
}

static void lapic_update_divide(struct kvm_lapic *apic)
{
	u32 tdcr = lapic_get(apic, APIC_TDCR);
	u32 shift = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	/* 0 to 6: 2 to 128; 7 (0b1011): 1. */
	apic->divide = 1U << (shift & 7);
}

static s64 lapic_count_to_ns(struct kvm_lapic *apic, u32 count)
{
	/* The APIC's clock ticks each nanosecond, as upstream's. */
	return (s64)count * apic->divide;
}

static void lapic_limit_period(struct kvm_lapic *apic)
{
	if (apic->timer.mode != APIC_LVT_TIMER_PERIODIC || !apic->timer.period ||
	    apic->timer.period >= LAPIC_MIN_PERIOD_NS)
		return;
	pr_info_ratelimited("vCPU %d: APIC timer period %lld ns raised to %lld ns\n",
			    apic->vcpu->vcpu_id, apic->timer.period, LAPIC_MIN_PERIOD_NS);
	apic->timer.period = LAPIC_MIN_PERIOD_NS;
}

static void lapic_timer_cancel(struct kvm_lapic *apic)
{
	hrtimer_cancel(&apic->timer.hrtimer);
	atomic_set(&apic->timer.pending, 0);
}

/* An expiry: counted once until kvm_lapic_sync_timer() takes it. */
static void lapic_timer_expired(struct kvm_lapic *apic)
{
	if (atomic_cmpxchg(&apic->timer.pending, 0, 1))
		return;
	kvm_make_request(KVM_REQ_EVENT, apic->vcpu);
	kvm_vcpu_kick(apic->vcpu);
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct kvm_lapic *apic = container_of(t, struct kvm_lapic, timer.hrtimer);
	s64 period = READ_ONCE(apic->timer.period);

	lapic_timer_expired(apic);
	if (READ_ONCE(apic->timer.mode) != APIC_LVT_TIMER_PERIODIC || !period)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(max(period, LAPIC_MIN_PERIOD_NS)));
	WRITE_ONCE(apic->timer.target, hrtimer_get_expires(t));
	return HRTIMER_RESTART;
}

static void lapic_start_tscdeadline(struct kvm_lapic *apic)
{
	u64 deadline = apic->timer.tscdeadline, guest_tsc, delta, ns;
	unsigned long flags;
	ktime_t now;

	if (!deadline || !tsc_khz)
		return;
	local_irq_save(flags);
	now = ktime_get();
	guest_tsc = rdtsc() + apic->vcpu->tsc_offset;
	if (deadline > guest_tsc) {
		delta = deadline - guest_tsc;
		if (div_u64(delta, tsc_khz) >= LAPIC_MAX_DEADLINE_NS / USEC_PER_SEC)
			ns = LAPIC_MAX_DEADLINE_NS;
		else
			ns = mul_u64_u32_div(delta, USEC_PER_SEC, tsc_khz);
		hrtimer_start(&apic->timer.hrtimer, ktime_add_ns(now, ns),
			      HRTIMER_MODE_ABS_HARD);
	} else {
		lapic_timer_expired(apic);
	}
	local_irq_restore(flags);
}

/*
 * (Re)start the timer as its registers say, the hrtimer stopped: from
 * TMICT, or from TMCCT (KVM_SET_LAPIC's count, if within TMICT's).
 */
static void lapic_timer_start(struct kvm_lapic *apic, u32 count_reg)
{
	s64 ns, left;

	atomic_set(&apic->timer.pending, 0);
	switch (apic->timer.mode) {
	case APIC_LVT_TIMER_ONESHOT:
	case APIC_LVT_TIMER_PERIODIC:
		apic->timer.period = lapic_count_to_ns(apic, lapic_get(apic, APIC_TMICT));
		if (!apic->timer.period)
			return;
		lapic_limit_period(apic);
		ns = apic->timer.period;
		if (count_reg == APIC_TMCCT) {
			left = lapic_count_to_ns(apic, lapic_get(apic, APIC_TMCCT));
			if (left > 0 && left < ns)
				ns = left;
		}
		apic->timer.target = ktime_add_ns(ktime_get(), ns);
		hrtimer_start(&apic->timer.hrtimer, apic->timer.target,
			      HRTIMER_MODE_ABS_HARD);
		break;
	case APIC_LVT_TIMER_TSCDEADLINE:
		lapic_start_tscdeadline(apic);
		break;
	}
}

/* The LVTT changed: its mode; TSC deadline to or from the others stops the timer. */
static void lapic_update_lvtt(struct kvm_lapic *apic)
{
	u32 mode = lapic_get(apic, APIC_LVTT) & lapic_lvtt_modes(apic);
	u32 old = apic->timer.mode;

	if (mode == old)
		return;
	if ((mode == APIC_LVT_TIMER_TSCDEADLINE) != (old == APIC_LVT_TIMER_TSCDEADLINE)) {
		lapic_timer_cancel(apic);
		lapic_set(apic, APIC_TMICT, 0);
		apic->timer.period = 0;
		apic->timer.tscdeadline = 0;
	}
	WRITE_ONCE(apic->timer.mode, mode);
	lapic_limit_period(apic);
}

/* The current count: what is left of the period. */
static u32 lapic_tmcct(struct kvm_lapic *apic)
{
	s64 left;
	u64 rem;

	if (apic->timer.mode == APIC_LVT_TIMER_TSCDEADLINE ||
	    !lapic_get(apic, APIC_TMICT) || apic->timer.period <= 0)
		return 0;
	left = ktime_to_ns(ktime_sub(READ_ONCE(apic->timer.target), ktime_get()));
	if (left <= 0)
		return 0;
	div64_u64_rem(left, apic->timer.period, &rem);
	return div_u64(rem, apic->divide);
}

/* A new divisor: the count left is rescaled, as upstream does. */
static void lapic_set_tdcr(struct kvm_lapic *apic, u32 val)
{
	u32 old = apic->divide;
	s64 left;
	ktime_t now;

	lapic_set(apic, APIC_TDCR, val & 0xb);
	lapic_update_divide(apic);
	if (apic->divide == old || !apic->timer.period ||
	    apic->timer.mode == APIC_LVT_TIMER_TSCDEADLINE ||
	    !hrtimer_cancel(&apic->timer.hrtimer))
		return;
	now = ktime_get();
	left = max_t(s64, ktime_to_ns(ktime_sub(apic->timer.target, now)), 0);
	left = mul_u64_u32_div(left, apic->divide, old);
	apic->timer.period = lapic_count_to_ns(apic, lapic_get(apic, APIC_TMICT));
	lapic_limit_period(apic);
	apic->timer.target = ktime_add_ns(now, left);
	hrtimer_start(&apic->timer.hrtimer, apic->timer.target, HRTIMER_MODE_ABS_HARD);
}

void kvm_lapic_sync_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic || !atomic_xchg(&apic->timer.pending, 0))
		return;
	lapic_local_deliver(apic, APIC_LVTT);
	if (apic->timer.mode == APIC_LVT_TIMER_TSCDEADLINE)
		apic->timer.tscdeadline = 0;
	else if (apic->timer.mode == APIC_LVT_TIMER_ONESHOT)
		WRITE_ONCE(apic->timer.target, 0);
}

u64 kvm_lapic_get_tscdeadline(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic || !lapic_hw_enabled(apic) ||
	    apic->timer.mode != APIC_LVT_TIMER_TSCDEADLINE)
		return 0;
	return apic->timer.tscdeadline;
}

void kvm_lapic_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic || !lapic_hw_enabled(apic) ||
	    apic->timer.mode != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&apic->timer.hrtimer);
	apic->timer.tscdeadline = data;
	lapic_timer_start(apic, APIC_TMICT);
}

/* ---- register reads and writes ---------------------------------------- */

static bool lapic_readable(struct kvm_lapic *apic, u32 reg)
{
	switch (reg) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_DFR: case APIC_SPIV: case APIC_ESR:
	case APIC_ICR: case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC:
	case APIC_LVT0: case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT:
	case APIC_TMCCT: case APIC_TDCR:
		return true;
	case APIC_ARBPRI: case APIC_ICR2:
		return !lapic_x2apic(apic);
	}
	/* ISR, TMR, IRR. */
	return reg >= APIC_ISR && reg < APIC_IRR + 0x80 && !(reg & 0xf);
}

/* A readable register's value (not the x2APIC ICR). */
static u32 lapic_read(struct kvm_lapic *apic, u32 reg)
{
	switch (reg) {
	case APIC_ARBPRI:
		return 0;
	case APIC_TMCCT:
		return lapic_tmcct(apic);
	case APIC_PROCPRI:
		lapic_update_ppr(apic);
		break;
	case APIC_LVR:
		lapic_set_version(apic);
		break;
	}
	return lapic_get(apic, reg);
}

static void lapic_set_svr(struct kvm_lapic *apic, u32 val)
{
	u32 mask = 0x3ff;
	int i;

	lapic_set_version(apic);
	if (lapic_get(apic, APIC_LVR) & APIC_LVR_DIRECTED_EOI)
		mask |= APIC_SPIV_DIRECTED_EOI;
	lapic_set_spiv(apic, val & mask);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	/* Software disabled: every LVT masked. */
	for (i = 0; i < LAPIC_NR_LVT; i++)
		lapic_set(apic, APIC_LVTT + 0x10 * i,
			  lapic_get(apic, APIC_LVTT + 0x10 * i) | APIC_LVT_MASKED);
	lapic_update_lvtt(apic);
	atomic_set(&apic->timer.pending, 0);
}

/* A register write by the guest: 0, or 1 (x2APIC: #GP). */
static int lapic_write(struct kvm_lapic *apic, u32 reg, u32 val)
{
	bool x2apic = lapic_x2apic(apic);

	switch (reg) {
	case APIC_ID:
		if (x2apic)
			return 1;
		lapic_set(apic, APIC_ID, (val >> 24) << 24);
		break;
	case APIC_TASKPRI:
		lapic_set_tpr(apic, val & 0xff);
		break;
	case APIC_EOI:
		lapic_eoi(apic);
		break;
	case APIC_LDR:
		if (x2apic)
			return 1;
		lapic_set(apic, APIC_LDR, val & APIC_LDR_MASK);
		break;
	case APIC_DFR:
		if (x2apic)
			return 1;
		lapic_set(apic, APIC_DFR, val | APIC_DFR_CLUSTER);
		break;
	case APIC_SPIV:
		lapic_set_svr(apic, val);
		break;
	case APIC_ESR:
		if (x2apic && val)
			return 1;
		lapic_set(apic, APIC_ESR, atomic_xchg(&apic->esr_pending, 0));
		break;
	case APIC_ICR:
		if (x2apic)
			return 1;	/* the 64-bit MSR's: kvm_x2apic_msr_write() */
		/* Delivered at once: never busy. */
		val &= ~APIC_ICR_BUSY;
		lapic_send_ipi(apic, val, lapic_get(apic, APIC_ICR2));
		lapic_set(apic, APIC_ICR, val);
		break;
	case APIC_ICR2:
		if (x2apic)
			return 1;
		lapic_set(apic, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT:
		if (!READ_ONCE(apic->sw_enabled))
			val |= APIC_LVT_MASKED;
		lapic_set(apic, APIC_LVTT, val & (LVT_BITS | lapic_lvtt_modes(apic)));
		lapic_update_lvtt(apic);
		break;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
		if (!READ_ONCE(apic->sw_enabled))
			val |= APIC_LVT_MASKED;
		lapic_set(apic, reg, val & lapic_lvt_bits[(reg - APIC_LVTT) >> 4]);
		break;
	case APIC_TMICT:
		if (apic->timer.mode == APIC_LVT_TIMER_TSCDEADLINE)
			break;
		lapic_timer_cancel(apic);
		lapic_set(apic, APIC_TMICT, val);
		lapic_timer_start(apic, APIC_TMICT);
		break;
	case APIC_TDCR:
		lapic_set_tdcr(apic, val);
		break;
	case APIC_SELF_IPI:
		if (!x2apic)
			return 1;
		lapic_send_ipi(apic, APIC_DEST_SELF | (val & APIC_VECTOR_MASK), 0);
		break;
	default:
		return 1;
	}
	return 0;
}

static bool lapic_in_page(struct kvm_vcpu *vcpu, gpa_t gpa, u32 *offset)
{
	gpa_t base = vcpu->apic_base & MSR_IA32_APICBASE_BASE;

	if (gpa < base || gpa >= base + LAPIC_MMIO_SIZE)
		return false;
	*offset = gpa - base;
	return true;
}

/*
 * The xAPIC page.  As upstream (KVM_X86_QUIRK_LAPIC_MMIO_HOLE, on by
 * default): with the APIC disabled or in x2APIC mode the page stays a
 * hole, reading all ones, writes dropped.  Reads of 1, 2 or 4 bytes
 * within a register's first 4; other reads and reserved registers read
 * 0.  Writes: 4 bytes at a register's start, else dropped.
 */
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t gpa, int len, void *val)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 offset, align, v;

	if (!apic || len <= 0 || !lapic_in_page(vcpu, gpa, &offset))
		return -EOPNOTSUPP;
	if (!lapic_hw_enabled(apic) || lapic_x2apic(apic)) {
		memset(val, 0xff, len);
		return 0;
	}
	memset(val, 0, len);
	align = offset & 0xf;
	if (align + len > 4 || len == 3 || !lapic_readable(apic, offset & ~0xfU))
		return 0;
	v = lapic_read(apic, offset & ~0xfU);
	memcpy(val, (u8 *)&v + align, len);
	return 0;
}

int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t gpa, int len,
			 const void *val)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 offset, v;

	if (!apic || len <= 0 || !lapic_in_page(vcpu, gpa, &offset))
		return -EOPNOTSUPP;
	if (!lapic_hw_enabled(apic) || lapic_x2apic(apic))
		return 0;
	if (len != 4 || (offset & 0xf))
		return 0;
	memcpy(&v, val, 4);
	lapic_write(apic, offset, v);
	return 0;
}

/* ---- x2APIC MSRs ------------------------------------------------------ */

static bool lapic_x2apic_reg(struct kvm_vcpu *vcpu, u32 msr, u32 *reg)
{
	if (!vcpu->apic || !lapic_x2apic(vcpu->apic) ||
	    msr < APIC_BASE_MSR || msr > APIC_BASE_MSR + 0xff)
		return false;
	*reg = (msr - APIC_BASE_MSR) << 4;
	return true;
}

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	u32 reg;

	if (!lapic_x2apic_reg(vcpu, msr, &reg) || reg == APIC_DFR)
		return 1;
	if (reg == APIC_ICR) {
		*data = lapic_get_icr64(vcpu->apic);
		return 0;
	}
	if (!lapic_readable(vcpu->apic, reg))
		return 1;
	*data = lapic_read(vcpu->apic, reg);
	return 0;
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 reg;

	if (!lapic_x2apic_reg(vcpu, msr, &reg))
		return 1;
	if (reg == APIC_ICR) {
		data &= ~(u64)APIC_ICR_BUSY;
		lapic_send_ipi(apic, (u32)data, data >> 32);
		lapic_set_icr64(apic, data);
		return 0;
	}
	/* As upstream 6.1: the other registers are 32 bits; the high half is dropped. */
	return lapic_write(apic, reg, (u32)data);
}

/* ---- IA32_APIC_BASE --------------------------------------------------- */

/* A valid new value: the APIC's side of the change. */
static void lapic_apply_base(struct kvm_vcpu *vcpu, u64 value)
{
	struct kvm_lapic *apic = vcpu->apic;
	u64 old = vcpu->apic_base;

	WRITE_ONCE(vcpu->apic_base, value);
	if (!apic)
		return;
	if ((old ^ value) & value & MSR_IA32_APICBASE_ENABLE)
		lapic_set(apic, APIC_ID, ((u32)vcpu->vcpu_id & 0xff) << 24);
	if ((old ^ value) & value & X2APIC_ENABLE) {
		lapic_set(apic, APIC_ID, lapic_x2apic_id(apic));
		lapic_set(apic, APIC_LDR, lapic_x2apic_ldr(lapic_x2apic_id(apic)));
	}
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host_initiated)
{
	const u64 modes = MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE;
	u64 reserved = 0x2ffULL, old = vcpu->apic_base & modes, new = value & modes;
	const char *why = NULL;

	if (boot_cpu_data.x86_phys_bits < 64)
		reserved |= GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
	if (!lapic_guest_has_x2apic(vcpu))
		reserved |= X2APIC_ENABLE;
	if (value & reserved)
		why = "reserved bits (x2APIC needs it in the guest's CPUID)";
	else if (new == X2APIC_ENABLE)
		why = "x2APIC mode with the APIC disabled";
	else if (!host_initiated && old == modes && new == MSR_IA32_APICBASE_ENABLE)
		why = "x2APIC to xAPIC without disabling the APIC";
	else if (!host_initiated && !old && new == modes)
		why = "disabled to x2APIC without xAPIC";
	if (why) {
		if (host_initiated)
			pr_info_ratelimited("vCPU %d: KVM_SET_MSRS: APIC base %#llx: %s\n",
					    vcpu->vcpu_id, value, why);
		return 1;
	}
	lapic_apply_base(vcpu, value);
	return 0;
}

/* ---- the vCPU's side --------------------------------------------------- */

int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic || !lapic_enabled(apic))
		return -1;
	lapic_update_ppr(apic);
	return lapic_deliverable(apic, lapic_get(apic, APIC_PROCPRI));
}

void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic || vector < 16 || vector > 255)
		return;
	/* A timer expiry kvm_apic_has_interrupt() counted goes into the IRR first. */
	kvm_lapic_sync_timer(vcpu);
	clear_bit(vector & 31, lapic_vec_word(apic, APIC_IRR, vector));
	set_bit(vector & 31, lapic_vec_word(apic, APIC_ISR, vector));
	lapic_update_ppr(apic);
}

bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 lvt0;

	if (!apic || !lapic_hw_enabled(apic))
		return true;
	lvt0 = lapic_get(apic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       GET_APIC_DELIVERY_MODE(lvt0) == APIC_MODE_EXTINT;
}

unsigned long *kvm_apic_pending_events(struct kvm_vcpu *vcpu)
{
	static unsigned long none;

	return vcpu->apic ? &vcpu->apic->pending_events : &none;
}

u8 kvm_apic_sipi_vector(struct kvm_vcpu *vcpu)
{
	return vcpu->apic ? READ_ONCE(vcpu->apic->sipi_vector) : 0;
}

void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, u64 cr8)
{
	if (vcpu->apic)
		lapic_set_tpr(vcpu->apic, (cr8 & 0xf) << 4);
	else
		vcpu->cr8 = cr8 & 0xf;
}

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ------------------------------------- */

int kvm_lapic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 *id = (u32 *)(s->regs + APIC_ID);

	if (!apic)
		return -EINVAL;
	lapic_set_version(apic);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	*(u32 *)(s->regs + APIC_TMCCT) = lapic_tmcct(apic);
	if (lapic_x2apic(apic)) {
		*id <<= 24;
		*(u32 *)(s->regs + APIC_ICR2) = lapic_get_icr64(apic) >> 32;
	}
	return 0;
}

/*
 * Every byte as userspace gives it, then what derives from them: the
 * version, PPR, CR8, the timer's mode, divisor and count (TMCCT: the
 * count left, if below TMICT's), as upstream's kvm_apic_set_state().
 * In x2APIC mode the ID is id << 24, LDR derives from it and ICR2 is
 * ICR's high half.
 */
int kvm_lapic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu->apic;
	u32 *id = (u32 *)(s->regs + APIC_ID);
	u64 icr;

	if (!apic)
		return -EINVAL;
	lapic_timer_cancel(apic);
	if (lapic_x2apic(apic)) {
		*id >>= 24;
		*(u32 *)(s->regs + APIC_LDR) = lapic_x2apic_ldr(*id);
		icr = *(u32 *)(s->regs + APIC_ICR) |
		      (u64)*(u32 *)(s->regs + APIC_ICR2) << 32;
		*(u64 *)(s->regs + APIC_ICR) = icr;
	}
	memcpy(apic->regs, s->regs, sizeof(s->regs));
	lapic_set_spiv(apic, lapic_get(apic, APIC_SPIV));
	lapic_set_version(apic);
	lapic_update_ppr(apic);
	vcpu->cr8 = (lapic_get(apic, APIC_TASKPRI) >> 4) & 0xf;
	lapic_update_lvtt(apic);
	lapic_update_divide(apic);
	lapic_timer_start(apic, APIC_TMCCT);
	lapic_set(apic, APIC_TMCCT, 0);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

/* ---- life cycle --------------------------------------------------------- */

/*
 * RESET (init_event false: the APIC base too) or INIT (the base and the
 * ID stay), with the SDM's values, and upstream's: LINT0 in ExtINT mode
 * on the BSP (KVM_X86_QUIRK_LINT0_REENABLED, on by default).
 */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_lapic *apic = vcpu->apic;
	bool bsp = vcpu->vcpu_id == vcpu->kvm->bsp_vcpu_id;
	int i;

	if (!init_event)
		lapic_apply_base(vcpu, APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
				       (bsp ? MSR_IA32_APICBASE_BSP : 0));
	if (!apic)
		return;
	lapic_timer_cancel(apic);
	if (!init_event) {
		lapic_set(apic, APIC_ID, ((u32)vcpu->vcpu_id & 0xff) << 24);
		apic->pending_events = 0;
	}
	lapic_set_version(apic);
	for (i = 0; i < LAPIC_NR_LVT; i++)
		lapic_set(apic, APIC_LVTT + 0x10 * i, APIC_LVT_MASKED);
	lapic_update_lvtt(apic);
	if (bsp)
		lapic_set(apic, APIC_LVT0, APIC_DM_EXTINT);
	lapic_set(apic, APIC_DFR, APIC_DFR_FLAT);
	lapic_set_spiv(apic, 0xff);
	lapic_set(apic, APIC_TASKPRI, 0);
	vcpu->cr8 = 0;
	if (!lapic_x2apic(apic)) {
		lapic_set(apic, APIC_LDR, 0);
		lapic_set(apic, APIC_ICR, 0);
		lapic_set(apic, APIC_ICR2, 0);
	} else {
		lapic_set_icr64(apic, 0);
	}
	lapic_set(apic, APIC_ESR, 0);
	atomic_set(&apic->esr_pending, 0);
	lapic_set(apic, APIC_TDCR, 0);
	lapic_set(apic, APIC_TMICT, 0);
	lapic_set(apic, APIC_TMCCT, 0);
	for (i = 0; i < 8; i++) {
		lapic_set(apic, APIC_IRR + 0x10 * i, 0);
		lapic_set(apic, APIC_ISR + 0x10 * i, 0);
		lapic_set(apic, APIC_TMR + 0x10 * i, 0);
	}
	lapic_update_divide(apic);
	apic->timer.period = 0;
	apic->timer.target = 0;
	apic->timer.tscdeadline = 0;
	atomic_set(&apic->timer.pending, 0);
	lapic_update_ppr(apic);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

int kvm_lapic_create(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic;

	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->regs)
		goto err_free_apic;
	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer.hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.hrtimer.function = lapic_timer_fn;
	vcpu->apic = apic;
	kvm_lapic_reset(vcpu, false);
	return 0;

err_free_apic:
	kfree(apic);
	return -ENOMEM;
}

void kvm_lapic_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->apic;

	if (!apic)
		return;
	hrtimer_cancel(&apic->timer.hrtimer);
	vcpu->apic = NULL;
	free_page((unsigned long)apic->regs);
	kfree(apic);
}
