// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve.c - `tcpinspect serve`: run the inspection continuously, aggregate
 * events into the model, answer HTTP (serve_http.c) and, when asked, append
 * every event as a JSON line to a log file that SIGHUP reopens (logrotate).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "cliopts.h"
#include "commands.h"
#include "events.h"
#include "log.h"
#include "privdrop.h"
#include "serve.h"
#include "serve_blocklist.h"

#define POLL_TIMEOUT_MS 100
/* The event log is opened (and reopened on SIGHUP) with exactly these
 * flags in a directory held open: the only open the seccomp filter allows
 * after the privilege drop. */
#define LOG_OPEN_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)

static volatile sig_atomic_t stop_requested, reopen_requested;
static struct session *cur_session;

struct serve_state {
	struct serve_ctx *sc;
	FILE *log;
	int log_dirfd;     /* the event log's directory; -1: no log */
	char log_name[256]; /* its name in that directory */
	struct jw jw;
	bool log_failed; /* reported once until the next reopen */
};

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static const char *ifname_of(unsigned int ifindex)
{
	return cur_session ? session_ifname(cur_session, ifindex) : "?";
}

static void serve_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect serve [OPTIONS]\n"
		"Run the inspection continuously: Prometheus metrics at /metrics, a REST\n"
		"API at /api/v1/ (docs/openapi.yaml) and a live dashboard at /.\n\n"
		"  -c, --config FILE      configuration file (docs/config.md)\n"
		"  -l, --listen ADDR:PORT HTTP address (default %s; [ADDR6]:PORT for IPv6)\n"
		"  -i, --interface IFACE  interface to watch (repeatable; replaces the\n"
		"                         config's; default: every interface that is up)\n"
		"  -p, --port PORT        local port filter (repeatable)\n"
		"      --token-file FILE  API token for blocklist changes\n"
		"      --log-file FILE    append every event as a JSON line (SIGHUP reopens)\n"
		"      --mode MODE        auto (default), native, generic or tc\n"
		PRIVDROP_USAGE
		"  -h, --help             this help\n"
		"Command-line options override the configuration file.\n"
		"The packet program stays attached through links pinned under\n"
		"$TCPINSPECT_PIN_DIR/links (default %s/links) if serve is\n"
		"killed, so the blocklist is still enforced; the next serve takes them\n"
		"over, a clean stop (SIGINT, SIGTERM) removes them, and so does\n"
		"`tcpinspect detach`.\n",
		TI_SERVE_DEFAULT_LISTEN, TI_PIN_DIR);
}

static int parse_serve_opts(int argc, char **argv, struct ti_config *cfg,
			    const char **config_out, struct privdrop_opts *pd)
{
	/* The options as given, applied once the config file is read. */
	struct serve_args {
		const char *config, *listen, *token, *logf, *mode;
		char ifaces[TI_MAX_IFACES][IF_NAMESIZE];
		int n_ifaces;
		uint16_t ports[TI_MAX_PORTS];
		int nports;
		struct privdrop_opts pd;
	} a = {};
	enum { OPT_TOKEN = CLIOPT_KEY_OWN, OPT_LOG };
	static const struct cliopt opts[] = {
		{ "config", 'c', CLIOPT_T_STR, offsetof(struct serve_args, config), 0, 0, 0 },
		{ "listen", 'l', CLIOPT_T_STR, offsetof(struct serve_args, listen), 0, 0, 0 },
		{ "interface", 'i', CLIOPT_T_IFNAMES, offsetof(struct serve_args, ifaces),
		  offsetof(struct serve_args, n_ifaces), 0, 0 },
		CLIOPT_PORT(struct serve_args, ports, nports),
		{ "token-file", OPT_TOKEN, CLIOPT_T_STR, offsetof(struct serve_args, token), 0, 0, 0 },
		{ "log-file", OPT_LOG, CLIOPT_T_STR, offsetof(struct serve_args, logf), 0, 0, 0 },
		{ "mode", CLIOPT_KEY_MODE, CLIOPT_T_STR, offsetof(struct serve_args, mode), 0, 0, 0 },
		CLIOPT_PRIVDROP(struct serve_args, pd.user, pd.off),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "serve", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.usage = serve_usage, .no_args = true,
	};
	const char *config, *listen;
	char err[512];

	/* The config file first, wherever --config is: options override it. */
	if (cliopts_parse(&cmd, argc, argv, &a) < 0)
		return -EINVAL;
	*pd = a.pd;
	config = a.config;
	listen = a.listen;
	config_defaults(cfg);
	*config_out = config;
	if (config && config_load(config, cfg, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	if (listen) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (strlen(listen) >= sizeof(cfg->listen) || config_parse_listen(listen, &ss, &sl)) {
			log_error("invalid value for --listen: '%s' (expected ADDR:PORT or [ADDR6]:PORT)",
				  listen);
			return -EINVAL;
		}
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", listen);
	}
	if (a.n_ifaces) {
		memcpy(cfg->ifaces, a.ifaces, sizeof(a.ifaces));
		cfg->n_ifaces = a.n_ifaces;
	}
	if (a.nports) {
		memcpy(cfg->ports, a.ports, sizeof(a.ports));
		cfg->nports = a.nports;
	}
	if (a.token)
		snprintf(cfg->token_file, sizeof(cfg->token_file), "%s", a.token);
	if (a.logf)
		snprintf(cfg->log_file, sizeof(cfg->log_file), "%s", a.logf);
	if (a.mode && cliopt_mode(a.mode, &cfg->mode))
		return -EINVAL;
	return 0;
}

/* The token: the file's first line, 1-255 bytes, no control characters. */
static int load_token(struct serve_ctx *sc, const char *path)
{
	char buf[sizeof(sc->token) + 2];
	size_t n;
	FILE *f = fopen(path, "re");
	struct stat st;

	if (!f) {
		log_error("cannot read token file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!fstat(fileno(f), &st) && (st.st_mode & 0004))
		log_warn("token file %s is readable by every user", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	n = strlen(buf);
	if (!n || n >= sizeof(sc->token)) {
		log_error("token file %s: the first line must hold a token of 1-%zu bytes",
			  path, sizeof(sc->token) - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x21 || buf[i] == 0x7f) {
			log_error("token file %s: the token contains spaces or control characters",
				  path);
			return -EINVAL;
		}
	memcpy(sc->token, buf, n + 1);
	sc->token_len = n;
	return 0;
}

/* Hold the log's directory, so the log can be reopened after the drop
 * (the directory must then be writable by the --user). */
static int open_log_dir(struct serve_state *st, const char *path)
{
	char dir[sizeof(((struct ti_config *)0)->log_file)];
	char name[sizeof(dir)];

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(name, sizeof(name), "%s", path);
	if (snprintf(st->log_name, sizeof(st->log_name), "%s", basename(name)) >=
	    (int)sizeof(st->log_name)) {
		log_error("log file name too long: %s", path);
		return -ENAMETOOLONG;
	}
	st->log_dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->log_dirfd < 0) {
		log_error("cannot open the directory of log file %s: %s", path,
			  strerror(errno));
		return -errno;
	}
	return 0;
}

static FILE *open_log(const struct serve_state *st, const char *path)
{
	int fd = openat(st->log_dirfd, st->log_name, LOG_OPEN_FLAGS, 0640);
	FILE *f;

	if (fd < 0) {
		log_error("cannot open log file %s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

static void handle_event(void *ctx, const void *data, size_t size)
{
	struct serve_state *st = ctx;

	pthread_mutex_lock(&st->sc->lock);
	model_event(st->sc->m, data, size);
	pthread_mutex_unlock(&st->sc->lock);
	if (st->log) {
		event_json(&st->jw, data, ifname_of);
		if (jw_flush_line(&st->jw, st->log) && !st->log_failed) {
			st->log_failed = true;
			st->sc->log_errors++;
			log_warn("failed to write the event log %s: %s", st->sc->cfg.log_file,
				 strerror(errno));
		}
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The config's detector settings, checked by the defence layer itself
 * (so they mean exactly what watch's options mean). */
static int apply_defence(const struct ti_config *cfg, const char *config_path,
			 struct defence_cfg *d)
{
	char opt[32];

	defence_cfg_defaults(d);
	d->detect = cfg->alerts;
	d->enforce = cfg->enforce;
	for (int i = 0; i < cfg->n_defence; i++) {
		snprintf(opt, sizeof(opt), "%s", cfg->defence[i].name);
		if (defence_set(d, opt, cfg->defence[i].value)) {
			log_error("%s:%u: invalid %s (the line above says why)",
				  config_path ? config_path : "config", cfg->defence[i].line, opt);
			return -EINVAL;
		}
	}
	return 0;
}

static int resolve_ifaces(const struct ti_config *cfg, struct session_cfg *scfg)
{
	for (int i = 0; i < cfg->n_ifaces; i++) {
		if (opt_iface("interface", cfg->ifaces[i], scfg->ifaces[i].name,
			      &scfg->ifaces[i].ifindex))
			return -EINVAL;
	}
	scfg->n_ifaces = cfg->n_ifaces;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct sigaction stop = { .sa_handler = on_stop }, hup = { .sa_handler = on_hup };
	struct serve_ctx *sc;
	struct serve_state st = {};
	struct session_cfg scfg = {};
	struct model_cfg mcfg = {};
	struct MHD_Daemon *http = NULL;
	struct privdrop_opts pd = {};
	struct privdrop_user drop_to;
	uint64_t next_tick;
	struct timespec rt;
	const char *config = NULL;
	int ret = TI_EXIT_OK, err, listen_fd;

	st.log_dirfd = -1;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		log_error("out of memory");
		return TI_EXIT_FAILURE;
	}
	if (parse_serve_opts(argc, argv, &sc->cfg, &config, &pd) ||
	    privdrop_opts_resolve(&pd, &drop_to)) {
		free(sc);
		return TI_EXIT_USAGE;
	}
	if (resolve_ifaces(&sc->cfg, &scfg)) {
		free(sc);
		return TI_EXIT_USAGE;
	}
	if (sc->cfg.token_file[0] && load_token(sc, sc->cfg.token_file)) {
		free(sc);
		return TI_EXIT_USAGE;
	}
	scfg.mode = sc->cfg.mode;
	scfg.pin_links = true;
	scfg.batch_us = SESSION_BATCH_US;
	scfg.family = sc->cfg.family;
	scfg.all_packets = sc->cfg.all_packets;
	scfg.nports = sc->cfg.nports;
	memcpy(scfg.ports, sc->cfg.ports, sizeof(scfg.ports));
	/* Alerts come from the kernel detectors (defence.h); the model's own
	 * SYN-rate alert would repeat them. */
	mcfg.alert_syn_rate = 0;
	if (apply_defence(&sc->cfg, config, &scfg.defence)) {
		free(sc);
		return TI_EXIT_USAGE;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl;

		/* Validated by the option parser already. */
		if (!config_parse_listen(sc->cfg.listen, &ss, &sl))
			mcfg.ignore_port = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	}
	sc->m = model_new(&mcfg);
	if (!sc->m) {
		log_error("out of memory");
		free(sc);
		return TI_EXIT_FAILURE;
	}
	pthread_mutex_init(&sc->lock, NULL);
	st.sc = sc;

	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sc->cfg.log_file[0]) {
		if (!open_log_dir(&st, sc->cfg.log_file))
			st.log = open_log(&st, sc->cfg.log_file);
		if (!st.log) {
			ret = TI_EXIT_FAILURE;
			goto out;
		}
	}
	ret = session_start(&sc->sess, &scfg, handle_event, &st);
	if (ret)
		goto out;
	cur_session = &sc->sess;
	serve_blocklist_init(sc);
	sc->start_ns = mono_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	sc->start_unix = (double)rt.tv_sec + rt.tv_nsec / 1e9;
	/* Bound as root, served after the drop: the HTTP thread starts
	 * unprivileged and filtered like the main thread. */
	listen_fd = serve_http_listen(sc);
	if (listen_fd < 0) {
		ret = TI_EXIT_FAILURE;
		goto stop;
	}
	if (st.log_dirfd >= 0)
		privdrop_allow_openat(st.log_dirfd, LOG_OPEN_FLAGS);
	if (session_drop_privileges(&sc->sess, pd.off ? NULL : &drop_to,
				    PRIVDROP_PROFILE_SERVER)) {
		close(listen_fd);
		ret = TI_EXIT_FAILURE;
		goto stop;
	}
	http = serve_http_start(sc, listen_fd);
	if (!http) {
		ret = TI_EXIT_FAILURE;
		goto stop;
	}
	log_info("serving on http://%s/ (metrics at /metrics, API at /api/v1/)", sc->cfg.listen);

	next_tick = mono_ns() + 1000000000ULL;
	while (!stop_requested) {
		err = session_poll(&sc->sess, POLL_TIMEOUT_MS);
		if (err) {
			log_error("failed to read events: %s", errstr(err));
			ret = TI_EXIT_FAILURE;
			break;
		}
		if (st.log)
			fflush(st.log);
		if (reopen_requested && st.log) {
			FILE *f = open_log(&st, sc->cfg.log_file);

			reopen_requested = 0;
			/* Keep the old file rather than lose events. */
			if (f) {
				fclose(st.log);
				st.log = f;
				st.log_failed = false;
				log_info("reopened the event log %s", sc->cfg.log_file);
			} else {
				log_warn("still writing to the previous event log (is its directory writable by the serve user?)");
			}
		}
		uint64_t now = mono_ns();

		if (now >= next_tick) {
			pthread_mutex_lock(&sc->lock);
			model_tick(sc->m, now);
			pthread_mutex_unlock(&sc->lock);
			next_tick += 1000000000ULL;
			if (next_tick < now)
				next_tick = now + 1000000000ULL;
		}
	}
	session_drain(&sc->sess);
stop:
	serve_http_stop(http);
	serve_blocklist_close(sc);
	session_stop(&sc->sess);
	cur_session = NULL;
out:
	if (st.log)
		fclose(st.log);
	if (st.log_dirfd >= 0)
		close(st.log_dirfd);
	jw_free(&st.jw);
	pthread_mutex_destroy(&sc->lock);
	model_free(sc->m);
	free(sc);
	return ret;
}
