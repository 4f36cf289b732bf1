// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch.c - `tcpinspect watch`: attach the packet inspector and the
 * connection tracepoints, stream events until a signal, --duration or
 * --count, then detach everything and report totals (lost events included).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "appevent.h"
#include "cliopts.h"
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
/* Output to a pipe or file is fully buffered and flushed once per poll:
 * one write(2) for all the records of a poll rather than one per 4 KiB
 * (a terminal keeps its line buffering). Static: no heap for it. */
#define OUT_BUF_BYTES (64u << 10)
static char out_buf[OUT_BUF_BYTES];

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
	bool show_query;   /* --show-query */
	uint64_t payload;  /* --payload: app event bytes shown as hex */
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
		"      --events LIST      only these event kinds, comma-separated (default:\n"
		"                         all): packet, state, retransmit, reset_received,\n"
		"                         reset_sent, app, alert, accept, handshake, close,\n"
		"                         drop, listen_overflow; the kernel sends no record\n"
		"                         for the others\n"
		"      --no-app           no app events (HTTP/TLS/SSH hints from the\n"
		"                         first payload bytes of new connections)\n"
		"      --show-query       print URL query strings (default: redacted)\n"
		"      --payload N        print up to N first payload bytes of app\n"
		"                         events as hex (default 0: none)\n"
		PRIVDROP_USAGE
		"  -h, --help             this help\n");
	defence_usage(f);
}

enum { OPT_ALL_NETNS = CLIOPT_KEY_OWN, OPT_CONN_HOOK, OPT_SUMMARY, OPT_EVENTS };

static int watch_own_opt(void *opts, int key, const char *arg)
{
	struct watch_opts *o = opts;
	struct session_cfg *sc = &o->scfg;

	if (key >= TI_DEFOPT_BASE && key < TI_DEFOPT_END)
		return defence_opt(&sc->defence, key, arg);
	if (key == OPT_EVENTS)
		return cliopt_events(arg, &sc->events);
	/* --conn-hook */
	if (!strcmp(arg, "auto")) {
		sc->conn_hook = CONN_HOOK_AUTO;
	} else if (!strcmp(arg, "tp_btf")) {
		sc->conn_hook = CONN_HOOK_BTF;
	} else if (!strcmp(arg, "tracepoint")) {
		sc->conn_hook = CONN_HOOK_TRACEPOINT;
	} else {
		log_error("invalid value for --conn-hook: '%s' (expected auto, tp_btf or tracepoint)",
			  arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_watch_opts(int argc, char **argv, struct watch_opts *o)
{
	static const struct cliopt opts[] = {
		CLIOPT_INTERFACE(struct watch_opts, scfg.ifaces, scfg.n_ifaces),
		CLIOPT_PORT(struct watch_opts, scfg.ports, scfg.nports),
		CLIOPT_46(struct watch_opts, scfg.family),
		CLIOPT_JSON(struct watch_opts, json),
		CLIOPT_ALL_PACKETS(struct watch_opts, scfg.all_packets),
		{ "all-netns", OPT_ALL_NETNS, CLIOPT_T_FLAG,
		  offsetof(struct watch_opts, scfg.all_netns), 0, 0, 0 },
		CLIOPT_MODE(struct watch_opts, scfg.mode),
		{ "conn-hook", OPT_CONN_HOOK, CLIOPT_T_OWN, 0, 0, 0, 0 },
		{ "events", OPT_EVENTS, CLIOPT_T_OWN, 0, 0, 0, 0 },
		CLIOPT_PRIVDROP(struct watch_opts, pd_opts.user, pd_opts.off),
		{ "summary", OPT_SUMMARY, CLIOPT_T_FLAG,
		  offsetof(struct watch_opts, summary), 0, 0, 0 },
		CLIOPT_DURATION(struct watch_opts, duration),
		CLIOPT_COUNT(struct watch_opts, count),
		CLIOPT_APP(struct watch_opts, CLIOPT_T_UNSET, scfg.app_hints,
			   show_query, payload),
		CLIOPT_HELP,
	};
	static const struct option defence_opts[] = { DEFENCE_LONGOPTS, {} };
	static const struct clicmd cmd = {
		.name = "watch", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.extra = defence_opts, .own = watch_own_opt, .usage = watch_usage,
	};
	int words;

	memset(o, 0, sizeof(*o));
	defence_cfg_defaults(&o->scfg.defence);
	o->scfg.app_hints = true;
	o->scfg.pushdown = &o->pd;
	o->scfg.batch_us = SESSION_BATCH_US;
	words = cliopts_parse(&cmd, argc, argv, o);
	if (words < 0)
		return -EINVAL;
	appevent_set_options(o->show_query, (unsigned int)o->payload);
	/* --no-app removes app from --events (and an --events list
	 * without app loads no app hints: session_start()). */
	if (!o->scfg.app_hints && o->scfg.events == TI_EV_BIT(TI_EV_APP)) {
		log_error("--no-app removes app, the only kind --events selects");
		return -EINVAL;
	}
	/* The words left are a tcpdump expression, compiled by libpcap. */
	if (tfilter_compile(&o->flt, argc - words, argv + words, NULL))
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
	/* The kernel sends no unselected kind: what reaches here unselected
	 * was made in user space (half-open time-outs, listen overflows),
	 * is no ring record and so is not counted either. */
	if (!TI_EV_SELECTED(st->o->scfg.events,
			    ((const struct ti_event_hdr *)data)->type))
		return;
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
	defence_stats_json(w, ins);
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
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
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
