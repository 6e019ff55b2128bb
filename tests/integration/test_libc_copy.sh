#!/bin/bash
# test_libc_copy.sh - a libc that is a copy (another path, another inode) is
# traced like the system one: under -c, and on the whole host for a process
# that starts after leaktrace (found by watching exec).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

SYSLIBC=/lib/x86_64-linux-gnu/libc.so.6
need_root test_libc_copy
need_files test_libc_copy "$LT" "$PROGS/leaky"

mkdir -p "$T/lib"
cp "$SYSLIBC" "$T/lib/libc.so.6"
LIBC=$T/lib/libc.so.6
if [ "$(stat -L -c %d:%i "$SYSLIBC")" = "$(stat -c %d:%i "$LIBC")" ]; then
	fail "libc_copy: setup" "the copy has the same inode as $SYSLIBC"
	exit 1
fi
"$PROGS/leaky" --expect >"$T/expect" || { fail "libc_copy: setup" "leaky --expect failed"; exit 1; }

maps_has_copy() { grep -q " $LIBC\$" "/proc/$1/maps"; }

# Setup check: with LD_LIBRARY_PATH the copy is what the program maps.
LD_LIBRARY_PATH=$T/lib "$PROGS/leaky" --ready-file "$T/ready0" --hold 10 &
pid=$!
BG_PIDS+=("$pid")
if wait_for 5 test -e "$T/ready0" && maps_has_copy "$pid" && ! grep -q " $SYSLIBC\$" "/proc/$pid/maps"; then
	pass "libc_copy: setup: leaky maps the copy, not $SYSLIBC"
else
	fail "libc_copy: setup" "leaky does not map $LIBC: $(grep libc "/proc/$pid/maps" 2>/dev/null | head -2)"
fi
kill -USR1 "$pid" 2>/dev/null
wait "$pid"

# 1. -c: the copy is loaded by the traced command itself.
t="libc_copy[-c]"
lt_run 60 "$T/c.out" "$T/c.err" -T 1000 -f json -o "$T/c.json" \
	-c "env LD_LIBRARY_PATH=$T/lib $PROGS/leaky"
rc=$?
check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/c.err")" [ "$rc" = 0 ]
check_mem_report "$t" "$T/c.json" "$T/expect" "$PROGS/leaky" leaky.c --comm leaky

# 2. Whole host: leaky starts after leaktrace, pauses (so the new libc can be
# picked up at exec), leaks, holds until the final report is taken.
t="libc_copy[host]"
lt_start "$t: attached" h -a 0 -T 1000 -f json -o "$T/h.json" 1
lt=$LT_PID
LD_LIBRARY_PATH=$T/lib "$PROGS/leaky" --pause-before 1 --ready-file "$T/ready" --hold 20 &
pid=$!
BG_PIDS+=("$pid")
if ! wait_for 10 test -e "$T/ready"; then
	fail "$t: leaky ran" "leaky did not finish leaking within 10 s"
	exit 1
fi
check "$t: leaky maps the copied libc" "$(grep libc "/proc/$pid/maps" | head -2)" maps_has_copy "$pid"
sleep 1.5 # at least one interval report holds the leaks too
kill -INT "$lt"
start=$SECONDS
# shellcheck disable=SC2016 # eval expands at run time
if wait_for 15 eval '! kill -0 "$lt" 2>/dev/null'; then
	wait "$lt"
	rc=$?
	check "$t: exits 0 on SIGINT" "exit $rc after $((SECONDS - start)) s; stderr: $(tail_of "$T/h.err")" \
		[ "$rc" = 0 ]
else
	kill -KILL "$lt" 2>/dev/null
	fail "$t: exits 0 on SIGINT" "still running 15 s after SIGINT; stderr: $(tail_of "$T/h.err")"
fi
kill -USR1 "$pid" 2>/dev/null
wait "$pid"
rc=$?
check "$t: leaky exits 0" "exit $rc" [ "$rc" = 0 ]
check_mem_report "$t" "$T/h.json" "$T/expect" "$PROGS/leaky" leaky.c --pid "$pid"
