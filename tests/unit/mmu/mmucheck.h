/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMU reference checker (see README.md): the shadow-paging strategies'
 * real sources run in userspace on simulated guest memory (shim.c), under
 * a simulated MMU (hw.c), and every access they serve is compared with an
 * independent model of x86 paging (model.c); main.c, guest.c and check.c
 * (driver.h) drive random sequences of guest operations and check them.
 */
#ifndef MMUCHECK_H
#define MMUCHECK_H

#include <asm/page.h>
#include <linux/mm_types.h>

#include "kvm_host.h"
#include "mmu/mmu.h"

/*
 * The host's MAXPHYADDR, as boot_cpu_data.x86_phys_bits says (shim.c):
 * the guest walker takes it as the guest's, the model uses it, and the
 * simulated hardware uses it for the shadow entries, which hold userspace
 * pointers (47 bits).
 */
#define MAXPHYADDR		48

/* Guest paging modes; the value is the number of levels. */
enum {
	PM_OFF = 0,		/* CR0.PG = 0: linear = physical, 32 bits */
	PM_32 = 2,		/* 32-bit paging */
	PM_PAE = 3,		/* PAE paging */
	PM_4L = 4,		/* 4-level paging (long mode) */
};

static inline u64 bits(int lo, int hi)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* ---- guest memory (shim.c) ---------------------------------------- */

/*
 * Guest-physical layout.  Everything else is a hole (MMIO), including
 * 0x200000-0x27ffff between RAM0 and ROM, and RAM1G while it is removed.
 */
enum { RG_RAM0, RG_ROM, RG_RAM1G, RG_RAM4G, RG_NR };

struct region {
	const char *name;
	u64 gpa;
	u64 npages;
	bool rom;		/* KVM_MEM_READONLY */
	int slot;
	bool present;		/* registered as a slot right now */
	int first_gpi;		/* global page index of the first page */
	u8 *host;		/* the VMM's memory: what the strategies see */
	u8 *expect;		/* the model's copy */
	struct page *pages;	/* struct page of each host page */
	bool thp;		/* backed by transparent huge pages (2 MiB folios) */
};

extern struct region regions[RG_NR];

/* Pages of guest memory over every region (for bitmaps). */
#define NR_GPAGES		(512 + 32 + 64 + 512)

void gmem_init(struct kvm *kvm);
void gmem_fini(void);
/* The region holding @gpa if it is present (a slot), else NULL: a hole. */
struct region *gpa_region(u64 gpa);
/* Global page index of @gpa in any region, present or not, or -1. */
int gpa_gpi(u64 gpa);
u64 gpi_gpa(int gpi);
/* Host / expected bytes at @gpa (present regions only), or NULL. */
u8 *gpa_host(u64 gpa);
u8 *gpa_expect(u64 gpa);
/* The gpa of host address @p in guest memory (any region), or false. */
bool host_gpa(const void *p, u64 *gpa);

/* Guest page-table entry bits (SDM vol. 3, 4.5): guest.c, model.c, hw_tdp.c. */
#define E_P		BIT_ULL(0)
#define E_W		BIT_ULL(1)
#define E_U		BIT_ULL(2)
#define E_PWT		BIT_ULL(3)
#define E_PCD		BIT_ULL(4)
#define E_A		BIT_ULL(5)
#define E_D		BIT_ULL(6)
#define E_PS		BIT_ULL(7)
#define E_G		BIT_ULL(8)
#define E_XD		BIT_ULL(63)
/*
 * Back a region by transparent huge pages, before anything is pinned: the
 * VMM's page tables map it with 2 MiB PMDs (linux/pgtable.h), its pages
 * are 2 MiB folios, pinned and dirtied as a whole (on the head page).
 */
#define SHIM_THP_SIZE		(2UL << 20)
void gmem_set_thp(int rg);
/* The head page of @page's folio (itself if it is a folio alone). */
struct page *shim_folio_head(struct page *page);
/* Remove or re-add a region's slot, as KVM_SET_USER_MEMORY_REGION. */
void gmem_set_present(struct kvm *kvm, int rg, bool present);
/*
 * Dirty logging: turn KVM_MEM_LOG_DIRTY_PAGES on or off for a region's
 * slot, as KVM_SET_USER_MEMORY_REGION does (a new, empty log; the TLBs
 * flushed).  gmem_written[]: the pages of guest memory written since the
 * last KVM_GET_DIRTY_LOG, by the simulated CPU through a leaf or by the
 * kernel (copy_to_user(), a successful cmpxchg, the emulator's write).
 */
void gmem_set_log(struct kvm *kvm, int rg, bool on);
extern u8 gmem_written[NR_GPAGES];
void gmem_write_seen(u64 gpa);
/*
 * Pages the hardware translated for a write that then did not happen
 * (tdp: the A/D update of a walk whose access the emulator then did
 * without A/D): the strategy may have logged them.  Cleared at each get.
 */
extern u8 gmem_maylog[NR_GPAGES];
void gmem_maylog_seen(u64 gpa);

/* Pages whose host or expected bytes changed since the last compare. */
extern u8 gmem_touched[NR_GPAGES];
extern int gmem_touched_list[NR_GPAGES];
extern int gmem_ntouched;
void gmem_touch(u64 gpa);

/* ---- the shim's bookkeeping (shim.c) ------------------------------- */

struct shim_counters {
	long table_pages;	/* alloc_page()d and not freed */
	long table_pages_dma32;
	long pins;		/* pins held, over every guest page */
	long refs;		/* get_user_pages() references held */
	long kmallocs;		/* kmalloc()ed and not freed */
	long warns;		/* WARN_ON*() that fired */
	long errs;		/* pr_err*() messages (e.g. cached_audit's) */
	long resched_run;	/* cond_resched() since the last operation */
};

extern struct shim_counters shim_cnt;
extern bool shim_verbose;
extern int shim_locks_held;

/* The first error the shim caught since shim_reset_error(), or NULL. */
const char *shim_error(void);
void shim_reset_error(void);
/* The live table page (alloc_page) containing @p, or NULL. */
struct page *shim_table_page(const void *p);
/* The struct page of the guest page containing host address @p, or NULL. */
struct page *shim_guest_page(const void *p);
/* Set a module parameter registered with module_param(); 0 or -ENOENT. */
int shim_set_param(const char *name, long long val);
/* Free the pages a strategy left allocated (after reporting the leak). */
void shim_free_leaked_tables(void);

/* ---- vCPUs --------------------------------------------------------- */

#define HW_TLB_SETS		1024

/* One TLB entry of the simulated hardware: a 4 KiB translation. */
struct hw_tlbe {
	u64 gen;		/* valid if equal to the vCPU's tlb_gen */
	u64 vpn;		/* linear address >> 12 */
	u8 *page;		/* host page */
	bool w, u, nx;		/* effective rights over the shadow levels */
	bool dirty;		/* the shadow leaf's D was set */
	/* hw_tdp.c: w, u, nx and dirty are the guest's; the nested ones: */
	u64 gpa;		/* the page's gpa */
	u64 gsize;		/* the guest's page size, for INVLPG */
	bool nw, nnx, ndirty;
};

struct graph;

struct hvcpu {
	struct kvm_vcpu vcpu;
	int index;

	/* Guest state that struct kvm_vcpu does not hold. */
	int cpl;		/* 0 or 3; get_cpl() says 0 without CR0.PE */
	struct kvm_cpuid_entry2 cpuid[3];
	int cpuid_nent;

	/* The simulated hardware: a TLB that only flush_tlb() empties. */
	struct hw_tlbe tlb[HW_TLB_SETS];
	u64 tlb_gen;

	/* What the checker did to the strategy, for the counter checks. */
	u64 n_new_cr3, n_invlpg, n_page_fault, n_flush;
	struct kvm_mmu_stats stats_prev;

	/* The checker's guest: paging mode and address space in use. */
	int mode;
	int as;
	u64 recent[16];		/* pages it accessed lately, to come back to */
	unsigned int nrecent;
	/* Entries those accesses went through, to change them next. */
	struct {
		u64 gpa;
		int level;
		int mode;
	} recent_ent[16];
	unsigned int nrecent_ent;
	struct graph *graph;	/* the model's view of the current tables */
};

static inline struct hvcpu *to_hv(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct hvcpu, vcpu);
}

extern struct hvcpu *hvcpus[KVM_MAX_VCPUS];
extern int nr_hvcpus;
extern struct kvm *the_kvm;
extern const struct kvm_mmu_ops *ops;

int hv_cpl(const struct hvcpu *hv);
int hv_mode(const struct hvcpu *hv);

/* The run's seeded PRNG (main.c). */
u64 rnd(void);

/* ---- the simulated hardware and emulator (hw.c) ------------------- */

enum { ACC_R, ACC_W, ACC_X };

/* One guest access. */
struct access {
	u64 gva;
	int kind;		/* ACC_* */
	bool user;		/* U/S of the access: CPL 3 and not implicit */
	bool implicit;		/* a supervisor access the CPU makes itself */
	int size;		/* 1, 2, 4 or 8, naturally aligned */
	u64 wval;		/* ACC_W: the bytes written */
};

enum {
	OUT_OK,			/* reached host memory at hva */
	OUT_PF,			/* the guest got #PF with ec */
	OUT_MMIO,		/* went to userspace as MMIO at gpa */
	OUT_ERROR,		/* a strategy error or hardware violation */
	OUT_RETRY,		/* hw.c internal: the guest re-executes */
};

struct outcome {
	int kind;
	u32 ec;
	u64 gpa;
	u8 *hva;
	bool emulated;		/* through RET_PF_EMULATE */
	u64 rval;		/* ACC_R, OUT_OK: the bytes read */
	int faults;		/* #PF intercepts on the way */
	char err[256];
};

/* Probability (1 in N, 0 never) of failing an emulated page-table write. */
extern unsigned int hw_unprotect_one_in;
extern const struct kvm_vendor_ops hw_vendor_ops;
extern bool hw_strategy_pins;

void hw_access(struct hvcpu *hv, const struct access *a, struct outcome *o);
void hw_handle_requests(struct hvcpu *hv);
void hw_new_cr3(struct hvcpu *hv);
void hw_invlpg(struct hvcpu *hv, u64 gva);
u32 hw_kvm_access(const struct access *a);
void hw_reach_host(const struct access *a, u8 *hva, bool rom_write_error,
		   struct outcome *o);
/* The guest's MOV CR3 (main.c's set_cr3()). */
void hw_mov_cr3(struct hvcpu *hv);

/*
 * hw_tdp.c: the two-dimensional hardware of mmu=tdp (nested paging), in
 * use when hw_tdp is set (main.c, for --strategy tdp).  hw_access(),
 * hw_invlpg() and hw_mov_cr3() go there then.
 */
extern bool hw_tdp;
/* Nested page faults so far: on a guest table read, an A/D update, the access. */
enum { HW_TDP_NPF_TABLE, HW_TDP_NPF_AD, HW_TDP_NPF_FINAL, HW_TDP_NPF_NR };
extern u64 hw_tdp_npfs[HW_TDP_NPF_NR];
void hw_tdp_access(struct hvcpu *hv, const struct access *a, struct outcome *o);
void hw_tdp_invlpg(struct hvcpu *hv, u64 gva);
void hw_tdp_mov_cr3(struct hvcpu *hv);
/*
 * The nested table between operations (*@why empty if it is sound), and
 * its present leaves (of which large) and table pages.
 */
void hw_tdp_audit(char *why, size_t len, u64 *leaves, u64 *tables,
		  u64 *large);
/*
 * The last pin of @page's folio went (shim.c; @page is the head): no
 * vCPU's TLB may still reach it,
 * unless a flush is pending for that vCPU (kvm_flush_remote_tlbs() has
 * returned: the vCPU runs with no older translation).
 */
void hw_tdp_unpinned(struct page *page);

/* ---- the model (model.c) ------------------------------------------ */

/* What translation depends on, from the vCPU. */
struct mctx {
	int mode;		/* PM_* */
	u64 cr3;
	bool wp, pse, pge, smep, smap, nxe, ac, gbpages;
	int cpl;
};

void mctx_of(struct mctx *c, const struct hvcpu *hv);

enum { MR_FAULT, MR_OK };

struct mres {
	int kind;		/* MR_* */
	u32 ec;			/* MR_FAULT */
	u64 gpa;		/* MR_OK */
	int leaf_level;		/* MR_OK: level of the leaf, 0 paging off */
	/* MR_OK: the entries used, top-down, for the A/D bits. */
	int nused;
	struct {
		u64 gpa;
		int size;
		bool has_a;
	} used[5];
};

void model_translate(const struct mctx *c, u64 gva, const struct access *a,
		     struct mres *r);
/* The walk of @gva, entry by entry, for messages. */
void model_explain(const struct mctx *c, u64 gva, char *buf, size_t len);
/* Set A (and D for @write) as a successful access does, in expect[]. */
void model_set_ad(const struct mres *r, bool write);
/* A random linear address reaching some entry of the tables, or false. */
bool model_sample(const struct mctx *c, u64 (*rnd)(void), u64 *va,
		  u64 *size);
u64 model_canonical(const struct mctx *c, u64 va);

/*
 * The model's view of one vCPU's current address space: every table it
 * can reach, at which level, and through which entries.
 */
struct use {
	u64 va;			/* linear address of the translation */
	u64 size;		/* its page size */
	bool global;		/* G set in the leaf */
};

void graph_invalidate(struct graph *g);
struct graph *graph_new(void);
void graph_free(struct graph *g);
/* Build @g for @c unless it is valid already. */
void graph_update(struct graph *g, const struct mctx *c);
/* Whether the page of @gpa holds a table of the address space. */
bool graph_reaches(const struct graph *g, u64 gpa);
/*
 * The translations a guest write of @len bytes @newbytes at @gpa makes
 * stale: fills @uses (up to @max) and returns their number, or -1 if a
 * whole flush is needed (a non-leaf or PDPT entry changed, or too many).
 */
int graph_stale(const struct graph *g, u64 gpa, int len, const u8 *newbytes,
		struct use *uses, int max);
/* A table of the address space: its base, level and entry count. */
bool graph_pick_table(const struct graph *g, u64 (*rnd)(void), u64 *base,
		      int *level, int *nent);

/* Entry size and geometry of a mode. */
int mode_esize(int mode);
int mode_top(int mode);
int mode_shift(int mode, int level);
int mode_nent(int mode, int level);
const char *mode_name(int mode);

#endif /* MMUCHECK_H */
