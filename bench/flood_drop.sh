#!/usr/bin/env bash
# flood_drop.sh - tcpinspect's XDP blocklist (native XDP on the server veth)
# versus an equivalent nftables drop rule (netdev ingress hook on the same
# veth), under the same trafgen flood of spoofed SYNs from 198.19.0.0/16
# (inside the lab range 198.18.0.0/15); also the same blocklist at TC
# ingress, tcpinspect's default attach mode on veth.
#
#   sudo bench/flood_drop.sh            3 rounds of 1,000,000 frames each
#   ROUNDS=5 FRAMES=2000000 RATE=100000 sudo bench/flood_drop.sh
#
# Two figures per mechanism, each round rotating which goes first:
#  * max: trafgen as fast as it can; pps dropped = frames the mechanism
#    counted as dropped (blocklist hits / nft rule counter) / seconds trafgen
#    took. On a veth pair sender and receiver share the CPUs, so this is
#    bounded by the sender as much as by the drop path.
#  * paced: trafgen at RATE pps (both mechanisms keep up, so they drop the
#    same delivered load); CPU ns per dropped packet = softirq time (the
#    /proc/stat softirq column, all CPUs) / packets dropped. Both drops run
#    in the NET_RX softirq (veth NAPI for XDP, the backlog for the netdev
#    hook) while the sender runs in process context, so the sender's cost
#    is not in the figure. Tick sampled (USER_HZ): long runs, medians.
# Every run also records where frames went (client veth TX packets/drops,
# server veth RX packets/drops, the veth XDP queue counters): frames
# "delivered" are those the mechanism counted; the rest are listed by the
# counter that saw them.
# Writes bench/results/flood_drop-<UTC time>.txt (or $FLOOD_OUT).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TI_ARTIFACTS=${TI_ARTIFACTS:-$ROOT/bench/results/flood_drop-work}
. "$ROOT/tests/lib.sh"
. "$ROOT/tests/defence_lib.sh"
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	# CI smoke: prove the pipeline works, not the numbers.
	ROUNDS=${ROUNDS:-1}
	FRAMES=${FRAMES:-100000}
fi
ROUNDS=${ROUNDS:-3}
FRAMES=${FRAMES:-1000000}
RATE=${RATE:-100000} # paced runs, frames/s: below what both can drop here
OUT=${FLOOD_OUT:-$ROOT/bench/results/flood_drop-$(date -u +%Y%m%dT%H%M%SZ).txt}
NFT=tibench$$

def_private_lists || exit 1
lab_up || exit 1
lab_defer "ip netns exec $LAB_S_NS nft delete table netdev $NFT"
def_flood_conf "$TI_ARTIFACTS/flood.cfg" 8080 19

now() { date +%s.%N; }
HZ=$(getconf CLK_TCK)
softirq_ticks() { awk '/^cpu / {print $8}' /proc/stat; }

# Frame counters of the lab veth pair: client TX packets and drops, server
# RX packets and drops, server veth XDP queue packets and drops.
link_counts() {
	local c s x
	c=$(in_client cat /sys/class/net/"$LAB_C_IF"/statistics/tx_packets /sys/class/net/"$LAB_C_IF"/statistics/tx_dropped)
	s=$(in_server cat /sys/class/net/"$LAB_S_IF"/statistics/rx_packets /sys/class/net/"$LAB_S_IF"/statistics/rx_dropped)
	x=$(in_server ethtool -S "$LAB_S_IF" 2>/dev/null |
		awk '/rx_queue_0_xdp_packets:/ {p=$2} /rx_queue_0_xdp_drops:/ {d=$2} END {print p+0, d+0}')
	echo $c $s $x
}

# flood RATE COUNTER-CMD: send FRAMES (at RATE pps, 0 = flat out); prints
# "dropped seconds softirq_ns_per_drop c_tx c_txdrop s_rx s_rxdrop xdp_pkts xdp_drops"
# (link counters as deltas). COUNTER-CMD prints the mechanism's drop count.
flood() {
	local rate=$1 t0 t1 k0 k1 l0 l1 n
	l0=$(link_counts) k0=$(softirq_ticks) t0=$(now)
	in_client timeout -k 5 300 trafgen --dev "$LAB_C_IF" --conf "$TI_ARTIFACTS/flood.cfg" \
		--num "$FRAMES" $([ "$rate" -gt 0 ] && echo "--rate ${rate}pps") -q >/dev/null 2>&1
	t1=$(now) k1=$(softirq_ticks) l1=$(link_counts)
	n=$($2)
	python3 - "$n" "$t0" "$t1" "$k0" "$k1" "$HZ" "$l0" "$l1" <<'PY'
import sys
n, t0, t1, k0, k1, hz = (float(v) for v in sys.argv[1:7])
l0, l1 = (list(map(int, a.split())) for a in sys.argv[7:9])
ns = (k1 - k0) * 1e9 / hz / n if n else float("nan")
print(f"{n:.0f} {t1 - t0:.3f} {ns:.0f}", *(b - a for a, b in zip(l0, l1)))
PY
}

xdp_hits() { ti_block list --json | python3 -c 'import json,sys; print(sum(json.loads(l)["hits"] for l in sys.stdin))'; }
nft_hits() { in_server nft list table netdev $NFT | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

# blocklist_run MODE RATE: one flood through tcpinspect's blocklist attached
# in MODE (native XDP or TC); xdp_run / tc_run / nft_run RATE: each mechanism.
blocklist_run() {
	ti_start "$TI_ARTIFACTS/$1" watch -i "$LAB_S_IF" --mode "$1" --no-alerts \
		--no-app --json --duration 600 || { echo "watch failed" >&2; ti_ctx >&2; return 1; }
	ti_block flush >/dev/null 2>&1
	ti_block add 198.19.0.0/16 >/dev/null
	flood "$2" xdp_hits
	ti_stop INT
	ti_block flush >/dev/null 2>&1
}
xdp_run() { blocklist_run native "$1"; }
tc_run() { blocklist_run tc "$1"; }

nft_run() {
	in_server nft -f - <<NFT
table netdev $NFT {
	chain in {
		type filter hook ingress device "$LAB_S_IF" priority -500; policy accept;
		ip saddr 198.19.0.0/16 counter drop
	}
}
NFT
	flood "$1" nft_hits
	in_server nft delete table netdev $NFT
}

RAWF="$TI_ARTIFACTS/runs.txt"
echo "# mech rate round: dropped seconds softirq_ns_per_drop client_tx client_txdrop server_rx server_rxdrop xdp_pkts xdp_drops" >"$RAWF"
for r in $(seq "$ROUNDS"); do
	case $((r % 3)) in
	1) order="xdp tc nft" ;;
	2) order="tc nft xdp" ;;
	*) order="nft xdp tc" ;;
	esac
	for rate in 0 "$RATE"; do
		for m in $order; do
			line=$("${m}_run" "$rate") || exit 1
			echo "$m $rate $r: $line" | tee -a "$RAWF"
		done
	done
done
python3 - "$OUT" "$FRAMES" "$RATE" "$RAWF" <<'PY' | tee "$OUT"
import statistics as st, sys, platform, os
out, frames, rate, rawf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(rawf):
    if line.startswith("#"):
        continue
    head, vals = line.split(":")
    m, r, _ = head.split()
    runs.setdefault((m, int(r)), []).append([float(v) for v in vals.split()])
def col(m, r, i):
    return [v[i] for v in runs.get((m, r), [])]
def med(l):
    return st.median(l) if l else float("nan")
def spread(l, f="%.0f"):
    return (f + " (" + f + "–" + f + ")") % (med(l), min(l), max(l)) if l else "?"
MECHS = ("xdp", "tc", "nft")
pps = {m: [v[0] / v[1] for v in runs.get((m, 0), []) if v[1] > 0] for m in MECHS}
ns = {m: col(m, rate, 2) for m in MECHS}
print(f"flood_drop: {len(pps['xdp'])} rounds of {frames} spoofed SYN frames (trafgen, veth, native XDP); paced runs at {rate} pps")
print(f"kernel {platform.release()}, {os.cpu_count()} CPUs")
for m, name in (("xdp", "XDP blocklist"), ("tc", "TC blocklist"), ("nft", "nft netdev ingress")):
    print(f"{name}: max {spread(pps[m])} pps dropped; paced: {spread(ns[m])} softirq ns per dropped packet")
    for r in (0, rate):
        d = col(m, r, 0)
        print(f"  {'max' if r == 0 else 'paced'}: delivered (counted as dropped) {med(d) / frames:.1%} of the frames;"
              f" client veth tx packets {med(col(m, r, 3)):.0f}, tx dropped {med(col(m, r, 4)):.0f}, server rx dropped {med(col(m, r, 6)):.0f},"
              f" veth XDP queue drops {med(col(m, r, 8)):.0f} (median per run)")
ratios = [n / x for n, x in zip(ns["nft"], ns["xdp"]) if x > 0]
pratios = [x / n for x, n in zip(pps["xdp"], pps["nft"]) if n > 0]
print(f"ratio XDP/nft pps dropped (max): {spread(pratios, '%.2f')}")
print(f"ratio nft/XDP CPU per dropped packet (paced, same load): {spread(ratios, '%.2f')}")
tratios = [n / t for n, t in zip(ns["nft"], ns["tc"]) if t > 0]
print(f"ratio nft/TC CPU per dropped packet (paced, same load): {spread(tratios, '%.2f')}")
# Machine-readable lines for bench/report.py.
print(f"xdp_drop_pps {med(pps['xdp']):.0f}")
print(f"nft_drop_pps {med(pps['nft']):.0f}")
print(f"xdp_ns_per_drop {med(ns['xdp']):.0f}")
print(f"nft_ns_per_drop {med(ns['nft']):.0f}")
print(f"tc_drop_pps {med(pps['tc']):.0f}")
print(f"tc_ns_per_drop {med(ns['tc']):.0f}")
PY
