/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conn_life.bpf.h - connection lifecycle, included by conn.bpf.c (it uses
 * that file's maps, filters and tuple helpers).
 *
 * A socket is remembered (ti_sock_life, LRU, keyed by the kernel's socket
 * address) from SYN_SENT / SYN_RECV to CLOSE. That gives, without kprobes:
 *  - handshake: SYN to ESTABLISHED of passive opens (the SYN-ACK's RTT, or
 *    the first SYN-ACK's send time when it had to be retransmitted);
 *  - accept: the process that accepted it and the wait in the accept queue
 *    (sys_exit_accept/accept4 tracepoints walking fd -> file -> sock);
 *  - close: lifetime, bytes, retransmits, RTT, owner, who closed first;
 *  - retransmit kind and a running count;
 *  - drop and listen_overflow from the kfree_skb tracepoint.
 * Hot paths (state changes, retransmits, drops) do one map lookup and
 * filter before reading more; nothing is sent per packet.
 */
#ifndef TI_CONN_LIFE_BPF_H
#define TI_CONN_LIFE_BPF_H

#define TI_LIFE_MAX_SOCKS 32768
#define TI_HALFOPEN_MAX 8192
#define TI_HIST_MAX_KEYS 512
#define ICSK_TIME_LOSS_PROBE_NUM 5 /* include/net/inet_connection_sock.h */
#define ETH_P_IP_BE 0x0008          /* htons(0x0800) on little endian */
#define ETH_P_IPV6_BE 0xDD86

/* Set by user space: the state programs are the tp_btf ones, whose
 * sock_id is the socket cookie. */
const volatile bool cfg_cookie_ids = false;

/* What is remembered about a socket between its state changes. */
struct sock_life {
	__u64 sock_id;
	__u64 start_ns;       /* SYN_SENT / SYN_RECV; 0 = seen later */
	__u64 established_ns;
	__u64 syn_ns;         /* passive: first SYN-ACK sent, if retransmitted */
	__u64 rtt_sum_us;
	__u32 rtt_samples;
	__u32 rtt_min_us;
	__u32 rtt_max_us;
	__u32 owner_pid;
	__u32 retrans;        /* retransmit events seen */
	__u32 flags;          /* TI_SOCKF_* */
	char owner_comm[TI_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TI_LIFE_MAX_SOCKS);
	__type(key, __u64); /* sock_id: cookie or scrambled address */
	__type(value, struct sock_life);
} ti_sock_life SEC(".maps");

/* Keyed by the remote peer's addresses: LRU, so a SYN flood only evicts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TI_HALFOPEN_MAX);
	__type(key, struct ti_tuple);
	__type(value, struct ti_halfopen);
} ti_halfopen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TI_HIST_MAX_KEYS);
	__type(key, struct ti_hist_key);
	__type(value, struct ti_hist);
} ti_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ti_life_counters);
} ti_life_stats SEC(".maps");

static __always_inline struct ti_life_counters *life_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ti_life_stats, &zero);
}

static __always_inline struct ti_sock_event *
sock_event_reserve(struct ti_life_counters *lc, __u32 type)
{
	struct ti_sock_event *e;

	e = bpf_ringbuf_reserve(&ti_conn_events, sizeof(*e), 0);
	if (!e) {
		lc->events_dropped++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.type = type;
	e->hdr.cpu = bpf_get_smp_processor_id();
	return e;
}

static __always_inline void sock_event_submit(struct ti_life_counters *lc,
					      struct ti_sock_event *e)
{
	bpf_ringbuf_submit(e, ring_wake_flag());
	lc->events_sent++;
}

static __always_inline __u32 srtt_of(const struct sock *sk)
{
	return BPF_CORE_READ((const struct tcp_sock *)sk, srtt_us) >> 3;
}

static __always_inline void rtt_sample(struct sock_life *l, __u32 rtt_us)
{
	if (!rtt_us)
		return;
	l->rtt_sum_us += rtt_us;
	l->rtt_samples++;
	if (!l->rtt_min_us || rtt_us < l->rtt_min_us)
		l->rtt_min_us = rtt_us;
	if (rtt_us > l->rtt_max_us)
		l->rtt_max_us = rtt_us;
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot = 0;

	for (int i = 0; i < TI_HIST_SLOTS - 1; i++) {
		if (v < 2)
			break;
		v >>= 1;
		slot++;
	}
	return slot;
}

static __always_inline void hist_add(__u16 port, __u16 kind, __u16 family,
				     __u64 us)
{
	struct ti_hist_key key = { .port = port, .kind = kind, .family = family };
	struct ti_hist *h = bpf_map_lookup_elem(&ti_hists, &key);
	__u32 slot;

	if (!h) {
		struct ti_hist zero = {};

		bpf_map_update_elem(&ti_hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&ti_hists, &key);
		if (!h)
			return;
	}
	slot = log2_slot(us);
	if (slot < TI_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_us, us);
}

static __always_inline void owner_to_event(const struct sock_life *l,
					   struct ti_sock_event *e)
{
	if (!(l->flags & TI_SOCKF_OWNER))
		return;
	e->pid = l->owner_pid;
	__builtin_memcpy(e->comm, l->owner_comm, TI_COMM_LEN);
}

/* Passive open reached ESTABLISHED: handshake event and histogram. */
static __always_inline void handshake_done(const struct sock *sk,
					   struct sock_life *l,
					   const struct ti_conn_event *ev)
{
	struct ti_life_counters *lc = life_counters();
	struct ti_halfopen *h;
	struct ti_sock_event *e;
	__u32 srtt = srtt_of(sk);
	__u64 dur = 0;
	__u32 rtx = 0;

	if (!lc)
		return;
	lc->handshakes++;
	h = bpf_map_lookup_elem(&ti_halfopen, &ev->tuple);
	if (h) {
		/* SYN-ACK retransmitted: no RTT sample (Karn), but the
		 * first SYN-ACK's send time is known. */
		l->syn_ns = h->first_synack_ns;
		rtx = h->retrans;
		if (ev->hdr.ts_ns > h->first_synack_ns)
			dur = ev->hdr.ts_ns - h->first_synack_ns;
		bpf_map_delete_elem(&ti_halfopen, &ev->tuple);
	} else if (srtt) {
		/* tcp_check_req() measured SYN-ACK -> ACK just before; the
		 * SYN was answered microseconds before the SYN-ACK. */
		dur = (__u64)srtt * 1000;
	} else if (l->start_ns && ev->hdr.ts_ns > l->start_ns) {
		dur = ev->hdr.ts_ns - l->start_ns;
	}
	hist_add(ev->tuple.dport, TI_HIST_HANDSHAKE, ev->tuple.family, dur / 1000);
	e = sock_event_reserve(lc, TI_EV_HANDSHAKE);
	if (!e)
		return;
	e->tuple = ev->tuple;
	e->sock_id = ev->sock_id;
	e->duration_ns = dur;
	e->total_retrans = rtx;
	e->srtt_us = srtt;
	e->state = TI_TCP_ESTABLISHED;
	e->flags = TI_SOCKF_PASSIVE | TI_SOCKF_COMPLETED | TI_SOCKF_DURATION;
	sock_event_submit(lc, e);
}

static __always_inline void close_event(const struct sock *sk,
					struct sock_life *l,
					const struct ti_conn_event *ev,
					__u32 old_state)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct ti_life_counters *lc = life_counters();
	struct ti_sock_event *e;
	__u32 srtt = srtt_of(sk);
	__u32 kmin;

	if (!lc)
		return;
	lc->closes++;
	e = sock_event_reserve(lc, TI_EV_CLOSE);
	if (!e)
		return;
	e->tuple = ev->tuple;
	e->sock_id = ev->sock_id;
	e->state = old_state;
	e->bytes_received = BPF_CORE_READ(tp, bytes_received);
	e->bytes_sent = BPF_CORE_READ(tp, bytes_acked);
	e->total_retrans = BPF_CORE_READ(tp, total_retrans);
	e->srtt_us = srtt;
	if (l) {
		rtt_sample(l, srtt);
		e->flags = l->flags;
		if (l->start_ns && ev->hdr.ts_ns > l->start_ns) {
			e->duration_ns = ev->hdr.ts_ns - l->start_ns;
			e->flags |= TI_SOCKF_DURATION;
		}
		owner_to_event(l, e);
		if (l->rtt_samples) {
			e->rtt_min_us = l->rtt_min_us;
			e->rtt_max_us = l->rtt_max_us;
			e->rtt_avg_us = l->rtt_sum_us / l->rtt_samples;
		}
	} else if (srtt) {
		e->rtt_min_us = e->rtt_max_us = e->rtt_avg_us = srtt;
	}
	/* The kernel's windowed minimum RTT sees every ACK: better than
	 * our samples at state changes. ~0U means "no sample". */
	kmin = BPF_CORE_READ(tp, rtt_min.s[0].v);
	if (kmin && kmin != ~0U && (!e->rtt_min_us || kmin < e->rtt_min_us))
		e->rtt_min_us = kmin;
	if (e->rtt_min_us)
		e->flags |= TI_SOCKF_RTT;
	if (old_state == TI_TCP_ESTABLISHED || old_state == TI_TCP_SYN_RECV ||
	    old_state == TI_TCP_SYN_SENT)
		e->flags |= TI_SOCKF_RESET; /* straight to CLOSE: aborted */
	if ((e->flags & TI_SOCKF_PASSIVE) && srtt)
		hist_add(ev->tuple.dport, TI_HIST_RTT, ev->tuple.family, srtt);
	sock_event_submit(lc, e);
}

/* A state change of a TCP socket: the state event, then the lifecycle. */
static __always_inline int on_state(const struct sock *sk, __u64 id,
				    int old_state, int new_state)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event ev = {};
	struct sock_life *l;
	__u64 key = id;

	if (!cnt || !sk)
		return 0;
	cnt->state_changes++;
	if (!netns_ok(sock_netns(sk)))
		return 0;
	/* A new passive child has the listener's addresses until
	 * tcp_v4/v6_syn_recv_sock() copies the request's: its tuple is the
	 * listener's, which is what the port filter wants. */
	if (!tuple_from_sock(sk, &ev.tuple) || !tuple_wanted(&ev.tuple))
		return 0;
	fill_task(&ev, TI_EV_STATE);
	ev.sock_id = id;
	ev.old_state = old_state;
	ev.new_state = new_state;
	submit(cnt, &ev);

	if (new_state == TI_TCP_SYN_RECV || new_state == TI_TCP_SYN_SENT) {
		struct sock_life n = {};

		n.sock_id = id;
		n.start_ns = ev.hdr.ts_ns;
		if (new_state == TI_TCP_SYN_RECV) {
			n.flags = TI_SOCKF_PASSIVE;
		} else {
			/* connect() runs in the owner's context. */
			n.flags = TI_SOCKF_ACTIVE | TI_SOCKF_OWNER;
			n.owner_pid = ev.pid;
			__builtin_memcpy(n.owner_comm, ev.comm, TI_COMM_LEN);
		}
		bpf_map_update_elem(&ti_sock_life, &key, &n, BPF_ANY);
		return 0;
	}
	l = bpf_map_lookup_elem(&ti_sock_life, &key);
	switch (new_state) {
	case TI_TCP_ESTABLISHED:
		if (!l)
			return 0;
		l->established_ns = ev.hdr.ts_ns;
		rtt_sample(l, srtt_of(sk));
		if (l->flags & TI_SOCKF_PASSIVE)
			handshake_done(sk, l, &ev);
		return 0;
	case TI_TCP_FIN_WAIT1:
	case TI_TCP_CLOSE_WAIT:
		if (!l)
			return 0;
		if (!(l->flags & (TI_SOCKF_LOCAL_CLOSED | TI_SOCKF_REMOTE_CLOSED)))
			l->flags |= new_state == TI_TCP_FIN_WAIT1 ?
					    TI_SOCKF_LOCAL_CLOSED :
					    TI_SOCKF_REMOTE_CLOSED;
		rtt_sample(l, srtt_of(sk));
		return 0;
	case TI_TCP_CLOSE:
		if (old_state == TI_TCP_LISTEN || old_state == TI_TCP_CLOSE)
			return 0;
		close_event(sk, l, &ev, old_state);
		if (l)
			bpf_map_delete_elem(&ti_sock_life, &key);
		return 0;
	}
	return 0;
}

static __always_inline __u32 retrans_kind(const struct sock *sk, __u32 state)
{
	const struct inet_connection_sock *icsk =
		(const struct inet_connection_sock *)sk;
	__u8 ca_state, pending;

	if (state == TI_TCP_SYN_SENT)
		return TI_RETX_SYN;
	ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	if (ca_state == TCP_CA_Loss)
		return TI_RETX_RTO;
	if (ca_state == TCP_CA_Recovery)
		return TI_RETX_FAST;
	/* The loss-probe timer stays pending while its handler runs. */
	pending = BPF_CORE_READ(icsk, icsk_pending);
	if (pending == ICSK_TIME_LOSS_PROBE_NUM)
		return TI_RETX_TLP;
	return TI_RETX_OTHER;
}

static __always_inline int on_retrans(const struct sock *sk, __u64 id)
{
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event ev = {};
	struct sock_life *l;
	__u64 key = id;

	if (!cnt || !sk)
		return 0;
	cnt->retransmits++;
	if (!netns_ok(sock_netns(sk)))
		return 0;
	if (!tuple_from_sock(sk, &ev.tuple) || !tuple_wanted(&ev.tuple))
		return 0;
	fill_task(&ev, TI_EV_RETRANSMIT);
	ev.sock_id = id;
	ev.new_state = sock_state(sk);
	ev.retrans_kind = retrans_kind(sk, ev.new_state);
	l = bpf_map_lookup_elem(&ti_sock_life, &key);
	if (!l) {
		/* A connection older than this session: count from here. */
		struct sock_life n = { .sock_id = id };

		bpf_map_update_elem(&ti_sock_life, &key, &n, BPF_NOEXIST);
		l = bpf_map_lookup_elem(&ti_sock_life, &key);
	}
	if (l) {
		l->retrans++;
		ev.retrans_count = l->retrans;
		rtt_sample(l, srtt_of(sk));
	}
	submit(cnt, &ev);
	return 0;
}

/* ---- SYN-ACK retransmissions: half-open connections ---- */

static __always_inline int on_synack(const struct sock *lsk,
				     const struct request_sock *req)
{
	const struct tcp_request_sock *treq = (const struct tcp_request_sock *)req;
	struct ti_life_counters *lc = life_counters();
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event ev = {};
	struct ti_halfopen *h;
	__u64 now;

	if (!lc || !cnt || !lsk || !req)
		return 0;
	lc->synack_retrans++;
	if (!netns_ok(sock_netns(lsk)))
		return 0;
	if (!tuple_from_skc(&req->__req_common, &ev.tuple) ||
	    !tuple_wanted(&ev.tuple))
		return 0;
	fill_task(&ev, TI_EV_RETRANSMIT);
	now = ev.hdr.ts_ns;
	h = bpf_map_lookup_elem(&ti_halfopen, &ev.tuple);
	if (!h) {
		struct ti_halfopen n = {};

		/* snt_synack: tcp_clock_us(), the same clock in us. */
		n.first_synack_ns = BPF_CORE_READ(treq, snt_synack) * 1000;
		if (!n.first_synack_ns || n.first_synack_ns > now)
			n.first_synack_ns = now;
		n.timeout_ms = (now - n.first_synack_ns) / 1000000;
		bpf_map_update_elem(&ti_halfopen, &ev.tuple, &n, BPF_ANY);
		h = bpf_map_lookup_elem(&ti_halfopen, &ev.tuple);
		if (!h)
			return 0;
	}
	h->retrans++;
	h->last_retrans_ns = now;
	h->backlog = BPF_CORE_READ(lsk, sk_ack_backlog);
	h->max_backlog = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	ev.new_state = TI_TCP_NEW_SYN_RECV;
	ev.retrans_kind = TI_RETX_SYNACK;
	ev.retrans_count = h->retrans;
	submit(cnt, &ev); /* no sock_id: not a full socket yet */
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(ti_synack_btf, const struct sock *sk, const struct request_sock *req)
{
	return on_synack(sk, req);
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int ti_synack_tp(struct trace_event_raw_tcp_retransmit_synack *ctx)
{
	return on_synack(ctx->skaddr, ctx->req);
}

/* ---- accept(): the owning process and the accept-queue wait ---- */

static __always_inline int on_accept(long fd)
{
	struct ti_life_counters *lc;
	struct task_struct *task;
	struct file **fds, *file = NULL;
	struct socket *sock;
	struct ti_sock_event *e;
	struct sock_life *l;
	struct fdtable *fdt;
	struct ti_tuple t = {};
	struct sock *sk;
	__u64 key;

	if (fd < 0)
		return 0;
	lc = life_counters();
	if (!lc)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (unsigned long)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || !is_tcp_sock(sk))
		return 0;
	lc->accepts++;
	if (!netns_ok(sock_netns(sk)))
		return 0;
	if (!tuple_from_sock(sk, &t) || !tuple_wanted(&t))
		return 0;
	e = sock_event_reserve(lc, TI_EV_ACCEPT);
	if (!e)
		return 0;
	e->tuple = t;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->state = sock_state(sk);
	e->srtt_us = srtt_of(sk);
	e->flags = TI_SOCKF_PASSIVE | TI_SOCKF_OWNER;
	/* The key the state programs used: the socket cookie they generated
	 * (tp_btf) or the scrambled address (classic tracepoints). */
	key = cfg_cookie_ids ? BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) :
			       SOCK_ID_TP(sk);
	l = bpf_map_lookup_elem(&ti_sock_life, &key);
	if (l) {
		e->sock_id = l->sock_id;
		l->owner_pid = e->pid;
		__builtin_memcpy(l->owner_comm, e->comm, TI_COMM_LEN);
		l->flags |= TI_SOCKF_OWNER;
		if (l->established_ns && e->hdr.ts_ns > l->established_ns) {
			e->duration_ns = e->hdr.ts_ns - l->established_ns;
			e->flags |= TI_SOCKF_WAIT;
		}
	}
	sock_event_submit(lc, e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ti_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ti_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

/* ---- drops with the kernel's reason (kfree_skb) ---- */

/* Addresses and ports of a received TCP segment, from its network header
 * (the transport header is not set yet for drops below TCP). */
static __always_inline bool tcp_tuple_from_skb(const struct sk_buff *skb,
					       __u16 proto, struct ti_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 ports[2];
	__u32 th;

	if (!head || nh == (__u16)~0U)
		return false;
	if (proto == ETH_P_IP_BE) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		if (ip.protocol != IPPROTO_TCP_NUM || ip.version != 4 ||
		    (ip.frag_off & bpf_htons(0x1fff)))
			return false;
		__builtin_memcpy(t->saddr, &ip.saddr, 4);
		__builtin_memcpy(t->daddr, &ip.daddr, 4);
		t->family = TI_AF_INET;
		th = nh + ip.ihl * 4;
	} else {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		/* Extension headers are rare on TCP: not walked here. */
		if (ip6.nexthdr != IPPROTO_TCP_NUM)
			return false;
		__builtin_memcpy(t->saddr, &ip6.saddr, 16);
		__builtin_memcpy(t->daddr, &ip6.daddr, 16);
		t->family = TI_AF_INET6;
		th = nh + sizeof(ip6);
	}
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + th))
		return false;
	t->sport = bpf_ntohs(ports[0]);
	t->dport = bpf_ntohs(ports[1]);
	return true;
}

static __always_inline int on_drop(const struct sk_buff *skb, __u32 reason,
				   const struct sock *rx_sk)
{
	struct ti_life_counters *lc;
	struct ti_sock_event *e;
	struct net_device *dev;
	struct ti_tuple t = {};
	__u32 type = TI_EV_DROP;
	__u16 proto;
	__u32 iif, ino;

	/* Cheapest tests first: most frees are not received TCP. */
	if (reason <= SKB_CONSUMED)
		return 0;
	proto = BPF_CORE_READ(skb, protocol);
	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE)
		return 0;
	iif = BPF_CORE_READ(skb, skb_iif);
	if (!iif)
		return 0; /* locally generated: not an incoming packet */
	if (!tcp_tuple_from_skb(skb, proto, &t))
		return 0;
	lc = life_counters();
	if (!lc)
		return 0;
	dev = BPF_CORE_READ(skb, dev);
	ino = dev ? BPF_CORE_READ(dev, nd_net.net, ns.inum) :
		    rx_sk ? sock_netns(rx_sk) : 0;
	if (!netns_ok(ino) || !tuple_wanted(&t))
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason,
				       SKB_DROP_REASON_TCP_LISTEN_OVERFLOW) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_TCP_LISTEN_OVERFLOW)) {
		type = TI_EV_LISTEN_OVERFLOW;
		lc->listen_overflows++;
	} else {
		lc->drops++;
	}
	e = sock_event_reserve(lc, type);
	if (!e)
		return 0;
	e->tuple = t;
	e->reason = reason;
	e->ifindex = iif;
	if (rx_sk) {
		e->state = sock_state(rx_sk);
		if (e->state == TI_TCP_LISTEN) {
			e->backlog = BPF_CORE_READ(rx_sk, sk_ack_backlog);
			e->max_backlog = BPF_CORE_READ(rx_sk, sk_max_ack_backlog);
		}
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	sock_event_submit(lc, e);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(ti_drop_btf, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, struct sock *rx_sk)
{
	return on_drop(skb, reason, rx_sk);
}

SEC("tracepoint/skb/kfree_skb")
int ti_drop_tp(struct trace_event_raw_kfree_skb *ctx)
{
	const struct sock *rx_sk = NULL;

	if (bpf_core_field_exists(ctx->rx_sk))
		rx_sk = ctx->rx_sk;
	return on_drop(ctx->skbaddr, ctx->reason, rx_sk);
}

/* ---- listeners' drop counters and pending requests, read by user space
 * about once a second ---- */

/*
 * A connection request (NEW_SYN_RECV) found by the poll: remember it in
 * ti_halfopen, so that one whose SYN-ACK is never retransmitted (no
 * tcp_retransmit_synack tracepoint: tcp_synack_retries 0, or a final ACK
 * lost before the first time-out) is still reported when it times out.
 * User space (conn_tick) reports an entry that the poll stops finding
 * after all its retransmissions as timed out; handshake_done() removes the
 * completed ones.
 */
static __always_inline int halfopen_seen(const struct sock_common *skc)
{
	const struct request_sock *req = (const struct request_sock *)skc;
	const struct tcp_request_sock *treq = (const struct tcp_request_sock *)req;
	const struct sock *lsk = BPF_CORE_READ(req, __req_common.skc_listener);
	const struct inet_connection_sock *licsk =
		(const struct inet_connection_sock *)lsk;
	struct ti_tuple t = {};
	struct ti_halfopen *h;
	__u64 now = bpf_ktime_get_ns();
	__u32 n;

	/* Unhashed: completed or dropped while the iterator held it. */
	if (!lsk || !BPF_CORE_READ(skc, skc_node.pprev))
		return 0;
	if (!tuple_from_skc(skc, &t) || !tuple_wanted(&t))
		return 0;
	h = bpf_map_lookup_elem(&ti_halfopen, &t);
	if (!h) {
		struct ti_halfopen fresh = {};

		fresh.first_synack_ns = BPF_CORE_READ(treq, snt_synack) * 1000;
		if (!fresh.first_synack_ns || fresh.first_synack_ns > now)
			fresh.first_synack_ns = now;
		bpf_map_update_elem(&ti_halfopen, &t, &fresh, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&ti_halfopen, &t);
		if (!h)
			return 0;
	}
	h->seen_ns = now;
	n = BPF_CORE_READ_BITFIELD_PROBED(req, num_timeout);
	if (n > h->retrans)
		h->retrans = n;
	/* reqsk_timer_handler(): the listener's TCP_SYNCNT, else the sysctl. */
	n = BPF_CORE_READ(licsk, icsk_syn_retries);
	if (!n)
		n = BPF_CORE_READ(lsk, __sk_common.skc_net.net,
				  ipv4.sysctl_tcp_synack_retries);
	h->max_retrans = n;
	h->backlog = BPF_CORE_READ(lsk, sk_ack_backlog);
	h->max_backlog = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	return 0;
}

SEC("iter/tcp")
int ti_listen_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ti_listen_row r = {};
	struct tcp_sock *tp;
	struct sock *sk;
	__u8 state;

	if (!skc)
		return 0;
	state = BPF_CORE_READ(skc, skc_state);
	if (state == TI_TCP_NEW_SYN_RECV)
		return halfopen_seen(skc);
	if (state != TI_TCP_LISTEN)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (!tuple_from_skc(skc, &r.tuple) || !tuple_wanted(&r.tuple))
		return 0;
	r.drops = (__u32)BPF_CORE_READ(sk, sk_drops.counter);
	r.backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	r.max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

#endif /* TI_CONN_LIFE_BPF_H */
