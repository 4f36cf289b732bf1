#!/usr/bin/env bash
# e2e: tcpinspect top in an 80x24 tmux pane while the lab client connects:
# the view shows the client as top source with its SYN count, the port,
# its connections and the key help; 's' and 'r' change the sort; 'q' quits
# with status 0 and nothing stays attached.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "tmux installed" test -n "$(command -v tmux)"
require "lab up" lab_up
A=$TI_ARTIFACTS
PORT=8080
SOCK="ti-top-$$"
T=(tmux -L "$SOCK")

require "listener on port $PORT" syn_server $PORT
progs_snapshot
top_tmux_start "$SOCK" "$A/top.err"
screen() { "${T[@]}" capture-pane -p -t top >"$A/screen.txt" 2>/dev/null; }
shows() { screen && grep -q -- "$1" "$A/screen.txt"; }
check "top starts full-screen in 80x24" wait_for 30 shows "tcpinspect top"
check "top attached to $LAB_S_IF" grep -q "$LAB_S_IF" "$A/screen.txt"

sent=$(send_syns 25 $PORT)
check "client made 25 connections" test "$sent" = 25
src_row() { shows "^ *$LAB_C4 .* 25\$"; }
check "top source: $LAB_C4 with 25 SYNs" wait_for 15 src_row
cp "$A/screen.txt" "$A/screen-sources.txt"
check "top ports: $PORT with 25 SYNs" grep -Eq "$PORT +25 *\$" "$A/screen.txt"
check "connections section lists the client's connections" grep -q "$LAB_C4:[0-9]* *$PORT" "$A/screen.txt"
check "rates, totals, alerts and key help shown" bash -c \
	"grep -q 'SYN/s' '$A/screen.txt' && grep -q 'total: 25 SYNs' '$A/screen.txt' && grep -q 'ALERTS' '$A/screen.txt' && grep -q 'q: quit' '$A/screen.txt'"
check "sorted by SYN rate at first" grep -q "sort: SYN rate" "$A/screen.txt"
check "fits 80x24" python3 -c '
import sys
lines = open(sys.argv[1]).read().split("\n")
sys.exit(len(lines) > 25 or any(len(l) > 80 for l in lines))' "$A/screen.txt"

"${T[@]}" send-keys -t top s
check "'s' sorts by SYN count" wait_for 5 shows "sort: SYN count"
"${T[@]}" send-keys -t top r
check "'r' sorts by SYN rate again" wait_for 5 shows "sort: SYN rate"

"${T[@]}" send-keys -t top q
dead() { [ "$("${T[@]}" display-message -p -t top '#{pane_dead}')" = 1 ]; }
check "'q' quits" wait_for 10 dead
exited() { top_exit_status "$A/top.err" >/dev/null; }
wait_for 10 exited
check "exit status 0" test "$(top_exit_status "$A/top.err")" = 0
"${T[@]}" kill-server 2>/dev/null
check_detached "top"

# Bad usage: exit 2, one line.
ti_run "$A/bad" 10 top --port 0
expect_rc "top --port 0: exit status 2" 2
finish
