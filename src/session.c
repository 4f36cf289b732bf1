// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "conn.skel.h"
#include "events.h"
#include "filter.h"
#include "inspector.skel.h"
#include "log.h"
#include "maps.h"
#include "output.h"
#include "pinmap.h"
#include "pinlink.h"
#include "session.h"

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (!event_valid(data, size)) {
		s->invalid++;
		return 0;
	}
	s->cb(s->cb_ctx, data, size);
	return 0;
}

/* Alerts from the kernel: auto-block (which sets the alert's action) on a
 * copy, since ring-buffer records are read-only to user space. */
static int on_alert(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct ti_alert_event a;

	if (!event_valid(data, size) ||
	    ((struct ti_event_hdr *)data)->type != TI_EV_ALERT) {
		s->invalid++;
		return 0;
	}
	memcpy(&a, data, sizeof(a));
	defence_on_alert(&s->def, &a);
	s->cb(s->cb_ctx, &a, sizeof(a));
	return 0;
}

/* The connection programs load on a thread of their own while the packet
 * programs load and attach on the caller's: the connection object is the
 * one that makes libbpf parse the 5+ MB kernel BTF (tp_btf and iter need
 * it), and with two CPUs that overlaps the packet object's map creation
 * and verification instead of following it. */
struct conn_loader {
	pthread_t tid;
	struct conn_tracer *ct;
	struct conn_cfg cfg;
	int err;
	bool started; /* the thread runs; else conn_loader_join loads inline */
	bool done;
};

static void *conn_loader_run(void *arg)
{
	struct conn_loader *l = arg;

	l->err = conn_start(l->ct, &l->cfg);
	return NULL;
}

static void conn_loader_start(struct conn_loader *l)
{
	int err = pthread_create(&l->tid, NULL, conn_loader_run, l);

	l->started = !err;
	if (err)
		log_debug("loading the connection programs inline: pthread_create: %s",
			  errstr(-err));
}

/* The connection tracer's start result; joins the thread at most once. */
static int conn_loader_join(struct conn_loader *l)
{
	if (l->done)
		return l->err;
	l->done = true;
	if (l->started)
		pthread_join(l->tid, NULL);
	else
		l->err = conn_start(l->ct, &l->cfg);
	return l->err;
}

int session_start(struct session *s, const struct session_cfg *cfg,
		  session_event_fn cb, void *ctx)
{
	struct inspector_cfg icfg = {};
	struct conn_loader cl = { .ct = &s->ct };
	struct conn_cfg *ccfg = &cl.cfg;
	char attached[512] = "";
	int err;

	memset(s, 0, sizeof(*s));
	s->def.bl.fd[0] = s->def.bl.fd[1] = -1;
	s->cfg = *cfg;
	s->cb = cb;
	s->cb_ctx = ctx;
	if (sys_require_root() || sys_require_btf())
		return TI_EXIT_ENV;
	if (!s->cfg.n_ifaces) {
		s->cfg.n_ifaces = sys_default_ifaces(s->cfg.ifaces, TI_MAX_IFACES);
		if (!s->cfg.n_ifaces) {
			log_error("no interface to watch: none is up (besides loopback); name one with -i");
			return TI_EXIT_USAGE;
		}
	}
	clock_init();
	err = sys_ensure_bpffs();
	if (err)
		log_debug("bpffs not mounted: %s", errstr(err));

	icfg.all_packets = cfg->all_packets;
	icfg.family = cfg->family;
	icfg.nports = cfg->nports;
	memcpy(icfg.ports, cfg->ports, sizeof(icfg.ports));
	icfg.app_hints = cfg->app_hints && TI_EV_SELECTED(cfg->events, TI_EV_APP);
	icfg.events = cfg->events;
	icfg.snaplen = cfg->snaplen;
	icfg.pushdown = cfg->pushdown;
	icfg.defence = &cfg->defence;
	for (int i = 0; i < s->cfg.n_ifaces; i++)
		icfg.progs |= inspector_progs_for(s->cfg.ifaces[i].name,
						  s->cfg.ifaces[i].ifindex,
						  cfg->mode);
	ccfg->family = cfg->family;
	ccfg->nports = cfg->nports;
	memcpy(ccfg->ports, cfg->ports, sizeof(ccfg->ports));
	ccfg->netns_ino = cfg->all_netns ? 0 : sys_netns_ino();
	ccfg->events = cfg->events;
	ccfg->hook = cfg->conn_hook == CONN_HOOK_BTF ? CONN_USE_BTF :
		    cfg->conn_hook == CONN_HOOK_TRACEPOINT ? CONN_USE_TRACEPOINT :
		    CONN_USE_AUTO;

	map_mem_reset();
	conn_loader_start(&cl);
	err = inspector_load(&s->ins, &icfg);
	if (err) {
		/* A pinned map of a layout this build cannot use. */
		if (err == -TI_ELAYOUT) {
			conn_loader_join(&cl);
			session_stop(s);
			return TI_EXIT_ENV;
		}
		goto fail;
	}
	map_mem_record(s->ins.skel->obj, "inspector");
	if (cfg->pin_links && inspector_pin_links(&s->ins))
		goto fail;
	/* The packet program first: it needs nothing loaded after it (its
	 * ring buffers queue until read), and taking over a pinned link as
	 * early as possible keeps a restart short. */
	for (int i = 0; i < s->cfg.n_ifaces; i++) {
		size_t n = strlen(attached);

		if (inspector_attach(&s->ins, s->cfg.ifaces[i].name,
				     s->cfg.ifaces[i].ifindex, cfg->mode))
			goto fail;
		snprintf(attached + n, sizeof(attached) - n, "%s%s (%s)",
			 i ? ", " : "", s->cfg.ifaces[i].name,
			 ti_mode_name(s->ins.att[i].mode));
	}
	if (conn_loader_join(&cl))
		goto fail;
	map_mem_record(s->ct.skel->obj, "conn");
	if (defence_start(&s->def, &s->ins, &s->ct, &cfg->defence, cb, ctx))
		goto fail;
	s->rb = ring_buffer__new(inspector_events_fd(&s->ins), on_record, s, NULL);
	if (!s->rb || ring_buffer__add(s->rb, conn_events_fd(&s->ct), on_record, s) ||
	    ring_buffer__add(s->rb, defence_alert_fd(&s->ins), on_alert, s)) {
		log_error("failed to set up the event ring buffers: %s", errstr(errno));
		goto fail;
	}
	log_info("watching %s; connection events from %s%s", attached,
		 conn_hook_name(&s->ct),
		 cfg->all_netns ? " (all network namespaces)" : "");
	return TI_EXIT_OK;
fail:
	conn_loader_join(&cl);
	session_stop(s);
	return TI_EXIT_FAILURE;
}

/* How often attachments are checked for interfaces that went away. */
#define IFACE_CHECK_NS 1000000000ULL

/* A poll that delivers fewer records than this paid a whole wake-up (a
 * context switch, µs on a VM) for a handful of events: the next one waits
 * cfg.batch_us first. A larger batch means the reader is busy: no wait. */
#define FEW_RECORDS 64

int session_poll(struct session *s, int timeout_ms)
{
	struct timespec ts;
	uint64_t now;
	int err, more;

	if (s->few_records && s->cfg.batch_us) {
		/* Records that arrive meanwhile queue without a wake-up: the
		 * kernel wakes the reader only for the first record after it
		 * caught up. The ring sizes hold far more than this delay's
		 * worth at the rates where batches stay small. */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)s->cfg.batch_us * 1000L;
		nanosleep(&ts, NULL);
	}
	err = ring_buffer__poll(s->rb, timeout_ms);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (s->ins.skel && now >= s->next_iface_check_ns) {
		s->next_iface_check_ns = now + IFACE_CHECK_NS;
		s->ifaces_lost += inspector_check_ifaces(&s->ins);
		if (s->ifaces_lost && s->ifaces_lost == s->ins.n_att && !s->all_lost_said) {
			s->all_lost_said = true;
			log_warn("every watched interface went away; still running (connection events go on)");
		}
	}

	/* The connection programs wake the reader only when their ring
	 * fills up (conn.bpf.c, ring_wake_flag()): drain it at every tick. */
	if (err >= 0 || err == -EINTR) {
		more = ring_buffer__consume(s->rb);
		s->few_records = err > 0 && more >= 0 && err + more < FEW_RECORDS;
	}

	if (s->ct.skel) /* half-open time-outs, about once a second */
		conn_tick(&s->ct, s->cb, s->cb_ctx);
	if (s->ins.skel) /* flood and anomaly detectors, list expiry */
		defence_tick(&s->def);
	return err < 0 && err != -EINTR ? err : 0;
}

void session_drain(struct session *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb);
}

/* Every producer of the session's rings: packet events and app hints
 * (packet ring), connection and lifecycle events (connection ring), alerts
 * (alert ring). A producer missing here would make "lost" undercount. */
void session_event_totals(const struct session *s, uint64_t *attempts,
			  uint64_t *lost)
{
	struct ti_pkt_counters pc = {};
	struct ti_conn_counters cc = {};
	struct ti_life_counters lc = {};
	struct ti_cap_counters kc = {};
	struct ti_def_counters dc = {};

	inspector_counters(&s->ins, &pc);
	conn_counters(&s->ct, &cc);
	conn_life_counters(&s->ct, &lc);
	if (s->ins.skel) {
		capture_counters(s->ins.skel, &kc);
		defence_counters(&s->ins, &dc);
	}
	*lost = pc.events_dropped + cc.events_dropped + lc.events_dropped +
		kc.app_dropped + dc.alerts_lost;
	*attempts = *lost + pc.events_sent + cc.events_sent + lc.events_sent +
		    kc.app_events + dc.alerts_sent;
}

uint64_t session_lost(struct session *s)
{
	uint64_t attempts, lost;

	session_event_totals(s, &attempts, &lost);
	return lost;
}

const char *session_ifname(const struct session *s, unsigned int ifindex)
{
	for (int i = 0; i < s->ins.n_att; i++)
		if (s->ins.att[i].ifindex == ifindex)
			return s->ins.att[i].ifname;
	return "?";
}

int session_drop_privileges(struct session *s, const struct privdrop_user *user,
			    enum privdrop_profile profile)
{
	struct ti_pkt_counters probe;
	int err;

	if (!user)
		return 0;
	for (int i = 0; i < s->ins.n_att; i++)
		if (s->ins.att[i].tc_netlink) {
			/* Removing a clsact filter needs CAP_NET_ADMIN at exit. */
			log_warn("staying root: %s uses a clsact filter (no TCX on this kernel), which only root can remove",
				 s->ins.att[i].ifname);
			return 0;
		}
	if (s->ins.links_dirfd >= 0) {
		/* Our pins are removed at exit through this directory. */
		err = pinlink_dir_chown(s->ins.links_dirfd, user->uid, user->gid);
		if (!err)
			err = privdrop_allow_unlinkat(s->ins.links_dirfd);
		if (err)
			return err;
	}
	err = privdrop_apply_profile(user, profile);
	if (err)
		return err;
	/* Kernels before 6.3 refuse bpf() on held fds to unprivileged
	 * processes when kernel.unprivileged_bpf_disabled is set. */
	err = inspector_counters(&s->ins, &probe);
	if (err) {
		log_error("cannot read the BPF maps after dropping privileges: %s (this kernel needs --no-privdrop)",
			  errstr(err));
		return err;
	}
	log_debug("running as %s (uid %u), no capabilities, seccomp filter %s",
		  user->name, (unsigned)user->uid,
		  privdrop_sanitizer_build() ? "off (sanitizer build)" : "on");
	return 0;
}

void session_stop(struct session *s)
{
	ring_buffer__free(s->rb);
	s->rb = NULL;
	defence_stop(&s->def);
	if (s->ct.skel)
		conn_stop(&s->ct);
	if (s->ins.skel)
		inspector_destroy(&s->ins);
}
