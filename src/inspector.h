/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * inspector.h - user-space side of the packet inspector (inspector.bpf.c):
 * load with settings, attach to interfaces in the best mode, read counters.
 */
#ifndef TI_INSPECTOR_H
#define TI_INSPECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/types.h>
#include "opts.h"
#include "tcpinspect.h"

enum ti_mode {
	TI_MODE_AUTO = 0, /* veth/loopback: tc; else native -> generic -> tc */
	TI_MODE_NATIVE,
	TI_MODE_GENERIC,
	TI_MODE_TC,
};

const char *ti_mode_name(enum ti_mode mode);
/* "native", "generic", "tc", "auto" -> mode; -EINVAL otherwise. */
int ti_mode_parse(const char *s, enum ti_mode *mode);

struct ti_pushdown;
struct defence_cfg;

struct inspector_cfg {
	bool all_packets;
	uint16_t family; /* 0, TI_AF_INET, TI_AF_INET6 */
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	bool app_hints;   /* TI_EV_APP records (src/capture.bpf.h) */
	/* TI_EV_BIT() of the kinds to send (packet and alert are this
	 * object's; app is app_hints); 0: every kind. */
	uint32_t events;
	uint32_t snaplen; /* capture frames into ti_cap_events; 0: off */
	const struct ti_pushdown *pushdown; /* address/port filter, may be NULL */
	/* Detectors and enforcement (src/defence.h); NULL: blocklist only.
	 * The pinned blocklist/allowlist are used in every case. */
	const struct defence_cfg *defence;
	/* Packet programs to load (TI_PROG_*); 0: both. Verifying a program
	 * is most of the start-up time, so a session loads only what its
	 * interfaces need (inspector_progs_for). */
	unsigned int progs;
};

#define TI_PROG_XDP (1u << 0) /* ti_xdp */
#define TI_PROG_TC (1u << 1)  /* ti_tc */

struct ti_attachment {
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	enum ti_mode mode; /* resolved: NATIVE, GENERIC or TC */
	int link_fd;       /* XDP or TCX link; -1 for a netlink tc filter */
	bool tc_netlink;   /* attached as a clsact filter (kernel without TCX) */
	bool qdisc_created;
	bool pinned;       /* link pinned as links/ifname (pinlink.h) */
	bool adopted;      /* a pinned link found at start, program swapped in */
	bool lost;         /* the interface went away while attached */
};

struct inspector_bpf;

struct inspector {
	struct inspector_bpf *skel;
	struct ti_attachment att[TI_MAX_IFACES];
	int n_att;
	/* Set before attaching: pin every link under <pin dir>/links and
	 * reuse pinned ones (serve; pinlink.h). -1: links die with us. */
	int links_dirfd;
};

int inspector_load(struct inspector *ins, const struct inspector_cfg *cfg);
/* The program (TI_PROG_*) that inspector_attach(ifname, mode) will use. */
/* Bytes of the packet event ring a session creates: its pages stay
 * resident, so it is sized by whether every segment is reported. */
unsigned int inspector_pkt_ring_bytes(bool all_packets);
unsigned int inspector_progs_for(const char *ifname, unsigned int ifindex,
				 enum ti_mode mode);
/* Attach to one interface. mode AUTO picks per interface and falls back;
 * an explicit mode does not fall back. Errors are reported. */
int inspector_attach(struct inspector *ins, const char *ifname,
		     unsigned int ifindex, enum ti_mode mode);
/* Turn link pinning on (after inspector_load, before attaching). */
int inspector_pin_links(struct inspector *ins);
/* Find attachments whose interface went away (deleted, or moved to
 * another namespace): each is reported once (a warning), marked lost and
 * its pin removed; the others carry on. Returns how many were newly lost.
 * Needs no privilege (reads link info through the held descriptors). */
int inspector_check_ifaces(struct inspector *ins);
/* Detach everything; pinned links are unpinned first. */
void inspector_destroy(struct inspector *ins);
int inspector_events_fd(const struct inspector *ins);
/* Sum the per-CPU counters. */
int inspector_counters(const struct inspector *ins, struct ti_pkt_counters *sum);

#endif
