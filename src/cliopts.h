/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cliopts.h - command-line parsing shared by the commands.
 *
 * A command describes its options in a table of struct cliopt. The kinds
 * several commands share (interface and port lists, -4/-6, --mode, seconds,
 * bounded numbers, flags, strings, --json, -h) are parsed and stored here,
 * at an offset in the command's options struct, with one wording for every
 * error; the command's own options (CLIOPT_T_OWN) go to its callback.
 */
#ifndef TI_CLIOPTS_H
#define TI_CLIOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "inspector.h"

struct option;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum cliopt_type {
	CLIOPT_T_OWN,     /* the command's callback handles it */
	CLIOPT_T_FLAG,    /* bool: set to true */
	CLIOPT_T_UNSET,   /* bool: set to false (--no-app) */
	CLIOPT_T_JSON,    /* bool: set to true; errors become JSON from the start */
	CLIOPT_T_STR,     /* const char *: the argument */
	CLIOPT_T_U64,     /* uint64_t in [min, max] */
	CLIOPT_T_SECONDS, /* double, seconds > 0 */
	CLIOPT_T_IFACES,  /* ti_iface[TI_MAX_IFACES] + count: existing, once each */
	CLIOPT_T_IFNAMES, /* char[TI_MAX_IFACES][IF_NAMESIZE] + count: names only,
			   * looked up later (serve's config) */
	CLIOPT_T_PORTS,   /* uint16_t[TI_MAX_PORTS] + int count */
	CLIOPT_T_FAMILY,  /* uint16_t: TI_AF_INET for key '4', TI_AF_INET6 for '6' */
	CLIOPT_T_MODE,    /* enum ti_mode */
	CLIOPT_T_HELP,    /* print the usage on stdout and exit */
};

struct cliopt {
	const char *name;      /* long name without "--"; NULL: short only */
	int key;               /* the short option character, or >= 256 for a
				* long-only option */
	enum cliopt_type type;
	size_t off;            /* the value's offset in the options struct */
	size_t count_off;      /* lists: offset of their int count */
	uint64_t min, max;     /* CLIOPT_T_U64 bounds */
};

struct clicmd {
	const char *name;               /* "watch": "see tcpinspect watch --help" */
	const struct cliopt *opts;
	size_t n_opts;
	/* More long options, all for own() (e.g. DEFENCE_LONGOPTS), ended by
	 * an all-zero entry; NULL for none. */
	const struct option *extra;
	/* CLIOPT_T_OWN and extra options: 0, or -EINVAL with the error printed. */
	int (*own)(void *o, int key, const char *arg);
	void (*usage)(FILE *f);
	bool no_args;                   /* words left after the options: error */
};

/* Keys of the shared long-only options; a command's own long-only options
 * use CLIOPT_KEY_OWN and up (defence.h's TI_DEFOPT_* start at 2048). */
enum {
	CLIOPT_KEY_MODE = 256,
	CLIOPT_KEY_JSON,
	CLIOPT_KEY_ALL_PACKETS,
	CLIOPT_KEY_NO_APP,
	CLIOPT_KEY_SHOW_QUERY,
	CLIOPT_KEY_PAYLOAD,
	CLIOPT_KEY_USER,
	CLIOPT_KEY_NO_PRIVDROP,
	CLIOPT_KEY_OWN = 512,
};

/* Table entries for the shared options; S is the options struct type. */
#define CLIOPT_INTERFACE(S, list, n)                                           \
	{ "interface", 'i', CLIOPT_T_IFACES, offsetof(S, list), offsetof(S, n), 0, 0 }
#define CLIOPT_PORT(S, list, n)                                                \
	{ "port", 'p', CLIOPT_T_PORTS, offsetof(S, list), offsetof(S, n), 0, 0 }
#define CLIOPT_46(S, field)                                                    \
	{ NULL, '4', CLIOPT_T_FAMILY, offsetof(S, field), 0, 0, 0 },           \
	{ NULL, '6', CLIOPT_T_FAMILY, offsetof(S, field), 0, 0, 0 }
#define CLIOPT_MODE(S, field)                                                  \
	{ "mode", CLIOPT_KEY_MODE, CLIOPT_T_MODE, offsetof(S, field), 0, 0, 0 }
#define CLIOPT_DURATION(S, field)                                              \
	{ "duration", 'd', CLIOPT_T_SECONDS, offsetof(S, field), 0, 0, 0 }
#define CLIOPT_COUNT(S, field)                                                 \
	{ "count", 'c', CLIOPT_T_U64, offsetof(S, field), 0, 1, UINT64_MAX }
#define CLIOPT_JSON(S, field)                                                  \
	{ "json", CLIOPT_KEY_JSON, CLIOPT_T_JSON, offsetof(S, field), 0, 0, 0 }
#define CLIOPT_ALL_PACKETS(S, field)                                           \
	{ "all-packets", CLIOPT_KEY_ALL_PACKETS, CLIOPT_T_FLAG,                \
	  offsetof(S, field), 0, 0, 0 }
/* --no-app, --show-query, --payload N (app events, appevent.h);
 * no_app_type: CLIOPT_T_UNSET on an "app events on" bool, CLIOPT_T_FLAG on
 * a "no app events" one. */
#define CLIOPT_APP(S, no_app_type, app_field, query_field, payload_field)      \
	{ "no-app", CLIOPT_KEY_NO_APP, no_app_type,                            \
	  offsetof(S, app_field), 0, 0, 0 },                                   \
	{ "show-query", CLIOPT_KEY_SHOW_QUERY, CLIOPT_T_FLAG,                  \
	  offsetof(S, query_field), 0, 0, 0 },                                 \
	{ "payload", CLIOPT_KEY_PAYLOAD, CLIOPT_T_U64,                         \
	  offsetof(S, payload_field), 0, 0, TI_APP_PREFIX_LEN }
/* --user USER, --no-privdrop (privdrop.h) */
#define CLIOPT_PRIVDROP(S, user_field, no_privdrop_field)                      \
	{ "user", CLIOPT_KEY_USER, CLIOPT_T_STR,                               \
	  offsetof(S, user_field), 0, 0, 0 },                                  \
	{ "no-privdrop", CLIOPT_KEY_NO_PRIVDROP, CLIOPT_T_FLAG,                \
	  offsetof(S, no_privdrop_field), 0, 0, 0 }
#define CLIOPT_HELP { "help", 'h', CLIOPT_T_HELP, 0, 0, 0, 0 }

/* Parse argv[1..] (GNU permutation: options may follow other words) into
 * o. Returns the index in argv of the first word that is not an option
 * (argc if none), or -EINVAL with the error printed. */
int cliopts_parse(const struct clicmd *cmd, int argc, char **argv, void *o);
/* --mode's value; -EINVAL with the error printed. */
int cliopt_mode(const char *arg, enum ti_mode *mode);
/* --events' comma-separated kinds (docs/events.md) as TI_EV_BIT()s, never
 * 0: an empty list or kind, or an unknown kind, is -EINVAL (printed with
 * the valid kinds). */
int cliopt_events(const char *arg, uint32_t *mask);

#endif
