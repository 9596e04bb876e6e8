/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces shared by the generic core (main.c, vm.c, vcpu.c,
 * x86.c, virt.c), the MMU strategies (mmu/) and the vendor backends (svm/,
 * vmx/).
 */
#ifndef KVM_RESEARCH_KVM_HOST_H
#define KVM_RESEARCH_KVM_HOST_H

#include <linux/kvm.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "emulate.h"

typedef u64 gpa_t;
typedef u64 gva_t;
typedef u64 gfn_t;
typedef u64 hpa_t;

#include "irqchip/irqchip.h"

#define KVM_MAX_VCPUS		16
/*
 * vCPU ids are labels (the APIC id a VMM gives each vCPU), not indexes:
 * any id below this, at most KVM_MAX_VCPUS of them per VM.  Upstream
 * x86's bound (1024 vCPUs times KVM_VCPU_ID_RATIO 4), so that a VMM's
 * KVM_CAP_MAX_VCPU_ID (QEMU asks for its APIC id limit) is taken.
 */
#define KVM_MAX_VCPU_IDS	4096
#define KVM_MAX_MEM_SLOTS	32
/*
 * Slots after the user's: memory the kernel maps into the VMM's process
 * for a backend (KVM_SET_TSS_ADDR on VMX, or a place vm.c picks; the
 * identity-mapped page table of EPT without unrestricted guest, at
 * KVM_SET_IDENTITY_MAP_ADDR).  Userspace cannot name them, and no user
 * slot may overlap them.
 */
#define KVM_TSS_PRIVATE_SLOT	KVM_MAX_MEM_SLOTS
#define KVM_IDENT_PRIVATE_SLOT	(KVM_MAX_MEM_SLOTS + 1)
#define KVM_MEM_SLOTS_ALL	(KVM_MAX_MEM_SLOTS + 2)
#define KVM_MAX_CPUID_ENTRIES	80
#define KVM_INVALID_GPA		(~(gpa_t)0)
#define KVM_HVA_ERR		(~0UL)

/*
 * Requests to a vCPU, handled before its next guest entry:
 * MMU_RELOAD: drop the vCPU's shadow mappings (mmu_ops->new_cr3());
 * TLB_FLUSH: flush the vCPU's guest TLB (kvm_vendor->flush_tlb()).
 */
#define KVM_REQ_MMU_RELOAD	0
#define KVM_REQ_TLB_FLUSH	1
/* CLOCK_UPDATE: rewrite the vCPU's kvmclock structure (clock.c). */
#define KVM_REQ_CLOCK_UPDATE	2
/*
 * EVENT: an interrupt source changed (irqchip/): look at the interrupts
 * again before entering.  Set by kvm_vcpu_kick(), so that an entry
 * already under way is abandoned (the requests are checked with
 * interrupts off, after vcpu->cpu is published).
 */
#define KVM_REQ_EVENT		3
/* IOAPIC_EOI: split irqchip, exit with KVM_EXIT_IOAPIC_EOI (irqchip/irq.c). */
#define KVM_REQ_IOAPIC_EOI	4

struct kvm;
struct kvm_vcpu;
struct kvm_mmu_ops;

/* A guest-physical range backed by the VMM's memory (KVM_SET_USER_MEMORY_REGION). */
struct kvm_memory_slot {
	u32 id;
	u32 flags;		/* KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES */
	gfn_t base_gfn;
	u64 npages;		/* 0: the slot is unused */
	unsigned long userspace_addr;
	/*
	 * KVM_MEM_LOG_DIRTY_PAGES: a bit per page (bit i: page base_gfn + i),
	 * longs, set by kvm_mark_page_dirty(); NULL when not logging.  Owned
	 * by the slot (dirty_log.c).
	 */
	unsigned long *dirty_bitmap;
};

/*
 * Segment registers, for the backends' get_segment()/set_segment(), which
 * convert between struct kvm_segment and their own formats.
 */
enum kvm_sreg {
	VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS,
	VCPU_SREG_FS, VCPU_SREG_GS, VCPU_SREG_TR, VCPU_SREG_LDTR,
};

/* General-purpose registers, in the order of the instruction encoding. */
enum kvm_reg {
	VCPU_REGS_RAX, VCPU_REGS_RCX, VCPU_REGS_RDX, VCPU_REGS_RBX,
	VCPU_REGS_RSP, VCPU_REGS_RBP, VCPU_REGS_RSI, VCPU_REGS_RDI,
	VCPU_REGS_R8, VCPU_REGS_R9, VCPU_REGS_R10, VCPU_REGS_R11,
	VCPU_REGS_R12, VCPU_REGS_R13, VCPU_REGS_R14, VCPU_REGS_R15,
	NR_VCPU_REGS
};

/*
 * Exits counted by hardware exit reason, per vCPU (debugfs kvm/PID-FD/exits):
 * the backend maps each reason to one of these slots (kvm_vendor_ops).
 */
#define KVM_EXIT_SLOTS		176

#define KVM_NR_VAR_MTRR		8
#define KVM_MAX_MCE_BANKS	32

/*
 * Debug registers: the bits of DR6 and DR7 that software can change, and
 * those that always read as 1 (Intel SDM vol. 3B 18.2, AMD APM vol. 2
 * 13.1.1).  DR6: B0-B3, BD, BS, BT; DR7: L0-G3, LE, GE, GD, R/W and LEN.
 */
#define KVM_DR6_FIXED_1		0xffff0ff0ULL
#define KVM_DR6_VOLATILE	0x0000e00fULL
#define KVM_DR6_BD		0x00002000ULL	/* a MOV DR with DR7.GD set */
#define KVM_DR6_BS		0x00004000ULL	/* single step */
#define KVM_DR7_FIXED_1		0x00000400ULL
#define KVM_DR7_VOLATILE	0xffff23ffULL
#define KVM_DR7_GD		0x00002000ULL
#define KVM_DR7_ENABLES		0x000000ffULL	/* L0-L3, G0-G3 */

/* A pending guest exception (reflected #PF, #GP from an MSR, #UD, ...). */
struct kvm_queued_exception {
	bool pending;
	u8 vector;
	bool has_error_code;
	u32 error_code;
};

/*
 * State of an exit that userspace completes on the next KVM_RUN: the data
 * of a port read, or of an MMIO read, goes back into the guest.
 */
enum kvm_pending_io {
	KVM_IO_NONE,
	KVM_IO_PIO_IN,		/* copy run->io data into RAX */
	KVM_IO_PIO_STRING,	/* INS/OUTS: finish a string chunk */
	KVM_IO_PIO_OUTS_MMIO,	/* OUTS from MMIO: the element read, out it goes */
	KVM_IO_MMIO,		/* re-run the emulator with run->mmio data */
	KVM_IO_MMIO_WRITE,	/* send the next fragment of an MMIO write */
};

/* An MMIO read userspace answered, for the emulator's next run. */
struct kvm_mmio_read {
	gpa_t gpa;
	u32 len;
	u8 data[8];
};

/* One exit's part of an instruction's MMIO write: bytes [off, off + len). */
struct kvm_mmio_frag {
	gpa_t gpa;
	u8 off, len;
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
	struct kvm_run *run;		/* one page, mmap'ed by userspace */
	struct page *pio_page;		/* KVM_PIO_PAGE_OFFSET */

	/* Serializes the vCPU's ioctls; KVM_RUN holds it while in the guest. */
	struct mutex mutex;
	struct pid *pid;		/* the thread that last ran KVM_RUN */
	int cpu;			/* physical CPU it is loaded on, or -1 */

	/* Guest state kept by the generic code. */
	u64 regs[NR_VCPU_REGS];
	u64 rip;
	u64 rflags;
	u64 cr0, cr2, cr3, cr4, cr8;
	u64 efer;
	u64 apic_base;
	u32 mp_state;
	/*
	 * The in-kernel local APIC (irqchip/lapic.c), or NULL without
	 * KVM_CREATE_IRQCHIP or KVM_CAP_SPLIT_IRQCHIP.
	 */
	struct kvm_lapic *apic;
	/* A halted vCPU sleeps here; kvm_vcpu_kick() wakes it. */
	wait_queue_head_t wq;
	/* How long it polls first, up to halt_poll_ns (x86.c). */
	u32 halt_poll_ns;
	/*
	 * The in-kernel irqchip has an interrupt the guest cannot take yet
	 * (RFLAGS.IF, a shadow, an event before it): the backends open the
	 * interrupt window as for userspace's request_interrupt_window.
	 */
	bool irq_window;
	/*
	 * Split irqchip: a KVM_INTERRUPT vector is the userspace PIC's
	 * ExtINT, taken when the local APIC accepts it (-1: none).
	 */
	int pending_extint;
	/*
	 * KVM_SET_VAPIC_ADDR: kept, never used.  The TPR-patching option ROM
	 * QEMU loads works only through KVM_TPR_ACCESS_REPORTING (not
	 * offered: no KVM_CAP_VAPIC), but QEMU sets the address at reset.
	 */
	gpa_t vapic_addr;
	/* Split irqchip: the level-triggered vector the guest EOIed. */
	u8 pending_ioapic_eoi;
	u64 pat;
	u64 misc_enable;
	struct {
		u64 def_type;
		u64 fixed[11];		/* 64K, 16K x 2, 4K x 8 */
		u64 var[2 * KVM_NR_VAR_MTRR];	/* base, mask pairs */
	} mtrr;
	u64 mcg_cap, mcg_status, mcg_ctl;
	u64 mce_banks[4 * KVM_MAX_MCE_BANKS];	/* CTL, STATUS, ADDR, MISC */
	/* MSRs only kept, read back as written (msr_misc.c, the backends). */
	struct {
		u64 ucode_rev, power_ctl, smbase, smi_count, hwcr, tsc_adjust;
		u64 platform_info, misc_features, arch_caps, tsc_aux;
		u64 feat_ctl, mcg_ext_ctl;		/* VMX */
		u64 hsave_pa, vm_cr, de_cfg;		/* SVM */
	} msr;
	s64 tsc_offset;			/* guest TSC = host TSC + tsc_offset */
	/* kvmclock (clock.c). */
	struct {
		u64 msr;		/* MSR_KVM_SYSTEM_TIME(_NEW): gpa, bit 0 enable */
		int cpu;		/* the host CPU it last entered on, or -1 */
	} clock;
	struct kvm_queued_exception exception;
	bool triple_fault;		/* a fault while delivering #DF */
	/*
	 * A KVM_INTERRUPT vector, or -1: injected when the guest can take it
	 * (RFLAGS.IF, no interrupt shadow); also an external interrupt whose
	 * delivery an exit interrupted, to be delivered again.
	 */
	int pending_irq;
	/*
	 * NMIs (KVM_NMI): at most one pending; injected unless NMIs are
	 * blocked (from an NMI's delivery to the IRET that ends its handler,
	 * kvm_vendor->get_nmi_mask()) or an interrupt shadow is active.
	 * nmi_injected: an NMI whose delivery an exit interrupted, delivered
	 * again on the next entry whatever the blocking.
	 */
	bool nmi_pending;
	bool nmi_injected;
	/*
	 * The guest's debug registers, as MOV DR and KVM_GET_DEBUGREGS see
	 * them.  The backend loads DR0-DR3 into the CPU around guest entry
	 * when DR7 enables a breakpoint; DR6 and DR7 go through its VMCB/VMCS.
	 */
	u64 db[4];
	u64 dr6, dr7;

	struct fpu_guest guest_fpu;	/* the guest's FPU/SSE/AVX state */

	struct kvm_cpuid_entry2 *cpuid;	/* KVM_SET_CPUID2, or NULL */
	int cpuid_nent;
	/*
	 * The vCPU entered the guest once: from then on its CPUID, which
	 * says which CR4 and EFER bits are reserved, cannot change.
	 */
	bool has_run;

	sigset_t sigset;		/* KVM_SET_SIGNAL_MASK */
	bool sigset_active;

	/*
	 * The last page-table write the emulator could not do, which the MMU
	 * unprotected instead (RIP and the table's gpa); cleared by an exit
	 * at another RIP.  The same failure again, with no progress between,
	 * is a livelock: the instruction writes a table that maps itself.
	 */
	bool unprotected;
	u64 unprotected_rip;
	gpa_t unprotected_gpa;

	/* Exits completed by the next KVM_RUN. */
	enum kvm_pending_io pending_io;
	struct {
		u16 port;
		u8 size;
		u8 addr_size;		/* 2, 4 or 8: string instructions */
		bool in;
		bool rep;
		u32 count;		/* elements in this chunk */
		gva_t gva;		/* linear address of the chunk */
		/*
		 * The element's memory is not RAM (MMIO, or a read-only
		 * slot for INS): its gpa, for an MMIO exit of its own;
		 * else KVM_INVALID_GPA.
		 */
		gpa_t mmio_gpa;
		u64 next_rip;
	} pio;
	struct {
		/* The exit under way: what kvm_run.mmio says. */
		gpa_t gpa;
		u32 len;
		bool read_pending;	/* a read went out to userspace */
		u8 data[8];
		/*
		 * The instruction's MMIO write, as devices see it (upstream's
		 * fragments): split where it crosses a page and into pieces
		 * of at most 8 bytes (a 16-byte SSE store), one exit each,
		 * the later ones at the next KVM_RUNs.
		 */
		u8 wdata[16];
		u8 nr_frags, next_frag;
		struct kvm_mmio_frag frag[4];
		/*
		 * The reads userspace answered for the instruction being
		 * emulated, in order (CMPS reads two operands, an access
		 * is split as a write is): each run of the emulator replays
		 * them from the first.
		 */
		u8 nr_done, next_done;
		struct kvm_mmio_read done[4];
	} mmio;
	struct x86_emu_ctxt emu;	/* the instruction being emulated */

	void *mmu;			/* the MMU strategy's per-vCPU state */

	/* KVM_REQ_* bits, set by anyone, handled by the vCPU before entry. */
	unsigned long requests;

	/* Named counters, bhyve's VMM_STAT style; debugfs later. */
	struct {
		u64 exits;
		u64 halt_sleeps;	/* a halted or waiting vCPU slept (x86.c) */
		u64 halt_polls;		/* a halted vCPU polled (x86.c) */
		u64 halt_poll_wakes;	/* ... and its wake-up came meanwhile */
		u64 irq_injections;	/* interrupts taken from the in-kernel irqchip */
		u64 pio_exits;
		u64 mmio_exits;
		u64 page_faults;
		u64 emulate_retries;	/* locked writes raced (X86EMU_RETRY) */
		/* spec.c, debugfs exits "spec.vcpuN.*": */
		u64 spec_ctrl_switch;	/* entries with the guest's SPEC_CTRL loaded */
		u64 switch_in;		/* entries on a CPU that last ran another vCPU */
		u64 ibpb;		/* IBPBs at those, where the host uses IBPB */
		u64 guest_ibpb;		/* the guest's IBPBs (PRED_CMD writes) */
		u64 verw;		/* entries after a VERW buffer clear */
		u64 l1d_flush;		/* entries after an L1D flush (VMX) */
	} stat;
	/* The guest's IA32_SPEC_CTRL (spec.c), loaded around each entry. */
	u64 spec_ctrl;
	/*
	 * Hardware exits by reason (see KVM_EXIT_SLOTS), counted where
	 * kvm:kvm_exit fires.  Written by the vCPU's thread only.
	 */
	u64 exit_counts[KVM_EXIT_SLOTS];
	/* Why the MMU's new_cr3() runs now (KVM_MMU_FLUSH_*), for kvmmmu:mmu_flush. */
	u8 mmu_flush_cause;
};

struct kvm {
	struct kref users;		/* the VM fd and each vCPU fd */
	struct mm_struct *mm;		/* the creating process's memory */
	const struct kvm_mmu_ops *mmu_ops;	/* sampled from mmu= at creation */

	struct mutex lock;		/* vCPU creation, KVM_SET_TSS_ADDR, ... */
	/* Readers: vCPUs looking up slots.  Writers: KVM_SET_USER_MEMORY_REGION. */
	struct rw_semaphore slots_lock;
	struct kvm_memory_slot slots[KVM_MEM_SLOTS_ALL];

	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	int nr_vcpus;
	/*
	 * vCPU ids are below this: KVM_ENABLE_CAP KVM_CAP_MAX_VCPU_ID, or
	 * KVM_MAX_VCPU_IDS from the first vCPU on (0: not set yet).
	 */
	u32 max_vcpu_ids;

	u64 tss_addr;			/* KVM_SET_TSS_ADDR, or KVM_INVALID_GPA */
	/* tss_addr is the module's choice, not the VMM's (vm.c). */
	bool tss_implicit;
	/*
	 * KVM_SET_IDENTITY_MAP_ADDR (0: unset, upstream's default then);
	 * ident_ready once the page table is in KVM_IDENT_PRIVATE_SLOT
	 * there (vm.c), which it then never leaves.
	 */
	u64 identity_map_addr;
	bool ident_ready;
	bool halt_in_kernel;		/* halt_in_kernel= at creation */
	/*
	 * KVM_ENABLE_CAP KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: KVM_DIRTY_LOG_*
	 * (MANUAL_PROTECT_ENABLE: KVM_GET_DIRTY_LOG leaves the log alone,
	 * KVM_CLEAR_DIRTY_LOG clears it; INITIALLY_SET: a new log starts full).
	 */
	u64 manual_dirty_log_protect;
	/*
	 * The last reference is gone and the VM is being destroyed: no vCPU
	 * runs any more, so no TLB needs a remote flush.  Never set while
	 * the VM's fd is open (a failed KVM_CREATE_VCPU leaves it alone).
	 */
	bool dying;
	atomic64_t remote_flushes;	/* kvm_flush_remote_tlbs() calls */

	/*
	 * kvmclock (clock.c): the VM's clock is the host's raw monotonic
	 * nanoseconds plus offset.  master: the host's clocksource was the
	 * TSC when the pair (master_tsc, master_ns) was read, and every
	 * vCPU's structure uses that pair.  lock: these fields, against
	 * KVM_SET_CLOCK.
	 */
	struct {
		spinlock_t lock;
		s64 offset;
		bool master;
		u64 master_tsc, master_ns;
		bool boot_old_msr;	/* vCPU 0 wrote MSR_KVM_SYSTEM_TIME */
		/* KVM_SET_CLOCK is under way: no vCPU enters the guest. */
		bool in_progress;
		u64 wall_clock;		/* MSR_KVM_WALL_CLOCK(_NEW) */
	} clock;

	/*
	 * The in-kernel irqchip (irqchip/irqchip.h).  irqchip_mode is set
	 * once, before the first vCPU, under lock; the chips live until
	 * the VM goes.
	 */
	enum kvm_irqchip_mode irqchip_mode;
	u8 nr_reserved_ioapic_pins;	/* split: the IOAPIC's routes (EOI exits) */
	u32 bsp_vcpu_id;		/* KVM_SET_BOOT_CPU_ID */
	struct kvm_pic *pic;
	struct kvm_ioapic *ioapic;
	struct kvm_pit *pit;
	/* irq_comm.c: the GSI routing table, read under irq_srcu. */
	struct mutex irq_lock;
	struct srcu_struct irq_srcu;
	void __rcu *irq_routing;
	struct hlist_head irq_ack_notifier_list;
	unsigned long irq_sources_bitmap;
	/* iobus.c: in-kernel devices, read under bus_srcu. */
	struct srcu_struct bus_srcu;
	struct mutex bus_lock;
	void __rcu *buses[KVM_NR_BUSES];
	/* eventfd.c */
	struct {
		spinlock_t lock;
		struct list_head items;
		struct list_head resampler_list;
		struct mutex resampler_lock;
	} irqfds;
	struct list_head ioeventfds;

	void *mmu;			/* the MMU strategy's per-VM state */
	struct dentry *debugfs_dentry;	/* debugfs kvm/PID-FD */
};

/* debugfs kvm/, made before /dev/kvm exists (main.c). */
extern struct dentry *kvm_debugfs_dir;
void kvm_count_failed_entry(void);
/* A VM entry the CPU refused: counted, and KVM_EXIT_FAIL_ENTRY (x86.c). */
int kvm_exit_fail_entry(struct kvm_vcpu *vcpu, u64 reason, int cpu);

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
 * enabled; it checks what the backend needs, reports what the CPU has and
 * allocates what all vCPUs share.  hardware_unsetup(), if set, frees that
 * after every CPU has been disabled.
 * prepare_area(), if set, fills in a CPU's page once, after allocation.
 *
 * enable_cpu() and disable_cpu() act on the calling CPU and are always
 * called with interrupts disabled.  enable_cpu() gets the physical address
 * of that CPU's page; it returns -EBUSY if another hypervisor already owns
 * the CPU's virtualization extensions, and the caller reports that.
 * disable_cpu() is only called on CPUs that enable_cpu() succeeded on.
 *
 * The vCPU operations: the backend embeds struct kvm_vcpu in its own
 * structure (container_of), so vcpu_create() allocates both.
 *
 * run() enters the guest once and handles the exit.  Return contract,
 * stated once for every exit handler: 1 = handled, re-enter the guest;
 * 0 = kvm_run is filled in, return to userspace; < 0 = an error for
 * KVM_RUN to return.
 */
struct kvm_vendor_ops {
	const char *name;
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	void (*prepare_area)(void *area);
	int (*enable_cpu)(phys_addr_t area);
	void (*disable_cpu)(void);

	struct kvm_vcpu *(*vcpu_create)(void);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	void (*vcpu_reset)(struct kvm_vcpu *vcpu);
	int (*run)(struct kvm_vcpu *vcpu);

	void (*get_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
	void (*set_segment)(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg);
	void (*get_dtable)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
	void (*set_dtable)(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt);
	int (*get_cpl)(struct kvm_vcpu *vcpu);
	/* The guest's control registers changed: recompute what the hardware runs with. */
	void (*update_cr)(struct kvm_vcpu *vcpu);
	/* The MMU strategy's root changed, or its TLB entries are stale. */
	void (*flush_tlb)(struct kvm_vcpu *vcpu);
	/* The STI/MOV SS interrupt shadow: non-zero while it blocks interrupts. */
	u64 (*get_interrupt_shadow)(struct kvm_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct kvm_vcpu *vcpu, bool shadow);
	/* NMI blocking: from an NMI's delivery until its handler's IRET. */
	bool (*get_nmi_mask)(struct kvm_vcpu *vcpu);
	void (*set_nmi_mask)(struct kvm_vcpu *vcpu, bool masked);
	/*
	 * Vendor-owned MSRs (SYSENTER, STAR, ...): 0 done, 1 refused (#GP),
	 * KVM_MSR_UNKNOWN not the vendor's.  @host: KVM_GET/SET_MSRS.
	 */
	int (*get_msr)(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
	int (*set_msr)(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
	/*
	 * The name of the exit reason counted in slot @slot of
	 * vcpu->exit_counts, without spaces; NULL for a slot no reason uses.
	 */
	const char *(*exit_slot_name)(unsigned int slot, char *buf, size_t size);
	/*
	 * Pages of guest-physical memory the backend needs at the address
	 * KVM_SET_TSS_ADDR gives (VMX's real mode in vm86: 3), or 0.
	 */
	unsigned int tss_pages;
	/*
	 * KVM_EXIT_FAIL_ENTRY's hardware_entry_failure_reason for a state
	 * that must not run, refused before the entry (kvm_paging_mode()):
	 * what the hardware reports for an invalid guest state.
	 */
	u64 invalid_state_exit;
};

extern const struct kvm_vendor_ops *kvm_vendor;

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

/* main.c */
long kvm_check_extension(long ext);
extern bool kvm_halt_in_kernel;
extern unsigned int kvm_halt_poll_ns;

/* vm.c */
int kvm_dev_create_vm(unsigned long type);
void kvm_get(struct kvm *kvm);
void kvm_put(struct kvm *kvm);
/*
 * A vCPU thread about to run a real-mode guest with no TSS address set:
 * the module picks one (vm.c).  0 once the address is set.
 */
int kvm_vm_tss_implicit(struct kvm *kvm);
/*
 * A vCPU thread whose guest runs without paging on a page table of the
 * module's (VMX EPT without unrestricted guest): @table (one page) goes
 * into the identity-map slot, once per VM.  0 once kvm->ident_ready.
 */
int kvm_vm_ident_map(struct kvm *kvm, gpa_t addr, const void *table);

/* guest_mem.c: the caller holds slots_lock. */
struct kvm_memory_slot *kvm_gfn_to_slot(struct kvm *kvm, gfn_t gfn);
unsigned long kvm_gfn_to_hva(struct kvm *kvm, gfn_t gfn, bool write);
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len);
int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data, unsigned long len);
int kvm_cmpxchg_guest(struct kvm *kvm, gpa_t gpa, unsigned int size, u64 old,
		      u64 new);
/*
 * Dirty logging: the guest page at @gfn was written, by the guest through
 * a writable shadow leaf the MMU is installing, or by the kernel on the
 * guest's behalf (kvm_write_guest(), kvm_cmpxchg_guest()).  Sets its bit
 * if its slot logs.  Every write into guest memory goes through here.
 */
void kvm_mark_page_dirty(struct kvm *kvm, gfn_t gfn);

/* dirty_log.c: the slots' dirty logs and the VM's dirty-log ioctls. */
unsigned long *kvm_dirty_log_new(struct kvm *kvm,
				 const struct kvm_memory_slot *slot, u32 flags,
				 u64 npages);
void kvm_dirty_log_replaced(struct kvm *kvm, unsigned long *old,
			    unsigned long *new);
void kvm_dirty_log_free_all(struct kvm *kvm);
int kvm_dirty_log_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap);
long kvm_vm_dirty_log_ioctl(struct kvm *kvm, unsigned int ioctl,
			    void __user *argp);

/* vcpu.c */
int kvm_vcpu_mmap_size(void);
int kvm_vm_create_vcpu(struct kvm *kvm, unsigned long id);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);
/*
 * Just before entering the guest, interrupts off.  KVM_RUN made the
 * guest's FPU state the thread's (fpu_swap_kvm_fpstate()), but after this
 * thread was scheduled out, or the kernel used the FPU, the registers hold
 * something else until a return to userspace would load them: load the
 * guest's now.
 */
static inline void kvm_load_guest_fpu_regs(void)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

/* fpu.c: the guest's XMM registers (0-15), for the emulator. */
void kvm_get_xmm(struct kvm_vcpu *vcpu, unsigned int reg, u8 val[16]);
void kvm_set_xmm(struct kvm_vcpu *vcpu, unsigned int reg, const u8 val[16]);
/*
 * fpu.c: MMX register @reg (0-7), for the emulator's MMX moves.
 * kvm_get_mmx() returns true if an unmasked x87 exception is pending (#MF);
 * kvm_set_mmx() puts the x87 unit in MMX mode and, if @write, stores @val.
 */
bool kvm_get_mmx(struct kvm_vcpu *vcpu, unsigned int reg, u64 *val);
void kvm_set_mmx(struct kvm_vcpu *vcpu, unsigned int reg, u64 val, bool write);

/* Set a KVM_REQ_* on every vCPU and kick those in guest mode out of it. */
void kvm_make_all_vcpus_request(struct kvm *kvm, int req);
/* The same, and wait until every vCPU in guest mode has left it.  May sleep. */
void kvm_make_all_vcpus_request_wait(struct kvm *kvm, int req);
/*
 * Flush every vCPU's guest TLB: when it returns, no vCPU runs in guest
 * mode with a translation from before the call.  May sleep.
 */
void kvm_flush_remote_tlbs(struct kvm *kvm);

#include "paging_mode.h"

/* x86.c: the run loop and the generic halves of exits. */
int kvm_arch_vcpu_run(struct kvm_vcpu *vcpu);
void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 vector);
void kvm_queue_exception_e(struct kvm_vcpu *vcpu, u8 vector, u32 error_code);
void kvm_exception_set_rf(struct kvm_vcpu *vcpu);
/* #DF, #TS, #NP, #SS, #GP, #PF and #AC push an error code. */
bool kvm_exception_has_error_code(u8 vector);
/* Bit @bit of register @reg (0 EAX, 1 EBX, 2 ECX, 3 EDX) of CPUID @function, index 0. */
bool kvm_guest_has(struct kvm_vcpu *vcpu, u32 function, int reg, u32 bit);
/*
 * Checks of a new CR0, CR4 or EFER value, or of a whole KVM_SET_SREGS:
 * NULL if the value is valid, else why not (for the kernel log).  @host:
 * written by userspace (KVM_SET_MSRS), not by the guest.
 */
const char *kvm_cr0_invalid(struct kvm_vcpu *vcpu, u64 cr0);
const char *kvm_cr4_invalid(struct kvm_vcpu *vcpu, u64 cr4);
const char *kvm_efer_invalid(struct kvm_vcpu *vcpu, u64 efer, bool host);
const char *kvm_apic_base_invalid(struct kvm_vcpu *vcpu, u64 apic_base);
const char *kvm_sregs_invalid(struct kvm_vcpu *vcpu, const struct kvm_sregs *s);
int kvm_set_cr0(struct kvm_vcpu *vcpu, u64 cr0);
int kvm_set_cr3(struct kvm_vcpu *vcpu, u64 cr3);
int kvm_set_cr4(struct kvm_vcpu *vcpu, u64 cr4);
int kvm_set_efer(struct kvm_vcpu *vcpu, u64 efer, bool host);
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
/* MOV to/from DR0-DR7 (DR4/DR5 alias DR6/DR7): kvm_set_dr() returns 1 for #GP. */
u64 kvm_get_dr(struct kvm_vcpu *vcpu, int dr);
int kvm_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val);
/* Around the entry, interrupts off: the guest's DR0-DR3, then the host's. */
bool kvm_load_guest_drs(struct kvm_vcpu *vcpu);
void kvm_put_host_drs(bool guest_drs);
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int len);

/* io.c: port I/O, MMIO and the emulator's guest accesses. */
int kvm_emulate_pio(struct kvm_vcpu *vcpu, bool in, u16 port, int size,
		    bool string, bool rep, int addr_size, int seg, u64 next_rip);
int kvm_emulate_instruction(struct kvm_vcpu *vcpu);
/*
 * A #PF intercepted in a guest that runs on shadow page tables: the MMU
 * strategy fixes the shadow tables, reflects the fault to the guest, or
 * has the instruction emulated (MMIO, a write to a protected table).
 * Returns as an exit handler does.
 */
int kvm_handle_page_fault(struct kvm_vcpu *vcpu, gva_t addr, u32 error_code);
int kvm_emulation_failed(struct kvm_vcpu *vcpu, const u8 *insn, int len);
int kvm_fetch_insn(struct kvm_vcpu *vcpu, u8 *buf);
/* At KVM_RUN: finish the exit userspace answered.  As an exit handler. */
int kvm_complete_userspace_io(struct kvm_vcpu *vcpu);
/* An instruction's legacy prefixes, for the intercepts that decode one. */
struct kvm_prefixes {
	int len;	/* bytes of legacy prefixes */
	bool lock;	/* F0 */
	bool adsz;	/* 67 */
	int seg;	/* the last segment override, or VCPU_SREG_DS */
};
void kvm_scan_prefixes(const u8 *b, int n, struct kvm_prefixes *p);
void kvm_string_io_prefixes(struct kvm_vcpu *vcpu, int *seg, int *asize);

/* x86.c, continued: retiring and faulting instructions, odd exits. */
void kvm_inject_page_fault(struct kvm_vcpu *vcpu, gva_t addr, u32 error_code);
/* Retire the instruction at RIP (it ends any interrupt shadow). */
void kvm_skip_instruction(struct kvm_vcpu *vcpu, int len);
void kvm_set_next_rip(struct kvm_vcpu *vcpu, u64 rip);
int kvm_exit_internal_error(struct kvm_vcpu *vcpu, u32 suberror,
			    const u64 *data, int ndata);
void kvm_exit_unknown(struct kvm_vcpu *vcpu, u64 hardware_exit_reason);

/* msr.c */
int kvm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu);
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu);

/* msr_misc.c; these and the vendor hooks answer KVM_MSR_UNKNOWN for others. */
#define KVM_MSR_UNKNOWN		(-ENOENT)
void kvm_misc_msr_reset(struct kvm_vcpu *vcpu);
bool kvm_guest_vendor_is(struct kvm_vcpu *vcpu, const char *name);
int kvm_misc_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvm_misc_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
bool kvm_host_has_tsc_aux(void);
bool kvm_guest_has_tsc_aux(struct kvm_vcpu *vcpu);
bool kvm_tsc_aux_load_guest(struct kvm_vcpu *vcpu, bool any_guest, u64 *host);
void kvm_tsc_aux_put_host(bool loaded, u64 host);

/* clock.c: kvmclock. */
void kvm_clock_setup(void);
void kvm_clock_unsetup(void);
void kvm_clock_init_vm(struct kvm *kvm);
void kvm_clock_update(struct kvm_vcpu *vcpu);
void kvm_clock_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void kvm_clock_tsc_changed(struct kvm_vcpu *vcpu);
bool kvm_clock_msr(u32 msr);
int kvm_clock_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data);
int kvm_clock_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host);
int kvm_vm_clock_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);

/* mce.c */
int kvm_dev_get_mce_cap_supported(u64 __user *ucap);
void kvm_mce_reset(struct kvm_vcpu *vcpu);
int kvm_vcpu_setup_mce(struct kvm_vcpu *vcpu, u64 __user *ucap);
int kvm_vcpu_set_mce(struct kvm_vcpu *vcpu, struct kvm_x86_mce __user *umce);
bool kvm_mce_msr(u32 msr);
int kvm_mce_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data, bool host);
int kvm_mce_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host);
#define KVM_MAX_MSRS_TO_SAVE	40
unsigned int kvm_msrs_to_save(u32 *list);

/* cpuid.c */
/*
 * The backend runs RDTSCP and RDPID with the guest's TSC_AUX (set at
 * hardware_setup: SVM where the host has them, VMX where the "enable
 * RDTSCP" control exists too): KVM_GET_SUPPORTED_CPUID offers them.
 */
extern bool kvm_cap_rdtscp;
int kvm_dev_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid);
const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu,
						     u32 function, u32 index);

/* irqchip/irq.c: the irqchip's VM and vCPU ioctls, and the run loop's side. */
static inline bool irqchip_in_kernel(struct kvm *kvm)
{
	/* Pairs with the smp_store_release() in KVM_CREATE_IRQCHIP. */
	return smp_load_acquire(&kvm->irqchip_mode) != KVM_IRQCHIP_NONE;
}

static inline bool irqchip_split(struct kvm *kvm)
{
	return smp_load_acquire(&kvm->irqchip_mode) == KVM_IRQCHIP_SPLIT;
}

static inline bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->apic;
}

static inline bool pic_in_kernel(struct kvm *kvm)
{
	return smp_load_acquire(&kvm->irqchip_mode) == KVM_IRQCHIP_KERNEL;
}

static inline void kvm_make_request(int req, struct kvm_vcpu *vcpu)
{
	set_bit(req, &vcpu->requests);
}

bool kvm_irqchip_ready_for_extint(struct kvm_vcpu *vcpu);

/*
 * Userspace's request_interrupt_window, where it counts: without an
 * in-kernel APIC; with the split irqchip only while the local APIC takes
 * the userspace PIC's ExtINT (LINT0), else the window would open and
 * exit for an interrupt the guest can never take; never with the PIC in
 * the kernel (upstream's rule).  Any context.
 */
static inline bool kvm_userspace_irq_window(struct kvm_vcpu *vcpu)
{
	if (!READ_ONCE(vcpu->run->request_interrupt_window))
		return false;
	if (!lapic_in_kernel(vcpu))
		return true;
	return irqchip_split(vcpu->kvm) && kvm_irqchip_ready_for_extint(vcpu);
}

/* An interrupt window is wanted: the in-kernel irqchip's, or userspace's. */
static inline bool kvm_want_irq_window(struct kvm_vcpu *vcpu)
{
	return vcpu->irq_window || kvm_userspace_irq_window(vcpu);
}

int kvm_irqchip_vm_init(struct kvm *kvm);
void kvm_irqchip_vm_destroy(struct kvm *kvm);
long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);
int kvm_irqchip_enable_split(struct kvm *kvm, const struct kvm_enable_cap *cap);
int kvm_irqchip_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_irqchip_vcpu_destroy(struct kvm_vcpu *vcpu);
long kvm_irqchip_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp);
int kvm_irqchip_check_extension(long ext);
/*
 * Before each entry: INIT and SIPI, the timer, and the interrupt the
 * guest takes now into pending_irq (or irq_window).  False if the vCPU
 * waits for a SIPI and must not enter.
 */
bool kvm_irqchip_pre_entry(struct kvm_vcpu *vcpu);
/* An event wakes a halted vCPU (an interrupt with IF set, INIT, SIPI). */
bool kvm_irqchip_has_wake_event(struct kvm_vcpu *vcpu);
/* CR8 (MOV CR8, KVM_SET_SREGS): the in-kernel APIC's TPR[7:4]. */
static inline void kvm_set_cr8(struct kvm_vcpu *vcpu, u64 cr8)
{
	if (lapic_in_kernel(vcpu))
		kvm_lapic_set_tpr(vcpu, cr8);
	else
		vcpu->cr8 = cr8;
}
struct seq_file;
void kvm_irqchip_show(struct seq_file *m, struct kvm *kvm);
int kvm_irqchip_get_mp_state(struct kvm_vcpu *vcpu);
int kvm_irqchip_set_mp_state(struct kvm_vcpu *vcpu, u32 state);
int kvm_irqchip_interrupt(struct kvm_vcpu *vcpu, u32 vector);
/* Before the next entry, exit with KVM_EXIT_IOAPIC_EOI for @vector. */
void kvm_irqchip_ioapic_eoi_exit(struct kvm_vcpu *vcpu, int vector);
/* vcpu.c: RESET, or INIT (@init_event: MSRs and the APIC base kept). */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event);

#endif /* KVM_RESEARCH_KVM_HOST_H */
