/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encodings: UTF-8 validation, binary detection, Latin-1 conversion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "text.h"

/* The length of the UTF-8 sequence at p (1..4) when it is valid and complete within n, 0 when invalid,
 * -1 when it is cut off by the end. */
static int utf8_sequence(const unsigned char *p, size_t n) {
        unsigned char c = p[0];
        int len;
        uint32_t min, v;
        if (c < 0x80)
                return 1;
        if ((c & 0xe0) == 0xc0)
                len = 2, min = 0x80, v = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
                len = 3, min = 0x800, v = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
                len = 4, min = 0x10000, v = c & 0x07;
        else
                return 0;
        for (int i = 1; i < len; i++) {
                if ((size_t) i >= n)
                        return -1;
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (p[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        return len;
}

size_t utf8_valid_prefix(const char *data, size_t size) {
        const unsigned char *p = (const unsigned char *) data;
        size_t i = 0;
        while (i < size) {
                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                int len = utf8_sequence(p + i, size - i);
                if (len <= 0)
                        break;
                i += len;
        }
        return i;
}

bool utf8_is_valid(const char *data, size_t size) {
        return utf8_valid_prefix(data, size) == size;
}

size_t utf8_cut(const char *data, size_t size, size_t max) {
        if (size <= max)
                return size;
        size_t i = max;
        /* Back to the start of the sequence that straddles the cut. */
        while (i > 0 && ((unsigned char) data[i] & 0xc0) == 0x80 && max - i < 4)
                i--;
        return i;
}

IdeEncoding ide_encoding_detect(const char *data, size_t size) {
        const unsigned char *p = (const unsigned char *) data;
        if (size >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
                return IDE_ENCODING_UTF8_BOM;
        if (size >= 2 && p[0] == 0xff && p[1] == 0xfe)
                return IDE_ENCODING_UTF16LE;
        if (size >= 2 && p[0] == 0xfe && p[1] == 0xff)
                return IDE_ENCODING_UTF16BE;
        size_t controls = 0;
        for (size_t i = 0; i < size; i++) {
                if (p[i] == 0)
                        return IDE_ENCODING_BINARY;
                if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t' && p[i] != '\f' && p[i] != '\v' &&
                        p[i] != 0x1b)
                        controls++;
        }
        if (controls * 32 > size)
                return IDE_ENCODING_BINARY;
        size_t valid = utf8_valid_prefix(data, size);
        if (valid == size || (size - valid < 4 && utf8_sequence(p + valid, size - valid) < 0))
                return IDE_ENCODING_UTF8;
        return IDE_ENCODING_LATIN1;
}

const char *ide_encoding_to_string(IdeEncoding e) {
        static const char *const names[] = {
                [IDE_ENCODING_UTF8] = "utf-8",
                [IDE_ENCODING_UTF8_BOM] = "utf-8-bom",
                [IDE_ENCODING_LATIN1] = "iso-8859-1",
                [IDE_ENCODING_UTF16LE] = "utf-16le",
                [IDE_ENCODING_UTF16BE] = "utf-16be",
                [IDE_ENCODING_BINARY] = "binary",
        };
        return names[e];
}

char *latin1_to_utf8(const char *data, size_t size) {
        char *out = malloc(size * 2 + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < size; i++) {
                unsigned char c = data[i];
                if (c < 0x80)
                        *o++ = c;
                else {
                        *o++ = 0xc0 | (c >> 6);
                        *o++ = 0x80 | (c & 0x3f);
                }
        }
        *o = 0;
        return out;
}

struct json_object *ide_json_string(const char *p, size_t n) {
        size_t valid = utf8_valid_prefix(p, n);
        if (valid == n)
                return json_object_new_string_len(p, (int) n);
        char *out = malloc(n * 3 + 1), *o = out;
        if (!out)
                return NULL;
        memcpy(o, p, valid);
        o += valid;
        for (size_t i = valid; i < n;) {
                int len = (unsigned char) p[i] < 0x80 ? 1 : utf8_sequence((const unsigned char *) p + i, n - i);
                if (len <= 0) {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                        continue;
                }
                memcpy(o, p + i, len);
                o += len;
                i += len;
        }
        json_object *j = json_object_new_string_len(out, (int) (o - out));
        free(out);
        return j;
}
