// SPDX-License-Identifier: GPL-2.0
/*
 * abi dirty: dirty logging (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CLEAR_DIRTY_LOG), as upstream's
 * ABI defines it.  A real-mode guest touches pages of a logging slot
 * (slot 1, LOG_PAGES pages at LOG_BASE) from a list the test writes into
 * low memory, and each log must hold exactly the pages written since the
 * last one: written by the guest itself, by the kernel for it (a string
 * IN, an interrupt frame, which VMX's real mode pushes in software), and
 * never a page only read.  Then: the log across rounds, with and without
 * manual protection, partial clears, logging turned off and on on the
 * live slot, KVM_DIRTY_LOG_INITIALLY_SET, and upstream's errnos.
 */
#include "abi.h"

#define LOW_SIZE	0x40000		/* slot 0: code, stack, IVT, op list */
#define LOG_BASE	0x40000		/* slot 1, logging */
#define LOG_PAGES	160		/* 2.5 longs: a partial last long */
#define LOG_LONGS	((LOG_PAGES + 63) / 64)
#define OPS_ADDR	0x600
#define ISR_VECTOR	0x40

/* What the guest does to a page of the logging slot. */
enum { OP_WRITE, OP_READ, OP_INS, OP_IRQ };

/*
 * The op list at OPS_ADDR: a count, then (page, op) word pairs.  Page p
 * is at segment 0x4000 + p * 0x100.  OP_WRITE: a byte at offset 0x10;
 * OP_READ: a byte at 0x10; OP_INS: INSB from port 0x30 to offset 0x20
 * (the kernel writes it); OP_IRQ: the stack at offset 0x100 of the page,
 * an OUT to 0x31, where the test queues an interrupt whose frame lands
 * on that stack.  Then OUT to 0x10 and HLT.
 */
GUEST_ASM(g_dirty, ".code16",
	"movw $0x600, %si\n"
	"movw (%si), %cx\n"
	"addw $2, %si\n"
"1:	jcxz 9f\n"
	"movw (%si), %ax\n"
	"shlw $8, %ax\n"
	"addw $0x4000, %ax\n"
	"movw %ax, %es\n"
	"movw 2(%si), %bx\n"
	"cmpw $0, %bx\n"
	"jne 2f\n"
	"movb $0xab, %es:0x10\n"
	"jmp 8f\n"
"2:	cmpw $1, %bx\n"
	"jne 3f\n"
	"movb %es:0x10, %dl\n"
	"jmp 8f\n"
"3:	cmpw $2, %bx\n"
	"jne 4f\n"
	"movw $0x20, %di\n"
	"movw $0x30, %dx\n"
	"insb\n"
	"jmp 8f\n"
"4:	movw %ax, %ss\n"
	"movw $0x100, %sp\n"
	"sti\n"
	"outb %al, $0x31\n"
	"nop\n"
	"cli\n"
	"xorw %ax, %ax\n"
	"movw %ax, %ss\n"
	"movw $0x8000, %sp\n"
"8:	addw $4, %si\n"
	"decw %cx\n"
	"jmp 1b\n"
"9:	outb %al, $0x10\n"
	"hlt\n"
"g_dirty_isr:\n"
	"iret\n");
extern const uint8_t g_dirty[], g_dirty_end[], g_dirty_isr[];

struct dvm {
	struct vm vm;
	struct vcpu v;
};

static int set_slot(struct dvm *d, uint32_t slot, uint64_t gpa, uint64_t size,
		    uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)d->vm.mem + gpa,
	};

	return ioctl_errno(d->vm.fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static int set_log(struct dvm *d, bool on)
{
	return set_slot(d, 1, LOG_BASE, LOG_PAGES * 4096,
			on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

static int enable_manual(int vmfd, uint32_t flags, uint64_t args0)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = flags,
		.args = { args0 },
	};

	return ioctl_errno(vmfd, KVM_ENABLE_CAP, &cap);
}

/*
 * The guest in real mode, slot 0 shrunk to LOW_SIZE and slot 1 logging
 * above it (the same memory); KVM_ENABLE_CAP with @manual first if >= 0.
 */
static void dvm_create(struct dvm *d, int64_t manual)
{
	rm_guest(&d->vm, &d->v, g_dirty, g_dirty_end, 2);
	ivt_set(&d->vm, ISR_VECTOR, AT(g_dirty, g_dirty_isr));
	if (manual >= 0)
		expect_errno("dirty: KVM_ENABLE_CAP MANUAL_DIRTY_LOG_PROTECT2", 0,
			     enable_manual(d->vm.fd, 0, manual));
	expect_errno("dirty: slot 0 shrunk", 0, set_slot(d, 0, 0, LOW_SIZE, 0));
	expect_errno("dirty: slot 1 with KVM_MEM_LOG_DIRTY_PAGES", 0,
		     set_log(d, true));
}

struct op {
	uint16_t page, op;
};

/* Run the op list from the start; false (and a FAIL) if it went wrong. */
static bool run_ops(struct dvm *d, const struct op *ops, int n,
		    const char *name)
{
	uint16_t *t = (uint16_t *)(d->vm.mem + OPS_ADDR);
	struct kvm_interrupt irq = { .irq = ISR_VECTOR };
	struct kvm_sregs s;
	struct kvm_regs r;
	uint8_t *data;

	t[0] = n;
	if (n)
		memcpy(t + 1, ops, n * sizeof(*ops));
	ioctl(d->v.fd, KVM_GET_SREGS, &s);
	s.ds.selector = s.es.selector = s.ss.selector = 0;
	s.ds.base = s.es.base = s.ss.base = 0;
	ioctl(d->v.fd, KVM_SET_SREGS, &s);
	vcpu_real_mode(&d->v, GUEST_BASE);
	ioctl(d->v.fd, KVM_GET_REGS, &r);
	r.rsp = GUEST_SP;
	ioctl(d->v.fd, KVM_SET_REGS, &r);
	for (int exits = 0; exits < 4 * n + 2; exits++) {
		int rc = vcpu_run(&d->v);

		data = (uint8_t *)d->v.run + d->v.run->io.data_offset;
		if (rc || d->v.run->exit_reason != KVM_EXIT_IO)
			break;
		if (d->v.run->io.port == 0x10)
			return true;
		if (d->v.run->io.port == 0x30)
			data[0] = 0x5a;
		else if (d->v.run->io.port == 0x31)
			ioctl(d->v.fd, KVM_INTERRUPT, &irq);
		else
			break;
	}
	check(false, name, "the guest did not finish its ops: exit %u port %#x",
	      d->v.run->exit_reason, d->v.run->io.port);
	return false;
}

static void bits_str(const uint64_t *b, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < LOG_LONGS * 64 && len + 8 < size; i++)
		if (b[i / 64] & (1ULL << (i % 64)))
			len += snprintf(buf + len, size - len, "%s%d",
					len ? "," : "", i);
	if (!len)
		snprintf(buf, size, "none");
}

/* The log KVM_GET_DIRTY_LOG gives is exactly @pages (-1 ends the list). */
static void expect_log(struct dvm *d, const char *name, const int *pages)
{
	uint64_t got[LOG_LONGS], want[LOG_LONGS] = { 0 };
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = got };
	char g[512], w[512];
	int err;

	memset(got, 0xee, sizeof(got));
	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ULL << (*pages % 64);
	err = ioctl_errno(d->vm.fd, KVM_GET_DIRTY_LOG, &log);
	bits_str(got, g, sizeof(g));
	bits_str(want, w, sizeof(w));
	check(!err && !memcmp(got, want, sizeof(got)), name,
	      "errno %d, pages %s, want %s", err, g, w);
}

static int clear_log(struct dvm *d, uint32_t slot, uint64_t first,
		     uint32_t num, const uint64_t *mask)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .num_pages = num, .first_page = first,
		.dirty_bitmap = (void *)mask,
	};

	return ioctl_errno(d->vm.fd, KVM_CLEAR_DIRTY_LOG, &c);
}

static int get_log_errno(struct dvm *d, uint32_t slot, void *buf)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = buf };

	return ioctl_errno(d->vm.fd, KVM_GET_DIRTY_LOG, &log);
}

#define PAGES(...)	((const int[]){ __VA_ARGS__, -1 })
#define NONE		((const int[]){ -1 })
#define OPS(...)	((const struct op[]){ __VA_ARGS__ })
#define NOPS(...)	(int)(sizeof(OPS(__VA_ARGS__)) / sizeof(struct op))
#define RUN(d, name, ...)	run_ops(d, OPS(__VA_ARGS__), NOPS(__VA_ARGS__), name)

/* KVM_CHECK_EXTENSION, KVM_ENABLE_CAP's refusals. */
static void test_dirty_caps(void)
{
	int kvm = kvm_fd(), vm = ioctl(kvm, KVM_CREATE_VM, 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_USER_MEMORY };
	int r;

	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	check(r == (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET),
	      "dirty: CHECK_EXTENSION MANUAL_DIRTY_LOG_PROTECT2 = 3 (system fd)",
	      "%d", r);
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	check(r == 3, "dirty: CHECK_EXTENSION MANUAL_DIRTY_LOG_PROTECT2 = 3 (VM fd)",
	      "%d", r);
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP_VM);
	check(r == 1, "dirty: CHECK_EXTENSION ENABLE_CAP_VM = 1", "%d", r);
	expect_errno("dirty: ENABLE_CAP PROTECT2 with flags 1: EINVAL", EINVAL,
		     enable_manual(vm, 1, 1));
	expect_errno("dirty: ENABLE_CAP PROTECT2 INITIALLY_SET alone: EINVAL",
		     EINVAL, enable_manual(vm, 0, KVM_DIRTY_LOG_INITIALLY_SET));
	expect_errno("dirty: ENABLE_CAP PROTECT2 unknown bit 2: EINVAL", EINVAL,
		     enable_manual(vm, 0, 5));
	expect_errno("dirty: ENABLE_CAP of a capability not enabled so: EINVAL",
		     EINVAL, ioctl_errno(vm, KVM_ENABLE_CAP, &cap));
	expect_errno("dirty: ENABLE_CAP PROTECT2 0", 0, enable_manual(vm, 0, 0));
	expect_errno("dirty: ENABLE_CAP PROTECT2 1", 0, enable_manual(vm, 0, 1));
	expect_errno("dirty: ENABLE_CAP PROTECT2 3", 0, enable_manual(vm, 0, 3));
	close(vm);
	close(kvm);
}

/* Without manual protection: KVM_GET_DIRTY_LOG clears and protects. */
static void test_dirty_auto(void)
{
	uint64_t buf[LOG_LONGS], ones[LOG_LONGS];
	long harvested;
	struct dvm d;

	memset(ones, 0xff, sizeof(ones));
	dvm_create(&d, -1);
	expect_log(&d, "dirty: a new log is empty", NONE);
	expect_errno("dirty: GET_DIRTY_LOG of a slot that does not log: ENOENT",
		     ENOENT, get_log_errno(&d, 0, buf));
	expect_errno("dirty: GET_DIRTY_LOG of an unused slot: ENOENT", ENOENT,
		     get_log_errno(&d, 5, buf));
	expect_errno("dirty: GET_DIRTY_LOG of slot 32: EINVAL", EINVAL,
		     get_log_errno(&d, 32, buf));
	expect_errno("dirty: GET_DIRTY_LOG of address space 1: EINVAL", EINVAL,
		     get_log_errno(&d, 1 << 16 | 1, buf));
	expect_errno("dirty: GET_DIRTY_LOG to a bad address: EFAULT", EFAULT,
		     get_log_errno(&d, 1, (void *)8));

	if (RUN(&d, "dirty: round A", { 0, OP_WRITE }, { 1, OP_WRITE },
		{ 63, OP_WRITE }, { 64, OP_WRITE }, { 130, OP_WRITE },
		{ 159, OP_WRITE }))
		expect_log(&d, "dirty: round A: the pages written",
			   PAGES(0, 1, 63, 64, 130, 159));
	if (RUN(&d, "dirty: round B", { 1, OP_WRITE }, { 2, OP_WRITE },
		{ 100, OP_WRITE }))
		expect_log(&d, "dirty: round B: only B (page 1 again: protected by the get)",
			   PAGES(1, 2, 100));
	if (run_ops(&d, NULL, 0, "dirty: no writes"))
		expect_log(&d, "dirty: no writes: empty", NONE);
	if (RUN(&d, "dirty: reads", { 0, OP_READ }, { 2, OP_READ },
		{ 5, OP_READ }, { 100, OP_READ }, { 150, OP_READ }))
		expect_log(&d, "dirty: pages only read are not dirty", NONE);
	harvested = vm_mmu_stat(&d.vm, "dirty_harvested");
	if (RUN(&d, "dirty: write after read", { 5, OP_WRITE }, { 150, OP_READ }))
		expect_log(&d, "dirty: a page read, then written, is dirty",
			   PAGES(5));
	/*
	 * tdp with the hardware's D bits (NPT; EPT with A/D): the read
	 * mapped page 5 writable and clean, the CPU set D at the write, and
	 * the get found it there (kvm/mmu/tdp.c).
	 */
	if (mmu_is("tdp")) {
		long hw = vm_mmu_stat(&d.vm, "hw_dirty");

		check(!cpu_has_vmx() ? hw == 1 : hw == 0 || hw == 1,
		      "dirty: tdp logs by the nested D bits (on SVM always)",
		      "hw_dirty %ld", hw);
		harvested = vm_mmu_stat(&d.vm, "dirty_harvested") - harvested;
		check(harvested == hw, "dirty: tdp: the write after a read, from its D bit",
		      "%ld pages from D bits, want %ld", harvested, hw);
	}
	if (RUN(&d, "dirty: kernel writes", { 7, OP_INS }, { 9, OP_IRQ }))
		expect_log(&d, "dirty: string IN and interrupt frame (kernel or CPU writes)",
			   PAGES(7, 9));
	if (RUN(&d, "dirty: kernel writes again", { 7, OP_INS }, { 9, OP_IRQ },
		{ 11, OP_READ }))
		expect_log(&d, "dirty: string IN and interrupt frame again",
			   PAGES(7, 9));

	/* KVM_CLEAR_DIRTY_LOG works without manual protection too. */
	if (RUN(&d, "dirty: before a clear", { 8, OP_WRITE }, { 12, OP_WRITE }))
		expect_errno("dirty: CLEAR_DIRTY_LOG of the whole slot", 0,
			     clear_log(&d, 1, 0, LOG_PAGES, ones));
	expect_log(&d, "dirty: cleared: empty", NONE);
	if (RUN(&d, "dirty: after a clear", { 8, OP_WRITE }))
		expect_log(&d, "dirty: a cleared page is protected again",
			   PAGES(8));

	/* Off and on again on the live slot: same base, size and memory. */
	expect_errno("dirty: logging off on the live slot", 0, set_log(&d, false));
	expect_errno("dirty: no log once off: ENOENT", ENOENT,
		     get_log_errno(&d, 1, buf));
	RUN(&d, "dirty: writes while not logging", { 3, OP_WRITE },
	    { 4, OP_WRITE }, { 20, OP_INS });
	expect_errno("dirty: logging on again", 0, set_log(&d, true));
	expect_log(&d, "dirty: on again: a new, empty log", NONE);
	if (RUN(&d, "dirty: writes after on", { 3, OP_WRITE }, { 4, OP_WRITE },
		{ 6, OP_WRITE }))
		expect_log(&d, "dirty: pages mapped writable before logging are protected",
			   PAGES(3, 4, 6));
	expect_errno("dirty: flags unchanged on a logging slot", 0,
		     set_log(&d, true));
	if (RUN(&d, "dirty: writes after the same flags", { 6, OP_WRITE }))
		expect_log(&d, "dirty: the log goes on over an unchanged slot",
			   PAGES(6));

	/* Upstream logs read-only slots too (they are never written). */
	expect_errno("dirty: a read-only slot that logs", 0,
		     set_slot(&d, 2, 0xe0000, 0x10000,
			      KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES));
	memset(buf, 0xee, sizeof(buf));
	check(get_log_errno(&d, 2, buf) == 0 && buf[0] == 0,
	      "dirty: a read-only slot's log is empty", "%#llx",
	      (unsigned long long)buf[0]);
	vm_destroy(&d.vm);
}

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: get keeps the log, clear protects. */
static void test_dirty_manual(void)
{
	uint64_t ones[LOG_LONGS], mask[LOG_LONGS] = { 0 };
	struct dvm d;

	memset(ones, 0xff, sizeof(ones));
	dvm_create(&d, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	if (RUN(&d, "dirty manual: round A", { 0, OP_WRITE }, { 5, OP_WRITE },
		{ 63, OP_WRITE }, { 64, OP_WRITE }, { 100, OP_WRITE },
		{ 159, OP_WRITE }))
		expect_log(&d, "dirty manual: round A: the pages written",
			   PAGES(0, 5, 63, 64, 100, 159));
	expect_log(&d, "dirty manual: a second get: the same, not cleared",
		   PAGES(0, 5, 63, 64, 100, 159));

	expect_errno("dirty manual: CLEAR first_page 1: EINVAL", EINVAL,
		     clear_log(&d, 1, 1, 63, ones));
	expect_errno("dirty manual: CLEAR 32 pages from 0: EINVAL", EINVAL,
		     clear_log(&d, 1, 0, 32, ones));
	expect_errno("dirty manual: CLEAR 32 pages from 64: EINVAL", EINVAL,
		     clear_log(&d, 1, 64, 32, ones));
	expect_errno("dirty manual: CLEAR 64 pages from 128 (past the end): EINVAL",
		     EINVAL, clear_log(&d, 1, 128, 64, ones));
	expect_errno("dirty manual: CLEAR from page 192 (past the end): EINVAL",
		     EINVAL, clear_log(&d, 1, 192, 0, ones));
	expect_errno("dirty manual: CLEAR of a slot that does not log: ENOENT",
		     ENOENT, clear_log(&d, 0, 0, 64, ones));
	expect_errno("dirty manual: CLEAR first_page 1 of a slot that does not log: EINVAL",
		     EINVAL, clear_log(&d, 0, 1, 64, ones));
	expect_errno("dirty manual: CLEAR of slot 32: EINVAL", EINVAL,
		     clear_log(&d, 32, 0, 64, ones));
	expect_errno("dirty manual: CLEAR from a bad address: EFAULT", EFAULT,
		     clear_log(&d, 1, 0, 64, (void *)8));
	expect_log(&d, "dirty manual: refused clears changed nothing",
		   PAGES(0, 5, 63, 64, 100, 159));

	expect_errno("dirty manual: CLEAR 96 pages from 64 (to the end)", 0,
		     clear_log(&d, 1, 64, 96, ones));
	expect_log(&d, "dirty manual: after clearing 64-159",
		   PAGES(0, 5, 63));
	mask[0] = 1ULL << 5;
	expect_errno("dirty manual: CLEAR page 5 alone", 0,
		     clear_log(&d, 1, 0, 64, mask));
	expect_log(&d, "dirty manual: partial clear: only page 5 gone",
		   PAGES(0, 63));
	if (RUN(&d, "dirty manual: round B", { 5, OP_WRITE }, { 64, OP_WRITE },
		{ 100, OP_WRITE }, { 0, OP_WRITE }, { 159, OP_WRITE },
		{ 130, OP_READ }))
		expect_log(&d, "dirty manual: cleared pages written again are dirty again",
			   PAGES(0, 5, 63, 64, 100, 159));
	expect_errno("dirty manual: CLEAR 32 pages from 128 (to the end)", 0,
		     clear_log(&d, 1, 128, 32, ones));
	expect_log(&d, "dirty manual: after clearing 128-159",
		   PAGES(0, 5, 63, 64, 100));
	expect_errno("dirty manual: CLEAR 0 pages from 128", 0,
		     clear_log(&d, 1, 128, 0, ones));
	expect_errno("dirty manual: CLEAR from the end, page 160 (not a multiple of 64): EINVAL",
		     EINVAL, clear_log(&d, 1, LOG_PAGES, 0, ones));
	expect_log(&d, "dirty manual: empty clears changed nothing",
		   PAGES(0, 5, 63, 64, 100));

	expect_errno("dirty manual: logging off", 0, set_log(&d, false));
	RUN(&d, "dirty manual: writes while not logging", { 1, OP_WRITE },
	    { 2, OP_WRITE });
	expect_errno("dirty manual: logging on again", 0, set_log(&d, true));
	expect_log(&d, "dirty manual: on again: empty", NONE);
	if (RUN(&d, "dirty manual: writes after on", { 1, OP_WRITE },
		{ 2, OP_READ }))
		expect_log(&d, "dirty manual: on again: the page written",
			   PAGES(1));
	vm_destroy(&d.vm);
}

/* KVM_DIRTY_LOG_INITIALLY_SET: a new log starts with every page's bit. */
static void test_dirty_initially_set(void)
{
	uint64_t ones[LOG_LONGS];
	int all[LOG_PAGES + 1];
	struct dvm d;

	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < LOG_PAGES; i++)
		all[i] = i;
	all[LOG_PAGES] = -1;
	dvm_create(&d, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET);
	expect_log(&d, "dirty initially set: every page, none past the slot", all);
	expect_errno("dirty initially set: CLEAR all", 0,
		     clear_log(&d, 1, 0, LOG_PAGES, ones));
	expect_log(&d, "dirty initially set: cleared", NONE);
	if (RUN(&d, "dirty initially set: a write", { 3, OP_WRITE },
		{ 4, OP_READ }))
		expect_log(&d, "dirty initially set: the page written", PAGES(3));
	vm_destroy(&d.vm);
}

void test_dirty(void)
{
	test_dirty_caps();
	test_dirty_auto();
	test_dirty_manual();
	test_dirty_initially_set();
}
