// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_defence.c - the defences: CIDR parsing, the EWMA baseline and flood
 * rule (pure functions), and BPF_PROG_TEST_RUN fixtures of the inspector's
 * blocklist, allowlist, expiry, SYN token bucket, stealth-flag and scan
 * detectors (src/defence.bpf.h).
 *
 * The BPF fixtures load their own inspector instance with private (not
 * pinned) maps, so they never touch a real blocklist. Needs root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktbuild.h"
#include "blocklist.h"
#include "defence.h"
#include "tcpinspect.h"
#include "inspector.skel.h"

/* ---- parse_cidr ---------------------------------------------------------- */

static void test_parse_cidr_valid(void **state)
{
	static const struct {
		const char *in, *out;
		uint16_t family;
		uint8_t plen;
	} ok[] = {
		{ "198.18.0.2", "198.18.0.2/32", TI_AF_INET, 32 },
		{ "198.18.0.0/15", "198.18.0.0/15", TI_AF_INET, 15 },
		{ "0.0.0.0/0", "0.0.0.0/0", TI_AF_INET, 0 },
		{ "10.1.2.3/32", "10.1.2.3/32", TI_AF_INET, 32 },
		{ "fd00::/8", "fd00::/8", TI_AF_INET6, 8 },
		{ "fd00::2", "fd00::2/128", TI_AF_INET6, 128 },
		{ "::/0", "::/0", TI_AF_INET6, 0 },
		{ "2001:db8::/32", "2001:db8::/32", TI_AF_INET6, 32 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ti_cidr c, back;
		struct ti_lpm_key k;
		char err[256] = "", text[TI_CIDR_STRLEN];

		assert_int_equal(parse_cidr(ok[i].in, &c, err, sizeof(err)), 0);
		assert_int_equal(c.family, ok[i].family);
		assert_int_equal(c.prefix_len, ok[i].plen);
		cidr_format(&c, text, sizeof(text));
		assert_string_equal(text, ok[i].out);
		/* IPv4 is stored IPv4-mapped with 96 added to the prefix. */
		cidr_to_key(&c, &k);
		assert_int_equal(k.prefixlen,
				 ok[i].plen + (ok[i].family == TI_AF_INET ? 96 : 0));
		cidr_from_key(&k, &back);
		assert_memory_equal(&back, &c, sizeof(c));
	}
}

static void test_parse_cidr_invalid(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "invalid CIDR" },
		{ "nonsense", "not an IPv4 or IPv6 address" },
		{ "198.18.0.1/24", "host bits set after /24 (the network is 198.18.0.0/24)" },
		{ "fd00::1/8", "host bits set after /8 (the network is fd00::/8)" },
		{ "1.2.3.4/33", "prefix length must be a number from 0 to 32" },
		{ "::1/129", "from 0 to 128" },
		{ "1.2.3.4/", "prefix length" },
		{ "1.2.3.4/-1", "prefix length" },
		{ "1.2.3.4/+8", "prefix length" },
		{ "1.2.3.4/8x", "prefix length" },
		{ "1.2.3.4/ 8", "prefix length" },
		{ "/8", "invalid CIDR" },
		{ "1.2.3", "not an IPv4" },
		{ "256.1.1.1", "not an IPv4" },
		{ " 1.2.3.4", "not an IPv4" },
		{ "1.2.3.4/0008", "prefix length" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ti_cidr c;
		char err[256] = "";

		assert_int_equal(parse_cidr(bad[i].in, &c, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].why)) {
			print_error("'%s': error '%s' lacks '%s'\n", bad[i].in, err,
				    bad[i].why);
			fail();
		}
	}
}

/* ---- EWMA and the flood rule --------------------------------------------- */

static void test_ewma(void **state)
{
	struct ewma e = {};
	double mean, sd;
	(void)state;

	/* Warm-up: even a wild value is not an anomaly yet. */
	for (int i = 0; i < 10; i++)
		assert_false(ewma_update(&e, i % 2 ? 1000 : 10, 0.1, 3, 11, 1,
					 &mean, &sd));
	/* A steady rate around 100 +- 5... */
	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 40; i++)
		assert_false(ewma_update(&e, 100 + (i % 2 ? 5 : -5), 0.1, 4, 30,
					 5, &mean, &sd));
	assert_true(mean > 95 && mean < 105);
	assert_true(sd > 3 && sd < 8);
	/* ...then 200: far beyond 4 standard deviations. */
	assert_true(ewma_update(&e, 200, 0.1, 4, 30, 5, &mean, &sd));
	assert_true(mean > 95 && mean < 105); /* judged by the old baseline */
	/* A flat zero baseline: tiny changes stay below min_delta. */
	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 40; i++)
		ewma_update(&e, 0, 0.1, 4, 30, 5, &mean, &sd);
	assert_false(ewma_update(&e, 3, 0.1, 4, 30, 5, &mean, &sd));
	assert_true(ewma_update(&e, 50, 0.1, 4, 30, 5, &mean, &sd));
}

static void test_syn_flood_rule(void **state)
{
	(void)state;
	assert_false(syn_flood_check(500, 0, 1000, 0.9));   /* too slow */
	assert_true(syn_flood_check(5000, 100, 1000, 0.9)); /* 98% fail */
	assert_false(syn_flood_check(5000, 4000, 1000, 0.9)); /* busy, fine */
	assert_false(syn_flood_check(0, 0, 1, 0.5));
}

static void test_defence_opts(void **state)
{
	struct defence_cfg c;
	(void)state;

	defence_cfg_defaults(&c);
	assert_true(c.detect);
	assert_false(c.enforce);
	assert_int_equal(c.scan_ports, TI_DEF_SCAN_PORTS);
	assert_int_equal(defence_set(&c, "syn-rate", "50"), 0);
	assert_int_equal(c.syn_rate, 50);
	assert_int_equal(defence_set(&c, "syn-rate", "0"), -EINVAL);
	assert_int_equal(defence_set(&c, "syn-rate", "ten"), -EINVAL);
	assert_int_equal(defence_set(&c, "anomaly-alpha", "1.5"), -EINVAL);
	assert_int_equal(defence_set(&c, "anomaly-alpha", "0.3"), 0);
	assert_int_equal(defence_set(&c, "auto-block-ttl", "0"), 0);
	defence_cfg_fill(&c);
	assert_int_equal(c.auto_block_ttl, 0); /* 0 stays "off" */
	assert_int_equal(defence_set(&c, "no-such-thing", "1"), -ENOENT);
	assert_int_equal(defence_opt(&c, TI_DEFOPT_ENFORCE, NULL), 0);
	assert_true(c.enforce);
}

/* ---- BPF fixtures ---------------------------------------------------------- */

#define TEST_SYN_RATE 1
#define TEST_SYN_BURST 3
#define TEST_SCAN_PORTS 20
#define MAX_ALERTS 64

static struct inspector_bpf *skel;
static struct ring_buffer *alert_rb;
static struct ti_alert_event alerts[MAX_ALERTS];
static int nalerts;
static int ncpus;

static int on_alert(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (nalerts < MAX_ALERTS && size >= sizeof(alerts[0]))
		memcpy(&alerts[nalerts], data, sizeof(alerts[0]));
	nalerts++;
	return 0;
}

static int bpf_setup(void **state)
{
	(void)state;
	ncpus = libbpf_num_possible_cpus();
	skel = inspector_bpf__open();
	if (!skel)
		return -1;
	skel->rodata->cfg_def_detect = true;
	skel->rodata->cfg_def_enforce = true;
	skel->rodata->cfg_syn_rate = TEST_SYN_RATE;
	skel->rodata->cfg_syn_burst = TEST_SYN_BURST;
	skel->rodata->cfg_syn_fill_ns = 1000000000ULL * TEST_SYN_BURST / TEST_SYN_RATE;
	skel->rodata->cfg_scan_ports = TEST_SCAN_PORTS;
	if (inspector_bpf__load(skel)) {
		print_error("inspector_bpf__load failed (root needed)\n");
		inspector_bpf__destroy(skel);
		skel = NULL;
		return -1;
	}
	alert_rb = ring_buffer__new(bpf_map__fd(skel->maps.ti_alert_events),
				    on_alert, NULL, NULL);
	return alert_rb ? 0 : -1;
}

static int bpf_teardown(void **state)
{
	(void)state;
	ring_buffer__free(alert_rb);
	inspector_bpf__destroy(skel);
	return 0;
}

static void drain_alerts(void)
{
	ring_buffer__consume(alert_rb);
	nalerts = 0;
}

static void def_counters(struct ti_def_counters *sum)
{
	size_t n = sizeof(*sum) / sizeof(__u64);
	__u64 *vals = calloc((size_t)ncpus, sizeof(*sum)), *out = (__u64 *)sum;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	assert_non_null(vals);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.ti_def_stats),
					     &zero, vals), 0);
	for (int c = 0; c < ncpus; c++)
		for (size_t i = 0; i < n; i++)
			out[i] += vals[(size_t)c * n + i];
	free(vals);
}

/* Run one frame through XDP (or TC); return the verdict. */
static int run(const struct pb_spec *s, bool tc, size_t *len)
{
	static struct pb_frame f;
	struct bpf_program *p = tc ? skel->progs.ti_tc : skel->progs.ti_xdp;

	pb_build(s, &f);
	if (len)
		*len = f.len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b,
		    .data_size_in = (__u32)f.len, .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(p), &opts), 0);
	return (int)opts.retval;
}

/* ti_tc on s; *mark: the skb's mark after the run (__sk_buff out). */
static int run_tc_mark(const struct pb_spec *s, __u32 *mark)
{
	static struct pb_frame f;
	struct __sk_buff in = {}, out = {};

	pb_build(s, &f);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b,
		    .data_size_in = (__u32)f.len, .ctx_in = &in,
		    .ctx_size_in = sizeof(in), .ctx_out = &out,
		    .ctx_size_out = sizeof(out), .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ti_tc), &opts), 0);
	*mark = out.mark;
	return (int)opts.retval;
}

static struct pb_spec syn4(uint8_t last, uint16_t dport)
{
	struct pb_spec s = { .l3 = 4, .flags = TI_TCP_SYN, .dport = dport };

	memcpy(s.src, (uint8_t[]){ 198, 19, 0, last }, 4);
	return s;
}

static void list_put(int fd, const char *cidr, uint64_t expires_ns)
{
	struct ti_list_val v = { .expires_ns = expires_ns };
	struct ti_lpm_key k;
	struct ti_cidr c;
	char err[128];

	assert_int_equal(parse_cidr(cidr, &c, err, sizeof(err)), 0);
	cidr_to_key(&c, &k);
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
}

static struct ti_list_val list_get(int fd, const char *cidr)
{
	struct ti_list_val v = {};
	struct ti_lpm_key k;
	struct ti_cidr c;
	char err[128];

	assert_int_equal(parse_cidr(cidr, &c, err, sizeof(err)), 0);
	cidr_to_key(&c, &k);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	return v;
}

static void list_del_all(int fd)
{
	struct ti_lpm_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		bpf_map_delete_elem(fd, &k);
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_blocklist(void **state)
{
	int bfd = bpf_map__fd(skel->maps.ti_blocklist);
	int afd = bpf_map__fd(skel->maps.ti_allowlist);
	struct pb_spec s = syn4(1, 80), udp = syn4(1, 53), v6 = { .l3 = 6, .flags = TI_TCP_SYN };
	struct ti_def_counters before, after;
	struct ti_list_val v;
	size_t len1, len2, len3;
	(void)state;

	/* ACK segments: the SYN rate limit (tested below) stays out of it. */
	s.flags = TI_TCP_ACK;
	v6.flags = TI_TCP_ACK;
	udp.proto = PB_PROTO_UDP;
	list_del_all(bfd);
	list_del_all(afd);
	assert_int_equal(run(&s, false, NULL), XDP_PASS);

	def_counters(&before);
	list_put(bfd, "198.19.0.0/24", 0);
	assert_int_equal(run(&s, false, &len1), XDP_DROP);
	assert_int_equal(run(&udp, false, &len2), XDP_DROP); /* any protocol */
	assert_int_equal(run(&s, true, &len3), 2 /* TC_ACT_SHOT */);
	assert_int_equal(run(&v6, false, NULL), XDP_PASS);  /* other family */
	v = list_get(bfd, "198.19.0.0/24");
	assert_int_equal(v.hits, 3);
	assert_int_equal(v.bytes, len1 + len2 + len3);
	def_counters(&after);
	assert_int_equal(after.blocked_packets - before.blocked_packets, 3);
	/* A TC drop carries the mark that keeps it out of `drop` events;
	 * a segment let through keeps its mark. */
	{
		__u32 mark = 0;

		assert_int_equal(run_tc_mark(&s, &mark), 2 /* TC_ACT_SHOT */);
		assert_int_equal(mark, TI_BLOCK_DROP_MARK);
		assert_int_equal(run_tc_mark(&v6, &mark), -1 /* TC_ACT_UNSPEC */);
		assert_int_equal(mark, 0);
	}

	/* IPv6 prefix. */
	list_put(bfd, "fd00::/8", 0);
	assert_int_equal(run(&v6, false, NULL), XDP_DROP);

	/* The allowlist wins. */
	list_put(afd, "198.19.0.1/32", 0);
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	assert_int_equal(list_get(afd, "198.19.0.1/32").hits, 1);
	list_del_all(afd);

	/* An expired entry is absent; a live TTL still blocks. */
	list_put(bfd, "198.19.0.0/24", boot_ns() - 1);
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	list_put(bfd, "198.19.0.0/24", boot_ns() + 60ULL * 1000000000ULL);
	assert_int_equal(run(&s, false, NULL), XDP_DROP);
	list_del_all(bfd);
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
}

static void test_syn_rate_limit(void **state)
{
	struct pb_spec s = syn4(2, 443);
	struct ti_def_counters before, after;
	int passed = 0, dropped = 0;
	(void)state;

	drain_alerts();
	def_counters(&before);
	/* burst 3 at 1/s: the first 3 pass, the rest (within microseconds)
	 * are over the rate. */
	for (int i = 0; i < 6; i++) {
		s.sport = (uint16_t)(40000 + i);
		if (run(&s, false, NULL) == XDP_PASS)
			passed++;
		else
			dropped++;
	}
	def_counters(&after);
	assert_int_equal(passed, TEST_SYN_BURST);
	assert_int_equal(dropped, 6 - TEST_SYN_BURST);
	assert_int_equal(after.syn_dropped - before.syn_dropped, 3);
	ring_buffer__consume(alert_rb);
	/* One syn_rate alert, the repeats suppressed. */
	int n = 0;
	for (int i = 0; i < nalerts && i < MAX_ALERTS; i++)
		if (alerts[i].kind == TI_ALERT_SYN_RATE) {
			n++;
			assert_int_equal(alerts[i].action, TI_ACTION_DROPPED);
			assert_int_equal(alerts[i].threshold, TEST_SYN_RATE);
			assert_memory_equal(alerts[i].saddr,
					    ((uint8_t[]){ 198, 19, 0, 2 }), 4);
		}
	assert_int_equal(n, 1);
	assert_int_equal(after.alerts_suppressed - before.alerts_suppressed, 2);

	/* An allowlisted source is never rate limited. */
	list_put(bpf_map__fd(skel->maps.ti_allowlist), "198.19.0.2/32", 0);
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	list_del_all(bpf_map__fd(skel->maps.ti_allowlist));
}

static void test_stealth_flags(void **state)
{
	static const struct {
		uint8_t flags;
		unsigned int kind;
	} cases[] = {
		{ 0, TI_ALERT_STEALTH_NULL },
		{ TI_TCP_FIN, TI_ALERT_STEALTH_FIN },
		{ TI_TCP_FIN | TI_TCP_PSH | TI_TCP_URG, TI_ALERT_STEALTH_XMAS },
		{ TI_TCP_SYN | TI_TCP_FIN, TI_ALERT_STEALTH_SYNFIN },
		{ TI_TCP_SYN | TI_TCP_RST, TI_ALERT_STEALTH_SYNRST },
		{ TI_TCP_PSH, TI_ALERT_STEALTH_INVALID },
		{ TI_TCP_FIN | TI_TCP_RST, TI_ALERT_STEALTH_INVALID },
		/* Conforming: no alert. */
		{ TI_TCP_SYN | TI_TCP_ECE | TI_TCP_CWR, 0 },
		{ TI_TCP_RST, 0 },
		{ TI_TCP_ACK | TI_TCP_FIN, 0 },
		{ TI_TCP_ACK | TI_TCP_PSH | TI_TCP_URG, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A fresh source per case: the rate limit is per source and
		 * kind. */
		struct pb_spec s = syn4((uint8_t)(100 + i), 8080);

		s.flags = cases[i].flags;
		drain_alerts();
		assert_int_equal(run(&s, false, NULL), XDP_PASS);
		ring_buffer__consume(alert_rb);
		if (!cases[i].kind) {
			assert_int_equal(nalerts, 0);
			continue;
		}
		assert_int_equal(nalerts, 1);
		assert_int_equal(alerts[0].hdr.type, TI_EV_ALERT);
		assert_int_equal(alerts[0].kind, cases[i].kind);
		assert_int_equal(alerts[0].flags, cases[i].flags);
		assert_int_equal(alerts[0].family, TI_AF_INET);
		assert_int_equal(alerts[0].dport, 8080);
		assert_int_equal(alerts[0].saddr[3], 100 + i);
	}
}

static void test_vertical_scan(void **state)
{
	struct ti_def_counters before, after;
	int scans = 0;
	(void)state;

	drain_alerts();
	/* A source probing TEST_SCAN_PORTS - 1 ports: nothing yet. A repeat
	 * of the same port does not count. */
	for (int p = 1; p < TEST_SCAN_PORTS; p++) {
		struct pb_spec s = syn4(200, (uint16_t)p);

		s.flags = TI_TCP_FIN; /* stealth probes count as probes */
		run(&s, false, NULL);
		run(&s, false, NULL);
	}
	ring_buffer__consume(alert_rb);
	for (int i = 0; i < nalerts && i < MAX_ALERTS; i++)
		assert_int_not_equal(alerts[i].kind, TI_ALERT_VERTICAL_SCAN);
	drain_alerts();
	struct pb_spec last = syn4(200, 1000);

	last.flags = TI_TCP_FIN;
	run(&last, false, NULL);
	ring_buffer__consume(alert_rb);
	for (int i = 0; i < nalerts && i < MAX_ALERTS; i++) {
		if (alerts[i].kind != TI_ALERT_VERTICAL_SCAN)
			continue;
		scans++;
		assert_int_equal(alerts[i].count, TEST_SCAN_PORTS);
		assert_int_equal(alerts[i].threshold, TEST_SCAN_PORTS);
		assert_int_equal(alerts[i].nports, TI_ALERT_MAX_PORTS);
		assert_int_equal(alerts[i].ports[0], 1);
		assert_int_equal(alerts[i].saddr[3], 200);
	}
	assert_int_equal(scans, 1);

	/* Completed handshakes do not count: SYN then the final ACK, to
	 * TEST_SCAN_PORTS + 5 ports from another source -> no scan alert. */
	def_counters(&before);
	drain_alerts();
	for (int p = 1; p <= TEST_SCAN_PORTS + 5; p++) {
		struct pb_spec s = syn4(201, (uint16_t)(2000 + p));

		s.sport = (uint16_t)(30000 + p);
		run(&s, false, NULL);
		s.flags = TI_TCP_ACK;
		s.ack = 1;
		run(&s, false, NULL);
		/* A busy client: stay under the rate limit in this test. */
		bpf_map_delete_elem(bpf_map__fd(skel->maps.ti_syn_sources),
				    &(struct ti_src_key){ .addr = { 198, 19, 0, 201 },
							  .family = TI_AF_INET });
	}
	ring_buffer__consume(alert_rb);
	def_counters(&after);
	assert_int_equal(after.handshakes - before.handshakes, TEST_SCAN_PORTS + 5);
	for (int i = 0; i < nalerts && i < MAX_ALERTS; i++)
		assert_int_not_equal(alerts[i].kind, TI_ALERT_VERTICAL_SCAN);
}

/* A SYN updates one per-source entry: its count, its bucket and the last
 * probe the scan detectors counted; a repeat of that probe keeps it, a
 * new port replaces it. */
static void test_syn_source_entry(void **state)
{
	struct ti_src_key key = { .addr = { 198, 19, 0, 210 }, .family = TI_AF_INET };
	int fd = bpf_map__fd(skel->maps.ti_syn_sources);
	struct pb_spec s = syn4(210, 7000);
	struct ti_src_syn v;
	__u64 until;
	(void)state;

	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	assert_int_equal(v.syns, 1);
	/* The entry was new: its first probe is cached on the next SYN. */
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	assert_int_equal(v.syns, 2);
	assert_int_equal(v.win_syns, 2);
	assert_int_equal(v.probe_dport, 7000);
	assert_memory_equal(v.probe_dst, pb_dst4, 4);
	assert_true(v.probe_until_ns >= v.last_ns);
	until = v.probe_until_ns;
	s.dport = 7001;
	assert_int_equal(run(&s, false, NULL), XDP_PASS);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	assert_int_equal(v.syns, 3);
	assert_int_equal(v.probe_dport, 7001);
	assert_true(v.probe_until_ns >= until);
	/* Over the burst (TEST_SYN_BURST) while enforcing: dropped. */
	assert_int_equal(run(&s, false, NULL), XDP_DROP);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	assert_int_equal(v.syns, 4);
	bpf_map_delete_elem(fd, &key);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_parse_cidr_valid),
		cmocka_unit_test(test_parse_cidr_invalid),
		cmocka_unit_test(test_ewma),
		cmocka_unit_test(test_syn_flood_rule),
		cmocka_unit_test(test_defence_opts),
	};
	const struct CMUnitTest bpf[] = {
		cmocka_unit_test(test_blocklist),
		cmocka_unit_test(test_syn_rate_limit),
		cmocka_unit_test(test_stealth_flags),
		cmocka_unit_test(test_vertical_scan),
		cmocka_unit_test(test_syn_source_entry),
	};
	int failed;

	failed = cmocka_run_group_tests_name("defence_pure", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("defence_bpf", bpf, bpf_setup,
					      bpf_teardown);
	return failed ? 1 : 0;
}
