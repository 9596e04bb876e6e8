// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: command line, messages, the end of a run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmm [OPTIONS] GUEST.bin\n"
"\n"
"Runs a flat guest binary on /dev/kvm.\n"
"\n"
"  --mode MODE      real, reset, prot32, pae or long (default long)\n"
"                   real:   16-bit, CS=DS=SS=0, loaded at 0x7c00\n"
"                   reset:  the reset state (CS:IP=F000:FFF0), the image\n"
"                           ends at 0x100000 and is aliased at 0xffff0000\n"
"                   prot32: 32-bit flat, no paging, loaded at 0x100000\n"
"                   pae:    32-bit, PAE paging, 4 GiB identity-mapped\n"
"                   long:   64-bit, 4-level paging, >= 4 GiB identity-mapped\n"
"  --mem MIB        guest RAM in MiB (default 128)\n"
"  --vcpus N        vCPUs, one thread each (default 1); RDI = vCPU index,\n"
"                   RSI = number of vCPUs, RDX = RAM in MiB\n"
"  --load ADDR      guest-physical load address (default: the mode's)\n"
"  --entry ADDR     start address (default: the load address; not with\n"
"                   --mode reset, which starts at the reset vector)\n"
"  --slot-mib N     split RAM into memory slots of at most N MiB\n"
"  --no-gbpages     long mode: map with 2 MiB pages even if 1 GiB pages exist\n"
"  --no-thp         guest RAM without transparent huge pages (default: RAM\n"
"                   2 MiB-aligned with MADV_HUGEPAGE, as QEMU's)\n"
"  --timeout S      give up after S seconds (status 108)\n"
"  --max-exits N    give up after N exits, all vCPUs together (status 108)\n"
"  --on-hlt WHAT    exit (default: status 102), continue, or stop the vCPU\n"
"  --lenient        ports/MMIO with no device: reads give all ones, writes\n"
"                   are dropped (default: stop with status 107)\n"
"  --stats          print exit counts on stderr at the end\n"
"  --mmu-stats      print the VM's MMU counters on stderr at the end, as\n"
"                   \"vmm: mmu NAME VALUE\" lines (our module's debugfs\n"
"                   kvm/PID-FD/mmu), and its exits by reason as\n"
"                   \"vmm: exits NAME COUNT\" lines (kvm/PID-FD/exits)\n"
"  --irqchip WHAT   none (default: no interrupt controller; HLT exits to the\n"
"                   VMM) or kernel (KVM_CREATE_IRQCHIP: PICs, IOAPIC and a\n"
"                   local APIC per vCPU in the kernel; HLT waits there)\n"
"                   or split (KVM_CAP_SPLIT_IRQCHIP: the local APICs only)\n"
"  --trace          print every exit on stderr\n"
"\n"
"Exit status: the guest's exit code (0..99, OUT to port 0xf4), 0 when every\n"
"vCPU stopped, 100 usage, 101 KVM error, 102 hlt, 103 shutdown, 104 internal\n"
"error, 105 failed entry, 106 unhandled exit, 107 no device, 108 limit.\n");
}

void vmm__msg(struct vm *vm, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "vmm: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (vm)
		pthread_mutex_lock(&vm->lock);
	if (write(2, buf, n) < 0) {
		/* nowhere left to say it */
	}
	if (vm)
		pthread_mutex_unlock(&vm->lock);
}

static void vm__print_stats(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->opt.nr_vcpus && vm->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char buf[256];
		int n;

		n = snprintf(buf, sizeof(buf),
			     "vmm: vcpu %d: exits %" PRIu64 " (io %" PRIu64
			     ", mmio %" PRIu64 ", hlt %" PRIu64 ")\n",
			     i, v->exits, v->exits_io, v->exits_mmio,
			     v->exits_hlt);
		if (write(2, buf, n) < 0)
			break;
	}
}

/*
 * End the run: print the message, flush the console, exit.  Other vCPU
 * threads may still be in KVM_RUN; the process exit ends them.  The lock
 * is never released, so nothing else gets printed after this.
 */
/*
 * Our module keeps the VM's MMU counters in debugfs kvm/PID-FD/mmu, as
 * "name value" lines, and its exits by reason in kvm/PID-FD/exits.
 * Copied to stderr, a line each ("vmm: mmu ...", "vmm: exits ...").
 */
static void vm__print_mmu_stats(struct vm *vm)
{
	char path[128], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/mmu",
		 (int)getpid(), vm->fd);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "vmm: mmu: cannot read %s: %s (debugfs not mounted, or not our module)\n",
			path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "vmm: mmu %s", line);
	fclose(f);

	/* And its exits by hardware reason, kvm/PID-FD/exits. */
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exits",
		 (int)getpid(), vm->fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "vmm: exits %s", line);
	fclose(f);
}

void vm__exit(struct vm *vm, int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n = 0;

	if (fmt) {
		n = snprintf(buf, sizeof(buf), "vmm: ");
		va_start(ap, fmt);
		n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
		va_end(ap);
		if (n > (int)sizeof(buf) - 2)
			n = sizeof(buf) - 2;
		buf[n++] = '\n';
	}
	if (vm)
		pthread_mutex_lock(&vm->lock);
	if (vm)
		console__flush(vm);
	if (n && write(2, buf, n) < 0)
		status = status ? status : VMM_EXIT_KVM;
	if (vm && vm->opt.stats)
		vm__print_stats(vm);
	if (vm && vm->opt.mmu_stats)
		vm__print_mmu_stats(vm);
	_exit(status);
}

void vm__die_errno(struct vm *vm, const char *what)
{
	int e = errno;

	vm__exit(vm, VMM_EXIT_KVM, "%s: %s (errno %d)", what, strerror(e), e);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "vmm: %s: bad number '%s'\n", opt, s);
		exit(VMM_EXIT_USAGE);
	}
	return v;
}

static void parse_options(struct options *o, int argc, char **argv)
{
	enum { O_MODE = 256, O_MEM, O_VCPUS, O_LOAD, O_ENTRY, O_SLOT, O_NOGB, O_NOTHP,
	       O_TIMEOUT, O_MAXEXITS, O_HLT, O_LENIENT, O_STATS, O_MMUSTATS,
	       O_TRACE, O_IRQCHIP };
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "load", required_argument, NULL, O_LOAD },
		{ "entry", required_argument, NULL, O_ENTRY },
		{ "slot-mib", required_argument, NULL, O_SLOT },
		{ "no-gbpages", no_argument, NULL, O_NOGB },
		{ "no-thp", no_argument, NULL, O_NOTHP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "max-exits", required_argument, NULL, O_MAXEXITS },
		{ "on-hlt", required_argument, NULL, O_HLT },
		{ "lenient", no_argument, NULL, O_LENIENT },
		{ "stats", no_argument, NULL, O_STATS },
		{ "mmu-stats", no_argument, NULL, O_MMUSTATS },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "irqchip", required_argument, NULL, O_IRQCHIP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_LONG;
	o->mem_mib = 128;
	o->nr_vcpus = 1;
	o->load_addr = ~0ULL;
	o->entry = ~0ULL;
	o->on_hlt = HLT_EXIT;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			if (!strcmp(optarg, "real"))
				o->mode = MODE_REAL;
			else if (!strcmp(optarg, "reset"))
				o->mode = MODE_RESET;
			else if (!strcmp(optarg, "prot32"))
				o->mode = MODE_PROT32;
			else if (!strcmp(optarg, "pae"))
				o->mode = MODE_PAE;
			else if (!strcmp(optarg, "long"))
				o->mode = MODE_LONG;
			else {
				fprintf(stderr, "vmm: --mode: '%s' is none of real, reset, prot32, pae, long\n",
					optarg);
				exit(VMM_EXIT_USAGE);
			}
			break;
		case O_MEM:
			o->mem_mib = parse_num("--mem", optarg, 1 << 20);
			if (o->mem_mib < 2) {
				fprintf(stderr, "vmm: --mem: at least 2 MiB\n");
				exit(VMM_EXIT_USAGE);
			}
			break;
		case O_VCPUS:
			o->nr_vcpus = parse_num("--vcpus", optarg, 256);
			if (o->nr_vcpus < 1) {
				fprintf(stderr, "vmm: --vcpus: at least 1\n");
				exit(VMM_EXIT_USAGE);
			}
			break;
		case O_LOAD:
			o->load_addr = parse_num("--load", optarg, ~0ULL - 1);
			break;
		case O_ENTRY:
			o->entry = parse_num("--entry", optarg, ~0ULL - 1);
			break;
		case O_SLOT:
			o->slot_mib = parse_num("--slot-mib", optarg, 1 << 20);
			break;
		case O_NOGB:
			o->no_gbpages = true;
			break;
		case O_NOTHP:
			o->no_thp = true;
			break;
		case O_TIMEOUT:
			o->timeout = parse_num("--timeout", optarg, 1 << 30);
			break;
		case O_MAXEXITS:
			o->max_exits = parse_num("--max-exits", optarg, ~0ULL);
			break;
		case O_HLT:
			if (!strcmp(optarg, "exit"))
				o->on_hlt = HLT_EXIT;
			else if (!strcmp(optarg, "continue"))
				o->on_hlt = HLT_CONTINUE;
			else if (!strcmp(optarg, "stop"))
				o->on_hlt = HLT_STOP;
			else {
				fprintf(stderr, "vmm: --on-hlt: '%s' is none of exit, continue, stop\n",
					optarg);
				exit(VMM_EXIT_USAGE);
			}
			break;
		case O_LENIENT:
			o->lenient = true;
			break;
		case O_STATS:
			o->stats = true;
			break;
		case O_MMUSTATS:
			o->mmu_stats = true;
			break;
		case O_TRACE:
			o->trace = true;
			break;
		case O_IRQCHIP:
			o->irqchip = o->split_irqchip = false;
			if (!strcmp(optarg, "kernel"))
				o->irqchip = true;
			else if (!strcmp(optarg, "split"))
				o->irqchip = o->split_irqchip = true;
			else if (strcmp(optarg, "none")) {
				fprintf(stderr, "vmm: --irqchip: '%s' is none of none, kernel, split\n",
					optarg);
				exit(VMM_EXIT_USAGE);
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(VMM_EXIT_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vmm: give exactly one guest image\n");
		usage(stderr);
		exit(VMM_EXIT_USAGE);
	}
	o->image = argv[optind];
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct timespec deadline;
	int i, err;

	parse_options(&vm.opt, argc, argv);
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.cond, NULL);

	vm__create(&vm);
	if (vm.opt.irqchip)
		vm__create_irqchip(&vm);
	vm__setup_memory(&vm);
	vm__load_image(&vm);
	vm__setup_cpuid(&vm);
	vm__setup_tables(&vm);

	vm.vcpus = calloc(vm.opt.nr_vcpus, sizeof(*vm.vcpus));
	if (!vm.vcpus)
		vm__die_errno(&vm, "calloc vcpus");
	for (i = 0; i < vm.opt.nr_vcpus; i++) {
		vcpu__create(&vm, &vm.vcpus[i], i);
		vcpu__setup_cpuid(&vm.vcpus[i]);
		vcpu__setup_mode(&vm.vcpus[i]);
		if (vm.opt.irqchip)
			vcpu__make_runnable(&vm.vcpus[i]);
	}

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += vm.opt.timeout;

	pthread_mutex_lock(&vm.lock);
	vm.running = vm.opt.nr_vcpus;
	pthread_mutex_unlock(&vm.lock);
	for (i = 0; i < vm.opt.nr_vcpus; i++) {
		err = pthread_create(&vm.vcpus[i].thread, NULL, vcpu__thread,
				     &vm.vcpus[i]);
		if (err) {
			errno = err;
			vm__die_errno(&vm, "pthread_create");
		}
	}

	/* Wait for every vCPU to stop, or for the timeout. */
	pthread_mutex_lock(&vm.lock);
	while (vm.running > 0) {
		if (!vm.opt.timeout) {
			pthread_cond_wait(&vm.cond, &vm.lock);
			continue;
		}
		err = pthread_cond_timedwait(&vm.cond, &vm.lock, &deadline);
		if (err == ETIMEDOUT) {
			pthread_mutex_unlock(&vm.lock);
			vm__exit(&vm, VMM_EXIT_LIMIT,
				 "timeout after %u s", vm.opt.timeout);
		}
	}
	pthread_mutex_unlock(&vm.lock);
	vm__exit(&vm, 0, "all vcpus stopped");
}
