/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paths inside a workspace, resolved by the kernel beneath the workspace's directory fd. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workspace.h"

int ide_path_normalize(const char *path, char **ret, const char **ret_reason) {
        if (!path)
                path = "";
        if (path[0] == '/') {
                *ret_reason = "it is absolute; paths are relative to the workspace";
                return -EINVAL;
        }
        size_t n = strlen(path);
        if (n > IDE_PATH_MAX) {
                *ret_reason = "it is too long";
                return -ENAMETOOLONG;
        }
        char *out = new0(char, n + 2), *o = out;
        if (!out)
                return -ENOMEM;
        for (const char *p = path; *p;) {
                size_t len = strcspn(p, "/");
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (o > out)
                                *o++ = '/';
                        memcpy(o, p, len);
                        o += len;
                }
                p += len;
                p += strspn(p, "/");
        }
        if (o == out)
                *o++ = '.';
        *o = 0;
        *ret = out;
        return 0;
}

int ide_openat(int dirfd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        if (dirfd < 0)
                return dirfd;
        if (isempty(path))
                return -EINVAL;
        for (;;) {
                int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                /* The kernel asks for a retry when a rename elsewhere raced with the lookup. */
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
        }
}

int ide_open(IdeWorkspace *w, const char *path, int flags, mode_t mode) {
        return ide_openat(w->fd, path, flags, mode);
}

int ide_open_parent(IdeWorkspace *w, const char *path, bool create, const char **ret_name) {
        const char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        if (isempty(name) || streq(name, ".") || streq(name, ".."))
                return -EISDIR;
        *ret_name = name;
        if (!slash)
                return ide_open(w, ".", O_PATH | O_DIRECTORY, 0);

        _cleanup_free_ char *parent = strndup(path, slash - path);
        if (!parent)
                return -ENOMEM;
        int fd = ide_open(w, parent, O_PATH | O_DIRECTORY, 0);
        if (fd != -ENOENT || !create)
                return fd;

        /* Each missing directory is made in the one above it, which was itself opened beneath the workspace. */
        _cleanup_close_ int dir = ide_open(w, ".", O_PATH | O_DIRECTORY, 0);
        if (dir < 0)
                return dir;
        for (char *p = parent;;) {
                char *end = strchr(p, '/');
                if (end)
                        *end = 0;
                int next = ide_openat(w->fd, parent, O_PATH | O_DIRECTORY, 0);
                if (next == -ENOENT) {
                        if (mkdirat(dir, p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        /* The unit's UMask= would leave it to the daemon's user alone. */
                        _cleanup_close_ int made = ide_openat(dir, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
                        if (made >= 0)
                                (void) fchmod(made, 0755);
                        next = ide_openat(w->fd, parent, O_PATH | O_DIRECTORY, 0);
                }
                if (next < 0)
                        return next;
                safe_close(dir);
                dir = next;
                if (!end)
                        break;
                *end = '/';
                p = end + 1;
        }
        return TAKE_FD(dir);
}

const char *ide_errno_text(int r) {
        switch (r) {
        case -ENOENT:
                return "there is no such file or directory";
        case -EXDEV:
                return "it leads outside the workspace (through \"..\" or a symlink that points out), which is refused";
        case -ELOOP:
                return "it goes through a /proc magic link or too many symlinks, which is refused";
        case -EISDIR:
                return "it is a directory";
        case -ENOTDIR:
                return "a part of it is not a directory";
        case -EEXIST:
                return "it already exists";
        case -EACCES:
        case -EPERM:
                return "the server's user may not do that there (file permissions)";
        case -ENOSPC:
        case -EDQUOT:
                return "the file system is full";
        case -EROFS:
                return "the file system is read-only";
        case -ENAMETOOLONG:
                return "the path is too long";
        case -ENOTEMPTY:
                return "the directory is not empty";
        case -EFBIG:
                return "it is larger than this server handles";
        default:
                return strerror(-r);
        }
}

bool ide_path_is_trash(const char *path) {
        size_t n = strlen(IDE_TRASH_DIR);
        return strncmp(path, IDE_TRASH_DIR, n) == 0 && (path[n] == 0 || path[n] == '/');
}
