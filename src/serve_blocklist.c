// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_blocklist.c - the daemon's blocklist endpoints on the pinned
 * blocklist (blocklist.h): the same entries `tcpinspect block` manages and
 * the packet inspector enforces. When the pinned maps cannot be opened
 * every call answers 503 with the reason, and inspect reports "blocked":
 * false.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "blocklist.h"
#include "log.h"
#include "serve_blocklist.h"

/* HTTP threads and the main loop (enforcement) share the map handles. */
static pthread_mutex_t bl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blocklist bl = { .fd = { -1, -1 } };

#define UNAVAILABLE "the blocklist is not available (pinned maps under %s could not be opened)"

void serve_blocklist_init(struct serve_ctx *sc)
{
	pthread_mutex_lock(&bl_lock);
	sc->blocklist_ok = !blocklist_open(&bl);
	pthread_mutex_unlock(&bl_lock);
	if (!sc->blocklist_ok)
		log_warn("blocklist endpoints disabled: cannot open the pinned blocklist under %s",
			 blocklist_pin_dir());
}

void serve_blocklist_close(struct serve_ctx *sc)
{
	pthread_mutex_lock(&bl_lock);
	if (sc->blocklist_ok)
		blocklist_close(&bl);
	sc->blocklist_ok = false;
	pthread_mutex_unlock(&bl_lock);
}

static void entry_json(struct jw *w, const struct blocklist_entry *e)
{
	char t[48];
	time_t added = (time_t)e->added;
	struct tm tm;

	jw_str(w, "cidr", e->cidr);
	jw_u64(w, "hits", e->hits);
	jw_u64(w, "bytes", e->bytes);
	if (e->added && gmtime_r(&added, &tm)) {
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
		jw_str(w, "added", t);
	}
	if (e->expires) {
		time_t now = time(NULL);

		jw_dbl(w, "expires_in_s", e->expires > (uint64_t)now ?
						  (double)(e->expires - (uint64_t)now) : 0);
	}
}

static int list_cb(void *ctx, const struct blocklist_entry *e)
{
	struct jw *w = ctx;

	jw_obj_begin(w);
	entry_json(w, e);
	jw_obj_end(w);
	return 0;
}

int serve_blocklist_list(struct serve_ctx *sc, struct jw *w, char *err, size_t errlen)
{
	int ret;

	if (!sc->blocklist_ok) {
		snprintf(err, errlen, UNAVAILABLE, blocklist_pin_dir());
		return 503;
	}
	jw_obj_begin(w);
	jw_arr_begin(w, "entries");
	pthread_mutex_lock(&bl_lock);
	ret = blocklist_list(&bl, list_cb, w);
	pthread_mutex_unlock(&bl_lock);
	jw_arr_end(w);
	jw_obj_end(w);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the blocklist: %s", errstr(ret));
		return 500;
	}
	return 200;
}

struct find_ctx {
	const struct ti_cidr *want;   /* an exact entry, or */
	const struct model_addr *addr; /* an address the entry covers */
	struct blocklist_entry found;
	bool hit;
};

static bool covers(const struct blocklist_entry *e, const struct model_addr *a)
{
	struct ti_cidr c;
	char err[128];

	if (parse_cidr(e->cidr, &c, err, sizeof(err)) || c.family != a->family)
		return false;
	for (unsigned int bit = 0; bit < c.prefix_len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((c.addr[bit / 8] & m) != (a->b[bit / 8] & m))
			return false;
	}
	return true;
}

static int find_cb(void *ctx, const struct blocklist_entry *e)
{
	struct find_ctx *f = ctx;
	bool match;

	if (f->want) {
		struct ti_cidr c;
		char err[128];

		match = !parse_cidr(e->cidr, &c, err, sizeof(err)) &&
			c.family == f->want->family && c.prefix_len == f->want->prefix_len &&
			!memcmp(c.addr, f->want->addr, sizeof(c.addr));
	} else {
		match = covers(e, f->addr);
	}
	if (!match)
		return 0;
	/* The most specific entry covering an address is the one that acts. */
	if (!f->hit || e->prefix_len > f->found.prefix_len)
		f->found = *e;
	f->hit = true;
	return f->want ? 1 : 0;
}

int serve_blocklist_add(struct serve_ctx *sc, const struct api_block_req *br,
			struct jw *w, char *err, size_t errlen)
{
	struct find_ctx f = {};
	struct ti_cidr c;
	int ret;

	if (!sc->blocklist_ok) {
		snprintf(err, errlen, UNAVAILABLE, blocklist_pin_dir());
		return 503;
	}
	if (parse_cidr(br->cidr, &c, err, errlen))
		return 400;
	if (br->ttl_s > UINT32_MAX) {
		snprintf(err, errlen, "ttl_s too large");
		return 400;
	}
	f.want = &c;
	pthread_mutex_lock(&bl_lock);
	ret = blocklist_add(&bl, br->cidr, (uint32_t)br->ttl_s, err, errlen);
	if (!ret)
		blocklist_list(&bl, find_cb, &f);
	pthread_mutex_unlock(&bl_lock);
	if (ret == -EINVAL)
		return 400;
	if (ret) {
		snprintf(err, errlen, "cannot add %s to the blocklist: %s", br->cidr, errstr(ret));
		return 500;
	}
	jw_obj_begin(w);
	if (f.hit) {
		entry_json(w, &f.found);
	} else {
		jw_str(w, "cidr", br->cidr);
	}
	if (br->ttl_s)
		jw_u64(w, "ttl_s", br->ttl_s);
	if (br->reason[0])
		jw_str(w, "reason", br->reason);
	jw_obj_end(w);
	log_info("blocklist: added %s%s%s", br->cidr, br->reason[0] ? " - " : "", br->reason);
	return 201;
}

int serve_blocklist_del(struct serve_ctx *sc, const struct api_block_req *br,
			struct jw *w, char *err, size_t errlen)
{
	int ret;

	if (!sc->blocklist_ok) {
		snprintf(err, errlen, UNAVAILABLE, blocklist_pin_dir());
		return 503;
	}
	pthread_mutex_lock(&bl_lock);
	ret = blocklist_del(&bl, br->cidr, err, errlen);
	pthread_mutex_unlock(&bl_lock);
	if (ret == -EINVAL)
		return 400;
	if (ret == -ENOENT) {
		snprintf(err, errlen, "%s is not on the blocklist", br->cidr);
		return 404;
	}
	if (ret) {
		snprintf(err, errlen, "cannot remove %s from the blocklist: %s", br->cidr,
			 errstr(ret));
		return 500;
	}
	jw_obj_begin(w);
	jw_str(w, "cidr", br->cidr);
	jw_obj_end(w);
	log_info("blocklist: removed %s", br->cidr);
	return 200;
}

void serve_blocklist_status_json(struct serve_ctx *sc, const struct model_addr *a,
				 struct jw *w)
{
	struct find_ctx f = { .addr = a };

	if (sc->blocklist_ok) {
		pthread_mutex_lock(&bl_lock);
		blocklist_list(&bl, find_cb, &f);
		pthread_mutex_unlock(&bl_lock);
	}
	jw_bool(w, "blocked", f.hit);
	if (f.hit) {
		jw_obj_key(w, "block");
		entry_json(w, &f.found);
		jw_obj_end(w);
	}
}
