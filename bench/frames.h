/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * frames.h - the representative frames the benchmarks feed to XDP programs
 * with BPF_PROG_TEST_RUN (built with the unit tests' tests/unit/pktbuild.h).
 */
#ifndef BENCH_FRAMES_H
#define BENCH_FRAMES_H

#include <string.h>
#include "pktbuild.h"

/* The source the bench puts on every blocklist (tcpinspect's and
 * xdp-filter's); run.sh uses the same address. */
#define BENCH_BLOCKED_SRC4 { 198, 18, 0, 66 }

enum bench_frame {
	BF_V4_SYN,     /* SYN with MSS, SACK-permitted, timestamps, wscale */
	BF_V4_DATA,    /* full-size ACK segment with timestamps */
	BF_V6_EXT,     /* IPv6, hop-by-hop + destination options, data */
	BF_HTTP_FIRST, /* first segment of an HTTP request */
	BF_BLOCKED,    /* SYN from the blocked source */
	BF_COUNT
};

static const char *const bench_frame_names[BF_COUNT] = {
	"v4_syn", "v4_data", "v6_ext", "http_first", "blocked_src",
};

static inline void bench_build_frame(enum bench_frame which, struct pb_frame *f)
{
	static const char http[] = "GET /index.html HTTP/1.1\r\n"
				   "Host: 198.18.0.1\r\n"
				   "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
	struct pb_spec syn = {
		.l3 = 4, .flags = 0x02, .dport = 80,
		.opt_len = 20,
		.opt = { PB_OPT_MSS(1460), PB_OPT_SACKOK, PB_OPT_TS(1000, 0),
			 PB_OPT_NOP, PB_OPT_WS(7) },
	};
	struct pb_spec data = {
		.l3 = 4, .flags = 0x10, .dport = 5201, .ack = 12345,
		.opt_len = 12,
		.opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(2000, 1000) },
		.payload = 1448,
	};
	struct pb_spec v6 = {
		.l3 = 6, .flags = 0x10, .dport = 443, .ack = 777,
		.next_ext = 2,
		.ext = { { .type = PB_PROTO_HOP, .hdrlen = 0 },
			 { .type = PB_PROTO_DEST, .hdrlen = 1 } },
		.opt_len = 12,
		.opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(3000, 2000) },
		.payload = 1000,
	};
	struct pb_spec req = {
		.l3 = 4, .flags = 0x18, .dport = 80, .ack = 1,
		.opt_len = 12,
		.opt = { PB_OPT_NOP, PB_OPT_NOP, PB_OPT_TS(4000, 3000) },
		.payload = sizeof(http) - 1,
	};
	struct pb_spec blocked = syn;

	memcpy(blocked.src, (const uint8_t[4])BENCH_BLOCKED_SRC4, 4);
	memset(f, 0, sizeof(*f));
	switch (which) {
	case BF_V4_SYN: pb_build(&syn, f); break;
	case BF_V4_DATA: pb_build(&data, f); break;
	case BF_V6_EXT: pb_build(&v6, f); break;
	case BF_HTTP_FIRST:
		pb_build(&req, f);
		memcpy(f->b + f->len - (sizeof(http) - 1), http, sizeof(http) - 1);
		break;
	default: pb_build(&blocked, f); break;
	}
}

#endif
