#!/usr/bin/env bash
# run.sh - run every libFuzzer target, then the differential packet fuzzer.
#
#   tests/fuzz/run.sh SECONDS [--no-diff]     (make fuzz FUZZ_SECONDS=N)
#
# Each build/fuzz/fuzz_NAME runs for SECONDS over a working corpus
# (build/fuzz/corpus/NAME, grown by the run) seeded from the committed
# tests/fuzz/corpus/NAME. A crash, leak, sanitizer report or timeout stops
# that target; the input is saved as build/fuzz/artifacts/NAME-*. Then
# build/fuzz/diff_parser runs SECONDS (root only), saving differing frames
# to tests/fuzz/regressions/. Exit status 0 only if everything was clean.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
SECS=${1:-60}
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
DIFF=1
[ "${2:-}" = --no-diff ] && DIFF=0
failed=()
ran=0

mkdir -p "$FUZZ_DIR/artifacts" "$FUZZ_DIR/logs"
for bin in "$FUZZ_DIR"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds="tests/fuzz/corpus/$name"
	work="$FUZZ_DIR/corpus/$name"
	log="$FUZZ_DIR/logs/$name.log"
	mkdir -p "$work"
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		echo "$name: no seed corpus in $seeds"
		failed+=("$name")
		continue
	fi
	# -close_fd_mask=1: the parsers' rejections go to stdout; sanitizer
	# reports (stderr) stay visible. -timeout: one input may take 10 s.
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=1 -print_final_stats=1 \
		-artifact_prefix="$FUZZ_DIR/artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	ran=$((ran + 1))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		echo "$name: FAILED (exit $rc) after ${execs:-?} runs; log $log:"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -10 | sed 's/^/    /'
		failed+=("$name")
	elif [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
		echo "$name: FAILED: no inputs executed; log $log"
		failed+=("$name")
	else
		echo "$name: ok, $execs runs in ${SECS}s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) inputs"
	fi
done

if [ "$DIFF" = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "diff_parser: needs root (BPF_PROG_TEST_RUN)"
		failed+=(diff_parser)
	elif [ -x "$FUZZ_DIR/diff_parser" ]; then
		ran=$((ran + 1))
		if ! "$FUZZ_DIR/diff_parser" --seconds "$SECS"; then
			failed+=(diff_parser)
		fi
	else
		echo "diff_parser: not built (make fuzz-build)"
		failed+=(diff_parser)
	fi
fi

if [ "$ran" -eq 0 ]; then
	echo "fuzz: nothing ran (make fuzz-build first)"
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all $ran fuzzers clean"
