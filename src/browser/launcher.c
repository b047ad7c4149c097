/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's launcher: forked before the server's seccomp filter, it starts the browser under its own. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"

int launcher_fork(const LauncherConfig *config, pid_t *ret_pid) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                safe_close(pair[0]);
                safe_close(pair[1]);
                return r;
        }
        if (pid == 0) {
                safe_close(pair[0]);
                launcher_main(pair[1], config);
        }
        safe_close(pair[1]);
        *ret_pid = pid;
        return pair[0];
}

static int send_with_fds(int fd, const char *text, const int *fds, size_t n_fds) {
        struct iovec iov = { .iov_base = (void *) text, .iov_len = strlen(text) };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(2 * sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n_fds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int launcher_send_start(int fd, int browser_in, int browser_out) {
        return send_with_fds(fd, "start", (int[]){ browser_in, browser_out }, 2);
}

int launcher_send_stop(int fd) {
        return send_with_fds(fd, "stop", NULL, 0);
}

/* --- the launcher's side ------------------------------------------------------------------------------ */

static void reply(int fd, const char *format, ...) _printf_(2, 3);
static void reply(int fd, const char *format, ...) {
        char text[128];
        va_list ap;
        va_start(ap, format);
        vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        (void) send(fd, text, strlen(text), MSG_NOSIGNAL);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) (type == FTW_DP ? rmdir(path) : unlink(path));
        return 0;
}

static void remove_tree(const char *path) {
        (void) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The browser's own filter: everything but what a browser never needs, which fails with EPERM. System calls
 * of other ABIs kill (the filter's default for a foreign architecture). */
static int browser_seccomp(void) {
        static const char *const refused[] = {
                "kexec_load",
                "kexec_file_load",
                "init_module",
                "finit_module",
                "delete_module",
                "bpf",
                "perf_event_open",
                "add_key",
                "request_key",
                "keyctl",
                "reboot",
                "swapon",
                "swapoff",
                "acct",
                "settimeofday",
                "clock_settime",
                "clock_adjtime",
                "adjtimex",
                "mount",
                "umount2",
                "pivot_root",
                "fsopen",
                "fsmount",
                "fsconfig",
                "move_mount",
                "open_tree",
                "open_by_handle_at",
                "name_to_handle_at",
                "userfaultfd",
                "io_uring_setup",
                "io_uring_enter",
                "io_uring_register",
                "ptrace",
                "process_vm_readv",
                "process_vm_writev",
                "lookup_dcookie",
                "quotactl",
                "syslog",
                "iopl",
                "ioperm",
                "vhangup",
                "setns",
                "mknod",
                "mknodat",
        };
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        int r = 0;
        FOREACH_ELEMENT(name, refused) {
                int nr = seccomp_syscall_resolve_name(*name);
                if (nr == __NR_SCMP_ERROR)
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r;
}

_Noreturn static void exec_browser(const LauncherConfig *config, const char *profile, int in, int out) {
        /* fds 3 and 4 as the browser expects them, nothing else open but 0, 1 and 2. */
        int in3 = fcntl(in, F_DUPFD_CLOEXEC, 10), out4 = fcntl(out, F_DUPFD_CLOEXEC, 10);
        if (in3 < 0 || out4 < 0 || dup2(in3, 3) < 0 || dup2(out4, 4) < 0)
                _exit(126);
        (void) close_range(5, ~0U, 0);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        (void) setsid();
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);

        struct rlimit core = { 0, 0 }, files = { 8192, 8192 };
        (void) setrlimit(RLIMIT_CORE, &core);
        (void) setrlimit(RLIMIT_NOFILE, &files);
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !write(fd, "500", 3);
                close(fd);
        }

        size_t n = 0;
        while (config->argv[n])
                n++;
        char **argv = calloc(n + 2, sizeof(char *));
        char *dir_arg = NULL;
        if (!argv || asprintf(&dir_arg, "--user-data-dir=%s", profile) < 0)
                _exit(127);
        for (size_t i = 0; i < n; i++)
                argv[i] = config->argv[i];
        argv[n] = dir_arg;

        size_t m = 0;
        while (config->envp[m])
                m++;
        char **envp = calloc(m + 4, sizeof(char *));
        if (!envp || asprintf(&envp[m], "HOME=%s", profile) < 0 ||
                asprintf(&envp[m + 1], "XDG_CONFIG_HOME=%s/.config", profile) < 0 ||
                asprintf(&envp[m + 2], "XDG_CACHE_HOME=%s/.cache", profile) < 0)
                _exit(127);
        memcpy(envp, config->envp, m * sizeof(char *));

        if (chdir(profile) < 0 || browser_seccomp() < 0)
                _exit(126);
        execve(argv[0], argv, envp);
        _exit(127);
}

static int receive(int fd, char *buf, size_t size, int fds[2]) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(2 * sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control) };
        fds[0] = fds[1] = -EBADF;
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0)
                return n < 0 ? -errno : 0;
        buf[n] = 0;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
                memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
        return 1;
}

_Noreturn void launcher_main(int fd, const LauncherConfig *config) {
        /* Nothing of the server's but the control socket and the standard streams. */
        int keep = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (keep < 0)
                _exit(1);
        if (keep != 3) {
                if (dup2(keep, 3) < 0)
                        _exit(1);
                close(keep);
        }
        fd = 3;
        (void) close_range(4, ~0U, 0);
        (void) prctl(PR_SET_NAME, "browser-launch");

        pid_t child = 0;
        int pidfd = -EBADF;
        char profile[PATH_MAX] = "";

        for (;;) {
                struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
                if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pidfd >= 0 && p[1].revents) {
                        siginfo_t si = {};
                        (void) waitid(P_PIDFD, pidfd, &si, WEXITED);
                        int status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
                        (void) kill(-child, SIGKILL); /* what it left in its process group */
                        pidfd = safe_close(pidfd);
                        remove_tree(profile);
                        reply(fd, "exited %d %d", (int) child, status);
                        child = 0;
                }
                if (!p[0].revents)
                        continue;
                char buf[64];
                int fds[2];
                int k = receive(fd, buf, sizeof(buf), fds);
                if (k <= 0)
                        break; /* the server is gone */
                if (streq(buf, "start") && fds[0] >= 0 && child == 0) {
                        snprintf(profile, sizeof(profile), "%s/aios-browser.XXXXXX", config->profile_base);
                        if (!mkdtemp(profile)) {
                                reply(fd, "failed %d", errno);
                        } else {
                                child = fork();
                                if (child == 0)
                                        exec_browser(config, profile, fds[0], fds[1]);
                                if (child < 0) {
                                        reply(fd, "failed %d", errno);
                                        child = 0;
                                        remove_tree(profile);
                                } else {
                                        pidfd = pidfd_open(child, 0);
                                        reply(fd, "started %d", (int) child);
                                }
                        }
                } else if (streq(buf, "start"))
                        reply(fd, "failed %d", EBUSY);
                else if (streq(buf, "stop") && child > 0)
                        (void) kill(-child, SIGKILL), (void) kill(child, SIGKILL);
                safe_close(fds[0]);
                safe_close(fds[1]);
        }
        if (child > 0) {
                (void) kill(-child, SIGKILL);
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                remove_tree(profile);
        }
        _exit(0);
}
