/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * apphint.h - what the first payload bytes of a connection say about the
 * application: HTTP/1.x request line and Host, the HTTP/2 cleartext
 * preface, a TLS ClientHello (SNI, ALPN, versions, JA4 fingerprint) or an
 * SSH version banner.
 *
 * Pure: no global state, no allocation, any input bytes of any length
 * (hostile ones included) give a result or APP_UNKNOWN, never a read past
 * buf + len. Strings in struct apphint are NUL-terminated, bounded (longer
 * values are cut and flagged) and printable ASCII: other bytes become '?'.
 */
#ifndef TI_APPHINT_H
#define TI_APPHINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APPHINT_METHOD_MAX 16
#define APPHINT_PATH_MAX 256
#define APPHINT_HOST_MAX 256
#define APPHINT_BANNER_MAX 256
#define APPHINT_ALPN_MAX 8      /* ALPN protocols kept */
#define APPHINT_ALPN_LEN 32
#define APPHINT_VERSIONS_MAX 16 /* supported_versions entries kept */
#define APPHINT_JA4_LEN 40      /* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */
#define APPHINT_LIST_MAX 128    /* ciphers / extensions kept for JA4 */

enum apphint_proto {
	APP_UNKNOWN = 0,
	APP_HTTP1,
	APP_HTTP2,
	APP_TLS,
	APP_SSH,
};

struct apphint {
	enum apphint_proto proto;
	/* The message continues past the bytes given: what is there was
	 * parsed; fields after the cut are missing. */
	bool truncated;
	/* A string field was longer than its buffer and was cut. */
	bool cut;

	/* APP_HTTP1 (and APP_HTTP2: version "HTTP/2.0") */
	char method[APPHINT_METHOD_MAX];
	char path[APPHINT_PATH_MAX];    /* request target, query included */
	size_t query_off;               /* index of '?' in path, 0 if none */
	char host[APPHINT_HOST_MAX];    /* Host header, "" if absent */
	char version[12];               /* "HTTP/1.1" */

	/* APP_TLS */
	uint16_t record_version;        /* record layer, e.g. 0x0301 */
	uint16_t hello_version;         /* legacy_version of the hello */
	char sni[APPHINT_HOST_MAX];     /* server_name, "" if absent */
	char alpn[APPHINT_ALPN_MAX][APPHINT_ALPN_LEN];
	int n_alpn;
	uint16_t versions[APPHINT_VERSIONS_MAX]; /* supported_versions, GREASE removed */
	int n_versions;
	int n_ciphers;                  /* GREASE removed */
	int n_extensions;               /* GREASE removed */
	char ja4[APPHINT_JA4_LEN];      /* "" when the hello was truncated */

	/* APP_SSH */
	char banner[APPHINT_BANNER_MAX]; /* "SSH-2.0-OpenSSH_9.2p1" */
};

/* Parse the first bytes of a client's byte stream. Returns 0 and fills
 * *out (APP_UNKNOWN when nothing matched); -EINVAL only for NULL out. */
int apphint_parse(const uint8_t *buf, size_t len, struct apphint *out);

const char *apphint_proto_name(enum apphint_proto proto);
/* "TLS1.3" style name of a TLS version number, or "0x7a7a" form. */
const char *apphint_tls_version_name(uint16_t v, char *buf, size_t len);
/* The request target for display: the query string replaced by "…"
 * (UTF-8 ellipsis) unless show_query. */
void apphint_display_path(const struct apphint *h, bool show_query,
			  char *buf, size_t len);

/* SHA-256 (FIPS 180-4), for the JA4 hashes. */
void apphint_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/*
 * Counts by name with bounded cardinality: the first APPHINT_COUNT_KEYS
 * distinct names get their own counter, every later one adds to "other".
 */
#define APPHINT_COUNT_KEYS 32
#define APPHINT_COUNT_NAME 64

struct apphint_counter {
	char name[APPHINT_COUNT_NAME];
	uint64_t count;
};

struct apphint_counts {
	struct apphint_counter keys[APPHINT_COUNT_KEYS];
	int n;
	uint64_t other;
};

void apphint_count(struct apphint_counts *c, const char *name);

#endif
