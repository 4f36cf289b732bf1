#!/usr/bin/env bash
# e2e: scan detection in XDP/TC. nmap from the client namespace against the
# server (ports 1-200, bounded): SYN, connect, FIN, NULL and Xmas scans each
# raise their alert with the client as source; an IPv6 SYN scan too; a
# horizontal scan of 25 server addresses on one port; a normal client with
# a handful of connections raises nothing.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "nmap available" which nmap
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS

# scan_case NAME KIND SRC NMAP-ARGS...: one watch per scan (fresh detector
# state), the scan, then: exactly one alert of KIND from SRC.
scan_case() {
	local name=$1 kind=$2 src=$3
	shift 3
	if ! ti_start "$A/$name" watch -i "$LAB_S_IF" --json --duration 100; then
		fail "$name: watch starts" "$(ti_ctx)"
		ti_stop
		return
	fi
	nmap_c "$@" >"$A/$name.nmap" 2>&1
	sleep 1
	ti_stop INT
	expect_rc "$name: watch exits 0" 0
	jq_check "$name: one $kind alert from $src" "$TI_OUT" \
		"len([a for a in E('alert', src='$src') if a['kind'] == '$kind']) == 1"
	jq_check "$name: the alert names the server and its evidence" "$TI_OUT" \
		"all((a['dst'] in ('$LAB_S4', '$LAB_S6') or a['dst'].startswith('198.18.0.')) and a['count'] >= 1 and 'suppressed' in a and a['action'] == 'none' for a in E('alert') if a['kind'] == '$kind')"
}

scan_case syn vertical_scan "$LAB_C4" -sS -p 1-200 "$LAB_S4"
jq_check "syn: vertical_scan evidence: 20 failed ports in 5 s, ports listed" "$A/syn.out" \
	"(lambda a: a['count'] == 20 and a['threshold'] == 20 and a['window_s'] == 5 and len(a['ports']) == 8)([a for a in E('alert') if a['kind'] == 'vertical_scan'][0])"
scan_case connect vertical_scan "$LAB_C4" -sT -p 1-200 "$LAB_S4"
scan_case fin stealth_fin "$LAB_C4" -sF -p 1-200 "$LAB_S4"
jq_check "fin: the FIN probes also make a vertical scan" "$A/fin.out" \
	"len([a for a in E('alert', src='$LAB_C4') if a['kind'] == 'vertical_scan']) == 1"
jq_check "fin: repeats of the stealth alert are suppressed, not re-sent" "$A/fin.out" \
	"[a for a in E('alert') if a['kind'] == 'stealth_fin'][0]['tcp_flags'] == ['FIN']"
scan_case null stealth_null "$LAB_C4" -sN -p 1-200 "$LAB_S4"
scan_case xmas stealth_xmas "$LAB_C4" -sX -p 1-200 "$LAB_S4"
jq_check "xmas: flags FIN PSH URG" "$A/xmas.out" \
	"[a for a in E('alert') if a['kind'] == 'stealth_xmas'][0]['tcp_flags'] == ['FIN', 'PSH', 'URG']"
scan_case syn6 vertical_scan "$LAB_C6" -6 -sS -p 1-200 "$LAB_S6"

# Horizontal: 25 more addresses on the server, one port each.
for i in $(seq 10 34); do in_server ip addr add "198.18.0.$i/24" dev "$LAB_S_IF"; done
scan_case horizontal horizontal_scan "$LAB_C4" -sS -p 80 "198.18.0.10-34"
jq_check "horizontal: counted 20 addresses on port 80" "$A/horizontal.out" \
	"(lambda a: a['count'] == 20 and a['dport'] == 80)([a for a in E('alert') if a['kind'] == 'horizontal_scan'][0])"

# A normal client: a handful of connections to a few ports (two open, one
# closed) -> no alert at all.
mkdir -p "$A/www"
echo hello >"$A/www/index.html"
require "http.server on 8080" http_start "$LAB_S4" 8080 "$A/www"
require "http.server on 8081" http_start "$LAB_S4" 8081 "$A/www"
if ti_start "$A/normal" watch -i "$LAB_S_IF" --json --duration 100; then
	ok=0
	for i in 1 2 3 4; do curl_c "http://$LAB_S4:8080/" && ok=$((ok + 1)); done
	for i in 1 2 3; do curl_c "http://$LAB_S4:8081/" && ok=$((ok + 1)); done
	curl_c "http://$LAB_S4:9/" 2>/dev/null # refused: one failed port
	sleep 1
	ti_stop INT
	check "normal: 7 requests succeeded" test "$ok" = 7
	jq_check "normal: the client's connections were seen" "$TI_OUT" \
		"len(E('packet', src='$LAB_C4', dport=8080)) >= 4"
	jq_check "normal: no alert" "$TI_OUT" "len(E('alert')) == 0"
else
	fail "normal: watch starts" "$(ti_ctx)"
	ti_stop
fi
finish
