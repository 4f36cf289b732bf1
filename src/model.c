// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * model.c - aggregation of events into bounded tables (see model.h).
 *
 * Sources, connections and pending handshakes live in set-associative
 * tables: a hash picks a set of MODEL_SRC_WAYS slots, a miss in a full set
 * evicts the slot seen least recently. Lookups are O(ways) whatever the
 * traffic, and memory is fixed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

const double model_hist_bounds[MODEL_HIST_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, __builtin_inf(),
};

#define NS_PER_S 1000000000ULL
#define ALERT_REPEAT_NS (10 * NS_PER_S) /* one rate alert per source per 10 s */

struct model *model_new(const struct model_cfg *cfg)
{
	struct model *m = calloc(1, sizeof(*m));

	if (m && cfg)
		m->cfg = *cfg;
	return m;
}

void model_free(struct model *m)
{
	free(m);
}

/* FNV-1a: cheap, good enough to spread addresses and tuples over sets. */
static uint32_t hash_bytes(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

void model_addr_from(struct model_addr *a, uint16_t family, const uint8_t *bytes)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->b, bytes, family == TI_AF_INET ? 4 : TI_ADDR_LEN);
}

bool model_addr_eq(const struct model_addr *a, const struct model_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->b, b->b, a->family == TI_AF_INET ? 4 : TI_ADDR_LEN);
}

static uint32_t addr_hash(const struct model_addr *a)
{
	return hash_bytes(a->b, a->family == TI_AF_INET ? 4 : TI_ADDR_LEN,
			  2166136261u ^ a->family);
}

/* The connection key: both endpoints (the tuple's pad and unused address
 * bytes are zero in kernel records). */
static bool tuple_eq(const struct ti_tuple *a, const struct ti_tuple *b)
{
	return a->family == b->family && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(a->saddr, b->saddr, TI_ADDR_LEN) &&
	       !memcmp(a->daddr, b->daddr, TI_ADDR_LEN);
}

static uint32_t tuple_hash(const struct ti_tuple *t)
{
	uint32_t h = hash_bytes(t->saddr, TI_ADDR_LEN, 2166136261u);

	h = hash_bytes(t->daddr, TI_ADDR_LEN, h);
	h = hash_bytes(&t->sport, sizeof(t->sport), h);
	return hash_bytes(&t->dport, sizeof(t->dport), h);
}

const struct model_source *model_find_source(const struct model *m,
					     const struct model_addr *a)
{
	const struct model_source *set =
		&m->src[(addr_hash(a) % MODEL_SRC_SETS) * MODEL_SRC_WAYS];

	for (int i = 0; i < MODEL_SRC_WAYS; i++)
		if (set[i].used && model_addr_eq(&set[i].addr, a))
			return &set[i];
	return NULL;
}

static struct model_source *source_get(struct model *m, const struct model_addr *a,
				       uint64_t ts)
{
	struct model_source *set =
		&m->src[(addr_hash(a) % MODEL_SRC_SETS) * MODEL_SRC_WAYS];
	struct model_source *victim = NULL;

	for (int i = 0; i < MODEL_SRC_WAYS; i++) {
		if (set[i].used && model_addr_eq(&set[i].addr, a))
			return &set[i];
		if (!set[i].used) {
			if (!victim || victim->used)
				victim = &set[i];
		} else if (!victim || (victim->used && set[i].last_ns < victim->last_ns)) {
			victim = &set[i];
		}
	}
	if (victim->used) {
		m->evicted_sources++;
		m->evicted_source_syns += victim->syns;
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->addr = *a;
	victim->first_ns = ts;
	return victim;
}

static void source_add_port(struct model_source *s, uint16_t port)
{
	for (int i = 0; i < s->nports; i++)
		if (s->ports[i] == port)
			return;
	if (s->nports < MODEL_SRC_PORTS)
		s->ports[s->nports++] = port;
	else
		s->more_ports = true;
}

/* Find a tuple in a set-associative table of struct T with fields t, used
 * and a recency field; on a miss take a free slot or the least recent. */
#define TABLE_GET(T, table, sets, key, recency, create, evicted)               \
	({                                                                     \
		T *set_ = &(table)[(tuple_hash(key) % (sets)) * MODEL_SRC_WAYS]; \
		T *hit_ = NULL, *victim_ = NULL;                               \
		for (int i_ = 0; i_ < MODEL_SRC_WAYS; i_++) {                  \
			if (set_[i_].used && tuple_eq(&set_[i_].t, key)) {     \
				hit_ = &set_[i_];                              \
				break;                                         \
			}                                                      \
			if (!victim_ || (victim_->used &&                      \
					 (!set_[i_].used ||                    \
					  set_[i_].recency < victim_->recency))) \
				victim_ = &set_[i_];                           \
		}                                                              \
		if (!hit_ && (create)) {                                       \
			if (victim_->used)                                     \
				(evicted)++;                                   \
			memset(victim_, 0, sizeof(*victim_));                  \
			victim_->used = true;                                  \
			victim_->t = *(key);                                   \
			hit_ = victim_;                                        \
		}                                                              \
		hit_;                                                          \
	})

static void hist_observe(struct model_hist *h, double v)
{
	int b = 0;

	while (b < MODEL_HIST_BUCKETS - 1 && v > model_hist_bounds[b])
		b++;
	h->counts[b]++;
	h->count++;
	h->sum += v;
}

void model_observe_rtt(struct model *m, double seconds)
{
	if (seconds >= 0)
		hist_observe(&m->rtt, seconds);
}

#define TI_NAME_ENTRY(sym, name) [sym] = name,
static const char *const alert_kind_names[TI_ALERT_MAX] = { TI_ALERT_KINDS(TI_NAME_ENTRY) };

const char *model_alert_kind_name(unsigned int kind)
{
	return kind < TI_ALERT_MAX ? alert_kind_names[kind] : "unknown";
}

void model_alert(struct model *m, uint64_t ts_ns, const struct model_addr *a,
		 unsigned int kind, const char *fmt, ...)
{
	struct model_alert *al = &m->alerts[m->alerts_total % MODEL_ALERTS];
	va_list ap;

	memset(al, 0, sizeof(*al));
	al->id = ++m->alerts_total;
	al->ts_ns = ts_ns;
	if (a)
		al->addr = *a;
	al->kind = kind < TI_ALERT_MAX ? kind : TI_ALERT_NONE;
	m->alerts_by_kind[al->kind]++;
	va_start(ap, fmt);
	vsnprintf(al->message, sizeof(al->message), fmt, ap);
	va_end(ap);
}

static void on_packet(struct model *m, const struct ti_packet_event *p)
{
	struct model_addr a;
	struct model_source *s;
	uint64_t ts = p->hdr.ts_ns;
	bool syn = (p->flags & TI_TCP_SYN) && !(p->flags & TI_TCP_ACK);

	m->packets++;
	m->bytes += p->pkt_len;
	model_addr_from(&a, p->tuple.family, p->tuple.saddr);
	s = source_get(m, &a, ts);
	s->packets++;
	s->last_ns = ts;
	if (p->flags & TI_TCP_RST)
		s->resets++;
	if (!syn)
		return;
	s->syns++;
	source_add_port(s, p->tuple.dport);
	m->syns++;
	if (p->tuple.family == TI_AF_INET6)
		m->syns_v6++;
	else
		m->syns_v4++;
	m->port_syns[p->tuple.dport]++;

	/* Remember when the SYN arrived, to time the handshake when the
	 * server socket reaches ESTABLISHED. A retransmitted SYN keeps the
	 * first time. */
	struct model_pending *pd = TABLE_GET(struct model_pending, m->pending,
					     MODEL_PENDING_SETS, &p->tuple, syn_ns,
					     true, m->evicted_conns);
	if (!pd->syn_ns)
		pd->syn_ns = ts;
}

static void on_conn(struct model *m, const struct ti_conn_event *c)
{
	uint64_t ts = c->hdr.ts_ns;
	struct model_conn *cn;
	struct model_addr a;
	struct model_source *s;
	uint64_t dummy = 0;

	model_addr_from(&a, c->tuple.family, c->tuple.saddr);
	switch (c->hdr.type) {
	case TI_EV_STATE:
		m->state_changes++;
		/* LISTEN sockets have no peer: not a connection. */
		if (c->new_state == TI_TCP_LISTEN || c->old_state == TI_TCP_LISTEN)
			if (c->new_state != TI_TCP_SYN_RECV)
				return;
		cn = TABLE_GET(struct model_conn, m->conn, MODEL_CONN_SETS,
			       &c->tuple, last_ns, true, m->evicted_conns);
		if (!cn->first_ns)
			cn->first_ns = ts;
		cn->last_ns = ts;
		cn->sock_id = c->sock_id;
		cn->state = c->new_state;
		if (c->new_state == TI_TCP_ESTABLISHED && c->old_state == TI_TCP_SYN_RECV) {
			struct model_pending *pd =
				TABLE_GET(struct model_pending, m->pending,
					  MODEL_PENDING_SETS, &c->tuple, syn_ns,
					  false, dummy);

			m->established++;
			m->port_established[c->tuple.dport]++;
			s = source_get(m, &a, ts);
			s->established++;
			s->last_ns = ts;
			if (pd) {
				if (ts > pd->syn_ns && !m->handshake_events) {
					cn->handshake_ns = ts - pd->syn_ns;
					hist_observe(&m->handshake, cn->handshake_ns / 1e9);
				}
				pd->used = false;
			}
		}
		break;
	case TI_EV_RETRANSMIT:
		m->retransmits++;
		cn = TABLE_GET(struct model_conn, m->conn, MODEL_CONN_SETS,
			       &c->tuple, last_ns, false, dummy);
		if (cn) {
			cn->retransmits++;
			cn->last_ns = ts;
		}
		s = source_get(m, &a, ts);
		s->retransmits++;
		s->last_ns = ts;
		break;
	case TI_EV_RESET_RX:
		m->resets_rx++;
		break;
	case TI_EV_RESET_TX:
		m->resets_tx++;
		break;
	default:
		break;
	}
}

/* Lifecycle events (issue 3): handshake times, RTT and bytes at close. */
static void on_sock(struct model *m, const struct ti_sock_event *e)
{
	struct model_conn *cn;
	uint64_t dummy = 0;

	switch (e->hdr.type) {
	case TI_EV_HANDSHAKE:
		m->handshake_events = true;
		if (e->flags & TI_SOCKF_TIMED_OUT) {
			m->handshake_timeouts++;
		} else if ((e->flags & TI_SOCKF_COMPLETED) && e->duration_ns) {
			hist_observe(&m->handshake, (double)e->duration_ns / 1e9);
			cn = TABLE_GET(struct model_conn, m->conn, MODEL_CONN_SETS,
				       &e->tuple, last_ns, false, dummy);
			if (cn)
				cn->handshake_ns = e->duration_ns;
		}
		break;
	case TI_EV_CLOSE:
		m->closes++;
		m->close_bytes_rx += e->bytes_received;
		m->close_bytes_tx += e->bytes_sent;
		if ((e->flags & TI_SOCKF_RTT) && e->srtt_us)
			hist_observe(&m->rtt, e->srtt_us / 1e6);
		break;
	case TI_EV_ACCEPT:
		m->accepts++;
		break;
	case TI_EV_DROP:
		m->drops++;
		break;
	case TI_EV_LISTEN_OVERFLOW:
		m->listen_overflows++;
		break;
	default:
		break;
	}
}

static void on_alert(struct model *m, const struct ti_alert_event *e)
{
	struct model_addr a, *ap = NULL;
	char addr[64] = "";

	if (e->family == TI_AF_INET || e->family == TI_AF_INET6) {
		model_addr_from(&a, e->family, e->saddr);
		ap = &a;
	}
	if (e->rate_milli)
		snprintf(addr, sizeof(addr), " at %.1f/s", e->rate_milli / 1000.0);
	model_alert(m, e->hdr.ts_ns, ap, e->kind,
		    "%s: count %llu (threshold %llu)%s%s",
		    model_alert_kind_name(e->kind), (unsigned long long)e->count,
		    (unsigned long long)e->threshold, addr,
		    e->action == TI_ACTION_BLOCKED ? ", source blocked" :
		    e->action == TI_ACTION_DROPPED ? ", packets dropped" : "");
	m->alerts[(m->alerts_total - 1) % MODEL_ALERTS].blocked =
		e->action == TI_ACTION_BLOCKED;
}

/* The daemon's own HTTP connections (scrapes, dashboard) would crowd out
 * the traffic being inspected: either end on the ignored local port. */
static bool ignored(const struct model *m, const struct ti_tuple *t)
{
	return m->cfg.ignore_port &&
	       (t->dport == m->cfg.ignore_port || t->sport == m->cfg.ignore_port);
}

void model_event(struct model *m, const void *data, size_t size)
{
	const struct ti_event_hdr *h = data;

	if (size < sizeof(*h))
		return;
	m->events++;
	switch (h->type) {
	case TI_EV_PACKET:
		if (size >= sizeof(struct ti_packet_event))
			on_packet(m, data);
		return;
	case TI_EV_STATE:
	case TI_EV_RETRANSMIT:
	case TI_EV_RESET_RX:
	case TI_EV_RESET_TX:
		if (size >= sizeof(struct ti_conn_event) &&
		    !ignored(m, &((const struct ti_conn_event *)data)->tuple))
			on_conn(m, data);
		return;
	case TI_EV_HANDSHAKE:
	case TI_EV_CLOSE:
	case TI_EV_ACCEPT:
	case TI_EV_DROP:
	case TI_EV_LISTEN_OVERFLOW:
		if (size >= sizeof(struct ti_sock_event) &&
		    !ignored(m, &((const struct ti_sock_event *)data)->tuple))
			on_sock(m, data);
		return;
	case TI_EV_ALERT:
		if (size >= sizeof(struct ti_alert_event))
			on_alert(m, data);
		return;
	default:
		/* A kind this model does not aggregate (yet): counted only. */
		m->unknown_events++;
		return;
	}
}

unsigned int model_count_conns(const struct model *m, unsigned int state)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(m->conn) / sizeof(m->conn[0]); i++) {
		const struct model_conn *c = &m->conn[i];

		if (!c->used)
			continue;
		if (state ? c->state == state : c->state != TI_TCP_CLOSE)
			n++;
	}
	return n;
}

unsigned int model_sources_used(const struct model *m)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(m->src) / sizeof(m->src[0]); i++)
		n += m->src[i].used;
	return n;
}

void model_tick(struct model *m, uint64_t now_ns)
{
	struct model_sample *sm = &m->hist[m->nsamples % MODEL_HISTORY];
	double dt = m->prev.ns && now_ns > m->prev.ns ?
			    (double)(now_ns - m->prev.ns) / NS_PER_S : 1.0;
	uint64_t resets = m->resets_rx + m->resets_tx;

	memset(sm, 0, sizeof(*sm));
	sm->ts_ns = now_ns;
	sm->syns = (double)(m->syns - m->prev.syns) / dt;
	sm->established = (double)(m->established - m->prev.established) / dt;
	sm->retransmits = (double)(m->retransmits - m->prev.retransmits) / dt;
	sm->resets = (double)(resets - m->prev.resets) / dt;
	sm->packets = (double)(m->packets - m->prev.packets) / dt;
	sm->bytes = (double)(m->bytes - m->prev.bytes) / dt;
	if (m->handshake.count > m->prev.hs_count)
		sm->handshake_avg_s = (m->handshake.sum - m->prev.hs_sum) /
				      (double)(m->handshake.count - m->prev.hs_count);
	if (m->rtt.count > m->prev.rtt_count)
		sm->rtt_avg_s = (m->rtt.sum - m->prev.rtt_sum) /
				(double)(m->rtt.count - m->prev.rtt_count);
	sm->open = model_count_conns(m, 0);
	m->nsamples++;

	m->prev.syns = m->syns;
	m->prev.established = m->established;
	m->prev.retransmits = m->retransmits;
	m->prev.resets = resets;
	m->prev.packets = m->packets;
	m->prev.bytes = m->bytes;
	m->prev.hs_count = m->handshake.count;
	m->prev.hs_sum = m->handshake.sum;
	m->prev.rtt_count = m->rtt.count;
	m->prev.rtt_sum = m->rtt.sum;
	m->prev.ns = now_ns;

	for (size_t i = 0; i < sizeof(m->src) / sizeof(m->src[0]); i++) {
		struct model_source *s = &m->src[i];

		if (!s->used)
			continue;
		s->syn_rate = (double)(s->syns - s->syns_at_tick) / dt;
		s->syns_at_tick = s->syns;
		if (m->cfg.alert_syn_rate > 0 && s->syn_rate >= m->cfg.alert_syn_rate &&
		    (!s->alert_ns || now_ns - s->alert_ns >= ALERT_REPEAT_NS)) {
			s->alert_ns = now_ns;
			model_alert(m, now_ns, &s->addr, TI_ALERT_SYN_RATE,
				    "%.0f SYN/s from one source (threshold %.0f)",
				    s->syn_rate, m->cfg.alert_syn_rate);
		}
	}
	/* Handshakes that never completed in 30 s are not coming. */
	for (size_t i = 0; i < sizeof(m->pending) / sizeof(m->pending[0]); i++)
		if (m->pending[i].used && now_ns - m->pending[i].syn_ns > 30 * NS_PER_S)
			m->pending[i].used = false;
}

const struct model_sample *model_sample(const struct model *m, uint64_t age)
{
	if (age >= m->nsamples || age >= MODEL_HISTORY)
		return NULL;
	return &m->hist[(m->nsamples - 1 - age) % MODEL_HISTORY];
}

/* Insert p into the sorted (descending by key) array out[0..*len), keeping
 * at most n. */
static void top_insert(const void **out, double *keys, int *len, int n,
		       const void *p, double key)
{
	int i = *len < n ? (*len)++ : n;

	if (i == n) {
		if (key <= keys[n - 1])
			return;
		i = n - 1;
	}
	while (i > 0 && keys[i - 1] < key) {
		out[i] = out[i - 1];
		keys[i] = keys[i - 1];
		i--;
	}
	out[i] = p;
	keys[i] = key;
}

int model_top_sources(const struct model *m, bool by_rate,
		      const struct model_source **out, int n)
{
	double keys[MODEL_TOP_MAX];
	int len = 0;

	if (n > MODEL_TOP_MAX)
		n = MODEL_TOP_MAX;
	for (size_t i = 0; i < sizeof(m->src) / sizeof(m->src[0]) && n > 0; i++) {
		const struct model_source *s = &m->src[i];

		if (!s->used || !s->syns)
			continue;
		top_insert((const void **)out, keys, &len, n, s,
			   by_rate ? s->syn_rate + (double)s->syns * 1e-12 :
				     (double)s->syns);
	}
	return len;
}

int model_top_ports(const struct model *m, uint16_t *ports, uint64_t *syns, int n)
{
	const void *out[MODEL_TOP_MAX];
	double keys[MODEL_TOP_MAX];
	int len = 0;

	if (n > MODEL_TOP_MAX)
		n = MODEL_TOP_MAX;
	for (int p = 0; p < 65536 && n > 0; p++)
		if (m->port_syns[p])
			top_insert(out, keys, &len, n, &m->port_syns[p],
				   (double)m->port_syns[p]);
	for (int i = 0; i < len; i++) {
		ports[i] = (uint16_t)((const uint64_t *)out[i] - m->port_syns);
		syns[i] = m->port_syns[ports[i]];
	}
	return len;
}

int model_connections(const struct model *m, const struct model_conn **out, int n)
{
	const size_t total = sizeof(m->conn) / sizeof(m->conn[0]);
	double keys[MODEL_TOP_MAX];
	int len = 0;

	if (n > MODEL_TOP_MAX)
		n = MODEL_TOP_MAX;
	for (size_t i = 0; i < total && n > 0; i++)
		if (m->conn[i].used)
			top_insert((const void **)out, keys, &len, n, &m->conn[i],
				   (double)m->conn[i].last_ns);
	return len;
}
