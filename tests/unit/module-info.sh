#!/usr/bin/env bash
# Unit tests of the built kvm/kvm.ko's metadata, read with modinfo.
cd "$(dirname "$0")/../.."
ko=kvm/kvm.ko

# field NAME FIELD WANT: modinfo -F FIELD equals WANT.
field() {
	local got
	got=$(modinfo -F "$2" "$ko" 2>&1)
	if [ "$got" = "$3" ]; then
		echo "PASS: modinfo: $1"
	else
		echo "FAIL: modinfo: $1: want '$3', got '$got'"
	fi
}

field "module name" name kvm
field "license" license GPL
field "no dependencies (no ccp, no irqbypass)" depends ""
field "built for the lab kernel" vermagic \
	"$(lab/kernel --version) SMP preempt mod_unload modversions "
parm=$(modinfo -F parm "$ko" | grep '^mmu:')
for v in naive cached tdp; do
	if grep -q "$v" <<<"$parm"; then
		echo "PASS: modinfo: mmu description names $v"
	else
		echo "FAIL: modinfo: mmu description names $v: '$parm'"
	fi
done
