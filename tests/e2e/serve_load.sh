#!/usr/bin/env bash
# e2e: the API under load. While lab traffic runs, wrk hits /metrics and
# every GET endpoint of /api/v1/ (bounded time each): every response is
# 2xx, no socket error, and serve's resident memory after the load is
# within a small bound of what it was after a warm-up. Then the SANITIZE=1
# build of serve answers requests of every kind (each endpoint and query,
# every error status, blocklist add/remove with the token), stops cleanly on
# SIGTERM, and LeakSanitizer finds no leak at exit.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

SECS=${TI_LOAD_SECONDS:-4}          # wrk time per endpoint
RSS_SLACK_KB=${TI_RSS_SLACK_KB:-8192} # allowed growth after the warm-up
SAN_BIN=${TI_SAN_BIN:-$TI_ROOT/build-san/tcpinspect}
LUA="$TI_ROOT/tests/wrk_status.lua"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "wrk installed" command -v wrk
require "sanitizer build exists (make SANITIZE=1 build-san/tcpinspect)" test -x "$SAN_BIN"
require "lab up" lab_up
require "private pinned lists" def_private_lists
A=$TI_ARTIFACTS
SERVE_ADDR=127.0.0.1:9410
BASE="http://$SERVE_ADDR"
TMP=$(mktemp -d)
lab_defer "rm -rf '$TMP'"
echo "load-$$-token" >"$TMP/token"
chmod 600 "$TMP/token"
PORT=8080
require "listener on the server" syn_server "$PORT"

ENDPOINTS=(/metrics /api/v1/stats '/api/v1/stats?history=60' /api/v1/top
	'/api/v1/top?n=5&by=rate' /api/v1/connections '/api/v1/connections?limit=10&state=closed'
	/api/v1/alerts "/api/v1/inspect?ip=$LAB_C4" /api/v1/blocklist /api/v1/openapi.yaml /)

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# wrk_run NAME PATH SECONDS: wrk from the server namespace (the API listens
# on its loopback), 2 threads, 16 connections; result lines in NAME.wrk.
wrk_run() {
	in_server timeout -k 5 "$(($3 + 20))" wrk -t2 -c16 -d"$3"s --timeout 5s \
		-s "$LUA" "$BASE$2" >"$A/$1.wrk" 2>&1
}
wrk_val() { sed -n "s/^$2 //p" "$A/$1.wrk"; }

# --- plain build under load -----------------------------------------------------
# Under a sanitizer build (the suite's second pass) a small quarantine keeps
# ASan's freed-memory reserve from looking like growth.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
if ! serve_start "$A/serve" -i "$LAB_S_IF" --listen "$SERVE_ADDR" --token-file "$TMP/token"; then
	fail "serve starts" "$(ti_ctx)"
	finish
fi
pass "serve starts"
SPID=$TI_PID
traffic_loop "$PORT" $(( (${#ENDPOINTS[@]} + 2) * (SECS + 1) + 20 ))
# Warm-up: every endpoint once under load, so caches and pools are sized.
for i in "${!ENDPOINTS[@]}"; do
	wrk_run "warm$i" "${ENDPOINTS[$i]}" 1
done
rss0=$(rss_kb "$SPID")
total=0
for i in "${!ENDPOINTS[@]}"; do
	ep=${ENDPOINTS[$i]}
	if ! wrk_run "load$i" "$ep" "$SECS"; then
		fail "wrk $ep runs" "$(tail -5 "$A/load$i.wrk")"
		continue
	fi
	n=$(wrk_val "load$i" requests)
	ok=$(wrk_val "load$i" status_2xx)
	bad=$(wrk_val "load$i" status_other)
	err=$(wrk_val "load$i" socket_errors)
	check "$ep: ${n:-?} requests in ${SECS}s, all 2xx (${ok:-?}), none other (${bad:-?}), no socket error (${err:-?})" \
		test "${n:-0}" -gt 0 -a "${ok:-0}" = "${n:-x}" -a "${bad:-x}" = 0 -a "${err:-x}" = 0
	total=$((total + ${n:-0}))
done
rss1=$(rss_kb "$SPID")
echo "# $total requests; serve VmRSS ${rss0} kB after warm-up, ${rss1} kB after the load"
check "serve still running after $total requests" kill -0 "$SPID"
check "serve RSS after the load (${rss1} kB) within ${RSS_SLACK_KB} kB of before (${rss0} kB)" \
	test -n "$rss0" -a -n "$rss1" -a "$((rss1 - rss0))" -le "$RSS_SLACK_KB"
check "the traffic was inspected meanwhile" bash -c "ip netns exec '$LAB_S_NS' curl -s '$BASE/api/v1/stats' | grep -q '\"syn'"
ti_stop TERM
expect_rc "serve exits 0 on SIGTERM after the load" 0
echo "$total" >"$A/requests.txt"

# --- sanitizer build: every kind of request, then LeakSanitizer at exit -------
SAN_LOG="$A/lsan"
TI_BIN_PLAIN=$TI_BIN
TI_BIN=$SAN_BIN
ASAN_OPTIONS="detect_leaks=1:log_path=$SAN_LOG:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SAN_LOG-ub" \
	serve_start "$A/san" -i "$LAB_S_IF" --listen "$SERVE_ADDR" --token-file "$TMP/token"
started=$?
TI_BIN=$TI_BIN_PLAIN
if [ "$started" -ne 0 ]; then
	fail "sanitizer serve starts" "$(ti_ctx)"
	finish
fi
pass "sanitizer serve starts"
T="Authorization: Bearer $(cat "$TMP/token")"
big=$(python3 -c 'print("{\"cidr\":\"198.18.0.77\",\"reason\":\"" + "x" * 6000 + "\"}")')
# METHOD PATH STATUS [BODY] [HEADER]
REQS=(
	"GET|/metrics|200" "GET|/api/v1/stats|200" "GET|/api/v1/stats?history=10|200"
	"GET|/api/v1/top?n=3&by=rate|200" "GET|/api/v1/top?by=syns|200"
	"GET|/api/v1/connections?limit=5&state=closed|200" "GET|/api/v1/alerts?limit=5|200"
	"GET|/api/v1/inspect?ip=$LAB_C4|200" "GET|/api/v1/inspect?ip=fd00::99|200"
	"GET|/api/v1/openapi.yaml|200" "GET|/|200" "GET|/api/v1/nope|404"
	"GET|/api/v1/inspect?ip=999.1.1.1|400" "GET|/api/v1/inspect|400"
	"GET|/api/v1/top?n=0|400" "GET|/api/v1/stats?bogus=1|400"
	"POST|/api/v1/stats|405|{}" "PUT|/api/v1/blocklist|405|{}"
	"POST|/api/v1/blocklist|401|{\"cidr\":\"198.18.0.77/32\"}"
	"DELETE|/api/v1/blocklist?cidr=198.18.0.77|401||Authorization: Bearer wrong"
	"POST|/api/v1/blocklist|413|$big|$T"
	"POST|/api/v1/blocklist|400|{\"cidr\":\"not-an-address\"}|$T"
	"POST|/api/v1/blocklist|400|{\"cidr\":|$T"
	"POST|/api/v1/blocklist|201|{\"cidr\":\"198.18.0.77/32\",\"reason\":\"load\"}|$T"
	"POST|/api/v1/blocklist|201|{\"cidr\":\"fd00::77/128\",\"ttl_s\":60}|$T"
	"GET|/api/v1/blocklist|200" "GET|/api/v1/inspect?ip=198.18.0.77|200"
	"DELETE|/api/v1/blocklist?cidr=198.18.0.77/32|200||$T"
	"DELETE|/api/v1/blocklist|200|{\"cidr\":\"fd00::77/128\"}|$T"
	"DELETE|/api/v1/blocklist?cidr=198.18.0.77/32|404||$T"
)
bad=0
for r in "${REQS[@]}"; do
	IFS='|' read -r m p want body hdr <<<"$r"
	args=(-s -o /dev/null -w '%{http_code}' --max-time 10 -X "$m")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	[ -n "$hdr" ] && args+=(-H "$hdr")
	got=$(in_server curl "${args[@]}" "$BASE$p")
	if [ "$got" != "$want" ]; then
		echo "# $m $p: $got, expected $want"
		bad=$((bad + 1))
	fi
done
check "sanitizer serve: ${#REQS[@]} requests of every kind answered as specified" test "$bad" = 0
wrk_run san /api/v1/stats 2
check "sanitizer serve: a short wrk run, all 2xx ($(wrk_val san status_2xx) of $(wrk_val san requests))" \
	test "$(wrk_val san requests)" -gt 0 -a "$(wrk_val san status_other)" = 0 -a "$(wrk_val san socket_errors)" = 0
ti_stop TERM
expect_rc "sanitizer serve exits 0 on SIGTERM (LeakSanitizer found nothing to fail it)" 0
check "no LeakSanitizer/ASan/UBSan report written" bash -c '! ls "$1"* 2>/dev/null | grep -q .' _ "$SAN_LOG"
for f in "$SAN_LOG"*; do
	[ -f "$f" ] && sed -e 's/^/# /' "$f" | head -40
done
finish
