#!/usr/bin/env python3
"""report.py - turn the raw samples of bench/run.sh into the results table.

    report.py RESULTS_DIR      (reads RESULTS_DIR/raw/*, prints Markdown)
    report.py --only conn_cost RESULTS_DIR    that figure alone

Every figure is computed per round (A and B measured back to back) and
summarised as the median with the spread (min-max) over rounds. The first
table has one row per figure: | figure | measured | ratio | target | verdict |.
A verdict is "met", "MISSED" or "n/a" (not measurable in this run: say why).
"""
import math
import os
import statistics
import sys

RAW = None


def read(name):
    path = os.path.join(RAW, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.split() for l in f if l.strip() and not l.startswith("#")]


def num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def ok(vals):
    return [v for v in vals if not math.isnan(v)]


def med(vals):
    vals = ok(vals)
    return statistics.median(vals) if vals else math.nan


def spread(vals, fmt):
    vals = ok(vals)
    if not vals:
        return "no data"
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt % m
    return (fmt % m) + " (" + (fmt % min(vals)) + "–" + (fmt % max(vals)) + ")"


def verdict(cond):
    if cond is None:
        return "n/a"
    return "met" if cond else "MISSED"


ROWS = []


def row(figure, measured, ratio, target, cond):
    ROWS.append((figure, measured, ratio, target, verdict(cond)))


XDP_DROP = "1"  # the verdict column of prog_bench's samples


# --- 1. XDP cost per packet -----------------------------------------------------------
def xdp_cost():
    samples = {}  # (prog, frame) -> {round: ns}
    verdicts = {}  # (prog, frame) -> set of XDP return codes
    for f in read("xdp_cost.txt"):
        if f[0] == "sample" and len(f) >= 6:
            samples.setdefault((f[1], f[2]), {})[int(f[3])] = num(f[4])
            verdicts.setdefault((f[1], f[2]), set()).add(f[5])
    frames = ["v4_syn", "v4_data", "v6_ext", "http_first", "blocked_src"]
    meta = dict(l for l in read("xdp_cost.meta") if len(l) == 2)
    if not any(k[0] == "tcpinspect" for k in samples):
        row("XDP cost per packet", "no data (tcpinspect not attached natively)", "", "", None)
        return
    for fr in frames:
        ti = samples.get(("tcpinspect", fr), {})
        xf = samples.get(("xdp-filter", fr), {})
        fl = samples.get(("floor", fr), {})
        rounds = sorted(ti)
        r_xf = [ti[r] / xf[r] for r in rounds if xf.get(r)]
        r_fl = [ti[r] / fl[r] for r in rounds if fl.get(r)]
        measured = "%s ns (xdp-filter %s, floor %s)" % (
            spread(list(ti.values()), "%.0f"), spread(list(xf.values()), "%.0f"),
            spread(list(fl.values()), "%.0f"))
        ratio = "%s× xdp-filter, %s× floor" % (spread(r_xf, "%.2f"), spread(r_fl, "%.1f"))
        if fr in ("v4_syn", "blocked_src"):
            target = "≤ 2× xdp-filter"
            cond = med(r_xf) <= 2 if ok(r_xf) else None
        else:
            target = "≤ 1× xdp-filter and ≤ 3× floor"
            cond = (med(r_xf) <= 1 and med(r_fl) <= 3) if ok(r_xf) and ok(r_fl) else None
        name = "XDP cost: " + fr
        if fr == "blocked_src" and meta.get("tcpinspect_blocklist") != "yes":
            name += " (no blocklist: passes)"
        elif fr == "blocked_src" and verdicts.get(("tcpinspect", fr)) != {XDP_DROP}:
            # The list did not reach the attached program: it measured a
            # SYN that passes, not a drop.
            name += " (not dropped: passes)"
            cond = None
        row(name, measured, ratio, target, cond)


# --- 2. live cost -----------------------------------------------------------------------------------
def live():
    per = {}  # (phase, name) -> {round: ns per run}
    types = {}
    for f in read("live.txt"):
        if len(f) < 6:
            continue
        phase, rnd, name, ptype, dt, dn = f[0], int(f[1]), f[2], f[3], int(f[4]), int(f[5])
        if dn <= 0:
            continue
        per.setdefault((phase, name), {})[rnd] = dt / dn
        types[name] = ptype
    if not per:
        row("live cost per run (bpf_stats)", "no data", "", "", None)
        return []
    details = []
    # "tc" is the whole traffic window; "tc:conn" and "tc:iperf3" each
    # load alone (bench/run.sh bench_live), empty programs measured in the
    # same window.
    for phase, empty in (("tc", "bench_empty_tc"), ("tc:conn", "bench_empty_tc"),
                         ("tc:iperf3", "bench_empty_tc"), ("xdp", "bench_empty_xdp"),
                         ("xdp:conn", "bench_empty_xdp"), ("xdp:iperf3", "bench_empty_xdp")):
        base = per.get((phase, empty), {})
        kind = phase.split(":")[0]
        for (ph, name), vals in sorted(per.items()):
            if ph != phase or name.startswith("bench_"):
                continue
            if types.get(name) in ("tracing", "tracepoint", "raw_tracepoint"):
                continue
            ratio = [vals[r] / base[r] for r in vals if base.get(r)]
            row("live cost: %s (%s)" % (name, phase.replace(":", ", ")),
                "%s ns/run (empty %s %s)" % (spread(list(vals.values()), "%.0f"), kind,
                                             spread(list(base.values()), "%.0f")),
                "%s× empty %s" % (spread(ratio, "%.1f"), kind), "reported", None)
    tp_base = per.get(("tc", "bench_empty_tp"), {})
    worst = []
    for (ph, name), vals in sorted(per.items()):
        if ph != "tc" or name.startswith("bench_") or \
                types.get(name) not in ("tracing", "tracepoint", "raw_tracepoint"):
            continue
        m = med(list(vals.values()))
        worst.append(m)
        ratio = [vals[r] / tp_base[r] for r in vals if tp_base.get(r)]
        row("live cost: %s (tracepoint)" % name,
            "%s ns/run (empty tp_btf %s)" % (spread(list(vals.values()), "%.0f"),
                                             spread(list(tp_base.values()), "%.0f")),
            "%s× empty tp_btf" % spread(ratio, "%.1f"), "≤ 100 ns", m <= 100)
    return details


# --- 2b. connection tracepoints (bench/conn_cost.sh) ----------------------------------------------
TRACING_TYPES = ("tracing", "tracepoint", "raw_tracepoint")


def conn_cost():
    per = {}  # (family, name) -> {round: ns per run}
    runs = {}  # (family, name) -> [runs per round]
    per_conn = {}  # family -> {round: (kernel ns, watch CPU ns) per connection}
    for f in read("conn_cost.txt"):
        if f[0] == "per_conn" and len(f) >= 6 and int(f[3]) > 0:
            per_conn.setdefault(f[1], {})[int(f[2])] = (int(f[4]) / int(f[3]), int(f[5]) / int(f[3]))
            continue
        if len(f) < 6:
            continue
        fam, rnd, name, dt, dn = f[0], int(f[1]), f[2], int(f[4]), int(f[5])
        if dn <= 0:
            continue
        per.setdefault((fam, name), {})[rnd] = dt / dn
        runs.setdefault((fam, name), []).append(dn)
    if not per:
        row("connection tracepoints (bench/conn_cost.sh)", "no data", "", "≤ 100 ns", None)
        return
    for (fam, name), vals in sorted(per.items()):
        if name.startswith("bench_"):
            continue
        # The listener iterator runs once per socket per poll, not per event.
        is_iter = name.endswith("_iter")
        e_btf = per.get((fam, "bench_empty_tp"), {})
        e_tpc = per.get((fam, "bench_empty_tpc"), {})
        r_btf = [vals[r] / e_btf[r] for r in vals if e_btf.get(r)]
        r_tpc = [vals[r] / e_tpc[r] for r in vals if e_tpc.get(r)]
        row("conn tracepoint: %s (%s)" % (name, fam),
            "%s ns/run, %.0f runs/sample (empty tp_btf %s, empty tracepoint %s)" % (
                spread(list(vals.values()), "%.0f"), med(runs[(fam, name)]),
                spread(list(e_btf.values()), "%.0f"), spread(list(e_tpc.values()), "%.0f")),
            "%s× empty tp_btf, %s× empty tracepoint" % (spread(r_btf, "%.1f"), spread(r_tpc, "%.1f")),
            "reported" if is_iter else "≤ 100 ns",
            None if is_iter else med(list(vals.values())) <= 100)
    for fam, vals in sorted(per_conn.items()):
        k = [v[0] for v in vals.values()]
        u = [v[1] for v in vals.values()]
        row("conn cost per short connection (%s)" % fam,
            "%s ns in the connection programs, %s ns of watch CPU" % (spread(k, "%.0f"), spread(u, "%.0f")),
            "watch CPU %s× the programs'" % spread([b / a for a, b in vals.values() if a], "%.1f"),
            "reported", None)


# --- 3. throughput ----------------------------------------------------------------------------------
def throughput():
    runs = {}
    for f in read("throughput.txt"):
        if len(f) >= 3:
            runs.setdefault(f[0], {})[int(f[1])] = num(f[2])
    meta = dict(l for l in read("throughput.meta") if len(l) == 2)
    none = runs.get("none", {})
    if not ok(list(none.values())):
        row("TCP throughput cost", "no data", "", "", None)
        return runs

    def cost(cfg, base="none"):
        b = runs.get(base, {})
        c = runs.get(cfg, {})
        return [100 * (1 - c[r] / b[r]) for r in c if b.get(r) and not math.isnan(c[r])]

    td = cost("tcpdump")
    for cfg, label in (("watch_tc", "watch (default: TC on veth)"), ("serve", "serve")):
        if cfg not in runs:
            if cfg == "serve":
                row("TCP throughput cost: serve",
                    "n/a: `tcpinspect serve` not in this build" if meta.get("serve_available") != "yes"
                    else "no data", "", "≤ 3 % and ≤ ¼ of tcpdump's", None)
            continue
        c = cost(cfg)
        ratio_td = [a / b for a, b in zip(c, td) if b > 0]
        row("TCP throughput cost: " + label,
            "%s Gbit/s vs %s none" % (spread(list(runs[cfg].values()), "%.2f"),
                                      spread(list(none.values()), "%.2f")),
            "cost %s %%; tcpdump's cost %s %%" % (spread(c, "%.1f"), spread(td, "%.1f")),
            "≤ 3 % and ≤ ¼ of tcpdump's",
            (med(c) <= 3 and (med(c) <= med(td) / 4 or med(c) <= 0)) if ok(c) and ok(td) else None)
    for cfg, label, base in (("watch_native", "watch --mode native (vs GSO/TSO off)", "gso_off"),
                             ("watch_generic", "watch --mode generic", "none"),
                             ("gso_off", "no program, GSO/TSO off (offload loss)", "none"),
                             ("tcpdump", "tcpdump -w /dev/null", "none")):
        if cfg not in runs:
            continue
        c = cost(cfg, base)
        row("TCP throughput: " + label,
            "%s Gbit/s" % spread(list(runs[cfg].values()), "%.2f"),
            "cost %s %% vs %s" % (spread(c, "%.1f"), base), "reported", None)
    return runs


# --- 4. connection rate -----------------------------------------------------------------------------
def conn_rate():
    runs = {}
    for f in read("conn_rate.txt"):
        if len(f) >= 3:
            runs.setdefault(f[0], {})[int(f[1])] = num(f[2])
    none = runs.get("none", {})
    for cfg, label in (("watch", "watch"), ("watch_close", "watch --events close")):
        w = runs.get(cfg, {})
        c = [100 * (1 - w[r] / none[r]) for r in w if none.get(r) and not math.isnan(w[r])]
        if not c:
            row("connection-rate cost (%s)" % label, "no data", "", "≤ 5 %", None)
            continue
        row("connection-rate cost (%s)" % label,
            "%s conn/s vs %s none" % (spread(list(w.values()), "%.0f"), spread(list(none.values()), "%.0f")),
            "cost %s %%" % spread(c, "%.1f"), "≤ 5 %", med(c) <= 5)
    # The same runs by CPU time: what the whole machine spent per
    # connection (busy jiffies / connections). Time the host stole is not
    # in it, so it moves less than the rate on a shared host.
    hz, cpu = 100.0, {}
    for f in read("conn_rate_cpu.txt"):
        if f[0] == "user_hz" and len(f) == 2:
            hz = num(f[1]) or hz
        elif len(f) >= 5:
            n, busy = num(f[2]), num(f[3])
            if n and not math.isnan(n) and not math.isnan(busy):
                cpu.setdefault(f[0], {})[int(f[1])] = busy / n
    base = cpu.get("none", {})
    for cfg, label in (("watch", "watch"), ("watch_close", "watch --events close")):
        w = cpu.get(cfg, {})
        c = [100 * (w[r] / base[r] - 1) for r in w if base.get(r)]
        if not c:
            continue
        us = lambda d: [v * 1e6 / hz for v in d.values()]
        row("connection CPU cost (%s)" % label,
            "%s µs of machine CPU per connection vs %s none" %
            (spread(us(w), "%.1f"), spread(us(base), "%.1f")),
            "cost %s %%" % spread(c, "%.1f"), "reported", None)


# --- 5. event pipeline ------------------------------------------------------------------------------
def pipeline():
    per = {}
    for f in read("pipeline.txt"):
        if len(f) >= 3:
            per.setdefault(int(f[0]), {})[f[1]] = num(f[2])
    if not per:
        row("event pipeline", "no data", "", "≥ 1 M events/s, 0 unaccounted", None)
        return
    rate = [p.get("delivered_per_s", math.nan) / 1e6 for p in per.values()]
    unacc = sum(abs(p.get("unaccounted", math.nan)) for p in per.values())
    drop = [p.get("events_dropped", 0) / max(p.get("produced", 1), 1) * 100 for p in per.values()]
    cpu = [p.get("consumer_cpu_ns_per_event", math.nan) for p in per.values()]
    # A round without a drop never saturated the consumer: the producer
    # (test runs) was the bottleneck and the rate is only a lower bound.
    unsat = sum(1 for p in per.values() if p.get("events_dropped", 0) == 0)
    note = ("; not saturated in %d of %d rounds (producer-bound: a lower bound)" %
            (unsat, len(per))) if unsat else ""
    row("event pipeline (ring buffer → JSON → /dev/null)",
        "%s M events/s delivered; %s %% dropped at saturation; consumer CPU %s ns/event%s" %
        (spread(rate, "%.2f"), spread(drop, "%.0f"), spread(cpu, "%.0f"), note),
        "unaccounted %s" % ("%.0f" % unacc if not math.isnan(unacc) else "?"),
        "≥ 1 M events/s, 0 unaccounted",
        (med(rate) >= 1 and unacc == 0) if ok(rate) else None)


# --- 5b. ring-buffer record cost ----------------------------------------------------------------------
def ring_cost():
    samples = {}  # (state, prog) -> [median ns per round]
    for f in read("ring_cost.txt"):
        if f[0] == "sample" and len(f) >= 5:
            samples.setdefault((f[1], f[2]), []).append(num(f[4]))
    states = sorted({k[0] for k in samples}, key=lambda s: (s != "warm", len(s), s))
    if not states:
        row("ring-buffer record cost", "no data", "", "reported", None)
        return
    def extra(st, prog):
        return [r - e for r, e in zip(samples.get((st, prog), []),
                                      samples.get((st, "ring_empty"), []))]

    for st in states:
        empty = samples.get((st, "ring_empty"), [])
        for ring, prog in (("256 KiB", "ring_rec_256k"), ("1 MiB", "ring_rec_1m")):
            rec = samples.get((st, prog), [])
            label = "warm caches" if st == "warm" else "%s KiB written between runs" % st[4:]
            warm = med(extra("warm", prog))
            ratio = ("%.1f× the warm record" % (med(extra(st, prog)) / warm)
                     if st != "warm" and warm > 0 else "")
            row("ring-buffer record cost (%s ring, %s)" % (ring, label),
                "%s ns per record (run %s ns, empty program %s ns)" %
                (spread(extra(st, prog), "%.0f"), spread(rec, "%.0f"), spread(empty, "%.0f")),
                ratio, "reported", None)


# --- 6. flood -----------------------------------------------------------------------------------------
def flood():
    lines = read("flood.txt")
    if not lines or lines[0][0] == "pending":
        why = " ".join(lines[0][1:]) if lines else "no output"
        row("flood drop rate (XDP blocklist vs nftables)", "pending: " + why, "", "XDP ≥ 2× nftables", None)
        return
    kv = {l[0]: l[1] for l in lines if len(l) >= 2}
    xdp = num(kv.get("xdp_drop_pps"))
    nft = num(kv.get("nft_drop_pps"))
    ratio = xdp / nft if nft and not math.isnan(xdp) else math.nan
    cpu = ""
    if "xdp_ns_per_drop" in kv:
        cpu = "; softirq ns per dropped packet at the same paced load: XDP %s, nftables %s" % (
            kv.get("xdp_ns_per_drop", "?"), kv.get("nft_ns_per_drop", "?"))
    row("flood drop rate (XDP blocklist vs nftables netdev)",
        "XDP %s pps, nftables %s pps%s" % (kv.get("xdp_drop_pps", "?"), kv.get("nft_drop_pps", "?"), cpu),
        "%.2f×" % ratio if not math.isnan(ratio) else "?", "XDP ≥ 2× nftables",
        ratio >= 2 if not math.isnan(ratio) else None)
    if "tc_drop_pps" in kv:
        tc, tc_ns, nft_ns = num(kv.get("tc_drop_pps")), num(kv.get("tc_ns_per_drop")), num(kv.get("nft_ns_per_drop"))
        row("flood drop rate (TC blocklist, the default on veth, vs nftables netdev)",
            "TC %s pps; softirq ns per dropped packet at the same paced load: TC %s, nftables %s" % (
                kv.get("tc_drop_pps", "?"), kv.get("tc_ns_per_drop", "?"), kv.get("nft_ns_per_drop", "?")),
            "%.2f× nftables' pps, nftables' CPU per drop %.2f× TC's" % (tc / nft, nft_ns / tc_ns)
            if nft and tc_ns and not math.isnan(tc) else "?",
            "reported", None)


# --- 7. start-up --------------------------------------------------------------------------------------
def startup():
    v = {}
    for f in read("startup.txt"):
        if len(f) >= 4:
            v.setdefault((f[0], f[2]), {})[int(f[1])] = num(f[3])
    ta = v.get(("tcpinspect", "attach_s"), {})
    tf = v.get(("tcpinspect", "first_event_s"), {})
    bf = v.get(("bpftrace", "first_event_s"), {})
    ba = v.get(("bpftrace", "attach_s"), {})
    if not ok(list(ta.values())):
        row("start-up", "no data", "", "≤ 0.2 s and ≥ 10× faster than bpftrace", None)
        return
    ratio = [bf[r] / tf[r] for r in tf if bf.get(r) and tf.get(r) and not math.isnan(bf[r])]
    row("start-up (exec → attached / → first event)",
        "tcpinspect %s s / %s s; bpftrace %s s / %s s" % (
            spread(list(ta.values()), "%.3f"), spread(list(tf.values()), "%.3f"),
            spread(list(ba.values()), "%.3f"), spread(list(bf.values()), "%.3f")),
        "bpftrace %s× slower to first event" % spread(ratio, "%.1f"),
        "≤ 0.2 s and ≥ 10× faster",
        (med(list(ta.values())) <= 0.2 and med(ratio) >= 10) if ok(ratio) else None)


# --- 8. memory ----------------------------------------------------------------------------------------
def memory():
    lines = read("memory.txt")
    kv = {l[0]: l[1] for l in lines if len(l) == 2}
    maps = [l for l in lines if l[0] == "map" and len(l) >= 6]
    if "rss_peak_kb" not in kv:
        row("memory", "no data", "", "≤ 20 MB RSS", None)
        return maps
    rss = num(kv["rss_peak_kb"]) / 1024
    total = sum(int(m[5]) for m in maps) / 1024
    row("memory: user-space peak RSS (watch --all-packets under traffic)",
        "%.1f MiB" % rss, "", "≤ 20 MB", rss <= 20)
    row("memory: kernel maps at defaults (bytes_memlock)",
        "%.0f KiB in %d maps" % (total, len(maps)), "", "bounded and listed",
        all(int(m[4]) > 0 for m in maps) if maps else None)
    return maps


def print_rows():
    print("| figure | measured (median (min–max)) | ratio | target | verdict |")
    print("| --- | --- | --- | --- | --- |")
    for r in ROWS:
        print("| " + " | ".join(str(c).replace("|", "/") for c in r) + " |")


def main():
    global RAW
    args = sys.argv[1:]
    only = None
    if len(args) == 3 and args[0] == "--only" and args[1] == "conn_cost":
        only = args[1]
        args = args[2:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    RAW = os.path.join(args[0], "raw")
    if only:
        conn_cost()
        print_rows()
        return 0
    xdp_cost()
    live()
    conn_cost()
    runs = throughput()
    conn_rate()
    pipeline()
    ring_cost()
    flood()
    startup()
    maps = memory()

    print_rows()
    if runs:
        print("\nThroughput by configuration (Gbit/s, median (min–max)):\n")
        print("| configuration | Gbit/s |")
        print("| --- | --- |")
        for cfg, vals in runs.items():
            print("| %s | %s |" % (cfg, spread(list(vals.values()), "%.2f")))
    if maps:
        print("\nKernel maps of one `watch` session at defaults:\n")
        print("| map | type | max_entries | bytes_memlock |")
        print("| --- | --- | --- | --- |")
        for m in maps:
            print("| %s | %s | %s | %s |" % (m[2], m[3], m[4], m[5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
