/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text and bytes as MCP carries them: base64, UTF-8 checked and repaired, MIME types by file name. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "text.h"

/* The length of the UTF-8 sequence at p (at most n bytes), or 0 when it is invalid or cut short. */
static size_t utf8_char(const unsigned char *p, size_t n) {
        unsigned char c = p[0];
        size_t len;
        uint32_t min, cp;
        if (c < 0x80)
                return 1;
        if ((c & 0xe0) == 0xc0)
                len = 2, min = 0x80, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
                len = 3, min = 0x800, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
                len = 4, min = 0x10000, cp = c & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

bool utf8_is_text(const char *p, size_t n) {
        for (size_t i = 0; i < n;) {
                size_t l = utf8_char((const unsigned char *) p + i, n - i);
                if (l == 0 || p[i] == 0)
                        return false;
                i += l;
        }
        return true;
}

size_t utf8_prefix(const char *p, size_t n) {
        /* Only the last three bytes can be the start of a character that is cut. */
        for (size_t back = 1; back <= MIN(n, (size_t) 4); back++) {
                unsigned char c = p[n - back];
                if ((c & 0xc0) == 0x80)
                        continue;
                size_t need = c < 0x80       ? 1
                        : (c & 0xe0) == 0xc0 ? 2
                        : (c & 0xf0) == 0xe0 ? 3
                        : (c & 0xf8) == 0xf0 ? 4
                                             : 1;
                return need > back ? n - back : n;
        }
        return n;
}

char *utf8_sanitize(const char *p, size_t n) {
        if (n > SIZE_MAX / 3 - 1)
                return NULL;
        char *out = malloc(n * 3 + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_char((const unsigned char *) p + i, n - i);
                if (l == 0 || p[i] == 0) {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                        continue;
                }
                memcpy(o, p + i, l);
                o += l;
                i += l;
        }
        *o = 0;
        return out;
}

const char *mime_type_of(const char *path) {
        static const struct {
                const char *extension, *type;
        } table[] = {
                { "txt", "text/plain" },
                { "log", "text/plain" },
                { "py", "text/x-python" },
                { "csv", "text/csv" },
                { "tsv", "text/tab-separated-values" },
                { "json", "application/json" },
                { "md", "text/markdown" },
                { "html", "text/html" },
                { "xml", "application/xml" },
                { "svg", "image/svg+xml" },
                { "png", "image/png" },
                { "jpg", "image/jpeg" },
                { "jpeg", "image/jpeg" },
                { "gif", "image/gif" },
                { "pdf", "application/pdf" },
                { "zip", "application/zip" },
                { "yaml", "application/yaml" },
                { "yml", "application/yaml" },
                { "npy", "application/octet-stream" },
        };
        const char *slash = strrchr(path, '/'), *dot = strrchr(slash ? slash : path, '.');
        if (!dot)
                return "application/octet-stream";
        FOREACH_ELEMENT(t, table) {
                if (strcasecmp(dot + 1, t->extension) == 0)
                        return t->type;
        }
        return "application/octet-stream";
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

char *percent_decode(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;
        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s != '%') {
                        *o++ = *s;
                        continue;
                }
                int hi = hex_value(s[1]), lo = hi >= 0 ? hex_value(s[2]) : -1;
                if (lo < 0 || (hi == 0 && lo == 0)) {
                        free(out);
                        return NULL;
                }
                *o++ = (char) (hi * 16 + lo);
                s += 2;
        }
        *o = 0;
        return out;
}
