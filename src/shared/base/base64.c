/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <openssl/evp.h>
#include <stdint.h>

#include "base64.h"
#include "macro.h"

char *base64_encode(const void *p, size_t n) {
        if (n > (SIZE_MAX / 4) * 3 - 3)
                return NULL;
        char *out = malloc((n + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;
        /* EVP_EncodeBlock takes an int: encode in slices that fit one. */
        size_t done = 0, written = 0;
        while (done < n) {
                size_t slice = MIN(n - done, (size_t) 3 * 1024 * 1024);
                written +=
                        EVP_EncodeBlock((unsigned char *) out + written, (const unsigned char *) p + done, (int) slice);
                done += slice;
        }
        out[written] = 0;
        return out;
}

static int base64_value(unsigned char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int base64_decode(const char *text, size_t n, char **ret, size_t *ret_size) {
        _cleanup_free_ char *out = malloc(n / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        size_t o = 0;
        uint32_t acc = 0;
        unsigned bits = 0, pad = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = text[i];
                if (c == '\n' || c == '\r' || c == ' ')
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                int v = base64_value(c);
                if (v < 0 || pad > 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char) ((acc >> bits) & 0xff);
                }
        }
        if (pad > 2 || bits >= 6)
                return -EINVAL;
        out[o] = 0;
        *ret_size = o;
        *ret = TAKE_PTR(out);
        return 0;
}
