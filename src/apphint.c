// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * apphint.c - application protocol hints from a connection's first bytes.
 *
 * Every read goes through struct rd, a bounds-checked reader: a length
 * field pointing past the data sets rd.short_read (the message was cut by
 * the capture prefix or is hostile) and yields zeros; nothing here trusts
 * a length field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apphint.h"

/* --- bounded reader ------------------------------------------------------ */

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool short_read;
};

static bool rd_has(const struct rd *r, size_t n)
{
	return r->off <= r->len && n <= r->len - r->off;
}

static unsigned int rd_u8(struct rd *r)
{
	if (!rd_has(r, 1)) {
		r->short_read = true;
		r->off = r->len;
		return 0;
	}
	return r->p[r->off++];
}

static unsigned int rd_u16(struct rd *r)
{
	unsigned int hi = rd_u8(r);

	return (hi << 8) | rd_u8(r);
}

static size_t rd_u24(struct rd *r)
{
	size_t v = rd_u8(r);

	v = (v << 8) | rd_u8(r);
	return (v << 8) | rd_u8(r);
}

static void rd_skip(struct rd *r, size_t n)
{
	if (!rd_has(r, n)) {
		r->short_read = true;
		r->off = r->len;
		return;
	}
	r->off += n;
}

/* A sub-reader over the next n bytes (fewer if the data ends first, which
 * marks both readers short). */
static struct rd rd_sub(struct rd *r, size_t n)
{
	struct rd s = { .p = r->p + (r->off <= r->len ? r->off : r->len) };

	if (rd_has(r, n)) {
		s.len = n;
		r->off += n;
	} else {
		s.len = r->off <= r->len ? r->len - r->off : 0;
		s.short_read = true;
		r->short_read = true;
		r->off = r->len;
	}
	return s;
}

/* Copy n bytes as printable ASCII into dst (size cap); sets *cut when the
 * value did not fit. */
static void copy_printable(char *dst, size_t cap, const uint8_t *src,
			   size_t n, bool *cut)
{
	size_t i, m = n < cap - 1 ? n : cap - 1;

	for (i = 0; i < m; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[m] = '\0';
	if (m < n)
		*cut = true;
}

/* --- SHA-256 (FIPS 180-4) -------------------------------------------------- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t blk[64])
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = hh + s1 + ch + sha_k[i] + w[i];
		uint32_t s0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = s0 + maj;

		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void apphint_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t blk[64];
	uint64_t bits = (uint64_t)len * 8;
	size_t off = 0, rest;

	for (; len - off >= 64; off += 64)
		sha256_block(h, data + off);
	rest = len - off;
	memset(blk, 0, sizeof(blk));
	if (rest)
		memcpy(blk, data + off, rest);
	blk[rest] = 0x80;
	if (rest >= 56) {
		sha256_block(h, blk);
		memset(blk, 0, sizeof(blk));
	}
	for (int i = 0; i < 8; i++)
		blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(h, blk);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* --- HTTP ------------------------------------------------------------------ */

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static bool is_tchar_upper(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* Case-insensitive "Host:" at p (n bytes available). */
static bool is_host_header(const uint8_t *p, size_t n)
{
	static const char name[] = "host:";

	if (n < sizeof(name) - 1)
		return false;
	for (size_t i = 0; i < sizeof(name) - 1; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)name[i])
			return false;
	}
	return true;
}

static const uint8_t *find_byte(const uint8_t *p, const uint8_t *end, uint8_t c)
{
	return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

static int parse_http1(const uint8_t *buf, size_t len, struct apphint *h)
{
	const uint8_t *end = buf + len, *p = buf, *sp1, *sp2, *eol, *tgt;
	size_t mlen;

	/* METHOD SP */
	/* At most APPHINT_METHOD_MAX - 1 characters: method[] needs its NUL
	 * (a 16-letter method overflowed it; found by fuzz_apphint). */
	while (p < end && p - buf < APPHINT_METHOD_MAX - 1 && is_tchar_upper(*p))
		p++;
	mlen = (size_t)(p - buf);
	if (mlen < 3 || p >= end || *p != ' ')
		return -1;
	sp1 = p;
	/* request-target SP HTTP/1.x CRLF; the line may be cut by the prefix */
	eol = find_byte(sp1 + 1, end, '\n');
	sp2 = NULL;
	for (p = (eol ? eol : end) - 1; p > sp1; p--)
		if (*p == ' ') {
			sp2 = p;
			break;
		}
	if (eol) {
		const uint8_t *v = sp2 ? sp2 + 1 : NULL;
		size_t vlen = v ? (size_t)(eol - v) : 0;

		if (vlen && v[vlen - 1] == '\r')
			vlen--;
		if (!v || vlen != 8 || memcmp(v, "HTTP/1.", 7) ||
		    (v[7] != '0' && v[7] != '1'))
			return -1;
		memcpy(h->version, v, 8);
		h->version[8] = '\0';
	} else {
		/* No end of line in the prefix: accept a well-known method
		 * only, since nothing else confirms this is HTTP. */
		static const char *const known[] = { "GET", "POST", "PUT", "DELETE",
			"HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE" };
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == mlen && !memcmp(buf, known[i], mlen))
				ok = true;
		if (!ok)
			return -1;
		sp2 = NULL;
		h->truncated = true;
	}
	h->proto = APP_HTTP1;
	memcpy(h->method, buf, mlen);
	h->method[mlen] = '\0';
	tgt = sp1 + 1;
	copy_printable(h->path, sizeof(h->path), tgt,
		       (size_t)((sp2 ? sp2 : end) - tgt), &h->cut);
	{
		const char *q = strchr(h->path, '?');

		h->query_off = q ? (size_t)(q - h->path) : 0;
	}
	if (!eol)
		return 0;
	/* Header lines until the empty line or the end of the prefix. */
	for (p = eol + 1; p < end;) {
		const uint8_t *nl = find_byte(p, end, '\n');
		const uint8_t *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			return 0; /* end of headers */
		if (is_host_header(p, n)) {
			const uint8_t *v = p + 5, *ve = p + n;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			copy_printable(h->host, sizeof(h->host), v,
				       (size_t)(ve - v), &h->cut);
			if (!nl)
				h->truncated = true;
			return 0;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	h->truncated = true; /* headers continue past the prefix */
	return 0;
}

/* --- TLS ------------------------------------------------------------------- */

#define TLS_EXT_SNI 0x0000
#define TLS_EXT_SIG_ALGS 0x000d
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_VERSIONS 0x002b

/* GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
static bool is_grease(unsigned int v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct tls_lists {
	uint16_t ciphers[APPHINT_LIST_MAX];
	uint16_t exts[APPHINT_LIST_MAX];
	uint16_t sigalgs[APPHINT_LIST_MAX];
	int n_ciphers, n_exts, n_sigalgs;
	bool overflow;
};

static void list_add(uint16_t *list, int *n, uint16_t v, bool *overflow)
{
	if (*n < APPHINT_LIST_MAX)
		list[(*n)++] = v;
	else
		*overflow = true;
}

static void parse_sni(struct rd r, struct apphint *h)
{
	struct rd list = rd_sub(&r, rd_u16(&r));

	while (rd_has(&list, 3)) {
		unsigned int type = rd_u8(&list);
		struct rd name = rd_sub(&list, rd_u16(&list));

		if (type == 0 && !h->sni[0]) {
			copy_printable(h->sni, sizeof(h->sni), name.p, name.len,
				       &h->cut);
			if (name.short_read)
				h->truncated = true;
		}
	}
}

static void parse_alpn(struct rd r, struct apphint *h)
{
	struct rd list = rd_sub(&r, rd_u16(&r));

	while (rd_has(&list, 1)) {
		struct rd proto = rd_sub(&list, rd_u8(&list));

		if (proto.short_read) {
			h->truncated = true;
			break;
		}
		if (h->n_alpn < APPHINT_ALPN_MAX)
			copy_printable(h->alpn[h->n_alpn++], APPHINT_ALPN_LEN,
				       proto.p, proto.len, &h->cut);
	}
}

static void parse_versions(struct rd r, struct apphint *h)
{
	struct rd list = rd_sub(&r, rd_u8(&r));

	while (rd_has(&list, 2)) {
		unsigned int v = rd_u16(&list);

		if (!is_grease(v) && h->n_versions < APPHINT_VERSIONS_MAX)
			h->versions[h->n_versions++] = (uint16_t)v;
	}
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* First 12 hex digits of SHA-256 over text, or twelve zeros if empty. */
static void hash12(const char *text, char out[13])
{
	uint8_t d[32];

	if (!*text) {
		memset(out, '0', 12);
		out[12] = '\0';
		return;
	}
	apphint_sha256((const uint8_t *)text, strlen(text), d);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* "0a0a,1301,..." of n values (4 lowercase hex digits each). */
static void hex_list(const uint16_t *v, int n, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off + 6 < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%04x",
					i ? "," : "", v[i]);
}

static char alnum_or_hex(uint8_t c, bool first)
{
	static const char hex[] = "0123456789abcdef";

	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return (char)c;
	return first ? hex[c >> 4] : hex[c & 0xf];
}

/*
 * JA4 (FoxIO's TLS client fingerprint, section "JA4"): sorted cipher and
 * extension lists make it stable against the extension-order
 * randomisation modern browsers do, which changes JA3 on every connection.
 *   t<ver><d|i><ciphers:2><exts:2><alpn first+last>_<sha256(sorted
 *   ciphers)[:12]>_<sha256(sorted exts minus SNI/ALPN "_" sigalgs)[:12]>
 */
static void make_ja4(struct apphint *h, struct tls_lists *l,
		     const char *first_alpn, size_t first_alpn_len)
{
	char ver[3], alpn[3], ch[13], eh[13];
	char text[APPHINT_LIST_MAX * 5 * 2 + 2];
	uint16_t top = h->hello_version, ext_sorted[APPHINT_LIST_MAX];
	int n_ext_sorted = 0;

	for (int i = 0; i < h->n_versions; i++)
		if (h->versions[i] > top)
			top = h->versions[i];
	switch (top) {
	case 0x0304: memcpy(ver, "13", 3); break;
	case 0x0303: memcpy(ver, "12", 3); break;
	case 0x0302: memcpy(ver, "11", 3); break;
	case 0x0301: memcpy(ver, "10", 3); break;
	case 0x0300: memcpy(ver, "s3", 3); break;
	default: memcpy(ver, "00", 3); break;
	}
	if (first_alpn_len) {
		alpn[0] = alnum_or_hex((uint8_t)first_alpn[0], true);
		alpn[1] = alnum_or_hex((uint8_t)first_alpn[first_alpn_len - 1], false);
	} else {
		alpn[0] = alpn[1] = '0';
	}
	alpn[2] = '\0';

	qsort(l->ciphers, (size_t)l->n_ciphers, sizeof(uint16_t), cmp_u16);
	hex_list(l->ciphers, l->n_ciphers, text, sizeof(text));
	hash12(text, ch);

	for (int i = 0; i < l->n_exts; i++)
		if (l->exts[i] != TLS_EXT_SNI && l->exts[i] != TLS_EXT_ALPN)
			ext_sorted[n_ext_sorted++] = l->exts[i];
	qsort(ext_sorted, (size_t)n_ext_sorted, sizeof(uint16_t), cmp_u16);
	hex_list(ext_sorted, n_ext_sorted, text, sizeof(text) / 2);
	if (l->n_sigalgs && n_ext_sorted) {
		size_t n = strlen(text);

		text[n] = '_';
		hex_list(l->sigalgs, l->n_sigalgs, text + n + 1,
			 sizeof(text) - n - 1);
	}
	hash12(text, eh);
	snprintf(h->ja4, sizeof(h->ja4), "t%.2s%c%02u%02u%.2s_%.12s_%.12s", ver,
		 h->sni[0] ? 'd' : 'i',
		 (unsigned int)(l->n_ciphers > 99 ? 99 : l->n_ciphers) % 100u,
		 (unsigned int)(l->n_exts > 99 ? 99 : l->n_exts) % 100u, alpn,
		 ch, eh);
}

static int parse_tls(const uint8_t *buf, size_t len, struct apphint *h)
{
	struct rd rec = { .p = buf, .len = len }, hs, body, exts;
	struct tls_lists l;
	const char *first_alpn = NULL;
	size_t first_alpn_len = 0;
	unsigned int rec_ver, rec_len, hs_type;
	size_t hs_len;

	if (len < 6 || buf[0] != 0x16 || buf[1] != 0x03 || buf[2] > 0x04)
		return -1;
	rd_u8(&rec);
	rec_ver = rd_u16(&rec);
	rec_len = rd_u16(&rec);
	hs = rd_sub(&rec, rec_len);
	hs_type = rd_u8(&hs);
	if (hs_type != 0x01 || rec_len < 4)
		return -1;
	memset(&l, 0, sizeof(l));
	h->proto = APP_TLS;
	h->record_version = (uint16_t)rec_ver;
	hs_len = rd_u24(&hs);
	body = rd_sub(&hs, hs_len);
	h->hello_version = (uint16_t)rd_u16(&body);
	rd_skip(&body, 32);             /* random */
	rd_skip(&body, rd_u8(&body));   /* legacy_session_id */
	{
		struct rd cs = rd_sub(&body, rd_u16(&body));

		while (rd_has(&cs, 2)) {
			unsigned int c = rd_u16(&cs);

			if (!is_grease(c))
				list_add(l.ciphers, &l.n_ciphers, (uint16_t)c, &l.overflow);
		}
		if (cs.short_read || cs.len % 2)
			body.short_read = true;
	}
	rd_skip(&body, rd_u8(&body));   /* legacy_compression_methods */
	if (rd_has(&body, 2)) {
		exts = rd_sub(&body, rd_u16(&body));
		while (rd_has(&exts, 4)) {
			unsigned int type = rd_u16(&exts);
			struct rd data = rd_sub(&exts, rd_u16(&exts));

			if (!is_grease(type))
				list_add(l.exts, &l.n_exts, (uint16_t)type, &l.overflow);
			switch (type) {
			case TLS_EXT_SNI:
				parse_sni(data, h);
				break;
			case TLS_EXT_ALPN: {
				struct rd a = data;
				struct rd list = rd_sub(&a, rd_u16(&a));
				unsigned int n = rd_u8(&list);

				if (n && rd_has(&list, n)) {
					first_alpn = (const char *)list.p + list.off;
					first_alpn_len = n;
				}
				parse_alpn(data, h);
				break;
			}
			case TLS_EXT_VERSIONS:
				parse_versions(data, h);
				break;
			case TLS_EXT_SIG_ALGS: {
				struct rd s = data;
				struct rd list = rd_sub(&s, rd_u16(&s));

				while (rd_has(&list, 2))
					list_add(l.sigalgs, &l.n_sigalgs,
						 (uint16_t)rd_u16(&list), &l.overflow);
				break;
			}
			default:
				break;
			}
			if (data.short_read)
				exts.short_read = true;
		}
		if (exts.short_read || exts.off != exts.len)
			body.short_read = true;
	}
	h->n_ciphers = l.n_ciphers;
	h->n_extensions = l.n_exts;
	if (rec.short_read || hs.short_read || body.short_read)
		h->truncated = true;
	/* A fingerprint of part of a hello would be a different, wrong one. */
	if (!h->truncated && !l.overflow)
		make_ja4(h, &l, first_alpn, first_alpn_len);
	return 0;
}

/* --- SSH ------------------------------------------------------------------- */

static int parse_ssh(const uint8_t *buf, size_t len, struct apphint *h)
{
	const uint8_t *end = buf + len, *eol;

	if (len < 8 || (memcmp(buf, "SSH-2.0-", 8) && (len < 9 || memcmp(buf, "SSH-1.99-", 9))))
		return -1;
	eol = find_byte(buf, end, '\n');
	if (!eol)
		h->truncated = true;
	else if (eol > buf && eol[-1] == '\r')
		eol--;
	h->proto = APP_SSH;
	copy_printable(h->banner, sizeof(h->banner), buf,
		       (size_t)((eol ? eol : end) - buf), &h->cut);
	return 0;
}

/* --- entry points ----------------------------------------------------------- */

int apphint_parse(const uint8_t *buf, size_t len, struct apphint *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!buf || !len)
		return 0;
	if (len >= sizeof(h2_preface) - 1 &&
	    !memcmp(buf, h2_preface, sizeof(h2_preface) - 1)) {
		out->proto = APP_HTTP2;
		memcpy(out->method, "PRI", 4);
		memcpy(out->version, "HTTP/2.0", 9);
		return 0;
	}
	if (!parse_tls(buf, len, out))
		return 0;
	memset(out, 0, sizeof(*out));
	if (!parse_ssh(buf, len, out))
		return 0;
	memset(out, 0, sizeof(*out));
	if (!parse_http1(buf, len, out))
		return 0;
	memset(out, 0, sizeof(*out));
	return 0;
}

const char *apphint_proto_name(enum apphint_proto proto)
{
	switch (proto) {
	case APP_HTTP1: return "http";
	case APP_HTTP2: return "http2";
	case APP_TLS: return "tls";
	case APP_SSH: return "ssh";
	default: return "unknown";
	}
}

const char *apphint_tls_version_name(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0x0300: return "SSL3.0";
	case 0x0301: return "TLS1.0";
	case 0x0302: return "TLS1.1";
	case 0x0303: return "TLS1.2";
	case 0x0304: return "TLS1.3";
	default:
		snprintf(buf, len, "0x%04x", v);
		return buf;
	}
}

void apphint_display_path(const struct apphint *h, bool show_query, char *buf,
			  size_t len)
{
	if (!len)
		return;
	if (show_query || !h->query_off) {
		snprintf(buf, len, "%s", h->path);
		return;
	}
	snprintf(buf, len, "%.*s?\xe2\x80\xa6", (int)h->query_off, h->path);
}

void apphint_count(struct apphint_counts *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strncmp(c->keys[i].name, name, APPHINT_COUNT_NAME - 1)) {
			c->keys[i].count++;
			return;
		}
	if (c->n < APPHINT_COUNT_KEYS) {
		snprintf(c->keys[c->n].name, APPHINT_COUNT_NAME, "%s", name);
		c->keys[c->n++].count = 1;
		return;
	}
	c->other++;
}
