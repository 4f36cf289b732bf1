// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_inspector.c - packet-fixture tests of the XDP/TC packet inspector
 * (src/inspector.bpf.c, src/parse.bpf.h).
 *
 * Every fixture is a frame built by pktbuild.h, run once through the loaded
 * program with BPF_PROG_TEST_RUN. The test checks the verdict, the delta of
 * every per-CPU counter (summed over the possible CPUs; a counter that must
 * not move is checked too), the ring-buffer event (or its absence) and every
 * field of the event.
 *
 * Classification rule the expectations follow (it is the parser's): a
 * "*_truncated" reason means the frame's bytes end inside that header; a
 * length that contradicts the IP header's own length fields is
 * "ipv4_bad_total_length" / "ipv6_bad_payload_length" (or, for a TCP header
 * whose data offset exceeds the IP payload, "tcp_bad_data_offset").
 *
 * Needs root (or CAP_BPF + CAP_NET_ADMIN): run build/tests/test_inspector.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <cmocka.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktbuild.h"
#include "tcpinspect.h"
#include "inspector.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(sizeof(struct ti_pkt_counters) ==
		       (9 + TI_TCP_FLAG_COUNT + TI_MAL_MAX + 2) * sizeof(__u64),
	       "ti_pkt_counters is not a plain array of __u64");

/* ------------------------------------------------------------------------ */
/* Loaded instances of the inspector, each with its own rodata settings.    */

enum { I_ALL, I_DEF, I_V4ONLY, I_PORT, I_APP, I_COUNT };

#define MAX_CAPTURE 16

struct inst {
	const char *name;
	bool all_packets;
	__u16 family;
	bool port_filter;
	bool app_hints;
	struct inspector_bpf *skel;
	struct ring_buffer *rb;
	int nev;                                  /* events since the reset */
	struct ti_packet_event ev[MAX_CAPTURE];  /* the first MAX_CAPTURE */
	size_t last_size;
};

static struct inst insts[I_COUNT] = {
	[I_ALL] = { .name = "all_packets", .all_packets = true },
	[I_DEF] = { .name = "default" },
	[I_V4ONLY] = { .name = "family=inet", .all_packets = true,
		       .family = TI_AF_INET },
	[I_PORT] = { .name = "port_filter", .all_packets = true,
		     .port_filter = true },
	[I_APP] = { .name = "app_hints", .app_hints = true },
};

/* The app hints of the I_APP instance (its ring's TI_EV_APP records). */
static struct ti_app_event app_last;
static int app_count;

#define FILTER_PORT 80

static int ncpus;
static unsigned int lo_ifindex;

/* Bookkeeping of the checks, for the diagnostics and the summary. */
static char cur[160];             /* name of the fixture being checked */
static unsigned long n_checks;    /* individual field comparisons */
static unsigned long n_fixtures;  /* frames run through a program */
static unsigned long n_failed;    /* failed comparisons in this test */

#define CHECK_EQ(what, got, want)                                              \
	check_eq(__LINE__, (what), (uint64_t)(got), (uint64_t)(want))

static void check_eq(int line, const char *what, uint64_t got, uint64_t want)
{
	n_checks++;
	if (got == want)
		return;
	n_failed++;
	print_error("  FAIL [%s] %s: got %llu (%#llx), want %llu (%#llx) "
		    "(line %d)\n", cur, what, (unsigned long long)got,
		    (unsigned long long)got, (unsigned long long)want,
		    (unsigned long long)want, line);
}

static void check_mem(const char *what, const void *got, const void *want,
		      size_t n)
{
	n_checks++;
	if (!memcmp(got, want, n))
		return;
	n_failed++;
	print_error("  FAIL [%s] %s differs\n", cur, what);
}

/* Ends a test: fails it if any comparison in it failed. */
static void finish_test(void)
{
	unsigned long failed = n_failed;

	n_failed = 0;
	assert_int_equal(failed, 0);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct inst *in = ctx;

	if (in->nev < MAX_CAPTURE) {
		memset(&in->ev[in->nev], 0, sizeof(in->ev[0]));
		memcpy(&in->ev[in->nev], data,
		       size < sizeof(in->ev[0]) ? size : sizeof(in->ev[0]));
	}
	in->last_size = size;
	in->nev++;
	return 0;
}

static int on_app_event(void *ctx, void *data, size_t size)
{
	const struct ti_event_hdr *h = data;

	(void)ctx;
	if (size >= sizeof(app_last) && h->type == TI_EV_APP) {
		memcpy(&app_last, data, sizeof(app_last));
		app_count++;
	}
	return 0;
}

static void drain(struct inst *in)
{
	ring_buffer__consume(in->rb);
	in->nev = 0;
}

static int read_counters(struct inst *in, struct ti_pkt_counters *sum)
{
	size_t n = sizeof(*sum) / sizeof(__u64);
	__u64 *vals = calloc((size_t)ncpus, sizeof(*sum));
	__u64 *out = (__u64 *)sum;
	__u32 zero = 0;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (!vals)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.ti_pkt_stats),
				  &zero, vals);
	if (!err)
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (size_t i = 0; i < n; i++)
				out[i] += vals[(size_t)cpu * n + i];
	free(vals);
	return err;
}

static const char *const mal_names[] = {
#define TI_NAME_ENTRY(sym, name) name,
	TI_MALFORMED_REASONS(TI_NAME_ENTRY)
#undef TI_NAME_ENTRY
};

static void counter_name(size_t i, char *buf, size_t len)
{
	static const char *const plain[] = { "packets", "bytes", "ipv4", "ipv6",
		"tcp_packets", "tcp_bytes", "non_ip", "non_tcp", "fragments" };
	static const char *const flag[] = { "FIN", "SYN", "RST", "PSH", "ACK",
					    "URG", "ECE", "CWR" };

	if (i < 9)
		snprintf(buf, len, "counter %s", plain[i]);
	else if (i < 9 + TI_TCP_FLAG_COUNT)
		snprintf(buf, len, "counter flags[%s]", flag[i - 9]);
	else if (i < 9 + TI_TCP_FLAG_COUNT + TI_MAL_MAX)
		snprintf(buf, len, "counter malformed[%s]",
			 mal_names[i - 9 - TI_TCP_FLAG_COUNT]);
	else if (i == 9 + TI_TCP_FLAG_COUNT + TI_MAL_MAX)
		snprintf(buf, len, "counter events_sent");
	else
		snprintf(buf, len, "counter events_dropped");
}

static int group_setup(void **state)
{
	(void)state;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		print_error("libbpf_num_possible_cpus: %d\n", ncpus);
		return -1;
	}
	lo_ifindex = if_nametoindex("lo");

	for (int i = 0; i < I_COUNT; i++) {
		struct inst *in = &insts[i];
		int err;

		in->skel = inspector_bpf__open();
		if (!in->skel) {
			print_error("%s: inspector_bpf__open: %s\n", in->name,
				    strerror(errno));
			return -1;
		}
		in->skel->rodata->cfg_all_packets = in->all_packets;
		in->skel->rodata->cfg_family = in->family;
		in->skel->rodata->cfg_port_filter = in->port_filter;
		in->skel->rodata->cfg_app_hints = in->app_hints;
		err = inspector_bpf__load(in->skel);
		if (err) {
			print_error("%s: inspector_bpf__load: %s\n", in->name,
				    strerror(-err));
			return -1;
		}
		if (in->port_filter) {
			__u16 port = FILTER_PORT;
			__u8 one = 1;

			err = bpf_map_update_elem(
				bpf_map__fd(in->skel->maps.ti_ports), &port,
				&one, BPF_ANY);
			if (err) {
				print_error("ti_ports update: %s\n",
					    strerror(errno));
				return -1;
			}
		}
		in->rb = ring_buffer__new(
			bpf_map__fd(in->skel->maps.ti_pkt_events),
			in->app_hints ? on_app_event : on_event, in, NULL);
		if (!in->rb) {
			print_error("%s: ring_buffer__new: %s\n", in->name,
				    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < I_COUNT; i++) {
		ring_buffer__free(insts[i].rb);
		inspector_bpf__destroy(insts[i].skel);
		insts[i].rb = NULL;
		insts[i].skel = NULL;
	}
	print_message("[ INFO     ] %lu fixture runs, %lu checked values\n",
		      n_fixtures, n_checks);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Expectations and the fixture runner.                                     */

enum xkind {
	X_TCP,      /* parsed TCP segment */
	X_NON_IP,
	X_NON_TCP,
	X_FRAG,     /* non-first fragment */
	X_MAL,      /* malformed: reason */
	X_EINVAL,   /* BPF_PROG_TEST_RUN refuses the frame (< ETH_HLEN) */
};

struct expect {
	enum xkind kind;
	int reason;        /* X_MAL */
	__u16 fam;         /* which of ipv4/ipv6 counts the frame (0: none) */
	bool bad_opt;      /* X_TCP: malformed[tcp_bad_option] counted */
	/* X_TCP event fields not taken from the spec */
	__u8 opts;
	__u8 wscale;
	__u16 mss;
	__u32 ts_val, ts_ecr;
	__u16 payload_len;
	__u8 ext_count;
	__u8 vlan_depth;
	__u16 vlan_id[TI_MAX_VLAN_DEPTH];
};

struct fixture {
	const char *name;
	struct pb_spec s;
	struct expect x;
};

enum hook_sel { RUN_XDP, RUN_TC };

/* Does this instance's rodata select an event for a parsed segment? (The
 * documented selection: family filter, port filter, then all packets or
 * SYN/RST/FIN.) */
static bool wants_event(const struct inst *in, __u16 fam, __u8 flags,
			__u16 dport)
{
	if (in->family && fam != in->family)
		return false;
	if (in->port_filter && dport != FILTER_PORT)
		return false;
	if (in->all_packets)
		return true;
	return flags & (TI_TCP_SYN | TI_TCP_RST | TI_TCP_FIN);
}

static void check_event(const struct ti_packet_event *ev,
			const struct pb_spec *s, const struct expect *x,
			size_t frame_len, enum hook_sel hook)
{
	__u8 saddr[TI_ADDR_LEN] = { 0 }, daddr[TI_ADDR_LEN] = { 0 };
	__u16 fam = s->l3 == 6 ? TI_AF_INET6 : TI_AF_INET;

	memcpy(saddr, pb_spec_src(s), fam == TI_AF_INET ? 4 : 16);
	memcpy(daddr, fam == TI_AF_INET ? pb_dst4 : pb_dst6,
	       fam == TI_AF_INET ? 4 : 16);

	CHECK_EQ("hdr.type", ev->hdr.type, TI_EV_PACKET);
	CHECK_EQ("hdr.ts_ns != 0", ev->hdr.ts_ns != 0, 1);
	CHECK_EQ("hdr.cpu < ncpus", ev->hdr.cpu < (__u32)ncpus, 1);
	CHECK_EQ("tuple.family", ev->tuple.family, fam);
	check_mem("tuple.saddr", ev->tuple.saddr, saddr, TI_ADDR_LEN);
	check_mem("tuple.daddr", ev->tuple.daddr, daddr, TI_ADDR_LEN);
	CHECK_EQ("tuple.sport", ev->tuple.sport,
		 s->sport ? s->sport : PB_DEF_SPORT);
	CHECK_EQ("tuple.dport", ev->tuple.dport,
		 s->dport ? s->dport : PB_DEF_DPORT);
	CHECK_EQ("tuple.pad", ev->tuple.pad, 0);
	CHECK_EQ("ifindex", ev->ifindex, lo_ifindex);
	CHECK_EQ("seq", ev->seq, s->seq ? s->seq : PB_DEF_SEQ);
	CHECK_EQ("ack_seq", ev->ack_seq, s->ack);
	CHECK_EQ("window", ev->window, s->window ? s->window : PB_DEF_WINDOW);
	CHECK_EQ("flags", ev->flags, s->flags);
	CHECK_EQ("ttl", ev->ttl, s->ttl ? s->ttl : PB_DEF_TTL);
	CHECK_EQ("pkt_len", ev->pkt_len, frame_len);
	CHECK_EQ("payload_len", ev->payload_len, x->payload_len);
	CHECK_EQ("opts", ev->opts, x->opts);
	CHECK_EQ("mss", ev->mss, x->mss);
	CHECK_EQ("wscale", ev->wscale, x->wscale);
	CHECK_EQ("ts_val", ev->ts_val, x->ts_val);
	CHECK_EQ("ts_ecr", ev->ts_ecr, x->ts_ecr);
	CHECK_EQ("vlan_depth", ev->vlan_depth, x->vlan_depth);
	CHECK_EQ("vlan_id[0]", ev->vlan_id[0], x->vlan_id[0]);
	CHECK_EQ("vlan_id[1]", ev->vlan_id[1], x->vlan_id[1]);
	CHECK_EQ("ip6_ext_count", ev->ip6_ext_count, x->ext_count);
	CHECK_EQ("hook", ev->hook, hook == RUN_TC ? TI_HOOK_TC : TI_HOOK_XDP);
	CHECK_EQ("pad", ev->pad, 0);
}

/*
 * BPF_PROG_TEST_RUN for an skb program (TC) refuses, with EINVAL, a frame
 * whose outer ethertype is IPv4 or IPv6 but that does not hold a complete
 * IPv4 (20-byte) or IPv6 (40-byte) header: the kernel pulls the network
 * header before the program runs. (XDP has no such check; both refuse
 * frames shorter than ETH_HLEN.)
 */
static bool tc_test_run_refuses(const struct pb_frame *f)
{
	uint16_t proto;

	if (f->len < PB_ETH_HLEN)
		return true;
	proto = pb_get16(f->b + 12);
	if (proto == PB_ETHERTYPE_IP)
		return f->len < PB_ETH_HLEN + 20;
	if (proto == PB_ETHERTYPE_IPV6)
		return f->len < PB_ETH_HLEN + 40;
	return false;
}

/* Runs one frame through one program of one instance and checks it. */
static void run_spec(struct inst *in, enum hook_sel hook, const char *name,
		     const struct pb_spec *s, const struct expect *x_in)
{
	static const struct expect x_einval = { .kind = X_EINVAL };
	const struct expect *x = x_in;
	static struct pb_frame f;
	struct ti_pkt_counters before, after, want = { 0 };
	__u64 *b = (__u64 *)&before, *a = (__u64 *)&after, *w = (__u64 *)&want;
	struct bpf_program *prog = hook == RUN_TC ? in->skel->progs.ti_tc
						  : in->skel->progs.ti_xdp;
	__u16 fam = s->l3 == 6 ? TI_AF_INET6 : TI_AF_INET;
	bool ev_wanted;
	int err, saved_errno;

	snprintf(cur, sizeof(cur), "%s @%s/%s", name,
		 hook == RUN_TC ? "tc" : "xdp", in->name);
	pb_build(s, &f);
	if (hook == RUN_TC && tc_test_run_refuses(&f))
		x = &x_einval;
	n_fixtures++;
	drain(in);
	CHECK_EQ("read counters (before)", read_counters(in, &before), 0);

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b,
		    .data_size_in = (__u32)f.len, .repeat = 1);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	saved_errno = errno;
	if (x->kind == X_EINVAL) {
		CHECK_EQ("test_run fails", err < 0, 1);
		CHECK_EQ("test_run errno", err < 0 ? saved_errno : 0, EINVAL);
	} else {
		CHECK_EQ("test_run", err, 0);
		if (err)
			print_error("  test_run: %s\n", strerror(saved_errno));
		CHECK_EQ("verdict", opts.retval,
			 hook == RUN_TC ? (__u32)TC_ACT_UNSPEC : XDP_PASS);
	}
	ring_buffer__consume(in->rb);
	CHECK_EQ("read counters (after)", read_counters(in, &after), 0);

	/* The counters the frame must move, and only those. */
	ev_wanted = x->kind == X_TCP &&
		    wants_event(in, fam, s->flags,
				s->dport ? s->dport : PB_DEF_DPORT);
	if (x->kind != X_EINVAL) {
		want.packets = 1;
		want.bytes = f.len;
		if (x->fam == TI_AF_INET)
			want.ipv4 = 1;
		else if (x->fam == TI_AF_INET6)
			want.ipv6 = 1;
	}
	switch (x->kind) {
	case X_TCP:
		want.tcp_packets = 1;
		want.tcp_bytes = f.len;
		for (int bit = 0; bit < TI_TCP_FLAG_COUNT; bit++)
			want.flags[bit] = (s->flags >> bit) & 1;
		if (x->bad_opt)
			want.malformed[TI_MAL_TCP_BAD_OPT] = 1;
		want.events_sent = ev_wanted;
		break;
	case X_NON_IP:
		want.non_ip = 1;
		break;
	case X_NON_TCP:
		want.non_tcp = 1;
		break;
	case X_FRAG:
		want.fragments = 1;
		break;
	case X_MAL:
		want.malformed[x->reason] = 1;
		break;
	case X_EINVAL:
		break;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(__u64); i++) {
		char what[64];

		counter_name(i, what, sizeof(what));
		CHECK_EQ(what, a[i] - b[i], w[i]);
	}

	CHECK_EQ("events received", in->nev, ev_wanted ? 1 : 0);
	if (ev_wanted && in->nev == 1) {
		CHECK_EQ("event size", in->last_size,
			 sizeof(struct ti_packet_event));
		check_event(&in->ev[0], s, x, f.len, hook);
	}
}

static void run_fixtures(const struct fixture *fx, size_t n, struct inst *in,
			 enum hook_sel hook)
{
	for (size_t i = 0; i < n; i++)
		run_spec(in, hook, fx[i].name, &fx[i].s, &fx[i].x);
}

/* ------------------------------------------------------------------------ */
/* The fixture table.                                                       */

#define TS1 3271541871u
#define SYN_OPTS                                                               \
	.opt_len = 20, .opt = { PB_OPT_MSS(1460), PB_OPT_SACKOK,               \
				PB_OPT_TS(TS1, 0), PB_OPT_NOP, PB_OPT_WS(7) }
#define X_SYN_OPTS                                                             \
	.opts = TI_OPT_MSS | TI_OPT_SACK_OK | TI_OPT_TIMESTAMP | TI_OPT_WSCALE, \
	.mss = 1460, .wscale = 7, .ts_val = TS1, .ts_ecr = 0
#define ACK_TS_OPTS                                                            \
	.opt_len = 12,                                                         \
	.opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(0x01020304, 0xa0b0c0d0) }
#define X_ACK_TS .opts = TI_OPT_TIMESTAMP, .ts_val = 0x01020304, .ts_ecr = 0xa0b0c0d0
#define X_ACK_TS_78 .opts = TI_OPT_TIMESTAMP, .ts_val = 7, .ts_ecr = 8

#define V4 .l3 = 4
#define V6 .l3 = 6
#define F4 .fam = TI_AF_INET
#define F6 .fam = TI_AF_INET6
#define ACKNUM .ack = 0x0badcafe

#define FLAG_SYNACK (TI_TCP_SYN | TI_TCP_ACK)

#define EXT(t, l) { .type = (t), .hdrlen = (l) }
#define FRAGX(off, m) { .type = PB_PROTO_FRAGMENT, .frag = (off), .more = (m) }

static const struct fixture fixtures[] = {
	/* --- IPv4 TCP, the normal cases --- */
	{ "ipv4 SYN with MSS/SACK-perm/TS/wscale",
	  { V4, .flags = TI_TCP_SYN, SYN_OPTS },
	  { .kind = X_TCP, F4, X_SYN_OPTS } },
	{ "ipv4 SYN without options",
	  { V4, .flags = TI_TCP_SYN, .sport = 40000, .dport = 22 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 SYN-ACK with options",
	  { V4, .flags = FLAG_SYNACK, ACKNUM, .sport = 80, .dport = 51234,
	    .window = 65160, .ttl = 63, .opt_len = 20,
	    .opt = { PB_OPT_MSS(1400), PB_OPT_SACKOK, PB_OPT_TS(100, 200),
		     PB_OPT_NOP, PB_OPT_WS(9) } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS | TI_OPT_SACK_OK | TI_OPT_TIMESTAMP |
			       TI_OPT_WSCALE,
	    .mss = 1400, .wscale = 9, .ts_val = 100, .ts_ecr = 200 } },
	{ "ipv4 pure ACK with 100-byte payload",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, ACK_TS_OPTS, .payload = 100 },
	  { .kind = X_TCP, F4, X_ACK_TS, .payload_len = 100 } },
	{ "ipv4 ACK 5-byte payload, Ethernet padding not counted",
	  { V4, .flags = TI_TCP_ACK | TI_TCP_PSH, ACKNUM, .payload = 5,
	    .pad_to = 60 },
	  { .kind = X_TCP, F4, .payload_len = 5 } },
	{ "ipv4 pure ACK no payload, padded to 60",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .pad_to = 60 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 ACK full-size 1448-byte payload",
	  { V4, .flags = TI_TCP_ACK | TI_TCP_PSH, ACKNUM, ACK_TS_OPTS,
	    .payload = 1448 },
	  { .kind = X_TCP, F4, X_ACK_TS, .payload_len = 1448 } },
	{ "ipv4 ACK payload, padding beyond 60 (trailer) not counted",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .payload = 30, .pad_to = 128 },
	  { .kind = X_TCP, F4, .payload_len = 30 } },
	{ "ipv4 FIN-ACK",
	  { V4, .flags = TI_TCP_FIN | TI_TCP_ACK, ACKNUM },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 bare FIN",
	  { V4, .flags = TI_TCP_FIN },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 RST",
	  { V4, .flags = TI_TCP_RST, .window = 1 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 RST-ACK",
	  { V4, .flags = TI_TCP_RST | TI_TCP_ACK, ACKNUM, .window = 1 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 URG-ACK with urgent pointer",
	  { V4, .flags = TI_TCP_URG | TI_TCP_ACK, ACKNUM, .urg = 3,
	    .payload = 3 },
	  { .kind = X_TCP, F4, .payload_len = 3 } },
	{ "ipv4 SYN with ECE+CWR (ECN setup)",
	  { V4, .flags = TI_TCP_SYN | TI_TCP_ECE | TI_TCP_CWR, SYN_OPTS },
	  { .kind = X_TCP, F4, X_SYN_OPTS } },
	{ "ipv4 all eight flags",
	  { V4, .flags = 0xff, ACKNUM },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 no flags at all (null scan)",
	  { V4, .flags = 0 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 TTL 1, max seq/ack/window, ports 1/65535",
	  { V4, .flags = TI_TCP_ACK, .ttl = 1, .seq = 0xffffffff,
	    .ack = 0xffffffff, .window = 0xffff, .sport = 65535, .dport = 1 },
	  { .kind = X_TCP, F4 } },
	{ "ipv4 DF set: parsed",
	  { V4, .flags = TI_TCP_SYN, .frag = PB_IP4_DF, SYN_OPTS },
	  { .kind = X_TCP, F4, X_SYN_OPTS } },
	{ "ipv4 first fragment (MF, offset 0): parsed",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .frag = PB_IP4_MF, .payload = 200 },
	  { .kind = X_TCP, F4, .payload_len = 200 } },
	{ "ipv4 non-first fragment (MF, offset 185)",
	  { V4, .flags = TI_TCP_ACK, .frag = PB_IP4_MF | 185, .payload = 64 },
	  { .kind = X_FRAG, F4 } },
	{ "ipv4 last fragment (offset 370, no MF)",
	  { V4, .flags = TI_TCP_ACK, .frag = 370, .payload = 64 },
	  { .kind = X_FRAG, F4 } },
	{ "ipv4 fragment offset 1 (8 bytes)",
	  { V4, .flags = TI_TCP_SYN, .frag = PB_IP4_MF | 1 },
	  { .kind = X_FRAG, F4 } },
	{ "ipv4 max fragment offset 0x1fff",
	  { V4, .flags = TI_TCP_SYN, .frag = 0x1fff },
	  { .kind = X_FRAG, F4 } },
	{ "ipv4 UDP non-first fragment",
	  { V4, .proto = PB_PROTO_UDP, .frag = 100, .payload = 20 },
	  { .kind = X_FRAG, F4 } },

	/* --- IPv4, not TCP / not IP --- */
	{ "ipv4 UDP", { V4, .proto = PB_PROTO_UDP, .payload = 32 },
	  { .kind = X_NON_TCP, F4 } },
	{ "ipv4 UDP padded to 60",
	  { V4, .proto = PB_PROTO_UDP, .pad_to = 60 },
	  { .kind = X_NON_TCP, F4 } },
	{ "ipv4 ICMP echo", { V4, .proto = PB_PROTO_ICMP, .payload = 56 },
	  { .kind = X_NON_TCP, F4 } },
	{ "ipv4 UDP first fragment (MF)",
	  { V4, .proto = PB_PROTO_UDP, .frag = PB_IP4_MF, .payload = 40 },
	  { .kind = X_NON_TCP, F4 } },
	{ "ipv4 protocol 255", { V4, .proto = 255 }, { .kind = X_NON_TCP, F4 } },
	{ "ARP request", { .ethertype = PB_ETHERTYPE_ARP, .raw_len = 28,
			   .pad_to = 60 },
	  { .kind = X_NON_IP } },
	{ "LLDP", { .ethertype = PB_ETHERTYPE_LLDP, .raw_len = 40 },
	  { .kind = X_NON_IP } },
	{ "802.3 length field instead of an ethertype",
	  { .ethertype = 0x0026, .raw_len = 46 },
	  { .kind = X_NON_IP } },
	{ "bare 14-byte Ethernet header, IPv4 ethertype",
	  { .ethertype = PB_ETHERTYPE_IP, .raw_len = 0, .cut = 14 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_TRUNC } },
	{ "bare 14-byte Ethernet header, ARP",
	  { .ethertype = PB_ETHERTYPE_ARP, .cut = 14 },
	  { .kind = X_NON_IP } },
	{ "bare 14-byte Ethernet header, IPv6 ethertype",
	  { .ethertype = PB_ETHERTYPE_IPV6, .cut = 14 },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_TRUNC } },

	/* --- VLAN --- */
	{ "ipv4 SYN in one 802.1Q tag (PCP 5)",
	  { V4, .flags = TI_TCP_SYN, SYN_OPTS, .nvlan = 1,
	    .vlan_tci = { (5 << 13) | 100 } },
	  { .kind = X_TCP, F4, X_SYN_OPTS, .vlan_depth = 1, .vlan_id = { 100 } } },
	{ "ipv4 SYN in QinQ (802.1ad outer 200, 802.1Q inner 300)",
	  { V4, .flags = TI_TCP_SYN, SYN_OPTS, .nvlan = 2,
	    .vlan_tpid = { PB_ETHERTYPE_8021AD, PB_ETHERTYPE_8021Q },
	    .vlan_tci = { 200, 300 } },
	  { .kind = X_TCP, F4, X_SYN_OPTS, .vlan_depth = 2, .vlan_id = { 200, 300 } } },
	{ "ipv4 ACK in two 802.1Q tags, DEI and PCP bits masked",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .payload = 10, .nvlan = 2,
	    .vlan_tci = { 0xf000 | 4095, 0x1000 | 1 } },
	  { .kind = X_TCP, F4, .payload_len = 10, .vlan_depth = 2,
	    .vlan_id = { 4095, 1 } } },
	{ "ipv4 in a priority tag (VLAN 0)",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 1, .vlan_tci = { 3 << 13 } },
	  { .kind = X_TCP, F4, .vlan_depth = 1 } },
	{ "ipv6 SYN in QinQ",
	  { V6, .flags = TI_TCP_SYN, SYN_OPTS, .nvlan = 2,
	    .vlan_tpid = { PB_ETHERTYPE_8021AD, PB_ETHERTYPE_8021Q },
	    .vlan_tci = { 10, 20 } },
	  { .kind = X_TCP, F6, X_SYN_OPTS, .vlan_depth = 2, .vlan_id = { 10, 20 } } },
	{ "three VLAN tags: vlan_too_deep",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 3,
	    .vlan_tpid = { PB_ETHERTYPE_8021AD, PB_ETHERTYPE_8021Q,
			   PB_ETHERTYPE_8021Q },
	    .vlan_tci = { 1, 2, 3 } },
	  { .kind = X_MAL, .reason = TI_MAL_VLAN_TOO_DEEP } },
	{ "three 802.1ad tags: vlan_too_deep",
	  { V6, .flags = TI_TCP_SYN, .nvlan = 3,
	    .vlan_tpid = { PB_ETHERTYPE_8021AD, PB_ETHERTYPE_8021AD,
			   PB_ETHERTYPE_8021AD } },
	  { .kind = X_MAL, .reason = TI_MAL_VLAN_TOO_DEEP } },
	{ "ARP in a VLAN tag: non_ip",
	  { .ethertype = PB_ETHERTYPE_ARP, .nvlan = 1, .vlan_tci = { 7 } },
	  { .kind = X_NON_IP } },
	{ "UDP in a VLAN tag: non_tcp",
	  { V4, .proto = PB_PROTO_UDP, .nvlan = 1, .vlan_tci = { 7 } },
	  { .kind = X_NON_TCP, F4 } },
	{ "802.1Q tag cut after 2 bytes",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 1, .cut = 16 },
	  { .kind = X_MAL, .reason = TI_MAL_VLAN_TRUNC } },
	{ "802.1Q tag, nothing after the TPID",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 1, .cut = 14 },
	  { .kind = X_MAL, .reason = TI_MAL_VLAN_TRUNC } },
	{ "QinQ, inner tag cut",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 2,
	    .vlan_tpid = { PB_ETHERTYPE_8021AD }, .cut = 21 },
	  { .kind = X_MAL, .reason = TI_MAL_VLAN_TRUNC } },
	{ "one tag, IPv4 header cut",
	  { V4, .flags = TI_TCP_SYN, .nvlan = 1, .cut = 30 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_TRUNC } },

	/* --- IPv4 header errors --- */
	{ "IP version 5 in an IPv4 ethertype",
	  { V4, .ip_version = 5, .flags = TI_TCP_SYN },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "IP version 6 in an IPv4 ethertype",
	  { V4, .ip_version = 6, .flags = TI_TCP_SYN },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "IP version 15 in an IPv4 ethertype",
	  { V4, .ip_version = 15, .flags = TI_TCP_SYN },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "IP version 4 in an IPv6 ethertype",
	  { V4, .ethertype = PB_ETHERTYPE_IPV6, .flags = TI_TCP_SYN,
	    .payload = 40 },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "IP version 4 header in an IPv6 ethertype, too short for IPv6",
	  { V4, .ethertype = PB_ETHERTYPE_IPV6, .flags = TI_TCP_SYN,
	    .cut = 14 + 39 },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_TRUNC } },
	{ "IHL 15 pointing past the frame",
	  { V4, .ihl = 15, .flags = TI_TCP_SYN, .cut = 14 + 40 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_TRUNC } },
	{ "IHL 15, frame ends one byte short of the options' end",
	  { V4, .ihl = 15, .flags = TI_TCP_SYN, .cut = 14 + 59, .fix_len = true },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_TRUNC } },
	{ "total length 19 < IHL",
	  { V4, .flags = TI_TCP_SYN, .ip_len_set = true, .ip_len = 19 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_BAD_LEN } },
	{ "total length 0",
	  { V4, .flags = TI_TCP_SYN, .ip_len_set = true, .ip_len = 0 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_BAD_LEN } },
	{ "total length 23 < IHL 6 (24 bytes)",
	  { V4, .ihl = 6, .flags = TI_TCP_SYN, .ip_len_set = true, .ip_len = 23 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_BAD_LEN } },
	{ "total length one byte past the frame",
	  { V4, .flags = TI_TCP_SYN, SYN_OPTS, .ip_len_set = true,
	    .ip_len = 61 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_BAD_LEN } },
	{ "total length 65535",
	  { V4, .flags = TI_TCP_SYN, .ip_len_set = true, .ip_len = 65535 },
	  { .kind = X_MAL, .reason = TI_MAL_IP4_BAD_LEN } },
	{ "total length = IHL, TCP header bytes beyond it: doff > IP payload",
	  { V4, .flags = TI_TCP_ACK, .ip_len_set = true, .ip_len = 20 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "total length = IHL, nothing after the IP header",
	  { V4, .flags = TI_TCP_ACK, .ip_len_set = true, .ip_len = 20,
	    .cut = 34 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_TRUNC, F4 } },

	/* --- TCP header errors --- */
	{ "TCP data offset 0",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 0 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset 1",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 1 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset 4",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 4, .payload = 8 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset 15, 20-byte IP payload",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 15 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset 6, 22-byte IP payload",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 6, .payload = 2 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset 10, padding beyond the IP payload",
	  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 10,
	    .payload = 4, .pad_to = 100 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 } },
	{ "TCP data offset exactly the IP payload (6, 24 bytes)",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 4, .opt = { PB_OPT_MSS(1220) } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS, .mss = 1220 } },

	/* --- TCP options --- */
	{ "options: length 0 after MSS",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_MSS(1460), 8, 0, 0, 0 } },
	  { .kind = X_TCP, F4, .bad_opt = true, .opts = TI_OPT_MSS, .mss = 1460 } },
	{ "options: length 1 after wscale",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_WS(7), PB_OPT_NOP, 4, 1, 0, 0 } },
	  { .kind = X_TCP, F4, .bad_opt = true, .opts = TI_OPT_WSCALE, .wscale = 7 } },
	{ "options: timestamp running past the header",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 12,
	    .opt = { PB_OPT_MSS(536), 8, 10, 1, 2, 3, 4, 5, 6 } },
	  { .kind = X_TCP, F4, .bad_opt = true, .opts = TI_OPT_MSS, .mss = 536 } },
	{ "options: SACK length 40 past the header",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .opt_len = 16,
	    .opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(7, 8), 5, 40 } },
	  { .kind = X_TCP, F4, .bad_opt = true, X_ACK_TS_78 } },
	{ "options: kind in the last byte, no length",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 4,
	    .opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_NOP, 3 } },
	  { .kind = X_TCP, F4, .bad_opt = true } },
	{ "options: MSS with length 3",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 4, .opt = { 2, 3, 5, 1 } },
	  { .kind = X_TCP, F4, .bad_opt = true } },
	{ "options: MSS with length 6 after wscale",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 12,
	    .opt = { PB_OPT_WS(2), PB_OPT_NOP, 2, 6, 5, 0xb4, 0, 0,
		     PB_OPT_SACKOK } },
	  { .kind = X_TCP, F4, .bad_opt = true, .opts = TI_OPT_WSCALE, .wscale = 2 } },
	{ "options: wscale with length 4",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_MSS(1000), 3, 4, 7, 0 } },
	  { .kind = X_TCP, F4, .bad_opt = true, .opts = TI_OPT_MSS, .mss = 1000 } },
	{ "options: SACK-permitted with length 3",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 4, .opt = { 4, 3, 0, 0 } },
	  { .kind = X_TCP, F4, .bad_opt = true } },
	{ "options: timestamp with length 8",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { 8, 8, 1, 2, 3, 4, 5, 6 } },
	  { .kind = X_TCP, F4, .bad_opt = true } },
	{ "options: NOP padding around TS and wscale",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 16,
	    .opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(1, 2), PB_OPT_NOP,
		     PB_OPT_WS(5), } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_TIMESTAMP | TI_OPT_WSCALE, .wscale = 5,
	    .ts_val = 1, .ts_ecr = 2 } },
	{ "options: only NOPs",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { 1, 1, 1, 1, 1, 1, 1, 1 } },
	  { .kind = X_TCP, F4 } },
	{ "options: EOL then garbage",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 12,
	    .opt = { PB_OPT_MSS(1460), PB_OPT_EOL, 0xff, 0x00, 2, 4, 0xff,
		     0xff, 3 } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS, .mss = 1460 } },
	{ "options: EOL first, MSS after it ignored",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_EOL, 0, 0, 0, PB_OPT_MSS(1460) } },
	  { .kind = X_TCP, F4 } },
	{ "options: unknown kinds skipped (TFO cookie, kind 30)",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 20,
	    .opt = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 30, 4, 0, 0,
		     PB_OPT_MSS(1200), PB_OPT_NOP, PB_OPT_NOP } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS, .mss = 1200 } },
	{ "options: SACK blocks",
	  { V4, .flags = TI_TCP_ACK, ACKNUM, .opt_len = 20,
	    .opt = { PB_OPT_NOP, PB_OPT_NOP, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2,
		     0, 0, 0, 3, 0, 0, 0, 4 } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_SACK } },
	{ "options: full 40 bytes, all five kinds",
	  { V4, .flags = TI_TCP_ACK | TI_TCP_SYN, ACKNUM, .opt_len = 40,
	    .opt = { PB_OPT_MSS(8960), PB_OPT_SACKOK,
		     PB_OPT_TS(0xfffffffe, 0x7fffffff), PB_OPT_NOP,
		     PB_OPT_WS(14), PB_OPT_NOP, PB_OPT_NOP, 5, 18, 1, 1, 1, 1,
		     2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4 } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS | TI_OPT_SACK_OK | TI_OPT_TIMESTAMP |
			       TI_OPT_WSCALE | TI_OPT_SACK,
	    .mss = 8960, .wscale = 14, .ts_val = 0xfffffffe,
	    .ts_ecr = 0x7fffffff } },
	{ "options: MSS 65535 and wscale 255 (raw values)",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_MSS(65535), PB_OPT_WS(255), PB_OPT_NOP } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS | TI_OPT_WSCALE, .mss = 65535,
	    .wscale = 255 } },
	{ "options: TI_MAX_TCP_OPTS steps (9 NOPs + MSS) all decoded",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 16,
	    .opt = { 1, 1, 1, 1, 1, 1, 1, 1, 1, PB_OPT_MSS(1460) } },
	  { .kind = X_TCP, F4, .opts = TI_OPT_MSS, .mss = 1460 } },
	/* The walk is bounded by design (tcpinspect.h): an option after the
	 * TI_MAX_TCP_OPTS-th step is neither decoded nor flagged. */
	{ "options: one step past TI_MAX_TCP_OPTS (10 NOPs + MSS) not walked",
	  { V4, .flags = TI_TCP_SYN, .opt_len = 16,
	    .opt = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, PB_OPT_MSS(1460) } },
	  { .kind = X_TCP, F4 } },
	{ "options with IP options (IHL 8) and payload",
	  { V4, .ihl = 8, .flags = TI_TCP_ACK, ACKNUM, ACK_TS_OPTS,
	    .payload = 17 },
	  { .kind = X_TCP, F4, X_ACK_TS, .payload_len = 17 } },
	{ "bad option and payload: event keeps payload_len",
	  { V4, .flags = TI_TCP_ACK | TI_TCP_PSH, ACKNUM, .opt_len = 4,
	    .opt = { PB_OPT_NOP, 8, 1, 0 }, .payload = 9 },
	  { .kind = X_TCP, F4, .bad_opt = true, .payload_len = 9 } },

	/* --- IPv6 --- */
	{ "ipv6 SYN with options",
	  { V6, .flags = TI_TCP_SYN, SYN_OPTS },
	  { .kind = X_TCP, F6, X_SYN_OPTS } },
	{ "ipv6 SYN-ACK, hop limit 255",
	  { V6, .flags = FLAG_SYNACK, ACKNUM, .ttl = 255, .sport = 443,
	    .dport = 60000, .opt_len = 4, .opt = { PB_OPT_MSS(1440) } },
	  { .kind = X_TCP, F6, .opts = TI_OPT_MSS, .mss = 1440 } },
	{ "ipv6 ACK with payload and trailer padding",
	  { V6, .flags = TI_TCP_ACK, ACKNUM, ACK_TS_OPTS, .payload = 3,
	    .pad_to = 160 },
	  { .kind = X_TCP, F6, X_ACK_TS, .payload_len = 3 } },
	{ "ipv6 FIN-ACK", { V6, .flags = TI_TCP_FIN | TI_TCP_ACK, ACKNUM },
	  { .kind = X_TCP, F6 } },
	{ "ipv6 RST", { V6, .flags = TI_TCP_RST }, { .kind = X_TCP, F6 } },
	{ "ipv6 hop-by-hop + routing + dest-opts + fragment(first)",
	  { V6, .flags = TI_TCP_SYN, SYN_OPTS, .payload = 12, .next_ext = 4,
	    .ext = { EXT(PB_PROTO_HOP, 0), EXT(PB_PROTO_ROUTING, 2),
		     EXT(PB_PROTO_DEST, 1), FRAGX(0, true) } },
	  { .kind = X_TCP, F6, X_SYN_OPTS, .payload_len = 12, .ext_count = 4 } },
	{ "ipv6 authentication header",
	  { V6, .flags = TI_TCP_ACK, ACKNUM, .payload = 7, .next_ext = 1,
	    .ext = { EXT(PB_PROTO_AH, 4) } },
	  { .kind = X_TCP, F6, .payload_len = 7, .ext_count = 1 } },
	{ "ipv6 atomic fragment (offset 0, no M)",
	  { V6, .flags = TI_TCP_SYN, .next_ext = 1, .ext = { FRAGX(0, false) } },
	  { .kind = X_TCP, F6, .ext_count = 1 } },
	{ "ipv6 exactly TI_MAX_IPV6_EXT (6) extension headers",
	  { V6, .flags = TI_TCP_SYN, SYN_OPTS, .payload = 1, .next_ext = 6,
	    .ext = { EXT(PB_PROTO_HOP, 0), EXT(PB_PROTO_DEST, 0),
		     EXT(PB_PROTO_ROUTING, 0), FRAGX(0, true),
		     EXT(PB_PROTO_AH, 1), EXT(PB_PROTO_DEST, 3) } },
	  { .kind = X_TCP, F6, X_SYN_OPTS, .payload_len = 1, .ext_count = 6 } },
	{ "ipv6 TI_MAX_IPV6_EXT+1 (7) extension headers: too deep",
	  { V6, .flags = TI_TCP_SYN, .next_ext = 7,
	    .ext = { EXT(PB_PROTO_HOP, 0), EXT(PB_PROTO_DEST, 0),
		     EXT(PB_PROTO_ROUTING, 0), FRAGX(0, true),
		     EXT(PB_PROTO_AH, 1), EXT(PB_PROTO_DEST, 0),
		     EXT(PB_PROTO_DEST, 0) } },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_EXT_TOO_DEEP, F6 } },
	{ "ipv6 non-first fragment (offset 100, M)",
	  { V6, .flags = TI_TCP_ACK, .payload = 30, .next_ext = 2,
	    .ext = { EXT(PB_PROTO_HOP, 0), FRAGX(100, true) } },
	  { .kind = X_FRAG, F6 } },
	{ "ipv6 last fragment (offset 1, no M)",
	  { V6, .flags = TI_TCP_ACK, .next_ext = 1, .ext = { FRAGX(1, false) } },
	  { .kind = X_FRAG, F6 } },
	{ "ipv6 UDP", { V6, .proto = PB_PROTO_UDP, .payload = 20 },
	  { .kind = X_NON_TCP, F6 } },
	{ "ipv6 ICMPv6", { V6, .proto = PB_PROTO_ICMPV6, .payload = 20 },
	  { .kind = X_NON_TCP, F6 } },
	{ "ipv6 no next header (59)", { V6, .proto = PB_PROTO_NONE },
	  { .kind = X_NON_TCP, F6 } },
	{ "ipv6 hop-by-hop then UDP",
	  { V6, .proto = PB_PROTO_UDP, .next_ext = 1,
	    .ext = { EXT(PB_PROTO_HOP, 0) } },
	  { .kind = X_NON_TCP, F6 } },
	{ "ipv6 payload length 0 (jumbogram)",
	  { V6, .flags = TI_TCP_SYN, .ip_len_set = true, .ip_len = 0 },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_BAD_LEN } },
	{ "ipv6 payload length one past the frame",
	  { V6, .flags = TI_TCP_SYN, SYN_OPTS, .ip_len_set = true,
	    .ip_len = 41 },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_BAD_LEN } },
	{ "ipv6 extension header beyond the payload length",
	  { V6, .flags = TI_TCP_SYN, .next_ext = 1,
	    .ext = { EXT(PB_PROTO_HOP, 0) }, .ip_len_set = true, .ip_len = 4 },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_BAD_LEN, F6 } },
	{ "ipv6 destination options length past the frame",
	  { V6, .flags = TI_TCP_SYN, .next_ext = 1,
	    .ext = { EXT(PB_PROTO_DEST, 20) }, .cut = 14 + 40 + 64,
	    .fix_len = true },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_EXT_TRUNC, F6 } },
	{ "ipv6 fragment header cut after 4 bytes",
	  { V6, .flags = TI_TCP_SYN, .next_ext = 1, .ext = { FRAGX(0, true) },
	    .cut = 14 + 40 + 4, .fix_len = true },
	  { .kind = X_MAL, .reason = TI_MAL_IP6_EXT_TRUNC, F6 } },
	{ "ipv6 version 4 in an IPv6 header",
	  { V6, .ip_version = 4, .flags = TI_TCP_SYN },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "ipv6 header in an IPv4 ethertype (version 6)",
	  { V6, .ethertype = PB_ETHERTYPE_IP, .flags = TI_TCP_SYN },
	  { .kind = X_MAL, .reason = TI_MAL_IP_BAD_VERSION } },
	{ "ipv6 TCP data offset 4",
	  { V6, .flags = TI_TCP_SYN, .doff_set = true, .doff = 4 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F6 } },
	{ "ipv6 TCP data offset past the payload",
	  { V6, .flags = TI_TCP_SYN, .doff_set = true, .doff = 8,
	    .payload = 4 },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F6 } },
	{ "ipv6 TCP header cut",
	  { V6, .flags = TI_TCP_SYN, .cut = 14 + 40 + 19, .fix_len = true },
	  { .kind = X_MAL, .reason = TI_MAL_TCP_TRUNC, F6 } },
	{ "ipv6 bad option after MSS",
	  { V6, .flags = TI_TCP_SYN, .opt_len = 8,
	    .opt = { PB_OPT_MSS(1220), 3, 0, 0, 0 } },
	  { .kind = X_TCP, F6, .bad_opt = true, .opts = TI_OPT_MSS, .mss = 1220 } },

	/* --- frames BPF_PROG_TEST_RUN refuses (< ETH_HLEN) --- */
	{ "13-byte frame", { V4, .cut = 13 }, { .kind = X_EINVAL } },
	{ "1-byte frame", { V4, .cut = 1 }, { .kind = X_EINVAL } },
};

/* ------------------------------------------------------------------------ */
/* The table, through each program and each rodata configuration.          */

static void test_table_xdp(void **state)
{
	(void)state;
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_ALL], RUN_XDP);
	finish_test();
}

static void test_table_tc(void **state)
{
	(void)state;
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_ALL], RUN_TC);
	finish_test();
}

/* Default rodata: counters identical, events for SYN/SYN-ACK/RST/FIN only
 * (wants_event() applies the instance's selection). */
static void test_table_default_rodata(void **state)
{
	(void)state;
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_DEF], RUN_XDP);
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_DEF], RUN_TC);
	finish_test();
}

static void test_table_filter_rodata(void **state)
{
	(void)state;
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_V4ONLY], RUN_XDP);
	run_fixtures(fixtures, ARRAY_SIZE(fixtures), &insts[I_PORT], RUN_XDP);
	finish_test();
}

/* ------------------------------------------------------------------------ */
/* Generated fixtures.                                                       */

static const enum hook_sel both_hooks[] = { RUN_XDP, RUN_TC };

/* IPv4 options: every IHL from 6 to 15 parses; IHL 0..4 is ipv4_bad_ihl. */
static void test_ipv4_ihl_range(void **state)
{
	char name[96];

	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
		for (uint8_t ihl = 6; ihl <= 15; ihl++) {
			struct pb_spec s = { V4, .ihl = ihl, .flags = TI_TCP_SYN,
					     SYN_OPTS, .payload = ihl };
			struct expect x = { .kind = X_TCP, F4, X_SYN_OPTS,
					    .payload_len = ihl };

			snprintf(name, sizeof(name), "ipv4 IHL %u SYN", ihl);
			run_spec(&insts[I_ALL], both_hooks[h], name, &s, &x);
		}
		for (uint8_t ihl = 0; ihl < 5; ihl++) {
			struct pb_spec s = { V4, .ihl_set = true, .ihl = ihl,
					     .flags = TI_TCP_SYN, SYN_OPTS };
			struct expect x = { .kind = X_MAL,
					    .reason = TI_MAL_IP4_BAD_IHL };

			snprintf(name, sizeof(name), "ipv4 IHL %u", ihl);
			run_spec(&insts[I_ALL], both_hooks[h], name, &s, &x);
		}
	}
	finish_test();
}

/* Frames shorter than ETH_HLEN: the kernel refuses to run the program. */
static void test_short_frames(void **state)
{
	char name[64];
	static const __u8 zero[16];

	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
		struct bpf_program *p = both_hooks[h] == RUN_TC
						? insts[I_ALL].skel->progs.ti_tc
						: insts[I_ALL].skel->progs.ti_xdp;

		for (uint16_t len = 1; len < PB_ETH_HLEN; len++) {
			struct pb_spec s = { V4, .flags = TI_TCP_SYN, .cut = len };
			struct expect x = { .kind = X_EINVAL };

			snprintf(name, sizeof(name), "%u-byte frame", len);
			run_spec(&insts[I_ALL], both_hooks[h], name, &s, &x);
		}
		/* And an empty one. */
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = zero,
			    .data_size_in = 0, .repeat = 1);
		snprintf(cur, sizeof(cur), "0-byte frame @%s",
			 both_hooks[h] == RUN_TC ? "tc" : "xdp");
		n_fixtures++;
		int err = bpf_prog_test_run_opts(bpf_program__fd(p), &o);
		CHECK_EQ("0-byte test_run fails with EINVAL",
			 err < 0 ? errno : 0, EINVAL);
	}
	finish_test();
}

/*
 * Every truncation point of an IPv4 SYN with 20 bytes of TCP options (and
 * optionally IP options), each cut twice: with the original total length
 * (the frame is shorter than the IP header says: ipv4_bad_total_length once
 * the IP header is complete) and with the total length fixed up to the cut
 * (so the TCP checks are the ones that fire: tcp_truncated inside the
 * 20-byte TCP header, tcp_bad_data_offset inside the options, whose data
 * offset then exceeds the IP payload).
 */
static void sweep_ipv4(struct inst *in, enum hook_sel hook, uint8_t ihl)
{
	struct pb_spec s = { V4, .ihl = ihl, .flags = TI_TCP_SYN, SYN_OPTS };
	static struct pb_frame f;
	size_t ip_end = PB_ETH_HLEN + (size_t)ihl * 4, tcp_end = ip_end + 20;
	char name[96];

	pb_build(&s, &f);
	for (size_t len = PB_ETH_HLEN; len < f.len; len++) {
		for (int fix = 0; fix < 2; fix++) {
			struct pb_spec c = s;
			struct expect x = { .kind = X_MAL };

			c.cut = (uint16_t)len;
			c.fix_len = fix;
			if (len < ip_end) {
				x.reason = TI_MAL_IP4_TRUNC;
			} else if (!fix) {
				x.reason = TI_MAL_IP4_BAD_LEN;
			} else if (len < tcp_end) {
				x.reason = TI_MAL_TCP_TRUNC;
				x.fam = TI_AF_INET;
			} else {
				x.reason = TI_MAL_TCP_BAD_DOFF;
				x.fam = TI_AF_INET;
			}
			snprintf(name, sizeof(name),
				 "ipv4 IHL %u SYN cut to %zu/%zu, %s tot_len",
				 ihl, len, f.len, fix ? "fixed" : "original");
			run_spec(in, hook, name, &c, &x);
		}
	}
	/* The full frame, for reference. */
	{
		struct expect x = { .kind = X_TCP, F4, X_SYN_OPTS };

		snprintf(name, sizeof(name), "ipv4 IHL %u SYN uncut", ihl);
		run_spec(in, hook, name, &s, &x);
	}
}

/* The whole frame present, the IPv4 total length swept over and past it. */
static void sweep_ipv4_tot_len(struct inst *in, enum hook_sel hook)
{
	char name[96];

	for (unsigned t = 0; t <= 64; t++) {
		struct pb_spec s = { V4, .flags = TI_TCP_SYN, SYN_OPTS,
				     .ip_len_set = true, .ip_len = (uint16_t)t };
		struct expect x = { .kind = X_MAL };

		if (t < 20 || t > 60) {
			x.reason = TI_MAL_IP4_BAD_LEN;
		} else if (t < 60) {
			/* The TCP header (data offset 40 bytes) does not
			 * fit in the t - 20 bytes the IP header allows. */
			x.reason = TI_MAL_TCP_BAD_DOFF;
			x.fam = TI_AF_INET;
		} else {
			x = (struct expect){ .kind = X_TCP, F4, X_SYN_OPTS };
		}
		snprintf(name, sizeof(name), "ipv4 SYN total length %u", t);
		run_spec(in, hook, name, &s, &x);
	}
}

#define SWEEP6_EXT                                                             \
	.next_ext = 3, .ext = { EXT(PB_PROTO_HOP, 0), FRAGX(0, true),          \
				EXT(PB_PROTO_DEST, 1) }

/*
 * Every truncation point of an IPv6 SYN with hop-by-hop (8 bytes),
 * fragment (8) and destination-options (16) headers and 20 bytes of TCP
 * options: with the original payload length (ipv6_bad_payload_length once
 * the fixed header is complete) and with it fixed up to the cut.
 */
static void sweep_ipv6(struct inst *in, enum hook_sel hook)
{
	struct pb_spec s = { V6, .flags = TI_TCP_SYN, SYN_OPTS, SWEEP6_EXT };
	static struct pb_frame f;
	const size_t ip_end = PB_ETH_HLEN + 40, ext_end = ip_end + 32,
		     tcp_end = ext_end + 20;
	char name[96];

	pb_build(&s, &f);
	assert_int_equal(f.len, tcp_end + 20);
	for (size_t len = PB_ETH_HLEN; len < f.len; len++) {
		for (int fix = 0; fix < 2; fix++) {
			struct pb_spec c = s;
			struct expect x = { .kind = X_MAL };

			c.cut = (uint16_t)len;
			c.fix_len = fix;
			if (len < ip_end) {
				x.reason = TI_MAL_IP6_TRUNC;
			} else if (!fix || len == ip_end) {
				/* too long, or (fixed) zero */
				x.reason = TI_MAL_IP6_BAD_LEN;
			} else if (len < ext_end) {
				x.reason = TI_MAL_IP6_EXT_TRUNC;
				x.fam = TI_AF_INET6;
			} else if (len < tcp_end) {
				x.reason = TI_MAL_TCP_TRUNC;
				x.fam = TI_AF_INET6;
			} else {
				x.reason = TI_MAL_TCP_BAD_DOFF;
				x.fam = TI_AF_INET6;
			}
			snprintf(name, sizeof(name),
				 "ipv6+ext SYN cut to %zu/%zu, %s payload_len",
				 len, f.len, fix ? "fixed" : "original");
			run_spec(in, hook, name, &c, &x);
		}
	}
	{
		struct expect x = { .kind = X_TCP, F6, X_SYN_OPTS, .ext_count = 3 };

		run_spec(in, hook, "ipv6+ext SYN uncut", &s, &x);
	}
}

/* The whole frame present, the IPv6 payload length swept. */
static void sweep_ipv6_payload_len(struct inst *in, enum hook_sel hook)
{
	char name[96];

	for (unsigned p = 0; p <= 76; p++) {
		struct pb_spec s = { V6, .flags = TI_TCP_SYN, SYN_OPTS, SWEEP6_EXT,
				     .ip_len_set = true, .ip_len = (uint16_t)p };
		struct expect x = { .kind = X_MAL };

		if (p == 0 || p > 72) {
			x.reason = TI_MAL_IP6_BAD_LEN;
		} else if (p < 32) {
			/* an extension header ends past the payload */
			x.reason = TI_MAL_IP6_BAD_LEN;
			x.fam = TI_AF_INET6;
		} else if (p < 72) {
			x.reason = TI_MAL_TCP_BAD_DOFF;
			x.fam = TI_AF_INET6;
		} else {
			x = (struct expect){ .kind = X_TCP, F6, X_SYN_OPTS,
					     .ext_count = 3 };
		}
		snprintf(name, sizeof(name), "ipv6+ext SYN payload length %u",
			 p);
		run_spec(in, hook, name, &s, &x);
	}
}

/* VLAN tags cut at every byte. */
static void sweep_vlan(struct inst *in, enum hook_sel hook)
{
	char name[96];

	for (uint8_t tags = 1; tags <= 2; tags++) {
		size_t l3 = PB_ETH_HLEN + 4u * tags;

		for (size_t len = PB_ETH_HLEN; len < l3 + 20; len++) {
			struct pb_spec s = { V4, .flags = TI_TCP_SYN,
					     .nvlan = tags,
					     .vlan_tpid = { PB_ETHERTYPE_8021AD },
					     .vlan_tci = { 5, 6 },
					     .cut = (uint16_t)len };
			struct expect x = { .kind = X_MAL, .reason = len < l3 ? TI_MAL_VLAN_TRUNC
							   : TI_MAL_IP4_TRUNC };

			snprintf(name, sizeof(name), "%u VLAN tag(s) cut to %zu",
				 tags, len);
			run_spec(in, hook, name, &s, &x);
		}
	}
}

static void test_truncation_ipv4(void **state)
{
	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
		sweep_ipv4(&insts[I_ALL], both_hooks[h], 5);
		sweep_ipv4(&insts[I_ALL], both_hooks[h], 8);
		sweep_ipv4_tot_len(&insts[I_ALL], both_hooks[h]);
	}
	finish_test();
}

static void test_truncation_ipv6(void **state)
{
	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
		sweep_ipv6(&insts[I_ALL], both_hooks[h]);
		sweep_ipv6_payload_len(&insts[I_ALL], both_hooks[h]);
	}
	finish_test();
}

static void test_truncation_vlan(void **state)
{
	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++)
		sweep_vlan(&insts[I_ALL], both_hooks[h]);
	finish_test();
}

/* ------------------------------------------------------------------------ */
/* Event selection and rodata filters, with literal expectations.           */

struct sel_case {
	const char *name;
	struct pb_spec s;
	struct expect x;
	int events; /* events expected from the instance under test */
};

static void run_sel_cases(struct inst *in, const struct sel_case *c, size_t n)
{
	char what[64];

	for (size_t i = 0; i < n; i++) {
		for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
			run_spec(in, both_hooks[h], c[i].name, &c[i].s, &c[i].x);
			snprintf(what, sizeof(what), "events with %s rodata",
				 in->name);
			CHECK_EQ(what, in->nev, c[i].events);
		}
	}
}

static void test_default_event_selection(void **state)
{
	static const struct sel_case cases[] = {
		{ "SYN", { V4, .flags = TI_TCP_SYN, SYN_OPTS },
		  { .kind = X_TCP, F4, X_SYN_OPTS }, 1 },
		{ "SYN-ACK", { V4, .flags = FLAG_SYNACK, ACKNUM },
		  { .kind = X_TCP, F4 }, 1 },
		{ "RST", { V4, .flags = TI_TCP_RST }, { .kind = X_TCP, F4 }, 1 },
		{ "RST-ACK", { V6, .flags = TI_TCP_RST | TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F6 }, 1 },
		{ "FIN-ACK", { V4, .flags = TI_TCP_FIN | TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F4 }, 1 },
		{ "FIN-PSH-ACK with data",
		  { V6, .flags = TI_TCP_FIN | TI_TCP_PSH | TI_TCP_ACK, ACKNUM,
		    .payload = 10 },
		  { .kind = X_TCP, F6, .payload_len = 10 }, 1 },
		{ "pure ACK", { V4, .flags = TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F4 }, 0 },
		{ "PSH-ACK with data",
		  { V4, .flags = TI_TCP_PSH | TI_TCP_ACK, ACKNUM, .payload = 100 },
		  { .kind = X_TCP, F4, .payload_len = 100 }, 0 },
		{ "URG-ACK", { V6, .flags = TI_TCP_URG | TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F6 }, 0 },
		{ "ECE-CWR-ACK",
		  { V4, .flags = TI_TCP_ECE | TI_TCP_CWR | TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F4 }, 0 },
		{ "no flags", { V4, .flags = 0 }, { .kind = X_TCP, F4 }, 0 },
		{ "SYN with bad option",
		  { V4, .flags = TI_TCP_SYN, .opt_len = 4, .opt = { 2, 0, 0, 0 } },
		  { .kind = X_TCP, F4, .bad_opt = true }, 1 },
		{ "malformed SYN (bad data offset)",
		  { V4, .flags = TI_TCP_SYN, .doff_set = true, .doff = 2 },
		  { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 }, 0 },
	};

	(void)state;
	run_sel_cases(&insts[I_DEF], cases, ARRAY_SIZE(cases));
	/* The same segments all produce events with cfg_all_packets, except
	 * the malformed one. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
			run_spec(&insts[I_ALL], both_hooks[h], cases[i].name,
				 &cases[i].s, &cases[i].x);
			CHECK_EQ("events with all_packets", insts[I_ALL].nev,
				 cases[i].x.kind == X_TCP);
		}
	finish_test();
}

static void test_family_filter(void **state)
{
	static const struct sel_case cases[] = {
		{ "ipv6 SYN (filtered out)", { V6, .flags = TI_TCP_SYN, SYN_OPTS },
		  { .kind = X_TCP, F6, X_SYN_OPTS }, 0 },
		{ "ipv6 ACK (filtered out)", { V6, .flags = TI_TCP_ACK, ACKNUM },
		  { .kind = X_TCP, F6 }, 0 },
		{ "ipv6 RST in QinQ (filtered out)",
		  { V6, .flags = TI_TCP_RST, .nvlan = 2, .vlan_tci = { 1, 2 } },
		  { .kind = X_TCP, F6, .vlan_depth = 2, .vlan_id = { 1, 2 } }, 0 },
		{ "ipv4 SYN", { V4, .flags = TI_TCP_SYN, SYN_OPTS },
		  { .kind = X_TCP, F4, X_SYN_OPTS }, 1 },
		{ "ipv4 ACK", { V4, .flags = TI_TCP_ACK, ACKNUM, .payload = 1 },
		  { .kind = X_TCP, F4, .payload_len = 1 }, 1 },
	};

	(void)state;
	run_sel_cases(&insts[I_V4ONLY], cases, ARRAY_SIZE(cases));
	finish_test();
}

static void test_port_filter(void **state)
{
	static const struct sel_case cases[] = {
		{ "dport 80 SYN", { V4, .flags = TI_TCP_SYN, .dport = 80 },
		  { .kind = X_TCP, F4 }, 1 },
		{ "dport 80 ACK", { V6, .flags = TI_TCP_ACK, ACKNUM, .dport = 80 },
		  { .kind = X_TCP, F6 }, 1 },
		{ "dport 443 SYN (filtered out)",
		  { V4, .flags = TI_TCP_SYN, .dport = 443 }, { .kind = X_TCP, F4 }, 0 },
		{ "dport 8080 SYN (filtered out)",
		  { V6, .flags = TI_TCP_SYN, .dport = 8080 }, { .kind = X_TCP, F6 }, 0 },
		{ "sport 80 dport 40000 SYN-ACK (filtered out)",
		  { V4, .flags = FLAG_SYNACK, ACKNUM, .sport = 80,
		    .dport = 40000 },
		  { .kind = X_TCP, F4 }, 0 },
		{ "dport 20480 (80 byte-swapped, filtered out)",
		  { V4, .flags = TI_TCP_SYN, .dport = 20480 }, { .kind = X_TCP, F4 }, 0 },
	};

	(void)state;
	run_sel_cases(&insts[I_PORT], cases, ARRAY_SIZE(cases));
	finish_test();
}

/* ------------------------------------------------------------------------ */
/* The per-source SYN table.                                                */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* 0 and the entry if present, -ENOENT if not. */
static int syn_lookup(struct inst *in, __u32 family, const __u8 *addr,
		      struct ti_src_syn *val)
{
	struct ti_src_key key;

	memset(&key, 0, sizeof(key));
	key.family = family;
	memcpy(key.addr, addr, family == TI_AF_INET ? 4 : 16);
	memset(val, 0, sizeof(*val));
	if (bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.ti_syn_sources),
				&key, val))
		return -errno;
	return 0;
}

static void test_syn_sources(void **state)
{
	struct inst *in = &insts[I_ALL];
	struct ti_src_syn val;
	__u64 t0, t1;
	char name[80];
	static const __u8 a4[4] = { 203, 0, 113, 77 }, b4[4] = { 203, 0, 113, 78 },
			  c4[4] = { 203, 0, 113, 79 };
	static const __u8 a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				     0, 0, 0, 0, 0, 0, 0, 0x77 };
	struct pb_spec syn4 = { V4, .flags = TI_TCP_SYN, SYN_OPTS };
	struct expect xsyn4 = { .kind = X_TCP, F4, X_SYN_OPTS };

	(void)state;
	snprintf(cur, sizeof(cur), "ti_syn_sources");
	memcpy(syn4.src, a4, 4);
	CHECK_EQ("no entry before", syn_lookup(in, TI_AF_INET, a4, &val),
		 -ENOENT);

	t0 = now_ns();
	for (int i = 1; i <= 3; i++) {
		syn4.sport = (uint16_t)(40000 + i);
		snprintf(name, sizeof(name), "SYN #%d from 203.0.113.77", i);
		run_spec(in, i == 3 ? RUN_TC : RUN_XDP, name, &syn4, &xsyn4);
		snprintf(cur, sizeof(cur), "ti_syn_sources after SYN #%d", i);
		CHECK_EQ("lookup", syn_lookup(in, TI_AF_INET, a4, &val), 0);
		CHECK_EQ("syns", val.syns, i);
	}
	t1 = now_ns();
	CHECK_EQ("last_ns in [t0, t1]", val.last_ns >= t0 && val.last_ns <= t1,
		 1);

	/* Not SYNs: SYN-ACK, ACK, RST from the same source. */
	{
		struct pb_spec s = syn4;
		struct expect x = { .kind = X_TCP, F4 };
		static const __u8 fl[] = { FLAG_SYNACK, TI_TCP_ACK, TI_TCP_RST,
					   TI_TCP_FIN | TI_TCP_ACK };

		s.opt_len = 0;
		s.ack = 1;
		for (size_t i = 0; i < sizeof(fl); i++) {
			s.flags = fl[i];
			snprintf(name, sizeof(name), "flags %#x from 203.0.113.77",
				 fl[i]);
			run_spec(in, RUN_XDP, name, &s, &x);
		}
		snprintf(cur, sizeof(cur), "ti_syn_sources after non-SYNs");
		CHECK_EQ("lookup", syn_lookup(in, TI_AF_INET, a4, &val), 0);
		CHECK_EQ("syns unchanged", val.syns, 3);
	}

	/* A SYN-ACK from a fresh source does not create an entry. */
	{
		struct pb_spec s = { V4, .flags = FLAG_SYNACK, ACKNUM };
		struct expect x = { .kind = X_TCP, F4 };

		memcpy(s.src, b4, 4);
		run_spec(in, RUN_XDP, "SYN-ACK from 203.0.113.78", &s, &x);
		snprintf(cur, sizeof(cur), "ti_syn_sources SYN-ACK source");
		CHECK_EQ("no entry for a SYN-ACK source",
			 syn_lookup(in, TI_AF_INET, b4, &val), -ENOENT);
	}

	/* Malformed SYNs and SYN fragments are not counted; a SYN with ECN
	 * bits and a SYN with a bad option are. */
	{
		struct pb_spec bad = { V4, .flags = TI_TCP_SYN, .doff_set = true,
				       .doff = 3 };
		struct pb_spec frag = { V4, .flags = TI_TCP_SYN, .frag = 10 };
		struct pb_spec ecn = { V4, .flags = TI_TCP_SYN | TI_TCP_ECE |
						     TI_TCP_CWR };
		struct pb_spec opt = { V4, .flags = TI_TCP_SYN, .opt_len = 4,
				       .opt = { 2, 1, 0, 0 } };
		struct expect xbad = { .kind = X_MAL, .reason = TI_MAL_TCP_BAD_DOFF, F4 };
		struct expect xfrag = { .kind = X_FRAG, F4 };
		struct expect xecn = { .kind = X_TCP, F4 };
		struct expect xopt = { .kind = X_TCP, F4, .bad_opt = true };

		memcpy(bad.src, c4, 4);
		memcpy(frag.src, c4, 4);
		memcpy(ecn.src, c4, 4);
		memcpy(opt.src, c4, 4);
		run_spec(in, RUN_XDP, "malformed SYN from .79", &bad, &xbad);
		run_spec(in, RUN_XDP, "SYN fragment from .79", &frag, &xfrag);
		snprintf(cur, sizeof(cur), "ti_syn_sources .79");
		CHECK_EQ("no entry after malformed/fragment",
			 syn_lookup(in, TI_AF_INET, c4, &val), -ENOENT);
		run_spec(in, RUN_XDP, "ECN SYN from .79", &ecn, &xecn);
		run_spec(in, RUN_TC, "bad-option SYN from .79", &opt, &xopt);
		snprintf(cur, sizeof(cur), "ti_syn_sources .79");
		CHECK_EQ("lookup", syn_lookup(in, TI_AF_INET, c4, &val), 0);
		CHECK_EQ("syns", val.syns, 2);
	}

	/* IPv6: the whole address is the key; the IPv4 source is separate. */
	{
		struct pb_spec s = { V6, .flags = TI_TCP_SYN, SYN_OPTS,
				     .next_ext = 1,
				     .ext = { EXT(PB_PROTO_HOP, 0) } };
		struct expect x = { .kind = X_TCP, F6, X_SYN_OPTS, .ext_count = 1 };

		memcpy(s.src, a6, 16);
		run_spec(in, RUN_XDP, "ipv6 SYN #1 from 2001:db8::77", &s, &x);
		run_spec(in, RUN_TC, "ipv6 SYN #2 from 2001:db8::77", &s, &x);
		snprintf(cur, sizeof(cur), "ti_syn_sources ipv6");
		CHECK_EQ("lookup", syn_lookup(in, TI_AF_INET6, a6, &val), 0);
		CHECK_EQ("syns", val.syns, 2);
		/* Same first four bytes with the IPv4 family: absent. */
		CHECK_EQ("no IPv4 entry for 32.1.13.184",
			 syn_lookup(in, TI_AF_INET, a6, &val), -ENOENT);
	}

	/* Every key: the family is INET or INET6, and an IPv4 key has bytes
	 * 4-15 zero. */
	{
		int fd = bpf_map__fd(in->skel->maps.ti_syn_sources);
		struct ti_src_key key, next;
		void *prev = NULL;
		int keys = 0, found4 = 0;

		snprintf(cur, sizeof(cur), "ti_syn_sources keys");
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			keys++;
			CHECK_EQ("key family",
				 next.family == TI_AF_INET ||
					 next.family == TI_AF_INET6,
				 1);
			if (next.family == TI_AF_INET) {
				CHECK_EQ("ipv4 key bytes 4-15 zero",
					 pb_is_zero(next.addr + 4, 12), 1);
				if (!memcmp(next.addr, a4, 4))
					found4++;
			}
			key = next;
			prev = &key;
		}
		CHECK_EQ("203.0.113.77 has exactly one key", found4, 1);
		CHECK_EQ("some keys", keys > 0, 1);
	}
	finish_test();
}

/* ------------------------------------------------------------------------ */
/* App hints: the set-associative table of awaited first segments.          */

#define APP_SPORT 41000
#define APP_ISN 5000u
/* More handshakes than the table holds (16384), all pending at once. */
#define APP_FLOOD 20000

/* Run one frame through I_APP's program at hook; returns the app hints
 * it produced (app_last holds the last one). */
static int app_run(enum hook_sel hook, const struct pb_spec *s,
		   struct pb_frame *f)
{
	struct inst *in = &insts[I_APP];
	struct bpf_program *p = hook == RUN_TC ? in->skel->progs.ti_tc
					       : in->skel->progs.ti_xdp;
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);
	int before;

	pb_build(s, f);
	o.data_in = f->b;
	o.data_size_in = (__u32)f->len;
	n_fixtures++;
	if (bpf_prog_test_run_opts(bpf_program__fd(p), &o)) {
		CHECK_EQ("test run succeeds", (uint64_t)errno, 0);
		return -1;
	}
	before = app_count;
	ring_buffer__consume(in->rb);
	return app_count - before;
}

static __u64 app_events_sum(void)
{
	struct ti_cap_counters *v;
	__u32 zero = 0;
	__u64 sum = 0;

	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(insts[I_APP].skel->maps.ti_cap_stats),
				 &zero, v))
		for (int c = 0; c < ncpus; c++)
			sum += v[c].app_events;
	free(v);
	return sum;
}

static void test_app_hint_table(void **state)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	static struct pb_frame f;
	struct pb_spec syn = { V4, .flags = TI_TCP_SYN, SYN_OPTS, .dport = 80,
			       .seq = APP_ISN };
	struct pb_spec data = { V4, .flags = TI_TCP_ACK | TI_TCP_PSH,
				.dport = 80, .seq = APP_ISN + 1, .ack = 1,
				.payload = sizeof(req) - 1 };
	__u64 ev0 = app_events_sum();
	int expected = 0;

	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(both_hooks); h++) {
		enum hook_sel hook = both_hooks[h];

		snprintf(cur, sizeof(cur), "app hint @%s",
			 hook == RUN_TC ? "tc" : "xdp");
		syn.sport = data.sport = (uint16_t)(APP_SPORT + h);
		CHECK_EQ("SYN: no hint", app_run(hook, &syn, &f), 0);
		CHECK_EQ("first data segment: one hint", app_run(hook, &data, &f), 1);
		expected++;
		CHECK_EQ("hint sport", app_last.tuple.sport, APP_SPORT + h);
		CHECK_EQ("hint dport", app_last.tuple.dport, 80);
		CHECK_EQ("hint family", app_last.tuple.family, TI_AF_INET);
		CHECK_EQ("hint seq", app_last.seq, APP_ISN + 1);
		CHECK_EQ("hint payload_len", app_last.payload_len, sizeof(req) - 1);
		CHECK_EQ("hint cap_len", app_last.cap_len, sizeof(req) - 1);
		check_mem("hint data", app_last.data,
			  f.b + f.len - (sizeof(req) - 1), sizeof(req) - 1);
		CHECK_EQ("hint hook", app_last.hook,
			 hook == RUN_TC ? TI_HOOK_TC : TI_HOOK_XDP);
		CHECK_EQ("the same segment again: none", app_run(hook, &data, &f), 0);

		/* Another port, no SYN seen: nothing awaited. */
		data.sport = (uint16_t)(APP_SPORT + 10 + h);
		CHECK_EQ("no SYN: no hint", app_run(hook, &data, &f), 0);
		/* A retransmitted SYN keeps one entry; a segment past the
		 * first is not the start of the stream. */
		syn.sport = data.sport;
		app_run(hook, &syn, &f);
		CHECK_EQ("retransmitted SYN: no hint", app_run(hook, &syn, &f), 0);
		data.seq = APP_ISN + 100;
		CHECK_EQ("later segment: no hint", app_run(hook, &data, &f), 0);
		data.seq = APP_ISN + 1;
		CHECK_EQ("then the first one: one hint", app_run(hook, &data, &f), 1);
		expected++;
		CHECK_EQ("... only once", app_run(hook, &data, &f), 0);
	}

	/* Eight handshakes pending at once, answered in reverse order. */
	snprintf(cur, sizeof(cur), "app hint: 8 pending");
	for (int i = 0; i < 8; i++) {
		syn.sport = (uint16_t)(APP_SPORT + 100 + i);
		syn.seq = APP_ISN + (uint32_t)i * 7;
		app_run(RUN_XDP, &syn, &f);
	}
	for (int i = 7; i >= 0; i--) {
		data.sport = (uint16_t)(APP_SPORT + 100 + i);
		data.seq = APP_ISN + (uint32_t)i * 7 + 1;
		CHECK_EQ("pending handshake: one hint", app_run(RUN_XDP, &data, &f), 1);
		CHECK_EQ("its own tuple", app_last.tuple.sport, data.sport);
		expected++;
	}

	/* A flood of SYNs (more than the table holds) evicts older entries
	 * only: the latest handshake still gets its hint. */
	snprintf(cur, sizeof(cur), "app hint: %d SYNs", APP_FLOOD);
	syn.seq = APP_ISN;
	for (int i = 0; i < APP_FLOOD; i++) {
		syn.src[0] = 198;
		syn.src[1] = 18;
		syn.src[2] = (uint8_t)(i >> 8);
		syn.src[3] = (uint8_t)i;
		app_run(RUN_XDP, &syn, &f);
	}
	memcpy(data.src, syn.src, 4);
	data.sport = syn.sport;
	data.seq = APP_ISN + 1;
	CHECK_EQ("latest of the flood: one hint", app_run(RUN_XDP, &data, &f), 1);
	expected++;
	CHECK_EQ("ti_cap_stats app_events", app_events_sum() - ev0,
		 (uint64_t)expected);
	finish_test();
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_xdp),
		cmocka_unit_test(test_table_tc),
		cmocka_unit_test(test_table_default_rodata),
		cmocka_unit_test(test_table_filter_rodata),
		cmocka_unit_test(test_ipv4_ihl_range),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_truncation_ipv4),
		cmocka_unit_test(test_truncation_ipv6),
		cmocka_unit_test(test_truncation_vlan),
		cmocka_unit_test(test_default_event_selection),
		cmocka_unit_test(test_family_filter),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_syn_sources),
		cmocka_unit_test(test_app_hint_table),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_inspector: not root; loading BPF "
				"programs will probably fail\n");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
