// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_http.c - the daemon's HTTP side (libmicrohttpd, its own polling
 * thread): the dashboard, /metrics and the REST API of docs/openapi.yaml.
 *
 * Every response carries X-Request-ID (the client's when it is sane, else
 * a generated one). Errors are {"code": N, "message": "...", "request_id":
 * "..."}. Request bodies are capped at API_MAX_BODY (413 beyond).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <time.h>
#include <microhttpd.h>
#include "apireq.h"
#include "events.h"
#include "log.h"
#include "serve.h"
#include "serve_blocklist.h"
#include "webassets.h"

#define DEFAULT_LIMIT 50

struct req {
	char rid[API_REQUEST_ID_MAX + 1];
	char *body;
	size_t len;
	bool too_large;
};

struct qcheck {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct qcheck *q = cls;

	(void)kind;
	(void)value;
	for (const char *const *a = q->allowed; *a; a++)
		if (!strcmp(*a, key))
			return MHD_YES;
	q->bad = key;
	return MHD_NO;
}

/* Name of the first query parameter not in allowed (NULL-terminated). */
static const char *unknown_arg(struct MHD_Connection *c, const char *const *allowed)
{
	struct qcheck q = { allowed, NULL };

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &q);
	return q.bad;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, struct req *r,
				unsigned int status, const char *type,
				const void *data, size_t len, bool copy)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)data,
					       copy ? MHD_RESPMEM_MUST_COPY :
						      MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "X-Request-ID", r->rid);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (!strncmp(type, "text/html", 9))
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; img-src 'self' data:");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *r,
				 unsigned int status, struct jw *w)
{
	enum MHD_Result ret;

	if (w->oom) {
		jw_free(w);
		return MHD_NO;
	}
	ret = send_buf(c, r, status, "application/json", w->buf, w->len, true);
	jw_free(w);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *r,
				  unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *r,
				  unsigned int status, const char *fmt, ...)
{
	struct jw w = {};
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_obj_begin(&w);
	jw_u64(&w, "code", status);
	jw_str(&w, "message", msg);
	jw_str(&w, "request_id", r->rid);
	jw_obj_end(&w);
	return send_json(c, r, status, &w);
}

static void addr_json(struct jw *w, const char *key, const struct model_addr *a)
{
	char buf[64];

	jw_str(w, key, fmt_addr(a->family, a->b, buf, sizeof(buf)));
}

/* Seconds since an event (CLOCK_MONOTONIC ns), for "age_s" fields. */
static double age_s(uint64_t ts_ns)
{
	struct timespec now;
	uint64_t n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	n = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	return n > ts_ns ? (double)(n - ts_ns) / 1e9 : 0;
}

static void time_json(struct jw *w, const char *key, uint64_t ts_ns)
{
	char t[48];

	fmt_rfc3339(ts_ns, t, sizeof(t));
	jw_str(w, key, t);
}

static void source_fields(struct jw *w, const struct model_source *s)
{
	addr_json(w, "address", &s->addr);
	jw_u64(w, "syns", s->syns);
	jw_dbl(w, "syn_rate", s->syn_rate);
	jw_u64(w, "established", s->established);
	jw_u64(w, "resets", s->resets);
	jw_u64(w, "retransmits", s->retransmits);
	jw_u64(w, "packets", s->packets);
	time_json(w, "first_seen", s->first_ns);
	time_json(w, "last_seen", s->last_ns);
	jw_arr_begin(w, "ports");
	for (int i = 0; i < s->nports; i++)
		jw_u64(w, NULL, s->ports[i]);
	jw_arr_end(w);
	jw_bool(w, "more_ports", s->more_ports);
}

static void source_json(struct jw *w, const struct model_source *s)
{
	jw_obj_begin(w);
	source_fields(w, s);
	jw_obj_end(w);
}

static void conn_json(struct jw *w, const struct model_conn *cn)
{
	char a[64], st[32];

	jw_obj_begin(w);
	jw_str(w, "family", cn->t.family == TI_AF_INET6 ? "ipv6" : "ipv4");
	jw_str(w, "src", fmt_addr(cn->t.family, cn->t.saddr, a, sizeof(a)));
	jw_u64(w, "sport", cn->t.sport);
	jw_str(w, "dst", fmt_addr(cn->t.family, cn->t.daddr, a, sizeof(a)));
	jw_u64(w, "dport", cn->t.dport);
	jw_str(w, "state", ti_tcp_state_name(cn->state, st, sizeof(st)));
	jw_bool(w, "open", cn->state != TI_TCP_CLOSE);
	jw_u64(w, "retransmits", cn->retransmits);
	jw_dbl(w, "handshake_s", cn->handshake_ns / 1e9);
	time_json(w, "first_seen", cn->first_ns);
	time_json(w, "last_seen", cn->last_ns);
	jw_obj_end(w);
}

static void alert_json(struct jw *w, const struct model_alert *al)
{
	jw_obj_begin(w);
	jw_u64(w, "id", al->id);
	time_json(w, "time", al->ts_ns);
	jw_str(w, "kind", model_alert_kind_name(al->kind));
	if (al->addr.family)
		addr_json(w, "source", &al->addr);
	jw_bool(w, "blocked", al->blocked);
	jw_str(w, "message", al->message);
	jw_obj_end(w);
}

static enum MHD_Result api_stats(struct serve_ctx *sc, struct MHD_Connection *c,
				 struct req *r)
{
	static const char *const allowed[] = { "history", NULL };
	struct session *s = &sc->sess;
	struct ti_pkt_counters pc;
	struct ti_conn_counters cc;
	unsigned long history;
	struct jw w = {};
	const char *bad = unknown_arg(c, allowed);

	if (bad)
		return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
	if (api_parse_uint(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "history"),
			   0, MODEL_HISTORY, 60, &history))
		return send_error(c, r, 400, "history must be 0-%d (seconds)", MODEL_HISTORY);
	inspector_counters(&s->ins, &pc);
	conn_counters(&s->ct, &cc);

	jw_obj_begin(&w);
	jw_dbl(&w, "uptime_s", age_s(sc->start_ns));
	jw_obj_key(&w, "kernel");
	jw_u64(&w, "packets", pc.packets);
	jw_u64(&w, "bytes", pc.bytes);
	jw_u64(&w, "tcp_packets", pc.tcp_packets);
	jw_u64(&w, "state_changes", cc.state_changes);
	jw_u64(&w, "retransmits", cc.retransmits);
	jw_u64(&w, "resets_received", cc.resets_rx);
	jw_u64(&w, "resets_sent", cc.resets_tx);
	jw_u64(&w, "events_lost", pc.events_dropped + cc.events_dropped);
	jw_obj_end(&w);
	jw_arr_begin(&w, "interfaces");
	for (int i = 0; i < s->ins.n_att; i++) {
		jw_obj_begin(&w);
		jw_str(&w, "ifname", s->ins.att[i].ifname);
		jw_str(&w, "mode", ti_mode_name(s->ins.att[i].mode));
		jw_bool(&w, "attached", !s->ins.att[i].lost);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_str(&w, "connection_hook", conn_hook_name(&s->ct));
	jw_bool(&w, "blocklist_available", sc->blocklist_ok);

	pthread_mutex_lock(&sc->lock);
	const struct model *m = sc->m;

	jw_obj_key(&w, "totals");
	jw_u64(&w, "syns", m->syns);
	jw_u64(&w, "established", m->established);
	jw_u64(&w, "retransmits", m->retransmits);
	jw_u64(&w, "resets", m->resets_rx + m->resets_tx);
	jw_u64(&w, "alerts", m->alerts_total);
	jw_u64(&w, "events", m->events);
	jw_u64(&w, "events_invalid", s->invalid);
	jw_u64(&w, "open_connections", model_count_conns(m, 0));
	jw_u64(&w, "sources", model_sources_used(m));
	jw_obj_end(&w);
	jw_obj_key(&w, "handshake");
	jw_u64(&w, "count", m->handshake.count);
	jw_dbl(&w, "avg_s", m->handshake.count ? m->handshake.sum / (double)m->handshake.count : 0);
	jw_obj_end(&w);
	jw_obj_key(&w, "rtt");
	jw_u64(&w, "count", m->rtt.count);
	jw_dbl(&w, "avg_s", m->rtt.count ? m->rtt.sum / (double)m->rtt.count : 0);
	jw_obj_end(&w);
	/* Oldest first, so a chart can plot the array as it is. */
	jw_arr_begin(&w, "history");
	for (long age = (long)history - 1; age >= 0; age--) {
		const struct model_sample *sm = model_sample(m, (uint64_t)age);

		if (!sm)
			continue;
		jw_obj_begin(&w);
		time_json(&w, "time", sm->ts_ns);
		jw_dbl(&w, "syns", sm->syns);
		jw_dbl(&w, "established", sm->established);
		jw_dbl(&w, "retransmits", sm->retransmits);
		jw_dbl(&w, "resets", sm->resets);
		jw_dbl(&w, "packets", sm->packets);
		jw_dbl(&w, "bytes", sm->bytes);
		jw_dbl(&w, "handshake_avg_s", sm->handshake_avg_s);
		jw_dbl(&w, "rtt_avg_s", sm->rtt_avg_s);
		jw_u64(&w, "open_connections", sm->open);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	pthread_mutex_unlock(&sc->lock);
	jw_obj_end(&w);
	return send_json(c, r, 200, &w);
}

static enum MHD_Result api_top(struct serve_ctx *sc, struct MHD_Connection *c,
			       struct req *r)
{
	static const char *const allowed[] = { "n", "by", NULL };
	const struct model_source *top[MODEL_TOP_MAX];
	uint16_t ports[MODEL_TOP_MAX];
	uint64_t psyns[MODEL_TOP_MAX];
	const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
	const char *bad = unknown_arg(c, allowed);
	unsigned long n;
	struct jw w = {};
	int ns, np;

	if (bad)
		return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
	if (api_parse_uint(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "n"),
			   1, MODEL_TOP_MAX, 10, &n))
		return send_error(c, r, 400, "n must be 1-%d", MODEL_TOP_MAX);
	if (by && strcmp(by, "syns") && strcmp(by, "rate"))
		return send_error(c, r, 400, "by must be 'syns' or 'rate'");
	jw_obj_begin(&w);
	pthread_mutex_lock(&sc->lock);
	ns = model_top_sources(sc->m, by && !strcmp(by, "rate"), top, (int)n);
	jw_arr_begin(&w, "sources");
	for (int i = 0; i < ns; i++)
		source_json(&w, top[i]);
	jw_arr_end(&w);
	np = model_top_ports(sc->m, ports, psyns, (int)n);
	jw_arr_begin(&w, "ports");
	for (int i = 0; i < np; i++) {
		jw_obj_begin(&w);
		jw_u64(&w, "port", ports[i]);
		jw_u64(&w, "syns", psyns[i]);
		jw_u64(&w, "established", sc->m->port_established[ports[i]]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_u64(&w, "total_syns", sc->m->syns);
	pthread_mutex_unlock(&sc->lock);
	jw_obj_end(&w);
	return send_json(c, r, 200, &w);
}

static enum MHD_Result api_connections(struct serve_ctx *sc, struct MHD_Connection *c,
				       struct req *r)
{
	static const char *const allowed[] = { "limit", "state", NULL };
	const struct model_conn *conns[MODEL_TOP_MAX];
	const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	const char *bad = unknown_arg(c, allowed);
	unsigned long limit;
	struct jw w = {};
	int n;

	if (bad)
		return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
	if (api_parse_uint(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"),
			   1, MODEL_TOP_MAX, DEFAULT_LIMIT, &limit))
		return send_error(c, r, 400, "limit must be 1-%d", MODEL_TOP_MAX);
	if (state && strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "all"))
		return send_error(c, r, 400, "state must be open, closed or all");
	jw_obj_begin(&w);
	jw_arr_begin(&w, "connections");
	pthread_mutex_lock(&sc->lock);
	n = model_connections(sc->m, conns, MODEL_TOP_MAX);
	for (int i = 0, shown = 0; i < n && shown < (int)limit; i++) {
		bool open = conns[i]->state != TI_TCP_CLOSE;

		if (state && ((!strcmp(state, "open") && !open) ||
			      (!strcmp(state, "closed") && open)))
			continue;
		conn_json(&w, conns[i]);
		shown++;
	}
	jw_arr_end(&w);
	jw_u64(&w, "open", model_count_conns(sc->m, 0));
	pthread_mutex_unlock(&sc->lock);
	jw_obj_end(&w);
	return send_json(c, r, 200, &w);
}

static enum MHD_Result api_alerts(struct serve_ctx *sc, struct MHD_Connection *c,
				  struct req *r)
{
	static const char *const allowed[] = { "limit", "since", NULL };
	const char *bad = unknown_arg(c, allowed);
	unsigned long limit, since;
	struct jw w = {};

	if (bad)
		return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
	if (api_parse_uint(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"),
			   1, MODEL_ALERTS, DEFAULT_LIMIT, &limit))
		return send_error(c, r, 400, "limit must be 1-%d", MODEL_ALERTS);
	if (api_parse_uint(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"),
			   0, UINT64_MAX >> 1, 0, &since))
		return send_error(c, r, 400, "since must be an alert id");
	jw_obj_begin(&w);
	jw_arr_begin(&w, "alerts");
	pthread_mutex_lock(&sc->lock);
	/* Newest first. */
	for (uint64_t id = sc->m->alerts_total, k = 0;
	     id > since && k < limit && k < MODEL_ALERTS; id--, k++)
		alert_json(&w, &sc->m->alerts[(id - 1) % MODEL_ALERTS]);
	jw_arr_end(&w);
	jw_u64(&w, "total", sc->m->alerts_total);
	pthread_mutex_unlock(&sc->lock);
	jw_obj_end(&w);
	return send_json(c, r, 200, &w);
}

static enum MHD_Result api_inspect(struct serve_ctx *sc, struct MHD_Connection *c,
				   struct req *r)
{
	static const char *const allowed[] = { "ip", NULL };
	const char *ip = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ip");
	const char *bad = unknown_arg(c, allowed);
	const struct model_conn *conns[MODEL_TOP_MAX];
	const struct model_source *s;
	struct model_addr a;
	struct jw w = {};
	int n;

	if (bad)
		return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
	if (!ip)
		return send_error(c, r, 400, "the ip query parameter is required");
	if (api_parse_ip(ip, &a))
		return send_error(c, r, 400, "invalid IP address '%.60s'", ip);

	jw_obj_begin(&w);
	addr_json(&w, "ip", &a);
	jw_str(&w, "family", a.family == TI_AF_INET6 ? "ipv6" : "ipv4");
	pthread_mutex_lock(&sc->lock);
	s = model_find_source(sc->m, &a);
	jw_bool(&w, "seen", s != NULL);
	if (s) {
		jw_obj_key(&w, "source");
		source_fields(&w, s);
		jw_obj_end(&w);
	}
	jw_arr_begin(&w, "connections");
	n = model_connections(sc->m, conns, MODEL_TOP_MAX);
	for (int i = 0; i < n; i++) {
		const struct model_conn *cn = conns[i];
		size_t len = cn->t.family == TI_AF_INET ? 4 : TI_ADDR_LEN;

		if (cn->t.family != a.family ||
		    (memcmp(cn->t.saddr, a.b, len) && memcmp(cn->t.daddr, a.b, len)))
			continue;
		conn_json(&w, cn);
	}
	jw_arr_end(&w);
	jw_arr_begin(&w, "alerts");
	for (uint64_t id = sc->m->alerts_total, k = 0; id > 0 && k < MODEL_ALERTS; id--, k++) {
		const struct model_alert *al = &sc->m->alerts[(id - 1) % MODEL_ALERTS];

		if (al->addr.family && model_addr_eq(&al->addr, &a))
			alert_json(&w, al);
	}
	jw_arr_end(&w);
	pthread_mutex_unlock(&sc->lock);
	serve_blocklist_status_json(sc, &a, &w);
	jw_obj_end(&w);
	return send_json(c, r, 200, &w);
}

static enum MHD_Result api_blocklist(struct serve_ctx *sc, struct MHD_Connection *c,
				     struct req *r, const char *method)
{
	const char *auth;
	struct api_block_req br;
	char err[160];
	struct jw w = {};
	int status;

	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		static const char *const allowed[] = { NULL };
		const char *bad = unknown_arg(c, allowed);

		if (bad)
			return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
		status = serve_blocklist_list(sc, &w, err, sizeof(err));
		if (status != 200) {
			jw_free(&w);
			return send_error(c, r, (unsigned int)status, "%s", err);
		}
		return send_json(c, r, 200, &w);
	}
	if (strcmp(method, "POST") && strcmp(method, "DELETE")) {
		struct MHD_Response *resp;
		enum MHD_Result ret;

		jw_obj_begin(&w);
		jw_u64(&w, "code", 405);
		jw_str(&w, "message", "method not allowed (GET, POST, DELETE)");
		jw_str(&w, "request_id", r->rid);
		jw_obj_end(&w);
		resp = MHD_create_response_from_buffer(w.len, w.buf, MHD_RESPMEM_MUST_COPY);
		jw_free(&w);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", "application/json");
		MHD_add_response_header(resp, "X-Request-ID", r->rid);
		MHD_add_response_header(resp, "Allow", "GET, HEAD, POST, DELETE");
		ret = MHD_queue_response(c, 405, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!sc->token_len)
		return send_error(c, r, 403, "blocklist changes are disabled: no token_file configured");
	if (!api_bearer_ok(auth, sc->token, sc->token_len))
		return send_error(c, r, 401, "a valid 'Authorization: Bearer TOKEN' header is required");
	if (r->too_large)
		return send_error(c, r, 413, "request body larger than %d bytes", API_MAX_BODY);
	if (!strcmp(method, "DELETE") && !r->len) {
		static const char *const allowed[] = { "cidr", NULL };
		const char *cidr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cidr");
		const char *bad = unknown_arg(c, allowed);

		if (bad)
			return send_error(c, r, 400, "unknown query parameter '%.40s'", bad);
		memset(&br, 0, sizeof(br));
		if (!cidr)
			return send_error(c, r, 400, "cidr is required (query parameter or JSON body)");
		if (strlen(cidr) >= sizeof(br.cidr) || api_parse_cidr(cidr, &br.addr, &br.prefix))
			return send_error(c, r, 400, "cidr: invalid address or prefix");
		snprintf(br.cidr, sizeof(br.cidr), "%s", cidr);
	} else if (api_parse_block_body(r->body, r->len, &br, err, sizeof(err))) {
		return send_error(c, r, 400, "%s", err);
	}
	status = !strcmp(method, "POST") ?
			 serve_blocklist_add(sc, &br, &w, err, sizeof(err)) :
			 serve_blocklist_del(sc, &br, &w, err, sizeof(err));
	if (status >= 300) {
		jw_free(&w);
		return send_error(c, r, (unsigned int)status, "%s", err);
	}
	return send_json(c, r, (unsigned int)status, &w);
}

static enum MHD_Result route(struct serve_ctx *sc, struct MHD_Connection *c,
			     struct req *r, const char *url, const char *method)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (!strcmp(url, "/api/v1/blocklist"))
		return api_blocklist(sc, c, r, method);
	if (r->too_large)
		return send_error(c, r, 413, "request body larger than %d bytes", API_MAX_BODY);

	static const struct {
		const char *path;
		enum MHD_Result (*fn)(struct serve_ctx *, struct MHD_Connection *, struct req *);
	} api[] = {
		{ "/api/v1/stats", api_stats },
		{ "/api/v1/top", api_top },
		{ "/api/v1/connections", api_connections },
		{ "/api/v1/alerts", api_alerts },
		{ "/api/v1/inspect", api_inspect },
	};
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		if (strcmp(url, api[i].path))
			continue;
		if (!get)
			return send_error(c, r, 405, "method %.10s not allowed (GET only)", method);
		return api[i].fn(sc, c, r);
	}
	if (!strcmp(url, "/metrics")) {
		struct sbuf b = {};
		enum MHD_Result ret;

		if (!get)
			return send_error(c, r, 405, "method %.10s not allowed (GET only)", method);
		serve_metrics(sc, &b);
		if (b.oom) {
			free(b.buf);
			return send_error(c, r, 500, "out of memory");
		}
		ret = send_buf(c, r, 200, "text/plain; version=0.0.4; charset=utf-8",
			       b.buf, b.len, true);
		free(b.buf);
		return ret;
	}
	for (const struct web_asset *a = web_assets; a->path; a++) {
		if (strcmp(url, a->path) && !(!strcmp(url, "/") && !strcmp(a->path, "/index.html")))
			continue;
		if (!get)
			return send_error(c, r, 405, "method %.10s not allowed (GET only)", method);
		return send_buf(c, r, 200, a->type, a->data, a->len, false);
	}
	return send_error(c, r, 404, "no such resource: %.80s", url);
}

static void new_request_id(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(rnd, &ts.tv_nsec, sizeof(rnd) < sizeof(ts.tv_nsec) ? sizeof(rnd) :
									    sizeof(ts.tv_nsec));
	}
	for (size_t i = 0; i < sizeof(rnd) && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[rnd[i] >> 4];
		buf[2 * i + 1] = hex[rnd[i] & 15];
		buf[2 * i + 2] = '\0';
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct serve_ctx *sc = cls;
	struct req *r = *con_cls;

	(void)version;
	if (!r) {
		const char *rid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-ID");
		const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							       "Content-Length");

		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		if (api_request_id_ok(rid))
			snprintf(r->rid, sizeof(r->rid), "%s", rid);
		else
			new_request_id(r->rid, sizeof(r->rid));
		/* Refuse an oversized body before reading it. */
		if (clen && strtoull(clen, NULL, 10) > API_MAX_BODY) {
			r->too_large = true;
			pthread_mutex_lock(&sc->lock);
			sc->http_requests++;
			pthread_mutex_unlock(&sc->lock);
			return send_error(c, r, 413, "request body larger than %d bytes",
					  API_MAX_BODY);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->too_large && r->len + *upload_data_size <= API_MAX_BODY) {
			char *nb = realloc(r->body, r->len + *upload_data_size + 1);

			if (!nb)
				return MHD_NO;
			r->body = nb;
			memcpy(r->body + r->len, upload_data, *upload_data_size);
			r->len += *upload_data_size;
			r->body[r->len] = '\0';
		} else {
			r->too_large = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&sc->lock);
	sc->http_requests++;
	pthread_mutex_unlock(&sc->lock);
	return route(sc, c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int serve_http_listen(const struct serve_ctx *sc)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err, one = 1;

	if (config_parse_listen(sc->cfg.listen, &ss, &sl)) {
		log_error("invalid listen address '%s' (expected ADDR:PORT or [ADDR6]:PORT)",
			  sc->cfg.listen);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_error("failed to listen on %s: %s", sc->cfg.listen, errstr(err));
		return err;
	}
	/* As libmicrohttpd does for the sockets it makes: a quick restart
	 * rebinds; an IPv6 address does not also take the IPv4 one. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, SOMAXCONN)) {
		err = -errno;
		log_error("failed to listen on %s: %s", sc->cfg.listen, errstr(err));
		close(fd);
		return err;
	}
	return fd;
}

struct MHD_Daemon *serve_http_start(struct serve_ctx *sc, int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct MHD_Daemon *d;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (!getsockname(listen_fd, (struct sockaddr *)&ss, &sl) &&
	    ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
		flags |= MHD_USE_EPOLL;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sc,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, sc,
			     MHD_OPTION_CONNECTION_LIMIT, 64u,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
			     MHD_OPTION_END);
	if (!d) {
		log_error("failed to start the HTTP server on %s: %s", sc->cfg.listen,
			  errno ? strerror(errno) : "unknown error");
		close(listen_fd);
	}
	return d;
}

void serve_http_stop(struct MHD_Daemon *d)
{
	if (d)
		MHD_stop_daemon(d);
}
