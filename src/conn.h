/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conn.h - user-space side of the connection tracepoints (conn.bpf.c).
 * Prefers tp_btf programs and falls back to classic tracepoints.
 */
#ifndef TI_CONN_H
#define TI_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "opts.h"
#include "tcpinspect.h"

#define TI_CONN_MAX_LINKS 8

enum conn_hook_pref {
	CONN_USE_AUTO = 0,      /* tp_btf, falling back to classic tracepoints */
	CONN_USE_BTF,           /* tp_btf only */
	CONN_USE_TRACEPOINT,    /* classic tracepoints only */
};

struct conn_cfg {
	enum conn_hook_pref hook;
	uint32_t netns_ino; /* 0 = all namespaces */
	uint16_t family;
	uint16_t ports[TI_MAX_PORTS];
	int nports;
};

struct conn_bpf;
struct bpf_link;

struct conn_tracer {
	struct conn_bpf *skel;
	struct bpf_link *links[TI_CONN_MAX_LINKS];
	int n_links;
	bool btf; /* tp_btf in use (else classic tracepoints) */
};

/* Load and attach; errors are reported. */
int conn_start(struct conn_tracer *ct, const struct conn_cfg *cfg);
void conn_stop(struct conn_tracer *ct);
int conn_events_fd(const struct conn_tracer *ct);
int conn_counters(const struct conn_tracer *ct, struct ti_conn_counters *sum);
const char *conn_hook_name(const struct conn_tracer *ct);

#endif
