#!/usr/bin/env bash
# Unit test of the MMU strategies against the reference checker of
# tests/unit/mmu/ (see its README.md): the strategies' real sources built
# in userspace (gcc -Wall -Wextra -Werror, ASan, UBSan), run on random
# guest operations, every access compared with a model of x86 paging;
# then the checker itself is checked with planted bugs (mutants.py).
#
# One line per check: "PASS: mmu: ..." or "FAIL: mmu: ...".  Exits
# non-zero if anything failed.
cd "$(dirname "$0")/../.."

# The strategies checked (MMU_STRATEGIES=naive checks one).  tdp runs on
# the two-dimensional hardware of tests/unit/mmu/hw_tdp.c; cached runs
# with out-of-sync pages (its default) and, as cached-sync, without
# (cached_unsync=0: every shadowed table write-protected).
STRATEGIES=${MMU_STRATEGIES:-naive cached cached-sync tdp}
# The strategy of a check: cached-sync is cached's.
strategy() { echo "${1%%-*}"; }
# The fixed runs of every strategy, SEED:VCPUS, and their length in
# operations.
RUNS="1:1 2:2 3:1 4:2 5:1 6:2"
OPS=20000
# Known strategy bugs (tests/unit/mmu/README.md, "Known bugs"): the runs
# above and the mutants stay out of them; one more check per bug says
# whether it is still there.  Drop a bug from here once it is fixed.
KNOWN=""
# Limits accepted by design (README.md, "Known bugs"), always avoided:
# implicit-ac, an implicit supervisor access (descriptor tables) to a user
# page at CPL 0 with RFLAGS.AC=1 under SMAP.  The hardware's error code
# does not tell it from an explicit one, which SMAP allows; the strategy
# sets the A/D bits (or, for MMIO, emulates) before the hardware refuses.
ACCEPTED="implicit-ac"
# ... except under nested paging (tdp), where the hardware walks the
# guest's tables itself, SMAP included, before any exit.
accepted() { [ "$1" = tdp ] || echo "$ACCEPTED"; }
KNOWN_RUNS="1:1 1:2 2:1 2:2 3:1 3:2 4:1 4:2 5:1 5:2"
# Planted bugs (in naive, cached and tdp) too, unless MMU_MUTANTS=0.
MUTANTS=${MMU_MUTANTS:-1}

out=$(mktemp -d "${TMPDIR:-/tmp}/mmu.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
jobs=$(nproc 2>/dev/null || echo 2)

show() { sed 's/^/    | /' "$1"; }
why() { grep -m1 -iE 'error|warning' "$1" || tail -n1 "$1"; }
# The words of $1, comma-separated; minus $2.
commas() { local w l=; for w in $1; do [ "$w" = "${2:-}" ] || l+=${l:+,}$w; done; echo "$l"; }

# ---- build -------------------------------------------------------------
built=$(for s in $STRATEGIES; do strategy "$s"; done | sort -u | tr '\n' ' ')
if make -s -j"$jobs" -C tests/unit/mmu O="$out" STRATEGIES="$built" \
	> "$out/build.log" 2>&1; then
	msr=$(make -s -C tests/unit/mmu flags O="$out" | sed -n 's/^MSR_INDEX=//p')
	[ -n "$msr" ] && msr="the kernel headers" || msr="the shim"
	echo "PASS: mmu: userspace build of the strategies and the checker" \
	     "(gcc -Wall -Wextra -Werror, ASan, UBSan; asm/msr-index.h from $msr)"
else
	echo "FAIL: mmu: userspace build: $(why "$out/build.log")"
	show "$out/build.log"
	exit 1
fi

# Module parameters per strategy: cached runs with its smallest cache,
# so that reclaim happens all the time, and with its audit on, which
# checks the whole shadow at every root load (a mismatch is a pr_err(),
# which fails the run).  tdp needs none: the checker audits its nested
# table after every operation (tdp_check()).
params() {
	case $1 in
	cached) echo "--param cached_max_pages=128 --param cached_audit=1" ;;
	cached-sync) echo "$(params cached) --param cached_unsync=0" ;;
	esac
}

# run NAME AVOID SEED:VCPUS: one checker run, output in $out/NAME.SEED.VCPUS.
run() {
	local seed=${3%:*} vcpus=${3#*:}
	timeout 600 "$out/mmucheck" --strategy "$(strategy "$s")" $(params "$s") --seed "$seed" \
		--ops "$OPS" --vcpus "$vcpus" ${2:+--avoid "$2"} $extra \
		> "$out/$1.$seed.$vcpus" 2>&1
	echo $? > "$out/$1.$seed.$vcpus.rc"
}

# More options for run(): --dirty-log for the dirty-log runs.
extra=

# runs NAME AVOID [RUNS] [STOP]: every run of RUNS (default $RUNS), $jobs
# at a time; with STOP, none after a batch in which one failed.
runs() {
	local r n=0 list=${3:-$RUNS}
	for r in $list; do
		run "$1" "$2" "$r" &
		if [ $((++n % jobs)) -eq 0 ]; then
			wait
			[ -n "${4:-}" ] && grep -qv '^0$' "$out/$1".*.rc 2>/dev/null && return
		fi
	done
	wait
}

# judge NAME LABEL WHAT: the fixed runs NAME: a PASS line saying WHAT, or
# a FAIL line per failed run; non-zero if one failed.
judge() {
	local r f line bad=0
	for r in $RUNS; do
		f=$out/$1.${r%:*}.${r#*:}
		if [ "$(cat "$f.rc")" != 0 ]; then
			bad=1
			line=$(grep -m1 '^FAIL: ' "$f" | sed 's/^FAIL: mmucheck: [^:]*: //')
			echo "FAIL: mmu: $2: seed ${r%:*}, ${r#*:} vCPU(s):" \
			     "${line:-exit status $(cat "$f.rc")}"
			show "$f"
		fi
	done
	[ $bad = 0 ] && echo "PASS: mmu: $2: $(echo $RUNS | wc -w) runs of $OPS operations," \
			     "1 and 2 vCPUs, $3"
	return $bad
}

# How a strategy is checked, for its PASS lines.
how() {
	case $1 in
	tdp) echo " (nested paging on hw_tdp.c's hardware, the nested table audited after every operation)" ;;
	cached) echo " (out-of-sync pages and prefetch on)" ;;
	cached-sync) echo " (cached_unsync=0: every shadowed table write-protected)" ;;
	esac
}

# ---- the fixed runs ------------------------------------------------------
naive_ok=0
# Strategies failing their fixed runs: their mutants would prove nothing.
broken=
for s in $STRATEGIES; do
	runs "$s" "$(commas "$KNOWN $(accepted "$s")")"
	if judge "$s" "$s" "every access as the model says$(how "$s")"; then
		[ "$s" = naive ] && naive_ok=1
	else
		status=1
		broken+=" $s"
	fi
	# The same with dirty logging (mmucheck --dirty-log): no write missed.
	extra=--dirty-log
	runs "$s.dirty" "$(commas "$KNOWN $(accepted "$s")")"
	extra=
	judge "$s.dirty" "$s: dirty log" \
		"every access as the model says$(how "$s"), every write in the dirty log and nothing else" ||
		{ status=1; broken+=" $s"; }
	# tdp logs by the nested D bits; without them (EPT without A/D), by
	# write faults, as the shadow strategies do.
	if [ "$s" = tdp ]; then
		extra="--dirty-log --no-tdp-ad"
		runs "$s.dirty-wp" "$(commas "$KNOWN $(accepted "$s")")"
		extra=
		judge "$s.dirty-wp" "$s: dirty log by write faults (no hardware D bits)" \
			"every access as the model says$(how "$s"), every write in the dirty log and nothing else" ||
			{ status=1; broken+=" $s"; }
	fi

	# Is each known bug still there?  Up to $KNOWN_RUNS runs tell.
	for k in $KNOWN; do
		runs "$s.$k" "$(commas "$KNOWN $(accepted "$s")" "$k")" "$KNOWN_RUNS" stop
		hit=
		for r in $KNOWN_RUNS; do
			f=$out/$s.$k.${r%:*}.${r#*:}
			if [ -e "$f.rc" ] && [ "$(cat "$f.rc")" != 0 ]; then
				hit=$f
				break
			fi
		done
		if [ -n "$hit" ]; then
			status=1
			echo "FAIL: mmu: $s: known bug $k is still there:" \
			     "$(grep -m1 '^FAIL: ' "$hit" | sed 's/^FAIL: mmucheck: //')"
			grep -m1 -A4 '^FAIL: ' "$hit" | tail -n +2 | sed 's/^/    | /'
			grep -m1 '^    rerun:' "$hit" | sed 's/^/    | /'
		else
			echo "PASS: mmu: $s: no sign of known bug $k in" \
			     "$(echo $KNOWN_RUNS | wc -w) runs (drop it from KNOWN in $0)"
		fi
	done
done

# ---- planted bugs (in naive and what it shares, cached, tdp) ---------------
if [ "$MUTANTS" = 1 ] && [ $naive_ok = 0 ]; then
	echo "FAIL: mmu: mutants: not run, naive fails the fixed runs (or is not in STRATEGIES)"
	status=1
elif [ "$MUTANTS" = 1 ]; then
	python3 tests/unit/mmu/mutants.py "$out" --seeds "$RUNS" --ops "$OPS" \
		--jobs "$jobs" --avoid "$(commas "$KNOWN $ACCEPTED")" --skip-baseline \
		--skip-strategies "$broken" > "$out/mutants.log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL): ' "$out/mutants.log"
	if [ $rc -ne 0 ]; then
		status=1
		grep -q '^FAIL: ' "$out/mutants.log" ||
			{ echo "FAIL: mmu: mutants: exit status $rc"; show "$out/mutants.log"; }
	fi
fi
exit $status
