#!/usr/bin/env bash
# Unit tests of lab/detect, the kernel-log trouble detector that lab/run
# applies to the lab kernel's log after every run.
cd "$(dirname "$0")/../.."

pass() { echo "PASS: detect: $1"; }
fail() { echo "FAIL: detect: $1: $2"; }

# clean NAME LOG: no trouble found, nothing printed.
clean() {
	local got rc
	got=$(printf '%s\n' "$2" | lab/detect)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$got" ]; then pass "$1"; else fail "$1" "status $rc, printed '$got'"; fi
}

# trouble NAME LINE: LINE, among clean lines, is found and printed alone.
trouble() {
	local got rc
	got=$(printf '%s\n' "[    0.1] Linux version 6.1.0" "$2" "[    9.9] kvm: loaded" | lab/detect)
	rc=$?
	if [ $rc -eq 1 ] && [ "$got" = "$2" ]; then pass "$1"; else fail "$1" "status $rc, printed '$got'"; fi
}

clean "the EPYC boot's SRSO line is not trouble" \
'[    0.123] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.'
clean "module taint notes are not trouble" \
'[    5.1] kvm: loading out-of-tree module taints kernel.
[    5.1] kvm: module verification failed: signature and/or required key missing - tainting kernel'
clean "an empty log" ''

trouble "a WARN splat" '[   12.5] WARNING: CPU: 1 PID: 231 at kvm/main.c:42 kvm_init+0x10/0x20 [kvm]'
trouble "the cut-here line" '[   12.5] ------------[ cut here ]------------'
trouble "BUG:" '[   12.5] BUG: unable to handle page fault for address: ffffc90000001000'
trouble "kernel BUG at" '[   12.5] kernel BUG at mm/slub.c:401!'
trouble "a SLUB report" '[   12.5] BUG kmalloc-64 (Tainted: G           OE     ): Poison overwritten'
trouble "an Oops" '[   12.5] Oops: 0002 [#1] PREEMPT SMP NOPTI'
trouble "a general protection fault" '[   12.5] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP'
trouble "a call trace" '[   12.5] Call Trace:'
trouble "a soft lockup" '[   40.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:123]'
trouble "an RCU stall" '[   40.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
trouble "a hung task" '[  240.0] INFO: task rmmod:99 blocked for more than 120 seconds.'
trouble "page poisoning" '[   12.5] pagealloc: memory corruption'
trouble "a panic" '[   12.5] Kernel panic - not syncing: Fatal exception'

# Bochs's log: failed VM entries, counted per message.
bochs() {
	local got rc
	got=$(printf '%s\n' "$2" | lab/detect --bochs)
	rc=$?
	if [ $rc -eq "$3" ] && [ "$got" = "$4" ]; then pass "$1"; else fail "$1" "status $rc, printed '$got'"; fi
}
bochs "a Bochs log without failed entries" \
'00000000000i[      ] Bochs x86 Emulator 2.7
07387805789e[CPU0  ] RDMSR: Unknown register 0xe8' 0 ''
bochs "failed VM entries, counted" \
'01000000001e[CPU0  ] VMFAIL: VMCS EXEC CTRL: VMX pin-based controls allowed 0-settings
01000000002i[CPU0  ] VMEXIT reason = 10 (CPUID) qualification=0x0
01000000003e[CPU0  ] VMENTER FAIL: VMCS guest TR.AR is not busy TSS
01000000004e[CPU0  ] VMFAIL: VMCS EXEC CTRL: VMX pin-based controls allowed 0-settings' 1 \
'Bochs, VMX failure (x2): VMFAIL: VMCS EXEC CTRL: VMX pin-based controls allowed 0-settings
Bochs, VMX failure (x1): VMENTER FAIL: VMCS guest TR.AR is not busy TSS'
bochs "a VMX abort" '02000000000p[CPU0  ] VMABORT: error in VMEXIT loading host MSRs' 1 \
'Bochs, VMX failure (x1): VMABORT: error in VMEXIT loading host MSRs'
