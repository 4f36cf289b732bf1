// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps.h"
#include "output.h"

int map_percpu_sum_u64(int map_fd, void *sum, size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t nfields = size / sizeof(__u64);
	/* The kernel lays per-CPU values out at 8-byte strides. */
	size_t stride = (size + 7) & ~(size_t)7;
	unsigned char *vals;
	__u32 zero = 0;
	int err = 0;

	memset(sum, 0, size);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, stride);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &zero, vals)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < ncpu; c++) {
		const __u64 *src = (const __u64 *)(vals + (size_t)c * stride);
		__u64 *dst = sum;

		for (size_t f = 0; f < nfields; f++)
			dst[f] += src[f];
	}
out:
	free(vals);
	return err;
}

/* Stop walking after this many keys: a hash map being refilled while it
 * is walked can restart the walk; no map of ours is this large. */
#define TI_MAP_WALK_MAX (10 * 1000 * 1000)

long map_count_keys(int map_fd, size_t key_size)
{
	unsigned char key[TI_MAP_KEY_MAX], next[TI_MAP_KEY_MAX];
	void *prev = NULL;
	long n = 0;

	if (map_fd < 0 || !key_size || key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(map_fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if (++n >= TI_MAP_WALK_MAX)
			break;
	}
	return n;
}

static struct map_mem recorded[MAP_MEM_MAX];
static int n_recorded;

/* Locked memory the kernel charges for a map: "memlock:" in its fdinfo
 * (struct bpf_map_info has no such field in libbpf 1.1). 0 if unknown. */
static uint64_t map_memlock(int fd)
{
	char path[64], line[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

int map_mem_record(const struct bpf_object *obj, const char *object)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		struct map_mem *m;
		const char *type;

		if (bpf_map__fd(map) < 0) /* not created (e.g. never loaded) */
			continue;
		if (n_recorded >= MAP_MEM_MAX)
			return -ENOSPC;
		m = &recorded[n_recorded++];
		snprintf(m->object, sizeof(m->object), "%s", object);
		snprintf(m->name, sizeof(m->name), "%s", bpf_map__name(map));
		type = libbpf_bpf_map_type_str(bpf_map__type(map));
		m->type = type ? type : "unknown";
		m->max_entries = bpf_map__max_entries(map);
		m->bytes = map_memlock(bpf_map__fd(map));
	}
	return 0;
}

void map_mem_reset(void)
{
	n_recorded = 0;
}

void map_mem_text(FILE *f)
{
	uint64_t total = 0;

	fprintf(f, "  %-10s %-16s %-14s %11s %12s\n", "OBJECT", "MAP", "TYPE",
		"MAX_ENTRIES", "BYTES");
	for (int i = 0; i < n_recorded; i++) {
		const struct map_mem *m = &recorded[i];

		fprintf(f, "  %-10s %-16s %-14s %11u %12" PRIu64 "\n", m->object,
			m->name, m->type, m->max_entries, m->bytes);
		total += m->bytes;
	}
	fprintf(f, "  %-10s %-16s %-14s %11s %12" PRIu64 "\n", "total", "", "", "",
		total);
}

void map_mem_json(struct jw *w)
{
	uint64_t total = 0;

	jw_arr_begin(w, "maps");
	for (int i = 0; i < n_recorded; i++) {
		const struct map_mem *m = &recorded[i];

		jw_obj_begin(w);
		jw_str(w, "object", m->object);
		jw_str(w, "name", m->name);
		jw_str(w, "type", m->type);
		jw_u64(w, "max_entries", m->max_entries);
		jw_u64(w, "memlock_bytes", m->bytes);
		jw_obj_end(w);
		total += m->bytes;
	}
	jw_arr_end(w);
	jw_u64(w, "maps_memlock_bytes", total);
}
