#!/usr/bin/env bash
# conn_cost.sh - cost per run of tcpinspect's connection tracepoint programs
# (src/conn.bpf.c, src/conn_life.bpf.h) under real lab traffic, beside an
# empty tp_btf and an empty classic tracepoint program (bench/floor.bpf.c)
# measured the same way in the same run.
#
#   sudo bench/conn_cost.sh             3 rounds, both program families
#   ROUNDS=5 CONN_S=5 sudo bench/conn_cost.sh
#   BENCH_SMOKE=1                       1 round, short traffic (CI)
#   CONN_COST_RAW=FILE                  write the raw samples to FILE
#                                       (bench/run.sh does; no summary)
#   CONN_COST_OUT=DIR                   results directory (default below)
#
# Each round and each family (`watch --conn-hook tp_btf`, then
# `--conn-hook tracepoint`, order alternating) runs `watch --json` in the
# server namespace with kernel.bpf_stats_enabled=1 and drives, from the
# client namespace: short connections (bench/conn_rate), a bulk transfer
# (iperf3), connections reset by the client (SO_LINGER 0), SYNs to a closed
# port (resets sent), SYNs an nftables rule drops (kfree_skb with a reason)
# and an accept queue overflow (listen backlog 1, never accepted), IPv4 and
# IPv6. Per program: delta run_time_ns / delta run_cnt over the traffic.
# The tracepoints fire for the whole machine, so other traffic on the host
# is counted too (it is real traffic; the per-run cost is what matters).
# Raw line: FAMILY ROUND PROG_NAME PROG_TYPE DELTA_NS DELTA_RUNS. The
# short-connection phase also records what one connection costs in the
# kernel programs and in the watch process (see short_conns).
# Writes bench/results/conn_cost-<UTC time>/ (raw/conn_cost.txt, table.md).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TI_ARTIFACTS=${TI_ARTIFACTS:-$ROOT/bench/results/conn_cost-work}
. "$ROOT/tests/lib.sh"
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BB="$BUILD/bench"
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-1} CONN_S=${CONN_S:-1} BULK=${BULK:-8M} N=${N:-20}
fi
ROUNDS=${ROUNDS:-3}
CONN_S=${CONN_S:-3}   # seconds of short connections per sample
BULK=${BULK:-64M}     # bytes of the bulk transfer per sample
N=${N:-100}           # resets, closed-port SYNs and dropped SYNs per family
H="$ROOT/tests/conn_helpers.py"
CONN_PORT=8080 IPERF_PORT=5201 OVF_PORT=8083 ABORT_PORT=8084 CLOSED_PORT=8085 DROP_PORT=8086
NFT=ticost$$

die() {
	echo "conn_cost: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root"
for t in "$TI_BIN" "$BB/prog_bench" "$BB/conn_rate" "$BB/floor.bpf.o"; do
	[ -e "$t" ] || die "missing $t (make bench-build)"
done
for t in iperf3 nft bpftool python3; do
	command -v "$t" >/dev/null || die "missing tool $t (scripts/deps.sh test installs it)"
done
if [ -n "${CONN_COST_RAW:-}" ]; then
	RAWF=$CONN_COST_RAW
	OUT=""
else
	OUT=${CONN_COST_OUT:-$ROOT/bench/results/conn_cost-$(date -u +%Y%m%dT%H%M%SZ)}
	RAWF="$OUT/raw/conn_cost.txt"
fi
mkdir -p "$(dirname "$RAWF")" "$TI_ARTIFACTS" || die "cannot create $(dirname "$RAWF")"
: >"$RAWF"

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
lab_up || die "lab setup failed"
lab_defer "sysctl -qw kernel.bpf_stats_enabled=$STATS_WAS"
lab_defer "ip netns exec $LAB_S_NS nft delete table inet $NFT"
# The empty classic tracepoint attaches through tracefs.
lab_tracefs || die "cannot mount tracefs on /sys/kernel/tracing"

# Servers, in the server namespace (lab_down ends every process in it).
bg() { "$@" >>"$TI_ARTIFACTS/servers.log" 2>&1 </dev/null & }
bg in_server "$BB/conn_rate" server "$LAB_S4" "$CONN_PORT"
bg in_server iperf3 -s -B "$LAB_S4" -p "$IPERF_PORT"
for a in "$LAB_S4" "$LAB_S6"; do
	bg in_server python3 "$H" hold-server "$a" "$ABORT_PORT" 128 1 3600
	bg in_server python3 "$H" hold-server "$a" "$OVF_PORT" 1 0 3600
done
in_server nft -f - <<NFT || die "nft rule failed"
table inet $NFT {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport $DROP_PORT counter drop
	}
}
NFT
for p in "$CONN_PORT" "$IPERF_PORT"; do
	wait_for 30 _listening "$LAB_S4" "$p" || die "server on port $p did not start"
done
wait_for 30 _listening "$LAB_S6" "$OVF_PORT" || die "hold-server did not start"

# kernel.bpf_stats_enabled is global: another benchmark on the host may
# restore it to 0 in the middle of a sample, which would then count nothing.
# Set it before each sample and drop a sample during which it went off.
stats_on() { sysctl -qw kernel.bpf_stats_enabled=1; }
stats_still_on() {
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ] && return 0
	echo "conn_cost: kernel.bpf_stats_enabled was switched off during a sample (another benchmark?): sample dropped" >&2
	return 1
}

# short_conns IDS FAMILY ROUND: the short-connection phase, with what one
# connection costs: the connection programs' run time (bpf_stats) and the
# watch process's CPU time (user + system: decoding and printing events),
# each divided by the connections made. Raw line: per_conn FAMILY ROUND
# CONNECTIONS PROGRAM_NS WATCH_CPU_NS.
short_conns() {
	local ids=$1 b a c0 c1 out tick
	tick=$(getconf CLK_TCK)
	stats_on
	b=$(echo "$ids" | prog_stats)
	c0=$(awk '{print $14 + $15}' /proc/"$TI_PID"/stat)
	out=$(in_client "$BB/conn_rate" client "$LAB_S4" "$CONN_PORT" "$CONN_S" 2>/dev/null)
	c1=$(awk '{print $14 + $15}' /proc/"$TI_PID"/stat)
	a=$(echo "$ids" | prog_stats)
	stats_still_on || return 0
	python3 - "$2" "$3" "$b" "$a" "$out" "$c0" "$c1" "$tick" >>"$RAWF" <<'PY'
import sys
fam, rnd, before, after, out, c0, c1, tick = sys.argv[1:9]
b = {l.split()[0]: l.split() for l in before.splitlines() if l.strip()}
ns = 0
for l in after.splitlines():
    f = l.split()
    if len(f) >= 5 and f[0] in b and f[1].startswith("ti_") and \
            f[2] in ("tracing", "tracepoint", "raw_tracepoint"):
        ns += int(f[3]) - int(b[f[0]][3])
conns = [int(l.split()[1]) for l in out.splitlines() if l.startswith("connections")]
cpu_ns = (int(c1) - int(c0)) * 1e9 / int(tick)
print("per_conn", fam, rnd, conns[0] if conns else 0, ns, int(cpu_ns))
PY
}

traffic() {
	local a
	in_client timeout 60 iperf3 -c "$LAB_S4" -p "$IPERF_PORT" -n "$BULK" >/dev/null 2>&1
	for a in "$LAB_S4" "$LAB_S6"; do
		in_client python3 "$H" aborts "$a" "$ABORT_PORT" "$N" >/dev/null 2>&1
		in_client python3 "$H" syns "$a" "$CLOSED_PORT" "$N" >/dev/null 2>&1
		in_client python3 "$H" syns "$a" "$DROP_PORT" "$N" >/dev/null 2>&1
		in_client python3 "$H" hold-client "$a" "$OVF_PORT" 20 1 >/dev/null 2>&1
	done
}

# pid_prog_ids, prog_stats
# shellcheck source=bench/bpf_stats.sh
. "$ROOT/bench/bpf_stats.sh"

# sample FAMILY ROUND: one measurement of one program family.
sample() {
	local fam=$1 rnd=$2 e1 e2 ids before after
	: >"$TI_ARTIFACTS/empty_btf.log"
	: >"$TI_ARTIFACTS/empty_tpc.log"
	"$BB/prog_bench" attach - auto "$BB/floor.bpf.o" bench_empty_tp >"$TI_ARTIFACTS/empty_btf.log" 2>&1 &
	e1=$!
	"$BB/prog_bench" attach - auto "$BB/floor.bpf.o" bench_empty_tpc >"$TI_ARTIFACTS/empty_tpc.log" 2>&1 &
	e2=$!
	lab_defer "kill $e1 $e2"
	wait_for 10 grep -q attached "$TI_ARTIFACTS/empty_btf.log" || echo "conn_cost: empty tp_btf did not attach" >&2
	wait_for 10 grep -q attached "$TI_ARTIFACTS/empty_tpc.log" || echo "conn_cost: empty tracepoint did not attach" >&2
	if ! ti_start "$TI_ARTIFACTS/watch_$fam" watch -i "$LAB_S_IF" --json --conn-hook "$fam"; then
		echo "conn_cost: watch --conn-hook $fam did not start: $(head -3 "$TI_ERR")" >&2
		kill "$e1" "$e2" 2>/dev/null
		wait "$e1" "$e2" 2>/dev/null
		return 1
	fi
	ids=$({
		pid_prog_ids "$TI_PID"
		awk '/^attached/ {print $2}' "$TI_ARTIFACTS/empty_btf.log" "$TI_ARTIFACTS/empty_tpc.log"
	} | sort -un)
	stats_on
	before=$(echo "$ids" | prog_stats)
	short_conns "$ids" "$fam" "$rnd"
	traffic
	after=$(echo "$ids" | prog_stats)
	ti_stop INT
	kill "$e1" "$e2" 2>/dev/null
	wait "$e1" "$e2" 2>/dev/null
	stats_still_on || return 0
	python3 - "$fam" "$rnd" "$before" "$after" >>"$RAWF" <<'PY'
import sys
fam, rnd, before, after = sys.argv[1:5]
b = {l.split()[0]: l.split() for l in before.splitlines() if l.strip()}
for l in after.splitlines():
    f = l.split()
    if len(f) < 5 or f[0] not in b or not f[0].isdigit():
        continue
    # Only tracepoint programs: the packet programs have their own figure.
    if f[2] not in ("tracing", "tracepoint", "raw_tracepoint"):
        continue
    print(fam, rnd, f[1], f[2], int(f[3]) - int(b[f[0]][3]), int(f[4]) - int(b[f[0]][4]))
PY
}

stats_on || die "cannot enable kernel.bpf_stats_enabled"
for r in $(seq "$ROUNDS"); do
	order="tp_btf tracepoint"
	[ $((r % 2)) = 0 ] && order="tracepoint tp_btf"
	for fam in $order; do
		echo "conn_cost: round $r: $fam" >&2
		sample "$fam" "$r"
	done
done
[ -s "$RAWF" ] || die "no samples (see $TI_ARTIFACTS)"
if [ -n "$OUT" ]; then
	python3 "$ROOT/bench/report.py" --only conn_cost "$OUT" | tee "$OUT/table.md"
fi
