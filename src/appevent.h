/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * appevent.h - text and JSON of `app` events (TI_EV_APP records parsed by
 * apphint.c), the privacy settings that govern them, and the per-method and
 * per-host/SNI counts kept while printing them.
 */
#ifndef TI_APPEVENT_H
#define TI_APPEVENT_H

#include <stdbool.h>
#include <stdio.h>
#include "output.h"
#include "tcpinspect.h"

/* show_query: print request targets with their query string (default:
 * "/search?…"). payload: print up to this many raw payload bytes as hex
 * (default 0: no payload byte ever leaves the process). */
void appevent_set_options(bool show_query, unsigned int payload);

void app_event_json(struct jw *w, const struct ti_app_event *e,
		    const char *(*ifname_of)(unsigned int));
void app_event_text(FILE *f, const struct ti_app_event *e,
		    const char *(*ifname_of)(unsigned int));

/* The counts of the app events printed so far: an "app" object with
 * "protocols", "methods" and "hosts" (bounded, the rest in "other"). */
void appevent_stats_json(struct jw *w);
/* One summary line on f, nothing if no app event was printed. */
void appevent_stats_text(FILE *f);

#endif
