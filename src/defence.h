/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * defence.h - settings and user-space half of the defences: load-time
 * setup of the inspector's detectors (src/defence.bpf.h), the detectors
 * that work on sampled counters (SYN flood, anomaly baselines), auto-block
 * and blocklist garbage collection. Front ends (watch, serve) fill a
 * struct defence_cfg; a zeroed one means "blocklist only".
 */
#ifndef TI_DEFENCE_H
#define TI_DEFENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "blocklist.h"
#include "tcpinspect.h"

/* Defaults (docs/defence.md sets them beside Zeek's). */
#define TI_DEF_SCAN_PORTS 20
#define TI_DEF_SCAN_WINDOW_S 5.0
#define TI_DEF_SLOW_PORTS 15
#define TI_DEF_SLOW_WINDOW_S 300.0
#define TI_DEF_HSCAN_HOSTS 20
#define TI_DEF_HSCAN_WINDOW_S 5.0
#define TI_DEF_SYN_RATE 100
#define TI_DEF_SYN_BURST 200
#define TI_DEF_AUTO_BLOCK_TTL 600
#define TI_DEF_ALERT_INTERVAL_S 10.0
#define TI_DEF_FLOOD_SYN_RATE 1000
#define TI_DEF_FLOOD_INCOMPLETE 0.9
#define TI_DEF_ANOMALY_K 4.0
#define TI_DEF_ANOMALY_ALPHA 0.1
#define TI_DEF_ANOMALY_WARMUP 30
#define TI_DEF_ANOMALY_MIN_DELTA 5.0

struct defence_cfg {
	bool detect;            /* alerts (scan, stealth, flood, anomaly) */
	bool enforce;           /* SYN rate limit and auto-block */
	uint32_t scan_ports;    /* vertical scan: distinct failed ports ... */
	double scan_window_s;   /* ... within this many seconds */
	uint32_t slow_ports;    /* slow scan: ports ... */
	double slow_window_s;   /* ... within the long window */
	uint32_t hscan_hosts;   /* horizontal scan: local addresses ... */
	double hscan_window_s;  /* ... on one port within */
	uint32_t syn_rate;      /* SYNs/s per source (token bucket rate) */
	uint32_t syn_burst;     /* bucket size */
	uint32_t auto_block_ttl; /* seconds; with enforce; 0 = no auto-block */
	bool auto_block_off;    /* explicit --auto-block-ttl 0 */
	double alert_interval_s; /* per source and kind */
	uint32_t flood_syn_rate; /* global SYNs/s that can be a flood ... */
	double flood_incomplete; /* ... when this share does not complete */
	double anomaly_k;       /* alert beyond k standard deviations ... */
	double anomaly_alpha;   /* EWMA smoothing factor, (0, 1] */
	uint32_t anomaly_warmup; /* ... after this many one-second samples */
	double anomaly_min_delta; /* and at least this far from the mean */
};

void defence_cfg_defaults(struct defence_cfg *c);

/* Command-line options of the defences, for front ends' getopt tables:
 * put DEFENCE_LONGOPTS in the struct option array and pass every value in
 * [TI_DEFOPT_BASE, TI_DEFOPT_END) to defence_opt(). */
enum {
	TI_DEFOPT_BASE = 2048,
	TI_DEFOPT_ENFORCE = TI_DEFOPT_BASE,
	TI_DEFOPT_NO_ALERTS,
	TI_DEFOPT_SYN_RATE,
	TI_DEFOPT_SYN_BURST,
	TI_DEFOPT_AUTO_BLOCK_TTL,
	TI_DEFOPT_SCAN_PORTS,
	TI_DEFOPT_SCAN_WINDOW,
	TI_DEFOPT_SLOW_PORTS,
	TI_DEFOPT_SLOW_WINDOW,
	TI_DEFOPT_HSCAN_HOSTS,
	TI_DEFOPT_HSCAN_WINDOW,
	TI_DEFOPT_ALERT_INTERVAL,
	TI_DEFOPT_FLOOD_RATE,
	TI_DEFOPT_FLOOD_SHARE,
	TI_DEFOPT_ANOMALY_K,
	TI_DEFOPT_ANOMALY_ALPHA,
	TI_DEFOPT_ANOMALY_WARMUP,
	TI_DEFOPT_END
};

#define DEFENCE_LONGOPTS                                                       \
	{ "enforce", no_argument, NULL, TI_DEFOPT_ENFORCE },                   \
	{ "no-alerts", no_argument, NULL, TI_DEFOPT_NO_ALERTS },               \
	{ "syn-rate", required_argument, NULL, TI_DEFOPT_SYN_RATE },           \
	{ "syn-burst", required_argument, NULL, TI_DEFOPT_SYN_BURST },         \
	{ "auto-block-ttl", required_argument, NULL, TI_DEFOPT_AUTO_BLOCK_TTL }, \
	{ "scan-ports", required_argument, NULL, TI_DEFOPT_SCAN_PORTS },       \
	{ "scan-window", required_argument, NULL, TI_DEFOPT_SCAN_WINDOW },     \
	{ "slow-scan-ports", required_argument, NULL, TI_DEFOPT_SLOW_PORTS },  \
	{ "slow-scan-window", required_argument, NULL, TI_DEFOPT_SLOW_WINDOW }, \
	{ "hscan-hosts", required_argument, NULL, TI_DEFOPT_HSCAN_HOSTS },     \
	{ "hscan-window", required_argument, NULL, TI_DEFOPT_HSCAN_WINDOW },   \
	{ "alert-interval", required_argument, NULL, TI_DEFOPT_ALERT_INTERVAL }, \
	{ "flood-syn-rate", required_argument, NULL, TI_DEFOPT_FLOOD_RATE },   \
	{ "flood-incomplete", required_argument, NULL, TI_DEFOPT_FLOOD_SHARE }, \
	{ "anomaly-k", required_argument, NULL, TI_DEFOPT_ANOMALY_K },         \
	{ "anomaly-alpha", required_argument, NULL, TI_DEFOPT_ANOMALY_ALPHA }, \
	{ "anomaly-warmup", required_argument, NULL, TI_DEFOPT_ANOMALY_WARMUP }

/* Apply option opt (TI_DEFOPT_*) with its argument. 0, or -EINVAL with
 * one error line printed. */
int defence_opt(struct defence_cfg *c, int opt, const char *arg);
/* The same by option name without dashes ("syn-rate"), for config files;
 * -ENOENT if the name is not a defence setting. */
int defence_set(struct defence_cfg *c, const char *name, const char *arg);
/* Help text of DEFENCE_LONGOPTS. */
void defence_usage(FILE *f);
/* Zero fields (a cfg that was only memset) get their defaults. */
void defence_cfg_fill(struct defence_cfg *c);

/* Exponentially weighted mean and variance of a per-second rate. */
struct ewma {
	double mean;
	double var;
	uint32_t samples;
};

/* Add a sample. Returns true if, before it was added, the baseline was
 * warm and the sample lies more than k standard deviations (and
 * min_delta) from the mean; mean and sd get the baseline it was judged by. */
bool ewma_update(struct ewma *e, double x, double alpha, double k,
		 uint32_t warmup, double min_delta, double *mean, double *sd);

/* Is this a global SYN flood? syns and completed per second. */
bool syn_flood_check(double syn_rate, double completed_rate,
		     uint32_t min_rate, double min_incomplete);

struct inspector_bpf;
struct inspector;
struct conn_tracer;

/* Before the inspector is loaded: rodata settings and the pinned lists
 * (reused so every run enforces the same blocklist). cfg may be NULL
 * (blocklist only). Errors are reported. */
int defence_setup(struct inspector_bpf *skel, const struct defence_cfg *cfg);

typedef void (*defence_emit_fn)(void *ctx, const void *event, size_t size);

struct defence {
	struct defence_cfg cfg;
	struct blocklist bl;
	const struct inspector *ins;
	const struct conn_tracer *ct;
	defence_emit_fn emit;
	void *emit_ctx;
	uint64_t last_tick_ns;
	uint64_t last_gc_ns;
	struct ti_def_counters prev;
	__u64 prev_resets_tx, prev_retransmits;
	bool have_prev;
	struct ewma base[TI_METRIC_MAX];
	uint64_t last_alert_ns[TI_ALERT_MAX + TI_METRIC_MAX];
	uint32_t suppressed[TI_ALERT_MAX + TI_METRIC_MAX];
	uint64_t auto_blocked;
};

int defence_start(struct defence *d, const struct inspector *ins,
		  const struct conn_tracer *ct, const struct defence_cfg *cfg,
		  defence_emit_fn emit, void *ctx);
/* Call often (every poll); works once a second. */
void defence_tick(struct defence *d);
/* An alert from the kernel: auto-block its source if configured; a is
 * updated (action). */
void defence_on_alert(struct defence *d, struct ti_alert_event *a);
int defence_counters(const struct inspector *ins, struct ti_def_counters *sum);
int defence_alert_fd(const struct inspector *ins);
struct jw;
/* The "defence" object of watch's stats: the kernel counters and the
 * per-source table's fill and evictions. */
void defence_stats_json(struct jw *w, const struct inspector *ins);
void defence_stop(struct defence *d);

/* Alert text and JSON (events.c calls these). */
const char *ti_alert_kind_name(unsigned int kind);
const char *ti_metric_name(unsigned int metric);
void ti_alert_text(FILE *f, const struct ti_alert_event *a);
void ti_alert_json(struct jw *w, const struct ti_alert_event *a);

#endif
