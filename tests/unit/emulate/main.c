// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kvm/emulate.c, in userspace.
 *
 *   test_emulate [CASES]    CASES: native cases per template (default 200)
 *
 * Prints one line per check group, "PASS: emulate: ..." or "FAIL: emulate:
 * ...", and exits 1 if any group failed.  Everything is seeded: two runs
 * test the same cases.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int main(int argc, char **argv)
{
	unsigned long per_template = 200;

	if (argc > 1)
		per_template = strtoul(argv[1], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	table_tests();
	callback_tests();
	string_tests();
	arith_tests(per_template);
	sse_tests();
	mmx_tests();
	sreg_tests();
	native_tests(per_template);
	return total_failed_groups ? 1 : 0;
}
