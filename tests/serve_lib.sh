# shellcheck shell=bash
# serve_lib.sh - helpers for the serve/top end-to-end tests (source it after
# lib.sh and lab_up).
#
#   serve_start PREFIX ARGS...   tcpinspect serve ARGS in the server namespace;
#                                waits for the API to answer (sets TI_PID)
#   api PATH [CURL ARGS...]      GET http://$SERVE_ADDR PATH from the server ns
#   syn_server PORT              a TCP listener on 198.18.0.1:PORT / [fd00::1]
#   send_syns N PORT [ADDR]      N connections from the client (N SYNs)
#   traffic_loop PORT SECONDS    connections at ~20/s for SECONDS (background)
#   web_deps                     npm ci in tests/web when needed
#   top_tmux_start SOCK ERRFILE  tcpinspect top -i $LAB_S_IF in an 80x24 tmux
#                                pane (session "top" on socket SOCK); its exit
#                                status lands in ERRFILE.status

SERVE_ADDR=${SERVE_ADDR:-127.0.0.1:9310}

serve_start() {
	local prefix=$1
	shift
	ti_start "$prefix" serve "$@" || return 1
	wait_for 15 api_ok /api/v1/stats
}

api_ok() { in_server curl -sf -o /dev/null --max-time 5 "http://$SERVE_ADDR$1"; }

api() {
	local path=$1
	shift
	in_server curl -sS --max-time 10 "$@" "http://$SERVE_ADDR$path"
}

# A listener that accepts and closes, on both lab addresses.
syn_server() {
	local port=$1 log="$TI_ARTIFACTS/syn-server-$1.log"
	in_server python3 -c '
import socket, sys, threading
port = int(sys.argv[1])
def serve(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(512)
    while True:
        c, _ = s.accept()
        c.close()
t = threading.Thread(target=serve, args=(socket.AF_INET6, "fd00::1"), daemon=True)
t.start()
serve(socket.AF_INET, "198.18.0.1")
' "$port" >"$log" 2>&1 </dev/null &
	lab_defer "kill $! 2>/dev/null"
	wait_for 10 _listening 198.18.0.1 "$port"
}

# N completed connections from the client, one SYN each (the lab has no
# loss, so no SYN is retransmitted). Prints how many connected.
send_syns() {
	local n=$1 port=$2 addr=${3:-198.18.0.1}
	in_client timeout 60 python3 -c '
import socket, sys
n, port, addr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ok = 0
for _ in range(n):
    try:
        socket.create_connection((addr, port), timeout=5).close()
        ok += 1
    except OSError as e:
        print("connect failed:", e, file=sys.stderr)
print(ok)
' "$n" "$port" "$addr"
}

# Background traffic: bursts of connections for SECONDS (bounded), so rates
# move. Sets TRAFFIC_PID.
traffic_loop() {
	local port=$1 secs=$2
	in_client timeout "$((secs + 5))" python3 -c '
import socket, sys, time, random
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < end:
    for _ in range(random.randint(5, 30)):
        try:
            socket.create_connection(("198.18.0.1", port), timeout=2).close()
        except OSError:
            pass
    time.sleep(0.5)
' "$port" "$secs" >/dev/null 2>&1 </dev/null &
	TRAFFIC_PID=$!
	lab_defer "kill $TRAFFIC_PID 2>/dev/null"
}

# The pinned test tools (tests/web/package-lock.json). npm ci only when
# node_modules is missing or older than the lock file.
web_deps() {
	local dir="$TI_ROOT/tests/web"
	command -v node >/dev/null 2>&1 || { echo "node is not installed" >&2; return 1; }
	if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
		[ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		(cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2 || return 1
	fi
}

# top's exit status goes to ERRFILE.status (128+N for signal N): tmux
# 3.3's #{pane_dead_status} is sometimes empty for a pane whose process
# exited normally (it saw the pty close before it reaped the child).
top_tmux_start() {
	local sock=$1 err=$2
	rm -f "$err.status"
	lab_defer "tmux -L '$sock' kill-server"
	tmux -L "$sock" -f /dev/null new-session -d -s top -x 80 -y 24 \
		"ip netns exec '$LAB_S_NS' env TERM=screen '$TI_BIN' top -i '$LAB_S_IF' 2>'$err'; echo \$? >'$err.status'"
	tmux -L "$sock" set-option -t top remain-on-exit on >/dev/null
}

# top_exit_status ERRFILE: top's exit status once it has exited.
top_exit_status() { [ -s "$1.status" ] && cat "$1.status"; }
