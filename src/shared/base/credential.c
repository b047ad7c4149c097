/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "credential.h"
#include "macro.h"

int credential_read(const char *name, size_t max, char **ret) {
        *ret = NULL;
        _cleanup_free_ char *path = NULL;
        if (name[0] != '/') {
                const char *dir = getenv("CREDENTIALS_DIRECTORY");
                if (!dir || *dir != '/')
                        return 0;
                if (asprintf(&path, "%s/%s", dir, name) < 0)
                        return -ENOMEM;
        }
        _cleanup_close_ int fd = open(path ?: name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        _cleanup_free_ char *text = new0(char, max + 1);
        if (!text)
                return -ENOMEM;
        size_t size = 0;
        for (;;) {
                ssize_t n = read(fd, text + size, max + 1 - size);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        text[size] = 0;
        *ret = TAKE_PTR(text);
        return 1;
}
