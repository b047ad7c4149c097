/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox's init, PID 1 of its namespaces: builds the root, drops every privilege, starts the payload, reaps
 * and exits with the payload's status. It runs in a raw clone of the daemon, where glibc's state (locks, the
 * list of threads) is a copy of a process it no longer is: only system calls and snprintf() here, no malloc(),
 * no glibc setuid() (which would signal the daemon's threads), no logging; a failure goes back to the daemon as
 * a record with the errno and the step. */
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sandbox-internal.h"

/* Where the host's root is while the sandbox's is built, relative to the new root. */
#define OLD_ROOT "/oldroot"

typedef struct Init {
        const SandboxSetup *setup;
        char step[SANDBOX_STEP_MAX]; /* what was being done when a call failed */
} Init;

/* Records the step that failed and returns -errno, for `return fail(init, "...")` after a failed call. */
_printf_(2, 3) static int fail(Init *init, const char *format, ...) {
        int error = errno ?: EIO;
        va_list ap;
        va_start(ap, format);
        (void) vsnprintf(init->step, sizeof(init->step), format, ap);
        va_end(ap);
        return -error;
}

static void send_record(int sock, const SandboxRecord *record, int fd) {
        struct iovec iov = { .iov_base = (void *) record, .iov_len = sizeof(*record) };
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (fd >= 0) {
                msg.msg_control = &control;
                msg.msg_controllen = sizeof(control.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                *c = (struct cmsghdr){ .cmsg_len = CMSG_LEN(sizeof(int)),
                        .cmsg_level = SOL_SOCKET,
                        .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        /* Nothing to do if it fails: the daemon went away, and PR_SET_PDEATHSIG ends us. */
        (void) sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static void send_step(int sock, SandboxRecordKind kind, int error, const char *step) {
        SandboxRecord record = { .kind = kind, .error = error };
        (void) snprintf(record.step, sizeof(record.step), "%s", step);
        send_record(sock, &record, -EBADF);
}

/* Closes every fd but the ones in keep (-1 entries ignored), which are sorted in place. */
static int keep_only_fds(Init *init, int *keep, size_t n) {
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int t = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = t;
                }

        unsigned next = 0;
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < (int) next)
                        continue;
                if ((unsigned) keep[i] > next && close_range(next, keep[i] - 1, 0) < 0)
                        return fail(init, "closing the daemon's file descriptors");
                next = keep[i] + 1;
        }
        if (close_range(next, ~0U, 0) < 0)
                return fail(init, "closing the daemon's file descriptors");
        return 0;
}

/* Every signal to its default action; what the daemon ignores (SIGPIPE) would otherwise stay ignored through
 * execve(). */
static void reset_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL); /* glibc's own signals answer EINVAL */
}

static int write_file(Init *init, const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return fail(init, "creating %s", path);
        for (size_t done = 0, size = strlen(text); done < size;) {
                ssize_t n = write(fd, text + done, size - done);
                if (n < 0)
                        return fail(init, "writing %s", path);
                done += n;
        }
        return 0;
}

/* mkdir -p of path's parents, in the new root. */
static int make_parents(Init *init, const char *path) {
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf)) {
                errno = ENAMETOOLONG;
                return fail(init, "making the parents of %s", path);
        }
        for (char *slash = strchr(buf + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                struct stat st;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST && !(stat(buf, &st) == 0 && S_ISDIR(st.st_mode)))
                        return fail(init, "making the directory %s", buf);
                *slash = '/';
        }
        return 0;
}

/* A mount point for a bind of something with st's type: a directory or an empty file. */
static int make_mount_point(Init *init, const char *path, const struct stat *st) {
        struct stat existing;
        if (lstat(path, &existing) == 0)
                return 0; /* e.g. inside a bind made before */
        int r = make_parents(init, path);
        if (r < 0)
                return r;
        if (S_ISDIR(st->st_mode)) {
                if (mkdir(path, 0755) < 0)
                        return fail(init, "making the mount point %s", path);
                return 0;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return fail(init, "making the mount point %s", path);
        close(fd);
        return 0;
}

/* Sets attributes on the mount at path and every mount below it. */
static int mount_set(Init *init, const char *path, uint64_t attributes) {
        struct mount_attr attr = { .attr_set = attributes };
        if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) == 0)
                return 0;
        if (errno != ENOSYS)
                return fail(init, "making %s read-only", path);

        /* Before Linux 5.12: the top mount only, keeping the flags that the mount copied from the host's
         * namespace has locked (noexec, say), which a remount may not clear. */
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return fail(init, "making %s read-only", path);
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
        if (attributes & MOUNT_ATTR_NOSUID || sv.f_flag & ST_NOSUID)
                flags |= MS_NOSUID;
        if (attributes & MOUNT_ATTR_NODEV || sv.f_flag & ST_NODEV)
                flags |= MS_NODEV;
        if (attributes & MOUNT_ATTR_NOEXEC || sv.f_flag & ST_NOEXEC)
                flags |= MS_NOEXEC;
        if (mount(NULL, path, NULL, flags, NULL) < 0)
                return fail(init, "making %s read-only", path);
        return 0;
}

/* Binds the host's path (under OLD_ROOT) at the same place inside, read-only, with what is mounted below. */
static int bind_read_only(Init *init, const char *path, bool follow, uint64_t attributes) {
        char host[PATH_MAX];
        if (snprintf(host, sizeof(host), OLD_ROOT "%s", path) >= (int) sizeof(host)) {
                errno = ENAMETOOLONG;
                return fail(init, "binding %s", path);
        }

        struct stat st;
        if ((follow ? stat(host, &st) : lstat(host, &st)) < 0) {
                if (errno == ENOENT)
                        return 0; /* not on this host: skipped */
                return fail(init, "looking at the host's %s", path);
        }

        if (S_ISLNK(st.st_mode)) {
                /* /bin -> usr/bin and the like stay links, resolved inside. */
                char target[PATH_MAX];
                ssize_t n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return fail(init, "reading the link %s", path);
                target[n] = 0;
                int r = make_parents(init, path);
                if (r < 0)
                        return r;
                if (symlink(target, path) < 0)
                        return fail(init, "making the link %s", path);
                return 0;
        }

        int r = make_mount_point(init, path, &st);
        if (r < 0)
                return r;
        if (mount(host, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return fail(init, "binding %s", path);
        return mount_set(init, path, MOUNT_ATTR_RDONLY | attributes);
}

static int mount_tmpfs(Init *init, const char *path, unsigned long flags, const char *options) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return fail(init, "making the directory %s", path);
        if (mount("sandbox", path, "tmpfs", flags, options) < 0)
                return fail(init, "mounting a tmpfs on %s (%s)", path, options);
        return 0;
}

/* A /dev of the few devices a program needs, and the usual links. The tmpfs is read-only once it is made. */
static int make_dev(Init *init) {
        static const char *const devices[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
        static const char *const links[][2] = {
                { "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
                { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
                { "/dev/shm", "/tmp" }, /* POSIX shared memory and semaphores, in the size-limited /tmp */
        };

        int r = mount_tmpfs(init, "/dev", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64");
        if (r < 0)
                return r;
        FOREACH_ELEMENT(d, devices) {
                r = bind_read_only(init, *d, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
                if (r < 0)
                        return r;
        }
        FOREACH_ELEMENT(l, links)
        if (symlink((*l)[1], (*l)[0]) < 0)
                return fail(init, "making the link %s", (*l)[0]);
        return mount_set(init, "/dev", MOUNT_ATTR_RDONLY);
}

/* /etc: the files a program's libraries read, the sandbox user's own passwd and group, localhost. */
static int make_etc(Init *init) {
        const SandboxConfig *c = init->setup->config;
        static const char *const bound[] = { "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives" };

        if (mkdir("/etc", 0755) < 0)
                return fail(init, "making the directory /etc");
        int r;
        FOREACH_ELEMENT(path, bound) {
                r = bind_read_only(init, *path, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                if (r < 0)
                        return r;
        }
        if (c->network) {
                /* The host's resolver, followed where it is a link (systemd-resolved's stub file). */
                r = bind_read_only(init, "/etc/resolv.conf", true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                if (r < 0)
                        return r;
        }

        char passwd[PATH_MAX + 64], hosts[HOST_NAME_MAX + 96];
        (void) snprintf(passwd, sizeof(passwd), "sandbox:x:%d:%d:sandbox:%s:/bin/sh\n", SANDBOX_UID, SANDBOX_GID,
                c->workspace);
        (void) snprintf(hosts, sizeof(hosts), "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t%s\n",
                c->hostname ?: "sandbox");
        char group[64];
        (void) snprintf(group, sizeof(group), "sandbox:x:%d:\n", SANDBOX_GID);

        if ((r = write_file(init, "/etc/passwd", passwd)) < 0 || (r = write_file(init, "/etc/group", group)) < 0 ||
                (r = write_file(init, "/etc/hosts", hosts)) < 0 ||
                (r = write_file(init, "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")) < 0)
                return r;
        return 0;
}

/* A fresh procfs of the sandbox's PID namespace. The kernel mounts one in a user namespace only where a procfs
 * is already fully visible (nothing mounted over parts of it, as systemd's ProtectProc=, ProcSubset= and
 * ProtectKernelTunables= do): without it, the sandbox goes on without /proc, and the daemon logs that once. */
static int make_proc(Init *init) {
        if (mkdir("/proc", 0555) < 0)
                return fail(init, "making the directory /proc");
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                if (errno != EPERM && errno != EACCES)
                        return fail(init, "mounting /proc");
                send_step(init->setup->sock, SANDBOX_RECORD_NOTICE, errno,
                        "mounting /proc (the host's procfs is not fully visible to the daemon), going on without");
        }
        return 0;
}

/* The host's directory at workspace (SandboxConfig.workspace_bind): not recursive, so that nothing mounted
 * below it on the host comes along. */
static int bind_workspace(Init *init, const char *host_path, const char *workspace, bool read_only) {
        char host[PATH_MAX];
        if (snprintf(host, sizeof(host), OLD_ROOT "%s", host_path) >= (int) sizeof(host)) {
                errno = ENAMETOOLONG;
                return fail(init, "binding %s", host_path);
        }
        if (mkdir(workspace, 0755) < 0 && errno != EEXIST)
                return fail(init, "making the directory %s", workspace);
        if (mount(host, workspace, NULL, MS_BIND, NULL) < 0)
                return fail(init, "binding %s at the workspace %s", host_path, workspace);
        if (read_only)
                return mount_set(init, workspace, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
        if (mount_setattr(AT_FDCWD, workspace, 0, &attr, sizeof(attr)) == 0)
                return 0;
        /* Before Linux 5.12 (mount_set() would make it read-only there). */
        if (errno != ENOSYS || mount(NULL, workspace, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0)
                return fail(init, "setting nosuid and nodev on the workspace %s", workspace);
        return 0;
}

static const char *const base_binds[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

/* The new root: a tmpfs with read-only binds, /dev, /proc, /etc, /tmp and the workspace, read-only itself at
 * the end. It is built on a tmpfs mounted over /tmp, with the host's root at OLD_ROOT until it is detached,
 * so that binds of the host's /tmp are not hidden by it. */
static int make_root(Init *init) {
        const SandboxSetup *s = init->setup;
        const SandboxConfig *c = s->config;
        int r;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail(init, "making the mounts private");
        if (mount("sandbox", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096") < 0)
                return fail(init, "mounting the root tmpfs");
        if (mkdir("/tmp" OLD_ROOT, 0700) < 0)
                return fail(init, "making the directory " OLD_ROOT);
        if (syscall(SYS_pivot_root, "/tmp", "/tmp" OLD_ROOT) < 0)
                return fail(init, "changing to the new root (pivot_root)");
        if (chdir("/") < 0)
                return fail(init, "changing to the new root");

        FOREACH_ELEMENT(path, base_binds) {
                r = bind_read_only(init, *path, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                if (r < 0)
                        return r;
        }
        r = make_etc(init);
        if (r < 0)
                return r;
        for (const char *const *path = c->ro_binds; path && *path; path++) {
                r = bind_read_only(init, *path, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                if (r < 0)
                        return r;
        }
        r = make_dev(init);
        if (r < 0)
                return r;
        /* Before the host's root goes: procfs wants a fully visible one in the namespace. */
        r = make_proc(init);
        if (r < 0)
                return r;
        r = mount_tmpfs(init, "/tmp", MS_NOSUID | MS_NODEV, s->tmp_options);
        if (r < 0)
                return r;
        r = make_parents(init, c->workspace);
        if (r < 0)
                return r;
        r = c->workspace_bind ? bind_workspace(init, c->workspace_bind, c->workspace, c->workspace_read_only)
                              : mount_tmpfs(init, c->workspace, MS_NOSUID | MS_NODEV, s->workspace_options);
        if (r < 0)
                return r;

        if (umount2(OLD_ROOT, MNT_DETACH) < 0)
                return fail(init, "detaching the host's root");
        if (rmdir(OLD_ROOT) < 0)
                return fail(init, "removing " OLD_ROOT);
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return fail(init, "making the root read-only");
        if (chdir(c->workspace) < 0)
                return fail(init, "changing to the workspace %s", c->workspace);
        return 0;
}

/* The loopback interface of the sandbox's own network namespace, which starts down. Any socket takes the
 * interface ioctls; an AF_UNIX one is what the filters let every daemon open. */
static int loopback_up(Init *init) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return fail(init, "opening a socket for the loopback interface");
        struct ifreq ifr = { .ifr_name = "lo" };
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return fail(init, "reading the flags of lo");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return fail(init, "bringing lo up");
        return 0;
}

/* The sandbox user, from the start: a process of the user namespace whose uid is not mapped there may create
 * no file. Capabilities survive the switch: the kernel clears them when a process leaves uid 0 of its
 * namespace, and uid 0 is not mapped in this one. */
static int become_sandbox_user(Init *init) {
        if (init->setup->drop_groups && syscall(SYS_setgroups, 0, NULL) < 0)
                return fail(init, "dropping the supplementary groups");
        /* The system calls, not glibc's wrappers, which would signal the daemon's threads (see the top). */
        if (syscall(SYS_setresgid, SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0)
                return fail(init, "changing to the sandbox's group");
        if (syscall(SYS_setresuid, SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0)
                return fail(init, "changing to the sandbox's user");
        /* The init is a copy of the daemon, its memory and environment included: not dumpable, the payload may
         * not read them through /proc/1 (the payload is, from its execve() on, and the daemon reaches the
         * sandbox's files through its /proc/PID/root). And a sandbox dies with its daemon. A change of
         * credentials resets both, so they come after it. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return fail(init, "setting the process attributes");
        return 0;
}

/* No capability, now or after any execve(), no new privileges, and the sandbox's seccomp filter. */
static int drop_privileges(Init *init) {
        for (unsigned long cap = 0;; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break; /* past the last capability */
                        return fail(init, "dropping capability %lu from the bounding set", cap);
                }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return fail(init, "clearing the ambient capabilities");
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        if (syscall(SYS_capset, &header, data) < 0)
                return fail(init, "dropping the capabilities");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(init, "setting no_new_privs");
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &init->setup->filter, 0, 0) < 0)
                return fail(init, "installing the seccomp filter");
        return 0;
}

static int init_setup(Init *init) {
        const SandboxSetup *s = init->setup;
        const SandboxConfig *c = s->config;

        int keep[] = { s->sock, c->stdin_fd, c->stdout_fd, c->stderr_fd, c->control_fd };
        int r = keep_only_fds(init, keep, ELEMENTSOF(keep));
        if (r < 0)
                return r;
        /* What ps shows inside, rather than the daemon's name. */
        (void) prctl(PR_SET_NAME, "sandbox-init", 0, 0, 0);
        reset_signals();
        /* Nobody inside can signal the init of their PID namespace (it has no handlers); the daemon can kill it. */
        sigset_t all;
        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);

        /* The daemon writes the user namespace's maps and puts us in our cgroup, then says go. */
        char go;
        ssize_t n;
        do
                n = read(s->sock, &go, 1);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                _exit(EXIT_FAILURE); /* the daemon gave up on us */

        r = become_sandbox_user(init);
        if (r < 0)
                return r;
        /* Now that we are in the sandbox's cgroup: its root is the one we see. */
        if (unshare(CLONE_NEWCGROUP) < 0)
                return fail(init, "making a cgroup namespace");
        r = make_root(init);
        if (r < 0)
                return r;
        const char *hostname = c->hostname ?: "sandbox";
        if (sethostname(hostname, strlen(hostname)) < 0)
                return fail(init, "setting the host name");
        if (!c->network) {
                r = loopback_up(init);
                if (r < 0)
                        return r;
        }
        return drop_privileges(init);
}

/* In the payload's process, before execve(): an error goes to the init over fd, and the process exits. */
_Noreturn _printf_(2, 3) static void payload_fail(int fd, const char *format, ...) {
        SandboxRecord record = { .kind = SANDBOX_RECORD_FAILED, .error = errno ?: EIO };
        va_list ap;
        va_start(ap, format);
        (void) vsnprintf(record.step, sizeof(record.step), format, ap);
        va_end(ap);
        (void) write(fd, &record, sizeof(record));
        _exit(127);
}

/* fds 0, 1, 2 and 3 from the config (-1: /dev/null, or no fd 3), everything else closed but exec_fd, which is
 * returned, moved above 3. */
static int payload_fds(const SandboxConfig *c, int exec_fd) {
        exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 4);
        if (exec_fd < 0)
                _exit(127);

        const int wanted[4] = { c->stdin_fd, c->stdout_fd, c->stderr_fd, c->control_fd };
        int moved[4];
        for (int i = 0; i < 4; i++) {
                /* Above 3 first, so that placing one cannot overwrite another still to be placed. */
                int fd = wanted[i] >= 0 ? wanted[i] : i < 3 ? open("/dev/null", O_RDWR | O_CLOEXEC) : -EBADF;
                moved[i] = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 4) : -EBADF;
                if (fd >= 0 && moved[i] < 0)
                        payload_fail(exec_fd, "placing the payload's fd %d", i);
        }
        for (int i = 0; i < 4; i++) {
                if (moved[i] < 0) {
                        (void) close(i); /* no fd 3 */
                        continue;
                }
                if (dup2(moved[i], i) < 0)
                        payload_fail(exec_fd, "placing the payload's fd %d", i);
        }

        if ((exec_fd > 4 && close_range(4, exec_fd - 1, 0) < 0) || close_range(exec_fd + 1, ~0U, 0) < 0)
                payload_fail(exec_fd, "closing the file descriptors");
        return exec_fd;
}

/* A limit of SandboxLimits: 0 is none. */
static rlim_t limit(uint64_t value) {
        return value > 0 ? (rlim_t) value : RLIM_INFINITY;
}

static void payload_rlimits(const SandboxLimits *l, int exec_fd) {
        const struct {
                int resource;
                rlim_t value;
                const char *name;
        } limits[] = {
                { RLIMIT_AS, limit(l->memory_bytes), "RLIMIT_AS" },
                { RLIMIT_NPROC, limit(l->tasks), "RLIMIT_NPROC" },
                { RLIMIT_NOFILE, l->open_files ?: SANDBOX_OPEN_FILES_DEFAULT, "RLIMIT_NOFILE" },
                { RLIMIT_FSIZE, limit(l->file_size), "RLIMIT_FSIZE" },
                { RLIMIT_CPU, limit(l->cpu_seconds), "RLIMIT_CPU" },
                { RLIMIT_CORE, 0, "RLIMIT_CORE" },
        };
        FOREACH_ELEMENT(i, limits) {
                struct rlimit rl = { i->value, i->value };
                /* No limit where the daemon's own hard limit is lower: then the daemon's stays. */
                if (setrlimit(i->resource, &rl) < 0 && !(errno == EPERM && i->value == RLIM_INFINITY))
                        payload_fail(exec_fd, "setting %s", i->name);
        }
}

_Noreturn static void payload_exec(const SandboxConfig *c, int exec_fd) {
        if (setsid() < 0)
                payload_fail(exec_fd, "starting a session");
        reset_signals();
        sigset_t none;
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        exec_fd = payload_fds(c, exec_fd);
        payload_rlimits(&c->limits, exec_fd);
        execve(c->argv[0], c->argv, c->envp);
        payload_fail(exec_fd, "executing %s", c->argv[0]);
}

/* Forks the payload and waits until it has executed (or failed to, with the reason). */
static int start_payload(Init *init, pid_t *ret_pid, int *ret_pidfd) {
        int exec_pipe[2];
        if (pipe2(exec_pipe, O_CLOEXEC) < 0)
                return fail(init, "making a pipe");

        int pidfd = -EBADF;
        pid_t pid = sandbox_raw_clone(SIGCHLD | CLONE_PIDFD, &pidfd);
        if (pid < 0) {
                int r = fail(init, "starting the payload's process");
                close(exec_pipe[0]);
                close(exec_pipe[1]);
                return r;
        }
        if (pid == 0) {
                close(exec_pipe[0]);
                close(init->setup->sock);
                payload_exec(init->setup->config, exec_pipe[1]);
        }

        close(exec_pipe[1]);
        SandboxRecord record;
        ssize_t n;
        do
                n = read(exec_pipe[0], &record, sizeof(record));
        while (n < 0 && errno == EINTR);
        close(exec_pipe[0]);
        if (n != 0) { /* execve() closed the pipe, or the payload told why it did not get there */
                (void) waitpid(pid, NULL, 0);
                close(pidfd);
                if (n != (ssize_t) sizeof(record))
                        return fail(init, "starting the payload");
                errno = record.error;
                return fail(init, "%s", record.step);
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

/* Reaps every process left to us until the payload exits, then tells the daemon its status and exits, which
 * ends every other process in the namespace. */
_Noreturn static void reap_until(int sock, pid_t payload) {
        for (;;) {
                int status;
                pid_t pid = wait4(-1, &status, __WALL, NULL);
                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(EXIT_FAILURE);
                }
                if (pid != payload)
                        continue;

                SandboxRecord record = { .kind = SANDBOX_RECORD_EXITED, .status = status };
                send_record(sock, &record, -EBADF);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
}

_Noreturn void sandbox_init_run(const SandboxSetup *setup) {
        Init init = { .setup = setup };
        const SandboxConfig *c = setup->config;

        int r = init_setup(&init);
        pid_t payload = 0;
        int pidfd = -EBADF;
        if (r >= 0)
                r = start_payload(&init, &payload, &pidfd);
        if (r < 0) {
                send_step(setup->sock, SANDBOX_RECORD_FAILED, -r, init.step);
                _exit(EXIT_FAILURE);
        }

        /* The payload has its copies; the init keeps nothing of the daemon's but the socket. */
        const int given[] = { c->stdin_fd, c->stdout_fd, c->stderr_fd, c->control_fd };
        FOREACH_ELEMENT(fd, given)
        if (*fd >= 0 && *fd != setup->sock)
                close(*fd);

        SandboxRecord record = { .kind = SANDBOX_RECORD_RUNNING };
        send_record(setup->sock, &record, pidfd);
        close(pidfd);
        reap_until(setup->sock, payload);
}
