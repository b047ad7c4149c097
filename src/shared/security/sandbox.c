/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting, watching, signalling and ending sandboxes: the daemon's side (the init's is sandbox-init.c).
 *
 * WHAT A SANDBOX IS
 *
 * A sandbox runs one program (the payload) and whatever it starts, confined so that code nobody has read can
 * run there: the Python server's interpreters, the IDE server's build and test commands.
 *
 * The daemon clones a process into new user, PID, mount, IPC and UTS namespaces, and a network namespace
 * unless the sandbox has the host's network; it then enters a cgroup namespace of its own. That process is
 * PID 1 of the sandbox, its init. In the user namespace exactly one uid and one gid exist, 1000, the user
 * "sandbox"; outside it is the daemon's own unprivileged user or, when the daemon runs as root, nobody
 * (65534): nothing in a sandbox is ever the host's root, and no other uid of the host can be reached.
 *
 * The file system is built from nothing: a tmpfs root with read-only binds of /usr and the /bin, /sbin and
 * /lib* links or directories of the host, whatever read-only binds the daemon asks for, and in /etc only
 * ld.so.cache, localtime, alternatives, a passwd and a group that know the sandbox user alone, an
 * nsswitch.conf that reads files, and a hosts file with localhost (resolv.conf too with the host's network).
 * /dev has null, zero, full, random and urandom, no terminal; /dev/shm is /tmp. /proc is a fresh one that
 * shows the sandbox's processes only. /tmp and the workspace (the payload's working directory and $HOME) are
 * the only writable places, both tmpfs of a fixed size (or, for the workspace, a host directory bound in its
 * place: the IDE server's builds run in the real project); the root itself is read-only. There is no /sys, /run,
 * /home, /root, /var, /etc/shadow or D-Bus socket. Without the host's network the sandbox has a loopback
 * interface and nothing else, and only AF_UNIX sockets.
 *
 * The payload runs as the sandbox user in a session of its own, with fds 0, 1, 2 (and 3, a control channel,
 * when asked for) from the daemon and no other, no capability in any namespace, no_new_privs, rlimits
 * (address space, processes, open files, file size, CPU time, no core files) and a seccomp filter that refuses
 * what could reach beyond the sandbox or the kernel's less trodden paths: ptrace, mounts and namespaces,
 * modules, kexec, bpf, perf events, keyrings, userfaultfd, io_uring, clock and host name changes, handles to
 * files by number, socket families other than AF_UNIX (and AF_INET and AF_INET6 with the host's network), and
 * system calls of other ABIs. The filter sits on top of the daemon's own allow-list, which the sandbox
 * inherits. Where the daemon has a delegated cgroup (Delegate=yes), each sandbox has a cgroup of its own with
 * memory.max, memory.swap.max=0, pids.max and cpu.max.
 *
 * The init keeps no fd of the daemon's, ignores every signal sent from inside (the kernel lets no process in a
 * PID namespace signal its init unless the init has a handler, and it has none), reaps what is left to it, and
 * exits with the payload's status as soon as the payload exits: the kernel then kills every process left in
 * the namespace. So a payload that forks, daemonizes or kills -1 cannot outlive the sandbox nor reach outside
 * it, and killing the init (sandbox_kill(), or the daemon's own death) ends everything in it.
 *
 * The daemon reads and writes the sandbox's files while it lives through /proc/PID/root, with openat2()'s
 * RESOLVE_IN_ROOT: a symlink the payload plants resolves inside the sandbox, never on the host.
 *
 * WHAT THE DAEMON NEEDS
 *
 * Its seccomp allow-list includes sandbox.syscalls (which says @sandbox: clone with namespace flags, unshare,
 * mount, umount2 and pivot_root) and whatever families its sandboxes' sockets use; under systemd its unit
 * allows the same (SystemCallFilter=), the namespaces (RestrictNamespaces=user pid mnt ipc uts net cgroup),
 * a fully visible /proc (no ProtectProc=, ProcSubset=, ProtectKernelTunables=) for the sandbox's own /proc,
 * and Delegate=yes for cgroup limits. SIGCHLD must not be ignored (the init is reaped through its pidfd), and
 * sandboxes are spawned from the thread that outlives them (PR_SET_PDEATHSIG follows the parent thread). */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "time-util.h"
#include "sandbox-internal.h"

/* How long the init gets to set up and execute the payload: more than enough, and no hang forever. */
#define SANDBOX_SETUP_TIMEOUT_MSEC 10000

struct Sandbox {
        pid_t pid;
        int pidfd;         /* the init's */
        int payload_pidfd; /* the payload's, sent by the init */
        pid_t payload_pid;
        int sock; /* the daemon's end: the payload's status comes here before the init exits */
        char *workspace;
        char *cgroup; /* its own cgroup's directory, or NULL */

        sd_event_source *exit_source;
        void (*exited)(Sandbox *s, int status, void *userdata);
        void *userdata;

        bool reaped;
        int status; /* once reaped: the payload's wait status */
};

pid_t sandbox_raw_clone(unsigned long flags, int *ret_pidfd) {
        /* The parent's pidfd goes where the parent's tid would; s390 has the stack and flags swapped. */
#if defined(__s390__) || defined(__s390x__)
        return (pid_t) syscall(SYS_clone, 0, flags, ret_pidfd, NULL, 0);
#else
        return (pid_t) syscall(SYS_clone, flags, 0, ret_pidfd, NULL, 0);
#endif
}

static bool path_is_valid(const char *p) {
        return p && p[0] == '/' && strlen(p) < 1024 && !strstr(p, "/../") &&
                !(strlen(p) >= 3 && streq(p + strlen(p) - 3, "/.."));
}

static int config_check(const SandboxConfig *c) {
        if (!c->argv || !c->argv[0] || c->argv[0][0] != '/')
                return log_error_errno(EINVAL, "A sandbox's payload is an absolute path inside it, with its argv.");
        if (!c->envp)
                return log_error_errno(EINVAL, "A sandbox's payload needs its environment (which may be empty).");
        if (!path_is_valid(c->workspace) || streq(c->workspace, "/"))
                return log_error_errno(EINVAL, "A sandbox's workspace is an absolute path below /, not \"%s\".",
                        strempty(c->workspace));
        if (c->workspace_bind && (!path_is_valid(c->workspace_bind) || streq(c->workspace_bind, "/")))
                return log_error_errno(EINVAL, "A sandbox's bound workspace is an absolute path below /, not \"%s\".",
                        c->workspace_bind);
        for (const char *const *p = c->ro_binds; p && *p; p++)
                if (!path_is_valid(*p) || streq(*p, "/"))
                        return log_error_errno(EINVAL,
                                "A sandbox's read-only bind is an absolute path below /, not \"%s\".", *p);
        if (c->hostname && (isempty(c->hostname) || strlen(c->hostname) > 64))
                return log_error_errno(EINVAL, "\"%s\" is no host name.", c->hostname);
        return 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *text) {
        char path[64];
        (void) snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);
        if (write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                return log_error_errno(errno, "Failed to write \"%s\" to %s: %m", text, path);
        return 0;
}

/* The sandbox user, 1000 inside, is the daemon's user outside, or nobody when the daemon is root. */
static int write_id_maps(pid_t pid, bool privileged) {
        uid_t uid = privileged ? SANDBOX_OVERFLOW_UID : geteuid();
        gid_t gid = privileged ? SANDBOX_OVERFLOW_GID : getegid();
        char map[64];
        int r;

        (void) snprintf(map, sizeof(map), "%d %u 1\n", SANDBOX_UID, uid);
        r = write_proc_file(pid, "uid_map", map);
        if (r < 0)
                return r;
        /* An unprivileged writer must deny setgroups() before it may write a gid_map; root allows it, for the
         * init to drop root's supplementary groups. */
        r = write_proc_file(pid, "setgroups", privileged ? "allow" : "deny");
        if (r < 0)
                return r;
        (void) snprintf(map, sizeof(map), "%d %u 1\n", SANDBOX_GID, gid);
        return write_proc_file(pid, "gid_map", map);
}

/* Reads one record from the init, with the fd that comes with it (or -EBADF). 0 at the end of the stream. */
static int read_record(int sock, int flags, SandboxRecord *ret, int *ret_fd) {
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control.buf),
        };
        ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
        if (n < 0)
                return -errno;

        int fd = -EBADF;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if (n == 0)
                return 0;
        if (n != (ssize_t) sizeof(*ret)) {
                safe_close(fd);
                return -EBADMSG;
        }
        ret->step[sizeof(ret->step) - 1] = 0;
        if (ret_fd)
                *ret_fd = fd;
        else
                safe_close(fd);
        return 1;
}

/* The pid of the process a pidfd refers to, in our PID namespace: its fdinfo's "Pid:". */
static pid_t pidfd_get_pid(int pidfd) {
        char path[64];
        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char line[128];
        while (fgets(line, sizeof(line), f)) {
                int pid;
                if (sscanf(line, "Pid: %d", &pid) == 1)
                        return pid > 0 ? pid : -ESRCH;
        }
        return -ENOENT;
}

/* Waits for the init to say that the payload runs (returns its pidfd) or why it does not. */
static int wait_for_payload(Sandbox *s) {
        uint64_t deadline = now_usec() + SANDBOX_SETUP_TIMEOUT_MSEC * USEC_PER_MSEC;
        for (;;) {
                uint64_t now = now_usec();
                struct pollfd p = { .fd = s->sock, .events = POLLIN };
                int n = poll(&p, 1, now >= deadline ? 0 : (int) ((deadline - now) / USEC_PER_MSEC) + 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(errno, "Failed to wait for the sandbox's init: %m");
                if (n == 0)
                        return log_error_errno(ETIMEDOUT, "The sandbox's init did not start its payload within %d ms.",
                                SANDBOX_SETUP_TIMEOUT_MSEC);

                SandboxRecord record;
                int fd = -EBADF;
                int r = read_record(s->sock, 0, &record, &fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to read from the sandbox's init: %m");
                if (r == 0)
                        return log_error_errno(ECHILD, "The sandbox's init exited while it set up the sandbox.");

                switch (record.kind) {
                case SANDBOX_RECORD_RUNNING:
                        if (fd < 0)
                                return log_error_errno(EBADMSG, "The sandbox's init sent no pidfd of its payload.");
                        s->payload_pidfd = fd;
                        r = pidfd_get_pid(fd);
                        if (r == -ESRCH)
                                return 0; /* already exited (/bin/true does, fast): the init follows */
                        if (r < 0)
                                return log_error_errno(r, "Failed to read the pid of the sandbox's payload: %m");
                        s->payload_pid = r;
                        return 0;
                case SANDBOX_RECORD_NOTICE: {
                        static bool told = false; /* once per daemon: every sandbox says the same */
                        if (!told)
                                log_debug("Sandbox: %s: %s", record.step, strerror(record.error));
                        told = true;
                        break;
                }
                case SANDBOX_RECORD_FAILED:
                        safe_close(fd);
                        return log_error_errno(record.error, "Failed to set up a sandbox: %s: %m", record.step);
                default:
                        safe_close(fd);
                        return log_error_errno(EBADMSG, "The sandbox's init sent a record of unknown kind %d.",
                                record.kind);
                }
        }
}

static Sandbox *sandbox_new(const SandboxConfig *config) {
        Sandbox *s = new0(Sandbox, 1);
        if (!s)
                return NULL;
        *s = (Sandbox){ .pidfd = -EBADF, .payload_pidfd = -EBADF, .sock = -EBADF };
        s->workspace = strdup(config->workspace);
        if (!s->workspace)
                return mfree(s);
        return s;
}

static void setup_options(SandboxSetup *setup, const SandboxLimits *l) {
        uint64_t tmp = l->tmp_bytes ?: SANDBOX_TMPFS_DEFAULT_BYTES;
        uint64_t ws = l->workspace_bytes ?: SANDBOX_TMPFS_DEFAULT_BYTES;
        /* Inodes cost memory too: one per KiB of the size is more than files of any use need. */
        (void) snprintf(setup->tmp_options, sizeof(setup->tmp_options), "mode=1777,size=%llu,nr_inodes=%llu",
                (unsigned long long) tmp, (unsigned long long) MAX(tmp / 1024, 1024));
        (void) snprintf(setup->workspace_options, sizeof(setup->workspace_options),
                "mode=0700,uid=%d,gid=%d,size=%llu,nr_inodes=%llu", SANDBOX_UID, SANDBOX_GID, (unsigned long long) ws,
                (unsigned long long) MAX(ws / 1024, 1024));
}

int sandbox_spawn(const SandboxConfig *config, Sandbox **ret) {
        assert(config);
        assert(ret);

        int r = config_check(config);
        if (r < 0)
                return r;

        uint64_t start = now_usec();
        _cleanup_(sandbox_freep) Sandbox *s = sandbox_new(config);
        if (!s)
                return log_oom();

        bool privileged = geteuid() == 0;
        SandboxSetup setup = { .config = config, .drop_groups = privileged };
        setup_options(&setup, &config->limits);
        r = sandbox_seccomp_build(config->network, &setup.filter);
        if (r < 0)
                return r;
        _cleanup_free_ struct sock_filter *filter = setup.filter.filter;

        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "Failed to make a socket pair for a sandbox: %m");
        s->sock = pair[0];
        _cleanup_close_ int child_sock = pair[1];
        setup.sock = child_sock;

        unsigned long flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
        if (!config->network)
                flags |= CLONE_NEWNET;
        s->pid = sandbox_raw_clone(flags | SIGCHLD, &s->pidfd);
        if (s->pid < 0)
                return log_error_errno(errno, "Failed to start a sandbox (clone with new namespaces): %m");
        if (s->pid == 0)
                sandbox_init_run(&setup);
        child_sock = safe_close(child_sock);

        r = write_id_maps(s->pid, privileged);
        if (r < 0)
                return r;
        if (config->cgroup_parent) {
                r = sandbox_cgroup_make(config->cgroup_parent, s->pid, &config->limits, &s->cgroup);
                if (r < 0)
                        return r;
                r = sandbox_cgroup_attach(s->cgroup, s->pid);
                if (r < 0)
                        return r;
        }
        if (send(s->sock, "g", 1, MSG_NOSIGNAL) != 1)
                return log_error_errno(errno, "Failed to let the sandbox's init go on: %m");

        r = wait_for_payload(s);
        if (r < 0)
                return r;

        log_debug("Sandbox %d started %s in %.1f ms.", s->pid, config->argv[0], (now_usec() - start) / 1000.0);
        *ret = TAKE_PTR(s);
        return 0;
}

pid_t sandbox_get_pid(Sandbox *s) {
        assert(s);
        return s->pid;
}

int sandbox_get_pidfd(Sandbox *s) {
        assert(s);
        return s->pidfd;
}

int sandbox_signal_payload(Sandbox *s, int sig) {
        assert(s);
        if (s->payload_pidfd < 0 || s->reaped)
                return -ESRCH;
        if (pidfd_send_signal(s->payload_pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

int sandbox_kill(Sandbox *s) {
        assert(s);
        int r = 0;
        if (!s->reaped && pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
                r = log_error_errno(errno, "Failed to kill the sandbox %d: %m", s->pid);
        if (s->cgroup) {
                int k = sandbox_cgroup_kill(s->cgroup);
                if (r == 0)
                        r = k;
        }
        return r;
}

/* The payload's wait status once the init exited: what the init sent, or else what became of the init. */
static int exit_status(Sandbox *s, const siginfo_t *si) {
        SandboxRecord record;
        while (read_record(s->sock, MSG_DONTWAIT, &record, NULL) > 0)
                if (record.kind == SANDBOX_RECORD_EXITED)
                        return record.status;
        switch (si->si_code) {
        case CLD_EXITED:
                return W_EXITCODE(si->si_status, 0);
        case CLD_DUMPED:
                return si->si_status | WCOREFLAG;
        default:
                return si->si_status; /* killed: the signal */
        }
}

/* Reaps the init: 0 when it had exited (or already was reaped), -EAGAIN when it has not (without WNOHANG
 * this waits). */
static int sandbox_reap(Sandbox *s, int options) {
        if (s->reaped)
                return 0;
        siginfo_t si = {};
        if (waitid(P_PIDFD, s->pidfd, &si, WEXITED | options) < 0) {
                if (errno == EINTR)
                        return -EAGAIN;
                if (errno != ECHILD)
                        return log_error_errno(errno, "Failed to reap the sandbox %d: %m", s->pid);
                /* Someone else reaped it (SIGCHLD ignored?): the status is what the init sent, if anything. */
                si.si_code = CLD_KILLED;
                si.si_status = SIGKILL;
        } else if (si.si_pid == 0)
                return -EAGAIN;

        s->status = exit_status(s, &si);
        s->reaped = true;
        return 0;
}

static int on_pidfd(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Sandbox *s = userdata;
        if (sandbox_reap(s, WNOHANG) == -EAGAIN)
                return 0;
        (void) sd_event_source_set_enabled(source, SD_EVENT_OFF);
        if (s->exited)
                s->exited(s, s->status, s->userdata); /* which may free s */
        return 0;
}

int sandbox_watch(Sandbox *s, sd_event *event, void (*exited)(Sandbox *s, int status, void *userdata), void *userdata) {
        assert(s);
        assert(event);
        assert(exited);

        if (s->exit_source)
                return -EBUSY;
        int r = sd_event_add_io(event, &s->exit_source, s->pidfd, EPOLLIN, on_pidfd, s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the sandbox %d: %m", s->pid);
        (void) sd_event_source_set_description(s->exit_source, "sandbox");
        s->exited = exited;
        s->userdata = userdata;
        return 0;
}

Sandbox *sandbox_free(Sandbox *s) {
        if (!s)
                return NULL;

        if (s->pid > 0) {
                (void) sandbox_kill(s);
                while (sandbox_reap(s, 0) == -EAGAIN)
                        ;
        }
        if (s->cgroup)
                (void) sandbox_cgroup_remove(s->cgroup);
        sd_event_source_disable_unref(s->exit_source);
        safe_close(s->pidfd);
        safe_close(s->payload_pidfd);
        safe_close(s->sock);
        free(s->workspace);
        free(s->cgroup);
        return mfree(s);
}

int sandbox_get_payload(Sandbox *s, pid_t *ret_pid) {
        assert(s);
        assert(ret_pid);
        if (s->payload_pidfd < 0 || s->payload_pid <= 0 || s->reaped)
                return -ESRCH;
        *ret_pid = s->payload_pid;
        return s->payload_pidfd;
}

const char *sandbox_get_workspace(Sandbox *s) {
        assert(s);
        return s->workspace;
}
