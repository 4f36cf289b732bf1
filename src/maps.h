/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* maps.h - helpers for reading BPF maps from user space. */
#ifndef TI_MAPS_H
#define TI_MAPS_H

#include <stddef.h>

/* Sum slot 0 of a per-CPU array whose value is a struct of __u64 counters
 * (size bytes) over all possible CPUs into sum. 0 or negative errno. */
int map_percpu_sum_u64(int map_fd, void *sum, size_t size);

#endif
