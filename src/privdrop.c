// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * privdrop.c - give up root after load (see privdrop.h for the model).
 *
 * The seccomp allowlists were found with strace on the steady state of
 * watch (ring-buffer polling, map reads, output, exit and detach) in both
 * connection-hook flavours, text and JSON; see docs/security.md.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sched.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>
#include <cap-ng.h>
#include <seccomp.h>
#include "log.h"
#include "privdrop.h"

#if defined(__SANITIZE_ADDRESS__)
#define TI_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TI_SANITIZER_BUILD 1
#endif
#endif
#ifndef TI_SANITIZER_BUILD
#define TI_SANITIZER_BUILD 0
#endif

bool privdrop_sanitizer_build(void)
{
	return TI_SANITIZER_BUILD;
}

bool privdrop_opt(struct privdrop_opts *o, int c, const char *arg)
{
	if (c == PRIVDROP_OPT_USER)
		o->user = arg;
	else if (c == PRIVDROP_OPT_OFF)
		o->off = true;
	else
		return false;
	return true;
}

int privdrop_opts_resolve(const struct privdrop_opts *o,
			  struct privdrop_user *out)
{
	if (o->off && o->user) {
		log_error("--user and --no-privdrop are exclusive");
		return -EINVAL;
	}
	return o->off ? 0 : privdrop_lookup(o->user, out);
}

/* Files the steady state may still open or remove, through directory
 * descriptors opened before the drop: one directory to open files in (with
 * fixed flags), a few to unlink in. -1: none. */
#define PRIVDROP_MAX_UNLINK_DIRS 2
static int open_dirfd = -1, open_flags;
static int unlink_dirfds[PRIVDROP_MAX_UNLINK_DIRS] = { -1, -1 };

void privdrop_allow_openat(int dirfd, int flags)
{
	open_dirfd = dirfd;
	open_flags = flags;
}

int privdrop_allow_unlinkat(int dirfd)
{
	for (int i = 0; i < PRIVDROP_MAX_UNLINK_DIRS; i++)
		if (unlink_dirfds[i] < 0) {
			unlink_dirfds[i] = dirfd;
			return 0;
		}
	log_error("failed to set up the seccomp filter: more than %d directories to unlink in",
		  PRIVDROP_MAX_UNLINK_DIRS);
	return -ENOSPC;
}

int privdrop_lookup(const char *user, struct privdrop_user *out)
{
	const struct passwd *pw;
	char *end;

	if (!user)
		user = PRIVDROP_DEFAULT_USER;
	if (!*user || strlen(user) >= sizeof(out->name)) {
		log_error("invalid value for --user: '%s'", user);
		return -EINVAL;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw && *user >= '0' && *user <= '9') {
		unsigned long v = strtoul(user, &end, 10);

		if (!*end && v <= 0xfffffffeUL)
			pw = getpwuid((uid_t)v);
	}
	if (!pw) {
		log_error("invalid value for --user: no such user '%s'", user);
		return -EINVAL;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		log_error("invalid value for --user: '%s' is root (uid or gid 0); use --no-privdrop to stay root",
			  user);
		return -EINVAL;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
	return 0;
}

/* Things the steady state would otherwise do lazily, each needing a file
 * the filter no longer lets us open. */
static void prime_lazy_state(void)
{
	struct tm tm;
	time_t now = time(NULL);

	tzset();                     /* /etc/localtime, for local timestamps */
	localtime_r(&now, &tm);
	libbpf_num_possible_cpus();  /* /sys/devices/system/cpu/possible */
}

static int drop_identity(const struct privdrop_user *u)
{
	int err;

	/* Nothing retained: every set empty, including bounding and ambient,
	 * applied while changing the ids (libcap-ng keeps CAP_SETPCAP just
	 * long enough to clear the bounding set, then drops it too). */
	capng_clear(CAPNG_SELECT_ALL);
	err = capng_change_id((int)u->uid, (int)u->gid,
			      CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
				      CAPNG_CLEAR_AMBIENT);
	if (err) {
		log_error("failed to switch to user %s (uid %u): libcap-ng error %d (%s)",
			  u->name, (unsigned)u->uid, err, errstr(errno));
		return -EPERM;
	}
	/* Verify rather than trust: a partial switch must never go unnoticed. */
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg) ||
	    r != u->uid || e != u->uid || s != u->uid || rg != u->gid ||
	    eg != u->gid || sg != u->gid || getgroups(0, NULL) > 1) {
		log_error("failed to switch to user %s: ids did not all change",
			  u->name);
		return -EPERM;
	}
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE) {
		log_error("failed to drop capabilities: some remain after the switch to %s",
			  u->name);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_error("failed to set no_new_privs: %s", errstr(errno));
		return -errno;
	}
	/* Not dumpable: a process of the same (unprivileged) user cannot
	 * ptrace us or open /proc/PID/fd/N to reach the BPF maps. A sanitizer
	 * build stays dumpable because LeakSanitizer ptraces itself at exit. */
	if (prctl(PR_SET_DUMPABLE, TI_SANITIZER_BUILD ? 1 : 0, 0, 0, 0)) {
		log_error("failed to set the dumpable flag: %s", errstr(errno));
		return -errno;
	}
	return 0;
}

/* System calls of every profile's steady state. */
static const int allowed_common[] = {
	/* I/O on descriptors already open (stdout, stderr, epoll, maps). */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3),
	/* Waiting for ring-buffer data and signals. */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(restart_syscall),
	/* Memory (malloc, ring-buffer unmapping at exit). */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mprotect),
	/* Signals and exit. */
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(getrandom),
	SCMP_SYS(uname), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
};

/* Serving sockets that were opened and bound before the drop. */
static const int allowed_server[] = {
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(epoll_create1),
	SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(pipe2),
	/* Thread start-up (the HTTP server's thread starts after the drop, so
	 * that every thread is dropped and filtered): clone itself is only
	 * allowed with CLONE_THREAD, see install_seccomp. */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_getaffinity),
};

/* Lazy library behaviour that must fail softly, not kill: message
 * catalogues for strerror, interface-name lookups. They get EACCES. */
static const int soft_denied[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(socket),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(statx),
};

/* bpf(2) commands on maps we hold; loading programs, creating maps or
 * links, and getting objects by id or path are not allowed. */
static const unsigned int allowed_bpf_cmds[] = {
	BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
	BPF_MAP_GET_NEXT_KEY, BPF_MAP_LOOKUP_BATCH, BPF_MAP_UPDATE_BATCH,
	BPF_MAP_DELETE_BATCH, BPF_MAP_LOOKUP_AND_DELETE_ELEM,
	BPF_OBJ_GET_INFO_BY_FD,
	/* A read of an iterator link created before the drop (listener drop
	 * counters, src/conn_life.c): runs only our own loaded program. */
	BPF_ITER_CREATE,
};

/* ioctl(2) requests: terminal probing by stdio, the terminal size and
 * modes (top: curses sets and restores the modes of its own terminal;
 * TIOCSTI, which could type into it, stays denied), disabling a perf-event
 * tracepoint link when it is closed. */
static const unsigned long allowed_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, PERF_EVENT_IOC_DISABLE,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int add_list(scmp_filter_ctx ctx, uint32_t action, const int *nrs,
		    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* A call this architecture lacks (__NR_SCMP_ERROR) is skipped;
		 * openat has its own rules when a directory is allowed. */
		if (nrs[i] < 0 || (nrs[i] == SCMP_SYS(openat) && open_dirfd >= 0))
			continue;
		int err = seccomp_rule_add(ctx, action, nrs[i], 0);

		if (err)
			return err;
	}
	return 0;
}

/* openat and unlinkat in the directories registered before the drop. */
static int add_dir_rules(scmp_filter_ctx ctx)
{
	const uint32_t deny = SCMP_ACT_ERRNO(EACCES);
	int err = 0;

	for (int i = 0; !err && i < PRIVDROP_MAX_UNLINK_DIRS; i++)
		if (unlink_dirfds[i] >= 0)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1,
					       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)unlink_dirfds[i]));
	if (err || open_dirfd < 0)
		return err;
	/* Exactly this directory and these flags; every other openat fails
	 * softly, as in soft_denied. */
	err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)open_dirfd),
			       SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)open_flags));
	if (!err)
		err = seccomp_rule_add(ctx, deny, SCMP_SYS(openat), 2,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)open_dirfd),
				       SCMP_A2(SCMP_CMP_NE, (scmp_datum_t)open_flags));
	if (!err)
		err = seccomp_rule_add(ctx, deny, SCMP_SYS(openat), 1,
				       SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)open_dirfd));
	return err;
}

static int install_seccomp(enum privdrop_profile profile)
{
	scmp_filter_ctx ctx;
	int err;

	/* Unlisted system calls kill the whole process. The kernel logs such
	 * kills by default (kernel.seccomp.actions_logged: audit type 1326 in
	 * dmesg, with the call number), so a missing entry is diagnosable;
	 * SCMP_FLTATR_CTL_LOG is not set because it would also log every
	 * soft (errno) denial. */
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		log_error("failed to set up the seccomp filter: out of memory");
		return -ENOMEM;
	}
	err = add_list(ctx, SCMP_ACT_ALLOW, allowed_common,
		       ARRAY_LEN(allowed_common));
	if (!err && profile == PRIVDROP_PROFILE_SERVER)
		err = add_list(ctx, SCMP_ACT_ALLOW, allowed_server,
			       ARRAY_LEN(allowed_server));
	if (!err)
		err = add_list(ctx, SCMP_ACT_ERRNO(EACCES), soft_denied,
			       ARRAY_LEN(soft_denied));
	if (!err)
		err = add_dir_rules(ctx);
	if (!err && profile == PRIVDROP_PROFILE_SERVER) {
		/* Threads, never processes: clone needs CLONE_THREAD, and clone3
		 * (whose flags sit in memory a filter cannot read) says ENOSYS,
		 * which makes glibc fall back to clone. */
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
					       CLONE_THREAD));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
					       SCMP_SYS(clone3), 0);
		/* Naming the new thread (prctl PR_SET_NAME) only. */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
					       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	}
	for (size_t i = 0; !err && i < ARRAY_LEN(allowed_bpf_cmds); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bpf), 1,
				       SCMP_A0(SCMP_CMP_EQ, allowed_bpf_cmds[i]));
	for (size_t i = 0; !err && i < ARRAY_LEN(allowed_ioctls); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL,
					       allowed_ioctls[i]));
	/* Other ioctls fail softly (e.g. isatty on a non-terminal). */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY),
				       SCMP_SYS(ioctl), 0);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err) {
		log_error("failed to install the seccomp filter: %s", errstr(err));
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

int privdrop_apply_profile(const struct privdrop_user *user,
			   enum privdrop_profile profile)
{
	int err;

	prime_lazy_state();
	err = drop_identity(user);
	if (err)
		return err;
	if (TI_SANITIZER_BUILD) {
		/* LeakSanitizer's exit-time check clones a thread that ptraces
		 * this process and reads /proc/self: no seccomp filter fits. */
		log_debug("sanitizer build: seccomp filter not installed");
		return 0;
	}
	return install_seccomp(profile);
}

int privdrop_apply(const char *user)
{
	struct privdrop_user u;
	int err = privdrop_lookup(user, &u);

	return err ? err : privdrop_apply_profile(&u, PRIVDROP_PROFILE_WATCH);
}
