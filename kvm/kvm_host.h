/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces shared by the generic core (main.c, virt.c) and the
 * vendor backends (svm/, vmx/).
 */
#ifndef KVM_RESEARCH_KVM_HOST_H
#define KVM_RESEARCH_KVM_HOST_H

#include <linux/types.h>

/*
 * What a hardware virtualization backend provides.  Exactly one backend is
 * chosen at load time and used until unload.
 *
 * Each CPU gets one zeroed page for the backend while virtualization is on
 * (virt.c allocates it for every possible CPU up front, so that enabling
 * and disabling a CPU never allocates): the host save area of SVM, the
 * VMXON region of VMX.
 *
 * hardware_setup() runs once, in process context, before any CPU is
 * enabled; it checks what the backend needs and reports what the CPU has.
 * prepare_area(), if set, fills in a CPU's page once, after allocation.
 *
 * enable_cpu() and disable_cpu() act on the calling CPU and are always
 * called with interrupts disabled.  enable_cpu() gets the physical address
 * of that CPU's page; it returns -EBUSY if another hypervisor already owns
 * the CPU's virtualization extensions, and the caller reports that.
 * disable_cpu() is only called on CPUs that enable_cpu() succeeded on.
 *
 * vCPU operations (create, run, ...) will be added here with vCPU support.
 */
struct kvm_vendor_ops {
	const char *name;
	int (*hardware_setup)(void);
	void (*prepare_area)(void *area);
	int (*enable_cpu)(phys_addr_t area);
	void (*disable_cpu)(void);
};

/*
 * Backend probes: return the backend's ops, ERR_PTR(-ENODEV) if the CPU
 * lacks that vendor's extension, or another ERR_PTR (after logging why)
 * if the extension exists but cannot be used.
 */
const struct kvm_vendor_ops *svm_probe(void);
const struct kvm_vendor_ops *vmx_probe(void);

/* virt.c: enable virtualization on all online CPUs, now and on hotplug. */
int kvm_virt_init(const struct kvm_vendor_ops *ops);
void kvm_virt_exit(void);

#endif /* KVM_RESEARCH_KVM_HOST_H */
