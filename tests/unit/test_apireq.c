// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_apireq.c - REST API request parsing (src/apireq.c) and the model
 * that serve and top share (src/model.c), fed with hand-made records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "apireq.h"
#include "model.h"

static void test_parse_ip(void **state)
{
	struct model_addr a;

	(void)state;
	assert_int_equal(api_parse_ip("198.18.0.2", &a), 0);
	assert_int_equal(a.family, TI_AF_INET);
	assert_memory_equal(a.b, "\xc6\x12\x00\x02", 4);
	assert_int_equal(api_parse_ip("fd00::2", &a), 0);
	assert_int_equal(a.family, TI_AF_INET6);
	assert_int_equal(a.b[0], 0xfd);
	assert_int_equal(a.b[15], 2);
	static const char *const bad[] = {
		"", "198.18.0", "198.18.0.256", "198.18.0.2/32", "1.2.3.4 ", " 1.2.3.4",
		"fd00::2::1", "example.com", "0x01020304", "[fd00::1]",
		"fd00:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (api_parse_ip(bad[i], &a) != -22)
			fail_msg("'%s' accepted as an address", bad[i]);
	assert_int_equal(api_parse_ip(NULL, &a), -22);
}

static void test_parse_cidr(void **state)
{
	struct model_addr a;
	unsigned int p;

	(void)state;
	assert_int_equal(api_parse_cidr("198.18.0.0/15", &a, &p), 0);
	assert_int_equal(p, 15);
	assert_int_equal(api_parse_cidr("198.18.0.2", &a, &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(api_parse_cidr("fd00::/8", &a, &p), 0);
	assert_int_equal(p, 8);
	assert_int_equal(api_parse_cidr("fd00::1", &a, &p), 0);
	assert_int_equal(p, 128);
	assert_int_equal(api_parse_cidr("198.18.0.1/15", &a, &p), -22); /* host bits */
	assert_int_equal(api_parse_cidr("198.18.0.0/33", &a, &p), -22);
	assert_int_equal(api_parse_cidr("198.18.0.0/", &a, &p), -22);
	assert_int_equal(api_parse_cidr("198.18.0.0/-1", &a, &p), -22);
	assert_int_equal(api_parse_cidr("198.18.0.0/1x", &a, &p), -22);
	assert_int_equal(api_parse_cidr("fd00::/129", &a, &p), -22);
	assert_int_equal(api_parse_cidr("/8", &a, &p), -22);
}

static void test_parse_uint(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(api_parse_uint(NULL, 1, 10, 7, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(api_parse_uint("10", 1, 10, 7, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(api_parse_uint("11", 1, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint("0", 1, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint("", 1, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint("-1", 0, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint("+1", 0, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint(" 1", 0, 10, 7, &v), -22);
	assert_int_equal(api_parse_uint("99999999999999999999999", 0, 10, 7, &v), -22);
}

static int body(const char *s, struct api_block_req *r, char *err)
{
	err[0] = '\0';
	return api_parse_block_body(s, strlen(s), r, err, 160);
}

static void test_block_body(void **state)
{
	struct api_block_req r;
	char err[160];

	(void)state;
	assert_int_equal(body("{\"cidr\":\"198.18.0.2/32\"}", &r, err), 0);
	assert_string_equal(r.cidr, "198.18.0.2/32");
	assert_int_equal(r.prefix, 32);
	assert_int_equal(r.ttl_s, 0);
	assert_int_equal(body(" {\"cidr\": \"fd00::/64\", \"ttl_s\": 60, \"reason\": \"scan\"}\n",
			      &r, err), 0);
	assert_int_equal(r.addr.family, TI_AF_INET6);
	assert_int_equal(r.ttl_s, 60);
	assert_string_equal(r.reason, "scan");

	static const struct {
		const char *body, *want;
	} bad[] = {
		{ "", "required" },
		{ "{", "not valid JSON" },
		{ "[]", "must be a JSON object" },
		{ "\"x\"", "must be a JSON object" },
		{ "{}", "cidr is required" },
		{ "{\"cidr\": 5}", "cidr must be a string" },
		{ "{\"cidr\": \"nope\"}", "cidr: invalid" },
		{ "{\"cidr\": \"198.18.0.1/24\"}", "cidr: invalid" },
		{ "{\"cidr\": \"198.18.0.2\", \"ttl_s\": -1}", "ttl_s must be" },
		{ "{\"cidr\": \"198.18.0.2\", \"ttl_s\": 1.5}", "ttl_s must be an integer" },
		{ "{\"cidr\": \"198.18.0.2\", \"ttl_s\": 99999999999}", "ttl_s must be" },
		{ "{\"cidr\": \"198.18.0.2\", \"reason\": \"a\\nb\"}", "control characters" },
		{ "{\"cidr\": \"198.18.0.2\", \"extra\": 1}", "unknown member 'extra'" },
		{ "{\"cidr\": \"198.18.0.2\"} {}", "not valid JSON" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		  "not valid JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (body(bad[i].body, &r, err) != -22 || !strstr(err, bad[i].want))
			fail_msg("body %zu '%s': message '%s', wanted '%s'", i, bad[i].body,
				 err, bad[i].want);
	/* A NUL inside the body, and an oversized body. */
	assert_int_equal(api_parse_block_body("{\"cidr\":\0}", 10, &r, err, sizeof(err)), -22);
	static char big[API_MAX_BODY + 2];
	memset(big, ' ', sizeof(big) - 1);
	assert_int_equal(api_parse_block_body(big, sizeof(big) - 1, &r, err, sizeof(err)), -22);
}

static void test_bearer(void **state)
{
	(void)state;
	assert_true(api_bearer_ok("Bearer s3cret", "s3cret", 6));
	assert_false(api_bearer_ok("Bearer s3cre", "s3cret", 6));
	assert_false(api_bearer_ok("Bearer s3cretX", "s3cret", 6));
	assert_false(api_bearer_ok("Bearer S3cret", "s3cret", 6));
	assert_false(api_bearer_ok("bearer s3cret", "s3cret", 6));
	assert_false(api_bearer_ok("Basic s3cret", "s3cret", 6));
	assert_false(api_bearer_ok("Bearer ", "s3cret", 6));
	assert_false(api_bearer_ok(NULL, "s3cret", 6));
	assert_false(api_bearer_ok("Bearer ", "", 0)); /* no token: never */
}

static void test_request_id(void **state)
{
	char longid[API_REQUEST_ID_MAX + 2];

	(void)state;
	assert_true(api_request_id_ok("abc-123_X.y:z"));
	assert_false(api_request_id_ok(""));
	assert_false(api_request_id_ok(NULL));
	assert_false(api_request_id_ok("a b"));
	assert_false(api_request_id_ok("a\r\nSet-Cookie: x"));
	assert_false(api_request_id_ok("<script>"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(api_request_id_ok(longid));
	longid[API_REQUEST_ID_MAX] = '\0';
	assert_true(api_request_id_ok(longid));
}

/* --- the model -------------------------------------------------------------- */

static void syn(struct model *m, const char *src, uint16_t sport, uint16_t dport,
		uint64_t ts)
{
	struct ti_packet_event p = {};

	p.hdr.type = TI_EV_PACKET;
	p.hdr.ts_ns = ts;
	p.tuple.family = TI_AF_INET;
	inet_pton(AF_INET, src, p.tuple.saddr);
	inet_pton(AF_INET, "198.18.0.1", p.tuple.daddr);
	p.tuple.sport = sport;
	p.tuple.dport = dport;
	p.flags = TI_TCP_SYN;
	p.pkt_len = 74;
	model_event(m, &p, sizeof(p));
}

static void state_ev(struct model *m, const char *src, uint16_t sport, uint16_t dport,
		     unsigned int from, unsigned int to, uint64_t ts)
{
	struct ti_conn_event c = {};

	c.hdr.type = TI_EV_STATE;
	c.hdr.ts_ns = ts;
	c.tuple.family = TI_AF_INET;
	inet_pton(AF_INET, src, c.tuple.saddr);
	inet_pton(AF_INET, "198.18.0.1", c.tuple.daddr);
	c.tuple.sport = sport;
	c.tuple.dport = dport;
	c.old_state = from;
	c.new_state = to;
	c.sock_id = 42;
	model_event(m, &c, sizeof(c));
}

static void test_model_counts(void **state)
{
	struct model_cfg cfg = { .alert_syn_rate = 5 };
	struct model *m = model_new(&cfg);
	const struct model_source *top[4];
	const struct model_conn *conns[4];
	uint16_t ports[4];
	uint64_t psyns[4];
	struct model_addr a;
	uint64_t t = 1000000000ULL;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < 10; i++)
		syn(m, "198.18.0.2", (uint16_t)(40000 + i), 8080, t + (uint64_t)i * 1000);
	syn(m, "198.18.0.3", 50000, 22, t);
	state_ev(m, "198.18.0.2", 40000, 8080, TI_TCP_LISTEN, TI_TCP_SYN_RECV, t + 100);
	state_ev(m, "198.18.0.2", 40000, 8080, TI_TCP_SYN_RECV, TI_TCP_ESTABLISHED,
		 t + 250000);
	assert_int_equal(m->syns, 11);
	assert_int_equal(m->established, 1);
	assert_int_equal(m->handshake.count, 1);
	assert_true(m->handshake.sum > 0.000249 && m->handshake.sum < 0.000251);
	assert_int_equal(model_count_conns(m, TI_TCP_ESTABLISHED), 1);

	assert_int_equal(model_top_sources(m, false, top, 4), 2);
	assert_int_equal(top[0]->syns, 10);
	assert_int_equal(top[1]->syns, 1);
	assert_int_equal(top[0]->nports, 1);
	assert_int_equal(top[0]->ports[0], 8080);
	assert_int_equal(model_top_ports(m, ports, psyns, 4), 2);
	assert_int_equal(ports[0], 8080);
	assert_int_equal(psyns[0], 10);
	assert_int_equal(model_connections(m, conns, 4), 1);
	assert_int_equal(conns[0]->state, TI_TCP_ESTABLISHED);

	/* The first tick: 10 SYNs from .2 in that second >= 5/s: one alert;
	 * 1 from .3: none. A quiet second: no alert, rate 0. */
	model_tick(m, t);
	assert_int_equal(m->alerts_total, 1);
	api_parse_ip("198.18.0.2", &a);
	assert_true(model_addr_eq(&m->alerts[0].addr, &a));
	model_tick(m, t + 1000000000ULL);
	assert_non_null(model_sample(m, 0));
	assert_true(model_sample(m, 0)->syns == 0);
	assert_int_equal(m->alerts_total, 1);
	/* 6 SYNs from .3 within the next second: 6 SYN/s, an alert. */
	for (int i = 0; i < 6; i++)
		syn(m, "198.18.0.3", (uint16_t)(50001 + i), 22, t + 1500000000ULL);
	model_tick(m, t + 2000000000ULL);
	assert_true(model_sample(m, 0)->syns > 5.9 && model_sample(m, 0)->syns < 6.1);
	assert_int_equal(m->alerts_total, 2);
	assert_int_equal(m->alerts[1].kind, TI_ALERT_SYN_RATE);
	api_parse_ip("198.18.0.3", &a);
	assert_true(model_addr_eq(&m->alerts[1].addr, &a));
	assert_int_equal(m->alerts_by_kind[TI_ALERT_SYN_RATE], 2);
	assert_non_null(model_find_source(m, &a));

	/* Unknown kinds are counted, not misread. */
	struct ti_event_hdr h = { .type = 9999 };
	model_event(m, &h, sizeof(h));
	assert_int_equal(m->unknown_events, 1);
	model_free(m);
}

/* A flood of distinct sources stays within the table and folds evicted
 * sources' SYNs into the totals. */
static void test_model_bounded(void **state)
{
	struct model *m = model_new(NULL);
	char ip[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		syn(m, ip, 1234, 80, (uint64_t)i + 1);
	}
	assert_int_equal(m->syns, 20000);
	assert_true(model_sources_used(m) <= MODEL_SRC_SETS * MODEL_SRC_WAYS);
	assert_int_equal(m->evicted_sources + model_sources_used(m), 20000);
	assert_int_equal(m->evicted_source_syns + model_sources_used(m), 20000);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ip),
		cmocka_unit_test(test_parse_cidr),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_block_body),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_model_counts),
		cmocka_unit_test(test_model_bounded),
	};

	return cmocka_run_group_tests_name("apireq", tests, NULL, NULL);
}
