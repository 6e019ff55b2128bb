#!/bin/bash
# test_order.sh - records from different CPUs are aggregated in the order the
# calls happened (the per-CPU rings are merged by time stamp, user/ring.c).
#
# tests/progs/handoff.c allocates on one CPU and frees on another, the same
# address coming back round after round; it keeps the last block. Read ring by
# ring, a free would be counted against the next allocation at its address
# (unknown frees by the thousand, the kept block gone). Exact: one block of
# handoff --expect's size from alloc_block called by keep_last; as many unknown
# frees as in two rounds (glibc frees one block of its own, unseen, once the
# first mmapped block is gone); nothing lost or reordered. Also with small
# rings, so that the consumer's passes cut the rounds at many places, and with
# handoff --spin: the threads never sleep, so A's allocation is still held in
# the kernel (LT_F_HELD) when B's free of it is sent, and arrives after it;
# and handoff --pingpong: B frees A's held block and gives A back a block at
# the same address, which A frees: that free must not cancel A's held block
# (a 64-byte block from alloc_block <- freer would stay live). Last, a 4 KiB
# ring with every CPU busy: the consumer's wakeups must keep coming (below).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_order
need_files test_order "$LT" "$PROGS/handoff"

if [ "$(nproc)" -lt 2 ]; then
	fail test_order "needs two CPUs (nproc: $(nproc))"
	exit 1
fi
"$PROGS/handoff" --expect >"$T/expect" || { fail test_order "handoff --expect failed"; exit 1; }

# The unknown frees of two rounds: no address comes back across CPUs yet.
lt_run 60 "$T/out" "$T/err" -a 0 -T 1000 -f json -o "$T/base.json" -c "$PROGS/handoff -n 2"
base=$(python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([o for o in s if o.get("type")=="summary"][-1]["unknown_frees"])' "$T/base.json" 2>/dev/null)
check "order[handoff -n 2]: a baseline of unknown frees (${base:-none})" \
	"stderr: $(tail_of "$T/err")" [ -n "$base" ]

for run in 16M: 64K: 16M:--spin 16M:--pingpong; do
	ring=${run%%:*} spin=${run#*:}
	t="order[handoff${spin:+ $spin}, --ringbuf-size $ring]"
	lt_run 60 "$T/out" "$T/err" --ringbuf-size "$ring" -a 0 -T 1000 -f json -o "$T/r.json" \
		-c "$PROGS/handoff $spin -n 3000"
	rc=$?
	check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/err")" \
		[ "$rc" = 0 ]
	python3 - "$t" "$T/r.json" "$T/expect" "$T/out" "${base:-0}" <<'PY'
import json, re, sys
name, report, expect_path, out, base = sys.argv[1:6]
base = int(base)
want = json.loads(open(expect_path).read())

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))

objs = [json.loads(l) for l in open(report) if l.strip()]
final = [o for o in objs if o.get("type") == "summary"][-1:]
m = re.search(r"reused=(\d+) rounds=(\d+)", open(out).read())
reused, rounds = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
res("the address came back in most rounds (%d of %d)" % (reused, rounds),
    rounds > 0 and reused * 2 >= rounds, "handoff printed: %r" % open(out).read()[-200:])
if not final:
    res("a final summary", False, "none in %d objects" % len(objs))
    sys.exit(0)
s = final[0]
res("nothing lost or reordered, unknown frees as in two rounds (%d) (%s)" % (base, json.dumps(
    {k: s.get(k) for k in ("events", "lost_events", "unknown_frees", "reordered")})),
    s.get("lost_events") == 0 and s.get("unknown_frees") == base and s.get("reordered") == 0,
    "summary: %s" % json.dumps(s))
stacks = [o for o in objs if o.get("type") == "stack" and o.get("kind") == "mem" and
          any(f.get("sym") == "alloc_block" for f in o.get("frames", []))]
got = [(o["bytes"], o["count"], [f.get("sym") for f in o.get("frames", [])[:2]]) for o in stacks]
res("exactly the kept block: %d bytes in 1, alloc_block <- keep_last" % want["bytes"],
    got == [(want["bytes"], want["count"], ["alloc_block", "keep_last"])],
    "mem stacks: %s" % got)
PY
	rc=$?
	[ "$rc" = 0 ] || fail "$t: checker" "exit $rc (a report line it could not read?)"
done

# A 4 KiB ring with every CPU busy, so that the consumer falls behind: a
# wakeup is due every few records, and the programs, which look at a ring's
# fill only every so many bytes, must go on seeing it fall below half the mark
# to force the next one. When they looked every 16th record, the ring was
# never seen that low again, no wakeup came after the first, and the records
# waited for the consumer's 100 ms poll: 55-90% of them lost (0-3% since, as
# with a look at every record: a starved consumer on so small a ring can lose
# a few, and every loss is counted).
t="order[handoff, --ringbuf-size 4K, every CPU busy]"
for _ in $(seq "$(nproc)"); do
	( while :; do :; done ) &
	BG_PIDS+=($!)
done
lt_run 60 "$T/out" "$T/err" --ringbuf-size 4K -a 0 -T 1000 -f json -o "$T/busy.json" \
	-c "$PROGS/handoff -n 3000"
rc=$?
for p in "${BG_PIDS[@]}"; do
	kill -KILL "$p" 2>/dev/null
done
BG_PIDS=()
check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/err")" [ "$rc" = 0 ]
python3 - "$t" "$T/busy.json" <<'PY'
import json, sys
name, report = sys.argv[1:3]
objs = [json.loads(l) for l in open(report) if l.strip()]
final = [o for o in objs if o.get("type") == "summary"][-1:]
s = final[0] if final else {}
ev, lost = s.get("events", 0), s.get("lost_events", -1)
ok = ev > 0 and 0 <= lost and lost * 5 < ev + lost
print(("PASS: %s: under a fifth of the records lost (%d of %d)" % (name, lost, ev + lost)) if ok
      else ("FAIL: %s: under a fifth of the records lost: summary %s" % (name, json.dumps(s))))
PY
rc=$?
[ "$rc" = 0 ] || fail "$t: checker" "exit $rc (a report line it could not read?)"
