#!/usr/bin/env bash
# e2e: map pressure. 300000 SYNs from as many spoofed IPv6 sources
# (fd00:1::/64, inside the lab's fd00::/8) while a real nmap SYN scan runs
# from the client: the kernel maps keep their size (bpftool max_entries,
# the process's BPF memlock unchanged), the per-source table reports its
# evictions in the stats (inserts - live entries), and the scanner is still
# detected in the middle of the churn. Bounded: a frame count, a gap.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "trafgen available" which trafgen
require "nmap available" which nmap
require "bpftool available" which bpftool
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
FRAMES=300000
GAP_US=10 # ~5 s of flood on this kind of machine, long enough for nmap
# Replies to the spoofed sources go to the client namespace, which drops
# them (not its addresses, no forwarding): nothing leaves the lab, and no
# neighbour discovery for 300000 addresses.
require "route for the spoofed range" in_server ip -6 route add fd00:1::/64 via "$LAB_C6"
require "flood config (port 9)" def_flood6_conf "$A/flood6.cfg" 9

# maps_of PID: "name max_entries bytes_memlock" of every map PID holds.
maps_of() {
	local id
	for id in $(grep -hs '^map_id:' /proc/"$1"/fdinfo/* | awk '{print $2}' | sort -u); do
		bpftool -j map show id "$id" 2>/dev/null
		echo
	done | python3 -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        m = json.loads(l)
        print(m.get("name", "?"), m.get("max_entries", 0), m.get("bytes_memlock", 0))' | sort
}

# The filter keeps the flood's 300000 SYNs out of the event stream (they
# are still inspected and counted): the output stays small.
if ti_start "$A/pressure" watch -i "$LAB_S_IF" --json --duration 150 not src net fd00:1::/64; then
	maps_of "$TI_PID" >"$A/maps.before"
	m0=$(bpf_memlock "$TI_PID")
	def_flood "$A/flood6.cfg" "$FRAMES" "$GAP_US" >"$A/trafgen.txt" 2>&1 &
	fpid=$!
	sleep 1
	nmap_c -6 -sS -p 1-200 "$LAB_S6" >"$A/nmap.txt" 2>&1
	wait "$fpid"
	check "trafgen sent $FRAMES SYNs" grep -q "$FRAMES packets outgoing" "$A/trafgen.txt"
	sleep 1
	maps_of "$TI_PID" >"$A/maps.after"
	m1=$(bpf_memlock "$TI_PID")
	ti_stop INT
	expect_rc "watch exits 0" 0
	check "the process holds its maps (bpftool lists ti_syn_sources)" grep -q '^ti_syn_sources 65536 ' "$A/maps.before"
	check "every map keeps its max_entries and bytes_memlock" diff "$A/maps.before" "$A/maps.after"
	check "BPF map memory of the process unchanged ($m0 -> $m1 bytes)" test "$m0" = "$m1" -a "$m0" -gt 0
	jq_check "nmap's probes were seen during the flood" "$TI_OUT" \
		"len(E('packet', src='$LAB_C6')) >= 100"
	jq_check "the scanner is still detected: vertical_scan from $LAB_C6" "$TI_OUT" \
		"any(a['kind'] == 'vertical_scan' and a['src'] == '$LAB_C6' for a in E('alert'))"
	jq_check "stats: the source table filled up and counted its evictions" "$TI_OUT" \
		"(lambda t: t['capacity'] == 65536 and t['inserts'] >= $FRAMES * 9 // 10 and t['entries'] <= t['capacity'] and t['evictions'] == t['inserts'] - t['entries'] and t['evictions'] >= t['inserts'] - t['capacity'])(last(E('stats'))['defence']['source_table'])"
	jq_check "stats: the SYNs were counted" "$TI_OUT" \
		"last(E('stats'))['defence']['syns'] >= $FRAMES * 9 // 10"
	jq_get "$TI_OUT" "last(E('stats'))['defence']" >"$A/defence_stats.txt"
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi
finish
