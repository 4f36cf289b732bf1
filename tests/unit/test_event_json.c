// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON and text lines of representative events (src/events.c,
 * src/output.c, src/conn_events.c, src/appevent.c, src/defence.c), pinned
 * byte for byte: the encoder is tuned for speed, its output must not move.
 * Times are decoded with a fixed CLOCK_REALTIME - CLOCK_MONOTONIC offset
 * and TZ=UTC, so the lines do not depend on when or where the test runs.
 * TI_GOLDEN=1 prints the lines instead of checking them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "appevent.h"
#include "conn_events.h"
#include "events.h"
#include "output.h"
#include "tcpinspect.h"

/* 2026-11-23T15:36:16Z minus a monotonic clock of 24455 s. */
#define WALL_S 1795448176LL
#define MONO_S 24455LL

static const char *ifname_of(unsigned int ifindex)
{
	return ifindex == 2 ? "veth\"0" : "?";
}

static void v4(struct ti_tuple *t, uint8_t last_src, uint16_t sport, uint16_t dport)
{
	const uint8_t s[4] = { 198, 18, 0, last_src }, d[4] = { 198, 18, 0, 1 };

	memset(t, 0, sizeof(*t));
	t->family = TI_AF_INET;
	memcpy(t->saddr, s, 4);
	memcpy(t->daddr, d, 4);
	t->sport = sport;
	t->dport = dport;
}

static void v6(struct ti_tuple *t)
{
	const uint8_t s[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	const uint8_t d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0x12, 0x34,
				0, 0, 0xff, 0xff, 0xab, 0xcd };

	memset(t, 0, sizeof(*t));
	t->family = TI_AF_INET6;
	memcpy(t->saddr, s, 16);
	memcpy(t->daddr, d, 16);
	t->sport = 65535;
	t->dport = 443;
}

static void hdr(struct ti_event_hdr *h, unsigned int type, uint64_t ns)
{
	h->type = type;
	h->ts_ns = (uint64_t)MONO_S * 1000000000ULL + ns;
}

/* Every kind of event the watch path prints, in the order of golden[]. */
#define N_EVENTS 13
static union {
	struct ti_packet_event p;
	struct ti_conn_event c;
	struct ti_sock_event s;
	struct ti_app_event a;
	struct ti_alert_event al;
} ev[N_EVENTS];

static void build_events(void)
{
	struct ti_packet_event *p;
	struct ti_conn_event *c;
	struct ti_sock_event *s;
	struct ti_app_event *a;
	struct ti_alert_event *al;
	static const char req[] = "GET /a/b?q=1 HTTP/1.1\r\nHost: ex\"ample\r\n\r\n";

	memset(ev, 0, sizeof(ev));
	/* 0: IPv4 SYN with every option, first microsecond of a second. */
	p = &ev[0].p;
	hdr(&p->hdr, TI_EV_PACKET, 999);
	v4(&p->tuple, 2, 42902, 8080);
	p->flags = 0x02; p->seq = 4294967295u; p->window = 64240;
	p->pkt_len = 74; p->ttl = 64; p->ifindex = 2; p->hook = TI_HOOK_TC;
	p->opts = TI_OPT_MSS | TI_OPT_WSCALE | TI_OPT_SACK_OK | TI_OPT_TIMESTAMP;
	p->mss = 1460; p->wscale = 10; p->ts_val = 2714207917u; p->ts_ecr = 0;
	/* 1: IPv6 data with VLANs, extension headers, SACK blocks, unknown
	 * interface; the same second as 0, later. */
	p = &ev[1].p;
	hdr(&p->hdr, TI_EV_PACKET, 123456789);
	v6(&p->tuple);
	p->flags = 0x18 | 0x80 | 0x40; p->seq = 1; p->ack_seq = 0;
	p->payload_len = 1400; p->pkt_len = 1486; p->ttl = 255; p->ifindex = 7;
	p->window = 0; p->vlan_depth = 2; p->vlan_id[0] = 100; p->vlan_id[1] = 4095;
	p->ip6_ext_count = 3; p->opts = TI_OPT_SACK; p->hook = TI_HOOK_XDP;
	/* 2: an earlier second (records of several CPUs interleave). */
	p = &ev[2].p;
	hdr(&p->hdr, TI_EV_PACKET, 0);
	p->hdr.ts_ns -= 3600ULL * 1000000000ULL + 1;
	v4(&p->tuple, 255, 1, 65535);
	p->flags = 0x14; p->ifindex = 2; p->hook = TI_HOOK_XDP;
	/* 3: state change; comm with a quote and a control character. */
	c = &ev[3].c;
	hdr(&c->hdr, TI_EV_STATE, 999999999);
	v4(&c->tuple, 2, 42902, 8080);
	c->sock_id = 0x874986; c->pid = 4193;
	c->old_state = TI_TCP_SYN_RECV; c->new_state = TI_TCP_ESTABLISHED;
	memcpy(c->comm, "a\"b\\c\x01z", 8);
	/* 4: retransmit, state out of range, full 16-byte comm. */
	c = &ev[4].c;
	hdr(&c->hdr, TI_EV_RETRANSMIT, 1000000000);
	v6(&c->tuple);
	c->sock_id = 0xffffffffffffffffULL; c->pid = 4294967295u;
	c->new_state = 99; c->retrans_kind = 1; c->retrans_count = 7;
	memcpy(c->comm, "0123456789abcdef", 16);
	/* 5: reset received. */
	c = &ev[5].c;
	hdr(&c->hdr, TI_EV_RESET_RX, 5);
	v4(&c->tuple, 9, 5555, 22);
	c->new_state = TI_TCP_CLOSE; c->pid = 0;
	/* 6: accept. */
	s = &ev[6].s;
	hdr(&s->hdr, TI_EV_ACCEPT, 500000);
	v4(&s->tuple, 2, 42902, 8080);
	s->flags = TI_SOCKF_PASSIVE | TI_SOCKF_OWNER | TI_SOCKF_WAIT;
	s->pid = 4122; s->duration_ns = 12345678; s->srtt_us = 36; s->sock_id = 0x1;
	memcpy(s->comm, "conn_rate", 9);
	/* 7: handshake timed out. */
	s = &ev[7].s;
	hdr(&s->hdr, TI_EV_HANDSHAKE, 600000);
	v4(&s->tuple, 3, 1024, 8080);
	s->flags = TI_SOCKF_PASSIVE | TI_SOCKF_TIMED_OUT;
	s->duration_ns = 63000000000ULL; s->total_retrans = 5;
	s->backlog = 128; s->max_backlog = 128;
	/* 8: close with RTT figures and owner. */
	s = &ev[8].s;
	hdr(&s->hdr, TI_EV_CLOSE, 700000);
	v6(&s->tuple);
	s->flags = TI_SOCKF_PASSIVE | TI_SOCKF_OWNER | TI_SOCKF_LOCAL_CLOSED |
		   TI_SOCKF_DURATION | TI_SOCKF_RTT;
	s->duration_ns = 175000; s->bytes_received = 18; s->bytes_sent = 40;
	s->srtt_us = 5; s->rtt_min_us = 4; s->rtt_avg_us = 5; s->rtt_max_us = 6;
	s->state = TI_TCP_FIN_WAIT1; s->pid = 4122; s->sock_id = 0x87b63e;
	memcpy(s->comm, "python3", 7);
	/* 9: drop at a listener. */
	s = &ev[9].s;
	hdr(&s->hdr, TI_EV_DROP, 800000);
	v4(&s->tuple, 4, 3333, 8086);
	s->reason = 3; s->state = TI_TCP_LISTEN; s->backlog = 1; s->max_backlog = 2;
	s->ifindex = 2;
	/* 10: listen overflow from the listener's counter. */
	s = &ev[10].s;
	hdr(&s->hdr, TI_EV_LISTEN_OVERFLOW, 900000);
	v4(&s->tuple, 0, 0, 8083);
	s->drops = 17; s->backlog = 2; s->max_backlog = 1;
	/* 11: app hint (HTTP request with a query and a quote in Host). */
	a = &ev[11].a;
	hdr(&a->hdr, TI_EV_APP, 950000);
	v4(&a->tuple, 2, 42902, 8080);
	a->ifindex = 2; a->hook = TI_HOOK_TC;
	a->payload_len = (uint16_t)(sizeof(req) - 1);
	a->cap_len = a->payload_len;
	memcpy(a->data, req, sizeof(req) - 1);
	/* 12: alert. */
	al = &ev[12].al;
	hdr(&al->hdr, TI_EV_ALERT, 960000);
	al->kind = TI_ALERT_SYN_RATE; al->family = TI_AF_INET;
	al->saddr[0] = 198; al->saddr[1] = 18; al->saddr[3] = 2;
	al->daddr[0] = 198; al->daddr[1] = 18; al->daddr[3] = 1;
	al->dport = 8080; al->count = 23258; al->threshold = 500;
	al->window_ns = 1000000000; al->rate_milli = 7752600; al->suppressed = 3;
	al->flags = 0x02; al->ifindex = 2; al->nports = 2;
	al->ports[0] = 80; al->ports[1] = 8080;
}

static const char *const golden_json[N_EVENTS] = {
#include "event_json_golden.h"
};

static void test_json(void **state)
{
	bool print = getenv("TI_GOLDEN") != NULL;
	struct jw w = {};

	(void)state;
	for (int round = 0; round < 2; round++) /* 2: the caches, warm */
		for (int i = 0; i < N_EVENTS; i++) {
			event_json(&w, &ev[i], ifname_of);
			assert_false(w.oom);
			if (print && !round)
				printf("JSON %d %s\n", i, w.buf);
			else if (!print)
				assert_string_equal(w.buf, golden_json[i]);
		}
	jw_free(&w);
}

static void test_text(void **state)
{
	static const char *const golden_text[N_EVENTS] = {
#include "event_text_golden.h"
	};
	bool print = getenv("TI_GOLDEN") != NULL;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	for (int i = 0; i < N_EVENTS; i++) {
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		event_text(f, &ev[i], ifname_of);
		assert_int_equal(fclose(f), 0);
		if (print)
			printf("TEXT %d %s", i, buf);
		else
			assert_string_equal(buf, golden_text[i]);
		free(buf);
		buf = NULL;
	}
}

/* Addresses: every IPv4 byte width, IPv6 zero runs and v4-mapped. */
static void test_addr(void **state)
{
	static const struct { unsigned int fam; uint8_t a[16]; const char *s; } c[] = {
		{ TI_AF_INET, { 0, 0, 0, 0 }, "0.0.0.0" },
		{ TI_AF_INET, { 255, 255, 255, 255 }, "255.255.255.255" },
		{ TI_AF_INET, { 10, 100, 9, 99 }, "10.100.9.99" },
		{ TI_AF_INET6, { 0 }, "::" },
		{ TI_AF_INET6, { [15] = 1 }, "::1" },
		{ TI_AF_INET6, { 0xfe, 0x80, [15] = 1 }, "fe80::1" },
		{ TI_AF_INET6, { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 }, "::ffff:192.0.2.1" },
		{ TI_AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 },
		  "2001:db8:0:1:0:1:0:1" },
		{ 0, { 0 }, "?" },
	};
	char buf[64];

	(void)state;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			assert_string_equal(fmt_addr(c[i].fam, c[i].a, buf, sizeof(buf)),
					    c[i].s);
}

/* Times: microsecond edges, second changes back and forth. */
static void test_time(void **state)
{
	static const struct { uint64_t ns; const char *s; } c[] = {
		{ 0, "2026-11-23T15:36:16.000000Z" },
		{ 999, "2026-11-23T15:36:16.000000Z" },
		{ 1000, "2026-11-23T15:36:16.000001Z" },
		{ 999999999, "2026-11-23T15:36:16.999999Z" },
		{ 1000000000, "2026-11-23T15:36:17.000000Z" },
		{ 999999999, "2026-11-23T15:36:16.999999Z" },
		{ 86400ULL * 1000000000ULL * 39, "2027-01-01T15:36:16.000000Z" },
		{ 0, "2026-11-23T15:36:16.000000Z" },
	};
	char buf[40];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fmt_rfc3339((uint64_t)MONO_S * 1000000000ULL + c[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, c[i].s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_time),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	clock_set_offset((WALL_S - MONO_S) * 1000000000LL);
	build_events();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
