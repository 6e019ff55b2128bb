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

# Every allocation and free sent (--every-event): the same report; by default
# leaky's churn (malloc/free pairs on one thread) is matched in the kernel and
# counted as short-lived, with --every-event nothing is.
t="mem[leaky --every-event]"
lt_run 60 "$T/ev.out" "$T/ev.err" -T 1000 -f json -o "$T/ev.json" --every-event -c "$PROGS/leaky"
rc=$?
check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/ev.err")" [ "$rc" = 0 ]
check_mem_report "$t" "$T/ev.json" "$T/leaky.expect" "$PROGS/leaky" leaky.c --comm leaky
short_lived() { # REPORT: the final summary's short_lived
	python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([o for o in s if o.get("type")=="summary"][-1]["short_lived"])' "$1" 2>/dev/null
}
n=$(short_lived "$T/leaky.json") m=$(short_lived "$T/ev.json")
# leaky's churn alone frees CHURN_N (10,000) blocks right after making them.
check "mem[leaky]: churn's pairs matched in the kernel (short_lived $n >= 10000)" \
	"summary: $(tail -1 "$T/leaky.json")" [ "${n:-0}" -ge 10000 ]
check "$t: nothing matched in the kernel (short_lived ${m:-none})" \
	"summary: $(tail -1 "$T/ev.json")" [ "$m" = 0 ]

# The last allocation of a thread that then sleeps: sent when it leaves the CPU.
need_files test_mem "$PROGS/sleeper"
"$PROGS/sleeper" --expect >"$T/sl.expect"
t="mem[sleeper -p]"
"$PROGS/sleeper" "$T/sl.go" "$T/sl.ready" &
pid=$!
BG_PIDS+=("$pid")
# Not under timeout(1): SIGINT must reach leaktrace itself; cleanup kills it if need be.
"$LT" -p "$pid" -a 0 -T 1000 -f json -o "$T/sl.json" 1 >"$T/sl.out" 2>"$T/sl.err" &
lt=$!
BG_PIDS+=("$lt")
if wait_for 20 lt_attached "$T/sl.err"; then
	touch "$T/sl.go"
	check "$t: sleeper leaked" "no $T/sl.ready within 10 s" wait_for 10 test -e "$T/sl.ready"
	sleep 1.5 # an interval report while the thread sleeps
	kill -INT "$lt"
	# shellcheck disable=SC2016 # eval expands at run time
	wait_for 15 eval '! kill -0 "$lt" 2>/dev/null' || kill -KILL "$lt" 2>/dev/null
	wait "$lt"
	rc=$?
	check "$t: leaktrace exits 0" "exit $rc; stderr: $(tail_of "$T/sl.err")" [ "$rc" = 0 ]
	python3 - "$t" "$T/sl.json" "$T/sl.expect" <<'PY'
import json, sys
name, report, expect = sys.argv[1:4]
want = json.loads(open(expect).read())
objs = [json.loads(l) for l in open(report) if l.strip()]
# The last report before the final one: taken while the thread slept.
cuts = [i for i, o in enumerate(objs) if o.get("type") == "summary"]
for label, lo, hi in (("an interval report", cuts[-3] + 1 if len(cuts) > 2 else 0,
                       cuts[-2] + 1 if len(cuts) > 1 else 0),
                      ("the final report", cuts[-2] + 1 if len(cuts) > 1 else 0, len(objs))):
    got = [(o["bytes"], o["count"]) for o in objs[lo:hi] if o.get("type") == "stack" and
           o.get("kind") == "mem" and o.get("frames") and o["frames"][0].get("sym") == want["func"]]
    ok = got == [(want["bytes"], want["count"])]
    print(("PASS: %s: %s: %d bytes in %d from %s" % (name, label, want["bytes"], want["count"],
                                                   want["func"])) if ok else
          ("FAIL: %s: %s: %d bytes in %d from %s: got %s (%d reports)" % (
              name, label, want["bytes"], want["count"], want["func"], got, len(cuts))))
PY
else
	fail "$t: attached" "no line matching '$LT_ATTACHED_RE' on stderr within 20 s: $(tail_of "$T/sl.err")"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"

# The same thread, but after its last allocation it runs on alone on a CPU of
# its own (SCHED_FIFO, no syscall): it never leaves the CPU, so the block is
# in a report taken meanwhile only if the tick sent it (HOLD_TICK_NS, 100 ms).
# The thread's context switches since its last malloc must still be 0 at that
# report (else the switch program may have sent it): an attempt where they are
# not proves nothing and is made again, three times at most.
t="mem[sleeper --spin]"
read -r cpu_lt cpu_spin < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')
# spin_attempt N: 0 checked (PASS/FAIL printed), 2 the thread left its CPU, 1 failed.
spin_attempt() {
	local n=$1 pid lt rc n0 n1
	rm -f "$T/sp.go" "$T/sp.ready" "$T/sp.json"
	"$PROGS/sleeper" "$T/sp.go" "$T/sp.ready" --spin "$cpu_spin" 2>"$T/sp.prog" &
	pid=$!
	BG_PIDS+=("$pid")
	# The tracer kept off the spinning thread's CPU.
	taskset -c "$cpu_lt" "$LT" -p "$pid" -a 0 -T 1000 -f json -o "$T/sp.json" 3600 \
		>"$T/sp.out" 2>"$T/sp.err" &
	lt=$!
	BG_PIDS+=("$lt")
	if ! wait_for 20 lt_attached "$T/sp.err"; then
		fail "$t: attached" "no line matching '$LT_ATTACHED_RE' on stderr within 20 s: $(tail_of "$T/sp.err")"
		kill -TERM "$pid" "$lt" 2>/dev/null
		wait "$pid" "$lt" 2>/dev/null
		return 1
	fi
	touch "$T/sp.go"
	if ! wait_for 10 test -s "$T/sp.ready"; then
		fail "$t: sleeper leaked and spins" "no $T/sp.ready within 10 s: $(tail_of "$T/sp.prog")"
		kill -TERM "$pid" "$lt" 2>/dev/null
		wait "$pid" "$lt" 2>/dev/null
		return 1
	fi
	# Two or three ticks while it spins (it spins for 3 s), and the report read as soon as
	# it is out: the kernel switches a SCHED_FIFO spinner out about once a second (RT
	# throttling; on a 2 vCPU EPYC VM the first switch came ~0.7 s after sp.ready,
	# and with four ticks' wait before the report all three attempts saw one).
	sleep 0.25
	kill -USR1 "$lt" # a report now
	# shellcheck disable=SC2016 # eval expands at run time
	WAIT_POLL_MS=20 wait_for 3 eval 'grep -q "\"summary\"" "$T/sp.json"'
	n0=$(cat "$T/sp.ready")
	n1=$(awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }' "/proc/$pid/status")
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	kill -INT "$lt"
	# shellcheck disable=SC2016 # eval expands at run time
	wait_for 15 eval '! kill -0 "$lt" 2>/dev/null' || kill -KILL "$lt" 2>/dev/null
	wait "$lt"
	rc=$?
	check "$t: leaktrace exits 0" "exit $rc; stderr: $(tail_of "$T/sp.err")" [ "$rc" = 0 ]
	if [ "$n0" != "$n1" ]; then
		echo "note: $t: attempt $n: the thread left its CPU ($n0 -> $n1 switches): again"
		return 2
	fi
	python3 - "$t" "$T/sp.json" "$T/sl.expect" <<'PY'
import json, sys
name, report, expect = sys.argv[1:4]
want = json.loads(open(expect).read())
objs = [json.loads(l) for l in open(report) if l.strip()]
cuts = [i for i, o in enumerate(objs) if o.get("type") == "summary"]
got = [(o["bytes"], o["count"]) for o in objs[:cuts[0] + 1 if cuts else 0]
       if o.get("type") == "stack" and o.get("kind") == "mem" and o.get("frames") and
       o["frames"][0].get("sym") == want["func"]]
ok = got == [(want["bytes"], want["count"])]
print(("PASS: %s: a report while it spins, not switched out: %d bytes in %d from %s" % (
    name, want["bytes"], want["count"], want["func"])) if ok else
      ("FAIL: %s: a report while it spins, not switched out: %d bytes in %d from %s: got %s "
       "(%d reports)" % (name, want["bytes"], want["count"], want["func"], got, len(cuts))))
PY
	return 0
}
if [ "$cpu_lt" = "$cpu_spin" ]; then
	fail "$t: two CPUs" "needs two CPUs it may run on (one for the spinning thread): $cpu_lt"
else
	for n in 1 2 3; do
		spin_attempt "$n"
		rc=$?
		[ "$rc" = 2 ] || break
	done
	if [ "$rc" = 2 ]; then
		fail "$t: not switched out" "the thread left its CPU in each of 3 attempts"
	fi
fi
