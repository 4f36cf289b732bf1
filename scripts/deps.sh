#!/bin/sh
# deps.sh - install the Debian packages tcpinspect needs, only those missing.
#   scripts/deps.sh build   compiler, libbpf, bpftool: enough for `make`
#   scripts/deps.sh test    plus what the test suite and the demo lab use
# Idempotent and silent when everything is already installed.
set -eu

BUILD_PKGS="make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config libcmocka-dev libcap-ng-dev libseccomp-dev libclang-rt-14-dev"
# serve: HTTP server and JSON request bodies; top: the terminal view
BUILD_PKGS="$BUILD_PKGS libmicrohttpd-dev libjson-c-dev libncurses-dev"
# capture/replay: pcap writer/reader and tcpdump filter compiler
BUILD_PKGS="$BUILD_PKGS libpcap-dev"
# Lab and tests: namespaces and veth (iproute2), drops for retransmissions
# (nftables), real clients and servers (curl, python3), traffic tools, ping
# (iputils-ping: tests/lab.sh checks the lab with it).
TEST_PKGS="iproute2 nftables curl python3 procps psmisc tcpdump iputils-ping"
# serve/top tests: a real Prometheus (with promtool), headless Chromium
# for the dashboard, tmux for top; node runs the OpenAPI validator and the
# browser driver (pinned in tests/package.json). Node only from Debian when
# the machine has none (it may come from elsewhere, with npm inside).
TEST_PKGS="$TEST_PKGS prometheus chromium tmux"
# app hints and pcap tests: a real TLS server (openssl s_server), tshark
# for the differential check (its debconf question is preseeded below),
# nmap for a scan to replay.
TEST_PKGS="$TEST_PKGS openssl tshark nmap"
# make bench / the bench smoke test: the peers measured against (xdp-filter,
# tcpdump, bpftrace, nftables, trafgen from netsniff-ng), iperf3 for
# throughput, ethtool to turn GSO/TSO off for the offload baseline.
TEST_PKGS="$TEST_PKGS xdp-tools iperf3 bpftrace netsniff-ng ethtool"
# Defences (tests/e2e/defence_*.sh, bench/flood_drop.sh): port scans
# (nmap), SYN floods from spoofed lab sources (trafgen in netsniff-ng,
# hping3, scapy).
TEST_PKGS="$TEST_PKGS nmap hping3 netsniff-ng python3-scapy"
# API under load (tests/e2e/serve_load.sh): wrk.
TEST_PKGS="$TEST_PKGS wrk"
command -v node >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS nodejs npm"

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
# tshark asks whether non-root users may capture: answer no, unattended.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections 2>/dev/null || true
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
