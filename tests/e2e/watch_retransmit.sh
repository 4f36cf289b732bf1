#!/usr/bin/env bash
# e2e: retransmissions. While the client fetches a 2 MB file, an nftables
# table drops a bounded share of the server's large data segments; tcpinspect
# (in the server namespace) must report retransmit events for the server's
# socket (local port 8080).
# The drop sits on the client's ingress (prerouting), i.e. the segments are
# lost "on the wire": a drop in the server's own output hook does not work,
# because netfilter's verdict makes the server's tcp_transmit_skb() fail, so
# TCP simply sends the segment again as a first transmission - no
# retransmission, no tcp_retransmit_skb tracepoint.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "nft available" which nft >/dev/null
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
head -c 2M /dev/urandom >"$A/www/big.bin"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
require "http.server on $LAB_S6:8080" http_start "$LAB_S6" 8080 "$A/www"

T=tiretx
nft_down() { in_client nft delete table inet $T 2>/dev/null; }
lab_defer "ip netns exec $LAB_C_NS nft delete table inet $T"
# Drop every 4th large segment coming from the server's port 8080, at most
# 20 per second and family (the rate limits keep the loss bounded whatever
# happens; one rule per family so that each gets its own burst).
require "nft drop table in the client namespace" in_client nft -f - <<NFT
table inet $T {
	chain in {
		type filter hook prerouting priority -300; policy accept;
		meta nfproto ipv4 tcp sport 8080 meta length gt 1000 numgen inc mod 4 == 0 limit rate 20/second burst 8 packets counter drop
		meta nfproto ipv6 tcp sport 8080 meta length gt 1000 numgen inc mod 4 == 0 limit rate 20/second burst 8 packets counter drop
	}
}
NFT

progs_snapshot
if ti_start "$A/retx" watch -i "$LAB_S_IF" --json --duration 60; then
	pass "watch starts"
	check "curl fetches 2 MB over IPv4 despite the drops" \
		in_client curl -sS -o /dev/null --max-time 45 "http://$LAB_S4:8080/big.bin"
	check "curl fetches 2 MB over IPv6 despite the drops" \
		in_client curl -sS -g -o /dev/null --max-time 45 "http://[$LAB_S6]:8080/big.bin"
	in_client nft list table inet $T >"$A/nft.txt" 2>&1
	sleep 1
	ti_stop INT
	expect_rc "watch exits 0 on SIGINT" 0
	check "nft dropped some IPv4 segments" grep -Eq 'ipv4 .*counter packets [1-9]' "$A/nft.txt"
	check "nft dropped some IPv6 segments" grep -Eq 'ipv6 .*counter packets [1-9]' "$A/nft.txt"
	jq_check "retransmit events for the server socket (IPv4, local $LAB_S4:8080)" "$TI_OUT" \
		"E('retransmit', family='ipv4', dst='$LAB_S4', dport=8080, src='$LAB_C4')"
	jq_check "retransmit events for the server socket (IPv6, local $LAB_S6:8080)" "$TI_OUT" \
		"E('retransmit', family='ipv6', dst='$LAB_S6', dport=8080, src='$LAB_C6')"
	jq_check "retransmit events carry state and sock_id" "$TI_OUT" \
		"all(isinstance(e['state'], str) and e['state'] and e['sock_id'] for e in E('retransmit'))"
	jq_check "retransmit sock_id matches the connection's state events" "$TI_OUT" \
		"{e['sock_id'] for e in E('retransmit', family='ipv4')} <= {e['sock_id'] for e in E('state', family='ipv4', dport=8080)}"
	jq_check "stats: connections.retransmits counted, no events lost" "$TI_OUT" \
		"last(ev)['event'] == 'stats' and last(ev)['events']['lost'] == 0 and last(ev).get('connections', {}).get('retransmits', 1) >= 1"
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi
check "nft table removed" nft_down
check "no tiretx table left" bash -c '! ip netns exec "$1" nft list tables | grep -q tiretx' _ "$LAB_C_NS"
check_detached "retransmit run"
finish
