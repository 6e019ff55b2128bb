#!/bin/bash
# make soak: SOAK_SECONDS (default 600) of mixed memory, fd and timer load with
# process churn, traced on the whole host. Samples the tracer's RSS and CPU
# every second; prints the first, last and peak RSS and the mean CPU, and
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
# Load: allocation programs, fd/timer programs, and churn of short processes.
( while [ $SECONDS -lt $end ]; do build/progs/leaky >/dev/null 2>&1; done ) &
pids+=($!)
( while [ $SECONDS -lt $end ]; do build/progs/fdleaky --dir "$out" >/dev/null 2>&1 || sleep 0.2; done ) &
pids+=($!)
( while [ $SECONDS -lt $end ]; do for _ in $(seq 50); do /bin/true; done; sleep 0.1; done ) &
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
	echo "$n $rss" >>"$out/rss"
	sleep 1
done
t1=$(awk '{print $14 + $15}' /proc/$lt/stat)
kill -INT "$lt"
wait "$lt"
cpu=$(awk -v a="$t0" -v b="$t1" -v c="$clk" -v s="$n" 'BEGIN { printf "%.1f", 100 * (b - a) / c / (s ? s : 1) }')
lost=$(grep '"type":"summary"' "$out/report.jsonl" | tail -1 | python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); print(o["lost_events"], o["events"])')
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
