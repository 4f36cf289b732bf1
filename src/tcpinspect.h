/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpinspect.h - the kernel/user ABI of tcpinspect.
 *
 * Included by the BPF programs (after vmlinux.h) and by user space (after
 * <linux/types.h>). Everything that crosses the boundary is defined here
 * once: event records, map keys and values, counter layouts and the names
 * of enumerated values (X-macros, so that a name table can never drift from
 * its enum).
 *
 * Rules: fixed-width __u* types only, largest fields first, explicit
 * padding, byte order stated for every multi-byte field.
 */
#ifndef TCPINSPECT_H
#define TCPINSPECT_H

#ifndef __VMLINUX_H__ /* user space; BPF programs get the types from vmlinux.h */
#include <linux/types.h>
#endif

#define TI_ADDR_LEN 16 /* IPv6 size; IPv4 uses the first 4 bytes only */
#define TI_COMM_LEN 16

/* Parser bounds (named so the verifier and the tests agree on them). */
#define TI_MAX_VLAN_DEPTH 2   /* 802.1Q / 802.1ad tags parsed */
#define TI_MAX_IPV6_EXT 6     /* IPv6 extension headers walked */
#define TI_MAX_TCP_OPTS 10    /* TCP option kinds walked */

/* Address families, as in <sys/socket.h>. */
#define TI_AF_INET 2
#define TI_AF_INET6 10

/* TCP header flags, in the bit order of the TCP header's flag byte. */
#define TI_TCP_FIN 0x01
#define TI_TCP_SYN 0x02
#define TI_TCP_RST 0x04
#define TI_TCP_PSH 0x08
#define TI_TCP_ACK 0x10
#define TI_TCP_URG 0x20
#define TI_TCP_ECE 0x40
#define TI_TCP_CWR 0x80
#define TI_TCP_FLAG_COUNT 8

/* Which TCP options were present in a parsed header (ti_packet_event.opts). */
#define TI_OPT_MSS 0x01
#define TI_OPT_WSCALE 0x02
#define TI_OPT_SACK_OK 0x04
#define TI_OPT_TIMESTAMP 0x08
#define TI_OPT_SACK 0x10

/*
 * Why a packet could not be parsed. Truncation and out-of-range header
 * fields are counted here and the packet is passed without an event: it is
 * never "misread".
 */
#define TI_MALFORMED_REASONS(X)                                                \
	X(TI_MAL_ETH_TRUNC, "eth_truncated")                                   \
	X(TI_MAL_VLAN_TRUNC, "vlan_truncated")                                 \
	X(TI_MAL_VLAN_TOO_DEEP, "vlan_too_deep")                               \
	X(TI_MAL_IP_BAD_VERSION, "ip_bad_version")                             \
	X(TI_MAL_IP4_TRUNC, "ipv4_truncated")                                  \
	X(TI_MAL_IP4_BAD_IHL, "ipv4_bad_ihl")                                  \
	X(TI_MAL_IP4_BAD_LEN, "ipv4_bad_total_length")                         \
	X(TI_MAL_IP6_TRUNC, "ipv6_truncated")                                  \
	X(TI_MAL_IP6_BAD_LEN, "ipv6_bad_payload_length")                       \
	X(TI_MAL_IP6_EXT_TRUNC, "ipv6_ext_truncated")                          \
	X(TI_MAL_IP6_EXT_TOO_DEEP, "ipv6_ext_too_deep")                        \
	X(TI_MAL_TCP_TRUNC, "tcp_truncated")                                   \
	X(TI_MAL_TCP_BAD_DOFF, "tcp_bad_data_offset")                          \
	X(TI_MAL_TCP_BAD_OPT, "tcp_bad_option")

#define TI_ENUM_ENTRY(sym, name) sym,
enum ti_malformed_reason { TI_MALFORMED_REASONS(TI_ENUM_ENTRY) TI_MAL_MAX };

/* Where a packet event was observed. */
#define TI_HOOKS(X)                                                            \
	X(TI_HOOK_XDP, "xdp")                                                  \
	X(TI_HOOK_TC, "tc")                                                    \
	X(TI_HOOK_TEST, "test")
enum ti_hook { TI_HOOKS(TI_ENUM_ENTRY) TI_HOOK_MAX };

/* Event kinds carried in the ring buffer (ti_event_hdr.type). */
#define TI_EVENT_TYPES(X)                                                      \
	X(TI_EV_NONE, "none")                                                  \
	X(TI_EV_PACKET, "packet")                                              \
	X(TI_EV_STATE, "state")                                                \
	X(TI_EV_RETRANSMIT, "retransmit")                                      \
	X(TI_EV_RESET_RX, "reset_received")                                    \
	X(TI_EV_RESET_TX, "reset_sent")
enum ti_event_type { TI_EVENT_TYPES(TI_ENUM_ENTRY) TI_EV_MAX };

/*
 * TCP states as numbered by the kernel (include/net/tcp_states.h). Kernel
 * data indexes this table only after a bounds check (ti_tcp_state_name()).
 */
#define TI_TCP_STATES(X)                                                       \
	X(TI_TCP_UNKNOWN, "UNKNOWN")                                           \
	X(TI_TCP_ESTABLISHED, "ESTABLISHED")                                   \
	X(TI_TCP_SYN_SENT, "SYN_SENT")                                         \
	X(TI_TCP_SYN_RECV, "SYN_RECV")                                         \
	X(TI_TCP_FIN_WAIT1, "FIN_WAIT1")                                       \
	X(TI_TCP_FIN_WAIT2, "FIN_WAIT2")                                       \
	X(TI_TCP_TIME_WAIT, "TIME_WAIT")                                       \
	X(TI_TCP_CLOSE, "CLOSE")                                               \
	X(TI_TCP_CLOSE_WAIT, "CLOSE_WAIT")                                     \
	X(TI_TCP_LAST_ACK, "LAST_ACK")                                         \
	X(TI_TCP_LISTEN, "LISTEN")                                             \
	X(TI_TCP_CLOSING, "CLOSING")                                           \
	X(TI_TCP_NEW_SYN_RECV, "NEW_SYN_RECV")                                 \
	X(TI_TCP_BOUND_INACTIVE, "BOUND_INACTIVE")
enum ti_tcp_state { TI_TCP_STATES(TI_ENUM_ENTRY) TI_TCP_STATE_MAX };

/* Common header of every ring-buffer record. */
struct ti_event_hdr {
	__u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 type;   /* enum ti_event_type */
	__u32 cpu;    /* CPU that produced it */
};

/* The connection's addresses, seen from the observing host. */
struct ti_tuple {
	__u8 saddr[TI_ADDR_LEN]; /* source of the packet / remote peer */
	__u8 daddr[TI_ADDR_LEN]; /* destination / local address */
	__u16 sport;             /* host byte order */
	__u16 dport;             /* host byte order */
	__u16 family;            /* TI_AF_INET or TI_AF_INET6 */
	__u16 pad;
};

/* TI_EV_PACKET: an incoming TCP segment, parsed at XDP or TC ingress. */
struct ti_packet_event {
	struct ti_event_hdr hdr;
	struct ti_tuple tuple;
	__u32 ifindex;
	__u32 seq;         /* host byte order */
	__u32 ack_seq;     /* host byte order */
	__u32 ts_val;      /* TCP timestamp option, host byte order */
	__u32 ts_ecr;      /* host byte order */
	__u32 pkt_len;     /* frame length in bytes */
	__u16 payload_len; /* TCP payload bytes (from the IP lengths) */
	__u16 window;      /* raw window field, host byte order, unscaled */
	__u16 mss;         /* MSS option, host byte order, 0 if absent */
	__u16 vlan_id[TI_MAX_VLAN_DEPTH]; /* outermost first, 0 if absent */
	__u8 flags;        /* TI_TCP_* */
	__u8 opts;         /* TI_OPT_* present */
	__u8 wscale;       /* window-scale shift if TI_OPT_WSCALE */
	__u8 ttl;          /* IPv4 TTL or IPv6 hop limit */
	__u8 vlan_depth;
	__u8 hook;         /* enum ti_hook */
	__u8 ip6_ext_count; /* IPv6 extension headers skipped */
	__u8 pad;
};

/* TI_EV_STATE / TI_EV_RETRANSMIT / TI_EV_RESET_*: from tracepoints. */
struct ti_conn_event {
	struct ti_event_hdr hdr;
	struct ti_tuple tuple;  /* saddr/sport = remote peer, daddr/dport = local */
	__u64 sock_id;          /* opaque per-socket id (scrambled address), 0 if none */
	__u32 pid;              /* current task when the event fired (not owner) */
	__u32 old_state;        /* enum ti_tcp_state; TI_EV_STATE only */
	__u32 new_state;        /* current state for the other kinds */
	__u32 reason;           /* reset reason (enum sk_rst_reason) if known */
	char comm[TI_COMM_LEN]; /* current task's command */
};

/* Per-CPU counters of the packet inspector (one array slot, summed in user
 * space). */
struct ti_pkt_counters {
	__u64 packets;        /* every frame seen */
	__u64 bytes;          /* every frame's length */
	__u64 ipv4;
	__u64 ipv6;
	__u64 tcp_packets;
	__u64 tcp_bytes;
	__u64 non_ip;
	__u64 non_tcp;        /* IP but not TCP */
	__u64 fragments;      /* non-first fragments skipped */
	__u64 flags[TI_TCP_FLAG_COUNT]; /* per TCP flag bit, index = bit number */
	__u64 malformed[TI_MAL_MAX];
	__u64 events_sent;    /* ring-buffer records submitted */
	__u64 events_dropped; /* ring-buffer reservations that failed */
};

/* Per-CPU counters of the connection tracepoints. */
struct ti_conn_counters {
	__u64 state_changes;
	__u64 retransmits;
	__u64 resets_rx;
	__u64 resets_tx;
	__u64 events_sent;
	__u64 events_dropped;
};

/* Key of the per-source SYN counter map (LRU). */
struct ti_src_key {
	__u8 addr[TI_ADDR_LEN]; /* network byte order; IPv4 in bytes 0-3 */
	__u32 family;           /* TI_AF_INET or TI_AF_INET6 */
};

struct ti_src_syn {
	__u64 syns;
	__u64 last_ns; /* CLOCK_MONOTONIC of the last SYN */
};

#endif /* TCPINSPECT_H */
