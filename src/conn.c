// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "conn.skel.h"
#include "conn.h"
#include "drop_reasons.h"
#include "log.h"
#include "maps.h"
#include "system.h"

/* The same tracepoints in their two program flavours. */
static struct bpf_program **btf_progs(struct conn_bpf *s, int *n)
{
	static struct bpf_program *p[6];

	p[0] = s->progs.ti_state_btf;
	p[1] = s->progs.ti_retrans_btf;
	p[2] = s->progs.ti_rst_rx_btf;
	p[3] = s->progs.ti_rst_tx_btf;
	p[4] = s->progs.ti_synack_btf;
	p[5] = s->progs.ti_drop_btf;
	*n = 6;
	return p;
}

static struct bpf_program **tp_progs(struct conn_bpf *s, int *n)
{
	static struct bpf_program *p[6];

	p[0] = s->progs.ti_state_tp;
	p[1] = s->progs.ti_retrans_tp;
	p[2] = s->progs.ti_rst_rx_tp;
	p[3] = s->progs.ti_rst_tx_tp;
	p[4] = s->progs.ti_synack_tp;
	p[5] = s->progs.ti_drop_tp;
	*n = 6;
	return p;
}

/* Syscall tracepoints for accept events: classic tracepoints in both
 * flavours; without tracefs they are skipped with a warning. */
static void attach_accept(struct conn_tracer *ct)
{
	struct bpf_program *p[2] = { ct->skel->progs.ti_accept4_exit,
				     ct->skel->progs.ti_accept_exit };

	for (int i = 0; i < 2; i++) {
		struct bpf_link *l = bpf_program__attach(p[i]);

		if (!l) {
			log_warn("no accept events: failed to attach %s: %s",
				 bpf_program__section_name(p[i]), errstr(errno));
			return;
		}
		ct->links[ct->n_links++] = l;
	}
	ct->accept_events = true;
}

static int try_start(struct conn_tracer *ct, const struct conn_cfg *cfg,
		     bool use_btf, const char **step)
{
	struct bpf_program **on, **off;
	struct conn_bpf *skel;
	int n, err, i;

	*step = "open";
	skel = conn_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->cfg_netns_ino = cfg->netns_ino;
	skel->rodata->cfg_family = cfg->family;
	skel->rodata->cfg_port_filter = cfg->nports > 0;
	skel->rodata->cfg_cookie_ids = use_btf;
	skel->rodata->cfg_events = cfg->events ? cfg->events : TI_EV_ALL;

	on = use_btf ? btf_progs(skel, &n) : tp_progs(skel, &n);
	off = use_btf ? tp_progs(skel, &n) : btf_progs(skel, &n);
	for (i = 0; i < n; i++)
		bpf_program__set_autoload(off[i], false);

	*step = "load";
	err = conn_bpf__load(skel);
	if (err)
		goto fail;
	for (i = 0; i < cfg->nports; i++) {
		__u16 port = cfg->ports[i];
		__u8 one = 1;

		*step = "set the port filter of";
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ti_conn_ports),
					&port, &one, BPF_ANY)) {
			err = -errno;
			goto fail;
		}
	}
	ct->skel = skel;
	*step = "attach";
	for (i = 0; i < n; i++) {
		struct bpf_link *l = bpf_program__attach(on[i]);

		if (!l) {
			err = -errno;
			*step = bpf_program__section_name(on[i]);
			conn_stop(ct);
			return err;
		}
		ct->links[ct->n_links++] = l;
	}
	ct->btf = use_btf;
	attach_accept(ct);
	conn_life_start(ct);
	return 0;
fail:
	conn_bpf__destroy(skel);
	ct->skel = NULL;
	return err;
}

int conn_start(struct conn_tracer *ct, const struct conn_cfg *cfg)
{
	const char *step;
	int err, tracefs_err;

	memset(ct, 0, sizeof(*ct));
	/* tracefs holds the accept tracepoints and the drop-reason names. */
	tracefs_err = sys_ensure_tracefs();
	/* Now, while files can still be opened (before any privilege drop). */
	drop_reasons_load();
	if (cfg->hook != CONN_USE_TRACEPOINT) {
		err = try_start(ct, cfg, true, &step);
		if (!err)
			return 0;
		if (cfg->hook == CONN_USE_BTF) {
			log_error("failed to %s the tp_btf connection programs: %s",
				  step, errstr(err));
			return err;
		}
		log_debug("tp_btf connection programs: %s failed: %s; falling back to classic tracepoints",
			  step, errstr(err));
	}
	if (tracefs_err)
		log_debug("tracefs not available: %s", errstr(tracefs_err));
	err = try_start(ct, cfg, false, &step);
	if (err) {
		if (!strcmp(step, "load") || !strcmp(step, "open"))
			log_error("failed to %s the connection tracepoint programs: %s",
				  step, errstr(err));
		else
			log_error("failed to attach the connection program %s: %s",
				  step, errstr(err));
	}
	return err;
}

void conn_stop(struct conn_tracer *ct)
{
	conn_life_stop();
	for (int i = 0; i < ct->n_links; i++)
		bpf_link__destroy(ct->links[i]);
	ct->n_links = 0;
	conn_bpf__destroy(ct->skel);
	ct->skel = NULL;
}

int conn_events_fd(const struct conn_tracer *ct)
{
	return bpf_map__fd(ct->skel->maps.ti_conn_events);
}

const char *conn_hook_name(const struct conn_tracer *ct)
{
	return ct->btf ? "tp_btf" : "tracepoint";
}

int conn_counters(const struct conn_tracer *ct, struct ti_conn_counters *sum)
{
	return map_percpu_sum_u64(bpf_map__fd(ct->skel->maps.ti_conn_stats), sum,
				  sizeof(*sum));
}

int conn_life_counters(const struct conn_tracer *ct, struct ti_life_counters *sum)
{
	return map_percpu_sum_u64(bpf_map__fd(ct->skel->maps.ti_life_stats), sum,
				  sizeof(*sum));
}
