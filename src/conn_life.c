// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conn_life.c - user-space side of the connection lifecycle
 * (src/conn_life.bpf.h): half-open time-outs and `watch --summary`.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "conn.skel.h"
#include "conn.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "output.h"

#define TICK_INTERVAL_NS 1000000000ULL
/* A request is retransmitted at last + timeout << retransmissions; when
 * that passes (plus this margin) without a retransmission or completion,
 * the kernel has dropped it. */
#define HALFOPEN_MARGIN_NS 1500000000ULL
#define REQ_TIMEOUT_MAX_NS 120000000000ULL /* TCP_RTO_MAX */
#define DEFAULT_REQ_TIMEOUT_NS 1000000000ULL /* TCP_TIMEOUT_INIT */
#define MAX_SCAN 8192
#define HALFOPEN_BATCH 64 /* entries ended per tick; the rest next tick */
#define MAX_SYNACK_RETRIES 16 /* bounds conn_halfopen_expiry()'s loop */
/* A request the listener poll (about once a second) no longer finds for
 * this long has left the kernel. */
#define HALFOPEN_GONE_NS (2 * TICK_INTERVAL_NS + TICK_INTERVAL_NS / 2)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* When the request, last retransmitted at h->last_retrans_ns, would be
 * retransmitted again (or dropped). */
uint64_t conn_halfopen_deadline(const struct ti_halfopen *h)
{
	uint64_t timeout = h->timeout_ms ? (uint64_t)h->timeout_ms * 1000000ULL :
					   DEFAULT_REQ_TIMEOUT_NS;
	uint64_t next = timeout;

	for (uint32_t i = 0; i < h->retrans && next < REQ_TIMEOUT_MAX_NS; i++)
		next <<= 1;
	if (next > REQ_TIMEOUT_MAX_NS)
		next = REQ_TIMEOUT_MAX_NS;
	return h->last_retrans_ns + next;
}

/* Listener drop counters from the last poll. */
#define MAX_LISTENERS 1024
static struct ti_listen_row listeners[MAX_LISTENERS];
static int n_listeners;
static bool listeners_primed;
static struct bpf_link *listen_link;

/* The iterator link must exist before privileges are dropped. */
void conn_life_start(struct conn_tracer *ct)
{
	listen_link = bpf_program__attach_iter(ct->skel->progs.ti_listen_iter, NULL);
	if (!listen_link)
		log_warn("no listen_overflow events from listener drop counters: iter/tcp: %s",
			 errstr(errno));
}

void conn_life_stop(void)
{
	bpf_link__destroy(listen_link);
	listen_link = NULL;
	n_listeners = 0;
	listeners_primed = false;
}

static struct ti_listen_row *listener_find(const struct ti_tuple *t)
{
	for (int i = 0; i < n_listeners; i++)
		if (listeners[i].tuple.family == t->family &&
		    listeners[i].tuple.dport == t->dport &&
		    !memcmp(listeners[i].tuple.daddr, t->daddr, TI_ADDR_LEN))
			return &listeners[i];
	return NULL;
}

/* SYNs refused because the accept queue was full go through no
 * tracepoint: they only raise the listener's sk_drops. Poll it. */
static void poll_listeners(struct conn_tracer *ct, uint64_t now,
			   conn_event_fn cb, void *ctx)
{
	struct ti_listen_row rows[64];
	ssize_t r;
	int fd;

	if (!listen_link)
		return;
	fd = bpf_iter_create(bpf_link__fd(listen_link));
	if (fd < 0)
		return;
	while ((r = read(fd, rows, sizeof(rows))) > 0) {
		for (size_t i = 0; i < (size_t)r / sizeof(rows[0]); i++) {
			struct ti_listen_row *l = listener_find(&rows[i].tuple);

			if (!l) {
				if (n_listeners >= MAX_LISTENERS)
					continue;
				l = &listeners[n_listeners++];
				*l = rows[i];
				/* A listener new since the last poll: its drops
				 * happened while watched. */
				if (!listeners_primed)
					continue;
				l->drops = 0;
			}
			if (rows[i].drops > l->drops) {
				struct ti_sock_event e = {
					.hdr = { .ts_ns = now, .type = TI_EV_LISTEN_OVERFLOW },
					.tuple = rows[i].tuple,
					.drops = rows[i].drops - l->drops,
					.state = TI_TCP_LISTEN,
					.backlog = rows[i].backlog,
					.max_backlog = rows[i].max_backlog,
				};

				cb(ctx, &e, sizeof(e));
			}
			l->drops = rows[i].drops;
		}
	}
	close(fd);
	listeners_primed = true;
}

/* When the kernel drops a request that is never answered: its first
 * SYN-ACK, then max_retrans retransmissions, each time-out doubled. */
uint64_t conn_halfopen_expiry(const struct ti_halfopen *h)
{
	uint64_t t = h->timeout_ms ? (uint64_t)h->timeout_ms * 1000000ULL :
				     DEFAULT_REQ_TIMEOUT_NS;
	uint64_t end = h->first_synack_ns;

	for (uint32_t i = 0; i <= h->max_retrans && i < MAX_SYNACK_RETRIES; i++) {
		end += t < REQ_TIMEOUT_MAX_NS ? t : REQ_TIMEOUT_MAX_NS;
		t <<= 1;
	}
	return end;
}

enum halfopen_verdict conn_halfopen_verdict(const struct ti_halfopen *h,
					   uint64_t now)
{
	if (!h->seen_ns) /* only seen by tcp_retransmit_synack */
		return now >= conn_halfopen_deadline(h) + HALFOPEN_MARGIN_NS ?
			       HALFOPEN_TIMED_OUT :
			       HALFOPEN_PENDING;
	if (now < h->seen_ns + HALFOPEN_GONE_NS)
		return HALFOPEN_PENDING;
	/* Gone after its last SYN-ACK: the time-out dropped it. Gone before:
	 * a reset from the peer or room made for new requests. Completed
	 * ones were removed by the kernel side (handshake_done()). */
	return h->retrans >= h->max_retrans ? HALFOPEN_TIMED_OUT : HALFOPEN_GONE;
}

static void report_timeout(const struct ti_tuple *key, const struct ti_halfopen *h,
			   uint64_t now, conn_event_fn cb, void *ctx)
{
	struct ti_sock_event e = {
		.hdr = { .ts_ns = now, .type = TI_EV_HANDSHAKE },
		.tuple = *key,
		.state = TI_TCP_NEW_SYN_RECV,
		.total_retrans = h->retrans,
		.backlog = h->backlog,
		.max_backlog = h->max_backlog,
		.flags = TI_SOCKF_PASSIVE | TI_SOCKF_TIMED_OUT | TI_SOCKF_DURATION,
	};
	uint64_t end;

	if (h->seen_ns) {
		/* Between the last poll that found it and now. */
		end = conn_halfopen_expiry(h);
		if (end < h->seen_ns)
			end = h->seen_ns;
		if (end > now)
			end = now;
	} else {
		end = conn_halfopen_deadline(h);
	}
	e.duration_ns = end > h->first_synack_ns ? end - h->first_synack_ns : 0;
	cb(ctx, &e, sizeof(e));
}

void conn_tick(struct conn_tracer *ct, conn_event_fn cb, void *ctx)
{
	struct ti_tuple keys[HALFOPEN_BATCH], key, cur;
	uint64_t now = mono_ns();
	int fd, n = 0, scanned = 0;
	bool first = true;

	if (!ct->skel || now - ct->last_tick_ns < TICK_INTERVAL_NS)
		return;
	ct->last_tick_ns = now;
	/* Also refreshes ti_halfopen from the pending requests. */
	poll_listeners(ct, now, cb, ctx);
	fd = bpf_map__fd(ct->skel->maps.ti_halfopen);
	while (n < HALFOPEN_BATCH && scanned++ < MAX_SCAN &&
	       !bpf_map_get_next_key(fd, first ? NULL : &cur, &key)) {
		struct ti_halfopen h;
		enum halfopen_verdict v;

		first = false;
		cur = key;
		if (bpf_map_lookup_elem(fd, &key, &h))
			continue;
		v = conn_halfopen_verdict(&h, now);
		if (v == HALFOPEN_PENDING)
			continue;
		if (v == HALFOPEN_TIMED_OUT)
			report_timeout(&key, &h, now, cb, ctx);
		keys[n++] = key;
	}
	/* Delete after the walk: deleting moves get_next_key's cursor. */
	for (int i = 0; i < n; i++) {
		struct ti_halfopen h;

		if (!bpf_map_lookup_elem(fd, &keys[i], &h) &&
		    conn_halfopen_verdict(&h, now) != HALFOPEN_PENDING)
			bpf_map_delete_elem(fd, &keys[i]);
	}
}

struct hist_entry {
	struct ti_hist_key key;
	struct ti_hist h;
};

static int hist_cmp(const void *a, const void *b)
{
	const struct ti_hist_key *x = &((const struct hist_entry *)a)->key;
	const struct ti_hist_key *y = &((const struct hist_entry *)b)->key;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->port != y->port)
		return x->port - y->port;
	return x->family - y->family;
}

static const char *hist_kind_name(unsigned int kind)
{
	return kind == TI_HIST_HANDSHAKE ? "handshake" : kind == TI_HIST_RTT ? "rtt" : "?";
}

static void hist_text(FILE *f, const struct hist_entry *he)
{
	int last = 0;
	uint64_t max = 1;

	for (int i = 0; i < TI_HIST_SLOTS; i++) {
		if (he->h.slots[i])
			last = i;
		if (he->h.slots[i] > max)
			max = he->h.slots[i];
	}
	fprintf(f, "%s latency, local port %u (%s): %" PRIu64 " samples, average %" PRIu64 " us\n",
		hist_kind_name(he->key.kind), he->key.port,
		he->key.family == TI_AF_INET6 ? "ipv6" : "ipv4", (uint64_t)he->h.count,
		he->h.count ? (uint64_t)(he->h.sum_us / he->h.count) : 0);
	fprintf(f, "%20s : %-10s %s\n", "us", "count", "distribution");
	for (int i = 0; i <= last; i++) {
		uint64_t lo = i ? 1ULL << i : 0, hi = (1ULL << (i + 1)) - 1;
		char range[48], bar[41]; /* two 20-digit numbers and " -> " */
		int len = (int)(he->h.slots[i] * 40 / max);

		snprintf(range, sizeof(range), "%" PRIu64 " -> %" PRIu64, lo, hi);
		memset(bar, '*', (size_t)len);
		bar[len] = '\0';
		fprintf(f, "%20s : %-10" PRIu64 " |%-40s|\n", range,
			(uint64_t)he->h.slots[i], bar);
	}
}

static void hist_json(struct jw *w, const struct hist_entry *he)
{
	jw_obj_begin(w);
	jw_str(w, "kind", hist_kind_name(he->key.kind));
	jw_u64(w, "port", he->key.port);
	jw_str(w, "family", he->key.family == TI_AF_INET6 ? "ipv6" : "ipv4");
	jw_u64(w, "count", he->h.count);
	jw_u64(w, "sum_us", he->h.sum_us);
	jw_arr_begin(w, "buckets");
	for (int i = 0; i < TI_HIST_SLOTS; i++) {
		if (!he->h.slots[i])
			continue;
		jw_obj_begin(w);
		jw_u64(w, "min_us", i ? 1ULL << i : 0);
		jw_u64(w, "max_us", (1ULL << (i + 1)) - 1);
		jw_u64(w, "count", he->h.slots[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

void conn_print_summary(const struct conn_tracer *ct, FILE *f, struct jw *w)
{
	struct hist_entry *ents = NULL;
	struct ti_hist_key key, cur;
	bool first = true;
	struct ti_life_counters lc = {};
	size_t n = 0, cap = 0;
	int fd;

	if (!ct->skel)
		return;
	fd = bpf_map__fd(ct->skel->maps.ti_hists);
	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &key)) {
		first = false;
		cur = key;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct hist_entry *p = realloc(ents, ncap * sizeof(*p));

			if (!p)
				break;
			ents = p;
			cap = ncap;
		}
		ents[n].key = key;
		if (!bpf_map_lookup_elem(fd, &key, &ents[n].h))
			n++;
	}
	if (n)
		qsort(ents, n, sizeof(*ents), hist_cmp);
	conn_life_counters(ct, &lc);

	if (w) {
		jw_reset(w);
		jw_obj_begin(w);
		jw_str(w, "event", "summary");
		jw_obj_key(w, "lifecycle");
		jw_u64(w, "accepts", lc.accepts);
		jw_u64(w, "handshakes", lc.handshakes);
		jw_u64(w, "closes", lc.closes);
		jw_u64(w, "drops", lc.drops);
		jw_u64(w, "listen_overflows", lc.listen_overflows);
		jw_u64(w, "synack_retransmits", lc.synack_retrans);
		jw_u64(w, "events_sent", lc.events_sent);
		jw_u64(w, "events_lost", lc.events_dropped);
		jw_obj_end(w);
		jw_arr_begin(w, "histograms");
		for (size_t i = 0; i < n; i++)
			hist_json(w, &ents[i]);
		jw_arr_end(w);
	} else {
		fprintf(f, "\nConnections: %" PRIu64 " accepts, %" PRIu64 " handshakes, %" PRIu64
			" closes, %" PRIu64 " drops, %" PRIu64 " listen overflows\n",
			(uint64_t)lc.accepts, (uint64_t)lc.handshakes, (uint64_t)lc.closes,
			(uint64_t)lc.drops, (uint64_t)lc.listen_overflows);
		for (size_t i = 0; i < n; i++) {
			fputc('\n', f);
			hist_text(f, &ents[i]);
		}
		if (!n)
			fprintf(f, "no handshake or RTT samples (passive connections) yet\n");
		fprintf(f, "\nKernel memory of the maps (at start):\n");
	}
	if (w) {
		map_mem_json(w);
		jw_obj_end(w);
		jw_flush_line(w, stdout);
	} else {
		map_mem_text(f);
	}
	free(ents);
}
