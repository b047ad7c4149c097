/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox's workspace seen from the daemon: files written in and read out through sandbox_openat(), so that
 * no path, symlink or special file the code planted there leads outside it or blocks the daemon. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "base64.h"
#include "mcp-content.h"
#include "sandbox.h"
#include "text.h"
#include "workspace.h"

#define PATH_MAX_BYTES 1024

#define LIST_DEPTH_MAX 16

const char *workspace_path(const char *path) {
        if (!path)
                return NULL;
        if (startswith_ptr(path, "/work/"))
                path += strlen("/work/");
        size_t n = strlen(path);
        if (n == 0 || n > PATH_MAX_BYTES || path[0] == '/' || path[n - 1] == '/' || strstr(path, "//"))
                return NULL;
        return path;
}

/* The directory that holds path's last component, made as needed, as an O_PATH fd; *ret_name is that
 * component (pointing into path). */
static int open_parent(int dirfd, const char *path, bool create, const char **ret_name) {
        const char *slash = strrchr(path, '/');
        *ret_name = slash ? slash + 1 : path;
        if (!slash) {
                int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? -errno : fd;
        }

        _cleanup_free_ char *parent = strndup(path, slash - path);
        if (!parent)
                return -ENOMEM;
        int fd = sandbox_openat(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd >= 0 || fd != -ENOENT || !create)
                return fd;

        /* Make the missing directories one at a time, each resolved inside the workspace again. */
        _cleanup_close_ int at = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (at < 0)
                return -errno;
        for (char *component = parent, *next; component; component = next) {
                next = strchr(component, '/');
                if (next)
                        *next++ = 0;
                int sub = sandbox_openat(at, component, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
                if (sub == -ENOENT) {
                        int r = sandbox_mkdirat(at, component, 0755);
                        if (r < 0 && r != -EEXIST)
                                return r;
                        sub = sandbox_openat(at, component, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
                }
                if (sub < 0)
                        return sub;
                safe_close(at);
                at = sub;
        }
        return TAKE_FD(at);
}

int workspace_write(int dirfd, const char *path, const void *data, size_t size) {
        const char *name;
        _cleanup_close_ int parent = open_parent(dirfd, path, true, &name);
        if (parent < 0)
                return parent;
        if (streq(name, ".") || streq(name, ".."))
                return -EISDIR;
        /* O_NONBLOCK: a FIFO planted under the name must not hold the daemon; O_NOFOLLOW: nor a symlink lead
         * elsewhere in the workspace. Only a regular file is written. */
        _cleanup_close_ int fd =
                sandbox_openat(parent, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
        if (fd < 0)
                return fd == -ELOOP ? -EEXIST : fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EEXIST;
        if (ftruncate(fd, 0) < 0)
                return -errno;
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, (const char *) data + done, size - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += n;
        }
        return 0;
}

int workspace_read(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size, uint64_t *ret_file_size) {
        _cleanup_close_ int fd = sandbox_openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        size_t want = MIN((uint64_t) max, (uint64_t) st.st_size);
        _cleanup_free_ char *buf = malloc(want + 1);
        if (!buf)
                return -ENOMEM;
        size_t got = 0;
        while (got < want) {
                ssize_t n = read(fd, buf + got, want - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += n;
        }
        buf[got] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = got;
        *ret_file_size = st.st_size;
        return 0;
}

static const char *type_of(mode_t mode) {
        return S_ISREG(mode) ? "file" : S_ISDIR(mode) ? "directory" : S_ISLNK(mode) ? "symlink" : "other";
}

static int list_add(json_object *list, const char *path, const struct stat *st) {
        char modified[32] = "";
        struct tm tm;
        if (gmtime_r(&st->st_mtime, &tm))
                strftime(modified, sizeof(modified), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object *e = json_object_new_object();
        if (!e || json_add_string(e, "path", path) < 0 || json_add_string(e, "type", type_of(st->st_mode)) < 0 ||
                json_add(e, "size", json_object_new_int64(st->st_size)) < 0 ||
                json_add_string(e, "modified", modified) < 0 || json_object_array_add(list, e) < 0) {
                json_object_put(e);
                return -ENOMEM;
        }
        return 0;
}

/* Walks the directory fd (taken), adding entries under prefix. Only names the kernel listed are opened, with
 * O_NOFOLLOW, relative to their directory: a symlink is listed, never entered. */
static int list_dir(int fd, const char *prefix, unsigned depth, size_t max, json_object *list, bool *truncated) {
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (json_object_array_length(list) >= max) {
                        *truncated = true;
                        break;
                }
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = list_add(list, path, &st);
                if (r < 0)
                        break;
                if (S_ISDIR(st.st_mode)) {
                        if (depth >= LIST_DEPTH_MAX) {
                                *truncated = true;
                                continue;
                        }
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                continue;
                        r = list_dir(sub, path, depth + 1, max, list, truncated);
                        if (r < 0)
                                break;
                }
        }
        closedir(d);
        return r;
}

int workspace_list(int dirfd, const char *path, size_t max, json_object **ret, bool *ret_truncated) {
        int fd = isempty(path) ? openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                               : sandbox_openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0)
                return isempty(path) ? -errno : fd;
        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list) {
                safe_close(fd);
                return -ENOMEM;
        }
        bool truncated = false;
        int r = list_dir(fd, strempty(path), 0, max, list, &truncated);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        *ret_truncated = truncated;
        return 0;
}

json_object *workspace_resource(const char *uri, const char *path, const char *data, size_t size) {
        const char *mime = mime_type_of(path);
        if (utf8_is_text(data, size))
                return mcp_resource_text(uri, streq(mime, "application/octet-stream") ? "text/plain" : mime, data);
        _cleanup_free_ char *blob = base64_encode(data, size);
        if (!blob)
                return NULL;
        return mcp_resource_blob(uri, mime, blob);
}
