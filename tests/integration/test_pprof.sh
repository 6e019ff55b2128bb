#!/bin/bash
# test_pprof.sh - `-f pprof` output of a known leaking program opens in `go tool pprof`, which
# shows each leaking function with its exact bytes (inuse_space) and counts (inuse_objects).
#
# For each build of tests/progs/leaky.c, run it under `leaktrace -c ... -f pprof -o FILE` and
# compare `go tool pprof -top` with the program's own --expect table: flat bytes and objects
# per leaking function, nothing for the functions that free everything, each leak at
# leaky.c:line (-lines), the binary's mapping carrying its build-id, and pid/comm/kind labels.
# Also: pprof is binary, so without -o leaktrace refuses to run (exit 2, nothing on stdout).
# pprof reads a local file offline; -symbolize=none keeps it from looking for binaries.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_pprof
need_files test_pprof "$LT" "$PROGS/leaky" "$PROGS/leaky-nofp"
if ! command -v go >/dev/null || ! go tool pprof -h >/dev/null 2>&1; then
	fail test_pprof "go tool pprof not found (run: make deps, it installs golang-go)"
	exit 1
fi
# pprof keeps its state under HOME and go under GOCACHE: both in the scratch directory.
export HOME=$T/home GOCACHE=$T/gocache
mkdir -p "$HOME"

# pprof_top FILE INDEX [ARGS...]: `go tool pprof -top` of FILE for one sample index, every
# node (fractions 0), bytes unscaled (-unit=B: the default rounds to kB).
pprof_top() {
	local file=$1 index=$2
	shift 2
	go tool pprof -symbolize=none -top -unit=B -nodecount=1000 -nodefraction=0 \
		-edgefraction=0 -sample_index="$index" "$@" "$file"
}

# check_pprof_top NAME EXPECT FIELD TOP [LINES]: flat value of each --expect function in the
# -top output TOP equals its FIELD ("bytes" or "count"); 0 means no flat value at all. With
# LINES (a -top -lines output): that value is all at "func leaky.c:LINE". FIELD "sum:bytes":
# one check, that the flat values of the --expect functions add up to their total.
check_pprof_top() {
	python3 - "$@" <<'EOF'
import json, re, sys

name, expect_path, field, top_path = sys.argv[1:5]
lines_path = sys.argv[5] if len(sys.argv) > 5 else None
expect = [json.loads(l) for l in open(expect_path) if l.strip()]
ROW = re.compile(r"^\s*(\d+)B?\s+\S+\s+\S+\s+(\d+)B?\s+\S+\s+(.+?)\s*$")

def rows(path):
    out, seen_header = {}, False
    for line in open(path):
        if not seen_header:
            seen_header = "flat%" in line
            continue
        m = ROW.match(line)
        if m:
            out[m.group(3)] = out.get(m.group(3), 0) + int(m.group(1))
    return out, seen_header

def res(what, ok, why=""):
    print(("PASS: %s: %s" % (name, what)) if ok else ("FAIL: %s: %s: %s" % (name, what, why)))

top, ok = rows(top_path)
if not ok:
    res("pprof -top has a table", False, open(top_path).read()[-300:].replace("\n", "|"))
    sys.exit(0)
if field.startswith("sum:"):
    f = field[4:]
    want, got = sum(e[f] for e in expect), sum(top.get(e["func"], 0) for e in expect)
    res("leaking functions' flat %s add up to %d" % (f, want), got == want, "got %d" % got)
    sys.exit(0)
bylines = rows(lines_path)[0] if lines_path else {}
for e in expect:
    want, got = e[field], top.get(e["func"], 0)
    res("%s flat %s=%d" % (e["func"], field, want), got == want,
        "got %d; rows: %s" % (got, "; ".join("%s=%d" % kv for kv in
                                             sorted(top.items(), key=lambda kv: -kv[1])[:20])))
    if lines_path and want:
        at = "%s leaky.c:%d" % (e["func"], e["line"])
        got = bylines.get(at, 0)
        res("%s flat at leaky.c:%d" % (e["func"], e["line"]), got == want,
            "got %d; rows of %s: %s" % (got, e["func"], [k for k in bylines
                                                        if k.startswith(e["func"] + " ")]))
EOF
}

# No -o: a binary profile on a terminal or a pipe would be useless or corrupt.
lt_run 10 "$T/noout.out" "$T/noout.err" -f pprof -c true
rc=$?
check "pprof: refused without -o (exit 2)" "exit $rc; stderr: $(tail_of "$T/noout.err")" \
	[ "$rc" = 2 ]
check "pprof: nothing on stdout without -o" "stdout: $(tail_of "$T/noout.out" 3)" \
	[ ! -s "$T/noout.out" ]

for b in leaky leaky-nofp; do
	t="pprof[$b]"
	p=$T/$b.pb.gz
	if ! "$PROGS/$b" --expect >"$T/$b.expect"; then
		fail "$t: expect" "$b --expect failed (its self-check)"
		continue
	fi
	lt_run 60 "$T/$b.out" "$T/$b.err" -T 1000 -f pprof -o "$p" -c "$PROGS/$b"
	rc=$?
	check "$t: exits with the command's status 0" "exit $rc; stderr: $(tail_of "$T/$b.err")" \
		[ "$rc" = 0 ]
	check "$t: nothing on stdout with -o" "stdout: $(tail_of "$T/$b.out" 3)" \
		[ ! -s "$T/$b.out" ]
	check "$t: the file is gzip" "starts with $(head -c 2 "$p" | od -An -tx1)" \
		[ "$(head -c 2 "$p" | od -An -tx1 | tr -d ' ')" = 1f8b ]

	pprof_top "$p" inuse_space >"$T/$b.space" 2>&1
	rc=$?
	check "$t: go tool pprof opens it" "exit $rc: $(tail_of "$T/$b.space")" [ "$rc" = 0 ]
	pprof_top "$p" inuse_space -lines >"$T/$b.lines" 2>&1
	pprof_top "$p" inuse_objects >"$T/$b.objects" 2>&1
	check_pprof_top "$t: inuse_space" "$T/$b.expect" bytes "$T/$b.space" "$T/$b.lines"
	check_pprof_top "$t: inuse_objects" "$T/$b.expect" count "$T/$b.objects"
	# Labels: the leaks are all the command's (comm), of kind mem, in one process (pid).
	pprof_top "$p" inuse_space "-tagfocus=comm=^$b\$" >"$T/$b.focus" 2>&1
	check_pprof_top "$t: -tagfocus=comm=^$b\$" "$T/$b.expect" sum:bytes "$T/$b.focus"
	go tool pprof -symbolize=none -tags "$p" >"$T/$b.tags" 2>&1
	check "$t: labels pid, comm $b and kind mem" "$(tail_of "$T/$b.tags" 12)" eval \
		"grep -Eq '^ *pid: Total' '$T/$b.tags' && grep -Eq '\): $b\$' '$T/$b.tags' &&
		 grep -Eq '\): mem\$' '$T/$b.tags'"

	# The binary's mapping carries its build-id, as readelf reads it from the file.
	id=$(readelf -n "$PROGS/$b" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
	go tool pprof -symbolize=none -raw "$p" >"$T/$b.raw" 2>&1
	sed -n '/^Mappings/,$p' "$T/$b.raw" | tail -n +2 >"$T/$b.maps"
	check "$t: mapping of $b has build-id $id" "mappings: $(tail_of "$T/$b.maps" 8)" \
		eval "[ -n '$id' ] && grep -F '/$b ' '$T/$b.maps' | grep -qwF '$id'"
done
