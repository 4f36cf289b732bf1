// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "output.h"

int ti_verbose;
static bool log_json;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && ti_verbose < 2)
		return 0;
	if (!ti_verbose)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void log_init(void)
{
	libbpf_set_print(libbpf_print);
}

void log_set_json(bool json)
{
	log_json = json;
}

const char *errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}

void log_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_json) {
		out_json_error(msg);
		return;
	}
	fprintf(stderr, "tcpinspect: %s\n", msg);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("tcpinspect: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	fputs("tcpinspect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ti_verbose)
		return;
	fputs("tcpinspect: debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
