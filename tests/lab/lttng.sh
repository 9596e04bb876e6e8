#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/lttng.sh: LTTng recording, inside the svm lab with our module:
#
#   lab/run --params mmu=cached --timeout 900 -- tests/lab/lttng.sh MODDIR
#
# MODDIR: LTTng-modules and our probes, as trace/lttng/build printed.
# bench/record --tracer lttng records the exits workload (and ctxsw-pae
# for the MMU events); then, read back with babeltrace2:
# - our probes' events are there, under the ftrace names;
# - kvm_exit counted in the CTF trace equals the VM's debugfs exit
#   counters, by reason (the lines of "vmm: exits"), and mmu_fault by
#   outcome equals the pf_* counters;
# - the VMM's LTTng-UST kvmbench:exit events: one per exit to userspace
#   the kernel traced (kvm_userspace_exit), and as many as run_end says;
# - LTTng lost nothing, and analysis/analyze reads the results.
#
# Prints "PASS: lttng ..." or "FAIL: lttng ...", then "N passed, N failed".

cd "$(dirname "$0")/../.." || exit 2
moddir=${1:?usage: tests/lab/lttng.sh MODDIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lttng.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

suite=lttng
. tests/lab/lib.sh

out=$tmp/results
mkdir -p "$out"
echo test > "$out/commit"
LTTNG_MODULES=$moddir bench/record --tracer lttng "$out" cached svm 1 \
	exits ctxsw-pae > "$tmp/record.log" 2>&1
if [ $? = 0 ]; then
	pass "bench/record --tracer lttng: status 0"
else
	fail "bench/record --tracer lttng: status $?"
	show "$tmp/record.log"
fi

# The CTF trace has exit reasons as numbers, the counters as names: the
# counts per reason are compared as a multiset (sorted lists).
for w in exits ctxsw-pae; do
	d=$out/runs/cached-$w-0
	if [ ! -d "$d/ctf" ]; then
		fail "$w: no CTF trace in $d/ctf"
		continue
	fi
	babeltrace2 "$d/ctf" > "$tmp/$w.txt" 2> "$tmp/$w.bterr"
	if [ -s "$tmp/$w.bterr" ]; then
		fail "$w: babeltrace2 complains"
		show "$tmp/$w.bterr"
	else
		pass "$w: babeltrace2 reads the trace cleanly (nothing discarded)"
	fi
	if grep -qi 'discarded\|lost' "$d/lttng.log"; then
		fail "$w: LTTng lost events"
		show "$d/lttng.log"
	else
		pass "$w: LTTng lost no event"
	fi

	# kvm_exit by reason number: the counts, against the counters'.
	sed -n 's/.* kvm_exit: .* exit_reason = \([0-9]*\),.*/\1/p' "$tmp/$w.txt" |
		sort | uniq -c | awk '{ print $1 }' > "$tmp/$w.texits"
	sed -n 's/^vmm: exits \([^.]*\) \([0-9]*\)$/\2/p' "$d/vmm.err" \
		> "$tmp/$w.cexits"
	compare $w "kvm_exit counts by reason and debugfs exits" \
		"$tmp/$w.texits" "$tmp/$w.cexits"

	# mmu_fault by outcome (RET_PF_FIXED 0, RETRY 1, GUEST 2, EMULATE 3).
	n=0
	for o in fixed retry guest emulate; do
		echo "pf_$o $(grep -c " mmu_fault: .* outcome = $n," "$tmp/$w.txt")"
		n=$((n + 1))
	done > "$tmp/$w.tpf"
	sed -n 's/^\(pf_[a-z]*\) \([0-9]*\)$/\1 \2/p' "$d/mmu_stats.txt" \
		> "$tmp/$w.cpf"
	compare $w "mmu_fault by outcome and pf_* counters" \
		"$tmp/$w.tpf" "$tmp/$w.cpf"

	# The VMM's events against the kernel's.
	k=$(grep -c ' kvm_userspace_exit: ' "$tmp/$w.txt")
	u=$(grep -c ' kvmbench:exit: ' "$tmp/$w.txt")
	e=$(sed -n 's/.* kvmbench:run_end: .* exits = \([0-9]*\).*/\1/p' "$tmp/$w.txt")
	if [ "$u" -gt 0 ] && [ "$u" = "$k" ] && [ "$u" = "$e" ]; then
		pass "$w: kvmbench:exit $u = kvm_userspace_exit $k = run_end exits $e"
	else
		fail "$w: kvmbench:exit $u, kvm_userspace_exit $k, run_end exits '$e'"
	fi
done

# The hypercall loop: 2000 kvm_hypercall, each answered in the kernel.
n=$(grep -c ' kvm_hypercall: ' "$tmp/exits.txt" 2>/dev/null)
if [ "$n" = 2000 ]; then
	pass "exits: 2000 kvm_hypercall events"
else
	fail "exits: $n kvm_hypercall events, not 2000"
fi

if analysis/analyze "$out" -q > "$tmp/analyze.log" 2>&1; then
	pass "analysis/analyze reads the LTTng results"
else
	fail "analysis/analyze on the LTTng results: status $?"
	show "$tmp/analyze.log"
fi

summary
