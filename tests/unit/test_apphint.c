// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_apphint.c - the application hint parsers (src/apphint.c) on real
 * protocol bytes and on hostile ones: truncated TLS records, lengths past
 * the end, huge SNI, non-ASCII, every prefix of every sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "apphint.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* A ClientHello builder: enough TLS to write hostile variants. */
struct hb {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct hb *h, unsigned int v) { h->b[h->n++] = (uint8_t)v; }
static void put16(struct hb *h, unsigned int v) { put8(h, v >> 8); put8(h, v & 0xff); }
static void put_bytes(struct hb *h, const void *p, size_t n)
{
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

/* Patch a big-endian length of width bytes at off to cover up to the end. */
static void fix_len(struct hb *h, size_t off, int width)
{
	size_t v = h->n - off - (size_t)width;

	for (int i = width - 1; i >= 0; i--, v >>= 8)
		h->b[off + (size_t)i] = (uint8_t)v;
}

struct hello_opts {
	const char *sni;
	size_t sni_len; /* 0: strlen(sni) */
	const char *const *alpn;
	int n_alpn;
	bool grease;
	bool reverse_exts; /* same extensions, other order */
};

static void ext_sni(struct hb *h, const struct hello_opts *o)
{
	size_t n = o->sni_len ? o->sni_len : strlen(o->sni), e;

	put16(h, 0x0000);
	e = h->n;
	put16(h, 0);
	put16(h, (unsigned int)(n + 3));
	put8(h, 0);
	put16(h, (unsigned int)n);
	if (o->sni_len) {
		memset(h->b + h->n, 'a', n);
		h->n += n;
	} else {
		put_bytes(h, o->sni, n);
	}
	fix_len(h, e, 2);
}

static void ext_alpn(struct hb *h, const struct hello_opts *o)
{
	size_t e, l;

	put16(h, 0x0010);
	e = h->n;
	put16(h, 0);
	l = h->n;
	put16(h, 0);
	for (int i = 0; i < o->n_alpn; i++) {
		put8(h, (unsigned int)strlen(o->alpn[i]));
		put_bytes(h, o->alpn[i], strlen(o->alpn[i]));
	}
	fix_len(h, l, 2);
	fix_len(h, e, 2);
}

static void ext_versions(struct hb *h, bool grease)
{
	put16(h, 0x002b);
	put16(h, grease ? 7 : 5);
	put8(h, grease ? 6 : 4);
	if (grease)
		put16(h, 0x3a3a);
	put16(h, 0x0304);
	put16(h, 0x0303);
}

static void ext_sigalgs(struct hb *h)
{
	put16(h, 0x000d);
	put16(h, 8);
	put16(h, 6);
	put16(h, 0x0403);
	put16(h, 0x0804);
	put16(h, 0x0401);
}

static void build_hello(struct hb *h, const struct hello_opts *o)
{
	size_t rec, hs, exts;

	memset(h, 0, sizeof(*h));
	put8(h, 0x16);
	put16(h, 0x0301);
	rec = h->n;
	put16(h, 0);
	put8(h, 0x01);
	hs = h->n;
	put8(h, 0);
	put16(h, 0);
	put16(h, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(h, (unsigned int)i);
	put8(h, 0); /* session id */
	put16(h, o->grease ? 8 : 6);
	if (o->grease)
		put16(h, 0x2a2a);
	put16(h, 0x1301);
	put16(h, 0x1302);
	put16(h, 0xc02f);
	put8(h, 1);
	put8(h, 0); /* null compression */
	exts = h->n;
	put16(h, 0);
	if (o->grease) {
		put16(h, 0x1a1a);
		put16(h, 0);
	}
	if (!o->reverse_exts) {
		if (o->sni)
			ext_sni(h, o);
		if (o->n_alpn)
			ext_alpn(h, o);
		ext_versions(h, o->grease);
		ext_sigalgs(h);
	} else {
		ext_sigalgs(h);
		ext_versions(h, o->grease);
		if (o->n_alpn)
			ext_alpn(h, o);
		if (o->sni)
			ext_sni(h, o);
	}
	fix_len(h, exts, 2);
	fix_len(h, hs, 3);
	fix_len(h, rec, 2);
}

static const char *const alpn_h2[] = { "h2", "http/1.1" };

static void test_http_get(void **state)
{
	struct apphint h;
	char path[300];

	(void)state;
	assert_int_equal(apphint_parse(S("GET /search?q=secret&x=1 HTTP/1.1\r\n"
					 "User-Agent: curl/7.88.1\r\nHoST:  web.test:8080 \r\n"
					 "Accept: */*\r\n\r\n"), &h), 0);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.path, "/search?q=secret&x=1");
	assert_string_equal(h.host, "web.test:8080");
	assert_string_equal(h.version, "HTTP/1.1");
	assert_false(h.truncated);
	apphint_display_path(&h, false, path, sizeof(path));
	assert_string_equal(path, "/search?\xe2\x80\xa6");
	assert_null(strstr(path, "secret"));
	apphint_display_path(&h, true, path, sizeof(path));
	assert_string_equal(path, "/search?q=secret&x=1");
}

static void test_http_post_no_host_http10(void **state)
{
	struct apphint h;

	(void)state;
	apphint_parse(S("POST /upload HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"), &h);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/upload");
	assert_string_equal(h.host, "");
	assert_string_equal(h.version, "HTTP/1.0");
	assert_int_equal(h.query_off, 0);
}

static void test_http_cut_and_bad(void **state)
{
	struct apphint h;

	(void)state;
	/* Request line cut by the prefix: a known method is enough. */
	apphint_parse(S("GET /very/long/pa"), &h);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_true(h.truncated);
	assert_string_equal(h.path, "/very/long/pa");
	/* An unknown word without a complete line is not HTTP. */
	apphint_parse(S("HELLO world"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	/* Wrong version, lowercase method, missing target. */
	apphint_parse(S("GET / HTTP/3.0\r\n\r\n"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	apphint_parse(S("get / HTTP/1.1\r\n\r\n"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	apphint_parse(S("GET HTTP/1.1\r\n\r\n"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	/* Any port, custom method token. */
	apphint_parse(S("PROPFIND /dav HTTP/1.1\r\nHost: d\r\n\r\n"), &h);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_string_equal(h.method, "PROPFIND");
}

static void test_http_hostile(void **state)
{
	static uint8_t big[8192];
	struct apphint h;
	size_t n;

	(void)state;
	/* Non-ASCII and control bytes in target and Host become '?'. */
	apphint_parse(S("GET /\xff\x01x HTTP/1.1\r\nHost: a\xc3\xa9\x7f\r\n\r\n"), &h);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_string_equal(h.path, "/??x");
	assert_string_equal(h.host, "a???");
	/* A huge target is cut and flagged, never overflows. */
	n = (size_t)snprintf((char *)big, sizeof(big), "GET /");
	memset(big + n, 'p', 5000);
	n += 5000;
	n += (size_t)snprintf((char *)big + n, sizeof(big) - n,
			      " HTTP/1.1\r\nHost: h\r\n\r\n");
	apphint_parse(big, n, &h);
	assert_int_equal(h.proto, APP_HTTP1);
	assert_true(h.cut);
	assert_int_equal(strlen(h.path), APPHINT_PATH_MAX - 1);
	assert_string_equal(h.host, "h");
}

static void test_h2_preface(void **state)
{
	struct apphint h;

	(void)state;
	apphint_parse(S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04"), &h);
	assert_int_equal(h.proto, APP_HTTP2);
	assert_string_equal(h.version, "HTTP/2.0");
	/* Half a preface is neither HTTP/2 nor HTTP/1. */
	apphint_parse(S("PRI * HTTP/2.0\r\n"), &h);
	assert_int_not_equal(h.proto, APP_HTTP2);
	assert_int_not_equal(h.proto, APP_HTTP1);
}

static void test_tls_hello(void **state)
{
	struct hello_opts o = { .sni = "api.example.test", .alpn = alpn_h2, .n_alpn = 2 };
	struct hb b;
	struct apphint h;

	(void)state;
	build_hello(&b, &o);
	assert_int_equal(apphint_parse(b.b, b.n, &h), 0);
	assert_int_equal(h.proto, APP_TLS);
	assert_string_equal(h.sni, "api.example.test");
	assert_int_equal(h.n_alpn, 2);
	assert_string_equal(h.alpn[0], "h2");
	assert_string_equal(h.alpn[1], "http/1.1");
	assert_int_equal(h.n_versions, 2);
	assert_int_equal(h.versions[0], 0x0304);
	assert_int_equal(h.hello_version, 0x0303);
	assert_int_equal(h.n_ciphers, 3);
	assert_int_equal(h.n_extensions, 4);
	assert_false(h.truncated);
	/* t, TLS 1.3, SNI present, 3 ciphers, 4 extensions, ALPN "h2". */
	assert_int_equal(strlen(h.ja4), 36);
	assert_memory_equal(h.ja4, "t13d0304h2_", 11);
}

static void test_ja4_stable(void **state)
{
	struct hello_opts o = { .sni = "a.test", .alpn = alpn_h2, .n_alpn = 2 };
	struct hb b;
	struct apphint h1, h2, h3;

	(void)state;
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h1);
	o.reverse_exts = true; /* extension order randomised */
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h2);
	o.grease = true;       /* GREASE values added */
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h3);
	assert_string_equal(h1.ja4, h2.ja4);
	assert_string_equal(h1.ja4, h3.ja4);
	assert_int_equal(h3.n_ciphers, 3);
	assert_int_equal(h3.n_versions, 2);
	/* No SNI: 'i' instead of 'd'. */
	o.sni = NULL;
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h3);
	assert_int_equal(h3.ja4[3], 'i');
	assert_string_equal(h3.sni, "");
}

static void test_tls_truncated_every_prefix(void **state)
{
	struct hello_opts o = { .sni = "prefix.test", .alpn = alpn_h2, .n_alpn = 2 };
	struct hb b;
	struct apphint h;

	(void)state;
	build_hello(&b, &o);
	for (size_t n = 0; n < b.n; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */

		assert_non_null(copy);
		memcpy(copy, b.b, n);
		assert_int_equal(apphint_parse(copy, n, &h), 0);
		if (h.proto == APP_TLS) {
			assert_true(h.truncated);
			assert_string_equal(h.ja4, "");
		}
		free(copy);
	}
}

static void test_tls_lengths_past_end(void **state)
{
	struct hello_opts o = { .sni = "x.test", .alpn = alpn_h2, .n_alpn = 2 };
	struct hb b;
	struct apphint h;

	(void)state;
	build_hello(&b, &o);
	/* Every 16-bit length-looking byte pair set to 0xffff in turn. */
	for (size_t i = 3; i + 1 < b.n; i++) {
		struct hb m = b;

		m.b[i] = 0xff;
		m.b[i + 1] = 0xff;
		assert_int_equal(apphint_parse(m.b, m.n, &h), 0);
		assert_true(strlen(h.sni) < APPHINT_HOST_MAX);
		assert_true(h.n_alpn <= APPHINT_ALPN_MAX);
	}
	/* Record says handshake but it is not a ClientHello. */
	b.b[5] = 0x02;
	apphint_parse(b.b, b.n, &h);
	assert_int_not_equal(h.proto, APP_TLS);
}

static void test_tls_huge_sni_nonascii(void **state)
{
	struct hello_opts o = { .sni = "", .sni_len = 3000 };
	struct hb b;
	struct apphint h;

	(void)state;
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h);
	assert_int_equal(h.proto, APP_TLS);
	assert_true(h.cut);
	assert_int_equal(strlen(h.sni), APPHINT_HOST_MAX - 1);

	o.sni = "b\xc3\xa4\x01.test";
	o.sni_len = 0;
	build_hello(&b, &o);
	apphint_parse(b.b, b.n, &h);
	assert_string_equal(h.sni, "b???.test");
}

static void test_ssh_and_unknown(void **state)
{
	struct apphint h;

	(void)state;
	apphint_parse(S("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), &h);
	assert_int_equal(h.proto, APP_SSH);
	assert_string_equal(h.banner, "SSH-2.0-OpenSSH_9.2p1 Debian-2");
	apphint_parse(S("SSH-2.0-cut"), &h);
	assert_int_equal(h.proto, APP_SSH);
	assert_true(h.truncated);
	apphint_parse(S("SSH-3.0-x\r\n"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	apphint_parse(S("\x00\x01\x02\x03"), &h);
	assert_int_equal(h.proto, APP_UNKNOWN);
	assert_int_equal(apphint_parse(NULL, 0, &h), 0);
	assert_int_equal(h.proto, APP_UNKNOWN);
	assert_int_equal(apphint_parse(S("x"), NULL), -22);
}

static void test_random_bytes(void **state)
{
	uint8_t buf[600];
	struct apphint h;
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		/* Steer some rounds into the TLS and HTTP parsers. */
		if (n > 6 && round % 3 == 0) {
			buf[0] = 0x16, buf[1] = 0x03, buf[2] = 0x01, buf[5] = 0x01;
		} else if (n > 6 && round % 3 == 1) {
			memcpy(buf, "GET /", 5);
		}
		assert_int_equal(apphint_parse(buf, n, &h), 0);
		assert_true(strlen(h.path) < APPHINT_PATH_MAX);
		assert_true(strlen(h.host) < APPHINT_HOST_MAX);
		assert_true(strlen(h.sni) < APPHINT_HOST_MAX);
	}
}

static void test_sha256(void **state)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	/* FIPS 180-2 two-block message. */
	static const uint8_t two[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
		0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
		0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1,
	};
	uint8_t d[32];

	(void)state;
	apphint_sha256((const uint8_t *)"abc", 3, d);
	assert_memory_equal(d, abc, 32);
	apphint_sha256(S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), d);
	assert_memory_equal(d, two, 32);
}

static void test_counts_bounded(void **state)
{
	struct apphint_counts c;
	char name[32];

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < APPHINT_COUNT_KEYS + 10; i++) {
		snprintf(name, sizeof(name), "host%d.test", i);
		apphint_count(&c, name);
		apphint_count(&c, "host0.test");
	}
	assert_int_equal(c.n, APPHINT_COUNT_KEYS);
	assert_int_equal(c.other, 10);
	assert_string_equal(c.keys[0].name, "host0.test");
	assert_int_equal(c.keys[0].count, APPHINT_COUNT_KEYS + 10 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get),
		cmocka_unit_test(test_http_post_no_host_http10),
		cmocka_unit_test(test_http_cut_and_bad),
		cmocka_unit_test(test_http_hostile),
		cmocka_unit_test(test_h2_preface),
		cmocka_unit_test(test_tls_hello),
		cmocka_unit_test(test_ja4_stable),
		cmocka_unit_test(test_tls_truncated_every_prefix),
		cmocka_unit_test(test_tls_lengths_past_end),
		cmocka_unit_test(test_tls_huge_sni_nonascii),
		cmocka_unit_test(test_ssh_and_unknown),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_counts_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
