/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a workspace's files: whole or by lines, with the encoding found and a cap on what is returned. */
#pragma once

#include "ide.h"
#include "json-util.h"

typedef struct IdeReadOptions {
        unsigned start_line; /* 1-based; 0: from the start */
        unsigned end_line;   /* inclusive; 0: to the end */
        bool line_numbers;
        size_t max_bytes; /* of text returned */
} IdeReadOptions;

/* Reads path of ws as ide_read_file answers: {path, size, encoding, binary, text, start_line, end_line,
 * total_lines?, truncated}. A failure is a negative errno with *ret_error set (a sentence). */
int ide_read_one(IdeWorkspace *ws, const char *path, const IdeReadOptions *o, json_object **ret, char **ret_error);

/* Reads a regular file below dirfd whole (at most max bytes: -EFBIG beyond). */
int ide_read_all(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size);
