#!/usr/bin/env bash
# e2e: anomaly baselines on real traffic. A python client opens a steady ~3
# connections/s to a real HTTP server through the lab; tcpinspect (short
# warm-up, small k) learns the baseline and must stay quiet. Then a bounded
# burst of 400 SYNs (hping3, lab addresses only) must raise a syns_per_s
# anomaly whose evidence carries the metric, the rate, the mean and the
# standard deviation it was judged against.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "hping3 available" which hping3
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
mkdir -p "$A/www"
echo hello >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"

WARMUP=5     # samples (seconds) before the baseline judges
STEADY_S=14  # steady phase: warm-up plus at least 8 judged samples
BURST_N=400  # SYNs in the burst, ~1000/s

# The steady client: one connection and request every 1/3 s, for S seconds.
# ~3 SYNs/s stays within the 5/s minimum deviation whatever the jitter, so
# a quiet steady phase is not luck.
steady_client() {
	in_client timeout -k 5 $(($1 + 20)) python3 - "$LAB_S4" "$1" <<'PY'
import socket, sys, time
host, secs = sys.argv[1], float(sys.argv[2])
ok = fail = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        with socket.create_connection((host, 8080), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")
            while s.recv(4096):
                pass
        ok += 1
    except OSError:
        fail += 1
    time.sleep(1 / 3)
print(f"requests ok={ok} failed={fail}")
PY
}

if ti_start "$A/anomaly" watch -i "$LAB_S_IF" --json --duration 120 \
	--anomaly-warmup "$WARMUP" --anomaly-k 3 --anomaly-alpha 0.3; then
	steady_client "$STEADY_S" >"$A/steady.txt" 2>&1
	check "steady: the client's requests succeeded" grep -Eq 'ok=[1-9][0-9]+ failed=0' "$A/steady.txt"
	burst_at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	in_client timeout -k 5 30 hping3 -q -S -p 8080 -c "$BURST_N" -i u1000 "$LAB_S4" >"$A/hping3.txt" 2>&1
	check "burst: hping3 sent $BURST_N SYNs" grep -q "$BURST_N packets transmitted" "$A/hping3.txt"
	sleep 3
	ti_stop INT
	expect_rc "watch exits 0" 0
	export BURST_AT=$burst_at
	jq_check "steady: the client's SYNs were seen" "$TI_OUT" \
		"len(E('packet', src='$LAB_C4', dport=8080)) >= 20"
	# resets_sent_per_s and retransmits_per_s come from tracepoints that
	# see the whole host (other tests' traffic too): only the metrics the
	# lab interface's inspector counts are asserted quiet.
	jq_check "steady: no syns_per_s or new_sources_per_s anomaly before the burst" "$TI_OUT" \
		"not [a for a in E('alert') if a['kind'] == 'anomaly' and a['metric'] in ('syns_per_s', 'new_sources_per_s') and a['time'] < env['BURST_AT']]"
	jq_check "burst: a syns_per_s anomaly after the burst" "$TI_OUT" \
		"any(a['kind'] == 'anomaly' and a['metric'] == 'syns_per_s' and a['time'] >= env['BURST_AT'] for a in E('alert'))"
	# The first alert is the first one-second sample over the line, which
	# may hold only the start of the burst (it can begin late in a
	# sample): its evidence must be the rule that fired — more than k
	# standard deviations and at least the 5/s minimum above a steady mean
	# — not a particular share of the burst's 1000/s.
	jq_check "burst: evidence is the rule that fired: rate > mean + k stddev and >= mean + 5, k = 3, steady mean < 10" "$TI_OUT" \
		"(lambda a: a['mean'] < 10 and a['stddev'] >= 0 and a['rate'] > a['mean'] + 3 * a['stddev'] and a['rate'] >= a['mean'] + 5 and a['k'] == 3 and a['window_s'] > 0)([a for a in E('alert') if a['kind'] == 'anomaly' and a['metric'] == 'syns_per_s'][0])"
	jq_get "$TI_OUT" "[a for a in E('alert') if a['kind'] == 'anomaly']" >"$A/anomalies.txt"
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi
finish
