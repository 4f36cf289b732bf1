#!/usr/bin/env bash
# e2e: app events from watch in the namespace lab: real curl GET/POST to
# python http.server on port 80 and on an unusual port (query redacted),
# curl over TLS to openssl s_server (SNI, ALPN, versions, JA4), curl
# --http2-prior-knowledge (HTTP/2 preface), an SSH banner and an unknown
# payload from python sockets; --show-query/--payload; --no-app; a filter
# expression.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
for t in curl openssl python3; do
	require "$t installed" command -v "$t"
done
require "lab up" lab_up
A=$TI_ARTIFACTS
S=$LAB_S4
ODD=8631 # an unusual port for HTTP
TLS=8443
mkdir -p "$A/www"
echo "hello" >"$A/www/index.html"
require "http.server on $S:80" http_start "$S" 80 "$A/www"
require "http.server on $S:$ODD" http_start "$S" "$ODD" "$A/www"

# A throwaway certificate for tls.test and a real TLS server.
require "certificate generated" openssl req -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=tls.test \
	-keyout "$A/key.pem" -out "$A/cert.pem" -batch
ip netns exec "$LAB_S_NS" openssl s_server -accept "$TLS" -cert "$A/cert.pem" \
	-key "$A/key.pem" -www -quiet >"$A/s_server.log" 2>&1 </dev/null &
lab_defer "kill $!"
require "openssl s_server listening on $TLS" wait_for 15 _listening "" "$TLS"

# Raw payloads from a real client socket: SSH banner, binary junk.
send_raw() { # PORT PYTHON-BYTES-LITERAL
	in_client timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(eval(sys.argv[3]))
time.sleep(0.3)
s.close()' "$S" "$1" "$2"
}

traffic() {
	curl_c "http://$S/index.html?secret=hunter2&x=1" -H "Host: web.test"
	curl_c -X POST -d "a=1" "http://$S:$ODD/submit?token=abc" -H "Host: odd.test:$ODD"
	# TLS: curl offers h2 and http/1.1; the handshake result does not matter.
	in_client curl -sk -o /dev/null --max-time 10 --resolve "tls.test:$TLS:$S" \
		"https://tls.test:$TLS/" || true
	in_client curl -s -o /dev/null --max-time 10 --http2-prior-knowledge \
		"http://$S:$ODD/h2" || true
	send_raw "$ODD" "b'SSH-2.0-TestClient_1.0\r\n'"
	send_raw "$ODD" "b'\x00\x01\x02binary junk\xff'"
}

# --- default run: JSON, query redacted, no payload bytes ---------------------
if ! ti_start "$A/w" watch -i "$LAB_S_IF" --json --no-privdrop --duration 60; then
	fail "watch starts" "$(ti_ctx)"
	finish
fi
pass "watch starts"
traffic
sleep 1
ti_stop INT
expect_rc "watch exits 0" 0
f=$TI_OUT
jq_check "stdout is JSON lines" "$f" "ev and not bad"
jq_check "GET on port 80: method, redacted path, Host, version" "$f" \
	"E('app', proto='http', method='GET', dport=80, path='/index.html?\u2026', host='web.test', version='HTTP/1.1', query_redacted=True, src='$LAB_C4')"
jq_check "POST on unusual port $ODD: method, path, Host" "$f" \
	"E('app', proto='http', method='POST', dport=$ODD, path='/submit?\u2026', host='odd.test:$ODD')"
check "query strings never printed by default" bash -c "! grep -q -e hunter2 -e 'token=abc' '$f'"
check "no payload bytes printed by default" bash -c "! grep -q payload_hex '$f'"
jq_check "TLS: SNI tls.test, ALPN h2 and http/1.1, TLS1.3 offered" "$f" \
	"E('app', proto='tls', dport=$TLS, sni='tls.test', alpn=lambda a: 'h2' in a and 'http/1.1' in a, tls_versions=lambda v: 'TLS1.3' in v)"
jq_check "TLS: JA4 fingerprint t13d..h2_<12 hex>_<12 hex>" "$f" \
	"all(re.fullmatch(r't13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}', e['ja4']) for e in E('app', proto='tls')) and E('app', proto='tls')"
jq_check "HTTP/2 prior knowledge: preface on $ODD" "$f" "E('app', proto='http2', dport=$ODD)"
jq_check "SSH banner" "$f" "E('app', proto='ssh', banner='SSH-2.0-TestClient_1.0')"
jq_check "unknown payload: length only" "$f" \
	"E('app', proto='unknown', payload_len=15) and all(set(e) & {'method', 'banner', 'sni'} == set() for e in E('app', proto='unknown'))"
jq_check "one app event per connection (6 connections)" "$f" "len(E('app')) == 6"
jq_check "stats: app counts per protocol, method and host" "$f" \
	"last(ev)['app']['events'] == 6 and last(ev)['app']['methods'].get('GET') == 1 and last(ev)['app']['methods'].get('POST') == 1 and last(ev)['app']['hosts'].get('tls.test') == 1 and last(ev)['app']['hosts'].get('web.test') == 1"

# --- --show-query, --payload, a filter expression ----------------------------
if ti_start "$A/q" watch -i "$LAB_S_IF" --json --no-privdrop --show-query --payload 8 \
	--duration 60 "tcp dst port 80"; then
	pass "watch --show-query --payload 8 'tcp dst port 80' starts"
	traffic
	sleep 1
	ti_stop INT
	f=$TI_OUT
	jq_check "--show-query: full path" "$f" \
		"E('app', proto='http', path='/index.html?secret=hunter2&x=1')"
	jq_check "--payload 8: 8 bytes as hex ('GET /ind')" "$f" \
		"E('app', proto='http', payload_hex='474554202f696e64')"
	jq_check "expression 'tcp dst port 80': only port 80 events" "$f" \
		"E('app') and all(e['dport'] == 80 for e in ev if e['event'] not in ('stats',))"
else
	fail "watch --show-query --payload 8 starts" "$(ti_ctx)"
fi

# --- text output and --no-app ------------------------------------------------
if ti_start "$A/t" watch -i "$LAB_S_IF" --no-privdrop --duration 60; then
	traffic
	sleep 1
	ti_stop INT
	check "text: http line with method, redacted path, host" \
		grep -qE "app .*http +GET /index.html\?… host=web.test HTTP/1.1" "$TI_OUT"
	check "text: tls line with sni and alpn" grep -qE "tls +sni=tls.test alpn=h2,http/1.1" "$TI_OUT"
else
	fail "watch (text) starts" "$(ti_ctx)"
fi
if ti_start "$A/n" watch -i "$LAB_S_IF" --json --no-privdrop --no-app --duration 60; then
	traffic
	sleep 1
	ti_stop INT
	jq_check "--no-app: SYN packets but no app event" "$TI_OUT" \
		"E('packet') and not E('app')"
else
	fail "watch --no-app starts" "$(ti_ctx)"
fi

# --- bad input ----------------------------------------------------------------
ti_run "$A/bad" 30 watch -i "$LAB_S_IF" "tcp port nonsense_port_x"
expect_rc "invalid filter expression: exit 2" 2
check "invalid filter expression: one clear error line" \
	bash -c "[ \$(wc -l <'$TI_ERR') -eq 1 ] && grep -q 'invalid filter expression' '$TI_ERR'"
ti_run "$A/bad2" 30 watch -i "$LAB_S_IF" --payload 5000
expect_rc "--payload out of range: exit 2" 2
finish
