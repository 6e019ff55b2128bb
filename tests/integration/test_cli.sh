#!/bin/bash
# test_cli.sh - the command-line contract: bad input exits 2, a failure to run
# or attach exits 1, each with one line "leaktrace: ..." on stderr (a usage
# hint may follow), and nothing is left attached after any failure.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_root test_cli
need_files test_cli "$LT"

# stderr_ok ERR: first line "leaktrace: ...", at most one more line, a usage hint.
stderr_ok() {
	local n first second
	n=$(wc -l <"$1")
	first=$(sed -n 1p "$1")
	second=$(sed -n 2p "$1")
	[[ $first == "leaktrace: "?* ]] || return 1
	[ "$n" -le 1 ] && return 0
	[ "$n" -eq 2 ] && [[ $second =~ ^(Try|[Uu]sage) ]]
}

# expect_fail NAME CODES ARGS...: leaktrace ARGS exits with one of CODES
# (e.g. "2" or "1 2"), says why on stderr, prints nothing on stdout, and leaves
# nothing attached.
expect_fail() {
	local name="cli: $1" codes=$2 rc before c ok=0
	shift 2
	before=$(attach_state)
	lt_run 10 "$T/out" "$T/err" "$@"
	rc=$?
	for c in $codes; do [ "$rc" = "$c" ] && ok=1; done
	if [ "$ok" != 1 ]; then
		fail "$name" "leaktrace $* exited $rc, expected ${codes// / or }; stderr: $(tail_of "$T/err" 3)"
	elif ! stderr_ok "$T/err"; then
		fail "$name" "stderr is not one 'leaktrace: ...' line (+ usage hint): $(tail_of "$T/err" 4)"
	elif [ -s "$T/out" ]; then
		fail "$name" "wrote on stdout: $(tail_of "$T/out" 2)"
	elif ! same_attach_state "$before"; then
		fail "$name" "left something attached: before $before, after $(attach_state)"
	else
		pass "$name (exit $rc: $(sed -n 1p "$T/err" | cut -c1-100))"
	fi
}

# Usage errors: exit 2.
expect_fail "unknown option" 2 --no-such-option
expect_fail "bad duration -d 5x" 2 -d 5x
expect_fail "bad min-age -a 5parsecs" 2 -a 5parsecs
expect_fail "negative -T -1" 2 -T -1
expect_fail "non-numeric -T abc" 2 -T abc
expect_fail "bad format -f xml" 2 -f xml
expect_fail "bad kind -k mem,bogus" 2 -k mem,bogus
expect_fail "bad interval abc" 2 abc
expect_fail "-p and -c together" 2 -p 1 -c /bin/true
expect_fail "empty -c" 2 -c ''
# A pid that cannot exist: bad input (2) or a failure to attach (1).
expect_fail "missing pid -p 999999999" "1 2" -p 999999999
# A command that cannot be run: leaktrace's own failure (1, 2) or, like env(1), 127.
expect_fail "unrunnable -c /nonexistent/prog" "1 2 127" -c /nonexistent/prog
# A kernel without BTF: the same leaktrace in a mount namespace where
# /sys/kernel/btf is an empty tmpfs (what libbpf and leaktrace look at).
cat >"$T/nobtf" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "\$0" "\$@"' "$LT" "\$@"
EOF
chmod +x "$T/nobtf"
LT=$T/nobtf expect_fail "no BTF (/sys/kernel/btf hidden)" 1 -d 1

# --help and --version succeed.
lt_run 10 "$T/out" "$T/err" --help
rc=$?
# shellcheck disable=SC2016 # eval expands at run time
check "cli: --help exits 0 and shows EXAMPLES on stdout" \
	"exit $rc; stdout: $(grep -c . "$T/out") lines, EXAMPLES $(grep -c EXAMPLES "$T/out") times" \
	eval '[ "$rc" = 0 ] && grep -q EXAMPLES "$T/out"'
lt_run 10 "$T/out" "$T/err" --version
rc=$?
# shellcheck disable=SC2016
check "cli: --version exits 0 and prints a version" "exit $rc; stdout: $(tail_of "$T/out" 2)" \
	eval '[ "$rc" = 0 ] && [ -s "$T/out" ]'

# The command's exit status is leaktrace's.
printf 'exit 7\n' >"$T/exit7.sh"
lt_run 60 "$T/out" "$T/err" -f json -o "$T/exit7.json" -c "/bin/sh $T/exit7.sh"
rc=$?
check "cli: -c exits with the command's status (7)" "exit $rc; stderr: $(tail_of "$T/err" 3)" [ "$rc" = 7 ]

# The command runs with no signal blocked (the tracer blocks its own for a signalfd), and a
# shell that waits for its background child is not left hanging.
lt_run 30 "$T/out" "$T/err" -o /dev/null -c 'grep SigBlk /proc/self/status'
check "cli: -c command starts with no signal blocked" "stdout: $(tail_of "$T/out" 2)" \
	grep -q 'SigBlk:[[:space:]]*0*$' "$T/out"
lt_run 30 "$T/out" "$T/err" -o /dev/null -c 'sleep 0.2 & wait'
rc=$?
check "cli: -c 'sleep & wait' finishes" "exit $rc; stderr: $(tail_of "$T/err" 3)" [ "$rc" = 0 ]

# Not root: exit 1, saying why.
if ! command -v setpriv >/dev/null; then
	fail "cli: not root" "setpriv (util-linux) is missing"
else
	before=$(attach_state)
	timeout -k 5 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$LT" -d 1 \
		>"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != 1 ]; then
		fail "cli: not root" "exited $rc as uid 65534, expected 1; stderr: $(tail_of "$T/err" 3)"
	elif ! grep -Eiq 'root|privilege|permission|CAP_' "$T/err" || ! stderr_ok "$T/err"; then
		fail "cli: not root" "stderr should be one 'leaktrace: ...' line about root/privileges: $(tail_of "$T/err" 4)"
	elif ! same_attach_state "$before"; then
		fail "cli: not root" "left something attached: before $before, after $(attach_state)"
	else
		pass "cli: not root (exit 1: $(sed -n 1p "$T/err" | cut -c1-100))"
	fi
fi
