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
static __always_inline __u64 ring_wake_flag(void)
{
	return ti_ring_wake_flag_sized(&ti_conn_events, TI_CONN_RING_BYTES);
}

/*
 * An opaque, stable id for a socket. tp_btf programs use the kernel's
 * socket cookie; classic tracepoints only have the socket's address as a
 * number, scrambled so it does not expose the kernel address
 * (multiplication by an odd constant is a bijection).
 */
#define SOCK_ID_BTF(sk) bpf_get_socket_cookie((void *)(sk))
#define SOCK_ID_TP(addr) ((__u64)(unsigned long)(addr) * 0x9E3779B97F4A7C15ULL)

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
					    struct ti_tuple *t)
{
	const struct inet_sock *inet = (const struct inet_sock *)sk;

	if (!skc_addrs(&sk->__sk_common, t))
		return false;
	/* inet_sport stays set until the socket is freed; skc_num is cleared
	 * when it is unhashed, before the final CLOSE transition. */
	t->dport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	t->sport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return true;
}

/*
 * Fill the tuple from the segment that provoked a reset when there is no
 * socket (e.g. a SYN to a closed port): src = the segment's source.
 */
static __always_inline bool tuple_from_skb(const struct sk_buff *skb,
					   struct ti_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
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

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline void submit(struct ti_conn_counters *cnt,
				   const struct ti_conn_event *ev)
{
	struct ti_conn_event *out;

	out = bpf_ringbuf_reserve(&ti_conn_events, sizeof(*out), 0);
	if (!out) {
		cnt->events_dropped++;
		return;
	}
	__builtin_memcpy(out, ev, sizeof(*ev));
	bpf_ringbuf_submit(out, ring_wake_flag());
	cnt->events_sent++;
}

static __always_inline void fill_task(struct ti_conn_event *ev, __u32 type)
{
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.type = type;
	ev->hdr.cpu = bpf_get_smp_processor_id();
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* A socket event (state change, retransmit, reset received). protocol is
 * checked by the caller where the tracepoint is not TCP-only. */
static __always_inline int sock_event(const struct sock *sk, __u64 id,
				      __u32 type, __u32 old_state,
				      __u32 new_state)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event ev = {};

	if (!cnt || !sk)
		return 0;
	switch (type) {
	case TI_EV_STATE:
		cnt->state_changes++;
		break;
	case TI_EV_RETRANSMIT:
		cnt->retransmits++;
		break;
	case TI_EV_RESET_RX:
		cnt->resets_rx++;
		break;
	}
	if (!netns_ok(sock_netns(sk)))
		return 0;
	if (!tuple_from_sock(sk, &ev.tuple) || !tuple_wanted(&ev.tuple))
		return 0;
	fill_task(&ev, type);
	ev.sock_id = id;
	ev.old_state = old_state;
	ev.new_state = new_state;
	submit(cnt, &ev);
	return 0;
}

static __always_inline __u32 sock_state(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_state);
}

static __always_inline int reset_sent(const struct sock *sk, __u64 id,
				      const struct sk_buff *skb)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event ev = {};
	__u32 ino;

	if (!cnt)
		return 0;
	cnt->resets_tx++;
	if (sk) {
		ino = sock_netns(sk);
		if (!tuple_from_sock(sk, &ev.tuple))
			return 0;
		ev.new_state = sock_state(sk);
		ev.sock_id = id;
	} else {
		if (!skb)
			return 0;
		ino = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		if (!tuple_from_skb(skb, &ev.tuple))
			return 0;
		ev.new_state = TI_TCP_NONE_STATE;
	}
	if (!netns_ok(ino) || !tuple_wanted(&ev.tuple))
		return 0;
	fill_task(&ev, TI_EV_RESET_TX);
	submit(cnt, &ev);
	return 0;
}

static __always_inline bool is_tcp_sock(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP_NUM;
}

#include "conn_life.bpf.h"

/* ---- tp_btf variants (preferred) ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ti_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	if (!is_tcp_sock(sk))
		return 0;
	return on_state(sk, SOCK_ID_BTF(sk), oldstate, newstate);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ti_retrans_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return on_retrans(sk, SOCK_ID_BTF(sk));
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(ti_rst_rx_btf, struct sock *sk)
{
	return sock_event(sk, SOCK_ID_BTF(sk), TI_EV_RESET_RX, 0,
			  sock_state(sk));
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ti_rst_tx_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return reset_sent(sk, sk ? SOCK_ID_BTF(sk) : 0, skb);
}

/* ---- classic tracepoint variants (fallback; need tracefs) ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int ti_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_NUM)
		return 0;
	return on_state(ctx->skaddr, SOCK_ID_TP(ctx->skaddr), ctx->oldstate,
			ctx->newstate);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int ti_retrans_tp(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	return on_retrans(ctx->skaddr, SOCK_ID_TP(ctx->skaddr));
}

SEC("tracepoint/tcp/tcp_receive_reset")
int ti_rst_rx_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	const struct sock *sk = ctx->skaddr;

	return sock_event(sk, SOCK_ID_TP(sk), TI_EV_RESET_RX, 0,
			  sock_state(sk));
}

SEC("tracepoint/tcp/tcp_send_reset")
int ti_rst_tx_tp(struct trace_event_raw_tcp_send_reset *ctx)
{
	return reset_sent(ctx->skaddr, SOCK_ID_TP(ctx->skaddr), ctx->skbaddr);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
