// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's generic side: its VM and vCPU ioctls, its
 * capabilities, and the one injection path.  Every interrupt source ends
 * in a local APIC's IRR or in the PIC's ExtINT output; before each entry
 * the vCPU takes the interrupt it can take now (RFLAGS.IF, no shadow)
 * into vcpu->pending_irq, which the backends inject exactly as they
 * inject a KVM_INTERRUPT vector, or asks them for the interrupt window.
 */
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../kvm_host.h"
#include "../segment.h"

/* ---- waking a vCPU ---------------------------------------------------- */

/*
 * Any context.  The request is set before vcpu->cpu is read (smp_mb());
 * the vCPU publishes vcpu->cpu before it checks its requests with
 * interrupts off (svm.c, vmx.c): either it sees KVM_REQ_EVENT and does
 * not enter, or it is in guest mode and the IPI makes it exit.  A vCPU
 * asleep in kvm_vcpu_wait() is on vcpu->wq.
 */
void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	int cpu;

	kvm_make_request(KVM_REQ_EVENT, vcpu);
	smp_mb__after_atomic();
	wake_up_interruptible(&vcpu->wq);
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}

/* ---- the injection path ----------------------------------------------- */

/* The PIC's INTR (or, split, userspace's ExtINT) reaches this CPU. */
static bool kvm_cpu_has_extint(struct kvm_vcpu *vcpu)
{
	if (!kvm_apic_accept_pic_intr(vcpu))
		return false;
	if (pic_in_kernel(vcpu->kvm))
		return kvm_pic_has_interrupt(vcpu->kvm);
	return READ_ONCE(vcpu->pending_extint) >= 0;
}

bool kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return false;
	return kvm_cpu_has_extint(vcpu) || kvm_apic_has_interrupt(vcpu) >= 0;
}

/* As the CPU's INTA cycle: the PIC's ExtINT first, then the APIC's. */
int kvm_cpu_get_interrupt(struct kvm_vcpu *vcpu)
{
	int vector;

	if (kvm_cpu_has_extint(vcpu)) {
		if (pic_in_kernel(vcpu->kvm))
			return kvm_pic_read_irq(vcpu->kvm);
		vector = vcpu->pending_extint;
		vcpu->pending_extint = -1;
		return vector;
	}
	vector = kvm_apic_has_interrupt(vcpu);
	if (vector >= 0)
		kvm_apic_ack_interrupt(vcpu, vector);
	return vector;
}

/*
 * INIT and SIPI, as the MP initialization protocol has them: INIT resets
 * the vCPU (an AP then waits for a SIPI, in INIT_RECEIVED; the BSP runs
 * from the reset vector); a SIPI starts a waiting AP at vector:0000 in
 * real mode, and is dropped otherwise.
 */
static void kvm_apic_accept_events(struct kvm_vcpu *vcpu)
{
	unsigned long *pe = kvm_apic_pending_events(vcpu);
	struct kvm_segment cs;

	if (test_and_clear_bit(KVM_APIC_INIT, pe)) {
		kvm_vcpu_reset(vcpu, true);
		vcpu->mp_state = vcpu->vcpu_id == vcpu->kvm->bsp_vcpu_id ?
				 KVM_MP_STATE_RUNNABLE :
				 KVM_MP_STATE_INIT_RECEIVED;
	}
	if (!test_and_clear_bit(KVM_APIC_SIPI, pe) ||
	    vcpu->mp_state != KVM_MP_STATE_INIT_RECEIVED)
		return;
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	cs.selector = kvm_apic_sipi_vector(vcpu) << 8;
	cs.base = (u64)kvm_apic_sipi_vector(vcpu) << 12;
	kvm_vendor->set_segment(vcpu, &cs, VCPU_SREG_CS);
	vcpu->rip = 0;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
}

bool kvm_irqchip_pre_entry(struct kvm_vcpu *vcpu)
{
	vcpu->irq_window = false;
	if (!lapic_in_kernel(vcpu))
		return true;
	kvm_apic_accept_events(vcpu);
	if (vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED ||
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return false;
	kvm_lapic_sync_timer(vcpu);
	if (vcpu->pending_irq < 0 && kvm_cpu_has_interrupt(vcpu) &&
	    (vcpu->rflags & X86_EFLAGS_IF) &&
	    !kvm_vendor->get_interrupt_shadow(vcpu)) {
		vcpu->pending_irq = kvm_cpu_get_interrupt(vcpu);
		vcpu->stat.irq_injections += vcpu->pending_irq >= 0;
	}
	/* Another one behind it, or one the guest cannot take yet. */
	vcpu->irq_window = kvm_cpu_has_interrupt(vcpu);
	return true;
}

bool kvm_irqchip_has_wake_event(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return false;
	return *kvm_apic_pending_events(vcpu) ||
	       ((vcpu->rflags & X86_EFLAGS_IF) && kvm_cpu_has_interrupt(vcpu));
}

/* ---- the VM ----------------------------------------------------------- */

int kvm_irqchip_vm_init(struct kvm *kvm)
{
	int r;

	mutex_init(&kvm->irq_lock);
	mutex_init(&kvm->bus_lock);
	INIT_HLIST_HEAD(&kvm->irq_ack_notifier_list);
	INIT_LIST_HEAD(&kvm->ioeventfds);
	INIT_LIST_HEAD(&kvm->irqfds.items);
	INIT_LIST_HEAD(&kvm->irqfds.resampler_list);
	spin_lock_init(&kvm->irqfds.lock);
	mutex_init(&kvm->irqfds.resampler_lock);
	r = init_srcu_struct(&kvm->irq_srcu);
	if (r)
		return r;
	r = init_srcu_struct(&kvm->bus_srcu);
	if (r)
		goto err_cleanup_irq_srcu;
	kvm_eventfd_init(kvm);
	return 0;

err_cleanup_irq_srcu:
	cleanup_srcu_struct(&kvm->irq_srcu);
	return r;
}

/* No vCPU runs any more: the sources go first, then the chips. */
void kvm_irqchip_vm_destroy(struct kvm *kvm)
{
	kvm_eventfd_release(kvm);
	kvm_pit_destroy(kvm);
	kvm_ioapic_destroy(kvm);
	kvm_pic_destroy(kvm);
	kvm_free_irq_routing(kvm);
	kvm_io_bus_destroy(kvm);
	cleanup_srcu_struct(&kvm->bus_srcu);
	cleanup_srcu_struct(&kvm->irq_srcu);
}

/*
 * KVM_CREATE_IRQCHIP: before the first vCPU, once, as upstream (EEXIST
 * for a second irqchip, EINVAL once vCPUs exist, whose APICs would be
 * missing).
 */
static int kvm_irqchip_create(struct kvm *kvm)
{
	int r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->irqchip_mode != KVM_IRQCHIP_NONE) {
		pr_info_ratelimited("KVM_CREATE_IRQCHIP: the VM has an irqchip already\n");
		goto out_unlock;
	}
	r = -EINVAL;
	if (kvm->nr_vcpus) {
		pr_info_ratelimited("KVM_CREATE_IRQCHIP: after KVM_CREATE_VCPU: create the irqchip first\n");
		goto out_unlock;
	}
	r = kvm_pic_create(kvm);
	if (r)
		goto out_unlock;
	r = kvm_ioapic_create(kvm);
	if (r)
		goto err_destroy_pic;
	r = kvm_setup_default_irq_routing(kvm);
	if (r)
		goto err_destroy_ioapic;
	/* Pairs with irqchip_in_kernel(). */
	smp_store_release(&kvm->irqchip_mode, KVM_IRQCHIP_KERNEL);
	mutex_unlock(&kvm->lock);
	return 0;

err_destroy_ioapic:
	kvm_ioapic_destroy(kvm);
err_destroy_pic:
	kvm_pic_destroy(kvm);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_ENABLE_CAP KVM_CAP_SPLIT_IRQCHIP: local APICs in the kernel, the
 * IOAPIC and PIC in userspace; args[0] is the number of IOAPIC routes
 * userspace keeps (for the EOI exits), at most KVM_MAX_IRQ_ROUTES.
 */
int kvm_irqchip_enable_split(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	int r;

	if (cap->args[0] > KVM_MAX_IRQ_ROUTES) {
		pr_info_ratelimited("KVM_ENABLE_CAP SPLIT_IRQCHIP: %llu IOAPIC routes: at most %u\n",
				    cap->args[0], KVM_MAX_IRQ_ROUTES);
		return -EINVAL;
	}
	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->irqchip_mode != KVM_IRQCHIP_NONE) {
		pr_info_ratelimited("KVM_ENABLE_CAP SPLIT_IRQCHIP: the VM has an irqchip already\n");
		goto out_unlock;
	}
	r = -EINVAL;
	if (kvm->nr_vcpus) {
		pr_info_ratelimited("KVM_ENABLE_CAP SPLIT_IRQCHIP: after KVM_CREATE_VCPU\n");
		goto out_unlock;
	}
	r = kvm_set_irq_routing(kvm, NULL, 0, 0);
	if (r)
		goto out_unlock;
	kvm->nr_reserved_ioapic_pins = min_t(u64, cap->args[0], 255);
	smp_store_release(&kvm->irqchip_mode, KVM_IRQCHIP_SPLIT);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

static int kvm_irqchip_get(struct kvm *kvm, struct kvm_irqchip *chip)
{
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		kvm_pic_get_state(kvm, chip->chip_id, &chip->chip.pic);
		return 0;
	case KVM_IRQCHIP_IOAPIC:
		kvm_ioapic_get_state(kvm, &chip->chip.ioapic);
		return 0;
	}
	pr_info_ratelimited("KVM_GET_IRQCHIP: chip %u: want 0-2\n", chip->chip_id);
	return -EINVAL;
}

static int kvm_irqchip_set(struct kvm *kvm, const struct kvm_irqchip *chip)
{
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		kvm_pic_set_state(kvm, chip->chip_id, &chip->chip.pic);
		return 0;
	case KVM_IRQCHIP_IOAPIC:
		kvm_ioapic_set_state(kvm, &chip->chip.ioapic);
		return 0;
	}
	pr_info_ratelimited("KVM_SET_IRQCHIP: chip %u: want 0-2\n", chip->chip_id);
	return -EINVAL;
}

static int kvm_irqchip_set_routing(struct kvm *kvm, void __user *argp)
{
	struct kvm_irq_routing routing;
	struct kvm_irq_routing __user *urouting = argp;
	struct kvm_irq_routing_entry *entries = NULL;
	int r;

	if (copy_from_user(&routing, argp, sizeof(routing)))
		return -EFAULT;
	if (!irqchip_in_kernel(kvm)) {
		pr_info_ratelimited("KVM_SET_GSI_ROUTING (%u routes): no in-kernel irqchip to route to\n",
				    routing.nr);
		return -EINVAL;
	}
	if (routing.nr > KVM_MAX_IRQ_ROUTES || routing.flags) {
		pr_info_ratelimited("KVM_SET_GSI_ROUTING: %u routes, flags %#x: at most %u routes, flags 0\n",
				    routing.nr, routing.flags, KVM_MAX_IRQ_ROUTES);
		return -EINVAL;
	}
	if (routing.nr) {
		entries = vmemdup_user(urouting->entries,
				       array_size(sizeof(*entries), routing.nr));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	r = kvm_set_irq_routing(kvm, entries, routing.nr, routing.flags);
	kvfree(entries);
	return r;
}

static int kvm_irqchip_irq_line(struct kvm *kvm, void __user *argp,
				bool status)
{
	struct kvm_irq_level line;

	if (copy_from_user(&line, argp, sizeof(line)))
		return -EFAULT;
	if (!irqchip_in_kernel(kvm)) {
		pr_info_ratelimited("KVM_IRQ_LINE: no in-kernel irqchip\n");
		return -ENXIO;
	}
	line.status = kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, line.irq,
				  line.level, status);
	if (status && copy_to_user(argp, &line, sizeof(line)))
		return -EFAULT;
	return 0;
}

static int kvm_irqchip_pit_create(struct kvm *kvm, void __user *argp)
{
	struct kvm_pit_config config;
	int r;

	if (copy_from_user(&config, argp, sizeof(config)))
		return -EFAULT;
	/* kvm_pit_create() refuses a second PIT (EEXIST), under the lock. */
	mutex_lock(&kvm->lock);
	r = kvm_pit_create(kvm, config.flags);
	mutex_unlock(&kvm->lock);
	return r;
}

/* The PIT's ioctls; ENXIO without a PIT, as upstream. */
static long kvm_irqchip_pit_ioctl(struct kvm *kvm, unsigned int ioctl,
				  void __user *argp)
{
	union {
		struct kvm_pit_state2 s2;
		struct kvm_pit_state s;
		struct kvm_reinject_control rc;
	} *u;
	long r;

	if (!READ_ONCE(kvm->pit))
		return -ENXIO;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	switch (ioctl) {
	case KVM_GET_PIT2:
		r = kvm_pit_get_state2(kvm, &u->s2);
		if (!r && copy_to_user(argp, &u->s2, sizeof(u->s2)))
			r = -EFAULT;
		break;
	case KVM_SET_PIT2:
		r = -EFAULT;
		if (!copy_from_user(&u->s2, argp, sizeof(u->s2)))
			r = kvm_pit_set_state2(kvm, &u->s2);
		break;
	case KVM_GET_PIT:
		r = kvm_pit_get_state(kvm, &u->s);
		if (!r && copy_to_user(argp, &u->s, sizeof(u->s)))
			r = -EFAULT;
		break;
	case KVM_SET_PIT:
		r = -EFAULT;
		if (!copy_from_user(&u->s, argp, sizeof(u->s)))
			r = kvm_pit_set_state(kvm, &u->s);
		break;
	default:	/* KVM_REINJECT_CONTROL */
		r = -EFAULT;
		if (!copy_from_user(&u->rc, argp, sizeof(u->rc)))
			r = kvm_pit_reinject_control(kvm, u->rc.pit_reinject);
		break;
	}
	kfree(u);
	return r;
}

/* KVM_SET_BOOT_CPU_ID: which vCPU id is the BSP; before any vCPU exists. */
static int kvm_irqchip_set_boot_cpu(struct kvm *kvm, unsigned long id)
{
	int r = 0;

	mutex_lock(&kvm->lock);
	if (kvm->nr_vcpus) {
		pr_info_ratelimited("KVM_SET_BOOT_CPU_ID %lu: vCPUs exist\n", id);
		r = -EBUSY;
	} else if (id >= KVM_MAX_VCPU_IDS) {
		pr_info_ratelimited("KVM_SET_BOOT_CPU_ID %lu: ids are below %u\n",
				    id, KVM_MAX_VCPU_IDS);
		r = -EINVAL;
	} else {
		kvm->bsp_vcpu_id = id;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

/* The irqchip's VM ioctls; -ENOTTY for any other. */
long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	struct kvm_irqchip *chip;
	long r;

	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return kvm_irqchip_create(kvm);
	case KVM_IRQ_LINE:
		return kvm_irqchip_irq_line(kvm, argp, false);
	case KVM_IRQ_LINE_STATUS:
		return kvm_irqchip_irq_line(kvm, argp, true);
	case KVM_SET_GSI_ROUTING:
		return kvm_irqchip_set_routing(kvm, argp);
	case KVM_SIGNAL_MSI: {
		struct kvm_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		/* EINVAL, as upstream. */
		if (!irqchip_in_kernel(kvm)) {
			pr_info_ratelimited("KVM_SIGNAL_MSI: no in-kernel irqchip\n");
			return -EINVAL;
		}
		return kvm_set_msi(kvm, &msi);
	}
	case KVM_IRQFD: {
		struct kvm_irqfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return kvm_irqfd(kvm, &args);
	}
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return kvm_ioeventfd(kvm, &args);
	}
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		chip = memdup_user(argp, sizeof(*chip));
		if (IS_ERR(chip))
			return PTR_ERR(chip);
		if (!pic_in_kernel(kvm)) {
			pr_info_ratelimited("KVM_GET/SET_IRQCHIP: no in-kernel PIC and IOAPIC\n");
			r = -ENXIO;
		} else if (ioctl == KVM_SET_IRQCHIP) {
			r = kvm_irqchip_set(kvm, chip);
		} else {
			r = kvm_irqchip_get(kvm, chip);
			if (!r && copy_to_user(argp, chip, sizeof(*chip)))
				r = -EFAULT;
		}
		kfree(chip);
		return r;
	case KVM_CREATE_PIT2:
		return kvm_irqchip_pit_create(kvm, argp);
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_REINJECT_CONTROL:
		return kvm_irqchip_pit_ioctl(kvm, ioctl, argp);
	case KVM_SET_BOOT_CPU_ID:
		return kvm_irqchip_set_boot_cpu(kvm, (unsigned long)argp);
	}
	return -ENOTTY;
}

/* KVM_CHECK_EXTENSION for the irqchip's capabilities; -1: not ours. */
int kvm_irqchip_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_TSC_DEADLINE_TIMER:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	}
	return -1;
}

/* ---- the vCPU --------------------------------------------------------- */

int kvm_irqchip_vcpu_create(struct kvm_vcpu *vcpu)
{
	init_waitqueue_head(&vcpu->wq);
	vcpu->pending_extint = -1;
	if (!irqchip_in_kernel(vcpu->kvm))
		return 0;
	return kvm_lapic_create(vcpu);
}

void kvm_irqchip_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->apic)
		kvm_lapic_destroy(vcpu);
}

/*
 * KVM_SET_VAPIC_ADDR: 0, or a guest-physical address in a writable slot
 * with room for the 4-byte structure in its page (upstream refuses one
 * outside guest memory with EINVAL too).
 */
static long kvm_irqchip_set_vapic_addr(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vapic_addr va;
	unsigned long hva;

	if (copy_from_user(&va, argp, sizeof(va)))
		return -EFAULT;
	if (va.vapic_addr) {
		down_read(&vcpu->kvm->slots_lock);
		hva = kvm_gfn_to_hva(vcpu->kvm, va.vapic_addr >> PAGE_SHIFT, true);
		up_read(&vcpu->kvm->slots_lock);
		if (hva == KVM_HVA_ERR ||
		    offset_in_page(va.vapic_addr) > PAGE_SIZE - 4) {
			pr_info_ratelimited("vCPU %d: KVM_SET_VAPIC_ADDR %#llx: not in writable guest memory\n",
					    vcpu->vcpu_id, va.vapic_addr);
			return -EINVAL;
		}
	}
	vcpu->vapic_addr = va.vapic_addr;
	return 0;
}

/*
 * KVM_GET_LAPIC, KVM_SET_LAPIC and KVM_SET_VAPIC_ADDR, which need an
 * in-kernel local APIC (EINVAL, as upstream); -ENOIOCTLCMD for any other
 * ioctl.
 */
long kvm_irqchip_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp)
{
	struct kvm_lapic_state *s;
	long r;

	if (ioctl != KVM_GET_LAPIC && ioctl != KVM_SET_LAPIC &&
	    ioctl != KVM_SET_VAPIC_ADDR)
		return -ENOIOCTLCMD;
	if (!lapic_in_kernel(vcpu)) {
		pr_info_ratelimited("vCPU %d: KVM_GET/SET_LAPIC, KVM_SET_VAPIC_ADDR: no in-kernel local APIC\n",
				    vcpu->vcpu_id);
		return -EINVAL;
	}
	if (ioctl == KVM_SET_VAPIC_ADDR)
		return kvm_irqchip_set_vapic_addr(vcpu, argp);
	if (ioctl == KVM_SET_LAPIC) {
		s = memdup_user(argp, sizeof(*s));
		if (IS_ERR(s))
			return PTR_ERR(s);
		r = kvm_lapic_set_state(vcpu, s);
		kfree(s);
		return r;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	r = kvm_lapic_get_state(vcpu, s);
	if (!r && copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/* KVM_GET_MP_STATE: INIT and SIPI sent since the last entry count. */
int kvm_irqchip_get_mp_state(struct kvm_vcpu *vcpu)
{
	if (lapic_in_kernel(vcpu))
		kvm_apic_accept_events(vcpu);
	return 0;
}

/*
 * KVM_SET_MP_STATE.  RUNNABLE and HALTED always (HALTED sleeps in the
 * kernel with halt_in_kernel=1 or an in-kernel APIC); the states of the
 * INIT-SIPI protocol only with an in-kernel APIC, as upstream.
 * SIPI_RECEIVED is INIT_RECEIVED with the SIPI pending.
 */
int kvm_irqchip_set_mp_state(struct kvm_vcpu *vcpu, u32 state)
{
	switch (state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_HALTED:
		break;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (lapic_in_kernel(vcpu))
			break;
		pr_info_ratelimited("vCPU %d: KVM_SET_MP_STATE %u: only with an in-kernel local APIC\n",
				    vcpu->vcpu_id, state);
		return -EINVAL;
	default:
		pr_info_ratelimited("vCPU %d: KVM_SET_MP_STATE %u: not an x86 MP state\n",
				    vcpu->vcpu_id, state);
		return -EINVAL;
	}
	if (state == KVM_MP_STATE_SIPI_RECEIVED) {
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(KVM_APIC_SIPI, kvm_apic_pending_events(vcpu));
	} else {
		vcpu->mp_state = state;
	}
	return 0;
}

/*
 * KVM_INTERRUPT with an in-kernel irqchip: refused when the PIC is in the
 * kernel too (ENXIO, as upstream); with the split irqchip it is the
 * userspace PIC's ExtINT, which the local APIC takes when LINT0 lets it.
 */
int kvm_irqchip_interrupt(struct kvm_vcpu *vcpu, u32 vector)
{
	if (pic_in_kernel(vcpu->kvm)) {
		pr_info_ratelimited("vCPU %d: KVM_INTERRUPT: the PIC is in the kernel\n",
				    vcpu->vcpu_id);
		return -ENXIO;
	}
	if (vcpu->pending_extint >= 0) {
		pr_info_ratelimited("vCPU %d: KVM_INTERRUPT %u: ExtINT %d is still pending\n",
				    vcpu->vcpu_id, vector, vcpu->pending_extint);
		return -EEXIST;
	}
	WRITE_ONCE(vcpu->pending_extint, vector);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

/*
 * Split irqchip: the guest EOIed a level-triggered vector, which only the
 * userspace IOAPIC's routes deliver (an MSI is edge-triggered): userspace
 * hears of it with KVM_EXIT_IOAPIC_EOI, to clear its pin's remote IRR.
 * Upstream exits only for the vectors its IOAPIC routes name; an EOI
 * exit for another vector is one QEMU ignores.  The lapic's EOI runs in
 * the vCPU's thread.
 */
void kvm_irqchip_ioapic_eoi_exit(struct kvm_vcpu *vcpu, int vector)
{
	vcpu->pending_ioapic_eoi = vector;
	kvm_make_request(KVM_REQ_IOAPIC_EOI, vcpu);
}

/*
 * kvm_run.ready_for_interrupt_injection with the split irqchip: the
 * guest can take the userspace PIC's next ExtINT.
 */
bool kvm_irqchip_ready_for_extint(struct kvm_vcpu *vcpu)
{
	return vcpu->pending_extint < 0 && kvm_apic_accept_pic_intr(vcpu);
}

/*
 * debugfs kvm/PID-FD/exits, the irqchip's part: for each vCPU, the
 * interrupts it took from the in-kernel irqchip, the times it slept
 * halted or waiting for a SIPI, the times a halt polled and how many of
 * those polls saw the wake-up (racy snapshots).
 */
void kvm_irqchip_show(struct seq_file *m, struct kvm *kvm)
{
	int i, n = READ_ONCE(kvm->nr_vcpus);

	smp_rmb();
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];

		seq_printf(m, "irq.vcpu%d.injections %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.irq_injections));
		seq_printf(m, "irq.vcpu%d.halt_sleeps %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.halt_sleeps));
		seq_printf(m, "irq.vcpu%d.halt_polls %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.halt_polls));
		seq_printf(m, "irq.vcpu%d.halt_poll_wakes %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.halt_poll_wakes));
	}
}
