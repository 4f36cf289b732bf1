/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * blocklist.h - the blocklist and allowlist: LPM tries pinned under
 * /sys/fs/bpf/tcpinspect/ (directory mode 0700), shared by every run of
 * tcpinspect and by `tcpinspect block|allow`, which work whether or not a
 * watch is running. The packet inspector reuses the pinned maps at load
 * time, so entries survive restarts (and SIGKILL) and are enforced as soon
 * as the program is attached again.
 *
 * Entries may expire (TTL): the XDP program treats an expired entry as
 * absent; blocklist_gc() (run by `block list` and every few seconds by a
 * session) deletes them. Adding an existing entry updates its TTL and keeps
 * its counters.
 */
#ifndef TI_BLOCKLIST_H
#define TI_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpinspect.h"

#define TI_PIN_DIR "/sys/fs/bpf/tcpinspect"
/* The environment variable TCPINSPECT_PIN_DIR (an absolute path on a BPF
 * file system) replaces TI_PIN_DIR: tests use private lists with it. */
#define TI_PIN_DIR_ENV "TCPINSPECT_PIN_DIR"
/* The directory in use (TI_PIN_DIR or the environment's). */
const char *blocklist_pin_dir(void);
#define TI_CIDR_STRLEN 64 /* "ffff:...:ffff/128" and a NUL */

/* An address prefix. Host bits set after the prefix are an error (not
 * silently cleared): "198.18.0.1/24" is refused, "198.18.0.0/24" works.
 * A plain address is a /32 or /128. */
struct ti_cidr {
	uint16_t family;        /* TI_AF_INET or TI_AF_INET6 */
	uint8_t prefix_len;     /* 0-32 or 0-128 */
	uint8_t addr[TI_ADDR_LEN]; /* network order; IPv4 in bytes 0-3 */
};

/* 0, or -EINVAL with a one-line reason in err. Pure. */
int parse_cidr(const char *s, struct ti_cidr *out, char *err, size_t errlen);
/* Text form ("198.18.0.0/24", "fd00::/8"). */
void cidr_format(const struct ti_cidr *c, char *buf, size_t len);
/* To and from the LPM key (IPv4 stored as ::ffff:a.b.c.d, prefix + 96). */
void cidr_to_key(const struct ti_cidr *c, struct ti_lpm_key *k);
void cidr_from_key(const struct ti_lpm_key *k, struct ti_cidr *c);

enum ti_list { TI_LIST_BLOCK = 0, TI_LIST_ALLOW = 1 };

struct blocklist {
	int fd[2]; /* indexed by enum ti_list; -1 when closed */
};

struct blocklist_entry {
	char cidr[TI_CIDR_STRLEN];
	uint16_t family;    /* TI_AF_INET or TI_AF_INET6 */
	uint8_t prefix_len;
	uint64_t hits;
	uint64_t bytes;
	uint64_t expires;   /* unix seconds, 0 = never */
	uint64_t added;     /* unix seconds (last add or update) */
};

/* Open the pinned maps, creating them (and the directory) if missing.
 * A pinned map of another layout is migrated when safe, else refused with
 * -TI_ELAYOUT (pinmap.h). Errors are reported (log.h); returns 0 or a
 * negative errno. */
int blocklist_open(struct blocklist *bl);
void blocklist_close(struct blocklist *bl);

/* Blocklist operations. ttl_s 0 = never expires. On a bad CIDR: -EINVAL
 * with the reason in err. del of an absent entry: -ENOENT. */
int blocklist_add(struct blocklist *bl, const char *cidr, uint32_t ttl_s,
		  char *err, size_t errlen);
int blocklist_del(struct blocklist *bl, const char *cidr, char *err,
		  size_t errlen);
/* Calls cb for every live entry (expired ones are skipped); a non-zero
 * return from cb stops the walk and is returned. */
int blocklist_list(struct blocklist *bl,
		   int (*cb)(void *ctx, const struct blocklist_entry *e),
		   void *ctx);
/* Remove every entry; returns how many or a negative errno. */
int blocklist_flush(struct blocklist *bl);

/* The same for either list. */
int list_add(struct blocklist *bl, enum ti_list which, const char *cidr,
	     uint32_t ttl_s, char *err, size_t errlen);
int list_add_cidr(struct blocklist *bl, enum ti_list which,
		  const struct ti_cidr *c, uint32_t ttl_s);
int list_del(struct blocklist *bl, enum ti_list which, const char *cidr,
	     char *err, size_t errlen);
int list_walk(struct blocklist *bl, enum ti_list which,
	      int (*cb)(void *ctx, const struct blocklist_entry *e), void *ctx);
int list_flush(struct blocklist *bl, enum ti_list which);
/* Delete expired entries of both lists; returns how many. */
int blocklist_gc(struct blocklist *bl);
/* Is this address (family, network-order bytes) on the live allowlist? */
bool allowlist_contains(struct blocklist *bl, uint16_t family,
			const uint8_t *addr);

#endif
