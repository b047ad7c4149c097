/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's way into a sandbox's files: its root through /proc/PID/root, paths resolved inside it only. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "sandbox-internal.h"

static int openat2_in_root(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .mode = flags & (O_CREAT | __O_TMPFILE) ? mode : 0,
                .resolve = resolve,
        };
        int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

int sandbox_open_workspace(Sandbox *s) {
        assert(s);

        /* The payload's root, not the init's: the init is not dumpable (sandbox-init.c), and its /proc/PID/root
         * is root's alone. */
        pid_t pid;
        int pidfd = sandbox_get_payload(s, &pid);
        if (pidfd < 0)
                return log_error_errno(pidfd, "The payload of the sandbox %d is gone.", sandbox_get_pid(s));

        char root_path[64];
        (void) snprintf(root_path, sizeof(root_path), "/proc/%d/root", pid);
        _cleanup_close_ int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return log_error_errno(errno, "Failed to open the root of the sandbox %d: %m", sandbox_get_pid(s));
        /* Still the payload (its pid not yet reused by another process) after the open? */
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return log_error_errno(errno, "The payload of the sandbox %d is gone: %m", sandbox_get_pid(s));

        /* The workspace is a mount of its own: no RESOLVE_NO_XDEV on the way there. */
        int fd = openat2_in_root(root, sandbox_get_workspace(s) + 1, O_PATH | O_DIRECTORY, 0,
                RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return log_error_errno(fd, "Failed to open the workspace of the sandbox %d: %m", sandbox_get_pid(s));
        return fd;
}

/* Files and directories the daemon creates in a sandbox belong to the sandbox user: a root daemon creates them
 * as nobody, whom the sandbox's user namespace maps to it (a uid it does not map, root's, may create nothing
 * there: EOVERFLOW). fsuid and fsgid are the calling thread's own. Returns the previous ones, for
 * restore_fs_ids(). */
static void switch_fs_ids(uid_t *ret_uid, gid_t *ret_gid) {
        *ret_uid = geteuid();
        *ret_gid = getegid();
        (void) syscall(SYS_setfsgid, SANDBOX_OVERFLOW_GID);
        (void) syscall(SYS_setfsuid, SANDBOX_OVERFLOW_UID);
}

static void restore_fs_ids(uid_t uid, gid_t gid) {
        (void) syscall(SYS_setfsuid, uid);
        (void) syscall(SYS_setfsgid, gid);
}

static int open_as_sandbox_user(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
        uid_t uid;
        gid_t gid;
        switch_fs_ids(&uid, &gid);
        int fd = openat2_in_root(dirfd, path, flags, mode, resolve);
        restore_fs_ids(uid, gid);
        return fd;
}

int sandbox_openat(int dirfd, const char *path, int flags, mode_t mode) {
        assert(dirfd >= 0);

        if (isempty(path))
                return -EINVAL;
        uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
        if (flags & (O_CREAT | __O_TMPFILE) && geteuid() == 0)
                return open_as_sandbox_user(dirfd, path, flags, mode, resolve);
        return openat2_in_root(dirfd, path, flags, mode, resolve);
}

int sandbox_mkdirat(int dirfd, const char *name, mode_t mode) {
        assert(dirfd >= 0);

        /* mkdirat() knows no RESOLVE_IN_ROOT: one component, in a directory sandbox_openat() opened, leads
         * nowhere else (a symlink planted under the name is not followed: EEXIST, as for "." and ".."). */
        if (isempty(name) || strchr(name, '/'))
                return -EINVAL;
        if (geteuid() != 0)
                return mkdirat(dirfd, name, mode) < 0 ? -errno : 0;
        uid_t uid;
        gid_t gid;
        switch_fs_ids(&uid, &gid);
        int r = mkdirat(dirfd, name, mode) < 0 ? -errno : 0;
        restore_fs_ids(uid, gid);
        return r;
}
