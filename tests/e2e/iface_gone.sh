#!/usr/bin/env bash
# e2e: an interface that disappears while attached. serve watches the lab
# veth and a second veth pair between the same namespaces; the second one
# is deleted: serve logs the loss, reports it in /api/v1/stats
# ("attached": false) and /metrics (tcpinspect_program_attached 0), removes
# that interface's pinned link, keeps running and still sees the traffic on
# the first interface; a clean stop exits 0 and leaves nothing. watch does
# the same with its JSON events.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

A=$TI_ARTIFACTS
PORT=8080
SERVE_ADDR=127.0.0.1:9441
require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
require "private pin directory" def_private_lists
require "listener on port $PORT" syn_server $PORT

# second_veth: a second pair between the lab namespaces, 198.18.1.0/24.
X_S="${LAB_S_IF}x" X_C="${LAB_C_IF}x"
second_veth() {
	ip link add "$X_S" netns "$LAB_S_NS" type veth peer name "$X_C" netns "$LAB_C_NS" &&
		in_server ip addr add 198.18.1.1/24 dev "$X_S" && in_server ip link set "$X_S" up &&
		in_client ip addr add 198.18.1.2/24 dev "$X_C" && in_client ip link set "$X_C" up
}
lab_defer "ip -n '$LAB_S_NS' link del '$X_S' 2>/dev/null"

stat_field() {
	api /api/v1/stats | python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

# --- serve ------------------------------------------------------------------------
require "second veth $X_S" second_veth
progs_snapshot
if serve_start "$A/serve" -i "$LAB_S_IF" -i "$X_S" --listen "$SERVE_ADDR"; then
	pass "serve starts on $LAB_S_IF and $X_S"
	check "both links pinned" test -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF" -a -e "$TCPINSPECT_PIN_DIR/links/$X_S"
	check "stats: both interfaces attached" test "$(stat_field "[i['attached'] for i in d['interfaces']]")" = "[True, True]"
	check "ip link del $X_S while attached" in_server ip link del "$X_S"
	said() { grep -q "interface $X_S (ifindex [0-9]*) went away" "$TI_ERR"; }
	check "serve logs that $X_S went away" wait_for 10 said
	check "serve keeps running" kill -0 "$TI_PID"
	check "stats: $X_S attached false, $LAB_S_IF attached true" \
		test "$(stat_field "{i['ifname']: i['attached'] for i in d['interfaces']} == {'$LAB_S_IF': True, '$X_S': False}")" = True
	check "metrics: tcpinspect_program_attached 0 for $X_S, 1 for $LAB_S_IF" bash -c \
		'm=$(ip netns exec "$1" curl -s --max-time 5 "http://$2/metrics") &&
		 echo "$m" | grep -q "^tcpinspect_program_attached{interface=\"$3\",mode=\"tc\"} 0$" &&
		 echo "$m" | grep -q "^tcpinspect_program_attached{interface=\"$4\",mode=\"tc\"} 1$"' \
		_ "$LAB_S_NS" "$SERVE_ADDR" "$X_S" "$LAB_S_IF"
	check "the pin of $X_S is removed, $LAB_S_IF's kept" \
		test ! -e "$TCPINSPECT_PIN_DIR/links/$X_S" -a -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF"
	syns_before=$(stat_field "d['totals']['syns']")
	sent=$(send_syns 10 $PORT)
	check "client made 10 connections on $LAB_S_IF after the loss" test "$sent" = 10
	more() { [ "$(stat_field "d['totals']['syns']")" -ge $((syns_before + 10)) ]; }
	check "serve still sees the traffic on $LAB_S_IF (10 more SYNs)" wait_for 10 more
	ti_stop TERM
	expect_rc "serve exits 0 on SIGTERM" 0
	check "no pinned link left" bash -c '[ -z "$(ls -A "$1/links" 2>/dev/null)" ]' _ "$TCPINSPECT_PIN_DIR"
	check_detached "serve"
else
	fail "serve starts on $LAB_S_IF and $X_S" "$(ti_ctx)"
fi

# --- watch ------------------------------------------------------------------------
require "second veth $X_S again" second_veth
progs_snapshot
if ti_start "$A/watch" watch -i "$LAB_S_IF" -i "$X_S" --json --duration 60; then
	pass "watch starts on $LAB_S_IF and $X_S"
	check "ip link del $X_S while watched" in_server ip link del "$X_S"
	said() { grep -q "interface $X_S (ifindex [0-9]*) went away" "$TI_ERR"; }
	check "watch logs that $X_S went away" wait_for 10 said
	send_syns 3 $PORT >/dev/null
	sleep 1
	check "watch keeps running" kill -0 "$TI_PID"
	ti_stop INT
	expect_rc "watch exits 0" 0
	jq_check "watch: SYNs on $LAB_S_IF after the loss" "$TI_OUT" \
		"len(E('packet', src='$LAB_C4', dport=$PORT, flags=['SYN'])) >= 3"
	check_detached "watch"
else
	fail "watch starts on $LAB_S_IF and $X_S" "$(ti_ctx)"
fi
finish
