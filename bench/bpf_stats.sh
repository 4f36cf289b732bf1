# bpf_stats.sh - helpers of the benchmarks that read kernel.bpf_stats_enabled
# figures (source it): bench/run.sh, bench/conn_cost.sh.

# BPF program and map ids a process holds (from /proc/PID/fdinfo).
pid_prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }
pid_map_ids() { grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }

# "id name run_time_ns run_cnt" for program ids on stdin.
prog_stats() {
	local id
	while read -r id; do
		bpftool -j prog show id "$id" 2>/dev/null
		echo
	done | python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        p = json.loads(line)
    except ValueError:
        continue
    if "id" not in p:  # the program went away (bpftool printed an error)
        continue
    print(p["id"], p.get("name", "?"), p.get("type", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
'
}

# prog_stats_delta PREFIX BEFORE AFTER: "PREFIX name type run_time_ns
# run_cnt" per program, the difference between two prog_stats snapshots
# (programs missing from BEFORE are left out).
prog_stats_delta() {
	python3 - "$@" <<'PY'
import sys
prefix, before, after = sys.argv[1:4]
b = {l.split()[0]: l.split() for l in before.splitlines() if l.strip()}
for l in after.splitlines():
    f = l.split()
    if not f or f[0] not in b:
        continue
    dt = int(f[3]) - int(b[f[0]][3])
    dn = int(f[4]) - int(b[f[0]][4])
    print(prefix, f[1], f[2], dt, dn)
PY
}
