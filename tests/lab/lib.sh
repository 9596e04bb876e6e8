# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/lib.sh: what the lab's test scripts share.  Set suite (the
# word after "PASS:" and "FAIL:") and source this file.

passed=0
failed=0

# mmu_select STRATEGY: what a VM created next runs on.  STRATEGY is a
# value of the module's mmu= parameter, or cached-sync: cached with
# cached_unsync=0 (every shadowed table write-protected, KVM's 2007
# design); any other puts cached_unsync back to 1.  Non-zero if the
# parameters could not be set.
mmu_select() {
	_mmu=$1 _unsync=1
	[ "$_mmu" = cached-sync ] && _mmu=cached _unsync=0
	echo "$_mmu" > /sys/module/kvm/parameters/mmu 2>/dev/null &&
		[ "$(cat /sys/module/kvm/parameters/mmu)" = "$_mmu" ] || return 1
	[ -e /sys/module/kvm/parameters/cached_unsync ] || return 0
	echo "$_unsync" > /sys/module/kvm/parameters/cached_unsync 2>/dev/null
}

pass() { echo "PASS: $suite $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $suite $1"; failed=$((failed + 1)); }
show() { sed 's/^/    | /' "$1"; }

# compare NAME WHAT GOT WANT: two "NAME COUNT" lists (or counts), sorted.
compare() {
	sort "$3" > "$3.s"
	sort "$4" > "$4.s"
	if [ -s "$3.s" ] && cmp -s "$3.s" "$4.s"; then
		pass "$1: $2 agree ($(wc -l < "$3.s") lines)"
	else
		fail "$1: $2 differ (trace, then counters)"
		show "$3.s"
		echo "    --"
		show "$4.s"
	fi
}

# The last line: "N passed, N failed"; the status: 0 if nothing failed.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
