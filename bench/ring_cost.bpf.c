// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring_cost.bpf.c - what one ring-buffer record costs a BPF program,
 * apart from everything else a tracepoint program does (bench/ring_cost.c).
 *
 * ring_empty: returns at once (the measurement's own overhead).
 * ring_rec_256k / ring_rec_1m: reserve one connection-event-sized record
 * (struct ti_conn_event, as conn.bpf.c sends), fill its header and tuple,
 * submit without a wake-up (as ring_wake.bpf.h does below the mark). The
 * two ring sizes are those of the packet ring and the connection ring.
 * XDP programs only because BPF_PROG_TEST_RUN runs them on demand: the
 * ring-buffer code is the same for every program type.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tcpinspect.h"

/* Reservations that failed (ring full: the reader fell behind). */
__u64 ring_rec_failed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ring_256k SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} ring_1m SEC(".maps");

static __always_inline int one_record(void *ring)
{
	struct ti_conn_event *e;

	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&ring_rec_failed, 1);
		return XDP_PASS;
	}
	/* What a state event writes first: header, tuple, ids. */
	e->hdr.ts_ns = 1;
	e->hdr.type = TI_EV_STATE;
	e->hdr.cpu = 0;
	__builtin_memset(&e->tuple, 0, sizeof(e->tuple));
	e->sock_id = 1;
	e->old_state = 1;
	e->new_state = 2;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return XDP_PASS;
}

SEC("xdp")
int ring_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int ring_rec_256k(struct xdp_md *ctx)
{
	return one_record(&ring_256k);
}

SEC("xdp")
int ring_rec_1m(struct xdp_md *ctx)
{
	return one_record(&ring_1m);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
