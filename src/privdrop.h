/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * privdrop.h - least privilege after load: once every BPF object is loaded
 * and attached, a front end gives up root for good.
 *
 *   1. switch to an unprivileged user (default "nobody"): supplementary
 *      groups dropped, real/effective/saved uid and gid changed;
 *   2. empty every capability set, the bounding set and the ambient set
 *      (libcap-ng), no_new_privs, not dumpable (other processes of that
 *      user can neither ptrace us nor take our BPF descriptors from
 *      /proc/PID/fd);
 *   3. install a seccomp allowlist (libseccomp) for the steady state of the
 *      profile: anything else kills the process (and is logged by the
 *      kernel's audit log).
 *
 * File descriptors stay open across all of this: the maps, ring buffers and
 * links the front end holds keep working (reading a map through a held fd
 * needs no capability on Linux >= 6.3, whatever kernel.unprivileged_bpf_disabled
 * says). Closing an XDP or TCX link fd detaches it without any privilege;
 * a classic clsact filter (the fallback on kernels without TCX) would need
 * CAP_NET_ADMIN to remove, so callers must not drop privileges when one is
 * attached (watch keeps root then, with a warning).
 */
#ifndef TI_PRIVDROP_H
#define TI_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#define PRIVDROP_DEFAULT_USER "nobody"

/* Which steady state the seccomp allowlist is made for. */
enum privdrop_profile {
	/* Poll ring buffers, read/update maps, write to stdout/stderr. */
	PRIVDROP_PROFILE_WATCH,
	/* WATCH plus serving already-open listening sockets: accept, recv,
	 * send, shutdown, socket options (serve/top front ends). */
	PRIVDROP_PROFILE_SERVER,
};

struct privdrop_user {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Resolve USER (a name or a numeric uid) before anything is loaded, so a
 * bad --user is a usage error. NULL means PRIVDROP_DEFAULT_USER. Refuses
 * uid 0. Returns 0 or -EINVAL with one error line printed. */
int privdrop_lookup(const char *user, struct privdrop_user *out);

/* Drop to the user, clear capabilities, install the seccomp filter of the
 * profile. All or nothing: on error (logged) the caller must exit, since
 * the process may be half-dropped. Returns 0 or a negative errno. */
int privdrop_apply_profile(const struct privdrop_user *user,
			   enum privdrop_profile profile);

/* privdrop_lookup + privdrop_apply_profile(PRIVDROP_PROFILE_WATCH). */
int privdrop_apply(const char *user);

/* Whether the seccomp filter is relaxed because this is a sanitizer build
 * (LeakSanitizer's exit-time checker needs ptrace and threads). */
bool privdrop_sanitizer_build(void);

#endif
