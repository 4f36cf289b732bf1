// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probe.bpf.c - minimal programs, one per program/attach type tcpinspect may
 * use. `tcpinspect features` loads and attaches each alone to learn what
 * this kernel allows. They do nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int probe_tc(struct __sk_buff *skb)
{
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

SEC("fentry/tcp_v4_connect")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("sockops")
int probe_sockops(struct bpf_sock_ops *ctx)
{
	return 1;
}

SEC("iter/tcp")
int probe_iter_tcp(struct bpf_iter__tcp *ctx)
{
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(probe_uprobe)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
