#!/bin/bash
# run.sh - `make bench`: build the workloads and the replay benchmark, make sure
# the peers can run (bpftrace, BCC's memleak-bpfcc with kernel headers), then
# run the driver (tools/bench/driver.py), which prints the tables and writes
# them to build/bench/results.md.
#
# Environment: BENCH_REPS (default 5), BENCH_SCALE (iterations x, default 1),
# BENCH_CONFIGS (untraced,floor,bpftrace,leaktrace,every,memleak,bpfstats), BENCH_WORKLOADS
# (modes: malloc-small,malloc-mixed,alloc-mix,open-close,timer), BENCH_NO_INSTALL=1
# (do not apt-get install the peers), BENCH_QUIET_WAIT (s to wait for other tracers).
# Arguments are passed to the driver (see driver.py --help).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
OUT=build/bench
CC=${CC:-cc}

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (BPF): run 'sudo make bench'" >&2
	exit 1
fi
[ -x build/leaktrace ] || { echo "bench: build/leaktrace is missing: run make" >&2; exit 1; }
mkdir -p "$OUT"

# Workloads: frame pointers, so stack capture walks a real chain; no builtins,
# so the compiler keeps every malloc/free.
$CC -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fno-omit-frame-pointer \
	-fno-optimize-sibling-calls -fno-builtin tools/bench/workload.c -o "$OUT/workload" \
	-lpthread -lrt || exit 1
# The replay benchmark links the aggregator itself, with the tracer's allocator
# and its settings (MALLOC_LDFLAGS from the Makefile; empty: the C library's).
# shellcheck disable=SC2086 # MALLOC_LDFLAGS is a list of words
$CC -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iuser -Ibpf \
	tools/bench/replay.c user/agg.c user/malloc_conf.c -o "$OUT/replay" ${MALLOC_LDFLAGS:-} || exit 1

# The peers: Debian's bpftrace and bpfcc-tools; BCC compiles against kernel headers.
if [ -z "${BENCH_NO_INSTALL:-}" ] && command -v apt-get >/dev/null; then
	missing=""
	for p in bpftrace bpfcc-tools linux-headers-amd64 python3; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "bench: installing:$missing" >&2
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } \
			>"$OUT/apt.log" 2>&1 ||
			echo "bench: apt-get install failed (see $OUT/apt.log): peers may be skipped" >&2
	fi
fi
# Headers for BCC: where the running kernel has none, Debian's generic ones
# (linux-headers-amd64) stand in: build -> the arch directory, source -> -common.
K=/lib/modules/$(uname -r)
if [ ! -e "$K/build" ]; then
	arch_dir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' -type d | sort -V | tail -1)
	common_dir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-common' -type d | sort -V | tail -1)
	if [ -n "$arch_dir" ] && [ -n "$common_dir" ]; then
		mkdir -p "$K"
		ln -sfn "$arch_dir" "$K/build"
		[ -e "$K/source" ] || ln -sfn "$common_dir" "$K/source"
		echo "bench: linked $K/build -> $arch_dir, $K/source -> $common_dir (for BCC)" >&2
	else
		echo "bench: no kernel headers for BCC under /usr/src: memleak-bpfcc will likely fail" >&2
	fi
fi

# The workloads run on a private copy of libc (LD_LIBRARY_PATH): a file of its own
# (a new inode each run), so uprobes that other tracers on this host hold on the
# system libc -- a test suite beside us, a leaked uprobe -- neither trap in the
# workloads nor refuse our peers' probes. Same bytes, same code as the system's.
sys_libc=$(ldd "$OUT/workload" | awk '$1 ~ /^libc\.so/ {print $3}')
mkdir -p "$OUT/lib"
rm -f "$OUT/lib/libc.so.6"
cp "${sys_libc:-/lib/x86_64-linux-gnu/libc.so.6}" "$OUT/lib/libc.so.6" || exit 1

command -v python3 >/dev/null || { echo "bench: python3 is needed for the driver" >&2; exit 1; }
exec python3 -u tools/bench/driver.py "$@"
