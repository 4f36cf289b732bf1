/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ring_wake.bpf.h - when a BPF program should wake the ring-buffer reader.
 *
 * A wake-up is an irq_work (a self-IPI: a VM exit under virtualisation) on
 * every record while the reader keeps up, several times the cost of the
 * program that sends the record (perf on prog_bench: more than a SYN's
 * whole parse). User space drains every ring at each poll tick anyway
 * (session_poll(), at most 100 ms apart), so a program wakes the reader
 * once, with the record that brings the waiting bytes to a mark (a quarter
 * of the ring: TI_RING_WAKE_DIV in tcpinspect.h): a burst is delivered at once, a trickle at most one tick
 * late. Not on every record past the mark: a reader that cannot keep up
 * would then be woken per record, the very cost avoided (measured: 10x a
 * SYN's cost). Racing CPUs may both wake it (harmless) or both step over
 * the mark (the tick drains the ring).
 */
#ifndef RING_WAKE_BPF_H
#define RING_WAKE_BPF_H

#include "tcpinspect.h"

/* A record's ring header, with the rounding of its length to 8 bytes. */
#define TI_RING_REC_OVERHEAD 16

/* The flag for bpf_ringbuf_submit of a record of size bytes on ring, given
 * the wake mark in bytes (0: the kernel's default, wake a reader that has
 * caught up). */
static __always_inline __u64 ti_ring_wake_at(void *ring, __u64 mark,
					     __u32 size)
{
	__u64 avail;

	if (!mark)
		return 0;
	/* avail counts this record too. */
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	return avail >= mark && avail < mark + size + TI_RING_REC_OVERHEAD ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/* Same, for a ring whose size user space sets before load. */
static __always_inline __u64 ti_ring_wake_flag(void *ring, __u32 size)
{
	return ti_ring_wake_at(
		ring, bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / TI_RING_WAKE_DIV,
		size);
}

#endif /* RING_WAKE_BPF_H */
