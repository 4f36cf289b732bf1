// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_opts - libFuzzer target for the typed option parsers (src/opts.c):
 * ports, whole numbers, seconds, interface names. The first input byte
 * picks the parser, the rest is the argument text. Each parser must accept
 * or reject (one error line) without crashing, and what it accepts must be
 * in its documented range.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "log.h"
#include "opts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Errors go to stdout as JSON: run with -close_fd_mask=1 to keep the
	 * fuzzer quiet while sanitizer reports (stderr) still show. */
	log_set_json(true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char arg[256], name[IF_NAMESIZE];
	unsigned int ifindex;
	uint64_t u;
	uint16_t port;
	double secs;

	if (size < 1 || size > sizeof(arg))
		return 0;
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = 0;
	switch (data[0] % 4) {
	case 0:
		if (!opt_port("--port", arg, &port) && port == 0)
			abort();
		break;
	case 1:
		if (!opt_u64("--count", arg, 1, 1000000, &u) &&
		    (u < 1 || u > 1000000))
			abort();
		break;
	case 2:
		if (!opt_seconds("--duration", arg, &secs) &&
		    (!isfinite(secs) || secs <= 0 || secs > 366 * 86400.0))
			abort();
		break;
	default:
		if (!opt_iface("--interface", arg, name, &ifindex) &&
		    (!ifindex || strlen(name) >= IF_NAMESIZE))
			abort();
		break;
	}
	return 0;
}
