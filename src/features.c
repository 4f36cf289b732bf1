// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * features.c - `tcpinspect features`: load and attach one minimal program of
 * each kind tcpinspect may use (probe.bpf.c) and report what this kernel
 * allows and which hooks tcpinspect will use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cliopts.h"
#include "commands.h"
#include "conn.skel.h"
#include "conns.skel.h"
#include "inspector.h"
#include "inspector.skel.h"
#include "log.h"
#include "maps.h"
#include "opts.h"
#include "output.h"
#include "probe.skel.h"
#include "system.h"

#define TI_BPF_TCX_INGRESS 46
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

enum probe_kind {
	PK_XDP_NATIVE,
	PK_XDP_GENERIC,
	PK_TC,
	PK_TRACEPOINT,
	PK_AUTO,     /* bpf_program__attach by section name */
	PK_SOCKOPS,
	PK_ITER,
	PK_UPROBE,
	PK_RINGBUF,
};

struct feature {
	const char *name;
	const char *prog;  /* program in probe.bpf.c */
	enum probe_kind kind;
	const char *use;   /* what tcpinspect uses it for */
	int available;     /* 1 yes, 0 no, -1 not tried */
	char detail[160];
};

static struct feature features[] = {
	{ .name = "xdp-native", .prog = "probe_xdp", .kind = PK_XDP_NATIVE, .use = "packet inspection at line rate (driver XDP)" },
	{ .name = "xdp-generic", .prog = "probe_xdp", .kind = PK_XDP_GENERIC, .use = "packet inspection where the driver has no XDP" },
	{ .name = "tc", .prog = "probe_tc", .kind = PK_TC, .use = "packet inspection at TC ingress (veth, fallback)" },
	{ .name = "tracepoint", .prog = "probe_tracepoint", .kind = PK_TRACEPOINT, .use = "connection events (fallback)" },
	{ .name = "tp_btf", .prog = "probe_tp_btf", .kind = PK_AUTO, .use = "connection events (preferred)" },
	{ .name = "raw_tracepoint", .prog = "probe_raw_tp", .kind = PK_AUTO, .use = "-" },
	{ .name = "kprobe", .prog = "probe_kprobe", .kind = PK_AUTO, .use = "not required; never used" },
	{ .name = "fentry", .prog = "probe_fentry", .kind = PK_AUTO, .use = "not required; never used" },
	{ .name = "sockops", .prog = "probe_sockops", .kind = PK_SOCKOPS, .use = "-" },
	{ .name = "iter/tcp", .prog = "probe_iter_tcp", .kind = PK_ITER, .use = "socket snapshots" },
	{ .name = "uprobe", .prog = "probe_uprobe", .kind = PK_UPROBE, .use = "-" },
	{ .name = "ringbuf", .prog = NULL, .kind = PK_RINGBUF, .use = "event transport to user space" },
};

/* Target for the uprobe probe; must stay a real, exported function. */
__attribute__((noinline, used)) int ti_uprobe_target(int x);
__attribute__((noinline, used)) int ti_uprobe_target(int x)
{
	__asm__ __volatile__("" ::: "memory");
	return x + 1;
}

static int cgroup2_fd(void)
{
	static const char *const paths[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct statfs st;

		if (!statfs(paths[i], &st) && (long)st.f_type == CGROUP2_SUPER_MAGIC)
			return open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	errno = ENOENT;
	return -1;
}

static int try_attach(struct feature *f, struct bpf_program *prog,
		      const char *ifname, unsigned int ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, xopts);
	struct bpf_link *link = NULL;
	int fd, err = 0;

	switch (f->kind) {
	case PK_XDP_NATIVE:
	case PK_XDP_GENERIC:
		xopts.flags = f->kind == PK_XDP_NATIVE ? XDP_FLAGS_DRV_MODE
						       : XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, &xopts);
		if (fd < 0)
			return -errno;
		close(fd);
		snprintf(f->detail, sizeof(f->detail), "attached to %s", ifname);
		return 0;
	case PK_TC:
		fd = bpf_link_create(bpf_program__fd(prog), ifindex,
				     (enum bpf_attach_type)TI_BPF_TCX_INGRESS, NULL);
		if (fd < 0) {
			snprintf(f->detail, sizeof(f->detail),
				 "TCX link unavailable (%s): clsact filter will be used",
				 errstr(errno));
			return 0;
		}
		close(fd);
		snprintf(f->detail, sizeof(f->detail), "TCX link attached to %s", ifname);
		return 0;
	case PK_TRACEPOINT:
		err = sys_ensure_tracefs();
		if (err)
			return err;
		/* fallthrough */
	case PK_AUTO:
		link = bpf_program__attach(prog);
		break;
	case PK_SOCKOPS:
		fd = cgroup2_fd();
		if (fd < 0)
			return -errno;
		link = bpf_program__attach_cgroup(prog, fd);
		err = -errno;
		close(fd);
		if (!link)
			return err;
		break;
	case PK_ITER: {
		char buf[256];
		int ifd;

		link = bpf_program__attach_iter(prog, NULL);
		if (!link)
			return -errno;
		ifd = bpf_iter_create(bpf_link__fd(link));
		if (ifd < 0) {
			err = -errno;
			bpf_link__destroy(link);
			return err;
		}
		while (read(ifd, buf, sizeof(buf)) > 0)
			;
		close(ifd);
		break;
	}
	case PK_UPROBE: {
		LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "ti_uprobe_target");

		link = bpf_program__attach_uprobe_opts(prog, getpid(), "/proc/self/exe",
						       0, &uopts);
		if (link)
			ti_uprobe_target(1);
		break;
	}
	default:
		return -EINVAL;
	}
	if (!link)
		return -errno;
	bpf_link__destroy(link);
	return 0;
}

static void probe_one(struct feature *f, const char *ifname, unsigned int ifindex)
{
	struct probe_bpf *skel;
	struct bpf_program *p, *target = NULL;
	int err;

	f->detail[0] = '\0';
	if (f->kind == PK_RINGBUF) {
		f->available = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
		return;
	}
	if (f->kind == PK_XDP_NATIVE && !ifindex) {
		f->available = -1;
		snprintf(f->detail, sizeof(f->detail),
			 "depends on the driver: not tried (use -i IFACE)");
		return;
	}
	skel = probe_bpf__open();
	if (!skel) {
		f->available = 0;
		snprintf(f->detail, sizeof(f->detail), "open: %s", errstr(errno));
		return;
	}
	bpf_object__for_each_program(p, skel->obj) {
		bool me = !strcmp(bpf_program__name(p), f->prog);

		bpf_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	err = probe_bpf__load(skel);
	if (err) {
		f->available = 0;
		snprintf(f->detail, sizeof(f->detail), "load: %s", errstr(err));
		goto out;
	}
	err = try_attach(f, target, ifname, ifindex);
	if (err) {
		f->available = 0;
		snprintf(f->detail, sizeof(f->detail), "attach: %s", errstr(err));
		goto out;
	}
	f->available = 1;
out:
	probe_bpf__destroy(skel);
}

static struct feature *find_feature(const char *name)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (!strcmp(features[i].name, name))
			return &features[i];
	return NULL;
}

/* What `watch` would do on an interface in auto mode. */
static const char *planned_mode(const char *ifname, char *why, size_t len)
{
	char drv[32];

	sys_iface_driver(ifname, drv, sizeof(drv));
	if (!strcmp(drv, "veth") || !strcmp(ifname, "lo")) {
		snprintf(why, len, "%s: TC keeps GSO/TSO; native XDP on veth strips the peer's GSO",
			 drv[0] ? drv : "loopback");
		return "tc";
	}
	snprintf(why, len, "driver %s: native XDP if it supports it, else generic XDP, else tc",
		 drv[0] ? drv : "unknown");
	return "xdp-native";
}

/*
 * Create the maps of one program file as `watch` would at defaults (no
 * program is loaded: nothing to verify) and record their memory. Returns 0
 * or a negative errno; the object is closed again.
 */
static int map_memory_of(struct bpf_object *obj, const char *object)
{
	struct bpf_program *prog;
	int err;

	if (!obj)
		return -errno;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	err = bpf_object__load(obj);
	if (!err)
		err = map_mem_record(obj, object);
	if (err)
		log_warn("no map memory for %s: failed to create its maps: %s",
			 object, errstr(err));
	return err;
}

static void record_map_memory(void)
{
	struct inspector_bpf *ins = inspector_bpf__open();
	struct conn_bpf *conn = conn_bpf__open();
	struct conns_bpf *conns = conns_bpf__open();

	map_mem_reset();
	/* Sized as a default watch (no --all-packets) sizes it. */
	if (ins)
		bpf_map__set_max_entries(ins->maps.ti_pkt_events,
					 inspector_pkt_ring_bytes(false));
	map_memory_of(ins ? ins->obj : NULL, "inspector");
	map_memory_of(conn ? conn->obj : NULL, "conn");
	map_memory_of(conns ? conns->obj : NULL, "conns");
	conns_bpf__destroy(conns);
	conn_bpf__destroy(conn);
	inspector_bpf__destroy(ins);
}

static void features_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpinspect features [-i IFACE] [--json]\n"
		"Probe which eBPF program and attach types this kernel supports and\n"
		"show the hooks tcpinspect will use. With -i, XDP (native and generic)\n"
		"and TC are attached to IFACE for a moment (a no-op program);\n"
		"without it, generic XDP and TC are tried on lo.\n");
}

/* The options of features: one interface at most, the last -i wins. */
struct features_opts {
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	bool have_iface;
	bool json;
};

static int features_own_opt(void *opts, int key, const char *arg)
{
	struct features_opts *o = opts;

	(void)key; /* -i */
	if (opt_iface("--interface", arg, o->ifname, &o->ifindex))
		return -EINVAL;
	o->have_iface = true;
	return 0;
}

int cmd_features(int argc, char **argv)
{
	static const struct cliopt opts[] = {
		{ "interface", 'i', CLIOPT_T_OWN, 0, 0, 0, 0 },
		CLIOPT_JSON(struct features_opts, json),
		CLIOPT_HELP,
	};
	static const struct clicmd cmd = {
		.name = "features", .opts = opts, .n_opts = ARRAY_SIZE(opts),
		.own = features_own_opt, .usage = features_usage,
	};
	struct features_opts o = { .ifname = "lo" };
	struct ti_iface ifaces[TI_MAX_IFACES];
	char *ifname = o.ifname;
	unsigned int ifindex;
	bool json, have_iface;
	int n_if;
	size_t nf = sizeof(features) / sizeof(features[0]);
	struct feature *btf_f, *tp_f;

	if (cliopts_parse(&cmd, argc, argv, &o) < 0)
		return TI_EXIT_USAGE;
	ifindex = o.ifindex;
	json = o.json;
	have_iface = o.have_iface;
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return TI_EXIT_USAGE;
	}
	if (sys_require_root() || sys_require_btf())
		return TI_EXIT_ENV;
	sys_ensure_bpffs();
	if (!have_iface)
		ifindex = if_nametoindex("lo");

	for (size_t i = 0; i < nf; i++)
		probe_one(&features[i], ifname, have_iface ? ifindex :
			  (features[i].kind == PK_XDP_NATIVE ? 0 : ifindex));

	record_map_memory();
	btf_f = find_feature("tp_btf");
	tp_f = find_feature("tracepoint");
	const char *conn_hook = btf_f->available == 1 ? "tp_btf" :
				tp_f->available == 1 ? "tracepoint" : "none";

	if (have_iface) {
		n_if = 1;
		strcpy(ifaces[0].name, ifname);
		ifaces[0].ifindex = ifindex;
	} else {
		n_if = sys_default_ifaces(ifaces, TI_MAX_IFACES);
	}

	if (json) {
		struct jw w = {};
		char why[160];

		jw_obj_begin(&w);
		jw_str(&w, "kernel", sys_kernel_release());
		jw_bool(&w, "btf", true);
		jw_arr_begin(&w, "features");
		for (size_t i = 0; i < nf; i++) {
			jw_obj_begin(&w);
			jw_str(&w, "name", features[i].name);
			if (features[i].available < 0)
				jw_str(&w, "available", "not tried");
			else
				jw_bool(&w, "available", features[i].available == 1);
			jw_str(&w, "detail", features[i].detail);
			jw_str(&w, "used_for", features[i].use);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_key(&w, "plan");
		jw_arr_begin(&w, "packets");
		for (int i = 0; i < n_if; i++) {
			jw_obj_begin(&w);
			jw_str(&w, "ifname", ifaces[i].name);
			jw_str(&w, "mode", planned_mode(ifaces[i].name, why, sizeof(why)));
			jw_str(&w, "why", why);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_str(&w, "connections", conn_hook);
		jw_bool(&w, "kprobes_required", false);
		jw_obj_end(&w);
		map_mem_json(&w);
		jw_obj_end(&w);
		jw_flush_line(&w, stdout);
		jw_free(&w);
		return TI_EXIT_OK;
	}

	printf("kernel %s, BTF at %s\n\n", sys_kernel_release(), TI_VMLINUX_BTF);
	printf("%-15s %-10s %-50s %s\n", "FEATURE", "AVAILABLE", "USED FOR", "DETAIL");
	for (size_t i = 0; i < nf; i++)
		printf("%-15s %-10s %-50s %s\n", features[i].name,
		       features[i].available < 0 ? "not tried" :
		       features[i].available ? "yes" : "no",
		       features[i].use, features[i].detail);
	printf("\ntcpinspect will use:\n");
	for (int i = 0; i < n_if; i++) {
		char why[160];
		const char *m = planned_mode(ifaces[i].name, why, sizeof(why));

		printf("  packets on %-10s %s (%s)\n", ifaces[i].name, m, why);
	}
	if (!n_if)
		printf("  packets: no interface is up (name one with watch -i)\n");
	printf("  connection events: %s\n", conn_hook);
	printf("  kprobe/fentry: not required (%s here)\n",
	       find_feature("kprobe")->available == 1 ? "available" : "unavailable");
	printf("\nKernel memory of the maps at defaults (watch):\n");
	map_mem_text(stdout);
	return TI_EXIT_OK;
}
