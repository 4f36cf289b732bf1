#!/usr/bin/env bash
# e2e: bench/conn_cost.sh in its smoke version (one round, short traffic)
# runs to the end in its own lab and reports, for both program families,
# the per-run cost of the connection tracepoint programs beside the empty
# programs, and the cost of one short connection. The values are NOT
# asserted (shared, noisy machines; docs/performance.md has the figures).
. "$(dirname "$0")/../lib.sh"

BB="${BUILD:-$TI_ROOT/build}/bench"
case "$BB" in /*) ;; *) BB="$TI_ROOT/$BB" ;; esac
require "tcpinspect binary exists" test -x "$TI_BIN"
require "bench tools built (make bench-build)" test -x "$BB/conn_rate" -a -x "$BB/prog_bench" -a -f "$BB/floor.bpf.o"

OUT="$TI_ARTIFACTS/results"
rm -rf "$OUT"
BUILD="$(dirname "$BB")" BENCH_SMOKE=1 CONN_COST_OUT="$OUT" TI_ARTIFACTS="$TI_ARTIFACTS/work" \
	timeout -k 10 240 "$TI_ROOT/bench/conn_cost.sh" >"$TI_ARTIFACTS/run.log" 2>&1
rc=$?
check "bench/conn_cost.sh exits 0 (smoke)" test "$rc" = 0 || tail -20 "$TI_ARTIFACTS/run.log"
check "raw samples written" test -s "$OUT/raw/conn_cost.txt"

# Row NAME must exist, hold numbers and a verdict.
row_has_numbers() {
	python3 - "$OUT/table.md" "$1" <<'PY'
import re, sys
table, name = sys.argv[1], sys.argv[2]
for line in open(table):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[0] == name:
        if "no data" in cells[1] or not re.search(r"\d+ ns", cells[1]):
            sys.exit("row %r has no numbers: %r" % (name, cells[1]))
        if cells[4] not in ("met", "MISSED", "n/a"):
            sys.exit("row %r has no verdict: %r" % (name, cells[4]))
        sys.exit(0)
sys.exit("no row %r in %s" % (name, table))
PY
}
for fam in tp_btf tracepoint; do
	sfx=$([ $fam = tp_btf ] && echo btf || echo tp)
	for p in state rst_rx rst_tx drop; do
		check "row: ti_${p}_$sfx ($fam)" row_has_numbers "conn tracepoint: ti_${p}_$sfx ($fam)"
	done
	check "row: ti_accept_exit ($fam)" row_has_numbers "conn tracepoint: ti_accept_exit ($fam)"
	check "row: cost per short connection ($fam)" row_has_numbers "conn cost per short connection ($fam)"
	check "$fam rows are compared with both empty programs" \
		grep -q "conn tracepoint: ti_state_$sfx ($fam) | .*empty tp_btf [0-9].*empty tracepoint [0-9]" "$OUT/table.md"
done
lab_ns=$(sed -n 's/^lab: up: \(ti-c-[^/]*\)\/.*<-> \(ti-s-[^/]*\)\/.*/\1 \2/p' "$TI_ARTIFACTS/run.log")
check "the bench's lab was found in its log" test -n "$lab_ns"
for ns in $lab_ns; do
	check "lab namespace $ns removed" test ! -e "/run/netns/$ns"
done
check "no bench_empty program left loaded" bash -c "! bpftool prog show | grep -q bench_empty_tp"
finish
