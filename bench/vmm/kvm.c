// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: the VM, its memory and its vCPUs, and the vCPU run loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define MiB (1ULL << 20)
/* A transparent huge page on x86-64. */
#define THP_SIZE (2 * MiB)

void vm__create(struct vm *vm)
{
	int version, tss;

	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		vm__die_errno(vm, "open /dev/kvm");
	version = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (version < 0)
		vm__die_errno(vm, "KVM_GET_API_VERSION");
	if (version != KVM_API_VERSION)
		vm__exit(vm, VMM_EXIT_KVM, "KVM API version %d, want %d",
			 version, KVM_API_VERSION);

	vm->fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		vm__die_errno(vm, "KVM_CREATE_VM");

	vm->vcpu_mmap_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < 0)
		vm__die_errno(vm, "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)vm->vcpu_mmap_size < sizeof(struct kvm_run))
		vm__exit(vm, VMM_EXIT_KVM, "KVM_GET_VCPU_MMAP_SIZE: %d is smaller than struct kvm_run",
			 vm->vcpu_mmap_size);

	/*
	 * VMX without unrestricted guest runs real mode in vm86 and needs
	 * three pages for a TSS; put them just below the BIOS alias, where
	 * QEMU puts them too.  Only where the module asks for it.
	 */
	tss = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR);
	if (tss > 0 && ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		vm__die_errno(vm, "KVM_SET_TSS_ADDR");
}

/*
 * --irqchip kernel: the PICs, the IOAPIC and a local APIC per vCPU in the
 * kernel (KVM_CREATE_IRQCHIP, before any vCPU).  HLT then waits in the
 * kernel for an interrupt, and APs start waiting for INIT and SIPI
 * (vcpu__make_runnable()).
 */
void vm__create_irqchip(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { 24 },		/* IOAPIC pins, as QEMU's */
	};

	/*
	 * --irqchip split: only the local APICs in the kernel; the PICs and
	 * the IOAPIC would be userspace's (this VMM has none).
	 */
	if (vm->opt.split_irqchip) {
		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap) < 0)
			vm__die_errno(vm, "KVM_ENABLE_CAP KVM_CAP_SPLIT_IRQCHIP");
		return;
	}
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		vm__exit(vm, VMM_EXIT_KVM, "--irqchip kernel: KVM_CAP_IRQCHIP: this KVM has no in-kernel irqchip");
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		vm__die_errno(vm, "KVM_CREATE_IRQCHIP");
}

static void vm__add_slot(struct vm *vm, uint64_t gpa, uint64_t size,
			 uint8_t *hva)
{
	struct kvm_userspace_memory_region region;
	struct mem_slot *s;
	int max;

	if (vm->nr_slots == (int)(sizeof(vm->slots) / sizeof(vm->slots[0])))
		vm__exit(vm, VMM_EXIT_USAGE, "too many memory slots (%d): raise --slot-mib",
			 vm->nr_slots);
	max = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (max > 0 && vm->nr_slots >= max)
		vm__exit(vm, VMM_EXIT_USAGE, "KVM allows %d memory slots: raise --slot-mib",
			 max);

	memset(&region, 0, sizeof(region));
	region.slot = vm->nr_slots;
	region.guest_phys_addr = gpa;
	region.memory_size = size;
	region.userspace_addr = (uintptr_t)hva;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int e = errno;

		vm__exit(vm, VMM_EXIT_KVM,
			 "KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%" PRIx64
			 " size 0x%" PRIx64 ": %s (errno %d)",
			 region.slot, gpa, size, strerror(e), e);
	}
	s = &vm->slots[vm->nr_slots++];
	s->gpa = gpa;
	s->size = size;
	s->hva = hva;
}

/* One RAM range, cut into slots of at most --slot-mib. */
static void vm__add_ram(struct vm *vm, uint64_t gpa, uint64_t size,
			uint8_t *hva)
{
	uint64_t chunk = vm->opt.slot_mib ? vm->opt.slot_mib * MiB : size;

	while (size) {
		uint64_t n = size < chunk ? size : chunk;

		vm__add_slot(vm, gpa, n, hva);
		gpa += n;
		hva += n;
		size -= n;
	}
}

/*
 * Guest RAM: anonymous memory, by default 2 MiB-aligned and with
 * MADV_HUGEPAGE, as QEMU maps it, so that transparent huge pages can back
 * it and a nested-paging MMU (ours, mmu=tdp, or upstream's) can map it
 * with 2 MiB leaves.  Without THP in the host kernel, madvise() fails and
 * the memory stays in 4 KiB pages.
 */
static uint8_t *ram__map(struct vm *vm, uint64_t size)
{
	uint64_t extra = vm->opt.no_thp ? 0 : THP_SIZE;
	uint8_t *p, *ram;
	uint64_t head;

	p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		vm__die_errno(vm, "mmap guest RAM");
	if (!extra)
		return p;
	head = -(uintptr_t)p & (THP_SIZE - 1);
	ram = p + head;
	if (head)
		munmap(p, head);
	if (extra - head)
		munmap(ram + size, extra - head);
	madvise(ram, size, MADV_HUGEPAGE);
	return ram;
}

void vm__setup_memory(struct vm *vm)
{
	vm->ram_size = vm->opt.mem_mib * MiB;
	vm->low_size = vm->ram_size < LOW_RAM_MAX ? vm->ram_size : LOW_RAM_MAX;
	vm->ram = ram__map(vm, vm->ram_size);

	vm__add_ram(vm, 0, vm->low_size, vm->ram);
	if (vm->ram_size > vm->low_size)
		vm__add_ram(vm, HIGH_RAM_BASE, vm->ram_size - vm->low_size,
			    vm->ram + vm->low_size);
	/* The reset vector's 64 KiB, seen at the top of 4 GiB too. */
	if (vm->opt.mode == MODE_RESET)
		vm__add_slot(vm, RESET_ALIAS_ADDR, RESET_ALIAS_SIZE,
			     vm->ram + (0x100000 - RESET_ALIAS_SIZE));
}

void *vm__gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < vm->low_size && len <= vm->low_size - gpa)
		return vm->ram + gpa;
	if (gpa >= HIGH_RAM_BASE) {
		uint64_t off = gpa - HIGH_RAM_BASE;
		uint64_t high = vm->ram_size - vm->low_size;

		if (off < high && len <= high - off)
			return vm->ram + vm->low_size + off;
	}
	return NULL;
}

void vm__load_image(struct vm *vm)
{
	struct options *o = &vm->opt;
	struct stat st;
	uint8_t *dst;
	ssize_t n;
	size_t done = 0;
	int fd;

	fd = open(o->image, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		vm__exit(vm, VMM_EXIT_USAGE, "%s: %s", o->image, strerror(e));
	}
	if (st.st_size == 0)
		vm__exit(vm, VMM_EXIT_USAGE, "%s: empty image", o->image);

	if (o->load_addr == ~0ULL) {
		switch (o->mode) {
		case MODE_REAL:
			o->load_addr = REAL_LOAD_ADDR;
			break;
		case MODE_RESET:
			if (st.st_size > (off_t)RESET_ALIAS_SIZE)
				vm__exit(vm, VMM_EXIT_USAGE,
					 "%s: %lld bytes: a reset image has at most 64 KiB",
					 o->image, (long long)st.st_size);
			o->load_addr = 0x100000 - st.st_size;
			break;
		default:
			o->load_addr = LOAD_ADDR;
			break;
		}
	}
	if (o->entry == ~0ULL)
		o->entry = o->load_addr;

	dst = vm__gpa_to_hva(vm, o->load_addr, st.st_size);
	if (!dst)
		vm__exit(vm, VMM_EXIT_USAGE,
			 "%s: %lld bytes at 0x%" PRIx64 " do not fit in guest RAM",
			 o->image, (long long)st.st_size, o->load_addr);
	while (done < (size_t)st.st_size) {
		n = read(fd, dst + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			vm__exit(vm, VMM_EXIT_USAGE, "read %s: %s", o->image,
				 strerror(e));
		}
		done += n;
	}
	close(fd);
}

void vcpu__create(struct vm *vm, struct vcpu *vcpu, int id)
{
	char what[64];

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		snprintf(what, sizeof(what), "KVM_CREATE_VCPU %d", id);
		vm__die_errno(vm, what);
	}
	vcpu->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		snprintf(what, sizeof(what), "mmap vcpu %d kvm_run", id);
		vm__die_errno(vm, what);
	}
}

/*
 * With an in-kernel local APIC, KVM starts an AP in
 * KVM_MP_STATE_UNINITIALIZED, waiting for INIT and SIPI.  The VMM sets its
 * registers itself (vcpu__setup_mode()), so it makes it runnable there,
 * as QEMU does at reset for the CPUs it sets up.
 */
void vcpu__make_runnable(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	char what[64];

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_MP_STATE vcpu %d", vcpu->id);
		vm__die_errno(vcpu->vm, what);
	}
}

static void seg__dump(struct vm *vm, const char *name, struct kvm_segment *s)
{
	vmm__msg(vm, "  %-4s sel 0x%04x base 0x%016llx limit 0x%08x type %u p %u dpl %u db %u s %u l %u g %u%s",
		 name, s->selector, (unsigned long long)s->base, s->limit,
		 s->type, s->present, s->dpl, s->db, s->s, s->l, s->g,
		 s->unusable ? " unusable" : "");
}

/* The vCPU's registers on stderr, after a fatal exit. */
void vcpu__dump(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0) {
		vmm__msg(vm, "KVM_GET_REGS: %s (errno %d)", strerror(errno), errno);
		return;
	}
	vmm__msg(vm, "  rip 0x%016llx rflags 0x%08llx", r.rip, r.rflags);
	vmm__msg(vm, "  rax 0x%016llx rbx 0x%016llx rcx 0x%016llx rdx 0x%016llx",
		 r.rax, r.rbx, r.rcx, r.rdx);
	vmm__msg(vm, "  rsi 0x%016llx rdi 0x%016llx rsp 0x%016llx rbp 0x%016llx",
		 r.rsi, r.rdi, r.rsp, r.rbp);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		vmm__msg(vm, "KVM_GET_SREGS: %s (errno %d)", strerror(errno), errno);
		return;
	}
	vmm__msg(vm, "  cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx",
		 s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	seg__dump(vm, "cs", &s.cs);
	seg__dump(vm, "ds", &s.ds);
	seg__dump(vm, "ss", &s.ss);
	seg__dump(vm, "tr", &s.tr);
	vmm__msg(vm, "  gdt 0x%llx/0x%x idt 0x%llx/0x%x",
		 s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

static const char *exit_reason__name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
		[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
		[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
		[KVM_EXIT_NOTIFY] = "NOTIFY",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

static const char *internal_error__name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	}
	return "?";
}

static void vcpu__stop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	vm->running--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

static void vcpu__trace(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vmm__msg(vm, "vcpu %d: exit IO %s port 0x%x size %u count %u",
			 vcpu->id,
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		vmm__msg(vm, "vcpu %d: exit MMIO %s 0x%llx len %u", vcpu->id,
			 run->mmio.is_write ? "write" : "read",
			 run->mmio.phys_addr, run->mmio.len);
		break;
	default:
		vmm__msg(vm, "vcpu %d: exit %s (%u)", vcpu->id,
			 exit_reason__name(run->exit_reason), run->exit_reason);
		break;
	}
}

/*
 * Run the vCPU until the guest ends the run: returns ACT_EXIT with
 * vcpu->exit_status set, or ACT_STOP when only this vCPU stops.
 */
static enum action vcpu__run(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	enum action act;
	uint64_t total;
	uint32_t i;

	for (;;) {
		ust__before_kvm_run(vcpu);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vcpu->exit_status = VMM_EXIT_KVM;
			vmm__msg(vm, "vcpu %d: KVM_RUN: %s (errno %d)",
				 vcpu->id, strerror(errno), errno);
			return ACT_EXIT;
		}
		ust__after_kvm_run(vcpu);
		vcpu->exits++;
		total = __atomic_add_fetch(&vm->total_exits, 1, __ATOMIC_RELAXED);
		if (vm->opt.trace)
			vcpu__trace(vcpu);

		act = ACT_CONTINUE;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu->exits_io++;
			act = io__handle(vcpu, run->io.port, run->io.size,
					 run->io.direction == KVM_EXIT_IO_OUT,
					 (uint8_t *)run + run->io.data_offset,
					 run->io.count);
			break;

		case KVM_EXIT_MMIO:
			vcpu->exits_mmio++;
			act = mmio__handle(vcpu, run->mmio.phys_addr,
					   run->mmio.data, run->mmio.len,
					   run->mmio.is_write);
			break;

		case KVM_EXIT_HLT:
			vcpu->exits_hlt++;
			if (vm->opt.on_hlt == HLT_CONTINUE)
				break;
			if (vm->opt.on_hlt == HLT_STOP)
				return ACT_STOP;
			vmm__msg(vm, "hlt (vcpu %d)", vcpu->id);
			vcpu->exit_status = VMM_EXIT_HLT;
			return ACT_EXIT;

		case KVM_EXIT_SET_TPR:
			/* The guest lowered CR8; we have no APIC holding an interrupt. */
			break;

		case KVM_EXIT_SHUTDOWN:
			vmm__msg(vm, "shutdown (vcpu %d): triple fault", vcpu->id);
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_SHUTDOWN;
			return ACT_EXIT;

		case KVM_EXIT_INTERNAL_ERROR:
			vmm__msg(vm, "internal error (vcpu %d): suberror %u (%s), %u data words",
				 vcpu->id, run->internal.suberror,
				 internal_error__name(run->internal.suberror),
				 run->internal.ndata);
			for (i = 0; i < run->internal.ndata && i < 16; i++)
				vmm__msg(vm, "  data[%u] 0x%llx", i,
					 run->internal.data[i]);
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_INTERNAL;
			return ACT_EXIT;

		case KVM_EXIT_FAIL_ENTRY:
			vmm__msg(vm, "failed entry (vcpu %d): hardware reason 0x%llx on cpu %u",
				 vcpu->id,
				 run->fail_entry.hardware_entry_failure_reason,
				 run->fail_entry.cpu);
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_FAIL_ENTRY;
			return ACT_EXIT;

		case KVM_EXIT_UNKNOWN:
			vmm__msg(vm, "unknown exit (vcpu %d): hardware reason 0x%llx",
				 vcpu->id, run->hw.hardware_exit_reason);
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_UNHANDLED;
			return ACT_EXIT;

		case KVM_EXIT_SYSTEM_EVENT:
			vmm__msg(vm, "system event (vcpu %d): type %u",
				 vcpu->id, run->system_event.type);
			vcpu->exit_status = VMM_EXIT_UNHANDLED;
			return ACT_EXIT;

		default:
			vmm__msg(vm, "unhandled exit (vcpu %d): reason %u (KVM_EXIT_%s)",
				 vcpu->id, run->exit_reason,
				 exit_reason__name(run->exit_reason));
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_UNHANDLED;
			return ACT_EXIT;
		}

		if (act != ACT_CONTINUE)
			return act;
		if (vm->opt.max_exits && total >= vm->opt.max_exits) {
			vmm__msg(vm, "%" PRIu64 " exits: --max-exits reached",
				 total);
			vcpu__dump(vcpu);
			vcpu->exit_status = VMM_EXIT_LIMIT;
			return ACT_EXIT;
		}
	}
}

void *vcpu__thread(void *arg)
{
	struct vcpu *vcpu = arg;
	enum action act;

	ust__run_start(vcpu);
	act = vcpu__run(vcpu);
	ust__run_end(vcpu, act);
	if (act == ACT_EXIT)
		vm__exit(vcpu->vm, vcpu->exit_status, NULL);
	vcpu__stop(vcpu);
	return NULL;
}
