#!/bin/bash
# test_burst.sh - a burst of fd events that the consumer does not read until
# it is over still arrives whole: while a CPU's ring holds more than a quarter
# of its size, syscall records carry a quarter of the stack sample
# (bpf/leaktrace.bpf.c, sys_ring_busy()), half the record's size.
#
# tests/progs/fdburst, pinned to one CPU, opens /dev/null 700 times keeping the
# fds (burst_open) and 1,300 times closing each (churn_open), while leaktrace
# is stopped (SIGSTOP). Its CPU's ring is 2 MiB: 2,000 open records of ~1.2 KiB
# and 1,300 closes would not fit (2.5 MB), and some would be lost; with the
# shorter records (~0.4 KiB) after the first quarter they do (1.3 MB). Exact:
# nothing lost; 700 fds held by
# burst_open, its caller main found through open()'s CFI although the sample
# was short (burst_open alone without frame pointers); nothing left by
# churn_open. Outer frames that lay past a short sample are missing from some
# of those stacks: each such record is counted in lost_stacks.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_burst
need_files test_burst "$LT" "$PROGS/fdburst" "$PROGS/fdburst-nofp"

# 2 MiB per online CPU: --ringbuf-size is the budget of all rings, a power of two.
total=$((2 * 1024 * 1024))
while [ "$total" -lt $((2 * 1024 * 1024 * $(getconf _NPROCESSORS_ONLN))) ]; do
	total=$((total * 2))
done

# PID is stopped (SIGSTOP took effect): state T in /proc/PID/stat.
stopped() { [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" = T ]; }

for b in fdburst fdburst-nofp; do
	t="burst[$b]"
	coproc FB { exec taskset -c 0 "$PROGS/$b" 700 1300; }
	read -r -t 10 -u "${FB[0]}" line
	pid=${line#READY }
	if [ -z "$pid" ] || [ "$pid" = "$line" ]; then
		fail "$t: the program starts" "it printed '$line'"
		kill "$FB_PID" 2>/dev/null
		continue
	fi
	# Not under timeout(1): the SIGSTOP below must reach leaktrace itself.
	"$LT" -p "$pid" --ringbuf-size "$total" -k fd -a 0 -f json -o "$T/$b.json" \
		2>"$T/$b.err" &
	lt=$!
	if ! wait_for 20 lt_attached "$T/$b.err"; then
		fail "$t: leaktrace attaches" "stderr: $(tail_of "$T/$b.err")"
		kill "$lt" "$pid" 2>/dev/null
		wait
		continue
	fi
	kill -STOP "$lt"
	wait_for 5 stopped "$lt" || fail "$t: leaktrace stops" "state: $(cat /proc/"$lt"/stat)"
	kill -USR1 "$pid"
	read -r -t 30 -u "${FB[0]}" line
	kill -CONT "$lt"
	check "$t: the burst ran ($line)" "it printed '$line'" [ "$line" = "DONE 700" ]
	sleep 1 # the consumer reads the ring
	kill -INT "$lt"
	for _ in $(seq 300); do # 30 s for the final report and the detach
		kill -0 "$lt" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$lt" 2>/dev/null
	wait "$lt"
	rc=$?
	kill -USR1 "$pid"
	wait "$FB_PID" 2>/dev/null
	check "$t: leaktrace exits 0" "exit $rc; stderr: $(tail_of "$T/$b.err")" [ "$rc" = 0 ]
	fp=1
	[ "$b" = fdburst-nofp ] && fp=0
	python3 - "$t" "$T/$b.json" "$fp" <<'PY'
import json, sys
name, report, fp = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))

objs = [json.loads(l) for l in open(report) if l.strip()]
final = [o for o in objs if o.get("type") == "summary"][-1:]
if not final:
    res("a final summary", False, "none in %d objects" % len(objs))
    sys.exit(0)
s = final[0]
res("nothing lost (%s)" % json.dumps(
    {k: s.get(k) for k in ("events", "lost_events", "lost_stacks")}),
    s.get("lost_events") == 0, "summary: %s" % json.dumps(s))
def syms(o):
    return [f.get("sym") for f in o.get("frames", [])]
fd = [o for o in objs if o.get("type") == "stack" and o.get("kind") == "fd"]
burst = [(o["count"], syms(o)) for o in fd if syms(o)[:1] == ["burst_open"]]
want = ["burst_open", "main"] if fp else ["burst_open"]
res("700 fds held by burst_open%s" % (", called by main" if fp else ""),
    sum(c for c, _ in burst) == 700 and all(f[:len(want)] == want for _, f in burst),
    "burst_open stacks: %s" % burst)
longest = max((len(f) for _, f in burst), default=0)
cut = sum(c for c, f in burst if len(f) < longest)
res("stacks missing outer frames (%d) are counted in lost_stacks (%s)" % (cut, s.get("lost_stacks")),
    (s.get("lost_stacks") or 0) >= cut, "burst_open stacks: %s" % burst)
if fp:
    # main's callers lie past a 32-word sample: short samples were taken, and said so.
    res("short samples were taken and counted (lost_stacks %s > 0)" % s.get("lost_stacks"),
        (s.get("lost_stacks") or 0) > 0, "summary: %s" % json.dumps(s))
churn = [o["count"] for o in fd if "churn_open" in syms(o)]
res("nothing held by churn_open", not churn, "churn_open stacks: %s" % churn)
PY
	rc=$?
	[ "$rc" = 0 ] || fail "$t: checker" "exit $rc (a report line it could not read?)"
done
