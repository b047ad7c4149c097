/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox: one process tree in namespaces of its own (user, PID, mount, IPC, UTS, network, cgroup), on a
 * root made of read-only binds, with a private /tmp and one workspace as the only writable places (both
 * size-limited tmpfs), a seccomp filter stricter than any daemon's, rlimits, no capabilities and, where the
 * daemon has a delegated cgroup, a cgroup of its own with memory, task and CPU limits. The Python server runs
 * its interpreters in sandboxes; the IDE server runs its commands in them.
 *
 * Inside, the first process (PID 1 of the sandbox's PID namespace) is a small init that set the sandbox up;
 * it starts the payload (argv), reaps what is left behind and exits with the payload's status. Killing it
 * kills everything in the sandbox: the kernel ends a PID namespace with its init. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct SandboxLimits {
        uint64_t memory_bytes;    /* RLIMIT_AS of each process, and memory.max of the cgroup; 0: none */
        uint64_t tasks;           /* pids.max of the cgroup, and RLIMIT_NPROC; 0: none */
        uint64_t open_files;      /* RLIMIT_NOFILE; 0: 256 */
        uint64_t file_size;       /* RLIMIT_FSIZE; 0: none beyond the tmpfs sizes */
        uint64_t cpu_seconds;     /* RLIMIT_CPU of each process; 0: none */
        uint64_t cpu_quota_pct;   /* cpu.max of the cgroup, in percent of one CPU; 0: none */
        uint64_t tmp_bytes;       /* size of the private /tmp (and /dev/shm, which is the same tmpfs); 0: 64 MiB */
        uint64_t workspace_bytes; /* size of the workspace tmpfs; 0: 64 MiB */
} SandboxLimits;

typedef struct SandboxConfig {
        char *const *argv; /* the payload; argv[0] is an absolute path inside the sandbox */
        char *const *envp; /* its whole environment (nothing of the daemon's is passed on) */
        /* Host paths bound read-only at the same place inside (symlinks followed), besides the base set every
         * sandbox has (/usr and the /bin, /sbin, /lib* links or directories, /etc/ld.so.cache, /etc/localtime,
         * /etc/alternatives, and /etc/resolv.conf with the host's network) and the few /etc files written for
         * it: passwd and group of the sandbox's own user only, hosts with localhost only, nsswitch.conf that
         * reads files. Paths that do not exist on the host are skipped. NULL-terminated, or NULL. */
        const char *const *ro_binds;
        const char *workspace; /* where the workspace tmpfs appears inside, e.g. "/work"; also the payload's cwd */
        /* A host directory bound at workspace instead of the tmpfs (NULL: the tmpfs): the IDE server runs builds
         * and tests in the real project. Only the directory itself is bound, not what is mounted below it; it is
         * read-write unless workspace_read_only, nosuid and nodev. The sandbox user is the daemon's user outside
         * (nobody for a root daemon), so the host's permissions decide what it may change there, and
         * limits.workspace_bytes does not apply. An absolute path of the host, resolved (symlinks followed)
         * when the sandbox is set up. */
        const char *workspace_bind;
        bool workspace_read_only;
        const char *hostname; /* the UTS namespace's host name; NULL: "sandbox" */
        bool network;         /* the host's network: no network namespace, AF_INET/AF_INET6 allowed. Default
                               * (false): a namespace of its own with only loopback, and AF_UNIX sockets only */
        SandboxLimits limits;
        /* The payload's fds 0, 1 and 2 (-1: /dev/null), and fd 3 when control_fd >= 0 (a control channel).
         * All other fds are closed in the sandbox. The caller keeps its own copies. */
        int stdin_fd, stdout_fd, stderr_fd, control_fd;
        /* A directory of a cgroup v2 hierarchy the daemon may create children in (its delegated subtree), or
         * NULL: then each sandbox gets no cgroup, and rlimits alone limit it. See sandbox_cgroup_setup(). */
        const char *cgroup_parent;
} SandboxConfig;

typedef struct Sandbox Sandbox;

/* Starts a sandbox. Returns 0 once the payload runs (its init reported that the set-up succeeded), or a
 * negative errno with the reason logged (a set-up step that failed inside is reported back to the caller over
 * a socket, with its errno and the step's name; -ENOENT, say, when argv[0] is not there). Never blocks for
 * longer than the set-up takes (a few ms; at most 10 s, then -ETIMEDOUT). The daemon must not ignore SIGCHLD
 * (sandboxes are reaped through their pidfd), and spawns from the thread that outlives its sandboxes (an init
 * dies with the thread that made it, PR_SET_PDEATHSIG). */
int sandbox_spawn(const SandboxConfig *config, Sandbox **ret);

/* Kills everything in the sandbox (SIGKILL to its init, and to its cgroup when it has one) and waits for the
 * init, then frees it. Safe to call on a sandbox whose init already exited. */
Sandbox *sandbox_free(Sandbox *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sandbox *, sandbox_free);

/* The sandbox's init, as a pid and a pidfd in the daemon's namespace. */
pid_t sandbox_get_pid(Sandbox *s);
int sandbox_get_pidfd(Sandbox *s);

/* Calls exited once the sandbox's init exits, with the payload's wait status (as waitpid() gives it: exit code
 * or signal; SIGKILL when the sandbox was killed before its payload exited). The source is owned by the sandbox,
 * and exited may free it. One watch per sandbox (-EBUSY). */
int sandbox_watch(Sandbox *s, sd_event *event, void (*exited)(Sandbox *s, int status, void *userdata), void *userdata);

/* Sends sig to the payload (the process init started), e.g. SIGINT to interrupt it; -ESRCH once it exited. */
int sandbox_signal_payload(Sandbox *s, int sig);
/* Kills everything in the sandbox at once; sandbox_watch()'s callback follows. */
int sandbox_kill(Sandbox *s);

/* An O_PATH|O_DIRECTORY fd of the workspace as the sandbox sees it (through the payload's /proc/PID/root: the
 * init's is closed to all but root, see sandbox-init.c), for the daemon to read and write the sandbox's files
 * while its payload lives. Open paths under it only with sandbox_openat(). */
int sandbox_open_workspace(Sandbox *s);
/* Opens path (relative) under dirfd with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV): no
 * "..", absolute path or symlink inside the sandbox leads out of it (what points out resolves inside dirfd).
 * flags as for openat(), O_CLOEXEC added; O_CREAT creates with mode, as the sandbox user. Returns the fd or a
 * negative errno, not logged (-EINVAL for an empty path). */
int sandbox_openat(int dirfd, const char *path, int flags, mode_t mode);
/* Makes the directory name (one component: no "/") under dirfd, a directory opened with sandbox_openat() or
 * sandbox_open_workspace(), with mode, as the sandbox user. Returns 0 or a negative errno, not logged (-EINVAL
 * for an empty name or one with a "/", -EEXIST where anything has the name, a symlink included). */
int sandbox_mkdirat(int dirfd, const char *name, mode_t mode);

/* Where a daemon under systemd with Delegate=yes makes its sandboxes' cgroups: moves the daemon into a leaf
 * "daemon" of its own cgroup (the no-internal-processes rule), enables the memory, pids and cpu controllers for
 * its children, and returns in *ret_parent the directory to pass as cgroup_parent; each sandbox then gets a
 * cgroup "sandbox-<pid of its init>" there. -EOPNOTSUPP (no cgroup v2 at /sys/fs/cgroup), -ENOENT, -EROFS or
 * -EACCES when there is no delegated cgroup v2 (the development stack), logged at debug level only: the caller
 * goes on with rlimits alone. */
int sandbox_cgroup_setup(char **ret_parent);
