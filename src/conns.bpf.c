// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conns.bpf.c - `tcpinspect conns`: a snapshot of every TCP socket of the
 * caller's network namespace (iter/tcp) and of which process holds which
 * socket (iter/task_file), joined by socket inode in user space. Nothing
 * is read from /proc.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcpinspect.h"
#include "sock_tuple.bpf.h"

#define S_IFMT_NUM 00170000
#define S_IFSOCK_NUM 0140000

SEC("iter/tcp")
int ti_conns_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ti_conn_row r = {};
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	if (!tuple_from_skc(skc, &r.tuple, false))
		return 0;
	r.state = BPF_CORE_READ(skc, skc_state);
	r.uid = ctx->uid;
	if (r.state == TI_TCP_TIME_WAIT) {
		r.kind = TI_ROW_TIMEWAIT;
	} else if (r.state == TI_TCP_NEW_SYN_RECV) {
		r.kind = TI_ROW_REQUEST;
	} else {
		tp = bpf_skc_to_tcp_sock(skc);
		if (!tp)
			return 0;
		struct sock *sk = (struct sock *)tp;
		struct socket *so = BPF_CORE_READ(sk, sk_socket);

		r.kind = TI_ROW_FULL;
		if (so)
			r.inode = BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino);
		r.srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
		r.rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
		r.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
		r.total_retrans = BPF_CORE_READ(tp, total_retrans);
		r.retrans_out = BPF_CORE_READ(tp, retrans_out);
		r.bytes_received = BPF_CORE_READ(tp, bytes_received);
		r.bytes_sent = BPF_CORE_READ(tp, bytes_acked);
		r.mss = BPF_CORE_READ(tp, mss_cache);
		if (r.state == TI_TCP_LISTEN) {
			r.recv_q = BPF_CORE_READ(sk, sk_ack_backlog);
			r.send_q = BPF_CORE_READ(sk, sk_max_ack_backlog);
		} else {
			__u32 wseq = BPF_CORE_READ(tp, write_seq);
			__u32 una = BPF_CORE_READ(tp, snd_una);
			__u32 rnxt = BPF_CORE_READ(tp, rcv_nxt);
			__u32 copied = BPF_CORE_READ(tp, copied_seq);

			r.send_q = wseq - una;
			r.recv_q = (int)(rnxt - copied) > 0 ? rnxt - copied : 0;
		}
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/task_file")
int ti_conns_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct ti_sock_owner o = {};
	struct inode *ino;
	umode_t mode;

	if (!task || !file)
		return 0;
	ino = BPF_CORE_READ(file, f_inode);
	if (!ino)
		return 0;
	mode = BPF_CORE_READ(ino, i_mode);
	if ((mode & S_IFMT_NUM) != S_IFSOCK_NUM)
		return 0;
	o.inode = BPF_CORE_READ(ino, i_ino);
	o.pid = BPF_CORE_READ(task, tgid);
	o.fd = ctx->fd;
	BPF_CORE_READ_STR_INTO(&o.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &o, sizeof(o));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
