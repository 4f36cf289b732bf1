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
sock_event_reserve(struct ti_life_counters *lc, __u32 type, __u64 now)
{
	struct ti_sock_event *e;

	if (!event_wanted(type)) /* not selected: no record, not counted */
		return NULL;
	e = bpf_ringbuf_reserve(&ti_conn_events, sizeof(*e), 0);
	if (!e) {
		lc->events_dropped++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	event_hdr(&e->hdr, type, now);
	return e;
}

/* A TCP socket's struct tcp_sock. With btf, typed (bpf_skc_to_tcp_sock),
 * so that its fields are plain loads: a cast would not change the type the
 * verifier knows, and it refuses loads past the end of struct sock. NULL
 * if it is not a full TCP socket. */
static __always_inline const struct tcp_sock *tcp_sk_of(const struct sock *sk,
							bool btf)
{
	if (btf)
		return bpf_skc_to_tcp_sock((void *)sk);
	return (const struct tcp_sock *)sk;
}

/* The state event a lifecycle step follows: its tuple, socket id and time
 * (one clock read per program run). */
struct state_ctx {
	struct ti_tuple tuple;
	__u64 sock_id;
	__u64 now;
};

static __always_inline void sock_event_submit(struct ti_life_counters *lc,
					      struct ti_sock_event *e)
{
	bpf_ringbuf_submit(e, ring_wake_flag(sizeof(*e)));
	lc->events_sent++;
}

static __always_inline __u32 srtt_of(const struct tcp_sock *tp, bool btf)
{
	return tp ? TI_KREAD(btf, tp, srtt_us) >> 3 : 0;
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
static __always_inline void handshake_done(__u32 srtt, struct sock_life *l,
					   const struct state_ctx *ev)
{
	struct ti_life_counters *lc = life_counters();
	struct ti_halfopen *h;
	struct ti_sock_event *e;
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
		if (ev->now > h->first_synack_ns)
			dur = ev->now - h->first_synack_ns;
		bpf_map_delete_elem(&ti_halfopen, &ev->tuple);
	} else if (srtt) {
		/* tcp_check_req() measured SYN-ACK -> ACK just before; the
		 * SYN was answered microseconds before the SYN-ACK. */
		dur = (__u64)srtt * 1000;
	} else if (l->start_ns && ev->now > l->start_ns) {
		dur = ev->now - l->start_ns;
	}
	hist_add(ev->tuple.dport, TI_HIST_HANDSHAKE, ev->tuple.family, dur / 1000);
	e = sock_event_reserve(lc, TI_EV_HANDSHAKE, ev->now);
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

static __always_inline void close_event(const struct tcp_sock *tp,
					struct sock_life *l,
					const struct state_ctx *ev,
					__u32 old_state, bool btf)
{
	struct ti_life_counters *lc = life_counters();
	struct ti_sock_event *e;
	__u32 srtt = srtt_of(tp, btf);
	__u32 kmin = 0;

	if (!lc)
		return;
	lc->closes++;
	/* The histogram (watch --summary) also without close events. */
	if (l && (l->flags & TI_SOCKF_PASSIVE) && srtt)
		hist_add(ev->tuple.dport, TI_HIST_RTT, ev->tuple.family, srtt);
	e = sock_event_reserve(lc, TI_EV_CLOSE, ev->now);
	if (!e)
		return;
	e->tuple = ev->tuple;
	e->sock_id = ev->sock_id;
	e->state = old_state;
	if (tp) {
		e->bytes_received = TI_KREAD(btf, tp, bytes_received);
		e->bytes_sent = TI_KREAD(btf, tp, bytes_acked);
		e->total_retrans = TI_KREAD(btf, tp, total_retrans);
		kmin = TI_KREAD(btf, tp, rtt_min.s[0].v);
	}
	e->srtt_us = srtt;
	if (l) {
		rtt_sample(l, srtt);
		e->flags = l->flags;
		if (l->start_ns && ev->now > l->start_ns) {
			e->duration_ns = ev->now - l->start_ns;
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
	if (kmin && kmin != ~0U && (!e->rtt_min_us || kmin < e->rtt_min_us))
		e->rtt_min_us = kmin;
	if (e->rtt_min_us)
		e->flags |= TI_SOCKF_RTT;
	if (old_state == TI_TCP_ESTABLISHED || old_state == TI_TCP_SYN_RECV ||
	    old_state == TI_TCP_SYN_SENT)
		e->flags |= TI_SOCKF_RESET; /* straight to CLOSE: aborted */
	sock_event_submit(lc, e);
}

/* A state change of a TCP socket: the state event, then the lifecycle. */
static __always_inline int on_state(const struct sock *sk, int old_state,
				    int new_state, bool btf)
{
	struct ti_conn_counters *cnt;
	struct ti_conn_event *e;
	struct state_ctx c = {};
	const struct tcp_sock *tp;
	struct sock_life *l;
	__u32 srtt;

	/* Not a change: close() after shutdown(SHUT_WR) runs
	 * tcp_close_state() again, which sets FIN_WAIT1 (or FIN_WAIT2) on a
	 * socket already in it, and the tracepoint fires all the same. */
	if (old_state == new_state || !sk)
		return 0;
	cnt = counters();
	if (!cnt)
		return 0;
	cnt->state_changes++;
	if (!sock_netns_ok(sk, btf))
		return 0;
	/* A new passive child has the listener's addresses until
	 * tcp_v4/v6_syn_recv_sock() copies the request's: its tuple is the
	 * listener's, which is what the port filter wants. */
	if (!tuple_from_sock(sk, &c.tuple, btf) || !tuple_wanted(&c.tuple))
		return 0;
	c.sock_id = sock_id(sk, btf);
	c.now = bpf_ktime_get_ns();
	e = conn_event_reserve(cnt, TI_EV_STATE, c.now);
	if (e) {
		e->tuple = c.tuple;
		e->sock_id = c.sock_id;
		e->old_state = old_state;
		e->new_state = new_state;
	}

	if (new_state == TI_TCP_SYN_RECV || new_state == TI_TCP_SYN_SENT) {
		struct sock_life n = {};

		n.sock_id = c.sock_id;
		n.start_ns = c.now;
		if (new_state == TI_TCP_SYN_RECV) {
			n.flags = TI_SOCKF_PASSIVE;
		} else if (e) {
			/* connect() runs in the owner's context. */
			n.flags = TI_SOCKF_ACTIVE | TI_SOCKF_OWNER;
			n.owner_pid = e->pid;
			__builtin_memcpy(n.owner_comm, e->comm, TI_COMM_LEN);
		} else {
			n.flags = TI_SOCKF_ACTIVE | TI_SOCKF_OWNER;
			n.owner_pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(n.owner_comm, sizeof(n.owner_comm));
		}
		if (e)
			conn_event_submit(cnt, e);
		bpf_map_update_elem(&ti_sock_life, &c.sock_id, &n, BPF_ANY);
		return 0;
	}
	if (e)
		conn_event_submit(cnt, e);
	if (new_state != TI_TCP_ESTABLISHED && new_state != TI_TCP_FIN_WAIT1 &&
	    new_state != TI_TCP_CLOSE_WAIT && new_state != TI_TCP_CLOSE)
		return 0; /* nothing in the lifecycle: no map lookup */
	if (new_state == TI_TCP_CLOSE &&
	    (old_state == TI_TCP_LISTEN || old_state == TI_TCP_CLOSE))
		return 0;
	l = bpf_map_lookup_elem(&ti_sock_life, &c.sock_id);
	if (!l && new_state != TI_TCP_CLOSE)
		return 0;
	tp = tcp_sk_of(sk, btf);
	switch (new_state) {
	case TI_TCP_ESTABLISHED:
		if (!l)
			return 0;
		srtt = srtt_of(tp, btf);
		l->established_ns = c.now;
		rtt_sample(l, srtt);
		if (l->flags & TI_SOCKF_PASSIVE)
			handshake_done(srtt, l, &c);
		return 0;
	case TI_TCP_FIN_WAIT1:
	case TI_TCP_CLOSE_WAIT:
		if (!l)
			return 0;
		if (!(l->flags & (TI_SOCKF_LOCAL_CLOSED | TI_SOCKF_REMOTE_CLOSED)))
			l->flags |= new_state == TI_TCP_FIN_WAIT1 ?
					    TI_SOCKF_LOCAL_CLOSED :
					    TI_SOCKF_REMOTE_CLOSED;
		rtt_sample(l, srtt_of(tp, btf));
		return 0;
	case TI_TCP_CLOSE:
		close_event(tp, l, &c, old_state, btf);
		if (l)
			bpf_map_delete_elem(&ti_sock_life, &c.sock_id);
		return 0;
	}
	return 0;
}

static __always_inline __u32 retrans_kind(const struct tcp_sock *tp,
					  __u32 state, bool btf)
{
	const struct inet_connection_sock *icsk;
	__u8 ca_state, pending;

	if (state == TI_TCP_SYN_SENT)
		return TI_RETX_SYN;
	if (!tp)
		return TI_RETX_OTHER;
	icsk = &tp->inet_conn;
	if (btf)
		ca_state = BPF_CORE_READ_BITFIELD(icsk, icsk_ca_state);
	else
		ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	if (ca_state == TCP_CA_Loss)
		return TI_RETX_RTO;
	if (ca_state == TCP_CA_Recovery)
		return TI_RETX_FAST;
	/* The loss-probe timer stays pending while its handler runs. */
	pending = TI_KREAD(btf, icsk, icsk_pending);
	if (pending == ICSK_TIME_LOSS_PROBE_NUM)
		return TI_RETX_TLP;
	return TI_RETX_OTHER;
}

static __always_inline int on_retrans(const struct sock *sk, bool btf)
{
	struct ti_conn_counters *cnt = counters();
	const struct tcp_sock *tp;
	struct ti_conn_event *e;
	struct ti_tuple t = {};
	struct sock_life *l;
	__u32 state, kind;
	__u64 id;

	if (!cnt || !sk)
		return 0;
	cnt->retransmits++;
	if (!sock_netns_ok(sk, btf))
		return 0;
	if (!tuple_from_sock(sk, &t, btf) || !tuple_wanted(&t))
		return 0;
	id = sock_id(sk, btf);
	tp = tcp_sk_of(sk, btf);
	state = sock_state(sk, btf);
	kind = retrans_kind(tp, state, btf);
	l = bpf_map_lookup_elem(&ti_sock_life, &id);
	if (!l) {
		/* A connection older than this session: count from here. */
		struct sock_life n = { .sock_id = id };

		bpf_map_update_elem(&ti_sock_life, &id, &n, BPF_NOEXIST);
		l = bpf_map_lookup_elem(&ti_sock_life, &id);
	}
	if (l) {
		l->retrans++;
		rtt_sample(l, srtt_of(tp, btf));
	}
	e = conn_event_reserve(cnt, TI_EV_RETRANSMIT, bpf_ktime_get_ns());
	if (!e)
		return 0;
	e->tuple = t;
	e->sock_id = id;
	e->new_state = state;
	e->retrans_kind = kind;
	if (l)
		e->retrans_count = l->retrans;
	conn_event_submit(cnt, e);
	return 0;
}

/* ---- SYN-ACK retransmissions: half-open connections ---- */

/* Rare (a SYN-ACK timed out): read with probe reads in both families
 * (struct tcp_request_sock extends what the arguments' types cover). */
static __always_inline int on_synack(const struct sock *lsk,
				     const struct request_sock *req)
{
	const struct tcp_request_sock *treq = (const struct tcp_request_sock *)req;
	struct ti_life_counters *lc = life_counters();
	struct ti_conn_counters *cnt = counters();
	struct ti_conn_event *e;
	struct ti_halfopen *h;
	struct ti_tuple t = {};
	__u64 now;

	if (!lc || !cnt || !lsk || !req)
		return 0;
	lc->synack_retrans++;
	if (!sock_netns_ok(lsk, false))
		return 0;
	if (!tuple_from_skc(&req->__req_common, &t, false) || !tuple_wanted(&t))
		return 0;
	now = bpf_ktime_get_ns();
	h = bpf_map_lookup_elem(&ti_halfopen, &t);
	if (!h) {
		struct ti_halfopen n = {};

		/* snt_synack: tcp_clock_us(), the same clock in us. */
		n.first_synack_ns = BPF_CORE_READ(treq, snt_synack) * 1000;
		if (!n.first_synack_ns || n.first_synack_ns > now)
			n.first_synack_ns = now;
		n.timeout_ms = (now - n.first_synack_ns) / 1000000;
		bpf_map_update_elem(&ti_halfopen, &t, &n, BPF_ANY);
		h = bpf_map_lookup_elem(&ti_halfopen, &t);
		if (!h)
			return 0;
	}
	h->retrans++;
	h->last_retrans_ns = now;
	h->backlog = BPF_CORE_READ(lsk, sk_ack_backlog);
	h->max_backlog = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	e = conn_event_reserve(cnt, TI_EV_RETRANSMIT, now);
	if (!e)
		return 0;
	e->tuple = t; /* no sock_id: not a full socket yet */
	e->new_state = TI_TCP_NEW_SYN_RECV;
	e->retrans_kind = TI_RETX_SYNACK;
	e->retrans_count = h->retrans;
	conn_event_submit(cnt, e);
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
	char comm[TI_COMM_LEN];
	struct sock *sk;
	__u64 key, now;
	__u32 pid;

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
	if (!sk || !is_tcp_sock(sk, false))
		return 0;
	lc->accepts++;
	if (!sock_netns_ok(sk, false))
		return 0;
	if (!tuple_from_sock(sk, &t, false) || !tuple_wanted(&t))
		return 0;
	now = bpf_ktime_get_ns();
	pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, sizeof(comm));
	/* The owner goes to the socket's close event: recorded also when
	 * accept events are not selected or the ring is full. The key is
	 * the one the state programs used: the socket cookie they generated
	 * (tp_btf) or the scrambled address (classic tracepoints). */
	key = cfg_cookie_ids ? BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) :
			       SOCK_ID_TP(sk);
	l = bpf_map_lookup_elem(&ti_sock_life, &key);
	if (l) {
		l->owner_pid = pid;
		__builtin_memcpy(l->owner_comm, comm, TI_COMM_LEN);
		l->flags |= TI_SOCKF_OWNER;
	}
	e = sock_event_reserve(lc, TI_EV_ACCEPT, now);
	if (!e)
		return 0;
	e->tuple = t;
	e->pid = pid;
	__builtin_memcpy(e->comm, comm, TI_COMM_LEN);
	e->state = sock_state(sk, false);
	e->srtt_us = srtt_of(tcp_sk_of(sk, false), false);
	e->flags = TI_SOCKF_PASSIVE | TI_SOCKF_OWNER;
	if (l) {
		e->sock_id = l->sock_id;
		if (l->established_ns && now > l->established_ns) {
			e->duration_ns = now - l->established_ns;
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
					       __u16 proto, struct ti_tuple *t,
					       bool btf)
{
	unsigned char *head = TI_KREAD(btf, skb, head);
	__u16 nh = TI_KREAD(btf, skb, network_header);
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
				   const struct sock *rx_sk, bool btf)
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
	/* tcpinspect's own blocklist at TC (TI_BLOCK_DROP_MARK) is counted
	 * by its hit counters, not reported here; other TC filters' drops
	 * are. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_TC_INGRESS) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_TC_INGRESS) &&
	    TI_KREAD(btf, skb, mark) == TI_BLOCK_DROP_MARK)
		return 0;
	proto = TI_KREAD(btf, skb, protocol);
	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE)
		return 0;
	iif = TI_KREAD(btf, skb, skb_iif);
	if (!iif)
		return 0; /* locally generated: not an incoming packet */
	if (!tcp_tuple_from_skb(skb, proto, &t, btf))
		return 0;
	lc = life_counters();
	if (!lc)
		return 0;
	dev = TI_KREAD(btf, skb, dev);
	if (dev)
		ino = btf ? dev->nd_net.net->ns.inum :
			    BPF_CORE_READ(dev, nd_net.net, ns.inum);
	else
		ino = rx_sk ? sock_netns(rx_sk, btf) : 0;
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
	e = sock_event_reserve(lc, type, bpf_ktime_get_ns());
	if (!e)
		return 0;
	e->tuple = t;
	e->reason = reason;
	e->ifindex = iif;
	if (rx_sk) {
		e->state = sock_state(rx_sk, btf);
		if (e->state == TI_TCP_LISTEN) {
			e->backlog = TI_KREAD(btf, rx_sk, sk_ack_backlog);
			e->max_backlog = TI_KREAD(btf, rx_sk, sk_max_ack_backlog);
		}
	}
	/* No pid/comm: a drop happens in softirq context, on whatever task
	 * the packet interrupted, and the drop events do not report one
	 * (docs/events.md). Per event this saves two helper calls; the rest
	 * of the cost is the record itself (docs/performance.md). */
	sock_event_submit(lc, e);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(ti_drop_btf, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, struct sock *rx_sk)
{
	return on_drop(skb, reason, rx_sk, true);
}

SEC("tracepoint/skb/kfree_skb")
int ti_drop_tp(struct trace_event_raw_kfree_skb *ctx)
{
	const struct sock *rx_sk = NULL;

	if (bpf_core_field_exists(ctx->rx_sk))
		rx_sk = ctx->rx_sk;
	return on_drop(ctx->skbaddr, ctx->reason, rx_sk, false);
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
	if (!tuple_from_skc(skc, &t, true) || !tuple_wanted(&t))
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
	state = skc->skc_state;
	if (state == TI_TCP_NEW_SYN_RECV)
		return halfopen_seen(skc);
	if (state != TI_TCP_LISTEN)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (!tuple_from_skc(skc, &r.tuple, true) || !tuple_wanted(&r.tuple))
		return 0;
	r.drops = (__u32)sk->sk_drops.counter;
	r.backlog = sk->sk_ack_backlog;
	r.max_backlog = sk->sk_max_ack_backlog;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

#endif /* TI_CONN_LIFE_BPF_H */
