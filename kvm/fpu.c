// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's XMM and MMX registers, for the emulator's SSE and MMX moves
 * (emulate.h).
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
#include <asm/cpufeature.h>
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

/*
 * The saved image's XMM registers.  With XSAVE, SSE state the image marks
 * as in its initial configuration (XSTATE_BV bit 1 clear) is not in the
 * legacy area: the registers are 0.  @write: make them so there and mark
 * the state present, for a register about to be written.
 */
static u8 *kvm_xmm_image(struct kvm_vcpu *vcpu, unsigned int reg, bool write)
{
	union fpregs_state *regs = &vcpu->guest_fpu.fpstate->regs;
	static const u8 zero[16];

	if (cpu_feature_enabled(X86_FEATURE_XSAVE) &&
	    !(regs->xsave.header.xfeatures & XFEATURE_MASK_SSE)) {
		if (!write)
			return (u8 *)zero;
		memset(regs->fxsave.xmm_space, 0, sizeof(regs->fxsave.xmm_space));
		regs->xsave.header.xfeatures |= XFEATURE_MASK_SSE;
	}
	return (u8 *)regs->fxsave.xmm_space + 16 * reg;
}

void kvm_get_xmm(struct kvm_vcpu *vcpu, unsigned int reg, u8 val[16])
{
	reg &= 15;
	if (!kvm_fpu_get(vcpu)) {
		memcpy(val, kvm_xmm_image(vcpu, reg, false), 16);
		return;
	}
	kvm_xmm_save(reg, (u8 (*)[16])val);
	fpregs_unlock();
}

void kvm_set_xmm(struct kvm_vcpu *vcpu, unsigned int reg, const u8 val[16])
{
	reg &= 15;
	if (!kvm_fpu_get(vcpu)) {
		memcpy(kvm_xmm_image(vcpu, reg, true), val, 16);
		return;
	}
	kvm_xmm_load(reg, (const u8 (*)[16])val);
	fpregs_unlock();
}

/*
 * MMX (SDM vol. 1, 9.5 "Compatibility with x87 FPU Architecture"): MMi
 * is the low 8 bytes of x87 register i, 16 bytes a register in the
 * FXSAVE image (st_space); every MMX instruction but EMMS sets the x87
 * status word's TOP (bits 13:11) to 0 and every tag to valid (the
 * abridged tag byte of FXSAVE: 1 bit a register, 1 = valid), and writing
 * MMi sets its bits 79:64 to all ones.  A pending unmasked x87 exception
 * (the status word's ES, bit 7) is #MF before an MMX instruction runs.
 * The kernel's headers define none of these bits for modules.
 */
#define KVM_FSW_ES	0x0080
#define KVM_FSW_TOP	0x3800

/*
 * With the guest's registers in the CPU (kvm_fpu_get()), the x87/SSE part
 * goes through an FXSAVE image and back: no instruction that could raise
 * the guest's pending #MF in the host, nor change its state, runs on it.
 */
static void kvm_fxsave(struct fxregs_state *fx)
{
	asm volatile("fxsaveq %0" : "=m"(*fx));
}

static void kvm_fxrstor(const struct fxregs_state *fx)
{
	asm volatile("fxrstorq %0" : : "m"(*fx));
}

/*
 * The saved image's legacy area.  With XSAVE, an x87 state the image
 * marks as in its initial configuration (XSTATE_BV bit 0 clear) is not
 * in that area: give it its initial values there and mark it present.
 */
static struct fxregs_state *kvm_x87_image(struct kvm_vcpu *vcpu)
{
	union fpregs_state *regs = &vcpu->guest_fpu.fpstate->regs;
	struct fxregs_state *fx = &regs->fxsave;

	if (cpu_feature_enabled(X86_FEATURE_XSAVE) &&
	    !(regs->xsave.header.xfeatures & XFEATURE_MASK_FP)) {
		fx->cwd = 0x37f;	/* FNINIT's control word */
		fx->swd = 0;
		fx->twd = 0;
		fx->fop = 0;
		fx->rip = 0;
		fx->rdp = 0;
		memset(fx->st_space, 0, sizeof(fx->st_space));
		regs->xsave.header.xfeatures |= XFEATURE_MASK_FP;
	}
	return fx;
}

/*
 * MMX register @reg into *@val; true if an unmasked x87 exception is
 * pending (the instruction must raise #MF instead).
 */
bool kvm_get_mmx(struct kvm_vcpu *vcpu, unsigned int reg, u64 *val)
{
	struct fxregs_state fx;
	const struct fxregs_state *f = &fx;

	reg &= 7;
	if (kvm_fpu_get(vcpu)) {
		kvm_fxsave(&fx);
		fpregs_unlock();
	} else {
		f = kvm_x87_image(vcpu);
	}
	memcpy(val, (const u8 *)f->st_space + 16 * reg, 8);
	return f->swd & KVM_FSW_ES;
}

/*
 * What an MMX instruction does to the x87 unit when it completes: TOP 0,
 * every tag valid; and, if @write, MMX register @reg = @val (bits 79:64
 * all ones).
 */
void kvm_set_mmx(struct kvm_vcpu *vcpu, unsigned int reg, u64 val, bool write)
{
	struct fxregs_state fx;
	struct fxregs_state *f = &fx;
	bool live = kvm_fpu_get(vcpu);
	u8 *st;

	reg &= 7;
	if (live)
		kvm_fxsave(&fx);
	else
		f = kvm_x87_image(vcpu);
	f->swd &= ~KVM_FSW_TOP;
	f->twd = (f->twd & 0xff00) | 0xff;
	if (write) {
		st = (u8 *)f->st_space + 16 * reg;
		memcpy(st, &val, 8);
		st[8] = 0xff;
		st[9] = 0xff;
	}
	if (live) {
		kvm_fxrstor(&fx);
		fpregs_unlock();
	}
}
