/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading files of a workspace: by lines as they stream past (a range deep in a huge file costs no memory),
 * with the encoding detected on the first block. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "file-read.h"
#include "text.h"
#include "workspace.h"

#define BLOCK (64 * 1024)

static int open_regular(int dirfd, const char *path, struct stat *st) {
        /* O_NONBLOCK: a FIFO planted in the workspace must not hang the reader. */
        _cleanup_close_ int fd = ide_openat(dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, st) < 0)
                return -errno;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        return TAKE_FD(fd);
}

int ide_read_all(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size) {
        struct stat st;
        _cleanup_close_ int fd = open_regular(dirfd, path, &st);
        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        _cleanup_(buffer_done) Buffer b = {};
        char block[BLOCK];
        for (;;) {
                ssize_t n = read(fd, block, sizeof(block));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                int r = buffer_append(&b, block, n, max);
                if (r < 0)
                        return r == -E2BIG ? -EFBIG : r;
        }
        if (!b.data && buffer_append(&b, "", 0, max) < 0)
                return -ENOMEM;
        *ret_size = b.size;
        *ret = TAKE_PTR(b.data);
        return 0;
}

static int append_line(Buffer *out, const char *line, size_t len, unsigned number, const IdeReadOptions *o,
        IdeEncoding e, bool *truncated) {
        char prefix[24] = "";
        size_t plen = o->line_numbers ? (size_t) snprintf(prefix, sizeof(prefix), "%6u\t", number) : 0;
        _cleanup_free_ char *converted = NULL;
        if (e == IDE_ENCODING_LATIN1) {
                converted = latin1_to_utf8(line, len);
                if (!converted)
                        return -ENOMEM;
                line = converted;
                len = strlen(converted);
        }
        if (out->size + plen + len > o->max_bytes) {
                /* The first line that does not fit is cut at a character, and nothing after it is shown. */
                size_t room = o->max_bytes > out->size + plen ? o->max_bytes - out->size - plen : 0;
                if (room > 0) {
                        (void) buffer_append(out, prefix, plen, SIZE_MAX);
                        (void) buffer_append(out, line, utf8_cut(line, len, room), SIZE_MAX);
                }
                *truncated = true;
                return 0;
        }
        if (buffer_append(out, prefix, plen, SIZE_MAX) < 0 || buffer_append(out, line, len, SIZE_MAX) < 0)
                return -ENOMEM;
        return 1;
}

int ide_read_one(IdeWorkspace *ws, const char *path, const IdeReadOptions *o, json_object **ret, char **ret_error) {
        struct stat st;
        _cleanup_close_ int fd = open_regular(ws->fd, path, &st);
        if (fd < 0) {
                if (asprintf(ret_error, "%s cannot be read: %s.", path,
                            fd == -EINVAL ? "it is not a regular file (a FIFO, socket or device is not read)"
                                          : ide_errno_text(fd)) < 0)
                        *ret_error = NULL;
                return fd;
        }

        _cleanup_(buffer_done) Buffer out = {};
        char block[BLOCK];
        size_t carry_size = 0;
        _cleanup_free_ char *carry = NULL; /* a line that spans blocks */
        unsigned line = 1, first = 0, last = 0;
        bool truncated = false, eof = false, detected = false;
        IdeEncoding e = IDE_ENCODING_UTF8;
        unsigned start = MAX(o->start_line, 1u), end = o->end_line;

        for (;;) {
                ssize_t n = read(fd, block, sizeof(block));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (!detected) {
                        e = ide_encoding_detect(block, MIN((size_t) n, (size_t) 8192));
                        detected = true;
                        if (e == IDE_ENCODING_BINARY || e == IDE_ENCODING_UTF16LE || e == IDE_ENCODING_UTF16BE)
                                break;
                }
                if (n == 0) {
                        eof = true;
                        if (carry_size > 0 && line >= start && (end == 0 || line <= end) && !truncated) {
                                int r = append_line(&out, carry, carry_size, line, o, e, &truncated);
                                if (r < 0)
                                        return r;
                                if (r > 0) {
                                        first = first ?: line;
                                        last = line;
                                }
                        }
                        if (carry_size > 0)
                                line++;
                        break;
                }
                const char *p = block, *stop = block + n;
                while (p < stop) {
                        const char *nl = memchr(p, '\n', stop - p);
                        size_t len = (nl ? nl + 1 : stop) - p;
                        bool wanted = line >= start && (end == 0 || line <= end) && !truncated;
                        if (!nl) {
                                /* Only a wanted line is kept across blocks; others are just counted. */
                                if (wanted) {
                                        char *m = realloc(carry, carry_size + len + 1);
                                        if (!m)
                                                return -ENOMEM;
                                        carry = m;
                                        memcpy(carry + carry_size, p, len);
                                }
                                carry_size += len;
                                if (carry_size > o->max_bytes + 4 && wanted) {
                                        int r = append_line(&out, carry, carry_size, line, o, e, &truncated);
                                        if (r < 0)
                                                return r;
                                }
                                break;
                        }
                        if (wanted) {
                                int r;
                                if (carry_size > 0) {
                                        char *m = realloc(carry, carry_size + len + 1);
                                        if (!m)
                                                return -ENOMEM;
                                        carry = m;
                                        memcpy(carry + carry_size, p, len);
                                        r = append_line(&out, carry, carry_size + len, line, o, e, &truncated);
                                } else
                                        r = append_line(&out, p, len, line, o, e, &truncated);
                                if (r < 0)
                                        return r;
                                if (r > 0) {
                                        first = first ?: line;
                                        last = line;
                                }
                        }
                        carry_size = 0;
                        line++;
                        p = nl + 1;
                }
                /* Past the range, or the answer is full: the rest of the file is not read. */
                if ((end > 0 && line > end) || truncated)
                        break;
        }

        _cleanup_json_ json_object *o_json = json_object_new_object();
        if (!o_json || json_add_string(o_json, "path", path) < 0 ||
                json_add(o_json, "size", json_object_new_int64(st.st_size)) < 0 ||
                json_add_string(o_json, "encoding", ide_encoding_to_string(e)) < 0 ||
                json_add(o_json, "binary", json_object_new_boolean(e == IDE_ENCODING_BINARY)) < 0)
                return -ENOMEM;
        if (e == IDE_ENCODING_BINARY || e == IDE_ENCODING_UTF16LE || e == IDE_ENCODING_UTF16BE) {
                if (json_add_string(o_json, "text", "") < 0 ||
                        json_add(o_json, "truncated", json_object_new_boolean(true)) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(o_json);
                return 0;
        }
        if (!out.data && buffer_append(&out, "", 0, SIZE_MAX) < 0)
                return -ENOMEM;
        if (json_add_string(o_json, "text", out.data) < 0 ||
                json_add(o_json, "start_line", json_object_new_int(first ?: start)) < 0 ||
                json_add(o_json, "end_line", json_object_new_int(last)) < 0 ||
                json_add(o_json, "truncated", json_object_new_boolean(truncated)) < 0)
                return -ENOMEM;
        if (eof && !truncated && json_add(o_json, "total_lines", json_object_new_int(line - 1)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o_json);
        return 0;
}
