#!/usr/bin/env bash
# flood_drop.sh - packets per second dropped by tcpinspect's XDP blocklist
# (native XDP on the server veth) versus an equivalent nftables drop rule
# (netdev ingress hook on the same veth), under the same trafgen flood of
# spoofed SYNs from 198.19.0.0/16 (inside the lab range 198.18.0.0/15).
#
#   sudo bench/flood_drop.sh            3 rounds of 1,000,000 frames each
#   ROUNDS=5 FRAMES=2000000 sudo bench/flood_drop.sh
#
# Each round runs both, alternating which goes first. Rate = frames counted
# as dropped (blocklist hit counter / nft rule counter) / seconds trafgen
# took to send them. On a veth pair the sender and the receiver share the
# CPUs, so the figure is the cost of the drop path relative to nftables,
# not a line rate. Caveat seen on this kernel: with native XDP on a veth
# the frames go through the peer's 256-entry XDP ring, and what the ring
# cannot take is dropped by veth before XDP runs (not counted as a hit);
# the "reached" share says how many frames the XDP program saw.
# Writes bench/results/flood_drop-<UTC time>.txt.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TI_ARTIFACTS=${TI_ARTIFACTS:-$ROOT/bench/results/flood_drop-work}
. "$ROOT/tests/lib.sh"
. "$ROOT/tests/defence_lib.sh"
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	# CI smoke: prove the pipeline works, not the numbers.
	ROUNDS=${ROUNDS:-1}
	FRAMES=${FRAMES:-200000}
fi
ROUNDS=${ROUNDS:-3}
FRAMES=${FRAMES:-1000000}
OUT="$ROOT/bench/results/flood_drop-$(date -u +%Y%m%dT%H%M%SZ).txt"
NFT=tibench$$

def_private_lists || exit 1
lab_up || exit 1
lab_defer "ip netns exec $LAB_S_NS nft delete table netdev $NFT"
def_flood_conf "$TI_ARTIFACTS/flood.cfg" 8080 19

now() { date +%s.%N; }

xdp_round() {
	local t0 t1 h
	ti_start "$TI_ARTIFACTS/xdp" watch -i "$LAB_S_IF" --mode native --no-alerts \
		--no-app --json --duration 300 || { echo "watch failed" >&2; ti_ctx >&2; return 1; }
	ti_block flush >/dev/null 2>&1
	ti_block add 198.19.0.0/16
	t0=$(now)
	def_flood "$TI_ARTIFACTS/flood.cfg" "$FRAMES" >/dev/null 2>&1
	t1=$(now)
	h=$(ti_block list --json | python3 -c 'import json,sys; print(sum(json.loads(l)["hits"] for l in sys.stdin))')
	ti_stop INT
	ti_block flush >/dev/null 2>&1
	python3 -c "print(f'{$h / ($t1 - $t0):.0f} $h {$t1 - $t0:.3f}')"
}

nft_round() {
	local t0 t1 n
	in_server nft -f - <<NFT
table netdev $NFT {
	chain in {
		type filter hook ingress device "$LAB_S_IF" priority -500; policy accept;
		ip saddr 198.19.0.0/16 counter drop
	}
}
NFT
	t0=$(now)
	def_flood "$TI_ARTIFACTS/flood.cfg" "$FRAMES" >/dev/null 2>&1
	t1=$(now)
	n=$(in_server nft list table netdev $NFT | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	in_server nft delete table netdev $NFT
	python3 -c "print(f'{$n / ($t1 - $t0):.0f} $n {$t1 - $t0:.3f}')"
}

xs=() ns=() hs=()
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		x=$(xdp_round) || exit 1
		n=$(nft_round) || exit 1
	else
		n=$(nft_round) || exit 1
		x=$(xdp_round) || exit 1
	fi
	echo "round $r: xdp $x | nft $n (pps dropped, frames, seconds)"
	xs+=("${x%% *}") ns+=("${n%% *}")
	x=${x#* }
	hs+=("${x%% *}")
done
python3 - "$OUT" "$FRAMES" "${xs[*]}" "${ns[*]}" "${hs[*]}" <<'PY' | tee "$OUT"
import statistics, sys, platform, os
out, frames = sys.argv[1], sys.argv[2]
xs = [float(v) for v in sys.argv[3].split()]
ns = [float(v) for v in sys.argv[4].split()]
ratios = [x / n for x, n in zip(xs, ns) if n > 0]
print(f"flood_drop: {len(xs)} rounds of {frames} spoofed SYN frames (trafgen, veth, native XDP)")
print(f"kernel {platform.release()}, {os.cpu_count()} CPUs")
print(f"XDP blocklist drop: median {statistics.median(xs):.0f} pps (min {min(xs):.0f}, max {max(xs):.0f})")
print(f"nft netdev ingress drop: median {statistics.median(ns):.0f} pps (min {min(ns):.0f}, max {max(ns):.0f})")
print(f"ratio XDP/nft: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
hs = [int(v) for v in sys.argv[5].split()]
print(f"frames that reached the XDP program: median {statistics.median(hs) / int(frames):.0%} (the rest dropped by the veth XDP ring)")
# Machine-readable lines for bench/report.py.
print(f"xdp_drop_pps {statistics.median(xs):.0f}")
print(f"nft_drop_pps {statistics.median(ns):.0f}")
PY
