/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log.h - the one logging and error layer.
 *
 * Inside the tool functions return negative errno values. At the edge a
 * failure is reported once, naming the step that failed and the reason:
 *   "failed to attach XDP to eth0: Operation not supported"
 * In JSON mode errors are JSON objects on stdout (see output.h).
 * libbpf's own messages are routed here and shown with -v.
 */
#ifndef TI_LOG_H
#define TI_LOG_H

#include <stdbool.h>

/* Exit codes (documented in the README). */
enum ti_exit {
	TI_EXIT_OK = 0,
	TI_EXIT_FAILURE = 1, /* a runtime step failed (load, attach, I/O) */
	TI_EXIT_USAGE = 2,   /* bad command line: option, value, interface */
	TI_EXIT_ENV = 3,     /* environment: not root, no BTF, no bpffs */
};

extern int ti_verbose;

void log_init(void);
void log_set_json(bool json);
/* An error for the user: one line, "tcpinspect: " prefix in text mode. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown only with -v. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Status lines on stderr (both modes): "tcpinspect: watching ..." */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* strerror() of a negative or positive errno. */
const char *errstr(int err);

#endif
