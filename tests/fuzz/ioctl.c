// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz ioctl: random system, VM and vCPU ioctls with valid, boundary and
 * garbage arguments from several threads at once, while other threads
 * close vCPU fds and unmap kvm_run, create and destroy VMs, and create
 * vCPUs under a lowered RLIMIT_NOFILE.  tests/fuzz/README.md says more.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <cpuid.h>
#include "fuzz.h"
#include "fuzz_ioctl.h"

#define NVM		4
#define NVCPU		4
#define VM_MEM		(2 << 20)
#define BAD_PTR		((void *)0x10)
#define KERNEL_PTR	((void *)0xffff888000000000ULL)

struct fvcpu {
	int fd;
	struct kvm_run *run;
	pthread_mutex_t lock;	/* run: mapped or not */
};

struct fvm {
	pthread_mutex_t lock;
	int fd;
	uint8_t *mem;
	struct fvcpu vcpu[NVCPU];
};

static struct {
	uint64_t seed;
	long calls;
	int threads;
	long tol_kb;
	bool leak_check, tame, tame_dr7, no_bp, force_bp;
	int kmin, kmax;		/* --only: the call kinds, 0..99 */
	bool quiet;
} O = { .seed = 1, .calls = 10000, .threads = 4, .tol_kb = 2048, .leak_check = true,
	.kmax = 99 };

static int kvm_sys;
static int run_size;
static struct fvm vms[NVM];
static long calls_done;
static long stat_ok, stat_err, stat_run_exits[64];
static struct kvm_msr_list *msr_list;
static volatile bool quit;
static int trace_fd = -1;	/* --trace FILE: each call, before it is made */

/*
 * The RLIMIT_NOFILE child inherits every fd and kvm_run mapping.  If the
 * parent closed a VM while the child lived, the child's exit would drop
 * the VM's last reference, and the VM would go away in the child's
 * context, where (as upstream) it cannot unmap the TSS region it put in
 * the parent's address space.  So nothing closes a vCPU or a VM while a
 * child lives: the closes take this lock shared, the fork exclusive.
 */
static pthread_rwlock_t fork_lock = PTHREAD_RWLOCK_INITIALIZER;

static void trace(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (trace_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(trace_fd, buf, n) != n)
		trace_fd = -1;
}

static __thread timer_t run_timer;
static __thread bool have_timer;

static void on_sig(int sig)
{
	(void)sig;
}

/* ---- the objects ------------------------------------------------------ */

static void vcpu_close(struct fvcpu *c)
{
	pthread_rwlock_rdlock(&fork_lock);
	pthread_mutex_lock(&c->lock);
	if (c->run) {
		munmap(c->run, run_size);
		c->run = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	pthread_mutex_unlock(&c->lock);
	pthread_rwlock_unlock(&fork_lock);
}

static void vcpu_make(struct fvm *vm, int i, int id)
{
	struct fvcpu *c = &vm->vcpu[i];
	int fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	void *run;

	if (fd < 0)
		return;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pthread_mutex_lock(&c->lock);
	if (c->fd >= 0) {
		/* Another thread made one meanwhile. */
		pthread_mutex_unlock(&c->lock);
		pthread_rwlock_rdlock(&fork_lock);
		if (run != MAP_FAILED)
			munmap(run, run_size);
		close(fd);
		pthread_rwlock_unlock(&fork_lock);
		return;
	}
	c->fd = fd;
	c->run = run == MAP_FAILED ? NULL : run;
	pthread_mutex_unlock(&c->lock);
}

static void vm_destroy(struct fvm *vm)
{
	for (int i = 0; i < NVCPU; i++)
		vcpu_close(&vm->vcpu[i]);
	pthread_rwlock_rdlock(&fork_lock);
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	pthread_rwlock_unlock(&fork_lock);
	if (vm->mem)
		munmap(vm->mem, VM_MEM);
	vm->mem = NULL;
}

static void vm_make(struct fvm *vm, struct rng *r)
{
	struct kvm_userspace_memory_region m = { 0 };

	vm->fd = ioctl(kvm_sys, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return;
	vm->mem = mmap(NULL, VM_MEM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return;
	}
	/* HLT everywhere, with a few random bytes. */
	memset(vm->mem, 0xf4, 64 << 10);
	for (int i = 0; i < 64; i++)
		vm->mem[rn(r, 64 << 10)] = rnd(r);
	m.memory_size = VM_MEM;
	m.userspace_addr = (uintptr_t)vm->mem;
	ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &m);
	fuzz_irqchip_vm_make(r, vm->fd);
	for (int i = 0; i < 1 + (int)rn(r, NVCPU); i++)
		vcpu_make(vm, i, i);
}

/* ---- random arguments ------------------------------------------------- */

uint64_t rand_u64(struct rng *r)
{
	static const uint64_t special[] = {
		0, 1, 2, 0xfff, 0x1000, 0xffffffff, 0x100000000ULL, ~0ULL, ~0ULL - 0xfff,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffff000ULL,
		0x0000800000000000ULL, 0xffff800000000000ULL,
	};

	switch (rn(r, 4)) {
	case 0:
		return special[rn(r, sizeof(special) / sizeof(special[0]))];
	case 1:
		return rn(r, 1 << 20);
	default:
		return rnd(r);
	}
}

void rand_bytes(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = rnd(r);
}

static void rand_seg(struct rng *r, struct kvm_segment *s, bool garbage)
{
	if (garbage) {
		rand_bytes(r, s, sizeof(*s));
		return;
	}
	if (one_in(r, 4))
		s->base = rand_u64(r);
	if (one_in(r, 4))
		s->limit = rand_u64(r);
	if (one_in(r, 6))
		s->l = !s->l;
	if (one_in(r, 6))
		s->db = !s->db;
	if (one_in(r, 8))
		s->present = !s->present;
	if (one_in(r, 8))
		s->type = rn(r, 16);
	if (one_in(r, 8))
		s->dpl = rn(r, 4);
}

static const uint64_t cr0_bits[] = {
	X86_CR0_PE, X86_CR0_PG, X86_CR0_WP, X86_CR0_CD, X86_CR0_NW, X86_CR0_ET,
	X86_CR0_NE, X86_CR0_AM, X86_CR0_TS, X86_CR0_MP, 1ULL << 40, 1ULL << 20,
};
static const uint64_t cr4_bits[] = {
	X86_CR4_PAE, X86_CR4_PSE, X86_CR4_PGE, X86_CR4_VMXE, X86_CR4_SMEP, X86_CR4_SMAP,
	X86_CR4_OSFXSR, X86_CR4_OSXSAVE, X86_CR4_LA57, X86_CR4_PCIDE, X86_CR4_FSGSBASE,
	X86_CR4_PKE, X86_CR4_DE, X86_CR4_VME, 1ULL << 40, 1ULL << 27,
};
static const uint64_t efer_bits[] = {
	EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE, EFER_SVME, 1ULL << 14, 1ULL << 9, 1ULL << 40,
};

static uint64_t rand_bits(struct rng *r, const uint64_t *bits, int n, uint64_t v)
{
	for (int k = rn(r, 4); k > 0; k--)
		v ^= bits[rn(r, n)];
	return v;
}


static void rand_sregs(struct rng *r, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};

	switch (rn(r, 6)) {
	case 0:	/* long mode, valid */
		s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
		s->cs.l = 1;
		s->cs.db = 0;
		break;
	case 1:	/* LMA with PG=0 */
		s->cr0 = X86_CR0_PE | X86_CR0_ET;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
		s->cs.l = 1;
		break;
	case 2:	/* CS.L without LMA */
		s->cr0 = X86_CR0_PE | X86_CR0_ET;
		s->efer = 0;
		s->cs.l = 1;
		break;
	default:
		s->cr0 = rand_bits(r, cr0_bits, NB(cr0_bits), s->cr0);
		s->cr4 = rand_bits(r, cr4_bits, NB(cr4_bits), s->cr4);
		s->efer = rand_bits(r, efer_bits, NB(efer_bits), s->efer);
		break;
	}
	if (one_in(r, 3))
		s->cr3 = rand_u64(r) & (one_in(r, 2) ? ~0xfffULL : ~0ULL);
	s->cr8 = one_in(r, 4) ? rand_u64(r) : s->cr8;
	if (one_in(r, 8))
		s->apic_base = rand_u64(r);
	if (one_in(r, 6))
		s->gdt.base = rand_u64(r), s->gdt.limit = rnd(r);
	if (one_in(r, 6))
		s->idt.base = rand_u64(r), s->idt.limit = rnd(r);
	if (one_in(r, 10))
		rand_bytes(r, s->interrupt_bitmap, sizeof(s->interrupt_bitmap));
	else if (one_in(r, 10))
		s->interrupt_bitmap[rn(r, 4)] = 1ULL << rn(r, 64);
	for (int i = 0; i < 8; i++)
		if (one_in(r, 4))
			rand_seg(r, segs[i], !O.tame && one_in(r, 6));
}

static uint32_t rand_msr(struct rng *r)
{
	static const uint32_t idx[] = {
		0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179,
		0x17a, 0x17b, 0x1a0, 0x1d9, 0x200, 0x201, 0x20f, 0x250, 0x258, 0x259,
		0x268, 0x277, 0x2ff, 0x400, 0x401, 0x402, 0x403, 0x47f, 0x480, 0x6e0,
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010114,
		0xc0010117, 0xc0010015, 0x4b564d00, 0x4b564d01, 0x4b564d02,
		0x4b564d03, 0x4b564d04, 0x4b564d06, 0x40000000, 0xffffffff,
	};

	if (msr_list && msr_list->nmsrs && one_in(r, 3))
		return msr_list->indices[rn(r, msr_list->nmsrs)];
	if (one_in(r, 5))
		return rnd(r);
	return idx[rn(r, NB(idx))];
}

void *rand_ptr(struct rng *r, void *good)
{
	switch (rn(r, 16)) {
	case 0:
		return NULL;
	case 1:
		return BAD_PTR;
	case 2:
		return KERNEL_PTR;
	default:
		return good;
	}
}

/* ---- the calls -------------------------------------------------------- */

static int do_sys(struct rng *r)
{
	static const unsigned long reqs[] = {
		KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION,
		KVM_GET_VCPU_MMAP_SIZE, KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST,
		KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_GET_MSR_FEATURE_INDEX_LIST,
		KVM_GET_EMULATED_CPUID,
	};
	unsigned long req = reqs[rn(r, NB(reqs))];
	union {
		struct kvm_cpuid2 c;
		struct kvm_msr_list m;
		uint8_t raw[8 + 300 * sizeof(struct kvm_cpuid_entry2)];
	} u;
	uint64_t arg;
	int rc;

	if (one_in(r, 50))
		req = _IO(KVMIO, rn(r, 256));	/* anything */
	switch (req) {
	case KVM_CREATE_VM:
		rc = ioctl(kvm_sys, req, one_in(r, 3) ? rand_u64(r) : 0);
		if (rc >= 0)
			close(rc);
		return rc;
	case KVM_CHECK_EXTENSION:
		return ioctl(kvm_sys, req, one_in(r, 4) ? rand_u64(r) : rn(r, 256));
	case KVM_GET_SUPPORTED_CPUID:
	case KVM_GET_EMULATED_CPUID:
		u.c.nent = one_in(r, 4) ? rand_u64(r) : rn(r, 300);
		u.c.padding = rnd(r);
		return ioctl(kvm_sys, req, rand_ptr(r, &u));
	case KVM_GET_MSR_INDEX_LIST:
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		u.m.nmsrs = one_in(r, 4) ? rand_u64(r) : rn(r, 200);
		if (u.m.nmsrs > (sizeof(u) - 4) / 4)
			u.m.nmsrs = one_in(r, 2) ? u.m.nmsrs : 1;
		return ioctl(kvm_sys, req, rand_ptr(r, &u));
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return ioctl(kvm_sys, req, rand_ptr(r, &arg));
	default:
		return ioctl(kvm_sys, req, one_in(r, 2) ? rand_u64(r) : 0);
	}
}

/*
 * Where KVM_GET/CLEAR_DIRTY_LOG read and write bitmaps: 1 MiB (a slot of
 * up to 8M pages), then a guard the kernel's copy stops at (EFAULT) if a
 * huge slot's bitmap is longer.
 */
#define DIRTY_BUF	(1 << 20)
static uint8_t *dirty_buf;

static int do_dirty_log(struct rng *r, int fd)
{
	uint32_t slot = one_in(r, 4) ? (uint32_t)rand_u64(r) : rn(r, 34);
	void *bitmap = dirty_buf;

	if (one_in(r, 4))
		bitmap = rand_ptr(r, NULL);	/* NULL, bad or kernel */
	else if (one_in(r, 4))
		bitmap = dirty_buf + DIRTY_BUF - rn(r, 4096);	/* runs into the guard */
	if (one_in(r, 2)) {
		struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

		return ioctl(fd, KVM_GET_DIRTY_LOG, rand_ptr(r, &log));
	} else {
		struct kvm_clear_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

		log.first_page = one_in(r, 4) ? rand_u64(r) : rn(r, 1024) * (one_in(r, 4) ? 1 : 64);
		log.num_pages = one_in(r, 4) ? (uint32_t)rnd(r) : rn(r, 1024) * (one_in(r, 4) ? 1 : 64);
		if (bitmap == dirty_buf)
			memset(dirty_buf, one_in(r, 2) ? 0xff : rnd(r), 4096);
		return ioctl(fd, KVM_CLEAR_DIRTY_LOG, rand_ptr(r, &log));
	}
}

static int do_vm(struct rng *r, struct fvm *vm)
{
	int fd = vm->fd;
	union {
		struct kvm_userspace_memory_region m;
		struct kvm_irq_routing ir;
		uint8_t raw[4096];
	} u;
	int rc;

	if (fd < 0)
		return -1;
	switch (rn(r, 12)) {
	case 10:
	case 11:
		return fuzz_irqchip_vm(r, fd);
	case 0: {
		int id = one_in(r, 4) ? (int)rand_u64(r) :
			 one_in(r, 3) ? (int)rn(r, 4200) : (int)rn(r, 20);

		rc = ioctl(fd, KVM_CREATE_VCPU, id);
		if (rc >= 0) {
			/* Keep it, if there is a free place; else close it. */
			int i = rn(r, NVCPU);
			struct fvcpu *c = &vm->vcpu[i];

			pthread_mutex_lock(&c->lock);
			if (c->fd < 0) {
				void *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
						 MAP_SHARED, rc, 0);

				c->fd = rc;
				c->run = run == MAP_FAILED ? NULL : run;
				rc = -2;
			}
			pthread_mutex_unlock(&c->lock);
			if (rc >= 0)
				close(rc);
		}
		return rc;
	}
	case 1:
	case 2: {
		static const uint64_t flags[] = {
			0, 0, KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_LOG_DIRTY_PAGES,
			KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, 4, ~0ULL,
		};
		uint8_t *base = vm->mem;

		memset(&u.m, 0, sizeof(u.m));
		u.m.slot = one_in(r, 4) ? (uint32_t)rand_u64(r) : rn(r, 34);
		u.m.flags = flags[rn(r, NB(flags))];
		switch (rn(r, 5)) {
		case 0:
			u.m.guest_phys_addr = rand_u64(r);
			break;
		case 1:
			u.m.guest_phys_addr = rn(r, 1 << 20) * 4096 + (one_in(r, 2) ? rn(r, 4096) : 0);
			break;
		case 2:
			u.m.guest_phys_addr = ~0ULL - rn(r, 8) * 4096 - 4095;	/* wraps */
			break;
		default:
			u.m.guest_phys_addr = rn(r, 512) * 4096;
			break;
		}
		switch (rn(r, 4)) {
		case 0:
			u.m.memory_size = rand_u64(r);
			break;
		case 1:
			u.m.memory_size = 0;	/* delete */
			break;
		default:
			u.m.memory_size = (1 + rn(r, 512)) * 4096 + (one_in(r, 8) ? rn(r, 4096) : 0);
			break;
		}
		switch (rn(r, 6)) {
		case 0:
			u.m.userspace_addr = rand_u64(r);
			break;
		case 1:
			u.m.userspace_addr = (uintptr_t)KERNEL_PTR;
			break;
		case 2:
			/* Past the end of the mapping. */
			u.m.userspace_addr = (uintptr_t)base + VM_MEM - 4096 * rn(r, 4);
			break;
		default:
			u.m.userspace_addr = (uintptr_t)base + rn(r, 512) * 4096 +
					     (one_in(r, 8) ? rn(r, 4096) : 0);
			break;
		}
		return ioctl(fd, KVM_SET_USER_MEMORY_REGION, rand_ptr(r, &u.m));
	}
	case 3: {
		static const uint64_t a[] = {
			0, ~0ULL, 0xfffbd000, 0xfffbd000, 0xfffff000, 0x100000000ULL - 0x2000,
			0x1000, 0xfeffd000,
		};

		return ioctl(fd, KVM_SET_TSS_ADDR, one_in(r, 4) ? rand_u64(r) : a[rn(r, NB(a))]);
	}
	case 4: {
		uint64_t addr = one_in(r, 2) ? rand_u64(r) : 0xfeffc000;

		return ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, rand_ptr(r, &addr));
	}
	case 5:
		return ioctl(fd, KVM_CHECK_EXTENSION, rn(r, 256));
	case 6:
		rand_bytes(r, &u, sizeof(u));
		u.ir.nr = one_in(r, 2) ? rn(r, 100) : (uint32_t)rnd(r);
		return ioctl(fd, KVM_SET_GSI_ROUTING, rand_ptr(r, &u));
	case 7:
		return do_dirty_log(r, fd);
	case 8: {
		struct kvm_enable_cap cap = { 0 };

		cap.cap = one_in(r, 4) ? rnd(r) :
			  one_in(r, 3) ? KVM_CAP_MAX_VCPU_ID :
			  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
		cap.flags = one_in(r, 8) ? rnd(r) : 0;
		cap.args[0] = one_in(r, 4) ? rand_u64(r) :
			      cap.cap == KVM_CAP_MAX_VCPU_ID ? rn(r, 4200) : rn(r, 4);
		if (one_in(r, 8))
			cap.args[1 + rn(r, 3)] = rand_u64(r);
		return ioctl(fd, KVM_ENABLE_CAP, rand_ptr(r, &cap));
	}
	default:
		/* An unknown or other-architecture ioctl on a VM fd. */
		rand_bytes(r, &u, 256);
		return ioctl(fd, _IOC(rn(r, 4), KVMIO, rn(r, 256), rn(r, 256)), &u);
	}
}

/*
 * The signal that ends a KVM_RUN repeats every @ms until disarmed: a
 * one-shot timer that fires before the thread reaches the ioctl (a slow
 * lab preempts it for longer than that) is taken in userspace, and the
 * KVM_RUN that follows would run a spinning guest forever.
 */
static void arm_timer(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	struct itimerspec its = { .it_value = ts, .it_interval = ts };

	if (!have_timer) {
		struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
					.sigev_signo = SIGUSR1 };

		sev._sigev_un._tid = syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &sev, &run_timer))
			return;
		have_timer = true;
	}
	timer_settime(run_timer, 0, &its, NULL);
}

static int do_run(struct rng *r, struct fvcpu *c, int fd)
{
	int rc;

	/* A short guest: real mode, or whatever state it was left in. */
	if (one_in(r, 3)) {
		struct kvm_regs regs = { .rip = rn(r, 0x1000), .rflags = 2 };

		if (one_in(r, 4))
			rand_bytes(r, &regs, sizeof(regs));
		ioctl(fd, KVM_SET_REGS, &regs);
	}
	pthread_mutex_lock(&c->lock);
	if (c->run && c->fd == fd) {
		c->run->immediate_exit = one_in(r, 10);
		c->run->request_interrupt_window = one_in(r, 4);
		c->run->cr8 = rn(r, 16);
	}
	pthread_mutex_unlock(&c->lock);
	if (trace_fd >= 0) {
		struct kvm_sregs s;
		struct kvm_regs g;
		struct kvm_debugregs d;

		ioctl(fd, KVM_GET_SREGS, &s);
		ioctl(fd, KVM_GET_REGS, &g);
		ioctl(fd, KVM_GET_DEBUGREGS, &d);
		trace("  RUN fd %d: cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx cs %#x/%#llx/%#x type %u s %u dpl %u p %u l %u db %u g %u ss type %u dpl %u tr type %u p %u rip %#llx rflags %#llx rsp %#llx dr0-3 %#llx %#llx %#llx %#llx dr6 %#llx dr7 %#llx\n",
		      fd, s.cr0, s.cr3, s.cr4, s.efer, s.cs.selector, s.cs.base, s.cs.limit,
		      s.cs.type, s.cs.s, s.cs.dpl, s.cs.present, s.cs.l, s.cs.db, s.cs.g,
		      s.ss.type, s.ss.dpl, s.tr.type, s.tr.present, g.rip, g.rflags, g.rsp,
		      d.db[0], d.db[1], d.db[2], d.db[3], d.dr6, d.dr7);
	}
	arm_timer(5 + rn(r, 20));
	rc = ioctl(fd, KVM_RUN, 0);
	arm_timer(0);
	if (!rc) {
		pthread_mutex_lock(&c->lock);
		if (c->run && c->fd == fd) {
			unsigned int e = c->run->exit_reason;

			__sync_fetch_and_add(&stat_run_exits[e < 63 ? e : 63], 1);
		}
		pthread_mutex_unlock(&c->lock);
	}
	return rc;
}

static int do_vcpu(struct rng *r, struct fvcpu *c)
{
	int fd = c->fd;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_mp_state mp;
		struct kvm_translation tr;
		struct kvm_interrupt irq;
		struct kvm_vcpu_events ev;
		struct kvm_debugregs dr;
		struct kvm_x86_mce mce;
		struct kvm_signal_mask sm;
		struct kvm_msrs msrs;
		struct kvm_cpuid2 cpuid;
		uint8_t raw[16 + 300 * sizeof(struct kvm_cpuid_entry2)];
	} u;
	uint64_t mcg;

	int op;

	if (fd < 0)
		return -1;
	memset(&u, 0, sizeof(u));
	op = rn(r, 23);
	trace("  vcpu fd %d op %d\n", fd, op);
	switch (op) {
	case 0:
	case 1:
	case 2:
		return do_run(r, c, fd);
	case 3:
		return ioctl(fd, KVM_GET_REGS, rand_ptr(r, &u));
	case 4:
		ioctl(fd, KVM_GET_REGS, &u.regs);
		if (one_in(r, 2))
			rand_bytes(r, &u.regs, sizeof(u.regs));
		else
			u.regs.rip = rand_u64(r), u.regs.rflags = rand_u64(r);
		return ioctl(fd, KVM_SET_REGS, rand_ptr(r, &u));
	case 5:
		return ioctl(fd, KVM_GET_SREGS, rand_ptr(r, &u));
	case 6:
	case 7:
		ioctl(fd, KVM_GET_SREGS, &u.sregs);
		rand_sregs(r, &u.sregs);
		return ioctl(fd, KVM_SET_SREGS, rand_ptr(r, &u));
	case 8:
		ioctl(fd, KVM_GET_FPU, &u.fpu);
		if (one_in(r, 2))
			u.fpu.mxcsr = one_in(r, 2) ? rnd(r) : 0x1f80;
		else
			rand_bytes(r, &u.fpu, sizeof(u.fpu));
		return ioctl(fd, one_in(r, 3) ? KVM_GET_FPU : KVM_SET_FPU, rand_ptr(r, &u));
	case 9:
	case 10: {
		uint32_t n = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 8);
		uint32_t room = (sizeof(u) - 8) / sizeof(struct kvm_msr_entry);

		u.msrs.nmsrs = n;
		for (uint32_t i = 0; i < (n < room ? n : room); i++) {
			u.msrs.entries[i].index = rand_msr(r);
			u.msrs.entries[i].data = rand_u64(r);
			u.msrs.entries[i].reserved = one_in(r, 8) ? rnd(r) : 0;
			trace("   msr %#x %#llx\n", u.msrs.entries[i].index,
			      (unsigned long long)u.msrs.entries[i].data);
		}
		return ioctl(fd, one_in(r, 2) ? KVM_GET_MSRS : KVM_SET_MSRS, rand_ptr(r, &u));
	}
	case 11: {
		uint32_t n = one_in(r, 8) ? (uint32_t)rnd(r) : rn(r, 80);
		uint32_t room = (sizeof(u) - 8) / sizeof(struct kvm_cpuid_entry2);

		u.cpuid.nent = n;
		if (one_in(r, 2))
			ioctl(kvm_sys, KVM_GET_SUPPORTED_CPUID, &u);	/* nent 80 may be too few */
		u.cpuid.nent = n;
		for (uint32_t i = 0; i < (n < room ? n : room); i++) {
			struct kvm_cpuid_entry2 *e = &u.cpuid.entries[i];

			if (one_in(r, 2)) {
				rand_bytes(r, e, sizeof(*e));
				if (one_in(r, 2))
					e->function = one_in(r, 2) ? rn(r, 0x20) : 0x80000000 + rn(r, 0x20);
			} else if (one_in(r, 3)) {
				e->eax ^= 1U << rn(r, 32);
				e->ebx ^= 1U << rn(r, 32);
				e->ecx ^= 1U << rn(r, 32);
				e->edx ^= 1U << rn(r, 32);
			}
		}
		return ioctl(fd, KVM_SET_CPUID2, rand_ptr(r, &u));
	}
	case 12:
		u.mp.mp_state = one_in(r, 2) ? rn(r, 10) : (uint32_t)rnd(r);
		return ioctl(fd, one_in(r, 2) ? KVM_GET_MP_STATE : KVM_SET_MP_STATE, rand_ptr(r, &u));
	case 13: {
		uint32_t len = one_in(r, 2) ? 8 : (uint32_t)rand_u64(r);

		u.sm.len = len;
		rand_bytes(r, u.sm.sigset, 8);
		if (one_in(r, 2)) {
			/* Never block our own watchdog signal. */
			u.sm.sigset[(SIGUSR1 - 1) / 8] &= ~(1 << ((SIGUSR1 - 1) % 8));
		}
		if (len == 8 && (u.sm.sigset[(SIGUSR1 - 1) / 8] & (1 << ((SIGUSR1 - 1) % 8))))
			u.sm.sigset[(SIGUSR1 - 1) / 8] &= ~(1 << ((SIGUSR1 - 1) % 8));
		return ioctl(fd, KVM_SET_SIGNAL_MASK, one_in(r, 10) ? NULL : rand_ptr(r, &u));
	}
	case 14:
		u.tr.linear_address = rand_u64(r);
		return ioctl(fd, KVM_TRANSLATE, rand_ptr(r, &u));
	case 15:
		u.irq.irq = one_in(r, 2) ? rn(r, 256) : (uint32_t)rnd(r);
		return ioctl(fd, KVM_INTERRUPT, rand_ptr(r, &u));
	case 16:
		return ioctl(fd, KVM_NMI, 0);
	case 17:
		ioctl(fd, KVM_GET_VCPU_EVENTS, &u.ev);
		if (one_in(r, 3)) {
			rand_bytes(r, &u.ev, sizeof(u.ev));
		} else {
			u.ev.exception.injected = rn(r, 2);
			u.ev.exception.nr = rn(r, 40);
			u.ev.exception.has_error_code = rn(r, 2);
			u.ev.exception.error_code = rnd(r);
			u.ev.interrupt.injected = rn(r, 2);
			u.ev.interrupt.nr = rnd(r);
			u.ev.interrupt.shadow = rn(r, 4);
			u.ev.nmi.injected = rn(r, 2);
			u.ev.nmi.pending = rn(r, 2);
			u.ev.nmi.masked = rn(r, 2);
			u.ev.flags = one_in(r, 4) ? (uint32_t)rnd(r) :
				     rn(r, 2) * (KVM_VCPUEVENT_VALID_NMI_PENDING |
						 KVM_VCPUEVENT_VALID_SHADOW);
		}
		return ioctl(fd, one_in(r, 4) ? KVM_GET_VCPU_EVENTS : KVM_SET_VCPU_EVENTS,
			     rand_ptr(r, &u));
	case 18:
		ioctl(fd, KVM_GET_DEBUGREGS, &u.dr);
		u.dr.db[rn(r, 4)] = rand_u64(r);
		if (one_in(r, 2))
			u.dr.dr7 = rand_u64(r);
		if (one_in(r, 2))
			u.dr.dr6 = rand_u64(r);
		if (one_in(r, 4))
			u.dr.flags = rnd(r);
		if (O.tame_dr7)
			u.dr.dr7 &= ~0xffff0000ULL;	/* R/W and LEN 0: instruction breakpoints */
		if (O.no_bp)
			u.dr.dr7 &= ~0xffff00ffULL;	/* L0-3 and G0-3 clear too: none armed */
		return ioctl(fd, one_in(r, 4) ? KVM_GET_DEBUGREGS : KVM_SET_DEBUGREGS, rand_ptr(r, &u));
	case 19:
		mcg = one_in(r, 2) ? (rn(r, 40) | (rnd(r) & 0x0f000000ULL)) : rand_u64(r);
		return ioctl(fd, KVM_X86_SETUP_MCE, rand_ptr(r, &mcg));
	case 20:
		rand_bytes(r, &u.mce, sizeof(u.mce));
		if (one_in(r, 2))
			u.mce.bank = rn(r, 40);
		return ioctl(fd, KVM_X86_SET_MCE, rand_ptr(r, &u));
	case 22:
		return fuzz_irqchip_vcpu(r, fd);
	default:
		rand_bytes(r, &u, 256);
		return ioctl(fd, _IOC(rn(r, 4), KVMIO, rn(r, 256), rn(r, 512)), &u);
	}
}

/* KVM_CREATE_VCPU until EMFILE, in a child with RLIMIT_NOFILE lowered. */
static void rlimit_child(struct rng *r)
{
	pid_t pid;

	pthread_rwlock_wrlock(&fork_lock);
	pid = fork();

	if (pid == 0) {
		struct rlimit rl;
		int vmfd = ioctl(kvm_sys, KVM_CREATE_VM, 0);

		if (vmfd < 0)
			_exit(0);
		rl.rlim_cur = rl.rlim_max = count_fds() + rn(r, 4);
		setrlimit(RLIMIT_NOFILE, &rl);
		for (int i = 0; i < 20; i++)
			if (ioctl(vmfd, KVM_CREATE_VCPU, i) < 0 && errno != EMFILE && errno != EEXIST &&
			    errno != EINVAL)
				_exit(3);
		_exit(0);
	}
	if (pid > 0) {
		int st;

		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st))
			fuzz_fail("ioctl", "the RLIMIT_NOFILE child died of signal %d", WTERMSIG(st));
		else if (WEXITSTATUS(st) == 3)
			fuzz_fail("ioctl", "KVM_CREATE_VCPU under a lowered RLIMIT_NOFILE: an errno other than EMFILE");
	}
	pthread_rwlock_unlock(&fork_lock);
}

struct worker {
	int id;
	struct fthread ft;
	struct rng rng;
	long calls;
	pid_t tid;
	volatile int in_call;	/* what it is doing now: k, or -1 */
	volatile bool done;
};

/* Each thread's kernel stack (root only), for a FAIL line about a hang. */
static void dump_stacks(struct worker *w, int n)
{
	char path[64], buf[2048];

	for (int i = 0; i < n; i++) {
		int fd;
		ssize_t len;

		if (w[i].done)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", w[i].tid);
		fd = open(path, O_RDONLY);
		len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[len > 0 ? len : 0] = 0;
		for (char *c = buf; *c; c++)
			if (*c == '\n')
				*c = ' ';
		printf("fuzz: ioctl: thread %d (tid %d), call kind %d, kernel stack: %s\n",
		       i, w[i].tid, w[i].in_call, buf);
	}
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct rng *r = &w->rng;

	w->tid = syscall(SYS_gettid);
	while (!quit) {
		long n = __sync_fetch_and_add(&calls_done, 1);
		struct fvm *vm = &vms[rn(r, NVM)];
		int k = O.kmin + rn(r, O.kmax - O.kmin + 1), rc;

		if (n >= O.calls) {
			quit = true;
			break;
		}
		w->calls++;
		w->in_call = k;
		trace("t%d call %ld k %d vm %d\n", w->id, n, k, (int)(vm - vms));
		if (k < 8) {
			rc = do_sys(r);
		} else if (k < 28) {
			pthread_mutex_lock(&vm->lock);
			rc = do_vm(r, vm);
			pthread_mutex_unlock(&vm->lock);
		} else if (k < 97) {
			rc = do_vcpu(r, &vm->vcpu[rn(r, NVCPU)]);
		} else if (k < 98) {
			/* Close a vCPU fd and unmap its kvm_run, maybe under a KVM_RUN. */
			vcpu_close(&vm->vcpu[rn(r, NVCPU)]);
			rc = 0;
		} else if (k < 99) {
			/* VM churn: destroy one, make it anew. */
			pthread_mutex_lock(&vm->lock);
			if (one_in(r, 2) && vm->mem)
				munmap(vm->mem, VM_MEM), vm->mem = NULL;	/* slot memory gone */
			vm_destroy(vm);
			vm_make(vm, r);
			pthread_mutex_unlock(&vm->lock);
			rc = 0;
		} else {
			pthread_mutex_lock(&vm->lock);
			if (vm->fd >= 0)
				vcpu_make(vm, rn(r, NVCPU), rn(r, 16));
			pthread_mutex_unlock(&vm->lock);
			if (w->id == 0 && one_in(r, 8))
				rlimit_child(r);
			rc = 0;
		}
		__sync_fetch_and_add(rc >= 0 || rc == -2 ? &stat_ok : &stat_err, 1);
		w->in_call = -1;
	}
	w->done = true;
	if (have_timer) {
		timer_delete(run_timer);
		have_timer = false;
	}
	return NULL;
}

static int ioctl_body(void *arg)
{
	struct sigaction sa = { .sa_handler = on_sig };
	struct worker *w;
	struct rng r = { .s = O.seed ^ 0x1234567 };
	int fds0, maps0, fds1, maps1;
	char *maps_before;
	time_t t0 = time(NULL);

	(void)arg;
	sigaction(SIGUSR1, &sa, NULL);
	kvm_sys = kvm_open();
	run_size = ioctl(kvm_sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	msr_list = calloc(1, sizeof(*msr_list) + 1024 * 4);
	msr_list->nmsrs = 1024;
	if (ioctl(kvm_sys, KVM_GET_MSR_INDEX_LIST, msr_list))
		msr_list->nmsrs = 0;
	dirty_buf = mmap(NULL, 2 * DIRTY_BUF, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dirty_buf == MAP_FAILED ||
	    mprotect(dirty_buf, DIRTY_BUF, PROT_READ | PROT_WRITE)) {
		fuzz_fail("ioctl", "cannot map the dirty-log buffer");
		return 1;
	}
	maps_before = maps_text();
	fds0 = count_fds();
	maps0 = count_maps();
	for (int i = 0; i < NVM; i++) {
		pthread_mutex_init(&vms[i].lock, NULL);
		vms[i].fd = -1;
		for (int j = 0; j < NVCPU; j++) {
			pthread_mutex_init(&vms[i].vcpu[j].lock, NULL);
			vms[i].vcpu[j].fd = -1;
		}
		vm_make(&vms[i], &r);
	}
	w = calloc(O.threads, sizeof(*w));
	for (int i = 0; i < O.threads; i++) {
		w[i].id = i;
		w[i].rng.s = O.seed * 0x9e3779b97f4a7c15ULL + i * 0x632be59bd9b4e019ULL;
		if (fthread_start(&w[i].ft, worker, &w[i])) {
			fuzz_fail("ioctl", "cannot start thread %d", i);
			O.threads = i;
			break;
		}
	}
	/* A call that does not come back within 60 s is a hang. */
	for (long last = -1, same = 0;; same++) {
		bool all = true;

		for (int i = 0; i < O.threads; i++)
			all &= w[i].done;
		if (all)
			break;
		if (calls_done != last) {
			last = calls_done;
			same = 0;
		}
		if (same == 600) {
			fuzz_fail("ioctl", "no call came back for 60 s, after %ld calls (threads %d): a hang",
				  last, O.threads);
			dump_stacks(w, O.threads);
			fflush(stdout);
			_exit(1);
		}
		usleep(100000);
	}
	for (int i = 0; i < O.threads; i++)
		fthread_join(&w[i].ft);
	for (int i = 0; i < NVM; i++)
		vm_destroy(&vms[i]);
	fds1 = count_fds();
	maps1 = count_maps();
	if (maps1 != maps0)
		maps_print_new("ioctl", maps_before);
	if (fds1 != fds0 || maps1 != maps0)
		fuzz_fail("ioctl", "after %ld calls with every VM closed: %d fds and %d mappings, %d and %d before",
			  calls_done < O.calls ? calls_done : O.calls, fds1, maps1, fds0, maps0);
	close(kvm_sys);
	if (O.quiet)
		return fuzz_failures ? 1 : 0;
	printf("fuzz: ioctl: seed %llu: %ld calls on %d threads in %lds, %ld succeeded, %ld failed; KVM_RUN exits:",
	       (unsigned long long)O.seed, O.calls, O.threads, (long)(time(NULL) - t0),
	       stat_ok, stat_err);
	for (int i = 0; i < 64; i++)
		if (stat_run_exits[i])
			printf(" %d:%ld", i, stat_run_exits[i]);
	printf("\n");
	if (kernel_log_trouble("ioctl"))
		return 1;
	if (!fuzz_failures)
		printf("PASS: fuzz: ioctl: %ld calls, %d threads, seed %llu: the process survived, no fd or mapping left\n",
		       O.calls, O.threads, (unsigned long long)O.seed);
	return fuzz_failures ? 1 : 0;
}

/*
 * QEMU's TCG: the CPUID hypervisor leaf says "TCGTCGTCGTCG".  There a
 * guest's armed breakpoint can take the whole lab machine down, not only
 * the guest (README, "The svm lab's QEMU aborts"; a data breakpoint's #DB
 * delivered to the lab's kernel right after #VMEXIT, before VMLOAD gave it
 * back its GS and TR, is a triple fault).
 */
static bool under_qemu_tcg(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
		return false;
	__cpuid(0x40000000, a, b, c, d);
	return b == 0x54474354 && c == 0x43544743 && d == 0x47435447;
}

int fuzz_ioctl_main(int argc, char **argv)
{
	long calls;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-leak-check")) {
			O.leak_check = false;
			continue;
		}
		if (!strcmp(a, "--tame-segments")) {
			O.tame = true;
			continue;
		}
		if (!strcmp(a, "--no-data-breakpoints")) {
			O.tame_dr7 = true;
			continue;
		}
		if (!strcmp(a, "--no-breakpoints")) {
			O.no_bp = true;
			continue;
		}
		if (!strcmp(a, "--breakpoints")) {
			O.force_bp = true;
			continue;
		}
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--seed"))
			O.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--calls"))
			O.calls = strtol(v, NULL, 0);
		else if (!strcmp(a, "--threads"))
			O.threads = atoi(v);
		else if (!strcmp(a, "--mem-tolerance"))
			O.tol_kb = strtol(v, NULL, 0);
		else if (!strcmp(a, "--only")) {
			/* sys, vm, vcpu or churn: one kind of call alone. */
			O.kmin = !strcmp(v, "vm") ? 8 : !strcmp(v, "vcpu") ? 28 :
				 !strcmp(v, "churn") ? 97 : 0;
			O.kmax = !strcmp(v, "vm") ? 27 : !strcmp(v, "vcpu") ? 96 :
				 !strcmp(v, "churn") ? 99 : 7;
			/* or a range of kinds, "97-97" */
			if (v[0] >= '0' && v[0] <= '9' && sscanf(v, "%d-%d", &O.kmin, &O.kmax) != 2)
				goto usage;
		} else if (!strcmp(a, "--trace"))
			trace_fd = open(v, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		else
			goto usage;
	}
	if (O.threads < 1 || O.threads > 64)
		goto usage;
	fuzz_seed = O.seed;
	if (!O.no_bp && !O.force_bp && under_qemu_tcg()) {
		O.no_bp = true;
		printf("fuzz: ioctl: QEMU TCG: --no-breakpoints (--breakpoints arms them anyway)\n");
	}
	printf("fuzz: ioctl: seed %llu, %ld calls, %d threads%s\n", (unsigned long long)O.seed,
	       O.calls, O.threads, O.tame ? ", segments tame" : "");
	/* The warm-up: the first VMs grow the kernel's caches. */
	calls = O.calls;
	O.calls = calls < 2000 ? calls : 2000;
	O.quiet = true;
	if (O.leak_check && campaign("ioctl", O.tol_kb, false, ioctl_body, NULL, NULL))
		return 1;
	O.calls = calls;
	O.quiet = false;
	return campaign("ioctl", O.tol_kb, O.leak_check, ioctl_body, NULL, NULL) ? 1 : 0;
usage:
	fprintf(stderr, "usage: fuzz ioctl --seed S --calls N [--threads T] [--tame-segments]\n"
		"       [--no-data-breakpoints] [--no-breakpoints | --breakpoints] [--trace FILE]\n"
		"       [--only WHAT]\n"
		"       [--mem-tolerance KiB] [--no-leak-check]\n");
	return 2;
}
