/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * parse.bpf.h - bounded, verifier-safe parsers for Ethernet/VLAN, IPv4,
 * IPv6 and TCP, shared by the XDP and TC ingress programs.
 *
 * Cursor style: every read is preceded by a check that the bytes are inside
 * [data, data_end). Loops have named constant bounds. Header fields are read
 * in network byte order and converted once, into the event record, which
 * holds host byte order (see tcpinspect.h).
 */
#ifndef PARSE_BPF_H
#define PARSE_BPF_H

#include "tcpinspect.h"

/* The includer may define TI_L3_HOOK(ev, l3_len): called as soon as the
 * IP addresses are in ev (before fragment, protocol and transport
 * checks); true stops the parse with TI_PARSE_BLOCKED. l3_len: bytes
 * from the IP header to the end of the frame. */
#ifndef TI_L3_HOOK
#define TI_L3_HOOK(ev, l3_len) false
#endif

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86DD)
#define ETH_P_8021Q_BE bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88A8)

#define IPPROTO_TCP_NUM 6
#define IPV6_NEXTHDR_HOP 0
#define IPV6_NEXTHDR_ROUTING 43
#define IPV6_NEXTHDR_FRAGMENT 44
#define IPV6_NEXTHDR_AUTH 51
#define IPV6_NEXTHDR_DEST 60
#define IPV4_FRAG_OFFSET_MASK 0x1fff

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
#define TCP_MAX_OPTION_BYTES 40
/* NOP, NOP, timestamps: the option block of nearly every data segment
 * from a stack with timestamps on (RFC 7323 appendix A), decoded without
 * the generic walk. */
#define TCP_OPT_NNTS_LEN 12
#define TCP_OPT_NNTS_HEAD 0x0101080aU /* NOP NOP kind 8 length 10, wire order */
/* MSS, SACK-permitted, timestamps, NOP, window scale: the SYN (and
 * SYN-ACK) of a Linux or Android stack with its defaults, decoded in place
 * too. Bytes 0-1, 4-7 and 16-18 are fixed. */
#define TCP_OPT_LSYN_LEN 20
#define TCP_OPT_LSYN_MSS_HEAD 0x0204U    /* kind 2 length 4 */
#define TCP_OPT_LSYN_SACK_TS 0x0402080aU /* kind 4 length 2, kind 8 length 10 */
#define TCP_OPT_LSYN_NOP_WS 0x010303U    /* NOP, kind 3 length 3 */

/* Outcome of parsing one frame. */
enum ti_parse_result {
	TI_PARSE_TCP = 0,  /* a TCP header was parsed into the event */
	TI_PARSE_NON_IP,   /* not IPv4/IPv6 */
	TI_PARSE_NON_TCP,  /* IP, but the transport is not TCP */
	TI_PARSE_FRAGMENT, /* a non-first fragment: no transport header */
	TI_PARSE_MALFORMED, /* truncated or out of range: *reason says why */
	TI_PARSE_BLOCKED,  /* TI_L3_HOOK said drop, after the IP header */
};

struct ti_cursor {
	void *pos;
	void *end;
};

struct vlan_hdr_ti {
	__be16 tci;
	__be16 encap_proto;
};

/* Ethernet with up to TI_MAX_VLAN_DEPTH tags. Returns 0 with the L3
 * protocol (big endian) in *l3_proto, or -1 with *reason set. (Not the
 * protocol itself with 0 for errors: ethertype 0 is a valid, non-IP frame,
 * found by the differential fuzzer.) */
static __always_inline int ti_parse_eth(struct ti_cursor *c,
					struct ti_packet_event *ev,
					__be16 *l3_proto, __u32 *reason)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;

	if ((void *)(eth + 1) > c->end) {
		*reason = TI_MAL_ETH_TRUNC;
		return -1;
	}
	proto = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (int i = 0; i < TI_MAX_VLAN_DEPTH; i++) {
		struct vlan_hdr_ti *vh = c->pos;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if ((void *)(vh + 1) > c->end) {
			*reason = TI_MAL_VLAN_TRUNC;
			return -1;
		}
		ev->vlan_id[i] = bpf_ntohs(vh->tci) & 0x0fff;
		ev->vlan_depth = i + 1;
		proto = vh->encap_proto;
		c->pos = vh + 1;
	}
	if (proto == ETH_P_8021Q_BE || proto == ETH_P_8021AD_BE) {
		*reason = TI_MAL_VLAN_TOO_DEEP;
		return -1;
	}
	*l3_proto = proto;
	return 0;
}

/*
 * IPv4 with options. l3_len is how many bytes of the frame follow the L2
 * header on the wire (it may exceed the linear data at TC). On success the
 * cursor is at the transport header and *l4_len is the transport length
 * taken from the IP header.
 */
static __always_inline int ti_parse_ipv4(struct ti_cursor *c,
					 struct ti_packet_event *ev,
					 __u32 l3_len, __u32 *l4_len,
					 __u32 *reason)
{
	struct iphdr *ip = c->pos;
	__u32 ihl_bytes, tot_len;

	if ((void *)(ip + 1) > c->end) {
		*reason = TI_MAL_IP4_TRUNC;
		return TI_PARSE_MALFORMED;
	}
	if (ip->version != 4) {
		*reason = TI_MAL_IP_BAD_VERSION;
		return TI_PARSE_MALFORMED;
	}
	ihl_bytes = ip->ihl * 4;
	if (ihl_bytes < sizeof(*ip)) {
		*reason = TI_MAL_IP4_BAD_IHL;
		return TI_PARSE_MALFORMED;
	}
	if (c->pos + ihl_bytes > c->end) {
		*reason = TI_MAL_IP4_TRUNC;
		return TI_PARSE_MALFORMED;
	}
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < ihl_bytes || tot_len > l3_len) {
		*reason = TI_MAL_IP4_BAD_LEN;
		return TI_PARSE_MALFORMED;
	}
	ev->tuple.family = TI_AF_INET;
	__builtin_memcpy(ev->tuple.saddr, &ip->saddr, 4);
	__builtin_memcpy(ev->tuple.daddr, &ip->daddr, 4);
	ev->ttl = ip->ttl;
	/* Defences on the source address (blocklist), for every protocol. */
	if (TI_L3_HOOK(ev, l3_len))
		return TI_PARSE_BLOCKED;

	if (bpf_ntohs(ip->frag_off) & IPV4_FRAG_OFFSET_MASK)
		return TI_PARSE_FRAGMENT;
	if (ip->protocol != IPPROTO_TCP_NUM)
		return TI_PARSE_NON_TCP;

	c->pos += ihl_bytes;
	*l4_len = tot_len - ihl_bytes;
	return TI_PARSE_TCP;
}

/* IPv6 with up to TI_MAX_IPV6_EXT extension headers. */
static __always_inline int ti_parse_ipv6(struct ti_cursor *c,
					 struct ti_packet_event *ev,
					 __u32 l3_len, __u32 *l4_len,
					 __u32 *reason)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 payload_len, ext_bytes = 0;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > c->end) {
		*reason = TI_MAL_IP6_TRUNC;
		return TI_PARSE_MALFORMED;
	}
	if (ip6->version != 6) {
		*reason = TI_MAL_IP_BAD_VERSION;
		return TI_PARSE_MALFORMED;
	}
	payload_len = bpf_ntohs(ip6->payload_len);
	/* A zero payload length means a jumbogram, which never reaches a TCP
	 * stack without GSO metadata; treat it as out of range. */
	if (payload_len == 0 || payload_len + sizeof(*ip6) > l3_len) {
		*reason = TI_MAL_IP6_BAD_LEN;
		return TI_PARSE_MALFORMED;
	}
	ev->tuple.family = TI_AF_INET6;
	__builtin_memcpy(ev->tuple.saddr, &ip6->saddr, 16);
	__builtin_memcpy(ev->tuple.daddr, &ip6->daddr, 16);
	ev->ttl = ip6->hop_limit;
	if (TI_L3_HOOK(ev, l3_len))
		return TI_PARSE_BLOCKED;
	nexthdr = ip6->nexthdr;
	c->pos = ip6 + 1;

#pragma unroll
	for (int i = 0; i < TI_MAX_IPV6_EXT; i++) {
		struct ipv6_opt_hdr *oh = c->pos;
		__u32 len;

		if (nexthdr != IPV6_NEXTHDR_HOP && nexthdr != IPV6_NEXTHDR_ROUTING &&
		    nexthdr != IPV6_NEXTHDR_DEST && nexthdr != IPV6_NEXTHDR_FRAGMENT &&
		    nexthdr != IPV6_NEXTHDR_AUTH)
			break;
		if ((void *)(oh + 1) > c->end) {
			*reason = TI_MAL_IP6_EXT_TRUNC;
			return TI_PARSE_MALFORMED;
		}
		if (nexthdr == IPV6_NEXTHDR_FRAGMENT) {
			struct frag_hdr *fh = c->pos;

			if ((void *)(fh + 1) > c->end) {
				*reason = TI_MAL_IP6_EXT_TRUNC;
				return TI_PARSE_MALFORMED;
			}
			ev->ip6_ext_count = i + 1;
			if (bpf_ntohs(fh->frag_off) & ~0x7)
				return TI_PARSE_FRAGMENT;
			len = sizeof(*fh);
		} else if (nexthdr == IPV6_NEXTHDR_AUTH) {
			len = ((__u32)oh->hdrlen + 2) * 4;
		} else {
			len = ((__u32)oh->hdrlen + 1) * 8;
		}
		if (c->pos + len > c->end) {
			*reason = TI_MAL_IP6_EXT_TRUNC;
			return TI_PARSE_MALFORMED;
		}
		ext_bytes += len;
		if (ext_bytes > payload_len) {
			*reason = TI_MAL_IP6_BAD_LEN;
			return TI_PARSE_MALFORMED;
		}
		nexthdr = oh->nexthdr;
		c->pos += len;
		ev->ip6_ext_count = i + 1;
	}
	if (nexthdr == IPV6_NEXTHDR_HOP || nexthdr == IPV6_NEXTHDR_ROUTING ||
	    nexthdr == IPV6_NEXTHDR_DEST || nexthdr == IPV6_NEXTHDR_FRAGMENT ||
	    nexthdr == IPV6_NEXTHDR_AUTH) {
		*reason = TI_MAL_IP6_EXT_TOO_DEEP;
		return TI_PARSE_MALFORMED;
	}
	if (nexthdr != IPPROTO_TCP_NUM)
		return TI_PARSE_NON_TCP;
	*l4_len = payload_len - ext_bytes;
	return TI_PARSE_TCP;
}

/*
 * TCP options: MSS, window scale, SACK-permitted, SACK, timestamps.
 *
 * The option bytes are first copied to the stack; one option at a time is
 * then decoded by a global (separately verified) function. Walking the
 * options in place with a variable packet offset makes the verifier's state
 * count explode; this way it checks the decoder once and the caller's loop
 * stays linear. A bad option length stops the walk and what was decoded
 * before it is kept.
 */
struct ti_tcp_opt_state {
	__u8 buf[TCP_MAX_OPTION_BYTES]; /* option bytes, wire order */
	__u32 len;    /* valid bytes in buf */
	__u32 off;    /* next option's offset in buf */
	__u32 ts_val; /* host byte order */
	__u32 ts_ecr; /* host byte order */
	__u16 mss;    /* host byte order */
	__u8 wscale;
	__u8 opts;    /* TI_OPT_* */
};

enum { TI_OPT_MORE = 0, TI_OPT_DONE = 1, TI_OPT_BAD = 2 };

/* Decode the option at st->off. Global so the verifier checks it once. */
__noinline int ti_tcp_opt_step(struct ti_tcp_opt_state *st)
{
	__u32 off, len;
	__u8 kind;

	if (!st)
		return TI_OPT_BAD;
	off = st->off;
	if (off >= st->len || off >= TCP_MAX_OPTION_BYTES)
		return TI_OPT_DONE;
	kind = st->buf[off];
	if (kind == TCPOPT_EOL)
		return TI_OPT_DONE;
	if (kind == TCPOPT_NOP) {
		st->off = off + 1;
		return TI_OPT_MORE;
	}
	if (off + 1 >= st->len || off + 1 >= TCP_MAX_OPTION_BYTES)
		return TI_OPT_BAD;
	len = st->buf[off + 1];
	if (len < 2 || off + len > st->len)
		return TI_OPT_BAD;
	/* From here off + len <= st->len <= TCP_MAX_OPTION_BYTES. */
	switch (kind) {
	case TCPOPT_MSS:
		if (len != 4 || off + 4 > TCP_MAX_OPTION_BYTES)
			return TI_OPT_BAD;
		st->mss = ((__u16)st->buf[off + 2] << 8) | st->buf[off + 3];
		st->opts |= TI_OPT_MSS;
		break;
	case TCPOPT_WSCALE:
		if (len != 3 || off + 3 > TCP_MAX_OPTION_BYTES)
			return TI_OPT_BAD;
		st->wscale = st->buf[off + 2];
		st->opts |= TI_OPT_WSCALE;
		break;
	case TCPOPT_SACK_PERM:
		if (len != 2)
			return TI_OPT_BAD;
		st->opts |= TI_OPT_SACK_OK;
		break;
	case TCPOPT_SACK:
		st->opts |= TI_OPT_SACK;
		break;
	case TCPOPT_TIMESTAMP:
		if (len != 10 || off + 10 > TCP_MAX_OPTION_BYTES)
			return TI_OPT_BAD;
		st->ts_val = ((__u32)st->buf[off + 2] << 24) |
			     ((__u32)st->buf[off + 3] << 16) |
			     ((__u32)st->buf[off + 4] << 8) | st->buf[off + 5];
		st->ts_ecr = ((__u32)st->buf[off + 6] << 24) |
			     ((__u32)st->buf[off + 7] << 16) |
			     ((__u32)st->buf[off + 8] << 8) | st->buf[off + 9];
		st->opts |= TI_OPT_TIMESTAMP;
		break;
	default:
		break;
	}
	st->off = off + len;
	return TI_OPT_MORE;
}

/*
 * Returns 0, or -1 if an option was malformed. The caller has checked that
 * the opt_len bytes at offset opt_off are inside the linear packet data;
 * they are copied with the hook's load_bytes helper (a fixed-size copy
 * from a variable packet offset is what keeps verification cheap).
 */
static __always_inline int ti_parse_tcp_options(void *ctx, bool is_xdp,
						__u32 opt_off, __u32 opt_len,
						struct ti_packet_event *ev)
{
	struct ti_tcp_opt_state st = {};
	__u32 len = opt_len & 0x3f;
	int ret = TI_OPT_DONE, err;

	if (len == 0 || len > TCP_MAX_OPTION_BYTES)
		return 0;
	if (is_xdp)
		err = bpf_xdp_load_bytes(ctx, opt_off, st.buf, len);
	else
		err = bpf_skb_load_bytes(ctx, opt_off, st.buf, len);
	if (err)
		return -1;
	st.len = len;
	for (int i = 0; i < TI_MAX_TCP_OPTS; i++) {
		ret = ti_tcp_opt_step(&st);
		if (ret != TI_OPT_MORE)
			break;
	}
	ev->mss = st.mss;
	ev->wscale = st.wscale;
	ev->ts_val = st.ts_val;
	ev->ts_ecr = st.ts_ecr;
	ev->opts = st.opts;
	return ret == TI_OPT_BAD ? -1 : 0;
}

/* The NOP, NOP, timestamps block, read in place: true when opt (whose
 * TCP_OPT_NNTS_LEN bytes the caller checked are in the packet) holds
 * exactly that layout; ev then has what the generic walk would give. */
static __always_inline bool ti_tcp_opts_nnts(const __u8 *opt,
					     struct ti_packet_event *ev)
{
	__u32 head, val, ecr;

	__builtin_memcpy(&head, opt, 4);
	if (head != bpf_htonl(TCP_OPT_NNTS_HEAD))
		return false;
	__builtin_memcpy(&val, opt + 4, 4);
	__builtin_memcpy(&ecr, opt + 8, 4);
	ev->ts_val = bpf_ntohl(val);
	ev->ts_ecr = bpf_ntohl(ecr);
	ev->opts = TI_OPT_TIMESTAMP;
	return true;
}

/* The Linux SYN block, read in place (the caller checked that its
 * TCP_OPT_LSYN_LEN bytes are in the packet); as ti_tcp_opts_nnts. */
static __always_inline bool ti_tcp_opts_lsyn(const __u8 *opt,
					     struct ti_packet_event *ev)
{
	__u32 w0, w1, val, ecr, w4;

	__builtin_memcpy(&w0, opt, 4);
	__builtin_memcpy(&w1, opt + 4, 4);
	__builtin_memcpy(&w4, opt + 16, 4);
	w0 = bpf_ntohl(w0);
	w4 = bpf_ntohl(w4);
	if (w0 >> 16 != TCP_OPT_LSYN_MSS_HEAD ||
	    w1 != bpf_htonl(TCP_OPT_LSYN_SACK_TS) ||
	    w4 >> 8 != TCP_OPT_LSYN_NOP_WS)
		return false;
	__builtin_memcpy(&val, opt + 8, 4);
	__builtin_memcpy(&ecr, opt + 12, 4);
	ev->mss = (__u16)w0;
	ev->wscale = (__u8)w4;
	ev->ts_val = bpf_ntohl(val);
	ev->ts_ecr = bpf_ntohl(ecr);
	ev->opts = TI_OPT_MSS | TI_OPT_SACK_OK | TI_OPT_TIMESTAMP | TI_OPT_WSCALE;
	return true;
}

/* TCP header with its data offset checked. l4_len is the transport length
 * from the IP header. *opt_err is set when an option was malformed.
 * *payload_off is the frame offset of the TCP payload (app hints). */
static __always_inline int ti_parse_tcp(void *ctx, bool is_xdp, void *data,
					struct ti_cursor *c,
					struct ti_packet_event *ev,
					__u32 l4_len, __u32 *reason,
					int *opt_err, __u32 *payload_off)
{
	struct tcphdr *th = c->pos;
	__u32 doff_bytes;

	if ((void *)(th + 1) > c->end) {
		*reason = TI_MAL_TCP_TRUNC;
		return TI_PARSE_MALFORMED;
	}
	doff_bytes = th->doff * 4;
	if (doff_bytes < sizeof(*th) || doff_bytes > l4_len) {
		*reason = TI_MAL_TCP_BAD_DOFF;
		return TI_PARSE_MALFORMED;
	}
	if (c->pos + doff_bytes > c->end) {
		*reason = TI_MAL_TCP_TRUNC;
		return TI_PARSE_MALFORMED;
	}
	ev->tuple.sport = bpf_ntohs(th->source);
	ev->tuple.dport = bpf_ntohs(th->dest);
	ev->seq = bpf_ntohl(th->seq);
	ev->ack_seq = bpf_ntohl(th->ack_seq);
	ev->window = bpf_ntohs(th->window);
	ev->flags = ((__u8 *)th)[13];
	ev->payload_len = l4_len - doff_bytes;
	*payload_off = (__u32)(c->pos - data) + doff_bytes;

	/* The common layouts: no helper call, no walk. */
	if (doff_bytes == sizeof(*th) + TCP_OPT_NNTS_LEN &&
	    (void *)(th + 1) + TCP_OPT_NNTS_LEN <= c->end &&
	    ti_tcp_opts_nnts((const __u8 *)(th + 1), ev))
		return TI_PARSE_TCP;
	if (doff_bytes == sizeof(*th) + TCP_OPT_LSYN_LEN &&
	    (void *)(th + 1) + TCP_OPT_LSYN_LEN <= c->end &&
	    ti_tcp_opts_lsyn((const __u8 *)(th + 1), ev))
		return TI_PARSE_TCP;
	*opt_err = ti_parse_tcp_options(ctx, is_xdp,
					(__u32)((void *)(th + 1) - data),
					doff_bytes - sizeof(*th), ev);
	return TI_PARSE_TCP;
}

/* Parse one frame from L2. ctx is the xdp_md or __sk_buff (is_xdp says
 * which); wire_len is the frame's full length (XDP: data_end - data; TC:
 * skb->len). */
static __always_inline int ti_parse_frame(void *ctx, bool is_xdp,
					  void *data, void *data_end,
					  __u32 wire_len,
					  struct ti_packet_event *ev,
					  __u32 *reason, int *opt_err,
					  __u32 *payload_off)
{
	struct ti_cursor c = { .pos = data, .end = data_end };
	__u32 l3_len, l4_len = 0;
	__be16 proto;
	int ret;

	if (ti_parse_eth(&c, ev, &proto, reason))
		return TI_PARSE_MALFORMED;
	l3_len = wire_len - (__u32)(c.pos - data);
	if (proto == ETH_P_IP_BE)
		ret = ti_parse_ipv4(&c, ev, l3_len, &l4_len, reason);
	else if (proto == ETH_P_IPV6_BE)
		ret = ti_parse_ipv6(&c, ev, l3_len, &l4_len, reason);
	else
		return TI_PARSE_NON_IP;
	if (ret != TI_PARSE_TCP)
		return ret;
	return ti_parse_tcp(ctx, is_xdp, data, &c, ev, l4_len, reason, opt_err,
			    payload_off);
}

#endif /* PARSE_BPF_H */
