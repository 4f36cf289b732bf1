// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "apireq.h"

int api_parse_ip(const char *s, struct model_addr *a)
{
	uint8_t b[16];

	memset(a, 0, sizeof(*a));
	if (!s || strlen(s) > 45) /* longest IPv6 text form */
		return -EINVAL;
	if (inet_pton(AF_INET, s, b) == 1) {
		model_addr_from(a, TI_AF_INET, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		model_addr_from(a, TI_AF_INET6, b);
		return 0;
	}
	return -EINVAL;
}

int api_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long def, unsigned long *out)
{
	char *end;

	if (!s) {
		*out = def;
		return 0;
	}
	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

int api_parse_cidr(const char *s, struct model_addr *a, unsigned int *prefix)
{
	char buf[64];
	const char *slash;
	unsigned long p;
	unsigned int max, bytes;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	slash = strchr(s, '/');
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (api_parse_ip(buf, a))
		return -EINVAL;
	max = a->family == TI_AF_INET ? 32 : 128;
	if (slash) {
		if (api_parse_uint(slash + 1, 0, max, max, &p) || !slash[1])
			return -EINVAL;
	} else {
		p = max;
	}
	/* Host bits set: almost certainly a typo, refuse rather than guess. */
	bytes = max / 8;
	for (unsigned int bit = (unsigned int)p; bit < bytes * 8; bit++)
		if (a->b[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	*prefix = (unsigned int)p;
	return 0;
}

int api_parse_block_body(const char *body, size_t len, struct api_block_req *r,
			 char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	int ret = -EINVAL;
	bool have_cidr = false;

	memset(r, 0, sizeof(*r));
	if (!body || !len) {
		snprintf(err, errlen, "a JSON object body is required");
		return -EINVAL;
	}
	if (len > API_MAX_BODY || memchr(body, '\0', len)) {
		snprintf(err, errlen, "body too large or not text");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(8);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		/* Trailing whitespace after the object is fine. */
		size_t end = root ? json_tokener_get_parse_end(tok) : 0;

		while (root && end < len && strchr(" \t\r\n", body[end]))
			end++;
		if (!root || end != len) {
			snprintf(err, errlen, "body is not valid JSON");
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "body must be a JSON object");
		goto out;
	}
	json_object_object_foreach(root, key, val) {
		if (!strcmp(key, "cidr")) {
			const char *s;

			if (!json_object_is_type(val, json_type_string)) {
				snprintf(err, errlen, "cidr must be a string");
				goto out;
			}
			s = json_object_get_string(val);
			if (strlen(s) >= sizeof(r->cidr) ||
			    api_parse_cidr(s, &r->addr, &r->prefix)) {
				snprintf(err, errlen, "cidr: invalid address or prefix");
				goto out;
			}
			snprintf(r->cidr, sizeof(r->cidr), "%s", s);
			have_cidr = true;
		} else if (!strcmp(key, "ttl_s")) {
			int64_t v;

			if (!json_object_is_type(val, json_type_int)) {
				snprintf(err, errlen, "ttl_s must be an integer");
				goto out;
			}
			errno = 0;
			v = json_object_get_int64(val);
			if (errno || v < 0 || v > 365LL * 86400) {
				snprintf(err, errlen, "ttl_s must be 0-31536000");
				goto out;
			}
			r->ttl_s = (unsigned long)v;
		} else if (!strcmp(key, "reason")) {
			const char *s;

			if (!json_object_is_type(val, json_type_string)) {
				snprintf(err, errlen, "reason must be a string");
				goto out;
			}
			s = json_object_get_string(val);
			if (strlen(s) > API_REASON_MAX) {
				snprintf(err, errlen, "reason longer than %d bytes", API_REASON_MAX);
				goto out;
			}
			for (const char *p = s; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f) {
					snprintf(err, errlen, "reason contains control characters");
					goto out;
				}
			snprintf(r->reason, sizeof(r->reason), "%s", s);
		} else {
			snprintf(err, errlen, "unknown member '%.40s'", key);
			goto out;
		}
	}
	if (!have_cidr) {
		snprintf(err, errlen, "cidr is required");
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

bool api_bearer_ok(const char *header, const char *token, size_t token_len)
{
	static const char scheme[] = "Bearer ";
	const char *given;
	size_t given_len;
	unsigned char diff;

	if (!header || !token || !token_len ||
	    strncmp(header, scheme, sizeof(scheme) - 1))
		return false;
	given = header + sizeof(scheme) - 1;
	given_len = strlen(given);
	/* Every byte of the secret is examined whatever the input, so the
	 * time taken does not tell how much of a guess was right. */
	diff = given_len != token_len;
	for (size_t i = 0; i < token_len; i++)
		diff |= (unsigned char)token[i] ^
			(unsigned char)(i < given_len ? given[i] : 0);
	return diff == 0;
}

bool api_request_id_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (!n || n > API_REQUEST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
		      c == '-'))
			return false;
	}
	return true;
}
