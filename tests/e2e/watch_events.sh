#!/usr/bin/env bash
# e2e: watch --events LIST selects event kinds, and the kernel programs
# send no ring record for the others. A real python3 http.server in the
# server namespace, curl clients (short connections):
#  - bad lists (unknown kind, empty list, empty kind) exit 2 and name the
#    kind and the valid ones;
#  - --events close: close events only, still with the owner (pid, comm)
#    and duration that need the accept and state bookkeeping, the RTT
#    histogram of --summary, and every record the kernel tried to queue
#    is a close (stats.events.attempts = the close events);
#  - the default set for the same connections queues many more records;
#  - --events packet,accept: only packet and accept events, both present.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
echo hello >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
SRV=$HTTP_PID
CONNS=5

# --- bad lists: exit 2, the kind named, the valid kinds listed --------------
n=0
while IFS='|' read -r list want; do
	n=$((n + 1))
	ti_run "$A/bad$n" 15 watch -i "$LAB_S_IF" --events "$list"
	if [ "$TI_RC" = 2 ] && grep -qF -- "$want" "$TI_ERR" &&
		grep -qF "valid kinds: packet, state," "$TI_ERR" && [ ! -s "$TI_OUT" ]; then
		pass "--events '$list' exits 2: $(head -c 160 "$TI_ERR")"
	else
		fail "--events '$list' exits 2 naming '$want' and the valid kinds" "$(ti_ctx)"
	fi
done <<EOF
close,bogus|unknown event kind 'bogus'
|empty list
close,,state|has an empty kind
capture|unknown event kind 'capture'
EOF
ti_run "$A/bad-noapp" 15 watch -i "$LAB_S_IF" --events app --no-app
expect_rc "--events app --no-app (nothing left) exits 2" 2

fetches() {
	local i
	for i in $(seq "$CONNS"); do
		curl_c "http://$LAB_S4:8080/" || return 1
	done
	sleep 1.5 # connection events reach the reader in batches
}

# A watch of CONNS short connections with OPTIONS; output in $A/$1.out.
run_watch() {
	local name=$1
	shift
	if ! ti_start "$A/$name" watch -i "$LAB_S_IF" --json -p 8080 --duration 60 "$@"; then
		fail "watch $* starts" "$(ti_ctx)"
		ti_stop
		return 1
	fi
	check "$name: $CONNS curl fetches" fetches
	ti_stop INT
	expect_rc "$name: watch $* exits 0" 0
}

# Records the kernel programs tried to queue in the run whose output is $1.
attempts() { jq_get "$1" "last(E('stats'))['events']['attempts']"; }

if run_watch close --events close --summary; then
	O=$A/close.out
	jq_check "--events close: $CONNS close events of port 8080" "$O" \
		"len(E('close', dport=8080, dst='$LAB_S4')) == $CONNS"
	jq_check "--events close: no other kind (besides stats and summary)" "$O" \
		"not bad and {e['event'] for e in ev} == {'close', 'stats', 'summary'}"
	jq_check "--events close: closes keep the owner (pid $SRV, python3), passive, duration, RTT" "$O" \
		"all(e['pid'] == $SRV and e['comm'] == 'python3' and e['direction'] == 'passive' and 0 < e['duration_us'] < 30e6 and e['rtt_min_us'] > 0 for e in E('close', dport=8080))"
	jq_check "--events close: --summary still has the RTT histogram of port 8080" "$O" \
		"any(h['kind'] == 'rtt' and h['port'] == 8080 and h['count'] >= $CONNS for h in E('summary')[0]['histograms'])"
	jq_check "--events close: every record queued was a close (attempts = close events, none lost)" "$O" \
		"(lambda s: s['attempts'] == len(E('close')) and s['lost'] == 0 and s['filtered'] == 0)(last(E('stats'))['events'])"
	jq_check "--events close: the tracepoints still saw every state change" "$O" \
		"last(E('stats'))['connections']['state_changes'] >= $CONNS * 4"
fi

if run_watch default; then
	O=$A/default.out
	jq_check "default: state, accept, handshake, close, packet and app events" "$O" \
		"{'state', 'accept', 'handshake', 'close', 'packet', 'app'} <= {e['event'] for e in ev}"
	CA=$(attempts "$A/close.out")
	DA=$(attempts "$O")
	if [ -n "$CA" ] && [ -n "$DA" ] && [ "$DA" -ge $((CA * 5)) ]; then
		pass "records queued for $CONNS connections: default $DA, --events close $CA"
	else
		fail "records queued: default at least 5x --events close" \
			"default: ${DA:-?}, --events close: ${CA:-?}"
	fi
fi

if run_watch pa --events packet,accept; then
	O=$A/pa.out
	jq_check "--events packet,accept: only packet and accept (besides stats)" "$O" \
		"not bad and {e['event'] for e in ev} == {'packet', 'accept', 'stats'}"
	jq_check "--events packet,accept: $CONNS accepts by python3, SYNs and FINs of port 8080" "$O" \
		"len(E('accept', dport=8080, comm='python3')) == $CONNS and len(E('packet', dport=8080, flags=lambda f: 'SYN' in f)) >= $CONNS and E('packet', dport=8080, flags=lambda f: 'FIN' in f)"
	jq_check "--events packet,accept: attempts = events printed, none lost" "$O" \
		"(lambda s: s['attempts'] == s['delivered'] == len(E('packet')) + len(E('accept')) and s['lost'] == 0)(last(E('stats'))['events'])"
fi

finish
