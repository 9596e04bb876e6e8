// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: KVM_CREATE_VCPU, the vCPU file descriptor, its mmap'ed kvm_run,
 * and the ioctls that read and write its state.
 *
 * Every vCPU ioctl holds vcpu->mutex; KVM_RUN holds it for as long as the
 * thread is in the guest, so state is never changed under a running vCPU.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/irq_vectors.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

/* The mmap'ed area: kvm_run, then the page that port I/O data goes through. */
#define KVM_VCPU_MMAP_PAGES	2

int kvm_vcpu_mmap_size(void)
{
	return KVM_VCPU_MMAP_PAGES * PAGE_SIZE;
}

void kvm_make_all_vcpus_request(struct kvm *kvm, int req)
{
	int i, n = READ_ONCE(kvm->nr_vcpus);

	/* Pairs with the smp_store_release() publishing a new vCPU. */
	smp_rmb();
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];
		int cpu;

		set_bit(req, &vcpu->requests);
		/* An IPI makes a vCPU in guest mode exit; the request is seen before re-entry. */
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != raw_smp_processor_id())
			smp_send_reschedule(cpu);
	}
}

static void kvm_ack_flush(void *unused)
{
}

/*
 * kvm_make_all_vcpus_request(), and wait until no vCPU is in guest mode
 * without having seen @req.  A vCPU in guest mode takes the IPI only
 * after it has left guest mode (the interrupt causes the exit), so
 * waiting for the IPI is waiting for that exit; the request is seen
 * before it enters again.  A vCPU that is not in guest mode sees the
 * request before its next entry: it publishes vcpu->cpu before reading
 * its requests, as we set the request before reading vcpu->cpu (smp_mb()
 * on both sides).
 */
void kvm_make_all_vcpus_request_wait(struct kvm *kvm, int req)
{
	int i, n = READ_ONCE(kvm->nr_vcpus), self;

	smp_rmb();
	for (i = 0; i < n; i++)
		set_bit(req, &kvm->vcpus[i]->requests);
	smp_mb();
	self = get_cpu();
	for (i = 0; i < n; i++) {
		int cpu = READ_ONCE(kvm->vcpus[i]->cpu);

		if (cpu >= 0 && cpu != self)
			smp_call_function_single(cpu, kvm_ack_flush, NULL, 1);
	}
	put_cpu();
}

/* The request is a TLB flush: the vCPU flushes before it enters again. */
void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	/* No vCPU is left to flush, and their structures are going away. */
	if (kvm->dying)
		return;
	atomic64_inc(&kvm->remote_flushes);
	kvm_make_all_vcpus_request_wait(kvm, KVM_REQ_TLB_FLUSH);
}

/* ---- state ioctls ----------------------------------------------------- */

static void kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *r)
{
	r->rax = vcpu->regs[VCPU_REGS_RAX];
	r->rbx = vcpu->regs[VCPU_REGS_RBX];
	r->rcx = vcpu->regs[VCPU_REGS_RCX];
	r->rdx = vcpu->regs[VCPU_REGS_RDX];
	r->rsi = vcpu->regs[VCPU_REGS_RSI];
	r->rdi = vcpu->regs[VCPU_REGS_RDI];
	r->rsp = vcpu->regs[VCPU_REGS_RSP];
	r->rbp = vcpu->regs[VCPU_REGS_RBP];
	r->r8 = vcpu->regs[VCPU_REGS_R8];
	r->r9 = vcpu->regs[VCPU_REGS_R9];
	r->r10 = vcpu->regs[VCPU_REGS_R10];
	r->r11 = vcpu->regs[VCPU_REGS_R11];
	r->r12 = vcpu->regs[VCPU_REGS_R12];
	r->r13 = vcpu->regs[VCPU_REGS_R13];
	r->r14 = vcpu->regs[VCPU_REGS_R14];
	r->r15 = vcpu->regs[VCPU_REGS_R15];
	r->rip = vcpu->rip;
	r->rflags = vcpu->rflags;
}

static void kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *r)
{
	vcpu->regs[VCPU_REGS_RAX] = r->rax;
	vcpu->regs[VCPU_REGS_RBX] = r->rbx;
	vcpu->regs[VCPU_REGS_RCX] = r->rcx;
	vcpu->regs[VCPU_REGS_RDX] = r->rdx;
	vcpu->regs[VCPU_REGS_RSI] = r->rsi;
	vcpu->regs[VCPU_REGS_RDI] = r->rdi;
	vcpu->regs[VCPU_REGS_RSP] = r->rsp;
	vcpu->regs[VCPU_REGS_RBP] = r->rbp;
	vcpu->regs[VCPU_REGS_R8] = r->r8;
	vcpu->regs[VCPU_REGS_R9] = r->r9;
	vcpu->regs[VCPU_REGS_R10] = r->r10;
	vcpu->regs[VCPU_REGS_R11] = r->r11;
	vcpu->regs[VCPU_REGS_R12] = r->r12;
	vcpu->regs[VCPU_REGS_R13] = r->r13;
	vcpu->regs[VCPU_REGS_R14] = r->r14;
	vcpu->regs[VCPU_REGS_R15] = r->r15;
	vcpu->rip = r->rip;
	/* Bit 1 is always set; reserved bits read as 0. */
	vcpu->rflags = (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
}

static const int kvm_seg_order[] = {
	VCPU_SREG_CS, VCPU_SREG_DS, VCPU_SREG_ES, VCPU_SREG_FS,
	VCPU_SREG_GS, VCPU_SREG_SS, VCPU_SREG_TR, VCPU_SREG_LDTR,
};

static void kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		kvm_vendor->get_segment(vcpu, segs[i], kvm_seg_order[i]);
	kvm_vendor->get_dtable(vcpu, &s->gdt, false);
	kvm_vendor->get_dtable(vcpu, &s->idt, true);
	s->cr0 = vcpu->cr0;
	s->cr2 = vcpu->cr2;
	s->cr3 = vcpu->cr3;
	s->cr4 = vcpu->cr4;
	s->cr8 = vcpu->cr8;
	s->efer = vcpu->efer;
	s->apic_base = vcpu->apic_base;
	if (vcpu->pending_irq >= 0)
		set_bit(vcpu->pending_irq, (unsigned long *)s->interrupt_bitmap);
}

static int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	const struct kvm_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};
	const char *why;
	int i, irq;

	/* Refuse what upstream refuses: an inconsistent mode never runs. */
	why = kvm_sregs_invalid(vcpu, s);
	if (why) {
		pr_info_ratelimited("vCPU %d: KVM_SET_SREGS: cr0 %#llx cr4 %#llx efer %#llx cs.l %u: %s\n",
				    vcpu->vcpu_id, s->cr0, s->cr4, s->efer,
				    s->cs.l, why);
		return -EINVAL;
	}

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		kvm_vendor->set_segment(vcpu, segs[i], kvm_seg_order[i]);
	kvm_vendor->set_dtable(vcpu, &s->gdt, false);
	kvm_vendor->set_dtable(vcpu, &s->idt, true);
	vcpu->cr0 = s->cr0 & KVM_CR0_DEFINED;
	vcpu->cr2 = s->cr2;
	vcpu->cr3 = s->cr3;
	vcpu->cr4 = s->cr4;
	kvm_set_cr8(vcpu, s->cr8 & 0xf);
	vcpu->efer = s->efer;
	if (lapic_in_kernel(vcpu))
		kvm_lapic_set_base(vcpu, s->apic_base, true);
	else
		vcpu->apic_base = s->apic_base;
	kvm_vendor->update_cr(vcpu);
	vcpu->kvm->mmu_ops->new_cr3(vcpu);

	irq = find_first_bit((const unsigned long *)s->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	vcpu->pending_irq = irq < KVM_NR_INTERRUPTS ? irq : -1;
	return 0;
}

static void kvm_vcpu_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, 128);
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fx->mxcsr;
}

static int kvm_vcpu_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	/* A reserved MXCSR bit would make the next FXRSTOR/XRSTOR fault. */
	if (fpu->mxcsr & 0xffff0000)
		return -EINVAL;
	memcpy(fx->st_space, fpu->fpr, 128);
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fx->mxcsr = fpu->mxcsr;
	return 0;
}

/* KVM_GET_MSRS / KVM_SET_MSRS: returns how many entries were processed. */
static int kvm_vcpu_msrs(struct kvm_vcpu *vcpu, struct kvm_msrs __user *umsrs,
			 bool set)
{
	struct kvm_msr_entry __user *uentries = umsrs->entries;
	struct kvm_msrs msrs;
	struct kvm_msr_entry e;
	u32 i;

	if (copy_from_user(&msrs, umsrs, sizeof(msrs)))
		return -EFAULT;
	if (msrs.nmsrs > KVM_MAX_CPUID_ENTRIES * 4)
		return -E2BIG;
	for (i = 0; i < msrs.nmsrs; i++) {
		if (copy_from_user(&e, &uentries[i], sizeof(e)))
			return -EFAULT;
		if (set) {
			if (kvm_set_msr(vcpu, e.index, e.data, true))
				break;
		} else {
			if (kvm_get_msr(vcpu, e.index, &e.data, true))
				break;
			if (copy_to_user(&uentries[i].data, &e.data, sizeof(e.data)))
				return -EFAULT;
		}
	}
	return i;
}

/* Whether @e is the vCPU's CPUID table, entry for entry (padding aside). */
static bool kvm_cpuid_same(struct kvm_vcpu *vcpu,
			   const struct kvm_cpuid_entry2 *e, u32 nent)
{
	const struct kvm_cpuid_entry2 *old = vcpu->cpuid;
	u32 i;

	if (nent != vcpu->cpuid_nent)
		return false;
	for (i = 0; i < nent; i++)
		if (e[i].function != old[i].function ||
		    e[i].index != old[i].index || e[i].flags != old[i].flags ||
		    e[i].eax != old[i].eax || e[i].ebx != old[i].ebx ||
		    e[i].ecx != old[i].ecx || e[i].edx != old[i].edx)
			return false;
	return true;
}

static int kvm_vcpu_set_cpuid2(struct kvm_vcpu *vcpu,
			       struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid_entry2 *entries;
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, ucpuid, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	entries = memdup_user(ucpuid->entries, array_size(cpuid.nent, sizeof(*entries)));
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	/*
	 * The CPUID decides which CR4 and EFER bits the guest may have set:
	 * after the first entry it stays as it is (upstream 6.1 too).
	 */
	if (vcpu->has_run && !kvm_cpuid_same(vcpu, entries, cpuid.nent)) {
		pr_info_ratelimited("vCPU %d: KVM_SET_CPUID2 after KVM_RUN may only set the same table again\n",
				    vcpu->vcpu_id);
		kfree(entries);
		return -EINVAL;
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = cpuid.nent;
	return 0;
}

static int kvm_vcpu_set_signal_mask(struct kvm_vcpu *vcpu,
				    struct kvm_signal_mask __user *umask)
{
	struct kvm_signal_mask mask;
	sigset_t set;

	if (!umask) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	if (mask.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, umask->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static int kvm_vcpu_translate(struct kvm_vcpu *vcpu, struct kvm_translation *tr)
{
	u32 error_code;
	gpa_t gpa;

	down_read(&vcpu->kvm->slots_lock);
	gpa = vcpu->kvm->mmu_ops->translate(vcpu, tr->linear_address, 0, false,
					    &error_code);
	up_read(&vcpu->kvm->slots_lock);
	tr->physical_address = gpa;
	tr->valid = gpa != KVM_INVALID_GPA;
	tr->writeable = 1;
	tr->usermode = 0;
	return 0;
}

/*
 * KVM_GET_VCPU_EVENTS, upstream's semantics without the opt-in
 * capabilities (exception payloads, triple-fault events): a queued
 * exception is reported as injected (the ABI's "pending" needs
 * KVM_CAP_EXCEPTION_PAYLOAD), a queued KVM_INTERRUPT vector as an injected
 * interrupt, the interrupt shadow as both STI and MOV SS (SVM keeps one
 * bit), sipi_vector as 0.  The SMM state is valid, as upstream's always
 * is, and says what it always is here: not in SMM, no SMI pending (we
 * have no SMM; QEMU sends it back with every state it puts, since
 * MSR_IA32_SMBASE is in the index list as upstream's).
 */
static void kvm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->exception.injected = vcpu->exception.pending;
	ev->exception.nr = vcpu->exception.vector;
	ev->exception.has_error_code = vcpu->exception.has_error_code;
	ev->exception.error_code = vcpu->exception.error_code;
	if (vcpu->pending_irq >= 0) {
		ev->interrupt.injected = 1;
		ev->interrupt.nr = vcpu->pending_irq;
	}
	if (kvm_vendor->get_interrupt_shadow(vcpu))
		ev->interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS |
				       KVM_X86_SHADOW_INT_STI;
	ev->nmi.injected = vcpu->nmi_injected;
	ev->nmi.pending = vcpu->nmi_pending;
	ev->nmi.masked = kvm_vendor->get_nmi_mask(vcpu);
	ev->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_SMM;
}

#define KVM_VCPUEVENT_FLAGS_OK	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
				 KVM_VCPUEVENT_VALID_SHADOW | \
				 KVM_VCPUEVENT_VALID_SMM)

/* KVM_SET_VCPU_EVENTS: all checked before anything changes. */
static int kvm_vcpu_set_events(struct kvm_vcpu *vcpu,
			       const struct kvm_vcpu_events *ev)
{
	if (ev->flags & ~KVM_VCPUEVENT_FLAGS_OK) {
		pr_info_ratelimited("vCPU %d: KVM_SET_VCPU_EVENTS: flags %#x: only NMI_PENDING, SIPI_VECTOR, SHADOW and SMM are supported (no exception payloads or triple-fault events)\n",
				    vcpu->vcpu_id, ev->flags);
		return -EINVAL;
	}
	/* No SMM here: the only SMM state there is, is outside it. */
	if ((ev->flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (ev->smi.smm || ev->smi.pending || ev->smi.smm_inside_nmi ||
	     ev->smi.latched_init)) {
		pr_info_ratelimited("vCPU %d: KVM_SET_VCPU_EVENTS: SMM state smm %u pending %u inside_nmi %u latched_init %u: no SMM support\n",
				    vcpu->vcpu_id, ev->smi.smm, ev->smi.pending,
				    ev->smi.smm_inside_nmi, ev->smi.latched_init);
		return -EINVAL;
	}
	if (ev->exception.injected &&
	    (ev->exception.nr > 31 || ev->exception.nr == NMI_VECTOR)) {
		pr_info_ratelimited("vCPU %d: KVM_SET_VCPU_EVENTS: exception vector %u is not an exception\n",
				    vcpu->vcpu_id, ev->exception.nr);
		return -EINVAL;
	}
	if (ev->interrupt.injected && ev->interrupt.soft) {
		pr_info_ratelimited("vCPU %d: KVM_SET_VCPU_EVENTS: soft interrupts (INTn) cannot be injected\n",
				    vcpu->vcpu_id);
		return -EINVAL;
	}
	if ((ev->flags & KVM_VCPUEVENT_VALID_SHADOW) &&
	    (ev->interrupt.shadow & ~(KVM_X86_SHADOW_INT_MOV_SS |
				      KVM_X86_SHADOW_INT_STI))) {
		pr_info_ratelimited("vCPU %d: KVM_SET_VCPU_EVENTS: interrupt shadow %#x: only MOV_SS (1) and STI (2)\n",
				    vcpu->vcpu_id, ev->interrupt.shadow);
		return -EINVAL;
	}

	/*
	 * exception.pending is the payload ABI's, ignored without it.  An
	 * error code goes with the vectors that push one, and only with
	 * them (VM entry checks it); it has 15 bits on VMX.
	 */
	vcpu->exception.pending = ev->exception.injected;
	vcpu->exception.vector = ev->exception.nr;
	vcpu->exception.has_error_code = kvm_exception_has_error_code(ev->exception.nr);
	vcpu->exception.error_code = vcpu->exception.has_error_code &&
				     ev->exception.has_error_code ?
				     ev->exception.error_code & 0x7fff : 0;
	vcpu->pending_irq = ev->interrupt.injected ? ev->interrupt.nr : -1;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW)
		kvm_vendor->set_interrupt_shadow(vcpu, ev->interrupt.shadow);
	vcpu->nmi_injected = ev->nmi.injected;
	if (ev->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->nmi_pending = ev->nmi.pending;
	kvm_vendor->set_nmi_mask(vcpu, ev->nmi.masked);
	/* A SIPI vector (VALID_SIPI_VECTOR) is for an in-kernel APIC: none. */
	return 0;
}

static void kvm_vcpu_get_debugregs(struct kvm_vcpu *vcpu, struct kvm_debugregs *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, vcpu->db, sizeof(d->db));
	d->dr6 = vcpu->dr6;
	d->dr7 = vcpu->dr7;
}

/*
 * KVM_SET_DEBUGREGS: DR6 and DR7 are 32-bit registers (a MOV of a value
 * with bits 63:32 set is #GP); their fixed bits read as the CPU has them.
 */
static int kvm_vcpu_set_debugregs(struct kvm_vcpu *vcpu,
				  const struct kvm_debugregs *d)
{
	if (d->flags) {
		pr_info_ratelimited("vCPU %d: KVM_SET_DEBUGREGS: flags %#llx: none are defined\n",
				    vcpu->vcpu_id, d->flags);
		return -EINVAL;
	}
	if ((d->dr6 >> 32) || (d->dr7 >> 32)) {
		pr_info_ratelimited("vCPU %d: KVM_SET_DEBUGREGS: DR6 %#llx, DR7 %#llx: bits 63:32 are reserved\n",
				    vcpu->vcpu_id, d->dr6, d->dr7);
		return -EINVAL;
	}
	memcpy(vcpu->db, d->db, sizeof(vcpu->db));
	kvm_set_dr(vcpu, 6, d->dr6);
	kvm_set_dr(vcpu, 7, d->dr7);
	return 0;
}

static int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	sigset_t saved;
	int r;

	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &saved);
	r = kvm_arch_vcpu_run(vcpu);
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}

static long kvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_mp_state mp;
		struct kvm_translation tr;
		struct kvm_interrupt irq;
		struct kvm_vcpu_events events;
		struct kvm_debugregs dbg;
	} *u;
	long r;

	if (vcpu->kvm->mm != current->mm)
		return -EIO;

	/*
	 * KVM_RUN needs no buffer, and it is the ioctl of every round trip
	 * to userspace: it allocates nothing.  (In the lab, which boots with
	 * slub_debug, one kzalloc() and kfree() cost more than the rest of
	 * a port I/O round trip's kernel side.)
	 */
	if (ioctl == KVM_RUN) {
		if (mutex_lock_killable(&vcpu->mutex))
			return -EINTR;
		r = arg ? -EINVAL : kvm_vcpu_run(vcpu);
		mutex_unlock(&vcpu->mutex);
		return r;
	}

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	if (mutex_lock_killable(&vcpu->mutex)) {
		kfree(u);
		return -EINTR;
	}

	switch (ioctl) {
	case KVM_GET_REGS:
		kvm_vcpu_get_regs(vcpu, &u->regs);
		r = copy_to_user(argp, &u->regs, sizeof(u->regs)) ? -EFAULT : 0;
		break;
	case KVM_SET_REGS:
		r = -EFAULT;
		if (copy_from_user(&u->regs, argp, sizeof(u->regs)))
			break;
		/*
		 * A userspace APIC delivers a SIPI by moving the vCPU to the
		 * start-up vector (RIP 0, a new CS): a vCPU halted in the
		 * kernel runs again when KVM_SET_REGS moves its RIP.  Writing
		 * back the same registers (QEMU does so whenever it syncs
		 * state) leaves it halted: a halted CPU wakes only for an
		 * event, and the code after its HLT may be long gone.
		 */
		if (vcpu->kvm->halt_in_kernel &&
		    vcpu->mp_state == KVM_MP_STATE_HALTED &&
		    u->regs.rip != vcpu->rip)
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		kvm_vcpu_set_regs(vcpu, &u->regs);
		r = 0;
		break;
	case KVM_GET_SREGS:
		kvm_vcpu_get_sregs(vcpu, &u->sregs);
		r = copy_to_user(argp, &u->sregs, sizeof(u->sregs)) ? -EFAULT : 0;
		break;
	case KVM_SET_SREGS:
		r = -EFAULT;
		if (copy_from_user(&u->sregs, argp, sizeof(u->sregs)))
			break;
		r = kvm_vcpu_set_sregs(vcpu, &u->sregs);
		break;
	case KVM_GET_FPU:
		kvm_vcpu_get_fpu(vcpu, &u->fpu);
		r = copy_to_user(argp, &u->fpu, sizeof(u->fpu)) ? -EFAULT : 0;
		break;
	case KVM_SET_FPU:
		r = -EFAULT;
		if (copy_from_user(&u->fpu, argp, sizeof(u->fpu)))
			break;
		r = kvm_vcpu_set_fpu(vcpu, &u->fpu);
		break;
	case KVM_GET_MSRS:
		r = kvm_vcpu_msrs(vcpu, argp, false);
		break;
	case KVM_SET_MSRS:
		r = kvm_vcpu_msrs(vcpu, argp, true);
		break;
	case KVM_SET_CPUID2:
		r = kvm_vcpu_set_cpuid2(vcpu, argp);
		break;
	case KVM_GET_MP_STATE:
		r = kvm_irqchip_get_mp_state(vcpu);
		u->mp.mp_state = vcpu->mp_state;
		r = copy_to_user(argp, &u->mp, sizeof(u->mp)) ? -EFAULT : 0;
		break;
	case KVM_SET_MP_STATE:
		r = -EFAULT;
		if (copy_from_user(&u->mp, argp, sizeof(u->mp)))
			break;
		r = kvm_irqchip_set_mp_state(vcpu, u->mp.mp_state);
		break;
	case KVM_SET_SIGNAL_MASK:
		r = kvm_vcpu_set_signal_mask(vcpu, argp);
		break;
	case KVM_TRANSLATE:
		r = -EFAULT;
		if (copy_from_user(&u->tr, argp, sizeof(u->tr)))
			break;
		r = kvm_vcpu_translate(vcpu, &u->tr);
		if (!r && copy_to_user(argp, &u->tr, sizeof(u->tr)))
			r = -EFAULT;
		break;
	case KVM_X86_SETUP_MCE:
		r = kvm_vcpu_setup_mce(vcpu, argp);
		break;
	case KVM_X86_SET_MCE:
		r = kvm_vcpu_set_mce(vcpu, argp);
		break;
	case KVM_INTERRUPT:
		r = -EFAULT;
		if (copy_from_user(&u->irq, argp, sizeof(u->irq)))
			break;
		r = -EINVAL;
		if (u->irq.irq >= KVM_NR_INTERRUPTS) {
			pr_info_ratelimited("vCPU %d: KVM_INTERRUPT: vector %u is above 255\n",
					    vcpu->vcpu_id, u->irq.irq);
			break;
		}
		if (irqchip_in_kernel(vcpu->kvm)) {
			r = kvm_irqchip_interrupt(vcpu, u->irq.irq);
			break;
		}
		r = -EEXIST;
		if (vcpu->pending_irq >= 0) {
			pr_info_ratelimited("vCPU %d: KVM_INTERRUPT %u: vector %d is still queued\n",
					    vcpu->vcpu_id, u->irq.irq,
					    vcpu->pending_irq);
			break;
		}
		vcpu->pending_irq = u->irq.irq;
		r = 0;
		break;
	case KVM_NMI:
		/* At most one pending: a second NMI before the first is taken merges. */
		vcpu->nmi_pending = true;
		r = 0;
		break;
	case KVM_GET_VCPU_EVENTS:
		kvm_vcpu_get_events(vcpu, &u->events);
		r = copy_to_user(argp, &u->events, sizeof(u->events)) ? -EFAULT : 0;
		break;
	case KVM_SET_VCPU_EVENTS:
		r = -EFAULT;
		if (copy_from_user(&u->events, argp, sizeof(u->events)))
			break;
		r = kvm_vcpu_set_events(vcpu, &u->events);
		break;
	case KVM_GET_DEBUGREGS:
		kvm_vcpu_get_debugregs(vcpu, &u->dbg);
		r = copy_to_user(argp, &u->dbg, sizeof(u->dbg)) ? -EFAULT : 0;
		break;
	case KVM_SET_DEBUGREGS:
		r = -EFAULT;
		if (copy_from_user(&u->dbg, argp, sizeof(u->dbg)))
			break;
		r = kvm_vcpu_set_debugregs(vcpu, &u->dbg);
		break;
	default:
		r = kvm_irqchip_vcpu_ioctl(vcpu, ioctl, argp);
		/* Upstream answers unknown vCPU ioctls with EINVAL. */
		if (r == -ENOIOCTLCMD)
			r = -EINVAL;
	}

	mutex_unlock(&vcpu->mutex);
	kfree(u);
	return r;
}

static vm_fault_t kvm_vcpu_fault(struct vm_fault *vmf)
{
	struct kvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = vcpu->pio_page;
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvm_vcpu_vm_ops = {
	.fault = kvm_vcpu_fault,
};

static int kvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff + vma_pages(vma) > KVM_VCPU_MMAP_PAGES)
		return -EINVAL;
	vma->vm_ops = &kvm_vcpu_vm_ops;
	return 0;
}

static int kvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvm_vcpu *vcpu = filp->private_data;

	kvm_put(vcpu->kvm);
	return 0;
}

static const struct file_operations kvm_vcpu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvm_vcpu_ioctl,
	.compat_ioctl = kvm_vcpu_ioctl,
	.mmap = kvm_vcpu_mmap,
	.release = kvm_vcpu_release,
	.llseek = noop_llseek,
};

/*
 * The architectural state after RESET, or after INIT (@init_event), which
 * keeps the MSRs and the APIC base (Intel SDM vol. 3A 9.1.1, table 9-1).
 */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	/* EDX holds the processor signature after reset. */
	vcpu->regs[VCPU_REGS_RDX] = 0x600;
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	vcpu->cr2 = 0;
	vcpu->cr3 = 0;
	vcpu->cr4 = 0;
	vcpu->cr8 = 0;
	vcpu->efer = 0;
	if (!init_event) {
		kvm_misc_msr_reset(vcpu);
		memset(&vcpu->mtrr, 0, sizeof(vcpu->mtrr));
		kvm_mce_reset(vcpu);
		vcpu->apic_base = 0xfee00000 | MSR_IA32_APICBASE_ENABLE |
				  (vcpu->vcpu_id == vcpu->kvm->bsp_vcpu_id ?
				   MSR_IA32_APICBASE_BSP : 0);
	}
	/* With an in-kernel APIC, an AP waits for INIT and SIPI. */
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	if (lapic_in_kernel(vcpu) && !init_event &&
	    vcpu->vcpu_id != vcpu->kvm->bsp_vcpu_id)
		vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;
	vcpu->pending_irq = -1;
	vcpu->pending_extint = -1;
	vcpu->nmi_pending = false;
	vcpu->nmi_injected = false;
	memset(vcpu->db, 0, sizeof(vcpu->db));
	vcpu->dr6 = KVM_DR6_FIXED_1;
	vcpu->dr7 = KVM_DR7_FIXED_1;
	if (lapic_in_kernel(vcpu))
		kvm_lapic_reset(vcpu, init_event);
	kvm_vendor->vcpu_reset(vcpu);
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_irqchip_vcpu_destroy(vcpu);
	vcpu->kvm->mmu_ops->vcpu_destroy(vcpu);
	kfree(vcpu->cpuid);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	__free_page(vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	put_pid(vcpu->pid);
	kvm_vendor->vcpu_free(vcpu);
}

int kvm_vm_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	struct file *file;
	int r, i, fd;

	mutex_lock(&kvm->lock);
	/* As upstream: the first vCPU fixes the bound if the VMM did not. */
	if (!kvm->max_vcpu_ids)
		kvm->max_vcpu_ids = KVM_MAX_VCPU_IDS;
	r = -EINVAL;
	if (id >= kvm->max_vcpu_ids) {
		pr_info_ratelimited("KVM_CREATE_VCPU: id %lu: vCPU ids are below %u\n",
				    id, kvm->max_vcpu_ids);
		goto err_unlock;
	}
	r = -EEXIST;
	for (i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->vcpu_id == id)
			goto err_unlock;
	r = -EINVAL;
	if (kvm->nr_vcpus >= KVM_MAX_VCPUS)
		goto err_unlock;

	r = -ENOMEM;
	vcpu = kvm_vendor->vcpu_create();
	if (!vcpu)
		goto err_unlock;
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	vcpu->clock.cpu = -1;
	mutex_init(&vcpu->mutex);

	vcpu->run = (struct kvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto err_vendor_free;
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->pio_page)
		goto err_free_run;
	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto err_free_pio;
	r = kvm->mmu_ops->vcpu_init(vcpu);
	if (r)
		goto err_free_fpu;
	r = kvm_irqchip_vcpu_create(vcpu);
	if (r)
		goto err_mmu_destroy;
	kvm_vcpu_reset(vcpu, false);

	/*
	 * The fd is reserved and its file made first, which may fail; the
	 * vCPU is published next, and only then the fd installed: from that
	 * moment another thread can use it, and remote flushes and requests
	 * must already see the vCPU.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_irqchip_destroy;
	}
	/* The file's reference to the VM; dropped by kvm_vcpu_release(). */
	kvm_get(kvm);
	file = anon_inode_getfile("kvm-vcpu", &kvm_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_put_kvm;
	}

	kvm->vcpus[kvm->nr_vcpus] = vcpu;
	/* Readers (kvm_make_all_vcpus_request()) see the pointer first. */
	smp_store_release(&kvm->nr_vcpus, kvm->nr_vcpus + 1);
	mutex_unlock(&kvm->lock);
	fd_install(fd, file);
	return fd;

err_put_kvm:
	/* Not the last reference: the VM fd still holds one. */
	kvm_put(kvm);
	put_unused_fd(fd);
err_irqchip_destroy:
	kvm_irqchip_vcpu_destroy(vcpu);
err_mmu_destroy:
	/* The VM lives on: this unwinds the vCPU alone (kvm->dying stays clear). */
	kvm->mmu_ops->vcpu_destroy(vcpu);
err_free_fpu:
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
err_free_pio:
	__free_page(vcpu->pio_page);
err_free_run:
	free_page((unsigned long)vcpu->run);
err_vendor_free:
	kvm_vendor->vcpu_free(vcpu);
err_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}
