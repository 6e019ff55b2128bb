#!/bin/bash
# Output formats of one real run: folded sums to the JSON totals and keeps its
# grammar; a delta report after a second round of leaks shows only that round.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_root "outputs"
need_files "outputs" "$LT" "$PROGS/leaky" "$PROGS/rounds"

# Folded and JSON of the same program: the same totals, the folded grammar.
"$LT" -T 1000 -k mem -c "$PROGS/leaky" -f json -o "$T/r.json" 2>"$T/e1"
"$LT" -T 1000 -k mem -c "$PROGS/leaky" -f folded -o "$T/r.folded" 2>"$T/e2"
python3 - "$T/r.json" "$T/r.folded" <<'PY'
import json, re, sys
js = [json.loads(l) for l in open(sys.argv[1])]
mem = sum(o["bytes"] for o in js if o["type"] == "stack" and o["kind"] == "mem")
lines = open(sys.argv[2], encoding="utf-8", errors="strict").read().splitlines()
bad = [l for l in lines if not re.fullmatch(r"(.*) ([0-9]+)", l)
       or "" in l.rsplit(" ", 1)[0].split(";")]
total = sum(int(l.rsplit(" ", 1)[1]) for l in lines if re.fullmatch(r"(.*) ([0-9]+)", l))
def res(name, ok, why):
    print(("PASS: outputs: %s" % name) if ok else ("FAIL: outputs: %s: %s" % (name, why)))
res("folded lines match '^(.*) ([0-9]+)$' with no empty frame", lines and not bad,
    "%d lines, bad: %r" % (len(lines), bad[:3]))
res("folded values sum to the JSON mem bytes", total == mem, "folded %d, json %d" % (total, mem))
res("folded roots are comm-pid", all(re.match(r"leaky-[0-9]+;", l) for l in lines),
    repr(lines[:2]))
PY

# Delta: a report after the second round shows only the second round.
rm -f "$T"/go1 "$T"/go2
"$PROGS/rounds" "$T/go1" "$T/ready1" "$T/go2" "$T/ready2" &
prog=$!
BG_PIDS+=("$prog")
timeout -k 5 60 "$LT" -p "$prog" --delta -a 0 -T 100 -f json -o "$T/d.json" 0.5 2>"$T/e3" &
lt=$!
BG_PIDS+=("$lt")
wait_for 20 lt_attached "$T/e3" || fail "outputs: delta run" "not attached: $(tail_of "$T/e3")"
touch "$T/go1"
wait_for 10 test -e "$T/ready1"
sleep 1.5
touch "$T/go2"
wait_for 10 test -e "$T/ready2"
sleep 1.5
kill -INT "$lt"
wait "$lt"
kill "$prog" 2>/dev/null
wait "$prog" 2>/dev/null
python3 - "$T/d.json" <<'PY'
import json, sys
reports, cur = [], []
for l in open(sys.argv[1]):
    o = json.loads(l)
    cur.append(o)
    if o["type"] == "summary":
        reports.append(cur)
        cur = []
def gains(rep):
    g = {}
    for o in rep:
        if o["type"] == "stack" and o["kind"] == "mem" and o["frames"]:
            f = o["frames"][0].get("sym")
            b = g.setdefault(f, [0, 0])
            b[0] += o["bytes"]
            b[1] += o["count"]
    return g
all_gains = [gains(r) for r in reports]
def res(name, ok, why):
    print(("PASS: outputs: %s" % name) if ok else ("FAIL: outputs: %s: %s" % (name, why)))
res("delta reports say delta", reports and all(r[-1].get("delta") is True for r in reports),
    "%d reports" % len(reports))
one = [g for g in all_gains if "round_one" in g]
two = [i for i, g in enumerate(all_gains) if "round_two" in g]
res("round one appears in exactly one delta report, exactly",
    len(one) == 1 and one[0]["round_one"] == [1000, 10], repr(one))
res("the report with round two shows only round two, exactly",
    len(two) == 1 and all_gains[two[0]].get("round_two") == [2100, 7]
    and "round_one" not in all_gains[two[0]], repr([all_gains[i] for i in two]))
res("reports after round two show no gain of either round",
    bool(two) and all("round_one" not in g and "round_two" not in g
                      for g in all_gains[two[0] + 1:]), repr(all_gains[two[0] + 1:] if two else []))
PY

# A hostile process name (from the executable's name): escape, ';', newline,
# quote, invalid UTF-8. Text shows no raw control byte, JSON parses with a real
# parser and keeps the name, folded keeps its grammar.
weird=$(printf '%s/\033[31m;"a\nb\377' "$T")
cp "$PROGS/leaky" "$weird"
for fmt in text json folded; do
	# Single-quoted for the shell -c hands it to (the name has no single quote).
	"$LT" -T 1000 -k mem -c "'$weird'" -f "$fmt" -o "$T/w.$fmt" 2>"$T/w.err"
done
python3 - "$T/w.text" "$T/w.json" "$T/w.folded" <<'PY'
import json, re, sys
def res(name, ok, why):
    print(("PASS: outputs: %s" % name) if ok else ("FAIL: outputs: %s: %s" % (name, why)))
text = open(sys.argv[1], "rb").read()
ctrl = [b for b in text if b < 0x20 and b not in (0x09, 0x0a)] + [b for b in text if b == 0x7f]
res("hostile comm: text has no raw control byte", not ctrl and b"\\x1b" in text,
    "control bytes %r" % ctrl[:5])
objs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
comms = {o.get("comm") for o in objs if o["type"] in ("stack", "process")}
res("hostile comm: JSON parses and keeps the name", '\x1b[31m;"a\nb\ufffd' in comms
    or any(c and c.startswith('\x1b[31m;"a\nb') for c in comms), repr(comms))
lines = open(sys.argv[3], "rb").read().split(b"\n")[:-1]
bad = [l for l in lines if not re.fullmatch(rb"(.*) ([0-9]+)", l) or b"\x1b" in l
       or b"" in l.rsplit(b" ", 1)[0].split(b";")]
res("hostile comm: folded keeps its grammar", lines and not bad, repr(bad[:3]))
# The shell that runs the quoted command may show up with its own allocations.
sums = sum(int(l.rsplit(b" ", 1)[1]) for l in lines if not l.startswith(b"sh-"))
res("hostile comm: folded still sums to the leaks (53736)", sums == 53736, str(sums))
PY

# --snapshot-dir: every report in every format, named by time, pid and sequence; a
# periodic run with SIGUSR1 adds files and never overwrites one.
mkdir -p "$T/snap"
"$PROGS/rounds" "$T/s1" "$T/s2" "$T/s3" "$T/s4" &
sprog=$!
BG_PIDS+=("$sprog")
timeout -k 5 30 "$LT" -p "$sprog" -a 0 --snapshot-dir "$T/snap" -o /dev/null 1 3 2>"$T/e5" &
slt=$!
BG_PIDS+=("$slt")
wait_for 20 lt_attached "$T/e5" || fail "outputs: snapshot run" "not attached: $(tail_of "$T/e5")"
touch "$T/s1"
sleep 0.5
# To leaktrace itself, not to timeout(1), which would die of it.
kill -USR1 "$(pgrep -P "$slt" -x leaktrace)"
wait "$slt"
src=$?
kill "$sprog" 2>/dev/null
n_txt=$(find "$T/snap" -name 'leaktrace-*.txt' | wc -l)
n_json=$(find "$T/snap" -name 'leaktrace-*.jsonl' | wc -l)
n_folded=$(find "$T/snap" -name 'leaktrace-*.folded' | wc -l)
n_pb=$(find "$T/snap" -name 'leaktrace-*.pb.gz' | wc -l)
check "outputs: snapshot run exits 0" "exit $src; $(tail_of "$T/e5" 3)" [ "$src" = 0 ]
check "outputs: 4 reports (3 periodic with the final, 1 on SIGUSR1) in each of 4 formats" \
	"txt $n_txt jsonl $n_json folded $n_folded pb.gz $n_pb" \
	[ "$n_txt" = 4 ] && [ "$n_json" = 4 ] && [ "$n_folded" = 4 ] && [ "$n_pb" = 4 ]
check "outputs: every snapshot names round_one" \
	"$(grep -L round_one "$T"/snap/*.txt 2>&1 | head -2)" \
	eval '[ "$n_txt" -gt 0 ] && [ -z "$(grep -L round_one "$T"/snap/*.txt "$T"/snap/*.jsonl "$T"/snap/*.folded)" ]'
check "outputs: pprof snapshots are gzip" "$(file "$T"/snap/*.pb.gz | head -1)" \
	eval '[ "$n_pb" -gt 0 ] && for f in "$T"/snap/*.pb.gz; do gzip -t "$f" || exit 1; done'
