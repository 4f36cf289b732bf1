# lab.sh - a two-namespace test lab for tcpinspect (source it, do not run it).
#
#   . tests/lab.sh
#   lab_up              # client and server namespaces joined by a veth pair
#   in_server CMD...    # ip netns exec "$LAB_S_NS" CMD...
#   in_client CMD...
#   lab_down            # idempotent; also run by the EXIT/INT/TERM trap
#
# Addresses (RFC 2544 benchmarking range and ULA, never routed anywhere):
#   server  $LAB_S_NS  $LAB_S_IF  198.18.0.1/24  fd00::1/64
#   client  $LAB_C_NS  $LAB_C_IF  198.18.0.2/24  fd00::2/64
#
# lab_defer CMD registers a shell command to run (once) in lab_down, before
# the namespaces are removed: temp dirs, nft tables, extra processes.
# If TI_LAB_REGISTRY names a file, the namespaces created are appended to it
# so that tests/run.sh can remove them even if this shell was SIGKILLed.
# Needs root, iproute2 and ping (iputils-ping).

LAB_UP=0 # 1 between lab_up and lab_down (for scripts that want to know)
_LAB_DEFERRED=()

# Run CMD... inside the client / server namespace.
in_client() { ip netns exec "$LAB_C_NS" "$@"; }
in_server() { ip netns exec "$LAB_S_NS" "$@"; }

lab_log() { echo "lab: $*" >&2; }

lab_defer() { _LAB_DEFERRED+=("$1"); }

# lab_tracefs: mount tracefs on /sys/kernel/tracing if it is not, and
# unmount it in lab_down. For what runs in the root mount namespace and
# needs it (bpftrace, a classic tracepoint attached by the bench): a fresh
# machine may not have it, and tcpinspect mounts its own only where it runs
# (inside `ip netns exec`, a mount namespace of its own).
lab_tracefs() {
	[ -d /sys/kernel/tracing/events ] && return 0
	mount -t tracefs tracefs /sys/kernel/tracing || return 1
	lab_defer "umount /sys/kernel/tracing"
}

# The command currently installed as the trap for signal $1 (empty if none).
_lab_trap_cmd() {
	local spec
	spec=$(trap -p "$1")
	[ -n "$spec" ] || return 0
	# spec is: trap -- 'command' SIG ; let the shell undo the quoting.
	eval "set -- $spec"
	printf '%s' "$3"
}

_lab_install_traps() {
	local prev
	prev=$(_lab_trap_cmd EXIT)
	case "$prev" in *lab_down*) return 0 ;; esac # already installed
	# shellcheck disable=SC2064
	trap "lab_down${prev:+; $prev}" EXIT
	prev=$(_lab_trap_cmd INT)
	# shellcheck disable=SC2064
	trap "lab_down${prev:+; $prev}; exit 130" INT
	prev=$(_lab_trap_cmd TERM)
	# shellcheck disable=SC2064
	trap "lab_down${prev:+; $prev}; exit 143" TERM
}

_lab_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Kill every process still running inside namespace $1 (they can only be
# ours: the namespace was created by this lab), TERM first then KILL.
_lab_kill_ns_pids() {
	local ns=$1 pids i
	pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.2
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	sleep 0.2
}

lab_down() {
	local rc=$? cmd ns errexit=0
	case $- in *e*) errexit=1 ;; esac
	set +e
	if [ "${#_LAB_DEFERRED[@]}" -gt 0 ]; then
		for cmd in "${_LAB_DEFERRED[@]}"; do
			eval "$cmd" >/dev/null 2>&1
		done
		_LAB_DEFERRED=()
	fi
	for ns in ${LAB_S_NS:-} ${LAB_C_NS:-}; do
		[ -e "/run/netns/$ns" ] || continue
		_lab_kill_ns_pids "$ns"
		ip -n "$ns" link del "${LAB_C_IF:-none}" >/dev/null 2>&1
		ip -n "$ns" link del "${LAB_S_IF:-none}" >/dev/null 2>&1
		ip netns del "$ns" >/dev/null 2>&1
	done
	# The veth pair dies with its namespaces; make sure no end was left in
	# the root namespace by a half-finished lab_up.
	for cmd in ${LAB_C_IF:-} ${LAB_S_IF:-}; do
		ip link del "$cmd" >/dev/null 2>&1
	done
	LAB_UP=0
	[ "$errexit" = 1 ] && set -e
	return $rc
}

# Wait until CMD... succeeds, at most $1 tries 0.2 s apart.
_lab_retry() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

lab_up() {
	if [ "$(id -u)" != 0 ]; then
		lab_log "needs root"
		return 1
	fi
	local missing="" t
	for t in ip ping od; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		lab_log "missing tools:$missing (scripts/deps.sh test installs them)"
		return 1
	fi

	local id
	id=$(_lab_hex 3)
	export LAB_C_NS="ti-c-$$-$id" LAB_S_NS="ti-s-$$-$id"
	export LAB_C_IF="tic$id" LAB_S_IF="tis$id"
	export LAB_C4=198.18.0.2 LAB_S4=198.18.0.1
	export LAB_C6=fd00::2 LAB_S6=fd00::1
	_lab_install_traps
	LAB_UP=1

	if [ -n "${TI_LAB_REGISTRY:-}" ]; then
		printf '%s\n%s\n' "$LAB_C_NS" "$LAB_S_NS" >>"$TI_LAB_REGISTRY"
	fi

	local c=(ip -n "$LAB_C_NS") s=(ip -n "$LAB_S_NS")
	if ! {
		ip netns add "$LAB_C_NS" &&
			ip netns add "$LAB_S_NS" &&
			ip link add "$LAB_C_IF" netns "$LAB_C_NS" type veth \
				peer name "$LAB_S_IF" netns "$LAB_S_NS" &&
			"${c[@]}" link set lo up &&
			"${s[@]}" link set lo up &&
			"${c[@]}" addr add "$LAB_C4/24" dev "$LAB_C_IF" &&
			"${s[@]}" addr add "$LAB_S4/24" dev "$LAB_S_IF" &&
			"${c[@]}" -6 addr add "$LAB_C6/64" dev "$LAB_C_IF" nodad &&
			"${s[@]}" -6 addr add "$LAB_S6/64" dev "$LAB_S_IF" nodad &&
			"${c[@]}" link set "$LAB_C_IF" up &&
			"${s[@]}" link set "$LAB_S_IF" up
	}; then
		lab_log "setup failed"
		lab_down
		return 1
	fi

	if ! _lab_retry 25 in_client ping -c1 -W1 "$LAB_S4"; then
		lab_log "IPv4 ping $LAB_C4 -> $LAB_S4 failed"
		lab_down
		return 1
	fi
	if ! _lab_retry 25 in_client ping -6 -c1 -W1 "$LAB_S6"; then
		lab_log "IPv6 ping $LAB_C6 -> $LAB_S6 failed"
		lab_down
		return 1
	fi
	if ! _lab_retry 5 in_server ping -c1 -W1 "$LAB_C4" ||
		! _lab_retry 5 in_server ping -6 -c1 -W1 "$LAB_C6"; then
		lab_log "ping server -> client failed"
		lab_down
		return 1
	fi
	lab_log "up: $LAB_C_NS/$LAB_C_IF ($LAB_C4, $LAB_C6) <-> $LAB_S_NS/$LAB_S_IF ($LAB_S4, $LAB_S6)"
	return 0
}
