// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_config.c - the serve configuration parser (src/config.c): every key,
 * defaults, command-line-style overrides, and one clear "FILE:LINE:" error
 * for each kind of bad line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "config.h"
#include "tcpinspect.h"

static int parse(const char *text, struct ti_config *c, char *err, size_t len)
{
	config_defaults(c);
	err[0] = '\0';
	return config_parse(text, strlen(text), "t.conf", c, err, len);
}

static void test_defaults(void **state)
{
	struct ti_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:9310");
	assert_int_equal(c.n_ifaces, 0);
	assert_int_equal(c.nports, 0);
	assert_int_equal(c.top_n, 10);
	assert_true(c.alerts);
	assert_false(c.enforce);
	assert_int_equal(c.n_defence, 0);
	assert_string_equal(c.token_file, "");
}

static void test_every_key(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"listen = [::1]:8080\n"
		"interface = eth0\n"
		"interface=veth1\n"
		"  port = 80  \n"
		"port = 443\r\n"
		"family = ipv6\n"
		"mode = tc\n"
		"all_packets = yes\n"
		"token_file = /etc/tcpinspect/token\n"
		"log_file = /var/log/tcpinspect/events.jsonl\n"
		"top_n = 20\n"
		"alerts = off\n"
		"enforce = true\n"
		"syn_rate = 250\n"
		"scan_window = 2.5\n"
		"auto_block_ttl = 600\n";
	struct ti_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "[::1]:8080");
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[0], "eth0");
	assert_string_equal(c.ifaces[1], "veth1");
	assert_int_equal(c.nports, 2);
	assert_int_equal(c.ports[0], 80);
	assert_int_equal(c.ports[1], 443);
	assert_int_equal(c.family, TI_AF_INET6);
	assert_int_equal(c.mode, TI_MODE_TC);
	assert_true(c.all_packets);
	assert_string_equal(c.token_file, "/etc/tcpinspect/token");
	assert_string_equal(c.log_file, "/var/log/tcpinspect/events.jsonl");
	assert_int_equal(c.top_n, 20);
	assert_false(c.alerts);
	assert_true(c.enforce);
	/* Detector settings keep their text and line for the defence layer. */
	assert_int_equal(c.n_defence, 3);
	assert_string_equal(c.defence[0].name, "syn-rate");
	assert_string_equal(c.defence[0].value, "250");
	assert_int_equal(c.defence[0].line, 16);
	assert_string_equal(c.defence[1].name, "scan-window");
	assert_string_equal(c.defence[1].value, "2.5");
	assert_string_equal(c.defence[2].name, "auto-block-ttl");
	assert_int_equal(c.defence[2].line, 18);
	assert_string_equal(config_defence_key("hscan_hosts"), "hscan-hosts");
	assert_null(config_defence_key("syn-rate"));
	assert_null(config_defence_key("listen"));
}

/* Each bad input, and the message it must give (substring). */
static void test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "port = 80\nbogus\n", "t.conf:2: expected 'key = value'" },
		{ "colour = blue\n", "t.conf:1: unknown key 'colour'" },
		{ "\n\nport = 0\n", "t.conf:3: invalid port '0'" },
		{ "port = 65536\n", "t.conf:1: invalid port" },
		{ "port = 80x\n", "t.conf:1: invalid port" },
		{ "port = -1\n", "t.conf:1: invalid port" },
		{ "port =\n", "t.conf:1: missing value for 'port'" },
		{ "= 5\n", "t.conf:1: missing key" },
		{ "listen = 127.0.0.1\n", "t.conf:1: invalid listen address" },
		{ "listen = localhost:80\n", "t.conf:1: invalid listen address" },
		{ "listen = ::1:80\n", "t.conf:1: invalid listen address" },
		{ "listen = 1.2.3.4:0\n", "t.conf:1: invalid listen address" },
		{ "listen = 1.2.3.4:80\nlisten = 1.2.3.4:81\n", "t.conf:2: 'listen' given twice" },
		{ "family = ipv5\n", "t.conf:1: invalid family" },
		{ "mode = turbo\n", "t.conf:1: invalid mode" },
		{ "all_packets = maybe\n", "t.conf:1: invalid value for all_packets" },
		{ "enforce = 2\n", "t.conf:1: invalid value for enforce" },
		{ "top_n = 0\n", "t.conf:1: invalid top_n" },
		{ "top_n = 101\n", "t.conf:1: invalid top_n" },
		{ "syn_rate = -5\n", "t.conf:1: invalid value for syn_rate" },
		{ "syn_rate = nan\n", "t.conf:1: invalid value for syn_rate" },
		{ "scan_window = inf\n", "t.conf:1: invalid value for scan_window" },
		{ "scan_ports = ten\n", "t.conf:1: invalid value for scan_ports" },
		{ "syn_rate = 5\nsyn_rate = 6\n", "t.conf:2: 'syn_rate' given twice" },
		{ "alerts = sometimes\n", "t.conf:1: invalid value for alerts" },
		{ "syn-rate = 5\n", "t.conf:1: unknown key 'syn-rate'" },
		{ "interface = a/b\n", "t.conf:1: invalid interface name" },
		{ "interface = abcdefghijklmnopq\n", "t.conf:1: invalid interface name" },
		{ "interface = eth0\ninterface = eth0\n", "t.conf:2: interface 'eth0' given twice" },
	};
	struct ti_config c;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].text, &c, err, sizeof(err));

		if (rc != -22 || !strstr(err, cases[i].want))
			fail_msg("case %zu (%s): rc %d, message '%s', wanted '%s'", i,
				 cases[i].text, rc, err, cases[i].want);
	}
}

static void test_limits(void **state)
{
	char text[4096], err[256];
	struct ti_config c;
	size_t n = 0;

	(void)state;
	/* 65 ports: one too many. */
	for (int i = 1; i <= TI_MAX_PORTS + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "port = %d\n", i);
	assert_int_equal(parse(text, &c, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "t.conf:65: too many ports"));

	/* An over-long line, and a NUL byte: errors, not truncation. */
	memset(text, 'x', 2000);
	memcpy(text, "log_file = /", 12);
	text[2000] = '\0';
	assert_int_equal(parse(text, &c, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "t.conf:1: line longer than"));
	config_defaults(&c);
	assert_int_equal(config_parse("port = 80\n\0port = 81\n", 21, "t.conf", &c, err,
				      sizeof(err)), -22);
	assert_non_null(strstr(err, "t.conf:2: NUL byte"));
	/* No final newline is fine. */
	assert_int_equal(parse("port = 22", &c, err, sizeof(err)), 0);
	assert_int_equal(c.ports[0], 22);
}

static void test_listen_addresses(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(config_parse_listen("127.0.0.1:9310", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9310);
	assert_int_equal(config_parse_listen("[fd00::1]:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(config_parse_listen("0.0.0.0:1", &ss, &len), 0);
	assert_int_equal(config_parse_listen("[::1]80", &ss, &len), -22);
	assert_int_equal(config_parse_listen(":80", &ss, &len), -22);
	assert_int_equal(config_parse_listen("1.2.3.4:", &ss, &len), -22);
	assert_int_equal(config_parse_listen("1.2.3.4:+80", &ss, &len), -22);
	assert_int_equal(config_parse_listen("1.2.3.4:70000", &ss, &len), -22);
	assert_int_equal(config_parse_listen("", &ss, &len), -22);
}

static void test_load_missing_file(void **state)
{
	struct ti_config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_true(config_load("/nonexistent/tcpinspect.conf", &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot read config file /nonexistent/tcpinspect.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test(test_load_missing_file),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
