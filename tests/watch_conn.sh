# watch_conn.sh - the connection scenario shared by e2e/watch_v4.sh and
# e2e/watch_v6.sh (source it after lib.sh; call conn_scenario ipv4|ipv6).
#
# tcpinspect watches the server veth from inside the server namespace while
# the client namespace fetches a page with curl and tries a closed port.

conn_scenario() {
	local fam=$1 C S url url9 A f
	if [ "$fam" = ipv4 ]; then
		C=$LAB_C4 S=$LAB_S4
		url="http://$S:8080/" url9="http://$S:9/"
	else
		C=$LAB_C6 S=$LAB_S6
		url="http://[$S]:8080/" url9="http://[$S]:9/"
	fi
	A=$TI_ARTIFACTS
	mkdir -p "$A/www"
	echo "hello from the server namespace" >"$A/www/index.html"
	require "http.server on $S:8080" http_start "$S" 8080 "$A/www"

	# --- JSON run ---------------------------------------------------------
	progs_snapshot
	if ! ti_start "$A/json" watch -i "$LAB_S_IF" --json --duration 20; then
		fail "$fam: watch --json starts and says it is watching" "$(ti_ctx)"
		ti_stop
		finish
	fi
	pass "$fam: watch --json starts and says it is watching"
	check "$fam: watching line names $LAB_S_IF" grep -q "watching.*$LAB_S_IF" "$TI_ERR"
	check "$fam: curl $url" curl_c -g "$url"
	check "$fam: curl to closed port 9 is refused (exit 7)" \
		bash -c 'ip netns exec "$1" curl -sS -g -o /dev/null --max-time 10 "$2"; [ $? -eq 7 ]' \
		_ "$LAB_C_NS" "$url9"
	sleep 1.5 # FIN exchange and the server socket's CLOSE
	ti_stop INT
	expect_rc "$fam: SIGINT stops watch with exit status 0" 0
	f=$TI_OUT
	jq_check "$fam: every stdout line is a JSON object" "$f" 'ev and not bad'
	jq_check "$fam: last line is a stats event with events.lost" "$f" \
		'last(ev)["event"] == "stats" and isinstance(last(ev)["events"]["lost"], int)'
	jq_check "$fam: stats lists $LAB_S_IF as attached" "$f" \
		"[i['ifname'] for i in last(ev)['interfaces']] == ['$LAB_S_IF']"
	jq_check "$fam: events carry time (RFC 3339) and ts_ns" "$f" \
		"all(re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z', e['time']) and isinstance(e['ts_ns'], int) for e in E() if e['event'] != 'stats')"

	# The client's SYN.
	local syn="E('packet', family='$fam', src='$C', dst='$S', dport=8080, flags=['SYN'])"
	jq_check "$fam: packet event for the client's SYN to 8080 with options.mss" "$f" \
		"len($syn) == 1 and ${syn}[0]['options']['mss'] > 0 and ${syn}[0]['sport'] > 0"
	jq_check "$fam: SYN event: ifname $LAB_S_IF, hook tc or xdp, ttl, seq" "$f" \
		"all(e['ifname'] == '$LAB_S_IF' and e['hook'] in ('tc', 'xdp') and e['ttl'] > 0 and e['ack'] == 0 and isinstance(e['seq'], int) for e in $syn)"
	local P
	P=$(jq_get "$f" "${syn}[0]['sport']" 2>/dev/null)
	case "$P" in '' | *[!0-9]*) P=0 ;; esac
	echo "# client port of the 8080 connection: $P"
	jq_check "$fam: packet event for the client's FIN (sport $P)" "$f" \
		"E('packet', family='$fam', src='$C', sport=$P, dst='$S', dport=8080, flags=lambda fl: 'FIN' in fl)"
	jq_check "$fam: only incoming segments (no packet event from $S)" "$f" \
		"E('packet') and not E('packet', src='$S')"
	jq_check "$fam: without --all-packets only SYN/FIN/RST segments" "$f" \
		"all(set(e['flags']) & {'SYN', 'FIN', 'RST'} for e in E('packet'))"

	# The server socket's state changes, in kernel time order.
	local st="sorted(E('state', family='$fam', src='$C', sport=$P, dst='$S', dport=8080), key=lambda e: e['ts_ns'])"
	echo "# server socket states: $(jq_get "$f" "' '.join('%s>%s' % s for s in states($st))" 2>/dev/null)"
	jq_check "$fam: server socket goes SYN_RECV -> ESTABLISHED" "$f" \
		"any(e['old_state'] in ('SYN_RECV', 'NEW_SYN_RECV') and e['new_state'] == 'ESTABLISHED' for e in $st)"
	jq_check "$fam: server socket's first state change enters SYN_RECV" "$f" \
		"$st and ${st}[0]['new_state'] in ('SYN_RECV', 'NEW_SYN_RECV') and ${st}[0]['old_state'] in ('LISTEN', 'NEW_SYN_RECV', 'SYN_RECV')"
	jq_check "$fam: server socket's last state change is -> CLOSE, after ESTABLISHED" "$f" \
		"$st and ${st}[-1]['new_state'] == 'CLOSE' and [s[1] for s in states($st)].index('ESTABLISHED') < len($st) - 1"
	jq_check "$fam: server socket's state changes chain (old == previous new)" "$f" \
		"all(a['new_state'] == b['old_state'] for a, b in zip($st, ${st}[1:]))"
	jq_check "$fam: one sock_id for the server socket's state changes" "$f" \
		"len({e['sock_id'] for e in $st}) == 1"
	jq_check "$fam: no state events of the client's socket (other netns)" "$f" \
		"not E('state', dst='$C')"

	# The closed port: the SYN and the kernel's RST answering it.
	local syn9="E('packet', family='$fam', src='$C', dst='$S', dport=9, flags=['SYN'])"
	jq_check "$fam: packet event for the SYN to closed port 9" "$f" "$syn9"
	local P9
	P9=$(jq_get "$f" "${syn9}[0]['sport']" 2>/dev/null)
	case "$P9" in '' | *[!0-9]*) P9=0 ;; esac
	jq_check "$fam: reset_sent for port 9 (src $C:$P9 -> dst $S:9, state NONE)" "$f" \
		"E('reset_sent', family='$fam', src='$C', sport=$P9, dst='$S', dport=9, state='NONE')"
	jq_check "$fam: stats counts this family's packets" "$f" \
		"last(ev)['$fam'] >= 3 and last(ev)['tcp_packets'] >= 3 and last(ev)['events']['delivered'] >= len(E()) - 1"
	check_detached "$fam json run"

	# --- --all-netns: the client's socket (other namespace) shows up -------
	progs_snapshot
	if ti_start "$A/allnetns" watch -i "$LAB_S_IF" --json --all-netns --duration 20; then
		pass "$fam: watch --all-netns starts"
		curl_c -g "$url"
		sleep 1
		ti_stop INT
		expect_rc "$fam: --all-netns run exits 0" 0
		jq_check "$fam: --all-netns shows the client's socket SYN_SENT -> ESTABLISHED" "$TI_OUT" \
			"E('state', family='$fam', src='$S', sport=8080, dst='$C', old_state='SYN_SENT', new_state='ESTABLISHED')"
		jq_check "$fam: --all-netns still shows the server's socket" "$TI_OUT" \
			"E('state', family='$fam', src='$C', dst='$S', dport=8080, new_state='ESTABLISHED')"
	else
		fail "$fam: watch --all-netns starts" "$(ti_ctx)"
		ti_stop
	fi
	check_detached "$fam all-netns run"

	# --- text mode ---------------------------------------------------------
	progs_snapshot
	if ti_start "$A/text" watch -i "$LAB_S_IF" --duration 20; then
		pass "$fam: text mode starts"
		curl_c -g "$url"
		sleep 1
		ti_stop INT
		expect_rc "$fam: text mode exits 0 on SIGINT" 0
		check "$fam: text output mentions the client $C and port 8080" \
			bash -c 'grep -F -- "$1" "$2" | grep -q 8080' _ "$C" "$TI_OUT"
		check "$fam: text output is not JSON" bash -c '! grep -q "^{\"" "$1"' _ "$TI_OUT"
	else
		fail "$fam: text mode starts" "$(ti_ctx)"
		ti_stop
	fi
	check_detached "$fam text run"
}
