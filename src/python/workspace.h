/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox's workspace seen from the daemon: files written in and read out through sandbox_openat(), so that
 * no path, symlink or special file the code planted there leads outside it or blocks the daemon. */
#pragma once

#include <stdint.h>

#include "json-util.h"

/* Whether path names a file in the workspace: relative (or under "/work/"), 1 to 1024 bytes, no NUL, no
 * empty component. Returns the relative path (pointing into path), or NULL. */
const char *workspace_path(const char *path);

/* Writes data into path (parents made as needed), replacing a regular file there. -EISDIR/-EEXIST... when
 * something else is in the way; -EFBIG/-ENOSPC when the workspace is full. */
int workspace_write(int dirfd, const char *path, const void *data, size_t size);
/* Reads at most max bytes of the regular file path: *ret (NUL-terminated, of *ret_size bytes) and the whole
 * file's size. -EINVAL when it is not a regular file (a FIFO, a device, a directory). */
int workspace_read(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size, uint64_t *ret_file_size);
/* Lists what is under path ("" the whole workspace), depth first, at most max entries: a new array of
 * {path, type, size, modified}. *ret_truncated says whether more were left out. */
int workspace_list(int dirfd, const char *path, size_t max, json_object **ret, bool *ret_truncated);

/* The file's content as an MCP resource: text when it is UTF-8 without NULs, else a base64 blob. */
json_object *workspace_resource(const char *uri, const char *path, const char *data, size_t size);
