#!/usr/bin/env bash
# e2e: connection lifecycle events and the conns snapshot, IPv4 and IPv6.
# A real python3 http.server in the server namespace, curl clients:
#  - accept names the server's PID and command, with the accept-queue wait;
#  - handshake: completed, plausible SYN-to-ESTABLISHED time, for every
#    accepted connection;
#  - close: 1 MiB sent (within header overhead), the request received,
#    plausible duration, the owner, who closed first;
#  - drop: a SYN to a closed port, with the kernel's reason name;
#  - watch --summary: handshake and RTT histograms per port, map memory;
#  - conns: the same tuples and states as `ss -tan`, owners included.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
head -c 1048576 /dev/urandom >"$A/www/big.bin"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
PID4=$HTTP_PID
require "http.server on $LAB_S6:8080" http_start "$LAB_S6" 8080 "$A/www"
PID6=$HTTP_PID
MiB=1048576

progs_snapshot
if ti_start "$A/life" watch -i "$LAB_S_IF" --json --summary --duration 60; then
	pass "watch --summary starts"
	check "curl fetches 1 MiB over IPv4" curl_c "http://$LAB_S4:8080/big.bin"
	check "curl fetches 1 MiB over IPv6" curl_c -g "http://[$LAB_S6]:8080/big.bin"
	check "a second IPv4 fetch" curl_c "http://$LAB_S4:8080/big.bin"
	in_client curl -sS -o /dev/null --max-time 5 "http://$LAB_S4:9/" 2>/dev/null
	in_client curl -sS -g -o /dev/null --max-time 5 "http://[$LAB_S6]:9/" 2>/dev/null
	sleep 1.5
	ti_stop INT
	expect_rc "watch exits 0" 0
	O=$TI_OUT
	for fam in ipv4 ipv6; do
		if [ $fam = ipv4 ]; then S=$LAB_S4 C=$LAB_C4 P=$PID4; else S=$LAB_S6 C=$LAB_C6 P=$PID6; fi
		jq_check "$fam: accept names the server (pid $P, python3), port 8080" "$O" \
			"(lambda a: a and all(e['pid'] == $P and e['comm'] == 'python3' and e['listen_port'] == 8080 and e['src'] == '$C' for e in a))(E('accept', family='$fam', dport=8080))"
		jq_check "$fam: accept queue wait present and plausible (< 5 s)" "$O" \
			"all(0 <= e['queue_wait_us'] < 5e6 for e in E('accept', family='$fam', dport=8080))"
		jq_check "$fam: a completed handshake for every accepted connection, 0 < SYN->ESTABLISHED < 1 s" "$O" \
			"(lambda hs: {e['sport'] for e in E('accept', family='$fam', dport=8080)} <= {e['sport'] for e in hs} and all(e['completed'] and not e['timed_out'] and 0 < e['duration_us'] < 1e6 for e in hs))(E('handshake', family='$fam', dport=8080))"
		jq_check "$fam: close: 1 MiB sent (+ HTTP headers < 2 KiB), request received, duration, owner" "$O" \
			"(lambda c: c and all($MiB <= e['bytes_sent'] <= $MiB + 2048 and 50 <= e['bytes_received'] <= 2048 and 0 < e['duration_us'] < 30e6 and e['pid'] == $P and e['comm'] == 'python3' and e['direction'] == 'passive' and e['closed_by'] in ('local', 'remote') for e in c))(E('close', family='$fam', dport=8080, dst='$S'))"
		jq_check "$fam: close carries RTT (min <= avg <= max) and retransmits" "$O" \
			"all(0 < e['rtt_min_us'] <= e['rtt_max_us'] and e['retransmits'] >= 0 and e['srtt_us'] > 0 for e in E('close', family='$fam', dport=8080))"
		jq_check "$fam: close and accept share the sock_id" "$O" \
			"{e['sock_id'] for e in E('accept', family='$fam', dport=8080)} <= {e['sock_id'] for e in E('close', family='$fam', dport=8080)}"
		jq_check "$fam: drop of the SYN to closed port 9, reason NO_SOCKET" "$O" \
			"E('drop', family='$fam', dport=9, src='$C', reason='NO_SOCKET', state='NONE')"
	done
	jq_check "three IPv4 + one IPv6 closes of port 8080" "$O" \
		"len(E('close', family='ipv4', dport=8080)) == 2 and len(E('close', family='ipv6', dport=8080)) == 1"
	jq_check "summary: handshake and RTT histograms for port 8080, both families" "$O" \
		"(lambda s: s and {(h['kind'], h['family']) for h in s[0]['histograms'] if h['port'] == 8080} == {('handshake','ipv4'),('handshake','ipv6'),('rtt','ipv4'),('rtt','ipv6')} and all(sum(b['count'] for b in h['buckets']) == h['count'] for h in s[0]['histograms']))(E('summary'))"
	jq_check "summary: handshake count per family equals the handshake events" "$O" \
		"all(h['count'] == len(E('handshake', family=h['family'], dport=8080)) for h in E('summary')[0]['histograms'] if h['kind'] == 'handshake' and h['port'] == 8080)"
	jq_check "summary: map memory reported (> 0 bytes, bounded maps)" "$O" \
		"E('summary')[0]['maps_memlock_bytes'] > 0 and all(m['max_entries'] > 0 for m in E('summary')[0]['maps'])"
	jq_check "all lines are JSON, nothing lost" "$O" "not bad and last(E('stats'))['events']['lost'] == 0"
else
	fail "watch --summary starts" "$(ti_ctx)"
	ti_stop
fi

# conns: long-lived connections to a server that accepts and holds them
# (held well past the checks: a loaded machine makes them slow; lab_down
# ends them).
ip netns exec "$LAB_S_NS" python3 "$TI_ROOT/tests/conn_helpers.py" hold-server "$LAB_S4" 8090 16 1 120 >"$A/hold4.log" 2>&1 &
HOLD4=$!
lab_defer "kill $HOLD4"
ip netns exec "$LAB_S_NS" python3 "$TI_ROOT/tests/conn_helpers.py" hold-server "$LAB_S6" 8090 16 1 120 >"$A/hold6.log" 2>&1 &
HOLD6=$!
lab_defer "kill $HOLD6"
wait_for 10 _listening "$LAB_S4" 8090
wait_for 10 _listening "$LAB_S6" 8090
ip netns exec "$LAB_C_NS" python3 "$TI_ROOT/tests/conn_helpers.py" hold-client "$LAB_S4" 8090 3 90 >"$A/client4.log" 2>&1 &
lab_defer "kill $!"
ip netns exec "$LAB_C_NS" python3 "$TI_ROOT/tests/conn_helpers.py" hold-client "$LAB_S6" 8090 2 90 >"$A/client6.log" 2>&1 &
lab_defer "kill $!"
wait_for 10 bash -c "in_server() { ip netns exec $LAB_S_NS \"\$@\"; }; [ \$(in_server ss -Htn state established '( sport = :8090 )' | wc -l) -ge 5 ]"
sleep 0.5
ti_run "$A/conns" 20 conns --json
expect_rc "conns --json exits 0" 0
in_server ss -Htan >"$A/ss.txt"
check "conns lists the same tuples and states as ss -tan" python3 - "$TI_OUT" "$A/ss.txt" <<'PY'
import json, sys
names = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
         "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT",
         "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
         "LISTEN": "LISTEN", "CLOSING": "CLOSING"}
def ep(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)
def norm(a):
    a = a.replace("[::ffff:", "").replace("]", "").replace("[", "") if a.startswith("[::ffff:") else a
    return a.replace("*", "0")
ours = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    ours.add((e["state"], ep(e["dst"], e["dport"]), ep(e["src"], e["sport"]).replace("0.0.0.0:0", "0.0.0.0:0")))
theirs = set()
for line in open(sys.argv[2]):
    f = line.split()
    st, local, peer = names.get(f[0], f[0]), f[3], f[4]
    local = local.replace("*:", "[::]:" if local.startswith("*") and "]" not in local else "0.0.0.0:")
    theirs.add((st, local, peer))
def canon(s):
    out = set()
    for st, l, p in s:
        l = l.replace("[::]:*", "[::]:0").replace("*", "0")
        p = p.replace("*", "0")
        out.add((st, l, p))
    return out
a, b = canon(ours), canon(theirs)
if a != b:
    print("only in conns:", sorted(a - b))
    print("only in ss:", sorted(b - a))
    sys.exit(1)
print(len(a), "sockets match")
PY
jq_check "conns: the held IPv4 connections are owned by the holding server (pid $HOLD4)" "$TI_OUT" \
	"len([e for e in E('conn', state='ESTABLISHED', family='ipv4', dport=8090) if $HOLD4 in [o['pid'] for o in e['owners']]]) == 3"
jq_check "conns: the held IPv6 connections are owned by pid $HOLD6" "$TI_OUT" \
	"len([e for e in E('conn', state='ESTABLISHED', family='ipv6', dport=8090) if $HOLD6 in [o['pid'] for o in e['owners']]]) == 2"
jq_check "conns: listener with backlog, RTT/cwnd/bytes on established sockets" "$TI_OUT" \
	"E('conn', state='LISTEN', dport=8090, family='ipv4')[0]['send_q'] == 16 and all(e['cwnd'] > 0 and e['srtt_us'] > 0 and 'bytes_sent' in e for e in E('conn', state='ESTABLISHED'))"
ti_run "$A/conns_f" 20 conns --json -4 --state established -p 8090
jq_check "conns -4 --state established -p 8090: exactly the 3 IPv4 connections" "$TI_OUT" \
	"len(ev) == 3 and all(e['state'] == 'ESTABLISHED' and e['family'] == 'ipv4' and 8090 in (e['dport'], e['sport']) for e in ev)"
ti_run "$A/conns_text" 20 conns -6
check "conns text output names the owner" grep -q "python3($HOLD6" "$TI_OUT"
ti_run "$A/conns_bad" 10 conns --state nosuchstate
expect_rc "conns --state nosuchstate is a usage error" 2
check "one clear error line" test "$(wc -l <"$TI_ERR")" -eq 1
check_detached "lifecycle run"
finish
