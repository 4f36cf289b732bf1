// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * detach.c - `tcpinspect detach`: remove the packet-program links that a
 * killed serve left pinned (pinlink.h), and with them the enforcement.
 * The pinned blocklist and allowlist stay (`tcpinspect block|allow`).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blocklist.h"
#include "commands.h"
#include "log.h"
#include "opts.h"
#include "pinlink.h"
#include "system.h"
#include "tcpinspect.h"

static void detach_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect detach [-i IFACE]...\n"
		"Remove the packet-program links pinned by serve under\n"
		"$TCPINSPECT_PIN_DIR/links (default %s/links): what a killed\n"
		"serve leaves attached so that the blocklist stays enforced. The\n"
		"pinned blocklist and allowlist are kept. Run it while serve is\n"
		"running and serve goes on without its packet program.\n\n"
		"  -i, --interface IFACE  only this interface (repeatable; it may no\n"
		"                         longer exist)\n"
		"  -h, --help             this help\n"
		"Exit codes: 0 removed, or nothing was attached; 1 a link could not be\n"
		"removed; 2 usage error; 3 not root.\n",
		TI_PIN_DIR);
}

static int valid_ifname(const char *s)
{
	return *s && strlen(s) < IF_NAMESIZE && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

/* Detach one pinned link; prints what happened. 0, or 1 on failure. */
static int detach_one_pin(const char *ifname, int *removed)
{
	int err = pinlink_detach(ifname);

	if (err == -ENOENT)
		return 0;
	if (err)
		return 1; /* reported */
	log_info("detached the pinned link of %s", ifname);
	(*removed)++;
	return 0;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *names[TI_MAX_IFACES];
	int n = 0, removed = 0, failed = 0, c, dirfd;
	struct dirent *de;
	DIR *d;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (n >= TI_MAX_IFACES) {
				log_error("too many interfaces (at most %d)", TI_MAX_IFACES);
				return TI_EXIT_USAGE;
			}
			if (!valid_ifname(optarg)) {
				log_error("invalid interface name '%s'", optarg);
				return TI_EXIT_USAGE;
			}
			names[n++] = optarg;
			break;
		case 'h':
			detach_usage(stdout);
			return TI_EXIT_OK;
		case ':':
			log_error("option '%s' needs a value", argv[optind - 1]);
			return TI_EXIT_USAGE;
		default:
			log_error("unknown option '%s' (see tcpinspect detach --help)",
				  argv[optind - 1]);
			return TI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (see tcpinspect detach --help)",
			  argv[optind]);
		return TI_EXIT_USAGE;
	}
	if (sys_require_root())
		return TI_EXIT_ENV;

	dirfd = pinlink_dir_open(false);
	if (dirfd == -ENOENT) {
		log_info("nothing attached: no pinned links under %s", blocklist_pin_dir());
		return TI_EXIT_OK;
	}
	if (dirfd < 0)
		return TI_EXIT_FAILURE;
	if (n) {
		for (int i = 0; i < n; i++)
			failed |= detach_one_pin(names[i], &removed);
	} else {
		d = fdopendir(dirfd);
		if (!d) {
			log_error("failed to list the pinned links: %s", errstr(-errno));
			close(dirfd);
			return TI_EXIT_FAILURE;
		}
		dirfd = -1; /* owned by d */
		while ((de = readdir(d)))
			if (valid_ifname(de->d_name))
				failed |= detach_one_pin(de->d_name, &removed);
		closedir(d);
	}
	if (dirfd >= 0)
		close(dirfd);
	if (!removed && !failed)
		log_info("nothing attached%s", n ? " on the interfaces named" : "");
	/* Leave no empty directory behind (it is re-created when needed). */
	if (!failed && pinlink_dir_remove_empty())
		log_debug("links directory kept: not empty");
	return failed ? TI_EXIT_FAILURE : TI_EXIT_OK;
}
