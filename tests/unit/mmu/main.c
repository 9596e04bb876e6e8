// SPDX-License-Identifier: GPL-2.0
/*
 * mmucheck: one VM, a few vCPUs run in turn on one thread, and a long
 * seeded sequence of guest operations against one MMU strategy; after
 * every access, the strategy's answer (through the simulated hardware,
 * hw.c) must be the model's (model.c).
 *
 *   mmucheck --strategy NAME --seed N --ops M [--vcpus K] [--verbose]
 *            [--avoid LIST] [--param NAME=VALUE] [--unprotect N]
 *            [--watch GPA] [--dirty-log]
 *
 * The guest has address spaces in 32-bit, PAE and 4-level format, built
 * from random entries in a pool of table pages per mode; every address
 * space maps all the pools (and the page tables in ROM) supervisor-RW at
 * a window, through which the guest rewrites its entries with ordinary
 * writes, so that a strategy's write protection sees them as on real
 * hardware.  After changing an entry, the guest does what the
 * architecture asks of it on every vCPU whose address space uses the
 * entry: INVLPG of each address whose leaf changed, or a whole flush
 * (CR3 reload, or CR4.PGE toggled when global pages are on); the model
 * can then demand the exact current translation.
 *
 * On a mismatch: the seed, the operation, both answers and the history,
 * exit status 1.  Exit status 0: every check passed.
 *
 * This file: the strategies, options, the PRNG, reporting, vCPU state,
 * setup and the run loop.  guest.c: the guest's address spaces and
 * operations.  check.c: the checks.  driver.h: what they share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "mmucheck.h"
#include "driver.h"

/* ---- the strategies -------------------------------------------------- */

/*
 * Weak: NULL unless kvm/mmu/cached.c is linked in, which the Makefile
 * does when STRATEGIES names it (tests/unit/mmu.sh).
 */
extern const struct kvm_mmu_ops kvm_mmu_cached __attribute__((weak));
extern const struct kvm_mmu_ops kvm_mmu_tdp __attribute__((weak));

static const struct strategy strategies[] = {
	{ "naive", &kvm_mmu_naive, naive_check },
	{ "cached", &kvm_mmu_cached, cached_check },
	/* Nested paging: the hardware of hw_tdp.c. */
	{ "tdp", &kvm_mmu_tdp, tdp_check },
};

const struct kvm_mmu_ops *ops;
const struct strategy *strategy;
struct kvm *the_kvm;
struct hvcpu *hvcpus[KVM_MAX_VCPUS];
int nr_hvcpus;

/* ---- options, PRNG, reporting ----------------------------------------- */

static unsigned long long opt_seed = 1;
static unsigned long opt_ops = 10000;
static int opt_vcpus = 1;
static bool opt_verbose;

/* --avoid: the names of the AVOID_* bits (driver.h), in their order. */
static const char *const avoid_names[] = { "implicit-ac", "wp0-smap" };
unsigned int opt_avoid;
static char opt_avoid_str[64];

static u64 rng_state;

/* splitmix64: small, fast, and the same sequence everywhere. */
u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

/* True with probability @pct percent. */
bool chance(unsigned int pct)
{
	return rnd_below(100) < pct;
}

unsigned long op_index;
char op_desc[256];
char walk_desc[1024];	/* the model's walk, for a mismatch */
/* --watch: report every operation that changes the word at this gpa. */
u64 opt_watch = ~0ULL;
bool opt_dirty_log;

#define HISTORY		24
static char history[HISTORY][256];
static unsigned long nhistory;

void note(const char *fmt, ...)
{
	char *h = history[nhistory++ % HISTORY];
	int n;
	va_list ap;

	n = snprintf(h, sizeof(history[0]), "#%lu ", op_index);
	va_start(ap, fmt);
	vsnprintf(h + n, sizeof(history[0]) - n, fmt, ap);
	va_end(ap);
	if (opt_verbose)
		printf("  %s\n", h);
}

void fail(const char *what, const char *model, const char *strat)
{
	unsigned long i, first;

	printf("FAIL: mmucheck: %s seed %llu vcpus %d: op %lu: %s\n",
	       strategy->name, opt_seed, opt_vcpus, op_index, what);
	printf("    op:       %s\n", op_desc);
	if (model)
		printf("    model:    %s\n", model);
	if (walk_desc[0])
		printf("    walk:     %s\n", walk_desc);
	if (strat)
		printf("    strategy: %s\n", strat);
	first = nhistory > HISTORY ? nhistory - HISTORY : 0;
	printf("    history (oldest first):\n");
	for (i = first; i < nhistory; i++)
		printf("      %s\n", history[i % HISTORY]);
	printf("    rerun: mmucheck --strategy %s --seed %llu --ops %lu --vcpus %d%s%s%s%s --verbose\n",
	       strategy->name, opt_seed, op_index + 1, opt_vcpus,
	       opt_avoid ? " --avoid " : "", opt_avoid_str,
	       opt_dirty_log ? " --dirty-log" : "",
	       kvm_tdp_ad ? "" : " --no-tdp-ad");
	fflush(stdout);
	exit(1);
}

void failf(const char *what, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fail(what, NULL, buf);
}

/* ---- vCPU state, as kvm/x86.c keeps it -------------------------------- */

int hv_cpl(const struct hvcpu *hv)
{
	/* svm_get_cpl(): real mode is CPL 0. */
	if (!(hv->vcpu.cr0 & X86_CR0_PE))
		return 0;
	return hv->cpl;
}

int hv_mode(const struct hvcpu *hv)
{
	const struct kvm_vcpu *v = &hv->vcpu;

	if (!(v->cr0 & X86_CR0_PG))
		return PM_OFF;
	if (v->efer & EFER_LMA)
		return PM_4L;
	if (v->cr4 & X86_CR4_PAE)
		return PM_PAE;
	return PM_32;
}

/*
 * kvm_set_cr0/3/4() and kvm_set_efer() for the values the checker's
 * guest writes (always valid ones): the same state changes and the same
 * new_cr3() calls (kvm_paging_changed(); update_cr() has nothing to do
 * here, the simulated hardware reads the vCPU's registers directly).
 */
void set_cr0(struct hvcpu *hv, u64 cr0)
{
	struct kvm_vcpu *v = &hv->vcpu;
	u64 old = v->cr0;

	cr0 |= X86_CR0_ET;
	if (!(old & X86_CR0_PG) && (cr0 & X86_CR0_PG) && (v->efer & EFER_LME))
		v->efer |= EFER_LMA;
	if ((old & X86_CR0_PG) && !(cr0 & X86_CR0_PG) && (v->efer & EFER_LMA))
		v->efer &= ~EFER_LMA;
	v->cr0 = cr0;
	if ((old ^ cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		hw_new_cr3(hv);
}

void set_cr3(struct hvcpu *hv, u64 cr3)
{
	hv->vcpu.cr3 = cr3;
	hw_mov_cr3(hv);
}

void set_cr4(struct hvcpu *hv, u64 cr4)
{
	u64 old = hv->vcpu.cr4;

	hv->vcpu.cr4 = cr4;
	if ((old ^ cr4) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE |
			   X86_CR4_SMEP | X86_CR4_SMAP))
		hw_new_cr3(hv);
}

void set_efer(struct hvcpu *hv, u64 efer)
{
	struct kvm_vcpu *v = &hv->vcpu;
	bool nx = (efer ^ v->efer) & EFER_NX;

	v->efer = (efer & ~(u64)EFER_LMA) | (v->efer & EFER_LMA);
	if (nx)
		hw_new_cr3(hv);
}


static u64 watch_val;

static void watch(void)
{
	u64 v = 0;
	u8 *p;

	if (opt_watch == ~0ULL || !(p = gpa_expect(opt_watch)))
		return;
	memcpy(&v, p, 8);
	if (v != watch_val)
		printf("watch: op %lu (%s): gpa %#llx: %#llx -> %#llx\n",
		       op_index, op_desc, opt_watch, watch_val, v);
	watch_val = v;
}

static void one_op(void)
{
	struct hvcpu *hv = hvcpus[rnd_below(nr_hvcpus)];
	unsigned int r = rnd_below(10000);

	op_desc[0] = 0;
	shim_cnt.resched_run = 0;
	guest_op(hv, r);
	watch();
	check_op_end = true;
	check_shim();
	check_op_end = false;
	if (!(op_index % 512))
		check_memory(true);
}

/* ---- setup ---------------------------------------------------------- */

/* CPUID 0x80000001.EDX[26] (1 GiB pages) of the vCPUs: setup() picks it. */
static bool gbpages;
/* RAM0 backed by transparent huge pages (tdp only): setup() picks it. */
static bool thp;

static void setup(void)
{
	int i;

	the_kvm = calloc(1, sizeof(*the_kvm));
	init_rwsem(&the_kvm->slots_lock);
	the_kvm->mmu_ops = ops;
	gmem_init(the_kvm);
	/* With 1 GiB pages or without, by pairs of seeds. */
	gbpages = !(opt_seed / 2 % 2);
	/*
	 * Under nested paging and cached, RAM0 backed by transparent huge
	 * pages (2 MiB nested or shadow leaves) or not, by triples of seeds.
	 */
	thp = (hw_tdp || strategy->check == cached_check) && opt_seed / 3 % 2;
	if (thp) {
		gmem_set_thp(RG_RAM0);
		gmem_set_thp(RG_RAM4G);
	}
	setup_guest_memory();

	if (ops->vm_init && ops->vm_init(the_kvm))
		failf("vm_init() failed", "vm_init() != 0");
	for (i = 0; i < opt_vcpus; i++) {
		struct hvcpu *hv = calloc(1, sizeof(*hv));
		struct kvm_vcpu *v = &hv->vcpu;

		hv->index = i;
		hv->tlb_gen = 1;
		hv->graph = graph_new();
		v->kvm = the_kvm;
		v->vcpu_id = i;
		v->cr0 = X86_CR0_ET;
		v->rflags = 2;
		hv->cpuid[0].function = 7;
		hv->cpuid[0].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		hv->cpuid[0].ebx = BIT(7) | BIT(20);	/* SMEP, SMAP */
		hv->cpuid[1].function = 0x80000001;
		hv->cpuid[1].edx = BIT(20) | BIT(29) | (gbpages ? BIT(26) : 0);
		hv->cpuid_nent = 2;
		hvcpus[i] = hv;
		the_kvm->vcpus[i] = v;
		the_kvm->nr_vcpus = ++nr_hvcpus;
		if (ops->vcpu_init(v))
			failf("vcpu_init() failed", "vcpu %d", i);
	}
	check_op_end = true;
	check_shim();
	check_op_end = false;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mmucheck --strategy NAME [--seed N] [--ops M] [--vcpus K]\n"
		"                [--verbose] [--avoid implicit-ac,wp0-smap]\n"
		"                [--param NAME=VALUE] [--unprotect N] [--watch GPA]\n"
		"                [--dirty-log] [--no-tdp-ad]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *name = "naive";
	unsigned int i;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	hw_unprotect_one_in = 8;
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(arg, "--verbose")) {
			opt_verbose = true;
			continue;
		}
		if (!strcmp(arg, "--dirty-log")) {
			opt_dirty_log = true;
			continue;
		}
		/* tdp as on EPT without A/D bits: a dirty log by write faults. */
		if (!strcmp(arg, "--no-tdp-ad")) {
			kvm_tdp_ad = false;
			continue;
		}
		if (!val)
			usage();
		a++;
		if (!strcmp(arg, "--strategy")) {
			name = val;
		} else if (!strcmp(arg, "--seed")) {
			opt_seed = strtoull(val, NULL, 0);
		} else if (!strcmp(arg, "--ops")) {
			opt_ops = strtoul(val, NULL, 0);
		} else if (!strcmp(arg, "--vcpus")) {
			opt_vcpus = atoi(val);
			if (opt_vcpus < 1 || opt_vcpus > KVM_MAX_VCPUS)
				usage();
		} else if (!strcmp(arg, "--avoid")) {
			char list[64], *tok, *save = NULL;

			snprintf(list, sizeof(list), "%s", val);
			snprintf(opt_avoid_str, sizeof(opt_avoid_str), "%s", val);
			for (tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (i = 0; i < ARRAY_SIZE(avoid_names); i++)
					if (!strcmp(tok, avoid_names[i]))
						break;
				if (i == ARRAY_SIZE(avoid_names))
					usage();
				opt_avoid |= 1u << i;
			}
		} else if (!strcmp(arg, "--watch")) {
			opt_watch = strtoull(val, NULL, 0) & ~7ULL;
		} else if (!strcmp(arg, "--unprotect")) {
			hw_unprotect_one_in = strtoul(val, NULL, 0);
		} else if (!strcmp(arg, "--param")) {
			const char *eq = strchr(val, '=');
			char pname[64];

			if (!eq || eq - val >= (int)sizeof(pname))
				usage();
			snprintf(pname, sizeof(pname), "%.*s", (int)(eq - val), val);
			if (shim_set_param(pname, strtoll(eq + 1, NULL, 0))) {
				fprintf(stderr, "mmucheck: no parameter %s\n", pname);
				exit(2);
			}
		} else {
			usage();
		}
	}
	for (i = 0; i < ARRAY_SIZE(strategies); i++)
		if (!strcmp(strategies[i].name, name))
			strategy = &strategies[i];
	if (!strategy || !strategy->ops) {
		fprintf(stderr, "mmucheck: strategy %s is not built in\n", name);
		exit(2);
	}
	ops = strategy->ops;
	hw_tdp = ops == &kvm_mmu_tdp;
	shim_verbose = opt_verbose;
	rng_state = opt_seed;

	setup();
	for (op_index = 0; op_index < opt_ops; op_index++) {
		/* Each vCPU starts in a random mode. */
		if (op_index < (unsigned long)nr_hvcpus) {
			int targets[] = { PM_OFF, PM_32, PM_PAE, PM_4L };
			int t = targets[rnd_below(4)];

			snprintf(op_desc, sizeof(op_desc), "vcpu%lu starts in %s",
				 op_index, mode_name(t));
			note("%s", op_desc);
			switch_mode(hvcpus[op_index], t);
			check_op_end = true;
			check_shim();
			check_op_end = false;
			continue;
		}
		one_op();
	}
	check_memory(true);
	teardown();
	printf("PASS: mmucheck: %s seed %llu vcpus %d: %lu ops: %llu accesses (%llu #PF, %llu MMIO, %llu emulated), %llu page-table writes, %llu flushes, %llu INVLPGs",
	       name, opt_seed, opt_vcpus, opt_ops, n_access, n_fault, n_mmio,
	       n_emulated, n_ptewrite, n_flushes, n_invlpgs);
	if (hw_tdp)
		printf(", nested page faults: %llu on guest tables, %llu on A/D updates, %llu on the access, %llu large leaves made%s",
		       hw_tdp_npfs[HW_TDP_NPF_TABLE], hw_tdp_npfs[HW_TDP_NPF_AD],
		       hw_tdp_npfs[HW_TDP_NPF_FINAL], tdp_large_created,
		       thp ? "" : " (no THP)");
	if (strategy->check == cached_check)
		printf(", pages out of sync %llu, resynced %llu, leaves prefetched %llu, 2 MiB leaves made %llu%s",
		       cached_unsynced, cached_resynced, cached_prefetched,
		       cached_large_created, thp ? "" : " (no THP)");
	printf("\n");
	return 0;
}
