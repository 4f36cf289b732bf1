/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pktdiff.h - differential fuzzing of the packet inspector: frames run
 * through the loaded BPF programs (BPF_PROG_TEST_RUN, XDP and TC) and
 * through the independent model in refparse.h; the verdict, the delta of
 * every per-CPU counter, the SYN-source table and every event field must
 * agree. Used by tests/fuzz/diff_parser.c (`make fuzz`: millions of frames)
 * and tests/unit/test_pktdiff.c (a bounded slice plus the saved
 * regressions, in `make test`).
 *
 * Frames come from a seeded generator: valid templates (IPv4 with options,
 * IPv6 with extension headers, 0-2 VLAN tags, TCP with assorted options and
 * payload) that are then mutated (bit flips, interesting values in length
 * and type fields, truncation, extension, insertion, deletion), plus
 * wholly random frames.
 *
 * Needs root (BPF_PROG_TEST_RUN).
 */
#ifndef TI_PKTDIFF_H
#define TI_PKTDIFF_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspector.skel.h"
#include "refparse.h"

#define PD_MAX_FRAME 1600
#define PD_MAX_EVENTS 4

/* One loaded inspector with its settings. */
struct pd_inst {
	const char *name;
	bool all_packets;
	struct inspector_bpf *skel;
	struct ring_buffer *rb;
	int nev;
	struct ti_packet_event ev[PD_MAX_EVENTS];
	size_t ev_size;
};

struct pd {
	struct pd_inst inst[2]; /* all packets; default selection */
	int ncpus;
	unsigned int lo_ifindex;
	unsigned long frames, runs, diffs;
	unsigned long by_class[REF_MALFORMED + 2]; /* +1: refused (EINVAL) */
	unsigned long by_reason[TI_MAL_MAX];       /* tcp_bad_option included */
	const char *save_dir; /* where differing frames are written, or NULL */
	char report[2048];    /* the differences of the last frame */
	size_t report_len;
	bool verbose;
};

static inline void pd_note(struct pd *pd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void pd_note(struct pd *pd, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pd->report_len >= sizeof(pd->report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pd->report + pd->report_len,
		      sizeof(pd->report) - pd->report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		pd->report_len += (size_t)n;
	if (pd->report_len > sizeof(pd->report) - 1)
		pd->report_len = sizeof(pd->report) - 1;
}

static inline int pd_on_event(void *ctx, void *data, size_t size)
{
	struct pd_inst *in = ctx;

	if (in->nev < PD_MAX_EVENTS) {
		memset(&in->ev[in->nev], 0, sizeof(in->ev[0]));
		memcpy(&in->ev[in->nev], data,
		       size < sizeof(in->ev[0]) ? size : sizeof(in->ev[0]));
	}
	in->ev_size = size;
	in->nev++;
	return 0;
}

static inline int pd_open(struct pd *pd)
{
	memset(pd, 0, sizeof(*pd));
	pd->inst[0].name = "all_packets";
	pd->inst[0].all_packets = true;
	pd->inst[1].name = "default";
	pd->ncpus = libbpf_num_possible_cpus();
	pd->lo_ifindex = if_nametoindex("lo");
	if (pd->ncpus <= 0 || !pd->lo_ifindex) {
		fprintf(stderr, "pktdiff: cannot count CPUs or find lo\n");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		struct pd_inst *in = &pd->inst[i];
		int err;

		in->skel = inspector_bpf__open();
		if (!in->skel) {
			fprintf(stderr, "pktdiff: open: %s\n", strerror(errno));
			return -1;
		}
		in->skel->rodata->cfg_all_packets = in->all_packets;
		err = inspector_bpf__load(in->skel);
		if (err) {
			fprintf(stderr, "pktdiff: load: %s\n", strerror(-err));
			return -1;
		}
		in->rb = ring_buffer__new(
			bpf_map__fd(in->skel->maps.ti_pkt_events), pd_on_event,
			in, NULL);
		if (!in->rb) {
			fprintf(stderr, "pktdiff: ring buffer: %s\n",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static inline void pd_close(struct pd *pd)
{
	for (int i = 0; i < 2; i++) {
		ring_buffer__free(pd->inst[i].rb);
		inspector_bpf__destroy(pd->inst[i].skel);
		pd->inst[i].rb = NULL;
		pd->inst[i].skel = NULL;
	}
}

#define PD_NCOUNTERS (sizeof(struct ti_pkt_counters) / sizeof(__u64))

static inline int pd_counters(struct pd *pd, struct pd_inst *in,
			      struct ti_pkt_counters *sum)
{
	__u64 vals[64 * PD_NCOUNTERS];
	__u64 *out = (__u64 *)sum;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (pd->ncpus > 64)
		return -E2BIG;
	if (bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.ti_pkt_stats), &zero,
				vals))
		return -errno;
	for (int c = 0; c < pd->ncpus; c++)
		for (size_t i = 0; i < PD_NCOUNTERS; i++)
			out[i] += vals[(size_t)c * PD_NCOUNTERS + i];
	return 0;
}

/* SYN count of the frame's source in the per-source table (0 if absent). */
static inline __u64 pd_syn_count(struct pd_inst *in, const struct ref_result *r)
{
	struct ti_src_key key;
	struct ti_src_syn val;

	memset(&key, 0, sizeof(key));
	key.family = r->ev.tuple.family;
	memcpy(key.addr, r->ev.tuple.saddr,
	       r->ev.tuple.family == TI_AF_INET ? 4 : 16);
	if (bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.ti_syn_sources),
				&key, &val))
		return 0;
	return val.syns;
}

static const char *const pd_counter_plain[] = {
	"packets", "bytes", "ipv4", "ipv6", "tcp_packets", "tcp_bytes",
	"non_ip", "non_tcp", "fragments",
};
static const char *const pd_mal_names[] = {
#define PD_NAME(sym, name) name,
	TI_MALFORMED_REASONS(PD_NAME)
#undef PD_NAME
};

static inline void pd_counter_name(size_t i, char *buf, size_t len)
{
	size_t flags = 9, mal = flags + TI_TCP_FLAG_COUNT,
	       tail = mal + TI_MAL_MAX;

	if (i < flags)
		snprintf(buf, len, "%s", pd_counter_plain[i]);
	else if (i < mal)
		snprintf(buf, len, "flags[bit %zu]", i - flags);
	else if (i < tail)
		snprintf(buf, len, "malformed[%s]", pd_mal_names[i - mal]);
	else
		snprintf(buf, len, i == tail ? "events_sent" : "events_dropped");
}

/* Would the TC test run refuse this frame? The kernel pulls a complete
 * IPv4/IPv6 header for an skb whose outer ethertype says IP, and both
 * hooks refuse frames shorter than an Ethernet header. */
static inline bool pd_refused(const uint8_t *f, size_t n, bool tc)
{
	if (n < 14)
		return true;
	if (!tc)
		return false;
	if (ref_be16(f + 12) == 0x0800)
		return n < 14 + 20;
	if (ref_be16(f + 12) == 0x86dd)
		return n < 14 + 40;
	return false;
}

#define PD_CMP(what, got, want)                                                \
	do {                                                                   \
		unsigned long long g_ = (got), w_ = (want);                    \
		if (g_ != w_) {                                                \
			pd_note(pd, "  %s: %s: bpf %llu, model %llu\n", tag,   \
				what, g_, w_);                                 \
			bad = true;                                            \
		}                                                              \
	} while (0)

/* One frame through one instance at one hook; returns true if equal. */
static inline bool pd_run(struct pd *pd, struct pd_inst *in, bool tc,
			  const uint8_t *f, size_t n, const struct ref_result *r)
{
	struct ti_pkt_counters before, after, want;
	__u64 *b = (__u64 *)&before, *a = (__u64 *)&after, *w = (__u64 *)&want;
	struct bpf_program *prog = tc ? in->skel->progs.ti_tc
				      : in->skel->progs.ti_xdp;
	bool refused = pd_refused(f, n, tc), bad = false, ev_wanted;
	bool pure_syn = r->cls == REF_TCP &&
			(r->ev.flags & (TI_TCP_SYN | TI_TCP_ACK)) == TI_TCP_SYN;
	__u64 syn_before = 0;
	char tag[64], name[48];
	int err, saved_errno;

	snprintf(tag, sizeof(tag), "%s@%s", in->name, tc ? "tc" : "xdp");
	pd->runs++;
	ring_buffer__consume(in->rb);
	in->nev = 0;
	if (pd_counters(pd, in, &before)) {
		pd_note(pd, "  %s: cannot read counters\n", tag);
		return false;
	}
	if (pure_syn)
		syn_before = pd_syn_count(in, r);

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f,
		    .data_size_in = (__u32)n, .repeat = 1);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	saved_errno = errno;
	if (refused) {
		PD_CMP("test run refused (EINVAL)", err < 0 && saved_errno == EINVAL, 1);
		return !bad;
	}
	if (err) {
		pd_note(pd, "  %s: test run failed: %s\n", tag,
			strerror(saved_errno));
		return false;
	}
	PD_CMP("verdict", opts.retval, tc ? (__u32)TC_ACT_UNSPEC : XDP_PASS);
	ring_buffer__consume(in->rb);
	if (pd_counters(pd, in, &after)) {
		pd_note(pd, "  %s: cannot read counters\n", tag);
		return false;
	}

	/* The counters the model says the frame moves, and nothing else. */
	ev_wanted = r->cls == REF_TCP &&
		    (in->all_packets ||
		     (r->ev.flags & (TI_TCP_SYN | TI_TCP_RST | TI_TCP_FIN)));
	memset(&want, 0, sizeof(want));
	want.packets = 1;
	want.bytes = n;
	want.ipv4 = r->family == TI_AF_INET;
	want.ipv6 = r->family == TI_AF_INET6;
	switch (r->cls) {
	case REF_TCP:
		want.tcp_packets = 1;
		want.tcp_bytes = n;
		for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++)
			want.flags[bit] = (r->ev.flags >> bit) & 1;
		if (r->bad_option)
			want.malformed[TI_MAL_TCP_BAD_OPT] = 1;
		want.events_sent = ev_wanted;
		break;
	case REF_NON_IP:
		want.non_ip = 1;
		break;
	case REF_NON_TCP:
		want.non_tcp = 1;
		break;
	case REF_FRAGMENT:
		want.fragments = 1;
		break;
	case REF_MALFORMED:
		want.malformed[r->reason] = 1;
		break;
	}
	for (size_t i = 0; i < PD_NCOUNTERS; i++) {
		pd_counter_name(i, name, sizeof(name));
		PD_CMP(name, a[i] - b[i], w[i]);
	}
	if (pure_syn)
		PD_CMP("syn_sources[src].syns delta", pd_syn_count(in, r) - syn_before, 1);

	PD_CMP("events", in->nev, ev_wanted);
	if (!ev_wanted || in->nev != 1)
		return !bad;

	const struct ti_packet_event *e = &in->ev[0], *x = &r->ev;

	PD_CMP("event size >= struct", in->ev_size >= sizeof(*e), 1);
	PD_CMP("hdr.type", e->hdr.type, TI_EV_PACKET);
	PD_CMP("hdr.ts_ns set", e->hdr.ts_ns != 0, 1);
	PD_CMP("hdr.cpu", e->hdr.cpu < (__u32)pd->ncpus, 1);
	PD_CMP("family", e->tuple.family, x->tuple.family);
	if (memcmp(e->tuple.saddr, x->tuple.saddr, TI_ADDR_LEN)) {
		pd_note(pd, "  %s: saddr differs\n", tag);
		bad = true;
	}
	if (memcmp(e->tuple.daddr, x->tuple.daddr, TI_ADDR_LEN)) {
		pd_note(pd, "  %s: daddr differs\n", tag);
		bad = true;
	}
	PD_CMP("sport", e->tuple.sport, x->tuple.sport);
	PD_CMP("dport", e->tuple.dport, x->tuple.dport);
	PD_CMP("tuple.pad", e->tuple.pad, 0);
	PD_CMP("ifindex", e->ifindex, pd->lo_ifindex);
	PD_CMP("seq", e->seq, x->seq);
	PD_CMP("ack_seq", e->ack_seq, x->ack_seq);
	PD_CMP("ts_val", e->ts_val, x->ts_val);
	PD_CMP("ts_ecr", e->ts_ecr, x->ts_ecr);
	PD_CMP("pkt_len", e->pkt_len, n);
	PD_CMP("payload_len", e->payload_len, x->payload_len);
	PD_CMP("window", e->window, x->window);
	PD_CMP("mss", e->mss, x->mss);
	PD_CMP("vlan_id[0]", e->vlan_id[0], x->vlan_id[0]);
	PD_CMP("vlan_id[1]", e->vlan_id[1], x->vlan_id[1]);
	PD_CMP("flags", e->flags, x->flags);
	PD_CMP("opts", e->opts, x->opts);
	PD_CMP("wscale", e->wscale, x->wscale);
	PD_CMP("ttl", e->ttl, x->ttl);
	PD_CMP("vlan_depth", e->vlan_depth, x->vlan_depth);
	PD_CMP("hook", e->hook, tc ? TI_HOOK_TC : TI_HOOK_XDP);
	PD_CMP("ip6_ext_count", e->ip6_ext_count, x->ip6_ext_count);
	return !bad;
}

static inline void pd_hex(struct pd *pd, const uint8_t *f, size_t n)
{
	pd_note(pd, "  frame (%zu bytes):", n);
	for (size_t i = 0; i < n && i < 256; i++)
		pd_note(pd, "%s%02x", i % 32 ? "" : "\n    ", f[i]);
	pd_note(pd, "\n");
}

/* Save a differing frame as a regression case; returns the path. */
static inline const char *pd_save(struct pd *pd, const uint8_t *f, size_t n)
{
	static char path[512];
	uint64_t h = 1469598103934665603ULL; /* FNV-1a: name = content */
	FILE *out;

	if (!pd->save_dir)
		return NULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ f[i]) * 1099511628211ULL;
	snprintf(path, sizeof(path), "%s/diff-%016llx.bin", pd->save_dir,
		 (unsigned long long)h);
	out = fopen(path, "wb");
	if (!out || fwrite(f, 1, n, out) != n) {
		if (out)
			fclose(out);
		return NULL;
	}
	fclose(out);
	return path;
}

/* Run one frame through every instance and hook. Returns 0 if BPF and the
 * model agree, 1 if not (pd->report says how; the frame is saved). */
static inline int pd_check(struct pd *pd, const uint8_t *f, size_t n)
{
	struct ref_result r;
	bool same = true;

	pd->report_len = 0;
	pd->report[0] = 0;
	pd->frames++;
	ref_parse(f, n, &r);
	pd->by_class[pd_refused(f, n, false) ? REF_MALFORMED + 1 : r.cls]++;
	if (r.cls == REF_MALFORMED && !pd_refused(f, n, false))
		pd->by_reason[r.reason]++;
	if (r.cls == REF_TCP && r.bad_option)
		pd->by_reason[TI_MAL_TCP_BAD_OPT]++;
	same &= pd_run(pd, &pd->inst[0], false, f, n, &r);
	same &= pd_run(pd, &pd->inst[0], true, f, n, &r);
	same &= pd_run(pd, &pd->inst[1], false, f, n, &r);
	if (same)
		return 0;
	pd->diffs++;
	pd_hex(pd, f, n);
	const char *path = pd_save(pd, f, n);

	if (path)
		pd_note(pd, "  saved as %s\n", path);
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Frame generator.                                                          */

struct pd_rng {
	uint64_t s;
};

static inline uint64_t pd_next(struct pd_rng *g)
{
	/* xorshift64* */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 2685821657736338717ULL;
}

static inline uint32_t pd_below(struct pd_rng *g, uint32_t n)
{
	return n ? (uint32_t)(pd_next(g) >> 33) % n : 0;
}

static inline void pd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pd_fill(struct pd_rng *g, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)pd_next(g);
}

/* TCP options of a plausible segment, sometimes with a broken one. */
static inline size_t pd_gen_options(struct pd_rng *g, uint8_t *o)
{
	size_t n = 0;
	int count = (int)pd_below(g, 8);

	for (int i = 0; i < count && n < 40; i++) {
		uint8_t tmp[12];
		size_t len;

		switch (pd_below(g, 9)) {
		case 0: tmp[0] = 2; tmp[1] = 4; pd_fill(g, tmp + 2, 2); len = 4; break;
		case 1: tmp[0] = 3; tmp[1] = 3; tmp[2] = (uint8_t)pd_below(g, 16); len = 3; break;
		case 2: tmp[0] = 4; tmp[1] = 2; len = 2; break;
		case 3: tmp[0] = 8; tmp[1] = 10; pd_fill(g, tmp + 2, 8); len = 10; break;
		case 4: tmp[0] = 5; tmp[1] = 10; pd_fill(g, tmp + 2, 8); len = 10; break;
		case 5: tmp[0] = 1; len = 1; break;
		case 6: tmp[0] = 0; len = 1; break;
		case 7: /* unknown kind */
			tmp[0] = (uint8_t)(9 + pd_below(g, 240));
			tmp[1] = (uint8_t)(2 + pd_below(g, 6));
			pd_fill(g, tmp + 2, tmp[1] - 2u);
			len = tmp[1];
			break;
		default: /* a wrong length for a known kind */
			tmp[0] = (uint8_t)(2 + pd_below(g, 7));
			tmp[1] = (uint8_t)pd_below(g, 12);
			pd_fill(g, tmp + 2, 8);
			len = 2 + pd_below(g, 9);
			break;
		}
		if (n + len > 40)
			break;
		memcpy(o + n, tmp, len);
		n += len;
	}
	while (n % 4) /* pad with NOPs or EOL to a data-offset boundary */
		o[n++] = pd_below(g, 2) ? 1 : 0;
	return n;
}

/* A valid frame of a random shape; returns its length. */
static inline size_t pd_gen_template(struct pd_rng *g, uint8_t *f)
{
	static const uint8_t ext_types[] = { 0, 43, 60, 44, 51 };
	uint8_t opts[40];
	size_t at = 12, olen, l4_at, payload;
	int vlans = (int)pd_below(g, 4) == 0 ? (int)pd_below(g, 4) : 0;
	bool v6 = pd_below(g, 2);

	pd_fill(g, f, 12);
	for (int i = 0; i < vlans; i++) {
		pd_put16(f + at, pd_below(g, 2) ? 0x8100 : 0x88a8);
		pd_put16(f + at + 2, (uint16_t)pd_next(g));
		at += 4;
	}
	pd_put16(f + at, v6 ? 0x86dd : 0x0800);
	at += 2;
	size_t l3_at = at;

	if (!v6) {
		size_t ihl = 20 + 4 * pd_below(g, pd_below(g, 4) ? 1 : 11);

		pd_fill(g, f + at, ihl);
		f[at] = (uint8_t)(0x40 | ihl / 4);
		f[at + 6] = pd_below(g, 2) ? 0x40 : 0; /* DF, offset 0 */
		f[at + 7] = 0;
		f[at + 9] = 6;
		at += ihl;
	} else {
		int next_at;
		int exts = pd_below(g, 3) ? 0 : (int)pd_below(g, 8);

		pd_fill(g, f + at, 40);
		f[at] = 0x60;
		next_at = (int)(at + 6);
		at += 40;
		for (int i = 0; i < exts; i++) {
			uint8_t t = ext_types[pd_below(g, 5)];
			size_t len;

			f[next_at] = t;
			next_at = (int)at;
			if (t == 44) {
				len = 8;
				pd_fill(g, f + at, 8);
				f[at + 2] = 0;
				f[at + 3] &= 0x07; /* offset 0: first fragment */
			} else if (t == 51) {
				f[at + 1] = (uint8_t)(1 + pd_below(g, 3));
				len = (f[at + 1] + 2u) * 4;
				pd_fill(g, f + at + 2, len - 2);
			} else {
				f[at + 1] = (uint8_t)pd_below(g, 3);
				len = (f[at + 1] + 1u) * 8;
				pd_fill(g, f + at + 2, len - 2);
			}
			at += len;
		}
		f[next_at] = 6;
	}
	l4_at = at;
	olen = pd_gen_options(g, opts);
	pd_fill(g, f + at, 20);
	f[at + 12] = (uint8_t)((20 + olen) / 4 << 4 | (f[at + 12] & 0x0f));
	memcpy(f + at + 20, opts, olen);
	at += 20 + olen;
	payload = pd_below(g, 4) ? 0 : pd_below(g, 200);
	pd_fill(g, f + at, payload);
	at += payload;
	if (!v6)
		pd_put16(f + l3_at + 2, (uint16_t)(at - l3_at));
	else
		pd_put16(f + l3_at + 4, (uint16_t)(at - l3_at - 40));
	(void)l4_at;
	/* Ethernet padding after the IP packet now and then. */
	if (!pd_below(g, 8)) {
		size_t pad = pd_below(g, 40);

		pd_fill(g, f + at, pad);
		at += pad;
	}
	return at;
}

static const uint8_t pd_interesting8[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0a, 0x0f, 0x10, 0x11,
	0x2b, 0x2c, 0x33, 0x3c, 0x40, 0x45, 0x4f, 0x50, 0x5f, 0x60, 0x7f, 0x80,
	0x81, 0x86, 0x88, 0xa8, 0xdd, 0xf0, 0xfe, 0xff,
};

/* Mutate f[0..n) in place; returns the new length (<= PD_MAX_FRAME). */
static inline size_t pd_mutate(struct pd_rng *g, uint8_t *f, size_t n)
{
	int rounds = 1 + (int)pd_below(g, 4);

	for (int i = 0; i < rounds && n; i++) {
		size_t at = pd_below(g, (uint32_t)n);

		switch (pd_below(g, 9)) {
		case 0:
			f[at] ^= (uint8_t)(1u << pd_below(g, 8));
			break;
		case 1:
		case 2:
			f[at] = pd_interesting8[pd_below(g, sizeof(pd_interesting8))];
			break;
		case 3:
			f[at] = (uint8_t)pd_next(g);
			break;
		case 4: /* a 16-bit field near its valid value */
			if (at + 1 < n) {
				int d = (int)pd_below(g, 9) - 4;

				pd_put16(f + at, (uint16_t)(ref_be16(f + at) + d));
			}
			break;
		case 5: /* truncate */
			n = pd_below(g, 8) ? at + 1 : pd_below(g, 14);
			break;
		case 6: /* extend with junk */
		{
			size_t add = 1 + pd_below(g, 64);

			if (n + add > PD_MAX_FRAME)
				add = PD_MAX_FRAME - n;
			pd_fill(g, f + n, add);
			n += add;
			break;
		}
		case 7: /* insert a byte */
			if (n < PD_MAX_FRAME) {
				memmove(f + at + 1, f + at, n - at);
				f[at] = (uint8_t)pd_next(g);
				n++;
			}
			break;
		default: /* delete a byte */
			memmove(f + at, f + at + 1, n - at - 1);
			n--;
			break;
		}
	}
	return n;
}

/* The next frame of the stream: mostly mutated templates, some intact,
 * some random. */
static inline size_t pd_gen(struct pd_rng *g, uint8_t *f)
{
	uint32_t pick = pd_below(g, 100);
	size_t n;

	if (pick < 5) {
		n = pd_below(g, 200);
		pd_fill(g, f, n);
		if (n >= 14 && pd_below(g, 2))
			pd_put16(f + 12, pd_below(g, 2) ? 0x0800 : 0x86dd);
		return n;
	}
	n = pd_gen_template(g, f);
	if (pick < 20)
		return n;
	return pd_mutate(g, f, n);
}

/* Replay every *.bin frame in dir. Returns the number of frames that
 * differ, or -1 if the directory cannot be read; *count gets how many. */
static inline int pd_replay_dir(struct pd *pd, const char *dir, int *count,
				FILE *log)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), bad = 0;

	*count = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		char path[1024];
		uint8_t f[PD_MAX_FRAME];
		size_t got;
		FILE *in;

		if (len < 5 || strcmp(nm + len - 4, ".bin")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		free(names[i]);
		in = fopen(path, "rb");
		if (!in) {
			bad++;
			continue;
		}
		got = fread(f, 1, sizeof(f), in);
		fclose(in);
		(*count)++;
		if (pd_check(pd, f, got)) {
			bad++;
			if (log)
				fprintf(log, "regression %s differs:\n%s", path,
					pd->report);
		}
	}
	free(names);
	return bad;
}

#endif
