// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inspector.bpf.c - the packet inspector: parses every incoming frame at
 * XDP (or TC ingress where XDP can't attach), keeps per-CPU counters and a
 * per-source SYN table (defence.bpf.h), and sends selected TCP segments to user space.
 * Verdicts: everything passes unless a defence (blocklist, rate limit)
 * decides to drop.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "defence.bpf.h" /* before parse.bpf.h: defines TI_L3_HOOK */
#include "parse.bpf.h"
#include "ring_wake.bpf.h"

/* TC_ACT_UNSPEC is TCX_NEXT: pass the packet on to the next program of a
 * TCX chain (or the next clsact filter). TC_ACT_OK would end the chain and
 * hide every program attached after ours. */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
/* At TC the headers may sit outside the linear area; then this many bytes
 * (or the whole frame if shorter) are pulled before parsing. Covers
 * Ethernet, two VLAN tags, IPv6 with extension headers and a TCP header
 * with options. */
#define TI_TC_PULL_LEN 192

/* Settings fixed at load time (set by user space through .rodata). */
const volatile bool cfg_all_packets = false; /* event for every TCP segment */
const volatile __u16 cfg_family = 0;         /* 0 = both, TI_AF_INET(6) */
const volatile bool cfg_port_filter = false; /* consult ti_ports */
/* packet events selected (watch --events); off, no segment reserves one */
const volatile bool cfg_pkt_events = true;
/* Wake the reader once this many bytes of the packet ring wait; 0 = on
 * every record (user space sets a quarter of the ring: see ti_pkt_wake). */
const volatile __u32 cfg_pkt_wake_bytes = 0;

/* One struct of counters per CPU, summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_pkt_counters);
} ti_pkt_stats SEC(".maps");

/* Destination ports to report (when cfg_port_filter); value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} ti_ports SEC(".maps");

/* Packet events to user space. Sized by user space before load
 * (src/inspector.c: small unless every segment is reported). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} ti_pkt_events SEC(".maps");

/* Submit flag of a packet-ring record of size bytes: wake the reader once
 * cfg_pkt_wake_bytes wait (ring_wake.bpf.h). */
static __always_inline __u64 ti_pkt_wake(__u32 size)
{
	return ti_ring_wake_at(&ti_pkt_events, cfg_pkt_wake_bytes, size);
}

/* App hints, capture and the pushed-down filter (uses the maps above). */
#include "capture.bpf.h"

static __always_inline bool wants_event(const struct ti_packet_event *ev)
{
	if (!cfg_pkt_events)
		return false;
	if (cfg_family && ev->tuple.family != cfg_family)
		return false;
	if (cfg_port_filter && !bpf_map_lookup_elem(&ti_ports, &ev->tuple.dport))
		return false;
	if (cfg_all_packets)
		return true;
	return ev->flags & (TI_TCP_SYN | TI_TCP_RST | TI_TCP_FIN);
}

/* Verdict of inspect(), mapped to XDP_* / TC_ACT_* by each hook. */
enum ti_verdict { TI_VERDICT_PASS = 0, TI_VERDICT_DROP = 1 };

static __always_inline int inspect(void *ctx, void *data, void *data_end,
				   __u32 wire_len, __u32 ifindex, __u8 hook)
{
	struct ti_packet_event ev = {};
	struct ti_pkt_counters *cnt;
	struct ti_packet_event *out;
	__u32 zero = 0, reason = 0;
	int ret, opt_err = 0;
	__u32 payload_off = 0;

	cnt = bpf_map_lookup_elem(&ti_pkt_stats, &zero);
	if (!cnt)
		return TI_VERDICT_PASS;
	cnt->packets++;
	cnt->bytes += wire_len;

	ret = ti_parse_frame(ctx, hook == TI_HOOK_XDP, data, data_end, wire_len,
			     &ev, &reason, &opt_err, &payload_off);
	if (ev.tuple.family == TI_AF_INET)
		cnt->ipv4++;
	else if (ev.tuple.family == TI_AF_INET6)
		cnt->ipv6++;

	switch (ret) {
	case TI_PARSE_TCP:
		break;
	case TI_PARSE_NON_IP:
		cnt->non_ip++;
		return TI_VERDICT_PASS;
	case TI_PARSE_NON_TCP:
		cnt->non_tcp++;
		return TI_VERDICT_PASS;
	case TI_PARSE_FRAGMENT:
		cnt->fragments++;
		return TI_VERDICT_PASS;
	case TI_PARSE_BLOCKED:
		return TI_VERDICT_DROP;
	default:
		if (reason < TI_MAL_MAX)
			cnt->malformed[reason]++;
		return TI_VERDICT_PASS;
	}

	cnt->tcp_packets++;
	cnt->tcp_bytes += wire_len;
	if (opt_err)
		cnt->malformed[TI_MAL_TCP_BAD_OPT]++;
#pragma unroll
	for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++)
		if (ev.flags & (1 << bit))
			cnt->flags[bit]++;

	/* The clock costs more than the rest of a data segment's path
	 * together: read it only when something may use the time. That is
	 * every reported or captured segment and every SYN, FIN or RST;
	 * defence.bpf.h reads it for control segments only (SYNs, stealth
	 * flag combinations, pure ACKs), never for a plain data segment (ACK
	 * with payload, no SYN, FIN or RST). App hints read their own. */
	if (cfg_all_packets || cfg_snaplen ||
	    (ev.flags & (TI_TCP_SYN | TI_TCP_FIN | TI_TCP_RST)) ||
	    ((cfg_def_detect || cfg_def_enforce) &&
	     (!(ev.flags & TI_TCP_ACK) || !ev.payload_len)))
		ev.hdr.ts_ns = ti_now_ns(); /* the capture's time in replay */
	/* SYNs always: the per-source SYN table lives in defence.bpf.h. */
	if ((cfg_def_detect || cfg_def_enforce ||
	     (ev.flags & (TI_TCP_SYN | TI_TCP_ACK)) == TI_TCP_SYN) &&
	    ti_defence_tcp(&ev, ifindex) == TI_DEF_DROP)
		return TI_VERDICT_DROP;

	if (!ti_app_capture(ctx, hook == TI_HOOK_XDP, &ev, payload_off,
			    wire_len, ifindex, hook))
		return TI_VERDICT_PASS;
	if (!wants_event(&ev))
		return TI_VERDICT_PASS;

	out = bpf_ringbuf_reserve(&ti_pkt_events, sizeof(*out), 0);
	if (!out) {
		cnt->events_dropped++;
		return TI_VERDICT_PASS;
	}
	ev.hdr.type = TI_EV_PACKET;
	ev.hdr.cpu = bpf_get_smp_processor_id();
	ev.ifindex = ifindex;
	ev.pkt_len = wire_len;
	ev.hook = hook;
	__builtin_memcpy(out, &ev, sizeof(ev));
	bpf_ringbuf_submit(out, ti_pkt_wake(sizeof(*out)));
	cnt->events_sent++;
	return TI_VERDICT_PASS;
}

SEC("xdp")
int ti_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (inspect(ctx, data, data_end, (__u32)(data_end - data),
		    ctx->ingress_ifindex, TI_HOOK_XDP) == TI_VERDICT_DROP)
		return XDP_DROP;
	return XDP_PASS;
}

/*
 * True when every header the parser reads lies in [data, data_end):
 * Ethernet with its VLAN tags, the IP header and, for TCP, the TCP header
 * up to its data offset. Conservative: an IPv6 extension header, or
 * anything that does not fit, says no (and the caller pulls). A pull
 * reallocates the skb head and copies payload, and most frames need none:
 * a local sender's segment on veth carries exactly its headers linear.
 */
static __always_inline bool ti_tc_headers_linear(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *pos = eth + 1;
	__u32 l4_off = 0;
	__be16 proto;
	__u8 l4_proto;

	if (pos > data_end)
		return false;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < TI_MAX_VLAN_DEPTH; i++) {
		struct vlan_hdr_ti *vh = pos;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if ((void *)(vh + 1) > data_end)
			return false;
		proto = vh->encap_proto;
		pos = vh + 1;
	}
	if (proto == ETH_P_IP_BE) {
		struct iphdr *ip = pos;

		if ((void *)(ip + 1) > data_end)
			return false;
		l4_off = ip->ihl * 4;
		l4_proto = ip->protocol;
	} else if (proto == ETH_P_IPV6_BE) {
		struct ipv6hdr *ip6 = pos;

		if ((void *)(ip6 + 1) > data_end)
			return false;
		l4_off = sizeof(*ip6);
		l4_proto = ip6->nexthdr;
		if (l4_proto != IPPROTO_TCP_NUM)
			return false; /* extension headers: not followed here */
	} else {
		return true; /* the parser stops at the Ethernet header */
	}
	if (pos + l4_off > data_end)
		return false;
	if (l4_proto != IPPROTO_TCP_NUM)
		return true;
	pos += l4_off;
	if (pos + sizeof(struct tcphdr) > data_end)
		return false;
	return pos + ((struct tcphdr *)pos)->doff * 4 <= data_end;
}

SEC("tc")
int ti_tc(struct __sk_buff *skb)
{
	__u32 wire_len = skb->len;
	__u32 want = wire_len < TI_TC_PULL_LEN ? wire_len : TI_TC_PULL_LEN;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (data + want > data_end && !ti_tc_headers_linear(data, data_end)) {
		/* Rare (headers outside the linear area): pull, then reload
		 * the pointers, which the helper invalidated. */
		bpf_skb_pull_data(skb, want);
		asm volatile("" ::: "memory");
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	if (inspect(skb, data, data_end, wire_len, skb->ifindex, TI_HOOK_TC) ==
	    TI_VERDICT_DROP) {
		skb->mark = TI_BLOCK_DROP_MARK; /* not a `drop` event: see the define */
		return TC_ACT_SHOT;
	}
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
