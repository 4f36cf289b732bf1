/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* maps.h - helpers for reading BPF maps from user space. */
#ifndef TI_MAPS_H
#define TI_MAPS_H

#include <stddef.h>

/* Sum slot 0 of a per-CPU array whose value is a struct of __u64 counters
 * (size bytes) over all possible CPUs into sum. 0 or negative errno. */
int map_percpu_sum_u64(int map_fd, void *sum, size_t size);

/* Entries in a BPF hash map whose keys are key_size bytes (at most
 * TI_MAP_KEY_MAX), by walking its keys: one syscall per entry. Negative
 * errno on bad arguments. */
#define TI_MAP_KEY_MAX 64
long map_count_keys(int map_fd, size_t key_size);

#endif
