// SPDX-License-Identifier: GPL-2.0
/*
 * abi-pit.c: the abi program's pit and eventfd groups.
 *
 * pit: KVM_CREATE_PIT2 and its errnos, the power-on state,
 * KVM_GET/SET_PIT2 and KVM_GET/SET_PIT round trips, KVM_REINJECT_CONTROL,
 * the control word and count writes as KVM_GET_PIT2 sees them, a
 * real-mode guest that programs channel 0 (mode 2, 1 kHz), reads the
 * counter change, reads status and count back, and takes N interrupts
 * through the PIC, and port 0x61 with and without KVM_PIT_SPEAKER_DUMMY.
 *
 * eventfd: KVM_IOEVENTFD (errnos; PIO with and without datamatch, MMIO
 * with length 0 and 4: a second thread counts the eventfds' signals,
 * which equal the guest's writes exactly; the writes that do not match
 * exit to userspace; deassigned, they exit again) and KVM_IRQFD (errnos;
 * a 32-bit guest waits in HLT for an IOAPIC edge interrupt that another
 * thread raises through an irqfd, and for a level one through a resample
 * irqfd, whose resamplefd becomes readable at the guest's EOI).
 */
#include "abi.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Upstream's KVM is loaded (lab/run --upstream), not ours. */
static bool on_upstream(void)
{
	return !access("/sys/module/kvm_amd", F_OK) ||
	       !access("/sys/module/kvm_intel", F_OK);
}

/*
 * Where we refuse what upstream 6.1 takes (newer upstream's errnos, or
 * the brief's): under upstream, an info line instead of a FAIL.
 */
static void expect_errno_ours(const char *name, int want, int got)
{
	if (on_upstream() && got != want) {
		printf("info: abi: %s: upstream 6.1 answers %s (ours %s)\n", name,
		       got ? strerrorname_np(got) : "success",
		       want ? strerrorname_np(want) : "success");
		return;
	}
	expect_errno(name, want, got);
}

static const char *exit_str(uint32_t reason)
{
	static char buf[16];

	switch (reason) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_INTR: return "INTR";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	}
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}

static uint64_t rip_of(struct vcpu *v)
{
	struct kvm_regs r;

	ioctl(v->fd, KVM_GET_REGS, &r);
	return r.rip;
}

/*
 * KVM_RUN until an exit that is not KVM_EXIT_HLT (a HLT that userspace
 * gets, where the kernel does not halt in KVM_RUN, is run again), for
 * at most 10 s; then want KVM_EXIT_IO at @port.  Prints FAIL and returns
 * false otherwise.
 */
static bool run_port(struct vcpu *v, const char *name, int port)
{
	uint64_t deadline = now_ns() + 10000000000ULL;
	int rc;

	do
		rc = vcpu_run(v);
	while (rc == 0 && v->run->exit_reason == KVM_EXIT_HLT && now_ns() < deadline);
	if (rc == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == port)
		return true;
	failures++;
	printf("FAIL: abi: %s: KVM_RUN %d (%s), exit %s port %#x rip %#llx, want IO port %#x\n",
	       name, rc, rc ? strerrorname_np(errno) : "ok",
	       exit_str(v->run->exit_reason), v->run->io.port,
	       (unsigned long long)rip_of(v), port);
	return false;
}

/* KVM_RUN, wanting a KVM_EXIT_MMIO write of @len bytes of @data at @gpa. */
static void run_mmio(struct vcpu *v, const char *name, uint64_t gpa, int len,
		     uint64_t data)
{
	int rc = vcpu_run(v);
	uint64_t d = 0;

	if (rc || v->run->exit_reason != KVM_EXIT_MMIO) {
		check(false, name, "KVM_RUN %d (%s), exit %s port %#x, want MMIO",
		      rc, rc ? strerrorname_np(errno) : "ok",
		      exit_str(v->run->exit_reason), v->run->io.port);
		return;
	}
	memcpy(&d, v->run->mmio.data, 8);
	if (len < 8)
		d &= (1ULL << (8 * len)) - 1;
	check(v->run->mmio.phys_addr == gpa && v->run->mmio.len == (uint32_t)len &&
	      v->run->mmio.is_write && d == data, name,
	      "MMIO %s of %u bytes at %#llx, data %#llx; want a write of %d bytes at %#llx, data %#llx",
	      v->run->mmio.is_write ? "write" : "read", v->run->mmio.len,
	      (unsigned long long)v->run->mmio.phys_addr,
	      (unsigned long long)d, len, (unsigned long long)gpa,
	      (unsigned long long)data);
}

static uint32_t io_val(struct vcpu *v)
{
	uint32_t d = 0;

	memcpy(&d, (uint8_t *)v->run + v->run->io.data_offset, v->run->io.size);
	return d;
}

/*
 * A 1 MiB VM, with KVM_CREATE_IRQCHIP if @irqchip and then a PIT with
 * @pit_flags if @pit_flags >= 0, and one vCPU in real mode running
 * [start, end) at GUEST_BASE, SP = GUEST_SP.
 */
static bool irq_guest(struct vm *vm, struct vcpu *v, bool irqchip, int pit_flags,
		      const uint8_t *start, const uint8_t *end)
{
	struct kvm_pit_config pc = { .flags = pit_flags };
	struct kvm_regs r;

	vm_create(vm, 1 << 20);
	if (irqchip && ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		check(false, "KVM_CREATE_IRQCHIP", "%s", strerror(errno));
		vm_destroy(vm);
		return false;
	}
	if (pit_flags >= 0 && ioctl(vm->fd, KVM_CREATE_PIT2, &pc)) {
		check(false, "KVM_CREATE_PIT2", "%s", strerror(errno));
		vm_destroy(vm);
		return false;
	}
	vcpu_create(vm, v, 0);
	memcpy(vm->mem + GUEST_BASE, start, end - start);
	vcpu_real_mode(v, GUEST_BASE);
	ioctl(v->fd, KVM_GET_REGS, &r);
	r.rsp = GUEST_SP;
	r.rflags = 2;
	ioctl(v->fd, KVM_SET_REGS, &r);
	return true;
}

/* ---- the PIT ---------------------------------------------------------- */

static bool pit2(struct vm *vm, struct kvm_pit_state2 *s)
{
	memset(s, 0xcc, sizeof(*s));
	if (ioctl(vm->fd, KVM_GET_PIT2, s)) {
		check(false, "KVM_GET_PIT2", "%s", strerror(errno));
		return false;
	}
	return true;
}

/* Every field of a channel but count_load_time, for messages. */
static const char *chan_str(const struct kvm_pit_channel_state *c)
{
	static char buf[4][200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]),
		 "count %#x latched_count %#x count_latched %u status_latched %u status %#x read_state %u write_state %u write_latch %#x rw_mode %u mode %u bcd %u gate %u",
		 c->count, c->latched_count, c->count_latched, c->status_latched,
		 c->status, c->read_state, c->write_state, c->write_latch,
		 c->rw_mode, c->mode, c->bcd, c->gate);
	return buf[i];
}

static bool chan_eq(const struct kvm_pit_channel_state *a,
		    const struct kvm_pit_channel_state *b)
{
	return a->count == b->count && a->latched_count == b->latched_count &&
	       a->count_latched == b->count_latched &&
	       a->status_latched == b->status_latched && a->status == b->status &&
	       a->read_state == b->read_state && a->write_state == b->write_state &&
	       a->write_latch == b->write_latch && a->rw_mode == b->rw_mode &&
	       a->mode == b->mode && a->bcd == b->bcd && a->gate == b->gate;
}

static void check_chan(const char *name, const struct kvm_pit_channel_state *got,
		       const struct kvm_pit_channel_state *want)
{
	check(chan_eq(got, want), name, "got %s; want %s", chan_str(got),
	      chan_str(want));
}

static void test_pit_errnos(void)
{
	struct kvm_pit_config pc = { 0 };
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_pit_state2 s2;
	struct kvm_pit_state s;
	struct vm vm;

	vm_create(&vm, 1 << 20);
	expect_errno("pit: KVM_GET_PIT2 without a PIT", ENXIO,
		     ioctl_errno(vm.fd, KVM_GET_PIT2, &s2));
	memset(&s2, 0, sizeof(s2));
	expect_errno("pit: KVM_SET_PIT2 without a PIT", ENXIO,
		     ioctl_errno(vm.fd, KVM_SET_PIT2, &s2));
	expect_errno("pit: KVM_GET_PIT without a PIT", ENXIO,
		     ioctl_errno(vm.fd, KVM_GET_PIT, &s));
	memset(&s, 0, sizeof(s));
	expect_errno("pit: KVM_SET_PIT without a PIT", ENXIO,
		     ioctl_errno(vm.fd, KVM_SET_PIT, &s));
	expect_errno("pit: KVM_REINJECT_CONTROL without a PIT", ENXIO,
		     ioctl_errno(vm.fd, KVM_REINJECT_CONTROL, &rc));
	expect_errno_ours("pit: KVM_CREATE_PIT2 without an irqchip", ENOENT,
			  ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	vm_destroy(&vm);

	/* Unknown flags (upstream 6.1 takes them, and makes a PIT). */
	vm_create(&vm, 1 << 20);
	if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0)) {
		check(false, "pit: KVM_CREATE_IRQCHIP", "%s", strerror(errno));
		goto out;
	}
	pc.flags = 2;
	expect_errno_ours("pit: KVM_CREATE_PIT2 flags 2", EINVAL,
			  ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	pc.flags = 0x80000000;
	expect_errno_ours("pit: KVM_CREATE_PIT2 flags 1<<31", EINVAL,
			  ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	if (!on_upstream())
		expect_errno("pit: KVM_GET_PIT2 after refused creations", ENXIO,
			     ioctl_errno(vm.fd, KVM_GET_PIT2, &s2));
	vm_destroy(&vm);

	vm_create(&vm, 1 << 20);
	if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0)) {
		check(false, "pit: KVM_CREATE_IRQCHIP", "%s", strerror(errno));
		goto out;
	}
	pc.flags = 0;
	expect_errno("pit: KVM_CREATE_PIT2", 0,
		     ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	expect_errno("pit: KVM_CREATE_PIT2 twice", EEXIST,
		     ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	pc.flags = KVM_PIT_SPEAKER_DUMMY;
	expect_errno("pit: KVM_CREATE_PIT2 twice, speaker", EEXIST,
		     ioctl_errno(vm.fd, KVM_CREATE_PIT2, &pc));
	expect_errno("pit: KVM_REINJECT_CONTROL off", 0,
		     ioctl_errno(vm.fd, KVM_REINJECT_CONTROL, &rc));
	rc.pit_reinject = 1;
	expect_errno("pit: KVM_REINJECT_CONTROL on", 0,
		     ioctl_errno(vm.fd, KVM_REINJECT_CONTROL, &rc));
	rc.pit_reinject = 0xff;
	expect_errno("pit: KVM_REINJECT_CONTROL 0xff (on)", 0,
		     ioctl_errno(vm.fd, KVM_REINJECT_CONTROL, &rc));
out:
	vm_destroy(&vm);
}

/*
 * The power-on state (upstream's): count 0x10000, mode 0xff, gates 1, 1
 * and 0; then SET and GET of every field, each count_load_time re-based
 * to when KVM_SET_PIT2 ran; KVM_SET_PIT and KVM_GET_PIT the same without
 * flags; hostile values taken as they are.
 */
static void test_pit_state(void)
{
	struct kvm_pit_state2 in, out;
	struct kvm_pit_state sin, sout;
	struct kvm_pit_config pc = { 0 };
	uint64_t t0, t1;
	struct vm vm;
	bool ok;
	int i;

	vm_create(&vm, 1 << 20);
	if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0) ||
	    ioctl(vm.fd, KVM_CREATE_PIT2, &pc)) {
		check(false, "pit: state: VM with a PIT", "%s", strerror(errno));
		goto out;
	}
	if (!pit2(&vm, &out))
		goto out;
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state want = {
			.count = 0x10000, .mode = 0xff, .gate = i != 2,
		};
		char name[64];

		snprintf(name, sizeof(name), "pit: power-on state of channel %d", i);
		check_chan(name, &out.channels[i], &want);
	}
	ok = out.flags == 0;
	for (i = 0; i < 9; i++)
		ok &= out.reserved[i] == 0;
	check(ok, "pit: power-on flags 0, reserved 0", "flags %#x reserved[0] %#x",
	      out.flags, out.reserved[0]);

	memset(&in, 0, sizeof(in));
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &in.channels[i];

		c->count = i == 1 ? 0x10000 : 0x1234 + i;
		c->latched_count = 0x4321 + i;
		c->count_latched = 1 + i;
		c->status_latched = i & 1;
		c->status = 0x35 + i;
		c->read_state = 4 - i;
		c->write_state = 1 + i;
		c->write_latch = 0x56 + i;
		c->rw_mode = 3 - i;
		c->mode = i == 0 ? 2 : i + 3;
		c->bcd = i == 2;
		c->gate = i != 1;
		c->count_load_time = 12345 + i;
	}
	in.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	memset(in.reserved, 0xa5, sizeof(in.reserved));
	t0 = now_ns();
	expect_errno("pit: KVM_SET_PIT2", 0, ioctl_errno(vm.fd, KVM_SET_PIT2, &in));
	t1 = now_ns();
	if (!pit2(&vm, &out))
		goto out;
	for (i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "pit: KVM_SET_PIT2 round trip, channel %d", i);
		check_chan(name, &out.channels[i], &in.channels[i]);
		snprintf(name, sizeof(name), "pit: count_load_time of channel %d re-based", i);
		if (i == 0 && on_upstream() && out.channels[0].count_load_time ==
		    in.channels[0].count_load_time)
			printf("info: abi: %s: upstream 6.1 keeps channel 0's as given\n",
			       name);
		else
			check((uint64_t)out.channels[i].count_load_time >= t0 &&
			      (uint64_t)out.channels[i].count_load_time <= t1, name,
			      "%lld, not in [%llu, %llu]",
			      (long long)out.channels[i].count_load_time,
			      (unsigned long long)t0, (unsigned long long)t1);
	}
	ok = out.flags == in.flags;
	for (i = 0; i < 9; i++)
		ok &= out.reserved[i] == 0;
	check(ok, "pit: KVM_SET_PIT2 flags round trip, reserved read 0",
	      "flags %#x reserved[0] %#x", out.flags, out.reserved[0]);

	/* A count of 0 is 0x10000; HPET legacy (no timer) is kept. */
	in.channels[0].count = 0;
	in.flags = KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ioctl(vm.fd, KVM_SET_PIT2, &in);
	if (pit2(&vm, &out))
		check(out.channels[0].count == 0x10000 && out.flags == in.flags,
		      "pit: count 0 reads 0x10000, HPET legacy kept",
		      "count %#x flags %#x", out.channels[0].count, out.flags);

	/* KVM_SET_PIT: the channels only; flags stay. */
	memset(&sin, 0, sizeof(sin));
	for (i = 0; i < 3; i++) {
		sin.channels[i] = in.channels[i];
		sin.channels[i].count = 0x100 * (i + 1);
		sin.channels[i].mode = 3;
	}
	t0 = now_ns();
	expect_errno("pit: KVM_SET_PIT", 0, ioctl_errno(vm.fd, KVM_SET_PIT, &sin));
	t1 = now_ns();
	memset(&sout, 0xcc, sizeof(sout));
	expect_errno("pit: KVM_GET_PIT", 0, ioctl_errno(vm.fd, KVM_GET_PIT, &sout));
	for (i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "pit: KVM_SET_PIT round trip, channel %d", i);
		check_chan(name, &sout.channels[i], &sin.channels[i]);
		if (i == 0 && on_upstream())
			continue;	/* kept as given, as above */
		check((uint64_t)sout.channels[i].count_load_time >= t0 &&
		      (uint64_t)sout.channels[i].count_load_time <= t1,
		      "pit: KVM_SET_PIT re-bases count_load_time", "%lld",
		      (long long)sout.channels[i].count_load_time);
	}
	if (pit2(&vm, &out))
		check(out.flags == in.flags, "pit: KVM_SET_PIT leaves the flags",
		      "flags %#x, want %#x", out.flags, in.flags);

	/* Hostile values: taken, and read back. */
	memset(&in, 0xff, sizeof(in));
	in.flags = 0;
	in.channels[0].mode = 2;
	in.channels[0].count = 1;	/* the shortest period there is */
	expect_errno("pit: KVM_SET_PIT2 of 0xff bytes, channel 0 mode 2 count 1", 0,
		     ioctl_errno(vm.fd, KVM_SET_PIT2, &in));
	if (pit2(&vm, &out)) {
		check_chan("pit: 0xff bytes round trip, channel 0", &out.channels[0],
			   &in.channels[0]);
		check_chan("pit: 0xff bytes round trip, channel 1", &out.channels[1],
			   &in.channels[1]);
	}
	/* The VM goes with channel 0 ticking every 200 us. */
	usleep(20000);
out:
	vm_destroy(&vm);
}

/*
 * Control words and counts, as KVM_GET_PIT2 sees them (channel 1, which
 * has no timer): LSB only, MSB only, LSB then MSB with the flip-flop
 * between the bytes, modes 6 and 7 read as 2 and 3, BCD.
 */
GUEST_ASM(g_pitw, ".code16",
	"mov $0x50, %al\n out %al, $0x43\n"	/* ch1, LSB, mode 0 */
	"mov $0x37, %al\n out %al, $0x41\n"
	"out %al, $0x10\n"
	"mov $0x62, %al\n out %al, $0x43\n"	/* ch1, MSB, mode 1 */
	"mov $0x12, %al\n out %al, $0x41\n"
	"out %al, $0x10\n"
	"mov $0x7c, %al\n out %al, $0x43\n"	/* ch1, LSB+MSB, mode 6 */
	"mov $0x34, %al\n out %al, $0x41\n"
	"out %al, $0x10\n"
	"mov $0x12, %al\n out %al, $0x41\n"
	"out %al, $0x10\n"
	"mov $0x7f, %al\n out %al, $0x43\n"	/* ch1, LSB+MSB, mode 7, BCD */
	"mov $0x00, %al\n out %al, $0x41\n"
	"mov $0x10, %al\n out %al, $0x41\n"	/* 1000 in BCD */
	"mov $0x40, %al\n out %al, $0x43\n"	/* latch ch1 */
	"in $0x41, %al\n mov %al, %bl\n in $0x41, %al\n mov %al, %bh\n"
	"mov %bx, %ax\n out %ax, $0x11\n"
	"hlt\n");
extern const uint8_t g_pitw[], g_pitw_end[];

static void test_pit_writes(void)
{
	struct kvm_pit_channel_state want = { .gate = 1 };
	struct kvm_pit_state2 s;
	struct vm vm;
	struct vcpu v;
	unsigned int d, i, ok;

	if (!irq_guest(&vm, &v, true, 0, g_pitw, g_pitw_end))
		return;
	/* LSB: count 0x37, read and write states 1. */
	if (!run_port(&v, "pit: writes: LSB", 0x10) || !pit2(&vm, &s))
		goto out;
	want.count = 0x37;
	want.rw_mode = want.read_state = want.write_state = 1;
	want.mode = 0;
	check_chan("pit: control word 0x50 and an LSB", &s.channels[1], &want);
	if (!run_port(&v, "pit: writes: MSB", 0x10) || !pit2(&vm, &s))
		goto out;
	want.count = 0x1200;
	want.rw_mode = want.read_state = want.write_state = 2;
	want.mode = 1;
	check_chan("pit: control word 0x62 and an MSB", &s.channels[1], &want);
	if (!run_port(&v, "pit: writes: word, LSB", 0x10) || !pit2(&vm, &s))
		goto out;
	want.rw_mode = want.read_state = 3;
	want.write_state = 4;
	want.write_latch = 0x34;
	want.mode = 2;
	check_chan("pit: control word 0x7c (mode 6 is 2) and an LSB: flip-flop",
		   &s.channels[1], &want);
	if (!run_port(&v, "pit: writes: word, MSB", 0x10) || !pit2(&vm, &s))
		goto out;
	want.count = 0x1234;
	want.write_state = 3;
	check_chan("pit: then the MSB: count 0x1234", &s.channels[1], &want);
	if (!run_port(&v, "pit: writes: BCD", 0x11) || !pit2(&vm, &s))
		goto out;
	d = io_val(&v);
	want.count = 0x1000;
	want.mode = 3;
	want.bcd = 1;
	want.write_latch = 0;
	want.latched_count = d;	/* both bytes read: count_latched 0 */
	check_chan("pit: control word 0x7f (mode 7 is 3, BCD), count 0x1000",
		   &s.channels[1], &want);
	/* Mode 3 counts by two from 1000: even BCD digits, at most 1000. */
	ok = d <= 0x1000 && !(d & 1);
	for (i = 0; i < 16; i += 4)
		ok &= ((d >> i) & 0xf) <= 9;
	if (!ok && on_upstream())
		printf("info: abi: pit: a BCD count reads in BCD: upstream 6.1 counts in binary (read %#x)\n",
		       d);
	else
		check(ok, "pit: a BCD count reads in BCD", "read %#x", d);
out:
	vm_destroy(&vm);
}

#define PIT_TICKS	20
#define STR_(x)		#x
#define STR(x)		STR_(x)

/*
 * Channel 0 in mode 2 at 1193 (1 kHz) through port I/O: the latched
 * counter, until it changes; a read-back of status and count; then
 * PIT_TICKS interrupts through the PIC (vector 0x20), the last of which
 * masks IRQ 0.  Every other vector's handler exits at port 0x1f.
 */
GUEST_ASM(g_pit, ".code16",
	/* The PICs: vectors 0x20 and 0x28, only IRQ 0 unmasked. */
	"mov $0x11, %al\n out %al, $0x20\n out %al, $0xa0\n"
	"mov $0x20, %al\n out %al, $0x21\n"
	"mov $0x28, %al\n out %al, $0xa1\n"
	"mov $0x04, %al\n out %al, $0x21\n"
	"mov $0x02, %al\n out %al, $0xa1\n"
	"mov $0x01, %al\n out %al, $0x21\n out %al, $0xa1\n"
	"mov $0xff, %al\n out %al, $0xa1\n"
	"mov $0xfe, %al\n out %al, $0x21\n"
	/* Channel 0: LSB then MSB, mode 2, binary; 1193 = 0x4a9. */
	"mov $0x34, %al\n out %al, $0x43\n"
	"mov $0xa9, %al\n out %al, $0x40\n"
	"mov $0x04, %al\n out %al, $0x40\n"
	"call g_pit_latch\n mov %ax, %bx\n"
	"xor %edx, %edx\n"
"g_pit_again:\n"
	"call g_pit_latch\n cmp %ax, %bx\n jne g_pit_changed\n"
	"inc %edx\n cmp $0x1000000, %edx\n jb g_pit_again\n"
"g_pit_changed:\n"
	"mov %ax, %cx\n"
	"mov %bx, %ax\n out %ax, $0x10\n"
	"mov %cx, %ax\n out %ax, $0x11\n"
	"mov %edx, %eax\n out %eax, $0x12\n"
	/* Read-back of channel 0's status and count (0xc2). */
	"mov $0xc2, %al\n out %al, $0x43\n"
	"in $0x40, %al\n out %al, $0x13\n"
	"in $0x40, %al\n mov %al, %bl\n in $0x40, %al\n mov %al, %bh\n"
	"mov %bx, %ax\n out %ax, $0x14\n"
	/* The interrupts. */
	"movb $0, 0x600\n"
"g_pit_wait:\n"
	"cli\n cmpb $" STR(PIT_TICKS) ", 0x600\n jae g_pit_done\n"
	"sti\n hlt\n jmp g_pit_wait\n"
"g_pit_done:\n"
	"movb 0x600, %al\n out %al, $0x15\n"
	"hlt\n"
"g_pit_latch:\n"
	"mov $0x00, %al\n out %al, $0x43\n"
	"in $0x40, %al\n mov %al, %ah\n in $0x40, %al\n xchg %al, %ah\n"
	"ret\n"
"g_pit_isr:\n"
	"push %ax\n"
	"incb 0x600\n"
	"cmpb $" STR(PIT_TICKS) ", 0x600\n jb 1f\n"
	"mov $0xff, %al\n out %al, $0x21\n"
"1:\n"
	"mov $0x20, %al\n out %al, $0x20\n"
	"pop %ax\n"
	"iret\n"
"g_pit_bad:\n"
	"out %al, $0x1f\n"
	"hlt\n");
extern const uint8_t g_pit[], g_pit_end[], g_pit_isr[], g_pit_bad[];

static void test_pit_guest(bool reinject)
{
	struct kvm_reinject_control rc = { .pit_reinject = reinject };
	struct kvm_pit_channel_state want = {
		.count = 1193, .rw_mode = 3, .read_state = 3, .write_state = 3,
		.write_latch = 0xa9, .mode = 2, .gate = 1,
	};
	const char *tag = reinject ? "pit: reinject on" : "pit: reinject off";
	struct kvm_pit_state2 s;
	uint32_t first, second, tries;
	char name[128];
	struct vm vm;
	struct vcpu v;
	int i;

	if (!irq_guest(&vm, &v, true, 0, g_pit, g_pit_end))
		return;
	for (i = 0; i < 256; i++)
		ivt_set(&vm, i, AT(g_pit, g_pit_bad));
	ivt_set(&vm, 0x20, AT(g_pit, g_pit_isr));
	if (!reinject)
		expect_errno("pit: KVM_REINJECT_CONTROL off", 0,
			     ioctl_errno(vm.fd, KVM_REINJECT_CONTROL, &rc));

	if (!run_port(&v, tag, 0x10))
		goto out;
	first = io_val(&v);
	if (!run_port(&v, tag, 0x11))
		goto out;
	second = io_val(&v);
	if (!run_port(&v, tag, 0x12))
		goto out;
	tries = io_val(&v);
	snprintf(name, sizeof(name), "%s: the latched counter counts down from 1193", tag);
	check(first >= 1 && first <= 1193 && second >= 1 && second <= 1193 &&
	      first != second && tries < 0x1000000, name,
	      "read %u, then %u after %u more reads", first, second, tries);

	if (!run_port(&v, tag, 0x13))
		goto out;
	snprintf(name, sizeof(name), "%s: read-back status: LSB+MSB, mode 2, binary", tag);
	check((io_val(&v) & 0x7f) == 0x34, name, "status %#x", io_val(&v));
	if (!run_port(&v, tag, 0x14))
		goto out;
	snprintf(name, sizeof(name), "%s: read-back count", tag);
	check(io_val(&v) >= 1 && io_val(&v) <= 1193, name, "count %u", io_val(&v));

	if (!run_port(&v, tag, 0x15))
		goto out;
	snprintf(name, sizeof(name), "%s: %d timer interrupts at vector 0x20", tag,
		 PIT_TICKS);
	check(io_val(&v) == PIT_TICKS, name, "count %u", io_val(&v));
	if (pit2(&vm, &s)) {
		/* What the read-back latched, both read out. */
		want.latched_count = s.channels[0].latched_count;
		want.status = s.channels[0].status;
		snprintf(name, sizeof(name), "%s: channel 0 as programmed", tag);
		check_chan(name, &s.channels[0], &want);
		snprintf(name, sizeof(name), "%s: the latched status kept", tag);
		check((s.channels[0].status & 0x7f) == 0x34, name, "status %#x",
		      s.channels[0].status);
	}
out:
	vm_destroy(&vm);
}

/*
 * Port 0x61 with KVM_PIT_SPEAKER_DUMMY: gate 2 and speaker data on,
 * channel 2 in mode 0 with a count of 2: OUT (bit 5) rises.
 */
GUEST_ASM(g_spk, ".code16",
	"mov $0x03, %al\n out %al, $0x61\n"
	"mov $0xb0, %al\n out %al, $0x43\n"	/* ch2, LSB+MSB, mode 0 */
	"mov $0x02, %al\n out %al, $0x42\n"
	"mov $0x00, %al\n out %al, $0x42\n"
	"xor %edx, %edx\n"
"1:\n"
	"in $0x61, %al\n test $0x20, %al\n jnz 2f\n"
	"inc %edx\n cmp $0x1000000, %edx\n jb 1b\n"
"2:\n"
	"out %al, $0x10\n"
	"mov $0x00, %al\n out %al, $0x61\n"
	"in $0x61, %al\n out %al, $0x11\n"
	"hlt\n");
extern const uint8_t g_spk[], g_spk_end[];

static const uint8_t g_nospk[] = { 0xe4, 0x61, 0xf4 };	/* in al, 0x61; hlt */

static void test_pit_speaker(void)
{
	struct kvm_pit_state2 s;
	struct vm vm;
	struct vcpu v;

	if (!irq_guest(&vm, &v, true, KVM_PIT_SPEAKER_DUMMY, g_spk, g_spk_end))
		return;
	if (!run_port(&v, "pit: speaker", 0x10))
		goto out;
	check((io_val(&v) & 0x23) == 0x23, "pit: port 0x61: OUT 2, data on, gate 2",
	      "read %#x", io_val(&v));
	if (pit2(&vm, &s))
		check(s.channels[2].gate == 1 && s.channels[2].mode == 0 &&
		      s.channels[2].count == 2 &&
		      (s.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON),
		      "pit: port 0x61 sets gate 2 and speaker data",
		      "gate %u mode %u count %u flags %#x", s.channels[2].gate,
		      s.channels[2].mode, s.channels[2].count, s.flags);
	if (!run_port(&v, "pit: speaker off", 0x11))
		goto out;
	check((io_val(&v) & 0x03) == 0, "pit: port 0x61 0: gate and data off",
	      "read %#x", io_val(&v));
	if (pit2(&vm, &s))
		check(s.channels[2].gate == 0 &&
		      !(s.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON),
		      "pit: port 0x61 0: KVM_GET_PIT2", "gate %u flags %#x",
		      s.channels[2].gate, s.flags);
out:
	vm_destroy(&vm);

	/* Without KVM_PIT_SPEAKER_DUMMY, port 0x61 is userspace's. */
	if (!irq_guest(&vm, &v, true, 0, g_nospk, g_nospk + sizeof(g_nospk)))
		return;
	if (run_port(&v, "pit: port 0x61 without the dummy speaker", 0x61))
		check(v.run->io.direction == KVM_EXIT_IO_IN && v.run->io.size == 1,
		      "pit: port 0x61 without the dummy speaker exits",
		      "direction %u size %u", v.run->io.direction, v.run->io.size);
	vm_destroy(&vm);
}

void test_pit(void)
{
	test_pit_errnos();
	test_pit_state();
	test_pit_writes();
	test_pit_guest(true);
	test_pit_guest(false);
	test_pit_speaker();
}

/* ---- ioeventfd -------------------------------------------------------- */

/* A thread that reads eventfds (non-blocking) and sums what it reads. */
struct reader {
	int fds[8];
	uint64_t sums[8];
	int n;
	volatile int stop;
	pthread_t thread;
};

static void reader_drain(struct reader *r)
{
	uint64_t c;

	for (int i = 0; i < r->n; i++)
		while (read(r->fds[i], &c, 8) == 8)
			r->sums[i] += c;
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct pollfd p[8];

	for (int i = 0; i < r->n; i++)
		p[i] = (struct pollfd){ .fd = r->fds[i], .events = POLLIN };
	while (!r->stop) {
		poll(p, r->n, 20);
		reader_drain(r);
	}
	reader_drain(r);
	return NULL;
}

static void reader_start(struct reader *r)
{
	memset(r->sums, 0, sizeof(r->sums));
	r->stop = 0;
	pthread_create(&r->thread, NULL, reader_fn, r);
}

static void reader_stop(struct reader *r)
{
	r->stop = 1;
	pthread_join(r->thread, NULL);
}

static int ioeventfd(struct vm *vm, int fd, uint64_t addr, uint32_t len,
		     uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl_errno(vm->fd, KVM_IOEVENTFD, &a);
}

static void test_ioeventfd_errnos(void)
{
	int efd = eventfd(0, EFD_NONBLOCK), null = open("/dev/null", O_RDWR);
	struct vm vm;

	vm_create(&vm, 1 << 20);
	expect_errno("ioeventfd: length 3", EINVAL, ioeventfd(&vm, efd, 0x500, 3, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: length 16", EINVAL, ioeventfd(&vm, efd, 0x500, 16, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: addr + len wraps", EINVAL, ioeventfd(&vm, efd, ~0ULL - 1, 4, 0, 0));
	expect_errno("ioeventfd: unknown flag 1<<5", EINVAL, ioeventfd(&vm, efd, 0x500, 1, 1 << 5, 0));
	expect_errno_ours("ioeventfd: VIRTIO_CCW_NOTIFY", EINVAL,
		     ioeventfd(&vm, efd, 0x500, 1, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, 0));
	expect_errno("ioeventfd: length 0 with datamatch", EINVAL,
		     ioeventfd(&vm, efd, 0x500, 0, KVM_IOEVENTFD_FLAG_DATAMATCH, 0));
	expect_errno("ioeventfd: fd -1", EBADF, ioeventfd(&vm, -1, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: /dev/null", EINVAL, ioeventfd(&vm, null, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: PIO 0x500 length 1", 0, ioeventfd(&vm, efd, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: the same again", EEXIST, ioeventfd(&vm, efd, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: the same with a datamatch", EEXIST,
		     ioeventfd(&vm, efd, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH, 7));
	expect_errno("ioeventfd: length 0 at the same port", EEXIST,
		     ioeventfd(&vm, efd, 0x500, 0, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: the same on the MMIO bus", 0, ioeventfd(&vm, efd, 0x500, 1, 0, 0));
	expect_errno("ioeventfd: PIO 0x500 length 2", 0, ioeventfd(&vm, efd, 0x500, 2, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: datamatch 1", 0,
		     ioeventfd(&vm, efd, 0x600, 4, KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	expect_errno("ioeventfd: datamatch 2 beside it", 0,
		     ioeventfd(&vm, efd, 0x600, 4, KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	expect_errno("ioeventfd: no datamatch beside them", EEXIST, ioeventfd(&vm, efd, 0x600, 4, 0, 0));
	expect_errno("ioeventfd: deassign datamatch 3", ENOENT,
		     ioeventfd(&vm, efd, 0x600, 4, KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN, 3));
	expect_errno("ioeventfd: deassign datamatch 2", 0,
		     ioeventfd(&vm, efd, 0x600, 4, KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN, 2));
	expect_errno("ioeventfd: deassign it again", ENOENT,
		     ioeventfd(&vm, efd, 0x600, 4, KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN, 2));
	expect_errno("ioeventfd: deassign of another length", ENOENT,
		     ioeventfd(&vm, efd, 0x500, 4, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	expect_errno("ioeventfd: deassign fd -1", EBADF,
		     ioeventfd(&vm, -1, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	expect_errno("ioeventfd: deassign /dev/null", EINVAL,
		     ioeventfd(&vm, null, 0x500, 1, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	/* The eventfd closed while assigned, the rest left to the VM's end. */
	close(efd);
	vm_destroy(&vm);
	close(null);
}

/*
 * PIO: 7 OUTB at 0x500 (length 1, any value), 3 OUTW of 0x1234 at 0x502
 * (datamatch 0x1234), then an OUTW of 0x5678 at 0x502 and an OUTW at
 * 0x500, which are not theirs and exit.  MMIO (ES:0x10 = 0x100000, past
 * the 1 MiB slot): 3 writes of 1, 2 and 4 bytes at 0x100000 (length 0),
 * 2 of 4 bytes at 0x100010 (length 4) and one of 1 byte, which exits;
 * 0xdeadbeef at 0x100020 (datamatch) and then 0xcafe, which exits.
 */
GUEST_ASM(g_ioev, ".code16",
	"mov $0x500, %dx\n mov $7, %cx\n"
"1:\n"
	"out %al, (%dx)\n loop 1b\n"
	"mov $0x502, %dx\n mov $0x1234, %ax\n"
	"out %ax, (%dx)\n out %ax, (%dx)\n out %ax, (%dx)\n"
	"mov $0x5678, %ax\n out %ax, (%dx)\n"
	"mov $0x500, %dx\n out %ax, (%dx)\n"
	"out %al, $0x10\n"
	/* 0x500 deassigned: exits */
	"mov $0x500, %dx\n mov $0x42, %al\n out %al, (%dx)\n"
	"mov $0xffff, %ax\n mov %ax, %es\n"
	"movb $1, %es:0x10\n movw $2, %es:0x10\n movl $3, %es:0x10\n"
	"movl $4, %es:0x20\n movl $4, %es:0x20\n"
	"movb $5, %es:0x20\n"
	"movl $0xdeadbeef, %es:0x30\n"
	"movl $0xcafe, %es:0x30\n"
	"out %al, $0x11\n"
	/* 0x100010 deassigned: exits */
	"movl $6, %es:0x20\n"
	"out %al, $0x12\n"
	"hlt\n");
extern const uint8_t g_ioev[], g_ioev_end[];

static void test_ioeventfd_guest(void)
{
	struct reader r = { .n = 5 };
	struct vm vm;
	struct vcpu v;
	int i;

	for (i = 0; i < r.n; i++)
		r.fds[i] = eventfd(0, EFD_NONBLOCK);
	if (!irq_guest(&vm, &v, false, -1, g_ioev, g_ioev_end))
		goto close;
	expect_errno("ioeventfd: PIO 0x500 length 1", 0,
		     ioeventfd(&vm, r.fds[0], 0x500, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	expect_errno("ioeventfd: PIO 0x502 length 2 datamatch 0x1234", 0,
		     ioeventfd(&vm, r.fds[1], 0x502, 2,
			       KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH, 0x1234));
	expect_errno("ioeventfd: MMIO 0x100000 length 0", 0,
		     ioeventfd(&vm, r.fds[2], 0x100000, 0, 0, 0));
	expect_errno("ioeventfd: MMIO 0x100010 length 4", 0,
		     ioeventfd(&vm, r.fds[3], 0x100010, 4, 0, 0));
	expect_errno("ioeventfd: MMIO 0x100020 length 4 datamatch 0xdeadbeef", 0,
		     ioeventfd(&vm, r.fds[4], 0x100020, 4, KVM_IOEVENTFD_FLAG_DATAMATCH,
			       0xdeadbeef));

	reader_start(&r);
	if (run_port(&v, "ioeventfd: OUTW 0x5678 at 0x502 exits", 0x502))
		check(v.run->io.direction == KVM_EXIT_IO_OUT && v.run->io.size == 2 &&
		      io_val(&v) == 0x5678, "ioeventfd: a value not the datamatch exits",
		      "direction %u size %u data %#x", v.run->io.direction,
		      v.run->io.size, io_val(&v));
	if (run_port(&v, "ioeventfd: OUTW at 0x500 (length 1) exits", 0x500))
		check(v.run->io.size == 2, "ioeventfd: another length exits",
		      "size %u", v.run->io.size);
	if (!run_port(&v, "ioeventfd: PIO done", 0x10))
		goto stop;
	reader_stop(&r);
	check(r.sums[0] == 7, "ioeventfd: 7 OUTB at 0x500, 7 signals", "%llu",
	      (unsigned long long)r.sums[0]);
	check(r.sums[1] == 3, "ioeventfd: 3 OUTW of 0x1234 at 0x502, 3 signals", "%llu",
	      (unsigned long long)r.sums[1]);

	expect_errno("ioeventfd: deassign PIO 0x500", 0,
		     ioeventfd(&vm, r.fds[0], 0x500, 1,
			       KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	reader_start(&r);
	if (run_port(&v, "ioeventfd: OUTB at 0x500 deassigned exits", 0x500))
		check(io_val(&v) == 0x42 && v.run->io.size == 1,
		      "ioeventfd: deassigned, the OUTB exits", "size %u data %#x",
		      v.run->io.size, io_val(&v));
	run_mmio(&v, "ioeventfd: 1-byte write at a length-4 MMIO ioeventfd exits",
		 0x100010, 1, 5);
	run_mmio(&v, "ioeventfd: 0xcafe at the 0xdeadbeef datamatch exits",
		 0x100020, 4, 0xcafe);
	if (!run_port(&v, "ioeventfd: MMIO done", 0x11))
		goto stop;
	reader_stop(&r);
	check(r.sums[0] == 0 && r.sums[1] == 0, "ioeventfd: PIO quiet since",
	      "%llu and %llu", (unsigned long long)r.sums[0],
	      (unsigned long long)r.sums[1]);
	check(r.sums[2] == 3, "ioeventfd: MMIO length 0: 3 writes of 1, 2, 4 bytes",
	      "%llu", (unsigned long long)r.sums[2]);
	check(r.sums[3] == 2, "ioeventfd: MMIO length 4: 2 signals", "%llu",
	      (unsigned long long)r.sums[3]);
	check(r.sums[4] == 1, "ioeventfd: MMIO datamatch 0xdeadbeef: 1 signal", "%llu",
	      (unsigned long long)r.sums[4]);

	expect_errno("ioeventfd: deassign MMIO 0x100010", 0,
		     ioeventfd(&vm, r.fds[3], 0x100010, 4, KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	reader_start(&r);
	run_mmio(&v, "ioeventfd: deassigned, the MMIO write exits", 0x100010, 4, 6);
	run_port(&v, "ioeventfd: end", 0x12);
stop:
	reader_stop(&r);
	vm_destroy(&vm);
close:
	for (i = 0; i < r.n; i++)
		close(r.fds[i]);
}

/* ---- irqfd ------------------------------------------------------------ */

/*
 * A 32-bit protected-mode guest without paging: GDT at 0x800, IDT at
 * 0x2000, and for each vector v a stub at 0x3000 + 8v (push %eax; mov
 * $v, %al; jmp common) whose common part records the vector at 0x600,
 * counts at 0x604 and writes the local APIC's EOI.  The guest masks the
 * PICs and LVT0, enables its local APIC, programs the IOAPIC pins from
 * the (pin, low dword) pairs at 0x500 (pin 0xff ends them; destination
 * APIC id 0), reports at port 0x10, then waits in HLT and reports each
 * interrupt's vector at port 0x11.
 */
#define IRQ_GDT		0x800
#define IRQ_IDT		0x2000
#define IRQ_STUBS	0x3000

GUEST_ASM(g_irqfd, ".code32",
	"mov $0x11, %al\n out %al, $0x20\n out %al, $0xa0\n"
	"mov $0x20, %al\n out %al, $0x21\n"
	"mov $0x28, %al\n out %al, $0xa1\n"
	"mov $0x04, %al\n out %al, $0x21\n"
	"mov $0x02, %al\n out %al, $0xa1\n"
	"mov $0x01, %al\n out %al, $0x21\n out %al, $0xa1\n"
	"mov $0xff, %al\n out %al, $0x21\n out %al, $0xa1\n"
	"movl $0x1ff, 0xfee000f0\n"
	"movl $0x10000, 0xfee00350\n"
	"mov $0x500, %esi\n"
"1:\n"
	"mov (%esi), %ecx\n cmp $0xff, %ecx\n je 2f\n"
	"lea 0x10(,%ecx,2), %edx\n"
	"mov %edx, 0xfec00000\n mov 4(%esi), %eax\n mov %eax, 0xfec00010\n"
	"inc %edx\n"
	"mov %edx, 0xfec00000\n movl $0, 0xfec00010\n"
	"add $8, %esi\n jmp 1b\n"
"2:\n"
	"xor %ebx, %ebx\n out %al, $0x10\n"
"g_irqfd_wait:\n"
	"cli\n mov 0x604, %eax\n cmp %eax, %ebx\n jne 3f\n"
	"sti\n hlt\n jmp g_irqfd_wait\n"
"3:\n"
	"mov %eax, %ebx\n mov 0x600, %al\n out %al, $0x11\n"
	"jmp g_irqfd_wait\n"
"g_irqfd_common:\n"
	"mov %al, 0x600\n incl 0x604\n movl $0, 0xfee000b0\n"
	"pop %eax\n iret\n");
extern const uint8_t g_irqfd[], g_irqfd_end[], g_irqfd_common[];

static void pm32_guest(struct vm *vm, struct vcpu *v)
{
	uint64_t *gdt = (uint64_t *)(vm->mem + IRQ_GDT);
	uint32_t common = AT(g_irqfd, g_irqfd_common);
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 8,
		.type = 11, .present = 1, .db = 1, .s = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 16,
		.type = 3, .present = 1, .db = 1, .s = 1, .g = 1 };
	struct kvm_regs r = { .rip = GUEST_BASE, .rsp = GUEST_SP, .rflags = 2 };
	struct kvm_sregs s;
	int i;

	memcpy(vm->mem + GUEST_BASE, g_irqfd, g_irqfd_end - g_irqfd);
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	for (i = 0; i < 256; i++) {
		uint8_t *stub = vm->mem + IRQ_STUBS + 8 * i;
		uint32_t at = IRQ_STUBS + 8 * i, rel = common - (at + 8);
		uint64_t *gate = (uint64_t *)(vm->mem + IRQ_IDT + 8 * i);

		stub[0] = 0x50;			/* push %eax */
		stub[1] = 0xb0;			/* mov $i, %al */
		stub[2] = i;
		stub[3] = 0xe9;			/* jmp rel32 */
		memcpy(stub + 4, &rel, 4);
		/* 32-bit interrupt gate, present, DPL 0, selector 8. */
		*gate = (at & 0xffff) | 8ULL << 16 | 0x8eULL << 40 |
			(uint64_t)(at >> 16) << 48;
	}
	ioctl(v->fd, KVM_GET_SREGS, &s);
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.gdt.base = IRQ_GDT;
	s.gdt.limit = 23;
	s.idt.base = IRQ_IDT;
	s.idt.limit = 256 * 8 - 1;
	s.cr0 = 0x11;
	s.cr4 = 0;
	s.efer = 0;
	ioctl(v->fd, KVM_SET_SREGS, &s);
	ioctl(v->fd, KVM_SET_REGS, &r);
}

static int irqfd(struct vm *vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ioctl_errno(vm->fd, KVM_IRQFD, &a);
}

struct later {
	int fd;
	pthread_t thread;
};

/* Another thread writes 1 to the eventfd 100 ms from now. */
static void *write_later_fn(void *arg)
{
	struct later *l = arg;
	uint64_t one = 1;

	usleep(100000);
	if (write(l->fd, &one, 8) != 8)
		printf("FAIL: abi: irqfd: write to the eventfd: %s\n", strerror(errno));
	return NULL;
}

static void write_later(struct later *l, int fd)
{
	l->fd = fd;
	pthread_create(&l->thread, NULL, write_later_fn, l);
}

/*
 * The guest waits in HLT; another thread writes @fd; the guest's
 * handler reports @vector, the @n-th interrupt.
 */
static bool irqfd_round(struct vm *vm, struct vcpu *v, int fd, int vector,
			uint32_t n, const char *name)
{
	struct later l;
	uint32_t count;
	bool ok;

	write_later(&l, fd);
	ok = run_port(v, name, 0x11);
	pthread_join(l.thread, NULL);
	if (!ok)
		return false;
	memcpy(&count, vm->mem + 0x604, 4);
	check(io_val(v) == (uint32_t)vector && count == n, name,
	      "vector %#x, interrupt %u; want %#x, %u", io_val(v), count, vector, n);
	return io_val(v) == (uint32_t)vector;
}

static void test_irqfd_errnos(void)
{
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	int efd3 = eventfd(0, EFD_NONBLOCK), efd4 = eventfd(0, EFD_NONBLOCK);
	int null = open("/dev/null", O_RDWR);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct vm vm;

	vm_create(&vm, 1 << 20);
	expect_errno("irqfd: without an irqchip", EINVAL, irqfd(&vm, efd, 5, 0, 0));
	expect_errno("irqfd: deassign without an irqchip", 0,
		     irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0)) {
		check(false, "irqfd: KVM_CREATE_IRQCHIP", "%s", strerror(errno));
		goto out;
	}
	expect_errno("irqfd: flags 4", EINVAL, irqfd(&vm, efd, 5, 4, 0));
	expect_errno("irqfd: flags 1<<31", EINVAL, irqfd(&vm, efd, 5, 1U << 31, 0));
	expect_errno_ours("irqfd: gsi 4096", EINVAL, irqfd(&vm, efd3, 4096, 0, 0));
	expect_errno_ours("irqfd: gsi 0xffffffff", EINVAL, irqfd(&vm, efd4, ~0U, 0, 0));
	expect_errno("irqfd: fd -1", EBADF, irqfd(&vm, -1, 5, 0, 0));
	expect_errno("irqfd: fd 1000 (not open)", EBADF, irqfd(&vm, 1000, 5, 0, 0));
	expect_errno("irqfd: /dev/null", EINVAL, irqfd(&vm, null, 5, 0, 0));
	expect_errno("irqfd: resamplefd -1", EBADF,
		     irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, -1));
	expect_errno("irqfd: resamplefd /dev/null", EINVAL,
		     irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, null));
	expect_errno("irqfd: gsi 5", 0, irqfd(&vm, efd, 5, 0, 0));
	expect_errno("irqfd: the same eventfd again", EBUSY, irqfd(&vm, efd, 5, 0, 0));
	expect_errno("irqfd: the same eventfd on gsi 6", EBUSY, irqfd(&vm, efd, 6, 0, 0));
	expect_errno("irqfd: another eventfd on gsi 5", 0, irqfd(&vm, efd2, 5, 0, 0));
	expect_errno("irqfd: deassign fd -1", EBADF,
		     irqfd(&vm, -1, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	expect_errno("irqfd: deassign /dev/null", EINVAL,
		     irqfd(&vm, null, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	expect_errno("irqfd: deassign of another gsi", 0,
		     irqfd(&vm, efd, 7, KVM_IRQFD_FLAG_DEASSIGN, 0));
	expect_errno("irqfd: still assigned", EBUSY, irqfd(&vm, efd, 5, 0, 0));
	expect_errno("irqfd: deassign", 0, irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	expect_errno("irqfd: deassigned, assigned again to gsi 6", 0,
		     irqfd(&vm, efd, 6, 0, 0));
	/* efd2 closed while assigned (EPOLLHUP); efd left to the VM's end. */
	close(efd2);
out:
	vm_destroy(&vm);

	vm_create(&vm, 1 << 20);
	if (ioctl(vm.fd, KVM_ENABLE_CAP, &cap)) {
		check(false, "irqfd: KVM_CAP_SPLIT_IRQCHIP", "%s", strerror(errno));
	} else {
		expect_errno("irqfd: resample with a split irqchip", EINVAL,
			     irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, efd));
		expect_errno("irqfd: plain irqfd with a split irqchip", 0,
			     irqfd(&vm, efd, 5, 0, 0));
	}
	vm_destroy(&vm);
	close(efd);
	close(efd3);
	close(efd4);
	close(null);
}

/*
 * A VM with an in-kernel irqchip and the 32-bit irqfd guest on vCPU 0,
 * its IOAPIC pins in its table at 0x500: pin 5 vector 0x40 edge, pin 6
 * vector 0x41 level, both to APIC 0.  False (checked, VM gone) if the
 * irqchip cannot be made.
 */
static bool irqfd_guest(struct vm *vm, struct vcpu *v, const char *what)
{
	uint32_t *pins;

	vm_create(vm, 1 << 20);
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		check(false, what, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		vm_destroy(vm);
		return false;
	}
	vcpu_create(vm, v, 0);
	pm32_guest(vm, v);
	pins = (uint32_t *)(vm->mem + 0x500);
	pins[0] = 5;
	pins[1] = 0x40;
	pins[2] = 6;
	pins[3] = 0x41 | 1 << 15;
	pins[4] = 0xff;
	return true;
}

static void test_irqfd_guest(void)
{
	int efd = eventfd(0, EFD_NONBLOCK), lfd = eventfd(0, EFD_NONBLOCK);
	int rfd = eventfd(0, EFD_NONBLOCK);
	uint64_t val;
	struct vm vm;
	struct vcpu v;
	ssize_t n;

	if (!irqfd_guest(&vm, &v, "irqfd"))
		goto close;

	expect_errno("irqfd: eventfd to gsi 5", 0, irqfd(&vm, efd, 5, 0, 0));
	expect_errno("irqfd: resample eventfd to gsi 6", 0,
		     irqfd(&vm, lfd, 6, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	if (!run_port(&v, "irqfd: guest ready", 0x10))
		goto out;

	if (!irqfd_round(&vm, &v, efd, 0x40, 1,
			 "irqfd: an eventfd write in another thread wakes HLT, vector 0x40"))
		goto out;
	irqfd_round(&vm, &v, efd, 0x40, 2, "irqfd: again, edge: vector 0x40");
	irqfd_round(&vm, &v, efd, 0x40, 3, "irqfd: and again: vector 0x40");

	n = read(rfd, &val, 8);
	check(n < 0 && errno == EAGAIN, "irqfd: resamplefd quiet before the level interrupt",
	      "read %zd", n);
	if (!irqfd_round(&vm, &v, lfd, 0x41, 4,
			 "irqfd: resample irqfd, level pin: vector 0x41"))
		goto out;
	val = 0;
	n = read(rfd, &val, 8);
	check(n == 8 && val == 1, "irqfd: the guest's EOI signals the resamplefd",
	      "read %zd, value %llu", n, (unsigned long long)val);
	irqfd_round(&vm, &v, lfd, 0x41, 5, "irqfd: resample irqfd again: vector 0x41");
	val = 0;
	n = read(rfd, &val, 8);
	check(n == 8 && val == 1, "irqfd: the second EOI signals the resamplefd",
	      "read %zd, value %llu", n, (unsigned long long)val);

	/* Deassigned and assigned again, to the level pin's GSI: no resample. */
	expect_errno("irqfd: deassign gsi 5", 0,
		     irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	expect_errno("irqfd: assign again", 0, irqfd(&vm, efd, 5, 0, 0));
	irqfd_round(&vm, &v, efd, 0x40, 6, "irqfd: assigned again: vector 0x40");
out:
	/* Both irqfds left for the VM's end to release. */
	vm_destroy(&vm);
close:
	close(efd);
	close(lfd);
	close(rfd);
}

struct storm {
	int fds[2];
	volatile int stop;
	long writes;
};

static void *storm_fn(void *arg)
{
	struct storm *st = arg;
	uint64_t one = 1;

	while (!st->stop)
		for (int i = 0; i < 2; i++)
			if (write(st->fds[i], &one, 8) == 8)
				st->writes++;
	return NULL;
}

/*
 * A thread writes an irqfd and a resample irqfd as fast as it can while
 * the guest takes the interrupts, and while the VM goes away under it:
 * the release must wait for the injections under way (no oops, no
 * warning, nothing left behind that a later write could reach).
 */
static void test_irqfd_storm(void)
{
	struct storm st = { .fds = { eventfd(0, EFD_NONBLOCK), eventfd(0, EFD_NONBLOCK) } };
	int rfd = eventfd(0, EFD_NONBLOCK);
	uint32_t count;
	pthread_t t;
	struct vm vm;
	struct vcpu v;

	if (!irqfd_guest(&vm, &v, "irqfd: storm"))
		goto close;
	irqfd(&vm, st.fds[0], 5, 0, 0);
	irqfd(&vm, st.fds[1], 6, KVM_IRQFD_FLAG_RESAMPLE, rfd);
	if (!run_port(&v, "irqfd: storm: guest ready", 0x10)) {
		vm_destroy(&vm);
		goto close;
	}
	pthread_create(&t, NULL, storm_fn, &st);
	/* The guest takes what it gets: each exit reports a vector. */
	for (int i = 0; i < 200; i++) {
		if (!run_port(&v, "irqfd: storm: interrupts", 0x11))
			break;
		if (io_val(&v) != 0x40 && io_val(&v) != 0x41) {
			check(false, "irqfd: storm: vectors 0x40 and 0x41 only",
			      "vector %#x", io_val(&v));
			break;
		}
	}
	memcpy(&count, vm.mem + 0x604, 4);
	vm_destroy(&vm);
	usleep(50000);
	st.stop = 1;
	pthread_join(t, NULL);
	check(count >= 200 && st.writes > 0,
	      "irqfd: storm: interrupts taken, then the VM went under the writes",
	      "%u interrupts, %ld writes", count, st.writes);
	check(!kmsg_says("WARNING: CPU") && !kmsg_says("BUG:") && !kmsg_says("Oops"),
	      "irqfd: storm: no warning or oops in the kernel log", "see dmesg");
close:
	close(st.fds[0]);
	close(st.fds[1]);
	close(rfd);
}

void test_eventfd(void)
{
	test_ioeventfd_errnos();
	test_ioeventfd_guest();
	test_irqfd_errnos();
	test_irqfd_guest();
	test_irqfd_storm();
}
