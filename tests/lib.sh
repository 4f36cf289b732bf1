# lib.sh - assertion and process helpers for the end-to-end tests (source it).
#
#   . "$(dirname "$0")/../lib.sh"     # also sources lab.sh
#   check NAME CMD...                 # ok - NAME / FAIL - NAME (+ context)
#   jq_check NAME FILE EXPR           # python expression over JSON lines
#   finish                            # "SCRIPT: N passed, N failed"; exit status
#
# Environment: TI_BIN (default ./tcpinspect at the repository root),
# TI_ARTIFACTS (directory for logs; default tests/artifacts/<script>),
# TI_RESULTS (finish writes "PASSED FAILED" there for tests/run.sh).

TI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TI_BIN=${TI_BIN:-$TI_ROOT/tcpinspect}
TI_NAME=$(basename "$0" .sh)
TI_ARTIFACTS=${TI_ARTIFACTS:-$TI_ROOT/tests/artifacts/$TI_NAME}
TI_JSONQ="$TI_ROOT/tests/jsonq.py"
TI_PASSED=0
TI_FAILED=0
TI_SKIPPED=0
mkdir -p "$TI_ARTIFACTS"

# shellcheck source=tests/lab.sh
. "$TI_ROOT/tests/lab.sh"

_ti_ctx() { sed -e 's/^/#   /' | head -n "${TI_CTX_LINES:-40}"; }

# Keep $TI_RESULTS current, so a script killed by its timeout still
# reports what it had checked.
_ti_record() {
	[ -z "${TI_RESULTS:-}" ] || echo "$TI_PASSED $TI_FAILED" >"$TI_RESULTS"
}

pass() {
	TI_PASSED=$((TI_PASSED + 1))
	_ti_record
	echo "ok - $1"
}

# fail NAME [CONTEXT...]: record a failure; context lines go after it.
fail() {
	local name=$1
	shift
	TI_FAILED=$((TI_FAILED + 1))
	_ti_record
	echo "FAIL - $name"
	[ $# -eq 0 ] || printf '%s\n' "$@" | _ti_ctx
}

skip() {
	TI_SKIPPED=$((TI_SKIPPED + 1))
	echo "skip - $1${2:+ ($2)}"
}

# check NAME CMD...: run CMD; pass if it exits 0. On failure print the
# command, its exit status and its (merged) output.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "command: $*" "exit status: $rc" "${out:-(no output)}"
	fi
	return $rc
}

# jq_check NAME FILE EXPR: EXPR is a python expression over the JSON lines
# of FILE (see tests/jsonq.py); pass if it is true.
jq_check() {
	local name=$1
	shift
	check "$name" python3 "$TI_JSONQ" "$@"
}

# jq_get FILE EXPR: print the value of EXPR (one line per list item).
jq_get() { python3 "$TI_JSONQ" -p "$@"; }

# Print the summary line and exit: 0 if all checks passed and at least one ran.
finish() {
	local total=$((TI_PASSED + TI_FAILED))
	if [ -n "${TI_RESULTS:-}" ]; then
		echo "$TI_PASSED $TI_FAILED" >"$TI_RESULTS"
	fi
	if [ "$TI_SKIPPED" -gt 0 ]; then
		echo "$TI_NAME: $TI_PASSED passed, $TI_FAILED failed, $TI_SKIPPED skipped"
	else
		echo "$TI_NAME: $TI_PASSED passed, $TI_FAILED failed"
	fi
	[ "$TI_FAILED" -eq 0 ] && [ "$total" -gt 0 ] && exit 0
	exit 1
}

# require NAME CMD...: like check, but CMD runs in this shell (so lab_up's
# exports and traps stay) with its output shown as is; on failure stop here,
# counting a failure.
require() {
	local name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command: $*" "exit status: $?"
		echo "# cannot continue without: $name"
		finish
	fi
}

# --- processes ---------------------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# Exit status of background process $1 once it ends within $2 seconds;
# 124 (and the process left running) if it does not.
wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			return 124
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
}

# ti_start PREFIX ARGS...: start "tcpinspect ARGS..." in the server
# namespace in the background, stdout to PREFIX.out, stderr to PREFIX.err;
# wait (at most 20 s) for the "watching" line. Sets TI_PID. Returns 1 if the
# tool exited or never said it was watching.
# SIGINT is reset to its default first: a non-interactive shell starts
# background jobs with it ignored. `ip netns exec` execs the command, so
# TI_PID is tcpinspect's own pid.
ti_start() {
	local prefix=$1
	shift
	TI_OUT="$prefix.out" TI_ERR="$prefix.err"
	: >"$TI_OUT"
	: >"$TI_ERR"
	echo "# \$ tcpinspect $*" >>"$TI_ARTIFACTS/commands.log"
	env --default-signal=INT ip netns exec "$LAB_S_NS" "$TI_BIN" "$@" \
		>"$TI_OUT" 2>"$TI_ERR" </dev/null &
	TI_PID=$!
	local deadline=$((SECONDS + 20))
	while ! grep -q watching "$TI_ERR" 2>/dev/null; do
		if ! kill -0 "$TI_PID" 2>/dev/null; then
			wait "$TI_PID"
			TI_RC=$?
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			return 1
		fi
		sleep 0.1
	done
	# Give the ring buffer consumers a moment after the attach message.
	sleep 0.3
}

# ti_stop [SIGNAL]: send SIGNAL (default INT) to the tool started by
# ti_start and wait up to 10 s for it (then KILL). Sets TI_RC (124 when it
# had to be killed).
ti_stop() {
	local sig=${1:-INT}
	if [ "$sig" = KILL ]; then
		# No exit status to collect; disown so bash does not report "Killed".
		disown "$TI_PID" 2>/dev/null
		kill -KILL "$TI_PID" 2>/dev/null
		wait_exit "$TI_PID" 10
		TI_RC=137
		return 0
	fi
	kill -"$sig" "$TI_PID" 2>/dev/null
	ti_wait 10
}

# ti_wait SECONDS: wait for the tool to end by itself. Sets TI_RC; kills it
# and sets 124 if it is still running after SECONDS.
ti_wait() {
	wait_exit "$TI_PID" "$1"
	TI_RC=$?
	if [ "$TI_RC" -eq 124 ] && kill -0 "$TI_PID" 2>/dev/null; then
		kill -KILL "$TI_PID" 2>/dev/null
		wait "$TI_PID" 2>/dev/null
		TI_RC=124
	fi
	return 0
}

# ti_run PREFIX TIMEOUT ARGS...: run the tool in the server namespace in
# the foreground (bounded). Sets TI_RC, TI_OUT, TI_ERR.
ti_run() {
	local prefix=$1 t=$2
	shift 2
	TI_OUT="$prefix.out" TI_ERR="$prefix.err"
	echo "# \$ tcpinspect $*" >>"$TI_ARTIFACTS/commands.log"
	timeout -k 5 "$t" ip netns exec "$LAB_S_NS" "$TI_BIN" "$@" \
		>"$TI_OUT" 2>"$TI_ERR" </dev/null
	TI_RC=$?
}

# Context for a failed check about a tool run.
ti_ctx() {
	echo "exit status: ${TI_RC:-?}"
	echo "--- stderr ($TI_ERR):"
	head -n 20 "$TI_ERR"
	echo "--- stdout ($TI_OUT), last lines:"
	tail -n 15 "$TI_OUT"
}

# expect_rc NAME WANT: check that the last tool run exited with WANT.
expect_rc() {
	if [ "${TI_RC:-x}" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "expected exit status $2, got ${TI_RC:-none}" "$(ti_ctx)"
	fi
}

# http_start ADDR PORT DIR: python http.server in the server namespace,
# serving DIR on ADDR:PORT; waits until it listens. Sets HTTP_PID.
http_start() {
	local addr=$1 port=$2 dir=$3 log
	log="$TI_ARTIFACTS/http-$port-${addr//:/_}.log"
	ip netns exec "$LAB_S_NS" python3 -m http.server --bind "$addr" \
		--directory "$dir" "$port" >"$log" 2>&1 </dev/null &
	HTTP_PID=$!
	lab_defer "kill $HTTP_PID"
	if ! wait_for 15 _listening "$addr" "$port"; then
		echo "http.server on $addr port $port did not start:" >&2
		cat "$log" >&2
		return 1
	fi
}

_listening() {
	in_server ss -Hltn "sport = :$2" | grep -qF "$1"
}

# curl_c ARGS...: curl in the client namespace, bounded, quiet.
curl_c() {
	in_client curl -sS -o /dev/null --connect-timeout 5 --max-time 20 "$@"
}

# --- attachment state ------------------------------------------------------------

# IDs of loaded BPF programs whose name starts with ti_ (global: BPF
# programs are not per namespace).
ti_prog_ids() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
try:
    progs = json.load(sys.stdin)
except ValueError:
    progs = []
for p in progs:
    if str(p.get("name", "")).startswith("ti_"):
        print(p["id"], p.get("name"))
'
}

# tc_attached IFACE: the tool's ti_tc program is attached at TC ingress of
# IFACE in the server namespace: as a classic tc filter, or as a TCX link
# (bpftool 7.1 prints those only as "type 11" links, without the device).
tc_attached() {
	in_server tc filter show dev "$1" ingress 2>/dev/null | grep -q ti_tc && return 0
	python3 - "$(bpftool -j prog show 2>/dev/null)" "$(bpftool -j link show 2>/dev/null)" <<'PY'
import json, sys
try:
    progs = {p["id"] for p in json.loads(sys.argv[1]) if p.get("name") == "ti_tc"}
    links = json.loads(sys.argv[2])
except ValueError:
    sys.exit(1)
sys.exit(not any(l.get("prog_id") in progs and l.get("type") in (11, "tcx") for l in links))
PY
}

# held_bpf_ids KIND: ids of BPF objects (KIND prog_id or link_id) that a
# live process holds open. Objects nobody holds stay loaded only through
# an attachment or a pin: those are what a stopped run may leave behind,
# and ignoring held ones keeps concurrent runs from tripping each other.
held_bpf_ids() {
	grep -hs "^$1:" /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u
}

# orphan_ti_tcx_link: a TCX link running ti_tc that no process holds.
orphan_ti_tcx_link() {
	python3 - "$(bpftool -j prog show 2>/dev/null)" "$(bpftool -j link show 2>/dev/null)" \
		"$(held_bpf_ids link_id)" <<'PY'
import json, sys
try:
    progs = {p["id"] for p in json.loads(sys.argv[1]) if p.get("name") == "ti_tc"}
    links = json.loads(sys.argv[2])
except ValueError:
    sys.exit(1)
held = {int(x) for x in sys.argv[3].split()}
sys.exit(not any(l.get("prog_id") in progs and l.get("type") in (11, "tcx")
                 and l.get("id") not in held for l in links))
PY
}

# Call before a run: remembers the ti_* programs loaded now.
progs_snapshot() { TI_PROGS_BEFORE=$(ti_prog_ids); }

# check_detached LABEL: nothing of tcpinspect is left on the server veth
# and no ti_* program loaded since progs_snapshot is still there.
check_detached() {
	local label=$1 out left
	if ! out=$(in_server ip -d link show dev "$LAB_S_IF" 2>&1); then
		fail "$label: no XDP program left on $LAB_S_IF" "$out"
	elif echo "$out" | grep -qiE '\<(xdp|xdpgeneric|xdpdrv|xdpoffload)\>|prog/xdp'; then
		fail "$label: no XDP program left on $LAB_S_IF" "$out"
	else
		pass "$label: no XDP program left on $LAB_S_IF"
	fi
	if ! out=$(in_server tc filter show dev "$LAB_S_IF" ingress 2>&1) || [ -n "$out" ]; then
		fail "$label: no tc ingress filter left on $LAB_S_IF" "$out"
	else
		pass "$label: no tc ingress filter left on $LAB_S_IF"
	fi
	# tcx and XDP links, which tc filter show does not list.
	if ! out=$(in_server bpftool net show dev "$LAB_S_IF" 2>&1); then
		fail "$label: bpftool net shows nothing on $LAB_S_IF" "$out"
	elif echo "$out" | grep -qE 'ti_|id [0-9]'; then
		fail "$label: bpftool net shows nothing on $LAB_S_IF" "$out"
	else
		pass "$label: bpftool net shows nothing on $LAB_S_IF"
	fi
	# TCX links (what libbpf uses for tc on this kernel) show in neither of
	# the above with Debian's bpftool 7.1.
	local i still=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		{ in_server tc filter show dev "$LAB_S_IF" ingress 2>/dev/null | grep -q ti_tc ||
			orphan_ti_tcx_link; } || { still=0; break; }
		still=1
		sleep 0.3
	done
	if [ "$still" = 1 ]; then
		fail "$label: no ti_tc TCX link or filter left" \
			"$(bpftool link show 2>&1 | grep -A1 'type 11\|tcx' | head -10)"
	else
		pass "$label: no ti_tc TCX link or filter left"
	fi
	# Programs are released asynchronously after the last reference goes.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		left=$(comm -13 <(echo "${TI_PROGS_BEFORE:-}" | sort) <(ti_prog_ids | sort) |
			grep -vwFf <(held_bpf_ids prog_id; echo __none__) || true)
		[ -n "$left" ] || break
		sleep 0.3
	done
	if [ -n "$left" ]; then
		fail "$label: no new ti_* BPF program left loaded" "$left" \
			"$(bpftool prog show 2>&1 | grep -A3 ' ti_' | head -20)"
	else
		pass "$label: no new ti_* BPF program left loaded"
	fi
}
