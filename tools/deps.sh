#!/bin/sh
# Install the packages leaktrace needs to build and test, when they are missing.
# On Debian/Ubuntu it runs apt-get; elsewhere it names what is missing.
# --list prints the package names (.ci/run installs them).
set -e
PKGS="clang llvm make gcc libc6-dev pkg-config libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev \
libcapstone-dev libprotobuf-c-dev protobuf-c-compiler libstdc++-12-dev g++ binutils xz-utils libc6-dbg libjemalloc2 libjemalloc-dev python3 jq golang-go"
if [ "${1:-}" = "--list" ]; then
	echo "$PKGS"
	exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "leaktrace: not a Debian system; install the equivalents of: $PKGS" >&2
	exit 0
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "leaktrace: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "leaktrace: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
