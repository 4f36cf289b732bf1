// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * capture.c - `tcpinspect capture`: incoming TCP frames that pass the
 * kernel filter (ports, addresses) are copied by the inspector into their
 * own ring buffer; the tcpdump expression, if any, is matched by libpcap
 * and the frames are written by libpcap's pcap writer with nanosecond
 * timestamps (the kernel's monotonic clock moved to wall-clock time).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "pcapcompat.h"
#include "cliopts.h"
#include "commands.h"
#include "filter.h"
#include "log.h"
#include "opts.h"
#include "privdrop.h"
#include "session.h"

#define POLL_TIMEOUT_MS 100
#define DEFAULT_SNAPLEN TI_CAP_MAX_SNAPLEN

struct capture_opts {
	struct session_cfg scfg;
	struct ti_pushdown pd;
	const char *file;
	uint64_t snaplen;
	uint64_t count;
	double duration;
	struct privdrop_opts pd_opts; /* --user, --no-privdrop */
	struct privdrop_user drop_to;
};

struct capture_state {
	const struct capture_opts *o;
	struct tfilter flt;
	pcap_dumper_t *dumper;
	int64_t mono_to_real_ns;
	uint64_t written, unmatched, invalid;
	bool done;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void capture_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect capture -w FILE [OPTIONS] [FILTER EXPRESSION]\n"
		"Write incoming TCP packets to a pcap file (nanosecond timestamps).\n"
		"The expression is tcpdump's (pcap-filter(7)); host and port terms\n"
		"are checked in the kernel, the rest by libpcap.\n\n"
		"  -w, --write FILE       pcap file to write ('-': standard output)\n"
		"  -i, --interface IFACE  interface (repeatable; default: every interface\n"
		"                         that is up, loopback excluded)\n"
		"  -p, --port PORT        packets to or from PORT (repeatable)\n"
		"      --host ADDR        packets to or from ADDR[/PREFIX] (repeatable)\n"
		"  -s, --snaplen N        bytes kept per packet, 1-%d (default %d)\n"
		"  -c, --count N          stop after N packets written\n"
		"  -d, --duration SECS    stop after SECS seconds\n"
		"      --mode MODE        auto (default), native, generic or tc\n"
		PRIVDROP_USAGE
		"  -h, --help             this help\n"
		"FILE is opened before privileges are dropped.\n",
		TI_CAP_MAX_SNAPLEN, DEFAULT_SNAPLEN);
}

static int capture_own_opt(void *opts, int key, const char *arg)
{
	struct capture_opts *o = opts;
	uint16_t port;

	/* Ports and hosts go to the kernel filter, both directions. */
	if (key != 'p')
		return pushdown_add_host(&o->pd, "--host", arg, TI_FLT_SRC | TI_FLT_DST);
	if (opt_port("--port", arg, &port))
		return -EINVAL;
	return pushdown_add_port(&o->pd, port, TI_FLT_SRC | TI_FLT_DST);
}

static int parse_capture_opts(int argc, char **argv, struct capture_opts *o,
			      struct tfilter *flt)
{
	enum { OPT_HOST = CLIOPT_KEY_OWN };
	static const struct cliopt opts[] = {
		{ "write", 'w', CLIOPT_T_STR, offsetof(struct capture_opts, file), 0, 0, 0 },
		CLIOPT_INTERFACE(struct capture_opts, scfg.ifaces, scfg.n_ifaces),
		{ "port", 'p', CLIOPT_T_OWN, 0, 0, 0, 0 },
		{ "host", OPT_HOST, CLIOPT_T_OWN, 0, 0, 0, 0 },
		{ "snaplen", 's', CLIOPT_T_U64, offsetof(struct capture_opts, snaplen),
		  0, 1, TI_CAP_MAX_SNAPLEN },
		CLIOPT_COUNT(struct capture_opts, count),
		CLIOPT_DURATION(struct capture_opts, duration),
		CLIOPT_MODE(struct capture_opts, scfg.mode),
		CLIOPT_PRIVDROP(struct capture_opts, pd_opts.user, pd_opts.off),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "capture", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.own = capture_own_opt, .usage = capture_usage,
	};
	int words;

	memset(o, 0, sizeof(*o));
	o->snaplen = DEFAULT_SNAPLEN;
	/* Options may come before or after the expression's words (GNU
	 * permutation); the words left over form the expression. */
	words = cliopts_parse(&cmd, argc, argv, o);
	if (words < 0)
		return -EINVAL;
	if (!o->file) {
		log_error("capture needs an output file: -w FILE (see tcpinspect capture --help)");
		return -EINVAL;
	}
	if (tfilter_compile(flt, argc - words, argv + words, NULL))
		return -EINVAL;
	tfilter_pushdown(flt, &o->pd);
	/* Resolved now, so a bad --user is a usage error before any load. */
	return privdrop_opts_resolve(&o->pd_opts, &o->drop_to);
}

static int64_t mono_to_real_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL +
	       (rt.tv_nsec - mono.tv_nsec);
}

static int on_frame(void *ctx, void *data, size_t size)
{
	struct capture_state *st = ctx;
	const struct ti_cap_record *r = data;
	const size_t hdr = offsetof(struct ti_cap_record, data);
	struct pcap_pkthdr ph;
	int64_t real;

	if (size < hdr || r->hdr.type != TI_EV_CAPTURE ||
	    r->cap_len > size - hdr || r->cap_len > r->wire_len) {
		st->invalid++;
		return 0;
	}
	if (st->done)
		return 0;
	real = (int64_t)r->hdr.ts_ns + st->mono_to_real_ns;
	ph.ts.tv_sec = (time_t)(real / 1000000000LL);
	/* The dumper was opened with nanosecond precision: tv_usec holds ns. */
	ph.ts.tv_usec = (suseconds_t)(real % 1000000000LL);
	ph.caplen = r->cap_len;
	ph.len = r->wire_len;
	if (!tfilter_match(&st->flt, &ph, r->data)) {
		st->unmatched++;
		return 0;
	}
	pcap_dump((u_char *)st->dumper, &ph, r->data);
	st->written++;
	if (st->o->count && st->written >= st->o->count)
		st->done = true;
	return 0;
}

/* Packet and connection events of the session are not wanted here. */
static void ignore_event(void *ctx, const void *event, size_t size)
{
	(void)ctx, (void)event, (void)size;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_capture(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct capture_state st = {};
	struct ti_cap_counters cc = {};
	struct capture_opts o;
	struct session sess;
	pcap_t *dead;
	double start;
	int ret, err;

	if (parse_capture_opts(argc, argv, &o, &st.flt)) {
		tfilter_free(&st.flt);
		return TI_EXIT_USAGE;
	}
	st.o = &o;
	o.scfg.snaplen = (uint32_t)o.snaplen;
	o.scfg.pushdown = &o.pd;

	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)o.snaplen,
						    PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		log_error("failed to set up the pcap writer");
		tfilter_free(&st.flt);
		return TI_EXIT_FAILURE;
	}
	st.dumper = pcap_dump_open(dead, o.file);
	if (!st.dumper) {
		log_error("failed to open %s for writing: %s", o.file, pcap_geterr(dead));
		pcap_close(dead);
		tfilter_free(&st.flt);
		return TI_EXIT_FAILURE;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	ret = session_start(&sess, &o.scfg, ignore_event, NULL);
	if (ret)
		goto out;
	st.mono_to_real_ns = mono_to_real_offset();
	if (ring_buffer__add(sess.rb, capture_ring_fd(sess.ins.skel), on_frame, &st)) {
		log_error("failed to set up the capture ring buffer: %s", errstr(errno));
		ret = TI_EXIT_FAILURE;
		goto stop;
	}
	if (session_drop_privileges(&sess, o.pd_opts.off ? NULL : &o.drop_to,
				    PRIVDROP_PROFILE_WATCH)) {
		ret = TI_EXIT_FAILURE;
		goto stop;
	}
	log_info("capturing to %s%s%s%s", o.file,
		 tfilter_active(&st.flt) ? " (filter: " : "", st.flt.expr,
		 tfilter_active(&st.flt) ? ")" : "");
	start = now_s();
	while (!stop_requested && !st.done) {
		err = session_poll(&sess, POLL_TIMEOUT_MS);
		if (err) {
			log_error("failed to read captured packets: %s", errstr(err));
			ret = TI_EXIT_FAILURE;
			break;
		}
		if (o.duration && now_s() - start >= o.duration)
			break;
	}
	session_drain(&sess);
	capture_counters(sess.ins.skel, &cc);
	log_info("%llu packets captured to %s (%llu rejected by the expression, %llu lost: ring buffer full%s)",
		 (unsigned long long)st.written, o.file,
		 (unsigned long long)st.unmatched,
		 (unsigned long long)cc.cap_dropped,
		 st.invalid ? ", some records invalid" : "");
stop:
	session_stop(&sess);
out:
	if (pcap_dump_flush(st.dumper)) {
		log_error("failed to write %s", o.file);
		ret = TI_EXIT_FAILURE;
	}
	pcap_dump_close(st.dumper);
	pcap_close(dead);
	tfilter_free(&st.flt);
	return ret;
}
