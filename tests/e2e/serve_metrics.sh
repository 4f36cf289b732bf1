#!/usr/bin/env bash
# e2e: tcpinspect serve's /metrics in the lab: the Prometheus text passes
# `promtool check metrics`; a real Prometheus (Debian's), started in the
# server namespace and scraping the daemon every second, returns through
# PromQL the SYNs the client sent (per family and for the client's source
# label); self-health series are there; nothing is left attached.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "prometheus installed" command -v prometheus
require "promtool installed" command -v promtool
require "lab up" lab_up
# serve pins its links: a private pin directory, never the host's.
require "private pin directory" def_private_lists
A=$TI_ARTIFACTS
N=37
PORT=8080

require "listener on port $PORT" syn_server $PORT
progs_snapshot
if ! serve_start "$A/serve" -i "$LAB_S_IF"; then
	fail "serve starts and answers on $SERVE_ADDR (the default)" "$(ti_ctx)"
	finish
fi
pass "serve starts and answers on $SERVE_ADDR (the default)"

sent=$(send_syns $N $PORT)
check "client made $N IPv4 connections" test "$sent" = $N
sent6=$(send_syns 5 $PORT fd00::1)
check "client made 5 IPv6 connections" test "$sent6" = 5

# Wait until the daemon has seen them all (events are asynchronous: a ring
# is drained at least every poll tick, so the last records can arrive up to
# a tick after the first ones): every count asserted below, not only IPv4.
syns_seen() {
	local m
	m=$(api /metrics) || return 1
	grep -qx "tcpinspect_syns_received_total{family=\"ipv4\"} $N" <<<"$m" &&
		grep -qx 'tcpinspect_syns_received_total{family="ipv6"} 5' <<<"$m" &&
		awk -v want=$((N + 5)) '$1 == "tcpinspect_handshake_duration_seconds_count" && $2 >= want {ok = 1}
			END {exit !ok}' <<<"$m"
}
check "/metrics counts the $N IPv4 and 5 IPv6 SYNs and handshakes" wait_for 15 syns_seen
api /metrics >"$A/metrics.txt"
check "promtool check metrics passes" promtool check metrics <"$A/metrics.txt"
check "every series is tcpinspect_*" bash -c "! grep -v '^#' '$A/metrics.txt' | grep -v '^tcpinspect_'"
check "HELP and TYPE for every family" python3 - "$A/metrics.txt" <<'PY'
import sys
helps, types, names = set(), set(), set()
for line in open(sys.argv[1]):
    if line.startswith('# HELP '):
        helps.add(line.split()[2])
    elif line.startswith('# TYPE '):
        types.add(line.split()[2])
    elif line.strip():
        name = line.split('{')[0].split()[0]
        for suf in ('_bucket', '_sum', '_count'):
            if name.endswith(suf) and name[:-len(suf)] in types:
                name = name[:-len(suf)]
        names.add(name)
missing = sorted(n for n in names if n not in helps or n not in types)
sys.exit(f"no HELP/TYPE: {missing}" if missing else 0)
PY
check "IPv6 SYNs counted" grep -qx 'tcpinspect_syns_received_total{family="ipv6"} 5' "$A/metrics.txt"
check "per-source label for the client, the rest folded into other" \
	grep -qx "tcpinspect_source_syns{source=\"$LAB_C4\"} $N" "$A/metrics.txt"
check "source=\"other\" series present" grep -q '^tcpinspect_source_syns{source="other"} ' "$A/metrics.txt"
check "port $PORT counted" grep -qx "tcpinspect_port_syns{port=\"$PORT\"} $((N + 5))" "$A/metrics.txt"
check "handshake histogram has the connections" python3 - "$A/metrics.txt" $((N + 5)) <<'PY'
import sys
vals = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith('tcpinspect_handshake_duration_seconds')}
n = vals.get('tcpinspect_handshake_duration_seconds_count', 0)
inf = vals.get('tcpinspect_handshake_duration_seconds_bucket{le="+Inf"}', -1)
sys.exit(0 if n >= int(sys.argv[2]) and inf == n and vals['tcpinspect_handshake_duration_seconds_sum'] > 0 else f"count {n}, +Inf {inf}")
PY
check "histogram for RTT present" grep -q '^tcpinspect_rtt_seconds_bucket{le="+Inf"}' "$A/metrics.txt"
check "self-health: program attached to $LAB_S_IF with its mode" \
	grep -Eq "^tcpinspect_program_attached\\{interface=\"$LAB_S_IF\",mode=\"(native|generic|tc)\"\\} 1" "$A/metrics.txt"
check "self-health: events lost counter" grep -q '^tcpinspect_events_lost_total{component="inspector"} 0' "$A/metrics.txt"
check "self-health: map fill level" grep -Eq '^tcpinspect_map_entries\{map="ti_syn_sources"\} [1-9]' "$A/metrics.txt"
api '/api/v1/connections?limit=100' >"$A/connections.json"
check "connections lists the client's connections" grep -q "\"src\":\"$LAB_C4\"" "$A/connections.json"
check "the daemon's own HTTP connections are not tracked" \
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["connections"]; sys.exit(any(9310 in (x["sport"], x["dport"]) for x in c))' "$A/connections.json"

# A real Prometheus scraping the daemon.
P=$(mktemp -d)
lab_defer "rm -rf '$P'"
cat >"$P/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tcpinspect
    static_configs:
      - targets: ['$SERVE_ADDR']
EOF
check "promtool check config" promtool check config "$P/prometheus.yml"
in_server timeout 120 prometheus --config.file="$P/prometheus.yml" \
	--storage.tsdb.path="$P/data" --web.listen-address=127.0.0.1:9090 \
	--log.level=warn >"$A/prometheus.log" 2>&1 </dev/null &
PROM_PID=$!
lab_defer "kill $PROM_PID 2>/dev/null"
prom_ready() { in_server curl -sf --max-time 2 http://127.0.0.1:9090/-/ready; }
require "prometheus is ready" wait_for 30 prom_ready

# promql EXPR: the value of the first sample of an instant query.
promql() {
	in_server curl -sf --max-time 5 -G --data-urlencode "query=$1" \
		http://127.0.0.1:9090/api/v1/query | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")'
}
promql_is() { [ "$(promql "$1")" = "$2" ]; }
check "PromQL: up{job=\"tcpinspect\"} == 1" wait_for 30 promql_is 'up{job="tcpinspect"}' 1
check "PromQL: tcpinspect_syns_received_total{family=\"ipv4\"} == $N" \
	wait_for 20 promql_is 'tcpinspect_syns_received_total{family="ipv4"}' $N
check "PromQL: sum(tcpinspect_syns_received_total) == $((N + 5))" \
	wait_for 20 promql_is 'sum(tcpinspect_syns_received_total)' $((N + 5))
check "PromQL: tcpinspect_source_syns{source=\"$LAB_C4\"} == $N" \
	wait_for 20 promql_is "tcpinspect_source_syns{source=\"$LAB_C4\"}" $N

# More SYNs: the counter moves and Prometheus sees the increase.
sent=$(send_syns 10 $PORT)
check "PromQL sees 10 more SYNs" wait_for 20 promql_is 'tcpinspect_syns_received_total{family="ipv4"}' $((N + 10))
promql 'tcpinspect_syns_received_total' >"$A/promql-final.txt" 2>&1

ti_stop INT
expect_rc "serve exits 0 on SIGINT" 0
check "serve said where it serves" grep -q "serving on http://$SERVE_ADDR/" "$TI_ERR"
check_detached "serve"
finish
