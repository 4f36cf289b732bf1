/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conn_events.h - text and JSON for the connection lifecycle records
 * (struct ti_sock_event: accept, handshake, close, drop, listen_overflow).
 * Called by events.c after the common header and tuple.
 */
#ifndef TI_CONN_EVENTS_H
#define TI_CONN_EVENTS_H

#include <stdbool.h>
#include <stdio.h>
#include "output.h"
#include "tcpinspect.h"

/* Types carried in struct ti_sock_event. */
static inline bool event_is_sock(unsigned int type)
{
	return type == TI_EV_ACCEPT || type == TI_EV_HANDSHAKE ||
	       type == TI_EV_CLOSE || type == TI_EV_DROP ||
	       type == TI_EV_LISTEN_OVERFLOW;
}

const char *ti_retrans_kind_name(unsigned int kind);
void sock_event_json(struct jw *w, const struct ti_sock_event *e);
void sock_event_text(FILE *f, const struct ti_sock_event *e);

#endif
