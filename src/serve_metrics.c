// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_metrics.c - GET /metrics: the Prometheus text format (version
 * 0.0.4). Names are tcpinspect_*, in base units (seconds, bytes), with
 * HELP and TYPE. Labels are bounded: per-source and per-port series exist
 * only for the top N (config top_n) and the rest is folded into
 * source="other" / port="other".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "inspector.skel.h"
#include "maps.h"
#include "serve.h"

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->buf ? b->buf + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 16384;
		char *nb;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
}

static void head(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct sbuf *b, const char *name, const char *type,
		const char *help, double v)
{
	head(b, name, type, help);
	sb_printf(b, "%s %.17g\n", name, v);
}

/* Label values are addresses, names and kinds from fixed tables, but
 * escape anyway: an interface name could hold a quote. */
static const char *esc(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			buf[n++] = '\\';
			buf[n++] = *s;
		} else if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void histogram(struct sbuf *b, const char *name, const char *help,
		      const struct model_hist *h)
{
	uint64_t cum = 0;

	head(b, name, "histogram", help);
	for (int i = 0; i < MODEL_HIST_BUCKETS - 1; i++) {
		cum += h->counts[i];
		sb_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, model_hist_bounds[i],
			  (unsigned long long)cum);
	}
	sb_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	sb_printf(b, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
		  (unsigned long long)h->count);
}

/* Entries in a BPF hash map (walking the keys is cheap while it is small;
 * the result is kept for a few seconds so a flood does not make every
 * scrape walk 64k keys). */
static long map_entries(int fd, size_t key_size)
{
	static long cached = -1;
	static time_t cached_at;
	time_t now = time(NULL);
	long n;

	if (cached >= 0 && now - cached_at < 5)
		return cached;
	n = map_count_keys(fd, key_size);
	if (n < 0)
		return -1;
	cached = n;
	cached_at = now;
	return n;
}

void serve_metrics(struct serve_ctx *sc, struct sbuf *b)
{
	struct session *s = &sc->sess;
	struct ti_pkt_counters pc;
	struct ti_conn_counters cc;
	struct model *m = sc->m;
	char lbl[128], lbl2[64], a[64];
	struct timespec now;

	inspector_counters(&s->ins, &pc);
	conn_counters(&s->ct, &cc);
	clock_gettime(CLOCK_MONOTONIC, &now);

	/* Kernel counters: exact, whatever user space managed to read. */
	one(b, "tcpinspect_packets_total", "counter",
	    "Frames seen by the packet inspector on the watched interfaces.", (double)pc.packets);
	one(b, "tcpinspect_received_bytes_total", "counter",
	    "Bytes of the frames seen by the packet inspector.", (double)pc.bytes);
	one(b, "tcpinspect_tcp_packets_total", "counter",
	    "Incoming TCP segments parsed.", (double)pc.tcp_packets);
	head(b, "tcpinspect_ip_packets_total", "counter", "Frames by IP version.");
	sb_printf(b, "tcpinspect_ip_packets_total{family=\"ipv4\"} %llu\n",
		  (unsigned long long)pc.ipv4);
	sb_printf(b, "tcpinspect_ip_packets_total{family=\"ipv6\"} %llu\n",
		  (unsigned long long)pc.ipv6);
	head(b, "tcpinspect_tcp_flags_total", "counter",
	     "Incoming TCP segments with each flag set (a segment counts once per flag).");
	for (int i = 0; i < TI_TCP_FLAG_COUNT; i++)
		sb_printf(b, "tcpinspect_tcp_flags_total{flag=\"%s\"} %llu\n",
			  ti_tcp_flag_names[i], (unsigned long long)pc.flags[i]);
	head(b, "tcpinspect_malformed_packets_total", "counter",
	     "Frames that could not be parsed, by reason.");
	for (int i = 0; i < TI_MAL_MAX; i++)
		sb_printf(b, "tcpinspect_malformed_packets_total{reason=\"%s\"} %llu\n",
			  ti_malformed_name(i), (unsigned long long)pc.malformed[i]);
	one(b, "tcpinspect_state_changes_total", "counter",
	    "TCP state changes of local sockets.", (double)cc.state_changes);
	one(b, "tcpinspect_retransmits_total", "counter",
	    "TCP segments retransmitted by local sockets.", (double)cc.retransmits);
	one(b, "tcpinspect_resets_received_total", "counter",
	    "Resets received by local sockets.", (double)cc.resets_rx);
	one(b, "tcpinspect_resets_sent_total", "counter",
	    "Resets sent by this host.", (double)cc.resets_tx);

	/* Self-monitoring. */
	head(b, "tcpinspect_events_lost_total", "counter",
	     "Events the kernel programs could not queue (ring buffer full), by component.");
	sb_printf(b, "tcpinspect_events_lost_total{component=\"inspector\"} %llu\n",
		  (unsigned long long)pc.events_dropped);
	sb_printf(b, "tcpinspect_events_lost_total{component=\"connections\"} %llu\n",
		  (unsigned long long)cc.events_dropped);
	head(b, "tcpinspect_events_sent_total", "counter",
	     "Events queued by the kernel programs, by component.");
	sb_printf(b, "tcpinspect_events_sent_total{component=\"inspector\"} %llu\n",
		  (unsigned long long)pc.events_sent);
	sb_printf(b, "tcpinspect_events_sent_total{component=\"connections\"} %llu\n",
		  (unsigned long long)cc.events_sent);
	head(b, "tcpinspect_program_attached", "gauge",
	     "1 for each interface the packet inspector is attached to, with its mode; 0 once the interface went away.");
	for (int i = 0; i < s->ins.n_att; i++)
		sb_printf(b, "tcpinspect_program_attached{interface=\"%s\",mode=\"%s\"} %d\n",
			  esc(s->ins.att[i].ifname, lbl, sizeof(lbl)),
			  ti_mode_name(s->ins.att[i].mode), !s->ins.att[i].lost);
	head(b, "tcpinspect_connection_hook_info", "gauge",
	     "The kind of tracepoint the connection events come from.");
	sb_printf(b, "tcpinspect_connection_hook_info{hook=\"%s\"} 1\n", conn_hook_name(&s->ct));
	if (s->ins.skel) {
		const struct bpf_map *map = s->ins.skel->maps.ti_syn_sources;

		head(b, "tcpinspect_map_entries", "gauge", "Entries in a BPF map.");
		sb_printf(b, "tcpinspect_map_entries{map=\"ti_syn_sources\"} %ld\n",
			  map_entries(bpf_map__fd(map), sizeof(struct ti_src_key)));
		head(b, "tcpinspect_map_capacity", "gauge", "Maximum entries of a BPF map.");
		sb_printf(b, "tcpinspect_map_capacity{map=\"ti_syn_sources\"} %u\n",
			  bpf_map__max_entries(map));
	}
	one(b, "tcpinspect_start_time_seconds", "gauge",
	    "Start time of the daemon since the Unix epoch.", sc->start_unix);

	pthread_mutex_lock(&sc->lock);
	one(b, "tcpinspect_events_invalid_total", "counter",
	    "Ring-buffer records with an unknown type or a short size.", (double)s->invalid);
	one(b, "tcpinspect_events_processed_total", "counter",
	    "Events aggregated by the daemon.", (double)m->events);
	one(b, "tcpinspect_http_requests_total", "counter",
	    "HTTP requests answered by the daemon.", (double)sc->http_requests);
	head(b, "tcpinspect_model_entries", "gauge",
	     "Entries in the daemon's bounded tables (sources: 4096, connections: 1024).");
	sb_printf(b, "tcpinspect_model_entries{table=\"sources\"} %u\n", model_sources_used(m));
	sb_printf(b, "tcpinspect_model_entries{table=\"connections\"} %u\n", model_count_conns(m, 0) +
		  model_count_conns(m, TI_TCP_CLOSE));
	one(b, "tcpinspect_model_evicted_sources_total", "counter",
	    "Sources dropped from the daemon's table to make room (their SYNs stay in the totals).",
	    (double)m->evicted_sources);

	head(b, "tcpinspect_syns_received_total", "counter",
	     "Connection requests (SYN without ACK) received, by address family.");
	sb_printf(b, "tcpinspect_syns_received_total{family=\"ipv4\"} %llu\n",
		  (unsigned long long)m->syns_v4);
	sb_printf(b, "tcpinspect_syns_received_total{family=\"ipv6\"} %llu\n",
		  (unsigned long long)m->syns_v6);
	one(b, "tcpinspect_connections_established_total", "counter",
	    "Incoming connections that completed the handshake.", (double)m->established);
	one(b, "tcpinspect_handshake_timeouts_total", "counter",
	    "Incoming handshakes that timed out.", (double)m->handshake_timeouts);
	one(b, "tcpinspect_connections_closed_total", "counter",
	    "Connections closed (lifecycle events).", (double)m->closes);
	head(b, "tcpinspect_connection_bytes_total", "counter",
	     "Payload bytes of closed connections, by direction.");
	sb_printf(b, "tcpinspect_connection_bytes_total{direction=\"received\"} %llu\n",
		  (unsigned long long)m->close_bytes_rx);
	sb_printf(b, "tcpinspect_connection_bytes_total{direction=\"sent\"} %llu\n",
		  (unsigned long long)m->close_bytes_tx);
	head(b, "tcpinspect_connections", "gauge",
	     "Tracked connections by TCP state (the most recent 1024 at most).");
	for (unsigned int st = TI_TCP_ESTABLISHED; st < TI_TCP_STATE_MAX; st++) {
		char sn[32];

		if (st == TI_TCP_LISTEN || st == TI_TCP_NEW_SYN_RECV || st == TI_TCP_BOUND_INACTIVE)
			continue;
		sb_printf(b, "tcpinspect_connections{state=\"%s\"} %u\n",
			  ti_tcp_state_name(st, sn, sizeof(sn)), model_count_conns(m, st));
	}
	histogram(b, "tcpinspect_handshake_duration_seconds",
		  "Time from an incoming SYN to the connection being established.",
		  &m->handshake);
	histogram(b, "tcpinspect_rtt_seconds",
		  "Smoothed round-trip time of connections when they close.", &m->rtt);

	head(b, "tcpinspect_alerts_total", "counter", "Alerts raised, by kind.");
	for (int k = 1; k < TI_ALERT_MAX; k++)
		sb_printf(b, "tcpinspect_alerts_total{kind=\"%s\"} %llu\n",
			  model_alert_kind_name(k), (unsigned long long)m->alerts_by_kind[k]);

	/* Top sources and ports: their own series for the top N only, so the
	 * number of series stays bounded whatever the traffic. Gauges: a
	 * source leaving the top N moves its count into "other". */
	const struct model_source *top[MODEL_TOP_MAX];
	uint16_t ports[MODEL_TOP_MAX];
	uint64_t psyns[MODEL_TOP_MAX], sum = 0;
	int n = model_top_sources(m, false, top, (int)sc->cfg.top_n);

	head(b, "tcpinspect_source_syns", "gauge",
	     "SYNs received from each of the top sources; source=\"other\" folds the rest.");
	for (int i = 0; i < n; i++) {
		sb_printf(b, "tcpinspect_source_syns{source=\"%s\"} %llu\n",
			  esc(fmt_addr(top[i]->addr.family, top[i]->addr.b, a, sizeof(a)),
			      lbl2, sizeof(lbl2)),
			  (unsigned long long)top[i]->syns);
		sum += top[i]->syns;
	}
	sb_printf(b, "tcpinspect_source_syns{source=\"other\"} %llu\n",
		  (unsigned long long)(m->syns >= sum ? m->syns - sum : 0));
	head(b, "tcpinspect_source_syn_rate", "gauge",
	     "SYNs per second from each of the top sources over the last second.");
	for (int i = 0; i < n; i++)
		sb_printf(b, "tcpinspect_source_syn_rate{source=\"%s\"} %.6g\n",
			  esc(fmt_addr(top[i]->addr.family, top[i]->addr.b, a, sizeof(a)),
			      lbl2, sizeof(lbl2)),
			  top[i]->syn_rate);
	n = model_top_ports(m, ports, psyns, (int)sc->cfg.top_n);
	sum = 0;
	head(b, "tcpinspect_port_syns", "gauge",
	     "SYNs received on each of the top local ports; port=\"other\" folds the rest.");
	for (int i = 0; i < n; i++) {
		sb_printf(b, "tcpinspect_port_syns{port=\"%u\"} %llu\n", ports[i],
			  (unsigned long long)psyns[i]);
		sum += psyns[i];
	}
	sb_printf(b, "tcpinspect_port_syns{port=\"other\"} %llu\n",
		  (unsigned long long)(m->syns >= sum ? m->syns - sum : 0));
	pthread_mutex_unlock(&sc->lock);
	one(b, "tcpinspect_uptime_seconds", "gauge", "Seconds since the daemon started.",
	    (double)((uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - sc->start_ns) / 1e9);
}
