/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growable byte buffer with a size limit, kept NUL-terminated after its data. */
#pragma once

#include "macro.h"

typedef struct Buffer {
        char *data;
        size_t size;
        size_t allocated;
} Buffer;

void buffer_done(Buffer *b);

/* Appends n bytes, keeping a NUL after them. -E2BIG when the buffer would exceed max. */
int buffer_append(Buffer *b, const char *p, size_t n, size_t max);
