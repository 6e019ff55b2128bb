#!/bin/bash
# test_go.sh - fds leaked by a Go program are found through Go's own stacks.
#
# tests/progs/goleak/main.go opens N files with os.Open from main.leakFiles and
# never closes them, and opens and closes many more from main.churnFiles. Go
# makes its syscalls itself (no libc wrapper) and keeps frame pointers, so the
# stack at the openat syscall is walked up through the runtime's syscall code
# to main.leakFiles. Run it under `leaktrace -c ... -k fd` and check: exactly N
# fds, all of kind file, on stacks that name main.leakFiles, their sample paths
# among the files it leaked; no other stack holds a file (the runtime's own
# netpoll fds are pipes and an epoll); no stack names main.churnFiles.
# The program is built here with the Go toolchain (no network, caches in the
# scratch directory): the Makefile only builds tests/progs/*.c.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

N=7
need_root test_go
need_files test_go "$LT"
if ! command -v go >/dev/null; then
	fail test_go "no Go toolchain in PATH (apt-get install golang-go)"
	exit 1
fi

mkdir -p "$T/gocache" "$T/gopath" "$T/godir"
if ! env GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$T/gocache" GOPATH="$T/gopath" \
	go build -o "$T/goleak" "$ROOT/tests/progs/goleak/main.go" >"$T/gobuild.log" 2>&1; then
	fail "go: build goleak" "$(tail_of "$T/gobuild.log")"
	exit 1
fi
pass "go: build goleak ($(go version | cut -d' ' -f3))"

lt_run 25 "$T/go.out" "$T/go.err" -k fd -f json -T 1000 -o "$T/go.json" \
	-c "$T/goleak $T/godir $N 2000"
rc=$?
check "go: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/go.err")" \
	[ "$rc" = 0 ]
check "go: goleak leaked $N files" "stdout: $(tail_of "$T/go.out")" \
	[ "$(grep -c "^$T/godir/leak-" "$T/go.out")" = "$N" ]

python3 - "$T/go.json" "$T/go.out" "$N" "$T/goleak" <<'EOF'
import json, os, sys

report, paths_file, n, exe = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
exe = os.path.realpath(exe)
name = "go"

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))
    return ok

leaked = {l.strip() for l in open(paths_file) if l.strip()}
try:
    objs = [json.loads(l) for l in open(report) if l.strip()]
except (OSError, ValueError) as e:
    res("the report is JSON Lines", False, str(e))
    sys.exit(0)
summaries = [i for i, o in enumerate(objs) if o.get("type") == "summary"]
if not res("the report ends with a summary", summaries and summaries[-1] == len(objs) - 1,
           "no summary" if not summaries else "objects after it"):
    sys.exit(0)
start = summaries[-2] + 1 if len(summaries) > 1 else 0
final = objs[start:]
summary = final[-1]
res("the report is the final one", summary.get("final") is True or any(
    o.get("type") == "process" and o.get("exited") is True for o in final),
    json.dumps(summary)[:200])
losses = "lost_events=%s lost_stacks=%s" % (summary.get("lost_events"), summary.get("lost_stacks"))
stacks = [o for o in final if o.get("type") == "stack" and o.get("kind") == "fd"]

def syms(s):
    return [f.get("sym") for f in s.get("frames") or []]

def brief(s):
    return "%d %s [%s]" % (s.get("count", 0), json.dumps(s.get("fd_kinds")),
                           " < ".join(str(x) for x in syms(s)[:8]))

mine = [s for s in stacks if "main.leakFiles" in syms(s)]
count = sum(s.get("count", 0) for s in mine)
kinds = {}
for s in mine:
    for k, v in (s.get("fd_kinds") or {}).items():
        kinds[k] = kinds.get(k, 0) + v
res("%d fds of kind file on stacks naming main.leakFiles" % n,
    count == n and kinds == {"file": n},
    "got %d %s in %d stacks (%s); fd stacks: %s" % (count, json.dumps(kinds), len(mine), losses,
                                                    "; ".join(brief(s) for s in stacks[:5])))
sample = {p for s in mine for p in (s.get("paths") or [])}
res("their sample paths are files main.leakFiles opened", sample and sample <= leaked,
    "paths %s, leaked %s" % (sorted(sample)[:5], sorted(leaked)[:3]))
f0 = sorted({(s["frames"][0].get("sym"), s["frames"][0].get("module")) for s in mine
             if s.get("frames")})
res("frames[0] is in the Go program (its syscall code: no libc)",
    mine and all(m and os.path.realpath(m) == exe for _, m in f0), "got %s" % f0[:3])
files = sum((s.get("fd_kinds") or {}).get("file", 0) for s in stacks)
res("no other stack holds a file (%d in all)" % n, files == n,
    "%d files; stacks without main.leakFiles: %s" % (
        files, "; ".join(brief(s) for s in stacks if s not in mine)[:600]))
churn = [brief(s) for s in stacks if "main.churnFiles" in syms(s)]
res("no stack names main.churnFiles", not churn, "; ".join(churn[:3]))
EOF
