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
	X(TI_EV_RESET_TX, "reset_sent")                                        \
	X(TI_EV_APP, "app")                                                    \
	X(TI_EV_CAPTURE, "capture")                                            \
	X(TI_EV_ALERT, "alert")                                                \
	X(TI_EV_ACCEPT, "accept")                                              \
	X(TI_EV_HANDSHAKE, "handshake")                                        \
	X(TI_EV_CLOSE, "close")                                                \
	X(TI_EV_DROP, "drop")                                                  \
	X(TI_EV_LISTEN_OVERFLOW, "listen_overflow")
enum ti_event_type { TI_EVENT_TYPES(TI_ENUM_ENTRY) TI_EV_MAX };
/* A kind's bit in an event selection (watch --events): the kernel programs
 * reserve no ring record for a kind whose bit is clear. */
#define TI_EV_BIT(t) (1u << (t))
#define TI_EV_ALL 0xffffffffu
/* In user space's configurations a mask of 0 means every kind. */
#define TI_EV_SELECTED(mask, t) (!(mask) || ((mask) & TI_EV_BIT(t)))

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

/* A BPF program wakes the ring-buffer reader once 1/TI_RING_WAKE_DIV of a
 * ring is waiting (src/ring_wake.bpf.h); user space sets the mark of the
 * rings it sizes from the same fraction. */
#define TI_RING_WAKE_DIV 4

/* skb->mark that ti_tc sets on a segment its blocklist drops, just before
 * TC_ACT_SHOT frees it, so that the kfree_skb program (conn_life.bpf.h)
 * does not report tcpinspect's own enforcement as a `drop` event: one
 * event per blocked packet would turn a blocked flood into a flood of
 * events (the blocklist's hit counters already count them). The skb is
 * freed right after; only other kfree_skb tracers can see the mark. */
#define TI_BLOCK_DROP_MARK 0x7469626bU /* "tibk" */

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
	__u32 retrans_kind;     /* TI_EV_RETRANSMIT: enum ti_retrans_kind */
	__u32 retrans_count;    /* TI_EV_RETRANSMIT: retransmits of this socket
				 * seen so far, this one included */
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

/* Value of ti_syn_sources: everything a SYN updates about its source, in
 * one LRU entry, so a SYN costs one per-source lookup (src/defence.bpf.h). */
struct ti_src_syn {
	__u64 syns;
	__u64 last_ns;      /* CLOCK_MONOTONIC of the last SYN */
	__u64 tokens_nt;    /* SYN token bucket: tokens x 1e9 */
	__u64 win_start_ns; /* one-second SYN count: window start ... */
	__u64 win_syns;     /* ... and SYNs in it */
	/* The last probe counted in the scan windows: a repeat to the same
	 * local address and port before probe_until_ns changes no count. */
	__u64 probe_until_ns;
	__u8 probe_dst[TI_ADDR_LEN]; /* network byte order */
	__u16 probe_dport;           /* host byte order */
	__u16 pad;
	/* syn_rate alerts: none before this time, repeats counted here. */
	__u32 rate_suppressed;
	__u64 rate_quiet_until_ns;
};

/*
 * Application hints and packet capture (src/capture.bpf.h).
 *
 * TI_EV_APP: the first payload bytes of a new incoming connection (the
 * segment whose sequence number is the client's ISN + 1, remembered from
 * its SYN). The bytes stay inside tcpinspect: user space parses them
 * (src/apphint.c) and prints only the parsed summary unless --payload N.
 */
#define TI_APP_PREFIX_LEN 1024 /* payload bytes copied per connection */

struct ti_app_event {
	struct ti_event_hdr hdr;
	struct ti_tuple tuple;   /* saddr/sport = client, daddr/dport = local */
	__u32 ifindex;
	__u32 seq;               /* host byte order */
	__u16 payload_len;       /* the segment's payload bytes */
	__u16 cap_len;           /* bytes valid in data (<= TI_APP_PREFIX_LEN) */
	__u8 hook;               /* enum ti_hook */
	__u8 pad[3];
	__u8 data[TI_APP_PREFIX_LEN]; /* payload prefix, wire order */
};

/* TI_EV_CAPTURE: one captured frame, in the ring buffer ti_cap_events only.
 * Variable length: the record is offsetof(data) + cap_len bytes. The
 * maximum snaplen is bounded by the per-CPU staging value (the kernel caps
 * per-CPU values at 32 KiB); GSO frames seen at TC are cut there. */
#define TI_CAP_MAX_SNAPLEN 16384

struct ti_cap_record {
	struct ti_event_hdr hdr;
	__u32 ifindex;
	__u32 wire_len;          /* frame length on the wire */
	__u32 cap_len;           /* bytes in data: min(wire_len, snaplen) */
	__u8 hook;               /* enum ti_hook */
	__u8 pad[3];
	__u8 data[TI_CAP_MAX_SNAPLEN]; /* frame from the Ethernet header */
};

/* Key of the address filter (LPM trie): family then address, prefixlen
 * counts 32 family bits plus the address bits. */
struct ti_net_key {
	__u32 prefixlen;
	__u32 family;            /* TI_AF_INET or TI_AF_INET6, host byte order */
	__u8 addr[TI_ADDR_LEN];  /* network byte order; IPv4 in bytes 0-3 */
};

/* Values of the address and port filter maps: which end must match. */
#define TI_FLT_SRC 0x1
#define TI_FLT_DST 0x2

/* Per-CPU counters of app hints and capture (slot 0, summed). */
struct ti_cap_counters {
	__u64 app_events;        /* app hint records submitted */
	__u64 app_dropped;       /* app hint reservations that failed */
	__u64 captured;          /* frames sent to the capture ring */
	__u64 cap_dropped;       /* frames lost: capture ring full */
	__u64 filtered_out;      /* TCP segments rejected by the address/port filter */
};

/* ---- Defence (src/defence.bpf.h, src/defence.c, src/blocklist.c) ---- */

/* What an alert is about (ti_alert_event.kind). Append only. */
#define TI_ALERT_KINDS(X)                                                      \
	X(TI_ALERT_NONE, "none")                                               \
	X(TI_ALERT_VERTICAL_SCAN, "vertical_scan")                             \
	X(TI_ALERT_HORIZONTAL_SCAN, "horizontal_scan")                         \
	X(TI_ALERT_SLOW_SCAN, "slow_scan")                                     \
	X(TI_ALERT_STEALTH_NULL, "stealth_null")                               \
	X(TI_ALERT_STEALTH_FIN, "stealth_fin")                                 \
	X(TI_ALERT_STEALTH_XMAS, "stealth_xmas")                               \
	X(TI_ALERT_STEALTH_SYNFIN, "stealth_synfin")                           \
	X(TI_ALERT_STEALTH_SYNRST, "stealth_synrst")                           \
	X(TI_ALERT_STEALTH_INVALID, "stealth_invalid_flags")                   \
	X(TI_ALERT_SYN_FLOOD, "syn_flood")                                     \
	X(TI_ALERT_SYN_RATE, "syn_rate")                                       \
	X(TI_ALERT_ANOMALY, "anomaly")
enum ti_alert_kind { TI_ALERT_KINDS(TI_ENUM_ENTRY) TI_ALERT_MAX };

/* Metrics with an anomaly baseline (ti_alert_event.metric). */
#define TI_ANOMALY_METRICS(X)                                                  \
	X(TI_METRIC_NONE, "none")                                              \
	X(TI_METRIC_SYNS, "syns_per_s")                                        \
	X(TI_METRIC_RESETS_SENT, "resets_sent_per_s")                          \
	X(TI_METRIC_NEW_SOURCES, "new_sources_per_s")                          \
	X(TI_METRIC_RETRANSMITS, "retransmits_per_s")
enum ti_anomaly_metric { TI_ANOMALY_METRICS(TI_ENUM_ENTRY) TI_METRIC_MAX };

/* What was done about an alert's source (ti_alert_event.action). */
#define TI_ALERT_ACTIONS(X)                                                    \
	X(TI_ACTION_NONE, "none")                                              \
	X(TI_ACTION_DROPPED, "dropped")                                        \
	X(TI_ACTION_BLOCKED, "blocked")
enum ti_alert_action { TI_ALERT_ACTIONS(TI_ENUM_ENTRY) TI_ACTION_MAX };

#define TI_ALERT_MAX_PORTS 8 /* sample of destination ports in an alert */

/* TI_EV_ALERT: a detector fired. Scan, stealth and per-source SYN-rate
 * alerts come from XDP/TC (ring buffer ti_alert_events); syn_flood and
 * anomaly alerts are computed in user space from counters sampled every
 * second. */
struct ti_alert_event {
	struct ti_event_hdr hdr;
	__u64 count;        /* what was counted: distinct ports or hosts,
			       SYNs, the sampled rate... (see docs/events.md) */
	__u64 threshold;    /* the limit count was compared with */
	__u64 window_ns;    /* the window count covers */
	__u64 rate_milli;   /* per-second rate x 1000 (syn_rate, syn_flood,
			       anomaly), else 0 */
	__u64 mean_milli;   /* anomaly: baseline mean x 1000; syn_flood:
			       completed handshakes/s x 1000 */
	__u64 stddev_milli; /* anomaly: baseline standard deviation x 1000 */
	__u32 suppressed;   /* alerts of this kind from this source held back
			       since the previous one */
	__u32 kind;         /* enum ti_alert_kind */
	__u32 metric;       /* enum ti_anomaly_metric (anomaly only) */
	__u32 ifindex;      /* interface of the packet that fired it, or 0 */
	__u8 saddr[TI_ADDR_LEN]; /* source, network order; zero if global */
	__u8 daddr[TI_ADDR_LEN]; /* local address probed, network order */
	__u16 ports[TI_ALERT_MAX_PORTS]; /* destination ports, host order */
	__u16 family;       /* TI_AF_INET(6); 0 for a global alert */
	__u16 dport;        /* destination port of the packet, host order */
	__u16 nports;       /* valid entries in ports */
	__u8 flags;         /* TCP flags of the packet that fired it */
	__u8 action;        /* enum ti_alert_action */
};

/* Sizes of the pinned lists: part of their layout (a pinned map of another
 * size is refused, not reused). */
#define TI_LIST_MAX_ENTRIES 65536

/*
 * Key of the blocklist and allowlist LPM tries: one trie for both
 * families. IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d) with 96
 * added to the prefix length.
 */
struct ti_lpm_key {
	__u32 prefixlen;        /* bits, 0-128 */
	__u8 addr[TI_ADDR_LEN]; /* network byte order */
};

/* Value of a blocklist / allowlist entry. The counters are updated
 * atomically by every CPU. */
struct ti_list_val {
	__u64 hits;       /* packets that matched */
	__u64 bytes;      /* their frame bytes */
	__u64 expires_ns; /* CLOCK_BOOTTIME ns; 0 = never. Expired = absent */
	__u64 added_s;    /* unix seconds when added or last updated */
};

/* Per-CPU counters of the defences (summed in user space). */
struct ti_def_counters {
	__u64 blocked_packets;  /* dropped by the blocklist */
	__u64 blocked_bytes;
	__u64 allowed_packets;  /* allowlist matches (exempted) */
	__u64 syns;             /* SYN without ACK */
	__u64 handshakes;       /* final ACKs of tracked handshakes */
	__u64 new_sources;      /* sources inserted into ti_syn_sources */
	__u64 syn_over_rate;    /* SYNs above their source's token bucket */
	__u64 syn_dropped;      /* of those, dropped (enforcing) */
	__u64 stealth;          /* invalid flag combinations seen */
	__u64 alerts_sent;
	__u64 alerts_suppressed;
	__u64 alerts_lost;      /* alert ring buffer full */
};

/*
 * Connection lifecycle (src/conn.bpf.c, src/conn_events.c): accept,
 * handshake, close, drop, listen_overflow all use struct ti_sock_event.
 */

/* What a retransmission was, as far as the socket's state tells. */
#define TI_RETRANS_KINDS(X)                                                    \
	X(TI_RETX_OTHER, "other")                                              \
	X(TI_RETX_SYN, "syn")           /* SYN (socket in SYN_SENT) */          \
	X(TI_RETX_SYNACK, "synack")     /* SYN-ACK of a request socket */       \
	X(TI_RETX_RTO, "rto")           /* timeout: congestion state Loss */    \
	X(TI_RETX_FAST, "fast")         /* fast retransmit: state Recovery */   \
	X(TI_RETX_TLP, "tlp")           /* tail loss probe */
enum ti_retrans_kind { TI_RETRANS_KINDS(TI_ENUM_ENTRY) TI_RETX_MAX };

/* ti_sock_event.flags */
#define TI_SOCKF_PASSIVE 0x0001        /* opened by a peer (accepted) */
#define TI_SOCKF_ACTIVE 0x0002         /* opened by connect() here */
#define TI_SOCKF_LOCAL_CLOSED 0x0004   /* this host closed first (FIN_WAIT1) */
#define TI_SOCKF_REMOTE_CLOSED 0x0008  /* the peer closed first (CLOSE_WAIT) */
#define TI_SOCKF_COMPLETED 0x0010      /* handshake: reached ESTABLISHED */
#define TI_SOCKF_TIMED_OUT 0x0020      /* handshake: request timed out */
#define TI_SOCKF_DURATION 0x0040       /* duration_ns is known */
#define TI_SOCKF_OWNER 0x0080          /* pid/comm name the owning process */
#define TI_SOCKF_RTT 0x0100            /* the rtt_* fields are known */
#define TI_SOCKF_RESET 0x0200          /* closed by a reset (sent or received) */
#define TI_SOCKF_WAIT 0x0400           /* accept: wait_ns is known */

struct ti_sock_event {
	struct ti_event_hdr hdr;
	struct ti_tuple tuple;  /* saddr/sport = remote peer, daddr/dport = local */
	__u64 sock_id;          /* as in ti_conn_event; 0 if none */
	__u64 duration_ns;      /* close: lifetime; handshake: SYN to ESTABLISHED
				 * (or to the time-out); accept: time in the
				 * accept queue */
	__u64 bytes_received;   /* close: tcp_sock.bytes_received */
	__u64 bytes_sent;       /* close: tcp_sock.bytes_acked */
	__u64 drops;            /* listen_overflow from the listener's drop
				 * counter: connections dropped since the last */
	__u32 pid;              /* accept: acceptor; close: owner if TI_SOCKF_OWNER */
	__u32 state;            /* close: state before CLOSE; drop: state of the
				 * receiving socket (0 = none) */
	__u32 total_retrans;    /* close: segments retransmitted; handshake:
				 * SYN-ACK retransmissions */
	__u32 srtt_us;          /* smoothed RTT at the event */
	__u32 rtt_min_us;       /* over the connection's RTT samples */
	__u32 rtt_avg_us;
	__u32 rtt_max_us;
	__u32 reason;           /* drop: enum skb_drop_reason (names from the
				 * kernel's BTF at run time) */
	__u32 backlog;          /* accept queue length (listener), if known */
	__u32 max_backlog;      /* its limit (listen() backlog) */
	__u32 flags;            /* TI_SOCKF_* */
	__u32 ifindex;          /* drop: receiving interface */
	char comm[TI_COMM_LEN]; /* with pid */
};

/* Histograms for `watch --summary`: log2 buckets of microseconds, per
 * local (listening) port. Bucket i counts values in [2^i, 2^(i+1)) us,
 * bucket 0 also counts 0. */
#define TI_HIST_SLOTS 27 /* up to ~67 s */
#define TI_HIST_HANDSHAKE 1
#define TI_HIST_RTT 2

struct ti_hist_key {
	__u16 port;  /* local port, host byte order */
	__u16 kind;  /* TI_HIST_* */
	__u16 family; /* TI_AF_* */
	__u16 pad;
};

struct ti_hist {
	__u64 slots[TI_HIST_SLOTS];
	__u64 count;
	__u64 sum_us;
};

/* Half-open connections whose SYN-ACK was retransmitted, keyed by the
 * connection's addresses (tuple as in events). User space reports those
 * that stop retransmitting without completing as timed out. */
struct ti_halfopen {
	__u64 first_synack_ns; /* CLOCK_MONOTONIC of the first SYN-ACK */
	__u64 last_retrans_ns; /* CLOCK_MONOTONIC of the last retransmission */
	__u64 seen_ns;         /* CLOCK_MONOTONIC of the last listener poll
				* (iter/tcp) that found the request; 0 = never */
	__u32 retrans;         /* SYN-ACK retransmissions (req->num_retrans) */
	__u32 timeout_ms;      /* the request's initial timeout */
	__u32 backlog;         /* the listener's accept queue at the time */
	__u32 max_backlog;
	__u32 max_retrans;     /* retransmissions before the kernel gives up
				* (seen by the poll; 0 = none or unknown) */
	__u32 pad;
};

/* Listeners and their drop counters (iter/tcp ti_listen_iter, polled by
 * user space: SYNs refused because the accept queue is full leave no
 * tracepoint, only sk_drops). */
struct ti_listen_row {
	struct ti_tuple tuple;  /* daddr/dport = listening address */
	__u64 drops;            /* sk_drops */
	__u32 backlog;          /* sk_ack_backlog */
	__u32 max_backlog;      /* sk_max_ack_backlog */
};

/* Per-CPU counters of the lifecycle programs. */
struct ti_life_counters {
	__u64 accepts;
	__u64 handshakes;
	__u64 closes;
	__u64 drops;            /* TCP packets dropped (kfree_skb with a reason) */
	__u64 listen_overflows;
	__u64 synack_retrans;
	__u64 events_sent;
	__u64 events_dropped;
};

/*
 * `tcpinspect conns` (src/conns.bpf.c): records written by the iter/tcp
 * and iter/task_file programs, joined in user space by socket inode.
 */
#define TI_ROW_FULL 0      /* a full socket (tcp_sock) */
#define TI_ROW_TIMEWAIT 1
#define TI_ROW_REQUEST 2   /* a request socket (NEW_SYN_RECV) */

struct ti_conn_row {
	struct ti_tuple tuple;  /* saddr/sport = remote peer, daddr/dport = local */
	__u64 bytes_received;
	__u64 bytes_sent;       /* bytes_acked */
	__u64 inode;            /* socket inode, 0 if none (time-wait, request,
				 * not yet accepted) */
	__u32 state;            /* enum ti_tcp_state */
	__u32 uid;
	__u32 srtt_us;
	__u32 rttvar_us;
	__u32 snd_cwnd;         /* segments */
	__u32 total_retrans;
	__u32 retrans_out;      /* segments being retransmitted now */
	__u32 send_q;           /* unacknowledged bytes; LISTEN: backlog limit */
	__u32 recv_q;           /* unread bytes; LISTEN: accept queue length */
	__u32 mss;
	__u32 kind;             /* TI_ROW_* */
	__u32 pad;
};

struct ti_sock_owner {
	__u64 inode;            /* socket inode */
	__u32 pid;              /* thread-group id */
	__u32 fd;
	char comm[TI_COMM_LEN];
};

#endif /* TCPINSPECT_H */
