#!/usr/bin/env bash
# e2e: scan detection over IPv6 (lab fd00::/64 only). A horizontal nmap SYN
# scan of 25 server addresses on one port raises horizontal_scan; a slow
# nmap SYN scan (one probe every 300 ms, 12 ports) stays under the short
# window and raises slow_scan, not vertical_scan. Windows and thresholds
# are set small so that the slow case runs in seconds.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "nmap available" which nmap
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
HOSTS=25 # server addresses scanned on one port (threshold: 20)

# Horizontal: fd00::a0 .. fd00::b8 on the server (no duplicate address
# detection: usable at once).
addrs=()
for i in $(seq 0 $((HOSTS - 1))); do
	a=$(printf 'fd00::%x' $((0xa0 + i)))
	addrs+=("$a")
	in_server ip -6 addr add "$a/64" dev "$LAB_S_IF" nodad
done
check "server has $HOSTS extra IPv6 addresses" \
	test "$(in_server ip -6 -o addr show dev "$LAB_S_IF" | grep -c 'fd00::[ab]')" -eq "$HOSTS"

if ti_start "$A/horizontal6" watch -i "$LAB_S_IF" --json --duration 100; then
	nmap_c -6 -sS -p 80 "${addrs[@]}" >"$A/horizontal6.nmap" 2>&1
	sleep 1
	ti_stop INT
	expect_rc "horizontal6: watch exits 0" 0
	jq_check "horizontal6: nmap probed the addresses" "$TI_OUT" \
		"len({p['dst'] for p in E('packet', src='$LAB_C6', dport=80) if p['flags'] == ['SYN']}) >= 20"
	jq_check "horizontal6: one horizontal_scan from $LAB_C6, 20 addresses on port 80" "$TI_OUT" \
		"(lambda l: len(l) == 1 and l[0]['count'] == 20 and l[0]['threshold'] == 20 and l[0]['dport'] == 80 and l[0]['dst'].startswith('fd00::'))([a for a in E('alert', src='$LAB_C6') if a['kind'] == 'horizontal_scan'])"
	jq_check "horizontal6: no vertical or slow scan (one port per address)" "$TI_OUT" \
		"not [a for a in E('alert') if a['kind'] in ('vertical_scan', 'slow_scan')]"
else
	fail "horizontal6: watch starts" "$(ti_ctx)"
	ti_stop
fi

# Slow: a 1 s short window of 20 ports, a 60 s long window of 10; nmap
# paced at one probe per 300 ms never puts more than 4 in a short window.
if ti_start "$A/slow6" watch -i "$LAB_S_IF" --json --duration 100 \
	--scan-window 1 --slow-scan-ports 10 --slow-scan-window 60; then
	nmap_c -6 -sS --scan-delay 300ms -p 1-12 "$LAB_S6" >"$A/slow6.nmap" 2>&1
	sleep 1
	ti_stop INT
	expect_rc "slow6: watch exits 0" 0
	jq_check "slow6: one slow_scan from $LAB_C6, 10 ports in 60 s" "$TI_OUT" \
		"(lambda l: len(l) == 1 and l[0]['count'] == 10 and l[0]['threshold'] == 10 and l[0]['window_s'] == 60 and l[0]['dst'] == '$LAB_S6' and l[0]['ports'] and all(1 <= p <= 12 for p in l[0]['ports']))([a for a in E('alert', src='$LAB_C6') if a['kind'] == 'slow_scan'])"
	jq_check "slow6: no vertical_scan (never 20 ports in 1 s)" "$TI_OUT" \
		"not [a for a in E('alert') if a['kind'] == 'vertical_scan']"
else
	fail "slow6: watch starts" "$(ti_ctx)"
	ti_stop
fi
finish
