#!/usr/bin/env bash
# e2e: tcpinspect features (text and --json), here and on the lab's veth.
# This kernel has no kprobes and no fentry; XDP, TC, tracepoints are there.
# Map memory: features lists every map at defaults (object, name, type,
# max_entries, bytes); the same maps, with the same sizes, are what a
# running watch holds according to bpftool, and what watch --summary lists.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../defence_lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
require "private pin directory" def_private_lists
A=$TI_ARTIFACTS

# Text form.
progs_snapshot
ti_run "$A/text" 60 features
expect_rc "features exits 0" 0
row() { grep -Eiq "^$1[[:space:]]+$2\\b" "$TI_OUT"; }
check "features: kprobe unavailable" row kprobe no
check "features: fentry unavailable" row fentry no
check "features: xdp-generic available" row xdp-generic yes
check "features: tc available" row tc yes
check "features: tracepoint available" row tracepoint yes
check "features: tp_btf available" row tp_btf yes
check "features: ringbuf available" row ringbuf yes
check "features: says which hooks it will use" grep -qi "will use" "$TI_OUT"
check "features: map table lists ti_sock_life as an lru_hash of 32768 entries" \
	grep -Eq '^ +conn +ti_sock_life +lru_hash +32768 +[1-9][0-9]* *$' "$TI_OUT"
check "features: map table has a total" grep -Eq '^ +total +[1-9][0-9]* *$' "$TI_OUT"
check_detached "features"

# JSON form.
progs_snapshot
ti_run "$A/json" 60 features --json
expect_rc "features --json exits 0" 0
F="{f['name']: f for f in ev[0]['features']}"
jq_check "features --json: one JSON document with per-feature objects" "$TI_OUT" \
	"len(ev) == 1 and not bad and all({'name', 'available', 'detail', 'used_for'} <= set(f) for f in ev[0]['features'])"
jq_check "features --json: kprobe and fentry available == false" "$TI_OUT" \
	"${F}['kprobe']['available'] is False and ${F}['fentry']['available'] is False"
jq_check "features --json: xdp-generic, tc, tracepoint, tp_btf, ringbuf available == true" "$TI_OUT" \
	"all(${F}[n]['available'] is True for n in ('xdp-generic', 'tc', 'tracepoint', 'tp_btf', 'ringbuf'))"
jq_check "features --json: btf true, kernel and plan present" "$TI_OUT" \
	"ev[0]['btf'] is True and ev[0]['kernel'] and ev[0]['plan']['connections'] in ('tp_btf', 'tracepoint') and ev[0]['plan']['kprobes_required'] is False"
jq_check "features --json: maps of inspector and conn, each with a type, max_entries > 0 and memory > 0 (lpm_trie: 0 until filled)" "$TI_OUT" \
	"(lambda m: len(m) >= 20 and {'inspector', 'conn'} <= {x['object'] for x in m} and all(x['type'] and x['max_entries'] > 0 and (x['memlock_bytes'] > 0 or x['type'] == 'lpm_trie') for x in m) and ev[0]['maps_memlock_bytes'] == sum(x['memlock_bytes'] for x in m))(ev[0]['maps'])"
check_detached "features --json"
cp "$TI_OUT" "$A/features-maps.json"

# The same maps in a running watch, seen by bpftool, and in watch --summary.
if ti_start "$A/watch" watch -i "$LAB_S_IF" --json --summary --duration 30; then
	pass "watch starts"
	for id in $(grep -hs '^map_id:' /proc/"$TI_PID"/fdinfo/* | awk '{print $2}' | sort -un); do
		bpftool -j map show id "$id"
		echo
	done >"$A/bpftool-maps.json"
	ti_stop INT
	expect_rc "watch exits 0" 0
	check "bpftool listed the watch's maps" test -s "$A/bpftool-maps.json"
	python3 - "$A/features-maps.json" "$A/bpftool-maps.json" "$TI_OUT" >"$A/compare.txt" 2>&1 <<'PY'
import json, sys
feat = {m["name"]: m for m in json.load(open(sys.argv[1]))["maps"]}
bt = {}
for line in open(sys.argv[2]):
    if line.strip():
        m = json.loads(line)
        bt[m["name"]] = m
summary = [json.loads(l) for l in open(sys.argv[3]) if '"summary"' in l][0]
summ = {m["name"]: m for m in summary["maps"]}
bad = []
# bpftool shows map names cut to 15 characters, like the kernel keeps them.
for name, m in feat.items():
    b = bt.get(name[:15])
    if b is None:
        bad.append("%s: not held by watch" % name)
        continue
    if (b["type"], b["max_entries"]) != (m["type"], m["max_entries"]):
        bad.append("%s: bpftool %s/%s, features %s/%s" % (name, b["type"], b["max_entries"], m["type"], m["max_entries"]))
    if m["type"] != "lpm_trie" and b.get("bytes_memlock") != m["memlock_bytes"]:
        bad.append("%s: bpftool %s bytes, features %s" % (name, b.get("bytes_memlock"), m["memlock_bytes"]))
    s = summ.get(name)
    if s is None or (s["type"], s["max_entries"], s["memlock_bytes"]) != (m["type"], m["max_entries"], m["memlock_bytes"]):
        bad.append("%s: watch --summary %s, features %s" % (name, s, m))
print("compared %d maps" % len(feat))
print("\n".join(bad))
sys.exit(1 if bad or len(feat) < 20 else 0)
PY
	cmp_rc=$?
	check "features' maps match bpftool's view of a running watch and its --summary (type, max_entries, bytes)" \
		test "$cmp_rc" = 0 || sed 's/^/#   /' "$A/compare.txt"
else
	fail "watch starts" "$(ti_ctx)"
	ti_stop
fi

# On the veth in the server namespace: native XDP can be tried there.
progs_snapshot
ti_run "$A/veth" 60 features -i "$LAB_S_IF" --json
expect_rc "features -i $LAB_S_IF --json exits 0" 0
jq_check "features -i veth: xdp-native available (veth has native XDP)" "$TI_OUT" \
	"${F}['xdp-native']['available'] is True"
jq_check "features -i veth: plan covers $LAB_S_IF" "$TI_OUT" \
	"[p['ifname'] for p in ev[0]['plan']['packets']] == ['$LAB_S_IF'] and ev[0]['plan']['packets'][0]['mode'] in ('xdp-native', 'xdp-generic', 'tc')"
check_detached "features -i $LAB_S_IF"
finish
