// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prog_bench - the kernel-side measuring tool of bench/run.sh.
 *
 *   prog_bench run [-n REPEAT] [-r ROUNDS] [-f FRAME] NAME=SPEC...
 *       Per-packet cost of XDP programs with BPF_PROG_TEST_RUN (repeat N)
 *       on the frames of bench/frames.h. Programs are interleaved within a
 *       round and their order rotates every round, so a noisy neighbour
 *       hits all of them alike. SPEC is id:PROG_ID (a loaded program, e.g.
 *       the one a running tcpinspect or xdp-filter attached) or
 *       obj:FILE:PROGRAM (loaded here). -f runs only that frame (e.g.
 *       under perf). Prints one line per sample:
 *         sample NAME FRAME ROUND NS_PER_PACKET XDP_VERDICT
 *
 *   prog_bench attach IFNAME native|generic|tc FILE PROGRAM
 *   prog_bench attach - auto FILE PROGRAM
 *       Load PROGRAM from FILE and attach it to IFNAME (in this network
 *       namespace) with a link, or where its section says (auto: e.g. a
 *       tracepoint); print "attached PROG_ID" and hold the link until
 *       SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "frames.h"

#define MAX_PROGS 8
#define BPF_TCX_INGRESS_NUM 46 /* newer than Debian 12's uapi headers */

struct prog {
	char *name; /* strdup()ed */
	int fd;
	struct bpf_object *obj;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: prog_bench run [-n REPEAT] [-r ROUNDS] [-f FRAME] NAME=id:ID|NAME=obj:FILE:PROG...\n"
		"       prog_bench attach IFNAME native|generic|tc FILE PROG\n"
		"       prog_bench attach - auto FILE PROG\n");
	return 2;
}

static int silent_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

/* Open FILE and load it with only PROGRAM autoloaded (the others may need
 * hooks this kernel lacks). Returns the program fd or -errno. */
static int load_obj_prog(const char *file, const char *progname,
			 struct bpf_object **objp)
{
	struct bpf_program *p, *want = NULL;
	struct bpf_object *obj;
	int err;

	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		return -errno;
	bpf_object__for_each_program(p, obj) {
		bool match = !strcmp(bpf_program__name(p), progname);

		bpf_program__set_autoload(p, match);
		if (match)
			want = p;
	}
	if (!want) {
		fprintf(stderr, "prog_bench: no program '%s' in %s\n", progname, file);
		bpf_object__close(obj);
		return -ENOENT;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "prog_bench: loading %s: %s\n", file, strerror(-err));
		bpf_object__close(obj);
		return err;
	}
	*objp = obj;
	return bpf_program__fd(want);
}

static int open_spec(const char *arg, struct prog *p)
{
	char *eq = strchr(arg, '='), *spec, *colon;
	int err = 0;

	if (!eq)
		return -EINVAL;
	p->name = strndup(arg, (size_t)(eq - arg));
	spec = strdup(eq + 1);
	if (!p->name || !spec) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (!strncmp(spec, "id:", 3)) {
		p->fd = bpf_prog_get_fd_by_id((__u32)strtoul(spec + 3, NULL, 10));
		if (p->fd < 0) {
			err = -errno;
			fprintf(stderr, "prog_bench: program id %s: %s\n", spec + 3,
				strerror(-err));
		}
		goto cleanup;
	}
	if (strncmp(spec, "obj:", 4) || !(colon = strrchr(spec + 4, ':'))) {
		err = -EINVAL;
		goto cleanup;
	}
	*colon = '\0';
	p->fd = load_obj_prog(spec + 4, colon + 1, &p->obj);
	if (p->fd < 0)
		err = p->fd;
cleanup:
	/* The name is the caller's (freed with the program); spec is not. */
	free(spec);
	return err;
}

static void close_progs(struct prog *progs, int n)
{
	for (int k = 0; k < n; k++) {
		/* A program taken by id has no object to close it with. */
		if (!progs[k].obj && progs[k].fd > 0)
			close(progs[k].fd);
		bpf_object__close(progs[k].obj);
		free(progs[k].name);
	}
}

static int cmd_run(int argc, char **argv)
{
	struct prog progs[MAX_PROGS] = {};
	struct pb_frame frames[BF_COUNT];
	unsigned int repeat = 1000000, rounds = 5;
	int nprogs = 0, c, only = -1;

	while ((c = getopt(argc, argv, "n:r:f:")) != -1) {
		if (c == 'n') {
			repeat = (unsigned int)strtoul(optarg, NULL, 10);
		} else if (c == 'r') {
			rounds = (unsigned int)strtoul(optarg, NULL, 10);
		} else if (c == 'f') {
			for (int f = 0; f < BF_COUNT; f++)
				if (!strcmp(optarg, bench_frame_names[f]))
					only = f;
			if (only < 0) {
				fprintf(stderr, "prog_bench: no frame '%s'\n", optarg);
				return usage();
			}
		} else {
			return usage();
		}
	}
	if (!repeat || !rounds || optind >= argc)
		return usage();
	for (; optind < argc && nprogs < MAX_PROGS; optind++, nprogs++)
		if (open_spec(argv[optind], &progs[nprogs])) {
			fprintf(stderr, "prog_bench: bad program '%s'\n", argv[optind]);
			close_progs(progs, nprogs + 1);
			return 1;
		}
	for (int f = 0; f < BF_COUNT; f++)
		bench_build_frame((enum bench_frame)f, &frames[f]);

	for (unsigned int r = 0; r < rounds; r++) {
		for (int f = 0; f < BF_COUNT; f++) {
			if (only >= 0 && f != only)
				continue;
			for (int k = 0; k < nprogs; k++) {
				struct prog *p = &progs[(k + r) % (unsigned int)nprogs];
				LIBBPF_OPTS(bpf_test_run_opts, o,
					    .data_in = frames[f].b,
					    .data_size_in = (__u32)frames[f].len,
					    .repeat = repeat);

				if (bpf_prog_test_run_opts(p->fd, &o)) {
					fprintf(stderr, "prog_bench: test run of %s on %s: %s\n",
						p->name, bench_frame_names[f],
						strerror(errno));
					close_progs(progs, nprogs);
					return 1;
				}
				/* o.duration is the mean ns per repetition. */
				printf("sample %s %s %u %u %u\n", p->name,
				       bench_frame_names[f], r, o.duration,
				       o.retval);
			}
		}
		fflush(stdout);
	}
	close_progs(progs, nprogs);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_attach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	struct bpf_object *obj = NULL;
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	enum bpf_attach_type type = BPF_XDP;
	struct bpf_link *auto_link = NULL;
	unsigned int ifindex = 0;
	int fd, link = -1;

	if (argc != 5)
		return usage();
	if (!strcmp(argv[2], "auto")) {
		fd = load_obj_prog(argv[3], argv[4], &obj);
		if (fd < 0)
			return 1;
		auto_link = bpf_program__attach(
			bpf_object__find_program_by_name(obj, argv[4]));
		if (!auto_link) {
			fprintf(stderr, "prog_bench: attaching %s: %s\n", argv[4],
				strerror(errno));
			return 1;
		}
		goto attached;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "prog_bench: no interface '%s'\n", argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "native"))
		lo.flags = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(argv[2], "generic"))
		lo.flags = XDP_FLAGS_SKB_MODE;
	else if (!strcmp(argv[2], "tc"))
		type = (enum bpf_attach_type)BPF_TCX_INGRESS_NUM;
	else
		return usage();
	fd = load_obj_prog(argv[3], argv[4], &obj);
	if (fd < 0)
		return 1;
	link = bpf_link_create(fd, ifindex, type, type == BPF_XDP ? &lo : NULL);
	if (link < 0) {
		fprintf(stderr, "prog_bench: attaching %s to %s (%s): %s\n", argv[4],
			argv[1], argv[2], strerror(errno));
		return 1;
	}
attached:
	bpf_obj_get_info_by_fd(fd, &info, &info_len);
	printf("attached %u\n", info.id);
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* The link goes with this process: hold it until told to stop. */
	while (!stop)
		pause();
	if (link >= 0)
		close(link);
	bpf_link__destroy(auto_link);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(silent_print);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	return usage();
}
