/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - the one output layer: text lines or JSON lines on stdout.
 *
 * The JSON writer appends into a buffer that is reused for every record
 * (no allocation per event once it has grown) and is written with one
 * fwrite per line. Strings are escaped per RFC 8259.
 */
#ifndef TI_OUTPUT_H
#define TI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	bool comma; /* a value precedes: the next one needs a comma */
	bool oom;   /* an allocation failed: the record is not written */
};

void jw_reset(struct jw *w);
void jw_free(struct jw *w);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
/* key may be NULL inside arrays */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
/* val as a string of 16 lower-case hex digits ("%016" PRIx64) */
void jw_hex64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_dbl(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_obj_key(struct jw *w, const char *key); /* "key":{ */
/* Write the record and a newline to f; returns -EIO/-ENOMEM on failure. */
int jw_flush_line(struct jw *w, FILE *f);

/* {"event":"error","error":msg} on stdout. */
void out_json_error(const char *msg);

/* Address text: 4 bytes for TI_AF_INET, 16 for TI_AF_INET6. */
const char *fmt_addr(unsigned int family, const uint8_t *addr, char *buf,
		     size_t len);
/* Kernel CLOCK_MONOTONIC ns -> RFC 3339 UTC with microseconds. */
void fmt_rfc3339(uint64_t mono_ns, char *buf, size_t len);
/* Kernel CLOCK_MONOTONIC ns -> local "HH:MM:SS.uuuuuu". */
void fmt_clock(uint64_t mono_ns, char *buf, size_t len);
/* Capture the offset between CLOCK_REALTIME and CLOCK_MONOTONIC. */
void clock_init(void);
/* Set that offset (ns) explicitly: decoding recorded events, tests. */
void clock_set_offset(int64_t realtime_offset_ns);

#endif
