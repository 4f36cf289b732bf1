/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* webassets.h - files compiled into the binary (scripts/embed.sh generates
 * $(BUILD)/web_assets.c from src/web/ and docs/openapi.yaml). */
#ifndef TI_WEBASSETS_H
#define TI_WEBASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path; /* URL path, e.g. "/app.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* Terminated by an entry with a NULL path. */
extern const struct web_asset web_assets[];

#endif
