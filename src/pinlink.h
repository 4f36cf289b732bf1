/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pinlink.h - packet-program links pinned under <pin dir>/links/IFNAME, so
 * that enforcement (the blocklist in XDP/TC) survives the daemon: serve
 * pins the XDP or TCX link of each interface it attaches to; if serve dies
 * (even SIGKILL) the pin keeps the link, and its program, attached. The
 * next serve finds the pin and swaps its own program in atomically
 * (BPF_LINK_UPDATE): no gap, no second link. A clean stop of serve removes
 * its pins, and `tcpinspect detach` removes what a dead serve left.
 *
 * The links directory is mode 0700 inside the root-only pin directory; it
 * is owned by the user serve drops to, so that serve can still unlink its
 * pins on a clean stop through a descriptor of the directory held from
 * before the drop (no other process of that user can reach it: the parent
 * directory is root's, mode 0700).
 */
#ifndef TI_PINLINK_H
#define TI_PINLINK_H

#include <stdbool.h>
#include <sys/types.h>

#define TI_PIN_LINKS_SUBDIR "links"

/* Open <pin dir>/links (created, mode 0700, if create). Returns a
 * directory descriptor or a negative errno (-ENOENT when absent and not
 * create); errors other than -ENOENT are reported. */
int pinlink_dir_open(bool create);
/* Give the links directory to the user serve will run as. */
int pinlink_dir_chown(int dirfd, uid_t uid, gid_t gid);
/* The link pinned for ifname: a descriptor, or -ENOENT, or another
 * negative errno (reported). */
int pinlink_get(const char *ifname);
/* Pin link_fd as links/ifname (replacing a stale pin). 0 or -errno. */
int pinlink_pin(int link_fd, const char *ifname);
/* Remove the pin links/ifname through dirfd; 0, -ENOENT or -errno. */
int pinlink_unpin(int dirfd, const char *ifname);
/* Detach the link pinned as ifname now (even if a process still holds
 * it) and remove the pin. 0, -ENOENT or -errno (reported). */
int pinlink_detach(const char *ifname);

/* Remove the links directory if it is empty. 0 or -errno. */
int pinlink_dir_remove_empty(void);

#endif
