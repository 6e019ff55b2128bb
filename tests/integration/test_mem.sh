#!/bin/bash
# test_mem.sh - leaks through every allocator function are reported exactly.
#
# For each build of tests/progs/leaky.c (frame pointers and not), run it under
# `leaktrace -c` and compare the final JSON report, grouped by frames[0].sym,
# with the program's own --expect table: exact bytes and counts per leaking
# function, no stack for the functions that free everything (churn, failed
# calls), frames[0] in the leaky binary at leaky.c:line.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_mem
need_files test_mem "$LT" "$PROGS/leaky" "$PROGS/leaky-nofp"

for b in leaky leaky-nofp; do
	t="mem[$b]"
	if ! "$PROGS/$b" --expect >"$T/$b.expect"; then
		fail "$t: expect" "$b --expect failed (its self-check)"
		continue
	fi
	lt_run 60 "$T/$b.out" "$T/$b.err" -T 1000 -f json -o "$T/$b.json" -c "$PROGS/$b"
	rc=$?
	check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/$b.err")" \
		[ "$rc" = 0 ]
	check "$t: nothing on stdout with -o" "stdout: $(tail_of "$T/$b.out" 3)" \
		[ ! -s "$T/$b.out" ]
	check_mem_report "$t" "$T/$b.json" "$T/$b.expect" "$PROGS/$b" leaky.c --comm "$b"
done
