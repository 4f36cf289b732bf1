/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conn.h - user-space side of the connection tracepoints (conn.bpf.c).
 * Prefers tp_btf programs and falls back to classic tracepoints.
 */
#ifndef TI_CONN_H
#define TI_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "opts.h"
#include "tcpinspect.h"

#define TI_CONN_MAX_LINKS 16

enum conn_hook_pref {
	CONN_USE_AUTO = 0,      /* tp_btf, falling back to classic tracepoints */
	CONN_USE_BTF,           /* tp_btf only */
	CONN_USE_TRACEPOINT,    /* classic tracepoints only */
};

struct conn_cfg {
	enum conn_hook_pref hook;
	uint32_t netns_ino; /* 0 = all namespaces */
	uint16_t family;
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	uint32_t events; /* TI_EV_BIT() of the kinds to send; 0: every kind */
};

struct conn_bpf;
struct bpf_link;

struct conn_tracer {
	struct conn_bpf *skel;
	struct bpf_link *links[TI_CONN_MAX_LINKS];
	int n_links;
	bool btf; /* tp_btf in use (else classic tracepoints) */
	bool accept_events; /* the accept syscall tracepoints are attached */
	uint64_t last_tick_ns; /* conn_tick(): last half-open scan */
};

/* Load and attach; errors are reported. */
int conn_start(struct conn_tracer *ct, const struct conn_cfg *cfg);
void conn_stop(struct conn_tracer *ct);
int conn_events_fd(const struct conn_tracer *ct);
int conn_counters(const struct conn_tracer *ct, struct ti_conn_counters *sum);
const char *conn_hook_name(const struct conn_tracer *ct);
int conn_life_counters(const struct conn_tracer *ct, struct ti_life_counters *sum);

/* Periodic work (call often; it runs about once a second): reports
 * half-open connections that timed out as handshake events through cb. */
typedef void (*conn_event_fn)(void *ctx, const void *event, size_t size);
void conn_tick(struct conn_tracer *ct, conn_event_fn cb, void *ctx);
/* When a half-open request, last retransmitted at h->last_retrans_ns,
 * is due for its next retransmission or its drop (CLOCK_MONOTONIC ns). */
uint64_t conn_halfopen_deadline(const struct ti_halfopen *h);
/* When the kernel drops a request that is never answered: the first
 * SYN-ACK plus its time-out doubled per retransmission, h->max_retrans
 * retransmissions (CLOCK_MONOTONIC ns). */
uint64_t conn_halfopen_expiry(const struct ti_halfopen *h);
/* What a ti_halfopen entry means at time now: still pending, timed out
 * (report it), or gone without timing out (reset, dropped for room). */
enum halfopen_verdict { HALFOPEN_PENDING, HALFOPEN_TIMED_OUT, HALFOPEN_GONE };
enum halfopen_verdict conn_halfopen_verdict(const struct ti_halfopen *h,
					   uint64_t now);

/* watch --summary: histograms and map memory, text on f or one JSON line
 * through w (when w is not NULL). */
struct jw;
void conn_print_summary(const struct conn_tracer *ct, FILE *f, struct jw *w);
/* Release what conn_tick set up (called by conn_stop). */
void conn_life_stop(void);
void conn_life_start(struct conn_tracer *ct);

#endif
