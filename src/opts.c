// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "opts.h"

int opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!arg || !*arg || *arg == '-' || *arg == '+') {
		log_error("invalid value for %s: '%s' (expected a number from %llu to %llu)",
			  opt, arg ? arg : "", (unsigned long long)min,
			  (unsigned long long)max);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max) {
		log_error("invalid value for %s: '%s' (expected a number from %llu to %llu)",
			  opt, arg, (unsigned long long)min,
			  (unsigned long long)max);
		return -EINVAL;
	}
	*val = v;
	return 0;
}

int opt_port(const char *opt, const char *arg, uint16_t *port)
{
	uint64_t v;

	if (opt_u64(opt, arg, 1, 65535, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int opt_seconds(const char *opt, const char *arg, double *secs)
{
	char *end;
	double v;

	errno = 0;
	v = arg && *arg ? strtod(arg, &end) : NAN;
	if (!arg || !*arg || errno || *end || !isfinite(v) || v <= 0 ||
	    v > 366 * 86400.0) {
		log_error("invalid value for %s: '%s' (expected seconds > 0)",
			  opt, arg ? arg : "");
		return -EINVAL;
	}
	*secs = v;
	return 0;
}

int opt_iface(const char *opt, const char *arg, char *name,
	      unsigned int *ifindex)
{
	unsigned int idx;

	if (!arg || !*arg || strlen(arg) >= IF_NAMESIZE) {
		log_error("invalid interface name for %s: '%s'", opt,
			  arg ? arg : "");
		return -EINVAL;
	}
	idx = if_nametoindex(arg);
	if (!idx) {
		log_error("no such interface: '%s'", arg);
		return -ENODEV;
	}
	strcpy(name, arg);
	*ifindex = idx;
	return 0;
}
