// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conns.c - `tcpinspect conns`: every TCP socket of this network namespace
 * with state, addresses, RTT, cwnd, retransmits, bytes, queues and the
 * owning processes (like `ss -tip`), read with BPF iterators.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cliopts.h"
#include "commands.h"
#include "conns.skel.h"
#include "events.h"
#include "log.h"
#include "opts.h"
#include "output.h"
#include "system.h"

#define MAX_STATES 16

struct conns_opts {
	uint16_t ports[TI_MAX_PORTS];
	int nports;
	uint32_t states[MAX_STATES];
	int nstates;
	uint16_t family;
	bool json;
};

static void conns_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect conns [OPTIONS]\n"
		"Snapshot of every TCP socket in this network namespace (like ss -tip),\n"
		"read from the kernel with BPF iterators, with the owning processes.\n\n"
		"  -p, --port PORT     local or remote port (repeatable)\n"
		"  -s, --state STATE   a TCP state (repeatable or comma-separated):\n"
		"                      established, syn-recv, listen, time-wait, ...\n"
		"  -4, -6              IPv4 or IPv6 only\n"
		"      --json          JSON lines (schema: docs/events.md, \"conn\")\n"
		"  -h, --help          this help\n");
}

/* "time-wait", "TIME_WAIT", "syn-recv" ... -> state number. */
static int conns_parse_state(const char *name, uint32_t *state)
{
	char norm[32], buf[24];
	size_t i;

	if (strlen(name) >= sizeof(norm))
		return -EINVAL;
	for (i = 0; name[i]; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	for (uint32_t s = 1; s < TI_TCP_STATE_MAX; s++)
		if (!strcasecmp(norm, ti_tcp_state_name(s, buf, sizeof(buf)))) {
			*state = s;
			return 0;
		}
	return -EINVAL;
}

/* -s/--state: one TCP state or a comma-separated list. */
static int conns_own_opt(void *opts, int key, const char *arg)
{
	struct conns_opts *o = opts;
	char list[256], *save = NULL, *tok;

	(void)key;
	if (strlen(arg) >= sizeof(list) || !*arg) {
		log_error("invalid value for --state: '%s'", arg);
		return -EINVAL;
	}
	strcpy(list, arg);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nstates >= MAX_STATES) {
			log_error("too many states (at most %d)", MAX_STATES);
			return -EINVAL;
		}
		if (conns_parse_state(tok, &o->states[o->nstates])) {
			log_error("invalid value for --state: '%s' (expected a TCP state such as established, listen, time-wait, syn-recv)",
				  tok);
			return -EINVAL;
		}
		o->nstates++;
	}
	return 0;
}

static int parse_conns_opts(int argc, char **argv, struct conns_opts *o)
{
	static const struct cliopt opts[] = {
		CLIOPT_PORT(struct conns_opts, ports, nports),
		{ "state", 's', CLIOPT_T_OWN, 0, 0, 0, 0 },
		CLIOPT_46(struct conns_opts, family),
		CLIOPT_JSON(struct conns_opts, json),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "conns", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.own = conns_own_opt, .usage = conns_usage, .no_args = true,
	};

	memset(o, 0, sizeof(*o));
	return cliopts_parse(&cmd, argc, argv, o) < 0 ? -EINVAL : 0;
}

/* Run an iterator program and read all it writes: fixed-size records. */
static int run_iter(struct bpf_program *prog, size_t rec, void **out, size_t *n)
{
	struct bpf_link *link;
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap);
	int fd, err = 0;
	ssize_t r;

	*out = NULL;
	*n = 0;
	if (!buf)
		return -ENOMEM;
	link = bpf_program__attach_iter(prog, NULL);
	if (!link) {
		err = -errno;
		free(buf);
		return err;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap * 2);

			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
out:
	bpf_link__destroy(link);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*n = len / rec;
	return 0;
}

static int owner_cmp(const void *a, const void *b)
{
	const struct ti_sock_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Sort order of rows: like ss, listeners first, then by local port. */
static int row_cmp(const void *a, const void *b)
{
	const struct ti_conn_row *x = a, *y = b;
	int lx = x->state == TI_TCP_LISTEN, ly = y->state == TI_TCP_LISTEN;

	if (lx != ly)
		return ly - lx;
	if (x->tuple.dport != y->tuple.dport)
		return x->tuple.dport - y->tuple.dport;
	return x->tuple.sport - y->tuple.sport;
}

static bool row_wanted(const struct conns_opts *o, const struct ti_conn_row *r)
{
	bool ok;

	if (o->family && r->tuple.family != o->family)
		return false;
	if (o->nports) {
		ok = false;
		for (int i = 0; i < o->nports && !ok; i++)
			ok = r->tuple.dport == o->ports[i] || r->tuple.sport == o->ports[i];
		if (!ok)
			return false;
	}
	if (o->nstates) {
		ok = false;
		for (int i = 0; i < o->nstates && !ok; i++)
			ok = r->state == o->states[i];
		if (!ok)
			return false;
	}
	return true;
}

/* Owners of inode: a run in the sorted array, deduplicated by pid. */
static const struct ti_sock_owner *owners_of(const struct ti_sock_owner *own,
					     size_t n, uint64_t inode, size_t *cnt)
{
	size_t lo = 0, hi = n;

	*cnt = 0;
	if (!inode)
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (own[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + *cnt < n && own[lo + *cnt].inode == inode)
		(*cnt)++;
	return *cnt ? &own[lo] : NULL;
}

static void comm_str(const struct ti_sock_owner *o, char *buf)
{
	memcpy(buf, o->comm, TI_COMM_LEN);
	buf[TI_COMM_LEN] = '\0';
}

static void row_json(struct jw *w, const struct ti_conn_row *r,
		     const struct ti_sock_owner *own, size_t nown)
{
	char a[64], sbuf[24], comm[TI_COMM_LEN + 1];

	jw_reset(w);
	jw_obj_begin(w);
	jw_str(w, "event", "conn");
	jw_str(w, "state", ti_tcp_state_name(r->state, sbuf, sizeof(sbuf)));
	jw_str(w, "family", r->tuple.family == TI_AF_INET6 ? "ipv6" : "ipv4");
	jw_str(w, "src", fmt_addr(r->tuple.family, r->tuple.saddr, a, sizeof(a)));
	jw_u64(w, "sport", r->tuple.sport);
	jw_str(w, "dst", fmt_addr(r->tuple.family, r->tuple.daddr, a, sizeof(a)));
	jw_u64(w, "dport", r->tuple.dport);
	jw_u64(w, "uid", r->uid);
	if (r->kind == TI_ROW_FULL) {
		jw_u64(w, "send_q", r->send_q);
		jw_u64(w, "recv_q", r->recv_q);
		if (r->state != TI_TCP_LISTEN) {
			jw_u64(w, "srtt_us", r->srtt_us);
			jw_u64(w, "rttvar_us", r->rttvar_us);
			jw_u64(w, "cwnd", r->snd_cwnd);
			jw_u64(w, "mss", r->mss);
			jw_u64(w, "retransmits", r->total_retrans);
			jw_u64(w, "retrans_out", r->retrans_out);
			jw_u64(w, "bytes_received", r->bytes_received);
			jw_u64(w, "bytes_sent", r->bytes_sent);
		}
		if (r->inode)
			jw_u64(w, "inode", r->inode);
	}
	jw_arr_begin(w, "owners");
	for (size_t i = 0; i < nown; i++) {
		if (i && own[i].pid == own[i - 1].pid)
			continue;
		comm_str(&own[i], comm);
		jw_obj_begin(w);
		jw_u64(w, "pid", own[i].pid);
		jw_str(w, "comm", comm);
		jw_u64(w, "fd", own[i].fd);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void endpoint(const struct ti_tuple *t, bool local, char *buf, size_t len)
{
	char a[64];
	const uint8_t *addr = local ? t->daddr : t->saddr;
	unsigned int port = local ? t->dport : t->sport;

	fmt_addr(t->family, addr, a, sizeof(a));
	if (port || local)
		snprintf(buf, len, t->family == TI_AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	else
		snprintf(buf, len, t->family == TI_AF_INET6 ? "[%s]:*" : "%s:*", a);
}

static void row_text(const struct ti_conn_row *r, const struct ti_sock_owner *own,
		     size_t nown)
{
	char l[64], p[64], sbuf[24], comm[TI_COMM_LEN + 1], rtt[16] = "-", procs[256] = "";
	size_t n = 0;

	endpoint(&r->tuple, true, l, sizeof(l));
	endpoint(&r->tuple, false, p, sizeof(p));
	if (r->kind == TI_ROW_FULL && r->state != TI_TCP_LISTEN)
		snprintf(rtt, sizeof(rtt), "%.3f", r->srtt_us / 1000.0);
	for (size_t i = 0; i < nown && n < sizeof(procs); i++) {
		if (i && own[i].pid == own[i - 1].pid)
			continue;
		comm_str(&own[i], comm);
		n += (size_t)snprintf(procs + n, sizeof(procs) - n, "%s%s(%u,fd=%u)",
				      n ? "," : "", comm, own[i].pid, own[i].fd);
	}
	if (r->kind == TI_ROW_FULL && r->state != TI_TCP_LISTEN)
		printf("%-11s %6u %6u %-28s %-28s %8s %5u %5u %10llu %10llu %s\n",
		       ti_tcp_state_name(r->state, sbuf, sizeof(sbuf)), r->recv_q,
		       r->send_q, l, p, rtt, r->snd_cwnd, r->total_retrans,
		       (unsigned long long)r->bytes_received,
		       (unsigned long long)r->bytes_sent, procs);
	else
		printf("%-11s %6u %6u %-28s %-28s %8s %5s %5s %10s %10s %s\n",
		       ti_tcp_state_name(r->state, sbuf, sizeof(sbuf)),
		       r->kind == TI_ROW_FULL ? r->recv_q : 0,
		       r->kind == TI_ROW_FULL ? r->send_q : 0, l, p, "-", "-", "-",
		       "-", "-", procs);
}

int cmd_conns(int argc, char **argv)
{
	struct ti_sock_owner *own = NULL;
	struct ti_conn_row *rows = NULL;
	struct conns_bpf *skel = NULL;
	size_t nrows = 0, nown = 0;
	struct conns_opts o;
	struct jw w = {};
	int err, ret = TI_EXIT_FAILURE;

	if (parse_conns_opts(argc, argv, &o))
		return TI_EXIT_USAGE;
	if (sys_require_root() || sys_require_btf())
		return TI_EXIT_ENV;
	skel = conns_bpf__open_and_load();
	if (!skel) {
		log_error("failed to load the socket iterator programs: %s", errstr(errno));
		return TI_EXIT_FAILURE;
	}
	err = run_iter(skel->progs.ti_conns_tcp, sizeof(*rows), (void **)&rows, &nrows);
	if (err) {
		log_error("failed to run the TCP socket iterator (iter/tcp): %s", errstr(err));
		goto out;
	}
	err = run_iter(skel->progs.ti_conns_owners, sizeof(*own), (void **)&own, &nown);
	if (err) {
		log_error("failed to run the file iterator (iter/task_file): %s", errstr(err));
		goto out;
	}
	if (nown)
		qsort(own, nown, sizeof(*own), owner_cmp);
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), row_cmp);
	if (!o.json)
		printf("%-11s %6s %6s %-28s %-28s %8s %5s %5s %10s %10s %s\n", "State",
		       "Recv-Q", "Send-Q", "Local", "Peer", "RTT(ms)", "cwnd",
		       "retx", "bytes_rx", "bytes_tx", "Process");
	for (size_t i = 0; i < nrows; i++) {
		const struct ti_sock_owner *ow;
		size_t cnt;

		if (!row_wanted(&o, &rows[i]))
			continue;
		ow = owners_of(own, nown, rows[i].inode, &cnt);
		if (o.json) {
			row_json(&w, &rows[i], ow, cnt);
			if (jw_flush_line(&w, stdout))
				break;
		} else {
			row_text(&rows[i], ow, cnt);
		}
	}
	ret = fflush(stdout) ? TI_EXIT_FAILURE : TI_EXIT_OK;
out:
	jw_free(&w);
	free(rows);
	free(own);
	conns_bpf__destroy(skel);
	return ret;
}
