/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's launcher: a small process forked before the server confines itself, so that the browser it
 * starts runs under a filter and limits of its own instead of the server's allow-list (a seccomp filter is
 * inherited by every child, and Chromium makes system calls no server should).
 *
 * The launcher knows the browser's command line from the moment it was forked; the server can only ask it to
 * start that browser on two pipes it passes over, and to stop it. A server that is compromised cannot make it
 * run anything else. It gives the browser its own session and process group, a fresh profile directory
 * (removed once the browser exits), rlimits, an oom_score_adj that makes the kernel pick the browser before
 * the server, and a seccomp filter that refuses what a browser never needs (modules, kexec, bpf, keyrings,
 * mounts, ptrace, clock changes, io_uring, handles by number) while Chromium's own sandbox confines its
 * renderers further. The launcher stops the browser and exits when the server goes away. */
#pragma once

#include <sys/types.h>

#include "macro.h"

typedef struct LauncherConfig {
        char **argv;              /* the browser, argv[0] an absolute path; "--user-data-dir=" is added */
        char **envp;              /* its environment; HOME and the XDG directories point into the profile */
        const char *profile_base; /* where profile directories are made */
} LauncherConfig;

/* Forks the launcher. Returns the server's end of the control socket (SOCK_SEQPACKET, close-on-exec) and the
 * launcher's pid, or a negative errno. */
int launcher_fork(const LauncherConfig *config, pid_t *ret_pid);

/* What the server sends: "start" with the browser's fds 3 (it reads) and 4 (it writes) as SCM_RIGHTS, or
 * "stop" (the process group is killed). What it gets: "started PID", "failed ERRNO" or "exited PID STATUS"
 * (STATUS as waitpid() gives it). */
int launcher_send_start(int fd, int browser_in, int browser_out);
int launcher_send_stop(int fd);

/* The launcher's loop itself; exposed for tests. Does not return. */
_Noreturn void launcher_main(int fd, const LauncherConfig *config);
