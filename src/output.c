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

void fmt_rfc3339(uint64_t mono_ns, char *buf, size_t len)
{
	struct tm tm;
	time_t sec;
	long usec;
	char base[32];

	split_time(mono_ns, &sec, &usec);
	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, usec);
}

void fmt_clock(uint64_t mono_ns, char *buf, size_t len)
{
	struct tm tm;
	time_t sec;
	long usec;
	char base[16];

	split_time(mono_ns, &sec, &usec);
	localtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ld", base, usec);
}

const char *fmt_addr(unsigned int family, const uint8_t *addr, char *buf,
		     size_t len)
{
	if (family == TI_AF_INET)
		return inet_ntop(AF_INET, addr, buf, len) ? buf : "?";
	if (family == TI_AF_INET6)
		return inet_ntop(AF_INET6, addr, buf, len) ? buf : "?";
	snprintf(buf, len, "?");
	return buf;
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 512;
		char *nb;

		while (cap < w->len + n + 1)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void jw_putc(struct jw *w, char c)
{
	jw_put(w, &c, 1);
}

static void jw_escaped(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	jw_putc(w, '"');
	for (; *p; p++) {
		/* Keys and most values need no escaping: copy the run of
		 * plain characters at once (per-character appends were the
		 * decoder's top cost in bench/event_pipeline). */
		const unsigned char *run = p;

		while (*p >= 0x20 && *p != 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			jw_put(w, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"': jw_put(w, "\\\"", 2); break;
		case '\\': jw_put(w, "\\\\", 2); break;
		case '\n': jw_put(w, "\\n", 2); break;
		case '\r': jw_put(w, "\\r", 2); break;
		case '\t': jw_put(w, "\\t", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4],
					      hex[*p & 0xf] };
				jw_put(w, u, 6);
			} else {
				jw_putc(w, (char)*p);
			}
		}
	}
	jw_putc(w, '"');
}

static void jw_key(struct jw *w, const char *key)
{
	if (w->comma)
		jw_putc(w, ',');
	if (key) {
		jw_escaped(w, key);
		jw_putc(w, ':');
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
