// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * defence.c - user-space half of the defences (see defence.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "conn.h"
#include "defence.h"
#include "events.h"
#include "inspector.h"
#include "inspector.skel.h"
#include "log.h"
#include "maps.h"
#include "opts.h"
#include "output.h"

#define NS_PER_S 1000000000ULL
#define GC_INTERVAL_NS (5 * NS_PER_S)

#define TI_NAME_ENTRY(sym, name) [sym] = name,
static const char *const alert_names[TI_ALERT_MAX] = { TI_ALERT_KINDS(TI_NAME_ENTRY) };
static const char *const metric_names[TI_METRIC_MAX] = { TI_ANOMALY_METRICS(TI_NAME_ENTRY) };
static const char *const action_names[TI_ACTION_MAX] = { TI_ALERT_ACTIONS(TI_NAME_ENTRY) };
#undef TI_NAME_ENTRY

const char *ti_alert_kind_name(unsigned int kind)
{
	return kind < TI_ALERT_MAX ? alert_names[kind] : "unknown";
}

const char *ti_metric_name(unsigned int metric)
{
	return metric < TI_METRIC_MAX ? metric_names[metric] : "unknown";
}

static const char *action_name(unsigned int action)
{
	return action < TI_ACTION_MAX ? action_names[action] : "unknown";
}

/* ---- settings ----------------------------------------------------------- */

void defence_cfg_defaults(struct defence_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->detect = true;
	defence_cfg_fill(c);
}

void defence_cfg_fill(struct defence_cfg *c)
{
#define FILL(field, val)                                                       \
	do {                                                                   \
		if (!c->field)                                                 \
			c->field = (val);                                      \
	} while (0)
	FILL(scan_ports, TI_DEF_SCAN_PORTS);
	FILL(scan_window_s, TI_DEF_SCAN_WINDOW_S);
	FILL(slow_ports, TI_DEF_SLOW_PORTS);
	FILL(slow_window_s, TI_DEF_SLOW_WINDOW_S);
	FILL(hscan_hosts, TI_DEF_HSCAN_HOSTS);
	FILL(hscan_window_s, TI_DEF_HSCAN_WINDOW_S);
	FILL(syn_rate, TI_DEF_SYN_RATE);
	FILL(syn_burst, TI_DEF_SYN_BURST);
	if (!c->auto_block_off)
		FILL(auto_block_ttl, TI_DEF_AUTO_BLOCK_TTL);
	FILL(alert_interval_s, TI_DEF_ALERT_INTERVAL_S);
	FILL(flood_syn_rate, TI_DEF_FLOOD_SYN_RATE);
	FILL(flood_incomplete, TI_DEF_FLOOD_INCOMPLETE);
	FILL(anomaly_k, TI_DEF_ANOMALY_K);
	FILL(anomaly_alpha, TI_DEF_ANOMALY_ALPHA);
	FILL(anomaly_warmup, TI_DEF_ANOMALY_WARMUP);
	FILL(anomaly_min_delta, TI_DEF_ANOMALY_MIN_DELTA);
#undef FILL
}

/* ---- pure detectors ----------------------------------------------------- */

bool ewma_update(struct ewma *e, double x, double alpha, double k,
		 uint32_t warmup, double min_delta, double *mean, double *sd)
{
	double diff = x - e->mean, s = sqrt(e->var);
	bool out = false;

	*mean = e->mean;
	*sd = s;
	if (e->samples >= warmup && fabs(diff) > k * s &&
	    fabs(diff) >= min_delta)
		out = true;
	if (e->samples == 0) {
		e->mean = x;
		e->var = 0;
	} else {
		/* West's incremental form of the exponentially weighted
		 * variance: var' = (1 - a) (var + a diff^2). */
		e->mean += alpha * diff;
		e->var = (1 - alpha) * (e->var + alpha * diff * diff);
	}
	e->samples++;
	return out;
}

bool syn_flood_check(double syn_rate, double completed_rate,
		     uint32_t min_rate, double min_incomplete)
{
	double incomplete;

	if (syn_rate < min_rate || syn_rate <= 0)
		return false;
	incomplete = 1.0 - completed_rate / syn_rate;
	return incomplete >= min_incomplete;
}

/* ---- load-time setup ---------------------------------------------------- */

static uint64_t secs_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

int defence_setup(struct inspector_bpf *skel, const struct defence_cfg *cfg_in)
{
	struct defence_cfg cfg = {};
	struct blocklist bl;
	int err;

	if (cfg_in)
		cfg = *cfg_in;
	defence_cfg_fill(&cfg);
	skel->rodata->cfg_def_detect = cfg.detect;
	skel->rodata->cfg_def_enforce = cfg.enforce;
	skel->rodata->cfg_scan_ports = cfg.scan_ports;
	skel->rodata->cfg_scan_window_ns = secs_ns(cfg.scan_window_s);
	skel->rodata->cfg_slow_ports = cfg.slow_ports;
	skel->rodata->cfg_slow_window_ns = secs_ns(cfg.slow_window_s);
	skel->rodata->cfg_hscan_hosts = cfg.hscan_hosts;
	skel->rodata->cfg_hscan_window_ns = secs_ns(cfg.hscan_window_s);
	skel->rodata->cfg_syn_rate = cfg.syn_rate;
	skel->rodata->cfg_syn_burst = cfg.syn_burst;
	skel->rodata->cfg_syn_fill_ns =
		(uint64_t)cfg.syn_burst * NS_PER_S / cfg.syn_rate;
	skel->rodata->cfg_alert_interval_ns = secs_ns(cfg.alert_interval_s);

	err = blocklist_open(&bl);
	if (err)
		return err;
	/* libbpf keeps its own duplicate of the descriptors. */
	err = bpf_map__reuse_fd(skel->maps.ti_blocklist, bl.fd[TI_LIST_BLOCK]);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.ti_allowlist,
					bl.fd[TI_LIST_ALLOW]);
	blocklist_close(&bl);
	if (err) {
		log_error("failed to use the pinned blocklist maps in %s: %s",
			  blocklist_pin_dir(), errstr(err));
		return err;
	}
	return 0;
}

int defence_counters(const struct inspector *ins, struct ti_def_counters *sum)
{
	return map_percpu_sum_u64(bpf_map__fd(ins->skel->maps.ti_def_stats),
				  sum, sizeof(*sum));
}

void defence_stats_json(struct jw *w, const struct inspector *ins)
{
	const struct bpf_map *src;
	struct ti_def_counters c;
	long entries;

	if (!ins->skel || defence_counters(ins, &c))
		return;
	src = ins->skel->maps.ti_syn_sources;
	entries = map_count_keys(bpf_map__fd(src), sizeof(struct ti_src_key));
	jw_obj_key(w, "defence");
	jw_u64(w, "syns", c.syns);
	jw_u64(w, "handshakes", c.handshakes);
	jw_u64(w, "syn_over_rate", c.syn_over_rate);
	jw_u64(w, "syn_dropped", c.syn_dropped);
	jw_u64(w, "stealth", c.stealth);
	jw_u64(w, "blocked_packets", c.blocked_packets);
	jw_u64(w, "blocked_bytes", c.blocked_bytes);
	jw_u64(w, "allowed_packets", c.allowed_packets);
	jw_u64(w, "alerts_sent", c.alerts_sent);
	jw_u64(w, "alerts_suppressed", c.alerts_suppressed);
	jw_u64(w, "alerts_lost", c.alerts_lost);
	/* Nothing deletes from ti_syn_sources, so every insert beyond the
	 * live entries pushed an older source out. */
	jw_obj_key(w, "source_table");
	jw_u64(w, "capacity", bpf_map__max_entries(src));
	jw_u64(w, "inserts", c.new_sources);
	if (entries >= 0) {
		jw_u64(w, "entries", (uint64_t)entries);
		jw_u64(w, "evictions", c.new_sources > (uint64_t)entries ?
				       c.new_sources - (uint64_t)entries : 0);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

int defence_alert_fd(const struct inspector *ins)
{
	return bpf_map__fd(ins->skel->maps.ti_alert_events);
}

/* ---- running ------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int defence_start(struct defence *d, const struct inspector *ins,
		  const struct conn_tracer *ct, const struct defence_cfg *cfg,
		  defence_emit_fn emit, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->bl.fd[0] = d->bl.fd[1] = -1;
	if (cfg)
		d->cfg = *cfg;
	defence_cfg_fill(&d->cfg);
	d->ins = ins;
	d->ct = ct;
	d->emit = emit;
	d->emit_ctx = ctx;
	d->last_tick_ns = d->last_gc_ns = mono_ns();
	return blocklist_open(&d->bl);
}

/* User-space alerts are rate limited like the kernel's: per kind (and
 * metric), at most one per alert interval, repeats counted. */
static bool rate_ok(struct defence *d, unsigned int slot, uint64_t now,
		    uint32_t *suppressed)
{
	uint64_t interval = secs_ns(d->cfg.alert_interval_s);

	if (d->last_alert_ns[slot] && now - d->last_alert_ns[slot] < interval) {
		d->suppressed[slot]++;
		return false;
	}
	d->last_alert_ns[slot] = now;
	*suppressed = d->suppressed[slot];
	d->suppressed[slot] = 0;
	return true;
}

static void emit_global(struct defence *d, struct ti_alert_event *a,
			unsigned int slot, uint64_t now)
{
	if (!d->cfg.detect || !rate_ok(d, slot, now, &a->suppressed))
		return;
	a->hdr.ts_ns = now;
	a->hdr.type = TI_EV_ALERT;
	d->emit(d->emit_ctx, a, sizeof(*a));
}

static uint64_t milli(double v)
{
	return v <= 0 ? 0 : (uint64_t)llround(v * 1000.0);
}

void defence_tick(struct defence *d)
{
	struct ti_def_counters cur;
	struct ti_conn_counters cc = {};
	uint64_t now = mono_ns();
	double dt, rate[TI_METRIC_MAX] = { 0 };

	if (now - d->last_tick_ns < NS_PER_S)
		return;
	dt = (double)(now - d->last_tick_ns) / 1e9;
	d->last_tick_ns = now;
	if (now - d->last_gc_ns >= GC_INTERVAL_NS) {
		int n = blocklist_gc(&d->bl);

		if (n > 0)
			log_debug("removed %d expired list entries", n);
		d->last_gc_ns = now;
	}
	if (defence_counters(d->ins, &cur))
		return;
	if (d->ct && d->ct->skel)
		conn_counters(d->ct, &cc);
	if (!d->have_prev) {
		d->prev = cur;
		d->prev_resets_tx = cc.resets_tx;
		d->prev_retransmits = cc.retransmits;
		d->have_prev = true;
		return;
	}
	rate[TI_METRIC_SYNS] = (double)(cur.syns - d->prev.syns) / dt;
	rate[TI_METRIC_NEW_SOURCES] =
		(double)(cur.new_sources - d->prev.new_sources) / dt;
	rate[TI_METRIC_RESETS_SENT] =
		(double)(cc.resets_tx - d->prev_resets_tx) / dt;
	rate[TI_METRIC_RETRANSMITS] =
		(double)(cc.retransmits - d->prev_retransmits) / dt;
	double completed = (double)(cur.handshakes - d->prev.handshakes) / dt;

	if (syn_flood_check(rate[TI_METRIC_SYNS], completed,
			    d->cfg.flood_syn_rate, d->cfg.flood_incomplete)) {
		struct ti_alert_event a = {};

		a.kind = TI_ALERT_SYN_FLOOD;
		a.count = (uint64_t)llround(rate[TI_METRIC_SYNS]);
		a.threshold = d->cfg.flood_syn_rate;
		a.window_ns = (uint64_t)(dt * 1e9);
		a.rate_milli = milli(rate[TI_METRIC_SYNS]);
		a.mean_milli = milli(completed);
		emit_global(d, &a, TI_ALERT_SYN_FLOOD, now);
	}
	for (int m = 1; m < TI_METRIC_MAX; m++) {
		double mean, sd;

		if (!ewma_update(&d->base[m], rate[m], d->cfg.anomaly_alpha,
				 d->cfg.anomaly_k, d->cfg.anomaly_warmup,
				 d->cfg.anomaly_min_delta, &mean, &sd))
			continue;
		struct ti_alert_event a = {};

		a.kind = TI_ALERT_ANOMALY;
		a.metric = (uint32_t)m;
		a.count = (uint64_t)llround(rate[m]);
		a.threshold = (uint64_t)llround(d->cfg.anomaly_k * 1000.0);
		a.window_ns = (uint64_t)(dt * 1e9);
		a.rate_milli = milli(rate[m]);
		a.mean_milli = milli(mean);
		a.stddev_milli = milli(sd);
		emit_global(d, &a, TI_ALERT_MAX + (unsigned int)m, now);
	}
	d->prev = cur;
	d->prev_resets_tx = cc.resets_tx;
	d->prev_retransmits = cc.retransmits;
}

static bool auto_blockable(unsigned int kind)
{
	switch (kind) {
	case TI_ALERT_VERTICAL_SCAN:
	case TI_ALERT_HORIZONTAL_SCAN:
	case TI_ALERT_SLOW_SCAN:
	case TI_ALERT_SYN_RATE:
		return true;
	default:
		return kind >= TI_ALERT_STEALTH_NULL &&
		       kind <= TI_ALERT_STEALTH_INVALID;
	}
}

void defence_on_alert(struct defence *d, struct ti_alert_event *a)
{
	struct ti_cidr c = {};
	char text[TI_CIDR_STRLEN];
	int err;

	if (!d->cfg.enforce || !d->cfg.auto_block_ttl || !auto_blockable(a->kind) ||
	    (a->family != TI_AF_INET && a->family != TI_AF_INET6) ||
	    d->bl.fd[TI_LIST_BLOCK] < 0)
		return;
	if (allowlist_contains(&d->bl, a->family, a->saddr))
		return;
	c.family = a->family;
	c.prefix_len = a->family == TI_AF_INET ? 32 : 128;
	memcpy(c.addr, a->saddr, a->family == TI_AF_INET ? 4 : 16);
	err = list_add_cidr(&d->bl, TI_LIST_BLOCK, &c, d->cfg.auto_block_ttl);
	cidr_format(&c, text, sizeof(text));
	if (err) {
		log_warn("failed to auto-block %s: %s", text, errstr(err));
		return;
	}
	a->action = TI_ACTION_BLOCKED;
	d->auto_blocked++;
	log_debug("auto-blocked %s for %u s (%s)", text, d->cfg.auto_block_ttl,
		  ti_alert_kind_name(a->kind));
}

void defence_stop(struct defence *d)
{
	blocklist_close(&d->bl);
}

/* ---- formatting --------------------------------------------------------- */

static void fmt_ports(const struct ti_alert_event *a, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int np = a->nports < TI_ALERT_MAX_PORTS ? a->nports
							 : TI_ALERT_MAX_PORTS;

	buf[0] = '\0';
	for (unsigned int i = 0; i < np && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "",
				      a->ports[i]);
}

void ti_alert_text(FILE *f, const struct ti_alert_event *a)
{
	char clock[24], src[64] = "-", dst[64] = "-", ports[64];

	fmt_clock(a->hdr.ts_ns, clock, sizeof(clock));
	if (a->family) {
		fmt_addr(a->family, a->saddr, src, sizeof(src));
		fmt_addr(a->family, a->daddr, dst, sizeof(dst));
	}
	fmt_ports(a, ports, sizeof(ports));
	fprintf(f, "%s %-14s %-27s -> %-27s %s", clock, "alert", src, dst,
		ti_alert_kind_name(a->kind));
	switch (a->kind) {
	case TI_ALERT_SYN_FLOOD:
		fprintf(f, " syns/s=%.1f completed/s=%.1f threshold=%llu/s",
			a->rate_milli / 1000.0, a->mean_milli / 1000.0,
			(unsigned long long)a->threshold);
		break;
	case TI_ALERT_ANOMALY:
		fprintf(f, " metric=%s value=%.1f mean=%.2f stddev=%.2f k=%.1f",
			ti_metric_name(a->metric), a->rate_milli / 1000.0,
			a->mean_milli / 1000.0, a->stddev_milli / 1000.0,
			a->threshold / 1000.0);
		break;
	case TI_ALERT_SYN_RATE:
		fprintf(f, " syns=%llu in %.2fs limit=%llu/s dport=%u",
			(unsigned long long)a->count, a->window_ns / 1e9,
			(unsigned long long)a->threshold, a->dport);
		break;
	default:
		fprintf(f, " count=%llu threshold=%llu window=%.0fs dport=%u",
			(unsigned long long)a->count,
			(unsigned long long)a->threshold, a->window_ns / 1e9,
			a->dport);
		if (ports[0])
			fprintf(f, " ports=%s", ports);
		break;
	}
	if (a->kind >= TI_ALERT_STEALTH_NULL && a->kind <= TI_ALERT_STEALTH_INVALID)
		fprintf(f, " tcp_flags=0x%02x", a->flags);
	fprintf(f, " suppressed=%u action=%s\n", a->suppressed,
		action_name(a->action));
}

void ti_alert_json(struct jw *w, const struct ti_alert_event *a)
{
	char buf[64];

	jw_str(w, "kind", ti_alert_kind_name(a->kind));
	if (a->family) {
		jw_str(w, "family", a->family == TI_AF_INET6 ? "ipv6" : "ipv4");
		jw_str(w, "src", fmt_addr(a->family, a->saddr, buf, sizeof(buf)));
		jw_str(w, "dst", fmt_addr(a->family, a->daddr, buf, sizeof(buf)));
		jw_u64(w, "dport", a->dport);
	}
	jw_u64(w, "count", a->count);
	jw_u64(w, "threshold", a->threshold);
	jw_dbl(w, "window_s", a->window_ns / 1e9);
	if (a->nports) {
		unsigned int np = a->nports < TI_ALERT_MAX_PORTS ? a->nports
								 : TI_ALERT_MAX_PORTS;

		jw_arr_begin(w, "ports");
		for (unsigned int i = 0; i < np; i++)
			jw_u64(w, NULL, a->ports[i]);
		jw_arr_end(w);
	}
	if (a->kind >= TI_ALERT_STEALTH_NULL && a->kind <= TI_ALERT_STEALTH_INVALID) {
		jw_arr_begin(w, "tcp_flags");
		for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++)
			if (a->flags & (1u << bit))
				jw_str(w, NULL, ti_tcp_flag_names[bit]);
		jw_arr_end(w);
	}
	if (a->kind == TI_ALERT_SYN_RATE || a->kind == TI_ALERT_SYN_FLOOD ||
	    a->kind == TI_ALERT_ANOMALY)
		jw_dbl(w, "rate", a->rate_milli / 1000.0);
	if (a->kind == TI_ALERT_SYN_FLOOD) {
		jw_dbl(w, "completed_rate", a->mean_milli / 1000.0);
		jw_dbl(w, "incomplete_share",
		       a->rate_milli ? 1.0 - (double)a->mean_milli / (double)a->rate_milli : 0);
	}
	if (a->kind == TI_ALERT_ANOMALY) {
		jw_str(w, "metric", ti_metric_name(a->metric));
		jw_dbl(w, "mean", a->mean_milli / 1000.0);
		jw_dbl(w, "stddev", a->stddev_milli / 1000.0);
		jw_dbl(w, "k", a->threshold / 1000.0);
	}
	jw_u64(w, "suppressed", a->suppressed);
	jw_str(w, "action", action_name(a->action));
}

/* ---- options ------------------------------------------------------------ */

static const struct {
	const char *name;
	int id;
} defence_opt_names[] = {
	{ "enforce", TI_DEFOPT_ENFORCE },
	{ "no-alerts", TI_DEFOPT_NO_ALERTS },
	{ "syn-rate", TI_DEFOPT_SYN_RATE },
	{ "syn-burst", TI_DEFOPT_SYN_BURST },
	{ "auto-block-ttl", TI_DEFOPT_AUTO_BLOCK_TTL },
	{ "scan-ports", TI_DEFOPT_SCAN_PORTS },
	{ "scan-window", TI_DEFOPT_SCAN_WINDOW },
	{ "slow-scan-ports", TI_DEFOPT_SLOW_PORTS },
	{ "slow-scan-window", TI_DEFOPT_SLOW_WINDOW },
	{ "hscan-hosts", TI_DEFOPT_HSCAN_HOSTS },
	{ "hscan-window", TI_DEFOPT_HSCAN_WINDOW },
	{ "alert-interval", TI_DEFOPT_ALERT_INTERVAL },
	{ "flood-syn-rate", TI_DEFOPT_FLOOD_RATE },
	{ "flood-incomplete", TI_DEFOPT_FLOOD_SHARE },
	{ "anomaly-k", TI_DEFOPT_ANOMALY_K },
	{ "anomaly-alpha", TI_DEFOPT_ANOMALY_ALPHA },
	{ "anomaly-warmup", TI_DEFOPT_ANOMALY_WARMUP },
};

static const char *defopt_name(int opt)
{
	for (size_t i = 0; i < sizeof(defence_opt_names) / sizeof(defence_opt_names[0]); i++)
		if (defence_opt_names[i].id == opt)
			return defence_opt_names[i].name;
	return "?";
}

/* A real number in [min, max] (min excluded when open_min). */
static int opt_real(const char *name, const char *arg, double min, bool open_min,
		    double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = arg && *arg ? strtod(arg, &end) : NAN;
	if (!arg || !*arg || errno || *end || !isfinite(v) || v > max ||
	    (open_min ? v <= min : v < min)) {
		log_error("invalid value for --%s: '%s' (expected a number %s %g and <= %g)",
			  name, arg ? arg : "", open_min ? ">" : ">=", min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int defence_opt(struct defence_cfg *c, int opt, const char *arg)
{
	char flag[40];
	uint64_t v = 0;
	double d = 0;

	snprintf(flag, sizeof(flag), "--%s", defopt_name(opt));
	switch (opt) {
	case TI_DEFOPT_ENFORCE:
		c->enforce = true;
		return 0;
	case TI_DEFOPT_NO_ALERTS:
		c->detect = false;
		return 0;
	case TI_DEFOPT_SYN_RATE:
		if (opt_u64(flag, arg, 1, 1000000, &v))
			return -EINVAL;
		c->syn_rate = (uint32_t)v;
		return 0;
	case TI_DEFOPT_SYN_BURST:
		if (opt_u64(flag, arg, 1, 1000000, &v))
			return -EINVAL;
		c->syn_burst = (uint32_t)v;
		return 0;
	case TI_DEFOPT_AUTO_BLOCK_TTL:
		if (opt_u64(flag, arg, 0, 366ULL * 86400, &v))
			return -EINVAL;
		c->auto_block_ttl = (uint32_t)v;
		c->auto_block_off = v == 0;
		return 0;
	case TI_DEFOPT_SCAN_PORTS:
	case TI_DEFOPT_SLOW_PORTS:
	case TI_DEFOPT_HSCAN_HOSTS:
		if (opt_u64(flag, arg, 2, 65535, &v))
			return -EINVAL;
		if (opt == TI_DEFOPT_SCAN_PORTS)
			c->scan_ports = (uint32_t)v;
		else if (opt == TI_DEFOPT_SLOW_PORTS)
			c->slow_ports = (uint32_t)v;
		else
			c->hscan_hosts = (uint32_t)v;
		return 0;
	case TI_DEFOPT_SCAN_WINDOW:
	case TI_DEFOPT_SLOW_WINDOW:
	case TI_DEFOPT_HSCAN_WINDOW:
	case TI_DEFOPT_ALERT_INTERVAL:
		if (opt_seconds(flag, arg, &d))
			return -EINVAL;
		if (opt == TI_DEFOPT_SCAN_WINDOW)
			c->scan_window_s = d;
		else if (opt == TI_DEFOPT_SLOW_WINDOW)
			c->slow_window_s = d;
		else if (opt == TI_DEFOPT_HSCAN_WINDOW)
			c->hscan_window_s = d;
		else
			c->alert_interval_s = d;
		return 0;
	case TI_DEFOPT_FLOOD_RATE:
		if (opt_u64(flag, arg, 1, 100000000, &v))
			return -EINVAL;
		c->flood_syn_rate = (uint32_t)v;
		return 0;
	case TI_DEFOPT_FLOOD_SHARE:
		if (opt_real(defopt_name(opt), arg, 0, true, 1, &d))
			return -EINVAL;
		c->flood_incomplete = d;
		return 0;
	case TI_DEFOPT_ANOMALY_K:
		if (opt_real(defopt_name(opt), arg, 0, true, 1000, &d))
			return -EINVAL;
		c->anomaly_k = d;
		return 0;
	case TI_DEFOPT_ANOMALY_ALPHA:
		if (opt_real(defopt_name(opt), arg, 0, true, 1, &d))
			return -EINVAL;
		c->anomaly_alpha = d;
		return 0;
	case TI_DEFOPT_ANOMALY_WARMUP:
		if (opt_u64(flag, arg, 1, 1000000, &v))
			return -EINVAL;
		c->anomaly_warmup = (uint32_t)v;
		return 0;
	default:
		log_error("unknown defence option %d", opt);
		return -EINVAL;
	}
}

int defence_set(struct defence_cfg *c, const char *name, const char *arg)
{
	for (size_t i = 0; i < sizeof(defence_opt_names) / sizeof(defence_opt_names[0]); i++)
		if (!strcmp(defence_opt_names[i].name, name))
			return defence_opt(c, defence_opt_names[i].id, arg);
	return -ENOENT;
}

void defence_usage(FILE *f)
{
	fprintf(f,
		"\nDefences (docs/defence.md). The pinned blocklist is always enforced;\n"
		"alerts are on by default; rate limit and auto-block need --enforce.\n"
		"      --enforce          drop SYNs over a source's rate and auto-block\n"
		"                         sources that trip a scan or rate detector\n"
		"      --no-alerts        no scan/flood/anomaly alerts\n"
		"      --syn-rate N       SYNs per second per source (default %u)\n"
		"      --syn-burst N      token bucket size (default %u)\n"
		"      --auto-block-ttl S block offenders for S seconds (default %u;\n"
		"                         0: no auto-block)\n"
		"      --scan-ports N     vertical scan: N failed ports ... (default %u)\n"
		"      --scan-window S    ... within S seconds (default %g)\n"
		"      --slow-scan-ports N, --slow-scan-window S  the long window for\n"
		"                         slow scans (default %u ports in %g s)\n"
		"      --hscan-hosts N, --hscan-window S  horizontal scan: N local\n"
		"                         addresses on one port (default %u in %g s)\n"
		"      --alert-interval S at most one alert per source and kind per S\n"
		"                         seconds, repeats counted (default %g)\n"
		"      --flood-syn-rate N, --flood-incomplete F  SYN flood: at least N\n"
		"                         SYNs/s of which the share F never completes\n"
		"                         (default %u, %g)\n"
		"      --anomaly-k K, --anomaly-alpha A, --anomaly-warmup N  baseline\n"
		"                         alerts beyond K standard deviations of an EWMA\n"
		"                         (smoothing A) after N seconds (default %g, %g, %u)\n",
		TI_DEF_SYN_RATE, TI_DEF_SYN_BURST, TI_DEF_AUTO_BLOCK_TTL,
		TI_DEF_SCAN_PORTS, TI_DEF_SCAN_WINDOW_S, TI_DEF_SLOW_PORTS,
		TI_DEF_SLOW_WINDOW_S, TI_DEF_HSCAN_HOSTS, TI_DEF_HSCAN_WINDOW_S,
		TI_DEF_ALERT_INTERVAL_S, TI_DEF_FLOOD_SYN_RATE,
		TI_DEF_FLOOD_INCOMPLETE, TI_DEF_ANOMALY_K, TI_DEF_ANOMALY_ALPHA,
		TI_DEF_ANOMALY_WARMUP);
}
