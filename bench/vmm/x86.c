// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: x86 specifics: CPUID, the GDT and identity page tables the VMM
 * builds in guest memory, and each mode's starting registers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)

enum { EAX, EBX, ECX, EDX };

#define CPUID1_ECX_TSC_DEADLINE	(1U << 24)

const char *mode__name(enum vmm_mode mode)
{
	switch (mode) {
	case MODE_REAL: return "real";
	case MODE_RESET: return "reset";
	case MODE_PROT32: return "prot32";
	case MODE_PAE: return "pae";
	case MODE_LONG: return "long";
	}
	return "?";
}

struct kvm_cpuid_entry2 *cpuid__find(struct kvm_cpuid2 *cpuid,
				     uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

bool cpuid__has(struct kvm_cpuid2 *cpuid, uint32_t function, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = cpuid__find(cpuid, function, 0);
	uint32_t v;

	if (!e)
		return false;
	switch (reg) {
	case EAX: v = e->eax; break;
	case EBX: v = e->ebx; break;
	case ECX: v = e->ecx; break;
	default: v = e->edx; break;
	}
	return (v >> bit) & 1;
}

void vm__setup_cpuid(struct vm *vm)
{
	uint32_t nent = 64;

	for (;;) {
		vm->cpuid = calloc(1, sizeof(*vm->cpuid) +
				   nent * sizeof(vm->cpuid->entries[0]));
		if (!vm->cpuid)
			vm__die_errno(vm, "calloc cpuid");
		vm->cpuid->nent = nent;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) == 0)
			return;
		if (errno != E2BIG || nent >= 4096)
			vm__die_errno(vm, "KVM_GET_SUPPORTED_CPUID");
		free(vm->cpuid);
		nent *= 2;
	}
}

/*
 * The supported CPUID, with this vCPU's APIC ID in it and the hypervisor
 * bit set (KVM leaves that to userspace, as QEMU and kvmtool do); with an
 * in-kernel irqchip, the TSC deadline timer where KVM has
 * KVM_CAP_TSC_DEADLINE_TIMER (that bit is userspace's too).
 */
void vcpu__setup_cpuid(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_cpuid2 *c;
	size_t size;
	uint32_t i;
	char what[64];
	bool tsc_deadline;

	tsc_deadline = vm->opt.irqchip &&
		       ioctl(vm->sys_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	size = sizeof(*c) + vm->cpuid->nent * sizeof(c->entries[0]);
	c = malloc(size);
	if (!c)
		vm__die_errno(vm, "malloc cpuid");
	memcpy(c, vm->cpuid, size);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x00ffffff) | ((uint32_t)vcpu->id << 24);
			e->ecx |= 1U << 31;	/* hypervisor */
			if (tsc_deadline)
				e->ecx |= CPUID1_ECX_TSC_DEADLINE;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;
			break;
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_CPUID2 vcpu %d", vcpu->id);
		vm__die_errno(vm, what);
	}
	free(c);
}

static void put64(struct vm *vm, uint64_t gpa, uint64_t v)
{
	uint64_t *p = vm__gpa_to_hva(vm, gpa, 8);

	if (!p)
		vm__exit(vm, VMM_EXIT_USAGE, "guest RAM too small for tables at 0x%" PRIx64,
			 gpa);
	*p = v;
}

/* A GDT descriptor: base 0, limit 4 GiB (or 64 KiB), type and flags. */
static uint64_t gdt__entry(uint8_t access, uint8_t flags, uint32_t limit)
{
	return (uint64_t)(limit & 0xffff) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52);
}

static bool vm__gbpages(struct vm *vm)
{
	return !vm->opt.no_gbpages &&
	       cpuid__has(vm->cpuid, 0x80000001, EDX, 26);
}

/*
 * The GDT (all protected modes), and for pae/long identity-mapping page
 * tables: PAE maps 4 GiB with 2 MiB pages; long mode maps max(4 GiB, top
 * of RAM) with 1 GiB pages when CPUID has them, else 2 MiB pages.
 */
void vm__setup_tables(struct vm *vm)
{
	enum vmm_mode mode = vm->opt.mode;
	uint64_t gib, i, j, top;

	if (mode == MODE_REAL || mode == MODE_RESET)
		return;

	put64(vm, GDT_ADDR + 0x00, 0);
	put64(vm, GDT_ADDR + SEL_CODE32, gdt__entry(0x9b, 0xc, 0xfffff));
	put64(vm, GDT_ADDR + SEL_DATA, gdt__entry(0x93, 0xc, 0xfffff));
	put64(vm, GDT_ADDR + SEL_CODE64, gdt__entry(0x9b, 0xa, 0xfffff));
	put64(vm, GDT_ADDR + SEL_DATA64, gdt__entry(0x93, 0xc, 0xfffff));
	put64(vm, GDT_ADDR + SEL_CODE16, gdt__entry(0x9b, 0x0, 0xffff));
	put64(vm, GDT_ADDR + SEL_DATA16, gdt__entry(0x93, 0x0, 0xffff));

	if (mode == MODE_PAE) {
		/* PDPT at PT_ADDR, four PDs after it. */
		for (i = 0; i < 4; i++) {
			uint64_t pd = PT_ADDR + 0x1000 * (i + 1);

			put64(vm, PT_ADDR + 8 * i, pd | PTE_P);
			for (j = 0; j < 512; j++)
				put64(vm, pd + 8 * j,
				      ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS);
		}
		return;
	}
	if (mode != MODE_LONG)
		return;

	top = vm->ram_size > vm->low_size ?
	      HIGH_RAM_BASE + (vm->ram_size - vm->low_size) : vm->low_size;
	gib = (top + (1ULL << 30) - 1) >> 30;
	if (gib < 4)
		gib = 4;
	if (gib > 512)
		vm__exit(vm, VMM_EXIT_USAGE, "long mode maps at most 512 GiB");
	/* PML4 at PT_ADDR, one PDPT, PDs after it. */
	put64(vm, PT_ADDR, (PT_ADDR + 0x1000) | PTE_P | PTE_RW | PTE_US);
	for (i = 0; i < gib; i++) {
		uint64_t pd = PT_ADDR + 0x2000 + 0x1000 * i;

		if (vm__gbpages(vm)) {
			put64(vm, PT_ADDR + 0x1000 + 8 * i,
			      (i << 30) | PTE_P | PTE_RW | PTE_PS);
			continue;
		}
		if (pd + 0x1000 > PT_END)
			vm__exit(vm, VMM_EXIT_USAGE,
				 "%" PRIu64 " GiB need 1 GiB pages, which the CPU lacks",
				 gib);
		put64(vm, PT_ADDR + 0x1000 + 8 * i, pd | PTE_P | PTE_RW | PTE_US);
		for (j = 0; j < 512; j++)
			put64(vm, pd + 8 * j,
			      ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS);
	}
}

static void seg__flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
		      bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

static void seg__real(struct kvm_segment *s, uint16_t sel)
{
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
}

void vcpu__setup_mode(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	enum vmm_mode mode = vm->opt.mode;
	struct kvm_sregs s;
	struct kvm_regs r;
	bool nx = cpuid__has(vm->cpuid, 0x80000001, EDX, 20);
	bool fxsr = cpuid__has(vm->cpuid, 1, EDX, 24);
	uint64_t cr4 = fxsr ? X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT : 0;
	char what[64];

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(what, sizeof(what), "KVM_GET_SREGS vcpu %d", vcpu->id);
		vm__die_errno(vm, what);
	}

	switch (mode) {
	case MODE_RESET:
		/* KVM's reset state: CS:IP = F000:FFF0, CS base 0xffff0000. */
		break;

	case MODE_REAL:
		seg__real(&s.cs, 0);
		seg__real(&s.ds, 0);
		seg__real(&s.es, 0);
		seg__real(&s.fs, 0);
		seg__real(&s.gs, 0);
		seg__real(&s.ss, 0);
		break;

	case MODE_PROT32:
	case MODE_PAE:
	case MODE_LONG:
		s.gdt.base = GDT_ADDR;
		s.gdt.limit = SEL_DATA16 + 7;
		s.idt.base = 0;
		s.idt.limit = 0;	/* any exception: triple fault */
		if (mode == MODE_LONG) {
			seg__flat(&s.cs, SEL_CODE64, 0xb, true, false);
			seg__flat(&s.ds, SEL_DATA64, 0x3, false, true);
		} else {
			seg__flat(&s.cs, SEL_CODE32, 0xb, false, true);
			seg__flat(&s.ds, SEL_DATA, 0x3, false, true);
		}
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE;
		s.cr4 = cr4;
		s.efer = 0;
		if (mode == MODE_PAE || mode == MODE_LONG) {
			s.cr0 |= X86_CR0_PG | X86_CR0_WP;
			s.cr3 = PT_ADDR;
			s.cr4 |= X86_CR4_PAE;
			if (nx)
				s.efer |= EFER_NXE;
		}
		if (mode == MODE_LONG)
			s.efer |= EFER_LME | EFER_LMA;
		break;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_SREGS vcpu %d (mode %s)",
			 vcpu->id, mode__name(mode));
		vm__die_errno(vm, what);
	}

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0) {
		snprintf(what, sizeof(what), "KVM_GET_REGS vcpu %d", vcpu->id);
		vm__die_errno(vm, what);
	}
	if (mode != MODE_RESET) {
		memset(&r, 0, sizeof(r));
		r.rflags = 0x2;
		r.rip = vm->opt.entry;
		/* A small stack of its own below 1 MiB; crt0 sets a real one. */
		r.rsp = mode == MODE_REAL ? REAL_LOAD_ADDR :
			0x100000 - 0x1000 * (uint64_t)(vcpu->id % 64);
		r.rdx = vm->opt.mem_mib;
	}
	r.rdi = vcpu->id;
	r.rsi = vm->opt.nr_vcpus;
	r.rcx = vm->opt.irqchip ? VMM_FLAG_IRQCHIP : 0;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_REGS vcpu %d", vcpu->id);
		vm__die_errno(vm, what);
	}
}
