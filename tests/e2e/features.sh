#!/usr/bin/env bash
# e2e: tcpinspect features (text and --json), here and on the lab's veth.
# This kernel has no kprobes and no fentry; XDP, TC, tracepoints are there.
. "$(dirname "$0")/../lib.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
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
check_detached "features --json"

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
