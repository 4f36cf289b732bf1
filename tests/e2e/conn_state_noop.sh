#!/usr/bin/env bash
# e2e: no state event for a "transition" to the state a socket is already
# in. close() after shutdown(SHUT_WR) runs tcp_close_state() a second time,
# which sets FIN_WAIT1 (or FIN_WAIT2, once the FIN is acknowledged) again,
# and inet_sock_set_state fires with old == new. A real server in the
# server namespace closes every accepted connection that way; clients in
# the client namespace, IPv4 and IPv6; both connection hook families.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
A=$TI_ARTIFACTS
H="$TI_ROOT/tests/conn_helpers.py"
PORT=8087
N=5

for hook in tp_btf tracepoint; do
	if ! ti_start "$A/noop_$hook" watch -i "$LAB_S_IF" --json --duration 60 --conn-hook "$hook"; then
		fail "watch --conn-hook $hook starts" "$(head -3 "$TI_ERR")"
		continue
	fi
	pass "watch --conn-hook $hook starts"
	for addr in "$LAB_S4" "$LAB_S6"; do
		ip netns exec "$LAB_S_NS" python3 "$H" half-close-server "$addr" "$PORT" "$N" 20 >"$A/srv_$hook.log" 2>&1 &
		SRV=$!
		lab_defer "kill $SRV"
		wait_for 10 _listening "$addr" "$PORT"
		out=$(in_client python3 "$H" hold-client "$addr" "$PORT" "$N" 1)
		check "$hook: $N clients connect to $addr" test "$out" = "connected $N"
		wait_exit "$SRV" 20
	done
	# The server's sockets end in TIME_WAIT then CLOSE (tcp_time_wait()
	# reports CLOSE at once); give the ring's poll tick time to deliver.
	sleep 1.5
	ti_stop INT
	expect_rc "$hook: watch exits 0" 0
	O=$TI_OUT
	for fam in ipv4 ipv6; do
		jq_check "$hook $fam: every connection to $PORT went ESTABLISHED -> FIN_WAIT1 once" "$O" \
			"(lambda s: len(s) == $N and len({e['sport'] for e in s}) == $N)([e for e in E('state', family='$fam', dport=$PORT) if e['old_state'] == 'ESTABLISHED' and e['new_state'] == 'FIN_WAIT1'])"
		jq_check "$hook $fam: the same connections reach CLOSE (close events)" "$O" \
			"len(E('close', family='$fam', dport=$PORT)) == $N"
	done
	jq_check "$hook: no state event with old_state == new_state" "$O" \
		"E('state') and not [e for e in E('state') if e['old_state'] == e['new_state']]"
done
finish
