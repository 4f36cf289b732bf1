#!/usr/bin/env bash
# e2e: tcpinspect watch options and exit behaviour: usage errors (exit 2),
# not root (exit 3), --count, --duration, -4/-6, -p, --all-packets, the
# default interface list, --mode, stopping by SIGINT/SIGTERM/SIGKILL, and
# nothing left attached after any run.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
echo "options test page" >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
require "http.server on $LAB_S6:8080" http_start "$LAB_S6" 8080 "$A/www"
require "http.server on $LAB_S4:8081" http_start "$LAB_S4" 8081 "$A/www"

traffic() { # one request over each family, one to 8081, one to a closed port
	curl_c "http://$LAB_S4:8080/"
	curl_c -g "http://[$LAB_S6]:8080/"
	curl_c "http://$LAB_S4:8081/"
	in_client curl -s -o /dev/null --max-time 5 "http://$LAB_S4:9/"
	sleep 0.5
}

# --- usage errors: exit 2, one line on stderr, nothing on stdout --------------
n=0
while IFS= read -r args; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ti_run "$A/usage$n" 15 $args
	if [ "$TI_RC" = 2 ] && [ "$(grep -c . "$TI_ERR")" = 1 ] && [ ! -s "$TI_OUT" ]; then
		pass "'tcpinspect $args' exits 2 with one line on stderr: $(head -c 120 "$TI_ERR")"
	else
		fail "'tcpinspect $args' exits 2 with one line on stderr" \
			"expected: exit 2, exactly one stderr line, empty stdout" \
			"got: exit $TI_RC, $(grep -c . "$TI_ERR") stderr lines, $(wc -c <"$TI_OUT") stdout bytes" \
			"$(ti_ctx)"
	fi
done <<EOF
watch -i $LAB_S_IF -p 0
watch -i $LAB_S_IF -p 70000
watch -i $LAB_S_IF -p abc
watch -i $LAB_S_IF --bogus
watch -i nosuchif0
watch -i $LAB_S_IF --mode bogus
watch -i $LAB_S_IF --duration abc
watch -i $LAB_S_IF --count abc
watch -i $LAB_S_IF -4 -6
watch -i $LAB_S_IF --count 0
watch -i $LAB_S_IF --duration 0
features -i nosuchif0
frobnicate
EOF

# --json: usage errors are JSON too, one {"event":"error"} line on stdout
# (docs/events.md), still exit 2.
n=0
while IFS= read -r args; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ti_run "$A/jusage$n" 15 $args
	expect_rc "'tcpinspect $args' exits 2" 2
	jq_check "'tcpinspect $args' prints one JSON error line on stdout" "$TI_OUT" \
		"len(ev) == 1 and not bad and ev[0]['event'] == 'error' and ev[0]['error']"
done <<EOF
watch --json -i nosuchif0
watch --json -i $LAB_S_IF -p 70000
features --json -i nosuchif0
EOF
check_detached "usage errors"

# --- not root: exit 3 ----------------------------------------------------------
ti_out="$A/notroot"
ip netns exec "$LAB_S_NS" timeout 15 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TI_BIN" watch -i "$LAB_S_IF" --duration 2 >"$ti_out.out" 2>"$ti_out.err" </dev/null
TI_RC=$? TI_OUT="$ti_out.out" TI_ERR="$ti_out.err"
expect_rc "watch as an unprivileged user exits 3" 3
check "not-root error says so on stderr" grep -qi root "$TI_ERR"

# --- --count 3 -----------------------------------------------------------------------
progs_snapshot
if ti_start "$A/count" watch -i "$LAB_S_IF" --json --count 3 --duration 30; then
	pass "--count 3: starts"
	traffic
	traffic
	ti_wait 15
	expect_rc "--count 3: exits 0 by itself after the events" 0
	jq_check "--count 3: exactly 3 events before the stats line" "$TI_OUT" \
		"len([e for e in ev if e['event'] != 'stats']) == 3 and not bad"
	jq_check "--count 3: ends with the stats line" "$TI_OUT" "last(ev)['event'] == 'stats'"
else
	fail "--count 3: starts" "$(ti_ctx)"
	ti_stop
fi
check_detached "--count"

# --- --duration 2 ------------------------------------------------------------------------
progs_snapshot
t0=$(date +%s.%N)
if ti_start "$A/duration" watch -i "$LAB_S_IF" --json --duration 2; then
	pass "--duration 2: starts"
	ti_wait 15
	t1=$(date +%s.%N)
	expect_rc "--duration 2: exits 0 by itself" 0
	check "--duration 2: ends after 1.5-10 s (took $(python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1") s)" \
		python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(not 1.5 <= d <= 10)' "$t0" "$t1"
	jq_check "--duration 2: stats duration_s is about 2" "$TI_OUT" \
		"last(ev)['event'] == 'stats' and 1.5 <= last(ev)['duration_s'] <= 4"
else
	fail "--duration 2: starts" "$(ti_ctx)"
	ti_stop
fi
check_detached "--duration"

# --- -4 / -6 ----------------------------------------------------------------------------------
for fam in 4 6; do
	progs_snapshot
	if [ $fam = 4 ]; then want=ipv4 other=ipv6; else want=ipv6 other=ipv4; fi
	if ti_start "$A/only$fam" watch -i "$LAB_S_IF" --json -$fam --duration 20; then
		pass "-$fam: starts"
		traffic
		ti_stop INT
		expect_rc "-$fam: exits 0" 0
		jq_check "-$fam: $want packet and state events are shown" "$TI_OUT" \
			"E('packet', family='$want') and E('state', family='$want')"
		jq_check "-$fam: no $other events at all" "$TI_OUT" "not E(None, family='$other')"
	else
		fail "-$fam: starts" "$(ti_ctx)"
		ti_stop
	fi
	check_detached "-$fam"
done

# --- -p 8080 -----------------------------------------------------------------------------------
progs_snapshot
if ti_start "$A/port" watch -i "$LAB_S_IF" --json -p 8080 --duration 20; then
	pass "-p 8080: starts"
	traffic
	ti_stop INT
	expect_rc "-p 8080: exits 0" 0
	jq_check "-p 8080: packet events for 8080 over both families" "$TI_OUT" \
		"E('packet', family='ipv4', dport=8080) and E('packet', family='ipv6', dport=8080)"
	jq_check "-p 8080: only dport 8080 packet events (no 8081, no 9)" "$TI_OUT" \
		"all(e['dport'] == 8080 for e in E('packet'))"
else
	fail "-p 8080: starts" "$(ti_ctx)"
	ti_stop
fi
check_detached "-p"

# --- --all-packets -------------------------------------------------------------------------
progs_snapshot
if ti_start "$A/allpkts" watch -i "$LAB_S_IF" --json --all-packets --duration 20; then
	pass "--all-packets: starts"
	traffic
	ti_stop INT
	expect_rc "--all-packets: exits 0" 0
	jq_check "--all-packets: plain ACK and data segments are shown too" "$TI_OUT" \
		"E('packet', flags=['ACK']) and E('packet', payload_len=lambda n: n > 0)"
else
	fail "--all-packets: starts" "$(ti_ctx)"
	ti_stop
fi
check_detached "--all-packets"

# --- default interfaces: every up interface but lo (here: the veth) ------------------------
progs_snapshot
if ti_start "$A/default" watch --json --duration 20; then
	pass "no -i: starts"
	check "no -i: watching line names $LAB_S_IF" grep -q "watching.*$LAB_S_IF" "$TI_ERR"
	traffic
	ti_stop INT
	expect_rc "no -i: exits 0" 0
	jq_check "no -i: attached to $LAB_S_IF only (not lo)" "$TI_OUT" \
		"[i['ifname'] for i in last(ev)['interfaces']] == ['$LAB_S_IF']"
	jq_check "no -i: sees the traffic" "$TI_OUT" "E('packet', ifname='$LAB_S_IF', flags=['SYN'])"
else
	fail "no -i: starts" "$(ti_ctx)"
	ti_stop
fi
check_detached "default interfaces"

# --- --mode ----------------------------------------------------------------------------------
for m in tc:tc:tc generic:xdp-generic:xdp native:xdp-native:xdp auto:any:any; do
	IFS=: read -r mode want hook <<<"$m"
	progs_snapshot
	if ti_start "$A/mode-$mode" watch -i "$LAB_S_IF" --json --mode "$mode" --duration 20; then
		pass "--mode $mode: starts"
		if [ "$hook" = xdp ]; then
			check "--mode $mode: ip link shows an XDP program while running" \
				bash -c 'ip -n "$1" -d link show dev "$2" | grep -qiE "\<xdp(generic|drv)?\>|prog/xdp"' _ "$LAB_S_NS" "$LAB_S_IF"
		elif [ "$hook" = tc ]; then
			check "--mode $mode: ti_tc attached at tc ingress (filter or tcx link) while running" \
				tc_attached "$LAB_S_IF"
		fi
		traffic
		ti_stop INT
		expect_rc "--mode $mode: exits 0" 0
		if [ "$want" = any ]; then
			jq_check "--mode $mode: stats mode is one of xdp-native, xdp-generic, tc" "$TI_OUT" \
				"last(ev)['interfaces'][0]['mode'] in ('xdp-native', 'xdp-generic', 'tc')"
			jq_check "--mode $mode: SYN seen" "$TI_OUT" "E('packet', flags=['SYN'], dport=8080)"
		else
			jq_check "--mode $mode: stats reports mode $want" "$TI_OUT" \
				"last(ev)['interfaces'] == [{'ifname': '$LAB_S_IF', 'ifindex': last(ev)['interfaces'][0]['ifindex'], 'mode': '$want'}]"
			jq_check "--mode $mode: SYN seen with hook $hook" "$TI_OUT" \
				"E('packet', flags=['SYN'], dport=8080, hook='$hook', family='ipv4') and E('packet', flags=['SYN'], dport=8080, hook='$hook', family='ipv6')"
		fi
	else
		fail "--mode $mode: starts" "$(ti_ctx)"
		ti_stop
	fi
	check_detached "--mode $mode"
done

# --- -v ----------------------------------------------------------------------------------
progs_snapshot
ti_run "$A/verbose" 20 -v watch -i "$LAB_S_IF" --json --duration 1
expect_rc "-v watch --duration 1 exits 0" 0
jq_check "-v: stdout is still JSON lines ending with stats" "$TI_OUT" "not bad and last(ev)['event'] == 'stats'"
check_detached "-v"

# --- stopping by other signals -------------------------------------------------------------
for sig in TERM KILL; do
	for mode in tc generic; do
		progs_snapshot
		if ti_start "$A/sig$sig-$mode" watch -i "$LAB_S_IF" --json --mode "$mode" --duration 30; then
			pass "SIG$sig ($mode): starts"
			curl_c "http://$LAB_S4:8080/"
			ti_stop "$sig"
			if [ "$sig" = TERM ]; then
				expect_rc "SIGTERM ($mode): exits 0" 0
				jq_check "SIGTERM ($mode): stats line written" "$TI_OUT" "last(ev)['event'] == 'stats'"
			fi
		else
			fail "SIG$sig ($mode): starts" "$(ti_ctx)"
			ti_stop
		fi
		check_detached "after SIG$sig ($mode)"
	done
done

finish
