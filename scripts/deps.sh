#!/bin/sh
# deps.sh - install the Debian packages tcpinspect needs, only those missing.
#   scripts/deps.sh build   compiler, libbpf, bpftool: enough for `make`
#   scripts/deps.sh test    plus what the test suite and the demo lab use
# Idempotent and silent when everything is already installed.
set -eu

BUILD_PKGS="make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config libcmocka-dev"
# Lab and tests: namespaces and veth (iproute2), drops for retransmissions
# (nftables), real clients and servers (curl, python3), traffic tools, ping
# (iputils-ping: tests/lab.sh checks the lab with it).
TEST_PKGS="iproute2 nftables curl python3 procps psmisc tcpdump iputils-ping"

want="$BUILD_PKGS"
[ "${1:-build}" = test ] && want="$want $TEST_PKGS"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
