// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspector.skel.h"
#include "filter.h"
#include "log.h"
#include "maps.h"

#define CAP_RING_BYTES (16u << 20) /* ring for captured frames */

int tfilter_compile(struct tfilter *f, int argc, char **argv, pcap_t *pcap)
{
	size_t n = 0;
	pcap_t *dead = NULL;
	int err = 0;

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (n + l + 2 > sizeof(f->expr)) {
			log_error("filter expression too long (at most %zu characters)",
				  sizeof(f->expr) - 1);
			return -EINVAL;
		}
		if (n)
			f->expr[n++] = ' ';
		memcpy(f->expr + n, argv[i], l);
		n += l;
	}
	f->expr[n] = '\0';
	if (!n)
		return 0;
	if (!pcap) {
		dead = pcap_open_dead(DLT_EN10MB, TI_CAP_MAX_SNAPLEN);
		if (!dead) {
			log_error("failed to set up libpcap for the filter expression");
			return -ENOMEM;
		}
		pcap = dead;
	}
	if (pcap_compile(pcap, &f->prog, f->expr, 1, PCAP_NETMASK_UNKNOWN)) {
		log_error("invalid filter expression '%s': %s", f->expr,
			  pcap_geterr(pcap));
		err = -EINVAL;
	} else {
		f->compiled = true;
	}
	if (dead)
		pcap_close(dead);
	return err;
}

void tfilter_free(struct tfilter *f)
{
	if (f->compiled)
		pcap_freecode(&f->prog);
	f->compiled = false;
}

bool tfilter_active(const struct tfilter *f)
{
	return f->compiled;
}

bool tfilter_match(const struct tfilter *f, const struct pcap_pkthdr *h,
		   const uint8_t *frame)
{
	if (!f->compiled)
		return true;
	return pcap_offline_filter(&f->prog, h, frame) != 0;
}

static void put16be(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
	put16be(p, v >> 16);
	put16be(p + 2, v & 0xffff);
}

bool tfilter_match_event(const struct tfilter *f, const void *event)
{
	const struct ti_event_hdr *hdr = event;
	/* The tuple sits right after the header in every record type. */
	const struct ti_tuple *t = &((const struct ti_packet_event *)event)->tuple;
	const struct ti_packet_event *pe = event;
	uint8_t fr[14 + 40 + 20] = { 0 }, *ip = fr + 14, *tcp;
	struct pcap_pkthdr ph = { 0 };
	size_t iplen;

	if (!f->compiled)
		return true;
	if (t->family == TI_AF_INET6) {
		put16be(fr + 12, 0x86dd);
		ip[0] = 0x60;
		put16be(ip + 4, 20);
		ip[6] = 6;
		ip[7] = hdr->type == TI_EV_PACKET ? pe->ttl : 64;
		memcpy(ip + 8, t->saddr, 16);
		memcpy(ip + 24, t->daddr, 16);
		iplen = 40;
	} else {
		put16be(fr + 12, 0x0800);
		ip[0] = 0x45;
		put16be(ip + 2, 40);
		ip[8] = hdr->type == TI_EV_PACKET ? pe->ttl : 64;
		ip[9] = 6;
		memcpy(ip + 12, t->saddr, 4);
		memcpy(ip + 16, t->daddr, 4);
		iplen = 20;
	}
	tcp = ip + iplen;
	put16be(tcp, t->sport);
	put16be(tcp + 2, t->dport);
	tcp[12] = 5 << 4;
	if (hdr->type == TI_EV_PACKET) {
		put32be(tcp + 4, pe->seq);
		put32be(tcp + 8, pe->ack_seq);
		tcp[13] = pe->flags;
		put16be(tcp + 14, pe->window);
	}
	ph.caplen = ph.len = (bpf_u_int32)(14 + iplen + 20);
	return pcap_offline_filter(&f->prog, &ph, fr) != 0;
}

int pushdown_add_port(struct ti_pushdown *pd, uint16_t port, uint8_t dir)
{
	for (int i = 0; i < pd->nports; i++)
		if (pd->ports[i].port == port) {
			pd->ports[i].dir |= dir;
			return 0;
		}
	if (pd->nports >= (int)(sizeof(pd->ports) / sizeof(pd->ports[0]))) {
		log_error("too many ports (at most %zu)",
			  sizeof(pd->ports) / sizeof(pd->ports[0]));
		return -EINVAL;
	}
	pd->ports[pd->nports].port = port;
	pd->ports[pd->nports++].dir = dir;
	return 0;
}

/* "198.18.0.1", "fd00::1", "198.18.0.0/15": 0 or -EINVAL (not reported). */
static int parse_net(const char *s, struct ti_net_key *k)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits = -1;
	int maxbits;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || *end || slash[1] == '\0')
			return -EINVAL;
	}
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET, buf, k->addr) == 1) {
		k->family = TI_AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, k->addr) == 1) {
		k->family = TI_AF_INET6;
		maxbits = 128;
	} else {
		return -EINVAL;
	}
	if (bits < 0)
		bits = maxbits;
	if (bits > maxbits)
		return -EINVAL;
	k->prefixlen = 32 + (uint32_t)bits;
	return 0;
}

static int add_net(struct ti_pushdown *pd, const struct ti_net_key *k,
		   uint8_t dir)
{
	if (pd->nnets >= TI_MAX_FLT_NETS)
		return -E2BIG;
	pd->nets[pd->nnets].key = *k;
	pd->nets[pd->nnets++].dir = dir;
	return 0;
}

int pushdown_add_host(struct ti_pushdown *pd, const char *opt,
		      const char *addr, uint8_t dir)
{
	struct ti_net_key k;

	if (parse_net(addr, &k)) {
		log_error("invalid value for %s: '%s' (expected an IPv4 or IPv6 address, optionally /PREFIX)",
			  opt, addr);
		return -EINVAL;
	}
	if (add_net(pd, &k, dir)) {
		log_error("too many addresses for %s (at most %d)", opt,
			  TI_MAX_FLT_NETS);
		return -EINVAL;
	}
	return 0;
}

/*
 * The kernel-checkable part of a plain conjunction "T and T and ...".
 * Anything with or/not/parentheses pushes nothing down (libpcap alone
 * filters). Of the terms, the first "[tcp|ip|ip6] [src|dst] port N" and the
 * first "[src|dst] host ADDR" / "net CIDR" are used; others are left to
 * libpcap. A conjunction is at most as wide as any of its terms, so the
 * kernel test is a superset of the expression.
 */
void tfilter_pushdown(const struct tfilter *f, struct ti_pushdown *pd)
{
	char buf[sizeof(f->expr) * 2], *tok[256], *save = NULL, *p;
	int ntok = 0, i = 0;
	bool have_port = pd->nports > 0, have_net = pd->nnets > 0;

	if (!f->compiled)
		return;
	/* Parentheses become their own tokens so they are seen below. */
	p = buf;
	for (const char *s = f->expr; *s && p < buf + sizeof(buf) - 3; s++) {
		if (*s == '(' || *s == ')') {
			*p++ = ' ';
			*p++ = *s;
			*p++ = ' ';
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	for (char *t = strtok_r(buf, " \t\n", &save); t && ntok < 256;
	     t = strtok_r(NULL, " \t\n", &save))
		tok[ntok++] = t;
	for (int j = 0; j < ntok; j++)
		if (!strcasecmp(tok[j], "or") || !strcmp(tok[j], "||") ||
		    !strcasecmp(tok[j], "not") || tok[j][0] == '!' ||
		    !strcmp(tok[j], "(") || !strcmp(tok[j], ")"))
			return;
	while (i < ntok) {
		int start = i, n;
		uint8_t dir = TI_FLT_SRC | TI_FLT_DST;

		while (i < ntok && strcasecmp(tok[i], "and") && strcmp(tok[i], "&&"))
			i++;
		n = i - start;
		i++; /* past "and" */
		while (n > 0 && (!strcasecmp(tok[start], "tcp") ||
				 !strcasecmp(tok[start], "ip") ||
				 !strcasecmp(tok[start], "ip6"))) {
			start++;
			n--;
		}
		if (n > 0 && !strcasecmp(tok[start], "src")) {
			dir = TI_FLT_SRC;
			start++;
			n--;
		} else if (n > 0 && !strcasecmp(tok[start], "dst")) {
			dir = TI_FLT_DST;
			start++;
			n--;
		}
		if (n != 2)
			continue;
		if (!strcasecmp(tok[start], "port") && !have_port) {
			char *end;
			long port = strtol(tok[start + 1], &end, 10);

			if (*end || port < 1 || port > 65535)
				continue;
			pushdown_add_port(pd, (uint16_t)port, dir);
			have_port = true;
		} else if ((!strcasecmp(tok[start], "host") ||
			    (!strcasecmp(tok[start], "net") && strchr(tok[start + 1], '/'))) &&
			   !have_net) {
			struct ti_net_key k;

			if (parse_net(tok[start + 1], &k))
				continue;
			if (!strcasecmp(tok[start], "host") &&
			    k.prefixlen != 32 + (k.family == TI_AF_INET ? 32u : 128u))
				continue;
			add_net(pd, &k, dir);
			have_net = true;
		}
	}
}

/* The key of the app-hint table's set hash (capture.bpf.h): random, so
 * that a remote sender cannot aim SYNs at one set. Without getrandom the
 * clock and pid still vary it per load. */
static uint64_t app_table_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^
	       (uint64_t)getpid();
}

void capture_configure(struct inspector_bpf *skel, bool app_hints,
		       uint32_t snaplen, const struct ti_pushdown *pd)
{
	skel->rodata->cfg_app_hints = app_hints;
	skel->rodata->cfg_app_seed = app_table_seed();
	skel->rodata->cfg_snaplen = snaplen;
	skel->rodata->cfg_flt_nets = pd && pd->nnets > 0;
	skel->rodata->cfg_flt_ports = pd && pd->nports > 0;
	if (snaplen)
		bpf_map__set_max_entries(skel->maps.ti_cap_events, CAP_RING_BYTES);
}

int pushdown_apply(struct inspector_bpf *skel, const struct ti_pushdown *pd)
{
	int err;

	if (!pd)
		return 0;
	for (int i = 0; i < pd->nports; i++) {
		__u16 port = pd->ports[i].port;
		__u8 dir = pd->ports[i].dir;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ti_flt_ports),
					&port, &dir, BPF_ANY))
			goto fail;
	}
	for (int i = 0; i < pd->nnets; i++) {
		__u8 one = 1;

		if ((pd->nets[i].dir & TI_FLT_SRC) &&
		    bpf_map_update_elem(bpf_map__fd(skel->maps.ti_flt_src_nets),
					&pd->nets[i].key, &one, BPF_ANY))
			goto fail;
		if ((pd->nets[i].dir & TI_FLT_DST) &&
		    bpf_map_update_elem(bpf_map__fd(skel->maps.ti_flt_dst_nets),
					&pd->nets[i].key, &one, BPF_ANY))
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	log_error("failed to set the kernel address/port filter: %s", errstr(err));
	return err;
}

int capture_ring_fd(struct inspector_bpf *skel)
{
	return bpf_map__fd(skel->maps.ti_cap_events);
}

int capture_counters(struct inspector_bpf *skel, struct ti_cap_counters *sum)
{
	return map_percpu_sum_u64(bpf_map__fd(skel->maps.ti_cap_stats), sum,
				  sizeof(*sum));
}
