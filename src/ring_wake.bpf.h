/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ring_wake.bpf.h - when a BPF program should wake the ring-buffer reader.
 *
 * A wake-up is an irq_work (a self-IPI: a VM exit under virtualisation) on
 * every record while the reader keeps up, several times the cost of the
 * program that sends the record. User space drains every ring at each
 * poll tick anyway (session_poll(), at most 100 ms apart), so the programs
 * wake it only once a quarter of a ring is waiting: a burst is delivered
 * at once, a trickle at most one tick late.
 */
#ifndef RING_WAKE_BPF_H
#define RING_WAKE_BPF_H

/* Fraction of a ring (1/N) that must be waiting before a record wakes the
 * reader. */
#define TI_RING_WAKE_DIV 4

/* The flag for bpf_ringbuf_submit/output on a ring of ring_bytes. */
static __always_inline __u64 ti_ring_wake_flag_sized(void *ring,
						     __u64 ring_bytes)
{
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >=
			       ring_bytes / TI_RING_WAKE_DIV ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/* Same, for a ring whose size user space sets before load. */
static __always_inline __u64 ti_ring_wake_flag(void *ring)
{
	return ti_ring_wake_flag_sized(ring,
				       bpf_ringbuf_query(ring, BPF_RB_RING_SIZE));
}

#endif /* RING_WAKE_BPF_H */
