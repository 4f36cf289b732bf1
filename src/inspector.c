// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspector.skel.h"
#include "defence.h"
#include "filter.h"
#include "inspector.h"
#include "log.h"
#include "maps.h"
#include "pinlink.h"
#include "system.h"

/* Attach type of TCX links (Linux 6.6); Debian 12's uapi headers predate it. */
#define TI_BPF_TCX_INGRESS 46
/* Priority/handle of the fallback clsact filter: fixed, so a filter left
 * behind by a killed run is replaced rather than duplicated. */
#define TI_TC_PRIO 0xc1a5
#define TI_TC_HANDLE 0xc1a5
/* Packet ring sizes (bytes, a power of two). Its pages are resident for
 * the whole session, mapped twice, so they are most of the process's RSS:
 * SYN/FIN/RST and app events fit a small ring, an event for every segment
 * (--all-packets) gets room for bursts of about 9000 events. */
#define TI_PKT_RING_BYTES (256u << 10)
#define TI_PKT_RING_ALL_BYTES (1u << 20)

unsigned int inspector_pkt_ring_bytes(bool all_packets)
{
	return all_packets ? TI_PKT_RING_ALL_BYTES : TI_PKT_RING_BYTES;
}

const char *ti_mode_name(enum ti_mode mode)
{
	switch (mode) {
	case TI_MODE_NATIVE: return "xdp-native";
	case TI_MODE_GENERIC: return "xdp-generic";
	case TI_MODE_TC: return "tc";
	default: return "auto";
	}
}

int ti_mode_parse(const char *s, enum ti_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = TI_MODE_AUTO;
	else if (!strcmp(s, "native"))
		*mode = TI_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = TI_MODE_GENERIC;
	else if (!strcmp(s, "tc"))
		*mode = TI_MODE_TC;
	else
		return -EINVAL;
	return 0;
}

/* The packet programs' CO-RE target: the BTF of the types they relocate
 * (xdp_md, __sk_buff, Ethernet, IP and TCP headers), cut from the kernel
 * BTF at build time (Makefile, bpftool gen min_core_btf; UAPI contexts and
 * wire formats only, the same on every kernel). About 1 KiB, where the
 * kernel BTF libbpf would otherwise read and parse is 5+ MB: that parse
 * was a third of the start-up time. */
extern const unsigned char inspector_core_btf[];
extern const unsigned int inspector_core_btf_len;

/* A memfd holding inspector_core_btf, its /proc path in path (libbpf takes
 * a path). The fd (close it after loading), or a negative errno. */
static int core_btf_open(char *path, size_t len)
{
	size_t done = 0;
	int fd, err;

	fd = memfd_create("ti_inspector_btf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < inspector_core_btf_len) {
		ssize_t n = write(fd, inspector_core_btf + done,
				  inspector_core_btf_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(fd);
			return err;
		}
		done += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int inspector_load(struct inspector *ins, const struct inspector_cfg *cfg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct inspector_bpf *skel;
	char btf_path[64];
	int err, i, btf_fd;

	memset(ins, 0, sizeof(*ins));
	ins->links_dirfd = -1;
	btf_fd = core_btf_open(btf_path, sizeof(btf_path));
	if (btf_fd >= 0)
		opts.btf_custom_path = btf_path;
	else /* libbpf reads the kernel BTF instead: slower, same result */
		log_debug("packet programs' CO-RE types: memfd: %s", errstr(btf_fd));
	skel = inspector_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		log_error("failed to open the packet inspector BPF object: %s",
			  errstr(err));
		goto close_btf;
	}
	skel->rodata->cfg_all_packets = cfg->all_packets;
	skel->rodata->cfg_pkt_events = TI_EV_SELECTED(cfg->events, TI_EV_PACKET);
	skel->rodata->cfg_alert_events = TI_EV_SELECTED(cfg->events, TI_EV_ALERT);
	/* Batched wake-ups (inspector.bpf.c, ti_pkt_wake()), at the mark
	 * of every ring. */
	skel->rodata->cfg_pkt_wake_bytes =
		inspector_pkt_ring_bytes(cfg->all_packets) / TI_RING_WAKE_DIV;
	err = bpf_map__set_max_entries(skel->maps.ti_pkt_events,
				       inspector_pkt_ring_bytes(cfg->all_packets));
	if (err) {
		log_error("failed to size the packet event ring: %s",
			  errstr(err));
		inspector_bpf__destroy(skel);
		goto close_btf;
	}
	skel->rodata->cfg_family = cfg->family;
	skel->rodata->cfg_port_filter = cfg->nports > 0;
	capture_configure(skel, cfg->app_hints, cfg->snaplen, cfg->pushdown);
	err = defence_setup(skel, cfg->defence);
	if (err) {
		inspector_bpf__destroy(skel);
		goto close_btf;
	}
	if (cfg->progs) {
		bpf_program__set_autoload(skel->progs.ti_xdp,
					  cfg->progs & TI_PROG_XDP);
		bpf_program__set_autoload(skel->progs.ti_tc,
					  cfg->progs & TI_PROG_TC);
	}

	err = inspector_bpf__load(skel);
	if (err) {
		log_error("failed to load the packet inspector into the kernel: %s (run with -v for the verifier log)",
			  errstr(err));
		inspector_bpf__destroy(skel);
		goto close_btf;
	}
	for (i = 0; i < cfg->nports; i++) {
		__u16 port = cfg->ports[i];
		__u8 one = 1;

		err = bpf_map_update_elem(bpf_map__fd(skel->maps.ti_ports),
					  &port, &one, BPF_ANY);
		if (err) {
			err = -errno;
			log_error("failed to set the port filter: %s",
				  errstr(err));
			inspector_bpf__destroy(skel);
			goto close_btf;
		}
	}
	err = pushdown_apply(skel, cfg->pushdown);
	if (err) {
		inspector_bpf__destroy(skel);
		goto close_btf;
	}
	ins->skel = skel;
	err = 0;
close_btf:
	if (btf_fd >= 0)
		close(btf_fd);
	return err;
}

static int attach_xdp(struct inspector *ins, struct ti_attachment *a,
		      enum ti_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd;

	opts.flags = mode == TI_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
					    : XDP_FLAGS_SKB_MODE;
	if (bpf_program__fd(ins->skel->progs.ti_xdp) < 0)
		return -ENOENT; /* not loaded for this session */
	/* A link detaches itself when the process exits, even on SIGKILL. */
	fd = bpf_link_create(bpf_program__fd(ins->skel->progs.ti_xdp),
			     a->ifindex, BPF_XDP, &opts);
	if (fd < 0)
		return -errno;
	a->link_fd = fd;
	a->mode = mode;
	return 0;
}

static int attach_tc(struct inspector *ins, struct ti_attachment *a)
{
	int prog_fd = bpf_program__fd(ins->skel->progs.ti_tc);
	int fd, err;

	if (prog_fd < 0)
		return -ENOENT; /* not loaded for this session */
	/* TCX link first: detached by the kernel when we exit. */
	fd = bpf_link_create(prog_fd, a->ifindex,
			     (enum bpf_attach_type)TI_BPF_TCX_INGRESS, NULL);
	if (fd >= 0) {
		a->link_fd = fd;
		a->mode = TI_MODE_TC;
		return 0;
	}
	log_debug("TCX link on %s: %s; using a clsact filter", a->ifname,
		  errstr(errno));

	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tcopts, .handle = TI_TC_HANDLE,
			    .priority = TI_TC_PRIO, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	a->qdisc_created = !err;
	err = bpf_tc_attach(&hook, &tcopts);
	if (err) {
		if (a->qdisc_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		return err;
	}
	a->link_fd = -1;
	a->tc_netlink = true;
	a->mode = TI_MODE_TC;
	return 0;
}

static void detach_one(struct ti_attachment *a)
{
	if (a->link_fd >= 0) {
		close(a->link_fd);
		a->link_fd = -1;
		return;
	}
	if (a->tc_netlink) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, tcopts, .handle = TI_TC_HANDLE,
				    .priority = TI_TC_PRIO);
		bpf_tc_detach(&hook, &tcopts);
		if (a->qdisc_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		a->tc_netlink = false;
	}
}

/* Link types of bpf_link_info (uapi; the installed headers may predate TCX). */
#define TI_BPF_LINK_TYPE_XDP 6
#define TI_BPF_LINK_TYPE_TCX 11

/* Reuse the link a previous serve pinned for this interface: swap our
 * program in atomically, so enforcement never pauses. Returns 1 when
 * adopted, 0 when there is nothing to adopt (no pin, or a pin of another
 * interface, type or XDP mode, which is then detached and removed). */
static int adopt_pinned(struct inspector *ins, struct ti_attachment *a,
			enum ti_mode mode)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	enum ti_mode have;
	int fd, prog_fd, err;

	fd = pinlink_get(a->ifname);
	if (fd < 0)
		return 0;
	/* xdp.ifindex and tcx.ifindex share their offset in the union. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.xdp.ifindex != a->ifindex)
		goto stale;
	if (info.type == TI_BPF_LINK_TYPE_TCX) {
		have = TI_MODE_TC;
	} else if (info.type == TI_BPF_LINK_TYPE_XDP) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (bpf_xdp_query((int)a->ifindex, 0, &q))
			goto stale;
		have = q.attach_mode == XDP_ATTACHED_DRV ? TI_MODE_NATIVE :
		       q.attach_mode == XDP_ATTACHED_SKB ? TI_MODE_GENERIC :
		       TI_MODE_AUTO;
		if (have == TI_MODE_AUTO)
			goto stale;
	} else {
		goto stale;
	}
	if (mode != TI_MODE_AUTO && mode != have)
		goto stale;
	prog_fd = bpf_program__fd(have == TI_MODE_TC ? ins->skel->progs.ti_tc :
				  ins->skel->progs.ti_xdp);
	if (bpf_link_update(fd, prog_fd, NULL)) {
		log_debug("cannot update the pinned link of %s: %s", a->ifname,
			  errstr(-errno));
		goto stale;
	}
	a->link_fd = fd;
	a->mode = have;
	a->pinned = a->adopted = true;
	return 1;
stale:
	/* Another mode was asked for, or the interface was re-created. */
	close(fd);
	err = pinlink_detach(a->ifname);
	log_info("replaced the pinned link of %s%s", a->ifname,
		 err ? " (detaching the old one failed)" : "");
	return 0;
}

int inspector_check_ifaces(struct inspector *ins)
{
	int lost = 0;

	for (int i = 0; i < ins->n_att; i++) {
		struct ti_attachment *a = &ins->att[i];
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (a->lost || a->link_fd < 0)
			continue;
		/* The kernel detaches a link from an unregistered device and
		 * then reports ifindex 0 (xdp and tcx alike). */
		if (bpf_obj_get_info_by_fd(a->link_fd, &info, &len) ||
		    info.xdp.ifindex)
			continue;
		a->lost = true;
		lost++;
		log_warn("interface %s (ifindex %u) went away: no longer watched there",
			 a->ifname, a->ifindex);
		if (a->pinned) {
			int err = pinlink_unpin(ins->links_dirfd, a->ifname);

			if (err && err != -ENOENT)
				log_warn("failed to remove the pinned link of %s: %s",
					 a->ifname, errstr(err));
			a->pinned = false;
		}
	}
	return lost;
}

int inspector_pin_links(struct inspector *ins)
{
	int fd = pinlink_dir_open(true);

	if (fd < 0)
		return fd;
	ins->links_dirfd = fd;
	return 0;
}

static void unpin_links(struct inspector *ins)
{
	for (int i = 0; i < ins->n_att; i++) {
		struct ti_attachment *a = &ins->att[i];
		int err;

		if (!a->pinned)
			continue;
		err = pinlink_unpin(ins->links_dirfd, a->ifname);
		if (err && err != -ENOENT)
			log_warn("failed to remove the pinned link of %s: %s",
				 a->ifname, errstr(err));
		a->pinned = false;
	}
}

/* veth: native XDP strips the peer's GSO (drivers/net/veth.c), so observing
 * there at TC keeps TCP throughput; loopback has no native XDP. */
static bool prefers_tc(const char *ifname)
{
	char drv[32];

	if (!strcmp(ifname, "lo"))
		return true;
	sys_iface_driver(ifname, drv, sizeof(drv));
	return !strcmp(drv, "veth");
}

unsigned int inspector_progs_for(const char *ifname, unsigned int ifindex,
				 enum ti_mode mode)
{
	__u32 xdp_id = 0;

	switch (mode) {
	case TI_MODE_NATIVE:
	case TI_MODE_GENERIC:
		return TI_PROG_XDP;
	case TI_MODE_TC:
		return TI_PROG_TC;
	default:
		break;
	}
	if (prefers_tc(ifname))
		return TI_PROG_TC;
	/* Another program's XDP (in any mode) would refuse ours: auto then
	 * ends at TC, the last step of inspector_attach's fallback. */
	if (!bpf_xdp_query_id(ifindex, 0, &xdp_id) && xdp_id)
		return TI_PROG_TC;
	return TI_PROG_XDP;
}

int inspector_attach(struct inspector *ins, const char *ifname,
		     unsigned int ifindex, enum ti_mode mode)
{
	struct ti_attachment *a;
	int err;

	if (ins->n_att >= TI_MAX_IFACES) {
		log_error("too many interfaces (at most %d)", TI_MAX_IFACES);
		return -E2BIG;
	}
	a = &ins->att[ins->n_att];
	memset(a, 0, sizeof(*a));
	strncpy(a->ifname, ifname, IF_NAMESIZE - 1);
	a->ifindex = ifindex;
	a->link_fd = -1;
	if (ins->links_dirfd >= 0 && adopt_pinned(ins, a, mode) > 0) {
		log_debug("attached to %s as %s (pinned link, program replaced)",
			  ifname, ti_mode_name(a->mode));
		ins->n_att++;
		return 0;
	}

	switch (mode) {
	case TI_MODE_NATIVE:
	case TI_MODE_GENERIC:
		err = attach_xdp(ins, a, mode);
		if (err)
			log_error("failed to attach XDP (%s) to %s: %s",
				  mode == TI_MODE_NATIVE ? "native" : "generic",
				  ifname, errstr(err));
		break;
	case TI_MODE_TC:
		err = attach_tc(ins, a);
		if (err)
			log_error("failed to attach TC ingress to %s: %s",
				  ifname, errstr(err));
		break;
	default:
		if (prefers_tc(ifname)) {
			err = attach_tc(ins, a);
			if (!err)
				break;
			log_debug("tc on %s: %s; trying XDP", ifname,
				  errstr(err));
		}
		err = attach_xdp(ins, a, TI_MODE_NATIVE);
		if (err) {
			log_debug("native XDP on %s: %s; trying generic",
				  ifname, errstr(err));
			err = attach_xdp(ins, a, TI_MODE_GENERIC);
		}
		if (err) {
			log_debug("generic XDP on %s: %s; trying tc", ifname,
				  errstr(err));
			err = attach_tc(ins, a);
		}
		if (err)
			log_error("failed to attach to %s in any mode (XDP native, XDP generic, TC ingress): %s",
				  ifname, errstr(err));
	}
	if (err)
		return err;
	if (ins->links_dirfd >= 0) {
		if (a->link_fd < 0) {
			log_warn("%s: a clsact filter cannot be pinned: enforcement stops with the daemon",
				 ifname);
		} else {
			err = pinlink_pin(a->link_fd, ifname);
			if (err) {
				detach_one(a);
				return err;
			}
			a->pinned = true;
		}
	}
	log_debug("attached to %s as %s", ifname, ti_mode_name(a->mode));
	ins->n_att++;
	return 0;
}

void inspector_destroy(struct inspector *ins)
{
	/* Any stop we live through removes our pins; only a kill (or a
	 * crash) leaves them, and the enforcement with them. */
	if (ins->links_dirfd >= 0)
		unpin_links(ins);
	for (int i = 0; i < ins->n_att; i++)
		detach_one(&ins->att[i]);
	ins->n_att = 0;
	if (ins->links_dirfd >= 0)
		close(ins->links_dirfd);
	ins->links_dirfd = -1;
	inspector_bpf__destroy(ins->skel);
	ins->skel = NULL;
}

int inspector_events_fd(const struct inspector *ins)
{
	return bpf_map__fd(ins->skel->maps.ti_pkt_events);
}

int inspector_counters(const struct inspector *ins, struct ti_pkt_counters *sum)
{
	return map_percpu_sum_u64(bpf_map__fd(ins->skel->maps.ti_pkt_stats), sum,
				  sizeof(*sum));
}
