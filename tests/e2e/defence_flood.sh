#!/usr/bin/env bash
# e2e: SYN flood from spoofed sources inside the lab range 198.18.0.0/15
# (trafgen, bounded counts). The global flood detector alerts; legitimate
# curl requests during the flood are counted with mitigation off and on
# (--enforce): the success rates are a recorded figure, not a timed
# assertion; with --enforce the legitimate client still gets through. A
# flood of up to 131072 distinct sources leaves the BPF map memory unchanged and
# the detectors still work afterwards.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "trafgen available" which trafgen
require "nmap available" which nmap
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
echo hello >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
# SYN-ACKs to the spoofed sources go to the client namespace, which drops
# them (not its addresses, no forwarding): nothing leaves the lab.
require "route for the spoofed range" in_server ip route add 198.19.0.0/16 via "$LAB_C4"
require "flood config (port 8080)" def_flood_conf "$A/flood.cfg" 8080 19
require "wide flood config (port 9)" def_flood_conf "$A/wide.cfg" 9 "dinc(18, 19)"
FLOOD_N=50000
FLOOD_GAP=10

# phase NAME ARGS...: watch ARGS; a bounded flood in the background; 20
# sequential requests from the client meanwhile. Sets OK (successes).
phase() {
	local name=$1 fpid i
	shift
	OK=0
	if ! ti_start "$A/$name" watch -i "$LAB_S_IF" --json --duration 150 "$@"; then
		fail "$name: watch starts" "$(ti_ctx)"
		ti_stop
		return 1
	fi
	def_flood "$A/flood.cfg" "$FLOOD_N" "$FLOOD_GAP" >"$A/$name.trafgen" 2>&1 &
	fpid=$!
	sleep 1
	for i in $(seq 20); do
		in_client curl -sS -o /dev/null --connect-timeout 3 --max-time 5 \
			"http://$LAB_S4:8080/" 2>>"$A/$name.curl" && OK=$((OK + 1))
	done
	wait "$fpid"
	check "$name: trafgen sent $FLOOD_N SYNs" grep -q "$FLOOD_N packets outgoing" "$A/$name.trafgen"
	sleep 1
	ti_stop INT
	expect_rc "$name: watch exits 0" 0
}

phase off
OFF=$OK
jq_check "off: syn_flood alert with its evidence (rate >= 1000/s, >= 90% never complete)" "$TI_OUT" \
	"any(a['kind'] == 'syn_flood' and a['rate'] >= 1000 and a['incomplete_share'] >= 0.9 and a['threshold'] == 1000 for a in E('alert'))"
jq_check "off: no source was blocked" "$TI_OUT" \
	"all(a['action'] != 'blocked' for a in E('alert'))"

phase on --enforce
ON=$OK
jq_check "on: syn_flood alert" "$TI_OUT" "any(a['kind'] == 'syn_flood' for a in E('alert'))"
jq_check "on: the legitimate client was never blocked" "$TI_OUT" \
	"not any(a.get('src') == '$LAB_C4' and a['action'] == 'blocked' for a in E('alert'))"
check "on: legitimate requests succeed during the flood ($ON/20)" test "$ON" -ge 15
echo "# figure: legitimate requests during a ${FLOOD_N}-SYN spoofed flood: mitigation off $OFF/20, on (--enforce) $ON/20"
printf 'spoofed SYN flood (%s SYNs, gap %s us): legitimate curl successes off=%s/20 on=%s/20\n' \
	"$FLOOD_N" "$FLOOD_GAP" "$OFF" "$ON" >"$A/success_rate.txt"

# Bounded memory: ~130k distinct sources at full speed.
if ti_start "$A/wide" watch -i "$LAB_S_IF" --json --duration 150; then
	m0=$(bpf_memlock "$TI_PID")
	r0=$(awk '/VmRSS/ {print $2}' /proc/"$TI_PID"/status)
	check "wide flood: 200000 SYNs from up to 131072 sources" def_flood "$A/wide.cfg" 200000
	nmap_c -sS -p 1-200 "$LAB_S4" >"$A/wide.nmap" 2>&1
	sleep 1
	m1=$(bpf_memlock "$TI_PID")
	r1=$(awk '/VmRSS/ {print $2}' /proc/"$TI_PID"/status)
	ti_stop INT
	echo "# BPF map memory ${m0} -> ${m1} bytes; RSS ${r0} -> ${r1} kB"
	check "wide flood: BPF map memory unchanged ($m0 -> $m1 bytes)" test "$m0" = "$m1" -a "$m0" -gt 0
	check "wide flood: RSS grew less than 32 MB ($r0 -> $r1 kB)" test $((r1 - r0)) -lt 32768
	jq_check "wide flood: the flood detector alerted" "$TI_OUT" \
		"any(a['kind'] == 'syn_flood' for a in E('alert'))"
	jq_check "wide flood: the scan after it is still detected" "$TI_OUT" \
		"any(a['kind'] == 'vertical_scan' and a['src'] == '$LAB_C4' for a in E('alert'))"
	jq_check "wide flood: stats at the end, JSON intact" "$TI_OUT" "not bad and last(ev)['event'] == 'stats'"
else
	fail "wide: watch starts" "$(ti_ctx)"
	ti_stop
fi
finish
