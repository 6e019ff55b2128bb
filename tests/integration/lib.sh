# shellcheck shell=bash
# lib.sh - helpers shared by the integration tests; sourced, never run.
#
# It owns: the PASS/FAIL lines that tests/run.sh counts, the checks that a test
# can run at all (root, built binaries), running leaktrace with a timeout, a
# scratch directory cleaned at exit, the attach-state snapshot (uprobes, BPF
# links, pins) and the JSON report checker. Tests take the truth from the test
# programs (--expect), never from a copy kept here.
# Integration tests need root and BPF: without them they FAIL, they never skip.

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
LT=${LEAKTRACE:-$ROOT/build/leaktrace}
# shellcheck disable=SC2034 # used by the tests that source this
PROGS=$ROOT/build/progs

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
# check NAME WHY CMD...: PASS when CMD succeeds, else FAIL with WHY.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# Last lines of a file, joined on one line, for a FAIL message.
tail_of() { # FILE [N]
	[ -s "$1" ] || { echo "(empty)"; return; }
	tail -n "${2:-5}" "$1" | tr '\n' '|' | cut -c1-600
}

# need_root TEST: FAIL and exit unless root (BPF needs it).
need_root() {
	if [ "$(id -u)" != 0 ]; then
		fail "$1" "needs root to load BPF (run: sudo make test)"
		exit 1
	fi
}

# need_files TEST PATH...: FAIL and exit unless each PATH is an executable file.
need_files() {
	local t=$1 f missing=""
	shift
	for f in "$@"; do
		[ -x "$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		fail "$t" "not built:$missing (run: make all; make build/progs/...)"
		exit 1
	fi
}

# A scratch directory, and background processes to end, both cleaned at exit.
T=$(mktemp -d /tmp/leaktrace-it.XXXXXX)
BG_PIDS=()
cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

# lt_run SECONDS OUT ERR ARGS...: run leaktrace, stdout to OUT, stderr to ERR,
# killed after SECONDS; returns its exit status (124: it did not stop in time).
lt_run() {
	local secs=$1 out=$2 err=$3
	shift 3
	timeout -k 5 "$secs" "$LT" "$@" >"$out" 2>"$err"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s (WAIT_POLL_MS=N: every N ms,
# N < 1000) until it succeeds; 1 on timeout.
wait_for() {
	local ms=${WAIT_POLL_MS:-100}
	local n=$(($1 * 1000 / ms)) step
	step=0.$(printf %03d "$ms")
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep "$step"
	done
}

# The line leaktrace prints on stderr once its probes are attached.
LT_ATTACHED_RE='^leaktrace: tracing'
lt_attached() { grep -Eq "$LT_ATTACHED_RE" "$1"; }

# lt_spawn OUT ERR ARGS...: start leaktrace in the background; its pid in LT_PID.
# Not under timeout(1): signals must reach leaktrace itself; cleanup kills it.
lt_spawn() {
	local out=$1 err=$2
	shift 2
	: >"$err"
	"$LT" "$@" >"$out" 2>"$err" &
	LT_PID=$!
	BG_PIDS+=("$LT_PID")
}

# lt_start NAME PREFIX ARGS...: lt_spawn with stdout to $T/PREFIX.out and stderr
# to $T/PREFIX.err; PASS NAME once it has attached, or FAIL NAME and exit if it
# has not within 20 s. Its pid is left in LT_PID.
lt_start() {
	local name=$1 prefix=$2
	shift 2
	lt_spawn "$T/$prefix.out" "$T/$prefix.err" "$@"
	if ! wait_for 20 lt_attached "$T/$prefix.err"; then
		fail "$name" "no line matching '$LT_ATTACHED_RE' on stderr within 20 s: $(tail_of "$T/$prefix.err")"
		exit 1
	fi
	pass "$name"
}

# lt_stop PID: SIGINT, up to 15 s to exit (then SIGKILL); returns its exit status.
lt_stop() {
	kill -INT "$1" 2>/dev/null
	wait_for 15 eval "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# Mount tracefs where uprobe_events lives, if it is not there yet.
tracefs_dir() {
	local d
	for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -f "$d/uprobe_events" ] && { echo "$d"; return 0; }
	done
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null &&
		[ -f /sys/kernel/tracing/uprobe_events ] && { echo /sys/kernel/tracing; return 0; }
	return 1
}

# attach_state: one line naming what is attached on the host: uprobe events,
# BPF links, BPF programs and pins under /sys/fs/bpf.
attach_state() {
	local tf uprobes links progs pins
	tf=$(tracefs_dir) && uprobes=$(wc -l <"$tf/uprobe_events") || uprobes="?"
	links=$(bpftool link list -j 2>/dev/null | python3 -c \
		'import json,sys; print(len(json.load(sys.stdin) or []))' 2>/dev/null) || links="?"
	progs=$(bpftool prog list -j 2>/dev/null | python3 -c \
		'import json,sys; print(len(json.load(sys.stdin) or []))' 2>/dev/null) || progs="?"
	pins=$(find /sys/fs/bpf -mindepth 1 2>/dev/null | wc -l)
	echo "uprobe_events=$uprobes links=$links progs=$progs pins=$pins"
}

# no_more_than BEFORE NOW: every counter of NOW is at most that of BEFORE
# (another tracer on the machine may have ended meanwhile; none of ours remains).
no_more_than() {
	python3 - "$1" "$2" <<'PY'
import sys
b = dict(kv.split("=") for kv in sys.argv[1].split())
n = dict(kv.split("=") for kv in sys.argv[2].split())
ok = all(b[k] != "?" and n[k] != "?" and int(n[k]) <= int(b[k]) for k in b)
sys.exit(0 if ok else 1)
PY
}

# same_attach_state BEFORE: true when nothing is attached beyond BEFORE again
# (within 2 s: the kernel releases links of a process that just exited
# asynchronously).
same_attach_state() {
	local _
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		no_more_than "$1" "$(attach_state)" && return 0
		sleep 0.2
	done
	return 1
}

# check_mem_report NAME REPORT EXPECT MODULE SOURCE (--comm COMM | --pid PID)
# Checks the final report of REPORT (JSON Lines) against EXPECT (the program's
# --expect output): per frames[0].sym, exact bytes and count of kind "mem"
# stacks (0 = no such stack); frames[0] in MODULE at SOURCE:line; a summary
# closes every report; the report is final. With --comm (a -c run): the command
# is the only process reported besides a wrapping shell, and no free is unknown.
# Prints one PASS/FAIL line per check, named "NAME: what".
check_mem_report() {
	python3 - "$@" <<'EOF'
import json, os, sys

name, report, expect_path, module, source, sel, selval = sys.argv[1:8]
module = os.path.realpath(module)
ALLOCATORS = {"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
              "aligned_alloc", "memalign", "valloc", "pvalloc", "__libc_malloc",
              "__libc_memalign", "__libc_calloc", "__libc_realloc"}

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))
    return ok

expect = [json.loads(l) for l in open(expect_path) if l.strip()]
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
missing = [k for k in ("time", "events", "lost_events", "lost_stacks", "unknown_frees")
           if k not in summary]
res("summary has its fields", not missing, "missing %s in %s" % (missing, json.dumps(summary)))
losses = "lost_events=%s lost_stacks=%s unknown_frees=%s" % (
    summary.get("lost_events"), summary.get("lost_stacks"), summary.get("unknown_frees"))

stacks = [o for o in final if o["type"] == "stack" and o.get("kind") == "mem"]
if sel == "--pid":
    mine = [s for s in stacks if s.get("pid") == int(selval)]
    pids = {int(selval)}
else:
    mine = [s for s in stacks if s.get("comm") == selval]
    pids = {s.get("pid") for s in mine}
    # -c: only the command is traced (and the shell or env that starts it).
    others = sorted({(o.get("pid"), o.get("comm")) for o in final
                     if o["type"] in ("stack", "process") and o.get("pid") not in pids
                     and o.get("comm") not in ("sh", "dash", "bash", "env")})
    res("only the command is reported", len(pids) == 1 and not others,
        "pids of %s: %s; others: %s" % (selval, sorted(pids, key=str), others[:5]))
    # Traced from the first instruction, every free is of a known block; free(NULL)
    # (leaky calls it 502 times) frees nothing and is no unknown free.
    res("no unknown frees under -c", summary.get("unknown_frees") == 0,
        "unknown_frees=%s" % summary.get("unknown_frees"))

def sym0(s):
    f = s.get("frames") or []
    return f[0].get("sym") if f else None

groups = {}
for s in mine:
    g = groups.setdefault(sym0(s), [0, 0, 0])
    g[0] += s.get("bytes", 0)
    g[1] += s.get("count", 0)
    g[2] += 1

def table():
    rows = sorted(groups.items(), key=lambda kv: -kv[1][0])
    return "; ".join("%s=%d/%d" % (k, v[0], v[1]) for k, v in rows[:25])

exp_funcs = {e["func"] for e in expect}
any_bad = False
for e in expect:
    got = groups.get(e["func"], [0, 0, 0])
    ok = got[0] == e["bytes"] and got[1] == e["count"]
    any_bad |= not ok
    res("%s bytes=%d count=%d" % (e["func"], e["bytes"], e["count"]), ok,
        "got bytes=%d count=%d in %d stacks (%s)" % (got[0], got[1], got[2], losses))
if any_bad:
    print("  stacks of %s by frames[0].sym (bytes/count): %s" % (selval, table()))

alloc0 = [(sym0(s), s.get("bytes")) for s in mine if sym0(s) in ALLOCATORS]
res("frames[0] is the allocator's caller, never the allocator", not alloc0,
    "stacks whose frames[0] is an allocator: %s" % alloc0[:5])

leak_stacks = [s for s in mine if sym0(s) in exp_funcs]
byline = {e["func"]: e.get("line") for e in expect}
wrong_mod, wrong_file, wrong_line, no_file = [], [], [], 0
for s in leak_stacks:
    f0 = s["frames"][0]
    if f0.get("module") is None or os.path.realpath(f0["module"]) != module:
        wrong_mod.append((f0.get("sym"), f0.get("module")))
    if f0.get("file") is None:
        no_file += 1
    elif os.path.basename(f0["file"]) != source:
        wrong_file.append((f0.get("sym"), f0.get("file")))
    if f0.get("line") and byline.get(f0.get("sym")) and f0["line"] != byline[f0["sym"]]:
        wrong_line.append((f0.get("sym"), f0["line"], byline[f0["sym"]]))
if leak_stacks:
    res("frames[0].module is %s" % module, not wrong_mod, "got %s" % wrong_mod[:3])
    res("frames[0].file is %s" % source, not wrong_file, "got %s" % wrong_file[:3])
    res("frames[0].line is the allocator call's line", not wrong_line,
        "(sym, got, expected) %s" % wrong_line[:3])
    if no_file:
        print("  note: %d of %d leak stacks have no file:line" % (no_file, len(leak_stacks)))

procs = [o for o in final if o["type"] == "process" and o.get("pid") in pids]
want_b = sum(e["bytes"] for e in expect)
want_c = sum(e["count"] for e in expect)
if procs:
    p = procs[0]
    res("process mem_bytes/mem_count cover the leaks",
        p.get("mem_bytes", -1) >= want_b and p.get("mem_count", -1) >= want_c,
        "process %s, expected at least %d bytes in %d" % (json.dumps(p), want_b, want_c))
if sel == "--comm":
    exited = [p.get("exited") for p in procs]
    is_final = summary.get("final")
    res("the report is the final one, after the command exited",
        is_final is True or True in exited,
        "summary.final=%s process.exited=%s (neither says so)" % (is_final, exited or "no process"))
EOF
}

# lib_selftest: the checker must accept an exact report and reject wrong ones,
# or a broken checker would pass a broken tracer. Needs no root.
# shellcheck disable=SC2016 # the eval'd checks expand $out when they run
lib_selftest() {
	local exe=/bin/true out
	cat >"$T/st.expect" <<-'X'
	{"func":"leak_a","bytes":300,"count":3,"line":12}
	{"func":"churn","bytes":0,"count":0,"line":0}
	X
	mk() { # BYTES0 SYM0 EXTRA_LINE FINAL
		printf '{"type":"stack","kind":"mem","pid":7,"comm":"t","bytes":%s,"count":3,"frames":[' "$1"
		printf '{"addr":"0x1","sym":"%s","off":4,"module":"/bin/true","file":"x/t.c","line":12}]}\n' "$2"
		[ -n "$3" ] && echo "$3"
		printf '{"type":"process","pid":7,"comm":"t","exited":%s,"mem_bytes":300,"mem_count":3}\n' "$4"
		echo '{"type":"summary","time":"t","final":true,"events":9,"lost_events":0,"lost_stacks":0,"unknown_frees":0}'
	}
	mk 300 leak_a "" true >"$T/st.good"
	out=$(check_mem_report st "$T/st.good" "$T/st.expect" "$exe" t.c --comm t)
	check "lib: checker accepts an exact report" "$(echo "$out" | grep FAIL | head -2)" \
		eval '! echo "$out" | grep -q "^FAIL" && [ "$(echo "$out" | grep -c "^PASS")" -ge 10 ]'
	mk 301 leak_a "" true >"$T/st.bad"
	out=$(check_mem_report st "$T/st.bad" "$T/st.expect" "$exe" t.c --comm t)
	check "lib: checker rejects wrong bytes" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: leak_a bytes=300 count=3: got bytes=301"'
	mk 300 leak_a '{"type":"stack","kind":"mem","pid":7,"comm":"t","bytes":5,"count":1,"frames":[{"sym":"churn"}]}' \
		true >"$T/st.bad"
	out=$(check_mem_report st "$T/st.bad" "$T/st.expect" "$exe" t.c --comm t)
	check "lib: checker rejects a stack of a freeing function" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: churn bytes=0 count=0"'
	mk 300 malloc "" true >"$T/st.bad"
	out=$(check_mem_report st "$T/st.bad" "$T/st.expect" "$exe" t.c --comm t)
	check "lib: checker rejects the allocator as frames[0]" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: frames\[0\] is the allocator.s caller"'
	mk 300 leak_a "" true | head -n -1 >"$T/st.bad"
	out=$(check_mem_report st "$T/st.bad" "$T/st.expect" "$exe" t.c --comm t)
	check "lib: checker rejects a report without a summary" "$out" \
		eval 'echo "$out" | grep -q "^FAIL: st: every report ends with a summary"'
}

# Run as a script (tests/run.sh runs every *.sh here): test the checker itself.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	lib_selftest
fi
