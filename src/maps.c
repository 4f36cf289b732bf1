// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps.h"

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
