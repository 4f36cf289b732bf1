// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * block.c - `tcpinspect block|allow add|del|list|flush`: edit the pinned
 * blocklist / allowlist (src/blocklist.h), with or without a running watch.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "blocklist.h"
#include "cliopts.h"
#include "commands.h"
#include "log.h"
#include "opts.h"
#include "output.h"
#include "pinmap.h"
#include "system.h"

struct list_print {
	bool json;
	const char *list;
	struct jw jw;
	int n;
};

static void list_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: tcpinspect %s add CIDR [--ttl SECONDS]\n"
		"       tcpinspect %s del CIDR\n"
		"       tcpinspect %s list [--json]\n"
		"       tcpinspect %s flush\n"
		"%s\n"
		"CIDR is an IPv4 or IPv6 address or prefix (198.18.0.0/15, fd00::/8);\n"
		"host bits after the prefix are an error. Entries live in pinned maps\n"
		"under %s: they survive restarts and are enforced by XDP/TC whenever\n"
		"tcpinspect's inspector is attached (watch, serve, capture).\n\n"
		"      --ttl SECONDS  remove the entry after SECONDS (default: never);\n"
		"                     adding an existing entry updates its TTL\n"
		"      --json         list as JSON lines\n"
		"  -h, --help         this help\n",
		cmd, cmd, cmd, cmd,
		!strcmp(cmd, "block") ?
			"Blocklist: packets from these sources are dropped (any protocol)." :
			"Allowlist: these sources are never blocked, rate limited or auto-blocked.",
		blocklist_pin_dir());
}

static void fmt_unix(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_entry(void *ctx, const struct blocklist_entry *e)
{
	struct list_print *p = ctx;
	char exp[32], added[32];

	p->n++;
	fmt_unix(e->expires, exp, sizeof(exp));
	fmt_unix(e->added, added, sizeof(added));
	if (!p->json) {
		printf("%-43s %12llu %14llu  %-20s  %s\n", e->cidr,
		       (unsigned long long)e->hits,
		       (unsigned long long)e->bytes, exp, added);
		return 0;
	}
	jw_reset(&p->jw);
	jw_obj_begin(&p->jw);
	jw_str(&p->jw, "event", "list_entry");
	jw_str(&p->jw, "list", p->list);
	jw_str(&p->jw, "cidr", e->cidr);
	jw_str(&p->jw, "family", e->family == TI_AF_INET6 ? "ipv6" : "ipv4");
	jw_u64(&p->jw, "prefix_len", e->prefix_len);
	jw_u64(&p->jw, "hits", e->hits);
	jw_u64(&p->jw, "bytes", e->bytes);
	jw_u64(&p->jw, "expires", e->expires);
	if (e->expires) {
		uint64_t now = (uint64_t)time(NULL);

		jw_u64(&p->jw, "ttl_remaining_s", e->expires > now ? e->expires - now : 0);
	}
	jw_u64(&p->jw, "added", e->added);
	jw_obj_end(&p->jw);
	return jw_flush_line(&p->jw, stdout);
}

static void block_usage(FILE *f)
{
	list_usage(f, "block");
}

static void allow_usage(FILE *f)
{
	list_usage(f, "allow");
}

/* The options of block and allow. */
struct list_opts {
	uint64_t ttl; /* --ttl; 0: not given */
	bool json;
};

static int cmd_list(int argc, char **argv, enum ti_list which)
{
	static const struct cliopt opts[] = {
		{ "ttl", CLIOPT_KEY_OWN, CLIOPT_T_U64, offsetof(struct list_opts, ttl),
		  0, 1, 366ULL * 86400 },
		CLIOPT_JSON(struct list_opts, json),
		CLIOPT_HELP,
	};
	const char *cmd = which == TI_LIST_BLOCK ? "block" : "allow";
	const struct clicmd cli = {
		.name = cmd, .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.usage = which == TI_LIST_BLOCK ? block_usage : allow_usage,
	};
	struct list_opts lo = {};
	struct list_print p = { .list = which == TI_LIST_BLOCK ? "block" : "allow" };
	char err[256] = "";
	struct blocklist bl;
	bool have_ttl;
	const char *verb, *cidr = NULL;
	int ret;

	if (cliopts_parse(&cli, argc, argv, &lo) < 0)
		return TI_EXIT_USAGE;
	have_ttl = lo.ttl != 0;
	p.json = lo.json;
	if (optind >= argc) {
		log_error("missing action: add, del, list or flush (see tcpinspect %s --help)", cmd);
		return TI_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (!strcmp(verb, "add") || !strcmp(verb, "del")) {
		if (optind >= argc) {
			log_error("%s %s needs a CIDR", cmd, verb);
			return TI_EXIT_USAGE;
		}
		cidr = argv[optind++];
	} else if (strcmp(verb, "list") && strcmp(verb, "flush")) {
		log_error("unknown action '%s': expected add, del, list or flush", verb);
		return TI_EXIT_USAGE;
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (see tcpinspect %s --help)",
			  argv[optind], cmd);
		return TI_EXIT_USAGE;
	}
	if (have_ttl && strcmp(verb, "add")) {
		log_error("--ttl only applies to '%s add'", cmd);
		return TI_EXIT_USAGE;
	}
	if (cidr) {
		struct ti_cidr parsed;

		/* A bad CIDR is a usage error even without privileges. */
		if (parse_cidr(cidr, &parsed, err, sizeof(err))) {
			log_error("%s", err);
			return TI_EXIT_USAGE;
		}
	}
	if (sys_require_root())
		return TI_EXIT_ENV;
	ret = blocklist_open(&bl);
	if (ret)
		return ret == -TI_ELAYOUT ? TI_EXIT_ENV : TI_EXIT_FAILURE;

	ret = TI_EXIT_OK;
	if (!strcmp(verb, "add")) {
		if (list_add(&bl, which, cidr, (uint32_t)lo.ttl, err, sizeof(err))) {
			log_error("%s", err);
			ret = TI_EXIT_FAILURE;
		}
	} else if (!strcmp(verb, "del")) {
		if (list_del(&bl, which, cidr, err, sizeof(err))) {
			log_error("%s", err);
			ret = TI_EXIT_FAILURE;
		}
	} else if (!strcmp(verb, "flush")) {
		int n = list_flush(&bl, which);

		if (n < 0) {
			log_error("failed to flush the %slist: %s", p.list, errstr(n));
			ret = TI_EXIT_FAILURE;
		} else if (!p.json) {
			fprintf(stderr, "tcpinspect: removed %d entries from the %slist\n",
				n, p.list);
		}
	} else {
		blocklist_gc(&bl);
		if (!p.json)
			printf("%-43s %12s %14s  %-20s  %s\n", "CIDR", "HITS",
			       "BYTES", "EXPIRES", "ADDED");
		ret = list_walk(&bl, which, print_entry, &p);
		if (ret) {
			log_error("failed to list the %slist: %s", p.list, errstr(ret));
			ret = TI_EXIT_FAILURE;
		}
	}
	jw_free(&p.jw);
	blocklist_close(&bl);
	return ret;
}

int cmd_block(int argc, char **argv)
{
	return cmd_list(argc, argv, TI_LIST_BLOCK);
}

int cmd_allow(int argc, char **argv)
{
	return cmd_list(argc, argv, TI_LIST_ALLOW);
}
