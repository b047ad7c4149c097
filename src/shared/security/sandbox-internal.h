/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the sandbox's files share: the set-up handed to the init, the records it sends back, the helpers. */
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include "sandbox.h"

/* The sandbox user: the one uid and gid mapped into the sandbox's user namespace. */
#define SANDBOX_UID 1000
#define SANDBOX_GID 1000
/* Who the sandbox user is outside when the daemon runs as root: nobody, never root. */
#define SANDBOX_OVERFLOW_UID 65534
#define SANDBOX_OVERFLOW_GID 65534

#define SANDBOX_TMPFS_DEFAULT_BYTES (UINT64_C(64) << 20)
#define SANDBOX_OPEN_FILES_DEFAULT 256

/* What the init sends the daemon over their socket, one record a message. */
typedef enum SandboxRecordKind {
        SANDBOX_RECORD_FAILED,  /* a set-up step failed: error, step; the init exits */
        SANDBOX_RECORD_NOTICE,  /* a step skipped, for the daemon's debug log: error, step */
        SANDBOX_RECORD_RUNNING, /* the payload was executed; the payload's pidfd comes with it (SCM_RIGHTS) */
        SANDBOX_RECORD_EXITED,  /* the payload exited: status; the init exits next */
} SandboxRecordKind;

#define SANDBOX_STEP_MAX 240

typedef struct SandboxRecord {
        int kind;
        int error;  /* positive errno */
        int status; /* the payload's wait status */
        char step[SANDBOX_STEP_MAX];
} SandboxRecord;

/* Everything the init needs, prepared by the daemon before the clone: the init allocates nothing (the daemon
 * may have threads, whose locks a raw clone copies as they are). */
typedef struct SandboxSetup {
        const SandboxConfig *config;
        int sock;                   /* the init's end of the socketpair; the daemon's "go" comes here */
        struct sock_fprog filter;   /* the seccomp filter of the init and the payload */
        char tmp_options[96];       /* mount options of /tmp */
        char workspace_options[96]; /* and of the workspace */
        bool drop_groups;           /* setgroups() is allowed (the daemon is root): the init drops root's groups */
} SandboxSetup;

/* Runs in the child made by clone(): sets the sandbox up, starts the payload, reaps, exits with its status. */
_Noreturn void sandbox_init_run(const SandboxSetup *setup);

/* clone() as a system call, like fork() but with flags; *ret_pidfd gets a pidfd of the child (CLONE_PIDFD).
 * In the child nothing of glibc's fork() has happened: only system calls are safe there. */
pid_t sandbox_raw_clone(unsigned long flags, int *ret_pidfd);

const char *sandbox_get_workspace(Sandbox *s);
/* The payload's pidfd, and its pid in the daemon's namespace; -ESRCH once it is gone. */
int sandbox_get_payload(Sandbox *s, pid_t *ret_pid);

/* The seccomp filter of a sandbox (sandbox-seccomp.c), as a BPF program to load with prctl(); free
 * ret->filter. */
int sandbox_seccomp_build(bool network, struct sock_fprog *ret);

/* A sandbox's cgroup "sandbox-<pid>" under parent, with the limits written (sandbox-cgroup.c). */
int sandbox_cgroup_make(const char *parent, pid_t pid, const SandboxLimits *limits, char **ret_path);
int sandbox_cgroup_attach(const char *path, pid_t pid);
int sandbox_cgroup_kill(const char *path);
int sandbox_cgroup_remove(const char *path);
