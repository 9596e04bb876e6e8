// SPDX-License-Identifier: GPL-2.0
/*
 * cr3-switch: many address spaces, switched round-robin, the workload
 * that tells the MMU strategies apart.  Each of SPACES address spaces
 * maps the first IDENT_SIZE of RAM VA == PA (code, stack, tables) and a
 * private window of WIN_PAGES pages at VWIN, backed by its own physical
 * pages.  ROUNDS times over, the guest loads each space's CR3 and reads
 * and writes every page of its window.
 *
 * The guest checks what it reads (each space sees its own pages: the
 * word a page holds names the space and the page, and counts the rounds)
 * and reports:
 *   cr3-switch.switches   CR3 loads (SPACES * ROUNDS)
 *   cr3-switch.touches    window pages touched
 *   cr3-switch.errors     words that were not what they should be (0)
 *
 * Under mmu=naive every CR3 load drops the whole shadow, so each round
 * faults on every window page again; under mmu=cached the shadows of
 * all spaces stay, and after the first round nothing faults.
 * tests/lab/guests.sh compares the two strategies' fault counters.
 * Needs --mem 64.
 */
#include "guest.h"

#define MiB		(1UL << 20)
#define SPACES		16
#define ROUNDS		40
#define WIN_PAGES	64
#define IDENT_SIZE	(16 * MiB)
#define DATA_PHYS	(32 * MiB)	/* SPACES * WIN_PAGES pages from here */
#define VWIN		0x40000000UL

#if PT_FORMAT == PT_32
#define NAME		"prot32"
#elif PT_FORMAT == PT_PAE
#define NAME		"pae"
#else
#define NAME		"long"
#endif

static struct pt spaces[SPACES];

static volatile uint32_t *page_word(unsigned int space, unsigned int page)
{
	(void)space;
	return (volatile uint32_t *)(VWIN + page * 4096UL);
}

/* What page @page of space @space holds after @round rounds. */
static uint32_t expected(unsigned int space, unsigned int page,
			 unsigned int round)
{
	return (space << 24) | (page << 12) | round;
}

int guest_main(unsigned cpu)
{
	unsigned int s, p, round, errors = 0, switches = 0, touches = 0;

	(void)cpu;
	report_str("cr3-switch.variant", NAME);
	if (mem_mib < 64) {
		printf("cr3-switch: needs --mem 64 or more\n");
		return EXIT_FAIL;
	}

	/* The data, through the identity map (or with paging off). */
	for (s = 0; s < SPACES; s++)
		for (p = 0; p < WIN_PAGES; p++)
			*(volatile uint32_t *)(DATA_PHYS +
					       (s * WIN_PAGES + p) * 4096UL) =
				expected(s, p, 0);

	page_alloc_limit = DATA_PHYS;
	for (s = 0; s < SPACES; s++) {
		pt_init(&spaces[s], PT_FORMAT);
		if (pt_map(&spaces[s], 0, 0, IDENT_SIZE, 12, PTE_RW) ||
		    pt_map(&spaces[s], VWIN, DATA_PHYS + s * WIN_PAGES * 4096UL,
			   WIN_PAGES * 4096UL, 12, PTE_RW))
			return EXIT_FAIL;
	}

#if PT_FORMAT == PT_32
	write_cr3(spaces[0].root);
	write_cr0(read_cr0() | X86_CR0_PG | X86_CR0_WP);
#endif

	for (round = 0; round < ROUNDS; round++) {
		for (s = 0; s < SPACES; s++) {
			write_cr3(spaces[s].root);
			switches++;
			for (p = 0; p < WIN_PAGES; p++) {
				volatile uint32_t *w = page_word(s, p);

				if (*w != expected(s, p, round) && errors++ < 5)
					printf("space %u page %u round %u: 0x%x\n",
					       s, p, round, *w);
				*w = expected(s, p, round + 1);
				touches++;
			}
		}
	}

	report("cr3-switch.switches", switches);
	report("cr3-switch.touches", touches);
	report("cr3-switch.errors", errors);
	check_eq("errors", errors, 0);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
