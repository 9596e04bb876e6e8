// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's XMM registers, for the emulator's SSE moves (emulate.h).
 *
 * Inside KVM_RUN the vCPU thread's FPU state is the guest's
 * (fpu_swap_kvm_fpstate() in kvm_arch_vcpu_run()): the guest's XMM
 * registers are either in the CPU's registers or, after the thread was
 * scheduled out, saved in the guest's fpstate with TIF_NEED_FPU_LOAD set.
 * With the FPU registers locked against preemption and softirqs, they are
 * loaded back if needed, then read or written in place, so the guest finds
 * them when it next runs.  Outside KVM_RUN (the thread's FPU state is not
 * the guest's) the guest's saved image is used instead.
 *
 * The image's legacy area has the FXSAVE layout: XMM0-15 are 16 bytes
 * each in fxregs_state.xmm_space.
 */
#include <linux/sched.h>
#include <linux/string.h>
#include <asm/fpu/api.h>

#include "kvm_host.h"

/* One case per register: the instructions name their XMM register. */
#define XMM_SAVE(n)							\
	case n:								\
		asm volatile("movdqu %%xmm" #n ", %0" : "=m"(*v));	\
		break
#define XMM_LOAD(n)							\
	case n:								\
		asm volatile("movdqu %0, %%xmm" #n : : "m"(*v));	\
		break

static void kvm_xmm_save(unsigned int reg, u8 (*v)[16])
{
	switch (reg) {
	XMM_SAVE(0);
	XMM_SAVE(1);
	XMM_SAVE(2);
	XMM_SAVE(3);
	XMM_SAVE(4);
	XMM_SAVE(5);
	XMM_SAVE(6);
	XMM_SAVE(7);
	XMM_SAVE(8);
	XMM_SAVE(9);
	XMM_SAVE(10);
	XMM_SAVE(11);
	XMM_SAVE(12);
	XMM_SAVE(13);
	XMM_SAVE(14);
	XMM_SAVE(15);
	}
}

static void kvm_xmm_load(unsigned int reg, const u8 (*v)[16])
{
	switch (reg) {
	XMM_LOAD(0);
	XMM_LOAD(1);
	XMM_LOAD(2);
	XMM_LOAD(3);
	XMM_LOAD(4);
	XMM_LOAD(5);
	XMM_LOAD(6);
	XMM_LOAD(7);
	XMM_LOAD(8);
	XMM_LOAD(9);
	XMM_LOAD(10);
	XMM_LOAD(11);
	XMM_LOAD(12);
	XMM_LOAD(13);
	XMM_LOAD(14);
	XMM_LOAD(15);
	}
}

/*
 * The guest's registers are the thread's (inside KVM_RUN): lock them and
 * have them in the CPU.  Returns false, nothing locked, otherwise.
 */
static bool kvm_fpu_get(struct kvm_vcpu *vcpu)
{
	if (current->thread.fpu.fpstate != vcpu->guest_fpu.fpstate)
		return false;
	fpregs_lock();
	kvm_load_guest_fpu_regs();
	return true;
}

static u8 *kvm_xmm_image(struct kvm_vcpu *vcpu, unsigned int reg)
{
	return (u8 *)vcpu->guest_fpu.fpstate->regs.fxsave.xmm_space + 16 * reg;
}

void kvm_get_xmm(struct kvm_vcpu *vcpu, unsigned int reg, u8 val[16])
{
	reg &= 15;
	if (!kvm_fpu_get(vcpu)) {
		memcpy(val, kvm_xmm_image(vcpu, reg), 16);
		return;
	}
	kvm_xmm_save(reg, (u8 (*)[16])val);
	fpregs_unlock();
}

void kvm_set_xmm(struct kvm_vcpu *vcpu, unsigned int reg, const u8 val[16])
{
	reg &= 15;
	if (!kvm_fpu_get(vcpu)) {
		memcpy(kvm_xmm_image(vcpu, reg), val, 16);
		return;
	}
	kvm_xmm_load(reg, (const u8 (*)[16])val);
	fpregs_unlock();
}
