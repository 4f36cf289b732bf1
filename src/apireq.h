/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * apireq.h - parsing of REST API requests (docs/openapi.yaml): query
 * values, addresses, JSON bodies, the bearer token and request IDs. Pure
 * functions, unit-tested and fuzzable; serve.c maps their errors to 400.
 */
#ifndef TI_APIREQ_H
#define TI_APIREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define API_MAX_BODY 4096       /* larger request bodies get 413 */
#define API_REQUEST_ID_MAX 128
#define API_REASON_MAX 64

/* An IPv4 or IPv6 address in text form (no prefix, no port). 0/-EINVAL. */
int api_parse_ip(const char *s, struct model_addr *a);
/* ADDR or ADDR/PREFIX (prefix 0-32 / 0-128; host bits must be zero). */
int api_parse_cidr(const char *s, struct model_addr *a, unsigned int *prefix);
/* Decimal in [min, max]; NULL s gives def. */
int api_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long def, unsigned long *out);

struct api_block_req {
	char cidr[64];
	struct model_addr addr;
	unsigned int prefix;
	unsigned long ttl_s;          /* 0 = until removed */
	char reason[API_REASON_MAX + 1];
};

/* POST /api/v1/blocklist body: {"cidr": "...", "ttl_s": N, "reason": "..."}.
 * Only cidr is required; unknown members are rejected. 0 or -EINVAL with a
 * message in err. */
int api_parse_block_body(const char *body, size_t len, struct api_block_req *r,
			 char *err, size_t errlen);

/* "Bearer TOKEN" matches token (compared in constant time whatever the
 * lengths and contents). NULL header: false. */
bool api_bearer_ok(const char *header, const char *token, size_t token_len);
/* A client's X-Request-ID worth echoing: 1-128 of [A-Za-z0-9._:-]. */
bool api_request_id_ok(const char *s);

#endif
