// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * event_pipeline - throughput of tcpinspect's event path at saturation:
 * kernel ring buffer -> libbpf consumer -> event_json() -> /dev/null.
 *
 *   event_pipeline [-d SECONDS] [-n BATCH]
 *
 * The packet inspector is loaded with cfg_all_packets (every TCP segment is
 * an event) and driven by BPF_PROG_TEST_RUN on a data frame, BATCH
 * repetitions per call, for SECONDS, while a second thread decodes with the
 * same code as `watch --json` (session.c's validation, events.c, the jw_*
 * writer) into /dev/null. The producer outruns the consumer on purpose: the
 * decode rate is then the consumer's ceiling, and the kernel's drop counter
 * must account for every event that was not delivered.
 * BATCH is large (65536) because each test-run call with repeat > 1 has a
 * fixed cost that can dwarf the runs: the kernel switches the XDP
 * dispatcher to the program and back (bpf_prog_change_xdp in
 * net/bpf/test_run.c), and each switch waits for an RCU grace period,
 * measured at 17-19 ms per call on the reference VM. With 4096 repeats a
 * call, the producer then made only ~0.23 M events/s and the figure measured
 * that wait, not the pipeline (no drop: the consumer was idle 84 % of the
 * time).
 * Prints "key value" lines, among them the consumer thread's CPU time per
 * event delivered (ring buffer, decoding, writing).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspector.skel.h"
#include "events.h"
#include "frames.h"
#include "maps.h"
#include "output.h"

/* The consumer's stdio buffer, sized like tcpinspect watch's (src/watch.c). */
static char out_buf[64 << 10];

struct consumer {
	struct ring_buffer *rb;
	FILE *out;
	struct jw jw;
	uint64_t delivered;
	uint64_t invalid;
	uint64_t bytes_out;
	uint64_t cpu_ns; /* the consumer thread's CPU time (user + system) */
	atomic_bool stop;
};

static const char *ifname_of(unsigned int ifindex)
{
	(void)ifindex;
	return "bench0";
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;

	if (!event_valid(data, size)) {
		c->invalid++;
		return 0;
	}
	event_json(&c->jw, data, ifname_of);
	c->bytes_out += c->jw.len + 1;
	jw_flush_line(&c->jw, c->out);
	c->delivered++;
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *consume(void *arg)
{
	struct consumer *c = arg;
	uint64_t cpu0 = thread_cpu_ns();

	/* As `watch` does: a full buffer, flushed once per poll, and the
	 * ring drained at every tick (the program wakes the reader only once
	 * a quarter of the ring is waiting: ring_wake.bpf.h). */
	while (!atomic_load(&c->stop)) {
		ring_buffer__poll(c->rb, 10);
		ring_buffer__consume(c->rb);
		fflush(c->out);
	}
	/* Producer done: deliver everything still queued. */
	while (ring_buffer__consume(c->rb) > 0)
		;
	fflush(c->out);
	c->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct consumer c = {};
	struct ti_pkt_counters cnt;
	struct inspector_bpf *skel;
	struct pb_frame frame;
	double seconds = 2.0, t0, t_prod, t_end;
	unsigned int batch = 65536;
	uint64_t runs = 0;
	pthread_t th;
	int opt, fd;

	while ((opt = getopt(argc, argv, "d:n:")) != -1) {
		if (opt == 'd')
			seconds = atof(optarg);
		else if (opt == 'n')
			batch = (unsigned int)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: event_pipeline [-d SECONDS] [-n BATCH]\n");
			return 2;
		}
	}
	if (seconds <= 0 || !batch) {
		fprintf(stderr, "event_pipeline: -d and -n must be positive\n");
		return 2;
	}
	clock_init();
	skel = inspector_bpf__open();
	if (!skel) {
		fprintf(stderr, "event_pipeline: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->cfg_all_packets = true;
	if (inspector_bpf__load(skel)) {
		fprintf(stderr, "event_pipeline: load failed (root? BTF?)\n");
		inspector_bpf__destroy(skel);
		return 1;
	}
	c.out = fopen("/dev/null", "w");
	if (c.out)
		setvbuf(c.out, out_buf, _IOFBF, sizeof(out_buf));
	c.rb = ring_buffer__new(bpf_map__fd(skel->maps.ti_pkt_events), on_record,
				&c, NULL);
	if (!c.out || !c.rb) {
		fprintf(stderr, "event_pipeline: setup: %s\n", strerror(errno));
		return 1;
	}
	bench_build_frame(BF_V4_DATA, &frame);
	fd = bpf_program__fd(skel->progs.ti_xdp);

	if (pthread_create(&th, NULL, consume, &c)) {
		fprintf(stderr, "event_pipeline: thread: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame.b,
			    .data_size_in = (__u32)frame.len, .repeat = batch);

		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "event_pipeline: test run: %s\n", strerror(errno));
			atomic_store(&c.stop, true);
			pthread_join(th, NULL);
			return 1;
		}
		runs += batch;
	} while (now_s() - t0 < seconds);
	t_prod = now_s();
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	t_end = now_s();

	map_percpu_sum_u64(bpf_map__fd(skel->maps.ti_pkt_stats), &cnt, sizeof(cnt));
	printf("produced %llu\n", (unsigned long long)runs);
	printf("events_sent %llu\n", (unsigned long long)cnt.events_sent);
	printf("events_dropped %llu\n", (unsigned long long)cnt.events_dropped);
	printf("delivered %llu\n", (unsigned long long)c.delivered);
	printf("invalid %llu\n", (unsigned long long)c.invalid);
	printf("unaccounted %lld\n",
	       (long long)(runs - c.delivered - c.invalid - cnt.events_dropped));
	printf("producer_s %.3f\n", t_prod - t0);
	printf("elapsed_s %.3f\n", t_end - t0);
	printf("produced_per_s %.0f\n", (double)runs / (t_prod - t0));
	printf("delivered_per_s %.0f\n", (double)c.delivered / (t_end - t0));
	/* CPU per event decoded: less sensitive than the rate to what else
	 * the machine runs, which only delays the consumer. */
	printf("consumer_cpu_ns_per_event %.0f\n",
	       c.delivered ? (double)c.cpu_ns / (double)c.delivered : 0.0);
	printf("json_bytes_per_event %.1f\n",
	       c.delivered ? (double)c.bytes_out / (double)c.delivered : 0.0);

	ring_buffer__free(c.rb);
	jw_free(&c.jw);
	fclose(c.out);
	inspector_bpf__destroy(skel);
	return 0;
}
