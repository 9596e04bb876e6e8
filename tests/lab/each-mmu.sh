#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/each-mmu.sh STRATEGY[,STRATEGY...] CMD [ARG...]: run a lab
# test script once under each MMU strategy, in one boot:
#
#   lab/run --machine vmx --params mmu=cached --pack bench/vmm/vmm -- \
#       tests/lab/each-mmu.sh naive,cached tests/lab/guests.sh
#
# Before each run it writes the strategy to /sys/module/kvm/parameters/mmu
# (a VM takes the value it has at KVM_CREATE_VM); cached-sync is cached
# with cached_unsync=0 (tests/lab/lib.sh, mmu_select).  Each "PASS: suite ...",
# "FAIL: suite ..." and "SKIP: suite ..." line of a run comes out as
# "PASS: suite/STRATEGY ..." (a colon after the suite word stays after
# STRATEGY), so that the names stay unique; other lines pass unchanged.  Exits
# non-zero if any run did, or if a strategy could not be set.

strategies=$1
shift
status=0
. "$(dirname "$0")/lib.sh"

for s in $(echo "$strategies" | tr , ' '); do
	if ! mmu_select "$s"; then
		echo "FAIL: each-mmu $s: cannot select $s in /sys/module/kvm/parameters"
		status=1
		continue
	fi
	# The run's status, through the pipe: dash has no pipefail.
	{ "$@"; echo $? > /tmp/each-mmu.rc; } 2>&1 |
		sed "s/^\(PASS\|FAIL\|SKIP\): \([^ :]*\)\(:*\) /\1: \2\/$s\3 /"
	[ "$(cat /tmp/each-mmu.rc)" = 0 ] || status=1
done
rm -f /tmp/each-mmu.rc
# cached-sync's cached_unsync=0 does not outlive the run.
[ -w /sys/module/kvm/parameters/cached_unsync ] &&
	echo 1 > /sys/module/kvm/parameters/cached_unsync
exit $status
