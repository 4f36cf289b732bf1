/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture.bpf.h - kernel side of application hints, packet capture and the
 * address/port filter pushed down from a tcpdump expression.
 *
 * Included by inspector.bpf.c after its maps and settings (it uses
 * ti_pkt_events, ti_pkt_wake(), ti_ports, cfg_family and cfg_port_filter). Everything here
 * is off unless user space turns it on at load time (.rodata), so a plain
 * `watch --no-app` or the test fixtures pay nothing: the verifier prunes
 * the disabled paths.
 *
 *  - App hints: a client's SYN records ISN + 1 for its tuple (bounded
 *    set-associative table);
 *    the first data segment at exactly that sequence number has up to
 *    TI_APP_PREFIX_LEN payload bytes copied into a TI_EV_APP record and the
 *    tuple is forgotten. Connections already open when tracing starts, and
 *    outgoing ones, get no hint.
 *  - Capture: every TCP frame that passes the filter is copied (snaplen
 *    bytes, bounded by TI_CAP_MAX_SNAPLEN) into a separate ring buffer, so
 *    a slow pcap writer never costs packet events.
 *  - Filter: (saddr in ti_flt_src_nets OR daddr in ti_flt_dst_nets) AND
 *    (sport in ti_flt_ports with TI_FLT_SRC OR dport with TI_FLT_DST); each
 *    half only when enabled. User space makes it a superset of the exact
 *    libpcap filter, which it still applies to whatever arrives.
 */
#ifndef CAPTURE_BPF_H
#define CAPTURE_BPF_H

#include "tcpinspect.h"
#include "ring_wake.bpf.h"

const volatile bool cfg_app_hints = false;
const volatile __u32 cfg_snaplen = 0;       /* 0: capture off */
const volatile bool cfg_flt_nets = false;   /* consult ti_flt_*_nets */
const volatile bool cfg_flt_ports = false;  /* consult ti_flt_ports */

/* Replay (BPF_PROG_TEST_RUN) sets this to the capture timestamp of the
 * frame it is about to run, so that time windows follow the capture; 0 in
 * live inspection. Writable: it lives in .bss. */
volatile __u64 ti_clock_override = 0;

static __always_inline __u64 ti_now_ns(void)
{
	__u64 t = ti_clock_override;

	return t ? t : bpf_ktime_get_ns();
}

/*
 * Connections whose first data segment is awaited: tuple -> ISN + 1, in a
 * set-associative table (TI_APP_SETS sets of TI_APP_WAYS ways) in an
 * array. A SYN costs a hash, one array access and plain stores, where an
 * LRU hash update (allocation, LRU list locks) cost about as much as the
 * rest of the SYN's path; a data segment, one array access and compares.
 * A full set replaces its ways in turn (FIFO), so a SYN flood only
 * evicts older entries, as an LRU would. The set index is a keyed hash
 * (cfg_app_seed, random per load) so that a remote sender cannot aim its
 * SYNs at one set. Racing CPUs on one set may lose an entry (one hint),
 * never mix two: a way is used only when its whole tuple and the
 * sequence number match.
 */
#define TI_APP_WAYS 4    /* per set; a power of two */
#define TI_APP_SETS 4096 /* a power of two: 16384 entries in all */

const volatile __u64 cfg_app_seed = 0;

#define TI_TUPLE_WORDS (sizeof(struct ti_tuple) / sizeof(__u64))
_Static_assert(sizeof(struct ti_tuple) % sizeof(__u64) == 0 &&
		       __builtin_offsetof(struct ti_packet_event, tuple) % sizeof(__u64) == 0,
	       "a packet event's tuple is read as aligned __u64 words");

/* A tuple seen as words: hashed and compared with 64-bit loads (through
 * struct ti_tuple, 2-byte aligned, clang reads it byte by byte). */
union ti_app_key {
	struct ti_tuple tuple;
	__u64 w[TI_TUPLE_WORDS];
};

struct ti_app_way {
	union ti_app_key key; /* tuple.family 0: free */
	__u32 next_seq;       /* ISN + 1, host byte order */
	__u32 pad;
};

struct ti_app_set {
	struct ti_app_way way[TI_APP_WAYS];
	__u32 victim; /* next way to replace when none is free */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TI_APP_SETS);
	__type(key, __u32);
	__type(value, struct ti_app_set);
} ti_app_pending SEC(".maps");

static __always_inline struct ti_app_set *ti_app_set_of(const union ti_app_key *k)
{
	__u64 h = cfg_app_seed;
	__u32 idx;

#pragma unroll
	for (int i = 0; i < (int)TI_TUPLE_WORDS; i++)
		/* Multiplicative mixing: the high half depends on every bit. */
		h = (h ^ k->w[i]) * 0x9e3779b97f4a7c15ULL;
	idx = (__u32)(h >> 32) & (TI_APP_SETS - 1);
	return bpf_map_lookup_elem(&ti_app_pending, &idx);
}

static __always_inline bool ti_app_key_eq(const union ti_app_key *a,
					  const union ti_app_key *b)
{
#pragma unroll
	for (int i = 0; i < (int)TI_TUPLE_WORDS; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

/* A client's SYN: remember ISN + 1 for its tuple (a retransmitted SYN
 * takes its own way again). */
static __always_inline void ti_app_remember(const union ti_app_key *key,
					    __u32 next_seq)
{
	struct ti_app_set *set = ti_app_set_of(key);
	__u32 pick = TI_APP_WAYS;

	if (!set)
		return;
#pragma unroll
	for (int i = 0; i < TI_APP_WAYS; i++) {
		if (ti_app_key_eq(&set->way[i].key, key)) {
			pick = i;
			break;
		}
		if (pick == TI_APP_WAYS && !set->way[i].key.tuple.family)
			pick = i;
	}
	if (pick == TI_APP_WAYS) {
		pick = set->victim & (TI_APP_WAYS - 1);
		set->victim = pick + 1;
	}
	pick &= TI_APP_WAYS - 1;
	set->way[pick].key = *key;
	set->way[pick].next_seq = next_seq;
}

/* A data segment at seq: true once, for the awaited first segment of its
 * tuple (the entry is freed). */
static __always_inline bool ti_app_take(const union ti_app_key *key, __u32 seq)
{
	struct ti_app_set *set = ti_app_set_of(key);

	if (!set)
		return false;
#pragma unroll
	for (int i = 0; i < TI_APP_WAYS; i++) {
		struct ti_app_way *w = &set->way[i];

		if (w->next_seq == seq && ti_app_key_eq(&w->key, key)) {
			w->key.tuple.family = 0;
			return true;
		}
	}
	return false;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);  /* host byte order */
	__type(value, __u8); /* TI_FLT_SRC | TI_FLT_DST */
} ti_flt_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ti_net_key);
	__type(value, __u8);
} ti_flt_src_nets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ti_net_key);
	__type(value, __u8);
} ti_flt_dst_nets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_cap_counters);
} ti_cap_stats SEC(".maps");

/* Staging area for a capture record: ring-buffer reservations need a
 * constant size, bpf_ringbuf_output then copies only the bytes used. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_cap_record);
} ti_cap_scratch SEC(".maps");

/* Captured frames. One page unless user space sizes it for a capture. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ti_cap_events SEC(".maps");

static __always_inline bool ti_flt_net_has(void *map, const __u8 *addr,
					   __u16 family)
{
	struct ti_net_key k = {};

	k.prefixlen = 32 + (family == TI_AF_INET ? 32 : 128);
	k.family = family;
	__builtin_memcpy(k.addr, addr, TI_ADDR_LEN);
	return bpf_map_lookup_elem(map, &k) != NULL;
}

static __always_inline bool ti_flt_port_has(__u16 port, __u8 dir)
{
	__u8 *v = bpf_map_lookup_elem(&ti_flt_ports, &port);

	return v && (*v & dir);
}

/* The pushed-down part of the user's filter. */
static __always_inline bool ti_filter_match(const struct ti_packet_event *ev)
{
	if (cfg_flt_nets &&
	    !ti_flt_net_has(&ti_flt_src_nets, ev->tuple.saddr, ev->tuple.family) &&
	    !ti_flt_net_has(&ti_flt_dst_nets, ev->tuple.daddr, ev->tuple.family))
		return false;
	if (cfg_flt_ports && !ti_flt_port_has(ev->tuple.sport, TI_FLT_SRC) &&
	    !ti_flt_port_has(ev->tuple.dport, TI_FLT_DST))
		return false;
	return true;
}

static __always_inline void ti_app_hint(void *ctx, bool is_xdp,
					const struct ti_packet_event *ev,
					__u32 payload_off, __u32 ifindex,
					__u8 hook, struct ti_cap_counters *cc)
{
	struct ti_app_event *out;
	union ti_app_key key;
	__u64 len; /* 64-bit: a 32-bit copy loses the bounds for the helper */
	long err;

	if (!cfg_app_hints)
		return;
	if (cfg_family && ev->tuple.family != cfg_family)
		return;
	if (cfg_port_filter && !bpf_map_lookup_elem(&ti_ports, &ev->tuple.dport))
		return;
	__builtin_memcpy(key.w, __builtin_assume_aligned(&ev->tuple, 8),
			 sizeof(key.w));
	key.tuple.pad = 0;
	if ((ev->flags & (TI_TCP_SYN | TI_TCP_ACK)) == TI_TCP_SYN) {
		ti_app_remember(&key, ev->seq + 1);
		return;
	}
	if (!ev->payload_len)
		return;
	/* Only the segment that starts the byte stream: a later or
	 * retransmitted-out-of-order one would be parsed from the middle. */
	if (!ti_app_take(&key, ev->seq))
		return;

	out = bpf_ringbuf_reserve(&ti_pkt_events, sizeof(*out), 0);
	if (!out) {
		cc->app_dropped++;
		return;
	}
	/* inspect() reads the clock only for segments that need it. */
	out->hdr.ts_ns = ev->hdr.ts_ns ? ev->hdr.ts_ns : ti_now_ns();
	out->hdr.type = TI_EV_APP;
	out->hdr.cpu = bpf_get_smp_processor_id();
	out->tuple = key.tuple;
	out->ifindex = ifindex;
	out->seq = ev->seq;
	out->payload_len = ev->payload_len;
	out->hook = hook;
	out->pad[0] = out->pad[1] = out->pad[2] = 0;
	len = ev->payload_len;
	if (len > TI_APP_PREFIX_LEN)
		len = TI_APP_PREFIX_LEN;
	if (len == 0) {
		err = -1;
	} else if (is_xdp) {
		err = bpf_xdp_load_bytes(ctx, payload_off, out->data, len);
	} else {
		err = bpf_skb_load_bytes(ctx, payload_off, out->data, len);
	}
	out->cap_len = err ? 0 : len;
	bpf_ringbuf_submit(out, ti_pkt_wake(sizeof(*out)));
	cc->app_events++;
}

static __always_inline void ti_capture(void *ctx, bool is_xdp, __u64 ts_ns,
				       __u32 wire_len, __u32 ifindex, __u8 hook,
				       struct ti_cap_counters *cc)
{
	struct ti_cap_record *rec;
	__u32 zero = 0;
	__u64 len = wire_len; /* 64-bit: see ti_app_hint */

	if (!cfg_snaplen)
		return;
	rec = bpf_map_lookup_elem(&ti_cap_scratch, &zero);
	if (!rec)
		return;
	if (len > cfg_snaplen)
		len = cfg_snaplen;
	if (len > TI_CAP_MAX_SNAPLEN)
		len = TI_CAP_MAX_SNAPLEN;
	if (len == 0)
		return;
	if (is_xdp ? bpf_xdp_load_bytes(ctx, 0, rec->data, len)
		   : bpf_skb_load_bytes(ctx, 0, rec->data, len)) {
		cc->cap_dropped++;
		return;
	}
	rec->hdr.ts_ns = ts_ns;
	rec->hdr.type = TI_EV_CAPTURE;
	rec->hdr.cpu = bpf_get_smp_processor_id();
	rec->ifindex = ifindex;
	rec->wire_len = wire_len;
	rec->cap_len = len;
	rec->hook = hook;
	__u32 rec_len = __builtin_offsetof(struct ti_cap_record, data) + len;

	if (bpf_ringbuf_output(&ti_cap_events, rec, rec_len,
			       ti_ring_wake_flag(&ti_cap_events, rec_len)))
		cc->cap_dropped++;
	else
		cc->captured++;
}

/*
 * The work behind ti_app_capture, in its own BPF-to-BPF call so that its
 * locals (keys, tuples) live in its own stack frame rather than in
 * inspect()'s, which the defence's call chain shares (512-byte limit on a
 * chain). lens = wire_len << 32 | payload_off; where = ifindex << 32 | hook
 * (BPF calls take at most five arguments). Returns 0 to drop the event.
 */
static __noinline int ti_app_capture_slow(void *ctx,
					  const struct ti_packet_event *ev,
					  __u64 lens, __u64 where)
{
	struct ti_cap_counters *cc;
	__u32 zero = 0, ifindex = (__u32)(where >> 32);
	__u8 hook = (__u8)where;
	bool is_xdp = hook == TI_HOOK_XDP;

	cc = bpf_map_lookup_elem(&ti_cap_stats, &zero);
	if (!cc)
		return 1;
	if (!ti_filter_match(ev)) {
		cc->filtered_out++;
		return 0;
	}
	ti_app_hint(ctx, is_xdp, ev, (__u32)lens, ifindex, hook, cc);
	ti_capture(ctx, is_xdp, ev->hdr.ts_ns, (__u32)(lens >> 32), ifindex,
		   hook, cc);
	return 1;
}

/* Called by inspect() for every parsed TCP segment. Returns false when the
 * filter rejects the segment (no event of any kind for it). */
static __always_inline bool ti_app_capture(void *ctx, bool is_xdp,
					   const struct ti_packet_event *ev,
					   __u32 payload_off, __u32 wire_len,
					   __u32 ifindex, __u8 hook)
{
	(void)is_xdp; /* derived from hook in the callee */
	if (!cfg_app_hints && !cfg_snaplen && !cfg_flt_nets && !cfg_flt_ports)
		return true;
	return ti_app_capture_slow(ctx, ev,
				   ((__u64)wire_len << 32) | payload_off,
				   ((__u64)ifindex << 32) | hook) != 0;
}

#endif /* CAPTURE_BPF_H */
