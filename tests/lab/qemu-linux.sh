#!/bin/sh
# tests/lab/qemu-linux.sh: run Debian's QEMU on /dev/kvm to boot Debian's
# kernel with a small initramfs (tests/lab/qemu/init). Prototype.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
tmp=$(mktemp -d)
mkdir -p "$tmp/rd/bin" "$tmp/rd/proc" "$tmp/rd/sys" "$tmp/rd/dev"
cp /bin/busybox "$tmp/rd/bin/busybox"
cp tests/lab/qemu/init "$tmp/rd/init"
(cd "$tmp/rd" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp/rd.gz"
vmlinuz=$(ls .cache/kernel/*/root/boot/vmlinuz-* | head -1)
smp=${SMP:-1}
if [ -n "${SAMPLE:-}" ]; then
	( while sleep ${SAMPLE}; do
		for d in /sys/kernel/debug/kvm/*-*/; do
			echo "== sample $d"; sort -k2 -n -r "$d/exits" | grep -v vcpu | head -12 | tr '\n' ' '; echo
			grep -E "^(pf_|cr3|invlpg|shadow|zapped|created|pte_writes|unprotected|flooded)" "$d/mmu" | tr '\n' ' '; echo
		done
	done ) &
fi
time qemu-system-x86_64 -accel kvm -M pc,kernel_irqchip=off -cpu qemu64 -smp "$smp" -m 256M \
	-nodefaults -serial stdio -nographic -no-reboot \
	-kernel "$vmlinuz" -initrd "$tmp/rd.gz" -append "console=ttyS0 panic=-1 ${APPEND:-}" </dev/null
echo "qemu rc $?"
