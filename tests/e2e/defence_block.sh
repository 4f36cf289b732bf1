#!/usr/bin/env bash
# e2e: the pinned blocklist. Block the client -> its connections fail and
# the entry's hit counter grows; unblock -> they succeed; a TTL entry
# expires by itself; entries survive SIGKILL and a restart of tcpinspect and
# are enforced again at once; the allowlist exempts; bad CIDRs are usage
# errors; with --enforce a scanning source is auto-blocked for the TTL.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
echo hello >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
require "http.server on $LAB_S6:8080" http_start "$LAB_S6" 8080 "$A/www"
URL4="http://$LAB_S4:8080/"
URL6="http://[$LAB_S6]:8080/"
not() { ! "$@"; }
quick() { in_client curl -sS -g -o /dev/null --connect-timeout 2 --max-time 4 "$@"; }

hits_of() { # CIDR -> hits (or -1)
	ti_block list --json | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["cidr"] == sys.argv[1]:
        print(e["hits"]); break
else:
    print(-1)' "$1"
}

# Bad input: one clear line, exit 2.
ti_run "$A/bad" 20 block add 198.18.0.2/24
expect_rc "block add with host bits set: exit 2" 2
check "... and says why" grep -q "host bits set after /24 (the network is 198.18.0.0/24)" "$A/bad.err"
ti_run "$A/bad2" 20 block add not-an-address
expect_rc "block add garbage: exit 2" 2
ti_run "$A/bad3" 20 block add 198.18.0.2 --ttl 0
expect_rc "block add --ttl 0: exit 2" 2
ti_run "$A/bad4" 20 block del 198.18.0.99
expect_rc "block del of an absent entry: exit 1" 1

progs_snapshot
if ! ti_start "$A/w1" watch -i "$LAB_S_IF" --json --duration 150; then
	fail "watch starts" "$(ti_ctx)"
	finish
fi
check "before: IPv4 request succeeds" quick "$URL4"
check "block add $LAB_C4 (no tool restart needed)" ti_block add "$LAB_C4"
check "block add fd00::/64" ti_block add fd00::/64
check "blocked: IPv4 request fails" not quick "$URL4"
check "blocked: IPv6 request fails" not quick "$URL6"
h=$(hits_of "$LAB_C4/32")
check "hit counter of $LAB_C4/32 grew ($h)" test "$h" -gt 0
check "block list shows both entries" bash -c 'ip netns exec "$1" "$2" block list | grep -q "fd00::/64"' _ "$LAB_S_NS" "$TI_BIN"
check "allow add" timeout 20 ip netns exec "$LAB_S_NS" "$TI_BIN" allow add "$LAB_C4/32"
check "allowlisted: IPv4 request succeeds although blocked" quick "$URL4"
check "allow del" timeout 20 ip netns exec "$LAB_S_NS" "$TI_BIN" allow del "$LAB_C4/32"
check "blocked again" not quick "$URL4"
check "block del $LAB_C4" ti_block del "$LAB_C4"
check "unblocked: IPv4 request succeeds" quick "$URL4"
check "IPv6 still blocked" not quick "$URL6"

# TTL: blocked now, gone after it expires (XDP ignores it at once; the
# session's garbage collector deletes it within seconds).
check "block add $LAB_C4 --ttl 3" ti_block add "$LAB_C4" --ttl 3
check "TTL entry blocks" not quick "$URL4"
sleep 4
check "after the TTL: IPv4 request succeeds" quick "$URL4"
wait_for 10 bash -c '! ip netns exec "$1" "$2" block list | grep -q "^$3/32"' _ "$LAB_S_NS" "$TI_BIN" "$LAB_C4"
check "expired entry removed from the list" bash -c '! ip netns exec "$1" "$2" block list | grep -q "^$3/32"' _ "$LAB_S_NS" "$TI_BIN" "$LAB_C4"

# Survive SIGKILL and restart.
check "block add $LAB_C4 again" ti_block add "$LAB_C4"
ti_stop KILL
check "after SIGKILL (nothing attached): request succeeds" quick "$URL4"
check "entries still listed with no tool running" bash -c 'ip netns exec "$1" "$2" block list | grep -q "^$3/32"' _ "$LAB_S_NS" "$TI_BIN" "$LAB_C4"
if ti_start "$A/w2" watch -i "$LAB_S_IF" --json --duration 150; then
	check "restarted: still blocked" not quick "$URL4"
	check "restarted: IPv6 prefix still blocked" not quick "$URL6"
	ti_stop INT
	expect_rc "watch exits 0" 0
	# The blocklist's own drops (TC_ACT_SHOT, the default on veth) are
	# counted by its hit counters, never reported as `drop` events: one
	# event per blocked packet would turn a blocked flood into an event
	# flood.
	jq_check "TC: the blocked SYNs are counted (defence.blocked_packets > 0)" "$TI_OUT" \
		"E('stats')[-1]['defence']['blocked_packets'] > 0"
	jq_check "TC: no drop event for the blocklist's own drops" "$TI_OUT" \
		"not any(d['reason'] == 'TC_INGRESS' for d in E('drop'))"
else
	fail "watch restarts" "$(ti_ctx)"
	ti_stop
fi
check "block flush" ti_block flush
check "flushed: list is empty" bash -c '[ -z "$(ip netns exec "$1" "$2" block list --json)" ]' _ "$LAB_S_NS" "$TI_BIN"

# Auto-block: with --enforce, a SYN scan blocks its source for the TTL.
if ti_start "$A/w3" watch -i "$LAB_S_IF" --json --enforce --auto-block-ttl 60 --duration 150; then
	check "enforce: request succeeds before the scan" quick "$URL4"
	nmap_c -sS -p 1-200 "$LAB_S4" >"$A/nmap.txt" 2>&1
	sleep 1
	check "auto-blocked: request fails" not quick "$URL4"
	ti_stop INT
	jq_check "the scan alert says the source was blocked" "$TI_OUT" \
		"any(a['kind'] == 'vertical_scan' and a['action'] == 'blocked' for a in E('alert', src='$LAB_C4'))"
	ti_block list --json >"$A/auto.json"
	jq_check "auto-block entry: $LAB_C4/32 with a TTL of at most 60 s" "$A/auto.json" \
		"any(e['cidr'] == '$LAB_C4/32' and 0 < e['ttl_remaining_s'] <= 60 for e in E('list_entry'))"
else
	fail "watch --enforce starts" "$(ti_ctx)"
	ti_stop
fi
check "block flush at the end" ti_block flush
check_detached "defence_block"
finish
