// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_apphint - libFuzzer target for the payload parsers (src/apphint.c):
 * HTTP/1.x request line and Host, HTTP/2 preface, TLS ClientHello (SNI,
 * ALPN, versions, JA4), SSH banner. The input is the first payload bytes
 * of a connection, exactly as a hostile client can send them. Every
 * string of the result must be NUL-terminated printable ASCII within its
 * buffer, and counts within their arrays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "apphint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
	const char *end = memchr(s, 0, cap);

	if (!end)
		abort();
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apphint h;
	char buf[APPHINT_PATH_MAX + 8], vbuf[16];

	if (apphint_parse(data, size, &h))
		abort();
	check_str(h.method, sizeof(h.method));
	check_str(h.path, sizeof(h.path));
	check_str(h.host, sizeof(h.host));
	check_str(h.version, sizeof(h.version));
	check_str(h.sni, sizeof(h.sni));
	check_str(h.ja4, sizeof(h.ja4));
	check_str(h.banner, sizeof(h.banner));
	if (h.n_alpn < 0 || h.n_alpn > APPHINT_ALPN_MAX ||
	    h.n_versions < 0 || h.n_versions > APPHINT_VERSIONS_MAX ||
	    h.query_off >= sizeof(h.path))
		abort();
	for (int i = 0; i < h.n_alpn; i++)
		check_str(h.alpn[i], sizeof(h.alpn[i]));
	if (!apphint_proto_name(h.proto))
		abort();
	for (int i = 0; i < h.n_versions; i++)
		apphint_tls_version_name(h.versions[i], vbuf, sizeof(vbuf));
	apphint_display_path(&h, false, buf, sizeof(buf));
	apphint_display_path(&h, true, buf, sizeof(buf));
	if (!memchr(buf, 0, sizeof(buf)))
		abort();
	return 0;
}
