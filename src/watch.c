// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch.c - `tcpinspect watch`: attach the packet inspector and the
 * connection tracepoints, stream events until a signal, --duration or
 * --count, then detach everything and report totals (lost events included).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "appevent.h"
#include "events.h"
#include "filter.h"
#include "log.h"
#include "opts.h"
#include "output.h"
#include "privdrop.h"
#include "session.h"
#include "defence.h"
#include "system.h"

#define POLL_TIMEOUT_MS 100

struct watch_opts {
	struct session_cfg scfg;
	bool json;
	double duration; /* 0 = until a signal */
	uint64_t count;  /* 0 = unlimited */
	bool summary;    /* --summary: histograms and map memory at the end */
	struct tfilter flt;     /* trailing tcpdump expression */
	struct ti_pushdown pd;  /* its kernel-checkable part */
	struct privdrop_opts pd_opts; /* --user, --no-privdrop */
	struct privdrop_user drop_to;
};

struct watch_state {
	const struct watch_opts *o;
	struct jw jw;
	uint64_t delivered;
	uint64_t filtered; /* records read but not printed (--count reached) */
	bool done;
	int write_err;
};

static volatile sig_atomic_t stop_requested;
static struct session *cur_session; /* for ifname lookups while printing */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char *ifname_of(unsigned int ifindex)
{
	return cur_session ? session_ifname(cur_session, ifindex) : "?";
}

static void watch_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect watch [OPTIONS] [FILTER EXPRESSION]\n"
		"Stream incoming TCP packets and connection events. A tcpdump filter\n"
		"expression (pcap-filter(7)) selects events by their headers.\n\n"
		"  -i, --interface IFACE  interface to watch (repeatable; default: every\n"
		"                         interface that is up, loopback excluded)\n"
		"  -4, -6                 IPv4 or IPv6 only\n"
		"  -p, --port PORT        destination (local) port filter, repeatable\n"
		"      --json             JSON lines (schema: docs/events.md)\n"
		"      --all-packets      an event for every TCP segment, not only\n"
		"                         SYN, SYN-ACK, RST and FIN\n"
		"      --all-netns        connection events from every network namespace\n"
		"                         (default: this one only)\n"
		"      --mode MODE        auto (default), native, generic or tc\n"
		"      --conn-hook HOOK   auto (default: tp_btf, else tracepoint),\n"
		"                         tp_btf or tracepoint\n"
		"  -d, --duration SECS    stop after SECS seconds\n"
		"  -c, --count N          stop after N events\n"
		"      --summary          at the end: handshake and RTT histograms per\n"
		"                         listening port, memory of the connection maps\n"
		"      --no-app           no app events (HTTP/TLS/SSH hints from the\n"
		"                         first payload bytes of new connections)\n"
		"      --show-query       print URL query strings (default: redacted)\n"
		"      --payload N        print up to N first payload bytes of app\n"
		"                         events as hex (default 0: none)\n"
		PRIVDROP_USAGE
		"  -h, --help             this help\n");
	defence_usage(f);
}

static int parse_watch_opts(int argc, char **argv, struct watch_opts *o)
{
	enum { OPT_JSON = 256, OPT_ALL_PACKETS, OPT_ALL_NETNS, OPT_MODE, OPT_CONN_HOOK };
	enum { OPT_SUMMARY = 1024 }; /* own range: others add options too */
	enum { OPT_NO_APP = 768, OPT_SHOW_QUERY, OPT_PAYLOAD };
	bool show_query = false;
	uint64_t payload = 0;
	struct session_cfg *sc = &o->scfg;
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "all-packets", no_argument, NULL, OPT_ALL_PACKETS },
		{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "conn-hook", required_argument, NULL, OPT_CONN_HOOK },
		PRIVDROP_LONGOPTS,
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "no-app", no_argument, NULL, OPT_NO_APP },
		{ "show-query", no_argument, NULL, OPT_SHOW_QUERY },
		{ "payload", required_argument, NULL, OPT_PAYLOAD },
		{ "help", no_argument, NULL, 'h' },
		DEFENCE_LONGOPTS,
		{}
	};
	int c;

	memset(o, 0, sizeof(*o));
	defence_cfg_defaults(&o->scfg.defence);
	o->scfg.app_hints = true;
	o->scfg.pushdown = &o->pd;
	/* JSON mode must be known before the first error is printed. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			log_set_json(true);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:p:46d:c:h", longopts, NULL)) != -1) {
		if (c >= TI_DEFOPT_BASE && c < TI_DEFOPT_END) {
			if (defence_opt(&sc->defence, c, optarg))
				return -EINVAL;
			continue;
		}
		if (privdrop_opt(&o->pd_opts, c, optarg))
			continue;
		switch (c) {
		case 'i':
			if (sc->n_ifaces >= TI_MAX_IFACES) {
				log_error("too many interfaces (at most %d)", TI_MAX_IFACES);
				return -EINVAL;
			}
			for (int i = 0; i < sc->n_ifaces; i++)
				if (!strcmp(sc->ifaces[i].name, optarg)) {
					log_error("interface '%s' given twice", optarg);
					return -EINVAL;
				}
			if (opt_iface("--interface", optarg,
				      sc->ifaces[sc->n_ifaces].name,
				      &sc->ifaces[sc->n_ifaces].ifindex))
				return -EINVAL;
			sc->n_ifaces++;
			break;
		case 'p':
			if (sc->nports >= TI_MAX_PORTS) {
				log_error("too many ports (at most %d)", TI_MAX_PORTS);
				return -EINVAL;
			}
			if (opt_port("--port", optarg, &sc->ports[sc->nports]))
				return -EINVAL;
			sc->nports++;
			break;
		case '4':
		case '6':
			if (sc->family) {
				log_error("-4 and -6 are exclusive");
				return -EINVAL;
			}
			sc->family = c == '4' ? TI_AF_INET : TI_AF_INET6;
			break;
		case 'd':
			if (opt_seconds("--duration", optarg, &o->duration))
				return -EINVAL;
			break;
		case 'c':
			if (opt_u64("--count", optarg, 1, UINT64_MAX, &o->count))
				return -EINVAL;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_ALL_PACKETS:
			sc->all_packets = true;
			break;
		case OPT_ALL_NETNS:
			sc->all_netns = true;
			break;
		case OPT_CONN_HOOK:
			if (!strcmp(optarg, "auto")) {
				sc->conn_hook = CONN_HOOK_AUTO;
			} else if (!strcmp(optarg, "tp_btf")) {
				sc->conn_hook = CONN_HOOK_BTF;
			} else if (!strcmp(optarg, "tracepoint")) {
				sc->conn_hook = CONN_HOOK_TRACEPOINT;
			} else {
				log_error("invalid value for --conn-hook: '%s' (expected auto, tp_btf or tracepoint)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_NO_APP:
			sc->app_hints = false;
			break;
		case OPT_SHOW_QUERY:
			show_query = true;
			break;
		case OPT_PAYLOAD:
			if (opt_u64("--payload", optarg, 0, TI_APP_PREFIX_LEN, &payload))
				return -EINVAL;
			break;
		case OPT_MODE:
			if (ti_mode_parse(optarg, &sc->mode)) {
				log_error("invalid value for --mode: '%s' (expected auto, native, generic or tc)",
					  optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			watch_usage(stdout);
			exit(TI_EXIT_OK);
		case ':':
			log_error("option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("unknown option '%s' (see tcpinspect watch --help)",
				  argv[optind - 1]);
			return -EINVAL;
		}
	}
	appevent_set_options(show_query, (unsigned int)payload);
	/* The words left are a tcpdump expression, compiled by libpcap. */
	if (tfilter_compile(&o->flt, argc - optind, argv + optind, NULL))
		return -EINVAL;
	tfilter_pushdown(&o->flt, &o->pd);
	/* Resolved now, so a bad --user is a usage error before any load. */
	if (privdrop_opts_resolve(&o->pd_opts, &o->drop_to))
		return -EINVAL;
	return 0;
}

static void handle_event(void *ctx, const void *data, size_t size)
{
	struct watch_state *st = ctx;

	(void)size;
	if (st->done || !tfilter_match_event(&st->o->flt, data)) {
		st->filtered++;
		return;
	}
	if (st->o->json) {
		event_json(&st->jw, data, ifname_of);
		if (!st->write_err)
			st->write_err = jw_flush_line(&st->jw, stdout);
	} else {
		event_text(stdout, data, ifname_of);
	}
	st->delivered++;
	if (st->o->count && st->delivered >= st->o->count)
		st->done = true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_stats(struct watch_state *st, const struct session *s,
			double elapsed)
{
	struct ti_pkt_counters pc;
	struct ti_conn_counters cc;
	uint64_t lost, attempts, malformed = 0;

	const struct inspector *ins = &s->ins;

	inspector_counters(ins, &pc);
	conn_counters(&s->ct, &cc);
	session_event_totals(s, &attempts, &lost);
	for (int i = 0; i < TI_MAL_MAX; i++)
		malformed += pc.malformed[i];

	if (!st->o->json) {
		fprintf(stderr,
			"tcpinspect: %.1f s: %llu packets (%llu TCP, %llu malformed), %llu events shown, %llu lost\n",
			elapsed, (unsigned long long)pc.packets,
			(unsigned long long)pc.tcp_packets,
			(unsigned long long)malformed,
			(unsigned long long)st->delivered,
			(unsigned long long)lost);
		appevent_stats_text(stderr);
		return;
	}
	struct jw *w = &st->jw;

	jw_reset(w);
	jw_obj_begin(w);
	jw_str(w, "event", "stats");
	jw_dbl(w, "duration_s", elapsed);
	jw_u64(w, "packets", pc.packets);
	jw_u64(w, "bytes", pc.bytes);
	jw_u64(w, "tcp_packets", pc.tcp_packets);
	jw_u64(w, "ipv4", pc.ipv4);
	jw_u64(w, "ipv6", pc.ipv6);
	jw_u64(w, "non_ip", pc.non_ip);
	jw_u64(w, "non_tcp", pc.non_tcp);
	jw_u64(w, "fragments", pc.fragments);
	jw_obj_key(w, "tcp_flags");
	for (int i = 0; i < TI_TCP_FLAG_COUNT; i++)
		jw_u64(w, ti_tcp_flag_names[i], pc.flags[i]);
	jw_obj_end(w);
	jw_obj_key(w, "malformed");
	for (int i = 0; i < TI_MAL_MAX; i++)
		jw_u64(w, ti_malformed_name(i), pc.malformed[i]);
	jw_obj_end(w);
	jw_obj_key(w, "connections");
	jw_u64(w, "state_changes", cc.state_changes);
	jw_u64(w, "retransmits", cc.retransmits);
	jw_u64(w, "resets_received", cc.resets_rx);
	jw_u64(w, "resets_sent", cc.resets_tx);
	jw_obj_end(w);
	jw_obj_key(w, "events");
	jw_u64(w, "delivered", st->delivered);
	jw_u64(w, "filtered", st->filtered);
	jw_u64(w, "invalid", s->invalid);
	jw_u64(w, "lost", lost);
	/* Every record the kernel programs tried to queue: once drained,
	 * attempts = delivered + filtered + invalid + lost, exactly. */
	jw_u64(w, "attempts", attempts);
	jw_obj_end(w);
	jw_arr_begin(w, "interfaces");
	for (int i = 0; i < ins->n_att; i++) {
		jw_obj_begin(w);
		jw_str(w, "ifname", ins->att[i].ifname);
		jw_u64(w, "ifindex", ins->att[i].ifindex);
		jw_str(w, "mode", ti_mode_name(ins->att[i].mode));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_str(w, "connection_hook", conn_hook_name(&s->ct));
	appevent_stats_json(w);
	jw_obj_end(w);
	jw_flush_line(w, stdout);
}

int cmd_watch(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch_state st = {};
	struct session sess;
	struct watch_opts o;
	double start;
	int err, ret;

	if (parse_watch_opts(argc, argv, &o))
		return TI_EXIT_USAGE;
	st.o = &o;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = session_start(&sess, &o.scfg, handle_event, &st);
	if (ret)
		return ret;
	cur_session = &sess;
	if (session_drop_privileges(&sess, o.pd_opts.off ? NULL : &o.drop_to,
				    PRIVDROP_PROFILE_WATCH)) {
		ret = TI_EXIT_FAILURE;
		goto cleanup;
	}
	start = now_s();
	while (!stop_requested && !st.done) {
		err = session_poll(&sess, POLL_TIMEOUT_MS);
		if (err) {
			log_error("failed to read events: %s", errstr(err));
			ret = TI_EXIT_FAILURE;
			goto cleanup;
		}
		/* stdout gone (e.g. the reader of a pipe exited): stop. */
		if (fflush(stdout) || st.write_err)
			break;
		if (o.duration && now_s() - start >= o.duration)
			break;
	}
	/* Deliver what is already queued, so nothing is silently lost. */
	session_drain(&sess);
	print_stats(&st, &sess, now_s() - start);
	if (o.summary)
		conn_print_summary(&sess.ct, stdout, o.json ? &st.jw : NULL);
	fflush(stdout);
cleanup:
	session_stop(&sess);
	cur_session = NULL;
	jw_free(&st.jw);
	tfilter_free(&o.flt);
	return ret;
}
