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

/* Help text of --user and --no-privdrop, shared by the front ends. */
#define PRIVDROP_USAGE \
	"      --user USER        user to switch to once attached (default:\n" \
	"                         nobody); capabilities are dropped and a\n" \
	"                         seccomp filter installed (docs/security.md)\n" \
	"      --no-privdrop      stay root (debugging only)\n"

/* Which steady state the seccomp allowlist is made for. */
enum privdrop_profile {
	/* Poll ring buffers, read/update maps, write to stdout/stderr. */
	PRIVDROP_PROFILE_WATCH,
	/* WATCH plus serving already-open listening sockets: accept, recv,
	 * send, shutdown, socket options, and starting threads (clone with
	 * CLONE_THREAD only: no fork) for the HTTP server (serve). */
	PRIVDROP_PROFILE_SERVER,
};

/* --user and --no-privdrop as given on a command line. */
struct privdrop_opts {
	const char *user; /* NULL: PRIVDROP_DEFAULT_USER */
	bool off;         /* --no-privdrop */
};

/* getopt_long codes of the two options, out of every command's range. */
enum { PRIVDROP_OPT_USER = 0x7000, PRIVDROP_OPT_OFF };
#define PRIVDROP_LONGOPTS \
	{ "user", required_argument, NULL, PRIVDROP_OPT_USER }, \
	{ "no-privdrop", no_argument, NULL, PRIVDROP_OPT_OFF }

/* Take getopt_long's code c if it is one of PRIVDROP_LONGOPTS. */
bool privdrop_opt(struct privdrop_opts *o, int c, const char *arg);

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

/* Check --user/--no-privdrop (exclusive) and resolve the user into out
 * unless off. Returns 0 or -EINVAL with one error line printed. */
int privdrop_opts_resolve(const struct privdrop_opts *o,
			  struct privdrop_user *out);

/* Let the seccomp filter of the next privdrop_apply_profile() allow
 * openat(dirfd, any name, flags) for exactly this descriptor and these
 * flags (serve reopening its event log in a directory opened before the
 * drop). Other opens still fail with EACCES. */
void privdrop_allow_openat(int dirfd, int flags);
/* Likewise unlinkat(dirfd, any name) (serve removing its pinned links on
 * a clean stop). At most two directories; -ENOSPC beyond. */
int privdrop_allow_unlinkat(int dirfd);

/* privdrop_lookup + privdrop_apply_profile(PRIVDROP_PROFILE_WATCH). */
int privdrop_apply(const char *user);

/* Whether the seccomp filter is relaxed because this is a sanitizer build
 * (LeakSanitizer's exit-time checker needs ptrace and threads). */
bool privdrop_sanitizer_build(void);

#endif
