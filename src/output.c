// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "tcpinspect.h"

static int64_t realtime_offset_ns;

void clock_init(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	realtime_offset_ns = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL +
			     (rt.tv_nsec - mono.tv_nsec);
}

void clock_set_offset(int64_t offset_ns)
{
	realtime_offset_ns = offset_ns;
}

static void split_time(uint64_t mono_ns, time_t *sec, long *usec)
{
	int64_t wall = (int64_t)mono_ns + realtime_offset_ns;

	*sec = (time_t)(wall / 1000000000LL);
	*usec = (long)((wall % 1000000000LL) / 1000);
}

/*
 * The date and time of day of one second, formatted once: events arrive
 * thousands per second, and gmtime_r + strftime + snprintf were a tenth of
 * the decoder's time. Keyed by the exact second (records of several CPUs
 * are not in time order) and per thread (serve formats from several).
 */
struct sec_cache {
	time_t sec;
	bool valid;
	size_t len;
	char text[32];
};

static const char *cached_second(struct sec_cache *c, time_t sec, bool utc)
{
	struct tm tm;

	if (c->valid && c->sec == sec)
		return c->text;
	if (utc) {
		gmtime_r(&sec, &tm);
		c->len = strftime(c->text, sizeof(c->text), "%Y-%m-%dT%H:%M:%S", &tm);
	} else {
		localtime_r(&sec, &tm);
		c->len = strftime(c->text, sizeof(c->text), "%H:%M:%S", &tm);
	}
	c->sec = sec;
	c->valid = true;
	return c->text;
}

/* ".uuuuuu" (6 digits, zero-padded) at p; returns the end. */
static char *put_usec(char *p, long usec)
{
	*p++ = '.';
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	return p + 6;
}

/* buf[len] gets base + tail, cut (and terminated) like snprintf would. */
static void put_time(char *buf, size_t len, const char *base, size_t blen,
		     long usec, bool zulu)
{
	char tmp[48], *p;

	if (!len)
		return;
	if (blen > sizeof(tmp) - 9)
		blen = sizeof(tmp) - 9;
	memcpy(tmp, base, blen);
	p = put_usec(tmp + blen, usec);
	if (zulu)
		*p++ = 'Z';
	if ((size_t)(p - tmp) >= len)
		p = tmp + len - 1;
	memcpy(buf, tmp, (size_t)(p - tmp));
	buf[p - tmp] = '\0';
}

void fmt_rfc3339(uint64_t mono_ns, char *buf, size_t len)
{
	static __thread struct sec_cache c;
	const char *base;
	time_t sec;
	long usec;

	split_time(mono_ns, &sec, &usec);
	base = cached_second(&c, sec, true);
	put_time(buf, len, base, c.len, usec, true);
}

void fmt_clock(uint64_t mono_ns, char *buf, size_t len)
{
	static __thread struct sec_cache c;
	const char *base;
	time_t sec;
	long usec;

	split_time(mono_ns, &sec, &usec);
	base = cached_second(&c, sec, false);
	put_time(buf, len, base, c.len, usec, false);
}

/* Dotted quad by hand: glibc's inet_ntop formats IPv4 with sprintf. */
static void fmt_ipv4(const uint8_t *a, char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

/* The last IPv6 addresses formatted, per thread: a flow's events repeat
 * the same two, and inet_ntop's IPv6 path is a loop of sprintf calls. */
#define ADDR6_CACHE_SLOTS 4
struct addr6_slot {
	uint8_t addr[16];
	bool valid;
	char text[INET6_ADDRSTRLEN];
};

static const char *fmt_ipv6(const uint8_t *a)
{
	static __thread struct addr6_slot slot[ADDR6_CACHE_SLOTS];
	static __thread unsigned int next;
	struct addr6_slot *e;

	for (int i = 0; i < ADDR6_CACHE_SLOTS; i++)
		if (slot[i].valid && !memcmp(slot[i].addr, a, 16))
			return slot[i].text;
	e = &slot[next++ % ADDR6_CACHE_SLOTS];
	if (!inet_ntop(AF_INET6, a, e->text, sizeof(e->text))) {
		e->valid = false;
		return NULL;
	}
	memcpy(e->addr, a, 16);
	e->valid = true;
	return e->text;
}

const char *fmt_addr(unsigned int family, const uint8_t *addr, char *buf,
		     size_t len)
{
	char v4[INET_ADDRSTRLEN];
	const char *t;
	size_t n;

	if (family == TI_AF_INET) {
		fmt_ipv4(addr, v4);
		t = v4;
	} else if (family == TI_AF_INET6) {
		t = fmt_ipv6(addr);
	} else {
		t = NULL;
	}
	if (!t) {
		snprintf(buf, len, "?");
		return buf;
	}
	n = strlen(t);
	if (n >= len) /* as inet_ntop: no room is a failure, not a cut */
		return "?";
	memcpy(buf, t, n + 1);
	return buf;
}

/* Out of line: the buffer grows a few times per session, not per event. */
static bool jw_grow(struct jw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 512;
	char *nb;

	while (cap < w->len + n + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

/* Room for n more bytes (and the terminating NUL) at the end, or NULL
 * (out of memory: the record is marked and not written). */
static inline char *jw_room(struct jw *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (w->len + n + 1 > w->cap && !jw_grow(w, n))
		return NULL;
	return w->buf + w->len;
}

/* n bytes written at jw_room()'s pointer: keep them, keep the NUL. */
static inline void jw_commit(struct jw *w, size_t n)
{
	w->len += n;
	w->buf[w->len] = '\0';
}

static inline void jw_put(struct jw *w, const char *s, size_t n)
{
	char *p = jw_room(w, n);

	if (p) {
		memcpy(p, s, n);
		jw_commit(w, n);
	}
}

static void jw_putc(struct jw *w, char c)
{
	jw_put(w, &c, 1);
}

/* Bytes JSON strings carry as they are: not '"', '\\', controls, DEL
 * (RFC 8259 needs only the first three escaped; DEL is for terminals). */
static const bool json_plain[256] = {
	[0x20 ... 0x21] = true, /* '"' is 0x22 */
	[0x23 ... 0x5b] = true, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = true,
	[0x80 ... 0xff] = true,
};

/* Length of the run of plain bytes at the start of s. */
static inline size_t plain_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (json_plain[*p])
		p++;
	return (size_t)(p - (const unsigned char *)s);
}

static void jw_escaped_slow(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	jw_putc(w, '"');
	for (; *p; p++) {
		size_t run = plain_len((const char *)p);

		if (run)
			jw_put(w, (const char *)p, run);
		p += run;
		if (!*p)
			break;
		switch (*p) {
		case '"': jw_put(w, "\\\"", 2); break;
		case '\\': jw_put(w, "\\\\", 2); break;
		case '\n': jw_put(w, "\\n", 2); break;
		case '\r': jw_put(w, "\\r", 2); break;
		case '\t': jw_put(w, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0xf] };

			jw_put(w, u, 6);
		}
		}
	}
	jw_putc(w, '"');
}

/* The quoted string: one copy when nothing needs escaping, which is every
 * key and nearly every value (per-byte appends, then one append per piece,
 * were the decoder's top cost in bench/event_pipeline). */
/* lead (if not NUL), then the n plain bytes of s in quotes, then trail (if
 * not NUL), in one append. */
static void jw_put_quoted(struct jw *w, char lead, const char *s, size_t n,
			  char trail)
{
	char *p = jw_room(w, n + 4);
	size_t at = 0;

	if (!p)
		return;
	if (lead)
		p[at++] = lead;
	p[at++] = '"';
	memcpy(p + at, s, n);
	at += n;
	p[at++] = '"';
	if (trail)
		p[at++] = trail;
	jw_commit(w, at);
}

static void jw_escaped(struct jw *w, const char *s)
{
	size_t n = plain_len(s);

	if (s[n])
		jw_escaped_slow(w, s);
	else
		jw_put_quoted(w, 0, s, n, 0);
}

/* ,"key": (comma if a value precedes; no key inside arrays). A key that
 * needs no escaping (every key tcpinspect writes) goes out in one append:
 * three appends per key were a fifth of `watch`'s CPU under short
 * connections (perf). */
static void jw_key(struct jw *w, const char *key)
{
	size_t n = key ? plain_len(key) : 0;

	if (key && !key[n]) {
		jw_put_quoted(w, w->comma ? ',' : 0, key, n, ':');
	} else {
		if (w->comma)
			jw_putc(w, ',');
		if (key) {
			jw_escaped_slow(w, key);
			jw_putc(w, ':');
		}
	}
	w->comma = true;
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->comma = false;
	w->oom = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void jw_obj_begin(struct jw *w)
{
	if (w->comma)
		jw_putc(w, ',');
	jw_putc(w, '{');
	w->comma = false;
}

void jw_obj_key(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_putc(w, '{');
	w->comma = false;
}

void jw_obj_end(struct jw *w)
{
	jw_putc(w, '}');
	w->comma = true;
}

void jw_arr_begin(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_putc(w, '[');
	w->comma = false;
}

void jw_arr_end(struct jw *w)
{
	jw_putc(w, ']');
	w->comma = true;
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	jw_escaped(w, val);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char num[24], *p = num + sizeof(num);

	/* Digits right to left: snprintf's format parsing cost more than
	 * the rest of a number field. */
	do {
		*--p = (char)('0' + val % 10);
		val /= 10;
	} while (val);
	jw_key(w, key);
	jw_put(w, p, (size_t)(num + sizeof(num) - p));
}

void jw_hex64(struct jw *w, const char *key, uint64_t val)
{
	static const char hex[] = "0123456789abcdef";
	char num[18];

	/* "%016" PRIx64 by hand, in quotes: it is an id, not a number. */
	num[0] = num[17] = '"';
	for (int i = 16; i >= 1; i--) {
		num[i] = hex[val & 0xf];
		val >>= 4;
	}
	jw_key(w, key);
	jw_put(w, num, sizeof(num));
}

void jw_i64(struct jw *w, const char *key, int64_t val)
{
	char num[24];

	jw_key(w, key);
	jw_put(w, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, val));
}

void jw_dbl(struct jw *w, const char *key, double val)
{
	char num[40];

	jw_key(w, key);
	jw_put(w, num, (size_t)snprintf(num, sizeof(num), "%.6f", val));
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_key(w, key);
	jw_put(w, val ? "true" : "false", val ? 4 : 5);
}

int jw_flush_line(struct jw *w, FILE *f)
{
	if (w->oom)
		return -ENOMEM;
	jw_putc(w, '\n');
	if (w->oom)
		return -ENOMEM;
	if (fwrite(w->buf, 1, w->len, f) != w->len)
		return -EIO;
	return 0;
}

void out_json_error(const char *msg)
{
	struct jw w = {};

	jw_obj_begin(&w);
	jw_str(&w, "event", "error");
	jw_str(&w, "error", msg);
	jw_obj_end(&w);
	jw_flush_line(&w, stdout);
	fflush(stdout);
	jw_free(&w);
}
