/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* system.h - the host environment: privileges, BTF, pseudo file systems,
 * network namespace and interfaces. */
#ifndef TI_SYSTEM_H
#define TI_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define TI_BPFFS "/sys/fs/bpf"
#define TI_TRACEFS "/sys/kernel/tracing"
#define TI_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct ti_iface {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
};

/* 0, or a negative errno with the error already reported. */
int sys_require_root(void);
int sys_require_btf(void);
/* Mount bpffs / tracefs at their usual places when missing. 0 if mounted
 * (already or now), else negative errno. */
int sys_ensure_bpffs(void);
/* Whether path lies on a BPF file system (where objects can be pinned). */
bool sys_on_bpffs(const char *path);
int sys_ensure_tracefs(void);
/* Inode number of this process's network namespace (0 if unknown). */
uint32_t sys_netns_ino(void);
/* Interfaces that are up, loopback excluded. Returns the count. */
int sys_default_ifaces(struct ti_iface *out, int max);
/* Driver name (ethtool), e.g. "veth"; "" if unknown. */
void sys_iface_driver(const char *ifname, char *drv, size_t len);
/* Kernel release string. */
const char *sys_kernel_release(void);

#endif
