/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's files, read once at start from its directory: regular files only, opened under the
 * directory's fd without following links, so that nothing outside it is ever served and no request touches
 * the file system. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "log.h"
#include "web-files.h"

static const struct {
        const char *suffix;
        const char *type;
} file_types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".mjs", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".ico", "image/x-icon" },
        { ".json", "application/json" },
        { ".webmanifest", "application/manifest+json" },
        { ".txt", "text/plain; charset=utf-8" },
        { ".woff2", "font/woff2" },
};

static const char *type_of(const char *name) {
        size_t n = strlen(name);
        FOREACH_ELEMENT(t, file_types) {
                size_t l = strlen(t->suffix);
                if (n > l && streq(name + n - l, t->suffix))
                        return t->type;
        }
        return NULL;
}

/* Names a URL can carry as they are: no dot first (no ".", "..", hidden files), nothing to escape. */
static bool name_is_plain(const char *name) {
        if (name[0] == 0 || name[0] == '.' || strlen(name) > 128)
                return false;
        for (const char *p = name; *p; p++)
                if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') && *p != '.' &&
                        *p != '_' && *p != '-')
                        return false;
        return true;
}

static void web_file_free(WebFile *f) {
        if (!f)
                return;
        free(f->path);
        free(f->data);
        free(f);
}

Hashmap *web_files_free(Hashmap *files) {
        size_t state = 0;
        void *v;
        while (hashmap_iterate(files, &state, &v, NULL))
                web_file_free(v);
        return hashmap_free(files);
}

static int read_file(int fd, const struct stat *st, WebFile *f) {
        f->data = malloc(st->st_size + 1);
        if (!f->data)
                return -ENOMEM;
        size_t n = 0;
        while (n < (size_t) st->st_size) {
                ssize_t k = read(fd, f->data + n, st->st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
        }
        f->data[n] = 0;
        f->size = n;

        uint8_t md[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        sha256_init(&ctx);
        sha256_update(&ctx, f->size, (const uint8_t *) f->data);
        sha256_digest(&ctx, sizeof(md), md);
        static const char hex[] = "0123456789abcdef";
        char *e = f->etag;
        *e++ = '"';
        for (unsigned i = 0; i < 12; i++) {
                *e++ = hex[md[i] >> 4];
                *e++ = hex[md[i] & 15];
        }
        *e++ = '"';
        *e = 0;
        return 0;
}

static int load_dir(int dir_fd, const char *prefix, unsigned depth, Hashmap *files, size_t *total) {
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                if (!name_is_plain(de->d_name))
                        continue;
                _cleanup_close_ int child =
                        openat(dir_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (child < 0) {
                        if (errno != ELOOP) /* a symbolic link: never served */
                                log_warning_errno(errno, "Failed to open %s%s of the dashboard, leaving it out: %m",
                                        prefix, de->d_name);
                        continue;
                }
                struct stat st;
                if (fstat(child, &st) < 0) {
                        r = -errno;
                        break;
                }
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s%s%s", prefix, de->d_name, S_ISDIR(st.st_mode) ? "/" : "") < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (depth < WEB_FILES_DEPTH_MAX)
                                r = load_dir(child, path, depth + 1, files, total);
                        continue;
                }
                const char *type = type_of(de->d_name);
                if (!S_ISREG(st.st_mode) || !type)
                        continue;
                if (st.st_size > WEB_FILE_SIZE_MAX || *total + st.st_size > WEB_FILES_SIZE_MAX) {
                        log_warning("The dashboard's file %s is too large (or the files together are), leaving it out.",
                                path);
                        continue;
                }
                WebFile *f = new0(WebFile, 1);
                if (!f) {
                        r = -ENOMEM;
                        break;
                }
                f->type = type;
                f->path = TAKE_PTR(path);
                r = read_file(child, &st, f);
                if (r >= 0)
                        r = hashmap_put(files, f->path, f);
                if (r < 0) {
                        web_file_free(f);
                        break;
                }
                *total += f->size;
        }
        closedir(d);
        return r;
}

int web_files_load(const char *directory, Hashmap **ret) {
        _cleanup_close_ int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        Hashmap *files = hashmap_new();
        if (!files)
                return -ENOMEM;
        size_t total = 0;
        int r = load_dir(fd, "/web/", 0, files, &total);
        if (r < 0) {
                web_files_free(files);
                return r;
        }
        *ret = files;
        return 0;
}
