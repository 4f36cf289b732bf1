// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_config - libFuzzer target for the serve configuration file parser
 * (src/config.c) and its listen-address parser. Any text gives either a
 * configuration whose values are within their documented bounds, or an
 * error message "FILE:LINE: ...".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct ti_config c;
	char err[256] = "", s[96];
	socklen_t sslen;

	if (size > TI_CONFIG_MAX_SIZE)
		return 0;
	config_defaults(&c);
	if (config_parse((const char *)data, size, "fuzz.conf", &c, err,
			 sizeof(err))) {
		if (strncmp(err, "fuzz.conf:", 10) || !memchr(err, 0, sizeof(err)))
			abort();
	} else {
		if (c.n_ifaces < 0 || c.n_ifaces > TI_MAX_IFACES ||
		    c.nports < 0 || c.nports > TI_MAX_PORTS ||
		    !memchr(c.listen, 0, sizeof(c.listen)) ||
		    !memchr(c.token_file, 0, sizeof(c.token_file)) ||
		    !memchr(c.log_file, 0, sizeof(c.log_file)))
			abort();
		for (int i = 0; i < c.nports; i++)
			if (!c.ports[i])
				abort();
	}
	if (size < sizeof(s)) {
		memcpy(s, data, size);
		s[size] = 0;
		if (!config_parse_listen(s, &ss, &sslen) &&
		    (sslen == 0 || sslen > sizeof(ss)))
			abort();
	}
	return 0;
}
