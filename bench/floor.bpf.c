// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor.bpf.c - reference programs for the benchmarks (bench/run.sh).
 *
 * bench_floor_xdp: the least an XDP inspector must do - find the Ethernet,
 * IPv4/IPv6 and TCP headers with bounds checks - and pass. tcpinspect's
 * per-packet cost is reported as a multiple of this floor.
 *
 * bench_empty_xdp / bench_empty_tc / bench_empty_tp: return at once. Their measured cost is
 * the fixed overhead of the hook and of the measurement itself
 * (BPF_PROG_TEST_RUN's loop, or bpf_stats' ~20 ns per run), so live
 * figures are reported as ratios to them, taken in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86DD)
#define IPPROTO_TCP_NUM 6

/* Written so the compiler cannot drop the parse: the floor counts TCP
 * segments seen (one global, like the cheapest possible statistic). */
__u64 floor_tcp_seen = 0;

SEC("xdp")
int bench_floor_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == ETH_P_IP_BE) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_PASS;
		proto = ip->protocol;
		th = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == ETH_P_IPV6_BE) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		proto = ip6->nexthdr;
		th = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if (proto != IPPROTO_TCP_NUM || (void *)(th + 1) > data_end)
		return XDP_PASS;
	if (th->syn || th->dest)
		floor_tcp_seen++;
	return XDP_PASS;
}

SEC("xdp")
int bench_empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_empty_tc(struct __sk_buff *skb)
{
	/* TC_ACT_UNSPEC (TCX_NEXT): let the next program on the hook run;
	 * TC_ACT_OK would end a TCX chain and hide the programs after it. */
	return -1;
}

/* The same tracepoint as tcpinspect's connection events. */
SEC("tp_btf/inet_sock_set_state")
int bench_empty_tp(__u64 *ctx)
{
	return 0;
}

/* The same tracepoint through tracefs (the fallback family). */
SEC("tracepoint/sock/inet_sock_set_state")
int bench_empty_tpc(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
