// SPDX-License-Identifier: GPL-2.0
/*
 * Turning the CPUs' virtualization extensions on and off.
 *
 * Virtualization is enabled on every online CPU for as long as the module
 * is loaded: at load through a dynamic CPU hotplug state (which also covers
 * CPUs that come online later), and disabled again when a CPU goes offline,
 * at unload, before reboot/kexec and across suspend.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/topology.h>
#include <linux/syscore_ops.h>

#include "kvm_host.h"

static const struct kvm_vendor_ops *kvm_virt_ops;
static enum cpuhp_state kvm_virt_cpuhp_state;

/* Each CPU's page for the backend: SVM host save area, VMXON region. */
static DEFINE_PER_CPU(struct page *, kvm_virt_area);

/*
 * Whether this module turned virtualization on for the CPU.  Makes disable
 * idempotent: offline, unload, reboot and suspend may each try.  Only
 * touched on the owning CPU with interrupts off.
 */
static DEFINE_PER_CPU(bool, kvm_virt_enabled);

/* Called on the target CPU with interrupts disabled. */
static int kvm_virt_enable_this_cpu(void)
{
	int r;

	if (__this_cpu_read(kvm_virt_enabled))
		return 0;

	r = kvm_virt_ops->enable_cpu(page_to_phys(this_cpu_read(kvm_virt_area)));
	if (r == -EBUSY)
		pr_err("CPU %d: virtualization is already enabled by another module (is kvm_amd/kvm_intel loaded?)\n",
		       smp_processor_id());
	if (r)
		return r;

	__this_cpu_write(kvm_virt_enabled, true);
	return 0;
}

/* Called on the target CPU with interrupts disabled. */
static void kvm_virt_disable_this_cpu(void)
{
	if (!__this_cpu_read(kvm_virt_enabled))
		return;

	kvm_virt_ops->disable_cpu();
	__this_cpu_write(kvm_virt_enabled, false);
}

/*
 * CPUHP_AP_ONLINE_DYN callbacks run in the target CPU's hotplug thread,
 * with interrupts on.  Turn them off so that a reboot IPI (below) cannot
 * run in the middle of an enable or disable on the same CPU.
 */
static int kvm_virt_cpu_online(unsigned int cpu)
{
	int r;

	local_irq_disable();
	r = kvm_virt_enable_this_cpu();
	local_irq_enable();
	return r;
}

static int kvm_virt_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	kvm_virt_disable_this_cpu();
	local_irq_enable();
	return 0;
}

static void kvm_virt_disable_ipi(void *unused)
{
	kvm_virt_disable_this_cpu();
}

/*
 * Reboot, poweroff and kexec: leave no CPU in VMX operation (VMX blocks
 * INIT, which firmware and the next kernel use to restart the APs) and
 * leave EFER.SVME clear.  CPU hotplug is already disabled at this point.
 */
static void kvm_virt_shutdown(void)
{
	pr_info("disabling hardware virtualization for shutdown\n");
	on_each_cpu(kvm_virt_disable_ipi, NULL, 1);
}

/*
 * Suspend takes the other CPUs offline through the hotplug callbacks and
 * then calls these on the one remaining CPU, with interrupts off.  VMX and
 * SVM state does not survive a sleep state, so turn it off and back on.
 */
static int kvm_virt_suspend(void)
{
	kvm_virt_disable_this_cpu();
	return 0;
}

static void kvm_virt_resume(void)
{
	/* A failure has been logged; this CPU just runs without it. */
	kvm_virt_enable_this_cpu();
}

static struct syscore_ops kvm_virt_syscore_ops = {
	.suspend = kvm_virt_suspend,
	.resume = kvm_virt_resume,
	.shutdown = kvm_virt_shutdown,
};

static void kvm_virt_free_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page **area = per_cpu_ptr(&kvm_virt_area, cpu);

		if (*area)
			__free_page(*area);
		*area = NULL;
	}
}

/* For every possible CPU, so that a CPU coming online needs no allocation. */
static int kvm_virt_alloc_areas(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			kvm_virt_free_areas();
			return -ENOMEM;
		}
		if (kvm_virt_ops->prepare_area)
			kvm_virt_ops->prepare_area(page_address(page));
		per_cpu(kvm_virt_area, cpu) = page;
	}
	return 0;
}

int kvm_virt_init(const struct kvm_vendor_ops *ops)
{
	int r;

	kvm_virt_ops = ops;
	r = kvm_virt_alloc_areas();
	if (r)
		return r;

	/*
	 * Runs kvm_virt_cpu_online() on every online CPU.  If one fails, the
	 * CPUs already enabled are rolled back through kvm_virt_cpu_offline()
	 * and the callback's error (e.g. -EBUSY) is returned.
	 */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvm/hw:online",
			      kvm_virt_cpu_online, kvm_virt_cpu_offline);
	if (r < 0) {
		pr_err("cannot enable %s on all online CPUs (error %d)\n",
		       ops->name, r);
		goto err_free_areas;
	}
	kvm_virt_cpuhp_state = r;

	register_syscore_ops(&kvm_virt_syscore_ops);
	return 0;

err_free_areas:
	kvm_virt_free_areas();
	return r;
}

void kvm_virt_exit(void)
{
	unregister_syscore_ops(&kvm_virt_syscore_ops);
	/* Runs kvm_virt_cpu_offline() on every online CPU. */
	cpuhp_remove_state(kvm_virt_cpuhp_state);
	kvm_virt_free_areas();
}
