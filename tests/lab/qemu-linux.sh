#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/qemu-linux.sh: Debian's own QEMU, unmodified, boots Debian's
# own kernel on /dev/kvm, once for each MMU strategy, irqchip, machine
# and vCPU count, and the guest's report is checked.  Runs in the
# svm lab:
#
#   lab/run --params mmu=cached -- tests/lab/qemu-linux.sh [options]
#   lab/run --upstream npt=0 -- tests/lab/qemu-linux.sh [options]
#
#   --strategies S[:FORKS],...  MMU strategies to switch /sys/module/kvm/
#                       parameters/mmu to, each with its own fork/exec count
#                       (default naive:40,cached:200; cached-sync is cached
#                       with cached_unsync=0).  Under upstream KVM
#                       (lab/run --upstream) the word is only a label:
#                       give e.g. upstream-npt0:200.
#   --vcpus N,...       vCPU counts (default 1,2)
#   --irqchip M,...     where the interrupt controllers are: on (QEMU's
#                       default: all in the kernel, and the PIT), split
#                       (kernel_irqchip=split: the local APICs in the
#                       kernel, the IOAPIC and PIC in QEMU), off
#                       (kernel_irqchip=off: all in QEMU; SMP guests then
#                       need --qemu-smp).  Default off; the runs are named
#                       KERNEL-STRATEGY-smpN, with -IRQCHIP unless off
#   --machine M         QEMU's machine: pc (default) or q35; the runs are
#                       named ...-q35 for q35
#   --cpu MODEL         QEMU's -cpu (default qemu64), e.g. qemu64,kvm-pv-ipi=on
#                       (the guest sends IPIs by KVM_HC_SEND_IPI); the runs
#                       are named ...-cpu
#   --kernel K,...      guest kernels: amd64 (default), 686 (32-bit,
#                       non-PAE paging), 686-pae (32-bit, PAE paging)
#   --out DIR           keep each guest's console and QEMU's stderr there,
#                       and append "KERNEL STRATEGY VCPUS FORKS BOOT_S
#                       TOTAL_S WALL_S" lines to DIR/times (a benchmark record:
#                       guest uptime at /init, at the end, and QEMU's wall
#                       time; never a test condition); under our module,
#                       the VM's exit and MMU counters as last sampled
#                       (every 2 s) in DIR/NAME.counters
#   --timeout S         give up on a QEMU run after S seconds (a hang;
#                       default 1500)
#   --qemu PATH         the qemu-system-x86_64 for 1 vCPU (default: the
#                       one in PATH)
#   --qemu-smp PATH     the one for more vCPUs with --irqchip off
#                       (default: lab/guest-qemu --path, Debian's QEMU 7.2
#                       without 7.2.22's SIPI bug, which only the userspace
#                       APIC has; lab/guest-qemu --help says why)
#   --defaults          QEMU's plainest command line instead: its default
#                       machine, CPU model and devices (VGA, whose
#                       framebuffer slot logs dirty pages, a NIC, IDE...),
#                       `-enable-kvm -m 256M -nographic` and the kernel,
#                       its serial port as the console; the runs are named
#                       KERNEL-STRATEGY-smpN-defaults
#
# The guest (tests/lab/qemu/init) forks and execs on every CPU at once,
# computes a checksum on each CPU, lists warnings from its own kernel log,
# and powers off.  Checked, for each run: QEMU exits 0, the guest sees
# every vCPU, all its fork/execs succeed, every CPU's checksum is right,
# its kernel logged no warning, it powered off, its clocksource is
# kvm-clock, and QEMU printed no warning about kvmclock.
set -u
cd "$(dirname "$0")/../.."
suite=svm-qemu
. tests/lab/lib.sh

strategies=naive:40,cached:200 vcpus=1,2 kernels=amd64 outdir= timeout=1500
qemu=qemu-system-x86_64 qemu_smp= defaults= irqchips=off machine=pc cpu=qemu64
while [ $# -gt 0 ]; do
	case "$1" in
	--strategies)	strategies=$2; shift 2 ;;
	--vcpus)	vcpus=$2; shift 2 ;;
	--irqchip)	irqchips=$2; shift 2 ;;
	--machine)	machine=$2; shift 2 ;;
	--cpu)		cpu=$2; shift 2 ;;
	--kernel)	kernels=$2; shift 2 ;;
	--out)		outdir=$2; shift 2 ;;
	--timeout)	timeout=$2; shift 2 ;;
	--qemu)		qemu=$2; shift 2 ;;
	--qemu-smp)	qemu_smp=$2; shift 2 ;;
	--defaults)	defaults=1; shift ;;
	*)		echo "qemu-linux.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$outdir" ] || outdir=$tmp/out
mkdir -p "$outdir"

# initramfs KERNEL: the guest's kernel image into $vmlinuz, and its
# initramfs, a static busybox and tests/lab/qemu/init, into $tmp/KERNEL.gz.
initramfs() {
	local busybox rd=$tmp/rd-$1

	case "$1" in
	amd64)	vmlinuz=$(lab/kernel --vmlinuz) busybox=/bin/busybox ;;
	686|686-pae)
		vmlinuz=$(lab/guest-kernels --vmlinuz "$1") &&
		busybox=$(lab/guest-kernels --busybox i386) || return 1 ;;
	*)	echo "qemu-linux.sh: no guest kernel '$1'" >&2; return 1 ;;
	esac
	mkdir -p "$rd/bin" "$rd/dev" "$rd/proc" "$rd/tmp"
	cp "$busybox" "$rd/bin/busybox"
	cp tests/lab/qemu/init "$rd/init"
	chmod +x "$rd/init"
	(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp/$1.gz"
}

# Which QEMU runs which guests, on the log.
for n in $(echo "$vcpus" | tr ',' ' '); do
	if [ "$n" = 1 ] || [ "$irqchips" != off ] && [ -z "$qemu_smp" ]; then
		echo "qemu-linux.sh: $n vCPU(s): $("$qemu" --version | head -n 1)" >&2
	fi
	if [ "$n" != 1 ] && [ -z "$qemu_smp" ] &&
	   echo ",$irqchips," | grep -q ',off,'; then
		qemu_smp=$(lab/guest-qemu --path) &&
		echo "qemu-linux.sh: $n vCPUs: $("$qemu_smp" --version | head -n 1)" >&2
	fi
done

want_sum=$(seq 1 20000 | md5sum | cut -d' ' -f1)
ours=
[ -z "${LAB_UPSTREAM_SET:-}" ] && [ -w /sys/module/kvm/parameters/mmu ] && ours=1

# counters_watch PID FILE: while PID runs, every 2 s, the counters of our
# module's VMs (debugfs kvm/*/exits and mmu) into FILE: the last sample
# before QEMU ended, for the --out record (a VM's directory goes with it).
counters_watch() {
	while kill -0 "$1" 2>/dev/null; do
		for d in /sys/kernel/debug/kvm/*/; do
			[ -f "$d/mmu" ] || continue
			{ echo "== $d"; timeout 5 cat "$d/exits" "$d/mmu"; } 2>&1
		done > "$2.new"
		[ -s "$2.new" ] && mv "$2.new" "$2"
		sleep 2
	done
	rm -f "$2.new"
}

for kernel in $(echo "$kernels" | tr ',' ' '); do
	if ! initramfs "$kernel"; then
		fail "$kernel: no guest kernel or initramfs"
		continue
	fi
	for sf in $(echo "$strategies" | tr ',' ' '); do
		s=${sf%%:*}
		forks=200
		[ "$s" = "$sf" ] || forks=${sf#*:}
		if [ -n "$ours" ]; then
			mmu_select "$s" ||
				{ fail "$s: cannot select mmu=$s"; continue; }
		fi
		for irqchip in $(echo "$irqchips" | tr ',' ' '); do
		for n in $(echo "$vcpus" | tr ',' ' '); do
			name=$kernel-$s-smp$n${defaults:+-defaults}
			[ "$irqchip" = off ] || name=$name-$irqchip
			[ "$machine" = pc ] || name=$name-$machine
			[ "$cpu" = qemu64 ] || name=$name-cpu
			log=$outdir/$name.console
			echo "qemu-linux.sh: $name: booting ($forks fork/execs)" >&2
			q=$qemu
			if [ "$n" -gt 1 ] && [ "$irqchip" = off ]; then
				q=$qemu_smp
				if [ -z "$q" ]; then
					fail "$name: no QEMU for SMP guests (lab/guest-qemu --help)"
					continue
				fi
			fi
			# The machine: ours (no devices but the serial port), or
			# QEMU's defaults; the irqchip as asked (on: QEMU's
			# default, no flag).
			m=$machine
			[ "$irqchip" = on ] || m=$m,kernel_irqchip=$irqchip
			if [ -n "$defaults" ]; then
				set -- -enable-kvm -M "$m" -smp "$n" -m 256M -nographic
			else
				set -- -accel kvm -M "$m" -cpu "$cpu" \
					-smp "$n" -m 256M -nodefaults -serial stdio -nographic
			fi
			t0=$(now)
			timeout -k 30 "$timeout" "$q" "$@" -no-reboot \
				-kernel "$vmlinuz" -initrd "$tmp/$kernel.gz" \
				-append "console=ttyS0 panic=-1 forks=$forks" \
				</dev/null >"$log" 2>"$outdir/$name.stderr" &
			qpid=$!
			hang_watch $qpid $((timeout > 120 ? timeout - 60 : timeout)) \
				$((timeout + 60)) > "$outdir/$name.hang" 2>&1 &
			wpid=$!
			[ -n "$ours" ] && counters_watch $qpid "$outdir/$name.counters" &
			wait $wpid
			if kill -0 $qpid 2>/dev/null; then
				# Not even SIGKILL ended it: its threads are stuck
				# in the kernel; the module will not unload.
				echo "qemu-linux.sh: $name: QEMU outlived SIGKILL" >&2
				rc=137
			else
				wait $qpid
				rc=$?
			fi
			t1=$(now)
			tr -d '\r' < "$log" > "$log.txt" && mv "$log.txt" "$log"

			ok=1
			check() {	# check WHAT REGEX
				if grep -Eq -- "$2" "$log"; then
					pass "$name: $1"
				else
					fail "$name: $1: no line matches /$2/"
					ok=
				fi
			}
			if [ "$rc" = 0 ]; then
				pass "$name: QEMU exits 0"
			else
				fail "$name: QEMU exits $rc"
				ok=
			fi
			check "the guest sees $n CPUs" "^guest: booted cpus=$n "
			per=$((forks / n))
			check "$((per * n)) fork/execs" "^guest: forkexec $((per * n)) of $((per * n))\$"
			c=0
			while [ "$c" -lt "$n" ]; do
				check "cpu$c checksum" "^guest: cpu$c sum $want_sum\$"
				c=$((c + 1))
			done
			if grep -q '^guest: dmesg:' "$log"; then
				fail "$name: the guest's kernel log has warnings"
				grep '^guest: dmesg:' "$log" | sed 's/^/    | /'
				ok=
			else
				check "no warning in the guest's kernel log" '^guest: done '
			fi
			check "the guest powers off" 'reboot: Power down'
			# kvmclock (CPUID 0x40000001): the guest's choice, as on
			# upstream, and QEMU has nothing to say about it.
			check "the guest's clocksource is kvm-clock" '^guest: clocksource kvm-clock$'
			# KVM_FEATURE_PV_SEND_IPI: an SMP guest sends its IPIs
			# by hypercall when the CPU model passes the bit on.
			case "$cpu,$n" in
			*kvm-pv-ipi=on*,1) ;;
			*kvm-pv-ipi=on*)
				check "the guest sends IPIs by hypercall" '^guest: pv ipi 1$' ;;
			esac
			if grep -q 'warning:.*kvmclock' "$outdir/$name.stderr"; then
				fail "$name: QEMU warns about kvmclock"
				ok=
			else
				pass "$name: QEMU does not warn about kvmclock"
			fi
			if [ -z "$ok" ]; then
				if [ -s "$outdir/$name.hang" ]; then
					echo "    before the timeout, from the host:"
					show "$outdir/$name.hang"
				fi
				echo "    QEMU's stderr:"
				show "$outdir/$name.stderr"
				echo "    the console's last lines:"
				tail -n 25 "$log" | sed 's/^/    | /'
			fi
			boot=$(sed -n 's/^guest: booted .*uptime=//p' "$log")
			total=$(sed -n 's/^guest: done uptime=//p' "$log")
			wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
			echo "time: $name boot ${boot:-?} s, total ${total:-?} s (guest clock), wall $wall s"
			echo "$kernel $s $n $forks ${boot:--} ${total:--} $wall" >> "$outdir/times"
		done
		done
	done
done
summary
