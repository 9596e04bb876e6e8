// SPDX-License-Identifier: GPL-2.0
/*
 * abi: lab tests of the /dev/kvm ABI that need no guest runtime: bad
 * arguments and their errnos, state round trips, the reset state, a
 * real-mode guest doing port I/O, a signal interrupting KVM_RUN, two VMs
 * at once, two vCPUs sharing memory, the guest's SSE registers beside
 * another thread on the same CPU, and a kill -9 leak loop; the irq
 * group (interrupts, NMIs, vCPU events, debug registers) is abi-irq.c,
 * the irqchip group (IOAPIC, PICs, GSI routing) abi-irqchip.c;
 * the pit and eventfd groups (the in-kernel PIT, irqfd, ioeventfd)
 * abi-pit.c.
 * What both files share: abi.h.
 *
 * Built static (it also runs in the vmx lab's initramfs).  Prints
 * "PASS: abi: name" or "FAIL: abi: name: why" per check; exits 1 if any
 * check failed.
 *
 *   abi [all|errnos|state|guest|signal|twovms|smp|fpu|irq|iso|spec|dirty|msr|clock|lapic|irqchip|pit|eventfd|leak N]
 */
#include "abi.h"

int failures;

void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: abi: %s\n", name);
		return;
	}
	failures++;
	printf("FAIL: abi: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The errno an ioctl fails with, or 0 if it succeeded. */
int ioctl_errno(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? errno : 0;
}

void expect_errno(const char *name, int want, int got)
{
	check(got == want, name, "errno %s, want %s",
	      got ? strerrorname_np(got) : "none (success)",
	      want ? strerrorname_np(want) : "none (success)");
}

bool kmsg_says(const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	/* One record per read; EPIPE: overwritten records, read on. */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, needle)) {
			found = true;
			break;
		}
	}
	close(fd);
	return found;
}

int kvm_fd(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("FAIL: abi: open /dev/kvm: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

void vm_create(struct vm *vm, size_t size)
{
	struct kvm_userspace_memory_region r = { 0 };

	vm->kvm = kvm_fd();
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		printf("FAIL: abi: KVM_CREATE_VM: %s\n", strerror(errno));
		exit(1);
	}
	vm->size = size;
	vm->nr_vcpus = 0;
	vm->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	r.memory_size = size;
	r.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		printf("FAIL: abi: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));
		exit(1);
	}
	/* Real mode on VMX runs in vm86 with a TSS there; QEMU's address. */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, ABI_TSS_ADDR)) {
		printf("FAIL: abi: KVM_SET_TSS_ADDR: %s\n", strerror(errno));
		exit(1);
	}
}

void vm_destroy(struct vm *vm)
{
	/* A mapping of kvm_run holds the vCPU file as much as the fd does. */
	for (int i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpu_runs[i], vm->run_size);
		close(vm->vcpu_fds[i]);
	}
	close(vm->fd);
	close(vm->kvm);
	munmap(vm->mem, vm->size);
}

void vcpu_create(struct vm *vm, struct vcpu *v, int id)
{
	int size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0 || size <= 0) {
		printf("FAIL: abi: KVM_CREATE_VCPU %d: %s\n", id, strerror(errno));
		exit(1);
	}
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	vm->vcpu_fds[vm->nr_vcpus] = v->fd;
	vm->vcpu_runs[vm->nr_vcpus++] = v->run;
	vm->run_size = size;
	if (v->run == MAP_FAILED) {
		printf("FAIL: abi: mmap vCPU: %s\n", strerror(errno));
		exit(1);
	}
}

/*
 * KVM_RUN with a watchdog: a guest that never exits is interrupted by
 * SIGALRM after 10 s, so a broken test fails instead of hanging.
 */
int vcpu_run(struct vcpu *v)
{
	int rc;

	alarm(10);
	rc = ioctl(v->fd, KVM_RUN, 0);
	alarm(0);
	return rc;
}

/* Real mode at CS:IP = 0:ip, with flat 64 KiB segments. */
/*
 * 64-bit mode at @rip, stack @rsp: the first 2 MiB identity-mapped with
 * one large page, its entries accessed and dirty already, so that the MMU
 * writes nothing in them.
 */
void vcpu_long_mode(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rsp)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + 0x9000);
	uint64_t *pdpt = (uint64_t *)(vm->mem + 0xa000);
	uint64_t *pd = (uint64_t *)(vm->mem + 0xb000);
	struct kvm_regs r = { .rip = rip, .rflags = 2, .rsp = rsp };
	struct kvm_segment code = { .selector = 8, .limit = 0xffffffff, .type = 11,
		.present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .selector = 16, .limit = 0xffffffff, .type = 3,
		.present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_sregs s;

	pml4[0] = 0xa000 | 0x23;
	pdpt[0] = 0xb000 | 0x23;
	pd[0] = 0xe3;
	ioctl(v->fd, KVM_GET_SREGS, &s);
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.cr0 = 0x80000011;
	s.cr3 = 0x9000;
	s.cr4 = 0x20;
	s.efer = 0x500;
	ioctl(v->fd, KVM_SET_SREGS, &s);
	ioctl(v->fd, KVM_SET_REGS, &r);
}

void vcpu_real_mode(struct vcpu *v, uint16_t ip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = ip, .rflags = 2 };

	ioctl(v->fd, KVM_GET_SREGS, &s);
	s.cs.selector = 0;
	s.cs.base = 0;
	ioctl(v->fd, KVM_SET_SREGS, &s);
	ioctl(v->fd, KVM_SET_REGS, &r);
}

void rm_guest(struct vm *vm, struct vcpu *v, const uint8_t *start,
		     const uint8_t *end, uint64_t rflags)
{
	struct kvm_regs r;

	vm_create(vm, 1 << 20);
	vcpu_create(vm, v, 0);
	memcpy(vm->mem + GUEST_BASE, start, end - start);
	vcpu_real_mode(v, GUEST_BASE);
	ioctl(v->fd, KVM_GET_REGS, &r);
	r.rsp = GUEST_SP;
	r.rflags = rflags;
	ioctl(v->fd, KVM_SET_REGS, &r);
}

void ivt_set(struct vm *vm, int vector, uint16_t ip)
{
	uint16_t *e = (uint16_t *)(vm->mem + vector * 4);

	e[0] = ip;
	e[1] = 0;
}

/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: how many entries were done. */
int get_msr(int fd, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs m;
		struct kvm_msr_entry e;
	} msrs = { .m.nmsrs = 1, .e = { .index = index } };
	int n = ioctl(fd, KVM_GET_MSRS, &msrs);

	*data = msrs.e.data;
	return n;
}

int set_msr(int fd, uint32_t index, uint64_t data)
{
	struct {
		struct kvm_msrs m;
		struct kvm_msr_entry e;
	} msrs = { .m.nmsrs = 1, .e = { .index = index, .data = data } };

	return ioctl(fd, KVM_SET_MSRS, &msrs);
}

/* ---- errnos --------------------------------------------------------- */

static void test_errnos(void)
{
	struct kvm_userspace_memory_region r;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[128];
	} cpuid;
	struct {
		struct kvm_msr_list l;
		uint32_t idx[64];
	} msrs;
	struct kvm_signal_mask *sm;
	char why[256];
	struct kvm_interrupt irq;
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct vm vm;
	struct vcpu v;
	int kvm = kvm_fd(), fd;
	void *p;

	check(ioctl(kvm, KVM_GET_API_VERSION, 0) == 12, "API version 12", "got %d",
	      ioctl(kvm, KVM_GET_API_VERSION, 0));
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1,
	      "KVM_CAP_USER_MEMORY", "not 1");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) == 1,
	      "KVM_CAP_IRQCHIP", "not 1");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) == 4096,
	      "KVM_CAP_IRQ_ROUTING: 4096 GSIs", "got %d",
	      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING));
	check(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0) == 2 * getpagesize(),
	      "mmap size is two pages", "got %d", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	expect_errno("KVM_CREATE_VM type 1", EINVAL,
		     ioctl(kvm, KVM_CREATE_VM, 1) < 0 ? errno : 0);

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.c.nent = 1;
	expect_errno("GET_SUPPORTED_CPUID too small", E2BIG,
		     ioctl_errno(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid));
	cpuid.c.nent = 128;
	expect_errno("GET_SUPPORTED_CPUID", 0,
		     ioctl_errno(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid));
	check(cpuid.c.nent > 2 && cpuid.e[0].function == 0,
	      "GET_SUPPORTED_CPUID has leaf 0", "nent %u", cpuid.c.nent);
	msrs.l.nmsrs = 1;
	expect_errno("GET_MSR_INDEX_LIST too small", E2BIG,
		     ioctl_errno(kvm, KVM_GET_MSR_INDEX_LIST, &msrs));
	check(msrs.l.nmsrs > 1, "GET_MSR_INDEX_LIST says how many", "nmsrs %u",
	      msrs.l.nmsrs);
	expect_errno("GET_MSR_INDEX_LIST", 0,
		     ioctl_errno(kvm, KVM_GET_MSR_INDEX_LIST, &msrs));
	check(msrs.idx[0] == 0xc0000080, "first MSR is EFER", "got %#x", msrs.idx[0]);
	close(kvm);

	vm_create(&vm, 1 << 20);
	p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#define REGION(_slot, _flags, _gpa, _size, _ua) \
	(r = (struct kvm_userspace_memory_region){ .slot = (_slot), .flags = (_flags), \
		.guest_phys_addr = (_gpa), .memory_size = (_size), \
		.userspace_addr = (uintptr_t)(_ua) }, \
	 ioctl_errno(vm.fd, KVM_SET_USER_MEMORY_REGION, &r))
	expect_errno("slot: unaligned gpa", EINVAL, REGION(1, 0, 0x100100, 0x1000, p));
	snprintf(why, sizeof(why),
		 "KVM_SET_USER_MEMORY_REGION: slot 1 at 0x100100, 0x1000 bytes from %p: size and addresses must be page-aligned",
		 p);
	check(kmsg_says(why), "slot: unaligned gpa: the kernel log says why",
	      "no '%s' in /dev/kmsg", why);
	expect_errno("slot: unaligned size", EINVAL, REGION(1, 0, 0x100000, 0x1100, p));
	expect_errno("slot: unaligned address", EINVAL,
		     REGION(1, 0, 0x100000, 0x1000, (char *)p + 8));
	expect_errno("slot: unknown flag", EINVAL, REGION(1, 1 << 7, 0x100000, 0x1000, p));
	expect_errno("slot: dirty logging (abi dirty tests it)", 0,
		     REGION(1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000, 0x1000, p));
	expect_errno("slot: delete the logging slot", 0, REGION(1, 0, 0, 0, NULL));
	expect_errno("slot: id 32", EINVAL, REGION(32, 0, 0x100000, 0x1000, p));
	expect_errno("slot: address space 1", EINVAL,
		     REGION(1 | (1 << 16), 0, 0x100000, 0x1000, p));
	expect_errno("slot: wraps", EINVAL,
		     REGION(1, 0, 0xfffffffffffff000ULL, 0x2000, p));
	expect_errno("slot: overlaps slot 0", EEXIST, REGION(1, 0, 0x80000, 0x100000, p));
	expect_errno("slot: create", 0, REGION(1, 0, 0x100000, 0x100000, p));
	expect_errno("slot: move", 0, REGION(1, 0, 0x400000, 0x100000, p));
	expect_errno("slot: resize", 0, REGION(1, 0, 0x400000, 0x200000, p));
	expect_errno("slot: read-only", 0,
		     REGION(1, KVM_MEM_READONLY, 0x400000, 0x200000, p));
	expect_errno("slot: delete", 0, REGION(1, 0, 0, 0, NULL));
	expect_errno("slot: delete an unused one", 0, REGION(5, 0, 0, 0, NULL));

	expect_errno("SET_TSS_ADDR: 3 pages past 4 GiB", EINVAL,
		     ioctl(vm.fd, KVM_SET_TSS_ADDR, 0xffffe000UL) < 0 ? errno : 0);
	expect_errno("SET_TSS_ADDR twice", EEXIST,
		     ioctl(vm.fd, KVM_SET_TSS_ADDR, ABI_TSS_ADDR) < 0 ? errno : 0);
	/* VMX's vm86 TSS is in guest memory there; SVM's takes none. */
	expect_errno("slot: over the TSS pages", cpu_has_vmx() ? EEXIST : 0,
		     REGION(1, 0, ABI_TSS_ADDR + 0x1000, 0x1000, p));
	expect_errno("slot: delete it", 0, REGION(1, 0, 0, 0, NULL));

	expect_errno("CREATE_VCPU id 4096 (KVM_MAX_VCPU_IDS)", EINVAL,
		     ioctl(vm.fd, KVM_CREATE_VCPU, 4096) < 0 ? errno : 0);
	vcpu_create(&vm, &v, 0);
	expect_errno("CREATE_VCPU id 0 twice", EEXIST,
		     ioctl(vm.fd, KVM_CREATE_VCPU, 0) < 0 ? errno : 0);
	expect_errno("KVM_RUN with an argument", EINVAL,
		     ioctl(v.fd, KVM_RUN, 1) < 0 ? errno : 0);
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.c.nent = 1000;
	expect_errno("SET_CPUID2 with 1000 entries", E2BIG,
		     ioctl_errno(v.fd, KVM_SET_CPUID2, &cpuid));
	sm = calloc(1, sizeof(*sm) + 8);
	sm->len = 4;
	expect_errno("SET_SIGNAL_MASK len 4", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_SIGNAL_MASK, sm));
	free(sm);
	irq.irq = 256;
	expect_errno("KVM_INTERRUPT 256", EINVAL, ioctl_errno(v.fd, KVM_INTERRUPT, &irq));
	mp.mp_state = 99;
	expect_errno("SET_MP_STATE 99", EINVAL, ioctl_errno(v.fd, KVM_SET_MP_STATE, &mp));
	ioctl(v.fd, KVM_GET_SREGS, &sregs);
	sregs.cr0 = 0x80000000;	/* PG without PE */
	expect_errno("SET_SREGS with PG but not PE", EINVAL,
		     ioctl_errno(v.fd, KVM_SET_SREGS, &sregs));
	expect_errno("unknown vCPU ioctl", EINVAL,
		     ioctl_errno(v.fd, _IO(KVMIO, 0xfe), NULL));
	expect_errno("unknown VM ioctl", ENOTTY,
		     ioctl_errno(vm.fd, _IO(KVMIO, 0xfe), NULL));
	expect_errno("GET_REGS to a bad pointer", EFAULT,
		     ioctl_errno(v.fd, KVM_GET_REGS, (void *)8));
	fd = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, v.fd,
		  3 * getpagesize()) == MAP_FAILED ? errno : 0;
	expect_errno("mmap past the vCPU area", EINVAL, fd);
	munmap(p, 1 << 21);
	vm_destroy(&vm);
}

/* ---- state round trips, reset state ----------------------------------- */

static int enable_max_vcpu_id(int vm, uint64_t max)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };

	cap.args[0] = max;
	return ioctl_errno(vm, KVM_ENABLE_CAP, &cap);
}

/*
 * vCPU ids and counts, as upstream: ids are below KVM_CAP_MAX_VCPU_ID
 * (4096, or what KVM_ENABLE_CAP set before the first vCPU), at most
 * KVM_CAP_MAX_VCPUS (16) vCPUs.
 */
static void test_vcpu_ids(void)
{
	int kvm = kvm_fd(), vm, fds[17], i, n, r;

	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	check(r == 4096, "vcpu ids: CHECK_EXTENSION MAX_VCPU_ID = 4096", "%d", r);
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	check(r == 16, "vcpu ids: CHECK_EXTENSION MAX_VCPUS = 16", "%d", r);

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 4097", EINVAL,
		     enable_max_vcpu_id(vm, 4097));
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 128 (QEMU's)", 0,
		     enable_max_vcpu_id(vm, 128));
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 128 again", 0,
		     enable_max_vcpu_id(vm, 128));
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 64 once set", EINVAL,
		     enable_max_vcpu_id(vm, 64));
	expect_errno("vcpu ids: CREATE_VCPU 128 below 128", EINVAL,
		     ioctl(vm, KVM_CREATE_VCPU, 128) < 0 ? errno : 0);
	fds[0] = ioctl(vm, KVM_CREATE_VCPU, 127);
	check(fds[0] >= 0, "vcpu ids: CREATE_VCPU 127 below 128", "%s",
	      strerror(errno));
	close(fds[0]);
	close(vm);

	/* The first vCPU fixes the bound at 4096. */
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	fds[0] = ioctl(vm, KVM_CREATE_VCPU, 4095);
	check(fds[0] >= 0, "vcpu ids: CREATE_VCPU 4095", "%s", strerror(errno));
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 128 after a vCPU", EINVAL,
		     enable_max_vcpu_id(vm, 128));
	expect_errno("vcpu ids: ENABLE_CAP MAX_VCPU_ID 4096 after a vCPU", 0,
		     enable_max_vcpu_id(vm, 4096));
	for (n = 1; n < 17; n++) {
		fds[n] = ioctl(vm, KVM_CREATE_VCPU, n * 200);
		if (fds[n] < 0)
			break;
	}
	check(n == 16 && errno == EINVAL,
	      "vcpu ids: 16 vCPUs, ids 4095 and 200..3000, then EINVAL",
	      "%d vCPUs, then %s", n, strerror(errno));
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(vm);
	close(kvm);
}

static void test_state(void)
{
	struct kvm_regs r, r2;
	struct kvm_sregs s, s2;
	struct kvm_fpu f, f2;
	struct {
		struct kvm_msrs m;
		struct kvm_msr_entry e[4];
	} msrs = { .m.nmsrs = 3 }, msrs2;
	struct vm vm;
	struct vcpu v;

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);

	ioctl(v.fd, KVM_GET_REGS, &r);
	ioctl(v.fd, KVM_GET_SREGS, &s);
	check(r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000,
	      "reset state CS:IP = F000:FFF0", "rip %#llx cs %#x base %#llx",
	      r.rip, s.cs.selector, s.cs.base);
	check(r.rflags == 2 && s.cr0 == 0x60000010,
	      "reset RFLAGS and CR0", "rflags %#llx cr0 %#llx", r.rflags, s.cr0);

	for (unsigned int i = 0; i < sizeof(r) / 8; i++)
		((uint64_t *)&r)[i] = 0x1111111111111111ULL * (i + 1);
	r.rflags = 0x202;
	ioctl(v.fd, KVM_SET_REGS, &r);
	ioctl(v.fd, KVM_GET_REGS, &r2);
	check(!memcmp(&r, &r2, sizeof(r)), "regs round trip", "differ");

	/* Protected mode, 32-bit flat: CR0.PE changes, nothing else may. */
	s.cr0 = 0x11;
	s.cs = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = 8,
		.type = 11, .present = 1, .s = 1, .db = 1, .g = 1 };
	s.ds = s.es = s.fs = s.gs = s.ss = (struct kvm_segment){ .limit = 0xffffffff,
		.selector = 16, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
	s.gdt.base = 0x1000;
	s.gdt.limit = 0x17;
	ioctl(v.fd, KVM_SET_SREGS, &s);
	ioctl(v.fd, KVM_GET_SREGS, &s2);
	check(!memcmp(&s, &s2, sizeof(s)), "sregs round trip through CR0.PE", "differ");

	ioctl(v.fd, KVM_GET_FPU, &f);
	f.fcw = 0x27f;
	f.mxcsr = 0x1f80;
	memset(f.xmm, 0x5a, sizeof(f.xmm));
	ioctl(v.fd, KVM_SET_FPU, &f);
	ioctl(v.fd, KVM_GET_FPU, &f2);
	check(!memcmp(f.xmm, f2.xmm, sizeof(f.xmm)) && f2.fcw == 0x27f &&
	      f2.mxcsr == 0x1f80, "fpu round trip", "fcw %#x mxcsr %#x xmm0 %#x",
	      f2.fcw, f2.mxcsr, f2.xmm[0][0]);

	msrs.e[0] = (struct kvm_msr_entry){ .index = 0xc0000081, .data = 0x0023001000000000ULL };
	msrs.e[1] = (struct kvm_msr_entry){ .index = 0xc0000082, .data = 0xffffffff81000000ULL };
	msrs.e[2] = (struct kvm_msr_entry){ .index = 0x174, .data = 0x10 };
	check(ioctl(v.fd, KVM_SET_MSRS, &msrs) == 3, "SET_MSRS sets 3", "failed");
	msrs2 = msrs;
	for (int i = 0; i < 3; i++)
		msrs2.e[i].data = 0;
	check(ioctl(v.fd, KVM_GET_MSRS, &msrs2) == 3 && !memcmp(&msrs, &msrs2, sizeof(msrs)),
	      "msrs round trip", "differ");
	msrs2.m.nmsrs = 1;
	msrs2.e[0].index = 0x12345678;
	check(ioctl(v.fd, KVM_GET_MSRS, &msrs2) == 0, "unknown MSR: 0 read", "not 0");

	vm_destroy(&vm);
}

/* ---- guests ------------------------------------------------------------ */

/*
 * Real-mode code: out 0xf4, al with AL = 0x42, then out dx, ax to 0xf6,
 * then hlt.
 */
static const uint8_t guest_pio[] = {
	0xb0, 0x42,		/* mov al, 0x42 */
	0xe6, 0xf4,		/* out 0xf4, al */
	0xba, 0xf6, 0x00,	/* mov dx, 0xf6 */
	0xb8, 0x34, 0x12,	/* mov ax, 0x1234 */
	0xef,			/* out dx, ax */
	0xe4, 0xf5,		/* in al, 0xf5 */
	0xe6, 0xf7,		/* out 0xf7, al */
	0xf4,			/* hlt */
};

static void test_guest(void)
{
	struct kvm_regs r;
	struct vm vm;
	struct vcpu v;
	uint8_t *data;
	int rc;

	/* From the reset vector: a slot at the top of 4 GiB, as firmware is. */
	struct kvm_userspace_memory_region rom = { .slot = 1,
		.guest_phys_addr = 0xffff0000, .memory_size = 0x10000 };
	uint8_t *rommem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	vm_create(&vm, 1 << 20);
	/* The reset vector far-jumps to F000:1000, in low memory. */
	memcpy(rommem + 0xfff0, "\xea\x00\x10\x00\xf0", 5);
	memcpy(vm.mem + 0xf1000, guest_pio, sizeof(guest_pio));
	/*
	 * VMX without unrestricted guest runs real mode in vm86, where a
	 * code segment's base is its selector times 16: the reset state's
	 * CS (base 0xffff0000) runs at 0xf0000, where a PC mirrors its
	 * firmware (README, "On Intel VMX").  Mirror it as a PC does.
	 */
	if (cpu_has_vmx())
		memcpy(vm.mem + 0xffff0, "\xea\x00\x10\x00\xf0", 5);
	rom.userspace_addr = (uintptr_t)rommem;
	ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &rom);
	vcpu_create(&vm, &v, 0);

	rc = vcpu_run(&v);
	data = (uint8_t *)v.run + v.run->io.data_offset;
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_IO &&
	      v.run->io.direction == KVM_EXIT_IO_OUT && v.run->io.port == 0xf4 &&
	      v.run->io.size == 1 && v.run->io.count == 1 && data[0] == 0x42,
	      "reset vector: out 0xf4, 0x42", "rc %d exit %u port %#x size %u data %#x",
	      rc, v.run->exit_reason, v.run->io.port, v.run->io.size, data[0]);
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0xf6 &&
	      v.run->io.size == 2 && *(uint16_t *)data == 0x1234,
	      "out dx, ax", "exit %u port %#x size %u", v.run->exit_reason,
	      v.run->io.port, v.run->io.size);
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0xf5 &&
	      v.run->io.direction == KVM_EXIT_IO_IN && v.run->io.size == 1,
	      "in al, 0xf5", "exit %u port %#x", v.run->exit_reason, v.run->io.port);
	data[0] = 0x99;
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0xf7 &&
	      data[0] == 0x99, "in data reaches AL", "exit %u data %#x",
	      v.run->exit_reason, data[0]);
	rc = vcpu_run(&v);
	ioctl(v.fd, KVM_GET_REGS, &r);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_HLT && r.rip == 0x1010 &&
	      (r.rax & 0xffff) == 0x1299, "hlt", "exit %u rip %#llx rax %#llx",
	      v.run->exit_reason, r.rip, r.rax);

	/* CPUID from the table KVM_SET_CPUID2 set, before the first run. */
	{
		static const uint8_t code[] = {
			0x66, 0xb8, 0x00, 0x00, 0x00, 0x00,	/* mov eax, 0 */
			0x0f, 0xa2,				/* cpuid */
			0xf4,					/* hlt */
		};
		struct {
			struct kvm_cpuid2 c;
			struct kvm_cpuid_entry2 e[1];
		} cpuid = { .c.nent = 1, .e[0] = { .function = 0, .eax = 7,
			.ebx = 0x11223344, .ecx = 0x55667788, .edx = 0x99aabbcc } };
		struct vm vm2;
		struct vcpu v2;

		vm_create(&vm2, 1 << 20);
		vcpu_create(&vm2, &v2, 0);
		memcpy(vm2.mem + 0x1000, code, sizeof(code));
		ioctl(v2.fd, KVM_SET_CPUID2, &cpuid);
		vcpu_real_mode(&v2, 0x1000);
		rc = vcpu_run(&v2);
		ioctl(v2.fd, KVM_GET_REGS, &r);
		check(rc == 0 && v2.run->exit_reason == KVM_EXIT_HLT && r.rax == 7 &&
		      r.rbx == 0x11223344 && r.rcx == 0x55667788 && r.rdx == 0x99aabbcc,
		      "cpuid from KVM_SET_CPUID2", "exit %u eax %#llx ebx %#llx",
		      v2.run->exit_reason, r.rax, r.rbx);
		vm_destroy(&vm2);
	}

	/* A triple fault: an IDT with limit 0 and an INT3. */
	{
		static const uint8_t code[] = {
			0x0f, 0x01, 0x1e, 0x00, 0x12,	/* lidt [0x1200] */
			0xcc,				/* int3 */
		};
		memset(vm.mem + 0x1200, 0, 6);
		memcpy(vm.mem + 0x1000, code, sizeof(code));
		vcpu_real_mode(&v, 0x1000);
		rc = vcpu_run(&v);
		check(rc == 0 && v.run->exit_reason == KVM_EXIT_SHUTDOWN,
		      "triple fault: KVM_EXIT_SHUTDOWN", "exit %u", v.run->exit_reason);
	}

	/*
	 * VMMCALL (VMCALL on Intel) is a hypercall, upstream's ABI: an
	 * unknown number (1) returns -KVM_ENOSYS in EAX (32 bits outside
	 * 64-bit mode) and the guest goes on after the 3-byte instruction.
	 * KVM_HC_SEND_IPI: abi-lapic.c.
	 */
	{
		uint8_t code[] = {
			0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov eax, 1 */
			0x66, 0xbb, 0x78, 0x56, 0x34, 0x12,	/* mov ebx, 0x12345678 */
			0x0f, 0x01, 0xd9,			/* vmmcall */
			0xf4,					/* hlt */
		};
		if (cpu_has_vmx())
			code[14] = 0xc1;			/* vmcall */
		memcpy(vm.mem + 0x1000, code, sizeof(code));
		vcpu_real_mode(&v, 0x1000);
		rc = vcpu_run(&v);
		ioctl(v.fd, KVM_GET_REGS, &r);
		check(rc == 0 && v.run->exit_reason == KVM_EXIT_HLT &&
		      r.rip == 0x1010 && r.rax == 0xfffffc18 && r.rbx == 0x12345678,
		      "vmmcall returns -KVM_ENOSYS", "exit %u rip %#llx rax %#llx",
		      v.run->exit_reason, r.rip, r.rax);
	}
	vm_destroy(&vm);
	munmap(rommem, 0x10000);
}

/* ---- a signal interrupts KVM_RUN ---------------------------------------- */


void on_sigusr1(int sig)
{
	(void)sig;
}

static void *send_later(void *arg)
{
	usleep(200000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* KVM_RUN, with SIGUSR1 sent to this thread 200 ms later; errno in *err. */
int run_signalled(struct vcpu *v, int *err)
{
	pthread_t self = pthread_self(), t;
	int rc;

	pthread_create(&t, NULL, send_later, &self);
	rc = vcpu_run(v);
	*err = errno;
	pthread_join(t, NULL);
	return rc;
}

static void test_signal(void)
{
	static const uint8_t spin[] = { 0xeb, 0xfe };	/* jmp $ */
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct vm vm;
	struct vcpu v;
	int rc, err;

	sigaction(SIGUSR1, &sa, NULL);
	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);
	memcpy(vm.mem + 0x1000, spin, sizeof(spin));
	vcpu_real_mode(&v, 0x1000);
	rc = run_signalled(&v, &err);
	check(rc == -1 && err == EINTR && v.run->exit_reason == KVM_EXIT_INTR,
	      "signal interrupts KVM_RUN", "rc %d errno %s exit %u", rc,
	      strerrorname_np(err), v.run->exit_reason);

	v.run->immediate_exit = 1;
	rc = vcpu_run(&v);
	err = errno;
	check(rc == -1 && err == EINTR, "immediate_exit", "rc %d", rc);
	vm_destroy(&vm);
}

/*
 * A guest looping on an exception it handles itself (#UD, its real-mode
 * handler an IRET back to the UD2) never exits by itself; the signal
 * must still end KVM_RUN.  This is what a VMM's kick meets when a vCPU
 * starts at a stale SIPI vector and runs garbage.
 */
static void test_signal_fault_loop(void)
{
	static const uint8_t loop[] = {
		0x0f, 0x0b,	/* 0x1000: ud2 */
		0xcf,		/* 0x1002: iret, the #UD handler */
	};
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_regs r;
	struct vm vm;
	struct vcpu v;
	int rc, err;

	sigaction(SIGUSR1, &sa, NULL);
	rm_guest(&vm, &v, loop, loop + sizeof(loop), 0x2);
	ivt_set(&vm, 6, 0x1002);
	rc = run_signalled(&v, &err);
	check(rc == -1 && err == EINTR && v.run->exit_reason == KVM_EXIT_INTR,
	      "signal interrupts a #UD loop", "rc %d errno %s exit %u", rc,
	      strerrorname_np(err), v.run->exit_reason);
	ioctl(v.fd, KVM_GET_REGS, &r);
	check(r.rip == 0x1000 || r.rip == 0x1002, "#UD loop RIP",
	      "%#llx, not 0x1000 or 0x1002", r.rip);
	vm_destroy(&vm);
}

/* ---- two VMs at once; two vCPUs sharing memory ------------------------- */

/* out 0xf4, al in a loop of CX iterations, then hlt: counts exits. */
static const uint8_t guest_count[] = {
	0xb9, 0xe8, 0x03,	/* mov cx, 1000 */
	0xe6, 0xf4,		/* 1: out 0xf4, al */
	0xe2, 0xfc,		/* loop 1b */
	0xf4,			/* hlt */
};

static void *run_counter(void *arg)
{
	struct vcpu *v = arg;
	long outs = 0;

	while (vcpu_run(v) == 0 && v->run->exit_reason == KVM_EXIT_IO)
		outs++;
	return (void *)(v->run->exit_reason == KVM_EXIT_HLT ? outs : -1);
}

static void test_twovms(void)
{
	struct vm vm[2];
	struct vcpu v[2];
	pthread_t t[2];
	void *res[2];

	/*
	 * The same code at the same address with another count in each VM:
	 * a VM that ran the other's memory would show the other's count.
	 */
	for (int i = 0; i < 2; i++) {
		uint16_t count = 1000 + 500 * i;

		vm_create(&vm[i], 1 << 20);
		vcpu_create(&vm[i], &v[i], 0);
		memcpy(vm[i].mem + 0x1000, guest_count, sizeof(guest_count));
		memcpy(vm[i].mem + 0x1001, &count, sizeof(count));
		vcpu_real_mode(&v[i], 0x1000);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run_counter, &v[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &res[i]);
	check((long)res[0] == 1000 && (long)res[1] == 1500,
	      "two VMs at once, 1000 and 1500 exits", "got %ld and %ld",
	      (long)res[0], (long)res[1]);
	for (int i = 0; i < 2; i++)
		vm_destroy(&vm[i]);
}

/*
 * vCPU 1 waits for the flag at 0x2000, then reports the value at 0x2002
 * that vCPU 0 stored before setting the flag.
 */
static const uint8_t guest_smp0[] = {
	0xc7, 0x06, 0x02, 0x20, 0xcd, 0xab,	/* mov word [0x2002], 0xabcd */
	0xc6, 0x06, 0x00, 0x20, 0x01,		/* mov byte [0x2000], 1 */
	0xf4,					/* hlt */
};
static const uint8_t guest_smp1[] = {
	0x80, 0x3e, 0x00, 0x20, 0x01,		/* 1: cmp byte [0x2000], 1 */
	0x75, 0xf9,				/* jne 1b */
	0xa1, 0x02, 0x20,			/* mov ax, [0x2002] */
	0xba, 0xf6, 0x00,			/* mov dx, 0xf6 */
	0xef,					/* out dx, ax */
	0xf4,					/* hlt */
};

static void *run_until_exit(void *arg)
{
	struct vcpu *v = arg;

	vcpu_run(v);
	return NULL;
}

static void test_smp(void)
{
	struct vm vm;
	struct vcpu v[2];
	pthread_t t[2];
	uint16_t got;

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v[0], 0);
	vcpu_create(&vm, &v[1], 1);
	memcpy(vm.mem + 0x1000, guest_smp0, sizeof(guest_smp0));
	memcpy(vm.mem + 0x1100, guest_smp1, sizeof(guest_smp1));
	vcpu_real_mode(&v[0], 0x1000);
	vcpu_real_mode(&v[1], 0x1100);
	pthread_create(&t[1], NULL, run_until_exit, &v[1]);
	usleep(100000);
	pthread_create(&t[0], NULL, run_until_exit, &v[0]);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	got = *(uint16_t *)((uint8_t *)v[1].run + v[1].run->io.data_offset);
	check(v[0].run->exit_reason == KVM_EXIT_HLT &&
	      v[1].run->exit_reason == KVM_EXIT_IO && v[1].run->io.port == 0xf6 &&
	      got == 0xabcd, "two vCPUs over shared memory",
	      "exits %u/%u port %#x value %#x", v[0].run->exit_reason,
	      v[1].run->exit_reason, v[1].run->io.port, got);
	vm_destroy(&vm);
}

/* ---- the guest's SSE registers across the thread being scheduled out ---- */

/*
 * XMM0 = the 16 bytes at 0x2000; then, until the word at 0x2010 is set:
 * a CPUID (an exit the kernel handles, no return to userspace) and a
 * check that XMM0 still holds them.  Reports the failed checks (out 0xf6,
 * eax) and the iterations (out 0xf7, eax), stores XMM0 at 0x2020, halts.
 */
GUEST_ASM(g_fpu, ".code16",
	"movdqa 0x2000, %xmm0\n"
	"xorl %esi, %esi\n"
	"xorl %ebp, %ebp\n"
"1:\n"
	"incl %ebp\n"
	"xorl %eax, %eax\n"
	"cpuid\n"
	"movdqa %xmm0, %xmm2\n"
	"pcmpeqb 0x2000, %xmm2\n"
	"pmovmskb %xmm2, %eax\n"
	"cmpw $0xffff, %ax\n"
	"je 2f\n"
	"incl %esi\n"
"2:\n"
	"cmpl $0, 0x2010\n"
	"je 1b\n"
	"movl %esi, %eax\n"
	"outl %eax, $0xf6\n"
	"movl %ebp, %eax\n"
	"outl %eax, $0xf7\n"
	"movdqa %xmm0, 0x2020\n"
	"hlt\n");
extern const uint8_t g_fpu[], g_fpu_end[];

#define FPU_HOG_ROUNDS	100

struct fpu_hog {
	int cpu;
	volatile uint32_t *stop;	/* the guest's flag */
	long bad;
};

/*
 * On the vCPU thread's CPU: FPU_HOG_ROUNDS times, XMM0-XMM7 full of
 * another pattern, a spin, a check that XMM0 kept it, and a yield to
 * the vCPU thread, which the scheduler later preempts to run this again:
 * each round is a switch each way, whatever the speed of the machine.
 * Then it tells the guest to stop.
 */
static void *fpu_hog(void *arg)
{
	static const uint8_t pat[16] = { 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a };
	struct fpu_hog *h = arg;
	uint8_t out[16];
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = 0; i < FPU_HOG_ROUNDS; i++) {
		asm volatile("movdqu %1, %%xmm0\n\tmovdqu %1, %%xmm1\n\t"
			     "movdqu %1, %%xmm2\n\tmovdqu %1, %%xmm3\n\t"
			     "movdqu %1, %%xmm4\n\tmovdqu %1, %%xmm5\n\t"
			     "movdqu %1, %%xmm6\n\tmovdqu %1, %%xmm7\n\t"
			     "mov $20000, %%ecx\n"
			     "1:\tdec %%ecx\n\tjnz 1b\n\t"
			     "movdqu %%xmm0, %0"
			     : "=m"(out) : "m"(pat)
			     : "ecx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			       "xmm5", "xmm6", "xmm7", "cc");
		if (memcmp(out, pat, sizeof(pat)))
			h->bad++;
		sched_yield();
	}
	*h->stop = 1;
	return NULL;
}

static void test_fpu(void)
{
	static const uint8_t pat[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
		0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct fpu_hog h = { .cpu = sched_getcpu() };
	uint32_t bad = ~0U, iterations = 0;
	cpu_set_t set, old;
	struct kvm_sregs s;
	struct kvm_fpu fpu;
	pthread_t t;
	struct vm vm;
	struct vcpu v;
	uint8_t *data;
	int rc;

	rm_guest(&vm, &v, g_fpu, g_fpu_end, 0x2);
	memcpy(vm.mem + 0x2000, pat, sizeof(pat));
	h.stop = (volatile uint32_t *)(vm.mem + 0x2010);
	ioctl(v.fd, KVM_GET_SREGS, &s);
	s.cr0 &= ~(uint64_t)(1 << 2 | 1 << 3);	/* EM, TS */
	s.cr4 |= 1 << 9;			/* OSFXSR */
	ioctl(v.fd, KVM_SET_SREGS, &s);

	/* This thread and the hog share one CPU. */
	pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(h.cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_create(&t, NULL, fpu_hog, &h);

	rc = vcpu_run(&v);
	data = (uint8_t *)v.run + v.run->io.data_offset;
	if (rc == 0 && v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0xf6)
		memcpy(&bad, data, 4);
	rc = vcpu_run(&v);
	data = (uint8_t *)v.run + v.run->io.data_offset;
	if (rc == 0 && v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0xf7)
		memcpy(&iterations, data, 4);
	check(bad == 0 && iterations > 0,
	      "guest XMM0 kept over in-kernel exits while an SSE thread shares the CPU",
	      "rc %d exit %u port %#x, %u of %u checks in the guest saw another XMM0",
	      rc, v.run->exit_reason, v.run->io.port, bad, iterations);
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_HLT &&
	      !memcmp(vm.mem + 0x2020, pat, sizeof(pat)),
	      "guest XMM0 stored at the end", "exit %u, stored %02x %02x .. %02x",
	      v.run->exit_reason, vm.mem[0x2020], vm.mem[0x2021], vm.mem[0x202f]);
	ioctl(v.fd, KVM_GET_FPU, &fpu);
	check(!memcmp(fpu.xmm[0], pat, sizeof(pat)), "KVM_GET_FPU: the guest's XMM0",
	      "%02x %02x .. %02x", fpu.xmm[0][0], fpu.xmm[0][1], fpu.xmm[0][15]);

	*h.stop = 1;		/* if the guest did not get that far */
	pthread_join(t, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	check(h.bad == 0, "the SSE thread's XMM0 kept beside the guest",
	      "%ld of %d rounds saw another XMM0", h.bad, FPU_HOG_ROUNDS);
	vm_destroy(&vm);
}

/* ---- a vCPU thread moving between CPUs ------------------------------------ */

/*
 * Counts in EBX, 4096 real-mode instructions of work and a port write of
 * the count per round: each KVM_RUN runs one round.  The thread moves to
 * another CPU between rounds, so each entry may be on another CPU than
 * the last: on VMX the VMCS must be VMCLEARed on the old CPU and loaded
 * on the new one (SVM has no such state; the test runs there too).
 */
GUEST_ASM(g_migrate, ".code16",
	"xorl %ebx, %ebx\n"
"1:\n"
	"movw $4096, %cx\n"
"2:\n"
	"loop 2b\n"
	"incl %ebx\n"
	"movl %ebx, %eax\n"
	"outl %eax, $0xf6\n"
	"jmp 1b\n");

extern const uint8_t g_migrate[], g_migrate_end[];

#define MIGRATE_ROUNDS	200

static void test_migrate(void)
{
	int ncpu = 0, cpus[CPU_SETSIZE], round, rc = 0, moved = 0, last = -1;
	uint32_t count = 0, want = 0;
	cpu_set_t set, old;
	struct kvm_regs r;
	struct vm vm;
	struct vcpu v;

	pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &old))
			cpus[ncpu++] = c;
	if (ncpu < 2) {
		printf("SKIP: abi: vCPU thread moved between CPUs: one CPU only\n");
		return;
	}
	rm_guest(&vm, &v, g_migrate, g_migrate_end, 0x2);
	for (round = 0; round < MIGRATE_ROUNDS; round++) {
		CPU_ZERO(&set);
		CPU_SET(cpus[round % ncpu], &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (sched_getcpu() != last)
			moved++;
		last = sched_getcpu();
		rc = vcpu_run(&v);
		if (rc || v.run->exit_reason != KVM_EXIT_IO || v.run->io.port != 0xf6)
			break;
		memcpy(&count, (uint8_t *)v.run + v.run->io.data_offset, 4);
		want = round + 1;
		if (count != want)
			break;
	}
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	check(round == MIGRATE_ROUNDS,
	      "vCPU thread moved between CPUs: the guest went on where it was",
	      "round %d: rc %d exit %u port %#x, count %u, want %u", round, rc,
	      v.run->exit_reason, v.run->io.port, count, want);
	ioctl(v.fd, KVM_GET_REGS, &r);
	check((uint32_t)r.rbx == MIGRATE_ROUNDS && moved > MIGRATE_ROUNDS / 2,
	      "vCPU thread moved between CPUs: registers at the end",
	      "EBX %#llx, want %u; the thread changed CPU %d times", r.rbx,
	      MIGRATE_ROUNDS, moved);
	vm_destroy(&vm);
}

/* ---- kill -9 leak loop ---------------------------------------------------- */

static long meminfo(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			sscanf(line + strlen(key), ": %ld", &val);
	if (f)
		fclose(f);
	return val;
}

/* A line "key N" of /sys/kernel/debug/kvm/totals, or -1. */
static long kvm_total(const char *key)
{
	FILE *f = fopen("/sys/kernel/debug/kvm/totals", "r");
	char name[64];
	long v, found = -1;

	while (f && fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/kvm/refcnt", "r");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/*
 * A child runs a guest that writes 576 KiB of its memory (so that many
 * guest pages are mapped and pinned), then spins until it is killed.
 */
static void leak_child(int ready)
{
	static const uint8_t spin[] = {
		0xb8, 0x00, 0x10,	/* mov ax, 0x1000 */
		0x8e, 0xc0,		/* 1: mov es, ax */
		0x31, 0xff,		/* xor di, di */
		0xb9, 0x00, 0x80,	/* mov cx, 0x8000 */
		0xf3, 0xab,		/* rep stosw */
		0x05, 0x00, 0x10,	/* add ax, 0x1000 */
		0x3d, 0x00, 0xa0,	/* cmp ax, 0xa000 */
		0x75, 0xef,		/* jne 1b */
		0xeb, 0xfe,		/* jmp $ */
	};
	struct vm vm;
	struct vcpu v;

	vm_create(&vm, 16 << 20);
	memset(vm.mem, 0xcc, vm.size);
	vcpu_create(&vm, &v, 0);
	memcpy(vm.mem + 0x1000, spin, sizeof(spin));
	vcpu_real_mode(&v, 0x1000);
	if (write(ready, "x", 1) != 1)
		_exit(1);
	ioctl(v.fd, KVM_RUN, 0);	/* until SIGKILL */
	_exit(0);
}

/* Start a child with a running guest and kill -9 it; returns 1 if it was killed. */
static int leak_round(void)
{
	int p[2], killed = 0;
	char c;
	pid_t pid;

	if (pipe(p))
		return 0;
	pid = fork();
	if (!pid) {
		close(p[0]);
		leak_child(p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1) {
		usleep(300000);		/* the guest is writing or spinning */
		kill(pid, SIGKILL);
		killed = 1;
	}
	waitpid(pid, NULL, 0);
	close(p[0]);
	return killed;
}

/*
 * KVM_SET_IDENTITY_MAP_ADDR, as upstream: taken before the first vCPU,
 * EINVAL after.  Then a guest in protected mode without paging loads CR3
 * and reads it back, and KVM_GET_SREGS shows it.  With mmu=tdp on VMX
 * without unrestricted guest (lynnfield) that guest runs with paging on,
 * on the identity map the module put at the address given (kvm/vmx/ept.c),
 * CR3 accesses exiting: the page is then the VM's, and a slot over it is
 * refused (EEXIST).  Elsewhere nothing is there.
 */
GUEST_ASM(g_cr3, ".code32",
	"movl $0x123000, %eax\n"
	"movl %eax, %cr3\n"
	"xorl %eax, %eax\n"
	"movl %cr3, %eax\n"
	"movl %eax, 0x600\n"		/* a store through the identity map */
	"movl 0x600, %eax\n"
	"outl %eax, $0xf6\n"
	"hlt\n");

extern const uint8_t g_cr3[], g_cr3_end[];

#define ABI_IDENT_ADDR	0xfeffc000ULL

static void test_ident(void)
{
	bool ident = cpu_has_vmx() && mmu_is("tdp") && !cpu_has_vmx_urg();
	uint64_t addr = ABI_IDENT_ADDR;
	struct kvm_userspace_memory_region r;
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = GUEST_BASE, .rsp = GUEST_SP, .rflags = 2 };
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 8, .type = 0xb, .present = 1,
		.s = 1, .db = 1, .g = 1,
	};
	struct vcpu v;
	struct vm vm;
	void *p;
	int rc;

	vm_create(&vm, 1 << 20);
	expect_errno("SET_IDENTITY_MAP_ADDR before the vCPUs", 0,
		     ioctl_errno(vm.fd, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	vcpu_create(&vm, &v, 0);
	expect_errno("SET_IDENTITY_MAP_ADDR after a vCPU", EINVAL,
		     ioctl_errno(vm.fd, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	check(kmsg_says("KVM_SET_IDENTITY_MAP_ADDR: vCPUs exist already"),
	      "SET_IDENTITY_MAP_ADDR after a vCPU: the kernel log says why",
	      "no line in /dev/kmsg");

	memcpy(vm.mem + GUEST_BASE, g_cr3, g_cr3_end - g_cr3);
	ioctl(v.fd, KVM_GET_SREGS, &s);
	s.cr0 = 0x11;			/* PE, ET: no paging */
	s.cs = code;
	code.selector = 0x10;
	code.type = 3;
	s.ds = s.es = s.ss = s.fs = s.gs = code;
	ioctl(v.fd, KVM_SET_SREGS, &s);
	ioctl(v.fd, KVM_SET_REGS, &regs);
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_IO &&
	      v.run->io.port == 0xf6 &&
	      *(uint32_t *)((uint8_t *)v.run + v.run->io.data_offset) == 0x123000,
	      "ident: unpaged guest reads back its CR3",
	      "rc %d exit %u port %#x data %#x", rc, v.run->exit_reason,
	      v.run->io.port,
	      *(uint32_t *)((uint8_t *)v.run + v.run->io.data_offset));
	ioctl(v.fd, KVM_GET_SREGS, &s);
	check(s.cr3 == 0x123000, "ident: KVM_GET_SREGS: the guest's CR3",
	      "cr3 %#llx", (unsigned long long)s.cr3);

	p = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = (struct kvm_userspace_memory_region){
		.slot = 1, .guest_phys_addr = ABI_IDENT_ADDR,
		.memory_size = 0x1000, .userspace_addr = (uintptr_t)p };
	expect_errno(ident ? "ident: slot over the identity map" :
			     "ident: slot where no identity map is",
		     ident ? EEXIST : 0,
		     ioctl_errno(vm.fd, KVM_SET_USER_MEMORY_REGION, &r));
	munmap(p, 0x1000);
	vm_destroy(&vm);
}

static void test_leak(int rounds)
{
	long before, after;
	int killed = 0;

	/* The first rounds grow caches (slab, page tables): not measured. */
	for (int i = 0; i < 5; i++)
		leak_round();
	before = meminfo("MemAvailable");
	for (int i = 0; i < rounds; i++)
		killed += leak_round();
	/* Process teardown releases the fds; give the last fput a moment. */
	for (int i = 0; i < 50 && module_refcnt() != 0; i++)
		usleep(100000);
	after = meminfo("MemAvailable");
	check(killed == rounds, "kill -9 loop ran", "%d of %d", killed, rounds);
	check(module_refcnt() == 0, "module refcount back to 0",
	      "refcnt %ld", module_refcnt());
	check(kvm_total("pinned") == 0 && kvm_total("shadow_pages") == 0,
	      "no guest page pinned, no shadow page left",
	      "pinned %ld, shadow pages %ld", kvm_total("pinned"),
	      kvm_total("shadow_pages"));
	printf("abi: leak loop: %d rounds, MemAvailable %ld kB before, %ld kB after\n",
	       rounds, before, after);
	/*
	 * Each child's VM has 16 MiB, all written by the VMM: a VM whose
	 * memory stayed held would cost 16 MiB a round.  The bound is a
	 * quarter of that, well above what caches move (up to ~16 MiB over
	 * a whole loop); pages left pinned are counted exactly above.
	 */
	check(before - after < rounds * 4 * 1024, "no memory lost over the loop",
	      "MemAvailable fell by %ld kB over %d rounds", before - after, rounds);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	bool all = !strcmp(what, "all");

	struct sigaction sa = { .sa_handler = on_sigusr1 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The watchdog's SIGALRM only interrupts KVM_RUN. */
	sigaction(SIGALRM, &sa, NULL);
	if (all || !strcmp(what, "errnos")) {
		test_errnos();
		test_vcpu_ids();
	}
	if (all || !strcmp(what, "state"))
		test_state();
	if (all || !strcmp(what, "guest")) {
		test_guest();
		test_ident();
	}
	if (all || !strcmp(what, "signal")) {
		test_signal();
		test_signal_fault_loop();
	}
	if (all || !strcmp(what, "twovms"))
		test_twovms();
	if (all || !strcmp(what, "smp"))
		test_smp();
	if (all || !strcmp(what, "fpu"))
		test_fpu();
	if (all || !strcmp(what, "migrate"))
		test_migrate();
	if (all || !strcmp(what, "irq"))
		test_irq();
	if (all || !strcmp(what, "iso"))
		test_iso();
	if (all || !strcmp(what, "spec"))
		test_spec();
	if (all || !strcmp(what, "dirty"))
		test_dirty();
	if (all || !strcmp(what, "mmio"))
		test_mmio();
	if (all || !strcmp(what, "msr"))
		test_msr();
	if (all || !strcmp(what, "clock"))
		test_clock();
	if (all || !strcmp(what, "lapic"))
		test_lapic();
	if (all || !strcmp(what, "irqchip"))
		test_irqchip();
	if (all || !strcmp(what, "pit"))
		test_pit();
	if (all || !strcmp(what, "eventfd"))
		test_eventfd();
	if (all || !strcmp(what, "leak"))
		test_leak(argc > 2 ? atoi(argv[2]) : 30);
	return failures ? 1 : 0;
}
