#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/core.sh: the /dev/kvm ABI suite (tests/lab/bin/abi), the
# minimal VMM (tests/lab/bin/minivmm), then every test guest
# (tests/lab/guests.sh), under the strategy the module has now;
# tests/lab/each-mmu.sh runs it under each:
#
#   lab/run --params mmu=cached -- tests/lab/each-mmu.sh naive,cached tests/lab/core.sh
#
# Their PASS/FAIL lines; exits non-zero if any suite failed.

cd "$(dirname "$0")/../.." || exit 2
tests/lab/bin/abi
abi=$?
tests/lab/bin/minivmm
minivmm=$?
tests/lab/guests.sh
guests=$?
[ $abi = 0 ] && [ $minivmm = 0 ] && [ $guests = 0 ]
