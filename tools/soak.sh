#!/bin/bash
# make soak: SOAK_SECONDS (default 600) of mixed memory, fd and timer load with
# process churn (SOAK_PAUSE seconds between runs, default 0.1), traced on the
# whole host. Samples the tracer's RSS and CPU
# every second; prints a table per minute (RSS at its end, CPU over it, events
# and lost events reported), the first, last and peak RSS and the mean CPU, and
# fails if RSS at the end is more than SOAK_RSS_SLACK_KB (default 8192) above
# its value after the first minute (the tracer must not grow with time).
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${SOAK_SECONDS:-600}
slack=${SOAK_RSS_SLACK_KB:-8192}
out=$(mktemp -d /tmp/leaktrace-soak.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

build/leaktrace -f json -o "$out/report.jsonl" -a 5s 10 2>"$out/err" &
lt=$!
pids+=("$lt")
for _ in $(seq 100); do grep -q '^leaktrace: tracing' "$out/err" && break; sleep 0.1; done
grep -q '^leaktrace: tracing' "$out/err" || { echo "FAIL: soak: tracer did not start"; exit 1; }

end=$((SECONDS + secs))
# Load: allocation programs, fd/timer programs, and churn of short processes,
# back to back with short pauses: a busy host the consumer keeps up with (the
# same loops without pauses outrun one consumer on 2 cores: see the README).
pause=${SOAK_PAUSE:-0.1}
( while [ $SECONDS -lt $end ]; do build/progs/leaky >/dev/null 2>&1; sleep "$pause"; done ) &
pids+=($!)
# fdleaky's churn (tens of thousands of opens and closes in a burst) is run
# every 2 s: back to back it outruns the consumer on 2 cores (see the README).
( while [ $SECONDS -lt $end ]; do build/progs/fdleaky --dir "$out" >/dev/null 2>&1; sleep 2; done ) &
pids+=($!)
( while [ $SECONDS -lt $end ]; do for _ in $(seq 20); do /bin/true; done; sleep "$pause"; done ) &
pids+=($!)

clk=$(getconf CLK_TCK)
t0=$(awk '{print $14 + $15}' /proc/$lt/stat)
first=0 last=0 peak=0 at60=0 n=0
while [ $SECONDS -lt $end ] && kill -0 "$lt" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$lt/status)
	[ "$first" = 0 ] && first=$rss
	[ "$rss" -gt "$peak" ] && peak=$rss
	n=$((n + 1))
	[ "$n" = 60 ] && at60=$rss
	last=$rss
	echo "$n $rss $(awk '{print $14 + $15}' /proc/$lt/stat)" >>"$out/rss"
	sleep 1
done
t1=$(awk '{print $14 + $15}' /proc/$lt/stat)
kill -INT "$lt"
wait "$lt"
cpu=$(awk -v a="$t0" -v b="$t1" -v c="$clk" -v s="$n" 'BEGIN { printf "%.1f", 100 * (b - a) / c / (s ? s : 1) }')
lost=$(grep '"type":"summary"' "$out/report.jsonl" | tail -1 | python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); print(o["lost_events"], o["events"])')
# Per minute: RSS at its end, CPU over it, events and lost events of the last report in it.
python3 - "$out/rss" "$out/report.jsonl" "$clk" <<'PY'
import json, sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if len(l.split()) == 3]
sums = []
for l in open(sys.argv[2]):
    try:
        o = json.loads(l)
    except ValueError:
        continue
    if o.get("type") == "summary":
        sums.append((o["events"], o["lost_events"]))
clk = int(sys.argv[3])
print("| minute | tracer RSS (kB) | tracer CPU (% of a core) | events (cumulative) | lost events |")
print("|---|---|---|---|---|")
prev = rows[0] if rows else None
for m in range(1, len(rows) // 60 + 1):
    end = rows[m * 60 - 1]
    cpu = 100.0 * (end[2] - prev[2]) / clk / max(1, end[0] - prev[0])
    ev = sums[min(len(sums), m * 6) - 1] if sums else ("?", "?")
    print(f"| {m} | {end[1]} | {cpu:.1f} | {ev[0]} | {ev[1]} |")
    prev = end
PY
echo "soak: ${n}s; tracer RSS first ${first} kB, after 60 s ${at60} kB, last ${last} kB, peak ${peak} kB; CPU ${cpu}% of a core; lost/events: ${lost}"
base=${at60:-$first}
[ "$base" = 0 ] && base=$first
if [ "$last" -gt $((base + slack)) ]; then
	echo "FAIL: soak: tracer RSS grew from ${base} kB to ${last} kB"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "PASS: soak: tracer RSS flat within ${slack} kB"
echo "1 passed, 0 failed"
