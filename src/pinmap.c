// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pinmap.h"

/* Appends "; " and one formatted difference to why. */
static void add_diff(char *why, size_t len, const char *prop, __u32 pinned,
		     __u32 want)
{
	size_t n = len ? strlen(why) : 0;

	if (n >= len)
		return;
	snprintf(why + n, len - n, "%s%s: pinned %u, expected %u",
		 n ? "; " : "", prop, pinned, want);
}

enum pin_verdict pin_layout_compare(const struct pin_layout *pinned,
				    const struct pin_layout *want, char *why,
				    size_t len)
{
	enum pin_verdict v = PIN_SAME;

	if (len)
		why[0] = '\0';
	if (pinned->type != want->type) {
		const char *p = libbpf_bpf_map_type_str(pinned->type);
		const char *w = libbpf_bpf_map_type_str(want->type);
		size_t n = len ? strlen(why) : 0;

		if (n < len)
			snprintf(why + n, len - n, "%smap type: pinned %s (%u), expected %s (%u)",
				 n ? "; " : "", p ? p : "unknown", pinned->type,
				 w ? w : "unknown", want->type);
		v = PIN_REFUSE;
	}
	if (pinned->key_size != want->key_size) {
		add_diff(why, len, "key size", pinned->key_size, want->key_size);
		v = PIN_REFUSE;
	}
	if (pinned->value_size != want->value_size) {
		add_diff(why, len, "value size", pinned->value_size,
			 want->value_size);
		/* Values grow by appending fields: a larger pinned value
		 * holds fields this build does not know. */
		if (pinned->value_size > want->value_size)
			v = PIN_REFUSE;
		else if (v == PIN_SAME)
			v = PIN_MIGRATE;
	}
	if (pinned->max_entries != want->max_entries) {
		add_diff(why, len, "max_entries", pinned->max_entries,
			 want->max_entries);
		if (v == PIN_SAME)
			v = PIN_MIGRATE;
	}
	if (pinned->map_flags != want->map_flags) {
		add_diff(why, len, "map flags", pinned->map_flags,
			 want->map_flags);
		if (v == PIN_SAME)
			v = PIN_MIGRATE;
	}
	return v;
}

/* Copies every entry of src that dst lacks (only_missing) or every entry,
 * zero-extending values to dst's value size (never per-CPU maps: their
 * values are per CPU). Called only with src's value no larger than dst's. Returns the number
 * copied or a negative errno (-E2BIG: dst is full). */
static int copy_entries(int src, int dst, const struct pin_layout *src_l,
			const struct pin_layout *dst_l, bool only_missing)
{
	void *cur = NULL, *next, *val;
	int copied = 0, err = 0;
	/* A walk cannot visit more entries than src holds; the bound stops
	 * a walk that restarts because entries are deleted under it. */
	long limit = (long)src_l->max_entries * 2 + 1;

	next = calloc(2, src_l->key_size);
	val = calloc(1, dst_l->value_size > src_l->value_size ?
			   dst_l->value_size : src_l->value_size);
	if (!next || !val) {
		err = -ENOMEM;
		goto cleanup;
	}
	cur = (char *)next + src_l->key_size;
	for (long i = 0; i < limit; i++) {
		if (bpf_map_get_next_key(src, i ? cur : NULL, next)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		memcpy(cur, next, src_l->key_size);
		if (only_missing && !bpf_map_lookup_elem(dst, cur, val))
			continue;
		memset(val, 0, dst_l->value_size);
		if (bpf_map_lookup_elem(src, cur, val))
			continue; /* deleted meanwhile */
		if (bpf_map_update_elem(dst, cur, val,
					only_missing ? BPF_NOEXIST : BPF_ANY)) {
			if (errno == EEXIST)
				continue;
			err = -errno;
			break;
		}
		copied++;
	}
cleanup:
	free(next);
	free(val);
	return err ? err : copied;
}

static int migrate(int old_fd, const char *path, const char *name,
		   const struct pin_layout *have, const struct pin_layout *want,
		   const char *why)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = want->map_flags);
	char tmp[320];
	int fd, n, late, err;

	fd = bpf_map_create(want->type, name, want->key_size, want->value_size,
			    want->max_entries, &opts);
	if (fd < 0) {
		err = -errno;
		log_error("failed to create a map to migrate %s into: %s", path,
			  errstr(err));
		return err;
	}
	n = copy_entries(old_fd, fd, have, want, false);
	if (n == -E2BIG) {
		log_error("the pinned map %s has more entries than this build's max_entries (%u) (%s): remove entries (tcpinspect block|allow del) with the version that created it, or remove the pin (rm %s) to start an empty list",
			  path, want->max_entries, why, path);
		close(fd);
		return -TI_ELAYOUT;
	}
	if (n < 0) {
		log_error("failed to copy the entries of %s: %s", path,
			  errstr(n));
		close(fd);
		return n;
	}
	/* Pin beside the old one (no dot: bpffs reserves dotted names), then
	 * rename over it: a reader opening the path sees either map, never
	 * none. */
	snprintf(tmp, sizeof(tmp), "%s_migrating_%d", path, (int)getpid());
	if (bpf_obj_pin(fd, tmp)) {
		err = -errno;
		log_error("failed to pin %s: %s", tmp, errstr(err));
		close(fd);
		return err;
	}
	if (rename(tmp, path)) {
		err = -errno;
		log_error("failed to replace %s with the migrated map: %s",
			  path, errstr(err));
		unlink(tmp);
		close(fd);
		return err;
	}
	/* Entries another process added to the old map during the copy. */
	late = copy_entries(old_fd, fd, have, want, true);
	if (late < 0)
		log_warn("entries added to %s during its migration may be missing: %s",
			 path, errstr(late));
	else
		n += late;
	log_info("migrated the pinned map %s to this build's layout (%s): %d entries kept",
		 path, why, n);
	return fd;
}

int pinmap_open(const char *path, const char *name,
		const struct pin_layout *want)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct pin_layout have;
	enum pin_verdict v;
	char why[256];
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			log_error("failed to open the pinned map %s: %s", path,
				  errstr(err));
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		log_error("failed to inspect the pinned map %s: %s", path,
			  errstr(err));
		close(fd);
		return err;
	}
	have = (struct pin_layout){ info.type, info.key_size, info.value_size,
				    info.max_entries, info.map_flags };
	v = pin_layout_compare(&have, want, why, sizeof(why));
	if (v == PIN_SAME)
		return fd;
	if (v == PIN_REFUSE) {
		log_error("the pinned map %s has a layout this build cannot use (%s): left by another version of tcpinspect? Use that version to save its entries if needed (or bpftool map dump pinned %s), then remove the pin (rm %s): a new, empty map is created on the next start",
			  path, why, path, path);
		close(fd);
		return -TI_ELAYOUT;
	}
	err = migrate(fd, path, name, &have, want, why);
	close(fd);
	return err;
}
