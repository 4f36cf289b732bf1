#!/usr/bin/env bash
# e2e (CI slice of `make fuzz`): build every libFuzzer target (clang,
# -fsanitize=fuzzer,address,undefined) and run each briefly over its
# committed seed corpus plus what it discovers: no crash, leak, sanitizer
# report or timeout. The differential packet fuzzer's CI slice is the unit
# test build/tests/test_pktdiff.
. "$(dirname "$0")/../lib.sh"

SECS=${TI_FUZZ_SMOKE_SECONDS:-4}
LOG=$TI_ARTIFACTS/build.log
if make --no-print-directory -C "$TI_ROOT" fuzz-build >"$LOG" 2>&1; then
	pass "make fuzz-build (clang, fuzzer + ASan + UBSan)"
else
	fail "make fuzz-build (clang, fuzzer + ASan + UBSan)" "$(tail -n 20 "$LOG")"
	finish
fi

n=0
for src in "$TI_ROOT"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	n=$((n + 1))
	check "$name: committed seed corpus tests/fuzz/corpus/$name is not empty" \
		test -n "$(ls -A "$TI_ROOT/tests/fuzz/corpus/$name" 2>/dev/null)"
	check "$name: built" test -x "$TI_ROOT/build/fuzz/$name"
done
check "at least 6 fuzz targets (opts, cidr, apphint, config, apireq, pcap)" test "$n" -ge 6

# Each target for SECS seconds; run.sh prints one line per target.
out=$(cd "$TI_ROOT" && FUZZ_DIR=build/fuzz tests/fuzz/run.sh "$SECS" --no-diff 2>&1)
rc=$?
echo "$out" >"$TI_ARTIFACTS/run.log"
echo "$out" | sed 's/^/# /'
for src in "$TI_ROOT"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	check "$name: ${SECS}s clean, inputs executed" \
		bash -c 'grep -qE "^$1: ok, [1-9][0-9]* runs" <<<"$2"' _ "$name" "$out"
done
check "tests/fuzz/run.sh exit status 0" test "$rc" -eq 0
finish
