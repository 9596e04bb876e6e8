#!/usr/bin/env bash
# Unit tests of the instruction emulator, kvm/emulate.c: build it into the
# userspace test program of tests/unit/emulate/ (gcc -Wall -Wextra -Werror,
# ASan and UBSan) and run that; also build it as kernel code when the lab's
# kernel headers are already in .cache/ (make fetches them) or KDIR is set.
#
# One line per check group: "PASS: emulate: ..." or "FAIL: emulate: ...".
# Exits non-zero if anything failed.
cd "$(dirname "$0")/../.."

out=$(mktemp -d "${TMPDIR:-/tmp}/emulate.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0

show() { sed 's/^/    | /' "$1"; }
# The first error or warning in a build log, else its last line.
why() { grep -m1 -iE 'error|warning' "$1" || tail -n1 "$1"; }

# ---- userspace build ----------------------------------------------------
if make -s -C tests/unit/emulate O="$out" > "$out/build.log" 2>&1; then
	echo "PASS: emulate: userspace build (gcc -std=gnu11 -Wall -Wextra -Werror, ASan, UBSan)"
else
	echo "FAIL: emulate: userspace build: $(why "$out/build.log")"
	show "$out/build.log"
	exit 1
fi

# ---- kernel build -------------------------------------------------------
# Without KDIR, only a kernel that lab/kernel has fetched already: a unit
# test does not download 85 MB.
kdir=${KDIR:-}
if [ -z "$kdir" ] && [ -s .cache/kernel/current ] &&
   [ -e ".cache/kernel/$(cat .cache/kernel/current)/.ok" ]; then
	kdir=$(lab/kernel --kdir)
fi
if [ -n "$kdir" ]; then
	k=$out/kbuild
	mkdir -p "$k"
	cp kvm/emulate.c kvm/emulate_decode.c kvm/emulate.h kvm/emulate_priv.h "$k/"
	cat > "$k/user.c" <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0
	#include <linux/module.h>
	#include "emulate.h"
	int emulate_check(struct x86_emu_ctxt *c);
	int emulate_check(struct x86_emu_ctxt *c)
	{
		return x86_emulate(c);
	}
	EXPORT_SYMBOL_GPL(emulate_check);
	MODULE_LICENSE("GPL");
	EOF
	cat > "$k/Kbuild" <<-'EOF'
	ccflags-y := -I$(src) -Werror
	obj-m := emucheck.o
	emucheck-y := user.o emulate.o emulate_decode.o
	EOF
	if make -C "$kdir" M="$k" W=1 modules > "$out/kbuild.log" 2>&1 &&
	   ! grep -qiE 'warning|error' "$out/kbuild.log"; then
		echo "PASS: emulate: kernel build (W=1, -Werror) against $(basename "$kdir")"
	else
		echo "FAIL: emulate: kernel build: $(why "$out/kbuild.log")"
		show "$out/kbuild.log"
		status=1
	fi
else
	echo "SKIP: emulate: kernel build: no kernel headers in .cache/ yet (run make), nor KDIR"
fi

# ---- the tests ----------------------------------------------------------
"$out/test_emulate" > "$out/run.log" 2>&1
rc=$?
cat "$out/run.log"
if [ $rc -ne 0 ]; then
	status=1
	if ! grep -q '^FAIL: ' "$out/run.log"; then
		echo "FAIL: emulate: test program: exit status $rc"
	fi
fi
exit $status
