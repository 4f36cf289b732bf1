// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c - tcpinspect: inspect incoming TCP traffic with eBPF.
 * Global options, then a table-driven subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"

#define TI_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "watch", cmd_watch, "stream incoming TCP packets and connection events" },
	{ "features", cmd_features, "what this kernel supports and which hooks tcpinspect uses" },
	{ "conns", cmd_conns, "snapshot of every TCP socket with its owner (like ss -tip)" },
	{ "block", cmd_block, "add, remove or list blocked sources (pinned; enforced in XDP)" },
	{ "allow", cmd_allow, "add, remove or list sources never blocked or rate limited" },
	{ "serve", cmd_serve, "daemon: Prometheus metrics, REST API and web dashboard" },
	{ "top", cmd_top, "full-screen live view of sources, ports and connections" },
	{ "capture", cmd_capture, "write matching incoming packets to a pcap file" },
	{ "detach", cmd_detach, "remove the packet links a killed serve left attached (pinned)" },
	{ "replay", cmd_replay, "run a pcap/pcapng file through the inspector, print its events" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: tcpinspect [-v] COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nGlobal options:\n"
		"  -v, --verbose  more detail (twice: libbpf debug output)\n"
		"  -h, --help     this help\n"
		"  --version      print the version\n"
		"\n'tcpinspect COMMAND --help' describes a command.\n"
		"Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 environment\n"
		"(not root, no kernel BTF).\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	log_init();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			ti_verbose++;
		} else if (!strcmp(argv[i], "-vv")) {
			ti_verbose += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return TI_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("tcpinspect %s\n", TI_VERSION);
			return TI_EXIT_OK;
		} else {
			log_error("unknown option '%s' (see tcpinspect --help)", argv[i]);
			return TI_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return TI_EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(argc - i, argv + i);
	log_error("unknown command '%s' (see tcpinspect --help)", argv[i]);
	return TI_EXIT_USAGE;
}
