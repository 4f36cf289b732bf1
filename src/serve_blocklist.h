/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve_blocklist.h - /api/v1/blocklist and the "blocked" field of
 * /api/v1/inspect, on top of the blocklist C API when it is available.
 * Each call returns an HTTP status; on >= 300, err holds the message.
 */
#ifndef TI_SERVE_BLOCKLIST_H
#define TI_SERVE_BLOCKLIST_H

#include "apireq.h"
#include "output.h"
#include "serve.h"

void serve_blocklist_init(struct serve_ctx *sc);
void serve_blocklist_close(struct serve_ctx *sc);
int serve_blocklist_list(struct serve_ctx *sc, struct jw *w, char *err, size_t errlen);
int serve_blocklist_add(struct serve_ctx *sc, const struct api_block_req *br,
			struct jw *w, char *err, size_t errlen);
int serve_blocklist_del(struct serve_ctx *sc, const struct api_block_req *br,
			struct jw *w, char *err, size_t errlen);
/* "blocked": bool (and the matching entry) for /api/v1/inspect. */
void serve_blocklist_status_json(struct serve_ctx *sc, const struct model_addr *a,
				 struct jw *w);

#endif
