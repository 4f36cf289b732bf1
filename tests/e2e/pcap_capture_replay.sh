#!/usr/bin/env bash
# e2e: tcpinspect capture writes lab traffic (kernel-filtered, tcpdump
# expression) to a pcap that tcpdump and tshark read; tcpinspect replay runs
# it through the XDP program with BPF_PROG_TEST_RUN; a differential check
# compares every packet's fields as tshark dissects them with what replay
# parsed (addresses, ports, flags, seq, ack, window, payload length, HTTP
# method/URI/Host, TLS SNI): zero differences. Replay of an nmap SYN scan
# gives the same scan alert as live. Truncated, corrupt, hostile and
# non-Ethernet captures are rejected with one clear error.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
for t in curl openssl python3 tshark tcpdump; do
	require "$t installed" command -v "$t"
done
require "lab up" lab_up
A=$TI_ARTIFACTS
S=$LAB_S4
ODD=8631
TLS=8443
PCAP=$A/lab.pcap
mkdir -p "$A/www"
echo "hello" >"$A/www/index.html"
require "http.server on $S:80" http_start "$S" 80 "$A/www"
require "http.server on $S:$ODD" http_start "$S" "$ODD" "$A/www"
require "http.server on [$LAB_S6]:80" http_start "$LAB_S6" 80 "$A/www"
require "certificate generated" openssl req -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=tls.test \
	-keyout "$A/key.pem" -out "$A/cert.pem" -batch
ip netns exec "$LAB_S_NS" openssl s_server -accept "$TLS" -cert "$A/cert.pem" \
	-key "$A/key.pem" -www -quiet >"$A/s_server.log" 2>&1 </dev/null &
lab_defer "kill $!"
require "openssl s_server listening on $TLS" wait_for 15 _listening "" "$TLS"

traffic() {
	curl_c "http://$S/index.html?q=1" -H "Host: web.test"
	curl_c -X POST -d "a=1" "http://$S:$ODD/submit?token=abc" -H "Host: odd.test"
	in_client curl -sk -o /dev/null --max-time 10 --resolve "tls.test:$TLS:$S" \
		"https://tls.test:$TLS/" || true
	curl_c -g "http://[$LAB_S6]/v6" # excluded by the expression below
}

# --- capture -----------------------------------------------------------------
if ! ti_start "$A/cap" capture -i "$LAB_S_IF" -w "$PCAP" --duration 60 \
	"tcp and src net 198.18.0.0/15"; then
	fail "capture starts" "$(ti_ctx)"
	finish
fi
pass "capture starts"
traffic
sleep 1
ti_stop INT
expect_rc "capture exits 0" 0
N=$(sed -n 's/.* \([0-9][0-9]*\) packets captured.*/\1/p' "$TI_ERR")
echo "# capture reported ${N:-?} packets"
check "capture reports packets written" test "${N:-0}" -gt 10
tshark -r "$PCAP" -T fields -e frame.number >"$A/tshark-frames.txt" 2>"$A/tshark.err"
check "tshark reads the file: same number of packets" test "$(wc -l <"$A/tshark-frames.txt")" = "$N"
check "tcpdump reads the file: same number of packets" \
	test "$(tcpdump -nr "$PCAP" 2>/dev/null | wc -l)" = "$N"
check "only what the expression matched: IPv4 TCP from 198.18.0.0/15, to the server" \
	test "$(tshark -r "$PCAP" -Y "not (tcp and ip.src==198.18.0.0/15 and ip.dst==$S)" 2>/dev/null | wc -l)" = 0
check "the IPv6 request was not captured" test "$(tshark -r "$PCAP" -Y ipv6 2>/dev/null | wc -l)" = 0

# --- replay and the differential check ---------------------------------------
ti_run "$A/replay" 60 replay --json --all-packets --show-query "$PCAP"
expect_rc "replay --json exits 0" 0
R=$TI_OUT
jq_check "replay: JSON lines, every frame run, stats at the end" "$R" \
	"not bad and last(ev)['event'] == 'stats' and last(ev)['frames'] == $N and last(ev)['frames_run'] == $N"
tshark -r "$PCAP" -d "tcp.port==$ODD,http" -d "tcp.port==$TLS,tls" -T fields \
	-E separator='|' -E occurrence=f -e frame.number -e frame.time_epoch \
	-e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw \
	-e tcp.ack_raw -e tcp.window_size_value -e tcp.len -e http.request.method \
	-e http.request.uri -e http.host -e tls.handshake.extensions_server_name \
	>"$A/tshark-fields.txt" 2>>"$A/tshark.err"
check "differential: tshark fields == replay fields, zero differences" \
	python3 - "$A/tshark-fields.txt" "$R" <<'PY'
import json, sys
names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
pk = {}
app = {}
for e in ev:
    if e.get("event") == "packet":
        pk.setdefault(e["frame"], []).append(e)
    elif e.get("event") == "app":
        app.setdefault(e["frame"], []).append(e)
diffs, frames, http, sni = [], 0, 0, 0
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("|")
    (no, t, src, dst, sport, dport, flags, seq, ack, win, tlen,
     meth, uri, host, sn) = f
    no = int(no)
    frames += 1
    p = pk.get(no, [])
    if len(p) != 1:
        diffs.append((no, "packet events", len(p)))
        continue
    p = p[0]
    fl = int(flags, 16)
    want = {"src": src, "dst": dst, "sport": int(sport), "dport": int(dport),
            "flags": [n for i, n in enumerate(names) if fl & (1 << i)],
            "seq": int(seq), "ack": int(ack), "window": int(win),
            "payload_len": int(tlen)}
    for k, v in want.items():
        if p[k] != v:
            diffs.append((no, k, v, p[k]))
    # Capture timestamps drive replayed time (ns since the epoch).
    if abs(p["ts_ns"] - round(float(t) * 1e9)) > 1000:
        diffs.append((no, "ts_ns", t, p["ts_ns"]))
    a = app.get(no, [])
    if meth:
        http += 1
        if len(a) != 1 or (a[0].get("method"), a[0].get("path"), a[0].get("host", "")) != (meth, uri, host):
            diffs.append((no, "http", (meth, uri, host), a))
    if sn:
        sni += 1
        if len(a) != 1 or a[0].get("sni") != sn:
            diffs.append((no, "sni", sn, a))
    if a and not meth and not sn:
        diffs.append((no, "app event where tshark sees no request/hello", a))
extra = set(pk) - set(range(1, frames + 1))
if extra:
    diffs.append(("frames tshark does not have", sorted(extra)))
print(f"{frames} frames, {http} HTTP requests, {sni} TLS SNIs compared; {len(diffs)} differences")
for d in diffs[:20]:
    print(d)
sys.exit(1 if diffs or frames == 0 or http < 2 or sni < 1 else 0)
PY

# Text mode and the expression in replay.
ti_run "$A/replay-text" 60 replay "$PCAP" "tcp dst port 80"
expect_rc "replay (text) with an expression exits 0" 0
check "replay text: http GET line from frame numbers" \
	grep -qE "^#[0-9]+ +.* app .*http +GET /index.html\?… host=web.test" "$TI_OUT"
check "replay text: expression kept port 80 only" \
	bash -c "! grep -E ' app | packet ' '$TI_OUT' | grep -v ':80 '"

# --- capture options: -p, --host, --count, --snaplen --------------------------
if ti_start "$A/cap2" capture -i "$LAB_S_IF" -w "$A/p80.pcap" -p 80 --host "$LAB_C4" \
	--snaplen 60 --count 3 --duration 60; then
	traffic
	ti_wait 20
	expect_rc "capture --count 3 stops by itself, exit 0" 0
	check "-p 80 --host: 3 packets, all port 80 from $LAB_C4, cut at 60 bytes" python3 - "$A/p80.pcap" <<'PY'
import subprocess, sys
out = subprocess.run(["tshark", "-r", sys.argv[1], "-T", "fields", "-e", "ip.src",
                      "-e", "tcp.dstport", "-e", "frame.cap_len", "-e", "frame.len"],
                     capture_output=True, text=True).stdout.split("\n")
rows = [l.split("\t") for l in out if l]
print(rows)
ok = len(rows) == 3 and all(r[0] == "198.18.0.2" and r[1] == "80" and int(r[2]) <= 60 for r in rows)
ok = ok and any(int(r[3]) > 60 for r in rows)
sys.exit(0 if ok else 1)
PY
else
	fail "capture -p 80 --host starts" "$(ti_ctx)"
fi

# --- scan: live alert vs replayed alert ---------------------------------------
if command -v nmap >/dev/null; then
	# Live watch at XDP (generic) and capture at TC see the same packets:
	# two TCX programs would not, as the first one ends the TCX chain.
	if ti_start "$A/scanlive" watch -i "$LAB_S_IF" --mode generic --json --no-privdrop --duration 60; then
		LIVE_PID=$TI_PID LIVE_OUT=$TI_OUT
		ti_start "$A/scancap" capture -i "$LAB_S_IF" -w "$A/scan.pcap" --duration 60 "tcp" ||
			fail "capture of the scan starts" "$(ti_ctx)"
		in_client timeout 60 nmap -n -sS -Pn -p 1-200 --max-retries 0 "$S" >"$A/nmap.log" 2>&1
		sleep 1
		ti_stop INT
		TI_PID=$LIVE_PID
		ti_stop INT
		ti_run "$A/scanreplay" 60 replay --json "$A/scan.pcap"
		expect_rc "replay of the nmap scan exits 0" 0
		KIND="[e['kind'] for e in ev if e.get('event') == 'alert' and e.get('src') == '$LAB_C4']"
		jq_check "live watch raised a scan alert for $LAB_C4" "$LIVE_OUT" \
			"any('scan' in k for k in $KIND)"
		LK=$(jq_get "$LIVE_OUT" "sorted(set(k for k in $KIND if 'scan' in k))")
		RK=$(jq_get "$TI_OUT" "sorted(set(k for k in $KIND if 'scan' in k))")
		check "replay raises the same scan alert kinds as live ($LK)" test -n "$LK" -a "$LK" = "$RK"
	else
		fail "watch for the scan starts" "$(ti_ctx)"
	fi
fi

# --- bad captures ---------------------------------------------------------------
bad_replay() { # NAME FILE PATTERN
	ti_run "$A/bad-$1" 30 replay "$2"
	expect_rc "$1: exit 2" 2
	check "$1: one clear error line ($3)" \
		bash -c "grep -c . '$TI_ERR' | grep -qx 1 && grep -qiE '$3' '$TI_ERR'"
}
SIZE=$(stat -c %s "$PCAP")
head -c $((SIZE - 7)) "$PCAP" >"$A/truncated.pcap"
bad_replay truncated "$A/truncated.pcap" "frame [0-9]+ is unreadable.*truncated"
check "truncated: the frames before the bad one were replayed" \
	grep -q ' packet ' "$A/bad-truncated.out"
head -c 10 "$PCAP" >"$A/short.pcap"
bad_replay short-header "$A/short.pcap" "cannot read capture"
head -c 4096 /dev/urandom >"$A/garbage.pcap"
bad_replay garbage "$A/garbage.pcap" "cannot read capture"
: >"$A/empty.pcap"
bad_replay empty "$A/empty.pcap" "cannot read capture"
# A record header claiming a 4 GB packet after a valid first record.
python3 - "$PCAP" "$A/hostile.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
caplen = struct.unpack("<I", d[24 + 8:24 + 12])[0]
first = 24 + 16 + caplen
open(sys.argv[2], "wb").write(d[:first] + struct.pack("<IIII", 1, 0, 0xfffffff0, 0xfffffff0) + b"x" * 64)
PY
bad_replay hostile-caplen "$A/hostile.pcap" "frame 2 is unreadable"
# Raw-IP link type (101): not Ethernet.
python3 - "$A/rawip.pcap" <<'PY'
import struct, sys
pkt = bytes.fromhex("450000280001000040060000c6120002c6120001d43100500000000100000000500220000000000000")[:40]
open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101) +
                              struct.pack("<IIII", 1, 0, len(pkt), len(pkt)) + pkt)
PY
bad_replay non-ethernet "$A/rawip.pcap" "link type .* not supported"
bad_replay missing "$A/does-not-exist.pcap" "cannot read capture"
ti_run "$A/bad-expr" 30 replay "$PCAP" "tcp port"
expect_rc "replay with an invalid expression: exit 2" 2
ti_run "$A/bad-w" 30 capture -i "$LAB_S_IF"
expect_rc "capture without -w: exit 2" 2
ti_run "$A/bad-snap" 30 capture -i "$LAB_S_IF" -w "$A/x.pcap" --snaplen 0
expect_rc "capture --snaplen 0: exit 2" 2
finish
