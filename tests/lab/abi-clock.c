// SPDX-License-Identifier: GPL-2.0
/*
 * abi clock: kvmclock, as upstream 6.1 offers it.  The paravirtual
 * features in CPUID 0x40000001, KVM_CAP_ADJUST_CLOCK; a 64-bit guest on
 * two vCPUs that enables MSR_KVM_SYSTEM_TIME_NEW and reads its struct
 * pvclock_vcpu_time_info in a loop, counting reads that went backwards
 * on its own vCPU and against the other's; the wall clock MSR;
 * KVM_GET_CLOCK and KVM_SET_CLOCK forwards, with KVM_CLOCK_REALTIME and
 * backwards, each seen by the guest, and forwards while the guest reads; hostile addresses in the MSRs
 * (across a page, outside RAM, disabled), which write nothing, and a
 * structure written once a slot appears at its address.
 *
 * The guest's clock is monotonic across vCPUs where the structures carry
 * PVCLOCK_TSC_STABLE_BIT (the host's clocksource is the TSC); without
 * it, the ABI promises monotonic reads only between two updates of a
 * vCPU's structure (a guest keeps its clock monotonic itself), and the
 * other counts are printed, not checked.  No check depends on timing,
 * beyond "within a minute" of a clock value just set.
 */
#include "abi.h"

#include <time.h>

/* asm/kvm_para.h and asm/pvclock-abi.h are kernel headers; their ABI values. */
#define MSR_WALL_CLOCK		0x11
#define MSR_SYSTEM_TIME		0x12
#define MSR_WALL_CLOCK_NEW	0x4b564d00
#define MSR_SYSTEM_TIME_NEW	0x4b564d01
#define FEATURE_CLOCKSOURCE	(1u << 0)
#define FEATURE_CLOCKSOURCE2	(1u << 3)
#define FEATURE_STABLE_BIT	(1u << 24)
#define PVCLOCK_STABLE		1

struct pvti {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags, pad[2];
} __attribute__((packed));

struct pvwall {
	uint32_t version, sec, nsec;
} __attribute__((packed));

#define NS		1000000000ULL
#define MINUTE		(60 * NS)
#define ITERS		50000
#define ITERS_LONG	1000000
#define PVTI(id)	(0x3000 + 0x20 * (id))
#define RESULTS(id)	(0x3800 + 0x40 * (id))
#define GLOBAL_MAX	0x2800
#define WALL		0x3a00

/* What the guest leaves at RESULTS(id) after a round. */
struct results {
	uint64_t last;		/* its last read */
	uint64_t back_same;	/* reads below the one before, same version */
	uint64_t back_cross;	/* reads below the largest any vCPU had read before */
	uint64_t versions;	/* version changes seen */
	uint64_t flags;		/* the structure's flags at the last read */
	uint64_t back_update;	/* reads below the one before, across an update */
	uint64_t version;	/* the last version read */
	uint64_t first;		/* its first read */
};

/*
 * Enable kvmclock at RDI (and the wall clock at R8 if not 0), report at
 * port 0x10, then rounds of RSI reads, results at RBP, port 0x11 after
 * each round.  A read: an even version, RDTSC, the scaled delta, the
 * same version again.
 */
GUEST_ASM(g_clock, ".code64",
	"movl $0x4b564d01, %ecx\n"
	"movq %rdi, %rax\n"
	"orq $1, %rax\n"
	"movq %rax, %rdx\n"
	"shrq $32, %rdx\n"
	"wrmsr\n"
	"testq %r8, %r8\n"
	"jz 0f\n"
	"movl $0x4b564d00, %ecx\n"
	"movl %r8d, %eax\n"
	"xorl %edx, %edx\n"
	"wrmsr\n"
"0:\n"
	"outb %al, $0x10\n"
"g_clock_round:\n"
	"xorl %r12d, %r12d\n"
	"xorl %r13d, %r13d\n"
	"xorl %r14d, %r14d\n"
	"xorl %r15d, %r15d\n"
	"movq $0, 0x28(%rbp)\n"
	"movq $0, 0x30(%rbp)\n"
	"movq $0, 0x38(%rbp)\n"
	"movq %rsi, %r11\n"
"1:\n"
	"movq 0x2800, %r8\n"
"2:\n"
	"movl (%rdi), %r9d\n"
	"testl $1, %r9d\n"
	"jnz 2b\n"
	"lfence\n"
	"rdtsc\n"
	"shlq $32, %rdx\n"
	"orq %rdx, %rax\n"
	"subq 8(%rdi), %rax\n"
	"movsbl 28(%rdi), %ecx\n"
	"testl %ecx, %ecx\n"
	"js 3f\n"
	"shlq %cl, %rax\n"
	"jmp 4f\n"
"3:\n"
	"negl %ecx\n"
	"shrq %cl, %rax\n"
"4:\n"
	"movl 24(%rdi), %r10d\n"
	"mulq %r10\n"
	"shrdq $32, %rdx, %rax\n"
	"addq 16(%rdi), %rax\n"
	"movq %rax, %rbx\n"
	"movzbl 29(%rdi), %eax\n"
	"lfence\n"
	"cmpl (%rdi), %r9d\n"
	"jne 2b\n"
	"movq %rax, 0x20(%rbp)\n"
	"cmpq $0, 0x38(%rbp)\n"
	"jne 5f\n"
	"movq %rbx, 0x38(%rbp)\n"
"5:\n"
	"cmpl 0x30(%rbp), %r9d\n"
	"je 6f\n"
	"incq %r15\n"
	"movl %r9d, 0x30(%rbp)\n"
	"cmpq %r12, %rbx\n"
	"jae 7f\n"
	"incq 0x28(%rbp)\n"
	"jmp 7f\n"
"6:\n"
	"cmpq %r12, %rbx\n"
	"jae 7f\n"
	"incq %r13\n"
"7:\n"
	"cmpq %r8, %rbx\n"
	"jae 8f\n"
	"incq %r14\n"
"8:\n"
	"movq %rbx, %r12\n"
	"movq 0x2800, %rax\n"
"9:\n"
	"cmpq %rax, %rbx\n"
	"jbe 10f\n"
	"lock cmpxchgq %rbx, 0x2800\n"
	"jnz 9b\n"
"10:\n"
	"decq %r11\n"
	"jnz 1b\n"
	"movq %r12, 0(%rbp)\n"
	"movq %r13, 8(%rbp)\n"
	"movq %r14, 0x10(%rbp)\n"
	"movq %r15, 0x18(%rbp)\n"
	"outb %al, $0x11\n"
	"jmp g_clock_round\n");
extern const uint8_t g_clock[], g_clock_end[];

/*
 * WRMSR of each (index, value) pair at 0x5000 until an index of 0, with
 * an exit at port 0x12 after each; then port 0x13, again and again.
 * It writes no memory.
 */
GUEST_ASM(g_clock_msrs, ".code64",
	"movl $0x5000, %ebx\n"
"1:\n"
	"movl (%rbx), %ecx\n"
	"testl %ecx, %ecx\n"
	"jz 2f\n"
	"movl 8(%rbx), %eax\n"
	"movl 12(%rbx), %edx\n"
	"wrmsr\n"
	"outb %al, $0x12\n"
	"addq $16, %rbx\n"
	"jmp 1b\n"
"2:\n"
	"outb %al, $0x13\n"
	"jmp 2b\n");
extern const uint8_t g_clock_msrs[], g_clock_msrs_end[];

static bool run_port(struct vcpu *v, const char *name, int port)
{
	int rc = vcpu_run(v);

	if (rc == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == port)
		return true;
	check(false, name, "KVM_RUN %d (%s), exit %u port %#x, want port %#x",
	      rc, rc ? strerrorname_np(errno) : "ok", v->run->exit_reason,
	      v->run->io.port, port);
	return false;
}

static bool get_clock(int vmfd, struct kvm_clock_data *c)
{
	memset(c, 0xa5, sizeof(*c));
	if (ioctl(vmfd, KVM_GET_CLOCK, c)) {
		check(false, "clock: KVM_GET_CLOCK", "%s", strerror(errno));
		return false;
	}
	return true;
}

static int set_clock(int vmfd, uint64_t clock, uint32_t flags, uint64_t realtime)
{
	struct kvm_clock_data c = { .clock = clock, .flags = flags,
				    .realtime = realtime };

	return ioctl_errno(vmfd, KVM_SET_CLOCK, &c);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

struct round_arg {
	struct vcpu *v;
	int cpu;	/* pin the thread there, or -1 */
	bool ok;
	volatile bool done;
};

static void *round_thread(void *p)
{
	struct round_arg *a = p;
	int rc;

	if (a->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	rc = vcpu_run(a->v);
	a->ok = rc == 0 && a->v->run->exit_reason == KVM_EXIT_IO &&
		a->v->run->io.port == 0x11;
	a->done = true;
	return NULL;
}

/*
 * Forward by 1 ms, while the vCPUs read: KVM_GET_CLOCK is past every
 * read so far, so the new value is too.
 */
static int nr_forward;

static void clock_forward(struct vm *vm)
{
	struct kvm_clock_data c = {};

	if (!ioctl(vm->fd, KVM_GET_CLOCK, &c)) {
		c.clock += 1000000;
		c.flags = 0;
		if (!ioctl(vm->fd, KVM_SET_CLOCK, &c))
			nr_forward++;
	}
	usleep(500);
}

/*
 * One round of reads on both vCPUs at once, vCPU i's thread on host CPU
 * cpus[i] (or anywhere), with @during called meanwhile if not NULL.
 * Checks what the ABI promises; @lo, @hi: the range each vCPU's first
 * read must be in (hi 0: none).
 */
static bool clock_round_during(struct vm *vm, struct vcpu v[2], const int cpus[2],
			       const char *what, bool stable, uint64_t lo, uint64_t hi,
			       void (*during)(struct vm *))
{
	struct round_arg a[2];
	pthread_t t[2];
	char name[160];
	int i;

	*(uint64_t *)(vm->mem + GLOBAL_MAX) = 0;
	for (i = 0; i < 2; i++) {
		a[i] = (struct round_arg){ .v = &v[i], .cpu = cpus[i] };
		pthread_create(&t[i], NULL, round_thread, &a[i]);
	}
	while (during && !(a[0].done && a[1].done))
		during(vm);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		struct results *r = (struct results *)(vm->mem + RESULTS(i));
		struct pvti *p = (struct pvti *)(vm->mem + PVTI(i));

		snprintf(name, sizeof(name), "clock: %s: vCPU %d ran its reads", what, i);
		check(a[i].ok, name, "exit %u port %#x", v[i].run->exit_reason,
		      v[i].run->io.port);
		if (!a[i].ok)
			return false;
		printf("info: abi: clock: %s: vCPU %d: first %llu last %llu ns, versions %llu (now %u), "
		       "backwards: same version %llu, across updates %llu, below another vCPU's %llu\n",
		       what, i, (unsigned long long)r->first, (unsigned long long)r->last,
		       (unsigned long long)r->versions, p->version,
		       (unsigned long long)r->back_same, (unsigned long long)r->back_update,
		       (unsigned long long)r->back_cross);
		snprintf(name, sizeof(name),
			 "clock: %s: vCPU %d: monotonic between updates of its structure", what, i);
		check(r->back_same == 0 && r->last >= r->first, name,
		      "%llu reads went backwards", (unsigned long long)r->back_same);
		snprintf(name, sizeof(name), "clock: %s: vCPU %d: flags %s", what, i,
			 stable ? "PVCLOCK_TSC_STABLE_BIT" : "0");
		check(r->flags == (stable ? PVCLOCK_STABLE : 0u), name, "flags %#llx",
		      (unsigned long long)r->flags);
		snprintf(name, sizeof(name), "clock: %s: vCPU %d: version even", what, i);
		check(p->version && !(p->version & 1), name, "version %u", p->version);
		if (stable) {
			snprintf(name, sizeof(name),
				 "clock: %s: vCPU %d: stable: monotonic across updates and vCPUs",
				 what, i);
			check(!r->back_update && !r->back_cross, name,
			      "backwards %llu across updates, %llu below another vCPU's read",
			      (unsigned long long)r->back_update,
			      (unsigned long long)r->back_cross);
		}
		if (hi) {
			snprintf(name, sizeof(name),
				 "clock: %s: vCPU %d: first read in [%llu, %llu) s", what, i,
				 (unsigned long long)(lo / NS), (unsigned long long)(hi / NS));
			check(r->first >= lo && r->first < hi, name, "first read %llu ns",
			      (unsigned long long)r->first);
		}
	}
	return true;
}

/* The reads of the next rounds (RSI; the guest is at a port exit). */
static void set_iters(struct vcpu v[2], uint64_t n)
{
	for (int i = 0; i < 2; i++) {
		struct kvm_regs r;

		ioctl(v[i].fd, KVM_GET_REGS, &r);
		r.rsi = n;
		ioctl(v[i].fd, KVM_SET_REGS, &r);
	}
}

static bool clock_round(struct vm *vm, struct vcpu v[2], const int cpus[2],
			const char *what, bool stable, uint64_t lo, uint64_t hi)
{
	return clock_round_during(vm, v, cpus, what, stable, lo, hi, NULL);
}

static void clock_cpuid(int kvm)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .c.nent = 100 };
	uint32_t want = FEATURE_CLOCKSOURCE | FEATURE_CLOCKSOURCE2 | FEATURE_STABLE_BIT;
	uint32_t sig_eax = 0, feat = 0;
	bool sig = false, found = false;

	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid)) {
		check(false, "clock: KVM_GET_SUPPORTED_CPUID", "%s", strerror(errno));
		return;
	}
	for (uint32_t i = 0; i < cpuid.c.nent; i++) {
		if (cpuid.e[i].function == 0x40000000) {
			sig = true;
			sig_eax = cpuid.e[i].eax;
		}
		if (cpuid.e[i].function == 0x40000001) {
			found = true;
			feat = cpuid.e[i].eax;
		}
	}
	check(sig && sig_eax >= 0x40000001, "clock: CPUID 0x40000000 reaches 0x40000001",
	      "leaf %s, eax %#x", sig ? "present" : "absent", sig_eax);
	check(found && (feat & want) == want,
	      "clock: CPUID 0x40000001 has CLOCKSOURCE, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT",
	      "leaf %s, eax %#x", found ? "present" : "absent", feat);
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK) ==
	      (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
	      "clock: KVM_CAP_ADJUST_CLOCK = TSC_STABLE | REALTIME | HOST_TSC", "got %d",
	      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK));
}

/* The two-vCPU guest: the structures, the wall clock and both ioctls. */
static void clock_guest(void)
{
	int cpus[2] = { -1, -1 }, swapped[2] = { -1, -1 };
	uint32_t ver[2];
	struct kvm_clock_data c, c2;
	struct pvwall *w;
	struct vcpu v[2];
	struct vm vm;
	uint64_t val, now_real, max;
	bool stable, two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	int i;

	vm_create(&vm, 1 << 20);
	for (i = 0; i < 2; i++) {
		struct kvm_regs r;

		vcpu_create(&vm, &v[i], i);
		vcpu_long_mode(&vm, &v[i], GUEST_BASE, GUEST_SP - 0x1000 * i);
		ioctl(v[i].fd, KVM_GET_REGS, &r);
		r.rdi = PVTI(i);
		r.rsi = ITERS;
		r.rbp = RESULTS(i);
		r.r8 = i == 0 ? WALL : 0;
		ioctl(v[i].fd, KVM_SET_REGS, &r);
	}
	memcpy(vm.mem + GUEST_BASE, g_clock, g_clock_end - g_clock);
	/* An odd version before: upstream skips to the next even one, then +1, +1. */
	w = (struct pvwall *)(vm.mem + WALL);
	w->version = 5;

	if (!get_clock(vm.fd, &c))
		goto out;
	check(c.flags == 0 ||
	      c.flags == (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
	      "clock: KVM_GET_CLOCK flags: 0, or TSC_STABLE | REALTIME | HOST_TSC",
	      "flags %#x", c.flags);
	check(c.pad0 == 0 && !c.pad[0] && !c.pad[1] && !c.pad[2] && !c.pad[3] &&
	      (c.flags & KVM_CLOCK_REALTIME || c.realtime == 0) &&
	      (c.flags & KVM_CLOCK_HOST_TSC || c.host_tsc == 0),
	      "clock: KVM_GET_CLOCK zeroes what it does not report", "pad0 %#x realtime %#llx",
	      c.pad0, (unsigned long long)c.realtime);
	check(c.clock < MINUTE, "clock: a new VM's clock starts near 0", "clock %llu ns",
	      (unsigned long long)c.clock);

	for (i = 0; i < 2; i++) {
		char name[120];

		snprintf(name, sizeof(name), "clock: vCPU %d enables MSR_KVM_SYSTEM_TIME_NEW", i);
		if (!run_port(&v[i], name, 0x10))
			goto out;
		check(get_msr(v[i].fd, MSR_SYSTEM_TIME_NEW, &val) == 1 && val == (PVTI(i) | 1u),
		      name, "MSR reads %#llx", (unsigned long long)val);
		if (i == 0) {
			struct pvti *p1 = (struct pvti *)(vm.mem + PVTI(1));

			check(!p1->version && !p1->system_time,
			      "clock: vCPU 1's structure untouched before it enables it",
			      "version %u", p1->version);
		}
	}
	/*
	 * Once the vCPUs ran (upstream decides on its master clock at their
	 * first entry): the stable bit, if the host allows it.
	 */
	if (!get_clock(vm.fd, &c))
		goto out;
	stable = c.flags & KVM_CLOCK_TSC_STABLE;
	printf("info: abi: clock: KVM_GET_CLOCK flags %#x: the host %s the stable bit\n",
	       c.flags, stable ? "allows" : "does not allow");
	for (i = 0; i < 2; i++) {
		struct pvti *p = (struct pvti *)(vm.mem + PVTI(i));
		char name[120];

		snprintf(name, sizeof(name),
			 "clock: vCPU %d: its structure: version even, mul set, flags %s, pads 0",
			 i, stable ? "stable" : "0");
		check(p->version && !(p->version & 1) && p->mul &&
		      p->flags == (stable ? PVCLOCK_STABLE : 0) && !p->pad0 &&
		      !p->pad[0] && !p->pad[1], name,
		      "version %u mul %u shift %d flags %#x pad0 %#x",
		      p->version, p->mul, p->shift, p->flags, p->pad0);
		printf("info: abi: clock: vCPU %d: version %u tsc_timestamp %llu system_time %llu mul %u shift %d\n",
		       i, p->version, (unsigned long long)p->tsc_timestamp,
		       (unsigned long long)p->system_time, p->mul, p->shift);
	}

	/* The wall clock: the host's time of day when the VM's clock was 0. */
	get_clock(vm.fd, &c);
	now_real = realtime_ns();
	check(get_msr(v[0].fd, MSR_WALL_CLOCK_NEW, &val) == 1 && val == WALL,
	      "clock: MSR_KVM_WALL_CLOCK_NEW reads back", "%#llx", (unsigned long long)val);
	{
		uint64_t want = (now_real - c.clock) / NS, got = w->sec;

		check(w->version == 8 && w->nsec < NS && got + 60 > want && got < want + 60,
		      "clock: the wall clock MSR fills struct pvclock_wall_clock (version 5 -> 8)",
		      "version %u sec %u (want about %llu) nsec %u", w->version, w->sec,
		      (unsigned long long)want, w->nsec);
	}

	/* Both vCPUs at once, then each on the other host CPU. */
	if (two_cpus) {
		cpus[0] = 0, cpus[1] = 1;
		swapped[0] = 1, swapped[1] = 0;
	}
	if (!clock_round(&vm, v, cpus, "round 1", stable, 0, MINUTE))
		goto out;
	for (i = 0; i < 2; i++)
		ver[i] = ((struct pvti *)(vm.mem + PVTI(i)))->version;
	if (!clock_round(&vm, v, swapped, "round 2, on swapped CPUs", stable, 0, MINUTE))
		goto out;
	if (two_cpus && !stable)
		for (i = 0; i < 2; i++) {
			uint32_t now = ((struct pvti *)(vm.mem + PVTI(i)))->version;
			char name[120];

			snprintf(name, sizeof(name),
				 "clock: vCPU %d moved to another CPU: its structure was updated", i);
			check(now != ver[i], name, "version %u before and after", now);
		}
	if (stable) {
		max = *(uint64_t *)(vm.mem + GLOBAL_MAX);
		get_clock(vm.fd, &c);
		check(c.clock >= max, "clock: stable: KVM_GET_CLOCK is past every guest read",
		      "KVM_GET_CLOCK %llu, guest read %llu", (unsigned long long)c.clock,
		      (unsigned long long)max);
	}

	/* KVM_SET_CLOCK forwards: the VMM and the guest see the new value. */
	expect_errno("clock: KVM_SET_CLOCK 1000 s", 0, set_clock(vm.fd, 1000 * NS, 0, 0));
	if (get_clock(vm.fd, &c))
		check(c.clock >= 1000 * NS && c.clock < 1000 * NS + MINUTE,
		      "clock: KVM_GET_CLOCK after KVM_SET_CLOCK 1000 s: at least it, within a minute",
		      "clock %llu ns", (unsigned long long)c.clock);
	for (i = 0; i < 2; i++)
		ver[i] = ((struct pvti *)(vm.mem + PVTI(i)))->version;
	if (!clock_round(&vm, v, cpus, "after KVM_SET_CLOCK 1000 s", stable, 1000 * NS,
			 1000 * NS + MINUTE))
		goto out;
	for (i = 0; i < 2; i++) {
		uint32_t now = ((struct pvti *)(vm.mem + PVTI(i)))->version;
		char name[120];

		snprintf(name, sizeof(name),
			 "clock: KVM_SET_CLOCK updated vCPU %d's structure", i);
		check(now != ver[i] && !(now & 1), name, "version %u then %u", ver[i], now);
	}

	/* Flags: anything KVM_GET_CLOCK returns goes back; unknown ones do not. */
	expect_errno("clock: KVM_SET_CLOCK with an unknown flag: EINVAL", EINVAL,
		     set_clock(vm.fd, 0, 1, 0));
	expect_errno("clock: KVM_SET_CLOCK with an unknown flag (bit 8): EINVAL", EINVAL,
		     set_clock(vm.fd, 0, 1 << 8, 0));
	get_clock(vm.fd, &c);
	expect_errno("clock: KVM_SET_CLOCK takes KVM_GET_CLOCK's result back", 0,
		     ioctl_errno(vm.fd, KVM_SET_CLOCK, &c));
	if (get_clock(vm.fd, &c2))
		check(c2.clock >= c.clock && c2.clock < c.clock + MINUTE,
		      "clock: KVM_GET_CLOCK after setting its own result: at least it",
		      "%llu then %llu", (unsigned long long)c.clock,
		      (unsigned long long)c2.clock);
	/* KVM_CLOCK_REALTIME: the time since realtime passed is added. */
	expect_errno("clock: KVM_SET_CLOCK 2000 s, KVM_CLOCK_REALTIME 100 s ago", 0,
		     set_clock(vm.fd, 2000 * NS, KVM_CLOCK_REALTIME,
			       realtime_ns() - 100 * NS));
	if (get_clock(vm.fd, &c))
		check(c.clock >= 2100 * NS && c.clock < 2100 * NS + MINUTE,
		      "clock: KVM_CLOCK_REALTIME 100 s ago: at least 2100 s, within a minute",
		      "clock %llu ns", (unsigned long long)c.clock);
	expect_errno("clock: KVM_SET_CLOCK 2000 s, KVM_CLOCK_REALTIME in the future", 0,
		     set_clock(vm.fd, 2000 * NS, KVM_CLOCK_REALTIME,
			       realtime_ns() + 3600 * NS));
	if (get_clock(vm.fd, &c))
		check(c.clock >= 2000 * NS && c.clock < 2000 * NS + MINUTE,
		      "clock: KVM_CLOCK_REALTIME in the future: the clock as given",
		      "clock %llu ns", (unsigned long long)c.clock);

	/*
	 * KVM_SET_CLOCK forwards while the vCPUs read: no vCPU runs on the
	 * old clock once another runs on the new one (upstream keeps every
	 * vCPU out of the guest until all have the new offset), so with
	 * the stable bit no read is below another's.
	 */
	nr_forward = 0;
	set_iters(v, ITERS_LONG);
	if (!clock_round_during(&vm, v, cpus, "KVM_SET_CLOCK forwards during the reads",
				stable, 0, 0, clock_forward))
		goto out;
	set_iters(v, ITERS);
	printf("info: abi: clock: %d KVM_SET_CLOCKs during the round\n", nr_forward);
	check(nr_forward > 0, "clock: KVM_SET_CLOCK forwards during the reads: done",
	      "none done");

	/* Backwards: the guest's clock jumps back, and goes on monotonic. */
	expect_errno("clock: KVM_SET_CLOCK back to 5 s", 0, set_clock(vm.fd, 5 * NS, 0, 0));
	if (get_clock(vm.fd, &c))
		check(c.clock >= 5 * NS && c.clock < 5 * NS + MINUTE,
		      "clock: KVM_GET_CLOCK after KVM_SET_CLOCK back to 5 s",
		      "clock %llu ns", (unsigned long long)c.clock);
	if (!clock_round(&vm, v, cpus, "after KVM_SET_CLOCK back to 5 s", stable, 5 * NS,
			 5 * NS + MINUTE))
		goto out;
	if (stable) {
		max = *(uint64_t *)(vm.mem + GLOBAL_MAX);
		get_clock(vm.fd, &c);
		check(c.clock >= max && c.clock < 5 * NS + MINUTE,
		      "clock: stable: KVM_GET_CLOCK after the jump back is past every guest read",
		      "KVM_GET_CLOCK %llu, guest read %llu", (unsigned long long)c.clock,
		      (unsigned long long)max);
	}
out:
	vm_destroy(&vm);
}

/* Hostile addresses: the MSR takes them, nothing is written. */
static void clock_hostile(void)
{
	static const struct {
		uint32_t msr;
		uint64_t val;
		const char *what;
		uint32_t wrote;		/* the gpa written, or 0 */
	} cases[] = {
		{ MSR_SYSTEM_TIME_NEW, 0x5ff1, "a structure across a page", 0 },
		{ MSR_SYSTEM_TIME_NEW, 0x40000001, "a structure outside RAM", 0 },
		{ MSR_SYSTEM_TIME_NEW, 0xfffffffffffff001ULL, "a structure at 2^64 - 4 KiB", 0 },
		{ MSR_SYSTEM_TIME_NEW, 0x6000, "a structure, disabled", 0 },
		{ MSR_WALL_CLOCK_NEW, 0x40000000, "the wall clock outside RAM", 0 },
		{ MSR_WALL_CLOCK_NEW, 0x6ff8, "the wall clock across a page", 0x6ff8 },
		{ MSR_SYSTEM_TIME, 0x7101, "the old MSR", 0x7100 },
		{ MSR_SYSTEM_TIME_NEW, 0x40000041, "a structure outside RAM again", 0 },
	};
	/* Upstream's modules, not ours (named kvm alone). */
	bool upstream = !access("/sys/module/kvm_amd", F_OK) ||
			!access("/sys/module/kvm_intel", F_OK);
	uint64_t (*list)[2];
	struct kvm_userspace_memory_region r;
	uint8_t *snap, *extra;
	struct vcpu v;
	struct vm vm;
	uint64_t val;
	size_t n;
	char name[160];

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);
	vcpu_long_mode(&vm, &v, GUEST_BASE, GUEST_SP);
	memcpy(vm.mem + GUEST_BASE, g_clock_msrs, g_clock_msrs_end - g_clock_msrs);
	list = (uint64_t (*)[2])(vm.mem + 0x5000);
	for (n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		list[n][0] = cases[n].msr;
		list[n][1] = cases[n].val;
	}
	/* Bytes the guest's page-crossing structure would cover, and more. */
	memset(vm.mem + 0x5fe0, 0x5a, 0x40);
	memset(vm.mem + 0x6000, 0x5a, 0x40);
	snap = malloc(vm.size);
	memcpy(snap, vm.mem, vm.size);

	for (n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		snprintf(name, sizeof(name), "clock: hostile: %s (%#x = %#llx): WRMSR done",
			 cases[n].what, cases[n].msr, (unsigned long long)cases[n].val);
		if (!run_port(&v, name, 0x12))
			goto out;
		check(get_msr(v.fd, cases[n].msr, &val) == 1 && val == cases[n].val, name,
		      "the MSR reads %#llx", (unsigned long long)val);
		if (cases[n].msr == MSR_WALL_CLOCK_NEW && cases[n].wrote) {
			struct pvwall *w = (struct pvwall *)(vm.mem + cases[n].wrote);

			snprintf(name, sizeof(name), "clock: hostile: %s: written (version 2)",
				 cases[n].what);
			check(w->version == 2 && w->nsec < NS, name, "version %u nsec %u",
			      w->version, w->nsec);
			memcpy(snap + cases[n].wrote, w, sizeof(*w));
		} else if (cases[n].wrote) {
			struct pvti *p = (struct pvti *)(vm.mem + cases[n].wrote);

			snprintf(name, sizeof(name),
				 "clock: hostile: %s: written, without the stable bit", cases[n].what);
			check(p->version && !(p->version & 1) && p->flags == 0 && p->mul, name,
			      "version %u flags %#x", p->version, p->flags);
			memcpy(snap + cases[n].wrote, p, sizeof(*p));
		}
		snprintf(name, sizeof(name), "clock: hostile: %s: nothing else written",
			 cases[n].what);
		for (size_t b = 0; b < vm.size; b++)
			if (vm.mem[b] != snap[b]) {
				/*
				 * Upstream 6.1 keeps its pfn cache of the
				 * previous address (gpa 0 if none) when it
				 * cannot map the new one, and updates that.
				 */
				if (upstream)
					printf("info: abi: %s: upstream wrote the byte at %#zx (%#x, was %#x): "
					       "it updates the previous address\n",
					       name, b, vm.mem[b], snap[b]);
				else
					check(false, name, "byte at %#zx: %#x, was %#x", b,
					      vm.mem[b], snap[b]);
				memcpy(snap, vm.mem, vm.size);
				goto next;
			}
		check(true, name, " ");
next:;
	}
	if (!run_port(&v, "clock: hostile: the guest goes on", 0x13))
		goto out;
	check(true, "clock: hostile: the guest goes on", " ");

	/* A slot at the address: the next update writes the structure there. */
	extra = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = (struct kvm_userspace_memory_region){ .slot = 1, .guest_phys_addr = 0x40000000,
		.memory_size = 4096, .userspace_addr = (uintptr_t)extra };
	expect_errno("clock: hostile: a slot at 1 GiB", 0,
		     ioctl_errno(vm.fd, KVM_SET_USER_MEMORY_REGION, &r));
	expect_errno("clock: hostile: KVM_SET_CLOCK 0", 0, set_clock(vm.fd, 0, 0, 0));
	if (run_port(&v, "clock: hostile: the guest runs with the new slot", 0x13)) {
		struct pvti *p = (struct pvti *)(extra + 0x40);

		check(p->version && !(p->version & 1) && p->mul && p->system_time < MINUTE,
		      "clock: hostile: once the address is RAM, the update writes the structure",
		      "version %u mul %u system_time %llu", p->version, p->mul,
		      (unsigned long long)p->system_time);
		check(!memcmp(vm.mem, snap, vm.size) && !((struct pvti *)extra)->version,
		      "clock: hostile: and nothing else", "memory changed");
	}
	r.memory_size = 0;
	ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &r);
	munmap(extra, 4096);
out:
	free(snap);
	vm_destroy(&vm);
}

void test_clock(void)
{
	int kvm = kvm_fd();

	clock_cpuid(kvm);
	close(kvm);
	clock_guest();
	clock_hostile();
}
