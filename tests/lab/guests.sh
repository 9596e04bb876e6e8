#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/guests.sh: run each test guest of tests/lab/guests/ with the
# bench VMM on /dev/kvm and check its exact results: the VMM's exit status,
# its stdout (console, report lines, test-device writes) against
# tests/lab/guests/NAME.expected or line by line, and its messages on
# stderr.  Runs inside the lab (dash in the svm lab, busybox sh in the vmx
# lab), against upstream KVM or our module:
#
#   lab/run --upstream npt=0 -- tests/lab/guests.sh
#   lab/run --machine vmx --upstream ept=1 --pack bench/vmm/vmm -- tests/lab/guests.sh
#
#   tests/lab/guests.sh [NAME...]     only the checks whose name starts
#                                     with one of NAME (default: all)
#
# Environment: VMM (default bench/vmm/vmm), GUEST_TIMEOUT (seconds for one
# run, default 120).  Prints "PASS: guest NAME: ..." or "FAIL: guest
# NAME: ..." for each check, "SKIP: ..." for a check this CPU cannot run,
# then "N passed, N failed"; exits non-zero if any check failed.

cd "$(dirname "$0")/../.." || exit 2
VMM=${VMM:-bench/vmm/vmm}
G=tests/lab/guests
TIMEOUT=${GUEST_TIMEOUT:-120}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guests.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
only="$*"

suite=guest
. tests/lab/lib.sh

# wanted NAME: is NAME among the checks asked for?
wanted() {
	[ -z "$only" ] && return 0
	for w in $only; do
		case "$1" in "$w"*) return 0 ;; esac
	done
	return 1
}

# run NAME STATUS VMM-ARGS...: run the VMM, check its exit status.  Its
# stdout and stderr stay in $tmp/NAME.out and $tmp/NAME.err for the
# expect_* checks after it.
run() {
	name=$1 want=$2
	shift 2
	"$VMM" --timeout "$TIMEOUT" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		pass "$name: exit status $want"
	else
		fail "$name: exit status $rc, want $want (vmm $*)"
		show "$tmp/$name.out"
		show "$tmp/$name.err"
	fi
}

# expect_output NAME [FILE]: stdout is exactly FILE (default NAME.expected).
expect_output() {
	f=${2:-$G/$1.expected}
	if cmp -s "$f" "$tmp/$1.out"; then
		pass "$1: output is ${f##*/}"
	else
		fail "$1: output differs from ${f##*/}"
		diff -u "$f" "$tmp/$1.out" | sed 's/^/    | /'
		show "$tmp/$1.err"
	fi
}

# expect_line NAME LINE: stdout has exactly this line.
expect_line() {
	if grep -Fxq -- "$2" "$tmp/$1.out"; then
		pass "$1: prints '$2'"
	else
		fail "$1: no line '$2'"
		show "$tmp/$1.out"
	fi
}

# expect_err NAME REGEX: stderr has a line matching REGEX.
expect_err() {
	if grep -Eq -- "$2" "$tmp/$1.err"; then
		pass "$1: says /$2/"
	else
		fail "$1: no message /$2/"
		show "$tmp/$1.err"
	fi
}

# cpuinfo FIELD: the first value of FIELD in /proc/cpuinfo.
cpuinfo() {
	sed -n "s/^$1[[:space:]]*: //p" /proc/cpuinfo | head -n 1
}

if [ ! -x "$VMM" ]; then
	fail "setup: no $VMM: run make -C bench (and --pack bench/vmm/vmm in the vmx lab)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# ---- hello: every mode, and several vCPUs -----------------------------------
if wanted hello; then
	run hello 0 tests/lab/guests/hello.bin
	expect_output hello
	for m in pae prot32 real; do
		run hello-$m 0 --mode $m $G/hello-$m.bin
		expect_output hello-$m
	done
	run hello-smp 0 --vcpus 4 $G/hello.bin
	expect_line hello-smp "cpus=4"
	run hello-smp-prot32 0 --vcpus 3 --mode prot32 $G/hello-prot32.bin
	expect_line hello-smp-prot32 "cpus=3"
	# 16 slots of 4 MiB: within the 32 slots this module has.
	run hello-slots 0 --mem 64 --slot-mib 4 $G/hello.bin
	expect_output hello-slots $G/hello.expected
fi

# ---- pio: every size and form, checked in the guest; writes printed ------------
if wanted pio; then
	for m in long prot32 real; do
		n=pio-$m
		[ $m = long ] && n=pio
		run $n 0 --mode $m $G/$n.bin
		expect_output $n $G/pio.expected
	done
fi

# ---- mmio: MOV of each width, checked in the guest; writes printed ----------------
if wanted mmio; then
	run mmio 0 $G/mmio.bin
	expect_output mmio
	for m in pae prot32; do
		run mmio-$m 0 --mode $m $G/mmio-$m.bin
		expect_output mmio-$m $G/mmio-prot32.expected
	done
fi

# ---- cpuid: leaves as KVM reports them, against the host's /proc/cpuinfo --------------
if wanted cpuid; then
	for m in long prot32; do
		n=cpuid-$m
		[ $m = long ] && n=cpuid
		run $n 0 --mode $m --vcpus 2 $G/$n.bin
		expect_line $n "cpu0.apic_id=0"
		expect_line $n "cpu1.apic_id=1"
		expect_line $n "cpuid.vendor=$(cpuinfo vendor_id)"
		expect_line $n "cpuid.family=$(cpuinfo 'cpu family')"
		expect_line $n "cpuid.model=$(cpuinfo model)"
		expect_line $n "cpuid.stepping=$(cpuinfo stepping)"
		expect_line $n "cpuid.hypervisor=1"
		expect_line $n "cpuid.lm=1"
		expect_line $n "cpuid.hypervisor_id=KVMKVMKVM"
	done
fi

# ---- hlt: ends the run, or is resumed ------------------------------------------
if wanted hlt; then
	run hlt 102 $G/hlt.bin
	expect_output hlt
	expect_err hlt '^vmm: hlt \(vcpu 0\)$'
	run hlt-continue 0 --on-hlt continue $G/hlt.bin
	expect_output hlt-continue
fi

# ---- triple-fault: KVM_EXIT_SHUTDOWN ----------------------------------------------
if wanted triple-fault; then
	run triple-fault 103 $G/triple-fault.bin
	expect_output triple-fault
	expect_err triple-fault '^vmm: shutdown \(vcpu 0\)'
	run triple-fault-prot32 103 --mode prot32 $G/triple-fault-prot32.bin
	expect_output triple-fault-prot32 $G/triple-fault.expected
	expect_err triple-fault-prot32 '^vmm: shutdown \(vcpu 0\)'
fi

# ---- virt-ud: either vendor's virtualization instructions give #UD ------------------
if wanted virt-ud; then
	run virt-ud 0 $G/virt-ud.bin
	expect_output virt-ud
fi

# ---- mode-switch: from the reset vector to long mode, by the guest ------------------
if wanted mode-switch; then
	run mode-switch 0 --mode reset $G/mode-switch.bin
	expect_output mode-switch
fi

# ---- paging: the guest's own tables over 64 MiB -------------------------------------
if wanted paging; then
	for v in prot32-4k prot32-4m pae-4k pae-2m 4k 2m 1g; do
		case $v in
		prot32-*) m=prot32 ;;
		pae-*) m=pae ;;
		*) m=long ;;
		esac
		if [ $v = 1g ] && ! grep -qw pdpe1gb /proc/cpuinfo; then
			run paging-$v 77 --mode $m --mem 128 $G/paging-$v.bin
			echo "SKIP: guest paging-$v: the CPU has no 1 GiB pages"
			continue
		fi
		run paging-$v 0 --mode $m --mem 128 $G/paging-$v.bin
		expect_output paging-$v
	done
	run paging-4k-slots 0 --mem 128 --slot-mib 8 $G/paging-4k.bin
	expect_output paging-4k-slots $G/paging-4k.expected
fi

# ---- tdp-large: mmu=tdp maps RAM in huge pages with 2 MiB nested leaves ------------
# Our module under mmu=tdp only (the counters are its debugfs).  paging-2m
# touches the low 2 MiB (its image, the VMM's page tables: with
# --no-gbpages a PD of 2 MiB pages too, whether or not the CPU has 1 GiB
# pages, as lynnfield has not) and its 64 MiB window at 16 MiB: 33
# aligned 2 MiB ranges.  With the VMM's RAM in transparent huge pages (its
# default), each is one leaf, below a PML4, a PDPT and a PD; with
# --no-thp, 16403 leaves of 4 KiB (16384 in the window) in 33 more tables.
if wanted tdp-large &&
   [ "$(cat /sys/module/kvm/parameters/mmu 2>/dev/null)" = tdp ] &&
   [ -e /sys/kernel/debug/kvm/totals ]; then
	case "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)" in
	*"[always]"*|*"[madvise]"*)
		run tdp-large 0 --mmu-stats --no-gbpages --mem 128 $G/paging-2m.bin
		expect_output tdp-large $G/paging-2m.expected
		# max_level: the largest nested leaf the CPU takes (EPT: its
		# capability MSR), 1 for 4 KiB only.
		if grep -qx 'vmm: mmu max_level 1' "$tmp/tdp-large.err"; then
			echo "SKIP: guest tdp-large: the CPU's nested paging has no 2 MiB leaves"
		else
			expect_err tdp-large '^vmm: mmu large_created 33$'
			expect_err tdp-large '^vmm: mmu pinned 33$'
			expect_err tdp-large '^vmm: mmu tdp_pages 3$'
		fi
		;;
	*)
		echo "SKIP: guest tdp-large: the host kernel offers no transparent huge pages" ;;
	esac
	run tdp-small 0 --mmu-stats --no-gbpages --no-thp --mem 128 $G/paging-2m.bin
	expect_output tdp-small $G/paging-2m.expected
	expect_err tdp-small '^vmm: mmu large_created 0$'
	expect_err tdp-small '^vmm: mmu pinned 16403$'
	expect_err tdp-small '^vmm: mmu tdp_pages 36$'
fi

# ---- perm: page permissions from CPL 0 and 3, WP, NX, SMEP, SMAP, global pages ------
# qemu_npt: are the guest's page walks QEMU's?  With NPT in the svm lab the
# emulated CPU (QEMU, TCG) walks the guest's tables, not the hypervisor,
# and QEMU's walk differs from the SDM and the APM in two ways
# (../shared/LAB.md): a reserved-bit #PF has P clear (error 0x8, not 0x9),
# and a legacy PAE walk sets the accessed bit in PDPTEs, where it is
# reserved.  Upstream npt=1 and our mmu=tdp see both.  perm meets the first
# (perm_npt_fixup), every PAE guest the second (kvm/mmu/walk.c takes it
# under mmu=tdp; no test here needs adapting for it).
qemu_npt() {
	[ "${LAB_MACHINE-}" = svm ] || return 1
	[ "$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)" = Y ] ||
		[ "$(cat /sys/module/kvm/parameters/mmu 2>/dev/null)" = tdp ]
}

# perm_npt_fixup NAME: under qemu_npt, NAME's output as a CPU that sets P
# in a reserved-bit #PF would have printed it: each "pf.*.rsvd.error=" gets
# P back, and the guest's own "check failed" line for a reserved-bit check
# goes when P is all it missed.  Everything else stays exact.
perm_npt_fixup() {
	while IFS= read -r line; do
		case "$line" in
		pf.*.rsvd.error=0x*)
			v=${line##*=}
			printf '%s=0x%x\n' "${line%=*}" $((v | 1)) ;;
		"check failed: "*.rsvd:" got "*", want "*)
			got=${line##*got }
			got=${got%%,*}
			want=${line##*want }
			[ $((got | 1)) = $((want)) ] || echo "$line" ;;
		*) echo "$line" ;;
		esac
	done < "$tmp/$1.out" > "$tmp/$1.fixed"
	mv "$tmp/$1.fixed" "$tmp/$1.out"
}

# perm_part NAME PART FILE: the lines of NAME's stdout that PART selects
# (main: all but SMEP and SMAP; smep, smap: pf.smep.*, pf.smap.*) are
# exactly FILE, as check NAME.PART.
perm_part() {
	case $2 in
	main) grep -Ev '^(pf|perm)\.sm[ae]p[.=]' "$tmp/$1.out" ;;
	*) grep "^pf\.$2\." "$tmp/$1.out" ;;
	esac > "$tmp/$1.$2.out"
	cp "$tmp/$1.err" "$tmp/$1.$2.err"
	expect_output "$1.$2" "$3"
}

if wanted perm; then
	for m in long pae prot32; do
		n=perm-$m
		[ $m = long ] && n=perm
		if qemu_npt; then
			# The guest's reserved-bit checks fail: exit status 1.
			run $n 1 --mode $m $G/$n.bin
			perm_npt_fixup $n
		else
			run $n 0 --mode $m $G/$n.bin
		fi
		perm_part $n main $G/$n.expected
		# Only where the guest's CPUID has them; the same in every mode.
		for f in smep smap; do
			if grep -qx "perm.$f=tested" "$tmp/$n.out"; then
				perm_part $n $f $G/perm-$f.expected
			elif grep -qx "perm.$f=skipped" "$tmp/$n.out"; then
				echo "SKIP: guest $n: no $f in the guest's CPUID"
			else
				fail "$n: no line perm.$f=tested or skipped"
			fi
		done
	done
fi

# ---- cr3-switch: 16 address spaces round-robin; naive against cached ----------------
if wanted cr3-switch; then
	for m in long pae prot32; do
		n=cr3-switch-$m
		[ $m = long ] && n=cr3-switch
		run $n 0 --mode $m --mem 64 $G/$n.bin
		expect_line $n "cr3-switch.variant=$m"
		expect_line $n "cr3-switch.switches=640"
		expect_line $n "cr3-switch.touches=40960"
		expect_line $n "cr3-switch.errors=0"
	done
	# Our module only (upstream has no such counters): run it under each
	# strategy, switching the parameter at run time, and compare the
	# shadow page faults each VM counted.  Cached keeps every space's
	# shadow across CR3 loads, naive builds it again after each one.
	param=/sys/module/kvm/parameters/mmu
	if [ -w "$param" ] && [ -e /sys/kernel/debug/kvm/totals ]; then
		was=$(cat "$param")
		for s in naive cached; do
			echo $s > "$param"
			run cr3-switch-$s 0 --mmu-stats --mem 64 $G/cr3-switch.bin
			expect_err cr3-switch-$s "^vmm: mmu strategy $s\$"
		done
		echo "$was" > "$param"
		nf=$(sed -n 's/^vmm: mmu pf_fixed //p' "$tmp/cr3-switch-naive.err")
		cf=$(sed -n 's/^vmm: mmu pf_fixed //p' "$tmp/cr3-switch-cached.err")
		if [ -n "$nf" ] && [ -n "$cf" ] && [ "$cf" -gt 0 ] &&
		   [ $((cf * 10)) -lt "$nf" ]; then
			pass "cr3-switch: shadow faults fixed: cached $cf, naive $nf (cached < naive / 10)"
		else
			fail "cr3-switch: shadow faults fixed: cached '$cf', naive '$nf' (want cached < naive / 10)"
			show "$tmp/cr3-switch-naive.err"
			show "$tmp/cr3-switch-cached.err"
		fi
	fi
fi

# ---- debugregs: MOV DR in each mode, fixed bits, GD, a data breakpoint ------------
# General detect's lines (debugregs.gd.*) are checked unless upstream KVM
# runs in the svm lab: upstream lets the guest's MOV DR run unintercepted
# once it used the debug registers, and QEMU (TCG) does not implement
# DR7.GD; our module intercepts every MOV DR and emulates GD.
if wanted debugregs; then
	for m in long pae prot32; do
		n=debugregs-$m
		[ $m = long ] && n=debugregs
		run $n 0 --mode $m $G/$n.bin
		want=$G/debugregs.expected
		[ $m = long ] || want=$G/debugregs-prot32.expected
		if [ "${LAB_MACHINE-}" = svm ] && [ -n "${LAB_UPSTREAM_SET-}" ]; then
			grep -v '^debugregs\.gd\.' "$tmp/$n.out" > "$tmp/$n.nogd.out"
			grep -v '^debugregs\.gd\.' "$want" > "$tmp/$n.nogd.want"
			cp "$tmp/$n.err" "$tmp/$n.nogd.err"
			expect_output $n.nogd "$tmp/$n.nogd.want"
			echo "SKIP: guest $n: DR7.GD: upstream KVM under QEMU's SVM (guests.sh says why)"
		else
			expect_output $n "$want"
		fi
	done
fi

# ---- taskswitch: JMP, CALL/IRET and #GP through a task gate ------------------------
# VMX exits on every task switch, and SVM intercepts them: the module
# emulates them (kvm/task_switch.c).  QEMU's SVM (TCG) does a guest's task
# switch itself, whatever the VMCB intercepts (it has no TASK_SWITCH
# intercept; upstream npt=0 hangs in kvm-unit-tests' taskswitch there):
# with shadow paging it loads the TSS's CR3, a guest value, into the
# hardware's CR3, and the guest runs on nothing.  So in the svm lab only
# with nested paging (upstream npt=1).
if wanted taskswitch; then
	if [ "${LAB_MACHINE-}" = svm ] && ! qemu_npt; then
		echo "SKIP: guest taskswitch-prot32: QEMU's SVM switches tasks itself, loading a guest CR3 under shadow paging (guests.sh says why)"
	else
		run taskswitch-prot32 0 --mode prot32 $G/taskswitch-prot32.bin
		expect_output taskswitch-prot32
	fi
	# A TSS in MMIO: the CPU would read the device; our module cannot,
	# and ends the run with KVM_EXIT_INTERNAL_ERROR (a VMX exit only).
	if [ "${LAB_MACHINE-}" = vmx ] && [ -z "${LAB_UPSTREAM_SET-}" ]; then
		run taskswitch-mmio-prot32 104 --mode prot32 $G/taskswitch-mmio-prot32.bin
		expect_err taskswitch-mmio-prot32 '^vmm: internal error \(vcpu 0\): suberror 1 \(emulation failure\)'
	fi
fi

# ---- irq: the local APIC's timers and IPIs, with the in-kernel irqchip -------------
# bench/workloads/irq.c with 16 round trips a phase (tests/lab/guests/irq.bin):
# every phase took exactly its 16 interrupts, none spurious.  Without
# --irqchip kernel it skips itself (status 77).  Counts only: its timings
# are bench/run's (results/issue19-2026-12-07).
if wanted irq; then
	run irq 0 --mem 64 --vcpus 2 --irqchip kernel $G/irq.bin
	expect_line irq "irq.vcpus=2"
	expect_line irq "irq.apic_id=0"
	for m in xapic x2apic; do
		for p in timer tscdeadline self_ipi pingpong_spin pingpong_hlt; do
			expect_line irq "irq.$m.$p.count=16"
		done
	done
	expect_line irq "irq.spurious=0"
	run irq-no-irqchip 77 --mem 64 $G/irq.bin
	expect_line irq-no-irqchip "irq.skipped=1"
fi

# ---- the VMM itself: usage, limits ----------------------------------------------
if wanted vmm; then
	run vmm-usage 100 --mode bogus $G/hello.bin
	expect_err vmm-usage "^vmm: --mode: 'bogus'"
	run vmm-max-exits 108 --max-exits 2 $G/hello.bin
	expect_err vmm-max-exits '^vmm: 2 exits: --max-exits reached$'
	run vmm-wrong-mode 3 --mode pae $G/hello-prot32.bin
	expect_line vmm-wrong-mode "rt: this guest is built for prot32 mode, but CR0=0x80010033 CR4=0x620: run it with --mode prot32"
fi

summary
