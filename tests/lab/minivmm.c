// SPDX-License-Identifier: GPL-2.0
/*
 * tests/lab/minivmm: a minimal VMM in the style of the introductory KVM
 * examples: /dev/kvm, KVM_CREATE_VM, one memory slot, KVM_CREATE_VCPU,
 * the kvm_run mapping, CS base and selector 0, RIP, and a KVM_RUN loop
 * for KVM_EXIT_IO and KVM_EXIT_HLT.  No KVM_SET_TSS_ADDR before the
 * guest runs, no identity map, no CPUID: on VMX without unrestricted
 * guest the module must find the memory for its vm86 TSS itself.
 *
 * The real-mode guest (at 0x1000, 64 KiB of memory at 0) adds two
 * numbers and OUTs the sum, takes INT 0x80 through the IVT to a handler
 * that OUTs and IRETs, far-jumps to CS 0x100 and OUTs CS, then HLTs.
 * After that HLT the VMM puts a slot over QEMU's TSS address (on VMX,
 * where the module put the TSS: it must move out of the way) and runs
 * the guest on (INT 0x80, OUT, HLT); then KVM_SET_TSS_ADDR (now taken,
 * once) and on again.  Prints "PASS: minivmm ..." or "FAIL: minivmm
 * ...: why" for each check; exits non-zero if any failed.
 *
 *   lab/run --machine vmx -- tests/lab/bin/minivmm
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host.h"

#define MEM_SIZE	0x10000
#define CODE_ADDR	0x1000
#define STACK_TOP	0x8000
#define QEMU_TSS_ADDR	0xfeffd000UL	/* where the module tries first */
#define TSS_ADDR	0xfffbd000UL	/* the VMM's own KVM_SET_TSS_ADDR */
#define X86_EFLAGS_IOPL	0x3000

/*
 * The guest, 16-bit code loaded at CODE_ADDR and run from there with CS 0;
 * after the far jump CS is 0x100, whose base is CODE_ADDR.
 */
asm(".pushsection .rodata\n"
    ".globl guest_start, guest_after_int, guest_hlt1, guest_hlt2, guest_hlt3, guest_end\n"
    "guest_start:\n"
    ".code16\n"
    "	add %bx, %ax\n"			/* 0x1234 + 0x4321 */
    "	out %ax, $0x10\n"
    "	xor %cx, %cx\n"
    "	mov %cx, %ds\n"
    "	mov %cx, %ss\n"
    "	mov $0x8000, %sp\n"
    /* IVT entry 0x80 at linear 0x200: the handler, CS 0 */
    "	movw $(handler - guest_start + 0x1000), 0x200\n"
    "	movw $0, 0x202\n"
    "	int $0x80\n"
    "guest_after_int:\n"
    "	mov %sp, %ax\n"
    "	out %ax, $0x12\n"
    "	ljmp $0x100, $(far - guest_start)\n"
    "handler:\n"
    "	mov $0x4242, %ax\n"
    "	out %ax, $0x11\n"
    "	iret\n"
    "far:\n"
    "	mov %cs, %ax\n"
    "	out %ax, $0x13\n"
    "	hlt\n"
    "guest_hlt1:\n"
    "	int $0x80\n"
    "	mov $0x2222, %ax\n"
    "	out %ax, $0x14\n"
    "	hlt\n"
    "guest_hlt2:\n"
    "	int $0x80\n"
    "	mov $0x3333, %ax\n"
    "	out %ax, $0x15\n"
    "	hlt\n"
    "guest_hlt3:\n"
    ".code64\n"
    "guest_end:\n"
    ".popsection\n");
extern const uint8_t guest_start[], guest_after_int[], guest_hlt1[],
	guest_hlt2[], guest_hlt3[], guest_end[];

static int failed;

static void check(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: minivmm %s\n", name);
		return;
	}
	printf("FAIL: minivmm %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed = 1;
}

static void die(const char *what)
{
	printf("FAIL: minivmm %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Lines of /proc/self/maps naming /dev/zero: shared anonymous mappings. */
static int nr_zero_mappings(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		die("open /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/dev/zero") != NULL;
	fclose(f);
	return n;
}

struct out {
	uint16_t port, value;
};

/*
 * KVM_RUN until the guest halts; checks each OUT against @want (2-byte
 * OUTs of n values) as "STAGE: out PORT = VALUE".
 */
static void run_to_hlt(int vcpu, struct kvm_run *run, const char *stage,
		       const struct out *want, int n)
{
	char name[128];
	int i = 0, exits;
	uint16_t value;

	for (exits = 0; exits < 100; exits++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			snprintf(name, sizeof(name), "%s: KVM_RUN", stage);
			check(0, name, "%s", strerror(errno));
			return;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			snprintf(name, sizeof(name), "%s: exits", stage);
			check(0, name, "exit reason %u (direction %u), want OUT or HLT",
			      run->exit_reason, run->io.direction);
			return;
		}
		value = 0;
		memcpy(&value, (uint8_t *)run + run->io.data_offset,
		       run->io.size < 2 ? run->io.size : 2);
		if (i < n) {
			snprintf(name, sizeof(name), "%s: out %#x = %#x", stage,
				 want[i].port, want[i].value);
			check(run->io.port == want[i].port && run->io.size == 2 &&
			      run->io.count == 1 && value == want[i].value, name,
			      "out %#x, size %u, count %u, value %#x",
			      run->io.port, run->io.size, run->io.count, value);
		} else {
			snprintf(name, sizeof(name), "%s: no more OUTs", stage);
			check(0, name, "out %#x = %#x", run->io.port, value);
		}
		i++;
	}
	snprintf(name, sizeof(name), "%s: HLT after %d OUTs", stage, n);
	check(run->exit_reason == KVM_EXIT_HLT && i == n, name,
	      "exit reason %u after %d OUTs", run->exit_reason, i);
}

/* The guest's RIP and CS after a HLT. */
static void check_at(int vcpu, const char *stage, const uint8_t *label)
{
	uint64_t want = label - guest_start;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	char name[128];

	if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_REGS/SREGS");
	snprintf(name, sizeof(name),
		 "%s: CS 0x100 (base 0x1000), RIP %#llx past the HLT", stage,
		 (unsigned long long)want);
	check(sregs.cs.selector == 0x100 && sregs.cs.base == 0x1000 &&
	      regs.rip == want, name, "CS %#x (base %#llx), RIP %#llx",
	      sregs.cs.selector, (unsigned long long)sregs.cs.base,
	      (unsigned long long)regs.rip);
}

static int set_region(int vm, uint32_t slot, uint64_t gpa, uint64_t size,
		      void *mem)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? errno : 0;
}

int main(void)
{
	static const struct out stage1[] = {
		{ 0x10, 0x5555 }, { 0x11, 0x4242 }, { 0x12, STACK_TOP },
		{ 0x13, 0x100 },
	};
	static const struct out stage2[] = { { 0x11, 0x4242 }, { 0x14, 0x2222 } };
	static const struct out stage3[] = { { 0x11, 0x4242 }, { 0x15, 0x3333 } };
	int kvm, vm, vcpu, vmx = cpu_has_vmx(), zero_maps, r, i;
	int ident = vmx && mmu_is("tdp") && !cpu_has_vmx_urg();
	int vm86 = vmx && (!mmu_is("tdp") || ident);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem, *high;
	uint16_t frame[3];
	size_t run_size;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(mem + CODE_ADDR, guest_start, guest_end - guest_start);
	if (set_region(vm, 0, 0, MEM_SIZE, mem))
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rax = 0x1234;
	regs.rbx = 0x4321;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	/* Add, INT through the IVT, far jump, HLT. */
	zero_maps = nr_zero_mappings();
	run_to_hlt(vcpu, run, "stage 1", stage1, 4);
	check_at(vcpu, "stage 1", guest_hlt1);
	memcpy(frame, mem + STACK_TOP - 6, sizeof(frame));
	/*
	 * FLAGS: ZF and PF from the XOR, bit 1; vm86 runs the guest with
	 * IOPL 3, which INT pushes (README, "On Intel VMX").
	 */
	check(frame[0] == CODE_ADDR + (guest_after_int - guest_start) &&
	      frame[1] == 0 && (frame[2] & ~X86_EFLAGS_IOPL) == 0x46,
	      "stage 1: INT 0x80 pushed FLAGS 0x46, CS 0, IP past the INT",
	      "IP %#x CS %#x FLAGS %#x", frame[0], frame[1], frame[2]);
	/*
	 * VMX's vm86 TSS: 3 pages the module mapped into this process;
	 * none with unrestricted guest (mmu=tdp), which runs real mode.
	 * mmu=tdp without it: the identity map's page too.
	 */
	check(nr_zero_mappings() == zero_maps + vm86 + ident,
	      ident ? "stage 1: the module mapped its TSS region and identity map into the VMM" :
	      vm86 ? "stage 1: the module mapped its TSS region into the VMM" :
	      vmx ? "stage 1: no TSS region in the VMM (unrestricted guest)" :
		    "stage 1: no TSS region in the VMM (SVM)",
	      "%d new shared anonymous mappings, want %d",
	      nr_zero_mappings() - zero_maps, vm86 + ident);

	/*
	 * A slot where the module put its TSS on VMX: the TSS moves out of
	 * the way, the guest runs on, the slot's memory stays the VMM's.
	 */
	high = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (high == MAP_FAILED)
		die("mmap a second slot");
	memset(high, 0xa5, 3 * 4096);
	r = set_region(vm, 1, QEMU_TSS_ADDR, 3 * 4096, high);
	check(r == 0, "stage 2: a slot at 0xfeffd000 (QEMU's TSS address)",
	      "%s", strerror(r));
	run_to_hlt(vcpu, run, "stage 2", stage2, 2);
	check_at(vcpu, "stage 2", guest_hlt2);
	for (i = 0; i < 3 * 4096 && high[i] == 0xa5; i++)
		;
	check(i == 3 * 4096, "stage 2: the slot at 0xfeffd000 untouched",
	      "byte %#x is %#x", i, high[i]);

	/* KVM_SET_TSS_ADDR after the guest ran: taken, once. */
	r = ioctl(vm, KVM_SET_TSS_ADDR, TSS_ADDR) < 0 ? errno : 0;
	check(r == 0, "stage 3: KVM_SET_TSS_ADDR 0xfffbd000 after KVM_RUN",
	      "%s", strerror(r));
	r = ioctl(vm, KVM_SET_TSS_ADDR, TSS_ADDR) < 0 ? errno : 0;
	check(r == EEXIST, "stage 3: KVM_SET_TSS_ADDR again: EEXIST", "%s",
	      strerror(r));
	run_to_hlt(vcpu, run, "stage 3", stage3, 2);
	check_at(vcpu, "stage 3", guest_hlt3);
	check(nr_zero_mappings() == zero_maps + vmx + ident,
	      "stage 3: still one TSS region on VMX, none on SVM",
	      "%d new shared anonymous mappings, want %d",
	      nr_zero_mappings() - zero_maps, vmx + ident);
	/* The VMM's TSS address stays its: a slot over it, EEXIST on VMX. */
	r = set_region(vm, 2, TSS_ADDR, 4096, high);
	check(r == (vmx ? EEXIST : 0),
	      vmx ? "stage 3: a slot over the VMM's TSS address: EEXIST" :
		    "stage 3: a slot over the VMM's TSS address (SVM: no TSS)",
	      "%s", strerror(r));

	/* The VM goes: its TSS region goes from this process with it. */
	munmap(run, run_size);
	close(vcpu);
	close(vm);
	check(nr_zero_mappings() == zero_maps,
	      "the TSS region unmapped with the VM",
	      "%d shared anonymous mappings left", nr_zero_mappings() - zero_maps);
	close(kvm);
	return failed;
}
