// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "blocklist.h"
#include "log.h"
#include "pinmap.h"
#include "system.h"

#define NS_PER_S 1000000000ULL

static const char *const pin_names[2] = { "blocklist", "allowlist" };
static const char *const map_names[2] = { "ti_blocklist", "ti_allowlist" };

/* ---- CIDR text ---------------------------------------------------------- */

int parse_cidr(const char *s, struct ti_cidr *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	unsigned long plen;
	size_t alen;
	int max;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		snprintf(err, errlen, "invalid CIDR '': expected an IPv4 or IPv6 address, optionally /PREFIX");
		return -EINVAL;
	}
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "invalid CIDR '%s': expected an IPv4 or IPv6 address, optionally /PREFIX", s);
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = TI_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = TI_AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "invalid CIDR '%s': '%s' is not an IPv4 or IPv6 address", s, addr);
		return -EINVAL;
	}
	plen = (unsigned long)max;
	if (slash) {
		const char *p = slash + 1;
		char *end;

		if (!*p || !isdigit((unsigned char)*p) || strlen(p) > 3) {
			snprintf(err, errlen, "invalid CIDR '%s': prefix length must be a number from 0 to %d", s, max);
			return -EINVAL;
		}
		plen = strtoul(p, &end, 10);
		if (*end || plen > (unsigned long)max) {
			snprintf(err, errlen, "invalid CIDR '%s': prefix length must be a number from 0 to %d", s, max);
			return -EINVAL;
		}
	}
	out->prefix_len = (uint8_t)plen;
	/* Host bits set: refuse rather than guess what was meant. */
	for (int bit = (int)plen; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
			struct ti_cidr net = *out;
			char fixed[TI_CIDR_STRLEN];

			for (int b = (int)plen; b < max; b++)
				net.addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			cidr_format(&net, fixed, sizeof(fixed));
			snprintf(err, errlen, "invalid CIDR '%s': host bits set after /%lu (the network is %s)",
				 s, plen, fixed);
			return -EINVAL;
		}
	}
	return 0;
}

void cidr_format(const struct ti_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == TI_AF_INET ? AF_INET : AF_INET6, c->addr, a,
		  sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefix_len);
}

void cidr_to_key(const struct ti_cidr *c, struct ti_lpm_key *k)
{
	memset(k, 0, sizeof(*k));
	if (c->family == TI_AF_INET) {
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		memcpy(&k->addr[12], c->addr, 4);
		k->prefixlen = 96u + c->prefix_len;
	} else {
		memcpy(k->addr, c->addr, 16);
		k->prefixlen = c->prefix_len;
	}
}

static bool key_is_v4(const struct ti_lpm_key *k)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	return k->prefixlen >= 96 && !memcmp(k->addr, mapped, sizeof(mapped));
}

void cidr_from_key(const struct ti_lpm_key *k, struct ti_cidr *c)
{
	memset(c, 0, sizeof(*c));
	if (key_is_v4(k)) {
		c->family = TI_AF_INET;
		memcpy(c->addr, &k->addr[12], 4);
		c->prefix_len = (uint8_t)(k->prefixlen - 96);
	} else {
		c->family = TI_AF_INET6;
		memcpy(c->addr, k->addr, 16);
		c->prefix_len = (uint8_t)(k->prefixlen > 128 ? 128 : k->prefixlen);
	}
}

/* ---- time --------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Expiry is kept in CLOCK_BOOTTIME (what XDP reads; the pinned maps do not
 * outlive a reboot anyway); shown as unix time. */
static uint64_t expiry_unix(uint64_t expires_ns)
{
	uint64_t boot = clock_ns(CLOCK_BOOTTIME), now = clock_ns(CLOCK_REALTIME);

	if (!expires_ns)
		return 0;
	if (expires_ns <= boot)
		return now / NS_PER_S;
	return (now + (expires_ns - boot) + NS_PER_S - 1) / NS_PER_S;
}

static bool expired(const struct ti_list_val *v, uint64_t boot_ns)
{
	return v->expires_ns && v->expires_ns <= boot_ns;
}

/* ---- pinned maps -------------------------------------------------------- */

const char *blocklist_pin_dir(void)
{
	const char *env = getenv(TI_PIN_DIR_ENV);

	return env && env[0] == '/' && strlen(env) < 200 ? env : TI_PIN_DIR;
}

static int open_or_create(enum ti_list which)
{
	static const struct pin_layout want = {
		.type = BPF_MAP_TYPE_LPM_TRIE,
		.key_size = sizeof(struct ti_lpm_key),
		.value_size = sizeof(struct ti_list_val),
		.max_entries = TI_LIST_MAX_ENTRIES,
		.map_flags = BPF_F_NO_PREALLOC,
	};
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = want.map_flags);
	char path[256];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", blocklist_pin_dir(),
		 pin_names[which]);
	for (int attempt = 0; attempt < 3; attempt++) {
		/* Checked against this build's layout; migrated or refused
		 * (-TI_ELAYOUT) when it differs. */
		fd = pinmap_open(path, map_names[which], &want);
		if (fd != -ENOENT)
			return fd;
		fd = bpf_map_create(want.type, map_names[which], want.key_size,
				    want.value_size, want.max_entries, &opts);
		if (fd < 0) {
			err = -errno;
			log_error("failed to create the %s map: %s",
				  map_names[which], errstr(err));
			return err;
		}
		if (!bpf_obj_pin(fd, path))
			return fd;
		err = -errno;
		close(fd);
		if (err != -EEXIST) {
			log_error("failed to pin %s: %s", path, errstr(err));
			return err;
		}
		/* Another process pinned it first: open theirs. */
	}
	log_error("failed to open or create %s", path);
	return -EAGAIN;
}

int blocklist_open(struct blocklist *bl)
{
	const char *dir = blocklist_pin_dir();
	bool created = false;
	struct stat st;
	int err;

	bl->fd[0] = bl->fd[1] = -1;
	err = getenv(TI_PIN_DIR_ENV) ? 0 : sys_ensure_bpffs();
	if (err) {
		log_error("the BPF file system is not mounted on %s and could not be mounted: %s",
			  TI_BPFFS, errstr(err));
		return err;
	}
	if (!mkdir(dir, 0700)) {
		created = true;
	} else if (errno != EEXIST) {
		err = -errno;
		log_error("failed to create %s: %s", dir, errstr(err));
		return err;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", dir);
		return -ENOTDIR;
	}
	/* Pinning elsewhere fails with a bare EPERM: say what is wrong. */
	if (!sys_on_bpffs(dir)) {
		if (created)
			rmdir(dir);
		log_error("%s is not on a BPF file system: pinned maps need one (mount one with `mount -t bpf bpf DIR` and point %s below it, or unset %s)",
			  dir, TI_PIN_DIR_ENV, TI_PIN_DIR_ENV);
		return -EINVAL;
	}
	/* Root only: the lists decide what this host drops. */
	if ((st.st_mode & 07777) != 0700)
		chmod(dir, 0700);
	for (int i = 0; i < 2; i++) {
		bl->fd[i] = open_or_create((enum ti_list)i);
		if (bl->fd[i] < 0) {
			err = bl->fd[i];
			bl->fd[i] = -1;
			blocklist_close(bl);
			return err;
		}
	}
	return 0;
}

void blocklist_close(struct blocklist *bl)
{
	for (int i = 0; i < 2; i++) {
		if (bl->fd[i] >= 0)
			close(bl->fd[i]);
		bl->fd[i] = -1;
	}
}

/* ---- entries ------------------------------------------------------------ */

int list_add_cidr(struct blocklist *bl, enum ti_list which,
		  const struct ti_cidr *c, uint32_t ttl_s)
{
	struct ti_lpm_key k;
	struct ti_list_val v = {}, old;

	cidr_to_key(c, &k);
	/* An update keeps the counters of the entry it replaces. */
	if (!bpf_map_lookup_elem(bl->fd[which], &k, &old)) {
		v.hits = old.hits;
		v.bytes = old.bytes;
	}
	v.expires_ns = ttl_s ? clock_ns(CLOCK_BOOTTIME) + ttl_s * NS_PER_S : 0;
	v.added_s = clock_ns(CLOCK_REALTIME) / NS_PER_S;
	if (bpf_map_update_elem(bl->fd[which], &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

int list_add(struct blocklist *bl, enum ti_list which, const char *cidr,
	     uint32_t ttl_s, char *err, size_t errlen)
{
	struct ti_cidr c;
	int ret;

	ret = parse_cidr(cidr, &c, err, errlen);
	if (ret)
		return ret;
	ret = list_add_cidr(bl, which, &c, ttl_s);
	if (ret)
		snprintf(err, errlen, "failed to add %s: %s", cidr, errstr(ret));
	return ret;
}

int list_del(struct blocklist *bl, enum ti_list which, const char *cidr,
	     char *err, size_t errlen)
{
	struct ti_lpm_key k;
	struct ti_cidr c;
	int ret;

	ret = parse_cidr(cidr, &c, err, errlen);
	if (ret)
		return ret;
	cidr_to_key(&c, &k);
	if (bpf_map_delete_elem(bl->fd[which], &k)) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(err, errlen, "%s is not on the %slist", cidr,
				 which == TI_LIST_BLOCK ? "block" : "allow");
		else
			snprintf(err, errlen, "failed to delete %s: %s", cidr,
				 errstr(ret));
		return ret;
	}
	return 0;
}

/* Collect the keys first: deleting while walking an LPM trie would make
 * get_next_key restart from the beginning. */
static int collect_keys(int fd, struct ti_lpm_key **keys, size_t *n)
{
	struct ti_lpm_key cur, next, *arr = NULL, *tmp;
	size_t cnt = 0, cap = 0;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				free(arr);
				return -ENOMEM;
			}
			arr = tmp;
		}
		arr[cnt++] = next;
		cur = next;
		first = false;
		if (cnt > TI_LIST_MAX_ENTRIES)
			break;
	}
	*keys = arr;
	*n = cnt;
	return 0;
}

int list_walk(struct blocklist *bl, enum ti_list which,
	      int (*cb)(void *ctx, const struct blocklist_entry *e), void *ctx)
{
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);
	struct ti_lpm_key *keys;
	size_t n;
	int ret;

	ret = collect_keys(bl->fd[which], &keys, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		struct blocklist_entry e = {};
		struct ti_list_val v;
		struct ti_cidr c;

		if (bpf_map_lookup_elem(bl->fd[which], &keys[i], &v) ||
		    expired(&v, boot))
			continue;
		cidr_from_key(&keys[i], &c);
		cidr_format(&c, e.cidr, sizeof(e.cidr));
		e.family = c.family;
		e.prefix_len = c.prefix_len;
		e.hits = v.hits;
		e.bytes = v.bytes;
		e.expires = expiry_unix(v.expires_ns);
		e.added = v.added_s;
		ret = cb(ctx, &e);
	}
	free(keys);
	return ret;
}

int list_flush(struct blocklist *bl, enum ti_list which)
{
	struct ti_lpm_key *keys;
	size_t n;
	int ret, removed = 0;

	ret = collect_keys(bl->fd[which], &keys, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_delete_elem(bl->fd[which], &keys[i]))
			removed++;
	free(keys);
	return removed;
}

int blocklist_gc(struct blocklist *bl)
{
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);
	int removed = 0;

	for (int w = 0; w < 2; w++) {
		struct ti_lpm_key *keys;
		size_t n;

		if (bl->fd[w] < 0 || collect_keys(bl->fd[w], &keys, &n))
			continue;
		for (size_t i = 0; i < n; i++) {
			struct ti_list_val v;

			if (!bpf_map_lookup_elem(bl->fd[w], &keys[i], &v) &&
			    expired(&v, boot) &&
			    !bpf_map_delete_elem(bl->fd[w], &keys[i]))
				removed++;
		}
		free(keys);
	}
	return removed;
}

bool allowlist_contains(struct blocklist *bl, uint16_t family,
			const uint8_t *addr)
{
	struct ti_cidr c = { .family = family };
	struct ti_lpm_key k;
	struct ti_list_val v;

	if (bl->fd[TI_LIST_ALLOW] < 0)
		return false;
	memcpy(c.addr, addr, family == TI_AF_INET ? 4 : 16);
	c.prefix_len = family == TI_AF_INET ? 32 : 128;
	cidr_to_key(&c, &k);
	return !bpf_map_lookup_elem(bl->fd[TI_LIST_ALLOW], &k, &v) &&
	       !expired(&v, clock_ns(CLOCK_BOOTTIME));
}

int blocklist_add(struct blocklist *bl, const char *cidr, uint32_t ttl_s,
		  char *err, size_t errlen)
{
	return list_add(bl, TI_LIST_BLOCK, cidr, ttl_s, err, errlen);
}

int blocklist_del(struct blocklist *bl, const char *cidr, char *err,
		  size_t errlen)
{
	return list_del(bl, TI_LIST_BLOCK, cidr, err, errlen);
}

int blocklist_list(struct blocklist *bl,
		   int (*cb)(void *ctx, const struct blocklist_entry *e),
		   void *ctx)
{
	return list_walk(bl, TI_LIST_BLOCK, cb, ctx);
}

int blocklist_flush(struct blocklist *bl)
{
	return list_flush(bl, TI_LIST_BLOCK);
}
