#!/usr/bin/env bash
# e2e: the tcpinspect serve dashboard in headless Chromium (Debian's, driven
# by the pinned playwright-core) while traffic runs in the lab: the page
# updates itself, its SYN chart holds data and moves, the top-source and
# top-port lists show the client and port, nothing is fetched from
# anywhere but the daemon, no script errors. Screenshot: dashboard.png.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/serve_lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "chromium installed" test -x /usr/bin/chromium
require "pinned test tools installed (npm ci in tests/web)" web_deps
require "lab up" lab_up
# serve pins its links: a private pin directory, never the host's.
require "private pin directory" def_private_lists
A=$TI_ARTIFACTS
SERVE_ADDR=127.0.0.1:9410
PORT=8443

require "listener on port $PORT" syn_server $PORT
if ! serve_start "$A/serve" -i "$LAB_S_IF" --listen "$SERVE_ADDR"; then
	fail "serve starts" "$(ti_ctx)"
	finish
fi
pass "serve starts"
traffic_loop $PORT 40
rm -f "$A/dashboard.png"
# Chromium runs in the server namespace, where the daemon listens.
check "headless Chromium loads the dashboard" bash -c \
	"ip netns exec '$LAB_S_NS' timeout 120 node '$TI_ROOT/tests/web/dashboard.mjs' 'http://$SERVE_ADDR/' '$A/dashboard.png' >'$A/dashboard.json' 2>'$A/dashboard.err' || { cat '$A/dashboard.err'; exit 1; }"
kill "$TRAFFIC_PID" 2>/dev/null
D="$A/dashboard.json"
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); f,s=d['first'],d['second']; ok=($1); print(json.dumps(d)[:1500]) if not ok else None; sys.exit(0 if ok else 1)" "$D"; }
check "the page updated itself (no reload) and says it is live" q "s['updates'] > f['updates'] >= 3 and s['status'].startswith('live') and s['errors'] == 0"
check "SYN chart has data: points and a non-zero sum" q "s['syns']['points'] > 0 and s['syns']['sum'] > 0 and s['pixels'] > 1000"
check "SYN chart moves between two looks 4 s apart" q "s['syns']['points'] > f['syns']['points'] or s['syns']['sum'] != f['syns']['sum']"
check "connections chart has data" q "s['conns']['sum'] > 0"
check "handshake chart has data" q "s['rtt']['sum'] > 0"
check "top sources list the client" q "'$LAB_C4' in s['topSources']"
check "top ports list port $PORT" q "'port $PORT' in s['topPorts']"
check "recent connections table filled" q "s['connRows'] > 0"
check "no script errors on the page" q "not d['errors']"
check "nothing fetched from outside the daemon" q "not d['foreign']"
check "screenshot saved (tests/artifacts/$TI_NAME/dashboard.png)" test -s "$A/dashboard.png"
ti_stop INT
expect_rc "serve exits 0" 0
finish
