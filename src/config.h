/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * config.h - the serve configuration file (docs/config.md): "key = value"
 * lines, '#' comments. Parsing is a pure function over the text so that it
 * can be unit-tested and fuzzed; errors read "FILE:LINE: message".
 */
#ifndef TI_CONFIG_H
#define TI_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/socket.h>
#include "inspector.h"
#include "opts.h"

#define TI_SERVE_DEFAULT_PORT 9310
#define TI_SERVE_DEFAULT_LISTEN "127.0.0.1:9310"
#define TI_CONFIG_MAX_SIZE (64 * 1024)

struct ti_config {
	char listen[80];            /* ADDR:PORT, [ADDR6]:PORT */
	char ifaces[TI_MAX_IFACES][IF_NAMESIZE];
	int n_ifaces;
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	uint16_t family;            /* 0, TI_AF_INET, TI_AF_INET6 */
	enum ti_mode mode;
	bool all_packets;
	char token_file[PATH_MAX];  /* "" = blocklist changes disabled */
	char log_file[PATH_MAX];    /* "" = no event log */
	unsigned int top_n;         /* sources/ports with their own label */
	bool alerts;                /* detectors on (scan, stealth, rate, flood) */
	bool enforce;               /* SYN rate limit and auto-block */
	/* Detector thresholds, by the name of watch's option with '_' for '-'
	 * (syn_rate = 100 is --syn-rate 100). The value is only checked to
	 * be a number here; defence_set() checks its range when serve starts. */
	struct {
		char name[24];      /* option name: "syn-rate" */
		char value[32];
		unsigned int line;
	} defence[24];
	int n_defence;
};

/* Is name ("syn_rate") a detector threshold key? Returns the option name
 * ("syn-rate") or NULL. */
const char *config_defence_key(const char *name);

void config_defaults(struct ti_config *c);
/* Parse len bytes of text (need not be NUL-terminated) on top of what c
 * holds. fname is only used in messages. 0, or -EINVAL with "FNAME:LINE:
 * message" in err. */
int config_parse(const char *text, size_t len, const char *fname,
		 struct ti_config *c, char *err, size_t errlen);
/* Read and parse a file (at most TI_CONFIG_MAX_SIZE bytes). */
int config_load(const char *path, struct ti_config *c, char *err, size_t errlen);
/* "127.0.0.1:9310", "[::1]:9310", "0.0.0.0:80" -> socket address.
 * 0 or -EINVAL. */
int config_parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *sslen);

#endif
