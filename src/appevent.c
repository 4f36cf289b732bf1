// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "apphint.h"
#include "appevent.h"
#include "events.h"

/* Printing settings and counts: one process prints one stream of events,
 * so they are process-wide (the parser itself, apphint.c, is pure). */
static bool show_query;
static unsigned int payload_bytes;
static struct apphint_counts by_proto, by_method, by_host;
static uint64_t app_total;

void appevent_set_options(bool query, unsigned int payload)
{
	show_query = query;
	payload_bytes = payload;
}

static void parse_event(const struct ti_app_event *e, struct apphint *h)
{
	size_t n = e->cap_len <= TI_APP_PREFIX_LEN ? e->cap_len : TI_APP_PREFIX_LEN;

	apphint_parse(e->data, n, h);
	app_total++;
	apphint_count(&by_proto, apphint_proto_name(h->proto));
	if (h->proto == APP_HTTP1) /* HTTP/2's "PRI" is no request method */
		apphint_count(&by_method, h->method);
	if (h->proto == APP_HTTP1 && h->host[0])
		apphint_count(&by_host, h->host);
	else if (h->proto == APP_TLS && h->sni[0])
		apphint_count(&by_host, h->sni);
}

static void hex_payload(const struct ti_app_event *e, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = e->cap_len <= TI_APP_PREFIX_LEN ? e->cap_len : TI_APP_PREFIX_LEN;

	if (n > payload_bytes)
		n = payload_bytes;
	if (n > (len - 1) / 2)
		n = (len - 1) / 2;
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[e->data[i] >> 4];
		buf[2 * i + 1] = hex[e->data[i] & 0xf];
	}
	buf[2 * n] = '\0';
}

static void tuple_fields(struct jw *w, const struct ti_tuple *t)
{
	char a[64];

	jw_str(w, "family", t->family == TI_AF_INET6 ? "ipv6" : "ipv4");
	jw_str(w, "src", fmt_addr(t->family, t->saddr, a, sizeof(a)));
	jw_u64(w, "sport", t->sport);
	jw_str(w, "dst", fmt_addr(t->family, t->daddr, a, sizeof(a)));
	jw_u64(w, "dport", t->dport);
}

void app_event_json(struct jw *w, const struct ti_app_event *e,
		    const char *(*ifname_of)(unsigned int))
{
	struct apphint h;
	char path[APPHINT_PATH_MAX + 8], vb[16];

	parse_event(e, &h);
	tuple_fields(w, &e->tuple);
	jw_str(w, "proto", apphint_proto_name(h.proto));
	jw_u64(w, "payload_len", e->payload_len);
	jw_u64(w, "inspected_len", e->cap_len);
	switch (h.proto) {
	case APP_HTTP1:
	case APP_HTTP2:
		jw_str(w, "method", h.method);
		if (h.proto == APP_HTTP1) {
			apphint_display_path(&h, show_query, path, sizeof(path));
			jw_str(w, "path", path);
			jw_bool(w, "query_redacted", h.query_off && !show_query);
			if (h.host[0])
				jw_str(w, "host", h.host);
		}
		if (h.version[0])
			jw_str(w, "version", h.version);
		break;
	case APP_TLS:
		if (h.sni[0])
			jw_str(w, "sni", h.sni);
		jw_arr_begin(w, "alpn");
		for (int i = 0; i < h.n_alpn; i++)
			jw_str(w, NULL, h.alpn[i]);
		jw_arr_end(w);
		jw_arr_begin(w, "tls_versions");
		for (int i = 0; i < h.n_versions; i++)
			jw_str(w, NULL, apphint_tls_version_name(h.versions[i], vb, sizeof(vb)));
		jw_arr_end(w);
		jw_str(w, "hello_version", apphint_tls_version_name(h.hello_version, vb, sizeof(vb)));
		jw_u64(w, "ciphers", (uint64_t)h.n_ciphers);
		jw_u64(w, "extensions", (uint64_t)h.n_extensions);
		if (h.ja4[0])
			jw_str(w, "ja4", h.ja4);
		break;
	case APP_SSH:
		jw_str(w, "banner", h.banner);
		break;
	default:
		break;
	}
	if (h.proto != APP_UNKNOWN)
		jw_bool(w, "truncated", h.truncated || h.cut);
	if (payload_bytes) {
		char hex[2 * TI_APP_PREFIX_LEN + 1];

		hex_payload(e, hex, sizeof(hex));
		jw_str(w, "payload_hex", hex);
	}
	jw_u64(w, "ifindex", e->ifindex);
	if (ifname_of)
		jw_str(w, "ifname", ifname_of(e->ifindex));
}

void app_event_text(FILE *f, const struct ti_app_event *e,
		    const char *(*ifname_of)(unsigned int))
{
	struct apphint h;
	char path[APPHINT_PATH_MAX + 8], vb[16];
	const char *ifn = ifname_of ? ifname_of(e->ifindex) : "?";

	parse_event(e, &h);
	switch (h.proto) {
	case APP_HTTP1:
		apphint_display_path(&h, show_query, path, sizeof(path));
		fprintf(f, "%-11s %s %s host=%s %s%s", "http", h.method, path,
			h.host[0] ? h.host : "-", h.version[0] ? h.version : "HTTP/1.?",
			h.truncated || h.cut ? " (truncated)" : "");
		break;
	case APP_HTTP2:
		fprintf(f, "%-11s preface", "http2");
		break;
	case APP_TLS:
		fprintf(f, "%-11s sni=%s alpn=", "tls", h.sni[0] ? h.sni : "-");
		for (int i = 0; i < h.n_alpn; i++)
			fprintf(f, "%s%s", i ? "," : "", h.alpn[i]);
		fprintf(f, "%s versions=", h.n_alpn ? "" : "-");
		for (int i = 0; i < h.n_versions; i++)
			fprintf(f, "%s%s", i ? "," : "",
				apphint_tls_version_name(h.versions[i], vb, sizeof(vb)));
		fprintf(f, "%s ja4=%s%s", h.n_versions ? "" : "-",
			h.ja4[0] ? h.ja4 : "-", h.truncated ? " (truncated)" : "");
		break;
	case APP_SSH:
		fprintf(f, "%-11s %s", "ssh", h.banner);
		break;
	default:
		fprintf(f, "%-11s len=%u", "unknown", e->payload_len);
		break;
	}
	if (payload_bytes) {
		char hex[2 * TI_APP_PREFIX_LEN + 1];

		hex_payload(e, hex, sizeof(hex));
		fprintf(f, " payload=%s", hex);
	}
	fprintf(f, " %s\n", ifn);
}

static void counts_json(struct jw *w, const char *key,
			const struct apphint_counts *c)
{
	jw_obj_key(w, key);
	for (int i = 0; i < c->n; i++)
		jw_u64(w, c->keys[i].name, c->keys[i].count);
	if (c->other)
		jw_u64(w, "other", c->other);
	jw_obj_end(w);
}

void appevent_stats_json(struct jw *w)
{
	jw_obj_key(w, "app");
	jw_u64(w, "events", app_total);
	counts_json(w, "protocols", &by_proto);
	counts_json(w, "methods", &by_method);
	counts_json(w, "hosts", &by_host);
	jw_obj_end(w);
}

static void counts_text(FILE *f, const char *label,
			const struct apphint_counts *c)
{
	if (!c->n)
		return;
	fprintf(f, " %s:", label);
	for (int i = 0; i < c->n; i++)
		fprintf(f, " %s=%llu", c->keys[i].name,
			(unsigned long long)c->keys[i].count);
	if (c->other)
		fprintf(f, " other=%llu", (unsigned long long)c->other);
	fprintf(f, ";");
}

void appevent_stats_text(FILE *f)
{
	if (!app_total)
		return;
	fprintf(f, "tcpinspect: %llu app events;", (unsigned long long)app_total);
	counts_text(f, "protocols", &by_proto);
	counts_text(f, "methods", &by_method);
	counts_text(f, "hosts", &by_host);
	fprintf(f, "\n");
}
