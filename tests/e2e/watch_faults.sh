#!/usr/bin/env bash
# e2e fault tests of watch:
#  A. SIGKILL twenty times in a row under continuous traffic, alternating
#     TC (TCX link) and generic XDP attachment: every restart
#     attaches and delivers events again, and after every kill the kernel
#     has released the process's links and programs: no XDP program, tc
#     filter, clsact qdisc or TCX link accumulates on the interface.
#  B. Ring-buffer overload: the consumer is stopped (SIGSTOP) while a SYN
#     flood (hping3, bounded count) runs, then resumed: the buffers
#     overflow, and every record the kernel tried to queue is either
#     delivered or counted as lost, exactly (attempts = delivered +
#     filtered + invalid + lost).
. "$(dirname "$0")/../lib.sh"

A=$TI_ARTIFACTS
KILLS=${TI_FAULT_KILLS:-20}
require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
mkdir -p "$A/www"
echo "fault test page" >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"

# Continuous traffic from the client: a connection every ~50 ms, for at
# most 150 s (killed by lab_down before that when the test ends).
in_client timeout 150 python3 - "$LAB_S4" >"$A/traffic.log" 2>&1 <<'PY' &
import socket, sys, time
ok = 0
end = time.time() + 150
while time.time() < end:
    try:
        s = socket.create_connection((sys.argv[1], 8080), timeout=2)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
        s.close()
        ok += 1
    except OSError as e:
        print("error:", e, flush=True)
    if ok % 50 == 0:
        print("connections:", ok, flush=True)
    time.sleep(0.05)
PY
TRAFFIC_PID=$!
lab_defer "kill $TRAFFIC_PID"

# link_ids PID / prog_ids PID: the BPF links and programs the process holds
# (from /proc/PID/fdinfo: a link fd shows link_id and prog_id).
link_ids() { grep -h '^link_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }
prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }

# released IDS...: none of the link ids exists any more.
links_released() {
	local id
	for id in "$@"; do
		bpftool link show id "$id" >/dev/null 2>&1 && return 1
	done
	return 0
}
progs_released() {
	local id
	for id in "$@"; do
		bpftool prog show id "$id" >/dev/null 2>&1 && return 1
	done
	return 0
}
iface_clean() {
	! in_server ip -d link show dev "$LAB_S_IF" | grep -qiE '\<xdp(generic|drv|offload)?\>|prog/xdp' &&
		[ -z "$(in_server tc filter show dev "$LAB_S_IF" ingress 2>/dev/null)" ] &&
		! in_server tc qdisc show dev "$LAB_S_IF" | grep -qE 'clsact|ingress'
}

# --- A: SIGKILL under traffic -------------------------------------------------
started=0 delivered=0 released=0 progs_gone=0 clean=0 max_ms=0
fails=()
for i in $(seq 1 "$KILLS"); do
	t0=$(date +%s%N)
	# Alternate TC (TCX link) and generic XDP (XDP link) attachments.
	mode=tc
	[ $((i % 2)) -eq 0 ] && mode=generic
	if ! ti_start "$A/kill$i" watch -i "$LAB_S_IF" --mode "$mode" --json --duration 60; then
		fails+=("run $i ($mode): did not start: $(head -3 "$TI_ERR")")
		ti_stop KILL
		continue
	fi
	ms=$((($(date +%s%N) - t0) / 1000000 - 300)) # ti_start sleeps 0.3 s after the line
	[ "$ms" -gt "$max_ms" ] && max_ms=$ms
	started=$((started + 1))
	links=$(link_ids "$TI_PID")
	progs=$(prog_ids "$TI_PID")
	# Events flow again: a SYN of the ongoing traffic reaches the output
	# (watch flushes stdout every poll, so it is there before the kill).
	if wait_for 10 grep -q '"flags":\["SYN"\]' "$TI_OUT"; then
		delivered=$((delivered + 1))
	else
		fails+=("run $i: no SYN event within 10 s")
	fi
	ti_stop KILL
	# shellcheck disable=SC2086
	if [ -n "$links" ] && wait_for 10 links_released $links; then
		released=$((released + 1))
	else
		fails+=("run $i: links [${links//$'\n'/ }] not released: $(bpftool link show 2>&1 | head -5)")
	fi
	# shellcheck disable=SC2086
	if [ -n "$progs" ] && wait_for 10 progs_released $progs; then
		progs_gone=$((progs_gone + 1))
	else
		fails+=("run $i: programs [${progs//$'\n'/ }] still loaded")
	fi
	if wait_for 5 iface_clean; then
		clean=$((clean + 1))
	else
		fails+=("run $i: $(in_server ip -d link show dev "$LAB_S_IF" | grep -i xdp; in_server tc filter show dev "$LAB_S_IF" ingress; in_server tc qdisc show dev "$LAB_S_IF")")
	fi
done
echo "# $KILLS SIGKILLs: started $started, delivered $delivered, links released $released, programs released $progs_gone, interface clean $clean; slowest start-to-watching $max_ms ms"
ctx=$(printf '%s\n' "${fails[@]:-}")
[ "$started" -eq "$KILLS" ] && pass "SIGKILL x$KILLS: every restart attached (slowest $max_ms ms to 'watching')" ||
	fail "SIGKILL x$KILLS: every restart attached ($started/$KILLS)" "$ctx"
[ "$delivered" -eq "$KILLS" ] && pass "SIGKILL x$KILLS: every restart delivered events from the live traffic" ||
	fail "SIGKILL x$KILLS: every restart delivered events ($delivered/$KILLS)" "$ctx"
[ "$released" -eq "$KILLS" ] && pass "SIGKILL x$KILLS: the kernel released every killed process's XDP/TCX links" ||
	fail "SIGKILL x$KILLS: links released ($released/$KILLS)" "$ctx"
[ "$progs_gone" -eq "$KILLS" ] && pass "SIGKILL x$KILLS: every killed process's programs unloaded" ||
	fail "SIGKILL x$KILLS: programs unloaded ($progs_gone/$KILLS)" "$ctx"
[ "$clean" -eq "$KILLS" ] && pass "SIGKILL x$KILLS: no XDP program, tc filter or clsact qdisc left on $LAB_S_IF" ||
	fail "SIGKILL x$KILLS: interface clean ($clean/$KILLS)" "$ctx"
check "traffic kept flowing during the kills" grep -q 'connections: [1-9]' "$A/traffic.log"

# --- B: ring-buffer overload --------------------------------------------------
kill "$TRAFFIC_PID" 2>/dev/null
if ! ti_start "$A/overload" watch -i "$LAB_S_IF" --json --all-packets --duration 120; then
	fail "overload: watch starts" "$(ti_ctx)"
	finish
fi
pass "overload: watch starts"
check "overload: SIGSTOP the consumer" kill -STOP "$TI_PID"
# 80000 SYNs to a closed port (each also answered by a RST: a reset_sent
# event on the connection ring): far more than the 4 MiB ring holds.
in_client timeout 90 hping3 -q -S -p 9 -i u20 -c 80000 "$LAB_S4" >"$A/hping3.log" 2>&1
echo "# hping3: $(grep -E 'packets (transmitted|tramitted)' "$A/hping3.log" | head -1)"
check "overload: SIGCONT the consumer" kill -CONT "$TI_PID"
sleep 2 # let it drain what the buffers hold
ti_stop INT
expect_rc "overload: watch exits 0 after the overflow" 0
f=$TI_OUT
jq_check "overload: the stats line is last and has events.attempts" "$f" \
	"last(ev)['event'] == 'stats' and isinstance(last(ev)['events'].get('attempts'), int)"
jq_check "overload: the ring buffers overflowed (lost > 0)" "$f" "last(ev)['events']['lost'] > 0"
jq_check "overload: events were delivered before and after the stop" "$f" "last(ev)['events']['delivered'] > 1000"
jq_check "overload: attempts == delivered + filtered + invalid + lost, exactly" "$f" \
	"(lambda s: s['attempts'] == s['delivered'] + s['filtered'] + s['invalid'] + s['lost'])(last(ev)['events'])"
jq_check "overload: delivered equals the event lines written" "$f" \
	"last(ev)['events']['delivered'] == len([e for e in ev if e['event'] != 'stats'])"
jq_get "$f" "last(ev)['events']" | sed 's/^/# events: /'
check_detached "overload"

finish
