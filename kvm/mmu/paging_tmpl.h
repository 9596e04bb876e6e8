/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest page-table walk, compiled once per entry width: walk.c
 * includes this file with PTTYPE 32 and with PTTYPE 64, after defining
 * the helpers it uses (rsvd_bits, walk_fault, walk_permission_fault,
 * guest_has_gbpages).  No include guard on purpose.
 *
 *   PTTYPE 32   32-bit paging: 2 levels of 1024 4-byte entries; with
 *               CR4.PSE a PDE with PS maps a 4 MiB page, whose address
 *               bits 39:32 (PSE-36) sit in PDE bits 20:13.
 *   PTTYPE 64   PAE paging: 4 PDPTEs at CR3 & ~0x1f, then 2 levels of 512
 *               8-byte entries, 2 MiB pages;
 *               4-level paging: 4 levels of 512 entries, 2 MiB and 1 GiB
 *               pages.
 *
 * Only reads happen here: the A/D bits of a successful walk are set
 * afterwards by guest_walk_set_ad(), once the caller knows it will use
 * the translation, so a faulting walk sets nothing.
 */

#if PTTYPE == 64
#define pt_element_t		u64
#define FNAME(name)		paging64_##name
#define PT_LEVEL_BITS		9
#define PT_BASE_ADDR_MASK	GENMASK_ULL(51, 12)
#elif PTTYPE == 32
#define pt_element_t		u32
#define FNAME(name)		paging32_##name
#define PT_LEVEL_BITS		10
#define PT_BASE_ADDR_MASK	GENMASK_ULL(31, 12)
#else
#error "PTTYPE must be 32 or 64"
#endif

static unsigned int FNAME(index)(gva_t gva, int level)
{
	return (gva >> (PAGE_SHIFT + PT_LEVEL_BITS * (level - 1))) &
	       ((1u << PT_LEVEL_BITS) - 1);
}

/*
 * Whether a present entry at @level maps a page instead of a table.  PS
 * in a PML4E, or in a PDPTE without 1 GiB pages, is a reserved bit; it
 * counts as "large" here so that the reserved-bit check catches it.
 */
static bool FNAME(is_large)(const struct guest_paging *pg, pt_element_t pte,
			    int level)
{
	if (level == 1 || !(pte & PT_PAGE_SIZE_MASK))
		return false;
#if PTTYPE == 32
	/* Without CR4.PSE, PS in a PDE is ignored. */
	return pg->pse;
#else
	return true;
#endif
}

/* Bits that must be 0 in a present entry at @level (PAE PDPTEs aside). */
static u64 FNAME(rsvd_mask)(const struct guest_paging *pg, int level,
			    bool large)
{
#if PTTYPE == 64
	/*
	 * Above MAXPHYADDR: up to bit 51 in 4-level paging (52-62 are
	 * ignored), up to bit 62 in PAE paging.  NX is reserved unless
	 * EFER.NXE.
	 */
	u64 mask = rsvd_bits(pg->maxphyaddr, pg->levels == 4 ? 51 : 62);

	if (!pg->nxe)
		mask |= PT64_NX_MASK;

	switch (level) {
	case 4:
		return mask | PT_PAGE_SIZE_MASK;
	case 3:
		if (!large)
			return mask;
		if (!guest_has_gbpages(pg))
			return mask | PT_PAGE_SIZE_MASK;
		return mask | rsvd_bits(13, 29);
	case 2:
		return large ? mask | rsvd_bits(13, 20) : mask;
	default:
		return mask;
	}
#else
	/*
	 * A 4 MiB PDE holds address bits (M-1):32 in bits (M-20):13, with M
	 * = min(MAXPHYADDR, 40); bit 21 and the bits above (M-20) are
	 * reserved.  4 KiB entries and PDEs have no reserved bits.
	 */
	int m = min_t(int, pg->maxphyaddr, 40);

	if (!large)
		return 0;
	return BIT_ULL(21) | rsvd_bits(m - 19, 20);
#endif
}

/* The guest-physical address @gva reaches through leaf @pte at @level. */
static gpa_t FNAME(leaf_gpa)(pt_element_t pte, int level, gva_t gva)
{
	u64 offset_mask = BIT_ULL(PAGE_SHIFT + PT_LEVEL_BITS * (level - 1)) - 1;

#if PTTYPE == 32
	if (level == 2)
		return ((u64)pte & GENMASK_ULL(31, 22)) |
		       (((u64)pte & GENMASK_ULL(20, 13)) << 19) |
		       (gva & offset_mask);
#endif
	/* The mask drops the PAT bit (12) of a large leaf too. */
	return ((u64)pte & PT_BASE_ADDR_MASK & ~offset_mask) |
	       (gva & offset_mask);
}

/*
 * Read the entry at @gpa into @pte and record it for the A/D update.  A
 * table outside guest memory makes the access fault as not present (the
 * guest pointed its paging structures at nothing).
 */
static int FNAME(read_pte)(const struct guest_paging *pg,
			   struct guest_walk *walk, u32 access, gpa_t gpa,
			   pt_element_t *pte, bool has_a)
{
	unsigned long hva = kvm_gfn_to_hva(pg->vcpu->kvm, gpa >> PAGE_SHIFT,
					   false);

	if (hva == KVM_HVA_ERR)
		return walk_fault(pg, walk, access, 0);
	if (get_user(*pte, (pt_element_t __user *)(hva + offset_in_page(gpa))))
		return -EFAULT;

	walk->ptes[walk->nr_ptes].gpa = gpa;
	walk->ptes[walk->nr_ptes].val = *pte;
	walk->ptes[walk->nr_ptes].has_a = has_a;
	walk->nr_ptes++;
	return 0;
}

static int FNAME(walk)(const struct guest_paging *pg, gva_t gva, u32 access,
		       struct guest_walk *walk)
{
	u32 perm = PERM_ALL;
	int level = pg->levels;
	bool large = false;
	pt_element_t pte;
	gpa_t table;
	int r;

	walk->nr_ptes = 0;
	walk->pte_size = sizeof(pt_element_t);

#if PTTYPE == 64
	if (level == 3) {
		/*
		 * PAE: one of the 4 PDPTEs at CR3 bits 31:5.  The hardware
		 * loads them when CR3 is written; reading them at walk time
		 * instead differs only for a guest that rewrites a PDPTE
		 * without reloading CR3.  They carry no rights and no A bit;
		 * everything but P, PWT, PCD, the address and the ignored
		 * bits 11:9 is reserved.
		 */
		gpa_t gpa = (pg->cr3 & GENMASK_ULL(31, 5)) + 8 * ((gva >> 30) & 3);

		r = FNAME(read_pte)(pg, walk, access, gpa, &pte, false);
		if (r)
			return r;
		if (!(pte & PT_PRESENT_MASK))
			return walk_fault(pg, walk, access, 0);
		if (guest_pdpte_reserved(pg, pte))
			return walk_fault(pg, walk, access,
					  PFERR_PRESENT_MASK | PFERR_RSVD_MASK);
		table = pte & PT_BASE_ADDR_MASK;
		level = 2;
	} else {
		table = pg->cr3 & PT_BASE_ADDR_MASK &
			~rsvd_bits(pg->maxphyaddr, 63);
	}
#else
	table = pg->cr3 & PT_BASE_ADDR_MASK;
#endif

	for (;;) {
		gpa_t pte_gpa = table + FNAME(index)(gva, level) * sizeof(pte);

		r = FNAME(read_pte)(pg, walk, access, pte_gpa, &pte, true);
		if (r)
			return r;
		if (!(pte & PT_PRESENT_MASK))
			return walk_fault(pg, walk, access, 0);

		large = FNAME(is_large)(pg, pte, level);
		if (pte & FNAME(rsvd_mask)(pg, level, large))
			return walk_fault(pg, walk, access,
					  PFERR_PRESENT_MASK | PFERR_RSVD_MASK);

		if (!(pte & PT_WRITABLE_MASK))
			perm &= ~PERM_WRITE;
		if (!(pte & PT_USER_MASK))
			perm &= ~PERM_USER;
#if PTTYPE == 64
		/* Set only with EFER.NXE: the reserved-bit check saw to it. */
		if (pte & PT64_NX_MASK)
			perm &= ~PERM_EXEC;
#endif
		if (level == 1 || large)
			break;
		table = pte & PT_BASE_ADDR_MASK;
		level--;
	}

	if (walk_permission_fault(pg, perm, access))
		return walk_fault(pg, walk, access, PFERR_PRESENT_MASK);

	walk->gpa = FNAME(leaf_gpa)(pte, level, gva);
	walk->perm = perm;
	walk->leaf_level = level;
	walk->pse_4m = PTTYPE == 32 && level == 2;
	walk->dirty = pte & PT_DIRTY_MASK;
	return WALK_OK;
}

#undef pt_element_t
#undef FNAME
#undef PT_LEVEL_BITS
#undef PT_BASE_ADDR_MASK
