// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring_cost - what one ring-buffer record costs a BPF program, with warm
 * and with cold caches (bench/ring_cost.bpf.c).
 *
 *   ring_cost [-n RUNS] [-r ROUNDS] [-c KIB[,KIB...]] OBJECT
 *
 * A tracepoint program that sends an event runs between long stretches of
 * the TCP stack, which evict what the record touches (the ring's lock and
 * positions, the record's lines, their TLB entries). A test run with
 * repeat N measures the opposite: every line stays hot. So each sample here
 * is BPF_PROG_TEST_RUN with repeat 1 (which also avoids the XDP dispatcher
 * switch, and its RCU wait, of repeat > 1), RUNS times per program: "warm"
 * with nothing in between, and for each -c size (default 4096,16384: more
 * than the reference VM's 1 MiB per-core L2, and half its L3) "coldKIB",
 * where the caller writes that much memory before every run. Programs are
 * interleaved and their order rotates per round. A reader thread on another
 * CPU drains both rings every 2 ms, as `watch` does.
 * Prints "key value" lines and one line per sample:
 *   sample STATE PROGRAM ROUND MEDIAN_NS
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PROG_COUNT 3
#define READER_SLEEP_US 2000 /* session_cfg.batch_us of watch */
#define MAX_COLD_SIZES 4

static const char *const prog_names[PROG_COUNT] = { "ring_empty", "ring_rec_256k",
						    "ring_rec_1m" };

struct reader {
	struct ring_buffer *rb;
	atomic_bool stop;
	unsigned long long records;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct reader *r = ctx;

	(void)data;
	(void)size;
	r->records++;
	return 0;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: on one CPU both threads share it. */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *drain(void *arg)
{
	struct reader *r = arg;

	pin_to_cpu(1);
	while (!atomic_load(&r->stop)) {
		ring_buffer__consume(r->rb);
		usleep(READER_SLEEP_US);
	}
	ring_buffer__consume(r->rb);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median ns of runs single test runs of fd, each after dirtying cold
 * bytes of buf (none when cold is 0). */
static int sample(int fd, unsigned int runs, volatile unsigned char *buf,
		  size_t cold, __u32 *scratch, __u32 *median)
{
	unsigned char frame[64] = { 0 };

	for (unsigned int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = sizeof(frame), .repeat = 1);

		for (size_t off = 0; off < cold; off += 64)
			buf[off]++;
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		scratch[i] = o.duration;
	}
	qsort(scratch, runs, sizeof(*scratch), cmp_u32);
	*median = scratch[runs / 2];
	return 0;
}

static long cache_kib(const char *index)
{
	char path[128], buf[32];
	FILE *f;
	long kib = -1;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/%s/size", index);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		kib = strtol(buf, NULL, 10); /* "1024K" */
	fclose(f);
	return kib;
}

static int usage(void)
{
	fprintf(stderr, "usage: ring_cost [-n RUNS] [-r ROUNDS] [-c KIB[,KIB...]] OBJECT\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned int runs = 2000, rounds = 3, cold_kib[MAX_COLD_SIZES] = { 4096, 16384 };
	unsigned int cold_count = 2, cold_max = 0;
	struct reader rd = { 0 };
	struct bpf_object *obj = NULL;
	unsigned char *buf = NULL;
	__u32 *scratch = NULL;
	int fds[PROG_COUNT], opt, err, ret = 1;
	bool reader_up = false;
	pthread_t th;

	while ((opt = getopt(argc, argv, "n:r:c:")) != -1) {
		if (opt == 'n')
			runs = (unsigned int)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = (unsigned int)strtoul(optarg, NULL, 10);
		else if (opt == 'c') {
			char *tok, *save = NULL;

			cold_count = 0;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned long v = strtoul(tok, NULL, 10);

				if (cold_count == MAX_COLD_SIZES || !v || v > (1UL << 20))
					return usage();
				cold_kib[cold_count++] = (unsigned int)v;
			}
		} else {
			return usage();
		}
	}
	if (optind != argc - 1 || !runs || !rounds)
		return usage();
	for (unsigned int i = 0; i < cold_count; i++)
		if (cold_kib[i] > cold_max)
			cold_max = cold_kib[i];

	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "ring_cost: opening %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "ring_cost: loading %s: %s\n", argv[optind], strerror(-err));
		goto cleanup;
	}
	for (int p = 0; p < PROG_COUNT; p++) {
		fds[p] = bpf_program__fd(bpf_object__find_program_by_name(obj, prog_names[p]));
		if (fds[p] < 0) {
			fprintf(stderr, "ring_cost: no program %s in %s\n", prog_names[p], argv[optind]);
			goto cleanup;
		}
	}
	rd.rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "ring_256k"), on_record,
				 &rd, NULL);
	if (!rd.rb || ring_buffer__add(rd.rb, bpf_object__find_map_fd_by_name(obj, "ring_1m"),
				       on_record, &rd)) {
		fprintf(stderr, "ring_cost: ring buffer reader: %s\n", strerror(errno));
		goto cleanup;
	}
	buf = calloc(1, ((size_t)cold_max << 10) + 64);
	scratch = calloc(runs, sizeof(*scratch));
	if (!buf || !scratch) {
		fprintf(stderr, "ring_cost: out of memory\n");
		goto cleanup;
	}
	if (pthread_create(&th, NULL, drain, &rd)) {
		fprintf(stderr, "ring_cost: reader thread failed\n");
		goto cleanup;
	}
	reader_up = true;
	pin_to_cpu(0);

	printf("runs %u\nl2_kib %ld\nl3_kib %ld\n", runs, cache_kib("index2"),
	       cache_kib("index3"));
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int state = 0; state <= cold_count; state++) {
			size_t cold = state ? (size_t)cold_kib[state - 1] << 10 : 0;
			char name[32];

			for (int i = 0; i < PROG_COUNT; i++) {
				int p = (int)((i + r) % PROG_COUNT);
				__u32 median = 0;

				err = sample(fds[p], runs, buf, cold, scratch, &median);
				if (err) {
					fprintf(stderr, "ring_cost: test run of %s: %s\n",
						prog_names[p], strerror(-err));
					goto cleanup;
				}
				if (state)
					snprintf(name, sizeof(name), "cold%u", cold_kib[state - 1]);
				else
					snprintf(name, sizeof(name), "warm");
				printf("sample %s %s %u %u\n", name, prog_names[p], r, median);
				fflush(stdout);
			}
		}
	}
	ret = 0;
cleanup:
	if (reader_up) {
		atomic_store(&rd.stop, true);
		pthread_join(th, NULL);
		printf("records_read %llu\n", rd.records);
	}
	if (obj) {
		struct bpf_map *m, *bss = NULL;
		__u64 failed = 0;
		__u32 zero = 0;

		/* libbpf names it after a prefix of the object's name. */
		bpf_object__for_each_map(m, obj) {
			const char *name = bpf_map__name(m);
			size_t len = strlen(name);

			if (len >= 4 && !strcmp(name + len - 4, ".bss"))
				bss = m;
		}
		if (bss && bpf_map__fd(bss) >= 0 &&
		    !bpf_map_lookup_elem(bpf_map__fd(bss), &zero, &failed))
			printf("reservations_failed %llu\n", (unsigned long long)failed);
	}
	ring_buffer__free(rd.rb);
	free(scratch);
	free(buf);
	bpf_object__close(obj);
	return ret;
}
