// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cliopts.c - the table-driven option parser of cliopts.h on getopt_long:
 * it builds getopt's short and long option lists from the command's table,
 * stores the shared kinds of values and reports every error in one line.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include "cliopts.h"
#include "events.h"
#include "log.h"
#include "opts.h"
#include "system.h"

/* Long options of one command, table and extra ones together. */
#define CLIOPTS_MAX 64

int cliopt_mode(const char *arg, enum ti_mode *mode)
{
	if (ti_mode_parse(arg, mode)) {
		log_error("invalid value for --mode: '%s' (expected auto, native, generic or tc)",
			  arg);
		return -EINVAL;
	}
	return 0;
}

/* The event kinds --events accepts (names: ti_event_name()): every kind
 * watch prints (not "none", nor "capture", which is capture's). */
#define EV_SELECTABLE(t) ((t) != TI_EV_NONE && (t) != TI_EV_CAPTURE)
/* Longest --events value: every kind once, or a few typos. */
#define EV_LIST_MAX 256

static void ev_valid_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int t = 0; t < TI_EV_MAX && used < len; t++)
		if (EV_SELECTABLE(t))
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", ti_event_name((unsigned int)t));
}

int cliopt_events(const char *arg, uint32_t *mask)
{
	char list[EV_LIST_MAX], valid[EV_LIST_MAX];
	char *item, *rest;
	uint32_t m = 0;

	if (strlen(arg) >= sizeof(list)) {
		log_error("invalid value for --events: too long (at most %zu characters)",
			  sizeof(list) - 1);
		return -EINVAL;
	}
	strcpy(list, arg);
	ev_valid_list(valid, sizeof(valid));
	if (!*arg) {
		log_error("invalid value for --events: empty list (valid kinds: %s)",
			  valid);
		return -EINVAL;
	}
	/* strsep, not strtok: "close,,state" has an empty item, an error. */
	rest = list;
	while ((item = strsep(&rest, ","))) {
		int t;

		for (t = 0; t < TI_EV_MAX; t++)
			if (EV_SELECTABLE(t) &&
			    !strcmp(item, ti_event_name((unsigned int)t)))
				break;
		if (!*item) {
			log_error("invalid value for --events: '%s' has an empty kind (valid kinds: %s)",
				  arg, valid);
			return -EINVAL;
		}
		if (t == TI_EV_MAX) {
			log_error("invalid value for --events: unknown event kind '%s' (valid kinds: %s)",
				  item, valid);
			return -EINVAL;
		}
		m |= TI_EV_BIT(t);
	}
	*mask = m;
	return 0;
}

/* One more existing interface; the same one twice is an error. */
static int add_iface(struct ti_iface *list, int *n, const char *arg)
{
	if (*n >= TI_MAX_IFACES) {
		log_error("too many interfaces (at most %d)", TI_MAX_IFACES);
		return -EINVAL;
	}
	if (opt_iface("--interface", arg, list[*n].name, &list[*n].ifindex))
		return -EINVAL;
	for (int i = 0; i < *n; i++)
		if (list[i].ifindex == list[*n].ifindex) {
			log_error("interface '%s' given twice", arg);
			return -EINVAL;
		}
	(*n)++;
	return 0;
}

/* A name only: the interface may be looked up later (serve's config). */
static int add_ifname(char (*list)[IF_NAMESIZE], int *n, const char *arg)
{
	if (*n >= TI_MAX_IFACES) {
		log_error("too many interfaces (at most %d)", TI_MAX_IFACES);
		return -EINVAL;
	}
	if (strlen(arg) >= IF_NAMESIZE) {
		log_error("invalid interface name '%s'", arg);
		return -EINVAL;
	}
	snprintf(list[(*n)++], IF_NAMESIZE, "%s", arg);
	return 0;
}

static int add_port(uint16_t *list, int *n, const char *arg)
{
	if (*n >= TI_MAX_PORTS) {
		log_error("too many ports (at most %d)", TI_MAX_PORTS);
		return -EINVAL;
	}
	if (opt_port("--port", arg, &list[*n]))
		return -EINVAL;
	(*n)++;
	return 0;
}

/* Store the value of table entry d, given with argument arg, in o. */
static int store(const struct clicmd *cmd, const struct cliopt *d,
		 const char *arg, void *o)
{
	char *val = (char *)o + d->off;
	int *count = (int *)((char *)o + d->count_off);
	char optname[64];

	snprintf(optname, sizeof(optname), "--%s", d->name ? d->name : "");
	switch (d->type) {
	case CLIOPT_T_OWN:
		return cmd->own(o, d->key, arg);
	case CLIOPT_T_FLAG:
	case CLIOPT_T_JSON:
		*(bool *)val = true;
		return 0;
	case CLIOPT_T_UNSET:
		*(bool *)val = false;
		return 0;
	case CLIOPT_T_STR:
		*(const char **)val = arg;
		return 0;
	case CLIOPT_T_U64:
		return opt_u64(optname, arg, d->min, d->max, (uint64_t *)val);
	case CLIOPT_T_SECONDS:
		return opt_seconds(optname, arg, (double *)val);
	case CLIOPT_T_IFACES:
		return add_iface((struct ti_iface *)val, count, arg);
	case CLIOPT_T_IFNAMES:
		return add_ifname((char (*)[IF_NAMESIZE])val, count, arg);
	case CLIOPT_T_PORTS:
		return add_port((uint16_t *)val, count, arg);
	case CLIOPT_T_FAMILY:
		if (*(uint16_t *)val) {
			log_error("-4 and -6 are exclusive");
			return -EINVAL;
		}
		*(uint16_t *)val = d->key == '4' ? TI_AF_INET : TI_AF_INET6;
		return 0;
	case CLIOPT_T_MODE:
		return cliopt_mode(arg, (enum ti_mode *)val);
	case CLIOPT_T_HELP:
		cmd->usage(stdout);
		exit(TI_EXIT_OK);
	}
	return -EINVAL;
}

static bool takes_arg(enum cliopt_type t)
{
	switch (t) {
	case CLIOPT_T_FLAG:
	case CLIOPT_T_UNSET:
	case CLIOPT_T_JSON:
	case CLIOPT_T_FAMILY:
	case CLIOPT_T_HELP:
		return false;
	default:
		return true;
	}
}

/* getopt_long's lists from the table: "i:p:46h" style short options after
 * a ':' (report a missing value as ':'), long options ended by a zero. */
static int build_getopt(const struct clicmd *cmd, char *shortopts,
			struct option *longopts)
{
	size_t ns = 0, nl = 0;

	shortopts[ns++] = ':';
	for (size_t i = 0; i < cmd->n_opts; i++) {
		const struct cliopt *d = &cmd->opts[i];

		if (d->type == CLIOPT_T_OWN && !cmd->own)
			return -EINVAL;
		if (d->key > 0 && d->key < 256) {
			shortopts[ns++] = (char)d->key;
			if (takes_arg(d->type))
				shortopts[ns++] = ':';
		}
		if (!d->name)
			continue;
		if (nl >= CLIOPTS_MAX)
			return -E2BIG;
		longopts[nl++] = (struct option){
			d->name, takes_arg(d->type) ? required_argument : no_argument,
			NULL, d->key
		};
	}
	for (const struct option *e = cmd->extra; e && e->name; e++) {
		if (nl >= CLIOPTS_MAX)
			return -E2BIG;
		longopts[nl++] = *e;
	}
	shortopts[ns] = '\0';
	longopts[nl] = (struct option){};
	return 0;
}

static const struct cliopt *find_opt(const struct clicmd *cmd, int key)
{
	for (size_t i = 0; i < cmd->n_opts; i++)
		if (cmd->opts[i].key == key)
			return &cmd->opts[i];
	return NULL;
}

int cliopts_parse(const struct clicmd *cmd, int argc, char **argv, void *o)
{
	struct option longopts[CLIOPTS_MAX + 1];
	char shortopts[2 * CLIOPTS_MAX + 2];
	const struct cliopt *d;
	int c, err;

	if (cmd->n_opts > CLIOPTS_MAX) {
		log_error("failed to parse the options of %s: too many", cmd->name);
		return -EINVAL;
	}
	err = build_getopt(cmd, shortopts, longopts);
	if (err) {
		log_error("failed to parse the options of %s: %s", cmd->name, errstr(err));
		return -EINVAL;
	}
	/* JSON mode must be known before the first error is printed. */
	for (size_t i = 0; i < cmd->n_opts; i++)
		if (cmd->opts[i].type == CLIOPT_T_JSON)
			for (int j = 1; j < argc && strcmp(argv[j], "--"); j++)
				if (!strcmp(argv[j], "--json"))
					log_set_json(true);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == ':') {
			log_error("option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		}
		d = find_opt(cmd, c);
		if (d)
			err = store(cmd, d, optarg, o);
		else if (c != '?' && cmd->own)
			err = cmd->own(o, c, optarg); /* one of cmd->extra */
		else {
			log_error("unknown option '%s' (see tcpinspect %s --help)",
				  argv[optind - 1], cmd->name);
			return -EINVAL;
		}
		if (err)
			return -EINVAL;
	}
	if (cmd->no_args && optind < argc) {
		log_error("unexpected argument '%s' (see tcpinspect %s --help)",
			  argv[optind], cmd->name);
		return -EINVAL;
	}
	return optind;
}
