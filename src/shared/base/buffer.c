/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growable byte buffer with a size limit, kept NUL-terminated after its data. */
#include "buffer.h"

void buffer_done(Buffer *b) {
        free(b->data);
        *b = (Buffer){};
}

int buffer_append(Buffer *b, const char *p, size_t n, size_t max) {
        if (b->size + n > max)
                return -E2BIG;
        if (b->size + n + 1 > b->allocated) {
                size_t a = MAX(MAX(b->allocated * 2, b->size + n + 1), (size_t) 256);
                char *d = realloc(b->data, a);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = a;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}
