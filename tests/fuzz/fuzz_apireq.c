// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_apireq - libFuzzer target for the REST API's request parsing
 * (src/apireq.c): POST /api/v1/blocklist JSON bodies, query numbers,
 * bearer tokens and request IDs. The first input byte picks the parser;
 * the rest is what a local API client sends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "apireq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char token[] = "s3cret-token";
	struct api_block_req r;
	char err[256] = "", *s;
	unsigned long v;

	if (size < 1 || size > API_MAX_BODY + 1)
		return 0;
	/* A copy of exactly the body bytes (not NUL-terminated), so a read
	 * past the length is caught by ASan. */
	s = malloc(size - 1 ? size - 1 : 1);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		if (api_parse_block_body(s, size - 1, &r, err, sizeof(err))) {
			if (!err[0] || !memchr(err, 0, sizeof(err)))
				abort();
		} else if (!memchr(r.cidr, 0, sizeof(r.cidr)) ||
			   !memchr(r.reason, 0, sizeof(r.reason)) ||
			   r.prefix > 128) {
			abort();
		}
		break;
	default: {
		/* The string parsers take C strings. */
		char *z = malloc(size);

		if (!z)
			break;
		memcpy(z, data + 1, size - 1);
		z[size - 1] = 0;
		if (data[0] % 4 == 1) {
			if (!api_parse_uint(z, 1, 1000, 10, &v) &&
			    (v < 1 || v > 1000))
				abort();
		} else if (data[0] % 4 == 2) {
			api_request_id_ok(z);
		} else if (api_bearer_ok(z, token, sizeof(token) - 1) &&
			   strcmp(z, "Bearer s3cret-token")) {
			abort(); /* accepted a wrong token */
		}
		free(z);
		break;
	}
	}
	free(s);
	return 0;
}
