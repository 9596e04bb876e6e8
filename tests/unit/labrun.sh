#!/usr/bin/env bash
# Unit tests of lab/run's command line: bad usage is refused before any
# machine boots, with exit status 2 and a message.
cd "$(dirname "$0")/../.."

# refused NAME WANT_MESSAGE ARGS...
refused() {
	local name=$1 msg=$2 got rc
	shift 2
	got=$(lab/run "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$msg" <<<"$got"; then
		echo "PASS: lab/run: $name"
	else
		echo "FAIL: lab/run: $name: status $rc, printed '$got'"
	fi
}

refused "unknown machine" "unknown machine 'arm': use svm or vmx" --machine arm -- true
refused "unknown option" "unknown option --frobnicate" --frobnicate -- true
refused "bad timeout" "--timeout wants seconds" --timeout soon -- true
if lab/run --help | grep -q -- '--upstream P'; then
	echo "PASS: lab/run: --help"
else
	echo "FAIL: lab/run: --help: no usage text"
fi
refused "no interactive vmx" "no interactive console" --machine vmx
