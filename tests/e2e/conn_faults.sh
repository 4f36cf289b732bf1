#!/usr/bin/env bash
# e2e: connection faults, IPv4 and IPv6.
#  - half-open: the client namespace drops every segment to port 8082 that
#    is not a SYN (so the final ACK never arrives); with tcp_synack_retries=1
#    in the server namespace the request times out after ~3 s: a handshake
#    event with timed_out, and SYN-ACK retransmit events;
#  - retransmits: the client's prerouting drops some of the server's data
#    segments (see watch_retransmit.sh): retransmit events with a kind and a
#    running count, and the close event's count;
#  - listen overflow: a server with listen(1) that never accepts, 20 clients.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "nft available" which nft >/dev/null
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
head -c 2M /dev/urandom >"$A/www/big.bin"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
require "http.server on $LAB_S6:8080" http_start "$LAB_S6" 8080 "$A/www"
require "synack retries 1 in the server namespace" in_server sysctl -qw net.ipv4.tcp_synack_retries=1
H="$TI_ROOT/tests/conn_helpers.py"
for addr in "$LAB_S4" "$LAB_S6"; do
	ip netns exec "$LAB_S_NS" python3 "$H" hold-server "$addr" 8082 16 1 40 >/dev/null 2>&1 &
	lab_defer "kill $!"
	ip netns exec "$LAB_S_NS" python3 "$H" hold-server "$addr" 8083 1 0 40 >/dev/null 2>&1 &
	lab_defer "kill $!"
done
wait_for 10 _listening "$LAB_S6" 8083

T=ticonnf$$
lab_defer "ip netns exec $LAB_C_NS nft delete table inet $T"
require "nft rules in the client namespace" in_client nft -f - <<NFT
table inet $T {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 8082 tcp flags & syn == 0 counter drop
	}
	chain in {
		type filter hook prerouting priority -300; policy accept;
		meta nfproto ipv4 tcp sport 8080 meta length gt 1000 numgen inc mod 4 == 0 limit rate 20/second burst 8 packets counter drop
		meta nfproto ipv6 tcp sport 8080 meta length gt 1000 numgen inc mod 4 == 0 limit rate 20/second burst 8 packets counter drop
	}
}
NFT

if ti_start "$A/faults" watch -i "$LAB_S_IF" --json --summary --duration 90; then
	pass "watch starts"
	ip netns exec "$LAB_C_NS" python3 "$H" hold-client "$LAB_S4" 8082 1 7 >"$A/half4.log" 2>&1 &
	HC4=$!
	ip netns exec "$LAB_C_NS" python3 "$H" hold-client "$LAB_S6" 8082 1 7 >"$A/half6.log" 2>&1 &
	HC6=$!
	check "curl fetches 2 MB over IPv4 despite drops" in_client curl -sS -o /dev/null --max-time 45 "http://$LAB_S4:8080/big.bin"
	check "curl fetches 2 MB over IPv6 despite drops" in_client curl -sS -g -o /dev/null --max-time 45 "http://[$LAB_S6]:8080/big.bin"
	ip netns exec "$LAB_C_NS" python3 "$H" hold-client "$LAB_S4" 8083 20 3 >"$A/ovf4.log" 2>&1
	ip netns exec "$LAB_C_NS" python3 "$H" hold-client "$LAB_S6" 8083 20 3 >"$A/ovf6.log" 2>&1
	wait_exit "$HC4" 20
	wait_exit "$HC6" 20
	# The requests time out ~3 s after the SYN; tcpinspect notices within 1.5 s more.
	sleep 4
	ti_stop INT
	expect_rc "watch exits 0" 0
	O=$TI_OUT
	for fam in ipv4 ipv6; do
		jq_check "$fam: half-open connection to 8082 reported as timed out, with SYN-ACK retransmissions" "$O" \
			"(lambda h: h and all(e['timed_out'] and not e['completed'] and e['synack_retransmits'] >= 1 and 1e6 <= e['duration_us'] <= 60e6 for e in h))(E('handshake', family='$fam', dport=8082, timed_out=True))"
		jq_check "$fam: SYN-ACK retransmit events for 8082 (kind synack, state NEW_SYN_RECV)" "$O" \
			"[e for e in E('retransmit', family='$fam', dport=8082) if e['kind'] == 'synack' and e['state'] == 'NEW_SYN_RECV' and e['count'] >= 1]"
		jq_check "$fam: data retransmits on 8080 with a known kind and increasing count per socket" "$O" \
			"(lambda r: r and all(e['kind'] in ('rto','fast','tlp','other') for e in r) and all([e['count'] for e in r if e['sock_id'] == s] == sorted([e['count'] for e in r if e['sock_id'] == s]) for s in {e['sock_id'] for e in r}))(E('retransmit', family='$fam', dport=8080))"
		jq_check "$fam: close of the 8080 connection counts at least the retransmit events" "$O" \
			"E('retransmit', family='$fam', dport=8080) and all(max([e['retransmits'] for e in E('close', sock_id=s)] or [-1]) >= max(r['count'] for r in E('retransmit', sock_id=s)) for s in {e['sock_id'] for e in E('retransmit', family='$fam', dport=8080)})"
		jq_check "$fam: listen_overflow on port 8083 with its backlog 1" "$O" \
			"(lambda o: o and all(e['listen_port'] == 8083 and e['max_backlog'] == 1 and (e.get('dropped', 0) >= 1 or e.get('reason') == 'TCP_LISTEN_OVERFLOW') for e in o))(E('listen_overflow', family='$fam', dport=8083))"
	done
	jq_check "summary counts the overflows" "$O" "E('summary')[0]['lifecycle']['synack_retransmits'] >= 2"
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi
check "nft table removed" in_client nft delete table inet $T
finish
