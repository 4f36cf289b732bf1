// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "appevent.h"
#include "conn_events.h"
#include "defence.h"
#include "events.h"

#define TI_NAME_ENTRY(sym, name) [sym] = name,
static const char *const event_names[TI_EV_MAX] = { TI_EVENT_TYPES(TI_NAME_ENTRY) };
static const char *const state_names[TI_TCP_STATE_MAX] = { TI_TCP_STATES(TI_NAME_ENTRY) };
static const char *const malformed_names[TI_MAL_MAX] = { TI_MALFORMED_REASONS(TI_NAME_ENTRY) };
static const char *const hook_names[TI_HOOK_MAX] = { TI_HOOKS(TI_NAME_ENTRY) };
const char *const ti_tcp_flag_names[TI_TCP_FLAG_COUNT] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
};

const char *ti_event_name(unsigned int type)
{
	return type < TI_EV_MAX ? event_names[type] : "unknown";
}

const char *ti_tcp_state_name(unsigned int state, char *buf, size_t len)
{
	if (state == 0)
		return "NONE";
	if (state < TI_TCP_STATE_MAX)
		return state_names[state];
	snprintf(buf, len, "UNKNOWN(%u)", state);
	return buf;
}

const char *ti_malformed_name(unsigned int reason)
{
	return reason < TI_MAL_MAX ? malformed_names[reason] : "unknown";
}

static const char *hook_name(unsigned int hook)
{
	return hook < TI_HOOK_MAX ? hook_names[hook] : "unknown";
}

bool event_valid(const void *data, size_t size)
{
	const struct ti_event_hdr *h = data;

	if (size < sizeof(*h))
		return false;
	switch (h->type) {
	case TI_EV_PACKET:
		return size >= sizeof(struct ti_packet_event);
	case TI_EV_STATE:
	case TI_EV_RETRANSMIT:
	case TI_EV_RESET_RX:
	case TI_EV_RESET_TX:
		return size >= sizeof(struct ti_conn_event);
	case TI_EV_APP:
		return size >= sizeof(struct ti_app_event);
	case TI_EV_ALERT:
		return size >= sizeof(struct ti_alert_event);
	case TI_EV_ACCEPT:
	case TI_EV_HANDSHAKE:
	case TI_EV_CLOSE:
	case TI_EV_DROP:
	case TI_EV_LISTEN_OVERFLOW:
		return size >= sizeof(struct ti_sock_event);
	default:
		return false;
	}
}

static const char *family_name(unsigned int family)
{
	return family == TI_AF_INET6 ? "ipv6" : "ipv4";
}

/* "addr:port" or "[addr]:port" */
static void fmt_endpoint(const struct ti_tuple *t, bool src, char *buf,
			 size_t len)
{
	char a[64];

	fmt_addr(t->family, src ? t->saddr : t->daddr, a, sizeof(a));
	snprintf(buf, len, t->family == TI_AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 src ? t->sport : t->dport);
}

static void fmt_flags(unsigned int flags, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
				      ti_tcp_flag_names[bit]);
		if (n >= len)
			break;
	}
	if (!n)
		snprintf(buf, len, "none");
}

static void tuple_json(struct jw *w, const struct ti_tuple *t)
{
	char a[64];

	jw_str(w, "family", family_name(t->family));
	jw_str(w, "src", fmt_addr(t->family, t->saddr, a, sizeof(a)));
	jw_u64(w, "sport", t->sport);
	jw_str(w, "dst", fmt_addr(t->family, t->daddr, a, sizeof(a)));
	jw_u64(w, "dport", t->dport);
}

static void header_json(struct jw *w, const struct ti_event_hdr *h)
{
	char ts[40];

	fmt_rfc3339(h->ts_ns, ts, sizeof(ts));
	jw_str(w, "time", ts);
	jw_u64(w, "ts_ns", h->ts_ns);
	jw_str(w, "event", ti_event_name(h->type));
}

static void packet_json(struct jw *w, const struct ti_packet_event *e,
			const char *(*ifname_of)(unsigned int))
{
	tuple_json(w, &e->tuple);
	jw_arr_begin(w, "flags");
	for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++)
		if (e->flags & (1u << bit))
			jw_str(w, NULL, ti_tcp_flag_names[bit]);
	jw_arr_end(w);
	jw_u64(w, "seq", e->seq);
	jw_u64(w, "ack", e->ack_seq);
	jw_u64(w, "window", e->window);
	jw_u64(w, "payload_len", e->payload_len);
	jw_u64(w, "len", e->pkt_len);
	jw_u64(w, "ttl", e->ttl);
	jw_obj_key(w, "options");
	if (e->opts & TI_OPT_MSS)
		jw_u64(w, "mss", e->mss);
	if (e->opts & TI_OPT_WSCALE)
		jw_u64(w, "wscale", e->wscale);
	if (e->opts & TI_OPT_SACK_OK)
		jw_bool(w, "sack_permitted", true);
	if (e->opts & TI_OPT_SACK)
		jw_bool(w, "sack", true);
	if (e->opts & TI_OPT_TIMESTAMP) {
		jw_u64(w, "ts_val", e->ts_val);
		jw_u64(w, "ts_ecr", e->ts_ecr);
	}
	jw_obj_end(w);
	if (e->vlan_depth) {
		jw_arr_begin(w, "vlan");
		for (int i = 0; i < e->vlan_depth && i < TI_MAX_VLAN_DEPTH; i++)
			jw_u64(w, NULL, e->vlan_id[i]);
		jw_arr_end(w);
	}
	if (e->tuple.family == TI_AF_INET6 && e->ip6_ext_count)
		jw_u64(w, "ipv6_ext_headers", e->ip6_ext_count);
	jw_u64(w, "ifindex", e->ifindex);
	if (ifname_of)
		jw_str(w, "ifname", ifname_of(e->ifindex));
	jw_str(w, "hook", hook_name(e->hook));
}

static void conn_json(struct jw *w, const struct ti_conn_event *e)
{
	char sbuf[24], comm[TI_COMM_LEN + 1];

	tuple_json(w, &e->tuple);
	if (e->hdr.type == TI_EV_STATE) {
		jw_str(w, "old_state", ti_tcp_state_name(e->old_state, sbuf, sizeof(sbuf)));
		jw_str(w, "new_state", ti_tcp_state_name(e->new_state, sbuf, sizeof(sbuf)));
	} else {
		jw_str(w, "state", ti_tcp_state_name(e->new_state, sbuf, sizeof(sbuf)));
	}
	if (e->hdr.type == TI_EV_RETRANSMIT) {
		jw_str(w, "kind", ti_retrans_kind_name(e->retrans_kind));
		jw_u64(w, "count", e->retrans_count);
	}
	jw_hex64(w, "sock_id", e->sock_id);
	jw_u64(w, "pid", e->pid);
	memcpy(comm, e->comm, TI_COMM_LEN);
	comm[TI_COMM_LEN] = '\0';
	jw_str(w, "comm", comm);
}

void event_json(struct jw *w, const void *data,
		const char *(*ifname_of)(unsigned int))
{
	const struct ti_event_hdr *h = data;

	jw_reset(w);
	jw_obj_begin(w);
	header_json(w, h);
	if (h->type == TI_EV_ALERT)
		ti_alert_json(w, data);
	else if (h->type == TI_EV_PACKET)
		packet_json(w, data, ifname_of);
	else if (h->type == TI_EV_APP)
		app_event_json(w, data, ifname_of);
	else if (event_is_sock(h->type)) {
		tuple_json(w, &((const struct ti_sock_event *)data)->tuple);
		sock_event_json(w, data);
	}
	else
		conn_json(w, data);
	jw_obj_end(w);
}

static void packet_text(FILE *f, const struct ti_packet_event *e,
			const char *(*ifname_of)(unsigned int))
{
	char flags[64], opts[96] = "";
	size_t n = 0;

	fmt_flags(e->flags, flags, sizeof(flags));
	if (e->opts & TI_OPT_MSS)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " mss=%u", e->mss);
	if ((e->opts & TI_OPT_WSCALE) && n < sizeof(opts))
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " ws=%u", e->wscale);
	if ((e->opts & TI_OPT_SACK_OK) && n < sizeof(opts))
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " sackok");
	if ((e->opts & TI_OPT_TIMESTAMP) && n < sizeof(opts))
		snprintf(opts + n, sizeof(opts) - n, " ts=%u", e->ts_val);
	fprintf(f, "%-11s seq=%u ack=%u win=%u len=%u%s %s/%s\n", flags, e->seq,
		e->ack_seq, e->window, e->payload_len, opts,
		ifname_of ? ifname_of(e->ifindex) : "?", hook_name(e->hook));
}

static void conn_text(FILE *f, const struct ti_conn_event *e)
{
	char s1[24], s2[24], comm[TI_COMM_LEN + 1];

	memcpy(comm, e->comm, TI_COMM_LEN);
	comm[TI_COMM_LEN] = '\0';
	if (e->hdr.type == TI_EV_STATE) {
		char states[64];

		snprintf(states, sizeof(states), "%s->%s",
			 ti_tcp_state_name(e->old_state, s1, sizeof(s1)),
			 ti_tcp_state_name(e->new_state, s2, sizeof(s2)));
		fprintf(f, "%-11s pid=%u comm=%s\n", states, e->pid, comm);
		return;
	}
	if (e->hdr.type == TI_EV_RETRANSMIT) {
		fprintf(f, "%-11s kind=%s count=%u pid=%u comm=%s\n",
			ti_tcp_state_name(e->new_state, s1, sizeof(s1)),
			ti_retrans_kind_name(e->retrans_kind), e->retrans_count,
			e->pid, comm);
		return;
	}
	fprintf(f, "%-11s pid=%u comm=%s\n",
		ti_tcp_state_name(e->new_state, s1, sizeof(s1)), e->pid, comm);
}

void event_text(FILE *f, const void *data,
		const char *(*ifname_of)(unsigned int))
{
	const struct ti_event_hdr *h = data;
	const struct ti_tuple *t = &((const struct ti_packet_event *)data)->tuple;
	char clock[24], src[80], dst[80];

	if (h->type == TI_EV_ALERT) { /* no tuple: its own layout */
		ti_alert_text(f, data);
		return;
	}
	if (h->type != TI_EV_PACKET)
		t = &((const struct ti_conn_event *)data)->tuple;
	fmt_clock(h->ts_ns, clock, sizeof(clock));
	fmt_endpoint(t, true, src, sizeof(src));
	fmt_endpoint(t, false, dst, sizeof(dst));
	fprintf(f, "%s %-14s %-27s -> %-27s ", clock, ti_event_name(h->type),
		src, dst);
	if (h->type == TI_EV_PACKET)
		packet_text(f, data, ifname_of);
	else if (h->type == TI_EV_APP) /* tuple at the same offset */
		app_event_text(f, data, ifname_of);
	else if (event_is_sock(h->type)) /* tuple at the same offset */
		sock_event_text(f, data);
	else
		conn_text(f, data);
}
