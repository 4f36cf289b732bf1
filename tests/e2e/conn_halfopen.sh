#!/usr/bin/env bash
# e2e: half-open connections are reported when they time out, IPv4 and IPv6.
# tcp_synack_retries=1 in the server namespace (a request lives ~3 s):
#  - raw SYN: one SYN from a raw socket (scapy) to port 8090, never followed
#    by an ACK; the client namespace drops its kernel's RST to port 8090 so
#    the request is left to time out;
#  - final ACK dropped: a real client connects to port 8091 while the client
#    namespace drops every segment to 8091 that is not a SYN;
#  - negative cases: a normal connection to 8090 completes and is not
#    reported; a raw SYN to 8092, whose SYN-ACK the client's kernel resets,
#    ends early and is not reported as timed out.
. "$(dirname "$0")/../lib.sh"

SCAPY_PY=/usr/bin/python3 # Debian's python3-scapy
require "tcpinspect binary exists" test -x "$TI_BIN"
require "nft available" which nft >/dev/null
require "scapy available (python3-scapy)" "$SCAPY_PY" -c 'import scapy.all'
require "lab up" lab_up
A=$TI_ARTIFACTS
H="$TI_ROOT/tests/conn_helpers.py"
require "synack retries 1 in the server namespace" in_server sysctl -qw net.ipv4.tcp_synack_retries=1
for addr in "$LAB_S4" "$LAB_S6"; do
	for port in 8090 8091 8092; do
		ip netns exec "$LAB_S_NS" python3 "$H" hold-server "$addr" "$port" 16 1 120 >/dev/null 2>&1 &
		lab_defer "kill $!"
	done
done
wait_for 10 _listening "$LAB_S6" 8092

T=tihalf$$
lab_defer "ip netns exec $LAB_C_NS nft delete table inet $T"
require "nft rules in the client namespace" in_client nft -f - <<NFT
table inet $T {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 8090 tcp flags & rst != 0 counter drop
		tcp dport 8091 tcp flags & syn == 0 counter drop
	}
}
NFT

if ti_start "$A/half" watch -i "$LAB_S_IF" --json --duration 120; then
	pass "watch starts"
	for addr in "$LAB_S4" "$LAB_S6"; do
		check "raw SYN to [$addr]:8090" in_client "$SCAPY_PY" "$H" raw-syn "$addr" 8090 41000
		check "raw SYN to [$addr]:8092" in_client "$SCAPY_PY" "$H" raw-syn "$addr" 8092 41002
		ip netns exec "$LAB_C_NS" python3 "$H" hold-client "$addr" 8091 1 6 >"$A/ack-${addr//:/_}.log" 2>&1 &
		lab_defer "kill $!"
		check "a normal connection to [$addr]:8090 completes" \
			bash -c "ip netns exec $LAB_C_NS python3 $H hold-client $addr 8090 1 1 | grep -q 'connected 1'"
	done
	# Requests time out ~3 s after their SYN; tcpinspect notices within ~3 s more.
	sleep 8
	ti_stop INT
	expect_rc "watch exits 0" 0
	O=$TI_OUT
	for fam in ipv4 ipv6; do
		jq_check "$fam: the raw SYN (sport 41000) to 8090 reported as timed out" "$O" \
			"(lambda h: len(h) == 1 and all(not e['completed'] and 1e6 <= e['duration_us'] <= 20e6 and e['synack_retransmits'] >= 1 for e in h))(E('handshake', family='$fam', dport=8090, sport=41000, timed_out=True))"
		jq_check "$fam: the connection whose final ACK was dropped (8091) reported as timed out" "$O" \
			"(lambda h: len(h) == 1 and all(not e['completed'] and 1e6 <= e['duration_us'] <= 20e6 for e in h))(E('handshake', family='$fam', dport=8091, timed_out=True))"
		jq_check "$fam: the normal connection to 8090 completed and did not time out" "$O" \
			"E('handshake', family='$fam', dport=8090, completed=True) and all(e['sport'] == 41000 for e in E('handshake', family='$fam', dport=8090, timed_out=True))"
		jq_check "$fam: the reset request to 8092 is not reported as timed out" "$O" \
			"not E('handshake', family='$fam', dport=8092, timed_out=True)"
	done
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi
check "nft table removed" in_client nft delete table inet $T
finish
