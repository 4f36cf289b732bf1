/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model.h - the in-memory picture of incoming TCP traffic that serve and
 * top show: per-source and per-port counters, tracked connections, pending
 * handshakes, histograms, alerts and a per-second history.
 *
 * Every table is fixed-size (no allocation after model_init), so a flood
 * of new sources or connections evicts old entries instead of growing.
 * Evicted sources are folded into "other" totals so sums stay right.
 * Not thread-safe: serve guards it with a mutex.
 */
#ifndef TI_MODEL_H
#define TI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpinspect.h"

#define MODEL_SRC_WAYS 8          /* set-associative tables: ways per set */
#define MODEL_SRC_SETS 512        /* 4096 sources tracked */
#define MODEL_CONN_SETS 128       /* 1024 connections tracked */
#define MODEL_PENDING_SETS 128    /* 1024 handshakes awaiting ESTABLISHED */
#define MODEL_SRC_PORTS 8         /* ports remembered per source */
#define MODEL_ALERTS 256          /* alerts ring */
#define MODEL_HISTORY 300         /* seconds of per-second history */
#define MODEL_HIST_BUCKETS 15     /* latency histogram bounds (+Inf last) */
#define MODEL_TOP_MAX 100         /* largest top-N a caller may ask for */

struct model_addr {
	uint8_t b[TI_ADDR_LEN]; /* network byte order; IPv4 in b[0..3] */
	uint16_t family;        /* TI_AF_INET or TI_AF_INET6 */
};

struct model_source {
	struct model_addr addr;
	uint64_t syns;         /* SYN without ACK received from it */
	uint64_t resets;       /* RST received from it */
	uint64_t packets;      /* packet events from it */
	uint64_t established;  /* connections from it that completed */
	uint64_t retransmits;  /* retransmits on connections with it */
	uint64_t first_ns, last_ns;  /* CLOCK_MONOTONIC */
	uint64_t syns_at_tick; /* syns at the previous tick (for the rate) */
	uint64_t alert_ns;     /* last rate alert about it */
	double syn_rate;       /* SYNs per second over the last tick */
	uint16_t ports[MODEL_SRC_PORTS]; /* local ports it sent SYNs to */
	uint8_t nports;
	bool more_ports;       /* touched more ports than remembered */
	bool used;
};

struct model_conn {
	struct ti_tuple t;     /* saddr/sport = remote peer, daddr/dport = local */
	uint64_t sock_id;
	uint64_t first_ns, last_ns;
	uint64_t handshake_ns; /* SYN seen -> ESTABLISHED, 0 if unknown */
	uint32_t state;        /* enum ti_tcp_state */
	uint32_t retransmits;
	bool used;
};

struct model_pending {
	struct ti_tuple t;
	uint64_t syn_ns;
	bool used;
};

struct model_alert {
	uint64_t id;           /* increasing from 1 */
	uint64_t ts_ns;        /* CLOCK_MONOTONIC */
	struct model_addr addr;   /* family 0: not about one source */
	unsigned int kind;        /* enum ti_alert_kind */
	bool blocked;             /* the source was blocked for it */
	char message[160];
};

struct model_hist {
	uint64_t counts[MODEL_HIST_BUCKETS]; /* not cumulative */
	uint64_t count;
	double sum;            /* seconds */
};

extern const double model_hist_bounds[MODEL_HIST_BUCKETS]; /* last: +Inf */

/* One second of history (rates are per second). */
struct model_sample {
	uint64_t ts_ns;        /* CLOCK_MONOTONIC at the tick */
	double syns, established, retransmits, resets, packets, bytes;
	double handshake_avg_s; /* mean handshake latency this second, 0 if none */
	double rtt_avg_s;       /* mean RTT sample this second, 0 if none */
	uint32_t open;          /* tracked connections not closed */
};

struct model_cfg {
	double alert_syn_rate; /* SYNs/s from one source that raise an alert; 0 = off */
	uint16_t ignore_port;  /* connections from or to this local port are not
				* tracked (serve's own HTTP port), 0 = none */
};

struct model {
	struct model_cfg cfg;
	struct model_source src[MODEL_SRC_SETS * MODEL_SRC_WAYS];
	struct model_conn conn[MODEL_CONN_SETS * MODEL_SRC_WAYS];
	struct model_pending pending[MODEL_PENDING_SETS * MODEL_SRC_WAYS];
	uint64_t port_syns[65536];
	uint64_t port_established[65536];
	struct model_alert alerts[MODEL_ALERTS];
	uint64_t alerts_total;
	struct model_sample hist[MODEL_HISTORY];
	uint64_t nsamples;     /* samples ever taken; hist[(n-1) % MODEL_HISTORY] is newest */
	struct model_hist handshake, rtt;

	/* Totals (never decrease). */
	uint64_t syns, syns_v4, syns_v6, established, retransmits;
	uint64_t handshake_timeouts, closes, close_bytes_rx, close_bytes_tx;
	uint64_t drops, listen_overflows, accepts;
	uint64_t alerts_by_kind[TI_ALERT_MAX];
	bool handshake_events; /* the kernel times handshakes (TI_EV_HANDSHAKE) */
	uint64_t resets_rx, resets_tx, packets, bytes, state_changes;
	uint64_t events, unknown_events;
	uint64_t evicted_sources, evicted_source_syns, evicted_conns;

	/* Totals at the previous tick, for the rates. */
	struct {
		uint64_t syns, established, retransmits, resets, packets, bytes;
		uint64_t hs_count, rtt_count;
		double hs_sum, rtt_sum;
		uint64_t ns;
	} prev;
};

/* Allocate and initialise (the tables are large: ~2 MB). NULL on ENOMEM. */
struct model *model_new(const struct model_cfg *cfg);
void model_free(struct model *m);

/* Account one ring-buffer record (already validated by event_valid). */
void model_event(struct model *m, const void *data, size_t size);
/* Once a second: rates, history, rate alerts. now_ns is CLOCK_MONOTONIC. */
void model_tick(struct model *m, uint64_t now_ns);
/* Record an alert (enum ti_alert_kind; also used for alerts from other
 * components). */
void model_alert(struct model *m, uint64_t ts_ns, const struct model_addr *a,
		 unsigned int kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const char *model_alert_kind_name(unsigned int kind);
/* An RTT sample in seconds (from connection close events). */
void model_observe_rtt(struct model *m, double seconds);

/* Top sources by SYN count (by_rate: by SYN rate). Returns how many were
 * written to out (at most n). */
int model_top_sources(const struct model *m, bool by_rate,
		      const struct model_source **out, int n);
/* Top local ports by SYNs received: ports and counts, returns how many. */
int model_top_ports(const struct model *m, uint16_t *ports, uint64_t *syns, int n);
/* Tracked connections, newest activity first. */
int model_connections(const struct model *m, const struct model_conn **out, int n);
/* Tracked connections in a state (TI_TCP_*), or every one not closed if
 * state is 0. */
unsigned int model_count_conns(const struct model *m, unsigned int state);
const struct model_source *model_find_source(const struct model *m,
					     const struct model_addr *a);
const struct model_sample *model_sample(const struct model *m, uint64_t age);
unsigned int model_sources_used(const struct model *m);

bool model_addr_eq(const struct model_addr *a, const struct model_addr *b);
/* Address of a tuple endpoint. */
void model_addr_from(struct model_addr *a, uint16_t family, const uint8_t *bytes);

#endif
