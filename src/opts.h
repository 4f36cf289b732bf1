/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * opts.h - typed option values. Each parser returns 0 or -EINVAL and, on
 * error, has already printed one line naming the option and the value.
 */
#ifndef TI_OPTS_H
#define TI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#define TI_MAX_IFACES 16
#define TI_MAX_PORTS 64

/* Port 1-65535. */
int opt_port(const char *opt, const char *arg, uint16_t *port);
/* Whole number in [min, max]. */
int opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *val);
/* Seconds, fractional allowed, > 0 and <= 1 year. */
int opt_seconds(const char *opt, const char *arg, double *secs);
/* An existing interface name (in this network namespace). */
int opt_iface(const char *opt, const char *arg, char *name, unsigned int *ifindex);

#endif
