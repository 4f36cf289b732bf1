// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pinlink.c - pinned packet-program links (see pinlink.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "blocklist.h"
#include "log.h"
#include "pinlink.h"

static int links_path(char *buf, size_t len, const char *ifname)
{
	int n = snprintf(buf, len, "%s/%s%s%s", blocklist_pin_dir(),
			 TI_PIN_LINKS_SUBDIR, ifname ? "/" : "",
			 ifname ? ifname : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pinlink_dir_open(bool create)
{
	char path[PATH_MAX];
	int fd, err;

	err = links_path(path, sizeof(path), NULL);
	if (err)
		return err;
	if (create && mkdir(blocklist_pin_dir(), 0700) && errno != EEXIST) {
		err = -errno;
		log_error("failed to create %s: %s", blocklist_pin_dir(), errstr(err));
		return err;
	}
	if (create && mkdir(path, 0700) && errno != EEXIST) {
		err = -errno;
		log_error("failed to create %s: %s", path, errstr(err));
		return err;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			log_error("failed to open %s: %s", path, errstr(err));
		return err;
	}
	return fd;
}

int pinlink_dir_chown(int dirfd, uid_t uid, gid_t gid)
{
	/* Owner only, whatever a previous run or the umask left. */
	if (fchown(dirfd, uid, gid) || fchmod(dirfd, 0700)) {
		int err = -errno;

		log_error("failed to hand the pinned links directory to uid %u: %s",
			  (unsigned)uid, errstr(err));
		return err;
	}
	return 0;
}

int pinlink_get(const char *ifname)
{
	char path[PATH_MAX];
	int fd, err;

	err = links_path(path, sizeof(path), ifname);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			log_error("failed to open the pinned link %s: %s", path,
				  errstr(err));
		return err;
	}
	return fd;
}

int pinlink_pin(int link_fd, const char *ifname)
{
	char path[PATH_MAX];
	int err;

	err = links_path(path, sizeof(path), ifname);
	if (err)
		return err;
	/* A stale pin (a link whose interface went away) is replaced. */
	if (unlink(path) && errno != ENOENT)
		log_debug("removing the stale pin %s: %s", path, errstr(-errno));
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		log_error("failed to pin the link of %s at %s: %s", ifname, path,
			  errstr(err));
		return err;
	}
	return 0;
}

int pinlink_unpin(int dirfd, const char *ifname)
{
	return unlinkat(dirfd, ifname, 0) ? -errno : 0;
}

int pinlink_detach(const char *ifname)
{
	char path[PATH_MAX];
	int fd, err;

	fd = pinlink_get(ifname);
	if (fd < 0)
		return fd;
	/* Detached now even if a live process still holds the link. A link
	 * whose interface is gone is already detached: ENOLINK is fine. */
	err = bpf_link_detach(fd) && errno != ENOLINK ? -errno : 0;
	close(fd);
	if (err) {
		log_error("failed to detach the link pinned for %s: %s", ifname,
			  errstr(err));
		return err;
	}
	err = links_path(path, sizeof(path), ifname);
	if (!err && unlink(path) && errno != ENOENT) {
		err = -errno;
		log_error("failed to remove %s: %s", path, errstr(err));
	}
	return err;
}

int pinlink_dir_remove_empty(void)
{
	char path[PATH_MAX];
	int err = links_path(path, sizeof(path), NULL);

	if (err)
		return err;
	return rmdir(path) && errno != ENOENT ? -errno : 0;
}
