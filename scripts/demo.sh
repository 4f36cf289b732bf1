#!/usr/bin/env bash
# demo.sh - what `sudo make demo` runs: tcpinspect watching a web server in a
# throw-away two-namespace lab (tests/lab.sh) while a client makes requests
# over IPv4 and IPv6 and knocks on a closed port.
#   DEMO_SECONDS=15 scripts/demo.sh        (root; ./tcpinspect already built)
# Everything it creates (namespaces, veth, processes) is removed on exit,
# also on Ctrl-C.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TI_BIN=${TI_BIN:-$ROOT/tcpinspect}
SECONDS_TO_WATCH=${DEMO_SECONDS:-15}

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (sudo make demo)" >&2
	exit 1
fi
if [ ! -x "$TI_BIN" ]; then
	echo "demo: $TI_BIN not found: run make first" >&2
	exit 1
fi
for t in python3 curl ip ping; do
	command -v "$t" >/dev/null || {
		echo "demo: $t missing (scripts/deps.sh test installs it)" >&2
		exit 1
	}
done

# shellcheck source=tests/lab.sh
. "$ROOT/tests/lab.sh"

WORK=$(mktemp -d /tmp/tcpinspect-demo.XXXXXX)
lab_defer "rm -rf '$WORK'"
lab_up || exit 1

mkdir -p "$WORK/www"
echo "hello from the tcpinspect demo server" >"$WORK/www/index.html"
head -c 200K /dev/urandom >"$WORK/www/blob.bin"

# One dual-stack server ("::" accepts IPv4 too) on port 8080.
ip netns exec "$LAB_S_NS" python3 -m http.server --bind :: --directory "$WORK/www" 8080 \
	>"$WORK/http.log" 2>&1 </dev/null &
lab_defer "kill $!"
for _ in $(seq 50); do
	in_server ss -Hltn 'sport = :8080' | grep -q . && break
	sleep 0.1
done
in_server ss -Hltn 'sport = :8080' | grep -q . || {
	echo "demo: http.server did not start:" >&2
	cat "$WORK/http.log" >&2
	exit 1
}

client_loop() {
	# Wait for tcpinspect to be attached, then make requests until the end.
	for _ in $(seq 100); do
		grep -q watching "$WORK/ti.err" 2>/dev/null && break
		sleep 0.1
	done
	local end=$((SECONDS + SECONDS_TO_WATCH - 2)) c=(ip netns exec "$LAB_C_NS" curl -s -o /dev/null --max-time 3)
	while [ $SECONDS -lt $end ]; do
		"${c[@]}" "http://$LAB_S4:8080/"
		sleep 1
		"${c[@]}" -g "http://[$LAB_S6]:8080/blob.bin"
		sleep 1
		"${c[@]}" "http://$LAB_S4:9/" # closed port: SYN answered by RST
		sleep 1
	done
}

cat <<EOF

== tcpinspect demo ==
server namespace $LAB_S_NS: $LAB_S4 / $LAB_S6, http.server on port 8080
client namespace $LAB_C_NS: $LAB_C4 / $LAB_C6, curl every second or so
  (IPv4 page, IPv6 200 KB file, and a closed port 9 that answers with RST)
running: ip netns exec $LAB_S_NS tcpinspect watch -i $LAB_S_IF --duration $SECONDS_TO_WATCH

EOF

client_loop &
LOOP_PID=$!
lab_defer "kill $LOOP_PID"

# tcpinspect in the foreground, text mode, its stderr shown and kept so the
# client loop can wait for the "watching" line.
ip netns exec "$LAB_S_NS" "$TI_BIN" watch -i "$LAB_S_IF" --duration "$SECONDS_TO_WATCH" \
	2> >(tee "$WORK/ti.err" >&2)
rc=$?
kill "$LOOP_PID" 2>/dev/null
wait "$LOOP_PID" 2>/dev/null
sleep 0.2 # let tee flush the closing stats line
echo
if [ $rc -eq 0 ]; then
	echo "== demo done (totals: the 'tcpinspect: N s: ...' line above); cleaning up"
else
	echo "== tcpinspect exited with status $rc; cleaning up" >&2
fi
exit $rc
