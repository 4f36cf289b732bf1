// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_cliopts.c - the shared option parser (src/cliopts.c): every kind of
 * value it stores, list limits, the errors it reports, the command's own
 * options and extra long options, and where the remaining words start.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cliopts.h"
#include "log.h"
#include "system.h"

#define MAX_ARGS 160

struct t_opts {
	struct ti_iface ifaces[TI_MAX_IFACES];
	int n_ifaces;
	char names[TI_MAX_IFACES][IF_NAMESIZE];
	int n_names;
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	uint16_t family;
	enum ti_mode mode;
	double duration;
	uint64_t count;
	bool json, all_packets, app, show_query, no_privdrop;
	uint64_t payload;
	const char *user, *file;
	int own_calls, own_key, extra_calls;
	const char *own_arg;
};

enum { T_OWN = CLIOPT_KEY_OWN, T_FILE, T_EXTRA = 4000 };

static int t_own(void *opts, int key, const char *arg)
{
	struct t_opts *o = opts;

	if (key == T_EXTRA) {
		o->extra_calls++;
		return 0;
	}
	o->own_calls++;
	o->own_key = key;
	o->own_arg = arg;
	return strcmp(arg, "bad") ? 0 : -EINVAL;
}

static void t_usage(FILE *f)
{
	fprintf(f, "usage\n");
}

static const struct cliopt t_table[] = {
	CLIOPT_INTERFACE(struct t_opts, ifaces, n_ifaces),
	{ "ifname", 'n', CLIOPT_T_IFNAMES, offsetof(struct t_opts, names),
	  offsetof(struct t_opts, n_names), 0, 0 },
	CLIOPT_PORT(struct t_opts, ports, nports),
	CLIOPT_46(struct t_opts, family),
	CLIOPT_MODE(struct t_opts, mode),
	CLIOPT_DURATION(struct t_opts, duration),
	CLIOPT_COUNT(struct t_opts, count),
	CLIOPT_JSON(struct t_opts, json),
	CLIOPT_ALL_PACKETS(struct t_opts, all_packets),
	CLIOPT_APP(struct t_opts, CLIOPT_T_UNSET, app, show_query, payload),
	CLIOPT_PRIVDROP(struct t_opts, user, no_privdrop),
	{ "file", T_FILE, CLIOPT_T_STR, offsetof(struct t_opts, file), 0, 0, 0 },
	{ "own", 'o', CLIOPT_T_OWN, 0, 0, 0, 0 },
	CLIOPT_HELP,
};

static const struct option t_extra[] = {
	{ "extra", no_argument, NULL, T_EXTRA },
	{}
};

static const struct clicmd t_cmd = {
	.name = "test", .opts = t_table, .n_opts = ARRAY_SIZE(t_table),
	.extra = t_extra, .own = t_own, .usage = t_usage,
};

static const struct clicmd t_cmd_noargs = {
	.name = "test", .opts = t_table, .n_opts = ARRAY_SIZE(t_table),
	.own = t_own, .usage = t_usage, .no_args = true,
};

/* Parse a NULL-terminated list of words after the command name. */
static int parse_cmd(const struct clicmd *cmd, struct t_opts *o, ...)
{
	static char *argv[MAX_ARGS];
	int argc = 0;
	va_list ap;

	memset(o, 0, sizeof(*o));
	o->app = true;
	argv[argc++] = "test";
	va_start(ap, o);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return cliopts_parse(cmd, argc, argv, o);
}

#define PARSE(o, ...) parse_cmd(&t_cmd, o, __VA_ARGS__, NULL)

/* Output to fd (stderr: text errors, stdout: JSON ones) goes to a file
 * between err_begin() and err_end(), which returns what was written. */
static FILE *err_file;
static int saved_fd = -1, err_fd;
static char err_text[1024];

static void err_begin(int fd)
{
	err_file = tmpfile();
	assert_non_null(err_file);
	fflush(NULL);
	err_fd = fd;
	saved_fd = dup(fd);
	assert_true(saved_fd >= 0);
	assert_true(dup2(fileno(err_file), fd) >= 0);
}

static const char *err_end(void)
{
	size_t n;

	fflush(NULL);
	dup2(saved_fd, err_fd);
	close(saved_fd);
	rewind(err_file);
	n = fread(err_text, 1, sizeof(err_text) - 1, err_file);
	err_text[n] = '\0';
	fclose(err_file);
	return err_text;
}

/* The words (NULL-terminated) are rejected with exactly this error line. */
#define EXPECT_ERROR(line, ...)                                                \
	do {                                                                   \
		struct t_opts eo;                                              \
		err_begin(STDERR_FILENO);                                      \
		int r_ = parse_cmd(&t_cmd_noargs, &eo, __VA_ARGS__, NULL);     \
		assert_string_equal(err_end(), "tcpinspect: " line "\n");      \
		assert_int_equal(r_, -EINVAL);                                 \
	} while (0)

static void test_defaults_untouched(void **state)
{
	struct t_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "word"), 1);
	assert_int_equal(o.n_ifaces, 0);
	assert_int_equal(o.nports, 0);
	assert_int_equal(o.family, 0);
	assert_int_equal(o.mode, TI_MODE_AUTO);
	assert_true(o.app);
	assert_false(o.json);
	assert_null(o.user);
}

static void test_every_kind(void **state)
{
	struct t_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-i", "lo", "-n", "eth9", "--port", "80",
			       "-p", "443", "-6", "--mode", "tc", "-d", "1.5",
			       "--count=7", "--all-packets", "--no-app",
			       "--show-query", "--payload", "16", "--user", "nobody",
			       "--no-privdrop", "--file", "x.pcap"), 25);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0].name, "lo");
	assert_int_equal(o.ifaces[0].ifindex, if_nametoindex("lo"));
	assert_int_equal(o.n_names, 1);
	assert_string_equal(o.names[0], "eth9");
	assert_int_equal(o.nports, 2);
	assert_memory_equal(o.ports, ((uint16_t[]){ 80, 443 }), 2 * sizeof(uint16_t));
	assert_int_equal(o.family, TI_AF_INET6);
	assert_int_equal(o.mode, TI_MODE_TC);
	assert_true(o.duration > 1.49 && o.duration < 1.51);
	assert_int_equal(o.count, 7);
	assert_true(o.all_packets);
	assert_false(o.app);
	assert_true(o.show_query);
	assert_int_equal(o.payload, 16);
	assert_string_equal(o.user, "nobody");
	assert_true(o.no_privdrop);
	assert_string_equal(o.file, "x.pcap");
	assert_int_equal(o.own_calls, 0);
}

/* GNU permutation: the words that are not options end up at the end. */
static void test_words_after_options(void **state)
{
	struct t_opts o;
	int at;

	(void)state;
	at = PARSE(&o, "tcp", "-p", "22", "and", "-4", "port", "22");
	assert_int_equal(at, 4);
	assert_int_equal(o.nports, 1);
	assert_int_equal(o.family, TI_AF_INET);
	/* "--" ends the options: what follows is a word even if it looks like one. */
	at = PARSE(&o, "-p", "22", "--", "-4");
	assert_int_equal(at, 4);
	assert_int_equal(o.family, 0);
}

static void test_own_and_extra(void **state)
{
	struct t_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-o", "v1", "--extra", "--own=v2"), 5);
	assert_int_equal(o.own_calls, 2);
	assert_int_equal(o.own_key, 'o');
	assert_string_equal(o.own_arg, "v2");
	assert_int_equal(o.extra_calls, 1);
	assert_int_equal(PARSE(&o, "-o", "bad"), -EINVAL);
	/* A table with CLIOPT_T_OWN entries needs the callback. */
	struct clicmd no_cb = t_cmd;

	no_cb.own = NULL;
	memset(&o, 0, sizeof(o));
	assert_int_equal(cliopts_parse(&no_cb, 1, (char *[]){ "test", NULL }, &o),
			 -EINVAL);
	/* Without extra options, --extra is unknown. */
	assert_int_equal(parse_cmd(&t_cmd_noargs, &o, "--extra", NULL), -EINVAL);
	assert_int_equal(o.extra_calls, 0);
}

/* Bad values and usage errors: each line is rejected. */
static void test_rejected(void **state)
{
	static char *const bad[][3] = {
		{ "-p", "0" }, { "-p", "65536" }, { "-p", "http" },
		{ "-i", "no-such-if0" }, { "-i", "0123456789abcdefXYZ" },
		{ "-n", "0123456789abcdefXYZ" }, { "--mode", "fast" },
		{ "-d", "0" }, { "-d", "-1" }, { "-c", "0" }, { "-c", "-3" },
		{ "--payload", "1025" }, { "-4", "-6" }, { "-4", "-4" }, { "-x" },
		{ "--no-such-option" }, { "-p" }, { "--mode" }, { "--json=yes" },
	};
	struct t_opts o;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(PARSE(&o, bad[i][0], bad[i][1], bad[i][2]), -EINVAL);
	assert_int_equal(PARSE(&o, "--payload", "1024"), 3);
	assert_int_equal(o.payload, 1024);
	assert_int_equal(parse_cmd(&t_cmd_noargs, &o, "-4", "stray", NULL), -EINVAL);
	assert_int_equal(parse_cmd(&t_cmd_noargs, &o, "-4", NULL), 2);
}

static void test_list_limits(void **state)
{
	static char nums[TI_MAX_PORTS + 1][8];
	static char *argv[MAX_ARGS];
	struct t_opts o;
	int argc = 0;

	(void)state;
	argv[argc++] = "test";
	for (int i = 0; i < TI_MAX_PORTS; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%d", 1000 + i);
		argv[argc++] = "-p";
		argv[argc++] = nums[i];
	}
	memset(&o, 0, sizeof(o));
	assert_int_equal(cliopts_parse(&t_cmd, argc, argv, &o), argc);
	assert_int_equal(o.nports, TI_MAX_PORTS);
	assert_int_equal(o.ports[TI_MAX_PORTS - 1], 1000 + TI_MAX_PORTS - 1);
	snprintf(nums[TI_MAX_PORTS], sizeof(nums[0]), "%d", 9);
	argv[argc++] = "-p";
	argv[argc++] = nums[TI_MAX_PORTS];
	memset(&o, 0, sizeof(o));
	assert_int_equal(cliopts_parse(&t_cmd, argc, argv, &o), -EINVAL);

	/* Names: TI_MAX_IFACES fit, one more does not. */
	argc = 1;
	for (int i = 0; i <= TI_MAX_IFACES; i++) {
		argv[argc++] = "-n";
		argv[argc++] = "eth0";
	}
	memset(&o, 0, sizeof(o));
	assert_int_equal(cliopts_parse(&t_cmd, argc - 2, argv, &o), argc - 2);
	assert_int_equal(o.n_names, TI_MAX_IFACES);
	memset(&o, 0, sizeof(o));
	assert_int_equal(cliopts_parse(&t_cmd, argc, argv, &o), -EINVAL);
}

/* The wording every command prints, unchanged from before the table. */
static void test_error_lines(void **state)
{
	(void)state;
	EXPECT_ERROR("-4 and -6 are exclusive", "-4", "-6");
	EXPECT_ERROR("option '-p' needs a value", "-p");
	EXPECT_ERROR("option '--mode' needs a value", "--mode");
	EXPECT_ERROR("unknown option '-x' (see tcpinspect test --help)", "-x");
	EXPECT_ERROR("unknown option '--bogus' (see tcpinspect test --help)", "--bogus");
	EXPECT_ERROR("unexpected argument 'stray' (see tcpinspect test --help)",
		     "-4", "stray");
	EXPECT_ERROR("interface 'lo' given twice", "-i", "lo", "-i", "lo");
	EXPECT_ERROR("no such interface: 'no-such-if0'", "-i", "no-such-if0");
	EXPECT_ERROR("invalid interface name 'abcdefghijklmnopq'", "-n",
		     "abcdefghijklmnopq");
	EXPECT_ERROR("invalid value for --port: '0' (expected a number from 1 to 65535)",
		     "-p", "0");
	EXPECT_ERROR("invalid value for --mode: 'fast' (expected auto, native, generic or tc)",
		     "--mode", "fast");
	EXPECT_ERROR("invalid value for --duration: 'x' (expected seconds > 0)",
		     "-d", "x");
	EXPECT_ERROR("invalid value for --count: '0' (expected a number from 1 to 18446744073709551615)",
		     "--count", "0");
}

/* With --json anywhere before "--", even the first error is JSON. */
static void test_json_errors(void **state)
{
	struct t_opts o;
	int r;

	(void)state;
	err_begin(STDOUT_FILENO);
	r = PARSE(&o, "-x", "--json");
	assert_string_equal(err_end(),
			    "{\"event\":\"error\",\"error\":\"unknown option '-x' (see tcpinspect test --help)\"}\n");
	log_set_json(false);
	assert_int_equal(r, -EINVAL);
	/* After "--" it is a word, not the option. */
	EXPECT_ERROR("unknown option '-x' (see tcpinspect test --help)", "-x", "--", "--json");
}

#define EV_VALID "packet, state, retransmit, reset_received, reset_sent, app, " \
	"alert, accept, handshake, close, drop, listen_overflow"

/* --events: one error line naming what is wrong, then the valid kinds. */
static void expect_events_error(const char *arg, const char *want)
{
	uint32_t mask = 0x5a5a;
	char line[512];
	int r;

	snprintf(line, sizeof(line), "tcpinspect: invalid value for --events: %s (valid kinds: " EV_VALID ")\n",
		 want);
	err_begin(STDERR_FILENO);
	r = cliopt_events(arg, &mask);
	assert_string_equal(err_end(), line);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(mask, 0x5a5a); /* untouched on error */
}

static void test_events_list(void **state)
{
	char long_list[300];
	uint32_t mask = 0;

	(void)state;
	assert_int_equal(cliopt_events("close", &mask), 0);
	assert_int_equal(mask, TI_EV_BIT(TI_EV_CLOSE));
	assert_int_equal(cliopt_events("packet,accept,packet", &mask), 0);
	assert_int_equal(mask, TI_EV_BIT(TI_EV_PACKET) | TI_EV_BIT(TI_EV_ACCEPT));
	assert_int_equal(cliopt_events("packet,state,retransmit,reset_received,"
				       "reset_sent,app,alert,accept,handshake,"
				       "close,drop,listen_overflow", &mask), 0);
	for (int t = 0; t < TI_EV_MAX; t++)
		assert_int_equal(!!(mask & TI_EV_BIT(t)),
				 t != TI_EV_NONE && t != TI_EV_CAPTURE);
	expect_events_error("", "empty list");
	expect_events_error("close,bogus", "unknown event kind 'bogus'");
	expect_events_error("Close", "unknown event kind 'Close'");
	expect_events_error("none", "unknown event kind 'none'");
	expect_events_error("capture", "unknown event kind 'capture'");
	expect_events_error("close,", "'close,' has an empty kind");
	expect_events_error(",close", "',close' has an empty kind");
	expect_events_error("close,,state", "'close,,state' has an empty kind");
	memset(long_list, 'a', sizeof(long_list) - 1);
	long_list[sizeof(long_list) - 1] = '\0';
	err_begin(STDERR_FILENO);
	assert_int_equal(cliopt_events(long_list, &mask), -EINVAL);
	assert_string_equal(err_end(),
			    "tcpinspect: invalid value for --events: too long (at most 255 characters)\n");
}

static void test_iface_twice(void **state)
{
	struct t_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-i", "lo", "-i", "lo"), -EINVAL);
	assert_int_equal(o.n_ifaces, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_untouched),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_words_after_options),
		cmocka_unit_test(test_own_and_extra),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_iface_twice),
		cmocka_unit_test(test_events_list),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_json_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
