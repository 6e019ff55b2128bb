#!/bin/bash
# test_fd.sh - leaked file descriptors and POSIX timers are reported exactly.
#
# For each build of tests/progs/fdleaky.c (frame pointers and not), run it
# under `leaktrace -c ... -k fd,timer` and compare the final JSON report,
# grouped by (kind, frames[0].sym), with the program's own --expect table (the
# same run prints it on its stdout): exact count and fd_kinds per leaking
# function, the expected sample paths among the stack's paths (one of them has
# a space, a newline, a ';' and an escape byte), nothing outstanding that no
# leak_* row explains, and no stack naming a churn_* function anywhere.
#
# fdleaky execs itself once. Its first image leaks plain fds and fds whose
# close-on-exec flag it cleared: they survive exec and are still held at exit,
# so they are leaks and must be reported against the first image's functions
# (leak_before_exec, leak_cloexec_cleared), symbolized in the image that made
# them. Its close-on-exec fds (every kind, every way to set the flag) and its
# POSIX timers are gone at exec and must not be reported; they sit at numbers
# the second image never reuses, so a tracer that forgot them cannot be saved
# by a later open and close of the same number.
#
# Then the same run with -f text (no raw ESC byte, "N fds (...)" lines, the odd
# path on one escaped line) and with -f folded -k fd (folded output takes one
# kind; grammar, per-function counts).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# check_fd_report NAME REPORT EXPECT MODULE SOURCE COMM FP
# REPORT: JSON Lines of a -c run; EXPECT: fdleaky --expect; FP: 1 when the
# program has frame pointers (its leak stacks must then reach main).
# Prints one PASS/FAIL line per check, named "NAME: what".
check_fd_report() {
	python3 - "$@" <<'EOF'
import json, os, sys

name, report, expect_path, module, source, comm, fp = sys.argv[1:8]
module = os.path.realpath(module)

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))
    return ok

try:
    expect = [json.loads(l) for l in open(expect_path) if l.strip()]
except (OSError, ValueError) as e:
    res("the --expect table parses", False, str(e))
    sys.exit(0)
if not res("the --expect table has rows", bool(expect), "empty"):
    sys.exit(0)
try:
    text = open(report).read()
except OSError as e:
    res("report written", False, str(e))
    sys.exit(0)

objs, bad = [], []
for i, line in enumerate(text.splitlines(), 1):
    if not line.strip():
        continue
    try:
        o = json.loads(line)
    except ValueError:
        bad.append(i)
        continue
    if not isinstance(o, dict) or "type" not in o:
        bad.append(i)
        continue
    objs.append(o)
res("every line is a JSON object with a type", not bad and objs,
    "bad lines %s of %d" % (bad[:5], len(text.splitlines())) if bad else "empty report")
reports, cur = [], []
for o in objs:
    cur.append(o)
    if o["type"] == "summary":
        reports.append(cur)
        cur = []
if not res("every report ends with a summary", reports and not cur,
           "%d objects after the last summary" % len(cur) if reports else "no summary line"):
    if not reports:
        sys.exit(0)
final = reports[-1]
summary = final[-1]
losses = "lost_events=%s lost_stacks=%s unknown_frees=%s" % (
    summary.get("lost_events"), summary.get("lost_stacks"), summary.get("unknown_frees"))
res("nothing lost", summary.get("lost_events") == 0 and summary.get("lost_stacks") == 0, losses)

stacks = [o for o in final if o["type"] == "stack" and o.get("kind") in ("fd", "timer")]
mine = [s for s in stacks if s.get("comm") == comm]
pids = {s.get("pid") for s in mine}
others = sorted({(o.get("pid"), o.get("comm")) for o in final
                 if o["type"] in ("stack", "process") and o.get("pid") not in pids
                 and o.get("comm") not in ("sh", "dash", "bash", "env")}, key=str)
res("only the command is reported (one pid, across its exec)", len(pids) == 1 and not others,
    "pids of %s: %s; others: %s" % (comm, sorted(pids, key=str), others[:5]))
procs = [o for o in final if o["type"] == "process" and o.get("pid") in pids]
res("the report is the final one, after the command exited",
    summary.get("final") is True or any(p.get("exited") is True for p in procs),
    "summary.final=%s process.exited=%s" % (summary.get("final"),
                                            [p.get("exited") for p in procs] or "no process"))

def sym0(s):
    f = s.get("frames") or []
    return f[0].get("sym") if f else None

def brief(s):
    fr = s.get("frames") or []
    return "%s %d %s [%s]" % (s.get("kind"), s.get("count", 0), json.dumps(s.get("fd_kinds")),
                              " < ".join(str(f.get("sym") or f.get("addr")) for f in fr[:4]))

groups = {}
for s in mine:
    g = groups.setdefault((s["kind"], sym0(s)), {"count": 0, "fd_kinds": {}, "paths": set(),
                                                 "n": 0})
    g["count"] += s.get("count", 0)
    g["n"] += 1
    for k, v in (s.get("fd_kinds") or {}).items():
        g["fd_kinds"][k] = g["fd_kinds"].get(k, 0) + v
    g["paths"].update(p for p in (s.get("paths") or []) if isinstance(p, str))

leaks = [e for e in expect if e["count"] > 0]
for e in leaks:
    g = groups.get((e["kind"], e["func"]), {"count": 0, "fd_kinds": {}, "paths": set(), "n": 0})
    what = "%s: %d %s%s" % (e["func"], e["count"], e["kind"],
                            " " + json.dumps(e["fd_kinds"]) if "fd_kinds" in e else "")
    why = []
    if g["count"] != e["count"]:
        why.append("count %d in %d stacks" % (g["count"], g["n"]))
    if e["kind"] == "fd" and g["fd_kinds"] != e.get("fd_kinds"):
        why.append("fd_kinds %s" % json.dumps(g["fd_kinds"]))
    missing = [p for p in e.get("paths", []) if p not in g["paths"]]
    if missing and g["n"]:
        why.append("paths %s missing from %s" % (json.dumps(missing)[:200],
                                                 json.dumps(sorted(g["paths"]))[:300]))
    res(what, not why, "; ".join(why) + " (%s)" % losses)

# Everything outstanding is explained by a leak_* row: nothing else, nothing more.
exp_keys = {(e["kind"], e["func"]) for e in leaks}
for kind in ("fd", "timer"):
    want = sum(e["count"] for e in leaks if e["kind"] == kind)
    got = sum(s.get("count", 0) for s in mine if s["kind"] == kind)
    extra = [brief(s) for s in mine if s["kind"] == kind and (kind, sym0(s)) not in exp_keys]
    res("%s: every outstanding one is a known leak (%d in all)" % (kind, want),
        got == want and not extra,
        "%d reported; stacks of no leak_* function: %s" % (got, "; ".join(extra[:6])))
    field = "fds" if kind == "fd" else "timers"
    res("process %s = %d" % (field, want), len(procs) == 1 and procs[0].get(field) == want,
        "process objects %s" % [json.dumps(p) for p in procs][:2])

# No frame of any stack names a function that gave back everything.
gone = {e["func"] for e in expect if e["count"] == 0}
named = sorted({(f.get("sym"), brief(s)) for s in stacks for f in (s.get("frames") or [])
                if f.get("sym") in gone or str(f.get("sym") or "").startswith("churn")})
res("no stack names a churn function (%d of them)" % len(gone), not named,
    "; ".join("%s in %s" % x for x in named[:5]))

# frames[0] of the leak stacks is in the program, at its source.
leak_stacks = [s for s in mine if (s["kind"], sym0(s)) in exp_keys]
wrong_mod = sorted({(sym0(s), s["frames"][0].get("module")) for s in leak_stacks
                    if os.path.realpath(s["frames"][0].get("module") or "?") != module})
wrong_file = sorted({(sym0(s), s["frames"][0].get("file")) for s in leak_stacks
                     if os.path.basename(s["frames"][0].get("file") or "?") != source})
if leak_stacks:
    res("frames[0].module is %s" % module, not wrong_mod, "got %s" % wrong_mod[:3])
    res("frames[0].file is %s" % source, not wrong_file, "got %s" % wrong_file[:3])

# With frame pointers the stack goes on past frames[0], up to main (or the thread's
# start routine): a wrapper that uses rbp for data must not cut it short.
# Frame-pointer build: stacks go on past frames[0], also through glibc wrappers that reuse
# %rbp (open64): the tracer restores the caller's %rbp from the wrapper's CFI and walks on.
# (How far depends on the sampled stack when the BPF side's guess of the saved %rbp is off:
# a 4 KiB frame in between can end it, so "reaches main" is asserted for the second image.)
if fp == "1" and leak_stacks:
    short = sorted({brief(s) for s in leak_stacks if len(s["frames"]) < 2})
    res("frame-pointer build: every leak stack has its caller's caller", not short,
        "%d stacks of one frame, e.g. %s" % (len(short), "; ".join(short[:4])))
    first = {"leak_before_exec", "leak_cloexec_cleared"}
    short = sorted({brief(s) for s in leak_stacks
                    if s["frames"][0].get("sym") not in first
                    and not {"main", "thread_leak"} & {f.get("sym") for f in s["frames"][1:]}})
    res("frame-pointer build: every second-image leak stack reaches main", not short,
        "%d stacks stop early, e.g. %s" % (len(short), "; ".join(short[:4])))
    bad = sorted({brief(s) for s in leak_stacks
                  if any(f.get("module") is None for f in s["frames"])})
    res("frame-pointer build: no leak stack carries an unresolvable frame", not bad,
        "%d stacks with junk frames, e.g. %s" % (len(bad), "; ".join(bad[:4])))
EOF
}

no_esc() { ! grep -q $'\x1b' "$1"; }

# check_text NAME FILE EXPECT: the text report of the same run.
check_text() {
	local t=$1 f=$2 exp=$3 weird
	check "$t: no raw ESC byte in the text report" "$(grep -c $'\x1b' "$f") lines with one" \
		no_esc "$f"
	check "$t: text has 'N fds (...)' lines" "$(tail_of "$f" 5)" \
		grep -Eq '^[0-9]+ fds \(' "$f"
	check "$t: text names the eventfd kind in an fds line" "no such line" \
		grep -Eq '^[0-9]+ fds \(([0-9]+ [a-z]+, )*[0-9]+ eventfd' "$f"
	# The odd path is on one line: both ends of it, around the newline, on a path: line.
	weird=$(grep -E '^\s*path: .*we ird.*tail\.txt' "$f" | head -1)
	check "$t: the path with a newline and ESC is one escaped path: line" \
		"$(grep -n -A1 'we ird' "$f" | head -3 | tr '\n' '|' | cut -c1-300)" [ -n "$weird" ]
	local fn funcs missing=""
	funcs=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["count"]: print(e["func"])' "$exp" 2>/dev/null)
	for fn in $funcs; do
		grep -q "[ \t]$fn+0x" "$f" || missing="$missing $fn"
	done
	[ -n "$funcs" ] || missing="(no --expect table: $(tail_of "$exp" 2))"
	check "$t: every leak function appears in a text stack" "missing:$missing" [ -z "$missing" ]
}

# check_folded NAME FILE EXPECT COMM KIND: grammar, and the count per innermost
# frame of each --expect row of KIND (folded output takes one kind: -k KIND).
check_folded() {
	python3 - "$@" <<'EOF'
import json, re, sys

name, path, expect_path, comm, kind = sys.argv[1:6]

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))

try:
    data = open(path, "rb").read()
except OSError as e:
    res("folded output written", False, str(e))
    sys.exit(0)
res("folded output is not empty", bool(data.strip()), "empty")
res("no control byte in folded output", not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", data),
    repr(re.search(rb".{0,40}[\x00-\x09\x0b-\x1f\x7f].{0,20}", data).group(0))
    if re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", data) else "")
lines = data.decode("utf-8", "replace").split("\n")
if lines and lines[-1] == "":
    lines.pop()
line_re = re.compile(r"^(.*) ([0-9]+)$")
bad = [l for l in lines if not line_re.match(l)]
res("every folded line matches ^(.*) ([0-9]+)$", not bad, "%d bad, e.g. %r" % (len(bad), bad[:2]))
badroot = [l for l in lines if line_re.match(l) and not re.match(r"^%s-[0-9]+(;|$)" % re.escape(comm), l)]
res("every folded stack starts at %s-PID" % comm, not badroot, repr(badroot[:2]))
empty = [l for l in lines if line_re.match(l) and "" in line_re.match(l).group(1).split(";")]
res("no empty frame in folded output", not empty, repr(empty[:2]))
by = {}
for l in lines:
    m = line_re.match(l)
    if m:
        leaf = m.group(1).split(";")[-1]
        by[leaf] = by.get(leaf, 0) + int(m.group(2))
try:
    expect = [json.loads(l) for l in open(expect_path) if l.strip()]
except (OSError, ValueError) as e:
    expect = []
res("the --expect table has rows", bool(expect), "empty or not JSON")
want = {e["func"]: e["count"] if e["kind"] == kind else 0 for e in expect}
wrong = ["%s: %d, want %d" % (f, by.get(f, 0), c) for f, c in want.items() if by.get(f, 0) != c]
res("folded %s counts per innermost frame match --expect (%d rows)" % (kind, len(expect)),
    not wrong, "; ".join(wrong[:8]))
unexplained = {f: c for f, c in by.items() if f not in want}
res("every folded %s stack ends in a leak function" % kind, not unexplained,
    "; ".join("%s %d" % kv for kv in list(unexplained.items())[:6]))
EOF
}

# The checker itself must reject wrong reports (no root needed).
# shellcheck disable=SC2016 # the eval'd checks expand $out when they run
fd_selftest() {
	local out
	cat >"$T/st.expect" <<-'X'
	{"func":"leak_a","kind":"fd","count":2,"fd_kinds":{"file":2},"paths":["/x/a b"]}
	{"func":"leak_t","kind":"timer","count":1}
	{"func":"churn_a","kind":"fd","count":0}
	X
	mk() { # COUNT_A FDKIND SYM_A_OUTER PROC_FDS
		printf '{"type":"stack","kind":"fd","pid":7,"comm":"t","count":%s,"fd_kinds":{"%s":%s},"paths":["/x/a b"],' "$1" "$2" "$1"
		printf '"frames":[{"addr":"0x1","sym":"leak_a","module":"/bin/true","file":"t.c"},{"addr":"0x2","sym":"%s","module":"/bin/true"}]}\n' "$3"
		echo '{"type":"stack","kind":"timer","pid":7,"comm":"t","count":1,"frames":[{"addr":"0x3","sym":"leak_t","module":"/bin/true","file":"t.c"},{"addr":"0x2","sym":"main","module":"/bin/true"}]}'
		printf '{"type":"process","pid":7,"comm":"t","exited":true,"fds":%s,"timers":1}\n' "$4"
		echo '{"type":"summary","time":"t","final":true,"events":9,"lost_events":0,"lost_stacks":0,"unknown_frees":0}'
	}
	mk 2 file main 2 >"$T/st.json"
	out=$(check_fd_report st "$T/st.json" "$T/st.expect" /bin/true t.c t 1)
	check "fd: checker accepts an exact report" "$(echo "$out" | grep FAIL | head -2)" \
		eval '! echo "$out" | grep -q "^FAIL" && [ "$(echo "$out" | grep -c "^PASS")" -ge 12 ]'
	mk 3 file main 3 >"$T/st.json"
	out=$(check_fd_report st "$T/st.json" "$T/st.expect" /bin/true t.c t 1)
	check "fd: checker rejects a wrong count" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: leak_a: 2 fd"'
	mk 2 socket main 2 >"$T/st.json"
	out=$(check_fd_report st "$T/st.json" "$T/st.expect" /bin/true t.c t 1)
	check "fd: checker rejects a wrong fd kind" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: leak_a: 2 fd .*fd_kinds"'
	mk 2 file churn_a 2 >"$T/st.json"
	out=$(check_fd_report st "$T/st.json" "$T/st.expect" /bin/true t.c t 1)
	check "fd: checker rejects a stack naming a churn function" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: no stack names a churn"'
	{ mk 2 file main 2 | head -n 2; echo '{"type":"stack","kind":"fd","pid":7,"comm":"t","count":1,"fd_kinds":{"pipe":1},"frames":[{"sym":"open64"}]}'; mk 2 file main 2 | tail -n 2; } >"$T/st.json"
	out=$(check_fd_report st "$T/st.json" "$T/st.expect" /bin/true t.c t 1)
	check "fd: checker rejects an unexplained stack" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: fd: every outstanding one is a known leak"'
	printf 't-7;main;leak_a 2\n' >"$T/st.folded"
	out=$(check_folded st "$T/st.folded" "$T/st.expect" t fd)
	check "fd: folded checker accepts exact output" "$out" eval '! echo "$out" | grep -q "^FAIL"'
	printf 't-7;main;leak_a 1\nt-7;main;le\nak_a 1\n' >"$T/st.folded"
	out=$(check_folded st "$T/st.folded" "$T/st.expect" t fd)
	check "fd: folded checker rejects a broken line" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: every folded line matches"'
}

fd_selftest
need_root test_fd
need_files test_fd "$LT" "$PROGS/fdleaky" "$PROGS/fdleaky-nofp" "$PROGS/stacktop" \
	"$PROGS/stacktop-nofp"

for b in fdleaky fdleaky-nofp; do
	fp=1
	[ "$b" = fdleaky-nofp ] && fp=0
	for fmt in json text folded; do
		t="fd[$b]"
		[ "$fmt" = json ] || t="fd[$b,$fmt]"
		d="$T/$b-$fmt"
		mkdir -p "$d"
		# The command's stdout (--expect) and leaktrace's (nothing, with -o) go to one file.
		kinds=fd,timer
		[ "$fmt" = folded ] && kinds=fd # folded output takes one kind
		# Rings large enough that fdleaky's records never reach the mark past
		# which syscall records carry a short stack sample (test_burst.sh
		# covers that): the stacks here are checked frame by frame. fdleaky
		# sends ~40k records of ~1.2 KiB (48 MiB); with 1 GiB the mark of
		# each of two CPUs' rings is at 128 MiB, out of reach even if the
		# consumer read nothing until the end (under ASan it fell 32 MiB
		# behind once: one lost stack). The rings are split over the online
		# CPUs: with more than four, the mark is within reach again of a
		# consumer that stalls (1 GiB is the most --ringbuf-size takes).
		lt_run 25 "$T/$b.$fmt.expect" "$T/$b.$fmt.err" -k "$kinds" -f "$fmt" -T 1000 \
			--ringbuf-size 1G -o "$T/$b.$fmt" -c "$PROGS/$b --expect --dir $d"
		rc=$?
		check "$t: exits with the command's status 0" \
			"exit $rc; stderr: $(tail_of "$T/$b.$fmt.err")" [ "$rc" = 0 ]
		case $fmt in
		json) check_fd_report "$t" "$T/$b.$fmt" "$T/$b.$fmt.expect" "$PROGS/$b" fdleaky.c "$b" "$fp" ;;
		text) check_text "$t" "$T/$b.$fmt" "$T/$b.$fmt.expect" ;;
		folded) check_folded "$t" "$T/$b.$fmt" "$T/$b.$fmt.expect" "$b" fd ;;
		esac
	done
done

# A syscall near the top of a stack: the KiB sampled runs into an unreadable
# page. What lies below the top is still read (up to the page end), so the
# caller is found and no stack is lost (it was: frames [__open], lost_stacks 1).
for b in stacktop stacktop-nofp; do
	t="fd[$b]"
	lt_run 25 "$T/$b.out" "$T/$b.err" -k fd -f json -o "$T/$b.json" -c "$PROGS/$b"
	rc=$?
	check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/$b.err")" \
		[ "$rc" = 0 ]
	python3 - "$t" "$T/$b.json" "$b" <<'PY'
import json, sys
name, report, comm = sys.argv[1:4]
objs = [json.loads(l) for l in open(report) if l.strip()]
fds = [o for o in objs if o.get("type") == "stack" and o.get("kind") == "fd" and
       o.get("comm") == comm]
got = [(o["count"], [f.get("sym") for f in o["frames"]][:1]) for o in fds]
summ = [o for o in objs if o.get("type") == "summary"]
lost = summ[-1].get("lost_stacks") if summ else None
ok = got == [(1, ["open_at_top"])]
print(("PASS: %s: 1 fd from open_at_top" % name) if ok else
      ("FAIL: %s: 1 fd from open_at_top: got %s" % (name, got)))
print(("PASS: %s: no stack lost" % name) if lost == 0 else
      ("FAIL: %s: no stack lost: lost_stacks=%s" % (name, lost)))
PY
done
