#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/kvmtool.sh: kvmtool's lkvm (tests/kvmtool/build: built from
# its public repository at a pinned commit, in the project's cache) boots
# Debian's own kernel on /dev/kvm, once per vCPU count, and the guest's
# report is checked.  kvmtool has no userspace irqchip on x86: it creates
# the in-kernel one (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2) and sends its
# devices' interrupts with KVM_IRQ_LINE.  Runs in the svm lab:
#
#   lab/run --params mmu=cached --timeout 900 -- tests/lab/kvmtool.sh [options]
#   lab/run --upstream npt=0 --timeout 900 -- tests/lab/kvmtool.sh [options]
#
#   --vcpus N,...   vCPU counts (default 1,2)
#   --timeout S     give up on an lkvm run after S seconds (a hang;
#                   default 300; a boot takes about 10 s)
#   --lkvm PATH     the lkvm to run (default: tests/kvmtool/build --path)
#   --virtio        also a virtio-rng device (lkvm --rng) over PCI, the
#                   guest's virtio modules in its initramfs: the guest
#                   reads 4096 bytes from /dev/hwrng (kvmtool's queue
#                   notifications through ioeventfd, its interrupts MSI-X
#                   through KVM_SIGNAL_MSI or irqfd and GSI routing);
#                   checked: the device is the guest's hwrng and the read
#                   returns all 4096 bytes
#   --out DIR       keep each guest's console (DIR/smpN.console) and the
#                   kernel log's lines of the run (DIR/smpN.dmesg)
#
# Without a kvmtool build it prints one SKIP line and exits 0.
#
# The guest's kernel gets "noxsave": kvmtool hands the guest the CPUID
# that KVM_GET_SUPPORTED_CPUID returns, which under upstream KVM in the
# lab has XSAVE and AVX, and there the guest's kernel warns at boot
# ("XSAVE consistency problem: size 832 != kernel_size 576": CPUID 0xD's
# size does not follow the XCR0 the guest set, under TCG's nested SVM).
# Our module offers no XSAVE (kvm/cpuid.c), so with noxsave both run the
# same guest.
#
# The guest (tests/kvmtool/init) prints its online CPUs, its processor
# count, a checksum computed on each CPU, any warning in its own kernel
# log, the marker "kvmtool-boot-ok", and reboots, which ends lkvm.
# Checked, for each run: lkvm exits 0, the guest's online CPUs are 0..N-1
# and it counts N processors, every CPU's checksum is right, its kernel
# logged no warning, the marker is there, and lkvm says the session ended
# normally.
set -u
cd "$(dirname "$0")/../.."
suite=kvmtool
. tests/lab/lib.sh

vcpus=1,2 timeout=300 lkvm= outdir= virtio=
while [ $# -gt 0 ]; do
	case "$1" in
	--vcpus)	vcpus=$2; shift 2 ;;
	--timeout)	timeout=$2; shift 2 ;;
	--lkvm)		lkvm=$2; shift 2 ;;
	--out)		outdir=$2; shift 2 ;;
	--virtio)	virtio=1; shift ;;
	*)		echo "kvmtool.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

if [ -z "$lkvm" ]; then
	if ! lkvm=$(tests/kvmtool/build --path 2>/dev/null); then
		echo "SKIP: kvmtool: no lkvm build at $(tests/kvmtool/build --dir) (tests/kvmtool/build on the host)"
		exit 0
	fi
fi
[ -x "$lkvm" ] || { fail "no lkvm at $lkvm"; summary; exit; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$outdir" ] || outdir=$tmp/out
mkdir -p "$outdir"
# lkvm keeps its control socket in $HOME/.lkvm/.
export HOME=$tmp

# The guest: Debian's kernel, the lab's own, and an initramfs of a static
# busybox and tests/kvmtool/init.
vmlinuz=$(lab/kernel --vmlinuz)
rd=$tmp/rd
mkdir -p "$rd/bin" "$rd/dev" "$rd/proc" "$rd/sys"
cp /bin/busybox "$rd/bin/busybox"
cp tests/kvmtool/init "$rd/init"
chmod +x "$rd/init"
if [ -n "$virtio" ]; then
	mods=$(lab/kernel --modules)
	mkdir -p "$rd/lib/virtio"
	for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev \
		 virtio/virtio_pci_legacy_dev virtio/virtio_pci char/hw_random/virtio-rng; do
		cp "$mods/kernel/drivers/$m.ko" "$rd/lib/virtio/" ||
			{ fail "no module $m in $mods"; summary; exit; }
		echo "${m##*/}" >> "$rd/lib/virtio/order"
	done
fi
(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp/initrd.gz"

echo "kvmtool.sh: $("$lkvm" version 2>&1) ($(cat "$(dirname "$lkvm")/../commit" 2>/dev/null || echo "commit unknown"))" >&2
echo "kvmtool.sh: guest kernel $vmlinuz" >&2

want_sum=$(seq 1 5000 | md5sum | cut -d' ' -f1)
for n in $(echo "$vcpus" | tr ',' ' '); do
	name=smp$n${virtio:+-virtio}
	log=$outdir/$name.console
	last=$(dmesg | wc -l)
	echo "kvmtool.sh: $name: booting" >&2
	t0=$(now)
	timeout -k 10 "$timeout" "$lkvm" run -k "$vmlinuz" -i "$tmp/initrd.gz" \
		-c "$n" -m 256 --console serial --network mode=none ${virtio:+--rng} --name "kvmtool-$name" \
		-p "console=ttyS0 loglevel=4 noxsave" </dev/null >"$log" 2>&1 &
	pid=$!
	hang_watch $pid $((timeout > 40 ? timeout - 20 : timeout)) $((timeout + 30)) \
		> "$outdir/$name.hang" 2>&1
	if kill -0 $pid 2>/dev/null; then
		# Not even SIGKILL ended it: its threads are stuck in the
		# kernel.
		echo "kvmtool.sh: $name: lkvm outlived SIGKILL" >&2
		rc=137
	else
		wait $pid
		rc=$?
	fi
	t1=$(now)
	tr -d '\r' < "$log" > "$log.txt" && mv "$log.txt" "$log"
	dmesg | tail -n +"$((last + 1))" > "$outdir/$name.dmesg"

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
		pass "$name: lkvm exits 0"
	else
		why=
		[ "$rc" = 124 ] && why=" (timed out after $timeout s)"
		fail "$name: lkvm exits $rc$why"
		ok=
	fi
	online=0
	[ "$n" -gt 1 ] && online=0-$((n - 1))
	check "the guest's online CPUs are $online" "^kvmtool: online $online\$"
	check "the guest counts $n processors" "^kvmtool: processors $n\$"
	c=0
	while [ "$c" -lt "$n" ]; do
		check "cpu$c checksum" "^kvmtool: cpu$c sum $want_sum\$"
		c=$((c + 1))
	done
	if grep -q '^kvmtool: dmesg:' "$log"; then
		fail "$name: the guest's kernel log has warnings"
		grep '^kvmtool: dmesg:' "$log" | sed 's/^/    | /'
		ok=
	else
		pass "$name: no warning in the guest's kernel log"
	fi
	if [ -n "$virtio" ]; then
		check "virtio-rng is the guest's hwrng" '^kvmtool: hwrng virtio_rng\.[0-9]+$'
		check "4096 bytes from virtio-rng" '^kvmtool: hwrng read 4096 bytes$'
		if grep -q '^kvmtool: insmod ' "$log"; then
			fail "$name: a virtio module did not load"
			ok=
		fi
	fi
	check "the guest's marker" '^kvmtool-boot-ok$'
	check "lkvm ends the session normally" 'KVM session ended normally'
	if [ -z "$ok" ]; then
		if [ -s "$outdir/$name.hang" ]; then
			echo "    before the timeout, from the lab:"
			show "$outdir/$name.hang"
		fi
		echo "    lkvm's output's last lines:"
		tail -n 40 "$log" | sed 's/^/    | /'
		if [ -s "$outdir/$name.dmesg" ]; then
			echo "    the lab's kernel log during the run:"
			tail -n 40 "$outdir/$name.dmesg" | sed 's/^/    | /'
		fi
	fi
	grep -E '^kvmtool: (clocksource|irq|hwrng) ' "$log" | sed "s/^kvmtool: /kvmtool.sh: $name: /" >&2
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "time: kvmtool $name wall $wall s"
done
summary
