#!/usr/bin/env bash
# e2e: least privilege after load. watch drops to nobody (or --user) with no
# capabilities, no_new_privs and a seccomp filter, still delivers events
# from traffic sent after the drop, exits cleanly (no seccomp kill) and
# leaves nothing attached; --no-privdrop stays root; a bad --user is a
# usage error before anything is loaded. serve (every thread, HTTP server
# included), capture and top drop the same way and keep working: API
# blocklist changes take effect on real traffic, packets reach the pcap
# file, the top screen updates.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

A=$TI_ARTIFACTS
require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
require "private pin directory" def_private_lists
mkdir -p "$A/www"
echo "privdrop test page" >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"

# status_field PID NAME: the value of NAME: in /proc/PID/status.
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status"; }

# wait_dropped PID UID: the drop happens just after the "watching" line.
wait_dropped() { [ "$(status_field "$1" Uid | awk '{print $2}')" = "$2" ]; }

check_status() {
	local label=$1 pid=$2 uid=$3 gid=$4 st
	st=$(grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp):' "/proc/$pid/status")
	echo "$st" >"$A/$label.status"
	check "$label: real/effective/saved/fs uid are all $uid" \
		test "$(status_field "$pid" Uid | tr -s ' \t' ' ')" = "$uid $uid $uid $uid"
	check "$label: all gids are $gid, no supplementary groups" \
		bash -c '[ "$1" = "$2 $2 $2 $2" ] && [ -z "$3" ]' _ \
		"$(status_field "$pid" Gid | tr -s ' \t' ' ')" "$gid" "$(status_field "$pid" Groups | tr -d ' \t')"
	local f
	for f in CapEff CapPrm CapInh CapBnd CapAmb; do
		check "$label: $f is 0" test "$(status_field "$pid" $f)" = 0000000000000000 ||
			echo "$st" | sed 's/^/#   /'
	done
	check "$label: NoNewPrivs is 1" test "$(status_field "$pid" NoNewPrivs)" = 1
	# Every thread (serve's HTTP server thread too), not only the first.
	check "$label: every thread has uid $uid, CapEff/CapBnd 0, NoNewPrivs 1" \
		bash -c 'for t in /proc/$1/task/*/status; do
			awk -v u="$2" "/^Uid:/ && (\$2 != u || \$3 != u || \$4 != u) {exit 1}
				/^(CapEff|CapPrm|CapBnd):/ && \$2 != \"0000000000000000\" {exit 1}
				/^NoNewPrivs:/ && \$2 != 1 {exit 1}" "$t" || exit 1
		done' _ "$pid" "$uid"
	# 2 = SECCOMP_MODE_FILTER. A sanitizer build (make SANITIZE=1) does
	# not install the filter: LeakSanitizer needs ptrace at exit.
	if grep -qa __asan_init "$TI_BIN"; then
		skip "$label: seccomp filter installed" "sanitizer build"
	else
		check "$label: seccomp filter installed (Seccomp: 2)" \
			test "$(status_field "$pid" Seccomp)" = 2
	fi
}

NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

# --- default: drop to nobody -------------------------------------------------
progs_snapshot
if ! ti_start "$A/default" watch -i "$LAB_S_IF" --json --all-packets --duration 60; then
	fail "watch starts" "$(ti_ctx)"
	ti_stop
	finish
fi
pass "watch starts"
if wait_for 10 wait_dropped "$TI_PID" "$NOBODY_UID"; then
	pass "default: switched to nobody after attaching"
else
	fail "default: switched to nobody after attaching" "$(cat "/proc/$TI_PID/status" 2>&1 | head -12)" "$(ti_ctx)"
fi
check_status default "$TI_PID" "$NOBODY_UID" "$NOBODY_GID"
if grep -qa __asan_init "$TI_BIN"; then
	skip "default: /proc/PID/fd not readable by another nobody process" "sanitizer build stays dumpable"
else
	check "default: /proc/PID/fd is not readable by another nobody process" \
		bash -c '! setpriv --reuid="$1" --regid="$2" --clear-groups ls "/proc/$3/fd" >/dev/null 2>&1' \
		_ "$NOBODY_UID" "$NOBODY_GID" "$TI_PID"
fi

# Traffic strictly after the drop.
check "default: curl after the drop" curl_c "http://$LAB_S4:8080/"
check "default: second curl after the drop" curl_c "http://$LAB_S4:8080/"
sleep 1
check "default: still running after traffic (no seccomp kill)" kill -0 "$TI_PID"
ti_stop INT
expect_rc "default: SIGINT exits with 0 (not killed by seccomp: 159)" 0
f=$TI_OUT
jq_check "default: SYN events to 8080 from the client after the drop" "$f" \
	"len(E('packet', src='$LAB_C4', dport=8080, flags=['SYN'])) == 2"
jq_check "default: payload segments seen (--all-packets)" "$f" \
	"any(e['payload_len'] > 0 for e in E('packet', src='$LAB_C4', dport=8080))"
jq_check "default: connection events after the drop" "$f" "E('state', dport=8080)"
jq_check "default: stats at exit (map reads work unprivileged), nothing lost" "$f" \
	"last(ev)['event'] == 'stats' and last(ev)['tcp_packets'] > 0 and last(ev)['events']['lost'] == 0 and last(ev)['events']['delivered'] > 0"
check "default: no seccomp kill logged by the kernel for this pid" \
	bash -c '! dmesg 2>/dev/null | grep -E "type=1326.* pid=$1 " | grep -v "code=0x5"' _ "$TI_PID"
check_detached "default"

# --- --user with a numeric uid, text mode, SIGTERM, tracepoint flavour -------
progs_snapshot
if ti_start "$A/numeric" watch -i "$LAB_S_IF" --user "$NOBODY_UID" --conn-hook tracepoint --duration 60; then
	pass "--user $NOBODY_UID --conn-hook tracepoint starts"
	wait_for 10 wait_dropped "$TI_PID" "$NOBODY_UID"
	check "--user $NOBODY_UID: uid changed" test "$(status_field "$TI_PID" Uid | awk '{print $2}')" = "$NOBODY_UID"
	check "--user $NOBODY_UID: CapEff 0" test "$(status_field "$TI_PID" CapEff)" = 0000000000000000
	check "--user $NOBODY_UID: curl" curl_c "http://$LAB_S4:8080/"
	sleep 1
	ti_stop TERM
	expect_rc "--user $NOBODY_UID: SIGTERM exits with 0 (perf-event links closed unprivileged)" 0
	check "--user $NOBODY_UID: text events for the SYN" grep -q "$LAB_C4:[0-9]* *-> $LAB_S4:8080" "$TI_OUT"
	check "--user $NOBODY_UID: totals line" grep -q 'events shown' "$TI_ERR"
	check_detached "--user $NOBODY_UID"
else
	fail "--user $NOBODY_UID --conn-hook tracepoint starts" "$(ti_ctx)"
	ti_stop
fi

# --- --no-privdrop stays root ----------------------------------------------------
if ti_start "$A/noprivdrop" watch -i "$LAB_S_IF" --no-privdrop --duration 60; then
	sleep 0.5
	check "--no-privdrop: still uid 0" test "$(status_field "$TI_PID" Uid | awk '{print $2}')" = 0
	check "--no-privdrop: capabilities kept" test "$(status_field "$TI_PID" CapEff)" != 0000000000000000
	ti_stop INT
	expect_rc "--no-privdrop: exits with 0" 0
else
	fail "--no-privdrop starts" "$(ti_ctx)"
	ti_stop
fi

# --- bad values: usage errors, one line, nothing loaded -------------------------
for bad in "--user no-such-user-$$" "--user root" "--user 0" "--user=" "--user nobody --no-privdrop"; do
	# shellcheck disable=SC2086
	ti_run "$A/bad" 20 watch -i "$LAB_S_IF" $bad
	expect_rc "watch $bad: exit status 2" 2
	check "watch $bad: one error line, nothing on stdout" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && [ ! -s "$2" ] && ! grep -q watching "$1"' _ "$TI_ERR" "$TI_OUT"
done

# --- serve: drops after binding; API blocklist changes enforced after it ------
SERVE_ADDR=127.0.0.1:9421
echo "privdrop-$$-token" >"$A/token"
chmod 600 "$A/token"
progs_snapshot
if serve_start "$A/serve" -i "$LAB_S_IF" --listen "$SERVE_ADDR" --token-file "$A/token"; then
	pass "serve starts"
	check "serve: switched to nobody" wait_for 10 wait_dropped "$TI_PID" "$NOBODY_UID"
	check "serve: more than one thread (the HTTP server)" \
		test "$(find "/proc/$TI_PID/task" -mindepth 1 -maxdepth 1 | wc -l)" -gt 1
	check_status serve "$TI_PID" "$NOBODY_UID" "$NOBODY_GID"
	AUTH="Authorization: Bearer privdrop-$$-token"
	check "serve: curl before the block" curl_c "http://$LAB_S4:8080/"
	check "serve: POST /api/v1/blocklist (client) -> 201 after the drop" bash -c \
		'[ "$(ip netns exec "$1" curl -s -o /dev/null -w "%{http_code}" --max-time 5 -H "$2" \
			-d "{\"cidr\":\"$3/32\"}" "http://$4/api/v1/blocklist")" = 201 ]' \
		_ "$LAB_S_NS" "$AUTH" "$LAB_C4" "$SERVE_ADDR"
	blocked_out() { ! in_client curl -s -o /dev/null --max-time 3 "http://$LAB_S4:8080/"; }
	check "serve: the blocked client cannot connect" blocked_out
	hits() {
		api /api/v1/blocklist | python3 -c '
import json, sys
print(sum(e["hits"] for e in json.load(sys.stdin)["entries"] if e["cidr"] == sys.argv[1]))' "$LAB_C4/32"
	}
	h=$(hits)
	check "serve: the entry counted the client's dropped packets (hits $h)" test "${h:-0}" -gt 0
	check "serve: DELETE /api/v1/blocklist -> 200 after the drop" bash -c \
		'[ "$(ip netns exec "$1" curl -s -o /dev/null -w "%{http_code}" --max-time 5 -H "$2" \
			-X DELETE "http://$4/api/v1/blocklist?cidr=$3/32")" = 200 ]' \
		_ "$LAB_S_NS" "$AUTH" "$LAB_C4" "$SERVE_ADDR"
	check "serve: the client connects again" curl_c "http://$LAB_S4:8080/"
	check "serve: still running (no seccomp kill)" kill -0 "$TI_PID"
	check "serve: its link is pinned while it runs" test -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF"
	ti_stop TERM
	expect_rc "serve: SIGTERM exits with 0" 0
	check "serve: no seccomp kill logged for this pid" \
		bash -c '! dmesg 2>/dev/null | grep -E "type=1326.* pid=$1 " | grep -v "code=0x5"' _ "$TI_PID"
	check "serve: its pinned link is removed by the unprivileged clean stop" \
		test ! -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF"
	check_detached "serve"
else
	fail "serve starts" "$(ti_ctx)"
	ti_stop
fi

# --- capture: the file is opened before the drop, packets reach it after -------
progs_snapshot
if ti_start "$A/capture" capture -i "$LAB_S_IF" -w "$A/privdrop.pcap" --duration 60 port 8080; then
	pass "capture starts"
	check "capture: switched to nobody" wait_for 10 wait_dropped "$TI_PID" "$NOBODY_UID"
	check_status capture "$TI_PID" "$NOBODY_UID" "$NOBODY_GID"
	check "capture: curl after the drop" curl_c "http://$LAB_S4:8080/"
	sleep 1
	ti_stop INT
	expect_rc "capture: SIGINT exits with 0" 0
	n=$(tcpdump -nr "$A/privdrop.pcap" "tcp[tcpflags] & tcp-syn != 0 and src $LAB_C4 and dst port 8080" 2>/dev/null | wc -l)
	check "capture: the client's SYN (sent after the drop) is in the file ($n)" test "$n" -ge 1
	check_detached "capture"
else
	fail "capture starts" "$(ti_ctx)"
	ti_stop
fi

# --- top: drops after initialising the terminal, the screen keeps updating -----
if command -v tmux >/dev/null; then
	SOCK="ti-privdrop-$$"
	T=(tmux -L "$SOCK")
	progs_snapshot
	top_tmux_start "$SOCK" "$A/top.err"
	screen() { "${T[@]}" capture-pane -p -t top >"$A/top-screen.txt" 2>/dev/null; }
	shows() { screen && grep -q -- "$1" "$A/top-screen.txt"; }
	check "top starts" wait_for 30 shows "tcpinspect top"
	TOP_PID=$(pgrep -f "^$TI_BIN top -i $LAB_S_IF" | head -1)
	check "top: switched to nobody" wait_for 10 wait_dropped "${TOP_PID:-0}" "$NOBODY_UID"
	check_status top "${TOP_PID:-0}" "$NOBODY_UID" "$NOBODY_GID"
	check "top: curl after the drop" curl_c "http://$LAB_S4:8080/"
	check "top: the screen updates with the client's SYN" wait_for 15 shows "^ *$LAB_C4 "
	"${T[@]}" send-keys -t top q
	dead() { [ "$("${T[@]}" display-message -p -t top '#{pane_dead}')" = 1 ]; }
	check "top: 'q' quits" wait_for 10 dead
	top_status0() { [ "$(top_exit_status "$A/top.err")" = 0 ]; }
	check "top: exit status 0 (terminal restored, no seccomp kill)" wait_for 15 top_status0 ||
		echo "#   exit status '$(top_exit_status "$A/top.err")' (128+N: signal N)"
	"${T[@]}" kill-server 2>/dev/null
	check_detached "top"
else
	fail "top: tmux installed" "tmux missing (scripts/deps.sh)"
fi

# Usage errors of the other front ends, before anything loads.
for cmd in serve top capture; do
	extra=
	[ $cmd = capture ] && extra="-w $A/never.pcap"
	# shellcheck disable=SC2086
	ti_run "$A/bad-$cmd" 20 $cmd -i "$LAB_S_IF" $extra --user "no-such-user-$$"
	expect_rc "$cmd --user no-such-user: exit status 2" 2
	check "$cmd --user no-such-user: one error line" test "$(wc -l <"$TI_ERR")" = 1
done

finish
