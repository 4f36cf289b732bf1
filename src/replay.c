// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay.c - `tcpinspect replay FILE`: every frame of a pcap or pcapng
 * capture (Ethernet) is run through the inspector's XDP program with
 * BPF_PROG_TEST_RUN - the same kernel code as live inspection, loaded but
 * not attached - and the events it emits are printed as watch prints them.
 *
 * Time: before each frame the program's clock (ti_clock_override in
 * capture.bpf.h) is set to the frame's capture timestamp, so events carry
 * the capture's time (ts_ns = nanoseconds since the Unix epoch) and time
 * windows in the kernel follow the capture, not the replay speed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspector.skel.h"
#include "appevent.h"
#include "cliopts.h"
#include "commands.h"
#include "defence.h"
#include "events.h"
#include "filter.h"
#include "inspector.h"
#include "log.h"
#include "output.h"
#include "pcapread.h"
#include "system.h"

/* What BPF_PROG_TEST_RUN accepts for an XDP program without frags: a page
 * minus XDP headroom and the skb_shared_info tail (bpf_prog_test_run_xdp). */
#define REPLAY_MIN_FRAME 14

struct replay_opts {
	const char *file;
	bool json;
	bool all_packets;
	bool no_app;
	bool show_query;
	uint64_t payload;
};

struct replay_state {
	const struct replay_opts *o;
	struct jw jw;
	uint64_t frame;       /* 1-based number of the frame being run */
	uint64_t events;
	uint64_t invalid;
	int write_err;
};

static const char *replay_ifname(unsigned int ifindex)
{
	(void)ifindex;
	return "pcap";
}

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect replay [OPTIONS] FILE [FILTER EXPRESSION]\n"
		"Run every frame of a pcap/pcapng capture (Ethernet) through the\n"
		"inspector's XDP program (BPF_PROG_TEST_RUN) and print the events live\n"
		"inspection would have produced, timed by the capture.\n\n"
		"      --json             JSON lines (docs/events.md); each event has the\n"
		"                         number of its frame in the file (\"frame\")\n"
		"      --all-packets      an event for every TCP segment\n"
		"      --no-app           no app events (HTTP/TLS/SSH hints)\n"
		"      --show-query       print URL query strings (default: redacted)\n"
		"      --payload N        print up to N first payload bytes of app events\n"
		"                         as hex (default 0: none)\n"
		"  -h, --help             this help\n");
}

static int parse_replay_opts(int argc, char **argv, struct replay_opts *o,
			     int *expr_at)
{
	static const struct cliopt opts[] = {
		CLIOPT_JSON(struct replay_opts, json),
		CLIOPT_ALL_PACKETS(struct replay_opts, all_packets),
		CLIOPT_APP(struct replay_opts, CLIOPT_T_FLAG, no_app, show_query, payload),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "replay", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.usage = replay_usage,
	};
	int words;

	memset(o, 0, sizeof(*o));
	words = cliopts_parse(&cmd, argc, argv, o);
	if (words < 0)
		return -EINVAL;
	if (words >= argc) {
		log_error("replay needs a capture file (see tcpinspect replay --help)");
		return -EINVAL;
	}
	o->file = argv[words];
	*expr_at = words + 1;
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct replay_state *st = ctx;

	if (!event_valid(data, size)) {
		st->invalid++;
		return 0;
	}
	st->events++;
	if (st->o->json) {
		event_json(&st->jw, data, replay_ifname);
		/* Reopen the object to add the frame number: event_json ends
		 * with the closing brace and leaves the comma state set. */
		if (!st->jw.oom && st->jw.len && st->jw.buf[st->jw.len - 1] == '}') {
			st->jw.len--;
			jw_u64(&st->jw, "frame", st->frame);
			jw_obj_end(&st->jw);
		}
		if (!st->write_err)
			st->write_err = jw_flush_line(&st->jw, stdout);
	} else {
		printf("#%-6llu ", (unsigned long long)st->frame);
		event_text(stdout, data, replay_ifname);
	}
	return 0;
}

struct replay_totals {
	uint64_t frames, run, filtered, too_short, too_big, snapped, failed;
};

static void print_totals(struct replay_state *st, const struct replay_totals *t,
			 const struct ti_pkt_counters *pc)
{
	uint64_t malformed = 0;

	for (int i = 0; i < TI_MAL_MAX; i++)
		malformed += pc->malformed[i];
	if (!st->o->json) {
		fprintf(stderr,
			"tcpinspect: %llu frames read, %llu run (%llu TCP, %llu malformed), %llu not matching the expression, %llu skipped (%llu too short, %llu too big for BPF_PROG_TEST_RUN), %llu cut by the capture's snaplen; %llu events\n",
			(unsigned long long)t->frames, (unsigned long long)t->run,
			(unsigned long long)pc->tcp_packets,
			(unsigned long long)malformed,
			(unsigned long long)t->filtered,
			(unsigned long long)(t->too_short + t->too_big + t->failed),
			(unsigned long long)t->too_short,
			(unsigned long long)t->too_big,
			(unsigned long long)t->snapped,
			(unsigned long long)st->events);
		appevent_stats_text(stderr);
		return;
	}
	struct jw *w = &st->jw;

	jw_reset(w);
	jw_obj_begin(w);
	jw_str(w, "event", "stats");
	jw_str(w, "file", st->o->file);
	jw_u64(w, "frames", t->frames);
	jw_u64(w, "frames_run", t->run);
	jw_u64(w, "frames_filtered", t->filtered);
	jw_u64(w, "frames_too_short", t->too_short);
	jw_u64(w, "frames_too_big", t->too_big);
	jw_u64(w, "frames_failed", t->failed);
	jw_u64(w, "frames_snapped", t->snapped);
	jw_u64(w, "packets", pc->packets);
	jw_u64(w, "tcp_packets", pc->tcp_packets);
	jw_u64(w, "ipv4", pc->ipv4);
	jw_u64(w, "ipv6", pc->ipv6);
	jw_u64(w, "non_ip", pc->non_ip);
	jw_u64(w, "non_tcp", pc->non_tcp);
	jw_obj_key(w, "malformed");
	for (int i = 0; i < TI_MAL_MAX; i++)
		jw_u64(w, ti_malformed_name(i), pc->malformed[i]);
	jw_obj_end(w);
	jw_obj_key(w, "events");
	jw_u64(w, "delivered", st->events);
	jw_u64(w, "invalid", st->invalid);
	jw_u64(w, "lost", pc->events_dropped);
	jw_obj_end(w);
	appevent_stats_json(w);
	jw_obj_end(w);
	jw_flush_line(w, stdout);
}

int cmd_replay(int argc, char **argv)
{
	struct inspector_cfg icfg = {};
	struct defence_cfg dcfg;
	struct replay_state st = {};
	struct replay_totals t = {};
	struct ti_pkt_counters pc = {};
	struct ti_pushdown pd = {};
	struct replay_opts o;
	struct tfilter flt = {};
	struct inspector ins = {};
	struct ring_buffer *rb = NULL;
	struct capreader cr;
	struct capframe fr;
	int expr_at, ret = TI_EXIT_OK, rc, prog_fd;

	if (parse_replay_opts(argc, argv, &o, &expr_at))
		return TI_EXIT_USAGE;
	st.o = &o;
	appevent_set_options(o.show_query, (unsigned int)o.payload);

	if (capreader_open(&cr, o.file))
		return TI_EXIT_USAGE;
	if (tfilter_compile(&flt, argc - expr_at, argv + expr_at, cr.pcap)) {
		capreader_close(&cr);
		return TI_EXIT_USAGE;
	}
	tfilter_pushdown(&flt, &pd);
	if (sys_require_root() || sys_require_btf()) {
		ret = TI_EXIT_ENV;
		goto out;
	}

	icfg.all_packets = o.all_packets;
	icfg.app_hints = !o.no_app;
	icfg.pushdown = &pd;
	/* The kernel detectors with their defaults, never dropping: replay
	 * reports what live inspection would have alerted on. */
	defence_cfg_defaults(&dcfg);
	dcfg.enforce = false;
	icfg.defence = &dcfg;
	icfg.progs = TI_PROG_XDP; /* frames are test-run through ti_xdp */
	if (inspector_load(&ins, &icfg)) {
		ret = TI_EXIT_FAILURE;
		goto out;
	}
	rb = ring_buffer__new(inspector_events_fd(&ins), on_record, &st, NULL);
	if (!rb || ring_buffer__add(rb, defence_alert_fd(&ins), on_record, &st)) {
		log_error("failed to set up the event ring buffer: %s", errstr(errno));
		ret = TI_EXIT_FAILURE;
		goto out;
	}
	prog_fd = bpf_program__fd(ins.skel->progs.ti_xdp);

	while ((rc = capreader_next(&cr, &fr)) == 1) {
		int err;

		t.frames++;
		st.frame = t.frames;
		if (!tfilter_match(&flt, fr.hdr, fr.data)) {
			t.filtered++;
			continue;
		}
		if (fr.caplen < REPLAY_MIN_FRAME) {
			t.too_short++;
			log_warn("%s: frame %llu: %u bytes, shorter than an Ethernet header: skipped",
				 o.file, (unsigned long long)t.frames, fr.caplen);
			continue;
		}
		if (fr.snapped)
			t.snapped++;
		/* 0 means "live clock" to the program. */
		ins.skel->bss->ti_clock_override = fr.ts_ns ? fr.ts_ns : 1;

		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = fr.data,
			    .data_size_in = fr.caplen, .repeat = 1);
		err = bpf_prog_test_run_opts(prog_fd, &topts);
		if (err) {
			err = -errno;
			if (err == -EINVAL) {
				t.too_big++;
				log_warn("%s: frame %llu: %u bytes: not accepted by BPF_PROG_TEST_RUN for XDP (larger than a page minus headroom): skipped",
					 o.file, (unsigned long long)t.frames, fr.caplen);
			} else {
				t.failed++;
				log_warn("%s: frame %llu: BPF_PROG_TEST_RUN failed: %s",
					 o.file, (unsigned long long)t.frames, errstr(err));
			}
			continue;
		}
		t.run++;
		ring_buffer__consume(rb);
		if (st.write_err)
			break;
	}
	if (rc < 0)
		ret = TI_EXIT_USAGE;
	ring_buffer__consume(rb);
	inspector_counters(&ins, &pc);
	fflush(stdout);
	/* After a bad record the error line alone goes to stderr (JSON:
	 * the totals still end the stream on stdout). */
	if (rc >= 0 || o.json)
		print_totals(&st, &t, &pc);
	fflush(stdout);
out:
	ring_buffer__free(rb);
	if (ins.skel)
		inspector_destroy(&ins);
	tfilter_free(&flt);
	capreader_close(&cr);
	jw_free(&st.jw);
	return ret;
}
