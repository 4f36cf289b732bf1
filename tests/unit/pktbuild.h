/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pktbuild.h - builds Ethernet frames for the packet-inspector unit tests.
 *
 * A frame is described by a struct pb_spec (designated initializers; a zero
 * field means "the natural/default value") and written by pb_build() into a
 * struct pb_frame. Every multi-byte field is written in network byte order
 * byte by byte, so the builder does not depend on host endianness or on the
 * kernel's header structs. The lengths in the IP headers are filled in from
 * what was built unless the spec overrides them; Ethernet padding (pad_to)
 * is appended after the IP lengths are computed, and a cut (truncation) is
 * applied last, optionally fixing the IP length fields up to the cut.
 */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PB_MAX_FRAME 2048

#define PB_ETH_HLEN 14
#define PB_ETHERTYPE_IP 0x0800
#define PB_ETHERTYPE_ARP 0x0806
#define PB_ETHERTYPE_IPV6 0x86DD
#define PB_ETHERTYPE_8021Q 0x8100
#define PB_ETHERTYPE_8021AD 0x88A8
#define PB_ETHERTYPE_LLDP 0x88CC

#define PB_PROTO_HOP 0
#define PB_PROTO_ICMP 1
#define PB_PROTO_TCP 6
#define PB_PROTO_UDP 17
#define PB_PROTO_ROUTING 43
#define PB_PROTO_FRAGMENT 44
#define PB_PROTO_AH 51
#define PB_PROTO_ICMPV6 58
#define PB_PROTO_NONE 59
#define PB_PROTO_DEST 60

#define PB_IP4_DF 0x4000
#define PB_IP4_MF 0x2000

/* Defaults of the generated packets. */
#define PB_DEF_SPORT 51234
#define PB_DEF_DPORT 80
#define PB_DEF_SEQ 1911237751u
#define PB_DEF_WINDOW 64240
#define PB_DEF_TTL 64

/* One IPv6 extension header. */
struct pb_ext {
	uint8_t type;   /* PB_PROTO_HOP, _ROUTING, _DEST, _FRAGMENT, _AH */
	uint8_t hdrlen; /* the header's length field (not for FRAGMENT) */
	uint16_t frag;  /* FRAGMENT: offset in 8-byte units */
	bool more;      /* FRAGMENT: M flag */
};

#define PB_MAX_VLAN 3
#define PB_MAX_EXT 8

struct pb_spec {
	/* L2 */
	uint8_t nvlan;                 /* tags written after the MAC addresses */
	uint16_t vlan_tpid[PB_MAX_VLAN]; /* 0 = 802.1Q */
	uint16_t vlan_tci[PB_MAX_VLAN];
	uint16_t ethertype;            /* 0 = from l3 */
	/* L3: 4, 6, or 0 (raw_len bytes of an opaque body, e.g. ARP) */
	uint8_t l3;
	uint16_t raw_len;
	uint8_t ip_version;            /* 0 = 4 or 6 */
	bool ihl_set;                  /* IPv4: use ihl even if 0 */
	uint8_t ihl;                   /* IPv4; 0 = 5 unless ihl_set */
	uint16_t frag;                 /* IPv4 flags|offset field, host order */
	uint8_t proto;                 /* L4 protocol; 0 = TCP */
	uint8_t ttl;                   /* 0 = PB_DEF_TTL */
	bool ip_len_set;               /* override tot_len / payload_len */
	uint16_t ip_len;
	uint8_t src[16];               /* all zero = default source */
	uint8_t next_ext;              /* IPv6 extension headers in ext[] */
	struct pb_ext ext[PB_MAX_EXT];
	/* L4 */
	uint16_t sport, dport;         /* 0 = defaults */
	uint32_t seq;                  /* 0 = PB_DEF_SEQ */
	uint32_t ack;
	uint8_t flags;                 /* TCP flag byte */
	uint16_t window;               /* 0 = PB_DEF_WINDOW */
	uint16_t urg;
	uint8_t opt_len;               /* TCP option bytes in opt[] */
	uint8_t opt[40];
	bool doff_set;                 /* override the data offset */
	uint8_t doff;
	uint16_t l4_raw_len;           /* non-TCP: transport header bytes; 0 = 8 */
	uint16_t payload;              /* payload bytes after the L4 header */
	/* frame */
	uint16_t pad_to;               /* Ethernet padding up to this length */
	uint16_t cut;                  /* truncate the frame to this length */
	bool fix_len;                  /* after cut: IP lengths match the cut */
};

struct pb_frame {
	uint8_t b[PB_MAX_FRAME];
	size_t len;
	size_t l3_off; /* offset of the IP header (or raw body) */
	size_t l4_off; /* offset of the transport header */
};

static const uint8_t pb_dst4[4] = { 198, 18, 0, 1 };
static const uint8_t pb_src4[4] = { 198, 18, 0, 2 };
static const uint8_t pb_dst6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
				     0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t pb_src6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
				     0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t pb_mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t pb_mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static inline void pb_put8(struct pb_frame *f, uint8_t v)
{
	if (f->len < PB_MAX_FRAME)
		f->b[f->len++] = v;
}

static inline void pb_put16(struct pb_frame *f, uint16_t v)
{
	pb_put8(f, (uint8_t)(v >> 8));
	pb_put8(f, (uint8_t)v);
}

static inline void pb_put32(struct pb_frame *f, uint32_t v)
{
	pb_put16(f, (uint16_t)(v >> 16));
	pb_put16(f, (uint16_t)v);
}

static inline void pb_putn(struct pb_frame *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_put8(f, p[i]);
}

static inline void pb_fill(struct pb_frame *f, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		pb_put8(f, v);
}

static inline void pb_set16(struct pb_frame *f, size_t off, uint16_t v)
{
	if (off + 2 <= PB_MAX_FRAME) {
		f->b[off] = (uint8_t)(v >> 8);
		f->b[off + 1] = (uint8_t)v;
	}
}

static inline uint16_t pb_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The Internet checksum of n bytes (n even). */
static inline uint16_t pb_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += pb_get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline bool pb_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The source address a spec's packet carries (4 or 16 bytes). */
static inline const uint8_t *pb_spec_src(const struct pb_spec *s)
{
	if (!pb_is_zero(s->src, sizeof(s->src)))
		return s->src;
	return s->l3 == 6 ? pb_src6 : pb_src4;
}

static inline uint8_t pb_spec_proto(const struct pb_spec *s)
{
	return s->proto ? s->proto : PB_PROTO_TCP;
}

/* Total length in bytes of one IPv6 extension header. */
static inline size_t pb_ext_len(const struct pb_ext *e)
{
	if (e->type == PB_PROTO_FRAGMENT)
		return 8;
	if (e->type == PB_PROTO_AH)
		return ((size_t)e->hdrlen + 2) * 4;
	return ((size_t)e->hdrlen + 1) * 8;
}

static inline void pb_write_ext(struct pb_frame *f, const struct pb_ext *e,
				uint8_t next)
{
	size_t total = pb_ext_len(e), start = f->len;

	pb_put8(f, next);
	switch (e->type) {
	case PB_PROTO_FRAGMENT:
		pb_put8(f, 0); /* reserved */
		pb_put16(f, (uint16_t)((e->frag << 3) | (e->more ? 1 : 0)));
		pb_put32(f, 0x12345678); /* identification */
		break;
	case PB_PROTO_AH:
		pb_put8(f, e->hdrlen);
		pb_put16(f, 0);          /* reserved */
		pb_put32(f, 0x00000100); /* SPI */
		pb_put32(f, 1);          /* sequence number */
		break;
	case PB_PROTO_ROUTING:
		pb_put8(f, e->hdrlen);
		pb_put8(f, 253);         /* routing type: experimental */
		pb_put8(f, 0);           /* segments left */
		break;
	default:                         /* hop-by-hop, destination options */
		pb_put8(f, e->hdrlen);
		pb_put8(f, 1);           /* PadN covering the rest */
		pb_put8(f, (uint8_t)(total - 4));
		break;
	}
	if (f->len - start > total)
		f->len = start + total; /* a header shorter than its fields */
	else
		pb_fill(f, total - (f->len - start), 0);
}

/* Builds the frame described by s into f. */
static inline void pb_build(const struct pb_spec *s, struct pb_frame *f)
{
	uint8_t proto = pb_spec_proto(s);
	size_t ip_hlen = 0;

	memset(f, 0, sizeof(*f));
	pb_putn(f, pb_mac_dst, 6);
	pb_putn(f, pb_mac_src, 6);
	for (int i = 0; i < s->nvlan && i < PB_MAX_VLAN; i++) {
		pb_put16(f, s->vlan_tpid[i] ? s->vlan_tpid[i]
					    : PB_ETHERTYPE_8021Q);
		pb_put16(f, s->vlan_tci[i]);
	}
	if (s->ethertype)
		pb_put16(f, s->ethertype);
	else if (s->l3 == 4)
		pb_put16(f, PB_ETHERTYPE_IP);
	else if (s->l3 == 6)
		pb_put16(f, PB_ETHERTYPE_IPV6);
	else
		pb_put16(f, PB_ETHERTYPE_ARP);
	f->l3_off = f->len;

	if (s->l3 == 4) {
		uint8_t ihl = s->ihl || s->ihl_set ? s->ihl : 5;
		uint8_t ver = s->ip_version ? s->ip_version : 4;

		ip_hlen = (size_t)ihl * 4;
		pb_put8(f, (uint8_t)((ver << 4) | (ihl & 0x0f)));
		pb_put8(f, 0);           /* DSCP/ECN */
		pb_put16(f, 0);          /* total length, set below */
		pb_put16(f, 0x4d2a);     /* identification */
		pb_put16(f, s->frag);
		pb_put8(f, s->ttl ? s->ttl : PB_DEF_TTL);
		pb_put8(f, proto);
		pb_put16(f, 0);          /* checksum, set below */
		pb_putn(f, pb_spec_src(s), 4);
		pb_putn(f, pb_dst4, 4);
		/* Options (IHL > 5): router alert, NOPs, a final EOL. */
		if (ip_hlen > 20) {
			size_t n = ip_hlen - 20;

			pb_put8(f, 0x94);
			pb_put8(f, 4);
			pb_put16(f, 0);
			if (n > 4) {
				pb_fill(f, n - 5, 1);
				pb_put8(f, 0);
			}
		}
	} else if (s->l3 == 6) {
		uint8_t ver = s->ip_version ? s->ip_version : 6;
		uint8_t first = s->next_ext ? s->ext[0].type : proto;

		pb_put32(f, ((uint32_t)ver << 28) | 0x12345);
		pb_put16(f, 0);          /* payload length, set below */
		pb_put8(f, first);
		pb_put8(f, s->ttl ? s->ttl : PB_DEF_TTL);
		pb_putn(f, pb_spec_src(s), 16);
		pb_putn(f, pb_dst6, 16);
		for (int i = 0; i < s->next_ext && i < PB_MAX_EXT; i++) {
			uint8_t next = i + 1 < s->next_ext ? s->ext[i + 1].type
							   : proto;
			pb_write_ext(f, &s->ext[i], next);
		}
	} else {
		/* An opaque L3 body (e.g. an ARP request). */
		size_t n = s->raw_len ? s->raw_len : 28;

		for (size_t i = 0; i < n; i++)
			pb_put8(f, (uint8_t)(0x10 + i));
	}
	f->l4_off = f->len;

	if (s->l3 == 4 || s->l3 == 6) {
		if (proto == PB_PROTO_TCP) {
			uint8_t optn = s->opt_len > 40 ? 40 : s->opt_len;
			uint8_t doff = s->doff_set ? s->doff
						   : (uint8_t)(5 + (optn + 3) / 4);
			size_t optpad = ((size_t)optn + 3) / 4 * 4 - optn;

			pb_put16(f, s->sport ? s->sport : PB_DEF_SPORT);
			pb_put16(f, s->dport ? s->dport : PB_DEF_DPORT);
			pb_put32(f, s->seq ? s->seq : PB_DEF_SEQ);
			pb_put32(f, s->ack);
			pb_put8(f, (uint8_t)(doff << 4));
			pb_put8(f, s->flags);
			pb_put16(f, s->window ? s->window : PB_DEF_WINDOW);
			pb_put16(f, 0);  /* checksum (not checked) */
			pb_put16(f, s->urg);
			pb_putn(f, s->opt, optn);
			pb_fill(f, optpad, 0); /* EOL up to a 4-byte boundary */
		} else {
			size_t n = s->l4_raw_len ? s->l4_raw_len : 8;

			for (size_t i = 0; i < n; i++)
				pb_put8(f, (uint8_t)(0x40 + i));
		}
	}
	for (size_t i = 0; i < s->payload; i++)
		pb_put8(f, (uint8_t)(0xa5 ^ i));

	/* IP lengths, from what was built (before padding and cuts). */
	if (s->l3 == 4) {
		uint16_t tot = s->ip_len_set ? s->ip_len
					     : (uint16_t)(f->len - f->l3_off);
		pb_set16(f, f->l3_off + 2, tot);
	} else if (s->l3 == 6) {
		uint16_t pl = s->ip_len_set ? s->ip_len
					    : (uint16_t)(f->len - f->l3_off - 40);
		pb_set16(f, f->l3_off + 4, pl);
	}

	while (f->len < s->pad_to)
		pb_put8(f, 0);

	if (s->cut && s->cut < f->len) {
		f->len = s->cut;
		if (s->fix_len && s->l3 == 4 && f->len >= f->l3_off + 20)
			pb_set16(f, f->l3_off + 2, (uint16_t)(f->len - f->l3_off));
		if (s->fix_len && s->l3 == 6 && f->len >= f->l3_off + 40)
			pb_set16(f, f->l3_off + 4,
				 (uint16_t)(f->len - f->l3_off - 40));
	}

	/* IPv4 header checksum over what is present of the header. */
	if (s->l3 == 4 && f->len >= f->l3_off + ip_hlen && ip_hlen >= 20) {
		pb_set16(f, f->l3_off + 10, 0);
		pb_set16(f, f->l3_off + 10, pb_csum(f->b + f->l3_off, ip_hlen));
	}
}

/* Common TCP option byte strings. */
#define PB_OPT_MSS(v) 2, 4, (uint8_t)((v) >> 8), (uint8_t)(v)
#define PB_OPT_WS(v) 3, 3, (v)
#define PB_OPT_SACKOK 4, 2
#define PB_OPT_TS(a, b)                                                        \
	8, 10, (uint8_t)((a) >> 24), (uint8_t)((a) >> 16), (uint8_t)((a) >> 8), \
		(uint8_t)(a), (uint8_t)((b) >> 24), (uint8_t)((b) >> 16),      \
		(uint8_t)((b) >> 8), (uint8_t)(b)
#define PB_OPT_NOP 1
#define PB_OPT_EOL 0

#endif /* PKTBUILD_H */
