// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * config.c - the serve configuration file parser (see config.h and
 * docs/config.md). Every bad line is an error, never ignored: a typo in a
 * key would otherwise silently leave a default in force.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "config.h"
#include "tcpinspect.h"

#define MAX_LINE 1024

void config_defaults(struct ti_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", TI_SERVE_DEFAULT_LISTEN);
	c->top_n = 10;
	c->alerts = true;
}

/* The defence settings a config file may hold (the options of watch; the
 * flags enforce and no-alerts are the keys enforce and alerts). */
static const char *const defence_keys[][2] = {
	{ "syn_rate", "syn-rate" },
	{ "syn_burst", "syn-burst" },
	{ "auto_block_ttl", "auto-block-ttl" },
	{ "scan_ports", "scan-ports" },
	{ "scan_window", "scan-window" },
	{ "slow_scan_ports", "slow-scan-ports" },
	{ "slow_scan_window", "slow-scan-window" },
	{ "hscan_hosts", "hscan-hosts" },
	{ "hscan_window", "hscan-window" },
	{ "alert_interval", "alert-interval" },
	{ "flood_syn_rate", "flood-syn-rate" },
	{ "flood_incomplete", "flood-incomplete" },
	{ "anomaly_k", "anomaly-k" },
	{ "anomaly_alpha", "anomaly-alpha" },
	{ "anomaly_warmup", "anomaly-warmup" },
};

const char *config_defence_key(const char *name)
{
	for (size_t i = 0; i < sizeof(defence_keys) / sizeof(defence_keys[0]); i++)
		if (!strcmp(defence_keys[i][0], name))
			return defence_keys[i][1];
	return NULL;
}

int config_parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *sslen)
{
	char host[64];
	const char *port_s;
	char *end;
	unsigned long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		port_s = close + 2;
		s++;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
		port_s = colon + 1;
	}
	if (!hlen || hlen >= sizeof(host) || !*port_s || *port_s == '-' || *port_s == '+')
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (errno || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_number(const char *v, double min, double max, double *out)
{
	char *end;

	if (!*v || *v == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || *end || !isfinite(*out) || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

/* Interface names: what the kernel accepts (dev_valid_name), checked for
 * existence only when serve starts. */
static bool valid_ifname(const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= IF_NAMESIZE || !strcmp(v, ".") || !strcmp(v, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '/' || v[i] == ':' || v[i] <= ' ' || v[i] == 0x7f)
			return false;
	return true;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One "key = value" line; msg gets the reason on error. */
static int parse_line(char *line, unsigned int lineno, struct ti_config *c,
		      unsigned int *seen, char *msg, size_t msglen)
{
	enum {
		K_LISTEN = 1 << 0, K_FAMILY = 1 << 1, K_MODE = 1 << 2,
		K_ALLPKT = 1 << 3, K_TOKEN = 1 << 4, K_LOG = 1 << 5,
		K_TOPN = 1 << 6, K_ALERTS = 1 << 7, K_ENFORCE = 1 << 8,
	};
	static const struct { const char *name; unsigned int bit; } scalars[] = {
		{ "listen", K_LISTEN }, { "family", K_FAMILY }, { "mode", K_MODE },
		{ "all_packets", K_ALLPKT }, { "token_file", K_TOKEN },
		{ "log_file", K_LOG }, { "top_n", K_TOPN },
		{ "alerts", K_ALERTS }, { "enforce", K_ENFORCE },
	};
	const char *defence_name;
	double num;
	char *eq = strchr(line, '='), *key, *val;
	unsigned long u;

	if (!eq) {
		snprintf(msg, msglen, "expected 'key = value'");
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!*key) {
		snprintf(msg, msglen, "missing key before '='");
		return -EINVAL;
	}
	if (!*val) {
		snprintf(msg, msglen, "missing value for '%s'", key);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		if (strcmp(key, scalars[i].name))
			continue;
		if (*seen & scalars[i].bit) {
			snprintf(msg, msglen, "'%s' given twice", key);
			return -EINVAL;
		}
		*seen |= scalars[i].bit;
	}

	if (!strcmp(key, "listen")) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (strlen(val) >= sizeof(c->listen) || config_parse_listen(val, &ss, &sl)) {
			snprintf(msg, msglen, "invalid listen address '%.80s' (expected ADDR:PORT or [ADDR6]:PORT)", val);
			return -EINVAL;
		}
		snprintf(c->listen, sizeof(c->listen), "%s", val);
	} else if (!strcmp(key, "interface")) {
		if (!valid_ifname(val)) {
			snprintf(msg, msglen, "invalid interface name '%.80s'", val);
			return -EINVAL;
		}
		if (c->n_ifaces >= TI_MAX_IFACES) {
			snprintf(msg, msglen, "too many interfaces (at most %d)", TI_MAX_IFACES);
			return -EINVAL;
		}
		for (int i = 0; i < c->n_ifaces; i++)
			if (!strcmp(c->ifaces[i], val)) {
				snprintf(msg, msglen, "interface '%s' given twice", val);
				return -EINVAL;
			}
		snprintf(c->ifaces[c->n_ifaces++], IF_NAMESIZE, "%s", val);
	} else if (!strcmp(key, "port")) {
		if (parse_uint(val, 1, 65535, &u)) {
			snprintf(msg, msglen, "invalid port '%.80s' (expected 1-65535)", val);
			return -EINVAL;
		}
		if (c->nports >= TI_MAX_PORTS) {
			snprintf(msg, msglen, "too many ports (at most %d)", TI_MAX_PORTS);
			return -EINVAL;
		}
		c->ports[c->nports++] = (uint16_t)u;
	} else if (!strcmp(key, "family")) {
		if (!strcmp(val, "any"))
			c->family = 0;
		else if (!strcmp(val, "ipv4"))
			c->family = TI_AF_INET;
		else if (!strcmp(val, "ipv6"))
			c->family = TI_AF_INET6;
		else {
			snprintf(msg, msglen, "invalid family '%.80s' (expected any, ipv4 or ipv6)", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "mode")) {
		if (ti_mode_parse(val, &c->mode)) {
			snprintf(msg, msglen, "invalid mode '%.80s' (expected auto, native, generic or tc)", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "all_packets") || !strcmp(key, "enforce") ||
		   !strcmp(key, "alerts")) {
		bool *dst = !strcmp(key, "enforce") ? &c->enforce :
			    !strcmp(key, "alerts") ? &c->alerts : &c->all_packets;

		if (parse_bool(val, dst)) {
			snprintf(msg, msglen, "invalid value for %s: '%.80s' (expected true or false)", key, val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "token_file") || !strcmp(key, "log_file")) {
		char *dst = !strcmp(key, "token_file") ? c->token_file : c->log_file;

		if (strlen(val) >= PATH_MAX) {
			snprintf(msg, msglen, "%s: path too long", key);
			return -EINVAL;
		}
		snprintf(dst, PATH_MAX, "%s", val);
	} else if (!strcmp(key, "top_n")) {
		if (parse_uint(val, 1, 100, &u)) {
			snprintf(msg, msglen, "invalid top_n '%.80s' (expected 1-100)", val);
			return -EINVAL;
		}
		c->top_n = (unsigned int)u;
	} else if ((defence_name = config_defence_key(key))) {
		for (int i = 0; i < c->n_defence; i++)
			if (!strcmp(c->defence[i].name, defence_name)) {
				snprintf(msg, msglen, "'%s' given twice", key);
				return -EINVAL;
			}
		if (strlen(val) >= sizeof(c->defence[0].value) ||
		    parse_number(val, 0, 1e12, &num)) {
			snprintf(msg, msglen, "invalid value for %s: '%.80s' (expected a number)", key, val);
			return -EINVAL;
		}
		snprintf(c->defence[c->n_defence].name, sizeof(c->defence[0].name), "%s", defence_name);
		snprintf(c->defence[c->n_defence].value, sizeof(c->defence[0].value), "%s", val);
		c->defence[c->n_defence++].line = lineno;
	} else {
		snprintf(msg, msglen, "unknown key '%.80s'", key);
		return -EINVAL;
	}
	return 0;
}

int config_parse(const char *text, size_t len, const char *fname,
		 struct ti_config *c, char *err, size_t errlen)
{
	char line[MAX_LINE + 2], msg[256];
	unsigned int seen = 0, lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		size_t n = 0;
		char *l;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (text[pos] == '\0') {
				snprintf(err, errlen, "%s:%u: NUL byte in the file", fname, lineno);
				return -EINVAL;
			}
			if (n <= MAX_LINE)
				line[n++] = text[pos];
			pos++;
		}
		pos++; /* the newline */
		if (n > MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", fname,
				 lineno, MAX_LINE);
			return -EINVAL;
		}
		line[n] = '\0';
		l = trim(line);
		if (!*l || *l == '#')
			continue;
		if (parse_line(l, lineno, c, &seen, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", fname, lineno, msg);
			return -EINVAL;
		}
	}
	return 0;
}

int config_load(const char *path, struct ti_config *c, char *err, size_t errlen)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(TI_CONFIG_MAX_SIZE + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, TI_CONFIG_MAX_SIZE + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > TI_CONFIG_MAX_SIZE)
			break;
	}
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
	} else if (len > TI_CONFIG_MAX_SIZE) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: larger than %d bytes", path, TI_CONFIG_MAX_SIZE);
	} else {
		ret = config_parse(buf, len, path, c, err, errlen);
	}
	free(buf);
	close(fd);
	return ret;
}
