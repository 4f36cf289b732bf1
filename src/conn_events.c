// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include "conn_events.h"
#include "drop_reasons.h"
#include "events.h"

#define TI_NAME_ENTRY(sym, name) [sym] = name,
static const char *const retrans_kind_names[TI_RETX_MAX] = {
	TI_RETRANS_KINDS(TI_NAME_ENTRY)
};

const char *ti_retrans_kind_name(unsigned int kind)
{
	return kind < TI_RETX_MAX ? retrans_kind_names[kind] : "other";
}

static const char *closed_by(unsigned int flags)
{
	if (flags & TI_SOCKF_LOCAL_CLOSED)
		return "local";
	if (flags & TI_SOCKF_REMOTE_CLOSED)
		return "remote";
	if (flags & TI_SOCKF_RESET)
		return "abort";
	return "unknown";
}

static const char *direction(unsigned int flags)
{
	if (flags & TI_SOCKF_PASSIVE)
		return "passive";
	if (flags & TI_SOCKF_ACTIVE)
		return "active";
	return "unknown";
}

static void comm_of(const struct ti_sock_event *e, char *comm)
{
	memcpy(comm, e->comm, TI_COMM_LEN);
	comm[TI_COMM_LEN] = '\0';
}

static void sock_id_json(struct jw *w, const struct ti_sock_event *e)
{
	if (e->sock_id)
		jw_hex64(w, "sock_id", e->sock_id);
}

static void owner_json(struct jw *w, const struct ti_sock_event *e)
{
	char comm[TI_COMM_LEN + 1];

	if (!(e->flags & TI_SOCKF_OWNER))
		return;
	comm_of(e, comm);
	jw_u64(w, "pid", e->pid);
	jw_str(w, "comm", comm);
}

static void rtt_json(struct jw *w, const struct ti_sock_event *e)
{
	if (e->srtt_us)
		jw_u64(w, "srtt_us", e->srtt_us);
	if (!(e->flags & TI_SOCKF_RTT))
		return;
	jw_u64(w, "rtt_min_us", e->rtt_min_us);
	if (e->rtt_avg_us)
		jw_u64(w, "rtt_avg_us", e->rtt_avg_us);
	if (e->rtt_max_us)
		jw_u64(w, "rtt_max_us", e->rtt_max_us);
}

void sock_event_json(struct jw *w, const struct ti_sock_event *e)
{
	char sbuf[24], rbuf[32];

	switch (e->hdr.type) {
	case TI_EV_ACCEPT:
		owner_json(w, e);
		jw_u64(w, "listen_port", e->tuple.dport);
		if (e->flags & TI_SOCKF_WAIT)
			jw_u64(w, "queue_wait_us", e->duration_ns / 1000);
		if (e->srtt_us)
			jw_u64(w, "srtt_us", e->srtt_us);
		sock_id_json(w, e);
		break;
	case TI_EV_HANDSHAKE:
		jw_bool(w, "completed", e->flags & TI_SOCKF_COMPLETED);
		jw_bool(w, "timed_out", e->flags & TI_SOCKF_TIMED_OUT);
		jw_u64(w, "duration_us", e->duration_ns / 1000);
		jw_u64(w, "synack_retransmits", e->total_retrans);
		if (e->srtt_us)
			jw_u64(w, "srtt_us", e->srtt_us);
		if (e->flags & TI_SOCKF_TIMED_OUT) {
			jw_u64(w, "backlog", e->backlog);
			jw_u64(w, "max_backlog", e->max_backlog);
		}
		sock_id_json(w, e);
		break;
	case TI_EV_CLOSE:
		if (e->flags & TI_SOCKF_DURATION)
			jw_u64(w, "duration_us", e->duration_ns / 1000);
		jw_u64(w, "bytes_received", e->bytes_received);
		jw_u64(w, "bytes_sent", e->bytes_sent);
		jw_u64(w, "retransmits", e->total_retrans);
		rtt_json(w, e);
		owner_json(w, e);
		jw_str(w, "direction", direction(e->flags));
		jw_str(w, "closed_by", closed_by(e->flags));
		jw_str(w, "last_state", ti_tcp_state_name(e->state, sbuf, sizeof(sbuf)));
		sock_id_json(w, e);
		break;
	case TI_EV_LISTEN_OVERFLOW:
		if (e->drops) { /* from the listener's drop counter */
			jw_str(w, "source", "counter");
			jw_u64(w, "dropped", e->drops);
			jw_u64(w, "listen_port", e->tuple.dport);
			jw_u64(w, "backlog", e->backlog);
			jw_u64(w, "max_backlog", e->max_backlog);
			break;
		}
		jw_str(w, "source", "packet");
		/* fall through */
	case TI_EV_DROP:
		jw_str(w, "reason", drop_reason_name(e->reason, rbuf, sizeof(rbuf)));
		jw_u64(w, "reason_code", e->reason);
		jw_str(w, "state", ti_tcp_state_name(e->state, sbuf, sizeof(sbuf)));
		if (e->state == TI_TCP_LISTEN) {
			jw_u64(w, "backlog", e->backlog);
			jw_u64(w, "max_backlog", e->max_backlog);
		}
		if (e->hdr.type == TI_EV_LISTEN_OVERFLOW)
			jw_u64(w, "listen_port", e->tuple.dport);
		jw_u64(w, "ifindex", e->ifindex);
		break;
	}
}

static void fmt_us(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (ns >= 10000000ULL)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000);
}

void sock_event_text(FILE *f, const struct ti_sock_event *e)
{
	char comm[TI_COMM_LEN + 1], sbuf[24], rbuf[32], d[24];

	comm_of(e, comm);
	fmt_us(e->duration_ns, d, sizeof(d));
	switch (e->hdr.type) {
	case TI_EV_ACCEPT:
		fprintf(f, "pid=%u comm=%s port=%u wait=%s\n", e->pid, comm,
			e->tuple.dport, (e->flags & TI_SOCKF_WAIT) ? d : "?");
		break;
	case TI_EV_HANDSHAKE:
		fprintf(f, "%s after %s synack_rtx=%u\n",
			(e->flags & TI_SOCKF_COMPLETED) ? "completed" : "TIMED OUT",
			d, e->total_retrans);
		break;
	case TI_EV_CLOSE:
		fprintf(f, "%s after %s rx=%" PRIu64 " tx=%" PRIu64 " retrans=%u srtt=%uus closed_by=%s",
			ti_tcp_state_name(e->state, sbuf, sizeof(sbuf)),
			(e->flags & TI_SOCKF_DURATION) ? d : "?",
			(uint64_t)e->bytes_received, (uint64_t)e->bytes_sent,
			e->total_retrans, e->srtt_us, closed_by(e->flags));
		if (e->flags & TI_SOCKF_OWNER)
			fprintf(f, " pid=%u comm=%s", e->pid, comm);
		fputc('\n', f);
		break;
	case TI_EV_LISTEN_OVERFLOW:
		if (e->drops) {
			fprintf(f, "port=%u dropped=%" PRIu64 " backlog=%u/%u\n",
				e->tuple.dport, (uint64_t)e->drops, e->backlog,
				e->max_backlog);
			break;
		}
		/* fall through */
	case TI_EV_DROP:
		fprintf(f, "%s state=%s", drop_reason_name(e->reason, rbuf, sizeof(rbuf)),
			ti_tcp_state_name(e->state, sbuf, sizeof(sbuf)));
		if (e->state == TI_TCP_LISTEN)
			fprintf(f, " backlog=%u/%u", e->backlog, e->max_backlog);
		fputc('\n', f);
		break;
	}
}
