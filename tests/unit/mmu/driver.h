/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmucheck's driver, in three files: main.c (the strategies, options, the
 * PRNG, reporting, vCPU state, setup and the run loop), guest.c (the
 * guest's address spaces and its random operations) and check.c (each
 * access against the model, the TLB discipline, the counters and the
 * teardown checks).  What they share; mmucheck.h is what the rest of the
 * checker shares.
 */
#ifndef MMUCHECK_DRIVER_H
#define MMUCHECK_DRIVER_H

#include "mmucheck.h"

/* ---- main.c: the strategies, options, PRNG, reporting ---------------- */

struct strategy {
	const char *name;
	const struct kvm_mmu_ops *ops;
	/* Whether the strategy's counters add up; *why empty if so. */
	void (*check)(char *why, size_t len);
};

/* The strategy under test (--strategy). */
extern const struct strategy *strategy;

/*
 * Situations the generator can be told to stay out of (--avoid), for
 * strategy bugs that are known and would hide everything else (README.md,
 * "Known bugs"): mmu.sh's fixed runs and mutants avoid them, and one more
 * run per bug checks that it is still there.
 */
enum {
	/* Implicit supervisor accesses at CPL < 3 with RFLAGS.AC = 1, CR4.SMAP. */
	AVOID_IMPLICIT_AC = 1,
	/* Supervisor writes with CR0.WP = 0, CR4.SMAP and RFLAGS.AC = 1. */
	AVOID_WP0_SMAP = 2,
};

extern unsigned int opt_avoid;		/* AVOID_* */
/* --watch: report every operation that changes the word at this gpa. */
extern u64 opt_watch;
/*
 * --dirty-log: log RAM0's dirty pages on a fixed schedule and check each
 * log (guest.c); off by default, so that the other runs' sequences (and
 * what the mutants' seeds catch) stay as they were.
 */
extern bool opt_dirty_log;

/* rnd() below @n (0 if @n is 0). */
u64 rnd_below(u64 n);
/* True with probability @pct percent. */
bool chance(unsigned int pct);

extern unsigned long op_index;
extern char op_desc[256];		/* the operation, for a mismatch */
extern char walk_desc[1024];		/* the model's walk, for a mismatch */

/* Add to the history (and print it with --verbose). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a mismatch, with the history and a rerun line; exit status 1. */
void fail(const char *what, const char *model, const char *strat)
	__attribute__((noreturn));
void failf(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* kvm_set_cr0/3/4() and kvm_set_efer(), for valid values. */
void set_cr0(struct hvcpu *hv, u64 cr0);
void set_cr3(struct hvcpu *hv, u64 cr3);
void set_cr4(struct hvcpu *hv, u64 cr4);
void set_efer(struct hvcpu *hv, u64 efer);

/* ---- guest.c: the guest ----------------------------------------------- */

/* Fill guest memory and build every mode's address spaces (seeded). */
void setup_guest_memory(void);
/* Switch @hv to paging mode @target (PM_*), through paging off. */
void switch_mode(struct hvcpu *hv, int target);
/* Run operation @r (0..9999, by the operations' weights) on @hv. */
void guest_op(struct hvcpu *hv, unsigned int r);
/* Keep the window's entries up in a guest write of @size bytes at @gpa. */
void sanitize_write(u64 gpa, int size, u64 *val);

/* ---- check.c: the checks ---------------------------------------------- */

/* Totals, for the last line. */
extern u64 n_access, n_fault, n_mmio, n_emulated, n_ptewrite, n_flushes,
	   n_invlpgs;

/* Compare the pages written since the last time, or all of them. */
void check_memory(bool all);
/* The shim's errors, locks and references, and the strategy's counters. */
void check_shim(void);
/* strategies[].check */
void naive_check(char *why, size_t len);
void cached_check(char *why, size_t len);
extern u64 cached_unsynced, cached_resynced, cached_prefetched,
	cached_large_created;
void tdp_check(char *why, size_t len);
/*
 * check_shim() at the end of an operation (or of the setup): the checks
 * too slow for every access (tdp_check()'s audit) run then.
 */
extern bool check_op_end;
/* tdp.c's large_created, as tdp_check() last saw it. */
extern u64 tdp_large_created;

/* Bring @hv's graph up to date with its tables and paging controls. */
void graph_sync(struct hvcpu *hv);
/* A whole flush of @hv's TLB, as the guest does it. */
void full_flush(struct hvcpu *hv, const char *why);
const char *kind_name(int kind);
/* Do @a on @hv, check it against the model and do the TLB maintenance. */
void do_access(struct hvcpu *hv, struct access *a);

/* Destroy the VM and check that the strategy released everything. */
void teardown(void);

#endif /* MMUCHECK_DRIVER_H */
