# SPDX-License-Identifier: GPL-2.0
#
# tests/lab/lib.sh: what the lab's test scripts share.  Set suite (the
# word after "PASS:" and "FAIL:") and source this file.

passed=0
failed=0

# mmu_select STRATEGY: what a VM created next runs on.  STRATEGY is a
# value of the module's mmu= parameter, or cached-sync: cached with
# cached_unsync=0 (every shadowed table write-protected, KVM's 2007
# design); any other puts cached_unsync back to 1.  Non-zero if the
# parameters could not be set.
mmu_select() {
	_mmu=$1 _unsync=1
	[ "$_mmu" = cached-sync ] && _mmu=cached _unsync=0
	echo "$_mmu" > /sys/module/kvm/parameters/mmu 2>/dev/null &&
		[ "$(cat /sys/module/kvm/parameters/mmu)" = "$_mmu" ] || return 1
	[ -e /sys/module/kvm/parameters/cached_unsync ] || return 0
	echo "$_unsync" > /sys/module/kvm/parameters/cached_unsync 2>/dev/null
}

pass() { echo "PASS: $suite $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $suite $1"; failed=$((failed + 1)); }
show() { sed 's/^/    | /' "$1"; }

# compare NAME WHAT GOT WANT: two "NAME COUNT" lists (or counts), sorted.
compare() {
	sort "$3" > "$3.s"
	sort "$4" > "$4.s"
	if [ -s "$3.s" ] && cmp -s "$3.s" "$4.s"; then
		pass "$1: $2 agree ($(wc -l < "$3.s") lines)"
	else
		fail "$1: $2 differ (trace, then counters)"
		show "$3.s"
		echo "    --"
		show "$4.s"
	fi
}

# The last line: "N passed, N failed"; the status: 0 if nothing failed.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

now() { cut -d' ' -f1 /proc/uptime; }
# since T0: whole seconds from the uptime T0 to now.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", b - a }'; }

# hang_watch PID SECONDS GIVEUP: if PID (timeout(1) running QEMU or lkvm)
# still runs after SECONDS, print what a hang looks like from the host,
# twice, 10 s apart: each VMM thread's state, CPU time and kernel stack, each
# VM's exit and MMU counters (debugfs kvm/PID-FD/), then the blocked tasks
# (sysrq w) and the end of the kernel log.  Returns when PID has ended, or
# after GIVEUP seconds: a QEMU stuck in the kernel may outlive SIGKILL.
hang_watch() {
	# Seconds by the clock: on a loaded lab a "sleep 5" takes longer.
	start=$(now) w=0 dumped=
	while kill -0 "$1" 2>/dev/null && [ "$w" -lt "$3" ]; do
		if [ "$w" -ge "$2" ] && [ -z "$dumped" ]; then
			dumped=1
			for round in 1 2; do
				echo "== after $w s (uptime $(now))"
				for p in $(pgrep -P "$1"); do
					for t in /proc/"$p"/task/*; do
						echo "-- $t $(cat "$t/comm"): $(cut -d' ' -f3,14,15 "$t/stat") (state, utime, stime)"
						sed 's/^/     /' "$t/stack" 2>/dev/null
					done
				done
				# Last: a deadlocked VM could block these reads.
				for d in /sys/kernel/debug/kvm/*/; do
					[ -d "$d" ] || continue
					echo "-- $d"
					timeout 5 cat "$d/exits" "$d/mmu" 2>&1
				done
				if [ "$round" = 2 ]; then
					# The blocked tasks' stacks, from the kernel.
					echo w > /proc/sysrq-trigger
					echo "-- the kernel log's last lines"
					dmesg | tail -n 150
				else
					sleep 10
					w=$(since "$start")
				fi
			done
		fi
		sleep 5
		w=$(since "$start")
	done
}
