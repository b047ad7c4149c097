/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's files: read once at start from its directory into a table keyed by URL path. */
#pragma once

#include <stddef.h>

#include "hashmap.h"

/* One file of the dashboard, read at start. */
typedef struct WebFile {
        char *path; /* the URL path: "/web/app.js" */
        char *data;
        size_t size;
        const char *type; /* Content-Type */
        char etag[32];    /* "\"…\"": a digest of the contents */
} WebFile;

#define WEB_FILE_SIZE_MAX (8 * 1024 * 1024)
#define WEB_FILES_SIZE_MAX (64 * 1024 * 1024)
#define WEB_FILES_DEPTH_MAX 4 /* directories below the top one */

/* Reads the regular files under directory (no symbolic links, no names starting with a dot or with other
 * characters than A-Z a-z 0-9 . _ -, only the kinds of file a dashboard has, at most WEB_FILE_SIZE_MAX each
 * and WEB_FILES_SIZE_MAX together, WEB_FILES_DEPTH_MAX directories down) into a table keyed by their URL
 * path under /web/. -ENOENT when directory is not there, another -errno when it cannot be read. */
int web_files_load(const char *directory, Hashmap **ret);
Hashmap *web_files_free(Hashmap *files);
