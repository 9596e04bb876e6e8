#!/usr/bin/env bash
# Unit tests of analysis/ (the trace parser, statistics, tables and gnuplot
# scripts): python3 -m unittest discover -s analysis/tests, on the runs
# recorded in the lab in analysis/tests/data/recorded/ and the LTTng-UST
# trace in analysis/tests/data/ctf-ust/.  Standard library, and
# babeltrace2's bindings for CTF; plots are rendered only where gnuplot
# is installed (else a SKIP line).
#
# One line per test: "PASS: analysis: ...", "FAIL: analysis: ..." or
# "SKIP: analysis: ...".  Exits non-zero if anything failed.
cd "$(dirname "$0")/../.."

out=$(mktemp -d "${TMPDIR:-/tmp}/analysis.XXXXXX")
trap 'rm -rf "$out"' EXIT

if ! command -v python3 > /dev/null; then
	echo "FAIL: analysis: no python3"
	exit 1
fi

python3 -m unittest discover -v -s analysis/tests > "$out/run.log" 2>&1
rc=$?

# "test_x (test_analysis.TestY.test_x) ... ok|FAIL|ERROR|skipped '...'"
awk '
/^test_[A-Za-z0-9_]+ \([A-Za-z0-9_.]+\) \.\.\. / {
	name = $1; cls = $2; gsub(/[()]/, "", cls); n = split(cls, p, ".")
	what = p[n - 1] "." name
	res = $0; sub(/^.* \.\.\. /, "", res)
	if (res == "ok")                 print "PASS: analysis: " what
	else if (res ~ /^skipped/)       { sub(/^skipped /, "", res); print "SKIP: analysis: " what ": " res }
	else if (res == "expected failure") print "PASS: analysis: " what " (expected failure)"
	else                             print "FAIL: analysis: " what ": " res
}' "$out/run.log"

if [ $rc -ne 0 ]; then
	if ! grep -qE ' \.\.\. (FAIL|ERROR)$' "$out/run.log"; then
		echo "FAIL: analysis: python3 -m unittest: exit status $rc"
	fi
	# The tracebacks, after the per-test lines.
	sed -n '/^=\{20,\}$/,$p' "$out/run.log" | sed 's/^/    | /'
fi
exit $rc
