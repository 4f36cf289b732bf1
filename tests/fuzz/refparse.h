/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * refparse.h - an independent user-space model of the packet inspector's
 * parser, written from its specification (the comments of src/parse.bpf.h,
 * src/tcpinspect.h and docs/events.md), not from the BPF code. The
 * differential fuzzer (pktdiff.h) runs every frame through both and any
 * disagreement is a bug in one of them.
 *
 * The specification, as this model reads it:
 *   Ethernet: 14 bytes, else eth_truncated. Up to two 802.1Q/802.1ad tags
 *     (4 bytes each, else vlan_truncated; id = low 12 bits of the TCI,
 *     outermost first); a third tag is vlan_too_deep. Any other ethertype
 *     than IPv4/IPv6 after the tags: non-IP.
 *   "The wire length after L2" (l3 bytes) bounds the IP length fields.
 *   IPv4: 20 bytes (else ipv4_truncated), version 4 (else ip_bad_version),
 *     IHL >= 5 (else ipv4_bad_ihl), IHL*4 bytes present (else
 *     ipv4_truncated), IHL*4 <= total length <= l3 bytes (else
 *     ipv4_bad_total_length). From here the frame counts as IPv4. A
 *     non-zero fragment offset is a non-first fragment; a protocol other
 *     than 6 is non-TCP. TCP length = total length - IHL*4.
 *   IPv6: 40 bytes (else ipv6_truncated), version 6, payload length
 *     non-zero and payload + 40 <= l3 bytes (else ipv6_bad_payload_length).
 *     From here it counts as IPv6. At most six extension headers (hop-by-
 *     hop 0, routing 43, fragment 44, AH 51, destination 60): each needs its
 *     first two bytes (fragment: all eight) and its whole length in the
 *     frame, else ipv6_ext_truncated; lengths add up to at most the payload
 *     length, else ipv6_bad_payload_length; a fragment header with a
 *     non-zero offset makes a non-first fragment; a seventh extension
 *     header is ipv6_ext_too_deep. TCP length = payload - extension bytes.
 *   TCP: 20 bytes present (else tcp_truncated), 20 <= data offset*4 <= TCP
 *     length (else tcp_bad_data_offset), data offset*4 bytes present (else
 *     tcp_truncated). Payload length = TCP length - data offset*4.
 *   TCP options: at most ten are walked (NOP counts as one); EOL ends the
 *     walk; MSS (length 4), window scale (3), SACK-permitted (2),
 *     timestamps (10) and SACK (any valid length) are decoded, other kinds
 *     skipped by their length. A missing or bad length byte (< 2, past the
 *     option space, or wrong for the kind) stops the walk: tcp_bad_option
 *     is counted and the options decoded before it are kept; the segment is
 *     still a parsed TCP segment with an event.
 */
#ifndef TI_REFPARSE_H
#define TI_REFPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include "tcpinspect.h"

enum ref_class { REF_TCP, REF_NON_IP, REF_NON_TCP, REF_FRAGMENT, REF_MALFORMED };

struct ref_result {
	enum ref_class cls;
	int reason;      /* enum ti_malformed_reason, for REF_MALFORMED */
	uint16_t family; /* counted as TI_AF_INET / TI_AF_INET6, or 0 */
	bool bad_option; /* REF_TCP with tcp_bad_option counted */
	/* REF_TCP: the event's parsed fields (tuple, seq, ack_seq, window,
	 * flags, ttl, payload_len, options, vlan, ip6_ext_count). */
	struct ti_packet_event ev;
};

static inline uint16_t ref_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ref_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline bool ref_is_vlan(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8;
}

static inline bool ref_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static inline enum ref_class ref_malformed(struct ref_result *r, int reason)
{
	r->reason = reason;
	return r->cls = REF_MALFORMED;
}

/* Decode the option bytes opt[0..len); returns true if a bad one stopped
 * the walk. */
static inline bool ref_tcp_options(const uint8_t *opt, size_t len,
				   struct ti_packet_event *ev)
{
	size_t at = 0;

	for (int walked = 0; walked < TI_MAX_TCP_OPTS; walked++) {
		uint8_t kind, olen;

		if (at >= len || opt[at] == 0) /* end of space, or EOL */
			return false;
		kind = opt[at];
		if (kind == 1) { /* NOP */
			at++;
			continue;
		}
		if (at + 2 > len)
			return true;
		olen = opt[at + 1];
		if (olen < 2 || at + olen > len)
			return true;
		const uint8_t *v = opt + at + 2;

		if (kind == 2) {
			if (olen != 4)
				return true;
			ev->mss = ref_be16(v);
			ev->opts |= TI_OPT_MSS;
		} else if (kind == 3) {
			if (olen != 3)
				return true;
			ev->wscale = v[0];
			ev->opts |= TI_OPT_WSCALE;
		} else if (kind == 4) {
			if (olen != 2)
				return true;
			ev->opts |= TI_OPT_SACK_OK;
		} else if (kind == 5) {
			ev->opts |= TI_OPT_SACK;
		} else if (kind == 8) {
			if (olen != 10)
				return true;
			ev->ts_val = ref_be32(v);
			ev->ts_ecr = ref_be32(v + 4);
			ev->opts |= TI_OPT_TIMESTAMP;
		}
		at += olen;
	}
	return false;
}

static inline enum ref_class ref_tcp(const uint8_t *f, size_t n, size_t at,
				     uint32_t tcp_len, struct ref_result *r)
{
	struct ti_packet_event *ev = &r->ev;
	uint32_t hlen;

	if (n < at + 20)
		return ref_malformed(r, TI_MAL_TCP_TRUNC);
	hlen = (uint32_t)(f[at + 12] >> 4) * 4;
	if (hlen < 20 || hlen > tcp_len)
		return ref_malformed(r, TI_MAL_TCP_BAD_DOFF);
	if (n < at + hlen)
		return ref_malformed(r, TI_MAL_TCP_TRUNC);
	ev->tuple.sport = ref_be16(f + at);
	ev->tuple.dport = ref_be16(f + at + 2);
	ev->seq = ref_be32(f + at + 4);
	ev->ack_seq = ref_be32(f + at + 8);
	ev->flags = f[at + 13];
	ev->window = ref_be16(f + at + 14);
	ev->payload_len = (uint16_t)(tcp_len - hlen);
	r->bad_option = ref_tcp_options(f + at + 20, hlen - 20, ev);
	return r->cls = REF_TCP;
}

static inline enum ref_class ref_ipv4(const uint8_t *f, size_t n, size_t at,
				      struct ref_result *r)
{
	size_t l3 = n - at;
	uint32_t ihl, total;

	if (l3 < 20)
		return ref_malformed(r, TI_MAL_IP4_TRUNC);
	if (f[at] >> 4 != 4)
		return ref_malformed(r, TI_MAL_IP_BAD_VERSION);
	ihl = (uint32_t)(f[at] & 0x0f) * 4;
	if (ihl < 20)
		return ref_malformed(r, TI_MAL_IP4_BAD_IHL);
	if (ihl > l3)
		return ref_malformed(r, TI_MAL_IP4_TRUNC);
	total = ref_be16(f + at + 2);
	if (total < ihl || total > l3)
		return ref_malformed(r, TI_MAL_IP4_BAD_LEN);
	r->family = TI_AF_INET;
	r->ev.tuple.family = TI_AF_INET;
	memcpy(r->ev.tuple.saddr, f + at + 12, 4);
	memcpy(r->ev.tuple.daddr, f + at + 16, 4);
	r->ev.ttl = f[at + 8];
	if (ref_be16(f + at + 6) & 0x1fff)
		return r->cls = REF_FRAGMENT;
	if (f[at + 9] != 6)
		return r->cls = REF_NON_TCP;
	return ref_tcp(f, n, at + ihl, total - ihl, r);
}

static inline enum ref_class ref_ipv6(const uint8_t *f, size_t n, size_t at,
				      struct ref_result *r)
{
	size_t l3 = n - at, pos;
	uint32_t payload, ext_total = 0;
	uint8_t next;
	int count;

	if (l3 < 40)
		return ref_malformed(r, TI_MAL_IP6_TRUNC);
	if (f[at] >> 4 != 6)
		return ref_malformed(r, TI_MAL_IP_BAD_VERSION);
	payload = ref_be16(f + at + 4);
	if (payload == 0 || payload + 40 > l3)
		return ref_malformed(r, TI_MAL_IP6_BAD_LEN);
	r->family = TI_AF_INET6;
	r->ev.tuple.family = TI_AF_INET6;
	memcpy(r->ev.tuple.saddr, f + at + 8, 16);
	memcpy(r->ev.tuple.daddr, f + at + 24, 16);
	r->ev.ttl = f[at + 7];
	next = f[at + 6];
	pos = at + 40;
	for (count = 0; ref_is_ext(next); count++) {
		uint32_t len;

		if (count == TI_MAX_IPV6_EXT)
			return ref_malformed(r, TI_MAL_IP6_EXT_TOO_DEEP);
		if (n < pos + 2)
			return ref_malformed(r, TI_MAL_IP6_EXT_TRUNC);
		if (next == 44) {
			if (n < pos + 8)
				return ref_malformed(r, TI_MAL_IP6_EXT_TRUNC);
			if (ref_be16(f + pos + 2) >> 3) /* offset, 8-byte units */
				return r->cls = REF_FRAGMENT;
			len = 8;
		} else if (next == 51) {
			len = ((uint32_t)f[pos + 1] + 2) * 4;
		} else {
			len = ((uint32_t)f[pos + 1] + 1) * 8;
		}
		if (n < pos + len)
			return ref_malformed(r, TI_MAL_IP6_EXT_TRUNC);
		ext_total += len;
		if (ext_total > payload)
			return ref_malformed(r, TI_MAL_IP6_BAD_LEN);
		next = f[pos];
		pos += len;
	}
	r->ev.ip6_ext_count = (uint8_t)count;
	if (next != 6)
		return r->cls = REF_NON_TCP;
	return ref_tcp(f, n, pos, payload - ext_total, r);
}

/* Classify frame f[0..n) and, for TCP, fill the event fields. */
static inline enum ref_class ref_parse(const uint8_t *f, size_t n,
				       struct ref_result *r)
{
	uint16_t type;
	size_t at = 14;
	int tags = 0;

	memset(r, 0, sizeof(*r));
	if (n < 14)
		return ref_malformed(r, TI_MAL_ETH_TRUNC);
	type = ref_be16(f + 12);
	while (ref_is_vlan(type)) {
		if (tags == TI_MAX_VLAN_DEPTH)
			return ref_malformed(r, TI_MAL_VLAN_TOO_DEEP);
		if (n < at + 4)
			return ref_malformed(r, TI_MAL_VLAN_TRUNC);
		r->ev.vlan_id[tags] = ref_be16(f + at) & 0x0fff;
		type = ref_be16(f + at + 2);
		at += 4;
		r->ev.vlan_depth = (uint8_t)++tags;
	}
	if (type == 0x0800)
		return ref_ipv4(f, n, at, r);
	if (type == 0x86dd)
		return ref_ipv6(f, n, at, r);
	return r->cls = REF_NON_IP;
}

#endif
