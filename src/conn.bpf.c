// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conn.bpf.c - connection events from kernel tracepoints: state changes,
 * retransmissions, resets received and sent.
 *
 * Each tracepoint has two variants: tp_btf (typed arguments, cheapest) and
 * the classic tracepoint (needs tracefs). User space loads one family and
 * switches the other off with bpf_program__set_autoload(). No kprobes and
 * no fentry: both are missing on hardened kernels.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcpinspect.h"
#include "sock_tuple.bpf.h"
#include "ring_wake.bpf.h"

#define IPPROTO_TCP_NUM 6
#define TI_TCP_NONE_STATE 0 /* no socket: reported as "NONE" */

/* Settings fixed at load time. */
const volatile __u32 cfg_netns_ino = 0;  /* 0 = every network namespace */
const volatile __u16 cfg_family = 0;     /* 0 = both */
const volatile bool cfg_port_filter = false;
/* TI_EV_BIT() of the kinds to send. The programs still keep their counters
 * and the lifecycle bookkeeping of an unselected kind (close needs the
 * states seen before it), they only reserve no record for it. */
const volatile __u32 cfg_events = TI_EV_ALL;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_conn_counters);
} ti_conn_stats SEC(".maps");

/* Local ports to report (when cfg_port_filter); value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} ti_conn_ports SEC(".maps");

/* Connection events to user space. */
#define TI_CONN_RING_BYTES (1024 * 1024)
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TI_CONN_RING_BYTES);
} ti_conn_events SEC(".maps");

/* Wake the reader only once a quarter of the ring is waiting
 * (ring_wake.bpf.h). */
static __always_inline __u64 ring_wake_flag(__u32 size)
{
	return ti_ring_wake_at(&ti_conn_events,
			       TI_CONN_RING_BYTES / TI_RING_WAKE_DIV, size);
}

/*
 * An opaque, stable id for a socket. tp_btf programs use the kernel's
 * socket cookie; classic tracepoints only have the socket's address as a
 * number, scrambled so it does not expose the kernel address
 * (multiplication by an odd constant is a bijection). Taken only for
 * sockets that pass the filters: the first cookie of a socket is generated
 * on demand.
 */
#define SOCK_ID_TP(addr) ((__u64)(unsigned long)(addr) * 0x9E3779B97F4A7C15ULL)

static __always_inline __u64 sock_id(const struct sock *sk, bool btf)
{
	return btf ? bpf_get_socket_cookie((void *)sk) : SOCK_ID_TP(sk);
}

/*
 * Every helper below that reads the socket takes btf: true in the tp_btf
 * programs (typed arguments: plain loads, see TI_KREAD), false in the
 * classic tracepoint programs (probe reads). It is a constant at each call
 * site, so each program is compiled with its own way of reading.
 */

static __always_inline struct ti_conn_counters *counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ti_conn_stats, &zero);
}

static __always_inline bool netns_ok(__u32 ino)
{
	return !cfg_netns_ino || ino == cfg_netns_ino;
}

/* Fill the tuple from a socket: dst = local end, src = remote peer.
 * Returns false if the socket is neither IPv4 nor IPv6. */
static __always_inline bool tuple_from_sock(const struct sock *sk,
					    struct ti_tuple *t, bool btf)
{
	const struct inet_sock *inet = (const struct inet_sock *)sk;

	if (!skc_addrs(&sk->__sk_common, t, btf))
		return false;
	/* inet_sport stays set until the socket is freed; skc_num is cleared
	 * when it is unhashed, before the final CLOSE transition. struct
	 * inet_sock extends struct sock: a typed load through the cast would
	 * be refused (outside struct sock), so this one is a probe read. */
	t->dport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	t->sport = bpf_ntohs(TI_KREAD(btf, sk, __sk_common.skc_dport));
	return true;
}

/*
 * Fill the tuple from the segment that provoked a reset when there is no
 * socket (e.g. a SYN to a closed port): src = the segment's source.
 */
static __always_inline bool tuple_from_skb(const struct sk_buff *skb,
					   struct ti_tuple *t, bool btf)
{
	unsigned char *head = TI_KREAD(btf, skb, head);
	__u16 nh = TI_KREAD(btf, skb, network_header);
	__u16 th_off = TI_KREAD(btf, skb, transport_header);
	struct tcphdr th;
	__u8 vbyte;

	if (!head || bpf_probe_read_kernel(&vbyte, 1, head + nh))
		return false;
	if ((vbyte >> 4) == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		__builtin_memcpy(t->saddr, &ip.saddr, 4);
		__builtin_memcpy(t->daddr, &ip.daddr, 4);
		t->family = TI_AF_INET;
	} else if ((vbyte >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		__builtin_memcpy(t->saddr, &ip6.saddr, 16);
		__builtin_memcpy(t->daddr, &ip6.daddr, 16);
		t->family = TI_AF_INET6;
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&th, sizeof(th), head + th_off))
		return false;
	t->sport = bpf_ntohs(th.source);
	t->dport = bpf_ntohs(th.dest);
	return true;
}

static __always_inline bool tuple_wanted(const struct ti_tuple *t)
{
	if (cfg_family && t->family != cfg_family)
		return false;
	if (cfg_port_filter && !bpf_map_lookup_elem(&ti_conn_ports, &t->dport))
		return false;
	return true;
}

static __always_inline __u32 sock_netns(const struct sock *sk, bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The network namespace filter, first: with --netns (or a lab interface)
 * most sockets on the host are someone else's and cost only this. */
static __always_inline bool sock_netns_ok(const struct sock *sk, bool btf)
{
	return !cfg_netns_ino || netns_ok(sock_netns(sk, btf));
}

static __always_inline __u32 sock_state(const struct sock *sk, bool btf)
{
	return TI_KREAD(btf, sk, __sk_common.skc_state);
}

static __always_inline bool event_wanted(__u32 type)
{
	return cfg_events & TI_EV_BIT(type);
}

static __always_inline void event_hdr(struct ti_event_hdr *hdr, __u32 type,
				      __u64 now)
{
	hdr->ts_ns = now;
	hdr->type = type;
	hdr->cpu = bpf_get_smp_processor_id();
}

/*
 * Reserve a connection event in the ring and fill its header and the
 * current task; the caller fills the rest in place and calls
 * conn_event_submit(). NULL (counted) when the ring is full, NULL (not
 * counted) when the kind is not selected.
 */
static __always_inline struct ti_conn_event *
conn_event_reserve(struct ti_conn_counters *cnt, __u32 type, __u64 now)
{
	struct ti_conn_event *e;

	if (!event_wanted(type))
		return NULL;
	e = bpf_ringbuf_reserve(&ti_conn_events, sizeof(*e), 0);
	if (!e) {
		cnt->events_dropped++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	event_hdr(&e->hdr, type, now);
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void conn_event_submit(struct ti_conn_counters *cnt,
					      struct ti_conn_event *e)
{
	bpf_ringbuf_submit(e, ring_wake_flag(sizeof(*e)));
	cnt->events_sent++;
}

/* A reset received: the socket's current state. */
static __always_inline int reset_received(const struct sock *sk, bool btf)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event *e;
	struct ti_tuple t = {};

	if (!cnt || !sk)
		return 0;
	cnt->resets_rx++;
	if (!event_wanted(TI_EV_RESET_RX) || !sock_netns_ok(sk, btf))
		return 0;
	if (!tuple_from_sock(sk, &t, btf) || !tuple_wanted(&t))
		return 0;
	e = conn_event_reserve(cnt, TI_EV_RESET_RX, bpf_ktime_get_ns());
	if (!e)
		return 0;
	e->tuple = t;
	e->sock_id = sock_id(sk, btf);
	e->new_state = sock_state(sk, btf);
	conn_event_submit(cnt, e);
	return 0;
}

static __always_inline int reset_sent(const struct sock *sk,
				      const struct sk_buff *skb, bool btf)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event *e;
	struct ti_tuple t = {};
	__u32 state;

	if (!cnt)
		return 0;
	cnt->resets_tx++;
	if (!event_wanted(TI_EV_RESET_TX))
		return 0;
	if (sk) {
		if (!sock_netns_ok(sk, btf) || !tuple_from_sock(sk, &t, btf))
			return 0;
		state = sock_state(sk, btf);
	} else {
		const struct net_device *dev;
		__u32 ino = 0;

		if (!skb)
			return 0;
		dev = TI_KREAD(btf, skb, dev);
		if (dev)
			ino = btf ? dev->nd_net.net->ns.inum :
				    BPF_CORE_READ(dev, nd_net.net, ns.inum);
		if (!netns_ok(ino))
			return 0;
		if (!tuple_from_skb(skb, &t, btf))
			return 0;
		state = TI_TCP_NONE_STATE;
	}
	if (!tuple_wanted(&t))
		return 0;
	e = conn_event_reserve(cnt, TI_EV_RESET_TX, bpf_ktime_get_ns());
	if (!e)
		return 0;
	e->tuple = t;
	e->new_state = state;
	if (sk)
		e->sock_id = sock_id(sk, btf);
	conn_event_submit(cnt, e);
	return 0;
}

static __always_inline bool is_tcp_sock(const struct sock *sk, bool btf)
{
	if (btf)
		return BPF_CORE_READ_BITFIELD(sk, sk_protocol) == IPPROTO_TCP_NUM;
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP_NUM;
}

#include "conn_life.bpf.h"

/* ---- tp_btf variants (preferred) ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ti_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	if (!is_tcp_sock(sk, true))
		return 0;
	return on_state(sk, oldstate, newstate, true);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ti_retrans_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return on_retrans(sk, true);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(ti_rst_rx_btf, struct sock *sk)
{
	return reset_received(sk, true);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ti_rst_tx_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return reset_sent(sk, skb, true);
}

/* ---- classic tracepoint variants (fallback; need tracefs) ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int ti_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_NUM)
		return 0;
	return on_state(ctx->skaddr, ctx->oldstate, ctx->newstate, false);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int ti_retrans_tp(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	return on_retrans(ctx->skaddr, false);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int ti_rst_rx_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return reset_received(ctx->skaddr, false);
}

SEC("tracepoint/tcp/tcp_send_reset")
int ti_rst_tx_tp(struct trace_event_raw_tcp_send_reset *ctx)
{
	return reset_sent(ctx->skaddr, ctx->skbaddr, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
