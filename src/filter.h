/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * filter.h - tcpdump filter expressions for capture, watch and replay.
 *
 * libpcap compiles and matches the expression (pcap_compile,
 * pcap_offline_filter): there is no filter language of our own. What the
 * kernel can check cheaply - one address term (host/net, with src/dst) and
 * one port term of a plain conjunction, plus --host/-p options - is pushed
 * into the inspector's filter maps so unmatched packets never leave the
 * kernel. The pushed part is always a superset of the expression, so the
 * exact libpcap match in user space decides.
 */
#ifndef TI_FILTER_H
#define TI_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "pcapcompat.h"
#include "tcpinspect.h"

#define TI_MAX_FLT_NETS 16

struct ti_pushdown {
	struct {
		uint16_t port;
		uint8_t dir; /* TI_FLT_SRC | TI_FLT_DST */
	} ports[64];
	int nports;
	struct {
		struct ti_net_key key;
		uint8_t dir;
	} nets[TI_MAX_FLT_NETS];
	int nnets;
};

struct tfilter {
	char expr[1024];         /* "" when there is no expression */
	struct bpf_program prog;
	bool compiled;
};

/* Join argv[0..argc) into one expression and compile it for linktype
 * (DLT_EN10MB for live traffic) or for an open capture (pcap != NULL).
 * Errors are reported (one line naming the expression). 0 or -EINVAL. */
int tfilter_compile(struct tfilter *f, int argc, char **argv, pcap_t *pcap);
void tfilter_free(struct tfilter *f);
bool tfilter_active(const struct tfilter *f);
/* Exact match of a frame (true when there is no expression). */
bool tfilter_match(const struct tfilter *f, const struct pcap_pkthdr *h,
		   const uint8_t *frame);
/* Match an event (packet, app or connection record) by rebuilding the
 * Ethernet/IP/TCP headers it describes: header fields only (payload
 * offsets in the expression see no bytes and do not match). */
bool tfilter_match_event(const struct tfilter *f, const void *event);

/* Add the kernel-checkable terms of f's expression to pd. */
void tfilter_pushdown(const struct tfilter *f, struct ti_pushdown *pd);
/* -p PORT / --host ADDR options (either direction). 0 or -EINVAL
 * (reported: opt names the option). */
int pushdown_add_port(struct ti_pushdown *pd, uint16_t port, uint8_t dir);
int pushdown_add_host(struct ti_pushdown *pd, const char *opt,
		      const char *addr, uint8_t dir);

struct inspector_bpf;
/* Before load: app hints, capture snaplen (0: off) and which filter maps
 * the program consults. */
void capture_configure(struct inspector_bpf *skel, bool app_hints,
		       uint32_t snaplen, const struct ti_pushdown *pd);
/* After load: fill the filter maps. 0 or negative errno (reported). */
int pushdown_apply(struct inspector_bpf *skel, const struct ti_pushdown *pd);
int capture_ring_fd(struct inspector_bpf *skel);
int capture_counters(struct inspector_bpf *skel, struct ti_cap_counters *sum);

#endif
