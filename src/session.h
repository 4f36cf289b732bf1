/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * session.h - one inspection session: every BPF component loaded with the
 * user's settings, attached, and its ring buffers polled into one callback.
 * watch, serve, top and capture are front ends to a session.
 */
#ifndef TI_SESSION_H
#define TI_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"
#include "defence.h"
#include "inspector.h"
#include "opts.h"
#include "privdrop.h"
#include "system.h"

struct session_cfg {
	struct ti_iface ifaces[TI_MAX_IFACES];
	int n_ifaces;           /* 0: every interface that is up, except lo */
	enum ti_mode mode;
	uint16_t family;        /* 0, TI_AF_INET, TI_AF_INET6 */
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	bool all_packets;
	bool all_netns;
	enum { CONN_HOOK_AUTO, CONN_HOOK_BTF, CONN_HOOK_TRACEPOINT } conn_hook;
	bool app_hints;         /* app events (src/capture.bpf.h) */
	/* TI_EV_BIT() of the kinds the kernel programs send (watch --events);
	 * 0: every kind. app events also need app_hints. */
	uint32_t events;
	uint32_t snaplen;       /* packet capture ring; 0: off (capture.c) */
	const struct ti_pushdown *pushdown; /* kernel address/port filter */
	/* Detectors, rate limit, auto-block (defence.h). All zero: only the
	 * pinned blocklist is enforced; defence_cfg_defaults() for alerts. */
	struct defence_cfg defence;
	/* Pin the packet links under <pin dir>/links so enforcement survives
	 * the process, and adopt pinned ones at start (serve; pinlink.h). */
	bool pin_links;
	/* After a wake-up that found only a few records, let records gather
	 * this long before waiting again (one wake-up per batch, not per
	 * event; session_poll()). 0: wait again at once. */
	unsigned int batch_us;
/* batch_us of watch and serve: at most ~500 wake-ups a second instead of
 * one per connection or two, for up to 2 ms more latency. */
#define SESSION_BATCH_US 2000
};

/* Called for every valid ring-buffer record (see tcpinspect.h). */
typedef void (*session_event_fn)(void *ctx, const void *event, size_t size);

struct ring_buffer;

struct session {
	struct session_cfg cfg;
	struct inspector ins;
	struct conn_tracer ct;
	struct ring_buffer *rb;
	struct defence def;
	session_event_fn cb;
	void *cb_ctx;
	uint64_t invalid; /* records with an unknown type or a short size */
	uint64_t next_iface_check_ns; /* CLOCK_MONOTONIC */
	int ifaces_lost;  /* attachments whose interface went away */
	bool all_lost_said;
	bool few_records; /* the last poll found few records: batch_us applies */
};

/* Load, attach and describe the attachment in a status line on stderr.
 * Errors are reported; returns an exit code (TI_EXIT_*). */
int session_start(struct session *s, const struct session_cfg *cfg,
		  session_event_fn cb, void *ctx);
/* Deliver pending events, waiting up to timeout_ms. 0 or negative errno. */
int session_poll(struct session *s, int timeout_ms);
/* Deliver everything already in the buffers without waiting. */
void session_drain(struct session *s);
/* Events the kernel programs could not queue (ring buffer full). */
uint64_t session_lost(struct session *s);
/* Records every kernel producer tried to queue, and those it could not
 * (ring full): once drained, attempts = valid + invalid records read + lost. */
void session_event_totals(const struct session *s, uint64_t *attempts,
			  uint64_t *lost);
const char *session_ifname(const struct session *s, unsigned int ifindex);
/* Give up root once everything is attached (docs/security.md): switch to
 * user (NULL: stay root), empty capability sets, seccomp allowlist of the
 * profile; then check the maps are still readable. Stays root, with a
 * warning, when a clsact filter (no TCX) would need root to be removed.
 * 0 or a negative errno (reported: the caller must exit). */
int session_drop_privileges(struct session *s, const struct privdrop_user *user,
			    enum privdrop_profile profile);
void session_stop(struct session *s);

#endif
