/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base64url encoding and strict decoding, for tokens and keys carried in HTTP headers. */
#include <errno.h>
#include <stdlib.h>

#include "base64url.h"
#include "macro.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int decode_char(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

char *base64url_encode(const void *p, size_t n) {
        const uint8_t *in = p;
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
        if (!out)
                return NULL;
        size_t i = 0;
        for (; i + 2 < n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
                *o++ = alphabet[v >> 18 & 63];
                *o++ = alphabet[v >> 12 & 63];
                *o++ = alphabet[v >> 6 & 63];
                *o++ = alphabet[v & 63];
        }
        if (i < n) {
                uint32_t v = (uint32_t) in[i] << 16 | (i + 1 < n ? (uint32_t) in[i + 1] << 8 : 0);
                *o++ = alphabet[v >> 18 & 63];
                *o++ = alphabet[v >> 12 & 63];
                if (i + 1 < n)
                        *o++ = alphabet[v >> 6 & 63];
        }
        *o = 0;
        return out;
}

int base64url_decode(const char *in, size_t n, uint8_t **ret, size_t *ret_size) {
        if (n % 4 == 1)
                return -EBADMSG;
        _cleanup_free_ uint8_t *out = malloc(n / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;

        size_t o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;
        for (size_t i = 0; i < n; i++) {
                int d = decode_char(in[i]);
                if (d < 0)
                        return -EBADMSG;
                acc = acc << 6 | (uint32_t) d;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = acc >> bits & 0xff;
                }
        }
        /* Left-over bits must be zero, so that no two texts decode to the same bytes. */
        if (acc & ((1u << bits) - 1))
                return -EBADMSG;
        out[o] = 0;
        *ret = TAKE_PTR(out);
        *ret_size = o;
        return 0;
}
