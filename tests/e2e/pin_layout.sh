#!/usr/bin/env bash
# e2e: pinned maps of another layout (left by another version) are never
# misread. Maps made with bpftool under a private TCPINSPECT_PIN_DIR:
# another max_entries and a smaller (older) value are migrated with every
# entry and counter kept; another key size, another map type and a larger
# (newer) value are refused by `block list` and `watch` with exit code 3 and
# a message naming the pin, the property (pinned vs expected) and the fix,
# and the pin is left as it was.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "bpftool" command -v bpftool
require "private pinned lists" def_private_lists
require "lab up" lab_up
A=$TI_ARTIFACTS
D=$TCPINSPECT_PIN_DIR
BL=$D/blocklist
AL=$D/allowlist
mkdir -m 0700 -p "$D"

# LPM keys: u32 prefix length (host order, little endian here), 16 bytes of
# address (IPv4 mapped, prefix + 96). Values: u64 hits, bytes, expires_ns,
# added_s (host order).
KEY_V4="80 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff c6 12 00 09" # 198.18.0.9/32
KEY_V6="40 00 00 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" # fd00::/64
u64() { printf '%016x' "$1" | sed 's/../& /g' | awk '{for (i = 8; i >= 1; i--) printf "%s ", $i}'; }

field_of() { # FILE CIDR FIELD -> value of FIELD in the JSON line of CIDR
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("cidr") == sys.argv[2]:
        print(e[sys.argv[3]]); break
else:
    print("absent")' "$@"
}
map_prop() { # PIN PROPERTY -> e.g. max_entries of the pinned map
	bpftool -j map show pinned "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
mk() { # PIN TYPE KEY VALUE ENTRIES: a pinned map made with bpftool
	rm -f "$1"
	bpftool map create "$1" type "$2" key "$3" value "$4" entries "$5" \
		name ti_test flags "$([ "$2" = lpm_trie ] && echo 1 || echo 0)"
}

# --- migrated: another max_entries ------------------------------------------
require "old blocklist (1024 entries)" mk "$BL" lpm_trie 20 32 1024
require "entry 198.18.0.9/32 (hits 7)" bpftool map update pinned "$BL" key hex $KEY_V4 value hex $(u64 7) $(u64 420) $(u64 0) $(u64 1700000000)
require "entry fd00::/64 (hits 3)" bpftool map update pinned "$BL" key hex $KEY_V6 value hex $(u64 3) $(u64 180) $(u64 0) $(u64 1700000000)
ti_run "$A/mig1" 20 block list --json
expect_rc "block list migrates another max_entries: exit 0" 0
check "... says so, naming the pin and the property" grep -q "migrated the pinned map $BL .*max_entries: pinned 1024, expected 65536.*2 entries kept" "$A/mig1.err"
check "... 198.18.0.9/32 kept its hits (7)" test "$(field_of "$A/mig1.out" 198.18.0.9/32 hits)" = 7
check "... and its bytes (420)" test "$(field_of "$A/mig1.out" 198.18.0.9/32 bytes)" = 420
check "... fd00::/64 kept its hits (3)" test "$(field_of "$A/mig1.out" fd00::/64 hits)" = 3
check "... the pin now has 65536 entries" test "$(map_prop "$BL" max_entries)" = 65536
check "... no temporary pin left" bash -c '! ls "$1" | grep -q migrating' _ "$D"
ti_run "$A/mig1b" 20 block list --json
check "a second start finds the layout as expected (no migration)" bash -c '[ "$2" = 0 ] && ! grep -q migrated "$1"' _ "$A/mig1b.err" "$TI_RC"

# --- migrated: a smaller (older) value ---------------------------------------
require "old allowlist (24-byte values)" mk "$AL" lpm_trie 20 24 65536
require "allow entry 198.18.0.9/32 (hits 5)" bpftool map update pinned "$AL" key hex $KEY_V4 value hex $(u64 5) $(u64 300) $(u64 0)
ti_run "$A/mig2" 20 allow list --json
expect_rc "allow list migrates a smaller value: exit 0" 0
check "... says so" grep -q "migrated the pinned map $AL .*value size: pinned 24, expected 32" "$A/mig2.err"
check "... the entry kept its hits (5)" test "$(field_of "$A/mig2.out" 198.18.0.9/32 hits)" = 5
check "... the pin now has 32-byte values" test "$(map_prop "$AL" bytes_value)" = 32

# The migrated maps are the ones the XDP program uses.
progs_snapshot
if ti_start "$A/w0" watch -i "$LAB_S_IF" --duration 30; then
	pass "watch starts on the migrated maps"
	check "block list still shows both entries while watch runs" bash -c 'ip netns exec "$1" "$2" block list | grep -q "fd00::/64"' _ "$LAB_S_NS" "$TI_BIN"
	ti_stop INT
	expect_rc "... and stops cleanly" 0
else
	fail "watch starts on the migrated maps" "$(ti_ctx)"
fi

# --- refused ------------------------------------------------------------------
refused() { # NAME PIN WHY: block list and watch both refuse, pin untouched
	local name=$1 pin=$2 why=$3 before
	before=$(bpftool -j map show pinned "$pin" | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["id"], m["type"], m["bytes_key"], m["bytes_value"], m["max_entries"])')
	ti_run "$A/$name-block" 20 block list
	expect_rc "$name: block list refuses with exit 3" 3
	check "... names the pin and the property (pinned vs expected)" grep -q "the pinned map $pin has a layout this build cannot use ($why" "$A/$name-block.err"
	check "... says what to do" grep -q "remove the pin (rm $pin)" "$A/$name-block.err"
	check "... prints nothing on stdout" test ! -s "$A/$name-block.out"
	ti_run "$A/$name-watch" 20 watch -i "$LAB_S_IF" --duration 5
	expect_rc "$name: watch refuses with exit 3" 3
	check "... with the same message" grep -q "the pinned map $pin has a layout this build cannot use ($why" "$A/$name-watch.err"
	check "... before attaching anything" bash -c '! grep -q watching "$1"' _ "$A/$name-watch.err"
	check_detached "$name: nothing left attached"
	check "... the pinned map is untouched" test "$(bpftool -j map show pinned "$pin" | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["id"], m["type"], m["bytes_key"], m["bytes_value"], m["max_entries"])')" = "$before"
}
require "blocklist with 8-byte keys" mk "$BL" lpm_trie 8 32 65536
refused keysize "$BL" "key size: pinned 8, expected 20"
require "blocklist as a hash map" mk "$BL" hash 20 32 65536
refused maptype "$BL" "map type: pinned hash (1), expected lpm_trie (11)"
rm -f "$BL"
require "allowlist with 40-byte (newer) values" mk "$AL" lpm_trie 20 40 65536
refused newer "$AL" "value size: pinned 40, expected 32"

# --- a pin directory outside any BPF file system ------------------------------
# Pinning there fails with a bare EPERM: the error must say what is wrong.
NOTBPF=$(mktemp -d /tmp/ti-notbpf.XXXXXX)
lab_defer "rm -rf '$NOTBPF'"
for cmd in "block list" "watch -i $LAB_S_IF --duration 5"; do
	name=${cmd%% *}
	# shellcheck disable=SC2086 # the command's words
	TCPINSPECT_PIN_DIR="$NOTBPF/tcpinspect" ti_run "$A/notbpffs-$name" 20 $cmd
	expect_rc "pin directory outside a bpffs: $name fails with exit 1" 1
	check "... saying the directory is not on a BPF file system" \
		grep -q "$NOTBPF/tcpinspect is not on a BPF file system" "$A/notbpffs-$name.err"
	check "... and leaves no directory behind" test ! -e "$NOTBPF/tcpinspect"
done
check_detached "pin directory outside a bpffs: nothing left attached"

finish
