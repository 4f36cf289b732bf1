// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "log.h"
#include "system.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

int sys_require_root(void)
{
	if (geteuid() != 0) {
		log_error("must run as root (needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON to load and attach eBPF programs)");
		return -EPERM;
	}
	return 0;
}

int sys_require_btf(void)
{
	if (access(TI_VMLINUX_BTF, R_OK)) {
		log_error("kernel BTF not found at %s: tcpinspect needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			  TI_VMLINUX_BTF);
		return -ENOENT;
	}
	return 0;
}

static bool fs_is(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && (long)st.f_type == magic;
}

bool sys_on_bpffs(const char *path)
{
	return fs_is(path, BPF_FS_MAGIC);
}

static int ensure_fs(const char *path, const char *type, long magic)
{
	if (fs_is(path, magic))
		return 0;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (mount(type, path, type, 0, "mode=0700")) {
		int err = -errno;

		log_debug("mount %s on %s: %s", type, path, errstr(err));
		return err;
	}
	log_debug("mounted %s on %s", type, path);
	return 0;
}

int sys_ensure_bpffs(void)
{
	return ensure_fs(TI_BPFFS, "bpf", BPF_FS_MAGIC);
}

int sys_ensure_tracefs(void)
{
	return ensure_fs(TI_TRACEFS, "tracefs", TRACEFS_MAGIC);
}

uint32_t sys_netns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (uint32_t)st.st_ino;
}

int sys_default_ifaces(struct ti_iface *out, int max)
{
	struct if_nameindex *names, *n;
	int count = 0, fd;

	names = if_nameindex();
	if (!names)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (n = names; n->if_index && count < max; n++) {
		struct ifreq ifr = {};

		if (fd < 0)
			break;
		strncpy(ifr.ifr_name, n->if_name, IF_NAMESIZE - 1);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr))
			continue;
		if (!(ifr.ifr_flags & IFF_UP) || (ifr.ifr_flags & IFF_LOOPBACK))
			continue;
		strncpy(out[count].name, n->if_name, IF_NAMESIZE - 1);
		out[count].name[IF_NAMESIZE - 1] = '\0';
		out[count].ifindex = n->if_index;
		count++;
	}
	if (fd >= 0)
		close(fd);
	if_freenameindex(names);
	return count;
}

void sys_iface_driver(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd;

	drv[0] = '\0';
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	strncpy(ifr.ifr_name, ifname, IF_NAMESIZE - 1);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr)) {
		strncpy(drv, info.driver, len - 1);
		drv[len - 1] = '\0';
	}
	close(fd);
}

const char *sys_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "unknown";
	return u.release;
}
