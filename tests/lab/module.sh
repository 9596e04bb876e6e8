#!/bin/sh
# The module's lab suite, run inside the lab by tests/run:
#
#   lab/run --machine svm|vmx --params mmu=cached -- tests/lab/module.sh
#
# It runs in the project directory, under the svm chroot (dash, kmod) or in
# the vmx initramfs (busybox), so it is plain POSIX sh.  Each check prints
# "PASS: name" or "FAIL: name: why"; tests/run counts them.  It leaves kvm.ko
# loaded with mmu=cached, for lab/run to unload.

ko=kvm/kvm.ko
labtool=tests/lab/bin/labtool
hvhog=tests/lab/hvhog/hvhog.ko
param=/sys/module/kvm/parameters/mmu
failed=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }

# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi
}

loaded() { grep -q "^kvm " /proc/modules; }

# The kernel log lines our module printed since the mark.
mark() { dmesg > /tmp/dmesg.mark; }
new_log() { dmesg | tail -n +"$(($(wc -l < /tmp/dmesg.mark) + 1))"; }

cpus() { ls -d /sys/devices/system/cpu/cpu[0-9]* | sed 's|.*/cpu||'; }

# Whether the CPU has virtualization on.  SVM: EFER.SVME (bit 12), read
# from the hardware.  VMX has no MSR that shows VMXON; there we only see
# the load and unload succeed.
svme() { echo $(( ($($labtool rdmsr "$1" 0xc0000080) >> 12) & 1 )); }
check_svme() { # NAME WANT
	[ "$LAB_MACHINE" = svm ] || return 0
	for c in $(cpus); do
		[ "$(cat /sys/devices/system/cpu/cpu$c/online 2>/dev/null || echo 1)" = 1 ] || continue
		expect "$1: EFER.SVME on CPU $c" "$2" "$(svme "$c")"
	done
}

# ---- as loaded by lab/run --params mmu=cached ----
expect "loaded by lab/run" yes "$(loaded && echo yes || echo no)"
expect "mmu parameter as given" cached "$(cat $param)"
case "$LAB_MACHINE" in
svm) vendor="AMD SVM" ;;
vmx) vendor="Intel VMX" ;;
esac
expect "load message" 1 \
	"$(dmesg | grep -c "kvm: $vendor enabled on all online CPUs, mmu=cached")"
expect "/dev/kvm is character device 10:232" "yes 10:232" \
	"$([ -c /dev/kvm ] && echo yes || echo no) $(printf '%d:%d' 0x$(stat -c %t /dev/kvm) 0x$(stat -c %T /dev/kvm))"
expect "KVM_GET_API_VERSION" 12 "$($labtool api-version 2>&1)"
out=$($labtool ioctl-errno 0xae01 2>&1)
expect "KVM_CREATE_VM with mmu=cached" ok "${out%% *}"
echo tdp > $param
# mmu=tdp runs on AMD NPT (the svm lab's EPYC has it) and on Intel EPT
# (haswell, broadwell, and lynnfield without unrestricted guest: the load
# message says "mmu=tdp on EPT"); refused elsewhere (penryn: no EPT), with
# a line in the kernel log.
case ${LAB_MACHINE-} in
svm)
	out=$($labtool ioctl-errno 0xae01 2>&1)
	expect "KVM_CREATE_VM with mmu=tdp on NPT" ok "${out%% *}" ;;
*)
	if dmesg | grep -q "kvm: Intel VMX, .*mmu=tdp on EPT"; then
		out=$($labtool ioctl-errno 0xae01 2>&1)
		expect "KVM_CREATE_VM with mmu=tdp on EPT" ok "${out%% *}"
	else
		expect "KVM_CREATE_VM with mmu=tdp: refused without EPT" EOPNOTSUPP "$($labtool ioctl-errno 0xae01 2>&1)"
		expect "mmu=tdp refused: the kernel log says why" 1 \
			"$(dmesg | grep -c -m1 "mmu=tdp needs nested paging")"
	fi ;;
esac
echo cached > $param
expect "unknown system ioctl" EINVAL "$($labtool ioctl-errno 0xaeff 2>&1)"
check_svme "loaded" 1

# ---- the parameter at run time ----
echo naive > $param 2>/dev/null
expect "mmu written at run time" naive "$(cat $param)"
echo bogus > $param 2>/dev/null
expect "bogus run-time write refused" 1 "$?"
expect "bogus run-time write leaves the value" naive "$(cat $param)"
echo cached > $param

# ---- unload ----
rmmod kvm
expect "rmmod" 0 "$?"
expect "/dev/kvm gone" no "$([ -e /dev/kvm ] && echo yes || echo no)"
check_svme "unloaded" 0

# ---- each value at load time ----
for v in naive cached tdp; do
	insmod $ko mmu=$v
	expect "insmod mmu=$v" 0 "$?"
	expect "mmu=$v reads back" $v "$(cat $param 2>&1)"
	rmmod kvm
	expect "rmmod after mmu=$v" 0 "$?"
done
insmod $ko
expect "default mmu" cached "$(cat $param 2>&1)"
rmmod kvm

# ---- a bad value ----
mark
insmod $ko mmu=bogus 2>/dev/null
expect "insmod mmu=bogus fails" 1 "$([ $? -ne 0 ] && echo 1 || echo 0)"
expect "mmu=bogus leaves nothing loaded" no "$(loaded && echo yes || echo no)"
expect "mmu=bogus message names the values" 1 \
	"$(new_log | grep -c -m1 "invalid mmu=bogus: valid values are naive, cached, tdp")"

# ---- CPU hotplug (svm machine, 2 CPUs) ----
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	insmod $ko
	echo 0 > /sys/devices/system/cpu/cpu1/online
	expect "CPU 1 offline" 0 "$(cat /sys/devices/system/cpu/cpu1/online)"
	echo 1 > /sys/devices/system/cpu/cpu1/online
	expect "CPU 1 online again" 1 "$(cat /sys/devices/system/cpu/cpu1/online)"
	check_svme "CPU back online" 1
	echo 0 > /sys/devices/system/cpu/cpu1/online
	rmmod kvm
	expect "rmmod with CPU 1 offline" 0 "$?"
	echo 1 > /sys/devices/system/cpu/cpu1/online
	check_svme "CPU online after unload" 0
	insmod $ko
	check_svme "load after hotplug" 1
	rmmod kvm
fi

# ---- another hypervisor holds the CPUs ----
if insmod $hvhog; then
	mark
	insmod $ko 2>/dev/null
	expect "insmod beside another hypervisor fails" 1 "$([ $? -ne 0 ] && echo 1 || echo 0)"
	expect "and says why" 1 "$(new_log | grep -c -m1 'already enabled by another')"
	expect "and leaves nothing loaded" no "$(loaded && echo yes || echo no)"
	rmmod hvhog
else
	fail "insmod hvhog" "cannot load the test module"
fi

insmod $ko mmu=cached
expect "final insmod" 0 "$?"
check_svme "final" 1

[ $failed -eq 0 ]
