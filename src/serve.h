/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve.h - the daemon's shared state: the session, the model (guarded by
 * lock: the HTTP threads read it while the main loop feeds it), the
 * configuration and the API token. serve.c runs the loop, serve_http.c
 * answers HTTP requests, serve_metrics.c writes the Prometheus text.
 */
#ifndef TI_SERVE_H
#define TI_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "model.h"
#include "output.h"
#include "session.h"

struct serve_ctx {
	struct ti_config cfg;
	struct session sess;
	struct model *m;
	pthread_mutex_t lock;   /* guards m and the counters below */
	char token[256];
	size_t token_len;       /* 0: blocklist changes are refused */
	uint64_t start_ns;      /* CLOCK_MONOTONIC */
	double start_unix;
	uint64_t http_requests;
	uint64_t log_errors;
	bool blocklist_ok;      /* the blocklist C API is available */
};

/* A growing text buffer (for the metrics page). */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The Prometheus text exposition of everything serve knows. */
void serve_metrics(struct serve_ctx *sc, struct sbuf *out);

struct MHD_Daemon;
/* The listening socket on cfg.listen, bound while still root (so that
 * privileged ports work); a descriptor or a negative errno (reported). */
int serve_http_listen(const struct serve_ctx *sc);
/* Start the HTTP server thread on that socket (owned by the server from
 * now on, also on failure); errors are reported. */
struct MHD_Daemon *serve_http_start(struct serve_ctx *sc, int listen_fd);
void serve_http_stop(struct MHD_Daemon *d);

#endif
