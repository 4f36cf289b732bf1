/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * events.h - decoding ring-buffer records into text lines or JSON objects
 * (docs/events.md is the schema).
 */
#ifndef TI_EVENTS_H
#define TI_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "output.h"
#include "tcpinspect.h"

const char *ti_event_name(unsigned int type);
/* Bounds-checked: UNKNOWN(n) for numbers outside the table (buf used). */
const char *ti_tcp_state_name(unsigned int state, char *buf, size_t len);
const char *ti_malformed_name(unsigned int reason);
extern const char *const ti_tcp_flag_names[TI_TCP_FLAG_COUNT];

/* Validate a record from the ring buffer: size matches its type. */
bool event_valid(const void *data, size_t size);

/* Format one record. ifname_of resolves an ifindex (may be NULL). */
void event_text(FILE *f, const void *data, const char *(*ifname_of)(unsigned int));
void event_json(struct jw *w, const void *data, const char *(*ifname_of)(unsigned int));

#endif
