/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Atomic replacement: readers see the old file or the new one, never half of one, and a crash leaves one of
 * them on disk. Everything happens relative to the parent directory's fd, opened beneath the workspace. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-write.h"
#include "workspace.h"

static int write_all(int fd, const char *data, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                data += n;
                size -= n;
        }
        return 0;
}

int ide_write_atomic(IdeWorkspace *ws, const char *path, const char *data, size_t size, bool create_parents,
        bool *ret_created) {
        const char *name;
        _cleanup_close_ int dir = ide_open_parent(ws, path, create_parents, &name);
        if (dir < 0)
                return dir;

        struct stat st;
        mode_t mode = 0644;
        bool created = true;
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                if (S_ISDIR(st.st_mode))
                        return -EISDIR;
                if (!S_ISREG(st.st_mode))
                        return -EINVAL;
                mode = st.st_mode & 07777;
                created = false;
        } else if (errno != ENOENT)
                return -errno;

        uint64_t random;
        if (getrandom(&random, sizeof(random), 0) != sizeof(random))
                return -errno;
        char tmp[NAME_MAX + 1];
        if (snprintf(tmp, sizeof(tmp), ".#%.200s.%016llx", name, (unsigned long long) random) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = ide_openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd < 0)
                return fd;
        int r = write_all(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir, tmp, dir, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dir, tmp, 0);
                return r;
        }
        /* The rename itself is durable once the directory is synced. */
        _cleanup_close_ int sync_fd = ide_openat(dir, ".", O_RDONLY | O_DIRECTORY, 0);
        if (sync_fd >= 0)
                (void) fsync(sync_fd);
        if (ret_created)
                *ret_created = created;
        return 0;
}
