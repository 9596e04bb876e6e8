// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution hygiene around guest entry and exit (spec.h says
 * what is done where).  Everything follows the host kernel's own choices:
 * its X86_FEATURE_* mitigation bits, x86_spec_ctrl_current, l1tf_mitigation,
 * as upstream Linux 6.1 KVM (kvm_amd, kvm_intel) follows them.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/spec-ctrl.h>
#include <asm/vmx.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "spec.h"

/* The last vCPU each CPU entered: IBPB when another one comes. */
static DEFINE_PER_CPU(struct kvm_vcpu *, kvm_spec_last_vcpu);

static bool kvm_spec_vmx;
/* VMX: the L1D flush before each entry, as kvm_intel would decide it. */
static enum vmx_l1d_flush_state kvm_spec_l1d = VMENTER_L1D_FLUSH_NOT_REQUIRED;

/*
 * kvm_intel's vmx_setup_l1d_flush() with vmentry_l1d_flush=auto.  With
 * shadow paging (@ept false) the hardware never walks a guest's page
 * table: a non-present shadow entry holds no address, so a guest cannot
 * aim an L1TF load anywhere, and upstream does not flush either
 * (VMENTER_L1D_FLUSH_EPT_DISABLED).
 */
static enum vmx_l1d_flush_state kvm_spec_l1d_mode(bool ept)
{
	u64 cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return VMENTER_L1D_FLUSH_NOT_REQUIRED;
	if (!ept)
		return VMENTER_L1D_FLUSH_EPT_DISABLED;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &cap);
	if (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		return VMENTER_L1D_FLUSH_NOT_REQUIRED;
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return VMENTER_L1D_FLUSH_NEVER;
	case L1TF_MITIGATION_FULL:
	case L1TF_MITIGATION_FULL_FORCE:
		return VMENTER_L1D_FLUSH_ALWAYS;
	default:
		return VMENTER_L1D_FLUSH_COND;
	}
}

void kvm_spec_init(bool vmx)
{
	kvm_spec_vmx = vmx;
	if (!vmx)
		return;
	/*
	 * As for EPT when mmu=tdp can run on it; a shadow-paging VM does not
	 * flush whatever this says (kvm_spec_l1d_flush_needed()).
	 */
	kvm_spec_l1d = kvm_spec_l1d_mode(kvm_tdp_supported);
	if ((kvm_spec_l1d == VMENTER_L1D_FLUSH_COND ||
	     kvm_spec_l1d == VMENTER_L1D_FLUSH_ALWAYS) &&
	    !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		/* kvm_intel's software flush is not done here. */
		pr_warn("L1TF: the CPU has no IA32_FLUSH_CMD: no L1D flush on VM entry\n");
		kvm_spec_l1d = VMENTER_L1D_FLUSH_NEVER;
	}
}

/* IBPB on a vCPU switch; SVM's SRSO mitigation may IBPB on every exit instead. */
static bool kvm_spec_host_ibpb(void)
{
	return cpu_feature_enabled(X86_FEATURE_USE_IBPB) &&
	       !cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT);
}

/* The entry code switches IA32_SPEC_CTRL (SVM: unless the VMCB does). */
static bool kvm_spec_host_spec_ctrl(void)
{
	return cpu_feature_enabled(X86_FEATURE_MSR_SPEC_CTRL) &&
	       (kvm_spec_vmx || !cpu_feature_enabled(X86_FEATURE_V_SPEC_CTRL));
}

/*
 * RSB entries the exit path stuffs: what the vendors' vmenter.S test,
 * the features Debian 6.1's kvm_intel and kvm_amd test there.
 */
static int kvm_spec_host_rsb_fill(void)
{
	if (!kvm_spec_vmx)
		return boot_cpu_has(X86_FEATURE_RETPOLINE) ? RSB_CLEAR_LOOPS : 0;
	if (boot_cpu_has(X86_FEATURE_RSB_VMEXIT))
		return RSB_CLEAR_LOOPS;
	return boot_cpu_has(X86_FEATURE_RSB_VMEXIT_LITE) ? 1 : 0;
}

/* VERW before the entry: VMX for MDS/TAA/RFDS, SVM for TSA. */
static bool kvm_spec_host_verw(void)
{
	return kvm_spec_vmx ? cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF) :
			      cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM);
}

void kvm_spec_vcpu_switch(struct kvm_vcpu *vcpu)
{
	if (this_cpu_read(kvm_spec_last_vcpu) == vcpu)
		return;
	this_cpu_write(kvm_spec_last_vcpu, vcpu);
	vcpu->stat.switch_in++;
	if (!kvm_spec_host_ibpb())
		return;
	indirect_branch_prediction_barrier();
	vcpu->stat.ibpb++;
}

void kvm_spec_vcpu_free(struct kvm_vcpu *vcpu)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&kvm_spec_last_vcpu, cpu), vcpu, NULL);
}

void kvm_spec_count_entry(struct kvm_vcpu *vcpu)
{
	/* As vmenter.S compares: the low 32 bits, the MSR's defined ones. */
	if (kvm_spec_host_spec_ctrl() &&
	    (u32)vcpu->spec_ctrl != (u32)this_cpu_read(x86_spec_ctrl_current))
		vcpu->stat.spec_ctrl_switch++;
	if (kvm_spec_host_verw())
		vcpu->stat.verw++;
}

/*
 * kvm_intel flushes under "cond" only after an exit that may have
 * brought host secrets into L1D; here "cond" flushes on every entry of a
 * VM on EPT (mmu=tdp), whose page tables the hardware walks.  A shadow
 * paging VM's never hold a host address it chose (kvm_spec_l1d_mode()).
 */
static bool kvm_spec_l1d_flushes(const struct kvm *kvm)
{
	return kvm_spec_vmx && kvm_mmu_is_tdp(kvm) &&
	       (kvm_spec_l1d == VMENTER_L1D_FLUSH_COND ||
		kvm_spec_l1d == VMENTER_L1D_FLUSH_ALWAYS);
}

bool kvm_spec_l1d_flush_needed(struct kvm_vcpu *vcpu)
{
	return kvm_spec_l1d_flushes(vcpu->kvm);
}

void kvm_spec_l1d_flush(struct kvm_vcpu *vcpu)
{
	wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	vcpu->stat.l1d_flush++;
}

/* CPUID bits: leaf 7 EDX and 0x80000008 EBX, as the X86_FEATURE_* say. */
static bool kvm_spec_guest_has(struct kvm_vcpu *vcpu, u32 leaf7_edx,
			       u32 ext8_ebx)
{
	return kvm_guest_has(vcpu, 7, 3, leaf7_edx) ||
	       kvm_guest_has(vcpu, 0x80000008, 1, ext8_ebx);
}

#define F(x)	BIT(X86_FEATURE_##x & 31)

/* Upstream's guest_has_spec_ctrl_msr() and guest_has_pred_cmd_msr(). */
static bool kvm_spec_guest_spec_ctrl(struct kvm_vcpu *vcpu)
{
	return kvm_spec_guest_has(vcpu, F(SPEC_CTRL),
				  F(AMD_IBRS) | F(AMD_STIBP) | F(AMD_SSBD));
}

static bool kvm_spec_guest_pred_cmd(struct kvm_vcpu *vcpu)
{
	return kvm_spec_guest_has(vcpu, F(SPEC_CTRL), F(AMD_IBPB));
}

/*
 * Upstream 6.1's kvm_spec_ctrl_test_value(): a value is valid if this
 * CPU takes it.  Interrupts off, the host's value written back at once.
 * Only where the kernel knows the MSR: elsewhere vmenter.S would never
 * load it (an emulator may take any value without faulting).
 */
static int kvm_spec_ctrl_test_value(u64 value)
{
	unsigned long flags;
	u64 saved;
	int r = 0;

	if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		return 1;
	local_irq_save(flags);
	if (rdmsrl_safe(MSR_IA32_SPEC_CTRL, &saved) ||
	    wrmsrl_safe(MSR_IA32_SPEC_CTRL, value))
		r = 1;
	else
		wrmsrl(MSR_IA32_SPEC_CTRL, saved);
	local_irq_restore(flags);
	return r;
}

/*
 * The guest needs the CPUID bit; its VMM (@host: KVM_GET/SET_MSRS) does
 * not, so it can restore SPEC_CTRL before it sets CPUID, as upstream.
 */
int kvm_spec_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	/* PRED_CMD is write-only. */
	if (index != MSR_IA32_SPEC_CTRL ||
	    (!host && !kvm_spec_guest_spec_ctrl(vcpu)))
		return 1;
	*data = vcpu->spec_ctrl;
	return 0;
}

int kvm_spec_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (index == MSR_IA32_SPEC_CTRL) {
		if ((!host && !kvm_spec_guest_spec_ctrl(vcpu)) ||
		    kvm_spec_ctrl_test_value(data))
			return 1;
		vcpu->spec_ctrl = data;
		return 0;
	}
	/* MSR_IA32_PRED_CMD */
	if ((!host && !kvm_spec_guest_pred_cmd(vcpu)) ||
	    (data & ~PRED_CMD_IBPB) || !boot_cpu_has(X86_FEATURE_IBPB))
		return 1;
	if (data) {
		wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		vcpu->stat.guest_ibpb++;
	}
	return 0;
}

void kvm_spec_show(struct seq_file *m, struct kvm *kvm)
{
	int i, n = READ_ONCE(kvm->nr_vcpus);

	/* The caller's smp_rmb() orders nr_vcpus and vcpus[]. */
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];

		seq_printf(m, "spec.vcpu%d.spec_ctrl_switch %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.spec_ctrl_switch));
		seq_printf(m, "spec.vcpu%d.switch_in %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.switch_in));
		seq_printf(m, "spec.vcpu%d.ibpb %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.ibpb));
		seq_printf(m, "spec.vcpu%d.guest_ibpb %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.guest_ibpb));
		seq_printf(m, "spec.vcpu%d.verw %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.verw));
		seq_printf(m, "spec.vcpu%d.l1d_flush %llu\n", v->vcpu_id,
			   READ_ONCE(v->stat.l1d_flush));
	}
	seq_printf(m, "spec.host.spec_ctrl %d\n", kvm_spec_host_spec_ctrl());
	seq_printf(m, "spec.host.ibpb %d\n", kvm_spec_host_ibpb());
	seq_printf(m, "spec.host.rsb_fill %d\n", kvm_spec_host_rsb_fill());
	seq_printf(m, "spec.host.verw %d\n", kvm_spec_host_verw());
	seq_printf(m, "spec.host.l1d_flush %d\n", kvm_spec_l1d_flushes(kvm));
	seq_printf(m, "spec.host.l1d_mode %d\n", kvm_spec_vmx ? kvm_spec_l1d : 0);
}
