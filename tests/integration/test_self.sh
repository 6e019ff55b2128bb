#!/bin/bash
# test_self.sh - the tracer's own allocations never go through the C library's
# malloc and free, where it puts its probes (each call there would be a trap;
# the Makefile links jemalloc in, MALLOC_LIB; the sanitizer build uses ASan's).
#
# 1. The C library's own references to malloc and free bind outside it.
# 2. Tracer A, on the whole host, watches tracer B, also on the whole host with
#    a report every second (B symbolizes every stack it sees: libdw allocates a
#    lot): A holds no heap block of B's, while it does hold the blocks of a
#    leaky started after B (the control: A was tracing the C library meanwhile).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_self
need_files test_self "$LT" "$PROGS/leaky"

# 1. Bindings, all made at start (LD_BIND_NOW): no object's reference to an
# allocator function reaches the C library's (a block from its heap freed by
# the other allocator would be a crash), and its own malloc and free, which it
# calls from strdup, fopen and the like, bind outside it.
LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T/bind" "$LT" --version >/dev/null 2>&1
ALLOC_RE='malloc|free|calloc|realloc|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|malloc_usable_size|malloc_trim|mallinfo2?|malloc_info|mallopt'
binds=$(cat "$T"/bind.* 2>/dev/null | grep -E "normal symbol .($ALLOC_RE)'")
to_libc=$(grep -E " to [^ ]*/libc\.so\.6 " <<<"$binds" | sed 's/.*binding file //' | head -3)
n=$(grep -c . <<<"$binds")
ok=no
[ "$n" -gt 0 ] && [ -z "$to_libc" ] && ok=yes
check "self: no allocator function binds to the C library's ($n bindings)" \
	"${to_libc:-no binding seen}" [ "$ok" = yes ]
for sym in malloc free; do
	line=$(grep -E "binding file [^ ]*/libc\.so\.6 .* symbol .$sym'" <<<"$binds" |
		grep -v " to [^ ]*/libc\.so\.6 " | head -1)
	check "self: the C library's own $sym binds outside it (${line##* to })" \
		"no binding of the C library's $sym to another object" [ -n "$line" ]
done

# 2. One tracer under another.
lt_start "self: tracer A attached" a -k mem -a 0 -T 100000 -f json -o "$T/a.json" 1
a=$LT_PID
lt_start "self: tracer B attached" b -a 0 -T 1000 -f json -o "$T/b.json" 1
b=$LT_PID
"$PROGS/leaky" --ready-file "$T/ready" --hold 30 >/dev/null &
l=$!
BG_PIDS+=("$l")
if ! wait_for 10 test -e "$T/ready"; then
	fail "self: leaky ran" "leaky did not finish leaking within 10 s"
	exit 1
fi
# B's reports, each symbolizing leaky's and every other process's stacks.
sleep 3.5
reports_b=$(grep -c '"type":"summary"' "$T/b.json")
lt_stop "$a"
rca=$?
lt_stop "$b"
rcb=$?
kill -USR1 "$l" 2>/dev/null
wait "$l"
check "self: both tracers exit 0" "A: $rca, B: $rcb; $(tail_of "$T/a.err" 2) | $(tail_of "$T/b.err" 2)" \
	[ "$rca:$rcb" = 0:0 ]
check "self: B reported while A traced (>= 2 reports)" "$reports_b reports" [ "${reports_b:-0}" -ge 2 ]

python3 - "$T/a.json" "$b" "$l" <<'EOF'
import json, sys
path, b, l = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# A report is its stack and process lines, then its summary line.
held = {}   # pid -> (stacks, bytes) of kind mem, in A's last report
procs = {}  # pid -> mem_bytes of its process line, in A's last report
nrep = 0
last_held, last_procs = {}, {}
for line in open(path):
    r = json.loads(line)
    if r.get("type") == "summary":
        nrep += 1
        last_held, last_procs = held, procs
        held, procs = {}, {}
    elif r.get("type") == "stack" and r.get("kind") == "mem":
        s, n = held.get(r["pid"], (0, 0))
        held[r["pid"]] = (s + 1, n + r["bytes"])
    elif r.get("type") == "process":
        procs[r["pid"]] = r.get("mem_bytes", 0)
held, procs = last_held, last_procs
def res(name, ok, why):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok else ": " + why))
res("self: A made reports", nrep >= 2, "%d reports" % nrep)
res("self: A holds leaky's blocks (A traced the C library)", held.get(l, (0, 0))[0] > 0,
    "no mem stack of pid %d; pids held: %s" % (l, sorted(held)[:20]))
res("self: A holds no heap block of tracer B", b not in held and not procs.get(b),
    "B (pid %d) holds %d stacks, %d bytes through the C library (process line: %s)"
    % ((b,) + held.get(b, (0, 0)) + (procs.get(b),)))
EOF
