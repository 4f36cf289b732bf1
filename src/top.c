// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * top.c - `tcpinspect top`: a full-screen live view (ncurses) of the same
 * model serve exposes: rates, top sources by SYN rate or count, top ports,
 * connections and alerts. Redrawn every second; fits 80x24.
 * Keys: r sort sources by SYN rate, s by SYN count, q (or Ctrl-C) quit.
 */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>
#include "cliopts.h"
#include "commands.h"
#include "events.h"
#include "log.h"
#include "privdrop.h"
#include "model.h"
#include "session.h"

#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect top [OPTIONS]\n"
		"Full-screen live view: top sources by SYN rate, top ports, connections,\n"
		"retransmits and alerts. Keys: r sort by SYN rate, s sort by SYN count,\n"
		"q quit.\n\n"
		"  -i, --interface IFACE  interface to watch (repeatable; default: every\n"
		"                         interface that is up, loopback excluded)\n"
		"  -p, --port PORT        local port filter (repeatable)\n"
		"      --mode MODE        auto (default), native, generic or tc\n"
		"  -d, --duration SECS    quit after SECS seconds\n"
		PRIVDROP_USAGE
		"  -h, --help             this help\n");
}

struct top_opts {
	struct session_cfg scfg;
	double duration;
	struct privdrop_opts pd_opts; /* --user, --no-privdrop */
	struct privdrop_user drop_to;
};

static int parse_top_opts(int argc, char **argv, struct top_opts *o)
{
	static const struct cliopt opts[] = {
		CLIOPT_INTERFACE(struct top_opts, scfg.ifaces, scfg.n_ifaces),
		CLIOPT_PORT(struct top_opts, scfg.ports, scfg.nports),
		CLIOPT_MODE(struct top_opts, scfg.mode),
		CLIOPT_DURATION(struct top_opts, duration),
		CLIOPT_PRIVDROP(struct top_opts, pd_opts.user, pd_opts.off),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "top", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.usage = top_usage, .no_args = true,
	};

	memset(o, 0, sizeof(*o));
	defence_cfg_defaults(&o->scfg.defence);
	if (cliopts_parse(&cmd, argc, argv, o) < 0)
		return -EINVAL;
	/* Resolved now, so a bad --user is a usage error before any load. */
	return privdrop_opts_resolve(&o->pd_opts, &o->drop_to);
}

static void top_event(void *ctx, const void *data, size_t size)
{
	model_event(ctx, data, size);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A section title in reverse video across the width. */
static void title(int y, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void title(int y, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, buf, COLS);
	attroff(A_REVERSE);
}

static void draw(const struct session *s, const struct model *m, bool by_rate,
		 uint64_t start_ns)
{
	const struct model_source *src[MODEL_TOP_MAX];
	const struct model_conn *conns[MODEL_TOP_MAX];
	const struct model_sample *sm = model_sample(m, 0);
	uint16_t ports[MODEL_TOP_MAX];
	uint64_t psyns[MODEL_TOP_MAX];
	char a[64], b[64], line[256], st[32], att[128] = "";
	int rows = LINES, y = 0, half, nsrc, nports, nconn, nalerts, i;

	erase();
	for (i = 0; i < s->ins.n_att; i++) {
		size_t n = strlen(att);

		snprintf(att + n, sizeof(att) - n, "%s%s(%s)", i ? " " : "",
			 s->ins.att[i].ifname, ti_mode_name(s->ins.att[i].mode));
	}
	title(y++, " tcpinspect top  %s  up %.0fs  sort: %s", att,
	      (double)(mono_ns() - start_ns) / 1e9, by_rate ? "SYN rate" : "SYN count");
	snprintf(line, sizeof(line),
		 " SYN/s %-7.1f conn/s %-6.1f retrans/s %-6.1f resets/s %-6.1f open %-5u lost %llu",
		 sm ? sm->syns : 0.0, sm ? sm->established : 0.0, sm ? sm->retransmits : 0.0,
		 sm ? sm->resets : 0.0, model_count_conns(m, 0),
		 (unsigned long long)session_lost((struct session *)s));
	mvaddnstr(y++, 0, line, COLS);
	snprintf(line, sizeof(line), " total: %llu SYNs, %llu established, %llu retransmits, %llu alerts",
		 (unsigned long long)m->syns, (unsigned long long)m->established,
		 (unsigned long long)m->retransmits, (unsigned long long)m->alerts_total);
	mvaddnstr(y++, 0, line, COLS);

	/* The rest is shared out: sources and ports side by side, then
	 * connections, then alerts, then the key help on the last line. */
	int body = rows - y - 1;
	int n_top = body >= 18 ? (body - 6) / 2 : body / 3;
	int n_conn = (body - n_top - 4) * 2 / 3;
	int n_alert = body - n_top - n_conn - 4;

	if (n_top < 1 || n_conn < 0 || n_alert < 0) {
		mvaddnstr(rows - 1, 0, "terminal too small", COLS);
		refresh();
		return;
	}
	half = COLS >= 80 ? 52 : COLS * 2 / 3;
	attron(A_BOLD);
	mvaddnstr(y, 0, " SOURCE                           SYN/s     SYNS", half);
	mvaddnstr(y, half, " PORT        SYNS", COLS - half);
	attroff(A_BOLD);
	y++;
	nsrc = model_top_sources(m, by_rate, src, n_top);
	nports = model_top_ports(m, ports, psyns, n_top);
	for (i = 0; i < n_top; i++) {
		if (i < nsrc) {
			snprintf(line, sizeof(line), " %-30.30s %7.1f %8llu",
				 fmt_addr(src[i]->addr.family, src[i]->addr.b, a, sizeof(a)),
				 src[i]->syn_rate, (unsigned long long)src[i]->syns);
			mvaddnstr(y + i, 0, line, half);
		}
		if (i < nports) {
			snprintf(line, sizeof(line), " %-5u %10llu", ports[i],
				 (unsigned long long)psyns[i]);
			mvaddnstr(y + i, half, line, COLS - half);
		}
	}
	if (!nsrc)
		mvaddnstr(y, 0, " (no SYNs yet)", half);
	y += n_top;

	title(y++, " CONNECTIONS (newest first)");
	attron(A_BOLD);
	mvaddnstr(y++, 0, " REMOTE                      LOCAL PORT  STATE        RETX  HANDSHAKE", COLS);
	attroff(A_BOLD);
	nconn = model_connections(m, conns, n_conn);
	for (i = 0; i < nconn; i++) {
		const struct model_conn *c = conns[i];

		snprintf(b, sizeof(b), c->t.family == TI_AF_INET6 ? "[%s]:%u" : "%s:%u",
			 fmt_addr(c->t.family, c->t.saddr, a, sizeof(a)), c->t.sport);
		snprintf(line, sizeof(line), " %-27.27s %10u  %-12s %4u  %8.3f ms", b,
			 c->t.dport, ti_tcp_state_name(c->state, st, sizeof(st)),
			 c->retransmits, c->handshake_ns / 1e6);
		mvaddnstr(y + i, 0, line, COLS);
	}
	y += n_conn;

	title(y++, " ALERTS (%llu)", (unsigned long long)m->alerts_total);
	nalerts = 0;
	for (uint64_t id = m->alerts_total; id > 0 && nalerts < n_alert &&
	     m->alerts_total - id < MODEL_ALERTS; id--, nalerts++) {
		const struct model_alert *al = &m->alerts[(id - 1) % MODEL_ALERTS];

		snprintf(line, sizeof(line), " %-16s %-24s %s", model_alert_kind_name(al->kind),
			 al->addr.family ? fmt_addr(al->addr.family, al->addr.b, a, sizeof(a)) : "-",
			 al->message);
		mvaddnstr(y + nalerts, 0, line, COLS);
	}
	title(rows - 1, " r: sort by SYN rate   s: sort by SYN count   q: quit");
	refresh();
}

int cmd_top(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct model_cfg mcfg = {}; /* alerts come from the kernel detectors */
	struct session sess;
	struct top_opts o;
	struct model *m;
	bool by_rate = true, dirty = true;
	uint64_t start, next_tick;
	int ret, err;

	if (parse_top_opts(argc, argv, &o))
		return TI_EXIT_USAGE;
	m = model_new(&mcfg);
	if (!m) {
		log_error("out of memory");
		return TI_EXIT_FAILURE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = session_start(&sess, &o.scfg, top_event, m);
	if (ret) {
		model_free(m);
		return ret;
	}
	setlocale(LC_ALL, "");
	if (!initscr()) {
		log_error("cannot initialise the terminal (is TERM set?)");
		session_stop(&sess);
		model_free(m);
		return TI_EXIT_FAILURE;
	}
	cbreak();
	noecho();
	curs_set(0);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* After initscr: the terminal description is read by then. */
	if (session_drop_privileges(&sess, o.pd_opts.off ? NULL : &o.drop_to,
				    PRIVDROP_PROFILE_WATCH)) {
		endwin();
		ret = TI_EXIT_FAILURE;
		goto out;
	}

	start = mono_ns();
	next_tick = start + 1000000000ULL;
	while (!stop_requested) {
		int ch;

		err = session_poll(&sess, POLL_TIMEOUT_MS);
		if (err) {
			endwin();
			log_error("failed to read events: %s", errstr(err));
			ret = TI_EXIT_FAILURE;
			goto out;
		}
		while ((ch = getch()) != ERR) {
			if (ch == 'q' || ch == 'Q')
				stop_requested = 1;
			else if (ch == 'r' || ch == 's') {
				by_rate = ch == 'r';
				dirty = true;
			} else if (ch == KEY_RESIZE) {
				dirty = true;
			}
		}
		uint64_t now = mono_ns();

		if (now >= next_tick) {
			model_tick(m, now);
			next_tick += 1000000000ULL;
			if (next_tick < now)
				next_tick = now + 1000000000ULL;
			dirty = true;
		}
		if (dirty && !stop_requested) {
			draw(&sess, m, by_rate, start);
			dirty = false;
		}
		if (o.duration && (double)(now - start) / 1e9 >= o.duration)
			break;
	}
	endwin();
out:
	session_stop(&sess);
	model_free(m);
	return ret;
}
