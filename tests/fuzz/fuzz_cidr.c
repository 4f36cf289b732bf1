// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_cidr - libFuzzer target for address and prefix parsing: parse_cidr
 * (src/blocklist.c; block/allow command lines and the API) and the API's
 * api_parse_ip / api_parse_cidr (src/apireq.c). Accepted prefixes must be
 * in range, have no host bits set, and survive format -> parse unchanged;
 * rejections must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "apireq.h"
#include "blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cidr(const char *s)
{
	struct ti_cidr c, again;
	char err[128] = "", text[TI_CIDR_STRLEN];
	int bits;

	if (parse_cidr(s, &c, err, sizeof(err))) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort(); /* a rejection without a reason */
		return;
	}
	if (c.family != TI_AF_INET && c.family != TI_AF_INET6)
		abort();
	bits = c.family == TI_AF_INET ? 32 : 128;
	if (c.prefix_len > bits)
		abort();
	for (int i = c.prefix_len; i < bits; i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8)))
			abort(); /* host bits must have been refused */
	cidr_format(&c, text, sizeof(text));
	if (!memchr(text, 0, sizeof(text)) ||
	    parse_cidr(text, &again, err, sizeof(err)) ||
	    again.family != c.family || again.prefix_len != c.prefix_len ||
	    memcmp(again.addr, c.addr, bits / 8))
		abort(); /* formatting does not round-trip */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_addr a;
	unsigned int prefix;
	char s[128];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	check_cidr(s);
	api_parse_ip(s, &a);
	if (!api_parse_cidr(s, &a, &prefix) && prefix > 128)
		abort();
	return 0;
}
