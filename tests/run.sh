#!/usr/bin/env bash
# run.sh - the tcpinspect test suite (what `make test` runs).
#
#   BUILD=build tests/run.sh            unit tests, then every tests/e2e/*.sh
#   tests/run.sh e2e/watch_v4 unit      only the tests whose name contains
#                                       one of the words (unit/NAME, e2e/NAME)
#
# Unit tests are the cmocka binaries in $BUILD/tests/; their
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines are added to
# the totals. End-to-end scripts run one at a time, each in its own process
# with a timeout (TI_E2E_TIMEOUT, default 300 s, or longer where the script
# says "# e2e-timeout: SECONDS"); each reports its counts
# through the file named by $TI_RESULTS. Logs go to tests/artifacts/.
# The last line is "N passed, N failed"; the exit status is non-zero if
# anything failed or nothing ran. End-to-end tests need root.
#
# TI_SANITIZE=1 (the second pass of `make test`, with BUILD=build-san and
# TI_BIN=build-san/tcpinspect): every sanitizer report (ASan, LSan, UBSan)
# of any process the tests start is written to tests/artifacts-san/reports/;
# a test after which a new report appears fails, the report shown. Logs go
# to tests/artifacts-san/ (TI_ART_DIR overrides the logs directory).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
# Sanitized binaries run 2-5 times slower: their pass allows more time.
if [ "${TI_SANITIZE:-0}" = 1 ]; then
	E2E_TIMEOUT=${TI_E2E_TIMEOUT:-480}
else
	E2E_TIMEOUT=${TI_E2E_TIMEOUT:-300}
fi
UNIT_TIMEOUT=${TI_UNIT_TIMEOUT:-120}
SANITIZE=${TI_SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then
	ART=${TI_ART_DIR:-$ROOT/tests/artifacts-san}
else
	ART=${TI_ART_DIR:-$ROOT/tests/artifacts}
fi
mkdir -p "$ART"
export TI_BIN=${TI_BIN:-$ROOT/tcpinspect}

if [ "$SANITIZE" = 1 ]; then
	REPORTS="$ART/reports"
	rm -rf "$REPORTS"
	mkdir -p "$REPORTS"
	# Processes that dropped privileges (nobody) write their reports too.
	chmod 1777 "$REPORTS"
	# log_path: one file per process (PREFIX.PID), never lost in a test's
	# captured stderr. Reports abort the process (exit code 1 for ASan,
	# -fno-sanitize-recover for UBSan), so the test sees a failure as well.
	export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
fi

passed=0
failed=0
ran=0
failures=()

selected() {
	local name=$1 f
	[ ${#FILTERS[@]} -gt 0 ] || return 0
	for f in "${FILTERS[@]}"; do
		case "$name" in *"$f"*) return 0 ;; esac
	done
	return 1
}
FILTERS=("$@")

note_fail() {
	failed=$((failed + $2))
	failures+=("$1")
}

# check_reports NAME: in a sanitizer pass, a report written since the last
# call fails test NAME (shown, then moved to reports/NAME/).
check_reports() {
	local name=$1 dir f n=0
	[ "$SANITIZE" = 1 ] || return 0
	dir="$REPORTS/${name//\//-}"
	for f in "$REPORTS"/asan.* "$REPORTS"/ubsan.*; do
		[ -f "$f" ] || continue
		mkdir -p "$dir"
		echo "    $name: sanitizer report $(basename "$f"):"
		head -n 40 "$f" | sed -e 's/^/    | /'
		mv "$f" "$dir/"
		n=$((n + 1))
	done
	if [ "$n" -gt 0 ]; then
		echo "    $name: $n sanitizer report(s), in $dir"
		note_fail "$name (sanitizer)" 1
	fi
}

# --- unit tests ---------------------------------------------------------------
run_unit() {
	local bin=$1 name log rc p f
	name="unit/$(basename "$bin")"
	log="$ART/unit-$(basename "$bin").log"
	echo "=== $name"
	timeout -k 5 "$UNIT_TIMEOUT" "$bin" >"$log" 2>&1
	rc=$?
	sed -e 's/^/    /' "$log"
	# cmocka prints one summary per group: add them all up.
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	local summaries
	summaries=$(grep -c '^\[  \(PASSED\|FAILED\)  \] [0-9]' "$log")
	passed=$((passed + p))
	[ "$f" -gt 0 ] && note_fail "$name" "$f"
	ran=$((ran + 1))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# Crashed, timed out or failed without saying how many tests failed.
		if [ "$rc" -eq 124 ]; then
			echo "    $name: timed out after ${UNIT_TIMEOUT}s"
		else
			echo "    $name: exit status $rc without a failed-test count"
		fi
		note_fail "$name" 1
	elif [ "$rc" -eq 0 ] && [ "$summaries" -eq 0 ]; then
		echo "    $name: exit status 0 but no cmocka summary; counted as one test"
		passed=$((passed + 1))
	fi
}

if [ -d "$BUILD/tests" ]; then
	for bin in "$BUILD"/tests/*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		case "$bin" in *.o | *.d | *.log | *.sh) continue ;; esac
		selected "unit/$(basename "$bin")" || continue
		run_unit "$bin"
		check_reports "unit/$(basename "$bin")"
	done
fi

# --- end-to-end tests ------------------------------------------------------------

# Remove namespaces an e2e script registered but could not remove (it was
# killed): their processes first.
reap_lab() {
	local reg=$1 ns pids
	[ -s "$reg" ] || return 0
	while read -r ns; do
		[ -n "$ns" ] && [ -e "/run/netns/$ns" ] || continue
		echo "    cleaning up namespace $ns left behind"
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		sleep 0.2
		ip netns del "$ns" 2>/dev/null
	done <"$reg"
	: >"$reg"
}

run_e2e() {
	local script=$1 name base log res reg rc p f pins_before left
	base=$(basename "$script" .sh)
	name="e2e/$base"
	log="$ART/e2e-$base.log"
	res="$ART/.results-$base"
	reg="$ART/.lab-$base"
	rm -f "$res"
	: >"$reg"
	rm -rf "${ART:?}/$base"
	pins_before=$(bpffs_entries)
	echo "=== $name"
	# A script that needs longer says so in a "# e2e-timeout: SECONDS" line.
	limit=$(sed -n 's/^# e2e-timeout: *\([0-9][0-9]*\)$/\1/p' "$script" | head -1)
	[ -n "$limit" ] && [ "$limit" -gt "$E2E_TIMEOUT" ] || limit=$E2E_TIMEOUT
	# timeout runs the script in its own process group and signals the
	# whole group; the script's traps clean the lab up on TERM.
	TI_RESULTS="$res" TI_LAB_REGISTRY="$reg" TI_ARTIFACTS="$ART/$base" \
		timeout -k 15 "$limit" bash "$script" 2>&1 </dev/null |
		tee "$log" | sed -e 's/^/    /'
	rc=${PIPESTATUS[0]}
	reap_lab "$reg"
	ran=$((ran + 1))
	p=0 f=0
	if [ -s "$res" ]; then
		read -r p f <"$res" || true
	fi
	case "$p$f" in *[!0-9]*) p=0 f=0 ;; esac
	passed=$((passed + p))
	[ "$f" -gt 0 ] && note_fail "$name" "$f"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		case "$rc" in
		124 | 137) echo "    $name: timed out after ${limit}s" ;;
		*) echo "    $name: exit status $rc without a failed check" ;;
		esac
		note_fail "$name" 1
	elif [ ! -s "$res" ] && [ "$rc" -eq 0 ]; then
		echo "    $name: exit status 0 but reported no results"
		note_fail "$name" 1
	fi
	# Tests pin into private BPF file systems: anything new in the host's
	# /sys/fs/bpf is a leftover, whether the script passed or failed.
	left=$(comm -13 <(echo "$pins_before") <(bpffs_entries))
	if [ -n "$left" ]; then
		echo "    $name: left behind in /sys/fs/bpf:" $left
		note_fail "$name" 1
	fi
	rm -f "$res" "$reg"
}

# Top-level entries of the host's BPF file system, sorted.
bpffs_entries() { ls -A /sys/fs/bpf 2>/dev/null | sort; }

shopt -s nullglob
for script in "$ROOT"/tests/e2e/*.sh; do
	selected "e2e/$(basename "$script" .sh)" || continue
	# Not run twice: fuzz_smoke's targets are built with ASan and UBSan in
	# both passes; bench_smoke measures speed, and its sanitized tools
	# need over 7 minutes on 2 vCPUs. Neither is counted in this pass.
	if [ "$SANITIZE" = 1 ]; then
		case "$(basename "$script" .sh)" in
		fuzz_smoke | bench_smoke)
			echo "=== e2e/$(basename "$script" .sh): run in the plain pass only"
			continue ;;
		esac
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "=== e2e/$(basename "$script" .sh): needs root (sudo make test)"
		note_fail "e2e/$(basename "$script" .sh)" 1
		ran=$((ran + 1))
		continue
	fi
	run_e2e "$script"
	check_reports "e2e/$(basename "$script" .sh)"
done

echo
if [ "$ran" -eq 0 ]; then
	echo "no tests ran${FILTERS[*]:+ (filter: ${FILTERS[*]})}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in tests/artifacts/)"
fi
echo "$passed passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
