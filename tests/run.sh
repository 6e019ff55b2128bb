#!/bin/bash
# Run every test: unit test binaries (build/tests/test_*) and integration
# scripts (tests/integration/*.sh). Each prints "PASS: name" / "FAIL: name" lines;
# a binary or script that exits non-zero without reporting a FAIL counts as one.
# Last line: "N passed, N failed".  Usage: tests/run.sh [FILTER]
# TEST_BUILD picks the unit tests' build directory (make test-asan: build-asan).
cd "$(dirname "$0")/.." || exit 1
filter=${1:-}
pass=0 fail=0
log=$(mktemp -d /tmp/leaktrace-test.XXXXXX)
run_one() { # name cmd...
	local name=$1; shift
	local out="$log/$(basename "$name").out" rc p f
	echo "== $name"
	timeout -k 10 300 "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^PASS: ' "$out"); f=$(grep -c '^FAIL: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name exited $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name ran no test"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f))
}
for t in "${TEST_BUILD:-build}"/tests/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	run_one "$t" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	run_one "$t" bash "$t"
done
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
