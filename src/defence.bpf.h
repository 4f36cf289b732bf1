/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * defence.bpf.h - detection and mitigation in the packet inspector
 * (included by inspector.bpf.c only, before parse.bpf.h).
 *
 * Two entry points:
 *  - ti_defence_l3(): right after the IP header is parsed, for every IP
 *    packet whatever its protocol: the blocklist LPM trie (allowlist wins).
 *    One trie lookup when the source is not listed.
 *  - ti_defence_tcp(): for parsed TCP segments, only when detection or
 *    enforcement was enabled at load time: stealth flag combinations,
 *    per-source SYN token bucket, vertical / horizontal / slow scan
 *    counting and handshake completion. Global (separately verified)
 *    functions keep the inspector's verification cost flat.
 *
 * All per-source state is in LRU maps of fixed size shared by all CPUs:
 * a spoofing attacker can churn them, never grow them. Updates of shared
 * values race benignly between CPUs (a count may be lost, never corrupt a
 * key).
 */
#ifndef DEFENCE_BPF_H
#define DEFENCE_BPF_H

#include "tcpinspect.h"

/* parse.bpf.h consults the blocklist as soon as the IP addresses are
 * parsed; the byte counters count the whole frame (L2 header added back). */
#define TI_L3_HOOK(ev, l3_len)                                                 \
	ti_defence_l3(ev, (l3_len) + 14 + 4 * (__u32)(ev)->vlan_depth)

#define TI_DEF_PASS 0
#define TI_DEF_DROP 1
#define TI_NS_PER_S 1000000000ULL

/* Settings fixed at load time (src/defence.c sets them from defence_cfg).
 * The defaults here keep every detector off: a program loaded without
 * user-space setup (unit tests) only enforces the blocklist. */
const volatile bool cfg_def_detect = false;  /* run the detectors */
const volatile bool cfg_def_enforce = false; /* drop SYNs over the rate */
/* alert events selected (watch --events); off, the detectors still run
 * (and auto-block) but reserve no record */
const volatile bool cfg_alert_events = true;
const volatile __u32 cfg_scan_ports = 20;    /* vertical: ports ... */
const volatile __u64 cfg_scan_window_ns = 5 * TI_NS_PER_S; /* ... within */
const volatile __u32 cfg_slow_ports = 15;    /* slow scan: ports ... */
const volatile __u64 cfg_slow_window_ns = 300 * TI_NS_PER_S; /* ... within */
const volatile __u32 cfg_hscan_hosts = 20;   /* horizontal: hosts ... */
const volatile __u64 cfg_hscan_window_ns = 5 * TI_NS_PER_S; /* ... within */
const volatile __u64 cfg_syn_rate = 100;     /* SYNs/s per source */
const volatile __u64 cfg_syn_burst = 200;    /* bucket size, SYNs */
const volatile __u64 cfg_syn_fill_ns = 2 * TI_NS_PER_S; /* burst / rate */
const volatile __u64 cfg_alert_interval_ns = 10 * TI_NS_PER_S;

/* Blocklist and allowlist: pinned by user space under
 * /sys/fs/bpf/tcpinspect/ and reused by every run (never evicting). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TI_LIST_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ti_lpm_key);
	__type(value, struct ti_list_val);
} ti_blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TI_LIST_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ti_lpm_key);
	__type(value, struct ti_list_val);
} ti_allowlist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_def_counters);
} ti_def_stats SEC(".maps");

/* Alerts to user space (their own buffer: a packet-event storm never
 * crowds them out). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ti_alert_events SEC(".maps");

/* Per-source SYN state, the only per-source entry a SYN touches: SYN
 * count (user space reads it), token bucket, one-second SYN count and the
 * last probe counted by the scan detectors. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ti_src_key);
	__type(value, struct ti_src_syn);
} ti_syn_sources SEC(".maps");

/* (source, local address, port) probed: makes the scan counts distinct. */
struct ti_pair_key {
	__u8 src[TI_ADDR_LEN];
	__u8 dst[TI_ADDR_LEN];
	__u16 dport;
	__u16 family;
};

struct ti_pair_val {
	__u64 seen_ns;   /* last time it was counted in a scan window */
	__u32 completed; /* the handshake completed: not a failed probe */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ti_pair_key);
	__type(value, struct ti_pair_val);
} ti_scan_pairs SEC(".maps");

/* Scan counters: vertical (source, local address; port 0) counts
 * distinct ports, horizontal (source, zero address, port) distinct local
 * addresses. Windows are tumbling: they restart when expired. */
enum { TI_CTR_VERTICAL = 1, TI_CTR_HORIZONTAL = 2 };

struct ti_ctr_key {
	__u8 src[TI_ADDR_LEN];
	__u8 dst[TI_ADDR_LEN];
	__u16 port;
	__u16 family;
	__u32 kind;
};

struct ti_ctr_val {
	__u64 win_start_ns;
	__u64 slow_start_ns;
	__u32 count;       /* failed (not completed) probes in the window */
	__u32 slow_count;
	__u16 ports[TI_ALERT_MAX_PORTS];
	__u16 nports;
	__u16 alerted;     /* TI_SCAN_FIRED_* already sent in this slow window */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct ti_ctr_key);
	__type(value, struct ti_ctr_val);
} ti_scan_ctr SEC(".maps");

/* Alert rate limit per (source, kind). */
struct ti_rl_key {
	__u8 src[TI_ADDR_LEN];
	__u16 family;
	__u16 kind;
};

struct ti_rl_val {
	__u64 last_ns;
	__u32 suppressed;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ti_rl_key);
	__type(value, struct ti_rl_val);
} ti_alert_rl SEC(".maps");

static __always_inline struct ti_def_counters *ti_def_cnt(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ti_def_stats, &zero);
}

static __always_inline void ti_src_addr_copy(__u8 *dst, const __u8 *src,
					     __u16 family)
{
	if (family == TI_AF_INET)
		__builtin_memcpy(dst, src, 4);
	else
		__builtin_memcpy(dst, src, 16);
}

static __always_inline bool ti_addr_eq(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* An entry that has expired is treated as absent (user space deletes it). */
static __always_inline struct ti_list_val *ti_list_match(void *map,
							  struct ti_lpm_key *k)
{
	struct ti_list_val *v = bpf_map_lookup_elem(map, k);

	if (v && v->expires_ns && v->expires_ns <= bpf_ktime_get_boot_ns())
		return NULL;
	return v;
}

static __always_inline void ti_lpm_key_of(struct ti_lpm_key *k,
					  const struct ti_packet_event *ev)
{
	k->prefixlen = 128;
	if (ev->tuple.family == TI_AF_INET) {
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		__builtin_memcpy(&k->addr[12], ev->tuple.saddr, 4);
	} else {
		__builtin_memcpy(k->addr, ev->tuple.saddr, 16);
	}
}

/* After the IP header: 1 = drop (blocklisted and not allowlisted).
 * Global: called from every parser path, verified once. */
__noinline int ti_defence_l3(const struct ti_packet_event *ev, __u32 wire_len)
{
	struct ti_lpm_key k = {};
	struct ti_def_counters *cnt;
	struct ti_list_val *v, *a;

	if (!ev || !ev->tuple.family)
		return false;
	ti_lpm_key_of(&k, ev);
	v = ti_list_match(&ti_blocklist, &k);
	if (!v)
		return false;
	cnt = ti_def_cnt();
	a = ti_list_match(&ti_allowlist, &k);
	if (a) {
		__sync_fetch_and_add(&a->hits, 1);
		__sync_fetch_and_add(&a->bytes, wire_len);
		if (cnt)
			cnt->allowed_packets++;
		return false;
	}
	__sync_fetch_and_add(&v->hits, 1);
	__sync_fetch_and_add(&v->bytes, wire_len);
	if (cnt) {
		cnt->blocked_packets++;
		cnt->blocked_bytes += wire_len;
	}
	return true;
}

/* Which invalid flag combination (enum ti_alert_kind), 0 if none. Only
 * the six classic flags count; ECE/CWR are legitimate on SYNs. */
static __always_inline __u32 ti_stealth_kind(__u8 flags)
{
	__u8 b = flags & (TI_TCP_FIN | TI_TCP_SYN | TI_TCP_RST | TI_TCP_PSH |
			  TI_TCP_ACK | TI_TCP_URG);

	if ((b & (TI_TCP_SYN | TI_TCP_FIN)) == (TI_TCP_SYN | TI_TCP_FIN))
		return TI_ALERT_STEALTH_SYNFIN;
	if ((b & (TI_TCP_SYN | TI_TCP_RST)) == (TI_TCP_SYN | TI_TCP_RST))
		return TI_ALERT_STEALTH_SYNRST;
	if (b & TI_TCP_ACK)
		return 0;
	if (b == 0)
		return TI_ALERT_STEALTH_NULL;
	if ((b & (TI_TCP_FIN | TI_TCP_PSH | TI_TCP_URG)) ==
	    (TI_TCP_FIN | TI_TCP_PSH | TI_TCP_URG))
		return TI_ALERT_STEALTH_XMAS;
	if (b == TI_TCP_FIN)
		return TI_ALERT_STEALTH_FIN;
	/* Without ACK a conforming stack sends only a SYN or a RST. */
	if (b == TI_TCP_SYN || b == TI_TCP_RST)
		return 0;
	return TI_ALERT_STEALTH_INVALID;
}

/* Evidence of an alert, filled by the detector. */
struct ti_alert_req {
	__u64 count;
	__u64 threshold;
	__u64 window_ns;
	__u64 rate_milli;
	__u32 kind;
	__u32 ifindex;
	__u16 ports[TI_ALERT_MAX_PORTS];
	__u16 nports;
	__u8 action;
	__u8 pad;
	__u32 suppressed; /* repeats the caller counted itself */
};

/* Count one probe in a scan counter. seen_ns: when the pair was last
 * counted (0 = never). Returns a TI_SCAN_FIRED_* mask; req gets the
 * evidence. */
enum { TI_SCAN_FIRED_FAST = 1, TI_SCAN_FIRED_SLOW = 2 };

struct ti_scan_req {
	__u64 now;
	__u64 seen_ns;
	__u64 window_ns;
	__u64 slow_window_ns; /* 0 = no slow window */
	__u32 threshold;
	__u32 slow_threshold;
	__u32 count;          /* out */
	__u32 slow_count;     /* out */
	__u16 ports[TI_ALERT_MAX_PORTS]; /* out */
	__u16 nports;         /* out */
	__u16 dport;
	__u32 pad;
	__u64 until_ns;       /* out: every window this counter uses lasts
			       * at least until then (0 = unknown) */
};

/* Per-CPU scratch space for the detectors' keys and requests: the BPF
 * stack (512 bytes for the whole call chain) is mostly taken by the
 * inspector's own frame. A program never re-enters on the same CPU. */
struct ti_def_scratch {
	struct ti_pair_key pk;
	struct ti_ctr_key ck;
	struct ti_scan_req q;
	struct ti_alert_req req;
	struct ti_lpm_key lk;
	/* Not zeroed by ti_scratch(): a new source's ti_syn_sources value. */
	struct ti_src_syn si;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_def_scratch);
} ti_def_scratch SEC(".maps");

/* This CPU's scratch as the last detector left it. */
static __always_inline struct ti_def_scratch *ti_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ti_def_scratch, &zero);
}

/* This CPU's scratch, zeroed. */
static __always_inline struct ti_def_scratch *ti_scratch(void)
{
	struct ti_def_scratch *s = ti_scratch_get();

	if (s)
		__builtin_memset(s, 0, offsetof(struct ti_def_scratch, si));
	return s;
}

/* Send an alert unless one of the same kind from the same source went out
 * less than cfg_alert_interval_ns ago; then only count it as suppressed.
 * Global: verified once. */
__noinline int ti_alert(const struct ti_packet_event *ev,
			const struct ti_alert_req *req)
{
	struct ti_def_counters *cnt = ti_def_cnt();
	struct ti_rl_key rk = {};
	struct ti_rl_val *rl, init = {};
	struct ti_alert_event *a;
	__u32 suppressed = 0;
	__u64 now;

	if (!ev || !req || !cnt)
		return 0;
	now = ev->hdr.ts_ns;
	rk.family = ev->tuple.family;
	rk.kind = (__u16)req->kind;
	ti_src_addr_copy(rk.src, ev->tuple.saddr, ev->tuple.family);
	rl = bpf_map_lookup_elem(&ti_alert_rl, &rk);
	if (rl) {
		if (now - rl->last_ns < cfg_alert_interval_ns) {
			__sync_fetch_and_add(&rl->suppressed, 1);
			cnt->alerts_suppressed++;
			return 0;
		}
		suppressed = rl->suppressed + req->suppressed;
		rl->suppressed = 0;
		rl->last_ns = now;
	} else {
		suppressed = req->suppressed;
		init.last_ns = now;
		bpf_map_update_elem(&ti_alert_rl, &rk, &init, BPF_ANY);
	}
	if (!cfg_alert_events)
		return 0;
	a = bpf_ringbuf_reserve(&ti_alert_events, sizeof(*a), 0);
	if (!a) {
		cnt->alerts_lost++;
		return 0;
	}
	__builtin_memset(a, 0, sizeof(*a));
	a->hdr.ts_ns = now;
	a->hdr.type = TI_EV_ALERT;
	a->hdr.cpu = bpf_get_smp_processor_id();
	a->count = req->count;
	a->threshold = req->threshold;
	a->window_ns = req->window_ns;
	a->rate_milli = req->rate_milli;
	a->suppressed = suppressed;
	a->kind = req->kind;
	a->ifindex = req->ifindex;
	__builtin_memcpy(a->saddr, ev->tuple.saddr, TI_ADDR_LEN);
	__builtin_memcpy(a->daddr, ev->tuple.daddr, TI_ADDR_LEN);
	__builtin_memcpy(a->ports, req->ports, sizeof(a->ports));
	a->nports = req->nports;
	a->family = ev->tuple.family;
	a->dport = ev->tuple.dport;
	a->flags = ev->flags;
	a->action = req->action;
	bpf_ringbuf_submit(a, 0);
	cnt->alerts_sent++;
	return 1;
}

/* Per-source token bucket for SYNs, in the source's ti_syn_sources entry
 * r. TI_DEF_DROP when over the rate and enforcing (and the source is not
 * allowlisted). */
static __always_inline int ti_syn_bucket(const struct ti_packet_event *ev,
					 struct ti_src_syn *r, __u32 ifindex,
					 struct ti_def_counters *cnt)
{
	__u64 now = ev->hdr.ts_ns, elapsed, cap, tokens, win, syns;
	struct ti_def_scratch *sc;
	bool quiet;

	cap = cfg_syn_burst * TI_NS_PER_S;
	elapsed = now > r->last_ns ? now - r->last_ns : 0;
	tokens = r->tokens_nt +
		 (elapsed >= cfg_syn_fill_ns ? cap : elapsed * cfg_syn_rate);
	if (tokens > cap)
		tokens = cap;
	r->last_ns = now;
	win = now - r->win_start_ns;
	if (win > TI_NS_PER_S) {
		r->win_start_ns = now;
		r->win_syns = 0;
		win = 0;
	}
	syns = ++r->win_syns;
	if (tokens >= TI_NS_PER_S) {
		r->tokens_nt = tokens - TI_NS_PER_S;
		return TI_DEF_PASS;
	}
	r->tokens_nt = tokens;
	cnt->syn_over_rate++;
	/* Within the alert interval a flooding source costs no other map
	 * lookup unless the SYN may be dropped (the allowlist decides). */
	quiet = cfg_def_detect && now < r->rate_quiet_until_ns;
	if (quiet) {
		r->rate_suppressed++;
		cnt->alerts_suppressed++;
		if (!cfg_def_enforce)
			return TI_DEF_PASS;
	}
	sc = ti_scratch();
	if (!sc)
		return TI_DEF_PASS;
	ti_lpm_key_of(&sc->lk, ev);
	if (ti_list_match(&ti_allowlist, &sc->lk)) {
		cnt->allowed_packets++;
		return TI_DEF_PASS;
	}
	if (cfg_def_detect && !quiet) {
		sc->req.kind = TI_ALERT_SYN_RATE;
		sc->req.suppressed = r->rate_suppressed;
		r->rate_suppressed = 0;
		r->rate_quiet_until_ns = now + cfg_alert_interval_ns;
		sc->req.count = syns;
		sc->req.threshold = cfg_syn_rate;
		sc->req.window_ns = win;
		sc->req.rate_milli = win >= 1000000 ?
			syns * 1000000000000ULL / win : 0;
		sc->req.ifindex = ifindex;
		sc->req.action = cfg_def_enforce ? TI_ACTION_DROPPED : TI_ACTION_NONE;
		ti_alert(ev, &sc->req);
	}
	if (!cfg_def_enforce)
		return TI_DEF_PASS;
	cnt->syn_dropped++;
	return TI_DEF_DROP;
}

__noinline int ti_scan_count(struct ti_ctr_key *k, struct ti_scan_req *q)
{
	struct ti_ctr_val *v, init = {};
	int fired = 0;
	__u16 n;

	if (!k || !q)
		return 0;
	v = bpf_map_lookup_elem(&ti_scan_ctr, k);
	if (!v) {
		init.win_start_ns = q->now;
		init.slow_start_ns = q->now;
		bpf_map_update_elem(&ti_scan_ctr, k, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&ti_scan_ctr, k);
		if (!v)
			return 0;
	}
	if (q->now - v->win_start_ns > q->window_ns) {
		v->win_start_ns = q->now;
		v->count = 0;
		v->nports = 0;
	}
	if (q->slow_window_ns && q->now - v->slow_start_ns > q->slow_window_ns) {
		v->slow_start_ns = q->now;
		v->slow_count = 0;
		v->alerted = 0;
	}
	if (q->seen_ns < v->win_start_ns) {
		v->count++;
		n = v->nports;
		if (n < TI_ALERT_MAX_PORTS) {
			v->ports[n & (TI_ALERT_MAX_PORTS - 1)] = q->dport;
			v->nports = n + 1;
		}
		if (v->count == q->threshold) {
			fired |= TI_SCAN_FIRED_FAST;
			v->alerted |= TI_SCAN_FIRED_FAST;
		}
	}
	if (q->slow_window_ns && q->seen_ns < v->slow_start_ns)
		v->slow_count++;
	/* Slow: the long window holds enough failed probes but no short
	 * window did (a fast scan is reported as such, once). */
	if (q->slow_window_ns && v->slow_count >= q->slow_threshold &&
	    v->count < q->slow_threshold && !v->alerted) {
		fired |= TI_SCAN_FIRED_SLOW;
		v->alerted |= TI_SCAN_FIRED_SLOW;
	}
	q->until_ns = v->win_start_ns + q->window_ns;
	if (q->slow_window_ns &&
	    v->slow_start_ns + q->slow_window_ns < q->until_ns)
		q->until_ns = v->slow_start_ns + q->slow_window_ns;
	q->count = v->count;
	q->slow_count = v->slow_count;
	__builtin_memcpy(q->ports, v->ports, sizeof(q->ports));
	q->nports = v->nports;
	return fired;
}

/* A probe: a SYN or an invalid flag combination from ev's source. Leaves
 * in the scratch's q.until_ns how long this (local address, port) stays
 * counted in every window (0 when unknown). */
__noinline int ti_scan_probe(const struct ti_packet_event *ev, __u32 ifindex)
{
	struct ti_def_scratch *sc = ti_scratch();
	struct ti_pair_val *p, pinit = {};
	__u64 until;
	int fired;

	if (!ev || !sc)
		return 0;
	sc->pk.family = ev->tuple.family;
	sc->pk.dport = ev->tuple.dport;
	ti_src_addr_copy(sc->pk.src, ev->tuple.saddr, ev->tuple.family);
	ti_src_addr_copy(sc->pk.dst, ev->tuple.daddr, ev->tuple.family);
	p = bpf_map_lookup_elem(&ti_scan_pairs, &sc->pk);
	sc->q.now = ev->hdr.ts_ns;
	sc->q.seen_ns = p ? p->seen_ns : 0;
	sc->q.dport = ev->tuple.dport;
	sc->req.ifindex = ifindex;

	/* Vertical: distinct ports on one local address; slow window too. */
	__builtin_memcpy(sc->ck.src, sc->pk.src, TI_ADDR_LEN);
	__builtin_memcpy(sc->ck.dst, sc->pk.dst, TI_ADDR_LEN);
	sc->ck.family = sc->pk.family;
	sc->ck.kind = TI_CTR_VERTICAL;
	sc->q.window_ns = cfg_scan_window_ns;
	sc->q.threshold = cfg_scan_ports;
	sc->q.slow_window_ns = cfg_slow_window_ns;
	sc->q.slow_threshold = cfg_slow_ports;
	fired = ti_scan_count(&sc->ck, &sc->q);
	until = sc->q.until_ns;
	sc->q.until_ns = 0;
	if (fired) {
		__builtin_memcpy(sc->req.ports, sc->q.ports, sizeof(sc->req.ports));
		sc->req.nports = sc->q.nports;
		if (fired & TI_SCAN_FIRED_FAST) {
			sc->req.kind = TI_ALERT_VERTICAL_SCAN;
			sc->req.count = sc->q.count;
			sc->req.threshold = cfg_scan_ports;
			sc->req.window_ns = cfg_scan_window_ns;
			ti_alert(ev, &sc->req);
		}
		if (fired & TI_SCAN_FIRED_SLOW) {
			sc->req.kind = TI_ALERT_SLOW_SCAN;
			sc->req.count = sc->q.slow_count;
			sc->req.threshold = cfg_slow_ports;
			sc->req.window_ns = cfg_slow_window_ns;
			ti_alert(ev, &sc->req);
		}
	}

	/* Horizontal: distinct local addresses on one port. */
	__builtin_memset(sc->ck.dst, 0, TI_ADDR_LEN);
	sc->ck.port = sc->pk.dport;
	sc->ck.kind = TI_CTR_HORIZONTAL;
	sc->q.window_ns = cfg_hscan_window_ns;
	sc->q.threshold = cfg_hscan_hosts;
	sc->q.slow_window_ns = 0;
	if (ti_scan_count(&sc->ck, &sc->q) & TI_SCAN_FIRED_FAST) {
		sc->req.kind = TI_ALERT_HORIZONTAL_SCAN;
		sc->req.count = sc->q.count;
		sc->req.threshold = cfg_hscan_hosts;
		sc->req.window_ns = cfg_hscan_window_ns;
		sc->req.ports[0] = sc->pk.dport;
		sc->req.nports = 1;
		ti_alert(ev, &sc->req);
	}
	if (sc->q.until_ns < until)
		until = sc->q.until_ns;
	sc->q.until_ns = until;

	if (p) {
		p->seen_ns = sc->q.now;
	} else {
		pinit.seen_ns = sc->q.now;
		bpf_map_update_elem(&ti_scan_pairs, &sc->pk, &pinit, BPF_ANY);
	}
	return 0;
}

/* The final ACK of a handshake: the probe succeeded, so it no longer
 * counts against its source (scans are scored on failed attempts). */
static __always_inline void ti_uncount(struct ti_ctr_key *ck, __u64 seen_ns)
{
	struct ti_ctr_val *v = bpf_map_lookup_elem(&ti_scan_ctr, ck);

	if (!v)
		return;
	if (seen_ns >= v->win_start_ns && v->count)
		v->count--;
	if (seen_ns >= v->slow_start_ns && v->slow_count)
		v->slow_count--;
}

__noinline int ti_scan_complete(const struct ti_packet_event *ev)
{
	struct ti_def_counters *cnt = ti_def_cnt();
	struct ti_pair_key pk = {};
	struct ti_ctr_key ck = {};
	struct ti_pair_val *p;

	if (!ev || !cnt)
		return 0;
	pk.family = ev->tuple.family;
	pk.dport = ev->tuple.dport;
	ti_src_addr_copy(pk.src, ev->tuple.saddr, ev->tuple.family);
	ti_src_addr_copy(pk.dst, ev->tuple.daddr, ev->tuple.family);
	p = bpf_map_lookup_elem(&ti_scan_pairs, &pk);
	if (!p || p->completed)
		return 0;
	p->completed = 1;
	cnt->handshakes++;
	__builtin_memcpy(ck.src, pk.src, TI_ADDR_LEN);
	__builtin_memcpy(ck.dst, pk.dst, TI_ADDR_LEN);
	ck.family = pk.family;
	ck.kind = TI_CTR_VERTICAL;
	ti_uncount(&ck, p->seen_ns);
	__builtin_memset(ck.dst, 0, TI_ADDR_LEN);
	ck.port = pk.dport;
	ck.kind = TI_CTR_HORIZONTAL;
	ti_uncount(&ck, p->seen_ns);
	return 1;
}

/* A SYN without ACK: count it in its source's ti_syn_sources entry (always:
 * user space reads the counts); when plain (no FIN/RST either) and the
 * defences are on, run the token bucket and, unless this source's last
 * probe was to the same local address and port and is still counted in
 * every scan window, the scan detectors. So a repeated SYN costs one
 * per-source lookup; a new (local address, port) also the scan tables. */
__noinline int ti_defence_syn(const struct ti_packet_event *ev, __u32 ifindex,
			      __u32 plain)
{
	struct ti_def_counters *cnt = ti_def_cnt();
	struct ti_src_key key = {};
	struct ti_src_syn *r;
	struct ti_def_scratch *sc;
	int verdict = TI_DEF_PASS;
	__u64 now;

	if (!ev || !cnt)
		return TI_DEF_PASS;
	now = ev->hdr.ts_ns;
	key.family = ev->tuple.family;
	ti_src_addr_copy(key.addr, ev->tuple.saddr, ev->tuple.family);
	r = bpf_map_lookup_elem(&ti_syn_sources, &key);
	if (r) {
		r->syns++; /* racing CPUs may lose a count, as for every value here */
		if (plain && (cfg_def_detect || cfg_def_enforce))
			verdict = ti_syn_bucket(ev, r, ifindex, cnt);
		else
			r->last_ns = now;
	} else if ((sc = ti_scratch_get())) {
		/* A new source's first SYN passes and takes one token. The
		 * value is built in the scratch: the stack is short. */
		__builtin_memset(&sc->si, 0, sizeof(sc->si));
		sc->si.syns = 1;
		sc->si.last_ns = now;
		sc->si.tokens_nt = cfg_syn_burst * TI_NS_PER_S - TI_NS_PER_S;
		sc->si.win_start_ns = now;
		sc->si.win_syns = 1;
		/* A racing insert from another CPU loses one count at worst. */
		bpf_map_update_elem(&ti_syn_sources, &key, &sc->si, BPF_NOEXIST);
		cnt->new_sources++;
	}
	if (!plain)
		return TI_DEF_PASS;
	cnt->syns++;
	if (!cfg_def_detect || verdict != TI_DEF_PASS)
		return verdict;
	if (r && r->probe_dport == ev->tuple.dport && now <= r->probe_until_ns &&
	    ti_addr_eq(r->probe_dst, ev->tuple.daddr))
		return TI_DEF_PASS;
	ti_scan_probe(ev, ifindex);
	if (!r)
		r = bpf_map_lookup_elem(&ti_syn_sources, &key);
	sc = ti_scratch_get();
	if (r && sc) {
		__builtin_memcpy(r->probe_dst, ev->tuple.daddr, TI_ADDR_LEN);
		r->probe_dport = ev->tuple.dport;
		r->probe_until_ns = sc->q.until_ns;
	}
	return TI_DEF_PASS;
}

/* A parsed TCP segment: called for every SYN without ACK and, when
 * detecting or enforcing, for every segment. Inlined: one call level less
 * for the 512-byte stack the whole call chain shares. */
static __always_inline int ti_defence_tcp(const struct ti_packet_event *ev, __u32 ifindex)
{
	struct ti_def_counters *cnt = ti_def_cnt();
	struct ti_def_scratch *sc;
	__u8 base;
	__u32 kind;

	if (!ev || !cnt)
		return TI_DEF_PASS;
	base = ev->flags & (TI_TCP_SYN | TI_TCP_ACK | TI_TCP_RST | TI_TCP_FIN);
	if ((base & (TI_TCP_SYN | TI_TCP_ACK)) == TI_TCP_SYN) {
		if (base == TI_TCP_SYN)
			return ti_defence_syn(ev, ifindex, 1);
		ti_defence_syn(ev, ifindex, 0); /* SYN+FIN, SYN+RST */
	}
	if (!cfg_def_detect && !cfg_def_enforce)
		return TI_DEF_PASS;
	kind = ti_stealth_kind(ev->flags);
	if (kind) {
		cnt->stealth++;
		sc = cfg_def_detect ? ti_scratch() : NULL;
		if (sc) {
			sc->req.kind = kind;
			sc->req.count = 1;
			sc->req.ifindex = ifindex;
			sc->req.ports[0] = ev->tuple.dport;
			sc->req.nports = 1;
			ti_alert(ev, &sc->req);
			ti_scan_probe(ev, ifindex);
		}
	} else if (base == TI_TCP_ACK && !ev->payload_len && cfg_def_detect) {
		ti_scan_complete(ev);
	}
	return TI_DEF_PASS;
}

#endif /* DEFENCE_BPF_H */
