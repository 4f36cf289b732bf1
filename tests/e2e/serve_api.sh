#!/usr/bin/env bash
# e2e: tcpinspect serve's REST API in the lab. docs/openapi.yaml is
# validated by a real OpenAPI validator (swagger-parser) and every live
# response below is checked against the schema the spec gives for it (ajv),
# X-Request-ID included. Also: inspect shows the client's SYNs and ports,
# error statuses (400, 401, 403, 404, 405, 413), the served spec is the
# file, config errors name the line, and the event log reopens on SIGHUP.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "pinned test tools installed (npm ci in tests/web)" web_deps
require "lab up" lab_up
require "private pinned blocklist" def_private_lists
A=$TI_ARTIFACTS
SPEC="$TI_ROOT/docs/openapi.yaml"
CHECK="$TI_ROOT/tests/web/openapi_check.mjs"
SERVE_ADDR=127.0.0.1:9400
BASE="http://$SERVE_ADDR"
PORT=8080
TMP=$(mktemp -d)
lab_defer "rm -rf '$TMP'"

check "docs/openapi.yaml is valid OpenAPI 3 (swagger-parser)" node "$CHECK" spec "$SPEC"

# --- bad configuration: exit 2, the message names the file and line ------------
printf 'listen = 127.0.0.1:9400\n# comment\nport = 99999\n' >"$TMP/bad.conf"
ti_run "$A/badconf" 20 serve --config "$TMP/bad.conf"
expect_rc "bad config: exit status 2" 2
check "bad config: error names FILE:LINE" grep -q "$TMP/bad.conf:3: invalid port '99999'" "$TI_ERR"
check "bad config: one error line" test "$(wc -l <"$TI_ERR")" = 1
printf 'colour = blue\n' >"$TMP/bad2.conf"
ti_run "$A/badconf2" 20 serve --config "$TMP/bad2.conf"
expect_rc "unknown key: exit status 2" 2
check "unknown key: named with its line" grep -q "bad2.conf:1: unknown key 'colour'" "$TI_ERR"
ti_run "$A/badlisten" 20 serve --listen 127.0.0.1
expect_rc "--listen without a port: exit status 2" 2
ti_run "$A/notoken" 20 serve --token-file "$TMP/missing-token"
expect_rc "missing token file: exit status 2" 2

# --- a daemon with a config file, a token and an event log ---------------------
echo "s3cret-$$-token" >"$TMP/token"
chmod 600 "$TMP/token"
# serve runs as nobody after loading: the log's directory must be its to
# reopen the log on SIGHUP (the directory is held open from before).
LOGD="$TMP/log"
mkdir "$LOGD" && chown nobody "$LOGD"
cat >"$TMP/serve.conf" <<EOF
# tcpinspect serve test configuration
listen = $SERVE_ADDR
interface = $LAB_S_IF
token_file = $TMP/token
log_file = $LOGD/events.jsonl
top_n = 5
# the SYN-rate detector: 20 SYN/s per source, bursts of 20
syn_rate = 20
syn_burst = 20
EOF
require "listener on port $PORT" syn_server $PORT
progs_snapshot
if ! serve_start "$A/serve" --config "$TMP/serve.conf"; then
	fail "serve starts with the config file" "$(ti_ctx)"
	finish
fi
pass "serve starts with the config file"

sent=$(send_syns 30 $PORT)
check "client made 30 connections" test "$sent" = 30
# 60 SYNs within a second from one source: over syn_rate = 20.
in_client timeout 20 python3 -c '
import socket
for _ in range(60):
    try: socket.create_connection(("198.18.0.1", 8080), timeout=2).close()
    except OSError: pass
'
seen() { api '/api/v1/top' | grep -q '"total_syns":90'; }
check "all 90 SYNs aggregated" wait_for 15 seen
alerted() { api '/api/v1/alerts' | grep -q '"kind":"syn_rate"'; }
check "a syn_rate alert for the burst" wait_for 10 alerted

# call NAME METHOD PATH STATUS [BODY] [HEADERS...] queues one request;
# run_calls sends the queue in order through one node process, which checks
# each response against the spec (status, X-Request-ID, body schema) and
# keeps the body in $A/NAME.json.
CALLS="$TMP/calls.jsonl"
: >"$CALLS"
declare -A CALL_DESC
call() {
	CALL_DESC[$1]="$2 $3 -> $4, matches the spec"
	python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >>"$CALLS"
}
run_calls() {
	local line name n=0 want
	want=$(wc -l <"$CALLS")
	while IFS= read -r line; do
		case $line in
		"ok "*) name=${line#ok }; n=$((n + 1)); pass "${CALL_DESC[$name]}" ;;
		"FAIL "*)
			name=${line#FAIL }
			name=${name%%:*}
			n=$((n + 1))
			fail "${CALL_DESC[$name]}" "$line" "$(head -c 600 "$A/$name.json")" ;;
		*) echo "# $line" ;;
		esac
	done < <(in_server timeout 120 node "$CHECK" batch "$SPEC" "$BASE" "$CALLS" "$A" 2>&1)
	[ "$n" = "$want" ] || fail "every queued request was checked ($n of $want)"
	: >"$CALLS"
}
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$A/$1.json"; }

T="Authorization: Bearer s3cret-$$-token"
call stats GET '/api/v1/stats?history=10' 200
call top GET '/api/v1/top?n=3&by=rate' 200
call top2 GET '/api/v1/top' 200
call conns GET '/api/v1/connections?limit=5&state=closed' 200
call alerts GET '/api/v1/alerts?limit=5' 200
call inspect GET "/api/v1/inspect?ip=$LAB_C4" 200
call inspect6 GET '/api/v1/inspect?ip=fd00::99' 200
# Errors: JSON with code and message, and X-Request-ID.
call e400 GET '/api/v1/inspect?ip=999.1.1.1' 400
call e400b GET '/api/v1/inspect' 400
call e400c GET '/api/v1/top?n=0' 400
call e400d GET '/api/v1/stats?bogus=1' 400
call e405 POST '/api/v1/stats' 405 '{}'
call e405b PUT '/api/v1/blocklist' 405 '{}'
call rid GET '/api/v1/stats?history=0' 200 '' "X-Request-ID: test-rid-$$"
# Blocklist: no token -> 401, wrong token -> 401, oversized body -> 413,
# bad address -> 400; with the token: add, list, inspect, remove.
big=$(python3 -c 'print("{\"cidr\":\"198.18.0.77\",\"reason\":\"" + "x" * 6000 + "\"}")')
call bl401 POST /api/v1/blocklist 401 '{"cidr":"198.18.0.77/32"}'
call bl401b DELETE '/api/v1/blocklist?cidr=198.18.0.77' 401 '' 'Authorization: Bearer wrong'
call bl413 POST /api/v1/blocklist 413 "$big" "$T"
call bl400 POST /api/v1/blocklist 400 '{"cidr":"not-an-address"}' "$T"
call bl400b POST /api/v1/blocklist 400 '{"cidr":"198.18.0.1/24"}' "$T"
call blpost POST /api/v1/blocklist 201 '{"cidr":"198.18.0.77/32","reason":"test"}' "$T"
call blpost2 POST /api/v1/blocklist 201 '{"cidr":"198.18.0.78/32","ttl_s":60}' "$T"
call blget GET /api/v1/blocklist 200
call inspect77 GET '/api/v1/inspect?ip=198.18.0.77' 200
call bldel DELETE '/api/v1/blocklist?cidr=198.18.0.77/32' 200 '' "$T"
call bldel2 DELETE /api/v1/blocklist 200 '{"cidr":"198.18.0.78/32"}' "$T"
call bldel404 DELETE '/api/v1/blocklist?cidr=198.18.0.77/32' 404 '' "$T"
call blget2 GET /api/v1/blocklist 200
run_calls

check "stats: totals.syns == 90, history has samples" q stats "d['totals']['syns'] == 90 and 1 <= len(d['history']) <= 10"
check "stats: interface $LAB_S_IF listed, blocklist available" q stats "d['interfaces'][0]['ifname'] == '$LAB_S_IF' and d['blocklist_available']"
check "top: the client is the top source with 90 SYNs on port $PORT" \
	q top2 "d['sources'][0]['address'] == '$LAB_C4' and d['sources'][0]['syns'] == 90 and d['sources'][0]['ports'] == [$PORT] and d['ports'][0] == {'port': $PORT, 'syns': 90, 'established': 90}"
check "connections: 5 closed ones from the client" \
	q conns "len(d['connections']) == 5 and all(c['src'] == '$LAB_C4' and c['dport'] == $PORT and not c['open'] for c in d['connections'])"
check "alerts: syn_rate alert about the client" \
	q alerts "any(a['kind'] == 'syn_rate' and a['source'] == '$LAB_C4' for a in d['alerts'])"
check "inspect: client seen, 90 SYNs, port $PORT, connections, alert, not blocked" \
	q inspect "d['seen'] and d['source']['syns'] == 90 and d['source']['ports'] == [$PORT] and len(d['connections']) > 0 and len(d['alerts']) > 0 and d['blocked'] is False"
check "inspect: unknown address: seen false" q inspect6 "d['seen'] is False and d['family'] == 'ipv6' and 'source' not in d"
check "400 names the bad address" q e400 "d['code'] == 400 and '999.1.1.1' in d['message']"
check "the client's X-Request-ID is echoed" grep -q "x-request-id: test-rid-$$" "$A/rid.err"
check "blocklist lists the added networks" q blget "{e['cidr'] for e in d['entries']} >= {'198.18.0.77/32', '198.18.0.78/32'}"
check "inspect: 198.18.0.77 blocked by its entry" q inspect77 "d['blocked'] is True and d['block']['cidr'] == '198.18.0.77/32'"
check "blocklist empty after the deletes" q blget2 "not any(e['cidr'].startswith('198.18.0.7') for e in d['entries'])"
check "404 for an unknown path (JSON, X-Request-ID)" bash -c \
	"ip netns exec '$LAB_S_NS' curl -s -i '$BASE/api/v1/nope' | tee '$A/e404.txt' | grep -q '^HTTP/1.1 404' && grep -qi '^X-Request-ID: ' '$A/e404.txt' && grep -q '\"code\":404' '$A/e404.txt'"

# The spec served is the file.
in_server curl -s --max-time 5 "$BASE/api/v1/openapi.yaml" >"$A/served-openapi.yaml"
check "/api/v1/openapi.yaml is docs/openapi.yaml" cmp "$A/served-openapi.yaml" "$SPEC"
check "/ serves the dashboard" bash -c "ip netns exec '$LAB_S_NS' curl -s '$BASE/' | grep -q '<title>tcpinspect</title>'"

# The event log: JSON lines; after a rename and SIGHUP a new file is written.
check "event log has the packet events" grep -q '"event":"packet"' "$LOGD/events.jsonl"
mv "$LOGD/events.jsonl" "$LOGD/events.jsonl.1"
kill -HUP "$TI_PID"
reopened() { grep -q 'reopened the event log' "$TI_ERR"; }
check "SIGHUP: serve says it reopened the log" wait_for 10 reopened
send_syns 3 $PORT >/dev/null
has_new() { grep -q '"event":"packet"' "$LOGD/events.jsonl"; }
check "SIGHUP: new events go to a new file" wait_for 10 has_new
check "SIGHUP: the daemon kept running" kill -0 "$TI_PID"
check "every log line is JSON" python3 -c '
import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        json.loads(line)' "$LOGD/events.jsonl.1" "$LOGD/events.jsonl"

ti_stop TERM
expect_rc "serve exits 0 on SIGTERM" 0
check_detached "serve"

# --- enforcement from the config: the burst gets the client auto-blocked ----
cat >"$TMP/enforce.conf" <<EOF
listen = $SERVE_ADDR
interface = $LAB_S_IF
enforce = true
syn_rate = 20
syn_burst = 20
auto_block_ttl = 120
EOF
printf 'syn_rate = 0\n' >"$TMP/badrate.conf"
ti_run "$A/badrate" 20 serve --config "$TMP/badrate.conf"
expect_rc "syn_rate = 0 (out of range): exit status 2" 2
check "syn_rate = 0: the error names the line" grep -q "badrate.conf:1: invalid syn-rate" "$TI_ERR"
if serve_start "$A/enforce" --config "$TMP/enforce.conf"; then
	pass "serve starts with enforce = true"
	in_client timeout 20 python3 -c '
import socket
for _ in range(60):
    try: socket.create_connection(("198.18.0.1", 8080), timeout=1).close()
    except OSError: pass
'
	blocked() { api "/api/v1/inspect?ip=$LAB_C4" | grep -q '"blocked":true'; }
	check "enforce: the client is auto-blocked (inspect says blocked)" wait_for 15 blocked
	call enf_inspect GET "/api/v1/inspect?ip=$LAB_C4" 200
	call enf_list GET /api/v1/blocklist 200
	call enf_alerts GET /api/v1/alerts 200
	run_calls
	check "enforce: the block entry is the client's /32" q enf_inspect "d['block']['cidr'] == '$LAB_C4/32'"
	check "enforce: /api/v1/blocklist lists it" q enf_list "any(e['cidr'] == '$LAB_C4/32' for e in d['entries'])"
	check "enforce: an alert says the source was blocked" q enf_alerts "any(a['blocked'] and a.get('source') == '$LAB_C4' for a in d['alerts'])"
	cant_connect() {
		! in_client timeout 10 python3 -c 'import socket; socket.create_connection(("198.18.0.1", 8080), timeout=3).close()' 2>/dev/null
	}
	check "enforce: the client can no longer connect" cant_connect
	ti_stop INT
	expect_rc "serve (enforce) exits 0" 0
else
	fail "serve starts with enforce = true" "$(ti_ctx)"
fi
finish
