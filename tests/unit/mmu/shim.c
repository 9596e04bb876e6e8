// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel underneath the MMU strategies, in userspace: page allocation,
 * pinning of guest memory, user accesses, locks, WARN, and the few core
 * functions of kvm/ they call (slots, requests, CPUID).
 *
 * Guest memory is a handful of regions of page-aligned malloc'd memory,
 * each registered as a KVM memory slot; their addresses are the VMM's
 * "hvas" and, through the identity __pa()/__va(), also the "physical"
 * addresses of their pages.  Every call that the kernel would refuse or
 * that breaks an invariant (unpinning an unpinned page, a user access
 * outside guest memory, a lock taken twice) records an error that fails
 * the run.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/processor.h>

#include "mmucheck.h"

struct shim_counters shim_cnt;
bool shim_verbose;
int shim_locks_held;
struct task_struct shim_current_task = { .pid = 1 };
struct cpuinfo_x86 boot_cpu_data = {
	.x86_phys_bits = MAXPHYADDR,
	.x86_virt_bits = 48,
};

/* ---- errors ---------------------------------------------------------- */

static char shim_err[512];

const char *shim_error(void)
{
	return shim_err[0] ? shim_err : NULL;
}

void shim_reset_error(void)
{
	shim_err[0] = 0;
}

static void shim_verror(const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (shim_verbose)
		fprintf(stderr, "shim: %s\n", buf);
	if (!shim_err[0])
		snprintf(shim_err, sizeof(shim_err), "%s", buf);
}

void shim_bug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shim_verror(fmt, ap);
	va_end(ap);
}

static void shim_error_f(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void shim_error_f(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shim_verror(fmt, ap);
	va_end(ap);
}

void shim_warn(const char *file, int line, const char *cond)
{
	shim_cnt.warns++;
	shim_error_f("WARN at %s:%d: %s", file, line, cond);
}

void shim_die(const char *file, int line, const char *cond)
{
	fprintf(stderr, "mmucheck: BUG at %s:%d: %s\n", file, line, cond);
	exit(2);
}

void shim_printk(const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "err"))
		shim_cnt.errs++;
	if (!shim_verbose)
		return;
	fprintf(stderr, "printk %s: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : min((size_t)n, size - 1);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->count >= m->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->count = min(m->count + n, m->size);
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_printf(m, "%s", s);
}

int shim_cond_resched(void)
{
	/* A walk retried this often on one thread never ends. */
	if (++shim_cnt.resched_run > 100000)
		shim_die(__FILE__, __LINE__, "cond_resched() loop without end");
	return 0;
}

/* ---- locks ------------------------------------------------------------ */

void shim_lock_acquire(struct shim_lock *l, bool shared, const char *what)
{
	if (l->held < 0 || (l->held > 0 && !shared)) {
		shim_bug("%s: lock held already (a deadlock on a real kernel)",
			 what);
		return;
	}
	l->held = shared ? l->held + 1 : -1;
	shim_locks_held++;
}

void shim_lock_release(struct shim_lock *l, bool shared, const char *what)
{
	if (shared ? l->held <= 0 : l->held != -1) {
		shim_bug("%s: lock not held that way (held = %d)", what,
			 l->held);
		return;
	}
	l->held = shared ? l->held - 1 : 0;
	shim_locks_held--;
}

/* ---- kmalloc ----------------------------------------------------------- */

/* A header in front of each block, for krealloc() and the count. */
struct kblock {
	size_t size;
	u64 magic;
};

#define KBLOCK_MAGIC	0x6b6d616c6c6f6321ULL

void *kmalloc(size_t size, gfp_t gfp)
{
	struct kblock *b = malloc(sizeof(*b) + size);

	if (!b)
		return NULL;
	b->size = size;
	b->magic = KBLOCK_MAGIC;
	/* Not zeroed, and not zero: a strategy relying on it is caught. */
	memset(b + 1, (gfp & __GFP_ZERO) ? 0 : 0xa5, size);
	shim_cnt.kmallocs++;
	return b + 1;
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kzalloc(n * size, gfp);
}

void kfree(const void *p)
{
	struct kblock *b;

	if (!p)
		return;
	b = (struct kblock *)p - 1;
	if (b->magic != KBLOCK_MAGIC) {
		shim_bug("kfree(%p): not from kmalloc, or freed twice", p);
		return;
	}
	b->magic = 0;
	shim_cnt.kmallocs--;
	free(b);
}

void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	void *n;

	if (!p)
		return kmalloc(size, gfp);
	n = kmalloc(size, gfp);
	if (!n)
		return NULL;
	memcpy(n, p, min(size, ((struct kblock *)p - 1)->size));
	kfree(p);
	return n;
}

void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return krealloc(p, n * size, gfp);
}

/* ---- the strategies' own pages ---------------------------------------- */

#define TABLE_HASH	4096

static struct page *table_hash[TABLE_HASH];

static unsigned int table_bucket(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) % TABLE_HASH;
}

struct page *shim_table_page(const void *p)
{
	unsigned long addr = (unsigned long)p & PAGE_MASK;
	struct page *page;

	for (page = table_hash[table_bucket(addr)]; page; page = page->next)
		if (page->addr == addr)
			return page;
	return NULL;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;
	void *p;

	if (order) {
		shim_bug("alloc_pages(order %u): only order 0 here", order);
		return NULL;
	}
	if (gfp & __GFP_DMA32) {
		/* MAP_32BIT: the first 2 GiB, so below 4 GiB as asked. */
		p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	} else {
		p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
		if (!p)
			return NULL;
	}
	memset(p, (gfp & __GFP_ZERO) ? 0 : 0xa5, PAGE_SIZE);
	page = calloc(1, sizeof(*page));
	page->addr = (unsigned long)p;
	page->kind = SHIM_PAGE_TABLE;
	page->live = true;
	page->dma32 = gfp & __GFP_DMA32;
	page->next = table_hash[table_bucket(page->addr)];
	table_hash[table_bucket(page->addr)] = page;
	shim_cnt.table_pages++;
	if (page->dma32)
		shim_cnt.table_pages_dma32++;
	return page;
}

unsigned long __get_free_page(gfp_t gfp)
{
	struct page *page = alloc_pages(gfp, 0);

	return page ? page->addr : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_page(gfp | __GFP_ZERO);
}

void __free_page(struct page *page)
{
	struct page **pp;

	for (pp = &table_hash[table_bucket(page->addr)]; *pp; pp = &(*pp)->next)
		if (*pp == page)
			break;
	if (!*pp || page->kind != SHIM_PAGE_TABLE) {
		shim_bug("__free_page(%#lx): not an allocated page", page->addr);
		return;
	}
	*pp = page->next;
	shim_cnt.table_pages--;
	if (page->dma32) {
		shim_cnt.table_pages_dma32--;
		munmap((void *)page->addr, PAGE_SIZE);
	} else {
		free((void *)page->addr);
	}
	free(page);
}

void free_page(unsigned long addr)
{
	struct page *page;

	if (!addr)
		return;
	page = shim_table_page((void *)addr);
	if (!page || (addr & ~PAGE_MASK)) {
		shim_bug("free_page(%#lx): not an allocated page", addr);
		return;
	}
	__free_page(page);
}

void shim_free_leaked_tables(void)
{
	unsigned int i;

	for (i = 0; i < TABLE_HASH; i++)
		while (table_hash[i])
			__free_page(table_hash[i]);
}

/* ---- struct page ------------------------------------------------------- */

struct page *shim_guest_page(const void *p)
{
	u64 gpa;
	int i;

	if (!host_gpa(p, &gpa))
		return NULL;
	for (i = 0; i < RG_NR; i++) {
		struct region *r = &regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->npages * PAGE_SIZE)
			return &r->pages[(gpa - r->gpa) >> PAGE_SHIFT];
	}
	return NULL;
}

void *page_address(const struct page *page)
{
	return (void *)page->addr;
}

unsigned long page_to_pfn(const struct page *page)
{
	return page->addr >> PAGE_SHIFT;
}

static struct page shim_bad_page;

struct page *pfn_to_page(unsigned long pfn)
{
	void *p = (void *)(pfn << PAGE_SHIFT);
	struct page *page = shim_guest_page(p);

	if (!page)
		page = shim_table_page(p);
	if (!page) {
		shim_bug("pfn_to_page(%#lx): no such page", pfn);
		return &shim_bad_page;
	}
	return page;
}

struct page *virt_to_page(const void *addr)
{
	return pfn_to_page((unsigned long)addr >> PAGE_SHIFT);
}

int folio_ref_count(const struct folio *folio)
{
	return 1 + folio->page.refs + folio->page.pins * GUP_PIN_COUNTING_BIAS;
}

/* ---- pins -------------------------------------------------------------- */

int pin_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	int i;

	/* Guest memory is always writable by the VMM here. */
	(void)gup_flags;
	if (start & ~PAGE_MASK) {
		shim_bug("pin_user_pages_fast(%#lx): not page aligned", start);
		return -EINVAL;
	}
	for (i = 0; i < nr_pages; i++) {
		struct page *page = shim_guest_page((void *)(start + i * PAGE_SIZE));

		if (!page) {
			shim_bug("pin_user_pages_fast(%#lx): not guest memory",
				 start + i * PAGE_SIZE);
			return i ? i : -EFAULT;
		}
		shim_folio_head(page)->pins++;
		shim_cnt.pins++;
		pages[i] = page;
	}
	return nr_pages;
}

int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	int i;

	(void)gup_flags;
	for (i = 0; i < nr_pages; i++) {
		struct page *page = shim_guest_page((void *)(start + i * PAGE_SIZE));

		if (!page || ((start + i * PAGE_SIZE) & ~PAGE_MASK)) {
			shim_bug("get_user_pages_fast(%#lx): not guest memory",
				 start + i * PAGE_SIZE);
			return i ? i : -EFAULT;
		}
		get_page(page);
		pages[i] = page;
	}
	return nr_pages;
}

void get_page(struct page *page)
{
	if (page->kind != SHIM_PAGE_GUEST) {
		shim_bug("get_page(%#lx): not a guest page", page->addr);
		return;
	}
	page->refs++;
	shim_cnt.refs++;
}

void put_page(struct page *page)
{
	if (page->kind != SHIM_PAGE_GUEST || page->refs <= 0) {
		shim_bug("put_page(%#lx): no reference held", page->addr);
		return;
	}
	page->refs--;
	shim_cnt.refs--;
}

void unpin_user_page(struct page *page)
{
	if (page->kind != SHIM_PAGE_GUEST) {
		shim_bug("unpin_user_page(%#lx): not a pinned guest page",
			 page->addr);
		return;
	}
	/* The folio's pin: any of its pages may release it. */
	page = shim_folio_head(page);
	if (page->pins <= 0) {
		shim_bug("unpin_user_page(%#lx): page not pinned", page->addr);
		return;
	}
	page->pins--;
	shim_cnt.pins--;
	if (page->pins)
		return;
	/* The last pin: the VMM may now write the page back, or move it. */
	if (page->hw_dirty) {
		u64 gpa = 0;

		host_gpa((void *)page->addr, &gpa);
		page->hw_dirty = false;
		shim_bug("gpa %#llx: its last pin released clean, but the guest wrote the page through a leaf (its contents may be lost)",
			 gpa);
	}
	if (hw_tdp)
		hw_tdp_unpinned(page);
}

void unpin_user_pages(struct page **pages, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		unpin_user_page(pages[i]);
}

void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	unsigned long i;
	u64 gpa;

	for (i = 0; i < npages; i++) {
		/* Only a writable mapping can have dirtied the page. */
		if (make_dirty && host_gpa((void *)pages[i]->addr, &gpa) &&
		    gpa_gpi(gpa) >= regions[RG_ROM].first_gpi &&
		    gpa_gpi(gpa) < regions[RG_ROM].first_gpi +
				   (int)regions[RG_ROM].npages)
			shim_bug("unpin of ROM page gpa %#llx as dirty: it was mapped writable",
				 gpa);
		if (make_dirty)
			shim_folio_head(pages[i])->hw_dirty = false;
		unpin_user_page(pages[i]);
	}
}

/* ---- user memory = guest memory ----------------------------------------- */

bool shim_user_ok(const void *p, size_t size)
{
	u64 gpa;

	if (!host_gpa(p, &gpa) || !host_gpa((const u8 *)p + size - 1, &gpa)) {
		shim_bug("user access to %p (%zu bytes) outside guest memory",
			 p, size);
		return false;
	}
	return true;
}

void shim_user_written(const void *p, size_t size)
{
	u64 gpa;

	if (host_gpa(p, &gpa)) {
		gmem_touch(gpa);
		gmem_write_seen(gpa);
	}
	if (host_gpa((const u8 *)p + size - 1, &gpa)) {
		gmem_touch(gpa);
		gmem_write_seen(gpa);
	}
}

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n)
{
	if (!n)
		return 0;
	if (!shim_user_ok(from, n))
		return n;
	memcpy(to, from, n);
	return 0;
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	if (!n)
		return 0;
	if (!shim_user_ok(to, n))
		return n;
	memcpy(to, from, n);
	shim_user_written(to, n);
	return 0;
}

/* ---- guest memory ---------------------------------------------------------- */

struct region regions[RG_NR] = {
	[RG_RAM0]  = { "ram0",  0x0,         512, false, 0 },
	[RG_ROM]   = { "rom",   0x280000,     32, true,  1 },
	[RG_RAM1G] = { "ram1g", 0x40000000,   64, false, 2 },
	[RG_RAM4G] = { "ram4g", 0x100000000, 512, false, 3 },
};

u8 gmem_touched[NR_GPAGES];
int gmem_touched_list[NR_GPAGES];
int gmem_ntouched;

static void gmem_set_slot(struct kvm *kvm, struct region *r)
{
	struct kvm_memory_slot *s = &kvm->slots[r->slot];

	s->id = r->slot;
	s->flags = r->rom ? KVM_MEM_READONLY : 0;
	s->base_gfn = r->gpa >> PAGE_SHIFT;
	s->npages = r->present ? r->npages : 0;
	s->userspace_addr = (unsigned long)r->host;
}

void gmem_init(struct kvm *kvm)
{
	int i, gpi = 0;
	u64 j;

	for (i = 0; i < RG_NR; i++) {
		struct region *r = &regions[i];
		size_t size = r->npages * PAGE_SIZE;

		/* 2 MiB-aligned, as transparent huge pages need (gmem_set_thp()). */
		r->host = aligned_alloc(SHIM_THP_SIZE,
					(size + SHIM_THP_SIZE - 1) & ~(SHIM_THP_SIZE - 1));
		r->expect = aligned_alloc(PAGE_SIZE, size);
		r->pages = calloc(r->npages, sizeof(*r->pages));
		if (!r->host || !r->expect || !r->pages) {
			fprintf(stderr, "mmucheck: out of memory\n");
			exit(2);
		}
		memset(r->host, 0, size);
		memset(r->expect, 0, size);
		for (j = 0; j < r->npages; j++) {
			r->pages[j].addr = (unsigned long)r->host + j * PAGE_SIZE;
			r->pages[j].kind = SHIM_PAGE_GUEST;
		}
		r->first_gpi = gpi;
		gpi += r->npages;
		r->present = true;
		gmem_set_slot(kvm, r);
	}
	BUILD_BUG_ON(NR_GPAGES != 512 + 32 + 64 + 512);
}

struct page *shim_folio_head(struct page *page)
{
	return page->head ? page->head : page;
}

void gmem_set_thp(int rg)
{
	struct region *r = &regions[rg];
	u64 n = SHIM_THP_SIZE / PAGE_SIZE, j;

	BUG_ON(r->npages % n || ((unsigned long)r->host & (SHIM_THP_SIZE - 1)));
	r->thp = true;
	for (j = 0; j < r->npages; j++)
		r->pages[j].head = &r->pages[j & ~(n - 1)];
	for (j = 0; j < r->npages; j += n)
		r->pages[j].folio_nr = n;
}

/*
 * The VMM's page tables (linux/pgtable.h), for tdp_host_level(): every
 * level present over guest memory, a PMD large over a region backed by
 * transparent huge pages.  One thread: static copies do.
 */
static struct region *shim_hva_region(unsigned long addr)
{
	int i;

	for (i = 0; i < RG_NR; i++)
		if (regions[i].host && addr >= (unsigned long)regions[i].host &&
		    addr - (unsigned long)regions[i].host <
		    regions[i].npages * PAGE_SIZE)
			return &regions[i];
	return NULL;
}

pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	static pgd_t pgd;

	(void)mm;
	pgd.pgd = shim_hva_region(addr) ? SHIM_PT_PRESENT : 0;
	return &pgd;
}

p4d_t *p4d_offset(pgd_t *pgd, unsigned long addr)
{
	static p4d_t p4d;

	p4d.p4d = pgd_present(*pgd) && shim_hva_region(addr) ?
		  SHIM_PT_PRESENT : 0;
	return &p4d;
}

pud_t *pud_offset(p4d_t *p4d, unsigned long addr)
{
	static pud_t pud;

	pud.pud = p4d_present(*p4d) && shim_hva_region(addr) ?
		  SHIM_PT_PRESENT : 0;
	return &pud;
}

pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	static pmd_t pmd;
	struct region *r = shim_hva_region(addr);

	pmd.pmd = 0;
	if (pud_present(*pud) && r)
		pmd.pmd = SHIM_PT_PRESENT | (r->thp ? SHIM_PT_LARGE : 0);
	return &pmd;
}

bool shim_boot_cpu_has(int feature)
{
	return feature == X86_FEATURE_GBPAGES;
}

/*
 * What the SVM backend's hardware_setup() sets for tdp.c on this CPU
 * (kvm/mmu/mmu.c, which the checker does not build): AMD's nested format,
 * leaves up to 1 GiB as the host has them, A and D set by the hardware
 * (hw_tdp.c; --no-tdp-ad: as EPT without A/D, the dirty log by faults).
 */
bool kvm_tdp_ept;
int kvm_tdp_max_level = 3;
bool kvm_tdp_ad = true;

void gmem_fini(void)
{
	int i;

	for (i = 0; i < RG_NR; i++) {
		free(regions[i].host);
		free(regions[i].expect);
		free(regions[i].pages);
		regions[i].host = regions[i].expect = NULL;
		regions[i].pages = NULL;
		regions[i].thp = false;
	}
}

/*
 * Like kvm_vm_set_memory_region(): tell the strategy about the old slot
 * under slots_lock for write, then make every vCPU reload its MMU.  The
 * memory itself stays (the VMM keeps its mapping).
 */
void gmem_set_present(struct kvm *kvm, int rg, bool present)
{
	struct region *r = &regions[rg];
	struct kvm_memory_slot *s = &kvm->slots[r->slot];

	down_write(&kvm->slots_lock);
	if (s->npages && kvm->mmu_ops->slot_changed)
		kvm->mmu_ops->slot_changed(kvm, s);
	r->present = present;
	gmem_set_slot(kvm, r);
	up_write(&kvm->slots_lock);
	kvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);
}

u8 gmem_written[NR_GPAGES];
u8 gmem_maylog[NR_GPAGES];

void gmem_write_seen(u64 gpa)
{
	int gpi = gpa_gpi(gpa);

	if (gpi >= 0)
		gmem_written[gpi] = 1;
}

void gmem_maylog_seen(u64 gpa)
{
	int gpi = gpa_gpi(gpa);

	if (gpi >= 0)
		gmem_maylog[gpi] = 1;
}

/* Like kvm_vm_set_memory_region() with dirty_log.c, flags only. */
void gmem_set_log(struct kvm *kvm, int rg, bool on)
{
	struct region *r = &regions[rg];
	struct kvm_memory_slot *s = &kvm->slots[r->slot];
	unsigned long *old = s->dirty_bitmap, *log = NULL;

	if (on)
		log = kcalloc((r->npages + 63) / 64, sizeof(long), GFP_KERNEL);
	down_write(&kvm->slots_lock);
	if (s->npages && kvm->mmu_ops->slot_changed)
		kvm->mmu_ops->slot_changed(kvm, s);
	s->dirty_bitmap = log;
	up_write(&kvm->slots_lock);
	kfree(old);
	kvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);
	if (log)
		kvm_flush_remote_tlbs(kvm);
}

static struct region *gpa_region_any(u64 gpa)
{
	int i;

	for (i = 0; i < RG_NR; i++)
		if (gpa >= regions[i].gpa &&
		    gpa - regions[i].gpa < regions[i].npages * PAGE_SIZE)
			return &regions[i];
	return NULL;
}

struct region *gpa_region(u64 gpa)
{
	struct region *r = gpa_region_any(gpa);

	return r && r->present ? r : NULL;
}

int gpa_gpi(u64 gpa)
{
	struct region *r = gpa_region_any(gpa);

	if (!r)
		return -1;
	return r->first_gpi + ((gpa - r->gpa) >> PAGE_SHIFT);
}

u64 gpi_gpa(int gpi)
{
	int i;

	for (i = RG_NR - 1; i >= 0; i--)
		if (gpi >= regions[i].first_gpi)
			return regions[i].gpa +
			       ((u64)(gpi - regions[i].first_gpi) << PAGE_SHIFT);
	return ~0ULL;
}

u8 *gpa_host(u64 gpa)
{
	struct region *r = gpa_region(gpa);

	return r ? r->host + (gpa - r->gpa) : NULL;
}

u8 *gpa_expect(u64 gpa)
{
	struct region *r = gpa_region(gpa);

	return r ? r->expect + (gpa - r->gpa) : NULL;
}

bool host_gpa(const void *p, u64 *gpa)
{
	const u8 *q = p;
	int i;

	for (i = 0; i < RG_NR; i++) {
		struct region *r = &regions[i];

		if (r->host && q >= r->host &&
		    (u64)(q - r->host) < r->npages * PAGE_SIZE) {
			*gpa = r->gpa + (q - r->host);
			return true;
		}
	}
	return false;
}

void gmem_touch(u64 gpa)
{
	int gpi = gpa_gpi(gpa);

	if (gpi >= 0 && !gmem_touched[gpi]) {
		gmem_touched[gpi] = 1;
		gmem_touched_list[gmem_ntouched++] = gpi;
	}
}

/* ---- kvm/ core functions ------------------------------------------------ */

void kvm_make_all_vcpus_request(struct kvm *kvm, int req)
{
	int i;

	for (i = 0; i < kvm->nr_vcpus; i++)
		set_bit(req, &kvm->vcpus[i]->requests);
}

void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	/* As vcpu.c's: no vCPU is left to flush. */
	if (kvm->dying)
		return;
	kvm_make_all_vcpus_request(kvm, KVM_REQ_TLB_FLUSH);
}

const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu,
						     u32 function, u32 index)
{
	struct hvcpu *hv = to_hv(vcpu);
	int i;

	for (i = 0; i < hv->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &hv->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/* ---- module parameters --------------------------------------------------- */

static struct {
	const char *name;
	void *var;
	size_t size;
} params[16];
static int nr_params;

void shim_register_param(const char *name, void *var, size_t size)
{
	if (nr_params < (int)ARRAY_SIZE(params)) {
		params[nr_params].name = name;
		params[nr_params].var = var;
		params[nr_params].size = size;
		nr_params++;
	}
}

int shim_set_param(const char *name, long long val)
{
	int i;

	for (i = 0; i < nr_params; i++) {
		if (strcmp(params[i].name, name))
			continue;
		switch (params[i].size) {
		case 1: *(u8 *)params[i].var = val; break;
		case 2: *(u16 *)params[i].var = val; break;
		case 4: *(u32 *)params[i].var = val; break;
		default: *(u64 *)params[i].var = val; break;
		}
		return 0;
	}
	return -ENOENT;
}
