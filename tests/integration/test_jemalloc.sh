#!/bin/bash
# test_jemalloc.sh - an allocator named with --obj is traced like libc's.
#
# tests/progs/jeleak.c runs with jemalloc preloaded; `leaktrace --obj
# libjemalloc.so.2 -c ...` must report its leaks exactly by frames[0].sym,
# including reallocarray, which is glibc's and calls jemalloc's realloc inside
# (one allocation, charged to the caller of reallocarray).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

JE=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
need_root test_jemalloc
need_files test_jemalloc "$LT" "$PROGS/jeleak" "$PROGS/jeleak-nofp"
if [ ! -f "$JE" ]; then
	fail test_jemalloc "$JE missing (install libjemalloc2: make deps)"
	exit 1
fi

for b in jeleak jeleak-nofp; do
	t="jemalloc[$b]"
	if ! LD_PRELOAD=$JE "$PROGS/$b" --require-jemalloc --expect >"$T/$b.expect"; then
		fail "$t: expect" "$b does not run on jemalloc (LD_PRELOAD=$JE)"
		continue
	fi
	lt_run 60 "$T/$b.out" "$T/$b.err" --obj "$JE" -T 1000 -f json -o "$T/$b.json" \
		-c "env LD_PRELOAD=$JE $PROGS/$b --require-jemalloc"
	rc=$?
	check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/$b.err")" \
		[ "$rc" = 0 ]
	check_mem_report "$t" "$T/$b.json" "$T/$b.expect" "$PROGS/$b" jeleak.c --comm "$b"
done
