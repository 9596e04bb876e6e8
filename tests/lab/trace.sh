#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/trace.sh: our module's tracepoints (kvm:*, kvmmmu:*) and its
# exit counters, inside the svm lab, with mmu=cached or mmu=naive:
#
#   lab/run --params mmu=cached --timeout 600 -- tests/lab/trace.sh
#
# - the events exist, with upstream's field names where perf reads them;
# - perf kvm stat record/report lists the guests' exits by SVM reason,
#   and their port I/O;
# - one run traced through tracefs: kvm:kvm_exit counted by reason equals
#   debugfs kvm/PID-FD/exits ("vmm: exits" of bench/vmm --mmu-stats), and
#   kvmmmu:mmu_fault by outcome equals the pf_* counters of kvm/PID-FD/mmu;
# - every event fires in a run with all of them on.
#
# Prints "PASS: trace ..." or "FAIL: trace ...", then "N passed, N failed";
# exits non-zero if any check failed.

cd "$(dirname "$0")/../.." || exit 2
VMM=${VMM:-bench/vmm/vmm}
G=tests/lab/guests
T=/sys/kernel/tracing
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

suite=trace
. tests/lab/lib.sh

[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null
[ -d /sys/kernel/debug/kvm ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# ---- the events and their fields ------------------------------------
for e in kvm/kvm_entry kvm/kvm_exit kvm/kvm_pio kvm/kvm_mmio kvm/kvm_cr \
	 kvm/kvm_msr kvm/kvm_cpuid kvm/kvm_hypercall kvm/kvm_inj_exception kvm/kvm_inj_virq \
	 kvm/kvm_inj_nmi \
	 kvm/kvm_userspace_exit kvm/kvm_page_fault kvmmmu/mmu_fault \
	 kvmmmu/mmu_flush kvmmmu/mmu_sp kvmmmu/mmu_pte_write; do
	if [ -r $T/events/$e/format ]; then
		pass "event $e exists"
	else
		fail "event $e exists: no $T/events/$e/format"
	fi
done

# has_field EVENT TYPE NAME: the event's format declares the field.
has_field() {
	if grep -q "field:$2 $3;" $T/events/$1/format 2>/dev/null; then
		pass "field $1.$3 ($2)"
	else
		fail "field $1.$3 ($2)"
		show $T/events/$1/format
	fi
}
has_field kvm/kvm_exit "unsigned int" exit_reason
has_field kvm/kvm_exit u32 isa
has_field kvm/kvm_exit "unsigned long" guest_rip
has_field kvm/kvm_entry "unsigned int" vcpu_id
has_field kvm/kvm_pio "unsigned int" port
has_field kvm/kvm_pio "unsigned int" rw
has_field kvm/kvm_mmio u64 gpa
has_field kvm/kvm_mmio u32 type
has_field kvm/kvm_hypercall "unsigned long" nr
has_field kvmmmu/mmu_fault int outcome
has_field kvmmmu/mmu_fault bool pt_write

# ---- perf kvm stat -------------------------------------------------------
if command -v perf > /dev/null 2>&1; then
	# perf_stat NAME VMM-ARGS...: record one run, report it by exit reason
	# into $tmp/NAME.vmexit and by port into $tmp/NAME.ioport.
	perf_stat() {
		name=$1
		shift
		perf kvm stat record -o "$tmp/$name.data" -- "$VMM" "$@" \
			> "$tmp/$name.rec" 2>&1
		perf kvm -i "$tmp/$name.data" stat report --event=vmexit \
			> "$tmp/$name.vmexit" 2>&1
		perf kvm -i "$tmp/$name.data" stat report --event=ioport \
			> "$tmp/$name.ioport" 2>&1
	}
	# perf_line NAME FILE REGEX: a report line whose name matches REGEX,
	# followed by a sample count above zero.
	perf_line() {
		if grep -Eq "^ *$3 +[1-9][0-9]* " "$tmp/$1.$2"; then
			pass "perf kvm stat $1 --event=$2: /$3/ > 0"
		else
			fail "perf kvm stat $1 --event=$2: no /$3/ with samples"
			show "$tmp/$1.rec"
			show "$tmp/$1.$2"
		fi
	}
	perf_stat pio $G/pio.bin
	perf_line pio vmexit io
	perf_line pio ioport '0x[0-9a-f]+:POUT'
	perf_stat cr3-switch --mem 64 $G/cr3-switch.bin
	perf_line cr3-switch vmexit 'PF excp'
	perf_line cr3-switch vmexit write_cr3
	perf_line cr3-switch vmexit io
	# A bench workload: the exit-cost loops (PIO, MMIO, CPUID, VMMCALL).
	perf_stat exits bench/workloads/exits.bin
	perf_line exits vmexit io
	perf_line exits vmexit cpuid
	perf_line exits vmexit hypercall
	perf_line exits vmexit 'PF excp'
else
	fail "perf kvm stat: no perf"
fi

# ---- counters against the trace ---------------------------------------
# trace_cmd NAME EVENTS CMD...: one run of CMD with tracefs EVENTS on, the
# trace in $tmp/NAME.trace, CMD's stdout and stderr in $tmp/NAME.out and
# $tmp/NAME.err, its status in $tmp/NAME.rc.
trace_cmd() {
	name=$1 events=$2
	shift 2
	echo 0 > $T/tracing_on
	echo > $T/set_event
	# 8 MiB a CPU holds the biggest run (exits.bin, every event: about
	# 3 MiB) and allocates quickly: 32 MiB a CPU once left the lab's
	# kernel allocating for minutes, in a soft lockup.
	echo 8192 > $T/buffer_size_kb
	echo > $T/trace
	for e in $events; do
		echo "$e" >> $T/set_event
	done
	echo 1 > $T/tracing_on
	"$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	echo $? > "$tmp/$name.rc"
	echo 0 > $T/tracing_on
	echo > $T/set_event
	cat $T/trace > "$tmp/$name.trace"
	echo > $T/trace
	echo 1408 > $T/buffer_size_kb
	# Every event written is still in the buffer.
	if grep -Eq '^# entries-in-buffer/entries-written: ([0-9]+)/\1 ' \
		"$tmp/$name.trace"; then
		pass "$name: no trace event lost"
	else
		fail "$name: trace events lost"
		grep '^# entries' "$tmp/$name.trace"
	fi
}

# trace_run NAME EVENTS VMM-ARGS...: trace_cmd of one bench VMM run.
trace_run() {
	name=$1 events=$2
	shift 2
	trace_cmd "$name" "$events" "$VMM" --mmu-stats "$@"
}

counters() {
	name=$1
	shift
	trace_run $name "kvm:kvm_exit kvmmmu:mmu_fault" "$@"
	# kvm_exit by reason, the name as debugfs spells it (no spaces).
	sed -n 's/.* kvm_exit: .* reason \(.*\) rip 0x.*/\1/p' "$tmp/$name.trace" |
		tr ' ' _ | sort | uniq -c | awk '{ print $2, $1 }' \
		> "$tmp/$name.texits"
	sed -n 's/^vmm: exits \([^.]*\) \([0-9]*\)$/\1 \2/p' "$tmp/$name.err" \
		> "$tmp/$name.cexits"
	compare $name "kvm_exit by reason and debugfs exits" \
		"$tmp/$name.texits" "$tmp/$name.cexits"
	# mmu_fault by outcome, as pf_* counters.
	for o in FIXED RETRY GUEST EMULATE; do
		lo=$(echo $o | tr A-Z a-z)
		echo "pf_$lo $(grep -c " mmu_fault: .* $o created " "$tmp/$name.trace")"
	done > "$tmp/$name.tpf"
	sed -n 's/^vmm: mmu \(pf_[a-z]*\) \([0-9]*\)$/\1 \2/p' "$tmp/$name.err" \
		> "$tmp/$name.cpf"
	compare $name "mmu_fault by outcome and pf_* counters" \
		"$tmp/$name.tpf" "$tmp/$name.cpf"
}
counters counters-cr3-switch --mem 64 $G/cr3-switch.bin
counters counters-mmio $G/mmio.bin
counters counters-exits bench/workloads/exits.bin

# ---- every event fires --------------------------------------------------
# fired NAME EVENT...: each EVENT appears in $tmp/NAME.trace.
fired() {
	name=$1
	shift
	for e in "$@"; do
		if grep -q " $e: " "$tmp/$name.trace"; then
			pass "$name: $e fired"
		else
			fail "$name: $e never fired"
		fi
	done
}
trace_run all-mmio "kvm:* kvmmmu:*" $G/mmio.bin
fired all-mmio kvm_entry kvm_exit kvm_mmio kvm_cr kvm_msr kvm_page_fault \
	kvm_userspace_exit mmu_fault mmu_sp mmu_flush
trace_run all-pio "kvm:* kvmmmu:*" $G/pio.bin
fired all-pio kvm_pio
trace_run all-cpuid "kvm:* kvmmmu:*" $G/cpuid.bin
fired all-cpuid kvm_cpuid
trace_run all-exits "kvm:* kvmmmu:*" bench/workloads/exits.bin
fired all-exits kvm_hypercall kvm_pio kvm_mmio kvm_cpuid
trace_run all-perm "kvm:* kvmmmu:*" $G/perm.bin
fired all-perm kvm_inj_exception
# Injections from userspace: the ABI suite's KVM_INTERRUPT and KVM_NMI
# checks, an NMI re-injected after its delivery page-faulted among them.
trace_cmd all-irq "kvm:kvm_inj_virq kvm:kvm_inj_nmi" tests/lab/bin/abi irq
if [ "$(cat "$tmp/all-irq.rc")" = 0 ]; then
	pass "all-irq: abi irq: exit status 0"
else
	fail "all-irq: abi irq: exit status $(cat "$tmp/all-irq.rc")"
	grep '^FAIL' "$tmp/all-irq.out"
fi
fired all-irq kvm_inj_virq kvm_inj_nmi
for how in new reinjected; do
	if grep -q " kvm_inj_nmi: $how\$" "$tmp/all-irq.trace"; then
		pass "all-irq: kvm_inj_nmi: $how"
	else
		fail "all-irq: no kvm_inj_nmi: $how"
	fi
done

summary
