// SPDX-License-Identifier: GPL-2.0
/*
 * The "iso" group of the ABI suite: regression tests of the isolation
 * defects of issue 15, each of which failed on the module before its fix.
 *
 * - KVM_SET_SREGS refuses every state upstream's kvm_is_valid_sregs()
 *   refuses (EFER.LMA without CR0.PG was the hole: mmu=cached built a PAE
 *   root that the CPU, in long mode, walked as 4 levels), says why in the
 *   kernel log, and leaves the state as it was; KVM_SET_MSRS refuses an
 *   EFER that would change the paging mode under paging; KVM_SET_CPUID2
 *   may not change the table after KVM_RUN.
 * - A failed KVM_CREATE_VCPU leaves the VM's remote TLB flushes working
 *   (debugfs kvm/PID-FD/mmu: remote_flushes).
 * - KVM_SET_TSS_ADDR: once a VM (0 included), nothing wraps, no mapping
 *   leaks.
 */
#include <sys/resource.h>

#include "abi.h"

#define CR0_PE		0x1ULL
#define CR0_ET		0x10ULL
#define CR0_NW		(1ULL << 29)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_VMXE	(1ULL << 13)
#define CR4_SMEP	(1ULL << 20)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_SVME	(1ULL << 12)

/* A flat 64-bit (l) or 32-bit code segment, and a flat data segment. */
static void iso_flat(struct kvm_sregs *s, bool l)
{
	s->cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 8,
		.type = 11, .present = 1, .s = 1, .l = l, .db = !l, .g = 1 };
	s->ds = s->es = s->fs = s->gs = s->ss = (struct kvm_segment){
		.limit = 0xffffffff, .selector = 16, .type = 3, .present = 1,
		.s = 1, .db = 1, .g = 1 };
	s->gdt.base = 0x1000;
	s->gdt.limit = 0x17;
}

struct bad_sregs {
	const char *name;
	uint64_t cr0, cr3, cr4, efer;
	bool cs_l, cs_d;
	const char *log;	/* what the kernel log must say */
};

/*
 * The kernel log's refusals are rate-limited (10 lines in 5 s), so only
 * the first IS_LOGGED entries, one of each reason, are looked up there.
 */
#define IS_LOGGED	9
static const struct bad_sregs bad_sregs[] = {
	{ "EFER.LMA|LME with CR0.PG clear (the hole)", CR0_PE | CR0_ET, 0x9000,
	  CR4_PAE, EFER_LME | EFER_LMA, true, false,
	  "EFER.LMA without EFER.LME and CR0.PG" },
	{ "EFER.LME and CR0.PG without LMA", CR0_PE | CR0_ET | CR0_PG, 0x9000,
	  CR4_PAE, EFER_LME, false, false, "EFER.LME and CR0.PG without EFER.LMA" },
	{ "long mode without CR4.PAE", CR0_PE | CR0_ET | CR0_PG, 0x9000, 0,
	  EFER_LME | EFER_LMA, true, false,
	  "long mode (EFER.LME and CR0.PG) without CR4.PAE" },
	{ "CS.L outside long mode", CR0_PE | CR0_ET, 0, 0, 0, true, false,
	  "CS.L outside long mode" },
	{ "64-bit CS with D set", CR0_PE | CR0_ET | CR0_PG, 0x9000, CR4_PAE,
	  EFER_LME | EFER_LMA, true, true, "with CS.D set" },
	{ "CR3 beyond MAXPHYADDR in long mode", CR0_PE | CR0_ET | CR0_PG,
	  1ULL << 60, CR4_PAE, EFER_LME | EFER_LMA, true, false,
	  "CR3 beyond the physical-address width" },
	{ "CR0 bit 32", (1ULL << 32) | CR0_PE | CR0_ET, 0, 0, 0, false, false,
	  "CR0 bits 63:32 are reserved" },
	{ "CR4.VMXE", CR0_PE | CR0_ET, 0, CR4_VMXE, 0, false, false,
	  "reserved or unsupported CR4 bits" },
	{ "EFER.SVME", CR0_PE | CR0_ET, 0, 0, EFER_SVME, false, false,
	  "reserved or unsupported EFER bits" },
	{ "EFER.LMA alone, CR0.PG clear", CR0_PE | CR0_ET, 0x9000, CR4_PAE,
	  EFER_LMA, false, false, "EFER.LMA without EFER.LME and CR0.PG" },
	{ "EFER.LMA without LME, paging on", CR0_PE | CR0_ET | CR0_PG, 0x9000,
	  CR4_PAE, EFER_LMA, true, false, "EFER.LMA without EFER.LME and CR0.PG" },
	{ "CR0.NW without CD", CR0_NW | CR0_PE | CR0_ET, 0, 0, 0, false, false,
	  "CR0.NW without CR0.CD" },
	{ "CR0.PG without PE", CR0_PG | CR0_ET, 0, 0, 0, false, false,
	  "CR0.PG without CR0.PE" },
	{ "CR4 bit 63", CR0_PE | CR0_ET, 0, 1ULL << 63, 0, false, false,
	  "reserved or unsupported CR4 bits" },
	{ "CR4.SMEP without SMEP in the guest's CPUID", CR0_PE | CR0_ET, 0,
	  CR4_SMEP, 0, false, false, "reserved or unsupported CR4 bits" },
	{ "EFER bit 63", CR0_PE | CR0_ET, 0, 0, 1ULL << 63, false, false,
	  "reserved or unsupported EFER bits" },
};

static void test_iso_sregs(void)
{
	struct kvm_sregs good, s, after;
	struct vm vm;
	struct vcpu v;
	char name[160];

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);

	/* A valid long-mode state first: it is taken as given. */
	ioctl(v.fd, KVM_GET_SREGS, &good);
	iso_flat(&good, true);
	good.cr0 = CR0_PE | CR0_ET | CR0_PG;
	good.cr3 = 0x9000;
	good.cr4 = CR4_PAE;
	good.efer = EFER_LME | EFER_LMA;
	expect_errno("iso: sregs: valid long mode accepted", 0,
		     ioctl_errno(v.fd, KVM_SET_SREGS, &good));
	ioctl(v.fd, KVM_GET_SREGS, &after);
	check(!memcmp(&good, &after, sizeof(good)),
	      "iso: sregs: valid long mode reads back", "differs");

	for (size_t i = 0; i < sizeof(bad_sregs) / sizeof(bad_sregs[0]); i++) {
		const struct bad_sregs *b = &bad_sregs[i];

		s = good;
		iso_flat(&s, b->cs_l);
		s.cs.db = b->cs_d;
		s.cr0 = b->cr0;
		s.cr3 = b->cr3;
		s.cr4 = b->cr4;
		s.efer = b->efer;
		snprintf(name, sizeof(name), "iso: sregs refused: %s", b->name);
		expect_errno(name, EINVAL, ioctl_errno(v.fd, KVM_SET_SREGS, &s));
		ioctl(v.fd, KVM_GET_SREGS, &after);
		snprintf(name, sizeof(name), "iso: sregs refused: %s: state unchanged",
			 b->name);
		check(!memcmp(&good, &after, sizeof(good)), name,
		      "cr0 %#llx cr4 %#llx efer %#llx", after.cr0, after.cr4,
		      after.efer);
		if (i >= IS_LOGGED)
			continue;
		snprintf(name, sizeof(name), "iso: sregs refused: %s: the kernel log says why",
			 b->name);
		check(kmsg_says(b->log), name, "no line with \"%s\"", b->log);
	}
	vm_destroy(&vm);
}

static void test_iso_efer_msr(void)
{
	struct kvm_sregs s;
	struct vm vm;
	struct vcpu v;

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);

	/* 32-bit paging on: EFER.LME may not change under it. */
	ioctl(v.fd, KVM_GET_SREGS, &s);
	iso_flat(&s, false);
	s.cr0 = CR0_PE | CR0_ET | CR0_PG;
	s.cr3 = 0x9000;
	s.cr4 = 0;
	s.efer = 0;
	ioctl(v.fd, KVM_SET_SREGS, &s);
	check(set_msr(v.fd, 0xc0000080, EFER_LME) == 0,
	      "iso: SET_MSRS EFER.LME under 32-bit paging refused", "it was set");
	check(kmsg_says("EFER.LME changed while paging is on"),
	      "iso: SET_MSRS EFER.LME: the kernel log says why", "no line");
	check(set_msr(v.fd, 0xc0000080, EFER_LMA) == 1,
	      "iso: SET_MSRS EFER.LMA alone: LMA is read-only, the write is taken",
	      "refused");
	ioctl(v.fd, KVM_GET_SREGS, &s);
	check(s.efer == 0, "iso: SET_MSRS EFER.LMA alone: LMA stays clear",
	      "efer %#llx", s.efer);
	check(set_msr(v.fd, 0xc0000080, EFER_SVME) == 0,
	      "iso: SET_MSRS EFER.SVME refused", "it was set");

	/* IA32_APIC_BASE: x2APIC mode is not offered, bits 0-7 reserved. */
	check(set_msr(v.fd, 0x1b, 0xfee00c00) == 0,
	      "iso: SET_MSRS APIC base with x2APIC mode refused", "it was set");
	check(set_msr(v.fd, 0x1b, 0xfee00901) == 0,
	      "iso: SET_MSRS APIC base with bit 0 refused", "it was set");
	check(set_msr(v.fd, 0x1b, 0xfed00900) == 1,
	      "iso: SET_MSRS APIC base moved", "refused");
	ioctl(v.fd, KVM_GET_SREGS, &s);
	s.apic_base = 0xfee00d00;
	expect_errno("iso: sregs refused: APIC base with x2APIC mode", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_SREGS, &s));
	vm_destroy(&vm);
}

/*
 * KVM_SET_VCPU_EVENTS: an error code goes with the vectors that push one,
 * and only those (VM entry refuses anything else), in 15 bits.
 */
static void test_iso_events(void)
{
	static const struct {
		const char *name;
		uint8_t nr;
		uint8_t has;
		uint32_t code;
		uint8_t want_has;
		uint32_t want_code;
	} cases[] = {
		{ "#UD with an error code: dropped", 6, 1, 0x18, 0, 0 },
		{ "#GP without one: 0", 13, 0, 0x18, 1, 0 },
		{ "#PF's error code: 15 bits", 14, 1, 0x12345, 1, 0x2345 },
	};
	struct kvm_vcpu_events ev;
	struct vm vm;
	struct vcpu v;
	char name[128];

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.exception.injected = 1;
		ev.exception.nr = cases[i].nr;
		ev.exception.has_error_code = cases[i].has;
		ev.exception.error_code = cases[i].code;
		ioctl(v.fd, KVM_SET_VCPU_EVENTS, &ev);
		memset(&ev, 0, sizeof(ev));
		ioctl(v.fd, KVM_GET_VCPU_EVENTS, &ev);
		snprintf(name, sizeof(name), "iso: events: %s", cases[i].name);
		check(ev.exception.injected && ev.exception.nr == cases[i].nr &&
		      ev.exception.has_error_code == cases[i].want_has &&
		      ev.exception.error_code == cases[i].want_code, name,
		      "nr %u has_error_code %u error_code %#x", ev.exception.nr,
		      ev.exception.has_error_code, ev.exception.error_code);
	}
	vm_destroy(&vm);
}

/* Real-mode HLT. */
static const uint8_t iso_hlt[] = { 0xf4 };

static void test_iso_cpuid_after_run(void)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[2];
	} cpuid = { .c.nent = 1 };
	struct vm vm;
	struct vcpu v;
	int rc;

	rm_guest(&vm, &v, iso_hlt, iso_hlt + sizeof(iso_hlt), 2);
	cpuid.e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 1 };
	expect_errno("iso: SET_CPUID2 before KVM_RUN", 0,
		     ioctl_errno(v.fd, KVM_SET_CPUID2, &cpuid));
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_HLT,
	      "iso: the guest ran to HLT", "rc %d exit %u", rc, v.run->exit_reason);
	expect_errno("iso: SET_CPUID2 after KVM_RUN, same table", 0,
		     ioctl_errno(v.fd, KVM_SET_CPUID2, &cpuid));
	cpuid.e[0].eax = 7;
	expect_errno("iso: SET_CPUID2 after KVM_RUN, another table", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_CPUID2, &cpuid));
	check(kmsg_says("KVM_SET_CPUID2 after KVM_RUN may only set the same table again"),
	      "iso: SET_CPUID2 after KVM_RUN: the kernel log says why", "no line");
	vm_destroy(&vm);
}

/* The counter @name of debugfs kvm/PID-FD/mmu of @vm, or -1 (abi.h). */
long vm_mmu_stat(struct vm *vm, const char *name)
{
	char path[128], line[128], key[64];
	long found = -1, val;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/mmu",
		 (int)getpid(), vm->fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &val) == 2 && !strcmp(key, name))
			found = val;
	if (f)
		fclose(f);
	return found;
}

/*
 * Run the HLT guest once (so that the shadow maps its page), then delete
 * slot 0: the remote flushes that took.  The slot comes back after.
 */
static long flushes_of_slot_delete(struct vm *vm, struct vcpu *v)
{
	struct kvm_userspace_memory_region r = {
		.memory_size = vm->size, .userspace_addr = (uintptr_t)vm->mem,
	};
	struct kvm_regs regs;
	long before, after;

	ioctl(v->fd, KVM_GET_REGS, &regs);
	regs.rip = GUEST_BASE;
	ioctl(v->fd, KVM_SET_REGS, &regs);
	vcpu_run(v);
	before = vm_mmu_stat(vm, "remote_flushes");
	r.memory_size = 0;
	ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
	after = vm_mmu_stat(vm, "remote_flushes");
	r.memory_size = vm->size;
	ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
	return before < 0 || after < 0 ? -1 : after - before;
}

static void test_iso_create_vcpu_failure(void)
{
	/*
	 * cached shares shadow pages between vCPUs, tdp its nested table;
	 * naive never flushes others.
	 */
	long want = mmu_is("cached") || mmu_is("tdp") ? 1 : 0, d0, d1;
	struct rlimit old, low;
	struct vm vm;
	struct vcpu v;
	int fd, err;

	rm_guest(&vm, &v, iso_hlt, iso_hlt + sizeof(iso_hlt), 2);
	d0 = flushes_of_slot_delete(&vm, &v);
	check(d0 == want, "iso: remote flushes of a slot deletion",
	      "%ld, want %ld", d0, want);

	/* No fd left for the next vCPU: KVM_CREATE_VCPU fails with EMFILE. */
	getrlimit(RLIMIT_NOFILE, &old);
	fd = dup(0);
	low = old;
	low.rlim_cur = fd;
	close(fd);
	fd = dup(0);		/* takes the last fd below the limit */
	setrlimit(RLIMIT_NOFILE, &low);
	err = ioctl_errno(vm.fd, KVM_CREATE_VCPU, (void *)1);
	setrlimit(RLIMIT_NOFILE, &old);
	close(fd);
	expect_errno("iso: KVM_CREATE_VCPU without a free fd", EMFILE, err);

	d1 = flushes_of_slot_delete(&vm, &v);
	check(d1 == want, "iso: remote flushes of a slot deletion after the failed KVM_CREATE_VCPU",
	      "%ld, want %ld", d1, want);
	/* The id is free again: the failed vCPU was never published. */
	fd = ioctl(vm.fd, KVM_CREATE_VCPU, 1);
	check(fd >= 0, "iso: KVM_CREATE_VCPU of the same id afterwards", "%s",
	      strerror(errno));
	if (fd >= 0)
		close(fd);
	vm_destroy(&vm);
}

/* Lines of /proc/self/maps: the process's mappings. */
static int nr_mappings(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

static void test_iso_tss(void)
{
	struct kvm_userspace_memory_region r = { 0 };
	int kvm = kvm_fd(), fd, maps, again = 0;
	void *mem;

	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	expect_errno("iso: TSS at ~0 (wraps past 2^64)", EINVAL,
		     ioctl_errno(fd, KVM_SET_TSS_ADDR, (void *)~0UL));
	expect_errno("iso: TSS at 2^64 - 4 KiB", EINVAL,
		     ioctl_errno(fd, KVM_SET_TSS_ADDR, (void *)-4096UL));
	expect_errno("iso: TSS whose 3 pages cross 4 GiB", EINVAL,
		     ioctl_errno(fd, KVM_SET_TSS_ADDR, (void *)0xffffe000UL));
	expect_errno("iso: TSS at 0", 0, ioctl_errno(fd, KVM_SET_TSS_ADDR, 0));
	maps = nr_mappings();
	for (int i = 0; i < 100; i++)
		again += ioctl_errno(fd, KVM_SET_TSS_ADDR, 0) == EEXIST;
	check(again == 100, "iso: TSS at 0 again: EEXIST, 100 times of 100",
	      "%d times", again);
	check(nr_mappings() == maps, "iso: TSS at 0 again: no new mapping",
	      "%d mappings, were %d", nr_mappings(), maps);
	expect_errno("iso: TSS elsewhere after 0", EEXIST,
		     ioctl_errno(fd, KVM_SET_TSS_ADDR, (void *)0xfffbd000UL));
	/* VMX backs the TSS with guest memory there: no slot may overlap it. */
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r.memory_size = 1 << 20;
	r.userspace_addr = (uintptr_t)mem;
	expect_errno("iso: a slot over the TSS at 0", cpu_has_vmx() ? EEXIST : 0,
		     ioctl_errno(fd, KVM_SET_USER_MEMORY_REGION, &r));
	close(fd);

	/* The highest address allowed: its 3 pages end at 4 GiB. */
	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	expect_errno("iso: TSS at 4 GiB - 12 KiB", 0,
		     ioctl_errno(fd, KVM_SET_TSS_ADDR, (void *)0xffffd000UL));
	close(fd);
	close(kvm);
	munmap(mem, 1 << 20);
}

void test_iso(void)
{
	test_iso_sregs();
	test_iso_efer_msr();
	test_iso_events();
	test_iso_cpuid_after_run();
	test_iso_create_vcpu_failure();
	test_iso_tss();
}
