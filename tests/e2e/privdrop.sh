#!/usr/bin/env bash
# e2e: least privilege after load. watch drops to nobody (or --user) with no
# capabilities, no_new_privs and a seccomp filter, still delivers events
# from traffic sent after the drop, exits cleanly (no seccomp kill) and
# leaves nothing attached; --no-privdrop stays root; a bad --user is a
# usage error before anything is loaded.
. "$(dirname "$0")/../lib.sh"

A=$TI_ARTIFACTS
require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
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

finish
