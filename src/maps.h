/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* maps.h - helpers for reading BPF maps from user space. */
#ifndef TI_MAPS_H
#define TI_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bpf_object;
struct jw;

/* Sum slot 0 of a per-CPU array whose value is a struct of __u64 counters
 * (size bytes) over all possible CPUs into sum. 0 or negative errno. */
int map_percpu_sum_u64(int map_fd, void *sum, size_t size);

/* Entries in a BPF hash map whose keys are key_size bytes (at most
 * TI_MAP_KEY_MAX), by walking its keys: one syscall per entry. Negative
 * errno on bad arguments. */
#define TI_MAP_KEY_MAX 64
long map_count_keys(int map_fd, size_t key_size);
/* Kernel memory of the maps of loaded BPF objects, recorded at start-up
 * (fdinfo may be out of reach once privileges are dropped) and printed by
 * `features` and `watch --summary`. */
#define MAP_MEM_MAX 64 /* more than every object of the tool holds */
#define MAP_MEM_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */

struct map_mem {
	char object[MAP_MEM_NAME_LEN]; /* which program file: inspector, conn... */
	char name[MAP_MEM_NAME_LEN];
	const char *type;              /* libbpf's name: hash, lru_hash, ringbuf... */
	uint32_t max_entries;
	uint64_t bytes;                /* "memlock:" of the map's fdinfo */
};

/* Record every created map of obj under the name object; 0 or -ENOSPC
 * when the record is full (maps past MAP_MEM_MAX are left out). */
int map_mem_record(const struct bpf_object *obj, const char *object);
void map_mem_reset(void);
/* A table (text) or a "maps" array plus "maps_memlock_bytes" (JSON, inside
 * an open object) of what was recorded. */
void map_mem_text(FILE *f);
void map_mem_json(struct jw *w);

#endif
