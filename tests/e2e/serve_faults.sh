#!/usr/bin/env bash
# e2e fault test of serve: enforcement that survives the daemon.
#  A. serve (generic XDP) is SIGKILLed twenty times in a row under lab
#     traffic. While it is dead, a blocklisted source (a second client
#     address) sends SYNs: tcpdump in the server namespace sees none of
#     them (XDP drops come before packet sockets) and the entry's hit
#     counter grows. Every restart attaches within a second (measured from
#     exec to the "watching" line) by taking over the pinned link; the
#     entry and its counters are intact and only grow; no XDP link or
#     program, tc filter, clsact qdisc or pinned object accumulates; the
#     unblocked client's traffic keeps flowing.
#  B. A clean stop (SIGTERM) removes everything serve attached or pinned.
#  C. After a final SIGKILL the link stays attached; `tcpinspect detach`
#     removes it (exit 0), a second run says there is nothing (exit 0), and
#     a bad interface name is a usage error (exit 2).
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

A=$TI_ARTIFACTS
KILLS=${TI_FAULT_KILLS:-20}
BLOCKED=198.18.0.3 # a second address of the client, blocklisted
SERVE_ADDR=127.0.0.1:9431
require "tcpinspect binary exists" test -x "$TI_BIN"
require "tcpdump installed" test -n "$(command -v tcpdump)"
require "lab up" lab_up
require "private pin directory" def_private_lists
require "second client address $BLOCKED" in_client ip addr add "$BLOCKED/24" dev "$LAB_C_IF"
mkdir -p "$A/www"
echo "serve fault test page" >"$A/www/index.html"
require "http.server on $LAB_S4:8080" http_start "$LAB_S4" 8080 "$A/www"
require "block add $BLOCKED" ti_block add "$BLOCKED"
IFINDEX=$(in_server cat "/sys/class/net/$LAB_S_IF/ifindex")

# Everything the blocked source sends, as a packet socket in the server
# namespace sees it; and, as a control, the unblocked client's SYNs.
in_server timeout 300 tcpdump -n -U -i "$LAB_S_IF" -w "$A/blocked.pcap" \
	"tcp and src host $BLOCKED" >"$A/tcpdump-blocked.log" 2>&1 &
DUMP_PID=$!
lab_defer "kill $DUMP_PID 2>/dev/null"
in_server timeout 300 tcpdump -n -U -i "$LAB_S_IF" -w "$A/control.pcap" \
	"tcp[tcpflags] & tcp-syn != 0 and src host $LAB_C4" >"$A/tcpdump-control.log" 2>&1 &
CTRL_PID=$!
lab_defer "kill $CTRL_PID 2>/dev/null"
tcpdump_ready() { grep -q "listening on" "$A/tcpdump-blocked.log" && grep -q "listening on" "$A/tcpdump-control.log"; }
require "tcpdump listening" wait_for 10 tcpdump_ready

# Unblocked traffic from the client's first address during the whole test
# (bounded; lab_down stops it earlier): bursts of connections.
traffic_loop 8080 400

# blocked_syns N: N connection attempts from the blocked address (one SYN
# each: the 0.2 s timeout is shorter than the first retransmission).
blocked_syns() {
	in_client python3 - "$LAB_S4" "$BLOCKED" "$1" <<'PY'
import socket, sys
for _ in range(int(sys.argv[3])):
    s = socket.socket()
    s.bind((sys.argv[2], 0))
    s.settimeout(0.2)
    try:
        s.connect((sys.argv[1], 8080))
        print("connected: the block leaked", file=sys.stderr)
    except OSError:
        pass
    s.close()
PY
}

# The blocked entry's hit counter, read from the pinned map (serve or not);
# -1 if the entry is missing. (awk, not python: this machine's load makes
# every interpreter start count.)
hits() {
	ti_block list | awk -v c="$BLOCKED/32" '$1 == c { print $2; f = 1 } END { if (!f) print -1 }'
}

# The pinned link of our interface: "link_id prog_id" (empty if none).
pinned_link() {
	bpftool link show pinned "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF" 2>/dev/null |
		awk -F'[: ]+' 'NR == 1 { for (i = 2; i < NF; i++) if ($i == "prog") print $1, $(i + 1) }'
}
# XDP links running a ti_ program that no live process holds and that were
# not there at the start (bpftool 7.1 prints no interface for XDP links):
# only our pinned one may exist.
unheld_ti_xdp_links() {
	awk -v held="$(held_bpf_ids link_id | tr '\n' ' ')" -v before="${LINKS_BEFORE:-}" '
		BEGIN { n = split(held, h, " "); for (i = 1; i <= n; i++) H[h[i]] = 1
			n = split(before, b, "[ \n]"); for (i = 1; i <= n; i += 2) B[b[i]] = 1 }
		FNR == 1 { file++ }
		file == 1 && /^[0-9]+: / && / name ti_/ { sub(":", "", $1); P[$1] = 1 }
		file == 2 && /^[0-9]+: xdp / { id = $1; sub(":", "", id)
			if (($4 in P) && !(id in H) && !(id in B)) print id, $4 }' \
		<(bpftool prog show 2>/dev/null) <(bpftool link show 2>/dev/null)
}
xdp_prog_on_iface() { in_server ip -d link show dev "$LAB_S_IF" | grep -oE 'prog/xdp id [0-9]+' | awk '{print $3}'; }
pinned_objects() { find "$TCPINSPECT_PIN_DIR" | sort; }
# ti_* programs loaded since the snapshot that no live process holds:
# after a kill, only the program of the pinned link may be left.
orphan_progs() {
	comm -13 <(echo "${TI_PROGS_BEFORE:-}" | sort) <(ti_prog_ids | sort) |
		grep -vwFf <(held_bpf_ids prog_id; echo __none__) || true
}

# link_watch PREFIX: a watcher of the pinned link (in the background; it
# creates PREFIX.ready once it holds the link): holds it and polls the prog_id of its
# fdinfo every 5 ms (cheap, unlike running bpftool or ip); writes the time
# the program changed to $1.changed.
link_watch() {
	python3 - "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF" "$1" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
BPF_OBJ_GET, NR_BPF = 7, 321  # x86_64
class Attr(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32),
                ("file_flags", ctypes.c_uint32)]
path = ctypes.create_string_buffer(sys.argv[1].encode())
attr = Attr(ctypes.addressof(path), 0, 0)
fd = libc.syscall(NR_BPF, BPF_OBJ_GET, ctypes.byref(attr), ctypes.sizeof(attr))
if fd < 0:
    sys.exit("cannot open the pinned link: errno %d" % ctypes.get_errno())
def prog():
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("prog_id:"):
                return line.split()[1]
old = prog()
open(sys.argv[2] + ".ready", "w").close()
end = time.time() + 30
while time.time() < end:
    if prog() != old:
        with open(sys.argv[2] + ".changed", "w") as f:
            f.write("%d\n" % (time.time() * 1000))
        break
    time.sleep(0.005)
PY
	WATCH_PID=$!
}

no_unheld_link() { [ -z "$(unheld_ti_xdp_links)" ]; }

# serve_launch PREFIX [WATCH]: start serve and wait for its "watching"
# line. With WATCH (a link_watch running), ATTACH_MS is the time from the
# launch until the program in the pinned link changed.
serve_launch() {
	local prefix=$1 watch=${2:-} t0 deadline
	TI_OUT="$prefix.out" TI_ERR="$prefix.err"
	: >"$TI_ERR"
	ATTACH_MS=
	t0=$(date +%s%3N)
	env --default-signal=INT ip netns exec "$LAB_S_NS" "$TI_BIN" serve -i "$LAB_S_IF" \
		--mode generic --listen "$SERVE_ADDR" >"$TI_OUT" 2>"$TI_ERR" </dev/null &
	TI_PID=$!
	deadline=$((SECONDS + 20))
	until grep -q watching "$TI_ERR" 2>/dev/null; do
		kill -0 "$TI_PID" 2>/dev/null && [ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
	if [ -n "$watch" ]; then
		wait "$WATCH_PID" 2>/dev/null
		[ -s "$watch.changed" ] && ATTACH_MS=$(($(cat "$watch.changed") - t0))
	fi
}

progs_snapshot
LINKS_BEFORE=$(unheld_ti_xdp_links)
if ! serve_launch "$A/serve-0"; then
	fail "serve starts (generic XDP)" "$(ti_ctx)"
	finish
fi
pass "serve starts (generic XDP)"
check "the link is pinned as links/$LAB_S_IF" test -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF"
wait_for 10 api_ok /api/v1/stats
blocked_syns 3
H0=$(hits)
check "the blocked source is counted while serve runs (hits $H0)" test "$H0" -ge 3
PINNED0=$(pinned_objects)

# --- A. twenty SIGKILLs ---------------------------------------------------------
# A restart takes over within a second (about 0.5 s on an idle 2-core
# machine: mostly CO-RE relocation and verification). On a machine whose
# run queue is much longer than its CPU count the wall time stretches with
# the load, so the bound does too, and the check says so.
ATTACH_BOUND_MS=1000 ATTACH_NOTE=
read -r load1 _ </proc/loadavg
if python3 -c 'import os, sys; sys.exit(float(sys.argv[1]) <= 2 * os.cpu_count())' "$load1"; then
	ATTACH_BOUND_MS=5000
	ATTACH_NOTE=" (machine overloaded: load $load1 on $(nproc) CPUs)"
fi
prev_hits=$H0
slow=0 max_ms=0 total_ms=0 bad_links=0 bad_pins=0 bad_hits=0 bad_dead=0 adopted=0
for i in $(seq 1 "$KILLS"); do
	link=$(pinned_link)
	old_prog=$(xdp_prog_on_iface)
	ti_stop KILL
	# Dead: the pinned link still enforces, and it is the only one.
	dead_links=$(unheld_ti_xdp_links)
	if [ "$dead_links" != "$link" ] || [ "$(xdp_prog_on_iface)" != "$old_prog" ]; then
		bad_links=$((bad_links + 1))
		echo "# kill $i: unheld XDP links '$dead_links', pinned '$link', on $LAB_S_IF: $(xdp_prog_on_iface) (was $old_prog)"
	fi
	link_watch "$A/watch-$i" # starts while the blocked source sends
	blocked_syns 5
	h=$(hits)
	if [ "$h" -lt $((prev_hits + 5)) ]; then
		bad_dead=$((bad_dead + 1))
		echo "# kill $i: hits $prev_hits -> $h while dead (5 SYNs sent)"
	fi
	if ! wait_for 10 test -e "$A/watch-$i.ready"; then
		fail "restart $i: watching the pinned link" "no watcher"
		break
	fi
	if ! serve_launch "$A/serve-$i" "$A/watch-$i"; then
		fail "restart $i" "$(ti_ctx)"
		break
	fi
	if [ -z "$ATTACH_MS" ]; then
		ATTACH_MS=99999
		echo "# restart $i: the program in the pinned link did not change"
	fi
	[ "$ATTACH_MS" -gt "$max_ms" ] && max_ms=$ATTACH_MS
	total_ms=$((total_ms + ATTACH_MS))
	[ "$ATTACH_MS" -le "$ATTACH_BOUND_MS" ] || slow=$((slow + 1))
	echo "# restart $i: new program attached after $ATTACH_MS ms"
	cur=$(pinned_link)
	# The same link (taken over), a new program in it, no unheld link.
	# (The held-descriptor scan of /proc can miss serve for a moment while
	# it changes user, so "no unheld link" gets a few tries.)
	if [ "${cur%% *}" = "${link%% *}" ] && [ "${cur#* }" != "${link#* }" ] &&
		[ "$(xdp_prog_on_iface)" = "${cur#* }" ] && wait_for 3 no_unheld_link; then
		adopted=$((adopted + 1))
	else
		bad_links=$((bad_links + 1))
		echo "# restart $i: pinned link '$cur' (was '$link'), on $LAB_S_IF: $(xdp_prog_on_iface), unheld: $(unheld_ti_xdp_links)"
	fi
	[ "$(pinned_objects)" = "$PINNED0" ] || { bad_pins=$((bad_pins + 1)); echo "# restart $i: pinned objects: $(pinned_objects | tr '\n' ' ')"; }
	h2=$(hits)
	[ "$h2" -ge "$h" ] || { bad_hits=$((bad_hits + 1)); echo "# restart $i: hits went back $h -> $h2"; }
	prev_hits=$h2
done
echo "# restarts: new program attached after $((total_ms / KILLS)) ms on average, $max_ms ms at most"
check "$KILLS restarts each put their program in within $ATTACH_BOUND_MS ms$ATTACH_NOTE (max $max_ms ms)" test "$slow" = 0
check "each restart took over the pinned link atomically: same link, new program ($adopted of $KILLS)" test "$adopted" = "$KILLS"
check "while dead and after each restart: one XDP link, the pinned one" test "$bad_links" = 0
check "while serve was dead the blocklist counted every blocked SYN" test "$bad_dead" = 0
check "blocklist hit counters only grew across restarts" test "$bad_hits" = 0
check "the pinned objects are the same after every restart" test "$bad_pins" = 0
# Programs of killed runs are released asynchronously: after the twenty
# kills, none may be left but those the live serve holds.
for _ in $(seq 1 20); do
	left=$(orphan_progs)
	[ -z "$left" ] && break
	sleep 0.5
done
check "after $KILLS kills no program of a killed serve is left loaded" test -z "$left" ||
	echo "$left" | sed 's/^/#   /'
HE=$(hits)
check "the entry is still there after $KILLS kills (hits $HE)" test "$HE" -ge 0
check "no tc filter or clsact qdisc on $LAB_S_IF" bash -c \
	'[ -z "$(ip netns exec "$1" tc filter show dev "$2" ingress)" ] && ! ip netns exec "$1" tc qdisc show dev "$2" | grep -q clsact' \
	_ "$LAB_S_NS" "$LAB_S_IF"
wait_for 10 api_ok /api/v1/stats
check "the last serve answers its API" api_ok /api/v1/stats
HF=$(hits)
check "blocked SYNs counted overall: $HF >= $((H0 + 5 * KILLS))" test "$HF" -ge $((H0 + 5 * KILLS))

# --- B. a clean stop removes everything ------------------------------------------
ti_stop TERM
expect_rc "serve exits 0 on SIGTERM" 0
check "SIGTERM: the pinned link is removed" test ! -e "$TCPINSPECT_PIN_DIR/links/$LAB_S_IF"
check "SIGTERM: no XDP program left on $LAB_S_IF" test -z "$(xdp_prog_on_iface)"
check_detached "serve SIGTERM"

# --- C. tcpinspect detach after a kill ------------------------------------------
progs_snapshot
if serve_launch "$A/serve-last"; then
	ti_stop KILL
	check "after the last kill the link stays attached" test -n "$(unheld_ti_xdp_links)"
	blocked_syns 2
	ti_run "$A/detach" 20 detach
	expect_rc "tcpinspect detach: exit status 0" 0
	check "detach says what it removed" grep -q "detached the pinned link of $LAB_S_IF" "$TI_ERR"
	check "detach: no XDP link left" test -z "$(unheld_ti_xdp_links)"
	check "detach: nothing left under the pin directory but the lists" bash -c \
		'[ ! -e "$1/links" ] && [ "$(ls "$1" | wc -l)" -ge 1 ]' _ "$TCPINSPECT_PIN_DIR"
	check_detached "detach"
	ti_run "$A/detach2" 20 detach
	expect_rc "tcpinspect detach again: exit status 0" 0
	check "detach again: says nothing is attached" grep -q "nothing attached" "$TI_ERR"
	ti_run "$A/detach3" 20 detach -i "bad/name"
	expect_rc "tcpinspect detach -i bad/name: exit status 2" 2
else
	fail "serve starts for the detach test" "$(ti_ctx)"
fi

# --- the packet socket's view ----------------------------------------------------
kill -TERM "$DUMP_PID" "$CTRL_PID" 2>/dev/null
wait "$DUMP_PID" "$CTRL_PID" 2>/dev/null
leaked=$(tcpdump -nr "$A/blocked.pcap" 2>/dev/null | wc -l)
control=$(tcpdump -nr "$A/control.pcap" 2>/dev/null | wc -l)
check "tcpdump saw the unblocked client's traffic flowing throughout ($control SYNs)" test "$control" -gt $((10 * KILLS))
check "tcpdump saw zero packets from the blocked source while serve was killed $KILLS times ($leaked)" \
	test "$leaked" = 0
finish
