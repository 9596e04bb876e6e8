// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: VMX operation on each CPU, the VMCS of each vCPU,
 * events, and entering the guest.  The guest state accessors are in
 * state.c, the exit handlers in exits.c, the real-mode (virtual-8086)
 * support in realmode.c.
 *
 * A CPU enters VMX operation with CR4.VMXE set and VMXON pointing at a
 * 4 KiB-aligned "VMXON region" that starts with the VMCS revision
 * identifier (Intel SDM vol. 3C, "Enabling and Entering VMX Operation").
 * Outside of VMX operation VMXON is also refused unless IA32_FEAT_CTL is
 * locked with VMX enabled outside SMX, and CR0/CR4 honour the
 * IA32_VMX_CR{0,4}_FIXED{0,1} MSRs.
 *
 * The guest always runs with hardware paging on, through the MMU
 * strategy's shadow page tables, as on SVM: a guest outside long mode in
 * PAE mode, a long-mode guest in long mode.  Without unrestricted guest
 * (which needs EPT), the hardware CR0 always has PE and PG set: a guest in
 * real mode runs in virtual-8086 mode (realmode.c).  Every guest write to
 * CR0, CR3, CR4 and CR8 exits (guest/host masks of all ones, CR3 and CR8
 * exiting); reads of CR0 and CR4 come from the read shadows, which hold
 * exactly what the guest wrote (struct kvm_vcpu).
 *
 * The VMCS is the only copy of the guest's segment state, interrupt
 * shadow and NMI blocking.  Accessors make it current on the calling CPU
 * first (vmx_vmcs_get()), VMCLEARing it on the CPU it was active on, so
 * that they work from any context that may sleep, like the SVM backend's
 * accessors of its VMCB in memory.
 *
 * A VM with mmu=tdp runs on EPT instead, with unrestricted guest (the
 * hardware then runs real mode and protected mode without paging as the
 * guest has them, and realmode.c is not used) or without it (a guest
 * without paging then runs on an identity map, in vm86 in real mode, with
 * CR3 accesses exiting, see ept.c): the EPT pointer is the VM's
 * nested table (tdp.c, EPT format), the guest's own CR3 is in GUEST_CR3
 * and read back after every exit, CR3 loads and stores, INVLPG and #PF do
 * not exit, EFER is the guest's.  CR0 and CR4 writes still exit (masks of
 * all ones, read shadows as above).  A PAE guest outside long mode runs on
 * the PDPTEs in GUEST_PDPTR0-3: the CPU loads them at the guest's own MOV
 * CR3 (and saves them at the exit); when we set CR3, CR0 or CR4 ourselves,
 * the entry path loads them from guest memory (vmx_tdp_load_pdptrs(), in
 * ept.c with the rest of what an entry of a tdp vCPU owes and the
 * capability checks).  EPT violations go to the strategy's page_fault();
 * an EPT misconfiguration, which only a bug of ours could cause, stops the
 * vCPU with KVM_EXIT_INTERNAL_ERROR.  Each vCPU of such a VM has a VPID,
 * so VM entries and exits keep its TLB; flush_tlb() asks for an INVEPT of
 * the VM's EPT pointer (single-context where offered, which drops the
 * guest-physical and combined mappings of every VPID), done before the
 * next entry, and before the first entry on a CPU the vCPU did not enter
 * on last (another CPU may hold translations from before a flush it did
 * not see).  The CPU must offer EPT with a 4-level walk, write-back EPT
 * structures and INVEPT, or KVM_CREATE_VM refuses mmu=tdp.
 *
 * TLB of a shadow-paging VM: VPID is not enabled.  Without VPID every VM
 * entry and VM exit invalidates the linear mappings of the processor
 * (SDM vol. 3C, "VPID and TLB"), so a guest never sees a stale translation across an exit,
 * and flush_tlb() has nothing to do: whatever asked for the flush runs
 * before the next entry, which flushes.  This costs a refill of the TLB
 * after every exit, as on VMX before VPID; the MMU measurements compare
 * strategies on the same backend, so the cost is the same for each.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/bits.h>
#include <linux/context_tracking.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "vmx.h"
#include "mmu/mmu.h"
#include "kvm_trace.h"
#include "spec.h"

/* What IA32_FEAT_CTL must contain for VMXON outside SMX not to #GP. */
#define VMX_FEAT_CTL_REQUIRED \
	(FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)

struct vmx_config vmx_cfg;
/* VPIDs of tdp vCPUs, 1..VMX_NR_VPIDS - 1 (0 is the host's). */
static DEFINE_IDA(vmx_vpid_ida);
/* exits.c reads it: whether VMX_INSTRUCTION_INFO describes INS/OUTS. */
bool vmx_has_inout_info;

/* The VMCS revision identifier, which starts the VMXON region and VMCSs. */
static u32 vmx_revision;

/*
 * The VMX-preemption timer: its start value at every VM entry, ticks of
 * the TSC divided by 2^IA32_VMX_MISC[4:0], for VMX_GUEST_SLICE_MS.
 * Bochs (the vmx lab) masks external interrupts for as long as a guest
 * entered with RFLAGS.IF clear keeps it clear, even with
 * external-interrupt exiting on (it recomputes the mask before it sets
 * its in-guest flag): a guest spinning with interrupts off would keep
 * the host's CPU, timer ticks and all, forever.  The timer bounds every
 * stay; on hardware, which has no such bug, it costs one exit per slice
 * of a guest that makes no other.  Without the timer (Penryn) PAUSE
 * exits, which ends a spin loop's stay at least.
 */
#define VMX_GUEST_SLICE_MS	10
static u32 vmx_preempt_ticks;
u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;

/* I/O bitmaps A (ports 0-0x7fff) and B, every bit set: every port exits. */
static struct page *vmx_io_bitmaps;
/*
 * The MSR bitmap (read and write, low and high ranges), every bit set:
 * every RDMSR and WRMSR exits, as SVM's MSR permission map has it, so the
 * two backends' exit counts compare.
 */
static struct page *vmx_msr_bitmap;

/*
 * Per CPU: the VMCSs active on it (VMPTRLD without VMCLEAR since), which
 * must be VMCLEARed before VMXOFF; the current one; and the host state
 * that differs between CPUs, written into a VMCS when it moves here.
 */
struct vmx_cpu {
	bool on;			/* in VMX operation */
	struct list_head loaded;
	void *current_vmcs;
	u64 star, lstar, cstar, sfmask;
	u64 efer;
};
static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);

/* ---- VMREAD/VMWRITE failures ---------------------------------------- */

unsigned long vmx_vmread_error(unsigned long field, bool fault)
{
	pr_err_once("VMREAD of field %#lx %s\n", field,
		    fault ? "faulted (not in VMX operation)" : "failed");
	return 0;
}

void vmx_vmwrite_error(unsigned long field, unsigned long value, bool fault)
{
	pr_err_once("VMWRITE of %#lx to field %#lx %s\n", value, field,
		    fault ? "faulted (not in VMX operation)" : "failed");
}

/* ---- setup: controls from the capability MSRs ------------------------- */

/*
 * A control MSR: bits 31:0 are the controls that must be 1 ("allowed-0
 * settings" clear), bits 63:32 those that may be 1.  @required must be
 * allowed, @optional is used where allowed; the CPU's must-be-1 bits are
 * set whatever we asked.
 */
static int vmx_adjust_ctl(const char *name, u32 msr, u32 required,
			  u32 optional, u32 *result)
{
	u64 caps;
	u32 must, may;

	if (rdmsrl_safe(msr, &caps)) {
		pr_err("Intel VMX: cannot read the %s capability MSR %#x\n",
		       name, msr);
		return -EIO;
	}
	must = lower_32_bits(caps);
	may = upper_32_bits(caps);
	if (required & ~may) {
		pr_err("Intel VMX: %s controls %#x are required but not allowed by the CPU (allowed %#x)\n",
		       name, required & ~may, may);
		return -EOPNOTSUPP;
	}
	*result = ((required | optional) & may) | must;
	return 0;
}

/*
 * IA32_VMX_BASIC: bits 30:0 revision identifier, bits 44:32 size of the
 * VMXON/VMCS regions, bit 48 set if those regions must lie below 4 GiB,
 * bits 53:50 memory type the CPU uses to access them, bit 55 whether the
 * TRUE_* control MSRs exist.
 */
static int vmx_check_basic(u64 *basic)
{
	u32 size, memtype;

	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, basic)) {
		pr_err("Intel VMX: cannot read MSR_IA32_VMX_BASIC\n");
		return -EIO;
	}
	size = (*basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & GENMASK(12, 0);
	if (size > PAGE_SIZE) {
		pr_err("Intel VMX: VMCS region of %u bytes does not fit a page\n",
		       size);
		return -EOPNOTSUPP;
	}
	/* Never set on CPUs that support 64-bit mode. */
	if (*basic & VMX_BASIC_64) {
		pr_err("Intel VMX: VMX regions limited to 32-bit physical addresses\n");
		return -EOPNOTSUPP;
	}
	memtype = (*basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT;
	if (memtype != VMX_BASIC_MEM_TYPE_WB) {
		pr_err("Intel VMX: VMX regions use memory type %u, not write-back\n",
		       memtype);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The controls, by what they are for:
 *
 * pin-based: external interrupts and NMIs exit (the host takes them);
 *   virtual NMIs, so that the CPU tracks the guest's NMI blocking and
 *   NMI-window exiting exists; the VMX-preemption timer where the CPU has
 *   it, which ends each stay in the guest after VMX_GUEST_SLICE_MS (see
 *   vmx_preempt_ticks), else PAUSE exiting.
 * primary: HLT, INVLPG, MWAIT, MONITOR, RDPMC exit; CR3 loads and stores
 *   exit (shadow paging); CR8 loads and stores exit (userspace owns the
 *   TPR, no TPR shadow); MOV DR exits (DR0-DR7 live in struct kvm_vcpu);
 *   I/O through the bitmaps (all ones: every port exits); the TSC offset;
 *   MSRs through the bitmap (all ones: every RDMSR and WRMSR exits, an
 *   MSR outside its ranges does anyway).  The interrupt- and
 *   NMI-window controls are switched per entry and must be allowed.
 * secondary: only "enable RDTSCP", where allowed, activated per entry for
 *   a guest with RDTSCP or RDPID in its CPUID (both #UD without it);
 *   nothing else there is needed for shadow paging.
 * exit: 64-bit host; DR7 and DEBUGCTL saved; EFER loaded if possible; the
 *   interrupt is not acknowledged on exit (the host takes it once its IF
 *   is set again, as on SVM).
 * entry: DR7 and DEBUGCTL loaded; IA-32e mode switched per guest; EFER
 *   loaded if possible, else through the MSR-load areas.
 */
static int vmx_setup_controls(u64 basic)
{
	bool true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	u32 windows = CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING;
	u32 proc_required = CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING |
			    CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
			    CPU_BASED_RDPMC_EXITING | CPU_BASED_CR3_LOAD_EXITING |
			    CPU_BASED_CR3_STORE_EXITING |
			    CPU_BASED_CR8_LOAD_EXITING |
			    CPU_BASED_CR8_STORE_EXITING |
			    CPU_BASED_MOV_DR_EXITING | CPU_BASED_USE_IO_BITMAPS |
			    CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_USE_TSC_OFFSETTING;
	u32 proc_unwanted = CPU_BASED_TPR_SHADOW |
			    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
			    CPU_BASED_RDTSC_EXITING;
	u32 probe;
	u64 caps;
	int r;

	r = vmx_adjust_ctl("pin-based", true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			   MSR_IA32_VMX_PINBASED_CTLS,
			   PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			   PIN_BASED_VIRTUAL_NMIS, PIN_BASED_VMX_PREEMPTION_TIMER,
			   &vmx_cfg.pin);
	if (r)
		return r;
	r = vmx_adjust_ctl("primary processor-based",
			   true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			   MSR_IA32_VMX_PROCBASED_CTLS, proc_required,
			   vmx_cfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER ?
			   0 : CPU_BASED_PAUSE_EXITING, &vmx_cfg.proc);
	if (r)
		return r;
	/* The window controls are set per entry: only check them here. */
	r = vmx_adjust_ctl("window-exiting", true_ctls ?
			   MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			   MSR_IA32_VMX_PROCBASED_CTLS, windows, 0, &probe);
	if (r)
		return r;
	if (vmx_cfg.proc & (proc_unwanted | windows)) {
		pr_err("Intel VMX: the CPU forces processor-based controls %#x on\n",
		       vmx_cfg.proc & (proc_unwanted | windows));
		return -EOPNOTSUPP;
	}
	vmx_cfg.proc2 = 0;
	vmx_cfg.proc2_tdp = 0;
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, caps);
	if ((upper_32_bits(caps) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	    kvm_host_has_tsc_aux() &&
	    vmx_adjust_ctl("secondary processor-based",
			   MSR_IA32_VMX_PROCBASED_CTLS2, 0,
			   SECONDARY_EXEC_ENABLE_RDTSCP, &vmx_cfg.proc2))
		vmx_cfg.proc2 = 0;
	/* What mmu=tdp would use (vmx_setup_ept() decides). */
	if ((upper_32_bits(caps) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	    vmx_adjust_ctl("secondary processor-based (EPT)",
			   MSR_IA32_VMX_PROCBASED_CTLS2, 0,
			   SECONDARY_EXEC_ENABLE_EPT |
			   SECONDARY_EXEC_UNRESTRICTED_GUEST |
			   SECONDARY_EXEC_ENABLE_VPID, &vmx_cfg.proc2_tdp))
		vmx_cfg.proc2_tdp = 0;
	/* The primary controls a tdp vCPU drops where the CPU lets it. */
	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
	       MSR_IA32_VMX_PROCBASED_CTLS, caps);
	vmx_cfg.proc_tdp = vmx_cfg.proc &
			   ~((CPU_BASED_CR3_LOAD_EXITING |
			      CPU_BASED_CR3_STORE_EXITING |
			      CPU_BASED_INVLPG_EXITING) & ~lower_32_bits(caps));
	/* RDTSCP and RDPID run with the guest's TSC_AUX (vmx_vcpu_run()). */
	kvm_cap_rdtscp = vmx_cfg.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	r = vmx_adjust_ctl("VM-exit", true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			   MSR_IA32_VMX_EXIT_CTLS,
			   VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_DEBUG_CONTROLS,
			   VM_EXIT_LOAD_IA32_EFER, &vmx_cfg.exit);
	if (r)
		return r;
	r = vmx_adjust_ctl("VM-entry", true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			   MSR_IA32_VMX_ENTRY_CTLS,
			   VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_IA32E_MODE,
			   VM_ENTRY_LOAD_IA32_EFER, &vmx_cfg.entry);
	if (r)
		return r;
	if (vmx_cfg.exit & VM_EXIT_ACK_INTR_ON_EXIT) {
		pr_err("Intel VMX: the CPU forces acknowledge-interrupt-on-exit\n");
		return -EOPNOTSUPP;
	}
	/* Set per guest (vmx_update_cr()). */
	vmx_cfg.entry &= ~VM_ENTRY_IA32E_MODE;
	vmx_cfg.load_efer = (vmx_cfg.exit & VM_EXIT_LOAD_IA32_EFER) &&
			    (vmx_cfg.entry & VM_ENTRY_LOAD_IA32_EFER);
	if (!vmx_cfg.load_efer) {
		vmx_cfg.exit &= ~VM_EXIT_LOAD_IA32_EFER;
		vmx_cfg.entry &= ~VM_ENTRY_LOAD_IA32_EFER;
	}
	return 0;
}

/* Logs which of the features later stages care about the CPU offers. */
static void vmx_report_features(void)
{
	u32 secondary = 0;
	u64 msr;

	/* The high half of a control MSR has the controls allowed to be 1. */
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, msr);
	if (upper_32_bits(msr) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, msr);
		secondary = upper_32_bits(msr);
	}

	pr_info("Intel VMX, EPT %s, unrestricted guest %s, VPID %s; shadow paging%s, EFER switched by %s\n",
		secondary & SECONDARY_EXEC_ENABLE_EPT ? "yes" : "no",
		secondary & SECONDARY_EXEC_UNRESTRICTED_GUEST ? "yes" : "no",
		secondary & SECONDARY_EXEC_ENABLE_VPID ? "yes" : "no",
		kvm_tdp_supported ? vmx_cfg.ept_ad ?
		", mmu=tdp on EPT with A/D bits" : ", mmu=tdp on EPT" : "",
		vmx_cfg.load_efer ? "VM-entry/exit controls" : "MSR-load areas");
}

static int vmx_hardware_setup(void)
{
	u64 basic;
	int r;

	r = vmx_check_basic(&basic);
	if (r)
		return r;
	vmx_revision = basic & GENMASK(30, 0);
	vmx_has_inout_info = basic & VMX_BASIC_INOUT;
	r = vmx_setup_controls(basic);
	if (r)
		return r;
	if (rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED0, &vmx_cr0_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED1, &vmx_cr0_fixed1) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED0, &vmx_cr4_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED1, &vmx_cr4_fixed1)) {
		pr_err("Intel VMX: cannot read the CR0/CR4 fixed-bit MSRs\n");
		return -EIO;
	}
	if (vmx_cfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc, ticks;

		if (rdmsrl_safe(MSR_IA32_VMX_MISC, &misc)) {
			pr_err("Intel VMX: cannot read IA32_VMX_MISC\n");
			return -EIO;
		}
		ticks = ((u64)tsc_khz * VMX_GUEST_SLICE_MS) >>
			(misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK);
		vmx_preempt_ticks = clamp_t(u64, ticks, 1, U32_MAX);
	}
	vmx_io_bitmaps = alloc_pages(GFP_KERNEL, 1);
	if (!vmx_io_bitmaps)
		return -ENOMEM;
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		goto free_io_bitmaps;
	memset(page_address(vmx_io_bitmaps), 0xff, 2 * PAGE_SIZE);
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	vmx_setup_ept();
	vmx_report_features();
	kvm_spec_init(true);
	return 0;

free_io_bitmaps:
	__free_pages(vmx_io_bitmaps, 1);
	return -ENOMEM;
}

static void vmx_hardware_unsetup(void)
{
	kvm_tdp_supported = false;
	kvm_tdp_ept = false;
	ida_destroy(&vmx_vpid_ida);
	__free_page(vmx_msr_bitmap);
	__free_pages(vmx_io_bitmaps, 1);
}

static void vmx_prepare_area(void *vmxon_region)
{
	*(u32 *)vmxon_region = vmx_revision;
}

/* ---- VMX operation on a CPU -------------------------------------------- */

/*
 * A value is valid for CR0 (CR4) in VMX operation if it has every bit set
 * that is set in FIXED0 and no bit set that is clear in FIXED1.
 */
static bool vmx_cr_allowed(int cpu, const char *name, unsigned long val,
			   u32 fixed0_msr, u32 fixed1_msr)
{
	u64 fixed0, fixed1;

	if (rdmsrl_safe(fixed0_msr, &fixed0) ||
	    rdmsrl_safe(fixed1_msr, &fixed1)) {
		pr_err("CPU %d: cannot read the VMX %s fixed-bit MSRs\n",
		       cpu, name);
		return false;
	}
	if ((val & fixed0) != fixed0 || (val & ~fixed1)) {
		pr_err("CPU %d: %s=%#lx is not allowed in VMX operation (fixed-1 bits %#llx, allowed bits %#llx)\n",
		       cpu, name, val, fixed0, fixed1);
		return false;
	}
	return true;
}

/*
 * VMXON sets CF on VMfailInvalid (bad VMXON region) and ZF on VMfailValid
 * (already in VMX operation); it raises #UD if CR4.VMXE is clear and #GP
 * if IA32_FEAT_CTL or CR0/CR4 forbid it.  The exception-table entry turns
 * a fault into a jump to the "fault" label instead of an oops.
 */
static int vmx_vmxon(int cpu, u64 vmxon_pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jc %l[fail_invalid]\n\t"
		 "jz %l[fail_valid]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (vmxon_pa)
		 : "cc", "memory"
		 : fail_invalid, fail_valid, fault);
	return 0;

fail_invalid:
	pr_err("CPU %d: VMXON failed: VMfailInvalid (VMXON region %#llx rejected)\n",
	       cpu, vmxon_pa);
	return -EIO;
fail_valid:
	pr_err("CPU %d: VMXON failed: VMfailValid (already in VMX operation)\n",
	       cpu);
	return -EIO;
fault:
	pr_err("CPU %d: VMXON faulted\n", cpu);
	return -EIO;
}

/* VMXOFF raises #UD if the CPU is not in VMX operation. */
static int vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
	return 0;

fault:
	return -EIO;
}

/* VMCLEAR and VMPTRLD: 0, or -EIO on VMfail or a fault. */
/* VMCLEAR or VMPTRLD of the VMCS at @pa: to label fail on VMfail or a fault. */
#define VMX_VMCS_INSN(insn, pa)						\
	asm goto("1: " insn " %[vmcs]\n\t"				\
		 "jbe %l[fail]\n\t"					\
		 _ASM_EXTABLE(1b, %l[fail])				\
		 : : [vmcs] "m" (pa) : "cc", "memory" : fail)

static int vmx_vmcs_insn(u64 pa, bool load)
{
	if (load)
		VMX_VMCS_INSN("vmptrld", pa);
	else
		VMX_VMCS_INSN("vmclear", pa);
	return 0;

fail:
	pr_err_ratelimited("CPU %d: %s of %#llx failed\n", smp_processor_id(),
			   load ? "VMPTRLD" : "VMCLEAR", pa);
	return -EIO;
}

static int vmx_vmclear(u64 pa)
{
	return vmx_vmcs_insn(pa, false);
}

static int vmx_vmptrld(u64 pa)
{
	return vmx_vmcs_insn(pa, true);
}

/* Called with interrupts disabled. */
static int vmx_enable_cpu(phys_addr_t vmxon_region)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	unsigned long cr4 = __read_cr4();
	int cpu = smp_processor_id();
	u64 feat_ctl;
	int r;

	/* Someone else (kvm_intel, VirtualBox, ...) is in VMX operation. */
	if (cr4 & X86_CR4_VMXE)
		return -EBUSY;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    (feat_ctl & VMX_FEAT_CTL_REQUIRED) != VMX_FEAT_CTL_REQUIRED) {
		pr_err("CPU %d: VMX is not enabled in IA32_FEAT_CTL\n", cpu);
		return -EOPNOTSUPP;
	}

	/* CR4_FIXED0 includes VMXE itself, so check CR4 as it will be. */
	if (!vmx_cr_allowed(cpu, "CR0", read_cr0(), MSR_IA32_VMX_CR0_FIXED0,
			    MSR_IA32_VMX_CR0_FIXED1) ||
	    !vmx_cr_allowed(cpu, "CR4", cr4 | X86_CR4_VMXE,
			    MSR_IA32_VMX_CR4_FIXED0, MSR_IA32_VMX_CR4_FIXED1))
		return -EOPNOTSUPP;

	/* cr4_set_bits() also updates the kernel's per-CPU CR4 shadow. */
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(cpu, vmxon_region);
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		return r;
	}

	/* The host MSRs the run path puts back after a long-mode guest. */
	rdmsrl(MSR_STAR, c->star);
	rdmsrl(MSR_LSTAR, c->lstar);
	rdmsrl(MSR_CSTAR, c->cstar);
	rdmsrl(MSR_SYSCALL_MASK, c->sfmask);
	rdmsrl(MSR_EFER, c->efer);
	if (!c->loaded.next)
		INIT_LIST_HEAD(&c->loaded);
	c->current_vmcs = NULL;
	c->on = true;
	return 0;
}

/*
 * Called with interrupts disabled, only after vmx_enable_cpu() succeeded:
 * on CPU offline, unload, shutdown and suspend.  Every VMCS active here
 * is VMCLEARed first, so that its state reaches memory and it can be
 * loaded on another CPU (or here again) later, starting with VMLAUNCH.
 */
static void vmx_disable_cpu(void)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	struct vcpu_vmx *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &c->loaded, loaded_link) {
		vmx_vmclear(vmx->vmcs_pa);
		list_del(&vmx->loaded_link);
		vmx->launched = false;
		/* Pairs with READ_ONCE() in vmx_vmcs_clear(). */
		smp_wmb();
		WRITE_ONCE(vmx->loaded_cpu, -1);
	}
	c->current_vmcs = NULL;
	c->on = false;
	/* Only an emergency path of the kernel could have left VMX already. */
	if (vmx_vmxoff())
		pr_warn("CPU %d: VMXOFF faulted: CPU was not in VMX operation\n",
			smp_processor_id());
	cr4_clear_bits(X86_CR4_VMXE);
}

/* ---- the VMCS on a CPU ------------------------------------------------- */

/* On the CPU the VMCS is active on, interrupts off (IPI or local call). */
static void vmx_vmcs_clear_here(void *arg)
{
	struct vcpu_vmx *vmx = arg;
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);

	/* The CPU's disable path may have cleared it already. */
	if (vmx->loaded_cpu != smp_processor_id())
		return;
	vmx_vmclear(vmx->vmcs_pa);
	if (c->current_vmcs == vmx->vmcs)
		c->current_vmcs = NULL;
	list_del(&vmx->loaded_link);
	vmx->launched = false;
	smp_wmb();
	WRITE_ONCE(vmx->loaded_cpu, -1);
}

/*
 * VMCLEAR the VMCS on the CPU it is active on.  Interrupts on (the IPI
 * waits).  If that CPU went offline meanwhile, its disable path cleared
 * the VMCS before it went.
 */
static void vmx_vmcs_clear(struct vcpu_vmx *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu < 0)
		return;
	smp_call_function_single(cpu, vmx_vmcs_clear_here, vmx, 1);
	smp_rmb();
}

/*
 * The host state that differs between CPUs: TR, GDT and IDT bases, the
 * per-CPU GS base, SYSENTER_ESP; and the constant part, written again
 * with it for simplicity.  With the VMCS current on this CPU.
 */
static void vmx_write_host_state(struct vmx_cpu *c)
{
	struct desc_ptr dt;
	u64 msr;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	/* DS, ES, FS, GS: null; the run path reloads the host's own. */
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(smp_processor_id())->tss.x86_tss);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_GS_BASE, msr);
	vmcs_write(HOST_GS_BASE, msr);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_RIP, (unsigned long)vmx_vmexit);
	if (vmx_cfg.load_efer)
		vmcs_write(HOST_IA32_EFER, c->efer);
}

/*
 * Make the VMCS current on this CPU.  Preemption off, interrupts on.
 * A VMCS active on another CPU is VMCLEARed there first (its launch
 * state then resets: the next entry is a VMLAUNCH); on a new CPU it is
 * VMCLEARed here before VMPTRLD, which also initializes a fresh VMCS.
 */
static int vmx_load_vmcs(struct vcpu_vmx *vmx)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	int cpu = smp_processor_id();
	int r = 0;

	if (READ_ONCE(vmx->loaded_cpu) == cpu) {
		if (c->current_vmcs == vmx->vmcs)
			return 0;
		local_irq_disable();
		if (vmx->loaded_cpu == cpu) {
			r = vmx_vmptrld(vmx->vmcs_pa);
			if (!r)
				c->current_vmcs = vmx->vmcs;
			local_irq_enable();
			return r;
		}
		/* The disable path cleared it under us: load it afresh. */
		local_irq_enable();
	}
	vmx_vmcs_clear(vmx);

	local_irq_disable();
	if (!c->on) {
		r = -EIO;
		goto out_irq;
	}
	r = vmx_vmclear(vmx->vmcs_pa);
	if (r)
		goto out_irq;
	r = vmx_vmptrld(vmx->vmcs_pa);
	if (r)
		goto out_irq;
	c->current_vmcs = vmx->vmcs;
	vmx->launched = false;
	list_add(&vmx->loaded_link, &c->loaded);
	WRITE_ONCE(vmx->loaded_cpu, cpu);
	vmx_write_host_state(c);
out_irq:
	local_irq_enable();
	if (r)
		pr_err_ratelimited("vCPU %d: cannot load its VMCS on CPU %d\n",
				   vmx->vcpu.vcpu_id, cpu);
	return r;
}

void vmx_vmcs_get(struct vcpu_vmx *vmx)
{
	preempt_disable();
	/* A failure was logged; VMREAD/VMWRITE then fail harmlessly. */
	vmx_load_vmcs(vmx);
}

void vmx_vmcs_put(struct vcpu_vmx *vmx)
{
	preempt_enable();
}

/* ---- vCPUs ----------------------------------------------------------- */

static struct kvm_vcpu *vmx_vcpu_create(void)
{
	struct vcpu_vmx *vmx;
	struct page *page;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return NULL;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		goto err_free_vmx;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmx_revision;
	/* Two 16-byte entries; the areas must be 16-byte aligned. */
	vmx->efer_area = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->efer_area)
		goto err_free_vmcs;
	vmx->loaded_cpu = -1;
	vmx->last_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	return &vmx->vcpu;

err_free_vmcs:
	__free_page(page);
err_free_vmx:
	kfree(vmx);
	return NULL;
}

static void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* No CPU may keep it active once its memory is freed. */
	preempt_disable();
	vmx_vmcs_clear(vmx);
	preempt_enable();
	kvm_spec_vcpu_free(vcpu);
	if (vmx->vpid)
		ida_free(&vmx_vpid_ida, vmx->vpid);
	free_page((unsigned long)vmx->efer_area);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
}

/* The controls and the fields that never change.  VMCS current. */
static void vmx_init_controls(struct vcpu_vmx *vmx)
{
	u64 io = page_to_phys(vmx_io_bitmaps);
	bool tdp = vmx_is_tdp(&vmx->vcpu);

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, tdp ? vmx_cfg.proc_tdp : vmx_cfg.proc);
	/* Written per entry (vmx_inject_events()). */
	vmx->proc2_now = 0;
	if (vmx_cfg.proc2 || vmx_cfg.proc2_tdp)
		vmcs_write(SECONDARY_VM_EXEC_CONTROL, 0);
	if (tdp) {
		if (vmx->vpid)
			vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
		vmx->ept_flush = true;
		vmx->ept_cpu = -1;
		vmx->pdptrs_stale = true;
	}
	vmcs_write(VM_EXIT_CONTROLS, vmx_cfg.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_cfg.entry);
	vmcs_write(IO_BITMAP_A, io);
	vmcs_write(IO_BITMAP_B, io + PAGE_SIZE);
	vmcs_write(MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	if (vmx_cfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_preempt_ticks);
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR3_TARGET_COUNT, 0);
	/* Every #PF exits: error-code mask and match 0, #PF in the bitmap. */
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	if (vmx_cfg.load_efer) {
		vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
		vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	} else {
		vmx->efer_area[0].index = MSR_EFER;
		vmx->efer_area[1].index = MSR_EFER;
		vmx->efer_area[1].value = this_cpu_read(vmx_cpus.efer);
		vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, __pa(&vmx->efer_area[0]));
		vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 1);
		vmcs_write(VM_EXIT_MSR_LOAD_ADDR, __pa(&vmx->efer_area[1]));
		vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 1);
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
}

static void vmx_init_seg(struct kvm_vcpu *vcpu, int seg, u16 selector,
			 u64 base, u8 type, bool s)
{
	struct kvm_segment var = {
		.selector = selector, .base = base, .limit = 0xffff,
		.type = type, .s = s, .present = 1,
	};

	vmx_write_seg(&var, seg);
}

/*
 * The reset state (SDM vol. 3A 9.1.1), in protected-mode form; the
 * update_cr() at the end turns it into vm86 form, CR0.PE being clear.
 */
static void vmx_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int seg;

	vcpu->spec_ctrl = 0;
	/*
	 * mmu=tdp: a VPID of its own, kept until the vCPU goes, so that
	 * entries and exits keep its TLB.  Without one (all taken), VPID
	 * stays off for it, and entries and exits flush.
	 */
	if (vmx_is_tdp(vcpu) && !vmx->vpid &&
	    (vmx_cfg.proc2_tdp & SECONDARY_EXEC_ENABLE_VPID)) {
		int id = ida_alloc_range(&vmx_vpid_ida, 1, VMX_NR_VPIDS - 1,
					 GFP_KERNEL_ACCOUNT);

		if (id > 0)
			vmx->vpid = id;
	}
	vmx_vmcs_get(vmx);
	vmx->rmode.active = false;
	vmx->rmode.tss_built = KVM_INVALID_GPA;
	vmx_init_controls(vmx);
	vmx_init_seg(vcpu, VCPU_SREG_CS, 0xf000, 0xffff0000, 0xb, true);
	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_GS; seg++)
		if (seg != VCPU_SREG_CS)
			vmx_init_seg(vcpu, seg, 0, 0, 3, true);
	vmx_init_seg(vcpu, VCPU_SREG_TR, 0, 0, VMX_AR_TYPE_BUSY_16_TSS, false);
	vmx_init_seg(vcpu, VCPU_SREG_LDTR, 0, 0, VMX_AR_TYPE_LDT, false);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_DR7, KVM_DR7_FIXED_1);
	vmx_vmcs_put(vmx);
	vmx->star = vmx->lstar = vmx->cstar = vmx->sfmask = 0;
	vmx->kernel_gs_base = 0;
	/* Guest TSC starts near 0. */
	vcpu->tsc_offset = -(s64)rdtsc();
	vmx_update_cr(vcpu);
}

/* ---- events ---------------------------------------------------------- */

/*
 * Choose the event this entry injects, and ask for an exit as soon as
 * the guest can take the next one.  Interrupts off, VMCS current.  By
 * priority, as on SVM:
 *
 * - a queued exception (also one whose delivery an exit interrupted);
 * - an NMI whose delivery was interrupted, or a pending NMI when NMIs
 *   are not blocked and no STI/MOV SS shadow is active;
 * - the KVM_INTERRUPT vector when RFLAGS.IF is set and no shadow.
 *
 * What is left waits for the CPU to say the guest can take it, which VMX
 * does exactly, shadow and NMI blocking included: NMI-window exiting for
 * an NMI, interrupt-window exiting for an interrupt or userspace's
 * request_interrupt_window.  Either exits right after the delivery of an
 * event injected now if the window is open then (SDM vol. 3C, "VM-Entry
 * Controls for Event Injection" and "Interrupt-Window Exiting and
 * Virtual-Interrupt Delivery").  In real mode nothing is injected (vm86
 * would deliver it through the protected-mode IDT): realmode.c already
 * delivered what it could, only the windows are set.
 */
static void vmx_inject_events(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	bool shadow, irq_window;
	bool tdp = vmx_is_tdp(vcpu);
	/* With the identity map, CR3 accesses exit as with shadow paging. */
	u32 proc = tdp && !vmx_tdp_ident(vcpu) ? vmx_cfg.proc_tdp : vmx_cfg.proc;
	u32 proc2 = 0;
	u32 info = 0;

	/* STI blocking with IF clear would fail the entry: it is MOV SS's. */
	if ((intr & GUEST_INTR_STATE_STI) && !(vcpu->rflags & X86_EFLAGS_IF))
		intr = (intr & ~GUEST_INTR_STATE_STI) | GUEST_INTR_STATE_MOV_SS;
	shadow = intr & VMX_SHADOW;
	irq_window = vcpu->pending_irq >= 0 || kvm_want_irq_window(vcpu);

	if (vmx->rmode.active) {
		/* realmode.c delivered what could be; wait for the rest. */
	} else if (vcpu->exception.pending) {
		struct kvm_queued_exception *e = &vcpu->exception;

		kvm_exception_set_rf(vcpu);
		info = e->vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
		/* Real mode (unrestricted guest) pushes no error code. */
		if (e->has_error_code && (vcpu->cr0 & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, e->error_code);
		}
		trace_kvm_inj_exception(e->vector, e->has_error_code,
					e->error_code);
		e->pending = false;
	} else if (vcpu->nmi_injected ||
		   (vcpu->nmi_pending && !(intr & GUEST_INTR_STATE_NMI) &&
		    !shadow)) {
		/*
		 * A re-injection continues a delivery the exit interrupted:
		 * no shadow or blocking applies to it (and VM entry refuses
		 * an NMI under MOV SS or NMI blocking).
		 */
		intr &= ~(VMX_SHADOW | GUEST_INTR_STATE_NMI);
		info = NMI_VECTOR | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
		trace_kvm_inj_nmi(vcpu->nmi_injected);
		if (vcpu->nmi_injected)
			vcpu->nmi_injected = false;
		else
			vcpu->nmi_pending = false;
	} else if (vcpu->pending_irq >= 0 && (vcpu->rflags & X86_EFLAGS_IF) &&
		   !shadow) {
		info = vcpu->pending_irq | INTR_TYPE_EXT_INTR |
		       INTR_INFO_VALID_MASK;
		trace_kvm_inj_virq(vcpu->pending_irq);
		vcpu->pending_irq = -1;
		irq_window = kvm_want_irq_window(vcpu);
	}

	if (vcpu->nmi_pending || vcpu->nmi_injected)
		proc |= CPU_BASED_NMI_WINDOW_EXITING;
	if (irq_window)
		proc |= CPU_BASED_INTR_WINDOW_EXITING;
	/* "Enable RDTSCP" (vmx_cfg.proc2): RDTSCP and RDPID, else #UD. */
	if ((vmx_cfg.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP) &&
	    kvm_guest_has_tsc_aux(vcpu))
		proc2 |= SECONDARY_EXEC_ENABLE_RDTSCP;
	/* EPT, unrestricted guest, and VPID if the vCPU has one. */
	if (tdp) {
		proc2 |= vmx_cfg.proc2_tdp;
		if (!vmx->vpid)
			proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	}
	if (proc2) {
		proc |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
		if (proc2 != vmx->proc2_now) {
			vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
			vmx->proc2_now = proc2;
		}
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr);
	vmx->entry_shadow = info ? 0 : intr & VMX_SHADOW;
}

/*
 * After an exit: the event whose delivery it interrupted is delivered
 * again.  An IRET that unblocked NMIs and then faulted (the exit says so)
 * has not completed: NMIs stay blocked until it runs again.  VMCS
 * current.
 */
static void vmx_complete_events(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->idt_vectoring_info;
	u8 vector = info & VECTORING_INFO_VECTOR_MASK;

	/*
	 * A fault on the instruction under an STI or MOV SS shadow: that
	 * instruction has not run, so the shadow still holds for it.  Bochs
	 * drops the shadow on such an exit (the interrupt would then come one
	 * instruction early); keep what the entry had.
	 */
	if (vmx->entry_shadow && vcpu->rip == vmx->entry_rip &&
	    (u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION &&
	    !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & VMX_SHADOW))
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO, vmx->entry_shadow);

	if (!(info & VECTORING_INFO_VALID_MASK)) {
		if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
		    (vmx->exit_intr_info & INTR_INFO_VALID_MASK) &&
		    (vmx->exit_intr_info & INTR_INFO_UNBLOCK_NMI) &&
		    (vmx->exit_intr_info & INTR_INFO_VECTOR_MASK) != DF_VECTOR)
			vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO,
				      GUEST_INTR_STATE_NMI);
		/* The same for an IRET whose access met an EPT violation. */
		if ((u16)vmx->exit_reason == EXIT_REASON_EPT_VIOLATION &&
		    (vmx->exit_qual & INTR_INFO_UNBLOCK_NMI))
			vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO,
				      GUEST_INTR_STATE_NMI);
		return;
	}
	switch (info & VECTORING_INFO_TYPE_MASK) {
	case INTR_TYPE_HARD_EXCEPTION:
		if (info & VECTORING_INFO_DELIVER_CODE_MASK)
			kvm_queue_exception_e(vcpu, vector, vmx->idt_vectoring_error);
		else
			kvm_queue_exception(vcpu, vector);
		break;
	case INTR_TYPE_EXT_INTR:
		if (vcpu->pending_irq < 0)
			vcpu->pending_irq = vector;
		break;
	case INTR_TYPE_NMI_INTR:
		vcpu->nmi_injected = true;
		break;
	default:
		/* INTn, INT3, INTO: RIP is still on the instruction, which runs again. */
		break;
	}
}

/* ---- running the guest --------------------------------------------------- */

/*
 * Host state VMX does not switch, saved before the entry and put back
 * after the exit, interrupts off throughout.
 */
struct vmx_host_save {
	u16 ds, es, fs, gs, ldt;
	u64 fs_base, kernel_gs_base, debugctl;
};

static void vmx_save_host(struct vcpu_vmx *vmx, struct vmx_host_save *h,
			  bool long_mode)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	vmcs_write(HOST_FS_BASE, h->fs_base);
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
	if (long_mode || h->gs)
		rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (long_mode) {
		/*
		 * SWAPGS, SYSCALL and SYSRET use these without exiting; the
		 * host's are back before interrupts are on again.
		 */
		wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
		wrmsrl(MSR_STAR, vmx->star);
		wrmsrl(MSR_LSTAR, vmx->lstar);
		wrmsrl(MSR_CSTAR, vmx->cstar);
		wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	}
}

/*
 * VM exit loaded null DS/ES/FS/GS (the host selector fields must have RPL
 * 0, which user selectors do not), FS and GS bases from the VMCS, an
 * unusable LDTR, TR with limit 0x67 and GDTR and IDTR with limit 0xffff,
 * and cleared DEBUGCTL.  The IDTR limit is harmless (vectors stop at 255).
 */
static void vmx_restore_host(struct vcpu_vmx *vmx, struct vmx_host_save *h,
			     bool long_mode, int cpu)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);

	if (long_mode) {
		rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
		wrmsrl(MSR_STAR, c->star);
		wrmsrl(MSR_LSTAR, c->lstar);
		wrmsrl(MSR_CSTAR, c->cstar);
		wrmsrl(MSR_SYSCALL_MASK, c->sfmask);
	}
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs)
		load_gs_index(h->gs);
	if (long_mode || h->gs)
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	load_fixmap_gdt(cpu);
	invalidate_tss_limit();
	if (h->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
}

/* What the exit reported, and the guest state the generic code keeps. */
static void vmx_read_exit(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u64 rflags;

	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	vmx->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	vmx->exit_intr_error = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	vmx->idt_vectoring_info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	vmx->idt_vectoring_error = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->exit_insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx->exit_insn_info = vmcs_read(VMX_INSTRUCTION_INFO);
	vcpu->rip = vmcs_read(GUEST_RIP);
	vcpu->regs[VCPU_REGS_RSP] = vmcs_read(GUEST_RSP);
	/*
	 * EPT: the guest's MOV to CR3 did not exit; the PDPTEs it loaded
	 * stay in GUEST_PDPTR0-3 for the next entry.
	 */
	if (vmx_is_tdp(vcpu)) {
		u16 basic = vmx->exit_reason;

		/* Not the identity map's: the guest's CR3 is kept aside. */
		if (!vmx_tdp_ident(vcpu))
			vcpu->cr3 = vmx->hw_cr3 = vmcs_read(GUEST_CR3);
		if (basic == EXIT_REASON_EPT_VIOLATION ||
		    basic == EXIT_REASON_EPT_MISCONFIG)
			vmx->exit_gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	}
	rflags = vmcs_read(GUEST_RFLAGS);
	if (vmx->rmode.active)
		rflags = (rflags & ~(X86_EFLAGS_VM | X86_EFLAGS_IOPL)) |
			 vmx->rmode.guest_iopl;
	vcpu->rflags = rflags;
}

/*
 * A VM entry that did not happen: VMLAUNCH/VMRESUME failed (VMfailValid
 * with an error number, VMfailInvalid without a current VMCS), or the
 * entry failed on guest state or MSR loading (an exit with bit 31 set).
 * Userspace gets KVM_EXIT_FAIL_ENTRY; exits.c handles the second kind.
 */
static int vmx_fail_entry(struct vcpu_vmx *vmx, u32 error)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	pr_info_ratelimited("vCPU %d: VM%s failed: VM-instruction error %u\n",
			    vcpu->vcpu_id, vmx->launched ? "RESUME" : "LAUNCH",
			    error);
	return kvm_exit_fail_entry(vcpu, error, vmx->last_cpu);
}

/* The host's NMI, which the exit consumed: the kernel's handler runs now. */
static void vmx_host_nmi(struct vcpu_vmx *vmx)
{
	if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		asm volatile("int $2" ::: "memory");
}

/*
 * In IA-32e mode VM entry wants TR to be a busy 64-bit TSS; a VMM may
 * leave the 16- or 32-bit type of the reset state (SVM takes it).  The
 * guest sees the type it runs with, as after its own LTR.  VMCS current.
 */
static void vmx_long_mode_tr(void)
{
	u32 ar = vmcs_read(GUEST_TR_AR_BYTES);

	if ((ar & VMX_AR_TYPE_MASK) != VMX_AR_TYPE_BUSY_64_TSS)
		vmcs_write(GUEST_TR_AR_BYTES, (ar & ~VMX_AR_TYPE_MASK) |
			   VMX_AR_TYPE_BUSY_64_TSS);
}

/*
 * Enter the guest once and handle the exit.  The return contract of
 * kvm_vendor_ops.run(): 1 = re-enter, 0 = to userspace, < 0 = error.
 */
static int vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_host_save host;
	bool guest_drs, long_mode, failed, guest_tsc_aux, load_pdptrs = false;
	u64 pdptrs[4];
	u64 host_tsc_aux = 0;
	u32 error = 0;
	hpa_t root;
	int cpu, r;

	down_read(&vcpu->kvm->slots_lock);
	r = vcpu->kvm->mmu_ops->load_root(vcpu, &root);
	up_read(&vcpu->kvm->slots_lock);
	if (r)
		return r;
	if (vmx->rmode.active) {
		r = vmx_rmode_prepare(vmx);
		if (r <= 0)
			return r;
		r = vmx_rmode_deliver_events(vmx);
		if (r <= 0 || vcpu->triple_fault)
			return r;
	}
	if (vmx_is_tdp(vcpu)) {
		r = vmx_tdp_prepare(vmx, pdptrs, &load_pdptrs);
		if (r <= 0)
			return r;
	}

	preempt_disable();
	cpu = smp_processor_id();
	WRITE_ONCE(vcpu->cpu, cpu);
	kvm_clock_vcpu_load(vcpu, cpu);
	r = vmx_load_vmcs(vmx);
	if (r) {
		preempt_enable();
		return r;
	}
	local_irq_disable();
	/* Pairs with kvm_make_all_vcpus_request(): a request or a kick. */
	smp_mb();
	if (READ_ONCE(vcpu->requests) || need_resched() ||
	    signal_pending(current) ||
	    this_cpu_read(vmx_cpus.current_vmcs) != vmx->vmcs) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}

	kvm_load_guest_fpu_regs();
	kvm_spec_vcpu_switch(vcpu);
	vmx_inject_events(vmx);
	if (vmx_is_tdp(vcpu))
		vmx_tdp_enter(vmx, root, cpu, pdptrs, load_pdptrs);
	else
		vmcs_write(GUEST_CR3, root);
	vmcs_write(GUEST_RIP, vcpu->rip);
	vmx->entry_rip = vcpu->rip;
	vmcs_write(GUEST_RSP, vcpu->regs[VCPU_REGS_RSP]);
	if (vmx->rmode.active) {
		vmx->rmode.cs_ran = true;
		/* vm86 with IOPL 3; the guest keeps seeing its own IOPL. */
		vmx->rmode.guest_iopl = vcpu->rflags & X86_EFLAGS_IOPL;
		vmcs_write(GUEST_RFLAGS, vcpu->rflags | X86_EFLAGS_VM |
			   X86_EFLAGS_IOPL);
	} else {
		vmcs_write(GUEST_RFLAGS, vcpu->rflags);
	}
	vmcs_write(GUEST_DR7, vcpu->dr7 & ~KVM_DR7_GD);
	if (!vmx_cfg.load_efer)
		vmx->efer_area[1].value = this_cpu_read(vmx_cpus.efer);
	long_mode = kvm_is_long_mode(vcpu);
	if (long_mode)
		vmx_long_mode_tr();
	vmx_save_host(vmx, &host, long_mode);
	vmx->last_cpu = cpu;
	kvm_spec_count_entry(vcpu);
	trace_kvm_entry(vcpu->vcpu_id, vcpu->rip);

	/* Guest mode is like user mode for RCU: a quiescent state. */
	if (!context_tracking_guest_enter())
		rcu_virt_note_context_switch(cpu);
	/*
	 * GD stays out of the hardware's DR7 (GUEST_DR7 above): MOV DR exits,
	 * and exits.c emulates general detect.
	 */
	guest_drs = kvm_load_guest_drs(vcpu);
	/* VMX does not switch CR2; nothing here faults between. */
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);
	/* RDTSCP and RDPID read it without an exit (msr_misc.c). */
	guest_tsc_aux = kvm_tsc_aux_load_guest(vcpu, false, &host_tsc_aux);
	/* L1TF: the host's decision (spec.c; the flush also clears buffers). */
	if (kvm_spec_l1d_flush_needed(vcpu))
		kvm_spec_l1d_flush(vcpu);
	failed = __vmx_vcpu_run(vcpu->regs, vmx->launched, HOST_RSP,
				&vcpu->spec_ctrl);
	vcpu->cr2 = native_read_cr2();
	kvm_tsc_aux_put_host(guest_tsc_aux, host_tsc_aux);
	/* The exit left DR7 0x400: no breakpoint before the host is back. */
	vmx_restore_host(vmx, &host, long_mode, cpu);
	kvm_put_host_drs(guest_drs);
	context_tracking_guest_exit();

	if (failed) {
		error = vmcs_read(VM_INSTRUCTION_ERROR);
	} else {
		vmx_read_exit(vmx);
		vmx_host_nmi(vmx);
		if (!(vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
			vmx->launched = true;
			vmx_complete_events(vmx);
		}
	}
	kvm_spec_after_exit();
	/* The interrupt that caused the exit runs now. */
	local_irq_enable();
	preempt_enable();

	if (failed)
		return vmx_fail_entry(vmx, error);
	return vmx_handle_exit(vmx);
}

static const struct kvm_vendor_ops vmx_vendor_ops = {
	.name = "Intel VMX",
	.hardware_setup = vmx_hardware_setup,
	.hardware_unsetup = vmx_hardware_unsetup,
	.prepare_area = vmx_prepare_area,
	.enable_cpu = vmx_enable_cpu,
	.disable_cpu = vmx_disable_cpu,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_reset = vmx_vcpu_reset,
	.run = vmx_vcpu_run,
	.get_segment = vmx_get_segment,
	.set_segment = vmx_set_segment,
	.get_dtable = vmx_get_dtable,
	.set_dtable = vmx_set_dtable,
	.get_cpl = vmx_get_cpl,
	.update_cr = vmx_update_cr,
	.flush_tlb = vmx_flush_tlb,
	.get_interrupt_shadow = vmx_get_interrupt_shadow,
	.set_interrupt_shadow = vmx_set_interrupt_shadow,
	.get_nmi_mask = vmx_get_nmi_mask,
	.set_nmi_mask = vmx_set_nmi_mask,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.exit_slot_name = vmx_exit_slot_name,
	.tss_pages = RMODE_TSS_PAGES,
	.invalid_state_exit = EXIT_REASON_INVALID_STATE |
			      VMX_EXIT_REASONS_FAILED_VMENTRY,
};

const struct kvm_vendor_ops *vmx_probe(void)
{
	u64 feat_ctl = 0;

	/*
	 * Ask CPUID.1:ECX.VMX directly: when firmware leaves VMX disabled the
	 * kernel clears X86_FEATURE_VMX, and "disabled" must not be reported
	 * as "absent".  X86_FEATURE_VMX is word 4 (CPUID.1:ECX), bit 5.
	 */
	if (!(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31)))
		return ERR_PTR(-ENODEV);

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    (feat_ctl & VMX_FEAT_CTL_REQUIRED) != VMX_FEAT_CTL_REQUIRED) {
		pr_err("Intel VMX is disabled by the BIOS (IA32_FEAT_CTL %#llx: not locked with VMX enabled outside SMX)\n",
		       feat_ctl);
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("Intel VMX is disabled by the kernel (X86_FEATURE_VMX is clear)\n");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return &vmx_vendor_ops;
}
